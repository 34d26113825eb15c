// SPDX-License-Identifier: GPL-2.0
/*
 * Unbind and bind again: every virtio driver is unbound from its device
 * and bound back, harness.rebind times (default 5).  Each unbind runs the
 * driver's remove and the virtio core's DMA teardown, each bind its probe
 * and the DMA setup.  The devices must come back with their drivers and
 * the DMA modes they had, and the disks and NICs must still verify.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib.h"
#include "checks.h"

#define VIRTIO_DRIVERS "/sys/bus/virtio/drivers"

static int driver_write(const char *driver, const char *what, const char *dev)
{
	char path[NAME_LEN * 2 + 64];

	snprintf(path, sizeof(path), VIRTIO_DRIVERS "/%s/%s", driver, what);
	if (write_text(path, dev))
		return fail("%s %s from %s: %s", what, dev, driver, strerror(errno));
	return 1;
}

static int rebind_rounds(int count, char (*before)[160], char (*driver)[NAME_LEN])
{
	char after[160];
	unsigned int round;
	int i;

	for (round = 0; round < cfg.rebind; round++) {
		for (i = 0; i < count; i++) {
			if (!driver[i][0])
				continue;
			if (driver_write(driver[i], "unbind", virtio_devs[i].name) != 1 ||
			    driver_write(driver[i], "bind", virtio_devs[i].name) != 1)
				return 0;
		}
		wait_virtio_settled();
		scan_virtio_devices();
		if (num_virtio != count)
			return fail("round %u: %d virtio devices before, %d after",
				    round, count, num_virtio);
		for (i = 0; i < count; i++) {
			if (strcmp(virtio_devs[i].driver, driver[i]))
				return fail("round %u: %s has driver '%s', had '%s'", round,
					    virtio_devs[i].name, virtio_devs[i].driver,
					    driver[i]);
			virtio_dma_mode(virtio_devs[i].name, after, sizeof(after));
			if (strcmp(before[i], after))
				return fail("round %u: %s:%s before,%s after", round,
					    virtio_devs[i].name, before[i], after);
		}
	}
	return 1;
}

int check_rebind(const void *arg)
{
	char before[MAX_VIRTIO][160];
	char driver[MAX_VIRTIO][NAME_LEN];
	int i, count = num_virtio, bound = 0, gpu_fd = -1, ok;

	(void)arg;
	for (i = 0; i < count; i++) {
		virtio_dma_mode(virtio_devs[i].name, before[i], sizeof(before[i]));
		snprintf(driver[i], sizeof(driver[i]), "%s", virtio_devs[i].driver);
		bound += driver[i][0] != '\0';
	}
	if (!bound)
		return fail("no virtio device has a driver");
	if (have_device_id(VIRTIO_ID_GPU)) {
		gpu_fd = gpu_hold_buffer();
		if (gpu_fd < 0)
			return 0;
	}
	ok = rebind_rounds(count, before, driver);
	if (gpu_fd >= 0) {
		close(gpu_fd);
		if (ok)
			printf("# rebind: a virtio-gpu buffer was kept across the rounds\n");
	}
	if (ok)
		printf("# rebind: %d drivers unbound and bound %u times, DMA modes kept\n",
		       bound, cfg.rebind);
	return ok;
}
