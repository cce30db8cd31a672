/*
 * NSM API CBOR codec. Requests are written with attest/cbor.h's bounded writer (libcbor's
 * encoders underneath). Responses are read with libcbor's streaming decoder
 * (cbor_stream_decode), one item head at a time, so strings come back as pointers into
 * the response: no allocation, no copy of GetRandom's bytes left in the heap, and libcbor
 * checks every length against the bytes that remain. The reader is this file's own, not
 * attest/cbor.h's, because DescribePCR needs the value of a boolean and skipping unknown
 * fields needs to tell an indefinite-length string's start from a simple value; that
 * reader reports both as SPOD_CBOR_OTHER.
 */
#include "nsm/api.h"

#include <stdbool.h>
#include <string.h>

#include <cbor.h>

#include "attest/cbor.h"
#include "common/log.h"
#include "spod/err.h"

/* Values the NSM sends are one level deep; anything nested deeper than this is skipped
 * only up to this depth and otherwise rejected. */
#define CB_MAX_DEPTH 16u

enum cb_type {
	CB_NONE,
	CB_UINT,
	CB_NEGINT,
	CB_BSTR,
	CB_TSTR,
	CB_BSTR_INDEF,
	CB_TSTR_INDEF,
	CB_ARRAY,
	CB_ARRAY_INDEF,
	CB_MAP,
	CB_MAP_INDEF,
	CB_TAG,
	CB_BOOL,
	CB_NULL,
	CB_OTHER_SIMPLE,
	CB_BREAK
};

/* One item header; for strings, ptr/len view the bytes inside the reader's buffer. */
struct cb_item {
	enum cb_type type;
	uint64_t val; /* integer, tag, container size or boolean */
	const uint8_t *ptr;
	size_t len;
};

struct cb_reader {
	const uint8_t *buf;
	size_t len;
	size_t off;
};

static void cb_set(void *ctx, enum cb_type type, uint64_t val)
{
	struct cb_item *it = ctx;

	it->type = type;
	it->val = val;
}

static void on_uint8(void *c, uint8_t v)
{
	cb_set(c, CB_UINT, v);
}

static void on_uint16(void *c, uint16_t v)
{
	cb_set(c, CB_UINT, v);
}

static void on_uint32(void *c, uint32_t v)
{
	cb_set(c, CB_UINT, v);
}

static void on_uint64(void *c, uint64_t v)
{
	cb_set(c, CB_UINT, v);
}

static void on_negint8(void *c, uint8_t v)
{
	cb_set(c, CB_NEGINT, v);
}

static void on_negint16(void *c, uint16_t v)
{
	cb_set(c, CB_NEGINT, v);
}

static void on_negint32(void *c, uint32_t v)
{
	cb_set(c, CB_NEGINT, v);
}

static void on_negint64(void *c, uint64_t v)
{
	cb_set(c, CB_NEGINT, v);
}

static void on_bstr(void *c, cbor_data p, size_t n)
{
	struct cb_item *it = c;

	cb_set(c, CB_BSTR, 0);
	it->ptr = p;
	it->len = n;
}

static void on_tstr(void *c, cbor_data p, size_t n)
{
	struct cb_item *it = c;

	cb_set(c, CB_TSTR, 0);
	it->ptr = p;
	it->len = n;
}

static void on_bstr_indef(void *c)
{
	cb_set(c, CB_BSTR_INDEF, 0);
}

static void on_tstr_indef(void *c)
{
	cb_set(c, CB_TSTR_INDEF, 0);
}

static void on_array(void *c, size_t n)
{
	cb_set(c, CB_ARRAY, n);
}

static void on_array_indef(void *c)
{
	cb_set(c, CB_ARRAY_INDEF, 0);
}

static void on_map(void *c, size_t n)
{
	cb_set(c, CB_MAP, n);
}

static void on_map_indef(void *c)
{
	cb_set(c, CB_MAP_INDEF, 0);
}

static void on_tag(void *c, uint64_t v)
{
	cb_set(c, CB_TAG, v);
}

static void on_float(void *c, float v)
{
	(void)v;
	cb_set(c, CB_OTHER_SIMPLE, 0);
}

static void on_double(void *c, double v)
{
	(void)v;
	cb_set(c, CB_OTHER_SIMPLE, 0);
}

static void on_undefined(void *c)
{
	cb_set(c, CB_OTHER_SIMPLE, 0);
}

static void on_null(void *c)
{
	cb_set(c, CB_NULL, 0);
}

static void on_bool(void *c, bool v)
{
	cb_set(c, CB_BOOL, v ? 1 : 0);
}

static void on_break(void *c)
{
	cb_set(c, CB_BREAK, 0);
}

/* libcbor 0.8's member comments in callbacks.h are swapped in places; the names are right. */
static const struct cbor_callbacks cb_callbacks = {
    .uint8 = on_uint8,
    .uint16 = on_uint16,
    .uint32 = on_uint32,
    .uint64 = on_uint64,
    .negint8 = on_negint8,
    .negint16 = on_negint16,
    .negint32 = on_negint32,
    .negint64 = on_negint64,
    .byte_string_start = on_bstr_indef,
    .byte_string = on_bstr,
    .string = on_tstr,
    .string_start = on_tstr_indef,
    .indef_array_start = on_array_indef,
    .array_start = on_array,
    .indef_map_start = on_map_indef,
    .map_start = on_map,
    .tag = on_tag,
    .float2 = on_float,
    .float4 = on_float,
    .float8 = on_double,
    .undefined = on_undefined,
    .null = on_null,
    .boolean = on_bool,
    .indef_break = on_break,
};

/* Reads the next item header (and a definite string's bytes). */
static int cb_next(struct cb_reader *r, struct cb_item *it)
{
	struct cbor_decoder_result res;

	memset(it, 0, sizeof(*it));
	res = cbor_stream_decode(r->buf + r->off, r->len - r->off, &cb_callbacks, it);
	if (res.status == CBOR_DECODER_NEDATA)
		return SPOD_E_TRUNCATED;
	if (res.status != CBOR_DECODER_FINISHED || it->type == CB_NONE || res.read == 0 ||
	    res.read > r->len - r->off)
		return SPOD_E_PROTOCOL;
	r->off += res.read;
	return SPOD_OK;
}

/* Consumes what follows the header it (container members, tagged item). */
static int cb_skip_value(struct cb_reader *r, const struct cb_item *it, unsigned depth)
{
	struct cb_item sub;

	if (depth > CB_MAX_DEPTH)
		return SPOD_E_PROTOCOL;
	switch (it->type) {
	case CB_ARRAY:
	case CB_MAP:
		/* Each member takes at least one byte, so a huge count ends in TRUNCATED. */
		for (uint64_t i = 0; i < it->val; i++) {
			for (int k = 0; k < (it->type == CB_MAP ? 2 : 1); k++) {
				SPOD_TRY(cb_next(r, &sub));
				SPOD_TRY(cb_skip_value(r, &sub, depth + 1));
			}
		}
		return SPOD_OK;
	case CB_ARRAY_INDEF:
	case CB_MAP_INDEF:
	case CB_BSTR_INDEF:
	case CB_TSTR_INDEF:
		for (uint64_t n = 0;; n++) {
			SPOD_TRY(cb_next(r, &sub));
			if (sub.type == CB_BREAK)
				return (it->type == CB_MAP_INDEF && n % 2 != 0) ? SPOD_E_PROTOCOL
				                                                : SPOD_OK;
			if (it->type == CB_BSTR_INDEF && sub.type != CB_BSTR)
				return SPOD_E_PROTOCOL;
			if (it->type == CB_TSTR_INDEF && sub.type != CB_TSTR)
				return SPOD_E_PROTOCOL;
			SPOD_TRY(cb_skip_value(r, &sub, depth + 1));
		}
	case CB_TAG:
		SPOD_TRY(cb_next(r, &sub));
		return cb_skip_value(r, &sub, depth + 1);
	case CB_BREAK:
	case CB_NONE:
		return SPOD_E_PROTOCOL;
	default:
		return SPOD_OK;
	}
}

/* A map being read entry by entry, definite or indefinite. */
struct cb_map {
	int indefinite;
	uint64_t remaining;
};

static int cb_map_open(struct cb_reader *r, struct cb_map *m)
{
	struct cb_item it;

	SPOD_TRY(cb_next(r, &it));
	if (it.type == CB_MAP) {
		m->indefinite = 0;
		m->remaining = it.val;
		return SPOD_OK;
	}
	if (it.type == CB_MAP_INDEF) {
		m->indefinite = 1;
		m->remaining = 0;
		return SPOD_OK;
	}
	return SPOD_E_PROTOCOL;
}

/* 1 with the next key's header in *key, 0 at the end of the map, or a negative code. */
static int cb_map_next_key(struct cb_reader *r, struct cb_map *m, struct cb_item *key)
{
	if (!m->indefinite) {
		if (m->remaining == 0)
			return 0;
		m->remaining--;
		SPOD_TRY(cb_next(r, key));
		return key->type == CB_BREAK ? SPOD_E_PROTOCOL : 1;
	}
	SPOD_TRY(cb_next(r, key));
	return key->type == CB_BREAK ? 0 : 1;
}

/* Requires that the map has no further entries and consumes its end. */
static int cb_map_close(struct cb_reader *r, struct cb_map *m)
{
	struct cb_item it;
	int rc;

	rc = cb_map_next_key(r, m, &it);
	if (rc < 0)
		return rc;
	return rc == 0 ? SPOD_OK : SPOD_E_PROTOCOL;
}

static int cb_text_is(const struct cb_item *it, const char *s)
{
	size_t n = strlen(s);

	return it->type == CB_TSTR && it->len == n && memcmp(it->ptr, s, n) == 0;
}

struct nsm_error {
	const char *name;
	int code;
	const char *why;
};

/* aws-nitro-enclaves-nsm-api ErrorCode, in declaration order. */
static const struct nsm_error nsm_errors[] = {
    {"Success", SPOD_E_PROTOCOL, "an error answer that claims success"},
    {"InvalidArgument", SPOD_E_BAD_ARG, "an argument of the request was rejected"},
    {"InvalidIndex", SPOD_E_BAD_ARG, "the PCR index is out of range"},
    {"InvalidResponse", SPOD_E_PROTOCOL, "the NSM could not build its answer"},
    {"ReadOnlyIndex", SPOD_E_BAD_ARG, "the PCR is locked"},
    {"InvalidOperation", SPOD_E_BAD_ARG, "the operation is not allowed"},
    {"BufferTooSmall", SPOD_E_TOO_LARGE, "the answer does not fit the response buffer"},
    {"InputTooLarge", SPOD_E_TOO_LARGE, "the request is too large"},
    {"InternalError", SPOD_E_IO, "the NSM failed internally"},
};

static int nsm_error_code(const struct cb_item *name)
{
	for (size_t i = 0; i < sizeof(nsm_errors) / sizeof(nsm_errors[0]); i++) {
		if (cb_text_is(name, nsm_errors[i].name)) {
			spod_warn("nsm: the NSM answered Error(%s): %s", nsm_errors[i].name,
			          nsm_errors[i].why);
			return nsm_errors[i].code;
		}
	}
	spod_warn("nsm: the NSM answered an error code spod does not know");
	return SPOD_E_PROTOCOL;
}

enum field_type { FIELD_BSTR, FIELD_BOOL };

struct field {
	const char *name;
	enum field_type type;
	struct spod_bytes *bytes; /* FIELD_BSTR */
	int *flag;                /* FIELD_BOOL */
	int seen;
};

static struct field *field_find(struct field *f, size_t nf, const struct cb_item *key)
{
	for (size_t i = 0; i < nf; i++) {
		if (cb_text_is(key, f[i].name))
			return &f[i];
	}
	return NULL;
}

/* The {"Error": name} answer: checks it is complete, then maps the name. */
static int decode_error(struct cb_reader *r, struct cb_map *outer)
{
	struct cb_item name;

	SPOD_TRY(cb_next(r, &name));
	if (name.type != CB_TSTR)
		return SPOD_E_PROTOCOL;
	SPOD_TRY(cb_map_close(r, outer));
	if (r->off != r->len)
		return SPOD_E_PROTOCOL;
	return nsm_error_code(&name);
}

/* Validates {variant: {fields...}} filling f[0..nf); every field is required. */
static int decode_response(const uint8_t *resp, size_t resp_len, const char *variant,
                           struct field *f, size_t nf)
{
	struct cb_reader r = {resp, resp_len, 0};
	struct cb_map outer, inner;
	struct cb_item key, val;
	struct field *fld;
	int rc;

	if (resp == NULL || resp_len == 0)
		return SPOD_E_TRUNCATED;
	SPOD_TRY(cb_map_open(&r, &outer));
	rc = cb_map_next_key(&r, &outer, &key);
	if (rc <= 0)
		return rc < 0 ? rc : SPOD_E_PROTOCOL;
	if (cb_text_is(&key, "Error"))
		return decode_error(&r, &outer);
	if (!cb_text_is(&key, variant)) {
		spod_warn("nsm: expected a %s answer, the NSM sent another", variant);
		return SPOD_E_PROTOCOL;
	}
	SPOD_TRY(cb_map_open(&r, &inner));
	while ((rc = cb_map_next_key(&r, &inner, &key)) == 1) {
		if (key.type != CB_TSTR)
			return SPOD_E_PROTOCOL;
		SPOD_TRY(cb_next(&r, &val));
		fld = field_find(f, nf, &key);
		if (fld == NULL) {
			SPOD_TRY(cb_skip_value(&r, &val, 1));
			continue;
		}
		if (fld->seen)
			return SPOD_E_PROTOCOL;
		fld->seen = 1;
		if (fld->type == FIELD_BSTR && val.type == CB_BSTR) {
			fld->bytes->ptr = val.ptr;
			fld->bytes->len = val.len;
		} else if (fld->type == FIELD_BOOL && val.type == CB_BOOL) {
			*fld->flag = (int)val.val;
		} else {
			return SPOD_E_PROTOCOL;
		}
	}
	if (rc < 0)
		return rc;
	SPOD_TRY(cb_map_close(&r, &outer));
	if (r.off != r.len)
		return SPOD_E_PROTOCOL;
	for (size_t i = 0; i < nf; i++) {
		if (!f[i].seen)
			return SPOD_E_PROTOCOL;
	}
	return SPOD_OK;
}

int spod_nsm_api_decode_attestation(struct spod_bytes *document, const uint8_t *resp,
                                    size_t resp_len)
{
	struct spod_bytes doc = {NULL, 0};
	struct field f[] = {{"document", FIELD_BSTR, &doc, NULL, 0}};
	int rc;

	document->ptr = NULL;
	document->len = 0;
	rc = decode_response(resp, resp_len, "Attestation", f, 1);
	if (rc < 0)
		return rc;
	if (doc.len == 0)
		return SPOD_E_PROTOCOL;
	*document = doc;
	return SPOD_OK;
}

int spod_nsm_api_decode_describe_pcr(struct spod_bytes *data, int *lock, const uint8_t *resp,
                                     size_t resp_len)
{
	struct spod_bytes d = {NULL, 0};
	int l = 0;
	struct field f[] = {{"lock", FIELD_BOOL, NULL, &l, 0}, {"data", FIELD_BSTR, &d, NULL, 0}};
	int rc;

	data->ptr = NULL;
	data->len = 0;
	*lock = 0;
	rc = decode_response(resp, resp_len, "DescribePCR", f, 2);
	if (rc < 0)
		return rc;
	if (d.len != SPOD_ATTEST_PCR_BYTES)
		return SPOD_E_PROTOCOL;
	*data = d;
	*lock = l;
	return SPOD_OK;
}

int spod_nsm_api_decode_get_random(struct spod_bytes *random, const uint8_t *resp, size_t resp_len)
{
	struct spod_bytes rnd = {NULL, 0};
	struct field f[] = {{"random", FIELD_BSTR, &rnd, NULL, 0}};
	int rc;

	random->ptr = NULL;
	random->len = 0;
	rc = decode_response(resp, resp_len, "GetRandom", f, 1);
	if (rc < 0)
		return rc;
	if (rnd.len == 0)
		return SPOD_E_PROTOCOL;
	*random = rnd;
	return SPOD_OK;
}

/* Option<ByteBuf>: null when ptr is NULL, else a byte string (possibly empty). */
static int put_opt_bytes(struct spod_cbor_writer *w, struct spod_bytes b)
{
	if (b.ptr == NULL)
		return spod_cbor_put_null(w);
	return spod_cbor_put_str(w, SPOD_CBOR_MT_BSTR, b.ptr, b.len);
}

static int put_text(struct spod_cbor_writer *w, const char *s)
{
	return spod_cbor_put_str(w, SPOD_CBOR_MT_TSTR, s, strlen(s));
}

/* Sets *out_len to what w holds, or fails with 0 when rc is an error. */
static int finish(int rc, const struct spod_cbor_writer *w, size_t *out_len)
{
	*out_len = rc < 0 ? 0 : w->len;
	return rc;
}

static int encode_attestation(struct spod_cbor_writer *w, struct spod_bytes user_data,
                              struct spod_bytes nonce, struct spod_bytes public_key)
{
	SPOD_TRY(spod_cbor_put_head(w, SPOD_CBOR_MT_MAP, 1));
	SPOD_TRY(put_text(w, "Attestation"));
	SPOD_TRY(spod_cbor_put_head(w, SPOD_CBOR_MT_MAP, 3));
	SPOD_TRY(put_text(w, "user_data"));
	SPOD_TRY(put_opt_bytes(w, user_data));
	SPOD_TRY(put_text(w, "nonce"));
	SPOD_TRY(put_opt_bytes(w, nonce));
	SPOD_TRY(put_text(w, "public_key"));
	return put_opt_bytes(w, public_key);
}

int spod_nsm_api_encode_attestation(uint8_t *out, size_t cap, size_t *out_len,
                                    struct spod_bytes user_data, struct spod_bytes nonce,
                                    struct spod_bytes public_key)
{
	struct spod_cbor_writer w;

	*out_len = 0;
	if ((user_data.ptr == NULL && user_data.len != 0) ||
	    (nonce.ptr == NULL && nonce.len != 0) ||
	    (public_key.ptr == NULL && public_key.len != 0))
		return SPOD_E_BAD_ARG;
	spod_cbor_writer_init(&w, out, cap);
	return finish(encode_attestation(&w, user_data, nonce, public_key), &w, out_len);
}

static int encode_describe_pcr(struct spod_cbor_writer *w, uint16_t index)
{
	SPOD_TRY(spod_cbor_put_head(w, SPOD_CBOR_MT_MAP, 1));
	SPOD_TRY(put_text(w, "DescribePCR"));
	SPOD_TRY(spod_cbor_put_head(w, SPOD_CBOR_MT_MAP, 1));
	SPOD_TRY(put_text(w, "index"));
	return spod_cbor_put_head(w, SPOD_CBOR_MT_UINT, index);
}

int spod_nsm_api_encode_describe_pcr(uint8_t *out, size_t cap, size_t *out_len, uint16_t index)
{
	struct spod_cbor_writer w;

	spod_cbor_writer_init(&w, out, cap);
	return finish(encode_describe_pcr(&w, index), &w, out_len);
}

int spod_nsm_api_encode_get_random(uint8_t *out, size_t cap, size_t *out_len)
{
	struct spod_cbor_writer w;

	spod_cbor_writer_init(&w, out, cap);
	return finish(put_text(&w, "GetRandom"), &w, out_len);
}
