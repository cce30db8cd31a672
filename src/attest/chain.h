/*
 * Certificate checks of a parsed attestation document: the pinned root, the leaf, and the
 * chain leaf -> cabundle[n-1] -> ... -> cabundle[1] -> root. Private to src/attest.
 */
#ifndef SPOD_ATTEST_CHAIN_H
#define SPOD_ATTEST_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "spod/attest.h"

/*
 * Loads the trust anchor: root (DER or PEM) when root.ptr is set, else the embedded AWS
 * Nitro Enclaves Root G1, whose SHA-256 fingerprint is checked before use.
 * Returns SPOD_OK with *out (caller frees), SPOD_E_BAD_ARG or SPOD_E_NOMEM/SPOD_E_CRYPTO.
 */
int spod_attest_load_root(X509 **out, struct spod_bytes root)
    __attribute__((warn_unused_result, nonnull(1)));

/* Parses exactly der[0..len) as one certificate (no trailing bytes). NULL on failure. */
X509 *spod_attest_x509(const uint8_t *der, size_t len);

/*
 * Verifies d's chain to root at time `at` (Unix seconds). On failure sets *status
 * (BAD_CHAIN, CERT_EXPIRED, CERT_NOT_YET_VALID or INTERNAL) and writes a one-line reason
 * to msg[0..cap). Returns SPOD_OK, SPOD_E_BAD_SIGNATURE or SPOD_E_NOMEM.
 */
int spod_attest_check_chain(enum spod_attest_status *status, char *msg, size_t cap,
                            const struct spod_attest_doc *d, X509 *leaf, X509 *root, uint64_t at)
    __attribute__((warn_unused_result, nonnull));

#endif
