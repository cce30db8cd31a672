/*
 * spod-enclave's evidence (docs/evidence.md): the Ed25519 evidence key made at boot (its
 * private half in secmem, wiped at exit; its public half in every attestation document's
 * user_data), the per-boot record counter, the last audit head it signed, and the batches of
 * records each connection accumulates until the server signs them into one evidence frame.
 *
 * Counters are given when a batch is signed, not when a record is made: a connection held up
 * by back-pressure keeps its records while others sign theirs, and every signed batch still
 * covers a contiguous counter range. Not thread-safe: the enclave's event loop owns it all,
 * except that a signing worker fills the batch of its own job (enclave/workers.h), which the
 * loop then appends to the connection's.
 */
#ifndef SPOD_ENCLAVE_EVIDENCE_H
#define SPOD_ENCLAVE_EVIDENCE_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/sign.h"
#include "evidence/evidence.h"

struct spod_enclave_evidence {
	struct spod_secret_key *sk; /* secmem; NULL until spod_enclave_evidence_init */
	uint8_t pub[SPOD_EVIDENCE_PUB_BYTES];
	uint64_t counter;  /* the last counter signed into a batch; 0: none yet */
	uint64_t head_seq; /* the last audit head signed (0 and zeros: none) */
	uint8_t head_hash[32];
	uint8_t *leaves; /* SPOD_EVIDENCE_BATCH_MAX * 32 bytes: scratch for the Merkle root */
};

/* One connection's records not signed yet. Zero-filled is empty; free with _batch_free. */
struct spod_ev_batch {
	uint32_t count;
	uint8_t *recs; /* SPOD_EVIDENCE_BATCH_MAX records, allocated with the first one */
};

/*
 * Makes the evidence key (Ed25519, in secmem). Returns SPOD_OK, SPOD_E_NOMEM or
 * SPOD_E_CRYPTO (ev is left empty; spod_enclave_evidence_free is still safe).
 */
int spod_enclave_evidence_init(struct spod_enclave_evidence *ev)
    __attribute__((warn_unused_result, nonnull));

/* Wipes and frees the key and the scratch. Safe on a zero-filled or freed ev. */
void spod_enclave_evidence_free(struct spod_enclave_evidence *ev) __attribute__((nonnull));

/*
 * Appends r (its counter is ignored: given when signed) to b. SPOD_OK, SPOD_E_TOO_LARGE (b
 * holds SPOD_EVIDENCE_BATCH_MAX records already) or SPOD_E_NOMEM.
 */
int spod_ev_batch_add(struct spod_ev_batch *b, const struct spod_evidence_rec *r)
    __attribute__((warn_unused_result, nonnull));

/*
 * Appends src's records to dst, src unchanged. SPOD_OK, SPOD_E_TOO_LARGE (they do not fit
 * under SPOD_EVIDENCE_BATCH_MAX; dst unchanged) or SPOD_E_NOMEM.
 */
int spod_ev_batch_append(struct spod_ev_batch *dst, const struct spod_ev_batch *src)
    __attribute__((warn_unused_result, nonnull));

/* The length of the evidence frame b's records make (0 when b is empty). */
size_t spod_ev_batch_frame_bytes(const struct spod_ev_batch *b) __attribute__((nonnull));

/* Forgets b's records and frees its buffer. */
void spod_ev_batch_free(struct spod_ev_batch *b) __attribute__((nonnull));

/*
 * Gives b's records the next counters, signs spod_evidence_root_msg over their Merkle root
 * with the evidence key and writes the evidence frame (opcode 0x60, request id 0) to
 * out[0..cap), cap >= spod_ev_batch_frame_bytes(b). Empties b on success. Returns SPOD_OK with
 * *len, SPOD_E_BAD_ARG (b empty, no key), SPOD_E_TOO_LARGE (cap short) or SPOD_E_CRYPTO (then
 * b keeps its records and no counter is used).
 */
int spod_enclave_evidence_seal(struct spod_enclave_evidence *ev, struct spod_ev_batch *b,
                               uint8_t *out, size_t cap, size_t *len)
    __attribute__((warn_unused_result, nonnull));

/*
 * Signs spod_evidence_head_msg(pub, seq, hash, counter, nonce) into sig (64 bytes).
 * SPOD_OK, SPOD_E_BAD_ARG (no key, nonce too long) or SPOD_E_CRYPTO.
 */
int spod_enclave_evidence_sign_head(const struct spod_enclave_evidence *ev, uint64_t seq,
                                    const uint8_t hash[32], const uint8_t *nonce, size_t nonce_len,
                                    uint8_t sig[SPOD_EVIDENCE_SIG_BYTES])
    __attribute__((warn_unused_result, nonnull(1, 3, 6)));

#endif
