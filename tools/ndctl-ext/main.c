// SPDX-License-Identifier: GPL-2.0-only
/*
 * ndctl-xen - ndctl's companion for Xen Dom0: the Xen reservation
 * namespace of each pmem region (where Xen keeps page_info and M2P for
 * the region), what xen_pmem reported, and the SPA ranges of pmem devices
 * and DAX files.  git-style command table; JSON on stdout, errors on
 * stderr naming the object.  Documentation/ndctl-xen*.txt.
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ndctl-xen.h"

static int cmd_help(int argc, char **argv);
static int cmd_version(int argc, char **argv);

static const struct ndxen_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} ndxen_cmds[] = {
	{ "create-namespace", cmd_create_namespace,
	  "ndctl create-namespace, with --xen-reserve: reservation first" },
	{ "reserve", cmd_reserve,
	  "create or verify each region's reservation namespace" },
	{ "release", cmd_release,
	  "destroy a region's reservation (not once reported; --force)" },
	{ "check", cmd_check,
	  "validate the info blocks (--repair: rewrite a bad copy)" },
	{ "list", cmd_list, "reservation namespaces and their state (JSON)" },
	{ "status", cmd_status,
	  "what xen_pmem reported; exit 0 when everything is" },
	{ "spa", cmd_spa, "SPA ranges of /dev/pmemX or of a DAX file" },
	{ "version", cmd_version, "print the version" },
	{ "help", cmd_help, "this list, or a command's manual page" },
};

#define NDXEN_NR_CMDS	(sizeof(ndxen_cmds) / sizeof(ndxen_cmds[0]))

static void ndxen_usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: ndctl-xen [--version] [--help] COMMAND [ARGS]\n\n");
	for (i = 0; i < NDXEN_NR_CMDS; i++)
		fprintf(f, "   %-18s %s\n", ndxen_cmds[i].name,
			ndxen_cmds[i].summary);
	fprintf(f, "\nSee 'ndctl-xen help COMMAND' for a command's manual page.\n");
}

static int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("%s\n", NDXEN_VERSION);
	return NDXEN_EXIT_OK;
}

static int cmd_help(int argc, char **argv)
{
	char page[96];
	size_t i;

	if (argc < 2) {
		ndxen_usage(stdout);
		return NDXEN_EXIT_OK;
	}
	for (i = 0; i < NDXEN_NR_CMDS; i++)
		if (!strcmp(argv[1], ndxen_cmds[i].name))
			break;
	if (i == NDXEN_NR_CMDS) {
		ndxen_err(argv[1], "no such command\n");
		return NDXEN_EXIT_USAGE;
	}
	snprintf(page, sizeof(page), "man -w ndctl-xen-%s >/dev/null 2>&1",
		 argv[1]);
	if (!system(page)) {
		snprintf(page, sizeof(page), "ndctl-xen-%s", argv[1]);
		execlp("man", "man", page, (char *)NULL);
	}
	/* No man(1) or no page installed: the short usage instead. */
	{
		char *help[] = { argv[1], "--help", NULL };

		optind = 1;
		return ndxen_cmds[i].fn(2, help);
	}
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		ndxen_usage(stderr);
		return NDXEN_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))
		return cmd_version(0, NULL);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return cmd_help(1, argv);
	for (i = 0; i < NDXEN_NR_CMDS; i++)
		if (!strcmp(argv[1], ndxen_cmds[i].name))
			return ndxen_cmds[i].fn(argc - 1, argv + 1);
	ndxen_err(argv[1], "unknown command (see 'ndctl-xen help')\n");
	return NDXEN_EXIT_USAGE;
}
