/*
 * The algorithm-independent half of signing: library set-up, the key life cycle, sign
 * modes and message digests, and Ed25519, which libsodium does in one call (RFC 8032).
 * The two ECDSA curves live in secp256k1.c and p256.c behind backend.h.
 */
#include "crypto/sign.h"

#include <assert.h>
#include <string.h>

#include <openssl/crypto.h>
#include <sodium.h>

#include "crypto/backend.h"
#include "crypto/hash.h"
#include "crypto/secmem.h"

/* Smallest block OpenSSL's secure heap hands out. */
#define SECURE_HEAP_MIN_BYTES 32u
/*
 * A random 32-byte string is a valid P-256 scalar with probability about 1 - 2^-32
 * (secp256k1: 1 - 2^-128); this many misses in a row means a broken CSPRNG, not bad luck.
 */
#define KEYGEN_MAX_TRIES 16

_Static_assert(sizeof(((struct spod_secret_key *)0)->secret) == crypto_sign_SECRETKEYBYTES,
               "secret holds libsodium's Ed25519 seed||pk");
_Static_assert(SPOD_SIG_MAX_BYTES == crypto_sign_BYTES, "signatures are 64 bytes");

/* Stands in for a NULL message of length zero, so no library sees a NULL pointer. */
static const uint8_t empty_message[1];

int spod_crypto_init(size_t secure_heap_bytes)
{
	if (sodium_init() < 0)
		return SPOD_E_CRYPTO;
	SPOD_TRY(spod_k1_init());
	if (secure_heap_bytes > 0 && !CRYPTO_secure_malloc_initialized()) {
		/* OpenSSL aborts on a size that is not a power of two; refuse it instead. */
		if ((secure_heap_bytes & (secure_heap_bytes - 1)) != 0)
			return SPOD_E_BAD_ARG;
		if (CRYPTO_secure_malloc_init(secure_heap_bytes, SECURE_HEAP_MIN_BYTES) == 0)
			return SPOD_E_CRYPTO;
	}
	return SPOD_OK;
}

void spod_crypto_cleanup(void)
{
	spod_k1_cleanup();
	/* Keeps the heap (and returns 0) while anything still lives in it. */
	if (CRYPTO_secure_malloc_initialized())
		CRYPTO_secure_malloc_done();
}

void spod_random(uint8_t *buf, size_t len)
{
	randombytes_buf(buf, len);
}

static int ed25519_load(struct spod_secret_key *sk, uint8_t pub[crypto_sign_PUBLICKEYBYTES])
{
	uint8_t seed[crypto_sign_SEEDBYTES];
	int rc = SPOD_OK;

	/* libsodium writes seed||pk over sk->secret, so the seed must not alias it. */
	memcpy(seed, sk->secret, sizeof seed);
	if (crypto_sign_seed_keypair(pub, sk->secret, seed) != 0)
		rc = SPOD_E_CRYPTO;
	sodium_memzero(seed, sizeof seed);
	return rc;
}

/* Turns the 32 secret bytes in sk->secret into a key of sk->alg and writes its public key. */
static int key_load(struct spod_secret_key *sk, uint8_t pub[SPOD_PUB_MAX_BYTES], size_t *pub_len)
{
	int rc;

	switch (sk->alg) {
	case SPOD_ALG_ED25519:
		rc = ed25519_load(sk, pub);
		break;
	case SPOD_ALG_SECP256K1:
		rc = spod_k1_load(sk, pub);
		break;
	case SPOD_ALG_P256:
		rc = spod_p256_load(sk, pub);
		break;
	default:
		return SPOD_E_UNKNOWN_ALG;
	}
	if (rc == SPOD_OK)
		*pub_len = spod_alg_pub_len(sk->alg);
	return rc;
}

int spod_key_generate(struct spod_secret_key *sk, uint8_t pub[SPOD_PUB_MAX_BYTES], size_t *pub_len,
                      uint8_t alg)
{
	int rc = SPOD_E_CRYPTO;

	spod_secmem_wipe(sk, sizeof *sk);
	*pub_len = 0;
	if (!spod_alg_valid(alg))
		return SPOD_E_UNKNOWN_ALG;

	/* Every algorithm starts from 32 uniform bytes: a seed, or a scalar candidate. */
	sk->alg = alg;
	for (int i = 0; i < KEYGEN_MAX_TRIES; i++) {
		spod_random(sk->secret, SPOD_EC_SCALAR_BYTES);
		rc = key_load(sk, pub, pub_len);
		if (rc != SPOD_E_BAD_KEY)
			break;
	}
	if (rc < 0) {
		spod_key_wipe(sk);
		return rc == SPOD_E_BAD_KEY ? SPOD_E_CRYPTO : rc;
	}
	return SPOD_OK;
}

int spod_key_load(struct spod_secret_key *sk, uint8_t pub[SPOD_PUB_MAX_BYTES], size_t *pub_len,
                  uint8_t alg)
{
	int rc;

	*pub_len = 0;
	sk->ossl = NULL;
	sk->ossl_ctx = NULL;
	sk->ossl_ctxs = NULL;
	if (!spod_alg_valid(alg)) {
		spod_secmem_wipe(sk, sizeof *sk);
		return SPOD_E_UNKNOWN_ALG;
	}
	sk->alg = alg;
	rc = key_load(sk, pub, pub_len);
	if (rc < 0)
		spod_key_wipe(sk);
	return rc;
}

int spod_key_import(struct spod_secret_key *sk, uint8_t pub[SPOD_PUB_MAX_BYTES], size_t *pub_len,
                    uint8_t alg, const uint8_t *secret, size_t secret_len)
{
	int rc;

	spod_secmem_wipe(sk, sizeof *sk);
	*pub_len = 0;
	if (!spod_alg_valid(alg))
		return SPOD_E_UNKNOWN_ALG;
	if (secret_len != SPOD_EC_SCALAR_BYTES)
		return SPOD_E_BAD_KEY;

	sk->alg = alg;
	memcpy(sk->secret, secret, secret_len);
	rc = key_load(sk, pub, pub_len);
	if (rc < 0)
		spod_key_wipe(sk);
	return rc;
}

void spod_key_wipe(struct spod_secret_key *sk)
{
	if (sk->ossl != NULL || sk->ossl_ctx != NULL || sk->ossl_ctxs != NULL)
		spod_p256_release(sk);
	spod_secmem_wipe(sk, sizeof *sk);
}

/* The 32-byte value an ECDSA mode signs: the caller's digest, or a hash of the message. */
static int message_digest(uint8_t digest[SPOD_DIGEST_BYTES], uint8_t mode, const uint8_t *data,
                          size_t len)
{
	switch (mode) {
	case SPOD_MODE_DIGEST:
		if (len != SPOD_DIGEST_BYTES)
			return SPOD_E_BAD_DIGEST;
		memcpy(digest, data, SPOD_DIGEST_BYTES);
		return SPOD_OK;
	case SPOD_MODE_SHA256:
		spod_sha256(digest, data, len);
		return SPOD_OK;
	case SPOD_MODE_KECCAK256:
		spod_keccak256(digest, data, len);
		return SPOD_OK;
	default:
		return SPOD_E_BAD_MODE;
	}
}

int spod_sign(uint8_t sig[SPOD_SIG_MAX_BYTES], size_t *sig_len, uint8_t *recid,
              const struct spod_secret_key *sk, uint8_t mode, const uint8_t *data, size_t len)
{
	uint8_t digest[SPOD_DIGEST_BYTES];
	int rc;

	assert(data != NULL || len == 0);
	*sig_len = 0;
	*recid = SPOD_RECID_NONE;
	SPOD_TRY(spod_mode_check(sk->alg, mode));
	if (len == 0)
		data = empty_message;

	if (sk->alg == SPOD_ALG_ED25519) {
		if (crypto_sign_detached(sig, NULL, data, len, sk->secret) != 0)
			return SPOD_E_CRYPTO;
		*sig_len = crypto_sign_BYTES;
		return SPOD_OK;
	}

	SPOD_TRY(message_digest(digest, mode, data, len));
	if (sk->alg == SPOD_ALG_SECP256K1)
		rc = spod_k1_sign(sig, recid, sk, digest);
	else
		rc = spod_p256_sign(sig, sk, digest);
	if (rc < 0) {
		*recid = SPOD_RECID_NONE;
		return rc;
	}
	*sig_len = 64;
	return SPOD_OK;
}

int spod_verify(uint8_t alg, const uint8_t *pub, size_t pub_len, uint8_t mode, const uint8_t *data,
                size_t len, const uint8_t *sig, size_t sig_len)
{
	uint8_t digest[SPOD_DIGEST_BYTES];

	assert(data != NULL || len == 0);
	SPOD_TRY(spod_mode_check(alg, mode));
	if (pub == NULL || pub_len != spod_alg_pub_len(alg))
		return SPOD_E_BAD_KEY;
	if (sig == NULL || sig_len != 64)
		return SPOD_E_BAD_SIGNATURE;
	if (len == 0)
		data = empty_message;

	if (alg == SPOD_ALG_ED25519) {
		if (crypto_sign_verify_detached(sig, data, len, pub) != 0)
			return SPOD_E_BAD_SIGNATURE;
		return SPOD_OK;
	}

	SPOD_TRY(message_digest(digest, mode, data, len));
	if (alg == SPOD_ALG_SECP256K1)
		return spod_k1_verify(pub, digest, sig);
	return spod_p256_verify(pub, digest, sig);
}

int spod_verify_recid(const uint8_t *pub, size_t pub_len, uint8_t mode, const uint8_t *data,
                      size_t len, const uint8_t sig[64], uint8_t recid)
{
	uint8_t digest[SPOD_DIGEST_BYTES], recovered[SPOD_EC_PUB_BYTES];

	assert(data != NULL || len == 0);
	SPOD_TRY(spod_mode_check(SPOD_ALG_SECP256K1, mode));
	if (pub_len != SPOD_EC_PUB_BYTES || pub[0] != 0x04)
		return SPOD_E_BAD_KEY;
	if (len == 0)
		data = empty_message;
	SPOD_TRY(message_digest(digest, mode, data, len));
	SPOD_TRY(spod_secp256k1_recover(recovered, digest, sig, recid));
	/* Public values: no need for a constant-time comparison. */
	return memcmp(recovered, pub, SPOD_EC_PUB_BYTES) == 0 ? SPOD_OK : SPOD_E_BAD_SIGNATURE;
}

int spod_x25519_keypair(uint8_t pub[32], uint8_t secret[32])
{
	randombytes_buf(secret, 32);
	if (crypto_scalarmult_base(pub, secret) != 0) {
		sodium_memzero(secret, 32);
		return SPOD_E_CRYPTO;
	}
	return SPOD_OK;
}
