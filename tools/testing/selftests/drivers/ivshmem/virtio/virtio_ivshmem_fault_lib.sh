#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Shared by the virtio_ivshmem fault tests (virtio_ivshmem_crash.sh,
# virtio_ivshmem_reload.sh) on a virtio block link (protocol 8002h):
# guest 0 runs the back-end (virtio-ivshmem-block on uio_ivshmem, an
# IMG_MB image in its /tmp), guest 1 the front-end (virtio_ivshmem plus
# virtio_blk). Per cycle C the front-end writes 1 MiB, reads it back and
# writes "HELLO C MD5" to sector MSG_BASE + C % 32; the back-end finds
# that message in its image, checks the 1 MiB against MD5 and answers
# "ACK C" in sector ACK_BASE + C % 32, which the front-end reads. The
# sourcing test sets n=0 and rc=0.
# shellcheck disable=SC2317 # functions run through check and wait_for
# shellcheck disable=SC2034 # BE: used by the sourcing test

IMG_MB=8
MSG_BASE=$((IMG_MB * 2048 - 64))
ACK_BASE=$((IMG_MB * 2048 - 128))
IO_OFF=6		# MiB: the area of the I/O the crash interrupts
D=/tmp/virtio-fault
IMG=$D/disk.img
T=60
[ -n "$KSFT_MACHINE_SLOW" ] && T=300

# ok, fail, check, wait_for, md5, uptime_cs, fe_disk, registrations
. "$(dirname "$0")/virtio_ivshmem_lib.sh"

uptime_s() { cut -d. -f1 /proc/uptime; }
slot() { echo $(($1 % 32)); }
data_off() { echo $((1 + $1 % 4)); }	# MiB: cycle C's 1 MiB

# ---- back-end (guest 0) ----

be_start() {	# be_start SERIAL
	virtio-ivshmem-block -v -f "$IMG" -s "$1" 2>> "$D/be.log" &
	BE=$!
}

# read_hello C: the front-end's message of cycle C is there; its MD5 in
# HELLO_MD5
read_hello() {
	m=$(dd if="$IMG" bs=512 skip=$((MSG_BASE + $(slot "$1"))) count=1 \
		2>/dev/null | tr -d '\000' | head -n 1)
	[ "${m% *}" = "HELLO $1" ] || return 1
	HELLO_MD5=${m##* }
}

# serve_cycle C: wait for cycle C's message, check its data, answer
serve_cycle() {
	wait_for "$T" read_hello "$1" || {
		echo "# cycle $1: no message from the front-end"
		return 1
	}
	got=$(dd if="$IMG" bs=1M skip="$(data_off "$1")" count=1 \
		2>/dev/null | md5)
	if [ "$got" != "$HELLO_MD5" ]; then
		echo "# cycle $1: image has $got, the front-end wrote $HELLO_MD5"
		return 1
	fi
	echo "ACK $1" | dd of="$IMG" bs=512 \
		seek=$((ACK_BASE + $(slot "$1"))) conv=sync,notrunc 2>/dev/null
}

# io_seen: the front-end's I/O of the cycle served last reached the image
# (its writer writes the cycle's 1 MiB at IO_OFF)
io_seen() {
	[ "$(dd if="$IMG" bs=1M skip=$IO_OFF count=1 2>/dev/null | md5)" = \
		"$HELLO_MD5" ]
}

# await_io C: wait until io_seen, for the kill of cycle C to meet I/O
await_io() {
	wait_for "$T" io_seen ||
		echo "# cycle $1: no I/O from the front-end seen"
}

be_summary() { grep ', bad requests [0-9]*$' "$D/be.log"; }
be_clean() { be_summary | grep -q ', bad requests 0$'; }
no_bad_request() { ! grep -q 'bad request:' "$D/be.log"; }
fe_resets() { grep -c 'front-end left READY' "$D/be.log"; }
resets_over() { [ "$(fe_resets)" -gt "$1" ]; }	# resets_over N: more than N

backend_setup() {
	modprobe uio_ivshmem || return 1
	if [ ! -e /dev/uio0 ]; then
		echo "# no uio_ivshmem device"
		exit 4
	fi
	mkdir -p "$D"
	truncate -s "${IMG_MB}M" "$IMG"
}

uio_unloads() { rmmod uio_ivshmem && ! grep -q uio_ivshmem /proc/interrupts; }

# ---- front-end (guest 1) ----

acked() {	# acked C
	[ "$(dd if="$DEV" bs=512 skip=$((ACK_BASE + $(slot "$1"))) count=1 \
		iflag=direct 2>/dev/null | tr -d '\000' | head -n 1)" = "ACK $1" ]
}

# has_serial SERIAL: the disk of the back-end that serves SERIAL is there
has_serial() {
	d=$(fe_disk) && [ "$(cat "/sys/block/$d/serial" 2>/dev/null)" = "$1" ]
}

disk_gone() { ! has_serial "$1"; }
reload_disk() { modprobe virtio_ivshmem && wait_for "$T" has_serial "$1"; }

# hello C: write cycle C's 1 MiB, read it back, tell the back-end, wait
# for its answer
hello() {
	DEV=/dev/$(fe_disk) || return 1
	head -c 1048576 /dev/urandom > /tmp/x
	x=$(md5 < /tmp/x)
	dd if=/tmp/x of="$DEV" bs=64k seek=$(($(data_off "$1") * 16)) \
		oflag=direct 2>/dev/null || return 1
	[ "$(dd if="$DEV" bs=64k skip=$(($(data_off "$1") * 16)) count=16 \
		iflag=direct 2>/dev/null | md5)" = "$x" ] || {
		echo "# cycle $1: read back differs"
		return 1
	}
	printf 'HELLO %s %s\n' "$1" "$x" | dd of="$DEV" bs=512 \
		seek=$((MSG_BASE + $(slot "$1"))) conv=sync oflag=direct \
		2>/dev/null || return 1
	wait_for "$T" acked "$1" || {
		echo "# cycle $1: no answer from the back-end"
		return 1
	}
}

# I/O that runs until it fails: writes and reads of 128 KiB, through a
# node of our own: once the disk is gone, opening it fails (ENXIO), where
# "dd of=/dev/vdX" would create a regular file in /dev and go on. The
# next incarnation's disk gets the same name and numbers: a loop that
# starts late (a loaded host) must not take it for the old one, so each
# runs only while the disk's diskseq is the one it began with. If the
# disk went before, there is no I/O.
io_start() {
	WRITER=
	READER=
	if ! d=$(fe_disk) || ! IFS=: read -r maj min < "/sys/block/$d/dev" ||
	   ! seq=$(cat "/sys/block/$d/diskseq" 2>/dev/null); then
		echo "# the disk went before the I/O began"
		return 0
	fi
	rm -f /tmp/io-disk
	mknod /tmp/io-disk b "$maj" "$min" || return 1
	(while same_disk "$d" "$seq" &&
		dd if=/tmp/x of=/tmp/io-disk bs=128k seek=$((IO_OFF * 8)) \
		oflag=direct 2>/dev/null; do :; done) &
	WRITER=$!
	(while same_disk "$d" "$seq" &&
		dd if=/tmp/io-disk of=/dev/null bs=128k skip=$((IO_OFF * 8)) \
		count=8 iflag=direct 2>/dev/null; do :; done) &
	READER=$!
}
# sectors written to the disk so far; io_running N: more than N
written() { awk '{ print $7 }' "/sys/block/$(fe_disk)/stat" 2>/dev/null; }
io_running() { [ "$(written)" -gt "$1" ] 2>/dev/null; }
same_disk() { [ "$(cat "/sys/block/$1/diskseq" 2>/dev/null)" = "$2" ]; }
# io_start_running C: io_start, then wait until its writes move the
# disk's write count, for what interrupts cycle C to meet I/O in flight
io_start_running() {
	w=$(written)
	io_start
	wait_for "$T" io_running "$w" || echo "# cycle $1: no I/O"
}
# how many times the front-end failed its outstanding requests
failed_rounds() { dmesg | grep -c 'back-end gone: failed'; }
io_ended() {
	for p in $WRITER $READER; do
		kill -0 "$p" 2>/dev/null && return 1
	done
	return 0
}

frontend_setup() {
	modprobe virtio_blk
	modprobe virtio_ivshmem
}
