// SPDX-License-Identifier: GPL-2.0
/*
 * Tests for uio_ivshmem on a single guest: map layout against the device's
 * capability, access rights, interrupt arming and one-shot semantics with
 * doorbells to ourselves, vector identification, reset on last close and
 * the sysfs attributes. Needs root (reads the PCI config space) and the
 * first uio_ivshmem device, or the one named by $IVSHMEM_DEV; skips if
 * there is none.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../../kselftest_harness.h"
#include "libivshmem.h"

#define CAP_ID_VNDR	0x09

struct geometry {
	unsigned int cap_len;
	uint32_t state_table_size;
	uint64_t rw_size;
	uint64_t output_size;
	uint64_t base;
};

static const char *dev_spec(void)
{
	return getenv("IVSHMEM_DEV");
}

/* Milliseconds to wait for an interrupt that must (or must not) come */
static int wait_ms(int ms)
{
	return getenv("KSFT_MACHINE_SLOW") ? ms * 5 : ms;
}

/*
 * Vector for doorbells to ourselves: the last one, because state changes
 * of other peers also arrive on vector 0 (only vector with INTx).
 */
static unsigned int self_vector(const struct ivshmem_dev *dev)
{
	return dev->info.vectors - 1;
}

static uint64_t le(const uint8_t *p, int bytes)
{
	uint64_t v = 0;

	while (bytes--)
		v = (v << 8) | p[bytes];
	return v;
}

/* Reads the vendor capability and the region base from sysfs */
static int read_geometry(const char *pci, struct geometry *geo)
{
	unsigned long long start, end, flags;
	uint8_t cfg[256];
	char path[256];
	unsigned int pos, guard;
	FILE *f;
	int fd, i;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", pci);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	if (pread(fd, cfg, sizeof(cfg), 0) != sizeof(cfg)) {
		close(fd);
		return -EIO;
	}
	close(fd);

	pos = cfg[0x34] & ~3u;
	for (guard = 0; pos && guard < 48; guard++) {
		if (cfg[pos] == CAP_ID_VNDR)
			break;
		pos = cfg[pos + 1] & ~3u;
	}
	if (!pos || cfg[pos] != CAP_ID_VNDR || pos > 256 - 0x20)
		return -ENOENT;

	geo->cap_len = cfg[pos + 2];
	geo->state_table_size = le(&cfg[pos + 4], 4);
	geo->rw_size = le(&cfg[pos + 8], 8);
	geo->output_size = le(&cfg[pos + 0x10], 8);
	geo->base = geo->cap_len == 0x20 ? le(&cfg[pos + 0x18], 8) : 0;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource", pci);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	for (i = 0; i <= 2; i++) {
		if (fscanf(f, "%llx %llx %llx", &start, &end, &flags) != 3) {
			fclose(f);
			return -EIO;
		}
	}
	fclose(f);
	if (start)
		geo->base = start;
	return 0;
}

static int find_map(const struct ivshmem_info *info, const char *name)
{
	int i;

	for (i = 0; i < info->nmaps; i++)
		if (!strcmp(info->maps[i].name, name))
			return i;
	return -1;
}

static int uio_path(const struct ivshmem_info *info, char *buf, size_t len)
{
	return snprintf(buf, len, "/dev/uio%d", info->uio);
}

static int mmap_errno(int fd, int index, size_t size, int prot, int flags)
{
	void *p;

	p = mmap(NULL, size, prot, flags, fd, (off_t)index * getpagesize());
	if (p == MAP_FAILED)
		return errno;
	munmap(p, size);
	return 0;
}

FIXTURE(uio)
{
	struct ivshmem_dev dev;
	struct geometry geo;
};

FIXTURE_SETUP(uio)
{
	int ret;

	ret = ivshmem_open(&self->dev, dev_spec());
	if (ret == -ENODEV)
		SKIP(return, "no uio_ivshmem device");
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, read_geometry(self->dev.info.pci, &self->geo));
	ASSERT_EQ(0, ivshmem_irq_control(&self->dev, 0));
}

FIXTURE_TEARDOWN(uio)
{
	if (self->dev.regs)
		ivshmem_close(&self->dev);
}

TEST_F(uio, sysfs_attributes)
{
	const struct ivshmem_info *info = &self->dev.info;
	unsigned int class, msix = 0;
	char path[256], buf[64];
	FILE *f;

	EXPECT_GE(info->max_peers, 2);
	EXPECT_LE(info->max_peers, 65536);
	EXPECT_LT(info->id, info->max_peers);
	EXPECT_GE(info->vectors, 1);
	EXPECT_EQ(info->id, ivshmem_read32(self->dev.regs, IVSHMEM_REG_ID));
	EXPECT_EQ(info->max_peers,
		  ivshmem_read32(self->dev.regs, IVSHMEM_REG_MAX_PEERS));

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/class",
		 info->pci);
	f = fopen(path, "r");
	ASSERT_NE(NULL, f);
	ASSERT_EQ(1, fscanf(f, "%x", &class));
	fclose(f);
	EXPECT_EQ(0xff, class >> 16);
	EXPECT_EQ(class & 0xffff, info->protocol);

	/* vector count: the MSI-X vectors in msi_irqs/, or 1 for INTx */
	snprintf(path, sizeof(path),
		 "ls /sys/bus/pci/devices/%s/msi_irqs 2>/dev/null | wc -l",
		 info->pci);
	f = popen(path, "r");
	ASSERT_NE(NULL, f);
	if (fgets(buf, sizeof(buf), f))
		msix = strtoul(buf, NULL, 0);
	pclose(f);
	EXPECT_EQ(msix ? msix : 1, info->vectors);
}

TEST_F(uio, map_layout)
{
	const struct ivshmem_info *info = &self->dev.info;
	const struct geometry *geo = &self->geo;
	const struct ivshmem_map_info *m;
	uint64_t in_addr, n = 0;

	ASSERT_GE(info->nmaps, 2);
	m = &info->maps[n++];
	EXPECT_STREQ("registers", m->name);
	EXPECT_EQ(getpagesize(), m->size);

	m = &info->maps[n++];
	EXPECT_STREQ("state_table", m->name);
	EXPECT_EQ(geo->state_table_size, m->size);
	EXPECT_EQ(geo->base, m->addr);

	if (geo->rw_size) {
		ASSERT_GT(info->nmaps, n);
		m = &info->maps[n++];
		EXPECT_STREQ("rw_section", m->name);
		EXPECT_EQ(geo->rw_size, m->size);
		EXPECT_EQ(geo->base + geo->state_table_size, m->addr);
	}
	if (geo->output_size) {
		ASSERT_EQ(n + 2, info->nmaps);
		m = &info->maps[n++];
		EXPECT_STREQ("input_sections", m->name);
		EXPECT_EQ(geo->output_size * info->max_peers, m->size);
		in_addr = geo->base + geo->state_table_size + geo->rw_size;
		EXPECT_EQ(in_addr, m->addr);
		m = &info->maps[n++];
		EXPECT_STREQ("output_section", m->name);
		EXPECT_EQ(geo->output_size, m->size);
		EXPECT_EQ(in_addr + info->id * geo->output_size, m->addr);
	}
	EXPECT_EQ(n, info->nmaps);
	for (n = 0; n < (uint64_t)info->nmaps; n++)
		EXPECT_EQ(n, info->maps[n].index);
}

TEST_F(uio, readonly_maps)
{
	static const char * const names[] = { "state_table", "input_sections" };
	const struct ivshmem_info *info = &self->dev.info;
	unsigned int i;
	void *p;
	int mi;

	for (i = 0; i < 2; i++) {
		mi = find_map(info, names[i]);
		if (mi < 0)
			continue;
		TH_LOG("%s", names[i]);
		EXPECT_EQ(EPERM, mmap_errno(self->dev.fd, mi,
					    info->maps[mi].size,
					    PROT_READ | PROT_WRITE,
					    MAP_SHARED));
		EXPECT_EQ(EPERM, mmap_errno(self->dev.fd, mi,
					    info->maps[mi].size, PROT_WRITE,
					    MAP_SHARED));
		p = mmap(NULL, info->maps[mi].size, PROT_READ, MAP_SHARED,
			 self->dev.fd, (off_t)mi * getpagesize());
		ASSERT_NE(MAP_FAILED, p);
		EXPECT_EQ(-1, mprotect(p, info->maps[mi].size,
				       PROT_READ | PROT_WRITE));
		EXPECT_EQ(EACCES, errno);
		munmap(p, info->maps[mi].size);
	}
	/* device memory is never copied on write */
	EXPECT_EQ(EINVAL, mmap_errno(self->dev.fd, 0, getpagesize(),
				     PROT_READ, MAP_PRIVATE));
}

TEST_F(uio, map_bounds)
{
	const struct ivshmem_info *info = &self->dev.info;
	int mi = find_map(info, "state_table");

	EXPECT_EQ(EINVAL, mmap_errno(self->dev.fd, mi,
				     info->maps[mi].size + getpagesize(),
				     PROT_READ, MAP_SHARED));
	EXPECT_EQ(EINVAL, mmap_errno(self->dev.fd, IVSHMEM_MAX_MAPS,
				     getpagesize(), PROT_READ, MAP_SHARED));
}

TEST_F(uio, writable_maps)
{
	const struct ivshmem_info *info = &self->dev.info;
	uint64_t out_size, in_size, rw_size;
	uint32_t *out, *rw, pattern;
	const uint32_t *in;

	out = ivshmem_map(&self->dev, "output_section", &out_size);
	in = ivshmem_map(&self->dev, "input_sections", &in_size);
	rw = ivshmem_map(&self->dev, "rw_section", &rw_size);
	if (!out && !rw)
		SKIP(return, "no writable sections");

	pattern = 0x5a000000 | getpid();
	if (out) {
		ASSERT_NE(NULL, in);
		ivshmem_write32(out, out_size - 4, pattern);
		/* own output section seen through the input map */
		EXPECT_EQ(pattern, ivshmem_read32(in, (info->id + 1) *
						  out_size - 4));
		ivshmem_write32(out, out_size - 4, 0);
	}
	if (rw) {
		ivshmem_write32(rw, rw_size - 4, pattern);
		EXPECT_EQ(pattern, ivshmem_read32(rw, rw_size - 4));
	}
}

TEST_F(uio, irqcontrol_values)
{
	int32_t val = 2;

	EXPECT_EQ(-1, write(self->dev.fd, &val, sizeof(val)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, ivshmem_irq_control(&self->dev, 1));
	EXPECT_EQ(1, ivshmem_read32(self->dev.regs, IVSHMEM_REG_INT_CTRL));
	EXPECT_EQ(0, ivshmem_irq_control(&self->dev, 0));
	EXPECT_EQ(0, ivshmem_read32(self->dev.regs, IVSHMEM_REG_INT_CTRL));
}

/*
 * Other peers running at the same time change their state, which raises
 * vector 0 here and, in one-shot mode, uses up our arming. The helpers
 * below tell our own doorbells from that noise where the vector allows.
 */

/* Did vector @v fire since the last look? */
static int fired_vector(struct ivshmem_dev *dev, unsigned int v)
{
	unsigned int fired[64];
	int i, n;

	n = ivshmem_vectors_fired(dev, fired, 64);
	for (i = 0; i < n && i < 64; i++)
		if (fired[i] == v)
			return 1;
	return 0;
}

/* Arms, rings @v on ourselves and waits for it; 1 if it arrived */
static int ring_self(struct ivshmem_dev *dev, unsigned int v,
		     uint32_t *count)
{
	int tries;

	for (tries = 0; tries < 5; tries++) {
		fired_vector(dev, v);
		if (ivshmem_irq_control(dev, 1) ||
		    ivshmem_doorbell(dev, dev->info.id, v) ||
		    ivshmem_wait(dev, wait_ms(2000), count) != 1)
			return 0;
		if (fired_vector(dev, v))
			return 1;
	}
	return 0;
}

/* Waits while armed (or not); 1 if vector @v fired meanwhile */
static int quiet_wait(struct ivshmem_dev *dev, unsigned int v)
{
	fired_vector(dev, v);
	if (ivshmem_wait(dev, wait_ms(300), NULL) != 1)
		return 0;
	/* with INTx (v == 0) any event counts */
	return fired_vector(dev, v) || !v;
}

TEST_F(uio, doorbell_needs_arming)
{
	struct ivshmem_dev *dev = &self->dev;
	unsigned int id = dev->info.id, v = self_vector(dev);

	/* disarmed: the doorbell is dropped, not latched */
	ASSERT_EQ(0, ivshmem_doorbell(dev, id, v));
	EXPECT_EQ(0, quiet_wait(dev, v));
	ASSERT_EQ(0, ivshmem_irq_control(dev, 1));
	EXPECT_EQ(0, quiet_wait(dev, v));

	/* armed: it wakes us, and one-shot mode disarms */
	ASSERT_EQ(1, ring_self(dev, v, NULL));
	EXPECT_EQ(0, ivshmem_read32(dev->regs, IVSHMEM_REG_INT_CTRL));

	/* one-shot: the next doorbell is dropped until re-armed */
	ASSERT_EQ(0, ivshmem_doorbell(dev, id, v));
	EXPECT_EQ(0, quiet_wait(dev, v));

	/* re-arm through the register page works as well */
	ivshmem_write32(dev->regs, IVSHMEM_REG_INT_CTRL, 1);
	EXPECT_EQ(1, ivshmem_read32(dev->regs, IVSHMEM_REG_INT_CTRL));
	ASSERT_EQ(0, ivshmem_doorbell(dev, id, v));
	EXPECT_EQ(1, ivshmem_wait(dev, wait_ms(2000), NULL));
	EXPECT_EQ(0, ivshmem_read32(dev->regs, IVSHMEM_REG_INT_CTRL));
}

TEST_F(uio, event_count)
{
	struct ivshmem_dev *dev = &self->dev;
	unsigned int v = self_vector(dev);
	uint32_t first, second;

	ASSERT_EQ(1, ring_self(dev, v, &first));
	ASSERT_EQ(1, ring_self(dev, v, &second));
	/* exactly one more unless other peers' state changes came in */
	EXPECT_LE(first + 1, second);
	if (getenv("VMTEST_COUNT") && atoi(getenv("VMTEST_COUNT")) == 1)
		EXPECT_EQ(first + 1, second);
}

/* Each vector's counter moves for its own interrupts only */
TEST_F(uio, vector_identification)
{
	struct ivshmem_dev *dev = &self->dev;
	unsigned int v, i, nvec = dev->info.vectors, *fired;
	int n;

	fired = calloc(nvec, sizeof(*fired));
	ASSERT_NE(NULL, fired);

	for (v = 0; v < nvec && v < 8; v++) {
		TH_LOG("vector %u of %u", v, nvec);
		ASSERT_LE(0, ivshmem_vectors_fired(dev, fired, nvec));
		ASSERT_EQ(0, ivshmem_irq_control(dev, 1));
		ASSERT_EQ(0, ivshmem_doorbell(dev, dev->info.id, v));
		ASSERT_EQ(1, ivshmem_wait(dev, wait_ms(2000), NULL));
		n = ivshmem_vectors_fired(dev, fired, nvec);
		ASSERT_LE(1, n);
		/* besides v, only vector 0 (a peer's state change) may move */
		for (i = 0; i < (unsigned int)n; i++)
			EXPECT_TRUE(fired[i] == v || fired[i] == 0);
		if (v && fired[0] == 0 && n == 1)
			/* the state change took our arming: try again */
			ASSERT_EQ(1, ring_self(dev, v, NULL));
	}

	/* a vector we do not have is ignored */
	ASSERT_EQ(0, ivshmem_irq_control(dev, 1));
	ASSERT_EQ(0, ivshmem_doorbell(dev, dev->info.id, nvec));
	if (ivshmem_wait(dev, wait_ms(300), NULL)) {
		n = ivshmem_vectors_fired(dev, fired, nvec);
		EXPECT_TRUE(n == 1 && fired[0] == 0);
	}
	free(fired);
}

TEST_F(uio, vector_counts)
{
	struct ivshmem_dev *dev = &self->dev;
	unsigned int v = self_vector(dev), nvec = dev->info.vectors;
	uint64_t *before, *after;

	before = calloc(nvec, sizeof(*before));
	after = calloc(nvec, sizeof(*after));
	ASSERT_NE(NULL, before);
	ASSERT_NE(NULL, after);
	ASSERT_EQ(0, ivshmem_vector_counts(dev, before, nvec));
	ASSERT_EQ(0, ivshmem_irq_control(dev, 1));
	ASSERT_EQ(0, ivshmem_doorbell(dev, dev->info.id, v));
	ASSERT_EQ(1, ivshmem_wait(dev, wait_ms(2000), NULL));
	/* the counter is up to date as soon as the event is */
	ASSERT_EQ(0, ivshmem_vector_counts(dev, after, nvec));
	/* unless a peer's state change (vector 0) took our arming */
	if (v && after[v] == before[v] && after[0] > before[0])
		SKIP(goto out, "a peer's state change got in the way");
	EXPECT_TRUE(after[v] == before[v] + 1 ||
		    (!v && after[v] > before[v]));
out:
	free(before);
	free(after);
}

TEST_F(uio, last_close_resets)
{
	struct ivshmem_dev *dev = &self->dev;
	char path[64];
	int fd;

	uio_path(&dev->info, path, sizeof(path));
	ivshmem_set_state(dev, 0x1234);
	ASSERT_EQ(0, ivshmem_irq_control(dev, 1));
	EXPECT_EQ(0x1234, ivshmem_peer_state(dev, dev->info.id));

	/* not the last close: nothing changes */
	fd = open(path, O_RDWR);
	ASSERT_LE(0, fd);
	close(fd);
	EXPECT_EQ(0x1234, ivshmem_peer_state(dev, dev->info.id));
	EXPECT_EQ(1, ivshmem_read32(dev->regs, IVSHMEM_REG_INT_CTRL));

	ivshmem_close(dev);
	ASSERT_EQ(0, ivshmem_open(dev, dev_spec()));
	EXPECT_EQ(0, ivshmem_peer_state(dev, dev->info.id));
	EXPECT_EQ(0, ivshmem_read32(dev->regs, IVSHMEM_REG_STATE));
	EXPECT_EQ(0, ivshmem_read32(dev->regs, IVSHMEM_REG_INT_CTRL));
}

TEST_F(uio, vector_events_bounds)
{
	char path[256];
	uint64_t buf[4];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path),
		 "/sys/class/uio/uio%d/device/vector_events",
		 self->dev.info.uio);
	fd = open(path, O_RDONLY);
	ASSERT_LE(0, fd);
	n = pread(fd, buf, sizeof(buf), 0);
	EXPECT_EQ(8 * (self->dev.info.vectors < 4 ?
		       self->dev.info.vectors : 4), n);
	EXPECT_EQ(0, pread(fd, buf, 8, 8 * self->dev.info.vectors));
	EXPECT_EQ(-1, write(fd, buf, 8));
	close(fd);
}

int main(int argc, char **argv)
{
	struct ivshmem_info info;

	if (ivshmem_find(dev_spec(), &info)) {
		ksft_print_header();
		ksft_exit_skip("no uio_ivshmem device\n");
	}
	return test_harness_run(argc, argv);
}
