/*
 * libspod's policy calls (docs/policy.md, docs/protocol.md "Policies"): policy.set attaches,
 * replaces or removes a key's policy with its admins' approvals; policy.get reads it back.
 */
#include <string.h>

#include "client/client_int.h"

/* policy.set's fixed part before the approvals (docs/protocol.md). */
#define POLICY_SET_FIXED 32u

/*
 * The answer to policy.set is a key answer under the policy.set opcode. A wire layer that
 * reads key answers only under the key opcodes is given a copy of the header relabelled as
 * key.import's (the body's layout is the same); the frame itself is not touched.
 */
static int policy_set_resp(struct spod_key_view *v, const struct spod_frame *f)
{
	struct spod_frame g = *f;
	int rc = spod_wire_key_resp(v, f);

	if (rc != SPOD_E_PROTOCOL || f->hdr.opcode != SPOD_OP_POLICY_SET)
		return rc;
	g.hdr.opcode = SPOD_OP_KEY_IMPORT;
	return spod_wire_key_resp(v, &g);
}

int spod_client_policy_set(struct spod_client *c, const uint8_t key_id[SPOD_KEY_ID_BYTES],
                           const uint8_t *policy, size_t policy_len, const uint8_t *approvals,
                           size_t n_approvals)
{
	struct spod_key_view v;
	struct spod_frame f;
	size_t need, len;
	uint64_t rid;
	uint8_t *buf;

	if (n_approvals > SPOD_POLICY_ADMINS_MAX || (n_approvals > 0 && approvals == NULL) ||
	    (policy_len > 0 && policy == NULL))
		return SPOD_E_BAD_ARG;
	if (policy_len > SPOD_POLICY_WIRE_MAX)
		return SPOD_E_TOO_LARGE;
	need = SPOD_HDR_BYTES + POLICY_SET_FIXED + n_approvals * SPOD_APPROVAL_BYTES + policy_len;
	SYNC_BEGIN(c, need, rid, buf);
	SPOD_TRY(spod_wire_enc_policy_set(buf, need, &len, rid, key_id, approvals, n_approvals,
	                                  policy, policy_len));
	spod_conn_tx_commit(&c->c, len);
	SPOD_TRY(client_roundtrip(c, &f, rid));
	if (f.hdr.opcode != SPOD_OP_POLICY_SET)
		return SPOD_E_PROTOCOL;
	SPOD_TRY(policy_set_resp(&v, &f));
	if (memcmp(v.key_id, key_id, SPOD_KEY_ID_BYTES) != 0)
		return SPOD_E_PROTOCOL;
	return SPOD_OK;
}

int spod_client_policy_get(struct spod_client *c, struct spod_policy_info *out, uint8_t *policy,
                           size_t cap, const uint8_t key_id[SPOD_KEY_ID_BYTES])
{
	struct spod_policy_view v;
	struct spod_frame f;
	uint64_t rid;
	uint8_t *buf;
	size_t len;

	memset(out, 0, sizeof(*out));
	SYNC_BEGIN(c, SPOD_HDR_BYTES + SPOD_KEY_ID_BYTES, rid, buf);
	SPOD_TRY(spod_wire_enc_key(buf, SPOD_HDR_BYTES + SPOD_KEY_ID_BYTES, &len,
	                           SPOD_OP_POLICY_GET, rid, key_id));
	spod_conn_tx_commit(&c->c, len);
	SPOD_TRY(client_roundtrip(c, &f, rid));
	SPOD_TRY(spod_wire_policy_resp(&v, &f));
	if (!v.has_policy)
		return SPOD_OK;
	out->has_policy = 1;
	out->policy_len = v.policy_len;
	memcpy(out->hash, v.hash, sizeof(out->hash));
	memcpy(out->admin_hash, v.admin_hash, sizeof(out->admin_hash));
	if (v.policy_len > cap || policy == NULL)
		return SPOD_E_TOO_LARGE;
	memcpy(policy, v.policy, v.policy_len);
	return SPOD_OK;
}
