/*
 * The trace rows (bench/run.sh --trace, a build with -DSPOD_TRACE=ON; bench/README.md):
 * where the time of one synchronous sign goes, and what each request costs in heap
 * allocations and system calls.
 *
 * Per algorithm, T signs one at a time, then T pipelined, each in a window of this process's
 * CLOCK_MONOTONIC time. spod-bench (libspod), spod-host and spod-enclave stamp each request's
 * stages into ring files in $SPOD_TRACE_DIR (src/common/trace.h); read back here, events are
 * joined by request id: libspod's ids in the window are consecutive, spod-host's events carry
 * them, and its H_ADMIT event names the id the enclave saw. A "send returned" stamp may come
 * after the peer already woke (the sender lost its CPU to the woken peer), so the joins go by
 * id, not by time. The breakdown table shows the median of each stage's duration. Every
 * event also carries its process's allocation count (bench/alloc/alloc_count.so, preloaded by
 * run.sh), so allocations per request are the count's growth over a window's requests.
 * System calls come from a separate, untimed pass under strace -c (bench_syscall_*).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "common/trace.h"

#define TRACE_T_MAX 10000u /* per window: the phase's events must fit in one ring */

/*
 * The rows of the breakdown: from one stage to another. The main rows follow each other (their
 * medians add up to about the end-to-end median); the "send(2) returned" rows (sub = 1) are
 * part of the hop above them and may exceed it: when the woken peer takes the sender's CPU,
 * the sender's send returns only after the peer ran.
 */
static const struct {
	uint8_t from, to, sub;
	const char *name;
} spans[BENCH_TRACE_SPANS] = {
    {SPOD_TR_C_SEND, SPOD_TR_H_RECV, 0, "client -> host"},
    {SPOD_TR_H_RECV, SPOD_TR_H_ADMIT, 0, "host admission"},
    {SPOD_TR_H_ADMIT, SPOD_TR_E_RECV, 0, "host -> enclave"},
    {SPOD_TR_H_ADMIT, SPOD_TR_H_ESEND, 1, "  host's send(2) returned"},
    {SPOD_TR_E_RECV, SPOD_TR_E_SIGNED, 0, "enclave decode + sign"},
    {SPOD_TR_E_SIGNED, SPOD_TR_H_ARECV, 0, "enclave -> host"},
    {SPOD_TR_E_SIGNED, SPOD_TR_E_SEND, 1, "  enclave's send(2) returned"},
    {SPOD_TR_H_ARECV, SPOD_TR_H_AUDIT, 0, "audit commit wait"},
    {SPOD_TR_H_AUDIT, SPOD_TR_C_RECV, 0, "host -> client"},
    {SPOD_TR_H_AUDIT, SPOD_TR_H_CSEND, 1, "  host's send(2) returned"},
};

/* A ring file read back: its events in the order they were written. */
struct ring {
	struct spod_trace_event *ev;
	size_t n;
	int counting; /* its events carry allocation counts */
};

static int ring_read(struct ring *out, const char *dir, const char *name)
{
	struct spod_trace_file hdr;
	char path[512];
	uint64_t first;
	FILE *f;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "%s/%s.trace", dir, name);
	f = fopen(path, "rb");
	if (f == NULL || fread(&hdr, sizeof(hdr), 1, f) != 1 || hdr.magic != SPOD_TRACE_MAGIC ||
	    hdr.cap == 0 || hdr.cap > (1u << 24)) {
		fprintf(stderr,
		        "spod-bench: no trace ring in %s (is it a -DSPOD_TRACE=ON build "
		        "with SPOD_TRACE_DIR set?)\n",
		        path);
		if (f != NULL)
			fclose(f);
		return -1;
	}
	out->counting = hdr.counting != 0;
	first = hdr.head > hdr.cap ? hdr.head - hdr.cap : 0;
	out->n = (size_t)(hdr.head - first);
	out->ev = calloc(out->n ? out->n : 1, sizeof(*out->ev));
	if (out->ev == NULL) {
		fclose(f);
		return -1;
	}
	for (uint64_t i = first; i < hdr.head; i++) {
		long off = (long)(sizeof(hdr) + (i % hdr.cap) * sizeof(struct spod_trace_event));

		if (fseek(f, off, SEEK_SET) != 0 ||
		    fread(&out->ev[i - first], sizeof(*out->ev), 1, f) != 1) {
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	return 0;
}

/* One sync request as the three processes saw it. */
struct req {
	uint64_t rid, enc_rid;
	uint64_t t[SPOD_TR_STAGES];
};

#define TRACE_SLACK_NS 50000000u /* late stamps of the window's last requests */

/* The request with libspod's id rid (ids in the window are consecutive), or NULL. */
static struct req *req_by_rid(struct req *r, size_t n, uint64_t rid)
{
	if (n == 0 || rid < r[0].rid || rid - r[0].rid >= n || r[rid - r[0].rid].rid != rid)
		return NULL;
	return &r[rid - r[0].rid];
}

/* (enclave id, request) pairs sorted by id, for the enclave's events. */
struct enc_ix {
	uint64_t rid;
	struct req *r;
};

static int cmp_enc(const void *a, const void *b)
{
	uint64_t x = ((const struct enc_ix *)a)->rid, y = ((const struct enc_ix *)b)->rid;

	return (x > y) - (x < y);
}

static struct req *req_by_enc(const struct enc_ix *ix, size_t n, uint64_t rid)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ix[mid].rid < rid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && ix[lo].rid == rid ? ix[lo].r : NULL;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static double median_us(int64_t *v, size_t n)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_i64);
	return (double)v[(n - 1) / 2] / 1000.0;
}

/* Joins the sync window [t0, t1] of the three rings into out's stage medians. */
static void breakdown(struct bench_trace_result *out, const struct ring rings[3], uint64_t t0,
                      uint64_t t1)
{
	const struct ring *cl = &rings[0], *host = &rings[1], *enc = &rings[2];
	struct req *reqs = calloc(cl->n ? cl->n : 1, sizeof(*reqs));
	struct enc_ix *ix = calloc(cl->n ? cl->n : 1, sizeof(*ix));
	int64_t *d = NULL;
	size_t n = 0, nix = 0, complete = 0;

	if (reqs == NULL || ix == NULL)
		goto out;
	for (size_t i = 0; i < cl->n; i++) {
		const struct spod_trace_event *e = &cl->ev[i];

		if (e->ns < t0 || e->ns > t1)
			continue;
		if (e->stage == SPOD_TR_C_SEND) {
			memset(&reqs[n], 0, sizeof(reqs[n]));
			reqs[n].rid = e->rid;
			reqs[n].t[SPOD_TR_C_SEND] = e->ns;
			n++;
		} else if (e->stage == SPOD_TR_C_RECV && n > 0 && reqs[n - 1].rid == e->rid) {
			reqs[n - 1].t[SPOD_TR_C_RECV] = e->ns;
		}
	}
	for (size_t i = 0; i < host->n; i++) {
		const struct spod_trace_event *e = &host->ev[i];
		struct req *r;

		if (e->stage < SPOD_TR_H_RECV || e->stage > SPOD_TR_H_CSEND || e->ns < t0 ||
		    e->ns > t1 + TRACE_SLACK_NS || (r = req_by_rid(reqs, n, e->rid)) == NULL)
			continue;
		r->t[e->stage] = e->ns;
		if (e->stage == SPOD_TR_H_ADMIT) {
			r->enc_rid = e->aux;
			ix[nix++] = (struct enc_ix){e->aux, r};
		}
	}
	qsort(ix, nix, sizeof(*ix), cmp_enc);
	for (size_t i = 0; i < enc->n; i++) {
		const struct spod_trace_event *e = &enc->ev[i];
		struct req *r;

		if (e->stage < SPOD_TR_E_RECV || e->stage > SPOD_TR_E_SEND || e->ns < t0 ||
		    e->ns > t1 + TRACE_SLACK_NS || (r = req_by_enc(ix, nix, e->rid)) == NULL)
			continue;
		r->t[e->stage] = e->ns;
	}
	/* Complete requests first, packed at the front. */
	for (size_t i = 0; i < n; i++) {
		int ok = 1;

		for (unsigned s = SPOD_TR_C_SEND; s < SPOD_TR_STAGES; s++)
			ok &= reqs[i].t[s] != 0;
		if (ok)
			reqs[complete++] = reqs[i];
	}
	out->requests = n;
	out->complete = complete;
	d = calloc(complete ? complete : 1, sizeof(*d));
	if (d == NULL || complete == 0)
		goto out;
	for (unsigned s = 0; s < BENCH_TRACE_SPANS; s++) {
		for (size_t i = 0; i < complete; i++)
			d[i] = (int64_t)(reqs[i].t[spans[s].to] - reqs[i].t[spans[s].from]);
		out->span_us[s] = median_us(d, complete);
	}
	for (size_t i = 0; i < complete; i++)
		d[i] = (int64_t)(reqs[i].t[SPOD_TR_C_RECV] - reqs[i].t[SPOD_TR_C_SEND]);
	out->total_us = median_us(d, complete);
	out->have = 1;
out:
	free(d);
	free(ix);
	free(reqs);
}

/* Allocations per request of one process over [t0, t1]: its recv-stage events' counts. */
static double allocs_per_req(const struct ring *rg, unsigned stage, uint64_t t0, uint64_t t1)
{
	uint64_t a0 = 0, a1 = 0;
	size_t k = 0;

	if (!rg->counting)
		return -1;
	for (size_t i = 0; i < rg->n; i++) {
		const struct spod_trace_event *e = &rg->ev[i];

		if (e->stage != stage || e->ns < t0 || e->ns > t1)
			continue;
		if (k++ == 0)
			a0 = e->allocs;
		a1 = e->allocs;
	}
	return k > 1 ? (double)(a1 - a0) / (double)(k - 1) : -1;
}

static int trace_alg(struct bench_run *r, struct bench_samples *s, struct spod_client *c,
                     const struct bench_alg *a, struct bench_trace_result *tr, size_t t)
{
	const struct bench_config *cfg = &r->cfg;
	struct spod_key_info key;
	struct bench_stats st;
	double sps, secs;
	int rc;

	rc = spod_client_generate(c, &key, a->alg);
	if (rc < 0) {
		fprintf(stderr, "spod-bench: trace: generating a %s key: %s\n", a->name,
		        spod_strerror(rc));
		return rc;
	}
	rc = bench_pod_sync(&st, s, c, a, &key, cfg->warmup < t ? cfg->warmup : t, 0);
	tr->sync_t0 = bench_now_ns();
	if (rc == SPOD_OK)
		rc = bench_pod_sync(&st, s, c, a, &key, 0, t);
	tr->sync_t1 = bench_now_ns();
	tr->pipe_t0 = bench_now_ns();
	if (rc == SPOD_OK)
		rc = bench_pod_pipelined(&sps, &secs, &st, s, c, a, &key, cfg->depth, 0, t,
		                         cfg->timeout_ms);
	tr->pipe_t1 = bench_now_ns();
	if (spod_client_delete(c, key.id) < 0)
		fprintf(stderr, "spod-bench: note: could not delete the %s trace key\n", a->name);
	return rc;
}

void bench_trace_rows(struct bench_run *r, struct bench_samples *s, const struct bench_alg *algs)
{
	const char *dir = getenv("SPOD_TRACE_DIR");
	static const char *const names[3] = {"client", "host", "enclave"};
	struct ring rings[3] = {{0}};
	struct spod_client *c = NULL;
	size_t t = r->cfg.n < TRACE_T_MAX ? r->cfg.n : TRACE_T_MAX;
	int rc;

	if (dir == NULL || r->cfg.uri == NULL) {
		fprintf(stderr, "spod-bench: --trace needs --uri and SPOD_TRACE_DIR (bench/run.sh "
		                "--trace sets both)\n");
		r->errors++;
		return;
	}
	rc = spod_client_open(&c, r->cfg.uri, getenv("SPOD_TOKEN"), r->cfg.timeout_ms);
	if (rc < 0) {
		fprintf(stderr, "spod-bench: trace: pod at %s: %s\n", r->cfg.uri,
		        spod_strerror(rc));
		r->errors++;
		return;
	}
	for (int i = 0; i < BENCH_ALGS; i++) {
		fprintf(stderr, "spod-bench: trace %s (%zu sync, %zu pipelined)\n", algs[i].name, t,
		        t);
		if (trace_alg(r, s, c, &algs[i], &r->trace[i], t) < 0) {
			r->errors++;
			break;
		}
	}
	spod_client_close(c);
	for (int k = 0; k < 3; k++)
		if (ring_read(&rings[k], dir, names[k]) < 0) {
			r->errors++;
			goto out;
		}
	for (int i = 0; i < BENCH_ALGS; i++) {
		struct bench_trace_result *tr = &r->trace[i];

		if (tr->sync_t1 == 0)
			continue;
		breakdown(tr, rings, tr->sync_t0, tr->sync_t1);
		tr->allocs[0][0] =
		    allocs_per_req(&rings[1], SPOD_TR_H_RECV, tr->sync_t0, tr->sync_t1);
		tr->allocs[1][0] =
		    allocs_per_req(&rings[2], SPOD_TR_E_RECV, tr->sync_t0, tr->sync_t1);
		tr->allocs[0][1] =
		    allocs_per_req(&rings[1], SPOD_TR_H_RECV, tr->pipe_t0, tr->pipe_t1);
		tr->allocs[1][1] =
		    allocs_per_req(&rings[2], SPOD_TR_E_RECV, tr->pipe_t0, tr->pipe_t1);
	}
	r->have_trace = 1;
out:
	for (int k = 0; k < 3; k++)
		free(rings[k].ev);
}

static void alloc_cell(FILE *f, double v)
{
	if (v < 0)
		fprintf(f, "%14s", "-");
	else
		fprintf(f, "%9.2f %s", v, v <= BENCH_ALLOC_NOISE ? "PASS" : "MISS");
}

void bench_trace_table(FILE *f, const struct bench_run *r)
{
	double sum[BENCH_ALGS] = {0};

	if (!r->have_trace)
		return;
	fprintf(f,
	        "\n  where the time of one sync sign goes (trace build; median of each stage, "
	        "us)\n  %-30s",
	        "stage");
	for (int i = 0; i < BENCH_ALGS; i++)
		fprintf(f, "%12s", r->alg[i].alg->name);
	fputc('\n', f);
	for (int k = 0; k < BENCH_TRACE_SPANS; k++) {
		fprintf(f, "  %-30s", spans[k].name);
		for (int i = 0; i < BENCH_ALGS; i++) {
			if (!r->trace[i].have) {
				fprintf(f, "%12s", "-");
				continue;
			}
			fprintf(f, "%12.1f", r->trace[i].span_us[k]);
			if (!spans[k].sub)
				sum[i] += r->trace[i].span_us[k];
		}
		fputc('\n', f);
	}
	fprintf(f, "  %-30s", "sum of the medians (main rows)");
	for (int i = 0; i < BENCH_ALGS; i++)
		fprintf(f, "%12.1f", sum[i]);
	fprintf(f, "\n  %-30s", "median end to end");
	for (int i = 0; i < BENCH_ALGS; i++)
		fprintf(f, "%12.1f", r->trace[i].total_us);
	fprintf(f, "\n  %-30s", "requests (complete/seen)");
	for (int i = 0; i < BENCH_ALGS; i++) {
		char cell[32];

		snprintf(cell, sizeof(cell), "%zu/%zu", r->trace[i].complete, r->trace[i].requests);
		fprintf(f, "%12s", cell);
	}
	fprintf(f, "\n\n  heap allocations per request (aim %.0f)  %-28s  %-28s\n  %-17s",
	        BENCH_AIM_ALLOCS, "spod-host", "spod-enclave", "algorithm");
	fprintf(f, "%14s%14s  %14s%14s\n", "sync", "pipelined", "sync", "pipelined");
	for (int i = 0; i < BENCH_ALGS; i++) {
		fprintf(f, "  %-17s", r->alg[i].alg->name);
		alloc_cell(f, r->trace[i].allocs[0][0]);
		alloc_cell(f, r->trace[i].allocs[0][1]);
		fputs("  ", f);
		alloc_cell(f, r->trace[i].allocs[1][0]);
		alloc_cell(f, r->trace[i].allocs[1][1]);
		fputc('\n', f);
	}
	fputs("  (- : no count; run through bench/run.sh --trace, which preloads "
	      "bench/alloc_count.so)\n",
	      f);
}
