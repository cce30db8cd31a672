/*
 * Sealed key blobs (src/crypto/seal.c) and provisioning envelopes (src/crypto/envelope.c):
 * round trips for every algorithm, and every way a hostile host could alter, swap, truncate
 * or replay them is refused with the right code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "crypto/envelope.h"
#include "crypto/seal.h"
#include "crypto/secmem.h"
#include "crypto/sign.h"
#include "spod/err.h"

static const uint8_t seal_key[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                                     17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31};
static const uint8_t seal_id[16] = {0xa5, 0x5a};
static const uint8_t key_id[16] = {0x10, 0x20, 0x30};

static int setup(void **state)
{
	(void)state;
	return spod_crypto_init(1u << 16) == SPOD_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	spod_crypto_cleanup();
	return 0;
}

struct sealed {
	struct spod_secret_key *sk;
	uint8_t pub[SPOD_PUB_MAX_BYTES];
	size_t pub_len;
	uint8_t blob[SPOD_SEAL_MAX_BYTES];
	size_t len;
};

static void make(struct sealed *s, uint8_t alg, const char *label)
{
	s->sk = spod_secmem_alloc(sizeof(*s->sk));
	assert_non_null(s->sk);
	assert_int_equal(spod_key_generate(s->sk, s->pub, &s->pub_len, alg), SPOD_OK);
	assert_int_equal(spod_seal(s->blob, sizeof(s->blob), &s->len, seal_key, seal_id, s->sk,
	                           key_id, s->pub, s->pub_len, label, label ? strlen(label) : 0),
	                 SPOD_OK);
}

static void done(struct sealed *s)
{
	spod_key_wipe(s->sk);
	spod_secmem_free(s->sk);
}

/* Opens blob[0..len): the code, and the key's public key when it opened. */
static int open_blob(const uint8_t *blob, size_t len, const uint8_t *key, const uint8_t *id)
{
	struct spod_secret_key *sk = spod_secmem_alloc(sizeof(*sk));
	struct spod_blob_view v;
	const char *why;
	int rc;

	assert_non_null(sk);
	rc = spod_blob_parse(&v, &why, blob, len);
	if (rc == SPOD_OK) {
		rc = spod_unseal(sk, &why, &v, key, id);
		if (rc < 0)
			assert_non_null(why);
	}
	spod_key_wipe(sk);
	spod_secmem_free(sk);
	return rc;
}

static void test_round_trip(void **state)
{
	static const uint8_t algs[] = {SPOD_ALG_ED25519, SPOD_ALG_SECP256K1, SPOD_ALG_P256};
	uint8_t sig[64], recid;
	size_t sig_len;

	(void)state;
	for (size_t i = 0; i < sizeof(algs); i++) {
		struct sealed s;
		struct spod_blob_view v;
		struct spod_secret_key *back = spod_secmem_alloc(sizeof(*back));
		const char *why;
		uint8_t data[32] = {7};
		uint8_t mode = algs[i] == SPOD_ALG_ED25519 ? SPOD_MODE_RAW : SPOD_MODE_DIGEST;

		make(&s, algs[i], i == 1 ? "hot-wallet" : NULL);
		assert_int_equal(s.len, SPOD_SEAL_FIXED_BYTES + s.pub_len + (i == 1 ? 10 : 0) +
		                            SPOD_SEAL_CT_BYTES);
		assert_int_equal(spod_blob_parse(&v, &why, s.blob, s.len), SPOD_OK);
		assert_int_equal(v.alg, algs[i]);
		assert_memory_equal(v.key_id, key_id, 16);
		assert_memory_equal(v.seal_key_id, seal_id, 16);
		assert_memory_equal(v.pub, s.pub, s.pub_len);
		assert_int_equal(v.label_len, i == 1 ? 10 : 0);
		/* the secret is not in the blob in the clear */
		assert_null(memmem(s.blob, s.len, s.sk->secret, 32));
		assert_int_equal(spod_unseal(back, &why, &v, seal_key, seal_id), SPOD_OK);
		assert_int_equal(back->alg, algs[i]);
		assert_int_equal(spod_sign(sig, &sig_len, &recid, back, mode, data, sizeof(data)),
		                 SPOD_OK);
		assert_int_equal(
		    spod_verify(algs[i], s.pub, s.pub_len, mode, data, sizeof(data), sig, sig_len),
		    SPOD_OK);
		spod_key_wipe(back);
		spod_secmem_free(back);
		done(&s);
	}
}

/* Every single-bit change anywhere in a blob is refused. */
static void test_every_bit(void **state)
{
	struct sealed s;

	(void)state;
	make(&s, SPOD_ALG_SECP256K1, "x");
	for (size_t i = 0; i < s.len; i++)
		for (int b = 0; b < 8; b++) {
			int rc;

			s.blob[i] ^= (uint8_t)(1u << b);
			rc = open_blob(s.blob, s.len, seal_key, seal_id);
			s.blob[i] ^= (uint8_t)(1u << b);
			/* a flipped seal key id is reported as another seal key's blob */
			if (i >= 24 && i < 40)
				assert_int_equal(rc, SPOD_E_WRONG_SEAL_KEY);
			else
				assert_int_equal(rc, SPOD_E_BAD_BLOB);
		}
	assert_int_equal(open_blob(s.blob, s.len, seal_key, seal_id), SPOD_OK);
	done(&s);
}

/*
 * Version 2 binds a policy and an admin set hash: both readable, every single-bit change of
 * the blob refused (the policy's bytes included), a policy length that does not match the
 * blob's length or is zero refused before anything is opened.
 */
static void test_policy_blob(void **state)
{
	static const uint8_t policy[] = {0xa2, 0x01, 0x01, 0x02, 0x80, 0x42, 0x43};
	static const uint8_t admins[32] = {0xad, 0x31};
	const struct spod_seal_policy pol = {policy, sizeof(policy), admins, NULL, 0};
	static uint8_t blob[SPOD_SEAL_V2_MAX_BYTES];
	struct spod_blob_view v;
	struct sealed s;
	const char *why;
	size_t len;

	(void)state;
	make(&s, SPOD_ALG_ED25519, "p");
	assert_int_equal(spod_seal_with_policy(blob, sizeof(blob), &len, seal_key, seal_id, s.sk,
	                                       key_id, s.pub, s.pub_len, "p", 1, &pol),
	                 SPOD_OK);
	assert_int_equal(len,
	                 SPOD_SEAL_V2_FIXED_BYTES + 32 + 1 + sizeof(policy) + SPOD_SEAL_CT_BYTES);
	assert_int_equal(spod_blob_parse(&v, &why, blob, len), SPOD_OK);
	assert_int_equal(v.version, 2);
	assert_int_equal(v.policy_len, sizeof(policy));
	assert_memory_equal(v.policy, policy, sizeof(policy));
	assert_memory_equal(v.admin_hash, admins, 32);
	assert_memory_equal(v.pub, s.pub, 32);
	assert_int_equal(open_blob(blob, len, seal_key, seal_id), SPOD_OK);
	for (size_t i = 0; i < len; i++) {
		int rc;

		blob[i] ^= 0x10;
		rc = open_blob(blob, len, seal_key, seal_id);
		blob[i] ^= 0x10;
		assert_int_equal(rc, i >= 24 && i < 40 ? SPOD_E_WRONG_SEAL_KEY : SPOD_E_BAD_BLOB);
	}
	/* the policy length must account for the blob exactly, and be at least 1 */
	blob[64] = sizeof(policy) + 1;
	assert_int_equal(spod_blob_parse(&v, &why, blob, len), SPOD_E_BAD_BLOB);
	assert_string_equal(why, "sealed blob truncated");
	blob[64] = 0;
	assert_int_equal(spod_blob_parse(&v, &why, blob, len), SPOD_E_BAD_BLOB);
	assert_string_equal(why, "sealed blob's policy length is out of range");
	blob[64] = sizeof(policy);
	assert_int_equal(spod_blob_parse(&v, &why, blob, len + 1), SPOD_E_BAD_BLOB);
	/* no policy: a version 1 blob, as spod_seal makes */
	assert_int_equal(spod_seal_with_policy(blob, sizeof(blob), &len, seal_key, seal_id, s.sk,
	                                       key_id, s.pub, s.pub_len, NULL, 0, NULL),
	                 SPOD_OK);
	assert_int_equal(blob[4], 1);
	assert_int_equal(len, SPOD_SEAL_FIXED_BYTES + 32 + SPOD_SEAL_CT_BYTES);
	done(&s);
}

static void test_refusals(void **state)
{
	struct sealed a, b;
	uint8_t other_key[32] = {9}, other_id[16] = {9};
	uint8_t buf[SPOD_SEAL_MAX_BYTES + 1];
	size_t out_len;

	(void)state;
	make(&a, SPOD_ALG_ED25519, "a");
	make(&b, SPOD_ALG_ED25519, "b");
	/* truncated at every length, one byte more */
	for (size_t n = 0; n < a.len; n++)
		assert_int_equal(open_blob(a.blob, n, seal_key, seal_id), SPOD_E_BAD_BLOB);
	memcpy(buf, a.blob, a.len);
	buf[a.len] = 0;
	assert_int_equal(open_blob(buf, a.len + 1, seal_key, seal_id), SPOD_E_BAD_BLOB);
	/* another seal key: by its id, or the right id with the wrong key */
	assert_int_equal(open_blob(a.blob, a.len, other_key, other_id), SPOD_E_WRONG_SEAL_KEY);
	assert_int_equal(open_blob(a.blob, a.len, other_key, seal_id), SPOD_E_BAD_BLOB);
	/* b's ciphertext under a's header (a swap by the host) */
	memcpy(buf, a.blob, a.len);
	memcpy(buf + a.len - SPOD_SEAL_CT_BYTES, b.blob + b.len - SPOD_SEAL_CT_BYTES,
	       SPOD_SEAL_CT_BYTES);
	assert_int_equal(open_blob(buf, a.len, seal_key, seal_id), SPOD_E_BAD_BLOB);
	/* a label outside the charset, even when authenticated */
	assert_int_equal(spod_seal(buf, sizeof(buf), &out_len, seal_key, seal_id, a.sk, key_id,
	                           a.pub, a.pub_len, "no space", 8),
	                 SPOD_E_BAD_ARG);
	assert_int_equal(spod_seal(buf, a.len - 1, &out_len, seal_key, seal_id, a.sk, key_id, a.pub,
	                           a.pub_len, "a", 1),
	                 SPOD_E_TOO_LARGE);
	done(&a);
	done(&b);
}

/* ---- envelopes ---- */

struct box {
	uint8_t pub[32], *secret;
};

static void box_new(struct box *b)
{
	b->secret = spod_secmem_alloc(32);
	assert_non_null(b->secret);
	assert_int_equal(spod_x25519_keypair(b->pub, b->secret), SPOD_OK);
}

static int env_open(const uint8_t *env, size_t len, const struct box *b, uint8_t *out,
                    size_t *out_len)
{
	struct spod_envelope_view v;
	const char *why;
	int rc = spod_envelope_parse(&v, &why, env, len);

	if (rc == SPOD_OK)
		rc = spod_envelope_open(out, SPOD_ENVELOPE_PAYLOAD_MAX, out_len, &why, &v,
		                        b->secret, b->pub);
	return rc;
}

static void test_envelope(void **state)
{
	static const uint8_t nonce[] = "attestation nonce";
	uint8_t payload[100], env[SPOD_ENVELOPE_MAX_BYTES], out[SPOD_ENVELOPE_PAYLOAD_MAX];
	size_t len, out_len;
	struct box enclave, other;

	(void)state;
	box_new(&enclave);
	box_new(&other);
	randombytes_buf(payload, sizeof(payload));
	assert_int_equal(spod_envelope_seal(env, sizeof(env), &len, SPOD_PURPOSE_SHARE, enclave.pub,
	                                    nonce, sizeof(nonce), payload, sizeof(payload)),
	                 SPOD_OK);
	assert_int_equal(len, SPOD_ENVELOPE_FIXED_BYTES + sizeof(nonce) + sizeof(payload) + 16);
	assert_null(memmem(env, len, payload, 16));
	assert_int_equal(env_open(env, len, &enclave, out, &out_len), SPOD_OK);
	assert_int_equal(out_len, sizeof(payload));
	assert_memory_equal(out, payload, sizeof(payload));
	/* another enclave (or boot) cannot open it */
	assert_int_equal(env_open(env, len, &other, out, &out_len), SPOD_E_BAD_FIELD);
	/* purpose, nonce, sender key, ciphertext: every byte is bound */
	for (size_t i = 0; i < len; i++) {
		int rc;

		env[i] ^= 0x01;
		rc = env_open(env, len, &enclave, out, &out_len);
		env[i] ^= 0x01;
		assert_int_not_equal(rc, SPOD_OK);
	}
	for (size_t n = 0; n < len; n++)
		assert_int_not_equal(env_open(env, n, &enclave, out, &out_len), SPOD_OK);
	/* limits */
	assert_int_equal(
	    spod_envelope_seal(env, sizeof(env), &len, 3, enclave.pub, nonce, 1, payload, 1),
	    SPOD_E_BAD_ARG);
	assert_int_equal(spod_envelope_seal(env, sizeof(env), &len, SPOD_PURPOSE_IMPORT,
	                                    enclave.pub, nonce, 0, payload, 1),
	                 SPOD_E_BAD_ARG);
	assert_int_equal(spod_envelope_seal(env, 70, &len, SPOD_PURPOSE_IMPORT, enclave.pub, nonce,
	                                    1, payload, 10),
	                 SPOD_E_TOO_LARGE);
	/* a low-order point as the enclave key */
	memset(other.pub, 0, 32);
	assert_int_equal(spod_envelope_seal(env, sizeof(env), &len, SPOD_PURPOSE_IMPORT, other.pub,
	                                    nonce, 1, payload, 10),
	                 SPOD_E_BAD_KEY);
	spod_secmem_free(enclave.secret);
	spod_secmem_free(other.secret);
}

static void test_import_payload(void **state)
{
	uint8_t buf[SPOD_IMPORT_PAYLOAD_MAX], secret[32] = {1};
	struct spod_import_view v;
	const char *why;
	size_t len;

	(void)state;
	assert_int_equal(spod_import_payload_encode(buf, &len, SPOD_ALG_P256, secret, "lbl", 3),
	                 SPOD_OK);
	assert_int_equal(spod_import_payload_parse(&v, &why, buf, len), SPOD_OK);
	assert_int_equal(v.alg, SPOD_ALG_P256);
	assert_memory_equal(v.secret, secret, 32);
	assert_int_equal(v.label_len, 3);
	assert_int_equal(spod_import_payload_parse(&v, &why, buf, len - 1), SPOD_E_BAD_FIELD);
	buf[1] = 9;
	assert_int_equal(spod_import_payload_parse(&v, &why, buf, len), SPOD_E_UNKNOWN_ALG);
	assert_int_equal(spod_import_payload_encode(buf, &len, SPOD_ALG_P256, secret, "a b", 3),
	                 SPOD_E_BAD_ARG);
}

/*
 * Blobs and envelopes written by tests/fuzz/make_seal_corpus.py, an independent Python
 * implementation of both formats (python3-cryptography, pycryptodome), open here.
 */
static int read_seed(const char *name, uint8_t *buf, size_t cap, size_t *len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/seal/%s", SPOD_FUZZ_CORPUS, name);
	f = fopen(path, "rb");
	if (f == NULL)
		return -1;
	*len = fread(buf, 1, cap, f);
	fclose(f);
	return 0;
}

static void test_python_seeds(void **state)
{
	static const uint8_t py_seal_key[32] = {0x5e, 0xa1, 0x5e, 0xa1, 1,  2,  3,  4,  5,  6,  7,
	                                        8,    9,    10,   11,   12, 13, 14, 15, 16, 17, 18,
	                                        19,   20,   21,   22,   23, 24, 25, 26, 27, 28};
	static const uint8_t py_enclave_secret[32] = {0xe4, 0xc1, 0xa7, 0xe0, 9, 9, 9, 9, 9, 9,   9,
	                                              9,    9,    9,    9,    9, 9, 9, 9, 9, 9,   9,
	                                              9,    9,    9,    9,    9, 9, 9, 9, 9, 0x40};
	static const char *const names[] = {"blob_1",       "blob_2",         "blob_3",
	                                    "blob_2_label", "env_import_1",   "env_import_2",
	                                    "env_import_3", "env_long_nonce", "blob_2_policy"};
	uint8_t buf[SPOD_ENVELOPE_MAX_BYTES + 1], id[SPOD_SEAL_KEY_ID_BYTES], pub[32];
	uint8_t *secret = spod_secmem_alloc(32), *payload = spod_secmem_alloc(4096);
	struct spod_envelope_view ev;
	struct spod_import_view iv;
	size_t len = 0, plen;
	const char *why;

	(void)state;
	memcpy(secret, py_enclave_secret, 32);
	assert_int_equal(crypto_scalarmult_base(pub, secret), 0);
	spod_seal_key_id(id, py_seal_key);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_int_equal(read_seed(names[i], buf, sizeof(buf), &len), 0);
		if (names[i][0] == 'b') {
			assert_int_equal(open_blob(buf + 1, len - 1, py_seal_key, id), SPOD_OK);
			continue;
		}
		assert_int_equal(spod_envelope_parse(&ev, &why, buf + 1, len - 1), SPOD_OK);
		assert_int_equal(spod_envelope_open(payload, 4096, &plen, &why, &ev, secret, pub),
		                 SPOD_OK);
		assert_int_equal(spod_import_payload_parse(&iv, &why, payload, plen), SPOD_OK);
	}
	spod_secmem_free(secret);
	spod_secmem_free(payload);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),   cmocka_unit_test(test_every_bit),
	    cmocka_unit_test(test_policy_blob),  cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_envelope),     cmocka_unit_test(test_import_payload),
	    cmocka_unit_test(test_python_seeds),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
