// SPDX-License-Identifier: GPL-2.0
/*
 * libivshmem: find IVSHMEM v2 devices bound to uio_ivshmem through sysfs,
 * map their sections by name and drive registers and interrupts.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "libivshmem.h"

#define UIO_CLASS	"/sys/class/uio"
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define DRIVER_NAME	"uio_ivshmem"

static const char * const readonly_maps[] = {
	IVSHMEM_MAP_STATE_TABLE, IVSHMEM_MAP_INPUT,
};

/* Reads a one-line sysfs file into @buf without the newline */
static int read_line(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int read_u64(const char *path, uint64_t *val)
{
	char buf[64], *end;
	int ret;

	ret = read_line(path, buf, sizeof(buf));
	if (ret)
		return ret;
	errno = 0;
	*val = strtoull(buf, &end, 0);
	if (errno || end == buf)
		return -EINVAL;
	return 0;
}

static int read_uint(const char *path, unsigned int *val)
{
	uint64_t v;
	int ret;

	ret = read_u64(path, &v);
	if (!ret)
		*val = (unsigned int)v;
	return ret;
}

static int is_readonly(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(readonly_maps); i++)
		if (!strcmp(name, readonly_maps[i]))
			return 1;
	return 0;
}

static int read_dev_attr(int n, const char *attr, unsigned int *val)
{
	char path[256];

	snprintf(path, sizeof(path), UIO_CLASS "/uio%d/device/%s", n, attr);
	return read_uint(path, val);
}

/* Fills @info for /sys/class/uio/uio@n; -ENODEV if not ours */
static int read_info(int n, struct ivshmem_info *info)
{
	char path[256], buf[256];
	unsigned int vendor, device;
	const char *base;
	uint64_t val;
	ssize_t len;
	int i, ret;

	memset(info, 0, sizeof(*info));
	info->uio = n;

	snprintf(path, sizeof(path), UIO_CLASS "/uio%d/name", n);
	if (read_line(path, buf, sizeof(buf)) || strcmp(buf, DRIVER_NAME))
		return -ENODEV;
	snprintf(path, sizeof(path), UIO_CLASS "/uio%d/device/vendor", n);
	if (read_uint(path, &vendor) || vendor != 0x110a)
		return -ENODEV;
	snprintf(path, sizeof(path), UIO_CLASS "/uio%d/device/device", n);
	if (read_uint(path, &device) || device != 0x4106)
		return -ENODEV;

	snprintf(path, sizeof(path), UIO_CLASS "/uio%d/device", n);
	len = readlink(path, buf, sizeof(buf) - 1);
	if (len < 0)
		return -errno;
	buf[len] = '\0';
	base = strrchr(buf, '/') ? strrchr(buf, '/') + 1 : buf;
	if (strlen(base) >= sizeof(info->pci))
		return -ENAMETOOLONG;
	memcpy(info->pci, base, strlen(base) + 1);

	ret = read_dev_attr(n, "protocol", &info->protocol);
	if (!ret)
		ret = read_dev_attr(n, "id", &info->id);
	if (!ret)
		ret = read_dev_attr(n, "max_peers", &info->max_peers);
	if (!ret)
		ret = read_dev_attr(n, "vectors", &info->vectors);
	if (ret)
		return ret;

	for (i = 0; i < IVSHMEM_MAX_MAPS; i++) {
		struct ivshmem_map_info *m = &info->maps[info->nmaps];

		snprintf(path, sizeof(path), UIO_CLASS "/uio%d/maps/map%d/size",
			 n, i);
		if (read_u64(path, &m->size))
			break;
		snprintf(path, sizeof(path), UIO_CLASS "/uio%d/maps/map%d/addr",
			 n, i);
		if (!read_u64(path, &val))
			m->addr = val;
		snprintf(path, sizeof(path), UIO_CLASS "/uio%d/maps/map%d/name",
			 n, i);
		if (read_line(path, m->name, sizeof(m->name)))
			snprintf(m->name, sizeof(m->name), "map%d", i);
		m->index = i;
		m->readonly = is_readonly(m->name);
		info->nmaps++;
	}
	return 0;
}

int ivshmem_foreach(int (*fn)(const struct ivshmem_info *info, void *arg),
		    void *arg)
{
	struct ivshmem_info info;
	struct dirent **names;
	int i, n, num, ret = 0;

	n = scandir(UIO_CLASS, &names, NULL, versionsort);
	if (n < 0)
		return errno == ENOENT ? 0 : -errno;
	for (i = 0; i < n; i++) {
		if (!ret && sscanf(names[i]->d_name, "uio%d", &num) == 1 &&
		    !read_info(num, &info))
			ret = fn(&info, arg);
		free(names[i]);
	}
	free(names);
	return ret;
}

struct find_arg {
	const char *spec;
	struct ivshmem_info *out;
};

static int pci_match(const char *pci, const char *spec)
{
	size_t lp = strlen(pci), ls = strlen(spec);

	/* "00:04.0" matches "0000:00:04.0" */
	return !strcmp(pci, spec) ||
	       (ls < lp && pci[lp - ls - 1] == ':' &&
		!strcmp(pci + lp - ls, spec));
}

static int find_one(const struct ivshmem_info *info, void *arg)
{
	struct find_arg *fa = arg;
	const char *spec = fa->spec;
	char *end;
	int n;

	if (!spec || !*spec) {
		goto found;
	} else if (!strncmp(spec, "protocol=", 9)) {
		if (strtoul(spec + 9, &end, 0) == info->protocol && !*end)
			goto found;
	} else if (sscanf(spec, "/dev/uio%d", &n) == 1 ||
		   sscanf(spec, "uio%d", &n) == 1) {
		if (n == info->uio)
			goto found;
	} else if (pci_match(info->pci, spec)) {
		goto found;
	}
	return 0;
found:
	*fa->out = *info;
	return 1;
}

int ivshmem_find(const char *spec, struct ivshmem_info *info)
{
	struct find_arg fa = { .spec = spec, .out = info };
	int ret;

	ret = ivshmem_foreach(find_one, &fa);
	if (ret < 0)
		return ret;
	return ret ? 0 : -ENODEV;
}

void *ivshmem_map(struct ivshmem_dev *dev, const char *name, uint64_t *size)
{
	int i;

	for (i = 0; i < dev->info.nmaps; i++) {
		if (strcmp(dev->info.maps[i].name, name))
			continue;
		if (size)
			*size = dev->info.maps[i].size;
		return dev->map_addr[i];
	}
	return NULL;
}

int ivshmem_open(struct ivshmem_dev *dev, const char *spec)
{
	long page = sysconf(_SC_PAGESIZE);
	char path[256];
	int i, ret;

	memset(dev, 0, sizeof(*dev));
	dev->fd = -1;
	dev->events_fd = -1;

	ret = ivshmem_find(spec, &dev->info);
	if (ret)
		return ret;

	snprintf(path, sizeof(path), "/dev/uio%d", dev->info.uio);
	dev->fd = open(path, O_RDWR | O_CLOEXEC);
	if (dev->fd < 0) {
		ret = -errno;
		goto err;
	}
	snprintf(path, sizeof(path), UIO_CLASS "/uio%d/device/vector_events",
		 dev->info.uio);
	dev->events_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (dev->events_fd < 0) {
		ret = -errno;
		goto err;
	}

	for (i = 0; i < dev->info.nmaps; i++) {
		const struct ivshmem_map_info *m = &dev->info.maps[i];
		int prot = PROT_READ | (m->readonly ? 0 : PROT_WRITE);
		void *addr;

		addr = mmap(NULL, m->size, prot, MAP_SHARED, dev->fd,
			    (off_t)m->index * page);
		if (addr == MAP_FAILED) {
			ret = -errno;
			goto err;
		}
		dev->map_addr[i] = addr;
	}

	dev->regs = ivshmem_map(dev, IVSHMEM_MAP_REGISTERS, NULL);
	dev->state_table = ivshmem_map(dev, IVSHMEM_MAP_STATE_TABLE, NULL);
	if (!dev->regs || !dev->state_table) {
		ret = -ENXIO;
		goto err;
	}

	dev->last_events = calloc(dev->info.vectors ? dev->info.vectors : 1,
				  sizeof(*dev->last_events));
	if (!dev->last_events) {
		ret = -ENOMEM;
		goto err;
	}
	ret = ivshmem_vector_counts(dev, dev->last_events, dev->info.vectors);
	if (ret < 0)
		goto err;
	return 0;

err:
	ivshmem_close(dev);
	return ret;
}

void ivshmem_close(struct ivshmem_dev *dev)
{
	int i;

	for (i = 0; i < IVSHMEM_MAX_MAPS; i++)
		if (dev->map_addr[i])
			munmap(dev->map_addr[i], dev->info.maps[i].size);
	if (dev->events_fd >= 0)
		close(dev->events_fd);
	if (dev->fd >= 0)
		close(dev->fd);
	free(dev->last_events);
	memset(dev, 0, sizeof(*dev));
	dev->fd = -1;
	dev->events_fd = -1;
}

uint32_t ivshmem_peer_state(struct ivshmem_dev *dev, unsigned int peer)
{
	if (peer >= dev->info.max_peers)
		return 0;
	return ivshmem_read32(dev->state_table, 4 * peer);
}

void ivshmem_set_state(struct ivshmem_dev *dev, uint32_t state)
{
	/* Make earlier shared-memory stores visible before the peers' IRQ */
	__sync_synchronize();
	ivshmem_write32(dev->regs, IVSHMEM_REG_STATE, state);
}

int ivshmem_doorbell(struct ivshmem_dev *dev, unsigned int peer,
		     unsigned int vector)
{
	if (peer >= dev->info.max_peers || vector > 0xffff)
		return -EINVAL;
	/*
	 * The device orders stores before the doorbell for the target, but
	 * only once they left this CPU: order them before the MMIO store.
	 */
	__sync_synchronize();
	ivshmem_write32(dev->regs, IVSHMEM_REG_DOORBELL, (peer << 16) | vector);
	return 0;
}

int ivshmem_irq_control(struct ivshmem_dev *dev, int on)
{
	int32_t val = on ? 1 : 0;

	if (write(dev->fd, &val, sizeof(val)) != sizeof(val))
		return -errno;
	return 0;
}

int ivshmem_wait(struct ivshmem_dev *dev, int timeout_ms, uint32_t *count)
{
	struct pollfd pfd = { .fd = dev->fd, .events = POLLIN };
	uint32_t val;
	int ret;

	do {
		ret = poll(&pfd, 1, timeout_ms);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0)
		return -errno;
	if (!ret)
		return 0;
	if (read(dev->fd, &val, sizeof(val)) != sizeof(val))
		return -errno;
	dev->event_count = val;
	if (count)
		*count = val;
	return 1;
}

int ivshmem_vector_counts(struct ivshmem_dev *dev, uint64_t *counts,
			  unsigned int n)
{
	size_t want = (size_t)n * sizeof(*counts);
	ssize_t got;

	if (n > dev->info.vectors)
		return -EINVAL;
	got = pread(dev->events_fd, counts, want, 0);
	if (got < 0)
		return -errno;
	if ((size_t)got != want)
		return -EIO;
	return 0;
}

int ivshmem_vectors_fired(struct ivshmem_dev *dev, unsigned int *vecs,
			  unsigned int max)
{
	unsigned int i, nvec = dev->info.vectors;
	uint64_t *now;
	int ret, fired = 0;

	now = calloc(nvec ? nvec : 1, sizeof(*now));
	if (!now)
		return -ENOMEM;
	ret = ivshmem_vector_counts(dev, now, nvec);
	if (ret) {
		free(now);
		return ret;
	}
	for (i = 0; i < nvec; i++) {
		if (now[i] == dev->last_events[i])
			continue;
		if ((unsigned int)fired < max)
			vecs[fired] = i;
		fired++;
	}
	memcpy(dev->last_events, now, nvec * sizeof(*now));
	free(now);
	return fired;
}
