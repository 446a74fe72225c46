#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash source-path=SCRIPTDIR
#
# Guest side of tools/testing/ivshmem/bench/profile, run by busybox sh in
# both guests from /opt/ivshmem/extra/. Guest 0 drives the workloads over
# ivshmem-net and virtio-net (vmtest -P 1 -N); both guests sample
# themselves with perf (cpu-clock, software: TCG has no PMU) during every
# workload and print, per guest and workload:
#
#   PROFC WORKLOAD COUNTER DELTA      packets, ethtool -S counters
#                                     (ivshmem-net notifications, virtio
#                                     kicks), interrupts, softirqs,
#                                     CPU jiffies over the workload
#   PROFS WORKLOAD PCT SYMBOL         flat profile (self time)
#   PROFG WORKLOAD TEXT               call chains of the hottest symbols
#   PROFW WORKLOAD TEXT               what the workload printed
#
# Parameters (/opt/ivshmem/extra/params): PROF_T (seconds per stream
# workload), PROF_PINGS, PROF_RRS, PROF_PATHS, PROF_LOADS, PROF_FREQ (Hz),
# PROF_MTU (of ivshmem-net), PROF_TOP (symbols per table), PROF_TIMEOUT.

EXTRA=/opt/ivshmem/extra
PATH=$EXTRA:$PATH
# shellcheck source=/dev/null
. "$EXTRA/params"
IVSHMEM_TESTS=/opt/ivshmem/tests/drivers/ivshmem
NETLIB=$IVSHMEM_TESTS/net/ivshmem_net_lib.sh
# shellcheck source=../../selftests/drivers/ivshmem/net/ivshmem_net_lib.sh
. "$NETLIB"

V_MY_IP=10.98.0.$((IDX + 1))
V_PEER_IP=10.98.0.$((2 - IDX))
CTL_PORT=7100
RR_PORT=7201
PERF_DIR=$EXTRA/perf

perf() {
	LD_LIBRARY_PATH=$PERF_DIR/lib "$PERF_DIR/perf" "$@"
}

virtio_if() {
	for d in /sys/class/net/*; do
		case "$(readlink "$d/device/driver" 2>/dev/null)" in
		*/virtio_net) basename "$d"; return 0 ;;
		esac
	done
	return 1
}

# counters: "NAME VALUE" lines of everything the deltas are taken of
counters() {
	local d

	for d in /sys/class/net/*; do
		d=${d##*/}
		[ "$d" = lo ] && continue
		for c in rx_packets tx_packets rx_bytes tx_bytes; do
			echo "$d.$c $(cat "/sys/class/net/$d/statistics/$c")"
		done
		# ivshmem-net: notifications; virtio-net: kicks
		ethtool -S "$d" 2>/dev/null |
			awk -v i="$d" 'NF == 2 && $1 ~ /:$/ {
				sub(/:$/, "", $1); print i ".S." $1, $2 }'
	done
	# every interrupt line; the name is the last field
	awk 'NR > 1 && $2 ~ /^[0-9]+$/ { n = 0
		for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) n += $i
		sub(/:$/, "", $1)
		print "irq." ($1 ~ /^[0-9]+$/ ? $NF : $1), n }' /proc/interrupts
	awk 'NR > 1 { n = 0; for (i = 2; i <= NF; i++) n += $i
		sub(/:$/, "", $1); print "softirq." $1, n }' /proc/softirqs
	# TCP and UDP MIB: checksum errors, UDP receive buffer overruns
	awk '$1 ~ /^(Tcp|Udp):$/ { if (!h[$1]++) for (i = 2; i <= NF; i++)
			n[$1, i] = $i
		else for (i = 2; i <= NF; i++)
			print "snmp." substr($1, 1, 3) "." n[$1, i], $i }' \
		/proc/net/snmp
	awk '$1 == "cpu" { t = 0; for (i = 2; i <= NF; i++) t += $i
		print "cpu.busy", t - $5 - $6; print "cpu.total", t; exit }' \
		/proc/stat
}

# start NAME: counters and perf for one workload
start() {
	mkfifo "/tmp/$1.fifo"
	# Runs until halt() writes to the FIFO (a signal would not do:
	# background jobs of a script ignore SIGINT). perf starts that
	# command once it samples, which takes seconds under TCG.
	perf record -a -g -e cpu-clock -c $((1000000000 / PROF_FREQ)) \
		-o "/tmp/$1.data" \
		-- sh -c "touch /tmp/$1.on; read -r _ <'/tmp/$1.fifo'" \
		</dev/null >"/tmp/$1.perflog" 2>&1 &
	echo $! >"/tmp/$1.pid"
	wait_for 120 test -e "/tmp/$1.on"
	counters >"/tmp/$1.before"
}

# halt NAME: stop perf and take the counters
halt() {
	local pid

	pid=$(cat "/tmp/$1.pid")
	counters >"/tmp/$1.after"
	echo >"/tmp/$1.fifo"
	wait_for 60 sh -c "! kill -0 $pid 2>/dev/null"
}

# report NAME: print deltas and profiles
report() {
	awk -v w="$1" 'NR == FNR { b[$1] = $2; next }
		($1 in b) && $2 - b[$1] != 0 {
			print "PROFC " w, $1, $2 - b[$1] }' \
		"/tmp/$1.before" "/tmp/$1.after"
	grep -a -E 'samples|lost' "/tmp/$1.perflog" | sed "s/^/PROFW $1 perf: /"
	perf report -i "/tmp/$1.data" --stdio --no-children --sort sym \
		-g none --percent-limit 0.05 2>/dev/null |
		awk -v w="$1" -v n="$PROF_TOP" '/^ *[0-9.]+%/ && c < n {
			c++; print "PROFS " w, $1, $3 }'
	# who calls the hottest symbols
	perf report -i "/tmp/$1.data" --stdio --no-children --sort sym \
		-g graph,1,callee --max-stack 10 --percent-limit 1 2>/dev/null |
		awk -v w="$1" 'NF && !/^#/ { print "PROFG " w, $0 }'
	rm -f "/tmp/$1.data"
}

stop() {
	halt "$1"
	report "$1"
}

# ---------------------------------------------------------------- serving
# remote: one command from guest 0 (nc -ll -e). perf runs from the main
# loop of serve(), not from here: it would inherit the connection.
remote() {
	local cmd a

	read -r cmd a || return 0
	case "$cmd" in
	start|stop)
		echo "$a" >"/tmp/req.$cmd.tmp"
		mv "/tmp/req.$cmd.tmp" "/tmp/req.$cmd"
		wait_for 120 sh -c "! test -e /tmp/req.$cmd" && echo ok
		;;
	quit) touch /tmp/prof-done; echo ok ;;
	*) echo "bad command $cmd" ;;
	esac
}

rcmd() {
	echo "$*" | nc "$V_PEER_IP" "$CTL_PORT"
}

serve() {
	local t=0 name

	iperf3 -s -D >/dev/null 2>&1
	tcp_rr -s -p "$RR_PORT" &
	nc -ll -p "$CTL_PORT" -e sh "$EXTRA/profile-guest.sh" remote &
	while [ ! -e /tmp/prof-done ]; do
		if [ -e /tmp/req.start ]; then
			name=$(cat /tmp/req.start)
			start "$name"
			rm /tmp/req.start
		elif [ -e /tmp/req.stop ]; then
			name=$(cat /tmp/req.stop)
			stop "$name"
			rm /tmp/req.stop
		else
			sleep 0.2
			t=$((t + 1))
			[ "$t" -lt $((PROF_TIMEOUT * 5)) ] || return 1
		fi
	done
}

# ---------------------------------------------------------------- driving
# workload PATH LOAD: run LOAD over PATH, output to PROFW lines
workload() {
	local ip

	if [ "$1" = ivshmem ]; then ip=$PEER_IP; else ip=$V_PEER_IP; fi
	case "$2" in
	tcp) iperf3 -c "$ip" -t "$PROF_T" -f m ;;
	tcprx) iperf3 -c "$ip" -t "$PROF_T" -f m -R ;;
	udp64) iperf3 -c "$ip" -t "$PROF_T" -f m -u -b 0 -l 64 ;;
	udp1400) iperf3 -c "$ip" -t "$PROF_T" -f m -u -b 0 -l 1400 ;;
	ping) ping -c "$PROF_PINGS" -i 0.01 -W 2 -q "$ip" ;;
	rr) tcp_rr -c "$ip" -p "$RR_PORT" -n "$PROF_RRS" -l 1 ;;
	*) echo "unknown workload $2" ;;
	esac 2>&1 | grep -a -E 'sender|receiver|rtt|^rr |packets' |
		sed "s/^/PROFW $1.$2 /"
}

drive() {
	local p l name

	wait_for 60 ping -c 1 -W 1 "$V_PEER_IP" >/dev/null 2>&1 || return 1
	wait_for 30 sh -c "[ \"\$(echo x | nc $V_PEER_IP $CTL_PORT)\" ]" ||
		return 1
	wait_for 30 ping -c 1 -W 1 "$PEER_IP" >/dev/null 2>&1 || return 1
	for l in $PROF_LOADS; do
		for p in $PROF_PATHS; do
			name=$p.$l
			[ "$(rcmd start "$name")" = ok ] || return 1
			start "$name"
			workload "$p" "$l"
			halt "$name"
			rcmd stop "$name" >/dev/null
			report "$name"
		done
	done
}

main() {
	local vif rc=0

	echo 0 >/proc/sys/kernel/kptr_restrict
	echo -1 >/proc/sys/kernel/perf_event_paranoid
	modprobe virtio_net
	wait_for 10 virtio_if >/dev/null || return 1
	vif=$(virtio_if)
	ip addr add "$V_MY_IP/24" dev "$vif" && ip link set "$vif" up ||
		return 1
	net_setup || return 1
	ip link set "$IF" mtu "$PROF_MTU"
	echo "PROFW ifaces ivshmem=$IF virtio=$vif"
	echo "PROFW features $IF $(ethtool -k "$IF" | grep -E ': on' |
		cut -d: -f1 | tr '\n' ' ')"
	echo "PROFW features $vif $(ethtool -k "$vif" | grep -E ': on' |
		cut -d: -f1 | tr '\n' ' ')"
	if [ "$IDX" = 0 ]; then
		drive || rc=1
		rcmd quit >/dev/null
	else
		serve || rc=1
	fi
	return $rc
}

case "${1:-main}" in
remote) remote ;;
*) main ;;
esac
