/*
 * Evidence in spod-enclave's handlers (docs/evidence.md): the record of each answered sign,
 * sign.batch item and sign.tx, added to the current connection's batch (server.c signs the
 * batch once the answers are out), and audit.head, which signs the audit log's head with the
 * evidence key and refuses a head that goes back from the last one it signed.
 */
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "enclave/handlers_int.h"

void spod_enclave_evidence_note(struct spod_enclave_state *st, uint8_t opcode, uint8_t mode,
                                uint8_t form, int status, const uint8_t *key_id,
                                const uint8_t digest[32], const struct spod_key_entry *k,
                                const struct spod_gate *g)
{
	const struct spod_key_policy *kp = spod_enclave_policy_of(st, k);
	struct spod_evidence_rec r;
	size_t n;

	if (st->ev_batch == NULL)
		return;
	memset(&r, 0, sizeof(r));
	r.opcode = opcode;
	r.mode = mode;
	r.form = form;
	r.status = status;
	memcpy(r.key_id, key_id, sizeof(r.key_id));
	memcpy(r.digest, digest, sizeof(r.digest));
	if (kp != NULL) {
		memcpy(r.policy_hash, kp->p.hash, sizeof(r.policy_hash));
		/* The deciding rule; empty when the request failed before the policy decided. */
		if (g != NULL && g->d.rule_id.ptr != NULL) {
			n = g->d.rule_id.len < SPOD_EVIDENCE_RULE_ID_BYTES
			        ? g->d.rule_id.len
			        : SPOD_EVIDENCE_RULE_ID_BYTES;
			memcpy(r.rule_id, g->d.rule_id.ptr, n);
		}
	}
	/* Cannot be full: server.c signs a batch before a frame could overflow it. Losing a
	 * record leaves an audit row without evidence, which `spod audit verify` reports. */
	if (spod_ev_batch_add(st->ev_batch, &r) < 0)
		spod_warn("evidence record of a %s dropped (batch full or out of memory)",
		          opcode == SPOD_OP_SIGN_TX ? "sign.tx" : "sign");
}

/* Whether head (seq, hash) goes back from the last one signed; st->why says how. */
static int goes_back(struct spod_enclave_state *st, uint64_t seq, const uint8_t *hash)
{
	const struct spod_enclave_evidence *ev = &st->ev;

	if (seq < ev->head_seq) {
		snprintf(st->why_buf, sizeof(st->why_buf),
		         "audit head goes back: seq %llu after seq %llu was signed",
		         (unsigned long long)seq, (unsigned long long)ev->head_seq);
	} else if (seq == ev->head_seq && memcmp(hash, ev->head_hash, 32) != 0) {
		snprintf(st->why_buf, sizeof(st->why_buf),
		         "audit head goes back: seq %llu was signed with another hash",
		         (unsigned long long)seq);
	} else {
		return 0;
	}
	st->why = st->why_buf;
	return 1;
}

int spod_enclave_do_audit_head(struct spod_enclave_state *st, const struct spod_frame *f,
                               uint8_t *out, size_t cap, size_t *len)
{
	struct spod_enclave_evidence *ev = &st->ev;
	struct spod_audit_head_view req, ans;
	uint8_t sig[SPOD_EVIDENCE_SIG_BYTES];
	uint64_t seq = ev->head_seq;
	const uint8_t *hash = ev->head_hash;

	SPOD_TRY(spod_wire_audit_head_req(&req, f));
	if (ev->sk == NULL)
		return SPOD_E_UNAVAILABLE;
	if (req.mode == SPOD_AUDIT_HEAD_SIGN) {
		if (goes_back(st, req.seq, req.hash))
			return SPOD_E_BAD_FIELD;
		seq = req.seq;
		hash = req.hash;
	}
	/* QUERY: the last head signed, whatever the request's seq and hash say. */
	SPOD_TRY(spod_enclave_evidence_sign_head(ev, seq, hash, req.nonce, req.nonce_len, sig));
	if (req.mode == SPOD_AUDIT_HEAD_SIGN) {
		ev->head_seq = seq;
		memmove(ev->head_hash, hash, 32);
	}
	ans = (struct spod_audit_head_view){
	    .mode = req.mode,
	    .nonce_len = req.nonce_len,
	    .nonce = req.nonce,
	    .seq = ev->head_seq,
	    .hash = ev->head_hash,
	    .pub = ev->pub,
	    .counter = ev->counter,
	    .sig = sig,
	};
	return spod_wire_put_audit_head(out, cap, len, f->hdr.request_id, &ans);
}
