#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Side channel of the IVSHMEM tests (vmtest -N): a virtio-net link next to
# the IVSHMEM link, for tests that take the IVSHMEM link away or turn it
# hostile. Guest 0 (10.98.0.1) serves command lines with ctl_serve and
# answers "ok" to each; guest 1 (10.98.0.2) sends them with ctl. Sourced
# by net/ivshmem_net_lib.sh and uio/uio_ivshmem_lib.sh, which define
# wait_for.

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

# ctl_serve: answer "ok" to every command line; "SNAP NAME" saves the
# ethtool -S counters of $IF (when set) as /tmp/snap.NAME, any other line
# is appended to $CTL_LOG
ctl_serve() {
	cat > /tmp/ctl-handler <<-HANDLER
	#!/bin/sh
	read -r line
	case "\$line" in
	"SNAP "*) [ -n "${IF:-}" ] && ethtool -S "${IF:-}" > "/tmp/snap.\${line#SNAP }" ;;
	*) echo "\$line" >> $CTL_LOG ;;
	esac
	echo ok
	HANDLER
	chmod +x /tmp/ctl-handler
	: > $CTL_LOG
	nc -ll -p $CTL_PORT -e /tmp/ctl-handler &
	# shellcheck disable=SC2034 # for the caller to kill
	CTL_PID=$!
}

# ctl LINE: send one line to guest 0 over the side channel
ctl() {
	wait_for 60 sh -c "[ \"\$(echo '$*' | nc -w 10 $CTL_IP $CTL_PORT \
		2>/dev/null)\" = ok ]"
}
