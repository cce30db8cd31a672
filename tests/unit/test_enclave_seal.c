/*
 * The enclave's seal state (src/enclave/seal.c): seal.setup's modes, the seal key spod-host
 * expects in custodian mode (shares of another key refused, ones held already dropped, a
 * rebuilt key or an expectation that differs refused), and shares after the rebuild.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "crypto/shamir.h"
#include "crypto/share.h"
#include "crypto/sign.h"
#include "enclave/seal.h"
#include "spod/err.h"

/* A 2-of-3 split of a random seal key with each share's payload. */
struct ceremony {
	uint8_t key[32], id[16];
	uint8_t shares[3][32], commitments[3][32];
	uint8_t payload[3][SPOD_SHARE_PAYLOAD_MAX_BYTES];
	size_t len;
};

static struct ceremony g_a, g_b;

static void ceremony(struct ceremony *c)
{
	memset(c, 0, sizeof *c);
	randombytes_buf(c->key, sizeof c->key);
	spod_seal_key_id(c->id, c->key);
	assert_int_equal(spod_shamir_split(&c->shares[0][0], c->key, 2, 3), SPOD_OK);
	for (unsigned i = 0; i < 3; i++)
		spod_share_commitment(c->commitments[i], c->id, (uint8_t)(i + 1), 2, 3,
		                      c->shares[i]);
	for (unsigned i = 0; i < 3; i++) {
		struct spod_share_view v = {
		    2, 3, (uint8_t)(i + 1), c->id, c->shares[i], &c->commitments[0][0]};
		assert_int_equal(
		    spod_share_encode(c->payload[i], sizeof c->payload[i], &c->len, &v), SPOD_OK);
	}
}

static int setup(void **state)
{
	(void)state;
	if (spod_crypto_init(0) != SPOD_OK)
		return -1;
	ceremony(&g_a);
	ceremony(&g_b);
	return 0;
}

static int add(struct spod_enclave_seal *s, const struct ceremony *c, unsigned index,
               const char **why)
{
	return spod_enclave_seal_add_share(s, c->payload[index - 1], c->len, why);
}

/* The expected key is in the status from the start; another ceremony's share is refused. */
static void test_expected_key(void **state)
{
	struct spod_enclave_seal s;
	struct spod_seal_view v;
	const char *why;

	(void)state;
	assert_int_equal(spod_enclave_seal_init(&s), SPOD_OK);
	assert_int_equal(spod_enclave_seal_setup(&s, SPOD_SEAL_CUSTODIANS, g_a.id, &why), SPOD_OK);
	assert_null(why);
	spod_enclave_seal_status(&s, &v);
	assert_int_equal(v.ready, 0);
	assert_int_equal(v.present, 0);
	assert_non_null(v.seal_key_id);
	assert_memory_equal(v.seal_key_id, g_a.id, 16);
	assert_int_equal(add(&s, &g_b, 1, &why), SPOD_E_WRONG_SEAL_KEY);
	assert_non_null(why);
	spod_enclave_seal_status(&s, &v);
	assert_int_equal(v.present, 0);
	/* the same setup again (the second pool connection) changes nothing */
	assert_int_equal(spod_enclave_seal_setup(&s, SPOD_SEAL_CUSTODIANS, g_a.id, &why), SPOD_OK);
	assert_int_equal(add(&s, &g_a, 3, &why), SPOD_OK);
	assert_int_equal(spod_enclave_seal_setup(&s, SPOD_SEAL_CUSTODIANS, NULL, &why), SPOD_OK);
	/* another expectation once one is set is refused, and nothing changes */
	assert_int_equal(spod_enclave_seal_setup(&s, SPOD_SEAL_CUSTODIANS, g_b.id, &why),
	                 SPOD_E_MODE_CONFLICT);
	assert_non_null(why);
	spod_enclave_seal_status(&s, &v);
	assert_int_equal(v.present, 1);
	assert_memory_equal(v.seal_key_id, g_a.id, 16);
	assert_int_equal(add(&s, &g_a, 1, &why), SPOD_OK);
	spod_enclave_seal_status(&s, &v);
	assert_int_equal(v.ready, 1);
	assert_memory_equal(v.seal_key_id, g_a.id, 16);
	/* a share after the rebuild is not needed */
	assert_int_equal(add(&s, &g_a, 2, &why), SPOD_E_BAD_SHARE);
	assert_non_null(strstr(why, "not needed"));
	spod_enclave_seal_free(&s);
}

/* Shares of another key taken before the expectation arrived are dropped by it. */
static void test_drop_foreign(void **state)
{
	struct spod_enclave_seal s;
	struct spod_seal_view v;
	const char *why;

	(void)state;
	assert_int_equal(spod_enclave_seal_init(&s), SPOD_OK);
	assert_int_equal(spod_enclave_seal_setup(&s, SPOD_SEAL_CUSTODIANS, NULL, &why), SPOD_OK);
	assert_int_equal(add(&s, &g_b, 2, &why), SPOD_OK);
	spod_enclave_seal_status(&s, &v);
	assert_int_equal(v.present, 1);
	assert_memory_equal(v.seal_key_id, g_b.id, 16);
	assert_int_equal(spod_enclave_seal_setup(&s, SPOD_SEAL_CUSTODIANS, g_a.id, &why), SPOD_OK);
	spod_enclave_seal_status(&s, &v);
	assert_int_equal(v.present, 0);
	assert_int_equal(v.threshold, 0);
	assert_memory_equal(v.seal_key_id, g_a.id, 16);
	assert_int_equal(add(&s, &g_b, 1, &why), SPOD_E_WRONG_SEAL_KEY);
	assert_int_equal(add(&s, &g_a, 2, &why), SPOD_OK);
	assert_int_equal(add(&s, &g_a, 3, &why), SPOD_OK);
	spod_enclave_seal_status(&s, &v);
	assert_int_equal(v.ready, 1);
	spod_enclave_seal_free(&s);
}

/* A key rebuilt without an expectation that is not the one spod-host later names. */
static void test_rebuilt_differs(void **state)
{
	struct spod_enclave_seal s;
	const char *why;

	(void)state;
	assert_int_equal(spod_enclave_seal_init(&s), SPOD_OK);
	assert_int_equal(spod_enclave_seal_setup(&s, SPOD_SEAL_CUSTODIANS, NULL, &why), SPOD_OK);
	assert_int_equal(add(&s, &g_b, 1, &why), SPOD_OK);
	assert_int_equal(add(&s, &g_b, 2, &why), SPOD_OK);
	assert_int_equal(spod_enclave_seal_setup(&s, SPOD_SEAL_CUSTODIANS, g_a.id, &why),
	                 SPOD_E_MODE_CONFLICT);
	assert_non_null(strstr(why, "another set of custodians"));
	assert_int_equal(spod_enclave_seal_setup(&s, SPOD_SEAL_CUSTODIANS, g_b.id, &why), SPOD_OK);
	spod_enclave_seal_free(&s);
}

/* Modes: ephemeral takes no expected key, and each mode refuses the other. */
static void test_modes(void **state)
{
	struct spod_enclave_seal s;
	struct spod_seal_view v;
	const uint8_t *key;
	const char *why;

	(void)state;
	assert_int_equal(spod_enclave_seal_init(&s), SPOD_OK);
	assert_int_equal(spod_enclave_seal_setup(&s, SPOD_SEAL_EPHEMERAL, g_a.id, &why),
	                 SPOD_E_BAD_FIELD);
	spod_enclave_seal_status(&s, &v);
	assert_int_equal(v.mode, SPOD_SEAL_UNSET);
	assert_int_equal(spod_enclave_seal_setup(&s, SPOD_SEAL_EPHEMERAL, NULL, &why), SPOD_OK);
	assert_int_equal(spod_enclave_seal_key(&s, &key, &why), SPOD_OK);
	assert_int_equal(spod_enclave_seal_setup(&s, SPOD_SEAL_CUSTODIANS, NULL, &why),
	                 SPOD_E_MODE_CONFLICT);
	assert_int_equal(add(&s, &g_a, 1, &why), SPOD_E_MODE_CONFLICT);
	spod_enclave_seal_free(&s);

	assert_int_equal(spod_enclave_seal_init(&s), SPOD_OK);
	assert_int_equal(spod_enclave_seal_setup(&s, SPOD_SEAL_CUSTODIANS, g_a.id, &why), SPOD_OK);
	assert_int_equal(spod_enclave_seal_key(&s, &key, &why), SPOD_E_NOT_PROVISIONED);
	assert_int_equal(spod_enclave_seal_setup(&s, SPOD_SEAL_EPHEMERAL, NULL, &why),
	                 SPOD_E_MODE_CONFLICT);
	spod_enclave_seal_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_expected_key),
	    cmocka_unit_test(test_drop_foreign),
	    cmocka_unit_test(test_rebuilt_differs),
	    cmocka_unit_test(test_modes),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
