/* Hex encoding and decoding with explicit lengths. */
#ifndef SPOD_COMMON_HEX_H
#define SPOD_COMMON_HEX_H

#include <stddef.h>
#include <stdint.h>

/*
 * Writes 2*len lowercase hex digits and a NUL to out, which must hold out_cap bytes.
 * Returns SPOD_OK, or SPOD_E_TOO_LARGE when out_cap < 2*len + 1 (out untouched).
 */
int spod_hex_encode(char *out, size_t out_cap, const uint8_t *in, size_t len)
    __attribute__((warn_unused_result));

/*
 * Decodes the NUL-terminated hex text (an optional "0x" prefix is accepted) into out.
 * Writes the byte count to *out_len. Returns SPOD_OK, SPOD_E_BAD_HEX for odd length or a
 * non-hex digit, SPOD_E_TOO_LARGE when the result would exceed out_cap. On failure out's
 * contents are unspecified and *out_len is 0.
 */
int spod_hex_decode(uint8_t *out, size_t out_cap, size_t *out_len, const char *text)
    __attribute__((warn_unused_result));

/*
 * Decodes exactly len hex characters (no prefix, no NUL needed) into out[0..n): SPOD_OK, or
 * SPOD_E_BAD_HEX when len is not 2n or a character is not a hex digit (out unspecified).
 */
int spod_hex_decode_exact(uint8_t *out, size_t n, const char *text, size_t len)
    __attribute__((warn_unused_result));

#endif
