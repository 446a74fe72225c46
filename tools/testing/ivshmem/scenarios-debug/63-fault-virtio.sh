# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Fault suite, virtio_ivshmem (a virtio block link, protocol 8002h; guest
# 0 back-end on uio_ivshmem, guest 1 front-end), sourced by ../check-debug:
# crash loops of the back-end's guest and of the front-end's guest, and
# module reload loops under I/O on both ends
# (tools/testing/selftests/drivers/ivshmem/virtio/virtio_ivshmem_crash.sh
# and virtio_ivshmem_reload.sh). The guest whose driver is checked runs
# IVSHMEM_FAULT_KERNEL (default debug), the killed one 6.1. Counts as in
# 60-fault-net.sh (IVSHMEM_FAULT_CYCLES, IVSHMEM_RELOAD_CYCLES).

FK=${IVSHMEM_FAULT_KERNEL:-debug}
FAULT_CYCLES=${IVSHMEM_FAULT_CYCLES:-100}
RELOAD_CYCLES=${IVSHMEM_RELOAD_CYCLES:-50}
FVIRTIO=/opt/ivshmem/tests/drivers/ivshmem/virtio

fvirtio() {	# fvirtio "ENV..." SCRIPT: a virtio test in the guests
	printf 'export KSFT_MACHINE_SLOW=1 %s\ncd %s && ./%s\n' \
		"$1" "$FVIRTIO" "$2"
}

# the front-end survives the back-end's guest being killed
fault_scenario "virtio-backend-crash-loop-$FAULT_CYCLES" \
	"-n 2 -k 6.1,$FK -P 0x8002 -r 1M -o 0 -R 0:$FAULT_CYCLES -t $((FAULT_CYCLES * 60 + 600))" \
	"$(fvirtio "" virtio_ivshmem_crash.sh)"
# the back-end survives the front-end's guest being killed
fault_scenario "virtio-frontend-crash-loop-$FAULT_CYCLES" \
	"-n 2 -k $FK,6.1 -P 0x8002 -r 1M -o 0 -R 1:$FAULT_CYCLES -t $((FAULT_CYCLES * 60 + 600))" \
	"$(fvirtio "" virtio_ivshmem_crash.sh)"
# two phases of RELOAD_CYCLES; a cycle took 80 s at load 7
fault_scenario "virtio-reload-loop-$RELOAD_CYCLES" \
	"-n 2 -k $FK -P 0x8002 -r 1M -o 0 -t $((RELOAD_CYCLES * 2 * 100 + 600))" \
	"$(fvirtio "IVSHMEM_RELOAD_CYCLES=$RELOAD_CYCLES" virtio_ivshmem_reload.sh)"
