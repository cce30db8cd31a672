/*
 * spod-host's key index (src/host/core/keyindex.c): the table through many insertions and
 * removals with colliding ids, lost and found, a label changed or removed, a label too long,
 * loading from the store (deleted keys out, lost keys marked), and the lookups going to the
 * store once the index is incomplete.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "host/core/host_int.h"

#define NKEYS 5000u

static void key_id(uint8_t id[SPOD_KEY_ID_BYTES], uint32_t i)
{
	memset(id, 0, SPOD_KEY_ID_BYTES);
	/* similar ids (only a few bytes differ), so probes collide */
	memcpy(id, &i, sizeof(i));
	id[15] = (uint8_t)(i * 7);
}

static void label_of(char *buf, size_t cap, uint32_t i)
{
	snprintf(buf, cap, "key-%u", i);
}

/* Every key i < n with i % step != 0 is present with its label, the others absent. */
static void check_all(const struct host_keyindex *x, uint32_t n, uint32_t step)
{
	uint8_t id[SPOD_KEY_ID_BYTES];
	char want[32];

	for (uint32_t i = 0; i < n; i++) {
		const char *got;

		key_id(id, i);
		got = host_keyindex_label(x, id);
		if (step != 0 && i % step == 0) {
			assert_null(got);
			continue;
		}
		label_of(want, sizeof(want), i);
		assert_non_null(got);
		assert_string_equal(got, want);
	}
}

static void test_put_remove(void **state)
{
	struct host_keyindex x;
	uint8_t id[SPOD_KEY_ID_BYTES];
	char label[32];

	(void)state;
	host_keyindex_init(&x);
	key_id(id, 1);
	assert_null(host_keyindex_label(&x, id)); /* empty */
	host_keyindex_remove(&x, id);             /* absent: nothing happens */
	for (uint32_t i = 0; i < NKEYS; i++) {
		key_id(id, i);
		label_of(label, sizeof(label), i);
		assert_int_equal(host_keyindex_put(&x, id, label, 0), SPOD_OK);
	}
	assert_int_equal(x.n, NKEYS);
	assert_true(x.cap >= 2 * x.n && x.cap <= HOST_KEYINDEX_MAX_SLOTS);
	check_all(&x, NKEYS, 0);
	/* every third removed: the entries after each hole move back and stay found */
	for (uint32_t i = 0; i < NKEYS; i += 3) {
		key_id(id, i);
		host_keyindex_remove(&x, id);
		host_keyindex_remove(&x, id); /* twice: the second does nothing */
	}
	assert_int_equal(x.n, NKEYS - (NKEYS + 2) / 3);
	check_all(&x, NKEYS, 3);
	/* put again (the same label) only updates */
	key_id(id, 1);
	assert_int_equal(host_keyindex_put(&x, id, "key-1", 0), SPOD_OK);
	assert_int_equal(x.n, NKEYS - (NKEYS + 2) / 3);
	assert_true(x.complete);
	host_keyindex_free(&x);
	assert_int_equal(x.n, 0);
	assert_null(x.slots);
	assert_true(x.complete);
}

static void test_lost_label_bounds(void **state)
{
	struct host_keyindex x;
	uint8_t id[SPOD_KEY_ID_BYTES], other[SPOD_KEY_ID_BYTES];
	char longest[SPOD_LABEL_MAX_BYTES + 2];

	(void)state;
	host_keyindex_init(&x);
	key_id(id, 7);
	key_id(other, 8);
	assert_int_equal(host_keyindex_put(&x, id, "hot", 0), SPOD_OK);
	/* lost: no label to match, until found again */
	host_keyindex_set_lost(&x, id, 1);
	assert_null(host_keyindex_label(&x, id));
	host_keyindex_set_lost(&x, id, 0);
	assert_string_equal(host_keyindex_label(&x, id), "hot");
	host_keyindex_set_lost(&x, other, 1); /* absent: nothing happens */
	assert_null(host_keyindex_label(&x, other));
	/* loaded as lost */
	assert_int_equal(host_keyindex_put(&x, other, "cold", 1), SPOD_OK);
	assert_null(host_keyindex_label(&x, other));
	/* another label for the same id replaces it; "" removes it */
	assert_int_equal(host_keyindex_put(&x, id, "warm", 0), SPOD_OK);
	assert_string_equal(host_keyindex_label(&x, id), "warm");
	assert_int_equal(host_keyindex_put(&x, id, "", 0), SPOD_OK);
	assert_null(host_keyindex_label(&x, id));
	assert_int_equal(x.n, 1);
	/* the longest label fits; one byte more is refused and changes nothing */
	memset(longest, 'a', SPOD_LABEL_MAX_BYTES);
	longest[SPOD_LABEL_MAX_BYTES] = '\0';
	assert_int_equal(host_keyindex_put(&x, id, longest, 0), SPOD_OK);
	assert_string_equal(host_keyindex_label(&x, id), longest);
	longest[SPOD_LABEL_MAX_BYTES] = 'a';
	longest[SPOD_LABEL_MAX_BYTES + 1] = '\0';
	assert_int_equal(host_keyindex_put(&x, other, longest, 0), SPOD_E_BAD_ARG);
	assert_int_equal(x.n, 2);
	host_keyindex_free(&x);
}

static void stored_key(struct spod_store_key *k, uint32_t i, const char *label)
{
	memset(k, 0, sizeof(*k));
	key_id(k->id, i);
	k->alg = SPOD_ALG_ED25519;
	k->public_key_len = 32;
	memset(k->public_key, (int)i, 32);
	snprintf(k->label, sizeof(k->label), "%s", label);
	k->created_ms = 1000 + i;
}

/* The index as the store holds the keys: deleted ones out, lost ones marked, and the store
 * answering once an insertion failed. */
static void test_load_and_fallback(void **state)
{
	struct spod_host *h = calloc(1, sizeof(*h));
	struct spod_store_key k;
	char path[64], buf[SPOD_LABEL_MAX_BYTES + 1];
	const char *label;
	uint8_t id[SPOD_KEY_ID_BYTES];

	(void)state;
	assert_non_null(h);
	snprintf(path, sizeof(path), "/tmp/spod-test-keyindex-%d.db", (int)getpid());
	unlink(path);
	assert_int_equal(spod_store_open(&h->store, path), SPOD_OK);
	stored_key(&k, 1, "live");
	assert_int_equal(spod_store_key_put(h->store, &k), SPOD_OK);
	stored_key(&k, 2, "gone");
	assert_int_equal(spod_store_key_put(h->store, &k), SPOD_OK);
	assert_int_equal(spod_store_key_mark_deleted(h->store, k.id, 5000), SPOD_OK);
	stored_key(&k, 3, "missing");
	assert_int_equal(spod_store_key_put(h->store, &k), SPOD_OK);
	assert_int_equal(spod_store_key_mark_lost(h->store, k.id, 5000), SPOD_OK);
	stored_key(&k, 4, "");
	assert_int_equal(spod_store_key_put(h->store, &k), SPOD_OK);

	assert_int_equal(host_keyindex_load(h), SPOD_OK);
	assert_true(h->keys.complete);
	assert_int_equal(h->keys.n, 2); /* "live" and the lost "missing" */
	for (uint32_t i = 1; i <= 5; i++) {
		key_id(id, i);
		assert_int_equal(host_key_label(h, id, buf, sizeof(buf), &label), SPOD_OK);
		if (i == 1)
			assert_string_equal(label, "live");
		else
			assert_null(label);
	}
	/* found again: its label counts again */
	key_id(id, 3);
	host_keyindex_set_lost(&h->keys, id, 0);
	assert_int_equal(host_key_label(h, id, buf, sizeof(buf), &label), SPOD_OK);
	assert_string_equal(label, "missing");

	/* incomplete: the store answers (where key 3 is still lost) */
	h->keys.complete = 0;
	assert_int_equal(host_key_label(h, id, buf, sizeof(buf), &label), SPOD_OK);
	assert_null(label);
	key_id(id, 1);
	assert_int_equal(host_key_label(h, id, buf, sizeof(buf), &label), SPOD_OK);
	assert_ptr_equal(label, buf);
	assert_string_equal(label, "live");
	key_id(id, 9);
	assert_int_equal(host_key_label(h, id, buf, sizeof(buf), &label), SPOD_OK);
	assert_null(label);

	host_keyindex_free(&h->keys);
	spod_store_close(h->store);
	unlink(path);
	free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_put_remove),
	    cmocka_unit_test(test_lost_label_bounds),
	    cmocka_unit_test(test_load_and_fallback),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
