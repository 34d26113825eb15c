// SPDX-License-Identifier: GPL-2.0
/*
 * Leak and misuse checks at the end of the run: kmemleak's unreferenced
 * objects allocated through virtio or DMA code, and the DMA API
 * debugging error_count.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib.h"
#include "checks.h"

/* ---- DMA API debugging ---- */

int check_dma_api_errors(const void *arg)
{
	unsigned long long count;

	(void)arg;
	if (read_ull(DMA_API_ERRORS, &count))
		return fail("cannot read " DMA_API_ERRORS);
	printf("harness: dma-api error_count=%llu\n", count);
	if (count)
		return fail("error_count=%llu", count);
	return 1;
}

/* ---- kmemleak ---- */

/*
 * With CONFIG_DEBUG_KMEMLEAK: scan, and report every unreferenced object.
 * Objects whose allocation backtrace passes through virtio, the rings or
 * the DMA code fail the check; others are listed, since kmemleak has
 * false positives in code this series does not touch.
 */
static int kmemleak_related(const char *report)
{
	static const char *const words[] = {
		"virtio", "vring", "virtqueue", "virtnet", "virtblk",
		"dma_", "swiotlb", "iommu",
	};
	unsigned int i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strstr(report, words[i]))
			return 1;
	return 0;
}

int check_kmemleak(const void *arg)
{
	char line[512], block[8192];
	unsigned int total = 0, related = 0;
	size_t used = 0;
	FILE *f;

	(void)arg;
	/*
	 * Only objects older than 5 s are reported, and only by a scan that
	 * finds their contents unchanged since the previous one: scan twice.
	 */
	sleep_ms(5500);
	if (write_text(KMEMLEAK, "scan") || write_text(KMEMLEAK, "scan"))
		return fail("scan: %s", strerror(errno));
	f = fopen(KMEMLEAK, "re");
	if (!f)
		return fail(KMEMLEAK ": %s", strerror(errno));
	block[0] = '\0';
	for (;;) {
		int more = fgets(line, sizeof(line), f) != NULL;

		if (!more || !strncmp(line, "unreferenced object", 19)) {
			if (used) {
				int bad = kmemleak_related(block);

				total++;
				related += bad;
				if (bad || total <= 3)
					printf("# kmemleak%s: %s", bad ? " (virtio/DMA)" : "",
					       block);
			}
			used = 0;
			block[0] = '\0';
			if (!more)
				break;
		}
		if (used + strlen(line) + 1 < sizeof(block)) {
			memcpy(block + used, line, strlen(line) + 1);
			used += strlen(line);
		}
	}
	fclose(f);
	printf("harness: kmemleak unreferenced=%u virtio-dma=%u\n", total,
	       related);
	if (related)
		return fail("%u unreferenced objects allocated through virtio or DMA code",
			    related);
	return 1;
}
