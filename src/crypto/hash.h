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

#endif
