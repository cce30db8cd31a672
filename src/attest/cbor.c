/*
 * Item-by-item CBOR decoding through libcbor's streaming decoder. Each callback records
 * what libcbor saw into a spod_cbor_item; cbor_stream_decode returns how many bytes the
 * head and string contents took, checking them against the remaining input itself.
 * spod_cbor_next moves the reader only after a whole head decoded; the reads built on it
 * (chunks, skipping) work on a copy of the reader and store it back only on success.
 */
#include <stdlib.h>
#include <string.h>

#include <cbor.h>

#include "attest/cbor.h"
#include "spod/err.h"

#define CBOR_BREAK_BYTE 0xffu

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

static void on_bstr_indef(void *ctx)
{
	struct spod_cbor_item *it = ctx;
	it->kind = SPOD_CBOR_BSTR_INDEF;
	it->indef = 1;
}

static void on_tstr_indef(void *ctx)
{
	struct spod_cbor_item *it = ctx;
	it->kind = SPOD_CBOR_TSTR_INDEF;
	it->indef = 1;
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
	struct spod_cbor_item *it = ctx;
	it->kind = SPOD_CBOR_BOOL;
	it->value = v ? 1 : 0;
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
    .byte_string_start = on_bstr_indef,
    .byte_string = on_bstr,
    .string = on_tstr,
    .string_start = on_tstr_indef,
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

/* One-byte heads of tags 6..20, which libcbor 0.8 refuses (see cbor.h). */
#define TAG6_HEAD  0xc6u
#define TAG20_HEAD 0xd4u
#define AI_MASK    0x1fu

int spod_cbor_next(struct spod_cbor_reader *r, struct spod_cbor_item *it)
{
	struct cbor_decoder_result res;
	struct spod_cbor_item got;
	size_t left = r->len - r->off;

	memset(&got, 0, sizeof got);
	if (left == 0)
		return SPOD_E_TRUNCATED;
	if (r->buf[r->off] >= TAG6_HEAD && r->buf[r->off] <= TAG20_HEAD) {
		got.kind = SPOD_CBOR_TAG;
		got.value = r->buf[r->off] & AI_MASK;
		r->off++;
		*it = got;
		return SPOD_OK;
	}
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

int spod_cbor_is_text(const struct spod_cbor_item *it, const char *s)
{
	size_t n = strlen(s);

	return it->kind == SPOD_CBOR_TSTR && it->len == n && memcmp(it->ptr, s, n) == 0;
}

void spod_cbor_container_init(struct spod_cbor_container *c, const struct spod_cbor_item *open)
{
	c->indef = open->indef;
	c->left = open->indef ? 0 : open->value;
}

int spod_cbor_more(struct spod_cbor_reader *r, struct spod_cbor_container *c, int *more)
{
	if (!c->indef) {
		*more = c->left > 0;
		if (*more)
			c->left--;
		return SPOD_OK;
	}
	if (spod_cbor_at_end(r))
		return SPOD_E_TRUNCATED;
	*more = r->buf[r->off] != CBOR_BREAK_BYTE;
	if (!*more)
		r->off++;
	return SPOD_OK;
}

/* The kind of the chunks of an indefinite-length string started by kind; 0 for others. */
static enum spod_cbor_kind chunk_kind(enum spod_cbor_kind kind)
{
	if (kind == SPOD_CBOR_BSTR_INDEF)
		return SPOD_CBOR_BSTR;
	if (kind == SPOD_CBOR_TSTR_INDEF)
		return SPOD_CBOR_TSTR;
	return 0;
}

int spod_cbor_next_chunk(struct spod_cbor_reader *r, const struct spod_cbor_item *start,
                         struct spod_cbor_item *chunk, int *more)
{
	struct spod_cbor_reader t = *r;
	struct spod_cbor_item it;
	enum spod_cbor_kind want = chunk_kind(start->kind);

	if (want == 0)
		abort(); /* programmer error: start is not an indefinite-length string */
	SPOD_TRY(spod_cbor_next(&t, &it));
	if (it.kind == SPOD_CBOR_BREAK) {
		*more = 0;
	} else if (it.kind == want) {
		*more = 1;
		*chunk = it;
	} else {
		return SPOD_E_BAD_FIELD;
	}
	*r = t;
	return SPOD_OK;
}

/* What spod_cbor_skip still expects inside one open item. */
struct skip_level {
	enum spod_cbor_kind kind; /* ARRAY, MAP, TAG, BSTR_INDEF or TSTR_INDEF */
	int indef;                /* ends at a break */
	uint64_t left;            /* definite: items still to come (a map's pairs count 2) */
	uint64_t seen;            /* indefinite map: items read, so a break after a key fails */
};

struct skip_stack {
	struct skip_level lv[SPOD_CBOR_SKIP_MAX_DEPTH];
	unsigned n; /* open levels; an item read now is at level n + 1 */
};

/* Opens a level for what follows item it, if anything does. */
static int skip_open(struct skip_stack *s, const struct spod_cbor_reader *r,
                     const struct spod_cbor_item *it)
{
	size_t bytes_left = r->len - r->off;
	struct skip_level lv = {it->kind, it->indef, 0, 0};

	switch (it->kind) {
	case SPOD_CBOR_ARRAY:
	case SPOD_CBOR_MAP:
		/* Each member takes at least one byte: a count the input cannot hold is a
		 * truncation now, and 2 * value cannot wrap below bytes_left. */
		if (!it->indef &&
		    it->value > (it->kind == SPOD_CBOR_MAP ? bytes_left / 2 : bytes_left))
			return SPOD_E_TRUNCATED;
		lv.left = it->kind == SPOD_CBOR_MAP ? 2 * it->value : it->value;
		if (!it->indef && lv.left == 0)
			return SPOD_OK;
		break;
	case SPOD_CBOR_TAG:
		lv.left = 1;
		break;
	case SPOD_CBOR_BSTR_INDEF:
	case SPOD_CBOR_TSTR_INDEF:
		break;
	default:
		return SPOD_OK;
	}
	s->lv[s->n++] = lv; /* n < MAX: the item itself was at level n + 1 <= MAX */
	return SPOD_OK;
}

/* Accounts for item it, read at level s->n + 1, in the level that holds it. */
static int skip_step(struct skip_stack *s, const struct spod_cbor_reader *r,
                     const struct spod_cbor_item *it)
{
	struct skip_level *top = s->n > 0 ? &s->lv[s->n - 1] : NULL;

	if (it->kind == SPOD_CBOR_BREAK) {
		if (top == NULL || !top->indef ||
		    (top->kind == SPOD_CBOR_MAP && top->seen % 2 != 0))
			return SPOD_E_BAD_FIELD;
		s->n--;
		return SPOD_OK;
	}
	if (s->n + 1 > SPOD_CBOR_SKIP_MAX_DEPTH)
		return SPOD_E_TOO_LARGE;
	if (top != NULL && chunk_kind(top->kind) != 0)
		return it->kind == chunk_kind(top->kind) ? SPOD_OK : SPOD_E_BAD_FIELD;
	if (top != NULL && top->indef)
		top->seen++;
	else if (top != NULL)
		top->left--;
	return skip_open(s, r, it);
}

int spod_cbor_skip(struct spod_cbor_reader *r)
{
	struct spod_cbor_reader t = *r;
	struct skip_stack s;
	struct spod_cbor_item it;

	s.n = 0;
	do {
		SPOD_TRY(spod_cbor_next(&t, &it));
		SPOD_TRY(skip_step(&s, &t, &it));
		while (s.n > 0 && !s.lv[s.n - 1].indef && s.lv[s.n - 1].left == 0)
			s.n--;
	} while (s.n > 0);
	*r = t;
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
	case SPOD_CBOR_MT_TAG:
		return cbor_encode_tag(n, out, SPOD_CBOR_HEAD_MAX_BYTES);
	}
	abort(); /* programmer error: no other major type is written */
}

int spod_cbor_put_raw(struct spod_cbor_writer *w, const void *src, size_t n)
{
	if (n > w->cap - w->len)
		return SPOD_E_TOO_LARGE;
	if (n > 0 && w->buf != NULL)
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
