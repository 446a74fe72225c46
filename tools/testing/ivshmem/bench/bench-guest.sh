#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash source-path=SCRIPTDIR
#
# Guest side of "make bench" (tools/testing/ivshmem/bench/bench), run by
# busybox sh in every guest from /opt/ivshmem/extra/. The host writes the
# parameters to /opt/ivshmem/extra/params. Results go to the console as
#
#   BENCH METRIC VALUE           one repetition of a number
#   BENCHQ METRIC Q0 Q5 .. Q100  quantiles of one latency measurement (us)
#   BENCH-ERROR TEXT             something could not be measured
#
# Modes (BENCH_MODE):
#   net      ivshmem-net and virtio-net (vmtest -P 1 -N) side by side:
#            TCP both ways with CPU cost, UDP 64/1400 bytes, ping, TCP_RR,
#            then TCP over both at the MTUs of BENCH_MTUS
#   section  ivshmem-net only, TCP at the MTUs of BENCH_MTUS
#   uio      uio_ivshmem doorbell ping-pong between guest 0 and 1 (a third
#            guest, if any, sits idle on the link); memcpy in guest 0
#   remote   (internal) one control command from the other guest
#
# Guest 0 measures, guest 1 serves (iperf3 -s, tcp_rr -s and a control
# port on the virtio-net link, which does not depend on the driver under
# test).

EXTRA=/opt/ivshmem/extra
PATH=$EXTRA:$PATH
# shellcheck source=/dev/null
. "$EXTRA/params"
NETLIB=/opt/ivshmem/tests/drivers/ivshmem/net/ivshmem_net_lib.sh
# ivshmem-net: IF, MY_IP, PEER_IP, net_setup, net_if, wait_for, ping, ip
# shellcheck source=../../selftests/drivers/ivshmem/net/ivshmem_net_lib.sh
. "$NETLIB"

V_MY_IP=10.98.0.$((IDX + 1))
V_PEER_IP=10.98.0.$((2 - IDX))
CTL_PORT=7100
RR_PORT=7201

out() { echo "BENCH $*"; }
err() { echo "BENCH-ERROR $*"; }

# The virtio-net interface
virtio_if() {
	for d in /sys/class/net/*; do
		case "$(readlink "$d/device/driver" 2>/dev/null)" in
		*/virtio_net) basename "$d"; return 0 ;;
		esac
	done
	return 1
}

# ifname PATH: the interface of ivshmem or virtio
ifname() {
	if [ "$1" = ivshmem ]; then net_if; else virtio_if; fi
}

# peer_ip PATH
peer_ip() {
	if [ "$1" = ivshmem ]; then echo "$PEER_IP"; else echo "$V_PEER_IP"; fi
}

# set_mtu PATH MTU: on this guest; fails if above the driver's maximum
set_mtu() {
	local dev max

	dev=$(ifname "$1") || return 1
	max=$(ip -d link show "$dev" | sed -n 's/.* maxmtu \([0-9]*\).*/\1/p')
	[ -n "$max" ] && [ "$2" -gt "$max" ] && return 1
	ip link set "$dev" mtu "$2"
}

# rcmd CMD ARGS: run a control command in the other guest, print output
rcmd() {
	echo "$*" | nc "$V_PEER_IP" "$CTL_PORT"
}

# busy and total jiffies of this guest (one CPU)
cpustat() {
	awk '$1 == "cpu" { t = 0; for (i = 2; i <= NF; i++) t += $i;
		print t - $5 - $6, t; exit }' /proc/stat
}

# jget FILE SECTION KEY: a number from iperf3 -J output in FILE
jget() {
	awk -v s="\"$2\":" -v k="\"$3\":" '
		$1 == s { f = 1 }
		f && $1 == k { gsub(/[^0-9.e+-]/, "", $2); print $2; exit }' "$1"
}

# quantiles: numbers on stdin -> "median p99 q0 q5 .. q100"
quantiles() {
	sort -n | awk '{ a[n++] = $1 }
		END {
			if (!n) exit 1
			printf "%s %s", a[int(n / 2)], a[int((n * 99 - 1) / 100)]
			for (q = 0; q <= 100; q += 5)
				printf " %s", a[q ? int((n * q - 1) / 100) : 0]
			printf "\n"
		}'
}

# ---------------------------------------------------------------- serving
# remote: one command line from guest 0 (nc -ll -e)
remote() {
	local cmd a b

	read -r cmd a b || return 0
	case "$cmd" in
	stat) cpustat ;;
	mtu) set_mtu "$a" "$b" && echo ok ;;
	quit) touch /tmp/bench-done ;;
	*) echo "bad command $cmd" ;;
	esac
}

serve() {
	iperf3 -s -D >/dev/null 2>&1
	tcp_rr -s -p "$RR_PORT" &
	nc -ll -p "$CTL_PORT" -e sh "$EXTRA/bench-guest.sh" remote &
	# guest 0 says when it is done; the run's timeout bounds this
	wait_for "$BENCH_TIMEOUT" test -e /tmp/bench-done || return 1
	return 0
}

# ---------------------------------------------------------------- measuring
# iperf PATH NAME ARGS..: one iperf3 run to the peer over PATH, JSON in
# /tmp/iperf.json; prints nothing, fails if iperf3 did
iperf() {
	local ip

	ip=$(peer_ip "$1")
	shift
	timeout $((BENCH_T + 30)) iperf3 -c "$ip" -t "$BENCH_T" -J "$@" \
		>/tmp/iperf.json 2>&1 && return 0
	err "iperf3 $* to $ip failed: $(grep '"error"' /tmp/iperf.json)"
	return 1
}

# tcp PATH tx|rx: throughput and CPU seconds per GB on both guests
tcp() {
	local p=$1 dir=$2 l0 l1 r0 r1 bytes bps arg=

	[ "$dir" = rx ] && arg=-R
	l0=$(cpustat)
	r0=$(rcmd stat)
	# shellcheck disable=SC2086 # empty or -R
	iperf "$p" $arg || return 1
	l1=$(cpustat)
	r1=$(rcmd stat)
	bps=$(jget /tmp/iperf.json sum_received bits_per_second)
	bytes=$(jget /tmp/iperf.json sum_received bytes)
	out "net.$p.tcp_$dir.mbps $(awk -v b="$bps" 'BEGIN { print b / 1e6 }')"
	# sender is this guest for tx, the peer for rx; jiffies are 1/100 s
	echo "$l0 $l1 $r0 $r1 $bytes $dir" | awk '{
		l = ($3 - $1) / 100; r = ($7 - $5) / 100; gb = $9 / 1e9
		if (gb <= 0) exit 1
		snd = $10 == "tx" ? l : r; rcv = $10 == "tx" ? r : l
		printf "%.4f %.4f %.4f\n", snd / gb, rcv / gb, (l + r) / gb
	}' | {
		read -r snd rcv sum
		out "net.$p.tcp_$dir.cpu_snd_s_per_gb $snd"
		out "net.$p.tcp_$dir.cpu_rcv_s_per_gb $rcv"
		out "net.$p.tcp_$dir.cpu_s_per_gb $sum"
	}
}

# udp PATH LEN: datagrams per second received, unlimited send rate
udp() {
	local p=$1 len=$2 bytes secs

	iperf "$p" -u -b 0 -l "$len" || return 1
	bytes=$(jget /tmp/iperf.json sum_received bytes)
	secs=$(jget /tmp/iperf.json sum_received seconds)
	out "net.$p.udp$len.pps $(awk -v b="$bytes" -v s="$secs" -v l="$len" \
		'BEGIN { printf "%.0f\n", b / l / s }')"
	out "net.$p.udp$len.mbps $(awk -v b="$bytes" -v s="$secs" \
		'BEGIN { printf "%.3f\n", b * 8 / s / 1e6 }')"
	out "net.$p.udp$len.loss_pct $(jget /tmp/iperf.json sum lost_percent)"
}

# icmp PATH: ping RTT, BENCH_PINGS probes 10 ms apart
icmp() {
	local p=$1 q

	q=$(ping -c "$BENCH_PINGS" -i 0.01 -W 2 "$(peer_ip "$p")" |
		sed -n 's/.* time=\([0-9.]*\) ms.*/\1/p' |
		awk '{ print $1 * 1000 }' | quantiles) ||
		{ err "ping over $p failed"; return 1; }
	# shellcheck disable=SC2086 # a list
	set -- $q
	out "net.$p.ping.median_us $1"
	out "net.$p.ping.p99_us $2"
	shift 2
	echo "BENCHQ net.$p.ping $*"
}

# rr PATH: TCP request-response, 1 byte each way
rr() {
	local p=$1 res

	res=$(timeout 120 tcp_rr -c "$(peer_ip "$p")" -p "$RR_PORT" \
		-n "$BENCH_RRS" -l 1) || { err "tcp_rr over $p failed"; return 1; }
	echo "$res" | awk -v p="$p" '$1 == "rr" {
		for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		printf "BENCH net.%s.rr.median_us %s\n", p, v["median_us"]
		printf "BENCH net.%s.rr.p99_us %s\n", p, v["p99_us"]
		printf "BENCH net.%s.rr.tps %s\n", p, v["tps"] }
		$1 == "rrq" { $1 = "BENCHQ net." p ".rr"; print }'
}

# mtu_scan PATHS: TCP g0 -> g1 at every MTU the driver allows
mtu_scan() {
	local mtu p r

	for mtu in $BENCH_MTUS; do
		for p in "$@"; do
			if ! set_mtu "$p" "$mtu" ||
			   [ "$(rcmd mtu "$p" "$mtu")" != ok ]; then
				out "scale.$p.$BENCH_SECTION.mtu$mtu.skipped 1"
				continue
			fi
			wait_for 10 ping -c 1 -W 1 -s $((mtu - 28)) \
				"$(peer_ip "$p")" >/dev/null 2>&1
			r=1
			while [ "$r" -le "$BENCH_REPS" ]; do
				iperf "$p" &&
				out "scale.$p.$BENCH_SECTION.mtu$mtu.mbps $(awk \
					-v b="$(jget /tmp/iperf.json sum_received bits_per_second)" \
					'BEGIN { print b / 1e6 }')"
				r=$((r + 1))
			done
		done
	done
	for p in "$@"; do
		set_mtu "$p" 1500
		rcmd mtu "$p" 1500 >/dev/null
	done
}

measure() {
	local paths=$1 p r

	wait_for 60 ping -c 1 -W 1 "$V_PEER_IP" >/dev/null 2>&1 ||
		{ err "virtio-net link down"; return 1; }
	wait_for 30 sh -c "[ \"\$(echo stat | nc $V_PEER_IP $CTL_PORT)\" ]" ||
		{ err "guest 1 does not answer"; return 1; }
	for p in $paths; do
		wait_for 30 ping -c 1 -W 1 "$(peer_ip "$p")" >/dev/null 2>&1 ||
			err "$p: peer not reachable"
	done
	if [ "$BENCH_MODE" = net ]; then
		for p in $paths; do
			set_mtu "$p" 1500
			rcmd mtu "$p" 1500 >/dev/null
			r=1
			while [ "$r" -le "$BENCH_REPS" ]; do
				tcp "$p" tx
				tcp "$p" rx
				udp "$p" 64
				udp "$p" 1400
				icmp "$p"
				rr "$p"
				r=$((r + 1))
			done
		done
	fi
	# shellcheck disable=SC2086 # a list
	mtu_scan $paths
}

net_main() {
	local paths=ivshmem vif rc=0

	modprobe virtio_net
	wait_for 10 virtio_if >/dev/null || { err "no virtio-net NIC"; return 1; }
	vif=$(virtio_if)
	ip addr add "$V_MY_IP/24" dev "$vif" && ip link set "$vif" up || return 1
	if ! net_setup; then
		err "ivshmem-net did not come up"
		paths=
	fi
	[ "$BENCH_MODE" = net ] && paths="$paths virtio"
	if [ "$IDX" = 0 ]; then
		measure "$paths" || rc=1
		rcmd quit >/dev/null
	else
		serve || rc=1
	fi
	return $rc
}

# ---------------------------------------------------------------- uio
IDLE=0x49444c45		# "IDLE": the third peer is on the link
DONE=0x454e4f44		# "DONE": peer 0 has finished

# peer_state_is PEER VALUE
peer_state_is() {
	ivshmem list | grep -q -E "(^| )$1=$2( |\$)"
}

uio_main() {
	local r res holder rc=0

	modprobe uio_ivshmem || return 1
	wait_for 10 test -e /dev/uio0 || return 1
	case $IDX in
	0)
		if [ "$VMTEST_COUNT" -gt 2 ]; then
			wait_for 120 peer_state_is 2 "$IDLE" ||
				err "peer 2 is not on the link"
		fi
		r=1
		while [ "$r" -le "$BENCH_REPS" ]; do
			res=$(ivshmem pingpong -n "$BENCH_PP" -v 1) || rc=1
			echo "$res" | awk -v m="uio.peers$VMTEST_COUNT" '
				/median .* us, p99 .* us/ {
					sub(/.*median /, ""); sub(/ us, p99/, "")
					print "BENCH " m ".median_us " $1
					print "BENCH " m ".p99_us " $2 }'
			r=$((r + 1))
		done
		if [ "$VMTEST_COUNT" -gt 2 ]; then
			ivshmem state -H "$DONE" &
			holder=$!
			wait_for 60 peer_state_is 2 0x0
			kill "$holder"
			wait "$holder"
		fi
		r=1
		while [ "$BENCH_MEMCPY_MS" -gt 0 ] && [ "$r" -le "$BENCH_REPS" ]; do
			memcpy_bench -t "$BENCH_MEMCPY_MS" | sed -n \
			    's/^memcpy size=\([0-9]*\) gbps=\([0-9.]*\)$/BENCH memcpy.guest.\1.gbps \2/p'
			r=$((r + 1))
		done
		;;
	1)
		r=1
		while [ "$r" -le "$BENCH_REPS" ]; do
			ivshmem pingpong -n "$BENCH_PP" -v 1 >/dev/null || rc=1
			r=$((r + 1))
		done
		;;
	*)
		ivshmem state -H "$IDLE" &
		holder=$!
		wait_for "$BENCH_TIMEOUT" peer_state_is 0 "$DONE" || rc=1
		kill "$holder"
		wait "$holder"
		;;
	esac
	return $rc
}

case "${1:-$BENCH_MODE}" in
remote) remote ;;
net|section) net_main ;;
uio) uio_main ;;
*) err "unknown mode ${1:-$BENCH_MODE}"; exit 1 ;;
esac
