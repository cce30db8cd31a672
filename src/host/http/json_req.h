/*
 * Pure parsers for the HTTP API's JSON request bodies (docs/openapi.yaml) and for key ids.
 *
 * Each parser takes body text of explicit length (no NUL needed) and fills a C struct holding
 * the decoded bytes, or returns an error whose message names the offending field. They do no
 * I/O, keep no state and allocate only inside jansson, so they can be fuzzed
 * (tests/fuzz/fuzz_http_json.c) and unit-tested (tests/unit/test_http_json.c) without a
 * server.
 *
 * Rules common to every body: the text is one JSON object (duplicate keys rejected); every
 * field has one JSON type; unknown fields are an error; byte strings are hex (either case, an
 * optional "0x" prefix) unless "encoding" says "base64" (strict RFC 4648 with padding), and
 * provisioning envelopes are always base64; key ids are exactly 32 hex digits.
 *
 * Every parser returns SPOD_OK, SPOD_E_BAD_ARG (err->code "BAD_JSON" when the text is not
 * JSON, "BAD_ARG" when it is JSON of the wrong shape) or SPOD_E_NOMEM (err->code "NOMEM").
 * On failure the output's lengths and counts are zero.
 */
#ifndef SPOD_HTTP_JSON_REQ_H
#define SPOD_HTTP_JSON_REQ_H

#include <stddef.h>
#include <stdint.h>

#include "spod/wire.h"

#define SPOD_HTTP_ERRMSG_BYTES 192u

/* Why a request was refused: an error code name and a message for the client. */
struct spod_http_perr {
	const char *code;                 /* static: "BAD_JSON", "BAD_ARG", "NOMEM" */
	char msg[SPOD_HTTP_ERRMSG_BYTES]; /* NUL-terminated, e.g. "items[2].digest: must be 32
	                                     bytes" */
};

/* POST /v1/keys */
struct spod_http_generate {
	uint8_t alg;                          /* enum spod_alg */
	size_t label_len;                     /* 0: no label */
	char label[SPOD_LABEL_MAX_BYTES + 1]; /* NUL-terminated, charset checked */
};

/* POST /v1/keys/{id}/sign (the key id comes from the path) */
struct spod_http_sign {
	uint8_t mode; /* enum spod_sign_mode */
	size_t data_len;
	uint8_t data[SPOD_MSG_MAX_BYTES]; /* the message, or the 32-byte digest */
};

/* POST /v1/keys/{id}/sign-transaction (the key id comes from the path) */
struct spod_http_sign_tx {
	uint8_t chain; /* SPOD_TX_CHAIN_ETHEREUM or SPOD_TX_CHAIN_SOLANA */
	uint8_t form;  /* enum spod_tx_form: 0 for sign-transaction */
	size_t tx_len; /* 1..SPOD_TX_MAX_BYTES */
	uint8_t tx[SPOD_TX_MAX_BYTES];
};

/*
 * POST /v1/keys/{id}/sign-authorization: an EIP-7702 authorization, as given and as the
 * sign.tx request that signs it.
 */
struct spod_http_sign_auth {
	uint64_t chain_id; /* 0: valid on every chain */
	uint64_t nonce;
	uint8_t address[20];
	char address_text[43]; /* the delegate as given: "0x" and 40 hex digits, NUL */
	struct spod_http_sign_tx
	    tx; /* Ethereum, form AUTHORIZATION, rlp([chain_id, address, nonce]) */
};

/* One item of POST /v1/sign/batch; its data is at data_off in the batch's data area. */
struct spod_http_batch_item {
	uint8_t key_id[SPOD_KEY_ID_BYTES];
	uint8_t mode;
	size_t data_off;
	size_t data_len;
};

/* A sign.batch frame holds the item table (32 bytes each) and all data in one body. */
#define SPOD_HTTP_BATCH_DATA_BYTES (SPOD_BODY_MAX_BYTES - 8u)

/* POST /v1/sign/batch */
struct spod_http_batch {
	size_t count; /* 1..SPOD_BATCH_MAX_ITEMS */
	struct spod_http_batch_item items[SPOD_BATCH_MAX_ITEMS];
	size_t data_len; /* bytes of data used; fits one frame with count items */
	uint8_t data[SPOD_HTTP_BATCH_DATA_BYTES];
};

/* POST /v1/attest */
struct spod_http_attest {
	int has_key_id;
	uint8_t key_id[SPOD_KEY_ID_BYTES];
	size_t nonce_len; /* 0..SPOD_NONCE_MAX_BYTES */
	uint8_t nonce[SPOD_NONCE_MAX_BYTES];
};

/*
 * POST /v1/custodian/shares and POST /v1/keys/import: a provisioning envelope (docs/keys.md),
 * opaque to spod-host: only the enclave can open it.
 */
struct spod_http_envelope {
	size_t len; /* 1..SPOD_ENVELOPE_MAX_WIRE_BYTES */
	uint8_t data[SPOD_ENVELOPE_MAX_WIRE_BYTES];
};

/* {"alg": "ed25519" | "secp256k1" | "p256", "label": optional string or null} */
int spod_http_json_generate(struct spod_http_generate *out, struct spod_http_perr *err,
                            const char *body, size_t len)
    __attribute__((warn_unused_result, nonnull(1, 2)));

/*
 * Exactly one of "message" or "digest"; "encoding": "hex" (default) or "base64" for it;
 * "hash": "none" (default), "sha256" or "keccak256" with a message (modes RAW, SHA256,
 * KECCAK256); no "hash" with a digest (mode DIGEST, exactly 32 bytes). A message holds at
 * most SPOD_MSG_MAX_BYTES.
 */
int spod_http_json_sign(struct spod_http_sign *out, struct spod_http_perr *err, const char *body,
                        size_t len) __attribute__((warn_unused_result, nonnull(1, 2)));

/*
 * {"chain": "ethereum" | "solana", "tx": the unsigned transaction, "encoding": optional}: tx
 * is hex (0x optional) for Ethereum and base64 for Solana unless "encoding" ("hex" or
 * "base64") says otherwise; 1..SPOD_TX_MAX_BYTES bytes.
 */
/*
 * POST /v1/keys/{id}/sign-message: {"message": text} or {"message_hex": hex (0x optional)},
 * exactly one, 1..SPOD_MSG_MAX_BYTES bytes; an EIP-191 personal message (form EIP191).
 */
/*
 * Fills err (code: spod_err_name(rc), message from fmt) and returns rc: how every parser of
 * the HTTP layer refuses a body.
 */
int spod_http_refuse(struct spod_http_perr *err, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), nonnull(1, 3)));

int spod_http_json_sign_message(struct spod_http_sign_tx *out, struct spod_http_perr *err,
                                const char *body, size_t len)
    __attribute__((warn_unused_result, nonnull(1, 2)));

/*
 * POST /v1/keys/{id}/sign-typed-data: the body is eth_signTypedData_v4's JSON, converted to
 * its CBOR form (src/convert/typed_data_json.h; form EIP712). The converter's message names
 * what was wrong.
 */
int spod_http_json_sign_typed(struct spod_http_sign_tx *out, struct spod_http_perr *err,
                              const char *body, size_t len)
    __attribute__((warn_unused_result, nonnull(1, 2)));

/*
 * POST /v1/keys/{id}/sign-authorization (src/host/http/auth_req.c): {"chain_id", "address",
 * "nonce"}, all required. chain_id and nonce are non-negative JSON integers or strings of
 * decimal digits, at most 2^63 - 1 (the answer repeats them as JSON integers); address is
 * "0x" and 40 hex digits, mixed case only with its EIP-55 checksum (convert/eth_auth.h).
 */
int spod_http_json_sign_auth(struct spod_http_sign_auth *out, struct spod_http_perr *err,
                             const char *body, size_t len)
    __attribute__((warn_unused_result, nonnull(1, 2)));

int spod_http_json_sign_tx(struct spod_http_sign_tx *out, struct spod_http_perr *err,
                           const char *body, size_t len)
    __attribute__((warn_unused_result, nonnull(1, 2)));

/*
 * {"items": [1..SPOD_BATCH_MAX_ITEMS objects]}, each a sign body plus "key_id"; all the
 * items' data together must fit one sign.batch frame.
 */
int spod_http_json_batch(struct spod_http_batch *out, struct spod_http_perr *err, const char *body,
                         size_t len) __attribute__((warn_unused_result, nonnull(1, 2)));

/* {"nonce": optional hex, 0..SPOD_NONCE_MAX_BYTES bytes; "key_id": optional key id} */
int spod_http_json_attest(struct spod_http_attest *out, struct spod_http_perr *err,
                          const char *body, size_t len)
    __attribute__((warn_unused_result, nonnull(1, 2)));

/*
 * {"envelope": base64 of 1..SPOD_ENVELOPE_MAX_WIRE_BYTES bytes}, always base64 (no
 * "encoding"). The bytes are not looked into.
 */
int spod_http_json_envelope(struct spod_http_envelope *out, struct spod_http_perr *err,
                            const char *body, size_t len)
    __attribute__((warn_unused_result, nonnull(1, 2)));

/*
 * Parses a key id: exactly 2 * SPOD_KEY_ID_BYTES hex digits of either case, no prefix, in
 * text[0..len). Returns SPOD_OK or SPOD_E_BAD_HEX (id zeroed).
 */
int spod_http_key_id_parse(uint8_t id[SPOD_KEY_ID_BYTES], const char *text, size_t len)
    __attribute__((warn_unused_result, nonnull(1)));

#endif
