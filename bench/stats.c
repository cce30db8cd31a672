/* Latency samples, nearest-rank percentiles and log-spaced histograms. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int bench_samples_init(struct bench_samples *s, size_t cap)
{
	s->ns = calloc(cap, sizeof(*s->ns));
	s->cap = s->ns != NULL ? cap : 0;
	s->n = 0;
	return s->ns != NULL ? 0 : SPOD_E_NOMEM;
}

void bench_samples_free(struct bench_samples *s)
{
	free(s->ns);
	memset(s, 0, sizeof(*s));
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/*
 * Nearest rank: the smallest sample with at least permille / 1000 of the samples at or below
 * it, i.e. sorted[ceil(permille * n / 1000) - 1].
 */
static double rank_us(const uint64_t *sorted, size_t n, unsigned permille)
{
	size_t rank = (permille * n + 999) / 1000;

	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return (double)sorted[rank - 1] / 1000.0;
}

/* Fills the histogram from sorted samples: one pass, bucket edges computed once. */
static void histogram(struct bench_stats *out, const uint64_t *sorted, size_t n)
{
	static double upper_ns[BENCH_HIST_BUCKETS]; /* upper edge of each bucket */
	size_t i = 0;

	if (upper_ns[0] == 0)
		for (int b = 0; b < BENCH_HIST_BUCKETS; b++)
			upper_ns[b] = 1000.0 * pow(10.0, (double)(b + 1) / BENCH_HIST_PER_DECADE);
	for (; i < n && sorted[i] < 1000u; i++)
		out->hist_under++;
	for (int b = 0; b < BENCH_HIST_BUCKETS; b++)
		for (; i < n && (double)sorted[i] < upper_ns[b]; i++)
			out->hist[b]++;
	out->hist_over = (uint32_t)(n - i);
}

void bench_stats_compute(struct bench_stats *out, struct bench_samples *s)
{
	long double sum = 0;

	memset(out, 0, sizeof(*out));
	if (s->n == 0)
		return;
	qsort(s->ns, s->n, sizeof(*s->ns), cmp_u64);
	for (size_t i = 0; i < s->n; i++)
		sum += s->ns[i];
	out->n = s->n;
	out->min_us = (double)s->ns[0] / 1000.0;
	out->max_us = (double)s->ns[s->n - 1] / 1000.0;
	out->mean_us = (double)(sum / s->n) / 1000.0;
	out->p50_us = rank_us(s->ns, s->n, 500);
	out->p90_us = rank_us(s->ns, s->n, 900);
	out->p99_us = rank_us(s->ns, s->n, 990);
	out->p999_us = rank_us(s->ns, s->n, 999);
	histogram(out, s->ns, s->n);
}

double bench_clock_overhead_ns(void)
{
	enum { CALLS = 100000 };
	volatile uint64_t sink = 0;
	uint64_t t0 = bench_now_ns();

	for (int i = 0; i < CALLS; i++)
		sink = bench_now_ns();
	(void)sink;
	return (double)(bench_now_ns() - t0) / CALLS;
}
