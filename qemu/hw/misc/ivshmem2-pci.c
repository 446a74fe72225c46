/*
 * Inter-VM Shared Memory PCI device, version 2 (IVSHMEM v2)
 *
 * Copyright (c) 2026 The ivshmem2-linux authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The guest sees PCI device 110A:4106 as described by the IVSHMEM v2
 * specification (ivshmem2-linux, Documentation and shared/spec):
 *
 *   BAR0  4 KiB of registers (ID, Maximum Peers, Interrupt Control,
 *         Doorbell, State); only aligned 32-bit accesses do anything
 *   BAR1  MSI-X table and PBA (msix=on, the default)
 *   BAR2  the shared memory: state table (read-only), R/W section,
 *         one output section per peer (only our own is writable)
 *
 * With base-address=ADDR the shared memory is not a BAR but sits at a
 * fixed guest-physical address, which the vendor capability reports.
 *
 * The memory and the doorbell eventfds of all peers come from an
 * ivshmem2 server over a UNIX socket chardev, protocol version 2:
 *
 *   -chardev socket,path=SOCK,id=ivsh0 -device ivshmem2,chardev=ivsh0
 *
 * The x-* properties change only what the guest sees in configuration
 * space and registers, so that drivers can be tested against invalid
 * geometries; the real layout always stays the server's.
 */

#include "qemu/osdep.h"
#include "qemu/error-report.h"
#include "qemu/event_notifier.h"
#include "qemu/host-utils.h"
#include "qemu/log.h"
#include "qemu/main-loop.h"
#include "qemu/module.h"
#include "qemu/units.h"
#include "qapi/error.h"
#include "chardev/char-fe.h"
#include "exec/address-spaces.h"
#include "hw/pci/msix.h"
#include "hw/pci/pci_device.h"
#include "hw/qdev-properties.h"
#include "hw/qdev-properties-system.h"
#include "migration/vmstate.h"
#include "qom/object.h"
#include "system/runstate.h"

#define TYPE_IVSHMEM2 "ivshmem2"
OBJECT_DECLARE_SIMPLE_TYPE(IVShmem2State, IVSHMEM2)

#define IVSHMEM2_VENDOR_ID              0x110a
#define IVSHMEM2_DEVICE_ID              0x4106

/* Server protocol (ivshmem2-server.md); all fields little-endian */
#define IVSHMEM2_PROTOCOL_VERSION       2
#define IVSHMEM2_MSG_INIT               0
#define IVSHMEM2_MSG_EVENT_FD           1
#define IVSHMEM2_MSG_PEER_GONE          2
#define IVSHMEM2_MSG_HDR_SIZE           8
#define IVSHMEM2_MSG_INIT_SIZE          40
#define IVSHMEM2_MSG_EVENT_FD_SIZE      16
#define IVSHMEM2_MSG_PEER_GONE_SIZE     12
#define IVSHMEM2_MSG_MAX_KNOWN_SIZE     IVSHMEM2_MSG_INIT_SIZE

/* Register region (BAR0) */
#define IVSHMEM2_REG_ID                 0x00
#define IVSHMEM2_REG_MAX_PEERS          0x04
#define IVSHMEM2_REG_INT_CTRL           0x08
#define IVSHMEM2_REG_DOORBELL           0x0c
#define IVSHMEM2_REG_STATE              0x10
#define IVSHMEM2_REG_BAR_SIZE           (4 * KiB)
#define IVSHMEM2_INT_ENABLE             0x1

#define IVSHMEM2_REG_BAR                0
#define IVSHMEM2_MSIX_BAR               1
#define IVSHMEM2_SHMEM_BAR              2

/* Vendor-specific capability */
#define IVSHMEM2_CAP_OFFSET             0x50
#define IVSHMEM2_CAP_PRIV_CTRL          0x03
#define IVSHMEM2_CAP_STATE_TABLE_SIZE   0x04
#define IVSHMEM2_CAP_RW_SECTION_SIZE    0x08
#define IVSHMEM2_CAP_OUTPUT_SECTION_SIZE 0x10
#define IVSHMEM2_CAP_BASE_ADDRESS       0x18
#define IVSHMEM2_CAP_LEN                0x18
#define IVSHMEM2_CAP_LEN_FIXED          0x20
#define IVSHMEM2_PRIV_ONESHOT           0x01

#define IVSHMEM2_MIN_PEERS              2
#define IVSHMEM2_MAX_PEERS              65536
#define IVSHMEM2_MAX_VECTORS            (PCI_MSIX_FLAGS_QSIZE + 1)
#define IVSHMEM2_PAGE_SIZE              (4 * KiB)

/* Default of the x-* properties: show the real value */
#define IVSHMEM2_SHOW_REAL32            UINT32_MAX
#define IVSHMEM2_SHOW_REAL64            UINT64_MAX

typedef struct IVShmem2Peer {
    uint32_t nb_eventfds;       /* valid entries in @eventfds */
    EventNotifier *eventfds;    /* one per vector, NULL until the first */
} IVShmem2Peer;

typedef struct IVShmem2Vector {
    IVShmem2State *s;
    uint32_t vector;
} IVShmem2Vector;

struct IVShmem2State {
    PCIDevice parent_obj;

    /* Properties */
    CharBackend server_chr;
    bool msix;
    uint64_t base_address;
    uint32_t x_id;
    uint32_t x_max_peers;
    uint32_t x_state_table_size;
    uint64_t x_rw_section_size;
    uint64_t x_output_section_size;

    /* Link parameters, from the server's INIT and the file size */
    uint32_t id;
    uint32_t max_peers;
    uint32_t vectors;
    uint32_t protocol;
    uint64_t state_table_size;
    uint64_t rw_section_size;
    uint64_t output_section_size;
    uint64_t shmem_size;

    /* Registers */
    uint32_t int_ctrl;
    uint32_t state;
    uint8_t cap;                /* vendor capability offset */

    /* BAR0 */
    MemoryRegion regs;
    /* BAR2 or the fixed-address window: the views below */
    MemoryRegion shmem;
    /* Whole file mapped read-only: state table, other peers' output */
    MemoryRegion shmem_ro;
    /* Whole file mapped read/write; guest sees it only through aliases */
    MemoryRegion shmem_rw;
    MemoryRegion rw_section;
    MemoryRegion own_output;
    /* Beyond the file up to the power-of-two BAR size: reads 0 */
    MemoryRegion tail;
    uint8_t *shmem_ptr;         /* host address of @shmem_rw */
    bool fixed_mapped;

    IVShmem2Peer *peers;        /* max_peers entries, own ID included */
    IVShmem2Vector *own_vectors;

    /* Server messages after realize, assembled here */
    uint8_t msg_buf[IVSHMEM2_MSG_MAX_KNOWN_SIZE];
    uint32_t msg_len;
    uint32_t msg_pos;
    bool msg_stream_broken;
    bool server_gone;
};

static uint32_t ivshmem2_shown32(uint32_t forced, uint32_t real)
{
    return forced == IVSHMEM2_SHOW_REAL32 ? real : forced;
}

static uint64_t ivshmem2_shown64(uint64_t forced, uint64_t real)
{
    return forced == IVSHMEM2_SHOW_REAL64 ? real : forced;
}

static bool ivshmem2_oneshot(IVShmem2State *s)
{
    PCIDevice *pdev = PCI_DEVICE(s);

    return pdev->config[s->cap + IVSHMEM2_CAP_PRIV_CTRL] &
           IVSHMEM2_PRIV_ONESHOT;
}

/*
 * Raise @vector on this device if the guest armed it.  Nothing is ever
 * latched: an interrupt that cannot be delivered right now (disarmed,
 * MSI-X disabled or masked, INTx disabled) is dropped, so the MSI-X PBA
 * and the INTx status bit always read 0.
 */
static void ivshmem2_raise(IVShmem2State *s, uint32_t vector)
{
    PCIDevice *pdev = PCI_DEVICE(s);

    if (!(s->int_ctrl & IVSHMEM2_INT_ENABLE)) {
        return;
    }

    if (s->msix) {
        if (!msix_enabled(pdev) || msix_is_masked(pdev, vector)) {
            return;
        }
        msix_notify(pdev, vector);
    } else {
        if (vector != 0 ||
            (pci_get_word(pdev->config + PCI_COMMAND) &
             PCI_COMMAND_INTX_DISABLE)) {
            return;
        }
        /* An edge: the status bit is cleared before the guest can look */
        pci_set_irq(pdev, 1);
        pci_set_irq(pdev, 0);
    }

    if (ivshmem2_oneshot(s)) {
        s->int_ctrl &= ~IVSHMEM2_INT_ENABLE;
    }
}

static void ivshmem2_signal_peer(IVShmem2State *s, uint32_t target,
                                 uint32_t vector)
{
    IVShmem2Peer *peer;

    if (target >= s->max_peers || vector >= s->vectors) {
        return;
    }
    peer = &s->peers[target];
    if (!peer->eventfds || !peer->eventfds[vector].initialized) {
        return;
    }
    event_notifier_set(&peer->eventfds[vector]);
}

static void ivshmem2_set_state(IVShmem2State *s, uint32_t state)
{
    uint32_t i;

    if (state == s->state) {
        return;
    }
    s->state = state;
    qatomic_set((uint32_t *)(s->shmem_ptr + 4 * s->id), cpu_to_le32(state));
    /* Make the new entry visible before any peer is interrupted */
    smp_mb();

    for (i = 0; i < s->max_peers; i++) {
        if (i != s->id) {
            ivshmem2_signal_peer(s, i, 0);
        }
    }
}

static uint64_t ivshmem2_reg_read(void *opaque, hwaddr addr, unsigned size)
{
    IVShmem2State *s = opaque;

    if (size != 4 || (addr & 3)) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "ivshmem2: %u-byte read at register offset 0x%"
                      HWADDR_PRIx " (only aligned 32-bit reads work)\n",
                      size, addr);
        return 0;
    }

    switch (addr) {
    case IVSHMEM2_REG_ID:
        return ivshmem2_shown32(s->x_id, s->id);
    case IVSHMEM2_REG_MAX_PEERS:
        return ivshmem2_shown32(s->x_max_peers, s->max_peers);
    case IVSHMEM2_REG_INT_CTRL:
        return s->int_ctrl;
    case IVSHMEM2_REG_STATE:
        return s->state;
    default:
        /* Doorbell is write-only; offsets without a register read 0 */
        return 0;
    }
}

static void ivshmem2_reg_write(void *opaque, hwaddr addr, uint64_t val,
                               unsigned size)
{
    IVShmem2State *s = opaque;

    if (size != 4 || (addr & 3)) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "ivshmem2: %u-byte write at register offset 0x%"
                      HWADDR_PRIx " ignored (only aligned 32-bit writes"
                      " work)\n", size, addr);
        return;
    }

    switch (addr) {
    case IVSHMEM2_REG_INT_CTRL:
        s->int_ctrl = val & IVSHMEM2_INT_ENABLE;
        break;
    case IVSHMEM2_REG_DOORBELL:
        ivshmem2_signal_peer(s, extract32(val, 16, 16), extract32(val, 0, 16));
        break;
    case IVSHMEM2_REG_STATE:
        ivshmem2_set_state(s, val);
        break;
    default:
        /* Read-only registers and offsets without a register */
        break;
    }
}

static const MemoryRegionOps ivshmem2_reg_ops = {
    .read = ivshmem2_reg_read,
    .write = ivshmem2_reg_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {
        .min_access_size = 1,
        .max_access_size = 8,
        .unaligned = true,
    },
    .impl = {
        .min_access_size = 1,
        .max_access_size = 8,
        .unaligned = true,
    },
};

static uint64_t ivshmem2_tail_read(void *opaque, hwaddr addr, unsigned size)
{
    return 0;
}

static void ivshmem2_tail_write(void *opaque, hwaddr addr, uint64_t val,
                                unsigned size)
{
}

static const MemoryRegionOps ivshmem2_tail_ops = {
    .read = ivshmem2_tail_read,
    .write = ivshmem2_tail_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {
        .min_access_size = 1,
        .max_access_size = 8,
        .unaligned = true,
    },
};

static void ivshmem2_own_event(void *opaque)
{
    IVShmem2Vector *v = opaque;
    IVShmem2State *s = v->s;

    if (!event_notifier_test_and_clear(&s->peers[s->id].eventfds[v->vector])) {
        return;
    }
    ivshmem2_raise(s, v->vector);
}

static void ivshmem2_drop_eventfd(IVShmem2State *s, uint32_t id,
                                  uint32_t vector)
{
    IVShmem2Peer *peer = &s->peers[id];
    EventNotifier *n = &peer->eventfds[vector];

    if (!n->initialized) {
        return;
    }
    if (id == s->id) {
        qemu_set_fd_handler(event_notifier_get_fd(n), NULL, NULL, NULL);
    }
    event_notifier_cleanup(n);
    peer->nb_eventfds--;
}

static void ivshmem2_close_peer(IVShmem2State *s, uint32_t id)
{
    IVShmem2Peer *peer = &s->peers[id];
    uint32_t v;

    if (!peer->eventfds) {
        return;
    }
    for (v = 0; v < s->vectors; v++) {
        ivshmem2_drop_eventfd(s, id, v);
    }
    g_free(peer->eventfds);
    peer->eventfds = NULL;
}

static void ivshmem2_add_eventfd(IVShmem2State *s, uint32_t id,
                                 uint32_t vector, int fd)
{
    IVShmem2Peer *peer;
    EventNotifier *n;

    if (id >= s->max_peers || vector >= s->vectors) {
        warn_report("ivshmem2: server sent EVENT_FD for peer %u vector %u "
                    "(link has %u peers, %u vectors), ignored",
                    id, vector, s->max_peers, s->vectors);
        close(fd);
        return;
    }

    peer = &s->peers[id];
    if (!peer->eventfds) {
        peer->eventfds = g_new0(EventNotifier, s->vectors);
    }
    n = &peer->eventfds[vector];
    if (n->initialized) {
        warn_report("ivshmem2: server sent a second EVENT_FD for peer %u "
                    "vector %u, replacing the first", id, vector);
        ivshmem2_drop_eventfd(s, id, vector);
    }

    g_unix_set_fd_nonblocking(fd, true, NULL);
    event_notifier_init_fd(n, fd);
    peer->nb_eventfds++;
    if (id == s->id) {
        qemu_set_fd_handler(fd, ivshmem2_own_event, NULL,
                            &s->own_vectors[vector]);
    }
}

static void ivshmem2_peer_gone(IVShmem2State *s, uint32_t id)
{
    if (id >= s->max_peers || id == s->id) {
        warn_report("ivshmem2: server sent PEER_GONE for peer %u "
                    "(own ID %u, %u peers), ignored",
                    id, s->id, s->max_peers);
        return;
    }
    ivshmem2_close_peer(s, id);
    /* The server cleared the peer's state entry: let the guest look */
    ivshmem2_raise(s, 0);
}

static void ivshmem2_handle_msg(IVShmem2State *s, int fd)
{
    uint32_t type = ldl_le_p(s->msg_buf);
    uint32_t len = s->msg_len;

    switch (type) {
    case IVSHMEM2_MSG_INIT:
        warn_report("ivshmem2: server sent INIT again, ignored");
        break;
    case IVSHMEM2_MSG_EVENT_FD:
        if (len < IVSHMEM2_MSG_EVENT_FD_SIZE || fd < 0) {
            warn_report("ivshmem2: server sent a malformed EVENT_FD "
                        "(%u bytes, %s), ignored",
                        len, fd < 0 ? "no fd" : "with fd");
            break;
        }
        ivshmem2_add_eventfd(s, ldl_le_p(s->msg_buf + 8),
                             ldl_le_p(s->msg_buf + 12), fd);
        return;
    case IVSHMEM2_MSG_PEER_GONE:
        if (len < IVSHMEM2_MSG_PEER_GONE_SIZE) {
            warn_report("ivshmem2: server sent a malformed PEER_GONE "
                        "(%u bytes), ignored", len);
            break;
        }
        ivshmem2_peer_gone(s, ldl_le_p(s->msg_buf + 8));
        break;
    default:
        warn_report("ivshmem2: server sent unknown message type %u, ignored",
                    type);
        break;
    }

    if (fd >= 0) {
        close(fd);
    }
}

/*
 * Ask the chardev for no more than the rest of the current message, so
 * that a file descriptor the server attached to a message is still the
 * chardev's latest one when that message is complete.
 */
static int ivshmem2_can_receive(void *opaque)
{
    IVShmem2State *s = opaque;

    if (s->msg_stream_broken) {
        return 0;
    }
    if (s->msg_pos < IVSHMEM2_MSG_HDR_SIZE) {
        return IVSHMEM2_MSG_HDR_SIZE - s->msg_pos;
    }
    return MIN(s->msg_len - s->msg_pos, 4 * KiB);
}

static void ivshmem2_receive(void *opaque, const uint8_t *buf, int size)
{
    IVShmem2State *s = opaque;
    uint32_t n;

    while (size > 0 && !s->msg_stream_broken) {
        if (s->msg_pos < IVSHMEM2_MSG_HDR_SIZE) {
            n = MIN(size, IVSHMEM2_MSG_HDR_SIZE - s->msg_pos);
        } else {
            n = MIN(size, s->msg_len - s->msg_pos);
        }
        if (s->msg_pos < sizeof(s->msg_buf)) {
            memcpy(s->msg_buf + s->msg_pos, buf,
                   MIN(n, sizeof(s->msg_buf) - s->msg_pos));
        }
        s->msg_pos += n;
        buf += n;
        size -= n;

        if (s->msg_pos < IVSHMEM2_MSG_HDR_SIZE) {
            continue;
        }
        if (s->msg_pos == IVSHMEM2_MSG_HDR_SIZE) {
            s->msg_len = ldl_le_p(s->msg_buf + 4);
            if (s->msg_len < IVSHMEM2_MSG_HDR_SIZE) {
                warn_report("ivshmem2: server sent a message of length %u; "
                            "ignoring everything it sends from now on",
                            s->msg_len);
                s->msg_stream_broken = true;
                return;
            }
        }
        if (s->msg_pos == s->msg_len) {
            ivshmem2_handle_msg(s, qemu_chr_fe_get_msgfd(&s->server_chr));
            s->msg_pos = 0;
            s->msg_len = 0;
        }
    }
}

static void ivshmem2_chr_event(void *opaque, QEMUChrEvent event)
{
    IVShmem2State *s = opaque;

    /* QEMU closes the chardev itself on exit: not worth a warning */
    if (event == CHR_EVENT_CLOSED && !s->server_gone &&
        !runstate_check(RUN_STATE_SHUTDOWN)) {
        s->server_gone = true;
        warn_report("ivshmem2: lost the connection to the server; the "
                    "device keeps working, but peer changes go unseen");
    }
}

static bool ivshmem2_read_sync(IVShmem2State *s, void *buf, size_t len,
                               Error **errp)
{
    int ret = qemu_chr_fe_read_all(&s->server_chr, buf, len);

    if (ret < 0) {
        error_setg_errno(errp, errno,
                         "ivshmem2: reading from the server failed");
        return false;
    }
    if (ret < len) {
        error_setg(errp, "ivshmem2: the server closed the connection "
                   "before INIT (no free peer ID, or not an ivshmem2 "
                   "server?)");
        return false;
    }
    return true;
}

/* Read the server's INIT synchronously; returns the shared memory fd */
static int ivshmem2_recv_init(IVShmem2State *s, Error **errp)
{
    uint8_t msg[IVSHMEM2_MSG_INIT_SIZE];
    uint8_t scratch[256];
    uint32_t type, len, version, compat, extra;
    int fd;

    if (!ivshmem2_read_sync(s, msg, IVSHMEM2_MSG_HDR_SIZE, errp)) {
        return -1;
    }
    type = ldl_le_p(msg);
    len = ldl_le_p(msg + 4);

    /* A v1 ivshmem-server starts with an int64 protocol version of 0 */
    if (type == IVSHMEM2_MSG_INIT && len == 0) {
        error_setg(errp, "ivshmem2: server speaks protocol version 0, "
                   "this device needs %u", IVSHMEM2_PROTOCOL_VERSION);
        return -1;
    }
    if (type != IVSHMEM2_MSG_INIT) {
        error_setg(errp, "ivshmem2: expected INIT from the server, got "
                   "message type %u", type);
        return -1;
    }
    if (len < IVSHMEM2_MSG_INIT_SIZE) {
        error_setg(errp, "ivshmem2: server sent a short INIT (%u bytes, "
                   "need %u)", len, IVSHMEM2_MSG_INIT_SIZE);
        return -1;
    }
    if (!ivshmem2_read_sync(s, msg + IVSHMEM2_MSG_HDR_SIZE,
                            IVSHMEM2_MSG_INIT_SIZE - IVSHMEM2_MSG_HDR_SIZE,
                            errp)) {
        return -1;
    }
    for (extra = len - IVSHMEM2_MSG_INIT_SIZE; extra > 0; ) {
        uint32_t n = MIN(extra, sizeof(scratch));

        if (!ivshmem2_read_sync(s, scratch, n, errp)) {
            return -1;
        }
        extra -= n;
    }
    fd = qemu_chr_fe_get_msgfd(&s->server_chr);

    version = ldl_le_p(msg + 8);
    compat = ldl_le_p(msg + 12);
    if (compat != IVSHMEM2_PROTOCOL_VERSION) {
        error_setg(errp, "ivshmem2: server speaks protocol version %u, "
                   "this device needs %u", version, IVSHMEM2_PROTOCOL_VERSION);
        goto err;
    }
    if (fd < 0) {
        error_setg(errp, "ivshmem2: server sent INIT without a shared "
                   "memory file descriptor");
        return -1;
    }

    s->id = ldl_le_p(msg + 16);
    s->max_peers = ldl_le_p(msg + 20);
    s->vectors = ldl_le_p(msg + 24);
    s->protocol = ldl_le_p(msg + 28);
    s->output_section_size = ldq_le_p(msg + 32);

    if (s->max_peers < IVSHMEM2_MIN_PEERS ||
        s->max_peers > IVSHMEM2_MAX_PEERS) {
        error_setg(errp, "ivshmem2: server says %u peers (must be %u..%u)",
                   s->max_peers, IVSHMEM2_MIN_PEERS, IVSHMEM2_MAX_PEERS);
        goto err;
    }
    if (s->id >= s->max_peers) {
        error_setg(errp, "ivshmem2: server gave ID %u on a link of %u peers",
                   s->id, s->max_peers);
        goto err;
    }
    if (s->vectors < 1 || s->vectors > IVSHMEM2_MAX_VECTORS) {
        error_setg(errp, "ivshmem2: server says %u vectors (must be 1..%u)",
                   s->vectors, IVSHMEM2_MAX_VECTORS);
        goto err;
    }
    if (s->protocol > UINT16_MAX) {
        error_setg(errp, "ivshmem2: server sent protocol type 0x%x "
                   "(must fit 16 bits)", s->protocol);
        goto err;
    }
    if (!QEMU_IS_ALIGNED(s->output_section_size, IVSHMEM2_PAGE_SIZE)) {
        error_setg(errp, "ivshmem2: server sent output section size 0x%"
                   PRIx64 " (must be a multiple of 4 KiB)",
                   s->output_section_size);
        goto err;
    }
    if (!s->msix && s->vectors != 1) {
        error_setg(errp, "ivshmem2: msix=off needs a link with exactly 1 "
                   "vector (the server offers %u)", s->vectors);
        goto err;
    }
    return fd;

err:
    if (fd >= 0) {
        close(fd);
    }
    return -1;
}

/* Map the shared memory; takes ownership of @fd */
static bool ivshmem2_setup_shmem(IVShmem2State *s, int fd, Error **errp)
{
    Object *obj = OBJECT(s);
    uint64_t outputs, bar_size;
    struct stat st;
    int ro_fd;

    if (fstat(fd, &st) < 0) {
        error_setg_errno(errp, errno, "ivshmem2: cannot stat the shared "
                         "memory file from the server");
        close(fd);
        return false;
    }
    s->shmem_size = st.st_size;
    s->state_table_size = ROUND_UP(4 * (uint64_t)s->max_peers,
                                   IVSHMEM2_PAGE_SIZE);

    if (!s->shmem_size || !QEMU_IS_ALIGNED(s->shmem_size,
                                           IVSHMEM2_PAGE_SIZE)) {
        error_setg(errp, "ivshmem2: shared memory size 0x%" PRIx64
                   " is not a non-zero multiple of 4 KiB", s->shmem_size);
        close(fd);
        return false;
    }
    if (s->output_section_size > s->shmem_size / s->max_peers) {
        outputs = UINT64_MAX;
    } else {
        outputs = s->output_section_size * s->max_peers;
    }
    if (s->shmem_size < s->state_table_size ||
        s->shmem_size - s->state_table_size < outputs) {
        error_setg(errp, "ivshmem2: shared memory of 0x%" PRIx64 " bytes "
                   "cannot hold a 0x%" PRIx64 "-byte state table and %u "
                   "output sections of 0x%" PRIx64 " bytes",
                   s->shmem_size, s->state_table_size, s->max_peers,
                   s->output_section_size);
        close(fd);
        return false;
    }
    s->rw_section_size = s->shmem_size - s->state_table_size - outputs;

    if (s->shmem_size > (1ULL << 63)) {
        error_setg(errp, "ivshmem2: shared memory too large");
        close(fd);
        return false;
    }
    bar_size = pow2ceil(s->shmem_size);
    if (s->base_address &&
        (!QEMU_IS_ALIGNED(s->base_address, IVSHMEM2_PAGE_SIZE) ||
         s->base_address + bar_size - 1 < s->base_address)) {
        error_setg(errp, "ivshmem2: base-address 0x%" PRIx64 " must be "
                   "4 KiB aligned and leave room for 0x%" PRIx64 " bytes",
                   s->base_address, bar_size);
        close(fd);
        return false;
    }

    ro_fd = dup(fd);
    if (ro_fd < 0) {
        error_setg_errno(errp, errno, "ivshmem2: dup of the shared memory "
                         "fd failed");
        close(fd);
        return false;
    }
    if (!memory_region_init_ram_from_fd(&s->shmem_rw, obj, "ivshmem2.rw",
                                        s->shmem_size, RAM_SHARED, fd, 0,
                                        errp)) {
        close(fd);
        close(ro_fd);
        return false;
    }
    if (!memory_region_init_ram_from_fd(&s->shmem_ro, obj, "ivshmem2.ro",
                                        s->shmem_size,
                                        RAM_SHARED | RAM_READONLY, ro_fd, 0,
                                        errp)) {
        close(ro_fd);
        return false;
    }
    s->shmem_ptr = memory_region_get_ram_ptr(&s->shmem_rw);

    memory_region_init(&s->shmem, obj, "ivshmem2.shmem", bar_size);
    memory_region_add_subregion(&s->shmem, 0, &s->shmem_ro);
    if (s->rw_section_size) {
        memory_region_init_alias(&s->rw_section, obj, "ivshmem2.rw-section",
                                 &s->shmem_rw, s->state_table_size,
                                 s->rw_section_size);
        memory_region_add_subregion_overlap(&s->shmem, s->state_table_size,
                                            &s->rw_section, 1);
    }
    if (s->output_section_size) {
        uint64_t off = s->state_table_size + s->rw_section_size +
                       s->id * s->output_section_size;

        memory_region_init_alias(&s->own_output, obj, "ivshmem2.own-output",
                                 &s->shmem_rw, off, s->output_section_size);
        memory_region_add_subregion_overlap(&s->shmem, off, &s->own_output,
                                            1);
    }
    if (bar_size > s->shmem_size) {
        memory_region_init_io(&s->tail, obj, &ivshmem2_tail_ops, s,
                              "ivshmem2.tail", bar_size - s->shmem_size);
        memory_region_add_subregion(&s->shmem, s->shmem_size, &s->tail);
    }
    return true;
}

static void ivshmem2_init_config(IVShmem2State *s)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    uint8_t *conf = pdev->config;

    pci_config_set_prog_interface(conf, s->protocol & 0xff);
    pci_config_set_class(conf, 0xff00 | (s->protocol >> 8));
    pci_config_set_interrupt_pin(conf, s->msix ? 0 : 1);

    /* Writable: memory, master and INTx disable; nothing else by default */
    pci_set_word(pdev->wmask + PCI_COMMAND, PCI_COMMAND_MEMORY |
                 PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE);
    pdev->wmask[PCI_CACHE_LINE_SIZE] = 0;
    if (s->msix) {
        pdev->wmask[PCI_INTERRUPT_LINE] = 0;
    }
    memset(pdev->wmask + PCI_CONFIG_HEADER_SIZE, 0,
           pci_config_size(pdev) - PCI_CONFIG_HEADER_SIZE);
}

static bool ivshmem2_add_vendor_cap(IVShmem2State *s, Error **errp)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    uint8_t len = s->base_address ? IVSHMEM2_CAP_LEN_FIXED : IVSHMEM2_CAP_LEN;
    uint8_t *cap;
    int off;

    off = pci_add_capability(pdev, PCI_CAP_ID_VNDR, IVSHMEM2_CAP_OFFSET,
                             len, errp);
    if (off < 0) {
        return false;
    }
    s->cap = off;
    cap = pdev->config + off;

    cap[PCI_CAP_FLAGS] = len;
    pci_set_long(cap + IVSHMEM2_CAP_STATE_TABLE_SIZE,
                 ivshmem2_shown32(s->x_state_table_size,
                                  s->state_table_size));
    pci_set_quad(cap + IVSHMEM2_CAP_RW_SECTION_SIZE,
                 ivshmem2_shown64(s->x_rw_section_size, s->rw_section_size));
    pci_set_quad(cap + IVSHMEM2_CAP_OUTPUT_SECTION_SIZE,
                 ivshmem2_shown64(s->x_output_section_size,
                                  s->output_section_size));
    if (s->base_address) {
        pci_set_quad(cap + IVSHMEM2_CAP_BASE_ADDRESS, s->base_address);
    }
    pdev->wmask[off + IVSHMEM2_CAP_PRIV_CTRL] = IVSHMEM2_PRIV_ONESHOT;
    return true;
}

static void ivshmem2_realize(PCIDevice *pdev, Error **errp)
{
    IVShmem2State *s = IVSHMEM2(pdev);
    Chardev *chr = qemu_chr_fe_get_driver(&s->server_chr);
    uint32_t v;
    int fd;

    if (!chr) {
        error_setg(errp, "ivshmem2: the 'chardev' property is required "
                   "(a socket chardev connected to an ivshmem2 server)");
        return;
    }
    if (!qemu_chr_has_feature(chr, QEMU_CHAR_FEATURE_FD_PASS)) {
        error_setg(errp, "ivshmem2: chardev '%s' is not a UNIX socket "
                   "(use -chardev socket,path=SOCKET,id=%s)",
                   chr->label, chr->label);
        return;
    }
    if (!object_property_get_bool(OBJECT(chr), "connected", NULL)) {
        error_setg(errp, "ivshmem2: chardev '%s' is not connected to an "
                   "ivshmem2 server (it must be a client socket)",
                   chr->label);
        return;
    }

    fd = ivshmem2_recv_init(s, errp);
    if (fd < 0) {
        return;
    }
    if (!ivshmem2_setup_shmem(s, fd, errp)) {
        return;
    }

    ivshmem2_init_config(s);

    memory_region_init_io(&s->regs, OBJECT(s), &ivshmem2_reg_ops, s,
                          "ivshmem2.regs", IVSHMEM2_REG_BAR_SIZE);
    pci_register_bar(pdev, IVSHMEM2_REG_BAR, PCI_BASE_ADDRESS_SPACE_MEMORY,
                     &s->regs);

    if (s->msix) {
        if (msix_init_exclusive_bar(pdev, s->vectors, IVSHMEM2_MSIX_BAR,
                                    errp)) {
            return;
        }
        for (v = 0; v < s->vectors; v++) {
            msix_vector_use(pdev, v);
        }
    }

    if (!ivshmem2_add_vendor_cap(s, errp)) {
        if (s->msix) {
            msix_uninit_exclusive_bar(pdev);
        }
        return;
    }

    s->peers = g_new0(IVShmem2Peer, s->max_peers);
    s->own_vectors = g_new0(IVShmem2Vector, s->vectors);
    for (v = 0; v < s->vectors; v++) {
        s->own_vectors[v].s = s;
        s->own_vectors[v].vector = v;
    }

    if (s->base_address) {
        memory_region_add_subregion_overlap(get_system_memory(),
                                            s->base_address, &s->shmem, 1);
        s->fixed_mapped = true;
    } else {
        pci_register_bar(pdev, IVSHMEM2_SHMEM_BAR,
                         PCI_BASE_ADDRESS_SPACE_MEMORY |
                         PCI_BASE_ADDRESS_MEM_PREFETCH |
                         PCI_BASE_ADDRESS_MEM_TYPE_64, &s->shmem);
    }

    /* EVENT_FD and PEER_GONE from now on arrive through the main loop */
    qemu_chr_fe_set_handlers(&s->server_chr, ivshmem2_can_receive,
                             ivshmem2_receive, ivshmem2_chr_event, NULL, s,
                             NULL, true);
}

static void ivshmem2_exit(PCIDevice *pdev)
{
    IVShmem2State *s = IVSHMEM2(pdev);
    uint32_t i;

    qemu_chr_fe_set_handlers(&s->server_chr, NULL, NULL, NULL, NULL, NULL,
                             NULL, true);

    /* Like a reset: the other peers learn that we are gone */
    ivshmem2_set_state(s, 0);

    if (s->fixed_mapped) {
        memory_region_del_subregion(get_system_memory(), &s->shmem);
        s->fixed_mapped = false;
    }
    for (i = 0; i < s->max_peers; i++) {
        ivshmem2_close_peer(s, i);
    }
    g_free(s->peers);
    s->peers = NULL;
    g_free(s->own_vectors);
    s->own_vectors = NULL;

    if (s->msix) {
        msix_uninit_exclusive_bar(pdev);
    }
}

static void ivshmem2_reset(DeviceState *dev)
{
    IVShmem2State *s = IVSHMEM2(dev);
    PCIDevice *pdev = PCI_DEVICE(s);

    s->int_ctrl = 0;
    ivshmem2_set_state(s, 0);
    pdev->config[s->cap + IVSHMEM2_CAP_PRIV_CTRL] = 0;
}

static const VMStateDescription ivshmem2_vmsd = {
    .name = TYPE_IVSHMEM2,
    .unmigratable = 1,
};

static const Property ivshmem2_properties[] = {
    DEFINE_PROP_CHR("chardev", IVShmem2State, server_chr),
    DEFINE_PROP_BOOL("msix", IVShmem2State, msix, true),
    DEFINE_PROP_UINT64("base-address", IVShmem2State, base_address, 0),
    DEFINE_PROP_UINT32("x-id", IVShmem2State, x_id, IVSHMEM2_SHOW_REAL32),
    DEFINE_PROP_UINT32("x-max-peers", IVShmem2State, x_max_peers,
                       IVSHMEM2_SHOW_REAL32),
    DEFINE_PROP_UINT32("x-state-table-size", IVShmem2State,
                       x_state_table_size, IVSHMEM2_SHOW_REAL32),
    DEFINE_PROP_UINT64("x-rw-section-size", IVShmem2State,
                       x_rw_section_size, IVSHMEM2_SHOW_REAL64),
    DEFINE_PROP_UINT64("x-output-section-size", IVShmem2State,
                       x_output_section_size, IVSHMEM2_SHOW_REAL64),
};

static void ivshmem2_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);

    k->realize = ivshmem2_realize;
    k->exit = ivshmem2_exit;
    k->vendor_id = IVSHMEM2_VENDOR_ID;
    k->device_id = IVSHMEM2_DEVICE_ID;
    k->revision = 0;
    k->class_id = 0xff00;
    device_class_set_legacy_reset(dc, ivshmem2_reset);
    device_class_set_props(dc, ivshmem2_properties);
    dc->vmsd = &ivshmem2_vmsd;
    dc->desc = "Inter-VM shared memory, version 2";
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);

    object_class_property_set_description(klass, "chardev",
        "UNIX socket chardev connected to an ivshmem2 server (required)");
    object_class_property_set_description(klass, "msix",
        "on: MSI-X with the link's vectors; off: INTx, needs 1 vector");
    object_class_property_set_description(klass, "base-address",
        "0: shared memory in BAR2; else its fixed guest-physical address");
    object_class_property_set_description(klass, "x-id",
        "test only: ID register value shown to the guest");
    object_class_property_set_description(klass, "x-max-peers",
        "test only: Maximum Peers register value shown to the guest");
    object_class_property_set_description(klass, "x-state-table-size",
        "test only: State Table Size shown to the guest");
    object_class_property_set_description(klass, "x-rw-section-size",
        "test only: R/W Section Size shown to the guest");
    object_class_property_set_description(klass, "x-output-section-size",
        "test only: Output Section Size shown to the guest");
}

static const TypeInfo ivshmem2_info = {
    .name          = TYPE_IVSHMEM2,
    .parent        = TYPE_PCI_DEVICE,
    .instance_size = sizeof(IVShmem2State),
    .class_init    = ivshmem2_class_init,
    .interfaces    = (InterfaceInfo[]) {
        { INTERFACE_CONVENTIONAL_PCI_DEVICE },
        { },
    },
};

static void ivshmem2_register_types(void)
{
    type_register_static(&ivshmem2_info);
}

type_init(ivshmem2_register_types)
