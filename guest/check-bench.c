// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark mode (harness.bench=1): instead of the checks, run the
 * /bench program as the one check.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib.h"
#include "checks.h"

int run_bench(const void *arg)
{
	int status;
	pid_t pid;

	(void)arg;
	/*
	 * Kernel notices (a late "random: crng init done") would land inside
	 * the result lines on the shared console: warnings and worse only.
	 */
	if (write_text("/proc/sys/kernel/printk", "4"))
		return fail("cannot set the console log level: %s", strerror(errno));
	pid = fork();
	if (pid == 0) {
		execl(BENCH_PROGRAM, "bench", (char *)NULL);
		printf("# exec " BENCH_PROGRAM ": %s\n", strerror(errno));
		_exit(127);
	}
	if (pid < 0)
		return fail("fork: %s", strerror(errno));
	if (!reap(pid, 900000, &status)) {
		kill(pid, SIGKILL);
		reap(pid, 1000, &status);
		return fail("timed out after 900 s, killed");
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return fail("bench failed (status %#x)", status);
	return 1;
}
