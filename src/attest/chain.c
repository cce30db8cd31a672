/*
 * The certificate chain of an attestation document (docs/attestation.md, "What the
 * verifier checks"; AWS's rules in docs/research/nitro.md §1.3).
 *
 * Trust comes only from the pinned root: cabundle[0] must be byte-identical to it, so a
 * self-signed certificate an attacker puts first in cabundle is never an anchor. The rest
 * of cabundle must be in AWS's order [root, ..., issuer of leaf]; that order is checked
 * link by link before OpenSSL builds and verifies the chain (signatures, basicConstraints,
 * pathLen, keyCertSign, validity at the given time), and the chain OpenSSL built must then
 * be exactly leaf, cabundle[n-1], ..., cabundle[1], root. CRLs are not consulted (AWS
 * publishes none).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "attest/chain.h"
#include "spod/err.h"

#define SUBJECT_SHOWN_BYTES 160

/*
 * AWS Nitro Enclaves Root G1, CN=aws.nitro-enclaves, OU=AWS, O=Amazon, C=US, valid
 * 2019-10-28 .. 2049-10-28; identical to tests/data/attestation/aws_nitro_root_g1.pem
 * (provenance in tests/data/attestation/PROVENANCE.md).
 */
static const char aws_root_g1_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIICETCCAZagAwIBAgIRAPkxdWgbkK/hHUbMtOTn+FYwCgYIKoZIzj0EAwMwSTEL\n"
    "MAkGA1UEBhMCVVMxDzANBgNVBAoMBkFtYXpvbjEMMAoGA1UECwwDQVdTMRswGQYD\n"
    "VQQDDBJhd3Mubml0cm8tZW5jbGF2ZXMwHhcNMTkxMDI4MTMyODA1WhcNNDkxMDI4\n"
    "MTQyODA1WjBJMQswCQYDVQQGEwJVUzEPMA0GA1UECgwGQW1hem9uMQwwCgYDVQQL\n"
    "DANBV1MxGzAZBgNVBAMMEmF3cy5uaXRyby1lbmNsYXZlczB2MBAGByqGSM49AgEG\n"
    "BSuBBAAiA2IABPwCVOumCMHzaHDimtqQvkY4MpJzbolL//Zy2YlES1BR5TSksfbb\n"
    "48C8WBoyt7F2Bw7eEtaaP+ohG2bnUs990d0JX28TcPQXCEPZ3BABIeTPYwEoCWZE\n"
    "h8l5YoQwTcU/9KNCMEAwDwYDVR0TAQH/BAUwAwEB/zAdBgNVHQ4EFgQUkCW1DdkF\n"
    "R+eWw5b6cp3PmanfS5YwDgYDVR0PAQH/BAQDAgGGMAoGCCqGSM49BAMDA2kAMGYC\n"
    "MQCjfy+Rocm9Xue4YnwWmNJVA44fA0P5W2OpYow9OYCVRaEevL8uO1XYru5xtMPW\n"
    "rfMCMQCi85sWBbJwKKXdS6BptQFuZbT73o/gBh1qUxl/nNr12UO8Yfwr6wPLb+6N\n"
    "IwLz3/Y=\n"
    "-----END CERTIFICATE-----\n";

/* SHA-256 of its DER, as AWS publishes it. */
static const uint8_t aws_root_g1_sha256[32] = {
    0x64, 0x1a, 0x03, 0x21, 0xa3, 0xe2, 0x44, 0xef, 0xe4, 0x56, 0x46, 0x31, 0x95, 0xd6, 0x06, 0x31,
    0x7e, 0xd7, 0xcd, 0xcc, 0x3c, 0x17, 0x56, 0xe0, 0x98, 0x93, 0xf3, 0xc6, 0x8f, 0x79, 0xbb, 0x5b,
};

X509 *spod_attest_x509(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x;

	if (der == NULL || len == 0 || len > SPOD_ATTEST_CERT_MAX_BYTES)
		return NULL;
	x = d2i_X509(NULL, &p, (long)len);
	if (x != NULL && p != der + len) {
		X509_free(x);
		x = NULL;
	}
	if (x == NULL)
		ERR_clear_error();
	return x;
}

static X509 *x509_from_pem(const void *pem, size_t len)
{
	BIO *bio;
	X509 *x = NULL;

	if (len > INT32_MAX)
		return NULL;
	bio = BIO_new_mem_buf(pem, (int)len);
	if (bio != NULL)
		x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (x == NULL)
		ERR_clear_error();
	return x;
}

static int fingerprint_ok(X509 *x, const uint8_t want[32])
{
	unsigned char *der = NULL;
	uint8_t md[32];
	unsigned int mdlen = 0;
	int n;
	int ok = 0;

	n = i2d_X509(x, &der);
	if (n > 0 && EVP_Digest(der, (size_t)n, md, &mdlen, EVP_sha256(), NULL) && mdlen == 32)
		ok = memcmp(md, want, 32) == 0;
	OPENSSL_free(der);
	return ok;
}

int spod_attest_load_root(X509 **out, struct spod_bytes root)
{
	static const char pem_begin[] = "-----BEGIN";
	X509 *x;

	*out = NULL;
	if (root.ptr == NULL) {
		x = x509_from_pem(aws_root_g1_pem, sizeof aws_root_g1_pem - 1);
		if (x == NULL)
			return SPOD_E_CRYPTO;
		if (!fingerprint_ok(x, aws_root_g1_sha256)) {
			X509_free(x);
			return SPOD_E_INTERNAL;
		}
	} else if (root.len >= sizeof pem_begin - 1 &&
	           memcmp(root.ptr, pem_begin, sizeof pem_begin - 1) == 0) {
		x = x509_from_pem(root.ptr, root.len);
	} else {
		x = spod_attest_x509(root.ptr, root.len);
	}
	if (x == NULL)
		return SPOD_E_BAD_ARG;
	*out = x;
	return SPOD_OK;
}

static void subject_of(char *buf, size_t cap, X509 *x)
{
	if (x == NULL || X509_NAME_oneline(X509_get_subject_name(x), buf, (int)cap) == NULL)
		snprintf(buf, cap, "(unknown)");
}

/* Byte equality of a certificate with a DER blob. */
static int same_der(X509 *x, struct spod_bytes der)
{
	unsigned char *enc = NULL;
	int n = i2d_X509(x, &enc);
	int same = n > 0 && (size_t)n == der.len && memcmp(enc, der.ptr, der.len) == 0;

	OPENSSL_free(enc);
	return same;
}

static const char *position(char *buf, size_t cap, uint32_t i)
{
	snprintf(buf, cap, "cabundle[%u]", (unsigned)i);
	return buf;
}

/* cabundle[i] for i >= 1 parsed into ca[i]; ca[0] is the root (borrowed). */
static int link_order(enum spod_attest_status *status, char *msg, size_t cap,
                      const struct spod_attest_doc *d, X509 *leaf, X509 **ca)
{
	char a[24];
	char b[24];
	uint32_t n = d->ncabundle;

	for (uint32_t i = 1; i < n; i++) {
		if (X509_check_issued(ca[i - 1], ca[i]) != X509_V_OK) {
			*status = SPOD_ATTEST_BAD_CHAIN;
			snprintf(msg, cap,
			         "%s was not issued by %s: cabundle must be [root, ..., "
			         "issuer of leaf]",
			         position(a, sizeof a, i), position(b, sizeof b, i - 1));
			return SPOD_E_BAD_SIGNATURE;
		}
	}
	if (X509_check_issued(ca[n - 1], leaf) != X509_V_OK) {
		*status = SPOD_ATTEST_BAD_CHAIN;
		snprintf(msg, cap, "certificate (leaf) was not issued by %s, the last of cabundle",
		         position(a, sizeof a, n - 1));
		return SPOD_E_BAD_SIGNATURE;
	}
	return SPOD_OK;
}

static int chain_is_exact(STACK_OF(X509) * chain, X509 *leaf, X509 **ca, uint32_t n)
{
	if (chain == NULL || sk_X509_num(chain) != (int)n + 1)
		return 0;
	if (X509_cmp(sk_X509_value(chain, 0), leaf) != 0)
		return 0;
	for (uint32_t i = 1; i <= n; i++)
		if (X509_cmp(sk_X509_value(chain, (int)i), ca[n - i]) != 0)
			return 0;
	return 1;
}

static void verify_failure(enum spod_attest_status *status, char *msg, size_t cap,
                           X509_STORE_CTX *ctx, uint64_t at)
{
	char subject[SUBJECT_SHOWN_BYTES];
	int err = X509_STORE_CTX_get_error(ctx);
	int depth = X509_STORE_CTX_get_error_depth(ctx);

	subject_of(subject, sizeof subject, X509_STORE_CTX_get_current_cert(ctx));
	if (err == X509_V_ERR_CERT_HAS_EXPIRED)
		*status = SPOD_ATTEST_CERT_EXPIRED;
	else if (err == X509_V_ERR_CERT_NOT_YET_VALID)
		*status = SPOD_ATTEST_CERT_NOT_YET_VALID;
	else
		*status = SPOD_ATTEST_BAD_CHAIN;
	snprintf(msg, cap, "chain depth %d (%s): %s (validation time %" PRIu64 ")", depth, subject,
	         X509_verify_cert_error_string(err), at);
}

int spod_attest_check_chain(enum spod_attest_status *status, char *msg, size_t cap,
                            const struct spod_attest_doc *d, X509 *leaf, X509 *root, uint64_t at)
{
	X509 *ca[SPOD_ATTEST_MAX_CABUNDLE] = {NULL};
	STACK_OF(X509) *untrusted = NULL;
	X509_STORE *store = NULL;
	X509_STORE_CTX *ctx = NULL;
	X509_VERIFY_PARAM *param;
	char where[24];
	uint32_t n = d->ncabundle;
	int rc = SPOD_E_NOMEM;

	*status = SPOD_ATTEST_INTERNAL;
	if (!same_der(root, d->cabundle[0])) {
		*status = SPOD_ATTEST_BAD_CHAIN;
		snprintf(msg, cap, "cabundle[0] is not the pinned root certificate");
		rc = SPOD_E_BAD_SIGNATURE;
		goto out;
	}
	ca[0] = root;
	untrusted = sk_X509_new_null();
	if (untrusted == NULL)
		goto out;
	for (uint32_t i = 1; i < n; i++) {
		ca[i] = spod_attest_x509(d->cabundle[i].ptr, d->cabundle[i].len);
		if (ca[i] == NULL) {
			*status = SPOD_ATTEST_BAD_CHAIN;
			snprintf(msg, cap, "%s is not a DER certificate",
			         position(where, sizeof where, i));
			rc = SPOD_E_BAD_SIGNATURE;
			goto out;
		}
		if (!sk_X509_push(untrusted, ca[i]))
			goto out;
	}
	SPOD_GUARD(rc, link_order(status, msg, cap, d, leaf, ca));

	rc = SPOD_E_NOMEM;
	store = X509_STORE_new();
	ctx = X509_STORE_CTX_new();
	if (store == NULL || ctx == NULL || !X509_STORE_add_cert(store, root) ||
	    !X509_STORE_CTX_init(ctx, store, leaf, untrusted))
		goto out;
	param = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_time(param, (time_t)at);
	/* Not X509_V_FLAG_X509_STRICT: AWS leaf certificates carry no authorityKeyIdentifier. */
	X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_CHECK_SS_SIGNATURE);
	if (X509_verify_cert(ctx) != 1) {
		verify_failure(status, msg, cap, ctx, at);
		rc = SPOD_E_BAD_SIGNATURE;
		goto out;
	}
	rc = SPOD_E_BAD_SIGNATURE;
	*status = SPOD_ATTEST_BAD_CHAIN;
	if (!chain_is_exact(X509_STORE_CTX_get0_chain(ctx), leaf, ca, n)) {
		snprintf(msg, cap, "the verified chain is not leaf, cabundle[n-1..1], root");
		goto out;
	}
	if (X509_check_ca(leaf) != 0) {
		snprintf(msg, cap, "certificate (leaf) is a CA certificate");
		goto out;
	}
	if (!(X509_get_extension_flags(leaf) & EXFLAG_KUSAGE) ||
	    !(X509_get_key_usage(leaf) & KU_DIGITAL_SIGNATURE)) {
		snprintf(msg, cap, "certificate (leaf) lacks the digitalSignature key usage");
		goto out;
	}
	*status = SPOD_ATTEST_OK;
	rc = SPOD_OK;
out:
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	sk_X509_free(untrusted); /* does not free the certificates */
	for (uint32_t i = 1; i < n; i++)
		X509_free(ca[i]);
	ERR_clear_error();
	return rc;
}
