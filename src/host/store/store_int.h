/* Internals shared by store.c, records.c and audit.c; not for other layers (tests may use them). */
#ifndef SPOD_STORE_STORE_INT_H
#define SPOD_STORE_STORE_INT_H

#include <sqlite3.h>

#include "host/store/store.h"

enum store_stmt {
	ST_KEY_PUT,
	ST_KEY_GET,
	ST_KEY_FIND_LABEL,
	ST_KEY_LIST_LIVE,
	ST_KEY_LIST_HELD,
	ST_KEY_LIST_ALL,
	ST_KEY_COUNT_CREATED,
	ST_KEY_DELETE,
	ST_KEY_LOSE,
	ST_KEY_FIND,
	ST_BLOB_PUT,
	ST_KEY_LIST_SEALED,
	ST_TOKEN_INSERT,
	ST_TOKEN_FIND_HASH,
	ST_TOKEN_LIST,
	ST_TOKEN_REVOKE,
	ST_AUDIT_HEAD,
	ST_AUDIT_INSERT,
	ST_AUDIT_ALL,
	ST_AUDIT_TAIL,
	ST_SETTING_GET,
	ST_SETTING_PUT,
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST__COUNT
};

struct spod_store {
	sqlite3 *db;
	sqlite3_stmt *stmt[ST__COUNT];
	char err[256];
};

/*
 * Maps a SQLite result code to a SPOD_E_* code and records "what: sqlite's message" as the
 * store's last error. Returns the code.
 */
int store_fail(struct spod_store *s, int sqlite_rc, const char *what);

/* Records a formatted last error and returns err. */
int store_error(struct spod_store *s, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The cached statement id, reset and with its bindings cleared. */
sqlite3_stmt *store_stmt(struct spod_store *s, enum store_stmt id);

/* Steps a statement that returns no row, then resets it; errors as store_fail. */
int store_step_done(struct spod_store *s, sqlite3_stmt *st, const char *what);

/* BEGIN IMMEDIATE / COMMIT; rollback is best effort and leaves the last error alone. */
int store_begin(struct spod_store *s);
int store_commit(struct spod_store *s);
void store_rollback(struct spod_store *s);

/* Inserts a key record and its sealed blob inside the caller's transaction. */
int store_key_insert_sealed(struct spod_store *s, const struct spod_store_key *k,
                            const uint8_t *blob, size_t blob_len);

/* The connection, for tests that need raw SQL on the same handle. */
sqlite3 *store_db(struct spod_store *s);

#endif
