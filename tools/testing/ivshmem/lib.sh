# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034
# Common settings of the ivshmem2-linux test bed scripts (sourced).

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
TB=$TOP/tools/testing/ivshmem
CACHE=${IVSHMEM_CACHE:-/var/cache/ivshmem2-linux}
BUILD=${IVSHMEM_BUILD:-$TOP/build}
KERNELS=${IVSHMEM_KERNELS:-6.1 6.12}
KTOOLS=$CACHE/linux-tools-6.12
export IVSHMEM_CACHE=$CACHE

# The kernel tree's own checkpatch settings for our C sources (style.md).
# Debian's codespell keeps its dictionary inside the Python package.
CODESPELL_DICT=/usr/lib/python3/dist-packages/codespell_lib/data/dictionary.txt
CHECKPATCH_KERNEL=(--no-tree --strict --max-line-length=80
		   --codespell --codespellfile "$CODESPELL_DICT")

# Kernel-style C sources: drivers, shared header, tools, selftests, bench.
kernel_sources() {
	(cd "$TOP" && find drivers include tools -name '*.[ch]' | sort)
}

# QEMU-style C sources: the device model, the server and their tests.
qemu_sources() {
	(cd "$TOP" && find qemu -name '*.[ch]' | sort)
}

# ---------------------------------------------------------------------------
# The runner of make check and make check-debug: each check prints one
# "ok"/"not ok" line, guest TAP lines count one each, check_end prints
# "N passed, N failed, N skipped". Scenario files (scenarios/*.sh,
# scenarios-debug/*.sh) call scenario(); a runner may redefine it around
# run_scenario.

# check_begin NAME: counters, log directory $BUILD/NAME (emptied), and the
# marker that the processes of this run carry (see check_leftovers).
check_begin() {
	LOGDIR=$BUILD/$1
	PASS=0
	FAIL=0
	SKIP=0
	FAILED=()
	T0=$(date +%s)
	export IVSHMEM_CHECK_RUN="$$-$T0"
	rm -rf "$LOGDIR"
	mkdir -p "$LOGDIR"
}

result() {	# result ok|fail|skip NAME
	case $1 in
	ok) PASS=$((PASS + 1)); echo "ok - $2" ;;
	skip) SKIP=$((SKIP + 1)); echo "ok - $2 # SKIP" ;;
	*) FAIL=$((FAIL + 1)); FAILED+=("$2"); echo "not ok - $2" ;;
	esac
}

# step NAME CMD...: run CMD with its output in the log; one result.
step() {
	local name=$1 log=$LOGDIR/$1.log t=$SECONDS

	shift
	if "$@" >"$log" 2>&1; then
		result ok "$name ($((SECONDS - t)) s)"
		return 0
	fi
	tail -n 40 "$log" | sed 's/^/    /'
	result fail "$name (log: ${log#"$TOP"/})"
	return 1
}

# Count TAP lines of a log: "ok N name", "not ok N name", "# SKIP".
count_tap() {	# count_tap PREFIX LOG
	local prefix=$1 log=$2 line name

	while IFS= read -r line; do
		line=${line%$'\r'}
		if [[ $line =~ ^(\[([a-z0-9]+)\]\ )?(not\ )?ok\ [0-9]+\ (-\ )?(.*)$ ]]; then
			name="$prefix/${BASH_REMATCH[2]:+${BASH_REMATCH[2]}/}${BASH_REMATCH[5]}"
			if [ -n "${BASH_REMATCH[3]}" ]; then
				result fail "$name"
			elif [[ $line == *"# SKIP"* ]]; then
				result skip "${name%% # SKIP*}"
			else
				result ok "$name"
			fi
		fi
	done < "$log"
}

# run_scenario NAME "VMTEST OPTIONS" "GUEST SCRIPT": boot guests, run the
# script in each, count the guests' TAP lines and the run itself. A failed
# run shows its failures and the kernel reports vmtest found.
run_scenario() {
	local name=$1 opts=$2 body=$3 log=$LOGDIR/vm-$1.log script rc t=$SECONDS

	script=$LOGDIR/vm-$name.sh
	printf '#!/bin/sh\n%s\n' "$body" > "$script"
	# shellcheck disable=SC2086
	"$TB/vmtest" -L "$BUILD/vmtest-logs" $opts "$script" >"$log" 2>&1
	rc=$?
	count_tap "$name" "$log"
	if [ "$rc" = 0 ]; then
		result ok "$name: guests ($((SECONDS - t)) s)"
	else
		grep -E 'not ok|VMTEST|BUG|WARNING|Oops|vmtest:' "$log" |
			grep -v '^vmtest: g[0-9]*| ' | head -n 20 | sed 's/^/    /'
		grep '^vmtest: g[0-9]*| ' "$log" | head -n 80 | sed 's/^/    /'
		result fail "$name: guests exit $rc (log: ${log#"$TOP"/})"
	fi
}

scenario() {
	run_scenario "$@"
}

# Nothing of ours may outlive the run: QEMUs and servers started by this
# run carry its marker in their environment (other runs may be going on).
check_leftovers() {
	local p left=

	for p in /proc/[0-9]*; do
		case $(cat "$p/comm" 2>/dev/null) in
		qemu-system-x86|ivshmem2-server) ;;
		*) continue ;;
		esac
		if tr '\0' '\n' < "$p/environ" 2>/dev/null |
			grep -qx "IVSHMEM_CHECK_RUN=$IVSHMEM_CHECK_RUN"; then
			left+="${p#/proc/} $(tr '\0' ' ' < "$p/cmdline")"$'\n'
		fi
	done
	if [ -z "$left" ]; then
		result ok "no process left behind"
	else
		printf '    %s\n' "$left"
		result fail "no process left behind"
	fi
}

# check_end: the leftover check, wall time, failures, the counts line;
# returns non-zero if anything failed.
check_end() {
	local f

	check_leftovers
	echo "# wall time $(( $(date +%s) - T0 )) s"
	for f in "${FAILED[@]}"; do
		echo "# failed: $f"
	done
	echo "$PASS passed, $FAIL failed, $SKIP skipped"
	[ "$FAIL" = 0 ]
}
