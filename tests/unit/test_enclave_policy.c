/*
 * Policies in spod-enclave, through spod_enclave_handle as frames arrive (src/enclave/
 * handlers_policy.c): policy.set in ephemeral mode without admins, the gate on raw signs (a
 * rate limit that runs out), policy.get, the version 2 blob bringing the policy back after a
 * key.load and refused when its policy is tampered with, policy.sync bringing the rate state
 * back too, removal, and a 2-of-3 admin set:
 * one approval, a repeated admin, an approval for another key refused, two distinct accepted,
 * another set refused for the rest of the boot.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "common/bytes.h"
#include "crypto/hash.h"
#include "crypto/sign.h"
#include "enclave/handlers.h"
#include "policy/approval.h"
#include "spod/err.h"

static uint8_t g_req[SPOD_FRAME_MAX_BYTES], g_resp[SPOD_FRAME_MAX_BYTES];
static uint8_t g_blob[SPOD_BLOB_MAX_BYTES];
static size_t g_blob_len;
static uint8_t g_policy[4096];
static size_t g_policy_len;

static struct spod_enclave_state *new_state(void)
{
	struct spod_enclave_state *st = calloc(1, sizeof(*st));
	const char *why;

	assert_non_null(st);
	assert_int_equal(spod_keystore_new(&st->keys, 16), SPOD_OK);
	assert_int_equal(spod_enclave_seal_init(&st->seal), SPOD_OK);
	assert_int_equal(spod_enclave_seal_setup(&st->seal, SPOD_SEAL_EPHEMERAL, NULL, &why),
	                 SPOD_OK);
	return st;
}

static void free_state(struct spod_enclave_state *st)
{
	spod_keystore_free(st->keys);
	spod_enclave_seal_free(&st->seal);
	free(st);
}

/* Sends the request in g_req[0..len); returns the answer's status, the frame in *f. */
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

/* The error message of the last answer, NUL-terminated. */
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

static void generate(struct spod_enclave_state *st, uint8_t id[16])
{
	struct spod_frame f;
	struct spod_key_view k;
	size_t n;

	assert_int_equal(spod_wire_enc_generate(g_req, sizeof(g_req), &n, 1, SPOD_ALG_SECP256K1),
	                 SPOD_OK);
	assert_int_equal(send(st, n, &f), SPOD_OK);
	assert_int_equal(spod_wire_key_resp(&k, &f), SPOD_OK);
	memcpy(id, k.key_id, 16);
}

static int raw_sign(struct spod_enclave_state *st, const uint8_t id[16], struct spod_frame *f)
{
	static const uint8_t digest[32] = {1, 2, 3};
	size_t n;

	assert_int_equal(spod_wire_enc_sign(g_req, sizeof(g_req), &n, 2, id, SPOD_MODE_DIGEST,
	                                    digest, sizeof(digest)),
	                 SPOD_OK);
	return send(st, n, f);
}

/* policy.set; on success the new blob is kept in g_blob. */
static int set_policy(struct spod_enclave_state *st, const uint8_t id[16], const uint8_t *approvals,
                      size_t n_approvals, const uint8_t *cbor, size_t len, struct spod_frame *f)
{
	struct spod_key_view k;
	size_t n;
	int rc;

	assert_int_equal(spod_wire_enc_policy_set(g_req, sizeof(g_req), &n, 3, id, approvals,
	                                          n_approvals, cbor, len),
	                 SPOD_OK);
	rc = send(st, n, f);
	if (rc == SPOD_OK) {
		assert_int_equal(spod_wire_key_resp(&k, f), SPOD_OK);
		assert_memory_equal(k.key_id, id, 16);
		memcpy(g_blob, k.blob, k.blob_len);
		g_blob_len = k.blob_len;
	}
	return rc;
}

/* One rule, "raw-ok": allow raw signs, at most two an hour. */
static void make_policy(void)
{
	static struct spod_policy p, back;

	memset(&p, 0, sizeof(p));
	p.n_rules = 1;
	p.rules[0].id = (struct spod_view){(const uint8_t *)"raw-ok", 6};
	p.rules[0].effect = SPOD_POLICY_ALLOW;
	p.rules[0].kinds = 1u << SPOD_POLICY_KIND_RAW;
	p.rules[0].flags = SPOD_POLICY_R_RATE;
	p.rules[0].rate_count = 2;
	p.rules[0].rate_seconds = 3600;
	p.n_rates = 1;
	assert_int_equal(spod_policy_encode(&p, g_policy, sizeof(g_policy), &g_policy_len),
	                 SPOD_OK);
	assert_int_equal(spod_policy_load(g_policy, g_policy_len, &back), SPOD_OK);
}

static int setup(void **state)
{
	(void)state;
	if (spod_crypto_init(0) != SPOD_OK)
		return -1;
	make_policy();
	return 0;
}

static void test_ephemeral(void **state)
{
	struct spod_enclave_state *st = new_state();
	struct spod_policy_view pv;
	struct spod_frame f;
	uint8_t id[16], hash[32];
	size_t n;

	(void)state;
	generate(st, id);
	assert_int_equal(raw_sign(st, id, &f), SPOD_OK);
	/* no admin set, ephemeral: the admin token's word is enough */
	assert_int_equal(set_policy(st, id, NULL, 0, g_policy, g_policy_len, &f), SPOD_OK);
	assert_int_equal(g_blob[4], 2); /* a version 2 blob */
	assert_int_equal(raw_sign(st, id, &f), SPOD_OK);
	assert_int_equal(raw_sign(st, id, &f), SPOD_OK);
	assert_int_equal(raw_sign(st, id, &f), SPOD_E_POLICY_DENIED);
	assert_non_null(strstr(message(&f), "sign: denied by rule \"raw-ok\""));
	/* policy.get shows what the enclave holds */
	assert_int_equal(spod_wire_enc_key(g_req, sizeof(g_req), &n, SPOD_OP_POLICY_GET, 4, id),
	                 SPOD_OK);
	assert_int_equal(send(st, n, &f), SPOD_OK);
	assert_int_equal(spod_wire_policy_resp(&pv, &f), SPOD_OK);
	assert_int_equal(pv.has_policy, 1);
	assert_int_equal(pv.policy_len, g_policy_len);
	assert_memory_equal(pv.policy, g_policy, g_policy_len);
	spod_sha256(hash, g_policy, g_policy_len);
	assert_memory_equal(pv.hash, hash, 32);
	assert_int_equal(sodium_is_zero(pv.admin_hash, 32), 1);
	/* the key leaves and comes back from its blob with its policy (windows start empty) */
	assert_int_equal(spod_wire_enc_key(g_req, sizeof(g_req), &n, SPOD_OP_KEY_DELETE, 5, id),
	                 SPOD_OK);
	assert_int_equal(send(st, n, &f), SPOD_OK);
	g_blob[g_blob_len - 60] ^= 1; /* inside the policy: the blob no longer opens */
	assert_int_equal(
	    spod_wire_enc_item(g_req, sizeof(g_req), &n, SPOD_OP_KEY_LOAD, 6, g_blob, g_blob_len),
	    SPOD_OK);
	assert_int_equal(send(st, n, &f), SPOD_E_BAD_BLOB);
	g_blob[g_blob_len - 60] ^= 1;
	assert_int_equal(
	    spod_wire_enc_item(g_req, sizeof(g_req), &n, SPOD_OP_KEY_LOAD, 6, g_blob, g_blob_len),
	    SPOD_OK);
	assert_int_equal(send(st, n, &f), SPOD_OK);
	assert_int_equal(raw_sign(st, id, &f), SPOD_OK);
	assert_int_equal(raw_sign(st, id, &f), SPOD_OK);
	assert_int_equal(raw_sign(st, id, &f), SPOD_E_POLICY_DENIED);
	/* policy.sync seals the state too: the two signs come back with the key */
	assert_int_equal(spod_wire_enc_key(g_req, sizeof(g_req), &n, SPOD_OP_POLICY_SYNC, 7, id),
	                 SPOD_OK);
	assert_int_equal(send(st, n, &f), SPOD_OK);
	{
		struct spod_key_view k;

		assert_int_equal(spod_wire_key_resp(&k, &f), SPOD_OK);
		memcpy(g_blob, k.blob, k.blob_len);
		g_blob_len = k.blob_len;
	}
	assert_true(spod_le32(g_blob + 68) > 0); /* a state section */
	assert_int_equal(spod_wire_enc_key(g_req, sizeof(g_req), &n, SPOD_OP_KEY_DELETE, 8, id),
	                 SPOD_OK);
	assert_int_equal(send(st, n, &f), SPOD_OK);
	assert_int_equal(
	    spod_wire_enc_item(g_req, sizeof(g_req), &n, SPOD_OP_KEY_LOAD, 9, g_blob, g_blob_len),
	    SPOD_OK);
	assert_int_equal(send(st, n, &f), SPOD_OK);
	assert_int_equal(raw_sign(st, id, &f), SPOD_E_POLICY_DENIED);
	/* removed: signs freely again, and the blob is version 1 */
	assert_int_equal(set_policy(st, id, NULL, 0, NULL, 0, &f), SPOD_OK);
	assert_int_equal(g_blob[4], 1);
	assert_int_equal(raw_sign(st, id, &f), SPOD_OK);
	/* a policy that does not load is refused, the key keeps none */
	assert_int_equal(set_policy(st, id, NULL, 0, g_policy, g_policy_len - 1, &f) < 0, 1);
	assert_int_equal(raw_sign(st, id, &f), SPOD_OK);
	free_state(st);
}

static void approve(uint8_t out[SPOD_APPROVAL_BYTES], const uint8_t pk[32], const uint8_t sk[64],
                    const uint8_t id[16], const uint8_t *cbor, size_t len)
{
	uint8_t msg[SPOD_APPROVAL_MSG_BYTES], hash[32];

	spod_sha256(hash, cbor, len);
	spod_approval_msg(msg, id, hash);
	memcpy(out, pk, 32);
	crypto_sign_detached(out + 32, NULL, msg, sizeof(msg), sk);
}

static void test_admins(void **state)
{
	struct spod_enclave_state *st = new_state();
	uint8_t pk[3][32], sk[3][64], keys[3 * 32], other_id[16], id[16];
	uint8_t ap[3][SPOD_APPROVAL_BYTES], set_hash[32];
	struct spod_policy_admins a = {2, 3, keys, NULL}, ans;
	struct spod_frame f;
	size_t n;

	(void)state;
	for (int i = 0; i < 3; i++) {
		crypto_sign_keypair(pk[i], sk[i]);
		memcpy(keys + 32 * i, pk[i], 32);
	}
	assert_int_equal(spod_wire_enc_policy_admins(g_req, sizeof(g_req), &n, 7, &a), SPOD_OK);
	assert_int_equal(send(st, n, &f), SPOD_OK);
	assert_int_equal(spod_wire_policy_admins_resp(&ans, &f), SPOD_OK);
	assert_int_equal(ans.threshold, 2);
	assert_int_equal(ans.count, 3);
	spod_admins_hash(set_hash, 2, 3, keys);
	assert_memory_equal(ans.hash, set_hash, 32);
	generate(st, id);
	generate(st, other_id);
	approve(ap[0], pk[0], sk[0], id, g_policy, g_policy_len);
	approve(ap[1], pk[1], sk[1], other_id, g_policy, g_policy_len); /* another key's */
	approve(ap[2], pk[2], sk[2], id, g_policy, g_policy_len);
	/* none, one, one twice, one plus another key's: not enough */
	assert_int_equal(set_policy(st, id, NULL, 0, g_policy, g_policy_len, &f),
	                 SPOD_E_NOT_APPROVED);
	assert_int_equal(set_policy(st, id, ap[0], 1, g_policy, g_policy_len, &f),
	                 SPOD_E_NOT_APPROVED);
	memcpy(ap[1], ap[0], SPOD_APPROVAL_BYTES);
	assert_int_equal(set_policy(st, id, ap[0], 2, g_policy, g_policy_len, &f),
	                 SPOD_E_NOT_APPROVED);
	approve(ap[1], pk[1], sk[1], other_id, g_policy, g_policy_len);
	assert_int_equal(set_policy(st, id, ap[0], 2, g_policy, g_policy_len, &f),
	                 SPOD_E_NOT_APPROVED);
	/* approvals for another policy (one byte shorter) do not carry over */
	approve(ap[1], pk[1], sk[1], id, g_policy, g_policy_len - 1);
	assert_int_equal(set_policy(st, id, ap[0], 2, g_policy, g_policy_len, &f),
	                 SPOD_E_NOT_APPROVED);
	/* two distinct admins of the set: accepted, and the blob names the set */
	approve(ap[1], pk[1], sk[1], id, g_policy, g_policy_len);
	assert_int_equal(set_policy(st, id, ap[0], 2, g_policy, g_policy_len, &f), SPOD_OK);
	assert_memory_equal(g_blob + 72, set_hash, 32);
	/* removing takes approvals too */
	assert_int_equal(set_policy(st, id, ap[0], 2, NULL, 0, &f), SPOD_E_NOT_APPROVED);
	/* another set cannot be registered in this boot; the same one again can */
	assert_int_equal(spod_wire_enc_policy_admins(g_req, sizeof(g_req), &n, 8, &a), SPOD_OK);
	assert_int_equal(send(st, n, &f), SPOD_OK);
	a.threshold = 1;
	assert_int_equal(spod_wire_enc_policy_admins(g_req, sizeof(g_req), &n, 8, &a), SPOD_OK);
	assert_int_equal(send(st, n, &f), SPOD_E_MODE_CONFLICT);
	free_state(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ephemeral),
	    cmocka_unit_test(test_admins),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
