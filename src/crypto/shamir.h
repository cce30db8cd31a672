/*
 * Shamir's secret sharing of the 32-byte seal key, and the digests that name a seal key and
 * commit to its shares (docs/keys.md).
 *
 * The scheme is standard Shamir over GF(2^8) with the reduction polynomial
 * x^8 + x^4 + x^3 + x^2 + 1 (0x11d), byte by byte: byte j of share x is f_j(x), where f_j is
 * a polynomial of degree k - 1 with f_j(0) = byte j of the secret and random other
 * coefficients. The arithmetic is libgfshare's (Debian's libgfshare 2.0.0); nothing here
 * computes in the field itself. Its gfsplit and gfcombine tools read and write the same
 * shares, one file per share named FILE.NNN with NNN the x-coordinate.
 *
 * Memory: the secret, the shares and the rebuilt secret are the caller's buffers, which
 * should come from spod_secmem_alloc. libgfshare copies the secret and the polynomial (or the
 * shares) into a context on the ordinary heap for the length of one call; gfshare_ctx_free
 * overwrites that context with random bytes before freeing it. Every buffer this module hands
 * libgfshare is locked and wiped on every path.
 *
 * libgfshare's random source (its global gfshare_fill_rand, NULL until set) is pointed at
 * libsodium's randombytes_buf once, before the first split or combine; no caller needs to set
 * it. Thread-safe: no function here keeps state between calls.
 */
#ifndef SPOD_CRYPTO_SHAMIR_H
#define SPOD_CRYPTO_SHAMIR_H

#include <stddef.h>
#include <stdint.h>

#include "spod/err.h"

#define SPOD_SEAL_KEY_BYTES     32u
#define SPOD_SEAL_KEY_ID_BYTES  16u
#define SPOD_SHARE_BYTES        32u /* one share of a seal key: as long as the key */
#define SPOD_SHARE_COMMIT_BYTES 32u
/* Most shares a seal key is split into; the threshold k is 1..n. */
#define SPOD_SHARES_MAX 32u

/*
 * The seal key's public name: the first 16 bytes of
 * SHA-256("spod seal key id v1" || 0x00 || seal_key). Safe to print, log and store.
 */
void spod_seal_key_id(uint8_t id[static SPOD_SEAL_KEY_ID_BYTES],
                      const uint8_t seal_key[static SPOD_SEAL_KEY_BYTES]);

/*
 * Splits secret into n shares, any k of which rebuild it and any k - 1 of which say nothing
 * about it. Share i (0-based) is shares[32 i .. 32 i + 32) and has the x-coordinate i + 1.
 * shares holds n * SPOD_SHARE_BYTES bytes, the caller's (locked) memory. With k = 1 every
 * share is the secret itself.
 * Returns SPOD_OK; SPOD_E_BAD_ARG (not 1 <= k <= n <= SPOD_SHARES_MAX; shares untouched);
 * SPOD_E_NOMEM or SPOD_E_CRYPTO (libsodium failed to initialise), with shares zero-filled.
 */
int spod_shamir_split(uint8_t *shares, const uint8_t secret[static SPOD_SEAL_KEY_BYTES], unsigned k,
                      unsigned n) __attribute__((warn_unused_result, nonnull));

/*
 * Rebuilds the secret from k shares: shares[32 j .. 32 j + 32) is the share whose
 * x-coordinate is xs[j]. The x-coordinates must be distinct and non-zero (1..255: any
 * standard Shamir share over this field, such as gfsplit's, is accepted; spod's own are
 * 1..n). k must be at least the threshold the shares were made with, and at most
 * SPOD_SHARES_MAX; with fewer shares, or a wrong one, the result is a different 32 bytes that
 * nothing here can tell from the secret: compare spod_seal_key_id of the result with the
 * expected id (spod_share_set_rebuild does).
 * Returns SPOD_OK, SPOD_E_BAD_ARG (k = 0 or over SPOD_SHARES_MAX, an x-coordinate 0 or
 * repeated), SPOD_E_NOMEM or SPOD_E_CRYPTO; on failure secret is zero-filled.
 */
int spod_shamir_combine(uint8_t secret[static SPOD_SEAL_KEY_BYTES], const uint8_t *xs,
                        const uint8_t *shares, unsigned k)
    __attribute__((warn_unused_result, nonnull));

/*
 * The commitment to one share: SHA-256("spod share commitment v1" || 0x00 || seal_key_id ||
 * k || n || index || share), with k, n and index one byte each. Every share file and share
 * payload carries the commitments of all n shares of its set, so the enclave can tell which
 * share is wrong, not only that the rebuilt key is. Not secret: a share is 32 bytes of
 * entropy, so its commitment reveals nothing that could be searched for.
 */
void spod_share_commitment(uint8_t out[static SPOD_SHARE_COMMIT_BYTES],
                           const uint8_t seal_key_id[static SPOD_SEAL_KEY_ID_BYTES], uint8_t index,
                           uint8_t k, uint8_t n, const uint8_t share[static SPOD_SHARE_BYTES]);

#endif
