#!/usr/bin/env bash
# Stage: hygiene, bisectability. scripts/series-build.sh FLAVOUR [all|arch]
# Builds FLAVOUR at every patch of the series in order (incremental, so
# each step recompiles only what the patch touched).  With "arch", only
# at the patches that touch the flavour's arch/ directory: the generic
# patches are built on their own by another flavour.  One ok/not ok line
# per patch built; exit 1 if any patch does not build on its own.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

flavour=${1:?usage: series-build.sh FLAVOUR [all|arch]}
which=${2:-all}
load_record arches "$(flavour_arch "$flavour")"
out=$BUILDS/$flavour
[ -f "$out/vmlinux" ] || die "series-build: build $flavour base first (no $out/vmlinux)"

# What of @commit this flavour compiles: nothing if every file it changes
# is outside the kernel build or a C file the build folder has no object
# of (the base was built there first).  Prints the first file it compiles.
compiled_change() {
	local file
	while read -r file; do
		case $file in
		tools/* | Documentation/* | MAINTAINERS) ;;
		arch/*) [[ $file != arch/"$arch_kernel"/* ]] || { echo "$file"; return; } ;;
		*.c) [ ! -f "$out/${file%.c}.o" ] || { echo "$file"; return; } ;;
		*) echo "$file"; return ;;
		esac
	done < <(git -C "$TREE" diff --name-only "$1^" "$1")
}

rc=0 n=0
for commit in $(git -C "$TREE" rev-list --reverse "$BASE_REF..$PATCHED_REF"); do
	n=$((n + 1))
	# A '#' would end the test's name in KTAP.
	subject=$(git -C "$TREE" log -1 --format=%s "$commit" | sed 's/#/%23/g')
	if [ "$which" = arch ] &&
		! git -C "$TREE" diff --name-only "$commit^" "$commit" | grep -q "^arch/$arch_kernel/"; then
		continue
	fi
	if [ -z "$(compiled_change "$commit")" ]; then
		echo "ok build-$flavour patch $n: $subject # SKIP changes nothing $flavour compiles: $(git -C "$TREE" diff --name-only "$commit^" "$commit" | paste -sd' ' | cut -c1-100)"
		continue
	fi
	if "$TOP/scripts/build.sh" "$flavour" step "$commit"; then
		echo "ok build-$flavour patch $n: $subject"
	else
		echo "not ok build-$flavour patch $n: $subject"
		rc=1
	fi
done
exit $rc
