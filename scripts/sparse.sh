#!/usr/bin/env bash
# Stage: hygiene, sparse and W=1. scripts/sparse.sh FLAVOUR
# Compiles every C file the series touches with C=2 (sparse) and W=1, once
# on base and once on patched, in FLAVOUR's build folder (configured by
# scripts/build.sh), and fails if patched has any warning base has not.
# Warnings are compared without line numbers, which the series shifts.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need sparse make

flavour=${1:?usage: sparse.sh FLAVOUR}
load_record arches "$(flavour_arch "$flavour")"
out=$BUILDS/$flavour
[ -f "$out/.config" ] || die "$flavour is not configured: run scripts/build.sh $flavour base"
mkdir -p "$WORK/hygiene"
# Whatever stops this stage early, it must not end without a result line.
# (fd 3: the stage's stdout, also from inside warnings' redirection).
exec 3>&1
reported=0
trap '[ $reported = 1 ] || echo "not ok sparse-w1 $flavour # stage failed, see $WORK/hygiene" >&3' EXIT

mapfile -t files < <(git -C "$TREE" diff --name-only "$BASE_REF" "$PATCHED_REF" -- '*.c' | grep -v '^tools/' || true)
if [ ${#files[@]} -eq 0 ]; then
	echo "ok sparse-w1 $flavour # no C files touched"
	reported=1
	exit 0
fi

warnings() {
	local variant=$1 objs=() f
	git -C "$TREE" checkout -q -f --detach "$(variant_ref "$variant")"
	for f in "${files[@]}"; do
		# only files this configuration builds (they have an object)
		[ -f "$TREE/$f" ] && [ -f "$out/${f%.c}.o" ] && objs+=("${f%.c}.o")
	done
	[ ${#objs[@]} -gt 0 ] || return 0
	make -C "$TREE" O="$out" ARCH="$arch_kernel" CROSS_COMPILE="$arch_cross" \
		CC="ccache ${arch_cross}gcc" C=2 W=1 "${objs[@]}" \
		>"$WORK/hygiene/sparse-$flavour-$variant.log" 2>&1 ||
		die "C=2 W=1 build of ${objs[*]} failed on $variant, see $WORK/hygiene/sparse-$flavour-$variant.log"
	{ grep -E ': (warning|error):' "$WORK/hygiene/sparse-$flavour-$variant.log" || true; } |
		sed -E 's/^([^:]+):[0-9]+(:[0-9]+)?:/\1:/' | sort -u
}

say "sparse: $flavour, C=2 W=1 on ${#files[@]} touched C files, base and patched"
# Both variants build the file set of patched, so new files count too.
warnings base > "$WORK/hygiene/sparse-$flavour-base.txt"
warnings patched > "$WORK/hygiene/sparse-$flavour-patched.txt"
new=$(comm -13 "$WORK/hygiene/sparse-$flavour-base.txt" "$WORK/hygiene/sparse-$flavour-patched.txt")
reported=1
if [ -n "$new" ]; then
	echo "not ok sparse-w1 $flavour"
	sed 's/^/    new: /' <<<"$new" >&2
	exit 1
fi
echo "ok sparse-w1 $flavour # $(wc -l < "$WORK/hygiene/sparse-$flavour-patched.txt") warnings, none new"
