# shellcheck shell=bash
# console: a virtio-serial port; the host sends a pattern in (the guest
# verifies it) and keeps what the guest writes (judge.sh verifies it).
# QEMU 7.2's file chardev has no input path: a FIFO pair.
CONSOLE_IN_LEN=4096
kind_qemu=(-device "virtio-serial-$bus$props" -chardev "pipe,id=port0,path=$run/port"
	-device virtserialport,chardev=port0,name=org.harness.console)
kind_devices=1
kind_checks="console-write console-read"
kind_append="harness.console_in=$CONSOLE_IN_LEN"
console_setup() {
	"$WORK/guest/mkpattern" console-in "$run/console.in" 0xFEED "$CONSOLE_IN_LEN"
	: > "$run/console.out"
	mkfifo "$run/port.in" "$run/port.out"
	# Each blocks until QEMU opens its end.
	cat "$run/port.out" > "$run/console.out" &
	console_reader=$!
	HOST_PIDS+=($!)
	cat "$run/console.in" > "$run/port.in" &
	HOST_PIDS+=($!)
}
# QEMU is gone: let the reader drain the FIFO before it is stopped.
console_finish() {
	for _ in $(seq 50); do kill -0 "$console_reader" 2>/dev/null || return 0; sleep 0.1; done
}
