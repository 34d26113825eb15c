#!/usr/bin/env bash
# Stage: KUnit the way kernel developers run it, on UML (kunit.py's
# default arch), from the patched tree, in its own build folder:
#   kunit-uml:       kunit.py run --kunitconfig=drivers/virtio
#                    (UML with its PCI emulation: a DMA API)
# UML without a DMA API (NO_DMA, as virtio_uml devices have it) runs the
# same suites in the um-nodma guest (check-kunit), not here again.
# Prints "ok"/"not ok" per test case ("kunit-uml SUITE.CASE", skips as
# "# SKIP"); exit 1 if a case failed, kunit.py failed or ran nothing.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need python3 make gcc ccache

ref=$(variant_ref patched)
git -C "$TREE" cat-file -e "$ref:drivers/virtio/.kunitconfig" 2>/dev/null ||
	{ echo "not ok kunit-uml # the series has no drivers/virtio/.kunitconfig"; exit 1; }
git -C "$TREE" checkout -q -f --detach "$ref"

# run_kunit NAME KUNITCONFIG: one kunit.py run, its cases as test lines.
run_kunit() {
	local name=$1 kunitconfig=$2 out=$BUILDS/$1 log=$LOGS/$1.log raw=$LOGS/$1.ktap rc=0
	mkdir -p "$out"
	: > "$log"
	(cd "$TREE" && run_logged "$name" "$log" ./tools/testing/kunit/kunit.py run \
		--kunitconfig="$kunitconfig" --build_dir="$out" --jobs="$(nproc)" --timeout=600 \
		--make_options CC="ccache gcc" --raw_output=kunit) || rc=$?
	# kunit.py --raw_output=kunit prints the kernel's KTAP: take each test case.
	sed -n '/^KTAP version\|^TAP version/,$p' "$log" | awk -v name="$name" '
		/^ *# Subtest: / { suite = $3 }
		/^ +(not )?ok [0-9]+ / {
			line = $0; sub(/^ +/, "", line)
			status = (line ~ /^not ok/) ? "not ok" : "ok"
			sub(/^(not )?ok [0-9]+ /, "", line)
			case_name = line; sub(/ #.*/, "", case_name)
			skip = (line ~ /# SKIP/) ? " # SKIP" : ""
			print status " " name " " suite "." case_name skip; n++ }
		END { if (!n) print "not ok " name " # no test ran" }' | tee "$raw"
	[ "$rc" = 0 ] || { echo "not ok $name # kunit.py exited $rc, see $log"; return 1; }
	! grep -q '^not ok' "$raw"
}

failed=0
run_kunit kunit-uml drivers/virtio || failed=1
exit $failed
