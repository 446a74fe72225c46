#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Prepare a Debian 12 (bookworm) host for the ivshmem2-linux test bed: apt
# sources (bookworm-backports for meson >= 1.5, trixie deb-src for QEMU
# 10.0.13), build and test packages, and the kernel tools (checkpatch.pl,
# kselftest_harness.h) that ship only in the linux-source tarballs.
#
# Idempotent and cached: a stamp keyed by this script's hash makes a warm
# run a no-op. Must run as root on a fresh machine.

set -euo pipefail

CACHE=${IVSHMEM_CACHE:-/var/cache/ivshmem2-linux}
SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
stamp_key=$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-16)
STAMP=$CACHE/setup-host.$stamp_key

PACKAGES=(
	# module builds and lint
	build-essential bc kmod dwarves libelf-dev libssl-dev sparse codespell
	linux-headers-amd64 linux-headers-6.12-amd64
	linux-source-6.1 linux-source-6.12
	# QEMU 10.0 build (test-bed.md)
	dpkg-dev ninja-build python3-venv libglib2.0-dev libpixman-1-dev flex
	bison pkg-config libslirp-dev libfdt-dev
	meson/bookworm-backports python3-pycotap/bookworm-backports
	# QEMU firmware
	qemu-system-data seabios
	# guest userland
	busybox-static iproute2 ethtool iputils-ping iperf3 cpio xz-utils zstd
	# make fuzz: clang with libFuzzer and the sanitizers
	clang libclang-rt-14-dev
	# scripts; gnuplot for make bench
	util-linux procps psmisc gnuplot-nox
)

log() { printf 'setup-host: %s\n' "$*" >&2; }

if [ -e "$STAMP" ]; then
	exit 0
fi

if [ "$(id -u)" != 0 ]; then
	log "must run as root (installs Debian packages)"
	exit 1
fi

mkdir -p "$CACHE"

cat > /etc/apt/sources.list.d/ivshmem2-linux.sources <<'SOURCES'
# Added by ivshmem2-linux tools/testing/ivshmem/setup-host.sh
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES

log "apt-get update"
apt-get update -qq
log "installing ${#PACKAGES[@]} packages"
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	"${PACKAGES[@]}" >/dev/null

# checkpatch.pl and the kselftest harness ship only in the source tarball.
tools=$CACHE/linux-tools-6.12
if [ ! -e "$tools/.done" ]; then
	log "extracting checkpatch and kselftest headers from linux-source-6.12"
	rm -rf "$tools.tmp"
	mkdir -p "$tools.tmp"
	tar -xf /usr/src/linux-source-6.12.tar.xz -C "$tools.tmp" \
		--strip-components=1 --wildcards \
		'linux-source-6.12/scripts/checkpatch.pl' \
		'linux-source-6.12/scripts/spelling.txt' \
		'linux-source-6.12/scripts/const_structs.checkpatch' \
		'linux-source-6.12/tools/testing/selftests/kselftest*' \
		'linux-source-6.12/tools/testing/selftests/lib.mk'
	touch "$tools.tmp/.done"
	rm -rf "$tools"
	mv "$tools.tmp" "$tools"
fi

"$SRCDIR/kernels.sh" fetch 6.1 6.12 >/dev/null

rm -f "$CACHE"/setup-host.*
touch "$STAMP"
log "host ready"
