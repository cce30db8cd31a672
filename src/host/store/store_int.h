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
	ST_BLOB_REPLACE,
	ST_KEY_LIST_SEALED,
	ST_TOKEN_INSERT,
	ST_TOKEN_FIND_HASH,
	ST_TOKEN_LIST,
	ST_TOKEN_REVOKE,
	ST_AUDIT_HEAD,
	ST_AUDIT_INSERT,
	ST_AUDIT_FROM,
	ST_AUDIT_TAIL,
	ST_AUDIT_HASH_AT,
	ST_AUDIT_OLDEST,
	ST_AUDIT_PRUNE,
	ST_SETTING_GET,
	ST_SETTING_PUT,
	ST_EV_KEY_PUT,
	ST_EV_ROOT_PUT,
	ST_EV_REC_PUT,
	ST_EV_HEAD_PUT,
	ST_BEGIN,
	ST_BEGIN_READ,
	ST_COMMIT,
	ST_ROLLBACK,
	ST__COUNT
};

struct spod_store {
	sqlite3 *db;
	sqlite3_stmt *stmt[ST__COUNT];
	char err[256];
	uint8_t *ev_tree; /* evidence.c: room for a batch's Merkle tree, made at first use */
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

/*
 * BEGIN IMMEDIATE (a write transaction) / BEGIN (a read transaction: one snapshot) / COMMIT;
 * rollback is best effort and leaves the last error alone.
 */
int store_begin(struct spod_store *s);
int store_begin_read(struct spod_store *s);
int store_commit(struct spod_store *s);
void store_rollback(struct spod_store *s);

/*
 * Audit records (audit.c): check says whether every record is in range (SPOD_E_BAD_ARG with
 * a message if not); insert appends them after the head inside the caller's transaction.
 */
int store_audit_check(struct spod_store *s, const struct spod_audit_rec *recs, size_t n);
int store_audit_insert(struct spod_store *s, const struct spod_audit_rec *recs, size_t n);

/* Inserts a key record and its sealed blob inside the caller's transaction. */
int store_key_insert_sealed(struct spod_store *s, const struct spod_store_key *k,
                            const uint8_t *blob, size_t blob_len);

/*
 * The anchor (retention.c): 1 with the seq and hash of the newest pruned record, 0 with seq 0
 * and 32 zero bytes (the genesis link) when the log was never pruned, SPOD_E_IO when the
 * stored value is malformed, or a storage error. Inside the caller's transaction, if any.
 */
int store_anchor_get(struct spod_store *s, uint64_t *seq,
                     uint8_t hash[static SPOD_STORE_HASH_BYTES]);

/*
 * A walk along the chain (audit.c): from the anchor the caller read into anchor_seq and
 * anchor_hash, record by record up to a seq, checking every link and hash. It reads
 * AUDIT_WALK_CHUNK records per read transaction, so it never holds one snapshot for long
 * (which would stall the host's WAL checkpoints, and with them its commits); records up to
 * the head never change, and the anchor is read again in every transaction: when it moved
 * (a prune ran meanwhile) the walk stops with SPOD_E_UNAVAILABLE and pruned set.
 * Returns SPOD_OK with seq/hash the last record walked (the anchor when none) and count
 * the records; SPOD_E_BAD_SIGNATURE with first_bad set; cb's error; a storage error.
 * cb (may be NULL) sees each record once it verified; e is valid during the call only.
 */
#define AUDIT_WALK_CHUNK 4096
#define AUDIT_WALK_TRIES 3 /* spod_store_audit_verify starts over after a prune this often */
struct store_walk {
	uint64_t anchor_seq;
	uint8_t anchor_hash[SPOD_STORE_HASH_BYTES];
	int (*cb)(void *ctx, const struct spod_audit_entry *e);
	void *ctx;
	uint64_t seq; /* out */
	uint8_t hash[SPOD_STORE_HASH_BYTES];
	uint64_t count;
	uint64_t first_bad;
	int pruned;
};
int store_audit_walk(struct spod_store *s, struct store_walk *w, uint64_t upto);

/*
 * The lines of an export file (audit_file.c, docs/storage.md "Export files"): the header of
 * seg, or one record, as JSON and a newline, into buf[0..cap) with the length in *len.
 * SPOD_E_TOO_LARGE when cap is short (AUDIT_FILE_LINE_MAX_BYTES always suffices).
 */
#define AUDIT_FILE_LINE_MAX_BYTES 16384u
int audit_file_header(char *buf, size_t cap, size_t *len, const struct spod_audit_segment *seg);
int audit_file_record(char *buf, size_t cap, size_t *len, const struct spod_audit_entry *e);

/* The connection, for tests that need raw SQL on the same handle. */
sqlite3 *store_db(struct spod_store *s);

#endif
