// SPDX-License-Identifier: GPL-2.0
/*
 * Virtio console checks on the port named org.harness.console: a
 * pattern the host verifies ("harness: console wrote"), and with
 * harness.console_in= a pattern the host feeds in, verified here.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib.h"
#include "checks.h"
#include "pattern.h"

#define CONSOLE_OUT_LEN 65536
#define CONSOLE_OUT_SEED 0xC0FFEEULL
#define CONSOLE_IN_SEED 0xFEEDULL

struct console_arg {
	int fd;
};

/* Ports appear after the driver binds, once the host announces them. */
static int find_console_port(char *port, size_t len)
{
	long long deadline = now_ms() + 5000;
	struct name_list ports;
	char path[PATH_MAX], name[NAME_LEN];
	int i, found;

	do {
		list_dir("/sys/class/virtio-ports", "", &ports);
		for (i = 0, found = 0; i < ports.count && !found; i++) {
			snprintf(path, sizeof(path),
				 "/sys/class/virtio-ports/%s/name",
				 ports.names[i]);
			snprintf(port, len, "/dev/%s", ports.names[i]);
			found = !read_word(path, name, sizeof(name)) &&
				!strcmp(name, CONSOLE_PORT_NAME) &&
				path_exists(port);
		}
		free(ports.names);
		if (!found)
			sleep_ms(100);
	} while (!found && ms_left(deadline));
	return found ? 0 : -1;
}

static int check_console_write(const void *arg)
{
	const struct console_arg *con = arg;
	unsigned char *buf = malloc(CONSOLE_OUT_LEN);
	size_t done = 0;
	ssize_t n;

	if (!buf)
		return fail("out of memory");
	console_pattern_fill(buf, CONSOLE_OUT_LEN, CONSOLE_OUT_SEED);
	while (done < CONSOLE_OUT_LEN) {
		n = write(con->fd, buf + done, CONSOLE_OUT_LEN - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(buf);
			return fail("write after %zu bytes: %s", done,
				    strerror(errno));
		}
		done += n;
	}
	free(buf);
	printf("harness: console wrote %d seed 0x%llx\n", CONSOLE_OUT_LEN,
	       CONSOLE_OUT_SEED);
	return 1;
}

/* Reads exactly @len bytes within 10 s. */
static int console_read_all(int fd, unsigned char *buf, size_t len)
{
	long long deadline = now_ms() + 10000;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		if (!ms_left(deadline) || poll(&pfd, 1, ms_left(deadline)) == 0)
			return fail("got %zu of %zu bytes within 10 s", got,
				    len);
		n = (pfd.revents & POLLIN) ? read(fd, buf + got, len - got) : 0;
		if (n < 0 && errno != EINTR && errno != EAGAIN)
			return fail("read after %zu bytes: %s", got,
				    strerror(errno));
		/* POLLHUP or EOF: the host side is not connected (yet) */
		if (n <= 0)
			sleep_ms(10);
		else
			got += n;
	}
	return 1;
}

static int check_console_read(const void *arg)
{
	const struct console_arg *con = arg;
	size_t len = cfg.console_in;
	unsigned char *got = malloc(len), *want = malloc(len);
	int ok;

	if (!got || !want)
		return fail("out of memory for %zu bytes", len);
	console_pattern_fill(want, len, CONSOLE_IN_SEED);
	ok = console_read_all(con->fd, got, len) &&
	     verify_bytes(got, want, len, "console input", VERIFIED_CONSOLE);
	if (ok)
		printf("# console: read %zu bytes seed 0x%llx\n", len,
		       CONSOLE_IN_SEED);
	free(got);
	free(want);
	return ok;
}

void run_console_checks(void)
{
	struct console_arg con;
	char port[PATH_MAX];

	if (!have_device_id(VIRTIO_ID_CONSOLE))
		return;
	if (find_console_port(port, sizeof(port))) {
		printf("# console: no port named " CONSOLE_PORT_NAME "\n");
		return;
	}
	/* one open for both checks: the host sees a single connection */
	con.fd = open(port, O_RDWR | O_NOCTTY | O_CLOEXEC);
	printf("# console: port %s\n", port);
	if (con.fd < 0) {
		report("console-write", 0, strerror(errno));
		return;
	}
	run_check("console-write", 10, check_console_write, &con);
	if (cfg.console_in)
		run_check("console-read", 12, check_console_read, &con);
	close(con.fd);
}
