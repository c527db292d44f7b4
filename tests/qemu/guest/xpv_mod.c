// SPDX-License-Identifier: GPL-2.0-only
/*
 * xpv_mod - load or unload a kernel module and report the exact errno.
 *
 *   xpv_mod load PATH [PARAM=VALUE...]   finit_module(PATH, "PARAM ...")
 *   xpv_mod unload NAME                  delete_module(NAME, O_NONBLOCK)
 *
 * busybox insmod/rmmod print only strerror(), and several errno messages
 * share a prefix ("No such device" / "No such device or address"); this
 * prints "xpv_mod: load PATH: ENODEV errno=19 (No such device)" on stderr
 * and exits with the errno (lib.sh's t_insmod, t_rmmod and t_errno read it).
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int fail(const char *what, const char *obj, int err)
{
	const char *name = strerrorname_np(err);

	fprintf(stderr, "xpv_mod: %s %s: %s errno=%d (%s)\n", what, obj,
		name ? name : "E?", err, strerror(err));
	return err > 0 && err < 256 ? err : 255;
}

static int load(const char *path, int argc, char **argv)
{
	size_t len = 1;
	char *params;
	int fd, i, err;

	for (i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	params = calloc(1, len);
	if (!params)
		return fail("load", path, ENOMEM);
	for (i = 0; i < argc; i++) {
		if (i)
			strcat(params, " ");
		strcat(params, argv[i]);
	}

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		free(params);
		return fail("open", path, err);
	}
	err = syscall(SYS_finit_module, fd, params, 0) ? errno : 0;
	close(fd);
	free(params);
	return err ? fail("load", path, err) : 0;
}

static int unload(const char *name)
{
	if (syscall(SYS_delete_module, name, O_NONBLOCK))
		return fail("unload", name, errno);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "load"))
		return load(argv[2], argc - 3, argv + 3);
	if (argc == 3 && !strcmp(argv[1], "unload"))
		return unload(argv[2]);
	fprintf(stderr,
		"usage: xpv_mod load PATH [PARAM=VALUE...] | xpv_mod unload NAME\n");
	return 2;
}
