// SPDX-License-Identifier: GPL-2.0
/*
 * DMA address audit: the dma_map_page and dma_map_sg trace events of
 * the whole run must show the DMA mode each virtio device reports.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib.h"
#include "checks.h"

/*
 * The dma:dma_map_page and dma:dma_map_sg events record the physical and
 * the DMA address of every mapping.  A device the series maps on itself
 * (named virtioN) must get dma == phys in direct mode.  In swiotlb mode
 * every address must differ from the buffer's, and all of them must fit
 * in one range no larger than the pool (its address is not exported).
 */
#define DMA_EVENTS TRACEFS "/events/dma"
#define SWIOTLB_FULL "swiotlb buffer is full"

int dma_trace_on;

void dma_trace_start(void)
{
	static const char *const events[] = { "dma_map_page", "dma_map_sg" };
	char path[PATH_MAX];
	unsigned int i;

	if (!path_exists(DMA_EVENTS))
		return;
	write_text(TRACEFS "/buffer_size_kb", "8192");
	write_text(TRACEFS "/trace", "");
	for (i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		/*
		 * Only mappings on a virtio device itself are judged: keep
		 * the platform devices' mappings (on their PCI or MMIO
		 * transport) from pushing them out of the ring buffer.
		 */
		snprintf(path, sizeof(path), DMA_EVENTS "/%s/filter", events[i]);
		if (write_text(path, "device ~ \"virtio*\""))
			printf("# dma-audit: filter %s: %s\n", events[i],
			       strerror(errno));
		snprintf(path, sizeof(path), DMA_EVENTS "/%s/enable", events[i]);
		if (write_text(path, "1")) {
			printf("# dma-audit: enable %s: %s\n", events[i],
			       strerror(errno));
			return;
		}
	}
	dma_trace_on = !write_text(TRACEFS "/tracing_on", "1");
}

void print_swiotlb_full(void)
{
	int count = count_in_kernel_log(SWIOTLB_FULL);

	if (count < 0)
		printf("harness: swiotlb full-events=none (no kernel log)\n");
	else
		printf("harness: swiotlb full-events=%d\n", count);
}

struct dma_audit {
	unsigned long long pool_bytes;	/* 0: unknown */
	unsigned long long lowest, highest;	/* bounce addresses seen */
	unsigned long long direct_highest;	/* highest direct address */
	unsigned long long direct, swiotlb, errors, skipped;
	char mode[MAX_VIRTIO][16];
};

/* Audits one (phys, dma, len) of device @d; 0 with a reason if wrong. */
static int dma_audit_one(struct dma_audit *a, int d, unsigned long long phys,
			 unsigned long long dma, unsigned long long len)
{
	const char *dev = virtio_devs[d].name;

	if (dma == ~0ULL) {
		a->errors++;		/* a failed mapping, seen by the driver */
		return 1;
	}
	if (!strcmp(a->mode[d], "direct")) {
		if (dma != phys)
			return fail("%s (direct): dma %#llx for phys %#llx",
				    dev, dma, phys);
		if (dma + len - 1 > a->direct_highest)
			a->direct_highest = dma + len - 1;
		a->direct++;
	} else if (!strcmp(a->mode[d], "swiotlb")) {
		/* forced bouncing: never the buffer itself, always the pool */
		if (dma == phys)
			return fail("%s (swiotlb): phys %#llx was not bounced",
				    dev, phys);
		if (!a->swiotlb++ || dma < a->lowest)
			a->lowest = dma;
		if (dma + len > a->highest)
			a->highest = dma + len;
		if (a->highest - a->lowest > a->pool_bytes)
			return fail("%s (swiotlb): bounce addresses %#llx-%#llx span more than the %llu-byte pool",
				    dev, a->lowest, a->highest, a->pool_bytes);
	} else {
		a->skipped++;
	}
	return 1;
}

/* "{0x1,0x2}" at @p into @out; returns the count, -1 if malformed. */
static int parse_u64_array(const char *p, unsigned long long *out, int max)
{
	int n = 0;
	char *end;

	if (*p++ != '{')
		return -1;
	while (*p && *p != '}' && n < max) {
		out[n++] = strtoull(p, &end, 0);
		if (end == p)
			return -1;
		p = *end == ',' ? end + 1 : end;
	}
	return *p == '}' ? n : -1;
}

/*
 * The dma_map_page or dma_map_sg event on trace @line: its device name
 * into @dev, *@sg set for dma_map_sg; the event's text, NULL if neither.
 */
static const char *dma_map_event(const char *line, char dev[NAME_LEN], int *sg)
{
	const char *ev = strstr(line, ": dma_map_page: ");
	int k = 16;

	*sg = !ev;
	if (!ev) {
		ev = strstr(line, ": dma_map_sg: ");
		k = 14;
	}
	if (!ev || sscanf(ev + k, "%255s", dev) != 1)
		return NULL;
	return ev;
}

/*
 * Bytes of the dma_map_sg events on device @dev traced after the
 * trace_marker line @marker; -1 if the marker is not in the trace.
 */
long long dma_traced_sg_bytes(const char *dev, const char *marker)
{
	unsigned long long lens[128];
	char line[8192], name[NAME_LEN];
	long long bytes = -1;
	const char *ev, *field;
	FILE *trace;
	int n, i, sg;

	trace = fopen(TRACEFS "/trace", "re");
	if (!trace)
		return -1;
	while (fgets(line, sizeof(line), trace)) {
		if (strstr(line, marker)) {
			bytes = 0;
			continue;
		}
		ev = dma_map_event(line, name, &sg);
		if (bytes < 0 || !ev || !sg || strcmp(name, dev))
			continue;
		field = strstr(ev, " sizes=");
		n = field ? parse_u64_array(field + 7, lens, 128) : -1;
		for (i = 0; i < n; i++)
			bytes += lens[i];
	}
	fclose(trace);
	return bytes;
}

static int dma_audit_line(struct dma_audit *a, const char *line)
{
	unsigned long long phys, dma, len, dmas[128], lens[128], physs[128];
	const char *ev, *field;
	char dev[NAME_LEN];
	int d, n, k, i, sg;

	ev = dma_map_event(line, dev, &sg);
	if (!ev)
		return 1;
	for (d = 0; d < num_virtio && strcmp(virtio_devs[d].name, dev); d++)
		;
	if (d == num_virtio)
		return 1;	/* not mapped on a virtio device itself */
	if (!sg) {
		if (sscanf(strstr(ev, " dma_addr="), " dma_addr=%llx size=%llu phys_addr=%llx",
			   &dma, &len, &phys) != 3)
			return fail("cannot parse: %.200s", line);
		return dma_audit_one(a, d, phys, dma, len);
	}
	if (strstr(ev, "[TRUNCATED]")) {
		a->skipped++;
		return 1;
	}
	field = strstr(ev, " dma_addrs=");
	n = field ? parse_u64_array(field + 11, dmas, 128) : -1;
	field = strstr(ev, " sizes=");
	k = field ? parse_u64_array(field + 7, lens, 128) : -1;
	field = strstr(ev, " phys_addrs=");
	if (n < 0 || k != n || !field ||
	    parse_u64_array(field + 12, physs, 128) != n)
		return fail("cannot parse: %.200s", line);
	for (i = 0; i < n; i++)
		if (!dma_audit_one(a, d, physs[i], dmas[i], lens[i]))
			return 0;
	return 1;
}

int check_dma_audit(const void *arg)
{
	struct dma_audit a = { 0 };
	unsigned long long kept, written;
	char line[8192], mode[160];
	int i, ok = 1;
	FILE *trace;

	(void)arg;
	write_text(TRACEFS "/tracing_on", "0");
	for (i = 0; i < num_virtio; i++) {
		virtio_dma_mode(virtio_devs[i].name, mode, sizeof(mode));
		sscanf(mode, " dma_mode=%15s", a.mode[i]);
	}
	/* The pool is one range of io_tlb_nslabs slots of 2 KiB. */
	if (!read_ull(DEBUGFS "/swiotlb/io_tlb_nslabs", &a.pool_bytes))
		a.pool_bytes *= 2048;
	trace = fopen(TRACEFS "/trace", "re");
	if (!trace)
		return fail(TRACEFS "/trace: %s", strerror(errno));
	while (ok && fgets(line, sizeof(line), trace)) {
		/* Events lost to a full buffer are not audited: say so. */
		if (sscanf(line, "# entries-in-buffer/entries-written: %llu/%llu",
			   &kept, &written) == 2 && kept < written)
			printf("# dma-audit: the trace buffer kept %llu of %llu events\n",
			       kept, written);
		ok = dma_audit_line(&a, line);
	}
	fclose(trace);
	printf("# dma-audit: %llu direct and %llu swiotlb addresses checked, %llu failed mappings, %llu not judged\n",
	       a.direct, a.swiotlb, a.errors, a.skipped);
	printf("# dma-audit: highest direct DMA address %#llx\n", a.direct_highest);
	/* harness.dma_above=: some direct mapping must reach above it. */
	if (ok && cfg.dma_above && a.direct_highest <= cfg.dma_above)
		ok = fail("no direct DMA address above %#llx (highest %#llx)",
			  cfg.dma_above, a.direct_highest);
	if (a.swiotlb)
		printf("# dma-audit: bounce addresses within %#llx-%#llx, pool %llu bytes\n",
		       a.lowest, a.highest, a.pool_bytes);
	if (ok && !a.direct && !a.swiotlb)
		return fail("no mapping of a virtio device was traced");
	return ok;
}

/* Only the series maps on the virtio device itself. */
int have_dma_modes(void)
{
	char mode[160];
	int i;

	for (i = 0; i < num_virtio; i++) {
		virtio_dma_mode(virtio_devs[i].name, mode, sizeof(mode));
		if (strcmp(mode, " dma_mode=n/a"))
			return 1;
	}
	return 0;
}
