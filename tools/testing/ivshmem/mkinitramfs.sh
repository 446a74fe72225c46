#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mkinitramfs.sh - base guest initramfs for vmtest
#
# Usage: mkinitramfs.sh [-f] KERNEL
#   KERNEL  6.1, 6.12, debug or a full release (see kernels.sh)
#   -f      rebuild even if a cached image exists
#
# Prints the path of an uncompressed newc cpio as the last stdout line. It is
# cached in $IVSHMEM_CACHE/initramfs/<release>-<hash>.cpio where <hash> covers
# this script, the guest init, the kernel release/version and the versions of
# the packages the tools are copied from.
#
# Content: static busybox with all applet links, ip, tc, ethtool, ping, iperf3
# (with their shared libraries and the dynamic loader), /etc basics, /init,
# and the stock kernel modules listed in GUEST_MODULES below plus everything
# they depend on (decompressed, depmod'ed for the guest tree).

set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=kernels.sh disable=SC1091
. "$HERE/kernels.sh"

# Stock modules to ship. An entry with a '/' is a glob relative to
# lib/modules/<release>/kernel/ (".ko*" is appended when it has no suffix);
# anything else is a module name. Dependencies are added from modules.dep.
# Missing entries are fine (the option may be built in).
GUEST_MODULES=(
	drivers/uio/
	drivers/virtio/
	virtio_net net_failover failover
	tun veth dummy
	virtio_blk virtio_console loop
	ext4 jbd2 mbcache crc16 crc32c_generic crc32c_intel libcrc32c
	af_packet
)

# Dynamically linked host tools to copy (name as found in PATH).
GUEST_TOOLS=(ip tc ethtool ping iperf3)

# Debian packages whose versions key the cache.
KEY_PACKAGES=(busybox-static iproute2 ethtool iputils-ping iperf3 libiperf0 libc6 kmod)

usage() {
	sed -n '3,/^$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
}

die() {
	echo "mkinitramfs.sh: $*" >&2
	exit 1
}

force=0
while getopts "fh" opt; do
	case "$opt" in
	f) force=1 ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[[ $# -eq 1 ]] || { usage >&2; exit 2; }

kernel="$1"
rel="$(kernels_release "$kernel")"
kernels_fetch "$rel"
kroot="$(kernels_root "$rel")"
moddir="$(kernels_moddir "$rel")"

busybox="$(command -v busybox || true)"
[[ -n "$busybox" ]] || die "busybox not found (apt-get install busybox-static)"
if ldd "$busybox" >/dev/null 2>&1; then
	die "$busybox is not static (apt-get install busybox-static)"
fi
tools=()
for t in "${GUEST_TOOLS[@]}"; do
	p="$(command -v "$t" || true)"
	[[ -n "$p" ]] || die "$t not found (apt-get install iproute2 ethtool iputils-ping iperf3)"
	tools+=("$(readlink -f "$p")")
done

key="$(
	{
		cat "${BASH_SOURCE[0]}" "$HERE/init"
		echo "$rel $(cat "$kroot/.version")"
		dpkg-query -W -f='${Package} ${Version}\n' "${KEY_PACKAGES[@]}" 2>/dev/null || true
		sha256sum "$busybox" "${tools[@]}"
	} | sha256sum | cut -c1-16
)"
cachedir="${IVSHMEM_CACHE:-/var/cache/ivshmem2-linux}/initramfs"
out="$cachedir/$rel-$key.cpio"
if [[ $force -eq 0 && -s "$out" ]]; then
	echo "$out"
	exit 0
fi
mkdir -p "$cachedir"

tmp="$(mktemp -d "$cachedir/.tmp-$rel.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
root="$tmp/root"
mkdir -p "$root"
cd "$root"
mkdir -p bin sbin usr/bin usr/sbin etc proc sys dev tmp run root mnt var/log \
	opt/ivshmem lib/modules
ln -s ../run var/run

# busybox and every applet
install -m 0755 "$busybox" bin/busybox
while read -r applet; do
	[[ -n "$applet" && "$applet" != bin/busybox ]] || continue
	mkdir -p "$(dirname "$applet")"
	[[ -e "$applet" ]] || ln -s /bin/busybox "$applet"
done < <("$busybox" --list-full)

# real tools replace same-named applets
copy_lib() {
	local src="$1" dst="${1#/}"
	[[ -e "$dst" ]] && return 0
	mkdir -p "$(dirname "$dst")"
	cp -L "$src" "$dst"
}
for t in "${tools[@]}"; do
	name="$(basename "$t")"
	for d in bin sbin usr/bin usr/sbin; do
		rm -f "$d/$name"
	done
	install -m 0755 "$t" "usr/bin/$name"
	while read -r lib; do
		copy_lib "$lib"
	done < <(ldd "$t" | sed -n -e 's/.*=> \(\/[^ ]*\) (0x.*/\1/p' -e 's/^[[:space:]]*\(\/[^ ]*\) (0x.*/\1/p')
done
# iproute2 tables (optional)
for d in /usr/share/iproute2 /etc/iproute2; do
	if [[ -d "$d" ]]; then
		mkdir -p "${d#/}"
		cp -a "$d/." "${d#/}/"
	fi
done

# /etc
cat >etc/passwd <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >etc/group <<'EOF'
root:x:0:
nogroup:x:65534:
EOF
cat >etc/hosts <<'EOF'
127.0.0.1	localhost
::1		localhost ip6-localhost ip6-loopback
EOF
echo "hosts: files" >etc/nsswitch.conf
for f in /etc/services /etc/protocols; do
	[[ -f "$f" ]] && cp "$f" "etc/$(basename "$f")"
done
touch etc/fstab
ln -s /proc/mounts etc/mtab

install -m 0755 "$HERE/init" init

# kernel modules
gdst="lib/modules/$rel"
mkdir -p "$gdst"
declare -A want=()
depfile="$moddir/modules.dep"
[[ -f "$depfile" ]] || die "no $depfile"
# module name -> path as in modules.dep
declare -A bypath=()
while IFS=: read -r path _; do
	base="$(basename "$path")"
	base="${base%%.ko*}"
	bypath["${base//-/_}"]="$path"
done <"$depfile"
add_mod() {
	local path="$1" d
	local -a deps
	[[ -n "${want[$path]:-}" ]] && return 0
	want["$path"]=1
	read -r -a deps <<<"$(sed -n "s|^${path//./\\.}:||p" "$depfile")"
	for d in "${deps[@]}"; do
		add_mod "$d"
	done
}
(
	cd "$moddir"
	for m in "${GUEST_MODULES[@]}"; do
		if [[ "$m" == */* ]]; then
			[[ "$m" == */ ]] && m="${m}*"
			[[ "$m" == *.ko* ]] || m="${m}.ko*"
			# shellcheck disable=SC2086 # glob on purpose
			find kernel -path "kernel/$m" -name '*.ko*' -print
		else
			echo "name:$m"
		fi
	done
) >"$tmp/modlist"
while read -r entry; do
	if [[ "$entry" == name:* ]]; then
		n="${entry#name:}"
		n="${n//-/_}"
		[[ -n "${bypath[$n]:-}" ]] && add_mod "${bypath[$n]}"
	else
		add_mod "$entry"
	fi
done <"$tmp/modlist"
for path in "${!want[@]}"; do
	src="$moddir/$path"
	dst="$gdst/${path%.ko*}.ko"
	mkdir -p "$(dirname "$dst")"
	case "$path" in
	*.ko.xz) xz -dc "$src" >"$dst" ;;
	*.ko.zst) zstd -q -dc "$src" >"$dst" ;;
	*.ko.gz) gzip -dc "$src" >"$dst" ;;
	*) cp "$src" "$dst" ;;
	esac
done
for f in modules.order modules.builtin modules.builtin.modinfo; do
	if [[ -f "$moddir/$f" ]]; then
		sed -e 's/\.ko\.\(xz\|zst\|gz\)$/.ko/' "$moddir/$f" >"$gdst/$f"
	fi
done
depmod -b "$root" "$rel"

# pack
find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort |
	cpio --quiet -o -H newc -R 0:0 --reproducible >"$tmp/initramfs.cpio"
mv -f "$tmp/initramfs.cpio" "$out"
# drop older images of this release
for old in "$cachedir/$rel"-*.cpio; do
	[[ "$old" == "$out" ]] || rm -f "$old"
done
echo "mkinitramfs.sh: built $out ($(du -h "$out" | cut -f1), ${#want[@]} modules)" >&2
echo "$out"
