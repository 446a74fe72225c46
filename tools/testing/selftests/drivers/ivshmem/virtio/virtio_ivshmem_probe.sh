#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# virtio_ivshmem_probe.sh NAME REGEX: the IVSHMEM v2 device of this guest
# presents something virtio_ivshmem must refuse (a geometry shown through
# the device model's x-* properties, or a protocol that is no virtio
# front-end, which is bound through driver_override). Loads the driver and
# checks that probe failed and left nothing: no driver bound, no virtio
# device, one dev_err line of the driver for the device, matching REGEX
# (extended), no kernel oops or warning, and the module unloads with no
# interrupt left. With REGEX "-" the device must bind (a control).
# Prints TAP lines.

ksft_skip=4
name=$1
regex=$2
n=0
rc=0

tap() {	# tap RESULT DESCRIPTION
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n $2"
	else
		echo "not ok $n $2"
		rc=1
	fi
}

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

modprobe virtio_ivshmem
# not a front-end protocol: bind it by hand
if [ ! -e "$dev/driver" ] && ! dmesg | grep -q "virtio_ivshmem $pci: "; then
	echo virtio_ivshmem > "$dev/driver_override"
	echo "$pci" > /sys/bus/pci/drivers_probe 2>/dev/null
fi
# the driver core's own line about the failed probe (6.12) is not ours
msg=$(dmesg | grep "virtio_ivshmem $pci: " | grep -v "probe with driver")
echo "# ${msg:-virtio_ivshmem said nothing about $pci}"
if [ "$regex" = - ]; then
	[ "$(basename "$(readlink "$dev/driver")")" = virtio_ivshmem ]
	tap $? "virtio_probe_$name: valid geometry binds"
	echo "$msg" | grep -q -i -E 'expected|cannot|error|not a'
	tap $((!$?)) "virtio_probe_$name: no error"
else
	[ ! -e "$dev/driver" ] && ! ls -d "$dev"/virtio* >/dev/null 2>&1
	tap $? "virtio_probe_$name: refused, no virtio device"
	lines=$(echo "$msg" | grep -c .)
	echo "$msg" | grep -q -E -- "$regex" && [ "$lines" = 1 ]
	tap $? "virtio_probe_$name: one dev_err names the problem"
fi
! dmesg | grep -q -E 'BUG:|WARNING:|Oops|general protection|KASAN:|UBSAN:'
tap $? "virtio_probe_$name: no oops"
echo > "$dev/driver_override"
rmmod virtio_ivshmem && ! grep -q virtio_ivshmem /proc/interrupts
tap $? "virtio_probe_$name: unloads, no interrupt left"
exit $rc
