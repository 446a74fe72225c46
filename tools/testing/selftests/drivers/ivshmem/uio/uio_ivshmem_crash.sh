#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# uio_ivshmem peer crash loop, run by vmtest -R 1:CYCLES on a 2-guest link:
# vmtest kills guest 1 (SIGKILL of its QEMU) while the two exchange
# doorbells and boots it again, CYCLES times, while guest 0 keeps running.
# Each incarnation C of guest 1 announces C in its state and answers
# UIO_FAULT_ROUNDS (default 20) doorbell round trips, then goes on until
# it is killed (uio_ivshmem_peer exchange -A). Guest 0 holds its device
# all along and, per cycle (uio_ivshmem_peer exchange -w): rings the
# absent peer until it announces C, exchanges the round trips and sees the
# crash as state 0; over the loop, state changes must have raised vector
# 0.
# At the end the driver must unload and reload cleanly, with no interrupt
# left behind. Only the last incarnation and guest 0 print TAP lines.

# shellcheck source=uio_ivshmem_lib.sh
. "$(dirname "$0")/uio_ivshmem_lib.sh"
P=$(dirname "$0")/uio_ivshmem_peer
ROUNDS=${UIO_FAULT_ROUNDS:-20}
CYCLES=${VMTEST_RESPAWN#*:}

if [ -z "$VMTEST_RESPAWN" ] || [ "${VMTEST_RESPAWN%%:*}" != 1 ]; then
	echo "SKIP: needs vmtest -n 2 -R 1:CYCLES"
	exit $ksft_skip
fi
modprobe uio_ivshmem
if [ "$(uio_count)" = 0 ]; then
	echo "SKIP: no uio_ivshmem device"
	exit $ksft_skip
fi

if [ "$VMTEST_INDEX" != 0 ]; then
	c=$VMTEST_CYCLE
	if [ "$c" -lt "$CYCLES" ]; then
		"$P" exchange -c "$c" -k "$ROUNDS" -A
		echo "# cycle $c: the exchange ended (exit $?) before the kill"
		exit 1
	fi
	"$P" exchange -c "$c" -k "$ROUNDS"
	tap $? "uio_crash_last_incarnation_$c"
	kernel_log_clean
	tap $? "kernel log clean"
	exit $rc
fi

# interrupts of vector 0 (state changes) so far
v0() { od -An -t u8 -N 8 "$dev/vector_events" | tr -d ' '; }
find_dev
v0_start=$(v0)
c=0
t0=$(cut -d. -f1 /proc/uptime)
while [ "$c" -le "$CYCLES" ] && "$P" exchange -c "$c" -k "$ROUNDS" -w; do
	c=$((c + 1))
done
echo "# $((c > CYCLES ? CYCLES : c)) of $CYCLES crashes survived in $(($(cut \
	-d. -f1 /proc/uptime) - t0)) s"
[ "$c" -gt "$CYCLES" ]
tap $? "uio_crash_loop_${CYCLES}_cycles"
# the arrivals and crashes were state changes; in one-shot mode one that
# comes right after a doorbell may be dropped, but not all of them
[ "$(v0)" -gt "$v0_start" ]
tap $? "uio_crash_state_changes_interrupt ($(($(v0) - v0_start)) on vector 0)"

# nothing left behind: the module unloads, its interrupts are gone, and a
# reloaded driver works
rmmod uio_ivshmem && ! grep -q uio_ivshmem /proc/interrupts
tap $? "uio_crash_unload_frees_interrupts"
modprobe uio_ivshmem && [ "$(uio_count)" = 1 ] && ivshmem state 0x600d
tap $? "uio_crash_reload_works"
kernel_log_clean
tap $? "kernel log clean"
exit $rc
