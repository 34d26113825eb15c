#!/usr/bin/env bash
# Stage: initramfs. scripts/initramfs.sh ARCH VARIANT
# Builds work/images/initramfs-ARCH-VARIANT.cpio (uncompressed, so the
# kernel needs no decompressor): our static init and benchmark, a
# static busybox for /bin/sh, and the series' virtio kselftest (taken from
# branch VARIANT of the tree) when the series ships one.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need make cpio git

arch=${1:?usage: initramfs.sh ARCH base|patched}
variant=${2:?usage: initramfs.sh ARCH base|patched}
out=$IMAGES/initramfs-$arch-$variant.cpio
stage=$WORK/initramfs/$arch-$variant
cache=$WORK/cache

load_record arches "$arch"
make -s -C "$TOP/guest" ARCH="$arch" GUEST_CC="${arch_cross}gcc" O="$WORK/guest" >/dev/null ||
	die "guest programs for $arch did not build"

# A static busybox of the guest's architecture (the arch record names the
# Debian package): the host's own (deps.sh installs busybox-static) when
# the guest's arch is the host's, else downloaded once with a private apt
# state, so the host's own packages stay as they are.
busybox_for() {
	local debarch=${arch_busybox#*:} dir=$cache/${arch_busybox/:/-}
	if [ "$debarch" = "$(dpkg --print-architecture)" ] && [ -x /bin/busybox ] &&
		dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed'; then
		echo /bin/busybox
		return
	fi
	if [ ! -x "$dir/bin/busybox" ]; then
		local deb
		deb=$(debian_download "${arch_busybox%%:*}" "$debarch")
		mkdir -p "$dir"
		dpkg -x "$deb" "$dir"
	fi
	echo "$dir/bin/busybox"
}

rm -rf "$stage"
mkdir -p "$stage"/{bin,dev,proc,sys,tmp,selftests}
cp "$WORK/guest/init-$arch" "$stage/init"
[ ! -f "$WORK/guest/bench-$arch" ] || cp "$WORK/guest/bench-$arch" "$stage/bench"
cp "$(busybox_for "$arch")" "$stage/bin/busybox"
ln -s busybox "$stage/bin/sh"
# The kernel opens /dev/console before init runs.
mknod -m 600 "$stage/dev/console" c 5 1 2>/dev/null ||
	say "initramfs: cannot mknod /dev/console (not root?); init reopens it later"

ref=$(variant_ref "$variant")
if git -C "$TREE" cat-file -e "$ref:tools/testing/selftests/virtio" 2>/dev/null; then
	git -C "$TREE" archive "$ref" tools/testing/selftests/virtio \
		tools/testing/selftests/kselftest/ktap_helpers.sh |
		tar -x -C "$stage/selftests" --strip-components=3
	cat > "$stage/selftests/run_virtio.sh" <<'SH'
#!/bin/sh
# Runs every TEST_PROGS script of the virtio kselftest; fails if one fails.
cd /selftests/virtio || exit 1
rc=0
for t in $(sed -n 's/^TEST_PROGS *[:+]*= *//p' Makefile); do
	echo "# selftest: $t"
	# Its KTAP output nests inside init's: indent it as diagnostics.
	{ sh "./$t" 2>&1; echo $? > /tmp/selftest.rc; } | sed 's/^/# /'
	[ "$(cat /tmp/selftest.rc)" = 0 ] || rc=1
done
exit $rc
SH
fi

(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) > "$out.tmp"
mv "$out.tmp" "$out"
say "initramfs: $arch $variant -> $(basename "$out") ($(du -k "$out" | cut -f1) KiB)"
