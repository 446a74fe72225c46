// SPDX-License-Identifier: GPL-2.0
/*
 * The front-end side of the fuzz harnesses: runs a fuzz program (fuzz.h)
 * against a back-end on a section allocated to its exact size, and checks
 * the back-end's invariants after every step:
 *
 * - every segment vbe_pop() returns lies in [header size, section size),
 *   no readable segment follows a writable one, the head and the segment
 *   count are below the queue size and the caller's maximum;
 * - a used entry is added only for a chain popped and not yet returned,
 *   with a length no larger than the chain's writable bytes; the used
 *   index advances by one per entry and by nothing else, and all entries
 *   are published (used->idx) by the end of a serve round;
 * - outside the header and the used rings, a step changes only bytes of
 *   writable segments of chains the back-end popped during that step or
 *   still holds from an earlier one;
 * - queue sizes are powers of 2 up to the offered size, vectors exist,
 *   enabled rings lie inside the section and are aligned, FEATURES_OK
 *   means features the device offered, a write transaction is always
 *   acknowledged;
 * - doorbells go to the peer, on vectors the link has.
 *
 * It also provides the libivshmem functions backend.c calls, as stubs.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#define FUZZ_MAX_REGIONS	4096
#define FUZZ_MAX_HELD		8192
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

FILE *fuzz_stderr;
struct fuzz_in *fuzz_cur;

struct fuzz_region {
	uint64_t off, end;
};

/* A writable segment of a chain the back-end holds: popped, not returned */
struct fuzz_held {
	uint64_t off, end;
	uint16_t qi, head;
};

/* A queue as the step found it */
struct fuzz_qstate {
	bool enabled;
	uint16_t size;
	uint16_t used_idx;
	uint64_t used;
};

static struct {
	const struct fuzz_target *t;
	struct vbe *b;
	uint8_t *snap;		/* the section before the step */
	struct fuzz_qstate pre[VBE_MAX_QUEUES];
	/* writable segments popped during the step */
	struct fuzz_region w[FUZZ_MAX_REGIONS];
	unsigned int nw;
	bool w_overflow;
	/* writable segments of held chains, oldest first */
	struct fuzz_held held[FUZZ_MAX_HELD];
	unsigned int nheld;
	bool held_overflow;	/* no write checks until none is held */
	/* per queue and head: chains popped and not pushed yet */
	uint32_t out[VBE_MAX_QUEUES][VBE_MAX_QUEUE_SIZE];
	/* their largest writable byte count */
	uint64_t out_wlen[VBE_MAX_QUEUES][VBE_MAX_QUEUE_SIZE];
	unsigned int pushes[VBE_MAX_QUEUES];
} fz;

void fuzz_fail(const char *file, int line, const char *cond,
	       const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: invariant broken: %s: ", file, line, cond);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

uint8_t fuzz_u8(struct fuzz_in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

uint16_t fuzz_u16(struct fuzz_in *in)
{
	uint16_t v = fuzz_u8(in);

	return v | fuzz_u8(in) << 8;
}

uint32_t fuzz_u32(struct fuzz_in *in)
{
	uint32_t v = fuzz_u16(in);

	return v | (uint32_t)fuzz_u16(in) << 16;
}

uint64_t fuzz_u64(struct fuzz_in *in)
{
	uint64_t v = fuzz_u32(in);

	return v | (uint64_t)fuzz_u32(in) << 32;
}

/* libivshmem, as far as backend.c uses it */
int ivshmem_doorbell(struct ivshmem_dev *dev, unsigned int peer,
		     unsigned int vector)
{
	fuzz_check(peer == fz.b->peer, "doorbell to peer %u", peer);
	fuzz_check(vector < fz.b->vectors, "doorbell vector %u of %u", vector,
		   fz.b->vectors);
	return 0;
}

uint32_t ivshmem_peer_state(struct ivshmem_dev *dev, unsigned int peer)
{
	return VBE_STATE_READY;
}

void ivshmem_set_state(struct ivshmem_dev *dev, uint32_t state)
{
}

int ivshmem_irq_control(struct ivshmem_dev *dev, int on)
{
	return 0;
}

int ivshmem_open(struct ivshmem_dev *dev, const char *spec)
{
	return -ENODEV;
}

void ivshmem_close(struct ivshmem_dev *dev)
{
}

void *ivshmem_map(struct ivshmem_dev *dev, const char *name, uint64_t *size)
{
	return NULL;
}

/* The back-end may write [@off, @off + @len) in this step */
static void add_region(uint64_t off, uint64_t len)
{
	if (fz.nw < FUZZ_MAX_REGIONS)
		fz.w[fz.nw++] = (struct fuzz_region){ off, off + len };
	else
		fz.w_overflow = true;
}

static uint64_t hdr_end(const struct vbe *b)
{
	return VBE_H_CONFIG + b->vdev->config_size;
}

/* [off, off + len) inside the section, no wrap-around */
static bool in_section(const struct vbe *b, uint64_t off, uint64_t len)
{
	return off <= b->shm_size && len <= b->shm_size - off;
}

static uint64_t offered(const struct vbe *b)
{
	return b->vdev->features | 1ULL << VIRTIO_F_VERSION_1 |
	       1ULL << VIRTIO_F_ACCESS_PLATFORM |
	       1ULL << VIRTIO_F_ORDER_PLATFORM;
}

static unsigned int qindex(const struct vbe *b, const struct vbe_queue *q)
{
	unsigned int i = q - b->q;

	fuzz_check(q >= b->q && i < b->vdev->nqueues, "queue %p", (void *)q);
	return i;
}

int fuzz_pending(struct vbe *b, struct vbe_queue *q)
{
	unsigned int qi = qindex(b, q);
	int ret;

	fuzz_check(q->enabled, "pending on disabled queue %u", qi);
	ret = vbe_pending(b, q);
	fuzz_check(ret >= -1 && ret <= q->size, "%d pending of %u", ret,
		   q->size);
	return ret;
}

/*
 * Chain @head of @n segments was popped from queue @qi (at most @max): its
 * segments must be inside the section, readable ones first; its writable
 * ones are held until it returns.
 */
static void chain_popped(struct vbe *b, struct vbe_queue *q, unsigned int qi,
			 uint16_t head, const struct vbe_seg *segs, int n,
			 unsigned int max)
{
	bool seen_writable = false;
	uint64_t wlen = 0;
	int i;

	fuzz_check(head < q->size, "head %u of %u", head, q->size);
	fuzz_check((unsigned int)n <= max && n <= q->size,
		   "%d segments, max %u, size %u", n, max, q->size);
	for (i = 0; i < n; i++) {
		const struct vbe_seg *s = &segs[i];

		fuzz_check(s->off >= hdr_end(b) &&
			   in_section(b, s->off, s->len),
			   "segment %d 0x%llx+0x%x outside [0x%llx, 0x%llx)",
			   i, (unsigned long long)s->off, s->len,
			   (unsigned long long)hdr_end(b),
			   (unsigned long long)b->shm_size);
		fuzz_check(s->writable || !seen_writable,
			   "readable segment %d after a writable one", i);
		seen_writable = s->writable;
		if (!s->writable)
			continue;
		wlen += s->len;
		add_region(s->off, s->len);
		if (fz.nheld < FUZZ_MAX_HELD)
			fz.held[fz.nheld++] = (struct fuzz_held){
				s->off, s->off + s->len, qi, head };
		else
			fz.held_overflow = true;
	}
	if (!fz.out[qi][head] || wlen > fz.out_wlen[qi][head])
		fz.out_wlen[qi][head] = wlen;
	fz.out[qi][head]++;
	if (fz.b->verbose) {
		fprintf(stderr, "fuzz: queue %u: popped head %u, %d segments",
			qi, head, n);
		for (i = 0; i < n; i++)
			fprintf(stderr, " %c0x%llx+0x%x",
				segs[i].writable ? 'w' : 'r',
				(unsigned long long)segs[i].off, segs[i].len);
		fputc('\n', stderr);
	}
}

int fuzz_pop(struct vbe *b, struct vbe_queue *q, struct vbe_seg *segs,
	     unsigned int max, uint16_t *head)
{
	unsigned int qi = qindex(b, q);
	uint16_t last = q->last_avail;
	int n;

	fuzz_check(q->enabled, "pop from disabled queue %u", qi);
	n = vbe_pop(b, q, segs, max, head);
	if (n < 0) {
		fuzz_check(q->last_avail == last, "broken ring consumed");
		return n;
	}
	fuzz_check(q->last_avail == (uint16_t)(last + 1), "last_avail %u->%u",
		   last, q->last_avail);
	chain_popped(b, q, qi, *head, segs, n, max);
	return n;
}

/*
 * The used ring may be written while the queue is enabled, or after it
 * broke during this step (vbe_needs_reset()): it is the ring validated
 * when the queue was enabled.
 */
static bool used_ok(const struct vbe *b, const struct vbe_queue *q,
		    unsigned int qi)
{
	const struct fuzz_qstate *pre = &fz.pre[qi];

	return q->enabled || (pre->enabled && q->used == pre->used &&
			      q->size == pre->size);
}

/*
 * The last outstanding chain @head of queue @qi was returned: its segments
 * are no longer held (but stay writable until the end of the step). While
 * the front-end has the same head in flight twice, which one came back is
 * unknown: both stay held until the last one returns.
 */
static void release_held(unsigned int qi, uint16_t head)
{
	unsigned int i, j;

	for (i = j = 0; i < fz.nheld; i++) {
		if (fz.held[i].qi == qi && fz.held[i].head == head)
			add_region(fz.held[i].off,
				   fz.held[i].end - fz.held[i].off);
		else
			fz.held[j++] = fz.held[i];
	}
	fz.nheld = j;
}

/* A queue was enabled afresh: nothing of its old rings is held */
static void drop_held(unsigned int qi)
{
	unsigned int i, j;

	for (i = j = 0; i < fz.nheld; i++)
		if (fz.held[i].qi != qi)
			fz.held[j++] = fz.held[i];
	fz.nheld = j;
}

/* A used entry for @head: only for a chain popped and not returned yet */
static void used_begin(struct vbe *b, struct vbe_queue *q, unsigned int qi,
		       uint16_t head, uint32_t len)
{
	fuzz_check(used_ok(b, q, qi), "used entry on disabled queue %u", qi);
	fuzz_check(head < q->size, "used head %u of %u", head, q->size);
	fuzz_check(fz.out[qi][head], "used head %u, not popped", head);
	fuzz_check(len <= fz.out_wlen[qi][head],
		   "used len %u, chain has %llu writable bytes", len,
		   (unsigned long long)fz.out_wlen[qi][head]);
	if (!--fz.out[qi][head])
		release_held(qi, head);
	fz.pushes[qi]++;
	if (b->verbose)
		fprintf(stderr, "fuzz: queue %u: used head %u, len %u\n", qi,
			head, len);
}

static void used_end(struct vbe *b, struct vbe_queue *q, uint16_t old,
		     uint16_t head, uint32_t len)
{
	uint64_t e = q->used + 4 + 8ULL * (old & (q->size - 1));

	fuzz_check(q->used_idx == (uint16_t)(old + 1), "used_idx %u->%u", old,
		   q->used_idx);
	fuzz_check(vbe_rd32(b, e) == head && vbe_rd32(b, e + 4) == len,
		   "used entry %u not written", old);
}

/* Entries were added since @before was published: used->idx shows them */
static void check_published(struct vbe *b, struct vbe_queue *q,
			    uint16_t before)
{
	fuzz_check(q->used_published == q->used_idx,
		   "published %u, used_idx %u", q->used_published,
		   q->used_idx);
	if (before != q->used_idx)
		fuzz_check(vbe_rd16(b, q->used + 2) == q->used_idx,
			   "used->idx %u, used_idx %u",
			   vbe_rd16(b, q->used + 2), q->used_idx);
}

void fuzz_add_used(struct vbe *b, struct vbe_queue *q, uint16_t head,
		   uint32_t len)
{
	uint16_t old = q->used_idx;

	used_begin(b, q, qindex(b, q), head, len);
	vbe_add_used(b, q, head, len);
	used_end(b, q, old, head, len);
}

void fuzz_publish_used(struct vbe *b, struct vbe_queue *q)
{
	uint16_t before = q->used_published;
	unsigned int qi = qindex(b, q);

	fuzz_check(used_ok(b, q, qi), "publish on disabled queue %u", qi);
	vbe_publish_used(b, q);
	check_published(b, q, before);
}

void fuzz_push(struct vbe *b, struct vbe_queue *q, uint16_t head,
	       uint32_t len)
{
	uint16_t old = q->used_idx;

	used_begin(b, q, qindex(b, q), head, len);
	vbe_push(b, q, head, len);
	used_end(b, q, old, head, len);
	check_published(b, q, old);
}

/* fuzz_serve_out(): the queue served and the harness's consumer */
static struct {
	struct vbe_queue *q;
	unsigned int qi;
	void (*consume)(struct vbe *b, uint16_t head,
			const struct vbe_seg *segs, int n);
} fz_out;

static void out_chain(struct vbe *b, uint16_t head, const struct vbe_seg *segs,
		      int n)
{
	chain_popped(b, fz_out.q, fz_out.qi, head, segs, n,
		     VBE_MAX_QUEUE_SIZE);
	fz_out.consume(b, head, segs, n);
}

bool fuzz_serve_out(struct vbe *b, struct vbe_queue *q, int max,
		    void (*consume)(struct vbe *b, uint16_t head,
				    const struct vbe_seg *segs, int n))
{
	uint16_t before = q->used_idx, last = q->last_avail, i;
	unsigned int qi = qindex(b, q);
	uint16_t done;
	uint64_t e;
	bool did;

	fz_out.q = q;
	fz_out.qi = qi;
	fz_out.consume = consume;
	did = vbe_serve_out(b, q, max, out_chain);
	done = q->used_idx - before;
	/* one used entry, published, for each chain popped */
	fuzz_check(done == (uint16_t)(q->last_avail - last),
		   "%u chains popped, %u returned",
		   (uint16_t)(q->last_avail - last), done);
	fuzz_check(done <= max && did == !!done, "%u chains of %d, did %d",
		   done, max, did);
	for (i = before; i != q->used_idx; i++) {
		e = q->used + 4 + 8ULL * (i & (q->size - 1));
		used_begin(b, q, qi, vbe_rd32(b, e), vbe_rd32(b, e + 4));
	}
	check_published(b, q, before);
	return did;
}

static void check_queue(struct vbe *b, unsigned int i)
{
	const struct vbe_queue *q = &b->q[i];
	uint64_t n = q->size, h = hdr_end(b);

	fuzz_check(n && !(n & (n - 1)) && n <= b->qsize,
		   "queue %u size %llu, offered %u", i, (unsigned long long)n,
		   b->qsize);
	fuzz_check(q->device_vector < b->vectors &&
		   q->driver_vector < b->vectors,
		   "queue %u vectors %u/%u of %u", i, q->device_vector,
		   q->driver_vector, b->vectors);
	if (!q->enabled)
		return;
	fuzz_check(q->desc >= h && in_section(b, q->desc, 16 * n) &&
		   !(q->desc % 16) &&
		   q->avail >= h && in_section(b, q->avail, 6 + 2 * n) &&
		   !(q->avail % 2) &&
		   q->used >= h && in_section(b, q->used, 6 + 8 * n) &&
		   !(q->used % 4),
		   "queue %u enabled with rings 0x%llx 0x%llx 0x%llx size %llu",
		   i, (unsigned long long)q->desc,
		   (unsigned long long)q->avail, (unsigned long long)q->used,
		   (unsigned long long)n);
}

static void check_state(struct vbe *b)
{
	uint64_t f = b->driver_features[0] |
		     (uint64_t)b->driver_features[1] << 32;
	unsigned int i;

	for (i = 0; i < b->vdev->nqueues; i++)
		check_queue(b, i);
	if (b->status & VBE_S_FEATURES_OK)
		fuzz_check(!(f & ~offered(b)) &&
			   (f & 1ULL << VIRTIO_F_VERSION_1) &&
			   (f & 1ULL << VIRTIO_F_ACCESS_PLATFORM),
			   "FEATURES_OK with features 0x%llx, offered 0x%llx",
			   (unsigned long long)f,
			   (unsigned long long)offered(b));
}

/* Before the back-end runs: what it may change is measured from here */
static void step_begin(struct vbe *b)
{
	unsigned int i;

	memcpy(fz.snap, b->shm, b->shm_size);
	fz.nw = 0;
	fz.w_overflow = false;
	for (i = 0; i < b->vdev->nqueues; i++) {
		fz.pre[i].enabled = b->q[i].enabled;
		fz.pre[i].size = b->q[i].size;
		fz.pre[i].used = b->q[i].used;
		fz.pre[i].used_idx = b->q[i].used_idx;
		fz.pushes[i] = 0;
	}
}

static int region_cmp(const void *a, const void *b)
{
	const struct fuzz_region *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

/*
 * Every changed byte outside the header is in a used ring or a writable
 * segment of a chain popped in this step or held from an earlier one
 */
static void check_writes(struct vbe *b)
{
	uint64_t h = hdr_end(b), o, lim = 0;
	unsigned int i, r = 0;

	if (!fz.nheld)
		fz.held_overflow = false;
	if (!memcmp(fz.snap + h, b->shm + h, b->shm_size - h))
		return;
	for (i = 0; i < fz.nheld; i++)
		add_region(fz.held[i].off, fz.held[i].end - fz.held[i].off);
	for (i = 0; i < b->vdev->nqueues; i++) {
		if (fz.pre[i].enabled)
			add_region(fz.pre[i].used, 6 + 8ULL * fz.pre[i].size);
		if (b->q[i].enabled)
			add_region(b->q[i].used, 6 + 8ULL * b->q[i].size);
	}
	if (fz.w_overflow || fz.held_overflow)
		return;
	qsort(fz.w, fz.nw, sizeof(fz.w[0]), region_cmp);
	for (o = h; o < b->shm_size; o++) {
		if (fz.snap[o] == b->shm[o])
			continue;
		/* lim: the end of the regions starting at or before o */
		for (; r < fz.nw && fz.w[r].off <= o; r++)
			if (fz.w[r].end > lim)
				lim = fz.w[r].end;
		fuzz_check(o < lim,
			   "byte 0x%llx changed outside used rings and writable segments",
			   (unsigned long long)o);
	}
}

/* After every step: state invariants; queues enabled again start afresh */
static void step_end(struct vbe *b)
{
	unsigned int i;

	check_writes(b);
	check_state(b);
	for (i = 0; i < b->vdev->nqueues; i++) {
		if (b->q[i].enabled && !fz.pre[i].enabled) {
			memset(fz.out[i], 0, sizeof(fz.out[i]));
			drop_held(i);
			continue;
		}
		if (!b->q[i].enabled)
			continue;
		fuzz_check(b->q[i].used_idx ==
			   (uint16_t)(fz.pre[i].used_idx + fz.pushes[i]),
			   "queue %u used_idx %u -> %u with %u pushes", i,
			   fz.pre[i].used_idx, b->q[i].used_idx, fz.pushes[i]);
	}
}

static void write_transaction(struct vbe *b, uint32_t off)
{
	vbe_wr32(b, VBE_H_WRITE_TRANSACTION, off);
	step_begin(b);
	vbe_serve_write(b);
	fuzz_check(!vbe_rd32(b, VBE_H_WRITE_TRANSACTION),
		   "write transaction 0x%x not acknowledged", off);
	step_end(b);
}

/* Stores @v in the header field at @off of @width bytes, then writes it */
static void write_field(struct vbe *b, uint32_t off, unsigned int width,
			uint64_t v)
{
	switch (width) {
	case 1:
		vbe_wr8(b, off, v);
		break;
	case 2:
		vbe_wr16(b, off, v);
		break;
	case 4:
		vbe_wr32(b, off, v);
		break;
	default:
		vbe_wr64(b, off, v);
		break;
	}
	write_transaction(b, off);
}

static const struct {
	uint8_t off, width;
} fields[] = {
	{ VBE_H_DEVICE_FEATURES_SEL, 4 },
	{ VBE_H_DRIVER_FEATURES, 4 },
	{ VBE_H_DRIVER_FEATURES_SEL, 4 },
	{ VBE_H_QUEUE_SEL, 4 },
	{ VBE_H_QUEUE_SIZE, 2 },
	{ VBE_H_QUEUE_DEVICE_VECTOR, 2 },
	{ VBE_H_QUEUE_DRIVER_VECTOR, 2 },
	{ VBE_H_QUEUE_ENABLE, 2 },
	{ VBE_H_QUEUE_DESC, 8 },
	{ VBE_H_QUEUE_DRIVER, 8 },
	{ VBE_H_QUEUE_DEVICE, 8 },
	{ VBE_H_DEVICE_STATUS, 4 },
	{ VBE_H_REVISION, 4 },
	{ VBE_H_SIZE, 4 },
	{ VBE_H_DEVICE_FEATURES, 4 },
	{ VBE_H_CONFIG_EVENT, 1 },
	{ VBE_H_QUEUE_EVENT, 1 },
	{ VBE_H_CONFIG_GENERATION, 4 },
};

static void op_write(struct vbe *b, struct fuzz_in *in)
{
	uint8_t f = fuzz_u8(in);
	uint64_t v = fuzz_u64(in);
	uint32_t csize = b->vdev->config_size;

	/* 0xc0 and up: one byte of the device config space */
	if (f >= 0xc0 && csize)
		write_field(b, VBE_H_CONFIG + (f - 0xc0) % csize, 1, v);
	else
		write_field(b, fields[f % ARRAY_SIZE(fields)].off,
			    fields[f % ARRAY_SIZE(fields)].width, v);
}

static void op_poke(struct vbe *b, struct fuzz_in *in)
{
	uint64_t off = fuzz_u32(in) % b->shm_size;
	size_t len = fuzz_u8(in);

	if (len > in->n)
		len = in->n;
	memcpy(b->shm + off, in->p,
	       len < b->shm_size - off ? len : b->shm_size - off);
	in->p += len;
	in->n -= len;
}

static struct vbe_queue *queue_arg(struct vbe *b, struct fuzz_in *in)
{
	return &b->q[fuzz_u8(in) % b->vdev->nqueues];
}

/* The front-end writes its rings where it told the back-end they are */
static void op_desc(struct vbe *b, struct fuzz_in *in)
{
	struct vbe_queue *q = queue_arg(b, in);
	uint16_t i = fuzz_u16(in) % q->size, flags, next;
	uint8_t mode = fuzz_u8(in);
	uint64_t addr, d = q->desc + 16ULL * i;
	uint32_t len;

	/* mostly addresses just after the header, sometimes anything */
	addr = mode & 1 ? fuzz_u64(in) : hdr_end(b) + fuzz_u16(in);
	len = mode & 2 ? fuzz_u32(in) : fuzz_u16(in);
	flags = fuzz_u16(in);
	next = fuzz_u16(in);
	if (!in_section(b, d, 16) || d % 16)
		return;
	vbe_wr64(b, d, addr);
	vbe_wr32(b, d + 8, len);
	vbe_wr16(b, d + 12, flags);
	vbe_wr16(b, d + 14, next);
}

static void op_avail(struct vbe *b, struct fuzz_in *in, bool add)
{
	struct vbe_queue *q = queue_arg(b, in);
	uint16_t v = fuzz_u16(in), idx;

	if (!in_section(b, q->avail, 4 + 2ULL * q->size) || q->avail % 2)
		return;
	if (!add) {
		vbe_wr16(b, q->avail + 2, v);
		return;
	}
	idx = vbe_rd16(b, q->avail + 2);
	vbe_wr16(b, q->avail + 4 + 2 * (idx & (q->size - 1)), v);
	vbe_wr16(b, q->avail + 2, idx + 1);
}

/* One round of vbe_session()'s loop */
static void op_serve(struct fuzz_target const *t, struct vbe *b,
		     struct fuzz_in *in)
{
	unsigned int i;

	step_begin(b);
	vbe_serve_write(b);
	fuzz_check(!vbe_rd32(b, VBE_H_WRITE_TRANSACTION),
		   "write transaction not acknowledged");
	step_end(b);
	if (!(b->status & VBE_S_DRIVER_OK) || b->status & VBE_S_NEEDS_RESET)
		return;
	step_begin(b);
	if (t->serve)
		t->serve(b, in);
	else
		b->vdev->serve(b);
	step_end(b);
	for (i = 0; i < b->vdev->nqueues; i++) {
		unsigned int h;

		/*
		 * used entries are published before the round ends (the
		 * index itself may have been overwritten since, through a
		 * buffer the front-end placed on its used ring)
		 */
		fuzz_check(!b->q[i].enabled ||
			   b->q[i].used_published == b->q[i].used_idx,
			   "queue %u: used entries %u..%u not published", i,
			   b->q[i].used_published, b->q[i].used_idx);
		for (h = 0; h < VBE_MAX_QUEUE_SIZE && t->sync; h++)
			fuzz_check(!fz.out[i][h],
				   "queue %u head %u popped, never pushed",
				   i, h);
	}
}

/* The front-end's queue set-up, as a driver does it */
static void op_queue(struct vbe *b, struct fuzz_in *in)
{
	uint32_t sel = fuzz_u8(in) % (b->vdev->nqueues + 1);
	uint16_t size = 1 << fuzz_u8(in) % 9;
	uint64_t desc = fuzz_u16(in) % (b->shm_size / 16) * 16;
	uint64_t avail = fuzz_u16(in) % (b->shm_size / 2) * 2;
	uint64_t used = fuzz_u16(in) % (b->shm_size / 4) * 4;
	uint16_t vec = fuzz_u8(in) % (b->vectors + 1);

	write_field(b, VBE_H_QUEUE_SEL, 4, sel);
	write_field(b, VBE_H_QUEUE_SIZE, 2, size);
	write_field(b, VBE_H_QUEUE_DESC, 8, desc);
	write_field(b, VBE_H_QUEUE_DRIVER, 8, avail);
	write_field(b, VBE_H_QUEUE_DEVICE, 8, used);
	write_field(b, VBE_H_QUEUE_DRIVER_VECTOR, 2, vec);
	/* fresh rings: flags and index 0 */
	if (avail >= hdr_end(b) && in_section(b, avail, 4))
		vbe_wr32(b, avail, 0);
	if (used >= hdr_end(b) && in_section(b, used, 4))
		vbe_wr32(b, used, 0);
	write_field(b, VBE_H_QUEUE_ENABLE, 2, 1);
}

static void op_driver_ok(struct vbe *b, struct fuzz_in *in)
{
	uint8_t mode = fuzz_u8(in);
	uint64_t flip = fuzz_u64(in), f;
	uint32_t st = VBE_S_ACKNOWLEDGE | VBE_S_DRIVER;

	write_field(b, VBE_H_DEVICE_STATUS, 4, VBE_S_ACKNOWLEDGE);
	write_field(b, VBE_H_DEVICE_STATUS, 4, st);
	write_field(b, VBE_H_DEVICE_FEATURES_SEL, 4, 0);
	f = vbe_rd32(b, VBE_H_DEVICE_FEATURES);
	write_field(b, VBE_H_DEVICE_FEATURES_SEL, 4, 1);
	f |= (uint64_t)vbe_rd32(b, VBE_H_DEVICE_FEATURES) << 32;
	fuzz_check(f == offered(b), "device features 0x%llx, offered 0x%llx",
		   (unsigned long long)f, (unsigned long long)offered(b));
	if (mode & 1)
		f ^= flip;
	else if (mode & 2)
		f &= flip | 1ULL << VIRTIO_F_VERSION_1 |
		     1ULL << VIRTIO_F_ACCESS_PLATFORM;
	write_field(b, VBE_H_DRIVER_FEATURES_SEL, 4, 0);
	write_field(b, VBE_H_DRIVER_FEATURES, 4, (uint32_t)f);
	write_field(b, VBE_H_DRIVER_FEATURES_SEL, 4, 1);
	write_field(b, VBE_H_DRIVER_FEATURES, 4, f >> 32);
	write_field(b, VBE_H_DEVICE_STATUS, 4, st | VBE_S_FEATURES_OK);
	if ((vbe_rd32(b, VBE_H_DEVICE_STATUS) & VBE_S_FEATURES_OK) ||
	    mode & 4)
		write_field(b, VBE_H_DEVICE_STATUS, 4,
			    st | VBE_S_FEATURES_OK | VBE_S_DRIVER_OK);
}

static void op_header(struct vbe *b)
{
	step_begin(b);
	vbe_write_header(b);
	fuzz_check(vbe_rd32(b, VBE_H_REVISION) == 1 &&
		   vbe_rd32(b, VBE_H_SIZE) == hdr_end(b) &&
		   !vbe_rd32(b, VBE_H_WRITE_TRANSACTION) &&
		   !vbe_rd32(b, VBE_H_DEVICE_STATUS), "fresh header");
	step_end(b);
}

int fuzz_run(const struct fuzz_target *t, const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	static struct vbe be;
	struct vbe *b = &be;
	uint8_t v;

	if (!fuzz_stderr)
		fuzz_stderr = getenv("FUZZ_VERBOSE") ? stderr :
			      fopen("/dev/null", "w");
	memset(b, 0, sizeof(*b));
	memset(&fz, 0, sizeof(fz));
	fz.t = t;
	fz.b = b;
	fuzz_cur = &in;
	b->vdev = t->vdev;
	b->wait_fd = -1;
	b->peer = 1;
	b->verbose = !!getenv("FUZZ_VERBOSE");
	b->shm_size = 8192 + 4096 * (fuzz_u8(&in) % 15);
	v = fuzz_u8(&in);
	b->vectors = 1 + v % 8;
	b->qsize = 1 << (v >> 3) % 9;
	/* exactly the section: AddressSanitizer sees any access beyond it */
	b->shm = malloc(b->shm_size);
	fz.snap = malloc(b->shm_size);
	if (!b->shm || !fz.snap)
		abort();
	memset(b->shm, fuzz_u8(&in), b->shm_size);
	if (t->start)
		t->start(b, &in);
	op_header(b);

	while (in.n) {
		switch (fuzz_u8(&in) % FUZZ_OP_NR) {
		case FUZZ_OP_WRITE:
			op_write(b, &in);
			break;
		case FUZZ_OP_TRANSACTION:
			write_transaction(b, fuzz_u32(&in));
			break;
		case FUZZ_OP_POKE:
			op_poke(b, &in);
			break;
		case FUZZ_OP_DESC:
			op_desc(b, &in);
			break;
		case FUZZ_OP_AVAIL:
			op_avail(b, &in, true);
			break;
		case FUZZ_OP_AVAIL_IDX:
			op_avail(b, &in, false);
			break;
		case FUZZ_OP_SERVE:
			op_serve(t, b, &in);
			break;
		case FUZZ_OP_QUEUE:
			op_queue(b, &in);
			break;
		case FUZZ_OP_DRIVER_OK:
			op_driver_ok(b, &in);
			break;
		case FUZZ_OP_HEADER:
			op_header(b);
			break;
		}
	}

	if (t->end)
		t->end(b);
	free(fz.snap);
	free(b->shm);
	return 0;
}
