// SPDX-License-Identifier: GPL-2.0-only
/*
 * util.c - messages that name their object, sysfs access, sizes, JSON.
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ndctl-xen.h"

int ndxen_verbose;
bool ndxen_human;

static void ndxen_vmsg(const char *level, const char *obj, const char *fmt,
		       va_list ap)
{
	fprintf(stderr, "ndctl-xen: %s%s%s", level, obj ? obj : "",
		obj ? ": " : "");
	vfprintf(stderr, fmt, ap);
}

/* ndxen_err() - an error about @obj (a device, a file), to stderr. */
void ndxen_err(const char *obj, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ndxen_vmsg("error: ", obj, fmt, ap);
	va_end(ap);
}

/* ndxen_info() - what the tool did to @obj, to stderr. */
void ndxen_info(const char *obj, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ndxen_vmsg("", obj, fmt, ap);
	va_end(ap);
}

/* ndxen_dbg() - details, only with -v. */
void ndxen_dbg(const char *obj, const char *fmt, ...)
{
	va_list ap;

	if (!ndxen_verbose)
		return;
	va_start(ap, fmt);
	ndxen_vmsg("debug: ", obj, fmt, ap);
	va_end(ap);
}

/*
 * ndxen_parse_uint() - a decimal or 0x-hex number no larger than @max.
 * Return: 0 or -EINVAL (not a number, trailing junk, sign, too large).
 */
int ndxen_parse_uint(const char *s, unsigned long long max,
		     unsigned long long *out)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+' || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/*
 * ndxen_parse_size() - ndctl's size syntax: a number with an optional
 * K/M/G/T suffix (powers of 1024; "KiB" etc. accepted too).
 * Return: 0 or -EINVAL (syntax, zero-less junk, overflow).
 */
int ndxen_parse_size(const char *s, unsigned long long *out)
{
	static const char units[] = "KMGT";
	unsigned long long v, mul = 1;
	const char *u;
	char *end;
	int shift;

	if (!s || !*s || *s == '-' || *s == '+' || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -EINVAL;
	if (*end) {
		u = strchr(units, toupper((unsigned char)*end));
		if (!u)
			return -EINVAL;
		shift = 10 * (int)(u - units + 1);
		mul = 1ull << shift;
		end++;
		if (!strcmp(end, "iB") || !strcmp(end, "ib") ||
		    !strcmp(end, "B") || !strcmp(end, "b"))
			end += strlen(end);
		if (*end)
			return -EINVAL;
	}
	if (v > ULLONG_MAX / mul)
		return -EINVAL;
	*out = v * mul;
	return 0;
}

/* ndxen_fmt_size() - ndctl's human form: "16.00 MiB (16.78 MB)". */
void ndxen_fmt_size(unsigned long long bytes, char *buf, size_t len)
{
	static const char *const bin[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	static const char *const dec[] = { "B", "KB", "MB", "GB", "TB" };
	double b = (double)bytes, d = (double)bytes;
	unsigned int i = 0, j;

	/* The decimal figure uses the binary one's unit, as ndctl does. */
	while (b >= 1024 && i < 4) {
		b /= 1024;
		i++;
	}
	for (j = 0; j < i; j++)
		d /= 1000;
	if (!i)
		snprintf(buf, len, "%llu", bytes);
	else
		snprintf(buf, len, "%.2f %s (%.2f %s)", b, bin[i], d, dec[i]);
}

/*
 * ndxen_sysfs_read() - read a sysfs attribute, trailing newline removed.
 * Return: 0 or -errno.
 */
int ndxen_sysfs_read(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return (int)n;
	}
	close(fd);
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

/* ndxen_sysfs_write() - write @val to an attribute.  Return: 0 or -errno. */
int ndxen_sysfs_write(const char *path, const char *val)
{
	size_t len = strlen(val);
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, len);
	if (n < 0) {
		n = -errno;
		close(fd);
		return (int)n;
	}
	close(fd);
	return (size_t)n == len ? 0 : -EIO;
}

/* ndxen_sysfs_read_ull() - a numeric attribute.  Return: 0 or -errno. */
int ndxen_sysfs_read_ull(const char *path, int base, unsigned long long *v)
{
	char buf[64], *end;
	int rc;

	rc = ndxen_sysfs_read(path, buf, sizeof(buf));
	if (rc)
		return rc;
	errno = 0;
	*v = strtoull(buf, &end, base);
	if (errno || end == buf || *end)
		return -EINVAL;
	return 0;
}

/*
 * ndxen_ns_attr() - xen_pmem's attribute @attr of namespace @ns.
 * Return: 0, -ENOENT (not claimed by xen_pmem), or another -errno (e.g.
 * -ENXIO: no geometry for an invalid block).
 */
int ndxen_ns_attr(const char *ns, const char *attr, char *buf, size_t len)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), NDXEN_SYS_DEVICES "/%s/" NDXEN_DRIVER "/%s",
		 ns, attr);
	return ndxen_sysfs_read(path, buf, len);
}

/*
 * ndxen_ns_driver() - the driver bound to namespace @ns ("" if none).
 * Return: 0 or -errno.
 */
int ndxen_ns_driver(const char *ns, char *buf, size_t len)
{
	char path[PATH_MAX], link[PATH_MAX];
	const char *base;
	ssize_t n;

	snprintf(path, sizeof(path), NDXEN_SYS_DEVICES "/%s/driver", ns);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0) {
		if (errno == ENOENT) {
			buf[0] = '\0';
			return 0;
		}
		return -errno;
	}
	link[n] = '\0';
	base = strrchr(link, '/');
	snprintf(buf, len, "%s", base ? base + 1 : link);
	return 0;
}

/* ndxen_json_hex() - an address, as ndctl prints them ("0x..."). */
struct json_object *ndxen_json_hex(unsigned long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%#llx", v);
	return json_object_new_string(buf);
}

/* ndxen_json_size() - a size: a number, or a string with -u. */
struct json_object *ndxen_json_size(unsigned long long v)
{
	char buf[64];

	if (!ndxen_human)
		return json_object_new_int64((int64_t)v);
	ndxen_fmt_size(v, buf, sizeof(buf));
	return json_object_new_string(buf);
}

/* ndxen_json_print() - pretty JSON to stdout, then drop the reference. */
void ndxen_json_print(struct json_object *jobj)
{
	if (!jobj)
		return;
	printf("%s\n", json_object_to_json_string_ext(jobj,
		JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	fflush(stdout);
	json_object_put(jobj);
}
