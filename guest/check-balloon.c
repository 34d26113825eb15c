// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio-balloon check (harness.balloon=1): the host inflates the
 * balloon on "harness: balloon-inflate" and deflates it on "harness:
 * balloon-deflate"; MemTotal must drop and come back.
 */
#define _GNU_SOURCE
#include <stdio.h>

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
	return 1;
}
