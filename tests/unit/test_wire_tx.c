/*
 * Wire format of sign.tx: the request (key id, chain, flags, the unsigned transaction) and the
 * answer (decoded fields, transfers, the signed transaction). Byte offsets are those of
 * docs/protocol.md; every check a validator or decoder makes is hit once.
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

_Static_assert(SIGNTX_KEY_ID == 0 && SIGNTX_CHAIN == 16 && SIGNTX_FORM == 17 &&
                   SIGNTX_TX_OFF == 20 && SIGNTX_TX_LEN == 24 && SIGNTX_FIXED == 32 &&
                   TXR_CHAIN == 0 && TXR_KIND == 1 && TXR_N_XFERS == 2 && TXR_FLAGS == 4 &&
                   TXR_CHAIN_ID == 8 && TXR_SIGNED_OFF == 16 && TXR_SIGNED_LEN == 20 &&
                   TXR_FIXED == 32 && XFER_TOKEN == 4 && XFER_TO == 36 && XFER_AMOUNT == 68 &&
                   XFER_BYTES == 100,
               "layouts of docs/protocol.md");

static uint8_t g_out[SPOD_FRAME_MAX_BYTES];
static uint8_t g_tx[SPOD_TX_MAX_BYTES + 1];
static const uint8_t kid[SPOD_KEY_ID_BYTES] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

static void frame(struct spod_frame *f, const uint8_t *buf, size_t len)
{
	assert_int_equal(spod_wire_frame(f, buf, len), SPOD_OK);
	assert_int_equal(f->frame_len, len);
}

static int is_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return 0;
	return 1;
}

static void test_request(void **state)
{
	struct spod_sign_tx_req v;
	struct spod_frame f;
	uint8_t *b = g_out + SPOD_HDR_BYTES;
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(g_tx); i++)
		g_tx[i] = (uint8_t)(i * 7);
	assert_int_equal(spod_wire_enc_sign_tx(g_out, sizeof(g_out), &n, 77, kid,
	                                       SPOD_TX_CHAIN_ETHEREUM, g_tx, 45),
	                 SPOD_OK);
	assert_int_equal(n, SPOD_HDR_BYTES + 32 + 45);
	frame(&f, g_out, n);
	assert_int_equal(f.hdr.opcode, SPOD_OP_SIGN_TX);
	assert_int_equal(f.hdr.opcode, 0x22);
	assert_int_equal(spod_wire_sign_tx_req(&v, &f), SPOD_OK);
	assert_ptr_equal(v.key_id, f.body);
	assert_int_equal(v.chain, 1);
	assert_ptr_equal(v.tx, f.body + 32);
	assert_int_equal(v.tx_len, 45);
	assert_memory_equal(v.tx, g_tx, 45);

	/* an Ethereum form is read; a form past the last one, each reserved byte, an unknown chain
	 */
	b[SIGNTX_FORM] = SPOD_TX_FORM_EIP712;
	frame(&f, g_out, n);
	assert_int_equal(spod_wire_sign_tx_req(&v, &f), SPOD_OK);
	assert_int_equal(v.form, SPOD_TX_FORM_EIP712);
	b[SIGNTX_FORM] = 0;
	static const struct {
		uint32_t off;
		uint8_t val;
	} bad[] = {{SIGNTX_CHAIN, 0},           {SIGNTX_CHAIN, 3},         {SIGNTX_FORM, 4},
	           {SIGNTX_RESERVED1, 1},       {SIGNTX_RESERVED1 + 1, 1}, {SIGNTX_RESERVED2, 1},
	           {SIGNTX_RESERVED2 + 3, 0x80}};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t keep = b[bad[i].off];

		b[bad[i].off] = bad[i].val;
		frame(&f, g_out, n);
		assert_int_equal(spod_wire_sign_tx_req(&v, &f), SPOD_E_BAD_FIELD);
		assert_true(is_zero(&v, sizeof(v)));
		b[bad[i].off] = keep;
	}
	/* references: into the fixed part, past the body, empty */
	spod_put_le32(b + SIGNTX_TX_OFF, 31);
	frame(&f, g_out, n);
	assert_int_equal(spod_wire_sign_tx_req(&v, &f), SPOD_E_BAD_REF);
	spod_put_le32(b + SIGNTX_TX_OFF, 32);
	spod_put_le32(b + SIGNTX_TX_LEN, 46);
	frame(&f, g_out, n);
	assert_int_equal(spod_wire_sign_tx_req(&v, &f), SPOD_E_BAD_REF);
	spod_put_le32(b + SIGNTX_TX_LEN, 0);
	frame(&f, g_out, n);
	assert_int_equal(spod_wire_sign_tx_req(&v, &f), SPOD_E_BAD_LENGTH);
	assert_true(is_zero(&v, sizeof(v)));
	/* a body shorter than the fixed part */
	spod_wire_put_hdr(g_out, SPOD_OP_SIGN_TX, 0, 1, 0, 31);
	frame(&f, g_out, SPOD_HDR_BYTES + 31);
	assert_int_equal(spod_wire_sign_tx_req(&v, &f), SPOD_E_BAD_LENGTH);

	/* the largest transaction, one more; the encoder's argument checks */
	assert_int_equal(spod_wire_enc_sign_tx(g_out, sizeof(g_out), &n, 1, kid,
	                                       SPOD_TX_CHAIN_SOLANA, g_tx, SPOD_TX_MAX_BYTES),
	                 SPOD_OK);
	frame(&f, g_out, n);
	assert_int_equal(spod_wire_sign_tx_req(&v, &f), SPOD_OK);
	assert_int_equal(v.chain, 2);
	assert_int_equal(v.tx_len, SPOD_TX_MAX_BYTES);
	/* forms other than a transaction are Ethereum's only */
	g_out[SPOD_HDR_BYTES + SIGNTX_FORM] = SPOD_TX_FORM_EIP191;
	frame(&f, g_out, n);
	assert_int_equal(spod_wire_sign_tx_req(&v, &f), SPOD_E_BAD_FIELD);
	g_out[SPOD_HDR_BYTES + SIGNTX_FORM] = 0;
	assert_int_equal(spod_wire_enc_sign_tx_form(g_out, sizeof(g_out), &n, 1, kid,
	                                            SPOD_TX_CHAIN_SOLANA, SPOD_TX_FORM_EIP191, g_tx,
	                                            1),
	                 SPOD_E_BAD_ARG);
	assert_int_equal(spod_wire_enc_sign_tx_form(g_out, sizeof(g_out), &n, 1, kid,
	                                            SPOD_TX_CHAIN_ETHEREUM, 4, g_tx, 1),
	                 SPOD_E_BAD_ARG);
	assert_int_equal(spod_wire_enc_sign_tx(g_out, sizeof(g_out), &n, 1, kid,
	                                       SPOD_TX_CHAIN_SOLANA, g_tx, SPOD_TX_MAX_BYTES + 1),
	                 SPOD_E_TOO_LARGE);
	/* a hand-made frame with a transaction one byte over the cap */
	spod_put_le32(b + SIGNTX_TX_LEN, SPOD_TX_MAX_BYTES + 1);
	spod_wire_put_hdr(g_out, SPOD_OP_SIGN_TX, 0, 1, 0, 32 + SPOD_TX_MAX_BYTES + 1);
	frame(&f, g_out, SPOD_HDR_BYTES + 32 + SPOD_TX_MAX_BYTES + 1);
	assert_int_equal(spod_wire_sign_tx_req(&v, &f), SPOD_E_TOO_LARGE);
	assert_int_equal(spod_wire_enc_sign_tx(g_out, sizeof(g_out), &n, 1, kid, 3, g_tx, 1),
	                 SPOD_E_BAD_ARG);
	assert_int_equal(spod_wire_enc_sign_tx(g_out, sizeof(g_out), &n, 1, kid, 1, g_tx, 0),
	                 SPOD_E_BAD_ARG);
	assert_int_equal(
	    spod_wire_enc_sign_tx(g_out, SPOD_HDR_BYTES + 32 + 9, &n, 1, kid, 1, g_tx, 10),
	    SPOD_E_TOO_LARGE);
	assert_int_equal(n, 0);

	/* the opcode table: sign's scope, names its key, audited */
	assert_int_equal(spod_wire_op(SPOD_OP_SIGN_TX)->need, SPOD_HELLO_OP_SIGN);
	assert_int_equal(spod_wire_op(SPOD_OP_SIGN_TX)->key_scoped, 1);
	assert_int_equal(spod_wire_op(SPOD_OP_SIGN_TX)->audited, 1);
	assert_string_equal(spod_wire_op_name(SPOD_OP_SIGN_TX), "sign.tx");
}

/* An answer with two transfers and a signed transaction of len bytes; returns its length. */
static size_t answer(size_t len)
{
	static const uint8_t to[20] = {0x35, 0x35, 0x35}, mint[32] = {0x20, 0x20};
	uint8_t amount[32] = {0};
	struct spod_tx_xfer x1 = {1, 18, NULL, 0, to, 20, amount};
	struct spod_tx_xfer x2 = {2, 0xff, mint, 32, NULL, 0, amount};
	struct spod_sign_tx_view v = {.chain = 1,
	                              .kind = 3,
	                              .flags = 2,
	                              .chain_id = 8453,
	                              .n_transfers = 2,
	                              .signed_len = (uint32_t)len};
	size_t room, n;
	uint8_t *dst;

	amount[31] = 9;
	dst = spod_wire_sign_tx_reserve(g_out, sizeof(g_out), 2, &room);
	assert_non_null(dst);
	assert_ptr_equal(dst, g_out + SPOD_HDR_BYTES + 32 + 200);
	assert_int_equal(room, SPOD_TX_SIGNED_MAX_BYTES);
	assert_int_equal(spod_wire_sign_tx_put_xfer(g_out, 2, 0, &x1), SPOD_OK);
	assert_int_equal(spod_wire_sign_tx_put_xfer(g_out, 2, 1, &x2), SPOD_OK);
	memset(dst, 0xee, len);
	spod_wire_sign_tx_commit(g_out, &n, 5, &v);
	return n;
}

static void test_answer(void **state)
{
	struct spod_sign_tx_view v;
	struct spod_tx_xfer x;
	struct spod_frame f;
	uint8_t *b = g_out + SPOD_HDR_BYTES;
	size_t n, room;

	(void)state;
	n = answer(110);
	assert_int_equal(n, SPOD_HDR_BYTES + 32 + 200 + 110);
	assert_true(n <= spod_wire_resp_max(SPOD_OP_SIGN_TX, 0));
	frame(&f, g_out, n);
	assert_int_equal(f.hdr.flags, SPOD_FLAG_RESPONSE);
	assert_int_equal(spod_wire_sign_tx_resp(&v, &f), SPOD_OK);
	assert_int_equal(v.chain, 1);
	assert_int_equal(v.kind, 3);
	assert_int_equal(v.flags, 2);
	assert_int_equal(v.chain_id, 8453);
	assert_int_equal(v.n_transfers, 2);
	assert_int_equal(v.signed_len, 110);
	assert_ptr_equal(v.signed_tx, f.body + 232);
	spod_wire_sign_tx_xfer(&x, &v, 0);
	assert_int_equal(x.asset, 1);
	assert_int_equal(x.decimals, 18);
	assert_null(x.token);
	assert_int_equal(x.to_len, 20);
	assert_int_equal(x.to[0], 0x35);
	assert_int_equal(x.amount[31], 9);
	spod_wire_sign_tx_xfer(&x, &v, 1);
	assert_int_equal(x.asset, 2);
	assert_int_equal(x.token_len, 32);
	assert_int_equal(x.token[1], 0x20);
	assert_null(x.to);

	/* fields a decoder refuses: chain, kind, count, reserved, asset, lengths, padding */
	static const struct {
		uint32_t off;
		uint8_t val;
		int rc;
	} bad[] = {{TXR_CHAIN, 0, SPOD_E_BAD_FIELD},
	           {TXR_CHAIN, 3, SPOD_E_BAD_FIELD},
	           {TXR_KIND, 0, SPOD_E_BAD_FIELD},
	           {TXR_N_XFERS, 17, SPOD_E_BAD_FIELD},
	           {TXR_N_XFERS, 3, SPOD_E_BAD_FIELD}, /* the signed bytes read as an entry */
	           {TXR_N_XFERS, 1, SPOD_E_BAD_REF},
	           {TXR_RESERVED1, 1, SPOD_E_BAD_FIELD},
	           {TXR_RESERVED2 + 7, 1, SPOD_E_BAD_FIELD},
	           {TXR_FIXED + XFER_ASSET, 0, SPOD_E_BAD_FIELD},
	           {TXR_FIXED + XFER_ASSET, 3, SPOD_E_BAD_FIELD},
	           {TXR_FIXED + XFER_TOKEN_LEN, 33, SPOD_E_BAD_FIELD},
	           {TXR_FIXED + XFER_TO_LEN, 33, SPOD_E_BAD_FIELD},
	           {TXR_FIXED + XFER_TO + 20, 1, SPOD_E_BAD_FIELD},
	           {TXR_FIXED + XFER_TOKEN, 1, SPOD_E_BAD_FIELD},
	           {TXR_FIXED + XFER_BYTES + XFER_TO, 1, SPOD_E_BAD_FIELD}};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t keep = b[bad[i].off];

		b[bad[i].off] = bad[i].val;
		frame(&f, g_out, n);
		assert_int_equal(spod_wire_sign_tx_resp(&v, &f), bad[i].rc);
		assert_true(is_zero(&v, sizeof(v)));
		b[bad[i].off] = keep;
	}
	/* the signed transaction: right after the transfers, to the end of the body, not empty */
	spod_put_le32(b + TXR_SIGNED_OFF, 233);
	frame(&f, g_out, n);
	assert_int_equal(spod_wire_sign_tx_resp(&v, &f), SPOD_E_BAD_REF);
	spod_put_le32(b + TXR_SIGNED_OFF, 232);
	spod_put_le32(b + TXR_SIGNED_LEN, 109);
	frame(&f, g_out, n);
	assert_int_equal(spod_wire_sign_tx_resp(&v, &f), SPOD_E_BAD_LENGTH);
	spod_put_le32(b + TXR_SIGNED_LEN, 111);
	frame(&f, g_out, n);
	assert_int_equal(spod_wire_sign_tx_resp(&v, &f), SPOD_E_BAD_REF);
	spod_put_le32(b + TXR_SIGNED_LEN, 0);
	frame(&f, g_out, n);
	assert_int_equal(spod_wire_sign_tx_resp(&v, &f), SPOD_E_BAD_REF);
	spod_put_le32(b + TXR_SIGNED_LEN, 110);
	/* a request flag, another opcode, an error status */
	g_out[6] = 0;
	frame(&f, g_out, n);
	assert_int_equal(spod_wire_sign_tx_resp(&v, &f), SPOD_E_BAD_FIELD);
	g_out[6] = SPOD_FLAG_RESPONSE;
	g_out[5] = SPOD_OP_SIGN;
	frame(&f, g_out, n);
	assert_int_equal(spod_wire_sign_tx_resp(&v, &f), SPOD_E_PROTOCOL);
	g_out[5] = SPOD_OP_SIGN_TX;
	spod_put_le16(g_out + 16, spod_err_to_status(SPOD_E_BAD_MODE));
	frame(&f, g_out, n);
	assert_int_equal(spod_wire_sign_tx_resp(&v, &f), SPOD_E_BAD_MODE);
	/* a body shorter than the fixed part */
	spod_wire_put_hdr(g_out, SPOD_OP_SIGN_TX, SPOD_FLAG_RESPONSE, 1, 0, 31);
	frame(&f, g_out, SPOD_HDR_BYTES + 31);
	assert_int_equal(spod_wire_sign_tx_resp(&v, &f), SPOD_E_BAD_LENGTH);

	/* the largest answer fits what the opcode table promises and one frame */
	n = answer(SPOD_TX_SIGNED_MAX_BYTES);
	frame(&f, g_out, n);
	assert_int_equal(spod_wire_sign_tx_resp(&v, &f), SPOD_OK);
	assert_true(SPOD_HDR_BYTES + 32 + 16 * 100 + SPOD_TX_SIGNED_MAX_BYTES <=
	            spod_wire_resp_max(SPOD_OP_SIGN_TX, 0));
	/* the writer's checks: too many transfers, a small buffer, bad entries */
	assert_null(spod_wire_sign_tx_reserve(g_out, sizeof(g_out), 17, &room));
	assert_int_equal(room, 0);
	assert_null(spod_wire_sign_tx_reserve(g_out, SPOD_HDR_BYTES + TXR_BODY_MAX - 1, 0, &room));
	{
		uint8_t amount[32] = {0}, addr[33] = {0};
		struct spod_tx_xfer x3 = {1, 0, NULL, 0, addr, 33, amount};

		assert_int_equal(spod_wire_sign_tx_put_xfer(g_out, 2, 0, &x3), SPOD_E_BAD_ARG);
		x3.to_len = 32;
		assert_int_equal(spod_wire_sign_tx_put_xfer(g_out, 2, 2, &x3), SPOD_E_BAD_ARG);
		x3.asset = 0;
		assert_int_equal(spod_wire_sign_tx_put_xfer(g_out, 2, 0, &x3), SPOD_E_BAD_ARG);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_request),
	    cmocka_unit_test(test_answer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
