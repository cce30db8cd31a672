/*
 * The enclave's seal state as the HTTP API shows it (docs/openapi.yaml, SealStatus and
 * Readiness; docs/keys.md): the answer of GET /v1/custodian/status and POST
 * /v1/custodian/shares, which comes from the enclave through libspod, and /readyz, which
 * comes from spod-host's own snapshot and never waits for the enclave.
 */
#ifndef SPOD_HTTP_SEAL_JSON_H
#define SPOD_HTTP_SEAL_JSON_H

#include <jansson.h>

#include "host/http/http.h"
#include "host/http/reply.h"
#include "spod/client.h"

/*
 * {"mode": "ephemeral" | "custodians" | "unset", "ready": the seal key is present,
 * "seal_key_id": 32 hex digits or null while unknown (all zero), "shares_present",
 * "shares_needed" (K, 0 until the first share), "shares_total" (N), "keys"} of a seal.status
 * or custodian.share answer. Returns a new reference, or NULL without memory.
 */
json_t *spod_http_seal_object(const struct spod_seal_info *s) __attribute__((nonnull));

/*
 * Fills r with the /readyz answer: {"ready", "mode", "seal_key_id", "shares_present",
 * "shares_needed", "shares_total"}, "ready" from ready(ctx) and the rest from seal(ctx)
 * (mode "unset", null and zeros while spod-host has not seen the enclave's seal state, or
 * when seal is NULL); ready NULL counts as ready. 200 when ready; otherwise 503 with the same
 * members and "error": NOT_PROVISIONED while the custodians' shares are awaited, UNAVAILABLE
 * when no enclave connection is ready. Both callbacks must be quick and thread-safe.
 */
void spod_http_reply_readyz(struct spod_http_reply *r, int (*ready)(void *ctx),
                            void (*seal)(void *ctx, struct spod_http_seal *out), void *ctx)
    __attribute__((nonnull(1)));

/*
 * Fills r with the 503 of a key request while no enclave connection is ready: the "error" of
 * /readyz's answer alone (NOT_PROVISIONED while the custodians' shares are awaited, else
 * UNAVAILABLE), from seal(ctx) (NULL: unknown).
 */
void spod_http_reply_not_ready(struct spod_http_reply *r,
                               void (*seal)(void *ctx, struct spod_http_seal *out), void *ctx)
    __attribute__((nonnull(1)));

#endif
