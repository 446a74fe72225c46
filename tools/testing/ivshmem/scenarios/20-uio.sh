# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# uio_ivshmem: single-guest suite, tests between guests of one link, INTx,
# fixed-address mode, no R/W section, protocol binding, probe refusal of
# bad geometries, module reload under use and doorbell ping-pong. Sourced
# by ../check: scenario NAME "VMTEST OPTIONS" "GUEST SCRIPT".

UIO=/opt/ivshmem/tests/drivers/ivshmem/uio
# guest script prologue: slow-machine timeouts, tests dir, fail on any error
uio_sh() {
	local IFS=$'\n'

	# shellcheck disable=SC2016 # expanded in the guest
	printf 'export KSFT_MACHINE_SLOW=yes\ncd %s || exit 1\nrc=0\n%s\nexit $rc\n' \
		"$UIO" "$*"
}
# a step of a guest script that counts as failed if it exits non-zero
UIO_SINGLE='./uio_ivshmem_test || rc=1'
# with other guests on the link: only guest 0, the others' state changes
# would disturb its doorbells to itself (INTx has one vector for both)
# shellcheck disable=SC2016 # expanded in the guest
UIO_SINGLE0='[ "$VMTEST_INDEX" != 0 ] || ./uio_ivshmem_test || rc=1'
UIO_LINK='./uio_ivshmem_link_test || rc=1'
UIO_LOAD='modprobe uio_ivshmem || rc=1'
uio_bind() {	# uio_bind bind|nobind
	echo "./uio_ivshmem_bind.sh $1 || rc=1"
}

# Single guest, each kernel; protocols at the ends of the matching ranges
scenario uio-single-6.1 "-n 1 -k 6.1 -V 4 -P 0x4000" \
	"$(uio_sh "$(uio_bind bind)" "$UIO_SINGLE")"
scenario uio-single-6.12 "-n 1 -k 6.12 -V 4 -P 0xffff" \
	"$(uio_sh "$(uio_bind bind)" "$UIO_SINGLE")"

# Two guests, 6.1 and 6.12 mixed: link tests, then doorbell ping-pong
scenario uio-link-2 "-n 2 -k 6.1,6.12 -V 2" \
	"$(uio_sh "$UIO_LOAD" "$UIO_LINK" \
		'./uio_ivshmem_pingpong.sh || rc=1')"

# Three guests: every doorbell wakes only its target
scenario uio-link-3 "-n 3 -k 6.12,6.1,6.12 -V 3 -P 0x4001 -r 128K -o 16K" \
	"$(uio_sh "$(uio_bind bind)" "$UIO_LINK")"

# INTx: one vector, shared with state changes
scenario uio-intx "-n 2 -k 6.1,6.12 -m intx -P 0x7fff" \
	"$(uio_sh "$(uio_bind bind)" "$UIO_SINGLE0" "$UIO_LINK")"

# Fixed-address mode; a third guest's Base Address range wraps around
# shellcheck disable=SC2016 # expanded in the guest
scenario uio-fixed "-n 3 -k 6.12,6.1 -F -V 2 -r 64K -o 8K -P 0x5555 -D g2:x-rw-section-size=0xffffffff00000000" \
	"$(uio_sh 'if [ "$VMTEST_INDEX" = 2 ]; then' \
		"./uio_ivshmem_probe.sh fixed_wrap 'Base Address 0x4000000000 .* is not a usable physical address range' || rc=1" \
		'else export IVSHMEM_PEERS=2' "$UIO_LOAD" \
		"$UIO_SINGLE0" "$UIO_LINK" 'fi')"

# No R/W section
scenario uio-no-rw "-n 2 -k 6.12,6.1 -V 2 -r 0 -o 64K" \
	"$(uio_sh "$UIO_LOAD" "$UIO_SINGLE0" "$UIO_LINK")"

# Probe refusal: one bad geometry per guest, the real link is valid.
# Protocols that do not bind on their own; guest 0 of each run checks that
# and binds through driver_override, the others are probed that way.
uio_probe() {	# uio_probe "NAME REGEX" ...: one per guest from guest 1 on
	local i=1 s

	# shellcheck disable=SC2016 # expanded in the guest
	s='case $VMTEST_INDEX in 0)'" $(uio_bind nobind) ;;"

	while [ $# -gt 0 ]; do
		s+=$'\n'"$i) ./uio_ivshmem_probe.sh $1 || rc=1 ;;"
		i=$((i + 1))
		shift
	done
	uio_sh "$s"$'\nesac'
}
scenario uio-probe-peers "-n 5 -p 5 -k 6.12,6.1 -P 0x0001 -D g1:x-max-peers=1 -D g2:x-max-peers=65537 -D g3:x-id=5 -D g4:x-state-table-size=0" \
	"$(uio_probe "max_peers_1 'maximum peers 1, expected 2\.\.65536'" \
		"max_peers_65537 'maximum peers 65537, expected 2\.\.65536'" \
		"id_5_of_5 'ID 5, expected below maximum peers 5'" \
		"state_table_0 'state table size 0x0, expected at least 0x14'")"
# 3FFFh: the last reserved protocol number
scenario uio-probe-sizes "-n 5 -p 5 -k 6.1,6.12 -P 0x3fff -D g1:x-state-table-size=8 -D g2:x-rw-section-size=0x1800 -D g3:x-output-section-size=0x10800 -D g4:x-rw-section-size=0x100000000" \
	"$(uio_probe "state_table_8 'state table size 0x8, expected at least 0x14 for 5 peers'" \
		"rw_not_page 'R/W section size 0x1800 is not a multiple of the page size'" \
		"output_not_page 'output section size 0x10800 is not a multiple of the page size'" \
		"rw_beyond_bar2 'sections need 0x[0-9a-f]+ bytes, the region has only 0x'")"
# Virtio links have exactly 2 peers: with -P 8000h-BFFFh (front-end) the
# server gives peer 0 the back-end protocol (+4000h), which binds and is
# refused for its geometry here, and peer 1 the front-end one, which must
# not bind.
uio_virtio() {	# uio_virtio "NAME REGEX"
	# shellcheck disable=SC2016 # expanded in the guest
	uio_sh 'if [ "$VMTEST_INDEX" = 0 ]; then' \
		"./uio_ivshmem_probe.sh $1 || rc=1" \
		"else $(uio_bind nobind); fi"
}
scenario uio-probe-8000 "-n 2 -k 6.12,6.1 -P 0x8000 -D g0:x-output-section-size=0x8000000000000000" \
	"$(uio_virtio "u64_overflow 'section sizes overflow'")"
scenario uio-probe-bfff "-n 2 -k 6.1,6.12 -P 0xbfff -D g0:x-state-table-size=0x1800" \
	"$(uio_virtio "state_table_not_page 'state table size 0x1800 is not a multiple of the page size'")"

# Module unload/reload and unbind/rebind while /dev/uioN is held open
scenario uio-reload "-n 2 -k 6.12,6.1" \
	"$(uio_sh './uio_ivshmem_reload.sh || rc=1')"
