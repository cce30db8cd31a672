/*
 * Sealed key blobs (docs/keys.md, "Sealed blobs"): a private key encrypted inside the enclave
 * under the seal key, for spod-host to store and hand back after a restart. The host can
 * keep, lose, reorder or replay blobs, never read or alter one: XChaCha20-Poly1305
 * (libsodium) authenticates, as associated data, the format version, the key id, algorithm,

 * public key and label, and the id of the seal key (spod_seal_key_id, crypto/shamir.h), so a blob
 cannot be passed off as another
 * key's or be opened under another seal key.
 *
 * Layout (version 1: a key without a policy), all of it associated data except the ciphertext:
 *   0   4  magic "SPSB"
 *   4   1  version (1)
 *   5   1  alg (SPOD_ALG_*)
 *   6   1  pub_len (32 for Ed25519, 65 for ECDSA: spod_alg_pub_len(alg))
 *   7   1  label_len (0..SPOD_SEAL_LABEL_MAX_BYTES)
 *   8  16  key id
 *  24  16  seal key id
 *  40  24  nonce (random)
 *  64   .  public key (pub_len), then label (label_len)
 *   .  48  ciphertext: the 32-byte secret (Ed25519 seed or ECDSA scalar) and a 16-byte tag
 * A blob is exactly 64 + pub_len + label_len + 48 bytes; anything else is refused.
 *
 * Version 2 (a key with its policy, docs/policy.md) is version 1 with, after the nonce,
 *  64   4  policy_len (LE, 1..SPOD_SEAL_POLICY_MAX_BYTES)
 *  68   4  state_len (LE, 0..SPOD_SEAL_STATE_MAX_BYTES; 0: the policy's windows are empty)
 *  72  32  admin set hash (policy/approval.h; all zero: set without approvals, ephemeral mode)
 * 104   .  public key, label, the policy's CBOR (policy_len), the policy's window and rate
 *          state (state_len, spod_policy_state_encode), then the ciphertext.
 * The policy and state are associated data: readable by the host, but changing a byte of
 * them, or the admin set hash, makes the blob fail to open.
 */
#ifndef SPOD_CRYPTO_SEAL_H
#define SPOD_CRYPTO_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/shamir.h"
#include "crypto/sign.h"

#define SPOD_SEAL_LABEL_MAX_BYTES  128u
#define SPOD_SEAL_VERSION          1u
#define SPOD_SEAL_VERSION_POLICY   2u
#define SPOD_SEAL_FIXED_BYTES      64u
#define SPOD_SEAL_V2_FIXED_BYTES   104u
#define SPOD_SEAL_POLICY_MAX_BYTES 65536u
#define SPOD_SEAL_STATE_MAX_BYTES  49472u /* = SPOD_POLICY_STATE_MAX_BYTES (policy/policy.h) */
#define SPOD_SEAL_CT_BYTES         48u    /* 32-byte secret + 16-byte tag */
#define SPOD_SEAL_MAX_BYTES                                                                        \
	(SPOD_SEAL_FIXED_BYTES + SPOD_PUB_MAX_BYTES + SPOD_SEAL_LABEL_MAX_BYTES +                  \
	 SPOD_SEAL_CT_BYTES)
#define SPOD_SEAL_V2_MAX_BYTES                                                                     \
	(SPOD_SEAL_V2_FIXED_BYTES + SPOD_PUB_MAX_BYTES + SPOD_SEAL_LABEL_MAX_BYTES +               \
	 SPOD_SEAL_POLICY_MAX_BYTES + SPOD_SEAL_STATE_MAX_BYTES + SPOD_SEAL_CT_BYTES)

/* What a version 2 blob binds besides the key: NULL or policy_len 0 in spod_seal_policy: v1. */
struct spod_seal_policy {
	const uint8_t *cbor;
	size_t len;                /* 1..SPOD_SEAL_POLICY_MAX_BYTES */
	const uint8_t *admin_hash; /* 32 bytes */
	const uint8_t *state;      /* the policy's state, or NULL with state_len 0 */
	size_t state_len;          /* 0..SPOD_SEAL_STATE_MAX_BYTES */
};

/* A validated blob: every pointer views the caller's buffer (valid while it is). */
struct spod_blob_view {
	uint8_t alg;
	const uint8_t *key_id;      /* 16 bytes */
	const uint8_t *seal_key_id; /* SPOD_SEAL_KEY_ID_BYTES */
	const uint8_t *pub;
	uint32_t pub_len;
	const char *label; /* not NUL-terminated; NULL when label_len is 0 */
	uint32_t label_len;
	const uint8_t *nonce;      /* 24 bytes */
	const uint8_t *ciphertext; /* SPOD_SEAL_CT_BYTES */
	const uint8_t *blob; /* the whole blob: the associated data is its first ad_len bytes */
	uint32_t ad_len;
	uint8_t version;       /* 1, or 2 with a policy */
	const uint8_t *policy; /* version 2: the policy's CBOR (not validated here); else NULL */
	uint32_t policy_len;
	const uint8_t *admin_hash; /* version 2: 32 bytes; else NULL */
	const uint8_t *state;      /* version 2: the policy's state (not validated), or NULL */
	uint32_t state_len;
};

/*
 * Validates blob[0..len) once and fills *v with views into it. Checks: magic, version, a
 * defined alg whose public key length is pub_len, label length and charset, and that len is
 * exactly what the header declares. Nothing is decrypted.
 * Returns SPOD_OK, or SPOD_E_BAD_BLOB with *why a static message naming the fault; *v is
 * zeroed on failure.
 */
int spod_blob_parse(struct spod_blob_view *v, const char **why, const uint8_t *blob, size_t len)
    __attribute__((warn_unused_result, nonnull));

/*
 * Seals sk (its 32-byte secret) with the given public key, key id and label into
 * out[0..cap) and sets *out_len. label may be NULL when label_len is 0.
 * Returns SPOD_OK, SPOD_E_TOO_LARGE (cap short), SPOD_E_BAD_ARG (label or pub length out of
 * range) or SPOD_E_CRYPTO. Nothing secret is left on the stack.
 */
int spod_seal(uint8_t *out, size_t cap, size_t *out_len,
              const uint8_t seal_key[SPOD_SEAL_KEY_BYTES],
              const uint8_t seal_key_id[SPOD_SEAL_KEY_ID_BYTES], const struct spod_secret_key *sk,
              const uint8_t key_id[SPOD_KEY_ID_BYTES], const uint8_t *pub, size_t pub_len,
              const char *label, size_t label_len)
    __attribute__((warn_unused_result, nonnull(1, 3, 4, 5, 6, 7, 8)));

/* The same, binding pol (NULL or pol->len 0: a version 1 blob, as spod_seal). */
int spod_seal_with_policy(uint8_t *out, size_t cap, size_t *out_len,
                          const uint8_t seal_key[SPOD_SEAL_KEY_BYTES],
                          const uint8_t seal_key_id[SPOD_SEAL_KEY_ID_BYTES],
                          const struct spod_secret_key *sk, const uint8_t key_id[SPOD_KEY_ID_BYTES],
                          const uint8_t *pub, size_t pub_len, const char *label, size_t label_len,
                          const struct spod_seal_policy *pol)
    __attribute__((warn_unused_result, nonnull(1, 3, 4, 5, 6, 7, 8)));

/*
 * Decrypts a validated blob's secret into secret (32 bytes of the caller's locked memory)
 * without making a key of it. Returns SPOD_OK, SPOD_E_WRONG_SEAL_KEY or SPOD_E_BAD_BLOB (it
 * does not authenticate) with *why; secret is wiped on failure.
 */
int spod_blob_open(uint8_t secret[32], const char **why, const struct spod_blob_view *v,
                   const uint8_t seal_key[SPOD_SEAL_KEY_BYTES],
                   const uint8_t seal_key_id[SPOD_SEAL_KEY_ID_BYTES])
    __attribute__((warn_unused_result, nonnull));

/*
 * Opens a validated blob under seal_key into *sk (which must live in secure memory and hold
 * no key) and checks that the secret derives exactly the public key the blob names.
 * Returns SPOD_OK; SPOD_E_WRONG_SEAL_KEY when the blob names another seal key id;
 * SPOD_E_BAD_BLOB with *why when authentication fails (tampered, swapped or truncated) or
 * the secret does not give the blob's public key; SPOD_E_CRYPTO. sk is wiped on failure.
 */
int spod_unseal(struct spod_secret_key *sk, const char **why, const struct spod_blob_view *v,
                const uint8_t seal_key[SPOD_SEAL_KEY_BYTES],
                const uint8_t seal_key_id[SPOD_SEAL_KEY_ID_BYTES])
    __attribute__((warn_unused_result, nonnull));

#endif
