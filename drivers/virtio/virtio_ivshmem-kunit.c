// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "virtio_ivshmem": the logic of the virtio transport over
 * IVSHMEM v2 that needs no device: the bitmap allocator over the read/write
 * section behind the DMA operations, and the validation of the link
 * geometry and of what the back-end writes into the shared header.
 * Included at the end of virtio_ivshmem.c when
 * CONFIG_VIRTIO_IVSHMEM_KUNIT_TEST is set, so that it can call the
 * driver's static functions; it runs when the module is loaded.
 *
 * Expected values are computed by hand from Documentation/virtio/ivshmem.rst:
 * chunk = section / 4096 rounded up to a power of two, clamped to
 * [cache line, page]; the header's chunks are reserved; blocks are
 * power-of-two numbers of chunks aligned to their size.
 */

#include <kunit/test.h>

#define VI_TEST_HDR		0x4c	/* header without config: 2 chunks */

/* x86_64 and UML: the hand-computed chunk sizes assume these */
static void vi_test_need_x86_sizes(struct kunit *test)
{
	if (SMP_CACHE_BYTES != 64 || PAGE_SIZE != SZ_4K)
		kunit_skip(test, "expects 64-byte cache lines, 4 KiB pages");
}

/* A zeroed PCI device that names the errors and holds the driver data */
static struct pci_dev *vi_test_pdev(struct kunit *test)
{
	struct pci_dev *pdev;

	pdev = kunit_kzalloc(test, sizeof(*pdev), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pdev);
	pdev->dev.init_name = "virtio_ivshmem-kunit";
	return pdev;
}

/*
 * A transport with a read/write section of @size bytes, set up like
 * vi_map() does, and the allocator reset for a header of @hdr_size bytes
 * like vi_register() does. Sections up to 64 KiB get private memory that
 * stands for the shared one.
 */
static struct vi_dev *vi_test_dev(struct kunit *test, u64 size, u32 hdr_size)
{
	struct vi_dev *vi;

	vi = kunit_kzalloc(test, sizeof(*vi), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, vi);
	vi->pdev = vi_test_pdev(test);
	pci_set_drvdata(vi->pdev, vi);
	spin_lock_init(&vi->alloc_lock);
	vi->section_size = size;
	vi->chunk_shift = vi_chunk_shift(size);
	vi->nchunks = size >> vi->chunk_shift;
	vi->bitmap = kunit_kcalloc(test, BITS_TO_LONGS(vi->nchunks),
				   sizeof(long), GFP_KERNEL);
	vi->orig = kunit_kcalloc(test, vi->nchunks, sizeof(*vi->orig),
				 GFP_KERNEL);
	vi->maps = kunit_kcalloc(test, vi->nchunks, sizeof(*vi->maps),
				 GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, vi->bitmap);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, vi->orig);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, vi->maps);
	if (size <= SZ_64K) {
		vi->hdr = kunit_kzalloc(test, size, GFP_KERNEL);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, vi->hdr);
	}
	vi_alloc_reset(vi, hdr_size);
	return vi;
}

/* ---- chunk size ---- */

struct vi_chunk_case {
	const char *desc;
	u64 section_size;
	unsigned long chunk;
	unsigned long nchunks;
};

static const struct vi_chunk_case vi_chunk_cases[] = {
	{ "8 KiB (smallest)", SZ_8K, 64, 128 },		/* 2 -> 64 */
	{ "64 KiB", SZ_64K, 64, 1024 },			/* 16 -> 64 */
	{ "256 KiB", SZ_256K, 64, 4096 },		/* 64 */
	{ "260 KiB", 0x41000, 128, 2080 },		/* 65 -> 128 */
	{ "0x7F000", 0x7f000, 128, 4064 },		/* 127 -> 128 */
	{ "1 MiB", SZ_1M, 256, 4096 },			/* 256 */
	{ "16 MiB", SZ_16M, 4096, 4096 },		/* 4096 */
	{ "1 GiB (largest)", SZ_1G, 4096, 262144 },	/* 262144 -> 4096 */
};

static void vi_chunk_desc(const struct vi_chunk_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(vi_chunk, vi_chunk_cases, vi_chunk_desc);

static void vi_test_chunk_size(struct kunit *test)
{
	const struct vi_chunk_case *c = test->param_value;
	unsigned int shift;

	vi_test_need_x86_sizes(test);
	shift = vi_chunk_shift(c->section_size);
	KUNIT_EXPECT_EQ(test, 1UL << shift, c->chunk);
	KUNIT_EXPECT_EQ(test, c->section_size >> shift, c->nchunks);
}

/* ---- largest block ---- */

struct vi_block_case {
	const char *desc;
	unsigned long nchunks;
	unsigned long reserved;
	unsigned long block;
};

static const struct vi_block_case vi_block_cases[] = {
	{ "power of 2, small header", 4096, 2, 2048 },
	{ "power of 2, header of half", 128, 64, 64 },
	{ "power of 2, header past half", 128, 65, 32 },
	{ "not a power of 2, small header", 4064, 2, 1024 },
	{ "not a power of 2, header of half", 4064, 2032, 1024 },
	{ "3 chunks", 3, 1, 1 },
	{ "1 chunk, no header", 1, 0, 1 },
	{ "header fills all", 8, 8, 0 },
	{ "header beyond", 8, 9, 0 },
};

static void vi_block_desc(const struct vi_block_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(vi_block, vi_block_cases, vi_block_desc);

static void vi_test_largest_block(struct kunit *test)
{
	const struct vi_block_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, vi_largest_block(c->nchunks, c->reserved),
			c->block);
}

/*
 * For every section size and header size: a buffer of the advertised
 * maximum mapping size can be allocated, and nothing larger.
 */
static void vi_test_max_mapping_size(struct kunit *test)
{
	static const u32 hdrs[] = { VI_TEST_HDR, 0x200, SZ_2K, SZ_4K };
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(vi_chunk_cases); i++) {
		u64 size = vi_chunk_cases[i].section_size;

		if (size > SZ_1M)	/* no need for big private copies */
			continue;
		for (j = 0; j < ARRAY_SIZE(hdrs); j++) {
			struct vi_dev *vi = vi_test_dev(test, size, hdrs[j]);
			size_t max, chunk = 1UL << vi->chunk_shift;
			long off;

			max = vi_dma_max_mapping_size(&vi->pdev->dev);
			KUNIT_EXPECT_GE_MSG(test, max, chunk,
					    "section 0x%llx header 0x%x",
					    size, hdrs[j]);
			off = vi_alloc(vi, max);
			KUNIT_EXPECT_GE_MSG(test, off, (long)hdrs[j],
					    "section 0x%llx header 0x%x: %zu bytes",
					    size, hdrs[j], max);
			/* one chunk more than the maximum doubles the block */
			vi_alloc_reset(vi, hdrs[j]);
			off = vi_alloc(vi, max + 1);
			KUNIT_EXPECT_EQ_MSG(test, off, -1,
					    "section 0x%llx header 0x%x: %zu bytes",
					    size, hdrs[j], max + 1);
		}
	}
}

/* ---- allocation ---- */

struct vi_align_case {
	const char *desc;
	size_t size;
	long off;	/* in a 64 KiB section, 64-byte chunks, 2 reserved */
};

static const struct vi_align_case vi_align_cases[] = {
	{ "1 byte", 1, 0x80 },
	{ "1 chunk", 64, 0x80 },
	{ "1 chunk + 1", 65, 0x80 },		/* 2 chunks at 2 */
	{ "2 chunks", 128, 0x80 },
	{ "2 chunks + 1", 129, 0x100 },		/* 4 chunks at 4 */
	{ "4 chunks", 256, 0x100 },
	{ "4 chunks + 1", 257, 0x200 },		/* 8 chunks at 8 */
	{ "1 page", SZ_4K, 0x1000 },		/* 64 chunks at 64 */
	{ "half the section", SZ_32K, 0x8000 },	/* 512 chunks at 512 */
	{ "half the section + 1", SZ_32K + 1, -1 },	/* the whole */
	{ "the section", SZ_64K, -1 },
	{ "more than the section", SZ_64K + 1, -1 },
	{ "0 bytes", 0, -1 },
};

static void vi_align_desc(const struct vi_align_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(vi_align, vi_align_cases, vi_align_desc);

static void vi_test_alloc_alignment(struct kunit *test)
{
	const struct vi_align_case *c = test->param_value;
	struct vi_dev *vi;

	vi_test_need_x86_sizes(test);
	vi = vi_test_dev(test, SZ_64K, VI_TEST_HDR);
	KUNIT_EXPECT_EQ(test, vi_alloc(vi, c->size), c->off);
}

struct vi_fill_case {
	const char *desc;
	size_t size;
	unsigned int count;	/* 8 KiB section: 128 chunks, 2 reserved */
};

static const struct vi_fill_case vi_fill_cases[] = {
	{ "64 bytes", 64, 126 },	/* chunks 2..127 */
	{ "100 bytes", 100, 63 },	/* blocks of 2 at 2, 4, .. 126 */
	{ "192 bytes", 192, 31 },	/* blocks of 4 at 4, .. 124 */
	{ "512 bytes", 512, 15 },	/* blocks of 8 at 8, .. 120 */
	{ "1000 bytes", 1000, 7 },	/* blocks of 16 at 16, .. 112 */
	{ "4096 bytes", SZ_4K, 1 },	/* block of 64 at 64 */
};

static void vi_fill_desc(const struct vi_fill_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(vi_fill, vi_fill_cases, vi_fill_desc);

/*
 * Allocates until the section is full: every block is aligned, outside the
 * header and overlaps no other; then the allocator fails cleanly, a freed
 * block is handed out again and after freeing all the first block comes
 * back.
 */
static void vi_test_alloc_until_full(struct kunit *test)
{
	const struct vi_fill_case *c = test->param_value;
	unsigned long *used, chunk, nblock, first;
	unsigned int n = 0, i;
	struct vi_dev *vi;
	long *offs, off;

	vi_test_need_x86_sizes(test);
	vi = vi_test_dev(test, SZ_8K, VI_TEST_HDR);
	chunk = 1UL << vi->chunk_shift;
	nblock = roundup_pow_of_two(DIV_ROUND_UP(c->size, chunk));
	used = kunit_kcalloc(test, BITS_TO_LONGS(vi->nchunks), sizeof(long),
			     GFP_KERNEL);
	offs = kunit_kcalloc(test, vi->nchunks + 1, sizeof(*offs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, used);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, offs);

	while ((off = vi_alloc(vi, c->size)) >= 0) {
		KUNIT_ASSERT_LT(test, n, vi->nchunks);
		KUNIT_EXPECT_GE(test, off, (long)VI_TEST_HDR);
		KUNIT_EXPECT_EQ(test, off % (chunk * nblock), 0);
		KUNIT_ASSERT_LE(test, off + c->size, vi->section_size);
		first = off / chunk;
		KUNIT_EXPECT_EQ_MSG(test, find_next_bit(used, first + nblock,
							first),
				    first + nblock, "block at 0x%lx overlaps",
				    off);
		bitmap_set(used, first, nblock);
		offs[n++] = off;
	}
	KUNIT_EXPECT_EQ(test, off, -1);
	KUNIT_EXPECT_EQ(test, n, c->count);
	KUNIT_EXPECT_EQ(test, vi_alloc(vi, c->size), -1);

	/* free one in the middle: exactly that one comes back */
	vi_free(vi, offs[n / 2], c->size);
	KUNIT_EXPECT_EQ(test, vi_alloc(vi, c->size), offs[n / 2]);
	KUNIT_EXPECT_EQ(test, vi_alloc(vi, c->size), -1);

	for (i = 0; i < n; i++)
		vi_free(vi, offs[i], c->size);
	KUNIT_EXPECT_EQ(test, vi_alloc(vi, c->size), offs[0]);
}

/* A double free must not release a block that was handed out since */
static void vi_test_double_free(struct kunit *test)
{
	struct vi_dev *vi = vi_test_dev(test, SZ_8K, VI_TEST_HDR);
	long a, b, c;

	a = vi_alloc(vi, 128);		/* chunks 2-3 */
	KUNIT_ASSERT_GE(test, a, 0);
	vi_free(vi, a, 128);
	b = vi_alloc(vi, 64);		/* chunk 2 again */
	KUNIT_EXPECT_EQ(test, b, a);
	vi_free(vi, a, 128);		/* chunk 3 is free: refused */
	c = vi_alloc(vi, 64);
	KUNIT_EXPECT_NE(test, c, b);
	KUNIT_EXPECT_GE(test, c, 0);
	/* b is still allocated: freeing it works once */
	vi_free(vi, b, 64);
	KUNIT_EXPECT_EQ(test, vi_alloc(vi, 64), b);
}

static unsigned long *vi_test_bitmap_copy(struct kunit *test,
					  struct vi_dev *vi)
{
	unsigned long *copy;

	copy = kunit_kcalloc(test, BITS_TO_LONGS(vi->nchunks), sizeof(long),
			     GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, copy);
	bitmap_copy(copy, vi->bitmap, vi->nchunks);
	return copy;
}

/* Frees of ranges vi_alloc() cannot have returned change nothing */
static void vi_test_bad_free(struct kunit *test)
{
	struct vi_dev *vi = vi_test_dev(test, SZ_8K, VI_TEST_HDR);
	unsigned long *before;
	long a, b;

	a = vi_alloc(vi, 128);		/* chunks 2-3 */
	b = vi_alloc(vi, 128);		/* chunks 4-5 */
	KUNIT_ASSERT_EQ(test, a, 0x80);
	KUNIT_ASSERT_EQ(test, b, 0x100);
	before = vi_test_bitmap_copy(test, vi);

	vi_free(vi, a + 64, 128);	/* not aligned to the block */
	vi_free(vi, a + 1, 64);		/* not aligned to a chunk */
	vi_free(vi, 0, 64);		/* the header's first chunk */
	vi_free(vi, a, 0);		/* no size */
	vi_free(vi, a, SZ_8K);		/* larger than what is left */
	vi_free(vi, SZ_8K, 64);		/* beyond the section */
	vi_free(vi, SZ_8K - 64, 128);	/* ends beyond the section */
	vi_free(vi, 0x200, 64);		/* never allocated */
	KUNIT_EXPECT_TRUE(test, bitmap_equal(vi->bitmap, before, vi->nchunks));
}

/*
 * In a section of 200 chunks, 70 chunks at chunk 128 lie inside it, but
 * their block of 128 chunks does not: no allocation can be there.
 */
static void vi_test_bad_free_block_end(struct kunit *test)
{
	struct vi_dev *vi;
	unsigned long *before;

	vi_test_need_x86_sizes(test);
	vi = vi_test_dev(test, 200 * 64, VI_TEST_HDR);
	KUNIT_ASSERT_EQ(test, vi->nchunks, 200);
	/* every chunk in use */
	bitmap_fill(vi->bitmap, vi->nchunks);
	before = vi_test_bitmap_copy(test, vi);

	vi_free(vi, 128 * 64, 70 * 64);
	KUNIT_EXPECT_TRUE(test, bitmap_equal(vi->bitmap, before, vi->nchunks));
	/* the same at the limit: 64 chunks at 128 are a block */
	vi_free(vi, 128 * 64, 64 * 64);
	KUNIT_EXPECT_EQ(test, find_next_zero_bit(vi->bitmap, vi->nchunks, 0),
			128);
	KUNIT_EXPECT_EQ(test, find_next_bit(vi->bitmap, vi->nchunks, 128),
			192);
}

/* ---- DMA operations ---- */

/* map_page bounces into the section, unmap_page copies back and frees */
static void vi_test_dma_map_page(struct kunit *test)
{
	struct vi_dev *vi = vi_test_dev(test, SZ_8K, VI_TEST_HDR);
	struct device *dev = &vi->pdev->dev;
	struct page *page;
	dma_addr_t addr;
	u8 *buf, *shm;

	page = alloc_page(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, page);
	buf = page_address(page);
	memset(buf, 0xa5, PAGE_SIZE);

	addr = vi_dma_map_page(dev, page, 10, 300, DMA_BIDIRECTIONAL, 0);
	KUNIT_EXPECT_NE(test, addr, DMA_MAPPING_ERROR);
	if (addr == DMA_MAPPING_ERROR)
		goto out;
	KUNIT_EXPECT_EQ(test, addr, 0x200);	/* 5 chunks: 8 at 8 */
	shm = (u8 *)vi->hdr + addr;
	KUNIT_EXPECT_EQ(test, memcmp(shm, buf + 10, 300), 0);

	/* what the back-end writes reaches the buffer on sync and unmap */
	memset(shm, 0x3c, 300);
	vi_dma_sync_for_cpu(dev, addr + 100, 50, DMA_FROM_DEVICE);
	KUNIT_EXPECT_EQ(test, buf[109], 0xa5);
	KUNIT_EXPECT_EQ(test, buf[110], 0x3c);
	KUNIT_EXPECT_EQ(test, buf[159], 0x3c);
	KUNIT_EXPECT_EQ(test, buf[160], 0xa5);
	vi_dma_unmap_page(dev, addr, 300, DMA_BIDIRECTIONAL, 0);
	KUNIT_EXPECT_EQ(test, buf[10], 0x3c);
	KUNIT_EXPECT_EQ(test, buf[309], 0x3c);
	KUNIT_EXPECT_EQ(test, buf[310], 0xa5);
	KUNIT_EXPECT_PTR_EQ(test, vi->orig[addr >> vi->chunk_shift], NULL);
	/* freed: the same block comes back */
	KUNIT_EXPECT_EQ(test, vi_alloc(vi, 300), (long)addr);
out:
	__free_page(page);
}

/* A full section is a mapping error, not a crash */
static void vi_test_dma_map_full(struct kunit *test)
{
	struct vi_dev *vi = vi_test_dev(test, SZ_8K, VI_TEST_HDR);
	struct device *dev = &vi->pdev->dev;
	struct page *page;
	dma_addr_t addr;

	page = alloc_page(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, page);
	while (vi_alloc(vi, 64) >= 0)
		;
	addr = vi_dma_map_page(dev, page, 0, 64, DMA_TO_DEVICE, 0);
	KUNIT_EXPECT_EQ(test, addr, DMA_MAPPING_ERROR);
	__free_page(page);
}

/* ---- link geometry ---- */

struct vi_geo_case {
	const char *desc;
	u16 protocol;
	u32 max_peers;
	u32 id;
	u64 rw_size;
	int ret;
	u32 device_id;
};

static const struct vi_geo_case vi_geo_cases[] = {
	{ "console front-end", 0x8003, 2, 0, SZ_64K, 0, 3 },
	{ "peer 1", 0x8003, 2, 1, SZ_64K, 0, 3 },
	{ "largest device ID", 0xbfff, 2, 0, SZ_64K, 0, 0x3fff },
	{ "device ID 0", 0x8000, 2, 0, SZ_64K, -ENODEV },
	{ "back-end protocol", 0xc003, 2, 0, SZ_64K, -ENODEV },
	{ "net protocol", 0x0001, 2, 0, SZ_64K, -ENODEV },
	{ "user protocol", 0x7fff, 2, 0, SZ_64K, -ENODEV },
	{ "3 peers", 0x8003, 3, 0, SZ_64K, -EINVAL },
	{ "R/W section 2 pages", 0x8003, 2, 0, 2 * PAGE_SIZE, 0, 3 },
	{ "R/W section 2 pages - 1", 0x8003, 2, 0, 2 * PAGE_SIZE - 1,
	  -EINVAL },
	{ "no R/W section", 0x8003, 2, 0, 0, -EINVAL },
	{ "R/W section 1 GiB", 0x8003, 2, 0, SZ_1G, 0, 3 },
	{ "R/W section 1 GiB + 1", 0x8003, 2, 0, SZ_1G + 1ULL, -EINVAL },
};

static void vi_geo_desc(const struct vi_geo_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(vi_geo, vi_geo_cases, vi_geo_desc);

static void vi_test_geometry(struct kunit *test)
{
	const struct vi_geo_case *c = test->param_value;
	struct vi_dev *vi;

	vi = kunit_kzalloc(test, sizeof(*vi), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, vi);
	vi->pdev = vi_test_pdev(test);
	vi->geo.protocol = c->protocol;
	vi->geo.max_peers = c->max_peers;
	vi->geo.id = c->id;
	vi->geo.rw_section_size = c->rw_size;

	KUNIT_ASSERT_EQ(test, vi_check_geometry(vi), c->ret);
	if (c->ret)
		return;
	KUNIT_EXPECT_EQ(test, vi->device_id, c->device_id);
	KUNIT_EXPECT_EQ(test, vi->section_size, c->rw_size);
	KUNIT_EXPECT_EQ(test, vi->peer_id, 1 - c->id);
}

/* ---- what the back-end writes ---- */

struct vi_header_case {
	const char *desc;
	u32 revision;
	u32 size;	/* in a 64 KiB section */
	int ret;
};

static const struct vi_header_case vi_header_cases[] = {
	{ "revision 1", 1, 0x60, 0 },
	{ "revision 0", 0, 0x60, -EINVAL },
	{ "revision 2", 2, 0x60, -EINVAL },
	{ "size = header", 1, 0x4c, 0 },
	{ "size = header - 1", 1, 0x4b, -EINVAL },
	{ "size 0", 1, 0, -EINVAL },
	{ "size = half the section", 1, SZ_32K, 0 },
	{ "size = half the section + 1", 1, SZ_32K + 1, -EINVAL },
	{ "size U32_MAX", 1, U32_MAX, -EINVAL },
};

static void vi_header_desc(const struct vi_header_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(vi_header, vi_header_cases, vi_header_desc);

static void vi_test_header(struct kunit *test)
{
	const struct vi_header_case *c = test->param_value;
	struct vi_dev *vi;

	vi = kunit_kzalloc(test, sizeof(*vi), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, vi);
	vi->pdev = vi_test_pdev(test);
	vi->section_size = SZ_64K;
	KUNIT_EXPECT_EQ(test, vi_check_header(vi, c->revision, c->size),
			c->ret);
}

struct vi_queue_case {
	const char *desc;
	u16 num;
	u16 dev_vector;	/* of 3 vectors */
	bool enabled;
	int ret;
};

static const struct vi_queue_case vi_queue_cases[] = {
	{ "8 entries", 8, 1, false, 0 },
	{ "no queue", 0, 1, false, -ENOENT },
	{ "1 entry", 1, 1, false, 0 },
	{ "3 entries", 3, 1, false, -EINVAL },
	{ "32768 entries", 32768, 1, false, 0 },
	{ "32769 entries", 32769, 1, false, -EINVAL },
	{ "49152 entries", 49152, 1, false, -EINVAL },
	{ "last vector", 8, 2, false, 0 },
	{ "vector = vectors", 8, 3, false, -EINVAL },
	{ "vector U16_MAX", 8, U16_MAX, false, -EINVAL },
	{ "already enabled", 8, 1, true, -EBUSY },
};

static void vi_queue_desc(const struct vi_queue_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(vi_queue, vi_queue_cases, vi_queue_desc);

static void vi_test_queue(struct kunit *test)
{
	const struct vi_queue_case *c = test->param_value;
	struct pci_dev *pdev = vi_test_pdev(test);

	KUNIT_EXPECT_EQ(test, vi_check_queue(&pdev->dev, 0, c->num,
					     c->dev_vector, 3, c->enabled),
			c->ret);
}

static void vi_test_features(struct kunit *test)
{
	u64 need = BIT_ULL(VIRTIO_F_VERSION_1) |
		   BIT_ULL(VIRTIO_F_ACCESS_PLATFORM);

	KUNIT_EXPECT_TRUE(test, vi_features_ok(need));
	KUNIT_EXPECT_TRUE(test, vi_features_ok(U64_MAX));
	KUNIT_EXPECT_FALSE(test, vi_features_ok(0));
	KUNIT_EXPECT_FALSE(test,
			   vi_features_ok(U64_MAX &
					  ~BIT_ULL(VIRTIO_F_VERSION_1)));
	KUNIT_EXPECT_FALSE(test,
			   vi_features_ok(U64_MAX &
					  ~BIT_ULL(VIRTIO_F_ACCESS_PLATFORM)));
}

static void vi_test_config_range(struct kunit *test)
{
	/* a device config of 8 bytes */
	KUNIT_EXPECT_TRUE(test, vi_cfg_range_ok(8, 0, 8));
	KUNIT_EXPECT_FALSE(test, vi_cfg_range_ok(8, 0, 9));
	KUNIT_EXPECT_TRUE(test, vi_cfg_range_ok(8, 4, 4));
	KUNIT_EXPECT_FALSE(test, vi_cfg_range_ok(8, 5, 4));
	KUNIT_EXPECT_TRUE(test, vi_cfg_range_ok(8, 8, 0));
	KUNIT_EXPECT_FALSE(test, vi_cfg_range_ok(8, 9, 0));
	/* no wrap-around */
	KUNIT_EXPECT_FALSE(test, vi_cfg_range_ok(8, UINT_MAX, 2));
	KUNIT_EXPECT_FALSE(test, vi_cfg_range_ok(8, 2, UINT_MAX));
	/* no config at all */
	KUNIT_EXPECT_TRUE(test, vi_cfg_range_ok(0, 0, 0));
	KUNIT_EXPECT_FALSE(test, vi_cfg_range_ok(0, 0, 1));
}

static struct kunit_case vi_test_cases[] = {
	KUNIT_CASE_PARAM(vi_test_chunk_size, vi_chunk_gen_params),
	KUNIT_CASE_PARAM(vi_test_largest_block, vi_block_gen_params),
	KUNIT_CASE(vi_test_max_mapping_size),
	KUNIT_CASE_PARAM(vi_test_alloc_alignment, vi_align_gen_params),
	KUNIT_CASE_PARAM(vi_test_alloc_until_full, vi_fill_gen_params),
	KUNIT_CASE(vi_test_double_free),
	KUNIT_CASE(vi_test_bad_free),
	KUNIT_CASE(vi_test_bad_free_block_end),
	KUNIT_CASE(vi_test_dma_map_page),
	KUNIT_CASE(vi_test_dma_map_full),
	KUNIT_CASE_PARAM(vi_test_geometry, vi_geo_gen_params),
	KUNIT_CASE_PARAM(vi_test_header, vi_header_gen_params),
	KUNIT_CASE_PARAM(vi_test_queue, vi_queue_gen_params),
	KUNIT_CASE(vi_test_features),
	KUNIT_CASE(vi_test_config_range),
	{ }
};

static struct kunit_suite vi_test_suite = {
	.name = "virtio_ivshmem",
	.test_cases = vi_test_cases,
};

kunit_test_suite(vi_test_suite);
