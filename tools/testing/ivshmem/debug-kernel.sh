#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# debug-kernel.sh - build the debug guest kernel of the test bed (cached)
#
# Usage: debug-kernel.sh [-f]
#   -f  rebuild even if the cache has this kernel
#
# Builds Linux 6.12 from Debian's linux-source-6.12, with the fixes of
# kernel-patches/ applied (bugs of other drivers that the test bed's hostile
# peers find, each meant for upstream), x86_64_defconfig, kvm_guest.config
# and debug.config (next to this script: KASAN, lockdep, kmemleak,
# DEBUG_LIST/OBJECTS, UBSAN, KUnit, ...) and prints the cache directory as
# the last line of stdout:
#
#   $IVSHMEM_CACHE/debug-kernel/<hash>/
#     release                 the kernel release (uname -r)
#     linux/                  the configured, built tree (object files
#                             dropped): KDIR for out-of-tree modules
#     root/boot/vmlinuz-<release>, root/boot/vmlinux-<release>
#     root/lib/modules/<release>/
#     build.log
#
# <hash> covers debug.config, kernel-patches/, the build recipe (the
# dk_build function below) and the linux-source-6.12 package version: when
# the directory exists, nothing is built. Otherwise the script installs what
# the build needs, takes a lock (concurrent calls wait for each other),
# builds in a temporary directory with nice -n 10 and renames it into place.
# A cold build takes about 15 minutes on 2 cores. Older builds are removed.
#
# Environment: IVSHMEM_CACHE (cache root), JOBS (make -j, default: nproc).

set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE=${IVSHMEM_CACHE:-/var/cache/ivshmem2-linux}
FRAGMENT=$HERE/debug.config
PATCHES=$HERE/kernel-patches
SRCPKG=linux-source-6.12
TARBALL=/usr/src/$SRCPKG.tar.xz
DEPS=(build-essential bc bison flex libelf-dev libssl-dev dwarves xz-utils
      kmod cpio patch "$SRCPKG")
dkdir=$CACHE/debug-kernel

say() { echo "debug-kernel.sh: $*" >&2; }
die() { say "error: $*"; exit 1; }

force=0
while getopts "fh" opt; do
	case "$opt" in
	f) force=1 ;;
	h) sed -n '3,/^$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
	*) exit 2 ;;
	esac
done

install_deps() {
	local missing=() p

	for p in "${DEPS[@]}"; do
		dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
	done
	[[ ${#missing[@]} -eq 0 ]] && return 0
	say "installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		"${missing[@]}" >&2 ||
		{ apt-get update -q >&2 &&
		  DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends "${missing[@]}" >&2; } ||
		die "apt-get install ${missing[*]} failed"
}

# Every option of the fragment must have the fragment's value in .config
# (an option whose dependencies are missing is silently dropped otherwise).
check_config() {	# check_config .config
	local line name got bad=0

	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*)
			name=${line%%=*}
			got=$(grep -E "^$name=" "$1" || echo "$name unset")
			;;
		"# CONFIG_"*" is not set")
			name=${line#\# }
			name=${name%% *}
			got=$(grep -E "^$name=" "$1" || echo "$line")
			;;
		*) continue ;;
		esac
		if [[ "$got" != "$line" ]]; then
			say "debug.config wants '$line', .config has '$got'"
			bad=1
		fi
	done <"$FRAGMENT"
	return $bad
}

# dk_build TMP: unpack, configure and build into TMP/{linux,root,release}.
# Its text is part of the cache key: change it and the kernel is rebuilt.
dk_build() {
	local t=$1 k=$1/linux rel p
	local -a mk=(nice -n 10 make -C "$k" -j"${JOBS:-$(nproc)}")

	say "unpacking $TARBALL"
	tar -C "$t" -xf "$TARBALL"
	mv -T "$t/$SRCPKG" "$k"
	for p in "$PATCHES"/*.patch; do
		[[ -e "$p" ]] || continue
		say "applying ${p##*/}"
		patch -d "$k" -p1 -s --no-backup-if-mismatch <"$p"
	done
	make -C "$k" -s x86_64_defconfig
	(cd "$k" && scripts/kconfig/merge_config.sh -m .config \
		kernel/configs/kvm_guest.config "$FRAGMENT") >/dev/null
	make -C "$k" -s olddefconfig
	check_config "$k/.config" || die "the kernel config does not match debug.config"
	say "building bzImage and modules (log: $t/build.log)"
	"${mk[@]}" bzImage modules
	rel=$(make -C "$k" -s kernelrelease)
	"${mk[@]}" -s INSTALL_MOD_PATH="$t/root" modules_install
	rm -f "$t/root/lib/modules/$rel/build" "$t/root/lib/modules/$rel/source"
	mkdir -p "$t/root/boot"
	cp "$k/arch/x86/boot/bzImage" "$t/root/boot/vmlinuz-$rel"
	cp "$k/vmlinux" "$t/root/boot/vmlinux-$rel"
	cp "$k/.config" "$t/root/boot/config-$rel"
	# What out-of-tree modules need stays: .config, generated headers,
	# Module.symvers, scripts/ and tools/objtool binaries.
	find "$k" \( -name '*.o' -o -name '*.a' -o -name '*.ko' \) \
		-not -path "$k/scripts/*" -not -path "$k/tools/*" -delete
	rm -f "$k/vmlinux" "$k"/.tmp_vmlinux* "$k/arch/x86/boot/compressed/vmlinux"
	echo "$rel" >"$t/release"
}

# the cache key: the recipe, the fragment, the patches, the package version
# (empty while linux-source-6.12 is not installed); kernel-patches/ may be
# empty, as dk_build allows
cache_key() {
	local p

	{
		declare -f dk_build check_config
		cat "$FRAGMENT"
		for p in "$PATCHES"/*.patch; do
			[[ -e "$p" ]] && cat "$p"
		done
		dpkg-query -W -f='${Version}\n' "$SRCPKG" 2>/dev/null || true
	} | sha256sum | cut -c1-16
}

hash=$(cache_key)
out=$dkdir/$hash

if [[ $force -eq 0 && -s "$out/release" ]]; then
	echo "$out"
	exit 0
fi

install_deps
# the package version is part of the key: recompute after installing
hash=$(cache_key)
out=$dkdir/$hash
[[ -f "$TARBALL" ]] || die "no $TARBALL"

mkdir -p "$dkdir"
exec 9>"$dkdir/.lock"
if ! flock -n 9; then
	say "another build is running; waiting for it"
	flock 9
fi
if [[ $force -eq 0 && -s "$out/release" ]]; then
	echo "$out"
	exit 0
fi

tmp=$(mktemp -d "$dkdir/.tmp-$hash.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
start=$SECONDS
# a subshell outside any condition, so that set -e stops at the first error
set +e
(dk_build "$tmp") >"$tmp/build.log" 2>&1
rc=$?
set -e
if [[ $rc -ne 0 ]]; then
	tail -n 40 "$tmp/build.log" >&2
	cp "$tmp/build.log" "$dkdir/build-failed.log"
	die "build failed (log: $dkdir/build-failed.log)"
fi
echo "$hash" >"$tmp/root/.version"
if [[ -e "$out" ]]; then
	mv -T "$out" "$dkdir/.old-$hash.$$"
fi
mv -T "$tmp" "$out"
trap - EXIT
# drop other builds (and a replaced one)
for old in "$dkdir"/* "$dkdir"/.old-*; do
	[[ -d "$old" && "$old" != "$out" ]] && rm -rf "$old"
done
say "built $(cat "$out/release") in $(((SECONDS - start) / 60)) min: $out"
echo "$out"
