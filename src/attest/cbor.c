/*
 * Item-by-item CBOR decoding through libcbor's streaming decoder. Each callback records
 * what libcbor saw into a spod_cbor_item; cbor_stream_decode returns how many bytes the
 * head and string contents took, checking them against the remaining input itself.
 */
#include <stdlib.h>
#include <string.h>

#include <cbor.h>

#include "attest/cbor.h"
#include "spod/err.h"

static void on_uint8(void *ctx, uint8_t v)
{
	struct spod_cbor_item *it = ctx;
	it->kind = SPOD_CBOR_UINT;
	it->value = v;
}

static void on_uint16(void *ctx, uint16_t v)
{
	on_uint8(ctx, 0);
	((struct spod_cbor_item *)ctx)->value = v;
}

static void on_uint32(void *ctx, uint32_t v)
{
	on_uint8(ctx, 0);
	((struct spod_cbor_item *)ctx)->value = v;
}

static void on_uint64(void *ctx, uint64_t v)
{
	on_uint8(ctx, 0);
	((struct spod_cbor_item *)ctx)->value = v;
}

static void on_negint64(void *ctx, uint64_t v)
{
	struct spod_cbor_item *it = ctx;
	it->kind = SPOD_CBOR_NEGINT;
	it->value = v;
}

static void on_negint32(void *ctx, uint32_t v)
{
	on_negint64(ctx, v);
}

static void on_negint16(void *ctx, uint16_t v)
{
	on_negint64(ctx, v);
}

static void on_negint8(void *ctx, uint8_t v)
{
	on_negint64(ctx, v);
}

static void on_bstr(void *ctx, cbor_data data, size_t len)
{
	struct spod_cbor_item *it = ctx;
	it->kind = SPOD_CBOR_BSTR;
	it->ptr = data;
	it->len = len;
}

static void on_tstr(void *ctx, cbor_data data, size_t len)
{
	struct spod_cbor_item *it = ctx;
	it->kind = SPOD_CBOR_TSTR;
	it->ptr = data;
	it->len = len;
}

static void on_other(void *ctx)
{
	((struct spod_cbor_item *)ctx)->kind = SPOD_CBOR_OTHER;
}

static void on_array(void *ctx, size_t n)
{
	struct spod_cbor_item *it = ctx;
	it->kind = SPOD_CBOR_ARRAY;
	it->value = n;
}

static void on_indef_array(void *ctx)
{
	struct spod_cbor_item *it = ctx;
	it->kind = SPOD_CBOR_ARRAY;
	it->indef = 1;
}

static void on_map(void *ctx, size_t n)
{
	struct spod_cbor_item *it = ctx;
	it->kind = SPOD_CBOR_MAP;
	it->value = n;
}

static void on_indef_map(void *ctx)
{
	struct spod_cbor_item *it = ctx;
	it->kind = SPOD_CBOR_MAP;
	it->indef = 1;
}

static void on_tag(void *ctx, uint64_t v)
{
	struct spod_cbor_item *it = ctx;
	it->kind = SPOD_CBOR_TAG;
	it->value = v;
}

static void on_float(void *ctx, float v)
{
	(void)v;
	on_other(ctx);
}

static void on_double(void *ctx, double v)
{
	(void)v;
	on_other(ctx);
}

static void on_bool(void *ctx, bool v)
{
	(void)v;
	on_other(ctx);
}

static void on_null(void *ctx)
{
	((struct spod_cbor_item *)ctx)->kind = SPOD_CBOR_NULL;
}

static void on_break(void *ctx)
{
	((struct spod_cbor_item *)ctx)->kind = SPOD_CBOR_BREAK;
}

/* Every member set: libcbor calls whichever matches the head, none may be NULL. libcbor's
 * own comments on the two string pairs are swapped; the member names are right. */
static const struct cbor_callbacks reader_callbacks = {
    .uint8 = on_uint8,
    .uint16 = on_uint16,
    .uint32 = on_uint32,
    .uint64 = on_uint64,
    .negint64 = on_negint64,
    .negint32 = on_negint32,
    .negint16 = on_negint16,
    .negint8 = on_negint8,
    .byte_string_start = on_other,
    .byte_string = on_bstr,
    .string = on_tstr,
    .string_start = on_other,
    .indef_array_start = on_indef_array,
    .array_start = on_array,
    .indef_map_start = on_indef_map,
    .map_start = on_map,
    .tag = on_tag,
    .float2 = on_float,
    .float4 = on_float,
    .float8 = on_double,
    .undefined = on_other,
    .null = on_null,
    .boolean = on_bool,
    .indef_break = on_break,
};

int spod_cbor_next(struct spod_cbor_reader *r, struct spod_cbor_item *it)
{
	struct cbor_decoder_result res;
	struct spod_cbor_item got;
	size_t left = r->len - r->off;

	memset(&got, 0, sizeof got);
	if (left == 0)
		return SPOD_E_TRUNCATED;
	res = cbor_stream_decode(r->buf + r->off, left, &reader_callbacks, &got);
	if (res.status == CBOR_DECODER_NEDATA)
		return SPOD_E_TRUNCATED;
	if (res.status != CBOR_DECODER_FINISHED || res.read == 0 || res.read > left ||
	    got.kind == 0)
		return SPOD_E_BAD_FIELD;
	r->off += res.read;
	*it = got;
	return SPOD_OK;
}

size_t spod_cbor_head(uint8_t out[SPOD_CBOR_HEAD_MAX_BYTES], enum spod_cbor_major mt, uint64_t n)
{
	switch (mt) {
	case SPOD_CBOR_MT_UINT:
		return cbor_encode_uint(n, out, SPOD_CBOR_HEAD_MAX_BYTES);
	case SPOD_CBOR_MT_NEGINT:
		return cbor_encode_negint(n, out, SPOD_CBOR_HEAD_MAX_BYTES);
	case SPOD_CBOR_MT_BSTR:
		return cbor_encode_bytestring_start((size_t)n, out, SPOD_CBOR_HEAD_MAX_BYTES);
	case SPOD_CBOR_MT_TSTR:
		return cbor_encode_string_start((size_t)n, out, SPOD_CBOR_HEAD_MAX_BYTES);
	case SPOD_CBOR_MT_ARRAY:
		return cbor_encode_array_start((size_t)n, out, SPOD_CBOR_HEAD_MAX_BYTES);
	case SPOD_CBOR_MT_MAP:
		return cbor_encode_map_start((size_t)n, out, SPOD_CBOR_HEAD_MAX_BYTES);
	}
	abort(); /* programmer error: no other major type is written */
}

int spod_cbor_put_raw(struct spod_cbor_writer *w, const void *src, size_t n)
{
	if (n > w->cap - w->len)
		return SPOD_E_TOO_LARGE;
	if (n > 0)
		memcpy(w->buf + w->len, src, n);
	w->len += n;
	return SPOD_OK;
}

int spod_cbor_put_head(struct spod_cbor_writer *w, enum spod_cbor_major mt, uint64_t n)
{
	uint8_t head[SPOD_CBOR_HEAD_MAX_BYTES];
	return spod_cbor_put_raw(w, head, spod_cbor_head(head, mt, n));
}

int spod_cbor_put_str(struct spod_cbor_writer *w, enum spod_cbor_major mt, const void *src,
                      size_t n)
{
	uint8_t head[SPOD_CBOR_HEAD_MAX_BYTES];
	size_t hn = spod_cbor_head(head, mt, n);

	if (hn > w->cap - w->len || n > w->cap - w->len - hn)
		return SPOD_E_TOO_LARGE;
	SPOD_TRY(spod_cbor_put_raw(w, head, hn));
	return spod_cbor_put_raw(w, src, n);
}

int spod_cbor_put_null(struct spod_cbor_writer *w)
{
	uint8_t b[1];
	return spod_cbor_put_raw(w, b, cbor_encode_null(b, sizeof b));
}
