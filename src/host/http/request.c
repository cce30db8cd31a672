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
 * read and dropped, and the answer is 413. The last call parses the body, carries the
 * request out over this thread's cached libspod connection for the token (handlers.h,
 * cache.h) and queues the answer.
 */
#include "host/http/server_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "host/http/params.h"
#include "host/http/reply.h"
#include "host/http/routes.h"
#include "host/http/seal_json.h"
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
	char allow[SPOD_HTTP_ALLOW_BYTES]; /* the Allow header of a 405 */
	char *body;
	size_t body_len;
	size_t body_cap;
	int too_large; /* the body passed max_body_bytes: the rest is dropped */
	int nomem;     /* the body buffer could not grow */
	int refused;   /* refusal holds the answer, given at the last call */
	struct spod_http_reply refusal;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* This thread's worker, made on its first request. */
static int worker_get(struct spod_http *h, struct spod_http_worker **out)
{
	struct spod_http_worker *w = pthread_getspecific(h->worker_key);

	*out = NULL;
	if (w != NULL) {
		*out = w;
		return SPOD_OK;
	}
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return SPOD_E_NOMEM;
	w->call = malloc(sizeof(*w->call));
	if (w->call == NULL ||
	    spod_http_cache_new(&w->cache, h->backend_uri, HTTP_BACKEND_TIMEOUT_MS) < 0 ||
	    pthread_setspecific(h->worker_key, w) != 0) {
		spod_http_cache_free(w->cache);
		free(w->call);
		free(w);
		return SPOD_E_NOMEM;
	}
	pthread_mutex_lock(&h->lock);
	w->next = h->workers;
	h->workers = w;
	pthread_mutex_unlock(&h->lock);
	*out = w;
	return SPOD_OK;
}

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

/*
 * A token route's last step: parse the body, carry the call out over this thread's
 * connection for the token, render. A transport error on a cached connection (the host may
 * have closed it while it sat idle) is retried once on a new one.
 */
static void serve_call(struct spod_http *h, struct request *rq, struct MHD_Connection *conn,
                       struct spod_http_reply *r)
{
	struct spod_http_perr err;
	struct spod_http_call *call;
	struct spod_client *c;
	struct spod_http_worker *w;
	const char *token;
	size_t token_len;
	int rc, reused;

	if (worker_get(h, &w) < 0) {
		spod_http_reply_failure(r, SPOD_E_NOMEM, NULL);
		return;
	}
	call = w->call;
	call->route = rq->route->id;
	memcpy(call->key_id, rq->key_id, sizeof(call->key_id));
	call->list = rq->list;
	rc = spod_http_call_parse(call, &err, rq->body, rq->body_len);
	if (rc < 0) {
		spod_http_reply_error(r, spod_http_status(rc), err.code, err.msg);
		return;
	}
	/* Checked on the first call; the header text lives as long as the request. */
	if (spod_http_bearer(&token, &token_len,
	                     MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	                                                 MHD_HTTP_HEADER_AUTHORIZATION)) < 0) {
		spod_http_reply_failure(r, SPOD_E_UNAUTHENTICATED, NULL);
		return;
	}
	for (int attempt = 0;; attempt++) {
		rc = spod_http_cache_get(w->cache, &c, &reused, token, token_len);
		if (rc < 0) {
			if (rc != SPOD_E_UNAUTHENTICATED)
				spod_warn("http: no connection to %s: %s", h->backend_uri,
				          spod_strerror(rc));
			spod_http_reply_failure(r, rc, NULL);
			return;
		}
		rc = spod_http_call_exec(call, c);
		if (rc == SPOD_OK) {
			spod_http_call_reply(r, call);
			return;
		}
		spod_http_reply_failure(r, rc, spod_client_last_error(c));
		if (!is_broken(rc))
			return;
		spod_http_cache_drop(w->cache, c);
		if (!reused || attempt > 0 || !is_retryable(rc))
			return;
		spod_http_reply_free(r);
	}
}

/* The host's Prometheus text, then the HTTP layer's own counters. */
static void reply_metrics(struct spod_http *h, struct spod_http_reply *r)
{
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
		own_len = spod_http_metrics_render(&h->metrics, buf + host_len, cap - host_len);
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

	switch (spod_http_route_match(&m, method, url)) {
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
	if (!spod_http_is_json(
	        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE))) {
		spod_http_reply_error(r, 415, "UNSUPPORTED_MEDIA_TYPE",
		                      "Content-Type must be application/json");
		return 1;
	}
	length = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
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

/* The last call of a request: the whole body is in. */
static void finish(struct spod_http *h, struct request *rq, struct MHD_Connection *conn,
                   struct spod_http_reply *r)
{
	if (rq->refused) {
		*r = rq->refusal;
		memset(&rq->refusal, 0, sizeof(rq->refusal));
		rq->refused = 0;
		return;
	}
	if (rq->too_large) {
		reply_too_large(h, r);
		return;
	}
	if (rq->nomem) {
		spod_http_reply_failure(r, SPOD_E_NOMEM, NULL);
		return;
	}
	switch (rq->route->id) {
	case SPOD_HTTP_ROUTE_HEALTHZ:
		spod_http_reply_json(r, 200, json_pack("{s:s}", "status", "ok"));
		return;
	case SPOD_HTTP_ROUTE_READYZ:
		spod_http_reply_readyz(r, h->ready, h->seal, h->ctx);
		return;
	case SPOD_HTTP_ROUTE_METRICS:
		reply_metrics(h, r);
		return;
	default:
		serve_call(h, rq, conn, r);
		return;
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
	ns = now_ns() - rq->start_ns;
	spod_http_metrics_record(&h->metrics, route, r->status, ns);
	spod_debug("http: %s %s %u (%.3f ms)", rq->route != NULL ? rq->route->method : "-",
	           rq->route != NULL ? rq->route->path : "unmatched", r->status, (double)ns / 1e6);
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
		rq->start_ns = now_ns();
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
	finish(h, rq, conn, &r);
	return answer(h, rq, conn, &r);
}

void spod_http_on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                            enum MHD_RequestTerminationCode toe)
{
	struct request *rq = *req_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (rq == NULL)
		return;
	spod_http_reply_free(&rq->refusal);
	free(rq->body);
	free(rq);
	*req_cls = NULL;
}
