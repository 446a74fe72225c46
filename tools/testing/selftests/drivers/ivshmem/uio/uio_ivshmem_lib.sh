#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck disable=SC2034 # variables for the scripts that source this
#
# Helpers of the uio_ivshmem shell tests (sourced): TAP output, the
# IVSHMEM v2 device in sysfs, and the number of UIO devices.

ksft_skip=4
n=0
rc=0

tap() {	# tap RESULT DESCRIPTION: one TAP line, rc=1 on failure
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n $2"
	else
		echo "not ok $n $2"
		rc=1
	fi
}

uio_count() {
	c=0
	for u in /sys/class/uio/uio*; do
		[ -e "$u" ] && c=$((c + 1))
	done
	echo $c
}

# find_dev: dev = sysfs directory of the first IVSHMEM v2 device, pci = its
# address; both empty if there is none
find_dev() {
	dev=
	for d in /sys/bus/pci/devices/*; do
		if [ "$(cat "$d/vendor")" = 0x110a ] &&
		   [ "$(cat "$d/device")" = 0x4106 ]; then
			dev=$d
			break
		fi
	done
	pci=${dev##*/}
}

# wait_for SECS CMD...: poll CMD every 0.2 s
wait_for() {
	t=$(($1 * 5))
	shift
	while [ "$t" -gt 0 ]; do
		"$@" && return 0
		sleep 0.2
		t=$((t - 1))
	done
	return 1
}

# No kernel problem printed since boot (an RCU stall of a starved guest
# prints a trace too, but is no problem of ours)
oopsless() {
	! dmesg | grep -q -E 'BUG:|WARNING:|Oops|general protection|KASAN:|UBSAN:|inconsistent lock state|possible (circular|recursive) locking'
}

# Side channel (vmtest -N): a virtio-net link next to the IVSHMEM link.
# Guest 0 (10.98.0.1) appends every command line it gets to $CTL_LOG,
# guest 1 (10.98.0.2) sends them with ctl.
CTL_IP=10.98.0.1
CTL_PORT=7300
CTL_LOG=/tmp/ctl

ctl_if() {
	for d in /sys/class/net/*; do
		case $(readlink "$d/device/driver") in
		*/virtio_net) basename "$d"; return 0 ;;
		esac
	done
	return 1
}

ctl_up() {
	modprobe virtio_pci 2>/dev/null
	modprobe virtio_net 2>/dev/null
	wait_for 20 ctl_if >/dev/null || return 1
	ip addr add "10.98.0.$((${VMTEST_INDEX:-0} + 1))/24" dev "$(ctl_if)" &&
		ip link set "$(ctl_if)" up
}

ctl_serve() {
	# shellcheck disable=SC2016 # expanded by the handler
	printf '#!/bin/sh\nread -r line\necho "$line" >> %s\necho ok\n' \
		$CTL_LOG > /tmp/ctl-handler
	chmod +x /tmp/ctl-handler
	: > $CTL_LOG
	nc -ll -p $CTL_PORT -e /tmp/ctl-handler &
	CTL_PID=$!
}

# ctl LINE: send one line to guest 0 over the side channel
ctl() {
	wait_for 60 sh -c "[ \"\$(echo '$*' | nc -w 10 $CTL_IP $CTL_PORT \
		2>/dev/null)\" = ok ]"
}
