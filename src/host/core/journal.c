/*
 * The audit journal of spod-host (docs/storage.md, "What spod-host records, and when it
 * answers"): group commit of audit records (journal_records.c makes them from the audit facts
 * each request in flight captured, facts.c), and answers held back until their records are
 * durable. Once per event-loop wake-up (host_tick) every queued record is appended in one
 * transaction.
 *
 * A signing request (sign, sign.batch, sign.tx) gets its sign.request records queued as it is
 * forwarded; the wake-up writes it to the enclave first and commits after, so the commit runs
 * while the enclave signs. Its answer then goes to the client as soon as it comes, and its
 * sign records (the outcome) wait for the next commit that happens anyway (the next
 * sign.request's), or HOST_OUTCOME_DELAY_NS (forward.c's lazy timer): a commit that is never
 * on an answer's path.
 *
 * Every other audited answer (key.generate, key.import, key.delete, custodian.share,
 * policy.set), and a signature whose sign.request commit failed, is held: its records are
 * queued, the frame copied aside, and only after the commit returned is it written to its
 * client. If the commit fails, each held answer becomes an UNAVAILABLE error: a signature is
 * never handed out without a committed record. The client's send-buffer credit for a held
 * answer stays reserved until then, so flow control is unchanged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/trace.h"
#include "host/core/host_int.h"
#include "wire/ops.h"

/* An answer waiting for the commit: the frame, or (err < 0) an error message, in held_bytes. */
struct host_held {
	uint64_t client_rid;
	uint64_t t0_ns;
	uint32_t client_index, client_gen, reserve;
	uint8_t opcode, alg; /* alg: signatures answered OK, for the latency histogram */
	uint8_t front;       /* enum host_front */
	int err;             /* < 0: answer with this error and the message held instead */
	int status;          /* the enclave's answer: SPOD_OK or its error */
	size_t off, len;
};

static int hold_bytes(struct spod_host *h, size_t *off, const void *data, size_t len)
{
	return host_arena_put(&h->held_bytes, &h->held_len, &h->held_byte_cap, off, data, len);
}

/* Counts a signature written by the next flush, once it is written (host_journal_observe). */
static void observe_later(struct spod_host *h, uint64_t t0_ns, uint8_t front, uint8_t alg)
{
	if (alg == 0 || host_grow((void **)&h->obs, &h->obs_cap, h->nobs + 1, sizeof(*h->obs)) < 0)
		return; /* out of memory: one sample less */
	h->obs[h->nobs++] = (struct host_obs){t0_ns, front, alg};
}

/*
 * A signing request whose sign.request records are committed: its answer goes to the client
 * now, and its sign records (just queued, the outcome) commit after it; a failed commit
 * retries them as they are, since this answer was not withheld.
 */
static void answer_now(struct spod_host *h, const struct inflight *in, const struct spod_frame *f,
                       uint8_t alg)
{
	struct host_client *cl = host_client_get(h, in->client_index, in->client_gen);
	int status = f->hdr.status ? spod_err_from_status(f->hdr.status) : SPOD_OK;

	for (uint32_t i = 0; i < in->audit->n && i < h->nrecs; i++)
		h->recs[h->nrecs - 1 - i].keep = 1;
	if (h->nlazy == 0)
		h->lazy_since_ns = host_now_ns();
	h->nlazy += in->audit->n;
	if (cl == NULL)
		return; /* the client went away: its answer is dropped */
	host_client_release(cl, in->reserve);
	spod_wire_set_request_id((uint8_t *)f->body - SPOD_HDR_BYTES, in->client_rid);
	if (host_client_answer(cl, f->body - SPOD_HDR_BYTES, f->frame_len, in->opcode, status) <
	    0) {
		host_client_close(cl); /* cannot happen: the credit covers the answer */
		return;
	}
	/* its audit record (sign.request) is committed: the answer is released now */
	SPOD_TRACE_MARK(SPOD_TR_H_AUDIT, in->client_rid, 0);
	SPOD_TRACE_DEFER(SPOD_TR_H_CSEND, in->client_rid, 0);
	observe_later(h, in->t0_ns, in->front, alg);
}

void host_journal_intent(struct spod_host *h, uint32_t slot)
{
	struct host_audit *a = h->slots[slot].audit;
	uint32_t n0 = h->nrecs;
	char detail[128];

	if (a == NULL || a->n == 0 ||
	    (a->opcode != SPOD_OP_SIGN && a->opcode != SPOD_OP_SIGN_BATCH &&
	     a->opcode != SPOD_OP_SIGN_TX))
		return;
	if (host_grow((void **)&h->intents, &h->intents_cap, h->nintents + 1, sizeof(*h->intents)) <
	    0)
		return;
	if (h->next_req == 0)
		h->next_req = (uint64_t)host_wall_ms() << 16; /* unique across restarts */
	a->req = h->next_req++;
	for (uint32_t i = 0; i < a->n; i++) {
		const struct host_audit_item *it = &a->items[i];

		host_sign_detail(detail, sizeof(detail), a, i);
		if (host_journal_record(h, "sign.request", it->key_id, a->token_id, it->digest,
		                        SPOD_OK, detail) < 0) {
			h->nrecs = n0; /* none of them: the answer waits for the commit instead */
			a->req = 0;
			return;
		}
		h->recs[h->nrecs - 1].keep = 1;
	}
	a->intent = HOST_INTENT_QUEUED;
	h->intents[h->nintents++] = host_slot_rid(h, slot);
}

/*
 * After a commit: the sign.request records it held are committed (ok), so their answers go out
 * as they come; or it failed, and their answers are held for the commit of their sign records
 * as before (the records stay queued, as every record of a failed commit).
 */
static void settle_intents(struct spod_host *h, int ok)
{
	for (uint32_t i = 0; i < h->nintents; i++) {
		uint32_t slot;
		struct inflight *in = host_slot_lookup(h, h->intents[i], &slot);

		if (in != NULL && in->audit != NULL && in->audit->intent == HOST_INTENT_QUEUED)
			in->audit->intent = ok ? HOST_INTENT_DURABLE : HOST_INTENT_NONE;
	}
	h->nintents = 0;
}

void host_journal_answer(struct spod_host *h, const struct inflight *in, const struct spod_frame *f)
{
	const struct host_audit *a = in->audit;
	struct host_held *hd;
	char msg[SPOD_ERRMSG_MAX_BYTES] = "";
	uint8_t alg = 0;
	int err = SPOD_OK, rc;

	switch (a->opcode) {
	case SPOD_OP_SIGN:
	case SPOD_OP_SIGN_BATCH:
	case SPOD_OP_SIGN_TX:
		rc = host_record_signatures(h, a, f, &alg);
		break;
	case SPOD_OP_KEY_GENERATE:
	case SPOD_OP_KEY_IMPORT:
		rc = host_record_key(h, in, f, &err, msg, sizeof(msg));
		break;
	case SPOD_OP_CUSTODIAN_SHARE:
		rc = host_record_share(h, a, f);
		break;
	case SPOD_OP_POLICY_SET:
		rc = host_record_policy(h, a, f, &err, msg, sizeof(msg));
		break;
	default:
		rc = host_record_delete(h, a, f);
		break;
	}
	if (rc < 0 && err == SPOD_OK) {
		err = rc;
		snprintf(msg, sizeof(msg), "audit record could not be queued: %s",
		         spod_strerror(rc));
	}
	if (err == SPOD_OK && a->intent == HOST_INTENT_DURABLE && f->frame_len <= in->reserve) {
		answer_now(h, in, f, alg);
		return;
	}
	if (host_grow((void **)&h->held, &h->held_cap, h->nheld + 1, sizeof(*h->held)) < 0)
		goto lost;
	hd = &h->held[h->nheld];
	*hd = (struct host_held){
	    .client_rid = in->client_rid,
	    .t0_ns = in->t0_ns,
	    .client_index = in->client_index,
	    .client_gen = in->client_gen,
	    .reserve = in->reserve,
	    .opcode = in->opcode,
	    .alg = alg,
	    .front = in->front,
	    .err = err,
	    .status = f->hdr.status ? spod_err_from_status(f->hdr.status) : SPOD_OK,
	};
	if (err < 0)
		rc = hold_bytes(h, &hd->off, msg, strlen(msg) + 1);
	else if (f->frame_len > in->reserve)
		rc = SPOD_E_TOO_LARGE;
	else
		rc = hold_bytes(h, &hd->off, f->body - SPOD_HDR_BYTES, f->frame_len);
	if (rc < 0)
		goto lost;
	hd->len = err < 0 ? strlen(msg) + 1 : f->frame_len;
	if (err == SPOD_OK)
		spod_wire_set_request_id(h->held_bytes + hd->off, in->client_rid);
	h->nheld++;
	return;
lost : {
	/* Out of memory: answer with an error now rather than lose the request. */
	struct host_client *cl = host_client_get(h, in->client_index, in->client_gen);
	if (cl != NULL) {
		host_client_release(cl, in->reserve);
		if (host_client_error(cl, in->opcode, in->client_rid, SPOD_E_NOMEM,
		                      "audit journal") < 0)
			host_client_close(cl);
	}
}
}

/* Logs a failed commit at most once a second, with how many were not logged meanwhile. */
static void log_failure(struct spod_host *h, const char *msg)
{
	uint64_t now = host_now_ns();

	if (h->audit_err_ns != 0 && now - h->audit_err_ns < 1000000000u) {
		h->audit_err_quiet++;
		return;
	}
	spod_error("%s (%u records not written; %llu more failed commits in the last second)", msg,
	           h->nrecs, (unsigned long long)h->audit_err_quiet);
	h->audit_err_ns = now;
	h->audit_err_quiet = 0;
}

/* New keys with their blobs, the audit records and the evidence, in one transaction. */
static int commit_keys_and_records(struct spod_host *h)
{
	SPOD_TRY(host_grow((void **)&h->sealed_views, &h->sealed_views_cap, h->npkeys,
	                   sizeof(*h->sealed_views)));
	for (uint32_t i = 0; i < h->npkeys; i++)
		h->sealed_views[i] = (struct spod_store_sealed){
		    h->pkeys[i].key, h->pkey_bytes + h->pkeys[i].blob_off, h->pkeys[i].blob_len};
	return host_evidence_commit(h, h->sealed_views, h->npkeys, h->rec_views, h->nrecs);
}

/* The keys just stored join the key index; if one cannot, the store answers from now on. */
static void index_new_keys(struct spod_host *h)
{
	for (uint32_t i = 0; i < h->npkeys; i++) {
		const struct spod_store_key *k = &h->pkeys[i].key;
		if (k->label[0] != '\0' && host_keyindex_put(&h->keys, k->id, k->label, 0) < 0)
			spod_warn("key index: out of memory; label scopes are checked against the "
			          "key records from now on");
	}
}

int host_journal_lazy(const struct spod_host *h)
{
	return h->nrecs > 0 && h->nlazy == h->nrecs && h->nintents == 0 && h->nheld == 0 &&
	       h->npkeys == 0 && !h->ev_flush &&
	       host_now_ns() - h->lazy_since_ns < HOST_OUTCOME_DELAY_NS;
}

int host_journal_commit(struct spod_host *h)
{
	char msg[SPOD_ERRMSG_MAX_BYTES];
	int ev_due =
	    h->nev > 0 && (h->ev_flush || host_now_ns() - h->ev_since_ns >= HOST_EVIDENCE_DELAY_NS);
	uint64_t t0;
	int rc = SPOD_OK;

	if (h->nrecs == 0 && h->nheld == 0 && h->npkeys == 0 && !ev_due)
		return SPOD_OK;
	if (!ev_due && host_journal_lazy(h))
		return SPOD_OK; /* outcomes only: they go with the next commit (docs/storage.md) */
	if (h->nrecs > 0 || h->npkeys > 0 || ev_due) {
		rc = host_grow((void **)&h->rec_views, &h->rec_views_cap, h->nrecs,
		               sizeof(*h->rec_views));
		if (rc == SPOD_OK) {
			for (uint32_t i = 0; i < h->nrecs; i++) {
				const struct host_rec *r = &h->recs[i];
				h->rec_views[i] = (struct spod_audit_rec){
				    .time_ms = r->time_ms,
				    .kind = r->kind,
				    .key_id = r->has_key ? r->key_id : NULL,
				    .token_id = r->has_token ? r->token_id : NULL,
				    .digest = r->digest_len ? r->digest : NULL,
				    .digest_len = r->digest_len,
				    .result = r->result,
				    .detail = r->detail[0] ? r->detail : NULL,
				};
			}
			t0 = host_now_ns();
			rc = commit_keys_and_records(h);
			host_metrics_add(&h->metrics.audit_commit_ns_sum, host_now_ns() - t0);
		}
		settle_intents(h, rc == SPOD_OK);
		h->nlazy = 0; /* committed; or, failed, retried at the next wake-up */
		if (rc == SPOD_OK) {
			index_new_keys(h);
			host_metrics_add(&h->metrics.audit_commits, h->nrecs > 0 || h->npkeys > 0);
			host_metrics_add(&h->metrics.audit_records, h->nrecs);
		} else {
			host_metrics_add(&h->metrics.audit_failures, 1);
			snprintf(msg, sizeof(msg), "audit log unavailable, answer withheld: %s",
			         rc == SPOD_E_NOMEM ? "out of memory"
			                            : spod_store_last_error(h->store));
			log_failure(h, msg);
			/* Keys the enclave made whose records were not stored go again. */
			for (uint32_t i = 0; i < h->npkeys; i++) {
				spod_error("a key made but its record not stored (%s); the "
				           "enclave drops it",
				           rc == SPOD_E_NOMEM ? "out of memory"
				                              : spod_store_last_error(h->store));
				host_drop_unrecorded(h, h->pkeys[i].enclave, h->pkeys[i].key.id);
			}
		}
		h->npkeys = 0;
		h->pkey_len = 0;
	}
	for (uint32_t i = 0; i < h->nheld; i++) {
		const struct host_held *hd = &h->held[i];
		struct host_client *cl = host_client_get(h, hd->client_index, hd->client_gen);
		const uint8_t *bytes = h->held_bytes + hd->off;

		if (cl == NULL)
			continue; /* the client went away: its answers are dropped */
		host_client_release(cl, hd->reserve);
		if (rc < 0 || hd->err < 0) {
			int err = rc < 0 ? SPOD_E_UNAVAILABLE : hd->err;
			if (host_client_error_text(cl, hd->opcode, hd->client_rid, err,
			                           rc < 0 ? msg : (const char *)bytes) < 0)
				host_client_close(cl);
			continue;
		}
		if (host_client_answer(cl, bytes, hd->len, hd->opcode, hd->status) < 0) {
			host_client_close(cl); /* cannot happen: the credit covers the answer */
			continue;
		}
		SPOD_TRACE_MARK(SPOD_TR_H_AUDIT, hd->client_rid, 0);
		SPOD_TRACE_DEFER(SPOD_TR_H_CSEND, hd->client_rid, 0);
		observe_later(h, hd->t0_ns, hd->front, hd->alg);
	}
	if (rc < 0)
		host_journal_withhold(h);
	else
		h->nrecs = 0;
	h->nheld = 0;
	h->held_len = 0;
	host_metrics_set(&h->metrics.audit_queue, h->nrecs);
	return rc;
}

void host_journal_observe(struct spod_host *h)
{
	uint64_t now;

	if (h->nobs == 0)
		return;
	now = host_now_ns();
	for (uint32_t i = 0; i < h->nobs; i++)
		host_metrics_sign(&h->metrics, h->obs[i].front, h->obs[i].alg,
		                  now - h->obs[i].t0_ns);
	h->nobs = 0;
}

void host_journal_free(struct spod_host *h)
{
	free(h->pkeys);
	free(h->pkey_bytes);
	free(h->sealed_views);
	h->pkeys = NULL;
	h->pkey_bytes = NULL;
	h->sealed_views = NULL;
	host_audit_spares_free(h);
	free(h->recs);
	free(h->rec_views);
	free(h->held);
	free(h->held_bytes);
	free(h->obs);
	free(h->intents);
	h->obs = NULL;
	h->intents = NULL;
	h->recs = NULL;
	h->rec_views = NULL;
	h->held = NULL;
	h->held_bytes = NULL;
}
