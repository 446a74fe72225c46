#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# virtio_ivshmem module reload loop under block I/O, on both ends of a
# 2-guest link with protocol 8002h (guest 0 back-end, guest 1 front-end;
# the handshake of virtio_ivshmem_fault_lib.sh).
#
# Phase 1, IVSHMEM_RELOAD_CYCLES times (default 50): the front-end loads
# virtio_ivshmem, its disk registers, 1 MiB goes through and is checked
# by the back-end, reads and writes start and the module is unloaded
# under them: the I/O fails, the disk goes, nothing hangs. One back-end
# process serves all of it.
# Phase 2, as many times: the back-end is killed (SIGKILL) while the
# front-end's I/O runs, uio_ivshmem is unloaded and loaded again and a
# new back-end serves the next cycle; the front-end, which stays loaded,
# sees its I/O fail and its disk go and come back.
# At the end both unload their modules: no interrupt, no device left.
# Each reloading end prints "# N reloads in S s".
# shellcheck disable=SC2317 # functions run through check and wait_for

N=${IVSHMEM_RELOAD_CYCLES:-50}
n=0
rc=0

# the disk handshake and I/O; ok, fail, check, wait_for, ...
. "$(dirname "$0")/virtio_ivshmem_fault_lib.sh"

# ---- back-end (guest 0) ----

backend() {
	backend_setup || return 1
	be_start reload
	c=0
	while [ "$c" -lt "$N" ] && serve_cycle "$c"; do
		c=$((c + 1))
	done
	check "back-end served the $N cycles of the front-end's reloads" \
		[ "$c" = "$N" ] || return 1

	t0=$(uptime_s)
	while [ "$c" -lt $((2 * N)) ]; do
		serve_cycle "$c" || break
		# the front-end's I/O starts once it has the answer: kill
		# the back-end once that reaches the image
		await_io "$c"
		kill -KILL "$BE"
		wait "$BE" 2>/dev/null
		uio_unloads || break
		modprobe uio_ivshmem || break
		be_start reload
		c=$((c + 1))
	done
	echo "# $((c - N)) reloads in $(($(uptime_s) - t0)) s"
	check "back-end: ${N} kills and uio_ivshmem reloads under I/O" \
		[ "$c" = $((2 * N)) ] || return 1
	r=$(fe_resets)
	check "last cycle served" serve_cycle "$c"
	check "front-end done" wait_for "$T" resets_over "$r"
	kill "$BE"
	wait "$BE"
	echo "# $(be_summary | tail -n 1)"
	check "back-end: no bad request" no_bad_request
	check "uio_ivshmem unloads, no interrupt left" uio_unloads
}

# ---- front-end (guest 1) ----

fe_unloads() { rmmod virtio_ivshmem && ! grep -q virtio_ivshmem /proc/interrupts; }

frontend() {
	modprobe virtio_blk
	t0=$(uptime_s)
	c=0
	while [ "$c" -lt "$N" ]; do
		if ! modprobe virtio_ivshmem ||
		   ! wait_for "$T" disk_present || ! hello "$c"; then
			break
		fi
		# unload under the I/O, once it runs
		io_start_running "$c"
		fe_unloads || break
		wait_for "$T" io_ended || {
			echo "# cycle $c: I/O still running after the unload"
			break
		}
		no_disk || break
		c=$((c + 1))
	done
	echo "# $c reloads in $(($(uptime_s) - t0)) s"
	check "front-end: $N virtio_ivshmem reloads under I/O" [ "$c" = "$N" ] ||
		return 1

	modprobe virtio_ivshmem
	while [ "$c" -lt $((2 * N)) ]; do
		if ! wait_for "$T" disk_present || ! hello "$c"; then
			break
		fi
		reg=$(registrations)
		io_start
		# the back-end is killed: the I/O fails, the disk goes and
		# comes back for the next back-end
		wait_for "$T" io_ended || {
			echo "# cycle $c: I/O still running"
			break
		}
		wait_for "$T" registered_since "$reg" || break
		c=$((c + 1))
	done
	echo "# $(failed_rounds) of the back-end's kills caught requests" \
		"in flight"
	check "front-end: the back-end's $N reloads seen" \
		[ "$c" = $((2 * N)) ] || return 1
	check "last cycle" hello "$c"
	check "virtio_ivshmem unloads, no interrupt left" fe_unloads
	check "no disk left" no_disk
}

cd "$(dirname "$0")" || exit 1
echo "TAP version 13"
if [ "${VMTEST_COUNT:-0}" != 2 ] ||
   ! grep -qil 0x4106 /sys/bus/pci/devices/*/device; then
	echo "1..0 # SKIP needs a 2-guest IVSHMEM v2 link"
	exit 4
fi
case ${VMTEST_INDEX:-0} in
0) backend || rc=1 ;;
*) frontend || rc=1 ;;
esac
check "dmesg: no BUG, WARNING or hung task" kernel_log_clean
echo "1..$n"
exit $rc
