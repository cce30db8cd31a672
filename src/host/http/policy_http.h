/*
 * The HTTP API's key-policy routes (docs/openapi.yaml; docs/policy.md): the request bodies of
 * PUT and DELETE /v1/keys/{id}/policy into what policy.set sends, and the answers as JSON.
 * The policy travels as JSON over HTTP and as its deterministic CBOR form to the enclave;
 * the conversion is src/convert's, here at the edge.
 */
#ifndef SPOD_HTTP_POLICY_HTTP_H
#define SPOD_HTTP_POLICY_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "host/http/json_req.h"
#include "spod/client.h"

/* An approval's text form: the 96 bytes (admin key, signature) as lowercase hex. */
#define SPOD_HTTP_APPROVAL_HEX (2u * SPOD_APPROVAL_BYTES)

/* PUT /v1/keys/{id}/policy, DELETE /v1/keys/{id}/policy */
struct spod_http_policy_set {
	size_t policy_len; /* 0: remove the key's policy */
	uint8_t policy[SPOD_POLICY_WIRE_MAX];
	size_t n_approvals; /* 0..SPOD_POLICY_ADMINS_MAX */
	uint8_t approvals[SPOD_POLICY_ADMINS_MAX * SPOD_APPROVAL_BYTES];
};

/*
 * PUT: {"policy": a policy object (docs/policy.md), "approvals": optional array of approvals
 * in text form}; the policy is converted to CBOR (a policy the converter refuses is BAD_ARG
 * with its message). remove 1 (DELETE): the body is optional and may hold "approvals" only.
 * Returns SPOD_OK, SPOD_E_BAD_ARG (err->code "BAD_JSON" or "BAD_ARG"), SPOD_E_TOO_LARGE
 * (a policy over SPOD_POLICY_WIRE_MAX in CBOR) or SPOD_E_NOMEM, as json_req.h's parsers.
 */
int spod_http_json_policy_set(struct spod_http_policy_set *out, struct spod_http_perr *err,
                              const char *body, size_t len, int remove)
    __attribute__((warn_unused_result, nonnull(1, 2)));

/*
 * The answer of GET /v1/keys/{id}/policy: {"key_id", "policy": the policy as JSON or null,
 * "policy_hash": hex, "admin_set": hex, or null when the policy was set without approvals}
 * (a key without a policy: {"key_id", "policy": null}). NULL when the CBOR does not convert
 * back, or without memory.
 */
json_t *spod_http_policy_object(const uint8_t key_id[SPOD_KEY_ID_BYTES],
                                const struct spod_policy_info *info, const uint8_t *policy)
    __attribute__((nonnull(1, 2)));

/* The answer of PUT / DELETE: {"key_id", "policy_hash": hex SHA-256 of the CBOR, or null}. */
json_t *spod_http_policy_set_object(const uint8_t key_id[SPOD_KEY_ID_BYTES],
                                    const struct spod_http_policy_set *in) __attribute__((nonnull));

/*
 * The rule and the reason of the enclave's refusal message
 * `OP: denied by rule "ID": REASON`, copied into rule[0..rule_cap) and reason[0..reason_cap)
 * (truncated, NUL-terminated); for `OP: denied by rule "ID"` (a deny rule without a reason of
 * its own) the reason is the engine's `denied by rule ID`. Returns SPOD_OK, or SPOD_E_BAD_ARG (both
 * "") when msg has another shape.
 */
int spod_http_denial_parse(char *rule, size_t rule_cap, char *reason, size_t reason_cap,
                           const char *msg) __attribute__((warn_unused_result, nonnull));

#endif
