#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# ivshmem_net_probe.sh NAME REGEX: the IVSHMEM v2 device of this guest
# presents a geometry that ivshmem-net must refuse (the test bed's device
# model shows one through its x-* properties). Loads the driver and checks
# that probe failed and left nothing: no driver bound, no interface, one
# dev_err line of the driver for the device, matching REGEX (extended), no
# kernel oops or warning, and the module unloads with no interrupt left.
# With REGEX "-" the geometry is valid and must bind (a control).
# Prints TAP lines.

cd "$(dirname "$0")" || exit 1
. ./ivshmem_net_lib.sh
name=$1
regex=$2

dev=
for d in /sys/bus/pci/devices/*; do
	if [ "$(cat "$d/vendor")" = 0x110a ] &&
	   [ "$(cat "$d/device")" = 0x4106 ]; then
		dev=$d
		break
	fi
done
pci=${dev##*/}
if [ -z "$dev" ] || [ -z "$name" ] || [ -z "$regex" ]; then
	echo "SKIP: no IVSHMEM v2 device, or usage: $0 NAME REGEX"
	exit $ksft_skip
fi

modprobe ivshmem-net
if [ "$regex" = - ]; then
	tap "net_probe_$name: valid geometry binds" wait_for 10 net_if
	dmesg | grep "ivshmem-net $pci: " | grep -q -i -E 'expected|cannot|error'
	tap "net_probe_$name: no error" test $? = 1
else
	tap "net_probe_$name: refused, no interface" sh -c \
		"[ ! -e $dev/driver ] && ! ls $DRV/*/net >/dev/null 2>&1"
	# the driver core's own line about the failed probe (6.12) is not ours
	msg=$(dmesg | grep "ivshmem-net $pci: " | grep -v "probe with driver")
	log "${msg:-ivshmem-net said nothing about $pci}"
	lines=$(echo "$msg" | grep -c .)
	echo "$msg" | grep -q -E -- "$regex"
	tap "net_probe_$name: one dev_err names the problem" \
		test $? = 0 -a "$lines" = 1
fi
tap "net_probe_$name: no oops" kernel_log_clean
tap "net_probe_$name: unloads, no interrupt left" sh -c \
	"rmmod ivshmem-net && ! grep -q ivshmem-net /proc/interrupts"
exit $FAILED
