/* The hash-chained audit log: canonical record encoding, batched appends, verify, tail. */
#include <string.h>

#include "common/bytes.h"
#include "crypto/hash.h"
#include "spod/err.h"
#include "host/store/store_int.h"

/* One record's fields with explicit lengths, as handed in or as read back from a row. */
struct audit_fields {
	uint64_t seq;
	int64_t time_ms;
	int32_t result;
	const uint8_t *kind, *key_id, *token_id, *digest, *detail;
	size_t kind_len, key_id_len, token_id_len, digest_len, detail_len;
};

struct audit_writer {
	uint8_t *p;
	size_t cap, off;
};

static void put_u32(struct audit_writer *w, uint32_t v)
{
	spod_put_le32(w->p + w->off, v);
	w->off += 4;
}

static void put_u64(struct audit_writer *w, uint64_t v)
{
	spod_put_le64(w->p + w->off, v);
	w->off += 8;
}

static void put_str(struct audit_writer *w, const uint8_t *b, size_t n)
{
	put_u32(w, (uint32_t)n);
	if (n > 0)
		memcpy(w->p + w->off, b, n);
	w->off += n;
}

static int encode_fields(uint8_t *buf, size_t cap, size_t *len, const struct audit_fields *f)
{
	struct audit_writer w = {buf, cap, 0};
	size_t need;

	*len = 0;
	if (f->kind_len == 0 || f->kind_len > SPOD_AUDIT_KIND_MAX_BYTES ||
	    (f->key_id_len != 0 && f->key_id_len != SPOD_KEY_ID_BYTES) ||
	    (f->token_id_len != 0 && f->token_id_len != SPOD_STORE_TOKEN_ID_BYTES) ||
	    f->digest_len > SPOD_AUDIT_DIGEST_MAX_BYTES ||
	    f->detail_len > SPOD_AUDIT_DETAIL_MAX_BYTES)
		return SPOD_E_BAD_ARG;
	need = 8 + 8 + 4 + 5 * 4 + f->kind_len + f->key_id_len + f->token_id_len + f->digest_len +
	       f->detail_len;
	if (need > cap)
		return SPOD_E_TOO_LARGE;
	put_u64(&w, f->seq);
	put_u64(&w, (uint64_t)f->time_ms);
	put_u32(&w, (uint32_t)f->result);
	put_str(&w, f->kind, f->kind_len);
	put_str(&w, f->key_id, f->key_id_len);
	put_str(&w, f->token_id, f->token_id_len);
	put_str(&w, f->digest, f->digest_len);
	put_str(&w, f->detail, f->detail_len);
	*len = w.off;
	return SPOD_OK;
}

/* Fills f from rec; SPOD_E_BAD_ARG when a string is too long to measure. */
static int rec_fields(struct audit_fields *f, uint64_t seq, const struct spod_audit_rec *rec)
{
	memset(f, 0, sizeof *f);
	f->seq = seq;
	f->time_ms = rec->time_ms;
	f->result = rec->result;
	if (rec->kind == NULL || (rec->digest == NULL && rec->digest_len != 0))
		return SPOD_E_BAD_ARG;
	f->kind = (const uint8_t *)rec->kind;
	f->kind_len = strnlen(rec->kind, SPOD_AUDIT_KIND_MAX_BYTES + 1);
	f->key_id = rec->key_id;
	f->key_id_len = rec->key_id ? SPOD_KEY_ID_BYTES : 0;
	f->token_id = rec->token_id;
	f->token_id_len = rec->token_id ? SPOD_STORE_TOKEN_ID_BYTES : 0;
	f->digest = rec->digest;
	f->digest_len = rec->digest_len;
	if (rec->detail != NULL) {
		f->detail = (const uint8_t *)rec->detail;
		f->detail_len = strnlen(rec->detail, SPOD_AUDIT_DETAIL_MAX_BYTES + 1);
	}
	return SPOD_OK;
}

static int hash_fields(uint8_t hash[static SPOD_STORE_HASH_BYTES],
                       const uint8_t prev_hash[static SPOD_STORE_HASH_BYTES],
                       const struct audit_fields *f)
{
	uint8_t buf[SPOD_STORE_HASH_BYTES + SPOD_AUDIT_ENC_MAX_BYTES];
	size_t len;

	memcpy(buf, prev_hash, SPOD_STORE_HASH_BYTES);
	SPOD_TRY(encode_fields(buf + SPOD_STORE_HASH_BYTES, sizeof buf - SPOD_STORE_HASH_BYTES,
	                       &len, f));
	/* libsodium's SHA-256: no context to allocate per record (EVP_Digest makes one) */
	spod_sha256(hash, buf, SPOD_STORE_HASH_BYTES + len);
	return SPOD_OK;
}

int spod_store_audit_encode(uint8_t *buf, size_t cap, size_t *len, uint64_t seq,
                            const struct spod_audit_rec *rec)
{
	struct audit_fields f;

	*len = 0;
	SPOD_TRY(rec_fields(&f, seq, rec));
	return encode_fields(buf, cap, len, &f);
}

int spod_store_audit_hash(uint8_t hash[static SPOD_STORE_HASH_BYTES],
                          const uint8_t prev_hash[static SPOD_STORE_HASH_BYTES], uint64_t seq,
                          const struct spod_audit_rec *rec)
{
	struct audit_fields f;

	SPOD_TRY(rec_fields(&f, seq, rec));
	return hash_fields(hash, prev_hash, &f);
}

/* Reads the head inside the caller's transaction (or its own implicit one). */
static int read_head(struct spod_store *s, uint64_t *seq,
                     uint8_t hash[static SPOD_STORE_HASH_BYTES])
{
	sqlite3_stmt *st = store_stmt(s, ST_AUDIT_HEAD);
	int rc = sqlite3_step(st);
	int err = SPOD_OK;

	*seq = 0;
	memset(hash, 0, SPOD_STORE_HASH_BYTES);
	if (rc == SQLITE_ROW) {
		int64_t v = sqlite3_column_int64(st, 0);
		const void *h = sqlite3_column_blob(st, 1);

		if (v <= 0 || h == NULL || sqlite3_column_bytes(st, 1) != SPOD_STORE_HASH_BYTES) {
			err = store_error(s, SPOD_E_IO, "newest audit record malformed");
		} else {
			*seq = (uint64_t)v;
			memcpy(hash, h, SPOD_STORE_HASH_BYTES);
		}
	} else if (rc != SQLITE_DONE) {
		err = store_fail(s, rc, "read audit head");
	}
	sqlite3_reset(st);
	/* Every record pruned: the chain goes on from the anchor, not from genesis. */
	if (err == SPOD_OK && rc == SQLITE_DONE) {
		int found = store_anchor_get(s, seq, hash);
		err = found < 0 ? found : SPOD_OK;
	}
	if (err < 0) {
		*seq = 0;
		memset(hash, 0, SPOD_STORE_HASH_BYTES);
	}
	return err;
}

int spod_store_audit_head(struct spod_store *s, uint64_t *seq,
                          uint8_t hash[static SPOD_STORE_HASH_BYTES])
{
	s->err[0] = '\0';
	return read_head(s, seq, hash);
}

static int bind_opt_blob(sqlite3_stmt *st, int col, const void *p, size_t n)
{
	return n == 0 ? sqlite3_bind_null(st, col)
	              : sqlite3_bind_blob(st, col, p, (int)n, SQLITE_STATIC);
}

static int insert_one(struct spod_store *s, const struct audit_fields *f,
                      const uint8_t prev[static SPOD_STORE_HASH_BYTES],
                      const uint8_t hash[static SPOD_STORE_HASH_BYTES])
{
	sqlite3_stmt *st = store_stmt(s, ST_AUDIT_INSERT);
	int rc;

	if ((rc = sqlite3_bind_int64(st, 1, (int64_t)f->seq)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 2, f->time_ms)) != SQLITE_OK ||
	    (rc = sqlite3_bind_text(st, 3, (const char *)f->kind, (int)f->kind_len,
	                            SQLITE_STATIC)) != SQLITE_OK ||
	    (rc = bind_opt_blob(st, 4, f->key_id, f->key_id_len)) != SQLITE_OK ||
	    (rc = bind_opt_blob(st, 5, f->token_id, f->token_id_len)) != SQLITE_OK ||
	    (rc = bind_opt_blob(st, 6, f->digest, f->digest_len)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int(st, 7, f->result)) != SQLITE_OK ||
	    (rc = f->detail_len == 0
	              ? sqlite3_bind_null(st, 8)
	              : sqlite3_bind_text(st, 8, (const char *)f->detail, (int)f->detail_len,
	                                  SQLITE_STATIC)) != SQLITE_OK ||
	    (rc = sqlite3_bind_blob(st, 9, prev, SPOD_STORE_HASH_BYTES, SQLITE_STATIC)) !=
	        SQLITE_OK ||
	    (rc = sqlite3_bind_blob(st, 10, hash, SPOD_STORE_HASH_BYTES, SQLITE_STATIC)) !=
	        SQLITE_OK)
		return store_fail(s, rc, "bind audit record");
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? SPOD_OK : store_fail(s, rc, "insert audit record");
}

int store_audit_insert(struct spod_store *s, const struct spod_audit_rec *recs, size_t n)
{
	uint8_t prev[SPOD_STORE_HASH_BYTES], hash[SPOD_STORE_HASH_BYTES];
	struct audit_fields f;
	uint64_t head;

	if (n == 0)
		return SPOD_OK;
	SPOD_TRY(read_head(s, &head, prev));
	if (n > (uint64_t)INT64_MAX - head)
		return store_error(s, SPOD_E_INTERNAL, "audit seq exhausted");
	for (size_t i = 0; i < n; i++) {
		SPOD_TRY(rec_fields(&f, head + 1 + i, &recs[i]));
		SPOD_TRY(hash_fields(hash, prev, &f));
		SPOD_TRY(insert_one(s, &f, prev, hash));
		memcpy(prev, hash, sizeof prev);
	}
	return SPOD_OK;
}

int store_audit_check(struct spod_store *s, const struct spod_audit_rec *recs, size_t n)
{
	uint8_t scratch[SPOD_AUDIT_ENC_MAX_BYTES];
	struct audit_fields f;
	size_t len;

	for (size_t i = 0; i < n; i++) {
		if (rec_fields(&f, 1, &recs[i]) < 0 ||
		    encode_fields(scratch, sizeof scratch, &len, &f) < 0)
			return store_error(s, SPOD_E_BAD_ARG,
			                   "audit record %zu of %zu out of range", i + 1, n);
	}
	return SPOD_OK;
}

int spod_store_audit_append(struct spod_store *s, const struct spod_audit_rec *recs, size_t n)
{
	return spod_store_commit_batch(s, NULL, 0, recs, n);
}

int spod_store_commit_batch(struct spod_store *s, const struct spod_store_sealed *keys,
                            size_t nkeys, const struct spod_audit_rec *recs, size_t n)
{
	return spod_store_commit_all(s, keys, nkeys, recs, n, NULL, 0);
}

/* Reads the row's fields; pointers live until the next step of st. */
static void row_fields(struct audit_fields *f, sqlite3_stmt *st)
{
	memset(f, 0, sizeof *f);
	f->seq = (uint64_t)sqlite3_column_int64(st, 0);
	f->time_ms = sqlite3_column_int64(st, 1);
	f->kind = sqlite3_column_text(st, 2);
	f->kind_len = (size_t)sqlite3_column_bytes(st, 2);
	f->key_id = sqlite3_column_blob(st, 3);
	f->key_id_len = (size_t)sqlite3_column_bytes(st, 3);
	f->token_id = sqlite3_column_blob(st, 4);
	f->token_id_len = (size_t)sqlite3_column_bytes(st, 4);
	f->digest = sqlite3_column_blob(st, 5);
	f->digest_len = (size_t)sqlite3_column_bytes(st, 5);
	f->result = (int32_t)sqlite3_column_int64(st, 6);
	f->detail = sqlite3_column_text(st, 7);
	f->detail_len = (size_t)sqlite3_column_bytes(st, 7);
}

/* Checks one row against the chain so far; SPOD_E_BAD_SIGNATURE with a message if broken. */
static int check_row(struct spod_store *s, sqlite3_stmt *st, uint64_t expect,
                     uint8_t prev[static SPOD_STORE_HASH_BYTES])
{
	uint8_t hash[SPOD_STORE_HASH_BYTES];
	struct audit_fields f;
	int64_t seq = sqlite3_column_int64(st, 0);
	const void *row_prev = sqlite3_column_blob(st, 8);
	const void *row_hash = sqlite3_column_blob(st, 9);
	int err;

	if (seq < 0 || (uint64_t)seq != expect) {
		if (seq > 0 && (uint64_t)seq > expect)
			return store_error(s, SPOD_E_BAD_SIGNATURE,
			                   "audit records %llu..%llu missing",
			                   (unsigned long long)expect, (unsigned long long)seq - 1);
		return store_error(s, SPOD_E_BAD_SIGNATURE,
		                   "audit record with seq %lld, expected %llu", (long long)seq,
		                   (unsigned long long)expect);
	}
	if (row_prev == NULL || sqlite3_column_bytes(st, 8) != SPOD_STORE_HASH_BYTES ||
	    memcmp(row_prev, prev, SPOD_STORE_HASH_BYTES) != 0)
		return store_error(
		    s, SPOD_E_BAD_SIGNATURE,
		    "audit record %llu: prev_hash is not the hash of the record before",
		    (unsigned long long)expect);
	row_fields(&f, st);
	err = hash_fields(hash, prev, &f);
	if (err == SPOD_E_CRYPTO)
		return store_error(s, err, "SHA-256 failed");
	if (err < 0 || row_hash == NULL || sqlite3_column_bytes(st, 9) != SPOD_STORE_HASH_BYTES ||
	    memcmp(row_hash, hash, SPOD_STORE_HASH_BYTES) != 0)
		return store_error(s, SPOD_E_BAD_SIGNATURE,
		                   "audit record %llu: contents do not match its hash",
		                   (unsigned long long)expect);
	memcpy(prev, hash, SPOD_STORE_HASH_BYTES);
	return SPOD_OK;
}

/*
 * The entry view of the row st is on (fields f): SPOD_E_IO when a column does not fit it, or
 * kind or detail holds a NUL byte (the entry's strings end at the first one).
 */
static int row_entry(struct spod_store *s, struct spod_audit_entry *e, const struct audit_fields *f,
                     sqlite3_stmt *st)
{
	memset(e, 0, sizeof *e);
	e->seq = f->seq;
	e->prev_hash = sqlite3_column_blob(st, 8);
	e->hash = sqlite3_column_blob(st, 9);
	if (f->kind_len == 0 || (f->key_id_len != 0 && f->key_id_len != SPOD_KEY_ID_BYTES) ||
	    (f->token_id_len != 0 && f->token_id_len != SPOD_STORE_TOKEN_ID_BYTES) ||
	    memchr(f->kind, 0, f->kind_len) != NULL ||
	    (f->detail_len != 0 && memchr(f->detail, 0, f->detail_len) != NULL) ||
	    e->prev_hash == NULL || sqlite3_column_bytes(st, 8) != SPOD_STORE_HASH_BYTES ||
	    e->hash == NULL || sqlite3_column_bytes(st, 9) != SPOD_STORE_HASH_BYTES)
		return store_error(s, SPOD_E_IO, "audit record %llu malformed",
		                   (unsigned long long)f->seq);
	e->rec.time_ms = f->time_ms;
	e->rec.kind = (const char *)f->kind;
	e->rec.key_id = f->key_id_len ? f->key_id : NULL;
	e->rec.token_id = f->token_id_len ? f->token_id : NULL;
	e->rec.digest = f->digest_len ? f->digest : NULL;
	e->rec.digest_len = f->digest_len;
	e->rec.result = f->result;
	e->rec.detail = f->detail_len ? (const char *)f->detail : NULL;
	return SPOD_OK;
}

/* One read transaction of store_audit_walk: up to AUDIT_WALK_CHUNK records after w->seq. */
static int walk_chunk(struct spod_store *s, struct store_walk *w, uint64_t upto, int *more)
{
	uint8_t anchor[SPOD_STORE_HASH_BYTES];
	sqlite3_stmt *st = store_stmt(s, ST_AUDIT_FROM);
	struct spod_audit_entry e;
	struct audit_fields f;
	uint64_t anchor_seq, n = 0;
	int rc, err;

	*more = 0;
	SPOD_GUARD(err, store_anchor_get(s, &anchor_seq, anchor));
	if (anchor_seq != w->anchor_seq || memcmp(anchor, w->anchor_hash, sizeof anchor) != 0) {
		w->pruned = 1;
		err = store_error(s, SPOD_E_UNAVAILABLE, "the audit log was pruned meanwhile");
		goto out;
	}
	if ((rc = sqlite3_bind_int64(st, 1, (int64_t)w->seq)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 2, (int64_t)upto)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 3, AUDIT_WALK_CHUNK)) != SQLITE_OK) {
		err = store_fail(s, rc, "bind audit range");
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		err = check_row(s, st, w->seq + 1, w->hash);
		if (err == SPOD_E_BAD_SIGNATURE)
			w->first_bad = w->seq + 1;
		if (err < 0)
			goto out;
		w->seq++;
		w->count++;
		n++;
		if (w->cb != NULL) {
			row_fields(&f, st);
			SPOD_GUARD(err, row_entry(s, &e, &f, st));
			SPOD_GUARD(err, w->cb(w->ctx, &e));
		}
	}
	err = rc == SQLITE_DONE ? SPOD_OK : store_fail(s, rc, "read audit log");
	*more = err == SPOD_OK && n == AUDIT_WALK_CHUNK;
out:
	sqlite3_reset(st);
	return err;
}

int store_audit_walk(struct spod_store *s, struct store_walk *w, uint64_t upto)
{
	int more = 1, err = SPOD_OK;

	w->seq = w->anchor_seq;
	memcpy(w->hash, w->anchor_hash, sizeof w->hash);
	w->count = 0;
	w->first_bad = 0;
	w->pruned = 0;
	if (upto > INT64_MAX)
		upto = INT64_MAX;
	while (more && err == SPOD_OK) {
		SPOD_TRY(store_begin_read(s));
		err = walk_chunk(s, w, upto, &more);
		if (err == SPOD_OK)
			err = store_commit(s);
		if (err < 0)
			store_rollback(s);
	}
	return err;
}

int spod_store_audit_verify(struct spod_store *s, uint64_t *first_bad_seq, uint64_t *count,
                            struct spod_audit_segment *seg)
{
	struct store_walk w = {0};
	int err = SPOD_OK;

	s->err[0] = '\0';
	*first_bad_seq = 0;
	*count = 0;
	memset(seg, 0, sizeof *seg);
	/* A prune under the walk moves the anchor: start over from the new one. */
	for (int tries = 0; tries < AUDIT_WALK_TRIES; tries++) {
		err = store_anchor_get(s, &w.anchor_seq, w.anchor_hash);
		if (err >= 0)
			err = store_audit_walk(s, &w, INT64_MAX);
		if (!w.pruned)
			break;
	}
	if (err == SPOD_E_BAD_SIGNATURE) {
		*first_bad_seq = w.first_bad;
		*count = w.count;
	} else if (err == SPOD_OK) {
		*count = w.count;
		seg->first_seq = w.anchor_seq + 1;
		seg->last_seq = w.seq;
		memcpy(seg->prev_hash, w.anchor_hash, sizeof seg->prev_hash);
		memcpy(seg->last_hash, w.hash, sizeof seg->last_hash);
	}
	return err;
}

int spod_store_audit_tail(struct spod_store *s, size_t n,
                          int (*cb)(void *ctx, const struct spod_audit_entry *e), void *ctx)
{
	sqlite3_stmt *st = store_stmt(s, ST_AUDIT_TAIL);
	struct spod_audit_entry e;
	struct audit_fields f;
	int rc, err = SPOD_OK;

	s->err[0] = '\0';
	rc = sqlite3_bind_int64(st, 1, n > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)n);
	if (rc != SQLITE_OK)
		return store_fail(s, rc, "bind tail count");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		row_fields(&f, st);
		SPOD_GUARD(err, row_entry(s, &e, &f, st));
		SPOD_GUARD(err, cb(ctx, &e));
	}
	if (rc != SQLITE_DONE)
		err = store_fail(s, rc, "read audit log");
out:
	sqlite3_reset(st);
	return err;
}
