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
# virtio-hostile-next does the same with seed HOSTILE_SEED + 1 and NEXT set
# in the descriptors it mutates (HOSTILE_NEXT=1).

hostile_scale_sh() {	# hostile_scale_sh SEED ENV: the guest script
	printf 'export KSFT_MACHINE_SLOW=yes\n'
	printf 'export HOSTILE_BURST=2000 HOSTILE_LONG=1 %s\n' "$2"
	printf 'export IVSHMEM_MUTATIONS=%s HOSTILE_SEED=%s\n' \
		"${IVSHMEM_MUTATIONS:-100000}" "$1"
	printf 'cd /opt/ivshmem/tests/drivers/ivshmem/virtio || exit 1\n'
	printf './virtio_ivshmem_hostile.sh\n'
}

scenario virtio-hostile-scale \
	"-n 2 -k 6.12 -V 3 -P 0x8003 -r 256K -o 0 -t 10800" \
	"$(hostile_scale_sh "${HOSTILE_SEED:-1}" "")"
# The same with VRING_DESC_F_NEXT set in mutated descriptors: passes only
# with kernel-patches/0002 (virtio_ring walks chains with its own flags);
# without it, virtio_ring's free count goes wrong and BUG()s at teardown.
scenario virtio-hostile-next \
	"-n 2 -k 6.12 -V 3 -P 0x8003 -r 256K -o 0 -t 10800" \
	"$(hostile_scale_sh "$((${HOSTILE_SEED:-1} + 1))" HOSTILE_NEXT=1)"
