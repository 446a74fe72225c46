#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# profile-report.py PROFILE [TOP]: summary of the PROF lines that
# "profile" collected (profile.txt) as Markdown on stdout: per workload,
# what it achieved, notifications, interrupts and CPU per frame on both
# guests, and the TOP (default 10) symbols of every guest, in percent of
# its busy (non-idle) samples. Python standard library only.

import re
import sys

IDLE = {'pv_native_safe_halt', 'default_idle', 'native_safe_halt',
        'acpi_safe_halt', 'cpu_idle_poll', 'poll_idle'}


def read_profile(path):
    """Returns per (guest, workload) dicts of counters and profiles."""
    runs = {}
    ifaces = {}
    for line in open(path, errors='replace'):
        f = line.split()
        if len(f) < 3:
            continue
        g, kind = f[0], f[1]
        if kind == 'PROFW' and f[2] == 'ifaces':
            for kv in f[3:]:
                k, _, v = kv.partition('=')
                ifaces[(g, k)] = v
            continue
        if len(f) < 4:
            continue
        w = f[2]
        r = runs.setdefault((g, w), {'c': {}, 's': [], 'text': []})
        if kind == 'PROFC' and len(f) >= 5:
            r['c'][f[3]] = float(f[4])
        elif kind == 'PROFS' and len(f) >= 5:
            r['s'].append((float(f[3].rstrip('%')), f[4]))
        elif kind == 'PROFW':
            r['text'].append(' '.join(f[3:]))
    return runs, ifaces


def per_frame(runs, ifaces, g, w, path):
    """Counters of guest g over workload w per frame on path."""
    r = runs.get((g, w))
    if not r:
        return None
    c = r['c']
    dev = ifaces.get((g, path), 'eth1' if path == 'ivshmem' else 'eth0')
    tx = c.get(dev + '.tx_packets', 0)
    rx = c.get(dev + '.rx_packets', 0)
    frames = tx + rx
    if path == 'ivshmem':
        irq = sum(v for k, v in c.items()
                  if k.startswith('irq.ivshmem-net') and k.endswith('txrx'))
        notify = (c.get(dev + '.S.tx_notify', 0) +
                  c.get(dev + '.S.rx_notify', 0))
    else:
        irq = sum(v for k, v in c.items()
                  if re.match(r'irq\.virtio\d+-(input|output)', k))
        notify = sum(v for k, v in c.items()
                     if k.startswith(dev + '.S.') and k.endswith('kicks'))
    busy = c.get('cpu.busy', 0)
    total = c.get('cpu.total', 0) or 1
    return {'tx': tx, 'rx': rx, 'irq': irq, 'notify': notify,
            'busy_pct': 100.0 * busy / total,
            'cpu_us_per_frame': busy * 1e4 / frames if frames else 0,
            'irq_per_frame': irq / frames if frames else 0,
            'notify_per_frame': notify / frames if frames else 0}


def top(runs, g, w, n):
    r = runs.get((g, w))
    if not r:
        return [], 0
    idle = sum(p for p, s in r['s'] if s in IDLE)
    busy = max(100.0 - idle, 1e-9)
    rows = [(p * 100.0 / busy, s) for p, s in r['s'] if s not in IDLE]
    return rows[:n], busy


def main():
    if len(sys.argv) < 2:
        sys.exit('usage: profile-report.py PROFILE [TOP]')
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    runs, ifaces = read_profile(sys.argv[1])
    loads = []
    for g, w in runs:
        if '.' not in w:
            continue
        load = w.split('.', 1)[1]
        if load not in loads:
            loads.append(load)
    for load in loads:
        print(f'## {load}\n')
        for path in ('ivshmem', 'virtio'):
            r = runs.get(('g0', f'{path}.{load}'))
            for t in (r or {}).get('text', []):
                if not t.startswith('perf'):
                    print(f'    {path}: {t}')
        print()
        print('| per guest | ' + ' | '.join(
            f'{p} g{g}' for p in ('ivshmem', 'virtio') for g in (0, 1)) +
            ' |')
        print('|---' * 5 + '|')
        stats = [per_frame(runs, ifaces, f'g{g}', f'{p}.{load}', p)
                 for p in ('ivshmem', 'virtio') for g in (0, 1)]
        for key, label, fmt in (
                ('tx', 'frames sent', '{:.0f}'),
                ('rx', 'frames received', '{:.0f}'),
                ('notify', 'notifications (doorbells / kicks)', '{:.0f}'),
                ('notify_per_frame', 'notifications per frame', '{:.3f}'),
                ('irq', 'interrupts (data path)', '{:.0f}'),
                ('irq_per_frame', 'interrupts per frame', '{:.3f}'),
                ('busy_pct', 'CPU busy %', '{:.0f}'),
                ('cpu_us_per_frame', 'CPU us per frame', '{:.0f}')):
            print(f'| {label} | ' + ' | '.join(
                fmt.format(s[key]) if s else '-' for s in stats) + ' |')
        print()
        for g in (0, 1):
            cols = [top(runs, f'g{g}', f'{p}.{load}', n)
                    for p in ('ivshmem', 'virtio')]
            print(f'g{g}, % of busy samples (busy: ivshmem '
                  f'{cols[0][1]:.0f} %, virtio {cols[1][1]:.0f} % of '
                  'samples)\n')
            print('| # | ivshmem-net | % | virtio-net | % |')
            print('|---|---|---|---|---|')
            for i in range(n):
                cells = []
                for rows, _ in cols:
                    if i < len(rows):
                        cells += [f'`{rows[i][1]}`', f'{rows[i][0]:.1f}']
                    else:
                        cells += ['', '']
                print(f'| {i + 1} | ' + ' | '.join(cells) + ' |')
            print()


if __name__ == '__main__':
    main()
