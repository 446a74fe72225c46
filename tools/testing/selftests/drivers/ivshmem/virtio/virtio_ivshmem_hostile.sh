#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# virtio_ivshmem against a hostile back-end, in two guests of a vmtest link
# with protocol 8003h: guest 0 runs virtio_ivshmem_hostile on uio_ivshmem,
# guest 1 the front-end (virtio_ivshmem + virtio_console).
#
# The hostile back-end registers as a console, lets bytes flow, corrupts
# header, rings, state and write transactions, resets, and again, for
# IVSHMEM_MUTATIONS mutations (default 1500; seed HOSTILE_SEED, default 1;
# HOSTILE_BURST mutations per session, default 250; HOSTILE_LONG=1 holds
# one write transaction past the front-end's timeout; HOSTILE_NEXT=1 sets
# VRING_DESC_F_NEXT in the descriptors it mutates, which only a virtio_ring
# that walks chains with its own flags survives: the debug kernel's, see
# Documentation/virtio/ivshmem.rst). The front-end guest
# reads every console device it gets: waits for "HELLO", answers "GO",
# reads until the device goes away or "FINAL" arrives; then a PING line
# must come back. Pass: the back-end saw the console come back after every
# reset, the echo works, the front-end's counters account for the rejected
# input, and no kernel report. Prints TAP; exit 4 (skip) without a device.

# Functions run through check and wait_for look unreachable to shellcheck
# shellcheck disable=SC2317

MUTATIONS=${IVSHMEM_MUTATIONS:-1500}
SEED=${HOSTILE_SEED:-1}
BURST=${HOSTILE_BURST:-250}
D=/tmp/virtio-hostile
T=60
[ -n "$KSFT_MACHINE_SLOW" ] && T=240
n=0
rc=0

# ok, fail, check, wait_for
. "$(dirname "$0")/virtio_ivshmem_lib.sh"

# ---- back-end (guest 0) ----

field() {	# field NAME FILE: the number after "NAME " in the report
	sed -n "s/.* $1 \([0-9][0-9]*\).*/\1/p" "$2" | head -n 1
}

backend() {
	modprobe uio_ivshmem || return 1
	mkdir -p "$D"
	if [ ! -e /dev/uio0 ]; then
		echo "1..0 # SKIP no uio_ivshmem device"
		exit 4
	fi
	long=
	[ -n "$HOSTILE_LONG" ] && long=-L
	next=
	[ -n "$HOSTILE_NEXT" ] && next=-x
	t0=$(date +%s)
	# shellcheck disable=SC2086
	./virtio_ivshmem_hostile -s "$SEED" -n "$MUTATIONS" -b "$BURST" \
		-t "$T" $long $next > "$D/out" 2> "$D/err"
	res=$?
	t1=$(date +%s)
	cat "$D/out"
	echo "# back-end library messages: $(wc -l < "$D/err"), last ones:"
	tail -n 5 "$D/err" | sed 's/^/#   /'
	echo "# wall time $((t1 - t0)) s"
	check "hostile back-end: console back after every reset, echo works" \
		[ "$res" = 0 ]
	total=$(sed -n 's/.*: \([0-9]*\) mutations in .*/\1/p' "$D/out")
	check "hostile back-end: ${total:-0} of $MUTATIONS mutations applied" \
		[ "${total:-0}" -ge "$MUTATIONS" ]
	for k in used-id used-len desc state bytes; do
		check "hostile back-end: $k mutations applied" \
			[ "$(field "$k" "$D/out")" -gt 0 ]
	done
	acked=$(sed -n 's/.*handler saw \([0-9]*\) .*/\1/p' "$D/out")
	check "hostile back-end: the front-end's handler took the doorbells" \
		[ "${acked:-0}" -gt 0 ]
}

# ---- front-end (guest 1) ----

hvc_dev() {	# the console's tty, if any: one that opens
	for t in /sys/bus/virtio/drivers/virtio_console/*/virtio-ports/*; do
		[ -e "$t" ] || continue
		for h in /sys/class/tty/hvc*; do
			h=/dev/${h##*/}
			{ true <>"$h"; } 2>/dev/null && echo "$h" && return 0
		done
	done
	return 1
}

# "PID TTY" for each open file of a console's tty, in any process
hvc_fds() {
	for f in /proc/[0-9]*/fd/*; do
		l=$(readlink "$f" 2>/dev/null) || continue
		case $l in
		/dev/hvc*) p=${f#/proc/}; echo "${p%%/*} $l" ;;
		esac
	done
}

# A removed console's tty lives on while a process has it open; wait until
# no process has one open before opening the next (see
# virtio_ivshmem_console.sh).
hvc_unused() { [ -z "$(hvc_fds)" ]; }

# Who keeps a console's tty open, as TAP comments: pid, command, state,
# where it sleeps and its kernel stack.
hvc_holders() {
	hvc_fds | while read -r p l; do
		echo "# $l open in pid $p:" \
			"$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)," \
			"$(sed -n 's/^State:[[:space:]]*//p' "/proc/$p/status" 2>/dev/null)," \
			"wchan $(cat "/proc/$p/wchan" 2>/dev/null)"
		sed 's/^/#   /' "/proc/$p/stack" 2>/dev/null
	done
}

fe_pci() {	# the front-end's PCI device
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/class")" = 0xff8003 ] && echo "$d" && return 0
	done
	return 1
}

counters() {	# "name=value ..." of the front-end's counters
	for c in "$PCI"/virtio_ivshmem/*; do
		[ -f "$c" ] && printf '%s=%s ' "${c##*/}" "$(cat "$c")"
	done
}

counter() {	# counter NAME "COUNTERS"
	echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

# fe_slow WHAT T0: a TAP comment if WHAT took more than a minute since T0
# (the back-end sends HELLO for 4 minutes, then gives up)
fe_slow() {
	fe_took=$(($(date +%s) - $2))
	[ "$fe_took" -gt 60 ] || return 0
	echo "# session $((SESSIONS + 1)): $1 took $fe_took s"
}

# One console device: HELLO, GO, bytes until FINAL or until it goes away.
# Returns 0 after FINAL, with the tty open as fd 4. sed reads a line ahead
# before it acts on one: the back-end sends HELLO and FINAL twice.
fe_session() {
	t0=$(date +%s)
	if ! hvc_unused; then
		echo "# session $((SESSIONS + 1)): a removed console is open"
		hvc_holders
		if ! wait_for 600 hvc_unused; then
			echo "# session $((SESSIONS + 1)): and stays open"
			hvc_holders
			return 1
		fi
	fi
	fe_slow "the wait for removed consoles to close" "$t0"
	t0=$(date +%s)
	tty=$(hvc_dev) || return 1
	exec 4<>"$tty" || return 1
	if ! stty -F "$tty" raw -echo 2>/dev/null; then
		exec 4>&-
		return 1
	fi
	fe_slow "opening $tty" "$t0"
	t0=$(date +%s)
	hello=$(sed -n '/^HELLO/{p;q}' <&4)
	fe_slow "the wait for HELLO on $tty (got '$hello')" "$t0"
	if [ -z "$hello" ]; then
		exec 4>&-
		return 1
	fi
	printf 'GO\n' >&4
	sed '/^FINAL$/q' <&4 >> "$D/rx"
	if [ "$(tail -n 1 "$D/rx")" = FINAL ]; then
		GOT_FINAL=1
		return 0
	fi
	exec 4>&-
	SESSIONS=$((SESSIONS + 1))
	return 1
}

rx_ok() { [ "$SESSIONS" -gt 0 ] && grep -q '^T ' "$D/rx"; }

frontend() {
	modprobe virtio_console 2>/dev/null
	modprobe virtio_ivshmem || return 1
	mkdir -p "$D"
	: > "$D/rx"
	PCI=$(fe_pci) || { fail "front-end device"; return 1; }
	before=$(counters)
	echo "# counters before: $before"
	SESSIONS=0
	GOT_FINAL=
	# until FINAL, or no console for 3 * $T s: the back-end gave up
	seen=$(date +%s)
	while [ -z "$GOT_FINAL" ] && [ $(($(date +%s) - seen)) -lt $((3 * T)) ]
	do
		hvc_dev >/dev/null && seen=$(date +%s)
		fe_session || sleep 0.2
	done
	echo "# $SESSIONS console sessions," \
		"$(grep -c '^T ' "$D/rx") lines of console bytes"
	check "front-end: console came back after the hostile sessions" \
		[ -n "$GOT_FINAL" ]
	[ -n "$GOT_FINAL" ] || return 1
	check "front-end: console bytes arrived in $SESSIONS sessions" rx_ok

	token="PING $$ $(date +%s)"
	printf '%s\n' "$token" >&4
	reply=$(timeout "$T" head -n 1 <&4)
	check "front-end: bytes round-trip after the hostile back-end" \
		[ "$reply" = "$token" ]
	printf 'DONE\n' >&4
	exec 4>&-

	after=$(counters)
	echo "# counters after:  $after"
	if [ -n "$after" ]; then
		for c in registrations bad_headers bad_queues broken_queues \
			 write_timeouts; do
			[ -z "$HOSTILE_LONG" ] && [ $c = write_timeouts ] &&
				continue
			check "front-end: counter $c moved" \
				[ "$(counter $c "$after")" -gt \
				  "$(counter $c "$before")" ]
		done
	else
		fail "front-end: counters in $PCI/virtio_ivshmem"
	fi
	echo "# front-end messages about the back-end:"
	dmesg | grep -E 'virtio_ivshmem|virtio[0-9]|virtio_console' |
		sed -E 's/^\[[ 0-9.]*\] //; s/[0-9]+/N/g' | sort | uniq -c |
		sort -rn | head -n 25 | sed 's/^/#   /'
	# the transport's last defence, when virtio_ring follows a NEXT the
	# back-end set; the fixed virtio_ring never does
	[ -n "$HOSTILE_NEXT" ] &&
		check "front-end: virtio_ring walked no chain past its end" \
			dmesg_lacks 'ring walk past a chain'
	check "front-end: kernel log clean" kernel_log_clean
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
