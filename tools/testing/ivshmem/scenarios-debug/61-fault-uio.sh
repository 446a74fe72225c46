# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Fault suite, uio_ivshmem (a user-space protocol over it,
# uio_ivshmem_peer), sourced by ../check-debug: peer crash loop, module
# reload loop under doorbell traffic on both ends, and the interconnect
# server killed and restarted under the guests. See "Fault suite" in
# Documentation/dev-tools/ivshmem/testing.rst. Kernels and counts as in
# 60-fault-net.sh (IVSHMEM_FAULT_KERNEL, IVSHMEM_FAULT_CYCLES,
# IVSHMEM_RELOAD_CYCLES).

FK=${IVSHMEM_FAULT_KERNEL:-debug}
FAULT_CYCLES=${IVSHMEM_FAULT_CYCLES:-100}
RELOAD_CYCLES=${IVSHMEM_RELOAD_CYCLES:-50}
FUIO=/opt/ivshmem/tests/drivers/ivshmem/uio

fuio() {	# fuio "ENV..." SCRIPT: a uio test in the guests
	printf 'export KSFT_MACHINE_SLOW=1 %s\ncd %s && ./%s\n' "$1" "$FUIO" "$2"
}

fault_scenario "uio-crash-loop-$FAULT_CYCLES" \
	"-n 2 -k $FK,6.1 -R 1:$FAULT_CYCLES -t $((FAULT_CYCLES * 60 + 600))" \
	"$(fuio "" uio_ivshmem_crash.sh)"
fault_scenario "uio-reload-loop-$RELOAD_CYCLES" \
	"-n 2 -k $FK -t $((RELOAD_CYCLES * 40 + 600))" \
	"$(fuio "IVSHMEM_RELOAD_CYCLES=$RELOAD_CYCLES" uio_ivshmem_reload_loop.sh)"
for sig in KILL TERM; do
	fault_scenario "uio-server-restart-$sig" \
		"-n 2 -k $FK,6.1 -R 1:1 -t 900" \
		"$(fuio "SERVER_SIGNAL=$sig" uio_ivshmem_server.sh)"
done
