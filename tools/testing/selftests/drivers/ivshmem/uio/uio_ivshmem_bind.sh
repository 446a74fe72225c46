#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# uio_ivshmem_bind.sh bind|nobind: protocol matching and sysfs binding.
# "bind": the device's protocol (undefined 0000h, user-defined
# 4000h-7FFFh, virtio back-end C000h-FFFFh) must bind when the module loads
# and must be in the module's aliases. "nobind": any other protocol must
# not bind, but driver_override must. Then unbind and rebind through sysfs.
# Prints TAP lines.

# shellcheck source=uio_ivshmem_lib.sh
. "$(dirname "$0")/uio_ivshmem_lib.sh"
want=$1

bound() {
	[ "$(basename "$(readlink "$dev/driver" 2>/dev/null)")" = uio_ivshmem ] &&
		[ "$(uio_count)" -ge 1 ]
}

find_dev
if [ -z "$dev" ] || { [ "$want" != bind ] && [ "$want" != nobind ]; }; then
	echo "SKIP: no IVSHMEM v2 device, or usage: $0 bind|nobind"
	exit $ksft_skip
fi
proto=$(printf '0x%04x' $(($(cat "$dev/class") & 0xffff)))
drv=/sys/bus/pci/drivers/uio_ivshmem

# autoloading through the modalias, as udev would do it
rmmod uio_ivshmem 2>/dev/null
modprobe "$(cat "$dev/modalias")" 2>/dev/null
if [ "$want" = bind ]; then
	bound
	tap $? "protocol $proto: alias loads uio_ivshmem and binds"
else
	! lsmod | grep -q '^uio_ivshmem '
	tap $? "protocol $proto: alias does not load uio_ivshmem"
fi

modprobe uio_ivshmem
if [ "$want" = bind ]; then
	bound
	tap $? "protocol $proto: binds"
else
	! bound
	tap $? "protocol $proto: does not bind"
	# the protocol's own driver (virtio_ivshmem for 8000h-BFFFh) may
	# hold the device: override means taking it from that driver
	if [ -e "$dev/driver" ]; then
		echo "$pci" > "$dev/driver/unbind"
	fi
	echo uio_ivshmem > "$dev/driver_override"
	echo "$pci" > /sys/bus/pci/drivers_probe
	bound
	tap $? "protocol $proto: driver_override binds"
fi

echo "$pci" > "$drv/unbind"
[ "$(uio_count)" = 0 ] && [ ! -e "$dev/driver" ]
tap $? "unbind removes /dev/uio"
echo "$pci" > "$drv/bind"
bound && ivshmem state 0 && ivshmem list | grep -q "$pci"
tap $? "rebind brings it back"
echo > "$dev/driver_override"
exit $rc
