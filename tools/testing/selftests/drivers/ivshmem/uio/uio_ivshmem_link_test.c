// SPDX-License-Identifier: GPL-2.0
/*
 * Tests for uio_ivshmem between the guests of one IVSHMEM v2 link: shared
 * writes, doorbells that wake only their target on their vector and only
 * when armed, one-shot mode, state changes and the reset state a peer shows
 * after its last close. Run it in every guest of a link at the same time
 * (tools/testing/ivshmem/vmtest): VMTEST_COUNT says how many guests run
 * (at least 2, else the tests skip), and guest I must have peer ID I. The
 * guests run the same tests in the same order and meet at barriers: each
 * guest publishes its progress in the last bytes of its own output section
 * and reads the others' through the input sections.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../../kselftest_harness.h"
#include "libivshmem.h"

/* Barrier slot: a u32 this far from the end of each output section */
#define SYNC_SLOT	64
#define SYNC_SECS	120
/*
 * Harness limit of one test, over its default of 30 s: the first barrier of
 * a test may wait SYNC_SECS for a guest still in its earlier tests (a slow
 * or debug kernel), and the test's own steps may take as long again.
 */
#define TEST_SECS	(2 * SYNC_SECS + 60)
/* Barrier step: test number and a step within that test */
#define STEP(t, k)	((t) * 256 + (k))

#define PATTERN		0x5eed0000u
#define TEST_STATE	0x5eedu
#define CLOSE_STATE	0xc105eu

static unsigned int guests;

static const char *dev_spec(void)
{
	return getenv("IVSHMEM_DEV");
}

static bool slow(void)
{
	return getenv("KSFT_MACHINE_SLOW");
}

/* Milliseconds to wait for an interrupt that must come */
static int must_ms(void)
{
	return slow() ? 10000 : 2000;
}

/* Milliseconds to watch for an interrupt that must not come */
static int quiet_ms(void)
{
	return slow() ? 800 : 300;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

FIXTURE(link)
{
	struct ivshmem_dev dev;
	unsigned int id;
	unsigned int nvec;
	uint64_t out_size;
	uint32_t *out;
	const uint32_t *in;
	uint64_t rw_size;
	uint32_t *rw;
	uint64_t *base;		/* per-vector counts at the last snapshot */
	uint64_t *cur;
};

static int link_open(struct _test_data_link *self)
{
	uint64_t in_size;
	int ret;

	ret = ivshmem_open(&self->dev, dev_spec());
	if (ret)
		return ret;
	self->id = self->dev.info.id;
	self->nvec = self->dev.info.vectors;
	self->out = ivshmem_map(&self->dev, IVSHMEM_MAP_OUTPUT,
				&self->out_size);
	self->in = ivshmem_map(&self->dev, IVSHMEM_MAP_INPUT, &in_size);
	self->rw = ivshmem_map(&self->dev, IVSHMEM_MAP_RW, &self->rw_size);
	return 0;
}

static uint32_t *sync_slot(struct _test_data_link *self)
{
	return (uint32_t *)((char *)self->out + self->out_size - SYNC_SLOT);
}

static const uint32_t *peer_slot(struct _test_data_link *self,
				 unsigned int peer)
{
	return (const uint32_t *)((const char *)self->in +
				  (peer + 1) * self->out_size - SYNC_SLOT);
}

/*
 * Meets the other guests: publishes @step and waits until every guest's
 * slot reached it. Steps only grow, so a guest that left a test early (a
 * failed assertion) does not block the others at later barriers.
 */
static bool meet(struct _test_data_link *self, uint32_t step)
{
	double end = now() + SYNC_SECS;
	unsigned int p;

	__atomic_store_n(sync_slot(self), step, __ATOMIC_RELEASE);
	for (p = 0; p < guests; p++) {
		while (__atomic_load_n(peer_slot(self, p), __ATOMIC_ACQUIRE) <
		       step) {
			if (now() > end)
				return false;
			usleep(500);
		}
	}
	return true;
}

/* Snapshot of the per-vector counters; ivshmem_wait() events from now on */
static int arm(struct _test_data_link *self)
{
	while (ivshmem_wait(&self->dev, 0, NULL) == 1)
		;
	if (ivshmem_vector_counts(&self->dev, self->base, self->nvec))
		return -1;
	return ivshmem_irq_control(&self->dev, 1);
}

/* How often vector @v fired since arm() */
static uint64_t fired(struct _test_data_link *self, unsigned int v)
{
	if (ivshmem_vector_counts(&self->dev, self->cur, self->nvec))
		return ~0ull;
	return self->cur[v] - self->base[v];
}

/* Number of vectors that fired since arm() */
static unsigned int fired_any(struct _test_data_link *self)
{
	unsigned int v, n = 0;

	for (v = 0; v < self->nvec; v++)
		n += fired(self, v) != 0;
	return n;
}

/*
 * Waits for a state-change interrupt after which @peer's state reads @want.
 * A late interrupt of an earlier change may come first: re-arm and wait on.
 */
static bool wait_state(struct _test_data_link *self, unsigned int peer,
		       uint32_t want)
{
	double end = now() + must_ms() / 1000.0;
	int left;

	for (;;) {
		left = (end - now()) * 1000;
		if (left <= 0 || ivshmem_wait(&self->dev, left, NULL) != 1)
			return false;
		if (ivshmem_peer_state(&self->dev, peer) == want)
			return true;
		if (ivshmem_irq_control(&self->dev, 1))
			return false;
		/* changed while we were disarmed: no interrupt to expect */
		if (ivshmem_peer_state(&self->dev, peer) == want)
			return true;
	}
}

FIXTURE_SETUP(link)
{
	int ret;

	if (guests < 2)
		SKIP(return, "needs 2 guests or more (VMTEST_COUNT)");
	ret = link_open(self);
	if (ret == -ENODEV)
		SKIP(return, "no uio_ivshmem device");
	ASSERT_EQ(0, ret);
	ASSERT_NE(NULL, self->out);
	ASSERT_NE(NULL, self->in);
	ASSERT_LE(SYNC_SLOT * 2, self->out_size);
	ASSERT_LE(guests, self->dev.info.max_peers);
	self->base = calloc(self->nvec, sizeof(*self->base));
	self->cur = calloc(self->nvec, sizeof(*self->cur));
	ASSERT_NE(NULL, self->base);
	ASSERT_NE(NULL, self->cur);
	ASSERT_EQ(0, ivshmem_irq_control(&self->dev, 0));
}

FIXTURE_TEARDOWN(link)
{
	if (self->dev.regs)
		ivshmem_close(&self->dev);
	free(self->base);
	free(self->cur);
}

TEST_F_TIMEOUT(link, peer_ids, TEST_SECS)
{
	const char *index = getenv("VMTEST_INDEX");

	if (index)
		EXPECT_EQ(strtoul(index, NULL, 0), self->id);
	EXPECT_LT(self->id, guests);
	EXPECT_EQ(0, ivshmem_peer_state(&self->dev, self->id));
	ASSERT_TRUE(meet(self, STEP(1, 1)));
}

/* R/W section and own output section: written here, seen by the others */
TEST_F_TIMEOUT(link, shared_writes, TEST_SECS)
{
	uint32_t mine = PATTERN | self->id;
	unsigned int p;

	if (self->rw)
		ivshmem_write32(self->rw, 64 * self->id, mine);
	ivshmem_write32(self->out, 0, mine);
	ivshmem_write32(self->out, self->out_size - SYNC_SLOT - 4, ~mine);
	ASSERT_TRUE(meet(self, STEP(2, 1)));

	for (p = 0; p < guests; p++) {
		const void *po = (const char *)self->in + p * self->out_size;

		TH_LOG("peer %u", p);
		if (self->rw)
			EXPECT_EQ(PATTERN | p,
				  ivshmem_read32(self->rw, 64 * p));
		EXPECT_EQ(PATTERN | p, ivshmem_read32(po, 0));
		EXPECT_EQ(~(PATTERN | p),
			  ivshmem_read32(po, self->out_size - SYNC_SLOT - 4));
	}
	ASSERT_TRUE(meet(self, STEP(2, 2)));

	if (self->rw)
		ivshmem_write32(self->rw, 64 * self->id, 0);
	ivshmem_write32(self->out, 0, 0);
	ivshmem_write32(self->out, self->out_size - SYNC_SLOT - 4, 0);
	ASSERT_TRUE(meet(self, STEP(2, 3)));
}

/*
 * Every ordered pair of peers in turn: the ringer raises a vector on the
 * target, which must wake on exactly that vector, while every other peer
 * (the ringer included) stays asleep.
 */
TEST_F_TIMEOUT(link, doorbell_wakes_only_target, TEST_SECS)
{
	unsigned int r, t, v, round = 0;

	for (r = 0; r < guests; r++) {
		for (t = 0; t < guests; t++) {
			if (r == t)
				continue;
			v = (r + t) % self->nvec;
			TH_LOG("peer %u rings peer %u on vector %u", r, t, v);
			ASSERT_EQ(0, arm(self));
			ASSERT_TRUE(meet(self, STEP(3, 2 * round + 1)));
			if (self->id == r)
				ASSERT_EQ(0,
					  ivshmem_doorbell(&self->dev, t, v));
			if (self->id == t) {
				EXPECT_EQ(1, ivshmem_wait(&self->dev, must_ms(),
							  NULL));
				EXPECT_EQ(1, fired(self, v));
				EXPECT_EQ(1, fired_any(self));
			} else {
				EXPECT_EQ(0, ivshmem_wait(&self->dev,
							  quiet_ms(), NULL));
				EXPECT_EQ(0, fired_any(self));
			}
			ASSERT_TRUE(meet(self, STEP(3, 2 * round + 2)));
			round++;
		}
	}
}

/*
 * Peer 1 disarmed: peer 0's doorbell is dropped, not kept for later. Then
 * armed: it wakes. Then one-shot: a second doorbell before re-arming does
 * not wake, one after re-arming does.
 */
TEST_F_TIMEOUT(link, doorbell_arming_and_oneshot, TEST_SECS)
{
	unsigned int v = self->nvec - 1;
	bool ringer = self->id == 0, target = self->id == 1;

	/* disarmed */
	ASSERT_EQ(0, arm(self));
	ASSERT_EQ(0, ivshmem_irq_control(&self->dev, 0));
	ASSERT_TRUE(meet(self, STEP(4, 1)));
	if (ringer)
		ASSERT_EQ(0, ivshmem_doorbell(&self->dev, 1, v));
	if (target) {
		EXPECT_EQ(0, ivshmem_wait(&self->dev, quiet_ms(), NULL));
		EXPECT_EQ(0, fired(self, v));
	}
	ASSERT_TRUE(meet(self, STEP(4, 2)));

	/* arming later does not deliver the dropped doorbell */
	if (target) {
		ASSERT_EQ(0, ivshmem_irq_control(&self->dev, 1));
		EXPECT_EQ(0, ivshmem_wait(&self->dev, quiet_ms(), NULL));
		EXPECT_EQ(0, fired(self, v));
	}
	ASSERT_TRUE(meet(self, STEP(4, 3)));

	/* armed: one doorbell wakes, and the device disarms */
	if (ringer)
		ASSERT_EQ(0, ivshmem_doorbell(&self->dev, 1, v));
	if (target) {
		EXPECT_EQ(1, ivshmem_wait(&self->dev, must_ms(), NULL));
		EXPECT_EQ(1, fired(self, v));
		EXPECT_EQ(0, ivshmem_read32(self->dev.regs,
					    IVSHMEM_REG_INT_CTRL));
	}
	ASSERT_TRUE(meet(self, STEP(4, 4)));

	/* one-shot: the second doorbell before re-arming does not wake */
	if (ringer)
		ASSERT_EQ(0, ivshmem_doorbell(&self->dev, 1, v));
	if (target) {
		EXPECT_EQ(0, ivshmem_wait(&self->dev, quiet_ms(), NULL));
		EXPECT_EQ(1, fired(self, v));
	}
	ASSERT_TRUE(meet(self, STEP(4, 5)));

	/* re-armed: the next one wakes again */
	if (target)
		ASSERT_EQ(0, ivshmem_irq_control(&self->dev, 1));
	ASSERT_TRUE(meet(self, STEP(4, 6)));
	if (ringer)
		ASSERT_EQ(0, ivshmem_doorbell(&self->dev, 1, v));
	if (target) {
		EXPECT_EQ(1, ivshmem_wait(&self->dev, must_ms(), NULL));
		EXPECT_EQ(2, fired(self, v));
		EXPECT_EQ(1, fired_any(self));
	}
	ASSERT_TRUE(meet(self, STEP(4, 7)));
}

/* Peer 1 raises each of peer 0's vectors in turn: only that one moves */
TEST_F_TIMEOUT(link, vector_identification, TEST_SECS)
{
	unsigned int v, n = self->nvec < 16 ? self->nvec : 16;

	for (v = 0; v < n; v++) {
		TH_LOG("vector %u of %u", v, self->nvec);
		ASSERT_EQ(0, arm(self));
		ASSERT_TRUE(meet(self, STEP(5, 2 * v + 1)));
		if (self->id == 1)
			ASSERT_EQ(0, ivshmem_doorbell(&self->dev, 0, v));
		if (self->id == 0) {
			EXPECT_EQ(1, ivshmem_wait(&self->dev, must_ms(), NULL));
			EXPECT_EQ(1, fired(self, v));
			EXPECT_EQ(1, fired_any(self));
		}
		ASSERT_TRUE(meet(self, STEP(5, 2 * v + 2)));
	}
}

/* Peer 0 changes its state: every other peer wakes on vector 0 and sees it */
TEST_F_TIMEOUT(link, state_change_wakes_peers, TEST_SECS)
{
	unsigned int round;
	uint32_t want;

	for (round = 0; round < 2; round++) {
		want = round ? 0 : TEST_STATE;
		ASSERT_EQ(0, arm(self));
		ASSERT_TRUE(meet(self, STEP(6, 2 * round + 1)));
		if (self->id == 0) {
			ivshmem_set_state(&self->dev, want);
			EXPECT_EQ(want, ivshmem_peer_state(&self->dev, 0));
		} else {
			EXPECT_TRUE(wait_state(self, 0, want));
			EXPECT_LE(1, fired(self, 0));
			EXPECT_EQ(1, fired_any(self));
		}
		ASSERT_TRUE(meet(self, STEP(6, 2 * round + 2)));
	}

	/* writing the same state again is no change and wakes nobody */
	ASSERT_EQ(0, arm(self));
	ASSERT_TRUE(meet(self, STEP(6, 5)));
	if (self->id == 0)
		ivshmem_set_state(&self->dev, 0);
	else
		EXPECT_EQ(0, ivshmem_wait(&self->dev, quiet_ms(), NULL));
	ASSERT_TRUE(meet(self, STEP(6, 6)));
}

/* Peer 1 closes /dev/uioN (last close): the others see state 0 and wake */
TEST_F_TIMEOUT(link, close_seen_as_reset, TEST_SECS)
{
	bool closer = self->id == 1;
	unsigned int v;

	if (closer)
		ivshmem_set_state(&self->dev, CLOSE_STATE);
	ASSERT_TRUE(meet(self, STEP(7, 1)));
	EXPECT_EQ(CLOSE_STATE, ivshmem_peer_state(&self->dev, 1));
	ASSERT_EQ(0, arm(self));
	ASSERT_TRUE(meet(self, STEP(7, 2)));

	if (closer) {
		ivshmem_close(&self->dev);
		ASSERT_EQ(0, link_open(self));
	} else {
		EXPECT_TRUE(wait_state(self, 1, 0));
		EXPECT_LE(1, fired(self, 0));
		for (v = 1; v < self->nvec; v++)
			EXPECT_EQ(0, fired(self, v));
	}
	EXPECT_EQ(0, ivshmem_peer_state(&self->dev, 1));
	ASSERT_TRUE(meet(self, STEP(7, 3)));
}

/* Last test: nobody leaves the link while another guest still tests */
TEST_F_TIMEOUT(link, depart, TEST_SECS)
{
	ASSERT_TRUE(meet(self, STEP(8, 1)));
}

int main(int argc, char **argv)
{
	const char *count = getenv("VMTEST_COUNT");

	guests = count ? strtoul(count, NULL, 0) : 0;
	if (getenv("IVSHMEM_PEERS"))
		guests = strtoul(getenv("IVSHMEM_PEERS"), NULL, 0);
	return test_harness_run(argc, argv);
}
