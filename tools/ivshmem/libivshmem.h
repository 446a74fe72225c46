/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libivshmem: use an IVSHMEM v2 device bound to the uio_ivshmem driver from
 * an unprivileged process. Needs read/write access to /dev/uioN and read
 * access to sysfs. See Documentation/driver-api/uio-ivshmem.rst.
 *
 * All functions returning int return 0 (or a count) on success and a
 * negative errno value on failure.
 */
#ifndef LIBIVSHMEM_H
#define LIBIVSHMEM_H

#include <stddef.h>
#include <stdint.h>

#define IVSHMEM_MAX_MAPS	5	/* MAX_UIO_MAPS */
#define IVSHMEM_NAME_LEN	32

/* Register offsets in the "registers" map */
#define IVSHMEM_REG_ID		0x00
#define IVSHMEM_REG_MAX_PEERS	0x04
#define IVSHMEM_REG_INT_CTRL	0x08
#define IVSHMEM_REG_DOORBELL	0x0c
#define IVSHMEM_REG_STATE	0x10

/* Map names exported by uio_ivshmem */
#define IVSHMEM_MAP_REGISTERS	"registers"
#define IVSHMEM_MAP_STATE_TABLE	"state_table"
#define IVSHMEM_MAP_RW		"rw_section"
#define IVSHMEM_MAP_INPUT	"input_sections"
#define IVSHMEM_MAP_OUTPUT	"output_section"

struct ivshmem_map_info {
	char name[IVSHMEM_NAME_LEN];
	int index;		/* UIO map index: mmap offset index * page */
	uint64_t addr;		/* physical address (informational) */
	uint64_t size;
	int readonly;		/* the driver refuses writable mappings */
};

/* What sysfs says about one device; no need to open it */
struct ivshmem_info {
	int uio;		/* N of /dev/uioN */
	char pci[IVSHMEM_NAME_LEN];	/* PCI address, e.g. 0000:00:04.0 */
	unsigned int protocol;
	unsigned int id;
	unsigned int max_peers;
	unsigned int vectors;
	int nmaps;
	struct ivshmem_map_info maps[IVSHMEM_MAX_MAPS];
};

struct ivshmem_dev {
	struct ivshmem_info info;
	int fd;			/* /dev/uioN */
	int events_fd;		/* sysfs vector_events */
	void *map_addr[IVSHMEM_MAX_MAPS];
	void *regs;		/* the "registers" map */
	const void *state_table;	/* the "state_table" map */
	uint64_t *last_events;	/* per-vector counts at the last look */
	uint32_t event_count;	/* last UIO event count read */
};

/*
 * Device selection: NULL or "" (first device), "uioN" or "/dev/uioN", a PCI
 * address ("0000:00:04.0" or "00:04.0"), or "protocol=VALUE" (first device
 * with that protocol, VALUE in C notation, e.g. 0x4000).
 */
int ivshmem_find(const char *spec, struct ivshmem_info *info);

/* Calls @fn for every uio_ivshmem device; stops early if @fn returns != 0 */
int ivshmem_foreach(int (*fn)(const struct ivshmem_info *info, void *arg),
		    void *arg);

/* Opens and maps every map (read-only maps with PROT_READ only) */
int ivshmem_open(struct ivshmem_dev *dev, const char *spec);
void ivshmem_close(struct ivshmem_dev *dev);

/* Address and size of a map, NULL if the device has no such map */
void *ivshmem_map(struct ivshmem_dev *dev, const char *name, uint64_t *size);

/* Single aligned 32-bit accesses, never merged or elided by the compiler */
static inline uint32_t ivshmem_read32(const void *base, size_t off)
{
	return __atomic_load_n((const uint32_t *)((const char *)base + off),
			       __ATOMIC_RELAXED);
}

static inline void ivshmem_write32(void *base, size_t off, uint32_t val)
{
	__atomic_store_n((uint32_t *)((char *)base + off), val,
			 __ATOMIC_RELAXED);
}

uint32_t ivshmem_peer_state(struct ivshmem_dev *dev, unsigned int peer);
void ivshmem_set_state(struct ivshmem_dev *dev, uint32_t state);
int ivshmem_doorbell(struct ivshmem_dev *dev, unsigned int peer,
		     unsigned int vector);

/* Re-arm (1) or disarm (0) interrupts through /dev/uioN (UIO irqcontrol) */
int ivshmem_irq_control(struct ivshmem_dev *dev, int on);

/*
 * Waits up to @timeout_ms (-1: forever) for an interrupt. Returns 1 and
 * the UIO event count in @count (may be NULL) on an interrupt, 0 on
 * timeout.
 */
int ivshmem_wait(struct ivshmem_dev *dev, int timeout_ms, uint32_t *count);

/* Reads the per-vector event counters into @counts (@n entries) */
int ivshmem_vector_counts(struct ivshmem_dev *dev, uint64_t *counts,
			  unsigned int n);

/*
 * Stores up to @max numbers of vectors whose counter moved since the last
 * call (or ivshmem_open()) in @vecs and returns how many moved.
 */
int ivshmem_vectors_fired(struct ivshmem_dev *dev, unsigned int *vecs,
			  unsigned int max);

#endif /* LIBIVSHMEM_H */
