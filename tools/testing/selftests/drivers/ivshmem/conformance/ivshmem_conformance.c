// SPDX-License-Identifier: GPL-2.0
/*
 * Conformance tests of an IVSHMEM v2 device, run from inside a guest
 * without any driver bound: configuration space through sysfs "config",
 * registers through "resource0", the shared memory through "resource2"
 * (or /dev/mem at the Base Address in fixed-address mode).
 *
 * The expected link geometry comes from the environment (set by the test
 * bed scenario): IVT_PEERS, IVT_VECTORS, IVT_PROTOCOL, IVT_RW_SIZE,
 * IVT_OUT_SIZE, IVT_MODE (msix or intx), IVT_BASE (0 unless fixed-address
 * mode), IVT_DEPART (1: the last guest leaves at the end). VMTEST_INDEX and
 * VMTEST_COUNT tell which guest this is and how many run. Guests of one link
 * run the same tests in the same order and meet at barriers kept in the
 * last bytes of the R/W section.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/types.h>

#include "../../../kselftest_harness.h"

#define IVSHMEM_VENDOR		0x110a
#define IVSHMEM_DEVICE		0x4106

#define REG_ID			0x00
#define REG_MAX_PEERS		0x04
#define REG_INT_CTRL		0x08
#define REG_DOORBELL		0x0c
#define REG_STATE		0x10
#define REG_PAGE		4096

#define CAP_PRIV_CTRL		0x03
#define CAP_STATE_TAB_SZ	0x04
#define CAP_RW_SECTION_SZ	0x08
#define CAP_OUT_SECTION_SZ	0x10
#define CAP_ADDRESS		0x18

#define PCI_CFG_SIZE		256
#define PCI_CAP_ID_VNDR		0x09
#define PCI_CAP_ID_MSIX		0x11

#define IORESOURCE_PREFETCH	0x00002000
#define IORESOURCE_MEM		0x00000200
#define IORESOURCE_MEM_64	0x00100000

/* Barrier slots: one u32 per guest at the end of the R/W section. */
#define BARRIER_AREA		256
#define WAIT_SECS		120
#define IRQ_WAIT_SECS		10

struct ivt_link {
	char dev[300];		/* sysfs directory of the device */
	unsigned int index;	/* this guest, VMTEST_INDEX */
	unsigned int count;	/* guests running, VMTEST_COUNT */
	unsigned int peers;	/* expected Maximum Peers */
	unsigned int vectors;	/* expected vectors */
	unsigned int protocol;	/* expected protocol */
	__u64 rw_size;	/* expected R/W section size */
	__u64 out_size;	/* expected output section size */
	__u64 base;		/* expected Base Address, 0 = BAR2 mode */
	bool intx;		/* INTx mode expected */
	bool depart;		/* the last guest leaves at the end */
};

static struct ivt_link ivt;

static __u64 env_u64(const char *name, __u64 def)
{
	const char *v = getenv(name);

	return v && *v ? strtoull(v, NULL, 0) : def;
}

static int find_device(char *out, size_t len)
{
	const char *root = "/sys/bus/pci/devices";
	struct dirent *de;
	DIR *d = opendir(root);
	int found = -1;

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		char path[600];
		unsigned int v = 0, dv = 0;
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/vendor", root, de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fscanf(f, "%x", &v) != 1)
			v = 0;
		fclose(f);
		snprintf(path, sizeof(path), "%s/%s/device", root, de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fscanf(f, "%x", &dv) != 1)
			dv = 0;
		fclose(f);
		if (v == IVSHMEM_VENDOR && dv == IVSHMEM_DEVICE) {
			snprintf(out, len, "%s/%s", root, de->d_name);
			found = 0;
			break;
		}
	}
	closedir(d);
	return found;
}

static int cfg_fd(void)
{
	char path[400];

	snprintf(path, sizeof(path), "%s/config", ivt.dev);
	return open(path, O_RDWR);
}

static __u32 cfg_read(unsigned int off, unsigned int size)
{
	__u32 v = 0;
	int fd = cfg_fd();

	if (fd < 0 || pread(fd, &v, size, off) != (ssize_t)size)
		v = 0xdeadbeef;
	if (fd >= 0)
		close(fd);
	return v;
}

static int cfg_write(unsigned int off, unsigned int size, __u32 v)
{
	int fd = cfg_fd();
	int ret = 0;

	if (fd < 0)
		return -1;
	if (pwrite(fd, &v, size, off) != (ssize_t)size)
		ret = -1;
	close(fd);
	return ret;
}

static __u64 cfg_read64(unsigned int off)
{
	return cfg_read(off, 4) | (__u64)cfg_read(off + 4, 4) << 32;
}

/* Walk the capability list; return the offset of capability @id or 0. */
static unsigned int cfg_find_cap(unsigned int id)
{
	unsigned int pos = cfg_read(0x34, 1) & ~3u;
	int ttl = 48;

	while (pos >= 0x40 && ttl--) {
		if (cfg_read(pos, 1) == id)
			return pos;
		pos = cfg_read(pos + 1, 1) & ~3u;
	}
	return 0;
}

/* One line of sysfs "resource": start, end, flags of BAR @bar. */
static int bar_info(int bar, __u64 *start, __u64 *size, __u64 *flags)
{
	char path[400], line[256];
	__u64 s, e, f;
	FILE *fp;
	int i;

	snprintf(path, sizeof(path), "%s/resource", ivt.dev);
	fp = fopen(path, "r");
	if (!fp)
		return -1;
	for (i = 0; i <= bar; i++) {
		if (!fgets(line, sizeof(line), fp)) {
			fclose(fp);
			return -1;
		}
	}
	fclose(fp);
	if (sscanf(line, "%llx %llx %llx", &s, &e, &f) != 3)
		return -1;
	*start = s;
	*size = e ? e - s + 1 : 0;
	*flags = f;
	return 0;
}

static void *map_file(const char *path, __u64 off, size_t len)
{
	void *p;
	int fd = open(path, O_RDWR | O_SYNC);

	if (fd < 0)
		return NULL;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
	close(fd);
	return p == MAP_FAILED ? NULL : p;
}

static __u64 st_size(void)
{
	return ((__u64)ivt.peers * 4 + 4095) & ~4095ull;
}

static __u64 shm_size(void)
{
	return st_size() + ivt.rw_size + ivt.peers * ivt.out_size;
}

FIXTURE(dev) {
	__u32 *regs;		/* BAR0 */
	__u8 *shm;		/* whole shared memory region */
	__u64 shm_len;		/* bytes mapped at @shm */
	unsigned int vcap;		/* vendor capability offset */
};

FIXTURE_SETUP(dev)
{
	char path[400];

	self->vcap = cfg_find_cap(PCI_CAP_ID_VNDR);
	snprintf(path, sizeof(path), "%s/resource0", ivt.dev);
	self->regs = map_file(path, 0, REG_PAGE);
	ASSERT_NE(NULL, self->regs)
		TH_LOG("mmap %s: %s", path, strerror(errno));

	self->shm_len = shm_size();
	if (ivt.base) {
		self->shm = map_file("/dev/mem", ivt.base, self->shm_len);
		ASSERT_NE(NULL, self->shm)
			TH_LOG("mmap /dev/mem at %#llx: %s", ivt.base,
			       strerror(errno));
	} else {
		snprintf(path, sizeof(path), "%s/resource2", ivt.dev);
		self->shm = map_file(path, 0, self->shm_len);
		ASSERT_NE(NULL, self->shm)
			TH_LOG("mmap %s: %s", path, strerror(errno));
	}
}

FIXTURE_TEARDOWN(dev)
{
	if (self->regs)
		munmap(self->regs, REG_PAGE);
	if (self->shm)
		munmap(self->shm, self->shm_len);
}

/* Single 32-bit accesses, never merged or torn by the compiler. */
static __u32 rd32(const __u32 *p)
{
	return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

static void wr32(__u32 *p, __u32 v)
{
	__atomic_store_n(p, v, __ATOMIC_SEQ_CST);
}

static __u32 reg_rd(struct _test_data_dev *self, unsigned int off)
{
	return rd32(&self->regs[off / 4]);
}

static void reg_wr(struct _test_data_dev *self, unsigned int off, __u32 v)
{
	wr32(&self->regs[off / 4], v);
}

static __u32 *shm32(struct _test_data_dev *self, __u64 off)
{
	return (__u32 *)(self->shm + off);
}

static __u32 shm_rd(struct _test_data_dev *self, __u64 off)
{
	return rd32(shm32(self, off));
}

static void shm_wr(struct _test_data_dev *self, __u64 off, __u32 v)
{
	wr32(shm32(self, off), v);
}

/* Write @v at @off and tell whether the memory took it. */
static bool shm_writable(struct _test_data_dev *self, __u64 off, __u32 v)
{
	__u32 before = shm_rd(self, off);

	if (before == v)
		v = ~v;
	shm_wr(self, off, v);
	return shm_rd(self, off) == v;
}

static __u64 rw_off(void)
{
	return st_size();
}

static __u64 out_off(unsigned int peer)
{
	return st_size() + ivt.rw_size + (__u64)peer * ivt.out_size;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Poll until *@p == @want or @secs pass; return the last value seen. */
static __u32 wait_eq_for(__u32 *p, __u32 want, int secs)
{
	double end = now() + secs;
	__u32 v;

	while ((v = rd32(p)) != want && now() < end)
		usleep(1000);
	return v;
}

/* Other guests' progress: they may still be booting. */
static __u32 wait_eq(__u32 *p, __u32 want)
{
	return wait_eq_for(p, want, WAIT_SECS);
}

/* An interrupt the device delivers clears Interrupt Control (one-shot). */
static __u32 wait_delivered(struct _test_data_dev *self)
{
	return wait_eq_for(self->regs + REG_INT_CTRL / 4, 0, IRQ_WAIT_SECS);
}

/*
 * Meet the other guests: publish @step in our slot and wait for every
 * running guest's slot to reach it. Steps only grow, so a guest that skipped
 * a barrier (a failed assertion) does not deadlock the next one.
 */
static bool barrier(struct _test_data_dev *self, __u32 step)
{
	__u64 area = rw_off() + ivt.rw_size - BARRIER_AREA;
	double end = now() + WAIT_SECS;
	unsigned int i;

	if (ivt.rw_size < BARRIER_AREA)
		return ivt.count == 1;	/* nowhere to meet, nobody to meet */

	wr32(shm32(self, area + 4 * ivt.index), step);
	for (i = 0; i < ivt.count; i++) {
		while (rd32(shm32(self, area + 4 * i)) < step) {
			if (now() > end)
				return false;
			usleep(1000);
		}
	}
	return true;
}

/* --- configuration space header ------------------------------------- */

TEST_F(dev, config_identity)
{
	EXPECT_EQ(IVSHMEM_VENDOR, cfg_read(0x00, 2));
	EXPECT_EQ(IVSHMEM_DEVICE, cfg_read(0x02, 2));
	EXPECT_EQ(0x00, cfg_read(0x08, 1));			/* revision */
	EXPECT_EQ(ivt.protocol & 0xff, cfg_read(0x09, 1));	/* prog-if */
	EXPECT_EQ(ivt.protocol >> 8, cfg_read(0x0a, 1));	/* sub-class */
	EXPECT_EQ(0xff, cfg_read(0x0b, 1));			/* class */
	EXPECT_EQ(0x00, cfg_read(0x0e, 1));		/* header type */
	EXPECT_EQ(0x1af4, cfg_read(0x2c, 2));	/* subsystem vendor: QEMU */
	EXPECT_EQ(0x1100, cfg_read(0x2e, 2));	/* subsystem ID: QEMU */
}

TEST_F(dev, config_status)
{
	EXPECT_EQ(0x0010, cfg_read(0x06, 2));
	/* Status bits are not writable (RW1C bits included). */
	ASSERT_EQ(0, cfg_write(0x06, 2, 0xffff));
	EXPECT_EQ(0x0010, cfg_read(0x06, 2));
}

TEST_F(dev, config_command_writable_bits)
{
	__u32 old = cfg_read(0x04, 2);

	ASSERT_EQ(0, cfg_write(0x04, 2, 0xffff));
	/* memory space, bus master, INTx disable; no I/O (BAR0 is MMIO) */
	EXPECT_EQ(0x0406, cfg_read(0x04, 2));
	ASSERT_EQ(0, cfg_write(0x04, 2, 0));
	EXPECT_EQ(0x0000, cfg_read(0x04, 2));
	ASSERT_EQ(0, cfg_write(0x04, 2, old));
	EXPECT_EQ(old & 0x0406, cfg_read(0x04, 2));
}

TEST_F(dev, config_unlisted_registers)
{
	static const unsigned int offs[] = { 0x0c, 0x0d, 0x0f, 0x28, 0x30 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(offs); i++) {
		cfg_write(offs[i], 1, 0xff);
		EXPECT_EQ(0, cfg_read(offs[i], 1))
			TH_LOG("offset %#x", offs[i]);
	}
	EXPECT_EQ(0, cfg_read(0x3e, 2));	/* min_gnt, max_lat */
	EXPECT_EQ(ivt.intx ? 1 : 0, cfg_read(0x3d, 1));	/* pin */
}

TEST_F(dev, config_capability_list)
{
	unsigned int pos = cfg_read(0x34, 1), n = 0, msix = 0, vndr = 0;

	while (pos && n < 48) {
		unsigned int id = cfg_read(pos, 1);

		EXPECT_EQ(0, pos & 3) TH_LOG("capability at %#x", pos);
		EXPECT_GE(pos, 0x40);
		if (id == PCI_CAP_ID_MSIX)
			msix++;
		else if (id == PCI_CAP_ID_VNDR)
			vndr++;
		else
			TH_LOG("unexpected capability %#x at %#x", id, pos);
		EXPECT_TRUE(id == PCI_CAP_ID_MSIX || id == PCI_CAP_ID_VNDR);
		pos = cfg_read(pos + 1, 1);
		n++;
	}
	EXPECT_EQ(1, vndr);
	EXPECT_EQ(ivt.intx ? 0 : 1, msix);
	EXPECT_EQ(self->vcap, cfg_find_cap(PCI_CAP_ID_VNDR));
}

TEST_F(dev, config_msix)
{
	unsigned int cap = cfg_find_cap(PCI_CAP_ID_MSIX);

	if (ivt.intx) {
		EXPECT_EQ(0, cap);
		return;
	}
	ASSERT_NE(0, cap);
	/* table size field is N - 1 */
	EXPECT_EQ(ivt.vectors - 1, cfg_read(cap + 2, 2) & 0x7ff);
	EXPECT_EQ(1, cfg_read(cap + 4, 4) & 7);	/* table in BAR1 */
	EXPECT_EQ(1, cfg_read(cap + 8, 4) & 7);	/* PBA in BAR1 */
}

/* --- vendor capability ---------------------------------------------- */

TEST_F(dev, cap_length_and_sizes)
{
	unsigned int c = self->vcap;

	ASSERT_NE(0, c);
	EXPECT_EQ(ivt.base ? 0x20 : 0x18, cfg_read(c + 2, 1));
	EXPECT_EQ(st_size(), cfg_read(c + CAP_STATE_TAB_SZ, 4));
	EXPECT_EQ(ivt.rw_size, cfg_read64(c + CAP_RW_SECTION_SZ));
	EXPECT_EQ(ivt.out_size, cfg_read64(c + CAP_OUT_SECTION_SZ));
	/* Base Address only in fixed-address mode (0 stands for absent) */
	EXPECT_EQ(ivt.base, ivt.base ? cfg_read64(c + CAP_ADDRESS) : 0);
}

TEST_F(dev, cap_privileged_control)
{
	unsigned int c = self->vcap;

	ASSERT_NE(0, c);
	EXPECT_EQ(0, cfg_read(c + CAP_PRIV_CTRL, 1));
	ASSERT_EQ(0, cfg_write(c + CAP_PRIV_CTRL, 1, 0xff));
	EXPECT_EQ(1, cfg_read(c + CAP_PRIV_CTRL, 1));
	ASSERT_EQ(0, cfg_write(c + CAP_PRIV_CTRL, 1, 0xfe));
	EXPECT_EQ(0, cfg_read(c + CAP_PRIV_CTRL, 1));
}

TEST_F(dev, cap_fields_read_only)
{
	unsigned int c = self->vcap, len, off;
	__u8 before[0x20] = { 0 }, after[0x20] = { 0 };

	ASSERT_NE(0, c);
	len = cfg_read(c + 2, 1);
	ASSERT_LE(len, sizeof(before));
	for (off = 0; off < len; off++)
		before[off] = cfg_read(c + off, 1);
	for (off = 0; off < len; off++)
		if (off != CAP_PRIV_CTRL)
			cfg_write(c + off, 1, ~before[off] & 0xff);
	for (off = 0; off < len; off++)
		after[off] = cfg_read(c + off, 1);
	cfg_write(c + CAP_PRIV_CTRL, 1, before[CAP_PRIV_CTRL]);
	after[CAP_PRIV_CTRL] = before[CAP_PRIV_CTRL];
	EXPECT_EQ(0, memcmp(before, after, len));
	EXPECT_EQ(PCI_CAP_ID_VNDR, after[0]);
}

/* --- BARs --------------------------------------------------------- */

TEST_F(dev, bars)
{
	__u64 start, size, flags;

	ASSERT_EQ(0, bar_info(0, &start, &size, &flags));
	EXPECT_EQ(REG_PAGE, size);
	EXPECT_TRUE(flags & IORESOURCE_MEM);

	ASSERT_EQ(0, bar_info(1, &start, &size, &flags));
	EXPECT_EQ(!ivt.intx, size != 0);	/* MSI-X table and PBA */

	ASSERT_EQ(0, bar_info(2, &start, &size, &flags));
	if (ivt.base) {
		EXPECT_EQ(0, size);
		EXPECT_EQ(0, cfg_read(0x18, 4));
		EXPECT_EQ(0, cfg_read(0x1c, 4));
	} else {
		EXPECT_GE(size, shm_size());
		EXPECT_EQ(0, size & (size - 1));	/* power of two */
		EXPECT_TRUE(flags & IORESOURCE_MEM_64);
		EXPECT_TRUE(flags & IORESOURCE_PREFETCH);
	}
}

TEST_F(dev, msix_pba_reads_zero)
{
	unsigned int cap = cfg_find_cap(PCI_CAP_ID_MSIX), c = self->vcap;
	__u64 start, size, flags;
	__u32 *bar1;
	__u32 pba, v;
	char path[400];

	if (ivt.intx)
		SKIP(return, "no MSI-X in INTx mode");
	ASSERT_NE(0, cap);
	pba = cfg_read(cap + 8, 4) & ~7u;
	ASSERT_EQ(0, bar_info(1, &start, &size, &flags));
	snprintf(path, sizeof(path), "%s/resource1", ivt.dev);
	bar1 = map_file(path, 0, size);
	ASSERT_NE(NULL, bar1);

	/* Interrupts the function cannot take (MSI-X off) must not latch. */
	cfg_write(c + CAP_PRIV_CTRL, 1, 1);
	for (v = 0; v < ivt.vectors; v++) {
		reg_wr(self, REG_INT_CTRL, 1);
		reg_wr(self, REG_DOORBELL, ivt.index << 16 | v);
	}
	usleep(200000);
	for (v = 0; v < (ivt.vectors + 31) / 32; v++)
		EXPECT_EQ(0, rd32(&bar1[pba / 4 + v]));
	reg_wr(self, REG_INT_CTRL, 0);
	cfg_write(c + CAP_PRIV_CTRL, 1, 0);
	munmap(bar1, size);
}

/*
 * The x-* properties of the model present a geometry other than the real
 * one, so that drivers' probe validation can be tested. IVT_SHOW_* give the
 * values the scenario asked for.
 */
TEST_F(dev, presented_geometry)
{
	unsigned int c = self->vcap;

	if (!getenv("IVT_SHOW_ID"))
		SKIP(return, "no presented geometry requested");
	ASSERT_NE(0, c);
	EXPECT_EQ(env_u64("IVT_SHOW_ID", 0), reg_rd(self, REG_ID));
	EXPECT_EQ(env_u64("IVT_SHOW_PEERS", 0), reg_rd(self, REG_MAX_PEERS));
	EXPECT_EQ(env_u64("IVT_SHOW_ST", 0), cfg_read(c + CAP_STATE_TAB_SZ, 4));
	EXPECT_EQ(env_u64("IVT_SHOW_RW", 0), cfg_read64(c + CAP_RW_SECTION_SZ));
	EXPECT_EQ(env_u64("IVT_SHOW_OUT", 0),
		  cfg_read64(c + CAP_OUT_SECTION_SZ));
}

/* --- registers ------------------------------------------------------ */

TEST_F(dev, reg_id_and_max_peers)
{
	EXPECT_EQ(ivt.index, reg_rd(self, REG_ID));
	EXPECT_EQ(ivt.peers, reg_rd(self, REG_MAX_PEERS));
	/* read-only */
	reg_wr(self, REG_ID, 0x1234);
	reg_wr(self, REG_MAX_PEERS, 0x1234);
	EXPECT_EQ(ivt.index, reg_rd(self, REG_ID));
	EXPECT_EQ(ivt.peers, reg_rd(self, REG_MAX_PEERS));
}

TEST_F(dev, reg_interrupt_control)
{
	EXPECT_EQ(0, reg_rd(self, REG_INT_CTRL));
	reg_wr(self, REG_INT_CTRL, 0xffffffff);
	EXPECT_EQ(1, reg_rd(self, REG_INT_CTRL));
	reg_wr(self, REG_INT_CTRL, 0xfffffffe);
	EXPECT_EQ(0, reg_rd(self, REG_INT_CTRL));
}

TEST_F(dev, reg_state_updates_table)
{
	__u32 v = 0x5a000000 | ivt.index;

	reg_wr(self, REG_STATE, v);
	EXPECT_EQ(v, reg_rd(self, REG_STATE));
	EXPECT_EQ(v, shm_rd(self, 4 * ivt.index));
	reg_wr(self, REG_STATE, 0);
	EXPECT_EQ(0, reg_rd(self, REG_STATE));
	EXPECT_EQ(0, shm_rd(self, 4 * ivt.index));
}

TEST_F(dev, reg_unbacked_offsets)
{
	static const unsigned int probes[] = {
		0x14, 0x100, 0x108, 0x110, 0x808
	};
	unsigned int off, i, bad = 0;

	reg_wr(self, REG_INT_CTRL, 0);
	reg_wr(self, REG_STATE, 0);
	for (i = 0; i < ARRAY_SIZE(probes); i++)
		reg_wr(self, probes[i], 0xffffffff);
	/* No aliasing onto the real registers. */
	EXPECT_EQ(0, reg_rd(self, REG_INT_CTRL));
	EXPECT_EQ(0, reg_rd(self, REG_STATE));
	EXPECT_EQ(0, shm_rd(self, 4 * ivt.index));
	for (off = 0x14; off < REG_PAGE; off += 4)
		if (reg_rd(self, off))
			bad++;
	EXPECT_EQ(0, bad);
}

/* --- shared memory permissions --------------------------------------- */

TEST_F(dev, shm_state_table_read_only)
{
	EXPECT_FALSE(shm_writable(self, 4 * ivt.index, 0x77777777));
	/* the unused tail of the table too */
	EXPECT_FALSE(shm_writable(self, st_size() - 4, 0x66666666));
}

TEST_F(dev, shm_sections_permissions)
{
	unsigned int other = (ivt.index + 1) % ivt.peers;
	__u32 pat = 0xc0de0000 | ivt.index;

	if (ivt.rw_size > BARRIER_AREA)
		EXPECT_TRUE(shm_writable(self, rw_off() + 64 * ivt.index, pat));
	if (!ivt.out_size)
		SKIP(return, "no output sections");
	EXPECT_TRUE(shm_writable(self, out_off(ivt.index), pat));
	EXPECT_TRUE(shm_writable(self, out_off(ivt.index) + ivt.out_size - 4,
				 pat));
	EXPECT_FALSE(shm_writable(self, out_off(other) + 8, pat));
	EXPECT_FALSE(shm_writable(self, out_off(other) + ivt.out_size - 4,
				  pat));
}

/* --- interrupts, observed through one-shot clearing of Interrupt Control */

TEST_F_TIMEOUT(dev, oneshot_self_doorbell, WAIT_SECS + 30)
{
	unsigned int c = self->vcap;

	if (!ivt.intx)
		SKIP(return, "interrupt observation needs INTx mode");
	/*
	 * A state change of another guest raises our vector 0 too: start the
	 * interrupt tests only when every guest is done changing its state
	 * (link_state_visible waits for us to finish before the next change).
	 */
	ASSERT_TRUE(barrier(self, 2));
	cfg_write(c + CAP_PRIV_CTRL, 1, 1);
	reg_wr(self, REG_INT_CTRL, 1);
	reg_wr(self, REG_DOORBELL, ivt.index << 16);
	EXPECT_EQ(0, wait_delivered(self));

	/* Not one-shot: delivery leaves the enable bit alone. */
	cfg_write(c + CAP_PRIV_CTRL, 1, 0);
	reg_wr(self, REG_INT_CTRL, 1);
	reg_wr(self, REG_DOORBELL, ivt.index << 16);
	usleep(300000);
	EXPECT_EQ(1, reg_rd(self, REG_INT_CTRL));
	reg_wr(self, REG_INT_CTRL, 0);
}

TEST_F(dev, doorbell_ignored_when_invalid)
{
	unsigned int c = self->vcap;

	if (!ivt.intx)
		SKIP(return, "interrupt observation needs INTx mode");
	cfg_write(c + CAP_PRIV_CTRL, 1, 1);
	reg_wr(self, REG_INT_CTRL, 1);
	/* a vector we do not have, then a target that does not exist */
	reg_wr(self, REG_DOORBELL, ivt.index << 16 | ivt.vectors);
	reg_wr(self, REG_DOORBELL, (ivt.peers + 3) << 16);
	reg_wr(self, REG_DOORBELL, 0xffff0000);
	usleep(300000);
	EXPECT_EQ(1, reg_rd(self, REG_INT_CTRL));
	/* the next valid one is still delivered */
	reg_wr(self, REG_DOORBELL, ivt.index << 16);
	EXPECT_EQ(0, wait_delivered(self));
	cfg_write(c + CAP_PRIV_CTRL, 1, 0);
}

TEST_F(dev, doorbell_disarmed_is_dropped)
{
	unsigned int c = self->vcap;

	if (!ivt.intx)
		SKIP(return, "interrupt observation needs INTx mode");
	cfg_write(c + CAP_PRIV_CTRL, 1, 1);
	reg_wr(self, REG_INT_CTRL, 0);
	reg_wr(self, REG_DOORBELL, ivt.index << 16);
	usleep(300000);
	/* Arming later must not deliver the dropped doorbell. */
	reg_wr(self, REG_INT_CTRL, 1);
	usleep(300000);
	EXPECT_EQ(1, reg_rd(self, REG_INT_CTRL));
	reg_wr(self, REG_INT_CTRL, 0);
	cfg_write(c + CAP_PRIV_CTRL, 1, 0);
}

/* --- several guests on one link ------------------------------------- */

TEST_F_TIMEOUT(dev, link_state_visible, 2 * WAIT_SECS + 30)
{
	unsigned int i;

	if (ivt.count < 2)
		SKIP(return, "needs 2 guests on the link");
	/* the interrupt tests of the other guests are over */
	ASSERT_TRUE(barrier(self, 5));
	reg_wr(self, REG_STATE, 0x100 + ivt.index);
	for (i = 0; i < ivt.count; i++)
		EXPECT_EQ(0x100 + i, wait_eq(shm32(self, 4 * i), 0x100 + i))
			TH_LOG("state of peer %u", i);
	for (i = ivt.count; i < ivt.peers; i++)
		EXPECT_EQ(0, shm_rd(self, 4 * i));
	ASSERT_TRUE(barrier(self, 10));
}

TEST_F_TIMEOUT(dev, link_sections_visible, 2 * WAIT_SECS + 30)
{
	unsigned int i;

	if (ivt.count < 2)
		SKIP(return, "needs 2 guests on the link");
	shm_wr(self, rw_off() + 64 * ivt.index + 4, 0xabcd0000 | ivt.index);
	if (ivt.out_size)
		shm_wr(self, out_off(ivt.index) + 16, 0xbeef0000 | ivt.index);
	ASSERT_TRUE(barrier(self, 20));
	for (i = 0; i < ivt.count; i++) {
		EXPECT_EQ(0xabcd0000 | i, shm_rd(self, rw_off() + 64 * i + 4));
		if (ivt.out_size)
			EXPECT_EQ(0xbeef0000 | i,
				  shm_rd(self, out_off(i) + 16));
	}
	ASSERT_TRUE(barrier(self, 30));
}

TEST_F_TIMEOUT(dev, link_doorbell_and_state_notify, 4 * WAIT_SECS + 30)
{
	unsigned int c = self->vcap;
	bool ok;

	if (ivt.count < 2)
		SKIP(return, "needs 2 guests on the link");
	if (!ivt.intx)
		SKIP(return, "interrupt observation needs INTx mode");
	cfg_write(c + CAP_PRIV_CTRL, 1, 1);
	reg_wr(self, REG_INT_CTRL, 1);
	ASSERT_TRUE(barrier(self, 40));
	/* guest 0 rings guest 1, guest 1 rings guest 0 */
	if (ivt.index < 2)
		reg_wr(self, REG_DOORBELL, (1 - ivt.index) << 16);
	if (ivt.index < 2)
		EXPECT_EQ(0, wait_delivered(self));
	ASSERT_TRUE(barrier(self, 50));

	/* A state change of guest 1 interrupts every other guest. */
	reg_wr(self, REG_INT_CTRL, 1);
	ok = barrier(self, 60);
	ASSERT_TRUE(ok);
	if (ivt.index == 1) {
		reg_wr(self, REG_STATE, 0x4242);
	} else {
		EXPECT_EQ(0, wait_delivered(self));
		EXPECT_EQ(0x4242, shm_rd(self, 4));
	}
	ASSERT_TRUE(barrier(self, 70));

	/* Writing the same value again is not a change. */
	reg_wr(self, REG_INT_CTRL, 1);
	ASSERT_TRUE(barrier(self, 80));
	if (ivt.index == 1)
		reg_wr(self, REG_STATE, 0x4242);
	usleep(500000);
	if (ivt.index != 1)
		EXPECT_EQ(1, reg_rd(self, REG_INT_CTRL));
	ASSERT_TRUE(barrier(self, 90));
	reg_wr(self, REG_INT_CTRL, 0);
	cfg_write(c + CAP_PRIV_CTRL, 1, 0);
}

/*
 * Last test: the last guest publishes a state and leaves (its guest powers
 * off); the others see its entry zeroed and, in INTx mode, get vector 0.
 */
TEST_F_TIMEOUT(dev, link_peer_departure, 2 * WAIT_SECS + 30)
{
	unsigned int last = ivt.count - 1, c = self->vcap;
	__u32 mark = 0xdead0000 | last;

	if (ivt.count < 2)
		SKIP(return, "needs 2 guests on the link");
	if (!ivt.depart)
		SKIP(return, "IVT_DEPART not set");
	if (ivt.index == last)
		reg_wr(self, REG_STATE, mark);
	else
		EXPECT_EQ(mark, wait_eq(shm32(self, 4 * last), mark));
	ASSERT_TRUE(barrier(self, 100));
	/* Arm only now: the state change above also raised vector 0. */
	if (ivt.intx && ivt.index != last) {
		cfg_write(c + CAP_PRIV_CTRL, 1, 1);
		reg_wr(self, REG_INT_CTRL, 1);
	}
	ASSERT_TRUE(barrier(self, 110));
	if (ivt.index == last)
		return;	/* the guest script exits and the guest powers off */

	EXPECT_EQ(0, wait_eq(shm32(self, 4 * last), 0));
	if (ivt.intx)
		EXPECT_EQ(0, wait_delivered(self));
	reg_wr(self, REG_INT_CTRL, 0);
	cfg_write(c + CAP_PRIV_CTRL, 1, 0);
}

int main(int argc, char **argv)
{
	char path[400];
	int fd;

	ivt.index = env_u64("VMTEST_INDEX", 0);
	ivt.count = env_u64("VMTEST_COUNT", 1);
	ivt.peers = env_u64("IVT_PEERS", ivt.count);
	ivt.vectors = env_u64("IVT_VECTORS", 2);
	ivt.protocol = env_u64("IVT_PROTOCOL", 0);
	ivt.rw_size = env_u64("IVT_RW_SIZE", 0x10000);
	ivt.out_size = env_u64("IVT_OUT_SIZE", 0x10000);
	ivt.base = env_u64("IVT_BASE", 0);
	ivt.intx = getenv("IVT_MODE") && !strcmp(getenv("IVT_MODE"), "intx");
	ivt.depart = env_u64("IVT_DEPART", 0);
	if (ivt.intx)
		ivt.vectors = 1;

	if (find_device(ivt.dev, sizeof(ivt.dev))) {
		ksft_print_header();
		ksft_exit_skip("no IVSHMEM v2 device (110a:4106)\n");
	}
	/* Let the BARs decode (no driver is bound to do it). */
	snprintf(path, sizeof(path), "%s/enable", ivt.dev);
	fd = open(path, O_WRONLY);
	if (fd >= 0) {
		if (write(fd, "1", 1) != 1)
			perror("enable");
		close(fd);
	}
	return test_harness_run(argc, argv);
}
