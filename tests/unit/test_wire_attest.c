/*
 * Wire format v1: the attest request and its document response (src/wire), at every bound.
 * Frames are copied into exact-size heap buffers so ASan catches views past the frame.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "spod/err.h"
#include "spod/wire.h"
#include "wire/layout.h"

_Static_assert(ATT_KEY_ID == 0 && ATT_FLAGS == 16 && ATT_RESERVED1 == 17 && ATT_NONCE_OFF == 20 &&
                   ATT_NONCE_LEN == 24 && ATT_RESERVED2 == 28 && ATT_FIXED == 32 && DOC_OFF == 0 &&
                   DOC_LEN == 4 && DOC_RESERVED == 8 && DOC_FIXED == 16,
               "attest layouts (docs/protocol.md)");

static const uint8_t kid[SPOD_KEY_ID_BYTES] = {1, 2,  3,  4,  5,  6,  7,  8,
                                               9, 10, 11, 12, 13, 14, 15, 16};
static uint8_t *g_copy;

/* Builds a request frame with a hand-written body and frames an exact-size copy of it. */
static void frame_of(struct spod_frame *f, const uint8_t *body, size_t body_len, uint16_t flags)
{
	size_t n = SPOD_HDR_BYTES + body_len;

	free(g_copy);
	g_copy = malloc(n);
	assert_non_null(g_copy);
	spod_wire_put_hdr(g_copy, SPOD_OP_ATTEST, flags, 9, 0, (uint32_t)body_len);
	if (body_len > 0)
		memcpy(g_copy + SPOD_HDR_BYTES, body, body_len);
	assert_int_equal(spod_wire_frame(f, g_copy, n), SPOD_OK);
}

static void att_body(uint8_t *b, const uint8_t *id, uint8_t flags, uint32_t off, uint32_t len)
{
	memset(b, 0, ATT_FIXED);
	if (id != NULL)
		memcpy(b + ATT_KEY_ID, id, SPOD_KEY_ID_BYTES);
	b[ATT_FLAGS] = flags;
	b[ATT_NONCE_OFF] = (uint8_t)off;
	b[ATT_NONCE_OFF + 1] = (uint8_t)(off >> 8);
	b[ATT_NONCE_LEN] = (uint8_t)len;
	b[ATT_NONCE_LEN + 1] = (uint8_t)(len >> 8);
}

static void roundtrip(void **state)
{
	uint8_t buf[SPOD_HDR_BYTES + ATT_FIXED + SPOD_NONCE_MAX_BYTES], nonce[SPOD_NONCE_MAX_BYTES];
	struct spod_attest_req v;
	struct spod_frame f;
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(nonce); i++)
		nonce[i] = (uint8_t)(i * 7);
	/* with a key, with the largest nonce */
	assert_int_equal(spod_wire_enc_attest(buf, sizeof(buf), &n, 5, kid, nonce, sizeof(nonce)),
	                 SPOD_OK);
	assert_int_equal(spod_wire_frame(&f, buf, n), SPOD_OK);
	assert_int_equal(spod_wire_attest_req(&v, &f), SPOD_OK);
	assert_non_null(v.key_id);
	assert_memory_equal(v.key_id, kid, SPOD_KEY_ID_BYTES);
	assert_int_equal(v.nonce_len, sizeof(nonce));
	assert_memory_equal(v.nonce, nonce, sizeof(nonce));
	/* no key, no nonce */
	assert_int_equal(spod_wire_enc_attest(buf, sizeof(buf), &n, 6, NULL, NULL, 0), SPOD_OK);
	assert_int_equal(spod_wire_frame(&f, buf, n), SPOD_OK);
	assert_int_equal(spod_wire_attest_req(&v, &f), SPOD_OK);
	assert_null(v.key_id);
	assert_int_equal(v.nonce_len, 0);
	/* encoder limits */
	assert_int_equal(
	    spod_wire_enc_attest(buf, sizeof(buf), &n, 6, NULL, nonce, SPOD_NONCE_MAX_BYTES + 1),
	    SPOD_E_TOO_LARGE);
	assert_int_equal(
	    spod_wire_enc_attest(buf, SPOD_HDR_BYTES + ATT_FIXED - 1, &n, 6, NULL, NULL, 0),
	    SPOD_E_TOO_LARGE);
}

static void bad_requests(void **state)
{
	uint8_t b[ATT_FIXED + SPOD_NONCE_MAX_BYTES + 8] = {0};
	struct spod_attest_req v;
	struct spod_frame f;

	(void)state;
	for (size_t len = 0; len < ATT_FIXED; len++) {
		frame_of(&f, b, len, 0);
		assert_int_equal(spod_wire_attest_req(&v, &f), SPOD_E_BAD_LENGTH);
	}
	att_body(b, kid, 0x02, ATT_FIXED, 0); /* unknown flag */
	frame_of(&f, b, ATT_FIXED, 0);
	assert_int_equal(spod_wire_attest_req(&v, &f), SPOD_E_BAD_FIELD);
	att_body(b, kid, 0, ATT_FIXED, 0); /* a key id without the bind flag */
	frame_of(&f, b, ATT_FIXED, 0);
	assert_int_equal(spod_wire_attest_req(&v, &f), SPOD_E_BAD_FIELD);
	att_body(b, NULL, 0, ATT_FIXED, 0);
	b[ATT_RESERVED1 + 2] = 1;
	frame_of(&f, b, ATT_FIXED, 0);
	assert_int_equal(spod_wire_attest_req(&v, &f), SPOD_E_BAD_FIELD);
	att_body(b, NULL, 0, ATT_FIXED, 0);
	b[ATT_RESERVED2 + 3] = 1;
	frame_of(&f, b, ATT_FIXED, 0);
	assert_int_equal(spod_wire_attest_req(&v, &f), SPOD_E_BAD_FIELD);
	att_body(b, NULL, 0, ATT_FIXED - 1, 1); /* nonce inside the fixed part */
	frame_of(&f, b, ATT_FIXED + 1, 0);
	assert_int_equal(spod_wire_attest_req(&v, &f), SPOD_E_BAD_REF);
	att_body(b, NULL, 0, ATT_FIXED, 2); /* nonce past the body */
	frame_of(&f, b, ATT_FIXED + 1, 0);
	assert_int_equal(spod_wire_attest_req(&v, &f), SPOD_E_BAD_REF);
	att_body(b, NULL, 0, ATT_FIXED, SPOD_NONCE_MAX_BYTES + 1); /* nonce over the NSM limit */
	frame_of(&f, b, ATT_FIXED + SPOD_NONCE_MAX_BYTES + 1, 0);
	assert_int_equal(spod_wire_attest_req(&v, &f), SPOD_E_TOO_LARGE);
	assert_null(v.nonce);
	assert_null(v.key_id);
}

static void doc_response(void **state)
{
	static uint8_t out[SPOD_HDR_BYTES + DOC_FIXED + SPOD_DOC_MAX_BYTES];
	struct spod_doc_view v;
	struct spod_frame f;
	uint8_t *doc;
	size_t n;

	(void)state;
	assert_null(spod_wire_doc_reserve(out, sizeof(out) - 1));
	doc = spod_wire_doc_reserve(out, sizeof(out));
	assert_non_null(doc);
	memset(doc, 0x84, 100);
	spod_wire_doc_commit(out, &n, 77, 100);
	assert_int_equal(n, SPOD_HDR_BYTES + DOC_FIXED + 100);
	assert_int_equal(spod_wire_frame(&f, out, n), SPOD_OK);
	assert_int_equal(spod_wire_doc_resp(&v, &f), SPOD_OK);
	assert_int_equal(v.doc_len, 100);
	assert_ptr_equal(v.doc, doc);
	/* reserved bytes, a reference past the body, another opcode */
	out[SPOD_HDR_BYTES + DOC_RESERVED] = 1;
	assert_int_equal(spod_wire_doc_resp(&v, &f), SPOD_E_BAD_FIELD);
	out[SPOD_HDR_BYTES + DOC_RESERVED] = 0;
	out[SPOD_HDR_BYTES + DOC_LEN] = 101;
	assert_int_equal(spod_wire_doc_resp(&v, &f), SPOD_E_BAD_REF);
	out[SPOD_HDR_BYTES + DOC_LEN] = 100;
	out[5] = SPOD_OP_SIGN;
	assert_int_equal(spod_wire_frame(&f, out, n), SPOD_OK);
	assert_int_equal(spod_wire_doc_resp(&v, &f), SPOD_E_PROTOCOL);
	assert_true(spod_wire_resp_max(SPOD_OP_ATTEST, 0) >=
	            SPOD_HDR_BYTES + DOC_FIXED + SPOD_DOC_MAX_BYTES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(roundtrip),
	    cmocka_unit_test(bad_requests),
	    cmocka_unit_test(doc_response),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	free(g_copy);
	return rc;
}
