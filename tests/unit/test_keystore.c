/* The enclave keystore: lookups, deletes, collisions, growth, capacity, iteration; secmem. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <cmocka.h>

#include "crypto/secmem.h"
#include "crypto/sign.h"
#include "enclave/keystore.h"
#include "spod/err.h"
#include "spod/wire.h"

#define MAX_TEST_KEYS 64

static int setup(void **state)
{
	(void)state;
	return spod_crypto_init(0) == SPOD_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	spod_crypto_cleanup();
	return 0;
}

/* An id whose probe run starts at slot `home` of any table with more than `home` slots. */
static void make_id(uint8_t id[SPOD_KEY_ID_BYTES], uint8_t home, uint8_t tag)
{
	memset(id, 0, SPOD_KEY_ID_BYTES);
	id[0] = home;
	id[SPOD_KEY_ID_BYTES - 1] = tag;
}

static void test_new_bad_args(void **state)
{
	struct spod_keystore *ks = (struct spod_keystore *)1;

	(void)state;
	assert_int_equal(spod_keystore_new(&ks, 0), SPOD_E_BAD_ARG);
	assert_null(ks);
	assert_int_equal(spod_keystore_new(&ks, (1u << 20) + 1), SPOD_E_BAD_ARG);
	assert_int_equal(spod_keystore_new(&ks, 1), SPOD_OK);
	assert_int_equal(spod_keystore_capacity(ks), 1);
	assert_int_equal(spod_keystore_count(ks), 0);
	spod_keystore_free(ks);
	spod_keystore_free(NULL);
}

static void test_generate_find_delete(void **state)
{
	struct spod_keystore *ks;
	const struct spod_key_entry *e;
	uint8_t id[SPOD_KEY_ID_BYTES], sig[SPOD_SIG_MAX_BYTES], recid;
	const uint8_t msg[32] = {42};
	size_t sig_len;

	(void)state;
	assert_int_equal(spod_keystore_new(&ks, 8), SPOD_OK);
	for (uint8_t alg = SPOD_ALG_ED25519; alg <= SPOD_ALG_P256; alg++) {
		uint8_t mode = alg == SPOD_ALG_ED25519 ? SPOD_MODE_RAW : SPOD_MODE_DIGEST;

		assert_int_equal(spod_keystore_generate(ks, &e, alg, NULL, 0), SPOD_OK);
		assert_non_null(e);
		assert_int_equal(e->used, 1);
		assert_int_equal(e->sk.alg, alg);
		assert_int_equal(e->pub_len, spod_alg_pub_len(alg));
		assert_int_equal(spod_keystore_count(ks), 1);
		memcpy(id, e->id, sizeof id);
		assert_ptr_equal(spod_keystore_find(ks, id), e);

		assert_int_equal(spod_sign(sig, &sig_len, &recid, &e->sk, mode, msg, sizeof msg),
		                 SPOD_OK);
		assert_int_equal(
		    spod_verify(alg, e->pub, e->pub_len, mode, msg, sizeof msg, sig, sig_len),
		    SPOD_OK);

		assert_int_equal(spod_keystore_delete(ks, id), SPOD_OK);
		assert_null(spod_keystore_find(ks, id));
		assert_int_equal(spod_keystore_delete(ks, id), SPOD_E_KEY_NOT_FOUND);
		assert_int_equal(spod_keystore_count(ks), 0);
		/* The slot holds nothing of the key any more. */
		assert_int_equal(e->sk.alg, 0);
		assert_null(e->sk.ossl);
		for (size_t i = 0; i < sizeof e->sk.secret; i++)
			assert_int_equal(e->sk.secret[i], 0);
	}
	assert_int_equal(spod_keystore_generate(ks, &e, 9, NULL, 0), SPOD_E_UNKNOWN_ALG);
	assert_null(e);
	assert_int_equal(spod_keystore_count(ks), 0);
	spod_keystore_free(ks);
}

/* The key's label (spod-host's metadata) is kept with it, and wiped with it. */
static void test_labels(void **state)
{
	static const char longest[SPOD_LABEL_MAX_BYTES + 1] =
	    "a123456789b123456789c123456789d123456789e123456789f123456789g123456789h123456789"
	    "i123456789j123456789k123456789l123456789m1234567";
	struct spod_keystore *ks;
	const struct spod_key_entry *e;
	uint8_t id[SPOD_KEY_ID_BYTES];

	(void)state;
	assert_int_equal(spod_keystore_new(&ks, 4), SPOD_OK);
	assert_int_equal(spod_keystore_generate(ks, &e, SPOD_ALG_SECP256K1, "hot-wallet", 10),
	                 SPOD_OK);
	assert_int_equal(e->label_len, 10);
	assert_memory_equal(e->label, "hot-wallet", 10);
	memcpy(id, e->id, sizeof id);
	assert_ptr_equal(spod_keystore_find(ks, id), e);
	assert_int_equal(
	    spod_keystore_generate(ks, &e, SPOD_ALG_ED25519, longest, SPOD_LABEL_MAX_BYTES),
	    SPOD_OK);
	assert_memory_equal(e->label, longest, SPOD_LABEL_MAX_BYTES);
	/* the keystore does not make labels unique: spod-host does */
	assert_int_equal(spod_keystore_generate(ks, &e, SPOD_ALG_P256, "hot-wallet", 10), SPOD_OK);
	assert_int_equal(spod_keystore_count(ks), 3);
	assert_int_equal(
	    spod_keystore_generate(ks, &e, SPOD_ALG_P256, longest, SPOD_LABEL_MAX_BYTES + 1),
	    SPOD_E_BAD_FIELD);
	assert_int_equal(spod_keystore_generate(ks, &e, SPOD_ALG_P256, "a b", 3), SPOD_E_BAD_FIELD);
	assert_int_equal(spod_keystore_generate(ks, &e, SPOD_ALG_P256, NULL, 3), SPOD_E_BAD_FIELD);
	assert_null(e);
	assert_int_equal(spod_keystore_count(ks), 3);
	e = spod_keystore_find(ks, id);
	assert_int_equal(spod_keystore_delete(ks, id), SPOD_OK);
	assert_int_equal(e->label_len, 0);
	for (size_t i = 0; i < sizeof e->label; i++)
		assert_int_equal(e->label[i], 0);
	spod_keystore_free(ks);
}

static void test_full(void **state)
{
	struct spod_keystore *ks;
	const struct spod_key_entry *e, *first = NULL;
	uint8_t id[SPOD_KEY_ID_BYTES], seed[32] = {1};

	(void)state;
	assert_int_equal(spod_keystore_new(&ks, 4), SPOD_OK);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(spod_keystore_generate(ks, &e, SPOD_ALG_P256, NULL, 0), SPOD_OK);
		if (first == NULL)
			first = e;
	}
	assert_int_equal(spod_keystore_count(ks), 4);
	assert_int_equal(spod_keystore_generate(ks, &e, SPOD_ALG_ED25519, NULL, 0),
	                 SPOD_E_KEYSTORE_FULL);
	assert_null(e);
	make_id(id, 1, 1);
	assert_int_equal(spod_keystore_import(ks, &e, id, SPOD_ALG_ED25519, seed, sizeof seed),
	                 SPOD_E_KEYSTORE_FULL);
	assert_int_equal(spod_keystore_count(ks), 4);

	memcpy(id, first->id, sizeof id);
	assert_int_equal(spod_keystore_delete(ks, id), SPOD_OK);
	assert_int_equal(spod_keystore_generate(ks, &e, SPOD_ALG_SECP256K1, NULL, 0), SPOD_OK);
	assert_int_equal(spod_keystore_count(ks), 4);
	spod_keystore_free(ks); /* with live P-256 keys: LeakSanitizer checks they are freed */
}

/* Index of id in ids[0..n), or -1. */
static int index_of(uint8_t ids[][SPOD_KEY_ID_BYTES], int n, const uint8_t *id)
{
	for (int i = 0; i < n; i++) {
		if (memcmp(ids[i], id, SPOD_KEY_ID_BYTES) == 0)
			return i;
	}
	return -1;
}

static void test_iterate(void **state)
{
	struct spod_keystore *ks;
	const struct spod_key_entry *e;
	uint8_t ids[40][SPOD_KEY_ID_BYTES];
	int live[40] = {0}, seen[40] = {0};
	uint32_t cursor = 0, visited = 0;

	(void)state;
	assert_int_equal(spod_keystore_new(&ks, MAX_TEST_KEYS), SPOD_OK);
	assert_null(spod_keystore_next(ks, &cursor));
	assert_int_equal(cursor, 0);

	for (int i = 0; i < 40; i++) {
		assert_int_equal(spod_keystore_generate(ks, &e, (uint8_t)(1 + i % 3), NULL, 0),
		                 SPOD_OK);
		memcpy(ids[i], e->id, SPOD_KEY_ID_BYTES);
		live[i] = 1;
	}
	for (int i = 0; i < 40; i += 3) {
		assert_int_equal(spod_keystore_delete(ks, ids[i]), SPOD_OK);
		live[i] = 0;
	}

	while ((e = spod_keystore_next(ks, &cursor)) != NULL) {
		int i = index_of(ids, 40, e->id);

		assert_true(i >= 0);
		assert_true(live[i]);
		assert_int_equal(seen[i], 0);
		seen[i] = 1;
		visited++;
		assert_int_not_equal(cursor, 0);
	}
	assert_int_equal(cursor, 0);
	assert_int_equal(visited, spod_keystore_count(ks));
	for (int i = 0; i < 40; i++)
		assert_int_equal(seen[i], live[i]);

	/* A cursor past the table ends the walk. */
	cursor = 1u << 30;
	assert_null(spod_keystore_next(ks, &cursor));
	assert_int_equal(cursor, 0);
	spod_keystore_free(ks);
}

static void test_delete_during_iteration(void **state)
{
	struct spod_keystore *ks;
	const struct spod_key_entry *e;
	uint8_t ids[20][SPOD_KEY_ID_BYTES], id[SPOD_KEY_ID_BYTES];
	int seen[20] = {0}, gone_early = -1;
	uint32_t cursor = 0, steps = 0;

	(void)state;
	assert_int_equal(spod_keystore_new(&ks, 32), SPOD_OK);
	for (int i = 0; i < 20; i++) {
		assert_int_equal(spod_keystore_generate(ks, &e, SPOD_ALG_ED25519, NULL, 0),
		                 SPOD_OK);
		memcpy(ids[i], e->id, SPOD_KEY_ID_BYTES);
	}

	while ((e = spod_keystore_next(ks, &cursor)) != NULL) {
		int i = index_of(ids, 20, e->id);

		assert_true(i >= 0);
		assert_int_equal(seen[i], 0);
		assert_int_not_equal(i, gone_early);
		seen[i] = 1;
		/* Delete the key just returned (the entry is wiped: copy its id first). */
		memcpy(id, e->id, sizeof id);
		assert_int_equal(spod_keystore_delete(ks, id), SPOD_OK);
		/* Once, also delete a key the walk has not reached yet. */
		if (++steps == 3) {
			for (int j = 0; j < 20 && gone_early < 0; j++) {
				if (!seen[j])
					gone_early = j;
			}
			assert_int_equal(spod_keystore_delete(ks, ids[gone_early]), SPOD_OK);
		}
	}
	assert_int_equal(steps, 19);
	for (int i = 0; i < 20; i++)
		assert_int_equal(seen[i], i != gone_early);
	assert_int_equal(spod_keystore_count(ks), 0);
	spod_keystore_free(ks);
}

/* An id whose index home is `home` (the first four bytes) with a distinguishing last byte. */
static void home_id(uint8_t id[SPOD_KEY_ID_BYTES], uint32_t home, uint8_t tag)
{
	memset(id, 0, SPOD_KEY_ID_BYTES);
	id[0] = (uint8_t)home;
	id[1] = (uint8_t)(home >> 8);
	id[2] = (uint8_t)(home >> 16);
	id[3] = (uint8_t)(home >> 24);
	id[SPOD_KEY_ID_BYTES - 1] = tag;
}

/*
 * Ids with the same index home collide on purpose, also across the end of the index (its
 * first size is 2048 slots): deleting any of them, in any order, keeps every other one
 * findable (the probe runs are shifted back, not left with holes), and entries never move.
 */
static void test_collisions(void **state)
{
	static const uint32_t homes[] = {3, 2047};
	uint8_t ids[6][SPOD_KEY_ID_BYTES], seed[32] = {9};
	const struct spod_key_entry *e[6];
	struct spod_keystore *ks;

	(void)state;
	for (size_t h = 0; h < sizeof homes / sizeof homes[0]; h++) {
		assert_int_equal(spod_keystore_new(&ks, 64), SPOD_OK);
		for (int i = 0; i < 6; i++) {
			home_id(ids[i], homes[h], (uint8_t)('a' + i));
			assert_int_equal(
			    spod_keystore_import(ks, &e[i], ids[i], SPOD_ALG_ED25519, seed, 32),
			    SPOD_OK);
		}
		/* delete b, d, a; c, e, f stay where they are and are found */
		assert_int_equal(spod_keystore_delete(ks, ids[1]), SPOD_OK);
		assert_int_equal(spod_keystore_delete(ks, ids[3]), SPOD_OK);
		assert_int_equal(spod_keystore_delete(ks, ids[0]), SPOD_OK);
		for (int i = 0; i < 6; i++) {
			if (i == 0 || i == 1 || i == 3)
				assert_null(spod_keystore_find(ks, ids[i]));
			else
				assert_ptr_equal(spod_keystore_find(ks, ids[i]), e[i]);
		}
		/* a deleted entry is wiped and reused */
		assert_int_equal(spod_keystore_import(ks, &e[0], ids[0], SPOD_ALG_P256, seed, 32),
		                 SPOD_OK);
		assert_ptr_equal(spod_keystore_find(ks, ids[0]), e[0]);
		assert_int_equal(e[0]->sk.alg, SPOD_ALG_P256);
		assert_int_equal(spod_keystore_count(ks), 4);
		spod_keystore_free(ks);
	}
}

/*
 * The store grows as keys arrive (blocks of entries, a bigger index) up to its capacity;
 * entries already handed out never move.
 */
static void test_growth(void **state)
{
	enum { N = 5000 };
	static uint8_t ids[N][SPOD_KEY_ID_BYTES];
	static const struct spod_key_entry *e[N];
	const struct spod_key_entry *extra;
	uint8_t seed[32] = {1};
	struct spod_keystore *ks;
	uint32_t cursor = 0, walked = 0;

	(void)state;
	assert_int_equal(spod_keystore_new(&ks, N), SPOD_OK);
	for (int i = 0; i < N; i++) {
		spod_random(ids[i], SPOD_KEY_ID_BYTES);
		seed[1] = (uint8_t)i;
		assert_int_equal(
		    spod_keystore_import(ks, &e[i], ids[i], SPOD_ALG_SECP256K1, seed, 32), SPOD_OK);
	}
	assert_int_equal(spod_keystore_count(ks), N);
	assert_int_equal(
	    spod_keystore_import(ks, &extra, (uint8_t[16]){1, 2, 3}, SPOD_ALG_SECP256K1, seed, 32),
	    SPOD_E_KEYSTORE_FULL);
	for (int i = 0; i < N; i++)
		assert_ptr_equal(spod_keystore_find(ks, ids[i]), e[i]);
	for (int i = 0; i < N; i += 2)
		assert_int_equal(spod_keystore_delete(ks, ids[i]), SPOD_OK);
	for (int i = 0; i < N; i++) {
		if (i % 2)
			assert_ptr_equal(spod_keystore_find(ks, ids[i]), e[i]);
		else
			assert_null(spod_keystore_find(ks, ids[i]));
	}
	while (spod_keystore_next(ks, &cursor) != NULL)
		walked++;
	assert_int_equal(walked, N / 2);
	spod_keystore_free(ks);
}

static void test_import_errors(void **state)
{
	struct spod_keystore *ks;
	const struct spod_key_entry *e, *again;
	uint8_t id[SPOD_KEY_ID_BYTES], other[SPOD_KEY_ID_BYTES], seed[32] = {5};
	uint8_t zero[32] = {0};

	(void)state;
	assert_int_equal(spod_keystore_new(&ks, 4), SPOD_OK);
	make_id(id, 2, 1);
	assert_int_equal(spod_keystore_import(ks, &e, id, SPOD_ALG_ED25519, seed, 32), SPOD_OK);
	assert_memory_equal(e->id, id, sizeof id);
	assert_int_equal(spod_keystore_import(ks, &again, id, SPOD_ALG_P256, seed, 32),
	                 SPOD_E_BAD_FIELD);
	assert_null(again);
	assert_int_equal(spod_keystore_count(ks), 1);

	/* A key that cannot be imported leaves its slot as it was. */
	make_id(other, 2, 2);
	assert_int_equal(spod_keystore_import(ks, &again, other, SPOD_ALG_SECP256K1, zero, 32),
	                 SPOD_E_BAD_KEY);
	assert_int_equal(spod_keystore_import(ks, &again, other, 7, seed, 32), SPOD_E_UNKNOWN_ALG);
	assert_int_equal(spod_keystore_import(ks, &again, other, SPOD_ALG_P256, seed, 31),
	                 SPOD_E_BAD_KEY);
	assert_null(spod_keystore_find(ks, other));
	assert_int_equal(e[1].used, 0);
	assert_int_equal(spod_keystore_count(ks), 1);
	assert_int_equal(spod_keystore_import(ks, &again, other, SPOD_ALG_P256, seed, 32), SPOD_OK);
	assert_ptr_equal(again, e + 1);
	spod_keystore_free(ks);
}

static void test_secmem(void **state)
{
	uint8_t *p;

	(void)state;
	for (size_t len = 1; len < 100; len += 13) {
		p = spod_secmem_alloc(len);
		assert_non_null(p);
		assert_int_equal((uintptr_t)p % 16, 0);
		for (size_t i = 0; i < len; i++)
			assert_int_equal(p[i], 0);
		memset(p, 0xa5, len);
		spod_secmem_wipe(p, len);
		for (size_t i = 0; i < len; i++)
			assert_int_equal(p[i], 0);
		spod_secmem_free(p);
	}
	spod_secmem_free(NULL);
}

static void test_harden_process(void **state)
{
	struct rlimit core;

	(void)state;
	assert_int_equal(spod_secmem_harden_process(), SPOD_OK);
	assert_int_equal(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
	assert_int_equal(getrlimit(RLIMIT_CORE, &core), 0);
	assert_int_equal(core.rlim_cur, 0);
	assert_int_equal(core.rlim_max, 0);
}

/* OpenSSL aborts on a secure heap size that is not a power of two; spod refuses it. */
static void test_crypto_init_odd_heap(void **state)
{
	(void)state;
	assert_int_equal(spod_crypto_init(1000), SPOD_E_BAD_ARG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_crypto_init_odd_heap),
	    cmocka_unit_test(test_new_bad_args),
	    cmocka_unit_test(test_generate_find_delete),
	    cmocka_unit_test(test_labels),
	    cmocka_unit_test(test_full),
	    cmocka_unit_test(test_iterate),
	    cmocka_unit_test(test_delete_during_iteration),
	    cmocka_unit_test(test_collisions),
	    cmocka_unit_test(test_growth),
	    cmocka_unit_test(test_import_errors),
	    cmocka_unit_test(test_secmem),
	    cmocka_unit_test(test_harden_process),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
