/*
 * COSE_Sign1 with ES384 (RFC 8152 §4.4): the Sig_structure both sides hash, and the
 * conversions between COSE's raw r || s signature and the DER form OpenSSL speaks.
 * Private to src/attest.
 */
#ifndef SPOD_ATTEST_COSE_H
#define SPOD_ATTEST_COSE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

/* The protected header every Nitro document carries: bstr contents {1: -35}. */
#define SPOD_COSE_PROTECTED_ES384       "\xa1\x01\x38\x22"
#define SPOD_COSE_PROTECTED_ES384_BYTES 4u
/* COSE algorithm id of ES384, as a CBOR negative integer's n (-1 - n = -35). */
#define SPOD_COSE_ALG_ES384_N 34u
/* Raw P-384 signature: r || s, 48 bytes each. */
#define SPOD_COSE_ES384_SCALAR_BYTES 48u
#define SPOD_COSE_ES384_SIG_BYTES    96u

/* Verifies sig (raw r || s) over Sig_structure ["Signature1", protected, h'', payload]
 * with pub (EC P-384). Returns SPOD_OK, SPOD_E_BAD_SIGNATURE or SPOD_E_CRYPTO. */
int spod_cose_es384_verify(EVP_PKEY *pub, const uint8_t *protected_hdr, size_t protected_len,
                           const uint8_t *payload, size_t payload_len,
                           const uint8_t sig[SPOD_COSE_ES384_SIG_BYTES])
    __attribute__((warn_unused_result, nonnull(1, 2, 6)));

/* Signs the same Sig_structure with key (EC P-384) and writes raw r || s to sig.
 * Returns SPOD_OK, SPOD_E_BAD_ARG (key not P-384) or SPOD_E_CRYPTO. */
int spod_cose_es384_sign(uint8_t sig[SPOD_COSE_ES384_SIG_BYTES], EVP_PKEY *key,
                         const uint8_t *protected_hdr, size_t protected_len, const uint8_t *payload,
                         size_t payload_len) __attribute__((warn_unused_result, nonnull(1, 2, 3)));

/* True when key is an EC key on P-384 (secp384r1). */
int spod_cose_is_p384(EVP_PKEY *key) __attribute__((nonnull));

/*
 * Wraps payload[0..payload_len) (a complete CBOR item) into an untagged COSE_Sign1 signed
 * with key and writes it to out[0..cap). Returns SPOD_OK with *out_len, SPOD_E_TOO_LARGE,
 * SPOD_E_BAD_ARG or SPOD_E_CRYPTO. build.c's last step; the tests use it to sign payloads
 * the builder would refuse to produce.
 */
int spod_cose_sign1_es384(uint8_t *out, size_t cap, size_t *out_len, const uint8_t *payload,
                          size_t payload_len, EVP_PKEY *key)
    __attribute__((warn_unused_result, nonnull(1, 3, 4, 6)));

#endif
