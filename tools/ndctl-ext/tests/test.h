/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * test.h - the smallest test framework: CHECK() counts, "ok"/"not ok"
 * lines per test, a summary line, exit 1 on any failure.
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#ifndef NDXEN_TEST_H
#define NDXEN_TEST_H

#include <stdio.h>

extern int t_fails, t_checks;

#define CHECK(cond) do {						\
	t_checks++;							\
	if (!(cond)) {							\
		t_fails++;						\
		fprintf(stderr, "  %s:%d: CHECK(%s) failed\n",		\
			__FILE__, __LINE__, #cond);			\
	}								\
} while (0)

#define CHECK_EQ_ULL(a, b) do {						\
	unsigned long long _a = (a), _b = (b);				\
	t_checks++;							\
	if (_a != _b) {							\
		t_fails++;						\
		fprintf(stderr, "  %s:%d: %s == %s: %llu != %llu\n",	\
			__FILE__, __LINE__, #a, #b, _a, _b);		\
	}								\
} while (0)

#endif
