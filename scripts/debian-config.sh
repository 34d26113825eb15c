#!/usr/bin/env bash
# scripts/debian-config.sh ARCH FLAVOUR: Debian's own configuration of its
# FLAVOUR kernel for ARCH (package linux-config-X.Y of the tree's version,
# config.DEBARCH_none_FLAVOUR), written as a config fragment for build.sh
# to work/configs/debian-FLAVOUR.config.  Kept: every built-in option as
# Debian has it (mitigations, jump labels, memory model, preemption, HZ,
# Xen, tracing, ...).  Changed: modules off and what Debian builds as a
# module left out (the harness's fragments build in what guests need); no
# debug info or BTF (they change build time, not code); no signing keys.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
arch=${1:?usage: debian-config.sh ARCH FLAVOUR} flavour=${2:?usage: debian-config.sh ARCH FLAVOUR}
load_record arches "$arch"
[ -n "${arch_debian:-}" ] || die "arch $arch has no Debian architecture (arch_debian in arches/$arch.conf)"
version=$(sed -n 's/^VERSION = //p' "$TREE/Makefile").$(sed -n 's/^PATCHLEVEL = //p' "$TREE/Makefile")
out=$WORK/configs/debian-$flavour.config
name=config.${arch_debian}_none_$flavour
mkdir -p "$WORK/configs"

deb=$(debian_download "linux-config-$version" "$arch_debian")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dpkg -x "$deb" "$tmp"
[ -f "$tmp/usr/src/linux-config-$version/$name.xz" ] ||
	die "$(basename "$deb") has no $name.xz (has: $(cd "$tmp/usr/src/linux-config-$version" && ls | tr '\n' ' '))"
{
	echo "# Debian's $name from $(basename "$deb"), by scripts/debian-config.sh"
	xz -dc "$tmp/usr/src/linux-config-$version/$name.xz" |
		sed -e 's/^\(CONFIG_[A-Za-z0-9_]*\)=m$/# \1 is not set/' \
			-e '/^CONFIG_MODULES=/d' -e '/^CONFIG_DEBUG_INFO/d' \
			-e '/^CONFIG_SYSTEM_TRUSTED_KEYS=/d' -e '/^CONFIG_SYSTEM_REVOCATION_KEYS=/d' \
			-e '/^CONFIG_MODULE_SIG_KEY=/d'
	echo "# CONFIG_MODULES is not set"
	echo "CONFIG_DEBUG_INFO_NONE=y"
} > "$out.tmp"
mv "$out.tmp" "$out"
say "debian-config: $(basename "$out"): $(grep -c '=y$' "$out") built-in options of Debian's $name"
