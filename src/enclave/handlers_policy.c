/*
 * Policies in spod-enclave (docs/policy.md): policy.admins registers the policy-admin set of
 * this boot; policy.set attaches, replaces or removes a key's policy once the key's admins
 * approved it, and answers with the key re-sealed to bind it (a version 2 blob, so the policy
 * comes back with the key after a restart); policy.sync re-seals it with its policy's window
 * and rate state, which key.load then restores; policy.get shows it; the gate decides each
 * signature of a key that has one.
 *
 * Who may change a key's policy: the approvals must come from the registered admin set, and
 * once a key's policy was approved by a set, only that same set (same hash) may change it.
 * With no set registered, an ephemeral enclave takes a policy without approvals (development,
 * docs/policy.md); a custodian-sealed one refuses.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/hash.h"
#include "crypto/seal.h"
#include "enclave/handlers_int.h"
#include "policy/approval.h"

_Static_assert(SPOD_SEAL_V2_MAX_BYTES <= SPOD_BLOB_MAX_BYTES, "a version 2 blob fits key.load");
_Static_assert(SPOD_SEAL_POLICY_MAX_BYTES == SPOD_POLICY_MAX_BYTES &&
                   SPOD_POLICY_WIRE_MAX == SPOD_POLICY_MAX_BYTES,
               "one cap on a policy's size");

static const uint8_t no_admins[32];

static int do_admins(struct spod_enclave_state *st, const struct spod_frame *f, uint8_t *out,
                     size_t cap, size_t *len)
{
	struct spod_policy_admins req, ans;
	uint8_t hash[32];

	SPOD_TRY(spod_wire_policy_admins_req(&req, f));
	if (req.count > 0) {
		SPOD_TRY(spod_admins_check(req.threshold, req.count, req.keys, &st->why));
		spod_admins_hash(hash, req.threshold, req.count, req.keys);
		if (st->admins.count == 0) {
			st->admins.threshold = req.threshold;
			st->admins.count = req.count;
			memcpy(st->admins.keys, req.keys, (size_t)req.count * 32);
			memcpy(st->admins.hash, hash, 32);
		} else if (memcmp(hash, st->admins.hash, 32) != 0) {
			st->why = "another policy-admin set is registered in this enclave boot";
			return SPOD_E_MODE_CONFLICT;
		}
	}
	ans = (struct spod_policy_admins){st->admins.threshold, st->admins.count, st->admins.keys,
	                                  st->admins.count > 0 ? st->admins.hash : no_admins};
	return spod_wire_put_policy_admins(out, cap, len, f->hdr.request_id, &ans);
}

/*
 * Checks that req may change k's policy; *admin_hash gets the set the new policy is bound to
 * (all zero: none).
 */
static int authorize(struct spod_enclave_state *st, const struct spod_key_entry *k,
                     const struct spod_policy_set_req *req, const uint8_t policy_hash[32],
                     const uint8_t **admin_hash)
{
	const uint8_t *bound = k->policy != NULL ? k->policy->admin_hash : no_admins;

	*admin_hash = no_admins;
	if (st->admins.count == 0) {
		if (st->seal.mode != SPOD_SEAL_EPHEMERAL) {
			st->why = "no policy-admin set is registered (spod-host's policy_admins)";
			return SPOD_E_NOT_APPROVED;
		}
		if (sodium_is_zero(bound, 32) != 1) {
			st->why =
			    "the key's policy was approved by an admin set not registered now";
			return SPOD_E_NOT_APPROVED;
		}
		return SPOD_OK; /* ephemeral development mode: the admin token decides */
	}
	if (sodium_is_zero(bound, 32) != 1 && memcmp(bound, st->admins.hash, 32) != 0) {
		st->why =
		    "the key's policy was approved by another admin set than the one registered";
		return SPOD_E_NOT_APPROVED;
	}
	SPOD_TRY(spod_approvals_check(
	    st->admins.threshold, st->admins.count, st->admins.keys, k->id, policy_hash,
	    req->approvals != NULL ? req->approvals : no_admins, req->n_approvals, &st->why));
	*admin_hash = st->admins.hash;
	return SPOD_OK;
}

/*
 * Answers f with k re-sealed binding kp (NULL: no policy, a version 1 blob) and, when
 * with_state, kp's current window and rate state. Changes nothing in the keystore.
 */
static int put_resealed(struct spod_enclave_state *st, const struct spod_frame *f, uint8_t *out,
                        size_t cap, size_t *len, const struct spod_key_entry *k,
                        const struct spod_key_policy *kp, const uint8_t *seal_key, int with_state)
{
	struct spod_seal_policy pol = {0};
	uint8_t *blob = malloc(SPOD_SEAL_V2_MAX_BYTES);
	uint8_t *state = with_state ? malloc(SPOD_POLICY_STATE_MAX_BYTES) : NULL;
	size_t blob_len = 0, state_len = 0;
	int rc = SPOD_OK;

	if (blob == NULL || (with_state && state == NULL))
		rc = SPOD_E_NOMEM;
	if (rc == SPOD_OK && kp != NULL) {
		pol = (struct spod_seal_policy){kp->cbor, kp->len, kp->admin_hash, NULL, 0};
		if (with_state) {
			rc = spod_policy_state_encode(&kp->st, state, SPOD_POLICY_STATE_MAX_BYTES,
			                              &state_len);
			pol.state = state;
			pol.state_len = state_len;
		}
	}
	if (rc == SPOD_OK)
		rc = spod_seal_with_policy(blob, SPOD_SEAL_V2_MAX_BYTES, &blob_len, seal_key,
		                           st->seal.key_id, &k->sk, k->id, k->pub, k->pub_len,
		                           k->label, k->label_len, kp != NULL ? &pol : NULL);
	if (rc == SPOD_OK) {
		const struct spod_key_view v = {k->id,    k->sk.alg,    k->pub, k->pub_len,
		                                k->label, k->label_len, blob,   (uint32_t)blob_len};
		rc = spod_wire_put_sealed_key(out, cap, len, f->hdr.opcode, f->hdr.request_id, &v);
	}
	free(state);
	free(blob);
	return rc;
}

static int do_set(struct spod_enclave_state *st, const struct spod_frame *f, uint8_t *out,
                  size_t cap, size_t *len)
{
	struct spod_policy_set_req req;
	struct spod_key_policy *kp = NULL;
	const struct spod_key_entry *k;
	const uint8_t *seal_key, *admin_hash;
	uint8_t policy_hash[32];
	int rc;

	SPOD_TRY(spod_wire_policy_set_req(&req, f));
	k = spod_keystore_find(st->keys, req.key_id);
	if (k == NULL)
		return SPOD_E_KEY_NOT_FOUND;
	SPOD_TRY(spod_enclave_seal_key(&st->seal, &seal_key, &st->why));
	spod_sha256(policy_hash, req.policy != NULL ? req.policy : no_admins, req.policy_len);
	SPOD_TRY(authorize(st, k, &req, policy_hash, &admin_hash));
	if (req.policy_len > 0)
		SPOD_TRY(
		    spod_key_policy_make(&kp, req.policy, req.policy_len, admin_hash, &st->why));
	/* A new policy starts with empty windows and rates (docs/policy.md). */
	rc = put_resealed(st, f, out, cap, len, k, kp, seal_key, 0);
	if (rc < 0) {
		spod_key_policy_free(kp); /* the key keeps the policy it had */
		return rc;
	}
	spod_keystore_set_policy(st->keys, k, kp);
	return SPOD_OK;
}

/* The key re-sealed with its policy's state as it is now (spod-host stores the blob). */
static int do_sync(struct spod_enclave_state *st, const struct spod_frame *f, uint8_t *out,
                   size_t cap, size_t *len)
{
	struct spod_key_req req;
	const struct spod_key_entry *k;
	const uint8_t *seal_key;

	SPOD_TRY(spod_wire_key_req(&req, f));
	k = spod_keystore_find(st->keys, req.key_id);
	if (k == NULL)
		return SPOD_E_KEY_NOT_FOUND;
	SPOD_TRY(spod_enclave_seal_key(&st->seal, &seal_key, &st->why));
	return put_resealed(st, f, out, cap, len, k, k->policy, seal_key, 1);
}

static int do_get(struct spod_enclave_state *st, const struct spod_frame *f, uint8_t *out,
                  size_t cap, size_t *len)
{
	struct spod_key_req req;
	const struct spod_key_entry *k;
	struct spod_policy_view v = {0};

	SPOD_TRY(spod_wire_key_req(&req, f));
	k = spod_keystore_find(st->keys, req.key_id);
	if (k == NULL)
		return SPOD_E_KEY_NOT_FOUND;
	if (k->policy != NULL)
		v = (struct spod_policy_view){1, k->policy->p.hash, k->policy->admin_hash,
		                              k->policy->cbor, (uint32_t)k->policy->len};
	return spod_wire_put_policy(out, cap, len, f->hdr.request_id, &v);
}

int spod_enclave_do_policy(struct spod_enclave_state *st, const struct spod_frame *f, uint8_t *out,
                           size_t cap, size_t *len)
{
	if (f->hdr.opcode == SPOD_OP_POLICY_ADMINS)
		return do_admins(st, f, out, cap, len);
	if (f->hdr.opcode == SPOD_OP_POLICY_SET)
		return do_set(st, f, out, cap, len);
	if (f->hdr.opcode == SPOD_OP_POLICY_SYNC)
		return do_sync(st, f, out, cap, len);
	return do_get(st, f, out, cap, len);
}

int spod_enclave_policy_gate(struct spod_enclave_state *st, const struct spod_key_entry *k,
                             const struct spod_tx_summary *tx, struct spod_gate *g)
{
	struct spod_key_policy *kp = spod_enclave_policy_of(st, k);
	int rc;

	g->kp = NULL;
	if (kp == NULL)
		return SPOD_OK;
	g->kp = kp;
	rc = spod_key_policy_decide(kp, tx, &g->d, &g->now_s, st->why_buf, sizeof(st->why_buf));
	if (rc == SPOD_E_POLICY_DENIED)
		st->why = st->why_buf;
	return rc;
}

void spod_enclave_policy_done(const struct spod_tx_summary *tx, const struct spod_gate *g)
{
	if (g->kp != NULL)
		spod_key_policy_commit(g->kp, tx, &g->d, g->now_s);
}
