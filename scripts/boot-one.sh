#!/usr/bin/env bash
# make boot SCENARIO=... FLAVOUR=... [VARIANT=patched]: boots and judges
# one guest from an already built kernel (scripts/build.sh; the initramfs
# is rebuilt, it takes a second), then shows each virtio device's DMA mode
# and the guest's checks.  Guest options go in HARNESS_APPEND (README).
#   scripts/boot-one.sh SCENARIO FLAVOUR VARIANT
set -euo pipefail
. "$(dirname "$0")/lib.sh"
S=$TOP/scripts
scenario=${1:?usage: boot-one.sh SCENARIO FLAVOUR base|patched}
flavour=${2:?usage: boot-one.sh SCENARIO FLAVOUR base|patched}
variant=${3:-patched}
arch=$(flavour_arch "$flavour")
scenario_line "$scenario" >/dev/null
[ -f "$IMAGES/$flavour-$variant/commit" ] ||
	die "no $flavour $variant kernel in $IMAGES: build it first (scripts/build.sh $flavour $variant, or make check FLAVOURS=$flavour SCENARIOS=$scenario)"
"$S/initramfs.sh" "$arch" "$variant"
"$S/boot.sh" "$scenario" "$flavour" "$variant" </dev/null
run=$WORK/runs/$scenario-$flavour-$variant
[ -f "$run/console.log" ] || : > "$run/console.log"

echo
echo "virtio devices of $scenario on $flavour-$variant ($(git -C "$TREE" describe --always "$(cat "$IMAGES/$flavour-$variant/commit")")):"
printf '  %-9s %-16s %-9s %-3s %-15s %-10s %s\n' device driver transport id access_platform dma_mode dma_dev
tr -d '\r' < "$run/console.log" | sed -n 's/^harness: device //p' |
while read -r name rest; do
	get() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" <<<"$rest"; }
	printf '  %-9s %-16s %-9s %-3s %-15s %-10s %s\n' "$name" "$(get driver)" "$(get transport)" \
		"$(get id)" "$(get access_platform)" "$(get dma_mode)" "$(get dma_dev)"
done
echo
echo "guest checks (verified I/O):"
{ tr -d '\r' < "$run/console.log" | grep -E '^(not )?ok [0-9]+ ' || echo "(none)"; } | sed 's/^/  /'
echo
printf '%-26s %-14s %-8s %-44s %4s %4s %5s %s\n' scenario flavour kernel "dma modes seen" ok fail boot verdict
"$S/judge.sh" "$run"
