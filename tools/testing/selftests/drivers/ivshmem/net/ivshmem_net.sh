#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# ivshmem-net between two guests on one IVSHMEM v2 link (protocol 0001h).
# Run the same command in both guests (VMTEST_INDEX 0 and 1):
#
#   ivshmem_net.sh [TEST...]
#
# Tests (default: all, in this order): link ping iperf offload mtu ifdown
# rmmod.
# "link" always runs first. One TAP line per check; exit 0 if all passed,
# 4 (skip) without a protocol 0001h device or a second guest.

cd "$(dirname "$0")" || exit 1
. ./ivshmem_net_lib.sh

TESTS=${*:-ping iperf offload mtu ifdown rmmod}
IPERF_TIME=${IPERF_TIME:-3}
BAR=0

next_barrier() { BAR=$((BAR + 1)); barrier "$BAR"; }

has_device() {
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor")" = 0x110a ] &&
			[ "$(cat "$d/class")" = 0xff0001 ] && return 0
	done
	return 1
}

if ! has_device; then
	echo "SKIP: no IVSHMEM v2 device with protocol 0001h"
	exit $ksft_skip
fi
if [ "${VMTEST_COUNT:-${IVSHMEM_PEERS:-1}}" -lt 2 ]; then
	echo "SKIP: needs a second guest (VMTEST_COUNT or IVSHMEM_PEERS >= 2)"
	exit $ksft_skip
fi

# ---- link: probe, ethtool, carrier ----
t_link() {
	if ! net_setup; then
		tap_fail "link: driver loads, interface exists"
		exit 1
	fi
	tap_ok "link: driver loads, interface $IF exists"
	bus=$(basename "$(readlink -f "/sys/class/net/$IF/device")")
	tap "link: ethtool -i" sh -c "ethtool -i $IF | grep -qx 'driver: ivshmem-net' &&
		ethtool -i $IF | grep -qx 'bus-info: $bus'"
	tap "link: ethtool -g" sh -c "ethtool -g $IF | grep -q '^RX:'"
	tap "link: random MAC (addr_assign_type 1)" \
		test "$(cat "/sys/class/net/$IF/addr_assign_type")" = 1
	if wait_for 60 carrier_is 1; then
		tap_ok "link: carrier up"
	else
		tap_fail "link: carrier up"
		exit 1
	fi
	if wait_for 30 peer_reachable; then
		tap_ok "link: peer reachable"
	else
		tap_fail "link: peer reachable"
		exit 1
	fi
	next_barrier
}

# ---- ping at sizes up to the MTU, and the RTT median ----
ping_sizes() {
	mtu=$(cat "/sys/class/net/$IF/mtu")
	for s in 36 100 500 1472 $((mtu / 2)) $((mtu - 28)); do
		[ "$s" -le $((mtu - 28)) ] || continue
		if ! ping -c 2 -i 0.2 -W 2 -M do -s "$s" "$PEER_IP" \
			>/dev/null; then
			log "ping -s $s failed"
			return 1
		fi
	done
}

t_ping() {
	tap "ping: sizes 64 bytes to the MTU" ping_sizes
	out=$(ping -c 20 -i 0.05 -q "$PEER_IP" 2>&1)
	if echo "$out" | grep -q ' 0% packet loss'; then
		tap_ok "ping: 20 pings, no loss"
	else
		tap_fail "ping: 20 pings, no loss"
	fi
	# median of individual RTTs
	med=$(ping -c 21 -i 0.05 "$PEER_IP" | sed -n 's/.*time=\([0-9.]*\).*/\1/p' |
	      sort -n | sed -n 11p)
	log "ping RTT median ${med} ms ($VMTEST_KERNEL, g$IDX -> peer)"
	next_barrier
}

# ---- iperf3 TCP and UDP both directions, data integrity ----
csum_errors() {
	awk '/^(Tcp|Udp):/ { if (!h[$1]++) { for (i = 1; i <= NF; i++)
		n[$1, i] = $i } else for (i = 1; i <= NF; i++)
		if (n[$1, i] == "InCsumErrors") s += $i } END { print s + 0 }' \
		/proc/net/snmp
}

# a known 2 MiB stream, the same on both guests
gen_data() { seq 1 300000; }

# receive_md5 PORT: accept one connection, store the md5 of what arrives
receive_md5() {
	# busybox nc ends at EOF on its stdin: let md5sum read the socket
	printf '#!/bin/sh\nmd5sum >/tmp/ivnet.md5\n' >/tmp/ivnet-rx.sh
	chmod +x /tmp/ivnet-rx.sh
	timeout 60 nc -l -p "$1" -e /tmp/ivnet-rx.sh
}

iperf_run() {	# iperf_run NAME ARGS...
	local what=$1

	shift
	out=$(iperf3 -c "$PEER_IP" -t "$IPERF_TIME" -f m "$@" 2>&1)
	rc=$?
	sum=$(echo "$out" | grep -E 'receiver|  0.00-.*sec.*%' | tail -n 1)
	log "iperf3 $what: $(echo "$sum" | awk '{ for (i = 1; i <= NF; i++)
		if ($i == "Mbits/sec") r = $(i - 1) " " $i;
		if ($NF ~ /%\)$/ || $(NF - 1) ~ /%\)$/) l = " loss " $(NF - 1);
		print r l }')"
	[ $rc = 0 ] || echo "$out" | sed 's/^/# /'
	return $rc
}

t_iperf() {
	before=$(csum_errors)
	if [ "$IDX" = 0 ]; then
		iperf3 -s -D -1 >/dev/null 2>&1
		iperf3 -s -D -p 5202 -1 >/dev/null 2>&1
		iperf3 -s -D -p 5203 -1 >/dev/null 2>&1
		iperf3 -s -D -p 5204 -1 >/dev/null 2>&1
		next_barrier
		next_barrier	# B ran the clients
	else
		next_barrier
		sleep 1
		tap "iperf3: TCP B->A" iperf_run "TCP B->A"
		tap "iperf3: TCP A->B" iperf_run "TCP A->B" -p 5202 -R
		tap "iperf3: UDP B->A" iperf_run "UDP B->A" -p 5203 -u -b 50M
		tap "iperf3: UDP A->B" iperf_run "UDP A->B" -p 5204 -u -b 50M -R
		next_barrier
	fi
	# integrity: a known stream, compared against the local copy
	want=$(gen_data | md5sum | cut -d' ' -f1)
	rm -f /tmp/ivnet.md5
	if [ "$IDX" = 0 ]; then
		receive_md5 6001 &
		next_barrier
		wait
		next_barrier	# B listens
		gen_data | timeout 60 nc "$PEER_IP" 6002
	else
		next_barrier	# A listens
		gen_data | timeout 60 nc "$PEER_IP" 6001
		receive_md5 6002 &
		next_barrier
		wait
	fi
	got=$(cut -d' ' -f1 /tmp/ivnet.md5)
	tap "iperf3: 2 MiB stream intact (md5)" test "$got" = "$want"
	tap "iperf3: no TCP/UDP checksum errors" test "$(csum_errors)" = "$before"
	next_barrier
}

# ---- offloads: checksums and TSO done in the copy ----
feature_on() { ethtool -k "$IF" | grep -q "^$1: on"; }

# offload_round NAME: B fetches the known stream from A's HTTP server and
# checks it; A reports how many GSO frames it segmented (tx_tso) meanwhile.
# httpd sends with sendfile(): large writes that TCP turns into GSO frames
# (the small writes of nc seldom make one on 6.1).
offload_round() {
	want=$(gen_data | md5sum | cut -d' ' -f1)
	if [ "$IDX" = 1 ]; then
		before=$(csum_errors)
		long=$(stat rx_length_errors)
		next_barrier
		got=$(timeout 60 wget -q -O - "http://$PEER_IP:6012/data" |
		      md5sum | cut -d' ' -f1)
		tap "offload: $1: stream intact (md5)" test "$got" = "$want"
		tap "offload: $1: no TCP/UDP checksum errors" \
			test "$(csum_errors)" = "$before"
		tap "offload: $1: no frame above the MTU" \
			test "$(stat rx_length_errors)" = "$long"
	else
		mkdir -p /tmp/ivnet-www
		gen_data >/tmp/ivnet-www/data
		httpd -f -p 6012 -h /tmp/ivnet-www &
		httpd=$!
		tso=$(stat tx_tso)
		next_barrier
	fi
	next_barrier
	if [ "$IDX" = 0 ]; then
		kill "$httpd"
		wait "$httpd" 2>/dev/null
		TSO_FRAMES=$(($(stat tx_tso) - tso))
		log "offload: $1: $TSO_FRAMES GSO frames segmented by the driver"
	fi
}

# The checksums and segments that transmit makes in its copy must be real:
# the receiver checks them in software (rx-checksumming off), then the
# stack does everything itself (tx off turns SG and TSO off too).
t_offload() {
	ring=$(ethtool -g "$IF" | awk '/^RX:/ { print $2; exit }')
	tap "offload: SG, checksums, RX checksum advertised" sh -c \
		"ethtool -k $IF | grep -q '^scatter-gather: on' &&
		 ethtool -k $IF | grep -q '^tx-checksumming: on' &&
		 ethtool -k $IF | grep -q '^rx-checksumming: on'"
	# TSO needs room for a GSO frame: not with the smallest sections
	if [ "$ring" -ge 64 ]; then
		tap "offload: TSO advertised" \
			feature_on tcp-segmentation-offload
	fi
	# at the usual MTU, where GSO frames have many segments
	off_mtu=$(cat "/sys/class/net/$IF/mtu")
	[ "$IDX" = 0 ] && ip link set "$IF" mtu 1500
	[ "$IDX" = 1 ] && ethtool -K "$IF" rx off >/dev/null
	offload_round "TSO, receiver checks in software"
	if [ "$IDX" = 0 ] && [ "$ring" -ge 64 ]; then
		tap "offload: TSO used" test "$TSO_FRAMES" -gt 0
	fi
	[ "$IDX" = 1 ] && ethtool -K "$IF" rx on >/dev/null
	[ "$IDX" = 0 ] && ethtool -K "$IF" tx off >/dev/null
	offload_round "no TX offloads"
	if [ "$IDX" = 0 ]; then
		tap "offload: tx off turns TSO off" test "$TSO_FRAMES" = 0
		ethtool -K "$IF" tx on sg on >/dev/null
		[ "$ring" -lt 64 ] || ethtool -K "$IF" tso on >/dev/null
		tap "offload: tx on again" feature_on tx-checksumming
		ip link set "$IF" mtu "$off_mtu"
		rm -rf /tmp/ivnet-www
	fi
	next_barrier
}

# ---- MTU changes while traffic runs ----
t_mtu() {
	max=$(ip -d link show "$IF" | sed -n 's/.*maxmtu \([0-9]*\).*/\1/p')
	orig=$(cat "/sys/class/net/$IF/mtu")
	ping -i 0.01 -c 400 -s 1000 "$PEER_IP" >/dev/null 2>&1 &
	pid=$!
	ok=1
	for m in 1500 68 9000 "$max" 576 "$orig"; do
		ip link set "$IF" mtu "$m" || ok=0
		sleep 0.3
	done
	wait $pid
	tap "mtu: changes 1500/68/9000/$max/576 under traffic" test $ok = 1
	tap "mtu: out-of-range MTU refused" sh -c \
		"! ip link set $IF mtu $((max + 1)) 2>/dev/null"
	next_barrier
	ip link set "$IF" mtu 9000
	next_barrier
	tap "mtu: ping at MTU 9000" ping -c 3 -W 2 -M do -s 8972 "$PEER_IP"
	next_barrier
	ip link set "$IF" mtu "$orig"
	next_barrier
	tap "mtu: ping at MTU $orig after restore" \
		ping -c 2 -W 2 -M do -s $((orig - 28)) "$PEER_IP"
	next_barrier
}

# ---- ifdown/ifup on one side while the other keeps running ----
bounce_seen() {	# the carrier went down and up again since count $1
	[ "$(carrier_changes)" -ge $(($1 + 2)) ] && carrier_is 1
}

t_ifdown() {
	for side in 1 0; do
		c0=$(carrier_changes)
		next_barrier
		if [ "$IDX" = "$side" ]; then
			ip link set "$IF" down
			sleep 1
			tap "ifdown: side $side: no carrier while down" \
				sh -c "! grep -q 1 /sys/class/net/$IF/carrier 2>/dev/null"
			ip link set "$IF" up
			tap "ifdown: side $side: carrier back after up" \
				wait_for 30 carrier_is 1
		else
			tap "ifdown: side $side: other side saw carrier bounce" \
				wait_for 30 bounce_seen "$c0"
		fi
		tap "ifdown: side $side: traffic recovers" \
			wait_for 30 peer_reachable
	done
	# both down and up again in quick succession, in any order
	next_barrier
	ip link set "$IF" down
	[ "$IDX" = 0 ] && sleep 0.5
	ip link set "$IF" up
	ip link set "$IF" down
	ip link set "$IF" up
	tap "ifdown: both sides flapping converge" wait_for 30 peer_reachable
	next_barrier
}

# ---- rmmod/modprobe on one side while the other keeps running ----
t_rmmod() {
	for side in 1 0; do
		c0=$(carrier_changes)
		next_barrier
		if [ "$IDX" = "$side" ]; then
			rmmod ivshmem-net
			sleep 1
			ok=1
			net_setup || ok=0
			tap "rmmod: side $side: reload" test $ok = 1
			tap "rmmod: side $side: carrier back" \
				wait_for 30 carrier_is 1
		else
			tap "rmmod: side $side: other side saw carrier bounce" \
				wait_for 30 bounce_seen "$c0"
		fi
		tap "rmmod: side $side: traffic recovers" \
			wait_for 30 peer_reachable
	done
	next_barrier
}

t_link
for t in $TESTS; do
	"t_$t"
done

tap "kernel log clean" kernel_log_clean
log "ethtool -S $IF:"
ethtool -S "$IF" | sed 's/^/#/'
exit $FAILED
