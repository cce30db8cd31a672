/*
 * Pure parsers for what an HTTP request carries besides its body: the Authorization and
 * Content-Type headers and the query parameters of GET /v1/keys. No I/O, no state.
 */
#ifndef SPOD_HTTP_PARAMS_H
#define SPOD_HTTP_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "host/http/json_req.h"

/*
 * Finds the token in an Authorization header value: "Bearer" (any case), one or more spaces,
 * then 1..SPOD_TOKEN_MAX_BYTES token68 characters (RFC 7235: A-Z a-z 0-9 - . _ ~ + / then
 * "=" padding) up to the end of the text. *token points into header, which is
 * NUL-terminated, so the token is too. Nothing here says the token is valid: spod-host
 * decides that at hello. Returns SPOD_OK, or SPOD_E_UNAUTHENTICATED for a NULL or malformed
 * header (*token NULL, *token_len 0).
 */
int spod_http_bearer(const char **token, size_t *token_len, const char *header)
    __attribute__((warn_unused_result, nonnull(1, 2)));

/*
 * 1 when a Content-Type value is application/json (any case), alone or followed by
 * parameters ("; charset=utf-8"); 0 otherwise, NULL included.
 */
int spod_http_is_json(const char *content_type);

/* GET /v1/keys?cursor=N&limit=M */
struct spod_http_list_query {
	uint32_t cursor; /* 0 (default): the first page */
	uint32_t limit;  /* 1..SPOD_LIST_MAX_ITEMS, default SPOD_HTTP_LIST_DEFAULT */
	unsigned seen;   /* parameters given so far (bit set; duplicates are refused) */
};

#define SPOD_HTTP_LIST_DEFAULT 100u

/* Sets the defaults. */
void spod_http_list_query_init(struct spod_http_list_query *q) __attribute__((nonnull));

/*
 * Takes one query parameter (value NULL for "?name" without "="): "cursor", a decimal u32;
 * "limit", decimal 1..SPOD_LIST_MAX_ITEMS. Returns SPOD_OK, or SPOD_E_BAD_ARG with err
 * filled for an unknown or repeated name or a bad value (q unchanged).
 */
int spod_http_list_query_add(struct spod_http_list_query *q, struct spod_http_perr *err,
                             const char *name, const char *value)
    __attribute__((warn_unused_result, nonnull(1, 2, 3)));

#endif
