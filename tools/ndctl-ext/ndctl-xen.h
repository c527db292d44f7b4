/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ndctl-xen.h - shared declarations of the ndctl-xen tool.
 *
 * Layers: util.c (messages, sysfs, sizes, JSON helpers) -> media.c (the
 * info block on an open fd: read, write in crash-safe order, plan a new
 * one; no libndctl, unit tested against file images) -> resv.c (reservation
 * namespaces through libndctl: find, create, verify/repair, release, hand
 * to xen_pmem) -> commands (main.c, create.c, list.c, spa.c).
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#ifndef NDCTL_XEN_H
#define NDCTL_XEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <json-c/json.h>
#include <linux/types.h>	/* the shim: u8..u64 for pmem_sb.h */
#include <xpv/pmem_sb.h>

#define NDXEN_VERSION		"1.0"
#define NDXEN_DRIVER		"xen_pmem"
#define NDXEN_SYS_DRIVER	"/sys/bus/nd/drivers/" NDXEN_DRIVER
#define NDXEN_SYS_DEVICES	"/sys/bus/nd/devices"

/* Exit codes (ndctl uses 0/1; tests that cannot run return 77). */
#define NDXEN_EXIT_OK		0
#define NDXEN_EXIT_FAIL		1
#define NDXEN_EXIT_USAGE	2

/* ---- util.c --------------------------------------------------------- */

extern int ndxen_verbose;
extern bool ndxen_human;

void ndxen_err(const char *obj, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void ndxen_info(const char *obj, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void ndxen_dbg(const char *obj, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

int ndxen_parse_size(const char *s, unsigned long long *out);
int ndxen_parse_uint(const char *s, unsigned long long max,
		     unsigned long long *out);
void ndxen_fmt_size(unsigned long long bytes, char *buf, size_t len);

int ndxen_sysfs_read(const char *path, char *buf, size_t len);
int ndxen_sysfs_write(const char *path, const char *val);
int ndxen_sysfs_read_ull(const char *path, int base, unsigned long long *v);
int ndxen_ns_attr(const char *ns, const char *attr, char *buf, size_t len);
int ndxen_ns_driver(const char *ns, char *buf, size_t len);
bool ndxen_list_has(const char *list, const char *name);
bool ndxen_xen_owns(const char *ns);

/* realloc used by ndxen_run_ndctl() (tests make it fail). */
extern void *(*ndxen_realloc)(void *p, size_t n);
int ndxen_run_ndctl(char **args, struct json_object **out);

struct json_object *ndxen_json_hex(unsigned long long v);
struct json_object *ndxen_json_size(unsigned long long v);
void ndxen_json_print(struct json_object *jobj);

/* ---- media.c -------------------------------------------------------- */

/**
 * struct ndxen_live - what libndctl says about a reservation namespace
 * @parent_uuid: the namespace uuid (label uuid).
 * @ns_spa:      namespace start (its "resource").
 * @ns_size:     namespace size.
 * @region_spa:  region start.
 * @region_size: region size.
 */
struct ndxen_live {
	u8 parent_uuid[16];
	unsigned long long ns_spa;
	unsigned long long ns_size;
	unsigned long long region_spa;
	unsigned long long region_size;
};

/**
 * struct ndxen_copies - both info block copies as read from media
 * @primary:     the block at +4 KiB.
 * @backup:      the block at +8 KiB.
 * @primary_err: 0, or -EIO when the primary could not be read (bad block).
 * @backup_err:  likewise for the backup.
 */
struct ndxen_copies {
	struct xpv_pmem_sb primary;
	struct xpv_pmem_sb backup;
	int primary_err;
	int backup_err;
};

/*
 * pwrite/pread used on media (tests replace them to simulate crashes and
 * bad blocks).
 */
extern ssize_t (*ndxen_pwrite)(int fd, const void *buf, size_t n, off_t off);
extern ssize_t (*ndxen_pread)(int fd, void *buf, size_t n, off_t off);

void ndxen_live_to_kernel(const struct ndxen_live *l, struct xpv_pmem_live *k);
int ndxen_read_copies(int fd, struct ndxen_copies *c);
int ndxen_choose(const struct ndxen_copies *c, const struct xpv_pmem_live *k,
		 struct xpv_pmem_sb_choice *ch);
int ndxen_write_block(int fd, const struct xpv_pmem_sb *sb, bool zero_header);
int ndxen_repair(int fd, const struct ndxen_copies *c,
		 const struct xpv_pmem_sb_choice *ch);
int ndxen_plan_ns_size(unsigned long long region_spa,
		       unsigned long long region_size, unsigned long long align,
		       const struct xpv_pmem_entry_sizes *sizes,
		       unsigned long long *ns_size);
int ndxen_encode_for(const struct ndxen_live *l,
		     const struct xpv_pmem_entry_sizes *sizes,
		     const u8 uuid[16], struct xpv_pmem_sb *sb,
		     enum xpv_pmem_sb_reason *reason);
bool ndxen_block_blank(const struct xpv_pmem_sb *sb);
struct json_object *ndxen_json_geometry(const struct xpv_pmem_sb_info *info);
struct json_object *ndxen_json_copy(int err, enum xpv_pmem_sb_reason reason);

/* ---- resv.c --------------------------------------------------------- */

struct ndctl_ctx;
struct ndctl_region;
struct ndctl_namespace;

/**
 * struct ndxen_filter - ndctl's -b/-r/-n filters
 * @bus:       bus provider or devname, or NULL.
 * @region:    region devname ("region0") or id ("0"), or NULL.
 * @namespace: namespace devname, or NULL.
 */
struct ndxen_filter {
	const char *bus;
	const char *region;
	const char *namespace;
};

/**
 * struct ndxen_resv_opts - how to create or verify a reservation
 * @sizes: entry sizes the reserved area is sized for.
 * @force: rewrite blocks that are present but invalid; destroy on release.
 */
struct ndxen_resv_opts {
	struct xpv_pmem_entry_sizes sizes;
	bool force;
};

bool ndxen_region_match(struct ndctl_region *region,
			const struct ndxen_filter *f);
bool ndxen_ns_is_reservation(struct ndctl_namespace *ndns);
struct ndctl_namespace *ndxen_find_reservation(struct ndctl_region *region);
int ndxen_reserve(struct ndctl_region *region,
		  const struct ndxen_resv_opts *o, struct json_object **out);
int ndxen_release(struct ndctl_region *region, bool force,
		  struct json_object **out);
int ndxen_check(struct ndctl_namespace *ndns, bool repair,
		struct json_object **out);
struct json_object *ndxen_json_reservation(struct ndctl_namespace *ndns);
int ndxen_state(const char *ns, char *buf, size_t len);

/* ---- commands ------------------------------------------------------- */

int cmd_create_namespace(int argc, char **argv);
int cmd_reserve(int argc, char **argv);
int cmd_release(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_spa(int argc, char **argv);

/* spa.c, exported for the unit tests */

/**
 * struct ndxen_range - one SPA range of a device or a file
 * @offset: byte offset in the file (0 for a device).
 * @spa:    system physical address.
 * @size:   bytes.
 */
struct ndxen_range {
	unsigned long long offset;
	unsigned long long spa;
	unsigned long long size;
};

struct fiemap;
int ndxen_fiemap_ranges(const struct fiemap *fm, unsigned long long fsize,
			unsigned long long base, struct ndxen_range **out,
			unsigned int *nr, char *why, size_t whylen);
int ndxen_file_extents(int fd, unsigned long long base,
		       struct ndxen_range **out, unsigned int *nr,
		       char *why, size_t whylen);

#endif /* NDCTL_XEN_H */
