# shellcheck shell=bash
# rng: virtio-rng fed from the host's /dev/urandom.
kind_qemu=(-object rng-random,id=rng0,filename=/dev/urandom -device "virtio-rng-$bus,rng=rng0$props")
kind_devices=1
kind_checks=rng
kind_append=
