// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_console_pattern BYTES SEED: writes BYTES pseudo-random bytes
 * (xorshift64, seeded with SEED) to stdout, the same on every machine, so
 * that both ends of a transfer can compute the expected checksum.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	unsigned long long left, seed;
	unsigned char buf[4096];
	uint64_t x;
	size_t i, n;

	if (argc != 3) {
		fprintf(stderr, "usage: %s BYTES SEED\n", argv[0]);
		return 2;
	}
	left = strtoull(argv[1], NULL, 0);
	seed = strtoull(argv[2], NULL, 0);
	x = 0x9e3779b97f4a7c15ULL ^ seed;
	while (left) {
		n = left < sizeof(buf) ? left : sizeof(buf);
		for (i = 0; i < n; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			buf[i] = x >> 24;
		}
		if (fwrite(buf, 1, n, stdout) != n)
			return 1;
		left -= n;
	}
	return fflush(stdout) ? 1 : 0;
}
