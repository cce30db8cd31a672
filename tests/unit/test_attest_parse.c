/*
 * spod_attest_parse on hand-made documents: one rule of include/spod/attest.h broken at a
 * time, in the payload map and in the COSE_Sign1 envelope, each expecting its own code.
 * Signatures are not checked by the parser, so these documents carry a dummy one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "attest/cbor.h"
#include "common/hex.h"
#include "spod/attest.h"
#include "spod/err.h"

#define VAL_CAP     1400u
#define MAX_ENTRIES 12u
#define DOC_CAP     (20u * 1024u)

struct entry {
	uint8_t key[32];
	size_t key_len;
	uint8_t val[VAL_CAP];
	size_t val_len;
};

static struct entry entries[MAX_ENTRIES];
static size_t nentries;
static uint8_t doc[DOC_CAP];
static uint8_t payload[DOC_CAP];

static size_t encode(uint8_t *out, size_t cap, enum spod_cbor_major mt, uint64_t n,
                     const void *content, size_t content_len)
{
	struct spod_cbor_writer w;

	spod_cbor_writer_init(&w, out, cap);
	if (mt == SPOD_CBOR_MT_BSTR || mt == SPOD_CBOR_MT_TSTR)
		assert_int_equal(spod_cbor_put_str(&w, mt, content, content_len), SPOD_OK);
	else
		assert_int_equal(spod_cbor_put_head(&w, mt, n), SPOD_OK);
	return w.len;
}

static struct entry *find(const char *key)
{
	uint8_t k[32];
	size_t n = encode(k, sizeof k, SPOD_CBOR_MT_TSTR, 0, key, strlen(key));

	for (size_t i = 0; i < nentries; i++)
		if (entries[i].key_len == n && memcmp(entries[i].key, k, n) == 0)
			return &entries[i];
	assert_true(nentries < MAX_ENTRIES);
	struct entry *e = &entries[nentries++];
	memcpy(e->key, k, n);
	e->key_len = n;
	e->val_len = 0;
	return e;
}

/* Sets key's value to raw CBOR given in hex. */
static void set_hex(const char *key, const char *hex)
{
	struct entry *e = find(key);
	assert_int_equal(spod_hex_decode(e->val, sizeof e->val, &e->val_len, hex), SPOD_OK);
}

/* Sets key's value to a byte string of n bytes of fill (n may exceed 255). */
static void set_bstr(const char *key, size_t n, uint8_t fill)
{
	uint8_t content[VAL_CAP];
	struct entry *e = find(key);

	assert_true(n <= sizeof content - 16);
	memset(content, fill, n);
	e->val_len = encode(e->val, sizeof e->val, SPOD_CBOR_MT_BSTR, 0, content, n);
}

/* Sets key's value to a pcrs map {0..count-1: n bytes} (definite or indefinite). */
static void set_pcrs(uint32_t count, size_t n, int indef)
{
	struct entry *e = find("pcrs");
	struct spod_cbor_writer w;
	uint8_t v[64];

	memset(v, 0x11, sizeof v);
	spod_cbor_writer_init(&w, e->val, sizeof e->val);
	if (indef)
		assert_int_equal(spod_cbor_put_raw(&w, "\xbf", 1), SPOD_OK);
	else
		assert_int_equal(spod_cbor_put_head(&w, SPOD_CBOR_MT_MAP, count), SPOD_OK);
	for (uint32_t i = 0; i < count; i++) {
		assert_int_equal(spod_cbor_put_head(&w, SPOD_CBOR_MT_UINT, i), SPOD_OK);
		assert_int_equal(spod_cbor_put_str(&w, SPOD_CBOR_MT_BSTR, v, n), SPOD_OK);
	}
	if (indef)
		assert_int_equal(spod_cbor_put_raw(&w, "\xff", 1), SPOD_OK);
	e->val_len = w.len;
}

/* Sets pcrs to a map with the given indices, each a 48-byte value. */
static void set_pcr_indices(const uint64_t *idx, size_t n)
{
	struct entry *e = find("pcrs");
	struct spod_cbor_writer w;
	uint8_t v[48];

	memset(v, 0x22, sizeof v);
	spod_cbor_writer_init(&w, e->val, sizeof e->val);
	assert_int_equal(spod_cbor_put_head(&w, SPOD_CBOR_MT_MAP, n), SPOD_OK);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(spod_cbor_put_head(&w, SPOD_CBOR_MT_UINT, idx[i]), SPOD_OK);
		assert_int_equal(spod_cbor_put_str(&w, SPOD_CBOR_MT_BSTR, v, sizeof v), SPOD_OK);
	}
	e->val_len = w.len;
}

/* Sets cabundle to count byte strings of 100 bytes. */
static void set_cabundle(uint32_t count, int indef)
{
	struct entry *e = find("cabundle");
	struct spod_cbor_writer w;
	uint8_t c[100];

	memset(c, 0x30, sizeof c);
	spod_cbor_writer_init(&w, e->val, sizeof e->val);
	if (indef)
		assert_int_equal(spod_cbor_put_raw(&w, "\x9f", 1), SPOD_OK);
	else
		assert_int_equal(spod_cbor_put_head(&w, SPOD_CBOR_MT_ARRAY, count), SPOD_OK);
	for (uint32_t i = 0; i < count; i++)
		assert_int_equal(spod_cbor_put_str(&w, SPOD_CBOR_MT_BSTR, c, sizeof c), SPOD_OK);
	if (indef)
		assert_int_equal(spod_cbor_put_raw(&w, "\xff", 1), SPOD_OK);
	e->val_len = w.len;
}

static void drop(const char *key)
{
	struct entry *e = find(key);
	size_t i = (size_t)(e - entries);

	memmove(&entries[i], &entries[i + 1], (nentries - i - 1) * sizeof entries[0]);
	nentries--;
}

/* The nine keys with valid values (null for the optional ones). */
static int reset(void **state)
{
	(void)state;
	nentries = 0;
	set_hex("module_id", "6474657374");  /* "test" */
	set_hex("digest", "66534841333834"); /* "SHA384" */
	set_hex("timestamp", "1b00000197f5b0c49b");
	set_pcrs(16, 48, 0);
	set_bstr("certificate", 300, 0x30);
	set_cabundle(4, 0);
	set_hex("public_key", "f6");
	set_hex("user_data", "f6");
	set_hex("nonce", "f6");
	return 0;
}

static size_t make_payload(int indef)
{
	struct spod_cbor_writer w;

	spod_cbor_writer_init(&w, payload, sizeof payload);
	if (indef)
		assert_int_equal(spod_cbor_put_raw(&w, "\xbf", 1), SPOD_OK);
	else
		assert_int_equal(spod_cbor_put_head(&w, SPOD_CBOR_MT_MAP, nentries), SPOD_OK);
	for (size_t i = 0; i < nentries; i++) {
		assert_int_equal(spod_cbor_put_raw(&w, entries[i].key, entries[i].key_len),
		                 SPOD_OK);
		assert_int_equal(spod_cbor_put_raw(&w, entries[i].val, entries[i].val_len),
		                 SPOD_OK);
	}
	if (indef)
		assert_int_equal(spod_cbor_put_raw(&w, "\xff", 1), SPOD_OK);
	return w.len;
}

/* [protected, unprotected, payload, signature] from raw pieces (hex for the small ones). */
static size_t make_envelope(const char *outer_hex, const char *protected_hex,
                            const char *unprotected_hex, const uint8_t *pl, size_t pl_len,
                            const char *sig_hex, const char *end_hex)
{
	uint8_t tmp[256];
	size_t n;
	struct spod_cbor_writer w;

	spod_cbor_writer_init(&w, doc, sizeof doc);
	assert_int_equal(spod_hex_decode(tmp, sizeof tmp, &n, outer_hex), SPOD_OK);
	assert_int_equal(spod_cbor_put_raw(&w, tmp, n), SPOD_OK);
	assert_int_equal(spod_hex_decode(tmp, sizeof tmp, &n, protected_hex), SPOD_OK);
	assert_int_equal(spod_cbor_put_raw(&w, tmp, n), SPOD_OK);
	assert_int_equal(spod_hex_decode(tmp, sizeof tmp, &n, unprotected_hex), SPOD_OK);
	assert_int_equal(spod_cbor_put_raw(&w, tmp, n), SPOD_OK);
	assert_int_equal(spod_cbor_put_str(&w, SPOD_CBOR_MT_BSTR, pl, pl_len), SPOD_OK);
	if (sig_hex == NULL) {
		memset(tmp, 0x42, 96);
		assert_int_equal(spod_cbor_put_str(&w, SPOD_CBOR_MT_BSTR, tmp, 96), SPOD_OK);
	} else {
		assert_int_equal(spod_hex_decode(tmp, sizeof tmp, &n, sig_hex), SPOD_OK);
		assert_int_equal(spod_cbor_put_raw(&w, tmp, n), SPOD_OK);
	}
	assert_int_equal(spod_hex_decode(tmp, sizeof tmp, &n, end_hex), SPOD_OK);
	assert_int_equal(spod_cbor_put_raw(&w, tmp, n), SPOD_OK);
	return w.len;
}

/* Parses the current entries as a standard document; checks rc and the error's words. */
static void expect(int indef, int want_rc, const char *want_words)
{
	struct spod_attest_doc d;
	size_t pl_len = make_payload(indef);
	size_t len = make_envelope("84", "44a1013822", "a0", payload, pl_len, NULL, "");
	int rc = spod_attest_parse(&d, doc, len);

	if (rc != want_rc)
		print_error("parse gave %d (%s), wanted %d\n", rc, d.error ? d.error : "-",
		            want_rc);
	assert_int_equal(rc, want_rc);
	if (rc == SPOD_OK) {
		assert_null(d.error);
		assert_int_equal(d.payload.len, pl_len);
		assert_ptr_equal(d.payload.ptr, doc + len - 98 - pl_len);
	} else {
		assert_null(d.payload.ptr);
		assert_null(d.module_id.ptr);
		assert_non_null(d.error);
		if (want_words != NULL && strstr(d.error, want_words) == NULL)
			print_error("error \"%s\" lacks \"%s\"\n", d.error, want_words);
		assert_true(want_words == NULL || strstr(d.error, want_words) != NULL);
	}
}

static void test_valid_forms(void **state)
{
	(void)state;
	expect(0, SPOD_OK, NULL);
	expect(1, SPOD_OK, NULL); /* indefinite-length payload map */
	set_pcrs(16, 48, 1);
	set_cabundle(4, 1);
	expect(1, SPOD_OK, NULL);
	set_pcrs(32, 32, 0);
	expect(0, SPOD_OK, NULL);
	set_pcrs(1, 64, 0);
	set_cabundle(8, 0);
	set_bstr("public_key", 1024, 1);
	set_bstr("user_data", 512, 2);
	set_bstr("nonce", 512, 3);
	expect(0, SPOD_OK, NULL);
	set_bstr("public_key", 0, 0);
	set_bstr("user_data", 0, 0);
	set_bstr("nonce", 0, 0);
	expect(0, SPOD_OK, NULL);
	/* Keys in another order. */
	reset(state);
	drop("module_id");
	set_hex("module_id", "6474657374");
	expect(0, SPOD_OK, NULL);
	/* A non-shortest head is accepted: timestamp 1 as 1b 00..01. */
	set_hex("timestamp", "1b0000000000000001");
	expect(0, SPOD_OK, NULL);
}

static void test_keys(void **state)
{
	(void)state;
	drop("nonce");
	expect(0, SPOD_E_BAD_FIELD, "no nonce");
	reset(state);
	drop("pcrs");
	expect(1, SPOD_E_BAD_FIELD, "no pcrs");
	reset(state);
	set_hex("extra", "f6");
	expect(0, SPOD_E_BAD_FIELD, "unknown key");
	reset(state);
	set_hex("nitrotpm_pcrs", "a0");
	expect(0, SPOD_E_BAD_FIELD, "NitroTPM");
	reset(state);
	set_hex("Module_id", "6474657374");
	expect(0, SPOD_E_BAD_FIELD, "unknown key");

	/* module_id twice: a tenth entry with the same key. */
	reset(state);
	assert_true(nentries < MAX_ENTRIES);
	entries[nentries] = entries[0];
	nentries++;
	expect(0, SPOD_E_BAD_FIELD, "repeats module_id");
	expect(1, SPOD_E_BAD_FIELD, "repeats module_id");

	/* A key that is not text: 0 => "test". */
	reset(state);
	entries[0].key[0] = 0x00;
	entries[0].key_len = 1;
	expect(0, SPOD_E_BAD_FIELD, "not a text string");
}

static void test_scalar_fields(void **state)
{
	static const struct {
		const char *key;
		const char *hex;
		int rc;
		const char *words;
	} cases[] = {
	    {"module_id", "60", SPOD_E_BAD_FIELD, "empty"},
	    {"module_id", "6261ff", SPOD_E_BAD_FIELD, "printable"},
	    {"module_id", "620a41", SPOD_E_BAD_FIELD, "printable"},
	    {"module_id", "4474657374", SPOD_E_BAD_FIELD, "text"},
	    {"module_id", "7f6174ff", SPOD_E_BAD_FIELD, "text"}, /* indefinite text */
	    {"digest", "66534841323536", SPOD_E_BAD_FIELD, "SHA384"},
	    {"digest", "66736861333834", SPOD_E_BAD_FIELD, "SHA384"},
	    {"digest", "6753484133383400", SPOD_E_BAD_FIELD, "SHA384"},
	    {"digest", "f6", SPOD_E_BAD_FIELD, "digest"},
	    {"timestamp", "00", SPOD_E_BAD_FIELD, "zero"},
	    {"timestamp", "20", SPOD_E_BAD_FIELD, "unsigned"},
	    {"timestamp", "6131", SPOD_E_BAD_FIELD, "unsigned"},
	    {"timestamp", "c11a5f000000", SPOD_E_BAD_FIELD, "unsigned"},       /* tag 1 */
	    {"timestamp", "fb41d7d5a6f2000000", SPOD_E_BAD_FIELD, "unsigned"}, /* float */
	    {"timestamp", "1c", SPOD_E_BAD_FIELD, "ill-formed"},               /* reserved */
	    {"certificate", "40", SPOD_E_TOO_LARGE, "empty"},
	    {"certificate", "f6", SPOD_E_BAD_FIELD, "not a byte string"},
	    {"cabundle", "80", SPOD_E_BAD_FIELD, "empty"},
	    {"cabundle", "9fff", SPOD_E_BAD_FIELD, "empty"},
	    {"cabundle", "8163616263", SPOD_E_BAD_FIELD, "not a byte string"},
	    {"cabundle", "4130", SPOD_E_BAD_FIELD, "not an array"},
	    {"cabundle", "8140", SPOD_E_TOO_LARGE, "empty"},
	    {"public_key", "6130", SPOD_E_BAD_FIELD, "neither"},
	    {"user_data", "f7", SPOD_E_BAD_FIELD, "neither"},       /* undefined */
	    {"user_data", "f4", SPOD_E_BAD_FIELD, "neither"},       /* false */
	    {"user_data", "5f4100ff", SPOD_E_BAD_FIELD, "neither"}, /* indefinite bytes */
	    {"nonce", "c24100", SPOD_E_BAD_FIELD, "neither"},       /* tag 2 */
	    {"nonce", "a0", SPOD_E_BAD_FIELD, "neither"},
	    {"pcrs", "a0", SPOD_E_BAD_FIELD, "empty"},
	    {"pcrs", "bfff", SPOD_E_BAD_FIELD, "empty"},
	    {"pcrs", "80", SPOD_E_BAD_FIELD, "not a map"},
	    {"pcrs", "a1185f4100", SPOD_E_BAD_FIELD, "index"},
	    {"pcrs", "a1204100", SPOD_E_BAD_FIELD, "unsigned"},
	    {"pcrs",
	     "a16130582000000000000000000000000000000000000000000000000000000000000000"
	     "00",
	     SPOD_E_BAD_FIELD, "unsigned"},
	    {"pcrs", "a1005f4100ff", SPOD_E_BAD_FIELD, "not a byte string"},
	    {"pcrs", "a100f6", SPOD_E_BAD_FIELD, "not a byte string"},
	    {"pcrs", "a1004100", SPOD_E_BAD_LENGTH, "32, 48 or 64"},
	    {"pcrs", "b821", SPOD_E_TOO_LARGE, "more than 32"},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		reset(state);
		set_hex(cases[i].key, cases[i].hex);
		expect(0, cases[i].rc, cases[i].words);
	}
}

static void test_sized_fields(void **state)
{
	set_bstr("certificate", 1025, 0x30);
	expect(0, SPOD_E_TOO_LARGE, "1024");
	reset(state);
	set_bstr("public_key", 1025, 1);
	expect(0, SPOD_E_TOO_LARGE, "public_key");
	reset(state);
	set_bstr("user_data", 513, 1);
	expect(0, SPOD_E_TOO_LARGE, "user_data");
	reset(state);
	set_bstr("nonce", 513, 1);
	expect(0, SPOD_E_TOO_LARGE, "nonce");
	reset(state);
	set_cabundle(9, 0);
	expect(0, SPOD_E_TOO_LARGE, "more than 8");
	set_cabundle(9, 1);
	expect(0, SPOD_E_TOO_LARGE, "more than 8");
	reset(state);
	set_pcrs(16, 47, 0);
	expect(0, SPOD_E_BAD_LENGTH, "32, 48 or 64");
	set_pcrs(16, 49, 1);
	expect(0, SPOD_E_BAD_LENGTH, "32, 48 or 64");

	/* A repeated PCR index, and index 32. */
	reset(state);
	set_pcr_indices((const uint64_t[]){0, 1, 0}, 3);
	expect(0, SPOD_E_BAD_FIELD, "repeats an index");
	set_pcr_indices((const uint64_t[]){31, 32}, 2);
	expect(0, SPOD_E_BAD_FIELD, "32 or more");
	set_pcr_indices((const uint64_t[]){31, 0, 7}, 3); /* any order */
	expect(0, SPOD_OK, NULL);
}

static void test_payload_shape(void **state)
{
	struct spod_attest_doc d;
	size_t pl_len;
	size_t len;

	(void)state;
	/* Not a map; a map with a byte after it; an indefinite map without its break. */
	len = make_envelope("84", "44a1013822", "a0", (const uint8_t *)"\x80", 1, NULL, "");
	assert_int_equal(spod_attest_parse(&d, doc, len), SPOD_E_BAD_FIELD);
	pl_len = make_payload(0);
	payload[pl_len++] = 0x00;
	len = make_envelope("84", "44a1013822", "a0", payload, pl_len, NULL, "");
	assert_int_equal(spod_attest_parse(&d, doc, len), SPOD_E_BAD_LENGTH);
	pl_len = make_payload(1) - 1;
	len = make_envelope("84", "44a1013822", "a0", payload, pl_len, NULL, "");
	assert_int_equal(spod_attest_parse(&d, doc, len), SPOD_E_TRUNCATED);
	/* A definite map claiming 2^64 - 1 pairs. */
	pl_len = make_payload(0);
	memmove(payload + 9, payload + 1, pl_len - 1);
	memcpy(payload, "\xbb\xff\xff\xff\xff\xff\xff\xff\xff", 9);
	len = make_envelope("84", "44a1013822", "a0", payload, pl_len + 8, NULL, "");
	assert_int_equal(spod_attest_parse(&d, doc, len), SPOD_E_TRUNCATED);
	/* Empty payload. */
	len = make_envelope("84", "44a1013822", "a0", payload, 0, NULL, "");
	assert_int_equal(spod_attest_parse(&d, doc, len), SPOD_E_TRUNCATED);
}

static void test_envelope(void **state)
{
	static const struct {
		const char *outer, *prot, *unprot, *sig, *end;
		int rc;
		const char *words;
	} cases[] = {
	    {"84", "44a1013822", "a0", NULL, "", SPOD_OK, NULL},
	    {"9f", "44a1013822", "a0", NULL, "ff", SPOD_OK, NULL},
	    {"84", "44a1013822", "bfff", NULL, "", SPOD_OK, NULL},
	    {"84", "45bf013822ff", "a0", NULL, "", SPOD_OK, NULL},
	    {"84", "45a101382200", "a0", NULL, "", SPOD_E_BAD_LENGTH, "protected"},
	    {"84", "40", "a0", NULL, "", SPOD_E_BAD_FIELD, "protected"},
	    {"84", "41a0", "a0", NULL, "", SPOD_E_BAD_FIELD, "no alg"},
	    {"84", "4ca201382204464b4944303031", "a0", NULL, "", SPOD_E_BAD_FIELD, "only alg"},
	    {"84", "43a10126", "a0", NULL, "", SPOD_E_UNKNOWN_ALG, "ES384"},
	    {"84", "44a1013823", "a0", NULL, "", SPOD_E_UNKNOWN_ALG, "ES384"},
	    {"84", "48a101654553333834", "a0", NULL, "", SPOD_E_UNKNOWN_ALG, "ES384"},
	    {"84", "44a1033822", "a0", NULL, "", SPOD_E_BAD_FIELD, "only alg"},
	    {"84", "a1013822", "a0", NULL, "", SPOD_E_BAD_FIELD, "not a byte string"},
	    {"84", "44a1013822", "a1044101", NULL, "", SPOD_E_BAD_FIELD, "not empty"},
	    {"84", "44a1013822", "bf044101ff", NULL, "", SPOD_E_BAD_FIELD, "not empty"},
	    {"84", "44a1013822", "f6", NULL, "", SPOD_E_BAD_FIELD, "not a map"},
	    {"84", "44a1013822", "a0", "5860", "", SPOD_E_TRUNCATED, "ends inside"},
	    {"84", "44a1013822", "a0", "40", "", SPOD_E_BAD_LENGTH, "96"},
	    {"84", "44a1013822", "a0", "f6", "", SPOD_E_BAD_FIELD, "signature"},
	    {"84", "44a1013822", "a0", NULL, "00", SPOD_E_BAD_LENGTH, "after"},
	    {"85", "44a1013822", "a0", NULL, "40", SPOD_E_BAD_FIELD, "4-element"},
	    {"83", "44a1013822", "a0", NULL, "", SPOD_E_BAD_FIELD, "4-element"},
	    {"9f", "44a1013822", "a0", NULL, "40ff", SPOD_E_BAD_FIELD, "more than 4"},
	    {"9f", "44a1013822", "a0", NULL, "", SPOD_E_TRUNCATED, "indefinite"},
	    {"d284", "44a1013822", "a0", NULL, "", SPOD_OK, NULL},
	    {"d81284", "44a1013822", "a0", NULL, "", SPOD_OK, NULL},
	    {"d29f", "44a1013822", "a0", NULL, "ff", SPOD_OK, NULL},
	    {"d2d284", "44a1013822", "a0", NULL, "", SPOD_E_BAD_FIELD, "more than once"},
	    {"d184", "44a1013822", "a0", NULL, "", SPOD_E_BAD_FIELD, "tagged"},
	    {"d9d9f784", "44a1013822", "a0", NULL, "", SPOD_E_BAD_FIELD, "tagged"},
	    {"d2a4", "44a1013822", "a0", NULL, "", SPOD_E_BAD_FIELD, "COSE_Sign1"},
	    {"a4", "44a1013822", "a0", NULL, "", SPOD_E_BAD_FIELD, "COSE_Sign1"},
	};
	struct spod_attest_doc d;
	size_t pl_len = make_payload(0);

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t len = make_envelope(cases[i].outer, cases[i].prot, cases[i].unprot, payload,
		                           pl_len, cases[i].sig, cases[i].end);
		int rc = spod_attest_parse(&d, doc, len);
		if (rc != cases[i].rc)
			print_error("case %zu: %d (%s)\n", i, rc, d.error ? d.error : "-");
		assert_int_equal(rc, cases[i].rc);
		if (cases[i].words != NULL && strstr(d.error, cases[i].words) == NULL)
			print_error("case %zu: \"%s\"\n", i, d.error);
		assert_true(cases[i].words == NULL || strstr(d.error, cases[i].words) != NULL);
	}

	/* Sizes: nothing, NULL, over 16 KiB. */
	assert_int_equal(spod_attest_parse(&d, doc, 0), SPOD_E_TRUNCATED);
	assert_int_equal(spod_attest_parse(&d, NULL, 0), SPOD_E_TRUNCATED);
	assert_int_equal(spod_attest_parse(&d, doc, SPOD_ATTEST_DOC_MAX_BYTES + 1),
	                 SPOD_E_TOO_LARGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_valid_forms, reset),
	    cmocka_unit_test_setup(test_keys, reset),
	    cmocka_unit_test_setup(test_scalar_fields, reset),
	    cmocka_unit_test_setup(test_sized_fields, reset),
	    cmocka_unit_test_setup(test_payload_shape, reset),
	    cmocka_unit_test_setup(test_envelope, reset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
