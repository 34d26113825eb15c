/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Data patterns shared by the guest init and the host tool mkpattern, so
 * both sides generate and check exactly the same bytes.
 */
#ifndef HARNESS_PATTERN_H
#define HARNESS_PATTERN_H

#include <stddef.h>
#include <stdint.h>

/* The host writes host_pattern_byte() over this many leading disk bytes. */
#define HOST_PATTERN_LEN (1024UL * 1024UL)

/*
 * Byte at disk offset @off of the host pattern. It mixes low and high
 * offset bits, so a misplaced sector or page reads back as a mismatch.
 */
static inline unsigned char host_pattern_byte(unsigned long long off)
{
	return (unsigned char)(((off * 2654435761ULL) >> 13) ^ (off >> 9) ^ 0xA5);
}

/* splitmix64 step: spreads nearby seeds into unrelated xorshift states. */
static inline uint64_t pattern_state(uint64_t seed)
{
	uint64_t z = seed + 0x9E3779B97F4A7C15ULL;

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	z ^= z >> 31;
	/* xorshift never leaves state 0 */
	return z ? z : 0x9E3779B97F4A7C15ULL;
}

static inline uint64_t xorshift64_next(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return x;
}

/* Fills @buf with the xorshift64 stream of @seed, low byte of each word first. */
static inline void pattern_fill(void *buf, size_t len, uint64_t seed)
{
	unsigned char *out = buf;
	uint64_t state = pattern_state(seed);
	uint64_t word = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		if (i % 8 == 0)
			word = xorshift64_next(&state);
		out[i] = (unsigned char)(word >> (8 * (i % 8)));
	}
}

/* Bytes exchanged over the virtio console port (host side: mkpattern). */
static inline void console_pattern_fill(void *buf, size_t len,
					unsigned long long seed)
{
	pattern_fill(buf, len, seed);
}

#endif /* HARNESS_PATTERN_H */
