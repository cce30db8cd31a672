/*
 * Ethereum keystore v3 files (the Web3 Secret Storage Definition, as geth, ethers and
 * web3.py write them):
 *
 *   DK  = scrypt(passphrase, salt, n, r, p, 32) or PBKDF2-HMAC-SHA256(passphrase, salt, c, 32)
 *   MAC = keccak256(DK[16..32] || ciphertext), compared in constant time before decrypting
 *   key = AES-128-CTR(DK[0..16], iv) applied to the 32-byte ciphertext
 *
 * Every field is checked and the derivation's cost bounded (keyfile.h) before the KDF runs.
 * The derived key, the MAC input and the plaintext live in locked memory; OpenSSL's KDF and
 * cipher contexts clear their copies of the passphrase and key when freed.
 */
#include <string.h>

#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "cli/keyfile_int.h"
#include "crypto/hash.h"
#include "crypto/secmem.h"

#define KS_VERSION         3
#define KS_DKLEN           32u
#define KS_CIPHER_KEY      16u /* AES-128: DK[0..16) */
#define KS_IV_BYTES        16u
#define KS_MAC_BYTES       32u
#define KS_SALT_MAX_BYTES  1024u
#define SCRYPT_BLOCK_BYTES UINT64_C(128) /* 128 r bytes per block (RFC 7914) */
#define SCRYPT_RP_MAX      (UINT64_C(1) << 30)

enum ks_kdf { KS_SCRYPT = 1, KS_PBKDF2 = 2 };

/* The public fields of a keystore, decoded and checked. */
struct keystore {
	enum ks_kdf kdf;
	uint64_t n, r, p; /* scrypt */
	uint64_t c;       /* pbkdf2 */
	uint8_t salt[KS_SALT_MAX_BYTES];
	size_t salt_len;
	uint8_t iv[KS_IV_BYTES];
	uint8_t ciphertext[SPOD_KEYFILE_SECRET_BYTES];
	uint8_t mac[KS_MAC_BYTES];
	int has_addr;
	uint8_t addr[KEYFILE_ETH_ADDRESS_BYTES];
};

/* Locked scratch: the derived key, then the MAC input DK[16..32) || ciphertext. */
struct ks_scratch {
	uint8_t dk[KS_DKLEN];
	uint8_t mac_in[KS_DKLEN - KS_CIPHER_KEY + SPOD_KEYFILE_SECRET_BYTES];
	uint8_t mac[KS_MAC_BYTES];
};

static const char malformed[] = "Ethereum keystore: malformed or missing field";

static int hex_member(uint8_t *out, size_t n, const json_t *obj, const char *key, const char **why)
{
	const json_t *v = json_object_get(obj, key);

	if (!json_is_string(v) ||
	    spod_keyfile_unhex(out, n, json_string_value(v), json_string_length(v)) < 0) {
		*why = malformed;
		return SPOD_E_BAD_KEY;
	}
	return SPOD_OK;
}

static int uint_member(uint64_t *out, const json_t *obj, const char *key, const char **why)
{
	const json_t *v = json_object_get(obj, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		*why = malformed;
		return SPOD_E_BAD_KEY;
	}
	*out = (uint64_t)json_integer_value(v);
	return SPOD_OK;
}

static int string_is(const json_t *obj, const char *key, const char *want)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_string(v) && strlen(want) == json_string_length(v) &&
	       memcmp(json_string_value(v), want, json_string_length(v)) == 0;
}

static int parse_kdf(struct keystore *ks, const json_t *crypto, const char **why)
{
	const json_t *params = json_object_get(crypto, "kdfparams");
	const json_t *salt = json_object_get(params, "salt");
	uint64_t dklen;

	if (!json_is_object(params) || !json_is_string(salt)) {
		*why = malformed;
		return SPOD_E_BAD_KEY;
	}
	if (string_is(crypto, "kdf", "scrypt")) {
		ks->kdf = KS_SCRYPT;
		SPOD_TRY(uint_member(&ks->n, params, "n", why));
		SPOD_TRY(uint_member(&ks->r, params, "r", why));
		SPOD_TRY(uint_member(&ks->p, params, "p", why));
	} else if (string_is(crypto, "kdf", "pbkdf2")) {
		ks->kdf = KS_PBKDF2;
		if (!string_is(params, "prf", "hmac-sha256")) {
			*why = "Ethereum keystore: PBKDF2 with a PRF other than hmac-sha256";
			return SPOD_E_UNKNOWN_ALG;
		}
		SPOD_TRY(uint_member(&ks->c, params, "c", why));
	} else {
		*why = "Ethereum keystore: KDF other than scrypt or pbkdf2";
		return SPOD_E_UNKNOWN_ALG;
	}
	SPOD_TRY(uint_member(&dklen, params, "dklen", why));
	if (dklen != KS_DKLEN) {
		*why = "Ethereum keystore: dklen is not 32";
		return SPOD_E_BAD_KEY;
	}
	ks->salt_len = json_string_length(salt) / 2;
	if (ks->salt_len == 0 || ks->salt_len > KS_SALT_MAX_BYTES) {
		*why = "Ethereum keystore: salt is not 1 to 1024 bytes of hex";
		return SPOD_E_BAD_KEY;
	}
	return hex_member(ks->salt, ks->salt_len, params, "salt", why);
}

/* The optional "address": 40 hex digits, with or without 0x. */
static int parse_address(struct keystore *ks, const json_t *root, const char **why)
{
	const json_t *v = json_object_get(root, "address");
	const char *text;
	size_t len;

	if (v == NULL)
		return SPOD_OK;
	if (!json_is_string(v)) {
		*why = "Ethereum keystore: address is not a string";
		return SPOD_E_BAD_KEY;
	}
	text = json_string_value(v);
	len = json_string_length(v);
	if (len >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
		text += 2;
		len -= 2;
	}
	if (spod_keyfile_unhex(ks->addr, sizeof ks->addr, text, len) < 0) {
		*why = "Ethereum keystore: address is not 40 hex digits";
		return SPOD_E_BAD_KEY;
	}
	ks->has_addr = 1;
	return SPOD_OK;
}

static int parse_keystore(struct keystore *ks, const json_t *root, const char **why)
{
	const json_t *crypto = json_object_get(root, "crypto");
	uint64_t version;

	/* geth reads "Crypto" too (Go matches JSON keys without case); some wallets write it. */
	if (crypto == NULL)
		crypto = json_object_get(root, "Crypto");
	if (uint_member(&version, root, "version", why) < 0 || version != KS_VERSION) {
		*why = "not an Ethereum keystore version 3 (\"version\": 3)";
		return SPOD_E_BAD_KEY;
	}
	if (!json_is_object(crypto) ||
	    (json_object_get(root, "crypto") != NULL && json_object_get(root, "Crypto") != NULL)) {
		*why = "Ethereum keystore: no single \"crypto\" object";
		return SPOD_E_BAD_KEY;
	}
	if (!string_is(crypto, "cipher", "aes-128-ctr")) {
		*why = "Ethereum keystore: cipher other than aes-128-ctr";
		return SPOD_E_UNKNOWN_ALG;
	}
	SPOD_TRY(
	    hex_member(ks->iv, sizeof ks->iv, json_object_get(crypto, "cipherparams"), "iv", why));
	if (hex_member(ks->ciphertext, sizeof ks->ciphertext, crypto, "ciphertext", why) < 0) {
		*why = "Ethereum keystore: ciphertext is not 64 hex digits (a 32-byte key)";
		return SPOD_E_BAD_KEY;
	}
	SPOD_TRY(hex_member(ks->mac, sizeof ks->mac, crypto, "mac", why));
	SPOD_TRY(parse_kdf(ks, crypto, why));
	return parse_address(ks, root, why);
}

static uint64_t cap(uint64_t given, uint64_t fixed)
{
	return given == 0 || given > fixed ? fixed : given;
}

static int check_scrypt(const struct keystore *ks, const struct spod_keyfile_limits *lim,
                        uint64_t *maxmem, const char **why)
{
	uint64_t max_n = cap(lim->scrypt_max_n, SPOD_KEYFILE_SCRYPT_MAX_N);
	uint64_t max_mem = cap(lim->scrypt_max_mem_bytes, SPOD_KEYFILE_SCRYPT_MAX_MEM_BYTES);
	uint64_t max_work = cap(lim->scrypt_max_work, SPOD_KEYFILE_SCRYPT_MAX_WORK);

	if (ks->n < 2 || (ks->n & (ks->n - 1)) != 0 || ks->r == 0 || ks->p == 0 ||
	    ks->r >= SCRYPT_RP_MAX || ks->p >= SCRYPT_RP_MAX || ks->r * ks->p >= SCRYPT_RP_MAX) {
		*why = "Ethereum keystore: scrypt parameters out of their domain (RFC 7914)";
		return SPOD_E_BAD_KEY;
	}
	/* RFC 7914 §2: n < 2^(128 r / 8). OpenSSL refuses the rest; say why. */
	if (ks->r < 4 && ks->n >= (UINT64_C(1) << (16 * ks->r))) {
		*why = "Ethereum keystore: scrypt n must be below 2^(16 r) (RFC 7914)";
		return SPOD_E_BAD_KEY;
	}
	if (ks->n > max_n || ks->r > max_mem / SCRYPT_BLOCK_BYTES / (ks->n + ks->p + 2) ||
	    ks->n > max_work / (ks->r * ks->p)) {
		*why = "Ethereum keystore: scrypt parameters ask for more memory or time than spod "
		       "allows (n <= 2^20, about 1 GiB, 4x geth's default work)";
		return SPOD_E_TOO_LARGE;
	}
	*maxmem = SCRYPT_BLOCK_BYTES * ks->r * (ks->n + ks->p + 2);
	return SPOD_OK;
}

static int check_pbkdf2(const struct keystore *ks, const struct spod_keyfile_limits *lim,
                        const char **why)
{
	if (ks->c == 0) {
		*why = "Ethereum keystore: PBKDF2 iteration count is zero";
		return SPOD_E_BAD_KEY;
	}
	if (ks->c > cap(lim->pbkdf2_max_iter, SPOD_KEYFILE_PBKDF2_MAX_ITER)) {
		*why = "Ethereum keystore: PBKDF2 iteration count over spod's limit (10 000 000)";
		return SPOD_E_TOO_LARGE;
	}
	return SPOD_OK;
}

/* DK from the passphrase; the parameters were checked before. */
static int derive_key(uint8_t dk[KS_DKLEN], const struct keystore *ks, uint64_t maxmem,
                      const uint8_t *pass, size_t pass_len)
{
	static const uint8_t empty[1];
	OSSL_PARAM params[7], *p = params;
	uint32_t r = (uint32_t)ks->r, par = (uint32_t)ks->p;
	uint64_t n = ks->n, iter = ks->c;
	int pkcs5 = 1; /* the keystore chooses its salt and count: no SP 800-132 floor */
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, ks->kdf == KS_SCRYPT ? "SCRYPT" : "PBKDF2", NULL);
	EVP_KDF_CTX *ctx = kdf != NULL ? EVP_KDF_CTX_new(kdf) : NULL;
	int rc = SPOD_E_CRYPTO;

	/* OSSL_PARAM has no const variant; the KDF copies these and only reads them. */
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD,
	                                         (void *)(pass != NULL ? pass : empty), pass_len);
	*p++ =
	    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)ks->salt, ks->salt_len);
	if (ks->kdf == KS_SCRYPT) {
		*p++ = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n);
		*p++ = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r);
		*p++ = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &par);
		*p++ = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem);
	} else {
		*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
		*p++ = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_ITER, &iter);
		*p++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_PKCS5, &pkcs5);
	}
	*p = OSSL_PARAM_construct_end();
	if (ctx != NULL && EVP_KDF_derive(ctx, dk, KS_DKLEN, params) == 1)
		rc = SPOD_OK;
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return rc;
}

/* secret = AES-128-CTR(DK[0..16), iv) over the ciphertext. */
static int decrypt_key(uint8_t *secret, const uint8_t dk[KS_DKLEN], const struct keystore *ks)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, tail = 0;
	int rc = SPOD_E_CRYPTO;

	if (ctx != NULL && EVP_DecryptInit_ex2(ctx, EVP_aes_128_ctr(), dk, ks->iv, NULL) == 1 &&
	    EVP_DecryptUpdate(ctx, secret, &n, ks->ciphertext, (int)sizeof ks->ciphertext) == 1 &&
	    EVP_DecryptFinal_ex(ctx, secret + n, &tail) == 1 &&
	    (size_t)(n + tail) == SPOD_KEYFILE_SECRET_BYTES)
		rc = SPOD_OK;
	EVP_CIPHER_CTX_free(ctx); /* cleanses the key schedule */
	return rc;
}

/* Derives DK, checks the MAC and decrypts into out->secret. */
static int open_keystore(uint8_t *secret, const struct keystore *ks,
                         const struct spod_keyfile_opts *opts, const char **why)
{
	static const struct spod_keyfile_limits defaults;
	const struct spod_keyfile_limits *lim = opts->limits != NULL ? opts->limits : &defaults;
	struct ks_scratch *s = NULL;
	uint64_t maxmem = 0;
	int rc;

	if (ks->kdf == KS_SCRYPT)
		SPOD_GUARD(rc, check_scrypt(ks, lim, &maxmem, why));
	else
		SPOD_GUARD(rc, check_pbkdf2(ks, lim, why));
	rc = SPOD_E_NOMEM;
	s = spod_secmem_alloc(sizeof *s);
	if (s == NULL)
		goto out;
	rc = derive_key(s->dk, ks, maxmem, opts->passphrase, opts->passphrase_len);
	if (rc < 0) {
		*why = "Ethereum keystore: key derivation failed";
		goto out;
	}
	memcpy(s->mac_in, s->dk + KS_CIPHER_KEY, KS_DKLEN - KS_CIPHER_KEY);
	memcpy(s->mac_in + KS_DKLEN - KS_CIPHER_KEY, ks->ciphertext, sizeof ks->ciphertext);
	spod_keccak256(s->mac, s->mac_in, sizeof s->mac_in);
	if (CRYPTO_memcmp(s->mac, ks->mac, KS_MAC_BYTES) != 0) {
		*why = "wrong passphrase or corrupted keystore (MAC mismatch)";
		rc = SPOD_E_BAD_SIGNATURE;
		goto out;
	}
	rc = decrypt_key(secret, s->dk, ks);
	if (rc < 0)
		*why = "Ethereum keystore: decryption failed";
out:
	spod_secmem_free(s); /* wipes */
	return rc;
}

int spod_keyfile_read_eth(struct spod_keyfile_secret *out, struct keyfile_claims *claims,
                          const uint8_t *data, size_t len, const struct spod_keyfile_opts *opts,
                          const char **why)
{
	struct keystore ks;
	json_error_t jerr;
	json_t *root;
	int rc;

	memset(&ks, 0, sizeof ks);
	root = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(root)) {
		*why = "Ethereum keystore: not a JSON object (truncated or malformed file)";
		rc = SPOD_E_BAD_KEY;
		goto out;
	}
	SPOD_GUARD(rc, parse_keystore(&ks, root, why));
	out->alg = SPOD_ALG_SECP256K1;
	SPOD_GUARD(rc, open_keystore(out->secret, &ks, opts, why));
	if (ks.has_addr) {
		memcpy(claims->addr, ks.addr, sizeof claims->addr);
		claims->has_addr = 1;
		claims->report = SPOD_KEYFILE_CLAIM_ETH_ADDRESS;
	}
out:
	json_decref(root);
	ERR_clear_error();
	return rc;
}
