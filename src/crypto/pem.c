/* SubjectPublicKeyInfo PEM text of a public key, through OpenSSL's encoder. */
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "crypto/backend.h"

int spod_pub_to_pem(char *out, size_t out_cap, uint8_t alg, const uint8_t *pub, size_t pub_len)
{
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	char *text;
	long text_len;
	int rc = SPOD_E_BAD_KEY;

	if (out_cap > 0)
		out[0] = '\0';
	if (!spod_alg_valid(alg))
		return SPOD_E_UNKNOWN_ALG;
	if (pub_len != spod_alg_pub_len(alg))
		return SPOD_E_BAD_KEY;

	switch (alg) {
	case SPOD_ALG_ED25519:
		pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, pub_len);
		if (pkey == NULL)
			goto out;
		break;
	case SPOD_ALG_SECP256K1:
		SPOD_GUARD(rc, spod_ossl_ec_public(&pkey, "secp256k1", pub));
		break;
	default:
		SPOD_GUARD(rc, spod_ossl_ec_public(&pkey, "prime256v1", pub));
		break;
	}

	rc = SPOD_E_CRYPTO;
	bio = BIO_new(BIO_s_mem());
	if (bio == NULL || !PEM_write_bio_PUBKEY(bio, pkey))
		goto out;
	text_len = BIO_get_mem_data(bio, &text);
	if (text_len <= 0)
		goto out;
	if ((size_t)text_len >= out_cap) {
		rc = SPOD_E_TOO_LARGE;
		goto out;
	}
	memcpy(out, text, (size_t)text_len);
	out[text_len] = '\0';
	rc = SPOD_OK;
out:
	BIO_free(bio);
	EVP_PKEY_free(pkey);
	if (rc < 0)
		ERR_clear_error();
	return rc;
}
