/* Opening the database, schema migrations, cached statements and error mapping. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "spod/err.h"
#include "host/store/store_int.h"

/*
 * Migration i brings the schema from version i to i + 1; append, never edit. Each runs in
 * the transaction that also records its version in schema_version.
 */
/* Triggers that make a table append-only (as the audit log's). */
#define EV_APPEND_ONLY(table)                                                                      \
	"CREATE TRIGGER IF NOT EXISTS " table "_no_update BEFORE UPDATE ON " table                 \
	" BEGIN SELECT RAISE(ABORT, '" table " is append-only'); END;"                             \
	"CREATE TRIGGER IF NOT EXISTS " table "_no_delete BEFORE DELETE ON " table                 \
	" BEGIN SELECT RAISE(ABORT, '" table " is append-only'); END;"

static const char *const migrations[SPOD_STORE_SCHEMA_VERSION] = {
    "CREATE TABLE keys ("
    " id BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),"
    " alg INTEGER NOT NULL CHECK (alg BETWEEN 0 AND 255),"
    " public_key BLOB NOT NULL,"
    " label TEXT,"
    " created_ms INTEGER NOT NULL,"
    " deleted_ms INTEGER"
    ") STRICT;"
    "CREATE UNIQUE INDEX keys_live_label ON keys(label) WHERE deleted_ms IS NULL;"
    "CREATE TABLE sealed_blobs ("
    " key_id BLOB PRIMARY KEY NOT NULL REFERENCES keys(id),"
    " blob BLOB NOT NULL,"
    " created_ms INTEGER NOT NULL"
    ") STRICT;"
    "CREATE TABLE tokens ("
    " id BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),"
    " hash BLOB NOT NULL UNIQUE CHECK (length(hash) = 32),"
    " scopes TEXT NOT NULL,"
    " expires_ms INTEGER,"
    " revoked_ms INTEGER,"
    " created_ms INTEGER NOT NULL,"
    " rate_per_s INTEGER"
    ") STRICT;"
    "CREATE TABLE audit ("
    " seq INTEGER PRIMARY KEY,"
    " time_ms INTEGER NOT NULL,"
    " kind TEXT NOT NULL,"
    " key_id BLOB,"
    " token_id BLOB,"
    " digest BLOB,"
    " result INTEGER NOT NULL,"
    " detail TEXT,"
    " prev_hash BLOB NOT NULL CHECK (length(prev_hash) = 32),"
    " hash BLOB NOT NULL CHECK (length(hash) = 32)"
    ") STRICT;"
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
    " BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;"
    "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
    " BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;",
    /* 2: keys an enclave no longer holds are kept as lost, their labels free for others. */
    "ALTER TABLE keys ADD COLUMN lost_ms INTEGER;"
    "DROP INDEX keys_live_label;"
    "CREATE UNIQUE INDEX keys_live_label ON keys(label)"
    " WHERE deleted_ms IS NULL AND lost_ms IS NULL;",
    /* 3: what the pod remembers between runs (the custodians' seal key id). */
    "CREATE TABLE settings ("
    " name TEXT PRIMARY KEY NOT NULL,"
    " value BLOB NOT NULL,"
    " updated_ms INTEGER NOT NULL"
    ") STRICT;",
    /* 4: the token that created each key, for keys-max quotas (docs/auth.md). */
    "ALTER TABLE keys ADD COLUMN created_by BLOB"
    " CHECK (created_by IS NULL OR length(created_by) = 16);"
    "CREATE INDEX keys_created_by ON keys(created_by);",
    /*
     * 5, retention: records up to the anchor (setting audit_anchor, "SEQ HEX"; a prune
     * records it before it deletes) may be deleted, no record after it.
     */
    "DROP TRIGGER audit_no_delete;"
    "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
    " WHEN old.seq > coalesce((SELECT CAST(value AS INTEGER) FROM settings"
    " WHERE name = 'audit_anchor'), 0)"
    " BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;",
    /*
     * 6, signed evidence (docs/evidence.md): evidence keys with the document that binds
     * them, signed batches (root kept: a record's proof is checked without its batch), records
     * with their inclusion proofs, signed heads. All append-only. IF NOT EXISTS: the tests
     * that take a database back to an older schema drop only schema_version rows.
     */
    "CREATE TABLE IF NOT EXISTS evidence_keys ("
    " pub BLOB PRIMARY KEY NOT NULL CHECK (length(pub) = 32),"
    " doc BLOB NOT NULL,"
    " first_seen_ms INTEGER NOT NULL"
    ") STRICT;"
    "CREATE TABLE IF NOT EXISTS evidence_roots ("
    " id INTEGER PRIMARY KEY,"
    " pub BLOB NOT NULL CHECK (length(pub) = 32),"
    " first INTEGER NOT NULL CHECK (first >= 1),"
    " count INTEGER NOT NULL CHECK (count BETWEEN 1 AND 1024),"
    " root BLOB NOT NULL CHECK (length(root) = 32),"
    " sig BLOB NOT NULL CHECK (length(sig) = 64),"
    " time_ms INTEGER NOT NULL,"
    " UNIQUE (pub, first)"
    ") STRICT;"
    "CREATE TABLE IF NOT EXISTS evidence ("
    " pub BLOB NOT NULL CHECK (length(pub) = 32),"
    " counter INTEGER NOT NULL CHECK (counter >= 1),"
    " root_id INTEGER NOT NULL REFERENCES evidence_roots(id),"
    " idx INTEGER NOT NULL CHECK (idx BETWEEN 0 AND 1023),"
    " record BLOB NOT NULL CHECK (length(record) = 160),"
    " proof BLOB NOT NULL CHECK (length(proof) <= 320 AND length(proof) % 32 = 0),"
    " PRIMARY KEY (pub, counter)"
    ") STRICT;"
    "CREATE TABLE IF NOT EXISTS audit_heads ("
    " id INTEGER PRIMARY KEY,"
    " pub BLOB NOT NULL CHECK (length(pub) = 32),"
    " seq INTEGER NOT NULL CHECK (seq >= 0),"
    " hash BLOB NOT NULL CHECK (length(hash) = 32),"
    " counter INTEGER NOT NULL,"
    " nonce BLOB NOT NULL CHECK (length(nonce) <= 64),"
    " sig BLOB NOT NULL CHECK (length(sig) = 64),"
    " time_ms INTEGER NOT NULL"
    ") STRICT;" EV_APPEND_ONLY("evidence_keys") EV_APPEND_ONLY("evidence_roots")
        EV_APPEND_ONLY("evidence") EV_APPEND_ONLY("audit_heads"),
};

#define KEY_COLUMNS "id, alg, public_key, label, created_ms, deleted_ms, lost_ms, created_by"

static const char *const stmt_sql[ST__COUNT] = {
    [ST_KEY_PUT] = "INSERT INTO keys (id, alg, public_key, label, created_ms, deleted_ms,"
                   " created_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [ST_KEY_GET] = "SELECT " KEY_COLUMNS " FROM keys WHERE id = ?1",
    [ST_KEY_FIND_LABEL] = "SELECT " KEY_COLUMNS " FROM keys"
                          " WHERE label = ?1 AND deleted_ms IS NULL AND lost_ms IS NULL",
    [ST_KEY_LIST_LIVE] = "SELECT " KEY_COLUMNS " FROM keys"
                         " WHERE deleted_ms IS NULL AND lost_ms IS NULL ORDER BY created_ms, rowid",
    [ST_KEY_LIST_HELD] = "SELECT " KEY_COLUMNS " FROM keys"
                         " WHERE deleted_ms IS NULL ORDER BY created_ms, rowid",
    [ST_KEY_LIST_ALL] = "SELECT " KEY_COLUMNS " FROM keys ORDER BY created_ms, rowid",
    [ST_KEY_COUNT_CREATED] = "SELECT count(*) FROM keys"
                             " WHERE created_by = ?1 AND deleted_ms IS NULL AND lost_ms IS NULL",
    [ST_KEY_DELETE] = "UPDATE keys SET deleted_ms = ?2 WHERE id = ?1 AND deleted_ms IS NULL",
    [ST_KEY_LOSE] = "UPDATE keys SET lost_ms = ?2"
                    " WHERE id = ?1 AND deleted_ms IS NULL AND lost_ms IS NULL",
    [ST_KEY_FIND] = "UPDATE keys SET lost_ms = NULL"
                    " WHERE id = ?1 AND deleted_ms IS NULL AND lost_ms IS NOT NULL",
    [ST_BLOB_PUT] = "INSERT OR REPLACE INTO sealed_blobs (key_id, blob, created_ms)"
                    " VALUES (?1, ?2, ?3)",
    /* Only for a key record that is not deleted: no row is written otherwise. */
    [ST_BLOB_REPLACE] = "INSERT OR REPLACE INTO sealed_blobs (key_id, blob, created_ms)"
                        " SELECT id, ?2, ?3 FROM keys WHERE id = ?1 AND deleted_ms IS NULL",
    [ST_KEY_LIST_SEALED] = "SELECT k.id, k.alg, k.public_key, k.label, k.created_ms, k.deleted_ms,"
                           " k.lost_ms, k.created_by, b.blob FROM keys k LEFT JOIN sealed_blobs b"
                           " ON b.key_id = k.id WHERE k.deleted_ms IS NULL"
                           " ORDER BY k.created_ms, k.rowid",
    [ST_TOKEN_INSERT] = "INSERT INTO tokens (id, hash, scopes, expires_ms, revoked_ms,"
                        " created_ms, rate_per_s) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [ST_TOKEN_FIND_HASH] = "SELECT id, hash, scopes, expires_ms, revoked_ms, created_ms,"
                           " rate_per_s FROM tokens WHERE hash = ?1",
    [ST_TOKEN_LIST] = "SELECT id, hash, scopes, expires_ms, revoked_ms, created_ms, rate_per_s"
                      " FROM tokens ORDER BY created_ms, rowid",
    [ST_TOKEN_REVOKE] = "UPDATE tokens SET revoked_ms = coalesce(revoked_ms, ?2) WHERE id = ?1",
    [ST_AUDIT_HEAD] = "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
    [ST_AUDIT_INSERT] = "INSERT INTO audit (seq, time_ms, kind, key_id, token_id, digest, result,"
                        " detail, prev_hash, hash)"
                        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    [ST_AUDIT_FROM] = "SELECT seq, time_ms, kind, key_id, token_id, digest, result, detail,"
                      " prev_hash, hash FROM audit WHERE seq > ?1 AND seq <= ?2"
                      " ORDER BY seq LIMIT ?3",
    [ST_AUDIT_TAIL] = "SELECT * FROM (SELECT seq, time_ms, kind, key_id, token_id, digest,"
                      " result, detail, prev_hash, hash FROM audit ORDER BY seq DESC"
                      " LIMIT ?1) ORDER BY seq",
    [ST_AUDIT_HASH_AT] = "SELECT hash FROM audit WHERE seq = ?1",
    [ST_AUDIT_OLDEST] = "SELECT min(seq) FROM audit",
    [ST_AUDIT_PRUNE] = "DELETE FROM audit WHERE seq <= ?1",
    [ST_SETTING_GET] = "SELECT value FROM settings WHERE name = ?1",
    [ST_SETTING_PUT] = "INSERT INTO settings (name, value, updated_ms) VALUES (?1, ?2, ?3)"
                       " ON CONFLICT (name) DO UPDATE SET value = ?2, updated_ms = ?3",
    [ST_EV_KEY_PUT] = "INSERT OR IGNORE INTO evidence_keys (pub, doc, first_seen_ms)"
                      " VALUES (?1, ?2, ?3)",
    [ST_EV_ROOT_PUT] = "INSERT INTO evidence_roots (pub, first, count, root, sig, time_ms)"
                       " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [ST_EV_REC_PUT] = "INSERT INTO evidence (pub, counter, root_id, idx, record, proof)"
                      " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [ST_EV_HEAD_PUT] = "INSERT INTO audit_heads (pub, seq, hash, counter, nonce, sig, time_ms)"
                       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_BEGIN_READ] = "BEGIN",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
};

static int map_sqlite(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return SPOD_OK;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_FULL:
	case SQLITE_READONLY:
		return SPOD_E_UNAVAILABLE;
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
	case SQLITE_PERM:
	case SQLITE_PROTOCOL:
		return SPOD_E_IO;
	case SQLITE_NOMEM:
		return SPOD_E_NOMEM;
	case SQLITE_CONSTRAINT:
	case SQLITE_TOOBIG:
		return SPOD_E_BAD_ARG;
	default:
		return SPOD_E_INTERNAL;
	}
}

int store_error(struct spod_store *s, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, sizeof s->err, fmt, ap);
	va_end(ap);
	return err;
}

int store_fail(struct spod_store *s, int sqlite_rc, const char *what)
{
	int err = map_sqlite(sqlite_rc);

	if (err == SPOD_OK)
		err = SPOD_E_INTERNAL;
	return store_error(s, err, "%s: %s (%s)", what, sqlite3_errmsg(s->db),
	                   sqlite3_errstr(sqlite_rc));
}

sqlite3_stmt *store_stmt(struct spod_store *s, enum store_stmt id)
{
	sqlite3_stmt *st = s->stmt[id];

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

sqlite3 *store_db(struct spod_store *s)
{
	return s->db;
}

int store_step_done(struct spod_store *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE) {
		int err = store_fail(s, rc, what);
		sqlite3_reset(st);
		return err;
	}
	sqlite3_reset(st);
	return SPOD_OK;
}

int store_begin(struct spod_store *s)
{
	return store_step_done(s, store_stmt(s, ST_BEGIN), "begin transaction");
}

int store_begin_read(struct spod_store *s)
{
	return store_step_done(s, store_stmt(s, ST_BEGIN_READ), "begin read transaction");
}

int store_commit(struct spod_store *s)
{
	return store_step_done(s, store_stmt(s, ST_COMMIT), "commit");
}

void store_rollback(struct spod_store *s)
{
	/* SQLite may already have rolled back by itself (SQLITE_FULL, SQLITE_IOERR). */
	if (!sqlite3_get_autocommit(s->db)) {
		sqlite3_stmt *st = store_stmt(s, ST_ROLLBACK);
		sqlite3_step(st);
		sqlite3_reset(st);
	}
}

const char *spod_store_last_error(const struct spod_store *s)
{
	return s->err;
}

static int exec(struct spod_store *s, const char *sql, const char *what)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? SPOD_OK : store_fail(s, rc, what);
}

/* Runs a pragma that answers one text row and checks the answer (case-insensitive). */
static int pragma_expect(struct spod_store *s, const char *sql, const char *want)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	int err;

	if (rc != SQLITE_OK)
		return store_fail(s, rc, sql);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		err = store_fail(s, rc, sql);
	} else if (sqlite3_column_text(st, 0) == NULL ||
	           strcasecmp((const char *)sqlite3_column_text(st, 0), want) != 0) {
		err = store_error(s, SPOD_E_IO, "%s: answered %s, need %s", sql,
		                  (const char *)sqlite3_column_text(st, 0), want);
	} else {
		err = SPOD_OK;
	}
	sqlite3_finalize(st);
	return err;
}

static int schema_version(struct spod_store *s, int64_t *version)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, "SELECT coalesce(max(version), 0) FROM schema_version",
	                            -1, &st, NULL);
	int err = SPOD_OK;

	if (rc != SQLITE_OK)
		return store_fail(s, rc, "read schema version");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*version = sqlite3_column_int64(st, 0);
	else
		err = store_fail(s, rc, "read schema version");
	sqlite3_finalize(st);
	return err;
}

static int migrate(struct spod_store *s, const char *path)
{
	int64_t version = 0;
	int err;

	SPOD_TRY(exec(s, "BEGIN IMMEDIATE", "begin migration"));
	SPOD_GUARD(err, exec(s,
	                     "CREATE TABLE IF NOT EXISTS schema_version ("
	                     " version INTEGER PRIMARY KEY, applied_ms INTEGER NOT NULL)",
	                     "create schema_version"));
	SPOD_GUARD(err, schema_version(s, &version));
	if (version > SPOD_STORE_SCHEMA_VERSION || version < 0) {
		err = store_error(s, SPOD_E_PROTOCOL,
		                  "%s has schema version %lld; this spod knows versions up to %d",
		                  path, (long long)version, SPOD_STORE_SCHEMA_VERSION);
		goto out;
	}
	for (int64_t v = version; v < SPOD_STORE_SCHEMA_VERSION; v++) {
		char sql[160];

		SPOD_GUARD(err, exec(s, migrations[v], "apply migration"));
		snprintf(sql, sizeof sql,
		         "INSERT INTO schema_version (version, applied_ms)"
		         " VALUES (%lld, %lld)",
		         (long long)v + 1, (long long)time(NULL) * 1000);
		SPOD_GUARD(err, exec(s, sql, "record schema version"));
	}
	err = exec(s, "COMMIT", "commit migration");
out:
	if (err < 0 && !sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return err;
}

/* Creates the file with mode 0600 if it does not exist, so SQLite never creates it 0644. */
/*
 * Creates the file with mode 0600 when it does not exist, and never opens an existing one:
 * closing any descriptor of a file drops every POSIX lock this process holds on it, so an
 * open/close here would silently unlock another connection of the same process (the host's
 * checkpointer opens the database beside the event loop's connection), and another process
 * closing its connection could then take itself for the last one and delete the WAL.
 */
static int create_private(struct spod_store *s, const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0 && errno == EEXIST)
		return SPOD_OK; /* SQLite opens it; SQLITE_OPEN_NOFOLLOW refuses a symlink */
	if (fd < 0)
		return store_error(s, SPOD_E_IO, "create %s: %s", path, strerror(errno));
	close(fd);
	return SPOD_OK;
}

/* 1 when the database has spod's schema_version table, 0 when not, or a negative error. */
static int has_spod_schema(struct spod_store *s)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db,
	                            "SELECT count(*) FROM sqlite_schema"
	                            " WHERE type = 'table' AND name = 'schema_version'",
	                            -1, &st, NULL);
	int found;

	if (rc != SQLITE_OK)
		return store_fail(s, rc, "read database");
	rc = sqlite3_step(st);
	found =
	    rc == SQLITE_ROW ? sqlite3_column_int(st, 0) > 0 : store_fail(s, rc, "read database");
	sqlite3_finalize(st);
	return found;
}

/*
 * Opens path without creating it: SQLite is not allowed to create it either (no
 * SQLITE_OPEN_CREATE), so a file removed after the check is still not made.
 */
static int open_existing(struct spod_store *s, const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0 && (errno == ENOENT || errno == ENOTDIR))
		return store_error(s, SPOD_E_BAD_ARG, "no database at %s: %s", path,
		                   strerror(errno));
	return SPOD_OK;
}

static int open_db(struct spod_store *s, const char *path, int create)
{
	int rc;

	SPOD_TRY(create ? create_private(s, path) : open_existing(s, path));
	rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL);
	if (rc != SQLITE_OK)
		return store_fail(s, rc, "open database");
	sqlite3_extended_result_codes(s->db, 1);
	rc = sqlite3_busy_timeout(s->db, SPOD_STORE_BUSY_TIMEOUT_MS);
	if (rc != SQLITE_OK)
		return store_fail(s, rc, "busy_timeout");
	if (sqlite3_db_readonly(s->db, "main") == 1)
		return store_error(s, SPOD_E_UNAVAILABLE, "%s is read-only", path);
	/* Reject foreign files before changing anything in them. */
	SPOD_TRY(exec(s, "SELECT count(*) FROM sqlite_schema", "read database"));
	if (!create) {
		rc = has_spod_schema(s);
		if (rc < 0)
			return rc;
		if (rc == 0)
			return store_error(
			    s, SPOD_E_BAD_ARG,
			    "%s is not a spod database (spod-host never wrote to it)", path);
	}
	SPOD_TRY(pragma_expect(s, "PRAGMA journal_mode = WAL", "wal"));
	SPOD_TRY(exec(s,
	              "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;"
	              " PRAGMA trusted_schema = OFF",
	              "set pragmas"));
	SPOD_TRY(pragma_expect(s, "PRAGMA synchronous", "2"));
	SPOD_TRY(pragma_expect(s, "PRAGMA foreign_keys", "1"));
	SPOD_TRY(migrate(s, path));
	for (int i = 0; i < ST__COUNT; i++) {
		rc = sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
		                        &s->stmt[i], NULL);
		if (rc != SQLITE_OK)
			return store_fail(s, rc, "prepare statement");
	}
	return SPOD_OK;
}

static int store_open(struct spod_store **out, const char *path, int create)
{
	struct spod_store *s;
	int err;

	*out = NULL;
	s = calloc(1, sizeof *s);
	if (s == NULL)
		return SPOD_E_NOMEM;
	err = open_db(s, path, create);
	if (err < 0) {
		spod_error("store: %s", s->err);
		spod_store_close(s);
		return err;
	}
	*out = s;
	return SPOD_OK;
}

int spod_store_open(struct spod_store **out, const char *path)
{
	return store_open(out, path, 1);
}

int spod_store_open_existing(struct spod_store **out, const char *path)
{
	return store_open(out, path, 0);
}

int spod_store_set_sync(struct spod_store *s, enum spod_store_sync mode)
{
	int full = mode == SPOD_STORE_SYNC_FULL;

	if (mode != SPOD_STORE_SYNC_FULL && mode != SPOD_STORE_SYNC_NORMAL)
		return store_error(s, SPOD_E_BAD_ARG, "unknown sync mode %d", (int)mode);
	SPOD_TRY(exec(s, full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL",
	              "set synchronous"));
	return pragma_expect(s, "PRAGMA synchronous", full ? "2" : "1");
}

int spod_store_set_autocheckpoint(struct spod_store *s, int pages)
{
	char sql[64];

	if (pages < 0)
		return store_error(s, SPOD_E_BAD_ARG, "negative autocheckpoint %d", pages);
	snprintf(sql, sizeof(sql), "PRAGMA wal_autocheckpoint = %d", pages);
	SPOD_TRY(exec(s, sql, "set wal_autocheckpoint"));
	/* The WAL file shrinks back to this size whenever it starts over. */
	return exec(s, "PRAGMA journal_size_limit = " SPOD_STORE_WAL_LIMIT_TEXT,
	            "set journal_size_limit");
}

int spod_store_checkpoint(struct spod_store *s, int restart, int *wal_frames, int *done_frames)
{
	int rc = sqlite3_wal_checkpoint_v2(
	    s->db, NULL, restart ? SQLITE_CHECKPOINT_RESTART : SQLITE_CHECKPOINT_PASSIVE,
	    wal_frames, done_frames);

	return rc == SQLITE_OK ? SPOD_OK : store_fail(s, rc, "checkpoint");
}

int spod_store_vacuum(struct spod_store *s)
{
	s->err[0] = '\0';
	return exec(s, "VACUUM", "vacuum");
}

void spod_store_close(struct spod_store *s)
{
	if (s == NULL)
		return;
	for (int i = 0; i < ST__COUNT; i++)
		sqlite3_finalize(s->stmt[i]);
	sqlite3_close(s->db);
	free(s->ev_tree);
	free(s);
}
