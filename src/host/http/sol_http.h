/*
 * The HTTP API's Solana routes (docs/solana.md, docs/openapi.yaml): POST
 * /v1/solana/sign-transaction and POST /v1/solana/sign-message, shaped like Kora's and
 * Coinbase CDP's: the caller names the transaction (or the message and the address), not a
 * key id, and spod-host finds the token's key that signs it. Signing itself is the enclave's
 * sign.tx (transactions, so a key's policy reads the decoded transaction) or raw sign
 * (messages, which a key with a policy signs only when a rule allows raw): no second path.
 *
 * The parsers here are pure like json_req.h's (same rules and errors); the signer choice is
 * spod_http_sol_pick_add, also pure; the exec and reply functions are handlers.c's steps for
 * these two routes.
 */
#ifndef SPOD_HTTP_SOL_HTTP_H
#define SPOD_HTTP_SOL_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "host/http/json_req.h"
#include "spod/client.h"
#include "txn/sol.h"

/* Base58 text of 32 bytes (an address) is at most 44 characters; of 64 bytes, 88. */
#define SPOD_HTTP_SOL_ADDR_TEXT_BYTES 45u
#define SPOD_HTTP_SOL_SIG_TEXT_BYTES  89u

/* POST /v1/solana/sign-transaction */
struct spod_http_sol_tx {
	int has_key_id; /* "key_id" given: that key signs, or the request fails */
	uint8_t key_id[SPOD_KEY_ID_BYTES];
	size_t tx_len; /* 1..SPOD_SOL_TX_MAX_BYTES */
	uint8_t tx[SPOD_SOL_TX_MAX_BYTES];
	size_t sigs_off; /* where the signature slots start in tx */
	size_t msg_off;  /* the message: tx[msg_off..msg_off + msg_len) */
	size_t msg_len;
};

/* POST /v1/solana/sign-message: exactly one of key_id and address */
struct spod_http_sol_msg {
	int has_key_id;
	uint8_t key_id[SPOD_KEY_ID_BYTES];
	int has_address;
	uint8_t address[SPOD_SOL_PUBKEY_BYTES];
	size_t len; /* 1..SPOD_MSG_MAX_BYTES */
	uint8_t msg[SPOD_MSG_MAX_BYTES];
};

/* What either route answers with: the key, its address, the signature. */
struct spod_http_sol_out {
	uint8_t key_id[SPOD_KEY_ID_BYTES];
	uint8_t signer[SPOD_SOL_PUBKEY_BYTES];
	uint8_t sig[SPOD_SOL_SIG_BYTES];
	struct spod_tx_info info; /* sign-transaction: what the enclave decoded */
	size_t len;               /* sign-transaction: the signed transaction */
	uint8_t signed_tx[SPOD_TX_SIGNED_MAX_BYTES];
};

/*
 * {"transaction": base64 of a transaction with its signature slots (all zero while
 * unsigned, as web3.js serializes it with requireAllSignatures false), "key_id": optional}.
 * The transaction must split and its message validate (txn/sol.h); that message is the one
 * the signer is looked for in. Errors as json_req.h's parsers; SPOD_E_TOO_LARGE above
 * SPOD_SOL_TX_MAX_BYTES.
 */
int spod_http_json_sol_tx(struct spod_http_sol_tx *out, struct spod_http_perr *err,
                          const char *body, size_t len)
    __attribute__((warn_unused_result, nonnull(1, 2)));

/*
 * {"message": base64 of 1..SPOD_MSG_MAX_BYTES bytes, and "key_id" or "address" (base58 of an
 * Ed25519 public key)}. Bytes that validate as a Solana message (legacy or v0) or as a
 * whole transaction are refused (BAD_ARG, "looks like a transaction"), as wallets' signMessage
 * refuses them: a signature over them would authorise that transaction.
 */
int spod_http_json_sol_msg(struct spod_http_sol_msg *out, struct spod_http_perr *err,
                           const char *body, size_t len)
    __attribute__((warn_unused_result, nonnull(1, 2)));

/* 1 when bytes[0..len) validate as a Solana message or a whole transaction (txn/sol.h). */
int spod_http_sol_is_tx(const uint8_t *bytes, size_t len) __attribute__((nonnull));

/* The token's keys that are required signers of one message, as key.list pages arrive. */
struct spod_http_sol_pick {
	size_t found;                /* how many so far */
	struct spod_key_info key[2]; /* the first two (only found of them are set) */
};

/*
 * Adds to p the Ed25519 keys among keys[0..n) whose public key is one of the required
 * signers (account keys 0..num_required_signatures-1) of msg[0..msg_len), a message
 * spod_http_json_sol_tx validated. Other algorithms never match.
 */
void spod_http_sol_pick_add(struct spod_http_sol_pick *p, const uint8_t *msg, size_t msg_len,
                            const struct spod_key_info *keys, size_t n) __attribute__((nonnull));

struct spod_http_call;

/*
 * The exec step of each route over c (handlers.h): find the key (key.public for a key_id,
 * key.list pages otherwise: the token needs op list as well as sign), then sign.tx or raw
 * sign, filling call->out.sol. A refusal of spod-host's own choosing (no key of the token
 * signs, several do, the key is not Ed25519) is returned with its message in call->err.
 */
int spod_http_sol_tx_exec(struct spod_http_call *call, struct spod_client *c)
    __attribute__((warn_unused_result, nonnull));
int spod_http_sol_msg_exec(struct spod_http_call *call, struct spod_client *c)
    __attribute__((warn_unused_result, nonnull));

/*
 * The answers: {"transaction": base64 signed, "signer": base58, "signature": base58,
 * "key_id", "summary": as the sign-transaction route's} and {"signature", "signer",
 * "key_id"}. NULL without memory or for an answer that cannot be shown.
 */
json_t *spod_http_sol_tx_object(const struct spod_http_sol_out *out) __attribute__((nonnull));
json_t *spod_http_sol_msg_object(const struct spod_http_sol_out *out) __attribute__((nonnull));

/* base58 of an Ed25519 public key into out[0..SPOD_HTTP_SOL_ADDR_TEXT_BYTES). */
int spod_http_sol_address(char out[SPOD_HTTP_SOL_ADDR_TEXT_BYTES],
                          const uint8_t pub[SPOD_SOL_PUBKEY_BYTES]) __attribute__((nonnull));

#endif
