/* A token route's call, by a deadline, on an executor thread (job.h). */
#include "host/http/job.h"

#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "host/http/clock.h"
#include "spod/err.h"

/* Transport failures: the connection is gone, and a request on a new one may succeed. */
static int is_transport_error(int rc)
{
	return rc == SPOD_E_CLOSED || rc == SPOD_E_IO || rc == SPOD_E_TIMEOUT;
}

/*
 * Failures worth one retry on a new connection: the cached one was found closed (the host
 * restarted, or dropped it while idle). Not a timeout: the host may still carry the request
 * out, and a retried generate or delete would then act twice.
 */
static int is_retryable(int rc)
{
	return rc == SPOD_E_CLOSED || rc == SPOD_E_IO;
}

/* Failures after which a connection must not be used again. */
static int is_broken(int rc)
{
	/* After a refused token the host closes; after PROTOCOL nothing on it can be trusted. */
	return is_transport_error(rc) || rc == SPOD_E_PROTOCOL || rc == SPOD_E_UNAUTHENTICATED;
}

/* Milliseconds left before the deadline; 0 when it passed. */
static int left_ms(const struct spod_http_job *job)
{
	uint64_t now = spod_http_now_ns(), left;

	if (now >= job->deadline_ns)
		return 0;
	left = (job->deadline_ns - now + SPOD_HTTP_NS_PER_MS - 1) / SPOD_HTTP_NS_PER_MS;
	return left > INT32_MAX ? INT32_MAX : (int)left;
}

void spod_http_job_late(struct spod_http_job *job)
{
	char msg[64];

	spod_http_reply_free(&job->reply);
	snprintf(msg, sizeof(msg), "the enclave did not answer within %u ms", job->timeout_ms);
	spod_http_reply_failure(&job->reply, SPOD_E_UNAVAILABLE, msg);
}

/*
 * An answer for rc, a failure of the call on c (NULL: no connection was made); call NULL or
 * its err "": the pod's message.
 */
static void reply_failure(struct spod_http_job *job, int rc, struct spod_client *c,
                          const struct spod_http_call *call)
{
	if (rc == SPOD_E_TIMEOUT) {
		spod_http_job_late(job);
		return;
	}
	if (call != NULL && call->err[0] != '\0')
		spod_http_reply_failure(&job->reply, rc, call->err);
	else
		spod_http_reply_failure(&job->reply, rc,
		                        c != NULL ? spod_client_last_error(c) : NULL);
}

/* A connection for the job's token, opened within what is left of the deadline. */
static int connection(struct spod_http_job *job, struct spod_http_cache *cache,
                      struct spod_client **c, int *reused)
{
	static struct spod_log_limit lim;
	int rc, left = left_ms(job);

	if (left == 0)
		return SPOD_E_TIMEOUT;
	rc = spod_http_cache_get(cache, c, reused, job->token, job->token_len, left);
	if (rc < 0 && rc != SPOD_E_UNAUTHENTICATED && rc != SPOD_E_TIMEOUT)
		spod_log_limited(&lim, SPOD_LOG_EVERY_MS, SPOD_LOG_WARN,
		                 "http: no connection to spod-host's listener: %s",
		                 spod_strerror(rc));
	return rc;
}

void spod_http_job_run(struct spod_http_job *job, struct spod_http_cache *cache,
                       struct spod_http_call *call)
{
	struct spod_http_perr err;
	struct spod_client *c;
	int rc, reused, left;

	memset(&job->reply, 0, sizeof(job->reply));
	call->route = job->route;
	memcpy(call->key_id, job->key_id, sizeof(call->key_id));
	call->list = job->list;
	call->w3s_id = job->w3s_id;
	rc = spod_http_call_parse(call, &err, job->body, job->body_len);
	if (rc < 0) {
		spod_http_reply_error(&job->reply, spod_http_status(rc), err.code, err.msg);
		return;
	}
	/* A transport error on a cached connection (closed while idle) is retried once. */
	for (int attempt = 0;; attempt++) {
		rc = connection(job, cache, &c, &reused);
		if (rc < 0) {
			reply_failure(job, rc, NULL, NULL);
			return;
		}
		left = left_ms(job);
		spod_client_set_timeout(c, left > 0 ? left : 1);
		rc = spod_http_call_exec(call, c);
		if (rc == SPOD_OK) {
			spod_http_call_reply(&job->reply, call);
			return;
		}
		reply_failure(job, rc, c, call);
		if (!is_broken(rc))
			return;
		spod_http_cache_drop(cache, c);
		if (!reused || attempt > 0 || !is_retryable(rc))
			return;
		spod_http_reply_free(&job->reply);
	}
}
