/*
 * The evidence opcodes of the wire protocol (docs/protocol.md, "Evidence"; docs/evidence.md):
 *
 *   evidence    (0x60) sent by spod-enclave, unasked, on the connection whose requests it
 *               answered (request id 0, the RESPONSE flag): a batch of evidence records (one
 *               per sign, sign.batch item and sign.tx answered) and the evidence key's
 *               signature over their Merkle root. spod-host stores them; nobody sends it to
 *               the enclave (a request with this opcode is refused).
 *   audit.head  (0x61) mode SIGN (spod-host only): the enclave signs the audit log's head
 *               (seq and hash) with its evidence key, and refuses a head that goes back from the
 *               last one it signed. Mode QUERY (any token that may list): the enclave signs
 *               the last head it signed and its evidence counter for the caller's nonce.
 *
 * Included by spod/wire.h; not meant to be included alone.
 */
#ifndef SPOD_WIRE_EVIDENCE_H
#define SPOD_WIRE_EVIDENCE_H

#include <stddef.h>
#include <stdint.h>

#define SPOD_EVIDENCE_REC_WIRE_BYTES 160u  /* one record (src/evidence/evidence.h) */
#define SPOD_EVIDENCE_WIRE_MAX       1024u /* most records in one evidence frame */
#define SPOD_AUDIT_NONCE_MAX_BYTES   64u

enum spod_audit_head_mode {
	SPOD_AUDIT_HEAD_SIGN = 1,  /* spod-host: sign this head (it must not go back) */
	SPOD_AUDIT_HEAD_QUERY = 2, /* anyone: the last head signed and the counter, for a nonce */
};

/* An evidence frame, read in place. */
struct spod_evidence_view {
	const uint8_t *pub;     /* 32: the enclave's evidence public key (Ed25519) */
	uint64_t first;         /* counter of the first record; the others follow one by one */
	uint32_t count;         /* 1..SPOD_EVIDENCE_WIRE_MAX */
	const uint8_t *sig;     /* 64: Ed25519 over spod_evidence_root_msg */
	const uint8_t *records; /* count * SPOD_EVIDENCE_REC_WIRE_BYTES */
};

/* audit.head request and answer. */
struct spod_audit_head_view {
	uint8_t mode;         /* request: enum spod_audit_head_mode; answer: as asked */
	uint8_t nonce_len;    /* 0..SPOD_AUDIT_NONCE_MAX_BYTES */
	const uint8_t *nonce; /* nonce_len bytes (NULL when 0) */
	uint64_t seq;         /* the head: its seq (0: none signed yet, answers to QUERY) */
	const uint8_t *hash;  /* 32: the head's hash */
	/* answers only */
	const uint8_t *pub; /* 32: the evidence public key that signed */
	uint64_t counter;   /* the last evidence record the enclave made when it signed */
	const uint8_t *sig; /* 64: Ed25519 over spod_evidence_head_msg */
};

/*
 * evidence frame (spod-host reads it): SPOD_E_BAD_FIELD (not a RESPONSE with request id 0
 * and status 0, a reserved byte, count 0 or above the cap, first 0 or a counter range that
 * wraps), SPOD_E_BAD_LENGTH (body not the fixed part plus count records).
 */
int spod_wire_evidence(struct spod_evidence_view *v, const struct spod_frame *f)
    __attribute__((warn_unused_result, nonnull));
/* Writes an evidence frame (enclave); records are copied. SPOD_OK, SPOD_E_BAD_ARG, or
 * SPOD_E_TOO_LARGE (cap short). */
int spod_wire_put_evidence(uint8_t *out, size_t cap, size_t *out_len, const uint8_t pub[32],
                           uint64_t first, uint32_t count, const uint8_t sig[64],
                           const uint8_t *records) __attribute__((warn_unused_result, nonnull));

/* audit.head request: SPOD_E_BAD_LENGTH, or SPOD_E_BAD_FIELD (mode, nonce length, a reserved
 * or unused nonce byte not zero). */
int spod_wire_audit_head_req(struct spod_audit_head_view *v, const struct spod_frame *f)
    __attribute__((warn_unused_result, nonnull));
/* hash may be NULL for QUERY (zeros are sent). */
int spod_wire_enc_audit_head(uint8_t *out, size_t cap, size_t *out_len, uint64_t rid, uint8_t mode,
                             uint64_t seq, const uint8_t *hash, const uint8_t *nonce,
                             size_t nonce_len) __attribute__((warn_unused_result, nonnull(1, 3)));
/* The answer: written by the enclave from a filled view, read by clients (status checked). */
int spod_wire_put_audit_head(uint8_t *out, size_t cap, size_t *out_len, uint64_t rid,
                             const struct spod_audit_head_view *v)
    __attribute__((warn_unused_result, nonnull));
int spod_wire_audit_head_resp(struct spod_audit_head_view *v, const struct spod_frame *f)
    __attribute__((warn_unused_result, nonnull));

#endif
