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

# Guest scenarios run in the background, up to SCENARIO_JOBS at a time (1
# unless the runner sets more: make check runs two); their results are
# counted and printed in the order the scenarios started. Each leaves
# vm-NAME.log (its output) and, once it ended, vm-NAME.end ("EXIT-CODE
# SECONDS") in LOGDIR; a vmtest scenario also vm-NAME.sh (the guest script).
SCENARIO_JOBS=1
SCENARIO_QUEUE=()	# started, not counted yet: oldest first
declare -A SCENARIO_PID=() SCENARIO_COUNT=()

# job_start NAME COUNT COMMAND...: run COMMAND in the background as one of
# the scenarios; once it ended, scenarios_wait calls COUNT NAME to count
# its results.
job_start() {
	local name=$1 count=$2 end=$LOGDIR/vm-$1.end

	shift 2
	rm -f "$end"
	(
		t=$SECONDS
		"$@" >"$LOGDIR/vm-$name.log" 2>&1
		echo "$? $((SECONDS - t))" > "$end.new" && mv "$end.new" "$end"
	) &
	SCENARIO_PID[$name]=$!
	SCENARIO_COUNT[$name]=$count
	SCENARIO_QUEUE+=("$name")
}

# scenario_start NAME "VMTEST OPTIONS" "GUEST SCRIPT": boot the guests of
# the scenario and run the script in each, in the background.
scenario_start() {
	local script=$LOGDIR/vm-$1.sh

	printf '#!/bin/sh\n%s\n' "$3" > "$script"
	# shellcheck disable=SC2086 # the options are words
	job_start "$1" scenario_result \
		"$TB/vmtest" -L "$BUILD/vmtest-logs" $2 "$script"
}

# scenario_result NAME: count the guests' TAP lines and the run itself. A
# failed run shows its failures and the kernel reports vmtest found.
scenario_result() {
	local name=$1 log=$LOGDIR/vm-$1.log rc=1 secs=0

	read -r rc secs < "$LOGDIR/vm-$name.end"
	count_tap "$name" "$log"
	if [ "$rc" = 0 ]; then
		result ok "$name: guests ($secs s)"
	else
		grep -E 'not ok|VMTEST|BUG|WARNING|Oops|vmtest:' "$log" |
			grep -v '^vmtest: g[0-9]*| ' | head -n 20 | sed 's/^/    /'
		grep '^vmtest: g[0-9]*| ' "$log" | head -n 80 | sed 's/^/    /'
		result fail "$name: guests exit $rc (log: ${log#"$TOP"/})"
	fi
}

# scenarios_wait N: wait until fewer than N scenarios run (scenarios_wait
# 1: all ended), counting the results of those that ended, in order.
scenarios_wait() {
	local name running

	while :; do
		while [ ${#SCENARIO_QUEUE[@]} -gt 0 ] &&
		      [ -f "$LOGDIR/vm-${SCENARIO_QUEUE[0]}.end" ]; do
			name=${SCENARIO_QUEUE[0]}
			SCENARIO_QUEUE=("${SCENARIO_QUEUE[@]:1}")
			wait "${SCENARIO_PID[$name]}"
			"${SCENARIO_COUNT[$name]}" "$name"
			unset "SCENARIO_PID[$name]" "SCENARIO_COUNT[$name]"
		done
		running=0
		for name in "${SCENARIO_QUEUE[@]}"; do
			[ -f "$LOGDIR/vm-$name.end" ] || running=$((running + 1))
		done
		[ "$running" -ge "$1" ] || return 0
		sleep 0.5
	done
}

# scenarios_stop: end the scenarios that run (make check interrupted);
# vmtest stops its guests and server on SIGTERM.
scenarios_stop() {
	local p

	for p in "${SCENARIO_PID[@]}"; do
		pkill -TERM -P "$p"
	done
}

# run_scenario NAME "VMTEST OPTIONS" "GUEST SCRIPT": one scenario, in the
# foreground: its result is counted when it returns.
run_scenario() {
	scenario_start "$@"
	scenarios_wait 1
}

# scenario NAME "VMTEST OPTIONS" "GUEST SCRIPT": the scenario files' call;
# SCENARIO_JOBS of them at a time.
scenario() {
	scenario_start "$@"
	scenarios_wait "$SCENARIO_JOBS"
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
