/*
 * What every layer shares about keys: algorithm and sign-mode ids with their fixed sizes, key
 * ids and labels. The wire format, the crypto layer, the store and every front use these. Below
 * everything else (include/spod and src/common), so the crypto layer needs nothing from the wire
 * format.
 */
#ifndef SPOD_ALG_H
#define SPOD_ALG_H

#include <stddef.h>
#include <stdint.h>

#include "spod/err.h"

#define SPOD_DIGEST_BYTES    32u   /* a message digest signed by ECDSA (SHA-256, Keccak-256) */
#define SPOD_SIG_MAX_BYTES   64u   /* Ed25519 R||S, ECDSA r||s */
#define SPOD_PUB_MAX_BYTES   65u   /* uncompressed SEC1 point; Ed25519 keys are 32 bytes */
#define SPOD_RECID_NONE      0xffu /* no recovery id (every algorithm but secp256k1) */
#define SPOD_KEY_ID_BYTES    16u   /* a key's id: random, chosen by the enclave */
#define SPOD_LABEL_MAX_BYTES 128u  /* key label: 1..128 of A-Z a-z 0-9 . _ - */

enum spod_alg {
	SPOD_ALG_ED25519 = 1,
	SPOD_ALG_SECP256K1 = 2,
	SPOD_ALG_P256 = 3,
};

enum spod_sign_mode {
	SPOD_MODE_RAW = 0,       /* sign the message itself (Ed25519 only, RFC 8032) */
	SPOD_MODE_DIGEST = 1,    /* data is a caller-supplied 32-byte digest (ECDSA only) */
	SPOD_MODE_SHA256 = 2,    /* enclave hashes the message with SHA-256 (ECDSA only) */
	SPOD_MODE_KECCAK256 = 3, /* enclave hashes with Ethereum's Keccak-256 (ECDSA only) */
};

/* 1 if alg is a defined spod_alg, else 0. */
int spod_alg_valid(uint32_t alg);

/* "ed25519", "secp256k1", "p256"; NULL for unknown ids. */
const char *spod_alg_name(uint32_t alg);

/* Parses an algorithm name; returns SPOD_OK or SPOD_E_UNKNOWN_ALG (*alg = 0). */
int spod_alg_parse(uint8_t *alg, const char *name) __attribute__((warn_unused_result, nonnull));

/* Length of the public key encoding for alg (32 for Ed25519, 65 uncompressed SEC1 else; 0 for
 * an unknown alg). */
size_t spod_alg_pub_len(uint32_t alg);

/* Returns SPOD_OK if mode may be used with alg, SPOD_E_UNKNOWN_ALG or SPOD_E_BAD_MODE. */
int spod_mode_check(uint32_t alg, uint32_t mode) __attribute__((warn_unused_result));

/* "raw", "digest", "sha256", "keccak256"; NULL for unknown modes. */
const char *spod_mode_name(uint32_t mode);

/* 1 when label[0..len) is a valid key label (1..SPOD_LABEL_MAX_BYTES of A-Z a-z 0-9 . _ -). */
int spod_label_valid(const char *label, size_t len);

#endif
