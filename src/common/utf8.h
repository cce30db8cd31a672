/*
 * Well-formed UTF-8 (RFC 3629 §4): no overlong forms, no surrogates (U+D800..U+DFFF), nothing
 * past U+10FFFF. Written here because neither libcbor nor OpenSSL offers a plain check, and
 * the enclave's CBOR readers (policies, typed data) must refuse malformed text themselves.
 */
#ifndef SPOD_COMMON_UTF8_H
#define SPOD_COMMON_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* 1 when s[0..n) is well-formed UTF-8 (n 0 included), else 0. */
int spod_utf8_valid(const uint8_t *s, size_t n);

#endif
