/* Request validators (enclave side) and request encoders (client side). */
#include <string.h>

#include "wire/layout.h"

int spod_wire_empty_req(const struct spod_frame *f)
{
	return f->body_len == 0 ? SPOD_OK : SPOD_E_BAD_LENGTH;
}

int spod_wire_generate_req(struct spod_generate_req *v, const struct spod_frame *f)
{
	uint32_t label_len;

	memset(v, 0, sizeof(*v));
	if (f->body_len < GEN_FIXED)
		return SPOD_E_BAD_LENGTH;
	label_len = spod_le32(f->body + GEN_LABEL_LEN);
	if (label_len != f->body_len - GEN_FIXED)
		return SPOD_E_BAD_LENGTH;
	if (!spod_all_zero(f->body + GEN_RESERVED, 3))
		return SPOD_E_BAD_FIELD;
	if (!spod_alg_valid(f->body[GEN_ALG]))
		return SPOD_E_UNKNOWN_ALG;
	if (label_len > 0 && !spod_label_valid((const char *)f->body + GEN_FIXED, label_len))
		return SPOD_E_BAD_FIELD;
	v->alg = f->body[GEN_ALG];
	if (label_len > 0) {
		v->label = (const char *)f->body + GEN_FIXED;
		v->label_len = label_len;
	}
	return SPOD_OK;
}

int spod_wire_hello_req(struct spod_hello_req *v, const struct spod_frame *f)
{
	uint32_t token_len;

	memset(v, 0, sizeof(*v));
	if (f->body_len < HELLO_FIXED)
		return SPOD_E_BAD_LENGTH;
	token_len = spod_le32(f->body + HELLO_TOKEN_LEN);
	if (token_len != f->body_len - HELLO_FIXED)
		return SPOD_E_BAD_LENGTH;
	if (token_len == 0 || token_len > SPOD_TOKEN_MAX_BYTES)
		return SPOD_E_BAD_FIELD;
	if (!spod_all_zero(f->body + HELLO_RESERVED, 4))
		return SPOD_E_BAD_FIELD;
	v->token = (const char *)f->body + HELLO_FIXED;
	v->token_len = token_len;
	return SPOD_OK;
}

int spod_wire_key_req(struct spod_key_req *v, const struct spod_frame *f)
{
	memset(v, 0, sizeof(*v));
	if (f->body_len != KEYREQ_FIXED)
		return SPOD_E_BAD_LENGTH;
	v->key_id = f->body + KEYREQ_ID;
	return SPOD_OK;
}

int spod_wire_list_req(struct spod_list_req *v, const struct spod_frame *f)
{
	uint32_t max;

	memset(v, 0, sizeof(*v));
	if (f->body_len != LISTREQ_FIXED)
		return SPOD_E_BAD_LENGTH;
	max = spod_le32(f->body + LISTREQ_MAX);
	if (max == 0 || max > SPOD_LIST_MAX_ITEMS)
		return SPOD_E_BAD_FIELD;
	v->cursor = spod_le32(f->body + LISTREQ_CURSOR);
	v->max = max;
	return SPOD_OK;
}

int spod_wire_attest_req(struct spod_attest_req *v, const struct spod_frame *f)
{
	const uint8_t *b = f->body;
	uint8_t flags;
	int rc;

	memset(v, 0, sizeof(*v));
	if (f->body_len < ATT_FIXED)
		return SPOD_E_BAD_LENGTH;
	flags = b[ATT_FLAGS];
	if ((flags & ~ATT_FLAG_BIND_KEY) != 0 || !spod_all_zero(b + ATT_RESERVED1, 3) ||
	    !spod_all_zero(b + ATT_RESERVED2, 4))
		return SPOD_E_BAD_FIELD;
	if (!(flags & ATT_FLAG_BIND_KEY) && !spod_all_zero(b + ATT_KEY_ID, SPOD_KEY_ID_BYTES))
		return SPOD_E_BAD_FIELD;
	rc = wire_ref(&v->nonce, b, f->body_len, ATT_FIXED, spod_le32(b + ATT_NONCE_OFF),
	              spod_le32(b + ATT_NONCE_LEN), SPOD_NONCE_MAX_BYTES);
	if (rc < 0) {
		memset(v, 0, sizeof(*v));
		return rc;
	}
	v->nonce_len = spod_le32(b + ATT_NONCE_LEN);
	v->key_id = (flags & ATT_FLAG_BIND_KEY) ? b + ATT_KEY_ID : NULL;
	return SPOD_OK;
}

/* Validates one fixed sign layout at item (inside body) whose refs are relative to body. */
static int sign_item(struct spod_sign_req *v, const uint8_t *body, uint32_t body_len,
                     uint32_t fixed, const uint8_t *item)
{
	uint8_t mode = item[SIGN_MODE];
	uint32_t off = spod_le32(item + SIGN_DATA_OFF);
	uint32_t len = spod_le32(item + SIGN_DATA_LEN);
	const uint8_t *data;

	if (!spod_all_zero(item + SIGN_RESERVED1, 3) || !spod_all_zero(item + SIGN_RESERVED2, 4))
		return SPOD_E_BAD_FIELD;
	if (mode > SPOD_MODE_KECCAK256)
		return SPOD_E_BAD_MODE;
	SPOD_TRY(wire_ref(&data, body, body_len, fixed, off, len, SPOD_MSG_MAX_BYTES));
	if (mode == SPOD_MODE_DIGEST && len != SPOD_DIGEST_BYTES)
		return SPOD_E_BAD_DIGEST;
	v->key_id = item + SIGN_KEY_ID;
	v->mode = mode;
	v->data = data;
	v->data_len = len;
	return SPOD_OK;
}

int spod_wire_sign_req(struct spod_sign_req *v, const struct spod_frame *f)
{
	int rc;

	memset(v, 0, sizeof(*v));
	if (f->body_len < SIGN_FIXED)
		return SPOD_E_BAD_LENGTH;
	rc = sign_item(v, f->body, f->body_len, SIGN_FIXED, f->body);
	if (rc < 0)
		memset(v, 0, sizeof(*v));
	return rc;
}

int spod_wire_batch_req(struct spod_batch_req *v, const struct spod_frame *f)
{
	struct spod_sign_req item;
	uint32_t count, fixed;

	memset(v, 0, sizeof(*v));
	if (f->body_len < BATCH_ITEMS)
		return SPOD_E_BAD_LENGTH;
	count = spod_le32(f->body + BATCH_COUNT);
	if (!spod_all_zero(f->body + BATCH_RESERVED, 4))
		return SPOD_E_BAD_FIELD;
	if (count == 0 || count > SPOD_BATCH_MAX_ITEMS)
		return SPOD_E_BAD_FIELD;
	/* count <= 256, so this cannot overflow */
	fixed = BATCH_ITEMS + count * BATCH_ITEM_BYTES;
	if (fixed > f->body_len)
		return SPOD_E_BAD_LENGTH;
	for (uint32_t i = 0; i < count; i++)
		SPOD_TRY(sign_item(&item, f->body, f->body_len, fixed,
		                   f->body + BATCH_ITEMS + i * BATCH_ITEM_BYTES));
	v->count = count;
	v->body = f->body;
	v->body_len = f->body_len;
	return SPOD_OK;
}

void spod_wire_batch_item(struct spod_sign_req *out, const struct spod_batch_req *v, uint32_t i)
{
	const uint8_t *item = v->body + BATCH_ITEMS + i * BATCH_ITEM_BYTES;

	/* Already validated by spod_wire_batch_req: decode without re-checking. */
	out->key_id = item + SIGN_KEY_ID;
	out->mode = item[SIGN_MODE];
	out->data = v->body + spod_le32(item + SIGN_DATA_OFF);
	out->data_len = spod_le32(item + SIGN_DATA_LEN);
}

/* Reserves header + body_len bytes in out and writes a request header. */
static int req_begin(uint8_t *out, size_t cap, size_t body_len, uint8_t opcode, uint64_t rid)
{
	SPOD_TRY(wire_room(cap, body_len));
	spod_wire_put_hdr(out, opcode, 0, rid, 0, (uint32_t)body_len);
	return SPOD_OK;
}

int spod_wire_enc_empty(uint8_t *out, size_t cap, size_t *out_len, uint8_t opcode, uint64_t rid)
{
	*out_len = 0;
	SPOD_TRY(req_begin(out, cap, 0, opcode, rid));
	*out_len = SPOD_HDR_BYTES;
	return SPOD_OK;
}

int spod_wire_enc_echo(uint8_t *out, size_t cap, size_t *out_len, uint64_t rid, const uint8_t *data,
                       size_t data_len)
{
	*out_len = 0;
	SPOD_TRY(req_begin(out, cap, data_len, SPOD_OP_ECHO, rid));
	if (data_len > 0)
		memcpy(out + SPOD_HDR_BYTES, data, data_len);
	*out_len = SPOD_HDR_BYTES + data_len;
	return SPOD_OK;
}

int spod_wire_enc_generate(uint8_t *out, size_t cap, size_t *out_len, uint64_t rid, uint8_t alg)
{
	return spod_wire_enc_generate_label(out, cap, out_len, rid, alg, NULL, 0);
}

int spod_wire_enc_generate_label(uint8_t *out, size_t cap, size_t *out_len, uint64_t rid,
                                 uint8_t alg, const char *label, size_t label_len)
{
	uint8_t *b = out + SPOD_HDR_BYTES;

	*out_len = 0;
	if (label == NULL)
		label_len = 0;
	if (label_len > 0 && !spod_label_valid(label, label_len))
		return SPOD_E_BAD_ARG;
	SPOD_TRY(req_begin(out, cap, GEN_FIXED + label_len, SPOD_OP_KEY_GENERATE, rid));
	memset(b, 0, GEN_FIXED);
	b[GEN_ALG] = alg;
	spod_put_le32(b + GEN_LABEL_LEN, (uint32_t)label_len);
	if (label_len > 0)
		memcpy(b + GEN_FIXED, label, label_len);
	*out_len = SPOD_HDR_BYTES + GEN_FIXED + label_len;
	return SPOD_OK;
}

int spod_wire_enc_hello(uint8_t *out, size_t cap, size_t *out_len, uint64_t rid, const char *token,
                        size_t token_len)
{
	uint8_t *b = out + SPOD_HDR_BYTES;

	*out_len = 0;
	if (token_len == 0 || token_len > SPOD_TOKEN_MAX_BYTES)
		return SPOD_E_BAD_ARG;
	SPOD_TRY(req_begin(out, cap, HELLO_FIXED + token_len, SPOD_OP_HELLO, rid));
	memset(b, 0, HELLO_FIXED);
	spod_put_le32(b + HELLO_TOKEN_LEN, (uint32_t)token_len);
	memcpy(b + HELLO_FIXED, token, token_len);
	*out_len = SPOD_HDR_BYTES + HELLO_FIXED + token_len;
	return SPOD_OK;
}

int spod_wire_enc_key(uint8_t *out, size_t cap, size_t *out_len, uint8_t opcode, uint64_t rid,
                      const uint8_t key_id[SPOD_KEY_ID_BYTES])
{
	*out_len = 0;
	SPOD_TRY(req_begin(out, cap, KEYREQ_FIXED, opcode, rid));
	memcpy(out + SPOD_HDR_BYTES + KEYREQ_ID, key_id, SPOD_KEY_ID_BYTES);
	*out_len = SPOD_HDR_BYTES + KEYREQ_FIXED;
	return SPOD_OK;
}

int spod_wire_enc_list(uint8_t *out, size_t cap, size_t *out_len, uint64_t rid, uint32_t cursor,
                       uint32_t max)
{
	uint8_t *b = out + SPOD_HDR_BYTES;

	*out_len = 0;
	SPOD_TRY(req_begin(out, cap, LISTREQ_FIXED, SPOD_OP_KEY_LIST, rid));
	spod_put_le32(b + LISTREQ_CURSOR, cursor);
	spod_put_le32(b + LISTREQ_MAX, max);
	*out_len = SPOD_HDR_BYTES + LISTREQ_FIXED;
	return SPOD_OK;
}

static void put_sign_item(uint8_t *item, const uint8_t key_id[SPOD_KEY_ID_BYTES], uint8_t mode,
                          uint32_t data_off, uint32_t data_len)
{
	memset(item, 0, SIGN_FIXED);
	memcpy(item + SIGN_KEY_ID, key_id, SPOD_KEY_ID_BYTES);
	item[SIGN_MODE] = mode;
	spod_put_le32(item + SIGN_DATA_OFF, data_off);
	spod_put_le32(item + SIGN_DATA_LEN, data_len);
}

int spod_wire_enc_sign(uint8_t *out, size_t cap, size_t *out_len, uint64_t rid,
                       const uint8_t key_id[SPOD_KEY_ID_BYTES], uint8_t mode, const uint8_t *data,
                       size_t data_len)
{
	uint8_t *b = out + SPOD_HDR_BYTES;

	*out_len = 0;
	if (data_len > SPOD_MSG_MAX_BYTES)
		return SPOD_E_TOO_LARGE;
	SPOD_TRY(req_begin(out, cap, SIGN_FIXED + data_len, SPOD_OP_SIGN, rid));
	put_sign_item(b, key_id, mode, SIGN_FIXED, (uint32_t)data_len);
	if (data_len > 0)
		memcpy(b + SIGN_FIXED, data, data_len);
	*out_len = SPOD_HDR_BYTES + SIGN_FIXED + data_len;
	return SPOD_OK;
}

int spod_wire_enc_attest(uint8_t *out, size_t cap, size_t *out_len, uint64_t rid,
                         const uint8_t *key_id, const uint8_t *nonce, size_t nonce_len)
{
	uint8_t *b = out + SPOD_HDR_BYTES;

	*out_len = 0;
	if (nonce_len > SPOD_NONCE_MAX_BYTES)
		return SPOD_E_TOO_LARGE;
	SPOD_TRY(req_begin(out, cap, ATT_FIXED + nonce_len, SPOD_OP_ATTEST, rid));
	memset(b, 0, ATT_FIXED);
	if (key_id != NULL) {
		memcpy(b + ATT_KEY_ID, key_id, SPOD_KEY_ID_BYTES);
		b[ATT_FLAGS] = ATT_FLAG_BIND_KEY;
	}
	spod_put_le32(b + ATT_NONCE_OFF, ATT_FIXED);
	spod_put_le32(b + ATT_NONCE_LEN, (uint32_t)nonce_len);
	if (nonce_len > 0)
		memcpy(b + ATT_FIXED, nonce, nonce_len);
	*out_len = SPOD_HDR_BYTES + ATT_FIXED + nonce_len;
	return SPOD_OK;
}

int spod_wire_batch_begin(struct spod_batch_enc *e, uint8_t *out, size_t cap, uint64_t rid,
                          uint32_t count)
{
	size_t fixed = BATCH_ITEMS + (size_t)count * BATCH_ITEM_BYTES;

	memset(e, 0, sizeof(*e));
	if (count == 0 || count > SPOD_BATCH_MAX_ITEMS)
		return SPOD_E_BAD_ARG;
	SPOD_TRY(req_begin(out, cap, fixed, SPOD_OP_SIGN_BATCH, rid));
	memset(out + SPOD_HDR_BYTES, 0, BATCH_ITEMS);
	spod_put_le32(out + SPOD_HDR_BYTES + BATCH_COUNT, count);
	e->out = out;
	e->cap = cap;
	e->count = count;
	e->data_off = fixed;
	return SPOD_OK;
}

int spod_wire_batch_add(struct spod_batch_enc *e, const uint8_t key_id[SPOD_KEY_ID_BYTES],
                        uint8_t mode, const uint8_t *data, size_t data_len)
{
	uint8_t *b = e->out + SPOD_HDR_BYTES;

	if (e->added >= e->count)
		return SPOD_E_BAD_ARG;
	if (data_len > SPOD_MSG_MAX_BYTES)
		return SPOD_E_TOO_LARGE;
	if (data_len > SPOD_BODY_MAX_BYTES - e->data_off ||
	    data_len > e->cap - SPOD_HDR_BYTES - e->data_off)
		return SPOD_E_TOO_LARGE;
	put_sign_item(b + BATCH_ITEMS + e->added * BATCH_ITEM_BYTES, key_id, mode,
	              (uint32_t)e->data_off, (uint32_t)data_len);
	if (data_len > 0)
		memcpy(b + e->data_off, data, data_len);
	e->data_off += data_len;
	e->added++;
	return SPOD_OK;
}

int spod_wire_batch_finish(struct spod_batch_enc *e, size_t *out_len)
{
	*out_len = 0;
	if (e->added != e->count)
		return SPOD_E_BAD_ARG;
	spod_put_le32(e->out + HDR_BODY_LEN, (uint32_t)e->data_off);
	*out_len = SPOD_HDR_BYTES + e->data_off;
	return SPOD_OK;
}
