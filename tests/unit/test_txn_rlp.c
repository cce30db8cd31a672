/*
 * The strict RLP reader and writer (src/txn/rlp.c): canonical encodings from the yellow
 * paper's appendix B read to the right views, every non-canonical form refused with its
 * code, integer and fixed-size helpers, the nesting cap, and the writers re-encoding what
 * the reader decoded byte for byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/hex.h"
#include "spod/err.h"
#include "txn/rlp.h"

static size_t unhex(uint8_t *out, size_t cap, const char *text)
{
	size_t n;

	assert_int_equal(spod_hex_decode(out, cap, &n, text), SPOD_OK);
	return n;
}

/* Decodes text as exactly one item with spod_rlp_decode and spod_rlp_check: both codes. */
static int decode_hex(const char *text)
{
	uint8_t buf[512];
	struct spod_rlp item;
	size_t n = unhex(buf, sizeof(buf), text);
	int rc = spod_rlp_decode(&item, buf, n);
	int rc_check = spod_rlp_check(buf, n);

	if (rc < 0) {
		assert_null(item.ptr);
		assert_int_equal(item.len, 0);
		assert_int_equal(rc_check, rc);
	}
	return rc < 0 ? rc : rc_check;
}

/* Re-encodes item with the writers, recursing into lists. */
static void reencode(struct spod_rlp_w *w, const struct spod_rlp *item)
{
	struct spod_rlp_iter it;
	struct spod_rlp child;

	if (!item->is_list) {
		assert_int_equal(spod_rlp_put_string(w, item->ptr, item->len), SPOD_OK);
		return;
	}
	assert_int_equal(spod_rlp_put_header(w, 1, item->len), SPOD_OK);
	spod_rlp_iter_init(&it, item);
	while (spod_rlp_end(&it) != SPOD_OK) {
		assert_int_equal(spod_rlp_next(&it, &child), SPOD_OK);
		reencode(w, &child);
	}
}

/* A canonical encoding: accepted, and the writers give back the same bytes. */
static void assert_canonical(const uint8_t *buf, size_t n)
{
	struct spod_rlp item;
	uint8_t out[4096];
	struct spod_rlp_w w = {.p = out, .cap = sizeof(out), .len = 0};

	assert_int_equal(spod_rlp_decode(&item, buf, n), SPOD_OK);
	assert_int_equal(spod_rlp_check(buf, n), SPOD_OK);
	assert_ptr_equal(item.enc, buf);
	assert_int_equal(item.enc_len, n);
	assert_true(item.ptr >= buf && item.len <= n - (size_t)(item.ptr - buf));
	reencode(&w, &item);
	assert_int_equal(w.len, n);
	assert_memory_equal(out, buf, n);
}

static void assert_canonical_hex(const char *text)
{
	uint8_t buf[512];
	size_t n = unhex(buf, sizeof(buf), text);

	assert_canonical(buf, n);
}

/* The examples of the Ethereum wiki's RLP page and the yellow paper. */
static void test_canonical_examples(void **state)
{
	uint8_t buf[1200];
	struct spod_rlp item;

	(void)state;
	assert_canonical_hex("83646f67");           /* "dog" */
	assert_canonical_hex("c88363617483646f67"); /* ["cat", "dog"] */
	assert_canonical_hex("80");                 /* "" */
	assert_canonical_hex("c0");                 /* [] */
	assert_canonical_hex("00");                 /* "\x00" */
	assert_canonical_hex("0f");                 /* 15 */
	assert_canonical_hex("820400");             /* 1024 */
	assert_canonical_hex("c7c0c1c0c3c0c1c0");   /* set-theoretic three */
	assert_canonical_hex("8180");               /* the byte 0x80 needs its header */
	assert_canonical_hex("81ff");

	/* "Lorem ipsum dolor sit amet, consectetur adipisicing elit" (56 bytes, long form). */
	memcpy(buf, "\xb8\x38", 2);
	memcpy(buf + 2, "Lorem ipsum dolor sit amet, consectetur adipisicing elit", 56);
	assert_canonical(buf, 58);
	assert_int_equal(spod_rlp_decode(&item, buf, 58), SPOD_OK);
	assert_int_equal(item.len, 56);
	assert_ptr_equal(item.ptr, buf + 2);
	assert_false(item.is_list);

	/* 55 bytes: the longest short form; 1024 bytes: a two-byte length. */
	buf[0] = 0xb7;
	memset(buf + 1, 'x', 55);
	assert_canonical(buf, 56);
	memcpy(buf, "\xb9\x04\x00", 3);
	memset(buf + 3, 'y', 1024);
	assert_canonical(buf, 1027);

	/* A long list: 20 items of "dog" (80 bytes of payload). */
	memcpy(buf, "\xf8\x50", 2);
	for (size_t i = 0; i < 20; i++)
		memcpy(buf + 2 + 4 * i,
		       "\x83"
		       "dog",
		       4);
	assert_canonical(buf, 82);
}

static void test_non_canonical(void **state)
{
	(void)state;
	/* A single byte below 0x80 wrapped in a header. */
	assert_int_equal(decode_hex("8100"), SPOD_E_BAD_FIELD);
	assert_int_equal(decode_hex("817f"), SPOD_E_BAD_FIELD);
	/* Long form for a length that fits the short form (string and list). */
	assert_int_equal(decode_hex("b80161"), SPOD_E_BAD_FIELD);
	assert_int_equal(decode_hex("b837"
	                            "6161616161616161616161616161616161616161616161616161616161"
	                            "61616161616161616161616161616161616161616161616161616161"),
	                 SPOD_E_BAD_FIELD);
	assert_int_equal(decode_hex("f800"), SPOD_E_BAD_FIELD);
	assert_int_equal(decode_hex("f80180"), SPOD_E_BAD_FIELD);
	/* A long-form length with a leading zero byte. */
	assert_int_equal(decode_hex("b9003861616161616161616161616161616161616161616161616161616161"
	                            "616161616161616161616161616161616161616161616161616161"),
	                 SPOD_E_BAD_FIELD);
	assert_int_equal(decode_hex("f90000"), SPOD_E_BAD_FIELD);
	/* Non-canonical inside a list is found by spod_rlp_check. */
	assert_int_equal(decode_hex("c28100"), SPOD_E_BAD_FIELD);
	assert_int_equal(decode_hex("c4c3c28100"), SPOD_E_BAD_FIELD);
	/* Bytes after the item. */
	assert_int_equal(decode_hex("8080"), SPOD_E_BAD_FIELD);
	assert_int_equal(decode_hex("c000"), SPOD_E_BAD_FIELD);
}

static void test_truncated(void **state)
{
	uint8_t buf[8] = {0};
	struct spod_rlp item;

	(void)state;
	assert_int_equal(spod_rlp_decode(&item, buf, 0), SPOD_E_TRUNCATED);
	assert_int_equal(spod_rlp_check(NULL, 0), SPOD_E_TRUNCATED);
	assert_int_equal(decode_hex("83616263"), SPOD_OK);
	assert_int_equal(decode_hex("836162"), SPOD_E_TRUNCATED);
	assert_int_equal(decode_hex("b8"), SPOD_E_TRUNCATED);
	assert_int_equal(decode_hex("b901"), SPOD_E_TRUNCATED);
	assert_int_equal(decode_hex("bf0100000000000000"), SPOD_E_TRUNCATED);
	assert_int_equal(decode_hex("ffffffffffffffffff"), SPOD_E_TRUNCATED);
	assert_int_equal(decode_hex("c3"), SPOD_E_TRUNCATED);
	/* An item that runs past its list's payload, though not past the buffer. */
	assert_int_equal(decode_hex("c3846162"), SPOD_E_TRUNCATED);
	assert_int_equal(decode_hex("c2c383"), SPOD_E_TRUNCATED);
}

/* SPOD_RLP_MAX_DEPTH lists inside each other are accepted, one more is not. */
static void test_depth(void **state)
{
	uint8_t buf[SPOD_RLP_MAX_DEPTH + 1];

	(void)state;
	for (size_t i = 0; i < SPOD_RLP_MAX_DEPTH; i++)
		buf[i] = (uint8_t)(0xc0 + SPOD_RLP_MAX_DEPTH - 1 - i);
	assert_canonical(buf, SPOD_RLP_MAX_DEPTH);
	for (size_t i = 0; i <= SPOD_RLP_MAX_DEPTH; i++)
		buf[i] = (uint8_t)(0xc0 + SPOD_RLP_MAX_DEPTH - i);
	assert_int_equal(spod_rlp_check(buf, SPOD_RLP_MAX_DEPTH + 1), SPOD_E_TOO_LARGE);
}

static int u64_of(const char *text, uint64_t *v)
{
	uint8_t buf[64];
	struct spod_rlp item;
	size_t n = unhex(buf, sizeof(buf), text);

	assert_int_equal(spod_rlp_decode(&item, buf, n), SPOD_OK);
	return spod_rlp_u64(&item, v);
}

static int u256_of(const char *text, struct spod_u256 *v)
{
	uint8_t buf[64];
	struct spod_rlp item;
	size_t n = unhex(buf, sizeof(buf), text);

	assert_int_equal(spod_rlp_decode(&item, buf, n), SPOD_OK);
	return spod_rlp_u256(&item, v);
}

static void test_integers(void **state)
{
	struct spod_u256 big;
	uint8_t expect[32];
	uint64_t v;

	(void)state;
	assert_int_equal(u64_of("80", &v), SPOD_OK);
	assert_int_equal(v, 0);
	assert_int_equal(u64_of("01", &v), SPOD_OK);
	assert_int_equal(v, 1);
	assert_int_equal(u64_of("7f", &v), SPOD_OK);
	assert_int_equal(v, 127);
	assert_int_equal(u64_of("8180", &v), SPOD_OK);
	assert_int_equal(v, 128);
	assert_int_equal(u64_of("88ffffffffffffffff", &v), SPOD_OK);
	assert_true(v == UINT64_MAX);
	/* Zero as the byte 0x00, and leading zero bytes, are not canonical integers. */
	assert_int_equal(u64_of("00", &v), SPOD_E_BAD_FIELD);
	assert_int_equal(v, 0);
	assert_int_equal(u64_of("820001", &v), SPOD_E_BAD_FIELD);
	assert_int_equal(u64_of("c0", &v), SPOD_E_BAD_FIELD);
	assert_int_equal(u64_of("89010000000000000000", &v), SPOD_E_TOO_LARGE);

	assert_int_equal(
	    u256_of("a0ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", &big),
	    SPOD_OK);
	memset(expect, 0xff, 32);
	assert_memory_equal(big.be, expect, 32);
	assert_int_equal(u256_of("820400", &big), SPOD_OK);
	memset(expect, 0, 32);
	expect[30] = 4;
	assert_memory_equal(big.be, expect, 32);
	assert_int_equal(
	    u256_of("a1010000000000000000000000000000000000000000000000000000000000000000", &big),
	    SPOD_E_TOO_LARGE);
	assert_int_equal(
	    u256_of("a000ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", &big),
	    SPOD_E_BAD_FIELD);
	memset(expect, 0, 32);
	assert_memory_equal(big.be, expect, 32); /* zeroed on failure */
}

static void test_iter_and_fixed(void **state)
{
	uint8_t buf[128];
	struct spod_rlp list, inner;
	struct spod_rlp_iter it;
	struct spod_view v;
	uint64_t n64;
	size_t n;

	(void)state;
	/* [address(20), "", [], 5] */
	n = unhex(buf, sizeof(buf),
	          "d8"
	          "94"
	          "0102030405060708090a0b0c0d0e0f1011121314"
	          "80"
	          "c0"
	          "05");
	assert_int_equal(spod_rlp_decode(&list, buf, n), SPOD_OK);
	assert_int_equal(spod_rlp_count(&n, &list), SPOD_OK);
	assert_int_equal(n, 4);
	spod_rlp_iter_init(&it, &list);
	assert_int_equal(spod_rlp_next_fixed(&it, &v, 20, 0), SPOD_OK);
	assert_ptr_equal(v.ptr, buf + 2);
	assert_int_equal(v.len, 20);
	assert_int_equal(spod_rlp_end(&it), SPOD_E_BAD_FIELD);
	assert_int_equal(spod_rlp_next_fixed(&it, &v, 20, 1), SPOD_OK);
	assert_int_equal(v.len, 0);
	assert_null(v.ptr);
	assert_int_equal(spod_rlp_next_list(&it, &inner), SPOD_OK);
	assert_int_equal(inner.len, 0);
	assert_int_equal(spod_rlp_next_u64(&it, &n64), SPOD_OK);
	assert_int_equal(n64, 5);
	assert_int_equal(spod_rlp_end(&it), SPOD_OK);
	/* Past the end: a missing field. */
	assert_int_equal(spod_rlp_next_u64(&it, &n64), SPOD_E_BAD_FIELD);

	/* Wrong kinds and lengths. */
	spod_rlp_iter_init(&it, &list);
	assert_int_equal(spod_rlp_next_fixed(&it, &v, 19, 0), SPOD_E_BAD_FIELD);
	assert_null(v.ptr);
	assert_int_equal(spod_rlp_next_fixed(&it, &v, 20, 0), SPOD_E_BAD_FIELD); /* "" */
	assert_int_equal(spod_rlp_next_string(&it, &v), SPOD_E_BAD_FIELD);       /* [] */
	assert_int_equal(spod_rlp_next_list(&it, &inner), SPOD_E_BAD_FIELD);     /* 5 */
	assert_int_equal(spod_rlp_count(&n, &inner), SPOD_E_BAD_FIELD);
	n = unhex(buf, sizeof(buf), "80");
	assert_int_equal(spod_rlp_decode(&list, buf, n), SPOD_OK);
	spod_rlp_iter_init(&it, &list); /* a string: an empty cursor */
	assert_int_equal(spod_rlp_end(&it), SPOD_OK);
}

static void test_writer(void **state)
{
	static const size_t lens[] = {0, 1, 55, 56, 255, 256, 1024, 65535, 65536};
	uint8_t out[8];
	uint8_t big[70000];
	struct spod_rlp_w w;
	struct spod_rlp item;
	uint8_t be[32] = {0};

	(void)state;
	assert_int_equal(spod_rlp_header_len(0), 1);
	assert_int_equal(spod_rlp_header_len(55), 1);
	assert_int_equal(spod_rlp_header_len(56), 2);
	assert_int_equal(spod_rlp_header_len(255), 2);
	assert_int_equal(spod_rlp_header_len(256), 3);
	assert_int_equal(spod_rlp_header_len(65536), 4);

	/* Strings of each length, written and read back. */
	memset(big, 'z', sizeof(big));
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		uint8_t enc[65600];
		w = (struct spod_rlp_w){.p = enc, .cap = sizeof(enc), .len = 0};
		assert_int_equal(spod_rlp_put_string(&w, big, lens[i]), SPOD_OK);
		assert_int_equal(w.len, lens[i] == 1 ? 1 : spod_rlp_header_len(lens[i]) + lens[i]);
		assert_int_equal(spod_rlp_decode(&item, enc, w.len), SPOD_OK);
		assert_int_equal(item.len, lens[i]);
		w = (struct spod_rlp_w){.p = enc, .cap = sizeof(enc), .len = 0};
		assert_int_equal(spod_rlp_put_header(&w, 1, lens[i]), SPOD_OK);
		assert_int_equal(enc[0] >= 0xc0, 1);
	}

	/* Integers: leading zeros dropped, zero is the empty string, 0x80 needs a header. */
	w = (struct spod_rlp_w){.p = out, .cap = sizeof(out), .len = 0};
	assert_int_equal(spod_rlp_put_uint_be(&w, be, 32), SPOD_OK);
	assert_int_equal(spod_rlp_put_u64(&w, 0x7f), SPOD_OK);
	assert_int_equal(spod_rlp_put_u64(&w, 0x80), SPOD_OK);
	assert_int_equal(spod_rlp_put_u64(&w, 0x400), SPOD_OK);
	assert_int_equal(w.len, 7);
	assert_memory_equal(out, "\x80\x7f\x81\x80\x82\x04\x00", 7);
	be[31] = 0x80;
	assert_int_equal(spod_rlp_uint_len(be, 32), 2);
	be[31] = 0x7f;
	assert_int_equal(spod_rlp_uint_len(be, 32), 1);

	/* No room: SPOD_E_TOO_LARGE and nothing written. */
	w = (struct spod_rlp_w){.p = out, .cap = 3, .len = 0};
	assert_int_equal(spod_rlp_put_string(&w, (const uint8_t *)"abc", 3), SPOD_E_TOO_LARGE);
	assert_int_equal(w.len, 0);
	assert_int_equal(spod_rlp_put_u64(&w, 0x10000), SPOD_E_TOO_LARGE);
	assert_int_equal(w.len, 0);
	w.len = 3;
	assert_int_equal(spod_rlp_put_header(&w, 1, 0), SPOD_E_TOO_LARGE);
	assert_int_equal(spod_rlp_put_raw(&w, (const uint8_t *)"a", 1), SPOD_E_TOO_LARGE);
	assert_int_equal(w.len, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_canonical_examples),
	    cmocka_unit_test(test_non_canonical),
	    cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_depth),
	    cmocka_unit_test(test_integers),
	    cmocka_unit_test(test_iter_and_fixed),
	    cmocka_unit_test(test_writer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
