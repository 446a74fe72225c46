#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Writes the hand-made seed inputs of the fuzz harnesses into corpus/.

    tools/testing/ivshmem/fuzz/mkseeds.py [DIR]    (default: corpus/ here)

Each seed is a fuzz program in the format of fuzz.h: section size, vectors
and queue size, fill byte, the harness's own bytes, then operations. The
other files in corpus/ were found by the fuzzer and are kept as they are.
"""
import os
import struct
import sys

(WRITE, TRANSACTION, POKE, DESC, AVAIL, AVAIL_IDX, SERVE, QUEUE, DRIVER_OK,
 HEADER) = range(10)
F_NEXT, F_WRITE = 1, 2
CONFIG = 0x4c


def u8(v): return struct.pack('<B', v & 0xff)
def u16(v): return struct.pack('<H', v & 0xffff)
def u32(v): return struct.pack('<I', v & 0xffffffff)
def u64(v): return struct.pack('<Q', v & 0xffffffffffffffff)


def common(size_sel=2, vectors=3, qlog=4, fill=0):
    """Section 8 KiB + 4 KiB * size_sel, vectors, queue size 1 << qlog."""
    return u8(size_sel) + u8((vectors - 1) | (qlog << 3)) + u8(fill)


def queue(q, sizelog, desc, avail, used, vec):
    return (u8(QUEUE) + u8(q) + u8(sizelog) + u16(desc // 16) +
            u16(avail // 2) + u16(used // 4) + u8(vec))


def driver_ok(mode=0, flip=0):
    return u8(DRIVER_OK) + u8(mode) + u64(flip)


def desc(hdr, q, i, addr, length, flags, nxt):
    """Descriptor @i of queue @q for section offset @addr (>= hdr)."""
    return (u8(DESC) + u8(q) + u16(i) + u8(0) + u16(addr - hdr) +
            u16(length) + u16(flags) + u16(nxt))


def desc_raw(q, i, addr, length, flags, nxt):
    return (u8(DESC) + u8(q) + u16(i) + u8(3) + u64(addr) + u32(length) +
            u16(flags) + u16(nxt))


def avail(q, head): return u8(AVAIL) + u8(q) + u16(head)
def write(field, v): return u8(WRITE) + u8(field) + u64(v)
def poke(off, data): return u8(POKE) + u32(off) + u8(len(data)) + data


def vbe_seeds():
    hdr = CONFIG + 12
    # shape: 1 queue, 12 bytes of config space; device feature bit 0
    pre = u8(0 | 3 << 2) + u32(1)

    def serve(mode, mx, skip, length):
        return u8(mode) + u8(mx) + u16(skip) + u16(length)

    base = pre + common() + queue(0, 3, 0x1000, 0x1100, 0x1200, 1) + \
        driver_ok()
    chain = (desc(hdr, 0, 0, 0x2000, 0x100, F_NEXT, 1) +
             desc(hdr, 0, 1, 0x2100, 0x80, F_NEXT, 2) +
             desc(hdr, 0, 2, 0x2200, 0x200, F_WRITE, 0) + avail(0, 0))
    yield 'chain', base + chain + u8(SERVE) + serve(0, 255, 0, 0x1000)
    yield 'chain-skip-batch', (base + chain + avail(0, 1) + u8(SERVE) +
                               serve(1, 255, 0x40, 0x100))
    yield 'loop', (base + desc(hdr, 0, 0, 0x2000, 0x10, F_NEXT, 1) +
                   desc(hdr, 0, 1, 0x2000, 0x10, F_NEXT, 0) + avail(0, 0) +
                   u8(SERVE) + serve(0, 255, 0, 16))
    yield 'outside', (base + desc_raw(0, 0, 0x3ff8, 0x20, 0, 0) +
                      avail(0, 0) + u8(SERVE) + serve(0, 255, 0, 16))
    # 4 queues of 256 entries, 64 KiB, 8 vectors, 8 bytes of config space
    seq = u8(3 | 2 << 2) + u32(0) + common(14, 8, 8, 0xff)
    for q in range(4):
        seq += queue(q, 8, 0x1000 + q * 0x2000, 0x2000 + q * 0x2000,
                     0x2400 + q * 0x2000, q)
    seq += driver_ok()
    for q in range(4):
        seq += desc(CONFIG + 8, q, 5, 0x9000 + q * 0x100, 0x100, F_WRITE,
                    0) + avail(q, 5)
    yield 'four-queues', (seq + u8(SERVE) + serve(0, 255, 0, 0x200) +
                          serve(1, 1, 0, 0x10) * 3)
    yield 'header-writes', (pre + common() + write(3, 1) + write(4, 4) +
                            write(6, 2) + write(0, 1) + write(0xc3, 7) +
                            u8(TRANSACTION) + u32(0x27) + write(11, 0) +
                            u8(HEADER))


def console_seeds():
    hdr = CONFIG + 12

    def serve(data): return u8(SERVE) + u16(len(data)) + data

    base = (common() + queue(0, 4, 0x1000, 0x1100, 0x1200, 1) +
            queue(1, 4, 0x1400, 0x1500, 0x1600, 2) + driver_ok(2, 1))
    yield 'rx-tx', (base + desc(hdr, 0, 0, 0x2000, 0x40, F_WRITE, 0) +
                    avail(0, 0) + desc(hdr, 1, 3, 0x3000, 0x20, F_NEXT, 4) +
                    desc(hdr, 1, 4, 0x3100, 0x20, 0, 0) + avail(1, 3) +
                    serve(b'hello, console\n' * 8) + serve(b''))
    yield 'rx-many', (base + b''.join(
        desc(hdr, 0, i, 0x2000 + 0x10 * i, 0x10, F_WRITE, 0) + avail(0, i)
        for i in range(16)) + serve(bytes(range(256))))
    yield 'tx-writable', (base + desc(hdr, 1, 0, 0x3000, 0x20, F_WRITE, 0) +
                          avail(1, 0) + serve(b''))
    yield 'intx', (common(2, 1, 3) + queue(0, 3, 0x1000, 0x1100, 0x1200, 0) +
                   queue(1, 3, 0x1400, 0x1500, 0x1600, 0) + driver_ok() +
                   desc(hdr, 0, 0, 0x2000, 0x100, F_WRITE, 0) + avail(0, 0) +
                   serve(b'x' * 300) +
                   desc(hdr, 0, 1, 0x2000, 0x100, F_WRITE, 0) + avail(0, 1) +
                   serve(b''))


def block_seeds():
    hdr = CONFIG + 60

    def req(t, sector): return struct.pack('<IIQ', t, 0, sector)

    def base(flags):
        # image of 16 sectors; flags: 1 read-only, 2 discard
        return (common() + u8(15) + u8(flags) +
                queue(0, 4, 0x1000, 0x1100, 0x1200, 1) + driver_ok())
    out = (poke(0x2000, req(1, 2)) + poke(0x2100, bytes(range(200))) +
           desc(hdr, 0, 0, 0x2000, 16, F_NEXT, 1) +
           desc(hdr, 0, 1, 0x2100, 512, F_NEXT, 2) +
           desc(hdr, 0, 2, 0x2400, 1, F_WRITE, 0) + avail(0, 0))
    read = (poke(0x2010, req(0, 1)) + desc(hdr, 0, 3, 0x2010, 16, F_NEXT, 4) +
            desc(hdr, 0, 4, 0x2800, 1024, F_WRITE | F_NEXT, 5) +
            desc(hdr, 0, 5, 0x2401, 1, F_WRITE, 0) + avail(0, 3))
    yield 'out-in', base(2) + out + read + u8(SERVE)
    yield 'get-id-flush', (base(2) + poke(0x2000, req(8, 0)) +
                           desc(hdr, 0, 0, 0x2000, 16, F_NEXT, 1) +
                           desc(hdr, 0, 1, 0x2800, 21, F_WRITE, 0) +
                           avail(0, 0) + poke(0x2020, req(4, 0)) +
                           desc(hdr, 0, 2, 0x2020, 16, F_NEXT, 3) +
                           desc(hdr, 0, 3, 0x2400, 1, F_WRITE, 0) +
                           avail(0, 2) + u8(SERVE))
    yield 'discard', (base(2) +
                      poke(0x2000, req(11, 0) + struct.pack('<QII', 3, 2, 0)) +
                      desc(hdr, 0, 0, 0x2000, 32, F_NEXT, 1) +
                      desc(hdr, 0, 1, 0x2400, 1, F_WRITE, 0) + avail(0, 0) +
                      u8(SERVE))
    yield 'read-beyond', (base(2) + poke(0x2000, req(0, 15)) +
                          desc(hdr, 0, 0, 0x2000, 16, F_NEXT, 1) +
                          desc(hdr, 0, 1, 0x2800, 1024, F_WRITE | F_NEXT, 2) +
                          desc(hdr, 0, 2, 0x2400, 1, F_WRITE, 0) +
                          avail(0, 0) + u8(SERVE))
    yield 'read-only-write', base(1) + out + u8(SERVE)


def net_seeds():
    hdr = CONFIG + 12
    eth = bytes.fromhex('02697673680102697673680208004500') + bytes(range(44))
    vh = bytes(12)

    def serve(frames):
        return u8(SERVE) + u8(len(frames)) + b''.join(
            u16(len(f)) + f for f in frames)

    def base(vnet_hdr, dok_mode=0, size_sel=2):
        # receive queue 0, transmit queue 1
        return (common(size_sel) + u8(vnet_hdr) +
                queue(0, 4, 0x1000, 0x1100, 0x1200, 1) +
                queue(1, 4, 0x1400, 0x1500, 0x1600, 2) + driver_ok(dok_mode))
    rx4 = b''.join(desc(hdr, 0, i, 0x2000 + 0x100 * i, 0x100, F_WRITE, 0) +
                   avail(0, i) for i in range(4))
    tx = (poke(0x3000, vh + eth) + desc(hdr, 1, 0, 0x3000, 12 + len(eth), 0, 0) +
          avail(1, 0))
    yield 'tx-rx', base(1) + rx4 + tx + serve([vh + eth, vh + eth * 8]) + \
        serve([])
    yield 'no-vnet-hdr', base(0) + rx4 + tx + serve([eth, eth * 3])
    yield 'tx-chain', (base(1) + poke(0x3000, vh) + poke(0x3100, eth) +
                       desc(hdr, 1, 0, 0x3000, 12, F_NEXT, 1) +
                       desc(hdr, 1, 1, 0x3100, len(eth), 0, 0) + avail(1, 0) +
                       serve([]))
    # checksum offload requested without negotiating it
    yield 'tx-bad-gso', (base(1, 2) +
                         poke(0x3000, bytes([1, 1, 0, 0, 0x40, 0, 14, 0, 16, 0,
                                             0, 0]) + eth) +
                         desc(hdr, 1, 0, 0x3000, 12 + len(eth), 0, 0) +
                         avail(1, 0) + serve([]))
    yield 'rx-small-buffers', (base(1) + b''.join(
        desc(hdr, 0, i, 0x2000 + 0x10 * i, 0x10, F_WRITE, 0) + avail(0, i)
        for i in range(16)) + serve([vh + eth * 2]))
    # two overlapping 40000-byte buffers: longer than any frame
    yield 'tx-oversize', (base(1, 0, 14) +
                          desc(hdr, 1, 0, 0x2000, 40000, F_NEXT, 1) +
                          desc(hdr, 1, 1, 0x2000, 40000, 0, 0) + avail(1, 0) +
                          serve([]))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else \
        os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus')
    for harness, seeds in (('vbe', vbe_seeds), ('console', console_seeds),
                           ('block', block_seeds), ('net', net_seeds)):
        d = os.path.join(out, harness)
        os.makedirs(d, exist_ok=True)
        for name, data in seeds():
            with open(os.path.join(d, name), 'wb') as f:
                f.write(data)


if __name__ == '__main__':
    main()
