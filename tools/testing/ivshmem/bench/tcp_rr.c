// SPDX-License-Identifier: GPL-2.0
/*
 * TCP request-response latency, the TCP_RR of netperf: the client sends
 * SIZE bytes, the server sends them back, COUNT times over one connection
 * with TCP_NODELAY. The client prints the median, 99th percentile and
 * transaction rate, and 21 quantiles (0, 5, ..., 100 %) of the round trip
 * time in microseconds:
 *
 *   rr count=N size=S median_us=M p99_us=P tps=T
 *   rrq Q0 Q5 ... Q100
 *
 *   tcp_rr -s [-p PORT]                          server, until killed
 *   tcp_rr -c HOST [-p PORT] [-n COUNT] [-l SIZE] client
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SIZE	65536

static char buf[MAX_SIZE];

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

static int xfer(int fd, size_t len, int out)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		if (out)
			n = write(fd, buf + done, len - done);
		else
			n = read(fd, buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += n;
	}
	return 0;
}

static void nodelay(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* Echo whatever arrives, one connection after the other. */
static int serve(unsigned short port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int one = 1, lfd, fd;
	ssize_t n;

	sa.sin_port = htons(port);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0)
		return -1;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 4))
		return -1;
	for (;;) {
		fd = accept(lfd, NULL, NULL);
		if (fd < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		nodelay(fd);
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			if (xfer(fd, n, 1))
				break;
		close(fd);
	}
}

static int client(const char *host, unsigned short port, unsigned long count,
		  unsigned long size)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	uint64_t *rtt, t0, t1, start;
	unsigned long i;
	int fd, q;

	sa.sin_port = htons(port);
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		fprintf(stderr, "tcp_rr: bad address %s\n", host);
		return -1;
	}
	rtt = calloc(count, sizeof(*rtt));
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (!rtt || fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		return -1;
	nodelay(fd);
	memset(buf, 0x5a, size);

	start = now_ns();
	for (i = 0; i < count; i++) {
		t0 = now_ns();
		if (xfer(fd, size, 1) || xfer(fd, size, 0))
			return -1;
		t1 = now_ns();
		rtt[i] = t1 - t0;
	}
	t1 = now_ns();
	close(fd);

	qsort(rtt, count, sizeof(*rtt), cmp_u64);
	printf("rr count=%lu size=%lu median_us=%.1f p99_us=%.1f tps=%.1f\n",
	       count, size, rtt[count / 2] / 1000.0,
	       rtt[(count * 99 - 1) / 100] / 1000.0,
	       count * 1e9 / (double)(t1 - start));
	printf("rrq");
	for (q = 0; q <= 100; q += 5)
		printf(" %.1f", rtt[q ? (count * q - 1) / 100 : 0] / 1000.0);
	printf("\n");
	free(rtt);
	return 0;
}

static int bad_usage(void)
{
	fprintf(stderr,
		"usage: tcp_rr -s [-p PORT]\n"
		"       tcp_rr -c HOST [-p PORT] [-n COUNT] [-l SIZE]\n");
	return 2;
}

int main(int argc, char **argv)
{
	unsigned long count = 1000, size = 1, port = 7201;
	const char *host = NULL;
	int opt, server = 0;

	while ((opt = getopt(argc, argv, "sc:p:n:l:")) != -1) {
		switch (opt) {
		case 's':
			server = 1;
			break;
		case 'c':
			host = optarg;
			break;
		case 'p':
			port = strtoul(optarg, NULL, 0);
			break;
		case 'n':
			count = strtoul(optarg, NULL, 0);
			break;
		case 'l':
			size = strtoul(optarg, NULL, 0);
			break;
		default:
			return bad_usage();
		}
	}
	if (server == !!host || !port || port > 65535 || !count ||
	    count > 10000000 || !size || size > MAX_SIZE)
		return bad_usage();
	if (server ? serve(port) : client(host, port, count, size)) {
		perror("tcp_rr");
		return 1;
	}
	return 0;
}
