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

/**
 * struct ivshmem_raw_geometry - what the device reports, read once
 * @id: ID register
 * @max_peers: Maximum Peers register
 * @protocol: protocol type from the class code
 * @cap_pos: config-space offset of the vendor capability, 0 if there is none
 * @cap_len: capability Length field
 * @state_table_size: State Table Size field
 * @rw_section_size: R/W Section Size field
 * @output_section_size: Output Section Size field
 * @address: Base Address field, 0 when the capability has none
 * @bar2_flags: resource flags of BAR2
 * @bar2_start: guest-physical start of BAR2
 * @bar2_len: length of BAR2, 0 if BAR2 is not implemented
 *
 * Filled in by ivshmem_read_geometry(), checked by ivshmem_check_geometry(),
 * which has no hardware access so that unit tests can feed it any layout.
 */
struct ivshmem_raw_geometry {
	u32 id;
	u32 max_peers;
	u16 protocol;
	u8 cap_pos;
	u8 cap_len;
	u32 state_table_size;
	u64 rw_section_size;
	u64 output_section_size;
	u64 address;
	unsigned long bar2_flags;
	resource_size_t bar2_start;
	resource_size_t bar2_len;
};

/* Region offset of @peer's output section; @peer must be < max_peers */
static inline u64 ivshmem_output_offset(const struct ivshmem_geometry *geo,
					u32 peer)
{
	return geo->output_sections_offset +
	       (u64)peer * geo->output_section_size;
}

/*
 * Can BAR0 (resource @flags, @start, @len) hold the registers? With
 * @whole_page it must also be a page-aligned page of its own, to be
 * mapped to userspace.
 */
static inline bool ivshmem_regs_bar_ok(unsigned long flags,
				       resource_size_t start,
				       resource_size_t len, bool whole_page)
{
	resource_size_t need = whole_page ? PAGE_SIZE : IVSHMEM_REG_SIZE;

	return (flags & IORESOURCE_MEM) && len >= need &&
	       (!whole_page || PAGE_ALIGNED(start));
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

static inline int ivshmem_check_page_multiple(struct device *dev,
					      const char *what, u64 val)
{
	if (!PAGE_ALIGNED(val)) {
		dev_err(dev,
			"%s 0x%llx is not a multiple of the page size 0x%lx\n",
			what, val, PAGE_SIZE);
		return -EINVAL;
	}
	return 0;
}

/* Reads the vendor capability into @raw; leaves cap_pos 0 if it is absent */
static inline int ivshmem_read_cap(struct pci_dev *pdev,
				   struct ivshmem_raw_geometry *raw)
{
	u8 pos;
	int ret;

	pos = pci_find_capability(pdev, PCI_CAP_ID_VNDR);
	if (!pos)
		return 0;

	ret = pci_read_config_byte(pdev, pos + IVSHMEM_CAP_LEN, &raw->cap_len);
	if (ret)
		return pcibios_err_to_errno(ret);
	ret = pci_read_config_dword(pdev, pos + IVSHMEM_CAP_STATE_TAB_SZ,
				    &raw->state_table_size);
	if (ret)
		return pcibios_err_to_errno(ret);
	ret = ivshmem_cap_read_u64(pdev, pos + IVSHMEM_CAP_RW_SECTION_SZ,
				   &raw->rw_section_size);
	if (ret)
		return ret;
	ret = ivshmem_cap_read_u64(pdev, pos + IVSHMEM_CAP_OUTPUT_SECTION_SZ,
				   &raw->output_section_size);
	if (ret)
		return ret;
	if (raw->cap_len == IVSHMEM_CAP_LEN_ADDRESS) {
		ret = ivshmem_cap_read_u64(pdev, pos + IVSHMEM_CAP_ADDRESS,
					   &raw->address);
		if (ret)
			return ret;
	}
	raw->cap_pos = pos;
	return 0;
}

/* Finds the region: BAR2 if implemented, else the Base Address */
static inline int ivshmem_find_region(struct device *dev,
				      const struct ivshmem_raw_geometry *raw,
				      unsigned int flags,
				      struct ivshmem_geometry *geo)
{
	phys_addr_t base;
	u64 end;

	if (raw->bar2_len) {
		if (!(raw->bar2_flags & IORESOURCE_MEM)) {
			dev_err(dev, "BAR2 is not a memory BAR\n");
			return -EINVAL;
		}
		if (geo->cap_len != IVSHMEM_CAP_LEN_BAR) {
			dev_err(dev,
				"BAR2 present but capability length is 0x%x, expected 0x%x\n",
				geo->cap_len, IVSHMEM_CAP_LEN_BAR);
			return -EINVAL;
		}
		geo->fixed_address = false;
		geo->base = raw->bar2_start;
		geo->region_size = raw->bar2_len;
	} else {
		if (geo->cap_len != IVSHMEM_CAP_LEN_ADDRESS) {
			dev_err(dev,
				"neither BAR2 nor a Base Address describe the shared memory\n");
			return -EINVAL;
		}
		base = raw->address;
		if (!raw->address || base != raw->address ||
		    check_add_overflow(raw->address, geo->total_size, &end) ||
		    (phys_addr_t)(end - 1) != end - 1) {
			dev_err(dev,
				"Base Address 0x%llx (size 0x%llx) is not a usable physical address range\n",
				raw->address, geo->total_size);
			return -EINVAL;
		}
		geo->fixed_address = true;
		geo->base = base;
		geo->region_size = geo->total_size;
	}

	if ((flags & IVSHMEM_GEO_PAGE_SECTIONS) && !PAGE_ALIGNED(geo->base)) {
		dev_err(dev, "shared memory at %pa is not page aligned\n",
			&geo->base);
		return -EINVAL;
	}
	if (geo->total_size > geo->region_size) {
		dev_err(dev,
			"sections need 0x%llx bytes, the region has only 0x%llx\n",
			geo->total_size, geo->region_size);
		return -EINVAL;
	}
	return 0;
}

/**
 * ivshmem_check_geometry() - validate what an IVSHMEM v2 device reports
 * @dev: device the rejections are reported for
 * @raw: register, capability and BAR2 values as read from the device
 * @flags: see ivshmem_read_geometry()
 * @geo: filled in on success, undefined on failure
 *
 * Checks that the described layout makes sense and fits the region. Every
 * rejection is reported with dev_err(). No hardware access.
 *
 * Return: 0 on success, a negative errno if the device is unusable.
 */
static inline int ivshmem_check_geometry(struct device *dev,
					 const struct ivshmem_raw_geometry *raw,
					 unsigned int flags,
					 struct ivshmem_geometry *geo)
{
	u64 outputs, total;
	int ret;

	memset(geo, 0, sizeof(*geo));
	geo->protocol = raw->protocol;
	geo->id = raw->id;
	geo->max_peers = raw->max_peers;
	if (geo->max_peers < IVSHMEM_MIN_PEERS ||
	    geo->max_peers > IVSHMEM_MAX_PEERS) {
		dev_err(dev, "maximum peers %u, expected %u..%u\n",
			geo->max_peers, IVSHMEM_MIN_PEERS, IVSHMEM_MAX_PEERS);
		return -EINVAL;
	}
	if (geo->id >= geo->max_peers) {
		dev_err(dev, "ID %u, expected below maximum peers %u\n",
			geo->id, geo->max_peers);
		return -EINVAL;
	}

	if (!raw->cap_pos) {
		dev_err(dev, "no vendor-specific capability\n");
		return -ENODEV;
	}
	if (raw->cap_len != IVSHMEM_CAP_LEN_BAR &&
	    raw->cap_len != IVSHMEM_CAP_LEN_ADDRESS) {
		dev_err(dev, "capability length 0x%x, expected 0x%x or 0x%x\n",
			raw->cap_len, IVSHMEM_CAP_LEN_BAR,
			IVSHMEM_CAP_LEN_ADDRESS);
		return -EINVAL;
	}
	geo->cap_pos = raw->cap_pos;
	geo->cap_len = raw->cap_len;
	geo->state_table_size = raw->state_table_size;
	geo->rw_section_size = raw->rw_section_size;
	geo->output_section_size = raw->output_section_size;

	if (geo->state_table_size < 4ULL * geo->max_peers) {
		dev_err(dev,
			"state table size 0x%x, expected at least 0x%llx for %u peers\n",
			geo->state_table_size, 4ULL * geo->max_peers,
			geo->max_peers);
		return -EINVAL;
	}

	if (flags & IVSHMEM_GEO_PAGE_SECTIONS) {
		ret = ivshmem_check_page_multiple(dev, "state table size",
						  geo->state_table_size);
		if (ret)
			return ret;
		ret = ivshmem_check_page_multiple(dev, "R/W section size",
						  geo->rw_section_size);
		if (ret)
			return ret;
		ret = ivshmem_check_page_multiple(dev, "output section size",
						  geo->output_section_size);
		if (ret)
			return ret;
	}

	if (check_mul_overflow(geo->output_section_size, (u64)geo->max_peers,
			       &outputs) ||
	    check_add_overflow((u64)geo->state_table_size,
			       geo->rw_section_size, &total) ||
	    check_add_overflow(total, outputs, &total)) {
		dev_err(dev,
			"section sizes overflow: state 0x%x, R/W 0x%llx, output 0x%llx x %u\n",
			geo->state_table_size, geo->rw_section_size,
			geo->output_section_size, geo->max_peers);
		return -EINVAL;
	}
	geo->rw_section_offset = geo->state_table_size;
	geo->output_sections_offset = geo->state_table_size +
				      geo->rw_section_size;
	geo->total_size = total;

	return ivshmem_find_region(dev, raw, flags, geo);
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

	if (!ivshmem_regs_bar_ok(pci_resource_flags(pdev, IVSHMEM_BAR_REGS),
				 start, len, whole_page)) {
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
 * with ivshmem_check_geometry() that the described layout makes sense and
 * fits the region. Every rejection is reported with dev_err(). Has no side
 * effects.
 *
 * Return: 0 on success, a negative errno if the device is unusable.
 */
static inline int ivshmem_read_geometry(struct pci_dev *pdev,
					void __iomem *regs, unsigned int flags,
					struct ivshmem_geometry *geo)
{
	struct ivshmem_raw_geometry raw = { };
	int ret;

	memset(geo, 0, sizeof(*geo));

	if (!ivshmem_regs_bar_ok(pci_resource_flags(pdev, IVSHMEM_BAR_REGS),
				 pci_resource_start(pdev, IVSHMEM_BAR_REGS),
				 pci_resource_len(pdev, IVSHMEM_BAR_REGS),
				 false)) {
		dev_err(&pdev->dev,
			"BAR0 must be an MMIO region of at least 0x%x bytes\n",
			IVSHMEM_REG_SIZE);
		return -EINVAL;
	}

	raw.protocol = ivshmem_pci_protocol(pdev);
	raw.id = readl(regs + IVSHMEM_REG_ID);
	raw.max_peers = readl(regs + IVSHMEM_REG_MAX_PEERS);
	ret = ivshmem_read_cap(pdev, &raw);
	if (ret)
		return ret;
	raw.bar2_flags = pci_resource_flags(pdev, IVSHMEM_BAR_SHMEM);
	raw.bar2_start = pci_resource_start(pdev, IVSHMEM_BAR_SHMEM);
	raw.bar2_len = pci_resource_len(pdev, IVSHMEM_BAR_SHMEM);

	return ivshmem_check_geometry(&pdev->dev, &raw, flags, geo);
}

#endif /* _LINUX_IVSHMEM_H */
