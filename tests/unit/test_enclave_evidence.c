/*
 * Evidence in spod-enclave (src/enclave/evidence.c, handlers_evidence.c; docs/evidence.md),
 * through spod_enclave_handle and the batch signing the server does after answering: records
 * for sign, every sign.batch item and sign.tx (their digests the audit's), none for a malformed
 * frame; counters contiguous across batches; the root signature verifies; a policy refusal
 * names its rule and policy hash; audit.head SIGN goes forward only and QUERY signs the last
 * head for the caller's nonce; every attestation document carries the evidence key.
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "crypto/hash.h"
#include "crypto/sign.h"
#include "enclave/handlers.h"
#include "evidence/evidence.h"
#include "spod/attest.h"
#include "spod/err.h"
#include "txn/audit.h"
#include "txn/eth.h"

static uint8_t g_req[SPOD_FRAME_MAX_BYTES], g_resp[SPOD_FRAME_MAX_BYTES];
static uint8_t g_ev[SPOD_FRAME_MAX_BYTES];
static uint8_t g_policy[4096];
static size_t g_policy_len;
static struct spod_ev_batch g_batch;

static struct spod_enclave_state *new_state(void)
{
	struct spod_enclave_state *st = calloc(1, sizeof(*st));
	const char *why;

	assert_non_null(st);
	assert_int_equal(spod_keystore_new(&st->keys, 16), SPOD_OK);
	assert_int_equal(spod_enclave_seal_init(&st->seal), SPOD_OK);
	assert_int_equal(spod_enclave_seal_setup(&st->seal, SPOD_SEAL_EPHEMERAL, NULL, &why),
	                 SPOD_OK);
	assert_int_equal(spod_enclave_evidence_init(&st->ev), SPOD_OK);
	st->ev_batch = &g_batch; /* as server.c does for the connection being answered */
	return st;
}

static void free_state(struct spod_enclave_state *st)
{
	spod_ev_batch_free(&g_batch);
	spod_keystore_free(st->keys);
	spod_enclave_seal_free(&st->seal);
	spod_enclave_evidence_free(&st->ev);
	free(st);
}

/* Sends g_req[0..len); returns the answer's status, the frame in *f. */
static int send(struct spod_enclave_state *st, size_t len, struct spod_frame *f)
{
	struct spod_frame req;
	size_t n;
	int err = SPOD_OK;
	const char *msg;
	uint32_t msg_len;

	assert_int_equal(spod_wire_frame(&req, g_req, len), SPOD_OK);
	n = spod_enclave_handle(st, &req, g_resp, sizeof(g_resp));
	assert_int_equal(spod_wire_frame(f, g_resp, n), SPOD_OK);
	if (f->hdr.status != 0)
		assert_int_equal(spod_wire_error(&err, &msg, &msg_len, f), SPOD_OK);
	return err;
}

static const char *message(const struct spod_frame *f)
{
	static char buf[SPOD_ERRMSG_MAX_BYTES + 1];
	const char *msg;
	uint32_t len;
	int err;

	assert_int_equal(spod_wire_error(&err, &msg, &len, f), SPOD_OK);
	memcpy(buf, msg, len);
	buf[len] = 0;
	return buf;
}

static void generate(struct spod_enclave_state *st, uint8_t alg, uint8_t id[16])
{
	struct spod_frame f;
	struct spod_key_view k;
	size_t n;

	assert_int_equal(spod_wire_enc_generate(g_req, sizeof(g_req), &n, 1, alg), SPOD_OK);
	assert_int_equal(send(st, n, &f), SPOD_OK);
	assert_int_equal(spod_wire_key_resp(&k, &f), SPOD_OK);
	memcpy(id, k.key_id, 16);
}

static int sign(struct spod_enclave_state *st, const uint8_t id[16], uint8_t mode,
                const uint8_t *data, size_t len)
{
	struct spod_frame f;
	size_t n;

	assert_int_equal(spod_wire_enc_sign(g_req, sizeof(g_req), &n, 2, id, mode, data, len),
	                 SPOD_OK);
	return send(st, n, &f);
}

/*
 * Signs the pending batch as server.c does, checks the frame, its signature and every
 * record's proof; records are decoded into recs. Returns the count.
 */
static uint32_t seal_batch(struct spod_enclave_state *st, uint64_t want_first,
                           struct spod_evidence_rec *recs)
{
	uint8_t msg[SPOD_EVIDENCE_ROOT_MSG_BYTES], root[32], proof[SPOD_EVIDENCE_PROOF_MAX * 32];
	static uint8_t leaves[SPOD_EVIDENCE_BATCH_MAX * 32];
	struct spod_evidence_view v;
	struct spod_frame f;
	size_t len, plen;

	assert_int_equal(spod_enclave_evidence_seal(&st->ev, &g_batch, g_ev, sizeof(g_ev), &len),
	                 SPOD_OK);
	assert_int_equal(g_batch.count, 0);
	assert_int_equal(spod_wire_frame(&f, g_ev, len), SPOD_OK);
	assert_int_equal(spod_wire_evidence(&v, &f), SPOD_OK);
	assert_memory_equal(v.pub, st->ev.pub, 32);
	assert_int_equal(v.first, want_first);
	assert_int_equal(st->ev.counter, v.first + v.count - 1);
	for (uint32_t i = 0; i < v.count; i++) {
		const uint8_t *rec = v.records + (size_t)i * SPOD_EVIDENCE_RECORD_BYTES;
		assert_int_equal(spod_evidence_rec_decode(&recs[i], rec), SPOD_OK);
		assert_int_equal(recs[i].counter, v.first + i);
		spod_evidence_leaf(leaves + (size_t)i * 32, rec);
	}
	assert_int_equal(spod_evidence_root(root, leaves, v.count), SPOD_OK);
	spod_evidence_root_msg(msg, v.pub, v.first, v.count, root);
	assert_int_equal(
	    spod_verify(SPOD_ALG_ED25519, v.pub, 32, SPOD_MODE_RAW, msg, sizeof(msg), v.sig, 64),
	    SPOD_OK);
	msg[97] ^= 1;
	assert_int_equal(
	    spod_verify(SPOD_ALG_ED25519, v.pub, 32, SPOD_MODE_RAW, msg, sizeof(msg), v.sig, 64),
	    SPOD_E_BAD_SIGNATURE);
	for (uint32_t i = 0; i < v.count; i++) {
		assert_int_equal(spod_evidence_proof(proof, &plen, leaves, v.count, i), SPOD_OK);
		assert_int_equal(spod_evidence_proof_check(leaves + (size_t)i * 32, i, v.count,
		                                           proof, plen, root),
		                 SPOD_OK);
	}
	return v.count;
}

static int setup(void **state)
{
	static struct spod_policy p, back;

	(void)state;
	if (spod_crypto_init(0) != SPOD_OK)
		return -1;
	/* One rule, "raw-ok": allow raw signs, at most two an hour. */
	memset(&p, 0, sizeof(p));
	p.n_rules = 1;
	p.rules[0].id = (struct spod_view){(const uint8_t *)"raw-ok", 6};
	p.rules[0].effect = SPOD_POLICY_ALLOW;
	p.rules[0].kinds = 1u << SPOD_POLICY_KIND_RAW;
	p.rules[0].flags = SPOD_POLICY_R_RATE;
	p.rules[0].rate_count = 2;
	p.rules[0].rate_seconds = 3600;
	p.n_rates = 1;
	if (spod_policy_encode(&p, g_policy, sizeof(g_policy), &g_policy_len) != SPOD_OK ||
	    spod_policy_load(g_policy, g_policy_len, &back) != SPOD_OK)
		return -1;
	return 0;
}

static void check_rec(const struct spod_evidence_rec *r, uint8_t opcode, uint8_t mode, uint8_t form,
                      int status, const uint8_t id[16], const uint8_t digest[32])
{
	static const uint8_t zero[32];

	assert_int_equal(r->opcode, opcode);
	assert_int_equal(r->mode, mode);
	assert_int_equal(r->form, form);
	assert_int_equal(r->status, status);
	assert_memory_equal(r->key_id, id, 16);
	assert_memory_equal(r->digest, digest, 32);
	assert_memory_equal(r->policy_hash, zero, 32);
	assert_string_equal(r->rule_id, "");
}

static void test_records(void **state)
{
	static const uint8_t digest[32] = {1, 2, 3}, msg[] = "hello", bad_tx[] = {0xc1, 0x80};
	static const uint8_t nokey[16] = {0xee};
	struct spod_enclave_state *st = new_state();
	struct spod_evidence_rec recs[16];
	struct spod_batch_enc be;
	struct spod_tx_summary sum;
	struct spod_frame f;
	uint8_t id[16], d[32];
	size_t n;

	(void)state;
	generate(st, SPOD_ALG_SECP256K1, id);
	assert_int_equal(g_batch.count, 0); /* key.generate makes no record */
	assert_int_equal(sign(st, id, SPOD_MODE_DIGEST, digest, 32), SPOD_OK);
	assert_int_equal(sign(st, nokey, SPOD_MODE_DIGEST, digest, 32), SPOD_E_KEY_NOT_FOUND);
	/* a malformed frame names no key: no record */
	assert_int_equal(
	    spod_wire_enc_sign(g_req, sizeof(g_req), &n, 2, id, SPOD_MODE_SHA256, msg, 5), SPOD_OK);
	g_req[SPOD_HDR_BYTES + 17] = 0xff; /* a reserved byte after the key id and mode */
	assert_true(send(st, n, &f) < 0);
	assert_int_equal(g_batch.count, 2);
	/* sign.batch: one record per item, with the item's status */
	assert_int_equal(spod_wire_batch_begin(&be, g_req, sizeof(g_req), 3, 3), SPOD_OK);
	assert_int_equal(spod_wire_batch_add(&be, id, SPOD_MODE_SHA256, msg, 5), SPOD_OK);
	assert_int_equal(spod_wire_batch_add(&be, nokey, SPOD_MODE_DIGEST, digest, 32), SPOD_OK);
	assert_int_equal(spod_wire_batch_add(&be, id, SPOD_MODE_RAW, msg, 5), SPOD_OK);
	assert_int_equal(spod_wire_batch_finish(&be, &n), SPOD_OK);
	assert_int_equal(send(st, n, &f), SPOD_OK);
	/* sign.tx: an EIP-191 message, and a transaction that does not decode */
	assert_int_equal(spod_wire_enc_sign_tx_form(g_req, sizeof(g_req), &n, 4, id,
	                                            SPOD_TX_CHAIN_ETHEREUM, SPOD_TX_FORM_EIP191,
	                                            msg, 5),
	                 SPOD_OK);
	assert_int_equal(send(st, n, &f), SPOD_OK);
	assert_int_equal(spod_wire_enc_sign_tx(g_req, sizeof(g_req), &n, 5, id,
	                                       SPOD_TX_CHAIN_ETHEREUM, bad_tx, sizeof(bad_tx)),
	                 SPOD_OK);
	assert_true(send(st, n, &f) < 0);

	assert_int_equal(seal_batch(st, 1, recs), 7);
	check_rec(&recs[0], SPOD_OP_SIGN, SPOD_MODE_DIGEST, 0, SPOD_OK, id, digest);
	check_rec(&recs[1], SPOD_OP_SIGN, SPOD_MODE_DIGEST, 0, SPOD_E_KEY_NOT_FOUND, nokey, digest);
	spod_sha256(d, msg, 5);
	check_rec(&recs[2], SPOD_OP_SIGN_BATCH, SPOD_MODE_SHA256, 0, SPOD_OK, id, d);
	check_rec(&recs[3], SPOD_OP_SIGN_BATCH, SPOD_MODE_DIGEST, 0, SPOD_E_KEY_NOT_FOUND, nokey,
	          digest);
	check_rec(&recs[4], SPOD_OP_SIGN_BATCH, SPOD_MODE_RAW, 0, SPOD_E_BAD_MODE, id, d);
	assert_int_equal(spod_txn_eth_eip191(msg, 5, &sum), SPOD_OK);
	check_rec(&recs[5], SPOD_OP_SIGN_TX, SPOD_TX_CHAIN_ETHEREUM, SPOD_TX_FORM_EIP191, SPOD_OK,
	          id, sum.digest);
	spod_txn_audit_digest(SPOD_TX_CHAIN_ETHEREUM, 0, bad_tx, sizeof(bad_tx), d);
	assert_int_not_equal(recs[6].status, SPOD_OK);
	spod_keccak256(sum.digest, bad_tx, sizeof(bad_tx));
	assert_memory_equal(d, sum.digest, 32);
	check_rec(&recs[6], SPOD_OP_SIGN_TX, SPOD_TX_CHAIN_ETHEREUM, 0, recs[6].status, id, d);
	/* the next batch goes on from counter 8 */
	assert_int_equal(sign(st, id, SPOD_MODE_DIGEST, digest, 32), SPOD_OK);
	assert_int_equal(sign(st, id, SPOD_MODE_DIGEST, digest, 32), SPOD_OK);
	assert_int_equal(seal_batch(st, 8, recs), 2);
	/* nothing pending: nothing to sign */
	assert_int_equal(spod_enclave_evidence_seal(&st->ev, &g_batch, g_ev, sizeof(g_ev), &n),
	                 SPOD_E_BAD_ARG);
	free_state(st);
}

/* A key under a policy: every record names its hash and the deciding rule, refusals too. */
static void test_policy_records(void **state)
{
	static const uint8_t digest[32] = {9};
	struct spod_enclave_state *st = new_state();
	struct spod_evidence_rec recs[4];
	struct spod_frame f;
	uint8_t id[16], hash[32];
	size_t n;

	(void)state;
	generate(st, SPOD_ALG_SECP256K1, id);
	assert_int_equal(spod_wire_enc_policy_set(g_req, sizeof(g_req), &n, 3, id, NULL, 0,
	                                          g_policy, g_policy_len),
	                 SPOD_OK);
	assert_int_equal(send(st, n, &f), SPOD_OK);
	assert_int_equal(g_batch.count, 0);
	assert_int_equal(sign(st, id, SPOD_MODE_DIGEST, digest, 32), SPOD_OK);
	assert_int_equal(sign(st, id, SPOD_MODE_DIGEST, digest, 32), SPOD_OK);
	assert_int_equal(sign(st, id, SPOD_MODE_DIGEST, digest, 32), SPOD_E_POLICY_DENIED);
	assert_int_equal(seal_batch(st, 1, recs), 3);
	spod_sha256(hash, g_policy, g_policy_len);
	for (int i = 0; i < 3; i++) {
		assert_memory_equal(recs[i].policy_hash, hash, 32);
		assert_string_equal(recs[i].rule_id, "raw-ok");
		assert_memory_equal(recs[i].digest, digest, 32);
	}
	assert_int_equal(recs[0].status, SPOD_OK);
	assert_int_equal(recs[2].status, SPOD_E_POLICY_DENIED);
	free_state(st);
}

/* audit.head; *v gets the answer (status returned). */
static int head(struct spod_enclave_state *st, uint8_t mode, uint64_t seq, const uint8_t *hash,
                const uint8_t *nonce, size_t nonce_len, struct spod_audit_head_view *v,
                struct spod_frame *f)
{
	uint8_t msg[SPOD_EVIDENCE_HEAD_MSG_MAX];
	size_t n, msg_len;
	int rc;

	assert_int_equal(spod_wire_enc_audit_head(g_req, sizeof(g_req), &n, 7, mode, seq, hash,
	                                          nonce, nonce_len),
	                 SPOD_OK);
	rc = send(st, n, f);
	if (rc < 0)
		return rc;
	assert_int_equal(spod_wire_audit_head_resp(v, f), SPOD_OK);
	assert_int_equal(v->mode, mode);
	assert_int_equal(v->nonce_len, nonce_len);
	if (nonce_len > 0)
		assert_memory_equal(v->nonce, nonce, nonce_len);
	assert_memory_equal(v->pub, st->ev.pub, 32);
	assert_int_equal(v->counter, st->ev.counter);
	assert_int_equal(spod_evidence_head_msg(msg, &msg_len, v->pub, v->seq, v->hash, v->counter,
	                                        v->nonce, v->nonce_len),
	                 SPOD_OK);
	assert_int_equal(
	    spod_verify(SPOD_ALG_ED25519, v->pub, 32, SPOD_MODE_RAW, msg, msg_len, v->sig, 64),
	    SPOD_OK);
	return SPOD_OK;
}

static void test_audit_head(void **state)
{
	static const uint8_t h5[32] = {5}, h7[32] = {7}, other[32] = {8}, nonce[16] = {0x11, 0x22};
	static const uint8_t digest[32] = {3};
	struct spod_enclave_state *st = new_state();
	struct spod_evidence_rec recs[2];
	struct spod_audit_head_view v;
	struct spod_frame f;
	uint8_t id[16];

	(void)state;
	/* QUERY before any: seq 0, zeros */
	assert_int_equal(head(st, SPOD_AUDIT_HEAD_QUERY, 9, h5, nonce, 16, &v, &f), SPOD_OK);
	assert_int_equal(v.seq, 0);
	assert_int_equal(v.counter, 0);
	assert_int_equal(head(st, SPOD_AUDIT_HEAD_SIGN, 5, h5, NULL, 0, &v, &f), SPOD_OK);
	assert_int_equal(v.seq, 5);
	assert_memory_equal(v.hash, h5, 32);
	/* a counter moves with signed evidence */
	generate(st, SPOD_ALG_SECP256K1, id);
	assert_int_equal(sign(st, id, SPOD_MODE_DIGEST, digest, 32), SPOD_OK);
	assert_int_equal(seal_batch(st, 1, recs), 1);
	assert_int_equal(head(st, SPOD_AUDIT_HEAD_SIGN, 7, h7, nonce, 3, &v, &f), SPOD_OK);
	assert_int_equal(v.counter, 1);
	/* the same head again is fine; going back is not */
	assert_int_equal(head(st, SPOD_AUDIT_HEAD_SIGN, 7, h7, NULL, 0, &v, &f), SPOD_OK);
	assert_int_equal(head(st, SPOD_AUDIT_HEAD_SIGN, 6, other, NULL, 0, &v, &f),
	                 SPOD_E_BAD_FIELD);
	assert_non_null(strstr(message(&f), "audit.head: audit head goes back: seq 6 after seq 7"));
	assert_int_equal(head(st, SPOD_AUDIT_HEAD_SIGN, 7, other, NULL, 0, &v, &f),
	                 SPOD_E_BAD_FIELD);
	assert_non_null(strstr(message(&f), "seq 7 was signed with another hash"));
	/* QUERY: the last head, whatever the request says, for the caller's nonce */
	assert_int_equal(head(st, SPOD_AUDIT_HEAD_QUERY, 100, other, nonce, 16, &v, &f), SPOD_OK);
	assert_int_equal(v.seq, 7);
	assert_memory_equal(v.hash, h7, 32);
	assert_int_equal(v.counter, 1);
	/* audit.head makes no evidence record */
	assert_int_equal(g_batch.count, 0);
	/* an evidence frame sent to the enclave is refused */
	{
		static const uint8_t sig[64];
		size_t n;

		assert_int_equal(
		    spod_wire_put_evidence(g_req, sizeof(g_req), &n, st->ev.pub, 1, 1, sig, g_ev),
		    SPOD_OK);
		assert_true(send(st, n, &f) < 0);
	}
	free_state(st);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(path);
}

/* Documents carry the evidence key, with and without a key binding. */
static void test_attest(void **state)
{
	static const uint8_t image[64] = {1, 2, 3};
	char base[] = "/tmp/spod-ev-XXXXXX", img[64], sdir[64];
	struct spod_enclave_state *st = new_state();
	struct spod_attest_user_data ud;
	struct spod_attest_doc doc;
	struct spod_doc_view dv;
	struct spod_frame f;
	uint8_t id[16];
	FILE *fp;
	size_t n;

	(void)state;
	assert_non_null(mkdtemp(base));
	snprintf(img, sizeof(img), "%s/img", base);
	snprintf(sdir, sizeof(sdir), "%s/state", base);
	fp = fopen(img, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(image, 1, sizeof(image), fp), sizeof(image));
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(spod_nsm_open_sim(&st->nsm, sdir, img), SPOD_OK);
	generate(st, SPOD_ALG_ED25519, id);
	for (int bind = 0; bind < 2; bind++) {
		assert_int_equal(
		    spod_wire_enc_attest(g_req, sizeof(g_req), &n, 8, bind ? id : NULL, NULL, 0),
		    SPOD_OK);
		assert_int_equal(send(st, n, &f), SPOD_OK);
		assert_int_equal(spod_wire_doc_resp(&dv, &f), SPOD_OK);
		assert_int_equal(spod_attest_parse(&doc, dv.doc, dv.doc_len), SPOD_OK);
		assert_int_equal(
		    spod_attest_user_data_parse(&ud, doc.user_data.ptr, doc.user_data.len),
		    SPOD_OK);
		assert_int_equal(ud.has_key, bind);
		assert_true(ud.has_seal);
		assert_non_null(ud.evidence_pub);
		assert_memory_equal(ud.evidence_pub, st->ev.pub, 32);
	}
	spod_nsm_close(st->nsm);
	free_state(st);
	nftw(base, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_records),
	    cmocka_unit_test(test_policy_records),
	    cmocka_unit_test(test_audit_head),
	    cmocka_unit_test(test_attest),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
