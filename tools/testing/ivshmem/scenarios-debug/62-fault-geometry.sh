# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2016
#
# Fault suite, bad geometry matrix for ivshmem-net (protocol 0001h) and
# virtio_ivshmem (protocol 8003h), sourced by ../check-debug; the matrix of
# uio_ivshmem is in ../scenarios/20-uio.sh. The device model presents one
# invalid configuration per guest (its x-* properties, or a protocol); the
# driver must refuse it at probe with one clear dev_err and leave nothing
# behind (ivshmem_net_probe.sh, virtio_ivshmem_probe.sh). A guest with a
# valid geometry is the control. All guests run IVSHMEM_FAULT_KERNEL
# (default debug), which also scans for leaks.

FK=${IVSHMEM_FAULT_KERNEL:-debug}
GNET=/opt/ivshmem/tests/drivers/ivshmem/net
GVIRTIO=/opt/ivshmem/tests/drivers/ivshmem/virtio

# net_geometry NAME "VMTEST OPTIONS" "KIND|PROPS|REGEX"...: one link with a
# guest per kind (from g1 on) that shows PROPS; g0 is the control. The real
# link has one peer per guest: every guest is shown 2 peers unless PROPS
# set x-max-peers.
net_geometry() {
	local name=$1 opts=$2 i=1 k kind props re body

	shift 2
	body=$(printf 'export KSFT_MACHINE_SLOW=1\ncd %s || exit 1\ncase $VMTEST_INDEX in\n0) ./ivshmem_net_probe.sh control - ;;' "$GNET")
	for k in "$@"; do
		IFS='|' read -r kind props re <<<"$k"
		[[ $props == *x-max-peers=* ]] || props="x-max-peers=2,$props"
		[[ $props == *x-id=* ]] || props="x-id=1,$props"
		opts+=" -D g$i:$props"
		body+=$'\n'"$i) ./ivshmem_net_probe.sh $kind '$re' ;;"
		i=$((i + 1))
	done
	fault_scenario "$name" "-n $i -p $i -k $FK -P 1 -t 900 -D g0:x-max-peers=2,x-id=0 $opts" \
		"$body"$'\nesac'
}

net_geometry net-geometry-peers "" \
	"max_peers_1|x-max-peers=1,x-id=0|maximum peers 1, expected 2\.\.65536" \
	"max_peers_65537|x-max-peers=65537|maximum peers 65537, expected 2\.\.65536" \
	"max_peers_3|x-max-peers=3|link has 3 peers, ivshmem-net needs exactly 2" \
	"id_2_of_2|x-id=2|ID 2, expected below maximum peers 2" \
	"state_table_0|x-state-table-size=0|state table size 0x0, expected at least 0x8"
net_geometry net-geometry-sizes "" \
	"state_table_4|x-state-table-size=4|state table size 0x4, expected at least 0x8 for 2 peers" \
	"output_0|x-output-section-size=0|output section size 0x0, expected 1 byte to 4 GiB" \
	"output_too_small|x-output-section-size=0x400|output section of 0x400 bytes too small" \
	"rw_beyond_bar2|x-rw-section-size=0x100000000|sections need 0x[0-9a-f]+ bytes, the region has only 0x" \
	"u64_overflow|x-output-section-size=0x8000000000000000|section sizes overflow"
# fixed-address mode: the Base Address range wraps around
net_geometry net-geometry-fixed "-F" \
	"fixed_wrap|x-rw-section-size=0xffffffff00000000|Base Address 0x4000000000 .* is not a usable physical address range"

# virtio: the server gives peer 0 the back-end protocol (C003h) and peer 1
# the front-end one (8003h). g1 is booted once per kind (vmtest -R with
# per-incarnation properties), the last incarnation is the control and
# then signals g0 through the state table (uio_ivshmem). g0 checks that a
# back-end protocol bound by hand is refused.
VIRTIO_KINDS=(
	"max_peers_1|x-max-peers=1,x-id=0|maximum peers 1, expected 2\.\.65536"
	"max_peers_65537|x-max-peers=65537|maximum peers 65537, expected 2\.\.65536"
	"max_peers_3|x-max-peers=3|link has 3 peers, virtio over IVSHMEM needs exactly 2"
	"id_2_of_2|x-id=2|ID 2, expected below maximum peers 2"
	"state_table_0|x-state-table-size=0|state table size 0x0, expected at least 0x8"
	"state_table_4|x-state-table-size=4|state table size 0x4, expected at least 0x8 for 2 peers"
	"rw_0|x-rw-section-size=0|R/W section size 0x0, expected 0x2000 to 0x40000000"
	"rw_too_small|x-rw-section-size=0x1000|R/W section size 0x1000, expected 0x2000"
	"rw_beyond_bar2|x-rw-section-size=0x100000000|sections need 0x[0-9a-f]+ bytes, the region has only 0x"
	"u64_overflow|x-output-section-size=0x8000000000000000|section sizes overflow"
)
virtio_geometry() {
	local c=0 k kind props re opts="" body

	body=$(printf 'export KSFT_MACHINE_SLOW=1\ncd %s || exit 1\n' "$GVIRTIO")
	body+='
state_is() { [ "$(ivshmem list 2>/dev/null | tr " " "\n" | sed -n "s/^$1=//p")" = "$2" ]; }
state_not() { ! state_is "$@"; }
wait_for() { t=$(($1 * 5)); shift; until "$@"; do [ $t -gt 0 ] || return 1; sleep 0.2; t=$((t - 1)); done; }
if [ "$VMTEST_INDEX" = 0 ]; then
	./virtio_ivshmem_probe.sh not_a_front_end "protocol 0xc003 is not a virtio front-end" || exit 1
	modprobe uio_ivshmem
	wait_for 3600 state_is 1 0x600d || exit 1
	ivshmem state -H 0x600d & h=$!
	wait_for 300 state_not 1 0x600d
	kill $h
	exit 0
fi
case $VMTEST_CYCLE in'
	for k in "${VIRTIO_KINDS[@]}"; do
		IFS='|' read -r kind props re <<<"$k"
		opts+=" -D g1@$c:$props"
		body+=$'\n'"$c) ./virtio_ivshmem_probe.sh $kind '$re'; echo VMTEST-RESPAWN-ARM; while :; do sleep 60; done ;;"
		c=$((c + 1))
	done
	body+='
esac
./virtio_ivshmem_probe.sh control - || exit 1
pci=$(basename "$(dirname "$(grep -l 0x4106 /sys/bus/pci/devices/*/device)")")
modprobe uio_ivshmem
echo uio_ivshmem > /sys/bus/pci/devices/$pci/driver_override
echo $pci > /sys/bus/pci/drivers_probe
ivshmem state -H 0x600d & h=$!
wait_for 300 state_is 0 0x600d; r=$?
kill $h
exit $r'
	fault_scenario virtio-geometry \
		"-n 2 -k $FK -V 3 -P 0x8003 -r 256K -o 0 -R 1:$c -t 3600$opts" "$body"
}
virtio_geometry
# virtio device ID 0 (protocol 8000h) is reserved
fault_scenario virtio-geometry-id0 "-n 2 -k $FK -P 0x8000 -r 256K -o 0 -t 600" \
	"$(printf 'export KSFT_MACHINE_SLOW=1\ncd %s || exit 1\n[ "$VMTEST_INDEX" = 0 ] && exit 0\n./virtio_ivshmem_probe.sh device_id_0 "virtio device ID 0 is reserved"\n' "$GVIRTIO")"
