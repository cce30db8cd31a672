/*
 * One token route's work, carried out away from libmicrohttpd's threads: parse the body,
 * make the call over a cached libspod connection for the token, render the answer, all by a
 * deadline. The server fills a job from the request and submits it to the executor (exec.h);
 * an executor thread runs it (spod_http_job_run) and calls job->done.
 */
#ifndef SPOD_HTTP_JOB_H
#define SPOD_HTTP_JOB_H

#include <stddef.h>
#include <stdint.h>

#include "host/http/cache.h"
#include "host/http/handlers.h"
#include "host/http/params.h"
#include "host/http/reply.h"
#include "host/http/routes.h"

struct spod_http_job {
	/* What to do, set by the submitter; the executor only reads it. */
	enum spod_http_route_id route;
	uint8_t key_id[SPOD_KEY_ID_BYTES]; /* the path's {id}, for routes that have one */
	struct spod_http_list_query list;  /* GET /v1/keys */
	struct spod_w3s_ident w3s_id;      /* POST /api/v1/eth1/sign/{id} */
	const char *body;                  /* the request body, body_len bytes (NULL: none) */
	size_t body_len;
	const char *token; /* the bearer token, token_len bytes, NUL-terminated */
	size_t token_len;
	uint64_t deadline_ns; /* CLOCK_MONOTONIC by which the answer is due */
	unsigned timeout_ms;  /* the time the deadline allowed, for the message */
	/* Called once, from an executor thread, with reply filled; the job may go then. */
	void (*done)(struct spod_http_job *job);
	/* The answer, owned by the job until done hands it on. */
	struct spod_http_reply reply;
	struct spod_http_job *next; /* the executor's queue */
};

/*
 * Runs job with cache (this thread's connections) and call (this thread's scratch call),
 * filling job->reply. A call that misses the deadline is answered 503 UNAVAILABLE ("the
 * enclave did not answer within N ms") and its connection closed, as an answer may still
 * come on it; a job whose deadline passed before it ran is answered so without a call.
 */
void spod_http_job_run(struct spod_http_job *job, struct spod_http_cache *cache,
                       struct spod_http_call *call) __attribute__((nonnull));

/* Fills job->reply with the 503 UNAVAILABLE answer of a missed deadline. */
void spod_http_job_late(struct spod_http_job *job) __attribute__((nonnull));

#endif
