#!/usr/bin/env bash
# Stage: build. scripts/build.sh FLAVOUR base|patched|step [REF]
# Builds the kernel FLAVOUR (configs/flavours) from the base or patched
# tree (REF overrides the commit) in work/build/FLAVOUR, all built in,
# ccache on, and copies the image to work/images/FLAVOUR-VARIANT/.  Variant
# "step" builds REF (one patch of the series) and keeps no image.  Says
# every 30 s how far the compile got.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need make gcc ccache flex bison bc git

flavour=${1:?usage: build.sh FLAVOUR base|patched [REF]}
variant=${2:?usage: build.sh FLAVOUR base|patched [REF]}
ref=$(variant_ref "${3:-$variant}")

arch=$(flavour_arch "$flavour")
fragments=$(flavour_fragments "$flavour")
load_record arches "$arch"
karch=$arch_kernel
cross=$arch_cross
[ -z "$cross" ] || need "${cross}gcc"
out=$BUILDS/$flavour
dest=$IMAGES/$flavour-$variant
log=$LOGS/build-$flavour-$variant.log
case $variant in
base|patched) mkdir -p "$dest" ;;
step) log=$LOGS/build-$flavour-step-$(git -C "$TREE" rev-parse --short "$ref").log ;;
*) die "variant must be base, patched or step" ;;
esac
mkdir -p "$out"

kmake() {
	make -C "$TREE" O="$out" ARCH="$karch" CROSS_COMPILE="$cross" \
		CC="ccache ${cross}gcc" HOSTCC="ccache gcc" "$@"
}

# A fragment debian-FLAVOUR is Debian's configuration of that kernel
# (scripts/debian-config.sh writes it to work/configs/).
fragment_files() {
	local f
	for f in $fragments; do
		case $f in
		debian-*) echo "$WORK/configs/$f.config" ;;
		*) echo "$TOP/configs/$f.config" ;;
		esac
	done
	# The series' own options (its KUnit tests) exist only on the patched tree.
	# An arch may have its own (UML: no DMA API, so no DMA-core tests).
	# Bench flavours build base and patched from the same fragments.
	if [ "$variant" = patched ] && has_series && [[ ",$(flavour_hygiene "$flavour")," != *,bench,* ]]; then
		if [ -f "$TOP/configs/series-$arch.config" ]; then
			echo "$TOP/configs/series-$arch.config"
		elif [ -f "$TOP/configs/series.config" ]; then
			echo "$TOP/configs/series.config"
		fi
	fi
}

# Kconfig silently drops what it cannot satisfy: fail loudly instead.
# A later fragment may override an earlier one (no-dma-debug.config); the last
# word on each option counts.
assert_config() {
	local f line opt have missing=0
	local -A want from
	for f in $(fragment_files); do
		# Debian's configuration is a whole one: Kconfig resolves it.
		[ "${f#"$WORK"/configs/}" = "$f" ] || continue
		while read -r line; do
			case $line in
			CONFIG_*=*) opt=${line%%=*} want[$opt]=${line#*=} ;;
			"# CONFIG_"*" is not set") opt=${line#\# } opt=${opt%% *} want[$opt]=n ;;
			*) continue ;;
			esac
			from[$opt]=$(basename "$f")
		done < "$f"
	done
	for opt in "${!want[@]}"; do
		have=$(sed -n "s/^$opt=//p" "$out/.config")
		[ "${have:-n}" = "${want[$opt]}" ] && continue
		say "config: $opt=${want[$opt]} wanted by ${from[$opt]}, .config has ${have:-n}"
		missing=1
	done
	[ "$missing" -eq 0 ] || die "Kconfig dropped options of $flavour (see above): fix configs/"
}

say "build: $flavour $variant ($(git -C "$TREE" rev-parse --short "$ref")) -> $out"
git -C "$TREE" checkout -q -f --detach "$ref"
# Fixes the harness needs to run an arch's kernels on this host, not part
# of the series (carry/ARCH/*.patch): on base and patched alike, in the
# working tree only; the next checkout -f drops them.
carried=()
for fix in "$TOP/carry/$arch"/*.patch; do
	[ -f "$fix" ] || continue
	if git -C "$TREE" apply --check "$fix" 2>/dev/null; then
		git -C "$TREE" apply "$fix"
		carried+=("$(basename "$fix")")
	else
		say "build: carry/$arch/$(basename "$fix") does not apply to this tree (fixed there?): building without it"
	fi
done
[ ${#carried[@]} = 0 ] || say "build: $flavour $variant with the harness's fixes ${carried[*]}"
for f in $fragments; do
	[ "${f#debian-}" = "$f" ] || "$TOP/scripts/debian-config.sh" "$arch" "${f#debian-}"
done
# shellcheck disable=SC2046
"$TREE/scripts/kconfig/merge_config.sh" -n -m -O "$out" $(fragment_files) >"$log" 2>&1 ||
	die "merge_config.sh failed, see $log"
# -m only merged the fragments; allnoconfig resolves them like merge_config -n.
kmake KCONFIG_ALLCONFIG="$out/.config" allnoconfig >>"$log" 2>&1 ||
	die "allnoconfig failed, see $log"
assert_config
image=$arch_image
target=$(basename "$image")
start=$(date +%s)
if ! run_logged "build: $flavour $variant" "$log" kmake -j"$(nproc)" "$target"; then
	grep -E 'error:|Error [0-9]' "$log" | head -20 >&2
	die "build of $flavour $variant failed, see $log"
fi
if [ "$variant" = step ]; then
	say "build: $flavour $(git -C "$TREE" log -1 --format=%s "$ref") done in $(( $(date +%s) - start ))s"
	exit 0
fi
cp "$out/$image" "$out/System.map" "$dest/"
# The functions of the DMA data path, "object name" per line: make bench
# counts the instructions executed in them (with the arch's DMA objects,
# arches/*.conf), the guest's failslab check fails only allocations made
# from virtio_ring.
dma_objects=()
for obj in "$out"/drivers/virtio/virtio.o "$out"/drivers/virtio/virtio_ring.o "$out"/kernel/dma/*.o; do
	[ ! -f "$obj" ] || dma_objects+=("$obj")
done
for obj in $arch_dma_objects; do
	[ ! -f "$out/$obj" ] || dma_objects+=("$out/$obj")
done
# Outside them, OBJECT:FUNCTION that the map path calls: the vmalloc
# check of dma_map_single_attrs(), out of line where there is an MMU.
dma_path_calls="mm/vmalloc.o:is_vmalloc_addr"
{
	nm -A --defined-only "${dma_objects[@]}" |
		awk '$2 ~ /^[tT]$/ { sub(/:.*/, "", $1); sub(/.*\//, "", $1); print $1, $3 }'
	for call in $dma_path_calls; do
		[ ! -f "$out/${call%%:*}" ] ||
			nm --defined-only "$out/${call%%:*}" | awk -v obj="$(basename "${call%%:*}")" \
				-v fn="${call#*:}" '$2 ~ /^[tT]$/ && $3 == fn { print obj, fn }'
	done
} | sort -u > "$dest/dma-path-functions"
cp "$out/.config" "$dest/config"
git -C "$TREE" rev-parse HEAD > "$dest/commit"
say "build: $flavour $variant done in $(( $(date +%s) - start ))s ($(grep -c ' warning:' "$log" || true) warnings)"
