#!/usr/bin/env bash
# Stage: boot. scripts/boot.sh SCENARIO FLAVOUR VARIANT
# Boots the kernel FLAVOUR-VARIANT in the QEMU guest (for UML: as a host
# program) that scenarios.conf describes for SCENARIO: the machine
# (machines/*.conf) of the flavour's arch (arches/*.conf), with the device kinds (kinds/*.sh) of its device
# set (devices/*.conf), and keeps everything the guest left behind in
# work/runs/SCENARIO-FLAVOUR-VARIANT/.  The host side of the checks (disk
# pattern, echo service, console FIFOs, monitor requests) runs here, one
# of each per guest, so boots can run side by side.  Judging is
# scripts/judge.sh's job: QEMU's exit status means nothing.
#   HARNESS_APPEND adds kernel arguments (make soak: harness.volume_mib=256),
#   BOOT_TIMEOUT overrides the machine's time limit in seconds,
#   MATRIX names another scenario table (make bench: bench.conf).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need timeout

scenario=${1:?usage: boot.sh SCENARIO FLAVOUR base|patched}
flavour=${2:?usage: boot.sh SCENARIO FLAVOUR base|patched}
variant=${3:?usage: boot.sh SCENARIO FLAVOUR base|patched}

read -r _ _ machine devices append _ < <(scenario_line "$scenario" "${MATRIX:-}")
arch=$(flavour_arch "$flavour")
load_record arches "$arch"
load_record machines "$machine"
load_record devices "$devices"
[ -z "$arch_qemu" ] || need "$arch_qemu"
[ "$machine_arch" = "$arch" ] || die "scenario $scenario: machine $machine boots $machine_arch, flavour $flavour is $arch"
[ "$append" != - ] || append=
append=${append//+/ }
kdir=$IMAGES/$flavour-$variant
initrd=$IMAGES/initramfs-$arch-$variant.cpio
kernel=$kdir/$(basename "$arch_image")
run=$WORK/runs/$scenario-$flavour-$variant
[ -f "$kernel" ] || die "no kernel $flavour-$variant: run scripts/build.sh $flavour $variant"
[ -f "$initrd" ] || die "no initramfs $arch-$variant: run scripts/initramfs.sh $arch $variant"
rm -rf "$run"
mkdir -p "$run"

MEM_MB=$machine_mem_mb
bus=$machine_bus props=$devices_props drive_opts=$devices_drive_opts
[ "$devices_pci_only" = 0 ] || [ "$bus" = pci ] || die "scenario $scenario: $devices needs virtio-pci, $machine has $bus"
# shellcheck disable=SC2086
load_kinds $devices_kinds
[[ " $KIND_NEEDS " != *" root_ports "* ]] || [ "$machine_root_ports" = 1 ] ||
	die "scenario $scenario: $devices needs PCIe root ports, $machine has none"
accel=
[ -z "$arch_qemu" ] || accel=$(qemu_accel "$arch" "$kernel" "$initrd")
if [ "$machine_tsc_khz" = 1 ] && [ "$accel" = "-accel tcg" ]; then
	host_mhz=$(sed -n 's/^cpu MHz[[:space:]]*: *\([0-9]*\).*/\1/p' /proc/cpuinfo | head -1)
	[ -z "$host_mhz" ] || append="tsc_early_khz=$((host_mhz * 1000)) $append"
fi

# The text of one object of the DMA path, "0xSTART,0xEND": the run of its
# functions around ANCHOR in System.map, up to the next symbol of another
# object (its init and .cold parts lie elsewhere).
text_range() {
	[ -s "$kdir/System.map" ] && [ -s "$kdir/dma-path-functions" ] || return 0
	awk -v obj="$1" -v anchor="$2" 'NR == FNR { if ($1 == obj) want[$2] = 1; next }
		{ n++; addr[n] = $1; ours[n] = ($3 in want) && ($2 == "t" || $2 == "T")
		  if ($3 == anchor && ours[n]) at = n }
		END {
			if (!at) exit
			for (first = at; first > 1 && ours[first - 1]; first--) ;
			for (last = at; last < n && ours[last + 1]; last++) ;
			if (last < n) print "0x" addr[first] ",0x" addr[last + 1]
		}' "$kdir/dma-path-functions" "$kdir/System.map"
}
# The guest's failslab check fails only allocations made from virtio_ring,
# and none made from DMA-API debugging (which would disable itself).
fault_require=$(text_range virtio_ring.o virtqueue_add_sgs)
fault_reject=$(text_range debug.o debug_dma_map_page)

HOST_PIDS=()
qemu_pid=
cleanup() {
	[ ${#HOST_PIDS[@]} -eq 0 ] || kill "${HOST_PIDS[@]}" 2>/dev/null || true
	[ -z "$qemu_pid" ] || kill "$qemu_pid" 2>/dev/null || true
}
trap cleanup EXIT
# Host sides of the device kinds, before QEMU starts.
for kind in $KIND_NAMES; do
	! declare -F "${kind//-/_}_setup" >/dev/null || "${kind//-/_}_setup"
done
# nokaslr: the plugin's address ranges are System.map's (bench.sh).
[ "$devices_bench" = 0 ] || KIND_APPEND+=" harness.bench=1 nokaslr"

limit=$machine_limit
cmdline="console=$arch_console panic=-1 loglevel=6 kunit.enable=1 page_poison=1${KIND_APPEND} ${fault_require:+harness.fault_require=$fault_require} ${fault_reject:+harness.fault_reject=$fault_reject} $append ${HARNESS_APPEND:-}"
if [ -n "$arch_qemu" ]; then
	# shellcheck disable=SC2206
	qemu=("$arch_qemu" $machine_qemu $accel
		-m "$MEM_MB" -smp 1 -display none -nodefaults -no-reboot
		-serial "file:$run/console.log" -monitor stdio
		-kernel "$kernel" -initrd "$initrd"
		-append "$cmdline"
		"${KIND_QEMU[@]}")
else
	# UML: the console on stdout, no serial lines; the arguments are its
	# kernel command line.  Its devices come from the kernel command line.
	[ ${#KIND_QEMU[@]} -eq 0 ] || die "scenario $scenario: $devices needs QEMU, $machine runs UML"
	# shellcheck disable=SC2206
	qemu=("$kernel" "mem=${MEM_MB}M" "initrd=$initrd" con=null con0=null,fd:1 ssl=null
		"uml_dir=$run" umid=uml $cmdline)
	# Its memory is a file in TMPDIR: /dev/shm where it fits (a container's
	# may be 64 MiB), else the run folder.
	uml_tmp=$run
	[ "$(df -Pm /dev/shm 2>/dev/null | awk 'NR == 2 { print $4 }')" -gt $((MEM_MB + 256)) ] 2>/dev/null &&
		uml_tmp=/dev/shm
fi
if [ "$devices_bench" = 1 ]; then
	[ -f "$WORK/guest/insn-marks.so" ] || die "no $WORK/guest/insn-marks.so: run scripts/initramfs.sh"
	# Address ranges of the DMA path's functions (scripts/bench.sh), if any.
	ranges=$kdir/dma-path.ranges
	[ -s "$ranges" ] || ranges=
	# sleep=on: idle time passes at host speed, so a timer tick rarely
	# lands in a short I/O wait; with sleep=off every halt jumps straight
	# to the next tick and each wait costs a timer interrupt, as many as
	# the host's latency allows (5-7% run-to-run noise in instructions).
	qemu+=(-icount shift=0,sleep=on
		-plugin "$WORK/guest/insn-marks.so,out=$run/marks.txt${ranges:+,ranges=$ranges}")
	limit=900
fi
# Lockdep, KASAN and kmemleak slow a TCG guest down about twice.
! grep -qx 'CONFIG_PROVE_LOCKING=y' "$kdir/config" 2>/dev/null || limit=$((limit * 2))
limit=${BOOT_TIMEOUT:-$limit}   # make soak gives its long runs more time
printf '%q ' timeout "$limit" "${qemu[@]}" > "$run/qemu.cmd"
echo >> "$run/qemu.cmd"

say "boot: $scenario on $flavour-$variant ($machine, $devices devices${append:+, $append})"
start=$(date +%s)
coproc QEMU {
	rc=0
	if [ -n "$arch_qemu" ]; then
		timeout --kill-after=5 "$limit" "${qemu[@]}" > "$run/monitor.log" 2>&1 || rc=$?
	else
		TMPDIR=$uml_tmp timeout --kill-after=5 "$limit" "${qemu[@]}" \
			< /dev/null > "$run/console.log" 2> "$run/monitor.log" || rc=$?
	fi
	echo $rc > "$run/qemu.rc"
}
qemu_pid=$QEMU_PID
monitor=${QEMU[1]}

# While QEMU runs: the kinds' monitor requests (balloon, hot-plug), and a
# progress line every 30 s.
polls=()
for kind in $KIND_NAMES; do
	! declare -F "${kind//-/_}_poll" >/dev/null || polls+=("${kind//-/_}_poll")
done
next=$((start + 30))
while kill -0 "$qemu_pid" 2>/dev/null; do
	for poll in "${polls[@]}"; do "$poll"; done
	if [ "$(date +%s)" -ge "$next" ]; then
		next=$(( $(date +%s) + 30 ))
		say "boot: $scenario on $flavour-$variant running $(( $(date +%s) - start ))s of ${limit}s, last: $(tr -d '\r' < "$run/console.log" 2>/dev/null | grep -a '^\(ok\|not ok\|harness:\) ' | tail -1 | cut -c1-80 || true)"
	fi
	sleep 0.5
done
wait "$qemu_pid" 2>/dev/null || true
qemu_pid=
for kind in $KIND_NAMES; do
	! declare -F "${kind//-/_}_finish" >/dev/null || "${kind//-/_}_finish"
done
echo $(( $(date +%s) - start )) > "$run/seconds"
rc=$(cat "$run/qemu.rc" 2>/dev/null || echo 137)
[ "$rc" != 124 ] && [ "$rc" != 137 ] || echo "timeout ${limit}s" > "$run/timed-out"
# A guest that asked firmware to stop leaves QEMU paused, not gone.
! grep -q 'Stopped as the VM requested' "$run/monitor.log" ||
	echo "firmware stop: $(grep -m1 'Stopped as the VM requested' "$run/monitor.log")" >> "$run/timed-out"
echo "$scenario $flavour $variant" > "$run/what"
# shellcheck disable=SC2086
echo $KIND_DEVICES $KIND_CHECKS > "$run/kinds"
say "boot: $scenario on $flavour-$variant ended after $(cat "$run/seconds")s${rc:+ (qemu rc $rc)}"
