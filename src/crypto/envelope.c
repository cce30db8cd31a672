/* Provisioning envelopes and the import payload (envelope.h). */
#include "crypto/envelope.h"

#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <sodium.h>
#include <string.h>

#include "common/bytes.h"
#include "crypto/secmem.h"

#define OFF_MAGIC     0
#define OFF_VERSION   4
#define OFF_PURPOSE   5
#define OFF_NONCE_LEN 6
#define OFF_SENDER    8
#define OFF_NONCE     40
#define OFF_DOC_NONCE 64
#define AEAD_NONCE    crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define KEY_BYTES     32u

static const uint8_t magic[4] = {'S', 'P', 'P', 'E'};
static const char salt[] = "spod provisioning v1";

_Static_assert(AEAD_NONCE == 24, "nonce");
_Static_assert(crypto_aead_xchacha20poly1305_ietf_ABYTES == SPOD_ENVELOPE_TAG_BYTES, "tag");
_Static_assert(crypto_scalarmult_BYTES == SPOD_X25519_BYTES, "x25519");

static int bad(struct spod_envelope_view *v, const char **why, const char *msg)
{
	memset(v, 0, sizeof(*v));
	*why = msg;
	return SPOD_E_BAD_FIELD;
}

int spod_envelope_parse(struct spod_envelope_view *v, const char **why, const uint8_t *buf,
                        size_t len)
{
	size_t nlen, ct;

	*why = NULL;
	if (len < SPOD_ENVELOPE_FIXED_BYTES)
		return bad(v, why, "provisioning envelope truncated");
	if (memcmp(buf + OFF_MAGIC, magic, sizeof(magic)) != 0)
		return bad(v, why, "not a provisioning envelope (bad magic)");
	if (buf[OFF_VERSION] != SPOD_ENVELOPE_VERSION)
		return bad(v, why, "provisioning envelope of an unknown version");
	if (buf[OFF_PURPOSE] != SPOD_PURPOSE_SHARE && buf[OFF_PURPOSE] != SPOD_PURPOSE_IMPORT)
		return bad(v, why, "provisioning envelope of an unknown purpose");
	nlen = spod_le16(buf + OFF_NONCE_LEN);
	if (nlen == 0 || nlen > SPOD_ENVELOPE_NONCE_MAX_BYTES)
		return bad(v, why, "provisioning envelope's attestation nonce length out of range");
	if (nlen > len - SPOD_ENVELOPE_FIXED_BYTES)
		return bad(v, why, "provisioning envelope truncated");
	ct = len - SPOD_ENVELOPE_FIXED_BYTES - nlen;
	if (ct <= SPOD_ENVELOPE_TAG_BYTES ||
	    ct > SPOD_ENVELOPE_PAYLOAD_MAX + SPOD_ENVELOPE_TAG_BYTES)
		return bad(v, why, "provisioning envelope's payload length out of range");
	*v = (struct spod_envelope_view){
	    .purpose = buf[OFF_PURPOSE],
	    .sender_pub = buf + OFF_SENDER,
	    .nonce = buf + OFF_NONCE,
	    .doc_nonce = buf + OFF_DOC_NONCE,
	    .doc_nonce_len = (uint32_t)nlen,
	    .ciphertext = buf + OFF_DOC_NONCE + nlen,
	    .ciphertext_len = (uint32_t)ct,
	    .bytes = buf,
	    .ad_len = (uint32_t)(OFF_DOC_NONCE + nlen),
	};
	return SPOD_OK;
}

/*
 * key = HKDF-SHA256(ikm = X25519(secret, peer), salt, info = purpose || enclave || sender).
 * An all-zero shared secret (a low-order peer point) is refused.
 */
static int derive(uint8_t key[KEY_BYTES], const uint8_t secret[SPOD_X25519_BYTES],
                  const uint8_t peer[SPOD_X25519_BYTES], uint8_t purpose,
                  const uint8_t enclave_pub[SPOD_X25519_BYTES],
                  const uint8_t sender_pub[SPOD_X25519_BYTES])
{
	uint8_t *shared = spod_secmem_alloc(SPOD_X25519_BYTES);
	uint8_t info[1 + 2 * SPOD_X25519_BYTES];
	EVP_KDF *kdf = NULL;
	EVP_KDF_CTX *ctx = NULL;
	OSSL_PARAM params[5];
	int rc = SPOD_E_CRYPTO;

	if (shared == NULL)
		return SPOD_E_NOMEM;
	if (crypto_scalarmult(shared, secret, peer) != 0) {
		rc = SPOD_E_BAD_KEY;
		goto out;
	}
	info[0] = purpose;
	memcpy(info + 1, enclave_pub, SPOD_X25519_BYTES);
	memcpy(info + 1 + SPOD_X25519_BYTES, sender_pub, SPOD_X25519_BYTES);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	params[1] =
	    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, shared, SPOD_X25519_BYTES);
	params[2] =
	    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, sizeof(salt) - 1);
	params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, sizeof(info));
	params[4] = OSSL_PARAM_construct_end();
	kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	ctx = kdf != NULL ? EVP_KDF_CTX_new(kdf) : NULL;
	if (ctx != NULL && EVP_KDF_derive(ctx, key, KEY_BYTES, params) == 1)
		rc = SPOD_OK;
out:
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	spod_secmem_free(shared);
	if (rc < 0)
		sodium_memzero(key, KEY_BYTES);
	return rc;
}

int spod_envelope_seal(uint8_t *out, size_t cap, size_t *out_len, uint8_t purpose,
                       const uint8_t enclave_pub[SPOD_X25519_BYTES], const uint8_t *doc_nonce,
                       size_t doc_nonce_len, const uint8_t *payload, size_t payload_len)
{
	size_t ad_len = OFF_DOC_NONCE + doc_nonce_len;
	uint8_t *secret = NULL, *key = NULL;
	int rc;

	*out_len = 0;
	if ((purpose != SPOD_PURPOSE_SHARE && purpose != SPOD_PURPOSE_IMPORT) ||
	    doc_nonce_len == 0 || doc_nonce_len > SPOD_ENVELOPE_NONCE_MAX_BYTES ||
	    payload_len == 0 || payload_len > SPOD_ENVELOPE_PAYLOAD_MAX)
		return SPOD_E_BAD_ARG;
	if (cap < ad_len + payload_len + SPOD_ENVELOPE_TAG_BYTES)
		return SPOD_E_TOO_LARGE;
	secret = spod_secmem_alloc(SPOD_X25519_BYTES);
	key = spod_secmem_alloc(KEY_BYTES);
	rc = secret != NULL && key != NULL ? SPOD_OK : SPOD_E_NOMEM;
	if (rc < 0)
		goto out;
	memcpy(out + OFF_MAGIC, magic, sizeof(magic));
	out[OFF_VERSION] = SPOD_ENVELOPE_VERSION;
	out[OFF_PURPOSE] = purpose;
	spod_put_le16(out + OFF_NONCE_LEN, (uint16_t)doc_nonce_len);
	randombytes_buf(secret, SPOD_X25519_BYTES);
	if (crypto_scalarmult_base(out + OFF_SENDER, secret) != 0) {
		rc = SPOD_E_CRYPTO;
		goto out;
	}
	randombytes_buf(out + OFF_NONCE, AEAD_NONCE);
	memcpy(out + OFF_DOC_NONCE, doc_nonce, doc_nonce_len);
	SPOD_GUARD(rc, derive(key, secret, enclave_pub, purpose, enclave_pub, out + OFF_SENDER));
	if (crypto_aead_xchacha20poly1305_ietf_encrypt(out + ad_len, NULL, payload, payload_len,
	                                               out, ad_len, NULL, out + OFF_NONCE,
	                                               key) != 0) {
		rc = SPOD_E_CRYPTO;
		goto out;
	}
	*out_len = ad_len + payload_len + SPOD_ENVELOPE_TAG_BYTES;
out:
	spod_secmem_free(secret);
	spod_secmem_free(key);
	return rc;
}

int spod_envelope_open(uint8_t *payload, size_t cap, size_t *payload_len, const char **why,
                       const struct spod_envelope_view *v,
                       const uint8_t enclave_secret[SPOD_X25519_BYTES],
                       const uint8_t enclave_pub[SPOD_X25519_BYTES])
{
	size_t len = v->ciphertext_len - SPOD_ENVELOPE_TAG_BYTES;
	uint8_t *key = NULL;
	int rc;

	*payload_len = 0;
	*why = NULL;
	if (len > cap) {
		*why = "provisioning payload larger than expected";
		return SPOD_E_BAD_FIELD;
	}
	key = spod_secmem_alloc(KEY_BYTES);
	if (key == NULL)
		return SPOD_E_NOMEM;
	rc = derive(key, enclave_secret, v->sender_pub, v->purpose, enclave_pub, v->sender_pub);
	if (rc == SPOD_E_BAD_KEY) {
		*why = "provisioning envelope's sender key is a low-order point";
		rc = SPOD_E_BAD_FIELD;
	}
	if (rc == SPOD_OK && crypto_aead_xchacha20poly1305_ietf_decrypt(
	                         payload, NULL, NULL, v->ciphertext, v->ciphertext_len, v->bytes,
	                         v->ad_len, v->nonce, key) != 0) {
		*why = "provisioning envelope does not open: made for another enclave or boot, "
		       "or altered on the way";
		rc = SPOD_E_BAD_FIELD;
	}
	spod_secmem_free(key);
	if (rc < 0) {
		sodium_memzero(payload, len);
		return rc;
	}
	*payload_len = len;
	return SPOD_OK;
}

int spod_import_payload_encode(uint8_t out[SPOD_IMPORT_PAYLOAD_MAX], size_t *out_len, uint8_t alg,
                               const uint8_t secret[32], const char *label, size_t label_len)
{
	*out_len = 0;
	if (!spod_alg_valid(alg) ||
	    (label_len > 0 && (label == NULL || !spod_label_valid(label, label_len))))
		return SPOD_E_BAD_ARG;
	out[0] = 1;
	out[1] = alg;
	out[2] = (uint8_t)label_len;
	out[3] = 0;
	memcpy(out + 4, secret, 32);
	if (label_len > 0)
		memcpy(out + SPOD_IMPORT_PAYLOAD_FIXED, label, label_len);
	*out_len = SPOD_IMPORT_PAYLOAD_FIXED + label_len;
	return SPOD_OK;
}

int spod_import_payload_parse(struct spod_import_view *v, const char **why, const uint8_t *buf,
                              size_t len)
{
	memset(v, 0, sizeof(*v));
	*why = "import payload malformed";
	if (len < SPOD_IMPORT_PAYLOAD_FIXED || buf[0] != 1 || buf[3] != 0)
		return SPOD_E_BAD_FIELD;
	if (len != SPOD_IMPORT_PAYLOAD_FIXED + (size_t)buf[2]) {
		*why = "import payload's length does not match its label length";
		return SPOD_E_BAD_FIELD;
	}
	if (!spod_alg_valid(buf[1])) {
		*why = "import payload names an unknown algorithm";
		return SPOD_E_UNKNOWN_ALG;
	}
	if (buf[2] > 0 &&
	    !spod_label_valid((const char *)buf + SPOD_IMPORT_PAYLOAD_FIXED, buf[2])) {
		*why = "import payload's label is not a valid label";
		return SPOD_E_BAD_FIELD;
	}
	*why = NULL;
	v->alg = buf[1];
	v->secret = buf + 4;
	v->label = buf[2] ? (const char *)buf + SPOD_IMPORT_PAYLOAD_FIXED : NULL;
	v->label_len = buf[2];
	return SPOD_OK;
}
