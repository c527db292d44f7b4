// SPDX-License-Identifier: GPL-2.0-only
/*
 * trace.c - instantiate the xen_pviommu tracepoints declared in trace.h.
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#define CREATE_TRACE_POINTS
#include "trace.h"
