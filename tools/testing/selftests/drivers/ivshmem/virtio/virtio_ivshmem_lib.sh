#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Shared by the virtio_ivshmem tests: TAP output and polling. The test
# sets n=0 and rc=0 before its first check and exits with $rc.

# shellcheck disable=SC2034 # rc: read by the sourcing test

ok() { n=$((n + 1)); echo "ok $n $*"; }
fail() { n=$((n + 1)); echo "not ok $n $*"; rc=1; }
check() {	# check NAME CMD...
	name=$1
	shift
	if "$@"; then ok "$name"; else fail "$name"; fi
}

# wait_for, kernel_log_clean; from the parent directory of the test
# shellcheck source=../ivshmem_lib.sh
. "$(dirname "$0")/../ivshmem_lib.sh"

md5() { md5sum | cut -d' ' -f1; }

# dmesg_lacks PATTERN: no kernel log line matches PATTERN (grep basic
# regular expression); prints those that do as TAP comments
dmesg_lacks() {
	! dmesg | grep -e "$1" | sed 's/^/# /' | grep .
}

uptime_cs() {	# uptime in 1/100 s
	read -r up _ < /proc/uptime
	echo "${up%.*}${up#*.}"
}

# Block front-end (virtio_ivshmem plus virtio_blk)

fe_disk() {	# the disk of virtio_ivshmem (not of virtio-pci): vdX
	for d in /sys/block/vd*; do
		[ -e "$d/device" ] || continue
		p=$(readlink -f "$d/device")
		drv=$(readlink "${p%/*}/driver")
		[ "${drv##*/}" = virtio_ivshmem ] || continue
		echo "${d##*/}"
		return 0
	done
	return 1
}
disk_present() { fe_disk >/dev/null; }
no_disk() { ! disk_present; }
# virtio devices removed and registered so far; the back-end may come
# back before a poll of the disk sees it gone
removals() { dmesg | grep -c 'virtio_ivshmem .*virtio device removed'; }
removed_since() { [ "$(removals)" -gt "$1" ]; }
registrations() {
	cat /sys/bus/pci/drivers/virtio_ivshmem/*/virtio_ivshmem/registrations
}
registered_since() {
	[ "$(registrations)" -gt "$1" ] && disk_present
}
