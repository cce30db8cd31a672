/*
 * Wire format of the sealing opcodes: key answers that carry a sealed key, key.load /
 * key.import / custodian.share items, seal.setup, and the seal status answer. Byte offsets
 * are those of docs/protocol.md.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "spod/err.h"
#include "spod/wire.h"
#include "wire/layout.h"
#include "wire/ops.h"

_Static_assert(KEY_BLOB_OFF == 32 && KEY_BLOB_LEN == 36 && KEY_RESP_FIXED == 40 &&
                   SETUP_MODE == 0 && SETUP_KEY_ID == 8 && SETUP_FIXED == 24 && SEAL_MODE == 0 &&
                   SEAL_READY == 1 && SEAL_THRESHOLD == 2 && SEAL_SHARES == 3 &&
                   SEAL_PRESENT == 4 && SEAL_KEY_ID == 8 && SEAL_KEYS == 24 && SEAL_FIXED == 32,
               "layouts of docs/protocol.md");

static uint8_t g_out[SPOD_FRAME_MAX_BYTES];
static const uint8_t kid[SPOD_KEY_ID_BYTES] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

static void frame(struct spod_frame *f, const uint8_t *buf, size_t len)
{
	assert_int_equal(spod_wire_frame(f, buf, len), SPOD_OK);
	assert_int_equal(f->frame_len, len);
}

static void test_sealed_key(void **state)
{
	static uint8_t blob[SPOD_BLOB_MAX_BYTES + 1];
	uint8_t pub[65];
	struct spod_key_view in = {kid, SPOD_ALG_P256, pub, 65, "w", 1, blob, 300}, out;
	struct spod_frame f;
	size_t n;

	(void)state;
	memset(pub, 4, sizeof(pub));
	memset(blob, 0xb1, sizeof(blob));
	assert_int_equal(
	    spod_wire_put_sealed_key(g_out, sizeof(g_out), &n, SPOD_OP_KEY_IMPORT, 9, &in),
	    SPOD_OK);
	assert_int_equal(n, SPOD_HDR_BYTES + 40 + 65 + 1 + 300);
	frame(&f, g_out, n);
	assert_int_equal(spod_le32(f.body + KEY_BLOB_OFF), 40 + 65 + 1);
	assert_int_equal(spod_le32(f.body + KEY_BLOB_LEN), 300);
	assert_int_equal(spod_wire_key_resp(&out, &f), SPOD_OK);
	assert_int_equal(out.blob_len, 300);
	assert_memory_equal(out.blob, blob, 300);
	assert_int_equal(out.label_len, 1);
	assert_true(n <= spod_wire_resp_max(SPOD_OP_KEY_IMPORT, 0));
	/* a blob reference outside the body, into the fixed part, or an offset without length */
	spod_put_le32(g_out + SPOD_HDR_BYTES + KEY_BLOB_LEN, 301);
	frame(&f, g_out, n);
	assert_int_equal(spod_wire_key_resp(&out, &f), SPOD_E_BAD_REF);
	spod_put_le32(g_out + SPOD_HDR_BYTES + KEY_BLOB_LEN, 300);
	spod_put_le32(g_out + SPOD_HDR_BYTES + KEY_BLOB_OFF, 39);
	frame(&f, g_out, n);
	assert_int_equal(spod_wire_key_resp(&out, &f), SPOD_E_BAD_REF);
	spod_put_le32(g_out + SPOD_HDR_BYTES + KEY_BLOB_LEN, 0);
	frame(&f, g_out, n);
	assert_int_equal(spod_wire_key_resp(&out, &f), SPOD_E_BAD_FIELD);
	/* the largest version 1 blob fits a key.generate answer, the largest blob a policy.set
	 * answer; one more byte fits nothing */
	in.blob_len = SPOD_BLOB_V1_MAX_BYTES;
	assert_int_equal(
	    spod_wire_put_sealed_key(g_out, sizeof(g_out), &n, SPOD_OP_KEY_GENERATE, 1, &in),
	    SPOD_OK);
	assert_true(n <= spod_wire_resp_max(SPOD_OP_KEY_GENERATE, 0));
	in.blob_len = SPOD_BLOB_MAX_BYTES;
	assert_int_equal(
	    spod_wire_put_sealed_key(g_out, sizeof(g_out), &n, SPOD_OP_POLICY_SET, 1, &in),
	    SPOD_OK);
	assert_true(n <= spod_wire_resp_max(SPOD_OP_POLICY_SET, 0));
	in.blob_len = SPOD_BLOB_MAX_BYTES + 1;
	assert_int_equal(
	    spod_wire_put_sealed_key(g_out, sizeof(g_out), &n, SPOD_OP_KEY_GENERATE, 1, &in),
	    SPOD_E_TOO_LARGE);
	/* key.load answers decode as key answers; a sign answer does not */
	in.blob_len = 0;
	assert_int_equal(
	    spod_wire_put_sealed_key(g_out, sizeof(g_out), &n, SPOD_OP_KEY_LOAD, 1, &in), SPOD_OK);
	frame(&f, g_out, n);
	assert_int_equal(spod_wire_key_resp(&out, &f), SPOD_OK);
	assert_null(out.blob);
	g_out[5] = SPOD_OP_SIGN;
	frame(&f, g_out, n);
	assert_int_equal(spod_wire_key_resp(&out, &f), SPOD_E_PROTOCOL);
}

static void test_items(void **state)
{
	static uint8_t item[SPOD_BLOB_MAX_BYTES + 1];
	struct spod_item_req v;
	struct spod_frame f;
	static const uint8_t expect[16] = {0x5e, 0xa1, [15] = 0x01};
	const uint8_t *id;
	uint8_t mode;
	size_t n;

	(void)state;
	memset(item, 7, sizeof(item));
	assert_int_equal(spod_wire_enc_item(g_out, sizeof(g_out), &n, SPOD_OP_KEY_LOAD, 3, item,
	                                    SPOD_BLOB_MAX_BYTES),
	                 SPOD_OK);
	frame(&f, g_out, n);
	assert_int_equal(spod_wire_item_req(&v, &f), SPOD_OK);
	assert_int_equal(v.len, SPOD_BLOB_MAX_BYTES);
	assert_ptr_equal(v.data, f.body);
	/* key.load caps a blob; key.import and custodian.share an envelope */
	assert_int_equal(spod_wire_enc_item(g_out, sizeof(g_out), &n, SPOD_OP_KEY_LOAD, 3, item,
	                                    SPOD_BLOB_MAX_BYTES + 1),
	                 SPOD_OK);
	frame(&f, g_out, n);
	assert_int_equal(spod_wire_item_req(&v, &f), SPOD_E_BAD_LENGTH);
	assert_null(v.data);
	assert_int_equal(spod_wire_enc_item(g_out, sizeof(g_out), &n, SPOD_OP_KEY_IMPORT, 3, item,
	                                    SPOD_ENVELOPE_MAX_WIRE_BYTES),
	                 SPOD_OK);
	frame(&f, g_out, n);
	assert_int_equal(spod_wire_item_req(&v, &f), SPOD_OK);
	/* the encoder writes what it is given; the receiver refuses an envelope over its cap */
	assert_int_equal(spod_wire_enc_item(g_out, sizeof(g_out), &n, SPOD_OP_CUSTODIAN_SHARE, 3,
	                                    item, SPOD_ENVELOPE_MAX_WIRE_BYTES + 1),
	                 SPOD_OK);
	frame(&f, g_out, n);
	assert_int_equal(spod_wire_item_req(&v, &f), SPOD_E_BAD_LENGTH);
	spod_wire_put_hdr(g_out, SPOD_OP_CUSTODIAN_SHARE, 0, 1, 0, 0);
	frame(&f, g_out, SPOD_HDR_BYTES);
	assert_int_equal(spod_wire_item_req(&v, &f), SPOD_E_BAD_LENGTH);
	/* seal.setup: the two modes, nothing else, reserved bytes zero, an expected id */
	assert_int_equal(
	    spod_wire_enc_seal_setup(g_out, sizeof(g_out), &n, 4, SPOD_SEAL_CUSTODIANS, NULL),
	    SPOD_OK);
	assert_int_equal(n, SPOD_HDR_BYTES + 24);
	frame(&f, g_out, n);
	assert_int_equal(spod_wire_seal_setup_req(&mode, &id, &f), SPOD_OK);
	assert_int_equal(mode, SPOD_SEAL_CUSTODIANS);
	assert_null(id);
	g_out[SPOD_HDR_BYTES + 7] = 1;
	frame(&f, g_out, n);
	assert_int_equal(spod_wire_seal_setup_req(&mode, &id, &f), SPOD_E_BAD_FIELD);
	for (unsigned m = 0; m < 256; m++) {
		g_out[SPOD_HDR_BYTES + 7] = 0;
		g_out[SPOD_HDR_BYTES] = (uint8_t)m;
		frame(&f, g_out, n);
		assert_int_equal(spod_wire_seal_setup_req(&mode, &id, &f),
		                 m == 1 || m == 2 ? SPOD_OK : SPOD_E_BAD_FIELD);
	}
	assert_int_equal(
	    spod_wire_enc_seal_setup(g_out, sizeof(g_out), &n, 4, SPOD_SEAL_CUSTODIANS, expect),
	    SPOD_OK);
	frame(&f, g_out, n);
	assert_int_equal(spod_wire_seal_setup_req(&mode, &id, &f), SPOD_OK);
	assert_ptr_equal(id, f.body + 8);
	assert_memory_equal(id, expect, 16);
	/* an expected id only in custodian mode, both ways */
	assert_int_equal(
	    spod_wire_enc_seal_setup(g_out, sizeof(g_out), &n, 4, SPOD_SEAL_EPHEMERAL, expect),
	    SPOD_E_BAD_ARG);
	assert_int_equal(n, 0);
	g_out[SPOD_HDR_BYTES] = SPOD_SEAL_EPHEMERAL; /* the custodian frame above, made ephemeral */
	frame(&f, g_out, SPOD_HDR_BYTES + 24);
	assert_int_equal(spod_wire_seal_setup_req(&mode, &id, &f), SPOD_E_BAD_FIELD);
	assert_null(id);
	/* the old 8-byte body, and one byte more */
	for (size_t len = 8; len <= 25; len += 17) {
		spod_wire_put_hdr(g_out, SPOD_OP_SEAL_SETUP, 0, 4, 0, (uint32_t)len);
		memset(g_out + SPOD_HDR_BYTES, 0, len);
		g_out[SPOD_HDR_BYTES] = SPOD_SEAL_CUSTODIANS;
		frame(&f, g_out, SPOD_HDR_BYTES + len);
		assert_int_equal(spod_wire_seal_setup_req(&mode, &id, &f), SPOD_E_BAD_LENGTH);
	}
}

static void test_seal_status(void **state)
{
	static const uint8_t id[16] = {0xa0, 0xa1};
	struct spod_seal_view in = {SPOD_SEAL_CUSTODIANS, 0, 3, 5, 2, id, 7}, out;
	struct spod_frame f;
	size_t n;

	(void)state;
	for (uint8_t op = SPOD_OP_SEAL_SETUP; op <= SPOD_OP_CUSTODIAN_SHARE; op++) {
		assert_int_equal(spod_wire_put_seal(g_out, sizeof(g_out), &n, op, 5, &in), SPOD_OK);
		assert_true(n <= spod_wire_resp_max(op, 0));
		frame(&f, g_out, n);
		assert_int_equal(spod_wire_seal_resp(&out, &f), SPOD_OK);
		assert_int_equal(out.mode, SPOD_SEAL_CUSTODIANS);
		assert_int_equal(out.threshold, 3);
		assert_int_equal(out.shares, 5);
		assert_int_equal(out.present, 2);
		assert_int_equal(out.key_count, 7);
		assert_memory_equal(out.seal_key_id, id, 16);
	}
	/* more present than the set has, K over N, an unknown mode, reserved bytes */
	static const struct {
		uint8_t off, val;
	} bad[] = {{SEAL_PRESENT, 6}, {SEAL_THRESHOLD, 6}, {SEAL_MODE, 3},
	           {SEAL_READY, 2},   {SEAL_RESERVED, 1},  {SEAL_RESERVED2 + 3, 1}};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t keep;

		assert_int_equal(
		    spod_wire_put_seal(g_out, sizeof(g_out), &n, SPOD_OP_SEAL_STATUS, 5, &in),
		    SPOD_OK);
		keep = g_out[SPOD_HDR_BYTES + bad[i].off];
		g_out[SPOD_HDR_BYTES + bad[i].off] = bad[i].val;
		frame(&f, g_out, n);
		assert_int_equal(spod_wire_seal_resp(&out, &f), SPOD_E_BAD_FIELD);
		g_out[SPOD_HDR_BYTES + bad[i].off] = keep;
	}
	/* the opcode table: who may send what */
	assert_int_equal(spod_wire_op(SPOD_OP_KEY_LOAD)->need, SPOD_OPS_HOST_ONLY);
	assert_int_equal(spod_wire_op(SPOD_OP_SEAL_SETUP)->need, SPOD_OPS_HOST_ONLY);
	assert_int_equal(spod_wire_op(SPOD_OP_KEY_IMPORT)->need, SPOD_HELLO_OP_IMPORT);
	assert_int_equal(spod_wire_op(SPOD_OP_CUSTODIAN_SHARE)->need, SPOD_HELLO_OP_PROVISION);
	assert_int_equal(spod_wire_op(SPOD_OP_SEAL_STATUS)->need, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sealed_key),
	    cmocka_unit_test(test_items),
	    cmocka_unit_test(test_seal_status),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
