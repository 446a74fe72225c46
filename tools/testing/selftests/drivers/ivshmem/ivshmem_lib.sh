#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Shared by the tests of every IVSHMEM driver: sourced by
# net/ivshmem_net_lib.sh, uio/uio_ivshmem_lib.sh and
# virtio/virtio_ivshmem_lib.sh from the parent directory of the test, or
# from $IVSHMEM_TESTS for scripts elsewhere (bench).

# wait_for SECS CMD...: poll CMD every 0.2 s until it succeeds; fails
# after SECS * 5 polls. That is SECS seconds only when CMD takes no time:
# the limit counts polls, so a slow CMD (a loaded or debug guest) gets
# longer, never less. The counter has a name of its own (POSIX sh has no
# local variables), so callers keep theirs.
wait_for() {
	ivshmem_wait_left=$(($1 * 5))
	shift
	while [ "$ivshmem_wait_left" -gt 0 ]; do
		"$@" && return 0
		sleep 0.2
		ivshmem_wait_left=$((ivshmem_wait_left - 1))
	done
	return 1
}

# kernel_log_clean: no kernel problem printed since boot: BUG, WARNING,
# oops, KASAN, UBSAN, lockdep or hung task report; prints them (as TAP
# comments) if any. A starved guest's RCU stall prints a stack trace too,
# but is no problem of ours, so "Call Trace" alone does not count.
kernel_log_clean() {
	ivshmem_bad=$(dmesg | grep -E 'BUG:|WARNING:|Oops|general protection|KASAN:|UBSAN:|inconsistent lock state|possible (circular|recursive) locking|blocked for more than') ||
		return 0
	echo "$ivshmem_bad" | sed 's/^/# /'
	return 1
}
