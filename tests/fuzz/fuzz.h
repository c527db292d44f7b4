/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fuzz.h - shared bits of the libFuzzer targets: an invariant check that
 * aborts (libFuzzer reports the input as a crash) and a byte reader that
 * yields zeros once the input is exhausted.
 */
#ifndef XPV_FUZZ_H
#define XPV_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: invariant failed: %s\n",	\
			__FILE__, __LINE__, #cond);			\
		abort();						\
	}								\
} while (0)

struct fuzz_in {
	const uint8_t *p;
	size_t left;
};

static inline uint64_t fuzz_take(struct fuzz_in *in, unsigned int bytes)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; i < bytes; i++) {
		uint8_t b = 0;

		if (in->left) {
			b = *in->p++;
			in->left--;
		}
		v |= (uint64_t)b << (8 * i);
	}
	return v;
}

#endif /* XPV_FUZZ_H */
