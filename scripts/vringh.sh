#!/usr/bin/env bash
# Stage: tools/virtio.  Builds vringh_test from the patched tree (the
# series keeps tools/virtio building against its virtio_ring.c) and runs
# it plain, --indirect, --eventidx, --virtio-1 and --parallel.  Prints
# "ok"/"not ok" per run; exit 1 if any failed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need make gcc git tar

ref=$(variant_ref "${1:-patched}")
src=$WORK/vringh
rm -rf "$src"
mkdir -p "$src"
# An export of the files it builds from, so that the tree stays clean.
git -C "$TREE" archive "$ref" tools/virtio tools/include include drivers/virtio \
	drivers/vhost usr/include | tar -x -C "$src"
log=$LOGS/vringh.log
if ! make -C "$src/tools/virtio" vringh_test >"$log" 2>&1; then
	grep -E 'error|Error' "$log" | head -10 >&2
	echo "not ok vringh_test build # see $log"
	exit 1
fi
echo "ok vringh_test build"
rc=0
for opt in "" --indirect --eventidx --virtio-1 --parallel; do
	name="vringh_test${opt:+ $opt}"
	if timeout 300 "$src/tools/virtio/vringh_test" $opt >>"$log" 2>&1; then
		echo "ok $name"
	else
		echo "not ok $name # exit $?, see $log"
		rc=1
	fi
done
exit $rc
