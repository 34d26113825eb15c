# shellcheck shell=bash
# Common helpers for the harness stages. Sourced, never run.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${WORK:-$TOP/work}          # generated trees, builds, logs (ignored)
LINUX=$WORK/linux                # one git tree: branch base and branch patched
LOGS=$WORK/logs
IMAGES=$WORK/images
: "${HARNESS_T0:=$(date +%s)}"
export HARNESS_T0 WORK
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
export CCACHE_BASEDIR=$WORK
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G}
export CCACHE_SLOPPINESS=time_macros,include_file_mtime,include_file_ctime

elapsed() {
	local s=$(( $(date +%s) - HARNESS_T0 ))
	printf '%02d:%02d' $((s / 60)) $((s % 60))
}

# One progress line per step, with time since the harness started.
say() { printf '[%s] %s\n' "$(elapsed)" "$*" >&2; }
die() { printf '[%s] ERROR: %s\n' "$(elapsed)" "$*" >&2; exit 1; }

need() {
	local tool
	for tool in "$@"; do
		command -v "$tool" >/dev/null 2>&1 ||
			die "missing tool '$tool': run 'make deps' (scripts/deps.sh) first"
	done
}

# Kernel ARCH and cross compiler for a harness arch name.
kernel_arch() {
	case $1 in
	x86_64) echo x86 ;;
	ppc64le) echo powerpc ;;
	*) die "unknown arch '$1'" ;;
	esac
}

cross_compile() {
	case $1 in
	x86_64) echo "" ;;
	ppc64le) echo powerpc64le-linux-gnu- ;;
	*) die "unknown arch '$1'" ;;
	esac
}

# Run a command with a timeout, say what it was when it times out.
with_timeout() {
	local secs=$1; shift
	local rc=0
	timeout --kill-after=10 "$secs" "$@" || rc=$?
	[ "$rc" -ne 124 ] && [ "$rc" -ne 137 ] || say "timed out after ${secs}s: $*"
	return "$rc"
}

mkdir -p "$WORK" "$LOGS" "$IMAGES"

# The series: every numbered patch in patches/ except the cover letter.
series_patches() {
	find "$TOP/patches" -maxdepth 1 -name '[0-9][0-9][0-9][0-9]-*.patch' ! -name '0000-*' | LC_ALL=C sort
}

has_series() { [ -n "$(series_patches)" ]; }
