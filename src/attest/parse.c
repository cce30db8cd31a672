/*
 * Structural parse of a Nitro attestation document into a view (include/spod/attest.h).
 *
 * The grammar is fixed, so the parser reads items in the one order they may come and
 * rejects everything else at the first surprise: there is no generic "skip this item",
 * because no unknown item is ever allowed. Maps and arrays may be definite or
 * indefinite-length (newer real documents use 0xbf...0xff maps, docs/research/nitro.md
 * §1.2); strings must be definite, so each field is one contiguous view into the input.
 * Non-shortest heads are accepted: libcbor does not flag them, the payload is signed as
 * it stands, and nothing outside it changes meaning with the encoding.
 */
#include <string.h>

#include "attest/cbor.h"
#include "attest/cose.h"
#include "spod/attest.h"
#include "spod/err.h"

#define SHA384_NAME    "SHA384"
#define COSE_SIGN1_TAG 18u /* RFC 9052 §2 */
#define PAYLOAD_KEYS   9u

struct parse {
	struct spod_cbor_reader r;
	const char *why;
};

enum field {
	F_MODULE_ID,
	F_DIGEST,
	F_TIMESTAMP,
	F_PCRS,
	F_CERTIFICATE,
	F_CABUNDLE,
	F_PUBLIC_KEY,
	F_USER_DATA,
	F_NONCE
};

struct field_info {
	const char *name;
	const char *missing;
	const char *duplicate;
};

static const struct field_info fields[PAYLOAD_KEYS] = {
    [F_MODULE_ID] = {"module_id", "payload has no module_id", "payload repeats module_id"},
    [F_DIGEST] = {"digest", "payload has no digest", "payload repeats digest"},
    [F_TIMESTAMP] = {"timestamp", "payload has no timestamp", "payload repeats timestamp"},
    [F_PCRS] = {"pcrs", "payload has no pcrs", "payload repeats pcrs"},
    [F_CERTIFICATE] = {"certificate", "payload has no certificate", "payload repeats certificate"},
    [F_CABUNDLE] = {"cabundle", "payload has no cabundle", "payload repeats cabundle"},
    [F_PUBLIC_KEY] = {"public_key", "payload has no public_key", "payload repeats public_key"},
    [F_USER_DATA] = {"user_data", "payload has no user_data", "payload repeats user_data"},
    [F_NONCE] = {"nonce", "payload has no nonce", "payload repeats nonce"},
};

static int fail(struct parse *p, int code, const char *why)
{
	p->why = why;
	return code;
}

static int next(struct parse *p, struct spod_cbor_item *it)
{
	int rc = spod_cbor_next(&p->r, it);

	if (rc == SPOD_E_TRUNCATED)
		return fail(p, rc, "document ends inside a CBOR item");
	if (rc < 0)
		return fail(p, rc, "ill-formed CBOR (reserved or unsupported item head)");
	return SPOD_OK;
}

/* Sets *more to whether another element (or pair) of c follows (spod_cbor_more). */
static int has_more(struct parse *p, struct spod_cbor_container *c, int *more)
{
	if (spod_cbor_more(&p->r, c, more) < 0)
		return fail(p, SPOD_E_TRUNCATED, "document ends inside an indefinite-length item");
	return SPOD_OK;
}

/* Reads a definite byte string (or null when nullable) into *out. */
static int get_bstr(struct parse *p, struct spod_bytes *out, int nullable, const char *wrong_type)
{
	struct spod_cbor_item it;

	SPOD_TRY(next(p, &it));
	if (nullable && it.kind == SPOD_CBOR_NULL) {
		out->ptr = NULL;
		out->len = 0;
		return SPOD_OK;
	}
	if (it.kind != SPOD_CBOR_BSTR)
		return fail(p, SPOD_E_BAD_FIELD, wrong_type);
	out->ptr = it.ptr;
	out->len = it.len;
	return SPOD_OK;
}

/* The protected header: exactly {1: -35}, nothing after it. */
static int parse_protected(struct parse *outer, struct spod_bytes hdr)
{
	struct parse p = {.why = NULL};
	struct spod_cbor_container map;
	struct spod_cbor_item it;
	int more;

	spod_cbor_reader_init(&p.r, hdr.ptr, hdr.len);
	if (next(&p, &it) < 0 || it.kind != SPOD_CBOR_MAP)
		return fail(outer, SPOD_E_BAD_FIELD, "protected header is not a CBOR map");
	spod_cbor_container_init(&map, &it);
	if (has_more(&p, &map, &more) < 0 || !more)
		return fail(outer, SPOD_E_BAD_FIELD, "protected header has no alg");
	if (next(&p, &it) < 0 || it.kind != SPOD_CBOR_UINT || it.value != 1)
		return fail(outer, SPOD_E_BAD_FIELD, "protected header must hold only alg (1)");
	if (next(&p, &it) < 0)
		return fail(outer, SPOD_E_BAD_FIELD, "protected header alg is ill-formed");
	if (it.kind != SPOD_CBOR_NEGINT || it.value != SPOD_COSE_ALG_ES384_N)
		return fail(outer, SPOD_E_UNKNOWN_ALG, "protected header alg is not ES384 (-35)");
	if (has_more(&p, &map, &more) < 0 || more)
		return fail(outer, SPOD_E_BAD_FIELD, "protected header must hold only alg (1)");
	if (!spod_cbor_at_end(&p.r))
		return fail(outer, SPOD_E_BAD_LENGTH, "bytes after the protected header map");
	return SPOD_OK;
}

static int printable_ascii(const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return 0;
	return 1;
}

static int parse_module_id(struct parse *p, struct spod_attest_doc *d)
{
	struct spod_cbor_item it;

	SPOD_TRY(next(p, &it));
	if (it.kind != SPOD_CBOR_TSTR)
		return fail(p, SPOD_E_BAD_FIELD, "module_id is not a text string");
	if (it.len == 0)
		return fail(p, SPOD_E_BAD_FIELD, "module_id is empty");
	if (!printable_ascii(it.ptr, it.len))
		return fail(p, SPOD_E_BAD_FIELD, "module_id is not printable ASCII");
	d->module_id.ptr = it.ptr;
	d->module_id.len = it.len;
	return SPOD_OK;
}

static int parse_digest(struct parse *p)
{
	struct spod_cbor_item it;

	SPOD_TRY(next(p, &it));
	if (it.kind != SPOD_CBOR_TSTR)
		return fail(p, SPOD_E_BAD_FIELD, "digest is not a text string");
	if (it.len != sizeof SHA384_NAME - 1 || memcmp(it.ptr, SHA384_NAME, it.len) != 0)
		return fail(p, SPOD_E_BAD_FIELD, "digest is not \"SHA384\"");
	return SPOD_OK;
}

static int parse_timestamp(struct parse *p, struct spod_attest_doc *d)
{
	struct spod_cbor_item it;

	SPOD_TRY(next(p, &it));
	if (it.kind != SPOD_CBOR_UINT)
		return fail(p, SPOD_E_BAD_FIELD, "timestamp is not an unsigned integer");
	if (it.value == 0)
		return fail(p, SPOD_E_BAD_FIELD, "timestamp is zero");
	d->timestamp_ms = it.value;
	return SPOD_OK;
}

static int parse_pcrs(struct parse *p, struct spod_attest_doc *d)
{
	struct spod_cbor_container map;
	struct spod_cbor_item head, key;
	struct spod_bytes val;
	int more;

	SPOD_TRY(next(p, &head));
	if (head.kind != SPOD_CBOR_MAP)
		return fail(p, SPOD_E_BAD_FIELD, "pcrs is not a map");
	if (!head.indef && head.value > SPOD_ATTEST_MAX_PCRS)
		return fail(p, SPOD_E_TOO_LARGE, "pcrs has more than 32 entries");
	spod_cbor_container_init(&map, &head);
	for (;;) {
		SPOD_TRY(has_more(p, &map, &more));
		if (!more)
			break;
		SPOD_TRY(next(p, &key));
		if (key.kind != SPOD_CBOR_UINT)
			return fail(p, SPOD_E_BAD_FIELD, "pcrs key is not an unsigned integer");
		if (key.value >= SPOD_ATTEST_MAX_PCRS)
			return fail(p, SPOD_E_BAD_FIELD, "pcrs index is 32 or more");
		if (d->pcrs[key.value].ptr != NULL)
			return fail(p, SPOD_E_BAD_FIELD, "pcrs repeats an index");
		SPOD_TRY(get_bstr(p, &val, 0, "pcrs value is not a byte string"));
		if (val.len != 32 && val.len != 48 && val.len != 64)
			return fail(p, SPOD_E_BAD_LENGTH, "pcrs value is not 32, 48 or 64 bytes");
		d->pcrs[key.value] = val;
		d->npcrs++;
	}
	if (d->npcrs == 0)
		return fail(p, SPOD_E_BAD_FIELD, "pcrs is empty");
	return SPOD_OK;
}

static int parse_cert(struct parse *p, struct spod_bytes *out, const char *wrong_type,
                      const char *bad_len)
{
	SPOD_TRY(get_bstr(p, out, 0, wrong_type));
	if (out->len == 0 || out->len > SPOD_ATTEST_CERT_MAX_BYTES)
		return fail(p, SPOD_E_TOO_LARGE, bad_len);
	return SPOD_OK;
}

static int parse_cabundle(struct parse *p, struct spod_attest_doc *d)
{
	struct spod_cbor_container arr;
	struct spod_cbor_item it;
	int more;

	SPOD_TRY(next(p, &it));
	if (it.kind != SPOD_CBOR_ARRAY)
		return fail(p, SPOD_E_BAD_FIELD, "cabundle is not an array");
	spod_cbor_container_init(&arr, &it);
	for (;;) {
		SPOD_TRY(has_more(p, &arr, &more));
		if (!more)
			break;
		if (d->ncabundle == SPOD_ATTEST_MAX_CABUNDLE)
			return fail(p, SPOD_E_TOO_LARGE, "cabundle has more than 8 certificates");
		SPOD_TRY(parse_cert(p, &d->cabundle[d->ncabundle],
		                    "cabundle entry is not a byte string",
		                    "cabundle entry is empty or over 1024 bytes"));
		d->ncabundle++;
	}
	if (d->ncabundle == 0)
		return fail(p, SPOD_E_BAD_FIELD, "cabundle is empty");
	return SPOD_OK;
}

static int parse_optional(struct parse *p, struct spod_bytes *out, size_t max,
                          const char *wrong_type, const char *too_long)
{
	SPOD_TRY(get_bstr(p, out, 1, wrong_type));
	if (out->len > max)
		return fail(p, SPOD_E_TOO_LARGE, too_long);
	return SPOD_OK;
}

static int parse_value(struct parse *p, struct spod_attest_doc *d, enum field f)
{
	switch (f) {
	case F_MODULE_ID:
		return parse_module_id(p, d);
	case F_DIGEST:
		return parse_digest(p);
	case F_TIMESTAMP:
		return parse_timestamp(p, d);
	case F_PCRS:
		return parse_pcrs(p, d);
	case F_CERTIFICATE:
		return parse_cert(p, &d->certificate, "certificate is not a byte string",
		                  "certificate is empty or over 1024 bytes");
	case F_CABUNDLE:
		return parse_cabundle(p, d);
	case F_PUBLIC_KEY:
		return parse_optional(p, &d->public_key, SPOD_ATTEST_PUBLIC_KEY_MAX,
		                      "public_key is neither bytes nor null",
		                      "public_key is over 1024 bytes");
	case F_USER_DATA:
		return parse_optional(p, &d->user_data, SPOD_ATTEST_USER_DATA_MAX,
		                      "user_data is neither bytes nor null",
		                      "user_data is over 512 bytes");
	case F_NONCE:
		return parse_optional(p, &d->nonce, SPOD_ATTEST_NONCE_MAX,
		                      "nonce is neither bytes nor null", "nonce is over 512 bytes");
	}
	return fail(p, SPOD_E_INTERNAL, "impossible payload field");
}

static int lookup_key(struct parse *p, const struct spod_cbor_item *key, enum field *f)
{
	static const char tpm_key[] = "nitrotpm_pcrs";

	if (key->kind != SPOD_CBOR_TSTR)
		return fail(p, SPOD_E_BAD_FIELD, "payload key is not a text string");
	for (unsigned i = 0; i < PAYLOAD_KEYS; i++) {
		if (spod_cbor_is_text(key, fields[i].name)) {
			*f = (enum field)i;
			return SPOD_OK;
		}
	}
	if (spod_cbor_is_text(key, tpm_key))
		return fail(p, SPOD_E_BAD_FIELD,
		            "payload has nitrotpm_pcrs: a NitroTPM (EC2 instance) document, "
		            "not an enclave's");
	return fail(p, SPOD_E_BAD_FIELD, "payload has an unknown key");
}

static int parse_payload(struct parse *outer, struct spod_attest_doc *d)
{
	struct parse p = {.why = NULL};
	struct spod_cbor_container map;
	struct spod_cbor_item head, key;
	unsigned seen = 0;
	enum field f;
	int more;
	int rc;

	spod_cbor_reader_init(&p.r, d->payload.ptr, d->payload.len);
	SPOD_GUARD(rc, next(&p, &head));
	if (head.kind != SPOD_CBOR_MAP) {
		rc = fail(&p, SPOD_E_BAD_FIELD, "payload is not a CBOR map");
		goto out;
	}
	spod_cbor_container_init(&map, &head);
	for (;;) {
		SPOD_GUARD(rc, has_more(&p, &map, &more));
		if (!more)
			break;
		SPOD_GUARD(rc, next(&p, &key));
		SPOD_GUARD(rc, lookup_key(&p, &key, &f));
		if (seen & (1u << f)) {
			rc = fail(&p, SPOD_E_BAD_FIELD, fields[f].duplicate);
			goto out;
		}
		seen |= 1u << f;
		SPOD_GUARD(rc, parse_value(&p, d, f));
	}
	for (unsigned i = 0; i < PAYLOAD_KEYS; i++) {
		if (!(seen & (1u << i))) {
			rc = fail(&p, SPOD_E_BAD_FIELD, fields[i].missing);
			goto out;
		}
	}
	if (!spod_cbor_at_end(&p.r)) {
		rc = fail(&p, SPOD_E_BAD_LENGTH, "bytes after the payload map");
		goto out;
	}
	rc = SPOD_OK;
out:
	if (rc < 0)
		outer->why = p.why;
	return rc;
}

/* Steps to the next of the COSE_Sign1 array's four elements. */
static int next_element(struct parse *p, struct spod_cbor_container *arr)
{
	int more;

	SPOD_TRY(has_more(p, arr, &more));
	if (!more)
		return fail(p, SPOD_E_BAD_FIELD, "COSE_Sign1 array has fewer than 4 elements");
	return SPOD_OK;
}

/* The unprotected header: an empty map, definite or indefinite. */
static int parse_unprotected(struct parse *p)
{
	struct spod_cbor_container map;
	struct spod_cbor_item it;
	int more;

	SPOD_TRY(next(p, &it));
	if (it.kind != SPOD_CBOR_MAP)
		return fail(p, SPOD_E_BAD_FIELD, "unprotected header is not a map");
	spod_cbor_container_init(&map, &it);
	SPOD_TRY(has_more(p, &map, &more));
	if (more)
		return fail(p, SPOD_E_BAD_FIELD, "unprotected header is not empty");
	return SPOD_OK;
}

/*
 * The head of the COSE_Sign1 array, after at most one tag 18. RFC 9052 §4.2 allows the
 * tagged and the untagged form and AWS's documentation says a tag may be used; the
 * signature covers neither the tag nor the array, so both forms verify alike. Any other
 * tag, or a second one, is not a COSE_Sign1 document.
 */
static int envelope_head(struct parse *p, struct spod_cbor_item *arr)
{
	SPOD_TRY(next(p, arr));
	if (arr->kind != SPOD_CBOR_TAG)
		return SPOD_OK;
	if (arr->value != COSE_SIGN1_TAG)
		return fail(p, SPOD_E_BAD_FIELD,
		            "document is tagged, but not with COSE_Sign1's tag 18");
	SPOD_TRY(next(p, arr));
	if (arr->kind == SPOD_CBOR_TAG)
		return fail(p, SPOD_E_BAD_FIELD, "document is tagged more than once");
	return SPOD_OK;
}

/* The COSE_Sign1 envelope: [bstr protected, {} unprotected, bstr payload, bstr signature]. */
static int parse_envelope(struct parse *p, struct spod_attest_doc *d)
{
	struct spod_cbor_container arr;
	struct spod_cbor_item it;
	int more;

	SPOD_TRY(envelope_head(p, &it));
	if (it.kind != SPOD_CBOR_ARRAY || (!it.indef && it.value != 4))
		return fail(p, SPOD_E_BAD_FIELD, "document is not a 4-element COSE_Sign1 array");
	spod_cbor_container_init(&arr, &it);

	SPOD_TRY(next_element(p, &arr));
	SPOD_TRY(get_bstr(p, &d->protected_hdr, 0, "protected header is not a byte string"));
	SPOD_TRY(parse_protected(p, d->protected_hdr));
	SPOD_TRY(next_element(p, &arr));
	SPOD_TRY(parse_unprotected(p));
	SPOD_TRY(next_element(p, &arr));
	SPOD_TRY(get_bstr(p, &d->payload, 0, "payload is not a byte string"));
	SPOD_TRY(next_element(p, &arr));
	SPOD_TRY(get_bstr(p, &d->signature, 0, "signature is not a byte string"));
	if (d->signature.len != SPOD_ATTEST_SIG_BYTES)
		return fail(p, SPOD_E_BAD_LENGTH, "signature is not 96 bytes of raw r || s");

	SPOD_TRY(has_more(p, &arr, &more));
	if (more)
		return fail(p, SPOD_E_BAD_FIELD, "COSE_Sign1 array has more than 4 elements");
	if (!spod_cbor_at_end(&p->r))
		return fail(p, SPOD_E_BAD_LENGTH, "bytes after the COSE_Sign1 array");
	return parse_payload(p, d);
}

int spod_attest_parse(struct spod_attest_doc *out, const uint8_t *doc, size_t len)
{
	struct spod_attest_doc d;
	struct parse p = {.why = NULL};
	int rc;

	memset(&d, 0, sizeof d);
	if (doc == NULL || len == 0) {
		rc = fail(&p, SPOD_E_TRUNCATED, "document is empty");
	} else if (len > SPOD_ATTEST_DOC_MAX_BYTES) {
		rc = fail(&p, SPOD_E_TOO_LARGE, "document is over 16 KiB");
	} else {
		spod_cbor_reader_init(&p.r, doc, len);
		rc = parse_envelope(&p, &d);
	}
	if (rc < 0) {
		memset(out, 0, sizeof *out);
		out->error = p.why != NULL ? p.why : "malformed document";
		return rc;
	}
	*out = d;
	return SPOD_OK;
}
