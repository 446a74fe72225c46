#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Host-side tests of the ivshmem2 device model's error paths: a bad command
# line, a server of another protocol, a server or peer that disappears.
# Guest-visible behaviour is tested from inside guests by the conformance
# suite (tools/testing/selftests/drivers/ivshmem/conformance/).
#
# Usage: ivshmem2-device-test.sh QEMU SERVER
# Prints TAP, exits non-zero if any test failed.

set -uo pipefail

QEMU=$1
SERVER=$2
TMP=$(mktemp -d /tmp/ivshmem2-devtest.XXXXXX)
NAME=/ivshmem2-devtest-$$
PIDS=()
N=0
FAILS=0

cleanup() {
	local p

	for p in "${PIDS[@]}"; do
		kill -9 "$p" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$TMP"
	rm -f "/dev/shm$NAME"
}
trap cleanup EXIT

tap() {	# tap OK|FAIL NAME [DETAIL]
	N=$((N + 1))
	if [ "$1" = OK ]; then
		echo "ok $N - $2"
	else
		FAILS=$((FAILS + 1))
		echo "not ok $N - $2"
		[ -n "${3:-}" ] && printf '#   %s\n' "$3"
	fi
}

qemu_args=(-M pc -accel tcg -S -display none -nodefaults -no-user-config
	   -L /usr/share/qemu -L /usr/share/seabios)

# expect_error NAME PATTERN QEMU-ARGS...: QEMU exits 1 with PATTERN.
expect_error() {
	local name=$1 pattern=$2 rc

	shift 2
	timeout 20 "$QEMU" "${qemu_args[@]}" "$@" >"$TMP/out" 2>&1
	rc=$?
	if [ "$rc" = 1 ] && grep -q -- "$pattern" "$TMP/out"; then
		tap OK "$name"
	else
		tap FAIL "$name" "exit $rc: $(head -c 300 "$TMP/out")"
	fi
}

start_server() {	# start_server ARGS...: foreground server on $TMP/sock
	rm -f "$TMP/sock"
	"$SERVER" -F -S "$TMP/sock" -M "$NAME" "$@" >"$TMP/srv.log" 2>&1 &
	PIDS+=($!)
	SRV=$!
	for _ in $(seq 100); do
		grep -q listening "$TMP/srv.log" && return 0
		sleep 0.05
	done
	return 1
}

# A fake server: send the given bytes (and a memfd) to the first client.
fake_server() {	# fake_server HEX-BYTES
	rm -f "$TMP/sock"
	python3 - "$TMP/sock" "$1" <<'EOF' &
import os, socket, sys, time
path, payload = sys.argv[1], bytes.fromhex(sys.argv[2])
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
s.listen(1)
c, _ = s.accept()
fd = os.memfd_create("fake", 0)
os.ftruncate(fd, 65536)
socket.send_fds(c, [payload], [fd])
time.sleep(30)
EOF
	PIDS+=($!)
	for _ in $(seq 100); do
		[ -S "$TMP/sock" ] && return 0
		sleep 0.05
	done
	return 1
}

dev() {	# dev [PROPS]: DEV = chardev + device arguments on $TMP/sock
	DEV=(-chardev "socket,path=$TMP/sock,id=ivsh"
	     -device "ivshmem2,chardev=ivsh${1:+,$1}")
}

# --- command line ---------------------------------------------------------

expect_error "no chardev property" "chardev" -device ivshmem2
expect_error "chardev that is not a socket" "UNIX socket" \
	-chardev null,id=c -device ivshmem2,chardev=c
dev
expect_error "no server listening" "Failed to connect" "${DEV[@]}"

# --- servers that are not ours ------------------------------------------

# ivshmem v1 server: an int64 protocol version 0 comes first
fake_server 0000000000000000
expect_error "v1 server refused" "protocol version 0" "${DEV[@]}"

# INIT header, version 3, compatible_version 3, id 0, 2 peers, 1 vector...
fake_server "0000000028000000030000000300000000000000020000000100000000000000$(printf '%016x' 0)"
expect_error "incompatible server version refused" "version 3" "${DEV[@]}"

# --- link parameters the mode cannot take ------------------------------------

start_server -n 2 -V 2
dev msix=off
expect_error "msix=off on a 2-vector link refused" "exactly 1 vector" \
	"${DEV[@]}"
{ kill "$SRV"; wait "$SRV"; } 2>/dev/null

# --- a server that disappears, a peer that disappears -------------------

start_server -n 2 -V 1
dev
"$QEMU" "${qemu_args[@]}" "${DEV[@]}" >"$TMP/q0.log" 2>&1 &
Q0=$!
PIDS+=("$Q0")
for _ in $(seq 100); do
	grep -q "peer 0 connected" "$TMP/srv.log" && break
	sleep 0.05
done
"$QEMU" "${qemu_args[@]}" "${DEV[@]}" >"$TMP/q1.log" 2>&1 &
Q1=$!
PIDS+=("$Q1")
for _ in $(seq 100); do
	grep -q "peer 1 connected" "$TMP/srv.log" && break
	sleep 0.05
done
if grep -q "peer 1 connected" "$TMP/srv.log"; then
	tap OK "two devices join one link"
else
	tap FAIL "two devices join one link" "$(cat "$TMP/srv.log")"
fi

{ kill -9 "$Q1"; wait "$Q1"; } 2>/dev/null
sleep 1
if kill -0 "$Q0" 2>/dev/null && grep -q "peer 1 left" "$TMP/srv.log"; then
	tap OK "peer killed: the other device survives PEER_GONE"
else
	tap FAIL "peer killed: the other device survives PEER_GONE" \
		"$(cat "$TMP/q0.log")"
fi

{ kill -9 "$SRV"; wait "$SRV"; } 2>/dev/null
sleep 1
if kill -0 "$Q0" 2>/dev/null; then
	tap OK "server killed: the device keeps running"
else
	tap FAIL "server killed: the device keeps running" "$(cat "$TMP/q0.log")"
fi

kill -TERM "$Q0"
wait "$Q0"
rc=$?
if [ "$rc" = 0 ]; then
	tap OK "QEMU exits cleanly after losing the server"
else
	tap FAIL "QEMU exits cleanly after losing the server" \
		"exit $rc: $(cat "$TMP/q0.log")"
fi

echo "1..$N"
echo "# $((N - FAILS)) passed, $FAILS failed"
[ "$FAILS" = 0 ]
