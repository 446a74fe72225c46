/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Device side of virtio over IVSHMEM (Documentation/virtio/ivshmem.rst),
 * shared by the back-ends in this directory: the virtio header and its
 * write transactions, split virtqueues, notifications and the session with
 * the front-end (RESET -> READY -> serve -> RESET when the front-end
 * leaves).
 *
 * The front-end is not trusted. Everything it writes into the shared
 * memory is read once through the rd*() accessors and checked before use:
 * a bad request is returned to it with the device's error status, a broken
 * ring sets DEVICE_NEEDS_RESET. A device only sees validated segments.
 */
#ifndef VIRTIO_IVSHMEM_BACKEND_H
#define VIRTIO_IVSHMEM_BACKEND_H

#include <endian.h>
#include <stdbool.h>
#include <stdint.h>

#include "libivshmem.h"

#define VBE_STATE_RESET		0
#define VBE_STATE_READY		1

#define VIRTIO_F_VERSION_1	32
#define VIRTIO_F_ACCESS_PLATFORM 33
#define VIRTIO_F_ORDER_PLATFORM	36

#define VBE_S_ACKNOWLEDGE	1
#define VBE_S_DRIVER		2
#define VBE_S_DRIVER_OK		4
#define VBE_S_FEATURES_OK	8
#define VBE_S_NEEDS_RESET	64

/* header field offsets */
#define VBE_H_REVISION		0x00
#define VBE_H_SIZE		0x04
#define VBE_H_WRITE_TRANSACTION	0x08
#define VBE_H_DEVICE_FEATURES	0x0c
#define VBE_H_DEVICE_FEATURES_SEL 0x10
#define VBE_H_DRIVER_FEATURES	0x14
#define VBE_H_DRIVER_FEATURES_SEL 0x18
#define VBE_H_QUEUE_SEL		0x1c
#define VBE_H_QUEUE_SIZE	0x20
#define VBE_H_QUEUE_DEVICE_VECTOR 0x22
#define VBE_H_QUEUE_DRIVER_VECTOR 0x24
#define VBE_H_QUEUE_ENABLE	0x26
#define VBE_H_QUEUE_DESC	0x28
#define VBE_H_QUEUE_DRIVER	0x30
#define VBE_H_QUEUE_DEVICE	0x38
#define VBE_H_CONFIG_EVENT	0x40
#define VBE_H_QUEUE_EVENT	0x41
#define VBE_H_DEVICE_STATUS	0x44
#define VBE_H_CONFIG_GENERATION	0x48
#define VBE_H_CONFIG		0x4c

#define VBE_MAX_QUEUES		4
#define VBE_MAX_QUEUE_SIZE	256

struct vbe_queue {
	uint16_t size;		/* entries, power of 2 */
	uint16_t device_vector;	/* we receive kicks on it */
	uint16_t driver_vector;	/* we ring it for used buffers */
	bool enabled;
	uint64_t desc, avail, used;	/* section offsets, validated */
	uint16_t last_avail;	/* next avail entry to consume */
	uint16_t used_idx;	/* next used entry to fill */
	uint16_t used_published;	/* used->idx as last published */
	bool notify;		/* used entries added since the last notify */
};

/* One validated buffer of a descriptor chain */
struct vbe_seg {
	uint64_t off;		/* section offset */
	uint32_t len;
	bool writable;		/* device writes it */
};

struct vbe;

struct vbe_device {
	const char *name;	/* for messages */
	uint16_t id;		/* virtio device ID: protocol C000h | id */
	uint64_t features;	/* offered beyond VERSION_1, ACCESS_PLATFORM */
	unsigned int nqueues;
	uint16_t default_qsize;
	uint32_t config_size;
	/* writes the config space at VBE_H_CONFIG (header not yet valid) */
	void (*init_config)(struct vbe *b);
	/* the front-end wrote config space field @off; may be NULL */
	void (*config_write)(struct vbe *b, uint32_t off);
	/* the front-end reset the device; may be NULL */
	void (*reset)(struct vbe *b);
	/*
	 * Queue @index was disabled (QUEUE_ENABLE 0, or the device needs a
	 * reset): forget every chain taken from its ring and not returned,
	 * the ring is gone; a new one may be enabled without a device
	 * reset. May be NULL.
	 */
	void (*queue_disable)(struct vbe *b, unsigned int index);
	/* serves the queues after DRIVER_OK; true if it did any work */
	bool (*serve)(struct vbe *b);
	/* an fd to wait on besides interrupts while it returns true */
	bool (*want_fd)(struct vbe *b);
	/*
	 * On SIGTERM/SIGINT, keep serving up to this long, until the queues
	 * were idle for VBE_DRAIN_IDLE_MS, before leaving READY, so that
	 * what the front-end submitted does not stay in flight (a front-end
	 * that submits right after the idle time still loses its request:
	 * only the front-end could close that window). 0: leave at once.
	 */
	unsigned int drain_ms;
};

/* long enough for a front-end guest that the host did not schedule */
#define VBE_DRAIN_IDLE_MS	1000

struct vbe {
	const struct vbe_device *vdev;
	void *priv;		/* the device's state */
	struct ivshmem_dev dev;
	uint8_t *shm;		/* R/W section */
	uint64_t shm_size;
	unsigned int peer;
	unsigned int vectors;
	uint16_t qsize;		/* largest queue size offered */
	uint32_t driver_features[2];
	uint32_t status;
	struct vbe_queue q[VBE_MAX_QUEUES];
	int wait_fd;		/* extra fd to poll, -1 for none */
	int verbose;
	unsigned long bad_requests;
};

/* Little-endian accessors: one single access each, never torn or merged */
static inline uint8_t vbe_rd8(const struct vbe *b, uint64_t off)
{
	return __atomic_load_n(b->shm + off, __ATOMIC_RELAXED);
}

static inline uint16_t vbe_rd16(const struct vbe *b, uint64_t off)
{
	return le16toh(__atomic_load_n((uint16_t *)(b->shm + off),
				       __ATOMIC_RELAXED));
}

static inline uint32_t vbe_rd32(const struct vbe *b, uint64_t off)
{
	return le32toh(__atomic_load_n((uint32_t *)(b->shm + off),
				       __ATOMIC_RELAXED));
}

static inline uint64_t vbe_rd64(const struct vbe *b, uint64_t off)
{
	return le64toh(__atomic_load_n((uint64_t *)(b->shm + off),
				       __ATOMIC_RELAXED));
}

static inline void vbe_wr8(struct vbe *b, uint64_t off, uint8_t v)
{
	__atomic_store_n(b->shm + off, v, __ATOMIC_RELAXED);
}

static inline void vbe_wr16(struct vbe *b, uint64_t off, uint16_t v)
{
	__atomic_store_n((uint16_t *)(b->shm + off), htole16(v),
			 __ATOMIC_RELAXED);
}

static inline void vbe_wr32(struct vbe *b, uint64_t off, uint32_t v)
{
	__atomic_store_n((uint32_t *)(b->shm + off), htole32(v),
			 __ATOMIC_RELAXED);
}

static inline void vbe_wr64(struct vbe *b, uint64_t off, uint64_t v)
{
	__atomic_store_n((uint64_t *)(b->shm + off), htole64(v),
			 __ATOMIC_RELAXED);
}

void vbe_log(const struct vbe *b, const char *fmt, ...);
void vbe_reject(struct vbe *b, const char *what, uint64_t v);
bool vbe_range_ok(const struct vbe *b, uint64_t off, uint64_t len);

/*
 * Pending avail entries of @q, -1 if the front-end's index is impossible
 * (the caller then calls vbe_needs_reset()).
 */
int vbe_pending(struct vbe *b, struct vbe_queue *q);
/*
 * Takes the next avail chain of @q into @segs (up to @max): returns the
 * number of segments, 0 for a bad chain (return it with vbe_push(), it was
 * counted), -1 if the ring is broken. *@head gets the head index.
 */
int vbe_pop(struct vbe *b, struct vbe_queue *q, struct vbe_seg *segs,
	    unsigned int max, uint16_t *head);
/* Returns chain @head with @len bytes written; notify with vbe_notify() */
void vbe_push(struct vbe *b, struct vbe_queue *q, uint16_t head,
	      uint32_t len);
/*
 * vbe_push() in two steps, for chains that the front-end must see together
 * (a frame over several receive buffers): vbe_add_used() fills a used entry
 * without publishing it, vbe_publish_used() publishes all of them at once.
 */
void vbe_add_used(struct vbe *b, struct vbe_queue *q, uint16_t head,
		  uint32_t len);
void vbe_publish_used(struct vbe *b, struct vbe_queue *q);
/* Interrupts the front-end for @q if used entries were added */
void vbe_notify(struct vbe *b, struct vbe_queue *q);
/*
 * Serves a queue the front-end sends on: pops up to @max chains of @q,
 * hands each to @consume (@n validated segments, 0 for a bad chain, which
 * was counted) and returns it with used length 0; then publishes and
 * notifies. A broken ring asks for a reset. True if a chain was returned.
 */
bool vbe_serve_out(struct vbe *b, struct vbe_queue *q, int max,
		   void (*consume)(struct vbe *b, uint16_t head,
				   const struct vbe_seg *segs, int n));
void vbe_needs_reset(struct vbe *b, const char *why);
/* Copies @len bytes from the segments, skipping @skip bytes; bytes copied */
uint32_t vbe_copy_from(const struct vbe *b, void *dst, const struct vbe_seg *s,
		       int n, uint32_t skip, uint32_t len);
/* Copies into the writable segments, skipping @skip bytes; bytes copied */
uint32_t vbe_copy_to(struct vbe *b, const struct vbe_seg *s, int n,
		     uint32_t skip, const void *src, uint32_t len);

/* Applies one write transaction of the front-end, if one is pending */
void vbe_serve_write(struct vbe *b);
/* Writes a fresh header (revision last) */
void vbe_write_header(struct vbe *b);

/*
 * Opens the uio_ivshmem device @spec (default "protocol=0xc0NN") for
 * @vdev and maps its R/W section. Returns 0 or prints why and returns -1.
 */
int vbe_open(struct vbe *b, const struct vbe_device *vdev, const char *spec);
/* Parses a queue size option (a power of 2 up to 256); 0 or -1 */
int vbe_parse_qsize(struct vbe *b, const char *arg);
/* One session with the front-end: returns when it leaves READY or on stop */
void vbe_session(struct vbe *b);
/* Sessions until SIGTERM/SIGINT, then RESET and close; the exit code */
int vbe_run(struct vbe *b);
bool vbe_stopping(void);

#endif /* VIRTIO_IVSHMEM_BACKEND_H */
