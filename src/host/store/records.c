/* Key metadata and token records. */
#include <stdint.h>
#include <string.h>

#include "spod/err.h"
#include "host/store/store_int.h"

/* Binds an optional time: 0 becomes NULL. */
static int bind_opt_ms(sqlite3_stmt *st, int col, int64_t ms)
{
	return ms == 0 ? sqlite3_bind_null(st, col) : sqlite3_bind_int64(st, col, ms);
}

/* Copies a text column into dst (cap bytes with the NUL); NULL becomes "". */
static int column_text(char *dst, size_t cap, sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	size_t n = (size_t)sqlite3_column_bytes(st, col);

	if (t == NULL) {
		dst[0] = '\0';
		return SPOD_OK;
	}
	if (n >= cap || memchr(t, '\0', n) != NULL)
		return SPOD_E_IO;
	memcpy(dst, t, n);
	dst[n] = '\0';
	return SPOD_OK;
}

/* Copies a blob column of exactly n bytes. */
static int column_fixed(uint8_t *dst, size_t n, sqlite3_stmt *st, int col)
{
	const void *b = sqlite3_column_blob(st, col);

	if (b == NULL || (size_t)sqlite3_column_bytes(st, col) != n)
		return SPOD_E_IO;
	memcpy(dst, b, n);
	return SPOD_OK;
}

static int row_key(struct spod_store *s, struct spod_store_key *k, sqlite3_stmt *st)
{
	const void *pub = sqlite3_column_blob(st, 2);
	size_t pub_len = (size_t)sqlite3_column_bytes(st, 2);
	int64_t alg = sqlite3_column_int64(st, 1);

	memset(k, 0, sizeof *k);
	if (column_fixed(k->id, sizeof k->id, st, 0) < 0 || alg < 0 || alg > 255 || pub == NULL ||
	    pub_len == 0 || pub_len > sizeof k->public_key ||
	    column_text(k->label, sizeof k->label, st, 3) < 0) {
		memset(k, 0, sizeof *k);
		return store_error(s, SPOD_E_IO, "malformed row in table keys");
	}
	k->alg = (uint8_t)alg;
	memcpy(k->public_key, pub, pub_len);
	k->public_key_len = pub_len;
	k->created_ms = sqlite3_column_int64(st, 4);
	k->deleted_ms = sqlite3_column_int64(st, 5);
	k->lost_ms = sqlite3_column_int64(st, 6);
	if (sqlite3_column_type(st, 7) != SQLITE_NULL) {
		if (column_fixed(k->created_by, sizeof k->created_by, st, 7) < 0) {
			memset(k, 0, sizeof *k);
			return store_error(s, SPOD_E_IO, "malformed row in table keys");
		}
		k->has_creator = 1;
	}
	return SPOD_OK;
}

static int label_ok(const char *label, size_t cap)
{
	return strnlen(label, cap) < cap;
}

int spod_store_key_put(struct spod_store *s, const struct spod_store_key *k)
{
	sqlite3_stmt *st;
	int rc;

	s->err[0] = '\0';
	if (k->public_key_len == 0 || k->public_key_len > sizeof k->public_key ||
	    !label_ok(k->label, sizeof k->label) || k->created_ms <= 0 || k->deleted_ms < 0)
		return store_error(s, SPOD_E_BAD_ARG, "key record out of range");
	st = store_stmt(s, ST_KEY_PUT);
	if ((rc = sqlite3_bind_blob(st, 1, k->id, sizeof k->id, SQLITE_STATIC)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int(st, 2, k->alg)) != SQLITE_OK ||
	    (rc = sqlite3_bind_blob(st, 3, k->public_key, (int)k->public_key_len, SQLITE_STATIC)) !=
	        SQLITE_OK ||
	    (rc = k->label[0] ? sqlite3_bind_text(st, 4, k->label, -1, SQLITE_STATIC)
	                      : sqlite3_bind_null(st, 4)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 5, k->created_ms)) != SQLITE_OK ||
	    (rc = bind_opt_ms(st, 6, k->deleted_ms)) != SQLITE_OK ||
	    (rc = k->has_creator
	              ? sqlite3_bind_blob(st, 7, k->created_by, sizeof k->created_by, SQLITE_STATIC)
	              : sqlite3_bind_null(st, 7)) != SQLITE_OK)
		return store_fail(s, rc, "bind key");
	return store_step_done(s, st, "insert key");
}

int store_key_insert_sealed(struct spod_store *s, const struct spod_store_key *k,
                            const uint8_t *blob, size_t blob_len)
{
	sqlite3_stmt *st;
	int rc;

	if (blob_len == 0 || blob_len > SPOD_STORE_BLOB_MAX_BYTES)
		return store_error(s, SPOD_E_BAD_ARG, "sealed blob of %zu bytes", blob_len);
	SPOD_TRY(spod_store_key_put(s, k));
	st = store_stmt(s, ST_BLOB_PUT);
	if ((rc = sqlite3_bind_blob(st, 1, k->id, sizeof k->id, SQLITE_STATIC)) != SQLITE_OK ||
	    (rc = sqlite3_bind_blob(st, 2, blob, (int)blob_len, SQLITE_STATIC)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 3, k->created_ms)) != SQLITE_OK)
		return store_fail(s, rc, "bind sealed blob");
	return store_step_done(s, st, "insert sealed blob");
}

int spod_store_key_put_sealed(struct spod_store *s, const struct spod_store_key *k,
                              const uint8_t *blob, size_t blob_len)
{
	const struct spod_store_sealed one = {*k, blob, blob_len};

	return spod_store_commit_batch(s, &one, 1, NULL, 0);
}

int spod_store_key_replace_blob(struct spod_store *s, const uint8_t id[static SPOD_KEY_ID_BYTES],
                                const uint8_t *blob, size_t blob_len, int64_t time_ms)
{
	sqlite3_stmt *st;
	int rc, err;

	s->err[0] = '\0';
	if (blob_len == 0 || blob_len > SPOD_STORE_BLOB_MAX_BYTES)
		return store_error(s, SPOD_E_BAD_ARG, "sealed blob of %zu bytes", blob_len);
	SPOD_TRY(store_begin(s));
	st = store_stmt(s, ST_BLOB_REPLACE);
	if ((rc = sqlite3_bind_blob(st, 1, id, SPOD_KEY_ID_BYTES, SQLITE_STATIC)) != SQLITE_OK ||
	    (rc = sqlite3_bind_blob(st, 2, blob, (int)blob_len, SQLITE_STATIC)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 3, time_ms)) != SQLITE_OK) {
		err = store_fail(s, rc, "bind sealed blob");
		goto out;
	}
	SPOD_GUARD(err, store_step_done(s, st, "replace sealed blob"));
	if (sqlite3_changes(s->db) == 0) {
		err = store_error(s, SPOD_E_KEY_NOT_FOUND, "replace sealed blob: no such key");
		goto out;
	}
	err = store_commit(s);
out:
	if (err < 0)
		store_rollback(s);
	return err;
}

int spod_store_key_list_sealed(struct spod_store *s,
                               int (*cb)(void *ctx, const struct spod_store_key *k,
                                         const uint8_t *blob, size_t blob_len),
                               void *ctx)
{
	sqlite3_stmt *st = store_stmt(s, ST_KEY_LIST_SEALED);
	struct spod_store_key k;
	int rc, err = SPOD_OK;

	s->err[0] = '\0';
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const uint8_t *blob = sqlite3_column_blob(st, 8);
		size_t len = (size_t)sqlite3_column_bytes(st, 8);

		SPOD_GUARD(err, row_key(s, &k, st));
		if (len > SPOD_STORE_BLOB_MAX_BYTES) {
			err = store_error(s, SPOD_E_IO, "malformed row in table sealed_blobs");
			goto out;
		}
		SPOD_GUARD(err, cb(ctx, &k, len > 0 ? blob : NULL, len));
	}
	if (rc != SQLITE_DONE)
		err = store_fail(s, rc, "list sealed keys");
out:
	sqlite3_reset(st);
	return err;
}

/* Steps a single-row query and hands the row to fill; SPOD_E_KEY_NOT_FOUND without one. */
static int get_one(struct spod_store *s, sqlite3_stmt *st, const char *what, void *out,
                   int (*fill)(struct spod_store *, void *, sqlite3_stmt *))
{
	int rc = sqlite3_step(st);
	int err;

	if (rc == SQLITE_ROW)
		err = fill(s, out, st);
	else if (rc == SQLITE_DONE)
		err = store_error(s, SPOD_E_KEY_NOT_FOUND, "%s: no such record", what);
	else
		err = store_fail(s, rc, what);
	sqlite3_reset(st);
	return err;
}

static int fill_key(struct spod_store *s, void *out, sqlite3_stmt *st)
{
	return row_key(s, out, st);
}

int spod_store_key_get(struct spod_store *s, struct spod_store_key *out,
                       const uint8_t id[static SPOD_KEY_ID_BYTES])
{
	sqlite3_stmt *st = store_stmt(s, ST_KEY_GET);
	int rc;

	s->err[0] = '\0';
	rc = sqlite3_bind_blob(st, 1, id, SPOD_KEY_ID_BYTES, SQLITE_STATIC);
	if (rc != SQLITE_OK)
		return store_fail(s, rc, "bind key id");
	return get_one(s, st, "get key", out, fill_key);
}

int spod_store_key_find_label(struct spod_store *s, struct spod_store_key *out, const char *label)
{
	sqlite3_stmt *st = store_stmt(s, ST_KEY_FIND_LABEL);
	int rc;

	s->err[0] = '\0';
	if (label[0] == '\0' || !label_ok(label, SPOD_STORE_LABEL_MAX_BYTES + 1))
		return store_error(s, SPOD_E_BAD_ARG, "label empty or too long");
	rc = sqlite3_bind_text(st, 1, label, -1, SQLITE_STATIC);
	if (rc != SQLITE_OK)
		return store_fail(s, rc, "bind label");
	return get_one(s, st, "find key by label", out, fill_key);
}

int spod_store_key_list(struct spod_store *s, enum spod_store_keys which,
                        int (*cb)(void *ctx, const struct spod_store_key *k), void *ctx)
{
	sqlite3_stmt *st = store_stmt(s, which == SPOD_STORE_KEYS_ALL    ? ST_KEY_LIST_ALL
	                                 : which == SPOD_STORE_KEYS_HELD ? ST_KEY_LIST_HELD
	                                                                 : ST_KEY_LIST_LIVE);
	struct spod_store_key k;
	int rc, err = SPOD_OK;

	s->err[0] = '\0';
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		SPOD_GUARD(err, row_key(s, &k, st));
		SPOD_GUARD(err, cb(ctx, &k));
	}
	if (rc != SQLITE_DONE)
		err = store_fail(s, rc, "list keys");
out:
	sqlite3_reset(st);
	return err;
}

int spod_store_key_count_created(struct spod_store *s, uint64_t *n,
                                 const uint8_t token_id[static SPOD_STORE_TOKEN_ID_BYTES])
{
	sqlite3_stmt *st = store_stmt(s, ST_KEY_COUNT_CREATED);
	int rc;

	s->err[0] = '\0';
	*n = 0;
	rc = sqlite3_bind_blob(st, 1, token_id, SPOD_STORE_TOKEN_ID_BYTES, SQLITE_STATIC);
	if (rc != SQLITE_OK)
		return store_fail(s, rc, "bind token id");
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		rc = store_fail(s, rc, "count a token's keys");
		sqlite3_reset(st);
		return rc;
	}
	*n = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return SPOD_OK;
}

/* Runs an UPDATE on one id; SPOD_E_KEY_NOT_FOUND when it changed no row. */
static int update_one(struct spod_store *s, sqlite3_stmt *st, const char *what)
{
	SPOD_TRY(store_step_done(s, st, what));
	if (sqlite3_changes(s->db) == 0)
		return store_error(s, SPOD_E_KEY_NOT_FOUND, "%s: no such record", what);
	return SPOD_OK;
}

int spod_store_key_mark_deleted(struct spod_store *s, const uint8_t id[static SPOD_KEY_ID_BYTES],
                                int64_t time_ms)
{
	sqlite3_stmt *st = store_stmt(s, ST_KEY_DELETE);
	int rc;

	s->err[0] = '\0';
	if (time_ms <= 0)
		return store_error(s, SPOD_E_BAD_ARG, "deletion time out of range");
	if ((rc = sqlite3_bind_blob(st, 1, id, SPOD_KEY_ID_BYTES, SQLITE_STATIC)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 2, time_ms)) != SQLITE_OK)
		return store_fail(s, rc, "bind key id");
	return update_one(s, st, "delete key");
}

int spod_store_key_mark_lost(struct spod_store *s, const uint8_t id[static SPOD_KEY_ID_BYTES],
                             int64_t time_ms)
{
	sqlite3_stmt *st = store_stmt(s, ST_KEY_LOSE);
	int rc;

	s->err[0] = '\0';
	if (time_ms <= 0)
		return store_error(s, SPOD_E_BAD_ARG, "time out of range");
	if ((rc = sqlite3_bind_blob(st, 1, id, SPOD_KEY_ID_BYTES, SQLITE_STATIC)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 2, time_ms)) != SQLITE_OK)
		return store_fail(s, rc, "bind key id");
	return update_one(s, st, "mark key lost");
}

int spod_store_key_mark_found(struct spod_store *s, const uint8_t id[static SPOD_KEY_ID_BYTES])
{
	sqlite3_stmt *st = store_stmt(s, ST_KEY_FIND);
	int rc;

	s->err[0] = '\0';
	if ((rc = sqlite3_bind_blob(st, 1, id, SPOD_KEY_ID_BYTES, SQLITE_STATIC)) != SQLITE_OK)
		return store_fail(s, rc, "bind key id");
	return update_one(s, st, "mark key found");
}

int spod_store_setting_get(struct spod_store *s, const char *name, uint8_t *value, size_t cap,
                           size_t *len)
{
	sqlite3_stmt *st = store_stmt(s, ST_SETTING_GET);
	const void *b;
	size_t n;
	int rc;

	s->err[0] = '\0';
	*len = 0;
	if ((rc = sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC)) != SQLITE_OK)
		return store_fail(s, rc, "bind setting name");
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return 0;
	}
	if (rc != SQLITE_ROW) {
		rc = store_fail(s, rc, "read setting");
		sqlite3_reset(st);
		return rc;
	}
	b = sqlite3_column_blob(st, 0);
	n = (size_t)sqlite3_column_bytes(st, 0);
	if (b == NULL || n == 0 || n > cap) {
		sqlite3_reset(st);
		return store_error(s, SPOD_E_IO, "setting %s: a stored value of %zu bytes", name,
		                   n);
	}
	memcpy(value, b, n);
	*len = n;
	sqlite3_reset(st);
	return 1;
}

int spod_store_setting_put(struct spod_store *s, const char *name, const uint8_t *value, size_t len,
                           int64_t time_ms)
{
	sqlite3_stmt *st = store_stmt(s, ST_SETTING_PUT);
	int rc;

	s->err[0] = '\0';
	if (len == 0 || len > SPOD_SETTING_MAX_BYTES)
		return store_error(s, SPOD_E_BAD_ARG, "setting %s: a value of %zu bytes", name,
		                   len);
	if ((rc = sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC)) != SQLITE_OK ||
	    (rc = sqlite3_bind_blob(st, 2, value, (int)len, SQLITE_STATIC)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 3, time_ms)) != SQLITE_OK)
		return store_fail(s, rc, "bind setting");
	return store_step_done(s, st, "write setting");
}

static int row_token(struct spod_store *s, struct spod_store_token *t, sqlite3_stmt *st)
{
	int64_t rate = sqlite3_column_int64(st, 6);

	memset(t, 0, sizeof *t);
	if (column_fixed(t->id, sizeof t->id, st, 0) < 0 ||
	    column_fixed(t->hash, sizeof t->hash, st, 1) < 0 ||
	    column_text(t->scopes, sizeof t->scopes, st, 2) < 0 || rate < 0 || rate > UINT32_MAX) {
		memset(t, 0, sizeof *t);
		return store_error(s, SPOD_E_IO, "malformed row in table tokens");
	}
	t->expires_ms = sqlite3_column_int64(st, 3);
	t->revoked_ms = sqlite3_column_int64(st, 4);
	t->created_ms = sqlite3_column_int64(st, 5);
	t->rate_per_s = (uint32_t)rate;
	return SPOD_OK;
}

static int fill_token(struct spod_store *s, void *out, sqlite3_stmt *st)
{
	return row_token(s, out, st);
}

int spod_store_token_insert(struct spod_store *s, const struct spod_store_token *t)
{
	sqlite3_stmt *st;
	int rc;

	s->err[0] = '\0';
	if (!label_ok(t->scopes, sizeof t->scopes) || t->created_ms <= 0 || t->expires_ms < 0 ||
	    t->revoked_ms < 0)
		return store_error(s, SPOD_E_BAD_ARG, "token record out of range");
	st = store_stmt(s, ST_TOKEN_INSERT);
	if ((rc = sqlite3_bind_blob(st, 1, t->id, sizeof t->id, SQLITE_STATIC)) != SQLITE_OK ||
	    (rc = sqlite3_bind_blob(st, 2, t->hash, sizeof t->hash, SQLITE_STATIC)) != SQLITE_OK ||
	    (rc = sqlite3_bind_text(st, 3, t->scopes, -1, SQLITE_STATIC)) != SQLITE_OK ||
	    (rc = bind_opt_ms(st, 4, t->expires_ms)) != SQLITE_OK ||
	    (rc = bind_opt_ms(st, 5, t->revoked_ms)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 6, t->created_ms)) != SQLITE_OK ||
	    (rc = bind_opt_ms(st, 7, t->rate_per_s)) != SQLITE_OK)
		return store_fail(s, rc, "bind token");
	return store_step_done(s, st, "insert token");
}

int spod_store_token_find_hash(struct spod_store *s, struct spod_store_token *out,
                               const uint8_t hash[static SPOD_STORE_HASH_BYTES])
{
	sqlite3_stmt *st = store_stmt(s, ST_TOKEN_FIND_HASH);
	int rc;

	s->err[0] = '\0';
	rc = sqlite3_bind_blob(st, 1, hash, SPOD_STORE_HASH_BYTES, SQLITE_STATIC);
	if (rc != SQLITE_OK)
		return store_fail(s, rc, "bind token hash");
	return get_one(s, st, "find token", out, fill_token);
}

int spod_store_token_list(struct spod_store *s,
                          int (*cb)(void *ctx, const struct spod_store_token *t), void *ctx)
{
	sqlite3_stmt *st = store_stmt(s, ST_TOKEN_LIST);
	struct spod_store_token t;
	int rc, err = SPOD_OK;

	s->err[0] = '\0';
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		SPOD_GUARD(err, row_token(s, &t, st));
		SPOD_GUARD(err, cb(ctx, &t));
	}
	if (rc != SQLITE_DONE)
		err = store_fail(s, rc, "list tokens");
out:
	sqlite3_reset(st);
	return err;
}

int spod_store_token_revoke(struct spod_store *s,
                            const uint8_t id[static SPOD_STORE_TOKEN_ID_BYTES], int64_t time_ms)
{
	sqlite3_stmt *st = store_stmt(s, ST_TOKEN_REVOKE);
	int rc;

	s->err[0] = '\0';
	if (time_ms <= 0)
		return store_error(s, SPOD_E_BAD_ARG, "revocation time out of range");
	if ((rc = sqlite3_bind_blob(st, 1, id, SPOD_STORE_TOKEN_ID_BYTES, SQLITE_STATIC)) !=
	        SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 2, time_ms)) != SQLITE_OK)
		return store_fail(s, rc, "bind token id");
	return update_one(s, st, "revoke token");
}
