# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# ivshmem-net (protocol 0001h), sourced by ../check:
#   scenario NAME "VMTEST OPTIONS" "GUEST SCRIPT"
# Tests in tools/testing/selftests/drivers/ivshmem/net/. Guest 0 and 1 run
# the same script; TCG is slow, so the runs are short.

NET=/opt/ivshmem/tests/drivers/ivshmem/net
net() {		# net SCRIPT ARGS...: a net test in the guests
	printf 'export KSFT_MACHINE_SLOW=1\ncd %s && ./%s' "$NET" "$*"
}

# link, ping sizes, iperf3 TCP/UDP both ways, MTU changes under traffic,
# ifdown/ifup and rmmod/modprobe on either side; one guest per kernel
scenario net-2peer "-n 2 -k 6.1,6.12 -P 1 -o 1M -t 420" \
	"$(net ivshmem_net.sh)"
# one interrupt vector for everything
scenario net-intx "-n 2 -k 6.12,6.1 -m intx -P 1 -t 200" \
	"$(net ivshmem_net.sh ping ifdown)"
# no BAR2: shared memory at the Base Address, small 16K sections
scenario net-fixed "-n 2 -k 6.12,6.1 -F -V 1 -P 1 -o 16K -t 200" \
	"$(net ivshmem_net.sh ping)"
# a link of three peers is refused
scenario net-3peer-refused "-n 1 -p 3 -P 1 -k 6.12 -t 120" \
	"$(net ivshmem_net_refused.sh)"
# the peer scribbles over its section while we send; then it behaves
scenario net-hostile "-n 2 -k 6.12,6.1 -P 1 -t 300" \
	"$(net ivshmem_net_hostile.sh)"
