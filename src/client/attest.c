/*
 * libspod: what the pod proves about itself. spod_client_attest fetches an attestation
 * document; spod_client_check_pod fetches one for a fresh random nonce and verifies it.
 */
#include "spod/client.h"

#include <string.h>
#include <sys/random.h>

#include "client/client_int.h"
#include "transport/conn.h"

int spod_client_attest(struct spod_client *c, uint8_t *doc, size_t cap, size_t *doc_len,
                       const uint8_t *key_id, const uint8_t *nonce, size_t nonce_len)
{
	struct spod_doc_view v;
	struct spod_frame f;
	size_t need = SPOD_HDR_BYTES + 32 + nonce_len, len;
	uint64_t rid;
	uint8_t *buf;

	*doc_len = 0;
	if (nonce_len > SPOD_NONCE_MAX_BYTES)
		return SPOD_E_TOO_LARGE;
	SYNC_BEGIN(c, need, rid, buf);
	SPOD_TRY(spod_wire_enc_attest(buf, need, &len, rid, key_id, nonce, nonce_len));
	spod_conn_tx_commit(&c->c, len);
	SPOD_TRY(client_roundtrip(c, &f, rid));
	SPOD_TRY(spod_wire_doc_resp(&v, &f));
	if (v.doc_len > cap)
		return SPOD_E_TOO_LARGE;
	memcpy(doc, v.doc, v.doc_len);
	*doc_len = v.doc_len;
	return SPOD_OK;
}

int spod_client_check_pod(struct spod_client *c, struct spod_attest_result *res, uint8_t *doc,
                          size_t cap, const struct spod_attest_policy *pol, const uint8_t *key_id)
{
	struct spod_attest_policy p = *pol;
	uint8_t nonce[32];
	size_t doc_len;

	memset(res, 0, sizeof(*res));
	if (getrandom(nonce, sizeof(nonce), 0) != (ssize_t)sizeof(nonce))
		return SPOD_E_IO;
	SPOD_TRY(spod_client_attest(c, doc, cap, &doc_len, key_id, nonce, sizeof(nonce)));
	p.nonce = (struct spod_bytes){nonce, sizeof(nonce)};
	return spod_attest_verify(res, doc, doc_len, &p);
}
