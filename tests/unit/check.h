/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The unit tests' checks, shared by every test binary: a failed check
 * prints file:line and what it saw, counts in `failures`, and the test goes
 * on (each binary exits 1 when failures != 0).
 */
#ifndef BPFPORT_TEST_CHECK_H
#define BPFPORT_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n",	\
				__FILE__, __LINE__, #cond);		\
			failures++;					\
		}							\
	} while (0)

#define CHECK_STR(a, b)							\
	do {								\
		const char *a_ = (a), *b_ = (b);			\
		if (!a_ || strcmp(a_, b_)) {				\
			fprintf(stderr, "%s:%d: %s == \"%s\", expected \"%s\"\n", \
				__FILE__, __LINE__, #a, a_ ? a_ : "(null)", b_); \
			failures++;					\
		}							\
	} while (0)

#define CHECK_HAS(hay, needle)						\
	do {								\
		const char *h_ = (hay), *n_ = (needle);			\
		if (!h_ || !strstr(h_, n_)) {				\
			fprintf(stderr, "%s:%d: \"%s\" not in: %s\n",	\
				__FILE__, __LINE__, n_, h_ ? h_ : "(null)"); \
			failures++;					\
		}							\
	} while (0)

/* ret must be @want and the message must contain @sub on one line */
#define CHECK_ERR(ret, want, err, sub)					\
	do {								\
		int r_ = (ret);						\
		if (r_ != (want) || !strstr((err), (sub)) || strchr((err), '\n')) { \
			fprintf(stderr, "%s:%d: %s = %d (%s), expected %d and \"%s\" in: %s\n", \
				__FILE__, __LINE__, #ret, r_, strerror(-r_), (want), \
				(sub), (err));				\
			failures++;					\
		}							\
	} while (0)

/* One group of checks: test_unit GROUP, test_util GROUP */
struct test_group {
	const char *name;
	void (*fn)(void);
};

/* Runs the group named by argv[1], or every group without one. The exit
 * status: 0, 1 when a check failed, 2 for an unknown group. */
static inline int run_groups(const struct test_group *groups, size_t n, int argc,
			     char **argv)
{
	size_t i;
	int ran = 0;

	for (i = 0; i < n; i++) {
		if (argc > 1 && strcmp(argv[1], groups[i].name))
			continue;
		groups[i].fn();
		ran++;
	}
	if (!ran) {
		fprintf(stderr, "unknown test group '%s'\n", argv[1]);
		return 2;
	}
	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	return failures ? 1 : 0;
}

/* Exit status when the test's data is absent: 77 (SKIP), but under CI,
 * which must skip nothing, a failure. */
static inline int skip_test(const char *reason)
{
	if (getenv("CI") && *getenv("CI")) {
		printf("FAIL: cannot run under CI: %s\n", reason);
		return 1;
	}
	printf("SKIP: %s\n", reason);
	return 77;
}

#endif
