/*
 * ES384 over the COSE Sig_structure, through OpenSSL's EVP digest-sign/verify interface.
 * The Sig_structure is never assembled in memory: its CBOR heads and the two byte strings
 * are fed to the digest in order, so the signed bytes are exactly the protected header and
 * payload as they appear in the document.
 */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "attest/cbor.h"
#include "attest/cose.h"
#include "spod/err.h"

#define SIG1_CONTEXT "Signature1"
/* Longest DER ECDSA-Sig-Value for P-384: SEQUENCE (3) of two INTEGERs of 2 + 49 bytes. */
#define ES384_DER_MAX_BYTES 105u

/* Feeds Sig_structure ["Signature1", protected, h'', payload] to an initialised md ctx. */
static int sig_structure_update(EVP_MD_CTX *md, const uint8_t *protected_hdr, size_t protected_len,
                                const uint8_t *payload, size_t payload_len)
{
	uint8_t head[SPOD_CBOR_HEAD_MAX_BYTES];
	size_t n;

	n = spod_cbor_head(head, SPOD_CBOR_MT_ARRAY, 4);
	if (EVP_DigestUpdate(md, head, n) <= 0)
		return SPOD_E_CRYPTO;
	n = spod_cbor_head(head, SPOD_CBOR_MT_TSTR, sizeof SIG1_CONTEXT - 1);
	if (EVP_DigestUpdate(md, head, n) <= 0 ||
	    EVP_DigestUpdate(md, SIG1_CONTEXT, sizeof SIG1_CONTEXT - 1) <= 0)
		return SPOD_E_CRYPTO;
	n = spod_cbor_head(head, SPOD_CBOR_MT_BSTR, protected_len);
	if (EVP_DigestUpdate(md, head, n) <= 0 ||
	    EVP_DigestUpdate(md, protected_hdr, protected_len) <= 0)
		return SPOD_E_CRYPTO;
	n = spod_cbor_head(head, SPOD_CBOR_MT_BSTR, 0); /* external_aad = h'' */
	if (EVP_DigestUpdate(md, head, n) <= 0)
		return SPOD_E_CRYPTO;
	n = spod_cbor_head(head, SPOD_CBOR_MT_BSTR, payload_len);
	if (EVP_DigestUpdate(md, head, n) <= 0 ||
	    (payload_len > 0 && EVP_DigestUpdate(md, payload, payload_len) <= 0))
		return SPOD_E_CRYPTO;
	return SPOD_OK;
}

int spod_cose_is_p384(EVP_PKEY *key)
{
	char group[32];
	size_t glen = 0;

	if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC)
		return 0;
	if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
	                                    &glen)) {
		ERR_clear_error();
		return 0;
	}
	return strcmp(group, "secp384r1") == 0;
}

/* Raw r || s to DER; der has room for ES384_DER_MAX_BYTES. */
static int raw_to_der(uint8_t *der, size_t *der_len, const uint8_t raw[SPOD_COSE_ES384_SIG_BYTES])
{
	ECDSA_SIG *sig = NULL;
	BIGNUM *r = NULL;
	BIGNUM *s = NULL;
	unsigned char *p = der;
	int n;
	int rc = SPOD_E_CRYPTO;

	sig = ECDSA_SIG_new();
	r = BN_bin2bn(raw, SPOD_COSE_ES384_SCALAR_BYTES, NULL);
	s = BN_bin2bn(raw + SPOD_COSE_ES384_SCALAR_BYTES, SPOD_COSE_ES384_SCALAR_BYTES, NULL);
	if (sig == NULL || r == NULL || s == NULL || !ECDSA_SIG_set0(sig, r, s))
		goto out;
	r = NULL; /* owned by sig now */
	s = NULL;
	n = i2d_ECDSA_SIG(sig, NULL);
	if (n <= 0 || (size_t)n > ES384_DER_MAX_BYTES)
		goto out;
	if (i2d_ECDSA_SIG(sig, &p) != n)
		goto out;
	*der_len = (size_t)n;
	rc = SPOD_OK;
out:
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(sig);
	return rc;
}

/* DER to raw r || s; fails when r or s does not fit 48 bytes. */
static int der_to_raw(uint8_t raw[SPOD_COSE_ES384_SIG_BYTES], const uint8_t *der, size_t der_len)
{
	const unsigned char *p = der;
	const BIGNUM *r;
	const BIGNUM *s;
	ECDSA_SIG *sig;
	int rc = SPOD_E_CRYPTO;

	sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	if (sig == NULL)
		return SPOD_E_CRYPTO;
	ECDSA_SIG_get0(sig, &r, &s);
	if (BN_bn2binpad(r, raw, SPOD_COSE_ES384_SCALAR_BYTES) < 0 ||
	    BN_bn2binpad(s, raw + SPOD_COSE_ES384_SCALAR_BYTES, SPOD_COSE_ES384_SCALAR_BYTES) < 0)
		goto out;
	rc = SPOD_OK;
out:
	ECDSA_SIG_free(sig);
	return rc;
}

int spod_cose_es384_verify(EVP_PKEY *pub, const uint8_t *protected_hdr, size_t protected_len,
                           const uint8_t *payload, size_t payload_len,
                           const uint8_t sig[SPOD_COSE_ES384_SIG_BYTES])
{
	uint8_t der[ES384_DER_MAX_BYTES];
	size_t der_len = 0;
	EVP_MD_CTX *md = NULL;
	int ok;
	int rc;

	if (!spod_cose_is_p384(pub))
		return SPOD_E_BAD_SIGNATURE;
	SPOD_GUARD(rc, raw_to_der(der, &der_len, sig));
	rc = SPOD_E_CRYPTO;
	md = EVP_MD_CTX_new();
	if (md == NULL || EVP_DigestVerifyInit(md, NULL, EVP_sha384(), NULL, pub) <= 0)
		goto out;
	SPOD_GUARD(rc,
	           sig_structure_update(md, protected_hdr, protected_len, payload, payload_len));
	ok = EVP_DigestVerifyFinal(md, der, der_len);
	rc = ok == 1 ? SPOD_OK : ok == 0 ? SPOD_E_BAD_SIGNATURE : SPOD_E_CRYPTO;
	/* A malformed signature (r or s zero or >= n) is a rejection, not a library fault. */
	if (rc == SPOD_E_CRYPTO)
		rc = SPOD_E_BAD_SIGNATURE;
out:
	EVP_MD_CTX_free(md);
	ERR_clear_error();
	return rc;
}

int spod_cose_es384_sign(uint8_t sig[SPOD_COSE_ES384_SIG_BYTES], EVP_PKEY *key,
                         const uint8_t *protected_hdr, size_t protected_len, const uint8_t *payload,
                         size_t payload_len)
{
	uint8_t der[ES384_DER_MAX_BYTES];
	size_t der_len = sizeof der;
	EVP_MD_CTX *md = NULL;
	int rc = SPOD_E_CRYPTO;

	if (!spod_cose_is_p384(key))
		return SPOD_E_BAD_ARG;
	md = EVP_MD_CTX_new();
	if (md == NULL || EVP_DigestSignInit(md, NULL, EVP_sha384(), NULL, key) <= 0)
		goto out;
	SPOD_GUARD(rc,
	           sig_structure_update(md, protected_hdr, protected_len, payload, payload_len));
	rc = SPOD_E_CRYPTO;
	if (EVP_DigestSignFinal(md, der, &der_len) <= 0)
		goto out;
	SPOD_GUARD(rc, der_to_raw(sig, der, der_len));
out:
	EVP_MD_CTX_free(md);
	if (rc < 0)
		ERR_clear_error();
	return rc;
}

int spod_cose_sign1_es384(uint8_t *out, size_t cap, size_t *out_len, const uint8_t *payload,
                          size_t payload_len, EVP_PKEY *key)
{
	uint8_t sig[SPOD_COSE_ES384_SIG_BYTES];
	struct spod_cbor_writer w;

	SPOD_TRY(spod_cose_es384_sign(sig, key, (const uint8_t *)SPOD_COSE_PROTECTED_ES384,
	                              SPOD_COSE_PROTECTED_ES384_BYTES, payload, payload_len));
	spod_cbor_writer_init(&w, out, cap);
	SPOD_TRY(spod_cbor_put_head(&w, SPOD_CBOR_MT_ARRAY, 4));
	SPOD_TRY(spod_cbor_put_str(&w, SPOD_CBOR_MT_BSTR, SPOD_COSE_PROTECTED_ES384,
	                           SPOD_COSE_PROTECTED_ES384_BYTES));
	SPOD_TRY(spod_cbor_put_head(&w, SPOD_CBOR_MT_MAP, 0)); /* unprotected = {} */
	SPOD_TRY(spod_cbor_put_str(&w, SPOD_CBOR_MT_BSTR, payload, payload_len));
	SPOD_TRY(spod_cbor_put_str(&w, SPOD_CBOR_MT_BSTR, sig, sizeof sig));
	*out_len = w.len;
	return SPOD_OK;
}
