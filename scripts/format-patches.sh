#!/usr/bin/env bash
# make patches: regenerate patches/ from the tree, for developers who edit
# the series in work/linux (or a worktree of it) and commit there.
#   scripts/format-patches.sh [REF]   (default: branch patched)
# The cover letter's subject and text come from cover-letter.txt (first
# paragraph: subject); To/Cc from the tree's scripts/get_maintainer.pl.
# SERIES_VERSION (default 2) and SUBJECT_PREFIX (default "RFC PATCH") make
# the subjects ("[RFC PATCH v2 01/22]"); --thread gives every mail a
# Message-Id and In-Reply-To the cover letter, as b4 and lore expect.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
[ -z "$USER_TREE" ] || die "make patches works on the harness's own tree (work/linux); in LINUX=$USER_TREE use git format-patch"
ref=${1:-$PATCHED_REF}
git -C "$TREE" rev-parse -q --verify "$ref" >/dev/null || die "no ref '$ref' in $TREE"
n=$(git -C "$TREE" rev-list --count "$BASE_REF..$ref")
[ "$n" -gt 0 ] || die "$ref has no commits on top of base"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git -C "$TREE" format-patch -q --no-signature -o "$tmp" "$BASE_REF..$ref"
mapfile -t people < <(cd "$TREE" && ./scripts/get_maintainer.pl --no-rolestats --no-git \
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
git -C "$TREE" branch -q -f "$branch" "$ref"
git -C "$TREE" config "branch.$branch.description" "$(cat "$TOP/cover-letter.txt")"
git -C "$TREE" -c user.name="Virtio DMA Team" -c user.email=virtio-dma@example.org \
	format-patch -q --cover-letter --cover-from-description=subject --thread=shallow \
	--subject-prefix="${SUBJECT_PREFIX:-RFC PATCH}" -v "${SERIES_VERSION:-2}" \
	--no-signature --base="$BASE_REF" "${to[@]}" "${cc[@]}" -o "$tmp" "$BASE_REF..$branch"
git -C "$TREE" branch -q -D "$branch"
git -C "$TREE" config --remove-section "branch.$branch" 2>/dev/null || true

# A patch's changelog (between the two "---" lines after the sign-off)
# lives only in patches/, since git am drops it: carry it over from the
# patch of the same subject there.
subject() { sed -n 's/^Subject: \(\[[^]]*\] \)\{0,1\}//p' "$1" | head -1; }
changelog() { awk '/^Signed-off-by:/ { s = 1 } s && /^---$/ && !in_log { in_log = 1; next }
	in_log && /^---$/ { printf "%s", log_text; exit } in_log && /^diff --git / { exit }
	in_log { log_text = log_text $0 "\n" }' "$1"; }
mkdir "$tmp/old"
for f in "$PATCHES"/[0-9][0-9][0-9][0-9]-*.patch; do
	[ -e "$f" ] || continue
	[ -z "$(changelog "$f")" ] || changelog "$f" > "$tmp/old/$(subject "$f" | sha256sum | cut -c1-16)"
done
rm -f "$PATCHES"/[0-9][0-9][0-9][0-9]-*.patch "$PATCHES"/v[0-9]*-[0-9][0-9][0-9][0-9]-*.patch
# Plain file names (0001-...), so that patches/ keeps its names across
# versions.  Mail headers unfolded (b4 0.12 refuses folded Subject lines).
for f in "$tmp"/*.patch; do
	out=$PATCHES/$(basename "$f" | sed 's/^v[0-9]*-//')
	awk 'header && /^$/ { if (held != "") print held; held = ""; header = 0 }
		!header { print; next }
		/^[ \t]/ { sub(/^[ \t]+/, " "); held = held $0; next }
		{ if (held != "") print held; held = $0 }
		BEGIN { header = 1 }' "$f" > "$out"
	log_file=$tmp/old/$(subject "$out" | sha256sum | cut -c1-16)
	if [ -s "$log_file" ] && [ -z "$(changelog "$out")" ]; then
		awk -v log_file="$log_file" '/^Signed-off-by:/ { s = 1 }
			{ print } s && /^---$/ && !done { while ((getline l < log_file) > 0) print l; print "---"; done = 1 }' \
			"$out" > "$out.new" && mv "$out.new" "$out"
	fi
done
say "patches: wrote $n patches and a cover letter from $ref to $PATCHES"
ls "$PATCHES"
