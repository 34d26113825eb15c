// SPDX-License-Identifier: GPL-2.0
/*
 * Suspend and restore: a freeze with pm_test=devices runs every virtio
 * driver's freeze and restore; the devices must keep their DMA modes, and
 * the disks and NICs must still move verified data afterwards.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib.h"
#include "checks.h"

/*
 * Suspend to idle with pm_test=devices: every virtio driver's freeze and
 * restore runs (restore finalizes the features again, and with them the
 * DMA setup), then the devices must report the DMA modes they had.
 */
int check_restore(const void *arg)
{
	char before[MAX_VIRTIO][160], after[160];
	int i, count = num_virtio;

	(void)arg;
	for (i = 0; i < count; i++)
		virtio_dma_mode(virtio_devs[i].name, before[i], sizeof(before[i]));
	if (write_text(PM_TEST, "devices"))
		return fail(PM_TEST ": %s", strerror(errno));
	if (path_exists(PM_TEST_DELAY))
		write_text(PM_TEST_DELAY, "0");
	if (write_text(PM_STATE, "freeze")) {
		int err = errno;

		write_text(PM_TEST, "none");
		return fail("freeze: %s", strerror(err));
	}
	write_text(PM_TEST, "none");
	if (count_in_kernel_log("PM: suspend exit") < 1)
		return fail("no \"PM: suspend exit\" in the kernel log");
	scan_virtio_devices();
	if (num_virtio != count)
		return fail("%d virtio devices before, %d after", count,
			    num_virtio);
	for (i = 0; i < count; i++) {
		virtio_dma_mode(virtio_devs[i].name, after, sizeof(after));
		if (strcmp(before[i], after))
			return fail("%s:%s before,%s after",
				    virtio_devs[i].name, before[i], after);
		if (!virtio_devs[i].driver[0])
			return fail("%s lost its driver", virtio_devs[i].name);
	}
	printf("# restore: %d devices kept their DMA mode\n", count);
	return 1;
}

/*
 * After a restore or the rebinds: one verified block write/read per disk
 * ("blk-vdX-TAG-rw") and the raw frames ("net-...-TAG-raw").
 */
void run_reverified_checks(const char *tag, uint64_t blk_seed, uint64_t net_seed)
{
	struct name_list disks;
	struct blk_disk disk;
	struct blk_rw_arg rw = { .disk = &disk, .size = MiB, .buf_off = 512 };
	struct nic nics[MAX_NICS];
	char name[NAME_LEN + 64], net_tag[32];
	int n, i;

	wait_virtio_settled();
	list_dir("/sys/block", "vd", &disks);
	for (i = 0; i < disks.count; i++) {
		if (blk_disk_info(&disk, disks.names[i], i))
			continue;
		rw.disk_off = BLK_RW_START - MiB;	/* not used by other checks */
		rw.seed = blk_seed << 32 | i;
		snprintf(name, sizeof(name), "blk-%s-%s-rw", disk.name, tag);
		run_check(name, 30, check_blk_rw, &rw);
	}
	free(disks.names);
	n = find_virtio_nics(nics, MAX_NICS);
	nics_up(nics, n);
	snprintf(net_tag, sizeof(net_tag), "%s-", tag);
	run_net_raw_checks(nics, n, net_tag, net_seed);
}
