#!/usr/bin/env bash
# The tables and plot of make bench: results/bench.md and bench.png from
# results/bench-raw.tsv and bench-functions.tsv.  scripts/bench.sh runs it
# after measuring; run alone, it rewrites them from the committed data
# (the tree lines then name the tree that is there now).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
raw=$TOP/results/bench-raw.tsv
fns=$TOP/results/bench-functions.tsv
md=$TOP/results/bench.md
[ -s "$raw" ] && [ -s "$fns" ] || die "no $raw or $fns: run make bench"
"$TOP/scripts/deps.sh" gnuplot-nox
[ -d "$TREE/.git" ] || "$TOP/scripts/tree.sh"
PAIRS=$(awk -F'\t' 'NR > 1 && $4 > n { n = $4 } END { print n + 0 }' "$raw")
flavours=$(awk -F'\t' 'NR > 1 { print $2 }' "$raw" | sort -u)
[ "$PAIRS" -gt 0 ] && [ -n "$flavours" ] || die "$raw has no measurements"

# Medians per (scenario, workload, variant), per-op; ratio patched/base;
# spread = (max - min) / median over the pairs.
summarise() {
	local metric=$1 col=$2
	awk -F'\t' -v col="$col" -v metric="$metric" 'NR > 1 && $col >= 0 {
		k = $1 "\t" $2 "\t" $5 "\t" $3; v[k, ++n[k]] = $col / $6; keys[$1 "\t" $2 "\t" $5] = 1 }
	function median(k,   i, j, t, m, a) {
		m = n[k]; for (i = 1; i <= m; i++) a[i] = v[k, i]
		for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		lo[k] = a[1]; hi[k] = a[m]
		return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2 }
	END { for (key in keys) {
		b = key "\tbase"; p = key "\tpatched"
		if (!(b in n) || !(p in n)) continue
		mb = median(b); mp = median(p)
		split(key, kk, "\t")
		printf "| %s | %s | %s | %s | %.1f | %.1f | %.4f | %.2f%% | %.2f%% |\n", kk[1], kk[2], kk[3], metric, mb, mp, mp / mb,
			100 * (hi[b] - lo[b]) / mb, 100 * (hi[p] - lo[p]) / mp } }' "$raw" | sort
}

# The base total plus the change's exact DMA-path difference, per op.
estimate() {
	awk -F'\t' 'NR > 1 { k = $1 "\t" $2 "\t" $5 "\t" $3; t[k, ++n[k]] = $7 / $6; d[k, n[k]] = $9 / $6; keys[$1 "\t" $2 "\t" $5] = 1 }
	function med(arr, k,   i, j, x, m, a) {
		m = n[k]; for (i = 1; i <= m; i++) a[i] = arr[k, i]
		for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] < a[i]) { x = a[i]; a[i] = a[j]; a[j] = x }
		return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2 }
	END { for (key in keys) {
		b = key "\tbase"; p = key "\tpatched"
		if (!(b in n) || !(p in n)) continue
		tb = med(t, b); db = med(d, b); dp = med(d, p)
		split(key, kk, "\t")
		printf "| %s | %s | %s | %.1f | %.1f | %.1f | %+.1f | %.4f |\n", kk[1], kk[2], kk[3], tb, db, dp, dp - db, (tb + dp - db) / tb } }' "$raw" | sort
}

# Per function of the DMA path: mean instructions per op over the pairs,
# base and patched; the largest differences per scenario and workload.
top_functions() {
	awk -F'\t' -v pairs="$PAIRS" 'NR > 1 { k = $1 "\t" $2 "\t" $5 "\t" $6; keys[k] = 1; v[k, $3] += $7 / pairs }
	END { for (k in keys) { d = v[k, "patched"] - v[k, "base"]; if (d >= 0.5 || d <= -0.5)
		printf "%s\t%.1f\t%.1f\t%+.1f\t%.1f\n", k, v[k, "base"], v[k, "patched"], d, d < 0 ? -d : d } }' "$fns" |
		sort -t$'\t' -k1,1 -k2,2 -k3,3 -k8,8gr |
		awk -F'\t' '{ k = $1 "\t" $2 "\t" $3 } ++n[k] <= 8 { printf "| %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7 }'
}

{
	echo "# Benchmark: virtio DMA API for all devices, patched vs base"
	echo
	echo "- command: \`make bench\` (BENCH_PAIRS=$PAIRS, A/B interleaved)"
	echo "- kernel: Linux $(sed -n 's/^VERSION = //p' "$TREE/Makefile").$(sed -n 's/^PATCHLEVEL = //p' "$TREE/Makefile").$(sed -n 's/^SUBLEVEL = //p' "$TREE/Makefile"), base $(git -C "$TREE" rev-parse --short "$BASE_REF"), patched $(git -C "$TREE" rev-parse --short "$PATCHED_REF") ($(git -C "$TREE" rev-list --count "$BASE_REF..$PATCHED_REF") patches), same config per flavour"
	echo "- QEMU: $(for f in $flavours; do load_record arches "$(flavour_arch "$f")"; "$arch_qemu" --version | head -1; done | sort -u | paste -sd";" -), TCG, -smp 1, -icount shift=0,sleep=on, null-co disk, two NICs on a hub"
	echo "- host: $(nproc) CPUs, $(sed -n 's/^model name\t*: //p' /proc/cpuinfo | head -1); $(date -u +%Y-%m-%d)"
	echo "- per op: 4000 ops after 400 warm-up; insns = instructions the guest CPU executed (user, kernel, interrupts; not idle), counted by the QEMU plugin guest/insn-marks.c; ns = guest time, which under -icount is instructions plus idle time, and idle time follows the host"
	echo "- kernels (configs/flavours: fragments on allnoconfig; debian-X is Debian's configuration of its X kernel, scripts/debian-config.sh): $(for f in $flavours; do printf '%s = %s; ' "$f" "$(flavour_fragments "$f" | xargs)"; done)"
	echo "- guest CPU and Spectre v2 mitigation, as each kernel reported them: $(awk -F'\t' 'NR > 1 { k = $2 " " $3 ": " $11 ", spectre_v2 \"" $10 "\""; if (!(k in seen)) { seen[k] = 1; printf "%s; ", k } }' "$raw")"
	echo "- before the workloads the guest waits for the kernel's crypto self-tests (cryptomgr_test threads, Debian's kernels) to end, which would otherwise run during the first one: $(awk -F'\t' 'NR > 1 && $12 != "" { k = $2; if (!(k in max) || $12 > max[k]) max[k] = $12 } END { for (k in max) printf "%s up to %d ms; ", k, max[k] }' "$raw")"
	echo "- spread = (max - min) / median over the $PAIRS runs of one kernel: how closely runs of the same kernel agree"
	echo
	echo "| scenario | kernel | workload | metric | base | patched | patched/base | spread base | spread patched |"
	echo "|---|---|---|---|---:|---:|---:|---:|---:|"
	summarise insns/op 7
	summarise dma-path-insns/op 9
	summarise ns/op 8
	echo
	echo "dma-path-insns/op counts only the instructions executed in the functions of drivers/virtio/virtio.o, virtio_ring.o, kernel/dma/*.o and the arch's DMA objects (arch_dma_objects in arches/*.conf: x86 pci-dma.o and the retpoline and return thunks, powerpc dma-iommu.o, dma-mask.o, iommu.o) and is_vmalloc_addr() (mm/vmalloc.o, which dma_map_single() calls; System.map ranges): the code the series changes, apart from what the compiler inlined into the drivers.  It is exact where the total is not, so the change's cost per op is the patched - base difference of this count, which the estimate below relates to the base kernel's total:"
	echo
	echo "| scenario | kernel | workload | base insns/op | dma-path insns/op base | patched | difference | estimated patched/base |"
	echo "|---|---|---|---:|---:|---:|---:|---:|"
	estimate
	echo
	echo "Where the difference lies: instructions per op in each function of the DMA path (the plugin's per-function counts, mean over the pairs), the eight largest differences per scenario and workload ($(basename "$fns") has them all):"
	echo
	echo "| scenario | kernel | workload | function | base | patched | difference |"
	echo "|---|---|---|---|---:|---:|---:|"
	top_functions
} > "$md"

# Plot: patched/base per scenario and workload, one bar per metric.
dat=$WORK/bench-ratios.dat
awk -F' *[|] *' '$5 ~ /\/op$/ { k = $2 " " $3 " " $4; if (!(k in seen)) { seen[k] = 1; order[++n] = k }
	r[k, $5] = $8 }
	END { for (i = 1; i <= n; i++) { k = order[i]
		printf "\"%s\" %s %s\n", k, ((k, "insns/op") in r) ? r[k, "insns/op"] : "NaN", r[k, "ns/op"] } }' "$md" > "$dat"
gnuplot <<-EOF || die "gnuplot failed"
	set terminal png size 1200,640
	set output "$TOP/results/bench.png"
	set title "virtio DMA API for all devices: patched / base, median of $PAIRS pairs (1.0 = no change)\\nbouncing (swiotlb=force rows) leaves the scale: see bench.md"
	set style data histograms
	set style histogram clustered gap 1
	set style fill solid 0.8 border -1
	set yrange [0.9:1.1]
	set ytics 0.02
	set grid ytics
	set xtics rotate by -30 font ",8"
	set key outside top center horizontal
	set rmargin 10
	set bmargin 13
	plot "$dat" using 2:xtic(1) title "instructions per op", "" using 3 title "guest ns per op", 1 notitle lt -1
EOF
cat "$md"
say "bench: wrote $md, $TOP/results/bench.png and $raw"
