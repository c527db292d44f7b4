/* SPDX-License-Identifier: GPL-2.0-only */
/* Userspace shim for <linux/string.h>. */
#ifndef XPV_SHIM_LINUX_STRING_H
#define XPV_SHIM_LINUX_STRING_H
#include <string.h>
#endif
