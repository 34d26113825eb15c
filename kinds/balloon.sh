# shellcheck shell=bash
# balloon: the guest asks (console line) and the host inflates by 64 MiB
# through the QEMU monitor, then deflates.  Always legacy: the driver
# refuses VIRTIO_F_ACCESS_PLATFORM.  Free page reporting on, so that the
# guest can check that it is off where the balloon bounces.
BALLOON_MB=64
kind_qemu=(-device "virtio-balloon-$bus${props/,disable-legacy=on,iommu_platform=on/},free-page-reporting=on")
kind_devices=1
kind_checks=balloon
kind_append=harness.balloon=1
balloon_inflated=0 balloon_deflated=0
balloon_poll() {
	if [ $balloon_inflated = 0 ] && grep -q '^harness: balloon-inflate' "$run/console.log" 2>/dev/null; then
		echo "balloon $((MEM_MB - BALLOON_MB))" >&"$monitor"; balloon_inflated=1
	fi
	if [ $balloon_deflated = 0 ] && grep -q '^harness: balloon-deflate' "$run/console.log" 2>/dev/null; then
		echo "balloon $MEM_MB" >&"$monitor"; balloon_deflated=1
	fi
}
