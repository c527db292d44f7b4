// SPDX-License-Identifier: GPL-2.0-only
/*
 * xpv_mmapchk - map a file that implements mmap with dma_mmap_coherent()
 * (xpv_dmaapi's "coherent"), write a pattern through the mapping, then
 * read the file (the kernel's view of the same buffer) and compare.
 *
 *   xpv_mmapchk FILE SIZE
 *
 * Also checks that a mapping past the buffer's end is refused (ENXIO).
 * Prints "xpv_mmapchk: ok" and exits 0, or names what failed (with the
 * errno as "ENAME errno=N") and exits non-zero.
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int fail(const char *what, int err)
{
	const char *name = err ? strerrorname_np(err) : NULL;

	fprintf(stderr, "xpv_mmapchk: %s: %s errno=%d (%s)\n", what,
		name ? name : "E?", err, err ? strerror(err) : "no error");
	return 1;
}

int main(int argc, char **argv)
{
	size_t size, i;
	unsigned char *map, *back;
	long page = sysconf(_SC_PAGESIZE);
	int fd;

	if (argc != 3)
		return fail("usage: xpv_mmapchk FILE SIZE", EINVAL);
	size = strtoul(argv[2], NULL, 0);
	fd = open(argv[1], O_RDWR);
	if (fd < 0)
		return fail(argv[1], errno);
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return fail("mmap", errno);
	for (i = 0; i < size; i++)
		map[i] = (unsigned char)(i * 131 + 7);
	munmap(map, size);
	back = malloc(size);
	if (!back || pread(fd, back, size, 0) != (ssize_t)size)
		return fail("read back", errno);
	for (i = 0; i < size; i++)
		if (back[i] != (unsigned char)(i * 131 + 7))
			return fail("data written through the mapping differs", 0);
	map = mmap(NULL, page, PROT_READ, MAP_SHARED, fd, size);
	if (map != MAP_FAILED)
		return fail("a mapping past the end was allowed", 0);
	if (errno != ENXIO)
		return fail("a mapping past the end: wrong errno", errno);
	printf("xpv_mmapchk: ok\n");
	return 0;
}
