/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the check sources share: the block and network types some checks
 * reuse (restore, hot-unplug and fault injection drive the block and
 * network checks), and the entry points init.c calls in run_all_checks().
 */
#ifndef HARNESS_CHECKS_H
#define HARNESS_CHECKS_H

#include <net/if.h>
#include <stdint.h>

#include "lib.h"

/* ---- check-blk.c ---- */

#define BLK_RW_START (2 * MiB)

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

int check_blk_rw(const void *arg);
int check_blk_random(const void *arg);
int blk_disk_info(struct blk_disk *disk, const char *name,
		  unsigned int index);
int is_hotplug_disk(const char *name);
void run_blk_checks(void);

/* ---- check-net.c ---- */

#define ETH_ADDR_LEN 6
#define ETH_HDR_LEN 14
#define HARNESS_ETHERTYPE 0x88B5

struct nic {
	char name[IFNAMSIZ];
	int index;
	unsigned char mac[ETH_ADDR_LEN];
};

struct raw_arg {
	const struct nic *from, *to;
	uint64_t seed;
};

int nic_up(const char *name);
int nic_query(struct nic *nic);
int find_virtio_nics(struct nic *nics, int max);
int nic_carrier(const char *name);
void nics_up(struct nic *nics, int n);
int packet_socket(int ifindex);
void put_be32(unsigned char *p, uint32_t v);
int check_net_raw(const void *arg);
void run_net_raw_checks(const struct nic *nics, int n, const char *tag,
			uint64_t seed);
void run_net_checks(void);

/* ---- check-rng.c ---- */

int check_rng(const void *arg);

/* ---- check-console.c ---- */

void run_console_checks(void);

/* ---- check-balloon.c ---- */

int check_balloon(const void *arg);

/* ---- check-restore.c ---- */

int check_restore(const void *arg);
void run_reverified_checks(const char *tag, uint64_t blk_seed, uint64_t net_seed);

/* ---- check-rebind.c ---- */

int check_rebind(const void *arg);

/* ---- check-hotplug.c ---- */

int find_hotplug_disk(char *name, size_t len);
int check_hotplug(const void *arg);

/* ---- check-fault.c ---- */

void run_blk_fault_checks(const struct blk_disk *disk,
			  unsigned long long region_off,
			  unsigned long long region_len);

/* ---- check-dma-audit.c ---- */

extern int dma_trace_on;

void dma_trace_start(void);
void print_swiotlb_full(void);
int check_dma_audit(const void *arg);
int have_dma_modes(void);
long long dma_traced_sg_bytes(const char *dev, const char *marker);

/* ---- check-gpu.c ---- */

int check_gpu(const void *arg);
int gpu_hold_buffer(void);

/* ---- check-kunit.c ---- */

void run_kunit_checks(void);
int check_selftest(const void *arg);

/* ---- check-leaks.c ---- */

int check_kmemleak(const void *arg);
int check_dma_api_errors(const void *arg);

/* ---- check-bench.c ---- */

int run_bench(const void *arg);

#endif /* HARNESS_CHECKS_H */
