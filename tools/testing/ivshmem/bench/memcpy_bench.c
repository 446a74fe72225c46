// SPDX-License-Identifier: GPL-2.0
/*
 * memcpy bandwidth, the ceiling for any copy-based transport: for every
 * block size from 4 KiB to 16 MiB, copy between two buffers of that size
 * for at least MS milliseconds and print one line per size:
 *
 *   memcpy size=BYTES gbps=GB_PER_SECOND
 *
 * GB is 1e9 bytes copied (read once and written once).
 *
 *   memcpy_bench [-t MS]      (default 300)
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_BLOCK	(16ul << 20)
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	static const unsigned long sizes[] = {
		4096, 65536, 1ul << 20, MAX_BLOCK,
	};
	unsigned long ms = 300, i, n;
	uint64_t t0, dt;
	char *src, *dst;
	int opt;

	while ((opt = getopt(argc, argv, "t:")) != -1) {
		if (opt != 't')
			goto usage;
		ms = strtoul(optarg, NULL, 0);
	}
	if (optind != argc || !ms || ms > 600000)
		goto usage;

	src = malloc(MAX_BLOCK);
	dst = malloc(MAX_BLOCK);
	if (!src || !dst) {
		perror("memcpy_bench");
		return 1;
	}
	memset(src, 0xa5, MAX_BLOCK);
	memset(dst, 0x5a, MAX_BLOCK);

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		memcpy(dst, src, sizes[i]);	/* warm up */
		n = 0;
		t0 = now_ns();
		do {
			memcpy(dst, src, sizes[i]);
			/* keep the compiler from dropping the copies */
			__asm__ __volatile__("" : : "r"(dst) : "memory");
			n++;
			dt = now_ns() - t0;
		} while (dt < ms * 1000000ull);
		printf("memcpy size=%lu gbps=%.3f\n", sizes[i],
		       (double)sizes[i] * n / (double)dt);
	}
	free(src);
	free(dst);
	return 0;
usage:
	fprintf(stderr, "usage: memcpy_bench [-t MS]\n");
	return 2;
}
