# shellcheck shell=bash
# blk-vhost-user: the blk kind's disk and checks for UML guests.  The disk
# is a vhost-user-blk export of qemu-storage-daemon on a socket in the run
# folder; virtio_uml connects to it (device ID 2: block) as the kernel
# command line says.  No QEMU arguments.
# shellcheck source=kinds/blk.sh
. "$TOP/kinds/blk.sh"                    # its device count, checks and disk (blk_setup)
kind_qemu=()
kind_append="virtio_uml.device=$run/vhost-blk.sock:2"
blk_vhost_user_setup() {
	need qemu-storage-daemon
	local sock=$run/vhost-blk.sock
	# A unix socket path has at most 107 bytes; ':' would end the path in
	# virtio_uml.device=, ',' in --export, a space in the command line.
	[ ${#sock} -le 107 ] && [[ $sock != *[:,\ ]* ]] ||
		die "vhost-user socket path $sock: over 107 bytes or has ':', ',' or a space: use a shorter WORK="
	blk_setup
	qemu-storage-daemon \
		--blockdev "driver=file,node-name=disk0,filename=$run/disk.img" \
		--export "type=vhost-user-blk,id=vub0,node-name=disk0,writable=on,addr.type=unix,addr.path=$run/vhost-blk.sock" \
		> "$run/qemu-storage-daemon.log" 2>&1 &
	HOST_PIDS+=($!)
	local i
	for i in $(seq 50); do
		[ -S "$run/vhost-blk.sock" ] && return 0
		kill -0 "${HOST_PIDS[-1]}" 2>/dev/null || break
		sleep 0.2
	done
	die "qemu-storage-daemon did not export $run/vhost-blk.sock: $(tail -3 "$run/qemu-storage-daemon.log")"
}
