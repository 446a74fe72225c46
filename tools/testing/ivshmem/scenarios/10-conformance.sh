# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Device conformance suite (no driver bound), sourced by ../check:
#   scenario NAME "VMTEST OPTIONS" "GUEST SCRIPT"

CONF=/opt/ivshmem/tests/drivers/ivshmem/conformance
conf() {	# conf ENV...: the conformance suite with the expected geometry
	printf 'export %s\ncd %s && ./ivshmem_conformance' "$*" "$CONF"
}

scenario conformance-2peer "-n 2 -k 6.1,6.12 -V 2 -P 0x4321 -r 64K -o 64K" \
	"$(conf IVT_PEERS=2 IVT_VECTORS=2 IVT_PROTOCOL=0x4321 \
		IVT_RW_SIZE=0x10000 IVT_OUT_SIZE=0x10000 IVT_DEPART=1)"
scenario conformance-3peer "-n 3 -k 6.12 -V 3 -r 128K -o 16K" \
	"$(conf IVT_PEERS=3 IVT_VECTORS=3 IVT_PROTOCOL=0 \
		IVT_RW_SIZE=0x20000 IVT_OUT_SIZE=0x4000 IVT_DEPART=1)"
scenario conformance-intx "-n 2 -k 6.1 -m intx -p 4 -P 0x7fff -r 64K -o 64K" \
	"$(conf IVT_PEERS=4 IVT_MODE=intx IVT_PROTOCOL=0x7fff \
		IVT_RW_SIZE=0x10000 IVT_OUT_SIZE=0x10000 IVT_DEPART=1)"
scenario conformance-fixed "-n 2 -k 6.12 -F -V 1 -r 64K -o 4K" \
	"$(conf IVT_PEERS=2 IVT_VECTORS=1 IVT_BASE=0x4000000000 \
		IVT_RW_SIZE=0x10000 IVT_OUT_SIZE=0x1000 IVT_DEPART=1)"
# The x-* properties present another geometry than the real one.
scenario presented-geometry "-n 1 -p 2 -k 6.12 -D x-id=7,x-max-peers=3,x-state-table-size=8,x-rw-section-size=0x100000000,x-output-section-size=0x1001" \
	"$(conf IVT_PEERS=2 IVT_SHOW_ID=7 IVT_SHOW_PEERS=3 IVT_SHOW_ST=8 \
		IVT_SHOW_RW=0x100000000 IVT_SHOW_OUT=0x1001) -t presented_geometry"
