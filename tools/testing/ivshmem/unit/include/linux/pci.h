/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in for <linux/pci.h>: what <linux/ivshmem.h> uses, with
 * no hardware behind it (config space reads fail), see ../../README.
 * dev_err() prints its format as a TAP comment; the arguments are only
 * evaluated (the kernel's %p extensions have no printf() equivalent).
 */
#ifndef _SHIM_LINUX_PCI_H
#define _SHIM_LINUX_PCI_H

#include <stdio.h>
#include <linux/bits.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/types.h>

#define IORESOURCE_IO		0x00000100
#define IORESOURCE_MEM		0x00000200
#define IORESOURCE_PREFETCH	0x00002000
#define IORESOURCE_MEM_64	0x00100000

#define PCI_CAP_ID_VNDR		0x09
#define PCI_IRQ_INTX		BIT(0)
#define PCIBIOS_DEVICE_NOT_FOUND	0x86

struct resource {
	resource_size_t start;
	resource_size_t end;
	unsigned long flags;
};

struct device {
	const char *init_name;
	void *driver_data;
};

struct pci_dev {
	struct device dev;
	unsigned int class;
	struct resource resource[6];
};

static inline void shim_dev_err(const struct device *dev, const char *fmt,
				...)
{
	printf("# %s: %s", dev && dev->init_name ? dev->init_name : "?", fmt);
}

#define dev_err(dev, fmt, ...)	shim_dev_err(dev, fmt, ##__VA_ARGS__)
#define pci_err(pdev, fmt, ...)	shim_dev_err(&(pdev)->dev, fmt, ##__VA_ARGS__)

static inline resource_size_t pci_resource_start(const struct pci_dev *pdev,
						 int bar)
{
	return pdev->resource[bar].start;
}

static inline resource_size_t pci_resource_len(const struct pci_dev *pdev,
					       int bar)
{
	const struct resource *r = &pdev->resource[bar];

	return r->end ? r->end - r->start + 1 : 0;
}

static inline unsigned long pci_resource_flags(const struct pci_dev *pdev,
					       int bar)
{
	return pdev->resource[bar].flags;
}

static inline u8 pci_find_capability(struct pci_dev *pdev, int cap)
{
	return 0;
}

static inline int pci_read_config_byte(struct pci_dev *pdev, int pos, u8 *val)
{
	return PCIBIOS_DEVICE_NOT_FOUND;
}

static inline int pci_read_config_dword(struct pci_dev *pdev, int pos,
					u32 *val)
{
	return PCIBIOS_DEVICE_NOT_FOUND;
}

static inline int pcibios_err_to_errno(int err)
{
	return err ? -ENODEV : 0;
}

static inline void *devm_request_mem_region(struct device *dev,
					    resource_size_t start,
					    resource_size_t len,
					    const char *name)
{
	return NULL;
}

static inline void __iomem *devm_ioremap(struct device *dev,
					 resource_size_t start,
					 resource_size_t len)
{
	return NULL;
}

#endif
