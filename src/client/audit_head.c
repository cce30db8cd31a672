/*
 * libspod's audit.head QUERY (docs/evidence.md): the last audit head the enclave signed, and
 * its evidence counter, signed for the caller's nonce. Checking the signature and the head
 * against a database is the caller's (`spod audit verify --live`).
 */
#include <string.h>

#include "client/client_int.h"

/* Room for the request: header, fixed part and the longest nonce, with margin. */
#define AUDIT_HEAD_REQ_ROOM (SPOD_HDR_BYTES + 64u + SPOD_AUDIT_NONCE_MAX_BYTES)

int spod_client_audit_head(struct spod_client *c, struct spod_audit_head_info *out,
                           const uint8_t *nonce, size_t nonce_len)
{
	struct spod_audit_head_view v;
	struct spod_frame f;
	uint64_t rid;
	uint8_t *buf;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (nonce_len > SPOD_AUDIT_NONCE_MAX_BYTES || (nonce_len > 0 && nonce == NULL))
		return SPOD_E_BAD_ARG;
	SYNC_BEGIN(c, AUDIT_HEAD_REQ_ROOM, rid, buf);
	SPOD_TRY(spod_wire_enc_audit_head(buf, AUDIT_HEAD_REQ_ROOM, &n, rid, SPOD_AUDIT_HEAD_QUERY,
	                                  0, NULL, nonce, nonce_len));
	spod_conn_tx_commit(&c->c, n);
	SPOD_TRY(client_roundtrip(c, &f, rid));
	SPOD_TRY(spod_wire_audit_head_resp(&v, &f));
	/* The nonce must come back: else the signature is not over this question. */
	if (v.mode != SPOD_AUDIT_HEAD_QUERY || v.nonce_len != nonce_len ||
	    (nonce_len > 0 && memcmp(v.nonce, nonce, nonce_len) != 0))
		return SPOD_E_PROTOCOL;
	out->seq = v.seq;
	memcpy(out->hash, v.hash, sizeof(out->hash));
	memcpy(out->pub, v.pub, sizeof(out->pub));
	out->counter = v.counter;
	memcpy(out->sig, v.sig, sizeof(out->sig));
	return SPOD_OK;
}
