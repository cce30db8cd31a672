/*
 * spod-bench: where the time of one signature goes (DESIGN.md §3).
 *
 * Rows: (a) in-process signing with the enclave's own crypto code, (b) one request at a
 * time through libspod -> spod-host -> spod-enclave, (c) pipelined with a fixed number in
 * flight, (h) one request at a time through spod-host's HTTP/JSON API on one keep-alive
 * connection (HTTP -> the host's own binary listener -> enclave), plus reference rows measured in
 * the same run: a raw unix-socket round trip between two processes (the transport floor) placed by
 * the scheduler, on one CPU and on two CPUs, and the ECHO opcode through the pod.
 *
 * Latencies are CLOCK_MONOTONIC per request into a preallocated array, sorted, and read by
 * nearest rank. Module-private to the benchmark; nothing here is a library contract.
 */
#ifndef SPOD_BENCH_H
#define SPOD_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "spod/client.h"

#define BENCH_ALGS       3
#define BENCH_MSG_BYTES  32u  /* Ed25519 message, or the ECDSA digest */
#define BENCH_ECHO_BYTES 64u  /* echo body: about the size of a sign request body */
#define BENCH_RAW_BYTES  128u /* raw round-trip message */
#define BENCH_TEXT_MAX   256u

/* Aims from the issue; reported as PASS/MISS, never an exit status. */
#define BENCH_AIM_FLOOR_RATIO 1.2  /* (b) p50 <= 1.2 x floor */
#define BENCH_AIM_TAIL_RATIO  2.0  /* (b) p99 <= 2 x (b) p50 */
#define BENCH_AIM_PIPE_PCT    80.0 /* (c) >= 80 % of the in-process single-core rate */
/* (c) with spod-enclave --threads > 1: >= 130 % of that single-core rate (issue 14) */
#define BENCH_AIM_PIPE_PCT_THREADS 130.0

/* Latency samples in nanoseconds; the array is allocated once and reused by every row. */
struct bench_samples {
	uint64_t *ns;
	size_t cap;
	size_t n;
};

/* Summary of one latency row, in microseconds. */
struct bench_stats {
	size_t n;
	double min_us;
	double mean_us;
	double p50_us;
	double p90_us;
	double p99_us;
	double p999_us;
	double max_us;
};

struct bench_alg {
	uint8_t alg;  /* enum spod_alg */
	uint8_t mode; /* enum spod_sign_mode */
	const char *name;
	const char *mode_name;
};

/* Where the two processes of a raw round trip run. */
enum bench_raw_kind {
	BENCH_RAW_SCHED,    /* wherever the scheduler puts them, like an unpinned pod */
	BENCH_RAW_SAME_CPU, /* both on CPU 0 */
	BENCH_RAW_TWO_CPUS, /* CPU 0 and CPU 1 */
	BENCH_RAW_KINDS
};

struct bench_alg_result {
	const struct bench_alg *alg;
	int have_inproc;
	int have_pod;
	int have_pipe;
	int have_http;
	struct bench_stats inproc;
	struct bench_stats pod;
	struct bench_stats http;     /* POST /v1/keys/{id}/sign, keep-alive */
	struct bench_stats pipe_lat; /* submit -> completion, queueing included */
	double pipe_sps;             /* completed signatures per second */
	double pipe_seconds;
	/* derived */
	double floor_us;         /* in-process p50 + both hops' raw RTT p50 */
	double inproc_rate;      /* 1e6 / in-process mean */
	double floor_ratio;      /* pod p50 / floor */
	double tail_ratio;       /* pod p99 / pod p50 */
	double pipe_pct;         /* pipelined / in-process rate, in % */
	double http_floor_ratio; /* http p50 / floor */
	double http_tail_ratio;  /* http p99 / http p50 */
	double http_pod_ratio;   /* http p50 / pod p50 */
};

struct bench_machine {
	long nproc;
	char cpu_model[BENCH_TEXT_MAX];
	char kernel[BENCH_TEXT_MAX];
	char clocksource[64];
	char loadavg_start[64];
	char loadavg_end[64];
	char bench_cpus[64];      /* this process's CPU affinity */
	double busy_pct_start;    /* other work on the machine just before and after the */
	double busy_pct_end;      /* run (CPU time not idle over 0.5 s); < 0 unknown */
	double clock_overhead_ns; /* cost of one clock_gettime(CLOCK_MONOTONIC) */
};

/* Rows to run (--rows); all by default. */
#define BENCH_ROW_RAW    0x01u
#define BENCH_ROW_INPROC 0x02u
#define BENCH_ROW_ECHO   0x04u
#define BENCH_ROW_SYNC   0x08u
#define BENCH_ROW_PIPE   0x10u
#define BENCH_ROW_HTTP   0x20u
#define BENCH_ROW_TX     0x40u
#define BENCH_ROW_EV     0x80u
#define BENCH_ROW_ALL    0xffu

/* sign.tx rows: Ethereum without / with a policy, Solana without / with (tx_row.c) */
#define BENCH_TX_ROWS 4
struct bench_tx_result {
	const char *name;
	int have;
	struct bench_stats lat;
};

/* evidence rows: batches of 1, 16 and 256 records (evidence_row.c) */
#define BENCH_EV_ROWS 3
struct bench_ev_result {
	size_t batch;
	int have;
	struct bench_stats lat; /* per signature: one batch's time / its size */
};

struct bench_config {
	const char *uri;      /* NULL: in-process and raw rows only */
	const char *http_url; /* spod-host's HTTP API; NULL: no HTTP row */
	const char *out_dir;
	const char *commit; /* from run.sh; NULL if unknown */
	const char *label;  /* the pinning, as text */
	size_t n;
	size_t warmup;
	size_t depth;
	unsigned rows; /* BENCH_ROW_* */
	int pinned;    /* the pod runs pinned to layout[] (run.sh --pin) */
	int layout[3]; /* CPUs of client, host, enclave */
	int timeout_ms;
	unsigned enclave_threads; /* spod-enclave --threads (run.sh --enclave-threads); 1 */
};

struct bench_run {
	struct bench_config cfg;
	struct bench_machine machine;
	char timestamp[32]; /* UTC, 20250101T000000Z */
	int have_raw[BENCH_RAW_KINDS];
	struct bench_stats raw[BENCH_RAW_KINDS];
	int have_hops;
	double hop_us[2]; /* raw RTT p50 standing for client-host and host-enclave */
	int have_echo;
	struct bench_stats echo;
	struct bench_alg_result alg[BENCH_ALGS];
	struct bench_tx_result tx[BENCH_TX_ROWS];
	struct bench_ev_result ev[BENCH_EV_ROWS];
	int errors;
};

/* ---- stats.c ---- */
uint64_t bench_now_ns(void);
int bench_samples_init(struct bench_samples *s, size_t cap);
void bench_samples_free(struct bench_samples *s);
/* Sorts the samples in place and fills *out. */
void bench_stats_compute(struct bench_stats *out, struct bench_samples *s);
double bench_clock_overhead_ns(void);

/* ---- workloads.c: each returns 0 or a negative SPOD_E_* code (message on stderr) ---- */
int bench_inproc(struct bench_stats *out, struct bench_samples *s, const struct bench_alg *a,
                 size_t warmup, size_t n);
/* parent_cpu / child_cpu < 0: unpinned. The caller's CPU affinity is restored afterwards. */
int bench_raw_rtt(struct bench_stats *out, struct bench_samples *s, size_t warmup, size_t n,
                  int parent_cpu, int child_cpu);
int bench_pod_echo(struct bench_stats *out, struct bench_samples *s, struct spod_client *c,
                   size_t warmup, size_t n);
int bench_pod_sync(struct bench_stats *out, struct bench_samples *s, struct spod_client *c,
                   const struct bench_alg *a, const struct spod_key_info *key, size_t warmup,
                   size_t n);
int bench_pod_pipelined(double *sps, double *seconds, struct bench_stats *lat,
                        struct bench_samples *s, struct spod_client *c, const struct bench_alg *a,
                        const struct spod_key_info *key, size_t depth, size_t warmup, size_t n,
                        int timeout_ms);

/* ---- http_row.c: the HTTP row, over one bench_http connection (http_client.h) ---- */
struct bench_http;

/* A key made through the HTTP API: its id as the API writes it and its public key. */
struct bench_http_key {
	char id[2 * SPOD_KEY_ID_BYTES + 1];
	uint8_t pub[SPOD_PUB_MAX_BYTES];
	size_t pub_len;
};

/* POST /v1/keys for a's algorithm; 201 expected. */
int bench_http_key_create(struct bench_http_key *out, struct bench_http *c,
                          const struct bench_alg *a);
/* DELETE /v1/keys/{id}; 204 expected. */
int bench_http_key_delete(struct bench_http *c, const struct bench_http_key *key);
/* POST /v1/keys/{id}/sign one at a time; the last signature is verified against key->pub. */
int bench_http_sync(struct bench_stats *out, struct bench_samples *s, struct bench_http *c,
                    const struct bench_alg *a, const struct bench_http_key *key, size_t warmup,
                    size_t n);

/* ---- tx_row.c: the sign.tx rows, their table and their JSON member ---- */
void bench_tx_rows(struct bench_run *r, struct bench_samples *s);
void bench_tx_table(FILE *f, const struct bench_run *r);
void bench_tx_json(FILE *f, const struct bench_run *r,
                   void (*stats)(FILE *, int, const struct bench_stats *));

/* ---- evidence_row.c: what signed evidence costs per signature, in-process ---- */
void bench_evidence_rows(struct bench_run *r, struct bench_samples *s);
void bench_evidence_table(FILE *f, const struct bench_run *r);
void bench_evidence_json(FILE *f, const struct bench_run *r,
                         void (*stats)(FILE *, int, const struct bench_stats *));

/* ---- report.c ---- */
void bench_machine_probe(struct bench_machine *m);
void bench_loadavg(char *out, size_t cap);
/* Percent of all CPU time not idle over window_ms while this process sleeps; < 0 unknown. */
double bench_busy_pct(int window_ms);
#define BENCH_BUSY_WARN_PCT 10.0
void bench_derive(struct bench_run *r);
void bench_print_table(FILE *f, const struct bench_run *r);
/* Writes <out_dir>/<timestamp>.json and <out_dir>/latest.json. Returns 0 or -1. */
int bench_write_json(const struct bench_run *r);

#endif
