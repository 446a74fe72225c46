// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_console: virtio-ivshmem-console's queue handling (serve_rx(),
 * console_out() through vbe_serve_out()) on the checked transport. The
 * back-end's source is included with its main() renamed and its
 * vbe_pending/pop/push/serve_out calls going through the checking
 * wrappers of fuzz_lib.c. Each serve round takes a length and
 * that many bytes of input for the receive queue (when the previous input
 * was consumed); the transmitted bytes go to /dev/null.
 */
#define _GNU_SOURCE	/* as the back-ends: before any system header */
#include <fcntl.h>
#include <stdio.h>

#include "fuzz.h"

#undef stderr
#define stderr fuzz_stderr
#define main console_main
#define vbe_pending fuzz_pending
#define vbe_pop fuzz_pop
#define vbe_push fuzz_push
#define vbe_serve_out fuzz_serve_out

#include "virtio-ivshmem-console.c"

/* from here on, the real functions */
#undef main
#undef vbe_pending
#undef vbe_pop
#undef vbe_push
#undef vbe_serve_out

static int null_fd = -1;

static void console_start(struct vbe *b, struct fuzz_in *in)
{
	if (null_fd < 0)
		null_fd = open("/dev/null", O_WRONLY);
	con.in_fd = -1;
	con.out_fd = null_fd;
	con.in_eof = true;
	con.in_len = 0;
	con.in_pos = 0;
}

static void console_fuzz_serve(struct vbe *b, struct fuzz_in *in)
{
	size_t len = fuzz_u16(in);

	if (con.in_pos >= con.in_len) {
		if (len > in->n)
			len = in->n;
		if (len > sizeof(con.inbuf))
			len = sizeof(con.inbuf);
		memcpy(con.inbuf, in->p, len);
		in->p += len;
		in->n -= len;
		con.in_len = len;
		con.in_pos = 0;
	}
	console_serve(b);
	fuzz_check(con.in_pos <= con.in_len, "input position %zu of %zu",
		   con.in_pos, con.in_len);
}

static const struct fuzz_target target = {
	.vdev = &console_device,
	.sync = true,
	.start = console_start,
	.serve = console_fuzz_serve,
};

int fuzz_one_input(const uint8_t *data, size_t size)
{
	return fuzz_run(&target, data, size);
}
