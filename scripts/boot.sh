#!/usr/bin/env bash
# Stage: boot. scripts/boot.sh SCENARIO FLAVOUR VARIANT
# Boots the kernel FLAVOUR-VARIANT in the QEMU guest that scenarios.conf
# describes for SCENARIO, with every virtio device kind attached, and keeps
# everything the guest left behind in work/runs/SCENARIO-FLAVOUR-VARIANT/.
# The host side of the checks runs here: the disk pattern, the echo
# service, the console input, and the balloon requests.  Judging is
# scripts/judge.sh's job: QEMU's exit status means nothing.
#   HARNESS_APPEND adds kernel arguments (make soak: harness.volume_mib=256),
#   BOOT_TIMEOUT overrides the machine's time limit in seconds.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need qemu-system-x86_64 qemu-system-ppc64 timeout

scenario=${1:?usage: boot.sh SCENARIO FLAVOUR base|patched}
flavour=${2:?usage: boot.sh SCENARIO FLAVOUR base|patched}
variant=${3:?usage: boot.sh SCENARIO FLAVOUR base|patched}

matrix=${MATRIX:-$TOP/scenarios.conf}   # bench.sh passes bench.conf
read -r _ _ machine devices append _ < <(awk -v s="$scenario" '$1 == s' "$matrix") ||
	die "unknown scenario '$scenario' (see $(basename "$matrix"))"
read -r _ arch _ < <(awk -v f="$flavour" '$1 == f' "$TOP/configs/flavours") ||
	die "unknown flavour '$flavour' (see configs/flavours)"
[ "$append" != - ] || append=
append=${append//+/ }
kdir=$IMAGES/$flavour-$variant
initrd=$IMAGES/initramfs-$arch-$variant.cpio
run=$WORK/runs/$scenario-$flavour-$variant
[ -d "$kdir" ] || die "no kernel $flavour-$variant: run scripts/build.sh $flavour $variant"
[ -f "$initrd" ] || die "no initramfs $arch-$variant: run scripts/initramfs.sh $arch $variant"
rm -rf "$run"
mkdir -p "$run"

MEM_MB=512
BALLOON_MB=64              # the guest waits for MemTotal to drop by 32 MiB
CONSOLE_IN_LEN=4096
CONSOLE_IN_SEED=0xFEED
DISK_MB=128

# x86: KVM where it really works, else TCG.  Probed once per harness run:
# a paravirtualised host KVM can be hundreds of times slower than TCG.
x86_accel() {
	local cache=$WORK/runs/.accel-x86_64
	if [ ! -f "$cache" ]; then
		local accel=tcg
		if [ -w /dev/kvm ] && [ "${HARNESS_ACCEL:-auto}" != tcg ]; then
			timeout 20 qemu-system-x86_64 -accel kvm -cpu kvm64 -M q35 -m 256 \
				-display none -nodefaults -no-reboot -serial stdio \
				-kernel "$kdir/bzImage" -initrd "$initrd" \
				-append "console=ttyS0 panic=-1 harness.skip=all" \
				</dev/null 2>/dev/null | grep -q -m1 'harness: init start' && accel=kvm
		fi
		echo "$accel" > "$cache"
		say "boot: x86 accelerator: $accel (KVM probe: boot to init within 20s)"
	fi
	case $(cat "$cache") in
	kvm) echo "-accel kvm -cpu kvm64" ;;
	*) echo "-accel tcg" ;;
	esac
}

# Machine profiles: QEMU machine, console, device name suffix, time limit.
case $machine in
q35) qemu=(qemu-system-x86_64 -M q35 $(x86_accel)); console=ttyS0 bus=pci limit=240 ;;
q35-viommu) qemu=(qemu-system-x86_64 -M q35 $(x86_accel) -device intel-iommu); console=ttyS0 bus=pci limit=240 ;;
microvm) qemu=(qemu-system-x86_64 -M microvm,rtc=on $(x86_accel)); console=ttyS0 bus=device limit=240
	# microvm has no HPET and no ACPI PM timer: when the PIT calibration of
	# the TSC misses (TCG under host load), the kernel has no reference and
	# hangs.  Under TCG the guest's TSC runs at the host's rate: say so.
	host_mhz=$(sed -n 's/^cpu MHz[[:space:]]*: *\([0-9]*\).*/\1/p' /proc/cpuinfo | head -1)
	[ "$(cat "$WORK/runs/.accel-x86_64" 2>/dev/null)" = kvm ] || [ -z "$host_mhz" ] ||
		append="tsc_early_khz=$((host_mhz * 1000)) $append" ;;
pseries) qemu=(qemu-system-ppc64 -M pseries,x-vof=on -cpu power9 -accel tcg); console=hvc0 bus=pci limit=300 ;;
*) die "scenario $scenario: unknown machine profile '$machine'" ;;
esac
case $arch/$machine in
x86_64/q35*|x86_64/microvm) kernel=$kdir/bzImage ;;
ppc64le/pseries) kernel=$kdir/vmlinux ;;
*) die "scenario $scenario: machine $machine cannot boot $arch" ;;
esac

# Device properties for each kind of device set.  legacy-slowdisk: the
# disk moves 16 MiB/s, so parallel requests pile up in flight (and in a
# small SWIOTLB pool).  *-hotplug: also a disk and a NIC on PCIe root
# ports, which the guest has the host unplug and plug back.  bench-*:
# only a null block device and the two NICs, and guest time counts
# instructions.
bench=0 hotplug=0 drive_opts=
HOTPLUG_CYCLES=2           # make soak: harness.hotplug=20
case $devices in
legacy) props= ;;
legacy-slowdisk) props= drive_opts=,throttling.bps-total=16777216 ;;
legacy-hotplug) props= hotplug=1 ;;
platform) props=,disable-legacy=on,iommu_platform=on ;;
platform-hotplug) props=,disable-legacy=on,iommu_platform=on hotplug=1 ;;
packed) props=,packed=on ;;
bench-legacy) props= bench=1 ;;
bench-platform) props=,disable-legacy=on,iommu_platform=on bench=1 ;;
*) die "scenario $scenario: unknown device set '$devices'" ;;
esac
[ "$bus" = pci ] || [ "${devices#bench-}" = legacy ] || [ "$devices" = legacy-slowdisk ] || die "scenario $scenario: $devices needs PCI"
[ $hotplug = 0 ] || [ "${machine%%-*}" = q35 ] || die "scenario $scenario: $devices needs a q35 machine (PCIe root ports)"
balloon_props=${props/,disable-legacy=on,iommu_platform=on/}

"$WORK/guest/mkpattern" disk "$run/disk.img" "$DISK_MB"
[ $hotplug = 0 ] || "$WORK/guest/mkpattern" disk "$run/hotplug.img" 32
"$WORK/guest/mkpattern" console-in "$run/console.in" "$CONSOLE_IN_SEED" "$CONSOLE_IN_LEN"
: > "$run/console.out"
# QEMU 7.2's file chardev has no input-path: use a FIFO pair.
mkfifo "$run/port.in" "$run/port.out"

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

"$WORK/guest/echod" "$run/echo.port" & echod_pid=$!
qemu_pid=
cleanup() {
	kill "$echod_pid" 2>/dev/null || true
	[ -z "$qemu_pid" ] || kill "$qemu_pid" 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 50); do [ -s "$run/echo.port" ] && break; sleep 0.1; done
[ -s "$run/echo.port" ] || die "echo service did not start"

qemu+=(
	-m "$MEM_MB" -smp 1 -display none -nodefaults -no-reboot
	-serial "file:$run/console.log" -monitor stdio
	-kernel "$kernel" -initrd "$initrd"
	-append "console=$console panic=-1 loglevel=6 kunit.enable=1 harness.echo_port=$(cat "$run/echo.port") harness.console_in=$CONSOLE_IN_LEN harness.balloon=1 $([ $hotplug = 0 ] || echo harness.hotplug=$HOTPLUG_CYCLES) ${fault_require:+harness.fault_require=$fault_require} ${fault_reject:+harness.fault_reject=$fault_reject} $append ${HARNESS_APPEND:-}"
	-drive "file=$run/disk.img,if=none,id=disk0,format=raw,cache=unsafe$drive_opts"
	-device "virtio-blk-$bus,drive=disk0$props"
	-netdev hubport,id=nic0,hubid=0 -device "virtio-net-$bus,netdev=nic0,mac=52:54:00:00:00:01$props"
	-netdev hubport,id=nic1,hubid=0 -device "virtio-net-$bus,netdev=nic1,mac=52:54:00:00:00:02$props"
	-netdev user,id=slirp,net=10.0.2.0/24 -netdev hubport,id=uplink,hubid=0,netdev=slirp
	-object rng-random,id=rng0,filename=/dev/urandom -device "virtio-rng-$bus,rng=rng0$props"
	-device "virtio-serial-$bus$props"
	-chardev "pipe,id=port0,path=$run/port"
	-device virtserialport,chardev=port0,name=org.harness.console
	-device "virtio-balloon-$bus$balloon_props"
)
# The hot-pluggable pair: a -blockdev node outlives device_del (a -drive
# would go with the device), and so does the hub port of the NIC.
hotplug_disk="virtio-blk-pci,id=hotplug-disk,drive=hotplug0,bus=hotplug-port0,serial=hotplug$props"
hotplug_nic="virtio-net-pci,id=hotplug-nic,netdev=nic2,bus=hotplug-port1,mac=52:54:00:00:00:03$props"
if [ $hotplug = 1 ]; then
	qemu+=(
		-device pcie-root-port,id=hotplug-port0,chassis=1,slot=1
		-device pcie-root-port,id=hotplug-port1,chassis=2,slot=2
		-blockdev "driver=raw,node-name=hotplug0,file.driver=file,file.filename=$run/hotplug.img,cache.direct=off"
		-device "$hotplug_disk"
		-netdev hubport,id=nic2,hubid=0 -device "$hotplug_nic"
	)
fi
if [ $bench = 1 ]; then
	# Keep the device set of a benchmark minimal: drop all but the disk
	# and the two NICs, with a null disk so the host side costs nothing.
	qemu=("${qemu[@]/harness.balloon=1/harness.bench=1}")
	keep=()
	skip=0
	for arg in "${qemu[@]}"; do
		if [ $skip = 1 ]; then skip=0; continue; fi
		case $arg in
		-netdev) ;;
		user,*|hubport,id=uplink*|rng-random*|virtio-rng-*|virtio-serial-*|pipe,*|virtserialport*|virtio-balloon-*)
			unset 'keep[-1]'; continue ;;
		file=*,if=none,id=disk0*) arg="driver=null-co,size=64M,if=none,id=disk0" ;;
		esac
		keep+=("$arg")
	done
	[ -f "$WORK/guest/insn-marks.so" ] || die "no $WORK/guest/insn-marks.so: run scripts/initramfs.sh"
	# Address ranges of the DMA path's functions (scripts/bench.sh), if any.
	ranges=$kdir/dma-path.ranges
	[ -s "$ranges" ] || ranges=
	# sleep=on: idle time passes at host speed, so a timer tick rarely
	# lands in a short I/O wait; with sleep=off every halt jumps straight
	# to the next tick and each wait costs a timer interrupt, as many as
	# the host's latency allows (5-7% run-to-run noise in instructions).
	qemu=("${keep[@]}" -icount shift=0,sleep=on
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
[ $bench = 1 ] || cat "$run/port.out" > "$run/console.out" &
coproc QEMU {
	rc=0
	timeout --kill-after=5 "$limit" "${qemu[@]}" > "$run/monitor.log" 2>&1 || rc=$?
	echo $rc > "$run/qemu.rc"
}
qemu_pid=$QEMU_PID
monitor=${QEMU[1]}
[ $bench = 1 ] || cat "$run/console.in" > "$run/port.in" &

# device_add, again while it fails: the guest sees the unplugged device
# gone before QEMU has finished removing it ("Duplicate device ID") and
# released its disk ("Permission conflict").
hotplug_add() {
	local device=$1 before
	for _ in $(seq 30); do
		before=$(grep -ac '^Error' "$run/monitor.log" || true)
		echo "device_add $device" >&"$monitor"
		sleep 1
		[ "$(grep -ac '^Error' "$run/monitor.log" || true)" -gt "$before" ] || return 0
	done
}

# The balloon check asks the host to inflate, then to deflate; the
# hotplug check to unplug its disk and NIC, then to plug them back.
inflated=0 deflated=0 unplugged=0 replugged=0
while kill -0 "$qemu_pid" 2>/dev/null; do
	if [ $inflated = 0 ] && grep -q '^harness: balloon-inflate' "$run/console.log" 2>/dev/null; then
		echo "balloon $((MEM_MB - BALLOON_MB))" >&"$monitor"; inflated=1
	fi
	if [ $deflated = 0 ] && grep -q '^harness: balloon-deflate' "$run/console.log" 2>/dev/null; then
		echo "balloon $MEM_MB" >&"$monitor"; deflated=1
	fi
	if [ $hotplug = 1 ]; then
		n=$(grep -c '^harness: hotplug-del' "$run/console.log" 2>/dev/null || true)
		if [ "${n:-0}" -gt $unplugged ]; then
			printf '%s\n' "device_del hotplug-disk" "device_del hotplug-nic" >&"$monitor"
			unplugged=$n
		fi
		n=$(grep -c '^harness: hotplug-add' "$run/console.log" 2>/dev/null || true)
		if [ "${n:-0}" -gt $replugged ]; then
			hotplug_add "$hotplug_disk"
			hotplug_add "$hotplug_nic"
			replugged=$n
		fi
	fi
	sleep 0.5
done
wait "$qemu_pid" 2>/dev/null || true
qemu_pid=
echo $(( $(date +%s) - start )) > "$run/seconds"
rc=$(cat "$run/qemu.rc" 2>/dev/null || echo 137)
[ "$rc" != 124 ] && [ "$rc" != 137 ] || echo "timeout ${limit}s" > "$run/timed-out"
# A guest that asked firmware to stop leaves QEMU paused, not gone.
! grep -q 'Stopped as the VM requested' "$run/monitor.log" ||
	echo "firmware stop: $(grep -m1 'Stopped as the VM requested' "$run/monitor.log")" >> "$run/timed-out"
echo "$scenario $flavour $variant" > "$run/what"
say "boot: $scenario on $flavour-$variant ended after $(cat "$run/seconds")s${rc:+ (qemu rc $rc)}"
