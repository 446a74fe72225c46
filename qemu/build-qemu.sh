#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build qemu-system-x86_64 with the IVSHMEM v2 device (qemu/hw/misc/) and
# print the absolute path of the binary as the last line of stdout.
#
# The binary is cached in $IVSHMEM_CACHE/qemu/<hash>/ (default cache:
# /var/cache/ivshmem2-linux), <hash> being a SHA-256 over qemu/hw/misc/*
# and this script: when it exists, nothing is built (well under a second).
# Otherwise the script, holding a lock so that concurrent calls wait for
# each other:
#   - installs missing build dependencies from Debian (bookworm, meson from
#     bookworm-backports),
#   - fetches the QEMU 10.0 source package from trixie into
#     $IVSHMEM_CACHE/qemu-src (dpkg-source applies Debian's patches),
#   - copies our device sources into hw/misc/ and hooks them into
#     hw/misc/Kconfig and hw/misc/meson.build,
#   - configures build/ if needed and runs ninja qemu-system-x86_64.
# Build output goes to $IVSHMEM_CACHE/qemu-src/build-qemu.log; progress
# messages go to stderr.
#
# Environment: IVSHMEM_CACHE (cache root), JOBS (ninja -j, default 2).

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${IVSHMEM_CACHE:-/var/cache/ivshmem2-linux}
jobs=${JOBS:-2}
qemu_upstream=10.0.13+ds
qemu_debian=1:10.0.13+ds-0+deb13u1
srcroot=$cache/qemu-src
log=$srcroot/build-qemu.log

say() { echo "build-qemu: $*" >&2; }
die() { say "error: $*"; exit 1; }

hash=$(cd "$here" &&
       sha256sum hw/misc/* build-qemu.sh | sha256sum | cut -c1-16)
out=$cache/qemu/$hash/qemu-system-x86_64

if [ -x "$out" ]; then
    echo "$out"
    exit 0
fi

mkdir -p "$srcroot" "$cache/qemu"
exec 9>"$srcroot/.build.lock"
if ! flock -n 9; then
    say "another build is running; waiting for it"
    flock 9
fi
if [ -x "$out" ]; then
    echo "$out"
    exit 0
fi

apt_updated=
apt_update() {
    if [ -z "$apt_updated" ]; then
        say "apt-get update"
        apt-get update -q >>"$log" 2>&1 || die "apt-get update failed (see $log)"
        apt_updated=1
    fi
}

# $1: file name, $2: Types (deb or deb-src), $3: Suites
add_apt_source() {
    local f=/etc/apt/sources.list.d/$1

    # lists configured targets, fetched or not
    if apt-get indextargets --no-release-info \
           --format '$(TARGET_OF) $(RELEASE)' | grep -qx "$2 $3"; then
        return
    fi
    say "adding apt source $2 $3"
    cat >"$f" <<EOF
Types: $2
URIs: http://deb.debian.org/debian
Suites: $3
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    apt_updated=
}

install_deps() {
    local pkgs=(build-essential ninja-build python3-venv libglib2.0-dev
                libpixman-1-dev flex bison pkg-config libslirp-dev libfdt-dev
                dpkg-dev xz-utils util-linux)
    local missing=() p

    for p in "${pkgs[@]}"; do
        dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        apt_update
        say "installing ${missing[*]}"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" \
            >>"$log" 2>&1 || die "apt-get install failed (see $log)"
    fi
    # QEMU 10.0 needs meson >= 1.5: bookworm has 1.0, backports 1.7
    if ! dpkg --compare-versions "$(meson --version 2>/dev/null || echo 0)" \
            ge 1.5; then
        add_apt_source ivshmem2-bookworm-backports.sources deb \
            bookworm-backports
        apt_update
        say "installing meson from bookworm-backports"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
            -t bookworm-backports meson python3-pycotap >>"$log" 2>&1 ||
            die "installing meson failed (see $log)"
    fi
}

fetch_source() {
    local dsc

    add_apt_source ivshmem2-trixie-src.sources deb-src trixie
    apt_update
    say "fetching the qemu source package from trixie"
    (cd "$srcroot" &&
     { apt-get source -q --download-only "qemu=$qemu_debian" ||
       apt-get source -q --download-only qemu/trixie; }) >>"$log" 2>&1 ||
        die "apt-get source qemu failed (see $log)"
    dsc=$(ls -t "$srcroot"/qemu_*.dsc | head -n 1)
    say "unpacking $(basename "$dsc")"
    (cd "$srcroot" && dpkg-source -q -x --no-check "$dsc") >>"$log" 2>&1 ||
        die "dpkg-source -x failed (see $log)"
}

: >"$log"
install_deps

src=$srcroot/qemu-$qemu_upstream
if [ ! -d "$src" ]; then
    # a trixie update may have replaced 10.0.13: use what is unpacked
    src=$(ls -d "$srcroot"/qemu-10.0.* 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -z "$src" ]; then
        fetch_source
        src=$(ls -d "$srcroot"/qemu-10.0.* 2>/dev/null | sort -V | tail -n 1 || true)
        [ -n "$src" ] || die "no qemu-10.0.* source tree in $srcroot"
    fi
fi
say "source tree $src"

# Our device sources; cmp keeps mtimes (and ninja) quiet when unchanged
for f in "$here"/hw/misc/*.[ch]; do
    cmp -s "$f" "$src/hw/misc/$(basename "$f")" ||
        cp "$f" "$src/hw/misc/"
done

if ! grep -q '^config IVSHMEM2_DEVICE$' "$src/hw/misc/Kconfig"; then
    cat >>"$src/hw/misc/Kconfig" <<'EOF'

config IVSHMEM2_DEVICE
    bool
    default y if PCI_DEVICES
    depends on PCI && LINUX && IVSHMEM && MSI_NONBROKEN
EOF
fi
if ! grep -q 'CONFIG_IVSHMEM2_DEVICE' "$src/hw/misc/meson.build"; then
    cat >>"$src/hw/misc/meson.build" <<'EOF'
system_ss.add(when: 'CONFIG_IVSHMEM2_DEVICE', if_true: files('ivshmem2-pci.c'))
EOF
fi

if [ ! -f "$src/build/build.ninja" ]; then
    say "configuring $src/build"
    rm -rf "$src/build"
    mkdir -p "$src/build"
    (cd "$src/build" &&
     ../configure --python=/usr/bin/python3 --target-list=x86_64-softmmu \
         --without-default-features --enable-slirp --enable-kvm \
         --disable-docs --disable-werror --disable-install-blobs) \
        >>"$log" 2>&1 || { tail -n 30 "$log" >&2; die "configure failed"; }
fi

say "ninja -j$jobs qemu-system-x86_64 (log: $log)"
if ! ninja -C "$src/build" -j"$jobs" qemu-system-x86_64 >>"$log" 2>&1; then
    tail -n 40 "$log" >&2
    die "build failed"
fi

mkdir -p "$(dirname "$out")"
cp "$src/build/qemu-system-x86_64" "$out.tmp.$$"
mv -f "$out.tmp.$$" "$out"
say "built $out"
echo "$out"
