#!/usr/bin/env bash
# Stage: hygiene, mail.  The series as maintainers get it: an mbox of the
# cover letter and the patches, which b4 (Debian's b4) must take apart
# into a git-am-ready series with every patch and the cover letter.
# Prints "ok"/"not ok"; exit 1 on failure.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need b4

n=$(series_patches | wc -l)
cover=$(find "$PATCHES" -maxdepth 1 \( -name '0000-*.patch' -o -name 'v*-0000-*.patch' \) | head -1)
[ -n "$cover" ] || { echo "not ok b4 am # no cover letter (0000-*.patch) in $PATCHES"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/out"
cat "$cover" $(series_patches) > "$tmp/series.mbox"
log=$LOGS/b4.log
if ! (cd "$tmp" && timeout 120 b4 --offline-mode am -m series.mbox -o out) >"$log" 2>&1; then
	tail -5 "$log" >&2
	echo "not ok b4 am # b4 failed, see $log"
	exit 1
fi
got=$(sed -n 's/^Total patches: \([0-9]*\)$/\1/p' "$log")
if [ "$got" != "$n" ] || ! ls "$tmp"/out/*.cover >/dev/null 2>&1; then
	echo "not ok b4 am # b4 found ${got:-no} patches (and no cover letter?), the series has $n, see $log"
	exit 1
fi
echo "ok b4 am ($n patches and the cover letter)"
