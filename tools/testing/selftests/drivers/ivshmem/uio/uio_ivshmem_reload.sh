#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Module unload and reload, unbind and rebind while a process holds
# /dev/uioN open and mapped. Run it in two guests on one link: peer 0
# does the work, peer 1 watches peer 0's state in the state table (it must
# read 0 as soon as peer 0's device goes away). Prints TAP lines.

# shellcheck source=uio_ivshmem_lib.sh
. "$(dirname "$0")/uio_ivshmem_lib.sh"
HOLD=0x600d
BACK=0xbac
ms=60000

# peer_state PEER: state of PEER as this guest's device shows it
peer_state() {
	ivshmem list 2>/dev/null | tr ' ' '\n' | sed -n "s/^$1=//p"
}

# await PEER VALUE: wait up to $ms for PEER's state to read VALUE
await() {
	t=0
	while [ "$(peer_state "$1")" != "$2" ]; do
		[ $t -ge $ms ] && return 1
		sleep 0.1
		t=$((t + 100))
	done
}

if [ "${VMTEST_COUNT:-1}" -lt 2 ] || ! command -v ivshmem >/dev/null; then
	echo "SKIP: needs two guests (VMTEST_COUNT) and the ivshmem tool"
	exit $ksft_skip
fi
modprobe uio_ivshmem
if [ "$(uio_count)" = 0 ]; then
	echo "SKIP: no uio_ivshmem device"
	exit $ksft_skip
fi

# Peer 1 acknowledges each step by setting its own state (1..4).
if [ "$VMTEST_INDEX" != 0 ]; then
	ivshmem state -H 0x1 &
	hold=$!
	await 0 $HOLD
	tap $? "peer 0 holds its device (state $HOLD)"
	ivshmem state 0x2
	await 0 0x0
	tap $? "peer 0's unbind under use is seen as state 0"
	ivshmem state 0x3
	await 0 $BACK
	tap $? "peer 0's reloaded device works (state $BACK)"
	ivshmem state 0x4
	await 0 0x0
	tap $? "peer 0's last close is seen as state 0"
	kill $hold
	wait $hold
	exit $rc
fi

pci=$(basename "$(readlink /sys/class/uio/uio*/device | head -n 1)")
drv=/sys/bus/pci/drivers/uio_ivshmem
await 1 0x1
ivshmem state -H $HOLD &
hold=$!
await 0 $HOLD
tap $? "holder has /dev/uio open and mapped"
await 1 0x2

! rmmod uio_ivshmem 2>/dev/null && lsmod | grep -q '^uio_ivshmem '
tap $? "rmmod refused while /dev/uio is open"

echo "$pci" > "$drv/unbind"
[ "$(uio_count)" = 0 ] && kill -0 $hold && [ -z "$(ivshmem list 2>/dev/null)" ]
tap $? "unbind under use removes /dev/uio, holder survives"
kill $hold
wait $hold
kernel_log_clean
tap $? "holder exits after unbind, no oops"

echo "$pci" > "$drv/bind"
[ "$(uio_count)" = 1 ]
tap $? "rebind after unbind under use"
await 1 0x3
tap $? "peer saw the unbind"

i=0
ok=0
while [ $i -lt 3 ]; do
	ivshmem state -H 0x$((i + 10)) &
	h=$!
	await 0 0x$((i + 10)) || ok=1
	rmmod uio_ivshmem 2>/dev/null && ok=1
	kill $h
	wait $h
	rmmod uio_ivshmem || ok=1
	modprobe uio_ivshmem || ok=1
	[ "$(uio_count)" = 1 ] || ok=1
	[ "$(peer_state 0)" = 0x0 ] || ok=1
	i=$((i + 1))
done
kernel_log_clean
tap $((ok || $?)) "3 cycles: hold, rmmod refused, release, unload, reload"

ivshmem state -H $BACK &
hold=$!
await 0 $BACK
tap $? "reloaded device works (state $BACK)"
await 1 0x4
kill $hold
wait $hold
[ "$(peer_state 0)" = 0x0 ]
tap $? "last close resets the state"
exit $rc
