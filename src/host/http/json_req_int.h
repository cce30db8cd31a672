/*
 * What the HTTP layer's body parsers share besides json_req.h: loading a body as one JSON
 * object and sorting its members into the fields a route accepts, with the same messages
 * (json_req.c). For parsers kept in their own files (auth_req.c).
 */
#ifndef SPOD_HTTP_JSON_REQ_INT_H
#define SPOD_HTTP_JSON_REQ_INT_H

#include <stddef.h>

#include <jansson.h>

#include "host/http/json_req.h"

/* Where a field sits, for messages: prefix "" and name "body", or "items[3]." and "items[3]". */
struct spod_http_place {
	char prefix[32];
	char name[32];
};

/* A member a JSON object may have, and where its value goes. */
struct spod_http_field {
	const char *name; /* NULL: not accepted this time */
	const json_t **value;
};

/*
 * Parses body[0..len) into *root, which must be a JSON object (duplicate keys refused); the
 * caller decrefs it. SPOD_OK, SPOD_E_BAD_ARG (err->code "BAD_JSON" or "BAD_ARG") or
 * SPOD_E_NOMEM, *root NULL on failure.
 */
int spod_http_json_load(json_t **root, struct spod_http_perr *err, const char *body, size_t len)
    __attribute__((warn_unused_result, nonnull(1, 2)));

/*
 * Sorts the members of obj into fields[0..n) (their values borrowed from obj); any other
 * member is an unknown field, refused with SPOD_E_BAD_ARG naming it.
 */
int spod_http_json_take(const json_t *obj, const struct spod_http_field *fields, size_t n,
                        const struct spod_http_place *at, struct spod_http_perr *err)
    __attribute__((warn_unused_result, nonnull));

#endif
