/*
 * libFuzzer target for the strict RLP reader and the writers (src/txn/rlp.c).
 *
 * For any input: spod_rlp_read either fails with a reader code or yields an item whose
 * header and payload lie inside the input. When spod_rlp_check accepts the whole input,
 * walking it yields views inside the input only, re-encoding every item with the writers
 * gives back the input byte for byte (there is one canonical encoding), and every string
 * the integer helpers accept re-encodes to the same bytes as an integer.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spod/err.h"
#include "txn/rlp.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

static const uint8_t *in_start;
static size_t in_len;

static int inside(const uint8_t *p, size_t n)
{
	return p >= in_start && (size_t)(p - in_start) <= in_len &&
	       n <= in_len - (size_t)(p - in_start);
}

static int reader_code(int rc)
{
	return rc == SPOD_E_TRUNCATED || rc == SPOD_E_TOO_LARGE || rc == SPOD_E_BAD_FIELD;
}

/* Re-encodes item into w, checking views and the integer helpers on the way. */
static void walk(struct spod_rlp_w *w, const struct spod_rlp *item, unsigned depth)
{
	struct spod_rlp_iter it;
	struct spod_rlp child;
	struct spod_u256 v256;
	uint64_t v64;
	uint8_t again[48];
	struct spod_rlp_w w2 = {.p = again, .cap = sizeof(again), .len = 0};

	CHECK(depth < SPOD_RLP_MAX_DEPTH + 1);
	CHECK(inside(item->enc, item->enc_len));
	CHECK(inside(item->ptr, item->len));
	CHECK(item->ptr >= item->enc && item->ptr + item->len == item->enc + item->enc_len);
	if (!item->is_list) {
		CHECK(spod_rlp_put_string(w, item->ptr, item->len) == SPOD_OK);
		if (spod_rlp_u256(item, &v256) == SPOD_OK) {
			CHECK(spod_rlp_put_uint_be(&w2, v256.be, sizeof(v256.be)) == SPOD_OK);
			CHECK(w2.len == item->enc_len && memcmp(again, item->enc, w2.len) == 0);
			CHECK(spod_rlp_uint_len(v256.be, sizeof(v256.be)) == item->enc_len);
		}
		if (spod_rlp_u64(item, &v64) == SPOD_OK) {
			w2.len = 0;
			CHECK(spod_rlp_put_u64(&w2, v64) == SPOD_OK);
			CHECK(w2.len == item->enc_len && memcmp(again, item->enc, w2.len) == 0);
		}
		return;
	}
	CHECK(spod_rlp_put_header(w, 1, item->len) == SPOD_OK);
	spod_rlp_iter_init(&it, item);
	while (spod_rlp_end(&it) != SPOD_OK) {
		CHECK(spod_rlp_next(&it, &child) == SPOD_OK);
		walk(w, &child, depth + 1);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[65536 + 16];
	struct spod_rlp_w w = {.p = out, .cap = sizeof(out), .len = 0};
	struct spod_rlp item;
	int rc;

	in_start = data;
	in_len = size;
	rc = spod_rlp_read(&item, data, size);
	if (rc != SPOD_OK) {
		CHECK(reader_code(rc) && item.enc == NULL && item.len == 0);
	} else {
		CHECK(item.enc == data && item.enc_len <= size && inside(item.ptr, item.len));
	}
	rc = spod_rlp_check(data, size);
	if (rc != SPOD_OK) {
		CHECK(reader_code(rc));
		return 0;
	}
	CHECK(spod_rlp_decode(&item, data, size) == SPOD_OK && item.enc_len == size);
	if (size > sizeof(out) - 16)
		return 0;
	walk(&w, &item, 0);
	CHECK(w.len == size && memcmp(out, data, size) == 0);
	return 0;
}
