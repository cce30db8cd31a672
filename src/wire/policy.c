/*
 * The policy opcodes (spod/wire_policy.h, docs/protocol.md "Policies"): policy.set,
 * policy.get and policy.admins, their validators, encoders and answers. The policy itself is
 * only located here; the enclave's policy loader validates it.
 */
#include <string.h>

#include "wire/layout.h"

#define RESP SPOD_FLAG_RESPONSE

int spod_wire_policy_set_req(struct spod_policy_set_req *v, const struct spod_frame *f)
{
	const uint8_t *b = f->body;
	uint32_t n, off, len;

	memset(v, 0, sizeof(*v));
	if (f->body_len < PSET_FIXED)
		return SPOD_E_BAD_LENGTH;
	if (!spod_all_zero(b + PSET_RESERVED1, 3) || !spod_all_zero(b + PSET_RESERVED2, 4))
		return SPOD_E_BAD_FIELD;
	n = b[PSET_N_APPROVALS];
	if (n > SPOD_POLICY_ADMINS_MAX)
		return SPOD_E_BAD_FIELD;
	off = spod_le32(b + PSET_POLICY_OFF);
	len = spod_le32(b + PSET_POLICY_LEN);
	if (len > SPOD_POLICY_WIRE_MAX)
		return SPOD_E_TOO_LARGE;
	/* Approvals then the policy, back to back, and nothing else. */
	if (off != PSET_FIXED + n * SPOD_APPROVAL_BYTES || f->body_len < off ||
	    f->body_len - off != len)
		return SPOD_E_BAD_LENGTH;
	v->key_id = b + PSET_KEY_ID;
	v->n_approvals = n;
	v->approvals = n > 0 ? b + PSET_FIXED : NULL;
	v->policy = len > 0 ? b + off : NULL;
	v->policy_len = len;
	return SPOD_OK;
}

int spod_wire_enc_policy_set(uint8_t *out, size_t cap, size_t *out_len, uint64_t rid,
                             const uint8_t key_id[SPOD_KEY_ID_BYTES], const uint8_t *approvals,
                             size_t n_approvals, const uint8_t *policy, size_t policy_len)
{
	uint8_t *b = out + SPOD_HDR_BYTES;
	size_t off = PSET_FIXED + n_approvals * SPOD_APPROVAL_BYTES;

	*out_len = 0;
	if (n_approvals > SPOD_POLICY_ADMINS_MAX || (n_approvals > 0 && approvals == NULL) ||
	    (policy_len > 0 && policy == NULL))
		return SPOD_E_BAD_ARG;
	if (policy_len > SPOD_POLICY_WIRE_MAX)
		return SPOD_E_TOO_LARGE;
	SPOD_TRY(wire_room(cap, off + policy_len));
	spod_wire_put_hdr(out, SPOD_OP_POLICY_SET, 0, rid, 0, (uint32_t)(off + policy_len));
	memset(b, 0, PSET_FIXED);
	memcpy(b + PSET_KEY_ID, key_id, SPOD_KEY_ID_BYTES);
	b[PSET_N_APPROVALS] = (uint8_t)n_approvals;
	spod_put_le32(b + PSET_POLICY_OFF, (uint32_t)off);
	spod_put_le32(b + PSET_POLICY_LEN, (uint32_t)policy_len);
	if (n_approvals > 0)
		memcpy(b + PSET_FIXED, approvals, n_approvals * SPOD_APPROVAL_BYTES);
	if (policy_len > 0)
		memcpy(b + off, policy, policy_len);
	*out_len = SPOD_HDR_BYTES + off + policy_len;
	return SPOD_OK;
}

/* threshold, count and their consistency; the keys follow at keys_at. */
static int admins_read(struct spod_policy_admins *v, const struct spod_frame *f, uint32_t keys_at)
{
	const uint8_t *b = f->body;

	memset(v, 0, sizeof(*v));
	if (f->body_len < keys_at)
		return SPOD_E_BAD_LENGTH;
	if (!spod_all_zero(b + ADM_RESERVED, 6) || b[ADM_COUNT] > SPOD_POLICY_ADMINS_MAX ||
	    (b[ADM_COUNT] == 0 && b[ADM_THRESHOLD] != 0) ||
	    (b[ADM_COUNT] > 0 && (b[ADM_THRESHOLD] == 0 || b[ADM_THRESHOLD] > b[ADM_COUNT])))
		return SPOD_E_BAD_FIELD;
	if (f->body_len != keys_at + (uint32_t)b[ADM_COUNT] * 32u)
		return SPOD_E_BAD_LENGTH;
	v->threshold = b[ADM_THRESHOLD];
	v->count = b[ADM_COUNT];
	v->keys = v->count > 0 ? b + keys_at : NULL;
	return SPOD_OK;
}

int spod_wire_policy_admins_req(struct spod_policy_admins *v, const struct spod_frame *f)
{
	return admins_read(v, f, ADM_KEYS_REQ);
}

/* Writes threshold, count and keys (at keys_at) of a; hash too when keys_at leaves room. */
static int admins_put(uint8_t *out, size_t cap, size_t *out_len, uint16_t flags, uint64_t rid,
                      const struct spod_policy_admins *a, uint32_t keys_at)
{
	uint8_t *b = out + SPOD_HDR_BYTES;
	size_t body_len = keys_at + (size_t)a->count * 32u;

	*out_len = 0;
	if (a->count > SPOD_POLICY_ADMINS_MAX || (a->count > 0 && a->keys == NULL) ||
	    (keys_at == ADM_KEYS_RESP && a->hash == NULL) ||
	    (a->count == 0) != (a->threshold == 0) || a->threshold > a->count)
		return SPOD_E_BAD_ARG;
	SPOD_TRY(wire_room(cap, body_len));
	spod_wire_put_hdr(out, SPOD_OP_POLICY_ADMINS, flags, rid, 0, (uint32_t)body_len);
	memset(b, 0, keys_at);
	b[ADM_THRESHOLD] = a->threshold;
	b[ADM_COUNT] = a->count;
	if (keys_at == ADM_KEYS_RESP)
		memcpy(b + ADM_HASH, a->hash, 32);
	if (a->count > 0)
		memcpy(b + keys_at, a->keys, (size_t)a->count * 32u);
	*out_len = SPOD_HDR_BYTES + body_len;
	return SPOD_OK;
}

int spod_wire_enc_policy_admins(uint8_t *out, size_t cap, size_t *out_len, uint64_t rid,
                                const struct spod_policy_admins *a)
{
	return admins_put(out, cap, out_len, 0, rid, a, ADM_KEYS_REQ);
}

int spod_wire_put_policy_admins(uint8_t *out, size_t cap, size_t *out_len, uint64_t rid,
                                const struct spod_policy_admins *a)
{
	return admins_put(out, cap, out_len, RESP, rid, a, ADM_KEYS_RESP);
}

int spod_wire_policy_admins_resp(struct spod_policy_admins *v, const struct spod_frame *f)
{
	memset(v, 0, sizeof(*v));
	SPOD_TRY(wire_resp_ok(f, SPOD_OP_POLICY_ADMINS));
	SPOD_TRY(admins_read(v, f, ADM_KEYS_RESP));
	v->hash = f->body + ADM_HASH;
	return SPOD_OK;
}

int spod_wire_put_policy(uint8_t *out, size_t cap, size_t *out_len, uint64_t rid,
                         const struct spod_policy_view *v)
{
	uint8_t *b = out + SPOD_HDR_BYTES;
	size_t body_len = POL_FIXED + (v->has_policy ? v->policy_len : 0);

	*out_len = 0;
	if (v->has_policy &&
	    (v->hash == NULL || v->admin_hash == NULL || v->policy == NULL || v->policy_len == 0))
		return SPOD_E_BAD_ARG;
	if (v->has_policy && v->policy_len > SPOD_POLICY_WIRE_MAX)
		return SPOD_E_TOO_LARGE;
	SPOD_TRY(wire_room(cap, body_len));
	spod_wire_put_hdr(out, SPOD_OP_POLICY_GET, RESP, rid, 0, (uint32_t)body_len);
	memset(b, 0, POL_FIXED);
	if (v->has_policy) {
		b[POL_FLAGS] = POL_HAS_POLICY;
		spod_put_le32(b + POL_POLICY_OFF, POL_FIXED);
		spod_put_le32(b + POL_POLICY_LEN, v->policy_len);
		memcpy(b + POL_HASH, v->hash, 32);
		memcpy(b + POL_ADMIN_HASH, v->admin_hash, 32);
		memcpy(b + POL_FIXED, v->policy, v->policy_len);
	}
	*out_len = SPOD_HDR_BYTES + body_len;
	return SPOD_OK;
}

int spod_wire_policy_resp(struct spod_policy_view *v, const struct spod_frame *f)
{
	const uint8_t *b = f->body;
	uint32_t off, len;

	memset(v, 0, sizeof(*v));
	SPOD_TRY(wire_resp_ok(f, SPOD_OP_POLICY_GET));
	if (f->body_len < POL_FIXED)
		return SPOD_E_BAD_LENGTH;
	if ((b[POL_FLAGS] & ~POL_HAS_POLICY) != 0 || !spod_all_zero(b + POL_RESERVED1, 3) ||
	    !spod_all_zero(b + POL_RESERVED2, 4))
		return SPOD_E_BAD_FIELD;
	off = spod_le32(b + POL_POLICY_OFF);
	len = spod_le32(b + POL_POLICY_LEN);
	if (b[POL_FLAGS] == 0) {
		/* No policy: nothing else may be set. */
		if (off != 0 || len != 0 || f->body_len != POL_FIXED ||
		    !spod_all_zero(b + POL_HASH, 64))
			return SPOD_E_BAD_FIELD;
		return SPOD_OK;
	}
	if (off != POL_FIXED || len == 0 || len > SPOD_POLICY_WIRE_MAX ||
	    f->body_len != POL_FIXED + len)
		return SPOD_E_BAD_LENGTH;
	v->has_policy = 1;
	v->hash = b + POL_HASH;
	v->admin_hash = b + POL_ADMIN_HASH;
	v->policy = b + POL_FIXED;
	v->policy_len = len;
	return SPOD_OK;
}
