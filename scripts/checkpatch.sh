#!/usr/bin/env bash
# Stage: hygiene, checkpatch. Runs the tree's scripts/checkpatch.pl with the
# options in scripts/checkpatch-config on every patch of the series.
# Prints "ok"/"not ok" per patch; exit 1 if any patch has a finding.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need perl
[ -x "$TREE/scripts/checkpatch.pl" ] || die "no tree: run scripts/tree.sh"

mapfile -t opts < <(grep -v '^#' "$TOP/scripts/checkpatch-config")
rc=0
mkdir -p "$WORK/hygiene"
for patch in $(series_patches); do
	name=$(basename "$patch")
	report=$WORK/hygiene/checkpatch-${name%.patch}.txt
	# checkpatch reads its spelling and const-struct lists from the tree.
	# spdxcheck.py wants the distribution python3 (python3-ply), not a pyenv one.
	if (cd "$TREE" && PATH=/usr/bin:$PATH ./scripts/checkpatch.pl "${opts[@]}" "$patch") >"$report" 2>&1 &&
		! grep -qE '^(ERROR|WARNING|CHECK):' "$report"; then
		echo "ok checkpatch $name"
	else
		echo "not ok checkpatch $name"
		sed 's/^/    /' "$report" | head -30 >&2
		rc=1
	fi
done
exit $rc
