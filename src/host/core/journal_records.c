/*
 * The audit records spod-host makes of requests (docs/storage.md, "What spod-host records"):
 * each audited answer's records, queued for the journal's next commit (journal.c), with what
 * the answers change in the store besides (a new key and its sealed blob, a deletion, a new
 * policy's blob); the records of answers lost; and the journal's growable arrays.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hex.h"
#include "common/log.h"
#include "host/core/host_int.h"
#include "wire/ops.h"

int host_grow(void **p, uint32_t *cap, uint32_t need, size_t size)
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
int host_arena_put(uint8_t **buf, size_t *used, size_t *cap, size_t *off, const void *data,
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

int host_journal_record(struct spod_host *h, const char *kind, const uint8_t *key_id,
                        const uint8_t *token_id, const uint8_t *digest, int result,
                        const char *detail)
{
	struct host_rec *r;

	SPOD_TRY(host_grow((void **)&h->recs, &h->recs_cap, h->nrecs + 1, sizeof(*h->recs)));
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

/*
 * The detail of item i of a signing request's records: "mode=M len=L" ("batch=i/n"), or
 * "tx=CHAIN len=L"; then "req=ID" when it has sign.request records (the id links the two).
 */
void host_sign_detail(char *buf, size_t cap, const struct host_audit *a, uint32_t i)
{
	const struct host_audit_item *it = &a->items[i];
	int n;

	if (a->opcode == SPOD_OP_SIGN_TX)
		n = snprintf(buf, cap, "tx=%s len=%u",
		             it->mode == SPOD_TX_CHAIN_ETHEREUM ? "ethereum" : "solana", it->len);
	else if (a->opcode == SPOD_OP_SIGN_BATCH)
		n = snprintf(buf, cap, "mode=%s len=%u batch=%u/%u", mode_text(it->mode), it->len,
		             i + 1, a->n);
	else
		n = snprintf(buf, cap, "mode=%s len=%u", mode_text(it->mode), it->len);
	if (a->req != 0 && n > 0 && (size_t)n < cap)
		snprintf(buf + n, cap - (size_t)n, " req=%016llx", (unsigned long long)a->req);
}

/* The records of a sign or sign.batch answer: one per item, with the item's own result. */
int host_record_signatures(struct spod_host *h, const struct host_audit *a,
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
		char detail[128];

		if (overall == SPOD_OK && a->opcode == SPOD_OP_SIGN_BATCH) {
			spod_wire_batch_resp_item(&sv, &bv, i);
			result = sv.status;
			if (result == SPOD_OK)
				*alg = sv.alg;
		}
		host_sign_detail(detail, sizeof(detail), a, i);
		if (result == SPOD_OK)
			host_psync_signed(h, it->key_id); /* its policy state moved */
		SPOD_TRY(host_journal_record(h, "sign", it->key_id, a->token_id, it->digest, result,
		                             detail));
	}
	return SPOD_OK;
}

/* Asks the enclave to forget a key it made whose record could not be stored. */
void host_drop_unrecorded(struct spod_host *h, uint16_t enclave, const uint8_t *key_id)
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
	SPOD_TRY(host_grow((void **)&h->pkeys, &h->pkeys_cap, h->npkeys + 1, sizeof(*h->pkeys)));
	SPOD_TRY(
	    host_arena_put(&h->pkey_bytes, &h->pkey_len, &h->pkey_cap, &off, v->blob, v->blob_len));
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
int host_record_key(struct spod_host *h, const struct inflight *in, const struct spod_frame *f,
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
			host_drop_unrecorded(h, in->enclave, k.id);
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
int host_record_share(struct spod_host *h, const struct host_audit *a, const struct spod_frame *f)
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
int host_record_delete(struct spod_host *h, const struct host_audit *a, const struct spod_frame *f)
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
int host_record_policy(struct spod_host *h, const struct host_audit *a, const struct spod_frame *f,
                       int *stored, char *msg, size_t cap)
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
	char text[sizeof(detail) + 48];

	for (uint32_t i = 0; i < n; i++) {
		const struct host_audit_item *it = a->n ? &a->items[i] : NULL;
		int len = snprintf(text, sizeof(text), "%s", detail);

		/* a signing request's: its item in a batch, and the id of its sign.request */
		if (a->opcode == SPOD_OP_SIGN_BATCH && len > 0 && (size_t)len < sizeof(text))
			len += snprintf(text + len, sizeof(text) - (size_t)len, " batch=%u/%u",
			                i + 1, a->n);
		if (a->req != 0 && len > 0 && (size_t)len < sizeof(text))
			snprintf(text + len, sizeof(text) - (size_t)len, " req=%016llx",
			         (unsigned long long)a->req);
		if (host_journal_record(h, kind, it ? it->key_id : NULL, a->token_id,
		                        it && a->opcode != SPOD_OP_KEY_DELETE &&
		                                a->opcode != SPOD_OP_POLICY_SET
		                            ? it->digest
		                            : NULL,
		                        SPOD_E_UNAVAILABLE, text) < 0)
			spod_error("audit: cannot queue a record: out of memory");
	}
}
