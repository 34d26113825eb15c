// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio-gpu check: a dumb buffer holding a pattern is put on the
 * scanout, and the host takes a screendump of it (kinds/gpu.sh) that
 * judge.sh compares with the pattern.  The host reads the buffer's
 * backing pages at the addresses the driver handed it, so where the
 * virtio device reports a DMA mode of its own (direct or swiotlb), the
 * dma_map_sg trace events must show all of them mapped on that device.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <drm.h>
#include <drm_mode.h>

#include "lib.h"
#include "checks.h"
#include "pattern.h"

#define GPU_CARD "/dev/dri/card0"
#define GPU_MARKER "harness-gpu-create"
#define GPU_SEED 0x69D0ULL
/* How long the frame stays up for the host's screendump. */
#define GPU_SHOW_MS 5000

static int drm_ioctl(int fd, unsigned long request, void *arg)
{
	int ret;

	do {
		ret = ioctl(fd, request, arg);
	} while (ret < 0 && (errno == EINTR || errno == EAGAIN));
	return ret;
}

/* The first connected connector, its preferred mode and a CRTC. */
static int gpu_pick_output(int fd, uint32_t *connector, uint32_t *crtc,
			   struct drm_mode_modeinfo *mode)
{
	struct drm_mode_modeinfo modes[64];
	struct drm_mode_card_res res = { 0 };
	struct drm_mode_get_connector conn;
	uint32_t conns[16], crtcs[16];
	unsigned int i, m;

	if (drm_ioctl(fd, DRM_IOCTL_MODE_GETRESOURCES, &res))
		return fail("DRM_IOCTL_MODE_GETRESOURCES: %s", strerror(errno));
	if (!res.count_connectors || !res.count_crtcs ||
	    res.count_connectors > 16 || res.count_crtcs > 16)
		return fail("%u connectors, %u CRTCs", res.count_connectors,
			    res.count_crtcs);
	res.connector_id_ptr = (uintptr_t)conns;
	res.crtc_id_ptr = (uintptr_t)crtcs;
	res.count_fbs = res.count_encoders = 0;
	if (drm_ioctl(fd, DRM_IOCTL_MODE_GETRESOURCES, &res))
		return fail("DRM_IOCTL_MODE_GETRESOURCES: %s", strerror(errno));
	for (i = 0; i < res.count_connectors; i++) {
		memset(&conn, 0, sizeof(conn));
		conn.connector_id = conns[i];
		if (drm_ioctl(fd, DRM_IOCTL_MODE_GETCONNECTOR, &conn))
			return fail("DRM_IOCTL_MODE_GETCONNECTOR: %s", strerror(errno));
		if (conn.connection != 1 || !conn.count_modes)
			continue;
		if (conn.count_modes > 64)
			conn.count_modes = 64;
		conn.modes_ptr = (uintptr_t)modes;
		conn.count_props = conn.count_encoders = 0;
		if (drm_ioctl(fd, DRM_IOCTL_MODE_GETCONNECTOR, &conn))
			return fail("DRM_IOCTL_MODE_GETCONNECTOR: %s", strerror(errno));
		for (m = 0; m < conn.count_modes; m++)
			if (modes[m].type & DRM_MODE_TYPE_PREFERRED)
				break;
		*mode = modes[m < conn.count_modes ? m : 0];
		*connector = conns[i];
		*crtc = crtcs[0];
		return 1;
	}
	return fail("no connected connector with a mode");
}

static int gpu_show(int fd, uint32_t connector, uint32_t crtc_id,
		    struct drm_mode_modeinfo *mode, const char *dev)
{
	struct drm_mode_create_dumb dumb = {
		.width = mode->hdisplay, .height = mode->vdisplay, .bpp = 32,
	};
	struct drm_mode_map_dumb map = { 0 };
	struct drm_mode_fb_cmd fb = { 0 };
	struct drm_mode_crtc crtc = { 0 };
	struct drm_mode_fb_dirty_cmd dirty = { 0 };
	long long mapped;
	void *pixels;

	write_text(TRACEFS "/trace_marker", GPU_MARKER);
	if (drm_ioctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &dumb))
		return fail("DRM_IOCTL_MODE_CREATE_DUMB %ux%u: %s", dumb.width,
			    dumb.height, strerror(errno));
	mapped = dev[0] ? dma_traced_sg_bytes(dev, GPU_MARKER) : 0;
	if (dev[0])
		printf("# gpu: %ux%u dumb buffer, %llu bytes, %lld mapped on %s\n",
		       dumb.width, dumb.height, (unsigned long long)dumb.size,
		       mapped, dev);
	else
		printf("# gpu: %ux%u dumb buffer, %llu bytes (no DMA mode of the device's own: not audited)\n",
		       dumb.width, dumb.height, (unsigned long long)dumb.size);
	if (dumb.pitch != dumb.width * 4)
		return fail("pitch %u for width %u: the host's check assumes %u",
			    dumb.pitch, dumb.width, dumb.width * 4);
	if (dev[0] && mapped < (long long)dumb.size)
		return fail("%s: %lld of the %llu backing bytes mapped through the DMA API on it",
			    dev, mapped, (unsigned long long)dumb.size);
	map.handle = dumb.handle;
	if (drm_ioctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &map))
		return fail("DRM_IOCTL_MODE_MAP_DUMB: %s", strerror(errno));
	pixels = mmap(NULL, dumb.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		      map.offset);
	if (pixels == MAP_FAILED)
		return fail("mmap of the dumb buffer: %s", strerror(errno));
	pattern_fill(pixels, dumb.size, GPU_SEED);
	fb.width = dumb.width;
	fb.height = dumb.height;
	fb.pitch = dumb.pitch;
	fb.bpp = 32;
	fb.depth = 24;
	fb.handle = dumb.handle;
	if (drm_ioctl(fd, DRM_IOCTL_MODE_ADDFB, &fb))
		return fail("DRM_IOCTL_MODE_ADDFB: %s", strerror(errno));
	crtc.crtc_id = crtc_id;
	crtc.fb_id = fb.fb_id;
	crtc.set_connectors_ptr = (uintptr_t)&connector;
	crtc.count_connectors = 1;
	crtc.mode = *mode;
	crtc.mode_valid = 1;
	if (drm_ioctl(fd, DRM_IOCTL_MODE_SETCRTC, &crtc))
		return fail("DRM_IOCTL_MODE_SETCRTC: %s", strerror(errno));
	/* The whole frame again, through the driver's dirty path. */
	dirty.fb_id = fb.fb_id;
	if (drm_ioctl(fd, DRM_IOCTL_MODE_DIRTYFB, &dirty))
		return fail("DRM_IOCTL_MODE_DIRTYFB: %s", strerror(errno));
	printf("harness: gpu-scanout %ux%u seed=%#llx\n", dumb.width,
	       dumb.height, GPU_SEED);
	sleep_ms(GPU_SHOW_MS);
	return 1;
}

/*
 * A 64x64 dumb buffer on an open DRM file, for check-rebind.c: it keeps
 * the object, and its mapping on the virtio device, alive across the
 * unbind, which must undo the mapping; freeing it afterwards must not.
 * Returns the file (close() frees the buffer), -1 after fail().
 */
int gpu_hold_buffer(void)
{
	struct drm_mode_create_dumb dumb = { .width = 64, .height = 64, .bpp = 32 };
	int fd = open(GPU_CARD, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		fail("open " GPU_CARD ": %s", strerror(errno));
		return -1;
	}
	if (drm_ioctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &dumb)) {
		fail("DRM_IOCTL_MODE_CREATE_DUMB 64x64: %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int check_gpu(const void *arg)
{
	struct drm_mode_modeinfo mode;
	uint32_t connector, crtc;
	char text[160], dma_mode[16] = "";
	const char *dev = "";
	int i, fd, ok;

	(void)arg;
	i = find_device_id(VIRTIO_ID_GPU);
	if (i < 0)
		return fail("no virtio-gpu device");
	virtio_dma_mode(virtio_devs[i].name, text, sizeof(text));
	sscanf(text, " dma_mode=%15s", dma_mode);
	/* Only the series maps on the virtio device itself. */
	if (!strcmp(dma_mode, "direct") || !strcmp(dma_mode, "swiotlb")) {
		if (!dma_trace_on)
			return fail("%s: no dma trace events to see its mappings",
				    virtio_devs[i].name);
		dev = virtio_devs[i].name;
	}
	fd = open(GPU_CARD, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return fail("open " GPU_CARD ": %s", strerror(errno));
	ok = gpu_pick_output(fd, &connector, &crtc, &mode) &&
	     gpu_show(fd, connector, crtc, &mode, dev);
	close(fd);
	return ok;
}
