// SPDX-License-Identifier: GPL-2.0-only
/*
 * create.c - create-namespace --xen-reserve, reserve, release, check.
 *
 * create-namespace --xen-reserve makes sure the chosen region has its
 * reservation namespace (created first, in an empty region), then creates
 * the data namespace the user asked for by running ndctl create-namespace
 * with the user's options, restricted to that region: the data namespace
 * is made exactly as ndctl makes it, because ndctl makes it.
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/ndctl.h>
#include <ndctl/libndctl.h>

#include "ndctl-xen.h"

#define NDXEN_MAX_ARGS	64

/* Options of ours, beyond ndctl's. */
enum {
	OPT_XEN_RESERVE = 0x100,
	OPT_PAGE_INFO_SIZE,
	OPT_NO_AUTOLABEL,
	OPT_NO_AUTORECOVER,
	OPT_REPAIR,
};

static int ndxen_new_ctx(struct ndctl_ctx **ctx)
{
	int rc = ndctl_new(ctx);

	if (rc) {
		ndxen_err(NULL, "cannot open libndctl: %s\n", strerror(-rc));
		return rc;
	}
	ndctl_set_log_priority(*ctx, ndxen_verbose ? 7 : 3);
	return 0;
}

/* Page-info size option: Xen's page_info is 32 bytes, 48 with BIGMEM. */
static int ndxen_opt_page_info(const char *arg, struct ndxen_resv_opts *o)
{
	unsigned long long v;

	if (ndxen_parse_uint(arg, XPV_PMEM_ENTRY_SIZE_MAX, &v) ||
	    v < XPV_PMEM_PAGE_INFO_SIZE) {
		ndxen_err(NULL, "--page-info-size=%s: expected %u..%u bytes\n",
			  arg, XPV_PMEM_PAGE_INFO_SIZE, XPV_PMEM_ENTRY_SIZE_MAX);
		return -EINVAL;
	}
	o->sizes.page_info = (u32)v;
	return 0;
}

/*
 * Entry sizes for @region: defaults by the 1 TiB rule, with the user's
 * page_info size (0: default).
 */
static void ndxen_sizes_for(struct ndctl_region *region, u32 page_info,
			    struct xpv_pmem_entry_sizes *sizes)
{
	xpv_pmem_default_sizes(ndctl_region_get_resource(region) >>
			       XPV_PMEM_PAGE_SHIFT, sizes);
	if (page_info)
		sizes->page_info = page_info;
}

/* Print one object, or an array of several; consumes @a. */
static void ndxen_print_list(struct json_object *a)
{
	struct json_object *one;

	if (json_object_array_length(a) == 1) {
		one = json_object_get(json_object_array_get_idx(a, 0));
		json_object_put(a);
		ndxen_json_print(one);
		return;
	}
	if (json_object_array_length(a))
		ndxen_json_print(a);
	else
		json_object_put(a);
}

/* ---- reserve / release / check --------------------------------------- */

struct ndxen_common {
	struct ndxen_filter f;
	struct ndxen_resv_opts o;
	u32 page_info;
	bool repair;
};

static int ndxen_parse_common(int argc, char **argv, const char *cmd,
			      struct ndxen_common *c, bool want_ns)
{
	static const struct option opts[] = {
		{ "bus", required_argument, NULL, 'b' },
		{ "region", required_argument, NULL, 'r' },
		{ "namespace", required_argument, NULL, 'n' },
		{ "force", no_argument, NULL, 'f' },
		{ "human", no_argument, NULL, 'u' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "page-info-size", required_argument, NULL,
		  OPT_PAGE_INFO_SIZE },
		{ "repair", no_argument, NULL, OPT_REPAIR },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	memset(c, 0, sizeof(*c));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "b:r:n:fuvh", opts, NULL)) != -1) {
		switch (ch) {
		case 'b':
			c->f.bus = optarg;
			break;
		case 'r':
			c->f.region = optarg;
			break;
		case 'n':
			if (!want_ns)
				goto usage;
			c->f.namespace = optarg;
			break;
		case 'f':
			c->o.force = true;
			break;
		case 'u':
			ndxen_human = true;
			break;
		case 'v':
			ndxen_verbose++;
			break;
		case OPT_PAGE_INFO_SIZE:
			if (ndxen_opt_page_info(optarg, &c->o))
				return NDXEN_EXIT_USAGE;
			c->page_info = c->o.sizes.page_info;
			break;
		case OPT_REPAIR:
			c->repair = true;
			break;
		case 'h':
			printf("usage: ndctl-xen %s [-b BUS] [-r REGION]%s [-f] [-u] [-v]%s\n",
			       cmd, want_ns ? " [-n NAMESPACE]" : "",
			       !strcmp(cmd, "reserve") ?
			       " [--page-info-size=BYTES]" :
			       !strcmp(cmd, "check") ? " [--repair]" : "");
			return -1;
		default:
			goto usage;
		}
	}
	if (optind < argc) {
		ndxen_err(NULL, "%s: unexpected argument '%s'\n", cmd,
			  argv[optind]);
		goto usage;
	}
	return 0;
usage:
	ndxen_err(NULL, "%s: see 'ndctl-xen help %s'\n", cmd, cmd);
	return NDXEN_EXIT_USAGE;
}

/* cmd_reserve() - ndctl-xen reserve: a reservation in each chosen region. */
int cmd_reserve(int argc, char **argv)
{
	struct json_object *a, *j;
	struct ndctl_region *region;
	struct ndctl_ctx *ctx;
	struct ndctl_bus *bus;
	struct ndxen_common c;
	int rc, n = 0, fails = 0;

	rc = ndxen_parse_common(argc, argv, "reserve", &c, false);
	if (rc)
		return rc < 0 ? NDXEN_EXIT_OK : rc;
	if (ndxen_new_ctx(&ctx))
		return NDXEN_EXIT_FAIL;
	a = json_object_new_array();
	ndctl_bus_foreach(ctx, bus)
		ndctl_region_foreach(bus, region) {
			if (!ndxen_region_match(region, &c.f) ||
			    ndctl_region_get_type(region) != ND_DEVICE_REGION_PMEM)
				continue;
			n++;
			ndxen_sizes_for(region, c.page_info, &c.o.sizes);
			if (ndxen_reserve(region, &c.o, &j))
				fails++;
			if (j)
				json_object_array_add(a, j);
		}
	ndxen_print_list(a);
	ndctl_unref(ctx);
	if (!n) {
		ndxen_err(c.f.region, "no pmem region matches\n");
		return NDXEN_EXIT_FAIL;
	}
	return fails ? NDXEN_EXIT_FAIL : NDXEN_EXIT_OK;
}

/* cmd_release() - ndctl-xen release -r REGION --force. */
int cmd_release(int argc, char **argv)
{
	struct json_object *a, *j;
	struct ndctl_region *region;
	struct ndctl_ctx *ctx;
	struct ndctl_bus *bus;
	struct ndxen_common c;
	int rc, n = 0, fails = 0;

	rc = ndxen_parse_common(argc, argv, "release", &c, false);
	if (rc)
		return rc < 0 ? NDXEN_EXIT_OK : rc;
	if (!c.f.region) {
		ndxen_err(NULL, "release: name the region (-r REGION, or -r all)\n");
		return NDXEN_EXIT_USAGE;
	}
	if (ndxen_new_ctx(&ctx))
		return NDXEN_EXIT_FAIL;
	a = json_object_new_array();
	ndctl_bus_foreach(ctx, bus)
		ndctl_region_foreach(bus, region) {
			if (!ndxen_region_match(region, &c.f))
				continue;
			n++;
			if (ndxen_release(region, c.o.force, &j))
				fails++;
			if (j)
				json_object_array_add(a, j);
		}
	ndxen_print_list(a);
	ndctl_unref(ctx);
	if (!n) {
		ndxen_err(c.f.region, "no region matches\n");
		return NDXEN_EXIT_FAIL;
	}
	return fails ? NDXEN_EXIT_FAIL : NDXEN_EXIT_OK;
}

/* cmd_check() - ndctl-xen check [--repair]: validate unreported blocks. */
int cmd_check(int argc, char **argv)
{
	struct ndctl_namespace *ndns;
	struct ndctl_region *region;
	struct json_object *a, *j;
	struct ndctl_ctx *ctx;
	struct ndctl_bus *bus;
	struct ndxen_common c;
	int rc, n = 0, fails = 0;

	rc = ndxen_parse_common(argc, argv, "check", &c, true);
	if (rc)
		return rc < 0 ? NDXEN_EXIT_OK : rc;
	if (ndxen_new_ctx(&ctx))
		return NDXEN_EXIT_FAIL;
	a = json_object_new_array();
	ndctl_bus_foreach(ctx, bus)
		ndctl_region_foreach(bus, region) {
			if (!ndxen_region_match(region, &c.f))
				continue;
			ndns = ndxen_find_reservation(region);
			if (!ndns || (c.f.namespace &&
				      strcmp(c.f.namespace,
					     ndctl_namespace_get_devname(ndns))))
				continue;
			n++;
			if (ndxen_check(ndns, c.repair, &j))
				fails++;
			json_object_array_add(a, j);
		}
	ndxen_print_list(a);
	ndctl_unref(ctx);
	if (!n) {
		ndxen_err(c.f.namespace ? c.f.namespace : c.f.region,
			  "no reservation namespace matches\n");
		return NDXEN_EXIT_FAIL;
	}
	return fails ? NDXEN_EXIT_FAIL : NDXEN_EXIT_OK;
}

/* ---- create-namespace ------------------------------------------------- */

static const char *ndxen_long_of(const struct option *opts, int ch)
{
	for (; opts->name; opts++)
		if (opts->val == ch)
			return opts->name;
	return NULL;
}

/*
 * The region for --xen-reserve: the one -r names, else the first pmem
 * region that already has a reservation or is still empty.
 */
static struct ndctl_region *ndxen_pick_region(struct ndctl_ctx *ctx,
					      const struct ndxen_filter *f)
{
	struct ndctl_namespace *ndns;
	struct ndctl_region *region;
	struct ndctl_bus *bus;
	bool empty;

	ndctl_bus_foreach(ctx, bus)
		ndctl_region_foreach(bus, region) {
			if (!ndxen_region_match(region, f) ||
			    ndctl_region_get_type(region) != ND_DEVICE_REGION_PMEM)
				continue;
			if (f->region && strcmp(f->region, "all"))
				return region;
			if (ndxen_find_reservation(region))
				return region;
			empty = true;
			ndctl_namespace_foreach(region, ndns)
				if (ndctl_namespace_get_size(ndns) &&
				    ndctl_region_get_nstype(region) ==
				    ND_DEVICE_NAMESPACE_PMEM)
					empty = false;
			if (empty)
				return region;
		}
	return NULL;
}

/* cmd_create_namespace() - ndctl-xen create-namespace [--xen-reserve] ... */
int cmd_create_namespace(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "xen-reserve", no_argument, NULL, OPT_XEN_RESERVE },
		{ "page-info-size", required_argument, NULL,
		  OPT_PAGE_INFO_SIZE },
		{ "bus", required_argument, NULL, 'b' },
		{ "region", required_argument, NULL, 'r' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "reconfig", required_argument, NULL, 'e' },
		{ "uuid", required_argument, NULL, 'u' },
		{ "name", required_argument, NULL, 'n' },
		{ "size", required_argument, NULL, 's' },
		{ "mode", required_argument, NULL, 'm' },
		{ "map", required_argument, NULL, 'M' },
		{ "sector-size", required_argument, NULL, 'l' },
		{ "type", required_argument, NULL, 't' },
		{ "align", required_argument, NULL, 'a' },
		{ "force", no_argument, NULL, 'f' },
		{ "autolabel", no_argument, NULL, 'L' },
		{ "no-autolabel", no_argument, NULL, OPT_NO_AUTOLABEL },
		{ "continue", no_argument, NULL, 'c' },
		{ "autorecover", no_argument, NULL, 'R' },
		{ "no-autorecover", no_argument, NULL, OPT_NO_AUTORECOVER },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static char own[NDXEN_MAX_ARGS][256];
	char *args[NDXEN_MAX_ARGS + 4];
	struct json_object *resv = NULL, *data = NULL, *out;
	struct ndxen_resv_opts o;
	struct ndxen_filter f;
	struct ndctl_region *region;
	struct ndctl_ctx *ctx;
	bool xen = false, reconfig = false;
	int ch, nargs = 2, nown = 0, rc, i;
	u32 page_info = 0;
	const char *name;
	char regarg[64];

	memset(&o, 0, sizeof(o));
	memset(&f, 0, sizeof(f));
	args[1] = "create-namespace";
	optind = 1;
	while ((ch = getopt_long(argc, argv, "b:r:ve:u:n:s:m:M:l:t:a:fLcRh",
				 opts, NULL)) != -1) {
		/*
		 * ndctl's options go to ndctl, normalised to their long form;
		 * --region is added back per the region chosen.
		 */
		name = ndxen_long_of(opts, ch);
		if (name && ch != OPT_XEN_RESERVE && ch != OPT_PAGE_INFO_SIZE &&
		    ch != 'r' && ch != 'h') {
			if (nown == NDXEN_MAX_ARGS) {
				ndxen_err(NULL, "create-namespace: too many options\n");
				return NDXEN_EXIT_USAGE;
			}
			if (optarg)
				snprintf(own[nown++], sizeof(own[0]), "--%s=%s",
					 name, optarg);
			else
				snprintf(own[nown++], sizeof(own[0]), "--%s",
					 name);
		}
		switch (ch) {
		case OPT_XEN_RESERVE:
			xen = true;
			break;
		case OPT_PAGE_INFO_SIZE:
			if (ndxen_opt_page_info(optarg, &o))
				return NDXEN_EXIT_USAGE;
			page_info = o.sizes.page_info;
			break;
		case 'b':
			f.bus = optarg;
			break;
		case 'r':
			f.region = optarg;
			break;
		case 'v':
			ndxen_verbose++;
			break;
		case 'f':
			o.force = true;
			break;
		case 'n':
			if (!strcmp(optarg, XPV_PMEM_NS_NAME)) {
				ndxen_err(NULL, "the name '%s' is reserved for the Xen reservation namespace\n",
					  optarg);
				return NDXEN_EXIT_USAGE;
			}
			break;
		case 'e':
			reconfig = true;
			break;
		case 'h':
			printf("usage: ndctl-xen create-namespace --xen-reserve [--page-info-size=BYTES] [ndctl create-namespace options]\n");
			return NDXEN_EXIT_OK;
		case '?':
			ndxen_err(NULL, "create-namespace: see 'ndctl-xen help create-namespace'\n");
			return NDXEN_EXIT_USAGE;
		default:
			break;
		}
	}
	if (optind < argc) {
		ndxen_err(NULL, "create-namespace: unexpected argument '%s'\n",
			  argv[optind]);
		return NDXEN_EXIT_USAGE;
	}
	if (xen && reconfig) {
		ndxen_err(NULL, "--xen-reserve creates namespaces; reconfigure with ndctl create-namespace -e\n");
		return NDXEN_EXIT_USAGE;
	}
	for (i = 0; i < nown; i++)
		args[nargs++] = own[i];

	if (!xen) {
		/* Plain ndctl. */
		if (f.region) {
			snprintf(regarg, sizeof(regarg), "--region=%s",
				 f.region);
			args[nargs++] = regarg;
		}
		args[nargs] = NULL;
		rc = ndxen_run_ndctl(args, &data);
		ndxen_json_print(data);
		return rc ? NDXEN_EXIT_FAIL : NDXEN_EXIT_OK;
	}

	if (ndxen_new_ctx(&ctx))
		return NDXEN_EXIT_FAIL;
	region = ndxen_pick_region(ctx, &f);
	if (!region) {
		ndxen_err(f.region, "no pmem region is empty or already reserved\n");
		ndctl_unref(ctx);
		return NDXEN_EXIT_FAIL;
	}
	ndxen_sizes_for(region, page_info, &o.sizes);
	rc = ndxen_reserve(region, &o, &resv);
	snprintf(regarg, sizeof(regarg), "--region=%s",
		 ndctl_region_get_devname(region));
	ndctl_unref(ctx);
	if (rc) {
		ndxen_json_print(resv);
		return NDXEN_EXIT_FAIL;
	}

	/* The data namespace: ndctl, the user's options, this region. */
	args[nargs++] = regarg;
	args[nargs] = NULL;
	rc = ndxen_run_ndctl(args, &data);
	out = json_object_new_object();
	json_object_object_add(out, "reservation", resv);
	if (data)
		json_object_object_add(out, "namespace", data);
	ndxen_json_print(out);
	if (rc) {
		ndxen_err(regarg + 9, "ndctl create-namespace failed (%d): the reservation stays\n",
			  -rc);
		return NDXEN_EXIT_FAIL;
	}
	return NDXEN_EXIT_OK;
}
