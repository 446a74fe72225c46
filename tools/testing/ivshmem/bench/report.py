#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# report.py RAW DIR: turn the BENCH lines that "bench" collected in RAW
# into DIR/report.json, DIR/report.md and the data files of plots.gp
# (DIR/*.dat). Python standard library only.
#
# RAW lines:
#   META KEY VALUE...           run facts (mode, load, durations)
#   BENCH METRIC VALUE          one repetition of a figure
#   BENCHQ METRIC Q0 .. Q100    21 quantiles (0, 5, .., 100 %) of one
#                               latency measurement, microseconds
#   BENCH-ERROR TEXT            a guest could not measure something
#   RUNFAIL NAME TEXT           a guest run failed

import json
import statistics
import sys

PATHS = ('ivshmem', 'virtio')
MTUS = (1500, 9000, 16384, 65535)
SECTIONS = ('64K', '256K', '1M', '4M', '16M')
MEMCPY_SIZES = (4096, 65536, 1 << 20, 16 << 20)
QUANTILES = list(range(0, 101, 5))

# Figures every complete report has (the make check scenario checks them)
REQUIRED = [f'net.{p}.{m}' for p in PATHS for m in (
    'tcp_tx.mbps', 'tcp_rx.mbps', 'tcp_tx.cpu_s_per_gb',
    'tcp_rx.cpu_s_per_gb', 'udp64.pps', 'udp1400.pps',
    'ping.median_us', 'ping.p99_us', 'rr.median_us', 'rr.p99_us')] + [
    'scale.ivshmem.1M.mtu1500.mbps', 'scale.ivshmem.64K.mtu1500.mbps',
    'net.vnet.tcp_tx.mbps', 'net.vnet.tcp_rx.mbps', 'net.vnet.ping.median_us',
    'net.vnet.ping.p99_us', 'net.vnet.rr.median_us', 'net.vnet.rr.p99_us',
    'uio.peers2.median_us', 'uio.peers2.p99_us',
    'uio.peers3.median_us', 'uio.peers3.p99_us',
    'eventfd.host.median_us', 'eventfd.host.p99_us',
    'memcpy.guest.1048576.gbps', 'memcpy.host.1048576.gbps'] + [
    f'blk.{p}.{m}' for p in ('ivshmem', 'pci') for m in (
        'write.mbps', 'read.mbps', 'randread.iops')]

# (title, ivshmem metric, alternative metric, alternative name, unit,
#  better): the ratio table at the top of the report
RATIOS = [
    ('TCP throughput g0 -> g1', 'net.ivshmem.tcp_tx.mbps',
     'net.virtio.tcp_tx.mbps', 'virtio-net', 'Mbit/s', 'higher'),
    ('TCP throughput g1 -> g0', 'net.ivshmem.tcp_rx.mbps',
     'net.virtio.tcp_rx.mbps', 'virtio-net', 'Mbit/s', 'higher'),
    ('UDP 64-byte datagrams received', 'net.ivshmem.udp64.pps',
     'net.virtio.udp64.pps', 'virtio-net', 'pps', 'higher'),
    ('UDP 1400-byte datagrams received', 'net.ivshmem.udp1400.pps',
     'net.virtio.udp1400.pps', 'virtio-net', 'pps', 'higher'),
    ('ICMP RTT, median', 'net.ivshmem.ping.median_us',
     'net.virtio.ping.median_us', 'virtio-net', 'us', 'lower'),
    ('ICMP RTT, p99', 'net.ivshmem.ping.p99_us',
     'net.virtio.ping.p99_us', 'virtio-net', 'us', 'lower'),
    ('TCP_RR (1 byte) RTT, median', 'net.ivshmem.rr.median_us',
     'net.virtio.rr.median_us', 'virtio-net', 'us', 'lower'),
    ('TCP_RR (1 byte) RTT, p99', 'net.ivshmem.rr.p99_us',
     'net.virtio.rr.p99_us', 'virtio-net', 'us', 'lower'),
    ('CPU per GB, TCP g0 -> g1 (both guests)',
     'net.ivshmem.tcp_tx.cpu_s_per_gb', 'net.virtio.tcp_tx.cpu_s_per_gb',
     'virtio-net', 'CPU s/GB', 'lower'),
    ('CPU per GB, TCP g1 -> g0 (both guests)',
     'net.ivshmem.tcp_rx.cpu_s_per_gb', 'net.virtio.tcp_rx.cpu_s_per_gb',
     'virtio-net', 'CPU s/GB', 'lower'),
    ('virtio-net over ivshmem: TCP g0 -> g1', 'net.vnet.tcp_tx.mbps',
     'net.virtio.tcp_tx.mbps', 'virtio-net', 'Mbit/s', 'higher'),
    ('virtio-net over ivshmem: TCP g1 -> g0', 'net.vnet.tcp_rx.mbps',
     'net.virtio.tcp_rx.mbps', 'virtio-net', 'Mbit/s', 'higher'),
    ('virtio-net over ivshmem: ICMP RTT, median',
     'net.vnet.ping.median_us', 'net.virtio.ping.median_us', 'virtio-net',
     'us', 'lower'),
    ('virtio-net over ivshmem: TCP_RR RTT, median', 'net.vnet.rr.median_us',
     'net.virtio.rr.median_us', 'virtio-net', 'us', 'lower'),
    ('Block: sequential write (dd, 1 MiB, O_DIRECT)',
     'blk.ivshmem.write.mbps', 'blk.pci.write.mbps', 'virtio-blk-pci',
     'MB/s', 'higher'),
    ('Block: sequential read (dd, 1 MiB, O_DIRECT)', 'blk.ivshmem.read.mbps',
     'blk.pci.read.mbps', 'virtio-blk-pci', 'MB/s', 'higher'),
    ('Block: 4 KiB random reads, queue depth 1',
     'blk.ivshmem.randread.iops', 'blk.pci.randread.iops', 'virtio-blk-pci',
     'IOPS', 'higher'),
    ('Doorbell round trip, median (uio_ivshmem, guests)',
     'uio.peers2.median_us', 'eventfd.host.median_us',
     'eventfd (host processes)', 'us', 'lower'),
    ('Doorbell round trip, p99 (uio_ivshmem, guests)',
     'uio.peers2.p99_us', 'eventfd.host.p99_us',
     'eventfd (host processes)', 'us', 'lower'),
    ('Doorbell round trip, median, 3 peers vs 2',
     'uio.peers3.median_us', 'uio.peers2.median_us', 'uio, 2 peers', 'us',
     'lower'),
    ('TCP g0 -> g1 vs guest memcpy (1 MiB blocks)', 'best-ivshmem-gbytes',
     'memcpy.guest.1048576.gbps', 'memcpy in the guest', 'GB/s', 'higher'),
]


def size_bytes(s):
    mult = {'K': 1 << 10, 'M': 1 << 20, 'G': 1 << 30}
    return int(s[:-1]) * mult[s[-1]] if s[-1] in mult else int(s)


def parse(path):
    meta, values, quants, errors, failures = {}, {}, {}, [], []
    with open(path, errors='replace') as f:
        for line in f:
            w = line.split()
            if len(w) < 2:
                continue
            try:
                if w[0] == 'META':
                    meta[w[1]] = ' '.join(w[2:])
                elif w[0] == 'BENCH' and len(w) == 3:
                    values.setdefault(w[1], []).append(float(w[2]))
                elif w[0] == 'BENCHQ' and len(w) == 2 + len(QUANTILES):
                    quants.setdefault(w[1], []).append(
                        [float(x) for x in w[2:]])
                elif w[0] == 'BENCH-ERROR':
                    errors.append(' '.join(w[1:]))
                elif w[0] == 'RUNFAIL':
                    failures.append(' '.join(w[1:]))
            except ValueError:
                errors.append('unparsable: ' + line.strip())
    return meta, values, quants, errors, failures


def summary(vals):
    return {'values': vals, 'median': statistics.median(vals),
            'min': min(vals), 'max': max(vals), 'n': len(vals)}


def fmt(x):
    if x is None:
        return 'n/a'
    if abs(x) >= 100:
        return f'{x:,.0f}'
    if abs(x) >= 10:
        return f'{x:.1f}'
    return f'{x:.3g}'


def cell(m, key):
    s = m.get(key)
    if not s:
        return 'n/a'
    if s['n'] == 1:
        return fmt(s['median'])
    return f"{fmt(s['median'])} ({fmt(s['min'])}..{fmt(s['max'])})"


def dat_row(m, key):
    s = m.get(key)
    return (f"{s['median']} {s['min']} {s['max']}" if s else '? ? ?')


def main():
    raw, out = sys.argv[1], sys.argv[2]
    meta, values, quants, errors, failures = parse(raw)
    m = {k: summary(v) for k, v in sorted(values.items())}

    # best ivshmem-net TCP g0 -> g1 over all MTUs and sections, in GB/s
    best = max([s['median'] for k, s in m.items()
                if k.startswith('scale.ivshmem.') and k.endswith('.mbps')] +
               [m[k]['median'] for k in ('net.ivshmem.tcp_tx.mbps',)
                if k in m], default=None)
    if best is not None:
        m['best-ivshmem-gbytes'] = summary([best / 8e3])

    dists = {}
    for k, reps in sorted(quants.items()):
        dists[k] = {'quantiles_pct': QUANTILES,
                    'median_us': [statistics.median(r[i] for r in reps)
                                  for i in range(len(QUANTILES))],
                    'repetitions': len(reps)}

    ratios = []
    for title, a, b, alt, unit, better in RATIOS:
        r = {'title': title, 'ivshmem_metric': a, 'alternative_metric': b,
             'alternative': alt, 'unit': unit, 'better': better,
             'ivshmem': m[a]['median'] if a in m else None,
             'alternative_value': m[b]['median'] if b in m else None}
        r['ratio'] = (r['ivshmem'] / r['alternative_value']
                      if r['ivshmem'] is not None and r['alternative_value']
                      else None)
        ratios.append(r)

    missing = [k for k in REQUIRED
               if k not in m or not m[k]['median'] > 0]
    report = {'meta': meta, 'ratios': ratios, 'metrics': m,
              'distributions': dists, 'required': REQUIRED,
              'missing': missing, 'errors': errors, 'failed_runs': failures}
    with open(f'{out}/report.json', 'w') as f:
        json.dump(report, f, indent=1, sort_keys=True)
        f.write('\n')

    write_dat(out, m, dists)
    write_md(out, meta, m, ratios, missing, errors, failures)


def write_dat(out, m, dists):
    with open(f'{out}/mtu.dat', 'w') as f:
        f.write('# mtu ivshmem(med min max) virtio(med min max), Mbit/s\n')
        for mtu in MTUS:
            f.write(f'{mtu} ' + ' '.join(
                dat_row(m, f'scale.{p}.1M.mtu{mtu}.mbps') for p in PATHS) +
                '\n')
    with open(f'{out}/section.dat', 'w') as f:
        f.write('# section_bytes, ivshmem-net Mbit/s med min max per MTU '
                + ' '.join(map(str, MTUS)) + '\n')
        for s in SECTIONS:
            f.write(f'{size_bytes(s)} ' + ' '.join(
                dat_row(m, f'scale.ivshmem.{s}.mtu{mtu}.mbps')
                for mtu in MTUS) + '\n')
    with open(f'{out}/msgsize.dat', 'w') as f:
        f.write('# datagram_bytes ivshmem(med min max) virtio(med min max),'
                ' Mbit/s, then the same in pps\n')
        for size in (64, 1400):
            f.write(f'{size} ' + ' '.join(
                dat_row(m, f'net.{p}.udp{size}.{u}')
                for u in ('mbps', 'pps') for p in PATHS) + '\n')
    with open(f'{out}/memcpy.dat', 'w') as f:
        f.write('# block_bytes guest(med min max) host(med min max), GB/s\n')
        for size in MEMCPY_SIZES:
            f.write(f'{size} ' + ' '.join(
                dat_row(m, f'memcpy.{w}.{size}.gbps')
                for w in ('guest', 'host')) + '\n')
    with open(f'{out}/cdf.dat', 'w') as f:
        cols = [f'net.{p}.{t}' for t in ('ping', 'rr') for p in PATHS]
        f.write('# percent ' + ' '.join(cols) + ' (us)\n')
        for i, q in enumerate(QUANTILES):
            f.write(f'{q} ' + ' '.join(
                str(dists[c]['median_us'][i]) if c in dists else '?'
                for c in cols) + '\n')
    with open(f'{out}/doorbell.dat', 'w') as f:
        f.write('# label median(med min max) p99(med min max), us\n')
        for label, key in (('uio, 2 peers', 'uio.peers2'),
                           ('uio, 3 peers', 'uio.peers3'),
                           ('eventfd, host', 'eventfd.host')):
            f.write(f'"{label}" {dat_row(m, key + ".median_us")} '
                    f'{dat_row(m, key + ".p99_us")}\n')


def write_md(out, meta, m, ratios, missing, errors, failures):
    L = []
    w = L.append
    w('# IVSHMEM v2 benchmark report\n')
    w(f"{meta.get('mode', '?')} mode, {meta.get('reps', '?')} "
      f"repetition(s) per figure, {meta.get('date', '?')}, tree "
      f"{meta.get('tree', '?')}. Guests: Linux 6.12 under QEMU "
      f"({meta.get('accel', '?')}), one vCPU each, on a host with "
      f"{meta.get('host_cpus', '?')} CPUs; host load average "
      f"{meta.get('load_before', '?')} before and "
      f"{meta.get('load_after', '?')} after "
      f"({meta.get('wall_seconds', '?')} s in all). Under TCG every "
      'guest number is that of an emulated machine: compare the columns '
      'of one run, not absolute values across machines.\n')
    w('Cells: median over the repetitions, (min..max) when there are '
      'several.\n')
    if failures or missing:
        w('**Incomplete run.** ' +
          (f"Failed runs: {'; '.join(failures)}. " if failures else '') +
          (f"Missing figures: {', '.join(missing)}." if missing else '') +
          '\n')
    w('## Ratios: ivshmem / alternative\n')
    w('| Figure | ivshmem | alternative | ratio | better |')
    w('|---|---|---|---|---|')
    for r in ratios:
        w(f"| {r['title']} | {cell(m, r['ivshmem_metric'])} {r['unit']} | "
          f"{r['alternative']}: {cell(m, r['alternative_metric'])} | "
          f"{fmt(r['ratio']) if r['ratio'] is not None else 'n/a'} | "
          f"{r['better']} |")
    w('\nA ratio above 1 means the ivshmem number is larger; whether that '
      'is good says the last column.\n')

    w('## Networking: ivshmem-net vs virtio-net (MTU 1500 both)\n')
    w('ivshmem-net: protocol 1, 1 MiB output sections. virtio-net: '
      'virtio-net-pci on QEMU\'s stream netdev (UNIX socket between the '
      'two QEMUs). iperf3 from guest 0 to guest 1 ("rx": -R).\n')
    w('| Figure | ivshmem-net | virtio-net |')
    w('|---|---|---|')
    for key, title in (
            ('tcp_tx.mbps', 'TCP g0 -> g1, Mbit/s'),
            ('tcp_rx.mbps', 'TCP g1 -> g0, Mbit/s'),
            ('udp64.pps', 'UDP 64 B, datagrams/s received'),
            ('udp64.loss_pct', 'UDP 64 B, loss %'),
            ('udp1400.pps', 'UDP 1400 B, datagrams/s received'),
            ('udp1400.mbps', 'UDP 1400 B, Mbit/s received'),
            ('udp1400.loss_pct', 'UDP 1400 B, loss %'),
            ('ping.median_us', 'ICMP RTT median, us'),
            ('ping.p99_us', 'ICMP RTT p99, us'),
            ('rr.median_us', 'TCP_RR RTT median, us'),
            ('rr.p99_us', 'TCP_RR RTT p99, us'),
            ('rr.tps', 'TCP_RR transactions/s'),
            ('tcp_tx.cpu_snd_s_per_gb', 'CPU s/GB, TCP g0 -> g1, sender'),
            ('tcp_tx.cpu_rcv_s_per_gb', 'CPU s/GB, TCP g0 -> g1, receiver'),
            ('tcp_rx.cpu_snd_s_per_gb', 'CPU s/GB, TCP g1 -> g0, sender'),
            ('tcp_rx.cpu_rcv_s_per_gb', 'CPU s/GB, TCP g1 -> g0, receiver')):
        w(f'| {title} | ' + ' | '.join(cell(m, f'net.{p}.{key}')
                                       for p in PATHS) + ' |')
    w('\n![latency distribution](latency_cdf.png) '
      '![UDP](throughput_vs_msgsize.png)\n')

    w('## Networking: virtio-net over ivshmem\n')
    w('virtio-net over ivshmem: the virtio_net driver on virtio_ivshmem '
      '(protocol 8001h, 4 MiB R/W section) in guest 1, the '
      'virtio-ivshmem-net back-end bridged to a TAP device in guest 0 '
      '(offloads on), a run of its own. virtio-net and ivshmem-net: the '
      'networking run above. iperf3 from guest 0 (the back-end) to guest 1 '
      '("rx": -R); CPU is both guests, the back-end included. Ratio: '
      'virtio-net over ivshmem / virtio-net.\n')
    w('| Figure | virtio-net over ivshmem | virtio-net | ratio | '
      'ivshmem-net |')
    w('|---|---|---|---|---|')
    for key, title in (
            ('tcp_tx.mbps', 'TCP g0 -> g1, Mbit/s'),
            ('tcp_rx.mbps', 'TCP g1 -> g0, Mbit/s'),
            ('ping.median_us', 'ICMP RTT median, us'),
            ('ping.p99_us', 'ICMP RTT p99, us'),
            ('rr.median_us', 'TCP_RR RTT median, us'),
            ('rr.p99_us', 'TCP_RR RTT p99, us'),
            ('rr.tps', 'TCP_RR transactions/s'),
            ('tcp_tx.cpu_s_per_gb', 'CPU s/GB, TCP g0 -> g1'),
            ('tcp_rx.cpu_s_per_gb', 'CPU s/GB, TCP g1 -> g0')):
        a, b = m.get(f'net.vnet.{key}'), m.get(f'net.virtio.{key}')
        ratio = (fmt(a['median'] / b['median'])
                 if a and b and b['median'] else 'n/a')
        w(f"| {title} | {cell(m, f'net.vnet.{key}')} | "
          f"{cell(m, f'net.virtio.{key}')} | {ratio} | "
          f"{cell(m, f'net.ivshmem.{key}')} |")
    w('')

    w('## Scaling\n')
    w('TCP g0 -> g1, Mbit/s, by MTU (1 MiB ivshmem-net sections):\n')
    w('| MTU | ivshmem-net | virtio-net |')
    w('|---|---|---|')
    for mtu in MTUS:
        w(f'| {mtu} | ' + ' | '.join(
            cell(m, f'scale.{p}.1M.mtu{mtu}.mbps') if
            f'scale.{p}.1M.mtu{mtu}.skipped' not in m else 'above max MTU'
            for p in PATHS) + ' |')
    w('\nivshmem-net TCP g0 -> g1, Mbit/s, by output section size and MTU '
      '(the maximum MTU is a quarter of the data area):\n')
    w('| Section | ' + ' | '.join(f'MTU {x}' for x in MTUS) + ' |')
    w('|---' * (len(MTUS) + 1) + '|')
    for s in SECTIONS:
        if not any(f'scale.ivshmem.{s}.mtu{x}.{u}' in m for x in MTUS
                   for u in ('mbps', 'skipped')):
            continue
        w(f'| {s} | ' + ' | '.join(
            'above max MTU' if f'scale.ivshmem.{s}.mtu{x}.skipped' in m
            else cell(m, f'scale.ivshmem.{s}.mtu{x}.mbps') for x in MTUS)
          + ' |')
    w('\n![MTU](throughput_vs_mtu.png) '
      '![section size](throughput_vs_section.png)\n')

    w('## Block: virtio-blk over ivshmem vs virtio-blk-pci\n')
    w('virtio-blk over ivshmem: the virtio_blk driver on virtio_ivshmem '
      '(protocol 8002h, 4 MiB R/W section) in guest 1, the '
      'virtio-ivshmem-block back-end in guest 0 serving an image in its '
      'tmpfs. virtio-blk-pci: a second disk of guest 1, QEMU serving an '
      'image in the host\'s /dev/shm. Same run, same guest, same tools: dd '
      'of the same random data, 1 MiB blocks, O_DIRECT, the write ending '
      'with a flush; `blk_randread`, 4 KiB reads at the same random '
      'offsets, one at a time.\n')
    w('| Figure | virtio-blk over ivshmem | virtio-blk-pci | ratio |')
    w('|---|---|---|---|')
    for key, title in (
            ('write.mbps', 'Sequential write, MB/s'),
            ('read.mbps', 'Sequential read, MB/s'),
            ('randread.iops', '4 KiB random reads, IOPS'),
            ('randread.median_us', '4 KiB random read latency median, us'),
            ('randread.p99_us', '4 KiB random read latency p99, us')):
        a, b = m.get(f'blk.ivshmem.{key}'), m.get(f'blk.pci.{key}')
        ratio = (fmt(a['median'] / b['median'])
                 if a and b and b['median'] else 'n/a')
        w(f"| {title} | {cell(m, f'blk.ivshmem.{key}')} | "
          f"{cell(m, f'blk.pci.{key}')} | {ratio} |")
    w('')

    w('## Doorbells: uio_ivshmem vs eventfd\n')
    w('Round trip of `ivshmem pingpong` (MSI-X vector 1) between guest 0 '
      'and 1; with 3 peers a third guest sits on the link. eventfd: '
      '`eventfd_pingpong`, two processes on the host.\n')
    w('| | median, us | p99, us |')
    w('|---|---|---|')
    for label, key in (('uio_ivshmem, 2 peers', 'uio.peers2'),
                       ('uio_ivshmem, 3 peers', 'uio.peers3'),
                       ('eventfd, host', 'eventfd.host')):
        w(f'| {label} | {cell(m, key + ".median_us")} | '
          f'{cell(m, key + ".p99_us")} |')
    w('\n![doorbells](doorbell.png)\n')

    w('## memcpy bandwidth (copy ceiling), GB/s\n')
    w('| Block | guest | host |')
    w('|---|---|---|')
    for size in MEMCPY_SIZES:
        w(f'| {size // 1024} KiB | {cell(m, f"memcpy.guest.{size}.gbps")} |'
          f' {cell(m, f"memcpy.host.{size}.gbps")} |')
    w('\n![memcpy](memcpy.png)\n')

    w('## Run\n')
    for k in sorted(meta):
        w(f'- {k}: {meta[k]}')
    if errors:
        w('\nGuest errors:\n')
        for e in errors:
            w(f'- {e}')
    with open(f'{out}/report.md', 'w') as f:
        f.write('\n'.join(L) + '\n')


if __name__ == '__main__':
    main()
