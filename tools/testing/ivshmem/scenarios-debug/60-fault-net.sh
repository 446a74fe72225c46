# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Fault suite, ivshmem-net (protocol 0001h), sourced by ../check-debug:
# peer crash loop, module reload loop under traffic on both ends, and the
# interconnect server killed and restarted under the guests. See "Fault
# suite" in Documentation/dev-tools/ivshmem/testing.rst.
#
# The guest whose driver is checked runs IVSHMEM_FAULT_KERNEL (default
# debug); a guest that is only killed and booted again runs 6.1, which
# boots fastest. Counts: IVSHMEM_FAULT_CYCLES (default 100) crashes,
# IVSHMEM_RELOAD_CYCLES (default 50) reloads per end.

FK=${IVSHMEM_FAULT_KERNEL:-debug}
FAULT_CYCLES=${IVSHMEM_FAULT_CYCLES:-100}
RELOAD_CYCLES=${IVSHMEM_RELOAD_CYCLES:-50}
FNET=/opt/ivshmem/tests/drivers/ivshmem/net

fnet() {	# fnet "ENV..." SCRIPT: a net test in the guests
	printf 'export KSFT_MACHINE_SLOW=1 %s\ncd %s && ./%s\n' "$1" "$FNET" "$2"
}

# vmtest kills g1 at a random point of the traffic, FAULT_CYCLES times
fault_scenario "net-crash-loop-$FAULT_CYCLES" \
	"-n 2 -k $FK,6.1 -P 1 -R 1:$FAULT_CYCLES -t $((FAULT_CYCLES * 60 + 600))" \
	"$(fnet "" ivshmem_net_crash.sh)"
# both guests check their driver here: both on the debug kernel; each
# end's reloads took 40 s apiece at load 14
fault_scenario "net-reload-loop-$RELOAD_CYCLES" \
	"-n 2 -k $FK -P 1 -t $((RELOAD_CYCLES * 2 * 60 + 600))" \
	"$(fnet "IVSHMEM_RELOAD_CYCLES=$RELOAD_CYCLES" ivshmem_net_reload.sh)"
for sig in KILL TERM; do
	fault_scenario "net-server-restart-$sig" \
		"-n 2 -k $FK,6.1 -P 1 -R 1:1 -t 900" \
		"$(fnet "SERVER_SIGNAL=$sig" ivshmem_net_server.sh)"
done
