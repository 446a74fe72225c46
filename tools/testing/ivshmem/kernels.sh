#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kernels.sh - guest kernels for the ivshmem2-linux test bed
#
# Maps the short kernel names used by vmtest (6.1, 6.12) to the Debian kernel
# release of the installed headers package, and fetches + extracts the
# matching linux-image package into $IVSHMEM_CACHE/kernels/<release>/.
# "debug" is the debug kernel built by debug-kernel.sh (KASAN, lockdep,
# kmemleak, ...; cached in $IVSHMEM_CACHE/debug-kernel/): its kdir is the
# built tree, and fetching it builds it (about 15 minutes cold).
#
# As a command:
#   kernels.sh release K      print the kernel release (e.g. 6.1.0-56-amd64)
#   kernels.sh kdir K         print the module build dir (/usr/src/linux-headers-<release>)
#   kernels.sh vmlinuz K      fetch if needed, print the path of the vmlinuz
#   kernels.sh vmlinux K      fetch if needed, print the uncompressed vmlinux (PVH boot)
#   kernels.sh moddir K       fetch if needed, print the extracted lib/modules/<release> dir
#   kernels.sh root K         fetch if needed, print the extracted image root
#   kernels.sh fetch K...     fetch and extract the images (cached)
#   kernels.sh list           print the known short names
#
# As a library (source it): kernels_release, kernels_kdir, kernels_vmlinuz,
# kernels_vmlinux, kernels_moddir, kernels_root, kernels_fetch, each taking one kernel name.
#
# K is a short name (6.1, 6.12, debug) or a full Debian release string
# (e.g. 6.12.117+deb12-amd64) whose headers package is installed, or the
# release of the debug kernel (<version>-ivshmem-debug).

# Short name -> Debian headers meta package. Extend here.
declare -gA KERNELS_META=(
	[6.1]=linux-headers-amd64
	[6.12]=linux-headers-6.12-amd64
)

KERNELS_CACHE="${IVSHMEM_CACHE:-/var/cache/ivshmem2-linux}/kernels"
KERNELS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# Release suffix of the debug kernel (CONFIG_LOCALVERSION in debug.config).
KERNELS_DEBUG_SUFFIX=-ivshmem-debug
kernels__debug_out=

kernels_die() {
	echo "kernels.sh: $*" >&2
	return 1
}

# Print the value of a dpkg field of an installed package (empty if not installed).
kernels__dpkg_field() {
	dpkg-query -W -f="\${db:Status-Abbrev}|\${$2}" "$1" 2>/dev/null |
		sed -n 's/^ii *|//p'
}

kernels__apt_updated=0
# Run apt-get update once (stale or missing package lists).
kernels__apt_update() {
	[[ $kernels__apt_updated -eq 0 ]] || return 1
	kernels__apt_updated=1
	echo "kernels.sh: apt-get update" >&2
	apt-get update -q >&2
}

kernels__apt_install() {
	echo "kernels.sh: installing $*" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >&2 ||
		{ kernels__apt_update &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >&2; } ||
		kernels_die "apt-get install $* failed"
}

# kernels__apt_download DIR PKG=VER
kernels__apt_download() {
	(cd "$1" && apt-get -o APT::Sandbox::User=root download "$2" >&2) ||
		{ kernels__apt_update && (cd "$1" && apt-get -o APT::Sandbox::User=root download "$2" >&2); }
}

# Is K the debug kernel (short name or release)?
kernels_is_debug() {
	[[ "$1" == debug || "$1" == *"$KERNELS_DEBUG_SUFFIX" ]]
}

# kernels__debug: print the cache directory of the debug kernel, building it
# when it is not there (debug-kernel.sh; its progress goes to stderr).
kernels__debug() {
	if [[ -z "$kernels__debug_out" ]]; then
		kernels__debug_out="$("$KERNELS_DIR/debug-kernel.sh" | tail -n1)" || true
		if [[ ! -s "$kernels__debug_out/release" ]]; then
			kernels__debug_out=
			kernels_die "debug-kernel.sh failed"
			return 1
		fi
	fi
	echo "$kernels__debug_out"
}

# kernels_release K: print the kernel release for short name or release K.
kernels_release() {
	local k="$1" meta deps rel dir
	if kernels_is_debug "$k"; then
		dir="$(kernels__debug)" || return 1
		rel="$(cat "$dir/release")"
		[[ "$k" == debug || "$k" == "$rel" ]] ||
			{ kernels_die "debug kernel $k is not the cached one ($rel)"; return 1; }
		echo "$rel"
		return 0
	fi
	if [[ -z "${KERNELS_META[$k]:-}" ]]; then
		if [[ "$k" == *-* ]]; then
			echo "$k"
			return 0
		fi
		kernels_die "unknown kernel '$k' (known: ${!KERNELS_META[*]}, or a full release)"
		return 1
	fi
	meta="${KERNELS_META[$k]}"
	deps="$(kernels__dpkg_field "$meta" Depends)"
	if [[ -z "$deps" ]]; then
		kernels__apt_install "$meta" || return 1
		deps="$(kernels__dpkg_field "$meta" Depends)"
	fi
	rel="$(sed -n 's/.*linux-headers-\([^ ,]*\).*/\1/p' <<<"$deps" | sed -n 1p)"
	[[ -n "$rel" ]] || { kernels_die "cannot find the release in '$meta' Depends: $deps"; return 1; }
	echo "$rel"
}

# Make sure the headers of release $1 are installed; print their version.
kernels__headers() {
	local rel="$1" ver
	ver="$(kernels__dpkg_field "linux-headers-$rel" Version)"
	if [[ -z "$ver" || ! -d "/usr/src/linux-headers-$rel" ]]; then
		kernels__apt_install "linux-headers-$rel" || return 1
		ver="$(kernels__dpkg_field "linux-headers-$rel" Version)"
	fi
	echo "$ver"
}

kernels_kdir() {
	local rel
	if kernels_is_debug "$1"; then
		rel="$(kernels_release "$1")" || return 1
		echo "$(kernels__debug)/linux"
		return 0
	fi
	rel="$(kernels_release "$1")" || return 1
	kernels__headers "$rel" >/dev/null || return 1
	echo "/usr/src/linux-headers-$rel"
}

# kernels__cached DIR VERSION RELEASE: is a complete extraction there?
kernels__cached() {
	[[ -f "$1/.version" && "$(cat "$1/.version")" == "$2" ]] &&
		{ [[ -f "$1/lib/modules/$3/modules.dep" ]] || [[ -f "$1/usr/lib/modules/$3/modules.dep" ]]; }
}

# kernels_fetch K: download + extract linux-image-<release> (same version as
# the headers) into $KERNELS_CACHE/<release>; no-op when already there.
kernels_fetch() {
	local rel ver dir tmp deb old
	local -a debs
	if kernels_is_debug "$1"; then
		kernels__debug >/dev/null
		return
	fi
	rel="$(kernels_release "$1")" || return 1
	ver="$(kernels__headers "$rel")" || return 1
	dir="$KERNELS_CACHE/$rel"
	if kernels__cached "$dir" "$ver" "$rel"; then
		return 0
	fi
	mkdir -p "$KERNELS_CACHE"
	(
		# One fetcher at a time per release; others wait and then find it cached.
		exec 9>"$KERNELS_CACHE/.$rel.lock"
		flock 9
		if kernels__cached "$dir" "$ver" "$rel"; then
			exit 0
		fi
		tmp="$(mktemp -d "$KERNELS_CACHE/.tmp-$rel.XXXXXX")"
		trap 'rm -rf "$tmp"' EXIT
		echo "kernels.sh: fetching linux-image-$rel=$ver" >&2
		chmod 0755 "$tmp" # apt-get download drops privileges to _apt
		shopt -s nullglob
		debs=(/var/cache/apt/archives/"linux-image-${rel}_${ver//:/%3a}"_*.deb)
		if [[ ${#debs[@]} -eq 0 ]]; then
			kernels__apt_download "$tmp" "linux-image-$rel=$ver" ||
				{ kernels_die "apt-get download linux-image-$rel=$ver failed"; exit 1; }
			debs=("$tmp"/linux-image-*.deb)
		fi
		[[ ${#debs[@]} -gt 0 ]] || { kernels_die "no linux-image-$rel .deb"; exit 1; }
		deb="${debs[0]}"
		mkdir "$tmp/root"
		dpkg-deb -x "$deb" "$tmp/root"
		rm -f "$tmp"/*.deb
		[[ -f "$tmp/root/boot/vmlinuz-$rel" ]] ||
			{ kernels_die "no boot/vmlinuz-$rel in $deb"; exit 1; }
		# The package has no modules.dep (made at install time): make it.
		depmod -b "$tmp/root" "$rel"
		echo "$ver" >"$tmp/root/.version"
		if [[ -e "$dir" ]]; then
			old="$KERNELS_CACHE/.old-$rel.$$"
			mv -T "$dir" "$old"
			mv -T "$tmp/root" "$dir"
			rm -rf "$old"
		else
			mv -T "$tmp/root" "$dir"
		fi
	)
}

kernels_root() {
	local rel
	rel="$(kernels_release "$1")" || return 1
	if kernels_is_debug "$rel"; then
		echo "$(kernels__debug)/root"
		return 0
	fi
	kernels_fetch "$rel" || return 1
	echo "$KERNELS_CACHE/$rel"
}

kernels_vmlinuz() {
	local root rel
	rel="$(kernels_release "$1")" || return 1
	root="$(kernels_root "$rel")" || return 1
	echo "$root/boot/vmlinuz-$rel"
}

# kernels_vmlinux K: print the path of the uncompressed vmlinux (ELF with a
# PVH note, which QEMU boots directly without the slow in-guest
# decompression under TCG); extracted from the vmlinuz once, cached.
kernels_vmlinux() {
	local rel vmlinuz out tmp off magic
	rel="$(kernels_release "$1")" || return 1
	vmlinuz="$(kernels_vmlinuz "$rel")" || return 1
	out="${vmlinuz%/*}/vmlinux-$rel"
	if [[ -s "$out" ]]; then
		echo "$out"
		return 0
	fi
	tmp="$(mktemp "$out.XXXXXX")"
	for magic in '\xfd7zXZ\x00:xz' '\x28\xb5\x2f\xfd:zstd' '\x1f\x8b\x08:gzip'; do
		while read -r off; do
			# Trailing data after the stream makes the decompressors complain.
			tail -c +"$((off + 1))" "$vmlinuz" | "${magic##*:}" -dc 2>/dev/null >"$tmp" || true
			if [[ "$(head -c4 "$tmp" | od -An -c | tr -d ' ')" == '177ELF' ]]; then
				mv -f "$tmp" "$out"
				echo "$out"
				return 0
			fi
		done < <(LC_ALL=C grep -obUaP "${magic%:*}" "$vmlinuz" | cut -d: -f1 | head -n3)
	done
	rm -f "$tmp"
	kernels_die "cannot extract vmlinux from $vmlinuz"
}

kernels_moddir() {
	local root rel d
	rel="$(kernels_release "$1")" || return 1
	root="$(kernels_root "$rel")" || return 1
	for d in "$root/lib/modules/$rel" "$root/usr/lib/modules/$rel"; do
		if [[ -d "$d" ]]; then
			echo "$d"
			return 0
		fi
	done
	kernels_die "no lib/modules/$rel in $root"
}

kernels_main() {
	local cmd="${1:-}" k
	shift || true
	case "$cmd" in
	release | kdir | vmlinuz | vmlinux | moddir | root)
		[[ $# -eq 1 ]] || { echo "usage: kernels.sh $cmd KERNEL" >&2; return 2; }
		"kernels_$cmd" "$1"
		;;
	fetch)
		[[ $# -ge 1 ]] || { echo "usage: kernels.sh fetch KERNEL..." >&2; return 2; }
		for k in "$@"; do
			kernels_fetch "$k"
		done
		;;
	list)
		printf '%s\n' "${!KERNELS_META[@]}" | sort -V
		echo debug
		;;
	-h | --help | help)
		sed -n '3,/^$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
		;;
	*)
		echo "usage: kernels.sh {release|kdir|vmlinuz|vmlinux|moddir|root|fetch|list|help} [KERNEL...]" >&2
		return 2
		;;
	esac
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
	set -euo pipefail
	kernels_main "$@"
fi
