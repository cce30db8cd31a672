/*
 * Provisioning envelopes (docs/keys.md, "Provisioning"): how a custodian's share or a key to
 * import reaches the enclave through spod-host, which must learn nothing from it and be able
 * to change nothing in it. The sender first verifies an attestation document (its own fresh
 * nonce, the expected PCR0) and encrypts to the X25519 provisioning public key that document
 * carries: a key the enclave made at boot, holds only in locked memory and uses for nothing
 * else. So only that one enclave boot can open the envelope.
 *
 * Construction (RFC 9180's HPKE is not in Debian 12's OpenSSL 3.0; this is its base mode in
 * spirit, on the same primitives): a fresh X25519 key pair per envelope; the shared secret
 * X25519(eph, enclave) goes through HKDF-SHA256 (OpenSSL) with salt "spod provisioning v1"
 * and info = purpose || enclave public key || ephemeral public key into a 32-byte key for
 * XChaCha20-Poly1305 (libsodium). The associated data is the whole header below, so the
 * purpose and the attestation nonce are bound: an envelope made for a share cannot be used
 * as an import, and the enclave refuses one whose nonce it never attested or already used.
 *
 * Layout (version 1):
 *   0   4  magic "SPPE"
 *   4   1  version (1)
 *   5   1  purpose (enum spod_envelope_purpose)
 *   6   2  doc_nonce_len, little-endian: 1..SPOD_ENVELOPE_NONCE_MAX_BYTES
 *   8  32  the sender's ephemeral X25519 public key
 *  40  24  AEAD nonce (random)
 *  64   n  doc nonce: the nonce of the attestation document the sender verified
 *  64+n .  ciphertext: the payload, then a 16-byte tag; payload 1..SPOD_ENVELOPE_PAYLOAD_MAX
 */
#ifndef SPOD_CRYPTO_ENVELOPE_H
#define SPOD_CRYPTO_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "spod/alg.h"

#define SPOD_ENVELOPE_VERSION         1u
#define SPOD_ENVELOPE_FIXED_BYTES     64u
#define SPOD_ENVELOPE_TAG_BYTES       16u
#define SPOD_ENVELOPE_NONCE_MAX_BYTES 512u  /* = the attestation nonce limit */
#define SPOD_ENVELOPE_PAYLOAD_MAX     2048u /* a share with 32 commitments fits */
#define SPOD_ENVELOPE_MAX_BYTES                                                                    \
	(SPOD_ENVELOPE_FIXED_BYTES + SPOD_ENVELOPE_NONCE_MAX_BYTES + SPOD_ENVELOPE_PAYLOAD_MAX +   \
	 SPOD_ENVELOPE_TAG_BYTES)
#define SPOD_X25519_BYTES 32u

enum spod_envelope_purpose {
	SPOD_PURPOSE_SHARE = 1,  /* a custodian's share of the seal key (crypto/share.h) */
	SPOD_PURPOSE_IMPORT = 2, /* a private key to import (spod_import_payload_*) */
};

/* A validated envelope: views into the caller's buffer, valid while it is. */
struct spod_envelope_view {
	uint8_t purpose;
	const uint8_t *sender_pub; /* SPOD_X25519_BYTES */
	const uint8_t *nonce;      /* 24 bytes */
	const uint8_t *doc_nonce;
	uint32_t doc_nonce_len;
	const uint8_t *ciphertext; /* payload || tag */
	uint32_t ciphertext_len;
	const uint8_t *bytes; /* the whole envelope: the associated data is its first ad_len */
	uint32_t ad_len;
};

/*
 * Validates buf[0..len) once (magic, version, purpose, lengths; nothing is decrypted).
 * Returns SPOD_OK, or SPOD_E_BAD_FIELD with *why naming the fault; *v zeroed on failure.
 */
int spod_envelope_parse(struct spod_envelope_view *v, const char **why, const uint8_t *buf,
                        size_t len) __attribute__((warn_unused_result, nonnull));

/*
 * Sender side: encrypts payload[0..payload_len) for purpose to enclave_pub, binding
 * doc_nonce, into out[0..cap); *out_len gets the envelope's length. The ephemeral secret and
 * the derived key live in locked memory and are wiped before returning.
 * Returns SPOD_OK, SPOD_E_BAD_ARG (a length out of range, unknown purpose),
 * SPOD_E_TOO_LARGE (cap short), SPOD_E_BAD_KEY (enclave_pub is a low-order point) or
 * SPOD_E_CRYPTO / SPOD_E_NOMEM.
 */
int spod_envelope_seal(uint8_t *out, size_t cap, size_t *out_len, uint8_t purpose,
                       const uint8_t enclave_pub[SPOD_X25519_BYTES], const uint8_t *doc_nonce,
                       size_t doc_nonce_len, const uint8_t *payload, size_t payload_len)
    __attribute__((warn_unused_result, nonnull));

/*
 * Enclave side: opens a validated envelope with the provisioning key pair into payload
 * (caller's locked memory, cap bytes); *payload_len gets its length.
 * Returns SPOD_OK; SPOD_E_BAD_FIELD with *why when it does not authenticate (another
 * enclave's or boot's key, tampered, truncated) or cap is short; SPOD_E_CRYPTO / NOMEM.
 * payload is wiped on failure.
 */
int spod_envelope_open(uint8_t *payload, size_t cap, size_t *payload_len, const char **why,
                       const struct spod_envelope_view *v,
                       const uint8_t enclave_secret[SPOD_X25519_BYTES],
                       const uint8_t enclave_pub[SPOD_X25519_BYTES])
    __attribute__((warn_unused_result, nonnull));

/*
 * The payload of an import envelope (version 1):
 *   0 1 version (1) | 1 1 alg | 2 1 label_len (0..128) | 3 1 reserved (0) | 4 32 secret |
 *   36 label_len label
 * The secret is an Ed25519 seed or an ECDSA scalar, big-endian.
 */
#define SPOD_IMPORT_PAYLOAD_FIXED 36u
#define SPOD_IMPORT_PAYLOAD_MAX   (SPOD_IMPORT_PAYLOAD_FIXED + SPOD_LABEL_MAX_BYTES)

struct spod_import_view {
	uint8_t alg;
	const uint8_t *secret; /* 32 bytes, inside the caller's (locked) payload buffer */
	const char *label;     /* NULL when label_len is 0; not NUL-terminated */
	uint32_t label_len;
};

/* Writes an import payload to out (SPOD_IMPORT_PAYLOAD_MAX bytes); SPOD_OK or SPOD_E_BAD_ARG. */
int spod_import_payload_encode(uint8_t out[SPOD_IMPORT_PAYLOAD_MAX], size_t *out_len, uint8_t alg,
                               const uint8_t secret[32], const char *label, size_t label_len)
    __attribute__((warn_unused_result, nonnull(1, 2, 4)));

/* Validates an import payload; SPOD_OK or SPOD_E_BAD_FIELD with *why. *v zeroed on failure. */
int spod_import_payload_parse(struct spod_import_view *v, const char **why, const uint8_t *buf,
                              size_t len) __attribute__((warn_unused_result, nonnull));

#endif
