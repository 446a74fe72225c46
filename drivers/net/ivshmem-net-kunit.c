// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "ivshmem-net": the protocol logic of ivshmem-net that needs no
 * device. Included at the end of ivshmem-net.c when
 * CONFIG_IVSHMEM_NET_KUNIT_TEST is set, so that it can call the driver's
 * static functions; it runs when the module is loaded.
 *
 * Every expected value below was computed by hand from
 * Documentation/networking/device_drivers/ethernet/ivshmem-net.rst (the
 * ring layout of the wire format), not by calling the code under test:
 *
 *   for qlen q, avail_end(q) = ALIGN(16 q + 2 (3 + q), 64)
 *               vrsize(q)    = ALIGN(avail_end(q) + 6 + 8 q, 64)
 *
 *   q        4096    2048   1024   512    256    128   64   (32: as 64)
 *   vrsize 106624   53376  26752  13440   6784   3456 1792
 *
 * qlen is the largest q with vrsize(q) < S / 8 for a section of S bytes,
 * else 32 with the vrsize of 64; data = S - vrsize must be >= 4 * 68.
 */

#include <kunit/test.h>
#include <linux/log2.h>

/* A zeroed PCI device that only serves as the name in error messages */
static struct pci_dev *ivnet_test_pdev(struct kunit *test)
{
	struct pci_dev *pdev;

	pdev = kunit_kzalloc(test, sizeof(*pdev), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pdev);
	pdev->dev.init_name = "ivshmem-net-kunit";
	return pdev;
}

static void ivnet_test_nop_work(struct work_struct *work)
{
}

static void ivnet_test_exit(struct kunit *test)
{
	struct ivnet *in = test->priv;

	/* ivnet_ring_broken() may have queued it */
	if (in)
		cancel_work_sync(&in->state_work);
}

/*
 * A private struct ivnet as ivnet_check_geometry() leaves it for a two-peer
 * link with output sections of @size bytes; the test fails if it refuses.
 */
static struct ivnet *ivnet_test_dev(struct kunit *test, u64 size)
{
	struct ivnet *in;

	in = kunit_kzalloc(test, sizeof(*in), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, in);
	in->pdev = ivnet_test_pdev(test);
	in->geo.max_peers = 2;
	in->geo.output_section_size = size;
	INIT_WORK(&in->state_work, ivnet_test_nop_work);
	u64_stats_init(&in->rx_stats.syncp);
	u64_stats_init(&in->tx_stats.syncp);
	test->priv = in;
	KUNIT_ASSERT_EQ(test, ivnet_check_geometry(in), 0);
	return in;
}

static u64 ivnet_test_rx_stat(struct ivnet *in, enum ivnet_stat i)
{
	return u64_stats_read(&in->rx_stats.c[i]);
}

/* ---- sizing ---- */

struct ivnet_sizing_case {
	const char *desc;
	u64 size;
	int ret;		/* of ivnet_check_geometry() */
	u32 qlen;
	u32 vrsize;
	u32 data_size;
	u32 mtu_max;
	u32 mtu_default;
};

static const struct ivnet_sizing_case ivnet_sizing_cases[] = {
	/* the sizes of the issue and the worked values of the spec */
	{ "4 KiB", SZ_4K, 0, 32, 1792, 2304, 576, 144 },
	{ "64 KiB", SZ_64K, 0, 256, 6784, 58752, 14688, 3672 },
	{ "0x7F000 (Jailhouse)", 0x7f000, 0, 2048, 0xd080, 0x71f80,
	  65535, 16384 },
	{ "16 MiB", SZ_16M, 0, 4096, 106624, 0xfe5f80, 65535, 16384 },
	/* smallest usable section: 1792 + 4 * 68 bytes, MTU 68 */
	{ "2064 (smallest)", 2064, 0, 32, 1792, 272, 68, 68 },
	{ "2063 (too small)", 2063, -EINVAL },
	{ "0", 0, -EINVAL },
	/* qlen 64 once 1792 < S / 8, i.e. S >= 14344 */
	{ "14343 (last qlen 32)", 14343, 0, 32, 1792, 12551, 3137, 784 },
	{ "14344 (first qlen 64)", 14344, 0, 64, 1792, 12552, 3138, 784 },
	/* qlen 4096 once 106624 < S / 8, i.e. S >= 853000 */
	{ "852999 (last qlen 2048)", 852999, 0, 2048, 53376, 799623,
	  65535, 16384 },
	{ "853000 (first qlen 4096)", 853000, 0, 4096, 106624, 746376,
	  65535, 16384 },
	/* the protocol does not need page multiples */
	{ "0x1001 (no page multiple)", 0x1001, 0, 32, 1792, 2305, 576, 144 },
	{ "4 GiB - 1 (largest)", 0xffffffffULL, 0, 4096, 106624,
	  4294860671U, 65535, 16384 },
	{ "4 GiB (too large)", SZ_4G, -EINVAL },
};

static void ivnet_sizing_desc(const struct ivnet_sizing_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(ivnet_sizing, ivnet_sizing_cases, ivnet_sizing_desc);

static void ivnet_test_sizing(struct kunit *test)
{
	const struct ivnet_sizing_case *c = test->param_value;
	struct ivnet *in;

	in = kunit_kzalloc(test, sizeof(*in), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, in);
	in->pdev = ivnet_test_pdev(test);
	in->geo.max_peers = 2;
	in->geo.id = 1;
	in->geo.output_section_size = c->size;

	KUNIT_ASSERT_EQ(test, ivnet_check_geometry(in), c->ret);
	if (c->ret)
		return;
	KUNIT_EXPECT_EQ(test, in->section_size, c->size);
	KUNIT_EXPECT_EQ(test, in->qlen, c->qlen);
	KUNIT_EXPECT_EQ(test, in->vrsize, c->vrsize);
	KUNIT_EXPECT_EQ(test, in->data_size, c->data_size);
	KUNIT_EXPECT_EQ(test, in->peer_id, 0);
	KUNIT_EXPECT_EQ(test, ivnet_mtu_max(in->data_size), c->mtu_max);
	KUNIT_EXPECT_EQ(test, ivnet_mtu_default(in->data_size),
			c->mtu_default);
}

/* For every size: the ring fits before the data area, frames fit twice */
static void ivnet_test_layout(struct kunit *test)
{
	const struct ivnet_sizing_case *c = test->param_value;
	u32 used_off, avail_off, max_frame;
	u32 qlen = 0, vrsize = 0;

	if (c->ret)
		return;
	ivnet_calc_qlen(c->size, &qlen, &vrsize);
	KUNIT_ASSERT_EQ(test, qlen, c->qlen);
	KUNIT_EXPECT_TRUE(test, is_power_of_2(qlen));
	avail_off = qlen * sizeof(struct ivnet_desc);
	used_off = ivnet_used_offset(qlen);
	KUNIT_EXPECT_EQ(test, used_off % IVNET_VRING_ALIGN, 0);
	/* avail flags, idx, ring, used_event end before the used ring */
	KUNIT_EXPECT_LE(test, avail_off + 2 * (3 + qlen), used_off);
	/* used flags, idx, ring, avail_event end before the data area */
	KUNIT_EXPECT_LE(test, used_off + 6 + 8 * qlen, vrsize);
	KUNIT_EXPECT_EQ(test, vrsize % IVNET_VRING_ALIGN, 0);
	/* a frame of the largest MTU passes ivnet_start_xmit()'s limit */
	max_frame = ivnet_mtu_max(c->data_size) + VLAN_ETH_HLEN;
	KUNIT_EXPECT_LE(test, ivnet_frame_slot(max_frame), c->data_size / 2);
}

static void ivnet_test_used_offset(struct kunit *test)
{
	/* ALIGN(16 q + 2 (3 + q), 64) */
	KUNIT_EXPECT_EQ(test, ivnet_used_offset(32), 640);
	KUNIT_EXPECT_EQ(test, ivnet_used_offset(64), 1216);
	KUNIT_EXPECT_EQ(test, ivnet_used_offset(2048), 36928);
	KUNIT_EXPECT_EQ(test, ivnet_used_offset(4096), 73792);
}

/* ---- link geometry ---- */

static void ivnet_test_geometry_peers(struct kunit *test)
{
	struct ivnet *in = ivnet_test_dev(test, SZ_4K);

	KUNIT_EXPECT_EQ(test, in->peer_id, 1);
	in->geo.id = 1;
	KUNIT_EXPECT_EQ(test, ivnet_check_geometry(in), 0);
	KUNIT_EXPECT_EQ(test, in->peer_id, 0);
	/* exactly two peers */
	in->geo.max_peers = 3;
	KUNIT_EXPECT_EQ(test, ivnet_check_geometry(in), -EINVAL);
	in->geo.max_peers = 1;
	KUNIT_EXPECT_EQ(test, ivnet_check_geometry(in), -EINVAL);
}

/* ---- what the peer writes ---- */

struct ivnet_desc_case {
	const char *desc;
	u64 addr;		/* offsets in a 4 KiB section, vrsize 1792 */
	u32 len;
	u16 flags;
	enum ivnet_stat stat;
};

#define IVNET_TEST_MAX_LEN	(1500 + VLAN_ETH_HLEN)

static const struct ivnet_desc_case ivnet_desc_cases[] = {
	{ "valid", 1792, 60, 0, IVNET_STAT_RX_PACKETS },
	/* flags must be 0: no NEXT, WRITE or INDIRECT */
	{ "flags NEXT", 1792, 60, 1, IVNET_STAT_RX_INVALID_DESC },
	{ "flags WRITE", 1792, 60, 2, IVNET_STAT_RX_INVALID_DESC },
	{ "flags INDIRECT", 1792, 60, 4, IVNET_STAT_RX_INVALID_DESC },
	{ "flags unknown", 1792, 60, 0x8000, IVNET_STAT_RX_INVALID_DESC },
	/* the frame starts in the data area: addr >= vrsize */
	{ "addr = vrsize", 1792, 60, 0, IVNET_STAT_RX_PACKETS },
	{ "addr = vrsize - 1", 1791, 60, 0, IVNET_STAT_RX_INVALID_DESC },
	{ "addr 0", 0, 60, 0, IVNET_STAT_RX_INVALID_DESC },
	/* and ends in it: addr + len <= S */
	{ "end = S", 4096 - 60, 60, 0, IVNET_STAT_RX_PACKETS },
	{ "end = S + 1", 4096 - 59, 60, 0, IVNET_STAT_RX_INVALID_DESC },
	{ "addr = S", 4096, 60, 0, IVNET_STAT_RX_INVALID_DESC },
	{ "addr wraps", U64_MAX - 10, 60, 0, IVNET_STAT_RX_INVALID_DESC },
	{ "len = S", 1792, 4096, 0, IVNET_STAT_RX_INVALID_DESC },
	{ "len = S + 1", 0, 4097, 0, IVNET_STAT_RX_INVALID_DESC },
	{ "len U32_MAX", 1792, U32_MAX, 0, IVNET_STAT_RX_INVALID_DESC },
	/* an Ethernet frame: ETH_HLEN <= len <= MTU + VLAN header */
	{ "len = ETH_HLEN", 1792, ETH_HLEN, 0, IVNET_STAT_RX_PACKETS },
	{ "len = ETH_HLEN - 1", 1792, ETH_HLEN - 1, 0,
	  IVNET_STAT_RX_LENGTH_ERRORS },
	{ "len 0", 1792, 0, 0, IVNET_STAT_RX_LENGTH_ERRORS },
	{ "len = max", 1792, IVNET_TEST_MAX_LEN, 0, IVNET_STAT_RX_PACKETS },
	{ "len = max + 1", 1792, IVNET_TEST_MAX_LEN + 1, 0,
	  IVNET_STAT_RX_LENGTH_ERRORS },
};

static void ivnet_desc_desc(const struct ivnet_desc_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(ivnet_desc, ivnet_desc_cases, ivnet_desc_desc);

static void ivnet_test_rx_desc(struct kunit *test)
{
	const struct ivnet_desc_case *c = test->param_value;
	struct ivnet *in = ivnet_test_dev(test, SZ_4K);

	KUNIT_ASSERT_EQ(test, in->vrsize, 1792);
	KUNIT_EXPECT_EQ(test, ivnet_rx_desc_check(in, c->addr, c->len,
						  c->flags,
						  IVNET_TEST_MAX_LEN),
			c->stat);
}

/* Descriptor indices from the peer's avail ring must be below qlen */
static void ivnet_test_rx_desc_index(struct kunit *test)
{
	struct ivnet *in = ivnet_test_dev(test, SZ_4K);
	struct ivnet_desc *desc;
	u32 id;

	desc = kunit_kcalloc(test, in->qlen, sizeof(*desc), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, desc);
	/* runts: a valid index ends as a length error, before any skb */
	for (id = 0; id < in->qlen; id++) {
		desc[id].addr = cpu_to_le64(in->vrsize);
		desc[id].len = cpu_to_le32(ETH_HLEN - 1);
	}
	in->rx.desc = desc;

	ivnet_rx_frame(in, in->qlen - 1, IVNET_TEST_MAX_LEN);
	KUNIT_EXPECT_EQ(test,
			ivnet_test_rx_stat(in, IVNET_STAT_RX_LENGTH_ERRORS), 1);
	KUNIT_EXPECT_EQ(test,
			ivnet_test_rx_stat(in, IVNET_STAT_RX_INVALID_DESC), 0);
	ivnet_rx_frame(in, in->qlen, IVNET_TEST_MAX_LEN);
	ivnet_rx_frame(in, U16_MAX, IVNET_TEST_MAX_LEN);
	KUNIT_EXPECT_EQ(test,
			ivnet_test_rx_stat(in, IVNET_STAT_RX_INVALID_DESC), 2);
	KUNIT_EXPECT_EQ(test,
			ivnet_test_rx_stat(in, IVNET_STAT_RX_LENGTH_ERRORS), 1);
	KUNIT_EXPECT_EQ(test, ivnet_test_rx_stat(in, IVNET_STAT_RX_PACKETS),
			0);
}

/* The peer's avail index may be at most qlen ahead of what we consumed */
static void ivnet_test_rx_pending(struct kunit *test)
{
	struct ivnet *in = ivnet_test_dev(test, SZ_4K);
	struct ivnet_avail *avail;

	avail = kunit_kzalloc(test, struct_size(avail, ring, in->qlen + 1),
			      GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, avail);
	in->rx.avail = avail;

	KUNIT_EXPECT_EQ(test, ivnet_rx_pending(in), 0);
	avail->idx = cpu_to_le16(1);
	KUNIT_EXPECT_EQ(test, ivnet_rx_pending(in), 1);
	avail->idx = cpu_to_le16(in->qlen);
	KUNIT_EXPECT_EQ(test, ivnet_rx_pending(in), in->qlen);
	avail->idx = cpu_to_le16(in->qlen + 1);
	KUNIT_EXPECT_EQ(test, ivnet_rx_pending(in), -1);
	/* behind us is as impossible as too far ahead */
	avail->idx = cpu_to_le16(U16_MAX);
	KUNIT_EXPECT_EQ(test, ivnet_rx_pending(in), -1);
	/* 16-bit wrap-around */
	in->rx.last_avail = U16_MAX - 9;
	avail->idx = cpu_to_le16(in->qlen - 10);
	KUNIT_EXPECT_EQ(test, ivnet_rx_pending(in), in->qlen);
	avail->idx = cpu_to_le16(in->qlen - 9);
	KUNIT_EXPECT_EQ(test, ivnet_rx_pending(in), -1);
}

/* TX ring with @n frames of 128 bytes published, none completed */
static struct ivnet_used *ivnet_test_tx(struct kunit *test, struct ivnet *in,
					u16 n)
{
	struct ivnet_txq *tx = &in->tx;
	struct ivnet_used *used;
	u16 i;

	used = kunit_kzalloc(test, struct_size(used, ring, in->qlen + 1),
			     GFP_KERNEL);
	tx->frame_end = kunit_kcalloc(test, in->qlen, sizeof(u32),
				      GFP_KERNEL);
	tx->frame_bytes = kunit_kcalloc(test, in->qlen, sizeof(u32),
					GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, used);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, tx->frame_end);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, tx->frame_bytes);
	tx->used = used;
	for (i = 0; i < n; i++) {
		tx->frame_end[i] = (i + 1) * 128;
		tx->frame_bytes[i] = 128;
	}
	tx->avail_idx = n;
	tx->avail_pub = n;
	tx->head = n * 128;
	tx->bytes = n * 128;
	return used;
}

/* The peer completes @n frames in order, each with the marker */
static void ivnet_test_complete(struct ivnet_used *used, u16 from, u16 n,
				u32 mask)
{
	u16 i;

	for (i = from; i != (u16)(from + n); i++) {
		used->ring[i & mask].id = cpu_to_le32(i & mask);
		used->ring[i & mask].len = cpu_to_le32(IVNET_USED_LEN);
	}
	used->idx = cpu_to_le16(from + n);
}

static void ivnet_test_tx_reclaim(struct kunit *test)
{
	struct ivnet *in = ivnet_test_dev(test, SZ_4K);
	struct ivnet_used *used = ivnet_test_tx(test, in, 3);

	ivnet_tx_reclaim(in);
	KUNIT_EXPECT_EQ(test, in->tx.last_used, 0);

	ivnet_test_complete(used, 0, 2, in->qlen - 1);
	ivnet_tx_reclaim(in);
	KUNIT_EXPECT_FALSE(test, test_bit(IVNET_FLAG_BROKEN, &in->flags));
	KUNIT_EXPECT_EQ(test, in->tx.last_used, 2);
	KUNIT_EXPECT_EQ(test, in->tx.bytes, 128);
	KUNIT_EXPECT_EQ(test, in->tx.tail, 256);

	/* the last one: the area is empty, head and tail start over */
	ivnet_test_complete(used, 2, 1, in->qlen - 1);
	ivnet_tx_reclaim(in);
	KUNIT_EXPECT_FALSE(test, test_bit(IVNET_FLAG_BROKEN, &in->flags));
	KUNIT_EXPECT_EQ(test, in->tx.last_used, 3);
	KUNIT_EXPECT_EQ(test, in->tx.bytes, 0);
	KUNIT_EXPECT_EQ(test, in->tx.head, 0);
	KUNIT_EXPECT_EQ(test, in->tx.tail, 0);
}

/*
 * Two frames in flight; the peer completes them but publishes @used_idx
 * and writes @id and @len into the second used entry: the link must break.
 */
static void ivnet_test_tx_reclaim_broken(struct kunit *test, u16 used_idx,
					 u32 id, u32 len)
{
	struct ivnet *in = ivnet_test_dev(test, SZ_4K);
	struct ivnet_used *used = ivnet_test_tx(test, in, 2);

	in->tx_on = true;
	ivnet_test_complete(used, 0, 2, in->qlen - 1);
	used->ring[1].id = cpu_to_le32(id);
	used->ring[1].len = cpu_to_le32(len);
	used->idx = cpu_to_le16(used_idx);
	ivnet_tx_reclaim(in);
	KUNIT_EXPECT_TRUE(test, test_bit(IVNET_FLAG_BROKEN, &in->flags));
	KUNIT_EXPECT_FALSE(test, in->tx_on);
	KUNIT_EXPECT_EQ(test,
			atomic64_read(&in->misc_stats[IVNET_STAT_RING_ERRORS]),
			1);
	/* nothing after the bad entry is reclaimed */
	KUNIT_EXPECT_LE(test, in->tx.last_used, 1);
}

static void ivnet_test_tx_used_idx_limit(struct kunit *test)
{
	struct ivnet *in = ivnet_test_dev(test, SZ_4K);
	struct ivnet_used *used = ivnet_test_tx(test, in, 2);

	/* at the limit: every published frame completed */
	ivnet_test_complete(used, 0, 2, in->qlen - 1);
	ivnet_tx_reclaim(in);
	KUNIT_EXPECT_FALSE(test, test_bit(IVNET_FLAG_BROKEN, &in->flags));
	KUNIT_EXPECT_EQ(test, in->tx.last_used, 2);
}

static void ivnet_test_tx_used_idx_beyond(struct kunit *test)
{
	/* one more completion than frames published */
	ivnet_test_tx_reclaim_broken(test, 3, 1, IVNET_USED_LEN);
}

static void ivnet_test_tx_used_id(struct kunit *test)
{
	/* completions come back in order: entry 1 must name descriptor 1 */
	ivnet_test_tx_reclaim_broken(test, 2, 0, IVNET_USED_LEN);
}

static void ivnet_test_tx_used_len(struct kunit *test)
{
	/* the length is the marker 1, not a byte count */
	ivnet_test_tx_reclaim_broken(test, 2, 1, 60);
}

/* ---- event index ---- */

static void ivnet_test_need_event(struct kunit *test)
{
	/* the index moved from old to new: notify if event is in between */
	KUNIT_EXPECT_TRUE(test, ivnet_need_event(0, 1, 0));
	KUNIT_EXPECT_FALSE(test, ivnet_need_event(1, 1, 0));
	KUNIT_EXPECT_TRUE(test, ivnet_need_event(4, 5, 0));
	KUNIT_EXPECT_TRUE(test, ivnet_need_event(0, 5, 0));
	KUNIT_EXPECT_FALSE(test, ivnet_need_event(5, 5, 0));
	KUNIT_EXPECT_FALSE(test, ivnet_need_event(10, 5, 3));
	KUNIT_EXPECT_FALSE(test, ivnet_need_event(2, 5, 3));
	KUNIT_EXPECT_TRUE(test, ivnet_need_event(3, 5, 3));
	/* nothing moved: never */
	KUNIT_EXPECT_FALSE(test, ivnet_need_event(7, 7, 7));
	/* 16-bit wrap-around */
	KUNIT_EXPECT_TRUE(test, ivnet_need_event(U16_MAX, 1, U16_MAX - 1));
	KUNIT_EXPECT_TRUE(test, ivnet_need_event(0, 1, U16_MAX));
	KUNIT_EXPECT_FALSE(test, ivnet_need_event(1, 1, U16_MAX));
}

/* ---- data area (byte ring of the sender) ---- */

static void ivnet_test_frame_slot(struct kunit *test)
{
	/* ALIGN(18 + len, 64) */
	KUNIT_EXPECT_EQ(test, ivnet_frame_slot(ETH_HLEN), 64);
	KUNIT_EXPECT_EQ(test, ivnet_frame_slot(46), 64);
	KUNIT_EXPECT_EQ(test, ivnet_frame_slot(47), 128);
	KUNIT_EXPECT_EQ(test, ivnet_frame_slot(1514), 1536);
	KUNIT_EXPECT_EQ(test, ivnet_frame_slot(1518), 1536);
}

static void ivnet_test_tx_fit(struct kunit *test)
{
	struct ivnet *in = ivnet_test_dev(test, SZ_4K);
	struct ivnet_txq *tx = &in->tx;
	u32 off, bytes;

	KUNIT_ASSERT_EQ(test, in->data_size, 2304);
	/* empty: at 0, up to the whole area */
	KUNIT_EXPECT_TRUE(test, ivnet_tx_fit(in, 2304, &off, &bytes));
	KUNIT_EXPECT_EQ(test, off, 0);
	KUNIT_EXPECT_EQ(test, bytes, 2304);
	KUNIT_EXPECT_FALSE(test, ivnet_tx_fit(in, 2368, &off, &bytes));

	/* 128..1152 in flight: 1152 bytes left at the end */
	tx->tail = 128;
	tx->head = 1152;
	tx->bytes = 1024;
	KUNIT_EXPECT_TRUE(test, ivnet_tx_fit(in, 1152, &off, &bytes));
	KUNIT_EXPECT_EQ(test, off, 1152);
	KUNIT_EXPECT_EQ(test, bytes, 1152);
	/* 64 bytes left at the end: at 0, the skipped tail counts as used */
	tx->head = 2240;
	tx->bytes = 2112;
	KUNIT_EXPECT_TRUE(test, ivnet_tx_fit(in, 128, &off, &bytes));
	KUNIT_EXPECT_EQ(test, off, 0);
	KUNIT_EXPECT_EQ(test, bytes, 64 + 128);
	KUNIT_EXPECT_FALSE(test, ivnet_tx_fit(in, 192, &off, &bytes));

	/* wrapped: 1024..end and 0..512 in flight, 512..1024 free */
	tx->tail = 1024;
	tx->head = 512;
	tx->bytes = 1792;
	KUNIT_EXPECT_TRUE(test, ivnet_tx_fit(in, 512, &off, &bytes));
	KUNIT_EXPECT_EQ(test, off, 512);
	KUNIT_EXPECT_EQ(test, bytes, 512);
	KUNIT_EXPECT_FALSE(test, ivnet_tx_fit(in, 576, &off, &bytes));
}

/* ---- peer state ---- */

struct ivnet_peer_state_case {
	const char *desc;
	u32 prev;
	u32 raw;
	u32 peer;
	bool bad;
	bool backward;
};

static const struct ivnet_peer_state_case ivnet_peer_state_cases[] = {
	{ "RESET -> RESET", 0, 0, 0, false, false },
	{ "RESET -> INIT", 0, 1, 1, false, false },
	{ "INIT -> READY", 1, 2, 2, false, false },
	{ "READY -> RUN", 2, 3, 3, false, false },
	{ "RUN -> RUN", 3, 3, 3, false, false },
	{ "INIT -> RESET (on the way up)", 1, 0, 0, false, false },
	{ "READY -> INIT (reset unseen)", 2, 1, 1, false, true },
	{ "RUN -> READY (step back)", 3, 2, 2, false, true },
	{ "RUN -> INIT (reset unseen)", 3, 1, 1, false, true },
	{ "RUN -> RESET", 3, 0, 0, false, true },
	{ "RESET -> 4 (undefined)", 0, 4, 0, true, false },
	{ "RUN -> 4 (undefined)", 3, 4, 0, true, true },
	{ "READY -> U32_MAX (undefined)", 2, U32_MAX, 0, true, true },
};

static void ivnet_peer_state_desc(const struct ivnet_peer_state_case *c,
				  char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(ivnet_peer_state, ivnet_peer_state_cases,
		  ivnet_peer_state_desc);

static void ivnet_test_peer_state(struct kunit *test)
{
	const struct ivnet_peer_state_case *c = test->param_value;
	bool bad = !c->bad, backward = !c->backward;

	KUNIT_EXPECT_EQ(test, ivnet_peer_state(c->prev, c->raw, &bad,
					       &backward),
			c->peer);
	KUNIT_EXPECT_EQ(test, bad, c->bad);
	KUNIT_EXPECT_EQ(test, backward, c->backward);
}

static struct kunit_case ivnet_test_cases[] = {
	KUNIT_CASE_PARAM(ivnet_test_sizing, ivnet_sizing_gen_params),
	KUNIT_CASE_PARAM(ivnet_test_layout, ivnet_sizing_gen_params),
	KUNIT_CASE(ivnet_test_used_offset),
	KUNIT_CASE(ivnet_test_geometry_peers),
	KUNIT_CASE_PARAM(ivnet_test_rx_desc, ivnet_desc_gen_params),
	KUNIT_CASE(ivnet_test_rx_desc_index),
	KUNIT_CASE(ivnet_test_rx_pending),
	KUNIT_CASE(ivnet_test_tx_reclaim),
	KUNIT_CASE(ivnet_test_tx_used_idx_limit),
	KUNIT_CASE(ivnet_test_tx_used_idx_beyond),
	KUNIT_CASE(ivnet_test_tx_used_id),
	KUNIT_CASE(ivnet_test_tx_used_len),
	KUNIT_CASE(ivnet_test_need_event),
	KUNIT_CASE(ivnet_test_frame_slot),
	KUNIT_CASE(ivnet_test_tx_fit),
	KUNIT_CASE_PARAM(ivnet_test_peer_state, ivnet_peer_state_gen_params),
	{ }
};

static struct kunit_suite ivnet_test_suite = {
	.name = "ivshmem-net",
	.exit = ivnet_test_exit,
	.test_cases = ivnet_test_cases,
};

kunit_test_suite(ivnet_test_suite);
