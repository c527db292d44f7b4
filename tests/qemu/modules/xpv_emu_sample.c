// SPDX-License-Identifier: GPL-2.0-only
/*
 * xpv_emu_sample - QEMU tier, test only: a GPU-mediator-like emulator that
 * uses xen_pviommu's emulator API (include/xpv/pviommu.h) and nothing
 * else.  Each of its slots is one emulator instance (a handle bound to a
 * guest and an ioreq server) shadowing a guest "GTT": a table of guest
 * frames whose shadow entries hold bus frame numbers.
 *
 * /sys/kernel/debug/xpv_emu_sample/
 *   ctl     write one command; the write fails with the API's errno
 *     open S DOMID IOS            open slot S (0-3)
 *     close S                     close it (everything unmapped)
 *     gtt S NR GFN [ORDER] [swap] [ro]
 *                                 shadow NR entries gfn = GFN + i << ORDER
 *                                 with one xpv_emu_map() call, then check
 *                                 every entry with xpv_emu_lookup(), their
 *                                 alignment and that no two share a BFN
 *     gtt_unmap S                 unmap the whole shadow GTT in one call
 *     map S GFN [ORDER] [swap] [ro]   one more mapping (result: bfn)
 *     unmap S BFN                 drop one reference
 *     lookup S GFN [ORDER]        result: bfn
 *     check S                     result: valid=N invalid=N wrong=N over
 *                                 the GTT (lookup equals the shadow entry /
 *                                 -ENOENT for an invalidated one / other)
 *     poll S                      xpv_emu_poll()
 *     keep S 0|1                  1: the invalidate callback keeps the
 *                                 emulator's reference (default: drops it)
 *     slow S MS                   the invalidate callback sleeps MS ms
 *                                 before doing anything (default 0)
 *     maplist S ORDER FLAGS GFN...  one xpv_emu_map() call of the listed
 *                                 gfns (FLAGS: 0, swap, ro), result: bfns
 *     inv S BFN                   xpv_emu_invalidate(): an invalidate as
 *                                 read from the ioreq ring (real Xen)
 *     mark S                      xpv_emu_inv_mark(), result: the mark
 *     done S MARK                 xpv_emu_inv_done(), result: released
 *   result  the last command's result line
 *   state   one line per slot: counters of what the callbacks saw
 *
 * Module parameters: leak=1: exit without closing the handles (xen_pviommu
 * must release them when this module goes away); with exit_inv=1 too,
 * exit() also frees each slot's callback data (priv) after poisoning it,
 * having first queued an invalidate for the slot's first GTT entry and
 * slept 200 ms, so that a callback made once exit() has started (it must
 * not be) finds the poison and says so.
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#define pr_fmt(fmt) "xen:" KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include <xpv/compat.h>
#include <xpv/pviommu.h>

static bool leak;
module_param(leak, bool, 0444);
MODULE_PARM_DESC(leak,
		 "exit without closing the handles, to test their release by xen_pviommu (default 0)");

static bool exit_inv;
module_param(exit_inv, bool, 0444);
MODULE_PARM_DESC(exit_inv,
		 "with leak=1: at exit, queue an invalidate, sleep 200 ms, then free the callback data (default 0)");

#define XES_SLOTS	4
#define XES_MAX_GTT	65536u
#define XES_MAX_LIST	32
#define XES_MAGIC	0x5ea5e0u
#define XES_DEAD	0xdeadu

/**
 * struct xes_priv - what the invalidate callback gets (freed at exit)
 * @magic: XES_MAGIC while valid, XES_DEAD once exit() gave it up.
 * @slot:  the slot.
 */
struct xes_priv {
	unsigned int magic;
	struct xes_slot *slot;
};

/**
 * struct xes_slot - one emulator instance
 * @emu:        its handle, or NULL.
 * @priv:       its callback data.
 * @domid:      the guest.
 * @ios:        the ioreq server.
 * @lock:       protects the shadow GTT and the counters (taken by the
 *              invalidate callback, which must not take xes_lock).
 * @gtt_gfn:    the guest GTT: gfn of each entry.
 * @gtt_bfn:    the shadow GTT: BFN of each entry, 0 once invalidated.
 * @nr:         entries.
 * @order:      their order.
 * @keep:       the callback keeps the reference instead of dropping it.
 * @slow_ms:    the callback sleeps this long first.
 * @inv:        invalidate callbacks.
 * @inv_gtt:    ... that hit a shadow GTT entry.
 * @inv_dropped: ... with XPV_EMU_INV_DROPPED.
 * @inv_swapped: ... with XPV_EMU_INV_SWAPPED.
 * @inv_pinned: ... with XPV_EMU_INV_PINNED.
 * @running:    callbacks running now.
 * @last_gfn:   gfn of the last one.
 * @last_bfn:   bfn of the last one.
 * @last_order: order of the last one.
 */
struct xes_slot {
	struct xpv_emu *emu;
	struct xes_priv *priv;
	u16 domid;
	u16 ios;
	spinlock_t lock;	/* gtt_*, nr, counters */
	u64 *gtt_gfn;
	u64 *gtt_bfn;
	unsigned int nr;
	unsigned int order;
	bool keep;
	unsigned int slow_ms;
	u64 inv;
	u64 inv_gtt;
	u64 inv_dropped;
	u64 inv_swapped;
	u64 inv_pinned;
	unsigned int running;
	u64 last_gfn;
	u64 last_bfn;
	unsigned int last_order;
};

/* Serialises commands (never taken by the callback). */
static DEFINE_MUTEX(xes_lock);
static struct xes_slot xes_slots[XES_SLOTS];
static char xes_result[512];		/* protected by xes_lock */
static struct dentry *xes_dir;

static void xes_invalidate(struct xpv_emu *emu, void *priv, u64 gfn,
			   u64 bfn, unsigned int order, enum xpv_emu_inv how)
{
	struct xes_priv *p = priv;
	struct xes_slot *s;
	unsigned int i, slow;
	bool drop = false;

	if (READ_ONCE(p->magic) != XES_MAGIC) {
		pr_err("invalidate callback with dead callback data (gfn 0x%llx bfn 0x%llx): made after exit() started\n",
		       gfn, bfn);
		return;
	}
	s = p->slot;
	spin_lock(&s->lock);
	s->running++;
	slow = s->slow_ms;
	spin_unlock(&s->lock);
	if (slow)
		msleep(slow);
	spin_lock(&s->lock);
	s->running--;
	s->inv++;
	s->inv_dropped += how == XPV_EMU_INV_DROPPED;
	s->inv_swapped += how == XPV_EMU_INV_SWAPPED;
	s->inv_pinned += how == XPV_EMU_INV_PINNED;
	s->last_gfn = gfn;
	s->last_bfn = bfn;
	s->last_order = order;
	for (i = 0; i < s->nr; i++) {
		if (s->gtt_bfn[i] == bfn) {
			/* A mediator points the shadow PTE at its scratch. */
			s->gtt_bfn[i] = 0;
			s->inv_gtt++;
			drop = !s->keep;
			break;
		}
	}
	spin_unlock(&s->lock);
	if (drop)
		xpv_emu_unmap(emu, &bfn, 1);
}

static const struct xpv_emu_ops xes_ops = {
	.invalidate = xes_invalidate,
};

static int xes_cmp(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* Unmap the shadow GTT's live entries. */
static int xes_gtt_unmap(struct xes_slot *s)
{
	u64 *gfn, *bfn, *live;
	unsigned int i, n = 0, nr;
	int rc = 0;

	spin_lock(&s->lock);
	gfn = s->gtt_gfn;
	bfn = s->gtt_bfn;
	nr = s->nr;
	s->gtt_gfn = NULL;
	s->gtt_bfn = NULL;
	s->nr = 0;
	spin_unlock(&s->lock);
	if (!bfn)
		return 0;
	live = gfn;	/* reuse: gfns are no longer needed */
	for (i = 0; i < nr; i++)
		if (bfn[i])
			live[n++] = bfn[i];
	if (n)
		rc = xpv_emu_unmap(s->emu, live, n);
	kvfree(gfn);
	kvfree(bfn);
	return rc;
}

static int xes_gtt(struct xes_slot *s, unsigned int nr, u64 first,
		   unsigned int order, unsigned int flags)
{
	struct xpv_emu_caps caps;
	u64 *gfn, *bfn, *sorted, got;
	unsigned int i;
	int rc;

	if (!nr || nr > XES_MAX_GTT || s->gtt_bfn)
		return -EINVAL;
	rc = xpv_emu_query_caps(&caps);
	if (rc)
		return rc;
	gfn = kvmalloc_array(nr, sizeof(u64), GFP_KERNEL);
	bfn = kvmalloc_array(nr, sizeof(u64), GFP_KERNEL);
	sorted = kvmalloc_array(nr, sizeof(u64), GFP_KERNEL);
	rc = -ENOMEM;
	if (!gfn || !bfn || !sorted)
		goto free;
	for (i = 0; i < nr; i++)
		gfn[i] = first + ((u64)i << order);
	rc = xpv_emu_map(s->emu, gfn, nr, order, flags, bfn);
	if (rc)
		goto free;
	/* Everything the API promises, checked from the outside. */
	for (i = 0; i < nr && !rc; i++) {
		if (xpv_emu_lookup(s->emu, gfn[i], order, &got) ||
		    got != bfn[i] || (bfn[i] & ((1ull << order) - 1)) ||
		    (caps.map_cap && (bfn[i] < caps.bfn_base ||
				      bfn[i] >= caps.bfn_end)) ||
		    (bfn[i] >= 0xfee00 && bfn[i] < 0xfef00))
			rc = -EIO;
	}
	memcpy(sorted, bfn, nr * sizeof(u64));
	sort(sorted, nr, sizeof(u64), xes_cmp, NULL);
	for (i = 1; i < nr && !rc; i++)
		if (sorted[i] == sorted[i - 1])
			rc = -EIO;
	if (rc) {
		pr_err("slot %td: the API broke a promise over %u entries\n",
		       s - xes_slots, nr);
		xpv_emu_unmap(s->emu, bfn, nr);
		goto free;
	}
	spin_lock(&s->lock);
	s->gtt_gfn = gfn;
	s->gtt_bfn = bfn;
	s->nr = nr;
	s->order = order;
	spin_unlock(&s->lock);
	snprintf(xes_result, sizeof(xes_result), "bfn0 0x%llx bfn_last 0x%llx\n",
		 bfn[0], bfn[nr - 1]);
	kvfree(sorted);
	return 0;
free:
	kvfree(sorted);
	kvfree(bfn);
	kvfree(gfn);
	return rc;
}

static int xes_check(struct xes_slot *s)
{
	unsigned int i, valid = 0, invalid = 0, wrong = 0, nr;
	u64 gfn, bfn, got;
	int rc;

	spin_lock(&s->lock);
	nr = s->nr;
	spin_unlock(&s->lock);
	for (i = 0; i < nr; i++) {
		spin_lock(&s->lock);
		gfn = s->gtt_gfn[i];
		bfn = s->gtt_bfn[i];
		spin_unlock(&s->lock);
		rc = xpv_emu_lookup(s->emu, gfn, s->order, &got);
		if (!rc && bfn && got == bfn)
			valid++;
		else if (rc == -ENOENT && !bfn)
			invalid++;
		else
			wrong++;
	}
	snprintf(xes_result, sizeof(xes_result),
		 "valid=%u invalid=%u wrong=%u\n", valid, invalid, wrong);
	return 0;
}

static unsigned int xes_flags(const char *args)
{
	return (strstr(args, "swap") ? XPV_EMU_SWAP : 0) |
	       (strstr(args, " ro") ? XPV_EMU_RO : 0);
}

/* maplist S ORDER FLAGS GFN...: one xpv_emu_map() call. */
static int xes_maplist(struct xes_slot *s, char *line)
{
	u64 gfn[XES_MAX_LIST], bfn[XES_MAX_LIST];
	unsigned int order, nr = 0, i, flags;
	char fl[8], *tok;
	int n, rc, len = 0;

	if (sscanf(line, "%u %7s%n", &order, fl, &n) != 2)
		return -EINVAL;
	flags = !strcmp(fl, "swap") ? XPV_EMU_SWAP :
		!strcmp(fl, "ro") ? XPV_EMU_RO : 0;
	line += n;
	while ((tok = strsep(&line, " ")) != NULL) {
		if (!*tok || *tok == '\n')
			continue;
		if (nr == XES_MAX_LIST || kstrtou64(tok, 16, &gfn[nr]))
			return -EINVAL;
		nr++;
	}
	if (!nr)
		return -EINVAL;
	rc = xpv_emu_map(s->emu, gfn, nr, order, flags, bfn);
	if (rc)
		return rc;
	for (i = 0; i < nr; i++)
		len += scnprintf(xes_result + len, sizeof(xes_result) - len,
				 "%s0x%llx", i ? " " : "", bfn[i]);
	scnprintf(xes_result + len, sizeof(xes_result) - len, "\n");
	return 0;
}

static int xes_cmd(char *line)
{
	unsigned int slot, a, b, order = 0;
	struct xes_priv *p;
	char cmd[16];
	struct xes_slot *s;
	u64 x, bfn;
	int n, rc;

	if (sscanf(line, "%15s %u%n", cmd, &slot, &n) < 2 || slot >= XES_SLOTS)
		return -EINVAL;
	line += n;
	s = &xes_slots[slot];
	xes_result[0] = '\0';
	if (!strcmp(cmd, "open")) {
		struct xpv_emu *emu;

		if (s->emu || sscanf(line, "%u %u", &a, &b) != 2)
			return -EINVAL;
		p = kzalloc(sizeof(*p), GFP_KERNEL);
		if (!p)
			return -ENOMEM;
		p->magic = XES_MAGIC;
		p->slot = s;
		emu = xpv_emu_open(a, b, &xes_ops, p);
		if (IS_ERR(emu)) {
			kfree(p);
			return PTR_ERR(emu);
		}
		s->emu = emu;
		s->priv = p;
		s->domid = a;
		s->ios = b;
		return 0;
	}
	if (!s->emu)
		return -ENOENT;
	if (!strcmp(cmd, "close")) {
		xes_gtt_unmap(s);	/* the API would do it anyway */
		xpv_emu_close(s->emu);
		s->emu = NULL;
		/* No callback after close returned: priv can go. */
		kfree(s->priv);
		s->priv = NULL;
		return 0;
	}
	if (!strcmp(cmd, "gtt")) {
		if (sscanf(line, "%u %llx %u", &a, &x, &order) < 2)
			return -EINVAL;
		return xes_gtt(s, a, x, order, xes_flags(line));
	}
	if (!strcmp(cmd, "gtt_unmap"))
		return xes_gtt_unmap(s);
	if (!strcmp(cmd, "map")) {
		if (sscanf(line, "%llx %u", &x, &order) < 1)
			return -EINVAL;
		rc = xpv_emu_map(s->emu, &x, 1, order, xes_flags(line), &bfn);
		if (!rc)
			snprintf(xes_result, sizeof(xes_result), "0x%llx\n",
				 bfn);
		return rc;
	}
	if (!strcmp(cmd, "unmap")) {
		rc = kstrtou64(skip_spaces(line), 16, &x);
		return rc ? rc : xpv_emu_unmap(s->emu, &x, 1);
	}
	if (!strcmp(cmd, "lookup")) {
		if (sscanf(line, "%llx %u", &x, &order) < 1)
			return -EINVAL;
		rc = xpv_emu_lookup(s->emu, x, order, &bfn);
		if (!rc)
			snprintf(xes_result, sizeof(xes_result), "0x%llx\n",
				 bfn);
		return rc;
	}
	if (!strcmp(cmd, "check"))
		return xes_check(s);
	if (!strcmp(cmd, "poll")) {
		rc = xpv_emu_poll(s->emu);
		if (rc >= 0)
			snprintf(xes_result, sizeof(xes_result), "%d\n", rc);
		return rc < 0 ? rc : 0;
	}
	if (!strcmp(cmd, "maplist"))
		return xes_maplist(s, line);
	if (!strcmp(cmd, "inv")) {
		rc = kstrtou64(skip_spaces(line), 16, &x);
		return rc ? rc : xpv_emu_invalidate(s->emu, x);
	}
	if (!strcmp(cmd, "mark")) {
		snprintf(xes_result, sizeof(xes_result), "%llu\n",
			 xpv_emu_inv_mark(s->emu));
		return 0;
	}
	if (!strcmp(cmd, "done")) {
		rc = kstrtou64(skip_spaces(line), 0, &x);
		if (!rc)
			rc = xpv_emu_inv_done(s->emu, x);
		if (rc >= 0)
			snprintf(xes_result, sizeof(xes_result), "%d\n", rc);
		return rc < 0 ? rc : 0;
	}
	if (!strcmp(cmd, "slow")) {
		rc = kstrtouint(skip_spaces(line), 0, &a);
		if (rc)
			return rc;
		spin_lock(&s->lock);
		s->slow_ms = a;
		spin_unlock(&s->lock);
		return 0;
	}
	if (!strcmp(cmd, "keep")) {
		rc = kstrtouint(skip_spaces(line), 0, &a);
		if (rc)
			return rc;
		spin_lock(&s->lock);
		s->keep = a;
		spin_unlock(&s->lock);
		return 0;
	}
	return -EINVAL;
}

static ssize_t ctl_write(struct file *f, const char __user *ubuf, size_t len,
			 loff_t *ppos)
{
	char buf[512];
	int rc;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	mutex_lock(&xes_lock);
	rc = xes_cmd(buf);
	mutex_unlock(&xes_lock);
	return rc ? rc : len;
}

static const struct file_operations ctl_fops = {
	.owner = THIS_MODULE,
	.write = ctl_write,
};

static int result_show(struct seq_file *m, void *v)
{
	mutex_lock(&xes_lock);
	seq_puts(m, xes_result);
	mutex_unlock(&xes_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(result);

static int state_show(struct seq_file *m, void *v)
{
	unsigned int i, k, live;

	for (i = 0; i < XES_SLOTS; i++) {
		struct xes_slot *s = &xes_slots[i];

		spin_lock(&s->lock);
		for (k = 0, live = 0; k < s->nr; k++)
			live += !!s->gtt_bfn[k];
		seq_printf(m, "slot %u open=%d dom=%u ios=%u gtt=%u gtt_live=%u inv=%llu inv_gtt=%llu inv_dropped=%llu inv_swapped=%llu inv_pinned=%llu running=%u last_gfn=0x%llx last_bfn=0x%llx last_order=%u\n",
			   i, !!s->emu, s->domid, s->ios, s->nr, live, s->inv,
			   s->inv_gtt, s->inv_dropped, s->inv_swapped,
			   s->inv_pinned, s->running, s->last_gfn,
			   s->last_bfn, s->last_order);
		spin_unlock(&s->lock);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(state);

static int __init xes_init(void)
{
	struct xpv_emu_caps caps;
	unsigned int i;
	int rc;

	rc = xpv_emu_query_caps(&caps);
	if (rc)
		return rc;
	for (i = 0; i < XES_SLOTS; i++)
		spin_lock_init(&xes_slots[i].lock);
	xes_dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("ctl", 0200, xes_dir, NULL, &ctl_fops);
	debugfs_create_file("result", 0400, xes_dir, NULL, &result_fops);
	debugfs_create_file("state", 0400, xes_dir, NULL, &state_fops);
	pr_info("%s mode, max_order %u, batch %u, bfn window 0x%llx-0x%llx\n",
		caps.lookup_only ? "lookup" : "map", caps.max_order,
		caps.batch, caps.bfn_base, caps.bfn_end);
	return 0;
}
module_init(xes_init);

/*
 * exit_inv: make a callback due for @s while this module is going away,
 * give it time to be (wrongly) made, then give up its data.
 */
static void xes_exit_inv(struct xes_slot *s)
{
	u64 bfn = 0;

	spin_lock(&s->lock);
	if (s->nr)
		bfn = s->gtt_bfn[0];
	spin_unlock(&s->lock);
	if (bfn)
		xpv_emu_invalidate(s->emu, bfn);
	WRITE_ONCE(s->priv->magic, XES_DEAD);
	msleep(200);
}

static void __exit xes_exit(void)
{
	unsigned int i;

	debugfs_remove(xes_dir);
	for (i = 0; i < XES_SLOTS; i++) {
		struct xes_slot *s = &xes_slots[i];

		if (!s->emu)
			continue;
		if (!leak) {
			xes_gtt_unmap(s);
			xpv_emu_close(s->emu);
		} else {
			/* The handle is xen_pviommu's to release now. */
			u64 *gfn, *bfn;

			if (exit_inv)
				xes_exit_inv(s);
			spin_lock(&s->lock);
			gfn = s->gtt_gfn;
			bfn = s->gtt_bfn;
			s->gtt_gfn = NULL;
			s->gtt_bfn = NULL;
			s->nr = 0;
			spin_unlock(&s->lock);
			kvfree(gfn);
			kvfree(bfn);
		}
		kfree(s->priv);
		s->priv = NULL;
		s->emu = NULL;
	}
}
module_exit(xes_exit);

MODULE_DESCRIPTION("Sample GPU-mediator-like user of the xen_pviommu emulator API (test only)");
MODULE_AUTHOR("The xen-pviommu authors");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(XPV_NS_API);
