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
#   vnet     virtio-net over IVSHMEM (vmtest -P 0x8001 -N): guest 0 runs
#            the back-end bridged to tap0, guest 1 the front-end; TCP both
#            ways with CPU cost, ping, TCP_RR
#   uio      uio_ivshmem doorbell ping-pong between guest 0 and 1 (a third
#            guest, if any, sits idle on the link); memcpy in guest 0
#   blk      virtio-blk over IVSHMEM (vmtest -P 0x8002): guest 0 runs the
#            back-end on an image in its /tmp, guest 1 measures it and a
#            virtio-blk-pci disk (an image in the host's /dev/shm) alike:
#            dd write and read, 4 KiB random reads
#   remote   (internal) one control command from the other guest
#
# Guest 0 measures, guest 1 serves (iperf3 -s, tcp_rr -s and a control
# port on the virtio-net link, which does not depend on the driver under
# test).

EXTRA=/opt/ivshmem/extra
PATH=$EXTRA:$PATH
# shellcheck source=/dev/null
. "$EXTRA/params"
IVSHMEM_TESTS=/opt/ivshmem/tests/drivers/ivshmem
NETLIB=$IVSHMEM_TESTS/net/ivshmem_net_lib.sh
# ivshmem-net: IF, MY_IP, PEER_IP, net_setup, net_if, wait_for, ping, ip
# shellcheck source=../../selftests/drivers/ivshmem/net/ivshmem_net_lib.sh
. "$NETLIB"

V_MY_IP=10.98.0.$((IDX + 1))
V_PEER_IP=10.98.0.$((2 - IDX))
CTL_PORT=7100
RR_PORT=7201

out() { echo "BENCH $*"; }
err() { echo "BENCH-ERROR $*"; }

# on_ivshmem NETDEV: its virtio device is on the IVSHMEM device (vnet)
on_ivshmem() {
	[ "$(cat "$(dirname "$(readlink -f "/sys/class/net/$1/device")")/vendor" \
		2>/dev/null)" = 0x110a ]
}

# The virtio-net interface (the virtio-net-pci NIC)
virtio_if() {
	for d in /sys/class/net/*; do
		case "$(readlink "$d/device/driver" 2>/dev/null)" in
		*/virtio_net) on_ivshmem "${d##*/}" ||
			{ basename "$d"; return 0; } ;;
		esac
	done
	return 1
}

# The virtio-net over IVSHMEM interface: the back-end's TAP device on
# guest 0, the front-end's netdev on guest 1
VNET_TAP=tap0
vnet_if() {
	local d

	if [ "$IDX" = 0 ]; then
		[ -e "/sys/class/net/$VNET_TAP" ] && echo "$VNET_TAP"
		return
	fi
	for d in /sys/class/net/*; do
		case "$(readlink "$d/device/driver" 2>/dev/null)" in
		*/virtio_net) on_ivshmem "${d##*/}" &&
			{ basename "$d"; return 0; } ;;
		esac
	done
	return 1
}

# ifname PATH: the interface of ivshmem, virtio or vnet
ifname() {
	case $1 in
	ivshmem) net_if ;;
	vnet) vnet_if ;;
	*) virtio_if ;;
	esac
}

# peer_ip PATH: vnet uses the addresses of ivshmem-net (another run)
peer_ip() {
	if [ "$1" = virtio ]; then echo "$V_PEER_IP"; else echo "$PEER_IP"; fi
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

# ---------------------------------------------------------------- vnet
vnet_main() {
	local vif dev be='' r rc=0

	modprobe virtio_net
	wait_for 10 virtio_if >/dev/null || { err "no virtio-net NIC"; return 1; }
	vif=$(virtio_if)
	ip addr add "$V_MY_IP/24" dev "$vif" && ip link set "$vif" up || return 1
	if [ "$IDX" = 0 ]; then
		modprobe uio_ivshmem && modprobe tun || return 1
		virtio-ivshmem-net -t "$VNET_TAP" 2>/tmp/vnet-be.log &
		be=$!
	else
		modprobe virtio_ivshmem || return 1
	fi
	if wait_for 60 vnet_if >/dev/null; then
		dev=$(vnet_if)
		ip addr add "$MY_IP/24" dev "$dev" && ip link set "$dev" up
	else
		err "virtio-net over ivshmem did not come up"
	fi
	if [ "$IDX" != 0 ]; then
		serve
		return
	fi

	wait_for 60 ping -c 1 -W 1 "$V_PEER_IP" >/dev/null 2>&1 ||
		{ err "virtio-net link down"; return 1; }
	wait_for 30 sh -c "[ \"\$(echo stat | nc $V_PEER_IP $CTL_PORT)\" ]" ||
		{ err "guest 1 does not answer"; return 1; }
	wait_for 60 ping -c 1 -W 1 "$PEER_IP" >/dev/null 2>&1 ||
		err "vnet: peer not reachable"
	r=1
	while [ "$r" -le "$BENCH_REPS" ]; do
		tcp vnet tx || rc=1
		tcp vnet rx || rc=1
		icmp vnet || rc=1
		rr vnet || rc=1
		r=$((r + 1))
	done
	rcmd quit >/dev/null
	kill "$be"
	wait "$be"
	grep 'bad request' /tmp/vnet-be.log | head -n 5 | while read -r l; do
		err "vnet back-end: $l"
	done
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

# ---------------------------------------------------------------- blk
# blk_disk ivshmem|pci: the disk of virtio_ivshmem or of virtio-pci: vdX
blk_disk() {
	local d p drv

	for d in /sys/block/vd*; do
		[ -e "$d/device" ] || continue
		p=$(readlink -f "$d/device")
		drv=$(basename "$(readlink "${p%/*}/driver")")
		case "$1:$drv" in
		ivshmem:virtio_ivshmem|pci:virtio-pci)
			basename "$d"
			return 0
			;;
		esac
	done
	return 1
}

uptime_cs() {	# uptime in 1/100 s
	local up

	read -r up _ </proc/uptime
	echo "${up%.*}${up#*.}"
}

# blk_rate METRIC MIB CENTISECONDS: MB/s
blk_rate() {
	awk -v m="$2" -v t="$3" -v k="$1" 'BEGIN { if (t > 0)
		printf "BENCH %s %.2f\n", k, m * 1.048576 * 100 / t }'
}

# blk_path PATH: dd 1 MiB blocks O_DIRECT write (with a flush) and read,
# then random 4 KiB reads, queue depth 1
blk_path() {
	local p=$1 dev t0 t1 t2

	dev=/dev/$(blk_disk "$p") || { err "blk: no $p disk"; return 1; }
	t0=$(uptime_cs)
	dd if=/tmp/blk.pat of="$dev" bs=1M oflag=direct conv=fsync \
		2>/dev/null || { err "blk: $p: dd write failed"; return 1; }
	t1=$(uptime_cs)
	dd if="$dev" of=/dev/null bs=1M count="$BENCH_BLK_MB" iflag=direct \
		2>/dev/null || { err "blk: $p: dd read failed"; return 1; }
	t2=$(uptime_cs)
	blk_rate "blk.$p.write.mbps" "$BENCH_BLK_MB" $((t1 - t0))
	blk_rate "blk.$p.read.mbps" "$BENCH_BLK_MB" $((t2 - t1))
	blk_randread -t "$BENCH_BLK_MS" "$dev" | awk -v p="$p" '
	$1 == "randread" {
		for (i = 2; i <= NF; i++) {
			split($i, kv, "=")
			v[kv[1]] = kv[2]
		}
		m = "BENCH blk." p ".randread."
		printf "%siops %s\n", m, v["iops"]
		printf "%smedian_us %s\n", m, v["median_us"]
		printf "%sp99_us %s\n", m, v["p99_us"] }'
}

blk_main() {
	local be r p rc=0

	if [ "$IDX" = 0 ]; then
		modprobe uio_ivshmem || return 1
		truncate -s $((BENCH_BLK_MB + 1))M /tmp/blk.img || return 1
		virtio-ivshmem-block -v -f /tmp/blk.img 2>/tmp/blk-be.log &
		be=$!
		# guest 1 unloads virtio_ivshmem when it is done
		wait_for "$BENCH_TIMEOUT" grep -q 'front-end left READY' \
			/tmp/blk-be.log || rc=1
		kill "$be"
		wait "$be"
		tail -n 1 /tmp/blk-be.log
		grep 'bad request:' /tmp/blk-be.log | head -n 5 |
			while read -r p; do err "blk back-end: $p"; done
		return $rc
	fi
	modprobe virtio_blk
	modprobe virtio_ivshmem || return 1
	for p in ivshmem pci; do
		wait_for 60 blk_disk "$p" >/dev/null || err "blk: no $p disk"
	done
	head -c $((BENCH_BLK_MB << 20)) /dev/urandom >/tmp/blk.pat
	r=1
	while [ "$r" -le "$BENCH_REPS" ]; do
		for p in ivshmem pci; do
			blk_path "$p" || rc=1
		done
		r=$((r + 1))
	done
	rmmod virtio_ivshmem
	return $rc
}

case "${1:-$BENCH_MODE}" in
remote) remote ;;
net|section) net_main ;;
vnet) vnet_main ;;
uio) uio_main ;;
blk) blk_main ;;
*) err "unknown mode ${1:-$BENCH_MODE}"; exit 1 ;;
esac
