/*
 * Request admission on spod-host's binary listeners (docs/auth.md): before a request is
 * forwarded, its connection's token must still be valid, within its rate, and allowed the
 * opcode's operation (from the opcode table, src/wire/ops.h) on every key the request names;
 * a new key must fit the token's keys-max and labels=, and the audit records the request
 * will cause its audit-rate.
 * What the audit needs of a request that is let through is captured here, while its frame
 * is still in the receive buffer.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "crypto/hash.h"
#include "host/core/host_int.h"
#include "txn/audit.h"
#include "wire/ops.h"

/*
 * Whether the token's key set holds the key, with its current label when the set names labels
 * (from the key index in memory, keyindex.c: no store query on this path).
 */
static int key_allowed(struct spod_host *h, const struct host_token *t, const uint8_t *key_id)
{
	char buf[SPOD_LABEL_MAX_BYTES + 1];
	const char *label = NULL;

	if (t->scopes.all_keys || (t->scopes.ops & SPOD_AUTH_OP_ADMIN))
		return SPOD_OK;
	if (t->has_labels)
		SPOD_TRY(host_key_label(h, key_id, buf, sizeof(buf), &label));
	return spod_auth_key_allowed(&t->scopes, key_id, label) ? SPOD_OK : SPOD_E_FORBIDDEN;
}

#define HOST_SHORT_MSG_BYTES 1024u

/* What the audit keeps of one signing request: the digest signed, or SHA-256 of the message. */
static int sign_item(struct spod_host *h, struct host_audit_item *it, const struct spod_sign_req *r)
{
	memcpy(it->key_id, r->key_id, SPOD_KEY_ID_BYTES);
	it->mode = r->mode;
	it->len = r->data_len;
	if (r->mode == SPOD_MODE_DIGEST) {
		memcpy(it->digest, r->data, SPOD_DIGEST_BYTES);
		return SPOD_OK;
	}
	/* Short messages with libsodium, which allocates nothing; OpenSSL's SHA-256 is faster
	 * on long ones but makes its context anew per request. */
	if (r->data_len <= HOST_SHORT_MSG_BYTES) {
		spod_sha256(it->digest, r->data, r->data_len);
		return SPOD_OK;
	}
	if (EVP_DigestInit_ex2(h->md_ctx, h->sha256, NULL) != 1 ||
	    EVP_DigestUpdate(h->md_ctx, r->data, r->data_len) != 1 ||
	    EVP_DigestFinal_ex(h->md_ctx, it->digest, NULL) != 1)
		return SPOD_E_CRYPTO;
	return SPOD_OK;
}

static int admit_sign(struct host_client *cl, const struct spod_frame *f, struct host_audit **audit,
                      const char **what)
{
	struct spod_host *h = cl->h;
	struct spod_sign_req r;
	struct spod_batch_req b;
	uint32_t n = 1;
	int rc;

	if (f->hdr.opcode == SPOD_OP_SIGN) {
		SPOD_TRY(spod_wire_sign_req(&r, f));
	} else {
		SPOD_TRY(spod_wire_batch_req(&b, f));
		n = b.count;
	}
	*audit = host_audit_new(h, f->hdr.opcode, n, cl->tok->id);
	if (*audit == NULL)
		return SPOD_E_NOMEM;
	for (uint32_t i = 0; i < n; i++) {
		if (f->hdr.opcode == SPOD_OP_SIGN_BATCH)
			spod_wire_batch_item(&r, &b, i);
		rc = key_allowed(h, cl->tok, r.key_id);
		if (rc == SPOD_OK)
			rc = sign_item(h, &(*audit)->items[i], &r);
		if (rc < 0) {
			*what =
			    rc == SPOD_E_FORBIDDEN ? "sign: key outside the token's keys" : "sign";
			host_audit_free(h, *audit);
			*audit = NULL;
			return rc;
		}
	}
	return SPOD_OK;
}

/*
 * sign.tx: admitted like sign (the token's sign op on the key it names, the same rates). The
 * audit's digest is what the key signs, computed here from the request as the enclave will
 * (docs/transactions.md, "Signing"): Ethereum the signing hash, keccak256 of the unsigned
 * transaction (or of a message's, typed data's or authorization's own digest); Solana SHA-256 of
 * the message (of the whole transaction when it cannot be split: the enclave then refuses it, and
 * the record says so). The audit item's mode holds the chain.
 */
static int admit_sign_tx(struct host_client *cl, const struct spod_frame *f,
                         struct host_audit **audit, const char **what)
{
	struct spod_host *h = cl->h;
	struct spod_sign_tx_req r;
	struct host_audit_item *it;
	int rc;

	SPOD_TRY(spod_wire_sign_tx_req(&r, f));
	rc = key_allowed(h, cl->tok, r.key_id);
	if (rc < 0) {
		*what =
		    rc == SPOD_E_FORBIDDEN ? "sign.tx: key outside the token's keys" : "sign.tx";
		return rc;
	}
	*audit = host_audit_new(h, f->hdr.opcode, 1, cl->tok->id);
	if (*audit == NULL)
		return SPOD_E_NOMEM;
	it = &(*audit)->items[0];
	memcpy(it->key_id, r.key_id, SPOD_KEY_ID_BYTES);
	it->mode = r.chain;
	it->len = r.tx_len;
	/* The enclave's evidence record computes it with the same function (txn/audit.h). */
	spod_txn_audit_digest(r.chain, r.form, r.tx, r.tx_len, it->digest);
	return SPOD_OK;
}

/*
 * keys-max (docs/auth.md): the token's live keys in the store, those waiting for the next
 * commit, and its key.generate / key.import requests in flight must leave room for one more.
 * The message lives in a static buffer: the event loop is the only caller.
 */
static int keys_quota(struct host_client *cl, const char *op, const char **what)
{
	static char text[160];
	const struct host_token *t = cl->tok;
	uint64_t stored = 0, live;
	uint32_t making;
	int rc;

	if (t->scopes.keys_max == 0)
		return SPOD_OK;
	rc = spod_store_key_count_created(cl->h->store, &stored, t->id);
	if (rc < 0) {
		*what = "keys-max: key records unavailable";
		return rc;
	}
	making = t->keys_pending + host_keys_queued(cl->h, t->id);
	live = stored + making;
	if (live < t->scopes.keys_max)
		return SPOD_OK;
	if (making == 0)
		snprintf(text, sizeof(text),
		         "%s: keys-max %u reached: this token has %llu live keys", op,
		         t->scopes.keys_max, (unsigned long long)live);
	else
		snprintf(text, sizeof(text),
		         "%s: keys-max %u reached: this token has %llu live keys (%u being made)",
		         op, t->scopes.keys_max, (unsigned long long)live, making);
	*what = text;
	return SPOD_E_FORBIDDEN;
}

/* labels=: a new key's label must match one of the token's patterns (static message, as above). */
static int label_allowed(const struct host_token *t, const char *label, const char **what)
{
	static char text[SPOD_LABEL_MAX_BYTES + 80];

	if (spod_auth_label_allowed(&t->scopes, label))
		return SPOD_OK;
	snprintf(text, sizeof(text),
	         "key.generate: label '%s' is outside the token's labels=", label);
	*what = text;
	return SPOD_E_FORBIDDEN;
}

static int admit_generate(struct host_client *cl, const struct spod_frame *f,
                          struct host_audit **audit, const char **what)
{
	struct spod_host *h = cl->h;
	struct spod_generate_req r;
	char label[SPOD_LABEL_MAX_BYTES + 1] = "";
	int rc;

	SPOD_TRY(spod_wire_generate_req(&r, f));
	memcpy(label, r.label != NULL ? r.label : "", r.label_len);
	SPOD_TRY(label_allowed(cl->tok, label, what));
	SPOD_TRY(keys_quota(cl, "key.generate", what));
	*audit = host_audit_new(h, f->hdr.opcode, 0, cl->tok->id);
	if (*audit == NULL)
		return SPOD_E_NOMEM;
	host_audit_set_creator(*audit, cl->tok);
	(*audit)->alg = r.alg;
	if (r.label_len == 0)
		return SPOD_OK;
	memcpy((*audit)->label, label, sizeof(label));
	rc = host_audit_claim_label(h, *audit);
	if (rc < 0) {
		*what = rc == SPOD_E_LABEL_TAKEN ? "key.generate"
		                                 : "key.generate: key store unavailable";
		(*audit)->label[0] = '\0'; /* not claimed: nothing to release */
		host_audit_free(h, *audit);
		*audit = NULL;
	}
	return rc;
}

/* attest: a key binding names a key, which must be in the token's key set. */
static int admit_attest(struct host_client *cl, const struct spod_frame *f,
                        struct host_audit **audit, const char **what)
{
	struct spod_attest_req r;
	int rc;

	(void)audit;
	SPOD_TRY(spod_wire_attest_req(&r, f));
	if (r.key_id == NULL)
		return SPOD_OK;
	rc = key_allowed(cl->h, cl->tok, r.key_id);
	if (rc < 0)
		*what = rc == SPOD_E_FORBIDDEN ? "attest: the bound key is outside the token's keys"
		                               : "attest: key records unavailable";
	return rc;
}

/* audit.head: any token that may list queries the head the enclave signed; signing is
 * spod-host's own (evidence.c), so mode SIGN is refused. */
static int admit_audit_head(struct host_client *cl, const struct spod_frame *f,
                            struct host_audit **audit, const char **what)
{
	struct spod_audit_head_view v;

	(void)cl;
	(void)audit;
	SPOD_TRY(spod_wire_audit_head_req(&v, f));
	if (v.mode == SPOD_AUDIT_HEAD_QUERY)
		return SPOD_OK;
	*what = "audit.head: spod-host signs audit heads itself";
	return SPOD_E_FORBIDDEN;
}

/*
 * policy.set: the key must be in the token's key set (the opcode table asks for the admin
 * op, which holds every key). The audit keeps the key and the SHA-256 of the policy's CBOR
 * (of the empty string when the policy is removed), as the approvals sign it.
 */
static int admit_policy_set(struct host_client *cl, const struct spod_frame *f,
                            struct host_audit **audit, const char **what)
{
	struct spod_policy_set_req r;
	struct host_audit_item *it;
	int rc;

	SPOD_TRY(spod_wire_policy_set_req(&r, f));
	rc = key_allowed(cl->h, cl->tok, r.key_id);
	if (rc < 0) {
		*what = rc == SPOD_E_FORBIDDEN ? "policy.set: key outside the token's keys"
		                               : "policy.set: key records unavailable";
		return rc;
	}
	*audit = host_audit_new(cl->h, f->hdr.opcode, 1, cl->tok->id);
	if (*audit == NULL)
		return SPOD_E_NOMEM;
	it = &(*audit)->items[0];
	memcpy(it->key_id, r.key_id, SPOD_KEY_ID_BYTES);
	spod_sha256(it->digest, r.policy, r.policy_len);
	it->len = r.policy_len;
	return SPOD_OK;
}

/* key.public, key.delete, policy.get: the key must be in the token's key set. */
static int admit_key(struct host_client *cl, const struct spod_frame *f, struct host_audit **audit,
                     const char **what)
{
	struct spod_key_req r;
	int rc;

	SPOD_TRY(spod_wire_key_req(&r, f));
	rc = key_allowed(cl->h, cl->tok, r.key_id);
	if (rc < 0) {
		*what = "key outside the token's keys";
		return rc;
	}
	if (f->hdr.opcode != SPOD_OP_KEY_DELETE)
		return SPOD_OK;
	*audit = host_audit_new(cl->h, f->hdr.opcode, 1, cl->tok->id);
	if (*audit == NULL)
		return SPOD_E_NOMEM;
	memcpy((*audit)->items[0].key_id, r.key_id, SPOD_KEY_ID_BYTES);
	return SPOD_OK;
}

/*
 * key.list for a token limited to some keys, answered here from the host's key records
 * (docs/auth.md): the live keys in the token's key set, in creation order. The cursor is the
 * number of those keys the earlier pages held.
 */
struct list_page {
	const struct host_token *t;
	struct spod_list_enc *enc;
	uint32_t skip, max, total;
};

static int list_one(void *ctx, const struct spod_store_key *k)
{
	struct list_page *p = ctx;

	if (!spod_auth_key_allowed(&p->t->scopes, k->id, k->label[0] ? k->label : NULL))
		return SPOD_OK;
	p->total++;
	if (p->total <= p->skip || p->enc->count == p->max)
		return SPOD_OK;
	return spod_wire_list_add(p->enc, k->id, k->alg, k->public_key, k->public_key_len, k->label,
	                          strlen(k->label));
}

static int list_scoped(struct host_client *cl, const struct spod_frame *f, const char **what)
{
	size_t cap = spod_wire_resp_max(SPOD_OP_KEY_LIST, f->frame_len), len;
	struct spod_list_enc enc;
	struct spod_list_req req;
	struct list_page p = {.t = cl->tok, .enc = &enc};
	uint32_t next;
	uint8_t *out;
	int rc;

	*what = "key.list";
	SPOD_TRY(spod_wire_list_req(&req, f));
	out = spod_conn_tx_reserve(&cl->c, cap);
	if (out == NULL)
		return SPOD_E_BUSY; /* cannot happen: the credit covers the largest page */
	SPOD_TRY(spod_wire_list_begin(&enc, out, cap, req.max));
	p.skip = req.cursor;
	p.max = req.max;
	rc = spod_store_key_list(cl->h->store, SPOD_STORE_KEYS_LIVE, list_one, &p);
	if (rc < 0) {
		*what = "key.list: key records unavailable";
		return rc;
	}
	next = p.skip + enc.count < p.total ? p.skip + enc.count : 0;
	spod_wire_list_finish(&enc, &len, f->hdr.request_id, next, p.total);
	spod_conn_tx_commit(&cl->c, len);
	host_client_mark_dirty(cl);
	host_answer_count(cl->h, SPOD_OP_KEY_LIST, SPOD_OK);
	return HOST_HANDLED;
}

/* keys=* sees the enclave's own list; other tokens a page of their keys, made here. */
static int admit_list(struct host_client *cl, const struct spod_frame *f, struct host_audit **audit,
                      const char **what)
{
	const struct host_token *t = cl->tok;

	(void)audit;
	if (!t->scopes.all_keys && (t->scopes.ops & SPOD_AUTH_OP_ADMIN) == 0)
		return list_scoped(cl, f, what);
	return SPOD_OK;
}

/*
 * key.import, custodian.share: the request is an envelope only the enclave can open, so
 * nothing of it is captured here; but the answer is audited like key.generate's (and an
 * imported key is recorded with its sealed blob before the answer goes out).
 */
static int admit_envelope(struct host_client *cl, const struct spod_frame *f,
                          struct host_audit **audit, const char **what)
{
	int import = f->hdr.opcode == SPOD_OP_KEY_IMPORT;

	if (import)
		SPOD_TRY(keys_quota(cl, "key.import", what));
	*audit = host_audit_new(cl->h, f->hdr.opcode, 0, cl->tok->id);
	if (*audit == NULL)
		return SPOD_E_NOMEM;
	/* Its label is checked against labels= when the enclave answers (journal.c). */
	if (import)
		host_audit_set_creator(*audit, cl->tok);
	return SPOD_OK;
}

typedef int (*admit_fn)(struct host_client *cl, const struct spod_frame *f,
                        struct host_audit **audit, const char **what);

/* What admission adds per opcode, by opcode-table slot; NULL: the op check is all. */
static const admit_fn admit_fns[SPOD_OPS_COUNT] = {
    [SPOD_SLOT_KEY_GENERATE] = admit_generate,
    [SPOD_SLOT_KEY_PUBLIC] = admit_key,
    [SPOD_SLOT_KEY_DELETE] = admit_key,
    [SPOD_SLOT_KEY_LIST] = admit_list,
    [SPOD_SLOT_SIGN] = admit_sign,
    [SPOD_SLOT_SIGN_BATCH] = admit_sign,
    [SPOD_SLOT_SIGN_TX] = admit_sign_tx,
    [SPOD_SLOT_ATTEST] = admit_attest,
    [SPOD_SLOT_KEY_IMPORT] = admit_envelope,
    [SPOD_SLOT_CUSTODIAN_SHARE] = admit_envelope,
    [SPOD_SLOT_POLICY_SET] = admit_policy_set,
    [SPOD_SLOT_POLICY_GET] = admit_key,
    [SPOD_SLOT_AUDIT_HEAD] = admit_audit_head,
};

/*
 * audit-rate: a request let through costs one token of the audit bucket per audit record it
 * will cause (n for a sign.batch of n items). A batch larger than the bucket never fits.
 */
static int take_audit_rate(struct host_client *cl, struct host_audit **audit, const char **what)
{
	static char text[120];
	struct host_token *t = cl->tok;
	uint32_t n = (*audit)->n > 1 ? (*audit)->n : 1;
	int rc = SPOD_OK;

	if (n > t->scopes.audit_rate && t->scopes.audit_rate != 0) {
		snprintf(text, sizeof(text), "%s of %u items exceeds the token's audit-rate %u",
		         spod_wire_op_name((*audit)->opcode), n, t->scopes.audit_rate);
		*what = text;
		rc = SPOD_E_FORBIDDEN;
	} else if (spod_auth_bucket_take_n(&t->audit_bucket, host_now_ns(), n) < 0) {
		*what = "token over its audit-rate";
		rc = SPOD_E_RATE_LIMITED;
	}
	if (rc < 0) {
		host_audit_free(cl->h, *audit);
		*audit = NULL;
	}
	return rc;
}

/* "token lacks the 'sign' op"; the event loop is the only caller, so one buffer serves. */
static const char *lacks(uint32_t need)
{
	static char text[64];
	const char *name = spod_auth_op_name(need);

	snprintf(text, sizeof(text), "token lacks the '%s' op", name != NULL ? name : "?");
	return text;
}

int host_admit(struct host_client *cl, const struct spod_frame *f, struct host_audit **audit,
               const char **what)
{
	const struct spod_op_def *op = spod_wire_op(f->hdr.opcode);
	struct host_token *t = cl->tok;
	int rc;

	*audit = NULL;
	*what = "request";
	if (t == NULL) {
		if (f->hdr.opcode == SPOD_OP_HELLO)
			return host_token_hello(cl, f, what);
		*what = "the first request on a connection must be hello";
		return SPOD_E_UNAUTHENTICATED;
	}
	if (f->hdr.opcode == SPOD_OP_HELLO) {
		*what = "hello: connection already authenticated";
		return SPOD_E_BAD_ARG;
	}
	if (host_token_usable(t) < 0) {
		*what = t->revoked ? "token revoked" : "token expired";
		return SPOD_E_UNAUTHENTICATED;
	}
	if (op == NULL)
		return SPOD_E_UNKNOWN_OP;
	if (op->need == SPOD_OPS_HOST_ONLY) {
		*what = "spod-host sends this request itself; no token may";
		return SPOD_E_FORBIDDEN;
	}
	/* The op here; each key the request names in its admit_fn. */
	if (op->need != 0 && (t->scopes.ops & (op->need | SPOD_AUTH_OP_ADMIN)) == 0) {
		*what = lacks(op->need);
		return SPOD_E_FORBIDDEN;
	}
	if (spod_auth_bucket_take(&t->bucket, host_now_ns()) < 0) {
		*what = "token over its rate";
		return SPOD_E_RATE_LIMITED;
	}
	rc = admit_fns[op->slot] != NULL ? admit_fns[op->slot](cl, f, audit, what) : SPOD_OK;
	if (rc == SPOD_OK && *audit != NULL)
		rc = take_audit_rate(cl, audit, what);
	return rc;
}
