# shellcheck shell=bash
# echo: user networking on the NICs' hub to an echo service of this
# boot's own on 127.0.0.1 (guest/echod.c), for UDP and TCP echo.
kind_qemu=(-netdev user,id=slirp,net=10.0.2.0/24 -netdev hubport,id=uplink,hubid=0,netdev=slirp)
kind_devices=0
kind_checks="net-echo-udp net-echo-tcp"
kind_append=
echo_setup() {
	"$WORK/guest/echod" "$run/echo.port" &
	HOST_PIDS+=($!)
	for _ in $(seq 50); do [ -s "$run/echo.port" ] && break; sleep 0.1; done
	[ -s "$run/echo.port" ] || die "echo service did not start"
	KIND_APPEND+=" harness.echo_port=$(cat "$run/echo.port")"
}
