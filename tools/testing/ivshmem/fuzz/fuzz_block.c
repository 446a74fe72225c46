// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_block: virtio-ivshmem-block's request handling (blk_serve(),
 * blk_request()) on the checked transport, with the disk image in a memfd.
 * After the section bytes (fuzz.h), the input gives the image size
 * (1 + b % 64 sectors) and its flags (bit 0 read-only, bit 1 discard).
 *
 * Besides the transport's invariants, every request is checked against
 * the image as it was when the chain was popped and against a private copy
 * of the chain's readable bytes taken at that moment:
 *
 * - the image never changes size, and changes only for an OUT or DISCARD
 *   request answered VIRTIO_BLK_S_OK on a writable disk: an OUT only in
 *   its sector range, with exactly the request's data; a DISCARD only to
 *   zeros inside its segments;
 * - a request answered OK reads or writes whole sectors inside the disk;
 *   an IN answered OK returns the image's bytes (checked when its buffers
 *   do not overlap) and reports all of them as written;
 * - the status is OK, IOERR or UNSUPP, in the chain's last writable byte;
 *   a failed request reports one byte written, a chain without a status
 *   byte none.
 */
#define _GNU_SOURCE	/* as the back-ends: before any system header */
#include <sys/mman.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

static int blkfz_pop(struct vbe *b, struct vbe_queue *q, struct vbe_seg *segs,
		     unsigned int max, uint16_t *head);
static void blkfz_push(struct vbe *b, struct vbe_queue *q, uint16_t head,
		       uint32_t len);

#undef stderr
#define stderr fuzz_stderr
#define main blk_main
#define vbe_pending fuzz_pending
#define vbe_pop blkfz_pop
#define vbe_push blkfz_push

#include "virtio-ivshmem-block.c"

/* from here on, the real functions */
#undef main
#undef vbe_pending
#undef vbe_pop
#undef vbe_push

#define IMG_MAX_SECTORS		64
#define IMG_MAX			(IMG_MAX_SECTORS * SECTOR_SIZE)
/* readable bytes kept per request: header and data up to 64 KiB */
#define RD_MAX			(BLK_HDR_SIZE + (64u << 10))

static struct blk k;
static int img_fd = -1;
static uint64_t img_size, base_features;
static uint8_t img_before[IMG_MAX], img_now[IMG_MAX];

/* The chain being served, as popped */
static struct {
	struct vbe_seg segs[VBE_MAX_QUEUE_SIZE];
	int n;
	uint64_t rlen, wlen;
	uint8_t rd[RD_MAX];	/* the readable bytes, up to RD_MAX */
} req;

static void img_read(uint8_t *p)
{
	fuzz_check(pread(img_fd, p, img_size, 0) == (ssize_t)img_size,
		   "image read");
}

static int blkfz_pop(struct vbe *b, struct vbe_queue *q, struct vbe_seg *segs,
		     unsigned int max, uint16_t *head)
{
	uint64_t pos = 0;
	uint32_t c;
	int i, n;

	n = fuzz_pop(b, q, segs, max, head);
	req.n = n > 0 ? n : 0;
	req.rlen = 0;
	req.wlen = 0;
	for (i = 0; i < req.n; i++) {
		req.segs[i] = segs[i];
		if (segs[i].writable) {
			req.wlen += segs[i].len;
			continue;
		}
		req.rlen += segs[i].len;
		c = pos >= RD_MAX ? 0 : RD_MAX - pos;
		if (c > segs[i].len)
			c = segs[i].len;
		memcpy(req.rd + pos, b->shm + segs[i].off, c);
		pos += c;
	}
	img_read(img_before);
	return n;
}

static uint64_t le(const uint8_t *p, unsigned int bytes)
{
	uint64_t v = 0;

	while (bytes--)
		v = v << 8 | p[bytes];
	return v;
}

/* The chain's last writable byte, as blk_set_status() finds it */
static bool status_byte(uint64_t *off)
{
	int i;

	for (i = req.n - 1; i >= 0 && req.segs[i].writable; i--) {
		if (req.segs[i].len) {
			*off = req.segs[i].off + req.segs[i].len - 1;
			return true;
		}
	}
	return false;
}

static bool overlap(const struct vbe_seg *x, const struct vbe_seg *y)
{
	return x->off < y->off + y->len && y->off < x->off + x->len;
}

/* Do the writable segments overlap each other? */
static bool writable_overlap(void)
{
	int i, j;

	for (i = 0; i < req.n; i++)
		for (j = i + 1; j < req.n; j++)
			if (req.segs[i].writable && req.segs[j].writable &&
			    overlap(&req.segs[i], &req.segs[j]))
				return true;
	return false;
}

/* The first @len writable bytes of the chain equal @p */
static bool writable_equal(struct vbe *b, const uint8_t *p, uint64_t len)
{
	uint64_t c;
	int i;

	for (i = 0; i < req.n && len; i++) {
		if (!req.segs[i].writable)
			continue;
		c = req.segs[i].len < len ? req.segs[i].len : len;
		if (memcmp(b->shm + req.segs[i].off, p, c))
			return false;
		p += c;
		len -= c;
	}
	return !len;
}

/* Image bytes [a, e) may have changed: a discard segment covers them */
static bool discarded(uint64_t a, uint64_t e)
{
	uint64_t dlen = req.rlen - BLK_HDR_SIZE, i, s, num;

	for (i = 0; i + BLK_DISCARD_SEG_SIZE <= dlen &&
	     BLK_HDR_SIZE + i + BLK_DISCARD_SEG_SIZE <= RD_MAX;
	     i += BLK_DISCARD_SEG_SIZE) {
		s = le(req.rd + BLK_HDR_SIZE + i, 8) << SECTOR_SHIFT;
		num = le(req.rd + BLK_HDR_SIZE + i + 8, 4) << SECTOR_SHIFT;
		if (a >= s && e <= s + num)
			return true;
	}
	return false;
}

static void check_request(struct vbe *b, uint32_t written)
{
	uint64_t type = ~0ULL, sector = 0, dlen, pos, o, st_off;
	bool has_status = status_byte(&st_off);
	struct stat sb;
	uint8_t st;

	fuzz_check(!fstat(img_fd, &sb) && (uint64_t)sb.st_size == img_size,
		   "image size changed");
	img_read(img_now);
	if (!req.n || !has_status) {
		fuzz_check(!written, "%u bytes written without a status byte",
			   written);
		fuzz_check(!memcmp(img_before, img_now, img_size),
			   "image changed by a request without status byte");
		return;
	}
	st = b->shm[st_off];
	fuzz_check(st == VIRTIO_BLK_S_OK || st == VIRTIO_BLK_S_IOERR ||
		   st == VIRTIO_BLK_S_UNSUPP, "status %u", st);
	if (req.rlen >= BLK_HDR_SIZE) {
		type = le(req.rd, 4);
		sector = le(req.rd + 8, 8);
	}
	dlen = req.rlen >= BLK_HDR_SIZE ? req.rlen - BLK_HDR_SIZE : 0;
	pos = sector << SECTOR_SHIFT;

	if (st != VIRTIO_BLK_S_OK || k.ro ||
	    (type != VIRTIO_BLK_T_OUT && type != VIRTIO_BLK_T_DISCARD))
		fuzz_check(!memcmp(img_before, img_now, img_size),
			   "image changed by request type %llu, status %u",
			   (unsigned long long)type, st);
	if (st != VIRTIO_BLK_S_OK) {
		fuzz_check(written == 1, "failed request wrote %u bytes",
			   written);
		return;
	}

	switch (type) {
	case VIRTIO_BLK_T_IN:
		dlen = req.wlen - 1;
		fuzz_check(req.rlen == BLK_HDR_SIZE && !(dlen % SECTOR_SIZE) &&
			   sector <= k.sectors &&
			   dlen / SECTOR_SIZE <= k.sectors - sector,
			   "read of %llu bytes at sector %llu answered OK",
			   (unsigned long long)dlen,
			   (unsigned long long)sector);
		fuzz_check(written == req.wlen, "read wrote %u of %llu bytes",
			   written, (unsigned long long)req.wlen);
		fuzz_check(writable_overlap() ||
			   writable_equal(b, img_before + pos, dlen),
			   "read returned other bytes than the image's");
		break;
	case VIRTIO_BLK_T_OUT:
		fuzz_check(!k.ro && req.wlen == 1 && !(dlen % SECTOR_SIZE) &&
			   sector <= k.sectors &&
			   dlen / SECTOR_SIZE <= k.sectors - sector,
			   "write of %llu bytes at sector %llu answered OK",
			   (unsigned long long)dlen,
			   (unsigned long long)sector);
		fuzz_check(written == 1, "write reported %u bytes", written);
		for (o = 0; o < img_size; o++) {
			if (o >= pos && o < pos + dlen)
				fuzz_check(BLK_HDR_SIZE + o - pos >= RD_MAX ||
					   img_now[o] ==
					   req.rd[BLK_HDR_SIZE + o - pos],
					   "image byte 0x%llx is not the data",
					   (unsigned long long)o);
			else
				fuzz_check(img_now[o] == img_before[o],
					   "image byte 0x%llx outside the write changed",
					   (unsigned long long)o);
		}
		break;
	case VIRTIO_BLK_T_DISCARD:
		fuzz_check(!k.ro && k.discard, "discard answered OK");
		for (o = 0; o < img_size; o++)
			fuzz_check(img_now[o] == img_before[o] ||
				   (!img_now[o] && discarded(o, o + 1)),
				   "image byte 0x%llx outside the discard changed",
				   (unsigned long long)o);
		break;
	case VIRTIO_BLK_T_FLUSH:
	case VIRTIO_BLK_T_GET_ID:
		break;
	default:
		fuzz_check(0, "request type %llu answered OK",
			   (unsigned long long)type);
	}
}

static void blkfz_push(struct vbe *b, struct vbe_queue *q, uint16_t head,
		       uint32_t len)
{
	check_request(b, len);
	fuzz_push(b, q, head, len);
}

static void block_start(struct vbe *b, struct fuzz_in *in)
{
	uint8_t sectors = 1 + fuzz_u8(in) % IMG_MAX_SECTORS;
	uint8_t flags = fuzz_u8(in);
	uint64_t i;

	if (img_fd < 0) {
		img_fd = memfd_create("fuzz-block-image", 0);
		base_features = blk_device.features;
	}
	fuzz_check(img_fd >= 0, "memfd");
	img_size = (uint64_t)sectors * SECTOR_SIZE;
	for (i = 0; i < img_size; i++)
		img_before[i] = i * 7 + i / SECTOR_SIZE;
	fuzz_check(!ftruncate(img_fd, 0) && !ftruncate(img_fd, img_size) &&
		   pwrite(img_fd, img_before, img_size, 0) ==
		   (ssize_t)img_size, "image set-up");
	blk_device.features = base_features;
	fuzz_check(!blk_init(&k, img_fd, flags & 1, flags & 2, "fuzz-serial"),
		   "blk_init");
	b->priv = &k;
}

static const struct fuzz_target target = {
	.vdev = &blk_device,
	.sync = true,
	.start = block_start,
};

int fuzz_one_input(const uint8_t *data, size_t size)
{
	return fuzz_run(&target, data, size);
}
