/*
 * Standard base64 (RFC 4648 section 4, "+/" alphabet, "=" padding) with explicit lengths, for
 * the HTTP API's "encoding": "base64" fields, the attestation document it returns and
 * Solana transactions (spod sign-tx).
 */
#ifndef SPOD_COMMON_B64_H
#define SPOD_COMMON_B64_H

#include <stddef.h>
#include <stdint.h>

/* Characters of the encoding of len bytes, without the NUL. */
static inline size_t spod_b64_len(size_t len)
{
	return (len + 2) / 3 * 4;
}

/*
 * Writes the encoding of in[0..len) and a NUL to out[0..cap). Returns SPOD_OK, or
 * SPOD_E_TOO_LARGE when cap < spod_b64_len(len) + 1 (out untouched).
 */
int spod_b64_encode(char *out, size_t cap, const uint8_t *in, size_t len)
    __attribute__((warn_unused_result, nonnull(1)));

/*
 * Decodes text[0..len) into out[0..cap) and sets *out_len. Strict: the length is a multiple
 * of 4, "=" only as the padding of the last group, no whitespace, and the unused bits of the
 * last character are zero (one text per byte string). Returns SPOD_OK, SPOD_E_BAD_ARG for
 * text that is not such base64, SPOD_E_TOO_LARGE when the bytes would not fit in cap (out
 * untouched). On failure *out_len is 0.
 */
int spod_b64_decode(uint8_t *out, size_t cap, size_t *out_len, const char *text, size_t len)
    __attribute__((warn_unused_result, nonnull(3)));

#endif
