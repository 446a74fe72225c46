#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Helpers of the ivshmem-net tests (sourced). Two guests on one link,
# guest $VMTEST_INDEX 0 is "A" (10.99.0.1), 1 is "B" (10.99.0.2). TAP lines
# are printed by tap_ok/tap_fail; the scripts exit non-zero on failure.

ksft_skip=4
IDX=${VMTEST_INDEX:-0}
MY_IP=10.99.0.$((IDX + 1))
PEER_IP=10.99.0.$((2 - IDX))
TAPN=0
FAILED=0
DRV=/sys/bus/pci/drivers/ivshmem-net

# busybox sh runs its own applets first; we want the real tools
ping() { /usr/bin/ping "$@"; }
ip() { /usr/bin/ip "$@"; }

log() { echo "# $*"; }

tap_ok() { TAPN=$((TAPN + 1)); echo "ok $TAPN $*"; }
tap_fail() { TAPN=$((TAPN + 1)); echo "not ok $TAPN $*"; FAILED=1; }
tap_skip() { TAPN=$((TAPN + 1)); echo "ok $TAPN $1 # SKIP $2"; }
tap() {	# tap NAME CMD...: one TAP line for the outcome of CMD
	local tap_name=$1

	shift
	if "$@"; then tap_ok "$tap_name"; else tap_fail "$tap_name"; fi
}

# The ivshmem-net interface (first one), empty if none
net_if() {
	for d in "$DRV"/*/net/*; do
		[ -e "$d" ] && { basename "$d"; return 0; }
	done
	return 1
}

carrier_is() { [ "$(cat "/sys/class/net/$IF/carrier" 2>/dev/null)" = "$1" ]; }
carrier_changes() { cat "/sys/class/net/$IF/carrier_changes"; }

# Load the driver and bring the interface up with this guest's address
net_load() {	# the driver and its interface, IF, still down
	modprobe ivshmem-net || return 1
	wait_for 10 net_if >/dev/null || return 1
	IF=$(net_if)
}
net_up() {
	ip addr add "$MY_IP/24" dev "$IF" || return 1
	ip link set "$IF" up
}
net_setup() { net_load && net_up; }

peer_reachable() { ping -c 1 -W 1 "$PEER_IP" >/dev/null 2>&1; }

# barrier N: both guests meet over the link (A listens, B connects)
barrier() {
	port=$((7000 + $1))
	if [ "$IDX" = 0 ]; then
		timeout 120 nc -l -p "$port" </dev/null >/dev/null
	else
		wait_for 120 sh -c "echo x | nc -w 2 $PEER_IP $port \
			>/dev/null 2>&1"
	fi
}

# ethtool -S counter NAME
stat() { ethtool -S "$IF" | awk -v n="$1:" '$1 == n { print $2 }'; }

# the helpers of all IVSHMEM tests (wait_for, kernel_log_clean) and the
# side channel (vmtest -N: ctl_up, ctl_serve, ctl); from the parent
# directory of the test, or IVSHMEM_TESTS for scripts elsewhere (bench)
IVSHMEM_LIB_DIR=$(cd "${IVSHMEM_TESTS:-$(dirname "$0")/..}" && pwd)
# shellcheck source=../ivshmem_lib.sh
. "$IVSHMEM_LIB_DIR/ivshmem_lib.sh"
CTL_LIB=$IVSHMEM_LIB_DIR/ivshmem_ctl.sh
# shellcheck source=../ivshmem_ctl.sh
. "$CTL_LIB"

# snap_val NAME COUNTER: a counter of snapshot NAME
snap_val() { awk -v n="$2:" '$1 == n { print $2 }' "/tmp/snap.$1"; }
