// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_ivshmem_hostile: a hostile virtio console back-end for virtio over
 * IVSHMEM (protocol C003h) on uio_ivshmem. Session after session, it
 * registers with the front-end as a correct console back-end (RESET, fresh
 * header, READY), lets console bytes flow, then breaks the transport in one
 * way after the other while it keeps sending bytes, and resets again:
 *
 *   header      revision, size, device features, queue fields, device
 *               status (also NEEDS_RESET), config bytes and config
 *               generation rewritten while the device runs
 *   register    one bad answer while the front-end registers: bad
 *               revision or size, features without VERSION_1 or
 *               ACCESS_PLATFORM, an impossible queue, a bad device status,
 *               a write transaction acknowledged never, early or with
 *               garbage
 *   used        used->idx jumps, ids out of range, duplicate ids, lengths
 *               beyond the buffer
 *   event       used->flags, avail_event, avail->flags, used_event
 *   desc        descriptor flags (but VRING_DESC_F_NEXT), next, address
 *               and length
 *   doorbell    doorbells on random vectors
 *   state       own state flapping between READY, RESET and other values
 *   random      everything above mixed, plus seeded field mutations and
 *               random bytes anywhere in the R/W section
 *               (../../ivshmem_mutate.h)
 *
 * Mutations set queue_event or config_event; every few (-r) ring the
 * front-end's vector and wait until its interrupt handler cleared the event
 * (or 20 ms passed), so that the handler sees them.
 *
 * The front-end guest runs a reader that, for each console device, opens
 * the tty raw, waits for a "HELLO" line, answers "GO" and then reads until
 * the device goes away or a "FINAL" line arrives. Before each burst the
 * program checks that the front-end took console bytes again (it re-posted
 * a receive buffer): traffic resumed after the reset. At the end it serves
 * as a correct back-end that echoes "PING" lines until "DONE".
 *
 * Descriptor flags keep VRING_DESC_F_NEXT as the front-end wrote it unless
 * -x: virtio_ring (detach_buf_split() in Linux 6.1 and 6.12) follows NEXT
 * in the shared descriptor table when it frees a chain, and BUG()s when it
 * tears down a queue whose free count a longer walk inflated. The
 * transport stops such a walk (no hang, no stray copy) but cannot repair
 * virtio_ring's count; the debug kernel's virtio_ring, fixed by
 * tools/testing/ivshmem/kernel-patches/0002, walks with its own flags and
 * survives -x. See Documentation/virtio/ivshmem.rst.
 *
 * The front-end writes to the console only while this program behaves:
 * virtio_console waits for a transmitted buffer with interrupts disabled,
 * so a back-end that never completes one can stall a one-CPU front-end (a
 * liveness limit of virtio_console, not a transport bug).
 *
 * Usage: virtio_ivshmem_hostile [-d DEV] [-s SEED] [-n MUTATIONS]
 *                               [-b BURST] [-r N] [-t SECONDS] [-L] [-x]
 *                               [-v]
 * Exit 0 when every session came back and the final echo worked.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "../ivshmem_mutate.h"

#define VIRTIO_ID_CONSOLE	3
#define F_CONSOLE_SIZE		0
#define Q_RX			0	/* front-end receives */
#define Q_TX			1	/* front-end transmits */
#define NQ			2

#define VRING_DESC_F_NEXT	1
#define VRING_DESC_F_WRITE	2
#define VRING_DESC_F_INDIRECT	4

#define ACK_US			20000	/* wait for the handler at most */
#define IDLE_REG_MS		3000	/* a registration stalled */
#define FE_WRITE_TIMEOUT_MS	10000	/* VI_WRITE_TIMEOUT_MS of the driver */

enum kind {
	K_REVISION,
	K_SIZE,
	K_FEATURES,
	K_QUEUE,
	K_STATUS,
	K_CONFIG,
	K_GENERATION,
	K_WT_NEVER,
	K_WT_EARLY,
	K_WT_GARBAGE,
	K_USED_IDX,
	K_USED_ID,
	K_USED_DUP,
	K_USED_LEN,
	K_EVENT,
	K_DESC,
	K_DOORBELL,
	K_STATE,
	K_FIELD,
	K_BYTES,
	K_NR,
};

static const char * const kind_names[K_NR] = {
	"revision", "size", "features", "queue", "status", "config",
	"generation", "wt-never", "wt-early", "wt-garbage", "used-idx",
	"used-id", "used-dup", "used-len", "event", "desc", "doorbell",
	"state", "field", "bytes",
};

enum phase {
	PH_HEADER,
	PH_REGISTER,
	PH_USED,
	PH_EVENT,
	PH_DESC,
	PH_DOORBELL,
	PH_STATE,
	PH_RANDOM,
};

static const char * const phase_names[] = {
	"header", "register", "used", "event", "desc", "doorbell", "state",
	"random",
};

/* Mutations a phase draws from (register and state are separate) */
static const enum kind header_kinds[] = {
	K_REVISION, K_SIZE, K_FEATURES, K_QUEUE, K_STATUS, K_CONFIG,
	K_GENERATION, K_WT_GARBAGE,
};

/* after lengths: ids out of range first, duplicates (which desync) last */
static const enum kind used_kinds[] = {
	K_USED_ID, K_USED_IDX, K_USED_DUP,
};

static const enum kind random_kinds[] = {
	K_REVISION, K_SIZE, K_FEATURES, K_QUEUE, K_STATUS, K_CONFIG,
	K_GENERATION, K_WT_GARBAGE, K_USED_LEN, K_USED_IDX, K_USED_ID,
	K_USED_DUP, K_EVENT, K_DESC, K_DOORBELL, K_FIELD, K_FIELD, K_BYTES,
};

/* in this order: a short run still gets the status and early answers */
static const enum kind register_kinds[] = {
	K_STATUS, K_WT_EARLY, K_REVISION, K_QUEUE, K_WT_NEVER, K_FEATURES,
	K_SIZE, K_WT_GARBAGE,
};

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static struct vbe be = { .wait_fd = -1 };
static struct vbe *b = &be;
static struct mut_ctx mut;
static uint64_t seed = 1;
static unsigned long counts[K_NR];
static unsigned long total, target = 10000, burst = 1000;
static unsigned long acked, unacked, sessions, resumed, reg_failed;
static unsigned long released;	/* stalled transmits released */
static unsigned int ring_every = 4, unrung;
static unsigned int reg_next;	/* next register kind, structured phase */
static int timeout_ms = 60000;
static bool long_hold;		/* -L: one write held past the timeout */

/* The session's answer mutation while the front-end registers */
static enum kind armed = K_NR;
static unsigned int armed_at;	/* write transaction number */
static unsigned int writes;	/* write transactions this session */
static uint64_t last_write_ms;
static bool abort_session;
static uint32_t dropped_off;	/* a write we did not apply, 0: none */
static uint64_t dropped_ms;	/* when */

/* Console bytes for the front-end and lines from it */
static uint8_t rxq[4096];
static size_t rxq_len, rxq_pos;
static char line[160];
static size_t line_len;
static bool got_go, got_done, echo;
static unsigned long lines_sent, pings, tx_bytes;
static uint16_t last_head[NQ];	/* last completed head, for duplicates */

/* Fields of the R/W section for the "field" mutations: header and rings */
enum {
	F_REV, F_SIZE, F_WT, F_DFEAT, F_DFSEL, F_QSEL, F_QSIZE, F_QDVEC,
	F_QEN, F_QDESC, F_QDRV, F_QDEV, F_CEV, F_QEV, F_STATUS, F_GEN, F_CFG,
	F_USED_FLAGS, F_USED_IDX, F_USED_ID, F_USED_LEN, F_AVAIL_EVENT,
	F_DESC_ADDR, F_DESC_LEN, F_DESC_NEXT, F_NR,
};

static struct mut_field fields[F_NR] = {
	[F_REV] = { "revision", VBE_H_REVISION, 4, 1, 0 },
	[F_SIZE] = { "size", VBE_H_SIZE, 4, 1, 0 },
	[F_WT] = { "write_transaction", VBE_H_WRITE_TRANSACTION, 4, 1, 0 },
	[F_DFEAT] = { "device_features", VBE_H_DEVICE_FEATURES, 4, 1, 0 },
	[F_DFSEL] = { "device_features_sel", VBE_H_DEVICE_FEATURES_SEL, 4,
		      1, 0 },
	[F_QSEL] = { "queue_sel", VBE_H_QUEUE_SEL, 4, 1, 0 },
	[F_QSIZE] = { "queue_size", VBE_H_QUEUE_SIZE, 2, 1, 0 },
	[F_QDVEC] = { "queue_device_vector", VBE_H_QUEUE_DEVICE_VECTOR, 2,
		      1, 0 },
	[F_QEN] = { "queue_enable", VBE_H_QUEUE_ENABLE, 2, 1, 0 },
	[F_QDESC] = { "queue_desc", VBE_H_QUEUE_DESC, 8, 1, 0 },
	[F_QDRV] = { "queue_driver", VBE_H_QUEUE_DRIVER, 8, 1, 0 },
	[F_QDEV] = { "queue_device", VBE_H_QUEUE_DEVICE, 8, 1, 0 },
	[F_CEV] = { "config_event", VBE_H_CONFIG_EVENT, 1, 1, 0 },
	[F_QEV] = { "queue_event", VBE_H_QUEUE_EVENT, 1, 1, 0 },
	[F_STATUS] = { "device_status", VBE_H_DEVICE_STATUS, 4, 1, 0 },
	[F_GEN] = { "config_generation", VBE_H_CONFIG_GENERATION, 4, 1, 0 },
	[F_CFG] = { "config", VBE_H_CONFIG, 1, 12, 1 },
	/* ring fields: offsets filled in per session (fields_for_rings) */
	[F_USED_FLAGS] = { "used_flags", 0, 2, 1, 0 },
	[F_USED_IDX] = { "used_idx", 0, 2, 1, 0 },
	[F_USED_ID] = { "used_id", 0, 4, 1, 8 },
	[F_USED_LEN] = { "used_len", 0, 4, 1, 8 },
	[F_AVAIL_EVENT] = { "avail_event", 0, 2, 1, 0 },
	[F_DESC_ADDR] = { "desc_addr", 0, 8, 1, 16 },
	[F_DESC_LEN] = { "desc_len", 0, 4, 1, 16 },
	[F_DESC_NEXT] = { "desc_next", 0, 2, 1, 16 },
};

static uint64_t specials[8];

/*
 * The front-end's descriptor tables as of the last GO: random bytes keep
 * VRING_DESC_F_NEXT as virtio_ring wrote it (clear, the console's chains
 * have one descriptor) unless -x.
 */
static uint64_t desc_at[NQ];
static uint16_t desc_num[NQ];
static bool set_next;		/* -x */

/* ---- helpers ---- */

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static uint64_t now_ms(void)
{
	return now_us() / 1000;
}

static uint64_t rnd(void)
{
	return mut_rand(&mut);
}

static uint64_t below(uint64_t n)
{
	return mut_below(&mut, n);
}

static void fence(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static uint32_t peer_state(void)
{
	return ivshmem_peer_state(&b->dev, b->peer);
}

/* Waits up to @ms for an interrupt of the front-end */
static void wait_irq(int ms)
{
	struct pollfd pfd = { .fd = b->dev.fd, .events = POLLIN };
	uint32_t n;

	ivshmem_irq_control(&b->dev, 1);
	if (poll(&pfd, 1, ms) > 0 && (pfd.revents & POLLIN))
		if (read(b->dev.fd, &n, sizeof(n)) < 0)
			return;
}

static bool queues_up(void)
{
	return (b->status & VBE_S_DRIVER_OK) &&
	       !(b->status & VBE_S_NEEDS_RESET) &&
	       b->q[Q_RX].enabled && b->q[Q_TX].enabled;
}

/* The vector and event byte that make the front-end look at queue @qi */
static unsigned int queue_vector(unsigned int qi)
{
	return b->q[qi].driver_vector;
}

static uint64_t event_for(unsigned int vector)
{
	/* vector 0 handles the queues only when it is the only one */
	if (vector == 0 && b->vectors > 1)
		return VBE_H_CONFIG_EVENT;
	return VBE_H_QUEUE_EVENT;
}

/*
 * Rings the front-end's @vector with its event byte set, then waits until
 * the interrupt handler cleared it: the front-end saw the mutation.
 */
static void ring_ack(unsigned int vector)
{
	uint64_t ev = event_for(vector), end;

	vbe_wr8(b, ev, 1);
	/* the mutation and the event before the doorbell */
	fence();
	ivshmem_doorbell(&b->dev, b->peer, vector);
	end = now_us() + ACK_US;
	while (vbe_rd8(b, ev)) {
		if (now_us() > end) {
			unacked++;
			return;
		}
		usleep(20);
	}
	acked++;
}

/*
 * Marks the mutation for the front-end's @vector; every ring_every-th
 * mutation rings it and waits for the handler.
 */
static void kick(unsigned int vector)
{
	vbe_wr8(b, event_for(vector), 1);
	if (++unrung < ring_every)
		return;
	unrung = 0;
	ring_ack(vector);
}

static void count(enum kind k)
{
	counts[k]++;
	total++;
}

/* ---- the console device, behaving ---- */

static void rx_queue(const char *s)
{
	size_t n = strlen(s);

	if (rxq_pos == rxq_len) {
		rxq_pos = 0;
		rxq_len = 0;
	}
	if (n > sizeof(rxq) - rxq_len)
		return;
	memcpy(rxq + rxq_len, s, n);
	rxq_len += n;
}

static void on_line(void)
{
	line[line_len] = 0;
	if (!strncmp(line, "GO", 2))
		got_go = true;
	else if (!strncmp(line, "DONE", 4))
		got_done = true;
	if (echo && !strncmp(line, "PING", 4)) {
		rx_queue(line);
		rx_queue("\n");
		pings++;
	}
	line_len = 0;
}

static void on_tx(const uint8_t *p, uint32_t n)
{
	uint32_t i;

	tx_bytes += n;
	for (i = 0; i < n; i++) {
		if (p[i] == '\n' || p[i] == '\r') {
			if (line_len)
				on_line();
		} else if (line_len < sizeof(line) - 1) {
			line[line_len++] = p[i];
		}
	}
}

/* A transmitted chain (vbe_serve_out()): its bytes are taken as lines */
static void tx_chain(struct vbe *vb, uint16_t head,
		     const struct vbe_seg *segs, int n)
{
	static uint8_t copy[4096];
	uint32_t c;
	int i;

	for (i = 0; i < n; i++) {
		if (segs[i].writable)
			break;
		c = segs[i].len;
		if (c > sizeof(copy))
			c = sizeof(copy);
		/* copy out before use: the front-end may change it */
		memcpy(copy, vb->shm + segs[i].off, c);
		on_tx(copy, c);
	}
	last_head[Q_TX] = head;
}

/* Fills receive buffers from rxq; @len_extra inflates the used length */
static bool serve_rx(uint32_t len_extra)
{
	struct vbe_queue *q = &b->q[Q_RX];
	struct vbe_seg segs[VBE_MAX_QUEUE_SIZE];
	bool did = false;
	uint16_t head;
	uint32_t c;
	int pending, n;

	while (rxq_pos < rxq_len) {
		pending = vbe_pending(b, q);
		if (pending < 0) {
			vbe_needs_reset(b, "receive avail index");
			break;
		}
		if (!pending)
			break;
		n = vbe_pop(b, q, segs, VBE_MAX_QUEUE_SIZE, &head);
		if (n < 0) {
			vbe_needs_reset(b, "receive avail entry");
			break;
		}
		if (n && !segs[0].writable)
			n = 0;
		c = vbe_copy_to(b, segs, n, 0, rxq + rxq_pos,
				rxq_len - rxq_pos);
		rxq_pos += c;
		if (!c)
			rxq_pos = rxq_len;	/* a bad buffer: drop */
		vbe_push(b, q, head, c + len_extra);
		last_head[Q_RX] = head;
		did = true;
		if (len_extra)
			break;
	}
	vbe_notify(b, q);
	return did;
}

/* ---- write transactions, with the armed bad answer ---- */

static void ack_write(void)
{
	/* our answer before the acknowledgment */
	fence();
	vbe_wr32(b, VBE_H_WRITE_TRANSACTION, 0);
}

static uint64_t offered(void)
{
	return (1ULL << F_CONSOLE_SIZE) | (1ULL << VIRTIO_F_VERSION_1) |
	       (1ULL << VIRTIO_F_ACCESS_PLATFORM) |
	       (1ULL << VIRTIO_F_ORDER_PLATFORM);
}

/* Features without VERSION_1 or ACCESS_PLATFORM, maybe harmless extras */
static uint32_t bad_features(uint32_t sel)
{
	uint64_t f = offered();

	switch (below(3)) {
	case 0:
		f &= ~(1ULL << VIRTIO_F_VERSION_1);
		break;
	case 1:
		f &= ~(1ULL << VIRTIO_F_ACCESS_PLATFORM);
		break;
	default:
		f = 0;
		break;
	}
	if (below(2))
		f |= rnd() & 0xfff0000000000000ULL;	/* unknown bits */
	return sel == 0 ? (uint32_t)f : sel == 1 ? (uint32_t)(f >> 32) : 0;
}

/* A queue the front-end must refuse */
static void bad_queue(void)
{
	static const uint16_t sizes[] = { 3, 6, 100, 0x8001, 0xffff };

	switch (below(3)) {
	case 0:
		vbe_wr16(b, VBE_H_QUEUE_SIZE, sizes[below(ARRAY_SIZE(sizes))]);
		break;
	case 1:
		vbe_wr16(b, VBE_H_QUEUE_SIZE, b->qsize);
		vbe_wr16(b, VBE_H_QUEUE_DEVICE_VECTOR,
			 below(2) ? 0xffff : b->vectors + below(64));
		break;
	default:
		vbe_wr16(b, VBE_H_QUEUE_SIZE, b->qsize);
		vbe_wr16(b, VBE_H_QUEUE_DEVICE_VECTOR, 0);
		vbe_wr16(b, VBE_H_QUEUE_ENABLE, 1);
		break;
	}
}

static void bad_status(void)
{
	static unsigned int n;
	uint32_t v = vbe_rd32(b, VBE_H_DEVICE_STATUS) & 0xff;

	switch (n++ % 4) {
	case 0:
		v |= VBE_S_DRIVER_OK;		/* before the driver set it */
		break;
	case 1:
		v &= ~VBE_S_FEATURES_OK;	/* refuses the features */
		break;
	case 2:
		v |= VBE_S_NEEDS_RESET;
		break;
	default:
		v = rnd();
		break;
	}
	vbe_wr32(b, VBE_H_DEVICE_STATUS, v);
}

/* Holds the front-end's write until it gave up waiting for it */
static void hold_write(void)
{
	uint64_t end = now_ms() + FE_WRITE_TIMEOUT_MS + 2000;

	printf("# holding write transaction 0x%x for %d ms\n",
	       vbe_rd32(b, VBE_H_WRITE_TRANSACTION),
	       FE_WRITE_TIMEOUT_MS + 2000);
	fflush(stdout);
	while (now_ms() < end && peer_state() == VBE_STATE_READY)
		usleep(10000);
	long_hold = false;
}

/*
 * We acknowledged the front-end's write to @off without applying it: our
 * copy of the field keeps its default, and the session may never work (see
 * wait_go()).
 */
static void dropped(uint32_t off)
{
	dropped_off = off;
	dropped_ms = now_ms();
}

/* Applies the armed bad answer to write transaction @off; true if it did */
static bool bad_answer(uint32_t off)
{
	uint32_t sel;

	switch (armed) {
	case K_FEATURES:
		if (off != VBE_H_DEVICE_FEATURES_SEL)
			return false;
		sel = vbe_rd32(b, VBE_H_DEVICE_FEATURES_SEL);
		vbe_wr32(b, VBE_H_DEVICE_FEATURES, bad_features(sel));
		ack_write();
		break;
	case K_QUEUE:
		if (off != VBE_H_QUEUE_SEL)
			return false;
		bad_queue();
		ack_write();
		break;
	case K_STATUS:
		if (off != VBE_H_DEVICE_STATUS)
			return false;
		bad_status();
		ack_write();
		break;
	case K_WT_NEVER:
		/* never acknowledged: the front-end waits, then we leave */
		if (long_hold)
			hold_write();
		else
			usleep(1000 * (1 + below(20)));
		abort_session = true;
		break;
	case K_WT_EARLY:
		/* acknowledged, never applied */
		vbe_wr32(b, VBE_H_WRITE_TRANSACTION, 0);
		dropped(off);
		break;
	case K_WT_GARBAGE:
		/* garbage instead of 0 for a while, then a garbage apply */
		vbe_wr32(b, VBE_H_WRITE_TRANSACTION,
			 0x10000 | (uint32_t)rnd());
		usleep(1000 * (1 + below(5)));
		vbe_serve_write(b);
		dropped(off);
		break;
	default:
		return false;
	}
	count(armed);
	armed = K_NR;
	return true;
}

static void serve_write(void)
{
	uint32_t off = vbe_rd32(b, VBE_H_WRITE_TRANSACTION);

	if (!off)
		return;
	last_write_ms = now_ms();
	if (armed != K_NR && writes++ >= armed_at && bad_answer(off))
		return;
	vbe_serve_write(b);
}

/* One round of a correct back-end; true if it did something */
static bool serve(void)
{
	bool did = false;

	if (vbe_rd32(b, VBE_H_WRITE_TRANSACTION)) {
		serve_write();
		did = true;
	}
	if (queues_up()) {
		did |= serve_rx(0);
		did |= vbe_serve_out(b, &b->q[Q_TX], VBE_MAX_QUEUE_SIZE,
				     tx_chain);
	}
	return did;
}

/* Serves until @done() or @ms passed; returns @done() */
static bool serve_until(bool (*done)(void), int ms)
{
	uint64_t end = now_ms() + ms;

	while (!done()) {
		if (abort_session || now_ms() > end)
			return false;
		if (!serve())
			wait_irq(5);
	}
	return true;
}

/* ---- sessions ---- */

static bool fe_reset(void)
{
	return peer_state() != VBE_STATE_READY;
}

static bool wait_peer(bool (*cond)(void), int ms)
{
	uint64_t end = now_ms() + ms;

	while (!cond()) {
		if (now_ms() > end)
			return false;
		wait_irq(10);
	}
	return true;
}

/*
 * virtio_console waits for each transmitted buffer with interrupts off
 * (see "Limits" in Documentation/virtio/ivshmem.rst): a one-CPU front-end
 * that sent one just before we stopped serving spins until the buffer is
 * used or the queue is broken, and never sees our RESET. Publish a used
 * entry with an id out of range, which breaks the transmit queue and ends
 * the wait, as a crashing device might.
 */
static void release_stalled_tx(void)
{
	const struct vbe_queue *q = &b->q[Q_TX];
	uint16_t idx;

	if (!q->enabled || !q->size)
		return;
	idx = vbe_rd16(b, q->used + 2);
	vbe_wr32(b, q->used + 4 + 8 * (idx & (q->size - 1)), q->size);
	vbe_wr32(b, q->used + 8 + 8 * (idx & (q->size - 1)), 0);
	/* the entry before the index that shows it to the front-end */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	vbe_wr16(b, q->used + 2, idx + 1);
	released++;
}

/* RESET, wait for the front-end to follow, fresh header, READY */
static int start_session(void)
{
	uint64_t end = now_ms() + timeout_ms;

	ivshmem_set_state(&b->dev, VBE_STATE_RESET);
	while (!wait_peer(fe_reset, 2000) && now_ms() < end)
		release_stalled_tx();
	if (!fe_reset()) {
		printf("# front-end did not leave READY within %d ms\n",
		       timeout_ms);
		return -1;
	}
	memset(b->q, 0, sizeof(b->q));
	vbe_write_header(b);
	rxq_pos = 0;
	rxq_len = 0;
	line_len = 0;
	got_go = false;
	writes = 0;
	abort_session = false;
	dropped_off = 0;
	last_write_ms = now_ms();
	if (armed == K_REVISION) {
		vbe_wr32(b, VBE_H_REVISION, below(2) ? 0 : 2 + (uint32_t)rnd());
		count(armed);
		armed = K_NR;
	} else if (armed == K_SIZE) {
		static const uint32_t sizes[] = { 0, 4, 0x4b, 0xffffffff };

		vbe_wr32(b, VBE_H_SIZE, below(2) ?
			 sizes[below(ARRAY_SIZE(sizes))] :
			 b->shm_size / 2 + 1 + below(b->shm_size));
		count(armed);
		armed = K_NR;
	}
	ivshmem_set_state(&b->dev, VBE_STATE_READY);
	sessions++;
	return 0;
}

/*
 * Where a session that got no console stopped: each queue as we see it,
 * what of HELLO is still to go out, the partial line we have read and the
 * write we dropped, if any.
 */
static void report_queues(void)
{
	static const char *const names[] = { "receive", "transmit" };
	unsigned int qi;

	for (qi = 0; qi < ARRAY_SIZE(names); qi++) {
		const struct vbe_queue *q = &b->q[qi];

		printf("#   %s queue: %s, size %u, avail index %u, ",
		       names[qi], q->enabled ? "enabled" : "disabled",
		       q->size, q->enabled ? vbe_rd16(b, q->avail + 2) : 0);
		printf("next avail %u, used %u (published %u), ",
		       q->last_avail, q->used_idx, q->used_published);
		printf("we ring vector %u\n", q->driver_vector);
	}
	printf("#   bytes to send %zu of %zu, partial line of %zu bytes\n",
	       rxq_len - rxq_pos, rxq_len, line_len);
	if (dropped_off)
		printf("#   write to 0x%x dropped %llu ms ago\n", dropped_off,
		       (unsigned long long)(now_ms() - dropped_ms));
}

/*
 * Serves the front-end's registration and says HELLO until it answers GO.
 * Returns 0 on GO, 1 if the registration failed (after a bad answer: no
 * write transaction for IDLE_REG_MS and no queues we can serve, the
 * front-end writes nothing before HELLO; or no GO within a quarter of the
 * timeout after we dropped a write), -1 on timeout.
 *
 * A dropped write can leave the session dead with the queues up: without
 * queue_driver_vector we ring vector 0 for the receive queue, which a
 * front-end with a vector per queue rightly takes for config events only,
 * so HELLO never reaches the console's reader. That is our doing, not the
 * front-end's: give the session up and start the next one.
 */
static int wait_go(bool expect_failure)
{
	uint64_t end = now_ms() + timeout_ms, hello = 0;
	char s[64];

	while (!got_go) {
		if (abort_session)
			return 1;
		if (now_ms() > end)
			return -1;
		/* no more writes, and no console we can serve */
		if (expect_failure && !queues_up() &&
		    now_ms() - last_write_ms > IDLE_REG_MS)
			return 1;
		if (expect_failure && dropped_off &&
		    now_ms() - dropped_ms > (uint64_t)timeout_ms / 4) {
			printf("# session %lu: no GO after a dropped write\n",
			       sessions);
			report_queues();
			return 1;
		}
		if (queues_up() && now_ms() > hello) {
			/* twice: sed reads a line ahead before it acts */
			snprintf(s, sizeof(s), "HELLO %lu\nHELLO %lu\n",
				 sessions, sessions);
			rx_queue(s);
			hello = now_ms() + 2000;
		}
		if (!serve())
			wait_irq(5);
	}
	return 0;
}

static uint16_t rx_avail_idx(void)
{
	return vbe_rd16(b, b->q[Q_RX].avail + 2);
}

static uint16_t traffic_mark;

static bool traffic_moved(void)
{
	return (uint16_t)(rx_avail_idx() - traffic_mark) > 0 &&
	       rxq_pos == rxq_len;
}

static void send_lines(unsigned int n)
{
	char s[96];

	while (n--) {
		snprintf(s, sizeof(s),
			 "T %lu %lu console bytes from the hostile back-end\n",
			 sessions, lines_sent++);
		rx_queue(s);
	}
}

/* Console bytes reach the front-end, which takes them and re-posts */
static bool traffic_resumes(void)
{
	if (!queues_up())
		return false;
	traffic_mark = rx_avail_idx();
	send_lines(4);
	if (!serve_until(traffic_moved, timeout_ms))
		return false;
	resumed++;
	desc_at[Q_RX] = b->q[Q_RX].desc;
	desc_num[Q_RX] = b->q[Q_RX].size;
	desc_at[Q_TX] = b->q[Q_TX].desc;
	desc_num[Q_TX] = b->q[Q_TX].size;
	return true;
}

/* Is @off the low byte of a descriptor's flags, the one with NEXT? */
static bool desc_flags_byte(uint64_t off)
{
	unsigned int qi;

	for (qi = 0; qi < NQ; qi++)
		if (off >= desc_at[qi] &&
		    off < desc_at[qi] + 16 * desc_num[qi] &&
		    (off - desc_at[qi]) % 16 == 12)
			return true;
	return false;
}

/* 1..64 random bytes anywhere in the section */
static void random_bytes(void)
{
	uint64_t n = 1 + below(64), at, i;
	uint8_t v;

	at = below(b->shm_size - n + 1);
	for (i = 0; i < n; i++) {
		v = rnd();
		if (!set_next && desc_flags_byte(at + i))
			v &= ~VRING_DESC_F_NEXT;
		vbe_wr8(b, at + i, v);
	}
}

/* Points the ring fields of the field mutations at queue @qi */
static void fields_for_rings(unsigned int qi)
{
	const struct vbe_queue *q = &b->q[qi];

	fields[F_USED_FLAGS].off = q->used;
	fields[F_USED_IDX].off = q->used + 2;
	fields[F_USED_ID].off = q->used + 4;
	fields[F_USED_ID].count = q->size;
	fields[F_USED_LEN].off = q->used + 8;
	fields[F_USED_LEN].count = q->size;
	fields[F_AVAIL_EVENT].off = q->used + 4 + 8 * q->size;
	fields[F_DESC_ADDR].off = q->desc;
	fields[F_DESC_ADDR].count = q->size;
	fields[F_DESC_LEN].off = q->desc + 8;
	fields[F_DESC_LEN].count = q->size;
	fields[F_DESC_NEXT].off = q->desc + 14;
	fields[F_DESC_NEXT].count = q->size;
	specials[0] = q->size;
	specials[1] = b->shm_size;
	specials[2] = b->vectors;
	specials[3] = VBE_H_CONFIG + 12;
	specials[4] = q->desc;
	specials[5] = q->used;
	specials[6] = VRING_DESC_F_NEXT | VRING_DESC_F_WRITE;
	specials[7] = 0x8000;
}

/* ---- mutations while the device runs ---- */

/* A used entry with @id and @len, published, for queue @qi */
static void push_used(unsigned int qi, uint32_t id, uint32_t len)
{
	struct vbe_queue *q = &b->q[qi];

	vbe_push(b, q, id, len);
	kick(queue_vector(qi));
}

static void mutate(enum kind k)
{
	unsigned int qi = below(NQ), v;
	struct vbe_queue *q = &b->q[qi];
	uint64_t off;

	switch (k) {
	case K_REVISION:
		vbe_wr32(b, VBE_H_REVISION, rnd());
		kick(0);
		break;
	case K_SIZE:
		vbe_wr32(b, VBE_H_SIZE, rnd());
		kick(0);
		break;
	case K_FEATURES:
		vbe_wr32(b, VBE_H_DEVICE_FEATURES, rnd());
		kick(0);
		break;
	case K_QUEUE:
		off = VBE_H_QUEUE_SIZE + 2 * below(4);
		vbe_wr16(b, off, rnd());
		if (below(2))
			vbe_wr64(b, VBE_H_QUEUE_DESC + 8 * below(3), rnd());
		kick(0);
		break;
	case K_STATUS:
		v = below(2) ? VBE_S_NEEDS_RESET | (b->status & 0xff) :
		    (uint32_t)rnd();
		vbe_wr32(b, VBE_H_DEVICE_STATUS, v);
		vbe_wr8(b, VBE_H_CONFIG_EVENT, 1);
		kick(0);
		break;
	case K_CONFIG:
		vbe_wr16(b, VBE_H_CONFIG + 2 * below(6), rnd());
		vbe_wr8(b, VBE_H_CONFIG_EVENT, 1);
		kick(0);
		break;
	case K_GENERATION:
		vbe_wr32(b, VBE_H_CONFIG_GENERATION, rnd());
		vbe_wr8(b, VBE_H_CONFIG_EVENT, 1);
		kick(0);
		break;
	case K_WT_GARBAGE:
		/* no write is pending: garbage the front-end may wait on */
		vbe_wr32(b, VBE_H_WRITE_TRANSACTION,
			 0x10000 | (uint32_t)rnd());
		ring_ack(0);
		vbe_wr32(b, VBE_H_WRITE_TRANSACTION, 0);
		break;
	case K_USED_IDX:
		vbe_wr16(b, q->used + 2, q->used_idx + 1 + below(0xfffe));
		kick(queue_vector(qi));
		break;
	case K_USED_ID:
		push_used(qi, q->size + below(0x10000), rnd());
		break;
	case K_USED_DUP:
		push_used(qi, last_head[qi], below(2) ? 0 : rnd());
		break;
	case K_USED_LEN:
		/* a real completion whose length exceeds the buffer */
		send_lines(1);
		if (!serve_rx(1 + below(0x7fffffff)))
			vbe_wr32(b, b->q[Q_RX].used + 4 + 8 *
				 ((b->q[Q_RX].used_idx - 1) &
				  (b->q[Q_RX].size - 1)) + 4, rnd());
		kick(queue_vector(Q_RX));
		break;
	case K_EVENT:
		switch (below(4)) {
		case 0:
			vbe_wr16(b, q->used, rnd());
			break;
		case 1:
			vbe_wr16(b, q->used + 4 + 8 * q->size, rnd());
			break;
		case 2:
			vbe_wr16(b, q->avail, rnd());
			break;
		default:
			vbe_wr16(b, q->avail + 4 + 2 * q->size, rnd());
			break;
		}
		kick(queue_vector(qi));
		break;
	case K_DESC:
		off = q->desc + 16 * below(q->size);
		switch (below(4)) {
		case 0:
			/* NEXT: see desc_at */
			v = VRING_DESC_F_WRITE | VRING_DESC_F_INDIRECT;
			if (below(2))
				v = (uint16_t)rnd();
			if (set_next)
				v |= VRING_DESC_F_NEXT;
			else
				v &= ~VRING_DESC_F_NEXT;
			vbe_wr16(b, off + 12, v);
			break;
		case 1:
			vbe_wr16(b, off + 14, below(2) ? below(q->size) :
				 rnd());
			break;
		case 2:
			vbe_wr64(b, off, below(2) ? rnd() :
				 b->shm_size - below(64));
			break;
		default:
			vbe_wr32(b, off + 8, rnd());
			break;
		}
		/* the front-end walks the chain when a buffer completes */
		send_lines(1);
		serve_rx(0);
		kick(queue_vector(qi));
		break;
	case K_DOORBELL:
		v = below(b->vectors + 2);
		if (v < b->vectors) {
			ring_ack(v);
		} else {
			fence();
			ivshmem_doorbell(&b->dev, b->peer, v);
		}
		break;
	case K_FIELD:
		fields_for_rings(qi);
		mut_field_op(&mut, &fields[below(F_NR)]);
		kick(below(2) ? 0 : queue_vector(qi));
		break;
	case K_BYTES:
		random_bytes();
		kick(below(b->vectors));
		break;
	default:
		return;
	}
	count(k);
}

/* READY -> other states -> READY, while serving the front-end */
static void flap(void)
{
	static const uint32_t states[] = { VBE_STATE_RESET, 2, 3, 0xff,
					   0x80000001, 0xffffffff };
	uint32_t s = below(2) ? states[below(ARRAY_SIZE(states))] :
		     (uint32_t)rnd();
	uint64_t end;

	ivshmem_set_state(&b->dev, s);
	end = now_us() + below(20000);
	while (now_us() < end)
		if (!serve())
			usleep(100);
	ivshmem_set_state(&b->dev, VBE_STATE_READY);
	end = now_us() + below(20000);
	while (now_us() < end)
		if (!serve())
			usleep(100);
	count(K_STATE);
}

/* Mutation @i of @n in phase @ph */
static enum kind pick(enum phase ph, unsigned long i, unsigned long n)
{
	switch (ph) {
	case PH_HEADER:
		return header_kinds[below(ARRAY_SIZE(header_kinds))];
	case PH_USED:
		if (i < n * 6 / 10)
			return K_USED_LEN;
		return used_kinds[(i - n * 6 / 10) % ARRAY_SIZE(used_kinds)];
	case PH_EVENT:
		return K_EVENT;
	case PH_DESC:
		return K_DESC;
	case PH_DOORBELL:
		return K_DOORBELL;
	default:
		return random_kinds[below(ARRAY_SIZE(random_kinds))];
	}
}

/* @n mutations of phase @ph, with console bytes and service in between */
static void run_burst(enum phase ph, unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n && total < target; i++) {
		if (ph == PH_STATE) {
			flap();
			continue;
		}
		if (i % 16 == 0)
			send_lines(1);
		serve();
		if (queues_up())
			mutate(pick(ph, i, n));
		else
			mutate(below(2) ? K_BYTES : K_DOORBELL);
	}
}

/*
 * One session: register (maybe with a bad answer), traffic, @n mutations.
 * A bad answer comes at a random write transaction, early enough for its
 * kind: registering writes the feature selector first (about 8 writes),
 * the status at 3, 4, 5 and 12, the queues from 13 on, about 27 in all.
 */
static int run_session(enum phase ph, unsigned long n)
{
	int ret;

	if (ph == PH_REGISTER) {
		armed = register_kinds[reg_next++ % ARRAY_SIZE(register_kinds)];
		armed_at = below(armed == K_FEATURES ? 8 :
				 armed == K_STATUS || armed == K_QUEUE ? 13 :
				 24);
	}
	if (start_session())
		return -1;
	ret = wait_go(ph == PH_REGISTER);
	if (ret > 0) {
		reg_failed++;
		armed = K_NR;
		return 0;
	}
	armed = K_NR;
	if (ret < 0) {
		printf("# %s session %lu: no console (status 0x%x) in %d ms\n",
		       phase_names[ph], sessions, b->status, timeout_ms);
		report_queues();
		return -1;
	}
	if (!traffic_resumes()) {
		printf("# %s session %lu: console bytes not taken in %d ms\n",
		       phase_names[ph], sessions, timeout_ms);
		return -1;
	}
	if (ph == PH_REGISTER)
		return 0;
	run_burst(ph, ph == PH_STATE ? n / 8 + 1 : n);
	return 0;
}

/* Behaves, says FINAL and echoes PING lines until DONE */
static int final_session(void)
{
	uint64_t end;

	if (start_session())
		return -1;
	if (wait_go(false)) {
		printf("# final session: no console within %d ms\n",
		       timeout_ms);
		return -1;
	}
	if (!traffic_resumes()) {
		printf("# final session: console bytes not taken\n");
		return -1;
	}
	echo = true;
	got_done = false;
	tx_bytes = 0;
	rx_queue("FINAL\nFINAL\n");
	end = now_ms() + timeout_ms;
	while (!got_done && now_ms() < end)
		if (!serve())
			wait_irq(5);
	if (!got_done || !pings) {
		printf("# final: %lu PING(s) echoed, %s, %lu bytes in\n",
		       pings, got_done ? "DONE" : "no DONE", tx_bytes);
		printf("# status 0x%x, queues %d %d, avail %u/%u %u/%u\n",
		       b->status, b->q[Q_RX].enabled, b->q[Q_TX].enabled,
		       vbe_rd16(b, b->q[Q_RX].avail + 2),
		       b->q[Q_RX].last_avail,
		       vbe_rd16(b, b->q[Q_TX].avail + 2),
		       b->q[Q_TX].last_avail);
		return -1;
	}
	return 0;
}

static void report(uint64_t t0)
{
	unsigned int k;
	uint64_t ms = now_ms() - t0;

	printf("# seed %llu: %lu mutations in %lu sessions, %llu ms",
	       (unsigned long long)seed, total, sessions,
	       (unsigned long long)ms);
	if (total)
		printf(" (%llu ms per 100000)",
		       (unsigned long long)(ms * 100000 / total));
	printf("\n# per kind:");
	for (k = 0; k < K_NR; k++)
		printf(" %s %lu", kind_names[k], counts[k]);
	printf("\n# handler saw %lu doorbells, %lu not within %d ms\n", acked,
	       unacked, ACK_US / 1000);
	printf("# traffic resumed after %lu resets, %lu registrations failed\n",
	       resumed, reg_failed);
	printf("# %lu stalled transmits released\n", released);
	printf("# %lu lines sent, %lu bad requests seen\n", lines_sent,
	       b->bad_requests);
	mut_report(&mut, "field mutations");
}

static void print_usage(void)
{
	fprintf(stderr,
		"usage: virtio_ivshmem_hostile [-d DEV] [-s SEED] [-n MUTATIONS] [-b BURST]\n"
		"                              [-r N] [-t SECONDS] [-L] [-x] [-v]\n"
		"  -d DEV        uio_ivshmem device (default protocol=0xc003)\n"
		"  -s SEED       seed of the mutations (default 1)\n"
		"  -n MUTATIONS  how many (default 10000)\n"
		"  -b BURST      mutations per session (default 1000)\n"
		"  -r N          ring the front-end after every N mutations\n"
		"                and wait for its handler (default 4)\n"
		"  -t SECONDS    how long the front-end may take to come back\n"
		"                (default 60)\n"
		"  -L            hold one write transaction past the front-end's\n"
		"                timeout (%d ms)\n"
		"  -x            also set VRING_DESC_F_NEXT in descriptors: the\n"
		"                front-end's virtio_ring follows it and BUG()s\n"
		"  -v            log the back-end library's messages\n",
		FE_WRITE_TIMEOUT_MS);
	exit(2);
}

static const struct vbe_device hostile_device = {
	.name = "virtio_ivshmem_hostile",
	.id = VIRTIO_ID_CONSOLE,
	.features = 1ULL << F_CONSOLE_SIZE,
	.nqueues = NQ,
	.default_qsize = 16,
	.config_size = 12,
};

int main(int argc, char **argv)
{
	static const enum phase structured[] = {
		PH_HEADER, PH_REGISTER, PH_USED, PH_REGISTER, PH_EVENT,
		PH_REGISTER, PH_DESC, PH_REGISTER, PH_DOORBELL, PH_REGISTER,
		PH_STATE, PH_REGISTER,
	};
	const char *spec = NULL;
	unsigned int i;
	uint64_t t0;
	int opt, ret = 0;

	while ((opt = getopt(argc, argv, "d:s:n:b:r:t:Lxv")) != -1) {
		switch (opt) {
		case 'd':
			spec = optarg;
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			target = strtoul(optarg, NULL, 0);
			break;
		case 'b':
			burst = strtoul(optarg, NULL, 0);
			break;
		case 'r':
			ring_every = strtoul(optarg, NULL, 0);
			break;
		case 't':
			timeout_ms = atoi(optarg) * 1000;
			break;
		case 'L':
			long_hold = true;
			break;
		case 'x':
			set_next = true;
			break;
		case 'v':
			b->verbose = 1;
			break;
		default:
			print_usage();
		}
	}
	if (!burst || !ring_every || timeout_ms <= 0)
		print_usage();
	if (vbe_open(b, &hostile_device, spec))
		return 1;
	mut_init(&mut, seed, b->shm, b->shm_size, fields, F_NR, specials,
		 ARRAY_SIZE(specials));
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("# hostile console: peer %u, %u vector(s), section 0x%llx\n",
	       b->dev.info.id, b->vectors, (unsigned long long)b->shm_size);
	printf("# seed %llu, %lu mutations, %lu per session\n",
	       (unsigned long long)seed, target, burst);
	t0 = now_ms();

	for (i = 0; total < target && !ret; i++) {
		bool first = i < ARRAY_SIZE(structured);
		enum phase ph = first ? structured[i] :
				below(4) ? PH_RANDOM : PH_REGISTER;

		/* a short run still goes through every phase */
		ret = run_session(ph, first && burst > target / 8 ?
				  target / 8 + 1 : burst);
	}
	report(t0);
	if (!ret)
		ret = final_session();
	printf("# final echo: %s, %lu PING(s)\n", ret ? "failed" : "ok",
	       pings);
	ivshmem_set_state(&b->dev, VBE_STATE_RESET);
	ivshmem_close(&b->dev);
	return ret ? 1 : 0;
}
