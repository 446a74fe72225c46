# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034
# Common settings of the ivshmem2-linux test bed scripts (sourced).

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
TB=$TOP/tools/testing/ivshmem
CACHE=${IVSHMEM_CACHE:-/var/cache/ivshmem2-linux}
BUILD=${IVSHMEM_BUILD:-$TOP/build}
KERNELS=${IVSHMEM_KERNELS:-6.1 6.12}
KTOOLS=$CACHE/linux-tools-6.12
export IVSHMEM_CACHE=$CACHE

# The kernel tree's own checkpatch settings for our C sources (style.md).
# Debian's codespell keeps its dictionary inside the Python package.
CODESPELL_DICT=/usr/lib/python3/dist-packages/codespell_lib/data/dictionary.txt
CHECKPATCH_KERNEL=(--no-tree --strict --max-line-length=80
		   --codespell --codespellfile "$CODESPELL_DICT")

# Kernel-style C sources: drivers, shared header, tools, selftests, bench.
kernel_sources() {
	(cd "$TOP" && find drivers include tools -name '*.[ch]' | sort)
}

# QEMU-style C sources: the device model, the server and their tests.
qemu_sources() {
	(cd "$TOP" && find qemu -name '*.[ch]' | sort)
}
