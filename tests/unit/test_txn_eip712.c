/*
 * EIP-712 typed data: the host's JSON converter (src/convert/typed_data_json.c) and the
 * enclave's CBOR decoder and hasher (src/txn/eip712.c) against independent results:
 *   - the Mail example of the EIP-712 text, to its published domain separator, hashStruct
 *     and digest;
 *   - every vector of tests/data/ethereum/eip712.txt (ethers v6 TypedDataEncoder; see its
 *     README): the three hashes and the summary's domain fields, and the converter's CBOR
 *     byte for byte against tests/fuzz/make_eip712_corpus.py's independent Python encoding;
 * then CBOR the decoder must refuse, each with its code (missing and extra members, unknown
 * types, out-of-range and non-minimal integers, wrong lengths, non-canonical heads, type
 * cycles, nesting past the depth cap, caps), and JSON the converter must refuse with a
 * message naming the path.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "attest/cbor.h"
#include "common/hex.h"
#include "convert/typed_data_json.h"
#include "spod/err.h"
#include "txn/eip712.h"

#define VECTORS   SPOD_TEST_DATA "/ethereum/eip712.txt"
#define MAX_BYTES 8192

static const char mail_json[] =
    "{\"types\":{\"EIP712Domain\":[{\"name\":\"name\",\"type\":\"string\"},"
    "{\"name\":\"version\",\"type\":\"string\"},{\"name\":\"chainId\",\"type\":\"uint256\"},"
    "{\"name\":\"verifyingContract\",\"type\":\"address\"}],"
    "\"Person\":[{\"name\":\"name\",\"type\":\"string\"},{\"name\":\"wallet\",\"type\":"
    "\"address\"}],"
    "\"Mail\":[{\"name\":\"from\",\"type\":\"Person\"},{\"name\":\"to\",\"type\":\"Person\"},"
    "{\"name\":\"contents\",\"type\":\"string\"}]},"
    "\"primaryType\":\"Mail\","
    "\"domain\":{\"name\":\"Ether Mail\",\"version\":\"1\",\"chainId\":1,"
    "\"verifyingContract\":\"0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC\"},"
    "\"message\":{\"from\":{\"name\":\"Cow\",\"wallet\":"
    "\"0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826\"},"
    "\"to\":{\"name\":\"Bob\",\"wallet\":\"0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB\"},"
    "\"contents\":\"Hello, Bob!\"}}";

static void assert_hex32(const uint8_t got[32], const char *want)
{
	uint8_t w[32];
	assert_int_equal(spod_hex_decode_exact(w, 32, want, 64), SPOD_OK);
	assert_memory_equal(got, w, 32);
}

static void assert_view_text(const struct spod_view *v, const char *want)
{
	if (strcmp(want, "-") == 0) {
		assert_int_equal(v->len, 0);
		return;
	}
	assert_int_equal(v->len, strlen(want));
	assert_memory_equal(v->ptr, want, v->len);
}

static size_t convert_ok(uint8_t *out, const char *json)
{
	char err[SPOD_TYPED_DATA_JSON_ERR_BYTES];
	size_t n = 0;
	int rc =
	    spod_typed_data_from_json(out, MAX_BYTES, &n, json, strlen(json), err, sizeof(err));
	if (rc != SPOD_OK)
		fail_msg("convert: %s (%s)", spod_err_name(rc), err);
	assert_true(n > 0);
	return n;
}

static void test_mail_example(void **state)
{
	(void)state;
	uint8_t cbor[MAX_BYTES], ds[32], mh[32];
	struct spod_tx_summary s;
	size_t n = convert_ok(cbor, mail_json);

	assert_int_equal(spod_txn_eip712_decode_parts(cbor, n, &s, ds, mh), SPOD_OK);
	assert_hex32(ds, "f2cee375fa42b42143804025fc449deafd50cc031ca257e0b194a650a912090f");
	assert_hex32(mh, "c52c0ee5d84264471806290a3f2c4cecfc5490626bf912d01f240d7a274b371e");
	assert_hex32(s.digest, "be609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2");
	assert_int_equal(s.chain, SPOD_CHAIN_ETHEREUM);
	assert_int_equal(s.kind, SPOD_TX_ETH_EIP712);
	assert_int_equal(s.chain_id, 1);
	assert_view_text(&s.domain_name, "Ether Mail");
	assert_view_text(&s.domain_version, "1");
	assert_int_equal(s.domain_contract.len, 20);
	for (size_t i = 0; i < 20; i++)
		assert_int_equal(s.domain_contract.ptr[i], 0xcc);
	/* views point into the input */
	assert_true(s.domain_name.ptr >= cbor && s.domain_name.ptr + s.domain_name.len <= cbor + n);

	/* the 3-argument form gives the same digest */
	struct spod_tx_summary s2;
	assert_int_equal(spod_txn_eip712_decode(cbor, n, &s2), SPOD_OK);
	assert_memory_equal(s2.digest, s.digest, 32);

	/* JSON key order does not matter: members are written in declared order */
	static const char reordered[] =
	    "{\"message\":{\"contents\":\"Hello, Bob!\",\"to\":{\"wallet\":"
	    "\"0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\",\"name\":\"Bob\"},"
	    "\"from\":{\"wallet\":\"0xCD2A3D9F938E13CD947EC05ABC7FE734DF8DD826\",\"name\":\"Cow\"}}"
	    ","
	    "\"domain\":{\"verifyingContract\":\"0xcccccccccccccccccccccccccccccccccccccccc\","
	    "\"chainId\":\"0x1\",\"version\":\"1\",\"name\":\"Ether Mail\"},"
	    "\"primaryType\":\"Mail\",\"types\":{\"Mail\":[{\"name\":\"from\",\"type\":"
	    "\"Person\"},{\"name\":\"to\",\"type\":\"Person\"},{\"name\":\"contents\","
	    "\"type\":\"string\"}],\"Person\":[{\"name\":\"name\",\"type\":\"string\"},"
	    "{\"name\":\"wallet\",\"type\":\"address\"}]}}";
	uint8_t again[MAX_BYTES];
	assert_int_equal(convert_ok(again, reordered), n);
	assert_memory_equal(again, cbor, n);

	/* every proper prefix is truncated, one more byte is trailing */
	for (size_t k = 0; k < n; k++)
		assert_int_equal(spod_txn_eip712_decode(cbor, k, &s2), SPOD_E_TRUNCATED);
	cbor[n] = 0;
	assert_int_equal(spod_txn_eip712_decode(cbor, n + 1, &s2), SPOD_E_BAD_FIELD);
	/* a failure zeroes the summary */
	assert_int_equal(s2.kind, 0);
	assert_int_equal(s2.domain_name.len, 0);
}

static void test_ethers_vectors(void **state)
{
	(void)state;
	FILE *f = fopen(VECTORS, "r");
	assert_non_null(f);
	char *line = NULL;
	size_t cap = 0, count = 0;
	ssize_t got;
	static uint8_t cbor[MAX_BYTES];
	uint8_t ds[32], mh[32];
	struct spod_tx_summary s;
	size_t n = 0;
	char name[128] = "";

	while ((got = getline(&line, &cap, f)) > 0) {
		if (line[got - 1] == '\n')
			line[--got] = '\0';
		if (line[0] == '#' || got == 0)
			continue;
		char *sp = strchr(line, ' ');
		const char *val = sp ? sp + 1 : "";
		if (sp)
			*sp = '\0';
		if (strcmp(line, "name") == 0) {
			snprintf(name, sizeof(name), "%s", val);
		} else if (strcmp(line, "json") == 0) {
			n = convert_ok(cbor, val);
			char path[512];
			static uint8_t py[MAX_BYTES];
			snprintf(path, sizeof(path), "%s/eip712/%s.cbor", SPOD_FUZZ_CORPUS, name);
			FILE *pf = fopen(path, "rb");
			if (!pf)
				fail_msg("%s: no seed %s", name, path);
			size_t pn = fread(py, 1, sizeof(py), pf);
			fclose(pf);
			assert_int_equal(pn, n);
			assert_memory_equal(py, cbor, n);
			int rc = spod_txn_eip712_decode_parts(cbor, n, &s, ds, mh);
			if (rc != SPOD_OK)
				fail_msg("%s: decode %s", name, spod_err_name(rc));
		} else if (strcmp(line, "primary") == 0) {
			/* the converter keeps the JSON's primaryType; checked through the hashes */
		} else if (strcmp(line, "domain_separator") == 0) {
			assert_hex32(ds, val);
		} else if (strcmp(line, "message_hash") == 0) {
			assert_hex32(mh, val);
		} else if (strcmp(line, "hash") == 0) {
			assert_hex32(s.digest, val);
		} else if (strcmp(line, "chain_id") == 0) {
			assert_int_equal(s.chain_id, strtoull(val, NULL, 10));
		} else if (strcmp(line, "domain_name") == 0) {
			assert_view_text(&s.domain_name, val);
		} else if (strcmp(line, "domain_version") == 0) {
			assert_view_text(&s.domain_version, val);
		} else if (strcmp(line, "domain_contract") == 0) {
			uint8_t a[20];
			if (strcmp(val, "-") == 0) {
				assert_int_equal(s.domain_contract.len, 0);
			} else {
				assert_int_equal(spod_hex_decode_exact(a, 20, val, 40), SPOD_OK);
				assert_int_equal(s.domain_contract.len, 20);
				assert_memory_equal(s.domain_contract.ptr, a, 20);
			}
		} else if (strcmp(line, "end") == 0) {
			count++;
		} else {
			fail_msg("unknown field %s", line);
		}
	}
	free(line);
	fclose(f);
	assert_int_equal(count, 10);
}

/* A CBOR builder for hand-made typed data. */
struct b {
	struct spod_cbor_writer w;
	uint8_t buf[MAX_BYTES];
};

static void b_init(struct b *b)
{
	spod_cbor_writer_init(&b->w, b->buf, sizeof(b->buf));
}
static void b_head(struct b *b, enum spod_cbor_major mt, uint64_t n)
{
	assert_int_equal(spod_cbor_put_head(&b->w, mt, n), SPOD_OK);
}
static void b_text(struct b *b, const char *s)
{
	assert_int_equal(spod_cbor_put_str(&b->w, SPOD_CBOR_MT_TSTR, s, strlen(s)), SPOD_OK);
}
static void b_bytes(struct b *b, const void *p, size_t n)
{
	assert_int_equal(spod_cbor_put_str(&b->w, SPOD_CBOR_MT_BSTR, p, n), SPOD_OK);
}
static void b_arr(struct b *b, uint64_t n)
{
	b_head(b, SPOD_CBOR_MT_ARRAY, n);
}
static void b_member(struct b *b, const char *name, const char *type)
{
	b_arr(b, 2);
	b_text(b, name);
	b_text(b, type);
}

/*
 * Typed data with EIP712Domain {name string, chainId uint256} and n_types further types whose
 * members the caller writes after each name (via the callback's index); then primaryType "T",
 * domain ["D", chainId 1] and the caller's message. Here: a prefix up to and including the
 * types array head, the domain type and the next type's name.
 */
static void b_start(struct b *b, uint64_t n_types)
{
	b_init(b);
	b_head(b, SPOD_CBOR_MT_MAP, 4);
	b_head(b, SPOD_CBOR_MT_UINT, 1);
	b_arr(b, 1 + n_types);
	b_arr(b, 2);
	b_text(b, "EIP712Domain");
	b_arr(b, 2);
	b_member(b, "name", "string");
	b_member(b, "chainId", "uint256");
}
static void b_type(struct b *b, const char *name, uint64_t n_members)
{
	b_arr(b, 2);
	b_text(b, name);
	b_arr(b, n_members);
}
static void b_mid(struct b *b, const char *primary)
{
	static const uint8_t one = 1;
	b_head(b, SPOD_CBOR_MT_UINT, 2);
	b_text(b, primary);
	b_head(b, SPOD_CBOR_MT_UINT, 3);
	b_arr(b, 2);
	b_text(b, "D");
	b_bytes(b, &one, 1);
	b_head(b, SPOD_CBOR_MT_UINT, 4);
}
static int b_decode(struct b *b)
{
	struct spod_tx_summary s;
	return spod_txn_eip712_decode(b->buf, b->w.len, &s);
}

/* T {uint8 a, bytes4 f, int16 i}, with the values given as raw byte strings. */
static int one_struct(const void *a, size_t an, const void *f, size_t fn, const void *i, size_t in,
                      uint64_t n_values)
{
	struct b b;
	b_start(&b, 1);
	b_type(&b, "T", 3);
	b_member(&b, "a", "uint8");
	b_member(&b, "f", "bytes4");
	b_member(&b, "i", "int16");
	b_mid(&b, "T");
	b_arr(&b, n_values);
	if (n_values > 0)
		b_bytes(&b, a, an);
	if (n_values > 1)
		b_bytes(&b, f, fn);
	if (n_values > 2)
		b_bytes(&b, i, in);
	if (n_values > 3)
		b_bytes(&b, i, in);
	return b_decode(&b);
}

static void test_values(void **state)
{
	(void)state;
	static const uint8_t x[] = {0x01, 0x02, 0x03, 0x04, 0x05}, ff[] = {0xff, 0x80},
	                     z[] = {0x00}, n7f[] = {0x00, 0x7f}, n80[] = {0x00, 0x80};

	assert_int_equal(one_struct(x, 1, x, 4, x, 2, 3), SPOD_OK);
	assert_int_equal(one_struct(x, 0, x, 4, x, 0, 3), SPOD_OK); /* zeros: empty */
	/* missing member, extra member */
	assert_int_equal(one_struct(x, 1, x, 4, x, 2, 2), SPOD_E_BAD_FIELD);
	assert_int_equal(one_struct(x, 1, x, 4, x, 2, 4), SPOD_E_BAD_FIELD);
	/* uint8: 256 is too wide, a leading zero byte is not minimal */
	assert_int_equal(one_struct(x, 2, x, 4, x, 2, 3), SPOD_E_TOO_LARGE);
	assert_int_equal(one_struct(z, 1, x, 4, x, 2, 3), SPOD_E_BAD_FIELD);
	/* bytes4 of 3 and 5 bytes */
	assert_int_equal(one_struct(x, 1, x, 3, x, 2, 3), SPOD_E_BAD_FIELD);
	assert_int_equal(one_struct(x, 1, x, 5, x, 2, 3), SPOD_E_BAD_FIELD);
	/* int16: 3 bytes too wide; 0x00 alone, 00 7f and ff 80 not minimal; 00 80 (128) fine */
	assert_int_equal(one_struct(x, 1, x, 4, x, 3, 3), SPOD_E_TOO_LARGE);
	assert_int_equal(one_struct(x, 1, x, 4, z, 1, 3), SPOD_E_BAD_FIELD);
	assert_int_equal(one_struct(x, 1, x, 4, n7f, 2, 3), SPOD_E_BAD_FIELD);
	assert_int_equal(one_struct(x, 1, x, 4, ff, 2, 3), SPOD_E_BAD_FIELD);
	assert_int_equal(one_struct(x, 1, x, 4, n80, 2, 3), SPOD_OK);
}

static void test_types(void **state)
{
	(void)state;
	struct b b;

	/* an unknown member type */
	b_start(&b, 1);
	b_type(&b, "T", 1);
	b_member(&b, "p", "Persn");
	b_mid(&b, "T");
	b_arr(&b, 1);
	b_arr(&b, 0);
	assert_int_equal(b_decode(&b), SPOD_E_BAD_FIELD);

	/* a cycle A -> B -> A (ethers refuses it too) */
	b_start(&b, 2);
	b_type(&b, "A", 1);
	b_member(&b, "b", "B");
	b_type(&b, "B", 1);
	b_member(&b, "a", "A[]");
	b_mid(&b, "B");
	b_arr(&b, 1);
	b_arr(&b, 0);
	assert_int_equal(b_decode(&b), SPOD_E_BAD_FIELD);

	/* types out of order ("B" before "A"), and a duplicate member name */
	b_start(&b, 2);
	b_type(&b, "B", 0);
	b_type(&b, "A", 0);
	b_mid(&b, "A");
	b_arr(&b, 0);
	assert_int_equal(b_decode(&b), SPOD_E_BAD_FIELD);
	b_start(&b, 1);
	b_type(&b, "T", 2);
	b_member(&b, "x", "bool");
	b_member(&b, "x", "bool");
	b_mid(&b, "T");
	b_arr(&b, 2);
	b_head(&b, SPOD_CBOR_MT_UINT, 0); /* never reached */
	assert_int_equal(b_decode(&b), SPOD_E_BAD_FIELD);

	/* primaryType EIP712Domain, or not a type */
	b_start(&b, 1);
	b_type(&b, "T", 0);
	b_mid(&b, "EIP712Domain");
	b_arr(&b, 0);
	assert_int_equal(b_decode(&b), SPOD_E_BAD_FIELD);
	b_start(&b, 1);
	b_type(&b, "T", 0);
	b_mid(&b, "U");
	b_arr(&b, 0);
	assert_int_equal(b_decode(&b), SPOD_E_BAD_FIELD);

	/* an empty struct is fine, and is the smallest valid form */
	b_start(&b, 1);
	b_type(&b, "T", 0);
	b_mid(&b, "T");
	b_arr(&b, 0);
	assert_int_equal(b_decode(&b), SPOD_OK);

	/* a type name that is not an identifier, one that is an atomic type */
	b_start(&b, 1);
	b_type(&b, "T x", 0);
	b_mid(&b, "T x");
	b_arr(&b, 0);
	assert_int_equal(b_decode(&b), SPOD_E_BAD_FIELD);
	b_start(&b, 1);
	b_type(&b, "uint8", 0);
	b_mid(&b, "uint8");
	b_arr(&b, 0);
	assert_int_equal(b_decode(&b), SPOD_E_BAD_FIELD);

	/* malformed array suffixes and atomic widths */
	static const char *const bad[] = {"uint8[",   "uint8]",     "uint8[01]", "uint8[0]",
	                                  "uint7",    "uint264",    "bytes33",   "int08",
	                                  "uint8[x]", "uint8[4097]"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		b_start(&b, 1);
		b_type(&b, "T", 1);
		b_member(&b, "m", bad[i]);
		b_mid(&b, "T");
		b_arr(&b, 1);
		b_arr(&b, 0);
		if (b_decode(&b) != SPOD_E_BAD_FIELD)
			fail_msg("member type %s accepted", bad[i]);
	}
}

static void test_domain(void **state)
{
	(void)state;
	struct b b;
	static const uint8_t big[9] = {1, 0, 0, 0, 0, 0, 0, 0, 0};

	/* EIP712Domain members out of order or with another type */
	b_init(&b);
	b_head(&b, SPOD_CBOR_MT_MAP, 4);
	b_head(&b, SPOD_CBOR_MT_UINT, 1);
	b_arr(&b, 2);
	b_arr(&b, 2);
	b_text(&b, "EIP712Domain");
	b_arr(&b, 2);
	b_member(&b, "chainId", "uint256");
	b_member(&b, "name", "string");
	b_type(&b, "T", 0);
	b_mid(&b, "T");
	assert_int_equal(b_decode(&b), SPOD_E_BAD_FIELD);

	b_init(&b);
	b_head(&b, SPOD_CBOR_MT_MAP, 4);
	b_head(&b, SPOD_CBOR_MT_UINT, 1);
	b_arr(&b, 2);
	b_arr(&b, 2);
	b_text(&b, "EIP712Domain");
	b_arr(&b, 1);
	b_member(&b, "chainId", "uint64");
	b_type(&b, "T", 0);
	assert_int_equal(b_decode(&b), SPOD_E_BAD_FIELD);

	/* chainId above 2^64 - 1 */
	b_start(&b, 1);
	b_type(&b, "T", 0);
	b_head(&b, SPOD_CBOR_MT_UINT, 2);
	b_text(&b, "T");
	b_head(&b, SPOD_CBOR_MT_UINT, 3);
	b_arr(&b, 2);
	b_text(&b, "D");
	b_bytes(&b, big, 9);
	b_head(&b, SPOD_CBOR_MT_UINT, 4);
	b_arr(&b, 0);
	assert_int_equal(b_decode(&b), SPOD_E_TOO_LARGE);

	/* a domain string that is not UTF-8 */
	b_start(&b, 1);
	b_type(&b, "T", 0);
	b_head(&b, SPOD_CBOR_MT_UINT, 2);
	b_text(&b, "T");
	b_head(&b, SPOD_CBOR_MT_UINT, 3);
	b_arr(&b, 2);
	assert_int_equal(spod_cbor_put_str(&b.w, SPOD_CBOR_MT_TSTR, "\xc0\xaf", 2), SPOD_OK);
	b_bytes(&b, big, 1);
	b_head(&b, SPOD_CBOR_MT_UINT, 4);
	b_arr(&b, 0);
	assert_int_equal(b_decode(&b), SPOD_E_BAD_FIELD);
}

static void test_noncanonical(void **state)
{
	(void)state;
	uint8_t cbor[MAX_BYTES], bad[MAX_BYTES + 8];
	struct spod_tx_summary s;
	size_t n = convert_ok(cbor, mail_json);

	/* the map head 0xa4 spelled 0xb8 0x04 */
	assert_int_equal(cbor[0], 0xa4);
	bad[0] = 0xb8;
	bad[1] = 0x04;
	memcpy(bad + 2, cbor + 1, n - 1);
	assert_int_equal(spod_txn_eip712_decode(bad, n + 1, &s), SPOD_E_BAD_FIELD);
	/* key 1 spelled 0x18 0x01 */
	bad[0] = 0xa4;
	bad[1] = 0x18;
	bad[2] = 0x01;
	memcpy(bad + 3, cbor + 2, n - 2);
	assert_int_equal(spod_txn_eip712_decode(bad, n + 1, &s), SPOD_E_BAD_FIELD);
	/* an indefinite-length map */
	memcpy(bad, cbor, n);
	bad[0] = 0xbf;
	bad[n] = 0xff;
	assert_int_equal(spod_txn_eip712_decode(bad, n + 1, &s), SPOD_E_BAD_FIELD);
	/* a tagged map */
	bad[0] = 0xd8;
	bad[1] = 0x18;
	memcpy(bad + 2, cbor, n);
	assert_int_equal(spod_txn_eip712_decode(bad, n + 2, &s), SPOD_E_BAD_FIELD);
	/* keys out of order: key 1 read as 2 */
	memcpy(bad, cbor, n);
	bad[1] = 0x02;
	assert_int_equal(spod_txn_eip712_decode(bad, n, &s), SPOD_E_BAD_FIELD);
}

static void test_depth_and_caps(void **state)
{
	(void)state;
	struct b b;
	char type[64] = "bool";

	/* bool[]...[] nested 16 deep is fine, 17 deep is too deep */
	for (unsigned dims = 16; dims <= 17; dims++) {
		strcpy(type, "bool");
		for (unsigned i = 0; i < dims; i++)
			strcat(type, "[]");
		b_start(&b, 1);
		b_type(&b, "T", 1);
		b_member(&b, "m", type);
		b_mid(&b, "T");
		b_arr(&b, 1);
		for (unsigned i = 0; i < dims; i++)
			b_arr(&b, 1);
		assert_int_equal(spod_cbor_put_raw(&b.w, "\xf5", 1), SPOD_OK);
		assert_int_equal(b_decode(&b), dims == 16 ? SPOD_OK : SPOD_E_TOO_LARGE);
	}

	/* more types, more members than the caps */
	b_start(&b, SPOD_EIP712_MAX_TYPES);
	assert_int_equal(b_decode(&b), SPOD_E_TOO_LARGE);
	b_start(&b, 1);
	b_type(&b, "T", SPOD_EIP712_MAX_MEMBERS + 1);
	assert_int_equal(b_decode(&b), SPOD_E_TOO_LARGE);

	/* more values than SPOD_EIP712_MAX_NODES (a bool[] of that many) */
	b_start(&b, 1);
	b_type(&b, "T", 1);
	b_member(&b, "m", "bool[]");
	b_mid(&b, "T");
	b_arr(&b, 1);
	b_arr(&b, SPOD_EIP712_MAX_NODES);
	for (unsigned i = 0; i < SPOD_EIP712_MAX_NODES; i++)
		assert_int_equal(spod_cbor_put_raw(&b.w, "\xf4", 1), SPOD_OK);
	assert_int_equal(b_decode(&b), SPOD_E_TOO_LARGE);

	/* a fixed array of the wrong length */
	b_start(&b, 1);
	b_type(&b, "T", 1);
	b_member(&b, "m", "bool[2]");
	b_mid(&b, "T");
	b_arr(&b, 1);
	b_arr(&b, 3);
	assert_int_equal(spod_cbor_put_raw(&b.w, "\xf4\xf4\xf4", 3), SPOD_OK);
	assert_int_equal(b_decode(&b), SPOD_E_BAD_FIELD);
}

/* The converter refuses with a message naming the path. */
static void expect_json_error(const char *json, int code, const char *msg)
{
	uint8_t out[MAX_BYTES];
	char err[SPOD_TYPED_DATA_JSON_ERR_BYTES];
	size_t n = 99;
	int rc =
	    spod_typed_data_from_json(out, sizeof(out), &n, json, strlen(json), err, sizeof(err));
	if (rc != code || strstr(err, msg) == NULL)
		fail_msg("%s: got %s \"%s\", want %s \"%s\"", json, spod_err_name(rc), err,
		         spod_err_name(code), msg);
	assert_int_equal(n, 0);
}

#define TYPES_T(members)                                                                           \
	"{\"types\":{\"T\":[" members "]},\"primaryType\":\"T\",\"domain\":{\"chainId\":1},"

static void test_json_errors(void **state)
{
	(void)state;
	char buf[4096];

	/* the Mail example with a broken wallet, a missing and an extra member */
	snprintf(buf, sizeof(buf), "%s", mail_json);
	char *w = strstr(buf, "0xbBbB");
	w[5] = 'z';
	expect_json_error(buf, SPOD_E_BAD_FIELD, "message.to.wallet: not an address");
	snprintf(buf, sizeof(buf), "%s", mail_json);
	w = strstr(buf, "\"contents\":\"Hello");
	memcpy(w, "\"content\" ", 10);
	expect_json_error(buf, SPOD_E_BAD_FIELD, "message.content: not a member of Mail");
	expect_json_error(TYPES_T("{\"name\":\"a\",\"type\":\"uint8\"},{\"name\":\"b\",\"type\":"
	                          "\"bool\"}") "\"message\":{\"a\":1}}",
	                  SPOD_E_BAD_FIELD, "message.b: missing");
	expect_json_error(TYPES_T("{\"name\":\"a\",\"type\":\"uint8\"}") "\"message\":{\"a\":256}}",
	                  SPOD_E_TOO_LARGE, "message.a: out of range for uint8");
	expect_json_error(TYPES_T("{\"name\":\"a\",\"type\":\"uint8\"}") "\"message\":{\"a\":-1}}",
	                  SPOD_E_TOO_LARGE, "message.a: negative value for uint8");
	expect_json_error(
	    TYPES_T("{\"name\":\"a\",\"type\":\"int8\"}") "\"message\":{\"a\":\"-129\"}}",
	    SPOD_E_TOO_LARGE, "message.a: out of range for int8");
	expect_json_error(
	    TYPES_T("{\"name\":\"a\",\"type\":\"int8\"}") "\"message\":{\"a\":\"0x80\"}}",
	    SPOD_E_TOO_LARGE, "message.a: out of range for int8");
	expect_json_error(
	    TYPES_T("{\"name\":\"a\",\"type\":\"uint256\"}") "\"message\":{\"a\":\"0x1"
	                                                     "0000000000000000000000000000000000000"
	                                                     "000000000000000000000000000\"}}",
	    SPOD_E_TOO_LARGE, "message.a: integer above 2^256");
	expect_json_error(TYPES_T("{\"name\":\"a\",\"type\":\"uint8\"}") "\"message\":{\"a\":1.5}}",
	                  SPOD_E_BAD_FIELD, "message.a: not an integer");
	expect_json_error(
	    TYPES_T("{\"name\":\"a\",\"type\":\"bytes4\"}") "\"message\":{\"a\":\"0x01\"}}",
	    SPOD_E_BAD_FIELD, "message.a: not bytesN (1 bytes, not 4)");
	expect_json_error(
	    TYPES_T("{\"name\":\"a\",\"type\":\"bool[2]\"}") "\"message\":{\"a\":[true]}}",
	    SPOD_E_BAD_FIELD, "message.a: 1 elements, not 2");
	expect_json_error(
	    TYPES_T("{\"name\":\"a\",\"type\":\"bool[]\"}") "\"message\":{\"a\":[true,1]}}",
	    SPOD_E_BAD_FIELD, "message.a[1]: not a boolean");
	expect_json_error(TYPES_T("{\"name\":\"a\",\"type\":\"Nope\"}") "\"message\":{\"a\":{}}}",
	                  SPOD_E_BAD_FIELD, "message.a: unknown type Nope");
	expect_json_error(
	    TYPES_T("{\"name\":\"a\",\"type\":\"address\"}") "\"message\":{\"a\":"
	                                                     "\"0xCD2a3d9F938E13CD947Ec05AbC7FE734D"
	                                                     "f8DD827\"}}",
	    SPOD_E_BAD_FIELD, "message.a: address has a wrong EIP-55 checksum");
	expect_json_error("{\"types\":{\"T\":[]},\"primaryType\":\"T\",\"domain\":{\"chain\":1},"
	                  "\"message\":{}}",
	                  SPOD_E_BAD_FIELD, "domain.chain: not an EIP712Domain field");
	expect_json_error(
	    "{\"types\":{\"T\":[]},\"primaryType\":\"U\",\"domain\":{},\"message\":{}}",
	    SPOD_E_BAD_FIELD, "primaryType: U is not a type of types");
	expect_json_error(
	    "{\"types\":{\"T\":[]},\"primaryType\":\"T\",\"domain\":{},\"message\":{},"
	    "\"extra\":1}",
	    SPOD_E_BAD_FIELD, "unknown key \"extra\"");
	expect_json_error(
	    "{\"types\":{\"T\":[{\"name\":\"a\",\"type\":\"T\"}]},\"primaryType\":\"T\","
	    "\"domain\":{},\"message\":{\"a\":{\"a\":{}}}}",
	    SPOD_E_BAD_FIELD, "message.a.a.a: missing");
	expect_json_error(
	    "{\"types\":{\"T\":[{\"name\":\"a\",\"type\":\"T[]\"}]},\"primaryType\":\"T\","
	    "\"domain\":{},\"message\":{\"a\":[]}}",
	    SPOD_E_BAD_FIELD, "refused by the EIP-712 decoder");
	expect_json_error("[1", SPOD_E_BAD_FIELD, "not JSON");

	/* too small an output buffer */
	uint8_t out[16];
	char err[SPOD_TYPED_DATA_JSON_ERR_BYTES];
	size_t n = 1;
	assert_int_equal(spod_typed_data_from_json(out, sizeof(out), &n, mail_json,
	                                           strlen(mail_json), err, sizeof(err)),
	                 SPOD_E_TOO_LARGE);
	assert_int_equal(n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mail_example),   cmocka_unit_test(test_ethers_vectors),
	    cmocka_unit_test(test_values),         cmocka_unit_test(test_types),
	    cmocka_unit_test(test_domain),         cmocka_unit_test(test_noncanonical),
	    cmocka_unit_test(test_depth_and_caps), cmocka_unit_test(test_json_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
