// SPDX-License-Identifier: GPL-2.0-only
/* SOURCES: drivers/lib/bfn_alloc.c */
/*
 * Microbenchmark of the emulator API's pure logic (a report, not a test):
 *   - ns per alloc+free pair of order 0 (and 9): the bare allocator, the
 *     allocator behind one mutex, and behind the mutex with per-thread
 *     magazines (what xen_pviommu does per CPU), with 1 and 2 threads;
 *   - ns per lookup in the u64 index holding 1,000,000 mappings (hits and
 *     misses), 1 and 2 threads.
 * Build and run: make -C tests/bench run
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xpv/lib/bfn_alloc.h>

#define WINDOW		(1u << 18)	/* 1 GiB of BFNs, the default */
#define LIVE		4096u		/* mappings held while measuring */
#define PAIRS		4000000u
#define NLOOK		4000000u
#define ENTRIES		1000000u

static struct xpv_bfn_alloc alloc;
static u32 *store;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int mode;	/* 0 bare, 1 mutex, 2 mutex + magazine */
static unsigned int order;
static struct xpv_u64map map;
static u64 *keys;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static u64 rnd(u64 *s)
{
	u64 x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

static int get(struct xpv_bfn_mag *m, u64 *bfn)
{
	int rc;

	if (mode == 0)
		return xpv_bfn_get(&alloc, order, bfn);
	if (mode == 2 && !order) {
		if (!m->n) {
			pthread_mutex_lock(&lock);
			xpv_bfn_mag_fill(&alloc, m, XPV_BFN_MAG_SIZE / 2);
			pthread_mutex_unlock(&lock);
		}
		if (!m->n)
			return -ENOSPC;
		*bfn = m->bfn[--m->n];
		return 0;
	}
	pthread_mutex_lock(&lock);
	rc = xpv_bfn_get(&alloc, order, bfn);
	pthread_mutex_unlock(&lock);
	return rc;
}

static void put(struct xpv_bfn_mag *m, u64 bfn)
{
	if (mode == 0) {
		xpv_bfn_put(&alloc, bfn, order);
		return;
	}
	if (mode == 2 && !order) {
		if (m->n == XPV_BFN_MAG_SIZE) {
			pthread_mutex_lock(&lock);
			xpv_bfn_mag_drain(&alloc, m, XPV_BFN_MAG_SIZE / 2);
			pthread_mutex_unlock(&lock);
		}
		m->bfn[m->n++] = bfn;
		return;
	}
	pthread_mutex_lock(&lock);
	xpv_bfn_put(&alloc, bfn, order);
	pthread_mutex_unlock(&lock);
}

static void *pairs(void *arg)
{
	struct xpv_bfn_mag m = { 0 };
	u64 live[LIVE / 2], s = (uintptr_t)arg + 1;
	unsigned int i, n = LIVE / 2;
	double *ns = arg, t;

	/* Order 9: a quarter of the window's 2 MiB blocks per thread. */
	if (n > (WINDOW >> order) / 4)
		n = (WINDOW >> order) / 4;

	for (i = 0; i < n; i++)
		if (get(&m, &live[i]))
			abort();
	t = now();
	for (i = 0; i < PAIRS; i++) {
		unsigned int j = rnd(&s) % n;

		put(&m, live[j]);
		if (get(&m, &live[j]))
			abort();
	}
	*ns = (now() - t) / PAIRS;
	for (i = 0; i < n; i++)
		put(&m, live[i]);
	return NULL;
}

static void run_pairs(const char *what, int md, unsigned int ord,
		      unsigned int threads)
{
	pthread_t th[2];
	double ns[2] = { 0 };
	unsigned int i;

	mode = md;
	order = ord;
	if (xpv_bfn_init(&alloc, 0x40000, WINDOW, XPV_BFN_MAX_ORDER, store,
			 xpv_bfn_store_len(WINDOW, XPV_BFN_MAX_ORDER)) ||
	    xpv_bfn_reserve(&alloc, 0xfee00, 0xfef00))
		abort();
	for (i = 0; i < threads; i++)
		pthread_create(&th[i], NULL, pairs, &ns[i]);
	for (i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	printf("alloc+free order %u, %-22s %u thread%s: %6.1f ns/pair per thread, %6.1f ns/pair aggregate\n",
	       ord, what, threads, threads > 1 ? "s" : " ",
	       (ns[0] + ns[1]) / threads, (ns[0] + ns[1]) / threads / threads);
}

static void *lookups(void *arg)
{
	double *ns = arg, t;
	u64 s = (uintptr_t)arg, v, hit = 0;
	unsigned int i;

	t = now();
	for (i = 0; i < NLOOK; i++)
		hit += !xpv_u64map_get(&map, keys[rnd(&s) % ENTRIES], &v);
	ns[0] = (now() - t) / NLOOK;
	t = now();
	for (i = 0; i < NLOOK; i++)
		hit += !xpv_u64map_get(&map, rnd(&s) | 0xf, &v);	/* order 15 */
	ns[1] = (now() - t) / NLOOK;
	if (hit != NLOOK)
		abort();
	return NULL;
}

static void run_lookups(unsigned int threads)
{
	pthread_t th[2];
	double ns[2][2];
	unsigned int i;

	for (i = 0; i < threads; i++)
		pthread_create(&th[i], NULL, lookups, ns[i]);
	for (i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	printf("lookup at %u entries,             %u thread%s: %6.1f ns/hit, %6.1f ns/miss (per thread)\n",
	       ENTRIES, threads, threads > 1 ? "s" : " ",
	       threads > 1 ? (ns[0][0] + ns[1][0]) / 2 : ns[0][0],
	       threads > 1 ? (ns[0][1] + ns[1][1]) / 2 : ns[0][1]);
}

int main(void)
{
	u64 cap = 1u << 21, s = 42, i;
	double t;

	store = malloc(xpv_bfn_store_len(WINDOW, XPV_BFN_MAX_ORDER) *
		       sizeof(u32));
	keys = malloc(ENTRIES * sizeof(u64));
	if (!store || !keys)
		return 1;
	run_pairs("bare", 0, 0, 1);
	run_pairs("mutex", 1, 0, 1);
	run_pairs("mutex", 1, 0, 2);
	run_pairs("mutex + magazines", 2, 0, 1);
	run_pairs("mutex + magazines", 2, 0, 2);
	run_pairs("bare", 0, 9, 1);
	run_pairs("mutex", 1, 9, 2);

	xpv_u64map_init(&map, malloc(cap * 8), malloc(cap * 8),
			malloc(cap / 8), cap);
	t = now();
	for (i = 0; i < ENTRIES; i++) {
		keys[i] = (rnd(&s) >> 24) << 4;	/* gfn << 4 | order 0 */
		if (xpv_u64map_put(&map, keys[i], i))
			return 1;
	}
	printf("index: %u inserts, %.1f ns each (table of %llu)\n", ENTRIES,
	       (now() - t) / ENTRIES, (unsigned long long)cap);
	run_lookups(1);
	run_lookups(2);
	return 0;
}
