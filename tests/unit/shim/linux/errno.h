/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Userspace shim for <linux/errno.h>.  libc's <errno.h> itself includes
 * <linux/errno.h> (this file), so take the values from the UAPI header.
 */
#ifndef XPV_SHIM_LINUX_ERRNO_H
#define XPV_SHIM_LINUX_ERRNO_H
#include <asm/errno.h>
#ifndef EOPNOTSUPP
#define EOPNOTSUPP 95
#endif
#endif
