// SPDX-License-Identifier: GPL-2.0
/*
 * Device side of virtio over IVSHMEM, shared by the back-ends in this
 * directory. See backend.h and Documentation/virtio/ivshmem.rst.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"

static int stop_flag;

static void on_signal(int sig)
{
	__atomic_store_n(&stop_flag, 1, __ATOMIC_RELAXED);
}

bool vbe_stopping(void)
{
	return __atomic_load_n(&stop_flag, __ATOMIC_RELAXED);
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

static uint64_t offered(const struct vbe *b)
{
	return b->vdev->features | (1ULL << VIRTIO_F_VERSION_1) |
	       (1ULL << VIRTIO_F_ACCESS_PLATFORM) |
	       (1ULL << VIRTIO_F_ORDER_PLATFORM);
}

static uint64_t hdr_size(const struct vbe *b)
{
	return VBE_H_CONFIG + b->vdev->config_size;
}

void vbe_log(const struct vbe *b, const char *fmt, ...)
{
	va_list ap;

	if (!b->verbose)
		return;
	fprintf(stderr, "%s: ", b->vdev->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

void vbe_reject(struct vbe *b, const char *what, uint64_t v)
{
	b->bad_requests++;
	fprintf(stderr, "%s: bad request: %s (0x%llx)\n", b->vdev->name, what,
		(unsigned long long)v);
}

/* [off, off + len) inside the section and outside the header */
bool vbe_range_ok(const struct vbe *b, uint64_t off, uint64_t len)
{
	return off >= hdr_size(b) && off <= b->shm_size &&
	       len <= b->shm_size - off;
}

static uint16_t default_device_vector(const struct vbe *b, unsigned int q)
{
	/* only vectors the link has: one per queue after the config vector */
	if (b->vectors >= 1 + b->vdev->nqueues)
		return 1 + q;
	return b->vectors > 1 ? 1 : 0;
}

static void load_queue(struct vbe *b, uint32_t sel)
{
	struct vbe_queue *q;

	if (sel >= b->vdev->nqueues) {
		vbe_wr16(b, VBE_H_QUEUE_SIZE, 0);
		vbe_wr16(b, VBE_H_QUEUE_DEVICE_VECTOR, 0);
		vbe_wr16(b, VBE_H_QUEUE_DRIVER_VECTOR, 0);
		vbe_wr16(b, VBE_H_QUEUE_ENABLE, 0);
		vbe_wr64(b, VBE_H_QUEUE_DESC, 0);
		vbe_wr64(b, VBE_H_QUEUE_DRIVER, 0);
		vbe_wr64(b, VBE_H_QUEUE_DEVICE, 0);
		return;
	}
	q = &b->q[sel];
	vbe_wr16(b, VBE_H_QUEUE_SIZE, q->size);
	vbe_wr16(b, VBE_H_QUEUE_DEVICE_VECTOR, q->device_vector);
	vbe_wr16(b, VBE_H_QUEUE_DRIVER_VECTOR, q->driver_vector);
	vbe_wr16(b, VBE_H_QUEUE_ENABLE, q->enabled);
	vbe_wr64(b, VBE_H_QUEUE_DESC, q->desc);
	vbe_wr64(b, VBE_H_QUEUE_DRIVER, q->avail);
	vbe_wr64(b, VBE_H_QUEUE_DEVICE, q->used);
}

static void reset_device(struct vbe *b)
{
	unsigned int i;

	memset(b->driver_features, 0, sizeof(b->driver_features));
	b->status = 0;
	for (i = 0; i < b->vdev->nqueues; i++) {
		struct vbe_queue *q = &b->q[i];

		memset(q, 0, sizeof(*q));
		q->size = b->qsize;
		q->device_vector = default_device_vector(b, i);
	}
	vbe_wr32(b, VBE_H_DEVICE_STATUS, 0);
	vbe_wr32(b, VBE_H_QUEUE_SEL, 0);
	load_queue(b, 0);
	if (b->vdev->reset)
		b->vdev->reset(b);
}

/* Queue @q stops: the device forgets what it took from the ring */
static void disable_queue(struct vbe *b, struct vbe_queue *q)
{
	bool was = q->enabled;

	q->enabled = false;
	if (was && b->vdev->queue_disable)
		b->vdev->queue_disable(b, q - b->q);
}

void vbe_needs_reset(struct vbe *b, const char *why)
{
	unsigned int i;

	fprintf(stderr, "%s: device needs reset: %s\n", b->vdev->name, why);
	for (i = 0; i < b->vdev->nqueues; i++)
		disable_queue(b, &b->q[i]);
	b->status |= VBE_S_NEEDS_RESET;
	vbe_wr32(b, VBE_H_DEVICE_STATUS, b->status);
	/* the status before the event; pairs with the front-end's mb */
	shm_wmb();
	vbe_wr8(b, VBE_H_CONFIG_EVENT, 1);
	ivshmem_doorbell(&b->dev, b->peer, 0);
}

static void enable_queue(struct vbe *b, struct vbe_queue *q)
{
	uint64_t n = q->size;

	/* split ring layout: desc 16 * n, avail 6 + 2 * n, used 6 + 8 * n */
	if (!vbe_range_ok(b, q->desc, 16 * n) || q->desc % 16 ||
	    !vbe_range_ok(b, q->avail, 6 + 2 * n) || q->avail % 2 ||
	    !vbe_range_ok(b, q->used, 6 + 8 * n) || q->used % 4) {
		vbe_reject(b, "queue rings outside the section or misaligned",
			   q->desc);
		q->enabled = false;
		vbe_wr16(b, VBE_H_QUEUE_ENABLE, 0);
		return;
	}
	q->enabled = true;
	q->last_avail = 0;
	q->used_idx = 0;
	q->used_published = 0;
	q->notify = false;
}

static void apply_write(struct vbe *b, uint32_t off)
{
	uint32_t sel = vbe_rd32(b, VBE_H_QUEUE_SEL);
	struct vbe_queue *q = sel < b->vdev->nqueues ? &b->q[sel] : NULL;
	uint64_t f, all = offered(b);
	uint32_t v32, fsel;
	uint16_t v16;

	switch (off) {
	case VBE_H_DEVICE_FEATURES_SEL:
		fsel = vbe_rd32(b, VBE_H_DEVICE_FEATURES_SEL);
		vbe_wr32(b, VBE_H_DEVICE_FEATURES, fsel == 0 ? (uint32_t)all :
			 fsel == 1 ? (uint32_t)(all >> 32) : 0);
		break;
	case VBE_H_DRIVER_FEATURES:
		/* accepted features are fixed until the next reset */
		if (b->status & VBE_S_FEATURES_OK) {
			vbe_reject(b, "driver features after FEATURES_OK",
				   vbe_rd32(b, VBE_H_DRIVER_FEATURES));
			break;
		}
		fsel = vbe_rd32(b, VBE_H_DRIVER_FEATURES_SEL);
		if (fsel < 2)
			b->driver_features[fsel] =
				vbe_rd32(b, VBE_H_DRIVER_FEATURES);
		break;
	case VBE_H_DRIVER_FEATURES_SEL:
		break;
	case VBE_H_QUEUE_SEL:
		load_queue(b, sel);
		break;
	case VBE_H_QUEUE_SIZE:
		v16 = vbe_rd16(b, VBE_H_QUEUE_SIZE);
		if (!q || q->enabled || !v16 || (v16 & (v16 - 1)) ||
		    v16 > b->qsize) {
			vbe_reject(b, "queue size", v16);
			if (q)
				vbe_wr16(b, VBE_H_QUEUE_SIZE, q->size);
			break;
		}
		q->size = v16;
		break;
	case VBE_H_QUEUE_DRIVER_VECTOR:
		v16 = vbe_rd16(b, VBE_H_QUEUE_DRIVER_VECTOR);
		if (!q || v16 >= b->vectors) {
			vbe_reject(b, "driver vector", v16);
			break;
		}
		q->driver_vector = v16;
		break;
	case VBE_H_QUEUE_DESC:
	case VBE_H_QUEUE_DRIVER:
	case VBE_H_QUEUE_DEVICE:
		if (!q || q->enabled) {
			vbe_reject(b, "ring address for no queue or enabled",
				   off);
			break;
		}
		if (off == VBE_H_QUEUE_DESC)
			q->desc = vbe_rd64(b, off);
		else if (off == VBE_H_QUEUE_DRIVER)
			q->avail = vbe_rd64(b, off);
		else
			q->used = vbe_rd64(b, off);
		break;
	case VBE_H_QUEUE_ENABLE:
		v16 = vbe_rd16(b, VBE_H_QUEUE_ENABLE);
		if (!q)
			break;
		if (v16 == 1 && !q->enabled)
			enable_queue(b, q);
		else if (!v16)
			disable_queue(b, q);
		break;
	case VBE_H_DEVICE_STATUS:
		v32 = vbe_rd32(b, VBE_H_DEVICE_STATUS) & 0xff;
		if (!v32) {
			vbe_log(b, "device reset\n");
			reset_device(b);
			break;
		}
		if ((v32 & VBE_S_FEATURES_OK) &&
		    !(b->status & VBE_S_FEATURES_OK)) {
			f = b->driver_features[0] |
			    (uint64_t)b->driver_features[1] << 32;
			if ((f & ~all) ||
			    !(f & (1ULL << VIRTIO_F_VERSION_1)) ||
			    !(f & (1ULL << VIRTIO_F_ACCESS_PLATFORM))) {
				vbe_reject(b, "driver features", f);
				v32 &= ~VBE_S_FEATURES_OK;
			}
		}
		b->status = v32 | (b->status & VBE_S_NEEDS_RESET);
		vbe_wr32(b, VBE_H_DEVICE_STATUS, b->status);
		vbe_log(b, "status 0x%x\n", b->status);
		break;
	default:
		if (off >= VBE_H_CONFIG && off < hdr_size(b) &&
		    b->vdev->config_write)
			b->vdev->config_write(b, off);
		/* other fields are read-only for the front-end */
		break;
	}
}

void vbe_serve_write(struct vbe *b)
{
	uint32_t off = vbe_rd32(b, VBE_H_WRITE_TRANSACTION);

	if (!off)
		return;
	/* the field after the transaction; pairs with the front-end's wmb */
	shm_rmb();
	apply_write(b, off);
	/* our answers before the acknowledgment */
	shm_wmb();
	vbe_wr32(b, VBE_H_WRITE_TRANSACTION, 0);
}

int vbe_pending(struct vbe *b, struct vbe_queue *q)
{
	uint16_t avail_idx = vbe_rd16(b, q->avail + 2);
	uint16_t pending = avail_idx - q->last_avail;

	if (pending > q->size)
		return -1;
	/* the ring entries after the index; pairs with the front-end's wmb */
	shm_rmb();
	return pending;
}

int vbe_pop(struct vbe *b, struct vbe_queue *q, struct vbe_seg *segs,
	    unsigned int max, uint16_t *head)
{
	uint16_t idx, flags, next;
	bool seen_writable = false;
	unsigned int n = 0;
	uint64_t d;

	idx = vbe_rd16(b, q->avail + 4 + 2 * (q->last_avail & (q->size - 1)));
	if (idx >= q->size)
		return -1;
	q->last_avail++;
	*head = idx;
	for (;;) {
		if (n >= q->size || n >= max) {
			vbe_reject(b, "descriptor chain too long or a loop",
				   *head);
			return 0;
		}
		d = q->desc + 16ULL * idx;
		segs[n].off = vbe_rd64(b, d);
		segs[n].len = vbe_rd32(b, d + 8);
		flags = vbe_rd16(b, d + 12);
		next = vbe_rd16(b, d + 14);
		segs[n].writable = flags & 2;
		if (flags & 4) {
			vbe_reject(b, "indirect descriptor", idx);
			return 0;
		}
		if (seen_writable && !segs[n].writable) {
			vbe_reject(b, "readable after writable buffer", idx);
			return 0;
		}
		seen_writable = segs[n].writable;
		if (!vbe_range_ok(b, segs[n].off, segs[n].len)) {
			vbe_reject(b, "buffer outside the section",
				   segs[n].off);
			return 0;
		}
		n++;
		if (!(flags & 1))
			return n;
		if (next >= q->size) {
			vbe_reject(b, "next index", next);
			return 0;
		}
		idx = next;
	}
}

void vbe_add_used(struct vbe *b, struct vbe_queue *q, uint16_t head,
		  uint32_t len)
{
	uint64_t e = q->used + 4 + 8ULL * (q->used_idx & (q->size - 1));

	vbe_wr32(b, e, head);
	vbe_wr32(b, e + 4, len);
	q->used_idx++;
}

void vbe_publish_used(struct vbe *b, struct vbe_queue *q)
{
	if (q->used_idx == q->used_published)
		return;
	/* the elements before the index; pairs with the front-end's rmb */
	shm_wmb();
	vbe_wr16(b, q->used + 2, q->used_idx);
	q->used_published = q->used_idx;
	q->notify = true;
}

void vbe_push(struct vbe *b, struct vbe_queue *q, uint16_t head,
	      uint32_t len)
{
	vbe_add_used(b, q, head, len);
	vbe_publish_used(b, q);
}

void vbe_notify(struct vbe *b, struct vbe_queue *q)
{
	if (!q->notify)
		return;
	q->notify = false;
	vbe_wr8(b, VBE_H_QUEUE_EVENT, 1);
	/* the used ring and the event before the doorbell */
	shm_mb();
	ivshmem_doorbell(&b->dev, b->peer, q->driver_vector);
}

bool vbe_serve_out(struct vbe *b, struct vbe_queue *q, int max,
		   void (*consume)(struct vbe *b, uint16_t head,
				   const struct vbe_seg *segs, int n))
{
	struct vbe_seg segs[VBE_MAX_QUEUE_SIZE];
	bool did = false;
	uint16_t head;
	int pending, n;

	if (!q->enabled)
		return false;
	pending = vbe_pending(b, q);
	if (pending < 0) {
		vbe_needs_reset(b, "transmit avail index");
		return false;
	}
	if (pending > max)
		pending = max;
	while (pending--) {
		n = vbe_pop(b, q, segs, VBE_MAX_QUEUE_SIZE, &head);
		if (n < 0) {
			vbe_needs_reset(b, "transmit avail entry");
			break;
		}
		consume(b, head, segs, n);
		vbe_add_used(b, q, head, 0);
		did = true;
	}
	vbe_publish_used(b, q);
	vbe_notify(b, q);
	return did;
}

uint32_t vbe_copy_from(const struct vbe *b, void *dst, const struct vbe_seg *s,
		       int n, uint32_t skip, uint32_t len)
{
	uint8_t *p = dst;
	uint32_t done = 0, c;
	int i;

	for (i = 0; i < n && done < len; i++) {
		if (s[i].writable)
			break;
		if (skip >= s[i].len) {
			skip -= s[i].len;
			continue;
		}
		c = s[i].len - skip;
		if (c > len - done)
			c = len - done;
		memcpy(p + done, b->shm + s[i].off + skip, c);
		done += c;
		skip = 0;
	}
	return done;
}

uint32_t vbe_copy_to(struct vbe *b, const struct vbe_seg *s, int n,
		     uint32_t skip, const void *src, uint32_t len)
{
	const uint8_t *p = src;
	uint32_t done = 0, c;
	int i;

	for (i = 0; i < n && done < len; i++) {
		if (!s[i].writable)
			continue;
		if (skip >= s[i].len) {
			skip -= s[i].len;
			continue;
		}
		c = s[i].len - skip;
		if (c > len - done)
			c = len - done;
		memcpy(b->shm + s[i].off + skip, p + done, c);
		done += c;
		skip = 0;
	}
	return done;
}

void vbe_write_header(struct vbe *b)
{
	uint64_t all = offered(b);

	memset(b->shm, 0, hdr_size(b));
	vbe_wr32(b, VBE_H_SIZE, hdr_size(b));
	if (b->vdev->init_config)
		b->vdev->init_config(b);
	reset_device(b);
	vbe_wr32(b, VBE_H_DEVICE_FEATURES_SEL, 0);
	vbe_wr32(b, VBE_H_DEVICE_FEATURES, (uint32_t)all);
	/* everything before the revision that marks the header valid */
	shm_wmb();
	vbe_wr32(b, VBE_H_REVISION, 1);
}

/* Waits for an interrupt or the device's fd; arms first, nothing is lost */
static void wait_event(struct vbe *b, bool want_fd, int timeout_ms)
{
	struct pollfd pfd[2] = {
		{ .fd = b->dev.fd, .events = POLLIN },
		{ .fd = b->wait_fd, .events = POLLIN },
	};
	uint32_t count;

	if (poll(pfd, want_fd && b->wait_fd >= 0 ? 2 : 1, timeout_ms) > 0 &&
	    (pfd[0].revents & POLLIN)) {
		if (read(b->dev.fd, &count, sizeof(count)) < 0)
			return;
	}
}

static bool peer_is(struct vbe *b, uint32_t state)
{
	return ivshmem_peer_state(&b->dev, b->peer) == state;
}

static void wait_peer(struct vbe *b, uint32_t state)
{
	while (!vbe_stopping() && !peer_is(b, state)) {
		ivshmem_irq_control(&b->dev, 1);
		if (peer_is(b, state))
			break;
		wait_event(b, false, 100);
	}
}

void vbe_session(struct vbe *b)
{
	bool work, driver_ok;

	ivshmem_set_state(&b->dev, VBE_STATE_RESET);
	vbe_log(b, "waiting for the front-end to reset\n");
	wait_peer(b, VBE_STATE_RESET);
	vbe_write_header(b);
	ivshmem_set_state(&b->dev, VBE_STATE_READY);
	vbe_log(b, "ready, waiting for the front-end\n");
	wait_peer(b, VBE_STATE_READY);
	vbe_log(b, "front-end ready\n");

	while (!vbe_stopping()) {
		ivshmem_irq_control(&b->dev, 1);
		if (!peer_is(b, VBE_STATE_READY)) {
			vbe_log(b, "front-end left READY\n");
			return;
		}
		vbe_serve_write(b);
		driver_ok = (b->status & VBE_S_DRIVER_OK) &&
			    !(b->status & VBE_S_NEEDS_RESET);
		work = driver_ok && b->vdev->serve(b);
		if (vbe_rd32(b, VBE_H_WRITE_TRANSACTION) || work)
			continue;
		wait_event(b, driver_ok && b->vdev->want_fd &&
			   b->vdev->want_fd(b), 100);
	}
}

int vbe_parse_qsize(struct vbe *b, const char *arg)
{
	unsigned long v = strtoul(arg, NULL, 0);

	if (!v || v > VBE_MAX_QUEUE_SIZE || (v & (v - 1)))
		return -1;
	b->qsize = v;
	return 0;
}

int vbe_open(struct vbe *b, const struct vbe_device *vdev, const char *spec)
{
	char def[32];
	int ret;

	b->vdev = vdev;
	if (!b->qsize)
		b->qsize = vdev->default_qsize;
	if (!spec) {
		snprintf(def, sizeof(def), "protocol=0x%x", 0xc000 | vdev->id);
		spec = def;
	}
	ret = ivshmem_open(&b->dev, spec);
	if (ret) {
		fprintf(stderr, "%s: %s: %s\n", vdev->name, spec,
			strerror(-ret));
		return -1;
	}
	if (b->dev.info.protocol != (0xc000u | vdev->id) ||
	    b->dev.info.max_peers != 2) {
		fprintf(stderr,
			"%s: protocol 0x%x with %u peers, expected 0x%x with 2\n",
			vdev->name, b->dev.info.protocol,
			b->dev.info.max_peers, 0xc000 | vdev->id);
		goto close;
	}
	b->shm = ivshmem_map(&b->dev, IVSHMEM_MAP_RW, &b->shm_size);
	if (!b->shm || b->shm_size < 2 * 4096) {
		fprintf(stderr, "%s: R/W section missing or below 8 KiB\n",
			vdev->name);
		goto close;
	}
	b->peer = 1 - b->dev.info.id;
	b->vectors = b->dev.info.vectors ? b->dev.info.vectors : 1;
	vbe_log(b, "peer %u, %u vector(s), R/W section 0x%llx bytes\n",
		b->dev.info.id, b->vectors, (unsigned long long)b->shm_size);
	return 0;

close:
	ivshmem_close(&b->dev);
	return -1;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * After a stop request: serve until the queues were idle for
 * VBE_DRAIN_IDLE_MS (at most vdev->drain_ms) while the front-end is READY,
 * so that it gets every request it submitted back before we leave READY.
 */
static void vbe_drain(struct vbe *b)
{
	uint64_t start = now_ms(), idle = start;

	while (b->vdev->drain_ms && now_ms() - start < b->vdev->drain_ms &&
	       now_ms() - idle < VBE_DRAIN_IDLE_MS) {
		ivshmem_irq_control(&b->dev, 1);
		if (!peer_is(b, VBE_STATE_READY) ||
		    !(b->status & VBE_S_DRIVER_OK) ||
		    (b->status & VBE_S_NEEDS_RESET))
			return;
		vbe_serve_write(b);
		if (b->vdev->serve(b))
			idle = now_ms();
		else
			wait_event(b, false, 10);
	}
}

int vbe_run(struct vbe *b)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	while (!vbe_stopping())
		vbe_session(b);

	vbe_drain(b);
	ivshmem_set_state(&b->dev, VBE_STATE_RESET);
	ivshmem_close(&b->dev);
	if (b->bad_requests)
		fprintf(stderr, "%s: %lu bad request(s)\n", b->vdev->name,
			b->bad_requests);
	return 0;
}
