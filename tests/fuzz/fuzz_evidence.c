/*
 * libFuzzer target for what `spod audit verify` reads of evidence from a database the host
 * controls (src/evidence/evidence.c): records, inclusion proofs checked against a root, and the
 * tree that spod-host builds them from.
 *
 * Input: a 160-byte record, then a control block (leaf index m and tree size n, u16 each),
 * then proof bytes. Checked: a record that decodes re-encodes to the same bytes; the proof check
 * never reads past the proof it is given and never accepts m >= n; and, as an oracle, for a tree
 * of n leaves made from the input, every leaf's proof from spod_evidence_tree_proof verifies
 * against spod_evidence_root, and the fuzzer's own proof verifies only if it is that proof.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "evidence/evidence.h"
#include "spod/err.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

#define TREE_MAX 64 /* leaves in the oracle's tree: enough for every proof shape up to 6 deep */

static uint8_t leaves[TREE_MAX * 32];
static uint8_t tree[2 * TREE_MAX * 32 + 64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t rec[SPOD_EVIDENCE_RECORD_BYTES], again[SPOD_EVIDENCE_RECORD_BYTES], root[32];
	uint8_t want[SPOD_EVIDENCE_PROOF_MAX * 32], *proof;
	struct spod_evidence_rec r;
	size_t m, n, plen, wlen;
	int rc;

	if (size < SPOD_EVIDENCE_RECORD_BYTES + 4)
		return 0;
	memcpy(rec, data, sizeof(rec));
	if (spod_evidence_rec_decode(&r, rec) == SPOD_OK) {
		spod_evidence_rec_encode(again, &r);
		CHECK(memcmp(again, rec, sizeof(rec)) == 0);
	}
	m = spod_le16(data + SPOD_EVIDENCE_RECORD_BYTES);
	n = spod_le16(data + SPOD_EVIDENCE_RECORD_BYTES + 2) % (TREE_MAX + 1);
	plen = size - SPOD_EVIDENCE_RECORD_BYTES - 4;
	/* an exact-size copy, so a read past the proof lands in a redzone */
	proof = malloc(plen ? plen : 1);
	if (proof == NULL)
		return 0;
	memcpy(proof, data + SPOD_EVIDENCE_RECORD_BYTES + 4, plen);

	/* A tree of n leaves: leaf i is the record with its first byte replaced by i. */
	for (size_t i = 0; i < n; i++) {
		rec[0] = (uint8_t)i;
		spod_evidence_leaf(leaves + i * 32, rec);
	}
	rc = spod_evidence_proof_check(leaves + (m < n ? m : 0) * 32, m, n ? n : 1, proof,
	                               plen / 32, leaves);
	CHECK(rc == SPOD_OK || rc == SPOD_E_BAD_SIGNATURE || rc == SPOD_E_BAD_ARG);
	if (m >= (n ? n : 1))
		CHECK(rc == SPOD_E_BAD_ARG);
	if (n > 0) {
		CHECK(spod_evidence_root(root, leaves, n) == SPOD_OK);
		memcpy(tree, leaves, n * 32);
		CHECK(spod_evidence_tree_build(tree, n) == SPOD_OK);
		CHECK(memcmp(tree + (spod_evidence_tree_hashes(n) - 1) * 32, root, 32) == 0);
		for (size_t i = 0; i < n; i++) {
			CHECK(spod_evidence_tree_proof(want, &wlen, tree, n, i) == SPOD_OK);
			CHECK(spod_evidence_proof_check(leaves + i * 32, i, n, want, wlen, root) ==
			      SPOD_OK);
		}
		if (m < n && plen % 32 == 0 && plen / 32 <= SPOD_EVIDENCE_PROOF_MAX &&
		    spod_evidence_proof_check(leaves + m * 32, m, n, proof, plen / 32, root) ==
		        SPOD_OK) {
			/* only the true proof verifies (second preimages of SHA-256 aside) */
			CHECK(spod_evidence_tree_proof(want, &wlen, tree, n, m) == SPOD_OK);
			CHECK(wlen == plen / 32 && memcmp(want, proof, plen) == 0);
		}
	}
	free(proof);
	return 0;
}
