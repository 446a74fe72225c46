#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Virtio console over IVSHMEM between two guests of a vmtest link with
# protocol 8003h: guest 0 runs the back-end (virtio-ivshmem-console on
# uio_ivshmem), guest 1 the front-end (virtio_ivshmem + virtio_console).
#
#   virtio_ivshmem_console.sh basic   transfers in both directions
#   virtio_ivshmem_console.sh full    also kills and restarts the back-end
#                                     in the middle of a transfer, reloads
#                                     the front-end module, and runs the
#                                     back-end on a pty (-p) that is closed
#                                     and opened again
#
# The guests synchronise through the console itself: the front-end sends
# "GOn" lines, the back-end answers with data. Prints TAP; exit 4 (skip)
# without an IVSHMEM device.

MODE=${1:-basic}
BYTES=${VIRTIO_CONSOLE_BYTES:-1048576}
D=/tmp/virtio-console
T=60
[ -n "$KSFT_MACHINE_SLOW" ] && T=240
n=0
rc=0

# ok, fail, check, wait_for
. "$(dirname "$0")/virtio_ivshmem_lib.sh"

pattern_md5() { ./virtio_console_pattern "$1" "$2" | md5; }

size_of() { wc -c < "$1" 2>/dev/null || echo 0; }
has_line() { grep -q "^$2\$" "$1" 2>/dev/null; }
size_at_least() { [ "$(size_of "$1")" -ge "$2" ]; }

# ---- back-end (guest 0) ----

# a FIFO held open for writing in fd 3: no EOF between writers
fifo_hold() {	# fifo_hold TAG
	rm -f "$D/in$1"
	mkfifo "$D/in$1"
	exec 3<>"$D/in$1"
}

be_start() {	# be_start TAG: input FIFO $D/inTAG, output $D/outTAG
	: > "$D/out$1"
	virtio-ivshmem-console -i "$D/in$1" -o "$D/out$1" \
		2> "$D/be$1.log" &
	BE=$!
}

be_stop() {
	kill "$BE" 2>/dev/null
	wait "$BE" 2>/dev/null
}

no_bad_requests() {
	! grep -q 'bad request' "$D/be1.log" "$D/be2.log" "$D/be3.log" \
		2>/dev/null
}

pty_named() { grep -q '^/dev/pts/' "$D/pty" 2>/dev/null; }

# The back-end on a pty: lines both ways, then the pty is closed, the
# front-end writes meanwhile, and the reopened pty gets it.
backend_pty() {
	virtio-ivshmem-console -p > "$D/pty" 2> "$D/be3.log" &
	BE=$!
	check "pty back-end names its pty" wait_for "$T" pty_named ||
		return 1
	pty=$(head -n 1 "$D/pty")
	exec 5<>"$pty"
	check "pty: the front-end's line arrives" \
		[ "$(timeout "$T" head -n 1 <&5)" = PTY1 ]
	printf 'from-pty\n' >&5
	# closed while the front-end answers
	exec 5>&-
	sleep 2
	exec 5<>"$pty"
	check "pty: the line sent while it was closed arrives" \
		[ "$(timeout "$T" head -n 1 <&5)" = PTY2 ]
	printf 'after-reopen\n' >&5
	timeout "$T" head -n 1 <&5 >/dev/null
	exec 5>&-
	be_stop
}

backend() {
	modprobe uio_ivshmem || return 1
	mkdir -p "$D"
	if [ ! -e /dev/uio0 ]; then
		echo "# no uio_ivshmem device"
		exit 4
	fi

	fifo_hold 1
	be_start 1
	check "back-end started, front-end connected" \
		wait_for "$T" has_line "$D/out1" GO1 || return 1
	./virtio_console_pattern "$BYTES" 1 > "$D/in1"
	check "front-end to back-end $BYTES bytes arrive" \
		wait_for "$T" size_at_least "$D/out1" $((BYTES + 4))
	check "front-end to back-end checksum" \
		[ "$(head -c $((BYTES + 4)) "$D/out1" | tail -c "$BYTES" | md5)" = \
		  "$(pattern_md5 "$BYTES" 2)" ]
	[ "$MODE" = full ] || { wait_for "$T" has_line "$D/out1" DONE;
				 be_stop; return 0; }

	# kill the back-end in the middle of a large transfer
	wait_for "$T" has_line "$D/out1" GO2 || return 1
	./virtio_console_pattern $((64 * BYTES)) 3 > "$D/in1" &
	feeder=$!
	sleep 3
	be_stop
	kill "$feeder" 2>/dev/null
	wait "$feeder" 2>/dev/null
	exec 3>&-
	ok "back-end killed mid-transfer"

	# a new back-end; the front-end's device comes back
	fifo_hold 2
	be_start 2
	check "front-end back after back-end restart" \
		wait_for "$T" has_line "$D/out2" GO3 || return 1
	echo after-restart > "$D/in2"

	# the front-end reloads its module: same back-end, new session
	check "front-end back after module reload" \
		wait_for "$T" has_line "$D/out2" GO4 || return 1
	echo after-reload > "$D/in2"
	wait_for "$T" has_line "$D/out2" DONE
	be_stop
	backend_pty
	check "back-end saw no bad requests" no_bad_requests
}

# ---- front-end (guest 1) ----

hvc_dev() {	# the console's tty, if any: one that opens
	for t in /sys/bus/virtio/drivers/virtio_console/virtio*/virtio-ports/*; do
		[ -e "$t" ] || continue
		for h in /sys/class/tty/hvc*; do
			h=/dev/${h##*/}
			{ true <>"$h"; } 2>/dev/null && echo "$h" && return 0
		done
	done
	return 1
}

# The tty of a removed console lives on, hung up, while a process still has
# it open, and opening /dev/hvcN then reopens that stale tty, bound to the
# removed console: bytes from the new device never reach it (writes may).
# busybox timeout leaves such a process: its watcher keeps the reader's
# stdin open for up to a second after the reader exits.
hvc_unused() {	# no process has an hvc tty open
	for f in /proc/[0-9]*/fd/*; do
		case $(readlink "$f" 2>/dev/null) in
		/dev/hvc*) return 1 ;;
		esac
	done
	return 0
}

fe_open() {	# opens the console as fd 4, raw; fd 4 must be closed
	wait_for "$T" hvc_unused || return 1
	wait_for "$T" hvc_dev >/dev/null || return 1
	tty=$(hvc_dev) || return 1
	exec 4<>"$tty"
	stty -F "$tty" raw -echo
}

vdev_gone() { ! hvc_dev >/dev/null; }

reg_count() { dmesg | grep -c 'virtio_ivshmem.*virtio device 3 registered'; }
reg_more() { [ "$(reg_count)" -gt "$1" ]; }
gone_or_back() { vdev_gone || reg_more "$1"; }

frontend() {
	modprobe virtio_console 2>/dev/null
	modprobe virtio_ivshmem || return 1
	check "console device registered" fe_open || return 1
	printf 'GO1\n' >&4
	check "back-end to front-end $BYTES bytes, checksum" \
		[ "$(timeout "$T" head -c "$BYTES" <&4 | md5)" = \
		  "$(pattern_md5 "$BYTES" 1)" ]
	./virtio_console_pattern "$BYTES" 2 >&4
	ok "front-end sent $BYTES bytes"
	[ "$MODE" = full ] || { printf '\nDONE\n' >&4; return 0; }

	# the back-end is killed while it sends to us; the new one may
	# bring the device back between two looks: or a new registration
	regs=$(reg_count)
	printf '\nGO2\n' >&4
	got=$(timeout "$T" cat <&4 | wc -c)
	exec 4>&-
	echo "# received $got bytes before the back-end went away"
	check "device removed when the back-end dies" \
		wait_for "$T" gone_or_back "$regs"
	check "device registered again for the new back-end" fe_open ||
		return 1
	printf 'GO3\n' >&4
	check "transfer after back-end restart" \
		[ "$(timeout "$T" head -n 1 <&4 | tr -d '\r')" = after-restart ]
	exec 4>&-

	check "front-end module unload" rmmod virtio_ivshmem
	check "front-end module reload" modprobe virtio_ivshmem
	check "console device after reload" fe_open || return 1
	printf 'GO4\n' >&4
	check "transfer after module reload" \
		[ "$(timeout "$T" head -n 1 <&4 | tr -d '\r')" = after-reload ]
	regs=$(reg_count)
	printf 'DONE\n' >&4
	exec 4>&-

	# the back-end comes back on a pty: a new registration (the old
	# device may be gone and the new one there between two looks)
	check "console device registered for the pty back-end" \
		wait_for "$T" reg_more "$regs"
	check "console device for the pty back-end" fe_open || return 1
	printf 'PTY1\n' >&4
	check "pty: bytes from the pty arrive" \
		[ "$(timeout "$T" head -n 1 <&4 | tr -d '\r')" = from-pty ]
	printf 'PTY2\n' >&4
	check "pty: bytes from the reopened pty arrive" \
		[ "$(timeout "$T" head -n 1 <&4 | tr -d '\r')" = after-reopen ]
	printf 'PTY-DONE\n' >&4
	exec 4>&-
	check "dmesg: removed and registered again" \
		[ "$(dmesg | grep -c 'virtio_ivshmem.*virtio device 3 registered')" -ge 3 ]
}

cd "$(dirname "$0")" || exit 1
echo "TAP version 13"
if [ ! -d /sys/bus/pci/devices ] ||
   ! grep -qil 0x4106 /sys/bus/pci/devices/*/device; then
	echo "1..0 # SKIP no IVSHMEM v2 device"
	exit 4
fi
case ${VMTEST_INDEX:-0} in
0) backend || rc=1 ;;
*) frontend || rc=1 ;;
esac
echo "1..$n"
exit $rc
