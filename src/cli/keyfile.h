/*
 * Key files a user already has, read for `spod keys import`: the algorithm, the 32-byte
 * secret and the public key it derives to. Four formats (docs/keyfile.md):
 *
 *   hex             64 hex digits (optional 0x, surrounding whitespace); the caller names
 *                   the algorithm, since the file does not
 *   pem             PKCS#8 "PRIVATE KEY" (Ed25519, P-256, secp256k1) or SEC1
 *                   "EC PRIVATE KEY" (P-256, secp256k1), decoded by OpenSSL
 *   eth-keystore    Ethereum keystore v3 (Web3 Secret Storage): scrypt or PBKDF2-HMAC-SHA256,
 *                   AES-128-CTR, Keccak-256 MAC; always secp256k1
 *   solana-keypair  solana-keygen's JSON array of 64 integers: Ed25519 seed || public key
 *
 * Runs in the CLI on the host side, before the secret is encrypted to the enclave's attested
 * key. The secret is decoded straight into locked memory (spod_secmem) and every copy this
 * module makes is wiped on every path; copies OpenSSL makes while decoding PEM are its own and
 * are cleared when OpenSSL frees them. Nothing here prints or logs, and no error message
 * contains key material.
 *
 * Every function needs spod_crypto_init to have been called (public keys are derived through
 * src/crypto/sign.h).
 */
#ifndef SPOD_CLI_KEYFILE_H
#define SPOD_CLI_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

#include "spod/alg.h"
#include "spod/err.h"

/* Larger files are refused before anything is parsed (no key file format comes close). */
#define SPOD_KEYFILE_MAX_BYTES    65536u
#define SPOD_KEYFILE_SECRET_BYTES 32u

/*
 * Hard caps on the key derivation a keystore asks for, so a hostile file cannot exhaust
 * memory or time. geth's default (scrypt n = 2^18, r = 8, p = 1) needs 256 MiB and about a
 * second; these allow four times that.
 *   scrypt: n a power of two in [2, 2^20] and below 2^(16 r) (RFC 7914), r >= 1, p >= 1,
 *           memory 128 r (n + p + 2) bytes <= SPOD_KEYFILE_SCRYPT_MAX_MEM_BYTES,
 *           work n r p <= SPOD_KEYFILE_SCRYPT_MAX_WORK
 *   pbkdf2: 1 <= c <= SPOD_KEYFILE_PBKDF2_MAX_ITER
 */
#define SPOD_KEYFILE_SCRYPT_MAX_N         (UINT64_C(1) << 20)
#define SPOD_KEYFILE_SCRYPT_MAX_MEM_BYTES ((UINT64_C(1) << 30) + (UINT64_C(1) << 20))
#define SPOD_KEYFILE_SCRYPT_MAX_WORK      (UINT64_C(1) << 23)
#define SPOD_KEYFILE_PBKDF2_MAX_ITER      UINT64_C(10000000)

enum spod_keyfile_format {
	SPOD_KEYFILE_AUTO = 0, /* detect (spod_keyfile_detect) */
	SPOD_KEYFILE_HEX = 1,
	SPOD_KEYFILE_PEM = 2,
	SPOD_KEYFILE_ETH_KEYSTORE = 3,
	SPOD_KEYFILE_SOLANA = 4,
};

/* What the file said about the public side of its key, checked against the derived key. */
enum spod_keyfile_claim {
	SPOD_KEYFILE_CLAIM_NONE = 0,        /* nothing (hex; keystore without "address"; PEM) */
	SPOD_KEYFILE_CLAIM_PUBLIC_KEY = 1,  /* the public key itself (solana-keypair) */
	SPOD_KEYFILE_CLAIM_ETH_ADDRESS = 2, /* an Ethereum address (keystore "address") */
};

/*
 * Lower caps for a caller that wants them (the fuzzer keeps derivations tiny). A zero field
 * keeps the default above; a field larger than the default is clamped to it.
 */
struct spod_keyfile_limits {
	uint64_t scrypt_max_n;
	uint64_t scrypt_max_mem_bytes;
	uint64_t scrypt_max_work;
	uint64_t pbkdf2_max_iter;
};

/* How to read a file: all fields may be zero (auto-detect, no algorithm, empty passphrase). */
struct spod_keyfile_opts {
	enum spod_keyfile_format fmt; /* SPOD_KEYFILE_AUTO or the format to insist on */
	uint8_t alg; /* 0 or enum spod_alg: required for hex, else must match the file's */
	const uint8_t *passphrase; /* eth-keystore only (ignored otherwise); may hold NULs */
	size_t passphrase_len;     /* 0 with passphrase NULL: the empty passphrase */
	const struct spod_keyfile_limits *limits; /* NULL: the defaults */
};

/*
 * A key read from a file. One create (spod_keyfile_parse), one destroy (spod_keyfile_free).
 * A zero-filled struct is empty and may be freed.
 */
struct spod_keyfile_secret {
	enum spod_keyfile_format fmt; /* the format that was parsed (never AUTO) */
	uint8_t alg;                  /* enum spod_alg */
	/* SPOD_KEYFILE_SECRET_BYTES of locked memory from spod_secmem_alloc, owned by this struct:
	 * the Ed25519 seed, or the big-endian ECDSA scalar in [1, n). NULL when empty. */
	uint8_t *secret;
	uint8_t pub[SPOD_PUB_MAX_BYTES]; /* the public key the secret derives to */
	size_t pub_len;                  /* 32 (Ed25519) or 65 (uncompressed SEC1, ECDSA) */
	enum spod_keyfile_claim claim;   /* what the file claimed; it matched pub */
};

/* "auto", "hex", "pem", "eth-keystore", "solana-keypair"; NULL for an unknown value. */
const char *spod_keyfile_format_name(enum spod_keyfile_format fmt);

/*
 * Parses a --format value (one of the names above).
 * Returns SPOD_OK, or SPOD_E_BAD_ARG for any other text (*fmt is then SPOD_KEYFILE_AUTO).
 */
int spod_keyfile_format_parse(enum spod_keyfile_format *fmt, const char *name)
    __attribute__((warn_unused_result, nonnull));

/*
 * Decides the format of data[0..len) from its shape alone, without decoding any key, so the
 * caller knows whether to ask for a passphrase. The rules exclude each other:
 *   hex             the whole file, whitespace aside, is 64 hex digits with an optional 0x
 *   eth-keystore    the first non-whitespace byte is '{'
 *   solana-keypair  the first non-whitespace byte is '['
 *   pem             otherwise, if a line starts with "-----BEGIN "
 * Returns SPOD_OK with *fmt set; SPOD_E_TOO_LARGE (len > SPOD_KEYFILE_MAX_BYTES) or
 * SPOD_E_BAD_KEY (none matched), with *fmt = SPOD_KEYFILE_AUTO and *why a static message.
 * On success *why is NULL.
 */
int spod_keyfile_detect(enum spod_keyfile_format *fmt, const uint8_t *data, size_t len,
                        const char **why) __attribute__((warn_unused_result, nonnull(1, 4)));

/*
 * Reads the key in data[0..len) (the file's bytes; no NUL needed) as opts says, into *out.
 * out is overwritten without being freed. The file's claim (Solana public half, keystore
 * address, the public key OpenSSL decodes from a PEM) must match the derived public key.
 * data is only read; for hex, PEM and Solana files it is the secret in clear, so the caller
 * should read the file into memory from spod_secmem_alloc and free (wipe) it after this call.
 *
 * Returns SPOD_OK (out holds the key; release it with spod_keyfile_free) or, with out
 * zero-filled and *why a static one-line message for the user:
 *   SPOD_E_TOO_LARGE      file over SPOD_KEYFILE_MAX_BYTES; keystore KDF parameters over the caps
 *   SPOD_E_BAD_ARG        hex without opts->alg; opts->alg not the file's algorithm; an
 *                         encrypted PEM (the message says how to decrypt it); bad opts
 *   SPOD_E_BAD_KEY        malformed file; scalar zero or not below the group order; a claim
 *                         that does not match the key
 *   SPOD_E_UNKNOWN_ALG    a PEM key of another type or curve (RSA, P-384, ...); a keystore
 *                         cipher, KDF or PRF other than aes-128-ctr, scrypt, hmac-sha256
 *   SPOD_E_BAD_SIGNATURE  keystore MAC mismatch: wrong passphrase or corrupted keystore
 *   SPOD_E_NOMEM, SPOD_E_CRYPTO
 * On success *why is NULL.
 */
int spod_keyfile_parse(struct spod_keyfile_secret *out, const uint8_t *data, size_t len,
                       const struct spod_keyfile_opts *opts, const char **why)
    __attribute__((warn_unused_result, nonnull(1, 4, 5)));

/* Wipes and frees the secret and zero-fills *kf. Safe on an empty struct. */
void spod_keyfile_free(struct spod_keyfile_secret *kf) __attribute__((nonnull));

#endif
