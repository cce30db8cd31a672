/*
 * An HTTP answer before it becomes an MHD response: status, headers we set, body. Also the
 * one mapping from SPOD_E_* codes to HTTP status codes, and the JSON error body
 * {"error": {"code": "...", "message": "..."}} every failure carries.
 */
#ifndef SPOD_HTTP_REPLY_H
#define SPOD_HTTP_REPLY_H

#include <stddef.h>

#include <jansson.h>

#define SPOD_HTTP_JSON_TYPE       "application/json"
#define SPOD_HTTP_PROMETHEUS_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct spod_http_reply {
	unsigned status;
	const char *content_type; /* static text; NULL with no body */
	char *body;               /* malloc'd and owned by the reply, or NULL */
	const char *fixed_body;   /* static text used when body is NULL (may be NULL too) */
	size_t body_len;          /* of body or fixed_body */
	const char *allow;        /* Allow header (405), or NULL; must outlive the reply */
	int challenge;            /* 1: "WWW-Authenticate: Bearer" (401) */
	unsigned retry_after_s;   /* Retry-After header in seconds (429), or 0 for none */
};

/*
 * Seconds a client told 429 should wait: until the token's bucket holds one request again.
 * A token's rate is a whole number R >= 1 of requests per second (docs/auth.md) and its
 * bucket refills continuously at R per second, so one request is back within 1/R s <= 1 s;
 * Retry-After counts whole seconds, and ceil(1/R) is 1 for every rate spod-host accepts.
 */
#define SPOD_HTTP_RETRY_AFTER_S 1u

/* Frees the body and clears r. */
void spod_http_reply_free(struct spod_http_reply *r) __attribute__((nonnull));

/*
 * The HTTP status for a SPOD_E_* code, from the one error table (spod_err_http_status):
 * 401 UNAUTHENTICATED, 403 FORBIDDEN, 429 RATE_LIMITED, 404 KEY_NOT_FOUND, 409 LABEL_TAKEN,
 * 503 UNAVAILABLE/BUSY/IO/CLOSED/AGAIN, 504 TIMEOUT, 413 TOO_LARGE, 507 KEYSTORE_FULL,
 * 502 PROTOCOL (the host answered something that does not fit), 400 for the codes that
 * describe the request's input, 500 for the rest.
 */
unsigned spod_http_status(int err);

/*
 * Fills r with status and the JSON error {"error": {"code": code, "message": message}}.
 * The message is reduced to printable ASCII (it may quote client input or come from the
 * host). A 401 gets the Bearer challenge, a 429 Retry-After (SPOD_HTTP_RETRY_AFTER_S).
 * Never fails: without memory for the body, r becomes a fixed 500 NOMEM answer.
 */
void spod_http_reply_error(struct spod_http_reply *r, unsigned status, const char *code,
                           const char *message) __attribute__((nonnull));

/* spod_http_reply_error for a SPOD_E_* code; message NULL or "": the code's own text. */
void spod_http_reply_failure(struct spod_http_reply *r, int err, const char *message)
    __attribute__((nonnull(1)));

/*
 * Fills r with status and obj serialised (compact); takes the reference to obj, which may be
 * NULL (a failed json_pack): then, as when serialising fails, r is the fixed 500 answer.
 */
void spod_http_reply_json(struct spod_http_reply *r, unsigned status, json_t *obj)
    __attribute__((nonnull(1)));

#endif
