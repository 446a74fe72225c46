#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# make demo, uio part: runs in each guest of a 2-guest link.

me=$VMTEST_INDEX
peer=$((1 - me))

modprobe uio_ivshmem || exit 1
echo "--- $VMTEST_NAME (Linux $(uname -r)): the device as uio_ivshmem sees it"
ivshmem list || exit 1

state=$((0x100 + me))
echo "--- $VMTEST_NAME sets its state to $(printf '%#x' $state)"
ivshmem state -H $state &
holder=$!

# Wait until the peer's state shows up in our (read-only) state table.
want=$(printf '%08x' $((0x100 + peer)))
i=0
while :; do
	seen=$(ivshmem dump state_table $((4 * peer)) 4 |
	       awk '{ printf "%s%s%s%s", $5, $4, $3, $2; exit }')
	[ "$seen" = "$want" ] && break
	i=$((i + 1))
	if [ $i -gt 300 ]; then
		echo "peer state never arrived (last seen $seen)"
		exit 1
	fi
	sleep 0.1
done
echo "--- $VMTEST_NAME sees peer $peer in state 0x$seen"
ivshmem list

echo "--- doorbell ping-pong between the two guests (vector 1)"
ivshmem pingpong -n 200 -v 1 || exit 1

kill "$holder"
wait "$holder" 2>/dev/null
exit 0
