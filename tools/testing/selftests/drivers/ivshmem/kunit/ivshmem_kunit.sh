#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Loads the modules that carry the KUnit suites of the IVSHMEM v2 drivers,
# which run when they are loaded, and prints their results from debugfs as
# flat KTAP: one line per test case, and for a parameterized case one line
# per parameter, named SUITE/CASE or SUITE/CASE/PARAMETER. Each failing
# suite's full KUnit log follows as "#" lines.
#
#   ivshmem-geometry  <linux/ivshmem.h> (module ivshmem_kunit)
#   ivshmem-net       ring sizing and validation (module ivshmem-net)
#   virtio_ivshmem    allocator and validation (module virtio_ivshmem)
#
# Needs a kernel with CONFIG_KUNIT and CONFIG_DEBUG_FS and the modules
# built against it (the out-of-tree Kbuild adds the suites when the kernel
# has KUnit). Exit status: 0 all passed, 1 a failure, 4 (skip) no KUnit
# or KUnit disabled.

KSFT_SKIP=4
KUNIT=/sys/kernel/debug/kunit
SUITES="ivshmem-geometry:ivshmem_kunit ivshmem-net:ivshmem-net
virtio_ivshmem:virtio_ivshmem"

out=$(mktemp)
trap 'rm -f "$out"' EXIT

[ -d /sys/kernel/debug/kunit ] ||
	mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
if [ ! -d "$KUNIT" ]; then
	echo "KTAP version 1"
	echo "1..0 # SKIP no KUnit in this kernel ($KUNIT missing)"
	exit $KSFT_SKIP
fi

# KTAP lines of one suite's results file, flattened
flatten() {	# flatten SUITE FILE
	awk -v suite="$1" '
	function result(line) {
		sub(/^ +/, "", line)
		status = line ~ /^not ok / ? "not ok" : "ok"
		sub(/^(not )?ok [0-9]+ /, "", line)
		return line
	}
	/^        # Subtest: / { pcase = substr($0, 20); nparam = 0; next }
	/^        (not )?ok [0-9]+ / {
		name = result($0)
		print status " " suite "/" pcase "/" name
		nparam++
		n++
		next
	}
	/^    (not )?ok [0-9]+ / {
		name = result($0)
		if (!(nparam && name == pcase)) {
			print status " " suite "/" name
			n++
		}
		pcase = ""
		nparam = 0
		next
	}
	/^(not )?ok [0-9]+ / {
		name = result($0)
		if (!n)
			print status " " suite " (no test case ran)"
	}
	' "$2"
}

# kunit.enable=0 (vmtest's default for debug guests, see its -U) keeps
# the suites from running at module load: nothing to report.
if grep -q -w 'kunit.enable=0' /proc/cmdline; then
	echo "KTAP version 1"
	echo "1..0 # SKIP KUnit disabled on the command line (kunit.enable=0)"
	exit $KSFT_SKIP
fi

# The kernel log of the suites stays off the console: the results are
# printed below (warnings and errors still reach it).
printk=$(cut -f1 /proc/sys/kernel/printk)
echo 5 >/proc/sys/kernel/printk

rc=0
for s in $SUITES; do
	suite=${s%%:*}
	mod=${s#*:}
	# loading runs the suites: start from an unloaded module
	modprobe -r "$mod" 2>/dev/null
	if ! modprobe "$mod"; then
		echo "not ok $suite (modprobe $mod failed)" >>"$out"
		rc=1
		continue
	fi
	res=$KUNIT/$suite/results
	if [ ! -r "$res" ]; then
		echo "not ok $suite (no $res: $mod built without KUnit?)" >>"$out"
		rc=1
	else
		flatten "$suite" "$res" >>"$out"
		if grep -q '^not ok' "$res"; then
			sed 's/^/# /' "$res" >>"$out"
			rc=1
		fi
	fi
	modprobe -r "$mod" || rc=1
done

echo "$printk" >/proc/sys/kernel/printk

echo "KTAP version 1"
echo "1..$(grep -c '^\(not \)\{0,1\}ok ' "$out")"
awk '/^(not )?ok / { sub(/ok /, "ok " ++n " ") } { print }' "$out"
grep -q '^not ok' "$out" && rc=1
exit $rc
