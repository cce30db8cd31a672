/*
 * The HTTP server's executor: a few threads that carry out the token routes' calls (job.h),
 * so that libmicrohttpd's threads, which suspend the connection meanwhile, never wait for
 * the pod. The queue is bounded: a job that does not fit is refused at once, and the
 * caller answers 503 BUSY. Each thread keeps its own connection cache (cache.h) and scratch
 * call.
 *
 * The interface is two calls, submit and a done callback. In spod-host the threads' libspod
 * connections are in-process channels to the host's own event loop (transport/inproc.h), so
 * a call is one hand-off to the loop and back, without a socket.
 */
#ifndef SPOD_HTTP_EXEC_H
#define SPOD_HTTP_EXEC_H

#include "host/http/job.h"

struct spod_http_exec;

/*
 * Starts threads (1..64) whose connections are channels of inproc when it is not NULL, else go
 * to backend_uri (copied) (cache.h), with room for queue_max jobs waiting. Returns SPOD_OK with
 * *out set, or SPOD_E_NOMEM.
 */
int spod_http_exec_new(struct spod_http_exec **out, const char *backend_uri,
                       struct spod_inproc_hub *inproc, unsigned threads, unsigned queue_max)
    __attribute__((warn_unused_result, nonnull(1)));

/*
 * Queues job. Returns SPOD_OK: job->done will be called once, from an executor thread; or
 * SPOD_E_BUSY (the queue is full, or the executor is stopping): done is never called.
 */
int spod_http_exec_submit(struct spod_http_exec *ex, struct spod_http_job *job)
    __attribute__((warn_unused_result, nonnull));

/* Jobs queued now, not yet taken by a thread. */
unsigned spod_http_exec_waiting(struct spod_http_exec *ex) __attribute__((nonnull));

/*
 * Stops: jobs still queued are answered 503 UNAVAILABLE without a call, those running finish
 * (within their deadline), every job's done is called, the threads are joined and their
 * connections closed. Later submits return SPOD_E_BUSY. NULL is ignored.
 */
void spod_http_exec_stop(struct spod_http_exec *ex);

/* Stops ex if need be and frees it. NULL is ignored. */
void spod_http_exec_free(struct spod_http_exec *ex);

#endif
