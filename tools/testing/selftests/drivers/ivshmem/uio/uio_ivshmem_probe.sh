#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# uio_ivshmem_probe.sh NAME REGEX: the IVSHMEM v2 device of this guest
# presents a geometry that uio_ivshmem must refuse (the test bed's device
# model shows one through its x-* properties). Loads the driver, binds it
# through driver_override if the protocol does not match, and checks that
# probe failed: no UIO device, a dev_err line naming the problem (REGEX,
# extended) and no kernel oops or warning. Prints TAP lines.

# shellcheck source=uio_ivshmem_lib.sh
. "$(dirname "$0")/uio_ivshmem_lib.sh"
name=$1
regex=$2

find_dev
if [ -z "$dev" ] || [ -z "$name" ] || [ -z "$regex" ]; then
	echo "SKIP: no IVSHMEM v2 device, or usage: $0 NAME REGEX"
	exit $ksft_skip
fi

modprobe uio_ivshmem
if ! dmesg | grep -q "uio_ivshmem $pci: "; then
	echo uio_ivshmem > "$dev/driver_override"
	echo "$pci" > /sys/bus/pci/drivers_probe 2>/dev/null
fi

uios=$(echo /sys/class/uio/uio*)
[ ! -e "$dev/driver" ] && [ ! -e "${uios%% *}" ]
tap $? "probe_$name: refused, no /dev/uio"
msg=$(dmesg | grep "uio_ivshmem $pci: " | grep -E -- "$regex")
[ -n "$msg" ]
tap $? "probe_$name: dev_err names the problem"
echo "# ${msg:-no message matching \"$regex\"; uio_ivshmem said:}"
[ -n "$msg" ] || dmesg | grep uio_ivshmem | sed 's/^/# /'
kernel_log_clean
tap $? "probe_$name: no oops"
rmmod uio_ivshmem
tap $? "probe_$name: module unloads"
echo > "$dev/driver_override"
exit $rc
