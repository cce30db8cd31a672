/*
 * Admission: spod-host serves through an enclave connection only after the enclave proved,
 * with an attestation document for the host's own fresh nonce, that it runs the expected
 * image (PCRs) on a genuine NSM (chain to the pinned root). Checked on every (re)connect,
 * before anything else is sent on the connection.
 */
#include <string.h>
#include <sys/random.h>

#include "common/log.h"
#include "host/core/host_int.h"

#define ADMIT_MAX_AGE_S 300u

int host_admission_begin(struct host_enclave *e)
{
	uint8_t frame[SPOD_HDR_BYTES + 32 + sizeof(e->admit_nonce)];
	size_t len;

	e->stage = HOST_ENCLAVE_ATTESTING;
	if (getrandom(e->admit_nonce, sizeof(e->admit_nonce), 0) != (ssize_t)sizeof(e->admit_nonce))
		return SPOD_E_IO;
	SPOD_TRY(spod_wire_enc_attest(frame, sizeof(frame), &len, HOST_CTL_RID(e->index, 0), NULL,
	                              e->admit_nonce, sizeof(e->admit_nonce)));
	return host_enclave_send(e, frame, len);
}

int host_admission_answer(struct host_enclave *e, const struct spod_frame *f)
{
	const struct spod_host_config *cfg = &e->h->cfg;
	struct spod_attest_policy pol = {
	    .root = cfg->root,
	    .pcrs = cfg->pcrs,
	    .npcrs = cfg->npcrs,
	    .nonce = {e->admit_nonce, sizeof(e->admit_nonce)},
	    .max_age_s = ADMIT_MAX_AGE_S,
	};
	struct spod_attest_result res;
	struct spod_doc_view doc;
	int rc;

	e->refused = 1;
	if (f->hdr.request_id != HOST_CTL_RID(e->index, 0)) {
		spod_error("enclave connection %u answered before its attestation; refusing it",
		           e->index);
		return SPOD_E_PROTOCOL;
	}
	rc = spod_wire_doc_resp(&doc, f);
	if (rc < 0) {
		spod_error("enclave connection %u REFUSED: no attestation document (%s)", e->index,
		           spod_strerror(rc));
		return rc;
	}
	rc = spod_attest_verify(&res, doc.doc, doc.doc_len, &pol);
	if (rc < 0) {
		spod_error("enclave connection %u REFUSED: attestation failed [%s]: %s", e->index,
		           spod_attest_status_name(res.status), res.message);
		return rc;
	}
	e->refused = 0;
	spod_info("enclave connection %u admitted: %s", e->index, res.message);
	host_evidence_key(e, &res.user_data, doc.doc, doc.doc_len);
	return SPOD_OK;
}
