# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# KUnit suites of the drivers, sourced by ../check-debug:
#   scenario NAME "VMTEST OPTIONS" "GUEST SCRIPT"
# The modules built against the debug kernel (CONFIG_KUNIT=y) carry the
# suites ivshmem-geometry (ivshmem_kunit.ko), ivshmem-net and
# virtio_ivshmem; they need no device, so one plain guest loads them and
# prints one TAP line per test case and parameter
# (tools/testing/selftests/drivers/ivshmem/kunit/).

scenario kunit "-n 1 -x -k debug -t 300 -U" \
	"cd /opt/ivshmem/tests/drivers/ivshmem/kunit && ./ivshmem_kunit.sh"
