/*
 * Wire format v1: the key response and the key.list page (src/wire), labels included, at
 * every bound. Frames are copied into exact-size heap buffers so ASan catches views past the
 * frame.
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

/* The layout as docs/protocol.md documents it (key response, v1 with labels). */
_Static_assert(KEY_ID == 0 && KEY_ALG == 16 && KEY_LABEL_LEN == 17 && KEY_RESERVED == 18 &&
                   KEY_PUB_OFF == 20 && KEY_PUB_LEN == 24 && KEY_LABEL_OFF == 28 &&
                   KEY_FIXED == 32 && LIST_COUNT == 0 && LIST_NEXT == 4 && LIST_TOTAL == 8 &&
                   LIST_RESERVED == 12 && LIST_ENTRIES == 16 && LIST_ENTRY_BYTES == 32 &&
                   KEY_BLOB_OFF == 32 && KEY_BLOB_LEN == 36 && KEY_RESP_FIXED == 40,
               "key response layouts");
/* The largest page: 1024 entries of 32 bytes, 1024 key slots of 65, 1024 labels of 128. */
_Static_assert(LIST_RESP_BODY_MAX == 16 + 1024 * (32 + 65 + 128) &&
                   LIST_RESP_BODY_MAX <= SPOD_BODY_MAX_BYTES &&
                   KEY_RESP_BODY_MAX == 40 + 65 + 128 + 512,
               "largest key responses");

static const uint8_t kid_a[SPOD_KEY_ID_BYTES] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                                                 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
static const uint8_t kid_b[SPOD_KEY_ID_BYTES] = {0xf0, 0xe1, 0xd2, 0xc3, 0xb4, 0xa5, 0x96, 0x87,
                                                 0x78, 0x69, 0x5a, 0x4b, 0x3c, 0x2d, 0x1e, 0x0f};

static uint8_t g_body[SPOD_BODY_MAX_BYTES];
static uint8_t g_out[SPOD_FRAME_MAX_BYTES];
static uint8_t g_pub[SPOD_PUB_MAX_BYTES + 1];
static char g_label[SPOD_LABEL_MAX_BYTES + 2];
static uint8_t *g_frame;

static int setup_group(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(g_pub); i++)
		g_pub[i] = (uint8_t)(0x40 + i);
	for (size_t i = 0; i < sizeof(g_label); i++)
		g_label[i] = "abcXYZ019._-"[i % 12];
	return 0;
}

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

/* Copies src[0..len) to a fresh exact-size buffer and frames it. */
static void frame_exact(struct spod_frame *f, const uint8_t *src, size_t len)
{
	free(g_frame);
	g_frame = malloc(len);
	assert_non_null(g_frame);
	memcpy(g_frame, src, len);
	assert_int_equal(spod_wire_frame(f, g_frame, len), SPOD_OK);
	assert_int_equal(spod_wire_check_hdr(&f->hdr, 1), SPOD_OK);
}

/* Frames a response header plus g_body[0..body_len). */
static void mk_resp(struct spod_frame *f, uint8_t opcode, uint32_t body_len)
{
	static uint8_t stage[SPOD_FRAME_MAX_BYTES];

	spod_wire_put_hdr(stage, opcode, SPOD_FLAG_RESPONSE, 7, 0, body_len);
	memcpy(stage + SPOD_HDR_BYTES, g_body, body_len);
	frame_exact(f, stage, SPOD_HDR_BYTES + body_len);
}

/* A hand-written key layout at k. */
static void put_key_item(uint8_t *k, const uint8_t *kid, uint8_t alg, uint32_t pub_off,
                         uint32_t pub_len, uint8_t label_len, uint32_t label_off)
{
	memset(k, 0, KEY_FIXED);
	memcpy(k + KEY_ID, kid, SPOD_KEY_ID_BYTES);
	k[KEY_ALG] = alg;
	k[KEY_LABEL_LEN] = label_len;
	spod_put_le32(k + KEY_PUB_OFF, pub_off);
	spod_put_le32(k + KEY_PUB_LEN, pub_len);
	spod_put_le32(k + KEY_LABEL_OFF, label_off);
}

/* The key response decoder's result; on failure the view must be all zero. */
static int key_rc(const struct spod_frame *f)
{
	struct spod_key_view k;
	int rc;

	memset(&k, 0xa5, sizeof(k));
	rc = spod_wire_key_resp(&k, f);
	if (rc != SPOD_OK)
		assert_true(is_zero(&k, sizeof(k)));
	return rc;
}

static int list_rc(const struct spod_frame *f)
{
	struct spod_list_view l;
	int rc;

	memset(&l, 0xa5, sizeof(l));
	rc = spod_wire_list_resp(&l, f);
	if (rc != SPOD_OK)
		assert_true(is_zero(&l, sizeof(l)));
	return rc;
}

static void test_put_key_without_label(void **state)
{
	struct spod_frame f;
	struct spod_key_view k;
	size_t n;

	(void)state;
	memset(g_out, 0xee, sizeof(g_out));
	assert_int_equal(spod_wire_put_key(g_out, sizeof(g_out), &n, SPOD_OP_KEY_GENERATE, 21,
	                                   kid_a, SPOD_ALG_ED25519, g_pub, 32, NULL, 0),
	                 SPOD_OK);
	assert_int_equal(n, SPOD_HDR_BYTES + KEY_RESP_FIXED + 32);
	frame_exact(&f, g_out, n);
	/* label_len 0, label_off 0, reserved 18..19 zero: what a v1 peer from before labels sent */
	assert_int_equal(f.body[KEY_LABEL_LEN], 0);
	assert_true(is_zero(f.body + KEY_RESERVED, 2));
	assert_true(is_zero(f.body + KEY_LABEL_OFF, 4));
	memset(&k, 0xa5, sizeof(k));
	assert_int_equal(spod_wire_key_resp(&k, &f), SPOD_OK);
	assert_memory_equal(k.key_id, kid_a, 16);
	assert_int_equal(k.alg, SPOD_ALG_ED25519);
	assert_int_equal(k.pub_len, 32);
	assert_ptr_equal(k.pub, f.body + KEY_RESP_FIXED);
	assert_null(k.label);
	assert_int_equal(k.label_len, 0);
	/* a label pointer with length 0 is no label */
	assert_int_equal(spod_wire_put_key(g_out, sizeof(g_out), &n, SPOD_OP_KEY_PUBLIC, 22, kid_a,
	                                   SPOD_ALG_ED25519, g_pub, 32, "ignored", 0),
	                 SPOD_OK);
	assert_int_equal(n, SPOD_HDR_BYTES + KEY_RESP_FIXED + 32);
}

static void test_put_key_with_label(void **state)
{
	struct spod_frame f;
	struct spod_key_view k;
	size_t n;

	(void)state;
	assert_int_equal(spod_wire_put_key(g_out, sizeof(g_out), &n, SPOD_OP_KEY_PUBLIC, 22, kid_b,
	                                   SPOD_ALG_SECP256K1, g_pub, 65, "hot-wallet", 10),
	                 SPOD_OK);
	assert_int_equal(n, SPOD_HDR_BYTES + KEY_RESP_FIXED + 65 + 10);
	frame_exact(&f, g_out, n);
	/* the bytes docs/protocol.md describes: label_len at 17, label_off at 28, after the key */
	assert_int_equal(f.body[KEY_LABEL_LEN], 10);
	assert_int_equal(spod_le32(f.body + KEY_LABEL_OFF), KEY_RESP_FIXED + 65);
	assert_int_equal(spod_le32(f.body + KEY_PUB_OFF), KEY_RESP_FIXED);
	assert_memory_equal(f.body + KEY_RESP_FIXED + 65, "hot-wallet", 10);
	assert_true(is_zero(f.body + KEY_RESERVED, 2));
	assert_int_equal(spod_wire_key_resp(&k, &f), SPOD_OK);
	assert_int_equal(k.pub_len, 65);
	assert_memory_equal(k.pub, g_pub, 65);
	assert_int_equal(k.label_len, 10);
	assert_ptr_equal(k.label, (const char *)f.body + KEY_RESP_FIXED + 65);

	/* the longest label, and the largest response */
	assert_int_equal(spod_wire_put_key(g_out, sizeof(g_out), &n, SPOD_OP_KEY_GENERATE, 23,
	                                   kid_b, SPOD_ALG_P256, g_pub, 65, g_label,
	                                   SPOD_LABEL_MAX_BYTES),
	                 SPOD_OK);
	assert_int_equal(n, SPOD_HDR_BYTES + KEY_RESP_FIXED + 65 + SPOD_LABEL_MAX_BYTES);
	assert_true(n <= spod_wire_resp_max(SPOD_OP_KEY_GENERATE, 0));
	assert_true(n <= spod_wire_resp_max(SPOD_OP_KEY_PUBLIC, 0));
	frame_exact(&f, g_out, n);
	assert_int_equal(spod_wire_key_resp(&k, &f), SPOD_OK);
	assert_int_equal(k.label_len, SPOD_LABEL_MAX_BYTES);
	assert_memory_equal(k.label, g_label, SPOD_LABEL_MAX_BYTES);
}

static void test_put_key_refuses(void **state)
{
	static const char *const bad[] = {"a b", "hot/wallet", "caf\xc3\xa9", "tab\t"};
	size_t n, need = SPOD_HDR_BYTES + KEY_RESP_FIXED + 65 + 3;

	(void)state;
	n = 99;
	assert_int_equal(spod_wire_put_key(g_out, sizeof(g_out), &n, SPOD_OP_KEY_PUBLIC, 1, kid_a,
	                                   SPOD_ALG_P256, g_pub, 65, g_label,
	                                   SPOD_LABEL_MAX_BYTES + 1),
	                 SPOD_E_TOO_LARGE);
	assert_int_equal(n, 0);
	assert_int_equal(spod_wire_put_key(g_out, sizeof(g_out), &n, SPOD_OP_KEY_PUBLIC, 1, kid_a,
	                                   SPOD_ALG_P256, g_pub, 66, NULL, 0),
	                 SPOD_E_TOO_LARGE);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(spod_wire_put_key(g_out, sizeof(g_out), &n, SPOD_OP_KEY_PUBLIC, 1,
		                                   kid_a, SPOD_ALG_P256, g_pub, 65, bad[i],
		                                   strlen(bad[i])),
		                 SPOD_E_BAD_ARG);
	assert_int_equal(spod_wire_put_key(g_out, sizeof(g_out), &n, SPOD_OP_KEY_PUBLIC, 1, kid_a,
	                                   SPOD_ALG_P256, g_pub, 65, NULL, 3),
	                 SPOD_E_BAD_ARG);
	/* capacity: every byte of the label counts */
	for (size_t cap = 0; cap < need; cap++) {
		n = 99;
		assert_int_equal(spod_wire_put_key(g_out, cap, &n, SPOD_OP_KEY_PUBLIC, 1, kid_a,
		                                   SPOD_ALG_P256, g_pub, 65, "abc", 3),
		                 SPOD_E_TOO_LARGE);
		assert_int_equal(n, 0);
	}
	assert_int_equal(spod_wire_put_key(g_out, need, &n, SPOD_OP_KEY_PUBLIC, 1, kid_a,
	                                   SPOD_ALG_P256, g_pub, 65, "abc", 3),
	                 SPOD_OK);
	assert_int_equal(n, need);
}

static void test_key_resp_refs(void **state)
{
	struct spod_frame f;
	const uint32_t body = KEY_RESP_FIXED + 65 + 5; /* key, then a 5-byte label at 105 */

	(void)state;
	memset(g_body, 0, sizeof(g_body));
	memcpy(g_body + KEY_RESP_FIXED + 65, "a.b_c", 5);
#define KEY_CASE(label_len, label_off, body_len, want)                                             \
	do {                                                                                       \
		put_key_item(g_body, kid_a, SPOD_ALG_P256, KEY_RESP_FIXED, 65, (label_len),        \
		             (label_off));                                                         \
		mk_resp(&f, SPOD_OP_KEY_PUBLIC, (body_len));                                       \
		assert_int_equal(key_rc(&f), (want));                                              \
	} while (0)
	KEY_CASE(5, 105, body, SPOD_OK);
	KEY_CASE(0, 0, body, SPOD_OK);
	KEY_CASE(0, 105, body, SPOD_E_BAD_FIELD); /* an offset without a label */
	KEY_CASE(5, 0, body, SPOD_E_BAD_REF);     /* into the fixed part */
	KEY_CASE(5, KEY_RESP_FIXED - 1, body, SPOD_E_BAD_REF);
	KEY_CASE(5, 106, body, SPOD_E_BAD_REF); /* one past the end */
	KEY_CASE(5, 105, body - 1, SPOD_E_BAD_REF);
	KEY_CASE(5, UINT32_MAX, body, SPOD_E_BAD_REF);
	KEY_CASE(1, body, body, SPOD_E_BAD_REF);
	/* a label may share bytes with the key (references may overlap), if they are label bytes */
	KEY_CASE(2, 105, body, SPOD_OK);
	memset(g_body + KEY_RESP_FIXED, 'k', 65);
	KEY_CASE(65, KEY_RESP_FIXED, body, SPOD_OK);
	memset(g_body + KEY_RESP_FIXED, 0, 65);
	KEY_CASE(3, KEY_RESP_FIXED, body, SPOD_E_BAD_FIELD); /* NUL bytes are not label bytes */
	g_body[KEY_RESP_FIXED + 65 + 1] = ' ';
	KEY_CASE(5, 105, body, SPOD_E_BAD_FIELD);
	g_body[KEY_RESP_FIXED + 65 + 1] = '.';
	/* the longest label; 129 cannot be valid in any body */
	memcpy(g_body + KEY_RESP_FIXED + 65, g_label, SPOD_LABEL_MAX_BYTES);
	KEY_CASE(SPOD_LABEL_MAX_BYTES, 105, KEY_RESP_FIXED + 65 + SPOD_LABEL_MAX_BYTES, SPOD_OK);
	KEY_CASE(SPOD_LABEL_MAX_BYTES + 1, 105, KEY_RESP_FIXED + 65 + 129, SPOD_E_TOO_LARGE);
	KEY_CASE(255, 105, KEY_RESP_FIXED + 65 + 255, SPOD_E_TOO_LARGE);
#undef KEY_CASE
	/* bytes 18..19 stay reserved */
	for (int i = 0; i < 2; i++) {
		put_key_item(g_body, kid_a, SPOD_ALG_P256, KEY_RESP_FIXED, 65, 0, 0);
		g_body[KEY_RESERVED + i] = 1;
		mk_resp(&f, SPOD_OP_KEY_GENERATE, body);
		assert_int_equal(key_rc(&f), SPOD_E_BAD_FIELD);
	}
}

static void test_list_round_trip(void **state)
{
	struct spod_list_enc e;
	struct spod_list_view v;
	struct spod_key_view k;
	struct spod_frame f;
	const size_t slots = LIST_ENTRIES + 3 * (KEY_FIXED + SPOD_PUB_MAX_BYTES);
	size_t n;

	(void)state;
	assert_int_equal(spod_wire_list_begin(&e, g_out, sizeof(g_out), 0), SPOD_E_BAD_ARG);
	assert_int_equal(spod_wire_list_begin(&e, g_out, sizeof(g_out), 1025), SPOD_E_BAD_ARG);
	/* room for the largest page of 3 keys: every label 128 bytes */
	assert_int_equal(
	    spod_wire_list_begin(&e, g_out, SPOD_HDR_BYTES + LIST_PAGE_BODY_MAX(3) - 1, 3),
	    SPOD_E_TOO_LARGE);
	memset(g_out, 0xee, sizeof(g_out));
	assert_int_equal(spod_wire_list_begin(&e, g_out, SPOD_HDR_BYTES + LIST_PAGE_BODY_MAX(3), 3),
	                 SPOD_OK);
	assert_int_equal(spod_wire_list_add(&e, kid_a, SPOD_ALG_ED25519, g_pub, 32, "one", 3),
	                 SPOD_OK);
	assert_int_equal(spod_wire_list_add(&e, kid_b, SPOD_ALG_P256, g_pub, 66, NULL, 0),
	                 SPOD_E_TOO_LARGE);
	assert_int_equal(spod_wire_list_add(&e, kid_b, SPOD_ALG_P256, g_pub, 65, "t w o", 5),
	                 SPOD_E_BAD_ARG);
	assert_int_equal(spod_wire_list_add(&e, kid_b, SPOD_ALG_P256, g_pub, 65, g_label,
	                                    SPOD_LABEL_MAX_BYTES + 1),
	                 SPOD_E_TOO_LARGE);
	assert_int_equal(e.count, 1);
	assert_int_equal(spod_wire_list_add(&e, kid_b, SPOD_ALG_P256, g_pub, 65, NULL, 0), SPOD_OK);
	spod_wire_list_finish(&e, &n, 61, 77, 1234);
	/* entries, key slots, then the labels packed: 3 bytes */
	assert_int_equal(n, SPOD_HDR_BYTES + slots + 3);
	frame_exact(&f, g_out, n);
	memset(&v, 0xa5, sizeof(v));
	assert_int_equal(spod_wire_list_resp(&v, &f), SPOD_OK);
	assert_int_equal(v.count, 2);
	assert_int_equal(v.next_cursor, 77);
	assert_int_equal(v.total, 1234);
	spod_wire_list_item(&k, &v, 0);
	assert_memory_equal(k.key_id, kid_a, 16);
	assert_int_equal(k.pub_len, 32);
	assert_true(is_zero(k.pub + 32, SPOD_PUB_MAX_BYTES - 32));
	assert_int_equal(k.label_len, 3);
	assert_ptr_equal(k.label, (const char *)f.body + slots);
	assert_memory_equal(k.label, "one", 3);
	spod_wire_list_item(&k, &v, 1);
	assert_memory_equal(k.key_id, kid_b, 16);
	assert_int_equal(k.alg, SPOD_ALG_P256);
	assert_int_equal(k.pub_len, 65);
	assert_null(k.label);
	assert_int_equal(k.label_len, 0);
	assert_true(is_zero(f.body + LIST_ENTRIES + KEY_FIXED + KEY_LABEL_OFF, 4));
	/* the unused third entry and key slot are zero */
	assert_true(is_zero(f.body + LIST_ENTRIES + 2 * KEY_FIXED, KEY_FIXED));
	assert_true(is_zero(f.body + LIST_ENTRIES + 3 * KEY_FIXED + 2 * SPOD_PUB_MAX_BYTES,
	                    SPOD_PUB_MAX_BYTES));
	assert_true(is_zero(f.body + LIST_RESERVED, 4));

	/* an empty page has no label bytes */
	assert_int_equal(spod_wire_list_begin(&e, g_out, sizeof(g_out), 5), SPOD_OK);
	spod_wire_list_finish(&e, &n, 63, 0, 0);
	assert_int_equal(n, SPOD_HDR_BYTES + LIST_ENTRIES + 5 * (KEY_FIXED + SPOD_PUB_MAX_BYTES));
	frame_exact(&f, g_out, n);
	assert_int_equal(spod_wire_list_resp(&v, &f), SPOD_OK);
	assert_int_equal(v.count, 0);
}

/* The largest page there can be fits the frame and spod_wire_resp_max. */
static void test_list_largest_page(void **state)
{
	struct spod_list_enc e;
	struct spod_list_view v;
	struct spod_key_view k;
	struct spod_frame f;
	size_t n;

	(void)state;
	assert_true(SPOD_HDR_BYTES + LIST_RESP_BODY_MAX <= spod_wire_resp_max(SPOD_OP_KEY_LIST, 0));
	assert_true(spod_wire_resp_max(SPOD_OP_KEY_LIST, 0) <= SPOD_FRAME_MAX_BYTES);
	assert_int_equal(spod_wire_list_begin(&e, g_out, spod_wire_resp_max(SPOD_OP_KEY_LIST, 0),
	                                      SPOD_LIST_MAX_ITEMS),
	                 SPOD_OK);
	for (uint32_t i = 0; i < SPOD_LIST_MAX_ITEMS; i++) {
		uint8_t kid[16] = {0};
		spod_put_le32(kid, i);
		assert_int_equal(spod_wire_list_add(&e, kid, SPOD_ALG_SECP256K1, g_pub, 65, g_label,
		                                    SPOD_LABEL_MAX_BYTES),
		                 SPOD_OK);
	}
	assert_int_equal(spod_wire_list_add(&e, kid_a, SPOD_ALG_SECP256K1, g_pub, 65, NULL, 0),
	                 SPOD_E_TOO_LARGE);
	spod_wire_list_finish(&e, &n, 62, 0, SPOD_LIST_MAX_ITEMS);
	assert_int_equal(n, SPOD_HDR_BYTES + LIST_RESP_BODY_MAX);
	frame_exact(&f, g_out, n);
	assert_int_equal(spod_wire_list_resp(&v, &f), SPOD_OK);
	assert_int_equal(v.count, SPOD_LIST_MAX_ITEMS);
	spod_wire_list_item(&k, &v, SPOD_LIST_MAX_ITEMS - 1);
	assert_int_equal(spod_le32(k.key_id), SPOD_LIST_MAX_ITEMS - 1);
	assert_int_equal(k.label_len, SPOD_LABEL_MAX_BYTES);
	assert_memory_equal(k.label, g_label, SPOD_LABEL_MAX_BYTES);
	assert_ptr_equal((const uint8_t *)k.label + SPOD_LABEL_MAX_BYTES, f.body + f.body_len);
}

static void test_list_resp_refs(void **state)
{
	struct spod_frame f;
	const uint32_t fixed2 = LIST_ENTRIES + 2 * KEY_FIXED; /* 80 */
	const uint32_t body = fixed2 + 97 + 4;                /* keys, then label "lbl1" */
	uint8_t *e1 = g_body + LIST_ENTRIES + KEY_FIXED;

	(void)state;
	memset(g_body, 0, sizeof(g_body));
	spod_put_le32(g_body + LIST_COUNT, 2);
	put_key_item(g_body + LIST_ENTRIES, kid_a, 1, fixed2, 32, 0, 0);
	put_key_item(e1, kid_b, 2, fixed2 + 32, 65, 4, fixed2 + 97);
	memcpy(g_body + fixed2 + 97, "lbl1", 4);
	for (uint32_t n = 0; n < LIST_ENTRIES; n++) {
		mk_resp(&f, SPOD_OP_KEY_LIST, n);
		assert_int_equal(list_rc(&f), SPOD_E_BAD_LENGTH);
	}
	mk_resp(&f, SPOD_OP_KEY_LIST, body);
	assert_int_equal(list_rc(&f), SPOD_OK);
	mk_resp(&f, SPOD_OP_KEY_LIST, body - 1);
	assert_int_equal(list_rc(&f), SPOD_E_BAD_REF);
	mk_resp(&f, SPOD_OP_KEY_LIST, fixed2 - 1);
	assert_int_equal(list_rc(&f), SPOD_E_BAD_LENGTH);

	/* references into the entry table, for the key and for the label */
	spod_put_le32(g_body + LIST_ENTRIES + KEY_PUB_OFF, LIST_ENTRIES + KEY_FIXED);
	mk_resp(&f, SPOD_OP_KEY_LIST, body);
	assert_int_equal(list_rc(&f), SPOD_E_BAD_REF);
	spod_put_le32(g_body + LIST_ENTRIES + KEY_PUB_OFF, fixed2);
	spod_put_le32(e1 + KEY_LABEL_OFF, fixed2 - 1);
	mk_resp(&f, SPOD_OP_KEY_LIST, body);
	assert_int_equal(list_rc(&f), SPOD_E_BAD_REF);
	spod_put_le32(e1 + KEY_LABEL_OFF, LIST_ENTRIES);
	mk_resp(&f, SPOD_OP_KEY_LIST, body);
	assert_int_equal(list_rc(&f), SPOD_E_BAD_REF);
	spod_put_le32(e1 + KEY_LABEL_OFF, fixed2 + 97);
	/* an offset without a label, a label outside the charset, a reserved byte */
	spod_put_le32(g_body + LIST_ENTRIES + KEY_LABEL_OFF, fixed2 + 97);
	mk_resp(&f, SPOD_OP_KEY_LIST, body);
	assert_int_equal(list_rc(&f), SPOD_E_BAD_FIELD);
	spod_put_le32(g_body + LIST_ENTRIES + KEY_LABEL_OFF, 0);
	g_body[fixed2 + 97 + 3] = '/';
	mk_resp(&f, SPOD_OP_KEY_LIST, body);
	assert_int_equal(list_rc(&f), SPOD_E_BAD_FIELD);
	g_body[fixed2 + 97 + 3] = '1';
	e1[KEY_RESERVED + 1] = 0x80;
	mk_resp(&f, SPOD_OP_KEY_LIST, body);
	assert_int_equal(list_rc(&f), SPOD_E_BAD_FIELD);
	e1[KEY_RESERVED + 1] = 0;
	spod_put_le32(e1 + KEY_PUB_LEN, 66);
	mk_resp(&f, SPOD_OP_KEY_LIST, body + 1);
	assert_int_equal(list_rc(&f), SPOD_E_TOO_LARGE);
	spod_put_le32(e1 + KEY_PUB_LEN, 65);
	mk_resp(&f, SPOD_OP_KEY_LIST, body);
	assert_int_equal(list_rc(&f), SPOD_OK);

	spod_put_le32(g_body + LIST_COUNT, SPOD_LIST_MAX_ITEMS + 1);
	mk_resp(&f, SPOD_OP_KEY_LIST, body);
	assert_int_equal(list_rc(&f), SPOD_E_BAD_FIELD);
	spod_put_le32(g_body + LIST_COUNT, UINT32_MAX);
	mk_resp(&f, SPOD_OP_KEY_LIST, body);
	assert_int_equal(list_rc(&f), SPOD_E_BAD_FIELD);
	spod_put_le32(g_body + LIST_COUNT, 3);
	mk_resp(&f, SPOD_OP_KEY_LIST, fixed2 + 31);
	assert_int_equal(list_rc(&f), SPOD_E_BAD_LENGTH);
	spod_put_le32(g_body + LIST_COUNT, 0);
	mk_resp(&f, SPOD_OP_KEY_LIST, LIST_ENTRIES);
	assert_int_equal(list_rc(&f), SPOD_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_put_key_without_label), cmocka_unit_test(test_put_key_with_label),
	    cmocka_unit_test(test_put_key_refuses),       cmocka_unit_test(test_key_resp_refs),
	    cmocka_unit_test(test_list_round_trip),       cmocka_unit_test(test_list_largest_page),
	    cmocka_unit_test(test_list_resp_refs),
	};
	return cmocka_run_group_tests(tests, setup_group, teardown_group);
}
