/*
 * spod-host's persistent state: key metadata, API token records and the hash-chained audit
 * log, in one SQLite database (WAL mode) in the data directory. docs/storage.md describes
 * the schema, the durability guarantee and the audit record encoding.
 *
 * The host never stores private keys. A store is used by one thread at a time; several
 * processes may open the same file (SQLite's locking serialises their writes).
 *
 * Every function that can fail returns SPOD_OK or a negative SPOD_E_* code. Storage
 * failures are SPOD_E_UNAVAILABLE (database busy or locked by another connection, disk
 * full, database read-only) or SPOD_E_IO (I/O error, corrupt or foreign file); for those
 * and for every other failure spod_store_last_error() gives a one-line message. A failed
 * write changes nothing: each call is one transaction, rolled back on error.
 */
#ifndef SPOD_STORE_STORE_H
#define SPOD_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "spod/wire.h"

#define SPOD_STORE_HASH_BYTES       32u /* SHA-256: token hashes, audit chain */
#define SPOD_STORE_TOKEN_ID_BYTES   16u
#define SPOD_STORE_LABEL_MAX_BYTES  128u  /* key label, without the terminating NUL */
#define SPOD_STORE_SCOPES_MAX_BYTES 1024u /* token scopes text, without the NUL */
#define SPOD_AUDIT_KIND_MAX_BYTES   32u   /* audit record kind, without the NUL */
#define SPOD_AUDIT_DIGEST_MAX_BYTES 64u
#define SPOD_AUDIT_DETAIL_MAX_BYTES 1024u /* without the NUL */
#define SPOD_STORE_BUSY_TIMEOUT_MS  1000  /* wait for another connection's lock, then fail */
#define SPOD_STORE_SCHEMA_VERSION   6     /* newest schema this code knows */

/* Largest canonical encoding of one audit record (see spod_store_audit_encode). */
#define SPOD_AUDIT_ENC_MAX_BYTES                                                                   \
	(8u + 8u + 4u + 5u * 4u + SPOD_AUDIT_KIND_MAX_BYTES + SPOD_KEY_ID_BYTES +                  \
	 SPOD_STORE_TOKEN_ID_BYTES + SPOD_AUDIT_DIGEST_MAX_BYTES + SPOD_AUDIT_DETAIL_MAX_BYTES)

struct spod_store;

/* Key metadata. Times are milliseconds since the Unix epoch; 0 means "not set". */
struct spod_store_key {
	uint8_t id[SPOD_KEY_ID_BYTES];
	uint8_t alg; /* SPOD_ALG_* */
	uint8_t public_key[SPOD_PUB_MAX_BYTES];
	size_t public_key_len;                      /* 1..SPOD_PUB_MAX_BYTES */
	char label[SPOD_STORE_LABEL_MAX_BYTES + 1]; /* "" = no label; unique among live keys */
	int64_t created_ms;
	int64_t deleted_ms; /* 0 = not deleted */
	int64_t lost_ms;    /* 0 = the enclave holds it; else when it was found missing */
	/* The token whose key.generate or key.import made it (schema 4, keys-max quotas);
	 * has_creator 0 = unknown: keys recorded before schema 4, created_by all zero. */
	uint8_t has_creator;
	uint8_t created_by[SPOD_STORE_TOKEN_ID_BYTES];
};

/* A token record: what the host stores about an API token (never the secret itself). */
struct spod_store_token {
	uint8_t id[SPOD_STORE_TOKEN_ID_BYTES];
	uint8_t hash[SPOD_STORE_HASH_BYTES];          /* unique */
	char scopes[SPOD_STORE_SCOPES_MAX_BYTES + 1]; /* opaque to the store */
	int64_t created_ms;
	int64_t expires_ms;  /* 0 = never */
	int64_t revoked_ms;  /* 0 = not revoked */
	uint32_t rate_per_s; /* 0 = no limit */
};

/*
 * One audit record as the caller hands it in. Optional byte strings are (NULL or empty)
 * when absent; absent and empty are the same value, stored as SQL NULL and encoded with
 * length 0.
 */
struct spod_audit_rec {
	int64_t time_ms;
	const char *kind;        /* required, 1..SPOD_AUDIT_KIND_MAX_BYTES, e.g. "sign" */
	const uint8_t *key_id;   /* NULL or SPOD_KEY_ID_BYTES */
	const uint8_t *token_id; /* NULL or SPOD_STORE_TOKEN_ID_BYTES */
	const uint8_t *digest;   /* NULL or digest_len bytes: what was signed */
	size_t digest_len;       /* 0..SPOD_AUDIT_DIGEST_MAX_BYTES */
	int32_t result;          /* SPOD_OK or the SPOD_E_* code of the operation */
	const char *detail;      /* NULL, or text of at most SPOD_AUDIT_DETAIL_MAX_BYTES */
};

/* A stored audit record as spod_store_audit_tail() shows it. */
struct spod_audit_entry {
	uint64_t seq;
	struct spod_audit_rec rec;
	const uint8_t *prev_hash; /* SPOD_STORE_HASH_BYTES */
	const uint8_t *hash;      /* SPOD_STORE_HASH_BYTES */
};

/*
 * Opens the database at path, creating it (mode 0600) when missing, and brings its schema
 * up to SPOD_STORE_SCHEMA_VERSION in one transaction. Sets WAL mode, synchronous=FULL,
 * foreign keys and a busy timeout of SPOD_STORE_BUSY_TIMEOUT_MS.
 * Returns SPOD_OK with *out set; SPOD_E_PROTOCOL for a database written by a newer spod
 * (schema version above SPOD_STORE_SCHEMA_VERSION); SPOD_E_IO or SPOD_E_UNAVAILABLE for
 * storage failures; SPOD_E_NOMEM. On failure *out is NULL and, as there is no store to ask,
 * the message is logged with spod_error().
 */
int spod_store_open(struct spod_store **out, const char *path)
    __attribute__((warn_unused_result, nonnull));

/*
 * spod_store_open for tools that must not create a database (the spod CLI): path must name
 * a database spod-host has written. Returns, besides spod_store_open's errors,
 * SPOD_E_BAD_ARG when nothing is at path (the file, or a directory on the way, is missing)
 * or when the file has no spod schema; nothing is created or changed then.
 */
int spod_store_open_existing(struct spod_store **out, const char *path)
    __attribute__((warn_unused_result, nonnull));

/*
 * When a commit returns (docs/storage.md, "Durability"):
 * FULL (the default of spod_store_open): after the WAL is fsync'ed — survives power loss.
 * NORMAL: after the WAL is written to the OS — survives a crash of the process (even
 * SIGKILL), not of the OS or the machine; the WAL is fsync'ed at checkpoints only.
 * Returns SPOD_OK, SPOD_E_BAD_ARG, or a storage error.
 */
enum spod_store_sync {
	SPOD_STORE_SYNC_FULL = 0,
	SPOD_STORE_SYNC_NORMAL = 1,
};
int spod_store_set_sync(struct spod_store *s, enum spod_store_sync mode)
    __attribute__((warn_unused_result, nonnull));

/*
 * WAL checkpoints (copying committed pages from the -wal file into the database, with an
 * fsync). By default SQLite runs one inside the commit that pushes the WAL past `pages`
 * pages (1000), which makes that commit milliseconds slow. set_autocheckpoint(s, 0) stops
 * that on this connection (and caps the WAL file kept after it starts over at
 * SPOD_STORE_WAL_LIMIT bytes); spod_store_checkpoint, from another connection in another
 * thread, then does the work. restart 0 (SQLite's PASSIVE) never blocks the writer, but
 * under steady writes it never catches up, so the WAL keeps growing; restart 1 (RESTART)
 * waits for the writer, copies the rest and makes the next commit start the WAL over,
 * holding the writer back for that one copy and fsync.
 * *wal_frames / *done_frames: the WAL's size and how much of it is now in the database
 * (both -1 when the database is not in WAL mode). SQLITE_BUSY (another checkpoint, or the
 * writer holding on past the busy timeout) is SPOD_E_UNAVAILABLE; try again later.
 */
#define SPOD_STORE_WAL_LIMIT      (16 * 1024 * 1024)
#define SPOD_STORE_WAL_LIMIT_TEXT "16777216"
int spod_store_set_autocheckpoint(struct spod_store *s, int pages)
    __attribute__((warn_unused_result, nonnull));
int spod_store_checkpoint(struct spod_store *s, int restart, int *wal_frames, int *done_frames)
    __attribute__((warn_unused_result, nonnull));

/* Closes the database and frees s. NULL is ignored. */
void spod_store_close(struct spod_store *s);

/* Message of the last failed call on s ("" when none); valid until the next call on s. */
const char *spod_store_last_error(const struct spod_store *s) __attribute__((nonnull));

/*
 * Key metadata.
 * put: inserts k; SPOD_E_BAD_ARG when a key with that id, or a live key with that label,
 * exists, or a field is out of range.
 * A key is live while neither deleted nor lost. A lost key is one the enclave was found not to
 * hold (docs/storage.md, "Key records follow the enclave"): it keeps its record, but not its
 * label's uniqueness, and becomes live again if the enclave holds it after all.
 * get / find_label: copy the key (in any state) into *out; SPOD_E_KEY_NOT_FOUND when none
 * (find_label looks at live keys only).
 * list: calls cb for each key in created order: live ones (SPOD_STORE_KEYS_LIVE), those not
 * deleted (live or lost, SPOD_STORE_KEYS_HELD) or all; a negative return from cb stops the
 * walk and is returned. cb must not call into s; k is valid during the call only.
 * mark_deleted: sets deleted_ms of a key that is not deleted; SPOD_E_KEY_NOT_FOUND when none.
 * mark_lost: sets lost_ms of a live key; SPOD_E_KEY_NOT_FOUND when there is no live key.
 * mark_found: makes a lost key live again; SPOD_E_KEY_NOT_FOUND when there is no lost key,
 * SPOD_E_BAD_ARG when a live key has taken its label meanwhile (it stays lost).
 */
enum spod_store_keys {
	SPOD_STORE_KEYS_LIVE = 0,
	SPOD_STORE_KEYS_ALL = 1,
	SPOD_STORE_KEYS_HELD = 2,
};
int spod_store_key_put(struct spod_store *s, const struct spod_store_key *k)
    __attribute__((warn_unused_result, nonnull));
int spod_store_key_get(struct spod_store *s, struct spod_store_key *out,
                       const uint8_t id[static SPOD_KEY_ID_BYTES])
    __attribute__((warn_unused_result, nonnull));
int spod_store_key_find_label(struct spod_store *s, struct spod_store_key *out, const char *label)
    __attribute__((warn_unused_result, nonnull));
int spod_store_key_list(struct spod_store *s, enum spod_store_keys which,
                        int (*cb)(void *ctx, const struct spod_store_key *k), void *ctx)
    __attribute__((warn_unused_result, nonnull(1, 3)));
int spod_store_key_mark_deleted(struct spod_store *s, const uint8_t id[static SPOD_KEY_ID_BYTES],
                                int64_t time_ms) __attribute__((warn_unused_result, nonnull));
/*
 * *n = the number of live keys (neither deleted nor lost) the token created (created_by
 * equal to token_id). Returns SPOD_OK (*n may be 0) or a storage error (*n = 0).
 */
int spod_store_key_count_created(struct spod_store *s, uint64_t *n,
                                 const uint8_t token_id[static SPOD_STORE_TOKEN_ID_BYTES])
    __attribute__((warn_unused_result, nonnull));
/*
 * Sealed keys (docs/keys.md): the enclave's blob of a key, stored with it. put_sealed inserts
 * the key record and its blob (1..SPOD_STORE_BLOB_MAX_BYTES) in one transaction: both or
 * neither (errors as spod_store_key_put). list_sealed calls cb for every key that is not
 * deleted, in created order, with its blob (NULL and 0 when it has none); a negative return
 * from cb stops the walk and is returned; k and blob are valid during the call only.
 */
#define SPOD_STORE_BLOB_MAX_BYTES SPOD_BLOB_MAX_BYTES
int spod_store_key_put_sealed(struct spod_store *s, const struct spod_store_key *k,
                              const uint8_t *blob, size_t blob_len)
    __attribute__((warn_unused_result, nonnull));
/*
 * Replaces the sealed blob of key id with blob[0..blob_len) (1..SPOD_STORE_BLOB_MAX_BYTES), in
 * one transaction: the blob the enclave re-made when the key's policy changed (policy.set,
 * docs/policy.md). The key's record must exist and not be deleted (a lost key's may be
 * replaced: the enclave that answered holds the key). A key recorded without a blob gets
 * this one. Returns SPOD_OK; SPOD_E_KEY_NOT_FOUND (no such record, or deleted: nothing is
 * written); SPOD_E_BAD_ARG (blob_len); a storage error.
 */
int spod_store_key_replace_blob(struct spod_store *s, const uint8_t id[static SPOD_KEY_ID_BYTES],
                                const uint8_t *blob, size_t blob_len, int64_t time_ms)
    __attribute__((warn_unused_result, nonnull));
/*
 * One transaction for what the host's journal commits together: new keys with their sealed
 * blobs and a batch of audit records (as spod_store_audit_append). All of it is stored, or
 * none (errors as those functions). keys may be NULL when nkeys is 0, recs when n is 0.
 */
struct spod_store_sealed {
	struct spod_store_key key;
	const uint8_t *blob;
	size_t blob_len;
};
int spod_store_commit_batch(struct spod_store *s, const struct spod_store_sealed *keys,
                            size_t nkeys, const struct spod_audit_rec *recs, size_t n)
    __attribute__((warn_unused_result, nonnull(1)));
/*
 * ---- Signed evidence and signed heads (docs/evidence.md) ----
 * Stored beside the audit log, in the same database: each enclave boot's evidence public key
 * with the attestation document that binds it; each signed batch of evidence records (its
 * root signature, and every record with its inclusion proof, computed here); each audit head
 * the enclave signed. None of it is secret; all of it is append-only (triggers).
 */
struct spod_store_evidence {
	const uint8_t *pub;     /* 32: the evidence public key */
	uint64_t first;         /* counter of records[0] */
	uint32_t count;         /* 1..SPOD_EVIDENCE_BATCH_MAX */
	const uint8_t *sig;     /* 64: over spod_evidence_root_msg(pub, first, count, root) */
	const uint8_t *records; /* count * SPOD_EVIDENCE_RECORD_BYTES, as the enclave sent them */
	int64_t time_ms;        /* when spod-host received them */
};
/*
 * As spod_store_commit_batch, and the evidence batches ev[0..nev) in the same transaction:
 * for each, its root row and one row per record with the record's inclusion proof (RFC 9162).
 * The signature is not checked here (spod audit verify does). A batch whose counters are
 * already stored for its key is refused (SPOD_E_BAD_ARG) and nothing is written.
 */
int spod_store_commit_all(struct spod_store *s, const struct spod_store_sealed *keys, size_t nkeys,
                          const struct spod_audit_rec *recs, size_t n,
                          const struct spod_store_evidence *ev, size_t nev)
    __attribute__((warn_unused_result, nonnull(1)));
/*
 * Records an evidence public key and the attestation document (COSE_Sign1 bytes, at most
 * SPOD_DOC_MAX_BYTES) that binds it, the first time it is seen; a key already stored keeps its
 * first document. SPOD_OK, SPOD_E_BAD_ARG, or a storage error.
 */
int spod_store_evidence_key_put(struct spod_store *s, const uint8_t pub[32], const uint8_t *doc,
                                size_t doc_len, int64_t time_ms)
    __attribute__((warn_unused_result, nonnull));
/* An audit head the enclave signed (audit.head mode SIGN or QUERY answer). */
struct spod_store_head {
	uint8_t pub[32];
	uint64_t seq;
	uint8_t hash[32];
	uint64_t counter;
	uint8_t nonce[64];
	uint8_t nonce_len;
	uint8_t sig[64];
	int64_t time_ms;
};
int spod_store_head_put(struct spod_store *s, const struct spod_store_head *h)
    __attribute__((warn_unused_result, nonnull));

/*
 * Reading it back (`spod audit verify`). Each walk calls cb once per row, in the order given;
 * a negative return from cb stops the walk and is returned. cb must not call into s; the
 * struct and what it points to are valid during the call only. A row that does not fit its
 * struct (lengths) is SPOD_E_IO "malformed row"; otherwise SPOD_OK or a storage error.
 * keys: every evidence key with its document, in first-seen order.
 * roots: every signed batch, in stored order (id ascending).
 * records: every record, by key (pub bytes) then counter, so a batch's records are adjacent
 * and in idx order.
 * heads: every signed head, in stored order.
 */
struct spod_store_evkey {
	const uint8_t *pub; /* 32 */
	const uint8_t *doc;
	size_t doc_len;
	int64_t first_seen_ms;
};
struct spod_store_evroot {
	int64_t id;
	const uint8_t *pub; /* 32 */
	uint64_t first;
	uint32_t count;
	const uint8_t *root; /* 32: the Merkle root spod-host computed from the records */
	const uint8_t *sig;  /* 64 */
	int64_t time_ms;
};
struct spod_store_evrec {
	const uint8_t *pub; /* 32 */
	uint64_t counter;
	int64_t root_id;       /* its batch (struct spod_store_evroot id) */
	uint32_t idx;          /* its leaf index in the batch */
	const uint8_t *record; /* SPOD_EVIDENCE_RECORD_BYTES (160) */
	const uint8_t *proof;  /* proof_len bytes: proof_len / 32 hashes */
	size_t proof_len;
};
int spod_store_evidence_keys(struct spod_store *s,
                             int (*cb)(void *ctx, const struct spod_store_evkey *k), void *ctx)
    __attribute__((warn_unused_result, nonnull(1, 2)));
int spod_store_evidence_roots(struct spod_store *s,
                              int (*cb)(void *ctx, const struct spod_store_evroot *r), void *ctx)
    __attribute__((warn_unused_result, nonnull(1, 2)));
int spod_store_evidence_records(struct spod_store *s,
                                int (*cb)(void *ctx, const struct spod_store_evrec *e), void *ctx)
    __attribute__((warn_unused_result, nonnull(1, 2)));
int spod_store_heads(struct spod_store *s, int (*cb)(void *ctx, const struct spod_store_head *h),
                     void *ctx) __attribute__((warn_unused_result, nonnull(1, 2)));
/*
 * The hash of audit record seq: 1 with hash filled, 0 when the database does not hold that
 * record (never written, or pruned), or a storage error.
 */
int spod_store_audit_hash_at(struct spod_store *s, uint64_t seq,
                             uint8_t hash[static SPOD_STORE_HASH_BYTES])
    __attribute__((warn_unused_result, nonnull));

/*
 * Settings the pod remembers between runs, by name (SPOD_SETTING_*), as opaque values of up
 * to SPOD_SETTING_MAX_BYTES. get: 1 with the value in value[0..*len), 0 when the setting was
 * never put, or SPOD_E_IO (a stored value longer than cap) / a database error. put: SPOD_OK,
 * replacing any earlier value, or SPOD_E_BAD_ARG (len 0 or too long) / a database error.
 */
#define SPOD_SETTING_MAX_BYTES   256u
#define SPOD_SETTING_SEAL_KEY_ID "custodian_seal_key_id" /* 16 bytes: custodian mode's key */
int spod_store_setting_get(struct spod_store *s, const char *name, uint8_t *value, size_t cap,
                           size_t *len) __attribute__((warn_unused_result, nonnull));
int spod_store_setting_put(struct spod_store *s, const char *name, const uint8_t *value, size_t len,
                           int64_t time_ms) __attribute__((warn_unused_result, nonnull));

int spod_store_key_list_sealed(struct spod_store *s,
                               int (*cb)(void *ctx, const struct spod_store_key *k,
                                         const uint8_t *blob, size_t blob_len),
                               void *ctx) __attribute__((warn_unused_result, nonnull(1, 2)));
int spod_store_key_mark_lost(struct spod_store *s, const uint8_t id[static SPOD_KEY_ID_BYTES],
                             int64_t time_ms) __attribute__((warn_unused_result, nonnull));
int spod_store_key_mark_found(struct spod_store *s, const uint8_t id[static SPOD_KEY_ID_BYTES])
    __attribute__((warn_unused_result, nonnull));

/*
 * Token records.
 * insert: SPOD_E_BAD_ARG when the id or the hash exists already or a field is out of range.
 * find_hash: copies the record (also revoked or expired ones: the caller decides) into *out;
 * SPOD_E_KEY_NOT_FOUND when no token has that hash.
 * list: as spod_store_key_list, in created order, revoked ones included.
 * revoke: sets revoked_ms unless already set (then the first time is kept and SPOD_OK
 * returned); SPOD_E_KEY_NOT_FOUND when no token has that id.
 */
int spod_store_token_insert(struct spod_store *s, const struct spod_store_token *t)
    __attribute__((warn_unused_result, nonnull));
int spod_store_token_find_hash(struct spod_store *s, struct spod_store_token *out,
                               const uint8_t hash[static SPOD_STORE_HASH_BYTES])
    __attribute__((warn_unused_result, nonnull));
int spod_store_token_list(struct spod_store *s,
                          int (*cb)(void *ctx, const struct spod_store_token *t), void *ctx)
    __attribute__((warn_unused_result, nonnull(1, 2)));
int spod_store_token_revoke(struct spod_store *s,
                            const uint8_t id[static SPOD_STORE_TOKEN_ID_BYTES], int64_t time_ms)
    __attribute__((warn_unused_result, nonnull));

/*
 * Appends recs[0..n) to the audit log in one transaction, as seq head+1 .. head+n, each with
 * hash = SHA-256(prev_hash || spod_store_audit_encode(seq, rec)) and prev_hash the hash of
 * the record before it (32 zero bytes for seq 1). Returns SPOD_OK only after COMMIT, that is
 * once the records are durable (docs/storage.md, "Durability"). On any failure no record of
 * the batch is stored. SPOD_E_BAD_ARG when a record is out of range (nothing written);
 * n == 0 writes nothing and returns SPOD_OK.
 */
int spod_store_audit_append(struct spod_store *s, const struct spod_audit_rec *recs, size_t n)
    __attribute__((warn_unused_result, nonnull(1)));

/*
 * Seq and hash of the newest audit record: 0 and 32 zero bytes when the log is empty; the
 * anchor's (below) when every record was pruned.
 */
int spod_store_audit_head(struct spod_store *s, uint64_t *seq,
                          uint8_t hash[static SPOD_STORE_HASH_BYTES])
    __attribute__((warn_unused_result, nonnull));

/*
 * A stretch of the chain: records first_seq..last_seq, linked to the record before them by
 * prev_hash (32 zero bytes when first_seq is 1), last_hash the hash of record last_seq. It
 * is empty when last_seq = first_seq - 1 (last_hash is then prev_hash).
 */
struct spod_audit_segment {
	uint64_t first_seq;
	uint64_t last_seq;
	uint8_t prev_hash[SPOD_STORE_HASH_BYTES];
	uint8_t last_hash[SPOD_STORE_HASH_BYTES];
};

/*
 * Re-walks the log in seq order from the anchor (the genesis link, seq 0 and 32 zero bytes,
 * when the log was never pruned), recomputing every hash, in one read transaction.
 * Returns SPOD_OK with *first_bad_seq = 0 when the chain is intact; *count is the number of
 * records and *seg the segment the database holds (from anchor seq + 1 to the newest
 * record). Returns SPOD_E_BAD_SIGNATURE when it is not, with *first_bad_seq the first seq
 * at which it breaks: a record whose stored hash or prev_hash does not match, or the first
 * missing seq of a gap; *count is the number of intact records before it, and
 * spod_store_last_error() says what is wrong. Storage failures as elsewhere (both outputs 0).
 * Removing the newest records leaves an intact chain: compare *count with a head seen before.
 */
int spod_store_audit_verify(struct spod_store *s, uint64_t *first_bad_seq, uint64_t *count,
                            struct spod_audit_segment *seg)
    __attribute__((warn_unused_result, nonnull));

/*
 * Calls cb for the newest n records, oldest first. A negative return from cb stops the walk
 * and is returned. e and everything it points to are valid during the call only; cb must not
 * call into s.
 */
int spod_store_audit_tail(struct spod_store *s, size_t n,
                          int (*cb)(void *ctx, const struct spod_audit_entry *e), void *ctx)
    __attribute__((warn_unused_result, nonnull(1, 3)));

/*
 * Retention (docs/storage.md, "Retention"): old records move out of the database into
 * export files, each a segment of the chain that verifies on its own, and are then pruned.
 * The anchor is the seq and hash of the newest pruned record, kept in the settings table
 * under SPOD_SETTING_AUDIT_ANCHOR as the text "SEQ HEX"; verify and append continue the
 * chain from it, and the audit table's delete trigger allows deleting records up to it only.
 *
 * anchor: 1 with *seq and hash; 0 with seq 0 and 32 zero bytes (the genesis link) when the
 * log was never pruned; SPOD_E_IO when the stored anchor is malformed; a storage error.
 */
#define SPOD_SETTING_AUDIT_ANCHOR "audit_anchor"
int spod_store_audit_anchor(struct spod_store *s, uint64_t *seq,
                            uint8_t hash[static SPOD_STORE_HASH_BYTES])
    __attribute__((warn_unused_result, nonnull));

/*
 * Writes the records from the oldest the database holds (anchor seq + 1) up to upto into a
 * new export file at path (mode 0600; an existing file is never replaced), checking every
 * link and hash on the way as spod_store_audit_verify does; file and directory are fsync'ed
 * before it returns. Safe beside a running spod-host: the records are read in short read
 * transactions. *seg is the segment written.
 * Returns SPOD_OK; SPOD_E_BAD_ARG when upto is not a record the database holds, or path
 * exists or cannot be created or written (the file's errors are the caller's to fix, as
 * any other argument's); SPOD_E_BAD_SIGNATURE when the chain is broken on the way;
 * SPOD_E_UNAVAILABLE when a prune ran meanwhile; storage errors. On failure nothing is left
 * at path.
 */
int spod_store_audit_export(struct spod_store *s, struct spod_audit_segment *seg, const char *path,
                            uint64_t upto) __attribute__((warn_unused_result, nonnull));

/* What spod_audit_file_verify found. */
struct spod_audit_file_check {
	struct spod_audit_segment seg; /* as the header names it */
	uint64_t records;              /* records that verified, from seg.first_seq on */
	uint64_t first_bad_seq;        /* 0, or the seq at which the file breaks */
	unsigned long line;            /* line of the failure (1 = the header); 0 when none */
	int at_found;                  /* the file reaches at_seq: its hash is at_hash */
	uint8_t at_hash[SPOD_STORE_HASH_BYTES];
	char why[200]; /* "" or what is wrong */
};

/*
 * Re-walks the export file at path (docs/storage.md, "Export files"): from the header's
 * prev_hash (32 zero bytes for seq 1) every record line must be the next seq, link to the
 * hash before it and hash to its own hash, and the last must be the header's last_seq with
 * its last_hash. at_seq names a record whose hash to report as well (first_seq - 1: the
 * header's prev_hash), for a caller that must tie the file to an anchor. Needs no database.
 * Returns SPOD_OK with the check filled; SPOD_E_BAD_ARG when path cannot be read or does not
 * start with a version-1 header; SPOD_E_BAD_SIGNATURE when a line is malformed or a record
 * altered, missing, out of order or extra (first_bad_seq, line and why say where).
 */
int spod_audit_file_verify(struct spod_audit_file_check *check, const char *path, uint64_t at_seq)
    __attribute__((warn_unused_result, nonnull));

/*
 * Deletes the records up to upto from the database, only when the export file at path
 * verifies, ends at upto with the hash the database holds for upto, and holds every record
 * to be deleted (it reaches back to the anchor, with the anchor's hash). The transaction
 * that records upto as the new anchor deletes the first SPOD_STORE_PRUNE_BATCH of them; the
 * rest go in batches of as many, one transaction each, so spod-host's commits never wait
 * long for the lock. A prune cut short is finished by the next one, also with upto the
 * anchor itself; verify and export skip records at or below the anchor meanwhile.
 * Returns SPOD_OK with *deleted the records deleted; SPOD_E_BAD_ARG when the file does not
 * qualify or upto is not above the anchor or held by the database (spod_store_last_error
 * says why); the errors of spod_audit_file_verify; storage errors.
 */
#define SPOD_STORE_PRUNE_BATCH 10000u
int spod_store_audit_prune(struct spod_store *s, uint64_t *deleted, const char *path, uint64_t upto)
    __attribute__((warn_unused_result, nonnull));

/*
 * VACUUM: rewrites the database without its free pages, giving the space of pruned records
 * back to the file system. It needs free space of about the database's size and holds the
 * write lock throughout (docs/storage.md). SPOD_OK or a storage error.
 */
int spod_store_vacuum(struct spod_store *s) __attribute__((warn_unused_result, nonnull));

/*
 * The canonical encoding of one record, the input of the chain hash after prev_hash:
 *   u64 seq | i64 time_ms | i32 result | str kind | str key_id | str token_id | str digest |
 *   str detail
 * integers little-endian, two's complement for the signed ones; str = u32 length then the
 * bytes (no NUL); absent values have length 0. Writes at most cap bytes to buf and the
 * length to *len. SPOD_E_BAD_ARG when rec is out of range, SPOD_E_TOO_LARGE when cap is short.
 */
int spod_store_audit_encode(uint8_t *buf, size_t cap, size_t *len, uint64_t seq,
                            const struct spod_audit_rec *rec)
    __attribute__((warn_unused_result, nonnull));

/* hash = SHA-256(prev_hash || encode(seq, rec)); SPOD_E_BAD_ARG or SPOD_E_CRYPTO on failure. */
int spod_store_audit_hash(uint8_t hash[static SPOD_STORE_HASH_BYTES],
                          const uint8_t prev_hash[static SPOD_STORE_HASH_BYTES], uint64_t seq,
                          const struct spod_audit_rec *rec)
    __attribute__((warn_unused_result, nonnull));

#endif
