/*
 * spod-host's metrics: counters and histograms the event loop updates and the HTTP thread
 * renders as Prometheus text (GET /metrics). Writers are the event loop, and the checkpointer
 * thread for the storage gauges (dbstat.c); readers may be any thread, so every value is a
 * relaxed C11 atomic: a reader sees each value whole, not a snapshot of all of them at one
 * instant, which is what Prometheus expects.
 */
#ifndef SPOD_HOST_METRICS_H
#define SPOD_HOST_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "spod/err.h"
#include "wire/ops.h"

/* Rows of the request counters: one per opcode-table slot (src/wire/ops.h), then "other". */
#define HM_OP_OTHER SPOD_OPS_COUNT
#define HM_OP_ROWS  (SPOD_OPS_COUNT + 1)

#define HM_STATUS_COUNT (-SPOD_E__MIN) /* index -err: 0 = OK, 1..31 the SPOD_E_* codes */
#define HM_ALG_COUNT    4              /* index = SPOD_ALG_*; 0 unused */
#define HM_LAT_BUCKETS  21 /* upper bounds in metrics.c (10 us .. 1 s, 4 a decade), then +Inf */

/* Where a sign came in: the "front" label of spod_sign_duration_seconds. */
enum host_front {
	HOST_FRONT_BINARY = 0, /* the binary protocol, from an application */
	HOST_FRONT_HTTP = 1,   /* the HTTP/JSON API (spod-host's own HTTP layer) */
	HOST_FRONT_COUNT
};

struct host_metrics {
	atomic_uint_fast64_t requests[HM_OP_ROWS][HM_STATUS_COUNT];
	/* sign latency per front and algorithm, from the request read to its answer written */
	atomic_uint_fast64_t sign_lat[HOST_FRONT_COUNT][HM_ALG_COUNT][HM_LAT_BUCKETS + 1];
	atomic_uint_fast64_t sign_lat_sum_ns[HOST_FRONT_COUNT][HM_ALG_COUNT];
	atomic_uint_fast64_t clients;             /* application connections open */
	atomic_uint_fast64_t enclave_conns;       /* configured */
	atomic_uint_fast64_t enclave_up;          /* connected */
	atomic_uint_fast64_t enclave_ready;       /* connected and admitted */
	atomic_uint_fast64_t enclave_losses;      /* connections lost */
	atomic_uint_fast64_t audit_queue;         /* records waiting for their commit */
	atomic_uint_fast64_t audit_records;       /* committed */
	atomic_uint_fast64_t audit_commits;       /* batches committed */
	atomic_uint_fast64_t audit_failures;      /* batches that failed */
	atomic_uint_fast64_t audit_commit_ns_sum; /* time spent in commits */
	atomic_uint_fast64_t clients_unauth;      /* connections without a token yet */
	atomic_uint_fast64_t hello_timeouts;      /* closed: no hello in time */
	atomic_uint_fast64_t unauth_displaced;    /* closed to make room for a newcomer */
	atomic_uint_fast64_t conns_refused;       /* newcomers closed at once: no room */
	atomic_uint_fast64_t accept_pauses;       /* listeners rested: out of descriptors */
	atomic_uint_fast64_t enclave_stalls;      /* enclave connections closed as stalled */
	atomic_uint_fast64_t tokens_cached;       /* token cache entries (tokens.c) */
	atomic_uint_fast64_t policy_syncs;        /* policy states re-sealed and stored */
	atomic_uint_fast64_t evidence_records;    /* evidence records committed */
	atomic_uint_fast64_t evidence_batches;    /* evidence batches (signed roots) committed */
	atomic_uint_fast64_t evidence_dropped;    /* evidence batches dropped, never stored */
	atomic_uint_fast64_t heads_signed;        /* audit heads the enclave signed, stored */
	atomic_uint_fast64_t head_refusals;       /* audit.head SIGN refused by the enclave */
	/* storage gauges, sampled every HOST_DBSTAT_MS off the signing path (dbstat.c) */
	atomic_uint_fast64_t db_bytes;       /* database file + WAL */
	atomic_uint_fast64_t disk_free;      /* bytes of the file system free for us */
	atomic_uint_fast64_t disk_warn_free; /* the warning threshold in bytes; 0: off */
	atomic_uint_fast64_t audit_head_seq; /* the newest record's seq */
	atomic_uint_fast64_t audit_held;     /* records in the database after the anchor */
};

/* Counts one answer to the client: op by opcode, status SPOD_OK or a SPOD_E_* code. */
void host_metrics_request(struct host_metrics *m, uint8_t opcode, int status)
    __attribute__((nonnull));

/*
 * Records one sign, sign.batch or sign.tx of ns nanoseconds for alg (SPOD_ALG_*) that came in
 * on front (enum host_front); other values are ignored. No allocation, no lock.
 */
void host_metrics_sign(struct host_metrics *m, unsigned front, uint8_t alg, uint64_t ns)
    __attribute__((nonnull));

/* Sets a gauge / adds to a counter (relaxed). */
static inline void host_metrics_set(atomic_uint_fast64_t *v, uint64_t x)
{
	atomic_store_explicit(v, x, memory_order_relaxed);
}
static inline void host_metrics_add(atomic_uint_fast64_t *v, uint64_t x)
{
	atomic_fetch_add_explicit(v, x, memory_order_relaxed);
}

/*
 * Writes the Prometheus text exposition (format 0.0.4) of m into buf[0..cap) and returns
 * its length; when it would not fit, returns the length it needs (> cap) and buf holds a
 * truncated prefix.
 */
size_t host_metrics_render(const struct host_metrics *m, char *buf, size_t cap)
    __attribute__((nonnull(1)));

#endif
