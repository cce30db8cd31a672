/*
 * Module-private pieces of the policy engine: the canonical CBOR reader both the policy and
 * its state are read with, and 256-bit arithmetic.
 */
#ifndef SPOD_POLICY_POLICY_INT_H
#define SPOD_POLICY_POLICY_INT_H

#include <stddef.h>
#include <stdint.h>

#include "attest/cbor.h"
#include "policy/policy.h"

/* Map keys of the deterministic form (docs/policy.md, "The CBOR form"). */
enum {
	PK_VERSION = 1,
	PK_RULES = 2,
};
enum {
	RK_ID = 1,
	RK_EFFECT = 2,
	RK_REASON = 3,
	RK_CHAIN = 4,
	RK_KINDS = 5,
	RK_CHAIN_IDS = 6,
	RK_TO = 7,
	RK_TO_DENY = 8,
	RK_CONTRACTS = 9,
	RK_PROGRAMS = 10,
	RK_SELECTORS = 11,
	RK_DELEGATES = 12,
	RK_DOMAINS = 13,
	RK_MAX_VALUE = 14,
	RK_MAX_TOKEN_AMOUNT = 15,
	RK_WINDOW = 16,
	RK_RATE = 17,
	RK_ALLOW_UNKNOWN = 18,
};
enum { DK_NAME = 1, DK_VERSION = 2, DK_CHAIN_ID = 3, DK_CONTRACT = 4 };
enum { TK_TOKEN = 1, TK_AMOUNT = 2 };
enum { WK_TOKEN = 1, WK_LIMIT = 2, WK_SECONDS = 3 };
enum { QK_COUNT = 1, QK_SECONDS = 2 };
enum { SK_VERSION = 1, SK_POLICY = 2, SK_WINDOWS = 3, SK_RATES = 4 };

/* A map key: an unsigned integer greater than *prev (which it then becomes). */
int pol_key(struct spod_cbor_reader *r, uint64_t *prev, uint64_t *key)
    __attribute__((warn_unused_result, nonnull));

/* An amount: a byte string of at most 32 bytes with no leading zero byte. */
int pol_amount(struct spod_cbor_reader *r, struct spod_u256 *out)
    __attribute__((warn_unused_result, nonnull));

/* Writes a as its canonical amount byte string (no leading zero bytes). */
int pol_put_amount(struct spod_cbor_writer *w, const struct spod_u256 *a)
    __attribute__((warn_unused_result, nonnull));

/* 256-bit arithmetic: *out = a + b; returns 0, or -1 on overflow (out unspecified). */
int u256_add(struct spod_u256 *out, const struct spod_u256 *a, const struct spod_u256 *b)
    __attribute__((warn_unused_result, nonnull));
int u256_cmp(const struct spod_u256 *a, const struct spod_u256 *b) __attribute__((nonnull));
int u256_is_zero(const struct spod_u256 *a) __attribute__((nonnull));
void u256_from_u64(struct spod_u256 *out, uint64_t v) __attribute__((nonnull));

/* Bucket width of a window or rate period: ceil(seconds / (SPOD_POLICY_BUCKETS - 1)). */
uint64_t pol_bucket_width(uint64_t seconds);

#endif
