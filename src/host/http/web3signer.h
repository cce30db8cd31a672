/*
 * Web3Signer's eth1 REST shape (docs/ethereum.md), so that Web3Signer clients work against
 * spod-host unchanged: GET /api/v1/eth1/publicKeys lists the secp256k1 keys a token may use,
 * POST /api/v1/eth1/sign/{identifier} signs keccak256(data) with one of them, GET /upcheck
 * says "OK". The identifier is a key's public key as publicKeys lists it, or its Ethereum
 * address. Signing is spod_client_sign in SPOD_MODE_KECCAK256, a raw sign: a key policy that
 * does not allow raw signing refuses it like any other (403 with the rule).
 */
#ifndef SPOD_HTTP_WEB3SIGNER_H
#define SPOD_HTTP_WEB3SIGNER_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "host/http/json_req.h"
#include "host/http/reply.h"
#include "spod/client.h"

#define SPOD_W3S_PUB_BYTES  64u /* X || Y of an uncompressed point, without SEC1's 0x04 */
#define SPOD_W3S_ADDR_BYTES 20u
/* "0x", 128 hex digits, NUL: a public key as publicKeys lists it */
#define SPOD_W3S_PUB_TEXT_BYTES (2u + 2u * SPOD_W3S_PUB_BYTES + 1u)
/* Web3Signer's own answer types (its eth1 OpenAPI document). */
#define SPOD_W3S_TEXT_TYPE "text/plain; charset=utf-8"

enum spod_w3s_kind {
	SPOD_W3S_NONE = 0,
	SPOD_W3S_PUBLIC_KEY, /* 64 bytes: X || Y */
	SPOD_W3S_ADDRESS,    /* 20 bytes: the last 20 of keccak256(X || Y) */
};

/* The {identifier} of POST /api/v1/eth1/sign/{identifier}, decoded. */
struct spod_w3s_ident {
	uint8_t kind; /* enum spod_w3s_kind */
	size_t len;   /* SPOD_W3S_PUB_BYTES or SPOD_W3S_ADDR_BYTES */
	uint8_t bytes[SPOD_W3S_PUB_BYTES];
};

/* What the two eth1 routes got from the pod; lives in the executor's scratch call. */
struct spod_w3s_out {
	json_t *pubs;              /* publicKeys: the array; owned until the reply takes it */
	struct spod_signature sig; /* sign */
	struct spod_key_info page[SPOD_LIST_MAX_ITEMS];
};

/*
 * Parses text[0..len) (not NUL-terminated): an optional "0x" (or "0X") and then 128 hex
 * digits (a public key) or 40 (an address), either case, as Web3Signer compares identifiers
 * lower-cased. Returns SPOD_OK, or SPOD_E_BAD_ARG (out->kind SPOD_W3S_NONE): the caller
 * answers that 404 like an unknown key, as Web3Signer does.
 */
int spod_w3s_ident_parse(struct spod_w3s_ident *out, const char *text, size_t len)
    __attribute__((warn_unused_result, nonnull(1)));

/* 1 when k is a secp256k1 key (65-byte SEC1 point) that id names, else 0. */
int spod_w3s_ident_matches(const struct spod_w3s_ident *id, const struct spod_key_info *k)
    __attribute__((nonnull));

/*
 * Writes k's public key as Web3Signer lists it ("0x" and X || Y in lowercase hex) to out.
 * Returns SPOD_OK, or SPOD_E_BAD_ARG when k is not a secp256k1 key with a 65-byte point.
 */
int spod_w3s_pub_text(char out[SPOD_W3S_PUB_TEXT_BYTES], const struct spod_key_info *k)
    __attribute__((warn_unused_result, nonnull));

/*
 * The sign body, {"data": hex} ("0x" optional, even length, 0..SPOD_MSG_MAX_BYTES bytes;
 * other members ignored, as Web3Signer does), into out with mode SPOD_MODE_KECCAK256.
 * Returns SPOD_OK or SPOD_E_BAD_ARG / SPOD_E_NOMEM with err filled (400).
 */
int spod_w3s_sign_parse(struct spod_http_sign *out, struct spod_http_perr *err, const char *body,
                        size_t len) __attribute__((warn_unused_result, nonnull(1, 2)));

/*
 * GET /api/v1/eth1/publicKeys: every page of the token's key list, keeping the secp256k1
 * keys in out->pubs. Returns SPOD_OK, or the libspod error (out->pubs then NULL).
 */
int spod_w3s_exec_public_keys(struct spod_w3s_out *out, struct spod_client *c)
    __attribute__((warn_unused_result, nonnull));

/*
 * POST /api/v1/eth1/sign/{identifier}: finds the key id names in the token's key list
 * (SPOD_E_KEY_NOT_FOUND, a 404, when none) and signs in->data with it (in->mode). Returns
 * SPOD_OK with out->sig set, or the libspod error.
 */
int spod_w3s_exec_sign(struct spod_w3s_out *out, struct spod_client *c,
                       const struct spod_w3s_ident *id, const struct spod_http_sign *in)
    __attribute__((warn_unused_result, nonnull));

/* 200 with the JSON array of public keys; takes out->pubs. */
void spod_w3s_reply_public_keys(struct spod_http_reply *r, struct spod_w3s_out *out)
    __attribute__((nonnull));

/* 200 text/plain: "0x" and r || s || v in hex, v = 27 + recid (65 bytes). */
void spod_w3s_reply_sign(struct spod_http_reply *r, const struct spod_signature *sig)
    __attribute__((nonnull));

/* GET /upcheck: 200 text/plain "OK". */
void spod_w3s_reply_upcheck(struct spod_http_reply *r) __attribute__((nonnull));

#endif
