#!/usr/bin/env bash
# Stage: KUnit the way kernel developers run it:
#   tools/testing/kunit/kunit.py run --kunitconfig=drivers/virtio
# on UML (kunit.py's default arch), from the patched tree, in its own
# build folder.  Prints "ok"/"not ok" per test case ("kunit-uml SUITE.CASE",
# skips as "# SKIP"); exit 1 if kunit.py failed or ran nothing.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need python3 make gcc ccache

ref=$(variant_ref patched)
[ -f "$TREE/drivers/virtio/.kunitconfig" ] || git -C "$TREE" cat-file -e "$ref:drivers/virtio/.kunitconfig" 2>/dev/null ||
	{ echo "not ok kunit-uml # the series has no drivers/virtio/.kunitconfig"; exit 1; }
out=$BUILDS/um-kunit
log=$LOGS/kunit-uml.log
raw=$LOGS/kunit-uml.ktap
mkdir -p "$out"
: > "$log"
git -C "$TREE" checkout -q -f --detach "$ref"
rc=0
(cd "$TREE" && run_logged "kunit-uml" "$log" ./tools/testing/kunit/kunit.py run \
	--kunitconfig=drivers/virtio --build_dir="$out" --jobs="$(nproc)" --timeout=600 \
	--make_options CC="ccache gcc" --raw_output=kunit) || rc=$?
# kunit.py --raw_output=kunit prints the kernel's KTAP: take each test case.
sed -n '/^KTAP version\|^TAP version/,$p' "$log" | awk '
	/^ *# Subtest: / { suite = $3 }
	/^ +(not )?ok [0-9]+ / {
		line = $0; sub(/^ +/, "", line)
		status = (line ~ /^not ok/) ? "not ok" : "ok"
		sub(/^(not )?ok [0-9]+ /, "", line)
		name = line; sub(/ #.*/, "", name)
		skip = (line ~ /# SKIP/) ? " # SKIP" : ""
		print status " kunit-uml " suite "." name skip; n++ }
	END { if (!n) print "not ok kunit-uml # no test ran" }' | tee "$raw"
grep -q '^not ok' "$raw" && exit 1
[ "$rc" = 0 ] || { echo "not ok kunit-uml # kunit.py exited $rc, see $log"; exit 1; }
exit 0
