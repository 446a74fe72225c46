#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# uio-pingpong-compare.sh [COUNT]: in one run, measure the doorbell
# ping-pong round trip between two guests bound to uio_ivshmem (MSI-X,
# kernel 6.12, "ivshmem pingpong") and, on the host right after, the
# ping-pong of two processes over two eventfds (bench/eventfd_pingpong).
# Prints both medians. Guests run under TCG unless VMTEST_ACCEL says
# otherwise, so the guest number is an emulated machine's.

set -euo pipefail
# shellcheck source=tools/testing/ivshmem/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

count=${1:-1000}
log=$(mktemp)
script=$(mktemp)
trap 'rm -f "$log" "$script"' EXIT

[ -x "$BUILD/payload/bin/ivshmem" ] || "$TB/build.sh" payload >/dev/null
[ -d "$BUILD/kmod-6.12" ] || "$TB/build.sh" kmods 6.12 >/dev/null
make -s -C "$TB/bench" OUT="$BUILD/host" >/dev/null

cat > "$script" <<GUEST
#!/bin/sh
modprobe uio_ivshmem && ivshmem pingpong -n $count -v 1
GUEST
"$TB/vmtest" -n 2 -k 6.12 -V 2 -m msix "$script" >"$log" 2>&1 || {
	tail -n 30 "$log"
	echo "uio-pingpong-compare: the guests failed" >&2
	exit 1
}
guest=$(sed -n 's/^\[g0\] \(.*round trips.*\)$/\1/p' "$log")
host=$("$BUILD/host/eventfd_pingpong" "$count")

echo "guest-to-guest, uio_ivshmem doorbells (MSI-X, 6.12, ${VMTEST_ACCEL:-tcg}): $guest"
echo "host, two processes over eventfd: $host"
