// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio-rng check: the hw_random core must use virtio, and two
 * 4 KiB reads of /dev/hwrng must be neither constant nor identical.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib.h"
#include "checks.h"

static int read_exact(int fd, unsigned char *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = read(fd, buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += n;
	}
	return 0;
}

static int all_one_value(const unsigned char *buf, size_t len)
{
	size_t i;

	for (i = 1; i < len; i++)
		if (buf[i] != buf[0])
			return 0;
	return 1;
}

/* A blocking read that hangs is ended by run_check's 5 s limit. */
int check_rng(const void *arg)
{
	unsigned char a[4096], b[4096];
	char current[NAME_LEN];
	int fd, ok = 1;

	(void)arg;
	if (read_word("/sys/class/misc/hw_random/rng_current", current,
		      sizeof(current)))
		snprintf(current, sizeof(current), "(unreadable)");
	printf("# rng_current=%s\n", current);
	if (!strstr(current, "virtio"))
		return fail("rng_current is %s, not virtio", current);
	fd = open("/dev/hwrng", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail("open /dev/hwrng: %s", strerror(errno));
	if (read_exact(fd, a, sizeof(a)) || read_exact(fd, b, sizeof(b)))
		ok = fail("read /dev/hwrng: %s", strerror(errno));
	else if (all_one_value(a, sizeof(a)) || all_one_value(b, sizeof(b)))
		ok = fail("a 4096 byte read is all 0x%02x",
			  all_one_value(a, sizeof(a)) ? a[0] : b[0]);
	else if (!memcmp(a, b, sizeof(a)))
		ok = fail("two reads returned identical data");
	close(fd);
	return ok;
}
