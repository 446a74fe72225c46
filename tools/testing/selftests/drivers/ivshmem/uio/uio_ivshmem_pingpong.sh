#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Doorbell round trips between two guests on one link, each bound to
# uio_ivshmem: run it on both (the peer with ID 0 initiates). Skips unless
# the runner says there are at least two guests (VMTEST_COUNT) or
# IVSHMEM_PEERS is set, because without a peer it could only time out.

ksft_skip=4
count=${PINGPONG_COUNT:-200}
[ -n "$KSFT_MACHINE_SLOW" ] && count=${PINGPONG_COUNT:-50}

if [ "${VMTEST_COUNT:-${IVSHMEM_PEERS:-1}}" -lt 2 ]; then
	echo "SKIP: needs a second peer (VMTEST_COUNT or IVSHMEM_PEERS >= 2)"
	exit $ksft_skip
fi
if ! command -v ivshmem >/dev/null 2>&1; then
	echo "SKIP: ivshmem tool not in PATH"
	exit $ksft_skip
fi
if ! ivshmem list 2>/dev/null | grep -q uio; then
	echo "SKIP: no uio_ivshmem device"
	exit $ksft_skip
fi

# vector 0 and, if there is one, the last vector
vectors=$(cat /sys/class/uio/uio*/device/vectors 2>/dev/null | head -n 1)
rc=0
n=0
for v in 0 $((${vectors:-1} - 1)); do
	n=$((n + 1))
	if ivshmem pingpong -n "$count" -v "$v"; then
		echo "ok $n pingpong on vector $v"
	else
		echo "not ok $n pingpong on vector $v"
		rc=1
	fi
	[ "${vectors:-1}" -gt 1 ] || break
done
exit $rc
