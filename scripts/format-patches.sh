#!/usr/bin/env bash
# make patches: regenerate patches/ from the tree, for developers who edit
# the series in work/linux (or a worktree of it) and commit there.
#   scripts/format-patches.sh [REF]   (default: branch patched)
# The cover letter's subject and text come from cover-letter.txt (first
# paragraph: subject); To/Cc from the tree's scripts/get_maintainer.pl.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ref=${1:-patched}
git -C "$LINUX" rev-parse -q --verify "$ref" >/dev/null || die "no ref '$ref' in $LINUX"
n=$(git -C "$LINUX" rev-list --count "base..$ref")
[ "$n" -gt 0 ] || die "$ref has no commits on top of base"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git -C "$LINUX" format-patch -q --no-signature -o "$tmp" "base..$ref"
mapfile -t people < <(cd "$LINUX" && ./scripts/get_maintainer.pl --no-rolestats --no-git \
	--no-git-fallback --no-tree "$tmp"/*.patch)
to=() cc=()
for p in "${people[@]}"; do
	case $p in
	*lists.*|*@vger.kernel.org*) to+=(--to="$p") ;;
	*) cc+=(--cc="$p") ;;
	esac
done
rm -rf "$tmp"/*

branch=harness-format-$$
git -C "$LINUX" branch -q -f "$branch" "$ref"
git -C "$LINUX" config "branch.$branch.description" "$(cat "$TOP/cover-letter.txt")"
git -C "$LINUX" -c user.name="Virtio DMA Team" -c user.email=virtio-dma@example.org \
	format-patch -q --cover-letter --cover-from-description=subject \
	--no-signature --base=base "${to[@]}" "${cc[@]}" -o "$tmp" "base..$branch"
git -C "$LINUX" branch -q -D "$branch"
git -C "$LINUX" config --remove-section "branch.$branch" 2>/dev/null || true

rm -f "$TOP"/patches/[0-9][0-9][0-9][0-9]-*.patch
cp "$tmp"/*.patch "$TOP/patches/"
say "patches: wrote $n patches and a cover letter from $ref to patches/"
ls "$TOP/patches"
