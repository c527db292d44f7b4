/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Userspace shim: the subset of <linux/bitops.h> the pure-logic files use,
 * with the kernel's semantics: test_and_*_bit() and set_bit()/clear_bit()
 * are atomic (here: GCC __atomic builtins, sequentially consistent for the
 * test_and_ forms, like the kernel's fully ordered ones), the __ forms are
 * not.  Bit @nr counts from bit 0 of addr[0], BITS_PER_LONG bits a word.
 */
#ifndef XPV_SHIM_LINUX_BITOPS_H
#define XPV_SHIM_LINUX_BITOPS_H

#include <stdbool.h>

#define BITS_PER_LONG	(8 * (int)sizeof(unsigned long))
#define BIT_WORD(nr)	((nr) / BITS_PER_LONG)
#define BIT_MASK(nr)	(1ul << ((nr) % BITS_PER_LONG))

static inline bool test_bit(unsigned long nr, const volatile unsigned long *addr)
{
	return __atomic_load_n(&addr[BIT_WORD(nr)], __ATOMIC_RELAXED) &
	       BIT_MASK(nr);
}

static inline bool test_and_set_bit(unsigned long nr,
				    volatile unsigned long *addr)
{
	return __atomic_fetch_or(&addr[BIT_WORD(nr)], BIT_MASK(nr),
				 __ATOMIC_SEQ_CST) & BIT_MASK(nr);
}

static inline bool test_and_clear_bit(unsigned long nr,
				      volatile unsigned long *addr)
{
	return __atomic_fetch_and(&addr[BIT_WORD(nr)], ~BIT_MASK(nr),
				  __ATOMIC_SEQ_CST) & BIT_MASK(nr);
}

static inline void set_bit(unsigned long nr, volatile unsigned long *addr)
{
	__atomic_fetch_or(&addr[BIT_WORD(nr)], BIT_MASK(nr), __ATOMIC_RELAXED);
}

static inline void clear_bit(unsigned long nr, volatile unsigned long *addr)
{
	__atomic_fetch_and(&addr[BIT_WORD(nr)], ~BIT_MASK(nr),
			   __ATOMIC_RELAXED);
}

static inline void __set_bit(unsigned long nr, volatile unsigned long *addr)
{
	addr[BIT_WORD(nr)] |= BIT_MASK(nr);
}

static inline void __clear_bit(unsigned long nr, volatile unsigned long *addr)
{
	addr[BIT_WORD(nr)] &= ~BIT_MASK(nr);
}

/* Index of the lowest set bit; @word must not be 0. */
static inline unsigned long __ffs(unsigned long word)
{
	return (unsigned long)__builtin_ctzl(word);
}

#endif
