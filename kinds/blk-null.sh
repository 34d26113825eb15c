# shellcheck shell=bash
# blk-null: a null-co disk for make bench (reads cost the host nothing).
kind_qemu=(-drive "driver=null-co,size=64M,if=none,id=disk0" -device "virtio-blk-$bus,drive=disk0$props")
kind_devices=1
kind_checks=
kind_append=
