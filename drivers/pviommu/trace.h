/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * trace.h - xen_pviommu tracepoints (tracefs events/xen_pviommu/).
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM xen_pviommu

#if !defined(XPV_PVIOMMU_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define XPV_PVIOMMU_TRACE_H

#include <linux/device.h>
#include <linux/tracepoint.h>

#include <xpv/compat.h>

/*
 * One iommu_op hypercall of a premap, unmap, rollback or hotplug walk.
 * The hypervisor flushes the IOTLB once at the end of each, so this is
 * also the flush event.
 */
TRACE_EVENT(xpv_batch,
	TP_PROTO(bool map, unsigned int nr_ops, unsigned long long first_bfn,
		 unsigned int done, int err),
	TP_ARGS(map, nr_ops, first_bfn, done, err),
	TP_STRUCT__entry(
		__field(bool, map)
		__field(unsigned int, nr_ops)
		__field(unsigned long long, first_bfn)
		__field(unsigned int, done)
		__field(int, err)
	),
	TP_fast_assign(
		__entry->map = map;
		__entry->nr_ops = nr_ops;
		__entry->first_bfn = first_bfn;
		__entry->done = done;
		__entry->err = err;
	),
	TP_printk("%s ops=%u first_bfn=0x%llx done=%u err=%d",
		  __entry->map ? "map" : "unmap", __entry->nr_ops,
		  __entry->first_bfn, __entry->done, __entry->err)
);

/* A buffer the device's mask cannot reach went through the bounce pool. */
TRACE_EVENT(xpv_bounce,
	TP_PROTO(struct device *dev, unsigned long long orig,
		 unsigned long long bus, size_t size, int dir),
	TP_ARGS(dev, orig, bus, size, dir),
	TP_STRUCT__entry(
		__string(dev, dev_name(dev))
		__field(unsigned long long, orig)
		__field(unsigned long long, bus)
		__field(size_t, size)
		__field(int, dir)
	),
	TP_fast_assign(
		XPV_ASSIGN_STR(dev, dev_name(dev));
		__entry->orig = orig;
		__entry->bus = bus;
		__entry->size = size;
		__entry->dir = dir;
	),
	TP_printk("%s orig=0x%llx bus=0x%llx size=%zu dir=%d",
		  __get_str(dev), __entry->orig, __entry->bus,
		  __entry->size, __entry->dir)
);

/* A buffer got no bus address: no frame behind it, or no bounce room. */
TRACE_EVENT(xpv_refuse,
	TP_PROTO(struct device *dev, unsigned long long phys, size_t size),
	TP_ARGS(dev, phys, size),
	TP_STRUCT__entry(
		__string(dev, dev_name(dev))
		__field(unsigned long long, phys)
		__field(size_t, size)
	),
	TP_fast_assign(
		XPV_ASSIGN_STR(dev, dev_name(dev));
		__entry->phys = phys;
		__entry->size = size;
	),
	TP_printk("%s phys=0x%llx size=%zu", __get_str(dev), __entry->phys,
		  __entry->size)
);

#endif /* XPV_PVIOMMU_TRACE_H */

/* Kbuild adds this directory to the include path of main.c. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
