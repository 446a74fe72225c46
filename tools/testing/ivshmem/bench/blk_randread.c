// SPDX-License-Identifier: GPL-2.0
/*
 * blk_randread: random reads of one block size with O_DIRECT from a disk,
 * one at a time (queue depth 1), for a given time; prints the rate and
 * the latency quantiles in microseconds:
 *
 *   blk_randread [-t MS] [-b BYTES] DEVICE
 *   randread iops=N median_us=N p99_us=N n=N
 *
 * Offsets are multiples of the block size, from a fixed-seed generator,
 * so that runs on different disks read the same places.
 */
#define _GNU_SOURCE	/* O_DIRECT */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_SAMPLES	1048576

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

/* xorshift64*: reproducible offsets */
static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void print_usage(void)
{
	fprintf(stderr, "usage: blk_randread [-t MS] [-b BYTES] DEVICE\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned long ms = 2000, bs = 4096;
	uint64_t size, blocks, t0, t1, end;
	uint32_t *lat;
	size_t n = 0;
	void *buf;
	off_t off;
	int opt, fd;

	while ((opt = getopt(argc, argv, "t:b:")) != -1) {
		switch (opt) {
		case 't':
			ms = strtoul(optarg, NULL, 0);
			break;
		case 'b':
			bs = strtoul(optarg, NULL, 0);
			break;
		default:
			print_usage();
		}
	}
	if (optind != argc - 1 || !ms || !bs || bs % 512)
		print_usage();
	fd = open(argv[optind], O_RDONLY | O_DIRECT);
	if (fd < 0) {
		perror(argv[optind]);
		return 1;
	}
	/* block devices and files alike */
	off = lseek(fd, 0, SEEK_END);
	size = off > 0 ? off : 0;
	blocks = size / bs;
	lat = malloc(MAX_SAMPLES * sizeof(*lat));
	if (!blocks || !lat || posix_memalign(&buf, 4096, bs)) {
		fprintf(stderr, "blk_randread: no blocks or no memory\n");
		return 1;
	}
	t0 = now_ns();
	end = t0 + (uint64_t)ms * 1000000;
	for (t1 = t0; t1 < end && n < MAX_SAMPLES; n++) {
		uint64_t s = t1;

		if (pread(fd, buf, bs, rng() % blocks * bs) != (ssize_t)bs) {
			fprintf(stderr, "blk_randread: read: %s\n",
				strerror(errno));
			return 1;
		}
		t1 = now_ns();
		lat[n] = (t1 - s) / 1000;
	}
	qsort(lat, n, sizeof(*lat), cmp_u32);
	printf("randread iops=%.1f median_us=%u p99_us=%u n=%zu\n",
	       n * 1e9 / (t1 - t0), lat[n / 2], lat[(n * 99 - 1) / 100], n);
	return 0;
}
