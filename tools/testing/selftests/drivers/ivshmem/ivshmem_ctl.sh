#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Side channel of the IVSHMEM tests (vmtest -N): a virtio-net link next to
# the IVSHMEM link, for tests that take the IVSHMEM link away or turn it
# hostile. Guest 0 (10.98.0.1) serves command lines with ctl_serve and
# answers "ok" to each; guest 1 (10.98.0.2) sends them with ctl. Sourced
# by net/ivshmem_net_lib.sh and uio/uio_ivshmem_lib.sh as $CTL_LIB (an
# absolute path, the command handler sources it too); they define
# wait_for (ivshmem_lib.sh).

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

# ctl_snap IF: the state of a network interface as "name: value" lines,
# for snapshots: its ethtool -S counters, its carrier, and the packets
# its root qdisc sent, dropped and holds (iproute2's tc: busybox sh runs
# its own applets first, and busybox tc has no statistics)
ctl_snap() {
	ethtool -S "$1"
	echo "carrier: $(cat "/sys/class/net/$1/carrier" 2>/dev/null)"
	/usr/bin/tc -s qdisc show dev "$1" root 2>/dev/null | awk '
		$1 == "Sent" { sub(/,/, "", $7); print "qdisc_sent: " $4;
			       print "qdisc_dropped: " $7 }
		$1 == "backlog" { sub(/p$/, "", $3);
				  print "qdisc_backlog: " $3 }'
}

# ctl_serve: answer "ok" to every command line; "SNAP NAME" saves
# ctl_snap of $IF (when set) as /tmp/snap.NAME, any other line is
# appended to $CTL_LOG
ctl_serve() {
	cat > /tmp/ctl-handler <<-HANDLER
	#!/bin/sh
	. "$CTL_LIB"
	read -r line
	case "\$line" in
	"SNAP "*) [ -n "${IF:-}" ] && ctl_snap "${IF:-}" > "/tmp/snap.\${line#SNAP }" ;;
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

# ctl_within SECS LINE: send one line to guest 0 over the side channel,
# trying for up to SECS seconds (the first line may have to wait for
# guest 0 to boot: a debug kernel on a loaded host takes minutes)
ctl_within() {
	secs=$1
	shift
	wait_for "$secs" sh -c "[ \"\$(echo '$*' | nc -w 10 $CTL_IP $CTL_PORT \
		2>/dev/null)\" = ok ]"
}

# ctl LINE: send one line to guest 0 over the side channel
ctl() { ctl_within 60 "$@"; }
