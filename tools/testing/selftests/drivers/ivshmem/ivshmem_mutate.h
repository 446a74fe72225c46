/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Seeded, reproducible mutations of shared memory for the hostile peers of
 * the IVSHMEM v2 tests (ivshmem-net, uio_ivshmem, virtio over IVSHMEM).
 *
 * A protocol describes the fields of the memory it owns (offset, size,
 * element count and stride) and the values that sit on its boundaries (ring
 * size, section size, ...). Each mutation picks, from the seeded generator,
 * either a field element and one of these operations:
 *
 *   random    a random value of the field's width
 *   boundary  0, 1, all ones, the sign bit, a protocol value or one next
 *             to it
 *   delta     the current value plus -8..+8
 *   bitflip   the current value with one bit flipped
 *
 * or a run of 1..64 random bytes anywhere in the memory ("bytes"). Fields
 * are picked in proportion to their weight (MUT_FIELDW, 1 by default). Each
 * store is a single access of the field's width. The same seed gives the
 * same sequence of mutations; their timing relative to the victim is not
 * reproducible. Counts per operation and per field are kept for the
 * report (mut_report()), with the rate since mut_init(): call it when the
 * victim is there.
 */
#ifndef IVSHMEM_MUTATE_H
#define IVSHMEM_MUTATE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

enum mut_op {
	MUT_RANDOM,
	MUT_BOUNDARY,
	MUT_DELTA,
	MUT_BITFLIP,
	MUT_BYTES,
	MUT_NOPS,
};

static const char * const mut_op_names[MUT_NOPS] = {
	"random", "boundary", "delta", "bitflip", "bytes",
};

/*
 * One field: @count elements of @size bytes, @stride apart, from @off,
 * picked with @weight (0 counts as 1)
 */
struct mut_field {
	const char *name;
	uint32_t off;
	uint8_t size;
	uint32_t count;
	uint32_t stride;
	uint32_t weight;
	uint64_t hits;
};

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

#define MUT_FIELDW(n, o, sz, c, st, w) \
	{ .name = (n), .off = (o), .size = (sz), .count = (c), .stride = (st), \
	  .weight = (w) }
#define MUT_FIELD(n, o, sz, c, st) MUT_FIELDW(n, o, sz, c, st, 1)

struct mut_ctx {
	uint64_t rng;			/* splitmix64 state */
	uint8_t *mem;			/* what the mutations may write */
	size_t len;
	struct mut_field *fields;
	unsigned int nfields;
	const uint64_t *special;	/* protocol boundary values */
	unsigned int nspecial;
	uint64_t weights;		/* sum of the field weights */
	uint64_t ops[MUT_NOPS];
	uint64_t total;
	uint64_t t0_ms;			/* when mut_init() ran */
};

static inline uint64_t mut_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* splitmix64: a full-period 64-bit generator, good enough for fuzzing */
static inline uint64_t mut_rand(struct mut_ctx *m)
{
	uint64_t z = (m->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A number below @n (0 if @n is 0) */
static inline uint64_t mut_below(struct mut_ctx *m, uint64_t n)
{
	return n ? mut_rand(m) % n : 0;
}

static inline void mut_init(struct mut_ctx *m, uint64_t seed, void *mem,
			    size_t len, struct mut_field *fields,
			    unsigned int nfields, const uint64_t *special,
			    unsigned int nspecial)
{
	unsigned int i;

	m->rng = seed;
	m->mem = mem;
	m->len = len;
	m->fields = fields;
	m->nfields = nfields;
	m->special = special;
	m->nspecial = nspecial;
	for (i = 0; i < MUT_NOPS; i++)
		m->ops[i] = 0;
	m->weights = 0;
	for (i = 0; i < nfields; i++) {
		fields[i].hits = 0;
		m->weights += fields[i].weight ? fields[i].weight : 1;
	}
	m->total = 0;
	m->t0_ms = mut_now_ms();
}

static inline uint64_t mut_load(const uint8_t *p, unsigned int size)
{
	switch (size) {
	case 1:
		return __atomic_load_n(p, __ATOMIC_RELAXED);
	case 2:
		return __atomic_load_n((const uint16_t *)p, __ATOMIC_RELAXED);
	case 4:
		return __atomic_load_n((const uint32_t *)p, __ATOMIC_RELAXED);
	default:
		return __atomic_load_n((const uint64_t *)p, __ATOMIC_RELAXED);
	}
}

static inline void mut_store(uint8_t *p, unsigned int size, uint64_t v)
{
	switch (size) {
	case 1:
		__atomic_store_n(p, (uint8_t)v, __ATOMIC_RELAXED);
		break;
	case 2:
		__atomic_store_n((uint16_t *)p, (uint16_t)v, __ATOMIC_RELAXED);
		break;
	case 4:
		__atomic_store_n((uint32_t *)p, (uint32_t)v, __ATOMIC_RELAXED);
		break;
	default:
		__atomic_store_n((uint64_t *)p, v, __ATOMIC_RELAXED);
		break;
	}
}

/* A value on a boundary of a field @size bytes wide */
static inline uint64_t mut_boundary(struct mut_ctx *m, unsigned int size)
{
	uint64_t mask = size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
	uint64_t v;

	switch (mut_below(m, 6)) {
	case 0:
		return 0;
	case 1:
		return 1;
	case 2:
		return mask;
	case 3:
		return (mask >> 1) + 1;		/* sign bit */
	default:
		if (!m->nspecial)
			return mask >> 1;
		v = m->special[mut_below(m, m->nspecial)];
		return v + mut_below(m, 3) - 1;	/* v - 1, v or v + 1 */
	}
}

/* One operation on element @idx of field @f; returns the operation */
static inline enum mut_op mut_elem(struct mut_ctx *m, struct mut_field *f,
				   uint32_t idx)
{
	uint8_t *p = m->mem + f->off + (size_t)(idx % f->count) * f->stride;
	enum mut_op op = mut_below(m, MUT_BYTES);
	uint64_t v;

	switch (op) {
	case MUT_RANDOM:
		v = mut_rand(m);
		break;
	case MUT_BOUNDARY:
		v = mut_boundary(m, f->size);
		break;
	case MUT_DELTA:
		v = mut_load(p, f->size) + mut_below(m, 17) - 8;
		break;
	default:
		v = mut_load(p, f->size) ^ (1ull << mut_below(m, f->size * 8));
		break;
	}
	mut_store(p, f->size, v);
	f->hits++;
	m->ops[op]++;
	m->total++;
	return op;
}

/* One operation on a random element of field @f */
static inline enum mut_op mut_field_op(struct mut_ctx *m, struct mut_field *f)
{
	return mut_elem(m, f, mut_below(m, f->count));
}

/* 1..64 random bytes at a random place of the memory */
static inline void mut_bytes(struct mut_ctx *m)
{
	size_t n = 1 + mut_below(m, 64), at;

	if (n > m->len)
		n = m->len;
	at = mut_below(m, m->len - n + 1);
	while (n--)
		mut_store(m->mem + at++, 1, mut_rand(m));
}

/* A field, picked in proportion to the weights */
static inline struct mut_field *mut_pick(struct mut_ctx *m)
{
	uint64_t w = mut_below(m, m->weights);
	unsigned int i;

	for (i = 0; i < m->nfields - 1; i++) {
		uint32_t fw = m->fields[i].weight ? m->fields[i].weight : 1;

		if (w < fw)
			break;
		w -= fw;
	}
	return &m->fields[i];
}

/*
 * One mutation: a field operation, or random bytes one time in @bytes_in
 * (never if 0). Returns the operation.
 */
static inline enum mut_op mut_one(struct mut_ctx *m, unsigned int bytes_in)
{
	enum mut_op op;

	if (!m->nfields || (bytes_in && !mut_below(m, bytes_in))) {
		mut_bytes(m);
		op = MUT_BYTES;
		m->ops[op]++;
		m->total++;
	} else {
		op = mut_field_op(m, mut_pick(m));
	}
	return op;
}

/* Diagnostic lines (KTAP "# ") with the counts */
static inline void mut_report(const struct mut_ctx *m, const char *who)
{
	uint64_t ms = mut_now_ms() - m->t0_ms;
	unsigned int i;

	printf("# %s: mutation rate: %llu per s (%llu in %llu ms)\n", who,
	       (unsigned long long)(m->total * 1000 / (ms ? ms : 1)),
	       (unsigned long long)m->total, (unsigned long long)ms);
	printf("# %s: %llu mutations:", who, (unsigned long long)m->total);
	for (i = 0; i < MUT_NOPS; i++)
		printf(" %s %llu", mut_op_names[i],
		       (unsigned long long)m->ops[i]);
	printf("\n# %s: fields:", who);
	for (i = 0; i < m->nfields; i++)
		printf(" %s %llu", m->fields[i].name,
		       (unsigned long long)m->fields[i].hits);
	printf("\n");
}

#endif /* IVSHMEM_MUTATE_H */
