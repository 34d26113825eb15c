// SPDX-License-Identifier: GPL-2.0
/*
 * KTAP reporting and the check runner.
 *
 * report() prints one "ok N name" or "not ok N name # reason" line.
 * run_check() runs a check in a forked child, in its own process group,
 * with a hard time limit: a check that hangs, even inside the kernel,
 * becomes "not ok" instead of stalling the whole run.  harness.skip=
 * prefixes turn a check into "ok N name # SKIP harness.skip".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib.h"

int tests_run, tests_passed, tests_failed;

/* Why the running check failed; only used inside the check's process. */
char fail_reason[512];

int fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(fail_reason, sizeof(fail_reason), fmt, ap);
	va_end(ap);
	return 0;
}

void report(const char *name, int ok, const char *reason)
{
	char clean[sizeof(fail_reason)];
	char *c;

	tests_run++;
	if (ok) {
		tests_passed++;
		printf("ok %d %s\n", tests_run, name);
		return;
	}
	tests_failed++;
	snprintf(clean, sizeof(clean), "%s", reason[0] ? reason : "failed");
	for (c = clean; *c; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' ';
	printf("not ok %d %s # %s\n", tests_run, name, clean);
}

/* harness.skip=a,b skips every check whose name starts with a or b. */
static int check_skipped(const char *name)
{
	char list[sizeof(cfg.skip)];
	char *item, *save;

	snprintf(list, sizeof(list), "%s", cfg.skip);
	for (item = strtok_r(list, ",", &save); item;
	     item = strtok_r(NULL, ",", &save))
		if (!strncmp(name, item, strlen(item)))
			return 1;
	return 0;
}

static void __attribute__((noreturn))
run_check_child(int fd, check_fn fn, const void *arg)
{
	char msg[1 + sizeof(fail_reason)];
	int ok;

	fail_reason[0] = '\0';
	ok = fn(arg);
	snprintf(msg, sizeof(msg), "%c%s", ok ? '1' : '0',
		 ok ? "" : fail_reason);
	if (write(fd, msg, strlen(msg)) < 0)
		_exit(1);
	_exit(0);
}

static void describe_death(int reaped, int status, char *reason, size_t len)
{
	if (!reaped)
		snprintf(reason, len, "check process gave no result");
	else if (WIFSIGNALED(status))
		snprintf(reason, len, "check process killed by signal %d",
			 WTERMSIG(status));
	else
		snprintf(reason, len, "check process exited %d without result",
			 WEXITSTATUS(status));
}

/* Reads the child's verdict; kills its process group on timeout. */
static int collect_result(int fd, pid_t pid, unsigned int timeout_s,
			  char *reason, size_t len)
{
	char msg[1 + sizeof(fail_reason)];
	long long deadline = now_ms() + timeout_s * 1000LL;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t got = 0;
	int status = 0, n;
	ssize_t r;

	for (;;) {
		n = ms_left(deadline) ? poll(&pfd, 1, ms_left(deadline)) : 0;
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			reap(pid, 1000, &status);
			snprintf(reason, len, "timed out after %u s", timeout_s);
			return 0;
		}
		r = read(fd, msg + got, sizeof(msg) - 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += r;
	}
	msg[got] = '\0';
	n = reap(pid, 2000, &status);
	if (!got) {
		describe_death(n, status, reason, len);
		return 0;
	}
	snprintf(reason, len, "%s", msg + 1);
	return msg[0] == '1';
}

/* Runs @fn(@arg) in its own process group, bounded by @timeout_s. */
void run_check(const char *name, unsigned int timeout_s, check_fn fn,
		      const void *arg)
{
	char reason[sizeof(fail_reason)];
	int fds[2], ok;
	pid_t pid;

	if (check_skipped(name)) {
		printf("ok %d %s # SKIP harness.skip\n", ++tests_run, name);
		return;
	}
	if (pipe2(fds, O_CLOEXEC)) {
		report(name, 0, "pipe2 failed");
		return;
	}
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		setpgid(0, 0);
		run_check_child(fds[1], fn, arg);
	}
	close(fds[1]);
	if (pid < 0) {
		close(fds[0]);
		report(name, 0, "fork failed");
		return;
	}
	setpgid(pid, pid);
	ok = collect_result(fds[0], pid, timeout_s, reason, sizeof(reason));
	close(fds[0]);
	report(name, ok, reason);
}
