/*
 * Sealed key blobs (seal.h). The AEAD is libsodium's XChaCha20-Poly1305-IETF: a random
 * 24-byte nonce per blob needs no counter, which an enclave without storage cannot keep.
 */
#include "crypto/seal.h"

#include <sodium.h>
#include <string.h>

#include "common/bytes.h"

#define OFF_MAGIC     0
#define OFF_VERSION   4
#define OFF_ALG       5
#define OFF_PUB_LEN   6
#define OFF_LABEL_LEN 7
#define OFF_KEY_ID    8
#define OFF_SEAL_ID   24
#define OFF_NONCE     40
#define OFF_PUB       SPOD_SEAL_FIXED_BYTES
#define SECRET_BYTES  32u
/* version 2 */
#define OFF_POLICY_LEN 64
#define OFF_STATE_LEN  68
#define OFF_ADMIN_HASH 72
#define OFF_PUB_V2     SPOD_SEAL_V2_FIXED_BYTES

static const uint8_t magic[4] = {'S', 'P', 'S', 'B'};

_Static_assert(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES == 24, "nonce size");
_Static_assert(crypto_aead_xchacha20poly1305_ietf_ABYTES + SECRET_BYTES == SPOD_SEAL_CT_BYTES,
               "ciphertext size");
_Static_assert(crypto_aead_xchacha20poly1305_ietf_KEYBYTES == SPOD_SEAL_KEY_BYTES, "key size");

static int refuse(struct spod_blob_view *v, const char **why, const char *msg)
{
	memset(v, 0, sizeof(*v));
	*why = msg;
	return SPOD_E_BAD_BLOB;
}

int spod_blob_parse(struct spod_blob_view *v, const char **why, const uint8_t *blob, size_t len)
{
	size_t pub_len, label_len, policy_len = 0, state_len = 0, fixed = SPOD_SEAL_FIXED_BYTES;
	size_t want;
	uint8_t version;

	*why = NULL;
	if (len < SPOD_SEAL_FIXED_BYTES)
		return refuse(v, why, "sealed blob truncated");
	if (memcmp(blob + OFF_MAGIC, magic, sizeof(magic)) != 0)
		return refuse(v, why, "not a sealed key blob (bad magic)");
	version = blob[OFF_VERSION];
	if (version != SPOD_SEAL_VERSION && version != SPOD_SEAL_VERSION_POLICY)
		return refuse(v, why, "sealed blob of an unknown format version");
	if (!spod_alg_valid(blob[OFF_ALG]))
		return refuse(v, why, "sealed blob names an unknown algorithm");
	pub_len = blob[OFF_PUB_LEN];
	label_len = blob[OFF_LABEL_LEN];
	if (pub_len != spod_alg_pub_len(blob[OFF_ALG]))
		return refuse(v, why, "sealed blob's public key length does not fit its algorithm");
	if (label_len > SPOD_SEAL_LABEL_MAX_BYTES)
		return refuse(v, why, "sealed blob's label is too long");
	if (version == SPOD_SEAL_VERSION_POLICY) {
		fixed = SPOD_SEAL_V2_FIXED_BYTES;
		if (len < fixed)
			return refuse(v, why, "sealed blob truncated");
		policy_len = spod_le32(blob + OFF_POLICY_LEN);
		if (policy_len == 0 || policy_len > SPOD_SEAL_POLICY_MAX_BYTES)
			return refuse(v, why, "sealed blob's policy length is out of range");
		state_len = spod_le32(blob + OFF_STATE_LEN);
		if (state_len > SPOD_SEAL_STATE_MAX_BYTES)
			return refuse(v, why, "sealed blob's policy state length is out of range");
	}
	want = fixed + pub_len + label_len + policy_len + state_len + SPOD_SEAL_CT_BYTES;
	if (len != want)
		return refuse(v, why,
		              len < want ? "sealed blob truncated"
		                         : "sealed blob has trailing bytes");
	if (label_len > 0 && !spod_label_valid((const char *)blob + fixed + pub_len, label_len))
		return refuse(v, why, "sealed blob's label has characters outside the label set");
	*v = (struct spod_blob_view){
	    .alg = blob[OFF_ALG],
	    .key_id = blob + OFF_KEY_ID,
	    .seal_key_id = blob + OFF_SEAL_ID,
	    .pub = blob + fixed,
	    .pub_len = (uint32_t)pub_len,
	    .label = label_len ? (const char *)blob + fixed + pub_len : NULL,
	    .label_len = (uint32_t)label_len,
	    .nonce = blob + OFF_NONCE,
	    .ciphertext = blob + fixed + pub_len + label_len + policy_len + state_len,
	    .blob = blob,
	    .ad_len = (uint32_t)(fixed + pub_len + label_len + policy_len + state_len),
	    .version = version,
	    .policy = policy_len ? blob + fixed + pub_len + label_len : NULL,
	    .policy_len = (uint32_t)policy_len,
	    .admin_hash = policy_len ? blob + OFF_ADMIN_HASH : NULL,
	    .state = state_len ? blob + fixed + pub_len + label_len + policy_len : NULL,
	    .state_len = (uint32_t)state_len,
	};
	return SPOD_OK;
}

int spod_seal_with_policy(uint8_t *out, size_t cap, size_t *out_len,
                          const uint8_t seal_key[SPOD_SEAL_KEY_BYTES],
                          const uint8_t seal_key_id[SPOD_SEAL_KEY_ID_BYTES],
                          const struct spod_secret_key *sk, const uint8_t key_id[SPOD_KEY_ID_BYTES],
                          const uint8_t *pub, size_t pub_len, const char *label, size_t label_len,
                          const struct spod_seal_policy *pol)
{
	static const struct spod_seal_policy none;
	size_t policy_len, state_len;
	size_t fixed, ad_len;
	unsigned long long ct_len = 0;

	if (pol == NULL)
		pol = &none; /* no policy: a version 1 blob */
	policy_len = pol->len;
	state_len = policy_len > 0 ? pol->state_len : 0;
	fixed = policy_len > 0 ? SPOD_SEAL_V2_FIXED_BYTES : SPOD_SEAL_FIXED_BYTES;
	ad_len = fixed + pub_len + label_len + policy_len + state_len;

	*out_len = 0;
	if (!spod_alg_valid(sk->alg) || pub_len != spod_alg_pub_len(sk->alg) ||
	    label_len > SPOD_SEAL_LABEL_MAX_BYTES ||
	    (label_len > 0 && (label == NULL || !spod_label_valid(label, label_len))) ||
	    policy_len > SPOD_SEAL_POLICY_MAX_BYTES ||
	    (policy_len > 0 && (pol->cbor == NULL || pol->admin_hash == NULL)) ||
	    state_len > SPOD_SEAL_STATE_MAX_BYTES || (state_len > 0 && pol->state == NULL))
		return SPOD_E_BAD_ARG;
	if (cap < ad_len + SPOD_SEAL_CT_BYTES)
		return SPOD_E_TOO_LARGE;
	memcpy(out + OFF_MAGIC, magic, sizeof(magic));
	out[OFF_VERSION] = policy_len > 0 ? SPOD_SEAL_VERSION_POLICY : SPOD_SEAL_VERSION;
	out[OFF_ALG] = sk->alg;
	out[OFF_PUB_LEN] = (uint8_t)pub_len;
	out[OFF_LABEL_LEN] = (uint8_t)label_len;
	memcpy(out + OFF_KEY_ID, key_id, SPOD_KEY_ID_BYTES);
	memcpy(out + OFF_SEAL_ID, seal_key_id, SPOD_SEAL_KEY_ID_BYTES);
	randombytes_buf(out + OFF_NONCE, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
	if (policy_len > 0) {
		spod_put_le32(out + OFF_POLICY_LEN, (uint32_t)policy_len);
		spod_put_le32(out + OFF_STATE_LEN, (uint32_t)state_len);
		memcpy(out + OFF_ADMIN_HASH, pol->admin_hash, 32);
	}
	memcpy(out + fixed, pub, pub_len);
	if (label_len > 0)
		memcpy(out + fixed + pub_len, label, label_len);
	if (policy_len > 0)
		memcpy(out + fixed + pub_len + label_len, pol->cbor, policy_len);
	if (state_len > 0)
		memcpy(out + fixed + pub_len + label_len + policy_len, pol->state, state_len);
	/* The secret goes straight from the key (locked memory) into the ciphertext. */
	if (crypto_aead_xchacha20poly1305_ietf_encrypt(out + ad_len, &ct_len, sk->secret,
	                                               SECRET_BYTES, out, ad_len, NULL,
	                                               out + OFF_NONCE, seal_key) != 0 ||
	    ct_len != SPOD_SEAL_CT_BYTES) {
		sodium_memzero(out, ad_len + SPOD_SEAL_CT_BYTES);
		return SPOD_E_CRYPTO;
	}
	*out_len = ad_len + SPOD_SEAL_CT_BYTES;
	return SPOD_OK;
}

int spod_seal(uint8_t *out, size_t cap, size_t *out_len,
              const uint8_t seal_key[SPOD_SEAL_KEY_BYTES],
              const uint8_t seal_key_id[SPOD_SEAL_KEY_ID_BYTES], const struct spod_secret_key *sk,
              const uint8_t key_id[SPOD_KEY_ID_BYTES], const uint8_t *pub, size_t pub_len,
              const char *label, size_t label_len)
{
	return spod_seal_with_policy(out, cap, out_len, seal_key, seal_key_id, sk, key_id, pub,
	                             pub_len, label, label_len, NULL);
}

int spod_blob_open(uint8_t secret[32], const char **why, const struct spod_blob_view *v,
                   const uint8_t seal_key[SPOD_SEAL_KEY_BYTES],
                   const uint8_t seal_key_id[SPOD_SEAL_KEY_ID_BYTES])
{
	*why = NULL;
	if (sodium_memcmp(v->seal_key_id, seal_key_id, SPOD_SEAL_KEY_ID_BYTES) != 0) {
		*why = "sealed under another seal key";
		return SPOD_E_WRONG_SEAL_KEY;
	}
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(secret, NULL, NULL, v->ciphertext,
	                                               SPOD_SEAL_CT_BYTES, v->blob, v->ad_len,
	                                               v->nonce, seal_key) != 0) {
		sodium_memzero(secret, SECRET_BYTES);
		*why = "sealed blob does not authenticate: tampered, truncated or another key's";
		return SPOD_E_BAD_BLOB;
	}
	return SPOD_OK;
}

int spod_unseal(struct spod_secret_key *sk, const char **why, const struct spod_blob_view *v,
                const uint8_t seal_key[SPOD_SEAL_KEY_BYTES],
                const uint8_t seal_key_id[SPOD_SEAL_KEY_ID_BYTES])
{
	uint8_t pub[SPOD_PUB_MAX_BYTES];
	size_t pub_len = 0;

	/* Decrypted into the key's own (locked) memory, then made a key in place. */
	SPOD_TRY(spod_blob_open(sk->secret, why, v, seal_key, seal_key_id));
	if (spod_key_load(sk, pub, &pub_len, v->alg) < 0) {
		*why = "sealed secret is not a valid key";
		return SPOD_E_BAD_BLOB;
	}
	if (pub_len != v->pub_len || sodium_memcmp(pub, v->pub, pub_len) != 0) {
		spod_key_wipe(sk);
		*why = "sealed secret does not give the blob's public key";
		return SPOD_E_BAD_BLOB;
	}
	return SPOD_OK;
}
