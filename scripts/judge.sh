#!/usr/bin/env bash
# Stage: judge. scripts/judge.sh RUNDIR
# Decides from what the guest printed whether one boot passed: every check
# ok and none missing, a clean poweroff, no splat, the console bytes the
# host received, the DMA mode of every device, swiotlb bouncing as the
# scenario expects.  Prints one table row on stdout; exit 1 on failure,
# with the reasons and the console tail on stderr.  Leaves RUNDIR/ktap:
# the guest's checks and the judge's verdict as one KTAP subtest.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

run=${1:?usage: judge.sh RUNDIR}
read -r scenario flavour variant < "$run/what" || die "$run: no boot recorded"
read -r _ _ _ devices append expect bounce < <(scenario_line "$scenario")
[ "$append" != - ] || append=
append=${append//+/ }
config=$IMAGES/$flavour-$variant/config
has_config() { grep -qx "$1=y" "$config" 2>/dev/null; }
log=$run/console.txt   # the console without the serial line's CRs
tr -d '\r' < "$run/console.log" > "$log" 2>/dev/null || : > "$log"
problems=()
problem() { problems+=("$*"); }

[ -s "$log" ] || { problem "no console output"; : > "$log"; }
grep -q '^harness: init start' "$log" || problem "init never started"
[ ! -f "$run/timed-out" ] || problem "the guest (QEMU or UML) did not end by itself: $(paste -sd";" "$run/timed-out")"
grep -q '^harness: poweroff' "$log" || problem "guest did not power itself off"

# KTAP results: only what init printed (the kernel's own KUnit output at
# boot uses the same syntax).
ktap=$run/ktap.txt
sed -n '/^harness: init start/,$p' "$log" > "$ktap"
passed=$(grep '^ok ' "$ktap" | grep -vc ' # SKIP' || true)
skipped=$(grep -E '^(not )?ok [0-9]+ .* # SKIP' -c "$ktap" || true)
failed=$(grep '^not ok ' "$ktap" | grep -vc ' # SKIP' || true)
while read -r line; do problem "check failed: ${line#not ok }"; done < <(grep "^not ok " "$ktap" | grep -v " # SKIP" | head -20)
summary=$(sed -n 's/^harness: summary //p' "$ktap")
[ "$summary" = "passed=$passed failed=$failed" ] ||
	problem "summary '${summary:-none}' does not match $passed ok / $failed not ok lines"
plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$ktap")
[ "${plan:-x}" = $((passed + failed + skipped)) ] || problem "plan 1..${plan:-?} but $((passed + failed + skipped)) results"

# Checks that must have run: a missing one is a failure, not a pass.
# Those of the scenario's device kinds (kinds/*.sh, recorded by boot.sh),
# then the kernel's.
read -r want_devices kind_checks < "$run/kinds" || problem "$run/kinds: no device kinds recorded"
# shellcheck disable=SC2206
required=(${kind_checks:-} restore)
# Freeze and restore run only where the kernel can suspend (not s390).
if ! has_config CONFIG_SUSPEND; then
	for i in "${!required[@]}"; do
		[[ ${required[$i]} != *restore* ]] || unset "required[$i]"
	done
fi
if [ "$variant" = patched ] && has_series; then
	required+=(kunit-virtio_dma)
	# The audit follows the DMA trace events: none without a DMA API (UML).
	! has_config CONFIG_HAS_DMA || required+=(dma-audit)
	! git -C "$TREE" cat-file -e "$PATCHED_REF:tools/testing/selftests/virtio" 2>/dev/null ||
		required+=(selftest-virtio)
fi
# The debugging and fault injection a kernel has, and the scenario's own.
! has_config CONFIG_DMA_API_DEBUG || required+=(dma-api-errors)
! has_config CONFIG_DEBUG_KMEMLEAK || required+=(kmemleak)
! has_config CONFIG_FAILSLAB || required+=(fault-failslab-blk-vda)
[[ " $append ${HARNESS_APPEND:-} " != *" harness.fail_iommu=1 "* ]] || required+=(fault-fail_iommu-blk-vda)
for check in "${required[@]}"; do
	if grep -Eq "^(not )?ok [0-9]+ $check.* # SKIP" "$ktap"; then
		problem "check $check was skipped (harness.skip), the scenario requires it"
	else
		grep -Eq "^(not )?ok [0-9]+ $check" "$ktap" || problem "check $check did not run"
	fi
done

# Splats anywhere on the console.
splat='WARNING:|BUG:|Oops|KASAN|DMA-API:|kernel BUG|Kernel panic|possible circular locking|possible recursive locking|inconsistent lock state|INFO: task .* blocked|hung_task|virtio.*probe.*fail|probe of virtio[0-9]+ failed|Call Trace:'
# Known noise: a fresh QEMU pseries machine has a blank NVRAM.
benign='nvram corruption detected: 0-length partition'
while read -r line; do problem "console: $line"; done < <(grep -aE "$splat" "$log" | grep -avE "$benign" | head -5)

# Bytes the guest wrote to the console port, checked on the host.
if grep -q '^harness: console wrote' "$log"; then
	"$WORK/guest/mkpattern" console-out "$run/console.out" 0xC0FFEE 65536 >"$run/console-out.check" 2>&1 ||
		problem "console port data: $(head -1 "$run/console-out.check")"
fi

# The frame the guest put on the virtio-gpu scanout, as the host's
# screendump shows it.
gpu_frame=$(sed -n 's/^harness: gpu-scanout \([0-9]*x[0-9]*\) seed=\(0x[0-9a-f]*\).*/\2 \1/p' "$log" | head -1)
if [ -n "$gpu_frame" ]; then
	# shellcheck disable=SC2086
	"$WORK/guest/mkpattern" gpu-ppm "$run/gpu.ppm" $gpu_frame >"$run/gpu-ppm.check" 2>&1 ||
		problem "gpu scanout: $(head -1 "$run/gpu-ppm.check")"
fi

# DMA mode of each device.
want_dev=n/a want_balloon=n/a
if [ "$variant" = patched ] && has_series; then
	want_dev=${expect%%/*}
	want_balloon=${expect#*/}
fi
case $expect in platform*) want_ap=1 ;; *) want_ap=0 ;; esac
modes=() ndev=0
while read -r _ _ name rest; do
	ndev=$((ndev + 1))
	driver=$(sed -n 's/.*driver=\([^ ]*\).*/\1/p' <<<"$rest")
	id=$(sed -n 's/.*id=\([0-9]*\).*/\1/p' <<<"$rest")
	ap=$(sed -n 's/.*access_platform=\([01]\).*/\1/p' <<<"$rest")
	mode=$(sed -n 's/.*dma_mode=\([^ ]*\).*/\1/p' <<<"$rest")
	want=$want_dev want_bit=$want_ap
	[ "$id" != 5 ] || want=$want_balloon want_bit=0
	[ "$driver" != none ] || problem "$name: no driver bound"
	[ "$ap" = "$want_bit" ] || problem "$name ($driver): ACCESS_PLATFORM=$ap, scenario wants $want_bit"
	[ "$mode" = "$want" ] || problem "$name ($driver): dma_mode=$mode, expected $want"
	modes+=("$driver=$mode")
done < <(grep '^harness: device ' "$log")
[ "$ndev" -ge "${want_devices:-1}" ] || problem "only $ndev virtio devices, the device set ($devices) has ${want_devices:-?}"

# SWIOTLB bouncing, judged where the scenario says and the series is in.
hw_before=$(sed -n 's/^harness: swiotlb used_hiwater=\([0-9]*\) before-io/\1/p' "$log")
hw_after=$(sed -n 's/^harness: swiotlb used_hiwater=\([0-9]*\) after-io/\1/p' "$log")
if [ "$variant" = patched ] && has_series && [ "$bounce" != - ]; then
	if [ -z "$hw_before" ] || [ -z "$hw_after" ]; then
		problem "swiotlb: no high-water mark in debugfs, cannot judge bounce=$bounce"
	elif [ "$bounce" != no ] && [ "$hw_after" -le "$hw_before" ]; then
		problem "swiotlb: expected bouncing, high-water stayed at $hw_after"
	elif [ "$bounce" = no ] && [ "$hw_after" -ne "$hw_before" ]; then
		problem "swiotlb: expected no bouncing, high-water rose $hw_before -> $hw_after"
	fi
	full=$(sed -n 's/^harness: swiotlb full-events=\([0-9]*\).*/\1/p' "$log")
	[ "$bounce" != full ] || [ "${full:-0}" -gt 0 ] ||
		problem "swiotlb: expected the pool to run full under parallel I/O, full-events=${full:-none}"
fi


verdict=PASS
[ ${#problems[@]} -eq 0 ] || verdict=FAIL
modes_seen=$(printf '%s\n' "${modes[@]}" | sed 's/^virtio_//' | sort -u | paste -sd, -)

# Figures for the safety table (scripts/safety.sh), one per line.
{
	sed -n 's/^harness: verified \(.*\)/\1/p' "$log" | tr ' ' '\n' | sed 's/^/verified_/'
	sed -n 's/^harness: fault \([^ ]*\) injected=\([0-9]*\)/injected_\1=\2/p' "$log"
	sed -n 's/^harness: kmemleak unreferenced=\([0-9]*\) virtio-dma=\([0-9]*\)/kmemleak=\1\nkmemleak_virtio_dma=\2/p' "$log"
	sed -n 's/^# dma-audit: \([0-9]*\) direct and \([0-9]*\) swiotlb addresses.*/audited_direct=\1\naudited_swiotlb=\2/p' "$log"
	sed -n 's/^harness: hotplug cycles=\([0-9]*\)/hotplug_cycles=\1/p' "$log"
	sed -n 's/^harness: swiotlb full-events=\([0-9]*\).*/swiotlb_full=\1/p' "$log"
	sed -n 's/^harness: dma-api error_count=\([0-9]*\)/dma_api_errors=\1/p' "$log"
	echo "splats=$(grep -aE "$splat" "$log" | grep -cavE "$benign" || true)"
	echo "modes=$modes_seen"
	echo "verdict=$verdict"
	echo "checks_ok=$passed"
	echo "checks_failed=$failed"
} > "$run/figures"

printf '%-26s %-14s %-8s %-44s %4s %4s %5s %s\n' "$scenario" "$flavour" "$variant" \
	"${modes_seen:-none}" "$passed" "$failed" "$(cat "$run/seconds" 2>/dev/null || echo '?')s" "$verdict"
printf '%s\n' "$verdict" > "$run/verdict"

# KTAP: the guest's own results, renumbered, then the judge's verdict.
{
	grep -E '^(not )?ok [0-9]+ ' "$ktap" | sed -E 's/^(not )?ok [0-9]+ /\1ok /' || true
	if [ "$verdict" = PASS ]; then echo "ok judge"; else
		printf '# %s\n' "${problems[@]}"
		echo "not ok judge # ${#problems[@]} problem(s)"
	fi
} > "$run/results"
if [ "$verdict" = FAIL ]; then
	{
		echo "---- $scenario on $flavour-$variant FAILED:"
		printf '  - %s\n' "${problems[@]}"
		echo "---- console tail ($log):"
		tail -n 25 "$log" | sed 's/^/  | /'
	} | tee "$run/problems" >&2
	exit 1
fi
