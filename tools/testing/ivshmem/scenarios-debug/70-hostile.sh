# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Hostile peer at scale for ivshmem-net and uio_ivshmem, sourced by
# ../check-debug (virtio: 72-virtio-hostile.sh). Guest 1 mutates, with a
# seeded generator, everything of the link it can reach while guest 0, the
# victim, runs traffic; both report over a side channel (vmtest -N).
# IVSHMEM_MUTATIONS (default 100000) mutations per driver, IVSHMEM_SEED
# (default 1). The victim runs IVSHMEM_FAULT_KERNEL (default debug), the
# hostile peer 6.1. See "Fault suite" in
# Documentation/dev-tools/ivshmem/testing.rst.

FK=${IVSHMEM_FAULT_KERNEL:-debug}
MUTATIONS=${IVSHMEM_MUTATIONS:-100000}
SEED=${IVSHMEM_SEED:-1}

hostile_sh() {	# hostile_sh DIR SCRIPT
	printf 'export KSFT_MACHINE_SLOW=1 IVSHMEM_MUTATIONS=%s IVSHMEM_SEED=%s\ncd /opt/ivshmem/tests/drivers/ivshmem/%s && ./%s\n' \
		"$MUTATIONS" "$SEED" "$1" "$2"
}

fault_scenario "net-hostile-$MUTATIONS" \
	"-n 2 -N -k $FK,6.1 -P 1 -t $((MUTATIONS / 100 + 1200))" \
	"$(hostile_sh net ivshmem_net_mutate.sh)"
fault_scenario "uio-hostile-$MUTATIONS" \
	"-n 2 -N -k $FK,6.1 -t $((MUTATIONS / 100 + 1200))" \
	"$(hostile_sh uio uio_ivshmem_mutate.sh)"
