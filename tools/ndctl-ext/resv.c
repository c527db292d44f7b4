// SPDX-License-Identifier: GPL-2.0-only
/*
 * resv.c - reservation namespaces through libndctl.
 *
 * A region's reservation namespace is the namespace labelled
 * XPV_PMEM_NS_NAME.  It is created first, in an empty region, so that
 * libnvdimm allocates it at the region start.  Its info blocks are written
 * the way ndctl wipes its own: force raw mode, enable (nd_pmem binds it as
 * a raw disk; xen_pmem refuses raw-mode namespaces), O_DIRECT|O_EXCL I/O,
 * disable, raw mode off.  Then "reserve" hands it to xen_pmem by an explicit
 * bind (ndctl's enable tries every driver, in no fixed order); without the
 * module it is left as it was found (bound to nd_pmem again, or disabled)
 * and xen_pmem claims it when it loads.  "check" always leaves it as it
 * was found, and never lets xen_pmem repair behind its back: a namespace
 * whose media need a repair is left disabled instead of bound to a driver
 * that would rewrite them.
 *
 * A namespace whose reserved range the hypervisor may own (xen_pmem's
 * xen_owns: reported, or refused without saying nothing was taken, bound
 * or left unbound with its fence) is never read or written: Xen owns its
 * reserved area until reboot.
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ndctl/libndctl.h>
#include <linux/ndctl.h>	/* ndctl/ndctl.h needs ccan, not packaged */
#include <uuid/uuid.h>

#include "ndctl-xen.h"

/* ---- selection -------------------------------------------------------- */

/* ndxen_region_match() - ndctl's -b and -r filters. */
bool ndxen_region_match(struct ndctl_region *region,
			const struct ndxen_filter *f)
{
	struct ndctl_bus *bus = ndctl_region_get_bus(region);
	char id[16];

	if (f->bus && strcmp(f->bus, ndctl_bus_get_provider(bus)) &&
	    strcmp(f->bus, ndctl_bus_get_devname(bus)))
		return false;
	if (!f->region || !strcmp(f->region, "all"))
		return true;
	snprintf(id, sizeof(id), "%u", ndctl_region_get_id(region));
	return !strcmp(f->region, ndctl_region_get_devname(region)) ||
	       !strcmp(f->region, id);
}

/* ndxen_ns_is_reservation() - labelled XPV_PMEM_NS_NAME, with capacity. */
bool ndxen_ns_is_reservation(struct ndctl_namespace *ndns)
{
	const char *name = ndctl_namespace_get_alt_name(ndns);

	return name && !strcmp(name, XPV_PMEM_NS_NAME) &&
	       ndctl_namespace_get_size(ndns) > 0;
}

/* ndxen_find_reservation() - @region's reservation namespace, or NULL. */
struct ndctl_namespace *ndxen_find_reservation(struct ndctl_region *region)
{
	struct ndctl_namespace *ndns;

	ndctl_namespace_foreach(region, ndns)
		if (ndxen_ns_is_reservation(ndns))
			return ndns;
	return NULL;
}

/* ndxen_state() - xen_pmem's state of @ns, or "unclaimed". */
int ndxen_state(const char *ns, char *buf, size_t len)
{
	int rc = ndxen_ns_attr(ns, "state", buf, len);

	if (rc)
		snprintf(buf, len, "unclaimed");
	return rc;
}

static bool ndxen_is_reported(const char *ns)
{
	char st[32];

	return !ndxen_state(ns, st, sizeof(st)) && !strcmp(st, "reported");
}

static bool ndxen_module_loaded(void)
{
	return !access(NDXEN_SYS_DRIVER, F_OK);
}

/* The "action" of a namespace the hypervisor may own: nothing. */
static const char *ndxen_owned_action(const char *ns)
{
	return ndxen_is_reported(ns) ? "none (reported: Xen owns it)" :
	       "none (Xen may own it)";
}

static void ndxen_live_of(struct ndctl_namespace *ndns, struct ndxen_live *l)
{
	struct ndctl_region *region = ndctl_namespace_get_region(ndns);

	memset(l, 0, sizeof(*l));
	ndctl_namespace_get_uuid(ndns, l->parent_uuid);
	l->ns_spa = ndctl_namespace_get_resource(ndns);
	l->ns_size = ndctl_namespace_get_size(ndns);
	l->region_spa = ndctl_region_get_resource(region);
	l->region_size = ndctl_region_get_size(region);
}

/* ---- labels ----------------------------------------------------------- */

/*
 * A label-less region exposes one namespace_io and cannot hold a named
 * namespace.  Initialise labels the way ndctl's create-namespace does
 * (every DIMM must support label get/set; the region is disabled while the
 * label areas are written): an active namespace needs @force, a mounted
 * one is never disabled.
 */
static int ndxen_enable_labels(struct ndctl_region *region, bool force)
{
	const char *rname = ndctl_region_get_devname(region);
	enum ndctl_namespace_version v = NDCTL_NS_VERSION_1_2;
	unsigned int mappings = ndctl_region_get_mappings(region), n = 0;
	struct ndctl_namespace *ndns;
	struct ndctl_dimm *dimm;
	struct ndctl_cmd *cmd;
	int labels, rc;

	ndctl_dimm_foreach_in_region(region, dimm)
		if (ndctl_dimm_is_cmd_supported(dimm, ND_CMD_GET_CONFIG_SIZE) &&
		    ndctl_dimm_is_cmd_supported(dimm, ND_CMD_GET_CONFIG_DATA) &&
		    ndctl_dimm_is_cmd_supported(dimm, ND_CMD_SET_CONFIG_DATA))
			n++;
	if (!mappings || n != mappings) {
		ndxen_err(rname, "label-less and its DIMMs cannot store labels: a reservation namespace needs labels (not supported: e820/memmap= pmem)\n");
		return -EOPNOTSUPP;
	}
	/* As ndctl: an active namespace needs --force, a mounted one stays. */
	ndctl_namespace_foreach(region, ndns) {
		const char *ns = ndctl_namespace_get_devname(ndns);

		if (ndctl_namespace_is_active(ndns) && !force) {
			ndxen_err(ns, "label-less and active: initialising labels in %s replaces it, specify --force\n",
				  rname);
			return -EBUSY;
		}
		rc = ndctl_namespace_disable_safe(ndns);
		if (rc) {
			ndxen_err(ns, "in use: labels cannot be initialised in %s\n",
				  rname);
			return rc;
		}
	}
	rc = ndctl_region_disable_invalidate(region);
	if (rc) {
		ndxen_err(rname, "cannot disable to initialise labels: %s\n",
			  strerror(-rc));
		return rc;
	}
retry:
	ndctl_dimm_foreach_in_region(region, dimm) {
		/* libndctl initialises only a label area it has read. */
		cmd = ndctl_dimm_read_label_index(dimm);
		if (!cmd) {
			ndxen_err(ndctl_dimm_get_devname(dimm),
				  "cannot read the label area\n");
			continue;
		}
		labels = ndctl_dimm_init_labels(dimm, v);
		ndctl_cmd_unref(cmd);
		if (labels < 0) {
			ndxen_err(ndctl_dimm_get_devname(dimm),
				  "cannot initialise labels: %s\n",
				  strerror(-labels));
			continue;
		}
		ndctl_dimm_disable(dimm);
		ndctl_dimm_enable(dimm);
		/* A kernel without v1.2 support sees fewer free labels. */
		if (v == NDCTL_NS_VERSION_1_2 &&
		    (unsigned long)labels != ndctl_dimm_get_available_labels(dimm) + 1) {
			v = NDCTL_NS_VERSION_1_1;
			goto retry;
		}
	}
	ndctl_region_enable(region);
	if (ndctl_region_get_nstype(region) != ND_DEVICE_NAMESPACE_PMEM) {
		ndxen_err(rname, "labels could not be initialised\n");
		return -ENXIO;
	}
	ndxen_info(rname, "labels initialised (v%s)\n",
		   v == NDCTL_NS_VERSION_1_2 ? "1.2" : "1.1");
	return 0;
}

/* ---- raw access ------------------------------------------------------- */

/**
 * struct ndxen_raw - a raw-mode session on a namespace
 * @ndns: the namespace.
 * @fd:   its raw disk, O_DIRECT|O_EXCL.
 * @orig: the driver it was bound to before ("" for none), to leave it so.
 */
struct ndxen_raw {
	struct ndctl_namespace *ndns;
	int fd;
	char orig[64];
};

/*
 * Disable @ndns (from whichever driver), enable it in raw mode and open
 * its disk exclusively for direct I/O.
 */
static int ndxen_raw_open(struct ndctl_namespace *ndns, struct ndxen_raw *r)
{
	const char *ns = ndctl_namespace_get_devname(ndns);
	char path[PATH_MAX];
	const char *bdev;
	int rc;

	r->ndns = ndns;
	r->fd = -1;
	if (ndxen_ns_driver(ns, r->orig, sizeof(r->orig)))
		r->orig[0] = '\0';
	/*
	 * disable_safe() probes the namespace's disk for users; xen_pmem's
	 * namespaces have none (and libndctl then opens "/dev/").
	 */
	bdev = ndctl_namespace_is_enabled(ndns) ?
	       ndctl_namespace_get_block_device(ndns) : NULL;
	if (bdev && *bdev)
		rc = ndctl_namespace_disable_safe(ndns);
	else
		rc = ndctl_namespace_disable_invalidate(ndns);
	if (rc) {
		ndxen_err(ns, "cannot disable it (in use?): %s\n",
			  strerror(-rc));
		return rc;
	}
	rc = ndctl_namespace_set_raw_mode(ndns, 1);
	if (rc < 0) {
		ndxen_err(ns, "cannot force raw mode: %s\n", strerror(-rc));
		return rc;
	}
	rc = ndctl_namespace_enable(ndns);
	bdev = rc ? NULL : ndctl_namespace_get_block_device(ndns);
	if (!bdev || !*bdev) {
		ndxen_err(ns, "cannot enable it in raw mode (is nd_pmem loaded?)\n");
		rc = -ENXIO;
		goto err;
	}
	snprintf(path, sizeof(path), "/dev/%s", bdev);
	r->fd = open(path, O_RDWR | O_DIRECT | O_EXCL | O_CLOEXEC);
	if (r->fd < 0) {
		rc = -errno;
		ndxen_err(path, "cannot open exclusively: %s\n", strerror(errno));
		goto err;
	}
	ndxen_dbg(ns, "raw access through %s\n", path);
	return 0;
err:
	ndctl_namespace_disable_invalidate(ndns);
	ndctl_namespace_set_raw_mode(ndns, 0);
	return rc;
}

static void ndxen_raw_close(struct ndxen_raw *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	ndctl_namespace_disable_invalidate(r->ndns);
	ndctl_namespace_set_raw_mode(r->ndns, 0);
}

/* Bind @ns to driver @drv.  Return: 0 or -errno (printed). */
static int ndxen_bind(const char *ns, const char *drv)
{
	char path[PATH_MAX], cur[64];
	int rc;

	if (!ndxen_ns_driver(ns, cur, sizeof(cur)) && !strcmp(cur, drv))
		return 0;

	snprintf(path, sizeof(path), "/sys/bus/nd/drivers/%s/bind", drv);
	rc = ndxen_sysfs_write(path, ns);
	if (rc)
		ndxen_err(ns, "%s refused it: %s\n", drv, strerror(-rc));
	return rc;
}

/*
 * ndxen_leave() - where a namespace goes after a raw session
 * @ns:       the namespace (disabled, raw mode off)
 * @orig:     the driver it was bound to before ("" for none)
 * @clean:    its media need no repair (both copies valid and equal)
 * @handover: "reserve": give it to xen_pmem when the module is loaded
 *
 * Otherwise it is left as it was found: bound again to @orig, or disabled.
 * Binding to xen_pmem (or to nd_pmem, which xen_pmem takes over) lets the
 * module repair the info block; without @clean that is not done, and the
 * namespace is left disabled with a line saying so.
 *
 * Return: 0 or -errno of the bind.
 */
static int ndxen_leave(const char *ns, const char *orig, bool clean,
		       bool handover)
{
	bool loaded = ndxen_module_loaded();

	if (handover && loaded)
		return ndxen_bind(ns, NDXEN_DRIVER);
	if (!*orig) {
		if (handover)
			ndxen_info(ns, "xen_pmem is not loaded: left disabled, claimed when it loads\n");
		return 0;
	}
	if (!clean && loaded) {
		ndxen_info(ns, "left disabled, not bound to %s again: xen_pmem would rewrite its info block (ndctl-xen check --repair does it)\n",
			   orig);
		return 0;
	}
	if (handover)
		ndxen_info(ns, "xen_pmem is not loaded: bound to %s again, as found; xen_pmem takes it over when it loads\n",
			   orig);
	return ndxen_bind(ns, orig);
}

/* ---- verify / write --------------------------------------------------- */

/* Fill @o's JSON with one media check. */
static void ndxen_json_check(struct json_object *j,
			     const struct xpv_pmem_sb_choice *ch,
			     const char *action)
{
	json_object_object_add(j, "primary",
			       ndxen_json_copy(ch->primary_err,
					       ch->primary_reason));
	json_object_object_add(j, "backup",
			       ndxen_json_copy(ch->backup_err,
					       ch->backup_reason));
	json_object_object_add(j, "action", json_object_new_string(action));
	if (ch->use != XPV_PMEM_SB_USE_NONE)
		json_object_object_add(j, "info", ndxen_json_geometry(&ch->info));
}

/*
 * Verify the blocks of @ndns through raw access; write a fresh block when
 * there is none (or when @force and both are invalid); repair when one is
 * bad when @repair.  @action says what was done.  Then leave the
 * namespace (ndxen_leave()) as @handover says.
 */
static int ndxen_media(struct ndctl_namespace *ndns,
		       const struct ndxen_resv_opts *o, bool repair,
		       bool fresh_ok, bool handover, struct json_object *j)
{
	const char *ns = ndctl_namespace_get_devname(ndns);
	struct ndxen_copies *c;
	struct xpv_pmem_sb_choice ch;
	struct xpv_pmem_live klive;
	struct xpv_pmem_sb *sb;
	struct ndxen_live l;
	struct ndxen_raw r;
	enum xpv_pmem_sb_reason why;
	const char *action = "none";
	bool clean = false;
	uuid_t uu;
	int rc, lrc;

	c = calloc(1, sizeof(*c));
	sb = calloc(1, sizeof(*sb));
	if (!c || !sb) {
		rc = -ENOMEM;
		goto out_free;
	}
	rc = ndxen_raw_open(ndns, &r);
	if (rc) {
		/* Nothing was read: back to where it was, as it was. */
		ndxen_leave(ns, r.orig, true, false);
		goto out_free;
	}
	ndxen_live_of(ndns, &l);
	ndxen_live_to_kernel(&l, &klive);
	rc = ndxen_read_copies(r.fd, c);
	if (rc) {
		ndxen_err(ns, "cannot read the info blocks: %s\n",
			  strerror(-rc));
		goto out_close;
	}
	if (c->primary_err || c->backup_err)
		ndxen_err(ns, "info block %s unreadable (media error): treated as bad\n",
			  c->primary_err && c->backup_err ?
			  "primary and backup" : c->primary_err ? "primary" :
			  "backup");
	ndxen_choose(c, &klive, &ch);
	if (ch.use == XPV_PMEM_SB_USE_NONE) {
		bool blank = !c->primary_err && !c->backup_err &&
			     ndxen_block_blank(&c->primary) &&
			     ndxen_block_blank(&c->backup);

		if (!fresh_ok || !(blank || (o && o->force))) {
			ndxen_err(ns, "both info block copies are invalid (primary: %s; backup: %s)%s\n",
				  xpv_pmem_sb_reason_str(ch.primary_reason),
				  xpv_pmem_sb_reason_str(ch.backup_reason),
				  fresh_ok ? ": --force rewrites them" : "");
			ndxen_json_check(j, &ch, "refused");
			rc = -EBADMSG;
			goto out_close;
		}
		if (l.ns_spa != l.region_spa)
			ndxen_info(ns, "not at the start of its region: data can only follow it\n");
		uuid_generate(uu);
		rc = ndxen_encode_for(&l, o ? &o->sizes : NULL, uu, sb, &why);
		if (rc) {
			ndxen_err(ns, "cannot lay out a reservation here: %s (%s)\n",
				  xpv_pmem_sb_reason_str(why), strerror(-rc));
			goto out_close;
		}
		rc = ndxen_write_block(r.fd, sb, true);
		if (rc) {
			ndxen_err(ns, "writing the info blocks failed: %s\n",
				  strerror(-rc));
			goto out_close;
		}
		rc = ndxen_read_copies(r.fd, c);
		if (!rc)
			rc = ndxen_choose(c, &klive, &ch);
		if (rc || ch.use != XPV_PMEM_SB_USE_PRIMARY ||
		    ch.repair_backup) {
			ndxen_err(ns, "info blocks did not read back valid\n");
			rc = rc ? rc : -EIO;
			goto out_close;
		}
		action = "written";
		clean = true;
	} else if (ch.repair_primary || ch.repair_backup) {
		if (repair) {
			rc = ndxen_repair(r.fd, c, &ch);
			if (rc) {
				ndxen_err(ns, "repair failed: %s\n",
					  strerror(-rc));
				goto out_close;
			}
			action = ch.repair_primary ? "repaired primary" :
				 "repaired backup";
			ndxen_info(ns, "%s from the %s copy\n", action,
				   ch.repair_primary ? "backup" : "primary");
			clean = true;
		} else {
			action = ch.repair_primary ? "primary needs repair" :
				 "backup needs repair";
		}
	} else {
		clean = true;
	}
	ndxen_json_check(j, &ch, action);
out_close:
	ndxen_raw_close(&r);
	/* Also after a failure: the namespace goes back as it was found. */
	lrc = ndxen_leave(ns, r.orig, clean && !rc, handover);
	if (!rc)
		rc = lrc;
out_free:
	free(sb);
	free(c);
	return rc;
}

/* ---- create ------------------------------------------------------------ */

static int ndxen_create_ns(struct ndctl_region *region,
			   const struct ndxen_resv_opts *o,
			   struct ndctl_namespace **out)
{
	const char *rname = ndctl_region_get_devname(region);
	unsigned long long size, avail;
	struct ndctl_namespace *ndns;
	uuid_t uu;
	int rc;

	rc = ndxen_plan_ns_size(ndctl_region_get_resource(region),
				ndctl_region_get_size(region),
				ndctl_region_get_align(region), &o->sizes,
				&size);
	if (rc) {
		ndxen_err(rname, "no room for a reservation: %s\n",
			  strerror(-rc));
		return rc;
	}
	avail = ndctl_region_get_max_available_extent(region);
	if (size > avail) {
		ndxen_err(rname, "a reservation needs %llu bytes, the largest free extent is %llu\n",
			  size, avail);
		return -ENOSPC;
	}
	ndns = ndctl_region_get_namespace_seed(region);
	if (!ndns || !ndctl_namespace_is_configuration_idle(ndns)) {
		ndxen_err(rname, "no idle namespace seed\n");
		return -ENXIO;
	}
	uuid_generate(uu);
	rc = ndctl_namespace_set_uuid(ndns, uu);
	if (!rc)
		rc = ndctl_namespace_set_alt_name(ndns, XPV_PMEM_NS_NAME);
	if (!rc)
		rc = ndctl_namespace_set_size(ndns, size);
	if (rc) {
		ndxen_err(ndctl_namespace_get_devname(ndns),
			  "cannot configure the reservation namespace: %s\n",
			  strerror(-rc));
		goto err;
	}
	ndctl_namespace_set_enforce_mode(ndns, NDCTL_NS_MODE_RAW);
	if (ndctl_namespace_get_resource(ndns) !=
	    ndctl_region_get_resource(region))
		ndxen_info(ndctl_namespace_get_devname(ndns),
			   "did not land at the start of %s\n", rname);
	ndxen_info(ndctl_namespace_get_devname(ndns),
		   "created in %s: %llu bytes\n", rname, size);
	*out = ndns;
	return 0;
err:
	ndctl_namespace_delete(ndns);
	return rc;
}

/* ---- JSON ------------------------------------------------------------- */

static void ndxen_add_attr_range(struct json_object *j, const char *key,
				 const char *ns, const char *prefix)
{
	unsigned long long spa, size;
	char a[40], buf[64];
	struct json_object *r;

	snprintf(a, sizeof(a), "%s_spa", prefix);
	if (ndxen_ns_attr(ns, a, buf, sizeof(buf)))
		return;
	spa = strtoull(buf, NULL, 0);
	snprintf(a, sizeof(a), "%s_size", prefix);
	if (ndxen_ns_attr(ns, a, buf, sizeof(buf)))
		return;
	size = strtoull(buf, NULL, 0);
	r = json_object_new_object();
	json_object_object_add(r, "spa", ndxen_json_hex(spa));
	json_object_object_add(r, "size", ndxen_json_size(size));
	json_object_object_add(j, key, r);
}

/*
 * ndxen_json_reservation() - ndctl-style object for a reservation
 * namespace: what libndctl says, merged with xen_pmem's sysfs state.
 */
struct json_object *ndxen_json_reservation(struct ndctl_namespace *ndns)
{
	const char *ns = ndctl_namespace_get_devname(ndns);
	static const char *const text[] = {
		"state", "reason", "info_block", "repaired", "uuid",
	};
	struct json_object *j = json_object_new_object();
	char uu[40], buf[256], drv[64];
	unsigned int i;
	bool owns;
	uuid_t u;

	ndctl_namespace_get_uuid(ndns, u);
	uuid_unparse(u, uu);
	json_object_object_add(j, "dev", json_object_new_string(ns));
	json_object_object_add(j, "region", json_object_new_string(
		ndctl_region_get_devname(ndctl_namespace_get_region(ndns))));
	json_object_object_add(j, "name", json_object_new_string(
		ndctl_namespace_get_alt_name(ndns)));
	json_object_object_add(j, "uuid", json_object_new_string(uu));
	json_object_object_add(j, "resource",
			       ndxen_json_hex(ndctl_namespace_get_resource(ndns)));
	json_object_object_add(j, "size",
			       ndxen_json_size(ndctl_namespace_get_size(ndns)));
	if (ndxen_ns_driver(ns, drv, sizeof(drv)))
		drv[0] = '\0';
	json_object_object_add(j, "driver",
			       json_object_new_string(*drv ? drv : "none"));
	owns = ndxen_xen_owns(ns);
	json_object_object_add(j, "xen_owns", json_object_new_boolean(owns));
	if (strcmp(drv, NDXEN_DRIVER)) {
		/* Unbound but fenced by xen_pmem: an "orphan". */
		json_object_object_add(j, "state", json_object_new_string(
			owns ? "orphan" : "unclaimed"));
		return j;
	}
	for (i = 0; i < sizeof(text) / sizeof(text[0]); i++) {
		if (ndxen_ns_attr(ns, text[i], buf, sizeof(buf)))
			continue;
		json_object_object_add(j, strcmp(text[i], "uuid") ? text[i] :
				       "reservation_uuid",
				       json_object_new_string(buf));
	}
	if (!ndxen_ns_attr(ns, "last_error", buf, sizeof(buf)))
		json_object_object_add(j, "last_error",
				       json_object_new_int(atoi(buf)));
	ndxen_add_attr_range(j, "covered", ns, "covered");
	ndxen_add_attr_range(j, "reserved", ns, "reserved");
	ndxen_add_attr_range(j, "data", ns, "data");
	return j;
}

/* ---- commands' core ----------------------------------------------------- */

/*
 * ndxen_reserve() - make sure @region has a valid reservation, claimed by
 * xen_pmem when it is loaded
 * @region: a pmem region
 * @o:      sizes, --force
 * @out:    the reservation's JSON object (with "media": "action" and, when
 *          the blocks were read, each copy's verdict), also on failure
 *          once a reservation namespace exists; NULL otherwise
 *
 * Idempotent: a valid reservation is left byte for byte as it is (a bad
 * copy is repaired from the good one); one the hypervisor may own is not
 * even read (left unbound, it is handed back to xen_pmem, which adopts its
 * fence).
 *
 * Return: 0 or -errno (the error was printed, naming the object).
 */
int ndxen_reserve(struct ndctl_region *region,
		  const struct ndxen_resv_opts *o, struct json_object **out)
{
	const char *rname = ndctl_region_get_devname(region);
	struct json_object *media = json_object_new_object();
	struct ndctl_namespace *ndns, *other;
	bool created = false;
	const char *ns;
	char drv[64];
	int rc;

	*out = NULL;
	if (ndctl_region_get_type(region) != ND_DEVICE_REGION_PMEM) {
		ndxen_err(rname, "not a pmem region\n");
		rc = -EINVAL;
		goto out;
	}
	if (ndctl_region_get_nstype(region) == ND_DEVICE_NAMESPACE_IO) {
		rc = ndxen_enable_labels(region, o->force);
		if (rc)
			goto out;
	}
	ndns = ndxen_find_reservation(region);
	if (!ndns) {
		ndctl_namespace_foreach(region, other)
			if (ndctl_namespace_get_size(other)) {
				ndxen_err(rname, "already holds %s: the reservation namespace is created first, in an empty region\n",
					  ndctl_namespace_get_devname(other));
				rc = -EBUSY;
				goto out;
			}
		rc = ndxen_create_ns(region, o, &ndns);
		if (rc)
			goto out;
		created = true;
	}
	ns = ndctl_namespace_get_devname(ndns);
	if (!created && ndxen_xen_owns(ns)) {
		json_object_object_add(media, "action",
				       json_object_new_string(ndxen_owned_action(ns)));
		rc = 0;
		if (ndxen_ns_driver(ns, drv, sizeof(drv)) || !*drv) {
			/* Unbound with its fence kept: xen_pmem adopts it. */
			ndxen_info(ns, "the hypervisor may own its reserved area: handed back to xen_pmem, media not touched\n");
			rc = ndxen_bind(ns, NDXEN_DRIVER);
		}
	} else {
		rc = ndxen_media(ndns, o, true, true, true, media);
		if (rc && created) {
			ndctl_namespace_delete(ndns);
			goto out;
		}
	}
	*out = ndxen_json_reservation(ndns);
	json_object_object_add(*out, "media", media);
	media = NULL;
out:
	json_object_put(media);
	return rc;
}

/*
 * ndxen_check() - validate (and with @repair, repair) the info blocks of a
 * reservation namespace the hypervisor does not own
 *
 * Without @repair nothing is written, by the tool or by xen_pmem: the
 * namespace is left as it was found (bound to the same driver again, or
 * disabled), except that one whose media need a repair is not bound to a
 * driver that would make it (it is left disabled, and said so).
 *
 * Return: 0 when the media is usable, -EBADMSG when both copies are bad,
 * or -errno.  A namespace the hypervisor may own is not read: 0.
 */
int ndxen_check(struct ndctl_namespace *ndns, bool repair,
		struct json_object **out)
{
	const char *ns = ndctl_namespace_get_devname(ndns);
	struct json_object *media = json_object_new_object();
	int rc = 0;

	if (ndxen_xen_owns(ns))
		json_object_object_add(media, "action",
				       json_object_new_string(ndxen_owned_action(ns)));
	else
		rc = ndxen_media(ndns, NULL, repair, false, false, media);
	*out = ndxen_json_reservation(ndns);
	json_object_object_add(*out, "media", media);
	return rc;
}

/*
 * ndxen_release() - destroy @region's reservation namespace (info blocks
 * wiped, namespace deleted)
 * @region: region
 * @force:  required: the action is destructive
 * @out:    {"dev", "released"}, or NULL when there was nothing to release
 *
 * Return: 0 (also when there is no reservation), -EBUSY when it is
 * reported, -EPERM without @force, or -errno.
 */
int ndxen_release(struct ndctl_region *region, bool force,
		  struct json_object **out)
{
	struct ndctl_namespace *ndns = ndxen_find_reservation(region);
	static const u8 zero[XPV_PMEM_SB_HDR_END];
	struct ndxen_raw r;
	const char *ns;
	void *buf;
	int rc;

	*out = NULL;
	if (!ndns)
		return 0;
	ns = ndctl_namespace_get_devname(ndns);
	if (ndxen_is_reported(ns)) {
		ndxen_err(ns, "reported: Xen owns its reserved area until reboot\n");
		return -EBUSY;
	}
	if (ndxen_xen_owns(ns)) {
		ndxen_err(ns, "the hypervisor may own its reserved area (xen_pmem keeps it fenced until reboot): not released\n");
		return -EBUSY;
	}
	if (!force) {
		ndxen_err(ns, "releasing destroys the reservation: use --force\n");
		return -EPERM;
	}
	rc = ndxen_raw_open(ndns, &r);
	if (rc)
		return rc;
	if (posix_memalign(&buf, 4096, sizeof(zero))) {
		ndxen_raw_close(&r);
		return -ENOMEM;
	}
	memset(buf, 0, sizeof(zero));
	errno = EIO;
	if (ndxen_pwrite(r.fd, buf, sizeof(zero), 0) != (ssize_t)sizeof(zero) ||
	    fdatasync(r.fd))
		rc = -errno;
	free(buf);
	ndxen_raw_close(&r);
	if (rc) {
		ndxen_err(ns, "wiping the info blocks failed: %s\n",
			  strerror(-rc));
		return rc;
	}
	*out = json_object_new_object();
	json_object_object_add(*out, "dev", json_object_new_string(ns));
	rc = ndctl_namespace_delete(ndns);
	if (rc) {
		ndxen_err(ns, "info blocks wiped but the namespace could not be deleted: %s\n",
			  strerror(-rc));
		json_object_put(*out);
		*out = NULL;
		return rc;
	}
	json_object_object_add(*out, "released", json_object_new_boolean(1));
	return 0;
}
