// SPDX-License-Identifier: GPL-2.0
/*
 * The other end of a link for the uio_ivshmem fault tests (crash loop,
 * module reload loop, hostile peer). It runs on a guest whose device is
 * bound to uio_ivshmem and talks to the same program on another guest.
 *
 *   exchange -c CYCLE [-k ROUNDS] [-A | -w]
 *	Announces CYCLE in the own state (ANNOUNCE + CYCLE), waits for the
 *	peer to announce the same cycle and exchanges ROUNDS (default 20)
 *	doorbell round trips with it: the peer with the lower ID writes a
 *	sequence number to the first word of its output section and rings,
 *	the other one echoes it and rings back, on vector 1 and up (vector 0
 *	when there is only one; it also carries state changes). Then:
 *	-A prints "VMTEST-RESPAWN-ARM" and goes on until it is killed;
 *	-w rings the peer while waiting for it and after the rounds goes on
 *	until the peer leaves, which must show as state 0. The interrupts
 *	per vector are printed; the announcement need not show on vector 0:
 *	in one-shot mode a state change that comes right after a doorbell
 *	finds the device disarmed and is dropped, as the device defines;
 *	neither returns after the rounds.
 *
 *   hostile -s SEED -n COUNT [-r RESETS] [-k ROUNDS]
 *	COUNT seeded mutations of everything the peer can reach: doorbells
 *	on every vector and beyond the last one, to every ID and beyond the
 *	last one, state values, and the content of the output and R/W
 *	sections. Every RESETS mutations (default 2000) and at the end it
 *	behaves: announces a new epoch and needs ROUNDS round trips with
 *	the victim. Prints what it sent as "SENT ..." lines.
 *
 *   victim
 *	Echoes whatever sequence number the peer shows, until the peer's
 *	state reads DONE (what hostile sets last; the victim sets DONE too
 *	then, until the hostile leaves DONE) or -t seconds passed.
 *	Prints the interrupts it got per vector as "EVENTS ..." lines.
 *
 * Common options: -d DEV (default: the first uio_ivshmem device), -p PEER
 * (default: 1 on peer 0, else 0), -t SECONDS to wait for the peer
 * (default 600). Exit status 0 on success, 1 on a failed check.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "libivshmem.h"
#include "../ivshmem_mutate.h"

#define ANNOUNCE	0x5ea10000u	/* + cycle or epoch, below 0x10000 */
#define DONE		0xd0e0d0e0u
#define ROUND_MS	10000

static struct ivshmem_dev dev;
static unsigned int peer, nvec;
static uint32_t *own;		/* our output section: [0] sequence */
static const uint32_t *theirs;	/* the peer's output section */
static uint8_t *own_bytes, *rw;
static uint64_t sec_size, rw_size;
static int timeout_s = 600;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

static uint32_t peer_seq(void)
{
	return __atomic_load_n(&theirs[0], __ATOMIC_ACQUIRE);
}

static void set_seq(uint32_t v)
{
	__atomic_store_n(&own[0], v, __ATOMIC_RELEASE);
}

/* Round @i uses vector 1 and up, or 0 if that is the only one */
static unsigned int ping_vector(uint32_t i)
{
	return nvec > 1 ? 1 + i % (nvec - 1) : 0;
}

static void counts(uint64_t *c)
{
	memset(c, 0, nvec * sizeof(*c));
	ivshmem_vector_counts(&dev, c, nvec);
}

static void print_counts(const char *tag, const uint64_t *c0)
{
	uint64_t c[nvec];
	unsigned int v;

	counts(c);
	printf("%s", tag);
	for (v = 0; v < nvec; v++)
		printf(" v%u=%llu", v, (unsigned long long)(c[v] - c0[v]));
	printf("\n");
}

/* Arm, then sleep up to @ms for an interrupt */
static void nap(int ms)
{
	ivshmem_irq_control(&dev, 1);
	ivshmem_wait(&dev, ms, NULL);
}

enum { WAIT_OK, WAIT_LEFT, WAIT_TIMEOUT };

/* Waits for the peer's sequence number @want while it shows @state */
static int await_seq(uint32_t want, uint32_t state)
{
	uint64_t end = now_ms() + ROUND_MS;

	for (;;) {
		ivshmem_irq_control(&dev, 1);
		if (peer_seq() == want)
			return WAIT_OK;
		if (ivshmem_peer_state(&dev, peer) != state)
			return WAIT_LEFT;
		if (now_ms() > end)
			return WAIT_TIMEOUT;
		ivshmem_wait(&dev, 100, NULL);
	}
}

/*
 * One round trip @i; returns WAIT_*. The initiator (lower ID) writes
 * first; the other one echoes.
 */
static int round_trip(uint32_t i, uint32_t state)
{
	int ret;

	if (dev.info.id < peer) {
		set_seq(i);
		ivshmem_doorbell(&dev, peer, ping_vector(i));
		return await_seq(i, state);
	}
	ret = await_seq(i, state);
	if (ret == WAIT_OK) {
		set_seq(i);
		ivshmem_doorbell(&dev, peer, ping_vector(i));
	}
	return ret;
}

/* Waits up to -t seconds for the peer to show anything but @state */
static int await_state_not(uint32_t state)
{
	uint64_t end = now_ms() + timeout_s * 1000ull;

	while (ivshmem_peer_state(&dev, peer) == state) {
		if (now_ms() > end)
			return -1;
		nap(20);
	}
	return 0;
}

/* Waits for the peer to show @state; rings it meanwhile if @ring */
static int await_state(uint32_t state, int ring)
{
	uint64_t end = now_ms() + timeout_s * 1000ull;
	unsigned int v = 0;

	while (ivshmem_peer_state(&dev, peer) != state) {
		if (now_ms() > end)
			return -1;
		if (ring)
			ivshmem_doorbell(&dev, peer, v++ % nvec);
		nap(20);
	}
	return 0;
}

static int do_exchange(uint32_t cycle, uint32_t rounds, int arm, int watch)
{
	uint32_t state = ANNOUNCE + cycle, i, left_state;
	uint64_t c0[nvec], t0 = now_ms(), t_up;
	int ret = WAIT_OK;

	counts(c0);
	set_seq(0);
	ivshmem_irq_control(&dev, 1);
	ivshmem_set_state(&dev, state);
	if (await_state(state, watch)) {
		printf("# cycle %u: no announcement from the peer in %d s",
		       cycle, timeout_s);
		printf(" (state 0x%x)\n", ivshmem_peer_state(&dev, peer));
		return 1;
	}
	t_up = now_ms();

	for (i = 1; ret == WAIT_OK && (i <= rounds || arm || watch); i++) {
		ret = round_trip(i, state);
		if (i == rounds && arm) {
			printf("# cycle %u: %u round trips, traffic goes on\n",
			       cycle, rounds);
			printf("VMTEST-RESPAWN-ARM\n");
			fflush(stdout);
		}
	}
	i--;
	left_state = ivshmem_peer_state(&dev, peer);
	printf("# cycle %u: peer up after %llu ms, %u round trips", cycle,
	       (unsigned long long)(t_up - t0), i - (ret != WAIT_OK));
	print_counts(", interrupts", c0);
	if (ret == WAIT_TIMEOUT) {
		printf("# cycle %u: round trip %u timed out\n", cycle, i);
		return 1;
	}
	if (ret == WAIT_LEFT && (i <= rounds || !watch)) {
		printf("# cycle %u: the peer left in round %u (state 0x%x)\n",
		       cycle, i, left_state);
		return 1;
	}
	if (ret == WAIT_LEFT && left_state) {
		printf("# cycle %u: the peer left with state 0x%x, not 0\n",
		       cycle, left_state);
		return 1;
	}
	return 0;
}

/* Honest phase of the hostile: a new epoch and @rounds round trips */
static int behave(uint32_t epoch, uint32_t rounds, uint64_t *sent)
{
	uint32_t state = ANNOUNCE + (epoch & 0xffff), i;

	set_seq(0);
	ivshmem_set_state(&dev, state);
	/* the victim echoes any number: start from one it cannot show */
	for (i = 1; i <= rounds; i++) {
		uint32_t seq = (epoch << 16) | i;

		set_seq(seq);
		ivshmem_doorbell(&dev, peer, ping_vector(i));
		sent[ping_vector(i)]++;
		/* the victim keeps its announcement */
		if (await_seq(seq, ANNOUNCE) != WAIT_OK) {
			printf("# epoch %u: round trip %u failed,", epoch, i);
			printf(" victim shows 0x%x, state 0x%x\n", peer_seq(),
			       ivshmem_peer_state(&dev, peer));
			return -1;
		}
	}
	return 0;
}

/* A state value: small, random, announcements, boundaries; never DONE */
static uint32_t hostile_state(struct mut_ctx *m)
{
	uint32_t st;

	switch (mut_below(m, 4)) {
	case 0:
		st = mut_below(m, 8);
		break;
	case 1:
		st = mut_rand(m);
		break;
	case 2:
		st = ANNOUNCE + mut_below(m, 4);
		break;
	default:
		st = mut_boundary(m, 4);
		break;
	}
	return st == DONE ? st - 1 : st;
}

static int do_hostile(uint64_t seed, uint64_t count, uint64_t resets,
		      uint32_t rounds)
{
	struct mut_field f[] = {
		MUT_FIELD("seq", 0, 4, 1, 0),
		MUT_FIELD("output", 0, 8, sec_size / 8, 8),
	};
	const uint64_t special[] = { ANNOUNCE, nvec, dev.info.max_peers };
	uint64_t sent[nvec], bad_vec = 0, bad_peer = 0, self = 0;
	uint64_t states = 0, memory = 0, rwm = 0, epochs = 0, t0;
	uint32_t last_state = 0, st;
	struct mut_ctx m, mrw;
	unsigned int v, p;
	int ret = 0;

	memset(sent, 0, sizeof(sent));
	if (await_state(ANNOUNCE, 0)) {
		printf("# hostile: no victim\n");
		return 1;
	}
	/* the clock of the report starts with the victim */
	t0 = now_ms();
	mut_init(&m, seed, own_bytes, sec_size, f, ARRAY_SIZE(f), special,
		 ARRAY_SIZE(special));
	mut_init(&mrw, seed ^ 0x5555, rw, rw_size, NULL, 0, NULL, 0);
	while (m.total < count) {
		if (m.total / resets != epochs) {
			epochs = m.total / resets;
			if (behave(epochs, rounds, sent)) {
				ret = 1;
				break;
			}
			last_state = ANNOUNCE + (epochs & 0xffff);
		}
		switch (mut_below(&m, 8)) {
		case 0:
		case 1:
		case 2:
			/* doorbells, some beyond the last vector or peer */
			v = mut_below(&m, 8) ? mut_below(&m, nvec) :
			    nvec + mut_below(&m, 0x10000 - nvec);
			p = mut_below(&m, 8) ? peer :
			    mut_below(&m, 4) ? mut_below(&m, 0x10000) :
			    dev.info.id;
			ivshmem_doorbell(&dev, p, v);
			if (p == dev.info.id)
				self++;
			else if (p >= dev.info.max_peers)
				bad_peer++;
			else if (v >= nvec)
				bad_vec++;
			else if (p == peer)
				sent[v]++;
			m.total++;
			break;
		case 3:
			st = hostile_state(&m);
			ivshmem_set_state(&dev, st);
			/* only a change notifies the peers (vector 0) */
			if (st != last_state)
				states++;
			last_state = st;
			m.total++;
			break;
		case 4:
			/* the R/W section if there is one */
			if (rw_size) {
				mut_one(&mrw, 1);
				rwm++;
				m.total++;
			} else {
				mut_one(&m, 8);
				memory++;
			}
			break;
		default:
			mut_one(&m, 8);
			memory++;
			break;
		}
		if (!mut_below(&m, 16))
			usleep(mut_below(&m, 1000));
	}
	if (!ret && behave(++epochs, rounds, sent))
		ret = 1;
	set_seq(0);
	if (last_state != DONE)
		states++;
	/* the victim answers DONE with DONE until we leave it */
	ivshmem_set_state(&dev, DONE);
	if (await_state(DONE, 0)) {
		printf("# hostile: the victim did not see DONE\n");
		ret = 1;
	}
	ivshmem_set_state(&dev, 0);
	mut_report(&m, "hostile");
	printf("# hostile: seed %llu, %llu s, %llu honest epochs,",
	       (unsigned long long)seed,
	       (unsigned long long)(now_ms() - t0) / 1000,
	       (unsigned long long)epochs);
	printf(" %llu state changes, %llu R/W and %llu output mutations\n",
	       (unsigned long long)states, (unsigned long long)rwm,
	       (unsigned long long)memory);
	printf("# hostile: doorbells beyond the last vector %llu,",
	       (unsigned long long)bad_vec);
	printf(" beyond the last peer %llu, to itself %llu\n",
	       (unsigned long long)bad_peer, (unsigned long long)self);
	printf("MUTATIONS %llu\n", (unsigned long long)m.total);
	printf("SENT");
	for (v = 0; v < nvec; v++)
		printf(" v%u=%llu", v, (unsigned long long)sent[v]);
	printf(" states=%llu\n", (unsigned long long)states);
	return ret;
}

static int do_victim(void)
{
	uint64_t c0[nvec], end = now_ms() + timeout_s * 1000ull;
	uint64_t answers = 0;
	uint32_t seq, st;

	counts(c0);
	set_seq(0);
	ivshmem_set_state(&dev, ANNOUNCE);
	for (;;) {
		ivshmem_irq_control(&dev, 1);
		st = ivshmem_peer_state(&dev, peer);
		if (st == DONE) {
			/* until the hostile saw it and moved on */
			ivshmem_set_state(&dev, DONE);
			timeout_s = 60;
			if (await_state_not(DONE))
				printf("# victim: the peer stays in DONE\n");
			break;
		}
		seq = peer_seq();
		if (seq != __atomic_load_n(&own[0], __ATOMIC_RELAXED)) {
			set_seq(seq);
			ivshmem_doorbell(&dev, peer, seq & 0xffff ?
					 ping_vector(seq & 0xffff) : 0);
			answers++;
		}
		if (now_ms() > end) {
			printf("# victim: the peer did not finish in %d s\n",
			       timeout_s);
			return 1;
		}
		ivshmem_wait(&dev, 100, NULL);
	}
	printf("# victim: %llu answers\n", (unsigned long long)answers);
	print_counts("EVENTS", c0);
	return 0;
}

static void bad_args(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-d DEV] [-p PEER] [-t SECS] exchange -c CYCLE [-k ROUNDS] [-A|-w]\n"
		"       %s [...] hostile -s SEED -n COUNT [-r RESETS] [-k ROUNDS]\n"
		"       %s [...] victim\n", prog, prog, prog);
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned long cycle = 0, rounds = 20, resets = 2000;
	uint64_t seed = 1, count = 100000, out_size, in_size;
	const char *spec = NULL, *mode;
	long peer_opt = -1;
	const uint8_t *in;
	int opt, arm = 0, watch = 0, ret;

	while ((opt = getopt(argc, argv, "+d:p:t:")) != -1) {
		switch (opt) {
		case 'd':
			spec = optarg;
			break;
		case 'p':
			peer_opt = strtol(optarg, NULL, 0);
			break;
		case 't':
			timeout_s = atoi(optarg);
			break;
		default:
			bad_args(argv[0]);
		}
	}
	if (optind >= argc)
		bad_args(argv[0]);
	mode = argv[optind];
	optind++;
	while ((opt = getopt(argc, argv, "c:k:Aws:n:r:")) != -1) {
		switch (opt) {
		case 'c':
			cycle = strtoul(optarg, NULL, 0);
			break;
		case 'k':
			rounds = strtoul(optarg, NULL, 0);
			break;
		case 'A':
			arm = 1;
			break;
		case 'w':
			watch = 1;
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			count = strtoull(optarg, NULL, 0);
			break;
		case 'r':
			resets = strtoul(optarg, NULL, 0);
			break;
		default:
			bad_args(argv[0]);
		}
	}
	if (cycle > 0xffff || !resets || (arm && watch))
		bad_args(argv[0]);

	/* a peer that goes away must not kill us with SIGPIPE or the like */
	signal(SIGPIPE, SIG_IGN);
	ret = ivshmem_open(&dev, spec);
	if (ret) {
		fprintf(stderr, "cannot open %s: %s\n", spec ? spec : "device",
			strerror(-ret));
		return 1;
	}
	nvec = dev.info.vectors;
	peer = peer_opt >= 0 ? peer_opt : dev.info.id == 0 ? 1 : 0;
	own_bytes = ivshmem_map(&dev, IVSHMEM_MAP_OUTPUT, &out_size);
	in = ivshmem_map(&dev, IVSHMEM_MAP_INPUT, &in_size);
	rw = ivshmem_map(&dev, IVSHMEM_MAP_RW, &rw_size);
	if (!rw)
		rw_size = 0;
	if (!own_bytes || !in || out_size < 8 || peer >= dev.info.max_peers ||
	    peer == dev.info.id) {
		fprintf(stderr, "need output sections and a peer\n");
		return 1;
	}
	sec_size = out_size;
	own = (uint32_t *)own_bytes;
	theirs = (const uint32_t *)(in + peer * sec_size);
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (!strcmp(mode, "exchange"))
		ret = do_exchange(cycle, rounds, arm, watch);
	else if (!strcmp(mode, "hostile"))
		ret = do_hostile(seed, count, resets, rounds);
	else if (!strcmp(mode, "victim"))
		ret = do_victim();
	else
		bad_args(argv[0]);

	ivshmem_close(&dev);
	return ret;
}
