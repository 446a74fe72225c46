#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Virtio block over IVSHMEM between two guests of a vmtest link with
# protocol 8002h: guest 0 runs the back-end (virtio-ivshmem-block on
# uio_ivshmem, a sparse image in its /tmp), guest 1 the front-end
# (virtio_ivshmem + virtio_blk).
#
#   virtio_ivshmem_block.sh basic   capacity and serial; mkfs, files,
#                                   sync and checksums, compared with the
#                                   image on the back-end's side (raw and
#                                   loop-mounted); dd throughput
#   virtio_ivshmem_block.sh full    also discard, the back-end killed
#                                   (SIGKILL) in the middle of a transfer
#                                   and restarted: the front-end's I/O
#                                   fails, the disk goes and comes back;
#                                   front-end module reload, and a
#                                   read-only image that refuses writes
#
# The guests talk through the end of the disk: the front-end writes
# message N ("WORD ARGS...") to sector MSG_BASE + N with O_DIRECT, the
# back-end reads it from the image, checks, and answers "ACK N" in sector
# ACK_BASE + N of the image, which the front-end reads with O_DIRECT. The
# last message is the front-end leaving (module unload). Each phase has
# its own area of the disk. Prints TAP; exit 4 (skip) without an IVSHMEM
# device.
# shellcheck disable=SC2317 # functions run through check and wait_for

MODE=${1:-basic}
# the disk, in MiB: offsets and lengths of the areas
IMG_MB=32
FS_MB=12		# ext2 at 0
DD_OFF=12		# dd throughput
DD_MB=8
DISCARD_OFF=20		# 1 MiB written, then discarded
KILL_OFF=21		# DD_MB written while the back-end is killed
RESTART_OFF=29		# 1 MiB after the back-end restart
RELOAD_OFF=30		# 1 MiB after the module reload
MSG_BASE=$((IMG_MB * 2048 - 64))	# sectors: messages, front to back
ACK_BASE=$((IMG_MB * 2048 - 128))	# answers, back to front
SERIAL=ivshmem-blk-test
D=/tmp/virtio-block
IMG=$D/disk.img
T=60
[ -n "$KSFT_MACHINE_SLOW" ] && T=300
n=0
rc=0

# ok, fail, check, wait_for, md5, uptime_cs, fe_disk, removals, ...
. "$(dirname "$0")/virtio_ivshmem_lib.sh"

zero_md5() { head -c $(($1 << 20)) /dev/zero | md5; }

# md5 of every file under DIR, one line each, in a stable order
files_md5() {
	(cd "$1" && find . -type f | sort | xargs md5sum)
}

# ---- back-end (guest 0) ----

be_start() {	# be_start TAG [OPTIONS]: log in $D/beTAG.log
	tag=$1
	shift
	virtio-ivshmem-block -v -f "$IMG" -s "$SERIAL" "$@" \
		2> "$D/be$tag.log" &
	BE=$!
}

be_stop() {	# SIGTERM: the back-end completes what is in flight first
	kill "$BE" 2>/dev/null
	wait "$BE" 2>/dev/null
}

be_kill() {	# SIGKILL: requests in flight stay outstanding; 137
	kill -KILL "$BE" 2>/dev/null
	wait "$BE" 2>/dev/null
}

# the counters a back-end prints when it stops, and none of them "bad"
be_summary() { grep ', bad requests [0-9]*$' "$D/be$1.log"; }
stopped_clean() { be_summary "$1" | grep -q ', bad requests 0$'; }
no_bad_requests() { ! grep -q 'bad request:' "$@"; }
served_reads() { ! be_summary "$1" | grep -q ': in 0 ('; }

img_md5() {	# img_md5 OFFSET_MB LEN_MB
	dd if="$IMG" bs=1M skip="$1" count="$2" 2>/dev/null | md5
}

# wait_msg WORD: the front-end's next message is WORD; arguments in ARGS
RSEQ=0
read_msg() {
	m=$(dd if="$IMG" bs=512 skip=$((MSG_BASE + RSEQ)) count=1 \
		2>/dev/null | tr -d '\000' | head -n 1)
	[ "${m%% *}" = "$1" ] || return 1
	ARGS=${m#"$1"}
}
wait_msg() {
	wait_for "$T" read_msg "$1" || return 1
	RSEQ=$((RSEQ + 1))
}
ack() {		# the last message is dealt with
	echo "ACK $((RSEQ - 1))" | dd of="$IMG" bs=512 \
		seek=$((ACK_BASE + RSEQ - 1)) conv=sync,notrunc 2>/dev/null
}

# the front-end's state (peer 1) is RESET: it removed the disk
fe_reset() { ivshmem list 2>/dev/null | grep -q ' 1=0x0'; }

# the files of the image's file system, loop-mounted read-only here
image_files_md5() {
	mkdir -p "$D/mnt"
	mount -t ext4 -o loop,ro "$IMG" "$D/mnt" || return 1
	files_md5 "$D/mnt" | md5
	umount "$D/mnt"
}

backend() {
	modprobe uio_ivshmem || return 1
	if [ ! -e /dev/uio0 ]; then
		echo "# no uio_ivshmem device"
		exit 4
	fi
	modprobe loop
	modprobe ext4
	mkdir -p "$D"
	truncate -s "${IMG_MB}M" "$IMG" || return 1

	be_start 1
	check "front-end: file system written" wait_msg FILES || return 1
	# shellcheck disable=SC2086 # a list
	set -- $ARGS
	check "image: file system bytes as the front-end read them" \
		[ "$(img_md5 0 "$FS_MB")" = "$1" ]
	check "image: $3 files with the front-end's checksums (loop mount)" \
		[ "$(image_files_md5)" = "$2" ]
	ack
	check "front-end: dd done" wait_msg DD || return 1
	check "image: dd data" [ "$(img_md5 "$DD_OFF" "$DD_MB")" = "${ARGS# }" ]
	ack
	if [ "$MODE" != full ]; then
		wait_msg DONE
		be_stop
		echo "# $(be_summary 1)"
		check "back-end stopped cleanly, no bad requests" \
			stopped_clean 1
		return 0
	fi

	check "front-end: discard done" wait_msg DISCARD || return 1
	check "image: discarded MiB reads zeros" \
		[ "$(img_md5 "$DISCARD_OFF" 1)" = "$(zero_md5 1)" ]
	ack

	# kill the back-end while the front-end writes and reads
	check "front-end: transfer running" wait_msg KILL || return 1
	sleep 3
	# stopped first, so that requests are outstanding when it dies
	kill -STOP "$BE"
	sleep 2
	t0=$(uptime_cs)
	be_kill
	check "back-end killed mid-transfer (SIGKILL)" [ $? = 137 ]
	check "front-end failed its requests and left READY" \
		wait_for "$T" fe_reset &&
		echo "# front-end left READY $((($(uptime_cs) - t0) * 10))" \
			"ms after the SIGKILL (polled every 200 ms)"
	be_start 2
	check "front-end: transfer after the restart" wait_msg RESTARTED ||
		return 1
	check "image: data written after the restart" \
		[ "$(img_md5 "$RESTART_OFF" 1)" = "${ARGS# }" ]
	ack
	check "front-end: transfer after module reload" wait_msg RELOADED ||
		return 1
	check "image: data written after the reload" \
		[ "$(img_md5 "$RELOAD_OFF" 1)" = "${ARGS# }" ]
	ack

	# the same image, read-only
	check "front-end: ready for read-only" wait_msg RO || return 1
	be_stop
	echo "# $(be_summary 2)"
	check "back-end 2 stopped cleanly" stopped_clean 2
	before=$(img_md5 0 "$IMG_MB")
	be_start 3 -r
	check "front-end done with the read-only disk" \
		wait_for "$T" grep -q 'front-end left READY' "$D/be3.log"
	be_stop
	echo "# $(be_summary 3)"
	check "read-only back-end wrote nothing" \
		[ "$(img_md5 0 "$IMG_MB")" = "$before" ]
	check "read-only back-end served reads" served_reads 3
	check "back-end saw no bad requests" no_bad_requests "$D"/be*.log
}

# ---- front-end (guest 1) ----

SEQ=0
msg() {		# msg WORD ARGS...: the next message to the back-end
	printf '%s\n' "$*" | dd of="$DEV" bs=512 seek=$((MSG_BASE + SEQ)) \
		conv=sync oflag=direct 2>/dev/null || return 1
	SEQ=$((SEQ + 1))
}
acked() {
	[ "$(dd if="$DEV" bs=512 skip=$((ACK_BASE + SEQ - 1)) count=1 \
		iflag=direct 2>/dev/null | tr -d '\000' | head -n 1)" = \
		"ACK $((SEQ - 1))" ]
}
msg_acked() {	# msg_acked WORD ARGS...: and the back-end checked it
	msg "$@" && wait_for "$T" acked
}

rate() {	# rate MIB CENTISECONDS: MB/s
	awk -v m="$1" -v t="$2" \
		'BEGIN { printf "%.1f", t ? m * 1.048576 * 100 / t : 0 }'
}

make_files() {	# make_files DIR: a tree of random files, about 6 MiB
	mkdir -p "$1/a/b" || return 1
	i=1
	while [ "$i" -le 12 ]; do
		dd if=/dev/urandom of="$1/a/f$i" bs=1k \
			count=$((i * i * 13 % 700 + 1)) 2>/dev/null || return 1
		i=$((i + 1))
	done
	echo hello > "$1/a/b/small"
	head -c 2097152 /dev/urandom > "$1/big"
}

fs_test() {
	check "mkfs (ext2, $FS_MB MiB)" \
		sh -c "mke2fs -F -b 4096 $DEV $((FS_MB * 1024)) >/dev/null" ||
		return 1
	check "mount" mount -t ext4 "$DEV" /mnt || return 1
	check "write files" make_files /mnt
	sync
	files_md5 /mnt > /tmp/files.md5
	check "umount" umount /mnt
	echo 3 > /proc/sys/vm/drop_caches
	mount -t ext4 "$DEV" /mnt &&
		(cd /mnt && md5sum -c /tmp/files.md5 >/dev/null)
	check "files read back after remount" [ $? = 0 ]
	umount /mnt
	raw=$(dd if="$DEV" bs=1M count="$FS_MB" iflag=direct 2>/dev/null | md5)
	check "back-end checked the file system" msg_acked FILES "$raw" \
		"$(md5 < /tmp/files.md5)" "$(wc -l < /tmp/files.md5)"
}

dd_test() {
	head -c $((DD_MB << 20)) /dev/urandom > /tmp/pat
	pat=$(md5 < /tmp/pat)
	t0=$(uptime_cs)
	check "dd write $DD_MB MiB (O_DIRECT)" dd if=/tmp/pat of="$DEV" \
		bs=1M seek="$DD_OFF" oflag=direct conv=fsync 2>/dev/null
	t1=$(uptime_cs)
	dd if="$DEV" of=/tmp/back bs=1M skip="$DD_OFF" count="$DD_MB" \
		iflag=direct 2>/dev/null
	t2=$(uptime_cs)
	check "dd read back, checksum" [ "$(md5 < /tmp/back)" = "$pat" ]
	rm -f /tmp/back
	echo "# dd $DD_MB MiB, 1 MiB blocks, O_DIRECT:" \
		"write $(rate "$DD_MB" $((t1 - t0))) MB/s," \
		"read $(rate "$DD_MB" $((t2 - t1))) MB/s"
	check "back-end checked the dd data" msg_acked DD "$pat"
}

xfer() {	# xfer WORD OFFSET WHEN: 1 MiB, read back, checked
	head -c 1048576 /dev/urandom > /tmp/x
	XFER_MD5=$(md5 < /tmp/x)
	DEV=/dev/$(fe_disk)
	check "write after $3" dd if=/tmp/x of="$DEV" bs=64k \
		seek=$(($2 * 16)) oflag=direct 2>/dev/null
	check "read back after $3" [ "$(dd if="$DEV" bs=64k \
		skip=$(($2 * 16)) count=16 iflag=direct 2>/dev/null |
		md5)" = "$XFER_MD5" ]
	check "back-end checked the data after $3" msg_acked "$1" "$XFER_MD5"
}

writer_done() { ! kill -0 "$1" 2>/dev/null; }

frontend() {
	modprobe virtio_blk
	modprobe ext4
	modprobe virtio_ivshmem || return 1
	check "disk registered" wait_for "$T" disk_present || return 1
	disk=$(fe_disk)
	DEV=/dev/$disk
	check "capacity $IMG_MB MiB" \
		[ "$(cat "/sys/block/$disk/size")" = $((IMG_MB * 2048)) ]
	check "serial (GET_ID)" \
		[ "$(cat "/sys/block/$disk/serial")" = "$SERIAL" ]
	fs_test || return 1
	dd_test
	if [ "$MODE" != full ]; then
		msg DONE
		return 0
	fi

	dd if=/tmp/pat of="$DEV" bs=1M seek="$DISCARD_OFF" count=1 \
		oflag=direct 2>/dev/null
	check "discard 1 MiB" blkdiscard -o $((DISCARD_OFF << 20)) \
		-l 1048576 "$DEV"
	check "discarded MiB reads zeros" [ "$(dd if="$DEV" bs=1M \
		skip="$DISCARD_OFF" count=1 iflag=direct 2>/dev/null | md5)" = \
		"$(zero_md5 1)" ]
	check "back-end checked the discard" msg_acked DISCARD

	# the back-end is killed (SIGKILL) while we write and read, with
	# requests of both in flight (O_DIRECT, small enough that both fit
	# in the shared memory); the transport fails them: I/O errors, no
	# hang; a new back-end comes
	rem0=$(removals)
	reg0=$(registrations)
	msg KILL
	(while dd if=/tmp/pat of="$DEV" bs=128k seek=$((KILL_OFF * 8)) \
		oflag=direct 2>/tmp/writer.err; do :; done) &
	writer=$!
	(while dd if="$DEV" of=/tmp/rd bs=64k skip=$((DD_OFF * 16)) \
		count=$((DD_MB * 16)) iflag=direct 2>/tmp/reader.err &&
		[ "$(md5 < /tmp/rd)" = "$pat" ]; do :; done) &
	reader=$!
	check "disk removed when the back-end is killed" \
		wait_for "$T" removed_since "$rem0"
	t_gone=$(uptime_cs)
	check "writer saw an error and ended" \
		wait_for "$T" writer_done "$writer"
	check "reader saw an error and ended" \
		wait_for "$T" writer_done "$reader"
	t_end=$(uptime_cs)
	wait "$writer" "$reader"
	echo "# I/O ended $(((t_end - t_gone) * 10)) ms after the disk was" \
		"seen gone (polled every 200 ms)"
	echo "# writer: $(grep -m 1 "^dd:" /tmp/writer.err)"
	echo "# reader: $(grep -m 1 "^dd:" /tmp/reader.err)"
	dmesg | grep -E 'virtio_ivshmem.*(failed|removed)|I/O error' |
		tail -n 4 | sed 's/^/# /'
	check "in-flight I/O failed with an I/O error" \
		grep -q 'Input/output error' /tmp/writer.err /tmp/reader.err
	check "reader ended on an error, not on a bad checksum" \
		grep -q '^dd:' /tmp/reader.err
	failed_re='back-end gone: failed [1-9][0-9]* outstanding'
	check "dmesg: the transport failed the outstanding buffers" \
		sh -c "dmesg | grep -qE '$failed_re'"
	check "disk registered again for the new back-end" \
		wait_for "$T" registered_since "$reg0" || return 1
	xfer RESTARTED "$RESTART_OFF" "back-end restart"

	check "front-end module unload" rmmod virtio_ivshmem
	check "disk removed on unload" no_disk
	check "front-end module reload" modprobe virtio_ivshmem
	check "disk registered after reload" wait_for "$T" disk_present ||
		return 1
	xfer RELOADED "$RELOAD_OFF" "module reload"

	msg RO
	check "disk removed for the read-only back-end" wait_for "$T" no_disk
	check "read-only disk registered" wait_for "$T" disk_present ||
		return 1
	disk=$(fe_disk)
	DEV=/dev/$disk
	check "disk is read-only" [ "$(cat "/sys/block/$disk/ro")" = 1 ]
	err=$(dd if=/tmp/x of="$DEV" bs=4k count=1 oflag=direct 2>&1)
	check "write refused by the block layer" [ $? != 0 ]
	echo "# $err"
	check "read-only disk reads the data" [ "$(dd if="$DEV" bs=64k \
		skip=$((RELOAD_OFF * 16)) count=16 iflag=direct 2>/dev/null |
		md5)" = "$XFER_MD5" ]
	check "front-end module unload" rmmod virtio_ivshmem
	check "dmesg: disk registered 4 times" \
		[ "$(dmesg | grep -c 'virtio_ivshmem.* 2 registered')" = 4 ]
	check "dmesg: no BUG, WARNING or hung task" kernel_log_clean
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
