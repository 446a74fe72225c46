// SPDX-License-Identifier: GPL-2.0
/*
 * Host baseline for "ivshmem pingpong": two processes ping-pong over two
 * eventfds, COUNT round trips, and the initiator prints the median and
 * 99th percentile round trip in microseconds, in the same format.
 *
 *   eventfd_pingpong [COUNT]      (default 1000)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int ring(int fd)
{
	uint64_t one = 1;

	return write(fd, &one, sizeof(one)) == sizeof(one) ? 0 : -1;
}

static int await(int fd)
{
	uint64_t val;

	return read(fd, &val, sizeof(val)) == sizeof(val) ? 0 : -1;
}

int main(int argc, char **argv)
{
	unsigned long count = argc > 1 ? strtoul(argv[1], NULL, 0) : 1000;
	int ping, pong, status;
	uint64_t *rtt, t0;
	unsigned long i;
	pid_t pid;

	if (!count || count > 100000000) {
		fprintf(stderr, "usage: %s [COUNT]\n", argv[0]);
		return 1;
	}
	rtt = calloc(count, sizeof(*rtt));
	ping = eventfd(0, EFD_CLOEXEC);
	pong = eventfd(0, EFD_CLOEXEC);
	if (!rtt || ping < 0 || pong < 0) {
		perror("eventfd_pingpong");
		return 1;
	}

	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (!pid) {
		for (i = 0; i < count; i++)
			if (await(ping) || ring(pong))
				_exit(1);
		_exit(0);
	}

	for (i = 0; i < count; i++) {
		t0 = now_ns();
		if (ring(ping) || await(pong)) {
			perror("eventfd_pingpong");
			return 1;
		}
		rtt[i] = now_ns() - t0;
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		fprintf(stderr, "eventfd_pingpong: the other side failed\n");
		return 1;
	}

	qsort(rtt, count, sizeof(*rtt), cmp_u64);
	printf("%lu round trips over eventfd between two processes: ", count);
	printf("median %.1f us, p99 %.1f us\n", rtt[count / 2] / 1000.0,
	       rtt[(count * 99 - 1) / 100] / 1000.0);
	free(rtt);
	return 0;
}
