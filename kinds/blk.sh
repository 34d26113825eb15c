# shellcheck shell=bash
# A record per device kind, sourced by scripts/lib.sh (load_kinds) with
# $run, $bus, $props and $drive_opts set: the QEMU arguments, how many
# virtio devices it adds, the guest checks it requires (judge.sh), kernel
# arguments, and optional host-side hooks NAME_setup (before QEMU starts),
# NAME_poll (every half second while it runs; $monitor is QEMU's monitor)
# and NAME_finish (after it ended).  The guest side is guest/check-NAME.c.
#
# blk: a 128 MiB disk that holds the host's pattern.
kind_qemu=(-drive "file=$run/disk.img,if=none,id=disk0,format=raw,cache=unsafe$drive_opts"
	-device "virtio-blk-$bus,drive=disk0$props")
kind_devices=1
kind_checks="blk-vda-hostpattern blk-vda-rw-1048576-bufoff512 blk-vda-random blk-vda-parallel
	blk-vda-restored-rw rebind blk-vda-rebound-rw"
kind_append=
blk_setup() { "$WORK/guest/mkpattern" disk "$run/disk.img" 128; }
