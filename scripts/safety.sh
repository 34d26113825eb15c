#!/usr/bin/env bash
# scripts/safety.sh RUNDIR...: the safety table of the given guest runs,
# in markdown, from the figures scripts/judge.sh left in each: bytes
# verified, DMA addresses audited, faults injected, SWIOTLB pool-full
# events, hot-unplug cycles, kmemleak and dma-api reports, splats.  First
# one row per run, then the verified bytes per arch and DMA mode.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -gt 0 ] || die "usage: safety.sh RUNDIR..."
rows=$WORK/safety-rows.tsv
: > "$rows"
for run in "$@"; do
	[ -f "$run/figures" ] && [ -f "$run/what" ] || continue
	read -r scenario flavour variant < "$run/what"
	arch=$(flavour_arch "$flavour")
	awk -F= -v OFS='\t' -v s="$scenario" -v f="$flavour" -v v="$variant" -v a="$arch" '
		{ k = $1; sub(/^[^=]*=/, ""); x[k] = $0 }
		function g(k) { return (k in x && x[k] != "") ? x[k] : "-" }
		END { print a, s, f, v, g("modes"), g("verified_blk"), g("verified_net"),
			g("audited_direct"), g("audited_swiotlb"), g("injected_failslab"),
			g("injected_fail_iommu"), g("swiotlb_full"), g("hotplug_cycles"),
			g("kmemleak") "/" g("kmemleak_virtio_dma"), g("dma_api_errors"),
			g("splats"), g("verdict") }' "$run/figures" >> "$rows"
done

mib() { awk '{ printf "%.1f", $1 / 1048576 }' <<<"$1"; }

echo "| arch | scenario | kernel | DMA modes | blk MiB verified | net KiB verified | addresses audited (direct/swiotlb) | failslab injected | fail_iommu injected | pool full | hot-unplug cycles | kmemleak (all/virtio+DMA) | dma-api errors | splats | verdict |"
echo "|---|---|---|---|---:|---:|---|---:|---:|---:|---:|---|---:|---:|---|"
sort -t$'\t' -k1,1 -k2,2 -k3,3 -k4,4 "$rows" | while IFS=$'\t' read -r a s f v m blk net ad as fs fi full hp km de sp vd; do
	[ "$blk" = - ] || blk=$(mib "$blk")
	[ "$net" = - ] || net=$(awk '{ printf "%.0f", $1 / 1024 }' <<<"$net")
	echo "| $a | $s | $f $v | ${m//,/, } | $blk | $net | $ad/$as | $fs | $fi | $full | $hp | $km | $de | $sp | $vd |"
done
echo
echo "Verified block and network bytes per arch and DMA mode of the devices (patched kernels):"
echo
echo "| arch | DMA modes | runs | blk MiB verified | net MiB verified | all passed |"
echo "|---|---|---:|---:|---:|---|"
awk -F'\t' -v OFS='\t' '$4 == "patched" {
	k = $1 "\t" $5; n[k]++; b[k] += $6; t[k] += $7; if ($17 != "PASS") bad[k] = 1 }
	END { for (k in n) print k, n[k], b[k], t[k], (k in bad) ? "no" : "yes" }' "$rows" |
	sort | while IFS=$'\t' read -r a m n b t ok; do
		echo "| $a | ${m//,/, } | $n | $(mib "$b") | $(mib "$t") | $ok |"
	done
