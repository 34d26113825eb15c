// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection (failslab, fail_iommu) while the first disk writes
 * and verifies random blocks: every byte must still verify.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "lib.h"
#include "checks.h"

/*
 * With CONFIG_FAILSLAB, or CONFIG_FAIL_IOMMU and harness.fail_iommu=1:
 * slab allocations, or the disk's IOMMU mappings, fail at random for the
 * check's process only (task-filter, make-it-fail) while it writes and
 * verifies random blocks.  virtio_ring falls back from indirect tables,
 * the block layer retries requests whose mapping failed: every byte must
 * still verify.  The fault_attr's "times" counts the failures injected.
 */
#define FAULT_TIMES 1000000ULL

struct fault_arg {
	const char *attr;		/* the fault_attr's debugfs directory */
	char device_switch[PATH_MAX];	/* per-device enable file, or "" */
	const char *require, *reject;	/* stack filter "start,end", or NULL */
	struct blk_random_arg io;
};

static int fault_set(const char *attr, const char *file, const char *value)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", attr, file);
	return write_text(path, value);
}

/* Sets @which-start and @which-end from "start,end". */
static int fault_set_range(const char *attr, const char *which,
			   const char *range)
{
	char file[32], value[32];
	const char *comma = strchr(range, ',');

	if (!comma) {
		errno = EINVAL;
		return -1;
	}
	snprintf(file, sizeof(file), "%s-start", which);
	snprintf(value, sizeof(value), "%.*s", (int)(comma - range), range);
	if (fault_set(attr, file, value))
		return -1;
	snprintf(file, sizeof(file), "%s-end", which);
	return fault_set(attr, file, comma + 1);
}

static int check_fault(const void *arg)
{
	const struct fault_arg *f = arg;
	char path[PATH_MAX], times[32];
	unsigned long long left;
	int ok;

	snprintf(times, sizeof(times), "%llu", FAULT_TIMES);
	if (write_text("/proc/self/make-it-fail", "1") ||
	    fault_set(f->attr, "task-filter", "Y") ||
	    fault_set(f->attr, "interval", "1") ||
	    fault_set(f->attr, "verbose", "0") ||
	    fault_set(f->attr, "times", times) ||
	    (f->require && fault_set_range(f->attr, "require", f->require)) ||
	    (f->reject && fault_set_range(f->attr, "reject", f->reject)) ||
	    fault_set(f->attr, "probability", "10") ||
	    (f->device_switch[0] && write_text(f->device_switch, "1")))
		return fail("cannot set up %s: %s", f->attr, strerror(errno));
	ok = check_blk_random(&f->io);
	fault_set(f->attr, "probability", "0");
	if (f->device_switch[0])
		write_text(f->device_switch, "0");
	write_text("/proc/self/make-it-fail", "0");
	snprintf(path, sizeof(path), "%s/times", f->attr);
	if (read_ull(path, &left) || left > FAULT_TIMES)
		return fail("cannot read %s", path);
	printf("harness: fault %s injected=%llu\n", strrchr(f->attr, '/') + 1,
	       FAULT_TIMES - left);
	if (ok && left == FAULT_TIMES)
		return fail("no failure was injected: nothing was tested");
	return ok;
}

void run_blk_fault_checks(const struct blk_disk *disk,
				 unsigned long long region_off,
				 unsigned long long region_len)
{
	struct fault_arg f = { .io = { .disk = disk, .region_off = region_off,
				       .region_len = region_len } };
	char name[NAME_LEN + 64], path[PATH_MAX];

	if (path_exists(FAILSLAB)) {
		/*
		 * Only allocations made from virtio_ring, none from DMA-API
		 * debugging: failing its own would disable what checks us.
		 */
		snprintf(name, sizeof(name), "fault-failslab-blk-%s", disk->name);
		if (!cfg.fault_require[0] || !path_exists(FAILSLAB "/require-start")) {
			report(name, 0, cfg.fault_require[0] ?
			       "no failslab stack filter (CONFIG_FAULT_INJECTION_STACKTRACE_FILTER)" :
			       "no harness.fault_require (virtio_ring's text range)");
			return;
		}
		f.require = cfg.fault_require;
		f.reject = cfg.fault_reject[0] ? cfg.fault_reject : NULL;
		f.attr = FAILSLAB;
		f.io.seed = 0xFA115ABULL << 32 | disk->index;
		run_check(name, 60 + 8 * region_len / MiB, check_fault, &f);
		f.require = f.reject = NULL;
	}
	if (cfg.fail_iommu) {
		/* The disk's PCI function: the virtio device's parent. */
		snprintf(path, sizeof(path), "/sys/block/%s/device/../fail_iommu",
			 disk->name);
		snprintf(name, sizeof(name), "fault-fail_iommu-blk-%s", disk->name);
		if (!path_exists(FAIL_IOMMU) || !path_exists(path)) {
			report(name, 0, "no " FAIL_IOMMU " or per-device fail_iommu (CONFIG_FAIL_IOMMU)");
			return;
		}
		f.attr = FAIL_IOMMU;
		snprintf(f.device_switch, sizeof(f.device_switch), "%s", path);
		f.io.seed = 0xFA1110ULL << 32 | disk->index;
		run_check(name, 60 + 8 * region_len / MiB, check_fault, &f);
	}
}
