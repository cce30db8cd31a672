/*
 * Building attestation documents (src/attest/doc.h) for the simulated NSM.
 *
 * The payload is encoded deterministically, as serde_cbor encodes AWS's AttestationDoc:
 * a definite-length map of the nine keys in declaration order, shortest-form heads, PCRs
 * in ascending index order, absent optional fields as null. It is encoded into a scratch
 * buffer (it must be complete before it can be signed), then signed and wrapped into the
 * COSE_Sign1 envelope in the caller's buffer by spod_cose_sign1_es384.
 */
#include <stdlib.h>
#include <string.h>

#include "attest/cbor.h"
#include "attest/cose.h"
#include "attest/doc.h"
#include "spod/err.h"

static int put_key(struct spod_cbor_writer *w, const char *key)
{
	return spod_cbor_put_str(w, SPOD_CBOR_MT_TSTR, key, strlen(key));
}

static int put_optional(struct spod_cbor_writer *w, const char *key, struct spod_bytes b)
{
	SPOD_TRY(put_key(w, key));
	if (b.ptr == NULL)
		return spod_cbor_put_null(w);
	return spod_cbor_put_str(w, SPOD_CBOR_MT_BSTR, b.ptr, b.len);
}

static int check_input(const struct spod_attest_doc_in *in)
{
	size_t id_len;

	if (in->module_id == NULL)
		return SPOD_E_BAD_ARG;
	id_len = strlen(in->module_id);
	if (id_len == 0)
		return SPOD_E_BAD_ARG;
	for (size_t i = 0; i < id_len; i++)
		if ((unsigned char)in->module_id[i] < 0x20 ||
		    (unsigned char)in->module_id[i] > 0x7e)
			return SPOD_E_BAD_ARG;
	if (in->timestamp_ms == 0 || in->pcrs == NULL || in->npcrs == 0 ||
	    in->npcrs > SPOD_ATTEST_MAX_PCRS)
		return SPOD_E_BAD_ARG;
	if (in->certificate.ptr == NULL || in->certificate.len == 0 ||
	    in->certificate.len > SPOD_ATTEST_CERT_MAX_BYTES)
		return SPOD_E_BAD_ARG;
	if (in->cabundle == NULL || in->ncabundle == 0 || in->ncabundle > SPOD_ATTEST_MAX_CABUNDLE)
		return SPOD_E_BAD_ARG;
	for (uint32_t i = 0; i < in->ncabundle; i++)
		if (in->cabundle[i].ptr == NULL || in->cabundle[i].len == 0 ||
		    in->cabundle[i].len > SPOD_ATTEST_CERT_MAX_BYTES)
			return SPOD_E_BAD_ARG;
	if ((in->public_key.ptr != NULL && in->public_key.len > SPOD_ATTEST_PUBLIC_KEY_MAX) ||
	    (in->user_data.ptr != NULL && in->user_data.len > SPOD_ATTEST_USER_DATA_MAX) ||
	    (in->nonce.ptr != NULL && in->nonce.len > SPOD_ATTEST_NONCE_MAX))
		return SPOD_E_BAD_ARG;
	return SPOD_OK;
}

/* The AttestationDoc map, keys in AWS's declaration order. */
static int encode_payload(struct spod_cbor_writer *w, const struct spod_attest_doc_in *in)
{
	static const char digest[] = "SHA384";

	SPOD_TRY(spod_cbor_put_head(w, SPOD_CBOR_MT_MAP, 9));
	SPOD_TRY(put_key(w, "module_id"));
	SPOD_TRY(spod_cbor_put_str(w, SPOD_CBOR_MT_TSTR, in->module_id, strlen(in->module_id)));
	SPOD_TRY(put_key(w, "digest"));
	SPOD_TRY(spod_cbor_put_str(w, SPOD_CBOR_MT_TSTR, digest, sizeof digest - 1));
	SPOD_TRY(put_key(w, "timestamp"));
	SPOD_TRY(spod_cbor_put_head(w, SPOD_CBOR_MT_UINT, in->timestamp_ms));
	SPOD_TRY(put_key(w, "pcrs"));
	SPOD_TRY(spod_cbor_put_head(w, SPOD_CBOR_MT_MAP, in->npcrs));
	for (uint32_t i = 0; i < in->npcrs; i++) {
		SPOD_TRY(spod_cbor_put_head(w, SPOD_CBOR_MT_UINT, i));
		SPOD_TRY(
		    spod_cbor_put_str(w, SPOD_CBOR_MT_BSTR, in->pcrs[i], SPOD_ATTEST_PCR_BYTES));
	}
	SPOD_TRY(put_key(w, "certificate"));
	SPOD_TRY(spod_cbor_put_str(w, SPOD_CBOR_MT_BSTR, in->certificate.ptr, in->certificate.len));
	SPOD_TRY(put_key(w, "cabundle"));
	SPOD_TRY(spod_cbor_put_head(w, SPOD_CBOR_MT_ARRAY, in->ncabundle));
	for (uint32_t i = 0; i < in->ncabundle; i++)
		SPOD_TRY(spod_cbor_put_str(w, SPOD_CBOR_MT_BSTR, in->cabundle[i].ptr,
		                           in->cabundle[i].len));
	SPOD_TRY(put_optional(w, "public_key", in->public_key));
	SPOD_TRY(put_optional(w, "user_data", in->user_data));
	SPOD_TRY(put_optional(w, "nonce", in->nonce));
	return SPOD_OK;
}

int spod_attest_doc_sign(uint8_t *out, size_t cap, size_t *out_len,
                         const struct spod_attest_doc_in *in, EVP_PKEY *leaf_key)
{
	struct spod_cbor_writer w;
	uint8_t *payload;
	int rc;

	SPOD_TRY(check_input(in));
	payload = malloc(SPOD_ATTEST_DOC_MAX_BYTES);
	if (payload == NULL)
		return SPOD_E_NOMEM;
	spod_cbor_writer_init(&w, payload, SPOD_ATTEST_DOC_MAX_BYTES);
	rc = encode_payload(&w, in);
	if (rc == SPOD_E_TOO_LARGE) /* the fields together exceed what a document may hold */
		rc = SPOD_E_BAD_ARG;
	if (rc < 0)
		goto out;
	rc = spod_cose_sign1_es384(out, cap, out_len, payload, w.len, leaf_key);
	if (rc == SPOD_OK && *out_len > SPOD_ATTEST_DOC_MAX_BYTES)
		rc = SPOD_E_BAD_ARG;
out:
	free(payload);
	return rc;
}
