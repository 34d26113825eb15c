#!/usr/bin/env bash
# The whole check (make check): series hygiene, base and patched kernels
# of every flavour, every scenario of scenarios.conf booted and judged.
# Ends with the result table and one line "N passed, N failed"; writes
# every result as KTAP to work/results.ktap (kunit.py parse reads it).
#   SCENARIOS="a b" and FLAVOURS="x y" limit the boots (and so the kernels
#   built) to those, VARIANTS=patched to the patched kernels, HYGIENE=0
#   leaves out checkpatch, sparse and the per-patch builds, JOBS=N boots
#   up to N guests at once (default: the number of CPUs).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
S=$TOP/scripts
JOBS=${JOBS:-$(nproc)}
[[ $JOBS =~ ^[1-9][0-9]*$ ]] || die "JOBS=$JOBS: give a number of guests, 1 or more"
results=$WORK/results.txt      # one entry per line: a test, or a group
table=$WORK/table.txt
runs=$WORK/runs.txt
stages=$WORK/stages.txt
ktap=$WORK/results.ktap
: > "$results"
: > "$table"
: > "$runs"
: > "$stages"
rm -f "$WORK"/runs/.accel-* "$WORK"/groups/*
mkdir -p "$WORK/groups"

# A test: "ok NAME" or "not ok NAME # reason".  A group: "group<TAB>FILE
# <TAB>NAME", FILE holding its tests (a KTAP subtest).
record() { tee -a "$results"; }
test_line() { if [ "$1" = 0 ]; then echo "ok $2"; else echo "not ok $2"; fi | record; }
group() { printf 'group\t%s\t%s\n' "$2" "$1" >> "$results"; }
# A stage that failed without saying which test failed fails in its group.
stage_failed() { grep -q '^not ok ' "$3" || echo "not ok $2 # exited $1, see its output above" >> "$3"; }
stage_start=$(date +%s)
stage() { echo "$1 $(( $(date +%s) - stage_start ))s" >> "$stages"; stage_start=$(date +%s); }

# Every leaf test, in order: "ok" (passed), "not ok" (failed), or with
# "# SKIP" (skipped), as kunit.py counts them.
# A group without results is one failed test.
leaves() {
	local line file name
	while IFS= read -r line; do
		case $line in
		group$'\t'*)
			IFS=$'\t' read -r _ file name <<<"$line"
			grep -E '^(not )?ok ' "$file" || echo "not ok $name # no results" ;;
		*) echo "$line" ;;
		esac
	done < "$results" | grep -E '^(not )?ok '
}

# Diagnostics must not contain what kunit.py takes for the end of KTAP.
ktap_diag() {
	sed -e 's/Kernel panic - not syncing: VFS:/Kernel panic - not syncing (VFS)/' \
		-e 's/List of all partitions:/List of all partitions/' \
		-e 's/reboot: System halted/reboot (System halted)/' <<<"    # $1"
}

write_ktap() {
	local entry file name n=0 i line status
	echo "KTAP version 1"
	echo "1..$(wc -l < "$results")"
	while IFS= read -r entry; do
		n=$((n + 1))
		case $entry in
		group$'\t'*) IFS=$'\t' read -r _ file name <<<"$entry" ;;
		"not ok "*) echo "not ok $n ${entry#not ok }"; continue ;;
		*) echo "ok $n ${entry#ok }"; continue ;;
		esac
		if ! grep -qE '^(not )?ok ' "$file"; then
			echo "not ok $n $name # no results"
			continue
		fi
		echo "    KTAP version 1"
		echo "    # Subtest: $name"
		echo "    1..$(grep -cE '^(not )?ok ' "$file")"
		i=0
		while IFS= read -r line; do
			case $line in
			"ok "*) i=$((i + 1)); echo "    ok $i ${line#ok }" ;;
			"not ok "*) i=$((i + 1)); echo "    not ok $i ${line#not ok }" ;;
			*) ktap_diag "${line#\# }" ;;
			esac
		done < "$file"
		status=ok
		! grep -q '^not ok ' "$file" || status="not ok"
		echo "$status $n $name"
	done < "$results"
}

# A count in kunit.py's summary ("Ran 9 tests: passed: 8, failed: 1"),
# which leaves out the zero ones.
count_of() { local n; n=$(sed -n "s/.*[ :]$1: \([0-9]*\).*/\1/p" <<<"$parsed"); echo "${n:-0}"; }

finish() {
	local passed failed skipped
	set +e
	skipped=$(leaves | grep -c ' # SKIP')
	passed=$(leaves | grep -v ' # SKIP' | grep -c '^ok ')
	failed=$(leaves | grep -v ' # SKIP' | grep -c '^not ok ')
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
	write_ktap > "$ktap"
	# The kernel's own KTAP parser must count what we count.
	if [ -s "$results" ] && [ -x "$TREE/tools/testing/kunit/kunit.py" ]; then
		parsed=$(cd "$TREE" && PATH=/usr/bin:$PATH python3 tools/testing/kunit/kunit.py parse "$ktap" 2>&1 |
			sed -n 's/.*Testing complete\. //p' | sed 's/\x1b\[[0-9;]*m//g' | tail -1)
		say "check: $ktap: kunit.py parse: ${parsed:-no summary}"
		if [ "$(count_of passed)" != "$passed" ] || [ "$(count_of failed)" != "$failed" ] ||
			[ "$(count_of skipped)" != "$skipped" ] || [ "$(count_of crashed)$(count_of errors)" != 00 ]; then
			echo "not ok results.ktap: kunit.py parse counts as we do # it says '${parsed:-nothing}', we $passed passed, $failed failed" | record
			failed=$((failed + 1))
		fi
	fi
	[ ! -s "$stages" ] || say "check: stage times: $(paste -sd, "$stages" | sed 's/,/, /g')"
	echo
	leaves | grep '^not ok ' | grep -v ' # SKIP' | sed 's/^/FAILED: /'
	# CI keeps only the output's tail: the failed guests' problems (their
	# splat lines among them) and console tails, as judge.sh found them.
	[ ! -s "$runs" ] || while read -r run; do
		[ "$(cat "$run/verdict" 2>/dev/null)" != FAIL ] || cat "$run/problems"
	done < "$runs"
	say "check: done"
	echo "$passed passed, $failed failed$([ "$skipped" = 0 ] || echo ", $skipped skipped")"
	[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
}
# Stop the guests still running (a job, its boot.sh, QEMU) before the
# results are summed up.
kill_tree() { local child; for child in $(pgrep -P "$1"); do kill_tree "$child"; done; kill "$1" 2>/dev/null || true; }
trap 'rc=$?; trap - EXIT; for job in $(jobs -p); do kill_tree "$job"; done; wait; finish || rc=1; exit $rc' EXIT

# The matrix to boot: "scenario flavour" pairs, limited by SCENARIOS and
# FLAVOURS; the kernels to build are the flavours it names.
mapfile -t matrix < <(grep -v '^#' "$TOP/scenarios.conf" | awk 'NF { n = split($2, f, ","); for (i = 1; i <= n; i++) print $1, f[i] }')
for name in ${SCENARIOS:-}; do
	[[ " ${matrix[*]%% *} " == *" $name "* ]] || die "SCENARIOS: no scenario '$name' in scenarios.conf"
done
for name in ${FLAVOURS:-}; do
	flavour_arch "$name" >/dev/null
done
selected=()
for entry in "${matrix[@]}"; do
	read -r scenario flavour <<<"$entry"
	[ -z "${SCENARIOS:-}" ] || [[ " $SCENARIOS " == *" $scenario "* ]] || continue
	[ -z "${FLAVOURS:-}" ] || [[ " $FLAVOURS " == *" $flavour "* ]] || continue
	selected+=("$entry")
done
[ ${#selected[@]} -gt 0 ] || die "SCENARIOS='${SCENARIOS:-}' FLAVOURS='${FLAVOURS:-}' select no boot"
mapfile -t flavours < <(printf '%s\n' "${selected[@]}" | awk '!seen[$2]++ { print $2 }')
mapfile -t arches < <(for f in "${flavours[@]}"; do flavour_arch "$f"; done | awk '!seen[$0]++')
say "check: ${#selected[@]} scenario/flavour pairs, flavours ${flavours[*]}, up to $JOBS guests at once"

"$S/deps.sh" --arches "${arches[*]}"
stage deps
rc=0; "$S/tree.sh" || rc=$?
test_line $rc "tree: series applies with git am"
stage tree
[ $rc -eq 0 ] || exit 1

hygiene() { has_series && [ "${HYGIENE:-1}" = 1 ]; }
if hygiene; then
	rc=0; "$S/checkpatch.sh" > "$WORK/groups/checkpatch" || rc=$?
	[ $rc = 0 ] || stage_failed $rc checkpatch.sh "$WORK/groups/checkpatch"
	group checkpatch "$WORK/groups/checkpatch"
	rc=0; "$S/b4-check.sh" > "$WORK/groups/b4" || rc=$?
	[ $rc = 0 ] || stage_failed $rc b4-check.sh "$WORK/groups/b4"
	group mail "$WORK/groups/b4"
	rc=0; "$S/htmldocs.sh" > "$WORK/groups/htmldocs" || rc=$?
	[ $rc = 0 ] || stage_failed $rc htmldocs.sh "$WORK/groups/htmldocs"
	group htmldocs "$WORK/groups/htmldocs"
	stage checkpatch
fi
# tools/virtio's vringh_test on the patched tree (it builds in seconds).
if has_series; then
	rc=0; "$S/vringh.sh" > "$WORK/groups/vringh" || rc=$?
	[ $rc = 0 ] || stage_failed $rc vringh.sh "$WORK/groups/vringh"
	group tools-virtio "$WORK/groups/vringh"
	stage tools-virtio
fi

# Each flavour: base, its hygiene stage (configs/flavours), patched.  The
# base kernel only where it boots or the hygiene compares with it.
built=()
for flavour in "${flavours[@]}"; do
	ok=1
	checks=$(awk -v f="$flavour" '$1 == f { print $3 }' "$TOP/configs/flavours")
	if hygiene || [[ " ${VARIANTS:-base patched} " == *" base "* ]]; then
		"$S/build.sh" "$flavour" base || ok=0
		test_line $((1 - ok)) "build: $flavour base"
		[ $ok = 1 ] || continue
	fi
	if hygiene && [[ ",$checks," == *,series,* || ",$checks," == *,series-arch,* ]]; then
		which=all
		[[ ",$checks," == *,series,* ]] || which=arch
		rc=0; "$S/series-build.sh" "$flavour" "$which" > "$WORK/groups/series-build-$flavour" || rc=$?
		[ $rc = 0 ] || stage_failed $rc series-build.sh "$WORK/groups/series-build-$flavour"
		group "series-build $flavour" "$WORK/groups/series-build-$flavour"
	fi
	"$S/build.sh" "$flavour" patched || ok=0
	test_line $((1 - ok)) "build: $flavour patched"
	[ $ok = 1 ] || continue
	built+=("$flavour")
	if hygiene && [[ ",$checks," == *,sparse,* ]]; then
		"$S/sparse.sh" "$flavour" | record || true
	fi
done
stage builds

# KUnit as kernel developers run it: kunit.py on UML (KUNIT_UML=0: not).
if has_series && [ "${KUNIT_UML:-1}" = 1 ]; then
	rc=0; "$S/kunit-uml.sh" > "$WORK/groups/kunit-uml" || rc=$?
	[ $rc = 0 ] || stage_failed $rc kunit-uml.sh "$WORK/groups/kunit-uml"
	group kunit-uml "$WORK/groups/kunit-uml"
	stage kunit-uml
fi

for arch in "${arches[@]}"; do
	for variant in base patched; do
		rc=0; "$S/initramfs.sh" "$arch" "$variant" || rc=$?
		test_line $rc "initramfs: $arch $variant"
	done
done
stage initramfs

# One boot: boot.sh then judge.sh, logs in work/runs/NAME.log; leaves
# work/runs/NAME.row (table row).  The judge's results (RUNDIR/results)
# become the boot's KTAP subtest.
boot_one() {
	local scenario=$1 flavour=$2 variant=$3 name=$1-$2-$3
	local run=$WORK/runs/$name log=$WORK/runs/$name.log
	: > "$log"
	# stdin is not QEMU's: keep it off the terminal and the matrix.
	if "$S/boot.sh" "$scenario" "$flavour" "$variant" </dev/null 2> >(tee -a "$log" >&2); then
		"$S/judge.sh" "$run" > "$WORK/runs/$name.row" 2> >(tee -a "$log" >&2) || true
	else
		echo "not ok judge # boot.sh failed, see $log" > "$WORK/runs/$name.failed"
	fi
}

boots=()
for entry in "${selected[@]}"; do
	read -r scenario flavour <<<"$entry"
	for variant in ${VARIANTS:-base patched}; do
		name=$scenario-$flavour-$variant
		rm -f "$WORK/runs/$name.row" "$WORK/runs/$name.failed" "$WORK/runs/$name/results"
		boots+=("$scenario $flavour $variant")
		[[ " ${built[*]} " == *" $flavour "* ]] || continue
		while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n || true; done
		boot_one "$scenario" "$flavour" "$variant" &
	done
done
wait
stage "boots (JOBS=$JOBS)"

# Results in matrix order, whatever order the guests finished in.
for entry in "${boots[@]}"; do
	read -r scenario flavour variant <<<"$entry"
	name=$scenario-$flavour-$variant run=$WORK/runs/$name
	file=$WORK/groups/boot-$name
	if [[ " ${built[*]} " != *" $flavour "* ]]; then
		echo "not ok judge # kernel did not build" > "$file"
	elif [ -f "$WORK/runs/$name.failed" ]; then
		cp "$WORK/runs/$name.failed" "$file"
	elif [ -s "$run/results" ]; then
		cp "$run/results" "$file"
		echo "$run" >> "$runs"
		cat "$WORK/runs/$name.row" >> "$table"
	else
		echo "not ok judge # judge.sh left no results, see $WORK/runs/$name.log" > "$file"
	fi
	group "boot: $scenario $flavour $variant" "$file"
	if grep -q '^not ok ' "$file"; then echo "not ok boot: $scenario $flavour $variant"
	else echo "ok boot: $scenario $flavour $variant"; fi
done
