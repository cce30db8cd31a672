/*
 * spod_attest_verify: every check of include/spod/attest.h in its documented order, each
 * failure reported as a status plus a one-line message. The checks after the chain compare
 * the document with the caller's policy; none of them looks at secrets, so plain memcmp
 * is enough.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "attest/chain.h"
#include "attest/cose.h"
#include "common/bytes.h"
#include "spod/attest.h"
#include "spod/err.h"

/* 9999-12-31T23:59:59Z: the last instant an X.509 time can name. */
#define ATTEST_MAX_TIME 253402300799ull
#define MS_PER_S        1000u

static const char *const status_names[] = {
    [SPOD_ATTEST_OK] = "OK",
    [SPOD_ATTEST_BAD_POLICY] = "BAD_POLICY",
    [SPOD_ATTEST_MALFORMED] = "MALFORMED",
    [SPOD_ATTEST_BAD_LEAF] = "BAD_LEAF",
    [SPOD_ATTEST_BAD_SIGNATURE] = "BAD_SIGNATURE",
    [SPOD_ATTEST_BAD_CHAIN] = "BAD_CHAIN",
    [SPOD_ATTEST_CERT_EXPIRED] = "CERT_EXPIRED",
    [SPOD_ATTEST_CERT_NOT_YET_VALID] = "CERT_NOT_YET_VALID",
    [SPOD_ATTEST_PCR_MISSING] = "PCR_MISSING",
    [SPOD_ATTEST_PCR_ZERO] = "PCR_ZERO",
    [SPOD_ATTEST_PCR_MISMATCH] = "PCR_MISMATCH",
    [SPOD_ATTEST_NONCE_MISMATCH] = "NONCE_MISMATCH",
    [SPOD_ATTEST_FROM_FUTURE] = "FROM_FUTURE",
    [SPOD_ATTEST_STALE] = "STALE",
    [SPOD_ATTEST_KEY_BINDING] = "KEY_BINDING",
    [SPOD_ATTEST_INTERNAL] = "INTERNAL",
};

const char *spod_attest_status_name(enum spod_attest_status status)
{
	if ((unsigned)status >= sizeof status_names / sizeof status_names[0])
		return "UNKNOWN";
	return status_names[status];
}

/* Records a rejection and returns rc. */
static int reject(struct spod_attest_result *res, enum spod_attest_status status, int rc,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int reject(struct spod_attest_result *res, enum spod_attest_status status, int rc,
                  const char *fmt, ...)
{
	va_list ap;

	res->status = status;
	va_start(ap, fmt);
	vsnprintf(res->message, sizeof res->message, fmt, ap);
	va_end(ap);
	return rc;
}

int spod_attest_key_binding(uint8_t *out, size_t cap, size_t *out_len, uint8_t alg,
                            const uint8_t key_id[SPOD_ATTEST_BINDING_KEY_ID_BYTES],
                            const uint8_t *pub, size_t pub_len)
{
	size_t off = 0;

	if (pub_len > UINT8_MAX || cap < SPOD_ATTEST_BINDING_HEADER_BYTES ||
	    pub_len > cap - SPOD_ATTEST_BINDING_HEADER_BYTES)
		return SPOD_E_TOO_LARGE;
	memcpy(out, SPOD_ATTEST_BINDING_MAGIC, sizeof SPOD_ATTEST_BINDING_MAGIC - 1);
	off += sizeof SPOD_ATTEST_BINDING_MAGIC - 1;
	out[off++] = alg;
	memcpy(out + off, key_id, SPOD_ATTEST_BINDING_KEY_ID_BYTES);
	off += SPOD_ATTEST_BINDING_KEY_ID_BYTES;
	out[off++] = (uint8_t)pub_len;
	memcpy(out + off, pub, pub_len);
	*out_len = off + pub_len;
	return SPOD_OK;
}

static int check_policy(struct spod_attest_result *res, const struct spod_attest_policy *pol)
{
	if (pol->at > ATTEST_MAX_TIME)
		return reject(res, SPOD_ATTEST_BAD_POLICY, SPOD_E_BAD_ARG,
		              "validation time is after the year 9999");
	if (pol->npcrs > 0 && pol->pcrs == NULL)
		return reject(res, SPOD_ATTEST_BAD_POLICY, SPOD_E_BAD_ARG, "PCR list is NULL");
	for (size_t i = 0; i < pol->npcrs; i++) {
		const struct spod_attest_pcr_expect *e = &pol->pcrs[i];
		if (e->index >= SPOD_ATTEST_MAX_PCRS || e->value == NULL || e->len == 0 ||
		    e->len > SPOD_ATTEST_PCR_MAX_BYTES)
			return reject(res, SPOD_ATTEST_BAD_POLICY, SPOD_E_BAD_ARG,
			              "expected PCR #%zu has a bad index or value", i);
	}
	if (pol->nonce.ptr != NULL && pol->nonce.len > SPOD_ATTEST_NONCE_MAX)
		return reject(res, SPOD_ATTEST_BAD_POLICY, SPOD_E_BAD_ARG,
		              "expected nonce is over 512 bytes");
	if (pol->key_id != NULL && (pol->key_pub.ptr == NULL || pol->key_pub.len > UINT8_MAX))
		return reject(res, SPOD_ATTEST_BAD_POLICY, SPOD_E_BAD_ARG,
		              "key binding needs a public key of at most 255 bytes");
	return SPOD_OK;
}

/* Leaf key and COSE signature. On success *leaf holds the parsed leaf certificate. */
static int check_signature(struct spod_attest_result *res, X509 **leaf)
{
	const struct spod_attest_doc *d = &res->doc;
	EVP_PKEY *pub;
	int rc;

	*leaf = spod_attest_x509(d->certificate.ptr, d->certificate.len);
	if (*leaf == NULL)
		return reject(res, SPOD_ATTEST_BAD_LEAF, SPOD_E_BAD_SIGNATURE,
		              "certificate is not a DER X.509 certificate");
	pub = X509_get0_pubkey(*leaf);
	if (pub == NULL || !spod_cose_is_p384(pub)) {
		ERR_clear_error();
		return reject(res, SPOD_ATTEST_BAD_LEAF, SPOD_E_BAD_SIGNATURE,
		              "certificate's public key is not EC P-384");
	}
	rc = spod_cose_es384_verify(pub, d->protected_hdr.ptr, d->protected_hdr.len, d->payload.ptr,
	                            d->payload.len, d->signature.ptr);
	if (rc == SPOD_E_BAD_SIGNATURE)
		return reject(
		    res, SPOD_ATTEST_BAD_SIGNATURE, rc,
		    "COSE ES384 signature does not verify with the leaf certificate's key");
	if (rc < 0)
		return reject(res, SPOD_ATTEST_INTERNAL, rc, "signature check failed internally");
	return SPOD_OK;
}

static int check_pcrs(struct spod_attest_result *res, const struct spod_attest_policy *pol)
{
	for (size_t i = 0; i < pol->npcrs; i++) {
		const struct spod_attest_pcr_expect *e = &pol->pcrs[i];
		const struct spod_bytes *got = &res->doc.pcrs[e->index];

		if (got->ptr == NULL)
			return reject(res, SPOD_ATTEST_PCR_MISSING, SPOD_E_BAD_SIGNATURE,
			              "PCR%u is not in the document", (unsigned)e->index);
		if (spod_all_zero(got->ptr, got->len))
			return reject(res, SPOD_ATTEST_PCR_ZERO, SPOD_E_BAD_SIGNATURE,
			              "PCR%u is all zeros (debug-mode enclave?)",
			              (unsigned)e->index);
		if (got->len != e->len)
			return reject(res, SPOD_ATTEST_PCR_MISMATCH, SPOD_E_BAD_SIGNATURE,
			              "PCR%u is %zu bytes, expected %zu", (unsigned)e->index,
			              got->len, e->len);
		if (memcmp(got->ptr, e->value, e->len) != 0)
			return reject(res, SPOD_ATTEST_PCR_MISMATCH, SPOD_E_BAD_SIGNATURE,
			              "PCR%u differs from the expected value", (unsigned)e->index);
	}
	return SPOD_OK;
}

static int check_nonce(struct spod_attest_result *res, const struct spod_attest_policy *pol)
{
	const struct spod_bytes *got = &res->doc.nonce;

	if (pol->nonce.ptr == NULL)
		return SPOD_OK;
	if (got->ptr == NULL)
		return reject(res, SPOD_ATTEST_NONCE_MISMATCH, SPOD_E_BAD_SIGNATURE,
		              "document has no nonce");
	if (got->len != pol->nonce.len || CRYPTO_memcmp(got->ptr, pol->nonce.ptr, got->len) != 0)
		return reject(res, SPOD_ATTEST_NONCE_MISMATCH, SPOD_E_BAD_SIGNATURE,
		              "nonce differs from the expected one");
	return SPOD_OK;
}

static int check_freshness(struct spod_attest_result *res, const struct spod_attest_policy *pol)
{
	uint64_t ts = res->doc.timestamp_ms / MS_PER_S;
	uint64_t at = res->at;

	if (ts > at && ts - at > SPOD_ATTEST_FUTURE_SKEW_SECONDS)
		return reject(res, SPOD_ATTEST_FROM_FUTURE, SPOD_E_BAD_SIGNATURE,
		              "document time %" PRIu64 " is %" PRIu64
		              " s after the validation time (skew allowed: %u s)",
		              ts, ts - at, SPOD_ATTEST_FUTURE_SKEW_SECONDS);
	if (pol->max_age_s != 0 && at > ts && at - ts > pol->max_age_s)
		return reject(res, SPOD_ATTEST_STALE, SPOD_E_BAD_SIGNATURE,
		              "document is %" PRIu64 " s old, more than the %" PRIu64 " s allowed",
		              at - ts, pol->max_age_s);
	return SPOD_OK;
}

static int check_binding(struct spod_attest_result *res, const struct spod_attest_policy *pol)
{
	const struct spod_attest_user_data *ud = &res->user_data;

	if (pol->key_id == NULL)
		return SPOD_OK;
	if (pol->key_pub.ptr == NULL || pol->key_pub.len > UINT8_MAX)
		return reject(res, SPOD_ATTEST_BAD_POLICY, SPOD_E_BAD_ARG,
		              "expected key binding cannot be encoded");
	if (res->doc.user_data.ptr == NULL)
		return reject(res, SPOD_ATTEST_KEY_BINDING, SPOD_E_BAD_SIGNATURE,
		              "document has no user_data, so binds no key");
	if (!ud->has_key || ud->key_alg != pol->key_alg ||
	    memcmp(ud->key_id, pol->key_id, SPOD_ATTEST_BINDING_KEY_ID_BYTES) != 0 ||
	    ud->key_pub.len != pol->key_pub.len ||
	    memcmp(ud->key_pub.ptr, pol->key_pub.ptr, pol->key_pub.len) != 0)
		return reject(res, SPOD_ATTEST_KEY_BINDING, SPOD_E_BAD_SIGNATURE,
		              "user_data is not the binding of the expected key");
	return SPOD_OK;
}

int spod_attest_verify(struct spod_attest_result *res, const uint8_t *doc, size_t len,
                       const struct spod_attest_policy *pol)
{
	X509 *leaf = NULL;
	X509 *root = NULL;
	enum spod_attest_status chain_status;
	int rc;

	memset(res, 0, sizeof *res);
	res->status = SPOD_ATTEST_INTERNAL;
	SPOD_GUARD(rc, check_policy(res, pol));
	res->at = pol->at != 0 ? pol->at : (uint64_t)time(NULL);

	rc = spod_attest_parse(&res->doc, doc, len);
	if (rc < 0) {
		rc = reject(res, SPOD_ATTEST_MALFORMED, rc, "%s", res->doc.error);
		goto out;
	}
	rc = spod_attest_load_root(&root, pol->root);
	if (rc == SPOD_E_BAD_ARG) {
		rc = reject(res, SPOD_ATTEST_BAD_POLICY, rc, "pinned root is not a certificate");
		goto out;
	}
	if (rc < 0) {
		rc = reject(res, SPOD_ATTEST_INTERNAL, rc, "embedded AWS root failed to load");
		goto out;
	}
	SPOD_GUARD(rc, check_signature(res, &leaf));
	rc = spod_attest_check_chain(&chain_status, res->message, sizeof res->message, &res->doc,
	                             leaf, root, res->at);
	if (rc < 0) {
		res->status = chain_status;
		goto out;
	}
	SPOD_GUARD(rc, check_pcrs(res, pol));
	SPOD_GUARD(rc, check_nonce(res, pol));
	SPOD_GUARD(rc, check_freshness(res, pol));
	/* spod's user_data, for the key binding and for the caller (the seal state). */
	if (spod_attest_user_data_parse(&res->user_data, res->doc.user_data.ptr,
	                                res->doc.user_data.len) < 0) {
		rc = reject(res, SPOD_ATTEST_KEY_BINDING, SPOD_E_BAD_SIGNATURE,
		            "user_data has spod's magic but a malformed body");
		goto out;
	}
	SPOD_GUARD(rc, check_binding(res, pol));
	res->status = SPOD_ATTEST_OK;
	snprintf(res->message, sizeof res->message,
	         "document verified: signature, chain to the pinned root at %" PRIu64
	         ", %zu expected PCR(s)%s%s%s",
	         res->at, pol->npcrs, pol->nonce.ptr != NULL ? ", nonce" : "",
	         pol->max_age_s != 0 ? ", freshness" : "",
	         pol->key_id != NULL ? ", key binding" : "");
	rc = SPOD_OK;
out:
	X509_free(leaf);
	X509_free(root);
	return rc;
}
