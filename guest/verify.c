// SPDX-License-Identifier: GPL-2.0
/*
 * Buffers and data verification: page aligned I/O buffers, and
 * verify_bytes(), which reports the first differing byte and adds what
 * matched to the "harness: verified" totals of all check processes.
 * The data patterns themselves are in pattern.h, shared with mkpattern.
 */
#define _GNU_SOURCE
#include <stdlib.h>

#include "lib.h"

/* Bytes each kind of check verified, summed over all check processes. */
unsigned long long *verified_total;	/* MAP_SHARED, or NULL */

/* Page aligned buffer with room for any in-page offset in front. */
unsigned char *alloc_aligned(size_t len)
{
	void *buf;

	if (posix_memalign(&buf, 4096, len + 4096))
		return NULL;
	return buf;
}

/* Reports the first differing byte of two buffers; counts verified bytes. */
int verify_bytes(const unsigned char *got, const unsigned char *want,
			size_t len, const char *what, enum verified_kind kind)
{
	size_t i, first = 0, bad = 0;

	for (i = 0; i < len; i++)
		if (got[i] != want[i] && !bad++)
			first = i;
	if (!bad) {
		if (verified_total)
			__atomic_add_fetch(&verified_total[kind], len,
					   __ATOMIC_RELAXED);
		return 1;
	}
	return fail("%s: %zu of %zu bytes differ, first at offset %zu: expected 0x%02x got 0x%02x",
		    what, bad, len, first, want[first], got[first]);
}
