#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# ivshmem-net module reload loop under traffic, on both ends of a 2-guest
# link of protocol 0001h. Guest 0 unloads and reloads ivshmem-net
# IVSHMEM_RELOAD_CYCLES times (default 50) while both guests send pings,
# at a random point of that traffic; after each reload the link must
# carry traffic again. Guest 1 keeps its driver and must have seen every
# reload as a link reset. Then the roles swap. At the end both unload the
# driver: no interface and no interrupt may be left.

cd "$(dirname "$0")" || exit 1
. ./ivshmem_net_lib.sh

N=${IVSHMEM_RELOAD_CYCLES:-50}

if [ "${VMTEST_COUNT:-1}" -lt 2 ]; then
	echo "SKIP: needs a second guest"
	exit $ksft_skip
fi

# meet PORT: both guests meet over the link; up to 30 minutes
meet() {
	if [ "$IDX" = 0 ]; then
		timeout 1800 nc -l -p "$1" </dev/null >/dev/null
	else
		wait_for 1800 sh -c "echo x | nc -w 2 $PEER_IP $1 \
			>/dev/null 2>&1"
	fi
}

reloader() {
	i=0
	t0=$(cut -d. -f1 /proc/uptime)
	while [ $i -lt "$N" ]; do
		ping -i 0.01 -s 1000 -c 200 "$PEER_IP" >/dev/null 2>&1 &
		p=$!
		sleep "0.$(($(od -An -N1 -tu1 /dev/urandom) % 10))"
		if ! rmmod ivshmem-net; then
			log "cycle $i: rmmod failed"
			break
		fi
		wait $p
		if ! net_setup || ! wait_for 120 peer_reachable; then
			log "cycle $i: the link did not come back"
			break
		fi
		i=$((i + 1))
	done
	log "$i reloads in $(($(cut -d. -f1 /proc/uptime) - t0)) s"
	tap "net_reload_${N}_cycles_$VMTEST_NAME" test $i = "$N"
}

stayer() {
	resets0=$(stat link_resets)
	ping -i 0.01 -s 500 "$PEER_IP" >/dev/null 2>&1 &
	p=$!
	meet "$1"
	kill $p
	resets=$(($(stat link_resets) - resets0))
	log "link_resets $resets, counters: $(ethtool -S "$IF" | awk \
		'NR > 1 { printf "%s%s", $1, $2 " " }')"
	tap "net_reload_${VMTEST_NAME}_saw_each_peer_reload ($resets >= $N)" \
		test "$resets" -ge "$N"
	tap "net_reload_${VMTEST_NAME}_ping_sizes" sh -c \
		"ping -c 2 -W 5 -s 1400 $PEER_IP >/dev/null &&
		 ping -c 2 -W 5 -s 36 $PEER_IP >/dev/null"
}

net_setup || { tap_fail "net_reload_driver_loads"; exit 1; }
tap "net_reload_link_up" wait_for 120 peer_reachable
for phase in 0 1; do
	if [ "$IDX" = $phase ]; then
		reloader
		meet $((7400 + phase))
	else
		stayer $((7400 + phase))
	fi
done

meet 7402
rmmod ivshmem-net
tap "net_reload_unload_leaves_nothing" sh -c \
	"! grep -q ivshmem-net /proc/interrupts && ! ls $DRV/*/net \
		>/dev/null 2>&1"
tap "kernel log clean" kernel_log_clean
exit $FAILED
