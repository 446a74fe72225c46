/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in for <kunit/test.h>: the part of the KUnit API that the
 * suites of header-only helpers use, so that the same suite source runs as
 * a host program (kunit.c prints TAP). See ../../README.
 */
#ifndef _SHIM_KUNIT_TEST_H
#define _SHIM_KUNIT_TEST_H

#include <setjmp.h>
#include <stdnoreturn.h>
#include <linux/types.h>

#define GFP_KERNEL	0

struct kunit {
	const char *name;
	bool failed;
	const char *skip;	/* reason, if skipped */
	jmp_buf abort;		/* assertion failed or skipped */
	void *allocs;		/* kunit_kzalloc() memory, freed after */
	void *priv;
	const void *param_value;
};

struct kunit_case {
	void (*run_case)(struct kunit *test);
	const char *name;
};

struct kunit_suite {
	const char *name;
	void (*exit)(struct kunit *test);
	struct kunit_case *test_cases;
};

#define KUNIT_CASE(fn)	{ .run_case = fn, .name = #fn }

void kunit_register_suite(struct kunit_suite *suite);
#define kunit_test_suite(suite)						\
	static void __attribute__((constructor)) suite##_register(void)	\
	{								\
		kunit_register_suite(&(suite));				\
	}

void kunit_fail(struct kunit *test, const char *file, int line,
		const char *fmt, ...);
noreturn void kunit_abort(struct kunit *test);
void *kunit_kzalloc(struct kunit *test, size_t size, gfp_t gfp);

#define kunit_skip(test, reason)					\
	do {								\
		struct kunit *__t = (test);				\
									\
		__t->skip = (reason);					\
		kunit_abort(__t);					\
	} while (0)

/* Compare as integers, print both values in hexadecimal on failure */
#define KUNIT_SHIM_BINARY(test, left, op, right, fatal, fmt, ...)	\
	do {								\
		struct kunit *__t = (test);				\
		const __typeof__(left) __l = (left);			\
		const __typeof__(right) __r = (right);			\
									\
		if (!(__l op __r)) {					\
			kunit_fail(__t, __FILE__, __LINE__,		\
				   "Expected %s %s %s: 0x%llx, 0x%llx" fmt, \
				   #left, #op, #right,			\
				   (unsigned long long)__l,		\
				   (unsigned long long)__r,		\
				   ##__VA_ARGS__);			\
			if (fatal)					\
				kunit_abort(__t);			\
		}							\
	} while (0)

#define KUNIT_EXPECT_EQ(test, l, r)	KUNIT_SHIM_BINARY(test, l, ==, r, 0, "")
#define KUNIT_ASSERT_EQ(test, l, r)	KUNIT_SHIM_BINARY(test, l, ==, r, 1, "")
#define KUNIT_EXPECT_EQ_MSG(test, l, r, fmt, ...) \
	KUNIT_SHIM_BINARY(test, l, ==, r, 0, ": " fmt, ##__VA_ARGS__)
#define KUNIT_EXPECT_TRUE(test, c) \
	KUNIT_SHIM_BINARY(test, !!(c), ==, 1, 0, "")
#define KUNIT_EXPECT_FALSE(test, c) \
	KUNIT_SHIM_BINARY(test, !(c), ==, 1, 0, "")
#define KUNIT_ASSERT_NOT_ERR_OR_NULL(test, p) \
	KUNIT_SHIM_BINARY(test, (p) != NULL, ==, 1, 1, "")

#endif
