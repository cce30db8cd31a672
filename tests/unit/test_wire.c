/*
 * Wire format v1 (src/wire) and the error table (src/common/err.c).
 *
 * Every frame under test is copied into an exact-size heap buffer before it is framed, so
 * an ASan build (-DSPOD_SANITIZE=ON) reports any view that reaches past the frame.
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

/* The layout as docs/protocol.md documents it; layout.h must not drift from it. */
_Static_assert(SPOD_HDR_BYTES == 24 && HDR_MAGIC == 0 && HDR_VERSION == 4 && HDR_OPCODE == 5 &&
                   HDR_FLAGS == 6 && HDR_REQUEST_ID == 8 && HDR_STATUS == 16 &&
                   HDR_RESERVED == 18 && HDR_BODY_LEN == 20,
               "header layout");
_Static_assert(GEN_ALG == 0 && GEN_FIXED == 8 && KEYREQ_ID == 0 && KEYREQ_FIXED == 16 &&
                   LISTREQ_CURSOR == 0 && LISTREQ_MAX == 4 && LISTREQ_FIXED == 8,
               "key request layouts");
_Static_assert(SIGN_KEY_ID == 0 && SIGN_MODE == 16 && SIGN_RESERVED1 == 17 && SIGN_DATA_OFF == 20 &&
                   SIGN_DATA_LEN == 24 && SIGN_RESERVED2 == 28 && SIGN_FIXED == 32 &&
                   BATCH_COUNT == 0 && BATCH_RESERVED == 4 && BATCH_ITEMS == 8 &&
                   BATCH_ITEM_BYTES == 32,
               "sign request layouts");
/* Key responses and key.list pages: test_wire_key.c. */
_Static_assert(SIG_ALG == 0 && SIG_RECID == 1 && SIG_RESERVED1 == 2 && SIG_OFF == 4 &&
                   SIG_LEN == 8 && SIG_RESERVED2 == 12 && SIG_FIXED == 16 && BRESP_COUNT == 0 &&
                   BRESP_RESERVED == 4 && BRESP_ITEMS == 8 && BRESP_STATUS == 0 && BRESP_ALG == 2 &&
                   BRESP_RECID == 3 && BRESP_SIG_OFF == 4 && BRESP_SIG_LEN == 8 &&
                   BRESP_RESERVED2 == 12 && BRESP_ITEM_BYTES == 16,
               "signature response layouts");
_Static_assert(INFO_PROTO == 0 && INFO_RESERVED1 == 2 && INFO_ALG_MASK == 4 &&
                   INFO_KEY_COUNT == 8 && INFO_KEY_CAPACITY == 12 && INFO_FLAGS == 16 &&
                   INFO_VER_OFF == 20 && INFO_VER_LEN == 24 && INFO_RESERVED2 == 28 &&
                   INFO_FIXED == 32 && INFO_VERSION_MAX == 64,
               "info response layout");
_Static_assert(SPOD_FRAME_MAX_BYTES == 262144 && SPOD_BODY_MAX_BYTES == 262120 &&
                   SPOD_MSG_MAX_BYTES == 65536 && SPOD_BATCH_MAX_ITEMS == 256 &&
                   SPOD_LIST_MAX_ITEMS == 1024 && SPOD_ERRMSG_MAX_BYTES == 256,
               "protocol caps");

static const uint8_t kid_a[SPOD_KEY_ID_BYTES] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                                                 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
static const uint8_t kid_b[SPOD_KEY_ID_BYTES] = {0xf0, 0xe1, 0xd2, 0xc3, 0xb4, 0xa5, 0x96, 0x87,
                                                 0x78, 0x69, 0x5a, 0x4b, 0x3c, 0x2d, 0x1e, 0x0f};

static uint8_t g_body[SPOD_BODY_MAX_BYTES + 64]; /* raw bodies are written here */
static uint8_t g_stage[SPOD_FRAME_MAX_BYTES + 64];
static uint8_t g_out[SPOD_FRAME_MAX_BYTES + 64]; /* encoder and writer output */
static uint8_t *g_frame;                         /* exact-size copy of the last frame */

static int teardown_group(void **state)
{
	(void)state;
	free(g_frame);
	g_frame = NULL;
	return 0;
}

static int is_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return 0;
	return 1;
}

/* Copies src[0..len) to a fresh exact-size buffer and frames it; the old copy is freed. */
static void frame_exact(struct spod_frame *f, const uint8_t *src, size_t len)
{
	free(g_frame);
	g_frame = malloc(len);
	assert_non_null(g_frame);
	memcpy(g_frame, src, len);
	assert_int_equal(spod_wire_frame(f, g_frame, len), SPOD_OK);
	assert_int_equal(f->frame_len, len);
	assert_ptr_equal(f->body, g_frame + SPOD_HDR_BYTES);
}

/* Frames a header plus g_body[0..body_len). */
static void mk(struct spod_frame *f, uint8_t opcode, uint16_t flags, uint16_t status,
               uint32_t body_len)
{
	assert_true(body_len <= SPOD_BODY_MAX_BYTES);
	spod_wire_put_hdr(g_stage, opcode, flags, 0x0102030405060708u, status, body_len);
	memcpy(g_stage + SPOD_HDR_BYTES, g_body, body_len);
	frame_exact(f, g_stage, SPOD_HDR_BYTES + body_len);
}

#define mk_req(f, op, n)  mk((f), (op), 0, 0, (n))
#define mk_resp(f, op, n) mk((f), (op), SPOD_FLAG_RESPONSE, 0, (n))

static void put_sign_item(uint8_t *item, const uint8_t *kid, uint8_t mode, uint32_t off,
                          uint32_t len)
{
	memset(item, 0, SIGN_FIXED);
	memcpy(item + SIGN_KEY_ID, kid, SPOD_KEY_ID_BYTES);
	item[SIGN_MODE] = mode;
	spod_put_le32(item + SIGN_DATA_OFF, off);
	spod_put_le32(item + SIGN_DATA_LEN, len);
}

/* ---- framing ---- */

static void test_frame_short_is_again(void **state)
{
	uint8_t hdr[SPOD_HDR_BYTES];
	struct spod_frame f;

	(void)state;
	spod_wire_put_hdr(hdr, SPOD_OP_INFO, 0, 1, 0, 0);
	for (size_t len = 0; len < SPOD_HDR_BYTES; len++) {
		uint8_t *p = malloc(len ? len : 1);
		assert_non_null(p);
		memcpy(p, hdr, len);
		memset(&f, 0xa5, sizeof(f));
		assert_int_equal(spod_wire_frame(&f, p, len), SPOD_E_AGAIN);
		assert_true(is_zero(&f, sizeof(f)));
		free(p);
	}
	assert_int_equal(spod_wire_frame(&f, hdr, sizeof(hdr)), SPOD_OK);
	assert_int_equal(f.frame_len, SPOD_HDR_BYTES);
	assert_int_equal(f.body_len, 0);
}

static void test_frame_bad_magic_on_any_prefix(void **state)
{
	uint8_t hdr[SPOD_HDR_BYTES];
	struct spod_frame f;

	(void)state;
	for (size_t pos = 0; pos < 4; pos++) {
		spod_wire_put_hdr(hdr, SPOD_OP_INFO, 0, 1, 0, 0);
		hdr[pos] ^= 0x20; /* 's' instead of 'S' and so on */
		for (size_t len = 0; len <= SPOD_HDR_BYTES; len++) {
			int want = len > pos ? SPOD_E_BAD_MAGIC : SPOD_E_AGAIN;
			memset(&f, 0xa5, sizeof(f));
			assert_int_equal(spod_wire_frame(&f, hdr, len), want);
			assert_true(is_zero(&f, sizeof(f)));
		}
	}
	/* the magic is the bytes "SPOD", not the big-endian word */
	spod_wire_put_hdr(hdr, SPOD_OP_INFO, 0, 1, 0, 0);
	memcpy(hdr, "DOPS", 4);
	assert_int_equal(spod_wire_frame(&f, hdr, 1), SPOD_E_BAD_MAGIC);
	assert_int_equal(spod_wire_frame(&f, hdr, sizeof(hdr)), SPOD_E_BAD_MAGIC);
	memcpy(hdr, "SPOD", 4);
	assert_int_equal(spod_wire_frame(&f, hdr, sizeof(hdr)), SPOD_OK);
}

static void test_frame_body_len_bounds(void **state)
{
	const size_t n = SPOD_FRAME_MAX_BYTES;
	uint8_t *p = malloc(n + 1);
	struct spod_frame f;

	(void)state;
	assert_non_null(p);
	memset(p, 0x5a, n + 1);
	spod_wire_put_hdr(p, SPOD_OP_ECHO, 0, 9, 0, SPOD_BODY_MAX_BYTES);
	assert_int_equal(spod_wire_frame(&f, p, n), SPOD_OK);
	assert_int_equal(f.frame_len, SPOD_FRAME_MAX_BYTES);
	assert_int_equal(f.body_len, SPOD_BODY_MAX_BYTES);
	assert_int_equal(f.hdr.body_len, SPOD_BODY_MAX_BYTES);
	assert_ptr_equal(f.body, p + SPOD_HDR_BYTES);
	assert_int_equal(spod_wire_frame(&f, p, n - 1), SPOD_E_AGAIN);
	assert_int_equal(spod_wire_frame(&f, p, n + 1), SPOD_OK);
	assert_int_equal(f.frame_len, n);

	/* one byte over the cap is refused as soon as the header is in, before any body */
	spod_wire_put_hdr(p, SPOD_OP_ECHO, 0, 9, 0, SPOD_BODY_MAX_BYTES + 1);
	memset(&f, 0xa5, sizeof(f));
	assert_int_equal(spod_wire_frame(&f, p, SPOD_HDR_BYTES), SPOD_E_TOO_LARGE);
	assert_true(is_zero(&f, sizeof(f)));
	assert_int_equal(spod_wire_frame(&f, p, n + 1), SPOD_E_TOO_LARGE);
	assert_int_equal(spod_wire_frame(&f, p, SPOD_HDR_BYTES - 1), SPOD_E_AGAIN);
	spod_wire_put_hdr(p, SPOD_OP_ECHO, 0, 9, 0, 0x80000000u);
	assert_int_equal(spod_wire_frame(&f, p, n + 1), SPOD_E_TOO_LARGE);
	spod_wire_put_hdr(p, SPOD_OP_ECHO, 0, 9, 0, UINT32_MAX);
	assert_int_equal(spod_wire_frame(&f, p, n + 1), SPOD_E_TOO_LARGE);
	free(p);
}

static void test_frame_incomplete_body_is_again(void **state)
{
	uint8_t buf[SPOD_HDR_BYTES + 40];
	struct spod_frame f;

	(void)state;
	memset(buf, 0x77, sizeof(buf));
	spod_wire_put_hdr(buf, SPOD_OP_ECHO, 0, 3, 0, 40);
	for (size_t len = SPOD_HDR_BYTES; len < sizeof(buf); len++) {
		memset(&f, 0xa5, sizeof(f));
		assert_int_equal(spod_wire_frame(&f, buf, len), SPOD_E_AGAIN);
		assert_true(is_zero(&f, sizeof(f)));
	}
	assert_int_equal(spod_wire_frame(&f, buf, sizeof(buf)), SPOD_OK);
	assert_int_equal(f.frame_len, sizeof(buf));
	assert_int_equal(f.body_len, 40);
}

static void test_frame_decodes_header_little_endian(void **state)
{
	static const uint8_t raw[SPOD_HDR_BYTES + 3] = {
	    'S',  'P',  'O',  'D',  0x07, 0x21, 0x34, 0x12, /* version 7, op, flags 0x1234 */
	    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, /* request id */
	    0x0e, 0x00, 0xcd, 0xab, 0x03, 0x00, 0x00, 0x00, /* status 14, reserved, len 3 */
	    0xaa, 0xbb, 0xcc,
	};
	struct spod_frame f;

	(void)state;
	frame_exact(&f, raw, sizeof(raw));
	assert_int_equal(f.hdr.magic, SPOD_WIRE_MAGIC);
	assert_int_equal(f.hdr.version, 7);
	assert_int_equal(f.hdr.opcode, SPOD_OP_SIGN_BATCH);
	assert_int_equal(f.hdr.flags, 0x1234);
	assert_true(f.hdr.request_id == 0x0807060504030201u);
	assert_int_equal(f.hdr.status, 14);
	assert_int_equal(f.hdr.reserved, 0xabcd);
	assert_int_equal(f.hdr.body_len, 3);
	assert_int_equal(f.body[2], 0xcc);
	assert_true(spod_wire_get_request_id(g_frame) == 0x0807060504030201u);
}

static void test_frame_stream_of_frames(void **state)
{
	size_t n1, n2, n3;
	struct spod_frame f;
	uint8_t *p = g_out;

	(void)state;
	assert_int_equal(spod_wire_enc_empty(p, 64, &n1, SPOD_OP_INFO, 1), SPOD_OK);
	assert_int_equal(spod_wire_enc_echo(p + n1, 64, &n2, 2, (const uint8_t *)"abc", 3),
	                 SPOD_OK);
	assert_int_equal(spod_wire_enc_generate(p + n1 + n2, 64, &n3, 3, SPOD_ALG_P256), SPOD_OK);
	assert_int_equal(spod_wire_frame(&f, p, n1 + n2 + n3), SPOD_OK);
	assert_int_equal(f.frame_len, n1);
	assert_true(f.hdr.request_id == 1);
	assert_int_equal(spod_wire_frame(&f, p + n1, n2 + n3), SPOD_OK);
	assert_int_equal(f.frame_len, n2);
	assert_memory_equal(f.body, "abc", 3);
	assert_int_equal(spod_wire_frame(&f, p + n1 + n2, n3 - 1), SPOD_E_AGAIN);
	assert_int_equal(spod_wire_frame(&f, p + n1 + n2, n3), SPOD_OK);
	assert_int_equal(f.hdr.opcode, SPOD_OP_KEY_GENERATE);

	spod_wire_set_request_id(p, 0xfedcba9876543210u);
	assert_true(spod_wire_get_request_id(p) == 0xfedcba9876543210u);
	assert_int_equal(spod_wire_frame(&f, p, n1), SPOD_OK);
	assert_true(f.hdr.request_id == 0xfedcba9876543210u);
}

/* ---- header checks ---- */

static struct spod_hdr hdr_of(int response)
{
	struct spod_hdr h = {
	    .magic = SPOD_WIRE_MAGIC,
	    .version = SPOD_WIRE_VERSION,
	    .opcode = SPOD_OP_SIGN,
	    .flags = response ? SPOD_FLAG_RESPONSE : 0,
	    .request_id = 5,
	};
	return h;
}

static void test_check_hdr(void **state)
{
	struct spod_hdr h;

	(void)state;
	for (int resp = 0; resp <= 1; resp++) {
		h = hdr_of(resp);
		assert_int_equal(spod_wire_check_hdr(&h, resp), SPOD_OK);
		assert_int_equal(spod_wire_check_hdr(&h, !resp), SPOD_E_BAD_FIELD);

		for (unsigned v = 0; v <= 255; v++) {
			h = hdr_of(resp);
			h.version = (uint8_t)v;
			assert_int_equal(spod_wire_check_hdr(&h, resp),
			                 v == SPOD_WIRE_VERSION ? SPOD_OK : SPOD_E_BAD_VERSION);
		}
		for (unsigned bit = 1; bit < 16; bit++) {
			h = hdr_of(resp);
			h.flags |= (uint16_t)(1u << bit);
			assert_int_equal(spod_wire_check_hdr(&h, resp), SPOD_E_BAD_FIELD);
			/* the version is checked first, so an old peer learns the version */
			h.version = 2;
			assert_int_equal(spod_wire_check_hdr(&h, resp), SPOD_E_BAD_VERSION);
		}
		h = hdr_of(resp);
		h.reserved = 1;
		assert_int_equal(spod_wire_check_hdr(&h, resp), SPOD_E_BAD_FIELD);
		h.reserved = 0x8000;
		assert_int_equal(spod_wire_check_hdr(&h, resp), SPOD_E_BAD_FIELD);
	}

	/* status must be zero in requests, and may be anything in responses */
	h = hdr_of(0);
	h.status = 1;
	assert_int_equal(spod_wire_check_hdr(&h, 0), SPOD_E_BAD_FIELD);
	h.status = 0xffff;
	assert_int_equal(spod_wire_check_hdr(&h, 0), SPOD_E_BAD_FIELD);
	h = hdr_of(1);
	h.status = 14;
	assert_int_equal(spod_wire_check_hdr(&h, 1), SPOD_OK);
	h.status = 0xffff;
	assert_int_equal(spod_wire_check_hdr(&h, 1), SPOD_OK);
	/* any true value means "expect a response" */
	assert_int_equal(spod_wire_check_hdr(&h, 2), SPOD_OK);
}

static void test_alg_tables(void **state)
{
	uint8_t alg;

	(void)state;
	assert_false(spod_alg_valid(0));
	assert_true(spod_alg_valid(SPOD_ALG_ED25519));
	assert_true(spod_alg_valid(SPOD_ALG_P256));
	assert_false(spod_alg_valid(4));
	assert_false(spod_alg_valid(UINT32_MAX));
	assert_null(spod_alg_name(0));
	assert_null(spod_alg_name(4));
	assert_string_equal(spod_alg_name(SPOD_ALG_ED25519), "ed25519");
	assert_string_equal(spod_alg_name(SPOD_ALG_SECP256K1), "secp256k1");
	assert_string_equal(spod_alg_name(SPOD_ALG_P256), "p256");
	for (uint8_t a = SPOD_ALG_ED25519; a <= SPOD_ALG_P256; a++) {
		assert_int_equal(spod_alg_parse(&alg, spod_alg_name(a)), SPOD_OK);
		assert_int_equal(alg, a);
	}
	assert_int_equal(spod_alg_parse(&alg, "P256"), SPOD_E_UNKNOWN_ALG);
	assert_int_equal(alg, 0);
	assert_int_equal(spod_alg_parse(&alg, ""), SPOD_E_UNKNOWN_ALG);
	assert_int_equal(spod_alg_pub_len(SPOD_ALG_ED25519), 32);
	assert_int_equal(spod_alg_pub_len(SPOD_ALG_SECP256K1), 65);
	assert_int_equal(spod_alg_pub_len(SPOD_ALG_P256), 65);
	assert_int_equal(spod_alg_pub_len(0), 0);

	for (uint32_t m = 0; m <= 4; m++) {
		assert_int_equal(spod_mode_check(SPOD_ALG_ED25519, m),
		                 m == SPOD_MODE_RAW ? SPOD_OK : SPOD_E_BAD_MODE);
		for (uint32_t a = SPOD_ALG_SECP256K1; a <= SPOD_ALG_P256; a++)
			assert_int_equal(spod_mode_check(a, m),
			                 m >= SPOD_MODE_DIGEST && m <= SPOD_MODE_KECCAK256
			                     ? SPOD_OK
			                     : SPOD_E_BAD_MODE);
		assert_int_equal(spod_mode_check(0, m), SPOD_E_UNKNOWN_ALG);
		assert_int_equal(spod_mode_check(4, m), SPOD_E_UNKNOWN_ALG);
	}
}

/* ---- request validators ---- */

static int gen_rc(struct spod_generate_req *v, uint32_t body_len)
{
	struct spod_frame f;
	int rc;

	mk_req(&f, SPOD_OP_KEY_GENERATE, body_len);
	memset(v, 0xa5, sizeof(*v));
	rc = spod_wire_generate_req(v, &f);
	if (rc != SPOD_OK)
		assert_true(is_zero(v, sizeof(*v)));
	return rc;
}

static void test_generate_req(void **state)
{
	struct spod_generate_req v;

	(void)state;
	memset(g_body, 0, 16);
	for (uint8_t a = SPOD_ALG_ED25519; a <= SPOD_ALG_P256; a++) {
		g_body[0] = a;
		assert_int_equal(gen_rc(&v, 8), SPOD_OK);
		assert_int_equal(v.alg, a);
	}
	g_body[0] = SPOD_ALG_ED25519;
	assert_int_equal(gen_rc(&v, 0), SPOD_E_BAD_LENGTH);
	assert_int_equal(gen_rc(&v, 1), SPOD_E_BAD_LENGTH);
	assert_int_equal(gen_rc(&v, 7), SPOD_E_BAD_LENGTH);
	assert_int_equal(gen_rc(&v, 9), SPOD_E_BAD_LENGTH);
	assert_int_equal(gen_rc(&v, 16), SPOD_E_BAD_LENGTH);
	for (int i = 1; i < 8; i++) {
		/* 1..3 reserved; 4..7 the label length, which then disagrees with body_len */
		g_body[i] = 0x80;
		assert_int_equal(gen_rc(&v, 8), i < 4 ? SPOD_E_BAD_FIELD : SPOD_E_BAD_LENGTH);
		g_body[i] = 0;
	}
	/* a label: its length at 4, its bytes after the fixed part, checked and referenced */
	g_body[4] = 3;
	memcpy(g_body + 8, "a-b", 3);
	assert_int_equal(gen_rc(&v, 11), SPOD_OK);
	assert_int_equal(v.label_len, 3);
	assert_memory_equal(v.label, "a-b", 3);
	assert_int_equal(gen_rc(&v, 10), SPOD_E_BAD_LENGTH);
	assert_int_equal(gen_rc(&v, 12), SPOD_E_BAD_LENGTH);
	g_body[9] = ' ';
	assert_int_equal(gen_rc(&v, 11), SPOD_E_BAD_FIELD);
	g_body[9] = 0;
	assert_int_equal(gen_rc(&v, 11), SPOD_E_BAD_FIELD);
	memset(g_body + 4, 0, 12);
	static const uint8_t bad[] = {0, 4, 255};
	for (size_t i = 0; i < sizeof(bad); i++) {
		g_body[0] = bad[i];
		assert_int_equal(gen_rc(&v, 8), SPOD_E_UNKNOWN_ALG);
	}
}

static void test_hello_req(void **state)
{
	static const char tok[] = "spod_abc";
	struct spod_hello_view hv;
	struct spod_hello_req v;
	uint8_t id[SPOD_KEY_ID_BYTES];
	struct spod_frame f;
	size_t n;

	(void)state;
	assert_int_equal(spod_wire_enc_hello(g_out, sizeof(g_out), &n, 4, tok, 8), SPOD_OK);
	assert_int_equal(n, SPOD_HDR_BYTES + 8 + 8);
	assert_int_equal(spod_wire_frame(&f, g_out, n), SPOD_OK);
	assert_int_equal(spod_wire_hello_req(&v, &f), SPOD_OK);
	assert_int_equal(v.token_len, 8);
	assert_memory_equal(v.token, tok, 8);
	/* token length 0 or over the cap, reserved bytes, a length that disagrees */
	assert_int_equal(spod_wire_enc_hello(g_out, sizeof(g_out), &n, 4, tok, 0), SPOD_E_BAD_ARG);
	assert_int_equal(
	    spod_wire_enc_hello(g_out, sizeof(g_out), &n, 4, tok, SPOD_TOKEN_MAX_BYTES + 1),
	    SPOD_E_BAD_ARG);
	assert_int_equal(spod_wire_enc_hello(g_out, sizeof(g_out), &n, 4, tok, 8), SPOD_OK);
	g_out[SPOD_HDR_BYTES + 5] = 1;
	assert_int_equal(spod_wire_frame(&f, g_out, n), SPOD_OK);
	assert_int_equal(spod_wire_hello_req(&v, &f), SPOD_E_BAD_FIELD);
	assert_true(is_zero(&v, sizeof(v)));
	g_out[SPOD_HDR_BYTES + 5] = 0;
	g_out[SPOD_HDR_BYTES] = 9;
	assert_int_equal(spod_wire_hello_req(&v, &f), SPOD_E_BAD_LENGTH);
	/* the answer round-trips */
	memset(id, 0x5a, sizeof(id));
	assert_int_equal(
	    spod_wire_put_hello(g_out, sizeof(g_out), &n, 4, id, SPOD_HELLO_AUTH, 0x09), SPOD_OK);
	assert_int_equal(spod_wire_frame(&f, g_out, n), SPOD_OK);
	assert_int_equal(spod_wire_hello_resp(&hv, &f), SPOD_OK);
	assert_memory_equal(hv.token_id, id, sizeof(id));
	assert_int_equal(hv.flags, SPOD_HELLO_AUTH);
	assert_int_equal(hv.ops, 0x09);
	assert_true(spod_wire_resp_max(SPOD_OP_HELLO, 0) >= n);
}

static void test_key_req(void **state)
{
	struct spod_key_req v;
	struct spod_frame f;

	(void)state;
	memcpy(g_body, kid_a, 16);
	g_body[16] = 0xee;
	mk_req(&f, SPOD_OP_KEY_PUBLIC, 16);
	assert_int_equal(spod_wire_key_req(&v, &f), SPOD_OK);
	assert_ptr_equal(v.key_id, f.body);
	assert_memory_equal(v.key_id, kid_a, 16);
	static const uint32_t bad[] = {0, 1, 15, 17, 32};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		mk_req(&f, SPOD_OP_KEY_DELETE, bad[i]);
		memset(&v, 0xa5, sizeof(v));
		assert_int_equal(spod_wire_key_req(&v, &f), SPOD_E_BAD_LENGTH);
		assert_null(v.key_id);
	}
}

static int list_rc(struct spod_list_req *v, uint32_t cursor, uint32_t max, uint32_t body_len)
{
	struct spod_frame f;
	int rc;

	spod_put_le32(g_body + LISTREQ_CURSOR, cursor);
	spod_put_le32(g_body + LISTREQ_MAX, max);
	mk_req(&f, SPOD_OP_KEY_LIST, body_len);
	memset(v, 0xa5, sizeof(*v));
	rc = spod_wire_list_req(v, &f);
	if (rc != SPOD_OK)
		assert_true(is_zero(v, sizeof(*v)));
	return rc;
}

static void test_list_req(void **state)
{
	struct spod_list_req v;

	(void)state;
	assert_int_equal(list_rc(&v, 0, 0, 8), SPOD_E_BAD_FIELD);
	assert_int_equal(list_rc(&v, 0, 1, 8), SPOD_OK);
	assert_int_equal(v.max, 1);
	assert_int_equal(v.cursor, 0);
	assert_int_equal(list_rc(&v, 0xdeadbeef, 1024, 8), SPOD_OK);
	assert_int_equal(v.max, 1024);
	assert_int_equal(v.cursor, 0xdeadbeef);
	assert_int_equal(list_rc(&v, 0, 1025, 8), SPOD_E_BAD_FIELD);
	assert_int_equal(list_rc(&v, 0, UINT32_MAX, 8), SPOD_E_BAD_FIELD);
	assert_int_equal(list_rc(&v, 0, 10, 0), SPOD_E_BAD_LENGTH);
	assert_int_equal(list_rc(&v, 0, 10, 7), SPOD_E_BAD_LENGTH);
	assert_int_equal(list_rc(&v, 0, 10, 9), SPOD_E_BAD_LENGTH);
}

static void test_empty_req(void **state)
{
	struct spod_frame f;

	(void)state;
	mk_req(&f, SPOD_OP_INFO, 0);
	assert_int_equal(spod_wire_empty_req(&f), SPOD_OK);
	mk_req(&f, SPOD_OP_INFO, 1);
	assert_int_equal(spod_wire_empty_req(&f), SPOD_E_BAD_LENGTH);
	mk_req(&f, SPOD_OP_INFO, 300);
	assert_int_equal(spod_wire_empty_req(&f), SPOD_E_BAD_LENGTH);
}

/* Validates g_body[0..body_len) as a sign request; checks the view either way. */
static int sign_rc(struct spod_sign_req *v, uint32_t body_len)
{
	struct spod_frame f;
	int rc;

	mk_req(&f, SPOD_OP_SIGN, body_len);
	memset(v, 0xa5, sizeof(*v));
	rc = spod_wire_sign_req(v, &f);
	if (rc != SPOD_OK) {
		assert_true(is_zero(v, sizeof(*v)));
		return rc;
	}
	assert_ptr_equal(v->key_id, f.body);
	assert_true(v->data >= f.body + SIGN_FIXED);
	assert_true(v->data_len <= (size_t)(f.body + f.body_len - v->data));
	assert_true(v->data_len <= SPOD_MSG_MAX_BYTES);
	return rc;
}

static void test_sign_req_ok(void **state)
{
	struct spod_sign_req v;

	(void)state;
	put_sign_item(g_body, kid_a, SPOD_MODE_SHA256, SIGN_FIXED, 5);
	memcpy(g_body + SIGN_FIXED, "hello", 5);
	assert_int_equal(sign_rc(&v, SIGN_FIXED + 5), SPOD_OK);
	assert_memory_equal(v.key_id, kid_a, 16);
	assert_int_equal(v.mode, SPOD_MODE_SHA256);
	assert_int_equal(v.data_len, 5);
	assert_memory_equal(v.data, "hello", 5);
	assert_ptr_equal(v.data, g_frame + SPOD_HDR_BYTES + SIGN_FIXED);

	/* empty message: the reference may sit exactly at the end of the body */
	put_sign_item(g_body, kid_b, SPOD_MODE_RAW, SIGN_FIXED, 0);
	assert_int_equal(sign_rc(&v, SIGN_FIXED), SPOD_OK);
	assert_int_equal(v.data_len, 0);
	assert_ptr_equal(v.data, g_frame + SPOD_HDR_BYTES + SIGN_FIXED);
	put_sign_item(g_body, kid_b, SPOD_MODE_RAW, 50, 0);
	assert_int_equal(sign_rc(&v, 50), SPOD_OK);

	/* data need not follow the fixed part directly */
	put_sign_item(g_body, kid_b, SPOD_MODE_KECCAK256, 40, 3);
	memcpy(g_body + 40, "xyz", 3);
	assert_int_equal(sign_rc(&v, 48), SPOD_OK);
	assert_memory_equal(v.data, "xyz", 3);
}

static void test_sign_req_short_body(void **state)
{
	struct spod_sign_req v;

	(void)state;
	put_sign_item(g_body, kid_a, SPOD_MODE_RAW, 0, 0);
	for (uint32_t n = 0; n < SIGN_FIXED; n++)
		assert_int_equal(sign_rc(&v, n), SPOD_E_BAD_LENGTH);
}

static void test_sign_req_refs(void **state)
{
	struct spod_sign_req v;
	const uint32_t body = SIGN_FIXED + 10;

	(void)state;
	memset(g_body + SIGN_FIXED, 0x33, 10);
	/* into the fixed part */
	static const uint32_t low[] = {0, 1, 16, 20, 31};
	for (size_t i = 0; i < sizeof(low) / sizeof(low[0]); i++) {
		put_sign_item(g_body, kid_a, SPOD_MODE_RAW, low[i], 0);
		assert_int_equal(sign_rc(&v, body), SPOD_E_BAD_REF);
		put_sign_item(g_body, kid_a, SPOD_MODE_RAW, low[i], 1);
		assert_int_equal(sign_rc(&v, body), SPOD_E_BAD_REF);
	}
	/* past the end */
	put_sign_item(g_body, kid_a, SPOD_MODE_RAW, body + 1, 0);
	assert_int_equal(sign_rc(&v, body), SPOD_E_BAD_REF);
	put_sign_item(g_body, kid_a, SPOD_MODE_RAW, body, 1);
	assert_int_equal(sign_rc(&v, body), SPOD_E_BAD_REF);
	put_sign_item(g_body, kid_a, SPOD_MODE_RAW, SIGN_FIXED, 11);
	assert_int_equal(sign_rc(&v, body), SPOD_E_BAD_REF);
	put_sign_item(g_body, kid_a, SPOD_MODE_RAW, SIGN_FIXED, 10);
	assert_int_equal(sign_rc(&v, body), SPOD_OK);
	put_sign_item(g_body, kid_a, SPOD_MODE_RAW, body, 0);
	assert_int_equal(sign_rc(&v, body), SPOD_OK);
	put_sign_item(g_body, kid_a, SPOD_MODE_RAW, UINT32_MAX, 0);
	assert_int_equal(sign_rc(&v, body), SPOD_E_BAD_REF);

	/* off + len wraps around 2^32 */
	static const uint32_t wrap[][2] = {
	    {SIGN_FIXED + 1, UINT32_MAX - SIGN_FIXED}, /* sum is exactly 2^32 */
	    {SIGN_FIXED + 1, UINT32_MAX},
	    {SIGN_FIXED, UINT32_MAX},
	    {0xfffffff0u, 0x20},
	    {UINT32_MAX, 1},
	    {SIGN_FIXED + 2, 0xfffffff0u},
	};
	for (size_t i = 0; i < sizeof(wrap) / sizeof(wrap[0]); i++) {
		put_sign_item(g_body, kid_a, SPOD_MODE_RAW, wrap[i][0], wrap[i][1]);
		assert_int_equal(sign_rc(&v, body), SPOD_E_BAD_REF);
	}
}

static void test_sign_req_message_cap(void **state)
{
	struct spod_sign_req v;
	const uint32_t body = SIGN_FIXED + SPOD_MSG_MAX_BYTES + 1;

	(void)state;
	memset(g_body + SIGN_FIXED, 0x42, SPOD_MSG_MAX_BYTES + 1);
	put_sign_item(g_body, kid_a, SPOD_MODE_RAW, SIGN_FIXED, SPOD_MSG_MAX_BYTES + 1);
	assert_int_equal(sign_rc(&v, body), SPOD_E_TOO_LARGE);
	put_sign_item(g_body, kid_a, SPOD_MODE_SHA256, SIGN_FIXED, SPOD_MSG_MAX_BYTES);
	assert_int_equal(sign_rc(&v, body), SPOD_OK);
	assert_int_equal(v.data_len, SPOD_MSG_MAX_BYTES);
	put_sign_item(g_body, kid_a, SPOD_MODE_SHA256, SIGN_FIXED + 1, SPOD_MSG_MAX_BYTES);
	assert_int_equal(sign_rc(&v, body), SPOD_OK);

	memset(g_body + SIGN_FIXED, 0x42, SPOD_BODY_MAX_BYTES - SIGN_FIXED);
	put_sign_item(g_body, kid_a, SPOD_MODE_RAW, SIGN_FIXED, SPOD_BODY_MAX_BYTES - SIGN_FIXED);
	assert_int_equal(sign_rc(&v, SPOD_BODY_MAX_BYTES), SPOD_E_TOO_LARGE);
}

static void test_sign_req_modes(void **state)
{
	struct spod_sign_req v;

	(void)state;
	memset(g_body + SIGN_FIXED, 0x11, 64);
	for (uint8_t m = SPOD_MODE_RAW; m <= SPOD_MODE_KECCAK256; m++) {
		put_sign_item(g_body, kid_a, m, SIGN_FIXED, SPOD_DIGEST_BYTES);
		assert_int_equal(sign_rc(&v, SIGN_FIXED + 64), SPOD_OK);
		assert_int_equal(v.mode, m);
	}
	static const uint8_t bad[] = {4, 5, 0x80, 255};
	for (size_t i = 0; i < sizeof(bad); i++) {
		put_sign_item(g_body, kid_a, bad[i], SIGN_FIXED, SPOD_DIGEST_BYTES);
		assert_int_equal(sign_rc(&v, SIGN_FIXED + 64), SPOD_E_BAD_MODE);
	}

	/* a digest is exactly 32 bytes; other modes take any length */
	static const uint32_t lens[] = {0, 1, 31, 33, 64};
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		put_sign_item(g_body, kid_a, SPOD_MODE_DIGEST, SIGN_FIXED, lens[i]);
		assert_int_equal(sign_rc(&v, SIGN_FIXED + 64), SPOD_E_BAD_DIGEST);
		put_sign_item(g_body, kid_a, SPOD_MODE_SHA256, SIGN_FIXED, lens[i]);
		assert_int_equal(sign_rc(&v, SIGN_FIXED + 64), SPOD_OK);
		assert_int_equal(v.data_len, lens[i]);
	}
}

static void test_sign_req_reserved(void **state)
{
	struct spod_sign_req v;
	static const int res[] = {17, 18, 19, 28, 29, 30, 31};

	(void)state;
	for (size_t i = 0; i < sizeof(res) / sizeof(res[0]); i++) {
		for (unsigned bit = 0; bit < 8; bit++) {
			put_sign_item(g_body, kid_a, SPOD_MODE_RAW, SIGN_FIXED, 0);
			g_body[res[i]] = (uint8_t)(1u << bit);
			assert_int_equal(sign_rc(&v, SIGN_FIXED), SPOD_E_BAD_FIELD);
		}
	}
}

/* ---- sign.batch ---- */

static int batch_rc(struct spod_batch_req *v, const uint8_t *frame, size_t len)
{
	struct spod_frame f;
	int rc;

	frame_exact(&f, frame, len);
	memset(v, 0xa5, sizeof(*v));
	rc = spod_wire_batch_req(v, &f);
	if (rc != SPOD_OK)
		assert_true(is_zero(v, sizeof(*v)));
	return rc;
}

static int batch_body_rc(struct spod_batch_req *v, uint32_t body_len)
{
	spod_wire_put_hdr(g_stage, SPOD_OP_SIGN_BATCH, 0, 1, 0, body_len);
	memcpy(g_stage + SPOD_HDR_BYTES, g_body, body_len);
	return batch_rc(v, g_stage, SPOD_HDR_BYTES + body_len);
}

/* Three items: a digest, "abc" for SHA-256 and an empty message for Keccak-256. */
static size_t enc_batch3(uint8_t *out, size_t cap)
{
	struct spod_batch_enc e;
	uint8_t digest[32];
	size_t n;

	memset(digest, 0x11, sizeof(digest));
	assert_int_equal(spod_wire_batch_begin(&e, out, cap, 99, 3), SPOD_OK);
	assert_int_equal(spod_wire_batch_add(&e, kid_a, SPOD_MODE_DIGEST, digest, 32), SPOD_OK);
	assert_int_equal(
	    spod_wire_batch_add(&e, kid_b, SPOD_MODE_SHA256, (const uint8_t *)"abc", 3), SPOD_OK);
	assert_int_equal(spod_wire_batch_add(&e, kid_a, SPOD_MODE_KECCAK256, NULL, 0), SPOD_OK);
	assert_int_equal(spod_wire_batch_finish(&e, &n), SPOD_OK);
	return n;
}

static void test_batch_req_items(void **state)
{
	struct spod_batch_req v;
	struct spod_sign_req it;
	uint8_t digest[32];
	size_t n = enc_batch3(g_out, sizeof(g_out));
	const size_t fixed = BATCH_ITEMS + 3 * BATCH_ITEM_BYTES;

	(void)state;
	memset(digest, 0x11, sizeof(digest));
	assert_int_equal(n, SPOD_HDR_BYTES + fixed + 35);
	assert_int_equal(batch_rc(&v, g_out, n), SPOD_OK);
	assert_int_equal(v.count, 3);
	assert_ptr_equal(v.body, g_frame + SPOD_HDR_BYTES);
	assert_int_equal(v.body_len, fixed + 35);

	spod_wire_batch_item(&it, &v, 0);
	assert_memory_equal(it.key_id, kid_a, 16);
	assert_int_equal(it.mode, SPOD_MODE_DIGEST);
	assert_int_equal(it.data_len, 32);
	assert_ptr_equal(it.data, v.body + fixed);
	assert_memory_equal(it.data, digest, 32);
	spod_wire_batch_item(&it, &v, 1);
	assert_memory_equal(it.key_id, kid_b, 16);
	assert_int_equal(it.mode, SPOD_MODE_SHA256);
	assert_int_equal(it.data_len, 3);
	assert_ptr_equal(it.data, v.body + fixed + 32);
	assert_memory_equal(it.data, "abc", 3);
	spod_wire_batch_item(&it, &v, 2);
	assert_memory_equal(it.key_id, kid_a, 16);
	assert_int_equal(it.mode, SPOD_MODE_KECCAK256);
	assert_int_equal(it.data_len, 0);
	assert_ptr_equal(it.data, v.body + v.body_len);
}

static void test_batch_req_count(void **state)
{
	struct spod_batch_req v;
	struct spod_batch_enc e;
	struct spod_sign_req it;
	size_t n;

	(void)state;
	/* counts are checked before the item table: 0 and 257 fail even with room for it */
	for (uint32_t count = 0; count <= 257; count += 257) {
		uint32_t fixed = BATCH_ITEMS + 257 * BATCH_ITEM_BYTES;
		memset(g_body, 0, fixed);
		spod_put_le32(g_body + BATCH_COUNT, count);
		for (uint32_t i = 0; i < 257; i++)
			put_sign_item(g_body + BATCH_ITEMS + i * BATCH_ITEM_BYTES, kid_a,
			              SPOD_MODE_RAW, fixed, 0);
		assert_int_equal(batch_body_rc(&v, fixed), SPOD_E_BAD_FIELD);
	}
	spod_put_le32(g_body + BATCH_COUNT, UINT32_MAX);
	assert_int_equal(batch_body_rc(&v, 8), SPOD_E_BAD_FIELD);

	/* the largest batch: 256 messages of one byte each */
	assert_int_equal(spod_wire_batch_begin(&e, g_out, sizeof(g_out), 1, SPOD_BATCH_MAX_ITEMS),
	                 SPOD_OK);
	for (uint32_t i = 0; i < SPOD_BATCH_MAX_ITEMS; i++) {
		uint8_t m = (uint8_t)i;
		assert_int_equal(spod_wire_batch_add(&e, kid_b, SPOD_MODE_SHA256, &m, 1), SPOD_OK);
	}
	assert_int_equal(spod_wire_batch_finish(&e, &n), SPOD_OK);
	assert_int_equal(batch_rc(&v, g_out, n), SPOD_OK);
	assert_int_equal(v.count, SPOD_BATCH_MAX_ITEMS);
	for (uint32_t i = 0; i < SPOD_BATCH_MAX_ITEMS; i++) {
		spod_wire_batch_item(&it, &v, i);
		assert_int_equal(it.data_len, 1);
		assert_int_equal(it.data[0], (uint8_t)i);
	}
}

static void test_batch_req_lengths(void **state)
{
	struct spod_batch_req v;

	(void)state;
	memset(g_body, 0, 8192);
	spod_put_le32(g_body + BATCH_COUNT, 1);
	for (uint32_t n = 0; n < BATCH_ITEMS; n++)
		assert_int_equal(batch_body_rc(&v, n), SPOD_E_BAD_LENGTH);

	/* 3 items declared; the item table must fit in the body */
	spod_put_le32(g_body + BATCH_COUNT, 3);
	for (uint32_t i = 0; i < 3; i++)
		put_sign_item(g_body + BATCH_ITEMS + i * BATCH_ITEM_BYTES, kid_a, SPOD_MODE_RAW,
		              BATCH_ITEMS + 3 * BATCH_ITEM_BYTES, 0);
	assert_int_equal(batch_body_rc(&v, BATCH_ITEMS), SPOD_E_BAD_LENGTH);
	assert_int_equal(batch_body_rc(&v, BATCH_ITEMS + 2 * BATCH_ITEM_BYTES), SPOD_E_BAD_LENGTH);
	assert_int_equal(batch_body_rc(&v, BATCH_ITEMS + 3 * BATCH_ITEM_BYTES - 1),
	                 SPOD_E_BAD_LENGTH);
	assert_int_equal(batch_body_rc(&v, BATCH_ITEMS + 3 * BATCH_ITEM_BYTES), SPOD_OK);
	spod_put_le32(g_body + BATCH_COUNT, 256);
	assert_int_equal(batch_body_rc(&v, BATCH_ITEMS + 3 * BATCH_ITEM_BYTES), SPOD_E_BAD_LENGTH);

	/* reserved bytes after the count */
	spod_put_le32(g_body + BATCH_COUNT, 3);
	for (int i = BATCH_RESERVED; i < BATCH_ITEMS; i++) {
		g_body[i] = 1;
		assert_int_equal(batch_body_rc(&v, BATCH_ITEMS + 3 * BATCH_ITEM_BYTES),
		                 SPOD_E_BAD_FIELD);
		g_body[i] = 0;
	}

	/* item data must lie past the whole item table, not just past its own item */
	put_sign_item(g_body + BATCH_ITEMS, kid_a, SPOD_MODE_RAW, BATCH_ITEMS + BATCH_ITEM_BYTES,
	              0);
	assert_int_equal(batch_body_rc(&v, BATCH_ITEMS + 3 * BATCH_ITEM_BYTES), SPOD_E_BAD_REF);
	put_sign_item(g_body + BATCH_ITEMS, kid_a, SPOD_MODE_RAW,
	              BATCH_ITEMS + 3 * BATCH_ITEM_BYTES - 1, 0);
	assert_int_equal(batch_body_rc(&v, BATCH_ITEMS + 3 * BATCH_ITEM_BYTES), SPOD_E_BAD_REF);
	put_sign_item(g_body + BATCH_ITEMS, kid_a, SPOD_MODE_RAW, 0, 0);
	assert_int_equal(batch_body_rc(&v, BATCH_ITEMS + 3 * BATCH_ITEM_BYTES), SPOD_E_BAD_REF);

	/* two items may share their data */
	memset(g_body + 104, 0x11, 32);
	for (uint32_t i = 0; i < 3; i++)
		put_sign_item(g_body + BATCH_ITEMS + i * BATCH_ITEM_BYTES, kid_a, SPOD_MODE_DIGEST,
		              104, 32);
	assert_int_equal(batch_body_rc(&v, 136), SPOD_OK);
}

static void test_batch_req_bad_middle_item(void **state)
{
	struct spod_batch_req v;
	size_t n = enc_batch3(g_out, sizeof(g_out));
	uint8_t *item1 = g_out + SPOD_HDR_BYTES + BATCH_ITEMS + BATCH_ITEM_BYTES;
	uint8_t saved[BATCH_ITEM_BYTES];
	uint32_t body_len = (uint32_t)(n - SPOD_HDR_BYTES);

	(void)state;
	assert_int_equal(batch_rc(&v, g_out, n), SPOD_OK);
	memcpy(saved, item1, sizeof(saved));

	item1[SIGN_MODE] = 4;
	assert_int_equal(batch_rc(&v, g_out, n), SPOD_E_BAD_MODE);
	memcpy(item1, saved, sizeof(saved));
	item1[SIGN_MODE] = SPOD_MODE_DIGEST; /* its data is "abc" */
	assert_int_equal(batch_rc(&v, g_out, n), SPOD_E_BAD_DIGEST);
	memcpy(item1, saved, sizeof(saved));
	item1[SIGN_RESERVED2 + 3] = 1;
	assert_int_equal(batch_rc(&v, g_out, n), SPOD_E_BAD_FIELD);
	memcpy(item1, saved, sizeof(saved));
	spod_put_le32(item1 + SIGN_DATA_OFF, body_len - 2);
	assert_int_equal(batch_rc(&v, g_out, n), SPOD_E_BAD_REF);
	memcpy(item1, saved, sizeof(saved));
	spod_put_le32(item1 + SIGN_DATA_LEN, UINT32_MAX);
	assert_int_equal(batch_rc(&v, g_out, n), SPOD_E_BAD_REF);
	memcpy(item1, saved, sizeof(saved));
	assert_int_equal(batch_rc(&v, g_out, n), SPOD_OK);

	/* an over-long message fails the batch even when it fits in the frame */
	struct spod_batch_enc e;
	static uint8_t big[SPOD_MSG_MAX_BYTES + 1];
	assert_int_equal(spod_wire_batch_begin(&e, g_out, sizeof(g_out), 1, 3), SPOD_OK);
	for (int i = 0; i < 3; i++)
		assert_int_equal(spod_wire_batch_add(&e, kid_a, SPOD_MODE_RAW, big, 10), SPOD_OK);
	assert_int_equal(spod_wire_batch_finish(&e, &n), SPOD_OK);
	memset(g_out + n, 0, sizeof(big));
	n += SPOD_MSG_MAX_BYTES;
	spod_put_le32(g_out + HDR_BODY_LEN, (uint32_t)(n - SPOD_HDR_BYTES));
	spod_put_le32(item1 + SIGN_DATA_LEN, SPOD_MSG_MAX_BYTES + 1);
	assert_int_equal(batch_rc(&v, g_out, n), SPOD_E_TOO_LARGE);
	spod_put_le32(item1 + SIGN_DATA_LEN, SPOD_MSG_MAX_BYTES);
	assert_int_equal(batch_rc(&v, g_out, n), SPOD_OK);
}

/* ---- request encoders ---- */

static void check_req_hdr(const struct spod_frame *f, uint8_t opcode, uint64_t rid)
{
	assert_int_equal(spod_wire_check_hdr(&f->hdr, 0), SPOD_OK);
	assert_int_equal(f->hdr.opcode, opcode);
	assert_true(f->hdr.request_id == rid);
	assert_int_equal(f->hdr.flags, 0);
	assert_int_equal(f->hdr.status, 0);
}

static void test_enc_round_trips(void **state)
{
	struct spod_frame f;
	struct spod_generate_req g;
	struct spod_key_req k;
	struct spod_list_req l;
	struct spod_sign_req s;
	size_t n;

	(void)state;
	static const uint64_t rids[] = {0, 1, 0x8000000000000000u, UINT64_MAX};
	for (size_t r = 0; r < sizeof(rids) / sizeof(rids[0]); r++) {
		uint64_t rid = rids[r];

		assert_int_equal(spod_wire_enc_empty(g_out, sizeof(g_out), &n, SPOD_OP_INFO, rid),
		                 SPOD_OK);
		assert_int_equal(n, SPOD_HDR_BYTES);
		frame_exact(&f, g_out, n);
		check_req_hdr(&f, SPOD_OP_INFO, rid);
		assert_int_equal(spod_wire_empty_req(&f), SPOD_OK);

		assert_int_equal(
		    spod_wire_enc_echo(g_out, sizeof(g_out), &n, rid, (const uint8_t *)"ping", 4),
		    SPOD_OK);
		frame_exact(&f, g_out, n);
		check_req_hdr(&f, SPOD_OP_ECHO, rid);
		assert_int_equal(f.body_len, 4);
		assert_memory_equal(f.body, "ping", 4);

		for (uint8_t a = SPOD_ALG_ED25519; a <= SPOD_ALG_P256; a++) {
			assert_int_equal(spod_wire_enc_generate(g_out, sizeof(g_out), &n, rid, a),
			                 SPOD_OK);
			frame_exact(&f, g_out, n);
			check_req_hdr(&f, SPOD_OP_KEY_GENERATE, rid);
			assert_int_equal(spod_wire_generate_req(&g, &f), SPOD_OK);
			assert_int_equal(g.alg, a);
		}

		static const uint8_t key_ops[] = {SPOD_OP_KEY_PUBLIC, SPOD_OP_KEY_DELETE};
		for (size_t i = 0; i < sizeof(key_ops); i++) {
			assert_int_equal(
			    spod_wire_enc_key(g_out, sizeof(g_out), &n, key_ops[i], rid, kid_b),
			    SPOD_OK);
			frame_exact(&f, g_out, n);
			check_req_hdr(&f, key_ops[i], rid);
			assert_int_equal(spod_wire_key_req(&k, &f), SPOD_OK);
			assert_memory_equal(k.key_id, kid_b, 16);
		}

		assert_int_equal(
		    spod_wire_enc_list(g_out, sizeof(g_out), &n, rid, 0xcafef00d, 1024), SPOD_OK);
		frame_exact(&f, g_out, n);
		check_req_hdr(&f, SPOD_OP_KEY_LIST, rid);
		assert_int_equal(spod_wire_list_req(&l, &f), SPOD_OK);
		assert_int_equal(l.cursor, 0xcafef00d);
		assert_int_equal(l.max, 1024);

		for (uint8_t m = SPOD_MODE_RAW; m <= SPOD_MODE_KECCAK256; m++) {
			uint8_t data[32];
			memset(data, 0x40 + m, sizeof(data));
			assert_int_equal(spod_wire_enc_sign(g_out, sizeof(g_out), &n, rid, kid_a, m,
			                                    data, sizeof(data)),
			                 SPOD_OK);
			frame_exact(&f, g_out, n);
			check_req_hdr(&f, SPOD_OP_SIGN, rid);
			assert_int_equal(spod_wire_sign_req(&s, &f), SPOD_OK);
			assert_memory_equal(s.key_id, kid_a, 16);
			assert_int_equal(s.mode, m);
			assert_int_equal(s.data_len, 32);
			assert_memory_equal(s.data, data, 32);
		}
	}

	/* empty payloads may be passed as NULL */
	assert_int_equal(spod_wire_enc_echo(g_out, sizeof(g_out), &n, 1, NULL, 0), SPOD_OK);
	frame_exact(&f, g_out, n);
	assert_int_equal(f.body_len, 0);
	assert_int_equal(
	    spod_wire_enc_sign(g_out, sizeof(g_out), &n, 1, kid_a, SPOD_MODE_RAW, NULL, 0),
	    SPOD_OK);
	frame_exact(&f, g_out, n);
	assert_int_equal(spod_wire_sign_req(&s, &f), SPOD_OK);
	assert_int_equal(s.data_len, 0);

	/* message cap */
	static uint8_t big[SPOD_MSG_MAX_BYTES + 1];
	assert_int_equal(spod_wire_enc_sign(g_out, sizeof(g_out), &n, 1, kid_a, SPOD_MODE_SHA256,
	                                    big, SPOD_MSG_MAX_BYTES),
	                 SPOD_OK);
	frame_exact(&f, g_out, n);
	assert_int_equal(spod_wire_sign_req(&s, &f), SPOD_OK);
	assert_int_equal(s.data_len, SPOD_MSG_MAX_BYTES);
	assert_int_equal(spod_wire_enc_sign(g_out, sizeof(g_out), &n, 1, kid_a, SPOD_MODE_SHA256,
	                                    big, SPOD_MSG_MAX_BYTES + 1),
	                 SPOD_E_TOO_LARGE);
	assert_int_equal(n, 0);
	/* echo bodies are capped by the frame */
	assert_int_equal(
	    spod_wire_enc_echo(g_out, sizeof(g_out), &n, 1, g_body, SPOD_BODY_MAX_BYTES), SPOD_OK);
	assert_int_equal(n, SPOD_FRAME_MAX_BYTES);
	assert_int_equal(
	    spod_wire_enc_echo(g_out, sizeof(g_out), &n, 1, g_body, SPOD_BODY_MAX_BYTES + 1),
	    SPOD_E_TOO_LARGE);
}

/* The frame docs/protocol.md shows as its example sign request. */
static const uint8_t example_sign_req[] = {
    0x53, 0x50, 0x4f, 0x44, 0x01, 0x20, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55,
    0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x01, 0x00, 0x00, 0x00, 0x20,
    0x00, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x11, 0x11, 0x11, 0x11,
    0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
    0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
};

static void test_enc_sign_matches_documented_bytes(void **state)
{
	uint8_t digest[32];
	size_t n;

	(void)state;
	memset(digest, 0x11, sizeof(digest));
	assert_int_equal(spod_wire_enc_sign(g_out, sizeof(g_out), &n, 7, kid_a, SPOD_MODE_DIGEST,
	                                    digest, sizeof(digest)),
	                 SPOD_OK);
	assert_int_equal(n, sizeof(example_sign_req));
	assert_memory_equal(g_out, example_sign_req, n);
}

static void test_enc_capacity(void **state)
{
	uint8_t data[40];
	size_t n, need;

	(void)state;
	memset(data, 1, sizeof(data));
#define CAP_LOOP(need_, call_)                                                                     \
	do {                                                                                       \
		need = (need_);                                                                    \
		for (size_t cap = 0; cap < need; cap++) {                                          \
			n = 99;                                                                    \
			assert_int_equal((call_), SPOD_E_TOO_LARGE);                               \
			assert_int_equal(n, 0);                                                    \
		}                                                                                  \
		{                                                                                  \
			size_t cap = need;                                                         \
			assert_int_equal((call_), SPOD_OK);                                        \
			assert_int_equal(n, need);                                                 \
		}                                                                                  \
	} while (0)

	CAP_LOOP(24, spod_wire_enc_empty(g_out, cap, &n, SPOD_OP_INFO, 1));
	CAP_LOOP(24 + 40, spod_wire_enc_echo(g_out, cap, &n, 1, data, 40));
	CAP_LOOP(24 + 8, spod_wire_enc_generate(g_out, cap, &n, 1, 1));
	CAP_LOOP(24 + 16, spod_wire_enc_key(g_out, cap, &n, SPOD_OP_KEY_PUBLIC, 1, kid_a));
	CAP_LOOP(24 + 8, spod_wire_enc_list(g_out, cap, &n, 1, 0, 5));
	CAP_LOOP(24 + 32 + 40,
	         spod_wire_enc_sign(g_out, cap, &n, 1, kid_a, SPOD_MODE_RAW, data, 40));
	CAP_LOOP(24, spod_wire_put_empty(g_out, cap, &n, SPOD_OP_KEY_DELETE, 1));
	CAP_LOOP(24 + 40, spod_wire_put_echo(g_out, cap, &n, 1, data, 40));
	CAP_LOOP(24 + 40 + 65, spod_wire_put_key(g_out, cap, &n, SPOD_OP_KEY_PUBLIC, 1, kid_a, 2,
	                                         g_body, 65, NULL, 0));
	CAP_LOOP(24 + 5,
	         spod_wire_put_error(g_out, cap, &n, SPOD_OP_SIGN, 1, SPOD_E_BUSY, "busy!"));
#undef CAP_LOOP
}

static void test_batch_enc_errors(void **state)
{
	struct spod_batch_enc e;
	size_t n;
	static uint8_t big[SPOD_MSG_MAX_BYTES + 1];

	(void)state;
	assert_int_equal(spod_wire_batch_begin(&e, g_out, sizeof(g_out), 1, 0), SPOD_E_BAD_ARG);
	assert_int_equal(spod_wire_batch_begin(&e, g_out, sizeof(g_out), 1, 257), SPOD_E_BAD_ARG);
	assert_int_equal(spod_wire_batch_begin(&e, g_out, 24 + 8 + 2 * 32 - 1, 1, 2),
	                 SPOD_E_TOO_LARGE);
	assert_int_equal(spod_wire_batch_begin(&e, g_out, 24 + 8 + 2 * 32, 1, 2), SPOD_OK);
	assert_int_equal(spod_wire_batch_add(&e, kid_a, SPOD_MODE_RAW, big, 1), SPOD_E_TOO_LARGE);
	assert_int_equal(spod_wire_batch_add(&e, kid_a, SPOD_MODE_RAW, NULL, 0), SPOD_OK);
	assert_int_equal(spod_wire_batch_finish(&e, &n), SPOD_E_BAD_ARG);
	assert_int_equal(n, 0);
	assert_int_equal(spod_wire_batch_add(&e, kid_a, SPOD_MODE_RAW, NULL, 0), SPOD_OK);
	assert_int_equal(spod_wire_batch_add(&e, kid_a, SPOD_MODE_RAW, NULL, 0), SPOD_E_BAD_ARG);
	assert_int_equal(spod_wire_batch_finish(&e, &n), SPOD_OK);
	assert_int_equal(n, 24 + 8 + 2 * 32);

	assert_int_equal(spod_wire_batch_begin(&e, g_out, sizeof(g_out), 1, 4), SPOD_OK);
	assert_int_equal(spod_wire_batch_add(&e, kid_a, SPOD_MODE_RAW, big, SPOD_MSG_MAX_BYTES + 1),
	                 SPOD_E_TOO_LARGE);
	for (int i = 0; i < 3; i++)
		assert_int_equal(
		    spod_wire_batch_add(&e, kid_a, SPOD_MODE_RAW, big, SPOD_MSG_MAX_BYTES),
		    SPOD_OK);
	/* a fourth full message would pass SPOD_BODY_MAX_BYTES */
	assert_int_equal(spod_wire_batch_add(&e, kid_a, SPOD_MODE_RAW, big, SPOD_MSG_MAX_BYTES),
	                 SPOD_E_TOO_LARGE);
	assert_int_equal(
	    spod_wire_batch_add(&e, kid_a, SPOD_MODE_RAW, big,
	                        SPOD_BODY_MAX_BYTES - 8 - 4 * 32 - 3 * SPOD_MSG_MAX_BYTES),
	    SPOD_OK);
	assert_int_equal(spod_wire_batch_finish(&e, &n), SPOD_OK);
	assert_int_equal(n, SPOD_FRAME_MAX_BYTES);
	struct spod_batch_req v;
	assert_int_equal(batch_rc(&v, g_out, n), SPOD_OK);
}

/* ---- responses ---- */

static void check_resp_hdr(const struct spod_frame *f, uint8_t opcode, uint64_t rid)
{
	assert_int_equal(spod_wire_check_hdr(&f->hdr, 1), SPOD_OK);
	assert_int_equal(f->hdr.opcode, opcode);
	assert_true(f->hdr.request_id == rid);
	assert_int_equal(f->hdr.flags, SPOD_FLAG_RESPONSE);
	assert_int_equal(f->hdr.status, 0);
}

static void test_put_empty_and_echo(void **state)
{
	struct spod_frame f;
	size_t n;

	(void)state;
	assert_int_equal(spod_wire_put_empty(g_out, sizeof(g_out), &n, SPOD_OP_KEY_DELETE, 11),
	                 SPOD_OK);
	frame_exact(&f, g_out, n);
	check_resp_hdr(&f, SPOD_OP_KEY_DELETE, 11);
	assert_int_equal(f.body_len, 0);

	/* echo may answer in place: the data already sits where the body goes */
	memcpy(g_out + SPOD_HDR_BYTES, "in place", 8);
	assert_int_equal(
	    spod_wire_put_echo(g_out, sizeof(g_out), &n, 12, g_out + SPOD_HDR_BYTES, 8), SPOD_OK);
	frame_exact(&f, g_out, n);
	check_resp_hdr(&f, SPOD_OP_ECHO, 12);
	assert_int_equal(f.body_len, 8);
	assert_memory_equal(f.body, "in place", 8);
}

static void test_put_info(void **state)
{
	struct spod_frame f;
	struct spod_info_view in =
	                          {
	                              .proto_version = 1,
	                              .alg_mask = 0xe,
	                              .key_count = 3,
	                              .key_capacity = 1000,
	                              .flags = SPOD_INFO_EPHEMERAL,
	                              .version = "0.1.0",
	                              .version_len = 5,
	                          },
	                      out;
	static const char v64[] =
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdefX";
	size_t n;

	(void)state;
	assert_int_equal(spod_wire_put_info(g_out, sizeof(g_out), &n, 31, &in), SPOD_OK);
	frame_exact(&f, g_out, n);
	check_resp_hdr(&f, SPOD_OP_INFO, 31);
	memset(&out, 0xa5, sizeof(out));
	assert_int_equal(spod_wire_info_resp(&out, &f), SPOD_OK);
	assert_int_equal(out.proto_version, 1);
	assert_int_equal(out.alg_mask, 0xe);
	assert_int_equal(out.key_count, 3);
	assert_int_equal(out.key_capacity, 1000);
	assert_int_equal(out.flags, SPOD_INFO_EPHEMERAL);
	assert_int_equal(out.version_len, 5);
	assert_memory_equal(out.version, "0.1.0", 5);
	assert_ptr_equal(out.version, (const char *)f.body + INFO_FIXED);

	in.version = v64;
	in.version_len = INFO_VERSION_MAX;
	assert_int_equal(spod_wire_put_info(g_out, sizeof(g_out), &n, 31, &in), SPOD_OK);
	frame_exact(&f, g_out, n);
	assert_int_equal(spod_wire_info_resp(&out, &f), SPOD_OK);
	assert_int_equal(out.version_len, 64);
	assert_memory_equal(out.version, v64, 64);
	in.version_len = INFO_VERSION_MAX + 1;
	assert_int_equal(spod_wire_put_info(g_out, sizeof(g_out), &n, 31, &in), SPOD_E_TOO_LARGE);
	/* no version text at all: NULL with length 0 (memcpy from NULL would be undefined) */
	in.version = NULL;
	in.version_len = 0;
	assert_int_equal(spod_wire_put_info(g_out, sizeof(g_out), &n, 31, &in), SPOD_OK);
	frame_exact(&f, g_out, n);
	assert_int_equal(spod_wire_info_resp(&out, &f), SPOD_OK);
	assert_int_equal(out.version_len, 0);
	assert_int_equal(spod_wire_put_info(g_out, 24 + 31, &n, 31, &in), SPOD_E_TOO_LARGE);
}

static void test_sig_reserve_commit(void **state)
{
	struct spod_frame f;
	struct spod_sig_view s;
	uint8_t *slot;
	size_t n;

	(void)state;
	assert_null(spod_wire_sig_reserve(g_out, 0));
	assert_null(
	    spod_wire_sig_reserve(g_out, SPOD_HDR_BYTES + SIG_FIXED + SPOD_SIG_MAX_BYTES - 1));
	slot = spod_wire_sig_reserve(g_out, SPOD_HDR_BYTES + SIG_FIXED + SPOD_SIG_MAX_BYTES);
	assert_ptr_equal(slot, g_out + SPOD_HDR_BYTES + SIG_FIXED);
	for (int i = 0; i < 64; i++)
		slot[i] = (uint8_t)(0xc0 ^ i);
	spod_wire_sig_commit(g_out, &n, 41, SPOD_ALG_SECP256K1, 1, 64);
	assert_int_equal(n, SPOD_HDR_BYTES + SIG_FIXED + 64);
	frame_exact(&f, g_out, n);
	check_resp_hdr(&f, SPOD_OP_SIGN, 41);
	memset(&s, 0xa5, sizeof(s));
	assert_int_equal(spod_wire_sig_resp(&s, &f), SPOD_OK);
	assert_int_equal(s.status, SPOD_OK);
	assert_int_equal(s.alg, SPOD_ALG_SECP256K1);
	assert_int_equal(s.recid, 1);
	assert_int_equal(s.sig_len, 64);
	assert_ptr_equal(s.sig, f.body + SIG_FIXED);
	for (int i = 0; i < 64; i++)
		assert_int_equal(s.sig[i], (uint8_t)(0xc0 ^ i));

	spod_wire_sig_commit(g_out, &n, 42, SPOD_ALG_ED25519, SPOD_RECID_NONE, 64);
	frame_exact(&f, g_out, n);
	assert_int_equal(spod_wire_sig_resp(&s, &f), SPOD_OK);
	assert_int_equal(s.recid, SPOD_RECID_NONE);
	assert_int_equal(s.alg, SPOD_ALG_ED25519);
}

static void test_batch_resp_round_trip(void **state)
{
	struct spod_batch_resp_enc e;
	struct spod_batch_resp_view v;
	struct spod_sig_view s;
	struct spod_frame f;
	size_t n, need = SPOD_HDR_BYTES + BATCH_RESP_BODY_MAX(3);

	(void)state;
	assert_int_equal(spod_wire_batch_resp_begin(&e, g_out, sizeof(g_out), 0), SPOD_E_BAD_ARG);
	assert_int_equal(spod_wire_batch_resp_begin(&e, g_out, sizeof(g_out), 257), SPOD_E_BAD_ARG);
	assert_int_equal(spod_wire_batch_resp_begin(&e, g_out, need - 1, 3), SPOD_E_TOO_LARGE);
	memset(g_out, 0xee, need);
	assert_int_equal(spod_wire_batch_resp_begin(&e, g_out, need, 3), SPOD_OK);
	for (uint32_t i = 0; i < 3; i++) {
		uint8_t *slot = spod_wire_batch_resp_slot(&e);
		assert_true(slot >= g_out + SPOD_HDR_BYTES + BRESP_ITEMS + 3 * BRESP_ITEM_BYTES);
		assert_true(slot + SPOD_SIG_MAX_BYTES <= g_out + need);
		memset(slot, 0x30 + (int)i, SPOD_SIG_MAX_BYTES);
		if (i == 1)
			spod_wire_batch_resp_fill(&e, SPOD_E_KEY_NOT_FOUND, SPOD_ALG_P256,
			                          SPOD_RECID_NONE, 64);
		else
			spod_wire_batch_resp_fill(&e, SPOD_OK, SPOD_ALG_SECP256K1, (uint8_t)i / 2,
			                          64);
	}
	spod_wire_batch_resp_finish(&e, &n, 51);
	assert_int_equal(n, need);
	frame_exact(&f, g_out, n);
	check_resp_hdr(&f, SPOD_OP_SIGN_BATCH, 51);
	assert_int_equal(spod_wire_batch_resp(&v, &f), SPOD_OK);
	assert_int_equal(v.count, 3);
	for (uint32_t i = 0; i < 3; i++) {
		memset(&s, 0xa5, sizeof(s));
		spod_wire_batch_resp_item(&s, &v, i);
		assert_true(s.sig >= f.body + BRESP_ITEMS + 3 * BRESP_ITEM_BYTES);
		if (i == 1) {
			assert_int_equal(s.status, SPOD_E_KEY_NOT_FOUND);
			assert_int_equal(s.sig_len, 0);
			assert_int_equal(s.alg, SPOD_ALG_P256);
			/* the failed item's slot is wiped, not left with stale bytes */
			assert_true(is_zero(s.sig, SPOD_SIG_MAX_BYTES));
			continue;
		}
		assert_int_equal(s.status, SPOD_OK);
		assert_int_equal(s.alg, SPOD_ALG_SECP256K1);
		assert_int_equal(s.recid, i / 2);
		assert_int_equal(s.sig_len, 64);
		for (int j = 0; j < 64; j++)
			assert_int_equal(s.sig[j], 0x30 + i);
	}

	/* the largest batch response */
	assert_int_equal(spod_wire_batch_resp_begin(&e, g_out, sizeof(g_out), SPOD_BATCH_MAX_ITEMS),
	                 SPOD_OK);
	for (uint32_t i = 0; i < SPOD_BATCH_MAX_ITEMS; i++) {
		memset(spod_wire_batch_resp_slot(&e), (int)i, 64);
		spod_wire_batch_resp_fill(&e, SPOD_OK, SPOD_ALG_ED25519, SPOD_RECID_NONE, 64);
	}
	spod_wire_batch_resp_finish(&e, &n, 52);
	frame_exact(&f, g_out, n);
	assert_int_equal(spod_wire_batch_resp(&v, &f), SPOD_OK);
	for (uint32_t i = 0; i < SPOD_BATCH_MAX_ITEMS; i++) {
		spod_wire_batch_resp_item(&s, &v, i);
		assert_int_equal(s.sig[0], (uint8_t)i);
		assert_int_equal(s.sig[63], (uint8_t)i);
	}
}

static void test_error_frames(void **state)
{
	struct spod_frame f;
	struct spod_sig_view s;
	char long_msg[SPOD_ERRMSG_MAX_BYTES + 50];
	const char *msg;
	uint32_t msg_len;
	size_t n;
	int err;

	(void)state;
	assert_int_equal(spod_wire_put_error(g_out, sizeof(g_out), &n, SPOD_OP_SIGN, 71,
	                                     SPOD_E_KEY_NOT_FOUND, "no such key"),
	                 SPOD_OK);
	frame_exact(&f, g_out, n);
	assert_int_equal(spod_wire_check_hdr(&f.hdr, 1), SPOD_OK);
	assert_int_equal(f.hdr.status, 14);
	assert_true(f.hdr.request_id == 71);
	assert_int_equal(spod_wire_error(&err, &msg, &msg_len, &f), SPOD_OK);
	assert_int_equal(err, SPOD_E_KEY_NOT_FOUND);
	assert_int_equal(msg_len, 11);
	assert_memory_equal(msg, "no such key", 11);
	assert_ptr_equal(msg, (const char *)f.body);
	/* a typed decoder given an error frame returns the carried error */
	memset(&s, 0xa5, sizeof(s));
	assert_int_equal(spod_wire_sig_resp(&s, &f), SPOD_E_KEY_NOT_FOUND);
	assert_true(is_zero(&s, sizeof(s)));

	memset(long_msg, 'x', sizeof(long_msg) - 1);
	long_msg[sizeof(long_msg) - 1] = '\0';
	assert_int_equal(spod_wire_put_error(g_out, sizeof(g_out), &n, SPOD_OP_ECHO, 72,
	                                     SPOD_E_BAD_FIELD, long_msg),
	                 SPOD_OK);
	assert_int_equal(n, SPOD_HDR_BYTES + SPOD_ERRMSG_MAX_BYTES);
	frame_exact(&f, g_out, n);
	assert_int_equal(spod_wire_error(&err, &msg, &msg_len, &f), SPOD_OK);
	assert_int_equal(err, SPOD_E_BAD_FIELD);
	assert_int_equal(msg_len, SPOD_ERRMSG_MAX_BYTES);

	assert_int_equal(
	    spod_wire_put_error(g_out, sizeof(g_out), &n, SPOD_OP_INFO, 73, SPOD_E_BUSY, ""),
	    SPOD_OK);
	frame_exact(&f, g_out, n);
	assert_int_equal(spod_wire_error(&err, &msg, &msg_len, &f), SPOD_OK);
	assert_int_equal(err, SPOD_E_BUSY);
	assert_int_equal(msg_len, 0);

	/* a non-error or unknown code still yields an error frame */
	static const int odd[] = {SPOD_OK, 5, SPOD_E__MIN, -1000};
	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		assert_int_equal(
		    spod_wire_put_error(g_out, sizeof(g_out), &n, SPOD_OP_INFO, 74, odd[i], "?"),
		    SPOD_OK);
		frame_exact(&f, g_out, n);
		assert_int_equal(f.hdr.status, 1);
		assert_int_equal(spod_wire_error(&err, &msg, &msg_len, &f), SPOD_OK);
		assert_int_equal(err, SPOD_E_INTERNAL);
	}

	/* a peer's longer message body is cut at the cap; an unknown status is a protocol error */
	memset(g_body, 'y', 1000);
	mk(&f, SPOD_OP_SIGN, SPOD_FLAG_RESPONSE, 0x1234, 1000);
	assert_int_equal(spod_wire_error(&err, &msg, &msg_len, &f), SPOD_OK);
	assert_int_equal(err, SPOD_E_PROTOCOL);
	assert_int_equal(msg_len, SPOD_ERRMSG_MAX_BYTES);
	assert_int_equal(spod_wire_sig_resp(&s, &f), SPOD_E_PROTOCOL);

	/* status 0 is not an error frame */
	assert_int_equal(spod_wire_put_empty(g_out, sizeof(g_out), &n, SPOD_OP_INFO, 75), SPOD_OK);
	frame_exact(&f, g_out, n);
	err = 1;
	msg = "x";
	msg_len = 9;
	assert_int_equal(spod_wire_error(&err, &msg, &msg_len, &f), SPOD_E_BAD_FIELD);
	assert_int_equal(err, SPOD_OK);
	assert_null(msg);
	assert_int_equal(msg_len, 0);
}

/* Runs every response decoder on the current frame and returns the result of the one at op. */
static int decode_rc(const struct spod_frame *f, uint8_t op)
{
	struct spod_sig_view s;
	struct spod_key_view k;
	struct spod_info_view in;
	struct spod_list_view l;
	struct spod_batch_resp_view b;
	int rc;

	memset(&s, 0xa5, sizeof(s));
	memset(&k, 0xa5, sizeof(k));
	memset(&in, 0xa5, sizeof(in));
	memset(&l, 0xa5, sizeof(l));
	memset(&b, 0xa5, sizeof(b));
	switch (op) {
	case SPOD_OP_SIGN:
		rc = spod_wire_sig_resp(&s, f);
		if (rc != SPOD_OK)
			assert_true(is_zero(&s, sizeof(s)));
		return rc;
	case SPOD_OP_KEY_GENERATE:
	case SPOD_OP_KEY_PUBLIC:
		rc = spod_wire_key_resp(&k, f);
		if (rc != SPOD_OK)
			assert_true(is_zero(&k, sizeof(k)));
		return rc;
	case SPOD_OP_INFO:
		rc = spod_wire_info_resp(&in, f);
		if (rc != SPOD_OK)
			assert_true(is_zero(&in, sizeof(in)));
		return rc;
	case SPOD_OP_KEY_LIST:
		rc = spod_wire_list_resp(&l, f);
		if (rc != SPOD_OK)
			assert_true(is_zero(&l, sizeof(l)));
		return rc;
	case SPOD_OP_SIGN_BATCH:
		rc = spod_wire_batch_resp(&b, f);
		if (rc != SPOD_OK)
			assert_true(is_zero(&b, sizeof(b)));
		return rc;
	default:
		fail();
		return SPOD_E_INTERNAL;
	}
}

static void test_decoders_check_header_and_opcode(void **state)
{
	static const uint8_t ops[] = {SPOD_OP_INFO,
	                              SPOD_OP_ECHO,
	                              SPOD_OP_KEY_GENERATE,
	                              SPOD_OP_KEY_PUBLIC,
	                              SPOD_OP_KEY_LIST,
	                              SPOD_OP_KEY_DELETE,
	                              SPOD_OP_SIGN,
	                              SPOD_OP_SIGN_BATCH,
	                              0x00,
	                              0xff};
	static const uint8_t decoders[] = {SPOD_OP_SIGN, SPOD_OP_KEY_GENERATE, SPOD_OP_KEY_PUBLIC,
	                                   SPOD_OP_INFO, SPOD_OP_KEY_LIST,     SPOD_OP_SIGN_BATCH};
	struct spod_frame f;
	uint8_t saved[96];

	(void)state;
	/*
	 * One 96-byte body that every decoder accepts:
	 * sig: off 32 len 32 (4, 8); batch: count 1, item 0 sig off 24 len 64 (12, 16);
	 * key/info: off 32 len 64 (20, 24), no label (17, 28); list: count 1, entry 0 pub off 48
	 * len 32 (36, 40), no label (33, 44); the key layouts' reserved bytes (18, 34) zero.
	 */
	memset(g_body, 0x5a, 96);
	memset(g_body + 28, 0, 8);
	memset(g_body + 44, 0, 4);
	spod_put_le32(g_body + 0, 1);
	spod_put_le32(g_body + 4, 32);
	spod_put_le32(g_body + 8, 32);
	spod_put_le32(g_body + 12, 24);
	spod_put_le32(g_body + 16, 64);
	spod_put_le32(g_body + 20, 32);
	spod_put_le32(g_body + 24, 64);
	spod_put_le32(g_body + 36, 48);
	spod_put_le32(g_body + 40, 32);
	memcpy(saved, g_body, 96);
	for (size_t i = 0; i < sizeof(decoders); i++) {
		memcpy(g_body, saved, 96);
		if (decoders[i] == SPOD_OP_KEY_GENERATE || decoders[i] == SPOD_OP_KEY_PUBLIC) {
			/* a key answer's fixed part is 40 bytes: pub at 40 (32 bytes), no sealed
			 * key (32..39) */
			spod_put_le32(g_body + 20, 40);
			spod_put_le32(g_body + 24, 32);
			memset(g_body + 32, 0, 8);
		}
		for (size_t j = 0; j < sizeof(ops); j++) {
			int match =
			    ops[j] == decoders[i] ||
			    (decoders[i] == SPOD_OP_KEY_GENERATE && ops[j] == SPOD_OP_KEY_PUBLIC) ||
			    (decoders[i] == SPOD_OP_KEY_PUBLIC && ops[j] == SPOD_OP_KEY_GENERATE);
			mk_resp(&f, ops[j], 96);
			int rc = decode_rc(&f, decoders[i]);
			if (match)
				assert_int_equal(rc, SPOD_OK);
			else
				assert_int_equal(rc, SPOD_E_PROTOCOL);
		}
		/* a request frame, a wrong version, a reserved flag */
		mk(&f, decoders[i], 0, 0, 96);
		assert_int_equal(decode_rc(&f, decoders[i]), SPOD_E_BAD_FIELD);
		mk_resp(&f, decoders[i], 96);
		memcpy(g_out, g_frame, f.frame_len);
		g_out[HDR_VERSION] = 2;
		frame_exact(&f, g_out, f.frame_len);
		assert_int_equal(decode_rc(&f, decoders[i]), SPOD_E_BAD_VERSION);
		mk(&f, decoders[i], SPOD_FLAG_RESPONSE | 0x8000, 0, 96);
		assert_int_equal(decode_rc(&f, decoders[i]), SPOD_E_BAD_FIELD);
		mk(&f, decoders[i], SPOD_FLAG_RESPONSE, 13, 96);
		assert_int_equal(decode_rc(&f, decoders[i]), SPOD_E_BAD_DIGEST);
	}
}

static void test_sig_resp_refs(void **state)
{
	struct spod_frame f;

	(void)state;
	memset(g_body, 0x5a, 200);
	memset(g_body, 0, SIG_FIXED);
	g_body[SIG_ALG] = SPOD_ALG_P256;
	g_body[SIG_RECID] = SPOD_RECID_NONE;
#define SIG_CASE(off, len, body, want)                                                             \
	do {                                                                                       \
		spod_put_le32(g_body + SIG_OFF, (off));                                            \
		spod_put_le32(g_body + SIG_LEN, (len));                                            \
		mk_resp(&f, SPOD_OP_SIGN, (body));                                                 \
		assert_int_equal(decode_rc(&f, SPOD_OP_SIGN), (want));                             \
	} while (0)
	for (uint32_t n = 0; n < SIG_FIXED; n++)
		SIG_CASE(SIG_FIXED, 0, n, SPOD_E_BAD_LENGTH);
	SIG_CASE(SIG_FIXED, 64, 80, SPOD_OK);
	SIG_CASE(SIG_FIXED, 0, 16, SPOD_OK);
	SIG_CASE(0, 64, 80, SPOD_E_BAD_REF);
	SIG_CASE(SIG_FIXED - 1, 64, 80, SPOD_E_BAD_REF);
	SIG_CASE(SIG_FIXED, 65, 80, SPOD_E_BAD_REF);
	SIG_CASE(SIG_FIXED, 65, 81, SPOD_E_TOO_LARGE);
	SIG_CASE(81, 0, 80, SPOD_E_BAD_REF);
	SIG_CASE(17, UINT32_MAX, 80, SPOD_E_BAD_REF);
	SIG_CASE(UINT32_MAX, 2, 80, SPOD_E_BAD_REF);
#undef SIG_CASE
}

static void test_info_resp_refs(void **state)
{
	struct spod_frame f;

	(void)state;
#define INFO_CASE(off, len, body, want)                                                            \
	do {                                                                                       \
		spod_put_le32(g_body + INFO_VER_OFF, (off));                                       \
		spod_put_le32(g_body + INFO_VER_LEN, (len));                                       \
		mk_resp(&f, SPOD_OP_INFO, (body));                                                 \
		assert_int_equal(decode_rc(&f, SPOD_OP_INFO), (want));                             \
	} while (0)
	/* key responses (test_wire_key.c) share this (20, 24) reference position */
	memset(g_body, 0, INFO_FIXED);
	INFO_CASE(32, 64, 96, SPOD_OK);
	INFO_CASE(32, 0, 31, SPOD_E_BAD_LENGTH);
	INFO_CASE(32, 0, 32, SPOD_OK);
	INFO_CASE(0, 0, 96, SPOD_E_BAD_REF);
	INFO_CASE(31, 0, 96, SPOD_E_BAD_REF);
	INFO_CASE(32, 65, 96, SPOD_E_BAD_REF);
	INFO_CASE(32, 65, 97, SPOD_E_TOO_LARGE);
	INFO_CASE(97, 0, 96, SPOD_E_BAD_REF);
	INFO_CASE(40, UINT32_MAX - 39, 96, SPOD_E_BAD_REF);
#undef INFO_CASE
}

static void test_batch_resp_refs(void **state)
{
	struct spod_frame f;
	const uint32_t fixed2 = BRESP_ITEMS + 2 * BRESP_ITEM_BYTES; /* 40 */
	uint8_t *it1 = g_body + BRESP_ITEMS + BRESP_ITEM_BYTES;

	(void)state;
	memset(g_body, 0, 300);
	spod_put_le32(g_body + BRESP_COUNT, 2);
	spod_put_le32(g_body + BRESP_ITEMS + BRESP_SIG_OFF, fixed2);
	spod_put_le32(g_body + BRESP_ITEMS + BRESP_SIG_LEN, 64);
	spod_put_le32(it1 + BRESP_SIG_OFF, fixed2 + 64);
	spod_put_le32(it1 + BRESP_SIG_LEN, 64);
	for (uint32_t n = 0; n < BRESP_ITEMS; n++) {
		mk_resp(&f, SPOD_OP_SIGN_BATCH, n);
		assert_int_equal(decode_rc(&f, SPOD_OP_SIGN_BATCH), SPOD_E_BAD_LENGTH);
	}
	mk_resp(&f, SPOD_OP_SIGN_BATCH, fixed2 + 128);
	assert_int_equal(decode_rc(&f, SPOD_OP_SIGN_BATCH), SPOD_OK);
	mk_resp(&f, SPOD_OP_SIGN_BATCH, fixed2 + 127);
	assert_int_equal(decode_rc(&f, SPOD_OP_SIGN_BATCH), SPOD_E_BAD_REF);
	mk_resp(&f, SPOD_OP_SIGN_BATCH, fixed2 - 1);
	assert_int_equal(decode_rc(&f, SPOD_OP_SIGN_BATCH), SPOD_E_BAD_LENGTH);

	spod_put_le32(it1 + BRESP_SIG_OFF, BRESP_ITEMS);
	mk_resp(&f, SPOD_OP_SIGN_BATCH, fixed2 + 128);
	assert_int_equal(decode_rc(&f, SPOD_OP_SIGN_BATCH), SPOD_E_BAD_REF);
	spod_put_le32(it1 + BRESP_SIG_OFF, fixed2 - 1);
	mk_resp(&f, SPOD_OP_SIGN_BATCH, fixed2 + 128);
	assert_int_equal(decode_rc(&f, SPOD_OP_SIGN_BATCH), SPOD_E_BAD_REF);
	spod_put_le32(it1 + BRESP_SIG_OFF, fixed2 + 64);
	spod_put_le32(it1 + BRESP_SIG_LEN, 65);
	mk_resp(&f, SPOD_OP_SIGN_BATCH, fixed2 + 129);
	assert_int_equal(decode_rc(&f, SPOD_OP_SIGN_BATCH), SPOD_E_TOO_LARGE);
	spod_put_le32(it1 + BRESP_SIG_LEN, UINT32_MAX);
	mk_resp(&f, SPOD_OP_SIGN_BATCH, fixed2 + 129);
	assert_int_equal(decode_rc(&f, SPOD_OP_SIGN_BATCH), SPOD_E_BAD_REF);
	spod_put_le32(it1 + BRESP_SIG_LEN, 64);

	static const uint32_t bad_counts[] = {0, SPOD_BATCH_MAX_ITEMS + 1, UINT32_MAX};
	for (size_t i = 0; i < sizeof(bad_counts) / sizeof(bad_counts[0]); i++) {
		spod_put_le32(g_body + BRESP_COUNT, bad_counts[i]);
		mk_resp(&f, SPOD_OP_SIGN_BATCH, fixed2 + 128);
		assert_int_equal(decode_rc(&f, SPOD_OP_SIGN_BATCH), SPOD_E_BAD_FIELD);
	}
	spod_put_le32(g_body + BRESP_COUNT, 3);
	mk_resp(&f, SPOD_OP_SIGN_BATCH, BRESP_ITEMS + 3 * BRESP_ITEM_BYTES - 1);
	assert_int_equal(decode_rc(&f, SPOD_OP_SIGN_BATCH), SPOD_E_BAD_LENGTH);
}

/* ---- error table ---- */

static void test_err_table(void **state)
{
	(void)state;
	assert_string_equal(spod_err_name(SPOD_OK), "OK");
	assert_int_equal(spod_err_to_status(SPOD_OK), 0);
	assert_int_equal(spod_err_from_status(0), SPOD_OK);
	assert_int_equal(spod_err_exit_code(SPOD_OK), 0);
	for (int e = -1; e > SPOD_E__MIN; e--) {
		const char *name = spod_err_name(e);
		assert_non_null(name);
		assert_string_not_equal(name, "UNKNOWN");
		assert_string_not_equal(name, "OK");
		assert_string_not_equal(spod_strerror(e), "unknown error");
		assert_int_equal(spod_err_to_status(e), -e);
		assert_int_equal(spod_err_from_status(spod_err_to_status(e)), e);
		assert_true(spod_err_exit_code(e) >= 1 && spod_err_exit_code(e) <= 7);
		assert_true(spod_err_http_status(e) >= 400 && spod_err_http_status(e) <= 599);
		for (int o = e - 1; o > SPOD_E__MIN; o--)
			assert_string_not_equal(name, spod_err_name(o));
	}
	static const int outside[] = {SPOD_E__MIN, SPOD_E__MIN - 1, 1, 100, -1000};
	for (size_t i = 0; i < sizeof(outside) / sizeof(outside[0]); i++) {
		assert_string_equal(spod_err_name(outside[i]), "UNKNOWN");
		assert_string_equal(spod_strerror(outside[i]), "unknown error");
		assert_int_equal(spod_err_to_status(outside[i]), -SPOD_E_INTERNAL);
		assert_int_equal(spod_err_exit_code(outside[i]), 1);
		assert_int_equal(spod_err_http_status(outside[i]), 500);
	}
	/* The HTTP column of the table, for the statuses docs/openapi.yaml names. */
	static const struct {
		int err;
		unsigned http;
		int exit_code;
	} cols[] = {
	    {SPOD_OK, 200, 0},
	    {SPOD_E_BAD_ARG, 400, 2},
	    {SPOD_E_BAD_MODE, 400, 5},
	    {SPOD_E_UNAUTHENTICATED, 401, 7},
	    {SPOD_E_FORBIDDEN, 403, 7},
	    {SPOD_E_POLICY_DENIED, 403, 5},
	    {SPOD_E_KEY_NOT_FOUND, 404, 4},
	    {SPOD_E_LABEL_TAKEN, 409, 5},
	    {SPOD_E_TOO_LARGE, 413, 5},
	    {SPOD_E_RATE_LIMITED, 429, 3},
	    {SPOD_E_INTERNAL, 500, 1},
	    {SPOD_E_PROTOCOL, 502, 1},
	    {SPOD_E_UNAVAILABLE, 503, 3},
	    {SPOD_E_TIMEOUT, 504, 3},
	    {SPOD_E_KEYSTORE_FULL, 507, 5},
	};
	for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
		assert_int_equal(spod_err_http_status(cols[i].err), cols[i].http);
		assert_int_equal(spod_err_exit_code(cols[i].err), cols[i].exit_code);
	}
	assert_string_equal(spod_err_name(SPOD_E_LABEL_TAKEN), "LABEL_TAKEN");
	assert_int_equal(spod_err_to_status(SPOD_E_LABEL_TAKEN), 32);
	assert_string_equal(spod_err_name(SPOD_E_KEY_NOT_FOUND), "KEY_NOT_FOUND");
	assert_string_equal(spod_err_name(SPOD_E_BAD_KEY), "BAD_KEY");
	assert_string_equal(spod_err_name(SPOD_E_POLICY_DENIED), "POLICY_DENIED");
	assert_int_equal(spod_err_to_status(SPOD_E_POLICY_DENIED), 39);
	static const uint16_t unknown[] = {(uint16_t)-SPOD_E__MIN, 41, 100, 0x8000, 0xffff};
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
		assert_int_equal(spod_err_from_status(unknown[i]), SPOD_E_PROTOCOL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_frame_short_is_again),
	    cmocka_unit_test(test_frame_bad_magic_on_any_prefix),
	    cmocka_unit_test(test_frame_body_len_bounds),
	    cmocka_unit_test(test_frame_incomplete_body_is_again),
	    cmocka_unit_test(test_frame_decodes_header_little_endian),
	    cmocka_unit_test(test_frame_stream_of_frames),
	    cmocka_unit_test(test_check_hdr),
	    cmocka_unit_test(test_alg_tables),
	    cmocka_unit_test(test_generate_req),
	    cmocka_unit_test(test_hello_req),
	    cmocka_unit_test(test_key_req),
	    cmocka_unit_test(test_list_req),
	    cmocka_unit_test(test_empty_req),
	    cmocka_unit_test(test_sign_req_ok),
	    cmocka_unit_test(test_sign_req_short_body),
	    cmocka_unit_test(test_sign_req_refs),
	    cmocka_unit_test(test_sign_req_message_cap),
	    cmocka_unit_test(test_sign_req_modes),
	    cmocka_unit_test(test_sign_req_reserved),
	    cmocka_unit_test(test_batch_req_items),
	    cmocka_unit_test(test_batch_req_count),
	    cmocka_unit_test(test_batch_req_lengths),
	    cmocka_unit_test(test_batch_req_bad_middle_item),
	    cmocka_unit_test(test_enc_round_trips),
	    cmocka_unit_test(test_enc_sign_matches_documented_bytes),
	    cmocka_unit_test(test_enc_capacity),
	    cmocka_unit_test(test_batch_enc_errors),
	    cmocka_unit_test(test_put_empty_and_echo),
	    cmocka_unit_test(test_put_info),
	    cmocka_unit_test(test_sig_reserve_commit),
	    cmocka_unit_test(test_batch_resp_round_trip),
	    cmocka_unit_test(test_error_frames),
	    cmocka_unit_test(test_decoders_check_header_and_opcode),
	    cmocka_unit_test(test_sig_resp_refs),
	    cmocka_unit_test(test_info_resp_refs),
	    cmocka_unit_test(test_batch_resp_refs),
	    cmocka_unit_test(test_err_table),
	};
	return cmocka_run_group_tests(tests, NULL, teardown_group);
}
