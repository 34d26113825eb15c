// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit and kselftest results: each suite under debugfs kunit/ becomes
 * a check with its results copied as diagnostics, and the virtio
 * selftests run from the initramfs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib.h"
#include "checks.h"

/* Copies the suite's results as diagnostics and checks its last line. */
static int check_kunit_suite(const void *arg)
{
	const char *path = arg;
	char last[256] = "";
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *file = fopen(path, "re");

	if (!file)
		return fail("open %s: %s", path, strerror(errno));
	while ((n = getline(&line, &cap, file)) > 0) {
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		printf("# %s\n", line);
		if (line[strspn(line, " \t")])
			snprintf(last, sizeof(last), "%s", line);
	}
	free(line);
	fclose(file);
	if (!strncmp(last, "ok ", 3))
		return 1;
	return fail("suite result: %s", last[0] ? last : "(no results)");
}

void run_kunit_checks(void)
{
	struct name_list suites;
	char path[PATH_MAX], name[NAME_LEN + 8];
	int i;

	list_dir(KUNIT_DIR, "", &suites);
	for (i = 0; i < suites.count; i++) {
		snprintf(path, sizeof(path), KUNIT_DIR "/%s/results",
			 suites.names[i]);
		snprintf(name, sizeof(name), "kunit-%s", suites.names[i]);
		run_check(name, 10, check_kunit_suite, path);
	}
	free(suites.names);
}

static void __attribute__((noreturn)) exec_selftest(void)
{
	int null = open("/dev/null", O_RDONLY);

	/* own process group, so a timeout kills everything it started */
	setpgid(0, 0);
	if (null >= 0)
		dup2(null, STDIN_FILENO);
	execl("/bin/sh", "sh", SELFTEST_SCRIPT, (char *)NULL);
	printf("# exec /bin/sh: %s\n", strerror(errno));
	_exit(127);
}

int check_selftest(const void *arg)
{
	int status;
	pid_t pid;

	(void)arg;
	pid = fork();
	if (pid == 0)
		exec_selftest();
	if (pid < 0)
		return fail("fork: %s", strerror(errno));
	setpgid(pid, pid);
	if (!reap(pid, 60000, &status)) {
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		reap(pid, 1000, &status);
		return fail("timed out after 60 s, killed");
	}
	if (WIFSIGNALED(status))
		return fail("killed by signal %d", WTERMSIG(status));
	if (WEXITSTATUS(status))
		return fail("exit status %d", WEXITSTATUS(status));
	return 1;
}
