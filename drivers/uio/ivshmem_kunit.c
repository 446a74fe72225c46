// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "ivshmem-geometry": the helpers of <linux/ivshmem.h> that all
 * IVSHMEM v2 drivers use to validate what the device reports, above all
 * ivshmem_check_geometry(). One case per rule of
 * Documentation/driver-api/uio-ivshmem.rst and the device specification:
 * the value at the limit is accepted, the value just past it refused.
 *
 * The helpers are static inline, so this is a module of its own that
 * needs no device and no driver.
 */

#include <kunit/test.h>
#include <linux/ivshmem.h>
#include <linux/module.h>

#define GEO_BAR2_START	0xfe000000ULL
#define GEO_ADDRESS	0x100000000ULL

static struct device *geo_test_dev(struct kunit *test)
{
	struct device *dev;

	dev = kunit_kzalloc(test, sizeof(*dev), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
	dev->init_name = "ivshmem-kunit";
	return dev;
}

/*
 * A valid device in BAR2: 2 peers, one page each for the state table, the
 * R/W section and the two output sections, in a 64 KiB BAR.
 */
static void geo_bar2(struct ivshmem_raw_geometry *raw)
{
	memset(raw, 0, sizeof(*raw));
	raw->id = 0;
	raw->max_peers = 2;
	raw->protocol = IVSHMEM_PROTO_UNDEFINED;
	raw->cap_pos = 0x40;
	raw->cap_len = IVSHMEM_CAP_LEN_BAR;
	raw->state_table_size = SZ_4K;
	raw->rw_section_size = SZ_4K;
	raw->output_section_size = SZ_4K;
	raw->bar2_flags = IORESOURCE_MEM;
	raw->bar2_start = GEO_BAR2_START;
	raw->bar2_len = SZ_64K;
}

/* The same layout at a fixed Base Address, no BAR2 */
static void geo_fixed(struct ivshmem_raw_geometry *raw)
{
	geo_bar2(raw);
	raw->cap_len = IVSHMEM_CAP_LEN_ADDRESS;
	raw->address = GEO_ADDRESS;
	raw->bar2_flags = 0;
	raw->bar2_start = 0;
	raw->bar2_len = 0;
}

static int geo_check(struct kunit *test,
		     const struct ivshmem_raw_geometry *raw,
		     unsigned int flags, struct ivshmem_geometry *geo)
{
	struct ivshmem_geometry tmp;

	return ivshmem_check_geometry(geo_test_dev(test), raw, flags,
				      geo ?: &tmp);
}

/* Tests that need 64-bit physical addresses */
static void geo_need_64bit_phys(struct kunit *test)
{
	if (sizeof(phys_addr_t) < sizeof(u64))
		kunit_skip(test, "needs 64-bit physical addresses");
}

static void geo_test_valid_bar2(struct kunit *test)
{
	struct ivshmem_raw_geometry raw;
	struct ivshmem_geometry geo;

	geo_bar2(&raw);
	raw.id = 1;
	raw.protocol = IVSHMEM_PROTO_NET;
	KUNIT_ASSERT_EQ(test, geo_check(test, &raw, IVSHMEM_GEO_PAGE_SECTIONS,
					&geo), 0);
	KUNIT_EXPECT_EQ(test, geo.id, 1);
	KUNIT_EXPECT_EQ(test, geo.max_peers, 2);
	KUNIT_EXPECT_EQ(test, geo.protocol, IVSHMEM_PROTO_NET);
	KUNIT_EXPECT_EQ(test, geo.cap_pos, 0x40);
	KUNIT_EXPECT_EQ(test, geo.cap_len, IVSHMEM_CAP_LEN_BAR);
	KUNIT_EXPECT_FALSE(test, geo.fixed_address);
	KUNIT_EXPECT_EQ(test, geo.base, GEO_BAR2_START);
	KUNIT_EXPECT_EQ(test, geo.region_size, SZ_64K);
	KUNIT_EXPECT_EQ(test, geo.state_table_size, SZ_4K);
	KUNIT_EXPECT_EQ(test, geo.rw_section_size, SZ_4K);
	KUNIT_EXPECT_EQ(test, geo.output_section_size, SZ_4K);
	/* state table, R/W section, output 0, output 1 */
	KUNIT_EXPECT_EQ(test, geo.rw_section_offset, 0x1000);
	KUNIT_EXPECT_EQ(test, geo.output_sections_offset, 0x2000);
	KUNIT_EXPECT_EQ(test, ivshmem_output_offset(&geo, 0), 0x2000);
	KUNIT_EXPECT_EQ(test, ivshmem_output_offset(&geo, 1), 0x3000);
	KUNIT_EXPECT_EQ(test, geo.total_size, 0x4000);
}

static void geo_test_valid_fixed(struct kunit *test)
{
	struct ivshmem_raw_geometry raw;
	struct ivshmem_geometry geo;

	geo_need_64bit_phys(test);
	geo_fixed(&raw);
	KUNIT_ASSERT_EQ(test, geo_check(test, &raw, IVSHMEM_GEO_PAGE_SECTIONS,
					&geo), 0);
	KUNIT_EXPECT_TRUE(test, geo.fixed_address);
	KUNIT_EXPECT_EQ(test, geo.base, GEO_ADDRESS);
	KUNIT_EXPECT_EQ(test, geo.cap_len, IVSHMEM_CAP_LEN_ADDRESS);
	/* the region is exactly what the sections need */
	KUNIT_EXPECT_EQ(test, geo.region_size, 0x4000);
	KUNIT_EXPECT_EQ(test, geo.total_size, 0x4000);
}

/* Optional sections: no R/W section, no output sections */
static void geo_test_empty_sections(struct kunit *test)
{
	struct ivshmem_raw_geometry raw;
	struct ivshmem_geometry geo;

	geo_bar2(&raw);
	raw.rw_section_size = 0;
	raw.output_section_size = 0;
	KUNIT_ASSERT_EQ(test, geo_check(test, &raw, IVSHMEM_GEO_PAGE_SECTIONS,
					&geo), 0);
	KUNIT_EXPECT_EQ(test, geo.rw_section_offset, 0x1000);
	KUNIT_EXPECT_EQ(test, geo.output_sections_offset, 0x1000);
	KUNIT_EXPECT_EQ(test, geo.total_size, 0x1000);
}

/* Maximum Peers >= 2 */
static void geo_test_max_peers_min(struct kunit *test)
{
	struct ivshmem_raw_geometry raw;

	geo_bar2(&raw);
	raw.max_peers = 2;
	KUNIT_EXPECT_EQ(test, geo_check(test, &raw, 0, NULL), 0);
	raw.max_peers = 1;
	KUNIT_EXPECT_EQ(test, geo_check(test, &raw, 0, NULL), -EINVAL);
	raw.max_peers = 0;
	KUNIT_EXPECT_EQ(test, geo_check(test, &raw, 0, NULL), -EINVAL);
}

/* Maximum Peers <= 65536 */
static void geo_test_max_peers_max(struct kunit *test)
{
	struct ivshmem_raw_geometry raw;

	geo_bar2(&raw);
	raw.state_table_size = 4 * 65537;
	raw.rw_section_size = 0;
	raw.output_section_size = 0;
	raw.bar2_len = SZ_512K;
	raw.max_peers = 65536;
	KUNIT_EXPECT_EQ(test, geo_check(test, &raw, 0, NULL), 0);
	raw.max_peers = 65537;
	KUNIT_EXPECT_EQ(test, geo_check(test, &raw, 0, NULL), -EINVAL);
	raw.max_peers = U32_MAX;
	KUNIT_EXPECT_EQ(test, geo_check(test, &raw, 0, NULL), -EINVAL);
}

/* ID < Maximum Peers */
static void geo_test_id(struct kunit *test)
{
	struct ivshmem_raw_geometry raw;

	geo_bar2(&raw);
	raw.id = 1;
	KUNIT_EXPECT_EQ(test, geo_check(test, &raw, 0, NULL), 0);
	raw.id = 2;
	KUNIT_EXPECT_EQ(test, geo_check(test, &raw, 0, NULL), -EINVAL);
	raw.id = U32_MAX;
	KUNIT_EXPECT_EQ(test, geo_check(test, &raw, 0, NULL), -EINVAL);

	raw.max_peers = 12;
	raw.output_section_size = 0;
	raw.id = 11;
	KUNIT_EXPECT_EQ(test, geo_check(test, &raw, 0, NULL), 0);
	raw.id = 12;
	KUNIT_EXPECT_EQ(test, geo_check(test, &raw, 0, NULL), -EINVAL);
}

/* The vendor capability must exist */
static void geo_test_capability(struct kunit *test)
{
	struct ivshmem_raw_geometry raw;

	geo_bar2(&raw);
	raw.cap_pos = 0;
	KUNIT_EXPECT_EQ(test, geo_check(test, &raw, 0, NULL), -ENODEV);
}

/* Capability length 18h or 20h */
static void geo_test_cap_len(struct kunit *test)
{
	static const u8 bad[] = { 0, 0x10, 0x17, 0x19, 0x1c, 0x1f, 0x21,
				  0xff };
	struct ivshmem_raw_geometry raw;
	unsigned int i;

	geo_bar2(&raw);
	KUNIT_EXPECT_EQ(test, geo_check(test, &raw, 0, NULL), 0);
	geo_fixed(&raw);
	KUNIT_EXPECT_EQ(test, geo_check(test, &raw, 0, NULL), 0);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		raw.cap_len = bad[i];
		KUNIT_EXPECT_EQ_MSG(test, geo_check(test, &raw, 0, NULL),
				    -EINVAL, "length 0x%x", bad[i]);
	}
}

/* State Table Size >= 4 * Maximum Peers */
static void geo_test_state_table(struct kunit *test)
{
	struct ivshmem_raw_geometry raw;

	geo_bar2(&raw);
	raw.state_table_size = 8;
	KUNIT_EXPECT_EQ(test, geo_check(test, &raw, 0, NULL), 0);
	raw.state_table_size = 7;
	KUNIT_EXPECT_EQ(test, geo_check(test, &raw, 0, NULL), -EINVAL);
	raw.state_table_size = 0;
	KUNIT_EXPECT_EQ(test, geo_check(test, &raw, 0, NULL), -EINVAL);

	raw.max_peers = 1024;
	raw.output_section_size = 0;
	raw.state_table_size = SZ_4K;
	KUNIT_EXPECT_EQ(test, geo_check(test, &raw, 0, NULL), 0);
	raw.state_table_size = SZ_4K - 1;
	KUNIT_EXPECT_EQ(test, geo_check(test, &raw, 0, NULL), -EINVAL);
}

/* With IVSHMEM_GEO_PAGE_SECTIONS, every section is whole pages */
static void geo_test_page_multiple(struct kunit *test)
{
	struct ivshmem_raw_geometry raw;

	geo_bar2(&raw);
	raw.bar2_len = SZ_1M;

	raw.state_table_size = PAGE_SIZE + 4;
	KUNIT_EXPECT_EQ(test, geo_check(test, &raw, 0, NULL), 0);
	KUNIT_EXPECT_EQ(test, geo_check(test, &raw, IVSHMEM_GEO_PAGE_SECTIONS,
					NULL), -EINVAL);
	raw.state_table_size = 2 * PAGE_SIZE;
	KUNIT_EXPECT_EQ(test, geo_check(test, &raw, IVSHMEM_GEO_PAGE_SECTIONS,
					NULL), 0);

	raw.rw_section_size = PAGE_SIZE + 1;
	KUNIT_EXPECT_EQ(test, geo_check(test, &raw, 0, NULL), 0);
	KUNIT_EXPECT_EQ(test, geo_check(test, &raw, IVSHMEM_GEO_PAGE_SECTIONS,
					NULL), -EINVAL);
	raw.rw_section_size = PAGE_SIZE - 1;
	KUNIT_EXPECT_EQ(test, geo_check(test, &raw, IVSHMEM_GEO_PAGE_SECTIONS,
					NULL), -EINVAL);
	raw.rw_section_size = 0;
	KUNIT_EXPECT_EQ(test, geo_check(test, &raw, IVSHMEM_GEO_PAGE_SECTIONS,
					NULL), 0);

	raw.output_section_size = 3 * PAGE_SIZE - 1;
	KUNIT_EXPECT_EQ(test, geo_check(test, &raw, 0, NULL), 0);
	KUNIT_EXPECT_EQ(test, geo_check(test, &raw, IVSHMEM_GEO_PAGE_SECTIONS,
					NULL), -EINVAL);
	raw.output_section_size = 3 * PAGE_SIZE;
	KUNIT_EXPECT_EQ(test, geo_check(test, &raw, IVSHMEM_GEO_PAGE_SECTIONS,
					NULL), 0);
}

/* The sum of the section sizes must not wrap around */
static void geo_test_size_overflow(struct kunit *test)
{
	struct ivshmem_raw_geometry raw;
	struct ivshmem_geometry geo;

	geo_need_64bit_phys(test);
	/*
	 * The largest layout that fits the address space, at 4 KiB:
	 * 0x1000 + 2 * 0x7fffffffffffefff = 0xffffffffffffeffe bytes,
	 * ending at 0xfffffffffffffffe.
	 */
	geo_fixed(&raw);
	raw.address = 0x1000;
	raw.rw_section_size = 0;
	raw.output_section_size = 0x7fffffffffffefffULL;
	KUNIT_ASSERT_EQ(test, geo_check(test, &raw, 0, &geo), 0);
	KUNIT_EXPECT_EQ(test, geo.total_size, 0xffffffffffffeffeULL);
	KUNIT_EXPECT_EQ(test, ivshmem_output_offset(&geo, 1),
			0x1000 + 0x7fffffffffffefffULL);

	/* output sections times peers wraps */
	raw.output_section_size = BIT_ULL(63);
	KUNIT_EXPECT_EQ(test, geo_check(test, &raw, 0, NULL), -EINVAL);
	/* state table plus R/W section wraps */
	raw.output_section_size = 0;
	raw.rw_section_size = U64_MAX - 0xfff;
	KUNIT_EXPECT_EQ(test, geo_check(test, &raw, 0, NULL), -EINVAL);
	/* and then the output sections */
	raw.rw_section_size = BIT_ULL(63);
	raw.output_section_size = BIT_ULL(62);
	KUNIT_EXPECT_EQ(test, geo_check(test, &raw, 0, NULL), -EINVAL);
	/* many peers */
	raw.max_peers = 65536;
	raw.state_table_size = 4 * 65536;
	raw.rw_section_size = 0;
	raw.output_section_size = BIT_ULL(48);
	KUNIT_EXPECT_EQ(test, geo_check(test, &raw, 0, NULL), -EINVAL);
}

/* BAR2, if implemented, is a memory BAR */
static void geo_test_bar2_memory(struct kunit *test)
{
	struct ivshmem_raw_geometry raw;

	geo_bar2(&raw);
	raw.bar2_flags = IORESOURCE_MEM | IORESOURCE_MEM_64 |
			 IORESOURCE_PREFETCH;
	KUNIT_EXPECT_EQ(test, geo_check(test, &raw, 0, NULL), 0);
	raw.bar2_flags = IORESOURCE_IO;
	KUNIT_EXPECT_EQ(test, geo_check(test, &raw, 0, NULL), -EINVAL);
	raw.bar2_flags = 0;
	KUNIT_EXPECT_EQ(test, geo_check(test, &raw, 0, NULL), -EINVAL);
}

/* With BAR2 the capability has no Base Address (length 18h) */
static void geo_test_bar2_cap_len(struct kunit *test)
{
	struct ivshmem_raw_geometry raw;

	geo_bar2(&raw);
	raw.cap_len = IVSHMEM_CAP_LEN_ADDRESS;
	raw.address = GEO_ADDRESS;
	KUNIT_EXPECT_EQ(test, geo_check(test, &raw, 0, NULL), -EINVAL);
}

/* Without BAR2 the capability must give a Base Address (length 20h) */
static void geo_test_no_region(struct kunit *test)
{
	struct ivshmem_raw_geometry raw;

	geo_fixed(&raw);
	raw.cap_len = IVSHMEM_CAP_LEN_BAR;
	raw.address = 0;
	KUNIT_EXPECT_EQ(test, geo_check(test, &raw, 0, NULL), -EINVAL);
}

/* The Base Address range is non-zero and does not wrap */
static void geo_test_base_address(struct kunit *test)
{
	struct ivshmem_raw_geometry raw;
	struct ivshmem_geometry geo;

	geo_need_64bit_phys(test);
	geo_fixed(&raw);
	raw.address = 0;
	KUNIT_EXPECT_EQ(test, geo_check(test, &raw, 0, NULL), -EINVAL);
	raw.address = 1;
	KUNIT_EXPECT_EQ(test, geo_check(test, &raw, 0, NULL), 0);
	/* 16 KiB whose end, address + size, is still a u64 */
	raw.address = U64_MAX - 0x4000;
	KUNIT_ASSERT_EQ(test, geo_check(test, &raw, 0, &geo), 0);
	KUNIT_EXPECT_EQ(test, geo.base + geo.region_size, U64_MAX);
	raw.address = U64_MAX - 0x3fff;
	KUNIT_EXPECT_EQ(test, geo_check(test, &raw, 0, NULL), -EINVAL);
	raw.address = U64_MAX;
	KUNIT_EXPECT_EQ(test, geo_check(test, &raw, 0, NULL), -EINVAL);
}

/* With IVSHMEM_GEO_PAGE_SECTIONS the region starts on a page */
static void geo_test_base_aligned(struct kunit *test)
{
	struct ivshmem_raw_geometry raw;

	geo_bar2(&raw);
	raw.bar2_start = GEO_BAR2_START + PAGE_SIZE;
	KUNIT_EXPECT_EQ(test, geo_check(test, &raw, IVSHMEM_GEO_PAGE_SECTIONS,
					NULL), 0);
	raw.bar2_start = GEO_BAR2_START + 0x800;
	KUNIT_EXPECT_EQ(test, geo_check(test, &raw, IVSHMEM_GEO_PAGE_SECTIONS,
					NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, geo_check(test, &raw, 0, NULL), 0);

	geo_need_64bit_phys(test);
	geo_fixed(&raw);
	raw.address = GEO_ADDRESS + 0x10;
	KUNIT_EXPECT_EQ(test, geo_check(test, &raw, IVSHMEM_GEO_PAGE_SECTIONS,
					NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, geo_check(test, &raw, 0, NULL), 0);
}

/* All sections fit in BAR2 */
static void geo_test_region_fits(struct kunit *test)
{
	struct ivshmem_raw_geometry raw;

	geo_bar2(&raw);
	raw.bar2_len = 0x4000;
	KUNIT_EXPECT_EQ(test, geo_check(test, &raw, 0, NULL), 0);
	raw.bar2_len = 0x3fff;
	KUNIT_EXPECT_EQ(test, geo_check(test, &raw, 0, NULL), -EINVAL);
	raw.bar2_len = SZ_64K;
	raw.output_section_size = 0x7000;	/* 0x2000 + 2 * 0x7000 */
	KUNIT_EXPECT_EQ(test, geo_check(test, &raw, 0, NULL), 0);
	raw.output_section_size = 0x7001;
	KUNIT_EXPECT_EQ(test, geo_check(test, &raw, 0, NULL), -EINVAL);
}

/* BAR0: MMIO, all registers; for userspace a page-aligned page */
static void geo_test_regs_bar(struct kunit *test)
{
	const unsigned long mem = IORESOURCE_MEM;

	KUNIT_EXPECT_TRUE(test, ivshmem_regs_bar_ok(mem, 0xfe001000,
						    IVSHMEM_REG_SIZE, false));
	KUNIT_EXPECT_FALSE(test, ivshmem_regs_bar_ok(mem, 0xfe001000,
						     IVSHMEM_REG_SIZE - 1,
						     false));
	KUNIT_EXPECT_FALSE(test, ivshmem_regs_bar_ok(IORESOURCE_IO, 0xc000,
						     0x100, false));
	KUNIT_EXPECT_TRUE(test, ivshmem_regs_bar_ok(mem, 0xfe001010, 0x100,
						    false));

	KUNIT_EXPECT_TRUE(test, ivshmem_regs_bar_ok(mem, 0xfe001000,
						    PAGE_SIZE, true));
	KUNIT_EXPECT_FALSE(test, ivshmem_regs_bar_ok(mem, 0xfe001000,
						     PAGE_SIZE - 1, true));
	KUNIT_EXPECT_FALSE(test, ivshmem_regs_bar_ok(mem, 0xfe001010,
						     PAGE_SIZE, true));
	KUNIT_EXPECT_FALSE(test, ivshmem_regs_bar_ok(IORESOURCE_IO, 0xc000,
						     PAGE_SIZE, true));
}

static void geo_test_protocols(struct kunit *test)
{
	KUNIT_EXPECT_FALSE(test, ivshmem_proto_is_user(0x3fff));
	KUNIT_EXPECT_TRUE(test, ivshmem_proto_is_user(0x4000));
	KUNIT_EXPECT_TRUE(test, ivshmem_proto_is_user(0x7fff));
	KUNIT_EXPECT_FALSE(test, ivshmem_proto_is_user(0x8000));

	KUNIT_EXPECT_FALSE(test, ivshmem_proto_is_virtio_front(0x7fff));
	KUNIT_EXPECT_TRUE(test, ivshmem_proto_is_virtio_front(0x8000));
	KUNIT_EXPECT_TRUE(test, ivshmem_proto_is_virtio_front(0xbfff));
	KUNIT_EXPECT_FALSE(test, ivshmem_proto_is_virtio_front(0xc000));

	KUNIT_EXPECT_FALSE(test, ivshmem_proto_is_virtio_back(0xbfff));
	KUNIT_EXPECT_TRUE(test, ivshmem_proto_is_virtio_back(0xc000));
	KUNIT_EXPECT_TRUE(test, ivshmem_proto_is_virtio_back(0xffff));
	KUNIT_EXPECT_FALSE(test, ivshmem_proto_is_virtio_back(0x0001));

	/* the device ID is bits 13:0 for both roles */
	KUNIT_EXPECT_EQ(test, ivshmem_proto_virtio_id(0x8003), 3);
	KUNIT_EXPECT_EQ(test, ivshmem_proto_virtio_id(0xc003), 3);
	KUNIT_EXPECT_EQ(test, ivshmem_proto_virtio_id(0xbfff), 0x3fff);
	KUNIT_EXPECT_EQ(test, ivshmem_proto_virtio_id(0xffff), 0x3fff);
}

static void geo_test_doorbell(struct kunit *test)
{
	/* bits 31:16 peer, bits 15:0 vector */
	KUNIT_EXPECT_EQ(test, ivshmem_doorbell_value(0, 0), 0);
	KUNIT_EXPECT_EQ(test, ivshmem_doorbell_value(1, 0), 0x10000);
	KUNIT_EXPECT_EQ(test, ivshmem_doorbell_value(2, 5), 0x20005);
	KUNIT_EXPECT_EQ(test, ivshmem_doorbell_value(0xffff, 0xffff),
			0xffffffff);
}

static struct kunit_case geo_test_cases[] = {
	KUNIT_CASE(geo_test_valid_bar2),
	KUNIT_CASE(geo_test_valid_fixed),
	KUNIT_CASE(geo_test_empty_sections),
	KUNIT_CASE(geo_test_max_peers_min),
	KUNIT_CASE(geo_test_max_peers_max),
	KUNIT_CASE(geo_test_id),
	KUNIT_CASE(geo_test_capability),
	KUNIT_CASE(geo_test_cap_len),
	KUNIT_CASE(geo_test_state_table),
	KUNIT_CASE(geo_test_page_multiple),
	KUNIT_CASE(geo_test_size_overflow),
	KUNIT_CASE(geo_test_bar2_memory),
	KUNIT_CASE(geo_test_bar2_cap_len),
	KUNIT_CASE(geo_test_no_region),
	KUNIT_CASE(geo_test_base_address),
	KUNIT_CASE(geo_test_base_aligned),
	KUNIT_CASE(geo_test_region_fits),
	KUNIT_CASE(geo_test_regs_bar),
	KUNIT_CASE(geo_test_protocols),
	KUNIT_CASE(geo_test_doorbell),
	{ }
};

static struct kunit_suite geo_test_suite = {
	.name = "ivshmem-geometry",
	.test_cases = geo_test_cases,
};

kunit_test_suite(geo_test_suite);

MODULE_DESCRIPTION("KUnit tests for the IVSHMEM v2 helpers of <linux/ivshmem.h>");
MODULE_LICENSE("GPL");
