# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# virtio_ivshmem: a virtio console between two guests of a link with
# protocol 8003h (guest 0 back-end on uio_ivshmem, guest 1 front-end),
# transfers both ways with checksums, back-end killed and restarted in the
# middle of a transfer, front-end module reload, INTx. Sourced by ../check:
# scenario NAME "VMTEST OPTIONS" "GUEST SCRIPT".

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
