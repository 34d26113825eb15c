// SPDX-License-Identifier: GPL-2.0
/*
 * Files of the pseudo file systems: small sysfs/debugfs/procfs/tracefs
 * readers and writers, sorted directory listings, and the boot mounts
 * (proc, sysfs, devtmpfs, debugfs, tracefs) with the console.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib.h"

/* ---- small file helpers ---- */

int path_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* Reads a small file as a NUL terminated string; -1 if unreadable. */
ssize_t read_text(const char *path, char *buf, size_t len)
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
int read_word(const char *path, char *word, size_t len)
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

int read_ull(const char *path, unsigned long long *value)
{
	char word[64];
	char *end;

	if (read_word(path, word, sizeof(word)))
		return -1;
	*value = strtoull(word, &end, 0);
	return *end ? -1 : 0;
}

/* Writes @text to a sysfs/debugfs/tracefs file; 0 or -1 with errno. */
int write_text(const char *path, const char *text)
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
int readlink_base(const char *path, char *name, size_t len)
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
int proc_value(const char *path, const char *key,
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

/* Sorted entries of @dir starting with @prefix; count is 0 if unreadable. */
void list_dir(const char *dir, const char *prefix, struct name_list *list)
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

/* ---- boot: console, mounts ---- */

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
void ensure_console(void)
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
int mount_all(char *why, size_t len)
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
