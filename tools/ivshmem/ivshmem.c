// SPDX-License-Identifier: GPL-2.0
/*
 * ivshmem: inspect and exercise IVSHMEM v2 devices bound to uio_ivshmem.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "libivshmem.h"

/* Peer state while a pingpong runs: "PING" */
#define PINGPONG_STATE		0x474e4950u
#define PINGPONG_READY_MS	60000
#define PINGPONG_ROUND_MS	10000

static const char usage_text[] =
"NAME\n"
"    ivshmem - inspect and exercise IVSHMEM v2 devices (uio_ivshmem)\n"
"\n"
"SYNOPSIS\n"
"    ivshmem list\n"
"    ivshmem state [-d DEV] [-H] VALUE\n"
"    ivshmem ring [-d DEV] PEER VECTOR\n"
"    ivshmem wait [-d DEV] [-t MS]\n"
"    ivshmem pingpong [-d DEV] [-n COUNT] [-v VECTOR] [-p PEER]\n"
"    ivshmem dump [-d DEV] MAP [OFFSET LEN]\n"
"    ivshmem --help\n"
"\n"
"DESCRIPTION\n"
"    list      Show every device bound to uio_ivshmem: PCI address, UIO\n"
"              node, protocol, own ID, maximum peers, interrupt vectors,\n"
"              map sizes and the state of every peer.\n"
"    state     Set this peer's state to VALUE. The driver resets the\n"
"              state to 0 when the last user closes /dev/uioN, so the\n"
"              value only lasts while some process holds the device\n"
"              open; -H keeps it open until SIGINT or SIGTERM.\n"
"    ring      Raise interrupt VECTOR on peer PEER (doorbell).\n"
"    wait      Arm interrupts, wait up to MS milliseconds (default:\n"
"              forever) and print the vectors that fired.\n"
"    pingpong  Measure doorbell round trips. Run it on both peers; the\n"
"              peer with ID 0 initiates, the other one answers. PEER\n"
"              defaults to 1 on peer 0 and to 0 elsewhere; COUNT\n"
"              defaults to 1000, VECTOR to 0. Prints median and 99th\n"
"              percentile round trip in microseconds.\n"
"    dump      Hex dump of map MAP (a name such as state_table or an\n"
"              index), optionally only LEN bytes from OFFSET.\n"
"\n"
"OPTIONS\n"
"    -d DEV    Device: uioN, /dev/uioN, a PCI address (0000:00:04.0\n"
"              or 00:04.0) or protocol=VALUE. Default: the first one.\n"
"\n"
"EXIT STATUS\n"
"    0 on success, 1 on errors, 2 if wait timed out.\n";

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static int stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	__atomic_store_n(&stop_flag, 1, __ATOMIC_RELAXED);
}

static int stopped(void)
{
	return __atomic_load_n(&stop_flag, __ATOMIC_RELAXED);
}

static void usage(FILE *f)
{
	fputs(usage_text, f);
}

static int bad_usage(void)
{
	fputs("ivshmem: bad arguments, see 'ivshmem --help'\n", stderr);
	return 1;
}

static int fail(const char *what, int err)
{
	fprintf(stderr, "ivshmem: %s: %s\n", what, strerror(-err));
	return 1;
}

static int parse_ulong(const char *s, unsigned long max, unsigned long *val)
{
	char *end;

	errno = 0;
	*val = strtoul(s, &end, 0);
	if (errno || end == s || *end || *val > max) {
		fprintf(stderr, "ivshmem: invalid number '%s'\n", s);
		return -1;
	}
	return 0;
}

static int open_dev(struct ivshmem_dev *dev, const char *spec)
{
	int ret = ivshmem_open(dev, spec);

	if (ret)
		fail(spec ? spec : "no uio_ivshmem device", ret);
	return ret;
}

static int list_one(const struct ivshmem_info *info, void *arg)
{
	struct ivshmem_dev dev;
	char spec[32];
	unsigned int i;

	(*(int *)arg)++;
	printf("%s uio%d protocol 0x%04x id %u max_peers %u vectors %u\n",
	       info->pci, info->uio, info->protocol, info->id,
	       info->max_peers, info->vectors);
	for (i = 0; i < (unsigned int)info->nmaps; i++)
		printf("  map %d %-15s 0x%-10llx %s\n",
		       info->maps[i].index, info->maps[i].name,
		       (unsigned long long)info->maps[i].size,
		       info->maps[i].readonly ? "ro" : "rw");

	snprintf(spec, sizeof(spec), "uio%d", info->uio);
	if (ivshmem_open(&dev, spec)) {
		printf("  peer states: (device not accessible)\n");
		return 0;
	}
	printf("  peer states:");
	for (i = 0; i < info->max_peers; i++)
		printf("%s%u=0x%x", i % 8 ? " " : "\n   ", i,
		       ivshmem_peer_state(&dev, i));
	printf("\n");
	ivshmem_close(&dev);
	return 0;
}

static int cmd_list(int argc, char **argv)
{
	int count = 0, ret;

	(void)argc;
	(void)argv;
	ret = ivshmem_foreach(list_one, &count);
	if (ret < 0)
		return fail("list", ret);
	if (!count)
		fprintf(stderr, "ivshmem: no uio_ivshmem devices\n");
	return 0;
}

static int cmd_state(int argc, char **argv)
{
	struct ivshmem_dev dev;
	const char *spec = NULL;
	unsigned long val;
	int opt, hold = 0;

	while ((opt = getopt(argc, argv, "d:H")) != -1) {
		switch (opt) {
		case 'd':
			spec = optarg;
			break;
		case 'H':
			hold = 1;
			break;
		default:
			return bad_usage();
		}
	}
	if (optind != argc - 1)
		return bad_usage();
	if (parse_ulong(argv[optind], UINT32_MAX, &val))
		return 1;
	if (open_dev(&dev, spec))
		return 1;
	ivshmem_set_state(&dev, val);
	if (hold) {
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
		while (!stopped())
			pause();
	}
	ivshmem_close(&dev);
	return 0;
}

static int cmd_ring(int argc, char **argv)
{
	unsigned long peer, vector;
	struct ivshmem_dev dev;
	const char *spec = NULL;
	int opt, ret;

	while ((opt = getopt(argc, argv, "d:")) != -1) {
		if (opt != 'd')
			return bad_usage();
		spec = optarg;
	}
	if (optind != argc - 2)
		return bad_usage();
	if (parse_ulong(argv[optind], 0xffff, &peer) ||
	    parse_ulong(argv[optind + 1], 0xffff, &vector))
		return 1;
	if (open_dev(&dev, spec))
		return 1;
	ret = ivshmem_doorbell(&dev, peer, vector);
	ivshmem_close(&dev);
	return ret ? fail("ring", ret) : 0;
}

static int cmd_wait(int argc, char **argv)
{
	struct ivshmem_dev dev;
	const char *spec = NULL;
	unsigned int *vecs;
	unsigned long ms;
	int timeout = -1;
	int opt, ret, i;

	while ((opt = getopt(argc, argv, "d:t:")) != -1) {
		switch (opt) {
		case 'd':
			spec = optarg;
			break;
		case 't':
			if (parse_ulong(optarg, INT32_MAX, &ms))
				return 1;
			timeout = ms;
			break;
		default:
			return bad_usage();
		}
	}
	if (optind != argc)
		return bad_usage();
	if (open_dev(&dev, spec))
		return 1;

	vecs = calloc(dev.info.vectors, sizeof(*vecs));
	if (!vecs) {
		ivshmem_close(&dev);
		return fail("wait", -ENOMEM);
	}
	ret = ivshmem_irq_control(&dev, 1);
	if (!ret)
		ret = ivshmem_wait(&dev, timeout, NULL);
	if (ret == 1)
		ret = ivshmem_vectors_fired(&dev, vecs, dev.info.vectors);
	else if (!ret)
		ret = -ETIMEDOUT;
	if (ret >= 0) {
		for (i = 0; i < ret && i < (int)dev.info.vectors; i++)
			printf("vector %u\n", vecs[i]);
		ret = 0;
	}
	free(vecs);
	ivshmem_close(&dev);
	if (ret == -ETIMEDOUT) {
		fprintf(stderr, "ivshmem: wait: timeout\n");
		return 2;
	}
	return ret ? fail("wait", ret) : 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Sequence numbers live in the first word of each side's output section.
 * Each side arms before it looks at the peer's number, so a doorbell that
 * arrives while it is disarmed cannot be missed: the number is visible
 * before the interrupt would have been.
 */
static int pingpong_await(struct ivshmem_dev *dev, const uint32_t *peer_seq,
			  uint32_t want)
{
	uint64_t deadline = now_ns() + PINGPONG_ROUND_MS * 1000000ull;
	int ret;

	while (__atomic_load_n(peer_seq, __ATOMIC_ACQUIRE) != want) {
		if (now_ns() > deadline || stopped())
			return -ETIMEDOUT;
		ret = ivshmem_wait(dev, 100, NULL);
		if (ret < 0)
			return ret;
		ret = ivshmem_irq_control(dev, 1);
		if (ret)
			return ret;
	}
	return 0;
}

static int pingpong_ready(struct ivshmem_dev *dev, unsigned int peer)
{
	uint64_t deadline = now_ns() + PINGPONG_READY_MS * 1000000ull;

	ivshmem_set_state(dev, PINGPONG_STATE);
	while (ivshmem_peer_state(dev, peer) != PINGPONG_STATE) {
		if (now_ns() > deadline || stopped())
			return -ETIMEDOUT;
		usleep(1000);
	}
	return 0;
}

static int pingpong_run(struct ivshmem_dev *dev, unsigned int peer,
			unsigned int vector, unsigned int count, uint64_t *rtt)
{
	const uint32_t *in, *peer_seq;
	uint32_t *own_seq;
	int initiator = dev->info.id == 0;
	uint64_t size, out_size, t0;
	unsigned int i;
	int ret;

	in = ivshmem_map(dev, IVSHMEM_MAP_INPUT, &size);
	own_seq = ivshmem_map(dev, IVSHMEM_MAP_OUTPUT, &out_size);
	if (!in || !own_seq || out_size < 4)
		return -ENXIO;
	peer_seq = in + peer * (out_size / 4);

	__atomic_store_n(own_seq, 0, __ATOMIC_RELAXED);
	ret = ivshmem_irq_control(dev, 1);
	if (!ret)
		ret = pingpong_ready(dev, peer);
	if (ret)
		return ret;

	for (i = 1; i <= count && !ret; i++) {
		if (initiator) {
			t0 = now_ns();
			__atomic_store_n(own_seq, i, __ATOMIC_RELEASE);
			ret = ivshmem_doorbell(dev, peer, vector);
			if (!ret)
				ret = pingpong_await(dev, peer_seq, i);
			rtt[i - 1] = now_ns() - t0;
		} else {
			ret = pingpong_await(dev, peer_seq, i);
			if (ret)
				break;
			__atomic_store_n(own_seq, i, __ATOMIC_RELEASE);
			ret = ivshmem_doorbell(dev, peer, vector);
		}
	}
	return ret;
}

static int cmd_pingpong(int argc, char **argv)
{
	unsigned long count = 1000, vector = 0, peer = ~0ul;
	struct ivshmem_dev dev;
	const char *spec = NULL;
	uint64_t *rtt;
	int opt, ret;

	while ((opt = getopt(argc, argv, "d:n:v:p:")) != -1) {
		switch (opt) {
		case 'd':
			spec = optarg;
			break;
		case 'n':
			if (parse_ulong(optarg, 100000000, &count) || !count)
				return 1;
			break;
		case 'v':
			if (parse_ulong(optarg, 0xffff, &vector))
				return 1;
			break;
		case 'p':
			if (parse_ulong(optarg, 0xffff, &peer))
				return 1;
			break;
		default:
			return bad_usage();
		}
	}
	if (optind != argc)
		return bad_usage();
	if (open_dev(&dev, spec))
		return 1;
	if (peer == ~0ul)
		peer = dev.info.id == 0 ? 1 : 0;
	if (peer >= dev.info.max_peers || peer == dev.info.id ||
	    vector >= dev.info.vectors) {
		ivshmem_close(&dev);
		fprintf(stderr, "ivshmem: pingpong: bad peer or vector\n");
		return 1;
	}
	rtt = calloc(count, sizeof(*rtt));
	if (!rtt) {
		ivshmem_close(&dev);
		return fail("pingpong", -ENOMEM);
	}

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	ret = pingpong_run(&dev, peer, vector, count, rtt);
	if (!ret && dev.info.id == 0) {
		qsort(rtt, count, sizeof(*rtt), cmp_u64);
		printf("%lu round trips with peer %lu on vector %lu: ",
		       count, peer, vector);
		printf("median %.1f us, p99 %.1f us\n",
		       rtt[count / 2] / 1000.0,
		       rtt[(count * 99 - 1) / 100] / 1000.0);
	} else if (!ret) {
		printf("answered %lu pings from peer %lu\n", count, peer);
	}
	free(rtt);
	ivshmem_close(&dev);
	return ret ? fail("pingpong", ret) : 0;
}

static void hexdump(const uint8_t *p, unsigned long off, unsigned long len)
{
	unsigned long i, j;
	uint8_t line[16];

	for (i = 0; i < len; i += 16) {
		printf("%08lx:", off + i);
		for (j = i; j < i + 16 && j < len; j++) {
			/* one load per byte: shared memory may change */
			line[j - i] = __atomic_load_n(&p[j], __ATOMIC_RELAXED);
			printf(" %02x", line[j - i]);
		}
		printf("%*s  ", (int)(3 * (i + 16 - j)), "");
		for (j = i; j < i + 16 && j < len; j++)
			putchar(isprint(line[j - i]) ? line[j - i] : '.');
		putchar('\n');
	}
}

static int cmd_dump(int argc, char **argv)
{
	unsigned long off = 0, len = ~0ul, index;
	const uint8_t *p = NULL;
	struct ivshmem_dev dev;
	const char *spec = NULL;
	uint64_t size = 0;
	int opt, i;

	while ((opt = getopt(argc, argv, "d:")) != -1) {
		if (opt != 'd')
			return bad_usage();
		spec = optarg;
	}
	if (optind != argc - 1 && optind != argc - 3)
		return bad_usage();
	if (optind == argc - 3 &&
	    (parse_ulong(argv[optind + 1], ~0ul, &off) ||
	     parse_ulong(argv[optind + 2], ~0ul, &len)))
		return 1;
	if (open_dev(&dev, spec))
		return 1;

	p = ivshmem_map(&dev, argv[optind], &size);
	if (!p && isdigit((unsigned char)argv[optind][0]) &&
	    !parse_ulong(argv[optind], IVSHMEM_MAX_MAPS - 1, &index)) {
		for (i = 0; i < dev.info.nmaps; i++) {
			if (dev.info.maps[i].index != (int)index)
				continue;
			p = dev.map_addr[i];
			size = dev.info.maps[i].size;
		}
	}
	if (!p) {
		ivshmem_close(&dev);
		fprintf(stderr, "ivshmem: dump: no map '%s'\n", argv[optind]);
		return 1;
	}
	if (off > size) {
		ivshmem_close(&dev);
		fprintf(stderr, "ivshmem: dump: offset beyond size 0x%llx\n",
			(unsigned long long)size);
		return 1;
	}
	if (len > size - off)
		len = size - off;
	if (p == (const uint8_t *)dev.regs) {
		/* registers only take aligned 32-bit reads */
		for (index = off & ~3ul; index < off + len; index += 4)
			printf("%08lx: %08x\n", index,
			       ivshmem_read32(dev.regs, index));
	} else {
		hexdump(p + off, off, len);
	}
	ivshmem_close(&dev);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "list", cmd_list },
	{ "state", cmd_state },
	{ "ring", cmd_ring },
	{ "wait", cmd_wait },
	{ "pingpong", cmd_pingpong },
	{ "dump", cmd_dump },
};

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return 1;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (i = 0; i < ARRAY_SIZE(commands); i++) {
		if (strcmp(argv[1], commands[i].name))
			continue;
		return commands[i].fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "ivshmem: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 1;
}
