/*
 * The verifier against the real AWS Nitro attestation documents saved in
 * tests/data/attestation (provenance: tests/data/attestation/PROVENANCE.md): each verifies
 * against the embedded AWS root at its own time and fails today; every tampering fails.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/ec.h>
#include <openssl/evp.h>

#include "attest/doc.h"
#include "common/hex.h"
#include "spod/attest.h"
#include "spod/err.h"

#define DATA_DIR SPOD_TEST_DATA "/attestation/"
#define DOC_CAP  (20u * 1024u)

struct real_doc {
	const char *file;
	const char *module_id;
	const char *pcr0_hex; /* NULL: all zero (debug mode) */
	uint32_t npcrs;
};

static const struct real_doc real_docs[] = {
    {"evervault_beta_valid_2022.cbor", "i-020b6af9246d90e92-enc0183d09086c24190",
     "f4d48b81a460c9916d1e685119074bf24660afd3e34fae9fca0a0d28d9d5599936332687e6f66fc890ac8cf"
     "150142d8b",
     16},
    {"evervault_beta_debug_2022.cbor", "i-03ad7cdb817437eeb-enc0183cc7569b3f6e1", NULL, 16},
    {"capejs_2022.cbor", "i-0697c9729fa547b20-enc0183422ede9a5dc8",
     "ea4212ee889ba1b4dbfe744aadecca8b1930de60a3a1ce3b0c79f42b231700fc561c3d9b34f0565ed9eb6f4"
     "60996624c",
     16},
    {"nitrite_pr2_debug_2021.cbor", "i-0809849710bf1b61b-enc017cc45400406a27", NULL, 16},
    {"marlin_aws_2024.cbor", "i-0f1cd77d37fd8bcc9-enc018e7aa61e2040ff",
     "189038eccf28a3a098949e402f3b3d86a876f4915c5b02d546abb5d8c507ceb1755b8192d8cfca66e8f2261"
     "60ca4c7a6",
     16},
    {"marlin_aws_pcr16_2025.cbor", "i-07859a25773d39fcc-enc01968119042c6454",
     "2984ab215649c40ffe8f8b80cfadee47f1b06760f7d9257981f64b2758c347fafa6c733591b25e75ae7e9d1"
     "cb86ad5df",
     17},
};

#define NREAL (sizeof real_docs / sizeof real_docs[0])

static size_t load(uint8_t *buf, size_t cap, const char *file)
{
	char path[512];
	FILE *f;
	size_t n;

	snprintf(path, sizeof path, DATA_DIR "%s", file);
	f = fopen(path, "rb");
	assert_non_null(f);
	n = fread(buf, 1, cap, f);
	assert_true(feof(f) || n < cap);
	fclose(f);
	assert_true(n > 0);
	return n;
}

static uint64_t doc_time(const uint8_t *doc, size_t len)
{
	struct spod_attest_doc d;

	assert_int_equal(spod_attest_parse(&d, doc, len), SPOD_OK);
	return d.timestamp_ms / 1000;
}

/* Verifies with pol (at defaulting to the document's own time) and returns the status. */
static enum spod_attest_status verify_at_own_time(const uint8_t *doc, size_t len,
                                                  struct spod_attest_policy pol, int *rc_out)
{
	struct spod_attest_result res;
	int rc;

	if (pol.at == 0)
		pol.at = doc_time(doc, len);
	rc = spod_attest_verify(&res, doc, len, &pol);
	if (rc_out != NULL)
		*rc_out = rc;
	assert_true((rc == SPOD_OK) == (res.status == SPOD_ATTEST_OK));
	assert_true(res.message[0] != '\0');
	return res.status;
}

static void test_real_docs_verify_at_their_time(void **state)
{
	static uint8_t doc[DOC_CAP];
	uint8_t pcr0[48];
	size_t n;

	(void)state;
	for (size_t i = 0; i < NREAL; i++) {
		struct spod_attest_policy pol = {0};
		struct spod_attest_result res;
		size_t len = load(doc, sizeof doc, real_docs[i].file);

		pol.at = doc_time(doc, len);
		assert_int_equal(spod_attest_verify(&res, doc, len, &pol), SPOD_OK);
		assert_int_equal(res.status, SPOD_ATTEST_OK);
		assert_int_equal(res.at, pol.at);
		assert_int_equal(res.doc.module_id.len, strlen(real_docs[i].module_id));
		assert_memory_equal(res.doc.module_id.ptr, real_docs[i].module_id,
		                    res.doc.module_id.len);
		assert_int_equal(res.doc.npcrs, real_docs[i].npcrs);
		assert_int_equal(res.doc.ncabundle, 4);
		for (uint32_t k = 0; k < res.doc.npcrs; k++)
			assert_int_equal(res.doc.pcrs[k].len, 48);
		if (real_docs[i].pcr0_hex == NULL) {
			memset(pcr0, 0, sizeof pcr0);
		} else {
			assert_int_equal(
			    spod_hex_decode(pcr0, sizeof pcr0, &n, real_docs[i].pcr0_hex), SPOD_OK);
			assert_int_equal(n, 48);
		}
		assert_memory_equal(res.doc.pcrs[0].ptr, pcr0, 48);
	}
}

static void test_real_docs_fail_today(void **state)
{
	static uint8_t doc[DOC_CAP];

	(void)state;
	for (size_t i = 0; i < NREAL; i++) {
		struct spod_attest_policy pol = {0}; /* at = 0: now */
		struct spod_attest_result res;
		size_t len = load(doc, sizeof doc, real_docs[i].file);

		assert_int_equal(spod_attest_verify(&res, doc, len, &pol), SPOD_E_BAD_SIGNATURE);
		assert_int_equal(res.status, SPOD_ATTEST_CERT_EXPIRED);
		assert_non_null(strstr(res.message, "expired"));
		/* An hour after the leaf's 3-hour life, too. */
		pol.at = doc_time(doc, len) + 4 * 3600;
		assert_int_equal(verify_at_own_time(doc, len, pol, NULL), SPOD_ATTEST_CERT_EXPIRED);
	}
}

static void test_real_optional_fields(void **state)
{
	static uint8_t doc[DOC_CAP];
	struct spod_attest_doc d;
	size_t len;

	(void)state;
	len = load(doc, sizeof doc, "nitrite_pr2_debug_2021.cbor");
	assert_int_equal(spod_attest_parse(&d, doc, len), SPOD_OK);
	assert_non_null(d.public_key.ptr); /* empty bstr, not null */
	assert_int_equal(d.public_key.len, 0);
	assert_int_equal(d.user_data.len, 64);
	assert_int_equal(d.nonce.len, 20);

	len = load(doc, sizeof doc, "evervault_beta_debug_2022.cbor");
	assert_int_equal(spod_attest_parse(&d, doc, len), SPOD_OK);
	assert_int_equal(d.user_data.len, 13);
	assert_memory_equal(d.user_data.ptr, "hello, world!", 13);
	assert_null(d.nonce.ptr);
	assert_int_equal(d.public_key.len, 19);

	len = load(doc, sizeof doc, "marlin_aws_pcr16_2025.cbor");
	assert_int_equal(spod_attest_parse(&d, doc, len), SPOD_OK);
	assert_non_null(d.user_data.ptr);
	assert_int_equal(d.user_data.len, 0);
	assert_non_null(d.pcrs[16].ptr);
	assert_null(d.pcrs[17].ptr);
	assert_int_equal(d.timestamp_ms, 1745922759691ull);
}

static void test_nitrotpm_rejected(void **state)
{
	static uint8_t doc[DOC_CAP];
	struct spod_attest_policy pol = {0};
	struct spod_attest_result res;
	struct spod_attest_doc d;
	size_t len;

	(void)state;
	len = load(doc, sizeof doc, "vaportpm_nitrotpm_2026.cbor");
	assert_int_equal(spod_attest_parse(&d, doc, len), SPOD_E_BAD_FIELD);
	assert_non_null(strstr(d.error, "NitroTPM"));
	assert_null(d.module_id.ptr);
	pol.at = 1770113522;
	assert_int_equal(spod_attest_verify(&res, doc, len, &pol), SPOD_E_BAD_FIELD);
	assert_int_equal(res.status, SPOD_ATTEST_MALFORMED);
	assert_non_null(strstr(res.message, "nitrotpm_pcrs"));
}

static void test_real_signature_bit_flips(void **state)
{
	static uint8_t doc[DOC_CAP];

	(void)state;
	for (size_t i = 0; i < NREAL; i++) {
		struct spod_attest_policy pol = {0};
		size_t len = load(doc, sizeof doc, real_docs[i].file);

		pol.at = doc_time(doc, len);
		/* The signature is the last 96 bytes. */
		for (size_t k = len - SPOD_ATTEST_SIG_BYTES; k < len; k++) {
			doc[k] ^= (uint8_t)(1u << (k % 8));
			assert_int_equal(verify_at_own_time(doc, len, pol, NULL),
			                 SPOD_ATTEST_BAD_SIGNATURE);
			doc[k] ^= (uint8_t)(1u << (k % 8));
		}
		assert_int_equal(verify_at_own_time(doc, len, pol, NULL), SPOD_ATTEST_OK);
	}
}

static void test_real_payload_bit_flips(void **state)
{
	static uint8_t doc[DOC_CAP];
	size_t tried = 0;

	(void)state;
	for (size_t i = 0; i < NREAL; i++) {
		struct spod_attest_policy pol = {0};
		struct spod_attest_doc d;
		size_t len = load(doc, sizeof doc, real_docs[i].file);
		size_t start;

		assert_int_equal(spod_attest_parse(&d, doc, len), SPOD_OK);
		pol.at = d.timestamp_ms / 1000;
		start = (size_t)(d.payload.ptr - doc);
		/* Every 11th byte, with a bit that moves, plus the first and last 16 bytes. */
		for (size_t k = 0; k < d.payload.len; k++) {
			enum spod_attest_status st;
			uint8_t bit = (uint8_t)(1u << ((k / 11) % 8));

			if (k % 11 != 0 && k >= 16 && k + 16 < d.payload.len)
				continue;
			doc[start + k] ^= bit;
			st = verify_at_own_time(doc, len, pol, NULL);
			assert_true(st == SPOD_ATTEST_MALFORMED || st == SPOD_ATTEST_BAD_LEAF ||
			            st == SPOD_ATTEST_BAD_SIGNATURE);
			doc[start + k] ^= bit;
			tried++;
		}
	}
	assert_true(tried > 2000);
}

static void test_real_truncated_at_every_length(void **state)
{
	static uint8_t doc[DOC_CAP];
	struct spod_attest_doc d;

	(void)state;
	for (size_t i = 0; i < NREAL; i++) {
		size_t len = load(doc, sizeof doc, real_docs[i].file);

		for (size_t n = 0; n < len; n++) {
			int rc = spod_attest_parse(&d, doc, n);
			assert_true(rc == SPOD_E_TRUNCATED || rc == SPOD_E_BAD_LENGTH);
			assert_non_null(d.error);
			assert_null(d.payload.ptr);
		}
		/* A truncated document also fails verification, at any time. */
		struct spod_attest_policy pol = {.at = 1700000000};
		struct spod_attest_result res;
		assert_int_equal(spod_attest_verify(&res, doc, len - 1, &pol), SPOD_E_TRUNCATED);
		assert_int_equal(res.status, SPOD_ATTEST_MALFORMED);
	}
}

/*
 * RFC 9052 §4.2 lets a COSE_Sign1 carry tag 18 and AWS says a document "may" be tagged;
 * the signature covers neither the tag nor the envelope, so the real documents with 0xd2
 * in front (and with tag 18 in its two-byte form d8 12) verify at their own time, and
 * their views point into the tagged buffer.
 */
static void test_real_tagged_docs_verify(void **state)
{
	static uint8_t doc[DOC_CAP];
	static uint8_t tagged[DOC_CAP + 2];
	static const uint8_t *const tags[] = {(const uint8_t *)"\xd2", (const uint8_t *)"\xd8\x12"};
	static const size_t tag_lens[] = {1, 2};

	(void)state;
	for (size_t i = 0; i < NREAL; i++) {
		size_t len = load(doc, sizeof doc, real_docs[i].file);

		for (size_t t = 0; t < 2; t++) {
			struct spod_attest_policy pol = {.at = doc_time(doc, len)};
			struct spod_attest_result res;
			size_t n = tag_lens[t] + len;

			memcpy(tagged, tags[t], tag_lens[t]);
			memcpy(tagged + tag_lens[t], doc, len);
			print_message("  %s tagged %s\n", real_docs[i].file,
			              t == 0 ? "d2" : "d8 12");
			assert_int_equal(spod_attest_verify(&res, tagged, n, &pol), SPOD_OK);
			assert_int_equal(res.status, SPOD_ATTEST_OK);
			assert_ptr_equal(res.doc.protected_hdr.ptr, tagged + tag_lens[t] + 2);
			assert_true(res.doc.signature.ptr == tagged + n - SPOD_ATTEST_SIG_BYTES);
			assert_int_equal(res.doc.module_id.len, strlen(real_docs[i].module_id));
		}
	}
}

/* Tag 18 is the only tag accepted, once, and the tagged form is checked like the other. */
static void test_real_tagged_tampering(void **state)
{
	static uint8_t doc[DOC_CAP];
	static uint8_t alt[DOC_CAP + 16];
	static const struct {
		const char *hex;
		const char *words;
	} wrong_tags[] = {
	    {"d9d9f7", "not with COSE_Sign1's tag 18"}, /* self-described CBOR */
	    {"d1", "not with COSE_Sign1's tag 18"},     /* COSE_Mac0 */
	    {"c1", "not with COSE_Sign1's tag 18"},       {"d2d2", "more than once"},
	    {"d9d9f7d2", "not with COSE_Sign1's tag 18"},
	};
	struct spod_attest_policy pol = {0};
	struct spod_attest_result res;
	struct spod_attest_doc d;
	size_t len, n;

	(void)state;
	len = load(doc, sizeof doc, "capejs_2022.cbor");
	for (size_t i = 0; i < sizeof wrong_tags / sizeof wrong_tags[0]; i++) {
		assert_int_equal(spod_hex_decode(alt, sizeof alt, &n, wrong_tags[i].hex), SPOD_OK);
		memcpy(alt + n, doc, len);
		assert_int_equal(spod_attest_parse(&d, alt, n + len), SPOD_E_BAD_FIELD);
		assert_non_null(strstr(d.error, wrong_tags[i].words));
	}
	/* Tag 18 on something other than the array; on nothing; with a byte after it. */
	assert_int_equal(spod_attest_parse(&d, (const uint8_t *)"\xd2\xa0", 2), SPOD_E_BAD_FIELD);
	assert_int_equal(spod_attest_parse(&d, (const uint8_t *)"\xd2", 1), SPOD_E_TRUNCATED);
	alt[0] = 0xd2;
	memcpy(alt + 1, doc, len);
	alt[len + 1] = 0x00;
	assert_int_equal(spod_attest_parse(&d, alt, len + 2), SPOD_E_BAD_LENGTH);
	for (n = 0; n <= len; n++) {
		int rc = spod_attest_parse(&d, alt, n);
		assert_true(rc == SPOD_E_TRUNCATED || rc == SPOD_E_BAD_LENGTH);
	}
	/* The tag does not make a damaged signature acceptable. */
	pol.at = doc_time(doc, len);
	alt[len] ^= 0x01;
	assert_int_equal(spod_attest_verify(&res, alt, len + 1, &pol), SPOD_E_BAD_SIGNATURE);
	assert_int_equal(res.status, SPOD_ATTEST_BAD_SIGNATURE);
}

static void test_real_envelope_tampering(void **state)
{
	static uint8_t doc[DOC_CAP];
	static uint8_t alt[DOC_CAP + 16];
	struct spod_attest_doc d;
	size_t len;

	(void)state;
	len = load(doc, sizeof doc, "capejs_2022.cbor");
	assert_memory_equal(doc, "\x84\x44\xa1\x01\x38\x22\xa0", 7);

	/* A byte after the array. */
	memcpy(alt, doc, len);
	alt[len] = 0x00;
	assert_int_equal(spod_attest_parse(&d, alt, len + 1), SPOD_E_BAD_LENGTH);

	/* Protected header naming ES512 (-36) or ES256 (-7) instead of ES384 (-35). */
	memcpy(alt, doc, len);
	alt[5] = 0x23;
	assert_int_equal(spod_attest_parse(&d, alt, len), SPOD_E_UNKNOWN_ALG);
	alt[4] = 0x26;
	alt[5] = 0xa0; /* {1: -7} then a stray byte inside the protected bstr */
	assert_int_equal(spod_attest_parse(&d, alt, len), SPOD_E_UNKNOWN_ALG);

	/* Protected header {1: -35} with the key changed to 2. */
	memcpy(alt, doc, len);
	alt[3] = 0x02;
	assert_int_equal(spod_attest_parse(&d, alt, len), SPOD_E_BAD_FIELD);

	/* Unprotected header not empty: a0 -> a1 makes the payload bstr its key. */
	memcpy(alt, doc, len);
	alt[6] = 0xa1;
	assert_true(spod_attest_parse(&d, alt, len) < 0);

	/* Array of 3 or 5. */
	memcpy(alt, doc, len);
	alt[0] = 0x83;
	assert_true(spod_attest_parse(&d, alt, len) < 0);
	alt[0] = 0x85;
	assert_true(spod_attest_parse(&d, alt, len) < 0);
}

/* Replaces the 96-byte signature (58 60 + 96 bytes at the end) with sig[0..n). */
static size_t with_signature(uint8_t *out, const uint8_t *doc, size_t len, const uint8_t *sig,
                             size_t n)
{
	size_t head = len - SPOD_ATTEST_SIG_BYTES - 2;

	assert_true(n < 256);
	memcpy(out, doc, head);
	out[head] = 0x58;
	out[head + 1] = (uint8_t)n;
	memcpy(out + head + 2, sig, n);
	return head + 2 + n;
}

static void test_real_signature_form(void **state)
{
	static uint8_t doc[DOC_CAP];
	static uint8_t alt[DOC_CAP];
	uint8_t der[128];
	struct spod_attest_doc d;
	size_t len;
	size_t n;

	(void)state;
	len = load(doc, sizeof doc, "marlin_aws_2024.cbor");
	assert_int_equal(spod_attest_parse(&d, doc, len), SPOD_OK);
	const uint8_t *sig = d.signature.ptr;

	/* 95 and 97 bytes. */
	n = with_signature(alt, doc, len, sig, 95);
	assert_int_equal(spod_attest_parse(&d, alt, n), SPOD_E_BAD_LENGTH);
	memcpy(der, sig, 96);
	der[96] = 0;
	n = with_signature(alt, doc, len, der, 97);
	assert_int_equal(spod_attest_parse(&d, alt, n), SPOD_E_BAD_LENGTH);

	/* The same signature in DER: SEQUENCE { INTEGER r, INTEGER s } (each 48 or 49 bytes). */
	size_t off = 2;
	for (int part = 0; part < 2; part++) {
		const uint8_t *v = sig + 48 * part;
		int pad = v[0] & 0x80;
		der[off++] = 0x02;
		der[off++] = (uint8_t)(48 + (pad ? 1 : 0));
		if (pad)
			der[off++] = 0;
		memcpy(der + off, v, 48);
		off += 48;
	}
	der[0] = 0x30;
	der[1] = (uint8_t)(off - 2);
	n = with_signature(alt, doc, len, der, off);
	assert_int_equal(spod_attest_parse(&d, alt, n), SPOD_E_BAD_LENGTH);
	assert_non_null(strstr(d.error, "96"));
}

static void test_real_roots(void **state)
{
	static uint8_t doc[DOC_CAP];
	static uint8_t pem[4096];
	struct spod_attest_policy pol = {0};
	struct spod_attest_doc d;
	size_t len;

	(void)state;
	len = load(doc, sizeof doc, "evervault_beta_valid_2022.cbor");
	assert_int_equal(spod_attest_parse(&d, doc, len), SPOD_OK);
	pol.at = d.timestamp_ms / 1000;

	/* The same root given explicitly, as PEM and as DER. */
	pol.root.ptr = pem;
	pol.root.len = load(pem, sizeof pem, "aws_nitro_root_g1.pem");
	assert_int_equal(verify_at_own_time(doc, len, pol, NULL), SPOD_ATTEST_OK);
	pol.root = d.cabundle[0];
	assert_int_equal(verify_at_own_time(doc, len, pol, NULL), SPOD_ATTEST_OK);

	/* Another certificate pinned (the regional CA): cabundle[0] is not it. */
	pol.root = d.cabundle[1];
	assert_int_equal(verify_at_own_time(doc, len, pol, NULL), SPOD_ATTEST_BAD_CHAIN);

	/* Not a certificate at all. */
	int rc;
	pol.root.ptr = (const uint8_t *)"not a certificate";
	pol.root.len = 17;
	assert_int_equal(verify_at_own_time(doc, len, pol, &rc), SPOD_ATTEST_BAD_POLICY);
	assert_int_equal(rc, SPOD_E_BAD_ARG);
}

static void test_real_pcr_policy(void **state)
{
	static uint8_t doc[DOC_CAP];
	struct spod_attest_pcr_expect want[3];
	struct spod_attest_policy pol = {0};
	struct spod_attest_doc d;
	uint8_t other[48];
	size_t len;

	(void)state;
	len = load(doc, sizeof doc, "marlin_aws_pcr16_2025.cbor");
	assert_int_equal(spod_attest_parse(&d, doc, len), SPOD_OK);
	pol.pcrs = want;
	pol.npcrs = 3;
	for (uint32_t k = 0; k < 3; k++) {
		want[k].index = k == 2 ? 16 : k;
		want[k].value = d.pcrs[want[k].index].ptr;
		want[k].len = 48;
	}
	assert_int_equal(verify_at_own_time(doc, len, pol, NULL), SPOD_ATTEST_OK);

	memcpy(other, d.pcrs[1].ptr, 48);
	other[47] ^= 1;
	want[1].value = other;
	assert_int_equal(verify_at_own_time(doc, len, pol, NULL), SPOD_ATTEST_PCR_MISMATCH);
	want[1].value = d.pcrs[1].ptr;
	want[1].len = 32; /* a SHA-256-sized expectation */
	assert_int_equal(verify_at_own_time(doc, len, pol, NULL), SPOD_ATTEST_PCR_MISMATCH);
	want[1].len = 48;
	want[2].index = 17;
	assert_int_equal(verify_at_own_time(doc, len, pol, NULL), SPOD_ATTEST_PCR_MISSING);
	want[2].index = 32;
	assert_int_equal(verify_at_own_time(doc, len, pol, NULL), SPOD_ATTEST_BAD_POLICY);

	/* Debug mode: PCR0 all zero fails whatever is expected, zeros included. */
	len = load(doc, sizeof doc, "evervault_beta_debug_2022.cbor");
	memset(other, 0, sizeof other);
	want[0].index = 0;
	want[0].value = other;
	want[0].len = 48;
	pol.npcrs = 1;
	assert_int_equal(verify_at_own_time(doc, len, pol, NULL), SPOD_ATTEST_PCR_ZERO);
	want[0].index = 3; /* PCR3 is still set in debug mode */
	assert_int_equal(verify_at_own_time(doc, len, pol, NULL), SPOD_ATTEST_PCR_MISMATCH);
}

static void test_real_nonce_freshness_binding(void **state)
{
	static uint8_t doc[DOC_CAP];
	struct spod_attest_policy pol = {0};
	struct spod_attest_doc d;
	uint8_t nonce[256];
	uint8_t key_id[16] = {1};
	size_t len;

	(void)state;
	len = load(doc, sizeof doc, "evervault_beta_valid_2022.cbor");
	assert_int_equal(spod_attest_parse(&d, doc, len), SPOD_OK);
	assert_int_equal(d.nonce.len, 256);
	memcpy(nonce, d.nonce.ptr, 256);
	pol.nonce.ptr = nonce;
	pol.nonce.len = 256;
	assert_int_equal(verify_at_own_time(doc, len, pol, NULL), SPOD_ATTEST_OK);
	nonce[100] ^= 0x40;
	assert_int_equal(verify_at_own_time(doc, len, pol, NULL), SPOD_ATTEST_NONCE_MISMATCH);
	nonce[100] ^= 0x40;
	pol.nonce.len = 255;
	assert_int_equal(verify_at_own_time(doc, len, pol, NULL), SPOD_ATTEST_NONCE_MISMATCH);
	pol.nonce.ptr = NULL;

	/* Replay: an hour after it was made (its certificates still valid). */
	pol.at = d.timestamp_ms / 1000 + 3600;
	pol.max_age_s = 600;
	assert_int_equal(verify_at_own_time(doc, len, pol, NULL), SPOD_ATTEST_STALE);
	pol.max_age_s = 3600;
	assert_int_equal(verify_at_own_time(doc, len, pol, NULL), SPOD_ATTEST_OK);
	pol.at = 0;
	pol.max_age_s = 0;

	/* No nonce in this one. */
	len = load(doc, sizeof doc, "marlin_aws_2024.cbor");
	pol.nonce.ptr = nonce;
	pol.nonce.len = 16;
	assert_int_equal(verify_at_own_time(doc, len, pol, NULL), SPOD_ATTEST_NONCE_MISMATCH);
	pol.nonce.ptr = NULL;

	/* No real document carries spod's key binding. */
	pol.key_id = key_id;
	pol.key_alg = 1;
	pol.key_pub.ptr = nonce;
	pol.key_pub.len = 32;
	assert_int_equal(verify_at_own_time(doc, len, pol, NULL), SPOD_ATTEST_KEY_BINDING);
	len = load(doc, sizeof doc, "evervault_beta_debug_2022.cbor");
	assert_int_equal(verify_at_own_time(doc, len, pol, NULL), SPOD_ATTEST_KEY_BINDING);
}

/* Re-encodes a real document's payload with the builder, changing cabundle, and puts the
 * original signature back: the builder reproduces AWS's bytes, so only the change counts. */
static void test_real_cabundle_tampering(void **state)
{
	static uint8_t doc[DOC_CAP];
	static uint8_t alt[DOC_CAP];
	uint8_t pcrs[SPOD_ATTEST_MAX_PCRS][SPOD_ATTEST_PCR_BYTES];
	struct spod_bytes bundle[SPOD_ATTEST_MAX_CABUNDLE];
	char module_id[128];
	EVP_PKEY *key = EVP_EC_gen("P-384");

	(void)state;
	assert_non_null(key);
	for (size_t i = 0; i < NREAL; i++) {
		struct spod_attest_doc d;
		struct spod_attest_doc re;
		struct spod_attest_doc_in in = {0};
		size_t len = load(doc, sizeof doc, real_docs[i].file);
		size_t n;

		assert_int_equal(spod_attest_parse(&d, doc, len), SPOD_OK);
		assert_true(d.module_id.len < sizeof module_id);
		memcpy(module_id, d.module_id.ptr, d.module_id.len);
		module_id[d.module_id.len] = '\0';
		for (uint32_t k = 0; k < d.npcrs; k++)
			memcpy(pcrs[k], d.pcrs[k].ptr, SPOD_ATTEST_PCR_BYTES);
		memcpy(bundle, d.cabundle, sizeof bundle);
		in.module_id = module_id;
		in.timestamp_ms = d.timestamp_ms;
		in.pcrs = (const uint8_t(*)[SPOD_ATTEST_PCR_BYTES])pcrs;
		in.npcrs = d.npcrs;
		in.certificate = d.certificate;
		in.cabundle = bundle;
		in.ncabundle = d.ncabundle;
		in.public_key = d.public_key;
		in.user_data = d.user_data;
		in.nonce = d.nonce;

		/* Unchanged: byte-identical to AWS's document once the signature is put back. */
		assert_int_equal(spod_attest_doc_sign(alt, sizeof alt, &n, &in, key), SPOD_OK);
		assert_int_equal(n, len);
		memcpy(alt + n - SPOD_ATTEST_SIG_BYTES, d.signature.ptr, SPOD_ATTEST_SIG_BYTES);
		assert_memory_equal(alt, doc, len);
		struct spod_attest_policy pol = {.at = d.timestamp_ms / 1000};
		assert_int_equal(verify_at_own_time(alt, n, pol, NULL), SPOD_ATTEST_OK);

		/* Removed, reordered, truncated cabundle: the signature no longer covers it. */
		for (int variant = 0; variant < 3; variant++) {
			memcpy(bundle, d.cabundle, sizeof bundle);
			in.ncabundle = d.ncabundle;
			if (variant == 0) {
				bundle[2] = bundle[3];
				in.ncabundle = 3;
			} else if (variant == 1) {
				bundle[1] = d.cabundle[2];
				bundle[2] = d.cabundle[1];
			} else {
				in.ncabundle = 1;
			}
			assert_int_equal(spod_attest_doc_sign(alt, sizeof alt, &n, &in, key),
			                 SPOD_OK);
			memcpy(alt + n - SPOD_ATTEST_SIG_BYTES, d.signature.ptr,
			       SPOD_ATTEST_SIG_BYTES);
			assert_int_equal(spod_attest_parse(&re, alt, n), SPOD_OK);
			assert_int_equal(verify_at_own_time(alt, n, pol, NULL),
			                 SPOD_ATTEST_BAD_SIGNATURE);
		}
	}
	EVP_PKEY_free(key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_real_docs_verify_at_their_time),
	    cmocka_unit_test(test_real_docs_fail_today),
	    cmocka_unit_test(test_real_optional_fields),
	    cmocka_unit_test(test_nitrotpm_rejected),
	    cmocka_unit_test(test_real_signature_bit_flips),
	    cmocka_unit_test(test_real_payload_bit_flips),
	    cmocka_unit_test(test_real_truncated_at_every_length),
	    cmocka_unit_test(test_real_tagged_docs_verify),
	    cmocka_unit_test(test_real_tagged_tampering),
	    cmocka_unit_test(test_real_envelope_tampering),
	    cmocka_unit_test(test_real_signature_form),
	    cmocka_unit_test(test_real_roots),
	    cmocka_unit_test(test_real_pcr_policy),
	    cmocka_unit_test(test_real_nonce_freshness_binding),
	    cmocka_unit_test(test_real_cabundle_tampering),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
