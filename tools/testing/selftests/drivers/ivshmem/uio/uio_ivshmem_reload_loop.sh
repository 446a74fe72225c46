#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# uio_ivshmem module reload loop under traffic, on both ends of a 2-guest
# link. Guest 0 loads uio_ivshmem, exchanges UIO_FAULT_ROUNDS (default 10)
# doorbell round trips with guest 1 (uio_ivshmem_peer exchange), closes
# the device and unloads the module, IVSHMEM_RELOAD_CYCLES times (default
# 50). Guest 1 keeps its device open all along, rings guest 0 whenever
# it waits for it, so that every load and unload happens under incoming
# doorbells, and sees each unload as state 0 (exchange -w). Then the
# roles swap. At the end both unload the module: no interrupt and no UIO
# device may be left.

# shellcheck source=uio_ivshmem_lib.sh
. "$(dirname "$0")/uio_ivshmem_lib.sh"
P=$(dirname "$0")/uio_ivshmem_peer
ROUNDS=${UIO_FAULT_ROUNDS:-10}
N=${IVSHMEM_RELOAD_CYCLES:-50}

if [ "${VMTEST_COUNT:-1}" -lt 2 ]; then
	echo "SKIP: needs two guests"
	exit $ksft_skip
fi
modprobe uio_ivshmem
if [ "$(uio_count)" = 0 ]; then
	echo "SKIP: no uio_ivshmem device"
	exit $ksft_skip
fi

# reloader FIRST: cycles FIRST..FIRST+N-1 with a reload each
reloader() {
	c=$1
	t0=$(cut -d. -f1 /proc/uptime)
	while [ "$c" -lt $(($1 + N)) ]; do
		if ! modprobe uio_ivshmem ||
		   ! wait_for 10 test "$(uio_count)" = 1 ||
		   ! "$P" exchange -c "$c" -k "$ROUNDS" ||
		   ! rmmod uio_ivshmem; then
			break
		fi
		c=$((c + 1))
	done
	echo "# $((c - $1)) reloads in $(($(cut -d. -f1 /proc/uptime) - t0)) s"
	modprobe uio_ivshmem
	[ "$c" = $(($1 + N)) ]
	tap $? "uio_reload_${N}_cycles_$VMTEST_NAME"
}

# stayer FIRST: the other end of the same cycles
stayer() {
	c=$1
	while [ "$c" -lt $(($1 + N)) ] &&
	      "$P" exchange -c "$c" -k "$ROUNDS" -w >/tmp/stayer; do
		c=$((c + 1))
	done
	tail -n 1 /tmp/stayer
	[ "$c" = $(($1 + N)) ]
	tap $? "uio_reload_${VMTEST_NAME}_saw_${N}_peer_reloads"
}

for phase in 0 1; do
	if [ "$VMTEST_INDEX" = $phase ]; then
		reloader $((phase * N))
	else
		stayer $((phase * N))
	fi
done

# a last exchange, so that neither unloads while the other still works
"$P" exchange -c $((2 * N)) -k "$ROUNDS"
tap $? "uio_reload_final_exchange"
rmmod uio_ivshmem && [ "$(uio_count)" = 0 ] &&
	! grep -q uio_ivshmem /proc/interrupts
tap $? "uio_reload_unload_leaves_nothing"
kernel_log_clean
tap $? "kernel log clean"
exit $rc
