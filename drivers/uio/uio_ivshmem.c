// SPDX-License-Identifier: GPL-2.0
/*
 * UIO driver for the IVSHMEM v2 inter-VM shared memory device (110Ah:4106h).
 *
 * The driver validates what the device describes, switches interrupts to
 * one-shot mode and hands the register page and the shared memory sections
 * to userspace as UIO maps, each with the access rights the device defines:
 *
 *   0 registers       BAR0 page, read/write, uncached
 *   1 state_table     read-only
 *   2 rw_section      read/write (only if its size is not zero)
 *   . input_sections  all peers' output sections, read-only
 *   . output_section  this peer's output section, read/write
 *
 * Maps after an absent rw_section move up by one; input_sections and
 * output_section are absent if the output section size is zero. Every
 * interrupt vector bumps the UIO event count; the per-vector counts are in
 * the binary sysfs attribute vector_events of the PCI device. Writing 1 to
 * /dev/uioN re-arms interrupts, 0 disarms them. The last close of
 * /dev/uioN disarms interrupts and sets this peer's state to 0 (reset).
 * See Documentation/driver-api/uio-ivshmem.rst.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/device.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/ivshmem.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <linux/uio_driver.h>

#define UIO_IVSHMEM_NAME	"uio_ivshmem"
/* The UIO core requires a version string; it names the device revision */
#define UIO_IVSHMEM_VERSION	"2"

/* Map indices that never move; the others depend on the section sizes */
enum uio_ivshmem_map {
	UIO_IVSHMEM_MAP_REGISTERS = 0,
	UIO_IVSHMEM_MAP_STATE_TABLE = 1,
};

struct uio_ivshmem;

/**
 * struct uio_ivshmem_vector - one interrupt vector
 * @ivs: the device the vector belongs to
 * @events: interrupts delivered on this vector since probe
 */
struct uio_ivshmem_vector {
	struct uio_ivshmem *ivs;
	atomic64_t events;
};

/**
 * struct uio_ivshmem - per-device state
 * @info: UIO device description, registered with the UIO core
 * @pdev: the PCI device
 * @regs: kernel mapping of the registers in BAR0
 * @geo: validated layout of the device
 * @nvectors: interrupt vectors allocated (MSI-X table size, or 1 for INTx)
 * @vectors: per-vector state, @nvectors entries
 * @map_readonly: maps that userspace may only map for reading
 * @open_lock: see below
 * @open_count: number of open file descriptors of /dev/uioN
 */
struct uio_ivshmem {
	struct uio_info info;
	struct pci_dev *pdev;
	void __iomem *regs;
	struct ivshmem_geometry geo;
	unsigned int nvectors;
	struct uio_ivshmem_vector *vectors;
	bool map_readonly[MAX_UIO_MAPS];
	/*
	 * Protects open_count. Taken in process context by the UIO open and
	 * release callbacks, nested inside the UIO core's info_lock.
	 */
	struct mutex open_lock;
	unsigned int open_count;
};

static struct uio_ivshmem *to_uio_ivshmem(struct uio_info *info)
{
	return container_of(info, struct uio_ivshmem, info);
}

/* Disarm interrupts and tell the peers this peer is in reset */
static void uio_ivshmem_quiesce(struct uio_ivshmem *ivs)
{
	writel(0, ivs->regs + IVSHMEM_REG_INT_CTRL);
	writel(IVSHMEM_STATE_RESET, ivs->regs + IVSHMEM_REG_STATE);
}

static int uio_ivshmem_set_oneshot(struct uio_ivshmem *ivs, bool on)
{
	int pos = ivs->geo.cap_pos + IVSHMEM_CAP_PRIV_CTRL;
	u8 ctrl, want = on ? IVSHMEM_PRIV_CTRL_ONESHOT : 0;
	int ret;

	ret = pci_write_config_byte(ivs->pdev, pos, want);
	if (!ret)
		ret = pci_read_config_byte(ivs->pdev, pos, &ctrl);
	if (ret)
		return pcibios_err_to_errno(ret);
	if ((ctrl & IVSHMEM_PRIV_CTRL_ONESHOT) != want) {
		pci_err(ivs->pdev,
			"one-shot interrupt mode did not %s (privileged control 0x%02x)\n",
			on ? "turn on" : "turn off", ctrl);
		return -EIO;
	}
	return 0;
}

/* devm action: undo what probe did to the device */
static void uio_ivshmem_reset(void *data)
{
	struct uio_ivshmem *ivs = data;

	uio_ivshmem_quiesce(ivs);
	uio_ivshmem_set_oneshot(ivs, false);
}

static irqreturn_t uio_ivshmem_irq(int irq, void *data)
{
	struct uio_ivshmem_vector *vec = data;

	atomic64_inc(&vec->events);
	/*
	 * Order the counter before the UIO event count: pairs with smp_rmb()
	 * in vector_events_read(), so a reader that saw an event finds the
	 * counter of the vector that caused it already incremented.
	 */
	smp_mb__after_atomic();
	uio_event_notify(&vec->ivs->info);

	return IRQ_HANDLED;
}

static irqreturn_t uio_ivshmem_intx(int irq, void *data)
{
	struct uio_ivshmem_vector *vec = data;

	/*
	 * INTx has no status bit and the line may be shared. In one-shot mode
	 * the device clears the enable bit whenever it interrupts, so a set
	 * bit means that the interrupt came from another device.
	 */
	if (readl(vec->ivs->regs + IVSHMEM_REG_INT_CTRL) & IVSHMEM_INT_ENABLE)
		return IRQ_NONE;

	return uio_ivshmem_irq(irq, data);
}

static int uio_ivshmem_irqcontrol(struct uio_info *info, s32 irq_on)
{
	struct uio_ivshmem *ivs = to_uio_ivshmem(info);

	if (irq_on != 0 && irq_on != 1)
		return -EINVAL;

	writel(irq_on ? IVSHMEM_INT_ENABLE : 0,
	       ivs->regs + IVSHMEM_REG_INT_CTRL);
	return 0;
}

static int uio_ivshmem_open(struct uio_info *info, struct inode *inode)
{
	struct uio_ivshmem *ivs = to_uio_ivshmem(info);

	mutex_lock(&ivs->open_lock);
	ivs->open_count++;
	mutex_unlock(&ivs->open_lock);

	return 0;
}

static int uio_ivshmem_release(struct uio_info *info, struct inode *inode)
{
	struct uio_ivshmem *ivs = to_uio_ivshmem(info);

	mutex_lock(&ivs->open_lock);
	if (!--ivs->open_count)
		uio_ivshmem_quiesce(ivs);
	mutex_unlock(&ivs->open_lock);

	return 0;
}

static int uio_ivshmem_mmap(struct uio_info *info, struct vm_area_struct *vma)
{
	struct uio_ivshmem *ivs = to_uio_ivshmem(info);
	unsigned long size = vma->vm_end - vma->vm_start;
	unsigned long mi = vma->vm_pgoff;
	struct uio_mem *mem;

	/* The UIO core passes the map index in vm_pgoff and checked it */
	if (mi >= MAX_UIO_MAPS || !info->mem[mi].size)
		return -EINVAL;
	mem = &info->mem[mi];
	if (size > mem->size)
		return -EINVAL;

	/* A private copy of device memory makes no sense */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;

	if (ivs->map_readonly[mi]) {
		if (vma->vm_flags & VM_WRITE)
			return -EPERM;
		/* and keep mprotect(PROT_WRITE) from adding it later */
		vm_flags_clear(vma, VM_MAYWRITE);
	}

	if (mi == UIO_IVSHMEM_MAP_REGISTERS)
		return io_remap_pfn_range(vma, vma->vm_start,
					  PHYS_PFN(mem->addr), size,
					  pgprot_noncached(vma->vm_page_prot));

	/* Shared memory is memory: keep the default (write-back) caching */
	return remap_pfn_range(vma, vma->vm_start, PHYS_PFN(mem->addr), size,
			       vma->vm_page_prot);
}

static ssize_t id_show(struct device *dev, struct device_attribute *attr,
		       char *buf)
{
	struct uio_ivshmem *ivs = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%u\n", ivs->geo.id);
}
static DEVICE_ATTR_RO(id);

static ssize_t max_peers_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	struct uio_ivshmem *ivs = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%u\n", ivs->geo.max_peers);
}
static DEVICE_ATTR_RO(max_peers);

static ssize_t protocol_show(struct device *dev,
			     struct device_attribute *attr, char *buf)
{
	struct uio_ivshmem *ivs = dev_get_drvdata(dev);

	return sysfs_emit(buf, "0x%04x\n", ivs->geo.protocol);
}
static DEVICE_ATTR_RO(protocol);

static ssize_t vectors_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	struct uio_ivshmem *ivs = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%u\n", ivs->nvectors);
}
static DEVICE_ATTR_RO(vectors);

/* One native-endian u64 event counter per vector */
static ssize_t vector_events_read(struct file *file, struct kobject *kobj,
				  struct bin_attribute *attr, char *buf,
				  loff_t off, size_t count)
{
	struct uio_ivshmem *ivs = dev_get_drvdata(kobj_to_dev(kobj));
	size_t size = ivs->nvectors * sizeof(u64);
	size_t pos, end, skip, len;
	u64 val;

	if (off < 0 || off >= size)
		return 0;
	end = off + min_t(size_t, count, size - off);

	/*
	 * Pairs with smp_mb__after_atomic() in uio_ivshmem_irq(): counters
	 * read here are at least as new as the UIO event count read before.
	 */
	smp_rmb();

	for (pos = off; pos < end; pos += len) {
		val = atomic64_read(&ivs->vectors[pos / sizeof(u64)].events);
		skip = pos % sizeof(u64);
		len = min(sizeof(u64) - skip, end - pos);
		memcpy(buf + (pos - off), (u8 *)&val + skip, len);
	}

	return end - off;
}
static BIN_ATTR_RO(vector_events, 0);

static struct attribute *uio_ivshmem_attrs[] = {
	&dev_attr_id.attr,
	&dev_attr_max_peers.attr,
	&dev_attr_protocol.attr,
	&dev_attr_vectors.attr,
	NULL
};

static struct bin_attribute *uio_ivshmem_bin_attrs[] = {
	&bin_attr_vector_events,
	NULL
};

static const struct attribute_group uio_ivshmem_group = {
	.attrs = uio_ivshmem_attrs,
	.bin_attrs = uio_ivshmem_bin_attrs,
};

static const struct attribute_group *uio_ivshmem_groups[] = {
	&uio_ivshmem_group,
	NULL
};

static void uio_ivshmem_add_map(struct uio_ivshmem *ivs, unsigned int *mi,
				const char *name, phys_addr_t addr, u64 size,
				bool readonly)
{
	struct uio_mem *mem = &ivs->info.mem[*mi];

	mem->name = name;
	mem->addr = addr;
	mem->size = size;
	mem->memtype = UIO_MEM_PHYS;
	ivs->map_readonly[*mi] = readonly;
	(*mi)++;
}

static void uio_ivshmem_init_maps(struct uio_ivshmem *ivs,
				  phys_addr_t regs_addr)
{
	const struct ivshmem_geometry *geo = &ivs->geo;
	unsigned int mi = 0;
	phys_addr_t own;

	uio_ivshmem_add_map(ivs, &mi, "registers", regs_addr, PAGE_SIZE,
			    false);
	uio_ivshmem_add_map(ivs, &mi, "state_table", geo->base,
			    geo->state_table_size, true);
	if (geo->rw_section_size)
		uio_ivshmem_add_map(ivs, &mi, "rw_section",
				    geo->base + geo->rw_section_offset,
				    geo->rw_section_size, false);
	if (geo->output_section_size) {
		uio_ivshmem_add_map(ivs, &mi, "input_sections",
				    geo->base + geo->output_sections_offset,
				    geo->output_section_size * geo->max_peers,
				    true);
		own = geo->base + ivshmem_output_offset(geo, geo->id);
		uio_ivshmem_add_map(ivs, &mi, "output_section", own,
				    geo->output_section_size, false);
	}
}

/*
 * Protocols without a kernel driver of their own: undefined (raw shared
 * memory), user-defined (4000h-7FFFh) and virtio back-ends (C000h-FFFFh).
 * Through driver_override or new_id the driver takes any protocol.
 */
static const struct pci_device_id uio_ivshmem_ids[] = {
	{
		PCI_DEVICE(PCI_VENDOR_ID_SIEMENS, PCI_DEVICE_ID_IVSHMEM),
		.class = IVSHMEM_PCI_CLASS(IVSHMEM_PROTO_UNDEFINED),
		.class_mask = 0xffffff,
	},
	{
		PCI_DEVICE(PCI_VENDOR_ID_SIEMENS, PCI_DEVICE_ID_IVSHMEM),
		.class = IVSHMEM_PCI_CLASS(IVSHMEM_PROTO_USER_FIRST),
		.class_mask = 0xffc000,
	},
	{
		PCI_DEVICE(PCI_VENDOR_ID_SIEMENS, PCI_DEVICE_ID_IVSHMEM),
		.class = IVSHMEM_PCI_CLASS(IVSHMEM_PROTO_VIRTIO_BACK),
		.class_mask = 0xffc000,
	},
	{ }
};

/*
 * modpost cannot turn the partial sub-class masks above into module
 * aliases (MODULE_DEVICE_TABLE), so the aliases are spelled out as globs.
 */
MODULE_ALIAS("pci:v0000110Ad00004106sv*sd*bcFFsc00i00");
MODULE_ALIAS("pci:v0000110Ad00004106sv*sd*bcFFsc[4-7]?i*");
MODULE_ALIAS("pci:v0000110Ad00004106sv*sd*bcFFsc[C-F]?i*");

static int uio_ivshmem_request_irqs(struct uio_ivshmem *ivs)
{
	struct pci_dev *pdev = ivs->pdev;
	irq_handler_t handler;
	unsigned long flags;
	unsigned int i;
	const char *name;
	int ret;

	if (pdev->msix_enabled) {
		handler = uio_ivshmem_irq;
		flags = 0;
	} else {
		handler = uio_ivshmem_intx;
		flags = IRQF_SHARED;
	}

	for (i = 0; i < ivs->nvectors; i++) {
		ivs->vectors[i].ivs = ivs;
		name = devm_kasprintf(&pdev->dev, GFP_KERNEL, "%s[%s]-%u",
				      UIO_IVSHMEM_NAME, pci_name(pdev), i);
		if (!name)
			return -ENOMEM;
		ret = devm_request_irq(&pdev->dev, pci_irq_vector(pdev, i),
				       handler, flags, name, &ivs->vectors[i]);
		if (ret) {
			pci_err(pdev, "cannot request interrupt vector %u: %d\n",
				i, ret);
			return ret;
		}
	}

	return 0;
}

static int uio_ivshmem_alloc_vectors(struct uio_ivshmem *ivs)
{
	struct pci_dev *pdev = ivs->pdev;
	int ret, want;

	want = pci_msix_vec_count(pdev);
	if (want <= 0)
		want = 1;

	/* Freed by the PCI core on unbind, after the devm IRQs (pcim) */
	ret = pci_alloc_irq_vectors(pdev, 1, want,
				    PCI_IRQ_MSIX | IVSHMEM_PCI_IRQ_INTX);
	if (ret < 0) {
		pci_err(pdev, "neither MSI-X nor INTx interrupts: %d\n", ret);
		return ret;
	}
	if (ret < want)
		pci_warn(pdev, "got %d of %d interrupt vectors\n", ret, want);

	ivs->nvectors = ret;
	ivs->vectors = devm_kcalloc(&pdev->dev, ivs->nvectors,
				    sizeof(*ivs->vectors), GFP_KERNEL);
	if (!ivs->vectors)
		return -ENOMEM;

	return 0;
}

static int uio_ivshmem_probe(struct pci_dev *pdev,
			     const struct pci_device_id *ent)
{
	struct device *dev = &pdev->dev;
	struct ivshmem_geometry *geo;
	struct uio_ivshmem *ivs;
	int ret;

	BUILD_BUG_ON(IVSHMEM_REG_STATE + 4 != IVSHMEM_REG_SIZE);
	BUILD_BUG_ON(IVSHMEM_REG_SIZE > PAGE_SIZE);

	ivs = devm_kzalloc(dev, sizeof(*ivs), GFP_KERNEL);
	if (!ivs)
		return -ENOMEM;
	ivs->pdev = pdev;
	geo = &ivs->geo;
	mutex_init(&ivs->open_lock);

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;

	/* userspace maps the register page: it must not expose anything else */
	ivs->regs = ivshmem_map_regs(pdev, UIO_IVSHMEM_NAME, true);
	if (IS_ERR(ivs->regs))
		return PTR_ERR(ivs->regs);

	ret = ivshmem_read_geometry(pdev, ivs->regs, IVSHMEM_GEO_PAGE_SECTIONS,
				    geo);
	if (ret)
		return ret;

	if (!devm_request_mem_region(dev, geo->base, geo->region_size,
				     UIO_IVSHMEM_NAME)) {
		pci_err(pdev, "shared memory at %pa (0x%llx bytes) is busy\n",
			&geo->base, geo->region_size);
		return -EBUSY;
	}

	/* Interrupt delivery needs bus mastering (MSI-X messages) */
	pci_set_master(pdev);

	ret = uio_ivshmem_alloc_vectors(ivs);
	if (ret)
		return ret;

	/* Runs on unbind after the UIO device and the IRQs are gone */
	ret = devm_add_action_or_reset(dev, uio_ivshmem_reset, ivs);
	if (ret)
		return ret;
	writel(0, ivs->regs + IVSHMEM_REG_INT_CTRL);
	ret = uio_ivshmem_set_oneshot(ivs, true);
	if (ret)
		return ret;

	uio_ivshmem_init_maps(ivs, pci_resource_start(pdev, IVSHMEM_BAR_REGS));
	ivs->info.name = UIO_IVSHMEM_NAME;
	ivs->info.version = UIO_IVSHMEM_VERSION;
	ivs->info.irq = UIO_IRQ_CUSTOM;
	ivs->info.mmap = uio_ivshmem_mmap;
	ivs->info.open = uio_ivshmem_open;
	ivs->info.release = uio_ivshmem_release;
	ivs->info.irqcontrol = uio_ivshmem_irqcontrol;
	ivs->info.priv = ivs;
	pci_set_drvdata(pdev, ivs);

	ret = devm_uio_register_device(dev, &ivs->info);
	if (ret)
		return ret;

	/* After the UIO device: the handlers notify it; freed before it */
	ret = uio_ivshmem_request_irqs(ivs);
	if (ret)
		return ret;

	pci_info(pdev,
		 "uio%d: protocol 0x%04x, peer %u of %u, %u %s vector(s), shared memory %pa (%s)\n",
		 ivs->info.uio_dev->minor, geo->protocol, geo->id,
		 geo->max_peers, ivs->nvectors,
		 pdev->msix_enabled ? "MSI-X" : "INTx", &geo->base,
		 geo->fixed_address ? "fixed address" : "BAR2");

	return 0;
}

static struct pci_driver uio_ivshmem_driver = {
	.name = UIO_IVSHMEM_NAME,
	.id_table = uio_ivshmem_ids,
	.probe = uio_ivshmem_probe,
	.dev_groups = uio_ivshmem_groups,
};
module_pci_driver(uio_ivshmem_driver);

MODULE_DESCRIPTION("UIO driver for IVSHMEM v2 inter-VM shared memory");
MODULE_LICENSE("GPL");
