/*
 * Documents made by the builder (src/attest/doc.h) under a P-384 test PKI generated here
 * (root -> intermediate(s) -> leaf): they verify under that root, and each chain, time and
 * policy failure is reported as itself, with a valid COSE signature in front of it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "attest/cose.h"
#include "attest/doc.h"
#include "spod/attest.h"
#include "spod/err.h"

#define T0      1750000000ull /* 2025-06-15T15:06:40Z, the documents' time */
#define HOUR    3600
#define DAY     (24 * HOUR)
#define DOC_CAP (16u * 1024u)

struct cert {
	X509 *x509;
	EVP_PKEY *key;
	uint8_t der[2048];
	size_t der_len;
};

enum cert_kind { CERT_CA, CERT_LEAF, CERT_LEAF_CA, CERT_LEAF_NO_DS, CERT_CA_NOT_CA };

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	assert_non_null(ext);
	assert_true(X509_add_ext(x, ext, -1));
	X509_EXTENSION_free(ext);
}

/*
 * Makes a certificate for a fresh key on curve ("P-384" unless stated), valid from
 * T0 + nb to T0 + na seconds, issued by issuer (NULL: self-signed).
 */
static void make_cert(struct cert *c, const char *cn, enum cert_kind kind, const char *curve,
                      long nb, long na, const struct cert *issuer)
{
	static long serial = 1;
	X509_NAME *name;
	unsigned char *p;

	memset(c, 0, sizeof *c);
	c->key = EVP_EC_gen(curve);
	assert_non_null(c->key);
	c->x509 = X509_new();
	assert_non_null(c->x509);
	assert_true(X509_set_version(c->x509, 2));
	assert_true(ASN1_INTEGER_set(X509_get_serialNumber(c->x509), serial++));
	assert_non_null(ASN1_TIME_set(X509_getm_notBefore(c->x509), (time_t)(T0 + nb)));
	assert_non_null(ASN1_TIME_set(X509_getm_notAfter(c->x509), (time_t)(T0 + na)));
	name = X509_NAME_new();
	assert_true(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn,
	                                       -1, -1, 0));
	assert_true(X509_set_subject_name(c->x509, name));
	assert_true(X509_set_issuer_name(
	    c->x509, issuer != NULL ? X509_get_subject_name(issuer->x509) : name));
	X509_NAME_free(name);
	assert_true(X509_set_pubkey(c->x509, c->key));

	X509 *iss = issuer != NULL ? issuer->x509 : c->x509;
	add_ext(c->x509, iss, NID_subject_key_identifier, "hash");
	add_ext(c->x509, iss, NID_authority_key_identifier, "keyid:always");
	switch (kind) {
	case CERT_CA:
		add_ext(c->x509, iss, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(c->x509, iss, NID_key_usage,
		        "critical,keyCertSign,cRLSign,digitalSignature");
		break;
	case CERT_CA_NOT_CA:
		add_ext(c->x509, iss, NID_basic_constraints, "critical,CA:FALSE");
		add_ext(c->x509, iss, NID_key_usage, "critical,keyCertSign,digitalSignature");
		break;
	case CERT_LEAF:
		add_ext(c->x509, iss, NID_basic_constraints, "critical,CA:FALSE");
		add_ext(c->x509, iss, NID_key_usage, "digitalSignature,nonRepudiation");
		break;
	case CERT_LEAF_CA:
		add_ext(c->x509, iss, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(c->x509, iss, NID_key_usage, "critical,keyCertSign,digitalSignature");
		break;
	case CERT_LEAF_NO_DS:
		add_ext(c->x509, iss, NID_basic_constraints, "critical,CA:FALSE");
		add_ext(c->x509, iss, NID_key_usage, "keyEncipherment");
		break;
	}
	assert_true(X509_sign(c->x509, issuer != NULL ? issuer->key : c->key, EVP_sha384()) > 0);
	p = c->der;
	c->der_len = (size_t)i2d_X509(c->x509, NULL);
	assert_true(c->der_len > 0 && c->der_len <= sizeof c->der);
	assert_int_equal(i2d_X509(c->x509, &p), (int)c->der_len);
}

static void free_cert(struct cert *c)
{
	X509_free(c->x509);
	EVP_PKEY_free(c->key);
}

static struct spod_bytes der_of(const struct cert *c)
{
	struct spod_bytes b = {c->der, c->der_len};
	return b;
}

/* The standard test PKI: root (10 y) -> intermediate (60 d) -> leaf (T0 - 1 h .. T0 + 2 h). */
struct pki {
	struct cert root;
	struct cert inter;
	struct cert leaf;
};

static struct pki pki;

static int setup(void **state)
{
	(void)state;
	make_cert(&pki.root, "spod test root", CERT_CA, "P-384", -DAY, 3650L * DAY, NULL);
	make_cert(&pki.inter, "spod test intermediate", CERT_CA, "P-384", -30 * DAY, 30 * DAY,
	          &pki.root);
	make_cert(&pki.leaf, "spod test leaf", CERT_LEAF, "P-384", -HOUR, 2 * HOUR, &pki.inter);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free_cert(&pki.leaf);
	free_cert(&pki.inter);
	free_cert(&pki.root);
	return 0;
}

static uint8_t pcr_values[SPOD_ATTEST_MAX_PCRS][SPOD_ATTEST_PCR_BYTES];

/* A document input: 16 PCRs (PCR i filled with i + 1), bundle [root, inter]. */
static struct spod_attest_doc_in base_input(struct spod_bytes *bundle)
{
	struct spod_attest_doc_in in = {0};

	for (unsigned i = 0; i < SPOD_ATTEST_MAX_PCRS; i++)
		memset(pcr_values[i], (int)(i + 1), SPOD_ATTEST_PCR_BYTES);
	bundle[0] = der_of(&pki.root);
	bundle[1] = der_of(&pki.inter);
	in.module_id = "spod-sim-test";
	in.timestamp_ms = T0 * 1000 + 123;
	in.pcrs = (const uint8_t(*)[SPOD_ATTEST_PCR_BYTES])pcr_values;
	in.npcrs = 16;
	in.certificate = der_of(&pki.leaf);
	in.cabundle = bundle;
	in.ncabundle = 2;
	return in;
}

static size_t sign_doc(uint8_t *doc, const struct spod_attest_doc_in *in, EVP_PKEY *key)
{
	size_t len = 0;

	assert_int_equal(spod_attest_doc_sign(doc, DOC_CAP, &len, in, key), SPOD_OK);
	return len;
}

static struct spod_attest_policy test_policy(void)
{
	struct spod_attest_policy pol = {0};

	pol.root = der_of(&pki.root);
	pol.at = T0;
	return pol;
}

static enum spod_attest_status verify(const uint8_t *doc, size_t len,
                                      const struct spod_attest_policy *pol)
{
	struct spod_attest_result res;
	int rc = spod_attest_verify(&res, doc, len, pol);

	assert_true((rc == SPOD_OK) == (res.status == SPOD_ATTEST_OK));
	return res.status;
}

static void test_build_verifies(void **state)
{
	static uint8_t doc[DOC_CAP];
	static uint8_t doc2[DOC_CAP];
	struct spod_bytes bundle[2];
	struct spod_attest_doc_in in = base_input(bundle);
	struct spod_attest_policy pol = test_policy();
	struct spod_attest_result res;
	struct spod_attest_doc d2;
	uint8_t nonce[32];
	size_t len;
	size_t len2;

	(void)state;
	memset(nonce, 0x5a, sizeof nonce);
	in.nonce.ptr = nonce;
	in.nonce.len = sizeof nonce;
	in.public_key.ptr = nonce; /* empty but present */
	in.public_key.len = 0;
	len = sign_doc(doc, &in, pki.leaf.key);
	assert_int_equal(spod_attest_verify(&res, doc, len, &pol), SPOD_OK);
	assert_int_equal(res.status, SPOD_ATTEST_OK);

	/* The fields come back as they went in, in AWS's shape. */
	assert_memory_equal(doc, "\x84\x44\xa1\x01\x38\x22\xa0\x59", 8);
	assert_memory_equal(res.doc.payload.ptr,
	                    "\xa9\x69module_id\x6dspod-sim-test\x66"
	                    "digest",
	                    2 + 9 + 14 + 7);
	assert_int_equal(res.doc.timestamp_ms, T0 * 1000 + 123);
	assert_int_equal(res.doc.npcrs, 16);
	assert_memory_equal(res.doc.pcrs[15].ptr, pcr_values[15], 48);
	assert_null(res.doc.pcrs[16].ptr);
	assert_int_equal(res.doc.ncabundle, 2);
	assert_memory_equal(res.doc.cabundle[1].ptr, pki.inter.der, pki.inter.der_len);
	assert_memory_equal(res.doc.certificate.ptr, pki.leaf.der, pki.leaf.der_len);
	assert_non_null(res.doc.public_key.ptr);
	assert_int_equal(res.doc.public_key.len, 0);
	assert_null(res.doc.user_data.ptr);
	assert_memory_equal(res.doc.nonce.ptr, nonce, sizeof nonce);

	/* Deterministic payload (ECDSA signatures themselves are randomised). */
	len2 = sign_doc(doc2, &in, pki.leaf.key);
	assert_int_equal(len2, len);
	assert_int_equal(spod_attest_parse(&d2, doc2, len2), SPOD_OK);
	assert_memory_equal(d2.payload.ptr, res.doc.payload.ptr, d2.payload.len);

	/* Signed by a key that is not the leaf's. */
	len = sign_doc(doc, &in, pki.inter.key);
	assert_int_equal(verify(doc, len, &pol), SPOD_ATTEST_BAD_SIGNATURE);
}

static void test_build_rejects_bad_input(void **state)
{
	static uint8_t doc[DOC_CAP];
	static uint8_t big[SPOD_ATTEST_PUBLIC_KEY_MAX + 1];
	struct spod_bytes bundle[SPOD_ATTEST_MAX_CABUNDLE + 1];
	struct spod_attest_doc_in in;
	EVP_PKEY *p256 = EVP_EC_gen("P-256");
	size_t len;

	(void)state;
	assert_non_null(p256);
	in = base_input(bundle);
	assert_int_equal(spod_attest_doc_sign(doc, DOC_CAP, &len, &in, p256), SPOD_E_BAD_ARG);
	assert_int_equal(spod_attest_doc_sign(doc, 100, &len, &in, pki.leaf.key), SPOD_E_TOO_LARGE);
	in.npcrs = 0;
	assert_int_equal(spod_attest_doc_sign(doc, DOC_CAP, &len, &in, pki.leaf.key),
	                 SPOD_E_BAD_ARG);
	in.npcrs = 33;
	assert_int_equal(spod_attest_doc_sign(doc, DOC_CAP, &len, &in, pki.leaf.key),
	                 SPOD_E_BAD_ARG);
	in = base_input(bundle);
	in.module_id = "";
	assert_int_equal(spod_attest_doc_sign(doc, DOC_CAP, &len, &in, pki.leaf.key),
	                 SPOD_E_BAD_ARG);
	in.module_id = "bad\nid";
	assert_int_equal(spod_attest_doc_sign(doc, DOC_CAP, &len, &in, pki.leaf.key),
	                 SPOD_E_BAD_ARG);
	in = base_input(bundle);
	in.user_data.ptr = big;
	in.user_data.len = SPOD_ATTEST_USER_DATA_MAX + 1;
	assert_int_equal(spod_attest_doc_sign(doc, DOC_CAP, &len, &in, pki.leaf.key),
	                 SPOD_E_BAD_ARG);
	in.user_data.len = SPOD_ATTEST_USER_DATA_MAX;
	in.nonce.ptr = big;
	in.nonce.len = SPOD_ATTEST_NONCE_MAX;
	in.public_key.ptr = big;
	in.public_key.len = SPOD_ATTEST_PUBLIC_KEY_MAX;
	len = sign_doc(doc, &in, pki.leaf.key); /* every optional field at its limit */
	struct spod_attest_policy pol = test_policy();
	assert_int_equal(verify(doc, len, &pol), SPOD_ATTEST_OK);
	in.public_key.len = SPOD_ATTEST_PUBLIC_KEY_MAX + 1;
	assert_int_equal(spod_attest_doc_sign(doc, DOC_CAP, &len, &in, pki.leaf.key),
	                 SPOD_E_BAD_ARG);
	in = base_input(bundle);
	in.ncabundle = SPOD_ATTEST_MAX_CABUNDLE + 1;
	assert_int_equal(spod_attest_doc_sign(doc, DOC_CAP, &len, &in, pki.leaf.key),
	                 SPOD_E_BAD_ARG);
	in.ncabundle = 0;
	assert_int_equal(spod_attest_doc_sign(doc, DOC_CAP, &len, &in, pki.leaf.key),
	                 SPOD_E_BAD_ARG);
	EVP_PKEY_free(p256);
}

static void test_chain_failures(void **state)
{
	static uint8_t doc[DOC_CAP];
	struct spod_bytes bundle[3];
	struct spod_attest_doc_in in = base_input(bundle);
	struct spod_attest_policy pol = test_policy();
	struct cert other_root;
	struct cert inter2;
	struct cert leaf2;
	size_t len;

	(void)state;
	/* Missing intermediate: cabundle = [root], leaf issued by the intermediate. */
	in.ncabundle = 1;
	len = sign_doc(doc, &in, pki.leaf.key);
	assert_int_equal(verify(doc, len, &pol), SPOD_ATTEST_BAD_CHAIN);

	/* Root missing from cabundle, i.e. [intermediate]. */
	bundle[0] = der_of(&pki.inter);
	len = sign_doc(doc, &in, pki.leaf.key);
	assert_int_equal(verify(doc, len, &pol), SPOD_ATTEST_BAD_CHAIN);

	/* Reordered [intermediate, root]. */
	bundle[1] = der_of(&pki.root);
	in.ncabundle = 2;
	len = sign_doc(doc, &in, pki.leaf.key);
	assert_int_equal(verify(doc, len, &pol), SPOD_ATTEST_BAD_CHAIN);

	/* Two intermediates: [root, inter, inter2] verifies, [root, inter2, inter] does not. */
	make_cert(&inter2, "spod test intermediate 2", CERT_CA, "P-384", -DAY, DAY, &pki.inter);
	make_cert(&leaf2, "spod test leaf 2", CERT_LEAF, "P-384", -HOUR, HOUR, &inter2);
	bundle[0] = der_of(&pki.root);
	bundle[1] = der_of(&pki.inter);
	bundle[2] = der_of(&inter2);
	in.ncabundle = 3;
	in.certificate = der_of(&leaf2);
	len = sign_doc(doc, &in, leaf2.key);
	assert_int_equal(verify(doc, len, &pol), SPOD_ATTEST_OK);
	bundle[1] = der_of(&inter2);
	bundle[2] = der_of(&pki.inter);
	len = sign_doc(doc, &in, leaf2.key);
	assert_int_equal(verify(doc, len, &pol), SPOD_ATTEST_BAD_CHAIN);

	/* An intermediate listed twice hides nothing: [root, inter, inter] for leaf2. */
	bundle[1] = der_of(&pki.inter);
	len = sign_doc(doc, &in, leaf2.key);
	assert_int_equal(verify(doc, len, &pol), SPOD_ATTEST_BAD_CHAIN);

	/* Wrong root pinned; the embedded AWS root (a simulated document never chains to it). */
	in = base_input(bundle);
	len = sign_doc(doc, &in, pki.leaf.key);
	make_cert(&other_root, "spod test root", CERT_CA, "P-384", -DAY, DAY, NULL);
	pol.root = der_of(&other_root);
	assert_int_equal(verify(doc, len, &pol), SPOD_ATTEST_BAD_CHAIN);
	pol.root.ptr = NULL;
	assert_int_equal(verify(doc, len, &pol), SPOD_ATTEST_BAD_CHAIN);

	/* An attacker's self-signed root first in cabundle, issuing its own chain. */
	free_cert(&inter2);
	free_cert(&leaf2);
	make_cert(&inter2, "spod test intermediate", CERT_CA, "P-384", -DAY, DAY, &other_root);
	make_cert(&leaf2, "spod test leaf", CERT_LEAF, "P-384", -HOUR, HOUR, &inter2);
	bundle[0] = der_of(&other_root);
	bundle[1] = der_of(&inter2);
	in.certificate = der_of(&leaf2);
	len = sign_doc(doc, &in, leaf2.key);
	pol = test_policy();
	assert_int_equal(verify(doc, len, &pol), SPOD_ATTEST_BAD_CHAIN);
	pol.root = der_of(&other_root); /* only pinning it makes it trusted */
	assert_int_equal(verify(doc, len, &pol), SPOD_ATTEST_OK);

	free_cert(&inter2);
	free_cert(&leaf2);
	free_cert(&other_root);
}

/* Builds a document for a leaf made by make_cert(kind, curve, nb, na) under pki.inter. */
static enum spod_attest_status verify_with_leaf(enum cert_kind kind, const char *curve, long nb,
                                                long na)
{
	static uint8_t doc[DOC_CAP];
	struct spod_bytes bundle[2];
	struct spod_attest_doc_in in = base_input(bundle);
	struct spod_attest_policy pol = test_policy();
	enum spod_attest_status st;
	struct cert leaf;
	size_t len;

	make_cert(&leaf, "spod test leaf", kind, curve, nb, na, &pki.inter);
	in.certificate = der_of(&leaf);
	/* A leaf that is not P-384 cannot sign; the document is signed by the P-384 leaf. */
	len = sign_doc(doc, &in, strcmp(curve, "P-384") == 0 ? leaf.key : pki.leaf.key);
	st = verify(doc, len, &pol);
	free_cert(&leaf);
	return st;
}

static void test_leaf_failures(void **state)
{
	(void)state;
	assert_int_equal(verify_with_leaf(CERT_LEAF, "P-384", -HOUR, HOUR), SPOD_ATTEST_OK);
	assert_int_equal(verify_with_leaf(CERT_LEAF, "P-384", -3 * HOUR, -HOUR),
	                 SPOD_ATTEST_CERT_EXPIRED);
	assert_int_equal(verify_with_leaf(CERT_LEAF, "P-384", HOUR, 3 * HOUR),
	                 SPOD_ATTEST_CERT_NOT_YET_VALID);
	/* OpenSSL's edges: notBefore == time is valid, notAfter == time is already expired. */
	assert_int_equal(verify_with_leaf(CERT_LEAF, "P-384", 0, HOUR), SPOD_ATTEST_OK);
	assert_int_equal(verify_with_leaf(CERT_LEAF, "P-384", 1, HOUR),
	                 SPOD_ATTEST_CERT_NOT_YET_VALID);
	assert_int_equal(verify_with_leaf(CERT_LEAF, "P-384", -HOUR, 1), SPOD_ATTEST_OK);
	assert_int_equal(verify_with_leaf(CERT_LEAF, "P-384", -HOUR, 0), SPOD_ATTEST_CERT_EXPIRED);
	assert_int_equal(verify_with_leaf(CERT_LEAF, "P-256", -HOUR, HOUR), SPOD_ATTEST_BAD_LEAF);
	assert_int_equal(verify_with_leaf(CERT_LEAF, "P-521", -HOUR, HOUR), SPOD_ATTEST_BAD_LEAF);
	assert_int_equal(verify_with_leaf(CERT_LEAF_CA, "P-384", -HOUR, HOUR),
	                 SPOD_ATTEST_BAD_CHAIN);
	assert_int_equal(verify_with_leaf(CERT_LEAF_NO_DS, "P-384", -HOUR, HOUR),
	                 SPOD_ATTEST_BAD_CHAIN);
}

static void test_ca_failures(void **state)
{
	static uint8_t doc[DOC_CAP];
	struct spod_bytes bundle[2];
	struct spod_attest_doc_in in = base_input(bundle);
	struct spod_attest_policy pol = test_policy();
	struct cert root;
	struct cert inter;
	struct cert leaf;
	size_t len;
	const struct {
		enum cert_kind inter_kind;
		long root_nb, root_na, inter_nb, inter_na;
		enum spod_attest_status want;
	} cases[] = {
	    {CERT_CA, -DAY, DAY, -DAY, DAY, SPOD_ATTEST_OK},
	    {CERT_CA, -DAY, DAY, -2 * DAY, -DAY, SPOD_ATTEST_CERT_EXPIRED},
	    {CERT_CA, -DAY, DAY, DAY, 2 * DAY, SPOD_ATTEST_CERT_NOT_YET_VALID},
	    {CERT_CA, -2 * DAY, -DAY, -DAY, DAY, SPOD_ATTEST_CERT_EXPIRED},
	    {CERT_CA, DAY, 2 * DAY, -DAY, DAY, SPOD_ATTEST_CERT_NOT_YET_VALID},
	    {CERT_CA_NOT_CA, -DAY, DAY, -DAY, DAY, SPOD_ATTEST_BAD_CHAIN},
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		make_cert(&root, "ca test root", CERT_CA, "P-384", cases[i].root_nb,
		          cases[i].root_na, NULL);
		make_cert(&inter, "ca test intermediate", cases[i].inter_kind, "P-384",
		          cases[i].inter_nb, cases[i].inter_na, &root);
		make_cert(&leaf, "ca test leaf", CERT_LEAF, "P-384", -HOUR, HOUR, &inter);
		bundle[0] = der_of(&root);
		bundle[1] = der_of(&inter);
		in.certificate = der_of(&leaf);
		pol.root = der_of(&root);
		len = sign_doc(doc, &in, leaf.key);
		assert_int_equal(verify(doc, len, &pol), cases[i].want);
		free_cert(&leaf);
		free_cert(&inter);
		free_cert(&root);
	}
}

static void test_policy_checks(void **state)
{
	static uint8_t doc[DOC_CAP];
	struct spod_bytes bundle[2];
	struct spod_attest_doc_in in = base_input(bundle);
	struct spod_attest_policy pol = test_policy();
	struct spod_attest_pcr_expect want[2];
	uint8_t value[48];
	uint8_t nonce[20];
	size_t len;

	(void)state;
	memset(pcr_values[5], 0, 48); /* PCR5 all zero */
	memset(nonce, 7, sizeof nonce);
	in.nonce.ptr = nonce;
	in.nonce.len = sizeof nonce;
	len = sign_doc(doc, &in, pki.leaf.key);

	memset(value, 1, sizeof value);
	want[0] = (struct spod_attest_pcr_expect){0, value, 48};
	pol.pcrs = want;
	pol.npcrs = 1;
	assert_int_equal(verify(doc, len, &pol), SPOD_ATTEST_OK);
	want[1] = (struct spod_attest_pcr_expect){1, pcr_values[1], 48};
	pol.npcrs = 2;
	assert_int_equal(verify(doc, len, &pol), SPOD_ATTEST_OK);
	want[1].value = pcr_values[2];
	assert_int_equal(verify(doc, len, &pol), SPOD_ATTEST_PCR_MISMATCH);
	want[1] = (struct spod_attest_pcr_expect){20, pcr_values[1], 48};
	assert_int_equal(verify(doc, len, &pol), SPOD_ATTEST_PCR_MISSING);
	want[1] = (struct spod_attest_pcr_expect){5, pcr_values[5], 48};
	assert_int_equal(verify(doc, len, &pol), SPOD_ATTEST_PCR_ZERO);
	want[1] = (struct spod_attest_pcr_expect){1, pcr_values[1], 64};
	assert_int_equal(verify(doc, len, &pol), SPOD_ATTEST_PCR_MISMATCH);
	pol.npcrs = 0;

	pol.nonce.ptr = nonce;
	pol.nonce.len = sizeof nonce;
	assert_int_equal(verify(doc, len, &pol), SPOD_ATTEST_OK);
	uint8_t other[20];
	memset(other, 8, sizeof other);
	pol.nonce.ptr = other;
	assert_int_equal(verify(doc, len, &pol), SPOD_ATTEST_NONCE_MISMATCH);
	pol.nonce.ptr = NULL;

	/* Freshness: made at T0 (+123 ms). */
	pol.max_age_s = 60;
	pol.at = T0 + 60;
	assert_int_equal(verify(doc, len, &pol), SPOD_ATTEST_OK);
	pol.at = T0 + 61;
	assert_int_equal(verify(doc, len, &pol), SPOD_ATTEST_STALE);
	pol.max_age_s = 0; /* no age limit, but never from the future */
	pol.at = T0 + HOUR;
	assert_int_equal(verify(doc, len, &pol), SPOD_ATTEST_OK);
	pol.at = T0 - SPOD_ATTEST_FUTURE_SKEW_SECONDS;
	assert_int_equal(verify(doc, len, &pol), SPOD_ATTEST_OK);
	pol.at = T0 - SPOD_ATTEST_FUTURE_SKEW_SECONDS - 1;
	assert_int_equal(verify(doc, len, &pol), SPOD_ATTEST_FROM_FUTURE);
	memset(pcr_values[5], 6, 48);
}

static void test_key_binding(void **state)
{
	static uint8_t doc[DOC_CAP];
	struct spod_bytes bundle[2];
	struct spod_attest_doc_in in = base_input(bundle);
	struct spod_attest_policy pol = test_policy();
	uint8_t binding[SPOD_ATTEST_BINDING_HEADER_BYTES + 255];
	uint8_t key_id[16];
	uint8_t other_id[16];
	uint8_t pub[33];
	uint8_t other_pub[33];
	size_t n;
	size_t len;

	(void)state;
	for (unsigned i = 0; i < 16; i++)
		key_id[i] = (uint8_t)(0xa0 + i);
	memset(pub, 0x02, sizeof pub);
	assert_int_equal(spod_attest_key_binding(binding, sizeof binding, &n, 3, key_id, pub, 33),
	                 SPOD_OK);
	assert_int_equal(n, 26 + 33);
	assert_memory_equal(binding, "SPODKEY1\x03\xa0\xa1\xa2", 12);
	assert_int_equal(binding[25], 33);
	assert_memory_equal(binding + 26, pub, 33);
	assert_int_equal(spod_attest_key_binding(binding, 58, &n, 3, key_id, pub, 33),
	                 SPOD_E_TOO_LARGE);
	assert_int_equal(
	    spod_attest_key_binding(binding, sizeof binding, &n, 3, key_id, binding, 256),
	    SPOD_E_TOO_LARGE);
	assert_int_equal(spod_attest_key_binding(binding, sizeof binding, &n, 3, key_id, pub, 33),
	                 SPOD_OK);

	in.user_data.ptr = binding;
	in.user_data.len = n;
	len = sign_doc(doc, &in, pki.leaf.key);
	pol.key_id = key_id;
	pol.key_alg = 3;
	pol.key_pub.ptr = pub;
	pol.key_pub.len = sizeof pub;
	assert_int_equal(verify(doc, len, &pol), SPOD_ATTEST_OK);

	memcpy(other_id, key_id, 16);
	other_id[15] ^= 1;
	pol.key_id = other_id;
	assert_int_equal(verify(doc, len, &pol), SPOD_ATTEST_KEY_BINDING);
	pol.key_id = key_id;
	pol.key_alg = 2;
	assert_int_equal(verify(doc, len, &pol), SPOD_ATTEST_KEY_BINDING);
	pol.key_alg = 3;
	memcpy(other_pub, pub, sizeof pub);
	other_pub[32] ^= 1;
	pol.key_pub.ptr = other_pub;
	assert_int_equal(verify(doc, len, &pol), SPOD_ATTEST_KEY_BINDING);
	pol.key_pub.ptr = pub;
	pol.key_pub.len = 32; /* a prefix of the bound key */
	assert_int_equal(verify(doc, len, &pol), SPOD_ATTEST_KEY_BINDING);
	pol.key_pub.ptr = NULL;
	assert_int_equal(verify(doc, len, &pol), SPOD_ATTEST_BAD_POLICY);

	/* No user_data at all. */
	pol.key_pub.ptr = pub;
	pol.key_pub.len = sizeof pub;
	in.user_data.ptr = NULL;
	len = sign_doc(doc, &in, pki.leaf.key);
	assert_int_equal(verify(doc, len, &pol), SPOD_ATTEST_KEY_BINDING);
}

/* A built document whose 96-byte raw signature is replaced by the same signature in DER. */
static void test_der_signature_rejected(void **state)
{
	static uint8_t doc[DOC_CAP];
	struct spod_bytes bundle[2];
	struct spod_attest_doc_in in = base_input(bundle);
	struct spod_attest_policy pol = test_policy();
	struct spod_attest_result res;
	uint8_t der[110];
	size_t len;
	size_t off = 2;

	(void)state;
	len = sign_doc(doc, &in, pki.leaf.key);
	const uint8_t *sig = doc + len - 96;
	for (int part = 0; part < 2; part++) {
		const uint8_t *v = sig + 48 * part;
		size_t skip = 0;
		while (skip < 47 && v[skip] == 0 && !(v[skip + 1] & 0x80))
			skip++;
		int pad = (v[skip] & 0x80) != 0;
		der[off++] = 0x02;
		der[off++] = (uint8_t)(48 - skip + (size_t)pad);
		if (pad)
			der[off++] = 0;
		memcpy(der + off, v + skip, 48 - skip);
		off += 48 - skip;
	}
	der[0] = 0x30;
	der[1] = (uint8_t)(off - 2);
	len -= 98;
	doc[len++] = 0x58;
	doc[len++] = (uint8_t)off;
	memcpy(doc + len, der, off);
	len += off;
	assert_int_equal(spod_attest_verify(&res, doc, len, &pol), SPOD_E_BAD_LENGTH);
	assert_int_equal(res.status, SPOD_ATTEST_MALFORMED);
}

/* The payload as an indefinite-length map (as newer real documents have it) verifies. */
static void test_indefinite_payload(void **state)
{
	static uint8_t doc[DOC_CAP];
	static uint8_t payload[DOC_CAP];
	struct spod_bytes bundle[2];
	struct spod_attest_doc_in in = base_input(bundle);
	struct spod_attest_policy pol = test_policy();
	struct spod_attest_doc d;
	size_t len;
	size_t plen;

	(void)state;
	len = sign_doc(doc, &in, pki.leaf.key);
	assert_int_equal(spod_attest_parse(&d, doc, len), SPOD_OK);
	plen = d.payload.len;
	memcpy(payload, d.payload.ptr, plen);
	assert_int_equal(payload[0], 0xa9);
	payload[0] = 0xbf;
	payload[plen++] = 0xff;
	assert_int_equal(spod_cose_sign1_es384(doc, DOC_CAP, &len, payload, plen, pki.leaf.key),
	                 SPOD_OK);
	assert_int_equal(verify(doc, len, &pol), SPOD_ATTEST_OK);
	/* Without its break it is truncated; with two breaks it has trailing bytes. */
	assert_int_equal(spod_cose_sign1_es384(doc, DOC_CAP, &len, payload, plen - 1, pki.leaf.key),
	                 SPOD_OK);
	assert_int_equal(spod_attest_parse(&d, doc, len), SPOD_E_TRUNCATED);
	payload[plen++] = 0xff;
	assert_int_equal(spod_cose_sign1_es384(doc, DOC_CAP, &len, payload, plen, pki.leaf.key),
	                 SPOD_OK);
	assert_int_equal(spod_attest_parse(&d, doc, len), SPOD_E_BAD_LENGTH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_build_verifies),
	    cmocka_unit_test(test_build_rejects_bad_input),
	    cmocka_unit_test(test_chain_failures),
	    cmocka_unit_test(test_leaf_failures),
	    cmocka_unit_test(test_ca_failures),
	    cmocka_unit_test(test_policy_checks),
	    cmocka_unit_test(test_key_binding),
	    cmocka_unit_test(test_der_signature_rejected),
	    cmocka_unit_test(test_indefinite_payload),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
