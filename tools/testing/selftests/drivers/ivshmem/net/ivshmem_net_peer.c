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
 * Three more phases are not in the default list:
 *
 *   account   inputs whose effect on the victim's counters is exact:
 *             valid frames, invalid descriptors and length errors
 *             (waiting until the victim consumed them all), then one
 *             broken ring and one undefined state; prints the expected
 *             counter increments as "ACCOUNT counter=N" lines
 *   mutate    -n COUNT seeded mutations (-s SEED) of every field of the
 *             ring and of the frames, of our state and of doorbells, in
 *             batches between correct work (frames posted, the victim's
 *             frames completed); the link is reset and walked back to RUN
 *             every -r RESETS mutations and whenever the victim reset it
 *   honest    a correct peer for -t seconds: fails unless the victim's
 *             frames arrive
 *
 * Usage: ivshmem_net_peer [-d DEV] [-t SECONDS_PER_PHASE] [-s SEED]
 *                         [-n COUNT] [-r RESETS] [PHASE...]
 * The victim judges the outcome (its counters move, its kernel stays
 * healthy, the link works again); this program fails only if it cannot
 * get the victim to RUN, or in "account" if the victim does not consume
 * the frames, or in "honest" if the victim sends nothing.
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
#include "../ivshmem_mutate.h"

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
static uint64_t seed = 1;
static unsigned long mutations = 100000, reset_every = 5000;
static int failed;	/* a phase found the victim misbehaving */

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

/* 0 once the victim is in @want, -1 after @ms, -2 if it fell back to RESET */
static int wait_state(uint32_t want, int ms)
{
	uint64_t end = now_ms() + ms;
	uint32_t st;

	while (now_ms() < end) {
		st = vic_state();
		if (st == want)
			return 0;
		if (want > ST_INIT && st == ST_RESET)
			return -2;
		usleep(2000);
	}
	return -1;
}

/* Reset, then walk the victim to RUN with a clean ring of ours */
static int handshake_once(void)
{
	int ret;

	ivshmem_set_state(&dev, ST_RESET);
	if (wait_state(ST_INIT, 60000)) {
		fprintf(stderr, "victim not in INIT (state %u)\n", vic_state());
		return -1;
	}
	memset(own, 0, sec_size);
	avail_idx = 0;
	used_idx = 0;
	fence();
	ivshmem_set_state(&dev, ST_INIT);
	ret = wait_state(ST_READY, 60000);
	if (ret)
		return ret;
	ivshmem_set_state(&dev, ST_READY);
	ret = wait_state(ST_RUN, 60000);
	if (ret == -1)
		fprintf(stderr, "victim not in RUN (state %u)\n", vic_state());
	if (ret)
		return ret;
	ivshmem_set_state(&dev, ST_RUN);
	return 0;
}

/*
 * The victim treats a backwards step of our state as RESET (ivshmem-net's
 * rule): when it saw a mutated state value before our handshake, it may
 * fall back to RESET in the middle and wait for ours. Start over then.
 */
static int handshake(void)
{
	int tries, ret = -1;

	for (tries = 0; tries < 10; tries++) {
		ret = handshake_once();
		if (ret != -2)
			break;
	}
	return ret ? -1 : 0;
}

static uint64_t completed;	/* victim frames completed by sink() */

/* Completes the victim's frames correctly, so that its TX keeps going */
static void sink(void)
{
	uint16_t vidx = vic16(qlen * 16 + 2);
	uint16_t n = vidx - used_idx;

	if (n > qlen)
		return;
	completed += n;
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

/* One valid broadcast frame at the start of the data area */
static void put_frame(void)
{
	memset(own + vrsize, 0xff, 6);
	memset(own + vrsize + 6, 0x02, 6);
	own[vrsize + 12] = 0x88;	/* local experimental ethertype */
	own[vrsize + 13] = 0xb5;
}

/* Frames of ours the victim has not consumed yet */
static uint16_t unconsumed(void)
{
	return avail_idx - vic16(used_off + 2);
}

/* Waits until fewer than @n frames of ours are unconsumed */
static int wait_room(uint16_t n, int ms)
{
	uint64_t end = now_ms() + ms;

	while (unconsumed() >= n) {
		if (now_ms() > end || vic_state() != ST_RUN)
			return -1;
		sink();
		ring();
		usleep(1000);
	}
	return 0;
}

static void phase_baddesc(int secs)
{
	uint64_t end = now_ms() + secs * 1000ull;
	uint32_t data = sec_size - vrsize;
	unsigned int i = 0;

	put_frame();

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

/* Waits up to @ms for the victim to leave RUN */
static int wait_left_run(int ms)
{
	uint64_t end = now_ms() + ms;

	while (vic_state() == ST_RUN) {
		if (now_ms() > end)
			return -1;
		usleep(2000);
	}
	return 0;
}

static void phase_account(int secs)
{
	uint32_t data = sec_size - vrsize;
	unsigned int i, valid = 0, bad = 0, len = 0;

	put_frame();
	for (i = 0; i < 80; i++) {
		uint16_t d = avail_idx & (qlen - 1);

		if (wait_room(qlen / 2, 60000)) {
			printf("# account: the victim stopped consuming\n");
			failed = 1;
			return;
		}
		switch (i % 8) {
		case 0:
		case 1:
		case 2:
			post(d, vrsize, 60, 0, d);
			valid++;
			break;
		case 3:
			post(d, vrsize, 60, 1, d);		/* flags */
			bad++;
			break;
		case 4:
			post(d, 0, 60, 0, d);		/* in the ring */
			bad++;
			break;
		case 5:
			post(d, sec_size - 10, 60, 0, d);	/* past end */
			bad++;
			break;
		case 6:
			post(d, vrsize, 60, 0, qlen + 5);	/* bad index */
			bad++;
			break;
		default:
			post(d, vrsize, i & 8 ? 5 : data, 0, d); /* length */
			len++;
			break;
		}
		if (i % 4 == 3)
			ring();
	}
	ring();
	if (wait_room(1, 60000)) {
		printf("# account: the victim did not consume all frames\n");
		failed = 1;
		return;
	}
	printf("ACCOUNT rx_packets=%u\nACCOUNT rx_invalid_desc=%u\n", valid,
	       bad);
	printf("ACCOUNT rx_length_errors=%u\n", len);

	/* one broken ring, seen once until the link is reset */
	w16(qlen * 16 + 2, avail_idx + qlen + 7);
	fence();
	ring();
	if (wait_left_run(30000)) {
		printf("# account: the victim ignored a broken ring\n");
		failed = 1;
		return;
	}
	printf("ACCOUNT ring_errors=1\n");

	/* an undefined state */
	if (handshake()) {
		failed = 1;
		return;
	}
	ivshmem_set_state(&dev, 5);
	if (wait_left_run(30000)) {
		printf("# account: the victim ignored state 5\n");
		failed = 1;
		return;
	}
	printf("ACCOUNT peer_bad_state>=1\nACCOUNT link_resets>=2\n");
	fflush(stdout);
}

/* A state value for the mutation phase: defined, undefined, extreme */
static uint32_t mutated_state(struct mut_ctx *m)
{
	switch (mut_below(m, 4)) {
	case 0:
		return mut_below(m, 8);
	case 1:
		return mut_rand(m);
	case 2:
		return 0xffffffffu - mut_below(m, 2);
	default:
		return ST_RUN + 1;
	}
}

/*
 * Posts a frame in descriptor @d whose descriptor fields or avail entry got
 * one mutation before it is published (f[0..3]: desc.*, f[6]: avail.ring)
 */
static void post_spoiled(struct mut_ctx *m, struct mut_field *f, uint16_t d)
{
	size_t desc = (size_t)d * 16;
	unsigned int which = mut_below(m, 5);

	w64(desc, vrsize);
	w32(desc + 8, 60);
	w16(desc + 12, 0);
	w16(desc + 14, 0);
	w16(qlen * 16 + 4 + 2 * (avail_idx & (qlen - 1)), d);
	if (which < 4)
		mut_elem(m, &f[which], d);
	else
		mut_elem(m, &f[6], avail_idx & (qlen - 1));
	fence();
	avail_idx++;
	w16(qlen * 16 + 2, avail_idx);
}

static void phase_mutate(int secs)
{
	const uint32_t avail = qlen * 16;
	/*
	 * Entries (descriptors, avail entries, frames) weigh more than the
	 * indices: a bad index breaks the ring and resets the link, so the
	 * victim gets to validate entries only between such mutations.
	 */
	struct mut_field f[] = {
		MUT_FIELDW("desc.addr", 0, 8, qlen, 16, 8),
		MUT_FIELDW("desc.len", 8, 4, qlen, 16, 8),
		MUT_FIELDW("desc.flags", 12, 2, qlen, 16, 4),
		MUT_FIELDW("desc.next", 14, 2, qlen, 16, 2),
		MUT_FIELD("avail.flags", avail, 2, 1, 0),
		MUT_FIELD("avail.idx", avail + 2, 2, 1, 0),
		MUT_FIELDW("avail.ring", avail + 4, 2, qlen, 2, 4),
		MUT_FIELD("used_event", avail + 4 + 2 * qlen, 2, 1, 0),
		MUT_FIELD("used.flags", used_off, 2, 1, 0),
		MUT_FIELD("used.idx", used_off + 2, 2, 1, 0),
		MUT_FIELD("used.id", used_off + 4, 4, qlen, 8),
		MUT_FIELD("used.len", used_off + 8, 4, qlen, 8),
		MUT_FIELD("avail_event", used_off + 4 + 8 * qlen, 2, 1, 0),
		MUT_FIELDW("frame", vrsize, 8, (sec_size - vrsize) / 8, 8, 4),
	};
	const uint64_t special[] = {
		qlen, vrsize, used_off, sec_size, sec_size - vrsize, 14, 60,
		1514, 1518, 16384 + 18, 65535 + 18,
	};
	uint64_t states = 0, bells = 0, resets = 0, victim_resets = 0;
	uint64_t t0 = now_ms(), epoch = 0;
	struct mut_ctx m;
	unsigned int k, v;
	uint16_t d;

	mut_init(&m, seed, own, sec_size, f, ARRAY_SIZE(f), special,
		 ARRAY_SIZE(special));
	put_frame();
	while (m.total < mutations) {
		if (vic_state() != ST_RUN || m.total / reset_every != epoch) {
			if (vic_state() != ST_RUN)
				victim_resets++;
			else
				resets++;
			if (handshake()) {
				failed = 1;
				break;
			}
			put_frame();
			epoch = m.total / reset_every;
		}
		/* correct work for the mutations to spoil */
		sink();
		if (unconsumed() < qlen / 2) {
			d = avail_idx & (qlen - 1);
			if (mut_below(&m, 2))
				post(d, vrsize, 60, 0, d);
			else
				post_spoiled(&m, f, d);
		}
		for (k = 1 + mut_below(&m, 8); k && m.total < mutations; k--) {
			switch (mut_below(&m, 256)) {
			case 0:
				ivshmem_set_state(&dev, mutated_state(&m));
				states++;
				m.total++;
				break;
			case 1 ... 8:
				/* vectors beyond the last one are dropped */
				v = mut_below(&m, dev.info.vectors + 2);
				ivshmem_doorbell(&dev, peer, v);
				bells++;
				m.total++;
				break;
			default:
				mut_one(&m, 16);
				break;
			}
		}
		fence();
		ring();
		usleep(mut_below(&m, 500));
	}
	mut_report(&m, "mutate");
	printf("# mutate: %llu state writes, %llu doorbells, seed %llu, ",
	       (unsigned long long)states, (unsigned long long)bells,
	       (unsigned long long)seed);
	printf("%llu s\n# mutate: link resets: %llu by us, %llu by the victim",
	       (unsigned long long)(now_ms() - t0) / 1000,
	       (unsigned long long)resets, (unsigned long long)victim_resets);
	printf("; %llu victim frames completed\n",
	       (unsigned long long)completed);
	printf("MUTATIONS %llu\n", (unsigned long long)m.total);
	fflush(stdout);
	ivshmem_set_state(&dev, ST_RESET);
}

static void phase_honest(int secs)
{
	uint64_t end = now_ms() + secs * 1000ull, done0 = completed;
	unsigned int sent = 0;

	put_frame();
	while (now_ms() < end) {
		if (vic_state() != ST_RUN) {
			printf("# honest: the victim left RUN\n");
			failed = 1;
			return;
		}
		sink();
		if (unconsumed() < qlen / 2) {
			post(avail_idx & (qlen - 1), vrsize, 60, 0,
			     avail_idx & (qlen - 1));
			sent++;
		}
		ring();
		usleep(5000);
	}
	if (wait_room(1, 30000)) {
		printf("# honest: the victim did not consume our frames\n");
		failed = 1;
	}
	printf("# honest: %llu victim frames completed, %u frames sent\n",
	       (unsigned long long)(completed - done0), sent);
	if (completed == done0) {
		printf("# honest: the victim's traffic did not resume\n");
		failed = 1;
	}
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
	{ NULL, NULL },		/* the default list ends here */
	{ "account", phase_account },
	{ "mutate", phase_mutate },
	{ "honest", phase_honest },
	{ NULL, NULL },
};

static int run_phase(const char *name, int secs)
{
	unsigned int i;

	for (i = 0; phases[i].name || phases[i + 1].name; i++) {
		if (!phases[i].name || strcmp(name, phases[i].name))
			continue;
		if (handshake()) {
			printf("# %s: cannot get the victim to RUN\n", name);
			return -1;
		}
		printf("# %s: victim in RUN\n", name);
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

	while ((opt = getopt(argc, argv, "d:t:s:n:r:")) != -1) {
		switch (opt) {
		case 'd':
			spec = optarg;
			break;
		case 't':
			secs = atoi(optarg);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			mutations = strtoul(optarg, NULL, 0);
			break;
		case 'r':
			reset_every = strtoul(optarg, NULL, 0);
			if (!reset_every)
				reset_every = 1;
			break;
		default:
			fprintf(stderr,
				"usage: %s [-d DEV] [-t SECS] [-s SEED] [-n COUNT] [-r RESETS] [PHASE...]\n",
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
	return ret || failed ? 1 : 0;
}
