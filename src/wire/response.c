/* Response writers (enclave side, in place) and response decoders (client side). */
#include <string.h>

#include "wire/layout.h"

#define RESP SPOD_FLAG_RESPONSE

int spod_wire_put_error(uint8_t *out, size_t cap, size_t *out_len, uint8_t opcode, uint64_t rid,
                        int err, const char *msg)
{
	size_t n = strnlen(msg, SPOD_ERRMSG_MAX_BYTES);

	*out_len = 0;
	if (err >= 0)
		err = SPOD_E_INTERNAL;
	SPOD_TRY(wire_room(cap, n));
	spod_wire_put_hdr(out, opcode, RESP, rid, spod_err_to_status(err), (uint32_t)n);
	memcpy(out + SPOD_HDR_BYTES, msg, n);
	*out_len = SPOD_HDR_BYTES + n;
	return SPOD_OK;
}

int spod_wire_put_empty(uint8_t *out, size_t cap, size_t *out_len, uint8_t opcode, uint64_t rid)
{
	*out_len = 0;
	SPOD_TRY(wire_room(cap, 0));
	spod_wire_put_hdr(out, opcode, RESP, rid, 0, 0);
	*out_len = SPOD_HDR_BYTES;
	return SPOD_OK;
}

int spod_wire_put_echo(uint8_t *out, size_t cap, size_t *out_len, uint64_t rid, const uint8_t *data,
                       size_t data_len)
{
	*out_len = 0;
	SPOD_TRY(wire_room(cap, data_len));
	spod_wire_put_hdr(out, SPOD_OP_ECHO, RESP, rid, 0, (uint32_t)data_len);
	if (data_len > 0)
		memmove(out + SPOD_HDR_BYTES, data, data_len);
	*out_len = SPOD_HDR_BYTES + data_len;
	return SPOD_OK;
}

/* A key's public key and label within their caps and the label's charset. */
static int key_parts_ok(size_t pub_len, const char *label, size_t label_len)
{
	if (pub_len > SPOD_PUB_MAX_BYTES || label_len > SPOD_LABEL_MAX_BYTES)
		return SPOD_E_TOO_LARGE;
	if (label_len > 0 && (label == NULL || !spod_label_valid(label, label_len)))
		return SPOD_E_BAD_ARG;
	return SPOD_OK;
}

/* The fixed part of a key; label_off is written only for a key that has a label. */
static void put_key_fixed(uint8_t *k, const uint8_t key_id[SPOD_KEY_ID_BYTES], uint8_t alg,
                          uint32_t pub_off, uint32_t pub_len, uint32_t label_off,
                          uint32_t label_len)
{
	memset(k, 0, KEY_FIXED);
	memcpy(k + KEY_ID, key_id, SPOD_KEY_ID_BYTES);
	k[KEY_ALG] = alg;
	k[KEY_LABEL_LEN] = (uint8_t)label_len;
	spod_put_le32(k + KEY_PUB_OFF, pub_off);
	spod_put_le32(k + KEY_PUB_LEN, pub_len);
	spod_put_le32(k + KEY_LABEL_OFF, label_len > 0 ? label_off : 0);
}

int spod_wire_put_sealed_key(uint8_t *out, size_t cap, size_t *out_len, uint8_t opcode,
                             uint64_t rid, const struct spod_key_view *k)
{
	uint8_t *b = out + SPOD_HDR_BYTES;
	size_t pub_off = KEY_RESP_FIXED, label_off = pub_off + k->pub_len;
	size_t blob_off = label_off + k->label_len, body_len = blob_off + k->blob_len;

	*out_len = 0;
	SPOD_TRY(key_parts_ok(k->pub_len, k->label, k->label_len));
	if (k->blob_len > SPOD_BLOB_MAX_BYTES)
		return SPOD_E_TOO_LARGE;
	SPOD_TRY(wire_room(cap, body_len));
	spod_wire_put_hdr(out, opcode, RESP, rid, 0, (uint32_t)body_len);
	put_key_fixed(b, k->key_id, k->alg, (uint32_t)pub_off, k->pub_len, (uint32_t)label_off,
	              k->label_len);
	spod_put_le32(b + KEY_BLOB_OFF, k->blob_len > 0 ? (uint32_t)blob_off : 0);
	spod_put_le32(b + KEY_BLOB_LEN, k->blob_len);
	memcpy(b + pub_off, k->pub, k->pub_len);
	if (k->label_len > 0)
		memcpy(b + label_off, k->label, k->label_len);
	if (k->blob_len > 0)
		memcpy(b + blob_off, k->blob, k->blob_len);
	*out_len = SPOD_HDR_BYTES + body_len;
	return SPOD_OK;
}

int spod_wire_put_key(uint8_t *out, size_t cap, size_t *out_len, uint8_t opcode, uint64_t rid,
                      const uint8_t key_id[SPOD_KEY_ID_BYTES], uint8_t alg, const uint8_t *pub,
                      size_t pub_len, const char *label, size_t label_len)
{
	const struct spod_key_view k = {
	    .key_id = key_id,
	    .alg = alg,
	    .pub = pub,
	    .pub_len = (uint32_t)pub_len,
	    .label = label,
	    .label_len = (uint32_t)label_len,
	};

	*out_len = 0;
	if (pub_len > SPOD_PUB_MAX_BYTES || label_len > SPOD_LABEL_MAX_BYTES)
		return SPOD_E_TOO_LARGE;
	return spod_wire_put_sealed_key(out, cap, out_len, opcode, rid, &k);
}

int spod_wire_put_hello(uint8_t *out, size_t cap, size_t *out_len, uint64_t rid,
                        const uint8_t token_id[SPOD_KEY_ID_BYTES], uint32_t flags, uint32_t ops)
{
	uint8_t *b = out + SPOD_HDR_BYTES;

	*out_len = 0;
	SPOD_TRY(wire_room(cap, HELLO_RESP_FIXED));
	spod_wire_put_hdr(out, SPOD_OP_HELLO, RESP, rid, 0, HELLO_RESP_FIXED);
	memcpy(b + HELLO_RESP_TOKEN_ID, token_id, SPOD_KEY_ID_BYTES);
	spod_put_le32(b + HELLO_RESP_FLAGS, flags);
	spod_put_le32(b + HELLO_RESP_OPS, ops);
	*out_len = SPOD_HDR_BYTES + HELLO_RESP_FIXED;
	return SPOD_OK;
}

int spod_wire_put_info(uint8_t *out, size_t cap, size_t *out_len, uint64_t rid,
                       const struct spod_info_view *info)
{
	uint8_t *b = out + SPOD_HDR_BYTES;
	size_t vlen = info->version_len;

	*out_len = 0;
	if (vlen > INFO_VERSION_MAX)
		return SPOD_E_TOO_LARGE;
	SPOD_TRY(wire_room(cap, INFO_FIXED + vlen));
	spod_wire_put_hdr(out, SPOD_OP_INFO, RESP, rid, 0, (uint32_t)(INFO_FIXED + vlen));
	memset(b, 0, INFO_FIXED);
	spod_put_le16(b + INFO_PROTO, info->proto_version);
	spod_put_le32(b + INFO_ALG_MASK, info->alg_mask);
	spod_put_le32(b + INFO_KEY_COUNT, info->key_count);
	spod_put_le32(b + INFO_KEY_CAPACITY, info->key_capacity);
	spod_put_le32(b + INFO_FLAGS, info->flags);
	spod_put_le32(b + INFO_VER_OFF, INFO_FIXED);
	spod_put_le32(b + INFO_VER_LEN, (uint32_t)vlen);
	if (vlen > 0)
		memcpy(b + INFO_FIXED, info->version, vlen);
	*out_len = SPOD_HDR_BYTES + INFO_FIXED + vlen;
	return SPOD_OK;
}

uint8_t *spod_wire_sig_reserve(uint8_t *out, size_t cap)
{
	if (cap < SPOD_HDR_BYTES + SIGN_RESP_BODY_MAX)
		return NULL;
	return out + SPOD_HDR_BYTES + SIG_FIXED;
}

void spod_wire_sig_commit(uint8_t *out, size_t *out_len, uint64_t rid, uint8_t alg, uint8_t recid,
                          uint32_t sig_len)
{
	uint8_t *b = out + SPOD_HDR_BYTES;

	spod_wire_put_hdr(out, SPOD_OP_SIGN, RESP, rid, 0, SIG_FIXED + sig_len);
	memset(b, 0, SIG_FIXED);
	b[SIG_ALG] = alg;
	b[SIG_RECID] = recid;
	spod_put_le32(b + SIG_OFF, SIG_FIXED);
	spod_put_le32(b + SIG_LEN, sig_len);
	*out_len = SPOD_HDR_BYTES + SIG_FIXED + sig_len;
}

uint8_t *spod_wire_doc_reserve(uint8_t *out, size_t cap)
{
	if (cap < SPOD_HDR_BYTES + DOC_FIXED + SPOD_DOC_MAX_BYTES)
		return NULL;
	return out + SPOD_HDR_BYTES + DOC_FIXED;
}

void spod_wire_doc_commit(uint8_t *out, size_t *out_len, uint64_t rid, uint32_t doc_len)
{
	uint8_t *b = out + SPOD_HDR_BYTES;

	spod_wire_put_hdr(out, SPOD_OP_ATTEST, RESP, rid, 0, DOC_FIXED + doc_len);
	memset(b, 0, DOC_FIXED);
	spod_put_le32(b + DOC_OFF, DOC_FIXED);
	spod_put_le32(b + DOC_LEN, doc_len);
	*out_len = SPOD_HDR_BYTES + DOC_FIXED + doc_len;
}

int spod_wire_batch_resp_begin(struct spod_batch_resp_enc *e, uint8_t *out, size_t cap,
                               uint32_t count)
{
	memset(e, 0, sizeof(*e));
	if (count == 0 || count > SPOD_BATCH_MAX_ITEMS)
		return SPOD_E_BAD_ARG;
	SPOD_TRY(wire_room(cap, BATCH_RESP_BODY_MAX(count)));
	e->out = out;
	e->cap = cap;
	e->count = count;
	return SPOD_OK;
}

static uint8_t *bresp_item(const struct spod_batch_resp_enc *e, uint32_t i)
{
	return e->out + SPOD_HDR_BYTES + BRESP_ITEMS + (size_t)i * BRESP_ITEM_BYTES;
}

static size_t bresp_sig_off(uint32_t count, uint32_t i)
{
	return BRESP_ITEMS + (size_t)count * BRESP_ITEM_BYTES + (size_t)i * SPOD_SIG_MAX_BYTES;
}

uint8_t *spod_wire_batch_resp_slot(struct spod_batch_resp_enc *e)
{
	return e->out + SPOD_HDR_BYTES + bresp_sig_off(e->count, e->filled);
}

void spod_wire_batch_resp_fill(struct spod_batch_resp_enc *e, int status, uint8_t alg,
                               uint8_t recid, uint32_t sig_len)
{
	uint8_t *item = bresp_item(e, e->filled);

	memset(item, 0, BRESP_ITEM_BYTES);
	spod_put_le16(item + BRESP_STATUS, spod_err_to_status(status));
	item[BRESP_ALG] = alg;
	item[BRESP_RECID] = recid;
	spod_put_le32(item + BRESP_SIG_OFF, (uint32_t)bresp_sig_off(e->count, e->filled));
	spod_put_le32(item + BRESP_SIG_LEN, status == SPOD_OK ? sig_len : 0);
	if (status != SPOD_OK)
		memset(spod_wire_batch_resp_slot(e), 0, SPOD_SIG_MAX_BYTES);
	e->filled++;
}

void spod_wire_batch_resp_finish(struct spod_batch_resp_enc *e, size_t *out_len, uint64_t rid)
{
	size_t body_len = BATCH_RESP_BODY_MAX(e->count);
	uint8_t *b = e->out + SPOD_HDR_BYTES;

	spod_wire_put_hdr(e->out, SPOD_OP_SIGN_BATCH, RESP, rid, 0, (uint32_t)body_len);
	spod_put_le32(b + BRESP_COUNT, e->count);
	spod_put_le32(b + BRESP_RESERVED, 0);
	*out_len = SPOD_HDR_BYTES + body_len;
}

/* Entries sit at LIST_ENTRIES; public keys follow at fixed SPOD_PUB_MAX_BYTES slots. */
static size_t list_pub_off(uint32_t max, uint32_t i)
{
	return LIST_ENTRIES + (size_t)max * LIST_ENTRY_BYTES + (size_t)i * SPOD_PUB_MAX_BYTES;
}

int spod_wire_list_begin(struct spod_list_enc *e, uint8_t *out, size_t cap, uint32_t max)
{
	memset(e, 0, sizeof(*e));
	if (max == 0 || max > SPOD_LIST_MAX_ITEMS)
		return SPOD_E_BAD_ARG;
	SPOD_TRY(wire_room(cap, LIST_PAGE_BODY_MAX(max)));
	e->out = out;
	e->cap = cap;
	e->max = max;
	/* Labels follow the last key slot, packed. */
	e->label_end = (uint32_t)list_pub_off(max, max);
	return SPOD_OK;
}

int spod_wire_list_add(struct spod_list_enc *e, const uint8_t key_id[SPOD_KEY_ID_BYTES],
                       uint8_t alg, const uint8_t *pub, size_t pub_len, const char *label,
                       size_t label_len)
{
	uint8_t *b = e->out + SPOD_HDR_BYTES;
	size_t pub_off;

	if (e->count >= e->max)
		return SPOD_E_TOO_LARGE;
	SPOD_TRY(key_parts_ok(pub_len, label, label_len));
	pub_off = list_pub_off(e->max, e->count);
	put_key_fixed(b + LIST_ENTRIES + (size_t)e->count * LIST_ENTRY_BYTES, key_id, alg,
	              (uint32_t)pub_off, (uint32_t)pub_len, e->label_end, (uint32_t)label_len);
	memcpy(b + pub_off, pub, pub_len);
	if (label_len > 0)
		memcpy(b + e->label_end, label, label_len);
	e->label_end += (uint32_t)label_len;
	e->count++;
	return SPOD_OK;
}

void spod_wire_list_finish(struct spod_list_enc *e, size_t *out_len, uint64_t rid,
                           uint32_t next_cursor, uint32_t total)
{
	uint8_t *b = e->out + SPOD_HDR_BYTES;
	size_t body_len = e->label_end;

	spod_wire_put_hdr(e->out, SPOD_OP_KEY_LIST, RESP, rid, 0, (uint32_t)body_len);
	spod_put_le32(b + LIST_COUNT, e->count);
	spod_put_le32(b + LIST_NEXT, next_cursor);
	spod_put_le32(b + LIST_TOTAL, total);
	spod_put_le32(b + LIST_RESERVED, 0);
	/* Unused entry and key slots are zeroed so no stale buffer bytes leave the enclave. */
	memset(b + LIST_ENTRIES + (size_t)e->count * LIST_ENTRY_BYTES, 0,
	       (size_t)(e->max - e->count) * LIST_ENTRY_BYTES);
	for (uint32_t i = e->count; i < e->max; i++)
		memset(b + list_pub_off(e->max, i), 0, SPOD_PUB_MAX_BYTES);
	for (uint32_t i = 0; i < e->count; i++) {
		const uint8_t *ent = b + LIST_ENTRIES + (size_t)i * LIST_ENTRY_BYTES;
		uint32_t len = spod_le32(ent + KEY_PUB_LEN);
		memset(b + list_pub_off(e->max, i) + len, 0, SPOD_PUB_MAX_BYTES - len);
	}
	*out_len = SPOD_HDR_BYTES + body_len;
}

/* ---- decoders ---- */

int spod_wire_error(int *err, const char **msg, uint32_t *msg_len, const struct spod_frame *f)
{
	*err = SPOD_OK;
	*msg = NULL;
	*msg_len = 0;
	if (f->hdr.status == 0)
		return SPOD_E_BAD_FIELD;
	*err = spod_err_from_status(f->hdr.status);
	*msg = (const char *)f->body;
	*msg_len = f->body_len > SPOD_ERRMSG_MAX_BYTES ? SPOD_ERRMSG_MAX_BYTES : f->body_len;
	return SPOD_OK;
}

static int decode_sig(struct spod_sig_view *v, const uint8_t *body, uint32_t body_len,
                      uint32_t fixed, uint8_t alg, uint8_t recid, uint32_t off, uint32_t len)
{
	SPOD_TRY(wire_ref(&v->sig, body, body_len, fixed, off, len, SPOD_SIG_MAX_BYTES));
	v->alg = alg;
	v->recid = recid;
	v->sig_len = len;
	return SPOD_OK;
}

int spod_wire_sig_resp(struct spod_sig_view *v, const struct spod_frame *f)
{
	const uint8_t *b = f->body;
	int rc;

	memset(v, 0, sizeof(*v));
	SPOD_TRY(wire_resp_ok(f, SPOD_OP_SIGN));
	if (f->body_len < SIG_FIXED)
		return SPOD_E_BAD_LENGTH;
	rc = decode_sig(v, b, f->body_len, SIG_FIXED, b[SIG_ALG], b[SIG_RECID],
	                spod_le32(b + SIG_OFF), spod_le32(b + SIG_LEN));
	if (rc < 0)
		memset(v, 0, sizeof(*v));
	return rc;
}

/*
 * Validates one key layout at k whose references are relative to body: the public key, and
 * the label (length at KEY_LABEL_LEN, 0..128; offset 0 without one; charset checked).
 */
static int decode_key(struct spod_key_view *v, const uint8_t *body, uint32_t body_len,
                      uint32_t fixed, const uint8_t *k)
{
	const uint8_t *label = NULL;
	uint32_t label_len = k[KEY_LABEL_LEN], label_off = spod_le32(k + KEY_LABEL_OFF);

	if (!spod_all_zero(k + KEY_RESERVED, 2))
		return SPOD_E_BAD_FIELD;
	SPOD_TRY(wire_ref(&v->pub, body, body_len, fixed, spod_le32(k + KEY_PUB_OFF),
	                  spod_le32(k + KEY_PUB_LEN), SPOD_PUB_MAX_BYTES));
	if (label_len == 0 && label_off != 0)
		return SPOD_E_BAD_FIELD;
	if (label_len > 0) {
		SPOD_TRY(wire_ref(&label, body, body_len, fixed, label_off, label_len,
		                  SPOD_LABEL_MAX_BYTES));
		if (!spod_label_valid((const char *)label, label_len))
			return SPOD_E_BAD_FIELD;
	}
	v->key_id = k + KEY_ID;
	v->alg = k[KEY_ALG];
	v->pub_len = spod_le32(k + KEY_PUB_LEN);
	v->label = (const char *)label;
	v->label_len = label_len;
	return SPOD_OK;
}

/* The sealed key a key response may carry (offset 0 without one). */
static int decode_blob(struct spod_key_view *v, const uint8_t *body, uint32_t body_len)
{
	uint32_t off = spod_le32(body + KEY_BLOB_OFF), len = spod_le32(body + KEY_BLOB_LEN);

	if (len == 0)
		return off == 0 ? SPOD_OK : SPOD_E_BAD_FIELD;
	SPOD_TRY(wire_ref(&v->blob, body, body_len, KEY_RESP_FIXED, off, len, SPOD_BLOB_MAX_BYTES));
	v->blob_len = len;
	return SPOD_OK;
}

int spod_wire_key_resp(struct spod_key_view *v, const struct spod_frame *f)
{
	int rc;

	memset(v, 0, sizeof(*v));
	if (f->hdr.opcode != SPOD_OP_KEY_GENERATE && f->hdr.opcode != SPOD_OP_KEY_PUBLIC &&
	    f->hdr.opcode != SPOD_OP_KEY_IMPORT && f->hdr.opcode != SPOD_OP_KEY_LOAD &&
	    f->hdr.opcode != SPOD_OP_POLICY_SET && f->hdr.opcode != SPOD_OP_POLICY_SYNC)
		return SPOD_E_PROTOCOL;
	SPOD_TRY(wire_resp_ok(f, f->hdr.opcode));
	if (f->body_len < KEY_RESP_FIXED)
		return SPOD_E_BAD_LENGTH;
	rc = decode_key(v, f->body, f->body_len, KEY_RESP_FIXED, f->body);
	if (rc == SPOD_OK)
		rc = decode_blob(v, f->body, f->body_len);
	if (rc < 0)
		memset(v, 0, sizeof(*v));
	return rc;
}

int spod_wire_hello_resp(struct spod_hello_view *v, const struct spod_frame *f)
{
	memset(v, 0, sizeof(*v));
	SPOD_TRY(wire_resp_ok(f, SPOD_OP_HELLO));
	if (f->body_len != HELLO_RESP_FIXED)
		return SPOD_E_BAD_LENGTH;
	v->token_id = f->body + HELLO_RESP_TOKEN_ID;
	v->flags = spod_le32(f->body + HELLO_RESP_FLAGS);
	v->ops = spod_le32(f->body + HELLO_RESP_OPS);
	return SPOD_OK;
}

int spod_wire_doc_resp(struct spod_doc_view *v, const struct spod_frame *f)
{
	const uint8_t *b = f->body;

	memset(v, 0, sizeof(*v));
	SPOD_TRY(wire_resp_ok(f, SPOD_OP_ATTEST));
	if (f->body_len < DOC_FIXED)
		return SPOD_E_BAD_LENGTH;
	if (!spod_all_zero(b + DOC_RESERVED, 8))
		return SPOD_E_BAD_FIELD;
	SPOD_TRY(wire_ref(&v->doc, b, f->body_len, DOC_FIXED, spod_le32(b + DOC_OFF),
	                  spod_le32(b + DOC_LEN), SPOD_DOC_MAX_BYTES));
	v->doc_len = spod_le32(b + DOC_LEN);
	return SPOD_OK;
}

int spod_wire_info_resp(struct spod_info_view *v, const struct spod_frame *f)
{
	const uint8_t *b = f->body, *ver;

	memset(v, 0, sizeof(*v));
	SPOD_TRY(wire_resp_ok(f, SPOD_OP_INFO));
	if (f->body_len < INFO_FIXED)
		return SPOD_E_BAD_LENGTH;
	SPOD_TRY(wire_ref(&ver, b, f->body_len, INFO_FIXED, spod_le32(b + INFO_VER_OFF),
	                  spod_le32(b + INFO_VER_LEN), INFO_VERSION_MAX));
	v->proto_version = spod_le16(b + INFO_PROTO);
	v->alg_mask = spod_le32(b + INFO_ALG_MASK);
	v->key_count = spod_le32(b + INFO_KEY_COUNT);
	v->key_capacity = spod_le32(b + INFO_KEY_CAPACITY);
	v->flags = spod_le32(b + INFO_FLAGS);
	v->version = (const char *)ver;
	v->version_len = spod_le32(b + INFO_VER_LEN);
	return SPOD_OK;
}

int spod_wire_list_resp(struct spod_list_view *v, const struct spod_frame *f)
{
	const uint8_t *b = f->body;
	struct spod_key_view k;
	uint32_t count, fixed;

	memset(v, 0, sizeof(*v));
	SPOD_TRY(wire_resp_ok(f, SPOD_OP_KEY_LIST));
	if (f->body_len < LIST_ENTRIES)
		return SPOD_E_BAD_LENGTH;
	count = spod_le32(b + LIST_COUNT);
	if (count > SPOD_LIST_MAX_ITEMS)
		return SPOD_E_BAD_FIELD;
	fixed = LIST_ENTRIES + count * LIST_ENTRY_BYTES;
	if (fixed > f->body_len)
		return SPOD_E_BAD_LENGTH;
	for (uint32_t i = 0; i < count; i++)
		SPOD_TRY(
		    decode_key(&k, b, f->body_len, fixed, b + LIST_ENTRIES + i * LIST_ENTRY_BYTES));
	v->count = count;
	v->next_cursor = spod_le32(b + LIST_NEXT);
	v->total = spod_le32(b + LIST_TOTAL);
	v->body = b;
	v->body_len = f->body_len;
	return SPOD_OK;
}

void spod_wire_list_item(struct spod_key_view *out, const struct spod_list_view *v, uint32_t i)
{
	const uint8_t *k = v->body + LIST_ENTRIES + (size_t)i * LIST_ENTRY_BYTES;

	out->key_id = k + KEY_ID;
	out->alg = k[KEY_ALG];
	out->pub = v->body + spod_le32(k + KEY_PUB_OFF);
	out->pub_len = spod_le32(k + KEY_PUB_LEN);
	out->label_len = k[KEY_LABEL_LEN];
	out->label =
	    out->label_len > 0 ? (const char *)v->body + spod_le32(k + KEY_LABEL_OFF) : NULL;
}

int spod_wire_batch_resp(struct spod_batch_resp_view *v, const struct spod_frame *f)
{
	const uint8_t *b = f->body;
	struct spod_sig_view s;
	uint32_t count, fixed;

	memset(v, 0, sizeof(*v));
	SPOD_TRY(wire_resp_ok(f, SPOD_OP_SIGN_BATCH));
	if (f->body_len < BRESP_ITEMS)
		return SPOD_E_BAD_LENGTH;
	count = spod_le32(b + BRESP_COUNT);
	if (count == 0 || count > SPOD_BATCH_MAX_ITEMS)
		return SPOD_E_BAD_FIELD;
	fixed = BRESP_ITEMS + count * BRESP_ITEM_BYTES;
	if (fixed > f->body_len)
		return SPOD_E_BAD_LENGTH;
	for (uint32_t i = 0; i < count; i++) {
		const uint8_t *it = b + BRESP_ITEMS + i * BRESP_ITEM_BYTES;
		SPOD_TRY(decode_sig(&s, b, f->body_len, fixed, it[BRESP_ALG], it[BRESP_RECID],
		                    spod_le32(it + BRESP_SIG_OFF), spod_le32(it + BRESP_SIG_LEN)));
	}
	v->count = count;
	v->body = b;
	v->body_len = f->body_len;
	return SPOD_OK;
}

void spod_wire_batch_resp_item(struct spod_sig_view *out, const struct spod_batch_resp_view *v,
                               uint32_t i)
{
	const uint8_t *it = v->body + BRESP_ITEMS + (size_t)i * BRESP_ITEM_BYTES;

	out->status = spod_err_from_status(spod_le16(it + BRESP_STATUS));
	if (spod_le16(it + BRESP_STATUS) == 0)
		out->status = SPOD_OK;
	out->alg = it[BRESP_ALG];
	out->recid = it[BRESP_RECID];
	out->sig = v->body + spod_le32(it + BRESP_SIG_OFF);
	out->sig_len = spod_le32(it + BRESP_SIG_LEN);
}
