# Virtio DMA API series for Linux 6.12: the series and its test harness.
# See README.md.  Everything generated goes to work/ (ignored).

SHELL := /bin/bash
S := scripts

.PHONY: run check boot soak bench deps tree patches clean help

help:
	@echo "make run      apply the series, build a plain x86_64 kernel (x86_64-dmaops), boot one guest, show DMA modes and I/O"
	@echo "make check    the whole test: hygiene, every arch, base and patched, every scenario (LINUX=, PATCHES=, SCENARIOS=, FLAVOURS=, JOBS=)"
	@echo "make boot     SCENARIO=... FLAVOUR=... [VARIANT=patched]: boot and judge one guest, kernels already built"
	@echo "make soak     make check at length: 256 MiB verified block I/O, 20 hot-unplugs per guest"
	@echo "make bench    patched vs base kernel, A/B interleaved, results/bench.md"
	@echo "make deps     install missing Debian packages"
	@echo "make tree     extract Linux 6.12 to work/linux (or a worktree of LINUX=) and git am the series"
	@echo "make patches  regenerate patches/ from work/linux (REF=branch, default patched; git format-patch)"
	@echo "make clean    remove work/ (ccache stays)"

run:
	@$(S)/run.sh

check:
	@$(S)/check.sh

boot:
	@$(S)/boot-one.sh "$(SCENARIO)" "$(FLAVOUR)" "$(or $(VARIANT),patched)"

# The long version of make check, on the patched kernels: 256 MiB of
# verified parallel block I/O per guest, 20 hot-unplug cycles, 20 rebinds; same
# matrix and judge (the KUnit run on UML is the same at any length: not
# again).  Writes the safety table to results/safety.md.
soak:
	@HARNESS_APPEND="harness.volume_mib=256 harness.hotplug=20 harness.rebind=20" BOOT_TIMEOUT=1800 \
		VARIANTS=patched HYGIENE=0 KUNIT_UML=0 SAFETY_TABLE=$(CURDIR)/results/safety.md $(S)/check.sh

bench:
	@$(S)/bench.sh

deps:
	@$(S)/deps.sh

tree: deps
	@$(S)/tree.sh

patches:
	@$(S)/format-patches.sh $(REF)

clean:
	rm -rf work
