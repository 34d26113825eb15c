#!/usr/bin/env bash
# The whole check (make check): series hygiene, base and patched kernels
# of every flavour, every scenario of scenarios.conf booted and judged.
# Ends with the result table and one line "N passed, N failed".
#   SCENARIOS="a b" limits the boots to those scenarios, VARIANTS=patched
#   to the patched kernels, HYGIENE=0 leaves out checkpatch, sparse and
#   the per-patch builds (make soak, after a make check).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
S=$TOP/scripts
results=$WORK/results.txt
table=$WORK/table.txt
runs=$WORK/runs.txt
: > "$results"
: > "$table"
: > "$runs"
rm -f "$WORK"/runs/.accel-*

# Every test prints "ok ..." or "not ok ..."; record them all.
record() { tee -a "$results"; }
test_line() { if [ "$1" = 0 ]; then echo "ok $2"; else echo "not ok $2"; fi | record; }

finish() {
	local passed failed
	passed=$(grep -c '^ok ' "$results" || true)
	failed=$(grep -c '^not ok ' "$results" || true)
	if [ -s "$table" ]; then
		echo
		printf '%-26s %-14s %-8s %-44s %4s %4s %5s %s\n' scenario flavour kernel \
			"dma modes seen" ok fail boot verdict
		cat "$table"
	fi
	if [ -s "$runs" ]; then
		mapfile -t run_dirs < "$runs"
		"$S/safety.sh" "${run_dirs[@]}" > "$WORK/safety.md" || true
		[ -z "${SAFETY_TABLE:-}" ] || cp "$WORK/safety.md" "$SAFETY_TABLE"
		say "check: safety figures in $WORK/safety.md${SAFETY_TABLE:+ and $SAFETY_TABLE}"
	fi
	echo
	grep '^not ok ' "$results" | sed 's/^/FAILED: /' || true
	say "check: done"
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
}
trap 'rc=$?; trap - EXIT; finish || rc=1; exit $rc' EXIT

"$S/deps.sh"
rc=0; "$S/tree.sh" || rc=$?
test_line $rc "tree: series applies with git am"
[ $rc -eq 0 ] || exit 1

hygiene() { has_series && [ "${HYGIENE:-1}" = 1 ]; }
if hygiene; then
	"$S/checkpatch.sh" | record || true
fi

# The flavours the scenario matrix boots (configs/flavours also has the
# benchmark's).
mapfile -t flavours < <(awk '!/^#/ && NF { gsub(",", "\n", $2); print $2 }' "$TOP/scenarios.conf" | awk '!seen[$0]++')
built=()
for flavour in "${flavours[@]}"; do
	ok=1
	"$S/build.sh" "$flavour" base || ok=0
	test_line $((1 - ok)) "build: $flavour base"
	[ $ok = 1 ] || continue
	if hygiene && [ "$flavour" = x86_64 ]; then
		"$S/series-build.sh" "$flavour" | record || true
	fi
	"$S/build.sh" "$flavour" patched || ok=0
	test_line $((1 - ok)) "build: $flavour patched"
	[ $ok = 1 ] || continue
	built+=("$flavour")
	if hygiene && [ "$flavour" != x86_64 ]; then
		"$S/sparse.sh" "$flavour" | record || true
	fi
done

for arch in $(for f in "${flavours[@]}"; do awk -v f="$f" '$1 == f { print $2 }' "$TOP/configs/flavours"; done | sort -u); do
	for variant in base patched; do
		rc=0; "$S/initramfs.sh" "$arch" "$variant" || rc=$?
		test_line $rc "initramfs: $arch $variant"
	done
done

while read -r scenario flavour_list _; do
	[ -z "${SCENARIOS:-}" ] || [[ " $SCENARIOS " == *" $scenario "* ]] || continue
	for flavour in ${flavour_list//,/ }; do
		for variant in ${VARIANTS:-base patched}; do
			name="boot: $scenario $flavour $variant"
			if [[ " ${built[*]} " != *" $flavour "* ]]; then
				echo "not ok $name # kernel did not build" | record
				continue
			fi
			rc=0
			echo "$WORK/runs/$scenario-$flavour-$variant" >> "$runs"
			# The matrix is this loop's stdin: keep QEMU off it.
			"$S/boot.sh" "$scenario" "$flavour" "$variant" </dev/null &&
				"$S/judge.sh" "$WORK/runs/$scenario-$flavour-$variant" >> "$table" || rc=$?
			test_line $rc "$name"
		done
	done
done < <(grep -v '^#' "$TOP/scenarios.conf" | awk 'NF')
