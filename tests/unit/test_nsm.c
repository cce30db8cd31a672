/*
 * NSM backends: the nitro backend's CBOR requests byte for byte against AWS's NSM API
 * encoding, its decoding of well-formed and malformed answers through a fake transport
 * (the real /dev/nsm is never opened); the simulator's development CA, measurement,
 * limits and documents (verified with spod_attest_verify); and the backend selection.
 *
 * Expected request bytes are derived by hand from aws-nitro-enclaves-nsm-api's Request
 * enum as serde_cbor 0.11 encodes it (docs/research/nitro.md §3.1) and were cross-checked
 * with Debian's python3-cbor2 (/usr/bin/python3), e.g.
 *   cbor2.dumps({"Attestation": {"user_data": None, "nonce": None, "public_key": None}})
 * cbor2 keeps dict order, as serde_cbor keeps field declaration order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "attest/eif.h"
#include "common/hex.h"
#include "nsm/api.h"
#include "nsm/nsm.h"
#include "nsm/sim.h"
#include "spod/attest.h"
#include "spod/err.h"

/* ---- helpers ---- */

static size_t unhex(uint8_t *out, size_t cap, const char *hex)
{
	size_t n = 0;

	assert_int_equal(spod_hex_decode(out, cap, &n, hex), SPOD_OK);
	return n;
}

/* tests/data/attestation/<name> (SPOD_TEST_DATA: tests/CMakeLists.txt; __FILE__ is relative
 * since CMakeLists.txt maps the source directory away). */
static size_t read_fixture(uint8_t *out, size_t cap, const char *name)
{
	char path[512];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/attestation/%s", SPOD_TEST_DATA, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	n = fread(out, 1, cap, f);
	assert_true(feof(f));
	fclose(f);
	return n;
}

/* What the fake device does: record the request, check it, answer with canned bytes. */
struct fake {
	const uint8_t *expect; /* NULL: any request */
	size_t expect_len;
	const uint8_t *resp;
	size_t resp_len;
	int rc;      /* returned instead of answering when negative */
	int lie_len; /* report one byte more than the buffer holds */
	int calls;
	uint8_t req[SPOD_NSM_REQUEST_MAX_BYTES];
	size_t req_len;
	size_t resp_cap;
};

static int fake_transport(void *ctx, const uint8_t *req, size_t req_len, uint8_t *resp,
                          size_t resp_cap, size_t *resp_len)
{
	struct fake *f = ctx;
	size_t n;

	f->calls++;
	assert_true(req_len <= sizeof(f->req));
	memcpy(f->req, req, req_len);
	f->req_len = req_len;
	f->resp_cap = resp_cap;
	if (f->expect != NULL) {
		assert_int_equal(req_len, f->expect_len);
		assert_memory_equal(req, f->expect, req_len);
	}
	if (f->rc < 0)
		return f->rc;
	/* Like the driver: a longer answer is cut to the buffer without an error. */
	n = f->resp_len < resp_cap ? f->resp_len : resp_cap;
	memcpy(resp, f->resp, n);
	*resp_len = f->lie_len ? resp_cap + 1 : n;
	return SPOD_OK;
}

static struct spod_nsm *open_fake(struct fake *f)
{
	struct spod_nsm *n = NULL;

	assert_int_equal(spod_nsm_open_nitro_with(&n, fake_transport, f), SPOD_OK);
	assert_int_equal(spod_nsm_kind(n), SPOD_NSM_NITRO);
	return n;
}

static const struct spod_bytes absent = {NULL, 0};

/* 48 zero bytes in hex, the value of an unextended PCR; 32 and 16 bytes of 0xab. */
#define HEX_ZERO_48                                                                                \
	"000000000000000000000000000000000000000000000000"                                         \
	"000000000000000000000000000000000000000000000000"
#define HEX_AB_32 "abababababababababababababababababababababababababababababababab"
#define HEX_AB_16 "abababababababababababababababab"

/* ---- requests ---- */

/*
 * CBOR text strings of the NSM API's names: head 0x60 + length, then the UTF-8 bytes.
 * Used below to spell requests and answers.
 */
#define T_ATTESTATION  "6b4174746573746174696f6e" /* text(11) "Attestation" */
#define T_DESCRIBE_PCR "6b4465736372696265504352" /* text(11) "DescribePCR" */
#define T_GET_RANDOM   "6947657452616e646f6d"     /* text(9) "GetRandom" */
#define T_ERROR        "654572726f72"             /* text(5) "Error" */
#define T_DOCUMENT     "68646f63756d656e74"       /* text(8) "document" */
#define T_LOCK         "646c6f636b"               /* text(4) "lock" */
#define T_DATA         "6464617461"               /* text(4) "data" */
#define T_RANDOM       "6672616e646f6d"           /* text(6) "random" */
#define T_INDEX        "65696e646578"             /* text(5) "index" */
#define T_USER_DATA    "69757365725f64617461"     /* text(9) "user_data" */
#define T_NONCE        "656e6f6e6365"             /* text(5) "nonce" */
#define T_PUBLIC_KEY   "6a7075626c69635f6b6579"   /* text(10) "public_key" */

/*
 * Attestation{user_data: None, nonce: None, public_key: None}:
 *   a1                map(1): an externally tagged enum value
 *   T_ATTESTATION     its only key, the variant's name
 *   a3                map(3): the variant's fields, in declaration order
 *   T_USER_DATA f6    null = Option::None
 *   T_NONCE f6
 *   T_PUBLIC_KEY f6
 */
static const char req_attest_none_hex[] =
    "a1" T_ATTESTATION "a3" T_USER_DATA "f6" T_NONCE "f6" T_PUBLIC_KEY "f6";

/*
 * Attestation{user_data: Some(b"abc"), nonce: Some(bytes 0..31), public_key: Some(b"")}:
 * serde_bytes fields are byte strings: 43 = bytes(3); 58 20 = bytes(32), the length in
 * the next byte; 40 = bytes(0), Some(empty) from a non-NULL empty field.
 */
static const char req_attest_some_hex[] =
    "a1" T_ATTESTATION "a3" T_USER_DATA "43616263" T_NONCE
    "5820000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f" T_PUBLIC_KEY "40";

/*
 * DescribePCR{index}: a1 T_DESCRIBE_PCR a1 T_INDEX <uint>; index is a u16, written in the
 * shortest form: 00 for 0, 19 01 2c for 300 (0x19 = two-byte argument).
 */
static const char req_describe_0_hex[] = "a1" T_DESCRIBE_PCR "a1" T_INDEX "00";
static const char req_describe_300_hex[] = "a1" T_DESCRIBE_PCR "a1" T_INDEX "19012c";

/* GetRandom is a unit variant: just its name. */
static const char req_get_random_hex[] = T_GET_RANDOM;

static void test_encode_requests(void **state)
{
	uint8_t want[128], got[SPOD_NSM_REQUEST_MAX_BYTES], nonce[32];
	size_t want_len, got_len;
	struct spod_bytes ud = {(const uint8_t *)"abc", 3}, pk = {(const uint8_t *)"", 0};

	(void)state;
	for (size_t i = 0; i < sizeof(nonce); i++)
		nonce[i] = (uint8_t)i;

	want_len = unhex(want, sizeof(want), req_attest_none_hex);
	assert_int_equal(
	    spod_nsm_api_encode_attestation(got, sizeof(got), &got_len, absent, absent, absent),
	    SPOD_OK);
	assert_int_equal(got_len, want_len);
	assert_memory_equal(got, want, want_len);

	want_len = unhex(want, sizeof(want), req_attest_some_hex);
	assert_int_equal(spod_nsm_api_encode_attestation(got, sizeof(got), &got_len, ud,
	                                                 (struct spod_bytes){nonce, 32}, pk),
	                 SPOD_OK);
	assert_int_equal(got_len, want_len);
	assert_memory_equal(got, want, want_len);

	want_len = unhex(want, sizeof(want), req_describe_0_hex);
	assert_int_equal(spod_nsm_api_encode_describe_pcr(got, sizeof(got), &got_len, 0), SPOD_OK);
	assert_int_equal(got_len, want_len);
	assert_memory_equal(got, want, want_len);

	want_len = unhex(want, sizeof(want), req_describe_300_hex);
	assert_int_equal(spod_nsm_api_encode_describe_pcr(got, sizeof(got), &got_len, 300),
	                 SPOD_OK);
	assert_int_equal(got_len, want_len);
	assert_memory_equal(got, want, want_len);

	want_len = unhex(want, sizeof(want), req_get_random_hex);
	assert_int_equal(spod_nsm_api_encode_get_random(got, sizeof(got), &got_len), SPOD_OK);
	assert_int_equal(got_len, want_len);
	assert_memory_equal(got, want, want_len);
}

static void test_encode_small_buffer(void **state)
{
	uint8_t buf[64];
	size_t len = 99;

	(void)state;
	/* Every cap shorter than the message fails cleanly. */
	for (size_t cap = 0; cap < 44; cap++) {
		assert_int_equal(
		    spod_nsm_api_encode_attestation(buf, cap, &len, absent, absent, absent),
		    SPOD_E_TOO_LARGE);
		assert_int_equal(len, 0);
	}
	assert_int_equal(spod_nsm_api_encode_attestation(buf, 44, &len, absent, absent, absent),
	                 SPOD_OK);
	assert_int_equal(len, 44);
	for (size_t cap = 0; cap < 10; cap++)
		assert_int_equal(spod_nsm_api_encode_get_random(buf, cap, &len), SPOD_E_TOO_LARGE);
	assert_int_equal(spod_nsm_api_encode_attestation(
	                     buf, sizeof(buf), &len, (struct spod_bytes){NULL, 1}, absent, absent),
	                 SPOD_E_BAD_ARG);
}

/* ---- attestation through the nitro backend ---- */

/*
 * The answer to Attestation around doc: serde_cbor's Response::Attestation{document}
 *   a1                        map(1)
 *   6b "Attestation"          the variant
 *   a1                        map(1)
 *   68 "document"             text(8)
 *   59 LL LL <doc>            bytes, two-byte length (a real document is 4-5 KB)
 * or, when indefinite, bf ... ff for both maps.
 */
static size_t wrap_document(uint8_t *out, size_t cap, const uint8_t *doc, size_t len,
                            int indefinite)
{
	static const char head_hex[] = T_ATTESTATION;
	static const char field_hex[] = T_DOCUMENT;
	size_t off = 0;

	assert_true(len > 0xff && len <= 0xffff && cap >= len + 32);
	out[off++] = indefinite ? 0xbf : 0xa1;
	off += unhex(out + off, cap - off, head_hex);
	out[off++] = indefinite ? 0xbf : 0xa1;
	off += unhex(out + off, cap - off, field_hex);
	out[off++] = 0x59;
	out[off++] = (uint8_t)(len >> 8);
	out[off++] = (uint8_t)len;
	memcpy(out + off, doc, len);
	off += len;
	if (indefinite) {
		out[off++] = 0xff;
		out[off++] = 0xff;
	}
	return off;
}

static void test_attest_real_document(void **state)
{
	static uint8_t doc[8192], resp[8192], got[SPOD_ATTEST_DOC_MAX_BYTES], want[64];
	struct fake f = {0};
	struct spod_nsm *n;
	size_t doc_len, got_len = 0;
	struct spod_attest_doc parsed;

	(void)state;
	doc_len = read_fixture(doc, sizeof(doc), "marlin_aws_2024.cbor");
	assert_int_equal(doc_len, 4535);
	f.expect_len = unhex(want, sizeof(want), req_attest_none_hex);
	f.expect = want;
	f.resp = resp;
	f.resp_len = wrap_document(resp, sizeof(resp), doc, doc_len, 0);
	assert_memory_equal(resp,
	                    "\xa1\x6b"
	                    "Attestation\xa1\x68"
	                    "document\x59\x11\xb7",
	                    25);

	n = open_fake(&f);
	assert_int_equal(spod_nsm_attest(n, got, sizeof(got), &got_len, absent, absent, absent),
	                 SPOD_OK);
	assert_int_equal(f.calls, 1);
	assert_int_equal(f.resp_cap, SPOD_NSM_RESPONSE_MAX_BYTES);
	assert_int_equal(got_len, doc_len);
	assert_memory_equal(got, doc, doc_len);
	assert_int_equal(spod_attest_parse(&parsed, got, got_len), SPOD_OK);

	/* The same answer with indefinite-length maps. */
	f.resp_len = wrap_document(resp, sizeof(resp), doc, doc_len, 1);
	assert_int_equal(spod_nsm_attest(n, got, sizeof(got), &got_len, absent, absent, absent),
	                 SPOD_OK);
	assert_int_equal(got_len, doc_len);
	assert_memory_equal(got, doc, doc_len);

	/* A caller buffer one byte short. */
	assert_int_equal(spod_nsm_attest(n, got, doc_len - 1, &got_len, absent, absent, absent),
	                 SPOD_E_TOO_LARGE);
	assert_int_equal(got_len, 0);
	spod_nsm_close(n);
}

static void test_attest_sends_fields(void **state)
{
	uint8_t want[128], resp[8192], doc[8192], got[SPOD_ATTEST_DOC_MAX_BYTES], nonce[32];
	struct fake f = {0};
	struct spod_nsm *n;
	size_t got_len;

	(void)state;
	for (size_t i = 0; i < sizeof(nonce); i++)
		nonce[i] = (uint8_t)i;
	f.expect_len = unhex(want, sizeof(want), req_attest_some_hex);
	f.expect = want;
	f.resp = resp;
	f.resp_len = wrap_document(resp, sizeof(resp), doc,
	                           read_fixture(doc, sizeof(doc), "capejs_2022.cbor"), 0);
	n = open_fake(&f);
	assert_int_equal(spod_nsm_attest(n, got, sizeof(got), &got_len,
	                                 (struct spod_bytes){(const uint8_t *)"abc", 3},
	                                 (struct spod_bytes){nonce, 32},
	                                 (struct spod_bytes){(const uint8_t *)"", 0}),
	                 SPOD_OK);
	assert_int_equal(f.calls, 1);
	spod_nsm_close(n);
}

static void test_attest_limits(void **state)
{
	static uint8_t big[1025], resp[8192], doc[8192], got[SPOD_ATTEST_DOC_MAX_BYTES];
	struct fake f = {0};
	struct spod_nsm *n;
	size_t got_len;

	(void)state;
	f.resp = resp;
	f.resp_len = wrap_document(resp, sizeof(resp), doc,
	                           read_fixture(doc, sizeof(doc), "capejs_2022.cbor"), 0);
	n = open_fake(&f);
	/* One byte over each limit: refused before anything is sent. */
	assert_int_equal(spod_nsm_attest(n, got, sizeof(got), &got_len,
	                                 (struct spod_bytes){big, 513}, absent, absent),
	                 SPOD_E_BAD_ARG);
	assert_int_equal(spod_nsm_attest(n, got, sizeof(got), &got_len, absent,
	                                 (struct spod_bytes){big, 513}, absent),
	                 SPOD_E_BAD_ARG);
	assert_int_equal(spod_nsm_attest(n, got, sizeof(got), &got_len, absent, absent,
	                                 (struct spod_bytes){big, 1025}),
	                 SPOD_E_BAD_ARG);
	assert_int_equal(spod_nsm_attest(n, got, sizeof(got), &got_len,
	                                 (struct spod_bytes){NULL, 4}, absent, absent),
	                 SPOD_E_BAD_ARG);
	assert_int_equal(f.calls, 0);
	/* At the limits: sent, and the request still fits the driver's 4 KiB. */
	assert_int_equal(
	    spod_nsm_attest(n, got, sizeof(got), &got_len, (struct spod_bytes){big, 512},
	                    (struct spod_bytes){big, 512}, (struct spod_bytes){big, 1024}),
	    SPOD_OK);
	assert_int_equal(f.calls, 1);
	/* The 44-byte request with its three nulls replaced by heads 59 LL LL and the data. */
	assert_int_equal(f.req_len, 44 - 3 + 3 * 3 + 512 + 512 + 1024);
	assert_true(f.req_len <= SPOD_NSM_REQUEST_MAX_BYTES);
	spod_nsm_close(n);
}

/* One malformed answer and the code it must produce. */
struct bad_answer {
	const char *what;
	const char *hex;
	int rc;
};

/* The start of an Attestation answer: {"Attestation": {"document": ... */
#define ATT_DOC "a1" T_ATTESTATION "a1" T_DOCUMENT

static const struct bad_answer bad_attestation_answers[] = {
    {"not a map: the bare variant name", T_ATTESTATION, SPOD_E_PROTOCOL},
    {"empty map", "a0", SPOD_E_PROTOCOL},
    {"two variants in one map",
     "a2" T_ATTESTATION "a1" T_DOCUMENT "4101" T_ATTESTATION "a1" T_DOCUMENT "4101",
     SPOD_E_PROTOCOL},
    {"another variant (GetRandom)", "a1" T_GET_RANDOM "a1" T_RANDOM "4101", SPOD_E_PROTOCOL},
    {"variant name as bytes",
     "a14b4174746573746174696f6e"
     "a1" T_DOCUMENT "4101",
     SPOD_E_PROTOCOL},
    {"missing document", "a1" T_ATTESTATION "a0", SPOD_E_PROTOCOL},
    {"document is text", ATT_DOC "6178", SPOD_E_PROTOCOL},
    {"document is null", ATT_DOC "f6", SPOD_E_PROTOCOL},
    {"document is empty", ATT_DOC "40", SPOD_E_PROTOCOL},
    {"document twice", "a1" T_ATTESTATION "a2" T_DOCUMENT "4101" T_DOCUMENT "4101",
     SPOD_E_PROTOCOL},
    {"indefinite-length document", ATT_DOC "5f4101ff", SPOD_E_PROTOCOL},
    {"fields are not a map", "a1" T_ATTESTATION "814101", SPOD_E_PROTOCOL},
    {"integer field name", "a1" T_ATTESTATION "a1014101", SPOD_E_PROTOCOL},
    {"trailing byte", ATT_DOC "410100", SPOD_E_PROTOCOL},
    {"break inside a definite map", "a1" T_ATTESTATION "a1ff", SPOD_E_PROTOCOL},
    {"reserved additional info", "a1" T_ATTESTATION "bc", SPOD_E_PROTOCOL},
    {"unknown field nested 19 deep",
     "a1" T_ATTESTATION "a2" T_DOCUMENT "41016178"
     "8181818181818181818181818181818181818100",
     SPOD_E_PROTOCOL},
    {"indefinite map with an odd count", "a1" T_ATTESTATION "a2" T_DOCUMENT "41016178bf01ff",
     SPOD_E_PROTOCOL},
    {"truncated head", "a16b41747465", SPOD_E_TRUNCATED},
    {"truncated document bytes", ATT_DOC "5901000102", SPOD_E_TRUNCATED},
    {"indefinite map never closed", "bf" T_ATTESTATION "a1" T_DOCUMENT "4101", SPOD_E_TRUNCATED},
    {"huge definite map count", "a1" T_ATTESTATION "a2" T_DOCUMENT "41016178bb7fffffffffffffff",
     SPOD_E_TRUNCATED},
    {"empty answer", "", SPOD_E_TRUNCATED},
};

static void test_attest_malformed(void **state)
{
	uint8_t resp[256], got[SPOD_ATTEST_DOC_MAX_BYTES];
	struct fake f = {0};
	struct spod_nsm *n;
	size_t got_len;

	(void)state;
	f.resp = resp;
	n = open_fake(&f);
	for (size_t i = 0; i < sizeof(bad_attestation_answers) / sizeof(bad_attestation_answers[0]);
	     i++) {
		const struct bad_answer *b = &bad_attestation_answers[i];

		f.resp_len = b->hex[0] != '\0' ? unhex(resp, sizeof(resp), b->hex) : 0;
		got_len = 77;
		print_message("  %s\n", b->what);
		assert_int_equal(
		    spod_nsm_attest(n, got, sizeof(got), &got_len, absent, absent, absent), b->rc);
		assert_int_equal(got_len, 0);
	}
	spod_nsm_close(n);
}

static void test_attest_unknown_fields_skipped(void **state)
{
	uint8_t resp[256], got[SPOD_ATTEST_DOC_MAX_BYTES];
	struct fake f = {0};
	struct spod_nsm *n;
	size_t got_len;

	(void)state;
	/* {"Attestation": {"x": [1, -1, {"a": [h'', "t"]}, 1.5, null, true, 18(0)],
	 * "document": h'0102', "y": (_ h'01', h'02'), "z": (_ "a")}}. Tag 18 is one of the
	 * tags 6..20 that libcbor 0.8 alone refuses; the codec reads them (serde_cbor does). */
	f.resp_len = unhex(resp, sizeof(resp),
	                   "a1" T_ATTESTATION "a4"    /* map(4) */
	                   "6178870120a1616182406174" /* "x": [1, -1, {"a": [h'', "t"]}, */
	                   "f93e00f6f5d200"           /* 1.5, null, true, 18(0)] */
	                   T_DOCUMENT "420102"        /* "document": h'0102' */
	                   "61795f41014102ff"         /* "y": (_ h'01', h'02') */
	                   "617a7f6161ff");           /* "z": (_ "a") */
	f.resp = resp;
	n = open_fake(&f);
	assert_int_equal(spod_nsm_attest(n, got, sizeof(got), &got_len, absent, absent, absent),
	                 SPOD_OK);
	assert_int_equal(got_len, 2);
	assert_memory_equal(got, "\x01\x02", 2);
	spod_nsm_close(n);
}

static void test_attest_error_answers(void **state)
{
	static const struct {
		const char *name;
		int rc;
	} errors[] = {
	    {"InvalidArgument", SPOD_E_BAD_ARG},  {"InvalidIndex", SPOD_E_BAD_ARG},
	    {"ReadOnlyIndex", SPOD_E_BAD_ARG},    {"InvalidOperation", SPOD_E_BAD_ARG},
	    {"BufferTooSmall", SPOD_E_TOO_LARGE}, {"InputTooLarge", SPOD_E_TOO_LARGE},
	    {"InternalError", SPOD_E_IO},         {"InvalidResponse", SPOD_E_PROTOCOL},
	    {"Success", SPOD_E_PROTOCOL},         {"NoSuchError", SPOD_E_PROTOCOL},
	};
	uint8_t resp[64], got[SPOD_ATTEST_DOC_MAX_BYTES];
	struct fake f = {0};
	struct spod_nsm *n;
	size_t got_len, len;

	(void)state;
	f.resp = resp;
	n = open_fake(&f);
	for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
		/* a1 65 "Error" 6x "<name>": Response::Error(ErrorCode), a newtype variant
		 * holding a unit variant, which serde_cbor writes as its name. */
		len = strlen(errors[i].name);
		assert_true(len < 24);
		f.resp_len = unhex(resp, sizeof(resp), "a1" T_ERROR);
		resp[f.resp_len++] = (uint8_t)(0x60 + len); /* text(len) */
		memcpy(resp + f.resp_len, errors[i].name, len);
		f.resp_len += len;
		assert_int_equal(
		    spod_nsm_attest(n, got, sizeof(got), &got_len, absent, absent, absent),
		    errors[i].rc);
	}
	/* Cross-checked: cbor2.dumps({"Error": "InvalidArgument"}). */
	f.resp_len = unhex(resp, sizeof(resp), "a1" T_ERROR "6f496e76616c6964417267756d656e74");
	assert_int_equal(spod_nsm_attest(n, got, sizeof(got), &got_len, absent, absent, absent),
	                 SPOD_E_BAD_ARG);
	/* Error with a non-text code, or followed by junk. */
	f.resp_len = unhex(resp, sizeof(resp), "a1" T_ERROR "01");
	assert_int_equal(spod_nsm_attest(n, got, sizeof(got), &got_len, absent, absent, absent),
	                 SPOD_E_PROTOCOL);
	f.resp_len = unhex(resp, sizeof(resp),
	                   "a1" T_ERROR "6f496e76616c6964417267756d656e74"
	                   "00");
	assert_int_equal(spod_nsm_attest(n, got, sizeof(got), &got_len, absent, absent, absent),
	                 SPOD_E_PROTOCOL);
	spod_nsm_close(n);
}

static void test_attest_oversize_and_transport(void **state)
{
	static uint8_t resp[SPOD_NSM_RESPONSE_MAX_BYTES + 256];
	uint8_t got[SPOD_ATTEST_DOC_MAX_BYTES];
	struct fake f = {0};
	struct spod_nsm *n;
	size_t got_len, off;

	(void)state;
	/* The device's answer holds a 0x3100-byte document: the driver cuts it to the 0x3000
	 * buffer, the CBOR ends early, and that is reported as too large, not as garbage. */
	off = unhex(resp, sizeof(resp), ATT_DOC "593100");
	memset(resp + off, 0x5a, sizeof(resp) - off);
	f.resp = resp;
	f.resp_len = sizeof(resp);
	n = open_fake(&f);
	assert_int_equal(spod_nsm_attest(n, got, sizeof(got), &got_len, absent, absent, absent),
	                 SPOD_E_TOO_LARGE);
	/* The same cut a byte earlier is a malformed answer. */
	f.resp_len = SPOD_NSM_RESPONSE_MAX_BYTES - 1;
	assert_int_equal(spod_nsm_attest(n, got, sizeof(got), &got_len, absent, absent, absent),
	                 SPOD_E_TRUNCATED);
	/* A transport claiming more bytes than the buffer holds. */
	f.lie_len = 1;
	assert_int_equal(spod_nsm_attest(n, got, sizeof(got), &got_len, absent, absent, absent),
	                 SPOD_E_IO);
	f.lie_len = 0;
	/* Transport failures. */
	f.rc = SPOD_E_IO;
	assert_int_equal(spod_nsm_attest(n, got, sizeof(got), &got_len, absent, absent, absent),
	                 SPOD_E_IO);
	f.rc = SPOD_E_TOO_LARGE;
	assert_int_equal(spod_nsm_attest(n, got, sizeof(got), &got_len, absent, absent, absent),
	                 SPOD_E_TOO_LARGE);
	f.rc = SPOD_E_PROTOCOL;
	assert_int_equal(spod_nsm_attest(n, got, sizeof(got), &got_len, absent, absent, absent),
	                 SPOD_E_IO);
	spod_nsm_close(n);
}

/* ---- DescribePCR and GetRandom through the nitro backend ---- */

static void test_describe_pcr(void **state)
{
	uint8_t want[64], resp[128], pcr[SPOD_ATTEST_PCR_BYTES], ab[SPOD_ATTEST_PCR_BYTES];
	struct fake f = {0};
	struct spod_nsm *n;
	int locked = 7;

	(void)state;
	memset(ab, 0xab, sizeof(ab));
	f.expect_len = unhex(want, sizeof(want), req_describe_0_hex);
	f.expect = want;
	/* cbor2.dumps({"DescribePCR": {"lock": True, "data": b"\xab" * 48}}):
	 * a1 6b "DescribePCR" a2 64 "lock" f5 64 "data" 58 30 <48 bytes> */
	f.resp_len = unhex(resp, sizeof(resp),
	                   "a1" T_DESCRIBE_PCR "a2" T_LOCK "f5" T_DATA "5830" HEX_AB_32 HEX_AB_16);
	f.resp = resp;
	n = open_fake(&f);
	assert_int_equal(spod_nsm_describe_pcr(n, pcr, &locked, 0), SPOD_OK);
	assert_int_equal(locked, 1);
	assert_memory_equal(pcr, ab, sizeof(ab));

	/* Fields in the other order, unlocked, indefinite maps. */
	f.resp_len = unhex(resp, sizeof(resp),
	                   "bf" T_DESCRIBE_PCR "bf" T_DATA "5830" HEX_ZERO_48 T_LOCK "f4ffff");
	assert_int_equal(spod_nsm_describe_pcr(n, pcr, &locked, 0), SPOD_OK);
	assert_int_equal(locked, 0);

	/* 32-byte data (a SHA-256 NSM) is not what spod expects. */
	f.resp_len =
	    unhex(resp, sizeof(resp), "a1" T_DESCRIBE_PCR "a2" T_LOCK "f5" T_DATA "5820" HEX_AB_32);
	locked = 7;
	assert_int_equal(spod_nsm_describe_pcr(n, pcr, &locked, 0), SPOD_E_PROTOCOL);
	assert_int_equal(locked, 0);
	/* lock as an integer; lock missing. */
	f.resp_len = unhex(resp, sizeof(resp),
	                   "a1" T_DESCRIBE_PCR "a2" T_LOCK "01" T_DATA "5830" HEX_ZERO_48);
	assert_int_equal(spod_nsm_describe_pcr(n, pcr, &locked, 0), SPOD_E_PROTOCOL);
	f.resp_len = unhex(resp, sizeof(resp), "a1" T_DESCRIBE_PCR "a1" T_DATA "5830" HEX_ZERO_48);
	assert_int_equal(spod_nsm_describe_pcr(n, pcr, &locked, 0), SPOD_E_PROTOCOL);
	/* The device says the index is out of range. */
	f.expect = NULL;
	f.resp_len = unhex(resp, sizeof(resp), "a1" T_ERROR "6c496e76616c6964496e646578");
	assert_int_equal(spod_nsm_describe_pcr(n, pcr, &locked, 40), SPOD_E_BAD_ARG);
	spod_nsm_close(n);
}

static void test_get_random(void **state)
{
	uint8_t want[16], resp[512], out[600], exp[600];
	struct fake f = {0};
	struct spod_nsm *n;
	size_t off;

	(void)state;
	f.expect_len = unhex(want, sizeof(want), req_get_random_hex);
	f.expect = want;
	/* a1 69 "GetRandom" a1 66 "random" 59 01 00 <256 bytes>: the Linux driver's own parser
	 * expects exactly this prefix. */
	off = unhex(resp, sizeof(resp), "a1" T_GET_RANDOM "a1" T_RANDOM "590100");
	for (size_t i = 0; i < 256; i++)
		resp[off + i] = (uint8_t)i;
	f.resp = resp;
	f.resp_len = off + 256;
	n = open_fake(&f);
	for (size_t i = 0; i < sizeof(exp); i++)
		exp[i] = (uint8_t)(i % 256);
	/* 600 bytes take three requests (256 + 256 + 88). */
	assert_int_equal(spod_nsm_get_random(n, out, sizeof(out)), SPOD_OK);
	assert_int_equal(f.calls, 3);
	assert_memory_equal(out, exp, sizeof(out));

	/* An empty answer would loop forever: refused, and out is wiped. */
	f.resp_len = unhex(resp, sizeof(resp), "a1" T_GET_RANDOM "a1" T_RANDOM "40");
	assert_int_equal(spod_nsm_get_random(n, out, 16), SPOD_E_PROTOCOL);
	memset(exp, 0, 16);
	assert_memory_equal(out, exp, 16);
	/* More than 256 bytes in one answer is not what the NSM does. */
	off = unhex(resp, sizeof(resp), "a1" T_GET_RANDOM "a1" T_RANDOM "590101");
	memset(resp + off, 1, 257);
	f.resp_len = off + 257;
	assert_int_equal(spod_nsm_get_random(n, out, 16), SPOD_E_PROTOCOL);
	spod_nsm_close(n);
}

/* The real transport, on a character device that is not an NSM: /dev/null answers the
 * ioctl with ENOTTY, which must come back as an I/O error (and nothing else happens). */
static void test_nitro_real_ioctl_on_dev_null(void **state)
{
	uint8_t got[SPOD_ATTEST_DOC_MAX_BYTES], pcr[SPOD_ATTEST_PCR_BYTES];
	struct spod_nsm *n = NULL;
	size_t got_len;
	int locked;

	(void)state;
	assert_int_equal(spod_nsm_open_nitro(&n, "/dev/null"), SPOD_OK);
	assert_int_equal(spod_nsm_kind(n), SPOD_NSM_NITRO);
	assert_int_equal(spod_nsm_attest(n, got, sizeof(got), &got_len, absent, absent, absent),
	                 SPOD_E_IO);
	assert_int_equal(spod_nsm_describe_pcr(n, pcr, &locked, 0), SPOD_E_IO);
	spod_nsm_close(n);
}

/* ---- the simulator ---- */

struct sim_env {
	char base[64];
	char state[96];
	char image[96];
	char device[96]; /* a regular file standing in for /dev/nsm; never opened as one */
	uint8_t pcr0[SPOD_ATTEST_PCR_BYTES];
};

#define IMAGE_BYTES 200000u

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* SHA384(48 zero bytes || SHA384(data)), computed here with EVP, apart from sim.c. */
static void extend_zero(uint8_t out[SPOD_ATTEST_PCR_BYTES], const uint8_t *data, size_t len)
{
	uint8_t buf[96] = {0};
	unsigned int n;

	assert_int_equal(EVP_Digest(data, len, buf + 48, &n, EVP_sha384(), NULL), 1);
	assert_int_equal(EVP_Digest(buf, sizeof(buf), out, &n, EVP_sha384(), NULL), 1);
}

static int sim_setup(void **state)
{
	static uint8_t image[IMAGE_BYTES];
	struct sim_env *e = calloc(1, sizeof(*e));
	FILE *f;

	assert_non_null(e);
	strcpy(e->base, "/tmp/spod-nsm-XXXXXX");
	assert_non_null(mkdtemp(e->base));
	snprintf(e->state, sizeof(e->state), "%s/state", e->base);
	snprintf(e->image, sizeof(e->image), "%s/enclave.img", e->base);
	snprintf(e->device, sizeof(e->device), "%s/nsm", e->base);
	/* Bigger than the simulator's 64 KiB read chunk, not a multiple of it. */
	for (size_t i = 0; i < IMAGE_BYTES; i++)
		image[i] = (uint8_t)(i * 7 + (i >> 8));
	f = fopen(e->image, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(image, 1, IMAGE_BYTES, f), IMAGE_BYTES);
	assert_int_equal(fclose(f), 0);
	extend_zero(e->pcr0, image, IMAGE_BYTES);
	*state = e;
	return 0;
}

static int sim_teardown(void **state)
{
	struct sim_env *e = *state;

	nftw(e->base, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(e);
	return 0;
}

static void test_sim_pcrs_and_module_id(void **state)
{
	struct sim_env *e = *state;
	uint8_t pcr[SPOD_ATTEST_PCR_BYTES], want[SPOD_ATTEST_PCR_BYTES], zero[48] = {0};
	struct spod_nsm *n = NULL;
	int locked;

	assert_int_equal(spod_nsm_open_sim(&n, e->state, e->image), SPOD_OK);
	assert_int_equal(spod_nsm_kind(n), SPOD_NSM_SIM);
	assert_int_equal(spod_nsm_describe_pcr(n, pcr, &locked, 0), SPOD_OK);
	assert_memory_equal(pcr, e->pcr0, sizeof(pcr));
	assert_int_equal(locked, 1);
	assert_int_equal(spod_nsm_describe_pcr(n, pcr, &locked, 1), SPOD_OK);
	assert_memory_equal(pcr, e->pcr0, sizeof(pcr));
	extend_zero(want, NULL, 0);
	assert_int_equal(spod_nsm_describe_pcr(n, pcr, &locked, 2), SPOD_OK);
	assert_memory_equal(pcr, want, sizeof(pcr));
	/* The formula's known value for an empty application part (docs/research/nitro.md). */
	assert_int_equal(
	    spod_hex_decode(want, sizeof(want), &(size_t){0},
	                    "21b9efbc184807662e966d34f390821309eeac6802309798826296bf3e8bec"
	                    "7c10edb30948c90ba67310f7b964fc500a"),
	    SPOD_OK);
	assert_memory_equal(pcr, want, sizeof(pcr));
	for (uint16_t i = 3; i < 32; i++) {
		assert_int_equal(spod_nsm_describe_pcr(n, pcr, &locked, i), SPOD_OK);
		assert_memory_equal(pcr, zero, sizeof(pcr));
		assert_int_equal(locked, i < 16);
	}
	memset(pcr, 0x55, sizeof(pcr));
	assert_int_equal(spod_nsm_describe_pcr(n, pcr, &locked, 32), SPOD_E_BAD_ARG);
	assert_memory_equal(pcr, zero, sizeof(pcr));
	spod_nsm_close(n);

	/* A missing image is an I/O error, and so is a directory. */
	assert_int_equal(spod_nsm_open_sim(&n, e->state, "/nonexistent/spod-image"), SPOD_E_IO);
	assert_null(n);
	assert_int_equal(spod_nsm_open_sim(&n, e->state, e->base), SPOD_E_IO);
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* A file that starts like an EIF but is corrupt is refused, not hashed as a blob; img is
 * a valid image, damaged here. */
static void check_sim_refuses_bad_eif(struct sim_env *e, uint8_t *img, size_t img_len)
{
	uint8_t pcr[SPOD_ATTEST_PCR_BYTES], want[SPOD_ATTEST_PCR_BYTES];
	struct spod_nsm *n = NULL;
	char bad[128];
	int locked;

	img[img_len - 1] ^= 1; /* CRC mismatch */
	snprintf(bad, sizeof(bad), "%s/corrupt.eif", e->base);
	write_file(bad, img, img_len);
	assert_int_equal(spod_nsm_open_sim(&n, e->state, bad), SPOD_E_IO);
	assert_null(n);
	/* Shorter than the magic, or the magic alone: still files, measured as one blob/refused. */
	write_file(bad, ".ei", 3);
	assert_int_equal(spod_nsm_open_sim(&n, e->state, bad), SPOD_OK);
	extend_zero(want, (const uint8_t *)".ei", 3);
	assert_int_equal(spod_nsm_describe_pcr(n, pcr, &locked, 0), SPOD_OK);
	assert_memory_equal(pcr, want, sizeof(pcr));
	spod_nsm_close(n);
	write_file(bad, ".eif", 4);
	assert_int_equal(spod_nsm_open_sim(&n, e->state, bad), SPOD_E_IO);
	assert_null(n);
}

/* An EIF at the image path is measured as nitro-cli measures it, not as one blob. */
static void test_sim_measures_eif(void **state)
{
	struct sim_env *e = *state;
	static uint8_t kernel[70000], init[5000], app[90001];
	static const char cmdline[] = "console=ttyS0 reboot=k panic=30 pci=off quiet";
	static const char meta[] = "{\"ImageName\":\"test\"}";
	const uint8_t *rd[2] = {init, app};
	const size_t rd_len[2] = {sizeof(init), sizeof(app)};
	struct spod_eif_build_in in = {.kernel = kernel,
	                               .kernel_len = sizeof(kernel),
	                               .cmdline = cmdline,
	                               .ramdisks = rd,
	                               .ramdisk_lens = rd_len,
	                               .nramdisks = 2,
	                               .metadata = (const uint8_t *)meta,
	                               .metadata_len = sizeof(meta) - 1};
	uint8_t pcr[SPOD_ATTEST_PCR_BYTES], want[SPOD_ATTEST_PCR_BYTES], zero[48] = {0};
	uint8_t *img, *cat;
	size_t img_len = 0, cat_len = sizeof(kernel) + strlen(cmdline) + sizeof(init);
	char path[128];
	struct spod_nsm *n = NULL;
	int locked;

	for (size_t i = 0; i < sizeof(kernel); i++)
		kernel[i] = (uint8_t)(i * 13 + 1);
	memset(init, 0x11, sizeof(init));
	for (size_t i = 0; i < sizeof(app); i++)
		app[i] = (uint8_t)(i >> 3);
	assert_int_equal(spod_eif_build(NULL, 0, &img_len, &in), SPOD_E_TOO_LARGE);
	img = malloc(img_len);
	assert_non_null(img);
	assert_int_equal(spod_eif_build(img, img_len, &img_len, &in), SPOD_OK);
	snprintf(path, sizeof(path), "%s/enclave.eif", e->base);
	write_file(path, img, img_len);

	assert_int_equal(spod_nsm_open_sim(&n, e->state, path), SPOD_OK);
	/* PCR1 = kernel || cmdline || first ramdisk, PCR2 = the other ramdisk, PCR0 = all. */
	cat = malloc(cat_len + sizeof(app));
	assert_non_null(cat);
	memcpy(cat, kernel, sizeof(kernel));
	memcpy(cat + sizeof(kernel), cmdline, strlen(cmdline));
	memcpy(cat + sizeof(kernel) + strlen(cmdline), init, sizeof(init));
	memcpy(cat + cat_len, app, sizeof(app));
	extend_zero(want, cat, cat_len + sizeof(app));
	assert_int_equal(spod_nsm_describe_pcr(n, pcr, &locked, 0), SPOD_OK);
	assert_memory_equal(pcr, want, sizeof(pcr));
	assert_int_equal(locked, 1);
	extend_zero(want, cat, cat_len);
	assert_int_equal(spod_nsm_describe_pcr(n, pcr, &locked, 1), SPOD_OK);
	assert_memory_equal(pcr, want, sizeof(pcr));
	extend_zero(want, app, sizeof(app));
	assert_int_equal(spod_nsm_describe_pcr(n, pcr, &locked, 2), SPOD_OK);
	assert_memory_equal(pcr, want, sizeof(pcr));
	for (uint16_t i = 3; i < 32; i++) {
		assert_int_equal(spod_nsm_describe_pcr(n, pcr, &locked, i), SPOD_OK);
		assert_memory_equal(pcr, zero, sizeof(pcr));
	}
	spod_nsm_close(n);

	/* The same values as `spod measure` (spod_eif_measure). */
	{
		struct spod_eif eif;
		struct spod_eif_pcrs m;

		assert_int_equal(spod_eif_parse(&eif, img, img_len), SPOD_OK);
		assert_int_equal(spod_eif_measure(&m, &eif), SPOD_OK);
		assert_int_equal(spod_nsm_open_sim(&n, e->state, path), SPOD_OK);
		assert_int_equal(spod_nsm_describe_pcr(n, pcr, &locked, 0), SPOD_OK);
		assert_memory_equal(pcr, m.pcr0, sizeof(pcr));
		spod_nsm_close(n);
	}

	check_sim_refuses_bad_eif(e, img, img_len);
	free(cat);
	free(img);
}

static void test_sim_root_files(void **state)
{
	struct sim_env *e = *state;
	static char pem1[8192], pem2[8192];
	char path[160], cn[128];
	struct spod_nsm *a = NULL, *b = NULL;
	struct stat st;
	BIO *bio;
	X509 *cert;
	EVP_PKEY *key;
	int days = 0, secs = 0;

	assert_int_equal(spod_nsm_sim_root_pem(pem1, sizeof(pem1), e->state), SPOD_E_UNAVAILABLE);
	assert_int_equal(spod_nsm_open_sim(&a, e->state, e->image), SPOD_OK);
	assert_int_equal(stat(e->state, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	snprintf(path, sizeof(path), "%s/nsm-sim-root.pem", e->state);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(path, sizeof(path), "%s/nsm-sim-root.key", e->state);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(spod_nsm_sim_root_pem(pem1, sizeof(pem1), e->state), SPOD_OK);

	/* A second simulator on the same state directory reuses the root byte for byte. */
	assert_int_equal(spod_nsm_open_sim(&b, e->state, e->image), SPOD_OK);
	assert_int_equal(spod_nsm_sim_root_pem(pem2, sizeof(pem2), e->state), SPOD_OK);
	assert_string_equal(pem1, pem2);
	assert_int_equal(spod_nsm_sim_root_pem(pem2, strlen(pem1), e->state), SPOD_E_TOO_LARGE);
	assert_int_equal(spod_nsm_sim_root_pem(pem2, strlen(pem1) + 1, e->state), SPOD_OK);
	spod_nsm_close(a);
	spod_nsm_close(b);

	/* The root: self-signed P-384 with the development CN, valid ten years. */
	bio = BIO_new_mem_buf(pem1, -1);
	cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	assert_non_null(cert);
	X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof(cn));
	assert_string_equal(cn, "spod DEVELOPMENT NSM root \xe2\x80\x94 not AWS");
	assert_int_equal(X509_NAME_cmp(X509_get_subject_name(cert), X509_get_issuer_name(cert)), 0);
	key = X509_get0_pubkey(cert);
	assert_non_null(key);
	assert_int_equal(EVP_PKEY_get_bits(key), 384);
	assert_int_equal(X509_verify(cert, key), 1);
	assert_int_equal(X509_get_signature_nid(cert), NID_ecdsa_with_SHA384);
	assert_int_equal(
	    ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(cert), X509_get0_notAfter(cert)), 1);
	assert_int_equal(days, 3652);
	assert_int_equal(secs, 0);
	X509_free(cert);
	BIO_free(bio);
}

static void test_sim_bad_root_files(void **state)
{
	struct sim_env *e = *state;
	struct spod_nsm *n = NULL;
	char path[160];
	FILE *f;

	assert_int_equal(spod_nsm_open_sim(&n, e->state, e->image), SPOD_OK);
	spod_nsm_close(n);
	/* A certificate file that is not a certificate: refused, not silently replaced. */
	snprintf(path, sizeof(path), "%s/nsm-sim-root.pem", e->state);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("not a certificate\n", f);
	fclose(f);
	assert_int_equal(spod_nsm_open_sim(&n, e->state, e->image), SPOD_E_IO);
	assert_null(n);
	assert_int_equal(spod_nsm_sim_root_pem(path, sizeof(path), e->state), SPOD_E_IO);
	/* Without the certificate, a new root is created. */
	snprintf(path, sizeof(path), "%s/nsm-sim-root.pem", e->state);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(spod_nsm_open_sim(&n, e->state, e->image), SPOD_OK);
	spod_nsm_close(n);
	/* A key file without its certificate's key... removed: refused. */
	snprintf(path, sizeof(path), "%s/nsm-sim-root.key", e->state);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(spod_nsm_open_sim(&n, e->state, e->image), SPOD_E_IO);
	/* A state directory that cannot be created. */
	assert_int_equal(spod_nsm_open_sim(&n, "/nonexistent/spod/state", e->image), SPOD_E_IO);
}

static size_t sim_attest(struct spod_nsm *n, uint8_t *doc, size_t cap, struct spod_bytes ud,
                         struct spod_bytes nonce, struct spod_bytes pk)
{
	size_t len = 0;

	assert_int_equal(spod_nsm_attest(n, doc, cap, &len, ud, nonce, pk), SPOD_OK);
	assert_true(len > 0 && len <= cap);
	return len;
}

/* Verifies under the sim root read from state_dir, at the document's own time. */
static int verify_sim(struct spod_attest_result *res, const uint8_t *doc, size_t len,
                      const char *state_dir, const struct spod_attest_policy *extra)
{
	static char pem[8192];
	struct spod_attest_policy pol = {0};
	struct spod_attest_doc parsed;

	if (extra != NULL)
		pol = *extra;
	assert_int_equal(spod_nsm_sim_root_pem(pem, sizeof(pem), state_dir), SPOD_OK);
	pol.root = (struct spod_bytes){(const uint8_t *)pem, strlen(pem)};
	assert_int_equal(spod_attest_parse(&parsed, doc, len), SPOD_OK);
	pol.at = parsed.timestamp_ms / 1000;
	return spod_attest_verify(res, doc, len, &pol);
}

static void test_sim_documents_verify(void **state)
{
	struct sim_env *e = *state;
	static uint8_t doc1[SPOD_ATTEST_DOC_MAX_BYTES], doc2[SPOD_ATTEST_DOC_MAX_BYTES];
	static struct spod_attest_result res;
	struct spod_attest_doc d1, d2;
	struct spod_attest_policy pol = {0};
	struct spod_attest_pcr_expect pcr0 = {0, e->pcr0, sizeof(e->pcr0)};
	struct spod_nsm *a = NULL, *b = NULL;
	uint8_t nonce[32];
	size_t len1, len2;

	memset(nonce, 0x42, sizeof(nonce));
	assert_int_equal(spod_nsm_open_sim(&a, e->state, e->image), SPOD_OK);
	len1 = sim_attest(a, doc1, sizeof(doc1), (struct spod_bytes){(const uint8_t *)"hi", 2},
	                  (struct spod_bytes){nonce, sizeof(nonce)}, absent);
	assert_int_equal(spod_attest_parse(&d1, doc1, len1), SPOD_OK);
	assert_non_null(memmem(d1.module_id.ptr, d1.module_id.len, "sim", 3));
	assert_int_equal(d1.module_id.len, strlen("spod-sim-") + 16);
	assert_memory_equal(d1.module_id.ptr, "spod-sim-", 9);
	assert_int_equal(d1.npcrs, 16);
	assert_int_equal(d1.pcrs[0].len, 48);
	assert_memory_equal(d1.pcrs[0].ptr, e->pcr0, 48);
	assert_int_equal(d1.ncabundle, 2);
	assert_null(d1.public_key.ptr);
	assert_int_equal(d1.user_data.len, 2);
	assert_int_equal(d1.nonce.len, 32);

	/* Under the sim root, with PCR0 and nonce expectations: accepted. */
	pol.pcrs = &pcr0;
	pol.npcrs = 1;
	pol.nonce = (struct spod_bytes){nonce, sizeof(nonce)};
	assert_int_equal(verify_sim(&res, doc1, len1, e->state, &pol), SPOD_OK);
	assert_int_equal(res.status, SPOD_ATTEST_OK);
	/* Under the AWS root (the default policy): rejected. */
	memset(&pol, 0, sizeof(pol));
	pol.at = d1.timestamp_ms / 1000;
	assert_int_equal(spod_attest_verify(&res, doc1, len1, &pol), SPOD_E_BAD_SIGNATURE);
	assert_int_equal(res.status, SPOD_ATTEST_BAD_CHAIN);

	/* A second simulator: same root, new intermediate and leaf, other module_id. */
	assert_int_equal(spod_nsm_open_sim(&b, e->state, e->image), SPOD_OK);
	len2 = sim_attest(b, doc2, sizeof(doc2), absent, absent, absent);
	assert_int_equal(spod_attest_parse(&d2, doc2, len2), SPOD_OK);
	assert_int_equal(d1.cabundle[0].len, d2.cabundle[0].len);
	assert_memory_equal(d1.cabundle[0].ptr, d2.cabundle[0].ptr, d1.cabundle[0].len);
	assert_false(d1.cabundle[1].len == d2.cabundle[1].len &&
	             memcmp(d1.cabundle[1].ptr, d2.cabundle[1].ptr, d1.cabundle[1].len) == 0);
	assert_false(d1.certificate.len == d2.certificate.len &&
	             memcmp(d1.certificate.ptr, d2.certificate.ptr, d1.certificate.len) == 0);
	assert_false(d1.module_id.len == d2.module_id.len &&
	             memcmp(d1.module_id.ptr, d2.module_id.ptr, d1.module_id.len) == 0);
	assert_null(d2.user_data.ptr);
	assert_null(d2.nonce.ptr);
	assert_int_equal(verify_sim(&res, doc2, len2, e->state, NULL), SPOD_OK);

	/* A tampered document fails. */
	doc2[len2 / 2] ^= 1;
	assert_int_not_equal(verify_sim(&res, doc2, len2, e->state, NULL), SPOD_OK);
	spod_nsm_close(a);
	spod_nsm_close(b);
}

static void test_sim_limits(void **state)
{
	struct sim_env *e = *state;
	static uint8_t doc[SPOD_ATTEST_DOC_MAX_BYTES], big[1025];
	static struct spod_attest_result res;
	struct spod_nsm *n = NULL;
	size_t len = 5;

	assert_int_equal(spod_nsm_open_sim(&n, e->state, e->image), SPOD_OK);
	assert_int_equal(spod_nsm_attest(n, doc, sizeof(doc), &len, (struct spod_bytes){big, 513},
	                                 absent, absent),
	                 SPOD_E_BAD_ARG);
	assert_int_equal(len, 0);
	assert_int_equal(spod_nsm_attest(n, doc, sizeof(doc), &len, absent,
	                                 (struct spod_bytes){big, 513}, absent),
	                 SPOD_E_BAD_ARG);
	assert_int_equal(spod_nsm_attest(n, doc, sizeof(doc), &len, absent, absent,
	                                 (struct spod_bytes){big, 1025}),
	                 SPOD_E_BAD_ARG);
	/* At the limits the document is built and verifies. */
	len = sim_attest(n, doc, sizeof(doc), (struct spod_bytes){big, 512},
	                 (struct spod_bytes){big, 512}, (struct spod_bytes){big, 1024});
	assert_int_equal(verify_sim(&res, doc, len, e->state, NULL), SPOD_OK);
	/* A buffer too small for the document. */
	assert_int_equal(spod_nsm_attest(n, doc, 100, &len, absent, absent, absent),
	                 SPOD_E_TOO_LARGE);
	spod_nsm_close(n);
}

static void test_sim_certificate_renewal(void **state)
{
	struct sim_env *e = *state;
	static uint8_t doc1[SPOD_ATTEST_DOC_MAX_BYTES], doc2[SPOD_ATTEST_DOC_MAX_BYTES];
	static struct spod_attest_result res;
	struct spod_attest_doc d1, d2;
	struct spod_nsm *n = NULL;
	size_t len1, len2;

	assert_int_equal(spod_nsm_open_sim(&n, e->state, e->image), SPOD_OK);
	len1 = sim_attest(n, doc1, sizeof(doc1), absent, absent, absent);
	assert_int_equal(spod_attest_parse(&d1, doc1, len1), SPOD_OK);

	/* Within the first hour the leaf is kept. */
	spod_nsm_sim_advance_clock(n, 59 * 60 * 1000LL);
	len2 = sim_attest(n, doc2, sizeof(doc2), absent, absent, absent);
	assert_int_equal(spod_attest_parse(&d2, doc2, len2), SPOD_OK);
	assert_int_equal(d1.certificate.len, d2.certificate.len);
	assert_memory_equal(d1.certificate.ptr, d2.certificate.ptr, d1.certificate.len);
	assert_int_equal(verify_sim(&res, doc2, len2, e->state, NULL), SPOD_OK);

	/* After it, a new leaf, and the document still verifies at its own time... */
	spod_nsm_sim_advance_clock(n, 2 * 60 * 1000LL);
	len2 = sim_attest(n, doc2, sizeof(doc2), absent, absent, absent);
	assert_int_equal(spod_attest_parse(&d2, doc2, len2), SPOD_OK);
	assert_false(d1.certificate.len == d2.certificate.len &&
	             memcmp(d1.certificate.ptr, d2.certificate.ptr, d1.certificate.len) == 0);
	assert_memory_equal(d1.cabundle[1].ptr, d2.cabundle[1].ptr, d1.cabundle[1].len);
	assert_int_equal(verify_sim(&res, doc2, len2, e->state, NULL), SPOD_OK);
	/* ...which the first document would not: its leaf has expired three hours on. */
	{
		static char pem[8192];
		struct spod_attest_policy pol = {0};

		assert_int_equal(spod_nsm_sim_root_pem(pem, sizeof(pem), e->state), SPOD_OK);
		pol.root = (struct spod_bytes){(const uint8_t *)pem, strlen(pem)};
		pol.at = d1.timestamp_ms / 1000 + 3 * 3600 + 1;
		assert_int_equal(spod_attest_verify(&res, doc1, len1, &pol), SPOD_E_BAD_SIGNATURE);
		assert_int_equal(res.status, SPOD_ATTEST_CERT_EXPIRED);
	}

	/* Past the 30-day intermediate: a new intermediate too. */
	spod_nsm_sim_advance_clock(n, 30 * 86400 * 1000LL);
	len2 = sim_attest(n, doc2, sizeof(doc2), absent, absent, absent);
	assert_int_equal(spod_attest_parse(&d2, doc2, len2), SPOD_OK);
	assert_false(d1.cabundle[1].len == d2.cabundle[1].len &&
	             memcmp(d1.cabundle[1].ptr, d2.cabundle[1].ptr, d1.cabundle[1].len) == 0);
	assert_int_equal(verify_sim(&res, doc2, len2, e->state, NULL), SPOD_OK);
	spod_nsm_close(n);
}

static void test_sim_get_random(void **state)
{
	struct sim_env *e = *state;
	uint8_t a[600] = {0}, b[600] = {0};
	struct spod_nsm *n = NULL;

	assert_int_equal(spod_nsm_open_sim(&n, e->state, e->image), SPOD_OK);
	assert_int_equal(spod_nsm_get_random(n, a, sizeof(a)), SPOD_OK);
	assert_int_equal(spod_nsm_get_random(n, b, sizeof(b)), SPOD_OK);
	assert_memory_not_equal(a, b, sizeof(a));
	spod_nsm_close(n);
}

/* ---- selection ---- */

static void touch(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	close(fd);
}

static void test_select(void **state)
{
	struct sim_env *e = *state;
	static char pem[8192];
	struct spod_nsm *n = NULL;

	/* No device: "sim" and "auto" simulate, "nitro" cannot. */
	assert_int_equal(spod_nsm_open_auto(&n, "nitro", e->device, e->state, e->image, 0),
	                 SPOD_E_UNAVAILABLE);
	assert_null(n);
	assert_int_equal(spod_nsm_sim_root_pem(pem, sizeof(pem), e->state), SPOD_E_UNAVAILABLE);
	assert_int_equal(spod_nsm_open_auto(&n, "sim", e->device, e->state, e->image, 0), SPOD_OK);
	assert_int_equal(spod_nsm_kind(n), SPOD_NSM_SIM);
	spod_nsm_close(n);
	assert_int_equal(spod_nsm_open_auto(&n, "auto", e->device, e->state, e->image, 0), SPOD_OK);
	assert_int_equal(spod_nsm_kind(n), SPOD_NSM_SIM);
	spod_nsm_close(n);
	n = NULL;
	assert_int_equal(spod_nsm_open_auto(&n, "Sim", e->device, e->state, e->image, 0),
	                 SPOD_E_BAD_ARG);
	assert_int_equal(spod_nsm_open_auto(&n, "", e->device, e->state, e->image, 0),
	                 SPOD_E_BAD_ARG);
	assert_null(n);

	/* A device path present (a regular file here): "sim" is refused unless overridden. */
	touch(e->device);
	assert_int_equal(spod_nsm_open_auto(&n, "sim", e->device, e->state, e->image, 0),
	                 SPOD_E_BAD_ARG);
	assert_null(n);
	assert_int_equal(spod_nsm_open_auto(&n, "sim", e->device, e->state, e->image, 1), SPOD_OK);
	assert_int_equal(spod_nsm_kind(n), SPOD_NSM_SIM);
	spod_nsm_close(n);
	n = NULL;
	/* "auto" and "nitro" take the device and do not fall back; a regular file is not a
	 * character device, so it is refused before any ioctl. */
	assert_int_equal(spod_nsm_open_auto(&n, "auto", e->device, e->state, e->image, 1),
	                 SPOD_E_IO);
	assert_null(n);
	assert_int_equal(spod_nsm_open_auto(&n, "nitro", e->device, e->state, e->image, 0),
	                 SPOD_E_IO);
	assert_null(n);
	/* A real character device is taken by "auto" as the NSM. */
	assert_int_equal(spod_nsm_open_auto(&n, "auto", "/dev/null", e->state, e->image, 0),
	                 SPOD_OK);
	assert_int_equal(spod_nsm_kind(n), SPOD_NSM_NITRO);
	spod_nsm_close(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_encode_requests),
	    cmocka_unit_test(test_encode_small_buffer),
	    cmocka_unit_test(test_attest_real_document),
	    cmocka_unit_test(test_attest_sends_fields),
	    cmocka_unit_test(test_attest_limits),
	    cmocka_unit_test(test_attest_malformed),
	    cmocka_unit_test(test_attest_unknown_fields_skipped),
	    cmocka_unit_test(test_attest_error_answers),
	    cmocka_unit_test(test_attest_oversize_and_transport),
	    cmocka_unit_test(test_describe_pcr),
	    cmocka_unit_test(test_get_random),
	    cmocka_unit_test(test_nitro_real_ioctl_on_dev_null),
	    cmocka_unit_test_setup_teardown(test_sim_pcrs_and_module_id, sim_setup, sim_teardown),
	    cmocka_unit_test_setup_teardown(test_sim_measures_eif, sim_setup, sim_teardown),
	    cmocka_unit_test_setup_teardown(test_sim_root_files, sim_setup, sim_teardown),
	    cmocka_unit_test_setup_teardown(test_sim_bad_root_files, sim_setup, sim_teardown),
	    cmocka_unit_test_setup_teardown(test_sim_documents_verify, sim_setup, sim_teardown),
	    cmocka_unit_test_setup_teardown(test_sim_limits, sim_setup, sim_teardown),
	    cmocka_unit_test_setup_teardown(test_sim_certificate_renewal, sim_setup, sim_teardown),
	    cmocka_unit_test_setup_teardown(test_sim_get_random, sim_setup, sim_teardown),
	    cmocka_unit_test_setup_teardown(test_select, sim_setup, sim_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
