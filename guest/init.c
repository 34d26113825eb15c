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
 *
 * This file holds the boot: command line options, the order of the
 * checks and the power off; lib.h lists the library, checks.h the
 * checks, one source file per kind.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/reboot.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "lib.h"
#include "checks.h"

struct harness_config cfg = { .blk_mb = 4, .volume_mib = 64, .rebind = 5 };

static int dry_run;

/* ---- command line ---- */

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
	else if (!strcmp(key, "rebind"))
		cfg.rebind = strtoul(value, NULL, 0);
	else if (!strcmp(key, "dma_above"))
		cfg.dma_above = strtoull(value, NULL, 0);
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
	printf("# config echo_port=%u console_in=%llu balloon=%d blk_mb=%u volume_mib=%u rebind=%u skip=%s\n",
	       cfg.echo_port, cfg.console_in, cfg.balloon, cfg.blk_mb,
	       cfg.volume_mib, cfg.rebind, cfg.skip[0] ? cfg.skip : "-");
}

/* ---- the checks ---- */

static void run_all_checks(void)
{
	char name[NAME_LEN];

	dma_trace_start();
	run_blk_checks();
	run_net_checks();
	if (have_device_id(VIRTIO_ID_RNG))
		run_check("rng", 5, check_rng, NULL);
	run_console_checks();
	if (have_device_id(VIRTIO_ID_GPU))
		run_check("gpu-scanout", 30, check_gpu, NULL);
	if (cfg.balloon && have_device_id(VIRTIO_ID_BALLOON))
		run_check("balloon", 65, check_balloon, NULL);
	if (path_exists(PM_TEST)) {
		run_check("restore", 60, check_restore, NULL);
		run_reverified_checks("restored", 0x4E57043EULL, 0x88B60000ULL);
	}
	if (cfg.rebind) {
		run_check("rebind", 60 + 30 * cfg.rebind, check_rebind, NULL);
		run_reverified_checks("rebound", 0x4EB1D000ULL, 0x88B70000ULL);
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
