#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Shared by the virtio_ivshmem tests: TAP output and polling. The test
# sets n=0 and rc=0 before its first check and exits with $rc.

# shellcheck disable=SC2034 # rc: read by the sourcing test

ok() { n=$((n + 1)); echo "ok $n $*"; }
fail() { n=$((n + 1)); echo "not ok $n $*"; rc=1; }
check() {	# check NAME CMD...
	name=$1
	shift
	if "$@"; then ok "$name"; else fail "$name"; fi
}

# wait_for SECS CMD...: poll CMD every 0.2 s
wait_for() {
	w=$(($1 * 5))
	shift
	while [ "$w" -gt 0 ]; do
		"$@" && return 0
		sleep 0.2
		w=$((w - 1))
	done
	return 1
}
