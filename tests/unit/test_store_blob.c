/*
 * spod-host's store: sealed blobs up to SPOD_BLOB_MAX_BYTES (version 2, which bind a key's
 * policy) and their replacement when a key's policy changes (spod_store_key_replace_blob).
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

#include "host/store/store.h"
#include "host/store/store_int.h"
#include "spod/err.h"

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
	snprintf(fx->dir, sizeof fx->dir, "/tmp/spod-blob-XXXXXX");
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

static int teardown(void **state)
{
	struct fixture *fx = *state;
	struct dirent *de;
	char p[384];
	DIR *d;

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

static struct spod_store_key test_key(uint8_t n, const char *label)
{
	struct spod_store_key k = {.alg = 1, .public_key_len = 33, .created_ms = 1000 + n};

	memset(k.id, n, sizeof k.id);
	memset(k.public_key, 0x02 + n, k.public_key_len);
	snprintf(k.label, sizeof k.label, "%s", label);
	return k;
}

/* The blob list_sealed gives for key id: its length in *len (-1: no blob), copied to out. */
struct found {
	const uint8_t *id;
	long len;
	uint8_t *out;
	int seen;
};

static int find_blob(void *ctx, const struct spod_store_key *k, const uint8_t *blob, size_t len)
{
	struct found *f = ctx;

	if (memcmp(k->id, f->id, SPOD_KEY_ID_BYTES) != 0)
		return SPOD_OK;
	f->seen = 1;
	f->len = blob != NULL ? (long)len : -1;
	if (blob != NULL)
		memcpy(f->out, blob, len);
	return SPOD_OK;
}

static long stored_blob(struct spod_store *s, const uint8_t *id, uint8_t *out)
{
	struct found f = {.id = id, .len = -2, .out = out};

	assert_int_equal(spod_store_key_list_sealed(s, find_blob, &f), SPOD_OK);
	return f.seen ? f.len : -2; /* -2: not listed (deleted, or no record) */
}

static void test_max_size(void **state)
{
	struct fixture *fx = *state;
	struct spod_store_key a = test_key(1, "big"), b = test_key(2, "");
	static uint8_t blob[SPOD_BLOB_MAX_BYTES + 1], got[SPOD_BLOB_MAX_BYTES];

	assert_int_equal(SPOD_STORE_BLOB_MAX_BYTES, SPOD_BLOB_MAX_BYTES);
	for (size_t i = 0; i < sizeof blob; i++)
		blob[i] = (uint8_t)(i * 7);
	assert_int_equal(spod_store_key_put_sealed(fx->s, &a, blob, SPOD_STORE_BLOB_MAX_BYTES),
	                 SPOD_OK);
	assert_int_equal(stored_blob(fx->s, a.id, got), SPOD_STORE_BLOB_MAX_BYTES);
	assert_memory_equal(got, blob, SPOD_STORE_BLOB_MAX_BYTES);
	assert_int_equal(spod_store_key_put_sealed(fx->s, &b, blob, SPOD_STORE_BLOB_MAX_BYTES + 1),
	                 SPOD_E_BAD_ARG);
	assert_int_equal(stored_blob(fx->s, b.id, got), -2); /* neither record nor blob */
}

static void test_replace(void **state)
{
	struct fixture *fx = *state;
	struct spod_store_key a = test_key(1, "a"), b = test_key(2, ""), c = test_key(3, "c");
	static uint8_t big[SPOD_BLOB_MAX_BYTES + 1], got[SPOD_BLOB_MAX_BYTES];
	static const uint8_t unknown[SPOD_KEY_ID_BYTES] = {0xee};

	memset(big, 0x5a, sizeof big);
	assert_int_equal(spod_store_key_put_sealed(fx->s, &a, (const uint8_t *)"old-a", 5),
	                 SPOD_OK);
	assert_int_equal(spod_store_key_put_sealed(fx->s, &c, (const uint8_t *)"old-c", 5),
	                 SPOD_OK);
	assert_int_equal(spod_store_key_put(fx->s, &b), SPOD_OK); /* recorded without a blob */

	/* replaced in place, up to the largest blob; the other key's untouched */
	assert_int_equal(
	    spod_store_key_replace_blob(fx->s, a.id, big, SPOD_STORE_BLOB_MAX_BYTES, 2000),
	    SPOD_OK);
	assert_int_equal(stored_blob(fx->s, a.id, got), SPOD_STORE_BLOB_MAX_BYTES);
	assert_memory_equal(got, big, SPOD_STORE_BLOB_MAX_BYTES);
	assert_int_equal(stored_blob(fx->s, c.id, got), 5);
	assert_memory_equal(got, "old-c", 5);
	assert_int_equal(spod_store_key_replace_blob(fx->s, a.id, (const uint8_t *)"v3", 2, 3000),
	                 SPOD_OK);
	assert_int_equal(stored_blob(fx->s, a.id, got), 2);
	assert_memory_equal(got, "v3", 2);

	/* a key recorded without a blob gets one */
	assert_int_equal(stored_blob(fx->s, b.id, got), -1);
	assert_int_equal(spod_store_key_replace_blob(fx->s, b.id, (const uint8_t *)"b", 1, 3000),
	                 SPOD_OK);
	assert_int_equal(stored_blob(fx->s, b.id, got), 1);

	/* out of range: nothing written */
	assert_int_equal(spod_store_key_replace_blob(fx->s, a.id, big, 0, 4000), SPOD_E_BAD_ARG);
	assert_int_equal(
	    spod_store_key_replace_blob(fx->s, a.id, big, SPOD_STORE_BLOB_MAX_BYTES + 1, 4000),
	    SPOD_E_BAD_ARG);
	assert_true(strlen(spod_store_last_error(fx->s)) > 0);
	assert_int_equal(stored_blob(fx->s, a.id, got), 2);

	/* no such key, or a deleted one: refused, no row written */
	assert_int_equal(spod_store_key_replace_blob(fx->s, unknown, (const uint8_t *)"x", 1, 4000),
	                 SPOD_E_KEY_NOT_FOUND);
	assert_int_equal(spod_store_key_mark_deleted(fx->s, c.id, 4500), SPOD_OK);
	assert_int_equal(spod_store_key_replace_blob(fx->s, c.id, (const uint8_t *)"new", 3, 5000),
	                 SPOD_E_KEY_NOT_FOUND);
	{
		sqlite3_stmt *st;
		assert_int_equal(
		    sqlite3_prepare_v2(store_db(fx->s),
		                       "SELECT blob FROM sealed_blobs WHERE key_id = ?1", -1, &st,
		                       NULL),
		    SQLITE_OK);
		assert_int_equal(sqlite3_bind_blob(st, 1, c.id, 16, SQLITE_STATIC), SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_int_equal(sqlite3_column_bytes(st, 0), 5);
		assert_memory_equal(sqlite3_column_blob(st, 0), "old-c", 5);
		sqlite3_finalize(st);
	}
	assert_int_equal(sqlite3_get_autocommit(store_db(fx->s)), 1); /* no transaction left open */

	/* a lost key's blob may be replaced (the enclave that answered holds it) */
	assert_int_equal(spod_store_key_mark_lost(fx->s, a.id, 6000), SPOD_OK);
	assert_int_equal(spod_store_key_replace_blob(fx->s, a.id, (const uint8_t *)"v4", 2, 6500),
	                 SPOD_OK);
	assert_int_equal(stored_blob(fx->s, a.id, got), 2);
	assert_memory_equal(got, "v4", 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_max_size, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_replace, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
