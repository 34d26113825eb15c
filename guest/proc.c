// SPDX-License-Identifier: GPL-2.0
/*
 * Time, child processes and the kernel log: monotonic milliseconds,
 * sleeping, reaping a child with a time limit, counting a message in the
 * kernel log.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/wait.h>
#include <time.h>

#include "lib.h"

/* ---- time ---- */

long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int ms_left(long long deadline)
{
	long long left = deadline - now_ms();

	return left > 0 ? (int)left : 0;
}

void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* ---- child processes ---- */

/* Waits up to @timeout_ms for @pid to exit; 1 if it was reaped. */
int reap(pid_t pid, int timeout_ms, int *status)
{
	long long deadline = now_ms() + timeout_ms;

	do {
		if (waitpid(pid, status, WNOHANG) == pid)
			return 1;
		sleep_ms(10);
	} while (ms_left(deadline));
	return 0;
}

/* ---- kernel log ---- */

/* The kernel log, NUL terminated; NULL if unreadable. */
static char *kernel_log(void)
{
	int len = klogctl(10, NULL, 0);	/* SYSLOG_ACTION_SIZE_BUFFER */
	char *buf;

	if (len <= 0 || !(buf = malloc(len + 1)))
		return NULL;
	len = klogctl(3, buf, len);	/* SYSLOG_ACTION_READ_ALL */
	if (len < 0) {
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

/* How often @what occurs in the kernel log; -1 if unreadable. */
int count_in_kernel_log(const char *what)
{
	char *log = kernel_log(), *at;
	int count = 0;

	if (!log)
		return -1;
	for (at = log; (at = strstr(at, what)); at++)
		count++;
	free(log);
	return count;
}
