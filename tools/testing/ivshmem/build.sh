#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build steps of the test bed, one per sub-command, each failing on any
# compiler or checker finding:
#
#   build.sh kmods K       modules for guest kernel K (6.1|6.12|debug), W=1,
#                          warnings are errors; result in build/kmod-K/
#   build.sh sparse K      sparse (C=2) over the modules for kernel K
#   build.sh server        the interconnect server, build/host/ivshmem2-server
#   build.sh payload       guest userspace: tools and selftests, build/payload/
#   build.sh checkpatch    kernel checkpatch --strict over kernel-style C
#   build.sh qemu-checkpatch  QEMU's checkpatch over qemu/
#   build.sh install K     the user's path: top-level make KDIR=... and
#                          modules_install into a scratch root
#   build.sh prepare       host set-up, QEMU, server, modules for every
#                          guest kernel and the payload (make demo)

set -euo pipefail
# shellcheck source=tools/testing/ivshmem/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Copy the module sources into a private tree per kernel, so that builds
# for several kernels do not share objects.
kmod_tree() {
	local k=$1 dir=$BUILD/kmod-src-$1

	rm -rf "$dir"
	mkdir -p "$dir"
	(cd "$TOP" && cp -a Kbuild drivers include "$dir/")
	echo "$dir"
}

# Run make, show its output, fail if it printed a warning or an error.
make_clean_output() {
	local out

	out=$(mktemp)
	if ! make "$@" >"$out" 2>&1; then
		cat "$out"
		rm -f "$out"
		return 1
	fi
	cat "$out"
	if grep -E 'warning:|error:' "$out" >/dev/null; then
		rm -f "$out"
		echo "build.sh: findings above" >&2
		return 1
	fi
	rm -f "$out"
}

cmd_kmods() {
	local k=$1 kdir dir

	kdir=$("$TB/kernels.sh" kdir "$k")
	dir=$(kmod_tree "$k")
	make_clean_output -C "$kdir" M="$dir" W=1 -j2 modules
	rm -rf "$BUILD/kmod-$k"
	mkdir -p "$BUILD/kmod-$k"
	find "$dir" -name '*.ko' -exec cp {} "$BUILD/kmod-$k/" \;
	ls "$BUILD/kmod-$k"
}

cmd_sparse() {
	local k=$1 kdir dir

	kdir=$("$TB/kernels.sh" kdir "$k")
	dir=$(kmod_tree "$k")
	make_clean_output -C "$kdir" M="$dir" C=2 W=1 -j2 modules
}

cmd_server() {
	mkdir -p "$BUILD/host"
	make_clean_output -C "$TOP/qemu/contrib/ivshmem2-server" \
		OUT="$BUILD/host"
}

# Selftests build inside a kernel-shaped overlay: the harness and lib.mk
# from linux-source, our test directories on top.
cmd_payload() {
	local ov=$BUILD/ksft dst=$BUILD/payload t rel

	rm -rf "$ov" "$dst"
	mkdir -p "$ov/tools/testing" "$dst/bin" "$dst/tests"
	cp -a "$KTOOLS/tools/testing/selftests" "$ov/tools/testing/"
	cp -a "$TOP/tools/testing/selftests/." "$ov/tools/testing/selftests/"
	cp -a "$TOP/tools/ivshmem" "$ov/tools/"
	mkdir -p "$ov/tools/virtio"
	cp -a "$TOP/tools/virtio/ivshmem" "$ov/tools/virtio/"
	for t in $(cd "$TOP/tools/testing/selftests" &&
		   find . -name Makefile -printf '%h\n' | sort); do
		rel=${t#./}
		mkdir -p "$dst/tests/$rel"
		make_clean_output -C "$ov/tools/testing/selftests/$rel" \
			OUTPUT="$dst/tests/$rel"
		# scripts listed as TEST_PROGS or helpers ship as they are
		find "$TOP/tools/testing/selftests/$rel" -maxdepth 1 \
			-name '*.sh' -exec cp {} "$dst/tests/$rel/" \;
	done
	# what the tests of several drivers source (TEST_INCLUDES)
	cp "$TOP"/tools/testing/selftests/drivers/ivshmem/*.sh \
		"$dst/tests/drivers/ivshmem/"
	if [ -f "$TOP/tools/ivshmem/Makefile" ]; then
		make_clean_output -C "$TOP/tools/ivshmem" OUT="$dst/bin"
	fi
	if [ -f "$TOP/tools/virtio/ivshmem/Makefile" ]; then
		make_clean_output -C "$TOP/tools/virtio/ivshmem" \
			OUT="$dst/bin"
	fi
	find "$dst" -type f | sed "s|$BUILD/||"
}

# Batches of files on every CPU; a batch prints its findings in one piece.
# A file found clean is remembered in $CACHE/checkpatch/ under a hash of
# its path and contents, checkpatch.pl, its word lists and options, so a
# warm run checks only what changed (the clean result is the same).
cmd_checkpatch() {
	local dir=$CACHE/checkpatch tools f todo=() keys=() k

	cd "$TOP"
	mkdir -p "$dir"
	tools=$({ cat "$KTOOLS/scripts/checkpatch.pl" \
		  "$KTOOLS/scripts/spelling.txt" "$CODESPELL_DICT" 2>/dev/null
		  echo "${CHECKPATCH_KERNEL[*]}"; } | sha256sum)
	while IFS= read -r f; do
		k=$({ echo "$tools $f"; cat "$f"; } | sha256sum | cut -c1-40)
		[ -e "$dir/$k" ] && continue
		todo+=("$f")
		keys+=("$k")
	done < <(kernel_sources)
	echo "checkpatch: ${#todo[@]} file(s) changed since a clean check"
	[ "${#todo[@]}" = 0 ] && return 0
	# shellcheck disable=SC2016
	printf '%s\n' "${todo[@]}" | xargs -P "$(nproc)" -n 8 sh -c \
		'out=$("$0" "$@" 2>/dev/null); rc=$?
		 [ -z "$out" ] || printf "%s\n" "$out"; exit $rc' \
		"$KTOOLS/scripts/checkpatch.pl" "${CHECKPATCH_KERNEL[@]}" -q -f ||
		return 1
	for k in "${keys[@]}"; do
		: > "$dir/$k"
	done
}

cmd_qemu_checkpatch() {
	local f rc=0 qsrc

	qsrc=$CACHE/qemu-src/qemu-10.0.13+ds
	cd "$TOP"
	for f in $(qemu_sources); do
		if ! "$qsrc/scripts/checkpatch.pl" --no-tree -q -f "$f"; then
			rc=1
		fi
	done
	return $rc
}

cmd_install() {
	local k=$1 kdir dir=$BUILD/oot-src root=$BUILD/oot-root m

	kdir=$("$TB/kernels.sh" kdir "$k")
	rm -rf "$dir" "$root"
	mkdir -p "$dir"
	(cd "$TOP" && cp -a Makefile Kbuild dkms.conf drivers include "$dir/")
	make_clean_output -C "$dir" KDIR="$kdir" -j2
	make -C "$dir" KDIR="$kdir" INSTALL_MOD_PATH="$root" modules_install
	for m in uio_ivshmem ivshmem-net; do
		if ! find "$root/lib/modules" -name "$m.ko*" | grep -q .; then
			echo "build.sh: $m not installed" >&2
			return 1
		fi
	done
	find "$root/lib/modules" -name '*.ko*'
}

cmd_prepare() {
	local k

	"$TB/setup-host.sh"
	"$TOP/qemu/build-qemu.sh" >/dev/null
	cmd_server >/dev/null
	for k in $KERNELS; do
		cmd_kmods "$k" >/dev/null
	done
	cmd_payload >/dev/null
}

case "${1:-}" in
kmods|sparse|install) cmd_"$1" "$2" ;;
prepare) cmd_prepare ;;
server|payload|checkpatch) cmd_"$1" ;;
qemu-checkpatch) cmd_qemu_checkpatch ;;
*) sed -n '4,18p' "$0" >&2; exit 2 ;;
esac
