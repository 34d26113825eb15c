// SPDX-License-Identifier: GPL-2.0
/*
 * Block checks, on every virtio disk but the hot-pluggable one: the
 * host pattern, verified writes and reads of many sizes at several buffer
 * offsets (O_DIRECT), random slots, and parallel Linux AIO workers with
 * many requests in flight.  The first disk also gets the fault checks.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/aio_abi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib.h"
#include "checks.h"
#include "pattern.h"

#define BLK_SLOT_SIZE (128 * KiB)

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

int check_blk_rw(const void *arg)
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

int check_blk_random(const void *arg)
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

int blk_disk_info(struct blk_disk *disk, const char *name,
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

int is_hotplug_disk(const char *name)
{
	char path[PATH_MAX], serial[NAME_LEN];

	snprintf(path, sizeof(path), "/sys/block/%s/serial", name);
	return !read_word(path, serial, sizeof(serial)) &&
	       !strcmp(serial, HOTPLUG_SERIAL);
}

void run_blk_checks(void)
{
	/* virtio-blk disks, then virtio-scsi ones (the only SCSI disks here). */
	static const char *const prefixes[] = { "vd", "sd" };
	struct name_list disks;
	struct blk_disk disk;
	char name[NAME_LEN + 64];
	unsigned long long end, random_off;
	unsigned int p;
	int i, index = 0;

	for (p = 0; p < sizeof(prefixes) / sizeof(prefixes[0]); p++) {
		list_dir("/sys/block", prefixes[p], &disks);
		for (i = 0; i < disks.count; i++) {
			int read_only, disk_index = index++;

			/* That one is check_hotplug()'s. */
			if (is_hotplug_disk(disks.names[i]))
				continue;
			read_only = blk_disk_info(&disk, disks.names[i], disk_index);

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
			if (disk_index == 0 && end > random_off)
				run_blk_fault_checks(&disk, random_off, end - random_off);
			if (cfg.volume_mib)
				run_blk_parallel_check(&disk, end);
		}
		free(disks.names);
	}
}
