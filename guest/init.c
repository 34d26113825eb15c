// SPDX-License-Identifier: GPL-2.0
/*
 * PID 1 of the virtio test initramfs.
 *
 * Mounts the pseudo file systems, lists every virtio device, exercises
 * each one (block, net, rng, console, balloon), collects KUnit and
 * selftest results and prints everything as KTAP on the console, then
 * powers the guest off.
 *
 * Every check runs in a forked child with a hard time limit: a check
 * that hangs, even inside the kernel, becomes "not ok" instead of
 * stalling the whole run.
 *
 * On a host, HARNESS_INIT_DRYRUN=1 runs only the read-only discovery.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <linux/aio_abi.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pattern.h"

#define KiB 1024ULL
#define MiB (1024ULL * 1024ULL)
#define NAME_LEN 256
#define MAX_VIRTIO 64
#define MAX_NICS 16

#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLOCK 2
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_RNG 4
#define VIRTIO_ID_BALLOON 5
#define VIRTIO_F_ACCESS_PLATFORM 33

#define VIRTIO_DEVICES "/sys/bus/virtio/devices"
#define DEBUGFS "/sys/kernel/debug"
#define SWIOTLB_HIWATER DEBUGFS "/swiotlb/io_tlb_used_hiwater"
#define KUNIT_DIR DEBUGFS "/kunit"
#define DMA_API_ERRORS DEBUGFS "/dma-api/error_count"
#define TRACEFS "/sys/kernel/tracing"
#define PM_TEST "/sys/power/pm_test"
#define PM_STATE "/sys/power/state"
#define PM_TEST_DELAY "/sys/module/suspend/parameters/pm_test_delay"
#define SELFTEST_SCRIPT "/selftests/run_virtio.sh"
#define BENCH_PROGRAM "/bench"
#define CONSOLE_PORT_NAME "org.harness.console"
#define KMEMLEAK DEBUGFS "/kmemleak"
#define FAILSLAB DEBUGFS "/failslab"
#define FAIL_IOMMU DEBUGFS "/fail_iommu"
#define HOTPLUG_SERIAL "hotplug"

/* ---- state and configuration ---- */

struct harness_config {
	unsigned int echo_port;		/* 0: no echo checks */
	unsigned long long console_in;	/* bytes the host feeds us */
	int balloon;
	int bench;			/* run /bench instead of the checks */
	unsigned int blk_mb;
	unsigned int volume_mib;	/* parallel verified block I/O */
	unsigned int hotplug;		/* hot-unplug cycles, 0: none */
	int fail_iommu;			/* inject IOMMU mapping failures */
	char fault_require[64];		/* "start,end" of virtio_ring's text */
	char fault_reject[64];		/* "start,end" of dma-debug's text */
	char skip[NAME_LEN];		/* comma separated name prefixes */
};

static struct harness_config cfg = { .blk_mb = 4, .volume_mib = 64 };

struct virtio_dev {
	char name[NAME_LEN];
	char driver[NAME_LEN];		/* empty: no driver bound */
	unsigned int id;
};

static struct virtio_dev virtio_devs[MAX_VIRTIO];
static int num_virtio;

static int dry_run;
static int tests_run, tests_passed, tests_failed;

/* Bytes each kind of check verified, summed over all check processes. */
enum verified_kind { VERIFIED_BLK, VERIFIED_NET, VERIFIED_CONSOLE, VERIFIED_KINDS };
static unsigned long long *verified_total;	/* MAP_SHARED, or NULL */

/* Why the running check failed; only used inside the check's process. */
static char fail_reason[512];

/* A check returns 1 on success; on failure it returns fail(...). */
typedef int (*check_fn)(const void *arg);

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(fail_reason, sizeof(fail_reason), fmt, ap);
	va_end(ap);
	return 0;
}

/* ---- time ---- */

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static int ms_left(long long deadline)
{
	long long left = deadline - now_ms();

	return left > 0 ? (int)left : 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* ---- small file helpers ---- */

static int path_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* Reads a small file as a NUL terminated string; -1 if unreadable. */
static ssize_t read_text(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t done = 0;
	ssize_t n;

	buf[0] = '\0';
	if (fd < 0)
		return -1;
	while (done + 1 < len) {
		n = read(fd, buf + done, len - 1 - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += n;
	}
	close(fd);
	buf[done] = '\0';
	return done;
}

/* First whitespace delimited word of a file; -1 if unreadable or empty. */
static int read_word(const char *path, char *word, size_t len)
{
	char text[256];
	size_t n;
	char *start;

	if (read_text(path, text, sizeof(text)) < 0)
		return -1;
	start = text + strspn(text, " \t\n");
	n = strcspn(start, " \t\n");
	if (!n || n >= len)
		return -1;
	memcpy(word, start, n);
	word[n] = '\0';
	return 0;
}

static int read_ull(const char *path, unsigned long long *value)
{
	char word[64];
	char *end;

	if (read_word(path, word, sizeof(word)))
		return -1;
	*value = strtoull(word, &end, 0);
	return *end ? -1 : 0;
}

/* Writes @text to a sysfs/debugfs/tracefs file; 0 or -1 with errno. */
static int write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	size_t len = strlen(text);
	ssize_t n;
	int err;

	if (fd < 0)
		return -1;
	n = write(fd, text, len);
	err = errno;
	close(fd);
	errno = err;
	if (n == (ssize_t)len)
		return 0;
	if (n >= 0)
		errno = EIO;
	return -1;
}

/* Basename of the target of symlink @path. */
static int readlink_base(const char *path, char *name, size_t len)
{
	char target[PATH_MAX];
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	const char *base;

	if (n < 0)
		return -1;
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (strlen(base) >= len)
		return -1;
	memcpy(name, base, strlen(base) + 1);
	return 0;
}

/* Value of the "key: value" or "key value" line of a /proc file. */
static int proc_value(const char *path, const char *key,
		      unsigned long long *value)
{
	size_t klen = strlen(key), cap = 0;
	char *line = NULL;
	FILE *file = fopen(path, "re");
	int ret = -1;

	if (!file)
		return -1;
	while (ret && getline(&line, &cap, file) > 0) {
		if (strncmp(line, key, klen) ||
		    (line[klen] != ':' && line[klen] != ' '))
			continue;
		*value = strtoull(line + klen + 1, NULL, 10);
		ret = 0;
	}
	free(line);
	fclose(file);
	return ret;
}

/* Orders "virtio2" before "virtio10". */
static int natural_cmp(const char *a, const char *b)
{
	while (*a && *b) {
		if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
			char *end_a, *end_b;
			unsigned long long na = strtoull(a, &end_a, 10);
			unsigned long long nb = strtoull(b, &end_b, 10);

			if (na != nb)
				return na < nb ? -1 : 1;
			a = end_a;
			b = end_b;
			continue;
		}
		if (*a != *b)
			break;
		a++;
		b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}

static int name_cmp(const void *a, const void *b)
{
	return natural_cmp(a, b);
}

struct name_list {
	char (*names)[NAME_LEN];
	int count;
};

/* Sorted entries of @dir starting with @prefix; count is 0 if unreadable. */
static void list_dir(const char *dir, const char *prefix, struct name_list *list)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int cap = 0;

	list->names = NULL;
	list->count = 0;
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' ||
		    strncmp(de->d_name, prefix, strlen(prefix)) ||
		    strlen(de->d_name) >= NAME_LEN)
			continue;
		if (list->count == cap) {
			void *bigger = realloc(list->names,
					       (cap + 32) * sizeof(*list->names));

			if (!bigger)
				break;
			list->names = bigger;
			cap += 32;
		}
		strcpy(list->names[list->count++], de->d_name);
	}
	closedir(d);
	if (list->count)
		qsort(list->names, list->count, sizeof(*list->names), name_cmp);
}

static int have_device_id(unsigned int id)
{
	int i;

	for (i = 0; i < num_virtio; i++)
		if (virtio_devs[i].id == id)
			return 1;
	return 0;
}

/* ---- KTAP reporting and the check runner ---- */

static void report(const char *name, int ok, const char *reason)
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

/* Waits up to @timeout_ms for @pid to exit; 1 if it was reaped. */
static int reap(pid_t pid, int timeout_ms, int *status)
{
	long long deadline = now_ms() + timeout_ms;

	do {
		if (waitpid(pid, status, WNOHANG) == pid)
			return 1;
		sleep_ms(10);
	} while (ms_left(deadline));
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
static void run_check(const char *name, unsigned int timeout_s, check_fn fn,
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

/* Reports the first differing byte of two buffers; counts verified bytes. */
static int verify_bytes(const unsigned char *got, const unsigned char *want,
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

/* ---- boot: console, mounts, command line ---- */

struct mount_point {
	const char *source, *target, *type;
	int fatal;
};

static const struct mount_point mount_points[] = {
	{ "proc", "/proc", "proc", 1 },
	{ "sysfs", "/sys", "sysfs", 1 },
	{ "devtmpfs", "/dev", "devtmpfs", 1 },
	{ "debugfs", DEBUGFS, "debugfs", 0 },
	{ "tracefs", TRACEFS, "tracefs", 0 },
};

/* True when @path is already the root of a mount (the kernel may mount it). */
static int is_mount_point(const char *path)
{
	char parent[PATH_MAX];
	struct stat self, up;

	snprintf(parent, sizeof(parent), "%s/..", path);
	if (stat(path, &self) || stat(parent, &up))
		return 0;
	return self.st_dev != up.st_dev;
}

static int mount_one(const struct mount_point *mp)
{
	if (is_mount_point(mp->target))
		return 0;
	mkdir(mp->target, 0755);
	if (mount(mp->source, mp->target, mp->type, 0, NULL) && errno != EBUSY)
		return -1;
	return 0;
}

/* Without /dev/console in the initramfs the kernel gives us no stdout. */
static void ensure_console(void)
{
	int fd;

	if (fcntl(STDOUT_FILENO, F_GETFD) >= 0)
		return;
	mount_one(&mount_points[2]);	/* devtmpfs */
	fd = open("/dev/console", O_RDWR | O_NOCTTY);
	if (fd < 0)
		return;
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
}

/* Mounts everything; fills @why and returns -1 if a vital mount failed. */
static int mount_all(char *why, size_t len)
{
	size_t i;
	int ret = 0;

	for (i = 0; i < sizeof(mount_points) / sizeof(mount_points[0]); i++) {
		const struct mount_point *mp = &mount_points[i];

		if (!mount_one(mp))
			continue;
		printf("# mount %s on %s failed: %s\n", mp->type, mp->target,
		       strerror(errno));
		if (mp->fatal && !ret) {
			snprintf(why, len, "mount %s on %s: %s", mp->type,
				 mp->target, strerror(errno));
			ret = -1;
		}
	}
	return ret;
}

static void set_option(const char *key, const char *value)
{
	if (!strcmp(key, "echo_port"))
		cfg.echo_port = strtoul(value, NULL, 0);
	else if (!strcmp(key, "console_in"))
		cfg.console_in = strtoull(value, NULL, 0);
	else if (!strcmp(key, "balloon"))
		cfg.balloon = strtol(value, NULL, 0) != 0;
	else if (!strcmp(key, "bench"))
		cfg.bench = strtol(value, NULL, 0) != 0;
	else if (!strcmp(key, "blk_mb"))
		cfg.blk_mb = strtoul(value, NULL, 0);
	else if (!strcmp(key, "volume_mib"))
		cfg.volume_mib = strtoul(value, NULL, 0);
	else if (!strcmp(key, "hotplug"))
		cfg.hotplug = strtoul(value, NULL, 0);
	else if (!strcmp(key, "fail_iommu"))
		cfg.fail_iommu = strtol(value, NULL, 0) != 0;
	else if (!strcmp(key, "fault_require"))
		snprintf(cfg.fault_require, sizeof(cfg.fault_require), "%s", value);
	else if (!strcmp(key, "fault_reject"))
		snprintf(cfg.fault_reject, sizeof(cfg.fault_reject), "%s", value);
	else if (!strcmp(key, "skip"))
		snprintf(cfg.skip, sizeof(cfg.skip), "%s", value);
}

static void parse_cmdline(void)
{
	char text[4096];
	char *word, *save, *eq;

	if (read_text("/proc/cmdline", text, sizeof(text)) < 0)
		return;
	for (word = strtok_r(text, " \t\n", &save); word;
	     word = strtok_r(NULL, " \t\n", &save)) {
		if (strncmp(word, "harness.", 8))
			continue;
		eq = strchr(word, '=');
		if (!eq)
			continue;
		*eq = '\0';
		set_option(word + 8, eq + 1);
	}
	printf("# config echo_port=%u console_in=%llu balloon=%d blk_mb=%u volume_mib=%u skip=%s\n",
	       cfg.echo_port, cfg.console_in, cfg.balloon, cfg.blk_mb,
	       cfg.volume_mib, cfg.skip[0] ? cfg.skip : "-");
}

/* ---- virtio device discovery ---- */

static void scan_virtio_devices(void)
{
	struct name_list list;
	char path[PATH_MAX];
	unsigned long long id;
	int i;

	list_dir(VIRTIO_DEVICES, "virtio", &list);
	num_virtio = 0;
	for (i = 0; i < list.count && num_virtio < MAX_VIRTIO; i++) {
		struct virtio_dev *dev = &virtio_devs[num_virtio++];

		snprintf(dev->name, sizeof(dev->name), "%s", list.names[i]);
		snprintf(path, sizeof(path), VIRTIO_DEVICES "/%s/driver",
			 dev->name);
		if (readlink_base(path, dev->driver, sizeof(dev->driver)))
			dev->driver[0] = '\0';
		snprintf(path, sizeof(path), VIRTIO_DEVICES "/%s/device",
			 dev->name);
		dev->id = read_ull(path, &id) ? 0 : (unsigned int)id;
	}
	free(list.names);
}

/* A virtio-blk device is usable once its disk has a /dev node. */
static int virtio_blk_ready(const struct virtio_dev *dev)
{
	struct name_list disks;
	char path[PATH_MAX];
	int i, ready;

	snprintf(path, sizeof(path), VIRTIO_DEVICES "/%s/block", dev->name);
	list_dir(path, "", &disks);
	ready = disks.count > 0;
	for (i = 0; i < disks.count; i++) {
		snprintf(path, sizeof(path), "/dev/%s", disks.names[i]);
		ready &= path_exists(path);
	}
	free(disks.names);
	return ready;
}

static int virtio_settled(char *why, size_t len)
{
	int i;

	for (i = 0; i < num_virtio; i++) {
		const struct virtio_dev *dev = &virtio_devs[i];

		if (!dev->driver[0]) {
			snprintf(why, len, "%.64s has no driver", dev->name);
			return 0;
		}
		if (dev->id == VIRTIO_ID_BLOCK && !virtio_blk_ready(dev)) {
			snprintf(why, len, "%.64s has no /dev node", dev->name);
			return 0;
		}
	}
	return 1;
}

/* Probing may still run; wait until two scans in a row look complete. */
static void wait_virtio_settled(void)
{
	long long start = now_ms();
	char why[NAME_LEN + 32] = "device count still changing";
	int last_count = -1;

	for (;;) {
		scan_virtio_devices();
		if (virtio_settled(why, sizeof(why)) &&
		    num_virtio == last_count) {
			printf("# virtio: %d devices settled after %lld ms\n",
			       num_virtio, now_ms() - start);
			return;
		}
		last_count = num_virtio;
		if (now_ms() - start >= 10000) {
			printf("# virtio: not settled after 10 s: %s\n", why);
			return;
		}
		sleep_ms(100);
	}
}

static const char *virtio_transport(const char *name)
{
	char path[PATH_MAX];
	char *real;
	const char *transport = "other";

	snprintf(path, sizeof(path), VIRTIO_DEVICES "/%s", name);
	real = realpath(path, NULL);
	if (!real)
		return transport;
	if (strstr(real, "/pci"))
		transport = "pci";
	else if (strstr(real, "mmio"))
		transport = "mmio";
	free(real);
	return transport;
}

static int virtio_access_platform(const char *name)
{
	char path[PATH_MAX], features[256];

	snprintf(path, sizeof(path), VIRTIO_DEVICES "/%s/features", name);
	if (read_text(path, features, sizeof(features)) <= VIRTIO_F_ACCESS_PLATFORM)
		return 0;
	return features[VIRTIO_F_ACCESS_PLATFORM] == '1';
}

/* " dma_mode=<mode>[ dma_dev=<dev>]" from the virtio debugfs file. */
static void virtio_dma_mode(const char *name, char *out, size_t len)
{
	char path[PATH_MAX], text[256], mode[64], dev[64];
	const char *dev_name = dev;
	int words;

	snprintf(path, sizeof(path), DEBUGFS "/virtio/%s/dma_mode", name);
	if (read_text(path, text, sizeof(text)) < 0)
		words = 0;
	else
		words = sscanf(text, "%63s %63s", mode, dev);
	if (words < 1) {
		snprintf(out, len, " dma_mode=n/a");
		return;
	}
	if (words < 2) {
		snprintf(out, len, " dma_mode=%s", mode);
		return;
	}
	if (!strncmp(dev, "dev=", 4))
		dev_name += 4;
	snprintf(out, len, " dma_mode=%s dma_dev=%s", mode, dev_name);
}

static void print_device_table(void)
{
	char dma[160];
	int i;

	for (i = 0; i < num_virtio; i++) {
		const struct virtio_dev *dev = &virtio_devs[i];

		virtio_dma_mode(dev->name, dma, sizeof(dma));
		printf("harness: device %s driver=%s transport=%s id=%u access_platform=%d%s\n",
		       dev->name, dev->driver[0] ? dev->driver : "none",
		       virtio_transport(dev->name), dev->id,
		       virtio_access_platform(dev->name), dma);
	}
}

static void print_swiotlb(const char *when)
{
	char word[64];

	if (read_word(SWIOTLB_HIWATER, word, sizeof(word)))
		snprintf(word, sizeof(word), "n/a");
	printf("harness: swiotlb used_hiwater=%s %s\n", word, when);
}

/* ---- block ---- */

#define BLK_RW_START (2 * MiB)
#define BLK_SLOT_SIZE (128 * KiB)

struct blk_disk {
	char name[NAME_LEN];
	char dev_path[NAME_LEN + 8];
	unsigned long long size;	/* bytes */
	unsigned int index;
};

struct blk_rw_arg {
	const struct blk_disk *disk;
	unsigned long long disk_off;
	size_t size;
	size_t buf_off;
	uint64_t seed;
};

struct blk_random_arg {
	const struct blk_disk *disk;
	unsigned long long region_off;
	unsigned long long region_len;
	uint64_t seed;
};

struct blk_slot {
	unsigned long long off;
	size_t len;
	size_t buf_off;
	uint64_t seed;
};

static const struct {
	size_t size;
	size_t buf_offs[3];
	int num_offs;
} blk_rw_cases[] = {
	{ 512, { 0, 512 }, 2 },
	{ 4096, { 0, 512 }, 2 },
	{ 8192 + 512, { 0, 512 }, 2 },
	{ 65536, { 0, 512, 3584 }, 3 },	/* 3584: the buffer spans pages */
	{ 300 * KiB, { 0, 512 }, 2 },
	{ 1 * MiB, { 0, 512 }, 2 },
};

/* Page aligned buffer with room for any in-page offset in front. */
static unsigned char *alloc_aligned(size_t len)
{
	void *buf;

	if (posix_memalign(&buf, 4096, len + 4096))
		return NULL;
	return buf;
}

/* The read-back buffer sits at another in-page offset than the write one. */
static size_t read_buf_off(size_t write_off)
{
	return (write_off + 1024) % 4096;
}

static ssize_t pio_full(int fd, unsigned char *buf, size_t len,
			unsigned long long off, int write)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		if (write)
			n = pwrite(fd, buf + done, len - done, off + done);
		else
			n = pread(fd, buf + done, len - done, off + done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -1 : (ssize_t)done;
		done += n;
	}
	return done;
}

/* Transfers exactly @len bytes or fails with a reason. */
static int blk_io(int fd, unsigned char *buf, size_t len,
		  unsigned long long off, int write)
{
	ssize_t n = pio_full(fd, buf, len, off, write);

	if (n == (ssize_t)len)
		return 1;
	if (n < 0)
		return fail("%s of %zu bytes at %llu: %s",
			    write ? "write" : "read", len, off, strerror(errno));
	return fail("short %s at %llu: %zd of %zu bytes",
		    write ? "write" : "read", off, n, len);
}

static int check_blk_hostpattern(const void *arg)
{
	const struct blk_disk *disk = arg;
	unsigned char *buf;
	size_t i;
	int fd, ok;

	if (disk->size < HOST_PATTERN_LEN)
		return fail("disk has only %llu bytes", disk->size);
	buf = alloc_aligned(HOST_PATTERN_LEN);
	fd = open(disk->dev_path, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (!buf || fd < 0)
		return fail("open %s: %s", disk->dev_path, strerror(errno));
	ok = blk_io(fd, buf, HOST_PATTERN_LEN, 0, 0);
	for (i = 0; ok && i < HOST_PATTERN_LEN; i++)
		if (buf[i] != host_pattern_byte(i))
			ok = fail("first mismatch at offset %zu: expected 0x%02x got 0x%02x",
				  i, host_pattern_byte(i), buf[i]);
	close(fd);
	free(buf);
	return ok;
}

static int check_blk_rw(const void *arg)
{
	const struct blk_rw_arg *rw = arg;
	unsigned char *wbase = alloc_aligned(rw->size);
	unsigned char *rbase = alloc_aligned(rw->size);
	unsigned char *wbuf, *rbuf;
	int fd, ok;

	fd = open(rw->disk->dev_path, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (!wbase || !rbase || fd < 0)
		return fail("open %s: %s", rw->disk->dev_path, strerror(errno));
	wbuf = wbase + rw->buf_off;
	rbuf = rbase + read_buf_off(rw->buf_off);
	pattern_fill(wbuf, rw->size, rw->seed);
	memset(rbuf, 0x5a, rw->size);
	ok = blk_io(fd, wbuf, rw->size, rw->disk_off, 1);
	if (ok && fsync(fd))
		ok = fail("fsync: %s", strerror(errno));
	ok = ok && blk_io(fd, rbuf, rw->size, rw->disk_off, 0);
	ok = ok && verify_bytes(rbuf, wbuf, rw->size, "read-back", VERIFIED_BLK);
	close(fd);
	free(wbase);
	free(rbase);
	return ok;
}

/* Random length, position and buffer offset for slot @i. */
static void blk_plan_slot(struct blk_slot *slot, unsigned int i,
			  const struct blk_random_arg *r, uint64_t *rng)
{
	size_t sectors = BLK_SLOT_SIZE / 512;
	size_t len_sectors = 1 + xorshift64_next(rng) % sectors;

	slot->len = len_sectors * 512;
	slot->off = r->region_off + (unsigned long long)i * BLK_SLOT_SIZE +
		    512 * (xorshift64_next(rng) % (sectors - len_sectors + 1));
	slot->buf_off = 512 * (xorshift64_next(rng) % 8);
	slot->seed = r->seed ^ ((uint64_t)i << 20);
}

/* Shuffled slot order, so consecutive writes land at random offsets. */
static void shuffle(unsigned int *order, unsigned int n, uint64_t *rng)
{
	unsigned int i, j, tmp;

	for (i = 0; i < n; i++)
		order[i] = i;
	for (i = n; i > 1; i--) {
		j = xorshift64_next(rng) % i;
		tmp = order[i - 1];
		order[i - 1] = order[j];
		order[j] = tmp;
	}
}

static int blk_random_write(int fd, struct blk_slot *slots, unsigned int n,
			    unsigned char *base, const struct blk_random_arg *r)
{
	unsigned int *order = calloc(n, sizeof(*order));
	uint64_t rng = pattern_state(r->seed);
	unsigned int i;
	int ok = 1;

	if (!order)
		return fail("out of memory");
	shuffle(order, n, &rng);
	for (i = 0; ok && i < n; i++) {
		struct blk_slot *slot = &slots[order[i]];

		blk_plan_slot(slot, order[i], r, &rng);
		pattern_fill(base + slot->buf_off, slot->len, slot->seed);
		ok = blk_io(fd, base + slot->buf_off, slot->len, slot->off, 1);
	}
	free(order);
	if (ok && fsync(fd))
		ok = fail("fsync: %s", strerror(errno));
	return ok;
}

static int blk_random_verify(int fd, const struct blk_slot *slots,
			     unsigned int n, unsigned char *base,
			     unsigned char *want)
{
	char what[64];
	unsigned int i;
	int ok = 1;

	for (i = 0; ok && i < n; i++) {
		const struct blk_slot *slot = &slots[i];
		unsigned char *buf = base + read_buf_off(slot->buf_off);

		memset(buf, 0x5a, slot->len);
		pattern_fill(want, slot->len, slot->seed);
		snprintf(what, sizeof(what), "slot %u at %llu", i, slot->off);
		ok = blk_io(fd, buf, slot->len, slot->off, 0) &&
		     verify_bytes(buf, want, slot->len, what, VERIFIED_BLK);
	}
	return ok;
}

static int check_blk_random(const void *arg)
{
	const struct blk_random_arg *r = arg;
	unsigned int n = r->region_len / BLK_SLOT_SIZE;
	struct blk_slot *slots = calloc(n, sizeof(*slots));
	unsigned char *base = alloc_aligned(BLK_SLOT_SIZE);
	unsigned char *want = malloc(BLK_SLOT_SIZE);
	unsigned long long bytes = 0;
	unsigned int i;
	int fd, ok;

	fd = open(r->disk->dev_path, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (!slots || !base || !want || fd < 0)
		return fail("open %s: %s", r->disk->dev_path, strerror(errno));
	ok = blk_random_write(fd, slots, n, base, r) &&
	     blk_random_verify(fd, slots, n, base, want);
	for (i = 0; i < n; i++)
		bytes += slots[i].len;
	printf("# blk %s: random: %u slots of up to %llu KiB at %llu MiB, %llu bytes written\n",
	       r->disk->name, n, BLK_SLOT_SIZE / KiB, r->region_off / MiB,
	       bytes);
	close(fd);
	free(slots);
	free(base);
	free(want);
	return ok;
}

static int blk_disk_info(struct blk_disk *disk, const char *name,
			 unsigned int index)
{
	char path[PATH_MAX];
	unsigned long long sectors, lbs = 0, ro = 0;

	snprintf(disk->name, sizeof(disk->name), "%s", name);
	snprintf(disk->dev_path, sizeof(disk->dev_path), "/dev/%s", name);
	disk->index = index;
	snprintf(path, sizeof(path), "/sys/block/%s/size", name);
	if (read_ull(path, &sectors))
		sectors = 0;
	disk->size = sectors * 512;
	snprintf(path, sizeof(path), "/sys/block/%s/queue/logical_block_size",
		 name);
	read_ull(path, &lbs);
	snprintf(path, sizeof(path), "/sys/block/%s/ro", name);
	read_ull(path, &ro);
	printf("# blk %s: size=%llu logical_block_size=%llu ro=%llu\n",
	       name, disk->size, lbs, ro);
	return ro != 0;
}

/* Returns the first byte after the regions of the rw checks. */
static unsigned long long run_blk_rw_checks(const struct blk_disk *disk)
{
	unsigned long long off = BLK_RW_START;
	struct blk_rw_arg rw = { .disk = disk };
	char name[NAME_LEN + 64];
	unsigned int c, k, test = 0;

	for (c = 0; c < sizeof(blk_rw_cases) / sizeof(blk_rw_cases[0]); c++) {
		for (k = 0; k < (unsigned int)blk_rw_cases[c].num_offs; k++) {
			rw.size = blk_rw_cases[c].size;
			rw.buf_off = blk_rw_cases[c].buf_offs[k];
			rw.disk_off = off;
			rw.seed = 0xB10CULL << 48 | (uint64_t)disk->index << 32 |
				  ++test;
			snprintf(name, sizeof(name), "blk-%s-rw-%zu-bufoff%zu",
				 disk->name, rw.size, rw.buf_off);
			off += (rw.size + 4095) / 4096 * 4096;
			if (rw.disk_off + rw.size > disk->size) {
				printf("# %s: skipped, disk too small\n", name);
				continue;
			}
			run_check(name, 30, check_blk_rw, &rw);
		}
	}
	return off;
}

/* Returns the first byte after the random check's region, at *@region. */
static unsigned long long run_blk_random_check(const struct blk_disk *disk,
					       unsigned long long start,
					       unsigned long long *region)
{
	struct blk_random_arg r = { .disk = disk };
	char name[NAME_LEN + 64];

	snprintf(name, sizeof(name), "blk-%s-random-%uMiB", disk->name,
		 cfg.blk_mb);
	/* after 4 MiB and after the rw regions, on a MiB boundary */
	r.region_off = (start > 4 * MiB ? start + MiB - 1 : 4 * MiB) / MiB * MiB;
	r.region_len = cfg.blk_mb * MiB;
	if (r.region_off + r.region_len > disk->size)
		r.region_len = disk->size > r.region_off ?
			       (disk->size - r.region_off) / BLK_SLOT_SIZE * BLK_SLOT_SIZE : 0;
	if (r.region_len < cfg.blk_mb * MiB)
		printf("# %s: disk too small, region cut to %llu KiB at %llu MiB\n",
		       name, r.region_len / KiB, r.region_off / MiB);
	if (r.region_len) {
		r.seed = 0x7A4D0ULL << 40 | disk->index;
		run_check(name, 30 + 4 * cfg.blk_mb, check_blk_random, &r);
	}
	*region = r.region_off;
	return r.region_off + r.region_len;
}

/*
 * Several processes at once, each in its own part of the region, cut it
 * into random-length runs (one sector up to BLK_PAR_MAX) at random buffer
 * offsets, submit all the writes at once (Linux AIO), then all the reads
 * into differently placed buffers, and compare; pass after pass with
 * fresh data until the volume is done.  Many requests in flight at once
 * are what exhaust a small SWIOTLB pool.
 */
#define BLK_PAR_WORKERS 8
#define BLK_PAR_MAX (1 * MiB)
#define BLK_PAR_REGION (8 * MiB)
#define BLK_PAR_SLACK (1 * MiB)		/* buffer room for offsets, padding */

struct blk_par_arg {
	const struct blk_disk *disk;
	unsigned long long region_off;
	unsigned long long region_len;	/* per worker */
	unsigned long long volume;	/* bytes per worker */
};

struct blk_par_io {
	aio_context_t ctx;
	struct iocb *iocbs, **list;
	struct io_event *events;
	size_t *at;			/* buffer offset of each run */
	unsigned int max;
};

/* Submits @n prepared iocbs and waits for all; each must move its bytes. */
static int blk_par_submit(struct blk_par_io *io, unsigned int n,
			  const char *what)
{
	unsigned int done = 0, i;
	long r;

	for (i = 0; i < n; i++)
		io->list[i] = &io->iocbs[i];
	for (i = 0; i < n; i += r) {
		r = syscall(SYS_io_submit, io->ctx, n - i, io->list + i);
		if (r <= 0)
			return fail("io_submit %s: %s", what,
				    r ? strerror(errno) : "nothing queued");
	}
	while (done < n) {
		r = syscall(SYS_io_getevents, io->ctx, 1, n - done,
			    io->events, NULL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return fail("io_getevents %s: %s", what, strerror(errno));
		for (i = 0; i < (unsigned int)r; i++) {
			const struct iocb *cb = (void *)(uintptr_t)io->events[i].obj;

			if (io->events[i].res != (long long)cb->aio_nbytes)
				return fail("%s of %llu bytes at %lld: %s", what,
					    (unsigned long long)cb->aio_nbytes,
					    (long long)cb->aio_offset,
					    io->events[i].res < 0 ?
					    strerror(-io->events[i].res) : "short");
		}
		done += r;
	}
	return 1;
}

static void blk_par_prep(struct iocb *cb, int fd, int write, void *buf,
			 const struct blk_slot *slot)
{
	memset(cb, 0, sizeof(*cb));
	cb->aio_fildes = fd;
	cb->aio_lio_opcode = write ? IOCB_CMD_PWRITE : IOCB_CMD_PREAD;
	cb->aio_buf = (uintptr_t)buf;
	cb->aio_nbytes = slot->len;
	cb->aio_offset = slot->off;
}

static int blk_par_pass(int fd, const struct blk_par_arg *p, unsigned int w,
			unsigned int pass, unsigned char *wbase,
			unsigned char *rbase, struct blk_slot *slots,
			struct blk_par_io *io)
{
	unsigned long long start = p->region_off + w * p->region_len;
	unsigned long long end = start + p->region_len, off = start;
	uint64_t rng = pattern_state((uint64_t)w << 32 | pass);
	size_t *at = io->at, pos = 0, stretch;
	unsigned int i, n = 0;
	char what[96];

	/*
	 * Plan the runs; each gets its own page-aligned stretch of buffer
	 * (room for the write and the read-back offset).  Many tiny runs
	 * may use up the slack before the region is covered: then the pass
	 * covers less.
	 */
	while (off < end && n < io->max) {
		struct blk_slot *slot = &slots[n];
		size_t max = end - off < BLK_PAR_MAX ? end - off : BLK_PAR_MAX;

		slot->len = 512 * (1 + xorshift64_next(&rng) % (max / 512));
		slot->off = off;
		slot->buf_off = 512 * (xorshift64_next(&rng) % 8);
		slot->seed = 0x9A4A11E1ULL << 32 | (uint64_t)w << 24 |
			     (uint64_t)pass << 12 | n;
		stretch = (slot->buf_off + 1024 + slot->len + 4095) / 4096 * 4096;
		if (pos + stretch > p->region_len + BLK_PAR_SLACK)
			break;
		at[n] = pos;
		pos += stretch;
		pattern_fill(wbase + at[n] + slot->buf_off, slot->len, slot->seed);
		blk_par_prep(&io->iocbs[n], fd, 1, wbase + at[n] + slot->buf_off,
			     slot);
		off += slot->len;
		n++;
	}
	snprintf(what, sizeof(what), "worker %u pass %u write", w, pass);
	if (!blk_par_submit(io, n, what))
		return 0;
	if (fsync(fd))
		return fail("fsync: %s", strerror(errno));
	for (i = 0; i < n; i++) {
		unsigned char *buf = rbase + at[i] + read_buf_off(slots[i].buf_off);

		memset(buf, 0x5a, slots[i].len);
		blk_par_prep(&io->iocbs[i], fd, 0, buf, &slots[i]);
	}
	snprintf(what, sizeof(what), "worker %u pass %u read", w, pass);
	if (!blk_par_submit(io, n, what))
		return 0;
	for (i = 0; i < n; i++) {
		snprintf(what, sizeof(what), "worker %u pass %u run at %llu",
			 w, pass, slots[i].off);
		if (!verify_bytes(rbase + at[i] + read_buf_off(slots[i].buf_off),
				  wbase + at[i] + slots[i].buf_off, slots[i].len,
				  what, VERIFIED_BLK))
			return 0;
	}
	return 1;
}

static void __attribute__((noreturn))
blk_par_worker(const struct blk_par_arg *p, unsigned int w)
{
	/* every run takes at least a page of the buffer */
	size_t buf_len = p->region_len + BLK_PAR_SLACK;
	unsigned int max = buf_len / 4096;
	unsigned char *wbase = alloc_aligned(buf_len);
	unsigned char *rbase = alloc_aligned(buf_len);
	struct blk_slot *slots = calloc(max, sizeof(*slots));
	struct blk_par_io io = {
		.iocbs = calloc(max, sizeof(struct iocb)),
		.list = calloc(max, sizeof(struct iocb *)),
		.events = calloc(max, sizeof(struct io_event)),
		.at = calloc(max, sizeof(size_t)),
		.max = max,
	};
	unsigned long long done = 0;
	unsigned int pass = 0;
	int fd, ok = 1;

	fd = open(p->disk->dev_path, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (!wbase || !rbase || !slots || !io.iocbs || !io.list ||
	    !io.events || !io.at || fd < 0)
		ok = fail("open %s: %s", p->disk->dev_path, strerror(errno));
	else if (syscall(SYS_io_setup, max, &io.ctx))
		ok = fail("io_setup: %s", strerror(errno));
	while (ok && done < p->volume) {
		ok = blk_par_pass(fd, p, w, pass++, wbase, rbase, slots, &io);
		done += p->region_len;
	}
	if (!ok)
		printf("# blk parallel worker %u: %s\n", w, fail_reason);
	_exit(ok ? 0 : 1);
}

static int check_blk_parallel(const void *arg)
{
	const struct blk_par_arg *p = arg;
	pid_t pids[BLK_PAR_WORKERS];
	unsigned int w, failed = 0;
	int status;

	for (w = 0; w < BLK_PAR_WORKERS; w++) {
		pids[w] = fork();
		if (pids[w] == 0)
			blk_par_worker(p, w);
		if (pids[w] < 0)
			return fail("fork: %s", strerror(errno));
	}
	for (w = 0; w < BLK_PAR_WORKERS; w++)
		if (waitpid(pids[w], &status, 0) != pids[w] ||
		    !WIFEXITED(status) || WEXITSTATUS(status))
			failed++;
	printf("# blk %s: parallel: %u workers, %llu KiB regions at %llu MiB, %llu MiB each, %u failed\n",
	       p->disk->name, BLK_PAR_WORKERS, p->region_len / KiB,
	       p->region_off / MiB, p->volume / MiB, failed);
	if (failed)
		return fail("%u of %u workers failed", failed, BLK_PAR_WORKERS);
	return 1;
}

static void run_blk_parallel_check(const struct blk_disk *disk,
				   unsigned long long start)
{
	struct blk_par_arg p = { .disk = disk };
	unsigned long long passes;
	char name[NAME_LEN + 64];

	p.region_off = (start + MiB - 1) / MiB * MiB;
	p.region_len = disk->size > p.region_off ?
		       (disk->size - p.region_off) / BLK_PAR_WORKERS / MiB * MiB : 0;
	if (p.region_len > BLK_PAR_REGION)
		p.region_len = BLK_PAR_REGION;
	if (p.region_len < BLK_PAR_MAX) {
		report("blk-parallel", 0, "disk too small for the parallel regions");
		return;
	}
	/* whole passes over every region, at least one */
	passes = (cfg.volume_mib * MiB / BLK_PAR_WORKERS + p.region_len - 1) /
		 p.region_len;
	p.volume = (passes ? passes : 1) * p.region_len;
	snprintf(name, sizeof(name), "blk-%s-parallel-%lluMiB", disk->name,
		 BLK_PAR_WORKERS * p.volume / MiB);
	run_check(name, 60 + 2 * BLK_PAR_WORKERS * p.volume / MiB,
		  check_blk_parallel, &p);
	print_swiotlb("after-parallel");
}

static int is_hotplug_disk(const char *name)
{
	char path[PATH_MAX], serial[NAME_LEN];

	snprintf(path, sizeof(path), "/sys/block/%s/serial", name);
	return !read_word(path, serial, sizeof(serial)) &&
	       !strcmp(serial, HOTPLUG_SERIAL);
}

static void run_blk_fault_checks(const struct blk_disk *disk,
				 unsigned long long region_off,
				 unsigned long long region_len);

static void run_blk_checks(void)
{
	struct name_list disks;
	struct blk_disk disk;
	char name[NAME_LEN + 64];
	unsigned long long end, random_off;
	int i;

	list_dir("/sys/block", "vd", &disks);
	for (i = 0; i < disks.count; i++) {
		int read_only;

		/* That one is check_hotplug()'s. */
		if (is_hotplug_disk(disks.names[i]))
			continue;
		read_only = blk_disk_info(&disk, disks.names[i], i);

		snprintf(name, sizeof(name), "blk-%s-hostpattern", disk.name);
		run_check(name, 30, check_blk_hostpattern, &disk);
		if (read_only) {
			printf("# blk %s: read-only, no write checks\n",
			       disk.name);
			continue;
		}
		end = run_blk_rw_checks(&disk);
		random_off = end;
		if (cfg.blk_mb)
			end = run_blk_random_check(&disk, end, &random_off);
		/* The fault checks rewrite the random check's region. */
		if (i == 0 && end > random_off)
			run_blk_fault_checks(&disk, random_off, end - random_off);
		if (cfg.volume_mib)
			run_blk_parallel_check(&disk, end);
	}
	free(disks.names);
}

/* ---- network ---- */

#define ETH_ADDR_LEN 6
#define ETH_HDR_LEN 14
#define HARNESS_ETHERTYPE 0x88B5
#define RAW_FRAMES 64
#define GUEST_ADDR "10.0.2.15"
#define GUEST_NETMASK "255.255.255.0"
#define ECHO_HOST "10.0.2.2"
#define UDP_DATAGRAMS 32
#define TCP_ECHO_LEN (1 * MiB)
#define TCP_CHUNK (16 * KiB)

struct nic {
	char name[IFNAMSIZ];
	int index;
	unsigned char mac[ETH_ADDR_LEN];
};

struct raw_arg {
	const struct nic *from, *to;
	uint64_t seed;
};

struct echo_arg {
	int addr_ok;
};

static const size_t raw_payload_sizes[] = { 46, 60, 64, 200, 1000, 1486 };

static int nic_ioctl(const char *name, unsigned long request,
		     struct ifreq *ifr)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int ret, err;

	if (fd < 0)
		return -1;
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", name);
	ret = ioctl(fd, request, ifr);
	err = errno;
	close(fd);
	errno = err;
	return ret;
}

static int nic_up(const char *name)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	if (nic_ioctl(name, SIOCGIFFLAGS, &ifr))
		return -1;
	ifr.ifr_flags |= IFF_UP;
	return nic_ioctl(name, SIOCSIFFLAGS, &ifr);
}

static int nic_set_ipv4(const char *name, unsigned long request,
			const char *addr)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	inet_pton(AF_INET, addr, &sin.sin_addr);
	memcpy(&ifr.ifr_addr, &sin, sizeof(sin));
	return nic_ioctl(name, request, &ifr);
}

static int nic_query(struct nic *nic)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	if (nic_ioctl(nic->name, SIOCGIFINDEX, &ifr))
		return -1;
	nic->index = ifr.ifr_ifindex;
	if (nic_ioctl(nic->name, SIOCGIFHWADDR, &ifr))
		return -1;
	memcpy(nic->mac, ifr.ifr_hwaddr.sa_data, ETH_ADDR_LEN);
	return 0;
}

static int find_virtio_nics(struct nic *nics, int max)
{
	struct name_list ifs;
	char path[PATH_MAX], driver[NAME_LEN];
	int i, n = 0;

	list_dir("/sys/class/net", "", &ifs);
	for (i = 0; i < ifs.count && n < max; i++) {
		snprintf(path, sizeof(path), "/sys/class/net/%s/device/driver",
			 ifs.names[i]);
		if (readlink_base(path, driver, sizeof(driver)) ||
		    strcmp(driver, "virtio_net") ||
		    strlen(ifs.names[i]) >= IFNAMSIZ)
			continue;
		memset(&nics[n], 0, sizeof(nics[n]));
		memcpy(nics[n].name, ifs.names[i], strlen(ifs.names[i]) + 1);
		n++;
	}
	free(ifs.names);
	return n;
}

static int nic_carrier(const char *name)
{
	char path[PATH_MAX];
	unsigned long long carrier;

	snprintf(path, sizeof(path), "/sys/class/net/%s/carrier", name);
	return !read_ull(path, &carrier) && carrier == 1;
}

/* Brings lo and the NICs up and waits up to 5 s for all carriers. */
static void nics_up(struct nic *nics, int n)
{
	long long deadline = now_ms() + 5000;
	int i, all;

	if (nic_up("lo"))
		printf("# net lo: up failed: %s\n", strerror(errno));
	for (i = 0; i < n; i++) {
		if (nic_up(nics[i].name))
			printf("# net %s: up failed: %s\n", nics[i].name,
			       strerror(errno));
		if (nic_query(&nics[i]))
			printf("# net %s: no index or MAC: %s\n",
			       nics[i].name, strerror(errno));
	}
	do {
		for (i = 0, all = 1; i < n; i++)
			all &= nic_carrier(nics[i].name);
		if (!all)
			sleep_ms(100);
	} while (!all && ms_left(deadline));
	for (i = 0; i < n; i++) {
		const unsigned char *m = nics[i].mac;

		printf("# net %s: ifindex=%d mac=%02x:%02x:%02x:%02x:%02x:%02x carrier=%d\n",
		       nics[i].name, nics[i].index, m[0], m[1], m[2], m[3],
		       m[4], m[5], nic_carrier(nics[i].name));
	}
}

static int packet_socket(int ifindex)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(HARNESS_ETHERTYPE),
		.sll_ifindex = ifindex,
	};
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC,
			htons(HARNESS_ETHERTYPE));

	if (fd >= 0 && bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static void put_be32(unsigned char *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static uint32_t get_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

/* Frame @seq: header, 4 byte sequence number, then pattern bytes. */
static size_t raw_build_frame(unsigned char *frame, const struct raw_arg *raw,
			      uint32_t seq)
{
	size_t payload = raw_payload_sizes[seq % (sizeof(raw_payload_sizes) /
						  sizeof(raw_payload_sizes[0]))];

	memcpy(frame, raw->to->mac, ETH_ADDR_LEN);
	memcpy(frame + ETH_ADDR_LEN, raw->from->mac, ETH_ADDR_LEN);
	frame[12] = HARNESS_ETHERTYPE >> 8;
	frame[13] = HARNESS_ETHERTYPE & 0xff;
	put_be32(frame + ETH_HDR_LEN, seq);
	pattern_fill(frame + ETH_HDR_LEN + 4, payload - 4, raw->seed + seq);
	return ETH_HDR_LEN + payload;
}

/* Frames that are ours: inbound, our ethertype, from the sending NIC. */
static int raw_is_ours(const unsigned char *buf, ssize_t n,
		       const struct sockaddr_ll *sll, const struct raw_arg *raw)
{
	return n >= ETH_HDR_LEN + 4 && sll->sll_pkttype != PACKET_OUTGOING &&
	       !memcmp(buf + ETH_ADDR_LEN, raw->from->mac, ETH_ADDR_LEN) &&
	       buf[12] == HARNESS_ETHERTYPE >> 8 &&
	       buf[13] == (HARNESS_ETHERTYPE & 0xff);
}

/* Waits up to 2 s for frame @seq on @fd and checks every byte. */
static int raw_receive(int fd, const unsigned char *want, size_t len,
		       uint32_t seq, const struct raw_arg *raw)
{
	long long deadline = now_ms() + 2000;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	unsigned char buf[2048];
	struct sockaddr_ll sll;
	socklen_t sll_len;
	ssize_t n;

	while (ms_left(deadline)) {
		if (poll(&pfd, 1, ms_left(deadline)) <= 0)
			continue;
		sll_len = sizeof(sll);
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&sll,
			     &sll_len);
		if (!raw_is_ours(buf, n, &sll, raw))
			continue;
		if (get_be32(buf + ETH_HDR_LEN) != seq) {
			printf("# frame %u: ignored stale frame %u\n", seq,
			       get_be32(buf + ETH_HDR_LEN));
			continue;
		}
		if ((size_t)n != len) {
			printf("# frame %u: %zd bytes, expected %zu\n", seq, n,
			       len);
			return 0;
		}
		if (!verify_bytes(buf, want, len, "frame", VERIFIED_NET)) {
			printf("# frame %u: %s\n", seq, fail_reason);
			return 0;
		}
		return 1;
	}
	printf("# frame %u: not received within 2 s\n", seq);
	return 0;
}

static int check_net_raw(const void *arg)
{
	const struct raw_arg *raw = arg;
	int tx = packet_socket(raw->from->index);
	int rx = packet_socket(raw->to->index);
	unsigned char frame[ETH_HDR_LEN + 1500];
	int verified = 0;
	uint32_t seq;
	size_t len;

	if (tx < 0 || rx < 0)
		return fail("packet socket: %s", strerror(errno));
	for (seq = 0; seq < RAW_FRAMES; seq++) {
		len = raw_build_frame(frame, raw, seq);
		if (send(tx, frame, len, MSG_NOSIGNAL) != (ssize_t)len) {
			printf("# frame %u: send failed: %s\n", seq,
			       strerror(errno));
			continue;
		}
		verified += raw_receive(rx, frame, len, seq, raw);
	}
	printf("# net %s->%s: %d of %d frames verified\n", raw->from->name,
	       raw->to->name, verified, RAW_FRAMES);
	close(tx);
	close(rx);
	if (verified != RAW_FRAMES)
		return fail("%d of %d frames verified", verified, RAW_FRAMES);
	return 1;
}

/* Connected socket to the host echo service; non-blocking for TCP. */
static int echo_socket(int type)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(cfg.echo_port),
	};
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

	inet_pton(AF_INET, ECHO_HOST, &sin.sin_addr);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) &&
	    errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

/* 1 if the echo of @buf came back, 0 if not, -1 if it came back wrong. */
static int udp_echo_once(int fd, const unsigned char *buf, size_t len,
			 unsigned char *rbuf)
{
	long long deadline = now_ms() + 2000;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;

	if (send(fd, buf, len, MSG_NOSIGNAL) != (ssize_t)len)
		return 0;
	while (ms_left(deadline)) {
		if (poll(&pfd, 1, ms_left(deadline)) <= 0)
			continue;
		n = recv(fd, rbuf, 2048, MSG_DONTWAIT);
		/* sizes are unique, so another length is a late echo */
		if (n != (ssize_t)len)
			continue;
		return verify_bytes(rbuf, buf, len, "echo", VERIFIED_NET) ? 1 : -1;
	}
	return 0;
}

static int check_net_echo_udp(const void *arg)
{
	const struct echo_arg *echo = arg;
	unsigned char buf[1400], rbuf[2048];
	int fd, i, try, ret = 0;
	size_t len;

	if (!echo->addr_ok)
		return fail("address setup failed");
	fd = echo_socket(SOCK_DGRAM);
	if (fd < 0)
		return fail("udp socket: %s", strerror(errno));
	for (i = 0; i < UDP_DATAGRAMS; i++) {
		len = 1 + (size_t)i * 1399 / (UDP_DATAGRAMS - 1);
		pattern_fill(buf, len, 0xEC40000ULL + i);
		/* slirp may drop a datagram while it resolves our MAC */
		for (try = 0, ret = 0; try < 3 && !ret; try++)
			ret = udp_echo_once(fd, buf, len, rbuf);
		if (ret != 1)
			break;
	}
	close(fd);
	if (ret == 0)
		return fail("datagram %d (%zu bytes): no echo after 3 tries",
			    i, len);
	if (ret < 0)
		return fail("datagram %d: %s", i, fail_reason);
	printf("# net echo udp: %d datagrams of 1..1400 bytes verified\n",
	       UDP_DATAGRAMS);
	return 1;
}

static int tcp_wait_connected(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	socklen_t len = sizeof(int);
	int err = 0;

	if (poll(&pfd, 1, 5000) <= 0)
		return fail("connect: no answer within 5 s");
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) || err)
		return fail("connect: %s", strerror(err));
	return 1;
}

/* Sends all of @tx while reading the echo into @rx; 20 s bound. */
static int tcp_echo_stream(int fd, const unsigned char *tx, unsigned char *rx)
{
	long long deadline = now_ms() + 20000;
	struct pollfd pfd = { .fd = fd };
	size_t sent = 0, got = 0, chunk;
	ssize_t n;

	while (got < TCP_ECHO_LEN) {
		pfd.events = POLLIN | (sent < TCP_ECHO_LEN ? POLLOUT : 0);
		if (!ms_left(deadline) || poll(&pfd, 1, ms_left(deadline)) == 0)
			return fail("timed out: sent %zu, received %zu", sent,
				    got);
		chunk = TCP_ECHO_LEN - sent < TCP_CHUNK ? TCP_ECHO_LEN - sent :
							  TCP_CHUNK;
		if (pfd.revents & POLLOUT) {
			n = send(fd, tx + sent, chunk, MSG_NOSIGNAL);
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				return fail("send: %s", strerror(errno));
			sent += n > 0 ? n : 0;
		}
		n = recv(fd, rx + got, TCP_ECHO_LEN - got, MSG_DONTWAIT);
		if (n == 0)
			return fail("peer closed after %zu bytes", got);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return fail("recv: %s", strerror(errno));
		got += n > 0 ? n : 0;
	}
	return 1;
}

static int check_net_echo_tcp(const void *arg)
{
	const struct echo_arg *echo = arg;
	unsigned char *tx = malloc(TCP_ECHO_LEN), *rx = malloc(TCP_ECHO_LEN);
	int fd, ok;

	if (!echo->addr_ok)
		return fail("address setup failed");
	if (!tx || !rx)
		return fail("out of memory");
	fd = echo_socket(SOCK_STREAM | SOCK_NONBLOCK);
	if (fd < 0)
		return fail("tcp socket: %s", strerror(errno));
	pattern_fill(tx, TCP_ECHO_LEN, 0x7C9EC40ULL);
	ok = tcp_wait_connected(fd) && tcp_echo_stream(fd, tx, rx) &&
	     verify_bytes(rx, tx, TCP_ECHO_LEN, "echo", VERIFIED_NET);
	if (ok)
		printf("# net echo tcp: %llu bytes verified\n", TCP_ECHO_LEN);
	close(fd);
	free(tx);
	free(rx);
	return ok;
}

static void run_net_echo_checks(const struct nic *nic)
{
	struct echo_arg echo = { .addr_ok = 1 };

	if (nic_set_ipv4(nic->name, SIOCSIFADDR, GUEST_ADDR) ||
	    nic_set_ipv4(nic->name, SIOCSIFNETMASK, GUEST_NETMASK)) {
		printf("# net %s: address setup failed: %s\n", nic->name,
		       strerror(errno));
		echo.addr_ok = 0;
	} else {
		printf("# net %s: address " GUEST_ADDR "/24, echo at " ECHO_HOST ":%u\n",
		       nic->name, cfg.echo_port);
	}
	run_check("net-echo-udp", 40, check_net_echo_udp, &echo);
	run_check("net-echo-tcp", 30, check_net_echo_tcp, &echo);
}

/* Raw frames both ways between the first two NICs; @tag names the round. */
static void run_net_raw_checks(const struct nic *nics, int n, const char *tag,
			       uint64_t seed)
{
	char name[2 * IFNAMSIZ + 32];
	struct raw_arg raw;
	int dir;

	for (dir = 0; n >= 2 && dir < 2; dir++) {
		raw.from = &nics[dir];
		raw.to = &nics[1 - dir];
		raw.seed = seed + ((uint64_t)dir << 16);
		snprintf(name, sizeof(name), "net-%.15s-to-%.15s-%sraw",
			 raw.from->name, raw.to->name, tag);
		run_check(name, 5 + RAW_FRAMES * 3, check_net_raw, &raw);
	}
}

static void run_net_checks(void)
{
	struct nic nics[MAX_NICS];
	int n = find_virtio_nics(nics, MAX_NICS);

	if (!n)
		return;
	nics_up(nics, n);
	run_net_raw_checks(nics, n, "", 0x88B50000ULL);
	if (cfg.echo_port)
		run_net_echo_checks(&nics[0]);
}

/* ---- rng ---- */

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
static int check_rng(const void *arg)
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

/* ---- console ---- */

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

static void run_console_checks(void)
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

/* ---- balloon ---- */

#define BALLOON_DROP_KB (32 * 1024ULL)
#define BALLOON_SLACK_KB (4 * 1024ULL)

static int mem_total_kb(unsigned long long *kb)
{
	return proc_value("/proc/meminfo", "MemTotal", kb);
}

/* Polls MemTotal until it is <= @limit (@below) or >= @limit, for 30 s. */
static int wait_mem_total(unsigned long long limit, int below,
			  unsigned long long *now)
{
	long long deadline = now_ms() + 30000;

	for (;;) {
		if (mem_total_kb(now))
			return 0;
		if (below ? *now <= limit : *now >= limit)
			return 1;
		if (!ms_left(deadline))
			return 0;
		sleep_ms(100);
	}
}

static void print_balloon_state(const char *when, unsigned long long kb)
{
	unsigned long long inflate, deflate;

	printf("# balloon %s: MemTotal=%llu kB", when, kb);
	if (!proc_value("/proc/vmstat", "balloon_inflate", &inflate) &&
	    !proc_value("/proc/vmstat", "balloon_deflate", &deflate))
		printf(" balloon_inflate=%llu balloon_deflate=%llu", inflate,
		       deflate);
	printf("\n");
}

static int check_balloon(const void *arg)
{
	unsigned long long before, now = 0;
	int ok;

	(void)arg;
	if (mem_total_kb(&before))
		return fail("cannot read MemTotal");
	print_balloon_state("before", before);
	printf("harness: balloon-inflate\n");
	ok = wait_mem_total(before - BALLOON_DROP_KB, 1, &now);
	print_balloon_state("inflated", now);
	if (!ok)
		return fail("MemTotal %llu kB did not drop 32 MiB below %llu kB in 30 s",
			    now, before);
	printf("harness: balloon-deflate\n");
	ok = wait_mem_total(before - BALLOON_SLACK_KB, 0, &now);
	print_balloon_state("deflated", now);
	if (!ok)
		return fail("MemTotal %llu kB did not return to %llu kB in 30 s",
			    now, before);
	return 1;
}

/* ---- KUnit, selftests, DMA API debugging ---- */

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

static void run_kunit_checks(void)
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

static int check_selftest(const void *arg)
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

static int check_dma_api_errors(const void *arg)
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
static int count_in_kernel_log(const char *what)
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

/* ---- suspend and restore ---- */

/*
 * Suspend to idle with pm_test=devices: every virtio driver's freeze and
 * restore runs (restore finalizes the features again, and with them the
 * DMA setup), then the devices must report the DMA modes they had.
 */
static int check_restore(const void *arg)
{
	char before[MAX_VIRTIO][160], after[160];
	int i, count = num_virtio;

	(void)arg;
	for (i = 0; i < count; i++)
		virtio_dma_mode(virtio_devs[i].name, before[i], sizeof(before[i]));
	if (write_text(PM_TEST, "devices"))
		return fail(PM_TEST ": %s", strerror(errno));
	if (path_exists(PM_TEST_DELAY))
		write_text(PM_TEST_DELAY, "0");
	if (write_text(PM_STATE, "freeze")) {
		int err = errno;

		write_text(PM_TEST, "none");
		return fail("freeze: %s", strerror(err));
	}
	write_text(PM_TEST, "none");
	if (count_in_kernel_log("PM: suspend exit") < 1)
		return fail("no \"PM: suspend exit\" in the kernel log");
	scan_virtio_devices();
	if (num_virtio != count)
		return fail("%d virtio devices before, %d after", count,
			    num_virtio);
	for (i = 0; i < count; i++) {
		virtio_dma_mode(virtio_devs[i].name, after, sizeof(after));
		if (strcmp(before[i], after))
			return fail("%s:%s before,%s after",
				    virtio_devs[i].name, before[i], after);
		if (!virtio_devs[i].driver[0])
			return fail("%s lost its driver", virtio_devs[i].name);
	}
	printf("# restore: %d devices kept their DMA mode\n", count);
	return 1;
}

/* After the restore: one verified block write/read and the raw frames. */
static void run_restored_checks(void)
{
	struct name_list disks;
	struct blk_disk disk;
	struct blk_rw_arg rw = { .disk = &disk, .size = MiB, .buf_off = 512 };
	struct nic nics[MAX_NICS];
	char name[NAME_LEN + 64];
	int n, i;

	wait_virtio_settled();
	list_dir("/sys/block", "vd", &disks);
	for (i = 0; i < disks.count; i++) {
		if (blk_disk_info(&disk, disks.names[i], i))
			continue;
		rw.disk_off = BLK_RW_START - MiB;	/* not used by other checks */
		rw.seed = 0x4E57043EULL << 32 | i;
		snprintf(name, sizeof(name), "blk-%s-restored-rw", disk.name);
		run_check(name, 30, check_blk_rw, &rw);
	}
	free(disks.names);
	n = find_virtio_nics(nics, MAX_NICS);
	nics_up(nics, n);
	run_net_raw_checks(nics, n, "restored-", 0x88B60000ULL);
}

/* ---- fault injection ---- */

/*
 * With CONFIG_FAILSLAB, or CONFIG_FAIL_IOMMU and harness.fail_iommu=1:
 * slab allocations, or the disk's IOMMU mappings, fail at random for the
 * check's process only (task-filter, make-it-fail) while it writes and
 * verifies random blocks.  virtio_ring falls back from indirect tables,
 * the block layer retries requests whose mapping failed: every byte must
 * still verify.  The fault_attr's "times" counts the failures injected.
 */
#define FAULT_TIMES 1000000ULL

struct fault_arg {
	const char *attr;		/* the fault_attr's debugfs directory */
	char device_switch[PATH_MAX];	/* per-device enable file, or "" */
	const char *require, *reject;	/* stack filter "start,end", or NULL */
	struct blk_random_arg io;
};

static int fault_set(const char *attr, const char *file, const char *value)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", attr, file);
	return write_text(path, value);
}

/* Sets @which-start and @which-end from "start,end". */
static int fault_set_range(const char *attr, const char *which,
			   const char *range)
{
	char file[32], value[32];
	const char *comma = strchr(range, ',');

	if (!comma) {
		errno = EINVAL;
		return -1;
	}
	snprintf(file, sizeof(file), "%s-start", which);
	snprintf(value, sizeof(value), "%.*s", (int)(comma - range), range);
	if (fault_set(attr, file, value))
		return -1;
	snprintf(file, sizeof(file), "%s-end", which);
	return fault_set(attr, file, comma + 1);
}

static int check_fault(const void *arg)
{
	const struct fault_arg *f = arg;
	char path[PATH_MAX], times[32];
	unsigned long long left;
	int ok;

	snprintf(times, sizeof(times), "%llu", FAULT_TIMES);
	if (write_text("/proc/self/make-it-fail", "1") ||
	    fault_set(f->attr, "task-filter", "Y") ||
	    fault_set(f->attr, "interval", "1") ||
	    fault_set(f->attr, "verbose", "0") ||
	    fault_set(f->attr, "times", times) ||
	    (f->require && fault_set_range(f->attr, "require", f->require)) ||
	    (f->reject && fault_set_range(f->attr, "reject", f->reject)) ||
	    fault_set(f->attr, "probability", "10") ||
	    (f->device_switch[0] && write_text(f->device_switch, "1")))
		return fail("cannot set up %s: %s", f->attr, strerror(errno));
	ok = check_blk_random(&f->io);
	fault_set(f->attr, "probability", "0");
	if (f->device_switch[0])
		write_text(f->device_switch, "0");
	write_text("/proc/self/make-it-fail", "0");
	snprintf(path, sizeof(path), "%s/times", f->attr);
	if (read_ull(path, &left) || left > FAULT_TIMES)
		return fail("cannot read %s", path);
	printf("harness: fault %s injected=%llu\n", strrchr(f->attr, '/') + 1,
	       FAULT_TIMES - left);
	if (ok && left == FAULT_TIMES)
		return fail("no failure was injected: nothing was tested");
	return ok;
}

static void run_blk_fault_checks(const struct blk_disk *disk,
				 unsigned long long region_off,
				 unsigned long long region_len)
{
	struct fault_arg f = { .io = { .disk = disk, .region_off = region_off,
				       .region_len = region_len } };
	char name[NAME_LEN + 64], path[PATH_MAX];

	if (path_exists(FAILSLAB)) {
		/*
		 * Only allocations made from virtio_ring, none from DMA-API
		 * debugging: failing its own would disable what checks us.
		 */
		snprintf(name, sizeof(name), "fault-failslab-blk-%s", disk->name);
		if (!cfg.fault_require[0] || !path_exists(FAILSLAB "/require-start")) {
			report(name, 0, cfg.fault_require[0] ?
			       "no failslab stack filter (CONFIG_FAULT_INJECTION_STACKTRACE_FILTER)" :
			       "no harness.fault_require (virtio_ring's text range)");
			return;
		}
		f.require = cfg.fault_require;
		f.reject = cfg.fault_reject[0] ? cfg.fault_reject : NULL;
		f.attr = FAILSLAB;
		f.io.seed = 0xFA115ABULL << 32 | disk->index;
		run_check(name, 60 + 8 * region_len / MiB, check_fault, &f);
		f.require = f.reject = NULL;
	}
	if (cfg.fail_iommu) {
		/* The disk's PCI function: the virtio device's parent. */
		snprintf(path, sizeof(path), "/sys/block/%s/device/../fail_iommu",
			 disk->name);
		snprintf(name, sizeof(name), "fault-fail_iommu-blk-%s", disk->name);
		if (!path_exists(FAIL_IOMMU) || !path_exists(path)) {
			report(name, 0, "no " FAIL_IOMMU " or per-device fail_iommu (CONFIG_FAIL_IOMMU)");
			return;
		}
		f.attr = FAIL_IOMMU;
		snprintf(f.device_switch, sizeof(f.device_switch), "%s", path);
		f.io.seed = 0xFA1110ULL << 32 | disk->index;
		run_check(name, 60 + 8 * region_len / MiB, check_fault, &f);
	}
}

/* ---- memory leaks ---- */

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

static int check_kmemleak(const void *arg)
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

/* ---- hot-unplug ---- */

/*
 * harness.hotplug=N, with the hotplug device set (scripts/boot.sh): a
 * disk with serial "hotplug" and a NIC with a MAC ending in 03 sit on
 * PCIe root ports.  N times, while a child writes and verifies on that
 * disk and sends frames from that NIC, ask the host to device_del both,
 * wait until they are gone, ask for device_add, and verify the new disk
 * and NIC.  The host reacts to the "harness: hotplug-del N" and
 * "harness: hotplug-add N" lines.
 */
#define HOTPLUG_MAC_LAST 0x03
#define HOTPLUG_WAIT_MS 60000
#define HOTPLUG_IO (64 * KiB)
#define HOTPLUG_IO_SPAN (16 * MiB)

static int find_hotplug_disk(char *name, size_t len)
{
	struct name_list disks;
	unsigned long long sectors;
	char path[PATH_MAX];
	int i, found = 0;

	list_dir("/sys/block", "vd", &disks);
	for (i = 0; i < disks.count && !found; i++) {
		snprintf(path, sizeof(path), "/sys/block/%s/size", disks.names[i]);
		if (!is_hotplug_disk(disks.names[i]) || read_ull(path, &sectors) ||
		    !sectors)
			continue;
		snprintf(path, sizeof(path), "/dev/%s", disks.names[i]);
		if (!path_exists(path))
			continue;
		snprintf(name, len, "%s", disks.names[i]);
		found = 1;
	}
	free(disks.names);
	return found;
}

/* The hot-pluggable NIC, and another one to exchange frames with. */
static int find_hotplug_nic(struct nic *hot, struct nic *other)
{
	struct nic nics[MAX_NICS];
	int i, n = find_virtio_nics(nics, MAX_NICS), found = 0;

	for (i = 0; i < n; i++) {
		if (nic_query(&nics[i]))
			continue;
		if (nics[i].mac[5] == HOTPLUG_MAC_LAST) {
			*hot = nics[i];
			found |= 1;
		} else if (!(found & 2)) {
			*other = nics[i];
			found |= 2;
		}
	}
	return found == 3;
}

/* Waits until both hot-pluggable devices are there (@present) or gone. */
static int wait_hotplug_devices(int present, char *disk, size_t len,
				struct nic *hot, struct nic *other)
{
	long long deadline = now_ms() + HOTPLUG_WAIT_MS;
	int have_disk, have_nic;

	do {
		have_disk = find_hotplug_disk(disk, len);
		have_nic = find_hotplug_nic(hot, other);
		if (present ? have_disk && have_nic : !have_disk && !have_nic)
			return 1;
		sleep_ms(100);
	} while (ms_left(deadline));
	return 0;
}

/* Writes and verifies until the disk goes away: exit 2 on wrong data. */
static void __attribute__((noreturn))
hotplug_load(const char *disk, const struct nic *hot, unsigned int cycle)
{
	unsigned char *w = alloc_aligned(HOTPLUG_IO);
	unsigned char *r = alloc_aligned(HOTPLUG_IO);
	unsigned char frame[ETH_HDR_LEN + 64];
	unsigned long long ops = 0, off;
	char dev[NAME_LEN + 8];
	int fd, tx, err = 0;

	snprintf(dev, sizeof(dev), "/dev/%s", disk);
	fd = open(dev, O_RDWR | O_DIRECT | O_CLOEXEC);
	tx = packet_socket(hot->index);
	if (!w || !r || fd < 0)
		_exit(0);	/* already gone */
	memset(frame, 0xff, ETH_ADDR_LEN);
	memcpy(frame + ETH_ADDR_LEN, hot->mac, ETH_ADDR_LEN);
	put_be32(frame + 2 * ETH_ADDR_LEN, HARNESS_ETHERTYPE << 16);
	for (;;) {
		off = ops * HOTPLUG_IO % HOTPLUG_IO_SPAN;
		pattern_fill(w, HOTPLUG_IO, (uint64_t)cycle << 32 | ops);
		memset(r, 0x5a, HOTPLUG_IO);
		if (pwrite(fd, w, HOTPLUG_IO, off) != (ssize_t)HOTPLUG_IO ||
		    pread(fd, r, HOTPLUG_IO, off) != (ssize_t)HOTPLUG_IO) {
			err = errno;
			break;
		}
		if (memcmp(r, w, HOTPLUG_IO)) {
			printf("# hotplug: cycle %u: wrong data read back at %llu\n",
			       cycle, off);
			_exit(2);
		}
		ops++;
		if (tx >= 0 && send(tx, frame, sizeof(frame), MSG_NOSIGNAL) < 0) {
			close(tx);
			tx = -1;
		}
	}
	printf("# hotplug: cycle %u: %llu writes verified until the disk went (%s)\n",
	       cycle, ops, strerror(err));
	_exit(0);
}

/* One verified write/read on the hot disk, frames both ways on the NIC. */
static int hotplug_verify(const char *name, struct nic *hot,
			  struct nic *other, unsigned int cycle)
{
	struct blk_disk disk;
	struct blk_rw_arg rw = { .disk = &disk, .size = MiB, .buf_off = 512,
				 .disk_off = HOTPLUG_IO_SPAN };
	struct raw_arg raw = { .from = hot, .to = other };
	long long deadline = now_ms() + 5000;

	blk_disk_info(&disk, name, 100 + cycle);
	rw.seed = 0x407ULL << 48 | cycle;
	if (!check_blk_rw(&rw))
		return fail("cycle %u: %s: %s", cycle, name, fail_reason);
	if (nic_up(hot->name) || nic_query(hot))
		return fail("cycle %u: %s: %s", cycle, hot->name, strerror(errno));
	while (!nic_carrier(hot->name) && ms_left(deadline))
		sleep_ms(100);
	raw.seed = 0x88B70000ULL + cycle;
	if (!check_net_raw(&raw))
		return fail("cycle %u: %s", cycle, fail_reason);
	raw.from = other;
	raw.to = hot;
	if (!check_net_raw(&raw))
		return fail("cycle %u: %s", cycle, fail_reason);
	return 1;
}

static int check_hotplug(const void *arg)
{
	struct nic hot, other;
	char disk[NAME_LEN];
	unsigned int c;
	int status;
	pid_t pid;

	(void)arg;
	for (c = 0; ; c++) {
		if (!wait_hotplug_devices(1, disk, sizeof(disk), &hot, &other))
			return fail("cycle %u: the hot-pluggable disk and NIC did not %s within %d s",
				    c, c ? "come back" : "appear", HOTPLUG_WAIT_MS / 1000);
		if (!hotplug_verify(disk, &hot, &other, c))
			return 0;
		if (c == cfg.hotplug)
			break;
		pid = fork();
		if (pid == 0)
			hotplug_load(disk, &hot, c);
		if (pid < 0)
			return fail("fork: %s", strerror(errno));
		sleep_ms(300);	/* requests in flight when the unplug starts */
		printf("harness: hotplug-del %u\n", c);
		if (!wait_hotplug_devices(0, disk, sizeof(disk), &hot, &other)) {
			kill(pid, SIGKILL);
			reap(pid, 1000, &status);
			return fail("cycle %u: device_del did not remove the disk and NIC within %d s",
				    c, HOTPLUG_WAIT_MS / 1000);
		}
		if (!reap(pid, HOTPLUG_WAIT_MS, &status)) {
			kill(pid, SIGKILL);
			reap(pid, 1000, &status);
			return fail("cycle %u: I/O still stuck %d s after the unplug",
				    c, HOTPLUG_WAIT_MS / 1000);
		}
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			return fail("cycle %u: I/O across the unplug: %s", c,
				    WIFEXITED(status) ? "wrong data read back" :
				    "killed by a signal");
		printf("harness: hotplug-add %u\n", c);
	}
	printf("harness: hotplug cycles=%u\n", cfg.hotplug);
	return 1;
}

/* ---- DMA address audit ---- */

/*
 * The dma:dma_map_page and dma:dma_map_sg events record the physical and
 * the DMA address of every mapping.  A device the series maps on itself
 * (named virtioN) must get dma == phys in direct mode.  In swiotlb mode
 * every address must differ from the buffer's, and all of them must fit
 * in one range no larger than the pool (its address is not exported).
 */
#define DMA_EVENTS TRACEFS "/events/dma"
#define SWIOTLB_FULL "swiotlb buffer is full"

static int dma_trace_on;

static void dma_trace_start(void)
{
	static const char *const events[] = { "dma_map_page", "dma_map_sg" };
	char path[PATH_MAX];
	unsigned int i;

	if (!path_exists(DMA_EVENTS))
		return;
	write_text(TRACEFS "/buffer_size_kb", "8192");
	write_text(TRACEFS "/trace", "");
	for (i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		snprintf(path, sizeof(path), DMA_EVENTS "/%s/enable", events[i]);
		if (write_text(path, "1")) {
			printf("# dma-audit: enable %s: %s\n", events[i],
			       strerror(errno));
			return;
		}
	}
	dma_trace_on = !write_text(TRACEFS "/tracing_on", "1");
}

static void print_swiotlb_full(void)
{
	int count = count_in_kernel_log(SWIOTLB_FULL);

	if (count < 0)
		printf("harness: swiotlb full-events=none (no kernel log)\n");
	else
		printf("harness: swiotlb full-events=%d\n", count);
}

struct dma_audit {
	unsigned long long pool_bytes;	/* 0: unknown */
	unsigned long long lowest, highest;	/* bounce addresses seen */
	unsigned long long direct, swiotlb, errors, skipped;
	char mode[MAX_VIRTIO][16];
};

/* Audits one (phys, dma, len) of device @d; 0 with a reason if wrong. */
static int dma_audit_one(struct dma_audit *a, int d, unsigned long long phys,
			 unsigned long long dma, unsigned long long len)
{
	const char *dev = virtio_devs[d].name;

	if (dma == ~0ULL) {
		a->errors++;		/* a failed mapping, seen by the driver */
		return 1;
	}
	if (!strcmp(a->mode[d], "direct")) {
		if (dma != phys)
			return fail("%s (direct): dma %#llx for phys %#llx",
				    dev, dma, phys);
		a->direct++;
	} else if (!strcmp(a->mode[d], "swiotlb")) {
		/* forced bouncing: never the buffer itself, always the pool */
		if (dma == phys)
			return fail("%s (swiotlb): phys %#llx was not bounced",
				    dev, phys);
		if (!a->swiotlb++ || dma < a->lowest)
			a->lowest = dma;
		if (dma + len > a->highest)
			a->highest = dma + len;
		if (a->highest - a->lowest > a->pool_bytes)
			return fail("%s (swiotlb): bounce addresses %#llx-%#llx span more than the %llu-byte pool",
				    dev, a->lowest, a->highest, a->pool_bytes);
	} else {
		a->skipped++;
	}
	return 1;
}

/* "{0x1,0x2}" at @p into @out; returns the count, -1 if malformed. */
static int parse_u64_array(const char *p, unsigned long long *out, int max)
{
	int n = 0;
	char *end;

	if (*p++ != '{')
		return -1;
	while (*p && *p != '}' && n < max) {
		out[n++] = strtoull(p, &end, 0);
		if (end == p)
			return -1;
		p = *end == ',' ? end + 1 : end;
	}
	return *p == '}' ? n : -1;
}

static int dma_audit_line(struct dma_audit *a, const char *line)
{
	unsigned long long phys, dma, len, dmas[128], lens[128], physs[128];
	const char *ev, *field;
	char dev[NAME_LEN];
	int d, n, k, i;

	ev = strstr(line, ": dma_map_page: ");
	k = ev ? 16 : 14;
	if (!ev)
		ev = strstr(line, ": dma_map_sg: ");
	if (!ev || sscanf(ev + k, "%255s", dev) != 1)
		return 1;
	for (d = 0; d < num_virtio && strcmp(virtio_devs[d].name, dev); d++)
		;
	if (d == num_virtio)
		return 1;	/* not mapped on a virtio device itself */
	if (k == 16) {
		if (sscanf(strstr(ev, " dma_addr="), " dma_addr=%llx size=%llu phys_addr=%llx",
			   &dma, &len, &phys) != 3)
			return fail("cannot parse: %.200s", line);
		return dma_audit_one(a, d, phys, dma, len);
	}
	if (strstr(ev, "[TRUNCATED]")) {
		a->skipped++;
		return 1;
	}
	field = strstr(ev, " dma_addrs=");
	n = field ? parse_u64_array(field + 11, dmas, 128) : -1;
	field = strstr(ev, " sizes=");
	k = field ? parse_u64_array(field + 7, lens, 128) : -1;
	field = strstr(ev, " phys_addrs=");
	if (n < 0 || k != n || !field ||
	    parse_u64_array(field + 12, physs, 128) != n)
		return fail("cannot parse: %.200s", line);
	for (i = 0; i < n; i++)
		if (!dma_audit_one(a, d, physs[i], dmas[i], lens[i]))
			return 0;
	return 1;
}

static int check_dma_audit(const void *arg)
{
	struct dma_audit a = { 0 };
	char line[8192], mode[160];
	int i, ok = 1;
	FILE *trace;

	(void)arg;
	write_text(TRACEFS "/tracing_on", "0");
	for (i = 0; i < num_virtio; i++) {
		virtio_dma_mode(virtio_devs[i].name, mode, sizeof(mode));
		sscanf(mode, " dma_mode=%15s", a.mode[i]);
	}
	/* The pool is one range of io_tlb_nslabs slots of 2 KiB. */
	if (!read_ull(DEBUGFS "/swiotlb/io_tlb_nslabs", &a.pool_bytes))
		a.pool_bytes *= 2048;
	trace = fopen(TRACEFS "/trace", "re");
	if (!trace)
		return fail(TRACEFS "/trace: %s", strerror(errno));
	while (ok && fgets(line, sizeof(line), trace))
		ok = dma_audit_line(&a, line);
	fclose(trace);
	printf("# dma-audit: %llu direct and %llu swiotlb addresses checked, %llu failed mappings, %llu not judged\n",
	       a.direct, a.swiotlb, a.errors, a.skipped);
	if (a.swiotlb)
		printf("# dma-audit: bounce addresses within %#llx-%#llx, pool %llu bytes\n",
		       a.lowest, a.highest, a.pool_bytes);
	if (ok && !a.direct && !a.swiotlb)
		return fail("no mapping of a virtio device was traced");
	return ok;
}

/* Only the series maps on the virtio device itself. */
static int have_dma_modes(void)
{
	char mode[160];
	int i;

	for (i = 0; i < num_virtio; i++) {
		virtio_dma_mode(virtio_devs[i].name, mode, sizeof(mode));
		if (strcmp(mode, " dma_mode=n/a"))
			return 1;
	}
	return 0;
}

static void run_all_checks(void)
{
	char name[NAME_LEN];

	dma_trace_start();
	run_blk_checks();
	run_net_checks();
	if (have_device_id(VIRTIO_ID_RNG))
		run_check("rng", 5, check_rng, NULL);
	run_console_checks();
	if (cfg.balloon && have_device_id(VIRTIO_ID_BALLOON))
		run_check("balloon", 65, check_balloon, NULL);
	if (path_exists(PM_TEST)) {
		run_check("restore", 60, check_restore, NULL);
		run_restored_checks();
	}
	if (cfg.hotplug && find_hotplug_disk(name, sizeof(name))) {
		run_check("hotplug", 60 + 60 * cfg.hotplug, check_hotplug, NULL);
		/* The re-added devices are new ones: audit them too. */
		scan_virtio_devices();
	}
	print_swiotlb_full();
	if (dma_trace_on && have_dma_modes())
		run_check("dma-audit", 60, check_dma_audit, NULL);
	else
		printf("# dma-audit: %s\n", dma_trace_on ?
		       "no device reports a DMA mode" : "no dma trace events");
	run_kunit_checks();
	if (path_exists(SELFTEST_SCRIPT) && path_exists("/bin/sh"))
		run_check("selftest-virtio", 65, check_selftest, NULL);
	if (path_exists(KMEMLEAK))
		run_check("kmemleak", 300, check_kmemleak, NULL);
	if (path_exists(DMA_API_ERRORS))
		run_check("dma-api-errors", 5, check_dma_api_errors, NULL);
}

/* ---- benchmark mode ---- */

static int run_bench(const void *arg)
{
	int status;
	pid_t pid;

	(void)arg;
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

/* ---- main ---- */

static void __attribute__((noreturn)) finish(void)
{
	print_swiotlb("after-io");
	if (verified_total)
		printf("harness: verified blk=%llu net=%llu console=%llu\n",
		       verified_total[VERIFIED_BLK], verified_total[VERIFIED_NET],
		       verified_total[VERIFIED_CONSOLE]);
	printf("1..%d\n", tests_run);
	printf("harness: summary passed=%d failed=%d\n", tests_passed,
	       tests_failed);
	if (dry_run) {
		printf("harness: dry run, no poweroff\n");
		exit(0);
	}
	printf("harness: poweroff\n");
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	/* PID 1 must never exit: that panics the kernel */
	for (;;)
		pause();
}

static void print_start(void)
{
	struct utsname uts;

	if (uname(&uts))
		memset(&uts, 0, sizeof(uts));
	printf("harness: init start arch=%s kernel=%s\n", uts.machine,
	       uts.release);
	printf("KTAP version 1\n");
}

int main(void)
{
	char why[256];
	int mounts_failed = 0;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (getpid() != 1) {
		const char *env = getenv("HARNESS_INIT_DRYRUN");

		if (!env || strcmp(env, "1")) {
			fprintf(stderr, "init: not PID 1, refusing to run (HARNESS_INIT_DRYRUN=1 runs discovery only)\n");
			return 2;
		}
		dry_run = 1;
	}
	if (!dry_run) {
		ensure_console();
		mounts_failed = mount_all(why, sizeof(why));
		setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 0);
	}
	print_start();
	if (mounts_failed) {
		report("mounts", 0, why);
		finish();
	}
	parse_cmdline();
	verified_total = mmap(NULL, VERIFIED_KINDS * sizeof(*verified_total),
			      PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
			      -1, 0);
	if (verified_total == MAP_FAILED)
		verified_total = NULL;
	wait_virtio_settled();
	print_device_table();
	print_swiotlb("before-io");
	if (!dry_run && cfg.bench)
		run_check("bench", 950, run_bench, NULL);
	else if (!dry_run)
		run_all_checks();
	finish();
}
