// SPDX-License-Identifier: GPL-2.0
/*
 * Unbind and bind again: every virtio driver is unbound from its device
 * and bound back, harness.rebind times (default 5).  Each unbind runs the
 * driver's remove and the virtio core's DMA teardown, each bind its probe
 * and the DMA setup.  The devices must come back with their drivers and
 * the DMA modes they had, and the disks and NICs must still verify.  With
 * DMA-API debugging, no device but a NIC (whose mapped pages vary with
 * traffic) may hold more than one streaming mapping more after the rounds
 * than before (the one: virtio-rng's request may or may not be pending):
 * a buffer a driver leaves queued at removal must not stay mapped.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib.h"
#include "checks.h"

#define VIRTIO_DRIVERS "/sys/bus/virtio/drivers"
#define DMA_API_DUMP DEBUGFS "/dma-api/dump"

/* DMA-API debugging's live mappings on each virtio device itself. */
static int count_mappings(int count, unsigned int *mappings)
{
	char line[512], name[NAME_LEN];
	FILE *f = fopen(DMA_API_DUMP, "r");
	int i;

	if (!f)
		return -1;
	memset(mappings, 0, count * sizeof(*mappings));
	while (fgets(line, sizeof(line), f)) {
		/* "driver device type idx ..." */
		if (sscanf(line, "%*s %255s", name) != 1)
			continue;
		for (i = 0; i < count; i++)
			if (!strcmp(name, virtio_devs[i].name))
				mappings[i]++;
	}
	fclose(f);
	return 0;
}

static int check_mappings(int count, const unsigned int *before,
			  char (*driver)[NAME_LEN])
{
	unsigned int after[MAX_VIRTIO];
	int i, ok = 1;

	if (count_mappings(count, after))
		return fail("cannot read " DMA_API_DUMP ": %s", strerror(errno));
	for (i = 0; i < count; i++) {
		printf("# rebind: %s (%s) mappings before %u after %u\n",
		       virtio_devs[i].name, driver[i], before[i], after[i]);
		if (strcmp(driver[i], "virtio_net") && after[i] > before[i] + 1)
			ok = fail("%s (%s): %u mappings after the rounds, %u before: removal leaves buffers mapped",
				  virtio_devs[i].name, driver[i], after[i], before[i]);
	}
	return ok;
}

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
	unsigned int mappings[MAX_VIRTIO];
	int i, count = num_virtio, bound = 0, gpu_fd = -1, ok, counted;

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
	/* DMA-API debugging is on where its error count is: then count. */
	counted = path_exists(DMA_API_ERRORS);
	if (counted && count_mappings(count, mappings))
		ok = fail("cannot read " DMA_API_DUMP ": %s", strerror(errno));
	else
		ok = rebind_rounds(count, before, driver);
	if (gpu_fd >= 0) {
		close(gpu_fd);
		if (ok)
			printf("# rebind: a virtio-gpu buffer was kept across the rounds\n");
	}
	if (ok)
		printf("# rebind: %d drivers unbound and bound %u times, DMA modes kept\n",
		       bound, cfg.rebind);
	if (ok && counted)
		ok = check_mappings(count, mappings, driver);
	else if (ok)
		printf("# rebind: no DMA-API debugging, mappings not counted\n");
	return ok;
}
