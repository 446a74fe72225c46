#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# ivshmem-net while the interconnect server is restarted, run by
# vmtest -n 2 -R 1:1 on a link of protocol 0001h. SERVER_SIGNAL (TERM or
# KILL, default KILL) is how the server dies. The behaviour checked is the
# one documented in Documentation/dev-tools/ivshmem/server.rst:
#
#   1. guest 0 has vmtest kill the server and start a new one; the link
#      between guests 0 and 1 keeps working
#   2. guest 1 reloads its driver: guest 0 still sees that (the reset is a
#      state change guest 1 signals itself) and the link comes back
#   3. vmtest kills guest 1: with no server to clear its state, guest 0
#      does not see it go (carrier stays on, frames get no answer)
#   4. guest 1 boots again and connects to the new server: it is peer 0 of
#      a new link of its own and has no carrier
#   5. guest 0's driver unloads and reloads cleanly
#
# vmtest handles the restart request within a second; guest 0 waits 20 s
# before it relies on it having happened.

cd "$(dirname "$0")" || exit 1
. ./ivshmem_net_lib.sh

SIG=${SERVER_SIGNAL:-KILL}
PORT=7500

if [ "$VMTEST_RESPAWN" != 1:1 ]; then
	echo "SKIP: needs vmtest -n 2 -R 1:1"
	exit $ksft_skip
fi

# tell PORT: guest 0 waits for a word from guest 1 over the link
hear() { timeout 600 nc -l -p "$1" </dev/null; }
say() { wait_for 300 sh -c "echo $2 | nc -w 2 $PEER_IP $1 >/dev/null 2>&1"; }

first() {
	net_setup || { tap_fail "server_restart_driver_loads"; exit 1; }
	tap "server_restart_link_up_before" wait_for 120 peer_reachable
	echo "VMTEST-SERVER-RESTART $SIG"
	sleep 20
	tap "server_restart_${SIG}_link_keeps_working" sh -c \
		"ping -c 5 -W 5 $PEER_IP >/dev/null"

	resets=$(stat link_resets)
	say $PORT reload
	tap "server_restart_peer_reload_seen" wait_for 120 sh -c \
		"[ \$(ethtool -S $IF | awk '\$1 == \"link_resets:\" { print \$2 }') \
		   -gt $resets ]"
	tap "server_restart_link_back_after_peer_reload" wait_for 120 \
		peer_reachable

	# guest 1 arms its kill and is gone within 2 s
	say $((PORT + 1)) die
	sleep 30
	tap "server_restart_dead_peer_not_seen (carrier stays on)" carrier_is 1
	tap "server_restart_dead_peer_does_not_answer" sh -c \
		"! ping -c 3 -W 2 $PEER_IP >/dev/null 2>&1"
	log "counters: $(ethtool -S "$IF" | awk \
		'NR > 1 { printf "%s%s", $1, $2 " " }')"
	tap "server_restart_driver_reloads" sh -c \
		"rmmod ivshmem-net && modprobe ivshmem-net"
}

second_old() {
	net_setup || { echo "# ivshmem-net did not load"; exit 1; }
	# the driver reset guest 0 must see
	hear $PORT >/dev/null
	if ! rmmod ivshmem-net || ! net_setup; then
		echo "# reload failed"
		exit 1
	fi
	wait_for 120 peer_reachable || echo "# link not back after the reload"
	hear $((PORT + 1)) >/dev/null
	echo VMTEST-RESPAWN-ARM
	while :; do sleep 60; done
}

second_new() {
	net_setup || { tap_fail "server_restart_new_guest_driver_loads"; exit 1; }
	tap "server_restart_new_guest_is_peer_0_of_a_new_link" sh -c \
		"dmesg | grep -q 'ivshmem-net .*: peer 0 of 2'"
	sleep 10
	tap "server_restart_new_guest_alone (no carrier)" carrier_is 0
}

if [ "$IDX" = 0 ]; then
	first
elif [ "$VMTEST_CYCLE" = 0 ]; then
	second_old
else
	second_new
fi
tap "kernel log clean" kernel_log_clean
exit $FAILED
