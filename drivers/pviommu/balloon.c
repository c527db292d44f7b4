// SPDX-License-Identifier: GPL-2.0-only
/*
 * balloon.c - follow this domain's memory reservation changes.
 *
 * Draft B asks a domain that maps its own pages to unmap a page before it
 * gives the frame back to Xen and to map it again after populating it:
 * otherwise a device can still reach a frame Xen has handed to someone
 * else.  Every path that changes a PV domain's reservation in Linux (the
 * balloon driver, grant-table DMA buffers, ballooned pages for backends)
 * goes through two exported functions, xenmem_reservation_decrease() and
 * xenmem_reservation_increase(), each one memory_op hypercall.  A module
 * cannot patch their callers, so this file redirects the two functions to
 * our own versions with ftrace, as livepatch does: ours issue the same
 * hypercall through the backend table, with the IOMMU work around it
 * (xpv_resv_decrease() and xpv_resv_populate() in main.c).
 *
 * The redirect is registered before the premap, so no change of the
 * reservation can slip between the premap's reading of the P2M and the
 * map it builds; a call already inside the original functions when the
 * redirect is installed finishes before synchronize_rcu_tasks() returns
 * (they cannot sleep).  At unload the redirect goes first, then we wait
 * for the calls still running our versions.
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#define pr_fmt(fmt) "xen:" KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/ftrace.h>
#include <linux/module.h>
#include <linux/wait.h>
#include <xen/mem-reservation.h>

#include <xpv/compat.h>
#include <xpv/pviommu.h>
#include "pviommu.h"

/* Calls running our versions; exit waits for none. */
static atomic_t xpv_resv_inflight = ATOMIC_INIT(0);
static DECLARE_WAIT_QUEUE_HEAD(xpv_resv_wq);
/* Both redirects are installed (set and cleared by the state mutex holder). */
static bool xpv_resv_hooked;

static void xpv_resv_enter(void)
{
	atomic_inc(&xpv_resv_inflight);
}

static void xpv_resv_leave(void)
{
	if (atomic_dec_and_test(&xpv_resv_inflight))
		wake_up(&xpv_resv_wq);
}

/* Our xenmem_reservation_decrease(): @frames are gfns to give back. */
static int xpv_hook_decrease(int count, xen_pfn_t *frames)
{
	long rc;

	xpv_resv_enter();
	BUILD_BUG_ON(sizeof(*frames) != sizeof(unsigned long));
	rc = count > 0 ? xpv_resv_decrease((unsigned long *)frames, count) :
	     0;
	xpv_resv_leave();
	return rc;
}

/* Our xenmem_reservation_increase(): @frames are pfns, frames on return. */
static int xpv_hook_increase(int count, xen_pfn_t *frames)
{
	long rc;

	xpv_resv_enter();
	rc = count > 0 ? xpv_resv_populate((unsigned long *)frames, count) :
	     0;
	xpv_resv_leave();
	return rc;
}

/**
 * struct xpv_redirect - one kernel function sent to ours
 * @name:   for messages.
 * @target: the kernel function.
 * @ours:   where calls go instead.
 * @ops:    the ftrace registration.
 */
struct xpv_redirect {
	const char *name;
	unsigned long target;
	unsigned long ours;
	struct ftrace_ops ops;
};

static void notrace xpv_redirect_thunk(unsigned long ip,
				       unsigned long parent_ip,
				       struct ftrace_ops *op,
				       struct ftrace_regs *fregs)
{
	struct xpv_redirect *r = container_of(op, struct xpv_redirect, ops);

	xpv_ftrace_set_ip(fregs, r->ours);
}

#define XPV_REDIRECT(fn, to) {						\
	.name	= #fn,							\
	.target	= (unsigned long)fn,					\
	.ours	= (unsigned long)to,					\
	.ops	= {							\
		.func	= xpv_redirect_thunk,				\
		.flags	= XPV_FTRACE_REDIRECT_FLAGS,			\
	},								\
}

static struct xpv_redirect xpv_redirects[] = {
	XPV_REDIRECT(xenmem_reservation_decrease, xpv_hook_decrease),
	XPV_REDIRECT(xenmem_reservation_increase, xpv_hook_increase),
};

static int xpv_redirect_add(struct xpv_redirect *r)
{
	int rc = ftrace_set_filter_ip(&r->ops, r->target, 0, 0);

	if (!rc) {
		rc = register_ftrace_function(&r->ops);
		if (rc)
			ftrace_set_filter_ip(&r->ops, r->target, 1, 0);
	}
	if (rc)
		pr_err("cannot redirect %s() with ftrace (%d)\n", r->name, rc);
	return rc;
}

static void xpv_redirect_del(struct xpv_redirect *r)
{
	unregister_ftrace_function(&r->ops);
	ftrace_set_filter_ip(&r->ops, r->target, 1, 0);
}

/**
 * xpv_balloon_hook_add() - start following reservation changes
 *
 * Context: process context; may sleep.  Caller holds the state mutex.
 * Return: 0, or the ftrace error (-EBUSY: another redirect, e.g. a
 * livepatch, already owns one of the functions).
 */
int xpv_balloon_hook_add(void)
{
	unsigned int i;
	int rc = 0;

	for (i = 0; i < ARRAY_SIZE(xpv_redirects) && !rc; i++)
		rc = xpv_redirect_add(&xpv_redirects[i]);
	if (rc) {
		while (--i > 0)
			xpv_redirect_del(&xpv_redirects[i - 1]);
		return rc;
	}
	/* Calls that entered the originals before the redirect are done. */
	synchronize_rcu_tasks();
	WRITE_ONCE(xpv_resv_hooked, true);
	return 0;
}

/**
 * xpv_balloon_hook_del() - stop following reservation changes
 *
 * Our versions may be waiting for the state mutex: the caller must not
 * hold it.
 *
 * Context: process context; may sleep.
 */
void xpv_balloon_hook_del(void)
{
	unsigned int i;

	if (!READ_ONCE(xpv_resv_hooked))
		return;
	for (i = ARRAY_SIZE(xpv_redirects); i-- > 0;)
		xpv_redirect_del(&xpv_redirects[i]);
	/* No task is between a redirect and xpv_resv_enter() any more. */
	synchronize_rcu_tasks();
	wait_event(xpv_resv_wq, !atomic_read(&xpv_resv_inflight));
	WRITE_ONCE(xpv_resv_hooked, false);
}

/**
 * xen_pviommu_follows_reservation() - are reservation changes followed?
 *
 * True while xen_pviommu redirects xenmem_reservation_decrease() and
 * xenmem_reservation_increase() (module parameter balloon_hook).  Outside
 * a Xen domain those functions only work while this is true: with the
 * stub hypervisor, a test module uses it before calling them.
 *
 * Context: any.
 * Return: true when the redirects are installed.
 */
bool xen_pviommu_follows_reservation(void)
{
	return READ_ONCE(xpv_resv_hooked);
}
EXPORT_SYMBOL_NS_GPL(xen_pviommu_follows_reservation, XPV_NS_API);
