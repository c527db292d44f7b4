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
#include <sys/wait.h>
#include <unistd.h>

#include "ndctl-xen.h"

int ndxen_verbose;
bool ndxen_human;
void *(*ndxen_realloc)(void *p, size_t n) = realloc;

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

/*
 * ndxen_list_has() - whether @list (one name per line, as sysfs prints
 * lists) holds exactly @name.
 */
bool ndxen_list_has(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list;

	while (p && *p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);

		if (len == n && !strncmp(p, name, n))
			return true;
		p = eol ? eol + 1 : NULL;
	}
	return false;
}

/*
 * ndxen_xen_owns() - whether xen_pmem says the hypervisor may own the
 * reserved range of @ns: its xen_pmem/xen_owns while bound, or the
 * driver's xen_owned list (which also names namespaces unbound with their
 * fence kept).  False when the module is not loaded.
 */
bool ndxen_xen_owns(const char *ns)
{
	char buf[4096];

	if (!ndxen_ns_attr(ns, "xen_owns", buf, sizeof(buf)))
		return !strcmp(buf, "1");
	if (ndxen_sysfs_read(NDXEN_SYS_DRIVER "/xen_owned", buf, sizeof(buf)))
		return false;
	return ndxen_list_has(buf, ns);
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

/*
 * ndxen_run_ndctl() - run ndctl (or $NDCTL) with @args (@args[0] is set
 * here); its stdout is returned parsed in @out (NULL when it printed no
 * JSON, which is passed through to our stdout instead).
 *
 * The pipe is always read to its end, also when memory runs out, so the
 * child never blocks on a full pipe and waitpid() always returns.
 *
 * Return: 0, -ENOMEM (output lost; the child still ran to its end),
 * -EINTR (killed by a signal), -(its exit status), or -errno of
 * pipe/fork/waitpid.
 */
int ndxen_run_ndctl(char **args, struct json_object **out)
{
	const char *ndctl = getenv("NDCTL");
	char buf[4096], *text = NULL;
	bool nomem = false;
	int pfd[2], status;
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	*out = NULL;
	if (!ndctl || !*ndctl)
		ndctl = "ndctl";
	args[0] = (char *)ndctl;
	if (pipe(pfd))
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -errno;
	}
	if (!pid) {
		dup2(pfd[1], STDOUT_FILENO);
		close(pfd[0]);
		close(pfd[1]);
		execvp(ndctl, args);
		fprintf(stderr, "ndctl-xen: error: cannot run %s: %s\n", ndctl,
			strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	while ((n = read(pfd[0], buf, sizeof(buf))) != 0) {
		char *t;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (nomem)
			continue;	/* drain */
		t = ndxen_realloc(text, len + (size_t)n + 1);
		if (!t) {
			nomem = true;
			continue;
		}
		text = t;
		memcpy(text + len, buf, (size_t)n);
		len += (size_t)n;
		text[len] = '\0';
	}
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			free(text);
			return -errno;
		}
	}
	if (nomem) {
		free(text);
		ndxen_err(ndctl, "out of memory reading its output\n");
		return -ENOMEM;
	}
	if (text)
		*out = json_tokener_parse(text);
	if (text && !*out)
		fputs(text, stdout);
	free(text);
	if (!WIFEXITED(status))
		return -EINTR;
	return WEXITSTATUS(status) ? -WEXITSTATUS(status) : 0;
}
