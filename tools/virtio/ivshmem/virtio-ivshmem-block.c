// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-ivshmem-block: virtio block back-end for virtio over IVSHMEM
 * (protocol C002h) on a uio_ivshmem device. The disk is an image file or a
 * block device; requests IN, OUT, FLUSH, GET_ID and DISCARD are served.
 *
 * The front-end is not trusted: every offset, length and descriptor chain
 * it writes into the shared memory is read once and checked. A request that
 * fails a check is answered with VIRTIO_BLK_S_IOERR (VIRTIO_BLK_S_UNSUPP for
 * an unknown type), counted, and never touches the image. Data moves
 * between the image and the shared memory with one preadv()/pwritev() per
 * request (see blk_rw()). The back-end can be stopped and restarted at
 * any time; on SIGTERM it first completes what the front-end submitted.
 * See Documentation/virtio/ivshmem.rst.
 */
#define _GNU_SOURCE	/* fallocate() */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"

#define VIRTIO_ID_BLOCK		2

/* feature bits */
#define VIRTIO_BLK_F_SIZE_MAX	1
#define VIRTIO_BLK_F_SEG_MAX	2
#define VIRTIO_BLK_F_RO		5
#define VIRTIO_BLK_F_BLK_SIZE	6
#define VIRTIO_BLK_F_FLUSH	9
#define VIRTIO_BLK_F_DISCARD	13

/* struct virtio_blk_config, offsets from VBE_H_CONFIG */
#define BLK_C_CAPACITY		0	/* le64 */
#define BLK_C_SIZE_MAX		8	/* le32 */
#define BLK_C_SEG_MAX		12	/* le32 */
#define BLK_C_BLK_SIZE		20	/* le32 */
#define BLK_C_MAX_DISCARD_SECTORS 36	/* le32 */
#define BLK_C_MAX_DISCARD_SEG	40	/* le32 */
#define BLK_C_DISCARD_ALIGNMENT	44	/* le32, sectors */
/* up to the write zeroes fields, which are not offered */
#define BLK_CONFIG_SIZE		60

/* request types */
#define VIRTIO_BLK_T_IN		0
#define VIRTIO_BLK_T_OUT	1
#define VIRTIO_BLK_T_FLUSH	4
#define VIRTIO_BLK_T_GET_ID	8
#define VIRTIO_BLK_T_DISCARD	11

/* status byte */
#define VIRTIO_BLK_S_OK		0
#define VIRTIO_BLK_S_IOERR	1
#define VIRTIO_BLK_S_UNSUPP	2

#define SECTOR_SHIFT		9
#define SECTOR_SIZE		512u
#define BLK_HDR_SIZE		16	/* struct virtio_blk_outhdr */
#define BLK_ID_BYTES		20
/* struct virtio_blk_discard_write_zeroes */
#define BLK_DISCARD_SEG_SIZE	16
#define BLK_MAX_DISCARD_SEG	16
#define BLK_MAX_DISCARD_SECTORS	0x400000u	/* 2 GiB per segment */
#define BLK_MAX_SEGMENT		(64u << 10)
/* on SIGTERM: serve normally this long, then fail what still comes */
#define BLK_DRAIN_SERVE_MS	1000

#define Q_REQ			0

struct blk_stats {
	unsigned long in, out, flush, get_id, discard;
	unsigned long long bytes_in, bytes_out;
	unsigned long io_errors;	/* the image failed a request */
	unsigned long stopped;		/* failed while stopping */
};

/* The device's state, b->priv */
struct blk {
	int fd;			/* the image */
	bool ro;		/* VIRTIO_BLK_F_RO: OUT and DISCARD fail */
	bool discard;		/* VIRTIO_BLK_F_DISCARD offered */
	uint64_t sectors;	/* capacity */
	uint32_t seg_max;	/* data segments per request, offered */
	uint32_t size_max;	/* bytes per segment, offered */
	uint64_t max_data;	/* data bytes per request: seg_max * size_max */
	char id[BLK_ID_BYTES];	/* GET_ID answer, zero padded */
	uint64_t stop_ms;	/* when stopping was first seen, 0 before */
	struct blk_stats st;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool negotiated(const struct vbe *b, unsigned int bit)
{
	return b->driver_features[bit / 32] & (1u << (bit % 32));
}

/* The request is bad: count it, say why, answer @status */
static uint8_t blk_bad(struct vbe *b, const char *what, uint64_t v,
		       uint8_t status)
{
	vbe_reject(b, what, v);
	return status;
}

/* The image failed: not the front-end's fault, but an error for it */
static uint8_t blk_io_error(struct vbe *b, const char *op, uint64_t sector)
{
	struct blk *k = b->priv;

	k->st.io_errors++;
	fprintf(stderr, "%s: %s at sector %llu: %s\n", b->vdev->name, op,
		(unsigned long long)sector, strerror(errno));
	return VIRTIO_BLK_S_IOERR;
}

/* [@sector, + @len bytes) inside the disk; @len a multiple of a sector */
static bool blk_range_ok(const struct blk *k, uint64_t sector, uint64_t len)
{
	return sector <= k->sectors &&
	       (len >> SECTOR_SHIFT) <= k->sectors - sector;
}

/*
 * Moves @len bytes between the disk at byte @pos and the segments of one
 * direction (@writable: read the disk into the device-writable ones, else
 * write the device-readable ones to it), skipping @skip bytes of them: one
 * preadv()/pwritev() straight on the shared memory, no copy.
 *
 * That is safe for data: the back-end only moves these bytes, it never
 * looks at them, so nothing the front-end stores there meanwhile changes
 * what was checked (the header, lengths, sectors and discard ranges are
 * private copies). A front-end that changes a buffer it submitted gets
 * undefined data in those sectors, as from a real disk's DMA, and only in
 * the range it was allowed to write anyway. The kernel copies from the
 * mapping; the image is not opened O_DIRECT, which would pin pages of the
 * uio mapping and fail.
 */
static int blk_rw(struct vbe *b, const struct vbe_seg *s, int n,
		  bool writable, uint64_t skip, uint64_t pos, uint64_t len)
{
	struct iovec iov[VBE_MAX_QUEUE_SIZE], *v = iov;
	struct blk *k = b->priv;
	int i, cnt = 0;
	uint64_t c;
	ssize_t r;

	for (i = 0; i < n && len && cnt < VBE_MAX_QUEUE_SIZE; i++) {
		if (s[i].writable != writable)
			continue;
		if (skip >= s[i].len) {
			skip -= s[i].len;
			continue;
		}
		c = s[i].len - skip;
		if (c > len)
			c = len;
		iov[cnt].iov_base = b->shm + s[i].off + skip;
		iov[cnt++].iov_len = c;
		len -= c;
		skip = 0;
	}
	if (len) {
		errno = EINVAL;	/* checked by the caller: cannot happen */
		return -1;
	}
	while (cnt) {
		if (writable)
			r = preadv(k->fd, v, cnt, pos);
		else
			r = pwritev(k->fd, v, cnt, pos);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (!r)
				errno = EIO;	/* the image shrank */
			return -1;
		}
		pos += r;
		while (cnt && (size_t)r >= v->iov_len) {
			r -= v->iov_len;
			v++;
			cnt--;
		}
		if (cnt) {
			v->iov_base = (uint8_t *)v->iov_base + r;
			v->iov_len -= r;
		}
	}
	return 0;
}

static uint8_t blk_discard(struct vbe *b, const struct vbe_seg *s, int n,
			   uint64_t rlen, uint64_t wlen)
{
	uint8_t raw[BLK_MAX_DISCARD_SEG * BLK_DISCARD_SEG_SIZE];
	uint64_t sector[BLK_MAX_DISCARD_SEG];
	uint32_t num[BLK_MAX_DISCARD_SEG], flags, v32;
	struct blk *k = b->priv;
	uint64_t dlen = rlen - BLK_HDR_SIZE, v64;
	unsigned int nseg, i;

	if (!k->discard || !negotiated(b, VIRTIO_BLK_F_DISCARD))
		return blk_bad(b, "discard not negotiated", 0,
			       VIRTIO_BLK_S_UNSUPP);
	if (k->ro)
		return blk_bad(b, "discard on a read-only disk", 0,
			       VIRTIO_BLK_S_IOERR);
	if (wlen != 1 || !dlen || dlen % BLK_DISCARD_SEG_SIZE ||
	    dlen / BLK_DISCARD_SEG_SIZE > BLK_MAX_DISCARD_SEG)
		return blk_bad(b, "discard layout", dlen, VIRTIO_BLK_S_IOERR);
	nseg = dlen / BLK_DISCARD_SEG_SIZE;
	if (vbe_copy_from(b, raw, s, n, BLK_HDR_SIZE, dlen) != dlen)
		return blk_bad(b, "discard segments", dlen, VIRTIO_BLK_S_IOERR);
	/* check every segment of the private copy before punching any */
	for (i = 0; i < nseg; i++) {
		memcpy(&v64, raw + i * BLK_DISCARD_SEG_SIZE, 8);
		sector[i] = le64toh(v64);
		memcpy(&v32, raw + i * BLK_DISCARD_SEG_SIZE + 8, 4);
		num[i] = le32toh(v32);
		memcpy(&v32, raw + i * BLK_DISCARD_SEG_SIZE + 12, 4);
		flags = le32toh(v32);
		if (flags)
			return blk_bad(b, "discard flags", flags,
				       VIRTIO_BLK_S_UNSUPP);
		if (num[i] > BLK_MAX_DISCARD_SECTORS ||
		    !blk_range_ok(k, sector[i],
				  (uint64_t)num[i] << SECTOR_SHIFT))
			return blk_bad(b, "discard beyond the disk", sector[i],
				       VIRTIO_BLK_S_IOERR);
	}
	for (i = 0; i < nseg; i++) {
		if (!num[i])
			continue;
		if (fallocate(k->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			      sector[i] << SECTOR_SHIFT,
			      (uint64_t)num[i] << SECTOR_SHIFT)) {
			if (errno == EOPNOTSUPP)
				return VIRTIO_BLK_S_UNSUPP;
			return blk_io_error(b, "discard", sector[i]);
		}
	}
	k->st.discard++;
	return VIRTIO_BLK_S_OK;
}

/* Stores @status into the last writable byte of the chain, if any */
static bool blk_set_status(struct vbe *b, const struct vbe_seg *s, int n,
			   uint8_t status)
{
	int i;

	for (i = n - 1; i >= 0; i--) {
		if (!s[i].writable)
			return false;
		if (s[i].len) {
			vbe_wr8(b, s[i].off + s[i].len - 1, status);
			return true;
		}
	}
	return false;
}

/*
 * Serves one request: the @n segments of one descriptor chain, already
 * checked to lie in the section (vbe_pop()). Checks the request, performs
 * it, stores its status into the chain's status byte (the last writable
 * byte) and returns it; *@written gets the bytes written into the chain.
 * The image is touched only by a request that passed every check. A chain
 * without a status byte gets *@written = 0 and no answer.
 *
 * Layout (any framing of the bytes into descriptors): readable bytes =
 * 16-byte header (le32 type, le32 reserved, le64 sector) + data for OUT
 * or discard segments; writable bytes = data for IN or the ID + status.
 */
static uint8_t blk_request(struct vbe *b, const struct vbe_seg *segs, int n,
			   uint32_t *written)
{
	struct blk *k = b->priv;
	uint64_t rlen = 0, wlen = 0, dlen, sector;
	uint8_t hdr[BLK_HDR_SIZE], st = VIRTIO_BLK_S_IOERR;
	bool seen_writable = false;
	uint32_t type, v32;
	uint64_t v64;
	int i;

	*written = 0;
	for (i = 0; i < n; i++) {
		if (!segs[i].writable && seen_writable)
			break;
		if (segs[i].writable)
			wlen += segs[i].len;
		else
			rlen += segs[i].len;
		seen_writable |= segs[i].writable;
	}
	if (i < n) {
		/* vbe_pop() refuses these; the order defines the streams */
		vbe_reject(b, "readable after writable buffer", i);
		return VIRTIO_BLK_S_IOERR;
	}
	if (!wlen) {
		vbe_reject(b, "no status byte", n);
		return VIRTIO_BLK_S_IOERR;
	}
	/* the data must be small enough for the 32-bit lengths below */
	if (rlen > BLK_HDR_SIZE + k->max_data || wlen > k->max_data + 1) {
		st = blk_bad(b, "request longer than seg_max * size_max",
			     rlen > wlen ? rlen : wlen, VIRTIO_BLK_S_IOERR);
		goto out;
	}
	if (rlen < BLK_HDR_SIZE) {
		st = blk_bad(b, "header shorter than 16 bytes", rlen,
			     VIRTIO_BLK_S_IOERR);
		goto out;
	}
	/* one private copy of the header; only the copy is used */
	vbe_copy_from(b, hdr, segs, n, 0, BLK_HDR_SIZE);
	memcpy(&v32, hdr, 4);
	type = le32toh(v32);
	memcpy(&v64, hdr + 8, 8);
	sector = le64toh(v64);

	switch (type) {
	case VIRTIO_BLK_T_IN:
		dlen = wlen - 1;
		if (rlen != BLK_HDR_SIZE || dlen % SECTOR_SIZE) {
			st = blk_bad(b, "read layout", dlen,
				     VIRTIO_BLK_S_IOERR);
			break;
		}
		if (!blk_range_ok(k, sector, dlen)) {
			st = blk_bad(b, "read beyond the disk", sector,
				     VIRTIO_BLK_S_IOERR);
			break;
		}
		if (blk_rw(b, segs, n, true, 0, sector << SECTOR_SHIFT,
			   dlen)) {
			st = blk_io_error(b, "read", sector);
			break;
		}
		k->st.in++;
		k->st.bytes_in += dlen;
		*written = dlen;
		st = VIRTIO_BLK_S_OK;
		break;
	case VIRTIO_BLK_T_OUT:
		dlen = rlen - BLK_HDR_SIZE;
		if (k->ro) {
			st = blk_bad(b, "write to a read-only disk", sector,
				     VIRTIO_BLK_S_IOERR);
			break;
		}
		if (wlen != 1 || dlen % SECTOR_SIZE) {
			st = blk_bad(b, "write layout", dlen,
				     VIRTIO_BLK_S_IOERR);
			break;
		}
		if (!blk_range_ok(k, sector, dlen)) {
			st = blk_bad(b, "write beyond the disk", sector,
				     VIRTIO_BLK_S_IOERR);
			break;
		}
		if (blk_rw(b, segs, n, false, BLK_HDR_SIZE,
			   sector << SECTOR_SHIFT, dlen)) {
			st = blk_io_error(b, "write", sector);
			break;
		}
		k->st.out++;
		k->st.bytes_out += dlen;
		st = VIRTIO_BLK_S_OK;
		break;
	case VIRTIO_BLK_T_FLUSH:
		if (rlen != BLK_HDR_SIZE || wlen != 1) {
			st = blk_bad(b, "flush layout", rlen,
				     VIRTIO_BLK_S_IOERR);
			break;
		}
		if (fdatasync(k->fd) && errno != EINVAL && errno != EROFS) {
			st = blk_io_error(b, "flush", 0);
			break;
		}
		k->st.flush++;
		st = VIRTIO_BLK_S_OK;
		break;
	case VIRTIO_BLK_T_GET_ID:
		if (rlen != BLK_HDR_SIZE) {
			st = blk_bad(b, "get ID layout", rlen,
				     VIRTIO_BLK_S_IOERR);
			break;
		}
		dlen = wlen - 1 < BLK_ID_BYTES ? wlen - 1 : BLK_ID_BYTES;
		*written = vbe_copy_to(b, segs, n, 0, k->id, dlen);
		k->st.get_id++;
		st = VIRTIO_BLK_S_OK;
		break;
	case VIRTIO_BLK_T_DISCARD:
		st = blk_discard(b, segs, n, rlen, wlen);
		break;
	default:
		st = blk_bad(b, "request type", type, VIRTIO_BLK_S_UNSUPP);
		break;
	}
out:
	if (blk_set_status(b, segs, n, st))
		*written += 1;
	else
		*written = 0;
	return st;
}

/* A request that comes in while the back-end stops, after the grace time */
static void blk_fail(struct vbe *b, const struct vbe_seg *segs, int n,
		     uint32_t *written)
{
	struct blk *k = b->priv;

	k->st.stopped++;
	*written = blk_set_status(b, segs, n, VIRTIO_BLK_S_IOERR);
}

static bool blk_serve(struct vbe *b)
{
	struct vbe_queue *q = &b->q[Q_REQ];
	struct vbe_seg segs[VBE_MAX_QUEUE_SIZE];
	struct blk *k = b->priv;
	bool did = false, fail = false;
	uint32_t written;
	uint16_t head;
	int pending, n;

	if (!q->enabled)
		return false;
	if (vbe_stopping()) {
		if (!k->stop_ms)
			k->stop_ms = now_ms();
		fail = now_ms() - k->stop_ms >= BLK_DRAIN_SERVE_MS;
	}
	pending = vbe_pending(b, q);
	if (pending < 0) {
		vbe_needs_reset(b, "request avail index");
		return false;
	}
	while (pending--) {
		n = vbe_pop(b, q, segs, VBE_MAX_QUEUE_SIZE, &head);
		if (n < 0) {
			vbe_needs_reset(b, "request avail entry");
			break;
		}
		written = 0;
		if (n && fail)
			blk_fail(b, segs, n, &written);
		else if (n)
			blk_request(b, segs, n, &written);
		vbe_push(b, q, head, written);
		/* each request at once: the front-end goes on meanwhile */
		vbe_notify(b, q);
		did = true;
	}
	return did;
}

static void blk_init_config(struct vbe *b)
{
	struct blk *k = b->priv;
	uint64_t budget;
	uint32_t s;

	/*
	 * The front-end bounces every segment into the section, rounded up
	 * to a power of two: one request of seg_max segments of size_max
	 * bytes must fit in half of it, or it would wait for room forever.
	 * Segments are at least a page; a request also needs a header and
	 * a status descriptor in the ring.
	 */
	budget = b->shm_size / 2;
	k->seg_max = b->qsize > 2 ? b->qsize - 2 : 1;
	if ((uint64_t)k->seg_max * 4096 > budget)
		k->seg_max = budget / 4096 ? budget / 4096 : 1;
	for (s = BLK_MAX_SEGMENT; s > 4096 && (uint64_t)s * k->seg_max > budget;
	     s /= 2)
		;
	k->size_max = s;
	k->max_data = (uint64_t)k->seg_max * k->size_max;

	/* 4Ch is not 8-byte aligned: the capacity as two le32 halves */
	vbe_wr32(b, VBE_H_CONFIG + BLK_C_CAPACITY, (uint32_t)k->sectors);
	vbe_wr32(b, VBE_H_CONFIG + BLK_C_CAPACITY + 4, k->sectors >> 32);
	vbe_wr32(b, VBE_H_CONFIG + BLK_C_SIZE_MAX, k->size_max);
	vbe_wr32(b, VBE_H_CONFIG + BLK_C_SEG_MAX, k->seg_max);
	vbe_wr32(b, VBE_H_CONFIG + BLK_C_BLK_SIZE, SECTOR_SIZE);
	if (k->discard) {
		vbe_wr32(b, VBE_H_CONFIG + BLK_C_MAX_DISCARD_SECTORS,
			 BLK_MAX_DISCARD_SECTORS);
		vbe_wr32(b, VBE_H_CONFIG + BLK_C_MAX_DISCARD_SEG,
			 BLK_MAX_DISCARD_SEG);
		vbe_wr32(b, VBE_H_CONFIG + BLK_C_DISCARD_ALIGNMENT,
			 4096 / SECTOR_SIZE);
	}
	vbe_log(b, "%llu sectors, seg_max %u, size_max %u%s%s\n",
		(unsigned long long)k->sectors, k->seg_max, k->size_max,
		k->ro ? ", read-only" : "", k->discard ? ", discard" : "");
}

static struct vbe_device blk_device = {
	.name = "virtio-ivshmem-block",
	.id = VIRTIO_ID_BLOCK,
	.features = 1ULL << VIRTIO_BLK_F_SIZE_MAX |
		    1ULL << VIRTIO_BLK_F_SEG_MAX |
		    1ULL << VIRTIO_BLK_F_BLK_SIZE |
		    1ULL << VIRTIO_BLK_F_FLUSH,
	.nqueues = 1,
	/* as QEMU's virtio-blk: 256 entries, up to 254 data segments */
	.default_qsize = 256,
	.config_size = BLK_CONFIG_SIZE,
	.init_config = blk_init_config,
	.serve = blk_serve,
	/* let the front-end's requests complete before leaving READY */
	.drain_ms = 10000,
};

/*
 * Sets up @k for the image @fd: capacity and ID. The
 * feature set of blk_device follows @ro and @discard. 0 or -1.
 */
static int blk_init(struct blk *k, int fd, bool ro, bool discard,
		    const char *serial)
{
	struct stat sb;
	uint64_t size;

	memset(k, 0, sizeof(*k));
	k->fd = fd;
	k->ro = ro;
	k->discard = discard && !ro;
	if (fstat(fd, &sb))
		return -1;
	if (S_ISBLK(sb.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &size))
			return -1;
	} else {
		size = sb.st_size;
	}
	k->sectors = size >> SECTOR_SHIFT;
	/* the ID is zero padded, without a terminator at 20 bytes */
	memcpy(k->id, serial, strnlen(serial, sizeof(k->id)));
	if (k->ro)
		blk_device.features |= 1ULL << VIRTIO_BLK_F_RO;
	if (k->discard)
		blk_device.features |= 1ULL << VIRTIO_BLK_F_DISCARD;
	return 0;
}

static void print_usage(void)
{
	fprintf(stderr,
		"usage: virtio-ivshmem-block -f IMAGE [-d DEVICE] [-r] [-D] [-s SERIAL] [-q SIZE] [-v]\n"
		"  -f IMAGE   disk image file or block device\n"
		"  -d DEVICE  uio_ivshmem device (uioN, PCI address or protocol=0x...),\n"
		"             default protocol=0xc002\n"
		"  -r         read-only disk (VIRTIO_BLK_F_RO)\n"
		"  -D         no discard (VIRTIO_BLK_F_DISCARD)\n"
		"  -s SERIAL  answer to GET_ID, up to %u bytes (default ivshmem-blk)\n"
		"  -q SIZE    queue size, a power of 2 up to %u (default 256)\n"
		"  -v         log to stderr\n",
		BLK_ID_BYTES, VBE_MAX_QUEUE_SIZE);
	exit(2);
}

int main(int argc, char **argv)
{
	static struct vbe be = { .wait_fd = -1 };
	const char *spec = NULL, *image = NULL, *serial = "ivshmem-blk";
	bool ro = false, discard = true;
	struct vbe *b = &be;
	static struct blk k;
	int opt, fd, ret;

	while ((opt = getopt(argc, argv, "d:f:rDs:q:vh")) != -1) {
		switch (opt) {
		case 'd':
			spec = optarg;
			break;
		case 'f':
			image = optarg;
			break;
		case 'r':
			ro = true;
			break;
		case 'D':
			discard = false;
			break;
		case 's':
			if (strlen(optarg) > BLK_ID_BYTES)
				print_usage();
			serial = optarg;
			break;
		case 'q':
			if (vbe_parse_qsize(b, optarg))
				print_usage();
			break;
		case 'v':
			b->verbose = 1;
			break;
		default:
			print_usage();
		}
	}
	if (!image || optind != argc)
		print_usage();

	fd = open(image, ro ? O_RDONLY : O_RDWR);
	if (fd < 0) {
		perror(image);
		return 1;
	}
	if (blk_init(&k, fd, ro, discard, serial)) {
		perror(image);
		return 1;
	}
	if (!k.sectors) {
		fprintf(stderr, "%s: %s: smaller than a sector\n",
			blk_device.name, image);
		return 1;
	}
	b->priv = &k;
	if (vbe_open(b, &blk_device, spec))
		return 1;
	ret = vbe_run(b);
	fprintf(stderr,
		"%s: in %lu (%llu bytes), out %lu (%llu bytes), flush %lu, get_id %lu, discard %lu, I/O errors %lu, failed while stopping %lu, bad requests %lu\n",
		blk_device.name, k.st.in, k.st.bytes_in, k.st.out,
		k.st.bytes_out, k.st.flush, k.st.get_id, k.st.discard,
		k.st.io_errors, k.st.stopped, b->bad_requests);
	close(fd);
	return ret;
}
