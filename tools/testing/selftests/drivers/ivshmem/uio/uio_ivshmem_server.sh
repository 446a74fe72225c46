#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# uio_ivshmem while the interconnect server is restarted, run by
# vmtest -n 2 -R 1:1. SERVER_SIGNAL (TERM or KILL, default KILL) is how the
# server dies. The behaviour checked is the one documented in
# Documentation/dev-tools/ivshmem/server.rst:
#
#   1. after guest 0 had vmtest kill the server and start a new one, the
#      two guests still exchange doorbells and see each other's states,
#      also the reset to 0 when the other closes its device
#   2. vmtest kills guest 1: with no server to clear its state, guest 0
#      keeps seeing the last state guest 1 set
#   3. guest 1 boots again and connects to the new server: it is peer 0 of
#      a new link, the state of peer 1 reads 0
#   4. guest 0's driver unloads and reloads cleanly
#
# vmtest handles the restart request within a second; guest 0 waits 20 s
# before it relies on it having happened.

# shellcheck source=uio_ivshmem_lib.sh
. "$(dirname "$0")/uio_ivshmem_lib.sh"
P=$(dirname "$0")/uio_ivshmem_peer
SIG=${SERVER_SIGNAL:-KILL}
LAST=0xdead

if [ "$VMTEST_RESPAWN" != 1:1 ]; then
	echo "SKIP: needs vmtest -n 2 -R 1:1"
	exit $ksft_skip
fi
modprobe uio_ivshmem
if [ "$(uio_count)" = 0 ]; then
	echo "SKIP: no uio_ivshmem device"
	exit $ksft_skip
fi

# peer_state PEER: state of PEER as this guest's device shows it
peer_state() {
	ivshmem list 2>/dev/null | tr ' ' '\n' | sed -n "s/^$1=//p"
}
state_is() { [ "$(peer_state "$1")" = "$2" ]; }

if [ "$VMTEST_INDEX" = 0 ]; then
	"$P" exchange -c 0 -k 20
	tap $? "uio_server_exchange_before_the_restart"
	echo "VMTEST-SERVER-RESTART $SIG"
	sleep 20
	"$P" exchange -c 1 -k 20 -w
	tap $? "uio_server_${SIG}_exchange_after_the_restart_and_close_seen"
	# guest 1 sets $LAST and is killed
	wait_for 300 state_is 1 $LAST
	tap $? "uio_server_peer_state_seen"
	sleep 30
	state_is 1 $LAST
	tap $? "uio_server_dead_peer_not_seen (state stays $LAST)"
	rmmod uio_ivshmem && modprobe uio_ivshmem && [ "$(uio_count)" = 1 ]
	tap $? "uio_server_driver_reloads"
elif [ "$VMTEST_CYCLE" = 0 ]; then
	"$P" exchange -c 0 -k 20 || exit 1
	"$P" exchange -c 1 -k 20 || exit 1
	# until guest 0 saw us close (its exchange ends, its state is 0)
	wait_for 300 state_is 0 0x0
	ivshmem state -H $LAST &
	wait_for 60 state_is 1 $LAST
	echo VMTEST-RESPAWN-ARM
	while :; do sleep 60; done
else
	[ "$(cat /sys/class/uio/uio0/device/id)" = 0 ] && state_is 1 0x0
	tap $? "uio_server_new_guest_is_peer_0_of_a_new_link"
fi
kernel_log_clean
tap $? "kernel log clean"
exit $rc
