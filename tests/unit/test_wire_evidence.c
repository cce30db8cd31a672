/*
 * The evidence opcodes' validators (src/wire/evidence.c): the evidence frame (request id 0,
 * reserved bytes, count 0 or above the cap, first 0 or wrapping, the body's length) and
 * audit.head requests and answers (mode, nonce length, reserved and unused nonce bytes).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/bytes.h"
#include "spod/err.h"
#include "spod/wire.h"
#include "wire/layout.h"

static uint8_t g_buf[SPOD_FRAME_MAX_BYTES];
static uint8_t g_recs[3 * SPOD_EVIDENCE_REC_WIRE_BYTES];

static int parse_ev(size_t len, struct spod_evidence_view *v)
{
	struct spod_frame f;

	assert_int_equal(spod_wire_frame(&f, g_buf, len), SPOD_OK);
	return spod_wire_evidence(v, &f);
}

static void test_evidence_frame(void **state)
{
	static const uint8_t pub[32] = {0xe1}, sig[64] = {0x51};
	uint8_t *b = g_buf + SPOD_HDR_BYTES;
	struct spod_evidence_view v;
	struct spod_frame f;
	size_t len, n;

	(void)state;
	memset(g_recs, 0x5a, sizeof(g_recs));
	assert_int_equal(spod_wire_put_evidence(g_buf, sizeof(g_buf), &len, pub, 7, 3, sig, g_recs),
	                 SPOD_OK);
	assert_int_equal(len, SPOD_HDR_BYTES + EV_FIXED + 3 * SPOD_EVIDENCE_REC_WIRE_BYTES);
	assert_int_equal(parse_ev(len, &v), SPOD_OK);
	assert_memory_equal(v.pub, pub, 32);
	assert_memory_equal(v.sig, sig, 64);
	assert_int_equal(v.first, 7);
	assert_int_equal(v.count, 3);
	assert_memory_equal(v.records, g_recs, sizeof(g_recs));
	/* the writer refuses count 0, first 0, above the cap, a short buffer */
	assert_int_equal(spod_wire_put_evidence(g_buf, sizeof(g_buf), &n, pub, 7, 0, sig, g_recs),
	                 SPOD_E_BAD_ARG);
	assert_int_equal(spod_wire_put_evidence(g_buf, sizeof(g_buf), &n, pub, 0, 3, sig, g_recs),
	                 SPOD_E_BAD_ARG);
	assert_int_equal(spod_wire_put_evidence(g_buf, sizeof(g_buf), &n, pub, 1,
	                                        SPOD_EVIDENCE_WIRE_MAX + 1, sig, g_recs),
	                 SPOD_E_BAD_ARG);
	assert_int_equal(spod_wire_put_evidence(g_buf, len - 1, &n, pub, 7, 3, sig, g_recs),
	                 SPOD_E_TOO_LARGE);
	assert_int_equal(spod_wire_put_evidence(g_buf, sizeof(g_buf), &len, pub, 7, 3, sig, g_recs),
	                 SPOD_OK);
	/* a reserved byte */
	b[EV_RESERVED + 3] = 1;
	assert_int_equal(parse_ev(len, &v), SPOD_E_BAD_FIELD);
	b[EV_RESERVED + 3] = 0;
	/* count 0, count above the cap, count not matching the body */
	spod_put_le32(b + EV_COUNT, 0);
	assert_int_equal(parse_ev(len, &v), SPOD_E_BAD_FIELD);
	spod_put_le32(b + EV_COUNT, SPOD_EVIDENCE_WIRE_MAX + 1);
	assert_int_equal(parse_ev(len, &v), SPOD_E_BAD_FIELD);
	spod_put_le32(b + EV_COUNT, 2);
	assert_int_equal(parse_ev(len, &v), SPOD_E_BAD_LENGTH);
	spod_put_le32(b + EV_COUNT, 3);
	/* first 0, and a range that wraps */
	spod_put_le64(b + EV_FIRST, 0);
	assert_int_equal(parse_ev(len, &v), SPOD_E_BAD_FIELD);
	spod_put_le64(b + EV_FIRST, UINT64_MAX - 1);
	assert_int_equal(parse_ev(len, &v), SPOD_E_BAD_FIELD);
	spod_put_le64(b + EV_FIRST, 7);
	assert_int_equal(parse_ev(len, &v), SPOD_OK);
	/* a body shorter than the fixed part, or one byte short of the records */
	assert_int_equal(spod_wire_frame(&f, g_buf, len), SPOD_OK);
	f.body_len = EV_FIXED - 1;
	assert_int_equal(spod_wire_evidence(&v, &f), SPOD_E_BAD_LENGTH);
	f.body_len = (uint32_t)(len - SPOD_HDR_BYTES - 1);
	assert_int_equal(spod_wire_evidence(&v, &f), SPOD_E_BAD_LENGTH);
	/* a request id: not an evidence frame */
	spod_wire_set_request_id(g_buf, 5);
	assert_int_equal(parse_ev(len, &v), SPOD_E_BAD_FIELD);
}

static int parse_req(size_t len, struct spod_audit_head_view *v)
{
	struct spod_frame f;

	assert_int_equal(spod_wire_frame(&f, g_buf, len), SPOD_OK);
	return spod_wire_audit_head_req(v, &f);
}

static void test_audit_head(void **state)
{
	static const uint8_t hash[32] = {0x4a}, nonce[64] = {1, 2, 3}, pub[32] = {9}, sig[64] = {8};
	uint8_t *b = g_buf + SPOD_HDR_BYTES;
	struct spod_audit_head_view v, a;
	struct spod_frame f;
	size_t len, n;

	(void)state;
	assert_int_equal(spod_wire_enc_audit_head(g_buf, sizeof(g_buf), &len, 3,
	                                          SPOD_AUDIT_HEAD_SIGN, 42, hash, nonce, 3),
	                 SPOD_OK);
	assert_int_equal(parse_req(len, &v), SPOD_OK);
	assert_int_equal(v.mode, SPOD_AUDIT_HEAD_SIGN);
	assert_int_equal(v.seq, 42);
	assert_memory_equal(v.hash, hash, 32);
	assert_int_equal(v.nonce_len, 3);
	assert_memory_equal(v.nonce, nonce, 3);
	/* the encoder: SIGN needs a hash; a mode, a nonce too long */
	assert_int_equal(spod_wire_enc_audit_head(g_buf, sizeof(g_buf), &n, 3, SPOD_AUDIT_HEAD_SIGN,
	                                          1, NULL, NULL, 0),
	                 SPOD_E_BAD_ARG);
	assert_int_equal(spod_wire_enc_audit_head(g_buf, sizeof(g_buf), &n, 3, 3, 1, hash, NULL, 0),
	                 SPOD_E_BAD_ARG);
	assert_int_equal(spod_wire_enc_audit_head(g_buf, sizeof(g_buf), &n, 3,
	                                          SPOD_AUDIT_HEAD_QUERY, 0, NULL, nonce, 65),
	                 SPOD_E_BAD_ARG);
	/* QUERY without a nonce: zeros for the hash, nonce NULL */
	assert_int_equal(spod_wire_enc_audit_head(g_buf, sizeof(g_buf), &len, 3,
	                                          SPOD_AUDIT_HEAD_QUERY, 0, NULL, NULL, 0),
	                 SPOD_OK);
	assert_int_equal(parse_req(len, &v), SPOD_OK);
	assert_null(v.nonce);
	/* mode, nonce length, reserved byte, nonce padding */
	assert_int_equal(spod_wire_enc_audit_head(g_buf, sizeof(g_buf), &len, 3,
	                                          SPOD_AUDIT_HEAD_QUERY, 0, NULL, nonce, 3),
	                 SPOD_OK);
	b[AHQ_MODE] = 0;
	assert_int_equal(parse_req(len, &v), SPOD_E_BAD_FIELD);
	b[AHQ_MODE] = SPOD_AUDIT_HEAD_QUERY;
	b[AHQ_NONCE_LEN] = 65;
	assert_int_equal(parse_req(len, &v), SPOD_E_BAD_FIELD);
	b[AHQ_NONCE_LEN] = 2; /* the third nonce byte is now padding, and not zero */
	assert_int_equal(parse_req(len, &v), SPOD_E_BAD_FIELD);
	b[AHQ_NONCE_LEN] = 3;
	b[AHQ_NONCE + 63] = 1;
	assert_int_equal(parse_req(len, &v), SPOD_E_BAD_FIELD);
	b[AHQ_NONCE + 63] = 0;
	b[AHQ_RESERVED + 5] = 1;
	assert_int_equal(parse_req(len, &v), SPOD_E_BAD_FIELD);
	b[AHQ_RESERVED + 5] = 0;
	assert_int_equal(parse_req(len, &v), SPOD_OK);
	/* the wrong length */
	assert_int_equal(spod_wire_frame(&f, g_buf, len), SPOD_OK);
	f.body_len--;
	assert_int_equal(spod_wire_audit_head_req(&v, &f), SPOD_E_BAD_LENGTH);
	/* the answer round trips */
	v = (struct spod_audit_head_view){SPOD_AUDIT_HEAD_QUERY, 3, nonce, 42, hash, pub, 77, sig};
	assert_int_equal(spod_wire_put_audit_head(g_buf, sizeof(g_buf), &len, 3, &v), SPOD_OK);
	assert_int_equal(spod_wire_frame(&f, g_buf, len), SPOD_OK);
	assert_int_equal(spod_wire_audit_head_resp(&a, &f), SPOD_OK);
	assert_int_equal(a.seq, 42);
	assert_int_equal(a.counter, 77);
	assert_memory_equal(a.pub, pub, 32);
	assert_memory_equal(a.sig, sig, 64);
	assert_memory_equal(a.nonce, nonce, 3);
	f.body_len--;
	assert_int_equal(spod_wire_audit_head_resp(&a, &f), SPOD_E_BAD_LENGTH);
	v.hash = NULL;
	assert_int_equal(spod_wire_put_audit_head(g_buf, sizeof(g_buf), &len, 3, &v),
	                 SPOD_E_BAD_ARG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_evidence_frame),
	    cmocka_unit_test(test_audit_head),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
