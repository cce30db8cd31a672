/*
 * Evidence records, the Merkle tree and the signed messages (src/evidence/evidence.h).
 * The roots below were computed independently in Python from RFC 9162's definition
 * (MTH with the split at the largest power of two below n; leaf SHA-256(0x00 || record),
 * node SHA-256(0x01 || left || right)) over records of 160 bytes all equal to the leaf's
 * index (mod 256); the recursive definition, the level-by-level tree and every proof are
 * checked against them and against each other.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/hex.h"
#include "evidence/evidence.h"

static uint8_t leaves[SPOD_EVIDENCE_BATCH_MAX * 32];
static uint8_t tree[2 * SPOD_EVIDENCE_BATCH_MAX * 32 + 32 * 12];

static void make_leaves(size_t n)
{
	uint8_t rec[SPOD_EVIDENCE_RECORD_BYTES];

	for (size_t i = 0; i < n; i++) {
		memset(rec, (int)(i & 0xff), sizeof(rec));
		spod_evidence_leaf(leaves + i * 32, rec);
	}
}

static void expect_root(size_t n, const char *hex)
{
	uint8_t want[32], got[32], proof[SPOD_EVIDENCE_PROOF_MAX * 32], proof2[sizeof(proof)];
	size_t len, len2;

	assert_int_equal(spod_hex_decode_exact(want, 32, hex, strlen(hex)), SPOD_OK);
	make_leaves(n);
	assert_int_equal(spod_evidence_root(got, leaves, n), SPOD_OK);
	assert_memory_equal(got, want, 32);
	assert_true(spod_evidence_tree_hashes(n) * 32 <= sizeof(tree));
	memcpy(tree, leaves, n * 32);
	assert_int_equal(spod_evidence_tree_build(tree, n), SPOD_OK);
	assert_memory_equal(tree + (spod_evidence_tree_hashes(n) - 1) * 32, want, 32);
	for (size_t m = 0; m < n; m += (n > 64 ? 61 : 1)) {
		assert_int_equal(spod_evidence_tree_proof(proof, &len, tree, n, m), SPOD_OK);
		assert_int_equal(spod_evidence_proof(proof2, &len2, leaves, n, m), SPOD_OK);
		assert_int_equal(len, len2);
		assert_memory_equal(proof, proof2, len * 32);
		assert_int_equal(spod_evidence_proof_check(leaves + m * 32, m, n, proof, len, want),
		                 SPOD_OK);
		/* Another leaf, another index, a flipped proof byte, a short proof: refused. */
		if (n > 1) {
			assert_int_equal(spod_evidence_proof_check(leaves + ((m + 1) % n) * 32, m,
			                                           n, proof, len, want),
			                 SPOD_E_BAD_SIGNATURE);
			assert_int_not_equal(spod_evidence_proof_check(leaves + m * 32, (m + 1) % n,
			                                               n, proof, len, want),
			                     SPOD_OK);
			proof[len * 32 - 1] ^= 1;
			assert_int_equal(
			    spod_evidence_proof_check(leaves + m * 32, m, n, proof, len, want),
			    SPOD_E_BAD_SIGNATURE);
			proof[len * 32 - 1] ^= 1;
			assert_int_equal(
			    spod_evidence_proof_check(leaves + m * 32, m, n, proof, len - 1, want),
			    SPOD_E_BAD_SIGNATURE);
		}
	}
}

static void test_roots(void **state)
{
	(void)state;
	expect_root(1, "9f0ef6d54ab02cc095210908cb2866473a3f4338e64c68d1741b45babdfb8d90");
	expect_root(2, "b2cdf187bb9edf17b7391d27699f26d248c1cd1eac9b2e82e7184630ba977d02");
	expect_root(3, "9698b884ccf89b5ad1023323d2b91b3d8e4f6ecab0b2881ed6125de0d33800df");
	expect_root(7, "f0760ab46b3869ffc31fbad06cd87704bf6f28144402e6196db144cad68a7bab");
	expect_root(1024, "821e4bcf9bcd4b2dcef3844186c3f955c293b9c85e055d2cf492e94f63e2b992");
	for (size_t n = 1; n <= 40; n++) { /* every shape up to 40: tree == recursion */
		uint8_t a[32];

		make_leaves(n);
		assert_int_equal(spod_evidence_root(a, leaves, n), SPOD_OK);
		memcpy(tree, leaves, n * 32);
		assert_int_equal(spod_evidence_tree_build(tree, n), SPOD_OK);
		assert_memory_equal(tree + (spod_evidence_tree_hashes(n) - 1) * 32, a, 32);
	}
}

static void test_bounds(void **state)
{
	uint8_t out[32], proof[SPOD_EVIDENCE_PROOF_MAX * 32];
	size_t len;

	(void)state;
	make_leaves(4);
	assert_int_equal(spod_evidence_root(out, leaves, 0), SPOD_E_BAD_ARG);
	assert_int_equal(spod_evidence_root(out, leaves, SPOD_EVIDENCE_BATCH_MAX + 1),
	                 SPOD_E_BAD_ARG);
	assert_int_equal(spod_evidence_proof(proof, &len, leaves, 4, 4), SPOD_E_BAD_ARG);
	assert_int_equal(spod_evidence_tree_build(tree, 0), SPOD_E_BAD_ARG);
	assert_int_equal(spod_evidence_proof_check(leaves, 4, 4, proof, 2, out), SPOD_E_BAD_ARG);
}

static void test_record(void **state)
{
	struct spod_evidence_rec r = {.opcode = 0x22,
	                              .mode = 1,
	                              .form = 2,
	                              .status = -40,
	                              .counter = 0x0102030405060708ull,
	                              .rule_id = "cap-per-tx"},
	                         back;
	uint8_t b[SPOD_EVIDENCE_RECORD_BYTES];

	(void)state;
	memset(r.key_id, 0x11, 16);
	memset(r.digest, 0x22, 32);
	memset(r.policy_hash, 0x33, 32);
	spod_evidence_rec_encode(b, &r);
	assert_int_equal(b[0], 1);
	assert_int_equal(b[EVREC_STATUS], 0xd8); /* -40, little-endian two's complement */
	assert_int_equal(b[EVREC_COUNTER], 0x08);
	assert_int_equal(spod_evidence_rec_decode(&back, b), SPOD_OK);
	assert_memory_equal(&back.key_id, r.key_id, 16);
	assert_int_equal(back.status, -40);
	assert_int_equal(back.counter, r.counter);
	assert_string_equal(back.rule_id, "cap-per-tx");
	b[EVREC_RULE_ID + 20] = 'x'; /* text after the padding began */
	assert_int_equal(spod_evidence_rec_decode(&back, b), SPOD_E_BAD_FIELD);
	b[EVREC_RULE_ID + 20] = 0;
	b[EVREC_RULE_ID] = '\n';
	assert_int_equal(spod_evidence_rec_decode(&back, b), SPOD_E_BAD_FIELD);
	b[EVREC_RULE_ID] = 'c';
	b[0] = 2;
	assert_int_equal(spod_evidence_rec_decode(&back, b), SPOD_E_BAD_FIELD);
}

static void test_messages(void **state)
{
	uint8_t pub[32], root[32], msg[SPOD_EVIDENCE_ROOT_MSG_BYTES],
	    head[SPOD_EVIDENCE_HEAD_MSG_MAX];
	uint8_t nonce[SPOD_EVIDENCE_NONCE_MAX + 1];
	size_t len;

	(void)state;
	memset(pub, 0xaa, 32);
	memset(root, 0xbb, 32);
	memset(nonce, 0xcc, sizeof(nonce));
	spod_evidence_root_msg(msg, pub, 5, 3, root);
	assert_memory_equal(msg, "spod evidence root v1\0", 22);
	assert_int_equal(msg[22 + 32], 5);
	assert_int_equal(msg[22 + 32 + 8], 3);
	assert_memory_equal(msg + 66, root, 32);
	assert_int_equal(spod_evidence_head_msg(head, &len, pub, 9, root, 7, nonce, 16), SPOD_OK);
	assert_int_equal(len, 19 + 32 + 8 + 32 + 8 + 1 + 16);
	assert_memory_equal(head, "spod audit head v1\0", 19);
	assert_int_equal(head[19 + 32 + 8 + 32 + 8], 16);
	assert_int_equal(spod_evidence_head_msg(head, &len, pub, 9, root, 7, nonce, 65),
	                 SPOD_E_BAD_ARG);
	assert_int_equal(spod_evidence_head_msg(head, &len, pub, 9, root, 7, NULL, 0), SPOD_OK);
	assert_int_equal(len, 100);
}

static void test_sign_digest(void **state)
{
	/* SHA-256("abc") (FIPS 180-2) in message modes; the digest itself in digest mode. */
	static const char abc_hex[] =
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
	uint8_t want[32], out[32], d[32];

	(void)state;
	assert_int_equal(spod_hex_decode_exact(want, 32, abc_hex, 64), SPOD_OK);
	spod_evidence_sign_digest(out, 2, (const uint8_t *)"abc", 3);
	assert_memory_equal(out, want, 32);
	spod_evidence_sign_digest(out, 0, (const uint8_t *)"abc", 3);
	assert_memory_equal(out, want, 32);
	memset(d, 0x5a, 32);
	spod_evidence_sign_digest(out, 1, d, 32);
	assert_memory_equal(out, d, 32);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roots),       cmocka_unit_test(test_bounds),
	    cmocka_unit_test(test_record),      cmocka_unit_test(test_messages),
	    cmocka_unit_test(test_sign_digest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
