/*
 * spod-host's store: schema migrations, key and token records, and the hash-chained audit
 * log (batches, tamper and gap detection, storage failures, crash durability).
 */
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/bytes.h"
#include "common/hex.h"
#include "spod/err.h"
#include "host/store/store.h"
#include "host/store/store_int.h"

struct fixture {
	char dir[64];
	char path[96];
	struct spod_store *s;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof *fx);

	if (fx == NULL)
		return -1;
	snprintf(fx->dir, sizeof fx->dir, "/tmp/spod-store-XXXXXX");
	if (mkdtemp(fx->dir) == NULL) {
		free(fx);
		return -1;
	}
	snprintf(fx->path, sizeof fx->path, "%s/spod.db", fx->dir);
	if (spod_store_open(&fx->s, fx->path) != SPOD_OK) {
		rmdir(fx->dir);
		free(fx);
		return -1;
	}
	*state = fx;
	return 0;
}

/* Removes the database and whatever else a test left in its directory (export files). */
static int teardown(void **state)
{
	struct fixture *fx = *state;
	DIR *d;
	struct dirent *de;
	char p[384];

	spod_store_close(fx->s);
	d = opendir(fx->dir);
	while (d != NULL && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof p, "%s/%s", fx->dir, de->d_name);
		unlink(p);
	}
	if (d != NULL)
		closedir(d);
	rmdir(fx->dir);
	free(fx);
	return 0;
}

static void reopen(struct fixture *fx)
{
	spod_store_close(fx->s);
	fx->s = NULL;
	assert_int_equal(spod_store_open(&fx->s, fx->path), SPOD_OK);
}

static void sql(struct spod_store *s, const char *q)
{
	char *msg = NULL;
	int rc = sqlite3_exec(store_db(s), q, NULL, NULL, &msg);

	if (rc != SQLITE_OK)
		fail_msg("%s: %s", q, msg);
}

static int64_t sql_int(struct spod_store *s, const char *q)
{
	sqlite3_stmt *st;
	int64_t v;

	assert_int_equal(sqlite3_prepare_v2(store_db(s), q, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void unhex(uint8_t *out, size_t n, const char *hex)
{
	size_t got;

	assert_int_equal(spod_hex_decode(out, n, &got, hex), SPOD_OK);
	assert_int_equal(got, n);
}

/* Record i of a test log: every field varies with i, some are absent. */
static struct spod_audit_rec test_rec(uint64_t i, uint8_t ids[16], uint8_t digest[32])
{
	struct spod_audit_rec r = {.time_ms = 1700000000000 + (int64_t)i, .kind = "sign"};

	memset(ids, (int)(i & 0xff), 16);
	memset(digest, (int)((i * 7) & 0xff), 32);
	r.key_id = ids;
	r.token_id = (i % 3) ? ids : NULL;
	r.digest = digest;
	r.digest_len = (i % 5) ? 32 : 0;
	r.result = (i % 11) ? SPOD_OK : SPOD_E_BAD_DIGEST;
	r.detail = (i % 2) ? "mode=ecdsa" : NULL;
	return r;
}

/* Appends n test records in one batch. */
static int append_n(struct spod_store *s, size_t n)
{
	struct spod_audit_rec *recs = calloc(n, sizeof *recs);
	uint8_t(*ids)[16] = calloc(n, 16);
	uint8_t(*digests)[32] = calloc(n, 32);
	uint64_t head;
	uint8_t hash[32];
	int err;

	assert_non_null(recs);
	assert_non_null(ids);
	assert_non_null(digests);
	assert_int_equal(spod_store_audit_head(s, &head, hash), SPOD_OK);
	for (size_t i = 0; i < n; i++)
		recs[i] = test_rec(head + 1 + i, ids[i], digests[i]);
	err = spod_store_audit_append(s, recs, n);
	free(recs);
	free(ids);
	free(digests);
	return err;
}

static void assert_chain(struct spod_store *s, uint64_t want_count)
{
	struct spod_audit_segment seg;
	uint64_t bad = 99, count = 0;

	assert_int_equal(spod_store_audit_verify(s, &bad, &count, &seg), SPOD_OK);
	assert_int_equal(bad, 0);
	assert_int_equal(count, want_count);
}

/*
 * The encoding of docs/storage.md, checked against an independent implementation:
 *   import struct, hashlib
 *   s = lambda b: struct.pack('<I', len(b)) + b
 *   enc = struct.pack('<Qqi', 7, 1700000000123, -14) + s(b'sign') + s(bytes(range(16))) \
 *         + s(b'') + s(b'\xaa' * 32) + s(b'mode=ecdsa')
 *   hashlib.sha256(b'\x11' * 32 + enc).hexdigest()
 */
static void test_encode_vector(void **state)
{
	uint8_t key_id[16], digest[32], prev[32], hash[32], want_hash[32], want[102], buf[512];
	struct spod_audit_rec r = {.time_ms = 1700000000123,
	                           .kind = "sign",
	                           .key_id = key_id,
	                           .digest = digest,
	                           .digest_len = 32,
	                           .result = SPOD_E_KEY_NOT_FOUND,
	                           .detail = "mode=ecdsa"};
	size_t len;

	(void)state;
	for (int i = 0; i < 16; i++)
		key_id[i] = (uint8_t)i;
	memset(digest, 0xaa, sizeof digest);
	memset(prev, 0x11, sizeof prev);
	unhex(want, sizeof want,
	      "07000000000000007b68e5cf8b010000f2ffffff040000007369676e10000000000102030405060708"
	      "090a0b0c0d0e0f0000000020000000aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	      "aaaaaaaaaaaa0a0000006d6f64653d6563647361");
	assert_int_equal(spod_store_audit_encode(buf, sizeof buf, &len, 7, &r), SPOD_OK);
	assert_int_equal(len, sizeof want);
	assert_memory_equal(buf, want, sizeof want);
	assert_int_equal(spod_store_audit_encode(buf, sizeof want - 1, &len, 7, &r),
	                 SPOD_E_TOO_LARGE);
	assert_int_equal(len, 0);

	unhex(want_hash, 32, "d491f69a961e27c9776ba90520e17365fa92488cb3f5c423684dfda742af654a");
	assert_int_equal(spod_store_audit_hash(hash, prev, 7, &r), SPOD_OK);
	assert_memory_equal(hash, want_hash, 32);
	/* "" and NULL are the same absent value */
	r.detail = "";
	r.digest_len = 0;
	assert_int_equal(spod_store_audit_encode(buf, sizeof buf, &len, 7, &r), SPOD_OK);
	assert_int_equal(len, sizeof want - 32 - 10);
}

/* The first stored record chains from 32 zero bytes (genesis), hash computed as above. */
static void test_genesis(void **state)
{
	struct fixture *fx = *state;
	uint8_t token_id[16], hash[32], want[32];
	struct spod_audit_rec r = {.time_ms = 1, .kind = "token.create", .token_id = token_id};
	uint64_t seq;

	memset(token_id, 0x42, sizeof token_id);
	assert_int_equal(spod_store_audit_head(fx->s, &seq, hash), SPOD_OK);
	assert_int_equal(seq, 0);
	assert_true(spod_all_zero(hash, sizeof hash));
	assert_int_equal(spod_store_audit_append(fx->s, &r, 1), SPOD_OK);
	assert_int_equal(spod_store_audit_head(fx->s, &seq, hash), SPOD_OK);
	assert_int_equal(seq, 1);
	unhex(want, 32, "aed9ea815cc92f3496e760e68417d72a72cab9e28e2ad21d8c14e45e83d99232");
	assert_memory_equal(hash, want, 32);
	assert_chain(fx->s, 1);
}

static void test_migrate_from_empty(void **state)
{
	struct fixture *fx = *state;
	struct stat st;

	assert_int_equal(sql_int(fx->s, "SELECT max(version) FROM schema_version"),
	                 SPOD_STORE_SCHEMA_VERSION);
	assert_int_equal(sql_int(fx->s, "SELECT count(*) FROM sqlite_schema WHERE type = 'table'"
	                                " AND name IN ('keys', 'sealed_blobs', 'tokens', 'audit')"),
	                 4);
	assert_int_equal(sql_int(fx->s, "SELECT journal_mode = 'wal' FROM pragma_journal_mode"), 1);
	assert_int_equal(sql_int(fx->s, "SELECT synchronous FROM pragma_synchronous"), 2);
	assert_int_equal(sql_int(fx->s, "SELECT foreign_keys FROM pragma_foreign_keys"), 1);
	assert_int_equal(stat(fx->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* a second open applies nothing */
	reopen(fx);
	assert_int_equal(sql_int(fx->s, "SELECT count(*) FROM schema_version"),
	                 SPOD_STORE_SCHEMA_VERSION);
}

static void test_newer_schema_refused(void **state)
{
	struct fixture *fx = *state;
	struct spod_store *s2 = (struct spod_store *)&s2;

	sql(fx->s, "INSERT INTO schema_version VALUES (99, 0)");
	assert_int_equal(spod_store_open(&s2, fx->path), SPOD_E_PROTOCOL);
	assert_null(s2);
	/* the refusal changed nothing */
	assert_int_equal(sql_int(fx->s, "SELECT max(version) FROM schema_version"), 99);
}

static void test_not_a_database(void **state)
{
	struct fixture *fx = *state;
	struct spod_store *s2;
	char p[128];
	int fd;

	snprintf(p, sizeof p, "%s/junk", fx->dir);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	for (int i = 0; i < 64; i++)
		assert_int_equal(write(fd, "this is not an SQLite database.\n", 32), 32);
	close(fd);
	assert_int_equal(spod_store_open(&s2, p), SPOD_E_IO);
	assert_null(s2);
	unlink(p);
}

/* open_existing never creates: not the file, not its directory, not a schema in an empty file. */
static void test_open_existing(void **state)
{
	struct fixture *fx = *state;
	struct spod_store *s2 = (struct spod_store *)&s2;
	struct stat st;
	char p[160];
	int fd;

	assert_int_equal(spod_store_open_existing(&s2, fx->path), SPOD_OK);
	spod_store_close(s2);
	snprintf(p, sizeof p, "%s/typo.db", fx->dir);
	assert_int_equal(spod_store_open_existing(&s2, p), SPOD_E_BAD_ARG);
	assert_null(s2);
	assert_int_equal(stat(p, &st), -1);
	snprintf(p, sizeof p, "%s/no-such-dir/spod.db", fx->dir);
	assert_int_equal(spod_store_open_existing(&s2, p), SPOD_E_BAD_ARG);
	snprintf(p, sizeof p, "%s/no-such-dir", fx->dir);
	assert_int_equal(stat(p, &st), -1);
	/* a file is not a database spod-host wrote: left as it was */
	snprintf(p, sizeof p, "%s/empty.db", fx->dir);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(spod_store_open_existing(&s2, p), SPOD_E_BAD_ARG);
	assert_null(s2);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_size, 0);
	unlink(p);
	snprintf(p, sizeof p, "%s/empty.db-wal", fx->dir);
	unlink(p);
	snprintf(p, sizeof p, "%s/empty.db-shm", fx->dir);
	unlink(p);
}

static struct spod_store_key test_key(uint8_t n, const char *label)
{
	struct spod_store_key k = {.alg = 1, .public_key_len = 33, .created_ms = 1000 + n};

	memset(k.id, n, sizeof k.id);
	memset(k.public_key, 0x02 + n, k.public_key_len);
	snprintf(k.label, sizeof k.label, "%s", label);
	return k;
}

static int count_keys(void *ctx, const struct spod_store_key *k)
{
	(void)k;
	(*(int *)ctx)++;
	return SPOD_OK;
}

static int stop_keys(void *ctx, const struct spod_store_key *k)
{
	(void)ctx;
	(void)k;
	return SPOD_E_BUSY;
}

static void test_keys(void **state)
{
	struct fixture *fx = *state;
	struct spod_store_key a = test_key(1, "alice"), b = test_key(2, ""), got;
	struct spod_store_key again = test_key(3, "alice"), bad = test_key(4, "x");
	uint8_t unknown[16] = {0xee};
	int n = 0;

	assert_int_equal(spod_store_key_put(fx->s, &a), SPOD_OK);
	assert_int_equal(spod_store_key_put(fx->s, &b), SPOD_OK);
	assert_int_equal(spod_store_key_put(fx->s, &a), SPOD_E_BAD_ARG); /* same id */
	assert_true(strlen(spod_store_last_error(fx->s)) > 0);
	assert_int_equal(spod_store_key_put(fx->s, &again), SPOD_E_BAD_ARG); /* live label */
	bad.public_key_len = 0;
	assert_int_equal(spod_store_key_put(fx->s, &bad), SPOD_E_BAD_ARG);

	assert_int_equal(spod_store_key_get(fx->s, &got, a.id), SPOD_OK);
	assert_memory_equal(&got, &a, sizeof got);
	assert_int_equal(spod_store_key_get(fx->s, &got, b.id), SPOD_OK);
	assert_string_equal(got.label, "");
	assert_int_equal(got.deleted_ms, 0);
	assert_int_equal(spod_store_key_find_label(fx->s, &got, "alice"), SPOD_OK);
	assert_memory_equal(got.id, a.id, 16);
	assert_int_equal(spod_store_key_get(fx->s, &got, unknown), SPOD_E_KEY_NOT_FOUND);
	assert_int_equal(spod_store_key_find_label(fx->s, &got, "bob"), SPOD_E_KEY_NOT_FOUND);

	assert_int_equal(spod_store_key_list(fx->s, SPOD_STORE_KEYS_LIVE, count_keys, &n), SPOD_OK);
	assert_int_equal(n, 2);
	assert_int_equal(spod_store_key_list(fx->s, SPOD_STORE_KEYS_LIVE, stop_keys, NULL),
	                 SPOD_E_BUSY);

	assert_int_equal(spod_store_key_mark_deleted(fx->s, a.id, 5000), SPOD_OK);
	assert_int_equal(spod_store_key_mark_deleted(fx->s, a.id, 6000), SPOD_E_KEY_NOT_FOUND);
	assert_int_equal(spod_store_key_mark_deleted(fx->s, unknown, 6000), SPOD_E_KEY_NOT_FOUND);
	assert_int_equal(spod_store_key_get(fx->s, &got, a.id), SPOD_OK);
	assert_int_equal(got.deleted_ms, 5000);
	assert_int_equal(spod_store_key_find_label(fx->s, &got, "alice"), SPOD_E_KEY_NOT_FOUND);
	n = 0;
	assert_int_equal(spod_store_key_list(fx->s, SPOD_STORE_KEYS_LIVE, count_keys, &n), SPOD_OK);
	assert_int_equal(n, 1);
	n = 0;
	assert_int_equal(spod_store_key_list(fx->s, SPOD_STORE_KEYS_ALL, count_keys, &n), SPOD_OK);
	assert_int_equal(n, 2);
	/* the label of a deleted key is free again */
	assert_int_equal(spod_store_key_put(fx->s, &again), SPOD_OK);

	reopen(fx);
	assert_int_equal(spod_store_key_find_label(fx->s, &got, "alice"), SPOD_OK);
	assert_memory_equal(&got, &again, sizeof got);
}

/* Lost keys (the enclave no longer holds them): not live, label free, found again. */
static void test_keys_lost(void **state)
{
	struct fixture *fx = *state;
	struct spod_store_key a = test_key(1, "hot"), b = test_key(2, ""),
	                      taker = test_key(3, "hot");
	struct spod_store_key got;
	int n = 0;

	assert_int_equal(spod_store_key_put(fx->s, &a), SPOD_OK);
	assert_int_equal(spod_store_key_put(fx->s, &b), SPOD_OK);
	assert_int_equal(spod_store_key_mark_lost(fx->s, a.id, 0), SPOD_E_BAD_ARG);
	assert_int_equal(spod_store_key_mark_found(fx->s, a.id), SPOD_E_KEY_NOT_FOUND); /* live */
	assert_int_equal(spod_store_key_mark_lost(fx->s, a.id, 7000), SPOD_OK);
	assert_int_equal(spod_store_key_mark_lost(fx->s, a.id, 8000), SPOD_E_KEY_NOT_FOUND);
	assert_int_equal(spod_store_key_get(fx->s, &got, a.id), SPOD_OK);
	assert_int_equal(got.lost_ms, 7000);
	assert_int_equal(got.deleted_ms, 0);
	assert_string_equal(got.label, "hot"); /* kept for the record */
	assert_int_equal(spod_store_key_find_label(fx->s, &got, "hot"), SPOD_E_KEY_NOT_FOUND);
	assert_int_equal(spod_store_key_list(fx->s, SPOD_STORE_KEYS_LIVE, count_keys, &n), SPOD_OK);
	assert_int_equal(n, 1);
	n = 0;
	assert_int_equal(spod_store_key_list(fx->s, SPOD_STORE_KEYS_HELD, count_keys, &n), SPOD_OK);
	assert_int_equal(n, 2);
	/* found again while its label is still free */
	assert_int_equal(spod_store_key_mark_found(fx->s, a.id), SPOD_OK);
	assert_int_equal(spod_store_key_find_label(fx->s, &got, "hot"), SPOD_OK);
	assert_memory_equal(got.id, a.id, 16);
	/* lost again, and a new key takes the label: the old one cannot come back with it */
	assert_int_equal(spod_store_key_mark_lost(fx->s, a.id, 9000), SPOD_OK);
	assert_int_equal(spod_store_key_put(fx->s, &taker), SPOD_OK);
	assert_int_equal(spod_store_key_mark_found(fx->s, a.id), SPOD_E_BAD_ARG);
	assert_int_equal(spod_store_key_get(fx->s, &got, a.id), SPOD_OK);
	assert_int_equal(got.lost_ms, 9000);
	/* a deleted key is neither lost nor found */
	assert_int_equal(spod_store_key_mark_deleted(fx->s, b.id, 9500), SPOD_OK);
	assert_int_equal(spod_store_key_mark_lost(fx->s, b.id, 9600), SPOD_E_KEY_NOT_FOUND);
	n = 0;
	assert_int_equal(spod_store_key_list(fx->s, SPOD_STORE_KEYS_HELD, count_keys, &n), SPOD_OK);
	assert_int_equal(n, 2); /* a (lost) and taker */
}

/* A database of schema 1 (before lost keys) is migrated with its keys and labels intact. */
static void test_migrate_from_1(void **state)
{
	struct fixture *fx = *state;
	struct spod_store_key got;

	/* Back to what schema 1 wrote: no lost_ms, the old label index. */
	sql(fx->s, "DROP INDEX keys_created_by;"
	           "ALTER TABLE keys DROP COLUMN created_by;"
	           "DROP INDEX keys_live_label;"
	           "ALTER TABLE keys DROP COLUMN lost_ms;"
	           "CREATE UNIQUE INDEX keys_live_label ON keys(label) WHERE deleted_ms IS NULL;"
	           "DROP TABLE settings;"
	           "DELETE FROM schema_version WHERE version >= 2;"
	           "INSERT INTO keys VALUES (x'00112233445566778899aabbccddeeff', 2, x'04', 'old',"
	           " 1000, NULL);");
	reopen(fx);
	assert_int_equal(sql_int(fx->s, "SELECT max(version) FROM schema_version"),
	                 SPOD_STORE_SCHEMA_VERSION);
	assert_int_equal(spod_store_key_find_label(fx->s, &got, "old"), SPOD_OK);
	assert_int_equal(got.lost_ms, 0);
	assert_int_equal(spod_store_key_mark_lost(fx->s, got.id, 2000), SPOD_OK);
	assert_int_equal(spod_store_key_find_label(fx->s, &got, "old"), SPOD_E_KEY_NOT_FOUND);
}

/* A database of schema 3 (before keys-max) is migrated with its keys intact, no creators. */
static void test_migrate_from_3(void **state)
{
	struct fixture *fx = *state;
	struct spod_store_key a = test_key(1, "old"), b = test_key(2, ""), got;
	static const uint8_t tok[16] = {7, 7, 7};
	uint64_t n = 99;

	assert_int_equal(spod_store_key_put_sealed(fx->s, &a, (const uint8_t *)"blob", 4), SPOD_OK);
	assert_int_equal(spod_store_key_put(fx->s, &b), SPOD_OK);
	assert_int_equal(spod_store_key_mark_lost(fx->s, b.id, 1500), SPOD_OK);
	/* Back to what schema 3 wrote. */
	sql(fx->s, "DROP INDEX keys_created_by;"
	           "ALTER TABLE keys DROP COLUMN created_by;"
	           "DELETE FROM schema_version WHERE version >= 4;");
	reopen(fx);
	assert_int_equal(sql_int(fx->s, "SELECT max(version) FROM schema_version"),
	                 SPOD_STORE_SCHEMA_VERSION);
	assert_int_equal(sql_int(fx->s, "SELECT count(*) FROM sqlite_schema"
	                                " WHERE type = 'index' AND name = 'keys_created_by'"),
	                 1);
	assert_int_equal(sql_int(fx->s, "SELECT count(*) FROM keys WHERE created_by IS NULL"), 2);
	assert_int_equal(spod_store_key_find_label(fx->s, &got, "old"), SPOD_OK);
	assert_memory_equal(&got, &a, sizeof got);
	assert_int_equal(got.has_creator, 0);
	assert_int_equal(spod_store_key_get(fx->s, &got, b.id), SPOD_OK);
	assert_int_equal(got.lost_ms, 1500);
	assert_int_equal(sql_int(fx->s, "SELECT length(blob) FROM sealed_blobs"), 4);
	/* Old keys count for no token. */
	assert_int_equal(spod_store_key_count_created(fx->s, &n, tok), SPOD_OK);
	assert_int_equal(n, 0);
}

static int count_created(struct spod_store *s, const uint8_t tok[16])
{
	uint64_t n = 99;

	assert_int_equal(spod_store_key_count_created(s, &n, tok), SPOD_OK);
	return (int)n;
}

/* created_by is stored and read back; the count is of live keys by that creator only. */
static void test_keys_created_by(void **state)
{
	struct fixture *fx = *state;
	static const uint8_t ta[16] = {0xaa, [15] = 1}, tb[16] = {0xbb}, none[16] = {0};
	struct spod_store_key k[6], got;
	struct spod_store_sealed batch[2];

	for (uint8_t i = 0; i < 6; i++) {
		k[i] = test_key((uint8_t)(i + 1), "");
		k[i].has_creator = i < 5;
		memcpy(k[i].created_by, i < 4 ? ta : tb, 16);
	}
	memset(k[5].created_by, 0, 16);
	assert_int_equal(count_created(fx->s, ta), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(spod_store_key_put(fx->s, &k[i]), SPOD_OK);
	batch[0] = (struct spod_store_sealed){k[4], (const uint8_t *)"b4", 2};
	batch[1] = (struct spod_store_sealed){k[5], (const uint8_t *)"b5", 2};
	assert_int_equal(spod_store_commit_batch(fx->s, batch, 2, NULL, 0), SPOD_OK);
	assert_int_equal(count_created(fx->s, ta), 4);
	assert_int_equal(count_created(fx->s, tb), 1);
	assert_int_equal(count_created(fx->s, none), 0); /* no creator is not the zero token */
	assert_int_equal(spod_store_key_get(fx->s, &got, k[4].id), SPOD_OK);
	assert_memory_equal(&got, &k[4], sizeof got);
	assert_int_equal(spod_store_key_get(fx->s, &got, k[5].id), SPOD_OK);
	assert_int_equal(got.has_creator, 0);
	/* Deleted and lost keys do not count; a key found again does. */
	assert_int_equal(spod_store_key_mark_deleted(fx->s, k[0].id, 5000), SPOD_OK);
	assert_int_equal(spod_store_key_mark_lost(fx->s, k[1].id, 5000), SPOD_OK);
	assert_int_equal(count_created(fx->s, ta), 2);
	assert_int_equal(spod_store_key_mark_found(fx->s, k[1].id), SPOD_OK);
	assert_int_equal(count_created(fx->s, ta), 3);
	/* The column holds 16-byte ids or NULL only. */
	assert_int_equal(
	    sqlite3_exec(store_db(fx->s),
	                 "UPDATE keys SET created_by = x'00' WHERE created_by IS NOT NULL", NULL,
	                 NULL, NULL) &
	        0xff,
	    SQLITE_CONSTRAINT);
	assert_int_equal(count_created(fx->s, ta), 3);
	/* A row edited by hand past the check is refused when read. */
	sql(fx->s, "PRAGMA ignore_check_constraints = ON;"
	           "UPDATE keys SET created_by = x'00' WHERE label IS NULL AND created_by IS NULL;"
	           "PRAGMA ignore_check_constraints = OFF;");
	assert_int_equal(spod_store_key_get(fx->s, &got, k[5].id), SPOD_E_IO);
}

/* Settings: absent until put, replaced by a later put, kept across a reopen, bounded. */
static void test_settings(void **state)
{
	struct fixture *fx = *state;
	static const uint8_t a[16] = {1, 2, 3}, b[16] = {9, [15] = 9};
	uint8_t big[SPOD_SETTING_MAX_BYTES + 1] = {0}, got[SPOD_SETTING_MAX_BYTES];
	size_t len = 99;

	assert_int_equal(
	    spod_store_setting_get(fx->s, SPOD_SETTING_SEAL_KEY_ID, got, sizeof got, &len), 0);
	assert_int_equal(len, 0);
	assert_int_equal(spod_store_setting_put(fx->s, SPOD_SETTING_SEAL_KEY_ID, a, 16, 1000),
	                 SPOD_OK);
	assert_int_equal(
	    spod_store_setting_get(fx->s, SPOD_SETTING_SEAL_KEY_ID, got, sizeof got, &len), 1);
	assert_int_equal(len, 16);
	assert_memory_equal(got, a, 16);
	assert_int_equal(spod_store_setting_put(fx->s, SPOD_SETTING_SEAL_KEY_ID, b, 16, 2000),
	                 SPOD_OK);
	reopen(fx);
	assert_int_equal(
	    spod_store_setting_get(fx->s, SPOD_SETTING_SEAL_KEY_ID, got, sizeof got, &len), 1);
	assert_memory_equal(got, b, 16);
	assert_int_equal(sql_int(fx->s, "SELECT count(*) FROM settings"), 1);
	/* a value too long to read into the caller's buffer, or to store */
	assert_int_equal(spod_store_setting_get(fx->s, SPOD_SETTING_SEAL_KEY_ID, got, 15, &len),
	                 SPOD_E_IO);
	assert_int_equal(spod_store_setting_put(fx->s, "x", big, sizeof big, 1), SPOD_E_BAD_ARG);
	assert_int_equal(spod_store_setting_put(fx->s, "x", big, 0, 1), SPOD_E_BAD_ARG);
	assert_int_equal(spod_store_setting_get(fx->s, "x", got, sizeof got, &len), 0);
}

static int count_tokens(void *ctx, const struct spod_store_token *t)
{
	(void)t;
	(*(int *)ctx)++;
	return SPOD_OK;
}

static void test_tokens(void **state)
{
	struct fixture *fx = *state;
	struct spod_store_token t = {.created_ms = 10, .expires_ms = 99999, .rate_per_s = 50};
	struct spod_store_token u = {.created_ms = 11}, got;
	uint8_t unknown[32] = {0x77};
	int n = 0;

	memset(t.id, 1, sizeof t.id);
	memset(t.hash, 0xa1, sizeof t.hash);
	snprintf(t.scopes, sizeof t.scopes, "sign:key/alice,keys:list");
	memset(u.id, 2, sizeof u.id);
	memset(u.hash, 0xa2, sizeof u.hash);
	assert_int_equal(spod_store_token_insert(fx->s, &t), SPOD_OK);
	assert_int_equal(spod_store_token_insert(fx->s, &u), SPOD_OK);
	memset(u.id, 3, sizeof u.id);
	assert_int_equal(spod_store_token_insert(fx->s, &u), SPOD_E_BAD_ARG); /* same hash */

	assert_int_equal(spod_store_token_find_hash(fx->s, &got, t.hash), SPOD_OK);
	assert_memory_equal(&got, &t, sizeof got);
	assert_int_equal(spod_store_token_find_hash(fx->s, &got, u.hash), SPOD_OK);
	assert_int_equal(got.expires_ms, 0);
	assert_int_equal(got.rate_per_s, 0);
	assert_string_equal(got.scopes, "");
	assert_int_equal(spod_store_token_find_hash(fx->s, &got, unknown), SPOD_E_KEY_NOT_FOUND);

	assert_int_equal(spod_store_token_revoke(fx->s, t.id, 500), SPOD_OK);
	assert_int_equal(spod_store_token_revoke(fx->s, t.id, 600), SPOD_OK); /* keeps 500 */
	assert_int_equal(spod_store_token_revoke(fx->s, unknown, 600), SPOD_E_KEY_NOT_FOUND);
	reopen(fx);
	assert_int_equal(spod_store_token_find_hash(fx->s, &got, t.hash), SPOD_OK);
	assert_int_equal(got.revoked_ms, 500);
	assert_int_equal(spod_store_token_list(fx->s, count_tokens, &n), SPOD_OK);
	assert_int_equal(n, 2);
}

struct tail_ctx {
	uint64_t seqs[16];
	size_t n;
};

static int collect_tail(void *ctx, const struct spod_audit_entry *e)
{
	struct tail_ctx *t = ctx;
	uint8_t ids[16], digest[32], hash[32];
	struct spod_audit_rec want = test_rec(e->seq, ids, digest);

	assert_true(t->n < 16);
	t->seqs[t->n++] = e->seq;
	assert_string_equal(e->rec.kind, want.kind);
	assert_int_equal(e->rec.time_ms, want.time_ms);
	assert_int_equal(e->rec.result, want.result);
	assert_int_equal(e->rec.digest_len, want.digest_len);
	assert_int_equal(e->rec.token_id == NULL, want.token_id == NULL);
	assert_int_equal(e->rec.detail == NULL, want.detail == NULL);
	assert_int_equal(spod_store_audit_hash(hash, e->prev_hash, e->seq, &e->rec), SPOD_OK);
	assert_memory_equal(hash, e->hash, 32);
	return SPOD_OK;
}

static void test_audit_batches(void **state)
{
	struct fixture *fx = *state;
	struct tail_ctx t = {0};
	uint8_t hash[32];
	uint64_t head;

	assert_chain(fx->s, 0);
	assert_int_equal(append_n(fx->s, 1), SPOD_OK);
	assert_int_equal(append_n(fx->s, 100), SPOD_OK);
	assert_int_equal(append_n(fx->s, 1000), SPOD_OK);
	assert_int_equal(spod_store_audit_append(fx->s, NULL, 0), SPOD_OK);
	assert_int_equal(spod_store_audit_head(fx->s, &head, hash), SPOD_OK);
	assert_int_equal(head, 1101);
	assert_chain(fx->s, 1101);

	assert_int_equal(spod_store_audit_tail(fx->s, 5, collect_tail, &t), SPOD_OK);
	assert_int_equal(t.n, 5);
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(t.seqs[i], 1097 + i);
	reopen(fx);
	assert_chain(fx->s, 1101);
}

static void test_audit_bad_records(void **state)
{
	struct fixture *fx = *state;
	char long_kind[SPOD_AUDIT_KIND_MAX_BYTES + 2], long_detail[SPOD_AUDIT_DETAIL_MAX_BYTES + 2];
	uint8_t digest[SPOD_AUDIT_DIGEST_MAX_BYTES + 1] = {0};
	struct spod_audit_rec ok = {.time_ms = 1, .kind = "key.generate"};
	struct spod_audit_rec recs[2];

	memset(long_kind, 'k', sizeof long_kind - 1);
	long_kind[sizeof long_kind - 1] = '\0';
	memset(long_detail, 'd', sizeof long_detail - 1);
	long_detail[sizeof long_detail - 1] = '\0';

	recs[0] = ok;
	recs[1] = ok;
	recs[1].kind = NULL;
	assert_int_equal(spod_store_audit_append(fx->s, recs, 2), SPOD_E_BAD_ARG);
	recs[1].kind = "";
	assert_int_equal(spod_store_audit_append(fx->s, recs, 2), SPOD_E_BAD_ARG);
	recs[1].kind = long_kind;
	assert_int_equal(spod_store_audit_append(fx->s, recs, 2), SPOD_E_BAD_ARG);
	recs[1] = ok;
	recs[1].detail = long_detail;
	assert_int_equal(spod_store_audit_append(fx->s, recs, 2), SPOD_E_BAD_ARG);
	recs[1] = ok;
	recs[1].digest = digest;
	recs[1].digest_len = sizeof digest;
	assert_int_equal(spod_store_audit_append(fx->s, recs, 2), SPOD_E_BAD_ARG);
	assert_chain(fx->s, 0);
	recs[1].digest_len = SPOD_AUDIT_DIGEST_MAX_BYTES;
	long_detail[SPOD_AUDIT_DETAIL_MAX_BYTES] = '\0';
	recs[1].detail = long_detail;
	assert_int_equal(spod_store_audit_append(fx->s, recs, 2), SPOD_OK);
	assert_chain(fx->s, 2);
}

static void assert_broken(struct spod_store *s, uint64_t want_bad)
{
	struct spod_audit_segment seg;
	uint64_t bad = 0, count = 0;

	assert_int_equal(spod_store_audit_verify(s, &bad, &count, &seg), SPOD_E_BAD_SIGNATURE);
	assert_int_equal(bad, want_bad);
	assert_int_equal(count, want_bad - 1);
	assert_true(strlen(spod_store_last_error(s)) > 0);
}

static void test_audit_append_only(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(append_n(fx->s, 3), SPOD_OK);
	assert_int_not_equal(
	    sqlite3_exec(store_db(fx->s), "UPDATE audit SET detail = 'x'", NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_not_equal(
	    sqlite3_exec(store_db(fx->s), "DELETE FROM audit WHERE seq = 2", NULL, NULL, NULL),
	    SQLITE_OK);
	assert_chain(fx->s, 3);
}

/* Tampering needs the triggers gone first; the chain catches it anyway. */
static void test_tamper_detail(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(append_n(fx->s, 100), SPOD_OK);
	sql(fx->s, "DROP TRIGGER audit_no_update");
	sql(fx->s, "UPDATE audit SET detail = 'mode=schnorr' WHERE seq = 37");
	assert_broken(fx->s, 37);
}

static void test_tamper_digest(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(append_n(fx->s, 100), SPOD_OK);
	sql(fx->s, "DROP TRIGGER audit_no_update");
	sql(fx->s, "UPDATE audit SET digest = randomblob(32) WHERE seq = 60");
	assert_broken(fx->s, 60);
}

/*
 * A record rewritten by someone who also recomputes its own hash breaks the next record's
 * prev_hash; a rewritten genesis link is caught at seq 1.
 */
static void test_tamper_relink(void **state)
{
	struct fixture *fx = *state;
	uint8_t ids[16], digest[32], prev[32], hash[32];
	struct spod_audit_rec r = test_rec(5, ids, digest);
	sqlite3_stmt *st;

	assert_int_equal(append_n(fx->s, 10), SPOD_OK);
	sql(fx->s, "DROP TRIGGER audit_no_update");
	assert_int_equal(sqlite3_prepare_v2(store_db(fx->s),
	                                    "SELECT prev_hash FROM audit WHERE seq = 5", -1, &st,
	                                    NULL),
	                 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	memcpy(prev, sqlite3_column_blob(st, 0), 32);
	sqlite3_finalize(st);
	r.result = SPOD_E_CRYPTO;
	assert_int_equal(spod_store_audit_hash(hash, prev, 5, &r), SPOD_OK);
	assert_int_equal(sqlite3_prepare_v2(store_db(fx->s),
	                                    "UPDATE audit SET result = ?1, hash = ?2 WHERE seq = 5",
	                                    -1, &st, NULL),
	                 SQLITE_OK);
	assert_int_equal(sqlite3_bind_int(st, 1, r.result), SQLITE_OK);
	assert_int_equal(sqlite3_bind_blob(st, 2, hash, 32, SQLITE_STATIC), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	assert_broken(fx->s, 6);
	assert_non_null(strstr(spod_store_last_error(fx->s), "prev_hash"));

	sql(fx->s, "UPDATE audit SET prev_hash = randomblob(32) WHERE seq = 1");
	assert_broken(fx->s, 1);
}

static void test_gap(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(append_n(fx->s, 100), SPOD_OK);
	sql(fx->s, "DROP TRIGGER audit_no_delete");
	sql(fx->s, "DELETE FROM audit WHERE seq = 50");
	assert_broken(fx->s, 50);
	assert_non_null(strstr(spod_store_last_error(fx->s), "missing"));
	/* truncating the newest records is invisible to the chain: verify counts them */
	sql(fx->s, "DELETE FROM audit WHERE seq < 50");
	assert_broken(fx->s, 1);
}

/* A failed append leaves the log exactly as it was, and the next append continues it. */
static void assert_failed_append_harmless(struct fixture *fx, uint64_t head_before)
{
	uint8_t hash[32];
	uint64_t head;

	assert_true(strlen(spod_store_last_error(fx->s)) > 0);
	assert_int_equal(spod_store_audit_head(fx->s, &head, hash), SPOD_OK);
	assert_int_equal(head, head_before);
	assert_chain(fx->s, head_before);
}

static void test_disk_full(void **state)
{
	struct fixture *fx = *state;
	char q[96];

	assert_int_equal(append_n(fx->s, 10), SPOD_OK);
	snprintf(q, sizeof q, "PRAGMA max_page_count = %lld",
	         (long long)sql_int(fx->s, "SELECT page_count FROM pragma_page_count"));
	sql(fx->s, q);
	assert_int_equal(append_n(fx->s, 1000), SPOD_E_UNAVAILABLE);
	assert_non_null(strstr(spod_store_last_error(fx->s), "full"));
	assert_failed_append_harmless(fx, 10);
	sql(fx->s, "PRAGMA max_page_count = 1000000");
	assert_int_equal(append_n(fx->s, 1000), SPOD_OK);
	assert_chain(fx->s, 1010);
}

static void test_read_only(void **state)
{
	struct fixture *fx = *state;
	struct spod_store_key k = test_key(9, "ro");

	assert_int_equal(append_n(fx->s, 10), SPOD_OK);
	sql(fx->s, "PRAGMA query_only = ON");
	assert_int_equal(append_n(fx->s, 5), SPOD_E_UNAVAILABLE);
	assert_failed_append_harmless(fx, 10);
	assert_int_equal(spod_store_key_put(fx->s, &k), SPOD_E_UNAVAILABLE);
	sql(fx->s, "PRAGMA query_only = OFF");
	assert_int_equal(append_n(fx->s, 5), SPOD_OK);
	assert_chain(fx->s, 15);
}

/* Another connection holds the write lock past the busy timeout. */
static void test_locked(void **state)
{
	struct fixture *fx = *state;
	sqlite3 *other;

	assert_int_equal(append_n(fx->s, 10), SPOD_OK);
	assert_int_equal(sqlite3_open(fx->path, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(append_n(fx->s, 5), SPOD_E_UNAVAILABLE);
	assert_non_null(strstr(spod_store_last_error(fx->s), "locked"));
	assert_failed_append_harmless(fx, 10);
	assert_int_equal(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(other);
	assert_int_equal(append_n(fx->s, 5), SPOD_OK);
	assert_chain(fx->s, 15);
}

static uint32_t random_u32(void)
{
	uint32_t v;

	assert_int_equal(getrandom(&v, sizeof v, 0), (ssize_t)sizeof v);
	return v;
}

/* The child: appends batches forever, reporting each acknowledged head seq on fd. */
static void __attribute__((noreturn)) crash_child(const char *path, int fd)
{
	struct spod_store *s;
	uint64_t seq;
	uint8_t hash[32];

	if (spod_store_open(&s, path) != SPOD_OK)
		_exit(2);
	for (;;) {
		if (append_n(s, 1 + random_u32() % 64) != SPOD_OK ||
		    spod_store_audit_head(s, &seq, hash) != SPOD_OK)
			_exit(3);
		if (write(fd, &seq, sizeof seq) != (ssize_t)sizeof seq)
			_exit(4);
	}
}

/* Reads one acknowledged seq; 0 at EOF. Fails the test after 30 s without news. */
static uint64_t read_ack(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	uint64_t seq;
	ssize_t n;

	assert_int_equal(poll(&p, 1, 30000), 1);
	n = read(fd, &seq, sizeof seq);
	if (n == 0)
		return 0;
	assert_int_equal(n, (ssize_t)sizeof seq);
	return seq;
}

/*
 * Acknowledged means spod_store_audit_append returned SPOD_OK. A child appends and reports
 * every acknowledged seq; it is killed with SIGKILL after a random number of batches (so
 * usually in the middle of the next one). Every seq it reported must be in the reopened log
 * and the chain must verify. Several rounds on the same file also test recovery of a WAL
 * left by a killed writer.
 */
static void test_crash_durability(void **state)
{
	struct fixture *fx = *state;
	struct spod_audit_segment seg;
	uint64_t acked = 0, head, bad, count;
	uint8_t hash[32];

	spod_store_close(fx->s);
	fx->s = NULL;
	for (int round = 0; round < 20; round++) {
		uint32_t kill_after = 1 + random_u32() % 40;
		int fds[2], status;
		uint64_t seq;
		pid_t pid;

		assert_int_equal(pipe(fds), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(fds[0]);
			crash_child(fx->path, fds[1]);
		}
		close(fds[1]);
		for (uint32_t i = 0; i < kill_after; i++) {
			seq = read_ack(fds[0]);
			assert_true(seq > acked);
			acked = seq;
		}
		if (random_u32() % 2)
			usleep(random_u32() % 3000);
		assert_int_equal(kill(pid, SIGKILL), 0);
		while ((seq = read_ack(fds[0])) != 0) {
			assert_true(seq > acked);
			acked = seq;
		}
		close(fds[0]);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

		assert_int_equal(spod_store_open(&fx->s, fx->path), SPOD_OK);
		assert_int_equal(spod_store_audit_head(fx->s, &head, hash), SPOD_OK);
		assert_true(head >= acked);
		assert_int_equal(spod_store_audit_verify(fx->s, &bad, &count, &seg), SPOD_OK);
		assert_int_equal(bad, 0);
		assert_int_equal(count, head);
		acked = head;
		spod_store_close(fx->s);
		fx->s = NULL;
	}
	assert_int_equal(spod_store_open(&fx->s, fx->path), SPOD_OK);
}

/*
 * Two connections in this process (spod-host's event loop and its checkpointer): opening the
 * second must not drop the first one's locks. Opening once closed a descriptor of the file,
 * which releases every POSIX lock the process holds on it; another process (`spod token
 * create`) closing its connection then took itself for the last user and deleted the WAL,
 * and the host kept reading a stale one. Checked from another process with F_GETLK on the
 * byte range SQLite's shared locks use (0x40000002, 510 bytes), and by a record written
 * there being visible here.
 */
static void test_second_connection_keeps_locks(void **state)
{
	struct fixture *fx = *state;
	struct spod_audit_rec rec = {.time_ms = 1, .kind = "token.create", .result = SPOD_OK};
	struct spod_store_token t = {.created_ms = 5}, got;
	struct spod_store *second = NULL;
	int status, wal, done;
	pid_t pid;

	memset(t.id, 9, sizeof t.id);
	memset(t.hash, 0xb9, sizeof t.hash);
	snprintf(t.scopes, sizeof t.scopes, "ops=list;keys=*");
	assert_int_equal(spod_store_audit_append(fx->s, &rec, 1), SPOD_OK);
	assert_int_equal(spod_store_open(&second, fx->path), SPOD_OK);
	assert_int_equal(spod_store_checkpoint(second, 0, &wal, &done), SPOD_OK);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct flock fl = {
		    .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0x40000002, .l_len = 510};
		struct spod_store *other = NULL;
		int fd = open(fx->path, O_RDWR | O_CLOEXEC);
		int locked = fd >= 0 && fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
		int ok = locked && spod_store_open(&other, fx->path) == SPOD_OK &&
		         spod_store_token_insert(other, &t) == SPOD_OK;
		spod_store_close(other);
		_exit(ok ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(spod_store_token_find_hash(fx->s, &got, t.hash), SPOD_OK);
	assert_int_equal(spod_store_token_find_hash(second, &got, t.hash), SPOD_OK);
	spod_store_close(second);
}

/* ---- retention: the anchor, export files, prune ---- */

/* A schema-3 database (before quotas and retention) is migrated with its records; the chain
 * verifies. */
static void test_migrate_retention(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(append_n(fx->s, 20), SPOD_OK);
	sql(fx->s, "DROP TRIGGER audit_no_delete;"
	           "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
	           " BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;"
	           "DROP INDEX keys_created_by;"
	           "ALTER TABLE keys DROP COLUMN created_by;"
	           "DELETE FROM schema_version WHERE version >= 4;");
	reopen(fx);
	assert_int_equal(sql_int(fx->s, "SELECT max(version) FROM schema_version"),
	                 SPOD_STORE_SCHEMA_VERSION);
	assert_int_equal(sql_int(fx->s, "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'"
	                                " AND name = 'audit_no_delete'"
	                                " AND sql LIKE '%audit_anchor%'"),
	                 1);
	assert_chain(fx->s, 20);
	assert_int_not_equal(
	    sqlite3_exec(store_db(fx->s), "DELETE FROM audit WHERE seq = 1", NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(append_n(fx->s, 1), SPOD_OK);
	assert_chain(fx->s, 21);
}

static void file_in(char *out, size_t cap, const struct fixture *fx, const char *name)
{
	snprintf(out, cap, "%s/%s", fx->dir, name);
}

/* The whole file, NUL-terminated; the caller frees it. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

static void spit(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* Offset of the line of record seq in an export's text, and of the line after it. */
static size_t line_at(const char *text, uint64_t seq, size_t *end)
{
	char key[48];
	const char *p;

	snprintf(key, sizeof key, "\n{\"seq\":%llu,", (unsigned long long)seq);
	p = strstr(text, key);
	assert_non_null(p);
	*end = (size_t)(strchr(p + 1, '\n') - text) + 1;
	return (size_t)(p - text) + 1;
}

static void db_hash(struct spod_store *s, uint64_t seq, uint8_t out[32])
{
	sqlite3_stmt *st;

	assert_int_equal(
	    sqlite3_prepare_v2(store_db(s), "SELECT hash FROM audit WHERE seq = ?1", -1, &st, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_bind_int64(st, 1, (int64_t)seq), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	memcpy(out, sqlite3_column_blob(st, 0), 32);
	sqlite3_finalize(st);
}

/* Records 1..upto exported from the fixture's database to the file name in its directory. */
static void export_to(struct fixture *fx, char *path, size_t cap, const char *name, uint64_t upto)
{
	struct spod_audit_segment seg;

	file_in(path, cap, fx, name);
	assert_int_equal(spod_store_audit_export(fx->s, &seg, path, upto), SPOD_OK);
	assert_int_equal(seg.last_seq, upto);
}

/* An export holds every field and hash: it re-verifies alone, read-only, mode 0600. */
static void test_export_verify(void **state)
{
	struct fixture *fx = *state;
	struct spod_audit_file_check c;
	struct spod_audit_segment seg;
	uint8_t h60[32];
	char path[160], other[160];
	struct stat st;

	assert_int_equal(append_n(fx->s, 100), SPOD_OK);
	file_in(path, sizeof path, fx, "a.jsonl");
	assert_int_equal(spod_store_audit_export(fx->s, &seg, path, 60), SPOD_OK);
	assert_int_equal(seg.first_seq, 1);
	assert_int_equal(seg.last_seq, 60);
	assert_true(spod_all_zero(seg.prev_hash, 32));
	db_hash(fx->s, 60, h60);
	assert_memory_equal(seg.last_hash, h60, 32);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	assert_int_equal(spod_audit_file_verify(&c, path, 0), SPOD_OK);
	assert_int_equal(c.records, 60);
	assert_int_equal(c.seg.first_seq, 1);
	assert_int_equal(c.seg.last_seq, 60);
	assert_memory_equal(c.seg.last_hash, h60, 32);
	assert_true(c.at_found && spod_all_zero(c.at_hash, 32));
	assert_int_equal(spod_audit_file_verify(&c, path, 60), SPOD_OK);
	assert_true(c.at_found);
	assert_memory_equal(c.at_hash, h60, 32);

	/* never over an existing file; upto must be a record; nothing left behind on failure */
	assert_int_equal(spod_store_audit_export(fx->s, &seg, path, 70), SPOD_E_BAD_ARG);
	assert_int_equal(spod_audit_file_verify(&c, path, 0), SPOD_OK);
	assert_int_equal(c.seg.last_seq, 60);
	file_in(other, sizeof other, fx, "b.jsonl");
	assert_int_equal(spod_store_audit_export(fx->s, &seg, other, 101), SPOD_E_BAD_ARG);
	assert_int_equal(spod_store_audit_export(fx->s, &seg, other, 0), SPOD_E_BAD_ARG);
	assert_int_equal(access(other, F_OK), -1);
	/* every record, in a database with nothing pruned yet */
	assert_int_equal(spod_store_audit_export(fx->s, &seg, other, 100), SPOD_OK);
	assert_int_equal(spod_audit_file_verify(&c, other, 0), SPOD_OK);
	assert_int_equal(c.records, 100);
}

/* A copy of the export at src with data[off..end) replaced by repl, verified: the failure. */
static void assert_tampered(const char *src, const char *dst, size_t off, size_t end,
                            const char *repl, int want_rc, uint64_t want_bad)
{
	struct spod_audit_file_check c;
	size_t len;
	char *text = slurp(src, &len), *out = malloc(len + strlen(repl) + 1);

	assert_non_null(out);
	memcpy(out, text, off);
	memcpy(out + off, repl, strlen(repl));
	memcpy(out + off + strlen(repl), text + end, len - end);
	spit(dst, out, off + strlen(repl) + len - end);
	assert_int_equal(spod_audit_file_verify(&c, dst, 0), want_rc);
	assert_int_equal(c.first_bad_seq, want_bad);
	assert_true(strlen(c.why) > 0);
	free(text);
	free(out);
}

/* Every kind of change to an export file is caught, and such a file prunes nothing. */
static void test_export_tamper(void **state)
{
	struct fixture *fx = *state;
	char path[160], bad[160], line[2][4096];
	size_t len, off, end, off2, end2;
	uint64_t deleted = 99;
	char *text, *p;

	assert_int_equal(append_n(fx->s, 100), SPOD_OK);
	export_to(fx, path, sizeof path, "a.jsonl", 60);
	file_in(bad, sizeof bad, fx, "bad.jsonl");
	text = slurp(path, &len);

	/* one byte of a detail (odd seqs have "mode=ecdsa") */
	off = line_at(text, 37, &end);
	p = strstr(text + off, "mode=ecdsa");
	assert_true(p != NULL && (size_t)(p - text) < end);
	assert_tampered(path, bad, (size_t)(p - text) + 9, (size_t)(p - text) + 10, "b",
	                SPOD_E_BAD_SIGNATURE, 37);
	assert_int_equal(spod_store_audit_prune(fx->s, &deleted, bad, 60), SPOD_E_BAD_SIGNATURE);
	assert_int_equal(deleted, 0);
	/* a dropped line */
	off = line_at(text, 20, &end);
	assert_tampered(path, bad, off, end, "", SPOD_E_BAD_SIGNATURE, 20);
	assert_int_equal(spod_store_audit_prune(fx->s, &deleted, bad, 60), SPOD_E_BAD_SIGNATURE);
	/* two lines swapped */
	off = line_at(text, 30, &end);
	off2 = line_at(text, 31, &end2);
	snprintf(line[0], sizeof line[0], "%.*s%.*s", (int)(end2 - off2), text + off2,
	         (int)(end - off), text + off);
	assert_tampered(path, bad, off, end2, line[0], SPOD_E_BAD_SIGNATURE, 30);
	/* the last record dropped, or cut short, or one more after it */
	off = line_at(text, 60, &end);
	assert_tampered(path, bad, off, end, "", SPOD_E_BAD_SIGNATURE, 60);
	assert_tampered(path, bad, end - 1, end, "", SPOD_E_BAD_SIGNATURE, 60);
	snprintf(line[1], sizeof line[1], "%.*s", (int)(end - off), text + off);
	assert_tampered(path, bad, end, end, line[1], SPOD_E_BAD_SIGNATURE, 61);
	/* the header's last_hash */
	p = strstr(text, "\"last_hash\":\"");
	assert_non_null(p);
	p += strlen("\"last_hash\":\"");
	assert_tampered(path, bad, (size_t)(p - text), (size_t)(p - text) + 1,
	                *p == '0' ? "1" : "0", SPOD_E_BAD_SIGNATURE, 60);
	/* not an export at all, or no file */
	assert_tampered(path, bad, 0, len, "{\"hello\":1}\n", SPOD_E_BAD_ARG, 0);
	assert_int_equal(spod_store_audit_prune(fx->s, &deleted, bad, 60), SPOD_E_BAD_ARG);
	unlink(bad);
	assert_int_equal(spod_store_audit_prune(fx->s, &deleted, bad, 60), SPOD_E_BAD_ARG);
	free(text);
	assert_chain(fx->s, 100);
	assert_int_equal(sql_int(fx->s, "SELECT min(seq) FROM audit"), 1);
}

/* Prune deletes only what a matching export holds; verify and append go on from the anchor. */
static void test_prune(void **state)
{
	struct fixture *fx = *state;
	struct spod_audit_segment seg;
	struct spod_audit_file_check c;
	uint8_t h60[32], hash[32];
	uint64_t deleted = 0, seq, bad, count;
	char first[160], second[160];

	assert_int_equal(append_n(fx->s, 100), SPOD_OK);
	db_hash(fx->s, 60, h60);
	export_to(fx, first, sizeof first, "1-60.jsonl", 60);
	assert_int_equal(spod_store_audit_anchor(fx->s, &seq, hash), 0);
	/* upto must be the file's last record */
	assert_int_equal(spod_store_audit_prune(fx->s, &deleted, first, 50), SPOD_E_BAD_ARG);
	assert_int_equal(spod_store_audit_prune(fx->s, &deleted, first, 70), SPOD_E_BAD_ARG);
	assert_chain(fx->s, 100);

	assert_int_equal(spod_store_audit_prune(fx->s, &deleted, first, 60), SPOD_OK);
	assert_int_equal(deleted, 60);
	assert_int_equal(spod_store_audit_anchor(fx->s, &seq, hash), 1);
	assert_int_equal(seq, 60);
	assert_memory_equal(hash, h60, 32);
	assert_int_equal(sql_int(fx->s, "SELECT min(seq) FROM audit"), 61);
	/* verify goes on from the anchor; the prune itself is the newest record */
	assert_int_equal(spod_store_audit_verify(fx->s, &bad, &count, &seg), SPOD_OK);
	assert_int_equal(count, 41);
	assert_int_equal(seg.first_seq, 61);
	assert_memory_equal(seg.prev_hash, h60, 32);
	assert_int_equal(seg.last_seq, 101);
	assert_int_equal(sql_int(fx->s, "SELECT count(*) FROM audit WHERE seq = 101"
	                                " AND kind = 'audit.prune'"),
	                 1);
	/* appends continue the chain */
	assert_int_equal(append_n(fx->s, 10), SPOD_OK);
	assert_chain(fx->s, 51);

	/* the next export starts at the anchor and chains to the first file */
	export_to(fx, second, sizeof second, "61-90.jsonl", 90);
	assert_int_equal(spod_audit_file_verify(&c, second, 60), SPOD_OK);
	assert_int_equal(c.seg.first_seq, 61);
	assert_memory_equal(c.seg.prev_hash, h60, 32);
	assert_true(c.at_found);
	assert_int_equal(spod_store_audit_export(fx->s, &seg, first, 50), SPOD_E_BAD_ARG);
	/* the first file again: already pruned */
	assert_int_equal(spod_store_audit_prune(fx->s, &deleted, first, 90), SPOD_E_BAD_ARG);
	assert_int_equal(spod_store_audit_prune(fx->s, &deleted, second, 90), SPOD_OK);
	assert_int_equal(deleted, 30);
	assert_chain(fx->s, 22); /* 91..110, the two audit.prune records */
}

/* An export of another database's chain, or one that skips records, prunes nothing. */
static void test_prune_foreign(void **state)
{
	struct fixture *fx = *state;
	struct spod_audit_rec other = {.time_ms = 5, .kind = "token.create"};
	struct spod_store *s2;
	uint64_t deleted = 0;
	char path2[160], file[160], path[160];

	file_in(path2, sizeof path2, fx, "other.db");
	assert_int_equal(spod_store_open(&s2, path2), SPOD_OK);
	assert_int_equal(append_n(fx->s, 100), SPOD_OK);
	/* the same records after a different first one: every hash differs */
	assert_int_equal(spod_store_audit_append(s2, &other, 1), SPOD_OK);
	assert_int_equal(append_n(s2, 99), SPOD_OK);
	file_in(file, sizeof file, fx, "other.jsonl");
	assert_int_equal(spod_store_audit_export(s2, &(struct spod_audit_segment){0}, file, 60),
	                 SPOD_OK);
	assert_int_equal(spod_store_audit_prune(fx->s, &deleted, file, 60), SPOD_E_BAD_ARG);
	assert_chain(fx->s, 100);

	/* s2 pruned to 30 exports 31..60: that file does not hold fx's records 1..30 */
	spod_store_close(s2);
	unlink(file);
	unlink(path2);
	assert_int_equal(spod_store_open(&s2, path2), SPOD_OK);
	assert_int_equal(append_n(s2, 100), SPOD_OK);
	file_in(file, sizeof file, fx, "s2-1-30.jsonl");
	assert_int_equal(spod_store_audit_export(s2, &(struct spod_audit_segment){0}, file, 30),
	                 SPOD_OK);
	assert_int_equal(spod_store_audit_prune(s2, &deleted, file, 30), SPOD_OK);
	file_in(path, sizeof path, fx, "s2-31-60.jsonl");
	assert_int_equal(spod_store_audit_export(s2, &(struct spod_audit_segment){0}, path, 60),
	                 SPOD_OK);
	assert_int_equal(spod_store_audit_prune(fx->s, &deleted, path, 60), SPOD_E_BAD_ARG);
	assert_non_null(strstr(spod_store_last_error(fx->s), "no export"));
	assert_chain(fx->s, 100);
	spod_store_close(s2);
}

/* Plain SQL may delete records up to the anchor, never one after it. */
static void test_prune_trigger(void **state)
{
	struct fixture *fx = *state;
	uint64_t deleted;
	char path[160];

	assert_int_equal(append_n(fx->s, 100), SPOD_OK);
	assert_int_not_equal(
	    sqlite3_exec(store_db(fx->s), "DELETE FROM audit WHERE seq = 1", NULL, NULL, NULL),
	    SQLITE_OK);
	export_to(fx, path, sizeof path, "a.jsonl", 40);
	assert_int_equal(spod_store_audit_prune(fx->s, &deleted, path, 40), SPOD_OK);
	assert_int_not_equal(
	    sqlite3_exec(store_db(fx->s), "DELETE FROM audit WHERE seq = 41", NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_not_equal(
	    sqlite3_exec(store_db(fx->s), "DELETE FROM audit WHERE seq = 100", NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(store_db(fx->s), "DELETE FROM audit", NULL, NULL, NULL),
	                     SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(store_db(fx->s),
	                                  "UPDATE audit SET detail = 'x'"
	                                  " WHERE seq = 50",
	                                  NULL, NULL, NULL),
	                     SQLITE_OK);
	assert_chain(fx->s, 61);
}

/*
 * A prune cut short after its first transaction leaves records at or below the anchor:
 * verify and export skip them, and a prune with the same file finishes the job. With every
 * record gone, the head is the anchor and appends go on from it.
 */
static void test_prune_resume(void **state)
{
	struct fixture *fx = *state;
	uint8_t h60[32], hash[32];
	char path[160], text[120], hex[65];
	uint64_t deleted = 0, seq;

	assert_int_equal(append_n(fx->s, 100), SPOD_OK);
	export_to(fx, path, sizeof path, "a.jsonl", 60);
	db_hash(fx->s, 60, h60);
	assert_int_equal(spod_hex_encode(hex, sizeof hex, h60, 32), SPOD_OK);
	snprintf(text, sizeof text, "60 %s", hex);
	assert_int_equal(spod_store_setting_put(fx->s, SPOD_SETTING_AUDIT_ANCHOR,
	                                        (const uint8_t *)text, strlen(text), 1),
	                 SPOD_OK);
	assert_chain(fx->s, 40);
	assert_int_equal(spod_store_audit_prune(fx->s, &deleted, path, 60), SPOD_OK);
	assert_int_equal(deleted, 60);
	assert_int_equal(sql_int(fx->s, "SELECT count(*) FROM audit"), 40);

	/* every record gone (the trigger allows it up to the anchor) */
	db_hash(fx->s, 100, hash);
	assert_int_equal(spod_hex_encode(hex, sizeof hex, hash, 32), SPOD_OK);
	snprintf(text, sizeof text, "100 %s", hex);
	assert_int_equal(spod_store_setting_put(fx->s, SPOD_SETTING_AUDIT_ANCHOR,
	                                        (const uint8_t *)text, strlen(text), 1),
	                 SPOD_OK);
	sql(fx->s, "DELETE FROM audit");
	assert_int_equal(spod_store_audit_head(fx->s, &seq, h60), SPOD_OK);
	assert_int_equal(seq, 100);
	assert_memory_equal(h60, hash, 32);
	assert_chain(fx->s, 0);
	assert_int_equal(append_n(fx->s, 5), SPOD_OK);
	assert_int_equal(sql_int(fx->s, "SELECT min(seq) FROM audit"), 101);
	assert_chain(fx->s, 5);
}

/* A large prune goes in batches; tampering after it is still caught from the anchor. */
static void test_prune_batches(void **state)
{
	struct fixture *fx = *state;
	struct spod_audit_segment seg;
	uint64_t deleted = 0, n = 2 * SPOD_STORE_PRUNE_BATCH + 500, bad, count;
	char path[160];

	assert_int_equal(append_n(fx->s, n), SPOD_OK);
	export_to(fx, path, sizeof path, "big.jsonl", n - 100);
	assert_int_equal(spod_store_audit_prune(fx->s, &deleted, path, n - 100), SPOD_OK);
	assert_int_equal(deleted, n - 100);
	assert_chain(fx->s, 101);
	sql(fx->s, "DROP TRIGGER audit_no_update");
	sql(fx->s, "UPDATE audit SET prev_hash = randomblob(32) WHERE seq = (SELECT min(seq)"
	           " FROM audit)");
	assert_int_equal(spod_store_audit_verify(fx->s, &bad, &count, &seg), SPOD_E_BAD_SIGNATURE);
	assert_int_equal(bad, n - 99);
	assert_int_equal(count, 0);
}

/*
 * Export files written by an independent implementation (tests/fuzz/make_audit_corpus.py:
 * every optional field absent and present, bytes above 0x7f and control characters in
 * details, the longest kind and detail) verify; its broken ones break where it broke them.
 */
static void test_export_interop(void **state)
{
	static const struct {
		const char *name;
		int rc;
		uint64_t records, first, bad;
	} files[] = {
	    {"genesis-12", SPOD_OK, 12, 1, 0},
	    {"anchored-6", SPOD_OK, 6, 1001, 0},
	    {"one-record", SPOD_OK, 1, 1, 0},
	    {"changed-byte", SPOD_E_BAD_SIGNATURE, 2, 1, 3},
	    {"dropped-line", SPOD_E_BAD_SIGNATURE, 4, 1, 5},
	    {"swapped-lines", SPOD_E_BAD_SIGNATURE, 4, 1, 5},
	    {"extra-line", SPOD_E_BAD_SIGNATURE, 12, 1, 13},
	    {"cut-short", SPOD_E_BAD_SIGNATURE, 11, 1, 12},
	    {"not-a-header", SPOD_E_BAD_ARG, 0, 0, 0},
	};
	struct spod_audit_file_check c;
	char path[512];

	(void)state;
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		snprintf(path, sizeof path, "%s/audit_file/%s", SPOD_FUZZ_CORPUS, files[i].name);
		assert_int_equal(spod_audit_file_verify(&c, path, 0), files[i].rc);
		assert_int_equal(c.records, files[i].records);
		assert_int_equal(c.seg.first_seq, files[i].first);
		assert_int_equal(c.first_bad_seq, files[i].bad);
	}
}

/* A malformed anchor is an I/O error, not a fresh chain. */
static void test_anchor_malformed(void **state)
{
	struct fixture *fx = *state;
	uint8_t hash[32];
	uint64_t seq;

	assert_int_equal(append_n(fx->s, 3), SPOD_OK);
	assert_int_equal(spod_store_setting_put(fx->s, SPOD_SETTING_AUDIT_ANCHOR,
	                                        (const uint8_t *)"2 abc", 5, 1),
	                 SPOD_OK);
	assert_int_equal(spod_store_audit_anchor(fx->s, &seq, hash), SPOD_E_IO);
	assert_int_equal(seq, 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_encode_vector),
	    T(test_genesis),
	    T(test_migrate_from_empty),
	    T(test_newer_schema_refused),
	    T(test_settings),
	    T(test_not_a_database),
	    T(test_open_existing),
	    T(test_keys),
	    T(test_keys_lost),
	    T(test_migrate_from_1),
	    T(test_migrate_from_3),
	    T(test_keys_created_by),
	    T(test_tokens),
	    T(test_audit_batches),
	    T(test_audit_bad_records),
	    T(test_audit_append_only),
	    T(test_tamper_detail),
	    T(test_tamper_digest),
	    T(test_tamper_relink),
	    T(test_gap),
	    T(test_disk_full),
	    T(test_read_only),
	    T(test_locked),
	    T(test_crash_durability),
	    T(test_second_connection_keeps_locks),
	    T(test_migrate_retention),
	    T(test_export_verify),
	    T(test_export_tamper),
	    T(test_prune),
	    T(test_prune_foreign),
	    T(test_prune_trigger),
	    T(test_prune_resume),
	    T(test_prune_batches),
	    T(test_anchor_malformed),
	    cmocka_unit_test(test_export_interop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
