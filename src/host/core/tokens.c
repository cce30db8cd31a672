/*
 * API tokens as spod-host holds them while connections use them (docs/auth.md): the cache of
 * token records, found by hash at hello and re-read every HOST_REFRESH_MS so a revocation
 * reaches open connections, and the hello that authenticates a connection.
 *
 * An entry lives while its token can still be used (its rate buckets and keys-max count must
 * survive reconnections) and, after it is revoked or expired, until nothing points to it:
 * no connection (refs, cl->tok) and no key request in flight (keys_pending, audit->creator).
 * The refresh frees it then, so minting and revoking tokens does not grow the host.
 */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "host/core/host_int.h"

/* Copies a stored record's state into t. Returns SPOD_OK or UNAUTHENTICATED (bad scopes). */
static int token_load(struct host_token *t, const struct spod_store_token *rec)
{
	const char *why = NULL;
	int rc = spod_auth_scopes_parse(&t->scopes, &why, rec->scopes, strlen(rec->scopes));

	if (rc < 0) {
		spod_error("token record has unusable scopes (%s); refusing it", why);
		return SPOD_E_UNAUTHENTICATED;
	}
	t->expires_ms = rec->expires_ms;
	t->revoked = rec->revoked_ms != 0;
	t->has_labels = 0;
	for (size_t i = 0; i < t->scopes.nkeys; i++)
		if (t->scopes.keys[i].kind == SPOD_AUTH_KEY_LABEL)
			t->has_labels = 1;
	return SPOD_OK;
}

int host_token_get(struct spod_host *h, struct host_token **out,
                   const uint8_t hash[SPOD_STORE_HASH_BYTES])
{
	struct spod_store_token rec;
	struct host_token *t;
	int rc;

	*out = NULL;
	rc = spod_store_token_find_hash(h->store, &rec, hash);
	if (rc == SPOD_E_KEY_NOT_FOUND)
		return SPOD_E_UNAUTHENTICATED;
	if (rc < 0)
		return rc;
	for (t = h->tokens; t != NULL; t = t->next)
		if (spod_auth_hash_equal(t->hash, hash))
			break;
	if (t == NULL) {
		/* Nothing to cache for a token that can no longer be used. */
		if (spod_auth_token_valid(rec.expires_ms, rec.revoked_ms != 0, host_wall_ms()) < 0)
			return SPOD_E_UNAUTHENTICATED;
		t = calloc(1, sizeof(*t));
		if (t == NULL)
			return SPOD_E_NOMEM;
		memcpy(t->id, rec.id, sizeof(t->id));
		memcpy(t->hash, hash, sizeof(t->hash));
		rc = token_load(t, &rec);
		if (rc < 0) {
			free(t);
			return rc;
		}
		/* Kept while the token is valid, so reconnecting does not refill the buckets
		 * (nor forget the token's key requests in flight), and after that while a
		 * connection or an audit points to it (host_tokens_refresh). */
		spod_auth_bucket_init(&t->bucket, t->scopes.rate_per_s, host_now_ns());
		spod_auth_bucket_init(&t->audit_bucket, t->scopes.audit_rate, host_now_ns());
		t->next = h->tokens;
		h->tokens = t;
		h->ntokens++;
		host_metrics_set(&h->metrics.tokens_cached, h->ntokens);
	} else {
		SPOD_TRY(token_load(t, &rec));
	}
	*out = t;
	return SPOD_OK;
}

int host_token_usable(const struct host_token *t)
{
	return spod_auth_token_valid(t->expires_ms, t->revoked, host_wall_ms());
}

/* Re-reads t's record. Returns SPOD_OK, or an error of the store (t unchanged). */
static int token_reread(struct spod_host *h, struct host_token *t)
{
	struct spod_store_token rec;
	int rc;

	if (t->revoked)
		return SPOD_OK; /* revocation is final */
	rc = spod_store_token_find_hash(h->store, &rec, t->hash);
	if (rc == SPOD_E_KEY_NOT_FOUND)
		t->revoked = 1;
	else if (rc < 0)
		return rc;
	else if (token_load(t, &rec) < 0)
		t->revoked = 1;
	return SPOD_OK;
}

/* 1 when t can never be used again and nothing refers to it: it may be freed. */
static int token_droppable(const struct host_token *t)
{
	return t->refs == 0 && t->keys_pending == 0 && host_token_usable(t) < 0;
}

void host_tokens_refresh(struct spod_host *h)
{
	struct host_token **p = &h->tokens;
	int stale = 0;

	while (*p != NULL) {
		struct host_token *t = *p;

		if (!stale && token_reread(h, t) < 0) {
			/* Keep the last known state; the next round tries again. */
			spod_warn("cannot re-read token records: %s",
			          spod_store_last_error(h->store));
			stale = 1;
		}
		if (token_droppable(t)) {
			*p = t->next;
			free(t);
			h->ntokens--;
			continue;
		}
		p = &t->next;
	}
	host_metrics_set(&h->metrics.tokens_cached, h->ntokens);
}

void host_tokens_free(struct spod_host *h)
{
	while (h->tokens != NULL) {
		struct host_token *t = h->tokens;
		h->tokens = t->next;
		free(t);
	}
	h->ntokens = 0;
}

/*
 * The operations a token may use, as the hello answer reports them: an admin token may use
 * every operation, so all bits are set for it (docs/protocol.md, hello).
 */
static uint32_t hello_ops(const struct host_token *t)
{
	return (t->scopes.ops & SPOD_AUTH_OP_ADMIN) ? SPOD_AUTH_OPS_ALL : t->scopes.ops;
}

int host_token_hello(struct host_client *cl, const struct spod_frame *f, const char **what)
{
	struct spod_host *h = cl->h;
	uint8_t hash[SPOD_STORE_HASH_BYTES];
	struct spod_hello_req req;
	struct host_token *t;
	uint8_t *out;
	size_t len;
	int rc;

	*what = "hello";
	SPOD_TRY(spod_wire_hello_req(&req, f));
	if (spod_auth_token_hash(hash, req.token, req.token_len) < 0) {
		*what = "hello: not a spod API token";
		return SPOD_E_UNAUTHENTICATED;
	}
	rc = host_token_get(h, &t, hash);
	if (rc == SPOD_E_UNAVAILABLE || rc == SPOD_E_IO) {
		*what = "hello: token store unavailable";
		return rc;
	}
	if (rc < 0 || host_token_usable(t) < 0) {
		*what = "hello";
		return SPOD_E_UNAUTHENTICATED;
	}
	out = spod_conn_tx_reserve(&cl->c, ERR_FRAME_MAX);
	if (out == NULL)
		return SPOD_E_BUSY; /* cannot happen: the credit covers an error frame */
	SPOD_TRY(spod_wire_put_hello(out, ERR_FRAME_MAX, &len, f->hdr.request_id, t->id,
	                             SPOD_HELLO_AUTH, hello_ops(t)));
	spod_conn_tx_commit(&cl->c, len);
	host_client_mark_dirty(cl);
	cl->tok = t;
	t->refs++;
	host_client_unauth_remove(cl); /* past the hello deadline and the displacement rules */
	host_answer_count(h, SPOD_OP_HELLO, SPOD_OK);
	return HOST_HANDLED;
}
