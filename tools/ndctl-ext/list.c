// SPDX-License-Identifier: GPL-2.0-only
/*
 * list.c - "ndctl-xen list" (reservation namespaces, ndctl-style JSON, no
 * media access) and "ndctl-xen status" (what xen_pmem did with them).
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ndctl/libndctl.h>

#include "ndctl-xen.h"

#define NDXEN_DBG_DIR	"/sys/kernel/debug/" NDXEN_DRIVER

static int ndxen_parse_filters(int argc, char **argv, const char *cmd,
			       struct ndxen_filter *f)
{
	static const struct option opts[] = {
		{ "bus", required_argument, NULL, 'b' },
		{ "region", required_argument, NULL, 'r' },
		{ "namespace", required_argument, NULL, 'n' },
		{ "human", no_argument, NULL, 'u' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(f, 0, sizeof(*f));
	optind = 1;
	while ((c = getopt_long(argc, argv, "b:r:n:uvh", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			f->bus = optarg;
			break;
		case 'r':
			f->region = optarg;
			break;
		case 'n':
			f->namespace = optarg;
			break;
		case 'u':
			ndxen_human = true;
			break;
		case 'v':
			ndxen_verbose++;
			break;
		case 'h':
			printf("usage: ndctl-xen %s [-b BUS] [-r REGION] [-n NAMESPACE] [-u]\n",
			       cmd);
			return -1;
		default:
			ndxen_err(NULL, "%s: see 'ndctl-xen help %s'\n", cmd, cmd);
			return NDXEN_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		ndxen_err(NULL, "%s: unexpected argument '%s'\n", cmd,
			  argv[optind]);
		return NDXEN_EXIT_USAGE;
	}
	return 0;
}

/*
 * Every reservation namespace matching @f, as an array.  @reported counts
 * those xen_pmem reported; returns the number listed.
 */
static int ndxen_collect(const struct ndxen_filter *f, struct json_object **out,
			 int *reported)
{
	struct ndctl_namespace *ndns;
	struct ndctl_region *region;
	struct ndctl_ctx *ctx;
	struct ndctl_bus *bus;
	char st[32];
	int rc, n = 0;

	*out = json_object_new_array();
	*reported = 0;
	rc = ndctl_new(&ctx);
	if (rc) {
		ndxen_err(NULL, "cannot open libndctl: %s\n", strerror(-rc));
		return rc;
	}
	ndctl_bus_foreach(ctx, bus)
		ndctl_region_foreach(bus, region) {
			if (!ndxen_region_match(region, f))
				continue;
			ndctl_namespace_foreach(region, ndns) {
				const char *ns = ndctl_namespace_get_devname(ndns);

				if (!ndxen_ns_is_reservation(ndns) ||
				    (f->namespace && strcmp(f->namespace, ns)))
					continue;
				json_object_array_add(*out,
						      ndxen_json_reservation(ndns));
				n++;
				if (!ndxen_state(ns, st, sizeof(st)) &&
				    !strcmp(st, "reported"))
					(*reported)++;
			}
		}
	ndctl_unref(ctx);
	return n;
}

/* cmd_list() - ndctl-xen list: always a JSON array (empty: "[]"). */
int cmd_list(int argc, char **argv)
{
	struct ndxen_filter f;
	struct json_object *a;
	int rc, reported;

	rc = ndxen_parse_filters(argc, argv, "list", &f);
	if (rc)
		return rc < 0 ? NDXEN_EXIT_OK : rc;
	rc = ndxen_collect(&f, &a, &reported);
	ndxen_json_print(a);
	return rc < 0 ? NDXEN_EXIT_FAIL : NDXEN_EXIT_OK;
}

/*
 * cmd_status() - ndctl-xen status: the module and every reservation it
 * knows.  Exit 0 only when xen_pmem is loaded and every reservation
 * namespace matching the filters is reported.
 */
int cmd_status(int argc, char **argv)
{
	struct json_object *j, *a;
	struct ndxen_filter f;
	int rc, n, reported;
	char buf[64];

	rc = ndxen_parse_filters(argc, argv, "status", &f);
	if (rc)
		return rc < 0 ? NDXEN_EXIT_OK : rc;
	j = json_object_new_object();
	rc = access("/sys/module/" NDXEN_DRIVER, F_OK);
	json_object_object_add(j, "module",
			       json_object_new_string(rc ? "not loaded" :
						      "loaded"));
	if (!rc && !ndxen_sysfs_read(NDXEN_DBG_DIR "/probe_rc", buf,
				     sizeof(buf)))
		json_object_object_add(j, "report_op",
				       json_object_new_string(atoi(buf) ?
							      "unavailable" :
							      "available"));
	n = ndxen_collect(&f, &a, &reported);
	json_object_object_add(j, "reservations", json_object_new_int(n < 0 ? 0 : n));
	json_object_object_add(j, "reported", json_object_new_int(reported));
	json_object_object_add(j, "namespaces", a);
	ndxen_json_print(j);
	if (rc) {
		ndxen_err(NDXEN_DRIVER, "not loaded: nothing is reported to Xen\n");
		return NDXEN_EXIT_FAIL;
	}
	if (n < 0 || reported != n)
		return NDXEN_EXIT_FAIL;
	return NDXEN_EXIT_OK;
}
