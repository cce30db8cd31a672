/*
 * AWS's NSM API messages in CBOR, as aws-nitro-enclaves-nsm-api encodes them with
 * serde_cbor 0.11 (docs/research/nitro.md §3.1): externally tagged enums, so a unit variant
 * is its name as text ("GetRandom"), a struct variant is {name: {field: value, ...}} with
 * the fields in declaration order and Option::None as null, and an error is
 * {"Error": "<ErrorCode name>"}.
 *
 * Encoders write into a caller buffer and report the length. Decoders validate a whole
 * response and return views into it (valid while the response buffer is; nothing is
 * copied, so the caller can wipe it). They accept definite and indefinite maps and any
 * field order, skip fields they do not know, and reject trailing bytes, duplicate or
 * missing fields and indefinite-length strings.
 */
#ifndef SPOD_NSM_API_H
#define SPOD_NSM_API_H

#include <stddef.h>
#include <stdint.h>

#include "attest/doc.h"

/* The driver's limits (NSM_REQUEST_MAX_SIZE / NSM_RESPONSE_MAX_SIZE). */
#define SPOD_NSM_REQUEST_MAX_BYTES  0x1000u
#define SPOD_NSM_RESPONSE_MAX_BYTES 0x3000u

/*
 * Attestation{user_data, nonce, public_key}; a NULL ptr encodes None (null), a non-NULL
 * ptr with len 0 encodes Some(empty) (h''), as nsm-lib does. Returns SPOD_OK with
 * *out_len, SPOD_E_BAD_ARG (NULL ptr with a length) or SPOD_E_TOO_LARGE (cap too small).
 */
int spod_nsm_api_encode_attestation(uint8_t *out, size_t cap, size_t *out_len,
                                    struct spod_bytes user_data, struct spod_bytes nonce,
                                    struct spod_bytes public_key)
    __attribute__((warn_unused_result, nonnull(1, 3)));

/* DescribePCR{index}. Returns SPOD_OK with *out_len or SPOD_E_TOO_LARGE. */
int spod_nsm_api_encode_describe_pcr(uint8_t *out, size_t cap, size_t *out_len, uint16_t index)
    __attribute__((warn_unused_result, nonnull));

/* GetRandom. Returns SPOD_OK with *out_len or SPOD_E_TOO_LARGE. */
int spod_nsm_api_encode_get_random(uint8_t *out, size_t cap, size_t *out_len)
    __attribute__((warn_unused_result, nonnull));

/*
 * The decoders below return, besides SPOD_OK:
 *   SPOD_E_TRUNCATED  the CBOR ends inside an item;
 *   SPOD_E_PROTOCOL   malformed CBOR, another variant, a missing, duplicate or mistyped
 *                     field, trailing bytes, or an Error the NSM should never send;
 *   the code of an {"Error": name} answer: InvalidArgument, InvalidIndex, ReadOnlyIndex and
 *                     InvalidOperation -> SPOD_E_BAD_ARG; InputTooLarge, BufferTooSmall ->
 *                     SPOD_E_TOO_LARGE; InternalError -> SPOD_E_IO; InvalidResponse,
 *                     Success and unknown names -> SPOD_E_PROTOCOL (logged by name, never
 *                     by the device's bytes).
 * On failure the outputs are zeroed.
 */

/* {"Attestation": {"document": bstr}}; *document is non-empty. */
int spod_nsm_api_decode_attestation(struct spod_bytes *document, const uint8_t *resp,
                                    size_t resp_len)
    __attribute__((warn_unused_result, nonnull(1)));

/* {"DescribePCR": {"lock": bool, "data": bstr}}; data must be 48 bytes. */
int spod_nsm_api_decode_describe_pcr(struct spod_bytes *data, int *lock, const uint8_t *resp,
                                     size_t resp_len)
    __attribute__((warn_unused_result, nonnull(1, 2)));

/* {"GetRandom": {"random": bstr}}; *random is non-empty. */
int spod_nsm_api_decode_get_random(struct spod_bytes *random, const uint8_t *resp, size_t resp_len)
    __attribute__((warn_unused_result, nonnull(1)));

#endif
