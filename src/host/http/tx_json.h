/*
 * The answers of the sign.tx routes (docs/openapi.yaml): POST /v1/keys/{id}/sign-transaction
 * (SignedTransaction: the signed transaction and what the enclave decoded from it),
 * sign-message and sign-typed-data (EthSignature), sign-authorization (SignedAuthorization).
 */
#ifndef SPOD_HTTP_TX_JSON_H
#define SPOD_HTTP_TX_JSON_H

#include <jansson.h>

#include "host/http/json_req.h"
#include "spod/client.h"

/*
 * {"key_id", "chain", "signed_tx", "summary": {"type", "kind", "chain_id" (Ethereum),
 * "flags", "transfers": [{"asset", "token", "to", "amount", "decimals"}]}}: signed_tx as
 * 0x-hex (Ethereum) or base64 (Solana), addresses as 0x-hex or base58 (null when absent),
 * amounts as decimal strings, decimals absent when the transaction does not say. Returns a
 * new reference, or NULL without memory or for an answer that cannot be shown.
 */
json_t *spod_http_tx_object(const uint8_t key_id[SPOD_KEY_ID_BYTES],
                            const struct spod_tx_info *info, const uint8_t *signed_tx, size_t len)
    __attribute__((nonnull));

/*
 * The answer of sign-message and sign-typed-data: {"key_id", "type": "eip191" | "eip712",
 * "signature": 0x-hex of r || s || v (65 bytes), "r", "s", "v", and "chain_id" for typed
 * data}. Returns a new reference, or NULL without memory or for an answer that is not a
 * 65-byte signature of those kinds.
 */
json_t *spod_http_eth_sig_object(const uint8_t key_id[SPOD_KEY_ID_BYTES],
                                 const struct spod_tx_info *info, const uint8_t *sig, size_t len)
    __attribute__((nonnull));

/*
 * The answer of sign-authorization, as `spod --json sign-authorization` prints it: {"key_id",
 * "chain_id", "address" (as the request gave it), "nonce", "y_parity" (0 or 1), "r", "s"},
 * the fields of an EIP-7702 authorization list entry. Returns a new reference, or NULL
 * without memory or for an answer that is not r || s || y_parity (65 bytes, y_parity 0 or 1).
 */
json_t *spod_http_auth_object(const uint8_t key_id[SPOD_KEY_ID_BYTES],
                              const struct spod_http_sign_auth *in, const uint8_t *sig, size_t len)
    __attribute__((nonnull));

#endif
