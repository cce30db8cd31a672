/*
 * The sealed-key and custodian opcodes (docs/protocol.md): key.load, key.import,
 * custodian.share (one opaque item each, validated by the enclave's crypto layer),
 * seal.setup, and the seal status answer.
 */
#include <string.h>

#include "wire/layout.h"

int spod_wire_item_req(struct spod_item_req *v, const struct spod_frame *f)
{
	uint32_t max =
	    f->hdr.opcode == SPOD_OP_KEY_LOAD ? SPOD_BLOB_MAX_BYTES : SPOD_ENVELOPE_MAX_WIRE_BYTES;

	memset(v, 0, sizeof(*v));
	if (f->body_len == 0 || f->body_len > max)
		return SPOD_E_BAD_LENGTH;
	v->data = f->body;
	v->len = f->body_len;
	return SPOD_OK;
}

int spod_wire_seal_setup_req(uint8_t *mode, const uint8_t **seal_key_id, const struct spod_frame *f)
{
	const uint8_t *id = f->body + SETUP_KEY_ID;

	*mode = 0;
	*seal_key_id = NULL;
	if (f->body_len != SETUP_FIXED)
		return SPOD_E_BAD_LENGTH;
	if (!spod_all_zero(f->body + SETUP_RESERVED, SETUP_KEY_ID - SETUP_RESERVED))
		return SPOD_E_BAD_FIELD;
	if (f->body[SETUP_MODE] != SPOD_SEAL_EPHEMERAL &&
	    f->body[SETUP_MODE] != SPOD_SEAL_CUSTODIANS)
		return SPOD_E_BAD_FIELD;
	if (f->body[SETUP_MODE] == SPOD_SEAL_EPHEMERAL && !spod_all_zero(id, 16))
		return SPOD_E_BAD_FIELD;
	*mode = f->body[SETUP_MODE];
	*seal_key_id = spod_all_zero(id, 16) ? NULL : id;
	return SPOD_OK;
}

int spod_wire_enc_item(uint8_t *out, size_t cap, size_t *out_len, uint8_t opcode, uint64_t rid,
                       const uint8_t *item, size_t len)
{
	*out_len = 0;
	if (len == 0)
		return SPOD_E_BAD_ARG;
	SPOD_TRY(wire_room(cap, len)); /* each opcode's own cap is the receiver's to check */
	spod_wire_put_hdr(out, opcode, 0, rid, 0, (uint32_t)len);
	memcpy(out + SPOD_HDR_BYTES, item, len);
	*out_len = SPOD_HDR_BYTES + len;
	return SPOD_OK;
}

int spod_wire_enc_seal_setup(uint8_t *out, size_t cap, size_t *out_len, uint64_t rid, uint8_t mode,
                             const uint8_t *seal_key_id)
{
	*out_len = 0;
	if (seal_key_id != NULL && mode != SPOD_SEAL_CUSTODIANS)
		return SPOD_E_BAD_ARG;
	SPOD_TRY(wire_room(cap, SETUP_FIXED));
	spod_wire_put_hdr(out, SPOD_OP_SEAL_SETUP, 0, rid, 0, SETUP_FIXED);
	memset(out + SPOD_HDR_BYTES, 0, SETUP_FIXED);
	out[SPOD_HDR_BYTES + SETUP_MODE] = mode;
	if (seal_key_id != NULL)
		memcpy(out + SPOD_HDR_BYTES + SETUP_KEY_ID, seal_key_id, 16);
	*out_len = SPOD_HDR_BYTES + SETUP_FIXED;
	return SPOD_OK;
}

int spod_wire_put_seal(uint8_t *out, size_t cap, size_t *out_len, uint8_t opcode, uint64_t rid,
                       const struct spod_seal_view *s)
{
	uint8_t *b = out + SPOD_HDR_BYTES;

	*out_len = 0;
	SPOD_TRY(wire_room(cap, SEAL_FIXED));
	spod_wire_put_hdr(out, opcode, SPOD_FLAG_RESPONSE, rid, 0, SEAL_FIXED);
	memset(b, 0, SEAL_FIXED);
	b[SEAL_MODE] = s->mode;
	b[SEAL_READY] = s->ready ? 1 : 0;
	b[SEAL_THRESHOLD] = s->threshold;
	b[SEAL_SHARES] = s->shares;
	b[SEAL_PRESENT] = s->present;
	if (s->seal_key_id != NULL)
		memcpy(b + SEAL_KEY_ID, s->seal_key_id, 16);
	spod_put_le32(b + SEAL_KEYS, s->key_count);
	*out_len = SPOD_HDR_BYTES + SEAL_FIXED;
	return SPOD_OK;
}

int spod_wire_seal_resp(struct spod_seal_view *v, const struct spod_frame *f)
{
	const uint8_t *b = f->body;

	memset(v, 0, sizeof(*v));
	if (f->hdr.opcode != SPOD_OP_SEAL_STATUS && f->hdr.opcode != SPOD_OP_SEAL_SETUP &&
	    f->hdr.opcode != SPOD_OP_CUSTODIAN_SHARE)
		return SPOD_E_PROTOCOL;
	SPOD_TRY(wire_resp_ok(f, f->hdr.opcode));
	if (f->body_len != SEAL_FIXED)
		return SPOD_E_BAD_LENGTH;
	if (b[SEAL_MODE] > SPOD_SEAL_CUSTODIANS || b[SEAL_READY] > 1 ||
	    !spod_all_zero(b + SEAL_RESERVED, 3) || !spod_all_zero(b + SEAL_RESERVED2, 4) ||
	    b[SEAL_THRESHOLD] > b[SEAL_SHARES] || b[SEAL_PRESENT] > b[SEAL_SHARES])
		return SPOD_E_BAD_FIELD;
	v->mode = b[SEAL_MODE];
	v->ready = b[SEAL_READY];
	v->threshold = b[SEAL_THRESHOLD];
	v->shares = b[SEAL_SHARES];
	v->present = b[SEAL_PRESENT];
	v->seal_key_id = b + SEAL_KEY_ID;
	v->key_count = spod_le32(b + SEAL_KEYS);
	return SPOD_OK;
}
