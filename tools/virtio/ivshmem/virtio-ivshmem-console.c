// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-ivshmem-console: virtio console back-end for virtio over IVSHMEM
 * (protocol C003h) on a uio_ivshmem device. Bytes read from the input (stdin
 * or -i FILE) go to the front-end's receive queue, bytes the front-end
 * transmits go to the output (stdout or -o FILE).
 *
 * The front-end is not trusted: every offset, length, index and descriptor
 * chain it writes into the shared memory is read once and checked; a bad
 * request is returned unprocessed, a broken ring sets DEVICE_NEEDS_RESET.
 * The back-end can be stopped and restarted at any time; the front-end then
 * removes and re-creates its virtio device. See
 * Documentation/virtio/ivshmem.rst.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "libivshmem.h"

#define STATE_RESET		0
#define STATE_READY		1

#define VIRTIO_ID_CONSOLE	3
#define PROTO_BACK_CONSOLE	(0xc000 | VIRTIO_ID_CONSOLE)

#define F_CONSOLE_SIZE		0
#define F_VERSION_1		32
#define F_ACCESS_PLATFORM	33
#define F_ORDER_PLATFORM	36
#define OFFERED	((1ULL << F_CONSOLE_SIZE) | (1ULL << F_VERSION_1) | \
		 (1ULL << F_ACCESS_PLATFORM) | (1ULL << F_ORDER_PLATFORM))

#define S_ACKNOWLEDGE		1
#define S_DRIVER		2
#define S_DRIVER_OK		4
#define S_FEATURES_OK		8
#define S_NEEDS_RESET		64

/* header field offsets */
#define H_REVISION		0x00
#define H_SIZE			0x04
#define H_WRITE_TRANSACTION	0x08
#define H_DEVICE_FEATURES	0x0c
#define H_DEVICE_FEATURES_SEL	0x10
#define H_DRIVER_FEATURES	0x14
#define H_DRIVER_FEATURES_SEL	0x18
#define H_QUEUE_SEL		0x1c
#define H_QUEUE_SIZE		0x20
#define H_QUEUE_DEVICE_VECTOR	0x22
#define H_QUEUE_DRIVER_VECTOR	0x24
#define H_QUEUE_ENABLE		0x26
#define H_QUEUE_DESC		0x28
#define H_QUEUE_DRIVER		0x30
#define H_QUEUE_DEVICE		0x38
#define H_CONFIG_EVENT		0x40
#define H_QUEUE_EVENT		0x41
#define H_DEVICE_STATUS		0x44
#define H_CONFIG_GENERATION	0x48
#define H_CONFIG		0x4c
/* struct virtio_console_config: cols, rows, max_nr_ports, emerg_wr */
#define CONFIG_SIZE		12
#define HDR_SIZE		(H_CONFIG + CONFIG_SIZE)

#define DESC_F_NEXT		1
#define DESC_F_WRITE		2
#define DESC_F_INDIRECT		4

#define NQUEUES			2
#define Q_RX			0	/* front-end receives */
#define Q_TX			1	/* front-end transmits */
#define MAX_QUEUE_SIZE		256

struct queue {
	uint16_t size;		/* entries, power of 2 */
	uint16_t device_vector;	/* we receive kicks on it */
	uint16_t driver_vector;	/* we ring it for used buffers */
	bool enabled;
	uint64_t desc, avail, used;	/* section offsets, validated */
	uint16_t last_avail;	/* next avail entry to consume */
	uint16_t used_idx;	/* our copy of used->idx */
};

struct seg {
	uint64_t off;
	uint32_t len;
};

struct backend {
	struct ivshmem_dev dev;
	uint8_t *shm;		/* R/W section */
	uint64_t shm_size;
	unsigned int peer;
	unsigned int vectors;
	uint16_t default_qsize;
	uint32_t driver_features[2];
	uint32_t status;
	struct queue q[NQUEUES];
	int in_fd, out_fd;
	bool in_eof;
	uint8_t inbuf[65536];
	size_t in_len, in_pos;
	int verbose;
	unsigned long bad_requests;
};

static int stop_flag;

static void on_signal(int sig)
{
	__atomic_store_n(&stop_flag, 1, __ATOMIC_RELAXED);
}

static bool stopping(void)
{
	return __atomic_load_n(&stop_flag, __ATOMIC_RELAXED);
}

/* Little-endian accessors: one single access each, never torn or merged */
static uint16_t rd16(const struct backend *b, uint64_t off)
{
	return le16toh(__atomic_load_n((uint16_t *)(b->shm + off),
				       __ATOMIC_RELAXED));
}

static uint32_t rd32(const struct backend *b, uint64_t off)
{
	return le32toh(__atomic_load_n((uint32_t *)(b->shm + off),
				       __ATOMIC_RELAXED));
}

static uint64_t rd64(const struct backend *b, uint64_t off)
{
	return le64toh(__atomic_load_n((uint64_t *)(b->shm + off),
				       __ATOMIC_RELAXED));
}

static void wr8(struct backend *b, uint64_t off, uint8_t v)
{
	__atomic_store_n(b->shm + off, v, __ATOMIC_RELAXED);
}

static void wr16(struct backend *b, uint64_t off, uint16_t v)
{
	__atomic_store_n((uint16_t *)(b->shm + off), htole16(v),
			 __ATOMIC_RELAXED);
}

static void wr32(struct backend *b, uint64_t off, uint32_t v)
{
	__atomic_store_n((uint32_t *)(b->shm + off), htole32(v),
			 __ATOMIC_RELAXED);
}

static void wr64(struct backend *b, uint64_t off, uint64_t v)
{
	__atomic_store_n((uint64_t *)(b->shm + off), htole64(v),
			 __ATOMIC_RELAXED);
}

/* Fences; every use says which store or load of the peer it pairs with */
static void shm_rmb(void)
{
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
}

static void shm_wmb(void)
{
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static void shm_mb(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static void vlog(const struct backend *b, const char *fmt, ...)
{
	va_list ap;

	if (!b->verbose)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

static void reject(struct backend *b, const char *what, uint64_t v)
{
	b->bad_requests++;
	fprintf(stderr, "virtio-ivshmem-console: bad request: %s (0x%llx)\n",
		what, (unsigned long long)v);
}

/* [off, off + len) inside the section and outside the header */
static bool range_ok(const struct backend *b, uint64_t off, uint64_t len)
{
	return off >= HDR_SIZE && off <= b->shm_size &&
	       len <= b->shm_size - off;
}

static uint16_t default_device_vector(const struct backend *b, unsigned int q)
{
	if (b->vectors >= 1 + NQUEUES)
		return 1 + q;
	return b->vectors > 1 ? 1 : 0;
}

static void load_queue(struct backend *b, uint32_t sel)
{
	struct queue *q;

	if (sel >= NQUEUES) {
		wr16(b, H_QUEUE_SIZE, 0);
		wr16(b, H_QUEUE_DEVICE_VECTOR, 0);
		wr16(b, H_QUEUE_DRIVER_VECTOR, 0);
		wr16(b, H_QUEUE_ENABLE, 0);
		wr64(b, H_QUEUE_DESC, 0);
		wr64(b, H_QUEUE_DRIVER, 0);
		wr64(b, H_QUEUE_DEVICE, 0);
		return;
	}
	q = &b->q[sel];
	wr16(b, H_QUEUE_SIZE, q->size);
	wr16(b, H_QUEUE_DEVICE_VECTOR, q->device_vector);
	wr16(b, H_QUEUE_DRIVER_VECTOR, q->driver_vector);
	wr16(b, H_QUEUE_ENABLE, q->enabled);
	wr64(b, H_QUEUE_DESC, q->desc);
	wr64(b, H_QUEUE_DRIVER, q->avail);
	wr64(b, H_QUEUE_DEVICE, q->used);
}

static void reset_device(struct backend *b)
{
	unsigned int i;

	memset(b->driver_features, 0, sizeof(b->driver_features));
	b->status = 0;
	for (i = 0; i < NQUEUES; i++) {
		struct queue *q = &b->q[i];

		memset(q, 0, sizeof(*q));
		q->size = b->default_qsize;
		q->device_vector = default_device_vector(b, i);
	}
	wr32(b, H_DEVICE_STATUS, 0);
	wr32(b, H_QUEUE_SEL, 0);
	load_queue(b, 0);
}

static void needs_reset(struct backend *b, const char *why)
{
	fprintf(stderr, "virtio-ivshmem-console: device needs reset: %s\n",
		why);
	b->status |= S_NEEDS_RESET;
	wr32(b, H_DEVICE_STATUS, b->status);
	/* the status before the event; pairs with the front-end's mb */
	shm_wmb();
	wr8(b, H_CONFIG_EVENT, 1);
	ivshmem_doorbell(&b->dev, b->peer, 0);
}

static void enable_queue(struct backend *b, struct queue *q)
{
	uint64_t n = q->size;

	/* split ring layout: desc 16 * n, avail 6 + 2 * n, used 6 + 8 * n */
	if (!range_ok(b, q->desc, 16 * n) || q->desc % 16 ||
	    !range_ok(b, q->avail, 6 + 2 * n) || q->avail % 2 ||
	    !range_ok(b, q->used, 6 + 8 * n) || q->used % 4) {
		reject(b, "queue rings outside the section or misaligned",
		       q->desc);
		q->enabled = false;
		wr16(b, H_QUEUE_ENABLE, 0);
		return;
	}
	q->enabled = true;
	q->last_avail = 0;
	q->used_idx = 0;
}

static void apply_write(struct backend *b, uint32_t off)
{
	uint32_t sel = rd32(b, H_QUEUE_SEL);
	struct queue *q = sel < NQUEUES ? &b->q[sel] : NULL;
	uint32_t v32, fsel;
	uint16_t v16;

	switch (off) {
	case H_DEVICE_FEATURES_SEL:
		fsel = rd32(b, H_DEVICE_FEATURES_SEL);
		wr32(b, H_DEVICE_FEATURES, fsel == 0 ? (uint32_t)OFFERED :
			fsel == 1 ? (uint32_t)(OFFERED >> 32) : 0);
		break;
	case H_DRIVER_FEATURES:
		fsel = rd32(b, H_DRIVER_FEATURES_SEL);
		if (fsel < 2)
			b->driver_features[fsel] = rd32(b, H_DRIVER_FEATURES);
		break;
	case H_DRIVER_FEATURES_SEL:
		break;
	case H_QUEUE_SEL:
		load_queue(b, sel);
		break;
	case H_QUEUE_SIZE:
		v16 = rd16(b, H_QUEUE_SIZE);
		if (!q || q->enabled || !v16 || (v16 & (v16 - 1)) ||
		    v16 > b->default_qsize) {
			reject(b, "queue size", v16);
			if (q)
				wr16(b, H_QUEUE_SIZE, q->size);
			break;
		}
		q->size = v16;
		break;
	case H_QUEUE_DRIVER_VECTOR:
		v16 = rd16(b, H_QUEUE_DRIVER_VECTOR);
		if (!q || v16 >= b->vectors) {
			reject(b, "driver vector", v16);
			break;
		}
		q->driver_vector = v16;
		break;
	case H_QUEUE_DESC:
	case H_QUEUE_DRIVER:
	case H_QUEUE_DEVICE:
		if (!q || q->enabled) {
			reject(b, "ring address for no queue or enabled",
			       off);
			break;
		}
		if (off == H_QUEUE_DESC)
			q->desc = rd64(b, off);
		else if (off == H_QUEUE_DRIVER)
			q->avail = rd64(b, off);
		else
			q->used = rd64(b, off);
		break;
	case H_QUEUE_ENABLE:
		v16 = rd16(b, H_QUEUE_ENABLE);
		if (!q)
			break;
		if (v16 == 1 && !q->enabled)
			enable_queue(b, q);
		else if (!v16)
			q->enabled = false;
		break;
	case H_DEVICE_STATUS:
		v32 = rd32(b, H_DEVICE_STATUS) & 0xff;
		if (!v32) {
			vlog(b, "device reset\n");
			reset_device(b);
			break;
		}
		if ((v32 & S_FEATURES_OK) && !(b->status & S_FEATURES_OK)) {
			uint64_t f = b->driver_features[0] |
				     (uint64_t)b->driver_features[1] << 32;

			if ((f & ~OFFERED) ||
			    !(f & (1ULL << F_VERSION_1)) ||
			    !(f & (1ULL << F_ACCESS_PLATFORM))) {
				reject(b, "driver features", f);
				v32 &= ~S_FEATURES_OK;
			}
		}
		b->status = v32 | (b->status & S_NEEDS_RESET);
		wr32(b, H_DEVICE_STATUS, b->status);
		vlog(b, "status 0x%x\n", b->status);
		break;
	default:
		/* config (emerg_wr is not offered) and read-only fields */
		break;
	}
}

static void serve_write(struct backend *b)
{
	uint32_t off = rd32(b, H_WRITE_TRANSACTION);

	if (!off)
		return;
	/* the field after the transaction; pairs with the front-end's wmb */
	shm_rmb();
	apply_write(b, off);
	/* our answers before the acknowledgment */
	shm_wmb();
	wr32(b, H_WRITE_TRANSACTION, 0);
}

/*
 * Reads the chain starting at avail entry q->last_avail into @segs.
 * Returns the number of segments, 0 for a bad chain (the request fails),
 * -1 if the ring itself is broken. *@head gets the head index.
 */
static int read_chain(struct backend *b, struct queue *q, bool writable,
		      struct seg *segs, uint16_t *head)
{
	uint16_t idx, flags, next;
	uint64_t d;
	int n = 0;

	idx = rd16(b, q->avail + 4 + 2 * (q->last_avail & (q->size - 1)));
	if (idx >= q->size)
		return -1;
	*head = idx;
	for (;;) {
		if (n >= q->size) {
			reject(b, "descriptor loop", *head);
			return 0;
		}
		d = q->desc + 16ULL * idx;
		segs[n].off = rd64(b, d);
		segs[n].len = rd32(b, d + 8);
		flags = rd16(b, d + 12);
		next = rd16(b, d + 14);
		if (flags & DESC_F_INDIRECT) {
			reject(b, "indirect descriptor", idx);
			return 0;
		}
		if (!!(flags & DESC_F_WRITE) != writable) {
			reject(b, "descriptor direction", flags);
			return 0;
		}
		if (!range_ok(b, segs[n].off, segs[n].len)) {
			reject(b, "buffer outside the section", segs[n].off);
			return 0;
		}
		n++;
		if (!(flags & DESC_F_NEXT))
			return n;
		if (next >= q->size) {
			reject(b, "next index", next);
			return 0;
		}
		idx = next;
	}
}

static void push_used(struct backend *b, struct queue *q, uint16_t head,
		      uint32_t len)
{
	uint64_t e = q->used + 4 + 8ULL * (q->used_idx & (q->size - 1));

	wr32(b, e, head);
	wr32(b, e + 4, len);
	/* the element before the index; pairs with the front-end's rmb */
	shm_wmb();
	wr16(b, q->used + 2, ++q->used_idx);
}

static void notify_queue(struct backend *b, struct queue *q)
{
	wr8(b, H_QUEUE_EVENT, 1);
	/* the used ring and the event before the doorbell */
	shm_mb();
	ivshmem_doorbell(&b->dev, b->peer, q->driver_vector);
}

/* Pending avail entries, -1 if the front-end's index is impossible */
static int avail_pending(struct backend *b, struct queue *q)
{
	uint16_t avail_idx = rd16(b, q->avail + 2);
	uint16_t pending = avail_idx - q->last_avail;

	if (pending > q->size)
		return -1;
	/* the ring entries after the index; pairs with the front-end's wmb */
	shm_rmb();
	return pending;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t r = write(fd, p, len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		len -= r;
	}
	return 0;
}

/* Front-end transmit queue: copy every buffer to the output */
static bool serve_tx(struct backend *b)
{
	struct queue *q = &b->q[Q_TX];
	struct seg segs[MAX_QUEUE_SIZE];
	static uint8_t copy[65536];
	bool did = false;
	uint16_t head;
	int pending, n, i;

	if (!q->enabled)
		return false;
	pending = avail_pending(b, q);
	if (pending < 0) {
		needs_reset(b, "transmit avail index");
		q->enabled = false;
		return false;
	}
	while (pending--) {
		n = read_chain(b, q, false, segs, &head);
		if (n < 0) {
			needs_reset(b, "transmit avail entry");
			q->enabled = false;
			return did;
		}
		for (i = 0; i < n; i++) {
			uint32_t done = 0, chunk;

			/* copy out before use: the front-end may change it */
			while (done < segs[i].len) {
				chunk = segs[i].len - done;
				if (chunk > sizeof(copy))
					chunk = sizeof(copy);
				memcpy(copy, b->shm + segs[i].off + done,
				       chunk);
				if (write_all(b->out_fd, copy, chunk))
					fprintf(stderr,
						"virtio-ivshmem-console: output: %s\n",
						strerror(errno));
				done += chunk;
			}
		}
		q->last_avail++;
		push_used(b, q, head, 0);
		did = true;
	}
	if (did)
		notify_queue(b, q);
	return did;
}

/* Front-end receive queue: fill its buffers from the input */
static bool serve_rx(struct backend *b)
{
	struct queue *q = &b->q[Q_RX];
	struct seg segs[MAX_QUEUE_SIZE];
	bool did = false;
	uint16_t head;
	int pending, n, i;

	if (!q->enabled)
		return false;
	while (b->in_pos < b->in_len) {
		uint32_t total = 0;

		pending = avail_pending(b, q);
		if (pending < 0) {
			needs_reset(b, "receive avail index");
			q->enabled = false;
			break;
		}
		if (!pending)
			break;
		n = read_chain(b, q, true, segs, &head);
		if (n < 0) {
			needs_reset(b, "receive avail entry");
			q->enabled = false;
			break;
		}
		for (i = 0; i < n && b->in_pos < b->in_len; i++) {
			size_t c = b->in_len - b->in_pos;

			if (c > segs[i].len)
				c = segs[i].len;
			memcpy(b->shm + segs[i].off, b->inbuf + b->in_pos, c);
			b->in_pos += c;
			total += c;
		}
		q->last_avail++;
		push_used(b, q, head, total);
		did = true;
	}
	if (did)
		notify_queue(b, q);
	return did;
}

static void read_input(struct backend *b)
{
	ssize_t r;

	if (b->in_eof || b->in_pos < b->in_len)
		return;
	r = read(b->in_fd, b->inbuf, sizeof(b->inbuf));
	if (r > 0) {
		b->in_len = r;
		b->in_pos = 0;
	} else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
		vlog(b, "input: end\n");
		b->in_eof = true;
	}
}

static void write_header(struct backend *b)
{
	memset(b->shm, 0, HDR_SIZE);
	wr32(b, H_SIZE, HDR_SIZE);
	/* console config: 80 columns, 25 rows, one port */
	wr16(b, H_CONFIG, 80);
	wr16(b, H_CONFIG + 2, 25);
	wr32(b, H_CONFIG + 4, 1);
	reset_device(b);
	wr32(b, H_DEVICE_FEATURES_SEL, 0);
	wr32(b, H_DEVICE_FEATURES, (uint32_t)OFFERED);
	/* everything before the revision that marks the header valid */
	shm_wmb();
	wr32(b, H_REVISION, 1);
}

/* Waits for an interrupt or input; arms first so nothing is lost */
static void wait_event(struct backend *b, bool want_input, int timeout_ms)
{
	struct pollfd pfd[2] = {
		{ .fd = b->dev.fd, .events = POLLIN },
		{ .fd = b->in_fd, .events = POLLIN },
	};
	uint32_t count;

	if (poll(pfd, want_input ? 2 : 1, timeout_ms) > 0 &&
	    (pfd[0].revents & POLLIN)) {
		if (read(b->dev.fd, &count, sizeof(count)) < 0)
			return;
	}
}

static bool peer_is(struct backend *b, uint32_t state)
{
	return ivshmem_peer_state(&b->dev, b->peer) == state;
}

static int session(struct backend *b)
{
	bool work;

	ivshmem_set_state(&b->dev, STATE_RESET);
	vlog(b, "waiting for the front-end to reset\n");
	while (!stopping() && !peer_is(b, STATE_RESET)) {
		ivshmem_irq_control(&b->dev, 1);
		if (peer_is(b, STATE_RESET))
			break;
		wait_event(b, false, 100);
	}
	write_header(b);
	ivshmem_set_state(&b->dev, STATE_READY);
	vlog(b, "ready, waiting for the front-end\n");
	while (!stopping() && !peer_is(b, STATE_READY)) {
		ivshmem_irq_control(&b->dev, 1);
		if (peer_is(b, STATE_READY))
			break;
		wait_event(b, false, 100);
	}
	vlog(b, "front-end ready\n");

	while (!stopping()) {
		ivshmem_irq_control(&b->dev, 1);
		if (ivshmem_peer_state(&b->dev, b->peer) != STATE_READY) {
			vlog(b, "front-end left READY\n");
			return 0;
		}
		serve_write(b);
		work = false;
		if ((b->status & S_DRIVER_OK) && !(b->status & S_NEEDS_RESET)) {
			read_input(b);
			work |= serve_rx(b);
			work |= serve_tx(b);
		}
		if (rd32(b, H_WRITE_TRANSACTION) || work)
			continue;
		wait_event(b, (b->status & S_DRIVER_OK) && !b->in_eof &&
			   b->in_pos >= b->in_len, 100);
	}
	return 0;
}

static void print_usage(void)
{
	fprintf(stderr,
		"usage: virtio-ivshmem-console [-d DEVICE] [-i IN] [-o OUT] [-q SIZE] [-v]\n"
		"  -d DEVICE  uio_ivshmem device (uioN, PCI address or protocol=0x...),\n"
		"             default protocol=0xc003\n"
		"  -i IN      input sent to the front-end (default stdin)\n"
		"  -o OUT     where the front-end's output goes (default stdout)\n"
		"  -q SIZE    queue size, a power of 2 up to %u (default 16)\n"
		"  -v         log to stderr\n", MAX_QUEUE_SIZE);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *spec = "protocol=0xc003";
	struct sigaction sa = { .sa_handler = on_signal };
	static struct backend be;
	struct backend *b = &be;
	int opt, ret, fl;

	b->in_fd = STDIN_FILENO;
	b->out_fd = STDOUT_FILENO;
	b->default_qsize = 16;
	while ((opt = getopt(argc, argv, "d:i:o:q:vh")) != -1) {
		switch (opt) {
		case 'd':
			spec = optarg;
			break;
		case 'i':
			b->in_fd = open(optarg, O_RDONLY);
			if (b->in_fd < 0) {
				perror(optarg);
				return 1;
			}
			break;
		case 'o':
			b->out_fd = open(optarg, O_WRONLY | O_CREAT | O_TRUNC,
					 0644);
			if (b->out_fd < 0) {
				perror(optarg);
				return 1;
			}
			break;
		case 'q':
			b->default_qsize = strtoul(optarg, NULL, 0);
			if (!b->default_qsize ||
			    b->default_qsize > MAX_QUEUE_SIZE ||
			    (b->default_qsize & (b->default_qsize - 1)))
				print_usage();
			break;
		case 'v':
			b->verbose = 1;
			break;
		default:
			print_usage();
		}
	}

	ret = ivshmem_open(&b->dev, spec);
	if (ret) {
		fprintf(stderr, "virtio-ivshmem-console: %s: %s\n", spec,
			strerror(-ret));
		return 1;
	}
	if (b->dev.info.protocol != PROTO_BACK_CONSOLE ||
	    b->dev.info.max_peers != 2) {
		fprintf(stderr,
			"virtio-ivshmem-console: protocol 0x%x with %u peers, expected 0x%x with 2\n",
			b->dev.info.protocol, b->dev.info.max_peers,
			PROTO_BACK_CONSOLE);
		return 1;
	}
	b->shm = ivshmem_map(&b->dev, IVSHMEM_MAP_RW, &b->shm_size);
	if (!b->shm || b->shm_size < 2 * 4096) {
		fprintf(stderr,
			"virtio-ivshmem-console: R/W section missing or below 8 KiB\n");
		return 1;
	}
	b->peer = 1 - b->dev.info.id;
	b->vectors = b->dev.info.vectors ? b->dev.info.vectors : 1;
	vlog(b, "peer %u, %u vector(s), R/W section 0x%llx bytes\n",
	     b->dev.info.id, b->vectors, (unsigned long long)b->shm_size);

	fl = fcntl(b->in_fd, F_GETFL);
	if (fl >= 0)
		fcntl(b->in_fd, F_SETFL, fl | O_NONBLOCK);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	while (!stopping())
		session(b);

	ivshmem_set_state(&b->dev, STATE_RESET);
	ivshmem_close(&b->dev);
	if (b->bad_requests)
		fprintf(stderr, "virtio-ivshmem-console: %lu bad request(s)\n",
			b->bad_requests);
	return 0;
}
