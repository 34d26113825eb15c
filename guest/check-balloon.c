// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio-balloon check (harness.balloon=1): the host inflates the
 * balloon on "harness: balloon-inflate" and deflates it on "harness:
 * balloon-deflate"; MemTotal must drop and come back.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "lib.h"
#include "checks.h"

#define BALLOON_DROP_KB (32 * 1024ULL)
#define BALLOON_SLACK_KB (4 * 1024ULL)

static int mem_total_kb(unsigned long long *kb)
{
	return proc_value("/proc/meminfo", "MemTotal", kb);
}

/* Polls MemTotal until it is <= @limit (@below) or >= @limit, for 30 s. */
static int wait_mem_total(unsigned long long limit, int below,
			  unsigned long long *now)
{
	long long deadline = now_ms() + 30000;

	for (;;) {
		if (mem_total_kb(now))
			return 0;
		if (below ? *now <= limit : *now >= limit)
			return 1;
		if (!ms_left(deadline))
			return 0;
		sleep_ms(100);
	}
}

static void print_balloon_state(const char *when, unsigned long long kb)
{
	unsigned long long inflate, deflate;

	printf("# balloon %s: MemTotal=%llu kB", when, kb);
	if (!proc_value("/proc/vmstat", "balloon_inflate", &inflate) &&
	    !proc_value("/proc/vmstat", "balloon_deflate", &deflate))
		printf(" balloon_inflate=%llu balloon_deflate=%llu", inflate,
		       deflate);
	printf("\n");
}

/* virtio_balloon.h: they hand the host free pages by their DMA addresses. */
#define VIRTIO_BALLOON_F_FREE_PAGE_HINT 3
#define VIRTIO_BALLOON_F_REPORTING 5

/*
 * Through bounce buffers, free page hinting and reporting would hand the
 * host bounce slots instead of the free pages: the balloon must not
 * negotiate them in swiotlb mode.
 */
static int check_balloon_features(void)
{
	char path[PATH_MAX], features[256], mode[160];
	int i;

	i = find_device_id(VIRTIO_ID_BALLOON);
	if (i < 0)
		return fail("no balloon device");
	snprintf(path, sizeof(path), VIRTIO_DEVICES "/%s/features", virtio_devs[i].name);
	if (read_text(path, features, sizeof(features)) <= VIRTIO_BALLOON_F_REPORTING)
		return fail("cannot read %s", path);
	virtio_dma_mode(virtio_devs[i].name, mode, sizeof(mode));
	printf("# balloon %s:%s free_page_hint=%c reporting=%c\n", virtio_devs[i].name,
	       mode, features[VIRTIO_BALLOON_F_FREE_PAGE_HINT],
	       features[VIRTIO_BALLOON_F_REPORTING]);
	if (strstr(mode, "dma_mode=swiotlb") &&
	    (features[VIRTIO_BALLOON_F_FREE_PAGE_HINT] == '1' ||
	     features[VIRTIO_BALLOON_F_REPORTING] == '1'))
		return fail("balloon in swiotlb mode negotiated free page hinting or reporting");
	return 1;
}

int check_balloon(const void *arg)
{
	unsigned long long before, now = 0;
	int ok;

	(void)arg;
	if (mem_total_kb(&before))
		return fail("cannot read MemTotal");
	print_balloon_state("before", before);
	printf("harness: balloon-inflate\n");
	ok = wait_mem_total(before - BALLOON_DROP_KB, 1, &now);
	print_balloon_state("inflated", now);
	if (!ok)
		return fail("MemTotal %llu kB did not drop 32 MiB below %llu kB in 30 s",
			    now, before);
	printf("harness: balloon-deflate\n");
	ok = wait_mem_total(before - BALLOON_SLACK_KB, 0, &now);
	print_balloon_state("deflated", now);
	if (!ok)
		return fail("MemTotal %llu kB did not return to %llu kB in 30 s",
			    now, before);
	return check_balloon_features();
}
