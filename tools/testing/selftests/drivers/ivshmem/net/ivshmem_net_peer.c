// SPDX-License-Identifier: GPL-2.0
/*
 * A hostile ivshmem-net peer for the ivshmem-net tests. It runs on a guest
 * whose protocol 0001h device is bound to uio_ivshmem, completes the
 * handshake with the other guest's ivshmem-net driver and then breaks the
 * protocol in every way it can, one phase after the other, getting the
 * victim back to RUN between phases:
 *
 *   baddesc   descriptors with bad flags, indices, addresses and lengths,
 *             mixed with valid frames, while completing the victim's frames
 *   bigidx    an avail index far beyond the ring size
 *   badused   completions of the victim's frames with wrong ids and lengths
 *   random    random bytes over the whole output section, and doorbells
 *   flap      random state values (also undefined ones) and doorbells
 *
 * Usage: ivshmem_net_peer [-d DEV] [-t SECONDS_PER_PHASE] [PHASE...]
 * The victim judges the outcome (its counters move, its kernel stays
 * healthy, the link works again); this program fails only if it cannot
 * get the victim to RUN.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "libivshmem.h"

#define ST_RESET	0
#define ST_INIT		1
#define ST_READY	2
#define ST_RUN		3

static struct ivshmem_dev dev;
static uint8_t *own;		/* our output section */
static const uint8_t *vic;	/* the victim's output section */
static uint64_t sec_size;
static uint32_t qlen, vrsize, used_off, peer, txvec;
static uint16_t avail_idx, used_idx;	/* our TX, our completions */

static void calc_qlen(uint64_t size)
{
	uint32_t q, vs = 0;

	for (q = 4096; q > 32; q /= 2) {
		uint32_t a = (q * 16 + 2 * (3 + q) + 63) & ~63u;

		vs = (a + 6 + 8 * q + 63) & ~63u;
		if (vs < size / 8)
			break;
	}
	qlen = q;
	vrsize = vs;
	used_off = (q * 16 + 2 * (3 + q) + 63) & ~63u;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

static void fence(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static void w16(size_t off, uint16_t v)
{
	__atomic_store_n((uint16_t *)(own + off), v, __ATOMIC_RELAXED);
}

static void w32(size_t off, uint32_t v)
{
	__atomic_store_n((uint32_t *)(own + off), v, __ATOMIC_RELAXED);
}

static void w64(size_t off, uint64_t v)
{
	__atomic_store_n((uint64_t *)(own + off), v, __ATOMIC_RELAXED);
}

static uint16_t vic16(size_t off)
{
	return __atomic_load_n((const uint16_t *)(vic + off),
			       __ATOMIC_RELAXED);
}

static void ring(void)
{
	ivshmem_doorbell(&dev, peer, txvec);
}

static uint32_t vic_state(void)
{
	return ivshmem_peer_state(&dev, peer);
}

static int wait_state(uint32_t want, int ms)
{
	uint64_t end = now_ms() + ms;

	while (now_ms() < end) {
		if (vic_state() == want)
			return 0;
		usleep(2000);
	}
	return -1;
}

/* Reset, then walk the victim to RUN with a clean ring of ours */
static int handshake(void)
{
	ivshmem_set_state(&dev, ST_RESET);
	if (wait_state(ST_INIT, 20000)) {
		fprintf(stderr, "victim not in INIT (state %u)\n", vic_state());
		return -1;
	}
	memset(own, 0, sec_size);
	avail_idx = 0;
	used_idx = 0;
	fence();
	ivshmem_set_state(&dev, ST_INIT);
	if (wait_state(ST_READY, 20000))
		return -1;
	ivshmem_set_state(&dev, ST_READY);
	if (wait_state(ST_RUN, 20000)) {
		fprintf(stderr, "victim not in RUN (state %u)\n", vic_state());
		return -1;
	}
	ivshmem_set_state(&dev, ST_RUN);
	return 0;
}

/* Completes the victim's frames correctly, so that its TX keeps going */
static void sink(void)
{
	uint16_t vidx = vic16(qlen * 16 + 2);
	uint16_t n = vidx - used_idx;

	if (n > qlen)
		return;
	while (n--) {
		uint32_t e = used_off + 4 + 8 * (used_idx & (qlen - 1));

		w32(e, used_idx & (qlen - 1));
		w32(e + 4, 1);
		used_idx++;
	}
	fence();
	w16(used_off + 2, used_idx);
	ring();
}

/* Posts descriptor @d with @addr/@len/@flags under avail entry @id */
static void post(uint16_t d, uint64_t addr, uint32_t len, uint16_t flags,
		 uint16_t id)
{
	size_t desc = (size_t)d * 16;

	w64(desc, addr);
	w32(desc + 8, len);
	w16(desc + 12, flags);
	w16(desc + 14, 0);
	w16(qlen * 16 + 4 + 2 * (avail_idx & (qlen - 1)), id);
	fence();
	avail_idx++;
	w16(qlen * 16 + 2, avail_idx);
}

static void phase_baddesc(int secs)
{
	uint64_t end = now_ms() + secs * 1000ull;
	uint32_t data = sec_size - vrsize;
	unsigned int i = 0;

	/* one valid broadcast frame at the start of the data area */
	memset(own + vrsize, 0xff, 6);
	memset(own + vrsize + 6, 0x02, 6);
	own[vrsize + 12] = 0x88;	/* local experimental ethertype */
	own[vrsize + 13] = 0xb5;

	while (now_ms() < end) {
		uint16_t vused = vic16(used_off + 2);	/* victim's RX used */
		uint16_t d;

		sink();
		if ((uint16_t)(avail_idx - vused) >= qlen) {
			ring();
			usleep(1000);
			continue;
		}
		d = avail_idx & (qlen - 1);
		switch (i++ % 10) {
		case 0:
			post(d, vrsize, 60, 0, d);		/* valid */
			break;
		case 1:
			post(d, 0, 60, 0, d);		/* in the ring */
			break;
		case 2:
			post(d, sec_size - 10, 60, 0, d);	/* past end */
			break;
		case 3:
			post(d, ~0ull - 20, 60, 0, d);		/* wraps */
			break;
		case 4:
			post(d, vrsize, 0xffffffffu, 0, d);	/* huge */
			break;
		case 5:
			post(d, vrsize, 5, 0, d);		/* runt */
			break;
		case 6:
			post(d, vrsize, 60, 1, d);		/* chained */
			break;
		case 7:
			post(d, vrsize, 60, 0, qlen + 5);	/* bad index */
			break;
		case 8:
			post(d, vrsize, data, 0, d);		/* > MTU */
			break;
		default:
			post(d, vrsize, 60, 4, 0xffff);		/* both */
			break;
		}
		if (i % 4 == 0)
			ring();
		if (i % 64 == 0)
			usleep(1000);
	}
	ring();
}

static void phase_bigidx(int secs)
{
	w16(qlen * 16 + 2, avail_idx + qlen + 7);
	ring();
	usleep(secs * 1000000 / 4);
}

static void phase_badused(int secs)
{
	uint64_t end = now_ms() + secs * 1000ull;

	while (now_ms() < end) {
		uint16_t vidx = vic16(qlen * 16 + 2);
		uint32_t e = used_off + 4 + 8 * (used_idx & (qlen - 1));

		if (vidx != used_idx) {
			w32(e, (used_idx + 1) & (qlen - 1));	/* wrong id */
			w32(e + 4, 1514);	/* a byte count */
			used_idx++;
			fence();
			w16(used_off + 2, used_idx);
			ring();
		}
		usleep(2000);
	}
}

static void scribble(void)
{
	size_t i;

	for (i = 0; i + 4 <= sec_size; i += 4)
		w32(i, (uint32_t)random());
}

static void phase_random(int secs)
{
	uint64_t end = now_ms() + secs * 1000ull;

	while (now_ms() < end) {
		scribble();
		fence();
		ring();
		usleep(20000);
	}
}

static void phase_flap(int secs)
{
	uint64_t end = now_ms() + secs * 1000ull;

	while (now_ms() < end) {
		ivshmem_set_state(&dev, random() % 8);
		if (random() % 4 == 0)
			scribble();
		ivshmem_doorbell(&dev, peer, random() % (dev.info.vectors));
		usleep(random() % 3000);
	}
	ivshmem_set_state(&dev, ST_RESET);
}

static const struct {
	const char *name;
	void (*fn)(int secs);
} phases[] = {
	{ "baddesc", phase_baddesc },
	{ "bigidx", phase_bigidx },
	{ "badused", phase_badused },
	{ "random", phase_random },
	{ "flap", phase_flap },
	{ NULL, NULL },
};

static int run_phase(const char *name, int secs)
{
	unsigned int i;

	for (i = 0; phases[i].name; i++) {
		if (strcmp(name, phases[i].name))
			continue;
		if (handshake()) {
			printf("# %s: cannot get the victim to RUN\n", name);
			return -1;
		}
		printf("# %s: victim in RUN, attacking for %d s\n", name, secs);
		fflush(stdout);
		phases[i].fn(secs);
		printf("# %s: done, victim state %u\n", name, vic_state());
		return 0;
	}
	fprintf(stderr, "unknown phase %s\n", name);
	return -1;
}

int main(int argc, char **argv)
{
	const char *spec = "protocol=0x1";
	uint64_t in_size, out_size;
	int secs = 3, opt, ret = 0;
	unsigned int i;

	while ((opt = getopt(argc, argv, "d:t:")) != -1) {
		switch (opt) {
		case 'd':
			spec = optarg;
			break;
		case 't':
			secs = atoi(optarg);
			break;
		default:
			fprintf(stderr,
				"usage: %s [-d DEV] [-t SECS] [PHASE...]\n",
				argv[0]);
			return 2;
		}
	}

	ret = ivshmem_open(&dev, spec);
	if (ret) {
		fprintf(stderr, "cannot open %s: %s\n", spec, strerror(-ret));
		return 1;
	}
	if (dev.info.max_peers != 2) {
		fprintf(stderr, "not a 2-peer link\n");
		return 1;
	}
	own = ivshmem_map(&dev, IVSHMEM_MAP_OUTPUT, &out_size);
	vic = ivshmem_map(&dev, IVSHMEM_MAP_INPUT, &in_size);
	if (!own || !vic) {
		fprintf(stderr, "no output sections\n");
		return 1;
	}
	peer = 1 - dev.info.id;
	sec_size = out_size;
	vic += peer * sec_size;
	txvec = dev.info.vectors > 1 ? 1 : 0;
	calc_qlen(sec_size);
	srandom(1234);
	printf("# hostile peer %u: section 0x%llx, qlen %u, vrsize 0x%x\n",
	       dev.info.id, (unsigned long long)sec_size, qlen, vrsize);

	if (optind == argc) {
		for (i = 0; phases[i].name && !ret; i++)
			ret = run_phase(phases[i].name, secs);
	} else {
		for (i = optind; i < (unsigned int)argc && !ret; i++)
			ret = run_phase(argv[i], secs);
	}

	ivshmem_set_state(&dev, ST_RESET);
	ivshmem_close(&dev);
	return ret ? 1 : 0;
}
