#!/usr/bin/env bash
# Stage: dependencies. Installs the Debian packages the harness needs that
# are missing; does nothing (and needs no network) when all are present.
#   scripts/deps.sh [--arches "A B"] [PACKAGE...]
# --arches: the arches (arches/*.conf) whose packages (QEMU, cross
# compiler) to install, default all; packages: extra ones a stage needs
# (make bench: gnuplot-nox).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

arches=$(cd "$TOP/arches" && ls ./*.conf | sed 's|^\./||; s|\.conf$||')
if [ "${1:-}" = --arches ]; then
	arches=$2
	shift 2
fi
packages=(
	linux-source-6.12 build-essential git make gcc flex bison bc
	libelf-dev libssl-dev dwarves cpio kmod rsync xz-utils ccache sparse
	perl python3 python3-ply python3-git coreutils procps util-linux
	busybox-static b4 python3-sphinx libdrm-dev
	"$@"
)
for arch in $arches; do
	load_record arches "$arch"
	# shellcheck disable=SC2206
	packages+=($arch_packages)
done

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	say "deps: all ${#packages[@]} packages present"
	exit 0
fi
say "deps: installing ${missing[*]}"
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q >"$LOGS/deps.log" 2>&1 || die "apt-get update failed, see $LOGS/deps.log"
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >>"$LOGS/deps.log" 2>&1 ||
	die "apt-get install ${missing[*]} failed, see $LOGS/deps.log"
say "deps: done"
