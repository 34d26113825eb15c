// SPDX-License-Identifier: GPL-2.0
/*
 * Hot-unplug (harness.hotplug=N): the host removes and re-adds a disk
 * and a NIC while I/O runs on them; the new devices must work.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib.h"
#include "checks.h"
#include "pattern.h"

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

int find_hotplug_disk(char *name, size_t len)
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

int check_hotplug(const void *arg)
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
