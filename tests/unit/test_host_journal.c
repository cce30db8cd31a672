/*
 * spod-host's audit journal on the signing path (src/host/core/journal.c, docs/storage.md):
 * a forwarded sign's sign.request record committed before its answer, the answer released at
 * once, its outcome riding on the next commit or committed on its own after
 * HOST_OUTCOME_DELAY_NS; and, when the sign.request's commit fails, the answer held until a
 * commit of its records succeeds, with the sign.request kept as it was and the outcome withheld.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "host/core/host_int.h"

static struct spod_host *h;
static struct host_client *cl;
static char db_path[64];
static const uint8_t token_id[SPOD_STORE_TOKEN_ID_BYTES] = {0x70, 0x6b};

static int setup(void **state)
{
	int sv[2];

	(void)state;
	h = calloc(1, sizeof(*h));
	cl = calloc(1, sizeof(*cl));
	if (h == NULL || cl == NULL || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return -1;
	close(sv[1]);
	h->cfg.max_clients = 1;
	h->cfg.enclave_conns = 1;
	h->clients = calloc(1, sizeof(*h->clients));
	h->client_gen = calloc(1, sizeof(*h->client_gen));
	h->dirty_clients = calloc(1, sizeof(*h->dirty_clients));
	h->slots = calloc(INFLIGHT_SLOTS, sizeof(*h->slots));
	h->free_slots = calloc(INFLIGHT_SLOTS, sizeof(*h->free_slots));
	if (!h->clients || !h->client_gen || !h->dirty_clients || !h->slots || !h->free_slots)
		return -1;
	for (uint32_t i = 0; i < INFLIGHT_SLOTS; i++)
		h->free_slots[i] = INFLIGHT_SLOTS - 1 - i;
	h->nfree = INFLIGHT_SLOTS;
	if (spod_conn_init(&cl->c, sv[0], CLIENT_RX_BYTES, CLIENT_TX_BYTES) < 0)
		return -1;
	cl->h = h;
	h->clients[0] = cl;
	host_keyindex_init(&h->keys);
	snprintf(db_path, sizeof(db_path), "/tmp/spod-test-journal-%d.db", (int)getpid());
	return spod_store_open(&h->store, db_path) == SPOD_OK ? 0 : -1;
}

static int teardown(void **state)
{
	char p[80];

	(void)state;
	spod_store_close(h->store);
	spod_conn_free(&cl->c);
	for (uint32_t s = 0; s < INFLIGHT_SLOTS; s++)
		host_audit_free(h, h->slots[s].audit);
	host_journal_free(h);
	host_evidence_free(h);
	free(h->clients);
	free(h->client_gen);
	free(h->dirty_clients);
	free(h->slots);
	free(h->free_slots);
	free(cl);
	free(h);
	unlink(db_path);
	snprintf(p, sizeof(p), "%s-wal", db_path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", db_path);
	unlink(p);
	return 0;
}

/* Forwards a sign of a digest of bytes d with key k, as clients.c does; its slot. */
static uint32_t forward_sign(uint8_t k, uint8_t d, uint64_t client_rid)
{
	struct inflight *in;
	uint32_t slot;

	assert_int_equal(host_slot_alloc(h, &slot), SPOD_OK);
	in = &h->slots[slot];
	in->audit = host_audit_new(h, SPOD_OP_SIGN, 1, token_id);
	assert_non_null(in->audit);
	memset(in->audit->items[0].key_id, k, SPOD_KEY_ID_BYTES);
	memset(in->audit->items[0].digest, d, SPOD_DIGEST_BYTES);
	in->audit->items[0].mode = SPOD_MODE_DIGEST;
	in->audit->items[0].len = SPOD_DIGEST_BYTES;
	in->t0_ns = host_now_ns();
	in->client_rid = client_rid;
	in->reserve = (uint32_t)spod_wire_resp_max(SPOD_OP_SIGN, 100);
	in->opcode = SPOD_OP_SIGN;
	cl->inflight++;
	cl->reserved += in->reserve;
	host_journal_intent(h, slot);
	return slot;
}

/* The enclave's answer to the request in slot arrives (answers.c). */
static void answer(uint32_t slot)
{
	static uint8_t buf[SPOD_HDR_BYTES + 256];
	struct inflight *in = &h->slots[slot];
	struct spod_frame f;
	uint8_t *sig = spod_wire_sig_reserve(buf, sizeof(buf));
	size_t len;

	assert_non_null(sig);
	memset(sig, 0x51, 64);
	spod_wire_sig_commit(buf, &len, host_slot_rid(h, slot), SPOD_ALG_ED25519, 0, 64);
	assert_int_equal(spod_wire_frame(&f, buf, len), SPOD_OK);
	host_journal_answer(h, in, &f);
	host_audit_free(h, in->audit);
	in->audit = NULL;
	host_slot_free(h, slot);
}

static size_t tx_pending(void)
{
	return spod_conn_tx_pending(&cl->c);
}

/* The kinds, results and details of the records stored, in order, into out. */
static void stored(char *out, size_t cap)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	size_t n = 0;

	out[0] = '\0';
	assert_int_equal(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
	                                    "SELECT kind, result, detail FROM audit ORDER BY seq",
	                                    -1, &st, NULL),
	                 SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW && n < cap)
		n += (size_t)snprintf(out + n, cap - n, "%s %d %s\n", sqlite3_column_text(st, 0),
		                      sqlite3_column_int(st, 1), sqlite3_column_text(st, 2));
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static void test_outcome_after_answer(void **state)
{
	char recs[2048], want[2048];
	uint32_t s1, s2;
	uint64_t req1;

	(void)state;
	s1 = forward_sign(0x11, 0xd1, 1001);
	req1 = h->slots[s1].audit->req;
	assert_int_not_equal(req1, 0);
	assert_int_equal(h->slots[s1].audit->intent, HOST_INTENT_QUEUED);
	assert_int_equal(h->nrecs, 1);
	assert_string_equal(h->recs[0].kind, "sign.request");
	/* the wake-up's commit, while the enclave signs */
	assert_int_equal(host_journal_commit(h), SPOD_OK);
	assert_int_equal(h->slots[s1].audit->intent, HOST_INTENT_DURABLE);
	assert_int_equal(h->nrecs, 0);
	/* the answer goes out at once; its outcome waits */
	answer(s1);
	assert_true(tx_pending() > 0);
	assert_int_equal(h->nheld, 0);
	assert_int_equal(h->nrecs, 1);
	assert_string_equal(h->recs[0].kind, "sign");
	assert_true(host_journal_lazy(h));
	assert_int_equal(host_journal_commit(h), SPOD_OK);
	assert_int_equal(h->nrecs, 1); /* not committed on its own yet */
	/* the next request's sign.request commit takes it along */
	s2 = forward_sign(0x11, 0xd2, 1002);
	assert_false(host_journal_lazy(h));
	assert_int_equal(host_journal_commit(h), SPOD_OK);
	assert_int_equal(h->nrecs, 0);
	snprintf(want, sizeof(want),
	         "sign.request 0 mode=digest len=32 req=%016llx\n"
	         "sign 0 mode=digest len=32 req=%016llx\n"
	         "sign.request 0 mode=digest len=32 req=%016llx\n",
	         (unsigned long long)req1, (unsigned long long)req1, (unsigned long long)req1 + 1);
	stored(recs, sizeof(recs));
	assert_string_equal(recs, want);
	/* alone, the outcome is committed once it waited HOST_OUTCOME_DELAY_NS */
	answer(s2);
	assert_true(host_journal_lazy(h));
	h->lazy_since_ns -= HOST_OUTCOME_DELAY_NS;
	assert_false(host_journal_lazy(h));
	assert_int_equal(host_journal_commit(h), SPOD_OK);
	assert_int_equal(h->nrecs, 0);
	stored(recs, sizeof(recs));
	assert_non_null(strstr(recs, "sign 0 mode=digest len=32 req="));
	assert_int_equal(h->nobs, 2);
	host_journal_observe(h);
	assert_int_equal(h->nobs, 0);
	assert_true(atomic_load(&h->metrics.sign_lat_sum_ns[HOST_FRONT_BINARY][SPOD_ALG_ED25519]) >
	            0);
}

static void test_request_commit_fails(void **state)
{
	sqlite3 *locker;
	char recs[4096];
	uint32_t s;
	uint64_t req;
	char want[200];

	(void)state;
	size_t before = tx_pending();

	s = forward_sign(0x22, 0xe1, 2001);
	req = h->slots[s].audit->req;
	/* another writer holds the database: the commit fails after the busy timeout */
	assert_int_equal(sqlite3_open(db_path, &locker), SQLITE_OK);
	assert_int_equal(sqlite3_exec(locker, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	assert_true(host_journal_commit(h) < 0);
	assert_int_equal(h->slots[s].audit->intent, HOST_INTENT_NONE);
	assert_int_equal(h->nrecs, 1);
	assert_int_equal(h->recs[0].result, SPOD_OK); /* a sign.request stays as it was */
	/* the answer is held; the next commit fails too: it becomes UNAVAILABLE */
	answer(s);
	assert_int_equal(tx_pending(), before);
	assert_int_equal(h->nheld, 1);
	assert_true(host_journal_commit(h) < 0);
	assert_true(tx_pending() > before); /* the error answer */
	assert_int_equal(h->nrecs, 2);
	assert_int_equal(h->recs[1].result, SPOD_E_UNAVAILABLE);
	assert_non_null(strstr(h->recs[1].detail, "withheld"));
	assert_int_equal(sqlite3_exec(locker, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(locker);
	/* both go into the next commit that succeeds */
	assert_int_equal(host_journal_commit(h), SPOD_OK);
	stored(recs, sizeof(recs));
	snprintf(
	    want, sizeof(want),
	    "sign.request 0 mode=digest len=32 req=%016llx\n"
	    "sign %d withheld, audit log unavailable (was OK: mode=digest len=32 req=%016llx)\n",
	    (unsigned long long)req, SPOD_E_UNAVAILABLE, (unsigned long long)req);
	assert_non_null(strstr(recs, want));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_outcome_after_answer),
	    cmocka_unit_test(test_request_commit_fails),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
