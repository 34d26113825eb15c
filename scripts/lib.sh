# shellcheck shell=bash
# Common helpers for the harness stages. Sourced, never run.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${WORK:-$TOP/work}          # generated trees, builds, logs (ignored)
LOGS=$WORK/logs
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

# The kernel tree.  Default: Debian's tarball, extracted by tree.sh into
# work/linux, branches base and patched.  LINUX=/path/to/git/tree: a git
# worktree of that tree under work/trees/, detached, with the base
# (BASE=<ref>, default its HEAD) and the patched commit kept in refs
# private to that worktree; the user's branches, HEAD and files are never
# touched.
if [ -n "${LINUX:-}" ]; then
	USER_TREE=$(cd "$LINUX" 2>/dev/null && pwd) || die "LINUX=$LINUX: no such directory"
	TREE_HOME=$WORK/trees/$(basename "$USER_TREE")-$(printf %s "$USER_TREE" | sha256sum | cut -c1-8)
	TREE=$TREE_HOME/linux
	BUILDS=$TREE_HOME/build
	IMAGES=$TREE_HOME/images
	BASE_REF=refs/worktree/harness-base
	PATCHED_REF=refs/worktree/harness-patched
else
	USER_TREE=
	TREE=$WORK/linux
	TREE_HOME=$TREE/.git
	BUILDS=$WORK/build
	IMAGES=$WORK/images
	BASE_REF=base
	PATCHED_REF=patched
fi
# The series: PATCHES=dir, default patches/ (relative to where make runs).
PATCHES=$(cd "${PATCHES:-$TOP/patches}" 2>/dev/null && pwd) ||
	die "PATCHES=${PATCHES:-}: no such directory"
export LINUX PATCHES BASE
mkdir -p "$WORK" "$LOGS" "$IMAGES" "$WORK/runs"

# The git ref of a kernel variant: base, patched, or a commit (step).
variant_ref() {
	case $1 in
	base) echo "$BASE_REF" ;;
	patched) echo "$PATCHED_REF" ;;
	*) echo "$1" ;;
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

# run_logged LABEL LOG CMD...: runs CMD with its output appended to LOG
# and, every 30 s, says how long it has run and what it did last: for a
# kernel build, how many objects it compiled and the last CC line.
run_logged() {
	local label=$1 log=$2 pid rc=0 start next now
	shift 2
	"$@" >>"$log" 2>&1 &
	pid=$!
	start=$(date +%s)
	next=$((start + 30))
	while kill -0 "$pid" 2>/dev/null; do
		sleep 2
		now=$(date +%s)
		[ "$now" -ge "$next" ] || continue
		next=$((now + 30))
		say "$label: $((now - start))s, $(grep -c '^  CC ' "$log" || true) objects compiled, last: $(grep -a '^  [A-Z]' "$log" | tail -1 | tr -s ' ' || true)"
	done
	wait "$pid" || rc=$?
	return "$rc"
}

# Declarative records: arches/NAME.conf (arch_*), machines/NAME.conf
# (machine_*), devices/NAME.conf (devices_*).  Sourced: shell assignments.
load_record() {
	local dir=$1 name=$2
	[ -f "$TOP/$dir/$name.conf" ] ||
		die "unknown ${dir%s} '$name' (no $dir/$name.conf; see README.md)"
	# shellcheck disable=SC1090
	. "$TOP/$dir/$name.conf"
}

# Flavour table (configs/flavours): FLAVOUR ARCH FRAGMENTS...
flavour_arch() {
	local arch
	arch=$(awk -v f="$1" '$1 == f { print $2 }' "$TOP/configs/flavours")
	[ -n "$arch" ] || die "unknown flavour '$1' (see configs/flavours)"
	echo "$arch"
}
flavour_hygiene() { awk -v f="$1" '$1 == f { print $3 }' "$TOP/configs/flavours"; }
flavour_fragments() { awk -v f="$1" '$1 == f { $1 = $2 = $3 = ""; print }' "$TOP/configs/flavours"; }

# Device kinds (kinds/NAME.sh) of a device set, in order: their QEMU
# arguments, virtio device count, required guest checks and kernel
# arguments, added up.  The records expand $run, $bus, $props and
# $drive_opts, so set those first.
load_kinds() {
	local kind
	KIND_QEMU=() KIND_DEVICES=0 KIND_CHECKS= KIND_APPEND= KIND_NEEDS= KIND_NAMES=
	for kind in "$@"; do
		[ -f "$TOP/kinds/$kind.sh" ] || die "unknown device kind '$kind' (no kinds/$kind.sh)"
		unset kind_qemu kind_devices kind_checks kind_append kind_needs
		# shellcheck disable=SC1090
		. "$TOP/kinds/$kind.sh"
		KIND_QEMU+=("${kind_qemu[@]}")
		KIND_DEVICES=$((KIND_DEVICES + ${kind_devices:-0}))
		KIND_CHECKS+=" ${kind_checks:-}"
		KIND_APPEND+="${kind_append:+ $kind_append}"
		KIND_NEEDS+="${kind_needs:+ $kind_needs}"
		KIND_NAMES+=" $kind"
	done
}

# One line of a matrix (scenarios.conf, bench.conf): NAME FLAVOURS
# MACHINE DEVICES APPEND EXPECT BOUNCE.
scenario_line() {
	local line
	line=$(awk -v s="$1" '!/^#/ && $1 == s' "${2:-$TOP/scenarios.conf}")
	[ -n "$line" ] || die "unknown scenario '$1' (see $(basename "${2:-$TOP/scenarios.conf}"))"
	echo "$line"
}

# QEMU's accelerator for ARCH: KVM where it really works (the arch record
# names a CPU for it), else TCG.  Probed once per harness run, under a
# lock (boots run in parallel): a paravirtualised host KVM can be
# hundreds of times slower than TCG.
qemu_accel() {
	local arch=$1 kernel=$2 initrd=$3 cache=$WORK/runs/.accel-$1
	(
		flock 9
		[ ! -f "$cache" ] || exit 0
		accel=tcg
		if [ -n "$arch_kvm_cpu" ] && [ -w /dev/kvm ] && [ "${HARNESS_ACCEL:-auto}" != tcg ]; then
			timeout 20 "$arch_qemu" -accel kvm -cpu "$arch_kvm_cpu" -m 256 \
				-display none -nodefaults -no-reboot -serial stdio \
				-kernel "$kernel" -initrd "$initrd" \
				-append "console=$arch_console panic=-1 harness.skip=all" \
				</dev/null 2>/dev/null | grep -q -m1 'harness: init start' && accel=kvm
		fi
		echo "$accel" > "$cache"
		say "boot: $arch accelerator: $accel${arch_kvm_cpu:+ (KVM probe: boot to init within 20s)}"
	) 9>"$WORK/runs/.accel.lock"
	case $(cat "$cache") in
	kvm) echo "-accel kvm -cpu $arch_kvm_cpu" ;;
	*) echo "-accel tcg" ;;
	esac
}

# The series: every numbered patch in PATCHES except the cover letter.
series_patches() {
	# NNNN-*.patch or git format-patch -vN's vN-NNNN-*.patch, no cover letter.
	find "$PATCHES" -maxdepth 1 \( -name '[0-9][0-9][0-9][0-9]-*.patch' -o \
		-name 'v[0-9]*-[0-9][0-9][0-9][0-9]-*.patch' \) ! -name '0000-*' ! -name 'v*-0000-*' |
		LC_ALL=C sort
}

has_series() { [ -n "$(series_patches)" ]; }

# debian_download PACKAGE DEBARCH: the path of PACKAGE's .deb for the
# Debian architecture DEBARCH, downloaded once into work/cache; for an
# architecture other than the host's, with a private apt state, so the
# host's own packages and lists stay as they are.
debian_download() {
	local pkg=$1 debarch=$2 apt=$WORK/cache/apt-$2 log=$LOGS/apt-$2.log deb
	deb=$(ls "$apt"/"${pkg}"_*_"$debarch".deb "$apt"/"${pkg}"_*_all.deb 2>/dev/null | tail -1 || true)
	if [ -z "$deb" ]; then
		say "fetching $pkg:$debarch"
		mkdir -p "$apt/state/lists/partial" "$apt/cache/archives/partial"
		local opts=()
		[ "$debarch" = "$(dpkg --print-architecture)" ] ||
			opts=(-o APT::Architecture="$debarch" -o APT::Architectures::="$debarch"
				-o Dir::State="$apt/state" -o Dir::Cache="$apt/cache"
				-o Dir::State::status=/dev/null -o Debug::NoLocking=1)
		if [ ${#opts[@]} -gt 0 ]; then
			timeout 300 apt-get "${opts[@]}" update -q >"$log" 2>&1 || true
		fi
		(cd "$apt" && timeout 300 apt-get "${opts[@]}" download "$pkg:$debarch") >>"$log" 2>&1 ||
			die "cannot download $pkg:$debarch, see $log"
		deb=$(ls "$apt"/"${pkg}"_*.deb | tail -1)
	fi
	echo "$deb"
}
