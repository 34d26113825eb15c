#!/usr/bin/env bash
# The main job (make run): apply the series, build one kernel, boot one
# guest with every kind of virtio device, and show each device's DMA mode
# and the verified I/O.  The kernel is a plain (non-debug) one:
# x86_64-dmaops, as distributions build x86_64 (per-device DMA ops).
#   RUN_SCENARIO / RUN_FLAVOUR choose another guest from scenarios.conf;
#   LINUX= and PATCHES= as for make check.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
S=$TOP/scripts
scenario=${RUN_SCENARIO:-q35-legacy}
flavour=${RUN_FLAVOUR:-x86_64-dmaops}
arch=$(flavour_arch "$flavour")
rm -f "$WORK"/runs/.accel-*

"$S/deps.sh" --arches "$arch"
"$S/tree.sh"
[ -f "$IMAGES/$flavour-patched/commit" ] ||
	say "run: first build of $flavour: 6 to 12 minutes on 2 cores with an empty ccache (measured 386 s and 731 s), about a minute with a warm one"
"$S/build.sh" "$flavour" patched
"$S/initramfs.sh" "$arch" patched
exec "$S/boot-one.sh" "$scenario" "$flavour" patched
