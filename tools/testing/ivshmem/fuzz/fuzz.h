/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libFuzzer harnesses for the virtio-over-IVSHMEM back-ends
 * (tools/virtio/ivshmem/). The fuzz input plays the front-end: it is a
 * small program that writes the shared R/W section (header fields through
 * write transactions, descriptors, avail entries, any byte) and lets the
 * back-end serve it. After every step the harness checks the back-end's
 * invariants; AddressSanitizer sees every access outside the section,
 * which is allocated to its exact size.
 *
 * Input format: one byte section size (8 KiB + 4 KiB * (b % 15)), one byte
 * vectors (1 + b % 8) and queue size (1 << (b >> 3) % 9), one byte filling
 * the section before the header is written, then operations: an opcode
 * byte (enum fuzz_op, modulo FUZZ_OP_NR) and its arguments, little-endian.
 * Reading past the end of the input gives zeros; the program ends there.
 */
#ifndef IVSHMEM_FUZZ_H
#define IVSHMEM_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdnoreturn.h>

#include "backend.h"

/* The operations of a fuzz program and their argument bytes */
enum fuzz_op {
	/* field(1) value(8): store a header field, write transaction */
	FUZZ_OP_WRITE,
	/* offset(4): a write transaction for any offset */
	FUZZ_OP_TRANSACTION,
	/* offset(4) len(1) bytes(len): store bytes anywhere in the section */
	FUZZ_OP_POKE,
	/* queue(1) index(2) mode(1) addr(2|8) len(2|4) flags(2) next(2) */
	FUZZ_OP_DESC,
	/* queue(1) head(2): append an avail entry, publish it */
	FUZZ_OP_AVAIL,
	/* queue(1) idx(2): store the avail index */
	FUZZ_OP_AVAIL_IDX,
	/* device-specific arguments: one round of the back-end's loop */
	FUZZ_OP_SERVE,
	/* queue(1) size(1) desc(2) avail(2) used(2) vector(1): set up */
	FUZZ_OP_QUEUE,
	/* mode(1) flip(8): negotiate features, DRIVER_OK */
	FUZZ_OP_DRIVER_OK,
	/* the back-end starts a new session: fresh header */
	FUZZ_OP_HEADER,
	FUZZ_OP_NR
};

/* The rest of the input; reads past its end return zeros */
struct fuzz_in {
	const uint8_t *p;
	size_t n;
};

uint8_t fuzz_u8(struct fuzz_in *in);
uint16_t fuzz_u16(struct fuzz_in *in);
uint32_t fuzz_u32(struct fuzz_in *in);
uint64_t fuzz_u64(struct fuzz_in *in);

/* One back-end under test */
struct fuzz_target {
	const struct vbe_device *vdev;
	/* every chain popped in a serve round is pushed in it */
	bool sync;
	/* before the program: the device's private state from the input */
	void (*start)(struct vbe *b, struct fuzz_in *in);
	/* one serve round, after the write transaction; may be NULL */
	void (*serve)(struct vbe *b, struct fuzz_in *in);
	/* after the program: final checks, free what start() allocated */
	void (*end)(struct vbe *b);
};

/*
 * libFuzzer's entry point, which each harness defines (the Makefile gives
 * it its CamelCase name)
 */
int fuzz_one_input(const uint8_t *data, size_t size);

/* Runs the program @data on a fresh section with back-end @t */
int fuzz_run(const struct fuzz_target *t, const uint8_t *data, size_t size);

/* The input of the running program (for vdev->serve() callbacks) */
extern struct fuzz_in *fuzz_cur;

/*
 * Checked wrappers the harnesses substitute for the back-end's calls
 * (#define vbe_pop fuzz_pop before including a back-end's source): they
 * check every returned segment and every used entry, and record the
 * writable segments of the chains a back-end holds, the only section bytes
 * it may change outside the header and the used rings.
 */
int fuzz_pending(struct vbe *b, struct vbe_queue *q);
int fuzz_pop(struct vbe *b, struct vbe_queue *q, struct vbe_seg *segs,
	     unsigned int max, uint16_t *head);
void fuzz_push(struct vbe *b, struct vbe_queue *q, uint16_t head,
	       uint32_t len);
void fuzz_add_used(struct vbe *b, struct vbe_queue *q, uint16_t head,
		   uint32_t len);
void fuzz_publish_used(struct vbe *b, struct vbe_queue *q);
/* vbe_serve_out() with the chains it pops and returns checked as above */
bool fuzz_serve_out(struct vbe *b, struct vbe_queue *q, int max,
		    void (*consume)(struct vbe *b, uint16_t head,
				    const struct vbe_seg *segs, int n));

/* Where the back-ends' messages go: /dev/null unless FUZZ_VERBOSE is set */
extern FILE *fuzz_stderr;

/* Fails the run with a message: an invariant of the back-end was broken */
#define fuzz_check(cond, ...)						\
	do {								\
		if (!(cond))						\
			fuzz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__); \
	} while (0)

noreturn void fuzz_fail(const char *file, int line, const char *cond,
		       const char *fmt, ...);

#endif /* IVSHMEM_FUZZ_H */
