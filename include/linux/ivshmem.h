/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Definitions shared by the drivers for the IVSHMEM v2 inter-VM shared
 * memory PCI device (110Ah:4106h): register and capability layout, protocol
 * types, the doorbell encoding and ivshmem_read_geometry(), which reads and
 * validates everything the device describes about the shared memory region
 * before a driver touches it.
 *
 * The helpers are static inline so that out-of-tree builds of several
 * drivers need no common module.
 */
#ifndef _LINUX_IVSHMEM_H
#define _LINUX_IVSHMEM_H

#include <linux/bitfield.h>
#include <linux/bits.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/pci.h>
#include <linux/types.h>

/* PCI identity; the protocol type lives in sub-class and prog-if */
#ifndef PCI_VENDOR_ID_SIEMENS
#define PCI_VENDOR_ID_SIEMENS		0x110a
#endif
#define PCI_DEVICE_ID_IVSHMEM		0x4106
#define IVSHMEM_BASE_CLASS		0xff
#define IVSHMEM_PCI_CLASS(proto)	((IVSHMEM_BASE_CLASS << 16) | (proto))

/* PCI BARs */
#define IVSHMEM_BAR_REGS		0
#define IVSHMEM_BAR_MSIX		1
#define IVSHMEM_BAR_SHMEM		2

/* Register region (BAR0); only aligned 32-bit accesses */
#define IVSHMEM_REG_ID			0x00
#define IVSHMEM_REG_MAX_PEERS		0x04
#define IVSHMEM_REG_INT_CTRL		0x08
#define IVSHMEM_REG_DOORBELL		0x0c
#define IVSHMEM_REG_STATE		0x10
/* bytes covering all registers */
#define IVSHMEM_REG_SIZE		0x14

#define IVSHMEM_INT_ENABLE		BIT(0)
#define IVSHMEM_DOORBELL_VECTOR		GENMASK(15, 0)
#define IVSHMEM_DOORBELL_PEER		GENMASK(31, 16)

/* Vendor-specific capability (PCI_CAP_ID_VNDR), offsets from its start */
#define IVSHMEM_CAP_LEN			0x02	/* u8 */
#define IVSHMEM_CAP_PRIV_CTRL		0x03	/* u8 */
#define IVSHMEM_CAP_STATE_TAB_SZ	0x04	/* u32 */
#define IVSHMEM_CAP_RW_SECTION_SZ	0x08	/* u64 */
#define IVSHMEM_CAP_OUTPUT_SECTION_SZ	0x10	/* u64 */
#define IVSHMEM_CAP_ADDRESS		0x18	/* u64, if length is 0x20 */

#define IVSHMEM_CAP_LEN_BAR		0x18	/* region is BAR2 */
#define IVSHMEM_CAP_LEN_ADDRESS		0x20	/* region at Base Address */

#define IVSHMEM_PRIV_CTRL_ONESHOT	BIT(0)

/* Limits */
#define IVSHMEM_MIN_PEERS		2
#define IVSHMEM_MAX_PEERS		65536

/* Protocol types */
#define IVSHMEM_PROTO_UNDEFINED		0x0000
#define IVSHMEM_PROTO_NET		0x0001
#define IVSHMEM_PROTO_USER_FIRST	0x4000
#define IVSHMEM_PROTO_USER_LAST		0x7fff
#define IVSHMEM_PROTO_VIRTIO_FRONT	0x8000
#define IVSHMEM_PROTO_VIRTIO_BACK	0xc000
#define IVSHMEM_PROTO_VIRTIO_ROLE_MASK	0xc000
#define IVSHMEM_PROTO_VIRTIO_ID_MASK	0x3fff

/* Peer states with a meaning for every protocol */
#define IVSHMEM_STATE_RESET		0

static inline bool ivshmem_proto_is_user(u16 proto)
{
	return proto >= IVSHMEM_PROTO_USER_FIRST &&
	       proto <= IVSHMEM_PROTO_USER_LAST;
}

static inline bool ivshmem_proto_is_virtio_front(u16 proto)
{
	return (proto & IVSHMEM_PROTO_VIRTIO_ROLE_MASK) ==
	       IVSHMEM_PROTO_VIRTIO_FRONT;
}

static inline bool ivshmem_proto_is_virtio_back(u16 proto)
{
	return (proto & IVSHMEM_PROTO_VIRTIO_ROLE_MASK) ==
	       IVSHMEM_PROTO_VIRTIO_BACK;
}

static inline u32 ivshmem_proto_virtio_id(u16 proto)
{
	return proto & IVSHMEM_PROTO_VIRTIO_ID_MASK;
}

static inline u16 ivshmem_pci_protocol(const struct pci_dev *pdev)
{
	return pdev->class & 0xffff;
}

/* Value to write to IVSHMEM_REG_DOORBELL to raise @vector on @peer */
static inline u32 ivshmem_doorbell_value(u32 peer, u32 vector)
{
	return FIELD_PREP(IVSHMEM_DOORBELL_PEER, peer) |
	       FIELD_PREP(IVSHMEM_DOORBELL_VECTOR, vector);
}

/* Compatibility with the oldest kernel we build for (6.1) */
#ifdef PCI_IRQ_INTX
#define IVSHMEM_PCI_IRQ_INTX		PCI_IRQ_INTX
#else
#define IVSHMEM_PCI_IRQ_INTX		PCI_IRQ_LEGACY
#endif

/* Set by the out-of-tree Kbuild for kernels before 6.3 */
#ifdef IVSHMEM_COMPAT_NO_VM_FLAGS_CLEAR
static inline void vm_flags_clear(struct vm_area_struct *vma,
				  unsigned long flags)
{
	vma->vm_flags &= ~flags;
}
#endif

/* ivshmem_read_geometry() flags */
#define IVSHMEM_GEO_PAGE_SECTIONS	BIT(0)	/* sections mapped one by one */

/**
 * struct ivshmem_geometry - validated description of one IVSHMEM v2 device
 * @id: this peer's ID, < @max_peers
 * @max_peers: number of peers on the link, 2..65536
 * @protocol: protocol type from the class code
 * @cap_pos: config-space offset of the vendor capability
 * @cap_len: capability length (IVSHMEM_CAP_LEN_BAR or _ADDRESS)
 * @fixed_address: region is at the Base Address, not in BAR2
 * @base: guest-physical address of the region
 * @region_size: BAR2 length, or @total_size for a fixed-address region
 * @state_table_size: bytes of the state table, >= 4 * @max_peers
 * @rw_section_size: bytes of the read/write section, may be 0
 * @output_section_size: bytes of one output section, may be 0
 * @rw_section_offset: region offset of the read/write section
 * @output_sections_offset: region offset of peer 0's output section
 * @total_size: bytes used by all sections, <= @region_size
 */
struct ivshmem_geometry {
	u32 id;
	u32 max_peers;
	u16 protocol;
	u8 cap_pos;
	u8 cap_len;
	bool fixed_address;
	phys_addr_t base;
	u64 region_size;
	u32 state_table_size;
	u64 rw_section_size;
	u64 output_section_size;
	u64 rw_section_offset;
	u64 output_sections_offset;
	u64 total_size;
};

/* Region offset of @peer's output section; @peer must be < max_peers */
static inline u64 ivshmem_output_offset(const struct ivshmem_geometry *geo,
					u32 peer)
{
	return geo->output_sections_offset +
	       (u64)peer * geo->output_section_size;
}

static inline int ivshmem_cap_read_u64(struct pci_dev *pdev, int pos,
				       u64 *val)
{
	u32 lo, hi;
	int ret;

	ret = pci_read_config_dword(pdev, pos, &lo);
	if (!ret)
		ret = pci_read_config_dword(pdev, pos + 4, &hi);
	if (ret)
		return pcibios_err_to_errno(ret);
	*val = ((u64)hi << 32) | lo;
	return 0;
}

static inline int ivshmem_check_page_multiple(struct pci_dev *pdev,
					      const char *what, u64 val)
{
	if (!PAGE_ALIGNED(val)) {
		dev_err(&pdev->dev,
			"%s 0x%llx is not a multiple of the page size 0x%lx\n",
			what, val, PAGE_SIZE);
		return -EINVAL;
	}
	return 0;
}

/* Reads the vendor capability into @geo; no validation of the layout yet */
static inline int ivshmem_read_cap(struct pci_dev *pdev,
				   struct ivshmem_geometry *geo, u64 *address)
{
	u32 state_table_size;
	u8 pos, len;
	int ret;

	pos = pci_find_capability(pdev, PCI_CAP_ID_VNDR);
	if (!pos) {
		dev_err(&pdev->dev, "no vendor-specific capability\n");
		return -ENODEV;
	}

	ret = pci_read_config_byte(pdev, pos + IVSHMEM_CAP_LEN, &len);
	if (ret)
		return pcibios_err_to_errno(ret);
	if (len != IVSHMEM_CAP_LEN_BAR && len != IVSHMEM_CAP_LEN_ADDRESS) {
		dev_err(&pdev->dev,
			"capability length 0x%x, expected 0x%x or 0x%x\n",
			len, IVSHMEM_CAP_LEN_BAR, IVSHMEM_CAP_LEN_ADDRESS);
		return -EINVAL;
	}

	ret = pci_read_config_dword(pdev, pos + IVSHMEM_CAP_STATE_TAB_SZ,
				    &state_table_size);
	if (ret)
		return pcibios_err_to_errno(ret);
	ret = ivshmem_cap_read_u64(pdev, pos + IVSHMEM_CAP_RW_SECTION_SZ,
				   &geo->rw_section_size);
	if (ret)
		return ret;
	ret = ivshmem_cap_read_u64(pdev, pos + IVSHMEM_CAP_OUTPUT_SECTION_SZ,
				   &geo->output_section_size);
	if (ret)
		return ret;

	*address = 0;
	if (len == IVSHMEM_CAP_LEN_ADDRESS) {
		ret = ivshmem_cap_read_u64(pdev, pos + IVSHMEM_CAP_ADDRESS,
					   address);
		if (ret)
			return ret;
	}

	geo->cap_pos = pos;
	geo->cap_len = len;
	geo->state_table_size = state_table_size;
	return 0;
}

/* Finds the region: BAR2 if implemented, else the Base Address */
static inline int ivshmem_find_region(struct pci_dev *pdev,
				      struct ivshmem_geometry *geo,
				      u64 address, unsigned int flags)
{
	resource_size_t bar_len = pci_resource_len(pdev, IVSHMEM_BAR_SHMEM);
	phys_addr_t base;
	u64 end;

	if (bar_len) {
		if (!(pci_resource_flags(pdev, IVSHMEM_BAR_SHMEM) &
		      IORESOURCE_MEM)) {
			dev_err(&pdev->dev, "BAR2 is not a memory BAR\n");
			return -EINVAL;
		}
		if (geo->cap_len != IVSHMEM_CAP_LEN_BAR) {
			dev_err(&pdev->dev,
				"BAR2 present but capability length is 0x%x, expected 0x%x\n",
				geo->cap_len, IVSHMEM_CAP_LEN_BAR);
			return -EINVAL;
		}
		geo->fixed_address = false;
		geo->base = pci_resource_start(pdev, IVSHMEM_BAR_SHMEM);
		geo->region_size = bar_len;
	} else {
		if (geo->cap_len != IVSHMEM_CAP_LEN_ADDRESS) {
			dev_err(&pdev->dev,
				"neither BAR2 nor a Base Address describe the shared memory\n");
			return -EINVAL;
		}
		base = address;
		if (!address || base != address ||
		    check_add_overflow(address, geo->total_size, &end) ||
		    (phys_addr_t)(end - 1) != end - 1) {
			dev_err(&pdev->dev,
				"Base Address 0x%llx (size 0x%llx) is not a usable physical address range\n",
				address, geo->total_size);
			return -EINVAL;
		}
		geo->fixed_address = true;
		geo->base = base;
		geo->region_size = geo->total_size;
	}

	if ((flags & IVSHMEM_GEO_PAGE_SECTIONS) && !PAGE_ALIGNED(geo->base)) {
		dev_err(&pdev->dev,
			"shared memory at %pa is not page aligned\n",
			&geo->base);
		return -EINVAL;
	}
	if (geo->total_size > geo->region_size) {
		dev_err(&pdev->dev,
			"sections need 0x%llx bytes, the region has only 0x%llx\n",
			geo->total_size, geo->region_size);
		return -EINVAL;
	}
	return 0;
}

/**
 * ivshmem_map_regs() - claim BAR0 and map the registers
 * @pdev: the enabled PCI device
 * @name: owner of the claimed region, usually the driver's name
 * @whole_page: BAR0 must be a page-aligned MMIO page of its own because it
 *	will be mapped to userspace; otherwise IVSHMEM_REG_SIZE bytes suffice
 *
 * Return: a device-managed mapping of the registers, or an IOMEM_ERR_PTR().
 */
static inline void __iomem *ivshmem_map_regs(struct pci_dev *pdev,
					     const char *name, bool whole_page)
{
	resource_size_t start = pci_resource_start(pdev, IVSHMEM_BAR_REGS);
	resource_size_t len = pci_resource_len(pdev, IVSHMEM_BAR_REGS);
	resource_size_t need = whole_page ? PAGE_SIZE : IVSHMEM_REG_SIZE;
	void __iomem *regs;

	if (!(pci_resource_flags(pdev, IVSHMEM_BAR_REGS) & IORESOURCE_MEM) ||
	    len < need || (whole_page && !PAGE_ALIGNED(start))) {
		pci_err(pdev, "BAR0 %pR must be MMIO of at least 0x%llx bytes%s\n",
			&pdev->resource[IVSHMEM_BAR_REGS], (u64)need,
			whole_page ? ", page aligned" : "");
		return IOMEM_ERR_PTR(-EINVAL);
	}
	if (!devm_request_mem_region(&pdev->dev, start, len, name)) {
		pci_err(pdev, "BAR0 %pR is busy\n",
			&pdev->resource[IVSHMEM_BAR_REGS]);
		return IOMEM_ERR_PTR(-EBUSY);
	}
	regs = devm_ioremap(&pdev->dev, start, IVSHMEM_REG_SIZE);
	return regs ?: IOMEM_ERR_PTR(-ENOMEM);
}

/**
 * ivshmem_read_geometry() - read and validate an IVSHMEM v2 device's layout
 * @pdev: the enabled PCI device
 * @regs: mapping of at least IVSHMEM_REG_SIZE bytes of BAR0
 * @flags: IVSHMEM_GEO_PAGE_SECTIONS if each section will be mapped on its
 *	own, so that every section size must be a multiple of PAGE_SIZE
 * @geo: filled in on success
 *
 * Walks the capability list for the vendor capability, reads the register
 * and capability fields once, finds the shared memory region and checks
 * that the described layout makes sense and fits the region. Every
 * rejection is reported with dev_err(). Has no side effects.
 *
 * Return: 0 on success, a negative errno if the device is unusable.
 */
static inline int ivshmem_read_geometry(struct pci_dev *pdev,
					void __iomem *regs, unsigned int flags,
					struct ivshmem_geometry *geo)
{
	u64 address, outputs, total;
	int ret;

	memset(geo, 0, sizeof(*geo));

	if (!(pci_resource_flags(pdev, IVSHMEM_BAR_REGS) & IORESOURCE_MEM) ||
	    pci_resource_len(pdev, IVSHMEM_BAR_REGS) < IVSHMEM_REG_SIZE) {
		dev_err(&pdev->dev,
			"BAR0 must be an MMIO region of at least 0x%x bytes\n",
			IVSHMEM_REG_SIZE);
		return -EINVAL;
	}

	geo->protocol = ivshmem_pci_protocol(pdev);
	geo->id = readl(regs + IVSHMEM_REG_ID);
	geo->max_peers = readl(regs + IVSHMEM_REG_MAX_PEERS);
	if (geo->max_peers < IVSHMEM_MIN_PEERS ||
	    geo->max_peers > IVSHMEM_MAX_PEERS) {
		dev_err(&pdev->dev, "maximum peers %u, expected %u..%u\n",
			geo->max_peers, IVSHMEM_MIN_PEERS, IVSHMEM_MAX_PEERS);
		return -EINVAL;
	}
	if (geo->id >= geo->max_peers) {
		dev_err(&pdev->dev, "ID %u, expected below maximum peers %u\n",
			geo->id, geo->max_peers);
		return -EINVAL;
	}

	ret = ivshmem_read_cap(pdev, geo, &address);
	if (ret)
		return ret;

	if (geo->state_table_size < 4ULL * geo->max_peers) {
		dev_err(&pdev->dev,
			"state table size 0x%x, expected at least 0x%llx for %u peers\n",
			geo->state_table_size, 4ULL * geo->max_peers,
			geo->max_peers);
		return -EINVAL;
	}

	if (flags & IVSHMEM_GEO_PAGE_SECTIONS) {
		ret = ivshmem_check_page_multiple(pdev, "state table size",
						  geo->state_table_size);
		if (ret)
			return ret;
		ret = ivshmem_check_page_multiple(pdev, "R/W section size",
						  geo->rw_section_size);
		if (ret)
			return ret;
		ret = ivshmem_check_page_multiple(pdev, "output section size",
						  geo->output_section_size);
		if (ret)
			return ret;
	}

	if (check_mul_overflow(geo->output_section_size, (u64)geo->max_peers,
			       &outputs) ||
	    check_add_overflow((u64)geo->state_table_size,
			       geo->rw_section_size, &total) ||
	    check_add_overflow(total, outputs, &total)) {
		dev_err(&pdev->dev,
			"section sizes overflow: state 0x%x, R/W 0x%llx, output 0x%llx x %u\n",
			geo->state_table_size, geo->rw_section_size,
			geo->output_section_size, geo->max_peers);
		return -EINVAL;
	}
	geo->rw_section_offset = geo->state_table_size;
	geo->output_sections_offset = geo->state_table_size +
				      geo->rw_section_size;
	geo->total_size = total;

	return ivshmem_find_region(pdev, geo, address, flags);
}

#endif /* _LINUX_IVSHMEM_H */
