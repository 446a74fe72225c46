# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# virtio_ivshmem against the hostile console back-end at scale, sourced by
# ../check-debug: scenario NAME "VMTEST OPTIONS" "GUEST SCRIPT".
# IVSHMEM_MUTATIONS (default 100000) seeded mutations of header, rings,
# state and write transactions (HOSTILE_SEED, default 1), 2000 per session,
# one write transaction held past the front-end's timeout, while console
# bytes flow; between sessions the back-end resets and behaves. Pass: the
# console comes back after every reset, a line round-trips at the end, the
# counters moved, and no KASAN, lockdep, kmemleak or other report
# (tools/testing/selftests/drivers/ivshmem/virtio/virtio_ivshmem_hostile.sh).

hostile_scale_sh() {
	printf 'export KSFT_MACHINE_SLOW=yes\n'
	printf 'export HOSTILE_BURST=2000 HOSTILE_LONG=1\n'
	printf 'export IVSHMEM_MUTATIONS=%s HOSTILE_SEED=%s\n' \
		"${IVSHMEM_MUTATIONS:-100000}" "${HOSTILE_SEED:-1}"
	printf 'cd /opt/ivshmem/tests/drivers/ivshmem/virtio || exit 1\n'
	printf './virtio_ivshmem_hostile.sh\n'
}

scenario virtio-hostile-scale \
	"-n 2 -k 6.12 -V 3 -P 0x8003 -r 256K -o 0 -t 10800" \
	"$(hostile_scale_sh)"
