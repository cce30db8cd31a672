/*
 * The evidence opcodes (spod/wire_evidence.h, docs/protocol.md "Evidence"): the evidence frame
 * the enclave sends unasked, and audit.head. Records are only located here; what they say is
 * read with src/evidence/evidence.h.
 */
#include <string.h>

#include "wire/layout.h"

#define RESP SPOD_FLAG_RESPONSE

int spod_wire_evidence(struct spod_evidence_view *v, const struct spod_frame *f)
{
	const uint8_t *b = f->body;
	uint32_t count;
	uint64_t first;

	memset(v, 0, sizeof(*v));
	SPOD_TRY(spod_wire_check_hdr(&f->hdr, 1));
	if (f->hdr.opcode != SPOD_OP_EVIDENCE || f->hdr.request_id != 0 || f->hdr.status != 0)
		return SPOD_E_BAD_FIELD;
	if (f->body_len < EV_FIXED)
		return SPOD_E_BAD_LENGTH;
	count = spod_le32(b + EV_COUNT);
	first = spod_le64(b + EV_FIRST);
	if (!spod_all_zero(b + EV_RESERVED, 4) || count == 0 || count > SPOD_EVIDENCE_WIRE_MAX ||
	    first == 0 || first > UINT64_MAX - count)
		return SPOD_E_BAD_FIELD;
	if (f->body_len != EV_FIXED + count * SPOD_EVIDENCE_REC_WIRE_BYTES)
		return SPOD_E_BAD_LENGTH;
	v->pub = b + EV_PUB;
	v->first = first;
	v->count = count;
	v->sig = b + EV_SIG;
	v->records = b + EV_FIXED;
	return SPOD_OK;
}

int spod_wire_put_evidence(uint8_t *out, size_t cap, size_t *out_len, const uint8_t pub[32],
                           uint64_t first, uint32_t count, const uint8_t sig[64],
                           const uint8_t *records)
{
	uint8_t *b = out + SPOD_HDR_BYTES;
	size_t body_len = EV_FIXED + (size_t)count * SPOD_EVIDENCE_REC_WIRE_BYTES;

	*out_len = 0;
	if (count == 0 || count > SPOD_EVIDENCE_WIRE_MAX || first == 0)
		return SPOD_E_BAD_ARG;
	SPOD_TRY(wire_room(cap, body_len));
	spod_wire_put_hdr(out, SPOD_OP_EVIDENCE, RESP, 0, 0, (uint32_t)body_len);
	memcpy(b + EV_PUB, pub, 32);
	spod_put_le64(b + EV_FIRST, first);
	spod_put_le32(b + EV_COUNT, count);
	memset(b + EV_RESERVED, 0, 4);
	memcpy(b + EV_SIG, sig, 64);
	memcpy(b + EV_FIXED, records, (size_t)count * SPOD_EVIDENCE_REC_WIRE_BYTES);
	*out_len = SPOD_HDR_BYTES + body_len;
	return SPOD_OK;
}

/* mode, nonce, seq and hash, laid out alike in request and answer. */
static int head_common(struct spod_audit_head_view *v, const uint8_t *b)
{
	uint8_t n = b[AHQ_NONCE_LEN];

	if ((b[AHQ_MODE] != SPOD_AUDIT_HEAD_SIGN && b[AHQ_MODE] != SPOD_AUDIT_HEAD_QUERY) ||
	    n > SPOD_AUDIT_NONCE_MAX_BYTES || !spod_all_zero(b + AHQ_RESERVED, 6) ||
	    !spod_all_zero(b + AHQ_NONCE + n, SPOD_AUDIT_NONCE_MAX_BYTES - n))
		return SPOD_E_BAD_FIELD;
	v->mode = b[AHQ_MODE];
	v->nonce_len = n;
	v->nonce = n > 0 ? b + AHQ_NONCE : NULL;
	v->seq = spod_le64(b + AHQ_SEQ);
	v->hash = b + AHQ_HASH;
	return SPOD_OK;
}

static void head_put_common(uint8_t *b, uint8_t mode, uint64_t seq, const uint8_t *hash,
                            const uint8_t *nonce, size_t nonce_len)
{
	memset(b, 0, AHQ_FIXED);
	b[AHQ_MODE] = mode;
	b[AHQ_NONCE_LEN] = (uint8_t)nonce_len;
	spod_put_le64(b + AHQ_SEQ, seq);
	if (hash != NULL)
		memcpy(b + AHQ_HASH, hash, 32);
	if (nonce_len > 0)
		memcpy(b + AHQ_NONCE, nonce, nonce_len);
}

int spod_wire_audit_head_req(struct spod_audit_head_view *v, const struct spod_frame *f)
{
	memset(v, 0, sizeof(*v));
	if (f->body_len != AHQ_FIXED)
		return SPOD_E_BAD_LENGTH;
	return head_common(v, f->body);
}

int spod_wire_enc_audit_head(uint8_t *out, size_t cap, size_t *out_len, uint64_t rid, uint8_t mode,
                             uint64_t seq, const uint8_t *hash, const uint8_t *nonce,
                             size_t nonce_len)
{
	*out_len = 0;
	if ((mode != SPOD_AUDIT_HEAD_SIGN && mode != SPOD_AUDIT_HEAD_QUERY) ||
	    nonce_len > SPOD_AUDIT_NONCE_MAX_BYTES || (nonce_len > 0 && nonce == NULL) ||
	    (mode == SPOD_AUDIT_HEAD_SIGN && hash == NULL))
		return SPOD_E_BAD_ARG;
	SPOD_TRY(wire_room(cap, AHQ_FIXED));
	spod_wire_put_hdr(out, SPOD_OP_AUDIT_HEAD, 0, rid, 0, AHQ_FIXED);
	head_put_common(out + SPOD_HDR_BYTES, mode, seq, hash, nonce, nonce_len);
	*out_len = SPOD_HDR_BYTES + AHQ_FIXED;
	return SPOD_OK;
}

int spod_wire_put_audit_head(uint8_t *out, size_t cap, size_t *out_len, uint64_t rid,
                             const struct spod_audit_head_view *v)
{
	uint8_t *b = out + SPOD_HDR_BYTES;

	*out_len = 0;
	if ((v->mode != SPOD_AUDIT_HEAD_SIGN && v->mode != SPOD_AUDIT_HEAD_QUERY) ||
	    v->nonce_len > SPOD_AUDIT_NONCE_MAX_BYTES || (v->nonce_len > 0 && v->nonce == NULL) ||
	    v->hash == NULL || v->pub == NULL || v->sig == NULL)
		return SPOD_E_BAD_ARG;
	SPOD_TRY(wire_room(cap, AHR_FIXED));
	spod_wire_put_hdr(out, SPOD_OP_AUDIT_HEAD, RESP, rid, 0, AHR_FIXED);
	head_put_common(b, v->mode, v->seq, v->hash, v->nonce, v->nonce_len);
	memset(b + AHQ_FIXED, 0, AHR_FIXED - AHQ_FIXED);
	memcpy(b + AHR_PUB, v->pub, 32);
	spod_put_le64(b + AHR_COUNTER, v->counter);
	memcpy(b + AHR_SIG, v->sig, 64);
	*out_len = SPOD_HDR_BYTES + AHR_FIXED;
	return SPOD_OK;
}

int spod_wire_audit_head_resp(struct spod_audit_head_view *v, const struct spod_frame *f)
{
	memset(v, 0, sizeof(*v));
	SPOD_TRY(wire_resp_ok(f, SPOD_OP_AUDIT_HEAD));
	if (f->body_len != AHR_FIXED)
		return SPOD_E_BAD_LENGTH;
	SPOD_TRY(head_common(v, f->body));
	v->pub = f->body + AHR_PUB;
	v->counter = spod_le64(f->body + AHR_COUNTER);
	v->sig = f->body + AHR_SIG;
	return SPOD_OK;
}
