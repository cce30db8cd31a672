/* Base58 (the Bitcoin alphabet Solana uses for addresses) with explicit lengths. */
#ifndef SPOD_CONVERT_BASE58_H
#define SPOD_CONVERT_BASE58_H

#include <stddef.h>
#include <stdint.h>

/*
 * Decodes text[0..len) into exactly n bytes at out (each leading '1' is one leading zero byte).
 * Returns SPOD_OK, or SPOD_E_BAD_FIELD for an empty text, a character outside the alphabet
 * or a value that is not exactly n bytes long (out unspecified).
 */
int spod_base58_decode(uint8_t *out, size_t n, const char *text, size_t len)
    __attribute__((warn_unused_result, nonnull(1, 3)));

/*
 * Writes the base58 text of in[0..len) and a NUL to out[0..cap). len at most 64.
 * Returns SPOD_OK or SPOD_E_TOO_LARGE (cap too small or len over 64; out untouched).
 */
int spod_base58_encode(char *out, size_t cap, const uint8_t *in, size_t len)
    __attribute__((warn_unused_result, nonnull));

#endif
