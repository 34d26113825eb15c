#!/usr/bin/env bash
# The main job (make run): apply the series, build the x86_64 kernel, boot
# one q35 guest with every kind of virtio device, and show each device's
# DMA mode and the verified I/O.
#   RUN_SCENARIO / RUN_FLAVOUR choose another guest from scenarios.conf.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
S=$TOP/scripts
scenario=${RUN_SCENARIO:-q35-legacy}
flavour=${RUN_FLAVOUR:-x86_64}
read -r _ arch _ < <(awk -v f="$flavour" '$1 == f' "$TOP/configs/flavours") ||
	die "unknown flavour '$flavour'"
rm -f "$WORK"/runs/.accel-*

"$S/deps.sh"
"$S/tree.sh"
"$S/build.sh" "$flavour" patched
"$S/initramfs.sh" "$arch" patched
"$S/boot.sh" "$scenario" "$flavour" patched
run=$WORK/runs/$scenario-$flavour-patched

echo
echo "virtio devices of $scenario on $flavour-patched ($(git -C "$LINUX" describe --always patched)):"
printf '  %-9s %-16s %-9s %-3s %-15s %-10s %s\n' device driver transport id access_platform dma_mode dma_dev
tr -d '\r' < "$run/console.log" | sed -n 's/^harness: device //p' |
while read -r name rest; do
	get() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" <<<"$rest"; }
	printf '  %-9s %-16s %-9s %-3s %-15s %-10s %s\n' "$name" "$(get driver)" "$(get transport)" \
		"$(get id)" "$(get access_platform)" "$(get dma_mode)" "$(get dma_dev)"
done
echo
echo "verified I/O:"
tr -d '\r' < "$run/console.log" | grep -E '^(not )?ok [0-9]+ ' | sed 's/^/  /'
echo
printf '%-26s %-14s %-8s %-44s %4s %4s %5s %s\n' scenario flavour kernel "dma modes seen" ok fail boot verdict
"$S/judge.sh" "$run"
