# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# virtio_ivshmem: a virtio console between two guests of a link with
# protocol 8003h (guest 0 back-end on uio_ivshmem, guest 1 front-end),
# transfers both ways with checksums, back-end killed and restarted in the
# middle of a transfer, front-end module reload, INTx. The same for
# virtio-net (protocol 8001h, back-end bridged to a TAP device): ping,
# checksummed streams and iperf3 both ways; the full run also kills
# the back-end mid-transfer and reloads the front-end module. And
# virtio-blk (protocol 8002h, a 32 MiB image on the back-end): mkfs, files
# and checksums compared with the image, dd; the full run also
# discards, kills the back-end mid-transfer, reloads the front-end module
# and serves the image read-only. And a hostile console back-end
# (virtio_ivshmem_hostile, 1000 seeded mutations of header, rings, state
# and write transactions, resets in between): the front-end must come back
# every time, echo a line at the end, count what it refused, and keep its
# kernel log clean; on 6.12 with MSI-X and on 6.1 with INTx. The INTx
# runs put the front-end on 6.1 (-k 6.12,6.1: guest 1 runs 6.1), so net
# and block run their full tests on 6.1 there only; the console also with
# MSI-X on 6.1.
# Sourced by ../check: scenario NAME "VMTEST OPTIONS" "GUEST SCRIPT".

VIRTIO=/opt/ivshmem/tests/drivers/ivshmem/virtio
virtio_sh() {	# virtio_sh basic|full
	printf 'export KSFT_MACHINE_SLOW=yes\ncd %s || exit 1\n./virtio_ivshmem_console.sh %s\n' \
		"$VIRTIO" "$1"
}

scenario virtio-console-6.1 "-n 2 -k 6.1 -V 3 -P 0x8003 -r 256K -o 0" \
	"$(virtio_sh full)"
scenario virtio-console-6.12 "-n 2 -k 6.12 -V 3 -P 0x8003 -r 256K -o 0" \
	"$(virtio_sh full)"
scenario virtio-console-intx "-n 2 -k 6.12,6.1 -m intx -P 0x8003 -r 256K -o 0" \
	"$(virtio_sh full)"

vnet_sh() {	# vnet_sh basic|full
	printf 'export KSFT_MACHINE_SLOW=yes\ncd %s || exit 1\n./virtio_ivshmem_net.sh %s\n' \
		"$VIRTIO" "$1"
}

scenario virtio-net-6.12 "-n 2 -k 6.12 -V 3 -P 0x8001 -r 4M -o 0 -t 900" \
	"$(vnet_sh full)"
scenario virtio-net-intx "-n 2 -k 6.12,6.1 -m intx -P 0x8001 -r 4M -o 0 -t 600" \
	"$(vnet_sh full)"

vblk_sh() {	# vblk_sh basic|full
	printf 'export KSFT_MACHINE_SLOW=yes\ncd %s || exit 1\n%s %s\n' \
		"$VIRTIO" ./virtio_ivshmem_block.sh "$1"
}

scenario virtio-block-6.12 "-n 2 -k 6.12 -P 0x8002 -r 1M -o 0 -t 600" \
	"$(vblk_sh full)"
scenario virtio-block-intx \
	"-n 2 -k 6.12,6.1 -m intx -P 0x8002 -r 1M -o 0 -t 600" \
	"$(vblk_sh full)"

hostile_sh() {	# hostile_sh MUTATIONS
	printf 'export KSFT_MACHINE_SLOW=yes IVSHMEM_MUTATIONS=%s\n' "$1"
	printf 'cd %s || exit 1\n./virtio_ivshmem_hostile.sh\n' "$VIRTIO"
}

scenario virtio-hostile-6.12 \
	"-n 2 -k 6.12 -V 3 -P 0x8003 -r 256K -o 0 -t 600" "$(hostile_sh 1000)"
scenario virtio-hostile-intx \
	"-n 2 -k 6.12,6.1 -m intx -P 0x8003 -r 256K -o 0 -t 600" \
	"$(hostile_sh 1000)"
