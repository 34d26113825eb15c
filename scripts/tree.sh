#!/usr/bin/env bash
# Stage: the tree.  Default: extract Debian's linux-source-6.12 into one
# git tree (work/linux), commit it as branch "base", then "git am" every
# patch of PATCHES (default patches/) onto branch "patched".
# LINUX=/path/to/git/tree: a detached git worktree of that tree under
# work/trees/, at BASE (default: its HEAD), with the series applied there;
# base and patched are refs private to that worktree (refs/worktree/), so
# the user's branches, HEAD and working files stay as they are.
# Re-running with an unchanged base and series does nothing.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need git tar xz

BASE_DATE="2025-01-01T00:00:00+0000"

# The user's hooks and signing settings are not for the harness's commits.
git_tree() {
	git -C "$TREE" -c user.name=harness -c user.email=harness@localhost \
		-c core.hooksPath=/dev/null -c commit.gpgSign=false "$@"
}

kernel_version() {
	awk -F' = ' '$1 == "VERSION" { v = $2 } $1 == "PATCHLEVEL" { p = $2 }
		$1 == "SUBLEVEL" { s = $2 } END { print v "." p "." s }' "$TREE/Makefile"
}

extract_tarball() {
	local tarball=$1
	say "tree: extracting $(basename "$tarball") into $TREE"
	rm -rf "$TREE" "$TREE.tmp"
	mkdir -p "$TREE.tmp"
	tar -xJf "$tarball" -C "$TREE.tmp" --strip-components=1 &
	local pid=$! start
	start=$(date +%s)
	while kill -0 "$pid" 2>/dev/null; do
		sleep 2
		[ $(( ($(date +%s) - start) % 30 )) -gt 1 ] ||
			say "tree: extracting, $(( $(date +%s) - start ))s, $(du -sm "$TREE.tmp" | cut -f1) MiB"
	done
	wait "$pid" || die "cannot extract $tarball"
	# Debian's packaging rule ignores everything at the top level ("/*",
	# "!/debian/"): drop it, or new top-level files would be ignored.
	sed -i '/^\/\*$/,$d' "$TREE.tmp/.gitignore"
	mv "$TREE.tmp" "$TREE"
	say "tree: committing base"
	git -C "$TREE" init -q -b base
	git_tree add -A
	# Fixed dates: the same tarball gives the same base commit on every
	# machine, so the patches' base-commit line does not change.
	GIT_AUTHOR_DATE=$BASE_DATE GIT_COMMITTER_DATE=$BASE_DATE \
		git_tree commit -q -m "Linux $(kernel_version) (Debian $(basename "$tarball"))"
	sha256sum "$tarball" | cut -c1-16 > "$TREE_HOME/harness-tarball"
}

# The default tree: Debian's tarball, extracted once.
debian_tree() {
	local tarball=${TARBALL:-$(ls /usr/src/linux-source-6.12.tar.xz 2>/dev/null || true)}
	[ -n "$tarball" ] && [ -r "$tarball" ] ||
		die "no /usr/src/linux-source-6.12.tar.xz: run 'make deps' (apt-get install linux-source-6.12)"
	if [ ! -d "$TREE/.git" ] ||
		[ "$(cat "$TREE_HOME/harness-tarball" 2>/dev/null)" != "$(sha256sum "$tarball" | cut -c1-16)" ]; then
		extract_tarball "$tarball"
	fi
	git -C "$TREE" rev-parse base
}

# LINUX=...: a worktree of the user's tree, never the tree itself.
user_tree() {
	local base
	git -C "$USER_TREE" rev-parse --git-dir >/dev/null 2>&1 ||
		die "LINUX=$USER_TREE is not a git tree (make check without LINUX= uses Debian's tarball)"
	base=$(git -C "$USER_TREE" rev-parse -q --verify "${BASE:-HEAD}^{commit}") ||
		die "LINUX=$USER_TREE has no commit '${BASE:-HEAD}' (BASE=)"
	[ -f "$USER_TREE/Makefile" ] && grep -q '^PATCHLEVEL = ' "$USER_TREE/Makefile" ||
		die "LINUX=$USER_TREE does not look like a kernel tree (no top-level Makefile)"
	if [ ! -e "$TREE/.git" ]; then
		say "tree: adding a worktree of $USER_TREE at $(git -C "$USER_TREE" rev-parse --short "$base") in $TREE"
		mkdir -p "$TREE_HOME"
		git -C "$USER_TREE" -c core.hooksPath=/dev/null worktree add -q -f --detach "$TREE" "$base" ||
			die "git worktree add $TREE failed"
	fi
	[ "$(git -C "$TREE" rev-parse --git-common-dir | xargs realpath)" = \
		"$(git -C "$USER_TREE" rev-parse --git-common-dir | (cd "$USER_TREE" && xargs realpath))" ] ||
		die "$TREE is not a worktree of $USER_TREE: remove $TREE_HOME"
	git -C "$TREE" update-ref "$BASE_REF" "$base"
	echo "$base"
}

# The file git am choked on: named in "error: ...: file:line" or, for a
# whitespace error, found from the line of the diff it reports.
failing_file() {
	local file line
	file=$(sed -n 's/^error: \(patch failed: \)\{0,1\}\([^: ]*\):[0-9].*/\2/p' "$LOGS/am.log" | head -1)
	[ -n "$file" ] || file=$(sed -n 's/^error: \([^: ]*\): does not exist in index$/\1/p' "$LOGS/am.log" | head -1)
	if [ -z "$file" ]; then
		line=$(sed -n 's/^.*rebase-apply\/patch:\([0-9]*\):.*/\1/p' "$LOGS/am.log" | head -1)
		[ -z "$line" ] || file=$(awk -v n="$line" '/^diff --git/ && !start { start = NR - 1 }
			start && /^diff --git/ { f = substr($4, 3) } start && NR - start == n { print f; exit }' "$1")
	fi
	echo "${file:-unknown, see above}"
}

# git am the series on a detached HEAD at the base, then point the
# patched ref (a branch only in the harness's own tree) at the result.
apply_series() {
	local patch n=0
	git_tree checkout -q -f --detach "$BASE_REF"
	for patch in $(series_patches); do
		n=$((n + 1))
		if ! git_tree am -q --whitespace=error-all "$patch" >"$LOGS/am.log" 2>&1; then
			git_tree am --abort >/dev/null 2>&1 || true
			git_tree checkout -q -f --detach "$BASE_REF"
			sed 's/^/    /' "$LOGS/am.log" >&2
			die "patch $(basename "$patch") does not apply to $(kernel_version) at $(git -C "$TREE" rev-parse --short "$BASE_REF") (failing file: $(failing_file "$patch"))"
		fi
	done
	if [ -n "$USER_TREE" ]; then
		git_tree update-ref "$PATCHED_REF" HEAD
	else
		git_tree branch -q -f patched HEAD
		git_tree checkout -q patched
	fi
	say "tree: applied $n patch(es) from $PATCHES"
}

if [ -n "$USER_TREE" ]; then base=$(user_tree); else base=$(debian_tree); fi
series_id=$( { echo "$base"; series_patches | xargs -r cat; } | sha256sum | cut -c1-16)
if [ "$(cat "$TREE_HOME/harness-series" 2>/dev/null)" != "$series_id" ] ||
	! git -C "$TREE" rev-parse -q --verify "$PATCHED_REF" >/dev/null; then
	apply_series
	echo "$series_id" > "$TREE_HOME/harness-series"
else
	say "tree: series unchanged, $PATCHED_REF is current"
fi
say "tree: Linux $(kernel_version)${USER_TREE:+ from $USER_TREE}, base $(git -C "$TREE" rev-parse --short "$BASE_REF"), patched $(git -C "$TREE" rev-parse --short "$PATCHED_REF") ($(git -C "$TREE" rev-list --count "$BASE_REF..$PATCHED_REF") patches)"
