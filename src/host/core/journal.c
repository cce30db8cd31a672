/*
 * The audit journal of spod-host (docs/storage.md, "Audit log"): group commit of audit
 * records (from the audit facts each request in flight captured, facts.c), and answers held
 * back until their records are durable.
 *
 * When the enclave answers an audited request (sign, sign.batch, sign.tx, key.generate,
 * key.import, key.delete, custodian.share, policy.set), the answer is not sent: its audit records
 * are queued and the frame is copied aside. Once per event-loop wake-up (host_tick) every queued
 * record is appended in one transaction, and only after that commit returned are the held answers
 * written to their clients. If the commit fails, each held answer becomes an UNAVAILABLE
 * error: a signature is never handed out without its audit record. The client's send-buffer
 * credit for a held answer stays reserved until then, so flow control is unchanged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hex.h"
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

static int grow(void **p, uint32_t *cap, uint32_t need, size_t size)
{
	uint32_t n = *cap ? *cap : 64;
	void *q;

	if (need <= *cap)
		return SPOD_OK;
	while (n < need)
		n *= 2;
	q = realloc(*p, (size_t)n * size);
	if (q == NULL)
		return SPOD_E_NOMEM;
	*p = q;
	*cap = n;
	return SPOD_OK;
}

/* Appends len bytes to the arena *buf (*used of *cap bytes), growing it; *off where they went. */
static int arena_put(uint8_t **buf, size_t *used, size_t *cap, size_t *off, const void *data,
                     size_t len)
{
	if (len > *cap - *used) {
		size_t n = *cap ? *cap : 65536;
		uint8_t *q;
		while (n - *used < len)
			n *= 2;
		q = realloc(*buf, n);
		if (q == NULL)
			return SPOD_E_NOMEM;
		*buf = q;
		*cap = n;
	}
	memcpy(*buf + *used, data, len);
	*off = *used;
	*used += len;
	return SPOD_OK;
}

static int hold_bytes(struct spod_host *h, size_t *off, const void *data, size_t len)
{
	return arena_put(&h->held_bytes, &h->held_len, &h->held_byte_cap, off, data, len);
}

int host_journal_record(struct spod_host *h, const char *kind, const uint8_t *key_id,
                        const uint8_t *token_id, const uint8_t *digest, int result,
                        const char *detail)
{
	struct host_rec *r;

	SPOD_TRY(grow((void **)&h->recs, &h->recs_cap, h->nrecs + 1, sizeof(*h->recs)));
	r = &h->recs[h->nrecs++];
	memset(r, 0, sizeof(*r));
	r->time_ms = host_wall_ms();
	r->result = result;
	snprintf(r->kind, sizeof(r->kind), "%s", kind);
	if (key_id != NULL) {
		r->has_key = 1;
		memcpy(r->key_id, key_id, sizeof(r->key_id));
	}
	if (token_id != NULL) {
		r->has_token = 1;
		memcpy(r->token_id, token_id, sizeof(r->token_id));
	}
	if (digest != NULL) {
		r->digest_len = SPOD_DIGEST_BYTES;
		memcpy(r->digest, digest, SPOD_DIGEST_BYTES);
	}
	if (detail != NULL)
		snprintf(r->detail, sizeof(r->detail), "%s", detail);
	host_metrics_set(&h->metrics.audit_queue, h->nrecs);
	return SPOD_OK;
}

static const char *mode_text(uint8_t mode)
{
	const char *name = spod_mode_name(mode);
	return name != NULL ? name : "unknown";
}

/* The records of a sign or sign.batch answer: one per item, with the item's own result. */
static int record_signatures(struct spod_host *h, const struct host_audit *a,
                             const struct spod_frame *f, uint8_t *alg)
{
	struct spod_batch_resp_view bv;
	struct spod_sig_view sv;
	int overall = f->hdr.status ? spod_err_from_status(f->hdr.status) : SPOD_OK;

	*alg = 0;
	if (overall == SPOD_OK && a->opcode == SPOD_OP_SIGN) {
		if (spod_wire_sig_resp(&sv, f) < 0)
			overall = SPOD_E_PROTOCOL;
		else
			*alg = sv.alg;
	}
	if (overall == SPOD_OK && a->opcode == SPOD_OP_SIGN_BATCH) {
		if (spod_wire_batch_resp(&bv, f) < 0 || bv.count != a->n)
			overall = SPOD_E_PROTOCOL;
	}
	if (overall == SPOD_OK && a->opcode == SPOD_OP_SIGN_TX) {
		struct spod_sign_tx_view tv;

		if (spod_wire_sign_tx_resp(&tv, f) < 0 || tv.chain != a->items[0].mode)
			overall = SPOD_E_PROTOCOL;
		else
			*alg = tv.chain == SPOD_TX_CHAIN_ETHEREUM ? SPOD_ALG_SECP256K1
			                                          : SPOD_ALG_ED25519;
	}
	for (uint32_t i = 0; i < a->n; i++) {
		const struct host_audit_item *it = &a->items[i];
		int result = overall;
		char detail[96];

		if (overall == SPOD_OK && a->opcode == SPOD_OP_SIGN_BATCH) {
			spod_wire_batch_resp_item(&sv, &bv, i);
			result = sv.status;
			if (result == SPOD_OK)
				*alg = sv.alg;
		}
		if (a->opcode == SPOD_OP_SIGN_TX)
			snprintf(detail, sizeof(detail), "tx=%s len=%u",
			         it->mode == SPOD_TX_CHAIN_ETHEREUM ? "ethereum" : "solana",
			         it->len);
		else if (a->opcode == SPOD_OP_SIGN_BATCH)
			snprintf(detail, sizeof(detail), "mode=%s len=%u batch=%u/%u",
			         mode_text(it->mode), it->len, i + 1, a->n);
		else
			snprintf(detail, sizeof(detail), "mode=%s len=%u", mode_text(it->mode),
			         it->len);
		if (result == SPOD_OK)
			host_psync_signed(h, it->key_id); /* its policy state moved */
		SPOD_TRY(host_journal_record(h, "sign", it->key_id, a->token_id, it->digest, result,
		                             detail));
	}
	return SPOD_OK;
}

/* Asks the enclave to forget a key it made whose record could not be stored. */
static void drop_unrecorded(struct spod_host *h, uint16_t enclave, const uint8_t *key_id)
{
	uint8_t frame[SPOD_HDR_BYTES + SPOD_KEY_ID_BYTES];
	struct host_enclave *e = &h->enclave[enclave];
	size_t len;

	if (e->stage == HOST_ENCLAVE_DOWN ||
	    spod_wire_enc_key(frame, sizeof(frame), &len, SPOD_OP_KEY_DELETE,
	                      HOST_CTL_RID(e->index, HOST_STEP_DELETE), key_id) < 0 ||
	    host_enclave_send(e, frame, len) < 0)
		spod_warn(
		    "a key made without a stored record stays in the enclave until it restarts");
}

/* Queues a new key and its blob for the next commit (with the audit records). */
static int queue_key(struct spod_host *h, const struct spod_store_key *k,
                     const struct spod_key_view *v, uint16_t enclave)
{
	struct host_pending_key *p;
	size_t off;

	if (v->blob_len > SPOD_STORE_BLOB_MAX_BYTES)
		return SPOD_E_PROTOCOL;
	SPOD_TRY(grow((void **)&h->pkeys, &h->pkeys_cap, h->npkeys + 1, sizeof(*h->pkeys)));
	SPOD_TRY(arena_put(&h->pkey_bytes, &h->pkey_len, &h->pkey_cap, &off, v->blob, v->blob_len));
	p = &h->pkeys[h->npkeys++];
	p->key = *k;
	p->blob_off = off;
	p->blob_len = v->blob_len;
	p->enclave = enclave;
	return SPOD_OK;
}

/*
 * Why a key the enclave made may not be recorded: a label another live key (or a key waiting
 * for this commit) has, or one outside the labels= of the token that asked for it (an
 * import's label is inside its envelope: the host sees it first here). SPOD_OK when it may.
 */
static int key_refused(struct spod_host *h, const struct host_audit *a,
                       const struct spod_store_key *k, const char **why)
{
	if (k->label[0] == '\0')
		return SPOD_OK;
	if (a->creator != NULL && !spod_auth_label_allowed(&a->creator->scopes, k->label)) {
		*why = "its label is outside the token's labels=";
		return SPOD_E_FORBIDDEN;
	}
	if (host_label_queued(h, k->label) ||
	    spod_store_key_find_label(h->store, &(struct spod_store_key){0}, k->label) == SPOD_OK) {
		*why = "label already used by a live key";
		return SPOD_E_LABEL_TAKEN;
	}
	return SPOD_OK;
}

/*
 * key.generate, key.import: the new key's record (with the token that made it) and its sealed
 * blob are stored in the same transaction as the audit records, before the answer is released
 * (host_journal_commit); if that commit fails the answer becomes an error and the enclave is
 * told to delete the key: a key nobody has a record or a sealed copy of must not stay usable.
 * A key key_refused refuses goes the same way. *stored and msg get such a refusal. Returns
 * SPOD_OK, or the error of queueing.
 */
static int record_key(struct spod_host *h, const struct inflight *in, const struct spod_frame *f,
                      int *stored, char *msg, size_t cap)
{
	const struct host_audit *a = in->audit;
	const char *kind = spod_wire_op_name(a->opcode);
	int result = f->hdr.status ? spod_err_from_status(f->hdr.status) : SPOD_OK;
	struct spod_store_key k = {0};
	struct spod_key_view v;
	char detail[200];

	if (result == SPOD_OK && (spod_wire_key_resp(&v, f) < 0 || v.blob_len == 0))
		result = SPOD_E_PROTOCOL;
	if (result == SPOD_OK) {
		const char *why = NULL;

		memcpy(k.id, v.key_id, sizeof(k.id));
		k.alg = v.alg;
		memcpy(k.public_key, v.pub, v.pub_len);
		k.public_key_len = v.pub_len;
		memcpy(k.label, v.label != NULL ? v.label : "", v.label_len);
		k.created_ms = host_wall_ms();
		k.has_creator = 1;
		memcpy(k.created_by, a->token_id, sizeof(k.created_by));
		result = key_refused(h, a, &k, &why);
		if (result == SPOD_OK)
			result = queue_key(h, &k, &v, in->enclave);
		if (result < 0) {
			*stored = result;
			snprintf(msg, cap,
			         "%s: key made but not recorded (%s); the enclave drops it", kind,
			         why != NULL ? why : spod_strerror(result));
			spod_error("%s", msg);
			drop_unrecorded(h, in->enclave, k.id);
		}
	}
	if (k.public_key_len == 0 && f->hdr.status != 0 && a->opcode == SPOD_OP_KEY_IMPORT)
		/* nothing of an import is known before the enclave opens it: its reason */
		snprintf(detail, sizeof(detail), "%.*s", (int)f->body_len, (const char *)f->body);
	else if (k.public_key_len > 0) /* the key the enclave made, recorded or not */
		snprintf(detail, sizeof(detail), "alg=%s%s%.*s",
		         spod_alg_name(k.alg) ? spod_alg_name(k.alg) : "?",
		         k.label[0] ? " label=" : "", SPOD_LABEL_MAX_BYTES, k.label);
	else
		snprintf(detail, sizeof(detail), "alg=%s%s%.*s",
		         spod_alg_name(a->alg) ? spod_alg_name(a->alg) : "?",
		         a->label[0] ? " label=" : "", SPOD_LABEL_MAX_BYTES, a->label);
	return host_journal_record(h, kind, result == SPOD_OK ? k.id : NULL, a->token_id, NULL,
	                           result, detail);
}

/* custodian.share: the outcome and how far the seal key is (never anything of the share). */
static int record_share(struct spod_host *h, const struct host_audit *a, const struct spod_frame *f)
{
	int result = f->hdr.status ? spod_err_from_status(f->hdr.status) : SPOD_OK;
	struct spod_seal_view v;
	char detail[200];

	if (result == SPOD_OK && spod_wire_seal_resp(&v, f) == SPOD_OK)
		snprintf(detail, sizeof(detail), "share accepted: %u of %u present%s", v.present,
		         v.threshold, v.ready ? "; seal key rebuilt" : "");
	else
		snprintf(detail, sizeof(detail), "%.*s", (int)(f->hdr.status ? f->body_len : 0),
		         f->hdr.status ? (const char *)f->body : "");
	return host_journal_record(h, "custodian.share", NULL, a->token_id, NULL, result, detail);
}

/* key.delete: the key is marked deleted in the store, also when the enclave no longer has it. */
static int record_delete(struct spod_host *h, const struct host_audit *a,
                         const struct spod_frame *f)
{
	int result = f->hdr.status ? spod_err_from_status(f->hdr.status) : SPOD_OK;
	const uint8_t *id = a->items[0].key_id;

	if (result == SPOD_OK || result == SPOD_E_KEY_NOT_FOUND) {
		int rc = spod_store_key_mark_deleted(h->store, id, host_wall_ms());
		host_psync_forget(h, id);
		if (rc == SPOD_OK || rc == SPOD_E_KEY_NOT_FOUND)
			host_keyindex_remove(&h->keys, id);
		if (rc < 0 && rc != SPOD_E_KEY_NOT_FOUND)
			spod_warn("key.delete: cannot mark the key deleted: %s",
			          spod_store_last_error(h->store));
	}
	return host_journal_record(h, "key.delete", id, a->token_id, NULL, result, NULL);
}

/*
 * policy.set: the enclave's answer carries the key's sealed blob re-made to bind the new policy
 * (docs/policy.md); it replaces the stored blob before the answer is released. If it cannot
 * be stored the client gets an error, never a success whose blob was not kept (the enclave
 * holds the new policy until it restarts; the old blob, with the old policy, is what loads
 * then). The blob is stored at once, in its own transaction: if the audit commit that
 * follows fails, the client gets UNAVAILABLE although the stored blob and the enclave agree
 * on the new policy (as a signature made but withheld). The record names the policy by its
 * SHA-256, or says it was removed.
 */
static int record_policy(struct spod_host *h, const struct host_audit *a,
                         const struct spod_frame *f, int *stored, char *msg, size_t cap)
{
	const struct host_audit_item *it = &a->items[0];
	int result = f->hdr.status ? spod_err_from_status(f->hdr.status) : SPOD_OK;
	char detail[200], hash[2 * SPOD_DIGEST_BYTES + 1];
	struct spod_key_view v;

	if (result == SPOD_OK && (spod_wire_key_resp(&v, f) < 0 || v.blob_len == 0 ||
	                          memcmp(v.key_id, it->key_id, SPOD_KEY_ID_BYTES) != 0))
		result = SPOD_E_PROTOCOL;
	if (result == SPOD_OK) {
		result = spod_store_key_replace_blob(h->store, it->key_id, v.blob, v.blob_len,
		                                     host_wall_ms());
		if (result < 0) {
			*stored = result;
			snprintf(
			    msg, cap,
			    "policy.set: the enclave took the policy but its sealed key could not "
			    "be stored (%s); it holds the policy until it restarts",
			    result == SPOD_E_KEY_NOT_FOUND ? "key deleted"
			                                   : spod_store_last_error(h->store));
			spod_error("%s", msg);
		} else {
			host_psync_policy(h, it->key_id, v.blob, v.blob_len);
		}
	}
	if (spod_hex_encode(hash, sizeof(hash), it->digest, SPOD_DIGEST_BYTES) < 0)
		hash[0] = '\0';
	if (it->len == 0)
		snprintf(detail, sizeof(detail), "removed");
	else
		snprintf(detail, sizeof(detail), "policy=%s", hash);
	if (f->hdr.status != 0 && f->body_len > 0) /* the enclave's reason */
		snprintf(detail + strlen(detail), sizeof(detail) - strlen(detail), "; %.*s",
		         (int)f->body_len, (const char *)f->body);
	return host_journal_record(h, "policy.set", it->key_id, a->token_id, NULL, result, detail);
}

void host_journal_lost(struct spod_host *h, const struct host_audit *a)
{
	static const char detail[] =
	    "answer lost (enclave connection or client gone); outcome unknown";
	const char *kind = a->opcode == SPOD_OP_SIGN || a->opcode == SPOD_OP_SIGN_BATCH ||
	                           a->opcode == SPOD_OP_SIGN_TX
	                       ? "sign"
	                       : spod_wire_op_name(a->opcode);
	uint32_t n = a->n ? a->n : 1;

	for (uint32_t i = 0; i < n; i++) {
		const struct host_audit_item *it = a->n ? &a->items[i] : NULL;
		if (host_journal_record(h, kind, it ? it->key_id : NULL, a->token_id,
		                        it && a->opcode != SPOD_OP_KEY_DELETE &&
		                                a->opcode != SPOD_OP_POLICY_SET
		                            ? it->digest
		                            : NULL,
		                        SPOD_E_UNAVAILABLE, detail) < 0)
			spod_error("audit: cannot queue a record: out of memory");
	}
}

void host_journal_answer(struct spod_host *h, const struct inflight *in, const struct spod_frame *f)
{
	const struct host_audit *a = in->audit;
	struct host_held *hd;
	char msg[SPOD_ERRMSG_MAX_BYTES] = "";
	uint8_t alg = 0;
	int err = SPOD_OK, rc;

	host_journal_observe(h); /* the held answers start over */
	switch (a->opcode) {
	case SPOD_OP_SIGN:
	case SPOD_OP_SIGN_BATCH:
	case SPOD_OP_SIGN_TX:
		rc = record_signatures(h, a, f, &alg);
		break;
	case SPOD_OP_KEY_GENERATE:
	case SPOD_OP_KEY_IMPORT:
		rc = record_key(h, in, f, &err, msg, sizeof(msg));
		break;
	case SPOD_OP_CUSTODIAN_SHARE:
		rc = record_share(h, a, f);
		break;
	case SPOD_OP_POLICY_SET:
		rc = record_policy(h, a, f, &err, msg, sizeof(msg));
		break;
	default:
		rc = record_delete(h, a, f);
		break;
	}
	if (rc < 0 && err == SPOD_OK) {
		err = rc;
		snprintf(msg, sizeof(msg), "audit record could not be queued: %s",
		         spod_strerror(rc));
	}
	if (grow((void **)&h->held, &h->held_cap, h->nheld + 1, sizeof(*h->held)) < 0)
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
	SPOD_TRY(grow((void **)&h->sealed_views, &h->sealed_views_cap, h->npkeys,
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

int host_journal_commit(struct spod_host *h)
{
	char msg[SPOD_ERRMSG_MAX_BYTES];
	int ev_due =
	    h->nev > 0 && (h->ev_flush || host_now_ns() - h->ev_since_ns >= HOST_EVIDENCE_DELAY_NS);
	uint64_t t0;
	int rc = SPOD_OK;

	host_journal_observe(h);
	if (h->nrecs == 0 && h->nheld == 0 && h->npkeys == 0 && !ev_due)
		return SPOD_OK;
	if (h->nrecs > 0 || h->npkeys > 0 || ev_due) {
		rc = grow((void **)&h->rec_views, &h->rec_views_cap, h->nrecs,
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
				drop_unrecorded(h, h->pkeys[i].enclave, h->pkeys[i].key.id);
			}
		}
		h->npkeys = 0;
		h->pkey_len = 0;
	}
	for (uint32_t i = 0; i < h->nheld; i++) {
		struct host_held *hd = &h->held[i];
		struct host_client *cl = host_client_get(h, hd->client_index, hd->client_gen);
		const uint8_t *bytes = h->held_bytes + hd->off;

		if (cl == NULL) {
			hd->alg = 0; /* the client went away: its answers are dropped */
			continue;
		}
		host_client_release(cl, hd->reserve);
		if (rc < 0 || hd->err < 0) {
			hd->alg = 0;
			int err = rc < 0 ? SPOD_E_UNAVAILABLE : hd->err;
			if (host_client_error_text(cl, hd->opcode, hd->client_rid, err,
			                           rc < 0 ? msg : (const char *)bytes) < 0)
				host_client_close(cl);
			continue;
		}
		if (host_client_answer(cl, bytes, hd->len, hd->opcode, hd->status) < 0) {
			hd->alg = 0;
			host_client_close(cl); /* cannot happen: the credit covers the answer */
		}
		SPOD_TRACE_MARK(SPOD_TR_H_AUDIT, hd->client_rid, 0);
		SPOD_TRACE_DEFER(SPOD_TR_H_CSEND, hd->client_rid, 0);
	}
	if (rc < 0)
		host_journal_withhold(h);
	else
		h->nrecs = 0;
	h->nreleased = h->nheld; /* their latencies once written (host_journal_observe) */
	host_metrics_set(&h->metrics.audit_queue, h->nrecs);
	return rc;
}

void host_journal_observe(struct spod_host *h)
{
	uint64_t now;

	if (h->nreleased == 0)
		return;
	now = host_now_ns();
	for (uint32_t i = 0; i < h->nreleased; i++)
		if (h->held[i].alg != 0)
			host_metrics_sign(&h->metrics, h->held[i].front, h->held[i].alg,
			                  now - h->held[i].t0_ns);
	h->nreleased = 0;
	h->nheld = 0;
	h->held_len = 0;
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
	h->recs = NULL;
	h->rec_views = NULL;
	h->held = NULL;
	h->held_bytes = NULL;
}
