// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-ivshmem-console: virtio console back-end for virtio over IVSHMEM
 * (protocol C003h) on a uio_ivshmem device. Bytes read from the input (stdin
 * or -i FILE) go to the front-end's receive queue, bytes the front-end
 * transmits go to the output (stdout or -o FILE). With -p, a new pseudo
 * terminal is both: its name goes to stdout, and a terminal program (or
 * anything else) can open it, close it and open it again at any time.
 *
 * The front-end is not trusted: every offset, length, index and descriptor
 * chain it writes into the shared memory is read once and checked; a bad
 * request is returned unprocessed, a broken ring sets DEVICE_NEEDS_RESET.
 * The back-end can be stopped and restarted at any time; the front-end then
 * removes and re-creates its virtio device. See
 * Documentation/virtio/ivshmem.rst.
 */
#define _GNU_SOURCE	/* posix_openpt(), ptsname() */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "backend.h"

#define VIRTIO_ID_CONSOLE	3
#define F_CONSOLE_SIZE		0

#define Q_RX			0	/* front-end receives */
#define Q_TX			1	/* front-end transmits */

struct console {
	int in_fd, out_fd;
	bool in_eof;
	bool pty;		/* in_fd == out_fd, a pty master */
	int pty_slave;		/* held open: no hangup when users close it */
	unsigned long dropped;	/* output bytes nobody read (pty full) */
	uint8_t inbuf[65536];
	size_t in_len, in_pos;
};

static struct console con;

static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t r = write(fd, p, len);

		if (r < 0 && errno == EINTR)
			continue;
		/*
		 * A pty nobody reads fills up: drop, like a serial line,
		 * rather than hold the front-end's buffer (its console
		 * waits for it with interrupts off).
		 */
		if (r < 0 && errno == EAGAIN && con.pty) {
			con.dropped += len;
			return 0;
		}
		if (r <= 0)
			return -1;
		p += r;
		len -= r;
	}
	return 0;
}

/*
 * A new pty as input and output, raw, its name on stdout. We keep the
 * slave open ourselves: its users may come and go, the master never sees a
 * hangup, and what the front-end writes meanwhile waits in the pty.
 */
static int open_pty(void)
{
	struct termios t;
	const char *name;
	int fd;

	fd = posix_openpt(O_RDWR | O_NOCTTY);
	if (fd < 0 || grantpt(fd) || unlockpt(fd)) {
		perror("virtio-ivshmem-console: pty");
		return -1;
	}
	name = ptsname(fd);
	if (!name) {
		perror("virtio-ivshmem-console: ptsname");
		return -1;
	}
	con.pty_slave = open(name, O_RDWR | O_NOCTTY);
	if (con.pty_slave < 0 || tcgetattr(con.pty_slave, &t)) {
		perror(name);
		return -1;
	}
	cfmakeraw(&t);
	if (tcsetattr(con.pty_slave, TCSANOW, &t)) {
		perror(name);
		return -1;
	}
	con.pty = true;
	con.in_fd = fd;
	con.out_fd = fd;
	printf("%s\n", name);
	fflush(stdout);
	return 0;
}

/* A chain of the front-end's transmit queue: copy it to the output */
static void console_out(struct vbe *b, uint16_t head,
			const struct vbe_seg *segs, int n)
{
	static uint8_t copy[65536];
	uint32_t done, chunk;
	int i;

	for (i = 0; i < n; i++) {
		if (segs[i].writable) {
			vbe_reject(b, "writable transmit buffer", i);
			return;
		}
		/* copy out before use: the front-end may change it */
		for (done = 0; done < segs[i].len; done += chunk) {
			chunk = segs[i].len - done;
			if (chunk > sizeof(copy))
				chunk = sizeof(copy);
			memcpy(copy, b->shm + segs[i].off + done, chunk);
			if (write_all(con.out_fd, copy, chunk))
				fprintf(stderr,
					"virtio-ivshmem-console: output: %s\n",
					strerror(errno));
		}
	}
}

/* Front-end receive queue: fill its buffers from the input */
static bool serve_rx(struct vbe *b)
{
	struct vbe_queue *q = &b->q[Q_RX];
	struct vbe_seg segs[VBE_MAX_QUEUE_SIZE];
	bool did = false;
	uint16_t head;
	uint32_t c;
	int pending, n;

	if (!q->enabled)
		return false;
	while (con.in_pos < con.in_len) {
		pending = vbe_pending(b, q);
		if (pending < 0) {
			vbe_needs_reset(b, "receive avail index");
			break;
		}
		if (!pending)
			break;
		n = vbe_pop(b, q, segs, VBE_MAX_QUEUE_SIZE, &head);
		if (n < 0) {
			vbe_needs_reset(b, "receive avail entry");
			break;
		}
		if (n && !segs[0].writable) {
			vbe_reject(b, "readable receive buffer", head);
			n = 0;
		}
		c = vbe_copy_to(b, segs, n, 0, con.inbuf + con.in_pos,
				con.in_len - con.in_pos);
		con.in_pos += c;
		vbe_push(b, q, head, c);
		did = true;
	}
	vbe_notify(b, q);
	return did;
}

static void read_input(struct vbe *b)
{
	ssize_t r;

	if (con.in_eof || con.in_pos < con.in_len)
		return;
	r = read(con.in_fd, con.inbuf, sizeof(con.inbuf));
	if (r > 0) {
		con.in_len = r;
		con.in_pos = 0;
	} else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
		vbe_log(b, "input: end\n");
		con.in_eof = true;
	}
}

static bool console_serve(struct vbe *b)
{
	bool work;

	read_input(b);
	work = serve_rx(b);
	work |= vbe_serve_out(b, &b->q[Q_TX], VBE_MAX_QUEUE_SIZE, console_out);
	return work;
}

static bool console_want_fd(struct vbe *b)
{
	return !con.in_eof && con.in_pos >= con.in_len;
}

static void console_init_config(struct vbe *b)
{
	/* struct virtio_console_config: 80 columns, 25 rows, one port */
	vbe_wr16(b, VBE_H_CONFIG, 80);
	vbe_wr16(b, VBE_H_CONFIG + 2, 25);
	vbe_wr32(b, VBE_H_CONFIG + 4, 1);
}

static const struct vbe_device console_device = {
	.name = "virtio-ivshmem-console",
	.id = VIRTIO_ID_CONSOLE,
	.features = 1ULL << F_CONSOLE_SIZE,
	.nqueues = 2,
	.default_qsize = 16,
	/* cols, rows, max_nr_ports, emerg_wr (not offered) */
	.config_size = 12,
	.init_config = console_init_config,
	.serve = console_serve,
	.want_fd = console_want_fd,
};

static void print_usage(void)
{
	fprintf(stderr,
		"usage: virtio-ivshmem-console [-d DEVICE] [-i IN] [-o OUT | -p] [-q SIZE] [-v]\n"
		"  -d DEVICE  uio_ivshmem device (uioN, PCI address or protocol=0x...),\n"
		"             default protocol=0xc003\n"
		"  -i IN      input sent to the front-end (default stdin)\n"
		"  -o OUT     where the front-end's output goes (default stdout)\n"
		"  -p         a new pty (raw) for input and output instead; prints\n"
		"             its name (/dev/pts/N) on stdout; it may be opened and\n"
		"             closed any number of times, output nobody reads is\n"
		"             dropped once the pty is full\n"
		"  -q SIZE    queue size, a power of 2 up to %u (default 16)\n"
		"  -v         log to stderr\n", VBE_MAX_QUEUE_SIZE);
	exit(2);
}

int main(int argc, char **argv)
{
	static struct vbe be = { .wait_fd = -1 };
	struct vbe *b = &be;
	const char *spec = NULL;
	bool in_set = false, pty = false;
	int opt, fl, ret;

	con.in_fd = STDIN_FILENO;
	con.out_fd = STDOUT_FILENO;
	con.pty_slave = -1;
	while ((opt = getopt(argc, argv, "d:i:o:pq:vh")) != -1) {
		switch (opt) {
		case 'd':
			spec = optarg;
			break;
		case 'i':
			con.in_fd = open(optarg, O_RDONLY);
			if (con.in_fd < 0) {
				perror(optarg);
				return 1;
			}
			in_set = true;
			break;
		case 'o':
			con.out_fd = open(optarg, O_WRONLY | O_CREAT | O_TRUNC,
					  0644);
			if (con.out_fd < 0) {
				perror(optarg);
				return 1;
			}
			in_set = true;
			break;
		case 'p':
			pty = true;
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

	if (pty && in_set)
		print_usage();
	if (vbe_open(b, &console_device, spec))
		return 1;
	if (pty && open_pty())
		return 1;
	/* for a pty also the output: full means drop (write_all()) */
	fl = fcntl(con.in_fd, F_GETFL);
	if (fl >= 0)
		fcntl(con.in_fd, F_SETFL, fl | O_NONBLOCK);
	b->wait_fd = con.in_fd;
	ret = vbe_run(b);
	if (con.dropped)
		fprintf(stderr,
			"virtio-ivshmem-console: %lu output byte(s) dropped, nobody read the pty\n",
			con.dropped);
	return ret;
}
