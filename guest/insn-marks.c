// SPDX-License-Identifier: GPL-2.0
/*
 * QEMU TCG plugin for make bench: counts the instructions the guest CPU
 * executes (user, kernel and interrupts; nothing while it is halted) and
 * writes the running count to the file out=FILE each time the guest
 * executes the marker instruction of guest/bench.c:
 *
 *   x86_64:  nopl 0x4842(%rax)    0f 1f 80 42 48 00 00
 *   ppc64le: ori r0,r0,0x4842     0x60004842
 *
 * so the guest's idle time, which depends on the host, never counts.
 * Load with: -plugin insn-marks.so,out=FILE[,ranges=FILE]
 *
 * With ranges=FILE (lines "START END NAME", hex guest addresses, END
 * exclusive), each mark also logs how many of the instructions executed
 * lay in those ranges: the kernel functions a change touches, whose count
 * per operation is exact where the total is not (interrupt and idle
 * timing vary from run to run).  Lines: "mark TOTAL IN_RANGES", then
 * "fn NAME COUNT" for each range executed so far (running counts).
 *
 * QEMU installs no plugin header, so the few entry points used here are
 * declared below, as in QEMU's include/qemu/qemu-plugin.h (API 1, QEMU 7).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;

enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };

typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id,
					       struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index,
					    void *userdata);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
					   qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb,
					      enum qemu_plugin_op op,
					      void *ptr, uint64_t imm);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb,
						 size_t idx);
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn,
					    qemu_plugin_vcpu_udata_cb_t cb,
					    enum qemu_plugin_cb_flags flags,
					    void *userdata);
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *insn,
						enum qemu_plugin_op op,
						void *ptr, uint64_t imm);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

static const unsigned char mark_x86[] = { 0x0f, 0x1f, 0x80, 0x42, 0x48, 0x00, 0x00 };
static const unsigned char mark_ppc64le[] = { 0x42, 0x48, 0x00, 0x60 };

/* One vCPU (-smp 1): plain counters are exact. */
static uint64_t insns, insns_in_ranges;
static FILE *out;

struct range {
	uint64_t start, end;
	uint64_t count;
	char name[128];
};

static struct range *ranges;
static size_t num_ranges;

static struct range *find_range(uint64_t addr)
{
	size_t lo = 0, hi = num_ranges;

	/* sorted, non-overlapping */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (addr < ranges[mid].start)
			hi = mid;
		else if (addr >= ranges[mid].end)
			lo = mid + 1;
		else
			return &ranges[mid];
	}
	return NULL;
}

static int range_cmp(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static int load_ranges(const char *path)
{
	unsigned long long start, end;
	size_t cap = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		perror(path);
		return -1;
	}
	char name[128];

	while (fscanf(f, "%llx %llx %127s", &start, &end, name) == 3) {
		if (num_ranges == cap) {
			cap = cap ? 2 * cap : 256;
			ranges = realloc(ranges, cap * sizeof(*ranges));
			if (!ranges) {
				fclose(f);
				return -1;
			}
		}
		ranges[num_ranges].start = start;
		ranges[num_ranges].end = end;
		ranges[num_ranges].count = 0;
		strcpy(ranges[num_ranges].name, name);
		num_ranges++;
	}
	fclose(f);
	qsort(ranges, num_ranges, sizeof(*ranges), range_cmp);
	return 0;
}

static int is_mark(const struct qemu_plugin_insn *insn)
{
	size_t len = qemu_plugin_insn_size(insn);
	const void *data = qemu_plugin_insn_data(insn);

	return (len == sizeof(mark_x86) && !memcmp(data, mark_x86, len)) ||
	       (len == sizeof(mark_ppc64le) && !memcmp(data, mark_ppc64le, len));
}

static void on_mark(unsigned int vcpu_index, void *userdata)
{
	size_t i;

	(void)vcpu_index;
	(void)userdata;
	/* The count includes the whole block the marker sits in: the same
	 * constant at every marker, so differences are exact. */
	fprintf(out, "mark %llu %llu\n", (unsigned long long)insns,
		(unsigned long long)insns_in_ranges);
	for (i = 0; i < num_ranges; i++)
		if (ranges[i].count)
			fprintf(out, "fn %s %llu\n", ranges[i].name,
				(unsigned long long)ranges[i].count);
	fflush(out);
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t i, n = qemu_plugin_tb_n_insns(tb);

	(void)id;
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64,
						 &insns, n);
	for (i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		struct range *r = num_ranges ? find_range(qemu_plugin_insn_vaddr(insn)) : NULL;

		if (is_mark(insn))
			qemu_plugin_register_vcpu_insn_exec_cb(insn, on_mark,
							       QEMU_PLUGIN_CB_NO_REGS,
							       NULL);
		if (r) {
			qemu_plugin_register_vcpu_insn_exec_inline(insn,
								   QEMU_PLUGIN_INLINE_ADD_U64,
								   &insns_in_ranges, 1);
			qemu_plugin_register_vcpu_insn_exec_inline(insn,
								   QEMU_PLUGIN_INLINE_ADD_U64,
								   &r->count, 1);
		}
	}
}

__attribute__((visibility("default")))
int qemu_plugin_install(qemu_plugin_id_t id, const void *info, int argc,
			char **argv)
{
	int i;

	(void)info;
	for (i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "out=", 4) && !out) {
			out = fopen(argv[i] + 4, "w");
			if (!out) {
				perror(argv[i] + 4);
				return -1;
			}
		} else if (!strncmp(argv[i], "ranges=", 7)) {
			if (load_ranges(argv[i] + 7))
				return -1;
		} else {
			out = NULL;
			break;
		}
	}
	if (!out) {
		fprintf(stderr, "insn-marks: usage: -plugin insn-marks.so,out=FILE[,ranges=FILE]\n");
		return -1;
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
	return 0;
}
