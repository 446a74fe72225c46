// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-ivshmem-net: virtio network back-end for virtio over IVSHMEM
 * (protocol C001h) on a uio_ivshmem device, bridged to a TAP device: frames
 * the front-end transmits are written to the TAP device, frames read from
 * the TAP device go to the front-end's receive queue. Put the TAP device
 * into a bridge to connect the front-end to a real network.
 *
 * With IFF_VNET_HDR on the TAP device (the default) the virtio-net header
 * travels with each frame, so checksum offload and TSO work end to end;
 * -o turns the offloads off.
 *
 * The front-end is not trusted: every offset, length, index and descriptor
 * chain it writes into the shared memory is read once and checked, every
 * frame is copied out of the shared memory before it is looked at; a bad
 * request fails that request and is counted. The back-end can be stopped
 * and restarted at any time; the front-end then removes and re-creates its
 * network device. See Documentation/virtio/ivshmem.rst.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "backend.h"

#define VIRTIO_ID_NET		1

/* Feature bits (virtio 1.2, 5.1.3) */
#define F_CSUM			0	/* we take partial checksums */
#define F_GUEST_CSUM		1	/* we may send them */
#define F_MTU			3
#define F_MAC			5
#define F_GUEST_TSO4		7
#define F_GUEST_TSO6		8
#define F_HOST_TSO4		11
#define F_HOST_TSO6		12
#define F_MRG_RXBUF		15
#define F_STATUS		16

#define BIT64(n)		(1ULL << (n))
#define OFFLOADS		(BIT64(F_CSUM) | BIT64(F_GUEST_CSUM) | \
				 BIT64(F_GUEST_TSO4) | BIT64(F_GUEST_TSO6) | \
				 BIT64(F_HOST_TSO4) | BIT64(F_HOST_TSO6) | \
				 BIT64(F_MRG_RXBUF))

/* struct virtio_net_config: mac[6], status, max_virtqueue_pairs, mtu */
#define CFG_MAC			0
#define CFG_STATUS		6
#define CFG_MTU			10
#define CFG_SIZE		12
#define S_LINK_UP		1

/* struct virtio_net_hdr_v1, little-endian, before every frame */
struct net_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
};

#define NET_HDR_LEN		12
#define HDR_F_NEEDS_CSUM	1
#define GSO_NONE		0
#define GSO_TCPV4		1
#define GSO_TCPV6		4

#define ETH_HDR_LEN		14
/* largest frame: Ethernet, VLAN tag, IPv6 header, 64 KiB - 1 of payload */
#define NET_MAX_FRAME		(ETH_HDR_LEN + 4 + 40 + 65535)
#define NET_BUF_LEN		(NET_HDR_LEN + NET_MAX_FRAME)
#define NET_MTU_DEFAULT		1500

#define Q_RX			0	/* front-end receives */
#define Q_TX			1	/* front-end transmits */

/* frames moved per direction before the other direction gets a turn */
#define NET_BATCH		64

/* A receive chain taken from the ring and not yet returned */
struct net_chain {
	uint16_t head;
	uint16_t first;		/* index into net.rx_segs */
	uint16_t nsegs;
	uint32_t room;		/* bytes the chain can take */
};

struct net_stats {
	unsigned long long tx_frames, tx_bytes, tx_errors;
	unsigned long long rx_frames, rx_bytes, rx_dropped;
};

struct net {
	int tap_fd;		/* -1: frames are dropped (tests, fuzzing) */
	char ifname[IFNAMSIZ];
	bool vnet_hdr;		/* the TAP device has IFF_VNET_HDR */
	uint8_t mac[6];
	uint16_t mtu;
	uint64_t features;	/* negotiated; valid while offloads_set */
	bool offloads_set;	/* TAP offloads follow @features */

	/* frame read from the TAP device, waiting for receive buffers */
	uint32_t rx_len;	/* header and frame, 0 if none */
	uint8_t rx_buf[NET_BUF_LEN];
	/* receive chains held for it */
	struct net_chain rx_chains[VBE_MAX_QUEUE_SIZE];
	unsigned int rx_nchains;
	uint32_t rx_room;
	struct vbe_seg rx_segs[2 * VBE_MAX_QUEUE_SIZE];
	unsigned int rx_nsegs;

	uint8_t tx_buf[NET_BUF_LEN];
	struct net_stats st;
};

static struct net net_state = { .tap_fd = -1 };

static bool has(const struct net *nt, unsigned int bit)
{
	return nt->features & BIT64(bit);
}

static void net_hdr_load(struct net_hdr *h, const uint8_t *p)
{
	memcpy(h, p, sizeof(*h));
	h->hdr_len = le16toh(h->hdr_len);
	h->gso_size = le16toh(h->gso_size);
	h->csum_start = le16toh(h->csum_start);
	h->csum_offset = le16toh(h->csum_offset);
	h->num_buffers = le16toh(h->num_buffers);
}

static void net_hdr_store(uint8_t *p, const struct net_hdr *h)
{
	struct net_hdr le = *h;

	le.hdr_len = htole16(h->hdr_len);
	le.gso_size = htole16(h->gso_size);
	le.csum_start = htole16(h->csum_start);
	le.csum_offset = htole16(h->csum_offset);
	le.num_buffers = htole16(h->num_buffers);
	memcpy(p, &le, sizeof(le));
}

/*
 * Checks the header of a frame of @len bytes (after the header) from the
 * front-end against the negotiated features; NULL or what is wrong.
 */
static const char *net_tx_hdr_bad(const struct net *nt,
				  const struct net_hdr *h, uint32_t len)
{
	uint8_t gso = h->gso_type;

	if (h->flags & ~HDR_F_NEEDS_CSUM)
		return "transmit header flags";
	if (h->flags & HDR_F_NEEDS_CSUM) {
		if (!has(nt, F_CSUM))
			return "transmit checksum offload not negotiated";
		if ((uint32_t)h->csum_start + h->csum_offset + 2 > len)
			return "transmit checksum outside the frame";
	}
	if (gso == GSO_NONE)
		return NULL;
	if ((gso == GSO_TCPV4 && !has(nt, F_HOST_TSO4)) ||
	    (gso == GSO_TCPV6 && !has(nt, F_HOST_TSO6)) ||
	    (gso != GSO_TCPV4 && gso != GSO_TCPV6))
		return "transmit segmentation type not negotiated";
	if (!h->gso_size || !(h->flags & HDR_F_NEEDS_CSUM))
		return "transmit segmentation without size or checksum";
	return NULL;
}

/*
 * One transmit chain of @n validated segments (vbe_serve_out()): header
 * and frame are copied out of the shared memory, checked and written to
 * the TAP device. A bad request is counted; the chain is returned all the
 * same.
 */
static void net_tx_frame(struct vbe *b, uint16_t head,
			 const struct vbe_seg *segs, int n)
{
	struct net *nt = b->priv;
	uint64_t total = 0;
	struct net_hdr h;
	const char *bad;
	uint32_t len;
	ssize_t r;
	int i;

	if (!n)		/* a bad chain, counted by vbe_pop() */
		return;
	for (i = 0; i < n; i++) {
		if (segs[i].writable) {
			vbe_reject(b, "writable transmit buffer", i);
			return;
		}
		total += segs[i].len;
	}
	if (total < NET_HDR_LEN + ETH_HDR_LEN ||
	    total > NET_HDR_LEN + NET_MAX_FRAME) {
		vbe_reject(b, "transmit frame length", total);
		return;
	}
	/* copy out before use: the front-end may change it meanwhile */
	len = vbe_copy_from(b, nt->tx_buf, segs, n, 0, total);
	if (len != total) {
		vbe_reject(b, "transmit frame copy", len);
		return;
	}
	len -= NET_HDR_LEN;
	net_hdr_load(&h, nt->tx_buf);
	bad = net_tx_hdr_bad(nt, &h, len);
	if (bad) {
		vbe_reject(b, bad, h.gso_type << 8 | h.flags);
		return;
	}

	if (nt->vnet_hdr) {
		/* the TAP device reads 12 header bytes, num_buffers unused */
		h.num_buffers = 0;
		net_hdr_store(nt->tx_buf, &h);
		r = nt->tap_fd < 0 ? (ssize_t)total :
		    write(nt->tap_fd, nt->tx_buf, total);
		r -= NET_HDR_LEN;
	} else {
		r = nt->tap_fd < 0 ? (ssize_t)len :
		    write(nt->tap_fd, nt->tx_buf + NET_HDR_LEN, len);
	}
	if (r != (ssize_t)len) {
		nt->st.tx_errors++;
		vbe_log(b, "TAP write of %u bytes: %s\n", len,
			r < 0 ? strerror(errno) : "short");
		return;
	}
	nt->st.tx_frames++;
	nt->st.tx_bytes += len;
}

/*
 * Checks a receive chain of @n validated segments: all writable, room for
 * the header. Returns the bytes it can take, 0 for a bad request (counted).
 */
static uint32_t net_rx_chain_room(struct vbe *b, const struct vbe_seg *segs,
				  int n)
{
	uint64_t room = 0;
	int i;

	for (i = 0; i < n; i++) {
		if (!segs[i].writable) {
			vbe_reject(b, "readable receive buffer", i);
			return 0;
		}
		room += segs[i].len;
	}
	if (room < NET_HDR_LEN) {
		vbe_reject(b, "receive buffer below the header size", room);
		return 0;
	}
	/* a frame never needs more; keeps the sums below in 32 bits */
	return room > NET_BUF_LEN ? NET_BUF_LEN : room;
}

/* Forgets the first @k held receive chains (their segments first) */
static void net_rx_release(struct net *nt, unsigned int k)
{
	unsigned int i, segs = 0;

	for (i = 0; i < k; i++) {
		segs += nt->rx_chains[i].nsegs;
		nt->rx_room -= nt->rx_chains[i].room;
	}
	memmove(nt->rx_chains, nt->rx_chains + k,
		(nt->rx_nchains - k) * sizeof(nt->rx_chains[0]));
	nt->rx_nchains -= k;
	memmove(nt->rx_segs, nt->rx_segs + segs,
		(nt->rx_nsegs - segs) * sizeof(nt->rx_segs[0]));
	nt->rx_nsegs -= segs;
	for (i = 0; i < nt->rx_nchains; i++)
		nt->rx_chains[i].first -= segs;
}

/*
 * Takes receive chains until the held ones can take @len bytes (mergeable
 * buffers) or one is held. 1 when they can, 0 when the front-end has to
 * add buffers first, -1 if it cannot ever (drop the frame), -2 if the ring
 * is broken.
 */
static int net_rx_collect(struct vbe *b, uint32_t len)
{
	struct net *nt = b->priv;
	struct vbe_queue *q = &b->q[Q_RX];
	bool mrg = has(nt, F_MRG_RXBUF);
	struct net_chain *c;
	struct vbe_seg *segs;
	unsigned int pops;
	uint16_t head;
	uint32_t room;
	int pending, n;

	/* at most a ring's worth per call, also of bad chains */
	for (pops = 0; pops < q->size; pops++) {
		if (nt->rx_nchains && (!mrg || nt->rx_room >= len))
			return nt->rx_room >= len ? 1 : -1;
		/* every descriptor is held: no more buffers can come */
		if (nt->rx_nsegs >= q->size ||
		    nt->rx_nchains >= VBE_MAX_QUEUE_SIZE)
			return -1;
		pending = vbe_pending(b, q);
		if (pending < 0) {
			vbe_needs_reset(b, "receive avail index");
			return -2;
		}
		if (!pending)
			return 0;
		segs = nt->rx_segs + nt->rx_nsegs;
		n = vbe_pop(b, q, segs, q->size, &head);
		if (n < 0) {
			vbe_needs_reset(b, "receive avail entry");
			return -2;
		}
		room = n ? net_rx_chain_room(b, segs, n) : 0;
		if (!room) {
			/* a bad chain goes back empty, apart from the frame */
			vbe_add_used(b, q, head, 0);
			continue;
		}
		c = &nt->rx_chains[nt->rx_nchains++];
		c->head = head;
		c->first = nt->rx_nsegs;
		c->nsegs = n;
		c->room = room;
		nt->rx_nsegs += n;
		nt->rx_room += room;
	}
	return 0;
}

/*
 * Copies the frame of @len bytes (header included) in @frame into the held
 * receive chains and adds them to the used ring; the caller publishes.
 * False if they cannot take it (without MRG_RXBUF: the first one).
 */
static bool net_rx_fill(struct vbe *b, uint8_t *frame, uint32_t len)
{
	struct net *nt = b->priv;
	struct vbe_queue *q = &b->q[Q_RX];
	unsigned int k = 0, max = has(nt, F_MRG_RXBUF) ? nt->rx_nchains : 1;
	struct net_chain *c;
	struct net_hdr h;
	uint32_t done = 0, part;

	/* chains needed: the first ones whose room adds up to @len */
	while (done < len && k < max && k < nt->rx_nchains) {
		done += nt->rx_chains[k].room;
		k++;
	}
	if (done < len || len < NET_HDR_LEN)
		return false;
	net_hdr_load(&h, frame);
	h.num_buffers = k;
	net_hdr_store(frame, &h);

	done = 0;
	for (c = nt->rx_chains; c < nt->rx_chains + k; c++) {
		part = len - done < c->room ? len - done : c->room;
		vbe_copy_to(b, nt->rx_segs + c->first, c->nsegs, 0,
			    frame + done, part);
		vbe_add_used(b, q, c->head, part);
		done += part;
	}
	net_rx_release(nt, k);
	return true;
}

/*
 * Makes the header of a frame from the TAP device fit the negotiated
 * features; false if the frame cannot be delivered (segmentation the
 * front-end did not ask for).
 */
static bool net_rx_hdr_fixup(const struct net *nt, uint8_t *frame)
{
	struct net_hdr h;

	net_hdr_load(&h, frame);
	if (!has(nt, F_GUEST_CSUM)) {
		/* queued before the TAP device's offloads were turned off */
		if (h.flags & HDR_F_NEEDS_CSUM)
			return false;
		h.flags = 0;
	}
	if ((h.gso_type == GSO_TCPV4 && !has(nt, F_GUEST_TSO4)) ||
	    (h.gso_type == GSO_TCPV6 && !has(nt, F_GUEST_TSO6)) ||
	    (h.gso_type != GSO_NONE && h.gso_type != GSO_TCPV4 &&
	     h.gso_type != GSO_TCPV6))
		return false;
	h.num_buffers = 1;
	net_hdr_store(frame, &h);
	return true;
}

/* Reads one frame from the TAP device into rx_buf; false if none */
static bool net_tap_read(struct vbe *b)
{
	struct net *nt = b->priv;
	uint8_t *p = nt->rx_buf;
	ssize_t r;
	int i;

	if (nt->tap_fd < 0)
		return false;
	for (i = 0; i < NET_BATCH; i++) {
		if (nt->vnet_hdr) {
			r = read(nt->tap_fd, p, NET_BUF_LEN);
		} else {
			memset(p, 0, NET_HDR_LEN);
			r = read(nt->tap_fd, p + NET_HDR_LEN, NET_MAX_FRAME);
			if (r >= 0)
				r += NET_HDR_LEN;
		}
		if (r < 0) {
			if (errno != EAGAIN && errno != EINTR)
				vbe_log(b, "TAP read: %s\n", strerror(errno));
			return false;
		}
		if (r >= NET_HDR_LEN + ETH_HDR_LEN && net_rx_hdr_fixup(nt, p)) {
			nt->rx_len = r;
			return true;
		}
		nt->st.rx_dropped++;
	}
	return false;
}

/* Front-end receive queue: frames from the TAP device into its buffers */
static bool net_serve_rx(struct vbe *b)
{
	struct net *nt = b->priv;
	struct vbe_queue *q = &b->q[Q_RX];
	bool did = false;
	int i, ret;

	if (!q->enabled)
		return false;
	for (i = 0; i < NET_BATCH; i++) {
		if (!nt->rx_len && !net_tap_read(b))
			break;
		ret = net_rx_collect(b, nt->rx_len);
		if (ret == -2)
			return did;
		if (!ret)
			break;
		if (ret > 0 && net_rx_fill(b, nt->rx_buf, nt->rx_len)) {
			nt->st.rx_frames++;
			nt->st.rx_bytes += nt->rx_len - NET_HDR_LEN;
		} else {
			/* bigger than the buffers: the chains stay held */
			nt->st.rx_dropped++;
			vbe_log(b,
				"dropped a %u-byte frame: buffers too small\n",
				nt->rx_len - NET_HDR_LEN);
		}
		nt->rx_len = 0;
		did = true;
	}
	vbe_publish_used(b, q);
	vbe_notify(b, q);
	return did;
}

/* Tells the TAP device which offloads the front-end can receive */
static void net_set_offloads(struct vbe *b)
{
	struct net *nt = b->priv;
	unsigned int off = 0;

	nt->features = b->driver_features[0] |
		       (uint64_t)b->driver_features[1] << 32;
	nt->offloads_set = true;
	if (!nt->vnet_hdr || nt->tap_fd < 0)
		return;
	if (has(nt, F_GUEST_CSUM)) {
		off |= TUN_F_CSUM;
		if (has(nt, F_GUEST_TSO4))
			off |= TUN_F_TSO4;
		if (has(nt, F_GUEST_TSO6))
			off |= TUN_F_TSO6;
	}
	if (ioctl(nt->tap_fd, TUNSETOFFLOAD, off) < 0)
		fprintf(stderr, "virtio-ivshmem-net: TUNSETOFFLOAD 0x%x: %s\n",
			off, strerror(errno));
	vbe_log(b, "features 0x%llx, TAP offloads 0x%x\n",
		(unsigned long long)nt->features, off);
}

static bool net_serve(struct vbe *b)
{
	struct net *nt = b->priv;
	bool work;

	if (!nt->offloads_set)
		net_set_offloads(b);
	/* the front-end's transmit queue: every chain goes to the TAP device */
	work = vbe_serve_out(b, &b->q[Q_TX], NET_BATCH, net_tx_frame);
	work |= net_serve_rx(b);
	return work;
}

/* Poll the TAP device only while a frame can go somewhere */
static bool net_want_fd(struct vbe *b)
{
	struct net *nt = b->priv;
	struct vbe_queue *q = &b->q[Q_RX];

	return q->enabled && !nt->rx_len &&
	       (nt->rx_nchains || vbe_pending(b, q) > 0);
}

/*
 * The receive ring is gone (QUEUE_ENABLE 0): the held chains belong to it.
 * A frame waiting for them stays, for the ring enabled next.
 */
static void net_queue_disable(struct vbe *b, unsigned int index)
{
	struct net *nt = b->priv;

	if (index != Q_RX)
		return;
	nt->rx_nchains = 0;
	nt->rx_nsegs = 0;
	nt->rx_room = 0;
}

static void net_reset(struct vbe *b)
{
	struct net *nt = b->priv;

	/* held chains belong to the old rings; the frame had old offloads */
	nt->rx_nchains = 0;
	nt->rx_nsegs = 0;
	nt->rx_room = 0;
	nt->rx_len = 0;
	nt->features = 0;
	nt->offloads_set = false;
	if (nt->vnet_hdr && nt->tap_fd >= 0)
		ioctl(nt->tap_fd, TUNSETOFFLOAD, 0);
}

static void net_init_config(struct vbe *b)
{
	struct net *nt = b->priv;
	int i;

	for (i = 0; i < 6; i++)
		vbe_wr8(b, VBE_H_CONFIG + CFG_MAC + i, nt->mac[i]);
	vbe_wr16(b, VBE_H_CONFIG + CFG_STATUS, S_LINK_UP);
	vbe_wr16(b, VBE_H_CONFIG + CFG_MTU, nt->mtu);
}

static struct vbe_device net_device = {
	.name = "virtio-ivshmem-net",
	.id = VIRTIO_ID_NET,
	.features = BIT64(F_MAC) | BIT64(F_STATUS) | BIT64(F_MTU) | OFFLOADS,
	.nqueues = 2,
	.default_qsize = 256,
	.config_size = CFG_SIZE,
	.init_config = net_init_config,
	.reset = net_reset,
	.queue_disable = net_queue_disable,
	.serve = net_serve,
	.want_fd = net_want_fd,
};

/* Creates or attaches TAP device @name (may be a pattern like tap%d) */
static int net_tap_open(struct net *nt, const char *name, bool vnet_hdr)
{
	struct ifreq ifr = { 0 };
	int fd, sz = NET_HDR_LEN, le = 1;

	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		perror("virtio-ivshmem-net: /dev/net/tun");
		return -1;
	}
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (vnet_hdr ? IFF_VNET_HDR : 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		fprintf(stderr, "virtio-ivshmem-net: TAP device %s: %s\n",
			name, strerror(errno));
		goto err_close;
	}
	/* virtio 1 headers: 12 bytes, little-endian on any host */
	if (vnet_hdr && (ioctl(fd, TUNSETVNETHDRSZ, &sz) < 0 ||
			 ioctl(fd, TUNSETVNETLE, &le) < 0 ||
			 ioctl(fd, TUNSETOFFLOAD, 0) < 0)) {
		fprintf(stderr, "virtio-ivshmem-net: TAP header set-up: %s\n",
			strerror(errno));
		goto err_close;
	}
	nt->tap_fd = fd;
	nt->vnet_hdr = vnet_hdr;
	snprintf(nt->ifname, sizeof(nt->ifname), "%s", ifr.ifr_name);
	return 0;

err_close:
	close(fd);
	return -1;
}

static int parse_mac(uint8_t *mac, const char *s)
{
	unsigned int v[6];
	char end;
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5], &end) != 6)
		return -1;
	for (i = 0; i < 6; i++) {
		if (v[i] > 0xff)
			return -1;
		mac[i] = v[i];
	}
	/* a unicast address */
	return mac[0] & 1 ? -1 : 0;
}

static void print_usage(void)
{
	fprintf(stderr,
		"usage: virtio-ivshmem-net [-d DEVICE] [-t TAP] [-m MAC] [-M MTU] [-o] [-q SIZE] [-v]\n"
		"  -d DEVICE  uio_ivshmem device (uioN, PCI address or protocol=0x...),\n"
		"             default protocol=0xc001\n"
		"  -t TAP     TAP device to create or attach (default tap%%d)\n"
		"  -m MAC     the front-end's MAC address (default 02:69:76:73:68:NN,\n"
		"             NN = the front-end's peer ID)\n"
		"  -M MTU     MTU advised to the front-end, 68..65535 (default %u)\n"
		"  -o         no offloads: no checksum offload, TSO or mergeable\n"
		"             receive buffers, no virtio-net header on the TAP device\n"
		"  -q SIZE    queue size, a power of 2 up to %u (default 256)\n"
		"  -v         log to stderr\n", NET_MTU_DEFAULT,
		VBE_MAX_QUEUE_SIZE);
	exit(2);
}

static void print_stats(const struct net *nt, const struct vbe *b)
{
	fprintf(stderr,
		"virtio-ivshmem-net: tx_frames=%llu tx_bytes=%llu tx_errors=%llu rx_frames=%llu rx_bytes=%llu rx_dropped=%llu bad_requests=%lu\n",
		nt->st.tx_frames, nt->st.tx_bytes, nt->st.tx_errors,
		nt->st.rx_frames, nt->st.rx_bytes, nt->st.rx_dropped,
		b->bad_requests);
}

int main(int argc, char **argv)
{
	static struct vbe be = { .wait_fd = -1 };
	struct net *nt = &net_state;
	struct vbe *b = &be;
	const char *spec = NULL, *tap = "tap%d";
	bool offloads = true, mac_set = false;
	unsigned long mtu;
	int opt, ret;

	/* struct net_hdr is struct virtio_net_hdr_v1 */
	(void)sizeof(char[1 - 2 * (sizeof(struct net_hdr) != NET_HDR_LEN)]);
	nt->mtu = NET_MTU_DEFAULT;
	while ((opt = getopt(argc, argv, "d:t:m:M:oq:vh")) != -1) {
		switch (opt) {
		case 'd':
			spec = optarg;
			break;
		case 't':
			if (!*optarg || strlen(optarg) >= IFNAMSIZ)
				print_usage();
			tap = optarg;
			break;
		case 'm':
			if (parse_mac(nt->mac, optarg))
				print_usage();
			mac_set = true;
			break;
		case 'M':
			mtu = strtoul(optarg, NULL, 0);
			if (mtu < 68 || mtu > 65535)
				print_usage();
			nt->mtu = mtu;
			break;
		case 'o':
			offloads = false;
			break;
		case 'q':
			if (vbe_parse_qsize(b, optarg))
				print_usage();
			break;
		case 'v':
			b->verbose = 1;
			break;
		default:
			print_usage();
		}
	}

	if (!offloads)
		net_device.features &= ~OFFLOADS;
	b->priv = nt;
	if (vbe_open(b, &net_device, spec))
		return 1;
	if (!mac_set) {
		static const uint8_t def[6] = { 0x02, 0x69, 0x76, 0x73, 0x68 };

		memcpy(nt->mac, def, sizeof(nt->mac));
		nt->mac[5] = b->peer;
	}
	if (net_tap_open(nt, tap, offloads)) {
		ivshmem_close(&b->dev);
		return 1;
	}
	fprintf(stderr, "virtio-ivshmem-net: TAP device %s\n", nt->ifname);
	b->wait_fd = nt->tap_fd;
	ret = vbe_run(b);
	print_stats(nt, b);
	close(nt->tap_fd);
	return ret;
}
