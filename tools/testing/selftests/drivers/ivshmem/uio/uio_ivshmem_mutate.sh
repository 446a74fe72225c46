#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# uio_ivshmem against a hostile peer at scale. Two guests on one link with
# a side channel (vmtest -N), both bound to uio_ivshmem. Guest 1 runs
# uio_ivshmem_peer hostile: IVSHMEM_MUTATIONS (default 100000) seeded
# (IVSHMEM_SEED, default 1) doorbells on every vector and beyond the last
# one, to every peer ID and beyond, state values and writes to its output
# and R/W sections; every 2000 of them it behaves and needs 20 round trips
# with guest 0. Guest 0 runs uio_ivshmem_peer victim, which echoes what it
# sees and counts its interrupts. Guest 0 then checks that every vector
# got interrupts and none got more than guest 1 sent it (doorbells beyond
# the last vector are dropped, state changes count on vector 0), and both
# exchange doorbells normally again.

# shellcheck source=uio_ivshmem_lib.sh
. "$(dirname "$0")/uio_ivshmem_lib.sh"
P=$(dirname "$0")/uio_ivshmem_peer
N=${IVSHMEM_MUTATIONS:-100000}
SEED=${IVSHMEM_SEED:-1}

if [ "${VMTEST_COUNT:-1}" -lt 2 ]; then
	echo "SKIP: needs two guests"
	exit $ksft_skip
fi
modprobe uio_ivshmem
if [ "$(uio_count)" = 0 ] || ! ctl_up; then
	echo "SKIP: no uio_ivshmem device or no side channel (vmtest -N)"
	exit $ksft_skip
fi

# val LINE KEY: the value of KEY=VALUE in LINE
val() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

if [ "$VMTEST_INDEX" = 0 ]; then
	ctl_serve
	"$P" -t 7200 victim > /tmp/victim
	tap $? "uio_hostile_victim_runs_to_the_end"
	cat /tmp/victim
	wait_for 600 grep -q '^MUTATIONS ' $CTL_LOG
	events=$(grep '^EVENTS ' /tmp/victim)
	sent=$(grep '^SENT ' $CTL_LOG)
	muts=$(sed -n "s/^MUTATIONS //p" $CTL_LOG)
	[ "${muts:-0}" -ge "$N" ]
	tap $? "uio_hostile_${N}_mutations (${muts:-none}, seed $SEED)"
	v=0
	while [ "$v" -lt "$(cat /sys/class/uio/uio*/device/vectors)" ]; do
		e=$(val "$events" v$v)
		s=$(val "$sent" v$v)
		[ $v = 0 ] && s=$((s + $(val "$sent" states)))
		[ "${e:-0}" -gt 0 ] && [ "$e" -le "${s:-0}" ]
		tap $? "uio_hostile_vector_${v}_accounted ($e interrupts, $s sent)"
		v=$((v + 1))
	done
	"$P" exchange -c 1 -k 50 -w
	tap $? "uio_hostile_traffic_after_the_peer_resets"
	kill "$CTL_PID"
else
	"$P" hostile -s "$SEED" -n "$N" > /tmp/hostile
	tap $? "uio_hostile_peer_gets_through_every_epoch"
	cat /tmp/hostile
	ctl "$(grep '^SENT ' /tmp/hostile)"
	ctl "$(grep '^MUTATIONS ' /tmp/hostile)"
	"$P" exchange -c 1 -k 50
	tap $? "uio_hostile_peer_behaves_again"
fi
kernel_log_clean
tap $? "kernel log clean"
exit $rc
