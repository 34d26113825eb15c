// SPDX-License-Identifier: GPL-2.0
/*
 * In-guest benchmark of the virtio data path, run by init when the kernel
 * command line has harness.bench=1.
 *
 * Each workload runs a warm-up, then OPS operations between two markers
 * (see mark()), and prints
 *
 *   harness: bench NAME ops=N ns=T
 *
 * after "harness: bench spectre_v2=TEXT" (the kernel's Spectre v2
 * mitigation, from sysfs) and "harness: bench cpu=TEXT" (/proc/cpuinfo).
 *
 * The host's QEMU plugin (guest/insn-marks.c) logs the guest's executed
 * instruction count at every marker: user, kernel and interrupts, never
 * idle time.  ns: guest CLOCK_MONOTONIC, which under QEMU's -icount
 * shift=0,sleep=on is instructions plus idle time, and idle time
 * depends on how fast the host answers.
 *
 * Workloads: 4 KiB O_DIRECT reads from /dev/vda, sequential and random
 * (back it with QEMU's null-co driver so the host costs nothing), and
 * 64-byte Ethernet frames from the first virtio NIC to the second.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netpacket/packet.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define OPS 4000
#define WARMUP 400
#define BLOCK 4096
#define FRAME_LEN 64
#define ETHERTYPE 0x88B6

/*
 * The marker instruction: QEMU's insn-marks plugin (guest/insn-marks.c)
 * records the guest's executed-instruction count each time it runs.
 */
static inline void mark(void)
{
#if defined(__x86_64__)
	__asm__ volatile("nopl 0x4842(%%rax)" ::: "memory");
#elif defined(__powerpc64__)
	__asm__ volatile("ori 0,0,0x4842" ::: "r0", "memory");
#else
#error "no marker instruction for this architecture"
#endif
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

struct sample {
	long long ns;
};

/* Every sample is one marker: the host pairs them up in order. */
static void sample(struct sample *s)
{
	mark();
	s->ns = now_ns();
}

static void report(const char *name, int ops, const struct sample *a,
		   const struct sample *b)
{
	printf("harness: bench %s ops=%d ns=%lld\n", name, ops, b->ns - a->ns);
}

/*
 * Kernels with the crypto self-tests on (Debian's) test each algorithm as
 * it registers, in cryptomgr_test threads; under TCG one of them runs on
 * for about a second after init starts, and would be counted in the
 * first workload.  Wait until they are done.
 */
#define SETTLE_TIMEOUT_MS 300000

static int crypto_tests_running(void)
{
	char path[300], comm[64];
	struct dirent *e;
	int running = 0;
	DIR *proc = opendir("/proc");
	FILE *f;

	while (proc && !running && (e = readdir(proc))) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		running = fgets(comm, sizeof(comm), f) &&
			  !strncmp(comm, "cryptomgr_", strlen("cryptomgr_"));
		fclose(f);
	}
	if (proc)
		closedir(proc);
	return running;
}

static int settle(void)
{
	long long start = now_ns();
	struct timespec tick = { 0, 20000000 };

	while (crypto_tests_running()) {
		if (now_ns() - start > SETTLE_TIMEOUT_MS * 1000000LL) {
			printf("# bench: crypto self-tests still running after %d s\n",
			       SETTLE_TIMEOUT_MS / 1000);
			return -1;
		}
		nanosleep(&tick, NULL);
	}
	printf("harness: bench settle_ms=%lld\n", (now_ns() - start) / 1000000);
	return 0;
}

/* ---- block ---- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static uint64_t rng_next(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static int blk_reads(int fd, void *buf, off_t blocks, int ops, int random)
{
	int i;

	for (i = 0; i < ops; i++) {
		off_t block = random ? (off_t)(rng_next() % blocks) : i % blocks;

		if (pread(fd, buf, BLOCK, block * BLOCK) != BLOCK)
			return -1;
	}
	return 0;
}

static int bench_blk(void)
{
	struct sample a, b;
	off_t size, blocks;
	void *buf;
	int fd, random;

	fd = open("/dev/vda", O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (fd < 0 || posix_memalign(&buf, BLOCK, BLOCK)) {
		printf("# bench: /dev/vda: %s\n", strerror(errno));
		return -1;
	}
	size = lseek(fd, 0, SEEK_END);
	blocks = size / BLOCK;
	if (blocks < 1)
		return -1;
	for (random = 0; random < 2; random++) {
		const char *name = random ? "blk-rand-read-4k" : "blk-seq-read-4k";

		if (blk_reads(fd, buf, blocks, WARMUP, random))
			goto fail;
		sample(&a);
		if (blk_reads(fd, buf, blocks, OPS, random))
			goto fail;
		sample(&b);
		report(name, OPS, &a, &b);
	}
	close(fd);
	free(buf);
	return 0;
fail:
	printf("# bench: read /dev/vda: %s\n", strerror(errno));
	return -1;
}

/* ---- network ---- */

static int nic_info(const char *name, int *index, unsigned char mac[6])
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int ret = -1;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (fd < 0)
		return -1;
	if (ioctl(fd, SIOCGIFFLAGS, &ifr))
		goto out;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) || ioctl(fd, SIOCGIFHWADDR, &ifr))
		goto out;
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	if (ioctl(fd, SIOCGIFINDEX, &ifr))
		goto out;
	*index = ifr.ifr_ifindex;
	ret = 0;
out:
	close(fd);
	return ret;
}

static int packet_socket(int index)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETHERTYPE),
		.sll_ifindex = index,
	};
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETHERTYPE));

	if (fd >= 0 && bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One frame out of eth0, wait for it on eth1: a round through both rings. */
static int net_frames(int tx, int rx, unsigned char *frame, int ops)
{
	unsigned char buf[2048];
	struct pollfd pfd = { .fd = rx, .events = POLLIN };
	int i;

	for (i = 0; i < ops; i++) {
		frame[14] = i & 0xff;
		if (send(tx, frame, FRAME_LEN, 0) != FRAME_LEN)
			return -1;
		for (;;) {
			ssize_t n;

			if (poll(&pfd, 1, 2000) != 1)
				return -1;
			n = recv(rx, buf, sizeof(buf), MSG_DONTWAIT);
			if (n >= FRAME_LEN && buf[14] == (i & 0xff) &&
			    !memcmp(buf + 6, frame + 6, 6))
				break;
		}
	}
	return 0;
}

static int bench_net(void)
{
	unsigned char mac0[6], mac1[6], frame[FRAME_LEN] = { 0 };
	struct sample a, b;
	int i0, i1, tx, rx;

	if (nic_info("eth0", &i0, mac0) || nic_info("eth1", &i1, mac1)) {
		printf("# bench: eth0/eth1: %s\n", strerror(errno));
		return -1;
	}
	/* Let the links come up. */
	usleep(500000);
	tx = packet_socket(i0);
	rx = packet_socket(i1);
	if (tx < 0 || rx < 0)
		return -1;
	memcpy(frame, mac1, 6);
	memcpy(frame + 6, mac0, 6);
	frame[12] = ETHERTYPE >> 8;
	frame[13] = ETHERTYPE & 0xff;
	if (net_frames(tx, rx, frame, WARMUP))
		goto fail;
	sample(&a);
	if (net_frames(tx, rx, frame, OPS))
		goto fail;
	sample(&b);
	report("net-frame-64", OPS, &a, &b);
	close(tx);
	close(rx);
	return 0;
fail:
	printf("# bench: frames eth0->eth1: %s\n", errno ? strerror(errno) : "lost");
	return -1;
}

/* What the kernel does against Spectre v2 on this CPU: the cost of an
 * indirect call depends on it. */
static void print_spectre_v2(void)
{
	char line[256] = "not reported";
	FILE *f = fopen("/sys/devices/system/cpu/vulnerabilities/spectre_v2", "r");

	if (f) {
		if (!fgets(line, sizeof(line), f))
			snprintf(line, sizeof(line), "unreadable");
		fclose(f);
	}
	line[strcspn(line, "\n")] = 0;
	printf("harness: bench spectre_v2=%s\n", line);
}

/* The CPU model the guest sees: x86 "model name", powerpc "cpu". */
static void print_cpu(void)
{
	char line[256];
	FILE *f = fopen("/proc/cpuinfo", "r");

	while (f && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (colon && (!strncmp(line, "model name", 10) || !strncmp(line, "cpu\t", 4))) {
			colon[strcspn(colon, "\n")] = 0;
			printf("harness: bench cpu=%s\n", colon + 2);
			break;
		}
	}
	if (f)
		fclose(f);
}

int main(void)
{
	int failed = 0;

	setvbuf(stdout, NULL, _IONBF, 0);
	print_spectre_v2();
	print_cpu();
	if (settle()) {
		printf("harness: bench failed\n");
		return 1;
	}
	failed |= bench_blk();
	failed |= bench_net();
	printf("harness: bench %s\n", failed ? "failed" : "done");
	return failed ? 1 : 0;
}
