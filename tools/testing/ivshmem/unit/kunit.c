// SPDX-License-Identifier: GPL-2.0
/*
 * Runs the KUnit suites linked into this host program (include/kunit/test.h
 * is a userspace stand-in for the KUnit API) and prints flat TAP: one
 * "ok N SUITE/CASE" line per test case, a failed expectation's message as
 * a "#" comment before it. Exit status 0 if every case passed or skipped.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <kunit/test.h>

#define MAX_SUITES	16

static struct kunit_suite *suites[MAX_SUITES];
static unsigned int nsuites;

void kunit_register_suite(struct kunit_suite *suite)
{
	if (nsuites == MAX_SUITES) {
		fprintf(stderr, "kunit: too many suites\n");
		exit(2);
	}
	suites[nsuites++] = suite;
}

void kunit_fail(struct kunit *test, const char *file, int line,
		const char *fmt, ...)
{
	va_list ap;

	test->failed = true;
	printf("# %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

noreturn void kunit_abort(struct kunit *test)
{
	longjmp(test->abort, 1);
}

/* Each allocation starts with a pointer to the previous one */
void *kunit_kzalloc(struct kunit *test, size_t size, gfp_t gfp)
{
	void **p = calloc(1, sizeof(void *) + size);

	if (!p)
		return NULL;
	*p = test->allocs;
	test->allocs = p;
	return p + 1;
}

static void kunit_free_all(struct kunit *test)
{
	void **p = test->allocs, **prev;

	while (p) {
		prev = *p;
		free(p);
		p = prev;
	}
	test->allocs = NULL;
}

/* Runs one case; returns true if it passed or skipped */
static bool kunit_run_case(struct kunit_suite *suite, struct kunit_case *c,
			   unsigned int n)
{
	struct kunit test = { .name = c->name };

	if (!setjmp(test.abort))
		c->run_case(&test);
	if (suite->exit)
		suite->exit(&test);
	kunit_free_all(&test);
	printf("%sok %u %s/%s", test.failed ? "not " : "", n, suite->name,
	       c->name);
	if (test.skip && !test.failed)
		printf(" # SKIP %s", test.skip);
	printf("\n");
	return !test.failed;
}

int main(void)
{
	unsigned int i, n = 0, failed = 0;
	struct kunit_case *c;

	for (i = 0; i < nsuites; i++)
		for (c = suites[i]->test_cases; c->run_case; c++)
			n++;
	printf("TAP version 13\n1..%u\n", n);

	n = 0;
	for (i = 0; i < nsuites; i++)
		for (c = suites[i]->test_cases; c->run_case; c++)
			if (!kunit_run_case(suites[i], c, ++n))
				failed++;
	return failed ? 1 : 0;
}
