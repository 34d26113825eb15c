#!/usr/bin/env bash
# Stage: hygiene, documentation.  make htmldocs SPHINXDIRS=driver-api/virtio
# on the patched tree (the series' page and the kernel-doc it pulls in),
# in a build folder of its own.  Any Sphinx or kernel-doc warning fails,
# except Sphinx's note that graphviz is not installed.  Prints "ok"/"not ok".
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need make sphinx-build

out=$BUILDS/htmldocs
log=$LOGS/htmldocs.log
git -C "$TREE" checkout -q -f --detach "$(variant_ref patched)"
rc=0
make -C "$TREE" O="$out" htmldocs SPHINXDIRS=driver-api/virtio >"$log" 2>&1 || rc=$?
warnings=$(grep -E 'WARNING|ERROR|[Ww]arning:' "$log" | grep -v 'dot(1) not found' || true)
if [ "$rc" != 0 ] || [ -n "$warnings" ]; then
	printf '%s\n' "$warnings" | head -10 >&2
	echo "not ok htmldocs driver-api/virtio # exit $rc, $(printf '%s' "$warnings" | grep -c . || true) warnings, see $log"
	exit 1
fi
echo "ok htmldocs driver-api/virtio"
