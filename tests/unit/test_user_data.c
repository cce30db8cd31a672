/*
 * spod's attestation user_data (include/spod/attest.h): version 2 records (key binding, seal
 * state) round trip, version 1 key bindings still read, and malformed bodies are refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "spod/attest.h"
#include "spod/err.h"

static const uint8_t kid[16] = {0xa0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 0xaf};
static const uint8_t pub[65] = {4, 1, 2, 3};

static void test_round_trip(void **state)
{
	struct spod_attest_seal seal = {2, 1, 3, 5, 3, {0x5e, 0xa1}};
	struct spod_attest_user_data ud;
	uint8_t buf[SPOD_ATTEST_USER_DATA_MAX];
	size_t len;

	(void)state;
	assert_int_equal(
	    spod_attest_user_data_encode(buf, sizeof(buf), &len, &seal, 2, kid, pub, 65), SPOD_OK);
	assert_int_equal(len, 8 + 3 + 18 + 65 + 3 + SPOD_ATTEST_UD_SEAL_BYTES);
	assert_memory_equal(buf, SPOD_ATTEST_UD2_MAGIC, 8);
	assert_int_equal(spod_attest_user_data_parse(&ud, buf, len), SPOD_OK);
	assert_int_equal(ud.version, 2);
	assert_true(ud.has_key && ud.has_seal);
	assert_int_equal(ud.key_alg, 2);
	assert_memory_equal(ud.key_id, kid, 16);
	assert_int_equal(ud.key_pub.len, 65);
	assert_memory_equal(&ud.seal, &seal, sizeof(seal));
	/* a seal record alone (every document), a key alone */
	assert_int_equal(
	    spod_attest_user_data_encode(buf, sizeof(buf), &len, &seal, 0, NULL, NULL, 0), SPOD_OK);
	assert_int_equal(spod_attest_user_data_parse(&ud, buf, len), SPOD_OK);
	assert_true(!ud.has_key && ud.has_seal);
	assert_int_equal(
	    spod_attest_user_data_encode(buf, sizeof(buf), &len, NULL, 1, kid, pub, 32), SPOD_OK);
	assert_int_equal(spod_attest_user_data_parse(&ud, buf, len), SPOD_OK);
	assert_true(ud.has_key && !ud.has_seal);
	/* neither, too small a buffer */
	assert_int_equal(
	    spod_attest_user_data_encode(buf, sizeof(buf), &len, NULL, 0, NULL, NULL, 0),
	    SPOD_E_BAD_ARG);
	assert_int_equal(spod_attest_user_data_encode(buf, 40, &len, &seal, 2, kid, pub, 65),
	                 SPOD_E_TOO_LARGE);
}

static void test_v1_and_foreign(void **state)
{
	struct spod_attest_user_data ud;
	uint8_t buf[128];
	size_t len;

	(void)state;
	assert_int_equal(spod_attest_key_binding(buf, sizeof(buf), &len, 3, kid, pub, 65), SPOD_OK);
	assert_int_equal(spod_attest_user_data_parse(&ud, buf, len), SPOD_OK);
	assert_int_equal(ud.version, 1);
	assert_true(ud.has_key && !ud.has_seal);
	assert_int_equal(ud.key_alg, 3);
	/* one byte short or long of its declared public key */
	assert_int_equal(spod_attest_user_data_parse(&ud, buf, len - 1), SPOD_E_BAD_FIELD);
	assert_int_equal(ud.version, 0);
	/* not spod's: no error, nothing read */
	assert_int_equal(spod_attest_user_data_parse(&ud, (const uint8_t *)"hello, world", 12),
	                 SPOD_OK);
	assert_int_equal(ud.version, 0);
	assert_int_equal(spod_attest_user_data_parse(&ud, NULL, 0), SPOD_OK);
	assert_int_equal(ud.version, 0);
}

static void test_malformed(void **state)
{
	struct spod_attest_seal seal = {1, 1, 0, 0, 0, {1}};
	struct spod_attest_user_data ud;
	uint8_t buf[SPOD_ATTEST_USER_DATA_MAX], bad[SPOD_ATTEST_USER_DATA_MAX];
	size_t len, seal_at;

	(void)state;
	assert_int_equal(
	    spod_attest_user_data_encode(buf, sizeof(buf), &len, &seal, 1, kid, pub, 32), SPOD_OK);
	seal_at = 8 + 3 + 18 + 32;
	/* every truncation inside a record (at the boundary the key record alone is valid) */
	for (size_t n = 9; n < len; n++)
		assert_int_equal(spod_attest_user_data_parse(&ud, buf, n),
		                 n == seal_at ? SPOD_OK : SPOD_E_BAD_FIELD);
	/* records out of order or repeated: the seal record first, or twice */
	memcpy(bad, buf, 8);
	memcpy(bad + 8, buf + seal_at, 3 + SPOD_ATTEST_UD_SEAL_BYTES);
	memcpy(bad + 8 + 3 + SPOD_ATTEST_UD_SEAL_BYTES, buf + 8, seal_at - 8);
	assert_int_equal(spod_attest_user_data_parse(&ud, bad, len), SPOD_E_BAD_FIELD);
	memcpy(bad, buf, len);
	memcpy(bad + len, buf + seal_at, 3 + SPOD_ATTEST_UD_SEAL_BYTES);
	assert_int_equal(spod_attest_user_data_parse(&ud, bad, len + 3 + SPOD_ATTEST_UD_SEAL_BYTES),
	                 SPOD_E_BAD_FIELD);
	/* a seal record's reserved bytes, an unknown mode, present over the set */
	static const struct {
		size_t off;
		uint8_t val;
	} flips[] = {{5, 1}, {0, 3}, {1, 2}, {4, 1}};
	for (size_t i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
		memcpy(bad, buf, len);
		bad[seal_at + 3 + flips[i].off] = flips[i].val;
		assert_int_equal(spod_attest_user_data_parse(&ud, bad, len), SPOD_E_BAD_FIELD);
	}
	/* a later record type is skipped */
	memcpy(bad, buf, len);
	bad[len] = 9;
	bad[len + 1] = 2;
	bad[len + 2] = 0;
	bad[len + 3] = 0xaa;
	bad[len + 4] = 0xbb;
	assert_int_equal(spod_attest_user_data_parse(&ud, bad, len + 5), SPOD_OK);
	assert_true(ud.has_key && ud.has_seal);
}

/* A policy record after the seal record: read back; the wrong size, or before the seal. */
static void test_policy_record(void **state)
{
	static const uint8_t policy[32] = {0x90, 1}, admins[32] = {0xad, 2};
	struct spod_attest_seal seal = {2, 1, 2, 3, 2, {7}};
	struct spod_attest_user_data ud;
	uint8_t buf[SPOD_ATTEST_USER_DATA_MAX];
	size_t len, v1_len;

	(void)state;
	assert_int_equal(
	    spod_attest_user_data_encode(buf, sizeof(buf), &len, &seal, 1, kid, pub, 32), SPOD_OK);
	assert_int_equal(spod_attest_user_data_parse(&ud, buf, len), SPOD_OK);
	assert_false(ud.has_policy);
	assert_int_equal(spod_attest_user_data_add_policy(buf, sizeof(buf), &len, policy, admins),
	                 SPOD_OK);
	assert_int_equal(spod_attest_user_data_parse(&ud, buf, len), SPOD_OK);
	assert_true(ud.has_key && ud.has_seal && ud.has_policy);
	assert_memory_equal(ud.policy_hash, policy, 32);
	assert_memory_equal(ud.policy_admins, admins, 32);
	/* a short policy record */
	buf[len - 64 - 2] = 63;
	assert_int_equal(spod_attest_user_data_parse(&ud, buf, len - 1), SPOD_E_BAD_FIELD);
	buf[len - 64 - 2] = 64;
	/* cap too small; version 1 user_data takes no record */
	assert_int_equal(spod_attest_user_data_add_policy(buf, len + 66, &len, policy, admins),
	                 SPOD_E_TOO_LARGE);
	assert_int_equal(spod_attest_key_binding(buf, sizeof(buf), &v1_len, 1, kid, pub, 32),
	                 SPOD_OK);
	assert_int_equal(
	    spod_attest_user_data_add_policy(buf, sizeof(buf), &v1_len, policy, admins),
	    SPOD_E_BAD_ARG);
}

/* The evidence record: after seal and policy, or with the seal record alone; its size checked. */
static void test_evidence_record(void **state)
{
	static const uint8_t policy[32] = {0x90, 1}, admins[32] = {0xad, 2}, ev[32] = {0xe5, 3, 4};
	struct spod_attest_seal seal = {1, 1, 0, 0, 0, {9}};
	struct spod_attest_user_data ud;
	uint8_t buf[SPOD_ATTEST_USER_DATA_MAX];
	size_t len, v1_len;

	(void)state;
	/* seal only, then the evidence key */
	assert_int_equal(
	    spod_attest_user_data_encode(buf, sizeof(buf), &len, &seal, 0, NULL, NULL, 0), SPOD_OK);
	assert_int_equal(spod_attest_user_data_parse(&ud, buf, len), SPOD_OK);
	assert_null(ud.evidence_pub);
	assert_int_equal(spod_attest_user_data_add_evidence(buf, sizeof(buf), &len, ev), SPOD_OK);
	assert_int_equal(spod_attest_user_data_parse(&ud, buf, len), SPOD_OK);
	assert_true(ud.has_seal && !ud.has_key && !ud.has_policy);
	assert_non_null(ud.evidence_pub);
	assert_memory_equal(ud.evidence_pub, ev, 32);
	/* key, seal, policy, evidence */
	assert_int_equal(
	    spod_attest_user_data_encode(buf, sizeof(buf), &len, &seal, 1, kid, pub, 32), SPOD_OK);
	assert_int_equal(spod_attest_user_data_add_policy(buf, sizeof(buf), &len, policy, admins),
	                 SPOD_OK);
	assert_int_equal(spod_attest_user_data_add_evidence(buf, sizeof(buf), &len, ev), SPOD_OK);
	assert_int_equal(spod_attest_user_data_parse(&ud, buf, len), SPOD_OK);
	assert_true(ud.has_key && ud.has_seal && ud.has_policy);
	assert_memory_equal(ud.evidence_pub, ev, 32);
	/* the wrong length (31 bytes) is refused */
	buf[len - 32 - 2] = 31;
	assert_int_equal(spod_attest_user_data_parse(&ud, buf, len - 1), SPOD_E_BAD_FIELD);
	assert_null(ud.evidence_pub);
	buf[len - 32 - 2] = 32;
	/* a policy record after the evidence record is out of order */
	assert_int_equal(spod_attest_user_data_add_policy(buf, sizeof(buf), &len, policy, admins),
	                 SPOD_OK);
	assert_int_equal(spod_attest_user_data_parse(&ud, buf, len), SPOD_E_BAD_FIELD);
	/* cap too small; version 1 user_data takes no record */
	len -= 67;
	assert_int_equal(spod_attest_user_data_add_evidence(buf, len + 34, &len, ev),
	                 SPOD_E_TOO_LARGE);
	assert_int_equal(spod_attest_key_binding(buf, sizeof(buf), &v1_len, 1, kid, pub, 32),
	                 SPOD_OK);
	assert_int_equal(spod_attest_user_data_add_evidence(buf, sizeof(buf), &v1_len, ev),
	                 SPOD_E_BAD_ARG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_policy_record), cmocka_unit_test(test_evidence_record),
	    cmocka_unit_test(test_round_trip),    cmocka_unit_test(test_v1_and_foreign),
	    cmocka_unit_test(test_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
