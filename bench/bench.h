/*
 * spod-bench: where the time of one signature goes (DESIGN.md §3).
 *
 * Rows: (a) in-process signing with the enclave's own crypto code, (b) one request at a
 * time through libspod -> spod-host -> spod-enclave, (c) pipelined with a fixed number in
 * flight, (h) one request at a time through spod-host's HTTP/JSON API on one keep-alive
 * connection (HTTP -> the host's own binary listener -> enclave), plus reference rows measured in
 * the same run: a raw unix-socket round trip between two processes (the transport floor) placed by
 * the scheduler, on one CPU and on two CPUs, and the ECHO opcode through the pod; and peers
 * signing the same payload in the same run (SoftHSM2, ssh-agent, a naive two-hop chain).
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

/*
 * Latency histogram of a row: log-spaced buckets from 1 us to 1 s, BENCH_HIST_PER_DECADE per
 * decade; bucket i counts samples in [10^(i/20), 10^((i+1)/20)) us. Samples below 1 us are
 * in hist_under, samples of 1 s or more in hist_over. Written to the JSON in full and drawn as
 * a CDF by bench/plot.sh.
 */
#define BENCH_HIST_PER_DECADE 20
#define BENCH_HIST_DECADES    6
#define BENCH_HIST_BUCKETS    (BENCH_HIST_PER_DECADE * BENCH_HIST_DECADES)

/* Summary of one latency row, in microseconds, with its histogram. */
struct bench_stats {
	size_t n;
	double min_us;
	double mean_us;
	double p50_us;
	double p90_us;
	double p99_us;
	double p999_us;
	double max_us;
	uint32_t hist_under;
	uint32_t hist_over;
	uint32_t hist[BENCH_HIST_BUCKETS];
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
	/* with --spin-us: each hop of the pod as its two ends wait, placed as the pod runs */
	BENCH_RAW_SPIN_CH, /* client blocks, host polls spin_us[0] first */
	BENCH_RAW_SPIN_HE, /* host polls spin_us[0], enclave spin_us[1] first */
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
#define BENCH_ROW_RAW      0x01u
#define BENCH_ROW_INPROC   0x02u
#define BENCH_ROW_ECHO     0x04u
#define BENCH_ROW_SYNC     0x08u
#define BENCH_ROW_PIPE     0x10u
#define BENCH_ROW_HTTP     0x20u
#define BENCH_ROW_TX       0x40u
#define BENCH_ROW_EV       0x80u
#define BENCH_ROW_SOFTHSM  0x100u /* peers (peers.c) */
#define BENCH_ROW_SSHAGENT 0x200u
#define BENCH_ROW_CHAIN    0x400u
#define BENCH_ROW_PEERS    (BENCH_ROW_SOFTHSM | BENCH_ROW_SSHAGENT | BENCH_ROW_CHAIN)
#define BENCH_ROW_ALL      0x7ffu

/* sign.tx rows: Ethereum without / with a policy, Solana without / with (tx_row.c) */
#define BENCH_TX_ROWS 4
struct bench_tx_result {
	const char *name;
	int have;
	struct bench_stats lat;
};

/* trace rows (trace_row.c): stage spans between the 11 stages of src/common/trace.h */
#define BENCH_TRACE_SPANS          10
#define BENCH_AIM_ALLOCS           0.0  /* heap allocations per request in host and enclave */
#define BENCH_ALLOC_NOISE          0.01 /* what timers (token refresh, checkpoints) add: still 0 */
#define BENCH_AIM_SYSCALLS_PER_HOP 2.0
struct bench_trace_result {
	int have;
	size_t requests, complete;
	double span_us[BENCH_TRACE_SPANS]; /* medians */
	double total_us;
	double allocs[2][2]; /* [host, enclave][sync, pipelined] per request; < 0 unknown */
	uint64_t sync_t0, sync_t1, pipe_t0, pipe_t1;
};

/* evidence rows: batches of 1, 16 and 256 records (evidence_row.c) */
#define BENCH_EV_ROWS 3
struct bench_ev_result {
	size_t batch;
	int have;
	struct bench_stats lat; /* per signature: one batch's time / its size */
};

/*
 * Peers measured in the same run with the same 32-byte payload, one request at a time
 * (peers.c): SoftHSM2's C_Sign through PKCS#11 in this process (peer_pkcs11.c), ssh-agent over
 * its unix socket (peer_agent.c), and a naive blocking app -> relay -> signer chain of
 * processes over unix sockets (peer_chain.c). Each is compared with (b) of the same algorithm.
 */
enum bench_peer { BENCH_PEER_SOFTHSM, BENCH_PEER_SSHAGENT, BENCH_PEER_CHAIN, BENCH_PEERS };

struct bench_peer_result {
	int have;
	struct bench_stats lat;
};

struct bench_config {
	const char *uri;       /* NULL: in-process and raw rows only */
	const char *softhsm;   /* the SoftHSM2 PKCS#11 module */
	const char *ssh_agent; /* a private ssh-agent's socket (run.sh starts it); NULL: no row */
	const char *http_url;  /* spod-host's HTTP API; NULL: no HTTP row */
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
	/* the pod's --spin-us of host and enclave: raw rows with the same spin, for the floor */
	unsigned spin_us[2];
	int trace;        /* --trace: the trace rows after the others */
	int syscall_pass; /* --syscall-pass: only N pipelined signs per algorithm, untimed */
	const char *syscall_report; /* --syscall-report HOST,ENCLAVE: strace -c files */
	unsigned enclave_threads;   /* spod-enclave --threads (run.sh --enclave-threads); 1 */
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
	struct bench_peer_result peer[BENCH_PEERS][BENCH_ALGS];
	char peer_skipped[BENCH_PEERS][BENCH_TEXT_MAX]; /* why a peer asked for did not run */
	int have_trace;
	struct bench_trace_result trace[BENCH_ALGS];
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
/* parent_cpu / child_cpu < 0: unpinned. The caller's CPU affinity is restored afterwards.
 * spin_us[0] (this side), spin_us[1] (the echoing side): poll with non-blocking reads that
 * long before a blocking read; 0: block at once. */
int bench_raw_rtt(struct bench_stats *out, struct bench_samples *s, size_t warmup, size_t n,
                  int parent_cpu, int child_cpu, const unsigned spin_us[2]);
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

/* ---- workloads.c: whole reads and writes of a blocking descriptor (EINTR retried): 0 or -1 ----
 */
int bench_read_full(int fd, uint8_t *buf, size_t len);
int bench_write_full(int fd, const uint8_t *buf, size_t len);

/* ---- peers.c: the peer rows, their table (aims counted into *pass / *miss), their JSON ---- */
void bench_peer_rows(struct bench_run *r, struct bench_samples *s);
void bench_peer_table(FILE *f, const struct bench_run *r, int *pass, int *miss);
void bench_peer_json(FILE *f, const struct bench_run *r,
                     void (*stats)(FILE *, int, const struct bench_stats *));

/*
 * Each peer fills r->peer[its index][alg] for the algorithms it has; when its tool is missing it
 * writes why to r->peer_skipped[its index] and returns (a skip is not an error); a row that
 * fails while measuring is counted in r->errors. The algorithms are r->alg[i].alg.
 */
void bench_softhsm_rows(struct bench_run *r, struct bench_samples *s);
void bench_agent_rows(struct bench_run *r, struct bench_samples *s);
void bench_chain_rows(struct bench_run *r, struct bench_samples *s);
/* ---- trace_row.c: the trace build's breakdown and allocation rows (run.sh --trace) ---- */
void bench_trace_rows(struct bench_run *r, struct bench_samples *s, const struct bench_alg *algs);
void bench_trace_table(FILE *f, const struct bench_run *r);
/* The syscall pass: N pipelined signs per algorithm, untimed (run.sh runs it under strace). */
int bench_syscall_pass(const struct bench_config *cfg, const struct bench_alg *algs);
/* Prints system calls per request from strace -c files of spod-host and spod-enclave. */
int bench_syscall_report(FILE *f, const char *host_file, const char *enclave_file, size_t requests);

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
