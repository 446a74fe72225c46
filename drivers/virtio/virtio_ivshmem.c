// SPDX-License-Identifier: GPL-2.0
/*
 * Virtio transport over the IVSHMEM v2 inter-VM shared memory device
 * (110Ah:4106h, protocols 8000h-BFFFh): the front-end, the side that runs
 * the virtio driver. The back-end runs on the other peer of a two-peer link
 * (usually a userspace program on uio_ivshmem) and implements the device.
 *
 * The virtio registers live in a header at the start of the read/write
 * section; the front-end changes a field with a "write transaction" (store
 * the field, store its offset, ring the back-end's vector 0) and the
 * back-end acknowledges it by clearing the offset. Rings and buffers must
 * lie inside the read/write section too: DMA mapping operations installed
 * on the PCI device bounce every buffer into a bitmap allocator over the
 * section and use section offsets as DMA addresses.
 *
 * The virtio device exists only while the back-end's state is READY: it is
 * registered when the back-end becomes READY and removed when it leaves
 * READY, so a back-end can restart at any time. Every header field is read
 * once and validated. See Documentation/virtio/ivshmem.rst.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/bitmap.h>
#include <linux/delay.h>
#include <linux/dma-map-ops.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/ivshmem.h>
#include <linux/jiffies.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/rcupdate.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/sysfs.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <linux/workqueue.h>

#define VI_DRV_NAME		"virtio_ivshmem"

/* Protocol states (state table entries) */
#define VI_STATE_RESET		IVSHMEM_STATE_RESET
#define VI_STATE_READY		1

#define VI_REVISION		1

/* Most vectors we use: config/state plus one per queue */
#define VI_MAX_VECTORS		64
#define VI_VEC_CONFIG		0

/* How long the back-end may take to apply a write transaction */
#define VI_WRITE_TIMEOUT_MS	10000

/* Rounds of vi_fail_outstanding(): each one catches racing submissions */
#define VI_FAIL_ROUNDS		4

/*
 * How long vi_fail_outstanding() lets the drivers reap before it breaks
 * the queues: at most, and since the last entry reaped
 */
#define VI_REAP_TIMEOUT_MS	2000
#define VI_REAP_IDLE_MS		100

/* INTx: how often to look for what a lost interrupt announced */
#define VI_INTX_POLL_MS		1000

/**
 * struct vi_header - shared header at offset 0 of the read/write section
 * @revision: VI_REVISION, written by the back-end
 * @size: bytes of header plus device config
 * @write_transaction: offset of the field the front-end wrote, 0 when idle
 * @device_features: features window selected by @device_features_sel
 * @device_features_sel: 0 = bits 0-31, 1 = bits 32-63
 * @driver_features: features window selected by @driver_features_sel
 * @driver_features_sel: 0 = bits 0-31, 1 = bits 32-63
 * @queue_sel: queue the queue_* fields describe
 * @queue_size: ring entries
 * @queue_device_vector: vector the front-end rings to kick the queue
 * @queue_driver_vector: vector the back-end rings for used buffers
 * @queue_enable: 1 once the ring offsets are valid
 * @queue_desc: section offset of the descriptor table
 * @queue_driver: section offset of the avail ring
 * @queue_device: section offset of the used ring
 * @config_event: set by the back-end on a config change
 * @queue_event: set by the back-end on queue activity
 * @reserved: unused
 * @device_status: virtio status byte
 * @config_generation: odd while the back-end updates the config
 * @config: device-specific configuration
 */
struct vi_header {
	__le32 revision;
	__le32 size;
	__le32 write_transaction;
	__le32 device_features;
	__le32 device_features_sel;
	__le32 driver_features;
	__le32 driver_features_sel;
	__le32 queue_sel;
	__le16 queue_size;
	__le16 queue_device_vector;
	__le16 queue_driver_vector;
	__le16 queue_enable;
	__le64 queue_desc;
	__le64 queue_driver;
	__le64 queue_device;
	u8 config_event;
	u8 queue_event;
	u8 reserved[2];
	__le32 device_status;
	__le32 config_generation;
	u8 config[];
};

#define VI_HDR_SIZE		offsetof(struct vi_header, config)
#define VI_OFF(field)		offsetof(struct vi_header, field)

/**
 * struct vi_vdev - one registration of the virtio device
 * @vdev: the virtio device; freed by its release callback
 * @vi: the transport it belongs to
 */
struct vi_vdev {
	struct virtio_device vdev;
	struct vi_dev *vi;
};

/**
 * struct vi_vector - interrupt handler context of one vector
 * @vi: the transport
 * @nr: vector number
 */
struct vi_vector {
	struct vi_dev *vi;
	unsigned int nr;
};

/**
 * struct vi_mapping - a streaming DMA mapping, on its first chunk
 * @size: bytes mapped, 0 if no mapping starts at this chunk
 * @dir: its direction
 */
struct vi_mapping {
	u32 size;
	u32 dir;
};

/* Counters of the front-end, in sysfs: <pci device>/virtio_ivshmem/<name> */
enum vi_stat {
	VI_STAT_REGISTRATIONS,	/* virtio devices registered */
	VI_STAT_BAD_HEADERS,	/* refused: header revision, size, features */
	VI_STAT_BAD_QUEUES,	/* refused: queue size, vector, enabled */
	VI_STAT_WRITE_TIMEOUTS,	/* write transactions not applied in time */
	VI_STAT_BROKEN_QUEUES,	/* queues found corrupt (bad used entries) */
	VI_STAT_BAD_DMA,	/* refused unmaps and frees: not our mapping */
	VI_STAT_NEEDS_RESET,	/* config interrupts with NEEDS_RESET */
	VI_NR_STATS,
};

/**
 * struct vi_dev - the IVSHMEM device of a front-end
 * @pdev: the PCI device
 * @regs: register region (BAR0)
 * @geo: validated device layout
 * @peer_id: the back-end's peer ID
 * @state_table: the state table, read-only
 * @hdr: the shared header, start of the read/write section
 * @section_size: bytes of the read/write section
 * @cfg_size: device config bytes, snapshot of the header's size field
 * @device_id: virtio device ID, from the protocol
 * @nvectors: interrupt vectors allocated (MSI-X, or 1 for INTx)
 * @vectors: handler contexts, @nvectors entries
 * @per_queue_vectors: each queue has its own vector
 * @status: the status the driver set last; it reads back as such, with
 *	FEATURES_OK only while the back-end's status has it too, whatever
 *	else the back-end left in the header
 * @chunk_shift: log2 of the allocator's chunk size
 * @nchunks: chunks in the read/write section
 * @max_chunks: largest block the allocator can hand out next to the header
 * @bitmap: allocated chunks
 * @orig: per chunk, the kernel address a bounced chunk copies back to
 * @maps: per chunk, the streaming mapping that starts there, if any
 * @dma_vqs: @vqs as seen by the DMA operations, @ndma_vqs entries
 * @ndma_vqs: number of entries in @dma_vqs
 * @alloc_lock: protects @bitmap, @orig, @maps, @dma_vqs and @ndma_vqs;
 *	taken from any context by the DMA operations, also inside @vq_lock
 * @lock: protects @cur, @peer_state, @removing; serialises the state work
 *	and remove, process context only
 * @cfg_lock: serialises write transactions and reads that depend on a
 *	selector, process context only
 * @vq_lock: protects @vqs, @nvqs, @vqs_broken and @irq_vdev against the
 *	interrupt handlers; taken with interrupts disabled
 * @cur: the registered virtio device, NULL while the back-end is not READY
 * @irq_vdev: @cur as seen by the interrupt handlers
 * @vqs: the virtqueues of @cur, @nvqs entries
 * @nvqs: number of entries in @vqs
 * @vqs_broken: queues of @vqs found broken and counted, @nvqs bits
 * @vqs_refused: queues whose kick vi_notify() refused, by queue index,
 *	@nvqs bits; set by vi_notify() without a lock, atomic bit operations
 * @peer_state: back-end state the state work acted on last
 * @removing: remove() has started, do not register again
 * @state_work: follows the back-end's state
 * @intx_poll: INTx only, does the interrupt handler's work periodically
 * @stats: what the back-end did wrong, and registrations (enum vi_stat)
 */
struct vi_dev {
	struct pci_dev *pdev;
	void __iomem *regs;
	struct ivshmem_geometry geo;
	u32 peer_id;
	const __le32 *state_table;
	struct vi_header *hdr;
	u64 section_size;
	u32 cfg_size;
	u32 device_id;
	unsigned int nvectors;
	struct vi_vector *vectors;
	bool per_queue_vectors;
	u8 status;

	unsigned int chunk_shift;
	unsigned long nchunks;
	unsigned long max_chunks;
	unsigned long *bitmap;
	void **orig;
	struct vi_mapping *maps;
	struct virtqueue **dma_vqs;
	unsigned int ndma_vqs;
	spinlock_t alloc_lock;		/* see above */

	struct mutex lock;		/* see above */
	struct mutex cfg_lock;		/* see above */
	spinlock_t vq_lock;		/* see above */
	struct vi_vdev *cur;
	struct vi_vdev *irq_vdev;
	struct virtqueue **vqs;
	unsigned int nvqs;
	unsigned long *vqs_broken;
	unsigned long *vqs_refused;
	u32 peer_state;
	bool removing;
	struct work_struct state_work;
	struct delayed_work intx_poll;
	atomic_long_t stats[VI_NR_STATS];
};

static struct vi_dev *vi_from_vdev(struct virtio_device *vdev)
{
	return container_of(vdev, struct vi_vdev, vdev)->vi;
}

static u32 vi_peer_state(struct vi_dev *vi)
{
	return le32_to_cpu(READ_ONCE(vi->state_table[vi->peer_id]));
}

static void vi_set_state(struct vi_dev *vi, u32 state)
{
	writel(state, vi->regs + IVSHMEM_REG_STATE);
}

static void vi_doorbell(struct vi_dev *vi, u32 vector)
{
	writel(ivshmem_doorbell_value(vi->peer_id, vector),
	       vi->regs + IVSHMEM_REG_DOORBELL);
}

/* ---- allocator and DMA operations over the read/write section ---- */

/* log2 of the chunk size: section / 4096, clamped to [cache line, page] */
static unsigned int vi_chunk_shift(u64 section_size)
{
	unsigned long chunk;

	chunk = roundup_pow_of_two(max_t(u64, section_size >> 12, 1));
	chunk = clamp_t(unsigned long, chunk, SMP_CACHE_BYTES, PAGE_SIZE);
	return ilog2(chunk);
}

/*
 * Chunks of the largest power-of-two block, aligned to its size like the
 * blocks bitmap_find_free_region() hands out, that fits in @nchunks chunks
 * after the @reserved first ones; 0 if none does.
 */
static unsigned long vi_largest_block(unsigned long nchunks,
				      unsigned long reserved)
{
	unsigned long block;

	if (reserved >= nchunks)
		return 0;
	for (block = rounddown_pow_of_two(nchunks); block; block /= 2)
		if (ALIGN(reserved, block) + block <= nchunks)
			return block;
	return 0;
}

static void vi_alloc_reset(struct vi_dev *vi, u32 reserved)
{
	unsigned long flags, hdr_chunks;

	hdr_chunks = DIV_ROUND_UP((unsigned long)reserved,
				  1UL << vi->chunk_shift);
	vi->max_chunks = vi_largest_block(vi->nchunks, hdr_chunks);
	spin_lock_irqsave(&vi->alloc_lock, flags);
	bitmap_zero(vi->bitmap, vi->nchunks);
	bitmap_set(vi->bitmap, 0, hdr_chunks);
	/* mappings a broken ring never unmapped: their buffers are gone */
	memset(vi->orig, 0, vi->nchunks * sizeof(*vi->orig));
	memset(vi->maps, 0, vi->nchunks * sizeof(*vi->maps));
	spin_unlock_irqrestore(&vi->alloc_lock, flags);
}

static int vi_chunk_order(struct vi_dev *vi, size_t size)
{
	size_t chunks = DIV_ROUND_UP(size, 1UL << vi->chunk_shift);

	if (!size || chunks > vi->nchunks)
		return -1;
	return order_base_2(chunks);
}

/* Allocates chunks for @size bytes; returns the section offset or -1 */
static long vi_alloc(struct vi_dev *vi, size_t size)
{
	unsigned long flags;
	int order, pos;

	order = vi_chunk_order(vi, size);
	if (order < 0)
		return -1;
	spin_lock_irqsave(&vi->alloc_lock, flags);
	pos = bitmap_find_free_region(vi->bitmap, vi->nchunks, order);
	spin_unlock_irqrestore(&vi->alloc_lock, flags);
	if (pos < 0) {
		dev_warn_ratelimited(&vi->pdev->dev,
				     "shared memory full, cannot place %zu bytes\n",
				     size);
		return -1;
	}
	return (long)pos << vi->chunk_shift;
}

/* Checks that [@addr, @addr + @size) is an allocation we handed out */
static bool vi_range_ok(struct vi_dev *vi, dma_addr_t addr, size_t size)
{
	u64 chunk = 1ULL << vi->chunk_shift;

	return size && addr < vi->section_size &&
	       size <= vi->section_size - addr && addr >= chunk;
}

/*
 * Frees what vi_alloc() returned for @size bytes at @addr. A range that
 * cannot be such a block, or a block with a chunk already free (a double
 * free), is refused.
 */
static void vi_free(struct vi_dev *vi, dma_addr_t addr, size_t size)
{
	unsigned long flags, first, n;
	bool held;
	int order;

	order = vi_chunk_order(vi, size);
	if (order < 0 || !vi_range_ok(vi, addr, size))
		goto bad_range;
	first = addr >> vi->chunk_shift;
	n = 1UL << order;
	if ((first << vi->chunk_shift) != addr || first & (n - 1) ||
	    n > vi->nchunks - first)
		goto bad_range;

	spin_lock_irqsave(&vi->alloc_lock, flags);
	held = find_next_zero_bit(vi->bitmap, first + n, first) >= first + n;
	if (held)
		bitmap_release_region(vi->bitmap, first, order);
	spin_unlock_irqrestore(&vi->alloc_lock, flags);
	if (!held) {
		atomic_long_inc(&vi->stats[VI_STAT_BAD_DMA]);
		dev_err_ratelimited(&vi->pdev->dev,
				    "freeing free range 0x%llx+0x%zx\n",
				    (u64)addr, size);
	}
	return;

bad_range:
	atomic_long_inc(&vi->stats[VI_STAT_BAD_DMA]);
	dev_err_ratelimited(&vi->pdev->dev, "freeing bad range 0x%llx+0x%zx\n",
			    (u64)addr, size);
}

static struct vi_dev *vi_from_dev(struct device *dev)
{
	return pci_get_drvdata(to_pci_dev(dev));
}

static void *vi_dma_alloc(struct device *dev, size_t size,
			  dma_addr_t *dma_handle, gfp_t gfp,
			  unsigned long attrs)
{
	struct vi_dev *vi = vi_from_dev(dev);
	long off = vi_alloc(vi, size);
	void *p;

	if (off < 0)
		return NULL;
	p = (u8 *)vi->hdr + off;
	memset(p, 0, size);
	*dma_handle = off;
	return p;
}

static void vi_dma_free(struct device *dev, size_t size, void *vaddr,
			dma_addr_t dma_handle, unsigned long attrs)
{
	vi_free(vi_from_dev(dev), dma_handle, size);
}

/* Bounce copy between a mapping in the section and the original buffer */
static void vi_bounce(struct vi_dev *vi, dma_addr_t addr, size_t size,
		      bool to_section)
{
	unsigned long first = addr >> vi->chunk_shift;
	size_t in_chunk = addr & ((1UL << vi->chunk_shift) - 1);
	u8 *shm = (u8 *)vi->hdr + addr;
	u8 *orig;

	orig = vi->orig[first];
	if (!orig)
		return;
	orig += in_chunk;
	if (to_section)
		memcpy(shm, orig, size);
	else
		memcpy(orig, shm, size);
}

static dma_addr_t vi_dma_map_page(struct device *dev, struct page *page,
				  unsigned long offset, size_t size,
				  enum dma_data_direction dir,
				  unsigned long attrs)
{
	struct vi_dev *vi = vi_from_dev(dev);
	unsigned long i, first, n;
	u8 *buf = (u8 *)page_address(page) + offset;
	long off;

	off = vi_alloc(vi, size);
	if (off < 0)
		return DMA_MAPPING_ERROR;
	first = off >> vi->chunk_shift;
	n = DIV_ROUND_UP(size, 1UL << vi->chunk_shift);
	for (i = 0; i < n; i++)
		vi->orig[first + i] = buf + (i << vi->chunk_shift);
	/* the chunks are ours alone until we return their address */
	vi->maps[first].size = size;
	vi->maps[first].dir = dir;
	if (dir == DMA_TO_DEVICE || dir == DMA_BIDIRECTIONAL)
		vi_bounce(vi, off, size, true);
	return off;
}

/*
 * virtio_ring unmaps a descriptor chain while it follows VRING_DESC_F_NEXT
 * in the shared descriptor table (detach_buf_split()), which the back-end
 * can set on every entry: the walk then runs past the chain, over free and
 * in-flight descriptors, unmapping their stale or live mappings, in a loop
 * that ends only at a descriptor without NEXT. vi_dma_unmap_page() refuses
 * what is not a mapping and calls this: clear NEXT in every descriptor of
 * the split rings so that the walk ends, and break the queues, whose state
 * is lost. Called with alloc_lock held, from any context.
 */
static void vi_stop_ring_walk(struct vi_dev *vi)
{
	unsigned int i, j;

	lockdep_assert_held(&vi->alloc_lock);
	for (i = 0; i < vi->ndma_vqs; i++) {
		struct virtqueue *vq = READ_ONCE(vi->dma_vqs[i]);
		const struct vring *vr;
		__virtio16 next, flags;

		if (!vq || virtio_has_feature(vq->vdev, VIRTIO_F_RING_PACKED))
			continue;
		vr = virtqueue_get_vring(vq);
		next = cpu_to_virtio16(vq->vdev, VRING_DESC_F_NEXT);
		for (j = 0; j < vr->num; j++) {
			flags = READ_ONCE(vr->desc[j].flags);
			if (flags & next)
				WRITE_ONCE(vr->desc[j].flags, flags & ~next);
		}
		__virtqueue_break(vq);
	}
}

static void vi_dma_unmap_page(struct device *dev, dma_addr_t addr,
			      size_t size, enum dma_data_direction dir,
			      unsigned long attrs)
{
	struct vi_dev *vi = vi_from_dev(dev);
	unsigned long i, first, n, flags;
	struct vi_mapping map = { };

	first = addr >> vi->chunk_shift;
	if (!vi_range_ok(vi, addr, size) || first << vi->chunk_shift != addr) {
		atomic_long_inc(&vi->stats[VI_STAT_BAD_DMA]);
		dev_err_ratelimited(dev, "unmapping bad range 0x%llx+0x%zx\n",
				    (u64)addr, size);
		return;
	}
	/*
	 * Only a live mapping of exactly this size: virtio_ring may hand us
	 * stale ones (see vi_stop_ring_walk()). Taking it off @maps makes
	 * it ours; its chunks stay allocated until vi_free().
	 */
	spin_lock_irqsave(&vi->alloc_lock, flags);
	if (vi->maps[first].size == size) {
		map = vi->maps[first];
		vi->maps[first].size = 0;
	} else {
		vi_stop_ring_walk(vi);
	}
	spin_unlock_irqrestore(&vi->alloc_lock, flags);
	if (!map.size) {
		atomic_long_inc(&vi->stats[VI_STAT_BAD_DMA]);
		dev_err_ratelimited(dev,
				    "unmapping 0x%llx+0x%zx, not a mapping: ring walk past a chain, queues broken\n",
				    (u64)addr, size);
		return;
	}
	/* the direction it was mapped with, not the caller's */
	if (map.dir == DMA_FROM_DEVICE || map.dir == DMA_BIDIRECTIONAL)
		vi_bounce(vi, addr, size, false);
	n = DIV_ROUND_UP(size, 1UL << vi->chunk_shift);
	for (i = 0; i < n; i++)
		vi->orig[first + i] = NULL;
	vi_free(vi, addr, size);
}

static void vi_dma_sync_for_cpu(struct device *dev, dma_addr_t addr,
				size_t size, enum dma_data_direction dir)
{
	struct vi_dev *vi = vi_from_dev(dev);

	if (vi_range_ok(vi, addr, size) &&
	    (dir == DMA_FROM_DEVICE || dir == DMA_BIDIRECTIONAL))
		vi_bounce(vi, addr, size, false);
}

static void vi_dma_sync_for_device(struct device *dev, dma_addr_t addr,
				   size_t size, enum dma_data_direction dir)
{
	struct vi_dev *vi = vi_from_dev(dev);

	if (vi_range_ok(vi, addr, size) &&
	    (dir == DMA_TO_DEVICE || dir == DMA_BIDIRECTIONAL))
		vi_bounce(vi, addr, size, true);
}

static void vi_dma_unmap_sg(struct device *dev, struct scatterlist *sgl,
			    int nents, enum dma_data_direction dir,
			    unsigned long attrs)
{
	struct scatterlist *sg;
	int i;

	for_each_sg(sgl, sg, nents, i)
		vi_dma_unmap_page(dev, sg_dma_address(sg), sg_dma_len(sg),
				  dir, attrs);
}

static int vi_dma_map_sg(struct device *dev, struct scatterlist *sgl,
			 int nents, enum dma_data_direction dir,
			 unsigned long attrs)
{
	struct scatterlist *sg;
	int i;

	for_each_sg(sgl, sg, nents, i) {
		sg->dma_address = vi_dma_map_page(dev, sg_page(sg), sg->offset,
						  sg->length, dir, attrs);
		if (sg->dma_address == DMA_MAPPING_ERROR) {
			vi_dma_unmap_sg(dev, sgl, i, dir, attrs);
			return -ENOMEM;
		}
		sg_dma_len(sg) = sg->length;
	}
	return nents;
}

static size_t vi_dma_max_mapping_size(struct device *dev)
{
	struct vi_dev *vi = vi_from_dev(dev);

	/* the largest power-of-two block that fits next to the header */
	return (size_t)vi->max_chunks << vi->chunk_shift;
}

static const struct dma_map_ops vi_dma_ops = {
	.alloc			= vi_dma_alloc,
	.free			= vi_dma_free,
	.map_page		= vi_dma_map_page,
	.unmap_page		= vi_dma_unmap_page,
	.map_sg			= vi_dma_map_sg,
	.unmap_sg		= vi_dma_unmap_sg,
	.sync_single_for_cpu	= vi_dma_sync_for_cpu,
	.sync_single_for_device	= vi_dma_sync_for_device,
	.max_mapping_size	= vi_dma_max_mapping_size,
};

/* ---- write transactions ---- */

/*
 * Waits until the back-end applied the last write transaction. Fails at
 * once if the back-end is not READY, so that teardown never blocks on a
 * dead back-end.
 */
static int vi_wait_idle(struct vi_dev *vi)
{
	unsigned long timeout = jiffies + msecs_to_jiffies(VI_WRITE_TIMEOUT_MS);

	lockdep_assert_held(&vi->cfg_lock);
	for (;;) {
		if (vi_peer_state(vi) != VI_STATE_READY)
			return -ENODEV;
		if (!READ_ONCE(vi->hdr->write_transaction))
			break;
		if (time_after(jiffies, timeout)) {
			atomic_long_inc(&vi->stats[VI_STAT_WRITE_TIMEOUTS]);
			dev_err_ratelimited(&vi->pdev->dev,
					    "back-end did not apply a write within %u ms\n",
					    VI_WRITE_TIMEOUT_MS);
			return -ETIMEDOUT;
		}
		usleep_range(20, 200);
	}
	/* pairs with the back-end's barrier before clearing the field */
	virt_rmb();
	return 0;
}

/* Publishes the field at @off, already stored, and waits for it */
static int vi_commit(struct vi_dev *vi, u32 off)
{
	/* the field before the transaction; pairs with the back-end's rmb */
	virt_wmb();
	WRITE_ONCE(vi->hdr->write_transaction, cpu_to_le32(off));
	/* the doorbell is MMIO: writel orders the stores above before it */
	vi_doorbell(vi, VI_VEC_CONFIG);
	return vi_wait_idle(vi);
}

static int vi_write32(struct vi_dev *vi, u32 off, u32 val)
{
	int ret = vi_wait_idle(vi);

	if (ret)
		return ret;
	WRITE_ONCE(*(__le32 *)((u8 *)vi->hdr + off), cpu_to_le32(val));
	return vi_commit(vi, off);
}

static int vi_write16(struct vi_dev *vi, u32 off, u16 val)
{
	int ret = vi_wait_idle(vi);

	if (ret)
		return ret;
	WRITE_ONCE(*(__le16 *)((u8 *)vi->hdr + off), cpu_to_le16(val));
	return vi_commit(vi, off);
}

static int vi_write64(struct vi_dev *vi, u32 off, u64 val)
{
	int ret = vi_wait_idle(vi);

	if (ret)
		return ret;
	WRITE_ONCE(*(__le64 *)((u8 *)vi->hdr + off), cpu_to_le64(val));
	return vi_commit(vi, off);
}

/* Reads both feature windows; 0 if the back-end does not answer */
static u64 vi_read_device_features(struct vi_dev *vi)
{
	u64 features;

	mutex_lock(&vi->cfg_lock);
	if (vi_write32(vi, VI_OFF(device_features_sel), 1)) {
		mutex_unlock(&vi->cfg_lock);
		return 0;
	}
	features = (u64)le32_to_cpu(READ_ONCE(vi->hdr->device_features)) << 32;
	if (vi_write32(vi, VI_OFF(device_features_sel), 0)) {
		mutex_unlock(&vi->cfg_lock);
		return 0;
	}
	features |= le32_to_cpu(READ_ONCE(vi->hdr->device_features));
	mutex_unlock(&vi->cfg_lock);
	return features;
}

/* ---- virtio config operations ---- */

/* Is [@offset, @offset + @len) inside a device config of @cfg_size bytes? */
static bool vi_cfg_range_ok(u32 cfg_size, unsigned int offset,
			    unsigned int len)
{
	return offset <= cfg_size && len <= cfg_size - offset;
}

static void vi_get(struct virtio_device *vdev, unsigned int offset,
		   void *buf, unsigned int len)
{
	struct vi_dev *vi = vi_from_vdev(vdev);
	const u8 *src = vi->hdr->config + offset;

	if (!vi_cfg_range_ok(vi->cfg_size, offset, len)) {
		dev_err_ratelimited(&vdev->dev,
				    "config read 0x%x+%u beyond %u bytes\n",
				    offset, len, vi->cfg_size);
		memset(buf, 0, len);
		return;
	}
	switch (len) {
	case 1:
		*(u8 *)buf = READ_ONCE(*src);
		break;
	case 2:
		*(u16 *)buf = READ_ONCE(*(const u16 *)src);
		break;
	case 4:
		*(u32 *)buf = READ_ONCE(*(const u32 *)src);
		break;
	default:
		memcpy(buf, src, len);
		break;
	}
}

static void vi_set(struct virtio_device *vdev, unsigned int offset,
		   const void *buf, unsigned int len)
{
	struct vi_dev *vi = vi_from_vdev(vdev);

	if (!vi_cfg_range_ok(vi->cfg_size, offset, len) || !len) {
		dev_err_ratelimited(&vdev->dev,
				    "config write 0x%x+%u beyond %u bytes\n",
				    offset, len, vi->cfg_size);
		return;
	}
	mutex_lock(&vi->cfg_lock);
	if (!vi_wait_idle(vi)) {
		memcpy(vi->hdr->config + offset, buf, len);
		vi_commit(vi, VI_HDR_SIZE + offset);
	}
	mutex_unlock(&vi->cfg_lock);
}

static u32 vi_generation(struct virtio_device *vdev)
{
	struct vi_dev *vi = vi_from_vdev(vdev);

	return le32_to_cpu(READ_ONCE(vi->hdr->config_generation));
}

/*
 * What the driver set, so that a dead or hostile back-end can neither undo
 * a reset nor set bits the virtio core checks (DRIVER_OK before
 * virtio_device_ready()); the back-end can only refuse FEATURES_OK.
 */
static u8 vi_get_status(struct virtio_device *vdev)
{
	struct vi_dev *vi = vi_from_vdev(vdev);
	u8 status = READ_ONCE(vi->status);
	u32 dev_status;

	dev_status = le32_to_cpu(READ_ONCE(vi->hdr->device_status));
	if (!(dev_status & VIRTIO_CONFIG_S_FEATURES_OK))
		status &= ~VIRTIO_CONFIG_S_FEATURES_OK;
	return status;
}

static void vi_set_status(struct virtio_device *vdev, u8 status)
{
	struct vi_dev *vi = vi_from_vdev(vdev);

	mutex_lock(&vi->cfg_lock);
	WRITE_ONCE(vi->status, status);
	vi_write32(vi, VI_OFF(device_status), status);
	mutex_unlock(&vi->cfg_lock);
}

static void vi_reset(struct virtio_device *vdev)
{
	vi_set_status(vdev, 0);
}

/* The section offsets used as DMA addresses need ACCESS_PLATFORM */
static bool vi_features_ok(u64 features)
{
	return (features & BIT_ULL(VIRTIO_F_VERSION_1)) &&
	       (features & BIT_ULL(VIRTIO_F_ACCESS_PLATFORM));
}

static u64 vi_get_features(struct virtio_device *vdev)
{
	return vi_read_device_features(vi_from_vdev(vdev));
}

static int vi_finalize_features(struct virtio_device *vdev)
{
	struct vi_dev *vi = vi_from_vdev(vdev);
	u64 features;
	int ret;

	vring_transport_features(vdev);
	features = vdev->features;
	if (!vi_features_ok(features)) {
		dev_err(&vdev->dev,
			"features 0x%llx lack VERSION_1 or ACCESS_PLATFORM\n",
			features);
		return -EINVAL;
	}
	mutex_lock(&vi->cfg_lock);
	ret = vi_write32(vi, VI_OFF(driver_features_sel), 1);
	if (!ret)
		ret = vi_write32(vi, VI_OFF(driver_features), features >> 32);
	if (!ret)
		ret = vi_write32(vi, VI_OFF(driver_features_sel), 0);
	if (!ret)
		ret = vi_write32(vi, VI_OFF(driver_features), (u32)features);
	mutex_unlock(&vi->cfg_lock);
	return ret;
}

/*
 * Whether @vq has used entries the driver has not reaped. A queue broken
 * with such entries must be avoided: virtqueue_get_buf() returns nothing
 * from a broken queue, but virtqueue_enable_cb_delayed() of 6.1 does not
 * look at broken and keeps reporting them, so virtio_net's TX cleaning in
 * NAPI (virtnet_poll_cleantx()) asks again and again, a soft lockup
 * (later kernels, 6.12.117 among them, answer true for a broken queue).
 * Enabling callbacks on the way is harmless: only a back-end that is gone
 * is asked. Not serialised with a driver that reaps in another context:
 * the answer may be stale, never a fault. If @reaped is not NULL, it gets
 * the opaque value of virtqueue_enable_cb_prepare(), which moves as the
 * driver reaps (vi_wait_reaped()).
 */
static bool vi_vq_pending(struct virtqueue *vq, unsigned int *reaped)
{
	unsigned int opaque = virtqueue_enable_cb_prepare(vq);

	if (reaped)
		*reaped = opaque;
	return virtqueue_poll(vq, opaque);
}

static bool vi_notify(struct virtqueue *vq)
{
	struct vi_dev *vi = vi_from_vdev(vq->vdev);
	u16 vector = (uintptr_t)vq->priv;

	/*
	 * A back-end that is gone completes nothing: returning false marks
	 * the queue broken, so that a driver polling for the buffer stops.
	 * That break is ours: recorded so that vi_count_broken() does not
	 * blame the back-end for it. virtio_ring does not kick a broken
	 * queue, so the record always comes before any break by the
	 * back-end. The bitmap lives until vi_del_vqs() has deleted the
	 * queues; it is NULL only while vi_del_vqs() takes them down.
	 */
	if (vi_peer_state(vi) != VI_STATE_READY) {
		unsigned long *refused;

		/*
		 * Not while used entries wait to be reaped (see
		 * vi_vq_pending()): the kick goes nowhere and the queue
		 * stays whole until the driver has reaped them; its next
		 * kick breaks it. A driver polling for its buffer reaps
		 * them too, and stops.
		 */
		if (vi_vq_pending(vq, NULL))
			return true;
		refused = READ_ONCE(vi->vqs_refused);
		if (refused)
			set_bit(vq->index, refused);
		/* the record before virtio_ring's break: vi_count_broken() */
		smp_mb__after_atomic();
		return false;
	}
	/* the doorbell is MMIO: virtio_ring's barriers order the ring first */
	vi_doorbell(vi, vector);
	return true;
}

static void vi_del_vqs(struct virtio_device *vdev)
{
	struct vi_dev *vi = vi_from_vdev(vdev);
	unsigned long flags, *broken, *refused;
	struct virtqueue **vqs;
	unsigned int i, n;

	spin_lock_irqsave(&vi->vq_lock, flags);
	vqs = vi->vqs;
	n = vi->nvqs;
	broken = vi->vqs_broken;
	refused = vi->vqs_refused;
	vi->vqs = NULL;
	vi->nvqs = 0;
	vi->vqs_broken = NULL;
	WRITE_ONCE(vi->vqs_refused, NULL);
	spin_unlock_irqrestore(&vi->vq_lock, flags);
	spin_lock_irqsave(&vi->alloc_lock, flags);
	vi->dma_vqs = NULL;
	vi->ndma_vqs = 0;
	spin_unlock_irqrestore(&vi->alloc_lock, flags);

	for (i = 0; i < n; i++) {
		if (!vqs[i])
			continue;
		mutex_lock(&vi->cfg_lock);
		if (!vi_write32(vi, VI_OFF(queue_sel), vqs[i]->index))
			vi_write16(vi, VI_OFF(queue_enable), 0);
		mutex_unlock(&vi->cfg_lock);
		vring_del_virtqueue(vqs[i]);
	}
	kfree(vqs);
	bitmap_free(broken);
	bitmap_free(refused);
}

/*
 * Checks what the back-end says about queue @index: @num entries, kicked
 * through @dev_vector of the @nvectors the link has, @enabled already.
 */
static int vi_check_queue(struct device *dev, unsigned int index, u16 num,
			  u16 dev_vector, unsigned int nvectors, bool enabled)
{
	if (!num) {
		dev_err(dev, "queue %u does not exist\n", index);
		return -ENOENT;
	}
	if (num & (num - 1) || num > 32768) {
		dev_err(dev,
			"queue %u size %u, expected a power of 2 up to 32768\n",
			index, num);
		return -EINVAL;
	}
	if (dev_vector >= nvectors) {
		dev_err(dev,
			"queue %u device vector %u, the link has %u vector(s)\n",
			index, dev_vector, nvectors);
		return -EINVAL;
	}
	if (enabled) {
		dev_err(dev, "queue %u already enabled\n", index);
		return -EBUSY;
	}
	return 0;
}

/* Programs queue @index; called with cfg_lock held */
static struct virtqueue *vi_setup_vq(struct vi_dev *vi,
				     struct virtio_device *vdev,
				     unsigned int index,
				     vq_callback_t *callback,
				     const char *name, bool ctx)
{
	struct virtqueue *vq;
	u16 num, dev_vector, drv_vector;
	int ret;

	ret = vi_write32(vi, VI_OFF(queue_sel), index);
	if (ret)
		return ERR_PTR(ret);
	num = le16_to_cpu(READ_ONCE(vi->hdr->queue_size));
	dev_vector = le16_to_cpu(READ_ONCE(vi->hdr->queue_device_vector));
	ret = vi_check_queue(&vdev->dev, index, num, dev_vector, vi->nvectors,
			     READ_ONCE(vi->hdr->queue_enable));
	if (ret) {
		atomic_long_inc(&vi->stats[VI_STAT_BAD_QUEUES]);
		return ERR_PTR(ret);
	}

	vq = vring_create_virtqueue(index, num, SMP_CACHE_BYTES, vdev, true,
				    true, ctx, vi_notify, callback, name);
	if (!vq) {
		dev_err(&vdev->dev,
			"no room for queue %u in the shared memory\n", index);
		return ERR_PTR(-ENOMEM);
	}
	vq->priv = (void *)(uintptr_t)dev_vector;

	if (vi->per_queue_vectors)
		drv_vector = 1 + index;
	else
		drv_vector = vi->nvectors > 1 ? 1 : VI_VEC_CONFIG;

	ret = vi_write16(vi, VI_OFF(queue_size),
			 virtqueue_get_vring_size(vq));
	if (!ret)
		ret = vi_write16(vi, VI_OFF(queue_driver_vector), drv_vector);
	if (!ret)
		ret = vi_write64(vi, VI_OFF(queue_desc),
				 virtqueue_get_desc_addr(vq));
	if (!ret)
		ret = vi_write64(vi, VI_OFF(queue_driver),
				 virtqueue_get_avail_addr(vq));
	if (!ret)
		ret = vi_write64(vi, VI_OFF(queue_device),
				 virtqueue_get_used_addr(vq));
	if (!ret)
		ret = vi_write16(vi, VI_OFF(queue_enable), 1);
	if (ret) {
		vring_del_virtqueue(vq);
		return ERR_PTR(ret);
	}
	return vq;
}

#ifdef IVSHMEM_COMPAT_FIND_VQS_ARRAYS
/* Before 6.11: parallel arrays instead of struct virtqueue_info */
struct vi_vq_info {
	const char *name;
	vq_callback_t *callback;
	bool ctx;
};
#else
#define vi_vq_info virtqueue_info
#endif

static int vi_find_vqs_info(struct virtio_device *vdev, unsigned int nvqs,
			    struct virtqueue *vqs[], struct vi_vq_info *info)
{
	struct vi_dev *vi = vi_from_vdev(vdev);
	unsigned long flags, *broken, *refused;
	struct virtqueue **all;
	unsigned int i, index = 0;
	int ret = 0;

	all = kcalloc(nvqs, sizeof(*all), GFP_KERNEL);
	broken = bitmap_zalloc(nvqs, GFP_KERNEL);
	refused = bitmap_zalloc(nvqs, GFP_KERNEL);
	if (!all || !broken || !refused) {
		kfree(all);
		bitmap_free(broken);
		bitmap_free(refused);
		return -ENOMEM;
	}

	vi->per_queue_vectors = vi->nvectors > nvqs;
	spin_lock_irqsave(&vi->vq_lock, flags);
	vi->vqs = all;
	vi->nvqs = nvqs;
	vi->vqs_broken = broken;
	WRITE_ONCE(vi->vqs_refused, refused);
	spin_unlock_irqrestore(&vi->vq_lock, flags);
	spin_lock_irqsave(&vi->alloc_lock, flags);
	vi->dma_vqs = all;
	vi->ndma_vqs = nvqs;
	spin_unlock_irqrestore(&vi->alloc_lock, flags);

	for (i = 0; i < nvqs; i++) {
		struct virtqueue *vq;

		if (!info[i].name) {
			vqs[i] = NULL;
			continue;
		}
		mutex_lock(&vi->cfg_lock);
		vq = vi_setup_vq(vi, vdev, index++, info[i].callback,
				 info[i].name, info[i].ctx);
		mutex_unlock(&vi->cfg_lock);
		if (IS_ERR(vq)) {
			ret = PTR_ERR(vq);
			break;
		}
		/* the DMA operations read it under alloc_lock only */
		spin_lock_irqsave(&vi->vq_lock, flags);
		WRITE_ONCE(all[i], vq);
		spin_unlock_irqrestore(&vi->vq_lock, flags);
		vqs[i] = vq;
	}
	if (ret)
		vi_del_vqs(vdev);
	return ret;
}

#ifdef IVSHMEM_COMPAT_FIND_VQS_ARRAYS
static int vi_find_vqs(struct virtio_device *vdev, unsigned int nvqs,
		       struct virtqueue *vqs[], vq_callback_t *callbacks[],
		       const char * const names[], const bool *ctx,
		       struct irq_affinity *desc)
{
	struct vi_vq_info *info;
	unsigned int i;
	int ret;

	info = kcalloc(nvqs, sizeof(*info), GFP_KERNEL);
	if (!info)
		return -ENOMEM;
	for (i = 0; i < nvqs; i++) {
		info[i].name = names[i];
		info[i].callback = callbacks[i];
		info[i].ctx = ctx ? ctx[i] : false;
	}
	ret = vi_find_vqs_info(vdev, nvqs, vqs, info);
	kfree(info);
	return ret;
}
#else
static int vi_find_vqs(struct virtio_device *vdev, unsigned int nvqs,
		       struct virtqueue *vqs[],
		       struct virtqueue_info vqs_info[],
		       struct irq_affinity *desc)
{
	return vi_find_vqs_info(vdev, nvqs, vqs, vqs_info);
}
#endif

static const char *vi_bus_name(struct virtio_device *vdev)
{
	return pci_name(vi_from_vdev(vdev)->pdev);
}

static void vi_synchronize_cbs(struct virtio_device *vdev)
{
	struct vi_dev *vi = vi_from_vdev(vdev);
	unsigned int i;

	for (i = 0; i < vi->nvectors; i++)
		synchronize_irq(pci_irq_vector(vi->pdev, i));
}

static const struct virtio_config_ops vi_config_ops = {
	.get			= vi_get,
	.set			= vi_set,
	.generation		= vi_generation,
	.get_status		= vi_get_status,
	.set_status		= vi_set_status,
	.reset			= vi_reset,
	.find_vqs		= vi_find_vqs,
	.del_vqs		= vi_del_vqs,
	.synchronize_cbs	= vi_synchronize_cbs,
	.get_features		= vi_get_features,
	.finalize_features	= vi_finalize_features,
	.bus_name		= vi_bus_name,
};

/* ---- interrupts ---- */

/*
 * Counts the queues found broken since the last look, except those broken
 * by a kick vi_notify() refused: the back-end had gone, it wrote nothing
 * wrong. vq_lock held.
 */
static void vi_count_broken(struct vi_dev *vi)
{
	unsigned int i;

	lockdep_assert_held(&vi->vq_lock);
	for (i = 0; i < vi->nvqs; i++) {
		struct virtqueue *vq = vi->vqs[i];

		if (!vq || !virtqueue_is_broken(vq) ||
		    test_bit(i, vi->vqs_broken))
			continue;
		/* the break before the record; pairs with vi_notify() */
		smp_rmb();
		if (test_bit(vq->index, vi->vqs_refused))
			continue;
		__set_bit(i, vi->vqs_broken);
		atomic_long_inc(&vi->stats[VI_STAT_BROKEN_QUEUES]);
		dev_warn_ratelimited(&vi->pdev->dev,
				     "queue %u broken by what the back-end wrote\n",
				     i);
	}
}

static irqreturn_t vi_queues_irq(struct vi_dev *vi, int vector)
{
	irqreturn_t ret = IRQ_NONE;
	unsigned long flags;
	unsigned int i;

	/* clear before looking at the rings: a later event rings again */
	WRITE_ONCE(vi->hdr->queue_event, 0);
	/* the clear before the ring reads; pairs with the back-end's wmb */
	virt_mb();
	spin_lock_irqsave(&vi->vq_lock, flags);
	for (i = 0; i < vi->nvqs; i++) {
		if (!vi->vqs[i])
			continue;
		if (vector > 0 && vi->per_queue_vectors && i != vector - 1)
			continue;
		if (vring_interrupt(0, vi->vqs[i]) == IRQ_HANDLED)
			ret = IRQ_HANDLED;
	}
	vi_count_broken(vi);
	spin_unlock_irqrestore(&vi->vq_lock, flags);
	return ret;
}

static irqreturn_t vi_config_irq(struct vi_dev *vi)
{
	unsigned long flags;
	u32 status;

	if (vi_peer_state(vi) != READ_ONCE(vi->peer_state))
		schedule_work(&vi->state_work);

	if (!READ_ONCE(vi->hdr->config_event))
		return IRQ_HANDLED;
	WRITE_ONCE(vi->hdr->config_event, 0);
	/* the clear before reading the config; pairs with the back-end */
	virt_mb();
	status = le32_to_cpu(READ_ONCE(vi->hdr->device_status));
	if (status & VIRTIO_CONFIG_S_NEEDS_RESET) {
		atomic_long_inc(&vi->stats[VI_STAT_NEEDS_RESET]);
		dev_warn_ratelimited(&vi->pdev->dev,
				     "back-end status 0x%x: needs a reset\n",
				     status);
	}
	spin_lock_irqsave(&vi->vq_lock, flags);
	if (vi->irq_vdev)
		virtio_config_changed(&vi->irq_vdev->vdev);
	spin_unlock_irqrestore(&vi->vq_lock, flags);
	return IRQ_HANDLED;
}

static irqreturn_t vi_irq(int irq, void *data)
{
	struct vi_vector *v = data;
	struct vi_dev *vi = v->vi;
	int vector = v->nr;

	if (vector != VI_VEC_CONFIG)
		return vi_queues_irq(vi, vector);
	vi_config_irq(vi);
	if (vi->nvectors == 1)
		vi_queues_irq(vi, 0);
	return IRQ_HANDLED;
}

/*
 * INTx is delivered as an edge and the device keeps no pending state (see
 * the device contract): a pulse that arrives while the interrupt before
 * it is still in service on a level-triggered interrupt controller is
 * lost, and what it announced (a state change, used buffers) would wait
 * for an interrupt that may never come. With INTx the driver therefore
 * also does the handler's work every VI_INTX_POLL_MS.
 */
static void vi_intx_poll(struct work_struct *work)
{
	struct vi_dev *vi = container_of(to_delayed_work(work), struct vi_dev,
					 intx_poll);

	/* softirqs the callbacks raise (NAPI) run at local_bh_enable() */
	local_bh_disable();
	vi_irq(0, &vi->vectors[0]);
	local_bh_enable();
	schedule_delayed_work(&vi->intx_poll,
			      msecs_to_jiffies(VI_INTX_POLL_MS));
}

/* ---- back-end lifecycle ---- */

static void vi_vdev_release(struct device *dev)
{
	struct virtio_device *vdev = dev_to_virtio(dev);

	kfree(container_of(vdev, struct vi_vdev, vdev));
}

/*
 * ---- failing what a dead back-end left outstanding ----
 *
 * A driver whose remove waits for its requests (virtio_blk: del_gendisk()
 * freezes the queue) hangs if the back-end died with requests in flight:
 * nothing completes them once the queues are broken. So before breaking
 * the device, the transport completes every outstanding buffer itself, as
 * a device that failed them: each device-writable buffer it can identify
 * is filled with 0xff (virtio_blk reads status 0xff, an I/O error), the
 * head goes to the used ring with length 0 (virtio_net drops a short
 * frame, virtio_console gets no data) and the driver's callback reaps it.
 *
 * Which heads are outstanding is virtio_ring's private state, and
 * vi_notify() cannot keep a record of its own: drivers kick after
 * dropping their queue lock, or not at all. Back-ends complete in order
 * (all of tools/virtio/ivshmem do), so they are the avail entries from
 * the used index to the avail index. Both indexes and
 * the entries are in the shared memory and read once; a head out of range
 * or seen twice is skipped, a span longer than the ring skips the queue.
 * A back-end that completed out of order or scribbled on the rings can
 * make virtio_ring refuse an entry ("is not a head"), which breaks the
 * queue and leaves the rest outstanding, as without this recovery: that
 * costs liveness only, never memory safety.
 */

/*
 * Fills the device-writable buffer at @addr (@len bytes, from a
 * descriptor) with 0xff if it is the start of a live streaming mapping
 * from the device, as much of it as that mapping covers. Anything else
 * (a coherent buffer, an address inside a mapping) is left alone.
 */
static void vi_fill_writable(struct vi_dev *vi, u64 addr, u32 len)
{
	unsigned long first, flags;
	struct vi_mapping map;

	if (!vi_range_ok(vi, addr, len) ||
	    addr & ((1UL << vi->chunk_shift) - 1))
		return;
	first = addr >> vi->chunk_shift;
	/* the mapping must stay live while we write it */
	spin_lock_irqsave(&vi->alloc_lock, flags);
	map = vi->maps[first];
	if (map.size && (map.dir == DMA_FROM_DEVICE ||
			 map.dir == DMA_BIDIRECTIONAL))
		memset((u8 *)vi->hdr + addr, 0xff, min(len, map.size));
	spin_unlock_irqrestore(&vi->alloc_lock, flags);
}

/* Fills the writable buffers of the indirect table at @addr, @len bytes */
static void vi_fail_indirect(struct vi_dev *vi, struct virtio_device *vdev,
			     u64 addr, u32 len)
{
	const struct vring_desc *d;
	unsigned int i, n;
	u16 flags;

	if (!vi_range_ok(vi, addr, len) || len % sizeof(*d))
		return;
	d = (const struct vring_desc *)((u8 *)vi->hdr + addr);
	n = len / sizeof(*d);
	for (i = 0; i < n; i++) {
		flags = virtio16_to_cpu(vdev, READ_ONCE(d[i].flags));
		if (flags & VRING_DESC_F_WRITE)
			vi_fill_writable(vi,
					 virtio64_to_cpu(vdev,
							 READ_ONCE(d[i].addr)),
					 virtio32_to_cpu(vdev,
							 READ_ONCE(d[i].len)));
	}
}

/* Fills the writable buffers of the chain at @head, at most num steps */
static void vi_fail_chain(struct vi_dev *vi, struct virtio_device *vdev,
			  const struct vring *vr, unsigned int head)
{
	unsigned int i = head, steps;
	u16 flags, next;
	u64 addr;
	u32 len;

	for (steps = 0; steps < vr->num; steps++) {
		addr = virtio64_to_cpu(vdev, READ_ONCE(vr->desc[i].addr));
		len = virtio32_to_cpu(vdev, READ_ONCE(vr->desc[i].len));
		flags = virtio16_to_cpu(vdev, READ_ONCE(vr->desc[i].flags));
		next = virtio16_to_cpu(vdev, READ_ONCE(vr->desc[i].next));
		if (flags & VRING_DESC_F_INDIRECT)
			vi_fail_indirect(vi, vdev, addr, len);
		else if (flags & VRING_DESC_F_WRITE)
			vi_fill_writable(vi, addr, len);
		if (!(flags & VRING_DESC_F_NEXT) || next >= vr->num)
			break;
		i = next;
	}
}

/*
 * Completes the outstanding heads of split queue @vq with length 0, @seen
 * a scratch bitmap of 32768 bits. Returns how many; vq_lock held. The
 * driver may add or reap on another CPU meanwhile, as with a device: it
 * reads used entries only up to the index published last, and entries it
 * adds after the avail index read here wait for the next round.
 */
static unsigned int vi_fail_queue(struct vi_dev *vi, struct virtqueue *vq,
				  unsigned long *seen)
{
	struct virtio_device *vdev = vq->vdev;
	const struct vring *vr = virtqueue_get_vring(vq);
	unsigned int k, slot, n = 0, mask = vr->num - 1;
	u16 avail, used, pending, head;

	lockdep_assert_held(&vi->vq_lock);
	if (virtio_has_feature(vdev, VIRTIO_F_RING_PACKED))
		return 0;
	avail = virtio16_to_cpu(vdev, READ_ONCE(vr->avail->idx));
	used = virtio16_to_cpu(vdev, READ_ONCE(vr->used->idx));
	pending = avail - used;
	if (!pending)
		return 0;
	if (pending > vr->num) {
		dev_warn_ratelimited(&vi->pdev->dev,
				     "queue %u: used index %u, avail index %u: cannot fail what is outstanding\n",
				     vq->index, used, avail);
		return 0;
	}
	bitmap_zero(seen, vr->num);
	for (k = 0; k < pending; k++) {
		slot = (used + k) & mask;
		head = virtio16_to_cpu(vdev, READ_ONCE(vr->avail->ring[slot]));
		if (head >= vr->num || __test_and_set_bit(head, seen))
			continue;
		vi_fail_chain(vi, vdev, vr, head);
		WRITE_ONCE(vr->used->ring[(used + n) & mask].id,
			   cpu_to_virtio32(vdev, head));
		WRITE_ONCE(vr->used->ring[(used + n) & mask].len, 0);
		n++;
	}
	/*
	 * The entries and the filled buffers before the index: pairs with
	 * virtio_ring's read barrier between the index and the entries.
	 */
	virt_wmb();
	WRITE_ONCE(vr->used->idx, cpu_to_virtio16(vdev, used + n));
	return n;
}

/*
 * Breaks every queue of the device, after counting those that broke
 * before; the breaks are ours, not the back-end's: marked as counted.
 * vq_lock held.
 */
static void vi_break_queues(struct vi_dev *vi)
{
	unsigned int i;

	lockdep_assert_held(&vi->vq_lock);
	vi_count_broken(vi);
	for (i = 0; i < vi->nvqs; i++) {
		if (!vi->vqs[i])
			continue;
		__virtqueue_break(vi->vqs[i]);
		__set_bit(i, vi->vqs_broken);
	}
}

/*
 * Waits until the drivers have reaped every used entry of the queues: the
 * softirqs that the callbacks raised run at local_bh_enable() only until
 * they have taken too long, then ksoftirqd goes on with them, which needs
 * this thread to sleep. Breaking a queue before its entries are reaped can
 * spin virtio_net, see vi_vq_pending(). Some drivers reap only when they
 * need to (virtio_console's receive queue, as its reader takes the data;
 * virtio_net without NAPI for TX) and do not spin on what is left: the
 * wait ends once no queue has been reaped for VI_REAP_IDLE_MS, and after
 * VI_REAP_TIMEOUT_MS in any case.
 */
static void vi_wait_reaped(struct vi_dev *vi)
{
	unsigned long end = jiffies + msecs_to_jiffies(VI_REAP_TIMEOUT_MS);
	unsigned long idle = msecs_to_jiffies(VI_REAP_IDLE_MS);
	unsigned long moved = jiffies, flags;
	unsigned int i, opaque, sum, last = 0;
	bool pending;

	for (;;) {
		pending = false;
		sum = 0;
		/* no softirq of this CPU is reaping meanwhile */
		local_bh_disable();
		spin_lock_irqsave(&vi->vq_lock, flags);
		for (i = 0; i < vi->nvqs; i++) {
			struct virtqueue *vq = vi->vqs[i];

			if (!vq)
				continue;
			pending |= vi_vq_pending(vq, &opaque);
			sum += opaque;
		}
		spin_unlock_irqrestore(&vi->vq_lock, flags);
		local_bh_enable();
		if (!pending)
			return;
		if (sum != last) {
			last = sum;
			moved = jiffies;
		}
		if (time_after(jiffies, moved + idle) ||
		    time_after(jiffies, end))
			return;
		usleep_range(1000, 2000);
	}
}

/*
 * Fails every buffer the dead back-end left outstanding, see above; the
 * queues are broken when it returns. Each round, with the queues unbroken
 * (a kick after the back-end died breaks a queue, see vi_notify()),
 * completes the outstanding heads and runs the callbacks, and lets the
 * softirqs they raise (NAPI) run, so that the drivers reap all used
 * entries, the back-end's last ones included, before a queue is broken
 * again (vi_wait_reaped()): virtio_net's TX cleaning loops as long as
 * virtio_ring reports more used entries than it can reap from a broken
 * queue. Then it breaks the queues and waits for submissions under way
 * (drivers add buffers under a spinlock or in softirq, so synchronize_rcu()
 * sees them finish: a later one fails with -EIO); the next round catches
 * those. Called with vi->lock held, from the state work.
 */
static void vi_fail_outstanding(struct vi_dev *vi)
{
	unsigned int round, i, done, total = 0;
	unsigned long *seen;
	unsigned long flags;

	lockdep_assert_held(&vi->lock);
	seen = bitmap_zalloc(32768, GFP_KERNEL);
	if (!seen)
		return;
	for (round = 1; round <= VI_FAIL_ROUNDS; round++) {
		done = 0;
		/* softirqs raised by the callbacks run at local_bh_enable() */
		local_bh_disable();
		/* no interrupt handler runs a callback meanwhile */
		spin_lock_irqsave(&vi->vq_lock, flags);
		for (i = 0; i < vi->nvqs; i++) {
			struct virtqueue *vq = vi->vqs[i];

			if (!vq)
				continue;
			/*
			 * Undoes every break, counted or not. What the
			 * back-end left in the rings can break the queue
			 * again here: vi_break_queues() counts that, in the
			 * first round only. A refused kick is forgotten
			 * before the queue is whole again: one that sees it
			 * whole records a new refusal after this.
			 */
			clear_bit(vq->index, vi->vqs_refused);
			/* the clear before the unbreak; see vi_notify() */
			smp_mb__after_atomic();
			__virtqueue_unbreak(vq);
			done += vi_fail_queue(vi, vq, seen);
			vring_interrupt(0, vq);
		}
		spin_unlock_irqrestore(&vi->vq_lock, flags);
		local_bh_enable();
		vi_wait_reaped(vi);

		spin_lock_irqsave(&vi->vq_lock, flags);
		vi_break_queues(vi);
		spin_unlock_irqrestore(&vi->vq_lock, flags);
		synchronize_rcu();
		if (!done)
			break;
		total += done;
	}
	bitmap_free(seen);
	if (total)
		dev_info(&vi->pdev->dev,
			 "back-end gone: failed %u outstanding buffer(s) in %u round(s)\n",
			 total, min(round, VI_FAIL_ROUNDS));
}

/* Removes the virtio device; called with vi->lock held */
static void vi_unregister(struct vi_dev *vi)
{
	struct vi_vdev *cur = vi->cur;
	unsigned long flags;

	if (!cur)
		return;
	spin_lock_irqsave(&vi->vq_lock, flags);
	vi_count_broken(vi);
	spin_unlock_irqrestore(&vi->vq_lock, flags);
	/*
	 * A dead back-end completes nothing: fail what is outstanding, then
	 * break the device so that drivers waiting for completions stop.
	 */
	if (vi_peer_state(vi) != VI_STATE_READY) {
		vi_fail_outstanding(vi);
		virtio_break_device(&cur->vdev);
	}
	spin_lock_irqsave(&vi->vq_lock, flags);
	vi->irq_vdev = NULL;
	spin_unlock_irqrestore(&vi->vq_lock, flags);
	unregister_virtio_device(&cur->vdev);
	vi->cur = NULL;
	dev_info(&vi->pdev->dev, "virtio device removed\n");
}

/* Checks the back-end's header @revision and @size (header and config) */
static int vi_check_header(struct vi_dev *vi, u32 revision, u32 size)
{
	struct device *dev = &vi->pdev->dev;

	if (revision != VI_REVISION) {
		dev_err(dev, "back-end header revision %u, expected %u\n",
			revision, VI_REVISION);
		return -EINVAL;
	}
	if (size < VI_HDR_SIZE || size > vi->section_size / 2) {
		dev_err(dev,
			"back-end header size 0x%x, expected 0x%zx to 0x%llx\n",
			size, VI_HDR_SIZE, vi->section_size / 2);
		return -EINVAL;
	}
	return 0;
}

/* Validates the back-end's header and registers the virtio device */
static void vi_register(struct vi_dev *vi)
{
	struct device *dev = &vi->pdev->dev;
	u32 revision, size;
	struct vi_vdev *cur;
	u64 features;
	int ret;

	revision = le32_to_cpu(READ_ONCE(vi->hdr->revision));
	size = le32_to_cpu(READ_ONCE(vi->hdr->size));
	if (vi_check_header(vi, revision, size)) {
		atomic_long_inc(&vi->stats[VI_STAT_BAD_HEADERS]);
		return;
	}
	vi->cfg_size = size - VI_HDR_SIZE;
	vi_alloc_reset(vi, size);

	features = vi_read_device_features(vi);
	if (!vi_features_ok(features)) {
		atomic_long_inc(&vi->stats[VI_STAT_BAD_HEADERS]);
		dev_err(dev,
			"back-end features 0x%llx, VERSION_1 and ACCESS_PLATFORM are required\n",
			features);
		return;
	}

	cur = kzalloc(sizeof(*cur), GFP_KERNEL);
	if (!cur)
		return;
	cur->vi = vi;
	cur->vdev.dev.parent = dev;
	cur->vdev.dev.release = vi_vdev_release;
	cur->vdev.config = &vi_config_ops;
	cur->vdev.id.device = vi->device_id;
	cur->vdev.id.vendor = PCI_VENDOR_ID_SIEMENS;

	ret = register_virtio_device(&cur->vdev);
	if (ret) {
		dev_err(dev, "cannot register the virtio device: %d\n", ret);
		put_device(&cur->vdev.dev);
		return;
	}
	vi->cur = cur;
	atomic_long_inc(&vi->stats[VI_STAT_REGISTRATIONS]);
	spin_lock_irq(&vi->vq_lock);
	vi->irq_vdev = cur;
	spin_unlock_irq(&vi->vq_lock);
	dev_info(dev, "virtio device %u registered, %u %s vector(s)\n",
		 vi->device_id, vi->nvectors,
		 vi->pdev->msix_enabled ? "MSI-X" : "INTx");
}

static void vi_state_work(struct work_struct *work)
{
	struct vi_dev *vi = container_of(work, struct vi_dev, state_work);
	u32 state;

	mutex_lock(&vi->lock);
	state = vi_peer_state(vi);
	WRITE_ONCE(vi->peer_state, state);
	if (state != VI_STATE_READY) {
		vi_unregister(vi);
		vi_set_state(vi, VI_STATE_RESET);
	} else if (!vi->cur && !vi->removing) {
		/* the back-end serves write transactions once we are READY */
		vi_set_state(vi, VI_STATE_READY);
		vi_register(vi);
	}
	mutex_unlock(&vi->lock);
}

/* ---- PCI driver ---- */

static int vi_check_geometry(struct vi_dev *vi)
{
	const struct ivshmem_geometry *geo = &vi->geo;
	struct pci_dev *pdev = vi->pdev;

	if (!ivshmem_proto_is_virtio_front(geo->protocol)) {
		pci_err(pdev, "protocol 0x%04x is not a virtio front-end\n",
			geo->protocol);
		return -ENODEV;
	}
	vi->device_id = ivshmem_proto_virtio_id(geo->protocol);
	if (!vi->device_id) {
		pci_err(pdev, "virtio device ID 0 is reserved\n");
		return -ENODEV;
	}
	if (geo->max_peers != 2) {
		pci_err(pdev,
			"link has %u peers, virtio over IVSHMEM needs exactly 2\n",
			geo->max_peers);
		return -EINVAL;
	}
	if (geo->rw_section_size < 2 * PAGE_SIZE ||
	    geo->rw_section_size > SZ_1G) {
		pci_err(pdev,
			"R/W section size 0x%llx, expected 0x%lx to 0x%x\n",
			geo->rw_section_size, 2 * PAGE_SIZE, SZ_1G);
		return -EINVAL;
	}
	vi->section_size = geo->rw_section_size;
	vi->peer_id = 1 - geo->id;
	return 0;
}

static int vi_map(struct vi_dev *vi)
{
	const struct ivshmem_geometry *geo = &vi->geo;
	struct device *dev = &vi->pdev->dev;
	void *p;

	if (!devm_request_mem_region(dev, geo->base, geo->region_size,
				     VI_DRV_NAME)) {
		pci_err(vi->pdev, "shared memory at %pa is busy\n", &geo->base);
		return -EBUSY;
	}
	/* ordinary memory shared between VMs: map write-back */
	p = devm_memremap(dev, geo->base, geo->state_table_size, MEMREMAP_WB);
	if (IS_ERR(p))
		return PTR_ERR(p);
	vi->state_table = p;
	p = devm_memremap(dev, geo->base + geo->rw_section_offset,
			  vi->section_size, MEMREMAP_WB);
	if (IS_ERR(p))
		return PTR_ERR(p);
	vi->hdr = p;

	vi->chunk_shift = vi_chunk_shift(vi->section_size);
	vi->nchunks = vi->section_size >> vi->chunk_shift;
	vi->bitmap = devm_bitmap_zalloc(dev, vi->nchunks, GFP_KERNEL);
	vi->orig = devm_kcalloc(dev, vi->nchunks, sizeof(*vi->orig),
				GFP_KERNEL);
	vi->maps = devm_kcalloc(dev, vi->nchunks, sizeof(*vi->maps),
				GFP_KERNEL);
	if (!vi->bitmap || !vi->orig || !vi->maps)
		return -ENOMEM;
	return 0;
}

static void vi_free_irqs(struct vi_dev *vi)
{
	unsigned int i;

	for (i = 0; i < vi->nvectors; i++)
		free_irq(pci_irq_vector(vi->pdev, i), &vi->vectors[i]);
}

static int vi_request_irqs(struct vi_dev *vi)
{
	struct pci_dev *pdev = vi->pdev;
	unsigned long flags = pdev->msix_enabled ? 0 : IRQF_SHARED;
	const char *name;
	unsigned int i;
	int ret;

	vi->vectors = devm_kcalloc(&pdev->dev, vi->nvectors,
				   sizeof(*vi->vectors), GFP_KERNEL);
	if (!vi->vectors)
		return -ENOMEM;
	for (i = 0; i < vi->nvectors; i++) {
		vi->vectors[i].vi = vi;
		vi->vectors[i].nr = i;
		name = devm_kasprintf(&pdev->dev, GFP_KERNEL, "%s[%s]-%u",
				      VI_DRV_NAME, pci_name(pdev), i);
		if (!name)
			ret = -ENOMEM;
		else
			ret = request_irq(pci_irq_vector(pdev, i), vi_irq,
					  flags, name, &vi->vectors[i]);
		if (ret) {
			pci_err(pdev, "cannot request interrupt vector %u: %d\n",
				i, ret);
			while (i--)
				free_irq(pci_irq_vector(pdev, i),
					 &vi->vectors[i]);
			return ret;
		}
	}
	return 0;
}

static int vi_probe(struct pci_dev *pdev, const struct pci_device_id *ent)
{
	struct device *dev = &pdev->dev;
	struct vi_dev *vi;
	int ret, want;

	BUILD_BUG_ON(VI_OFF(queue_size) != 0x20);
	BUILD_BUG_ON(VI_OFF(queue_desc) != 0x28);
	BUILD_BUG_ON(VI_OFF(config_event) != 0x40);
	BUILD_BUG_ON(VI_OFF(device_status) != 0x44);
	BUILD_BUG_ON(VI_HDR_SIZE != 0x4c);

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;

	vi = devm_kzalloc(dev, sizeof(*vi), GFP_KERNEL);
	if (!vi)
		return -ENOMEM;
	vi->pdev = pdev;
	mutex_init(&vi->lock);
	mutex_init(&vi->cfg_lock);
	spin_lock_init(&vi->vq_lock);
	spin_lock_init(&vi->alloc_lock);
	INIT_WORK(&vi->state_work, vi_state_work);
	INIT_DELAYED_WORK(&vi->intx_poll, vi_intx_poll);
	vi->peer_state = VI_STATE_RESET;

	vi->regs = ivshmem_map_regs(pdev, VI_DRV_NAME, false);
	if (IS_ERR(vi->regs))
		return PTR_ERR(vi->regs);
	ret = ivshmem_read_geometry(pdev, vi->regs, 0, &vi->geo);
	if (ret)
		return ret;
	ret = vi_check_geometry(vi);
	if (ret)
		return ret;
	ret = vi_map(vi);
	if (ret)
		return ret;

	/* we own the device now: no one-shot mode, no interrupts yet */
	writel(0, vi->regs + IVSHMEM_REG_INT_CTRL);
	ret = pci_write_config_byte(pdev,
				    vi->geo.cap_pos + IVSHMEM_CAP_PRIV_CTRL, 0);
	if (ret)
		return pcibios_err_to_errno(ret);
	vi_set_state(vi, VI_STATE_RESET);

	/* MSI-X messages need bus mastering */
	pci_set_master(pdev);
	want = pci_msix_vec_count(pdev);
	want = clamp(want, 1, VI_MAX_VECTORS);
	ret = pci_alloc_irq_vectors(pdev, 1, want,
				    PCI_IRQ_MSIX | IVSHMEM_PCI_IRQ_INTX);
	if (ret < 0) {
		pci_err(pdev, "neither MSI-X nor INTx interrupts: %d\n", ret);
		return ret;
	}
	vi->nvectors = ret;

	pci_set_drvdata(pdev, vi);
	set_dma_ops(dev, &vi_dma_ops);
	/* a stub without ARCH_HAS_DMA_OPS: the rings would be in our RAM */
	if (get_dma_ops(dev) != &vi_dma_ops) {
		dev_err(dev,
			"kernel without DMA ops (ARCH_HAS_DMA_OPS): cannot place the rings in the shared memory\n");
		ret = -ENODEV;
		goto err_clear_dma_ops;
	}

	ret = vi_request_irqs(vi);
	if (ret)
		goto err_clear_dma_ops;
	writel(IVSHMEM_INT_ENABLE, vi->regs + IVSHMEM_REG_INT_CTRL);

	pci_info(pdev,
		 "virtio device %u front-end, peer %u of 2, %u %s vector(s), R/W section 0x%llx bytes, waiting for the back-end\n",
		 vi->device_id, vi->geo.id, vi->nvectors,
		 pdev->msix_enabled ? "MSI-X" : "INTx", vi->section_size);
	schedule_work(&vi->state_work);
	if (!pdev->msix_enabled)
		schedule_delayed_work(&vi->intx_poll,
				      msecs_to_jiffies(VI_INTX_POLL_MS));
	return 0;

err_clear_dma_ops:
	set_dma_ops(dev, NULL);
	return ret;
}

static void vi_remove(struct pci_dev *pdev)
{
	struct vi_dev *vi = pci_get_drvdata(pdev);

	mutex_lock(&vi->lock);
	vi->removing = true;
	mutex_unlock(&vi->lock);
	cancel_work_sync(&vi->state_work);

	mutex_lock(&vi->lock);
	vi_unregister(vi);
	vi_set_state(vi, VI_STATE_RESET);
	mutex_unlock(&vi->lock);

	writel(0, vi->regs + IVSHMEM_REG_INT_CTRL);
	/* it re-arms itself: cancel_delayed_work_sync() stops that too */
	cancel_delayed_work_sync(&vi->intx_poll);
	vi_free_irqs(vi);
	cancel_work_sync(&vi->state_work);
	set_dma_ops(&pdev->dev, NULL);
}

/* ---- counters in sysfs: <pci device>/virtio_ivshmem/<name> ---- */

static ssize_t vi_stat_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	struct dev_ext_attribute *ea = container_of(attr, typeof(*ea), attr);
	struct vi_dev *vi = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%ld\n",
			  atomic_long_read(&vi->stats[(uintptr_t)ea->var]));
}

static struct dev_ext_attribute vi_stat_attrs[VI_NR_STATS] = {
	[VI_STAT_REGISTRATIONS] = {
		__ATTR(registrations, 0444, vi_stat_show, NULL),
		(void *)VI_STAT_REGISTRATIONS },
	[VI_STAT_BAD_HEADERS] = {
		__ATTR(bad_headers, 0444, vi_stat_show, NULL),
		(void *)VI_STAT_BAD_HEADERS },
	[VI_STAT_BAD_QUEUES] = {
		__ATTR(bad_queues, 0444, vi_stat_show, NULL),
		(void *)VI_STAT_BAD_QUEUES },
	[VI_STAT_WRITE_TIMEOUTS] = {
		__ATTR(write_timeouts, 0444, vi_stat_show, NULL),
		(void *)VI_STAT_WRITE_TIMEOUTS },
	[VI_STAT_BROKEN_QUEUES] = {
		__ATTR(broken_queues, 0444, vi_stat_show, NULL),
		(void *)VI_STAT_BROKEN_QUEUES },
	[VI_STAT_BAD_DMA] = {
		__ATTR(bad_dma, 0444, vi_stat_show, NULL),
		(void *)VI_STAT_BAD_DMA },
	[VI_STAT_NEEDS_RESET] = {
		__ATTR(needs_reset, 0444, vi_stat_show, NULL),
		(void *)VI_STAT_NEEDS_RESET },
};

static struct attribute *vi_stats_attrs[] = {
	&vi_stat_attrs[VI_STAT_REGISTRATIONS].attr.attr,
	&vi_stat_attrs[VI_STAT_BAD_HEADERS].attr.attr,
	&vi_stat_attrs[VI_STAT_BAD_QUEUES].attr.attr,
	&vi_stat_attrs[VI_STAT_WRITE_TIMEOUTS].attr.attr,
	&vi_stat_attrs[VI_STAT_BROKEN_QUEUES].attr.attr,
	&vi_stat_attrs[VI_STAT_BAD_DMA].attr.attr,
	&vi_stat_attrs[VI_STAT_NEEDS_RESET].attr.attr,
	NULL
};

static const struct attribute_group vi_stats_group = {
	.name = VI_DRV_NAME,
	.attrs = vi_stats_attrs,
};

static const struct attribute_group *vi_groups[] = {
	&vi_stats_group,
	NULL
};

static const struct pci_device_id vi_ids[] = {
	{
		PCI_DEVICE(PCI_VENDOR_ID_SIEMENS, PCI_DEVICE_ID_IVSHMEM),
		.class = IVSHMEM_PCI_CLASS(IVSHMEM_PROTO_VIRTIO_FRONT),
		.class_mask = 0xff0000 | IVSHMEM_PROTO_VIRTIO_ROLE_MASK,
	},
	{ }
};

/*
 * modpost cannot turn the partial sub-class mask above into a module
 * alias (MODULE_DEVICE_TABLE): sub-classes 80h-BFh spelled as a glob.
 */
MODULE_ALIAS("pci:v0000110Ad00004106sv*sd*bcFFsc[8-9A-B]?i*");

static struct pci_driver vi_driver = {
	.name = VI_DRV_NAME,
	.id_table = vi_ids,
	.probe = vi_probe,
	.remove = vi_remove,
	.dev_groups = vi_groups,
};
module_pci_driver(vi_driver);

MODULE_DESCRIPTION("Virtio transport over IVSHMEM v2 inter-VM shared memory");
MODULE_LICENSE("GPL");

#if IS_ENABLED(CONFIG_VIRTIO_IVSHMEM_KUNIT_TEST)
#include "virtio_ivshmem-kunit.c"
#endif
