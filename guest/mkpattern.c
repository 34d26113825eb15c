// SPDX-License-Identifier: GPL-2.0
/*
 * mkpattern: host side of the guest data patterns (see pattern.h).
 *
 *   mkpattern disk FILE SIZE_MB          sparse disk image, host pattern in
 *                                         its first MiB
 *   mkpattern console-in FILE SEED LEN   write the console pattern to FILE
 *   mkpattern console-out FILE SEED LEN  exit 0 if FILE holds exactly that
 *                                         pattern, else report and exit 1
 *   mkpattern gpu-ppm FILE SEED WxH      exit 0 if the screendump FILE (PPM)
 *                                         shows the guest's WxH frame
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pattern.h"

static int usage(void)
{
	fprintf(stderr,
		"usage: mkpattern disk FILE SIZE_MB\n"
		"       mkpattern console-in FILE SEED LEN\n"
		"       mkpattern console-out FILE SEED LEN\n"
		"       mkpattern gpu-ppm FILE SEED WxH\n");
	return 2;
}

static int parse_number(const char *text, unsigned long long *value)
{
	char *end;

	errno = 0;
	*value = strtoull(text, &end, 0);
	if (errno || end == text || *end) {
		fprintf(stderr, "mkpattern: bad number '%s'\n", text);
		return -1;
	}
	return 0;
}

static int write_all(int fd, const unsigned char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= n;
	}
	return 0;
}

/* Writes @len bytes of @buf to a new or truncated @path of @size bytes. */
static int write_file(const char *path, const unsigned char *buf, size_t len,
		      off_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || ftruncate(fd, size) || write_all(fd, buf, len) ||
	    close(fd)) {
		fprintf(stderr, "mkpattern: %s: %s\n", path, strerror(errno));
		return 1;
	}
	return 0;
}

static int make_disk(const char *path, const char *size_mb)
{
	unsigned long long mb;
	unsigned char *buf;
	size_t i;
	int ret;

	if (parse_number(size_mb, &mb))
		return 2;
	if (mb < 1) {
		fprintf(stderr, "mkpattern: disk must be at least 1 MiB\n");
		return 2;
	}
	buf = malloc(HOST_PATTERN_LEN);
	if (!buf)
		return 1;
	for (i = 0; i < HOST_PATTERN_LEN; i++)
		buf[i] = host_pattern_byte(i);
	ret = write_file(path, buf, HOST_PATTERN_LEN, (off_t)(mb << 20));
	free(buf);
	return ret;
}

/* Allocates the console pattern for the SEED and LEN arguments. */
static unsigned char *console_pattern(const char *seed_arg, const char *len_arg,
				      size_t *len)
{
	unsigned long long seed, count;
	unsigned char *buf;

	if (parse_number(seed_arg, &seed) || parse_number(len_arg, &count))
		return NULL;
	*len = count;
	buf = malloc(count ? count : 1);
	if (buf)
		console_pattern_fill(buf, count, seed);
	return buf;
}

/* Reads all of @path into a new buffer; @len gets its size. */
static unsigned char *read_file(const char *path, size_t *len)
{
	unsigned char *buf = NULL;
	size_t cap = 0, n;
	FILE *file = fopen(path, "rb");

	*len = 0;
	if (!file) {
		fprintf(stderr, "mkpattern: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (*len == cap) {
			unsigned char *bigger = realloc(buf, cap ? cap * 2 : 65536);

			if (!bigger)
				break;
			buf = bigger;
			cap = cap ? cap * 2 : 65536;
		}
		n = fread(buf + *len, 1, cap - *len, file);
		if (!n)
			break;
		*len += n;
	}
	fclose(file);
	return buf ? buf : malloc(1);
}

static int check_console_out(const char *path, const unsigned char *want,
			     size_t want_len)
{
	size_t got_len, i, common;
	unsigned char *got = read_file(path, &got_len);

	if (!got)
		return 1;
	common = got_len < want_len ? got_len : want_len;
	for (i = 0; i < common && got[i] == want[i]; i++)
		;
	if (i < common)
		printf("mkpattern: %s: first mismatch at offset %zu: expected 0x%02x got 0x%02x\n",
		       path, i, want[i], got[i]);
	else if (got_len != want_len)
		printf("mkpattern: %s: has %zu bytes, expected %zu (first %zu match)\n",
		       path, got_len, want_len, common);
	free(got);
	return i < common || got_len != want_len;
}

static int console_cmd(const char *cmd, char **argv)
{
	size_t len;
	unsigned char *want = console_pattern(argv[1], argv[2], &len);
	int ret;

	if (!want)
		return 2;
	if (!strcmp(cmd, "console-in"))
		ret = write_file(argv[0], want, len, 0);
	else
		ret = check_console_out(argv[0], want, len);
	free(want);
	return ret;
}

/*
 * The guest filled an XRGB8888 frame (little endian: B, G, R, X) with
 * the pattern stream of @seed; QEMU's screendump writes it as binary PPM.
 */
static int check_gpu_ppm(const char *path, const char *seed_arg,
			 const char *size_arg)
{
	unsigned int width, height, got_w, got_h, maxval;
	unsigned long long seed;
	unsigned char *ppm, *frame;
	size_t len, i, pixels;
	int header = 0, ret = 1;
	char head[64] = "";

	if (parse_number(seed_arg, &seed) ||
	    sscanf(size_arg, "%ux%u", &width, &height) != 2)
		return 2;
	ppm = read_file(path, &len);
	if (!ppm)
		return 1;
	memcpy(head, ppm, len < sizeof(head) - 1 ? len : sizeof(head) - 1);
	if (sscanf(head, "P6 %u %u %u%n", &got_w, &got_h, &maxval, &header) != 3 ||
	    maxval != 255 || (size_t)header + 1 > len) {
		printf("mkpattern: %s: not a binary PPM with maxval 255\n", path);
		goto out;
	}
	if (got_w != width || got_h != height) {
		printf("mkpattern: %s: %ux%u, the guest showed %ux%u\n", path,
		       got_w, got_h, width, height);
		goto out;
	}
	pixels = (size_t)width * height;
	header++;	/* the one whitespace byte after maxval */
	if (len - header < pixels * 3) {
		printf("mkpattern: %s: %zu pixel bytes, expected %zu\n", path,
		       len - header, pixels * 3);
		goto out;
	}
	frame = malloc(pixels * 4);
	if (!frame)
		goto out;
	pattern_fill(frame, pixels * 4, seed);
	for (i = 0; i < pixels; i++) {
		const unsigned char *rgb = ppm + header + 3 * i;

		if (rgb[0] != frame[4 * i + 2] || rgb[1] != frame[4 * i + 1] ||
		    rgb[2] != frame[4 * i])
			break;
	}
	if (i < pixels)
		printf("mkpattern: %s: first wrong pixel (%zu,%zu): expected #%02x%02x%02x got #%02x%02x%02x\n",
		       path, i % width, i / width, frame[4 * i + 2],
		       frame[4 * i + 1], frame[4 * i], ppm[header + 3 * i],
		       ppm[header + 3 * i + 1], ppm[header + 3 * i + 2]);
	else
		ret = 0;
	free(frame);
out:
	free(ppm);
	return ret;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "disk"))
		return make_disk(argv[2], argv[3]);
	if (argc == 5 && (!strcmp(argv[1], "console-in") ||
			  !strcmp(argv[1], "console-out")))
		return console_cmd(argv[1], argv + 2);
	if (argc == 5 && !strcmp(argv[1], "gpu-ppm"))
		return check_gpu_ppm(argv[2], argv[3], argv[4]);
	return usage();
}
