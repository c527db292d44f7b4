// SPDX-License-Identifier: GPL-2.0-only
/*
 * debugfs.c - xen_hvstub's files in /sys/kernel/debug/xen_hvstub/: views of
 * the model (config, counters, mappings, audit, ...), command files that
 * drive it (ctl and one file per command), and "hypercall", which runs a
 * raw batch from a test program (layout in include/xpv/hvstub.h).
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#define pr_fmt(fmt) "xen:" KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <xpv/hv.h>

#include "stub.h"

/* Views beyond the model's HVS_VIEW_* ids. */
#define HVS_DBG_AUDIT		100
#define HVS_DBG_TRANSLATE	101
#define HVS_DBG_FRAME		102
#define HVS_DBG_P2M		103

/* Longest command a control file accepts. */
#define HVS_CMD_MAX		4096

static __printf(2, 3) void hvs_seq_emit(void *ctx, const char *fmt, ...)
{
	struct seq_file *s = ctx;
	va_list ap;

	va_start(ap, fmt);
	seq_vprintf(s, fmt, ap);
	va_end(ap);
}

static const char *const hvs_src_names[] = {
	"none", "default", "mapped", "scratch", "untranslated",
};

static void hvs_show_translate(struct hvs_stub *st, struct seq_file *s)
{
	struct hvs_xlate x;

	lockdep_assert_held(&st->lock);
	if (hvs_translate(st->model, st->translate_bfn, &x)) {
		seq_printf(s, "bfn 0x%llx src none stale %u\n",
			   st->translate_bfn, x.stale);
		return;
	}
	seq_printf(s, "bfn 0x%llx src %s mfn 0x%llx perm %c%c stale %u zero %d\n",
		   st->translate_bfn, hvs_src_names[x.src % 5], x.mfn,
		   (x.perm & IOMMU_OP_readable) ? 'r' : '-',
		   (x.perm & IOMMU_OP_writeable) ? 'w' : '-', x.stale,
		   x.zero);
}

static void hvs_show_frame(struct hvs_stub *st, struct seq_file *s)
{
	struct hvs_frame_info fi;

	lockdep_assert_held(&st->lock);
	if (hvs_frame_get(st->model, st->frame_mfn, &fi)) {
		seq_printf(s, "mfn 0x%llx none\n", st->frame_mfn);
		return;
	}
	seq_printf(s, "mfn 0x%llx owner %u allocated %d gfn 0x%llx refs %u wrefs %u pinned %d gen %u\n",
		   st->frame_mfn, fi.owner, fi.allocated, fi.gfn, fi.refs,
		   fi.wrefs, fi.pinned, fi.gen);
}

/* What the backend's pfn_to_gfn() returns (no lock: it needs none). */
static void hvs_show_p2m(struct hvs_stub *st, struct seq_file *s)
{
	u64 gfn = hvs_stub_pfn_to_gfn(st->p2m_pfn);

	if (gfn == XPV_INVALID_GFN)
		seq_printf(s, "pfn 0x%lx invalid\n", st->p2m_pfn);
	else if (gfn & XPV_GFN_FOREIGN)
		seq_printf(s, "pfn 0x%lx foreign 0x%llx\n", st->p2m_pfn,
			   gfn & ~XPV_GFN_FOREIGN);
	else
		seq_printf(s, "pfn 0x%lx gfn 0x%llx\n", st->p2m_pfn, gfn);
}

static int hvs_view_show(struct seq_file *s, void *unused)
{
	struct hvs_out out = { .emit = hvs_seq_emit, .ctx = s };
	unsigned long view = (unsigned long)s->private;
	struct hvs_stub *st = &hvs_stub;

	mutex_lock(&st->lock);
	switch (view) {
	case HVS_DBG_AUDIT:
		hvs_audit(st->model, &out);
		break;
	case HVS_DBG_TRANSLATE:
		hvs_show_translate(st, s);
		break;
	case HVS_DBG_FRAME:
		hvs_show_frame(st, s);
		break;
	case HVS_DBG_P2M:
		hvs_show_p2m(st, s);
		break;
	default:
		hvs_show(st->model, view, &out);
		break;
	}
	mutex_unlock(&st->lock);
	return 0;
}

static int hvs_view_open(struct inode *inode, struct file *file)
{
	return single_open(file, hvs_view_show, inode->i_private);
}

/* "translate", "frame" and "p2m": write a number, read what it shows. */
static ssize_t hvs_query_write(struct file *file, const char __user *ubuf,
			       size_t len, loff_t *ppos)
{
	unsigned long view = (unsigned long)file_inode(file)->i_private;
	struct hvs_stub *st = &hvs_stub;
	u64 v;
	int rc;

	rc = kstrtoull_from_user(ubuf, len, 0, &v);
	if (rc)
		return rc;
	mutex_lock(&st->lock);
	if (view == HVS_DBG_TRANSLATE)
		st->translate_bfn = v;
	else if (view == HVS_DBG_P2M)
		st->p2m_pfn = v;
	else
		st->frame_mfn = v;
	mutex_unlock(&st->lock);
	return len;
}

static const struct file_operations hvs_view_fops = {
	.owner		= THIS_MODULE,
	.open		= hvs_view_open,
	.read		= seq_read,
	.llseek		= seq_lseek,
	.release	= single_release,
};

static const struct file_operations hvs_query_fops = {
	.owner		= THIS_MODULE,
	.open		= hvs_view_open,
	.read		= seq_read,
	.write		= hvs_query_write,
	.llseek		= seq_lseek,
	.release	= single_release,
};

/* ---- mappings: one line per live mapping, then lookups ---------------- */

static void *hvs_map_at(struct seq_file *s, loff_t pos)
{
	struct hvs_mapping *mp = s->private;

	lockdep_assert_held(&hvs_stub.lock);
	if (pos < 0 || hvs_mapping_get(hvs_stub.model, pos, mp))
		return NULL;
	return mp;
}

/* The dump holds the lock from start to stop (one read() call). */
static void *hvs_map_start(struct seq_file *s, loff_t *pos)
{
	mutex_lock(&hvs_stub.lock);
	return hvs_map_at(s, *pos);
}

static void *hvs_map_next(struct seq_file *s, void *v, loff_t *pos)
{
	++*pos;
	return hvs_map_at(s, *pos);
}

static void hvs_map_stop(struct seq_file *s, void *v)
{
	mutex_unlock(&hvs_stub.lock);
}

static int hvs_map_show(struct seq_file *s, void *v)
{
	struct hvs_out out = { .emit = hvs_seq_emit, .ctx = s };

	hvs_mapping_show(v, &out);
	return 0;
}

static const struct seq_operations hvs_map_seq_ops = {
	.start	= hvs_map_start,
	.next	= hvs_map_next,
	.stop	= hvs_map_stop,
	.show	= hvs_map_show,
};

static int hvs_map_open(struct inode *inode, struct file *file)
{
	return seq_open_private(file, &hvs_map_seq_ops,
				sizeof(struct hvs_mapping));
}

static const struct file_operations hvs_map_fops = {
	.owner		= THIS_MODULE,
	.open		= hvs_map_open,
	.read		= seq_read,
	.llseek		= seq_lseek,
	.release	= seq_release_private,
};

/* ---- command files ------------------------------------------------------ */

/*
 * "ctl" runs each line as a command and stops at the first error; a file
 * named after a command (i_private = its name) prefixes that name.
 */
static ssize_t hvs_cmd_write(struct file *file, const char __user *ubuf,
			     size_t len, loff_t *ppos)
{
	const char *verb = file_inode(file)->i_private;
	size_t vl = verb ? strlen(verb) + 1 : 0;
	struct hvs_stub *st = &hvs_stub;
	char *buf, *line, *s;
	int rc = 0;

	if (!len || len > HVS_CMD_MAX)
		return -EINVAL;
	buf = kmalloc(vl + len + 1, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	if (verb) {
		memcpy(buf, verb, vl - 1);
		buf[vl - 1] = ' ';
	}
	if (copy_from_user(buf + vl, ubuf, len)) {
		kfree(buf);
		return -EFAULT;
	}
	buf[vl + len] = 0;
	mutex_lock(&st->lock);
	if (verb) {
		rc = hvs_ctl(st->model, buf, vl + len);
	} else {
		s = buf;
		while (!rc && (line = strsep(&s, "\n")) != NULL)
			if (*skip_spaces(line))
				rc = hvs_ctl(st->model, line, strlen(line));
	}
	mutex_unlock(&st->lock);
	kfree(buf);
	return rc ? rc : len;
}

static const struct file_operations hvs_cmd_fops = {
	.owner		= THIS_MODULE,
	.open		= simple_open,
	.write		= hvs_cmd_write,
	.llseek		= noop_llseek,
};

static const char *const hvs_cmd_files[] = {
	"set", "fault", "domain_create", "domain_destroy", "ioserver_create",
	"ioserver_destroy", "balloon_out", "populate", "pin", "unpin",
	"xen_range", "rmrr", "flush", "baseline", "reset", "clear_errors",
	"notify_clear", "p2m_set", "grant_map", "grant_unmap", "dma_write",
};

/* ---- hypercall: run a raw batch from a test program -------------------- */

/**
 * struct hvs_hc_file - one open "hypercall" file
 * @lock: protects @resp and @resp_len (one request at a time per file).
 * @resp: response of the last request (struct hvs_hc_resp + ops).
 * @resp_len: its length.
 */
struct hvs_hc_file {
	struct mutex lock;	/* protects resp, resp_len */
	void *resp;
	size_t resp_len;
};

static int hvs_hc_open(struct inode *inode, struct file *file)
{
	struct hvs_hc_file *hf = kzalloc(sizeof(*hf), GFP_KERNEL);

	if (!hf)
		return -ENOMEM;
	mutex_init(&hf->lock);
	file->private_data = hf;
	return 0;
}

static int hvs_hc_release(struct inode *inode, struct file *file)
{
	struct hvs_hc_file *hf = file->private_data;

	kvfree(hf->resp);
	mutex_destroy(&hf->lock);
	kfree(hf);
	return 0;
}

/* Bytes per element of a request's payload (an op or a frame number). */
static size_t hvs_hc_elem(const struct hvs_hc_req *req)
{
	return req->kind == HVS_HC_IOMMU ? sizeof(struct pv_iommu_op) :
					   sizeof(u64);
}

/* Validate the header; return the payload size or a negative errno. */
static ssize_t hvs_hc_payload(const struct hvs_hc_req *req)
{
	if (req->magic != HVS_HC_MAGIC || (req->flags & ~HVS_HC_FLAGS) ||
	    req->_pad[0] || req->_pad[1] || req->_pad[2])
		return -EINVAL;
	switch (req->kind) {
	case HVS_HC_PMEM:
		if (req->count || req->nr_ops || req->flags)
			return -EINVAL;
		return sizeof(struct xpv_xenpf_pmem_add);
	case HVS_HC_DECREASE:
	case HVS_HC_POPULATE:
		if (req->flags || req->count != req->nr_ops)
			return -EINVAL;
		break;
	case HVS_HC_IOMMU:
		break;
	default:
		return -EINVAL;
	}
	if (req->nr_ops > HVS_MAX_OPS)
		return -E2BIG;
	return (ssize_t)req->nr_ops * hvs_hc_elem(req);
}

/* Run a validated request on its payload. */
static long hvs_hc_run(struct hvs_stub *st, const struct hvs_hc_req *req,
		       void *payload)
{
	struct pv_iommu_op *ops = payload;

	lockdep_assert_held(&st->lock);
	switch (req->kind) {
	case HVS_HC_PMEM:
		return hvs_pmem_add(st->model, payload);
	case HVS_HC_DECREASE:
	case HVS_HC_POPULATE:
		return hvs_reservation(st->model, req->kind == HVS_HC_DECREASE ?
				       HVS_RESV_DECREASE : HVS_RESV_POPULATE,
				       payload, req->count);
	default:
		if (req->flags & HVS_HC_NULL)
			ops = NULL;
		return hvs_iommu_op(st->model, ops, req->count, req->nr_ops);
	}
}

static ssize_t hvs_hc_write(struct file *file, const char __user *ubuf,
			    size_t len, loff_t *ppos)
{
	struct hvs_hc_file *hf = file->private_data;
	struct hvs_stub *st = &hvs_stub;
	struct hvs_hc_resp *resp;
	struct hvs_hc_req req;
	size_t shift, rlen;
	ssize_t payload;
	char *buf;
	long rc;

	if (len < sizeof(req))
		return -EINVAL;
	if (copy_from_user(&req, ubuf, sizeof(req)))
		return -EFAULT;
	payload = hvs_hc_payload(&req);
	if (payload < 0)
		return payload;
	if (len != sizeof(req) + payload)
		return -EINVAL;
	/*
	 * A misaligned guest buffer: the payload one byte into an allocation
	 * with 8 spare bytes.  The model reads it bytewise, as Xen's guest
	 * copies do (no alignment needed).
	 */
	shift = (req.flags & HVS_HC_MISALIGN) ? 1 : 0;
	rlen = sizeof(*resp) + payload;
	buf = kvzalloc(payload + 8, GFP_KERNEL);
	resp = kvzalloc(rlen, GFP_KERNEL);
	if (!buf || !resp) {
		rc = -ENOMEM;
		goto out;
	}
	if (copy_from_user(buf + shift, ubuf + sizeof(req), payload)) {
		rc = -EFAULT;
		goto out;
	}
	mutex_lock(&st->lock);
	resp->rc = hvs_hc_run(st, &req, buf + shift);
	mutex_unlock(&st->lock);
	resp->nr_ops = req.nr_ops;
	if (req.kind != HVS_HC_PMEM)
		memcpy(resp + 1, buf + shift, payload);
	mutex_lock(&hf->lock);
	kvfree(hf->resp);
	hf->resp = resp;
	hf->resp_len = req.kind == HVS_HC_PMEM ? sizeof(*resp) : rlen;
	mutex_unlock(&hf->lock);
	resp = NULL;
	/* The next read starts at the new response. */
	*ppos = 0;
	rc = len;
out:
	kvfree(resp);
	kvfree(buf);
	return rc;
}

/* The whole response in one read (partial reads continue from @ppos). */
static ssize_t hvs_hc_read(struct file *file, char __user *ubuf, size_t len,
			   loff_t *ppos)
{
	struct hvs_hc_file *hf = file->private_data;
	ssize_t rc;

	mutex_lock(&hf->lock);
	rc = simple_read_from_buffer(ubuf, len, ppos, hf->resp,
				     hf->resp ? hf->resp_len : 0);
	mutex_unlock(&hf->lock);
	return rc;
}

static const struct file_operations hvs_hc_fops = {
	.owner		= THIS_MODULE,
	.open		= hvs_hc_open,
	.release	= hvs_hc_release,
	.write		= hvs_hc_write,
	.read		= hvs_hc_read,
	.llseek		= noop_llseek,
};

/**
 * hvs_debugfs_init() - create /sys/kernel/debug/xen_hvstub/
 * @st: the stub; its model must exist
 *
 * debugfs failures are not fatal (the stub works without its files).
 *
 * Context: process context, module init.
 */
void hvs_debugfs_init(struct hvs_stub *st)
{
	static const struct {
		const char *name;
		unsigned long view;
	} views[] = {
		{ "config", HVS_VIEW_CONFIG },
		{ "counters", HVS_VIEW_COUNTERS },
		{ "notifications", HVS_VIEW_NOTIFY },
		{ "pmem", HVS_VIEW_PMEM },
		{ "domains", HVS_VIEW_DOMAINS },
		{ "faults", HVS_VIEW_FAULTS },
		{ "grants", HVS_VIEW_GRANTS },
		{ "audit", HVS_DBG_AUDIT },
	};
	unsigned int i;

	st->dir = debugfs_create_dir("xen_hvstub", NULL);
	for (i = 0; i < ARRAY_SIZE(views); i++)
		debugfs_create_file(views[i].name, 0444, st->dir,
				    (void *)views[i].view, &hvs_view_fops);
	debugfs_create_file("translate", 0644, st->dir,
			    (void *)HVS_DBG_TRANSLATE, &hvs_query_fops);
	debugfs_create_file("frame", 0644, st->dir, (void *)HVS_DBG_FRAME,
			    &hvs_query_fops);
	debugfs_create_file("p2m", 0644, st->dir, (void *)HVS_DBG_P2M,
			    &hvs_query_fops);
	debugfs_create_file("mappings", 0444, st->dir, NULL, &hvs_map_fops);
	debugfs_create_file("ctl", 0200, st->dir, NULL, &hvs_cmd_fops);
	for (i = 0; i < ARRAY_SIZE(hvs_cmd_files); i++)
		debugfs_create_file(hvs_cmd_files[i], 0200, st->dir,
				    (void *)hvs_cmd_files[i], &hvs_cmd_fops);
	debugfs_create_file("hypercall", 0600, st->dir, NULL, &hvs_hc_fops);
}

/**
 * hvs_debugfs_exit() - remove the stub's debugfs files
 * @st: the stub
 *
 * Waits for readers and writers still inside a file operation.
 *
 * Context: process context, module exit.
 */
void hvs_debugfs_exit(struct hvs_stub *st)
{
	debugfs_remove_recursive(st->dir);
	st->dir = NULL;
}
