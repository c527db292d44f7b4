/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * unit.h - the unit tier's tiny test framework.
 *
 * A test program is a set of UNIT_TEST(name) functions; CHECK*() records a
 * failure with file:line and the values, and the test goes on.  main()
 * (UNIT_MAIN) runs every test and prints one line per test:
 *   ok <name>            or    not ok <name>
 * and exits non-zero if any failed.  The Makefile's runner sums the lines
 * of all programs into "N passed, N failed".
 *
 * Random tests take their seed from UNIT_SEED (environment) or the time,
 * and print it so a failure can be replayed.
 */
#ifndef XPV_UNIT_H
#define XPV_UNIT_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct unit_test {
	const char *name;
	void (*fn)(void);
	struct unit_test *next;
};

extern struct unit_test *unit_tests;
extern int unit_failed_checks;

#define UNIT_TEST(n)							\
	static void n(void);						\
	static struct unit_test unit_##n = { #n, n, NULL };		\
	__attribute__((constructor)) static void unit_reg_##n(void)	\
	{								\
		struct unit_test **p = &unit_tests;			\
		while (*p)						\
			p = &(*p)->next;				\
		*p = &unit_##n;						\
	}								\
	static void n(void)

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		unit_failed_checks++;					\
		fprintf(stderr, "  %s:%d: CHECK(%s) failed\n",		\
			__FILE__, __LINE__, #cond);			\
	}								\
} while (0)

#define CHECK_EQ(a, b) do {						\
	long long _a = (long long)(a), _b = (long long)(b);		\
	if (_a != _b) {							\
		unit_failed_checks++;					\
		fprintf(stderr, "  %s:%d: %s == %s: %lld != %lld\n",	\
			__FILE__, __LINE__, #a, #b, _a, _b);		\
	}								\
} while (0)

/* Seed for random tests: $UNIT_SEED if set, else time; printed. */
static inline uint64_t unit_seed(const char *test)
{
	const char *s = getenv("UNIT_SEED");
	uint64_t seed = s ? strtoull(s, NULL, 0) : (uint64_t)time(NULL);

	fprintf(stderr, "  %s: seed %" PRIu64 " (replay: UNIT_SEED=%" PRIu64 ")\n",
		test, seed, seed);
	return seed;
}

/* xorshift64*: small, fast, deterministic for a given seed. */
static inline uint64_t unit_rand(uint64_t *state)
{
	uint64_t x = *state ? *state : 0x9e3779b97f4a7c15ull;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dull;
}

#define UNIT_MAIN							\
	struct unit_test *unit_tests;					\
	int unit_failed_checks;						\
	int main(void)							\
	{								\
		struct unit_test *t;					\
		int bad = 0;						\
		for (t = unit_tests; t; t = t->next) {			\
			int before = unit_failed_checks;		\
			t->fn();					\
			if (unit_failed_checks != before) {		\
				printf("not ok %s\n", t->name);		\
				bad++;					\
			} else {					\
				printf("ok %s\n", t->name);		\
			}						\
		}							\
		return bad ? 1 : 0;					\
	}

#endif /* XPV_UNIT_H */
