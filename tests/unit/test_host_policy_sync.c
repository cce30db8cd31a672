/*
 * spod-host's set of keys with a policy and their policy.sync (src/host/core/policy_sync.c):
 * the table through additions and removals, a sync's answer stored, a policy.set meanwhile,
 * a version 1 answer, errors and a lost connection.
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

#include "host/core/host_int.h"

#define NKEYS 3000u

static struct spod_host *h;
static char db_path[64];

static void key_id(uint8_t id[SPOD_KEY_ID_BYTES], uint32_t i)
{
	memset(id, 0, SPOD_KEY_ID_BYTES);
	/* similar ids (only a few bytes differ), so probes collide */
	memcpy(id, &i, sizeof(i));
	id[15] = (uint8_t)(i * 7);
}

/* A blob of the given format version that names id (the host reads only those bytes). */
static size_t fake_blob(uint8_t *b, size_t cap, const uint8_t *id, uint8_t version, uint8_t fill)
{
	assert_true(cap >= 200);
	memset(b, fill, 200);
	memcpy(b, "SPSB", 4);
	b[4] = version;
	memcpy(b + 8, id, SPOD_KEY_ID_BYTES);
	return 200;
}

static int setup(void **state)
{
	int sv[2];

	(void)state;
	h = calloc(1, sizeof(*h));
	if (h == NULL || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return -1;
	close(sv[1]);
	h->cfg.enclave_conns = 1;
	h->enclave[0].h = h;
	h->enclave[0].stage = HOST_ENCLAVE_READY;
	if (spod_conn_init(&h->enclave[0].c, sv[0], ENCLAVE_RX_BYTES, ENCLAVE_TX_BYTES) < 0)
		return -1;
	snprintf(db_path, sizeof(db_path), "/tmp/spod-test-psync-%d.db", (int)getpid());
	return spod_store_open(&h->store, db_path) == SPOD_OK ? 0 : -1;
}

static int teardown(void **state)
{
	char p[80];

	(void)state;
	spod_store_close(h->store);
	spod_conn_free(&h->enclave[0].c);
	host_psync_free(h);
	free(h);
	unlink(db_path);
	snprintf(p, sizeof(p), "%s-wal", db_path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", db_path);
	unlink(p);
	return 0;
}

static void clear_dirty(void)
{
	for (uint32_t i = 0; i < h->psync.cap; i++)
		h->psync.keys[i].dirty = 0;
	h->psync.ndirty = 0;
}

static void test_table(void **state)
{
	uint8_t id[SPOD_KEY_ID_BYTES];
	uint32_t left = 0;

	(void)state;
	for (uint32_t i = 0; i < NKEYS; i++) {
		key_id(id, i);
		assert_int_equal(host_psync_add(h, id), SPOD_OK);
	}
	assert_int_equal(h->psync.n, NKEYS);
	assert_int_equal(h->psync.ndirty, NKEYS); /* new keys are synced once */
	assert_true(h->psync.cap >= 2 * NKEYS);
	key_id(id, 5);
	assert_int_equal(host_psync_add(h, id), SPOD_OK); /* again: nothing new */
	assert_int_equal(h->psync.n, NKEYS);
	clear_dirty();
	for (uint32_t i = 0; i < NKEYS; i += 3) {
		key_id(id, i);
		host_psync_forget(h, id);
	}
	key_id(id, NKEYS + 1);
	host_psync_forget(h, id); /* never there */
	for (uint32_t i = 0; i < NKEYS; i++)
		left += i % 3 != 0;
	assert_int_equal(h->psync.n, left);
	/* every key left is found (a signature marks it), no removed one is */
	for (uint32_t i = 0; i < NKEYS; i++) {
		key_id(id, i);
		host_psync_signed(h, id);
		host_psync_signed(h, id);
	}
	assert_int_equal(h->psync.ndirty, left);
	for (uint32_t i = 0; i < NKEYS; i++) {
		key_id(id, i);
		host_psync_forget(h, id);
	}
	assert_int_equal(h->psync.n, 0);
	assert_int_equal(h->psync.ndirty, 0);
	for (uint32_t i = 0; i < h->psync.cap; i++)
		assert_int_equal(h->psync.keys[i].used, 0);
}

/* The policy.sync requests the host queued for the enclave since the last call. */
static uint32_t take_requests(uint64_t *rids, uint32_t max)
{
	struct spod_conn *c = &h->enclave[0].c;
	uint32_t n = 0;

	while (c->tx_start < c->tx_end) {
		struct spod_frame f;
		assert_int_equal(spod_wire_frame(&f, c->tx + c->tx_start, c->tx_end - c->tx_start),
		                 SPOD_OK);
		assert_int_equal(f.hdr.opcode, SPOD_OP_POLICY_SYNC);
		assert_true(HOST_CTL(f.hdr.request_id));
		assert_true(n < max);
		rids[n++] = f.hdr.request_id;
		c->tx_start += f.frame_len;
	}
	c->tx_start = c->tx_end = 0;
	return n;
}

static uint8_t frame_buf[1024];

/* The enclave's answer: the key with blob, or an error (err < 0). */
static void answer(uint64_t rid, const uint8_t *id, const uint8_t *blob, size_t blob_len, int err)
{
	static const uint8_t pub[32] = {1};
	const struct spod_key_view v = {id,   SPOD_ALG_ED25519,  pub, 32, NULL, 0,
	                                blob, (uint32_t)blob_len};
	struct spod_frame f;
	size_t len;

	if (err < 0)
		assert_int_equal(spod_wire_put_error(frame_buf, sizeof(frame_buf), &len,
		                                     SPOD_OP_POLICY_SYNC, rid, err, "nope"),
		                 SPOD_OK);
	else
		assert_int_equal(spod_wire_put_sealed_key(frame_buf, sizeof(frame_buf), &len,
		                                          SPOD_OP_POLICY_SYNC, rid, &v),
		                 SPOD_OK);
	assert_int_equal(spod_wire_frame(&f, frame_buf, len), SPOD_OK);
	host_psync_answer(&h->enclave[0], &f);
}

struct blob_find {
	const uint8_t *id;
	uint8_t fill;
};

static int find_blob(void *ctx, const struct spod_store_key *k, const uint8_t *blob, size_t len)
{
	struct blob_find *b = ctx;

	if (memcmp(k->id, b->id, SPOD_KEY_ID_BYTES) == 0 && blob != NULL && len > 100)
		b->fill = blob[100];
	return SPOD_OK;
}

/* The byte that tells the stored blobs of the tests apart. */
static uint8_t stored_fill(const uint8_t *id)
{
	struct blob_find b = {id, 0};

	assert_int_equal(spod_store_key_list_sealed(h->store, find_blob, &b), SPOD_OK);
	return b.fill;
}

static void test_sync(void **state)
{
	struct spod_store_key k = {.alg = SPOD_ALG_ED25519, .public_key_len = 32, .created_ms = 1};
	uint8_t id[SPOD_KEY_ID_BYTES], blob[256];
	uint64_t rids[HOST_POLICY_SYNC_MAX];
	size_t len;

	(void)state;
	key_id(id, 77);
	memcpy(k.id, id, sizeof(k.id));
	k.public_key[0] = 1;
	len = fake_blob(blob, sizeof(blob), id, 2, 0xa1);
	assert_int_equal(spod_store_key_put_sealed(h->store, &k, blob, len), SPOD_OK);

	/* reconcile found a version 2 blob: synced once; the answer's blob is stored */
	assert_int_equal(host_psync_add(h, id), SPOD_OK);
	host_psync_tick(h);
	assert_int_equal(take_requests(rids, 4), 1);
	assert_int_equal(h->enclave[0].syncs_out, 1);
	host_psync_signed(h, id); /* dirty while in flight: not sent twice */
	host_psync_tick(h);
	assert_int_equal(take_requests(rids + 1, 4), 0);
	len = fake_blob(blob, sizeof(blob), id, 2, 0xb2);
	answer(rids[0], id, blob, len, SPOD_OK);
	assert_int_equal(stored_fill(id), 0xb2);
	assert_int_equal(h->metrics.policy_syncs, 1);
	assert_int_equal(h->enclave[0].syncs_out, 0);
	assert_int_equal(h->psync.nout, 0);

	/* the signing meanwhile is synced at the next tick; a policy.set answer passes before
	 * its answer: the sync's blob (the old policy) is not stored, the key syncs again */
	host_psync_tick(h);
	assert_int_equal(take_requests(rids, 4), 1);
	len = fake_blob(blob, sizeof(blob), id, 2, 0xc3);
	assert_int_equal(spod_store_key_replace_blob(h->store, id, blob, len, 1), SPOD_OK);
	host_psync_policy(h, id, blob, len);
	len = fake_blob(blob, sizeof(blob), id, 2, 0xd4);
	answer(rids[0], id, blob, len, SPOD_OK);
	assert_int_equal(stored_fill(id), 0xc3);
	assert_int_equal(h->psync.nout, 0);
	host_psync_tick(h);
	assert_int_equal(take_requests(rids, 4), 1);

	/* a failure: dirty again; KEY_NOT_FOUND: not */
	answer(rids[0], id, NULL, 0, SPOD_E_INTERNAL);
	host_psync_tick(h);
	assert_int_equal(take_requests(rids, 4), 1);
	answer(rids[0], id, NULL, 0, SPOD_E_KEY_NOT_FOUND);
	host_psync_tick(h);
	assert_int_equal(take_requests(rids, 4), 0);

	/* the connection goes down with a sync in flight: sent again on the next one */
	host_psync_signed(h, id);
	host_psync_tick(h);
	assert_int_equal(take_requests(rids, 4), 1);
	host_psync_lost(&h->enclave[0]);
	assert_int_equal(h->psync.nout, 0);
	host_psync_tick(h);
	assert_int_equal(take_requests(rids, 4), 1);

	/* a version 1 answer: the policy was removed meanwhile; the key leaves the set */
	len = fake_blob(blob, sizeof(blob), id, 1, 0xe5);
	answer(rids[0], id, blob, len, SPOD_OK);
	assert_int_equal(stored_fill(id), 0xc3);
	assert_int_equal(h->psync.n, 0);
	host_psync_signed(h, id);
	assert_int_equal(h->psync.ndirty, 0);

	/* an answer nobody asked for is ignored */
	answer(HOST_CTL_RID(0, HOST_STEP_SYNC + 3), id, blob, len, SPOD_OK);
	assert_int_equal(h->psync.nout, 0);
}

static void test_bound(void **state)
{
	uint8_t id[SPOD_KEY_ID_BYTES];
	uint64_t rids[HOST_POLICY_SYNC_MAX];
	uint32_t sent = 0, n;

	(void)state;
	for (uint32_t i = 0; i < 600; i++) {
		key_id(id, 10000 + i);
		assert_int_equal(host_psync_add(h, id), SPOD_OK);
	}
	/* at most HOST_POLICY_SYNC_MAX in flight; every key gets its turn */
	for (int round = 0; round < 3; round++) {
		host_psync_tick(h);
		n = take_requests(rids, HOST_POLICY_SYNC_MAX);
		assert_true(n <= HOST_POLICY_SYNC_MAX);
		host_psync_tick(h);
		assert_int_equal(take_requests(rids + n, 1), 0); /* full until answered */
		for (uint32_t i = 0; i < n; i++)
			answer(rids[i], id, NULL, 0, SPOD_E_KEY_NOT_FOUND);
		sent += n;
	}
	assert_int_equal(sent, 600);
	assert_int_equal(h->psync.ndirty, 0);
	for (uint32_t i = 0; i < 600; i++) {
		key_id(id, 10000 + i);
		host_psync_forget(h, id);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_sync),
	    cmocka_unit_test(test_bound),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
