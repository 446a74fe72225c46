#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Virtio-net over IVSHMEM between two guests of a vmtest link with protocol
# 8001h: guest 0 runs the back-end (virtio-ivshmem-net on uio_ivshmem,
# bridged to TAP device tap0, 10.99.0.1), guest 1 the front-end
# (virtio_ivshmem + virtio_net, 10.99.0.2).
#
#   virtio_ivshmem_net.sh basic   ping at 64, 1400 and MTU bytes both ways,
#                                 checksummed streams, iperf3 TCP both ways
#   virtio_ivshmem_net.sh full    also kills the back-end (SIGKILL) in the
#                                 middle of an iperf3 run and restarts it,
#                                 and reloads the front-end module
#
# VNET_BE_ARGS adds options to the back-end (e.g. -o: no offloads). The
# guests synchronise over the link itself (nc barriers). Prints TAP; exit 4
# (skip) without an IVSHMEM device.

MODE=${1:-basic}
D=/tmp/virtio-net
BE_IP=10.99.0.1
FE_IP=10.99.0.2
TAPIF=tap0
IPERF_T=3
T=60
[ -n "$KSFT_MACHINE_SLOW" ] && T=240
n=0
rc=0

# busybox sh runs its own applets first; we want the real tools
ping() { /usr/bin/ping "$@"; }
ip() { /usr/bin/ip "$@"; }

# ok, fail, check, wait_for
. "$(dirname "$0")/virtio_ivshmem_lib.sh"

# barrier N: both guests meet over the link (back-end listens). The
# back-end may remove the link right after it, before the front-end's nc
# saw the connection close: a connected nc that timeout stops (143) passed.
barrier() {
	if [ "${VMTEST_INDEX:-0}" = 0 ]; then
		timeout "$T" nc -l -p $((7300 + $1)) </dev/null >/dev/null
	else
		wait_for "$T" sh -c "echo x | timeout 20 nc -w 2 $BE_IP \
			$((7300 + $1)) >/dev/null 2>&1; r=\$?;
			[ \$r = 0 ] || [ \$r = 143 ]"
	fi
}

reaches() { ping -c 1 -W 1 "$1" >/dev/null 2>&1; }

# ping_sizes IF PEER: 64-byte and 1400-byte ICMP messages, MTU-sized IP
# packets (not fragmented)
ping_sizes() {
	mtu=$(cat "/sys/class/net/$1/mtu")
	for s in 64 1400 $((mtu - 20)); do
		check "ping $2, $s-byte ICMP messages" \
			ping -c 3 -i 0.2 -W 5 -M 'do' -s $((s - 8)) "$2"
	done
}

# a known stream, the same on both guests (2 MiB)
gen_data() { seq 1 300000; }

# receive_md5 PORT: one connection, the md5 of what arrives in $D/rx.md5
receive_md5() {
	printf '#!/bin/sh\nmd5sum >%s/rx.md5\n' "$D" >"$D/rx.sh"
	chmod +x "$D/rx.sh"
	rm -f "$D/rx.md5"
	timeout "$T" nc -l -p "$1" -e "$D/rx.sh"
}

send_data() {	# send_data IP PORT
	wait_for "$T" sh -c "gen_data() { seq 1 300000; };
		gen_data | nc -w 5 $1 $2 >/dev/null 2>&1"
}

stream_ok() { [ "$(cut -d' ' -f1 "$D/rx.md5" 2>/dev/null)" = "$(gen_data | md5)" ]; }

# iperf PEER NAME ARGS..: one iperf3 TCP run, throughput as a diagnostic
iperf() {
	peer=$1
	what=$2
	shift 2
	out=$(timeout $((T + IPERF_T)) iperf3 -c "$peer" -t "$IPERF_T" \
		-f m "$@" 2>&1)
	ret=$?
	echo "# iperf3 TCP $what: $(echo "$out" | awk '/receiver/ {
		for (i = 1; i <= NF; i++)
			if ($i == "Mbits/sec") print $(i - 1), $i }')"
	[ "$ret" = 0 ] || echo "$out" | tail -n 5 | sed 's/^/# /'
	return "$ret"
}

# After the back-end is killed, the transport fails what is outstanding
# and breaks the queues before the device goes: transmits meanwhile fail
# with -EIO ("Unexpected TXQ (N) queue failure: -5"), which is expected.
# Any other queue failure is not. On a kernel with KUnit (the debug
# kernel) each load of the module runs its suite, whose fake device
# (virtio_ivshmem-kunit) is refused with these messages on purpose.
dmesg_clean() {
	! dmesg | grep -v -e 'TXQ ([0-9]*) queue failure: -5' \
		-e ' virtio_ivshmem-kunit: ' |
		grep -E 'BUG:|WARNING:|Oops|general protection|refcount_t|shared memory full|queue failure'
}

# The transport counts a queue broken only for what the back-end wrote.
# This back-end writes nothing wrong; the breaks of the transport's own
# (kicks it refused once the back-end had died) are not counted either.
# The counters restart with the module; the log covers the whole run.
no_broken_queue() {
	dmesg_lacks 'broken by what the back-end wrote' || return 1
	for c in /sys/bus/pci/devices/*/virtio_ivshmem/broken_queues; do
		[ -f "$c" ] || continue
		v=$(cat "$c")
		echo "# $c: $v"
		[ "$v" = 0 ] || return 1
	done
}

# ---- back-end (guest 0) ----

be_start() {	# be_start TAG: back-end log in $D/beTAG.log, tap0 configured
	# shellcheck disable=SC2086 # options
	virtio-ivshmem-net -t "$TAPIF" -v $VNET_BE_ARGS 2>"$D/be$1.log" &
	BE=$!
	wait_for "$T" test -e "/sys/class/net/$TAPIF" || return 1
	ip addr add "$BE_IP/24" dev "$TAPIF" && ip link set "$TAPIF" up
}

be_stop() {	# be_stop [SIGNAL]
	kill "-${1:-TERM}" "$BE" 2>/dev/null
	wait "$BE" 2>/dev/null
}

be_stat() {	# be_stat TAG KEY: a counter of the back-end's exit line
	sed -n "s/.* $2=\([0-9]*\).*/\1/p" "$D/be$1.log" | tail -n 1
}

moved_frames() {
	[ "$(be_stat "$1" tx_frames)" -gt 0 ] 2>/dev/null &&
	[ "$(be_stat "$1" rx_frames)" -gt 0 ] 2>/dev/null
}

no_bad_requests() {
	! grep -h 'bad request:' "$D"/be*.log &&
	[ "$(be_stat "$1" bad_requests)" = 0 ]
}

backend() {
	modprobe uio_ivshmem || return 1
	modprobe tun || return 1
	mkdir -p "$D"
	if [ ! -e /dev/uio0 ]; then
		echo "# no uio_ivshmem device"
		exit 4
	fi
	iperf3 -s -D >/dev/null 2>&1

	check "back-end started, $TAPIF up" be_start 1 || return 1
	check "front-end reachable" wait_for "$T" reaches "$FE_IP" || return 1
	ping_sizes "$TAPIF" "$FE_IP"
	barrier 1
	receive_md5 7401
	check "stream front-end -> back-end, checksum" stream_ok
	barrier 2
	send_data "$FE_IP" 7402
	barrier 3	# the front-end ran iperf3 both ways

	if [ "$MODE" = full ]; then
		# killed in the middle of a transfer in both directions
		iperf3 -c "$FE_IP" -t 60 --bidir >/dev/null 2>&1 &
		ip=$!
		sleep 4
		be_stop KILL
		ok "back-end killed mid-transfer"
		kill "$ip" 2>/dev/null
		wait "$ip" 2>/dev/null
		# time for the front-end to remove its device
		sleep 3
		check "back-end restarted, $TAPIF up" be_start 2 || return 1
		check "front-end reachable after restart" \
			wait_for "$T" reaches "$FE_IP"
		barrier 4	# the front-end transferred and reloaded
		check "front-end reachable after module reload" \
			wait_for "$T" reaches "$FE_IP"
		barrier 5
		tag=2
	else
		tag=1
	fi
	be_stop
	echo "# back-end: $(grep -h -m 1 features "$D/be$tag.log")"
	echo "# back-end: $(tail -n 1 "$D/be$tag.log")"
	check "back-end moved frames both ways" moved_frames $tag
	check "back-end saw no bad requests" no_bad_requests $tag
	check "dmesg clean" dmesg_clean
}

# ---- front-end (guest 1) ----

# The netdev of virtio_net on a virtio device of the IVSHMEM PCI device
fe_if() {
	for v in /sys/bus/virtio/drivers/virtio_net/virtio*; do
		[ -e "$v" ] || continue
		p=$(dirname "$(readlink -f "$v")")
		[ "$(cat "$p/vendor" 2>/dev/null)" = 0x110a ] || continue
		[ "$(cat "$p/device" 2>/dev/null)" = 0x4106 ] || continue
		for d in "$v"/net/*; do
			[ -e "$d" ] && basename "$d" && return 0
		done
	done
	return 1
}

fe_gone() { ! fe_if >/dev/null; }

fe_up() {	# fe_up: wait for the netdev, address it; sets IF, IFX
	wait_for "$T" fe_if >/dev/null || return 1
	IF=$(fe_if) || return 1
	IFX=$(cat "/sys/class/net/$IF/ifindex")
	ip addr add "$FE_IP/24" dev "$IF" && ip link set "$IF" up &&
	wait_for "$T" reaches "$BE_IP"
}

frontend() {
	modprobe virtio_net || return 1
	modprobe virtio_ivshmem || return 1
	mkdir -p "$D"
	iperf3 -s -D >/dev/null 2>&1

	check "virtio-net device up, back-end reachable" fe_up || return 1
	echo "# $IF: $(ethtool -i "$IF" | grep -E '^(driver|bus-info)' |
		tr '\n' ' ')mtu $(cat "/sys/class/net/$IF/mtu")"
	ping_sizes "$IF" "$BE_IP"
	barrier 1
	send_data "$BE_IP" 7401
	barrier 2
	receive_md5 7402
	check "stream back-end -> front-end, checksum" stream_ok
	check "iperf3 front-end -> back-end" iperf "$BE_IP" "front-end -> back-end"
	check "iperf3 back-end -> front-end" iperf "$BE_IP" "back-end -> front-end" -R
	barrier 3

	if [ "$MODE" = full ]; then
		old=$IFX
		check "netdev removed when the back-end dies" \
			wait_for "$T" fe_gone
		check "netdev back for the new back-end" fe_up || return 1
		check "a new netdev" [ "$IFX" != "$old" ]
		check "iperf3 after back-end restart" \
			iperf "$BE_IP" "after restart"
		check "front-end module unload" rmmod virtio_ivshmem
		check "netdev gone with the module" fe_gone
		check "front-end module reload" modprobe virtio_ivshmem
		check "netdev back after reload, back-end reachable" fe_up
		barrier 4
		ping_sizes "$IF" "$BE_IP"
		barrier 5
		check "dmesg: removed and registered again" \
			[ "$(dmesg | grep -c 'virtio_ivshmem.*virtio device 1 registered')" -ge 3 ]
	fi
	# the back-end stops after the last barrier
	check "netdev removed when the back-end stops" wait_for "$T" fe_gone
	check "no queue counted broken by the back-end" no_broken_queue
	check "dmesg clean" dmesg_clean
}

cd "$(dirname "$0")" || exit 1
echo "TAP version 13"
if [ ! -d /sys/bus/pci/devices ] ||
   ! grep -qil 0x4106 /sys/bus/pci/devices/*/device; then
	echo "1..0 # SKIP no IVSHMEM v2 device"
	exit 4
fi
case ${VMTEST_INDEX:-0} in
0) backend || rc=1 ;;
*) frontend || rc=1 ;;
esac
echo "1..$n"
exit $rc
