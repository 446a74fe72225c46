#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# ivshmem-net against a hostile peer at scale. Two guests on one link of
# protocol 0001h with a side channel (vmtest -N): guest 0 is the victim
# (ivshmem-net, sends traffic all along), guest 1 binds the device to
# uio_ivshmem and runs ivshmem_net_peer:
#
#   account  inputs with an exact effect on the victim's counters; the
#            victim compares its counters before and after with what the
#            peer says it sent
#   mutate   IVSHMEM_MUTATIONS (default 100000) seeded mutations
#            (IVSHMEM_SEED, default 1) of rings, descriptors, lengths,
#            offsets, frames, states and doorbells, with link resets; the
#            victim's error counters must all have moved
#   honest   a correct peer: the victim's traffic must flow again
#
# Then guest 1 switches to ivshmem-net and the link must work. Guest 1
# reports over the side channel, which also takes the victim's counter
# snapshots between the phases.

cd "$(dirname "$0")" || exit 1
. ./ivshmem_net_lib.sh

N=${IVSHMEM_MUTATIONS:-100000}
SEED=${IVSHMEM_SEED:-1}
FAKE_IP=10.99.0.99

ivshmem_pci() {
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor")" = 0x110a ] &&
			[ "$(cat "$d/class")" = 0xff0001 ] &&
			{ basename "$d"; return 0; }
	done
	return 1
}

PCI=$(ivshmem_pci) || { echo "SKIP: no protocol 0001h device"; exit $ksft_skip; }
if [ "${VMTEST_COUNT:-1}" -lt 2 ]; then
	echo "SKIP: needs a second guest"
	exit $ksft_skip
fi
if ! ctl_up; then
	echo "SKIP: no side channel (vmtest -N)"
	exit $ksft_skip
fi

# delta COUNTER FROM TO: the change of a counter between two snapshots
delta() { echo $(($(snap_val "$3" "$1") - $(snap_val "$2" "$1"))); }

victim() {
	net_setup || { tap_fail "net_hostile_victim_driver_loads"; exit 1; }
	ctl_serve
	ip neigh replace "$FAKE_IP" lladdr 02:00:00:00:00:99 dev "$IF" \
		nud permanent
	# traffic all along: frames into a ring the peer abuses
	ping -i 0.01 -s 500 "$FAKE_IP" >/dev/null 2>&1 &
	pid=$!
	if ! wait_for 7200 grep -q '^DONE' $CTL_LOG; then
		tap_fail "net_hostile_peer_finished"
		kill $pid
		return
	fi

	# exact accounting: "ACCOUNT counter=N" or "ACCOUNT counter>=N"
	grep '^ACCOUNT ' $CTL_LOG > /tmp/account
	while read -r _ what; do
		c=${what%%[>=]*}
		want=${what##*=}
		got=$(delta "$c" s0 s1)
		case $what in
		*">="*) tap "net_hostile_account_$c ($got >= $want)" \
				test "$got" -ge "$want" ;;
		*) tap "net_hostile_account_$c ($got = $want)" \
				test "$got" -eq "$want" ;;
		esac
	done < /tmp/account
	[ "$(grep -c '^ACCOUNT ' $CTL_LOG)" -ge 6 ]
	tap "net_hostile_account_complete" test $? = 0

	# the mutations: every kind of bad input was seen and dropped
	n=$(sed -n 's/^MUTATIONS //p' $CTL_LOG)
	log "after ${n:-no} mutations (seed $SEED): $(for c in rx_packets \
		rx_invalid_desc rx_length_errors ring_errors link_resets \
		peer_bad_state tx_packets; do
			printf '%s +%s ' $c "$(delta $c s1 s2)"
		done)"
	tap "net_hostile_${N}_mutations" test "${n:-0}" -ge "$N"
	for c in rx_invalid_desc rx_length_errors ring_errors link_resets \
		 peer_bad_state; do
		tap "net_hostile_mutations_counted_$c" \
			test "$(delta $c s1 s2)" -gt 0
	done
	# the honest phase, for a failure of its checks: where the victim's
	# frames went (h: a snapshot 5 s into the phase)
	log "honest phase: $(for c in tx_packets tx_dropped tx_queue_stopped \
		link_resets qdisc_sent qdisc_dropped; do
			printf '%s +%s ' $c "$(delta $c s2 s3)"
		done)"
	log "honest phase, after 5 s: carrier $(snap_val h carrier)," \
		"qdisc backlog $(snap_val h qdisc_backlog);" \
		"ping $(kill -0 $pid 2>/dev/null && echo running || echo gone)"
	# the honest peer got frames through
	tap "net_hostile_traffic_resumed_rx (+$(delta rx_packets s2 s3))" \
		test "$(delta rx_packets s2 s3)" -gt 0
	tap "net_hostile_traffic_resumed_tx (+$(delta tx_packets s2 s3))" \
		test "$(delta tx_packets s2 s3)" -gt 0

	kill $pid
	tap "net_hostile_link_after_${N}_mutations" wait_for 120 \
		peer_reachable
	tap "net_hostile_ping_sizes" sh -c \
		"ping -c 2 -W 5 -s 1400 $PEER_IP >/dev/null &&
		 ping -c 2 -W 5 -s 36 $PEER_IP >/dev/null"
	barrier 1
	kill "$CTL_PID"
}

hostile() {
	P=./ivshmem_net_peer

	modprobe uio_ivshmem || { tap_fail "hostile: uio_ivshmem loads"; exit 1; }
	echo uio_ivshmem > "/sys/bus/pci/devices/$PCI/driver_override"
	echo "$PCI" > /sys/bus/pci/drivers_probe
	tap "hostile: uio_ivshmem bound via driver_override" \
		test -e "/sys/bus/pci/drivers/uio_ivshmem/$PCI"
	# the first line waits for the victim to boot
	if ! ctl_within 1200 SNAP s0; then
		tap_fail "hostile: side channel"
		exit 1
	fi

	$P -d "$PCI" account > /tmp/account
	tap "hostile: account phase" test $? = 0
	cat /tmp/account
	ctl SNAP s1
	grep '^ACCOUNT ' /tmp/account | while read -r line; do
		ctl "$line"
	done

	$P -d "$PCI" -s "$SEED" -n "$N" -r 5000 mutate > /tmp/mutate
	tap "hostile: $N mutations, seed $SEED" test $? = 0
	cat /tmp/mutate
	ctl SNAP s2
	# with a snapshot of the victim 5 s into the phase proper (the
	# handshake before it may take long on a debug kernel)
	$P -d "$PCI" -t 10 honest > /tmp/honest &
	honest=$!
	wait_for 600 grep -q '^# honest: victim in RUN' /tmp/honest &&
		sleep 5 && ctl SNAP h
	wait $honest
	tap "hostile: the victim's traffic resumes after the reset" test $? = 0
	cat /tmp/honest
	ctl SNAP s3
	ctl "$(grep '^MUTATIONS ' /tmp/mutate)"
	ctl DONE

	echo "$PCI" > /sys/bus/pci/drivers/uio_ivshmem/unbind
	echo > "/sys/bus/pci/devices/$PCI/driver_override"
	rmmod uio_ivshmem
	net_setup || { tap_fail "hostile: ivshmem-net takes over"; exit 1; }
	tap_ok "hostile: ivshmem-net takes over"
	tap "hostile: ping the victim" wait_for 120 peer_reachable
	barrier 1
}

if [ "$IDX" = 0 ]; then victim; else hostile; fi
tap "kernel log clean" kernel_log_clean
exit $FAILED
