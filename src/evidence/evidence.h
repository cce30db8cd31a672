/*
 * Signed evidence (docs/evidence.md): the records spod-enclave makes of every signing decision,
 * the Merkle tree over a batch of them, and the byte strings its evidence key signs.
 *
 * The enclave holds an Ed25519 evidence key, made at boot and attested (user_data record 4,
 * docs/attestation.md). For every sign, sign.batch item and sign.tx it answers, it makes an
 * evidence record (SPOD_EVIDENCE_RECORD_BYTES, fixed layout below) with a per-boot counter;
 * after answering a wake-up's requests it signs one root over that batch of records
 * (RFC 9162 Merkle tree hash) and sends the records and the signature to spod-host, which
 * stores them with an inclusion proof per record. The enclave also signs the audit log's head
 * when spod-host asks (signed heads), refusing one that goes back.
 *
 * Everything here is pure (no I/O, no state, no allocation): the enclave, spod-host and the
 * CLI's `spod audit verify` share it, so what is signed and what is checked cannot drift.
 * The Merkle tree is written here because it is 60 lines on SHA-256 and no library the
 * project links has one (OpenSSL, libsodium: none).
 */
#ifndef SPOD_EVIDENCE_H
#define SPOD_EVIDENCE_H

#include <stddef.h>
#include <stdint.h>

#include "spod/err.h"

#define SPOD_EVIDENCE_VERSION       1u
#define SPOD_EVIDENCE_RECORD_BYTES  160u
#define SPOD_EVIDENCE_RULE_ID_BYTES 64u   /* = SPOD_POLICY_ID_MAX_BYTES, NUL padded */
#define SPOD_EVIDENCE_BATCH_MAX     1024u /* most records under one signed root */
#define SPOD_EVIDENCE_PROOF_MAX     10u   /* log2(SPOD_EVIDENCE_BATCH_MAX) hashes */
#define SPOD_EVIDENCE_PUB_BYTES     32u
#define SPOD_EVIDENCE_SIG_BYTES     64u
#define SPOD_EVIDENCE_NONCE_MAX     64u

/* Record byte offsets (little-endian integers). */
#define EVREC_VERSION 0  /* u8: SPOD_EVIDENCE_VERSION */
#define EVREC_OPCODE  1  /* u8: sign (0x20), sign.batch (0x21, one record per item), sign.tx */
#define EVREC_MODE    2  /* u8: the sign mode; for sign.tx the chain */
#define EVREC_FORM    3  /* u8: the sign.tx form (0 transaction); 0 otherwise */
#define EVREC_STATUS  4  /* i32: SPOD_OK or the SPOD_E_* the answer carried */
#define EVREC_COUNTER 8  /* u64: 1, 2, 3, ... per enclave boot (per evidence key) */
#define EVREC_KEY_ID  16 /* 16: the key named by the request */
#define EVREC_DIGEST  32 /* 32: the request digest (spod_evidence_sign_digest, audit's) */
#define EVREC_POLICY  64 /* 32: SHA-256 of the key's policy CBOR; zero: no policy */
#define EVREC_RULE_ID 96 /* 64: the deciding rule's id, NUL padded; empty: no policy */

/* A record's fields, for writing and reading. */
struct spod_evidence_rec {
	uint8_t opcode, mode, form;
	int32_t status;
	uint64_t counter;
	uint8_t key_id[16];
	uint8_t digest[32];
	uint8_t policy_hash[32]; /* all zero: the key has no policy */
	char rule_id[SPOD_EVIDENCE_RULE_ID_BYTES + 1];
};

/* Writes r into out (SPOD_EVIDENCE_RECORD_BYTES); a rule id longer than 64 bytes is cut. */
void spod_evidence_rec_encode(uint8_t out[SPOD_EVIDENCE_RECORD_BYTES],
                              const struct spod_evidence_rec *r) __attribute__((nonnull));

/*
 * Reads a record. SPOD_OK, or SPOD_E_BAD_FIELD (another version, a rule id with bytes after
 * its NUL padding starts or not valid text).
 */
int spod_evidence_rec_decode(struct spod_evidence_rec *r,
                             const uint8_t in[SPOD_EVIDENCE_RECORD_BYTES])
    __attribute__((warn_unused_result, nonnull));

/*
 * The request digest a record (and spod-host's audit record) carries for a sign item: the
 * 32-byte digest itself in digest mode, SHA-256 of the message in every other mode.
 */
void spod_evidence_sign_digest(uint8_t out[32], uint8_t mode, const uint8_t *data, size_t len)
    __attribute__((nonnull(1)));

/* RFC 9162 leaf hash: SHA-256(0x00 || record). */
void spod_evidence_leaf(uint8_t out[32], const uint8_t rec[SPOD_EVIDENCE_RECORD_BYTES])
    __attribute__((nonnull));

/*
 * RFC 9162 Merkle tree hash of n leaf hashes (leaves: n * 32 bytes), 1 <= n <=
 * SPOD_EVIDENCE_BATCH_MAX. SPOD_OK or SPOD_E_BAD_ARG.
 */
int spod_evidence_root(uint8_t out[32], const uint8_t *leaves, size_t n)
    __attribute__((warn_unused_result, nonnull));

/*
 * The inclusion proof (RFC 9162 §2.1.3.1) of leaf m among n: *len hashes of 32 bytes into
 * proof (room for SPOD_EVIDENCE_PROOF_MAX). SPOD_OK or SPOD_E_BAD_ARG.
 */
int spod_evidence_proof(uint8_t proof[SPOD_EVIDENCE_PROOF_MAX * 32], size_t *len,
                        const uint8_t *leaves, size_t n, size_t m)
    __attribute__((warn_unused_result, nonnull));

/*
 * Every proof of a batch at once, without the quadratic cost of spod_evidence_proof per leaf:
 * the tree is kept level by level (a level's odd last node moves up unchanged, which gives
 * RFC 9162's tree). spod_evidence_tree_hashes(n) is how many 32-byte hashes tree must hold;
 * tree[0..n) holds the leaf hashes when spod_evidence_tree_build is called, and the root is
 * the last hash after it. SPOD_OK or SPOD_E_BAD_ARG (n).
 */
size_t spod_evidence_tree_hashes(size_t n);
int spod_evidence_tree_build(uint8_t *tree, size_t n) __attribute__((warn_unused_result, nonnull));
/* Leaf m's proof from a built tree, as spod_evidence_proof gives it. */
int spod_evidence_tree_proof(uint8_t proof[SPOD_EVIDENCE_PROOF_MAX * 32], size_t *len,
                             const uint8_t *tree, size_t n, size_t m)
    __attribute__((warn_unused_result, nonnull));

/*
 * Checks an inclusion proof (RFC 9162 §2.1.3.2): leaf m of n with proof_len hashes gives root.
 * SPOD_OK, or SPOD_E_BAD_SIGNATURE when it does not (SPOD_E_BAD_ARG: m >= n, too long).
 */
int spod_evidence_proof_check(const uint8_t leaf[32], size_t m, size_t n, const uint8_t *proof,
                              size_t proof_len, const uint8_t root[32])
    __attribute__((warn_unused_result, nonnull(1, 6)));

/*
 * What the evidence key signs for a batch:
 *   "spod evidence root v1\0" || evidence public key (32) || first counter (u64) ||
 *   count (u32) || root (32)                                                  (98 bytes)
 */
#define SPOD_EVIDENCE_ROOT_MSG_BYTES 98u
void spod_evidence_root_msg(uint8_t out[SPOD_EVIDENCE_ROOT_MSG_BYTES],
                            const uint8_t pub[SPOD_EVIDENCE_PUB_BYTES], uint64_t first,
                            uint32_t count, const uint8_t root[32]) __attribute__((nonnull));

/*
 * What the evidence key signs for the audit log's head:
 *   "spod audit head v1\0" || evidence public key (32) || seq (u64) || head hash (32) ||
 *   evidence counter (u64) || nonce length (u8) || nonce (0..64)      (at most 164 bytes)
 * counter is the last evidence record the enclave made when it signed. *len gets the length.
 */
#define SPOD_EVIDENCE_HEAD_MSG_MAX 164u
int spod_evidence_head_msg(uint8_t out[SPOD_EVIDENCE_HEAD_MSG_MAX], size_t *len,
                           const uint8_t pub[SPOD_EVIDENCE_PUB_BYTES], uint64_t seq,
                           const uint8_t hash[32], uint64_t counter, const uint8_t *nonce,
                           size_t nonce_len)
    __attribute__((warn_unused_result, nonnull(1, 2, 3, 5)));

#endif
