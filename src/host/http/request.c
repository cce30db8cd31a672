/*
 * One HTTP request through libmicrohttpd, from its headers to its answer (server_int.h).
 *
 * The access handler is called once after the headers, once per piece of body and once at
 * the end. Everything that can be refused from the headers alone is decided on the
 * first call: no route (404), wrong method (405), no bearer token (401), bad {id} or query
 * (400), not JSON (415), a declared Content-Length over the limit (413). A request that
 * carries a body is answered at once, before its body is read (MHD then closes the
 * connection); one without a body is answered at its last call, which keeps the connection
 * alive. The body is accumulated up to max_body_bytes and no further; beyond it the rest is
 * read and dropped, and the answer is 413.
 *
 * At the last call /healthz, /readyz and /metrics are answered from spod-host's state, in
 * this thread. A token route that needs a ready enclave is answered 503 at once while there
 * is none; otherwise its call goes to the executor (exec.h) and the connection is suspended
 * until the executor has the answer (MHD_suspend_connection / MHD_resume_connection), so no
 * HTTP thread ever waits for the pod. A full executor queue is 503 BUSY at once.
 */
#include "host/http/server_int.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "host/http/clock.h"
#include "host/http/params.h"
#include "host/http/reply.h"
#include "host/http/routes.h"
#include "host/http/seal_json.h"
#include "host/http/web3signer.h"
#include "spod/err.h"

#define HTTP_BODY_FIRST_BYTES    4096u         /* first body buffer, then doubled */
#define HTTP_METRICS_FIRST_BYTES (32u * 1024u) /* first /metrics buffer */
#define HTTP_METRICS_MAX_BYTES   (16u * 1024u * 1024u)

/* One HTTP request, from its headers to its answer (MHD's per-request pointer). */
struct request {
	const struct spod_http_route *route; /* NULL: no route matched */
	uint64_t start_ns;
	uint8_t key_id[SPOD_KEY_ID_BYTES];
	struct spod_http_list_query list;
	struct spod_w3s_ident w3s_id;
	char allow[SPOD_HTTP_ALLOW_BYTES]; /* the Allow header of a 405 */
	char *body;
	size_t body_len;
	size_t body_cap;
	int too_large; /* the body passed max_body_bytes: the rest is dropped */
	int nomem;     /* the body buffer could not grow */
	int refused;   /* refusal holds the answer, given at the last call */
	struct spod_http_reply refusal;
	struct MHD_Connection *conn; /* while the executor has the job */
	int done;                    /* the executor answered: job.reply holds it */
	struct spod_http_job job;    /* the call of a token route */
};

/* The host's Prometheus text, then the HTTP layer's own counters. */
static void reply_metrics(struct spod_http *h, struct spod_http_reply *r)
{
	struct spod_http_gauges g = {
	    .connections = spod_http_conns_count(spod_http_gate_conns(h->gate)),
	    .calls_waiting = spod_http_exec_waiting(h->exec),
	};
	size_t cap = HTTP_METRICS_FIRST_BYTES;
	char *buf = NULL;

	/* Each pass sizes the buffer from the last; values may grow in between. */
	for (int pass = 0; pass < 4 && cap <= HTTP_METRICS_MAX_BYTES; pass++) {
		size_t host_len = 0, own_len;
		char *p = realloc(buf, cap);

		if (p == NULL)
			break;
		buf = p;
		if (h->host_metrics != NULL)
			host_len = h->host_metrics(h->ctx, buf, cap);
		if (host_len >= cap) {
			cap = host_len + HTTP_METRICS_FIRST_BYTES;
			continue;
		}
		own_len = spod_http_metrics_render(&h->metrics, &g, buf + host_len, cap - host_len);
		if (own_len >= cap - host_len) {
			cap = host_len + own_len + HTTP_METRICS_FIRST_BYTES;
			continue;
		}
		spod_http_reply_free(r);
		r->status = 200;
		r->content_type = SPOD_HTTP_PROMETHEUS_TYPE;
		r->body = buf;
		r->body_len = host_len + own_len;
		return;
	}
	free(buf);
	spod_http_reply_failure(r, SPOD_E_NOMEM, "the metrics text could not be built");
}

static void reply_too_large(const struct spod_http *h, struct spod_http_reply *r)
{
	char msg[64];

	snprintf(msg, sizeof(msg), "request body larger than %zu bytes", h->max_body_bytes);
	spod_http_reply_error(r, 413, spod_err_name(SPOD_E_TOO_LARGE), msg);
}

struct query_walk {
	struct spod_http_list_query *q;
	struct spod_http_perr *err;
	int rc;
};

static enum MHD_Result on_query_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
	struct query_walk *qw = cls;

	(void)kind;
	qw->rc = spod_http_list_query_add(qw->q, qw->err, key, value);
	return qw->rc == SPOD_OK ? MHD_YES : MHD_NO;
}

/* An eth-listen server's one route: POST / or POST /eth. */
static enum spod_http_match_result eth_only_match(struct spod_http_match *m, const char *method,
                                                  const char *url)
{
	memset(m, 0, sizeof(*m));
	if (strcmp(url, "/") != 0 && strcmp(url, "/eth") != 0)
		return SPOD_HTTP_MATCH_NO_PATH;
	snprintf(m->allow, sizeof(m->allow), "POST");
	if (strcmp(method, "POST") != 0)
		return SPOD_HTTP_MATCH_NO_METHOD;
	m->route = &spod_http_routes[SPOD_HTTP_ROUTE_ETH_RPC];
	return SPOD_HTTP_MATCH_OK;
}

/*
 * The first call of a request, with its headers. Returns 1 with r filled when the request
 * is answered now, 0 to go on reading the body.
 */
static int begin(struct spod_http *h, struct request *rq, struct MHD_Connection *conn,
                 const char *url, const char *method, struct spod_http_reply *r)
{
	struct spod_http_match m;
	struct spod_http_perr err;
	const char *token, *length;
	size_t token_len;

	switch (h->eth_only ? eth_only_match(&m, method, url)
	                    : spod_http_route_match(&m, method, url)) {
	case SPOD_HTTP_MATCH_NO_PATH:
		spod_http_reply_error(r, 404, "NOT_FOUND", "no such route");
		return 1;
	case SPOD_HTTP_MATCH_NO_METHOD:
		memcpy(rq->allow, m.allow, sizeof(rq->allow));
		spod_http_reply_error(r, 405, "METHOD_NOT_ALLOWED", "method not allowed here");
		r->allow = rq->allow;
		return 1;
	case SPOD_HTTP_MATCH_OK:
		break;
	}
	rq->route = m.route;
	if ((m.route->flags & SPOD_HTTP_ROUTE_TOKEN) &&
	    spod_http_bearer(&token, &token_len,
	                     MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	                                                 MHD_HTTP_HEADER_AUTHORIZATION)) < 0) {
		spod_http_reply_error(r, 401, spod_err_name(SPOD_E_UNAUTHENTICATED),
		                      "an \"Authorization: Bearer <token>\" header is required");
		return 1;
	}
	if ((m.route->flags & SPOD_HTTP_ROUTE_KEY) &&
	    spod_http_key_id_parse(rq->key_id, m.id, m.id_len) < 0) {
		spod_http_reply_error(r, 400, spod_err_name(SPOD_E_BAD_ARG),
		                      "id: must be 32 hex digits");
		return 1;
	}
	/* Web3Signer answers an identifier it does not know 404, whatever its shape. */
	if ((m.route->flags & SPOD_HTTP_ROUTE_W3S_ID) &&
	    spod_w3s_ident_parse(&rq->w3s_id, m.id, m.id_len) < 0) {
		spod_http_reply_failure(r, SPOD_E_KEY_NOT_FOUND, "no key with that identifier");
		return 1;
	}
	if (m.route->id == SPOD_HTTP_ROUTE_KEYS_LIST) {
		struct query_walk qw = {&rq->list, &err, SPOD_OK};

		spod_http_list_query_init(&rq->list);
		MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, on_query_arg, &qw);
		if (qw.rc < 0) {
			spod_http_reply_error(r, 400, err.code, err.msg);
			return 1;
		}
	}
	if (!(m.route->flags & SPOD_HTTP_ROUTE_BODY))
		return 0;
	length = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if ((m.route->flags & SPOD_HTTP_ROUTE_BODY_OPTIONAL) &&
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE) ==
	        NULL &&
	    (length == NULL || strcmp(length, "0") == 0))
		return 0; /* no body: the parser sees an empty one */
	if (!(m.route->flags & SPOD_HTTP_ROUTE_W3S_ID) &&
	    !spod_http_is_json(
	        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE))) {
		spod_http_reply_error(r, 415, "UNSUPPORTED_MEDIA_TYPE",
		                      "Content-Type must be application/json");
		return 1;
	}
	if (length != NULL) {
		char *end;
		unsigned long long n;

		errno = 0;
		n = strtoull(length, &end, 10);
		/* MHD has checked the value; anything it let through that is huge is too large. */
		if (errno == ERANGE || n > h->max_body_bytes) {
			reply_too_large(h, r);
			return 1;
		}
	}
	return 0;
}

/* A piece of the body: kept while the total is within max_body_bytes, dropped after. */
static void take_body(struct spod_http *h, struct request *rq, const char *data, size_t n)
{
	if (rq->refused || !(rq->route->flags & SPOD_HTTP_ROUTE_BODY) || rq->too_large || rq->nomem)
		return;
	if (n > h->max_body_bytes - rq->body_len) {
		free(rq->body);
		rq->body = NULL;
		rq->body_len = rq->body_cap = 0;
		rq->too_large = 1;
		return;
	}
	if (n > rq->body_cap - rq->body_len) {
		size_t cap = rq->body_cap > 0 ? rq->body_cap : HTTP_BODY_FIRST_BYTES;
		char *p;

		while (n > cap - rq->body_len)
			cap = cap > h->max_body_bytes / 2 ? h->max_body_bytes : cap * 2;
		if (cap > h->max_body_bytes)
			cap = h->max_body_bytes;
		p = realloc(rq->body, cap);
		if (p == NULL) {
			rq->nomem = 1;
			return;
		}
		rq->body = p;
		rq->body_cap = cap;
	}
	memcpy(rq->body + rq->body_len, data, n);
	rq->body_len += n;
}

/* The executor's callback (an executor thread): the answer is in job->reply. */
static void on_job_done(struct spod_http_job *job)
{
	struct request *rq =
	    (struct request *)(void *)((char *)job - offsetof(struct request, job));

	rq->done = 1;
	/* MHD's lock in resume orders the writes above before the access handler's reads. */
	MHD_resume_connection(rq->conn);
}

/*
 * A token route's last call: 503 at once while the pod is not ready for it, else the call
 * goes to the executor and the connection is suspended until it answers (or, when the queue
 * is full, resumed at once with a 503 BUSY). Returns 1 with r filled when answered now, 0
 * when suspended.
 */
static int submit(struct spod_http *h, struct request *rq, struct MHD_Connection *conn,
                  struct spod_http_reply *r)
{
	struct spod_http_job *job = &rq->job;

	if ((rq->route->flags & SPOD_HTTP_ROUTE_READY) && h->ready != NULL && !h->ready(h->ctx)) {
		spod_http_reply_not_ready(r, h->seal, h->ctx);
		return 1;
	}
	/* Checked on the first call; the header text lives as long as the request. */
	if (spod_http_bearer(&job->token, &job->token_len,
	                     MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	                                                 MHD_HTTP_HEADER_AUTHORIZATION)) < 0) {
		spod_http_reply_failure(r, SPOD_E_UNAUTHENTICATED, NULL);
		return 1;
	}
	job->route = rq->route->id;
	memcpy(job->key_id, rq->key_id, sizeof(job->key_id));
	job->list = rq->list;
	job->w3s_id = rq->w3s_id;
	job->body = rq->body;
	job->body_len = rq->body_len;
	job->timeout_ms = h->call_timeout_ms;
	job->deadline_ns = spod_http_now_ns() + (uint64_t)h->call_timeout_ms * SPOD_HTTP_NS_PER_MS;
	job->done = on_job_done;
	rq->conn = conn;
	/* Suspended first: the executor may resume it before submit returns. */
	MHD_suspend_connection(conn);
	if (spod_http_exec_submit(h->exec, job) < 0) {
		spod_http_reply_failure(&job->reply, SPOD_E_BUSY,
		                        "too many HTTP requests are waiting for the pod");
		rq->done = 1;
		MHD_resume_connection(conn);
	}
	return 0;
}

/* The last call of a request: the whole body is in. Returns 1 with r filled, 0 suspended. */
static int finish(struct spod_http *h, struct request *rq, struct MHD_Connection *conn,
                  struct spod_http_reply *r)
{
	if (rq->refused) {
		*r = rq->refusal;
		memset(&rq->refusal, 0, sizeof(rq->refusal));
		rq->refused = 0;
		return 1;
	}
	if (rq->too_large) {
		reply_too_large(h, r);
		return 1;
	}
	if (rq->nomem) {
		spod_http_reply_failure(r, SPOD_E_NOMEM, NULL);
		return 1;
	}
	switch (rq->route->id) {
	case SPOD_HTTP_ROUTE_HEALTHZ:
		spod_http_reply_json(r, 200, json_pack("{s:s}", "status", "ok"));
		return 1;
	case SPOD_HTTP_ROUTE_READYZ:
		spod_http_reply_readyz(r, h->ready, h->seal, h->ctx);
		return 1;
	case SPOD_HTTP_ROUTE_METRICS:
		reply_metrics(h, r);
		return 1;
	case SPOD_HTTP_ROUTE_W3S_UPCHECK:
		spod_w3s_reply_upcheck(r);
		return 1;
	default:
		return submit(h, rq, conn, r);
	}
}

/* The headers of r besides its body's length. Returns 1, or 0 when one could not be added. */
static int add_headers(struct MHD_Response *resp, const struct spod_http_reply *r)
{
	char retry[16];

	if (r->content_type != NULL &&
	    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type) != MHD_YES)
		return 0;
	if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") != MHD_YES ||
	    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff") != MHD_YES)
		return 0;
	if (r->allow != NULL &&
	    MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow) != MHD_YES)
		return 0;
	if (r->challenge &&
	    MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer") != MHD_YES)
		return 0;
	if (r->retry_after_s > 0) {
		snprintf(retry, sizeof(retry), "%u", r->retry_after_s);
		if (MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, retry) != MHD_YES)
			return 0;
	}
	return 1;
}

/* Queues r as the answer, counts it and frees r. */
static enum MHD_Result answer(struct spod_http *h, struct request *rq, struct MHD_Connection *conn,
                              struct spod_http_reply *r)
{
	static struct spod_log_limit lim;
	unsigned route = rq->route != NULL ? (unsigned)rq->route->id : SPOD_HTTP_METRIC_UNMATCHED;
	struct MHD_Response *resp;
	enum MHD_Result ok;
	uint64_t ns;

	if (r->body != NULL) {
		resp = MHD_create_response_from_buffer(r->body_len, r->body, MHD_RESPMEM_MUST_FREE);
		if (resp != NULL)
			r->body = NULL; /* MHD frees it */
	} else {
		resp = MHD_create_response_from_buffer(
		    r->body_len, (void *)(r->fixed_body != NULL ? r->fixed_body : ""),
		    MHD_RESPMEM_PERSISTENT);
	}
	if (resp == NULL) {
		spod_http_reply_free(r);
		return MHD_NO;
	}
	ok = add_headers(resp, r) ? MHD_queue_response(conn, r->status, resp) : MHD_NO;
	MHD_destroy_response(resp);
	ns = spod_http_now_ns() - rq->start_ns;
	spod_http_metrics_record(&h->metrics, route, r->status, ns);
	spod_log_limited(&lim, SPOD_LOG_EVERY_MS, SPOD_LOG_DEBUG, "http: %s %s %u (%.3f ms)",
	                 rq->route != NULL ? rq->route->method : "-",
	                 rq->route != NULL ? rq->route->path : "unmatched", r->status,
	                 (double)ns / 1e6);
	spod_http_reply_free(r);
	return ok;
}

/* Whether the request declares a body (a non-zero Content-Length, or chunked). */
static int has_body(struct MHD_Connection *conn)
{
	const char *length =
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);

	if (MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING) !=
	    NULL)
		return 1;
	return length != NULL && strspn(length, "0") != strlen(length);
}

enum MHD_Result spod_http_on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                     const char *method, const char *version,
                                     const char *upload_data, size_t *upload_data_size,
                                     void **req_cls)
{
	struct spod_http *h = cls;
	struct request *rq = *req_cls;
	struct spod_http_reply r = {0};

	(void)version;
	if (rq == NULL) {
		rq = calloc(1, sizeof(*rq));
		if (rq == NULL)
			return MHD_NO;
		rq->start_ns = spod_http_now_ns();
		spod_http_header_seen(conn);
		*req_cls = rq;
		if (!begin(h, rq, conn, url, method, &r))
			return MHD_YES;
		if (has_body(conn))
			return answer(h, rq, conn, &r);
		rq->refusal = r;
		rq->refused = 1;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		take_body(h, rq, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (rq->done) {
		r = rq->job.reply;
		memset(&rq->job.reply, 0, sizeof(rq->job.reply));
		rq->done = 0;
		return answer(h, rq, conn, &r);
	}
	if (!finish(h, rq, conn, &r))
		return MHD_YES; /* suspended: the executor resumes it */
	return answer(h, rq, conn, &r);
}

void spod_http_on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                            enum MHD_RequestTerminationCode toe)
{
	struct request *rq = *req_cls;

	(void)cls;
	(void)toe;
	spod_http_answered(conn);
	if (rq == NULL)
		return;
	spod_http_reply_free(&rq->refusal);
	spod_http_reply_free(&rq->job.reply);
	free(rq->body);
	free(rq);
	*req_cls = NULL;
}
