/*
 * P-256 (prime256v1) ECDSA through OpenSSL 3's EVP interface only; the deprecated EC_KEY
 * calls are not used. EC_GROUP/EC_POINT serve just to derive the public point on import,
 * which EVP_PKEY_fromdata in OpenSSL 3.0 does not do from a private scalar alone.
 *
 * Nonces: OpenSSL 3.0 cannot do RFC 6979 deterministic ECDSA (that arrived in 3.2), so
 * signatures use OpenSSL's default nonce, which it derives from SHA-512 over the private
 * key, the digest and fresh DRBG output (BN_generate_dsa_nonce), so a weak RNG alone does
 * not expose the key. P-256 signatures are therefore not reproducible; the tests check the
 * RFC 6979 vectors by verifying them.
 *
 * Each key caches its EVP_PKEY (private scalar in OpenSSL's secure heap when
 * spod_crypto_init set one up) and an EVP_PKEY_CTX already initialised for signing, so a
 * signature costs one EVP_PKEY_sign. That context is not safe for concurrent use: one key
 * is signed with by one thread at a time.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>

#include "crypto/backend.h"

#define P256_GROUP_NAME "prime256v1"
/* Longest DER ECDSA-Sig-Value for a 256-bit group: SEQUENCE of two 33-byte INTEGERs. */
#define P256_DER_SIG_MAX_BYTES 72u

int spod_ossl_ec_public(EVP_PKEY **out, const char *group, const uint8_t pub[SPOD_EC_PUB_BYTES])
{
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *ctx = NULL;
	int rc = SPOD_E_CRYPTO;

	*out = NULL;
	if (pub[0] != 0x04)
		return SPOD_E_BAD_KEY;
	/* OSSL_PARAM has no const variant; EVP_PKEY_fromdata only reads these. */
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)pub,
	                                              SPOD_EC_PUB_BYTES);
	params[2] = OSSL_PARAM_construct_end();

	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0)
		goto out;
	/* Decoding the point checks that it lies on the curve. */
	if (EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
		rc = SPOD_E_BAD_KEY;
		goto out;
	}
	rc = SPOD_OK;
out:
	EVP_PKEY_CTX_free(ctx);
	if (rc < 0)
		ERR_clear_error();
	return rc;
}

/* Computes pub = priv * G as an uncompressed point; priv must already be in [1, n). */
static int p256_public_point(uint8_t pub[SPOD_EC_PUB_BYTES], const EC_GROUP *group,
                             const BIGNUM *priv)
{
	EC_POINT *point = NULL;
	BN_CTX *bn_ctx = NULL;
	int rc = SPOD_E_CRYPTO;

	point = EC_POINT_new(group);
	bn_ctx = BN_CTX_secure_new();
	if (point == NULL || bn_ctx == NULL)
		goto out;
	if (!EC_POINT_mul(group, point, priv, NULL, NULL, bn_ctx))
		goto out;
	if (EC_POINT_point2oct(group, point, POINT_CONVERSION_UNCOMPRESSED, pub, SPOD_EC_PUB_BYTES,
	                       bn_ctx) != SPOD_EC_PUB_BYTES)
		goto out;
	rc = SPOD_OK;
out:
	BN_CTX_free(bn_ctx);
	EC_POINT_free(point);
	return rc;
}

int spod_p256_load(struct spod_secret_key *sk, uint8_t pub[SPOD_EC_PUB_BYTES])
{
	EC_GROUP *group = NULL;
	BIGNUM *priv = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *import_ctx = NULL;
	EVP_PKEY *pkey = NULL;
	EVP_PKEY_CTX *sign_ctx = NULL;
	int rc = SPOD_E_CRYPTO;

	group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	priv = BN_secure_new();
	if (group == NULL || priv == NULL)
		goto out;
	BN_set_flags(priv, BN_FLG_CONSTTIME);
	if (BN_bin2bn(sk->secret, SPOD_EC_SCALAR_BYTES, priv) == NULL)
		goto out;
	if (BN_is_zero(priv) || BN_cmp(priv, EC_GROUP_get0_order(group)) >= 0) {
		rc = SPOD_E_BAD_KEY;
		goto out;
	}
	SPOD_GUARD(rc, p256_public_point(pub, group, priv));
	rc = SPOD_E_CRYPTO;

	/* A secure BIGNUM makes the builder keep the scalar in secure memory too. */
	bld = OSSL_PARAM_BLD_new();
	if (bld == NULL ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, P256_GROUP_NAME, 0) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, SPOD_EC_PUB_BYTES))
		goto out;
	params = OSSL_PARAM_BLD_to_param(bld);
	import_ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (params == NULL || import_ctx == NULL || EVP_PKEY_fromdata_init(import_ctx) <= 0 ||
	    EVP_PKEY_fromdata(import_ctx, &pkey, EVP_PKEY_KEYPAIR, params) <= 0)
		goto out;

	sign_ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	if (sign_ctx == NULL || EVP_PKEY_sign_init(sign_ctx) <= 0)
		goto out;

	sk->ossl = pkey;
	sk->ossl_ctx = sign_ctx;
	pkey = NULL;
	sign_ctx = NULL;
	rc = SPOD_OK;
out:
	EVP_PKEY_CTX_free(sign_ctx);
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(import_ctx);
	OSSL_PARAM_free(params); /* clears the secure part holding the scalar */
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(priv);
	EC_GROUP_free(group);
	if (rc < 0)
		ERR_clear_error();
	return rc;
}

void spod_p256_release(struct spod_secret_key *sk)
{
	EVP_PKEY_CTX **ctxs = sk->ossl_ctxs;

	for (unsigned i = 0; ctxs != NULL && i < SPOD_CRYPTO_THREADS_MAX; i++)
		EVP_PKEY_CTX_free(ctxs[i]);
	free(ctxs);
	sk->ossl_ctxs = NULL;
	EVP_PKEY_CTX_free(sk->ossl_ctx);
	EVP_PKEY_free(sk->ossl);
	sk->ossl_ctx = NULL;
	sk->ossl = NULL;
}

/* 1 + this thread's index when it shares keys with other signing threads (sign.h), else 0. */
static _Thread_local unsigned p256_thread;

int spod_crypto_thread_shares_keys(unsigned index)
{
	if (index >= SPOD_CRYPTO_THREADS_MAX)
		return SPOD_E_BAD_ARG;
	p256_thread = index + 1;
	return SPOD_OK;
}

/*
 * The calling thread's own signing context for sk (p256_thread > 0), made on first use. The
 * key is logically const: the array of per-thread contexts is a cache, published once with a
 * compare-and-swap; each thread then touches only its own slot.
 */
static EVP_PKEY_CTX *p256_thread_ctx(const struct spod_secret_key *sk)
{
	void **cache = (void **)&((struct spod_secret_key *)sk)->ossl_ctxs;
	EVP_PKEY_CTX **ctxs = __atomic_load_n(cache, __ATOMIC_ACQUIRE), **mine;
	EVP_PKEY_CTX *ctx;

	if (ctxs == NULL) {
		mine = calloc(SPOD_CRYPTO_THREADS_MAX, sizeof(*mine));
		if (mine == NULL)
			return NULL;
		ctxs = NULL;
		if (__atomic_compare_exchange_n(cache, (void **)&ctxs, mine, 0, __ATOMIC_ACQ_REL,
		                                __ATOMIC_ACQUIRE))
			ctxs = mine;
		else
			free(mine); /* another thread published its array first: ctxs is that one */
	}
	ctx = ctxs[p256_thread - 1];
	if (ctx != NULL)
		return ctx;
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, sk->ossl, NULL);
	if (ctx == NULL || EVP_PKEY_sign_init(ctx) <= 0) {
		EVP_PKEY_CTX_free(ctx);
		return NULL;
	}
	ctxs[p256_thread - 1] = ctx;
	return ctx;
}

int spod_p256_sign(uint8_t sig[64], const struct spod_secret_key *sk,
                   const uint8_t digest[SPOD_DIGEST_BYTES])
{
	uint8_t der[P256_DER_SIG_MAX_BYTES];
	size_t der_len = sizeof der;
	const uint8_t *p = der;
	EVP_PKEY_CTX *ctx = p256_thread > 0 ? p256_thread_ctx(sk) : sk->ossl_ctx;
	ECDSA_SIG *es = NULL;
	const BIGNUM *r, *s;
	int rc = SPOD_E_CRYPTO;

	if (ctx == NULL || EVP_PKEY_sign(ctx, der, &der_len, digest, SPOD_DIGEST_BYTES) <= 0)
		goto out;
	es = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	if (es == NULL)
		goto out;
	ECDSA_SIG_get0(es, &r, &s);
	if (BN_bn2binpad(r, sig, 32) != 32 || BN_bn2binpad(s, sig + 32, 32) != 32)
		goto out;
	rc = SPOD_OK;
out:
	ECDSA_SIG_free(es);
	if (rc < 0)
		ERR_clear_error();
	return rc;
}

int spod_p256_verify(const uint8_t pub[SPOD_EC_PUB_BYTES], const uint8_t digest[SPOD_DIGEST_BYTES],
                     const uint8_t sig[64])
{
	uint8_t der[P256_DER_SIG_MAX_BYTES];
	uint8_t *p = der;
	int der_len;
	EVP_PKEY *pkey = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	ECDSA_SIG *es = NULL;
	BIGNUM *r = NULL, *s = NULL;
	int rc;

	SPOD_GUARD(rc, spod_ossl_ec_public(&pkey, P256_GROUP_NAME, pub));
	rc = SPOD_E_CRYPTO;

	es = ECDSA_SIG_new();
	r = BN_bin2bn(sig, 32, NULL);
	s = BN_bin2bn(sig + 32, 32, NULL);
	if (es == NULL || r == NULL || s == NULL || !ECDSA_SIG_set0(es, r, s))
		goto out;
	r = NULL; /* es owns them now */
	s = NULL;
	der_len = i2d_ECDSA_SIG(es, NULL);
	if (der_len <= 0 || (size_t)der_len > sizeof der || i2d_ECDSA_SIG(es, &p) != der_len)
		goto out;

	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	if (ctx == NULL || EVP_PKEY_verify_init(ctx) <= 0)
		goto out;
	/* 0 is a bad signature, < 0 one OpenSSL could not even parse (e.g. r = 0). */
	if (EVP_PKEY_verify(ctx, der, (size_t)der_len, digest, SPOD_DIGEST_BYTES) != 1) {
		rc = SPOD_E_BAD_SIGNATURE;
		goto out;
	}
	rc = SPOD_OK;
out:
	EVP_PKEY_CTX_free(ctx);
	ECDSA_SIG_free(es);
	BN_free(r);
	BN_free(s);
	EVP_PKEY_free(pkey);
	if (rc < 0)
		ERR_clear_error();
	return rc;
}
