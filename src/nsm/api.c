/*
 * NSM API CBOR codec, on attest/cbor.h: requests are written with its bounded writer,
 * responses read with its pull reader over libcbor's streaming decoder, one item head at a
 * time, so strings come back as pointers into the response: no allocation, no copy of
 * GetRandom's bytes left in the heap, and every length checked against the bytes that
 * remain. Fields spod does not know are skipped whole with spod_cbor_skip.
 */
#include "nsm/api.h"

#include <string.h>

#include "attest/cbor.h"
#include "common/log.h"
#include "spod/err.h"

/* The codec's codes as the decoders report them: an answer that ends early stays
 * TRUNCATED (nitro.c tells a driver's cut from a short answer), anything else wrong with
 * the CBOR (ill-formed, nested deeper than SPOD_CBOR_SKIP_MAX_DEPTH) is PROTOCOL. */
static int cbor_rc(int rc)
{
	return rc >= 0 || rc == SPOD_E_TRUNCATED ? rc : SPOD_E_PROTOCOL;
}

static int next(struct spod_cbor_reader *r, struct spod_cbor_item *it)
{
	return cbor_rc(spod_cbor_next(r, it));
}

/* Reads a map's head, definite or indefinite, into m. */
static int map_open(struct spod_cbor_reader *r, struct spod_cbor_container *m)
{
	struct spod_cbor_item it;

	SPOD_TRY(next(r, &it));
	if (it.kind != SPOD_CBOR_MAP)
		return SPOD_E_PROTOCOL;
	spod_cbor_container_init(m, &it);
	return SPOD_OK;
}

/* Sets *more, and when another entry follows reads its key into *key. */
static int map_next_key(struct spod_cbor_reader *r, struct spod_cbor_container *m,
                        struct spod_cbor_item *key, int *more)
{
	SPOD_TRY(cbor_rc(spod_cbor_more(r, m, more)));
	if (!*more)
		return SPOD_OK;
	SPOD_TRY(next(r, key));
	return key->kind == SPOD_CBOR_BREAK ? SPOD_E_PROTOCOL : SPOD_OK;
}

/* Requires that the map has no further entries and consumes its end. */
static int map_close(struct spod_cbor_reader *r, struct spod_cbor_container *m)
{
	int more;

	SPOD_TRY(cbor_rc(spod_cbor_more(r, m, &more)));
	return more ? SPOD_E_PROTOCOL : SPOD_OK;
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

static int nsm_error_code(const struct spod_cbor_item *name)
{
	for (size_t i = 0; i < sizeof(nsm_errors) / sizeof(nsm_errors[0]); i++) {
		if (spod_cbor_is_text(name, nsm_errors[i].name)) {
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

static struct field *field_find(struct field *f, size_t nf, const struct spod_cbor_item *key)
{
	for (size_t i = 0; i < nf; i++) {
		if (spod_cbor_is_text(key, f[i].name))
			return &f[i];
	}
	return NULL;
}

/* The {"Error": name} answer: checks it is complete, then maps the name. */
static int decode_error(struct spod_cbor_reader *r, struct spod_cbor_container *outer)
{
	struct spod_cbor_item name;

	SPOD_TRY(next(r, &name));
	if (name.kind != SPOD_CBOR_TSTR)
		return SPOD_E_PROTOCOL;
	SPOD_TRY(map_close(r, outer));
	if (!spod_cbor_at_end(r))
		return SPOD_E_PROTOCOL;
	return nsm_error_code(&name);
}

/* Reads the value of field fld (its key just read) into the field's output. */
static int decode_field(struct spod_cbor_reader *r, struct field *fld)
{
	struct spod_cbor_item val;

	SPOD_TRY(next(r, &val));
	if (fld->seen)
		return SPOD_E_PROTOCOL;
	fld->seen = 1;
	if (fld->type == FIELD_BSTR && val.kind == SPOD_CBOR_BSTR) {
		fld->bytes->ptr = val.ptr;
		fld->bytes->len = val.len;
	} else if (fld->type == FIELD_BOOL && val.kind == SPOD_CBOR_BOOL) {
		*fld->flag = (int)val.value;
	} else {
		return SPOD_E_PROTOCOL;
	}
	return SPOD_OK;
}

/* The variant's {field: value, ...} map: known fields into f, unknown ones skipped. */
static int decode_fields(struct spod_cbor_reader *r, struct field *f, size_t nf)
{
	struct spod_cbor_container inner;
	struct spod_cbor_item key;
	struct field *fld;
	int more;

	SPOD_TRY(map_open(r, &inner));
	for (;;) {
		SPOD_TRY(map_next_key(r, &inner, &key, &more));
		if (!more)
			break;
		if (key.kind != SPOD_CBOR_TSTR)
			return SPOD_E_PROTOCOL;
		fld = field_find(f, nf, &key);
		if (fld != NULL)
			SPOD_TRY(decode_field(r, fld));
		else
			SPOD_TRY(cbor_rc(spod_cbor_skip(r)));
	}
	for (size_t i = 0; i < nf; i++) {
		if (!f[i].seen)
			return SPOD_E_PROTOCOL;
	}
	return SPOD_OK;
}

/* Validates {variant: {fields...}} filling f[0..nf); every field is required. */
static int decode_response(const uint8_t *resp, size_t resp_len, const char *variant,
                           struct field *f, size_t nf)
{
	struct spod_cbor_reader r;
	struct spod_cbor_container outer;
	struct spod_cbor_item key;
	int more;

	if (resp == NULL || resp_len == 0)
		return SPOD_E_TRUNCATED;
	spod_cbor_reader_init(&r, resp, resp_len);
	SPOD_TRY(map_open(&r, &outer));
	SPOD_TRY(map_next_key(&r, &outer, &key, &more));
	if (!more)
		return SPOD_E_PROTOCOL;
	if (spod_cbor_is_text(&key, "Error"))
		return decode_error(&r, &outer);
	if (!spod_cbor_is_text(&key, variant)) {
		spod_warn("nsm: expected a %s answer, the NSM sent another", variant);
		return SPOD_E_PROTOCOL;
	}
	SPOD_TRY(decode_fields(&r, f, nf));
	SPOD_TRY(map_close(&r, &outer));
	return spod_cbor_at_end(&r) ? SPOD_OK : SPOD_E_PROTOCOL;
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
