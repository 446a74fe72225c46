// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_net: virtio-ivshmem-net's queue handling (net_tx_frame() through
 * vbe_serve_out(), net_serve_rx() with mergeable receive buffers) on the
 * checked transport, with the TAP device replaced by a datagram socket
 * pair: one datagram is one frame, as on a TAP device. After the section
 * bytes (fuzz.h), one input byte gives the TAP mode (bit 0: IFF_VNET_HDR
 * and the offloads, as without -o). Each serve round first sends up to 3
 * frames from the input (count, then length(2) and bytes each) to the
 * back-end's TAP end.
 *
 * Besides the transport's invariants:
 *
 * - every frame written to the TAP device is, in order, the readable bytes
 *   of a transmit chain as they were when the chain was popped (with
 *   num_buffers zeroed, or without the header when the TAP device has
 *   none), and tx_frames counts them;
 * - every frame copied into receive chains is, in order, one of the frames
 *   sent to the TAP device: its bytes after the virtio-net header are the
 *   frame's, it is copied whole, in order, each chain getting as many
 *   bytes as its used entry reports; num_buffers is the number of chains
 *   it took (1 without MRG_RXBUF), and the header only claims offloads the
 *   front-end negotiated.
 */
#define _GNU_SOURCE	/* as the back-ends: before any system header */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"

static bool netfz_serve_out(struct vbe *b, struct vbe_queue *q, int max,
			    void (*consume)(struct vbe *b, uint16_t head,
					    const struct vbe_seg *segs, int n));
static void netfz_add_used(struct vbe *b, struct vbe_queue *q, uint16_t head,
			   uint32_t len);
static uint32_t netfz_copy_to(struct vbe *b, const struct vbe_seg *s, int n,
			      uint32_t skip, const void *src, uint32_t len);

#undef stderr
#define stderr fuzz_stderr
#define main net_main
#define vbe_pending fuzz_pending
#define vbe_pop fuzz_pop
#define vbe_add_used netfz_add_used
#define vbe_copy_to netfz_copy_to
#define vbe_publish_used fuzz_publish_used
#define vbe_push fuzz_push
#define vbe_serve_out netfz_serve_out

#include "virtio-ivshmem-net.c"

/* from here on, the real functions */
#undef main
#undef vbe_pending
#undef vbe_pop
#undef vbe_add_used
#undef vbe_copy_to
#undef vbe_publish_used
#undef vbe_push
#undef vbe_serve_out

#define TX_MAX			(NET_BATCH + 1)
#define INJ_MAX			8
#define FRAMES_PER_ROUND	3

static int sv[2] = { -1, -1 };	/* [0]: the back-end's TAP fd, [1]: ours */
static uint64_t base_features;

/* transmit chains popped in this round: their readable bytes */
static struct {
	uint8_t data[NET_BUF_LEN];
	uint32_t len;
	bool frame;		/* could be a frame: readable, not too long */
} tx[TX_MAX];
static unsigned int ntx;
static uint64_t tx_frames_before;

/* frames sent to the TAP device, oldest first */
static struct {
	uint8_t data[NET_BUF_LEN];
	uint32_t len;
} inj[INJ_MAX];
static unsigned int ninj;

/* the frame being copied into receive chains */
static struct {
	bool active;
	uint32_t done;		/* bytes copied */
	unsigned int chains;	/* chains they went to */
	uint32_t part;		/* the last copy, for its used entry */
} rx;

/* the back-end's consumer of transmit chains (net_tx_frame()) */
static void (*tx_consume)(struct vbe *b, uint16_t head,
			  const struct vbe_seg *segs, int n);

/* A transmit chain, before the back-end takes it: its readable bytes */
static void netfz_tx_chain(struct vbe *b, uint16_t head,
			   const struct vbe_seg *segs, int n)
{
	uint64_t total = 0;
	int i;

	fuzz_check(ntx < TX_MAX, "%u transmit chains in a round", ntx);
	tx[ntx].frame = n > 0;
	for (i = 0; i < n; i++) {
		if (segs[i].writable || total + segs[i].len > NET_BUF_LEN) {
			tx[ntx].frame = false;
			break;
		}
		memcpy(tx[ntx].data + total, b->shm + segs[i].off, segs[i].len);
		total += segs[i].len;
	}
	tx[ntx++].len = total;
	tx_consume(b, head, segs, n);
}

static bool netfz_serve_out(struct vbe *b, struct vbe_queue *q, int max,
			    void (*consume)(struct vbe *b, uint16_t head,
					    const struct vbe_seg *segs, int n))
{
	tx_consume = consume;
	return fuzz_serve_out(b, q, max, netfz_tx_chain);
}

/*
 * A frame went into receive chains: one of the frames sent, in order, with
 * num_buffers the chains it took and only offloads the front-end asked for
 */
static void rx_frame_done(const struct net *nt)
{
	uint32_t len = nt->rx_len - NET_HDR_LEN;
	uint32_t skip = nt->vnet_hdr ? NET_HDR_LEN : 0;
	struct net_hdr h;
	unsigned int i;

	net_hdr_load(&h, nt->rx_buf);
	fuzz_check(h.num_buffers == rx.chains, "num_buffers %u, %u chains",
		   h.num_buffers, rx.chains);
	fuzz_check(rx.chains == 1 || has(nt, F_MRG_RXBUF),
		   "%u chains without MRG_RXBUF", rx.chains);
	fuzz_check(has(nt, F_GUEST_CSUM) || !h.flags,
		   "checksum flags 0x%x without GUEST_CSUM", h.flags);
	fuzz_check(h.gso_type == GSO_NONE ||
		   (h.gso_type == GSO_TCPV4 && has(nt, F_GUEST_TSO4)) ||
		   (h.gso_type == GSO_TCPV6 && has(nt, F_GUEST_TSO6)),
		   "segmentation type %u not negotiated", h.gso_type);
	for (i = 0; i < ninj; i++)
		if (inj[i].len == skip + len &&
		    !memcmp(inj[i].data + skip, nt->rx_buf + NET_HDR_LEN, len))
			break;
	fuzz_check(i < ninj, "received a %u-byte frame that was never sent",
		   len);
	/* the frames before it were dropped */
	memmove(inj, inj + i + 1, (ninj - i - 1) * sizeof(inj[0]));
	ninj -= i + 1;
}

/* The receive path copies the held frame, in order, chain by chain */
static uint32_t netfz_copy_to(struct vbe *b, const struct vbe_seg *s, int n,
			      uint32_t skip, const void *src, uint32_t len)
{
	struct net *nt = b->priv;
	const uint8_t *p = src;
	uint32_t c;

	fuzz_check(p >= nt->rx_buf && len <= nt->rx_len &&
		   p - nt->rx_buf <= nt->rx_len - len,
		   "receive copy from outside the frame");
	if (p == nt->rx_buf) {
		fuzz_check(!rx.active, "a frame begins inside another");
		rx.active = true;
		rx.done = 0;
		rx.chains = 0;
	}
	fuzz_check(rx.active && p == nt->rx_buf + rx.done,
		   "receive copy at %td, %u bytes done", p - nt->rx_buf,
		   rx.done);
	c = vbe_copy_to(b, s, n, skip, src, len);
	fuzz_check(c == len, "%u of %u bytes fit the receive chain", c, len);
	rx.done += len;
	rx.chains++;
	rx.part = len;
	if (rx.done == nt->rx_len) {
		rx_frame_done(nt);
		rx.active = false;
	}
	return c;
}

static void netfz_add_used(struct vbe *b, struct vbe_queue *q, uint16_t head,
			   uint32_t len)
{
	/* a receive chain reports what was copied into it, or nothing */
	if (q == &b->q[Q_RX]) {
		fuzz_check(len == rx.part || !len,
			   "used len %u, %u bytes copied", len, rx.part);
		rx.part = 0;
	}
	fuzz_add_used(b, q, head, len);
}

static void drain(int fd)
{
	uint8_t buf[64];

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
		;
}

static void net_start(struct vbe *b, struct fuzz_in *in)
{
	struct net *nt = &net_state;
	int sz = 1 << 20;

	if (sv[0] < 0) {
		fuzz_check(!socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0,
				       sv), "socketpair");
		setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
		setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
		base_features = net_device.features;
	}
	drain(sv[0]);
	drain(sv[1]);
	nt->tap_fd = sv[0];
	nt->vnet_hdr = fuzz_u8(in) & 1;
	net_device.features = base_features;
	if (!nt->vnet_hdr)
		net_device.features &= ~OFFLOADS;
	nt->mtu = NET_MTU_DEFAULT;
	memcpy(nt->mac, "\x02\x69\x76\x73\x68\x01", 6);
	memset(&nt->st, 0, sizeof(nt->st));
	b->priv = nt;
	net_reset(b);
	ninj = 0;
	memset(&rx, 0, sizeof(rx));
}

/* Frames on the TAP device: transmit chains, in order */
static void check_tx(struct vbe *b)
{
	struct net *nt = b->priv;
	static uint8_t f[NET_BUF_LEN + 1];
	unsigned int i = 0, frames = 0;
	uint32_t skip = nt->vnet_hdr ? 0 : NET_HDR_LEN;
	ssize_t r;

	while ((r = recv(sv[1], f, sizeof(f), MSG_DONTWAIT)) >= 0) {
		fuzz_check(r + skip >= NET_HDR_LEN + ETH_HDR_LEN &&
			   r + skip <= NET_BUF_LEN, "%zd-byte frame", r);
		/* the header went out with num_buffers 0 */
		for (; i < ntx; i++) {
			if (!tx[i].frame || tx[i].len != r + skip)
				continue;
			if (!skip)
				memset(tx[i].data + 10, 0, 2);
			if (!memcmp(tx[i].data + skip, f, r))
				break;
		}
		fuzz_check(i < ntx, "sent a %zd-byte frame that no chain had",
			   r);
		i++;
		frames++;
	}
	fuzz_check(nt->st.tx_frames - tx_frames_before == frames,
		   "%llu frames counted, %u sent",
		   nt->st.tx_frames - tx_frames_before, frames);
}

static void net_fuzz_serve(struct vbe *b, struct fuzz_in *in)
{
	struct net *nt = b->priv;
	unsigned int n = fuzz_u8(in) % (FRAMES_PER_ROUND + 1), i;
	uint8_t peek;
	size_t len;

	for (i = 0; i < n; i++) {
		len = fuzz_u16(in);
		if (len > in->n)
			len = in->n;
		if (len > NET_BUF_LEN)
			len = NET_BUF_LEN;
		if (ninj < INJ_MAX &&
		    send(sv[1], in->p, len, MSG_DONTWAIT) == (ssize_t)len) {
			memcpy(inj[ninj].data, in->p, len);
			inj[ninj++].len = len;
		}
		in->p += len;
		in->n -= len;
	}
	ntx = 0;
	tx_frames_before = nt->st.tx_frames;
	net_serve(b);
	check_tx(b);
	/* everything sent was read: only a held frame can still come */
	if (recv(sv[0], &peek, 1, MSG_PEEK | MSG_DONTWAIT) < 0 &&
	    errno == EAGAIN) {
		if (nt->rx_len && ninj) {
			inj[0] = inj[ninj - 1];
			ninj = 1;
		} else {
			ninj = 0;
		}
	}
}

static const struct fuzz_target target = {
	.vdev = &net_device,
	.sync = false,
	.start = net_start,
	.serve = net_fuzz_serve,
};

int fuzz_one_input(const uint8_t *data, size_t size)
{
	return fuzz_run(&target, data, size);
}
