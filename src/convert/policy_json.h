/*
 * Host-side conversion of key policies between the JSON users write (docs/policy.md) and the
 * deterministic CBOR form the enclave reads (src/policy/policy.h). The enclave never sees
 * JSON: the CLI and the HTTP API convert here, at the edge.
 */
#ifndef SPOD_CONVERT_POLICY_JSON_H
#define SPOD_CONVERT_POLICY_JSON_H

#include <stddef.h>
#include <stdint.h>

/* Room for any message the converter writes. */
#define SPOD_POLICY_JSON_ERR_BYTES 256u

/*
 * Converts the policy JSON text json[0..len) to its CBOR form in out[0..cap) (at most
 * SPOD_POLICY_MAX_BYTES are ever needed) and sets *out_len. The output is exactly what
 * spod_policy_load accepts (checked before returning). On failure *out_len is 0 and err (a
 * NUL-terminated message naming the rule and key, e.g. `rule 2 ("hot"): unknown key "foo"`)
 * says why. Returns SPOD_OK, SPOD_E_BAD_FIELD (not JSON, or not a valid policy),
 * SPOD_E_TOO_LARGE (over a cap, or out too small) or SPOD_E_NOMEM.
 */
int spod_policy_from_json(uint8_t *out, size_t cap, size_t *out_len, const char *json, size_t len,
                          char *err, size_t err_cap)
    __attribute__((warn_unused_result, nonnull(3, 6)));

/*
 * Converts a policy's CBOR form cbor[0..len) (validated with spod_policy_load) to compact
 * JSON in the documented key order, with Ethereum addresses EIP-55 checksummed, Solana ones
 * in base58 and amounts as decimal strings. Sets *json_out to a malloc'd NUL-terminated
 * string the caller frees. Returns SPOD_OK, spod_policy_load's codes, or SPOD_E_NOMEM.
 */
int spod_policy_to_json(char **json_out, const uint8_t *cbor, size_t len)
    __attribute__((warn_unused_result, nonnull(1)));

#endif
