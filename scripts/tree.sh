#!/usr/bin/env bash
# Stage: fetch the tree. Extract Debian's linux-source-6.12 into one git tree,
# commit it as branch "base", then "git am" every patch of patches/ onto
# branch "patched". Re-running with an unchanged source and series does nothing.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need git tar xz

TARBALL=${TARBALL:-$(ls /usr/src/linux-source-6.12.tar.xz 2>/dev/null || true)}
[ -n "$TARBALL" ] && [ -r "$TARBALL" ] ||
	die "no /usr/src/linux-source-6.12.tar.xz: run 'make deps' (apt-get install linux-source-6.12)"

git_linux() { git -C "$LINUX" -c user.name=harness -c user.email=harness@localhost "$@"; }

series() { find "$TOP/patches" -maxdepth 1 -name '[0-9][0-9][0-9][0-9]-*.patch' ! -name '0000-*' | sort; }

series_id() {
	{ sha256sum "$TARBALL" | cut -c1-16; series | xargs -r cat; } | sha256sum | cut -c1-16
}

extract_base() {
	say "tree: extracting $(basename "$TARBALL") into $LINUX"
	rm -rf "$LINUX" "$LINUX.tmp"
	mkdir -p "$LINUX.tmp"
	tar -xJf "$TARBALL" -C "$LINUX.tmp" --strip-components=1
	# Debian's packaging rule ignores everything at the top level ("/*",
	# "!/debian/"): drop it, or new top-level files would be ignored.
	sed -i '/^\/\*$/,$d' "$LINUX.tmp/.gitignore"
	mv "$LINUX.tmp" "$LINUX"
	say "tree: committing base"
	git -C "$LINUX" init -q -b base
	git_linux add -A
	git_linux commit -q -m "Linux $(kernel_version) (Debian $(basename "$TARBALL"))"
	sha256sum "$TARBALL" | cut -c1-16 > "$LINUX/.git/harness-tarball"
}

kernel_version() {
	local dir=${1:-$LINUX}
	awk -F' = ' '$1 == "VERSION" { v = $2 } $1 == "PATCHLEVEL" { p = $2 }
		$1 == "SUBLEVEL" { s = $2 } END { print v "." p "." s }' "$dir/Makefile"
}

# The file git am choked on: named in "error: ...: file:line" or, for a
# whitespace error, found from the line of the diff it reports.
failing_file() {
	local file line
	file=$(sed -n 's/^error: \(patch failed: \)\{0,1\}\([^: ]*\):[0-9].*/\2/p' "$LOGS/am.log" | head -1)
	if [ -z "$file" ]; then
		line=$(sed -n 's/^.*rebase-apply\/patch:\([0-9]*\):.*/\1/p' "$LOGS/am.log" | head -1)
		[ -z "$line" ] || file=$(awk -v n="$line" '/^diff --git/ && !start { start = NR - 1 }
			start && /^diff --git/ { f = substr($4, 3) } start && NR - start == n { print f; exit }' "$1")
	fi
	echo "${file:-unknown, see above}"
}

apply_series() {
	local patch n=0
	git_linux checkout -q -f base
	git_linux branch -q -f patched base
	git_linux checkout -q patched
	for patch in $(series); do
		n=$((n + 1))
		if ! git_linux am -q --whitespace=error-all "$patch" >"$LOGS/am.log" 2>&1; then
			git_linux am --abort >/dev/null 2>&1 || true
			git_linux checkout -q -f base
			sed 's/^/    /' "$LOGS/am.log" >&2
			die "patch $(basename "$patch") does not apply to $(kernel_version) (failing file: $(failing_file "$patch"))"
		fi
	done
	say "tree: applied $n patch(es) on branch patched"
}

if [ ! -d "$LINUX/.git" ] || [ "$(cat "$LINUX/.git/harness-tarball" 2>/dev/null)" != "$(sha256sum "$TARBALL" | cut -c1-16)" ]; then
	extract_base
fi
if [ "$(cat "$LINUX/.git/harness-series" 2>/dev/null)" != "$(series_id)" ] ||
	! git -C "$LINUX" rev-parse -q --verify patched >/dev/null; then
	apply_series
	series_id > "$LINUX/.git/harness-series"
else
	say "tree: series unchanged, branch patched is current"
fi
say "tree: Linux $(kernel_version), base $(git -C "$LINUX" rev-parse --short base), patched $(git -C "$LINUX" rev-parse --short patched) ($(git -C "$LINUX" rev-list --count base..patched) patches)"
