/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The kernel's short integer names on top of the UAPI <linux/types.h>, so
 * that the pure-logic drivers/lib/pmem_sb.c compiles unchanged in the tool
 * while system headers (linux/fiemap.h, ndctl) keep their own types.
 */
#ifndef NDXEN_SHIM_LINUX_TYPES_H
#define NDXEN_SHIM_LINUX_TYPES_H

#include_next <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

#endif
