/*
 * spod-enclave's signing workers (`--threads N`, docs/architecture.md "More than one core"):
 * N threads that answer sign, sign.batch and sign.tx requests the event loop hands them.
 *
 * The event loop keeps everything else: it reads frames, decides which go to a worker, looks
 * their keys up and pins them (keystore.h: a pinned key is neither wiped nor reused until it is
 * unpinned, even if deleted meanwhile), and later collects the answers, writes them in request
 * order, adds their evidence records to the connection's batch and unpins the keys. Workers
 * touch only their job: the request copy, the pinned entries' keys, the answer buffer and the
 * job's own evidence records. Keys with a policy are signed on the loop (a policy's windows
 * and rates are the loop's state).
 *
 * Jobs are made as needed up to a fixed number and reused: no allocation per request once
 * the pool is warm.
 */
#ifndef SPOD_ENCLAVE_WORKERS_H
#define SPOD_ENCLAVE_WORKERS_H

#include <stddef.h>
#include <stdint.h>

#include "enclave/handlers.h"

#define SPOD_WORKERS_MAX SPOD_CRYPTO_THREADS_MAX /* most --threads (64) */

/* One request on its way through a worker. server.c owns the fields marked (loop). */
struct spod_enclave_job {
	struct spod_enclave_job *qnext; /* the work queue, the finished list, the free list */
	struct spod_enclave_job *cnext; /* (loop) the connection's jobs in request order */
	void *owner;                    /* (loop) the connection it answers */
	int done;                       /* (loop) collected from the finished list */
	struct spod_frame f;            /* the request; f.body points into req */
	uint8_t *req;                   /* the request body's copy, req_cap bytes */
	size_t req_cap;
	uint8_t *resp; /* the answer, SPOD_ENCLAVE_RESP_MAX bytes; resp_len written */
	size_t resp_len;
	struct spod_ev_batch ev; /* the answer's evidence records */
	uint32_t nrecs;          /* the most records the answer can make */
	uint32_t nkeys;
	const struct spod_key_entry *keys[SPOD_BATCH_MAX_ITEMS]; /* pinned; NULL: not found */
};

struct spod_workers;

/*
 * Starts n (2..SPOD_WORKERS_MAX) workers answering with a state of their own that shares st's
 * keystore; evidence records are made when st has an evidence key. Each worker runs its
 * crypto libraries' per-thread start-up before this returns, so that nothing new happens on a
 * worker once the sandbox is loaded. Returns SPOD_OK, SPOD_E_BAD_ARG, SPOD_E_NOMEM or SPOD_E_IO.
 */
int spod_workers_new(struct spod_workers **out, unsigned n, const struct spod_enclave_state *st)
    __attribute__((warn_unused_result, nonnull));

/* The eventfd that turns readable when finished jobs wait (the only fd workers write). */
int spod_workers_wake_fd(const struct spod_workers *w) __attribute__((nonnull));

/*
 * Prepares f for a worker: 1 when it is a signing request that a worker may answer (*out is a
 * job holding a copy of f with its keys pinned in ks; submit it), 0 when the loop must answer
 * it (another opcode, a malformed request, a key with a policy), SPOD_E_AGAIN when every job
 * is busy, or SPOD_E_NOMEM.
 */
int spod_workers_prepare(struct spod_workers *w, struct spod_keystore *ks,
                         const struct spod_frame *f, struct spod_enclave_job **out)
    __attribute__((warn_unused_result, nonnull));

/* Jobs prepared and not recycled yet (0: every worker is idle). Loop only. */
unsigned spod_workers_out(const struct spod_workers *w) __attribute__((nonnull));

/*
 * Queues a prepared job for the next free worker: submitted jobs are handed over together by
 * spod_workers_flush (one lock, one wake-up for a burst of requests).
 */
void spod_workers_submit(struct spod_workers *w, struct spod_enclave_job *j)
    __attribute__((nonnull));
void spod_workers_flush(struct spod_workers *w) __attribute__((nonnull));

/*
 * Takes the finished jobs (linked by qnext; NULL: none). Workers write the wake fd only for
 * a loop that said it sleeps: then_sleep non-zero, when nothing is finished, says the caller
 * is about to wait for the wake fd, so the next job that finishes writes it; a busy loop
 * collects before it sleeps and costs the workers no write. Call from the loop only.
 */
struct spod_enclave_job *spod_workers_collect(struct spod_workers *w, int then_sleep)
    __attribute__((nonnull));

/* Unpins j's keys in ks and returns j to the pool. */
void spod_workers_recycle(struct spod_workers *w, struct spod_keystore *ks,
                          struct spod_enclave_job *j) __attribute__((nonnull));

/*
 * Stops and joins the workers (jobs queued but not started are finished as well: collect them
 * afterwards), then frees the pool; jobs still out are the caller's to recycle first.
 * spod_workers_free frees everything (NULL allowed); call spod_workers_stop first.
 */
void spod_workers_stop(struct spod_workers *w) __attribute__((nonnull));
void spod_workers_free(struct spod_workers *w);

/* Requests and errors the workers answered (for the exit log line). */
void spod_workers_counts(const struct spod_workers *w, uint64_t *requests, uint64_t *errors)
    __attribute__((nonnull));

#endif
