/*
 * Signed evidence in the store (schema 6) and `spod audit verify`'s evidence checks
 * (src/cli/audit_evidence.c), on databases built here with synthetic evidence signed by an
 * Ed25519 key made in the test: no pod, no attestation documents (no --root).
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <fcntl.h>

#include "cli/audit_evidence.h"
#include "cli/cli.h"
#include "crypto/hash.h"
#include "crypto/sign.h"
#include "common/bytes.h"
#include "evidence/evidence.h"
#include "nsm/nsm.h"
#include "spod/err.h"
#include "host/store/store.h"
#include "host/store/store_int.h"

/* tests/CMakeLists.txt renames src/cli/main.c's main for this target; this file keeps its own. */
#undef main

struct fixture {
	char dir[64];
	char path[96];
	struct spod_store *s;
	struct spod_secret_key sk;
	uint8_t pub[SPOD_PUB_MAX_BYTES];
	uint64_t next_counter;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof *fx);
	size_t len;

	if (fx == NULL)
		return -1;
	*state = fx; /* teardown frees what was made, also after a failure here */
	snprintf(fx->dir, sizeof fx->dir, "/tmp/spod-evstore-XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	snprintf(fx->path, sizeof fx->path, "%s/spod.db", fx->dir);
	if (spod_store_open(&fx->s, fx->path) != SPOD_OK ||
	    spod_key_generate(&fx->sk, fx->pub, &len, SPOD_ALG_ED25519) != SPOD_OK || len != 32)
		return -1;
	fx->next_counter = 1;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	char p[384];
	DIR *d;
	struct dirent *de;

	spod_store_close(fx->s);
	spod_key_wipe(&fx->sk);
	d = opendir(fx->dir);
	while (d != NULL && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
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

static void sql(struct spod_store *s, const char *q)
{
	char *msg = NULL;

	if (sqlite3_exec(store_db(s), q, NULL, NULL, &msg) != SQLITE_OK)
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

/* The key id and digest of sign request i (the audit row and the record share them). */
static void item(uint8_t key_id[16], uint8_t digest[32], unsigned i)
{
	char msg[32];

	memset(key_id, 0, 16);
	key_id[0] = (uint8_t)(i % 3 + 1);
	snprintf(msg, sizeof msg, "message %u", i);
	spod_evidence_sign_digest(digest, SPOD_MODE_SHA256, (const uint8_t *)msg, strlen(msg));
}

/*
 * Commits n sign requests (from item number base) as audit rows and one signed evidence batch,
 * in one commit_all; with_audit 0 leaves the audit rows out (evidence without audit).
 */
static int commit_signs(struct fixture *fx, unsigned base, unsigned n, int with_audit)
{
	uint8_t recs[8 * SPOD_EVIDENCE_RECORD_BYTES], leaves[8 * 32], root[32];
	uint8_t kid[8][16], dig[8][32], msg[SPOD_EVIDENCE_ROOT_MSG_BYTES], sig[64], recid;
	struct spod_audit_rec a[8];
	struct spod_store_evidence ev;
	size_t sig_len;

	assert_true(n >= 1 && n <= 8);
	for (unsigned i = 0; i < n; i++) {
		struct spod_evidence_rec r = {.opcode = 0x20, .mode = SPOD_MODE_SHA256};
		item(kid[i], dig[i], base + i);
		r.counter = fx->next_counter + i;
		memcpy(r.key_id, kid[i], 16);
		memcpy(r.digest, dig[i], 32);
		spod_evidence_rec_encode(recs + i * SPOD_EVIDENCE_RECORD_BYTES, &r);
		spod_evidence_leaf(leaves + i * 32, recs + i * SPOD_EVIDENCE_RECORD_BYTES);
		a[i] = (struct spod_audit_rec){.time_ms = 1000 + base + i,
		                               .kind = "sign",
		                               .key_id = kid[i],
		                               .digest = dig[i],
		                               .digest_len = 32};
	}
	assert_int_equal(spod_evidence_root(root, leaves, n), SPOD_OK);
	spod_evidence_root_msg(msg, fx->pub, fx->next_counter, n, root);
	assert_int_equal(spod_sign(sig, &sig_len, &recid, &fx->sk, SPOD_MODE_RAW, msg, sizeof msg),
	                 SPOD_OK);
	ev = (struct spod_store_evidence){fx->pub, fx->next_counter, n, sig, recs, 5000};
	int rc = spod_store_commit_all(fx->s, NULL, 0, a, with_audit ? n : 0, &ev, 1);
	if (rc == SPOD_OK)
		fx->next_counter += n;
	return rc;
}

/* Signs the current audit head (or seq/hash given) as the enclave would, and stores it. */
static void put_head(struct fixture *fx, uint64_t seq, const uint8_t hash[32])
{
	struct spod_store_head h = {.seq = seq, .counter = fx->next_counter - 1, .nonce_len = 16};
	uint8_t msg[SPOD_EVIDENCE_HEAD_MSG_MAX], recid;
	size_t len, sig_len;

	memcpy(h.pub, fx->pub, 32);
	memcpy(h.hash, hash, 32);
	memset(h.nonce, 0x5a, 16);
	assert_int_equal(spod_evidence_head_msg(msg, &len, h.pub, h.seq, h.hash, h.counter, h.nonce,
	                                        h.nonce_len),
	                 SPOD_OK);
	assert_int_equal(spod_sign(h.sig, &sig_len, &recid, &fx->sk, SPOD_MODE_RAW, msg, len),
	                 SPOD_OK);
	assert_int_equal(spod_store_head_put(fx->s, &h), SPOD_OK);
}

static void put_key(struct fixture *fx)
{
	assert_int_equal(spod_store_evidence_key_put(fx->s, fx->pub, (const uint8_t *)"doc", 3, 10),
	                 SPOD_OK);
}

/* A good database: two batches and a head at the log's end. */
static void build_good(struct fixture *fx)
{
	uint8_t hash[32];
	uint64_t seq;

	put_key(fx);
	assert_int_equal(commit_signs(fx, 0, 5, 1), SPOD_OK);
	assert_int_equal(commit_signs(fx, 5, 3, 1), SPOD_OK);
	assert_int_equal(spod_store_audit_head(fx->s, &seq, hash), SPOD_OK);
	assert_int_equal(seq, 8);
	put_head(fx, seq, hash);
}

struct proof_ctx {
	struct spod_store *s;
	unsigned n;
	uint8_t roots[4][32];
	uint32_t counts[4];
};

static int on_root(void *arg, const struct spod_store_evroot *r)
{
	struct proof_ctx *c = arg;

	assert_true(r->id >= 1 && r->id <= 4);
	memcpy(c->roots[r->id - 1], r->root, 32);
	c->counts[r->id - 1] = r->count;
	return SPOD_OK;
}

static int on_rec(void *arg, const struct spod_store_evrec *e)
{
	struct proof_ctx *c = arg;
	uint8_t leaf[32];

	spod_evidence_leaf(leaf, e->record);
	assert_int_equal(spod_evidence_proof_check(leaf, e->idx, c->counts[e->root_id - 1],
	                                           e->proof, e->proof_len / 32,
	                                           c->roots[e->root_id - 1]),
	                 SPOD_OK);
	c->n++;
	return SPOD_OK;
}

/* commit_all stores records whose proofs verify against the root of their records. */
static void test_commit_all_proofs(void **state)
{
	struct fixture *fx = *state;
	struct proof_ctx c = {.s = fx->s};
	uint8_t leaves[5 * 32], root[32];
	sqlite3_stmt *st;
	unsigned i = 0;

	build_good(fx);
	assert_int_equal(sql_int(fx->s, "SELECT count(*) FROM evidence"), 8);
	assert_int_equal(sql_int(fx->s, "SELECT count(*) FROM evidence_roots"), 2);
	assert_int_equal(sql_int(fx->s, "SELECT count(*) FROM audit"), 8);
	assert_int_equal(spod_store_evidence_roots(fx->s, on_root, &c), SPOD_OK);
	assert_int_equal(spod_store_evidence_records(fx->s, on_rec, &c), SPOD_OK);
	assert_int_equal(c.n, 8);
	/* the stored root is spod_evidence_root of the batch's records */
	assert_int_equal(sqlite3_prepare_v2(store_db(fx->s),
	                                    "SELECT record FROM evidence WHERE root_id = 1"
	                                    " ORDER BY idx",
	                                    -1, &st, NULL),
	                 SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW)
		spod_evidence_leaf(leaves + 32 * i++, sqlite3_column_blob(st, 0));
	sqlite3_finalize(st);
	assert_int_equal(i, 5);
	assert_int_equal(spod_evidence_root(root, leaves, 5), SPOD_OK);
	assert_memory_equal(root, c.roots[0], 32);
}

/* A batch whose counters are stored already is refused and nothing of the commit written. */
static void test_duplicate_refused(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(commit_signs(fx, 0, 4, 1), SPOD_OK);
	fx->next_counter = 3; /* overlaps 3..4 */
	assert_int_equal(commit_signs(fx, 10, 2, 1), SPOD_E_BAD_ARG);
	fx->next_counter = 1; /* the same first */
	assert_int_equal(commit_signs(fx, 10, 2, 1), SPOD_E_BAD_ARG);
	assert_int_equal(sql_int(fx->s, "SELECT count(*) FROM audit"), 4);
	assert_int_equal(sql_int(fx->s, "SELECT count(*) FROM evidence"), 4);
	assert_int_equal(sql_int(fx->s, "SELECT count(*) FROM evidence_roots"), 1);
}

/* The evidence tables are append-only; a key keeps its first document. */
static void test_append_only(void **state)
{
	struct fixture *fx = *state;
	char *msg = NULL;

	build_good(fx);
	assert_int_not_equal(
	    sqlite3_exec(store_db(fx->s), "UPDATE evidence SET idx = 0", NULL, NULL, &msg),
	    SQLITE_OK);
	sqlite3_free(msg);
	assert_int_not_equal(
	    sqlite3_exec(store_db(fx->s), "DELETE FROM audit_heads", NULL, NULL, &msg), SQLITE_OK);
	sqlite3_free(msg);
	assert_int_equal(
	    spod_store_evidence_key_put(fx->s, fx->pub, (const uint8_t *)"other", 5, 20), SPOD_OK);
	assert_int_equal(sql_int(fx->s, "SELECT length(doc) FROM evidence_keys"), 3);
}

/* A schema-5 database is brought to 6 with its audit records intact. */
static void test_migrate_from_5(void **state)
{
	struct fixture *fx = *state;
	struct spod_audit_rec a = {.time_ms = 1, .kind = "sign"};
	struct spod_audit_segment seg;
	uint64_t bad = 1, count = 0;

	assert_int_equal(spod_store_audit_append(fx->s, &a, 1), SPOD_OK);
	sql(fx->s, "DROP TABLE evidence; DROP TABLE evidence_roots; DROP TABLE evidence_keys;"
	           "DROP TABLE audit_heads; DELETE FROM schema_version WHERE version >= 6;");
	spod_store_close(fx->s);
	fx->s = NULL;
	assert_int_equal(spod_store_open(&fx->s, fx->path), SPOD_OK);
	assert_int_equal(sql_int(fx->s, "SELECT max(version) FROM schema_version"), 6);
	assert_int_equal(sql_int(fx->s, "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'"
	                                " AND name LIKE 'evidence%'"),
	                 6);
	assert_int_equal(spod_store_audit_verify(fx->s, &bad, &count, &seg), SPOD_OK);
	assert_int_equal(count, 1);
	assert_int_equal(commit_signs(fx, 0, 2, 1), SPOD_OK);
}

/*
 * Runs `spod --db PATH audit verify [--json]` (cmd_audit, as the binary does) and returns its
 * exit code with what it printed in out.
 */
static int run_verify(struct fixture *fx, int json, char *out, size_t cap)
{
	struct cli cli;
	char path[128];
	int saved, fd, rc;
	ssize_t n;

	memset(&cli, 0, sizeof cli);
	cli.pos[0] = "verify";
	cli.npos = 1;
	cli.opt[OPT_DB] = fx->path;
	cli.json = json;
	snprintf(path, sizeof path, "%s/out.txt", fx->dir);
	fflush(stdout);
	saved = dup(1);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(saved >= 0 && fd >= 0);
	dup2(fd, 1);
	rc = cmd_audit(&cli);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	n = pread(fd, out, cap - 1, 0);
	close(fd);
	out[n > 0 ? n : 0] = '\0';
	return rc;
}

/* (a) all good: intact, with the counts. */
static void test_verify_good(void **state)
{
	struct fixture *fx = *state;
	struct audit_ev_report r;

	build_good(fx);
	assert_int_equal(audit_ev_verify(fx->s, NULL, NULL, &r), SPOD_OK);
	assert_int_equal(r.records, 8);
	assert_int_equal(r.roots, 2);
	assert_int_equal(r.keys, 1);
	assert_int_equal(r.boots, 1);
	assert_int_equal(r.heads, 1);
	assert_int_equal(r.newest_head_seq, 8);
	assert_int_equal(r.gaps, 0);
	assert_int_equal(r.unmatched_audit, 0);
	assert_int_equal(r.max_counter, 8);
	assert_false(r.verified_against_root);
	char out[4096];
	assert_int_equal(run_verify(fx, 0, out, sizeof out), 0);
	assert_non_null(strstr(out, "evidence: 8 records in 2 signed batches from 1 enclave boot "
	                            "verified (evidence keys not checked against a root)"));
	assert_non_null(strstr(out, "signed heads: 1, newest at seq 8 verified"));
	assert_int_equal(run_verify(fx, 1, out, sizeof out), 0);
	assert_non_null(strstr(out, "\"evidence\":{\"records\":8,\"roots\":2,\"keys\":1,"
	                            "\"unmatched_audit\":0,\"gaps\":0,\"heads\":1,"
	                            "\"newest_head_seq\":8,\"before_anchor\":0,"
	                            "\"verified_against_root\":false}"));
	/* an audit sign row without evidence is counted, not a failure */
	struct spod_audit_rec extra = {.time_ms = 9, .kind = "sign"};
	uint8_t kid[16], dig[32];
	item(kid, dig, 99);
	extra.key_id = kid;
	extra.digest = dig;
	extra.digest_len = 32;
	assert_int_equal(spod_store_audit_append(fx->s, &extra, 1), SPOD_OK);
	assert_int_equal(audit_ev_verify(fx->s, NULL, NULL, &r), SPOD_OK);
	assert_int_equal(r.unmatched_audit, 1);
}

/* (b) a record byte flipped (the trigger dropped, as an attacker with the file would). */
static void test_verify_flipped_record(void **state)
{
	struct fixture *fx = *state;
	struct audit_ev_report r;

	build_good(fx);
	sql(fx->s, "DROP TRIGGER evidence_no_update;"
	           "UPDATE evidence SET record = CAST(substr(record, 1, 40) ||"
	           " X'ff' || substr(record, 42) AS BLOB) WHERE counter = 3;");
	assert_int_equal(audit_ev_verify(fx->s, NULL, NULL, &r), SPOD_E_BAD_SIGNATURE);
	assert_non_null(strstr(r.why, "evidence record 3"));
	assert_non_null(strstr(r.why, "altered"));
}

/* A forged root signature fails too. */
static void test_verify_bad_root_sig(void **state)
{
	struct fixture *fx = *state;
	struct audit_ev_report r;

	build_good(fx);
	sql(fx->s, "DROP TRIGGER evidence_roots_no_update;"
	           "UPDATE evidence_roots SET sig = zeroblob(64) WHERE id = 2;");
	assert_int_equal(audit_ev_verify(fx->s, NULL, NULL, &r), SPOD_E_BAD_SIGNATURE);
	assert_non_null(strstr(r.why, "root signature does not verify"));
}

/* (c) an evidence record with no audit row. */
static void test_verify_unrecorded(void **state)
{
	struct fixture *fx = *state;
	struct audit_ev_report r;

	build_good(fx);
	assert_int_equal(commit_signs(fx, 20, 2, 0), SPOD_OK);
	assert_int_equal(audit_ev_verify(fx->s, NULL, NULL, &r), SPOD_E_BAD_SIGNATURE);
	assert_non_null(strstr(r.why, "the enclave signed 2 requests the audit log does not "
	                              "record"));
}

/* Records whose batch root was deleted: the newest batch's (which looks like a batch committed
 * while verify read) and a middle one's both fail. */
static void test_verify_orphaned_records(void **state)
{
	struct fixture *fx = *state;
	struct audit_ev_report r;

	build_good(fx);
	assert_int_equal(commit_signs(fx, 8, 2, 1), SPOD_OK); /* a third batch */
	sql(fx->s, "PRAGMA foreign_keys = OFF; DROP TRIGGER evidence_roots_no_delete;"
	           "DELETE FROM evidence_roots WHERE id = (SELECT max(id) FROM evidence_roots);");
	assert_int_equal(audit_ev_verify(fx->s, NULL, NULL, &r), SPOD_E_BAD_SIGNATURE);
	assert_non_null(strstr(r.why, "whose signed root is not stored"));
	sql(fx->s, "DELETE FROM evidence_roots WHERE id = (SELECT min(id) FROM evidence_roots);");
	assert_int_equal(audit_ev_verify(fx->s, NULL, NULL, &r), SPOD_E_BAD_SIGNATURE);
	assert_non_null(strstr(r.why, "not where its batch puts it"));
}

/* (d) a signed head beyond the log: truncated. */
static void test_verify_truncated(void **state)
{
	struct fixture *fx = *state;
	struct audit_ev_report r;
	uint8_t hash[32] = {1};

	build_good(fx);
	put_head(fx, 12, hash);
	assert_int_equal(audit_ev_verify(fx->s, NULL, NULL, &r), SPOD_E_BAD_SIGNATURE);
	assert_non_null(strstr(r.why, "truncated: the enclave signed head seq 12 but the log ends "
	                              "at 8"));
	char out[4096];
	assert_int_equal(run_verify(fx, 1, out, sizeof out), 6);
	assert_non_null(strstr(out, "{\"intact\":false,"));
	assert_non_null(strstr(out, "truncated: the enclave signed head seq 12"));
	assert_int_equal(run_verify(fx, 0, out, sizeof out), 6);
	assert_non_null(strstr(out, "evidence check FAILED: truncated"));
}

/* (e) a signed head whose record differs: rewritten. */
static void test_verify_rewritten(void **state)
{
	struct fixture *fx = *state;
	struct audit_ev_report r;
	uint8_t hash[32] = {2};

	build_good(fx);
	put_head(fx, 5, hash);
	assert_int_equal(audit_ev_verify(fx->s, NULL, NULL, &r), SPOD_E_BAD_SIGNATURE);
	assert_non_null(strstr(r.why, "rewritten: record 5 differs from the head the enclave "
	                              "signed"));
}

/* A missing record (deleted), a counter gap, and a head by an unknown key. */
static void test_verify_missing_and_gaps(void **state)
{
	struct fixture *fx = *state;
	struct audit_ev_report r;
	build_good(fx);
	fx->next_counter += 3; /* the enclave made 3 records the host never stored */
	assert_int_equal(commit_signs(fx, 30, 1, 1), SPOD_OK);
	assert_int_equal(audit_ev_verify(fx->s, NULL, NULL, &r), SPOD_OK);
	assert_int_equal(r.gaps, 3);
	/* a head signed by a key the store does not hold */
	sql(fx->s, "DROP TRIGGER evidence_keys_no_delete; DELETE FROM evidence_keys;");
	assert_int_equal(audit_ev_verify(fx->s, NULL, NULL, &r), SPOD_E_BAD_SIGNATURE);
	assert_non_null(strstr(r.why, "not a stored evidence key"));
	/* a record deleted from its batch */
	sql(fx->s, "DROP TRIGGER evidence_no_delete; DELETE FROM evidence WHERE counter = 2;");
	assert_int_equal(audit_ev_verify(fx->s, NULL, NULL, &r), SPOD_E_BAD_SIGNATURE);
	assert_non_null(strstr(r.why, "4 of its 5 records"));
}

/*
 * A simulated-NSM document whose user_data (version 2) carries evidence key pub as record 4,
 * made in fx->dir (where the simulator keeps its development root).
 */
static size_t sim_doc(struct fixture *fx, uint8_t *doc, size_t cap, const uint8_t pub[32])
{
	uint8_t ud[8 + 3 + 32];
	struct spod_nsm *n = NULL;
	char img[128];
	size_t len = 0;
	FILE *f;

	snprintf(img, sizeof img, "%s/image.bin", fx->dir);
	f = fopen(img, "w");
	assert_non_null(f);
	fputs("image", f);
	fclose(f);
	memcpy(ud, SPOD_ATTEST_UD2_MAGIC, 8);
	ud[8] = 4;
	spod_put_le16(ud + 9, 32);
	memcpy(ud + 11, pub, 32);
	assert_int_equal(spod_nsm_open_sim(&n, fx->dir, img), SPOD_OK);
	assert_int_equal(spod_nsm_attest(n, doc, cap, &len, (struct spod_bytes){ud, sizeof ud},
	                                 (struct spod_bytes){NULL, 0},
	                                 (struct spod_bytes){NULL, 0}),
	                 SPOD_OK);
	spod_nsm_close(n);
	return len;
}

/* --root: each key's document must verify against the root and bind the key. */
static void test_verify_root(void **state)
{
	struct fixture *fx = *state;
	static uint8_t doc[SPOD_ATTEST_DOC_MAX_BYTES];
	static char pem[8192];
	struct spod_attest_policy pol = {0};
	struct audit_ev_report r;
	uint8_t other[32] = {9};
	size_t len = sim_doc(fx, doc, sizeof doc, fx->pub);

	assert_int_equal(spod_nsm_sim_root_pem(pem, sizeof pem, fx->dir), SPOD_OK);
	pol.root = (struct spod_bytes){(const uint8_t *)pem, strlen(pem)};
	assert_int_equal(spod_store_evidence_key_put(fx->s, fx->pub, doc, len, 10), SPOD_OK);
	assert_int_equal(commit_signs(fx, 0, 3, 1), SPOD_OK);
	assert_int_equal(audit_ev_verify(fx->s, &pol, NULL, &r), SPOD_OK);
	assert_true(r.verified_against_root);
	/* a second key whose document binds another key */
	len = sim_doc(fx, doc, sizeof doc, other);
	other[0] = 10;
	assert_int_equal(spod_store_evidence_key_put(fx->s, other, doc, len, 11), SPOD_OK);
	assert_int_equal(audit_ev_verify(fx->s, &pol, NULL, &r), SPOD_E_BAD_SIGNATURE);
	assert_non_null(strstr(r.why, "does not bind it"));
}

/* --root: a batch whose key has no document fails. */
static void test_verify_root_no_doc(void **state)
{
	struct fixture *fx = *state;
	static char pem[8192];
	static uint8_t doc[SPOD_ATTEST_DOC_MAX_BYTES];
	struct spod_attest_policy pol = {0};
	struct audit_ev_report r;
	uint8_t other[32] = {7};

	(void)sim_doc(fx, doc, sizeof doc, other);
	assert_int_equal(spod_nsm_sim_root_pem(pem, sizeof pem, fx->dir), SPOD_OK);
	pol.root = (struct spod_bytes){(const uint8_t *)pem, strlen(pem)};
	assert_int_equal(commit_signs(fx, 0, 3, 1), SPOD_OK);
	assert_int_equal(audit_ev_verify(fx->s, &pol, NULL, &r), SPOD_E_BAD_SIGNATURE);
	assert_non_null(strstr(r.why, "has no attestation document"));
	assert_int_equal(audit_ev_verify(fx->s, NULL, NULL, &r), SPOD_OK);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_commit_all_proofs),
	    T(test_duplicate_refused),
	    T(test_append_only),
	    T(test_migrate_from_5),
	    T(test_verify_good),
	    T(test_verify_flipped_record),
	    T(test_verify_bad_root_sig),
	    T(test_verify_unrecorded),
	    T(test_verify_orphaned_records),
	    T(test_verify_truncated),
	    T(test_verify_rewritten),
	    T(test_verify_missing_and_gaps),
	    T(test_verify_root),
	    T(test_verify_root_no_doc),
	};

	if (spod_crypto_init(0) != SPOD_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
