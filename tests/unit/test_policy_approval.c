/*
 * `spod policy approve` (src/cli/approval_file.c): admin keys read from PEM, approvals made
 * with them and checked by the enclave's own code (spod_approvals_check), the text form.
 * The keys are RFC 8032's test vectors 1 and 2; the expected approval was made with OpenSSL
 * (`openssl pkeyutl -sign -rawin`) over the message laid out by hand, so the signed bytes are
 * checked independently of spod_approval_msg.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cli/approval_file.h"
#include "common/hex.h"
#include "convert/policy_json.h"
#include "crypto/hash.h"
#include "crypto/sign.h"
#include "policy/approval.h"
#include "policy/policy.h"
#include "spod/err.h"

/* RFC 8032 7.1 TEST 1 and TEST 2 as PKCS#8 PEM. */
static const char pem1[] = "-----BEGIN PRIVATE KEY-----\n"
                           "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
                           "-----END PRIVATE KEY-----\n";
static const char pem2[] = "-----BEGIN PRIVATE KEY-----\n"
                           "MC4CAQAwBQYDK2VwBCIEIEzNCJso/5banbbDRuwRTg9bijGfNaumJNqM9u1PuKb7\n"
                           "-----END PRIVATE KEY-----\n";
#define PUB1_HEX "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
#define PUB2_HEX "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"
/* A P-256 key: not an admin key. */
static const char pem_p256[] = "-----BEGIN PRIVATE KEY-----\n"
                               "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgsop4AO4hzGqpX73F\n"
                               "b7ZWsfmSh6pRgfn/rWj+C1WqBw+hRANCAAS8dYFn/U02eJASqBJ2sFwVxYHu3B+3\n"
                               "dLx0pQxra7EW8Bt9M7TzyzLZAs5Nl5JxEtAVq6Ufy2eCKRlsJ1NryJMj\n"
                               "-----END PRIVATE KEY-----\n";

static const uint8_t key_id[SPOD_KEY_ID_BYTES] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                                                  0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
/* Key 1's approval of removing key_id's policy (the SHA-256 of the empty string), by OpenSSL. */
static const char removal1[] =
    PUB1_HEX "eab15053e52da0a4ddf18219f7a69582fd684af5f56cd95bdf51dcc4a50fb428"
             "96b5da7579cf1a1d29e0ebd2dd327181c6537ac728d54eb8d0166fca49d6a10b";

static const char policy_json[] =
    "{\"version\": 1, \"rules\": [{\"id\": \"small\", \"effect\": \"allow\", "
    "\"chain\": \"ethereum\", \"kinds\": [\"transaction\"], \"max_value\": \"1000\"}]}";

static int setup(void **state)
{
	(void)state;
	return spod_crypto_init(0) == SPOD_OK ? 0 : -1;
}

static void load(struct spod_keyfile_secret *kf, const char *pem)
{
	const char *why = NULL;

	assert_int_equal(spod_admin_key_parse(kf, (const uint8_t *)pem, strlen(pem), &why),
	                 SPOD_OK);
	assert_null(why);
}

static void hex(uint8_t *out, size_t n, const char *text)
{
	assert_int_equal(spod_hex_decode_exact(out, n, text, strlen(text)), SPOD_OK);
}

static void test_admin_key(void **state)
{
	struct spod_keyfile_secret kf = {0};
	uint8_t pub[32];
	const char *why = NULL;

	(void)state;
	load(&kf, pem1);
	hex(pub, sizeof(pub), PUB1_HEX);
	assert_int_equal(kf.alg, SPOD_ALG_ED25519);
	assert_int_equal(kf.pub_len, 32);
	assert_memory_equal(kf.pub, pub, 32);
	spod_keyfile_free(&kf);
	assert_null(kf.secret);

	/* another algorithm, and what is not PEM at all */
	assert_int_not_equal(
	    spod_admin_key_parse(&kf, (const uint8_t *)pem_p256, strlen(pem_p256), &why), SPOD_OK);
	assert_non_null(why);
	assert_null(kf.secret);
	assert_int_not_equal(
	    spod_admin_key_parse(&kf, (const uint8_t *)PUB1_HEX, strlen(PUB1_HEX), &why), SPOD_OK);
	assert_null(kf.secret);
}

/* The approval of a removal is OpenSSL's signature over the message laid out by hand. */
static void test_known_approval(void **state)
{
	struct spod_keyfile_secret kf = {0};
	uint8_t hash[32], a[SPOD_APPROVAL_BYTES], want[SPOD_APPROVAL_BYTES];
	char text[SPOD_APPROVAL_TEXT_CHARS + 1];

	(void)state;
	load(&kf, pem1);
	spod_sha256(hash, (const uint8_t *)"", 0);
	assert_int_equal(spod_approval_make(a, &kf, key_id, hash), SPOD_OK);
	spod_keyfile_free(&kf);
	hex(want, sizeof(want), removal1);
	assert_memory_equal(a, want, sizeof(want));
	spod_approval_text(text, a);
	assert_string_equal(text, removal1);
}

/* An approval of a converted policy passes the enclave's check, and only for that policy. */
static void test_check(void **state)
{
	static uint8_t cbor[SPOD_POLICY_MAX_BYTES];
	struct spod_keyfile_secret k1 = {0}, k2 = {0};
	uint8_t hash[32], other_hash[32], other_id[SPOD_KEY_ID_BYTES];
	uint8_t a[2 * SPOD_APPROVAL_BYTES], dup[2 * SPOD_APPROVAL_BYTES], bad[SPOD_APPROVAL_BYTES];
	uint8_t keys[64];
	char err[SPOD_POLICY_JSON_ERR_BYTES];
	const char *why = NULL;
	size_t len;

	(void)state;
	assert_int_equal(spod_policy_from_json(cbor, sizeof(cbor), &len, policy_json,
	                                       strlen(policy_json), err, sizeof(err)),
	                 SPOD_OK);
	spod_sha256(hash, cbor, len);
	load(&k1, pem1);
	load(&k2, pem2);
	memcpy(keys, k1.pub, 32);
	memcpy(keys + 32, k2.pub, 32);
	assert_int_equal(spod_approval_make(a, &k1, key_id, hash), SPOD_OK);
	assert_int_equal(spod_approval_make(a + SPOD_APPROVAL_BYTES, &k2, key_id, hash), SPOD_OK);

	/* 1 of 1, 2 of 2, and 2 of 2 with one approval given twice */
	assert_int_equal(spod_approvals_check(1, 1, keys, key_id, hash, a, 1, &why), SPOD_OK);
	assert_int_equal(spod_approvals_check(2, 2, keys, key_id, hash, a, 2, &why), SPOD_OK);
	assert_int_equal(spod_approvals_check(2, 2, keys, key_id, hash, a, 1, &why),
	                 SPOD_E_NOT_APPROVED);
	memcpy(dup, a, SPOD_APPROVAL_BYTES);
	memcpy(dup + SPOD_APPROVAL_BYTES, a, SPOD_APPROVAL_BYTES);
	assert_int_equal(spod_approvals_check(2, 2, keys, key_id, hash, dup, 2, &why),
	                 SPOD_E_NOT_APPROVED);

	/* every flipped bit of the signature, or of the public key, is refused */
	for (size_t bit = 0; bit < 8 * SPOD_APPROVAL_BYTES; bit++) {
		memcpy(bad, a, sizeof(bad));
		bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_int_equal(spod_approvals_check(1, 2, keys, key_id, hash, bad, 1, &why),
		                 SPOD_E_NOT_APPROVED);
	}
	/* another key id, another policy, another admin set */
	memcpy(other_id, key_id, sizeof(other_id));
	other_id[15] ^= 1;
	assert_int_equal(spod_approvals_check(1, 1, keys, other_id, hash, a, 1, &why),
	                 SPOD_E_NOT_APPROVED);
	memcpy(other_hash, hash, sizeof(other_hash));
	other_hash[0] ^= 0x80;
	assert_int_equal(spod_approvals_check(1, 1, keys, key_id, other_hash, a, 1, &why),
	                 SPOD_E_NOT_APPROVED);
	spod_sha256(other_hash, (const uint8_t *)"", 0); /* a removal */
	assert_int_equal(spod_approvals_check(1, 1, keys, key_id, other_hash, a, 1, &why),
	                 SPOD_E_NOT_APPROVED);
	assert_int_equal(spod_approvals_check(1, 1, keys + 32, key_id, hash, a, 1, &why),
	                 SPOD_E_NOT_APPROVED);
	spod_keyfile_free(&k1);
	spod_keyfile_free(&k2);

	/* a key that is not Ed25519 makes nothing */
	assert_int_equal(spod_approval_make(bad, &k1, key_id, hash), SPOD_E_BAD_ARG);
}

static int parse(const char *text)
{
	uint8_t a[SPOD_APPROVAL_BYTES];
	int rc = spod_approval_parse(a, text, strlen(text));

	if (rc == SPOD_OK) {
		uint8_t want[SPOD_APPROVAL_BYTES];
		hex(want, sizeof(want), removal1);
		assert_memory_equal(a, want, sizeof(want));
	}
	return rc;
}

static void test_text(void **state)
{
	char buf[2 * SPOD_APPROVAL_TEXT_CHARS];

	(void)state;
	assert_int_equal(parse(removal1), SPOD_OK);
	snprintf(buf, sizeof(buf), "%s\n", removal1);
	assert_int_equal(parse(buf), SPOD_OK);
	snprintf(buf, sizeof(buf), "%s\r\n", removal1);
	assert_int_equal(parse(buf), SPOD_OK);
	/* one newline only, nothing else after, nothing before, exactly 192 digits */
	snprintf(buf, sizeof(buf), "%s\n\n", removal1);
	assert_int_equal(parse(buf), SPOD_E_BAD_ARG);
	snprintf(buf, sizeof(buf), "%s ", removal1);
	assert_int_equal(parse(buf), SPOD_E_BAD_ARG);
	snprintf(buf, sizeof(buf), " %s", removal1);
	assert_int_equal(parse(buf), SPOD_E_BAD_ARG);
	snprintf(buf, sizeof(buf), "0x%s", removal1);
	assert_int_equal(parse(buf), SPOD_E_BAD_ARG);
	snprintf(buf, sizeof(buf), "%.190s", removal1);
	assert_int_equal(parse(buf), SPOD_E_BAD_ARG);
	snprintf(buf, sizeof(buf), "%s00", removal1);
	assert_int_equal(parse(buf), SPOD_E_BAD_ARG);
	snprintf(buf, sizeof(buf), "%s", removal1);
	buf[100] = 'g';
	assert_int_equal(parse(buf), SPOD_E_BAD_ARG);
	assert_int_equal(parse(""), SPOD_E_BAD_ARG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_admin_key),
	    cmocka_unit_test(test_known_approval),
	    cmocka_unit_test(test_check),
	    cmocka_unit_test(test_text),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
