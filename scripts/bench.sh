#!/usr/bin/env bash
# make bench: the patched kernel against the base one, same config, in one
# run.  Every line of bench.conf boots base and patched in turn (A/B/A/B,
# BENCH_PAIRS pairs, default 5) under TCG with -icount shift=0,sleep=on;
# the guest (guest/bench.c) brackets each workload with a marker
# instruction, at which QEMU's insn-marks plugin logs the instructions the
# guest CPU executed (idle excluded), and reports guest nanoseconds.
# Writes results/bench-raw.tsv and bench-functions.tsv; bench-report.sh
# makes results/bench.md (medians, patched/base ratio, spread) and
# bench.png from them.
#   BENCH_SCENARIOS="a b" limits the run to those lines of bench.conf,
#   BENCH_FLAVOURS="a b" to those kernels; such a run replaces only the
#   rows it measures in results/bench-raw.tsv, and keeps the others.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
S=$TOP/scripts
PAIRS=${BENCH_PAIRS:-5}
raw=$TOP/results/bench-raw.tsv
fns=$TOP/results/bench-functions.tsv
mkdir -p "$TOP/results"
rm -f "$WORK"/runs/.accel-*

"$S/tree.sh"
has_series || die "patches/ is empty: nothing to compare"
mapfile -t lines < <(grep -v '^#' "$TOP/bench.conf" | awk -v only=" ${BENCH_SCENARIOS:-} " \
	'NF && (only == "  " || index(only, " " $1 " "))')
# BENCH_FLAVOURS="a b" limits the run to those kernels.
wanted() { [ -z "${BENCH_FLAVOURS:-}" ] || [[ " $BENCH_FLAVOURS " == *" $1 "* ]]; }
flavours=$(for f in $(printf '%s\n' "${lines[@]}" | awk '{ print $2 }' | tr , '\n' | sort -u); do
	! wanted "$f" || echo "$f"; done)
[ -n "$flavours" ] || die "no kernel of bench.conf left to measure (BENCH_SCENARIOS, BENCH_FLAVOURS)"
# A run limited by BENCH_SCENARIOS or BENCH_FLAVOURS replaces only the
# rows it measures; the other rows stay, if they have as many pairs
# (checked before the builds, written when the measuring starts).
measured=$(for line in "${lines[@]}"; do
	read -r scenario line_flavours _ <<<"$line"
	for f in ${line_flavours//,/ }; do ! wanted "$f" || echo "$scenario $f"; done
done)
keep() {
	awk -F'\t' -v measured="$measured" 'BEGIN { n = split(measured, m, "\n"); for (i = 1; i <= n; i++) skip[m[i]] = 1 }
		NR > 1 && !(($1 " " $2) in skip)' "$1"
}
kept_raw='' kept_fns=''
if [ -n "${BENCH_SCENARIOS:-}${BENCH_FLAVOURS:-}" ] && [ -s "$raw" ] && [ -s "$fns" ]; then
	kept_raw=$(keep "$raw") kept_fns=$(keep "$fns")
	kept_pairs=$(awk -F'\t' '$4 > n { n = $4 } END { print n + 0 }' <<<"$kept_raw")
	[ "$kept_pairs" = 0 ] || [ "$kept_pairs" = "$PAIRS" ] ||
		die "the other rows of $raw have $kept_pairs pairs: run with BENCH_PAIRS=$kept_pairs, or measure every line"
fi
for flavour in $flavours; do
	"$S/build.sh" "$flavour" base
	"$S/build.sh" "$flavour" patched
done
# Address ranges of the DMA path's functions in each kernel, for the
# plugin (scripts/boot.sh passes them): [start, next symbol's address),
# for names no other object uses.
for flavour in $flavours; do
	for variant in base patched; do
		dir=$IMAGES/$flavour-$variant
		[ -s "$dir/System.map" ] && [ -s "$dir/dma-path-functions" ] ||
			die "$dir: no System.map or dma-path-functions, rebuild it (scripts/build.sh $flavour $variant)"
		awk 'FNR == 1 { file++ }
			file == 1 { want[$2] = 1; next }
			file == 2 { seen[$3]++; next }
			start != "" && $1 > start { print start, $1, name; start = "" }
			start == "" && ($2 == "t" || $2 == "T") && ($3 in want) && seen[$3] == 1 { start = $1; name = $3 }' \
			"$dir/dma-path-functions" "$dir/System.map" "$dir/System.map" > "$dir/dma-path.ranges"
		[ -s "$dir/dma-path.ranges" ] || die "$dir: none of the DMA path's functions in System.map"
	done
done
for arch in $(for f in $flavours; do flavour_arch "$f"; done | sort -u); do
	"$S/initramfs.sh" "$arch" base
	"$S/initramfs.sh" "$arch" patched
done

{ printf 'scenario\tflavour\tvariant\tpair\tworkload\tops\tinsns\tns\tdma_path_insns\tspectre_v2\tcpu\tsettle_ms\n'
	[ -z "$kept_raw" ] || printf '%s\n' "$kept_raw"; } > "$raw"
{ printf 'scenario\tflavour\tvariant\tpair\tworkload\tfunction\tinsns_per_op\n'
	[ -z "$kept_fns" ] || printf '%s\n' "$kept_fns"; } > "$fns"
for line in "${lines[@]}"; do
	read -r scenario line_flavours _ <<<"$line"
	for flavour in ${line_flavours//,/ }; do
		wanted "$flavour" || continue
		for pair in $(seq "$PAIRS"); do
			for variant in base patched; do
				say "bench: $scenario $flavour $variant, pair $pair of $PAIRS"
				MATRIX=$TOP/bench.conf "$S/boot.sh" "$scenario" "$flavour" "$variant" 2>/dev/null
				run=$WORK/runs/$scenario-$flavour-$variant
				log=$(tr -d '\r' < "$run/console.log")
				spectre=$(sed -n 's/^harness: bench spectre_v2=//p' <<<"$log")
				cpu=$(sed -n 's/^harness: bench cpu=//p' <<<"$log")
				settle=$(sed -n 's/^harness: bench settle_ms=//p' <<<"$log")
				grep -q '^harness: bench done' <<<"$log" ||
					die "bench run $scenario $flavour $variant failed: $(grep -E '^(not ok|# bench)' <<<"$log" | head -3; tail -5 <<<"$log")"
				# Workload N lies between markers 2N and 2N+1 of the plugin's
				# log; each mark has the total and the DMA path's count.
				paste <(sed -n 's/^harness: bench \([^ ]*\) ops=\([0-9]*\) ns=\([0-9]*\)$/\1\t\2\t\3/p' <<<"$log") \
					<(awk -v OFS='\t' '$1 != "mark" { next } ++n % 2 { a = $2; b = $3; next } { print $2 - a, $3 - b }' "$run/marks.txt") |
					awk -F'\t' -v OFS='\t' -v pre="$scenario\t$flavour\t$variant\t$pair" -v spectre="$spectre" -v cpu="$cpu" \
						-v settle="$settle" 'NF != 5 || $5 == "" { exit 1 } { print pre, $1, $2, $4, $3, $5, spectre, cpu, settle }' >> "$raw" ||
					die "bench run $scenario $flavour $variant: workloads and instruction marks do not pair up ($run/marks.txt)"
				# Per function: the running counts after mark 2N and 2N+1.
				awk -F'[\t ]' -v OFS='\t' -v pre="$scenario\t$flavour\t$variant\t$pair" '
					FNR == NR { name[++w] = $1; ops[w] = $2; next }
					$1 == "mark" { m++; next }
					$1 == "fn" { if (m % 2) at[m, $2] = $3; else if (m && (m / 2) in name) {
						k = m / 2; d = $3 - at[m - 1, $2]
						if (d) print pre, name[k], $2, d / ops[k] } }' \
					<(sed -n 's/^harness: bench \([^ ]*\) ops=\([0-9]*\) ns=.*/\1\t\2/p' <<<"$log") \
					"$run/marks.txt" >> "$fns"
			done
		done
	done
done

"$S/bench-report.sh"
