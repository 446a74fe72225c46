#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck disable=SC2034 # variables for the scripts that source this
#
# Helpers of the uio_ivshmem shell tests (sourced): TAP output, the
# IVSHMEM v2 device in sysfs, and the number of UIO devices.

ksft_skip=4
n=0
rc=0

tap() {	# tap RESULT DESCRIPTION: one TAP line, rc=1 on failure
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n $2"
	else
		echo "not ok $n $2"
		rc=1
	fi
}

uio_count() {
	c=0
	for u in /sys/class/uio/uio*; do
		[ -e "$u" ] && c=$((c + 1))
	done
	echo $c
}

# find_dev: dev = sysfs directory of the first IVSHMEM v2 device, pci = its
# address; both empty if there is none
find_dev() {
	dev=
	for d in /sys/bus/pci/devices/*; do
		if [ "$(cat "$d/vendor")" = 0x110a ] &&
		   [ "$(cat "$d/device")" = 0x4106 ]; then
			dev=$d
			break
		fi
	done
	pci=${dev##*/}
}

# the helpers of all IVSHMEM tests (wait_for, kernel_log_clean) and the
# side channel (vmtest -N: ctl_up, ctl_serve, ctl); from the parent
# directory of the test, or IVSHMEM_TESTS for scripts elsewhere (bench)
IVSHMEM_LIB_DIR=$(cd "${IVSHMEM_TESTS:-$(dirname "$0")/..}" && pwd)
# shellcheck source=../ivshmem_lib.sh
. "$IVSHMEM_LIB_DIR/ivshmem_lib.sh"
CTL_LIB=$IVSHMEM_LIB_DIR/ivshmem_ctl.sh
# shellcheck source=../ivshmem_ctl.sh
. "$CTL_LIB"

