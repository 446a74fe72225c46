// SPDX-License-Identifier: GPL-2.0
/*
 * Virtual peer-to-peer Ethernet over the IVSHMEM v2 inter-VM shared memory
 * device (110Ah:4106h, protocol 0001h), wire-compatible with the ivshmem-net
 * driver of the Jailhouse kernel trees and with Zephyr's eth_ivshmem.
 *
 * Exactly two peers share a link. Each one transmits through a virtio split
 * ring in its own output section (descriptors, avail ring, frame buffers)
 * and reports what it received from the other one in the used ring of its
 * own section, so that each peer only ever writes its own section. Every
 * value read from the peer's section is read once, validated and only the
 * local copy is used: a malformed frame is counted and consumed, a broken
 * ring resets the link. See
 * Documentation/networking/device_drivers/ethernet/ivshmem-net.rst.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/etherdevice.h>
#include <linux/ethtool.h>
#include <linux/if_vlan.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/ivshmem.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/netdevice.h>
#include <linux/pci.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <linux/u64_stats_sync.h>
#include <linux/workqueue.h>
#include <net/checksum.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>

#define IVNET_DRV_NAME		"ivshmem-net"

/* Protocol states (our State register, the peer's state table entry) */
#define IVNET_STATE_RESET	0
#define IVNET_STATE_INIT	1
#define IVNET_STATE_READY	2
#define IVNET_STATE_RUN		3

/* Interrupt vectors with MSI-X; with a single vector everything uses 0 */
#define IVNET_VEC_STATE		0
#define IVNET_VEC_TXRX		1
#define IVNET_NUM_VECTORS	2

/* Queue sizing, identical on both peers (see ivnet_calc_qlen()) */
#define IVNET_QLEN_MAX		4096
#define IVNET_QLEN_MIN		32
#define IVNET_VRING_ALIGN	64
/* Frame placement in the sender's data area */
#define IVNET_FRAME_HEADROOM	18	/* Ethernet header and VLAN tag */
#define IVNET_FRAME_ALIGN	64
#define IVNET_MIN_DATA_SIZE	(4 * ETH_MIN_MTU)
#define IVNET_MTU_DEFAULT_MAX	16384
#define IVNET_MTU_MAX		65535
/* TCP segmentation offload: the largest GSO frames the stack hands over */
#define IVNET_TSO_MAX_SEGS	64
#define IVNET_TSO_MAX_HDR	160	/* Ethernet, VLAN tags, IP, TCP */

/* Used entries carry this marker as length, not a byte count */
#define IVNET_USED_LEN		1

/* Upper bound of handshake steps per state machine run */
#define IVNET_SM_MAX_STEPS	8

/* Virtio split ring (legacy layout), little-endian on the wire */
struct ivnet_desc {
	__le64 addr;	/* frame offset from the sender's section start */
	__le32 len;	/* frame length, Ethernet header included, no FCS */
	__le16 flags;	/* 0: no chaining, no indirect, device-readable */
	__le16 next;	/* unused */
};

struct ivnet_avail {
	__le16 flags;
	__le16 idx;
	__le16 ring[];	/* qlen entries, then used_event */
};

struct ivnet_used_elem {
	__le32 id;	/* descriptor index */
	__le32 len;	/* IVNET_USED_LEN */
};

struct ivnet_used {
	__le16 flags;
	__le16 idx;
	struct ivnet_used_elem ring[];	/* qlen entries, then avail_event */
};

/**
 * struct ivnet_txq - what we send: our ring, completed by the peer
 * @desc: descriptor table (own section)
 * @avail: avail ring (own section)
 * @used_event: when the peer should notify completions (own section)
 * @used: used ring of the frames the peer received from us (peer section)
 * @avail_event: how far the peer has consumed our avail ring (peer section)
 * @data: our data area (own section, after the ring)
 * @frame_end: per descriptor, data offset after its frame
 * @frame_bytes: per descriptor, data bytes its frame holds (with the
 *	skipped tail of the area when it wrapped)
 * @avail_idx: next avail index to fill
 * @avail_pub: avail index last published to the peer
 * @last_used: next used index we expect from the peer
 * @head: data offset where the next frame goes
 * @tail: data offset of the oldest frame in flight
 * @bytes: data bytes in flight
 *
 * All fields but the pointers are protected by the netdev TX queue lock:
 * ndo_start_xmit holds it, the NAPI poll takes it to reclaim. The state
 * machine resets them only while the queue is disabled and NAPI is off.
 */
struct ivnet_txq {
	struct ivnet_desc *desc;
	struct ivnet_avail *avail;
	__le16 *used_event;
	const struct ivnet_used *used;
	const __le16 *avail_event;
	u8 *data;
	u32 *frame_end;
	u32 *frame_bytes;
	u16 avail_idx;
	u16 avail_pub;
	u16 last_used;
	u32 head;
	u32 tail;
	u32 bytes;
};

/**
 * struct ivnet_rxq - what we receive: the peer's ring, completed by us
 * @desc: the peer's descriptor table (peer section)
 * @avail: the peer's avail ring (peer section)
 * @used_event: when the peer wants completion notifications (peer section)
 * @used: our used ring for the peer's frames (own section)
 * @avail_event: how far we consumed the peer's avail ring (own section)
 * @base: start of the peer's section; descriptor addresses are relative
 * @last_avail: next avail index of the peer to consume
 * @used_idx: next used index to write
 *
 * Only touched by the NAPI poll, and by the state machine while NAPI is off.
 */
struct ivnet_rxq {
	const struct ivnet_desc *desc;
	const struct ivnet_avail *avail;
	const __le16 *used_event;
	struct ivnet_used *used;
	__le16 *avail_event;
	const u8 *base;
	u16 last_avail;
	u16 used_idx;
};

/* Counters shown by ethtool -S, in this order; never cleared */
enum ivnet_stat {
	IVNET_STAT_RX_PACKETS,
	IVNET_STAT_RX_BYTES,
	IVNET_STAT_RX_DROPPED,		/* no memory for the frame */
	IVNET_STAT_RX_INVALID_DESC,	/* bad index, flags or buffer range */
	IVNET_STAT_RX_LENGTH_ERRORS,	/* runt or larger than the MTU */
	IVNET_STAT_RX_NOTIFY,		/* completion doorbells to the peer */
	IVNET_STAT_RX_LAST = IVNET_STAT_RX_NOTIFY,
	IVNET_STAT_TX_PACKETS,
	IVNET_STAT_TX_BYTES,
	IVNET_STAT_TX_DROPPED,		/* no room or link not running */
	IVNET_STAT_TX_NOTIFY,		/* frame doorbells to the peer */
	IVNET_STAT_TX_QUEUE_STOPPED,	/* ring full, queue stopped */
	IVNET_STAT_TX_TSO,		/* GSO frames we cut into segments */
	IVNET_STAT_TX_LAST = IVNET_STAT_TX_TSO,
	IVNET_STAT_RING_ERRORS,		/* broken ring detected */
	IVNET_STAT_LINK_RESETS,		/* left READY or RUN */
	IVNET_STAT_PEER_BAD_STATE,	/* undefined peer state seen */
	IVNET_STAT_NUM,
};

static const char ivnet_stat_names[IVNET_STAT_NUM][ETH_GSTRING_LEN] = {
	[IVNET_STAT_RX_PACKETS]		= "rx_packets",
	[IVNET_STAT_RX_BYTES]		= "rx_bytes",
	[IVNET_STAT_RX_DROPPED]		= "rx_dropped",
	[IVNET_STAT_RX_INVALID_DESC]	= "rx_invalid_desc",
	[IVNET_STAT_RX_LENGTH_ERRORS]	= "rx_length_errors",
	[IVNET_STAT_RX_NOTIFY]		= "rx_notify",
	[IVNET_STAT_TX_PACKETS]		= "tx_packets",
	[IVNET_STAT_TX_BYTES]		= "tx_bytes",
	[IVNET_STAT_TX_DROPPED]		= "tx_dropped",
	[IVNET_STAT_TX_NOTIFY]		= "tx_notify",
	[IVNET_STAT_TX_QUEUE_STOPPED]	= "tx_queue_stopped",
	[IVNET_STAT_TX_TSO]		= "tx_tso",
	[IVNET_STAT_RING_ERRORS]	= "ring_errors",
	[IVNET_STAT_LINK_RESETS]	= "link_resets",
	[IVNET_STAT_PEER_BAD_STATE]	= "peer_bad_state",
};

/**
 * struct ivnet_stats - one writer's counters
 * @syncp: lets 32-bit readers see consistent 64-bit values
 * @c: counters, indexed by enum ivnet_stat
 */
struct ivnet_stats {
	struct u64_stats_sync syncp;
	u64_stats_t c[IVNET_STAT_NUM];
};

/* Bits of ivnet::flags */
enum ivnet_flag {
	IVNET_FLAG_BROKEN,	/* the data path found a broken ring */
};

/**
 * struct ivnet - per-device state
 * @ndev: the network device
 * @pdev: the PCI device
 * @regs: registers in BAR0
 * @geo: validated device layout
 * @state_table: the state table (read-only)
 * @own: our output section
 * @peer: the peer's output section (read-only)
 * @peer_id: the other peer's ID
 * @section_size: bytes of one output section
 * @qlen: ring size, a power of two
 * @vrsize: bytes of the ring at the start of a section
 * @data_size: bytes of the data area after the ring
 * @nvectors: interrupt vectors (2 with MSI-X, else 1)
 * @tso_size: largest GSO frame (headers and payload) for TSO
 * @tso_segs: most segments of a GSO frame, 1 without TSO
 * @tso_room: data bytes the largest GSO frame can need, 0 without TSO
 * @txrx_vector: vector used for frame and completion doorbells
 * @napi: RX and TX completion processing
 * @tx: our transmit ring
 * @rx: the receive ring
 * @rx_stats: counters written by the NAPI poll
 * @tx_stats: counters written under the TX queue lock
 * @misc_stats: rare counters written under @lock or atomically
 * @state_work: runs the state machine
 * @flags: enum ivnet_flag bits, atomic
 * @tx_on: transmitting allowed (we and the peer are in RUN)
 * @lock: see below
 * @state: our protocol state
 * @peer_state: peer state last seen by the state machine
 * @up: the interface is administratively up
 * @napi_on: @napi is enabled
 * @removing: the device is going away, the state machine must stop
 */
struct ivnet {
	struct net_device *ndev;
	struct pci_dev *pdev;
	void __iomem *regs;
	struct ivshmem_geometry geo;
	const __le32 *state_table;
	u8 *own;
	const u8 *peer;
	u32 peer_id;
	u32 section_size;
	u32 qlen;
	u32 vrsize;
	u32 data_size;
	unsigned int nvectors;
	u32 tso_size;
	u32 tso_segs;
	u32 tso_room;
	u32 txrx_vector;

	struct napi_struct napi;
	struct ivnet_txq tx;
	struct ivnet_rxq rx;
	struct ivnet_stats rx_stats;
	struct ivnet_stats tx_stats;
	atomic64_t misc_stats[IVNET_STAT_NUM];

	struct work_struct state_work;
	unsigned long flags;
	bool tx_on;

	/*
	 * Serialises the state machine: protects @state, @peer_state, @up,
	 * @napi_on and @removing, and the transitions of the data path (NAPI
	 * enable/disable, queue start/stop, carrier, ring initialisation).
	 * Taken in process context only: the state work, ndo_open/ndo_stop
	 * (under RTNL, so RTNL nests outside it) and remove.
	 */
	struct mutex lock;
	u32 state;
	u32 peer_state;
	bool up;
	bool napi_on;
	bool removing;
};

/*
 * Ring size for an output section of @size bytes. Both peers must get the
 * same result, so this follows the existing implementations to the letter,
 * including the quirk that @vrsize stays the value for qlen 64 when no
 * size qualifies.
 */
static void ivnet_calc_qlen(u64 size, u32 *qlen, u32 *vrsize)
{
	u32 q, vs = 0;

	for (q = IVNET_QLEN_MAX; q > IVNET_QLEN_MIN; q /= 2) {
		u32 avail_end = ALIGN(q * sizeof(struct ivnet_desc) +
				      sizeof(__le16) * (3 + q),
				      IVNET_VRING_ALIGN);

		vs = ALIGN(avail_end + sizeof(__le16) * 3 +
			   sizeof(struct ivnet_used_elem) * q,
			   IVNET_VRING_ALIGN);
		if (vs < size / 8)
			break;
	}
	*qlen = q;
	*vrsize = vs;
}

/* Offset of the used ring in a section for a ring of @qlen entries */
static u32 ivnet_used_offset(u32 qlen)
{
	return ALIGN(qlen * sizeof(struct ivnet_desc) +
		     sizeof(__le16) * (3 + qlen), IVNET_VRING_ALIGN);
}

/* virtio event-index rule: did the index move past @event? */
static bool ivnet_need_event(u16 event, u16 new_idx, u16 old_idx)
{
	return (u16)(new_idx - event - 1) < (u16)(new_idx - old_idx);
}

/* Largest MTU for a data area of @data_size bytes: 4 frames must fit */
static u32 ivnet_mtu_max(u32 data_size)
{
	return min(IVNET_MTU_MAX, data_size / 4);
}

/* MTU a new interface starts with */
static u32 ivnet_mtu_default(u32 data_size)
{
	u32 mtu = min(IVNET_MTU_DEFAULT_MAX, data_size / 16);

	return clamp_t(u32, mtu, ETH_MIN_MTU, ivnet_mtu_max(data_size));
}

/*
 * Checks the private copy of a peer descriptor: @addr and @len must lie in
 * the peer's data area, @flags must be 0 and the frame must be an Ethernet
 * frame of at most @max_len bytes. Returns the counter the frame goes to:
 * IVNET_STAT_RX_PACKETS if it is valid.
 */
static enum ivnet_stat ivnet_rx_desc_check(const struct ivnet *in, u64 addr,
					   u32 len, u16 flags, u32 max_len)
{
	if (flags || addr < in->vrsize || len > in->section_size ||
	    addr > in->section_size - len)
		return IVNET_STAT_RX_INVALID_DESC;
	if (len < ETH_HLEN || len > max_len)
		return IVNET_STAT_RX_LENGTH_ERRORS;
	return IVNET_STAT_RX_PACKETS;
}

/*
 * Interprets the peer's state table entry @raw, @prev being the state seen
 * last. An undefined value counts as RESET (and sets *@bad). A peer that
 * reset and came back quickly may show RUN -> INIT with no visible RESET:
 * any step back once it was READY is a reset (sets *@backward).
 */
static u32 ivnet_peer_state(u32 prev, u32 raw, bool *bad, bool *backward)
{
	u32 peer = raw;

	*bad = peer > IVNET_STATE_RUN;
	if (*bad)
		peer = IVNET_STATE_RESET;
	*backward = prev >= IVNET_STATE_READY && peer < prev;
	return peer;
}

static void ivnet_stat_add(struct ivnet_stats *s, enum ivnet_stat i, u64 v)
{
	u64_stats_update_begin(&s->syncp);
	u64_stats_add(&s->c[i], v);
	u64_stats_update_end(&s->syncp);
}

static void ivnet_stat_inc(struct ivnet_stats *s, enum ivnet_stat i)
{
	ivnet_stat_add(s, i, 1);
}

static void ivnet_stats_read(struct ivnet *in, u64 *vals)
{
	const struct ivnet_stats *s;
	unsigned int start;
	int i;

	for (i = 0; i < IVNET_STAT_NUM; i++)
		vals[i] = atomic64_read(&in->misc_stats[i]);

	s = &in->rx_stats;
	do {
		start = u64_stats_fetch_begin(&s->syncp);
		for (i = 0; i <= IVNET_STAT_RX_LAST; i++)
			vals[i] = u64_stats_read(&s->c[i]);
	} while (u64_stats_fetch_retry(&s->syncp, start));

	s = &in->tx_stats;
	do {
		start = u64_stats_fetch_begin(&s->syncp);
		for (i = IVNET_STAT_RX_LAST + 1; i <= IVNET_STAT_TX_LAST; i++)
			vals[i] = u64_stats_read(&s->c[i]);
	} while (u64_stats_fetch_retry(&s->syncp, start));
}

static void ivnet_notify_peer(struct ivnet *in)
{
	/*
	 * The device makes everything stored before the doorbell visible to
	 * the peer before its interrupt; writel() orders our ring stores
	 * before the MMIO write.
	 */
	writel(ivshmem_doorbell_value(in->peer_id, in->txrx_vector),
	       in->regs + IVSHMEM_REG_DOORBELL);
}

static u32 ivnet_read_peer_state(struct ivnet *in)
{
	return le32_to_cpu(READ_ONCE(in->state_table[in->peer_id]));
}

/* Called by the data path: stop using the rings, let the state work reset */
static void ivnet_ring_broken(struct ivnet *in, const char *what)
{
	if (test_and_set_bit(IVNET_FLAG_BROKEN, &in->flags))
		return;
	WRITE_ONCE(in->tx_on, false);
	atomic64_inc(&in->misc_stats[IVNET_STAT_RING_ERRORS]);
	if (net_ratelimit())
		netdev_warn(in->ndev, "peer broke the ring (%s), resetting link\n",
			    what);
	schedule_work(&in->state_work);
}

/* ---- TX ---------------------------------------------------------------- */

/* Data area bytes a frame of @len bytes occupies */
static u32 ivnet_frame_slot(u32 len)
{
	return ALIGN(IVNET_FRAME_HEADROOM + len, IVNET_FRAME_ALIGN);
}

/*
 * Where a frame of @slot bytes fits in the data area: returns true and the
 * offset in @off and the bytes it consumes (with a skipped tail) in
 * @bytes, or false if it does not fit now.
 */
static bool ivnet_tx_fit(const struct ivnet *in, u32 slot, u32 *off,
			 u32 *bytes)
{
	const struct ivnet_txq *tx = &in->tx;

	*bytes = slot;
	if (!tx->bytes) {
		/* empty: head and tail are 0 */
		*off = 0;
		return slot <= in->data_size;
	}
	if (tx->head > tx->tail) {
		/* in flight: tail..head; free: head..end and 0..tail */
		*off = tx->head;
		if (slot <= in->data_size - tx->head)
			return true;
		/* start over at 0, the skipped tail counts as used */
		*off = 0;
		*bytes = in->data_size - tx->head + slot;
		return slot <= tx->tail;
	}
	/* in flight: tail..end and 0..head; free: head..tail */
	*off = tx->head;
	return slot <= tx->tail - tx->head;
}

/*
 * Is there room for the largest frame, or GSO frame, the stack may send
 * next? Frames of a GSO frame go one after the other, so room for one
 * slot of @tso_room bytes is room for all of them, wrap included.
 */
static bool ivnet_tx_has_room(const struct ivnet *in)
{
	u32 len = READ_ONCE(in->ndev->mtu) + VLAN_ETH_HLEN;
	u32 off, bytes;

	if ((u16)(in->tx.avail_idx - in->tx.last_used) + in->tso_segs >
	    in->qlen)
		return false;
	return ivnet_tx_fit(in, max(ivnet_frame_slot(len), in->tso_room),
			    &off, &bytes);
}

/* Frees the buffers of frames the peer completed. Under the TX lock. */
static void ivnet_tx_reclaim(struct ivnet *in)
{
	struct ivnet_txq *tx = &in->tx;
	u16 used_idx, n, in_flight;
	u32 mask = in->qlen - 1;

	used_idx = le16_to_cpu(READ_ONCE(tx->used->idx));
	n = used_idx - tx->last_used;
	if (!n)
		return;
	in_flight = tx->avail_pub - tx->last_used;
	if (n > in_flight) {
		ivnet_ring_broken(in, "used index beyond published frames");
		return;
	}
	/*
	 * Pairs with the barrier before the peer published used->idx: the
	 * used entries are read after the index.
	 */
	virt_rmb();

	while (n--) {
		u16 desc = tx->last_used & mask;
		const struct ivnet_used_elem *e = &tx->used->ring[desc];
		u32 id = le32_to_cpu(READ_ONCE(e->id));
		u32 len = le32_to_cpu(READ_ONCE(e->len));

		/* completions come back in order, each with the marker */
		if (id != desc || len != IVNET_USED_LEN) {
			ivnet_ring_broken(in, "unexpected used entry");
			return;
		}
		tx->bytes -= tx->frame_bytes[desc];
		tx->tail = tx->frame_end[desc];
		tx->last_used++;
	}
	if (!tx->bytes) {
		tx->head = 0;
		tx->tail = 0;
	}
}

/* Publishes the frames queued since the last call and rings if needed */
static void ivnet_tx_kick(struct ivnet *in)
{
	struct ivnet_txq *tx = &in->tx;
	u16 old = tx->avail_pub, new = tx->avail_idx;
	u16 event;

	if (old == new)
		return;
	/*
	 * Frame data, descriptors and avail entries before the index; pairs
	 * with the peer's read barrier after it loads avail->idx.
	 */
	virt_wmb();
	WRITE_ONCE(tx->avail->idx, cpu_to_le16(new));
	tx->avail_pub = new;
	/*
	 * Event index: the index store before the avail_event load. Pairs
	 * with the peer's full barrier between publishing avail_event and
	 * re-reading avail->idx, so that one of us sees the other.
	 */
	virt_mb();
	event = le16_to_cpu(READ_ONCE(*tx->avail_event));
	if (ivnet_need_event(event, new, old)) {
		ivnet_notify_peer(in);
		ivnet_stat_inc(&in->tx_stats, IVNET_STAT_TX_NOTIFY);
	}
}

static void ivnet_tx_drop(struct ivnet *in, struct sk_buff *skb)
{
	dev_kfree_skb_any(skb);
	ivnet_stat_inc(&in->tx_stats, IVNET_STAT_TX_DROPPED);
}

/* Stops the queue if the next frame might not fit; under the TX lock */
static void ivnet_tx_maybe_stop(struct ivnet *in)
{
	struct ivnet_txq *tx = &in->tx;
	u16 in_flight;

	if (ivnet_tx_has_room(in))
		return;
	ivnet_tx_reclaim(in);
	if (ivnet_tx_has_room(in))
		return;

	netif_stop_queue(in->ndev);
	ivnet_stat_inc(&in->tx_stats, IVNET_STAT_TX_QUEUE_STOPPED);
	/* ask for an interrupt once half of what is in flight completed */
	ivnet_tx_kick(in);
	in_flight = tx->avail_pub - tx->last_used;
	WRITE_ONCE(*tx->used_event,
		   cpu_to_le16(tx->last_used + in_flight / 2));
	/*
	 * used_event store before re-reading used->idx. Pairs with the
	 * peer's full barrier between publishing used->idx and loading
	 * used_event: either it notifies us or we see its progress here.
	 */
	virt_mb();
	ivnet_tx_reclaim(in);
	if (ivnet_tx_has_room(in) && READ_ONCE(in->tx_on))
		netif_start_queue(in->ndev);
}

/*
 * Claims a descriptor and data for a frame of @len bytes and fills in the
 * descriptor; the frame goes to tx->data + *@off. Nothing is visible to
 * the peer before ivnet_tx_kick(). Under the TX lock.
 */
static bool ivnet_tx_claim(struct ivnet *in, u32 len, u32 *off)
{
	struct ivnet_txq *tx = &in->tx;
	u32 slot = ivnet_frame_slot(len), bytes;
	u16 desc;

	if ((u16)(tx->avail_idx - tx->last_used) >= in->qlen ||
	    !ivnet_tx_fit(in, slot, off, &bytes))
		return false;
	desc = tx->avail_idx & (in->qlen - 1);
	tx->desc[desc].addr = cpu_to_le64(in->vrsize + *off);
	tx->desc[desc].len = cpu_to_le32(len);
	tx->desc[desc].flags = 0;
	tx->desc[desc].next = 0;
	tx->avail->ring[desc] = cpu_to_le16(desc);
	tx->frame_end[desc] = *off + slot;
	tx->frame_bytes[desc] = bytes;
	tx->head = *off + slot;
	tx->bytes += bytes;
	tx->avail_idx++;
	return true;
}

static void ivnet_tx_count(struct ivnet *in, u32 frames, u32 bytes)
{
	u64_stats_update_begin(&in->tx_stats.syncp);
	u64_stats_add(&in->tx_stats.c[IVNET_STAT_TX_PACKETS], frames);
	u64_stats_add(&in->tx_stats.c[IVNET_STAT_TX_BYTES], bytes);
	u64_stats_update_end(&in->tx_stats.syncp);
}

/*
 * Sends one frame that is not GSO. The checksum of a CHECKSUM_PARTIAL
 * frame (NETIF_F_HW_CSUM) is computed in the copy and stored: the peer
 * always gets complete frames, no peer implementation offloads checksums.
 */
static bool ivnet_tx_one(struct ivnet *in, struct sk_buff *skb)
{
	u32 len = skb->len, off;
	int start = 0, field = 0;
	__wsum csum;
	u8 *dst;

	if (len < ETH_HLEN || ivnet_frame_slot(len) > in->data_size / 2)
		return false;
	if (skb->ip_summed == CHECKSUM_PARTIAL) {
		start = skb_checksum_start_offset(skb);
		field = start + skb->csum_offset;
		/* the stack's values, but they must not write past the frame */
		if (start < 0 || field < start ||
		    field > (int)len - (int)sizeof(__sum16))
			return false;
	}
	if (!ivnet_tx_claim(in, len, &off)) {
		ivnet_tx_reclaim(in);
		/* only after an MTU increase: the queue stops before */
		if (!ivnet_tx_claim(in, len, &off))
			return false;
	}
	dst = in->tx.data + off;
	if (skb->ip_summed != CHECKSUM_PARTIAL) {
		skb_copy_bits(skb, 0, dst, len);
	} else {
		skb_copy_bits(skb, 0, dst, start);
		/* the field holds the pseudo-header sum and is summed too */
		csum = skb_copy_and_csum_bits(skb, start, dst + start,
					      len - start);
		*(__sum16 *)(dst + field) = csum_fold(csum) ?: CSUM_MANGLED_0;
	}
	ivnet_tx_count(in, 1, len);
	return true;
}

/*
 * Sends a TCP GSO frame (NETIF_F_TSO, NETIF_F_TSO6) as segments of at most
 * gso_size payload bytes, written straight into the ring: each gets the
 * headers of @skb with its own IP length (and IPv4 ID and header
 * checksum), TCP sequence number and flags, and the TCP checksum computed
 * in the copy of its payload, as tcp_gso_segment() would make them.
 * ivnet_features_check() let through only frames whose headers are in the
 * linear part and within IVNET_TSO_MAX_HDR, of at most @tso_size bytes.
 */
static bool ivnet_tx_gso(struct ivnet *in, struct sk_buff *skb)
{
	struct ivnet_txq *tx = &in->tx;
	u32 nhoff = skb_network_offset(skb), thoff = skb_transport_offset(skb);
	u32 hlen = thoff + tcp_hdrlen(skb), mss = skb_shinfo(skb)->gso_size;
	bool v4 = skb_shinfo(skb)->gso_type & SKB_GSO_TCPV4;
	u32 pos = hlen, seq = ntohl(tcp_hdr(skb)->seq), frames = 0;
	u16 id = v4 ? ntohs(ip_hdr(skb)->id) : 0;
	u16 avail_idx = tx->avail_idx;
	u32 head = tx->head, bytes = tx->bytes;

	if (!mss || hlen >= skb->len || hlen > skb_headlen(skb) ||
	    hlen > IVNET_TSO_MAX_HDR || skb->len > in->tso_size)
		return false;
	/* the queue stops before there is no room for this; reclaim once */
	if (!ivnet_tx_has_room(in))
		ivnet_tx_reclaim(in);

	while (pos < skb->len) {
		u32 seg = min(skb->len - pos, mss), len = hlen + seg, off;
		struct tcphdr *th;
		__wsum csum;
		u8 *f;

		if (!ivnet_tx_claim(in, len, &off))
			goto undo;
		f = tx->data + off;
		memcpy(f, skb->data, hlen);
		th = (struct tcphdr *)(f + thoff);
		th->seq = htonl(seq);
		if (frames)
			th->cwr = 0;
		if (pos + seg < skb->len) {
			th->fin = 0;
			th->psh = 0;
		}
		th->check = 0;
		csum = skb_copy_and_csum_bits(skb, pos, f + hlen, seg);
		csum = csum_partial(th, hlen - thoff, csum);
		if (v4) {
			struct iphdr *iph = (struct iphdr *)(f + nhoff);

			iph->tot_len = htons(len - nhoff);
			iph->id = htons(id++);
			ip_send_check(iph);
			th->check = csum_tcpudp_magic(iph->saddr, iph->daddr,
						      len - thoff, IPPROTO_TCP,
						      csum);
		} else {
			struct ipv6hdr *ip6h = (struct ipv6hdr *)(f + nhoff);

			ip6h->payload_len = htons(len - nhoff - sizeof(*ip6h));
			th->check = csum_ipv6_magic(&ip6h->saddr, &ip6h->daddr,
						    len - thoff, IPPROTO_TCP,
						    csum);
		}
		pos += seg;
		seq += seg;
		frames++;
	}
	ivnet_tx_count(in, frames, skb->len + (frames - 1) * hlen);
	ivnet_stat_inc(&in->tx_stats, IVNET_STAT_TX_TSO);
	return true;

undo:
	/* nothing of this frame was published: forget its segments */
	tx->avail_idx = avail_idx;
	tx->head = head;
	tx->bytes = bytes;
	return false;
}

static netdev_tx_t ivnet_start_xmit(struct sk_buff *skb,
				    struct net_device *ndev)
{
	struct ivnet *in = netdev_priv(ndev);
	bool sent;

	if (!READ_ONCE(in->tx_on)) {
		ivnet_tx_drop(in, skb);
		goto out;
	}
	if (skb_is_gso(skb))
		sent = ivnet_tx_gso(in, skb);
	else
		sent = ivnet_tx_one(in, skb);
	if (sent)
		dev_consume_skb_any(skb);
	else
		ivnet_tx_drop(in, skb);
	ivnet_tx_maybe_stop(in);
out:
	if (!netdev_xmit_more() || netif_queue_stopped(ndev))
		ivnet_tx_kick(in);
	return NETDEV_TX_OK;
}

/*
 * GSO frames that ivnet_tx_gso() does not segment itself (not plain TCP,
 * headers not linear or too long, too large) are segmented by the stack.
 */
static netdev_features_t ivnet_features_check(struct sk_buff *skb,
					      struct net_device *ndev,
					      netdev_features_t features)
{
	struct ivnet *in = netdev_priv(ndev);
	int thoff = skb_transport_offset(skb), hlen;

	if (!skb_is_gso(skb))
		return features;
	if ((skb_shinfo(skb)->gso_type &
	     ~(SKB_GSO_TCPV4 | SKB_GSO_TCPV6 | SKB_GSO_TCP_ECN)) ||
	    skb->ip_summed != CHECKSUM_PARTIAL || thoff < 0 ||
	    thoff + (int)sizeof(struct tcphdr) > (int)skb_headlen(skb))
		return features & ~NETIF_F_GSO_MASK;
	hlen = thoff + tcp_hdrlen(skb);
	if (hlen > (int)skb_headlen(skb) || hlen > IVNET_TSO_MAX_HDR ||
	    skb->len > in->tso_size ||
	    skb_shinfo(skb)->gso_segs > in->tso_segs)
		return features & ~NETIF_F_GSO_MASK;
	return features;
}

/* ---- RX ---------------------------------------------------------------- */

/*
 * Copies a frame of @len bytes from the peer's section into @skb. With
 * NETIF_F_RXCSUM the copy also sums everything after the Ethernet header
 * (CHECKSUM_COMPLETE): the stack verifies the frame's checksums against
 * that sum instead of reading the frame once more. The sum is of the
 * private copy, so a peer changing the frame meanwhile cannot make a bad
 * frame pass. The checksums are not trusted (CHECKSUM_UNNECESSARY): a
 * broken peer that reuses a buffer before its completion, or one that
 * sends partial checksums, is caught here like on a wire.
 */
static void ivnet_rx_copy(struct ivnet *in, struct sk_buff *skb,
			  const u8 *src, u32 len)
{
	u8 *dst = skb_put(skb, len);

	if (!(in->ndev->features & NETIF_F_RXCSUM)) {
		memcpy(dst, src, len);
		return;
	}
	memcpy(dst, src, ETH_HLEN);
	skb->csum = csum_partial_copy_nocheck(src + ETH_HLEN, dst + ETH_HLEN,
					      len - ETH_HLEN);
	skb->ip_summed = CHECKSUM_COMPLETE;
}

/* Validates descriptor @id of the peer and passes its frame up */
static void ivnet_rx_frame(struct ivnet *in, u32 id, u32 max_len)
{
	const struct ivnet_desc *d;
	enum ivnet_stat stat;
	struct sk_buff *skb;
	u64 addr;
	u32 len;
	u16 flags;

	if (id >= in->qlen) {
		ivnet_stat_inc(&in->rx_stats, IVNET_STAT_RX_INVALID_DESC);
		return;
	}
	d = &in->rx.desc[id];
	/* each field once; only the copies are used */
	addr = le64_to_cpu(READ_ONCE(d->addr));
	len = le32_to_cpu(READ_ONCE(d->len));
	flags = le16_to_cpu(READ_ONCE(d->flags));

	stat = ivnet_rx_desc_check(in, addr, len, flags, max_len);
	if (stat != IVNET_STAT_RX_PACKETS) {
		ivnet_stat_inc(&in->rx_stats, stat);
		return;
	}

	skb = napi_alloc_skb(&in->napi, len);
	if (!skb) {
		ivnet_stat_inc(&in->rx_stats, IVNET_STAT_RX_DROPPED);
		return;
	}
	/* copy out first: the stack only ever sees private memory */
	ivnet_rx_copy(in, skb, in->rx.base + addr, len);
	skb->protocol = eth_type_trans(skb, in->ndev);

	u64_stats_update_begin(&in->rx_stats.syncp);
	u64_stats_inc(&in->rx_stats.c[IVNET_STAT_RX_PACKETS]);
	u64_stats_add(&in->rx_stats.c[IVNET_STAT_RX_BYTES], len);
	u64_stats_update_end(&in->rx_stats.syncp);

	napi_gro_receive(&in->napi, skb);
}

/* Peer frames waiting, or -1 if the peer's avail index is impossible */
static int ivnet_rx_pending(struct ivnet *in)
{
	u16 idx = le16_to_cpu(READ_ONCE(in->rx.avail->idx));
	u16 n = idx - in->rx.last_avail;

	return n > in->qlen ? -1 : n;
}

static int ivnet_rx(struct ivnet *in, int budget)
{
	struct ivnet_rxq *rx = &in->rx;
	u32 mask = in->qlen - 1, max_len;
	u16 old_used = rx->used_idx;
	int pending, done = 0;

	pending = ivnet_rx_pending(in);
	if (pending < 0) {
		ivnet_ring_broken(in, "avail index beyond ring size");
		return 0;
	}
	/*
	 * Pairs with the write barrier before the peer published avail->idx:
	 * avail entries, descriptors and frames are read after the index.
	 */
	virt_rmb();

	max_len = READ_ONCE(in->ndev->mtu) + VLAN_ETH_HLEN;
	while (done < budget && pending--) {
		const __le16 *slot = &rx->avail->ring[rx->last_avail & mask];
		struct ivnet_used_elem *e =
			&rx->used->ring[rx->used_idx & mask];
		u16 id = le16_to_cpu(READ_ONCE(*slot));

		ivnet_rx_frame(in, id, max_len);
		/* valid or not, the frame is consumed */
		WRITE_ONCE(e->id, cpu_to_le32(id));
		WRITE_ONCE(e->len, cpu_to_le32(IVNET_USED_LEN));
		rx->last_avail++;
		rx->used_idx++;
		done++;
	}

	if (rx->used_idx != old_used) {
		/*
		 * The frame copies (loads) and used entries (stores) complete
		 * before the peer can see used->idx and reuse the buffers.
		 * Pairs with the peer's read barrier after it loads used->idx.
		 */
		virt_mb();
		WRITE_ONCE(rx->used->idx, cpu_to_le16(rx->used_idx));
	}
	WRITE_ONCE(*rx->avail_event, cpu_to_le16(rx->last_avail));
	/*
	 * Event index: used->idx and avail_event stores before the loads of
	 * used_event here and of avail->idx in ivnet_poll(). Pairs with the
	 * peer's full barrier between its index store and its event load.
	 */
	virt_mb();
	if (rx->used_idx != old_used &&
	    ivnet_need_event(le16_to_cpu(READ_ONCE(*rx->used_event)),
			     rx->used_idx, old_used)) {
		ivnet_notify_peer(in);
		ivnet_stat_inc(&in->rx_stats, IVNET_STAT_RX_NOTIFY);
	}
	return done;
}

static int ivnet_poll(struct napi_struct *napi, int budget)
{
	struct ivnet *in = container_of(napi, struct ivnet, napi);
	struct netdev_queue *txq = netdev_get_tx_queue(in->ndev, 0);
	int done;

	if (test_bit(IVNET_FLAG_BROKEN, &in->flags)) {
		napi_complete(napi);
		return 0;
	}

	__netif_tx_lock(txq, smp_processor_id());
	ivnet_tx_reclaim(in);
	if (netif_tx_queue_stopped(txq) && READ_ONCE(in->tx_on) &&
	    ivnet_tx_has_room(in))
		netif_tx_wake_queue(txq);
	__netif_tx_unlock(txq);

	done = ivnet_rx(in, budget);
	if (test_bit(IVNET_FLAG_BROKEN, &in->flags)) {
		napi_complete(napi);
		return 0;
	}
	/* avail_event is published (ivnet_rx), recheck to not miss a frame */
	if (done < budget && napi_complete_done(napi, done) &&
	    ivnet_rx_pending(in))
		napi_schedule(napi);
	return done;
}

/* ---- state machine ----------------------------------------------------- */

static void ivnet_set_state(struct ivnet *in, u32 state)
{
	in->state = state;
	/* writel() orders the ring initialisation before the state change */
	writel(state, in->regs + IVSHMEM_REG_STATE);
}

/* Zeroes our section and resets the private ring state; data path off */
static void ivnet_init_queues(struct ivnet *in)
{
	memset(in->own, 0, in->section_size);
	in->tx.avail_idx = 0;
	in->tx.avail_pub = 0;
	in->tx.last_used = 0;
	in->tx.head = 0;
	in->tx.tail = 0;
	in->tx.bytes = 0;
	in->rx.last_avail = 0;
	in->rx.used_idx = 0;
	clear_bit(IVNET_FLAG_BROKEN, &in->flags);
}

static void ivnet_napi_kick(struct ivnet *in)
{
	/* process context: let the softirq run when enabling BHs again */
	local_bh_disable();
	napi_schedule(&in->napi);
	local_bh_enable();
}

/* Carrier and queue follow the peer while we are in RUN */
static void ivnet_update_carrier(struct ivnet *in)
{
	bool on = in->state == IVNET_STATE_RUN &&
		  in->peer_state == IVNET_STATE_RUN &&
		  !test_bit(IVNET_FLAG_BROKEN, &in->flags);

	if (on && !netif_carrier_ok(in->ndev)) {
		WRITE_ONCE(in->tx_on, true);
		netif_carrier_on(in->ndev);
		netif_wake_queue(in->ndev);
		ivnet_napi_kick(in);
	} else if (!on && netif_carrier_ok(in->ndev)) {
		WRITE_ONCE(in->tx_on, false);
		netif_carrier_off(in->ndev);
		netif_tx_disable(in->ndev);
	}
}

/* Leaves RUN or READY: quiesce the data path, then tell the peer */
static void ivnet_stop_datapath(struct ivnet *in)
{
	WRITE_ONCE(in->tx_on, false);
	netif_carrier_off(in->ndev);
	/* waits for a running ndo_start_xmit */
	netif_tx_disable(in->ndev);
	if (in->napi_on) {
		napi_disable(&in->napi);
		in->napi_on = false;
	}
}

static void ivnet_link_reset(struct ivnet *in)
{
	ivnet_stop_datapath(in);
	ivnet_set_state(in, IVNET_STATE_RESET);
	atomic64_inc(&in->misc_stats[IVNET_STAT_LINK_RESETS]);
}

/* One handshake step; returns true if our state changed. Under @lock. */
static bool ivnet_sm_step(struct ivnet *in)
{
	u32 peer, prev = in->peer_state;
	bool bad, backward, broken;

	peer = ivnet_peer_state(prev, ivnet_read_peer_state(in), &bad,
				&backward);
	if (bad)
		atomic64_inc(&in->misc_stats[IVNET_STAT_PEER_BAD_STATE]);
	/* read locklessly by ivnet_single_irq() */
	WRITE_ONCE(in->peer_state, peer);
	broken = test_bit(IVNET_FLAG_BROKEN, &in->flags);

	switch (in->state) {
	case IVNET_STATE_RESET:
		if (peer == IVNET_STATE_RESET || peer == IVNET_STATE_INIT) {
			ivnet_set_state(in, IVNET_STATE_INIT);
			return true;
		}
		return false;
	case IVNET_STATE_INIT:
		if (peer != IVNET_STATE_RESET) {
			ivnet_init_queues(in);
			ivnet_set_state(in, IVNET_STATE_READY);
			return true;
		}
		return false;
	default:
		if (peer == IVNET_STATE_RESET || backward || broken) {
			if (net_ratelimit())
				netdev_info(in->ndev,
					    "link reset in state %u: peer state %u -> %u%s\n",
					    in->state, prev, peer,
					    broken ? ", broken ring" : "");
			ivnet_link_reset(in);
			return true;
		}
		if (in->state == IVNET_STATE_READY && in->up &&
		    peer >= IVNET_STATE_READY) {
			napi_enable(&in->napi);
			in->napi_on = true;
			ivnet_set_state(in, IVNET_STATE_RUN);
			ivnet_update_carrier(in);
			ivnet_napi_kick(in);
			return true;
		}
		ivnet_update_carrier(in);
		return false;
	}
}

static void ivnet_run_state_machine(struct ivnet *in)
{
	int i;

	lockdep_assert_held(&in->lock);
	if (in->removing)
		return;
	for (i = 0; i < IVNET_SM_MAX_STEPS; i++)
		if (!ivnet_sm_step(in))
			return;
	/* a flapping peer: continue later instead of hogging this CPU */
	schedule_work(&in->state_work);
}

static void ivnet_state_work(struct work_struct *work)
{
	struct ivnet *in = container_of(work, struct ivnet, state_work);

	mutex_lock(&in->lock);
	ivnet_run_state_machine(in);
	mutex_unlock(&in->lock);
}

/* ---- interrupts -------------------------------------------------------- */

static irqreturn_t ivnet_state_irq(int irq, void *data)
{
	struct ivnet *in = data;

	schedule_work(&in->state_work);
	return IRQ_HANDLED;
}

static irqreturn_t ivnet_txrx_irq(int irq, void *data)
{
	struct ivnet *in = data;

	napi_schedule(&in->napi);
	return IRQ_HANDLED;
}

/*
 * Single vector (INTx or one MSI-X vector): state changes and doorbells
 * share it. The device has no interrupt status, so a shared INTx line
 * cannot tell whose interrupt it was; both actions are cheap no-ops when
 * there is nothing to do.
 */
static irqreturn_t ivnet_single_irq(int irq, void *data)
{
	struct ivnet *in = data;

	if (ivnet_read_peer_state(in) != READ_ONCE(in->peer_state))
		schedule_work(&in->state_work);
	napi_schedule(&in->napi);
	return IRQ_HANDLED;
}

/* ---- netdev and ethtool ops -------------------------------------------- */

static int ivnet_open(struct net_device *ndev)
{
	struct ivnet *in = netdev_priv(ndev);

	netif_carrier_off(ndev);
	netif_tx_stop_all_queues(ndev);
	mutex_lock(&in->lock);
	in->up = true;
	ivnet_run_state_machine(in);
	mutex_unlock(&in->lock);
	return 0;
}

static int ivnet_stop(struct net_device *ndev)
{
	struct ivnet *in = netdev_priv(ndev);

	mutex_lock(&in->lock);
	in->up = false;
	if (in->state == IVNET_STATE_RUN) {
		/* the peer sees us in reset and restarts the handshake */
		ivnet_link_reset(in);
		ivnet_run_state_machine(in);
	}
	mutex_unlock(&in->lock);
	return 0;
}

static int ivnet_change_mtu(struct net_device *ndev, int mtu)
{
	/*
	 * The data path reads the MTU once per frame or poll: transmit
	 * checks room for the largest frame, receive the length limit.
	 */
	WRITE_ONCE(ndev->mtu, mtu);
	return 0;
}

static void ivnet_get_stats64(struct net_device *ndev,
			      struct rtnl_link_stats64 *stats)
{
	struct ivnet *in = netdev_priv(ndev);
	u64 v[IVNET_STAT_NUM];

	ivnet_stats_read(in, v);
	stats->rx_packets = v[IVNET_STAT_RX_PACKETS];
	stats->rx_bytes = v[IVNET_STAT_RX_BYTES];
	stats->rx_dropped = v[IVNET_STAT_RX_DROPPED];
	stats->rx_length_errors = v[IVNET_STAT_RX_LENGTH_ERRORS];
	stats->rx_frame_errors = v[IVNET_STAT_RX_INVALID_DESC];
	stats->rx_errors = v[IVNET_STAT_RX_LENGTH_ERRORS] +
			   v[IVNET_STAT_RX_INVALID_DESC];
	stats->tx_packets = v[IVNET_STAT_TX_PACKETS];
	stats->tx_bytes = v[IVNET_STAT_TX_BYTES];
	stats->tx_dropped = v[IVNET_STAT_TX_DROPPED];
}

static const struct net_device_ops ivnet_netdev_ops = {
	.ndo_open		= ivnet_open,
	.ndo_stop		= ivnet_stop,
	.ndo_start_xmit		= ivnet_start_xmit,
	.ndo_features_check	= ivnet_features_check,
	.ndo_change_mtu		= ivnet_change_mtu,
	.ndo_get_stats64	= ivnet_get_stats64,
	.ndo_set_mac_address	= eth_mac_addr,
	.ndo_validate_addr	= eth_validate_addr,
};

static void ivnet_get_drvinfo(struct net_device *ndev,
			      struct ethtool_drvinfo *info)
{
	struct ivnet *in = netdev_priv(ndev);

	strscpy(info->driver, IVNET_DRV_NAME, sizeof(info->driver));
	strscpy(info->bus_info, pci_name(in->pdev), sizeof(info->bus_info));
}

static void ivnet_get_ringparam(struct net_device *ndev,
				struct ethtool_ringparam *ring,
				struct kernel_ethtool_ringparam *kring,
				struct netlink_ext_ack *extack)
{
	struct ivnet *in = netdev_priv(ndev);

	ring->rx_max_pending = in->qlen;
	ring->tx_max_pending = in->qlen;
	ring->rx_pending = in->qlen;
	ring->tx_pending = in->qlen;
}

static int ivnet_get_sset_count(struct net_device *ndev, int sset)
{
	return sset == ETH_SS_STATS ? IVNET_STAT_NUM : -EOPNOTSUPP;
}

static void ivnet_get_strings(struct net_device *ndev, u32 sset, u8 *data)
{
	if (sset == ETH_SS_STATS)
		memcpy(data, ivnet_stat_names, sizeof(ivnet_stat_names));
}

static void ivnet_get_ethtool_stats(struct net_device *ndev,
				    struct ethtool_stats *stats, u64 *data)
{
	ivnet_stats_read(netdev_priv(ndev), data);
}

static const struct ethtool_ops ivnet_ethtool_ops = {
	.get_drvinfo		= ivnet_get_drvinfo,
	.get_link		= ethtool_op_get_link,
	.get_ringparam		= ivnet_get_ringparam,
	.get_sset_count		= ivnet_get_sset_count,
	.get_strings		= ivnet_get_strings,
	.get_ethtool_stats	= ivnet_get_ethtool_stats,
};

/* ---- probe and remove -------------------------------------------------- */

/* Checks that the link can carry this protocol and sizes the rings */
static int ivnet_check_geometry(struct ivnet *in)
{
	const struct ivshmem_geometry *geo = &in->geo;
	struct pci_dev *pdev = in->pdev;

	if (geo->max_peers != 2) {
		pci_err(pdev,
			"link has %u peers, ivshmem-net needs exactly 2\n",
			geo->max_peers);
		return -EINVAL;
	}
	if (!geo->output_section_size ||
	    geo->output_section_size > U32_MAX) {
		pci_err(pdev,
			"output section size 0x%llx, expected 1 byte to 4 GiB\n",
			geo->output_section_size);
		return -EINVAL;
	}
	in->section_size = geo->output_section_size;
	ivnet_calc_qlen(in->section_size, &in->qlen, &in->vrsize);
	if (in->section_size < in->vrsize + IVNET_MIN_DATA_SIZE) {
		pci_err(pdev,
			"output section of 0x%x bytes too small: the ring needs 0x%x and frames at least 0x%x\n",
			in->section_size, in->vrsize, IVNET_MIN_DATA_SIZE);
		return -EINVAL;
	}
	in->data_size = in->section_size - in->vrsize;
	in->peer_id = 1 - geo->id;
	return 0;
}

static int ivnet_map(struct ivnet *in)
{
	const struct ivshmem_geometry *geo = &in->geo;
	struct device *dev = &in->pdev->dev;
	void *p;

	if (!devm_request_mem_region(dev, geo->base, geo->region_size,
				     IVNET_DRV_NAME)) {
		pci_err(in->pdev, "shared memory at %pa is busy\n",
			&geo->base);
		return -EBUSY;
	}
	/* all of it is ordinary memory shared between VMs: map write-back */
	p = devm_memremap(dev, geo->base, geo->state_table_size,
			  MEMREMAP_WB);
	if (IS_ERR(p))
		return PTR_ERR(p);
	in->state_table = p;
	p = devm_memremap(dev, geo->base + ivshmem_output_offset(geo, geo->id),
			  in->section_size, MEMREMAP_WB);
	if (IS_ERR(p))
		return PTR_ERR(p);
	in->own = p;
	p = devm_memremap(dev,
			  geo->base + ivshmem_output_offset(geo, in->peer_id),
			  in->section_size, MEMREMAP_WB);
	if (IS_ERR(p))
		return PTR_ERR(p);
	in->peer = p;
	return 0;
}

static void ivnet_setup_rings(struct ivnet *in)
{
	u32 used_off = ivnet_used_offset(in->qlen);
	u32 avail_off = in->qlen * sizeof(struct ivnet_desc);
	struct ivnet_avail *own_avail = (void *)(in->own + avail_off);
	const struct ivnet_avail *peer_avail = (void *)(in->peer + avail_off);
	struct ivnet_used *own_used = (void *)(in->own + used_off);
	const struct ivnet_used *peer_used = (void *)(in->peer + used_off);

	in->tx.desc = (void *)in->own;
	in->tx.avail = own_avail;
	in->tx.used_event = &own_avail->ring[in->qlen];
	in->tx.used = peer_used;
	in->tx.avail_event = (const __le16 *)&peer_used->ring[in->qlen];
	in->tx.data = in->own + in->vrsize;

	in->rx.desc = (const void *)in->peer;
	in->rx.avail = peer_avail;
	in->rx.used_event = &peer_avail->ring[in->qlen];
	in->rx.used = own_used;
	in->rx.avail_event = (__le16 *)&own_used->ring[in->qlen];
	in->rx.base = in->peer;
}

/*
 * Every frame is copied through shared memory, so the copy also does the
 * work of offloads: on transmit it computes the checksum of
 * CHECKSUM_PARTIAL frames and cuts TCP GSO frames into segments, so that
 * the peer always gets complete, MTU-sized frames with real checksums
 * (see ivnet_tx_one() and ivnet_tx_gso()); on receive the sum of the copy
 * goes to the stack (CHECKSUM_COMPLETE), which still verifies it. The
 * queue stops while there is no room for the largest GSO frame, so TSO is
 * only offered when that is at most half of the data area (not with 4 KiB
 * sections); otherwise the stack segments.
 */
static void ivnet_setup_offloads(struct ivnet *in)
{
	struct net_device *ndev = in->ndev;
	netdev_features_t f = NETIF_F_SG | NETIF_F_HW_CSUM;

	in->tso_size = min(GSO_LEGACY_MAX_SIZE, in->data_size / 8);
	in->tso_segs = min(IVNET_TSO_MAX_SEGS, in->qlen / 4);
	in->tso_room = in->tso_size +
		       in->tso_segs * (IVNET_FRAME_HEADROOM +
				       IVNET_TSO_MAX_HDR + IVNET_FRAME_ALIGN);
	if (in->tso_room <= in->data_size / 2) {
		f |= NETIF_F_TSO | NETIF_F_TSO6 | NETIF_F_TSO_ECN;
		netif_set_tso_max_size(ndev, in->tso_size);
		netif_set_tso_max_segs(ndev, in->tso_segs);
	} else {
		in->tso_size = 0;
		in->tso_segs = 1;
		in->tso_room = 0;
	}
	ndev->hw_features = f | NETIF_F_RXCSUM;
	ndev->features = ndev->hw_features | NETIF_F_HIGHDMA;
	ndev->vlan_features = f | NETIF_F_HIGHDMA;
}

static int ivnet_request_irqs(struct ivnet *in)
{
	struct pci_dev *pdev = in->pdev;
	static const char * const suffix[] = { "state", "txrx" };
	irq_handler_t handlers[IVNET_NUM_VECTORS] = {
		ivnet_state_irq, ivnet_txrx_irq
	};
	unsigned long flags = 0;
	const char *name;
	unsigned int i;
	int ret;

	if (in->nvectors == 1) {
		handlers[0] = ivnet_single_irq;
		if (!pdev->msix_enabled)
			flags = IRQF_SHARED;
	}
	for (i = 0; i < in->nvectors; i++) {
		name = devm_kasprintf(&pdev->dev, GFP_KERNEL, "%s[%s]-%s",
				      IVNET_DRV_NAME, pci_name(pdev),
				      in->nvectors == 1 ? "all" : suffix[i]);
		if (!name)
			ret = -ENOMEM;
		else
			ret = request_irq(pci_irq_vector(pdev, i), handlers[i],
					  flags, name, in);
		if (ret) {
			pci_err(pdev, "cannot request interrupt vector %u: %d\n",
				i, ret);
			while (i--)
				free_irq(pci_irq_vector(pdev, i), in);
			return ret;
		}
	}
	return 0;
}

static void ivnet_free_irqs(struct ivnet *in)
{
	unsigned int i;

	for (i = 0; i < in->nvectors; i++)
		free_irq(pci_irq_vector(in->pdev, i), in);
}

static int ivnet_probe(struct pci_dev *pdev, const struct pci_device_id *ent)
{
	struct device *dev = &pdev->dev;
	struct net_device *ndev;
	struct ivnet *in;
	int ret;

	BUILD_BUG_ON(sizeof(struct ivnet_desc) != 16);
	BUILD_BUG_ON(sizeof(struct ivnet_used_elem) != 8);
	BUILD_BUG_ON(IVSHMEM_REG_STATE + 4 != IVSHMEM_REG_SIZE);

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;

	ndev = devm_alloc_etherdev(dev, sizeof(*in));
	if (!ndev)
		return -ENOMEM;
	SET_NETDEV_DEV(ndev, dev);
	in = netdev_priv(ndev);
	in->ndev = ndev;
	in->pdev = pdev;
	mutex_init(&in->lock);
	INIT_WORK(&in->state_work, ivnet_state_work);
	u64_stats_init(&in->rx_stats.syncp);
	u64_stats_init(&in->tx_stats.syncp);

	in->regs = ivshmem_map_regs(pdev, IVNET_DRV_NAME, false);
	if (IS_ERR(in->regs))
		return PTR_ERR(in->regs);
	ret = ivshmem_read_geometry(pdev, in->regs, 0, &in->geo);
	if (ret)
		return ret;
	ret = ivnet_check_geometry(in);
	if (ret)
		return ret;
	ret = ivnet_map(in);
	if (ret)
		return ret;
	ivnet_setup_rings(in);

	in->tx.frame_end = devm_kcalloc(dev, in->qlen, sizeof(u32),
					GFP_KERNEL);
	in->tx.frame_bytes = devm_kcalloc(dev, in->qlen, sizeof(u32),
					  GFP_KERNEL);
	if (!in->tx.frame_end || !in->tx.frame_bytes)
		return -ENOMEM;

	/* we own the device now: no one-shot mode, no interrupts yet */
	writel(0, in->regs + IVSHMEM_REG_INT_CTRL);
	ret = pci_write_config_byte(pdev,
				    in->geo.cap_pos + IVSHMEM_CAP_PRIV_CTRL, 0);
	if (ret)
		return pcibios_err_to_errno(ret);
	ivnet_set_state(in, IVNET_STATE_RESET);

	/* MSI-X messages need bus mastering */
	pci_set_master(pdev);
	ret = pci_alloc_irq_vectors(pdev, 1, IVNET_NUM_VECTORS,
				    PCI_IRQ_MSIX | IVSHMEM_PCI_IRQ_INTX);
	if (ret < 0) {
		pci_err(pdev, "neither MSI-X nor INTx interrupts: %d\n", ret);
		return ret;
	}
	in->nvectors = ret;
	in->txrx_vector = in->nvectors > 1 ? IVNET_VEC_TXRX : IVNET_VEC_STATE;

	ndev->netdev_ops = &ivnet_netdev_ops;
	ndev->ethtool_ops = &ivnet_ethtool_ops;
	ndev->priv_flags |= IFF_LIVE_ADDR_CHANGE;
	ivnet_setup_offloads(in);
	ndev->min_mtu = ETH_MIN_MTU;
	ndev->max_mtu = ivnet_mtu_max(in->data_size);
	ndev->mtu = ivnet_mtu_default(in->data_size);
	eth_hw_addr_random(ndev);
	netif_napi_add(ndev, &in->napi, ivnet_poll);
	netif_carrier_off(ndev);
	pci_set_drvdata(pdev, in);

	ret = ivnet_request_irqs(in);
	if (ret)
		goto err_del_napi;
	writel(IVSHMEM_INT_ENABLE, in->regs + IVSHMEM_REG_INT_CTRL);

	ret = register_netdev(ndev);
	if (ret)
		goto err_free_irqs;

	netdev_info(ndev,
		    "peer %u of 2, %u %s vector(s), %s at %pa, %u ring entries, %u data bytes, MTU %u\n",
		    in->geo.id, in->nvectors,
		    pdev->msix_enabled ? "MSI-X" : "INTx",
		    in->geo.fixed_address ? "fixed region" : "BAR2",
		    &in->geo.base, in->qlen, in->data_size, ndev->mtu);

	schedule_work(&in->state_work);
	return 0;

err_free_irqs:
	writel(0, in->regs + IVSHMEM_REG_INT_CTRL);
	ivnet_free_irqs(in);
	cancel_work_sync(&in->state_work);
err_del_napi:
	netif_napi_del(&in->napi);
	return ret;
}

static void ivnet_remove(struct pci_dev *pdev)
{
	struct ivnet *in = pci_get_drvdata(pdev);

	/* no more interrupts, no more state machine runs */
	writel(0, in->regs + IVSHMEM_REG_INT_CTRL);
	ivnet_free_irqs(in);
	mutex_lock(&in->lock);
	in->removing = true;
	mutex_unlock(&in->lock);
	cancel_work_sync(&in->state_work);

	unregister_netdev(in->ndev);
	/* a NAPI poll that found a broken ring may have queued it again */
	cancel_work_sync(&in->state_work);
	/* ndo_stop left RUN; READY or INIT end here */
	ivnet_set_state(in, IVNET_STATE_RESET);
	netif_napi_del(&in->napi);
}

static const struct pci_device_id ivnet_ids[] = {
	{
		PCI_DEVICE(PCI_VENDOR_ID_SIEMENS, PCI_DEVICE_ID_IVSHMEM),
		.class = IVSHMEM_PCI_CLASS(IVSHMEM_PROTO_NET),
		.class_mask = 0xffffff,
	},
	{ }
};
MODULE_DEVICE_TABLE(pci, ivnet_ids);

static struct pci_driver ivnet_driver = {
	.name = IVNET_DRV_NAME,
	.id_table = ivnet_ids,
	.probe = ivnet_probe,
	.remove = ivnet_remove,
};
module_pci_driver(ivnet_driver);

MODULE_DESCRIPTION("Ethernet over IVSHMEM v2 inter-VM shared memory");
MODULE_LICENSE("GPL");

#if IS_ENABLED(CONFIG_IVSHMEM_NET_KUNIT_TEST)
#include "ivshmem-net-kunit.c"
#endif
