# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# make bench, quick mode (tools/testing/ivshmem/bench/bench -q): all runs
# in about 90 s, then the report must be well-formed. Sourced by ../check,
# which provides result, job_start, LOGDIR, TB and an exported QEMU. Checks
# the form of the report, never a speed.

# bench_result NAME: the run (job NAME) and the form of its report
bench_result() {
	local dir=$LOGDIR/bench log=$LOGDIR/vm-$1.log rc=1 secs=0 png bad=

	read -r rc secs <"$LOGDIR/vm-$1.end"
	if [ "$rc" = 0 ]; then
		result ok "bench: quick run ($secs s)"
	else
		tail -n 20 "$log" | sed 's/^/    /'
		result fail "bench: quick run exit $rc (log: ${log#"$TOP"/})"
	fi

	# every figure of the quick mode, a positive median
	if /usr/bin/python3 - "$dir/report.json" <<-'EOF' >"$LOGDIR/bench-json.log" 2>&1
		import json, sys
		r = json.load(open(sys.argv[1]))
		keys = [f'net.{p}.{m}' for p in ('ivshmem', 'virtio') for m in (
		    'tcp_tx.mbps', 'tcp_rx.mbps', 'tcp_tx.cpu_s_per_gb',
		    'tcp_rx.cpu_s_per_gb', 'udp64.pps', 'udp1400.pps',
		    'ping.median_us', 'ping.p99_us', 'rr.median_us', 'rr.p99_us')]
		keys += ['scale.ivshmem.1M.mtu1500.mbps',
		         'scale.virtio.1M.mtu1500.mbps',
		         'scale.ivshmem.64K.mtu1500.mbps',
		         'uio.peers2.median_us', 'uio.peers2.p99_us',
		         'uio.peers3.median_us', 'uio.peers3.p99_us',
		         'eventfd.host.median_us', 'eventfd.host.p99_us',
		         'memcpy.guest.1048576.gbps', 'memcpy.host.1048576.gbps']
		keys += [f'blk.{p}.{m}' for p in ('ivshmem', 'pci') for m in (
		    'write.mbps', 'read.mbps', 'randread.iops')]
		m = r['metrics']
		bad = [k for k in keys
		       if k not in m or not m[k]['median'] > 0
		       or not m[k]['min'] <= m[k]['median'] <= m[k]['max']]
		for k in ('net.ivshmem.ping', 'net.virtio.ping', 'net.ivshmem.rr',
		          'net.virtio.rr'):
		    q = r['distributions'].get(k, {}).get('median_us', [])
		    if len(q) != 21 or q != sorted(q) or not q[0] > 0:
		        bad.append(k + ' distribution')
		rat = [x for x in r['ratios'] if not (x['ratio'] or 0) > 0]
		bad += ['ratio ' + x['title'] for x in rat]
		if r['missing'] or r['failed_runs']:
		    bad.append(f"missing {r['missing']} failed {r['failed_runs']}")
		print('\n'.join(bad))
		sys.exit(1 if bad or len(r['ratios']) < 10 else 0)
	EOF
	then
		result ok "bench: report.json complete"
	else
		sed 's/^/    /' "$LOGDIR/bench-json.log" | head -n 20
		result fail "bench: report.json complete"
	fi

	# the ratio table up front: heading, header, at least 10 numeric rows
	if [ -s "$dir/report.md" ] &&
	   [ "$(grep -m 1 '^## ' "$dir/report.md")" = "## Ratios: ivshmem / alternative" ] &&
	   grep -q '^| Figure | ivshmem | alternative | ratio | better |$' "$dir/report.md" &&
	   [ "$(grep -c -E '^\| [^|]+ \| [0-9,.]+ .*\| [0-9.e+-]+ \| (higher|lower) \|$' "$dir/report.md")" -ge 10 ]; then
		result ok "bench: report.md has the ratio table"
	else
		result fail "bench: report.md has the ratio table"
	fi

	for png in throughput_vs_mtu throughput_vs_section throughput_vs_msgsize \
		   memcpy latency_cdf doorbell; do
		if [ "$(head -c 8 "$dir/$png.png" 2>/dev/null | od -An -tx1 | tr -d ' \n')" != 89504e470d0a1a0a ]; then
			bad+=" $png"
		fi
	done
	if [ -z "$bad" ]; then
		result ok "bench: PNG plots"
	else
		result fail "bench: PNG plots missing or not PNG:$bad"
	fi
}
# One of the scenarios: make check looks at the form of the report, and
# figures taken next to another scenario tell nothing. make bench runs
# alone.
job_start bench bench_result "$TB/bench/bench" -q -o "$LOGDIR/bench"
scenarios_wait "$SCENARIO_JOBS"
