#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# ivshmem-net peer crash loop, run by vmtest -R 1:CYCLES on a 2-guest link
# of protocol 0001h: vmtest kills guest 1 (SIGKILL of its QEMU) at a random
# point while traffic flows both ways and boots it again, CYCLES times,
# while guest 0 keeps running.
#
# Each incarnation C of guest 1 brings ivshmem-net up and reports "cycle C"
# to guest 0 over the link (TCP); guest 0 pings it back before it answers.
# Then guest 1 floods guest 0 with pings and arms the kill. Guest 0 sends
# pings all along, checks that every incarnation reported, in order, and at
# the end that every crash was a link reset, that the link carries all
# frame sizes and that its kernel log is clean. Only the last incarnation
# and guest 0 print TAP lines; the others print diagnostics.

cd "$(dirname "$0")" || exit 1
. ./ivshmem_net_lib.sh

PORT=7100
CYCLES=${VMTEST_RESPAWN#*:}
REPORTS=/tmp/crash-reports

if [ -z "$VMTEST_RESPAWN" ] || [ "${VMTEST_RESPAWN%%:*}" != 1 ]; then
	echo "SKIP: needs vmtest -n 2 -R 1:CYCLES"
	exit $ksft_skip
fi

# report C: tell guest 0 that incarnation C is up; it answers "ok C" once
# it could ping us
# shellcheck disable=SC2317 # called through wait_for
report() {
	[ "$(echo "cycle $1" | nc -w 10 "$PEER_IP" "$PORT" 2>/dev/null)" = "ok $1" ]
}

respawned() {
	c=$VMTEST_CYCLE

	net_setup || { echo "# cycle $c: ivshmem-net did not come up"; exit 1; }
	if ! wait_for 120 report "$c"; then
		echo "# cycle $c: guest 0 did not answer, carrier $(cat \
			/sys/class/net/"$IF"/carrier)"
		exit 1
	fi
	# traffic towards guest 0 when the kill comes
	ping -i 0.01 -s 1000 "$PEER_IP" >/dev/null 2>&1 &
	pingpid=$!
	if [ "$c" -lt "$CYCLES" ]; then
		echo "# cycle $c: link up, traffic running"
		echo VMTEST-RESPAWN-ARM
		while :; do sleep 60; done
	fi
	tap_ok "crash_respawned_last_incarnation_$c"
	barrier 1
	kill $pingpid 2>/dev/null
}

# The answer to one report, run by nc for each connection
write_handler() {
	cat > /tmp/crash-handler <<-EOF
	#!/bin/sh
	read -r line
	c=\${line#cycle }
	if /usr/bin/ping -c 2 -W 5 $PEER_IP >/dev/null 2>&1; then
		read -r up _ </proc/uptime
		echo "\$c \$up" >>$REPORTS
		echo "ok \$c"
	else
		echo "no ping \$c"
	fi
	EOF
	chmod +x /tmp/crash-handler
}

survivor() {
	net_setup || { tap_fail "crash_survivor_driver_loads"; exit 1; }
	: >$REPORTS
	write_handler
	nc -ll -p $PORT -e /tmp/crash-handler &
	ncpid=$!
	ping -i 0.02 -s 500 "$PEER_IP" >/dev/null 2>&1 &
	pingpid=$!
	resets0=$(stat link_resets)

	next=0
	t0=$(cut -d' ' -f1 /proc/uptime)
	while [ $next -le "$CYCLES" ]; do
		if ! wait_for 600 grep -q "^$next " $REPORTS; then
			log "cycle $next: the peer did not come back"
			break
		fi
		up=$(sed -n "s/^$next //p" $REPORTS | head -n 1)
		log "cycle $next: peer back at ${up}s, link_resets $(($(stat \
			link_resets) - resets0))"
		next=$((next + 1))
	done
	kill $pingpid $ncpid 2>/dev/null

	# every incarnation reported once, in order
	seq 0 "$CYCLES" >/tmp/crash-want
	cut -d' ' -f1 $REPORTS | uniq >/tmp/crash-got
	tap "net_crash_loop_${CYCLES}_cycles" cmp -s /tmp/crash-want \
		/tmp/crash-got
	log "$((next > 0 ? next - 1 : 0)) of $CYCLES crashes survived in $(awk \
		-v t="$t0" '{ printf "%d", $1 - t }' /proc/uptime) s"

	resets=$(($(stat link_resets) - resets0))
	log "link_resets $resets, counters: $(ethtool -S "$IF" | awk \
		'NR > 1 { printf "%s%s", $1, $2 " " }')"
	tap "net_crash_each_crash_resets_link ($resets >= $CYCLES)" \
		test "$resets" -ge "$CYCLES"
	tap "net_crash_peer_states_defined" test "$(stat peer_bad_state)" = 0
	tap "net_crash_final_ping_sizes" sh -c \
		"ping -c 3 -W 5 -s 1400 $PEER_IP >/dev/null &&
		 ping -c 3 -W 5 -s 36 $PEER_IP >/dev/null"
	barrier 1
	tap "net_crash_driver_unloads" rmmod ivshmem-net
}

if [ "$IDX" = 0 ]; then survivor; else respawned; fi
tap "kernel log clean" kernel_log_clean
exit $FAILED
