// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_vbe: the transport of tools/virtio/ivshmem/backend.c on its own.
 * The first input byte shapes a test device (1 to 4 queues, 0 to 252 bytes
 * of config space), the next four are its feature bits; the rest is a fuzz
 * program (fuzz.h). The device serves every enabled queue: it pops chains
 * with a segment maximum from the input, copies a window of the readable
 * bytes out and of the writable bytes in with vbe_copy_from() and
 * vbe_copy_to(), checks the byte counts and the copied bytes against its
 * own walk of the segments, and returns the chain, with vbe_push() or
 * with vbe_add_used() and one vbe_publish_used() per round.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static struct vbe_device vdev;

static void test_init_config(struct vbe *b)
{
	uint32_t i;

	for (i = 0; i < b->vdev->config_size; i++)
		vbe_wr8(b, VBE_H_CONFIG + i, i);
}

static void test_config_write(struct vbe *b, uint32_t off)
{
	fuzz_check(off >= VBE_H_CONFIG &&
		   off < VBE_H_CONFIG + b->vdev->config_size,
		   "config write 0x%x", off);
}

/* The readable bytes [skip, skip + len) of a chain, walked segment-wise */
static void expect_from(const struct vbe *b, uint8_t *ref,
			const struct vbe_seg *s, int n, uint64_t skip,
			uint64_t len)
{
	uint64_t pos = 0, a, e;
	int i;

	for (i = 0; i < n && !s[i].writable; pos += s[i].len, i++) {
		a = pos > skip ? pos : skip;
		e = pos + s[i].len < skip + len ? pos + s[i].len : skip + len;
		if (a < e)
			memcpy(ref + (a - skip), b->shm + s[i].off + (a - pos),
			       e - a);
	}
}

static uint32_t window(uint64_t total, uint32_t skip, uint32_t len)
{
	if (total <= skip)
		return 0;
	return total - skip < len ? total - skip : len;
}

static void serve_queue(struct vbe *b, struct vbe_queue *q,
			struct fuzz_in *in)
{
	struct vbe_seg segs[VBE_MAX_QUEUE_SIZE];
	uint8_t mode = fuzz_u8(in);
	unsigned int max = 1 + fuzz_u8(in);
	uint32_t skip = fuzz_u16(in), len = fuzz_u16(in), done;
	uint64_t rd, wr;
	uint8_t *buf, *ref;
	int pending, n, i;
	uint16_t head;

	if (!q->enabled)
		return;
	pending = fuzz_pending(b, q);
	if (pending < 0) {
		vbe_needs_reset(b, "avail index");
		return;
	}
	/* exactly @len bytes: AddressSanitizer sees any copy beyond them */
	buf = malloc(len + !len);
	ref = malloc(len + !len);
	if (!buf || !ref)
		abort();
	while (pending--) {
		n = fuzz_pop(b, q, segs, max, &head);
		if (n < 0) {
			vbe_needs_reset(b, "avail entry");
			break;
		}
		for (rd = wr = 0, i = 0; i < n; i++) {
			if (segs[i].writable)
				wr += segs[i].len;
			else
				rd += segs[i].len;
		}
		done = vbe_copy_from(b, buf, segs, n, skip, len);
		fuzz_check(done == window(rd, skip, len),
			   "copied %u of %llu readable bytes, skip %u len %u",
			   done, (unsigned long long)rd, skip, len);
		expect_from(b, ref, segs, n, skip, done);
		fuzz_check(!memcmp(buf, ref, done), "copied bytes differ");
		memset(buf, 0xa5, len);
		done = vbe_copy_to(b, segs, n, skip, buf, len);
		fuzz_check(done == window(wr, skip, len),
			   "copied %u into %llu writable bytes, skip %u len %u",
			   done, (unsigned long long)wr, skip, len);
		/* odd mode: vbe_add_used(), vbe_publish_used() at the end */
		if (mode & 1)
			fuzz_add_used(b, q, head, done);
		else
			fuzz_push(b, q, head, done);
	}
	if (mode & 1 && q->enabled)
		fuzz_publish_used(b, q);
	free(ref);
	free(buf);
	vbe_notify(b, q);
}

static bool test_serve(struct vbe *b)
{
	unsigned int i;

	for (i = 0; i < b->vdev->nqueues; i++)
		serve_queue(b, &b->q[i], fuzz_cur);
	return true;
}

static const struct fuzz_target target = {
	.vdev = &vdev,
	.sync = true,
};

int fuzz_one_input(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	uint8_t shape = fuzz_u8(&in);

	vdev = (struct vbe_device){
		.name = "fuzz-vbe",
		.id = 0x3f,
		.features = fuzz_u32(&in),
		.nqueues = 1 + shape % VBE_MAX_QUEUES,
		.default_qsize = 16,
		.config_size = (shape >> 2) * 4,
		.init_config = test_init_config,
		.config_write = test_config_write,
		.serve = test_serve,
	};
	return fuzz_run(&target, in.p, in.n);
}
