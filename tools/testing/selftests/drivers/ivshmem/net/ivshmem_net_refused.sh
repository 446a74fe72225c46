#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# ivshmem-net must refuse a protocol 0001h device on a link that does not
# have exactly two peers, with a message saying why.

cd "$(dirname "$0")" || exit 1
. ./ivshmem_net_lib.sh

found=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor")" = 0x110a ] &&
		[ "$(cat "$d/class")" = 0xff0001 ] && found=$(basename "$d")
done
[ -n "$found" ] || { echo "SKIP: no protocol 0001h device"; exit $ksft_skip; }

modprobe ivshmem-net
sleep 1
tap "refused: no interface on a link of more than 2 peers" \
	sh -c "! ls $DRV/$found >/dev/null 2>&1"
tap "refused: kernel says why" sh -c \
	"dmesg | grep -q 'link has [0-9]* peers, ivshmem-net needs exactly 2'"
tap "refused: module unloads" rmmod ivshmem-net
tap "kernel log clean" kernel_log_clean
exit $FAILED
