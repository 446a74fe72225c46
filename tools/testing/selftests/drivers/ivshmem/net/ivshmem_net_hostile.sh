#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# ivshmem-net against a hostile peer. Run in two guests on one link:
# guest 0 is the victim (ivshmem-net, sends traffic all along), guest 1
# binds the device to uio_ivshmem through driver_override and runs
# ivshmem_net_peer, which breaks the protocol in every way it knows. Then
# guest 1 switches to ivshmem-net and the link must work again.

cd "$(dirname "$0")" || exit 1
. ./ivshmem_net_lib.sh

SECS=${HOSTILE_SECS:-3}
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

counters() {
	for c in rx_packets rx_invalid_desc rx_length_errors ring_errors \
		 link_resets peer_bad_state tx_packets; do
		printf '%s=%s ' "$c" "$(stat $c)"
	done
}

victim() {
	net_load || { tap_fail "victim: driver loads"; exit 1; }
	# while the interface is down, so before the link can reach RUN: the
	# peer attacks as soon as it does, and a slow guest would count its
	# first phase in here
	before=$(counters)
	log "before: $before"
	net_up || { tap_fail "victim: interface up"; exit 1; }
	tap "victim: carrier with the hostile peer" wait_for 60 carrier_is 1
	ip neigh replace "$FAKE_IP" lladdr 02:00:00:00:00:99 dev "$IF" \
		nud permanent
	# traffic all along: frames into a ring the peer abuses
	ping -i 0.01 -s 500 "$FAKE_IP" >/dev/null 2>&1 &
	pid=$!
	# the peer is back as a real ivshmem-net when it answers
	if wait_for 180 peer_reachable; then
		tap_ok "victim: ping works after the peer reset"
	else
		tap_fail "victim: ping works after the peer reset"
	fi
	kill $pid
	after=$(counters)
	log "after:  $after"
	v() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
	for c in rx_invalid_desc rx_length_errors ring_errors link_resets \
		 peer_bad_state rx_packets; do
		tap "victim: counter $c moved" \
			test "$(v "$after" $c)" -gt "$(v "$before" $c)"
	done
	tap "victim: ping sizes after recovery" sh -c \
		"ping -c 2 -W 2 -s 1400 $PEER_IP >/dev/null &&
		 ping -c 2 -W 2 -s 36 $PEER_IP >/dev/null"
	barrier 1
}

hostile() {
	modprobe uio_ivshmem || { tap_fail "hostile: uio_ivshmem loads"; exit 1; }
	echo uio_ivshmem > "/sys/bus/pci/devices/$PCI/driver_override"
	echo "$PCI" > /sys/bus/pci/drivers_probe
	tap "hostile: uio_ivshmem bound via driver_override" \
		test -e "/sys/bus/pci/drivers/uio_ivshmem/$PCI"
	tap "hostile: attack phases ran" ./ivshmem_net_peer -d "$PCI" -t "$SECS"
	echo "$PCI" > /sys/bus/pci/drivers/uio_ivshmem/unbind
	echo > "/sys/bus/pci/devices/$PCI/driver_override"
	rmmod uio_ivshmem
	net_setup || { tap_fail "hostile: ivshmem-net takes over"; exit 1; }
	tap_ok "hostile: ivshmem-net takes over"
	tap "hostile: ping the victim" wait_for 60 peer_reachable
	barrier 1
}

if [ "$IDX" = 0 ]; then victim; else hostile; fi
tap "kernel log clean" kernel_log_clean
exit $FAILED
