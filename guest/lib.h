/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The library of the guest init: constants, the configuration and state
 * shared by all sources, and the helpers every check uses.
 *
 *   ktap.c    KTAP reporting, the check runner (fork, time limit)
 *   proc.c    time, child processes, the kernel log
 *   sysfs.c   small sysfs/debugfs/procfs files, directories, mounts
 *   virtio.c  virtio device discovery and the device table
 *   verify.c  buffers and byte-for-byte verification
 */
#ifndef HARNESS_LIB_H
#define HARNESS_LIB_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

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
#define VIRTIO_ID_GPU 16
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
	unsigned int rebind;		/* unbind/bind rounds, 0: none */
	unsigned long long dma_above;	/* dma-audit: some address above */
	int fail_iommu;			/* inject IOMMU mapping failures */
	char fault_require[64];		/* "start,end" of virtio_ring's text */
	char fault_reject[64];		/* "start,end" of dma-debug's text */
	char skip[NAME_LEN];		/* comma separated name prefixes */
};

/* In init.c, filled in from the harness.* kernel command line options. */
extern struct harness_config cfg;

struct virtio_dev {
	char name[NAME_LEN];
	char driver[NAME_LEN];		/* empty: no driver bound */
	unsigned int id;
};

extern struct virtio_dev virtio_devs[MAX_VIRTIO];
extern int num_virtio;

extern int tests_run, tests_passed, tests_failed;

/* Bytes each kind of check verified, summed over all check processes. */
enum verified_kind { VERIFIED_BLK, VERIFIED_NET, VERIFIED_CONSOLE, VERIFIED_KINDS };
extern unsigned long long *verified_total;	/* MAP_SHARED, or NULL */

/* Why the running check failed; only used inside the check's process. */
extern char fail_reason[512];

/* A check returns 1 on success; on failure it returns fail(...). */
typedef int (*check_fn)(const void *arg);

struct name_list {
	char (*names)[NAME_LEN];
	int count;
};

/* ktap.c */
int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void report(const char *name, int ok, const char *reason);
void run_check(const char *name, unsigned int timeout_s, check_fn fn,
	       const void *arg);

/* proc.c */
long long now_ms(void);
int ms_left(long long deadline);
void sleep_ms(long ms);
int reap(pid_t pid, int timeout_ms, int *status);
int count_in_kernel_log(const char *what);

/* sysfs.c */
int path_exists(const char *path);
ssize_t read_text(const char *path, char *buf, size_t len);
int read_word(const char *path, char *word, size_t len);
int read_ull(const char *path, unsigned long long *value);
int write_text(const char *path, const char *text);
int readlink_base(const char *path, char *name, size_t len);
int proc_value(const char *path, const char *key, unsigned long long *value);
void list_dir(const char *dir, const char *prefix, struct name_list *list);
void ensure_console(void);
int mount_all(char *why, size_t len);

/* virtio.c */
int find_device_id(unsigned int id);
int have_device_id(unsigned int id);
void scan_virtio_devices(void);
void wait_virtio_settled(void);
void virtio_dma_mode(const char *name, char *out, size_t len);
void print_device_table(void);
void print_swiotlb(const char *when);

/* verify.c */
unsigned char *alloc_aligned(size_t len);
int verify_bytes(const unsigned char *got, const unsigned char *want,
		 size_t len, const char *what, enum verified_kind kind);

#endif /* HARNESS_LIB_H */
