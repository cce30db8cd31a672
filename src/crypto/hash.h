/*
 * The two message hashes spod's ECDSA modes use: SHA-256 (libsodium) and Ethereum's
 * Keccak-256. Keccak-256 is the original Keccak submission padding (0x01), not FIPS 202
 * SHA3-256 (0x06); Debian 12's OpenSSL 3.0 and libsodium do not offer it, so keccak.c
 * implements the permutation itself (see its header comment).
 */
#ifndef SPOD_CRYPTO_HASH_H
#define SPOD_CRYPTO_HASH_H

#include <stddef.h>
#include <stdint.h>

void spod_sha256(uint8_t out[32], const uint8_t *in, size_t len);
void spod_keccak256(uint8_t out[32], const uint8_t *in, size_t len);

/*
 * Keccak-256 of a message given in pieces (EIP-191's prefix then the message, EIP-7702's
 * magic byte then the tuple), without copying them together: init, update any number of
 * times, final. The context holds only public data; final leaves it to be initialised again.
 */
struct spod_keccak256_ctx {
	uint64_t st[25];
	uint8_t buf[136];
	size_t n; /* bytes waiting in buf, always < 136 */
};

void spod_keccak256_init(struct spod_keccak256_ctx *ctx) __attribute__((nonnull));
void spod_keccak256_update(struct spod_keccak256_ctx *ctx, const uint8_t *in, size_t len)
    __attribute__((nonnull(1)));
void spod_keccak256_final(struct spod_keccak256_ctx *ctx, uint8_t out[32]) __attribute__((nonnull));

#endif
