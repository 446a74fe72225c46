#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# make demo, ivshmem-net part: runs in each guest of a 2-guest link.

me=$VMTEST_INDEX
peer=$((1 - me))

modprobe ivshmem-net || exit 1
dev=
for d in /sys/class/net/*; do
	drv=$(readlink "$d/device/driver" 2>/dev/null) || continue
	[ "${drv##*/}" = ivshmem-net ] && dev=${d##*/}
done
[ -n "$dev" ] || { echo "no ivshmem-net interface"; exit 1; }
ip addr add 10.99.0.$((me + 1))/24 dev "$dev"
ip link set "$dev" up
echo "--- $VMTEST_NAME: $dev, waiting for carrier"
i=0
until [ "$(cat /sys/class/net/"$dev"/carrier 2>/dev/null)" = 1 ]; do
	i=$((i + 1))
	[ $i -gt 300 ] && { echo "no carrier"; exit 1; }
	sleep 0.1
done
ip -br link show "$dev"
ethtool -i "$dev"
ping -c 5 -i 0.2 10.99.0.$((peer + 1)) || exit 1
# stay until the peer has pinged us too
sleep 3
exit 0
