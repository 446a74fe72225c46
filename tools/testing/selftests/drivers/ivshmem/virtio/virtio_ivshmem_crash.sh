#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# virtio_ivshmem peer crash loop, run by vmtest -R I:CYCLES on a 2-guest
# link with protocol 8002h (virtio block): guest 0 runs the back-end
# (virtio-ivshmem-block on uio_ivshmem, an image in its /tmp), guest 1 the
# front-end (virtio_ivshmem plus virtio_blk). vmtest kills guest I
# (SIGKILL of its QEMU) while block I/O runs and boots it again, CYCLES
# times; the other guest keeps running and is the one checked.
#
#   -R 0:CYCLES  the back-end's guest crashes. Incarnation C serves a new
#                image with serial "crash-C". The front-end, per cycle:
#                the disk of incarnation C registers, 1 MiB written, read
#                back and checked by the back-end, then reads and writes
#                run until the back-end dies: they must fail (no hang) and
#                the disk must go.
#   -R 1:CYCLES  the front-end's guest crashes. One back-end process
#                serves one image all along; per cycle it sees the 1 MiB
#                that incarnation C wrote, checks it, answers, and starts
#                over when the front-end dies in the middle of its I/O.
#
# The checked guest prints "# N of CYCLES crashes survived in S s" and
# TAP; the killed one only in its last incarnation. Messages go through
# the disk as in virtio_ivshmem_block.sh: the front-end writes "HELLO C
# MD5" to sector MSG_BASE + C % 32, the back-end answers "ACK C" in
# sector ACK_BASE + C % 32 (virtio_ivshmem_fault_lib.sh).
# shellcheck disable=SC2317 # functions run through check and wait_for

CYCLES=${VMTEST_RESPAWN#*:}
KILLED=${VMTEST_RESPAWN%%:*}
n=0
rc=0

# the disk handshake and I/O; ok, fail, check, wait_for, ...
. "$(dirname "$0")/virtio_ivshmem_fault_lib.sh"

# ---- back-end (guest 0) ----

# -R 0: this incarnation serves cycle VMTEST_CYCLE and dies in I/O
backend_killed() {
	c=$VMTEST_CYCLE
	backend_setup || return 1
	be_start "crash-$c"
	if [ "$c" -lt "$CYCLES" ]; then
		serve_cycle "$c" || return 1
		# vmtest kills us within 2 s of the arming: once the
		# front-end's I/O runs
		await_io "$c"
		echo VMTEST-RESPAWN-ARM
		while :; do sleep 60; done
	fi
	check "last incarnation: cycle $c served" serve_cycle "$c" || return 1
	# the front-end unloads, reloads and unloads its module
	check "front-end done" wait_for "$T" resets_over 1
	kill "$BE"
	wait "$BE"
	echo "# $(be_summary)"
	check "back-end: no bad request" be_clean
}

# -R 1: one back-end for every incarnation of the front-end
backend_survivor() {
	backend_setup || return 1
	be_start crash
	t0=$(uptime_s)
	c=0
	while [ "$c" -le "$CYCLES" ] && kill -0 "$BE" 2>/dev/null &&
	      serve_cycle "$c"; do
		c=$((c + 1))
	done
	echo "# $((c > CYCLES ? CYCLES : c)) of $CYCLES crashes survived" \
		"in $(($(uptime_s) - t0)) s"
	check "virtio_crash_loop_${CYCLES}_cycles (back-end)" \
		[ "$c" -gt "$CYCLES" ]
	check "one back-end process served them all" kill -0 "$BE"
	# every crash was a reset it saw
	resets=$(fe_resets)
	check "back-end saw $resets front-end resets" [ "$resets" -ge "$CYCLES" ]
	check "front-end done" wait_for "$T" resets_over "$CYCLES"
	kill "$BE"
	wait "$BE"
	echo "# $(be_summary)"
	check "back-end: no bad request" be_clean
	check "uio_ivshmem unloads, no interrupt left" uio_unloads
}

# ---- front-end (guest 1) ----

# -R 1: this incarnation does cycle VMTEST_CYCLE and dies in I/O
frontend_killed() {
	c=$VMTEST_CYCLE
	frontend_setup || return 1
	if [ "$c" -lt "$CYCLES" ]; then
		# the first waits for the back-end's guest to boot too
		wait_for $((c ? T : 3 * T)) disk_present && hello "$c" ||
			return 1
		# vmtest kills us within 2 s of the arming: once the I/O runs
		io_start_running "$c"
		echo VMTEST-RESPAWN-ARM
		while :; do sleep 60; done
	fi
	check "last incarnation: disk registered" wait_for "$T" disk_present ||
		return 1
	check "last incarnation: cycle $c" hello "$c"
	check "front-end module unload" rmmod virtio_ivshmem
}

# -R 0: the disk comes and goes with the back-end's incarnations
frontend_survivor() {
	frontend_setup || return 1
	t0=$(uptime_s)
	c=0
	while [ "$c" -le "$CYCLES" ]; do
		wait_for "$T" has_serial "crash-$c" || {
			echo "# cycle $c: no disk of incarnation $c"
			break
		}
		hello "$c" || break
		if [ "$c" -lt "$CYCLES" ]; then
			io_start
			# the disk goes (a new registration follows it) and
			# the I/O fails instead of hanging
			wait_for "$T" disk_gone "crash-$c" || {
				echo "# cycle $c: the disk stayed"
				break
			}
			wait_for "$T" io_ended || {
				echo "# cycle $c: I/O still running"
				break
			}
		fi
		c=$((c + 1))
	done
	echo "# $((c > CYCLES ? CYCLES : c)) of $CYCLES crashes survived" \
		"in $(($(uptime_s) - t0)) s"
	check "virtio_crash_loop_${CYCLES}_cycles (front-end)" \
		[ "$c" -gt "$CYCLES" ]
	echo "# registrations: $(registrations), $(failed_rounds) times" \
		"outstanding buffers failed"
	check "front-end module unload" rmmod virtio_ivshmem
	check "no disk left" no_disk
	check "front-end module reload, disk back" reload_disk "crash-$CYCLES"
	check "front-end module unload" rmmod virtio_ivshmem
}

cd "$(dirname "$0")" || exit 1
echo "TAP version 13"
if [ -z "$VMTEST_RESPAWN" ] || [ "${VMTEST_COUNT:-0}" != 2 ]; then
	echo "1..0 # SKIP needs vmtest -n 2 -R I:CYCLES"
	exit 4
fi
if ! grep -qil 0x4106 /sys/bus/pci/devices/*/device; then
	echo "1..0 # SKIP no IVSHMEM v2 device"
	exit 4
fi
case ${VMTEST_INDEX:-0}$KILLED in
00) backend_killed || rc=1 ;;
01) backend_survivor || rc=1 ;;
10) frontend_survivor || rc=1 ;;
11) frontend_killed || rc=1 ;;
esac
if [ "$VMTEST_INDEX" != "$KILLED" ] || [ "$VMTEST_CYCLE" = "$CYCLES" ]; then
	check "dmesg: no BUG, WARNING or hung task" kernel_log_clean
	echo "1..$n"
fi
exit $rc
