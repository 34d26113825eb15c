// SPDX-License-Identifier: GPL-2.0
/*
 * Virtio device discovery: the devices on the virtio bus with their
 * driver and device ID, waiting until probing has settled, and the
 * "harness: device" table (transport, ACCESS_PLATFORM, DMA mode) and
 * "harness: swiotlb" lines the host reads.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib.h"

struct virtio_dev virtio_devs[MAX_VIRTIO];
int num_virtio;

/* The index in virtio_devs of the first device of type @id, or -1. */
int find_device_id(unsigned int id)
{
	int i;

	for (i = 0; i < num_virtio; i++)
		if (virtio_devs[i].id == id)
			return i;
	return -1;
}

int have_device_id(unsigned int id)
{
	return find_device_id(id) >= 0;
}

void scan_virtio_devices(void)
{
	struct name_list list;
	char path[PATH_MAX];
	unsigned long long id;
	int i;

	list_dir(VIRTIO_DEVICES, "virtio", &list);
	num_virtio = 0;
	for (i = 0; i < list.count && num_virtio < MAX_VIRTIO; i++) {
		struct virtio_dev *dev = &virtio_devs[num_virtio++];

		snprintf(dev->name, sizeof(dev->name), "%s", list.names[i]);
		snprintf(path, sizeof(path), VIRTIO_DEVICES "/%s/driver",
			 dev->name);
		if (readlink_base(path, dev->driver, sizeof(dev->driver)))
			dev->driver[0] = '\0';
		snprintf(path, sizeof(path), VIRTIO_DEVICES "/%s/device",
			 dev->name);
		dev->id = read_ull(path, &id) ? 0 : (unsigned int)id;
	}
	free(list.names);
}

/* A virtio-blk device is usable once its disk has a /dev node. */
static int virtio_blk_ready(const struct virtio_dev *dev)
{
	struct name_list disks;
	char path[PATH_MAX];
	int i, ready;

	snprintf(path, sizeof(path), VIRTIO_DEVICES "/%s/block", dev->name);
	list_dir(path, "", &disks);
	ready = disks.count > 0;
	for (i = 0; i < disks.count; i++) {
		snprintf(path, sizeof(path), "/dev/%s", disks.names[i]);
		ready &= path_exists(path);
	}
	free(disks.names);
	return ready;
}

static int virtio_settled(char *why, size_t len)
{
	int i;

	for (i = 0; i < num_virtio; i++) {
		const struct virtio_dev *dev = &virtio_devs[i];

		if (!dev->driver[0]) {
			snprintf(why, len, "%.64s has no driver", dev->name);
			return 0;
		}
		if (dev->id == VIRTIO_ID_BLOCK && !virtio_blk_ready(dev)) {
			snprintf(why, len, "%.64s has no /dev node", dev->name);
			return 0;
		}
	}
	return 1;
}

/* Probing may still run; wait until two scans in a row look complete. */
void wait_virtio_settled(void)
{
	long long start = now_ms();
	char why[NAME_LEN + 32] = "device count still changing";
	int last_count = -1;

	for (;;) {
		scan_virtio_devices();
		if (virtio_settled(why, sizeof(why)) &&
		    num_virtio == last_count) {
			printf("# virtio: %d devices settled after %lld ms\n",
			       num_virtio, now_ms() - start);
			return;
		}
		last_count = num_virtio;
		if (now_ms() - start >= 10000) {
			printf("# virtio: not settled after 10 s: %s\n", why);
			return;
		}
		sleep_ms(100);
	}
}

static const char *virtio_transport(const char *name)
{
	char path[PATH_MAX];
	char *real;
	const char *transport = "other";

	snprintf(path, sizeof(path), VIRTIO_DEVICES "/%s", name);
	real = realpath(path, NULL);
	if (!real)
		return transport;
	if (strstr(real, "/pci"))
		transport = "pci";
	else if (strstr(real, "mmio"))
		transport = "mmio";
	free(real);
	return transport;
}

static int virtio_access_platform(const char *name)
{
	char path[PATH_MAX], features[256];

	snprintf(path, sizeof(path), VIRTIO_DEVICES "/%s/features", name);
	if (read_text(path, features, sizeof(features)) <= VIRTIO_F_ACCESS_PLATFORM)
		return 0;
	return features[VIRTIO_F_ACCESS_PLATFORM] == '1';
}

/* " dma_mode=<mode>[ dma_dev=<dev>]" from the virtio debugfs file. */
void virtio_dma_mode(const char *name, char *out, size_t len)
{
	char path[PATH_MAX], text[256], mode[64], dev[64];
	const char *dev_name = dev;
	int words;

	snprintf(path, sizeof(path), DEBUGFS "/virtio/%s/dma_mode", name);
	if (read_text(path, text, sizeof(text)) < 0)
		words = 0;
	else
		words = sscanf(text, "%63s %63s", mode, dev);
	if (words < 1) {
		snprintf(out, len, " dma_mode=n/a");
		return;
	}
	if (words < 2) {
		snprintf(out, len, " dma_mode=%s", mode);
		return;
	}
	if (!strncmp(dev, "dev=", 4))
		dev_name += 4;
	snprintf(out, len, " dma_mode=%s dma_dev=%s", mode, dev_name);
}

void print_device_table(void)
{
	char dma[160];
	int i;

	for (i = 0; i < num_virtio; i++) {
		const struct virtio_dev *dev = &virtio_devs[i];

		virtio_dma_mode(dev->name, dma, sizeof(dma));
		printf("harness: device %s driver=%s transport=%s id=%u access_platform=%d%s\n",
		       dev->name, dev->driver[0] ? dev->driver : "none",
		       virtio_transport(dev->name), dev->id,
		       virtio_access_platform(dev->name), dma);
	}
}

void print_swiotlb(const char *when)
{
	char word[64];

	if (read_word(SWIOTLB_HIWATER, word, sizeof(word)))
		snprintf(word, sizeof(word), "n/a");
	printf("harness: swiotlb used_hiwater=%s %s\n", word, when);
}
