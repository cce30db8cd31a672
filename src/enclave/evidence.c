/* The enclave's evidence key, counter and per-connection batches (enclave/evidence.h). */
#include "enclave/evidence.h"

#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "crypto/secmem.h"
#include "spod/wire.h"

_Static_assert(SPOD_EVIDENCE_BATCH_MAX == SPOD_EVIDENCE_WIRE_MAX &&
                   SPOD_EVIDENCE_RECORD_BYTES == SPOD_EVIDENCE_REC_WIRE_BYTES,
               "a full batch is one evidence frame");
#define EV_FRAME_FIXED 112u /* the frame body's fixed part (wire/layout.h, EV_FIXED) */

_Static_assert(SPOD_HDR_BYTES + EV_FRAME_FIXED +
                       SPOD_EVIDENCE_BATCH_MAX * SPOD_EVIDENCE_RECORD_BYTES <=
                   SPOD_FRAME_MAX_BYTES,
               "a full evidence frame is a legal frame");

int spod_enclave_evidence_init(struct spod_enclave_evidence *ev)
{
	uint8_t pub[SPOD_PUB_MAX_BYTES];
	size_t pub_len;
	int rc;

	memset(ev, 0, sizeof(*ev));
	ev->leaves = malloc(SPOD_EVIDENCE_BATCH_MAX * 32u);
	ev->sk = spod_secmem_alloc(sizeof(*ev->sk));
	if (ev->leaves == NULL || ev->sk == NULL) {
		spod_enclave_evidence_free(ev);
		return SPOD_E_NOMEM;
	}
	memset(ev->sk, 0, sizeof(*ev->sk));
	rc = spod_key_generate(ev->sk, pub, &pub_len, SPOD_ALG_ED25519);
	if (rc == SPOD_OK && pub_len != SPOD_EVIDENCE_PUB_BYTES)
		rc = SPOD_E_CRYPTO;
	if (rc < 0) {
		spod_enclave_evidence_free(ev);
		return rc;
	}
	memcpy(ev->pub, pub, SPOD_EVIDENCE_PUB_BYTES);
	return SPOD_OK;
}

void spod_enclave_evidence_free(struct spod_enclave_evidence *ev)
{
	if (ev->sk != NULL) {
		spod_key_wipe(ev->sk);
		spod_secmem_free(ev->sk);
	}
	free(ev->leaves);
	memset(ev, 0, sizeof(*ev));
}

int spod_ev_batch_add(struct spod_ev_batch *b, const struct spod_evidence_rec *r)
{
	if (b->count >= SPOD_EVIDENCE_BATCH_MAX)
		return SPOD_E_TOO_LARGE;
	if (b->recs == NULL) {
		/* Kept until the connection closes: no allocation per wake-up. */
		b->recs = malloc((size_t)SPOD_EVIDENCE_BATCH_MAX * SPOD_EVIDENCE_RECORD_BYTES);
		if (b->recs == NULL)
			return SPOD_E_NOMEM;
	}
	spod_evidence_rec_encode(b->recs + (size_t)b->count * SPOD_EVIDENCE_RECORD_BYTES, r);
	b->count++;
	return SPOD_OK;
}

int spod_ev_batch_append(struct spod_ev_batch *dst, const struct spod_ev_batch *src)
{
	if (src->count == 0)
		return SPOD_OK;
	if (src->count > SPOD_EVIDENCE_BATCH_MAX - dst->count)
		return SPOD_E_TOO_LARGE;
	if (dst->recs == NULL) {
		dst->recs = malloc((size_t)SPOD_EVIDENCE_BATCH_MAX * SPOD_EVIDENCE_RECORD_BYTES);
		if (dst->recs == NULL)
			return SPOD_E_NOMEM;
	}
	memcpy(dst->recs + (size_t)dst->count * SPOD_EVIDENCE_RECORD_BYTES, src->recs,
	       (size_t)src->count * SPOD_EVIDENCE_RECORD_BYTES);
	dst->count += src->count;
	return SPOD_OK;
}

size_t spod_ev_batch_frame_bytes(const struct spod_ev_batch *b)
{
	if (b->count == 0)
		return 0;
	return SPOD_HDR_BYTES + EV_FRAME_FIXED + (size_t)b->count * SPOD_EVIDENCE_RECORD_BYTES;
}

void spod_ev_batch_free(struct spod_ev_batch *b)
{
	free(b->recs);
	b->recs = NULL;
	b->count = 0;
}

int spod_enclave_evidence_seal(struct spod_enclave_evidence *ev, struct spod_ev_batch *b,
                               uint8_t *out, size_t cap, size_t *len)
{
	uint8_t root[32], msg[SPOD_EVIDENCE_ROOT_MSG_BYTES], sig[SPOD_SIG_MAX_BYTES], recid;
	uint64_t first = ev->counter + 1;
	size_t sig_len;
	uint8_t *rec;

	*len = 0;
	if (b->count == 0 || ev->sk == NULL || ev->leaves == NULL)
		return SPOD_E_BAD_ARG;
	if (cap < spod_ev_batch_frame_bytes(b))
		return SPOD_E_TOO_LARGE;
	for (uint32_t i = 0; i < b->count; i++) {
		rec = b->recs + (size_t)i * SPOD_EVIDENCE_RECORD_BYTES;
		spod_put_le64(rec + EVREC_COUNTER, first + i);
		spod_evidence_leaf(ev->leaves + (size_t)i * 32, rec);
	}
	SPOD_TRY(spod_evidence_root(root, ev->leaves, b->count));
	spod_evidence_root_msg(msg, ev->pub, first, b->count, root);
	SPOD_TRY(spod_sign(sig, &sig_len, &recid, ev->sk, SPOD_MODE_RAW, msg, sizeof(msg)));
	SPOD_TRY(spod_wire_put_evidence(out, cap, len, ev->pub, first, b->count, sig, b->recs));
	ev->counter += b->count;
	b->count = 0;
	return SPOD_OK;
}

int spod_enclave_evidence_sign_head(const struct spod_enclave_evidence *ev, uint64_t seq,
                                    const uint8_t hash[32], const uint8_t *nonce, size_t nonce_len,
                                    uint8_t sig[SPOD_EVIDENCE_SIG_BYTES])
{
	uint8_t msg[SPOD_EVIDENCE_HEAD_MSG_MAX], full[SPOD_SIG_MAX_BYTES], recid;
	size_t msg_len, sig_len;

	if (ev->sk == NULL)
		return SPOD_E_BAD_ARG;
	SPOD_TRY(spod_evidence_head_msg(msg, &msg_len, ev->pub, seq, hash, ev->counter, nonce,
	                                nonce_len));
	SPOD_TRY(spod_sign(full, &sig_len, &recid, ev->sk, SPOD_MODE_RAW, msg, msg_len));
	memcpy(sig, full, SPOD_EVIDENCE_SIG_BYTES);
	return SPOD_OK;
}
