/*
 * Signed evidence and signed heads in the store (store.h, docs/evidence.md): the one commit
 * that writes keys, audit records and evidence together, the evidence keys and heads, and the
 * walks `spod audit verify` reads them back with. The Merkle tree and its proofs come from
 * src/evidence, so what is stored here and what the verifier checks cannot drift.
 */
#include <stdlib.h>
#include <string.h>

#include "evidence/evidence.h"
#include "spod/err.h"
#include "host/store/store_int.h"

/* Binds a blob of n bytes; a zero-length one stays an empty blob, never NULL. */
static int bind_blob(sqlite3_stmt *st, int i, const uint8_t *p, size_t n)
{
	static const uint8_t empty[1];

	return sqlite3_bind_blob(st, i, n > 0 ? (const void *)p : (const void *)empty, (int)n,
	                         SQLITE_STATIC);
}

static int ev_check(struct spod_store *s, const struct spod_store_evidence *ev, size_t i)
{
	if (ev->pub == NULL || ev->sig == NULL || ev->records == NULL || ev->count == 0 ||
	    ev->count > SPOD_EVIDENCE_BATCH_MAX || ev->first == 0 ||
	    ev->first > (uint64_t)INT64_MAX - ev->count)
		return store_error(s, SPOD_E_BAD_ARG, "evidence batch %zu out of range", i + 1);
	return SPOD_OK;
}

/*
 * Inserts one batch inside the caller's transaction: its root row, then each record with its
 * proof. tree has room for spod_evidence_tree_hashes(SPOD_EVIDENCE_BATCH_MAX) hashes.
 */
static int ev_insert(struct spod_store *s, const struct spod_store_evidence *ev, uint8_t *tree)
{
	uint8_t proof[SPOD_EVIDENCE_PROOF_MAX * 32];
	const uint8_t *root;
	sqlite3_stmt *st;
	int64_t root_id;
	size_t plen;
	int rc;

	for (uint32_t i = 0; i < ev->count; i++)
		spod_evidence_leaf(tree + (size_t)i * 32,
		                   ev->records + (size_t)i * SPOD_EVIDENCE_RECORD_BYTES);
	if (spod_evidence_tree_build(tree, ev->count) < 0)
		return store_error(s, SPOD_E_BAD_ARG, "evidence tree of %u records", ev->count);
	root = tree + (spod_evidence_tree_hashes(ev->count) - 1) * 32;
	st = store_stmt(s, ST_EV_ROOT_PUT);
	if ((rc = sqlite3_bind_blob(st, 1, ev->pub, 32, SQLITE_STATIC)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 2, (int64_t)ev->first)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 3, ev->count)) != SQLITE_OK ||
	    (rc = sqlite3_bind_blob(st, 4, root, 32, SQLITE_STATIC)) != SQLITE_OK ||
	    (rc = sqlite3_bind_blob(st, 5, ev->sig, 64, SQLITE_STATIC)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 6, ev->time_ms)) != SQLITE_OK)
		return store_fail(s, rc, "bind evidence root");
	SPOD_TRY(store_step_done(s, st, "insert evidence root"));
	root_id = sqlite3_last_insert_rowid(s->db);
	for (uint32_t i = 0; i < ev->count; i++) {
		if (spod_evidence_tree_proof(proof, &plen, tree, ev->count, i) < 0)
			return store_error(s, SPOD_E_INTERNAL, "evidence proof %u of %u", i,
			                   ev->count);
		st = store_stmt(s, ST_EV_REC_PUT);
		if ((rc = sqlite3_bind_blob(st, 1, ev->pub, 32, SQLITE_STATIC)) != SQLITE_OK ||
		    (rc = sqlite3_bind_int64(st, 2, (int64_t)(ev->first + i))) != SQLITE_OK ||
		    (rc = sqlite3_bind_int64(st, 3, root_id)) != SQLITE_OK ||
		    (rc = sqlite3_bind_int64(st, 4, i)) != SQLITE_OK ||
		    (rc = sqlite3_bind_blob(
		         st, 5, ev->records + (size_t)i * SPOD_EVIDENCE_RECORD_BYTES,
		         SPOD_EVIDENCE_RECORD_BYTES, SQLITE_STATIC)) != SQLITE_OK ||
		    (rc = bind_blob(st, 6, proof, plen * 32)) != SQLITE_OK)
			return store_fail(s, rc, "bind evidence record");
		SPOD_TRY(store_step_done(s, st, "insert evidence record"));
	}
	return SPOD_OK;
}

int spod_store_commit_all(struct spod_store *s, const struct spod_store_sealed *keys, size_t nkeys,
                          const struct spod_audit_rec *recs, size_t n,
                          const struct spod_store_evidence *ev, size_t nev)
{
	int err;

	s->err[0] = '\0';
	if (n == 0 && nkeys == 0 && nev == 0)
		return SPOD_OK;
	SPOD_TRY(store_audit_check(s, recs, n));
	for (size_t i = 0; i < nev; i++)
		SPOD_TRY(ev_check(s, &ev[i], i));
	/* Made once and kept with the store: no allocation per commit. */
	if (nev > 0 && s->ev_tree == NULL) {
		s->ev_tree = malloc(spod_evidence_tree_hashes(SPOD_EVIDENCE_BATCH_MAX) * 32);
		if (s->ev_tree == NULL)
			return store_error(s, SPOD_E_NOMEM, "evidence tree: out of memory");
	}
	SPOD_GUARD(err, store_begin(s));
	for (size_t i = 0; i < nkeys; i++)
		SPOD_GUARD(
		    err, store_key_insert_sealed(s, &keys[i].key, keys[i].blob, keys[i].blob_len));
	SPOD_GUARD(err, store_audit_insert(s, recs, n));
	for (size_t i = 0; i < nev; i++)
		SPOD_GUARD(err, ev_insert(s, &ev[i], s->ev_tree));
	err = store_commit(s);
out:
	if (err < 0)
		store_rollback(s);
	return err;
}

/* One statement in its own transaction (the cached statement is reset by store_stmt). */
static int put_one(struct spod_store *s, sqlite3_stmt *st, const char *what)
{
	int err;

	SPOD_TRY(store_begin(s));
	SPOD_GUARD(err, store_step_done(s, st, what));
	err = store_commit(s);
out:
	if (err < 0)
		store_rollback(s);
	return err;
}

int spod_store_evidence_key_put(struct spod_store *s, const uint8_t pub[32], const uint8_t *doc,
                                size_t doc_len, int64_t time_ms)
{
	sqlite3_stmt *st;
	int rc;

	s->err[0] = '\0';
	if (doc_len == 0 || doc_len > SPOD_DOC_MAX_BYTES)
		return store_error(s, SPOD_E_BAD_ARG, "attestation document of %zu bytes", doc_len);
	st = store_stmt(s, ST_EV_KEY_PUT);
	if ((rc = sqlite3_bind_blob(st, 1, pub, 32, SQLITE_STATIC)) != SQLITE_OK ||
	    (rc = sqlite3_bind_blob(st, 2, doc, (int)doc_len, SQLITE_STATIC)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 3, time_ms)) != SQLITE_OK)
		return store_fail(s, rc, "bind evidence key");
	return put_one(s, st, "insert evidence key");
}

int spod_store_head_put(struct spod_store *s, const struct spod_store_head *h)
{
	sqlite3_stmt *st;
	int rc;

	s->err[0] = '\0';
	if (h->nonce_len > SPOD_EVIDENCE_NONCE_MAX || h->seq > (uint64_t)INT64_MAX ||
	    h->counter > (uint64_t)INT64_MAX)
		return store_error(s, SPOD_E_BAD_ARG, "signed head out of range");
	st = store_stmt(s, ST_EV_HEAD_PUT);
	if ((rc = sqlite3_bind_blob(st, 1, h->pub, 32, SQLITE_STATIC)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 2, (int64_t)h->seq)) != SQLITE_OK ||
	    (rc = sqlite3_bind_blob(st, 3, h->hash, 32, SQLITE_STATIC)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 4, (int64_t)h->counter)) != SQLITE_OK ||
	    (rc = bind_blob(st, 5, h->nonce, h->nonce_len)) != SQLITE_OK ||
	    (rc = sqlite3_bind_blob(st, 6, h->sig, 64, SQLITE_STATIC)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 7, h->time_ms)) != SQLITE_OK)
		return store_fail(s, rc, "bind signed head");
	return put_one(s, st, "insert signed head");
}

/* A blob column of exactly n bytes (n 0: any length up to max), else NULL. */
static const uint8_t *col_blob(sqlite3_stmt *st, int i, size_t n, size_t max, size_t *len)
{
	const uint8_t *p = sqlite3_column_blob(st, i);
	size_t got = (size_t)sqlite3_column_bytes(st, i);
	static const uint8_t empty[1];

	if (len != NULL)
		*len = got;
	if (n > 0 ? got != n : got > max)
		return NULL;
	return p != NULL ? p : empty;
}

/* The row readers: fill the struct from the row; SPOD_E_IO when a column does not fit it. */
static int row_key(void *out, sqlite3_stmt *st)
{
	struct spod_store_evkey *k = out;

	k->pub = col_blob(st, 0, 32, 0, NULL);
	k->doc = col_blob(st, 1, 0, SPOD_DOC_MAX_BYTES, &k->doc_len);
	k->first_seen_ms = sqlite3_column_int64(st, 2);
	return k->pub && k->doc ? SPOD_OK : SPOD_E_IO;
}

static int row_root(void *out, sqlite3_stmt *st)
{
	struct spod_store_evroot *r = out;
	int64_t first = sqlite3_column_int64(st, 2), count = sqlite3_column_int64(st, 3);

	r->id = sqlite3_column_int64(st, 0);
	r->pub = col_blob(st, 1, 32, 0, NULL);
	r->first = (uint64_t)first;
	r->count = (uint32_t)count;
	r->root = col_blob(st, 4, 32, 0, NULL);
	r->sig = col_blob(st, 5, 64, 0, NULL);
	r->time_ms = sqlite3_column_int64(st, 6);
	if (!r->pub || !r->root || !r->sig || first < 1 || count < 1 ||
	    count > SPOD_EVIDENCE_BATCH_MAX)
		return SPOD_E_IO;
	return SPOD_OK;
}

static int row_rec(void *out, sqlite3_stmt *st)
{
	struct spod_store_evrec *e = out;
	int64_t counter = sqlite3_column_int64(st, 1), idx = sqlite3_column_int64(st, 3);

	e->pub = col_blob(st, 0, 32, 0, NULL);
	e->counter = (uint64_t)counter;
	e->root_id = sqlite3_column_int64(st, 2);
	e->idx = (uint32_t)idx;
	e->record = col_blob(st, 4, SPOD_EVIDENCE_RECORD_BYTES, 0, NULL);
	e->proof = col_blob(st, 5, 0, SPOD_EVIDENCE_PROOF_MAX * 32, &e->proof_len);
	if (!e->pub || !e->record || !e->proof || e->proof_len % 32 != 0 || counter < 1 ||
	    idx < 0 || idx >= SPOD_EVIDENCE_BATCH_MAX)
		return SPOD_E_IO;
	return SPOD_OK;
}

static int row_head(void *out, sqlite3_stmt *st)
{
	struct spod_store_head *h = out;
	const uint8_t *pub = col_blob(st, 0, 32, 0, NULL), *hash = col_blob(st, 2, 32, 0, NULL);
	const uint8_t *sig = col_blob(st, 5, 64, 0, NULL);
	size_t nlen;
	const uint8_t *nonce = col_blob(st, 4, 0, SPOD_EVIDENCE_NONCE_MAX, &nlen);
	int64_t seq = sqlite3_column_int64(st, 1);

	memset(h, 0, sizeof *h);
	if (!pub || !hash || !sig || !nonce || seq < 0)
		return SPOD_E_IO;
	memcpy(h->pub, pub, 32);
	h->seq = (uint64_t)seq;
	memcpy(h->hash, hash, 32);
	h->counter = (uint64_t)sqlite3_column_int64(st, 3);
	memcpy(h->nonce, nonce, nlen);
	h->nonce_len = (uint8_t)nlen;
	memcpy(h->sig, sig, 64);
	h->time_ms = sqlite3_column_int64(st, 6);
	return SPOD_OK;
}

/* A walk's callback and context, and its row struct filled per row. */
struct walk_cb {
	void *ctx;
	int (*key)(void *ctx, const struct spod_store_evkey *k);
	int (*root)(void *ctx, const struct spod_store_evroot *r);
	int (*rec)(void *ctx, const struct spod_store_evrec *e);
	int (*head)(void *ctx, const struct spod_store_head *h);
};

/* Fills the walk's row struct from st and calls its callback; SPOD_E_IO for a bad row. */
static int visit(const struct walk_cb *w, sqlite3_stmt *st)
{
	union {
		struct spod_store_evkey k;
		struct spod_store_evroot r;
		struct spod_store_evrec e;
		struct spod_store_head h;
	} u;

	if (w->key)
		return row_key(&u.k, st) < 0 ? SPOD_E_IO : w->key(w->ctx, &u.k);
	if (w->root)
		return row_root(&u.r, st) < 0 ? SPOD_E_IO : w->root(w->ctx, &u.r);
	if (w->rec)
		return row_rec(&u.e, st) < 0 ? SPOD_E_IO : w->rec(w->ctx, &u.e);
	return row_head(&u.h, st) < 0 ? SPOD_E_IO : w->head(w->ctx, &u.h);
}

/*
 * Runs sql (read-only; prepared per walk: these are the CLI's, not spod-host's hot path) in
 * one read transaction, visiting each row.
 */
static int walk(struct spod_store *s, const char *sql, const char *what, const struct walk_cb *w)
{
	sqlite3_stmt *st = NULL;
	int rc, err;

	s->err[0] = '\0';
	SPOD_TRY(store_begin_read(s));
	rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		err = store_fail(s, rc, what);
		goto out;
	}
	err = SPOD_OK;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		err = visit(w, st);
		if (err == SPOD_E_IO && s->err[0] == '\0')
			store_error(s, SPOD_E_IO, "%s: malformed row", what);
		if (err < 0)
			goto out;
	}
	if (rc != SQLITE_DONE)
		err = store_fail(s, rc, what);
out:
	sqlite3_finalize(st);
	if (err < 0)
		store_rollback(s);
	else
		err = store_commit(s);
	return err;
}

int spod_store_evidence_keys(struct spod_store *s,
                             int (*cb)(void *ctx, const struct spod_store_evkey *k), void *ctx)
{
	struct walk_cb w = {.ctx = ctx, .key = cb};

	return walk(s, "SELECT pub, doc, first_seen_ms FROM evidence_keys ORDER BY rowid",
	            "read evidence keys", &w);
}

int spod_store_evidence_roots(struct spod_store *s,
                              int (*cb)(void *ctx, const struct spod_store_evroot *r), void *ctx)
{
	struct walk_cb w = {.ctx = ctx, .root = cb};

	return walk(s,
	            "SELECT id, pub, first, count, root, sig, time_ms FROM evidence_roots"
	            " ORDER BY id",
	            "read evidence roots", &w);
}

int spod_store_evidence_records(struct spod_store *s,
                                int (*cb)(void *ctx, const struct spod_store_evrec *e), void *ctx)
{
	struct walk_cb w = {.ctx = ctx, .rec = cb};

	return walk(s,
	            "SELECT pub, counter, root_id, idx, record, proof FROM evidence"
	            " ORDER BY pub, counter",
	            "read evidence records", &w);
}

int spod_store_heads(struct spod_store *s, int (*cb)(void *ctx, const struct spod_store_head *h),
                     void *ctx)
{
	struct walk_cb w = {.ctx = ctx, .head = cb};

	return walk(s,
	            "SELECT pub, seq, hash, counter, nonce, sig, time_ms FROM audit_heads"
	            " ORDER BY id",
	            "read signed heads", &w);
}

int spod_store_audit_hash_at(struct spod_store *s, uint64_t seq,
                             uint8_t hash[static SPOD_STORE_HASH_BYTES])
{
	sqlite3_stmt *st = store_stmt(s, ST_AUDIT_HASH_AT);
	int rc, err = 0;

	s->err[0] = '\0';
	memset(hash, 0, SPOD_STORE_HASH_BYTES);
	if (seq > (uint64_t)INT64_MAX)
		return 0;
	if ((rc = sqlite3_bind_int64(st, 1, (int64_t)seq)) != SQLITE_OK)
		return store_fail(s, rc, "bind seq");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const uint8_t *p = col_blob(st, 0, SPOD_STORE_HASH_BYTES, 0, NULL);
		if (p == NULL) {
			err = store_error(s, SPOD_E_IO, "audit record %llu: malformed hash",
			                  (unsigned long long)seq);
		} else {
			memcpy(hash, p, SPOD_STORE_HASH_BYTES);
			err = 1;
		}
	} else if (rc != SQLITE_DONE) {
		err = store_fail(s, rc, "read audit hash");
	}
	sqlite3_reset(st);
	return err;
}
