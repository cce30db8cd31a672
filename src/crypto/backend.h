/*
 * The per-algorithm halves of sign.c, private to src/crypto. Each works on digests and
 * fixed-size buffers that sign.c has already checked; none of them allocates a
 * struct spod_secret_key or touches the keystore.
 *
 * A *_load function turns the 32-byte secret already in sk->secret into a usable key and
 * writes its public key. It returns SPOD_OK, SPOD_E_BAD_KEY (scalar zero or >= n) or
 * SPOD_E_CRYPTO, and on failure leaves no cached objects in sk (sign.c wipes the rest).
 */
#ifndef SPOD_CRYPTO_BACKEND_H
#define SPOD_CRYPTO_BACKEND_H

#include <stdint.h>

#include <openssl/evp.h>

#include "crypto/sign.h"

#define SPOD_EC_PUB_BYTES    65u
#define SPOD_EC_SCALAR_BYTES 32u

/* secp256k1 (secp256k1.c). init creates and randomises the process-wide context. */
int spod_k1_init(void) __attribute__((warn_unused_result));
void spod_k1_cleanup(void);
int spod_k1_load(struct spod_secret_key *sk, uint8_t pub[SPOD_EC_PUB_BYTES])
    __attribute__((warn_unused_result, nonnull));
/* Returns SPOD_OK or SPOD_E_CRYPTO. */
int spod_k1_sign(uint8_t sig[64], uint8_t *recid, const struct spod_secret_key *sk,
                 const uint8_t digest[SPOD_DIGEST_BYTES])
    __attribute__((warn_unused_result, nonnull));
/* Returns SPOD_OK, SPOD_E_BAD_KEY or SPOD_E_BAD_SIGNATURE. */
int spod_k1_verify(const uint8_t pub[SPOD_EC_PUB_BYTES], const uint8_t digest[SPOD_DIGEST_BYTES],
                   const uint8_t sig[64]) __attribute__((warn_unused_result, nonnull));

/* P-256 (p256.c). load caches the EVP_PKEY and a signing EVP_PKEY_CTX in sk. */
int spod_p256_load(struct spod_secret_key *sk, uint8_t pub[SPOD_EC_PUB_BYTES])
    __attribute__((warn_unused_result, nonnull));
/* Frees the cached OpenSSL objects (OpenSSL clears the private scalar). */
void spod_p256_release(struct spod_secret_key *sk) __attribute__((nonnull));
/* Returns SPOD_OK or SPOD_E_CRYPTO. */
int spod_p256_sign(uint8_t sig[64], const struct spod_secret_key *sk,
                   const uint8_t digest[SPOD_DIGEST_BYTES])
    __attribute__((warn_unused_result, nonnull));
/* Returns SPOD_OK, SPOD_E_BAD_KEY, SPOD_E_BAD_SIGNATURE or SPOD_E_CRYPTO. */
int spod_p256_verify(const uint8_t pub[SPOD_EC_PUB_BYTES], const uint8_t digest[SPOD_DIGEST_BYTES],
                     const uint8_t sig[64]) __attribute__((warn_unused_result, nonnull));

/*
 * Public EC key for OpenSSL from an uncompressed SEC1 point on curve group ("prime256v1",
 * "secp256k1"); OpenSSL checks that the point is on the curve.
 * Returns SPOD_OK with *out owned by the caller, SPOD_E_BAD_KEY or SPOD_E_CRYPTO.
 */
int spod_ossl_ec_public(EVP_PKEY **out, const char *group, const uint8_t pub[SPOD_EC_PUB_BYTES])
    __attribute__((warn_unused_result, nonnull));

#endif
