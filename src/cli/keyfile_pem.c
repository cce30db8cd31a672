/*
 * PEM private keys: PKCS#8 "PRIVATE KEY" (Ed25519, P-256, secp256k1) and SEC1
 * "EC PRIVATE KEY" (P-256, secp256k1), decoded by OpenSSL 3.
 *
 * The file is first split into its PEM blocks here, so that encrypted keys get a message
 * saying how to decrypt them (and OpenSSL never prompts for a password), EC PARAMETERS
 * blocks (what `openssl ecparam -genkey` writes first) are skipped, and a file holding two
 * keys is refused rather than read for its first. Only the one key block reaches OpenSSL.
 * The raw secret is copied out with EVP_PKEY_get_raw_private_key (Ed25519) or the "priv"
 * BIGNUM (EC, cleared and freed at once) straight into locked memory.
 */
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "cli/keyfile_int.h"

#define PEM_DASHES        "-----"
#define PEM_BEGIN         "-----BEGIN "
#define PEM_END           "-----END "
#define PEM_LABEL_MAX     64u
#define EC_GROUP_NAME_MAX 64u

static const char encrypted_why[] =
    "the PEM private key is encrypted: decrypt it first, e.g. `openssl pkey -in KEY.pem -out "
    "PLAIN.pem` (it asks for the passphrase), import PLAIN.pem, then delete it";

struct pem_block {
	const uint8_t *start; /* the BEGIN line */
	size_t len;           /* through the END line */
	const uint8_t *label;
	size_t label_len;
};

static int starts_with(const uint8_t *d, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && memcmp(d, prefix, n) == 0;
}

static int label_is(const struct pem_block *b, const char *label)
{
	return b->label_len == strlen(label) && memcmp(b->label, label, b->label_len) == 0;
}

/* Length of the line at d (without its '\n'). */
static size_t line_len(const uint8_t *d, size_t len)
{
	const uint8_t *nl = memchr(d, '\n', len);

	return nl != NULL ? (size_t)(nl - d) : len;
}

/*
 * The label of a "-----BEGIN X-----" or "-----END X-----" line, given its prefix; trailing
 * whitespace and '\r' are allowed. Returns 0 if the line is not one.
 */
static int line_label(const uint8_t *line, size_t n, const char *prefix, const uint8_t **label,
                      size_t *label_len)
{
	size_t p = strlen(prefix);
	size_t d = sizeof PEM_DASHES - 1;

	while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
		n--;
	if (!starts_with(line, n, prefix) || n < p + d || memcmp(line + n - d, PEM_DASHES, d) != 0)
		return 0;
	*label = line + p;
	*label_len = n - p - d;
	return *label_len > 0 && *label_len <= PEM_LABEL_MAX;
}

/*
 * Finds the next PEM block at or after d[*pos]: 1 with *b set (and *pos past it), 0 when
 * there is none, SPOD_E_BAD_KEY for a BEGIN line without its END.
 */
static int next_block(const uint8_t *d, size_t len, size_t *pos, struct pem_block *b)
{
	const uint8_t *label;
	size_t label_len, n;

	for (size_t i = *pos; i < len; i += n + 1) {
		n = line_len(d + i, len - i);
		if (!line_label(d + i, n, PEM_BEGIN, &b->label, &b->label_len))
			continue;
		b->start = d + i;
		for (size_t j = i + n + 1; j < len; j += n + 1) {
			n = line_len(d + j, len - j);
			if (!line_label(d + j, n, PEM_END, &label, &label_len))
				continue;
			if (label_len != b->label_len || memcmp(label, b->label, label_len) != 0)
				return SPOD_E_BAD_KEY;
			b->len = (size_t)(d + j + n - b->start);
			*pos = j + n;
			return 1;
		}
		return SPOD_E_BAD_KEY;
	}
	return 0;
}

static int block_says_encrypted(const struct pem_block *b)
{
	static const char proc_type[] = "Proc-Type:";
	const size_t n = sizeof proc_type - 1;

	for (size_t i = 0; i < b->len && n <= b->len - i; i++) {
		if (memcmp(b->start + i, proc_type, n) == 0)
			return 1;
	}
	return 0;
}

/* Sorts one block: 1 = the key block, 0 = ignored, negative = refuse the file. */
static int classify(const struct pem_block *b, const char **why)
{
	if (label_is(b, "ENCRYPTED PRIVATE KEY") ||
	    ((label_is(b, "PRIVATE KEY") || label_is(b, "EC PRIVATE KEY")) &&
	     block_says_encrypted(b))) {
		*why = encrypted_why;
		return SPOD_E_BAD_ARG;
	}
	if (label_is(b, "PRIVATE KEY") || label_is(b, "EC PRIVATE KEY"))
		return 1;
	if (label_is(b, "RSA PRIVATE KEY") || label_is(b, "DSA PRIVATE KEY")) {
		*why = "RSA and DSA keys are not supported (ed25519, secp256k1 and p256 are)";
		return SPOD_E_UNKNOWN_ALG;
	}
	if (label_is(b, "OPENSSH PRIVATE KEY")) {
		*why = "OpenSSH private key files are not supported: give a PKCS#8 PEM key";
		return SPOD_E_BAD_KEY;
	}
	return 0; /* EC PARAMETERS, PUBLIC KEY, CERTIFICATE, ... */
}

/* The one private key block of the file. */
static int find_key_block(const uint8_t *d, size_t len, struct pem_block *key, const char **why)
{
	struct pem_block b;
	size_t pos = 0;
	int found = 0;
	int rc;

	while ((rc = next_block(d, len, &pos, &b)) == 1) {
		rc = classify(&b, why);
		if (rc < 0)
			return rc;
		if (rc == 1 && found++ > 0) {
			*why = "the PEM file holds more than one private key";
			return SPOD_E_BAD_KEY;
		}
		if (rc == 1)
			*key = b;
	}
	if (rc < 0) {
		*why = "PEM file: a BEGIN line without its matching END line";
		return rc;
	}
	if (!found) {
		*why = "no PRIVATE KEY or EC PRIVATE KEY block in the PEM file";
		return SPOD_E_BAD_KEY;
	}
	return SPOD_OK;
}

/* OpenSSL's password callback: never prompt (encrypted blocks were refused before). */
static int no_password(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

static int read_ed25519(struct spod_keyfile_secret *out, struct keyfile_claims *claims,
                        const EVP_PKEY *pkey, const char **why)
{
	size_t n = SPOD_KEYFILE_SECRET_BYTES;

	out->alg = SPOD_ALG_ED25519;
	if (EVP_PKEY_get_raw_private_key(pkey, out->secret, &n) != 1 ||
	    n != SPOD_KEYFILE_SECRET_BYTES) {
		*why = "PEM Ed25519 key: could not read its private key";
		return SPOD_E_BAD_KEY;
	}
	n = sizeof claims->pub;
	if (EVP_PKEY_get_raw_public_key(pkey, claims->pub, &n) == 1) {
		claims->pub_len = n;
		claims->has_pub = 1;
	}
	return SPOD_OK;
}

static int ec_alg(const EVP_PKEY *pkey, uint8_t *alg, const char **why)
{
	char group[EC_GROUP_NAME_MAX];
	size_t n = 0;

	if (EVP_PKEY_get_group_name(pkey, group, sizeof group, &n) != 1) {
		*why = "PEM EC key without a named curve (explicit parameters are not supported)";
		return SPOD_E_UNKNOWN_ALG;
	}
	if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0) {
		*alg = SPOD_ALG_P256;
	} else if (strcmp(group, "secp256k1") == 0) {
		*alg = SPOD_ALG_SECP256K1;
	} else {
		*why = "PEM EC key on a curve spod does not support (only P-256 and secp256k1)";
		return SPOD_E_UNKNOWN_ALG;
	}
	return SPOD_OK;
}

static int read_ec(struct spod_keyfile_secret *out, struct keyfile_claims *claims,
                   const EVP_PKEY *pkey, const char **why)
{
	BIGNUM *priv = NULL;
	size_t n = 0;
	int rc;

	SPOD_GUARD(rc, ec_alg(pkey, &out->alg, why));
	rc = SPOD_E_BAD_KEY;
	*why = "PEM EC key: could not read a 32-byte private scalar";
	if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_PRIV_KEY, &priv) != 1 ||
	    BN_num_bytes(priv) > (int)SPOD_KEYFILE_SECRET_BYTES ||
	    BN_bn2binpad(priv, out->secret, SPOD_KEYFILE_SECRET_BYTES) < 0)
		goto out;
	*why = NULL;
	/* The point as the file (or OpenSSL, when the file has none) gives it. */
	if (EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY, claims->pub,
	                                    sizeof claims->pub, &n) == 1) {
		claims->pub_len = n;
		claims->has_pub = 1;
	}
	rc = SPOD_OK;
out:
	BN_clear_free(priv);
	return rc;
}

int spod_keyfile_read_pem(struct spod_keyfile_secret *out, struct keyfile_claims *claims,
                          const uint8_t *data, size_t len, const char **why)
{
	struct pem_block key;
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	int rc;

	SPOD_GUARD(rc, find_key_block(data, len, &key, why));
	rc = SPOD_E_NOMEM;
	bio = BIO_new_mem_buf(key.start, (int)key.len); /* key.len <= SPOD_KEYFILE_MAX_BYTES */
	if (bio == NULL)
		goto out;
	rc = SPOD_E_BAD_KEY;
	pkey = PEM_read_bio_PrivateKey(bio, NULL, no_password, NULL);
	if (pkey == NULL) {
		*why = "OpenSSL could not decode the PEM private key";
		goto out;
	}
	/* PEM keys are compared with what OpenSSL holds, but not reported as a claim: OpenSSL
	 * computes a public key the file lacks, so the two cases look the same here. */
	claims->report = SPOD_KEYFILE_CLAIM_NONE;
	if (EVP_PKEY_is_a(pkey, "ED25519")) {
		rc = read_ed25519(out, claims, pkey, why);
	} else if (EVP_PKEY_is_a(pkey, "EC")) {
		rc = read_ec(out, claims, pkey, why);
	} else {
		*why = "PEM key of a type spod does not support (only Ed25519, P-256, secp256k1)";
		rc = SPOD_E_UNKNOWN_ALG;
	}
out:
	EVP_PKEY_free(pkey); /* OpenSSL clears its private key copies when freeing them */
	BIO_free(bio);
	ERR_clear_error();
	return rc;
}
