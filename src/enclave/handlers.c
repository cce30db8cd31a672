#include "enclave/handlers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/sign.h"
#include "enclave/handlers_int.h"
#include "enclave/sandbox.h"
#include "wire/ops.h"

size_t spod_enclave_error(uint8_t *out, size_t cap, uint8_t opcode, uint64_t rid, int err,
                          const char *what)
{
	char msg[SPOD_ERRMSG_MAX_BYTES];
	size_t len = 0;

	snprintf(msg, sizeof(msg), "%s: %s", what ? what : spod_wire_op_name(opcode),
	         spod_strerror(err));
	if (spod_wire_put_error(out, cap, &len, opcode, rid, err, msg) < 0)
		return 0; /* cannot happen: cap >= SPOD_ENCLAVE_RESP_MAX */
	return len;
}

static int do_info(struct spod_enclave_state *st, const struct spod_frame *f, uint8_t *out,
                   size_t cap, size_t *len)
{
	static const char version[] = SPOD_VERSION;
	struct spod_info_view info = {
	    .proto_version = SPOD_WIRE_VERSION,
	    .alg_mask = 1u << SPOD_ALG_ED25519 | 1u << SPOD_ALG_SECP256K1 | 1u << SPOD_ALG_P256,
	    .key_count = spod_keystore_count(st->keys),
	    .key_capacity = spod_keystore_capacity(st->keys),
	    .flags = st->flags | spod_enclave_info_flags(st),
	    .version = version,
	    .version_len = sizeof(version) - 1,
	};

	SPOD_TRY(spod_wire_empty_req(f));
	return spod_wire_put_info(out, cap, len, f->hdr.request_id, &info);
}

static int do_generate(struct spod_enclave_state *st, const struct spod_frame *f, uint8_t *out,
                       size_t cap, size_t *len)
{
	struct spod_generate_req req;
	const struct spod_key_entry *k;
	const uint8_t *seal_key;
	const char *why;

	SPOD_TRY(spod_wire_generate_req(&req, f));
	SPOD_TRY(spod_enclave_seal_key(&st->seal, &seal_key, &why));
	SPOD_TRY(spod_keystore_generate(st->keys, &k, req.alg, req.label, req.label_len));
	return spod_enclave_put_sealed(st, out, cap, len, f, k, seal_key);
}

static int do_public(struct spod_enclave_state *st, const struct spod_frame *f, uint8_t *out,
                     size_t cap, size_t *len)
{
	struct spod_key_req req;
	const struct spod_key_entry *k;

	SPOD_TRY(spod_wire_key_req(&req, f));
	k = spod_keystore_find(st->keys, req.key_id);
	if (k == NULL)
		return SPOD_E_KEY_NOT_FOUND;
	return spod_wire_put_key(out, cap, len, SPOD_OP_KEY_PUBLIC, f->hdr.request_id, k->id,
	                         k->sk.alg, k->pub, k->pub_len, k->label, k->label_len);
}

static int do_delete(struct spod_enclave_state *st, const struct spod_frame *f, uint8_t *out,
                     size_t cap, size_t *len)
{
	struct spod_key_req req;

	SPOD_TRY(spod_wire_key_req(&req, f));
	SPOD_TRY(spod_keystore_delete(st->keys, req.key_id));
	return spod_wire_put_empty(out, cap, len, SPOD_OP_KEY_DELETE, f->hdr.request_id);
}

static int do_list(struct spod_enclave_state *st, const struct spod_frame *f, uint8_t *out,
                   size_t cap, size_t *len)
{
	struct spod_list_req req;
	struct spod_list_enc enc;
	const struct spod_key_entry *k;
	uint32_t cursor, next;

	SPOD_TRY(spod_wire_list_req(&req, f));
	SPOD_TRY(spod_wire_list_begin(&enc, out, cap, req.max));
	cursor = req.cursor;
	next = 0;
	while (enc.count < req.max) {
		k = spod_keystore_next(st->keys, &cursor);
		if (k == NULL) {
			cursor = 0;
			break;
		}
		SPOD_TRY(spod_wire_list_add(&enc, k->id, k->sk.alg, k->pub, k->pub_len, k->label,
		                            k->label_len));
	}
	/* A full page ends at a cursor; the next page may turn out empty. */
	if (enc.count == req.max)
		next = cursor;
	spod_wire_list_finish(&enc, len, f->hdr.request_id, next, spod_keystore_count(st->keys));
	return SPOD_OK;
}

/*
 * A raw sign under a key's policy (docs/policy.md, "raw"): nothing is decoded, so the policy
 * sees only the kind, the chain the key's algorithm belongs to, and the bytes.
 */
static int raw_gate(struct spod_enclave_state *st, const struct spod_key_entry *k,
                    const struct spod_sign_req *req, struct spod_tx_summary *raw,
                    struct spod_gate *g)
{
	memset(raw, 0, sizeof(*raw));
	raw->kind = SPOD_TX_RAW;
	raw->chain = k->sk.alg == SPOD_ALG_SECP256K1 ? SPOD_CHAIN_ETHEREUM
	             : k->sk.alg == SPOD_ALG_ED25519 ? SPOD_CHAIN_SOLANA
	                                             : 0;
	if (req->mode == SPOD_MODE_DIGEST && req->data_len == sizeof(raw->digest))
		memcpy(raw->digest, req->data, sizeof(raw->digest));
	raw->message = (struct spod_view){req->data, req->data_len};
	return spod_enclave_policy_gate(st, k, raw, g);
}

/* Signs one validated request with k into sig (64 bytes), through k's policy if it has one. */
static int sign_gated(struct spod_enclave_state *st, const struct spod_key_entry *k,
                      const struct spod_sign_req *req, struct spod_gate *g, uint8_t *sig,
                      size_t *sig_len, uint8_t *alg, uint8_t *recid)
{
	struct spod_tx_summary raw;

	if (k == NULL)
		return SPOD_E_KEY_NOT_FOUND;
	*alg = k->sk.alg;
	SPOD_TRY(spod_mode_check(k->sk.alg, req->mode));
	if (spod_enclave_policy_of(st, k) == NULL)
		return spod_sign(sig, sig_len, recid, &k->sk, req->mode, req->data, req->data_len);
	SPOD_TRY(raw_gate(st, k, req, &raw, g));
	SPOD_TRY(spod_sign(sig, sig_len, recid, &k->sk, req->mode, req->data, req->data_len));
	spod_enclave_policy_done(&raw, g);
	return SPOD_OK;
}

/*
 * Signs one validated request of opcode (sign or sign.batch) and makes its evidence record,
 * whatever the outcome: the digest spod-host's audit keeps, and the status the answer carries.
 */
static int sign_one(struct spod_enclave_state *st, uint8_t opcode, const struct spod_sign_req *req,
                    uint8_t *sig, size_t *sig_len, uint8_t *alg, uint8_t *recid)
{
	const struct spod_key_entry *k = spod_enclave_find_key(st, req->key_id);
	struct spod_gate g;
	uint8_t digest[32];
	int rc;

	*sig_len = 0;
	*alg = 0;
	*recid = SPOD_RECID_NONE;
	memset(&g, 0, sizeof(g));
	rc = sign_gated(st, k, req, &g, sig, sig_len, alg, recid);
	if (st->ev_batch != NULL) {
		spod_evidence_sign_digest(digest, req->mode, req->data, req->data_len);
		spod_enclave_evidence_note(st, opcode, req->mode, 0, rc, req->key_id, digest, k,
		                           &g);
	}
	return rc;
}

const struct spod_key_entry *spod_enclave_find_key(struct spod_enclave_state *st,
                                                   const uint8_t id[SPOD_KEY_ID_BYTES])
{
	const struct spod_key_entry *k;

	if (st->pinned == NULL)
		return spod_keystore_find(st->keys, id);
	/* The loop pinned exactly these keys, in this order (workers.c): anything else is a bug. */
	if (st->next_pin >= st->npinned)
		abort();
	k = st->pinned[st->next_pin++];
	if (k != NULL && memcmp(k->id, id, SPOD_KEY_ID_BYTES) != 0)
		abort();
	return k;
}

static int do_sign(struct spod_enclave_state *st, const struct spod_frame *f, uint8_t *out,
                   size_t cap, size_t *len)
{
	struct spod_sign_req req;
	uint8_t *sig = spod_wire_sig_reserve(out, cap);
	size_t sig_len;
	uint8_t alg, recid;

	if (sig == NULL)
		return SPOD_E_INTERNAL;
	SPOD_TRY(spod_wire_sign_req(&req, f));
	SPOD_TRY(sign_one(st, SPOD_OP_SIGN, &req, sig, &sig_len, &alg, &recid));
	spod_wire_sig_commit(out, len, f->hdr.request_id, alg, recid, (uint32_t)sig_len);
	return SPOD_OK;
}

static int do_batch(struct spod_enclave_state *st, const struct spod_frame *f, uint8_t *out,
                    size_t cap, size_t *len)
{
	struct spod_batch_req req;
	struct spod_batch_resp_enc enc;
	struct spod_sign_req item;

	SPOD_TRY(spod_wire_batch_req(&req, f));
	SPOD_TRY(spod_wire_batch_resp_begin(&enc, out, cap, req.count));
	for (uint32_t i = 0; i < req.count; i++) {
		size_t sig_len;
		uint8_t alg, recid;
		int rc;

		spod_wire_batch_item(&item, &req, i);
		rc = sign_one(st, SPOD_OP_SIGN_BATCH, &item, spod_wire_batch_resp_slot(&enc),
		              &sig_len, &alg, &recid);
		if (rc < 0)
			st->errors++;
		spod_wire_batch_resp_fill(&enc, rc, alg, recid, (uint32_t)sig_len);
	}
	spod_wire_batch_resp_finish(&enc, len, f->hdr.request_id);
	return SPOD_OK;
}

static int do_attest(struct spod_enclave_state *st, const struct spod_frame *f, uint8_t *out,
                     size_t cap, size_t *len)
{
	uint8_t ud[SPOD_ATTEST_USER_DATA_MAX];
	struct spod_bytes user_data, nonce = {0};
	struct spod_bytes public_key = {st->seal.provision_pub, SPOD_X25519_BYTES};
	const struct spod_key_entry *k = NULL;
	struct spod_attest_seal seal;
	struct spod_seal_view sv;
	struct spod_attest_req req;
	uint8_t *doc = spod_wire_doc_reserve(out, cap);
	size_t doc_len, ud_len;

	if (doc == NULL)
		return SPOD_E_INTERNAL;
	SPOD_TRY(spod_wire_attest_req(&req, f));
	if (st->nsm == NULL)
		return SPOD_E_UNAVAILABLE;
	if (req.key_id != NULL && (k = spod_keystore_find(st->keys, req.key_id)) == NULL)
		return SPOD_E_KEY_NOT_FOUND;
	/* Every document says how this enclave seals (docs/attestation.md, user_data). */
	spod_enclave_seal_status(&st->seal, &sv);
	seal =
	    (struct spod_attest_seal){sv.mode, sv.ready, sv.threshold, sv.shares, sv.present, {0}};
	if (sv.seal_key_id != NULL)
		memcpy(seal.seal_key_id, sv.seal_key_id, sizeof(seal.seal_key_id));
	SPOD_TRY(spod_attest_user_data_encode(ud, sizeof(ud), &ud_len, &seal, k ? k->sk.alg : 0,
	                                      k ? k->id : NULL, k ? k->pub : NULL,
	                                      k ? k->pub_len : 0));
	/* A bound key's policy: clients see which rules guard the key (docs/policy.md). */
	if (k != NULL && k->policy != NULL)
		SPOD_TRY(spod_attest_user_data_add_policy(
		    ud, sizeof(ud), &ud_len, k->policy->p.hash, k->policy->admin_hash));
	/* The evidence key, in every document: what verifiers check evidence against. */
	if (st->ev.sk != NULL)
		SPOD_TRY(spod_attest_user_data_add_evidence(ud, sizeof(ud), &ud_len, st->ev.pub));
	user_data = (struct spod_bytes){ud, ud_len};
	if (req.nonce_len > 0)
		nonce = (struct spod_bytes){req.nonce, req.nonce_len};
	/* The NSM writes the document straight into the response frame. */
	SPOD_TRY(spod_nsm_attest(st->nsm, doc, SPOD_DOC_MAX_BYTES, &doc_len, user_data, nonce,
	                         public_key));
	if (req.nonce_len > 0)
		spod_enclave_seal_note_nonce(&st->seal, req.nonce, req.nonce_len);
	spod_wire_doc_commit(out, len, f->hdr.request_id, (uint32_t)doc_len);
	return SPOD_OK;
}

static int do_echo(struct spod_enclave_state *st, const struct spod_frame *f, uint8_t *out,
                   size_t cap, size_t *len)
{
	(void)st;
	return spod_wire_put_echo(out, cap, len, f->hdr.request_id, f->body, f->body_len);
}
/*
 * The enclave enforces no tokens (spod-host does, docs/auth.md): it answers a well-formed
 * hello with flags 0, so a client that reached it directly learns that nothing is checked.
 */
static int do_hello(struct spod_enclave_state *st, const struct spod_frame *f, uint8_t *out,
                    size_t cap, size_t *len)
{
	static const uint8_t no_token[SPOD_KEY_ID_BYTES];
	struct spod_hello_req req;

	(void)st;

	SPOD_TRY(spod_wire_hello_req(&req, f));
	return spod_wire_put_hello(out, cap, len, f->hdr.request_id, no_token, 0,
	                           SPOD_HELLO_OP_SIGN | SPOD_HELLO_OP_GENERATE |
	                               SPOD_HELLO_OP_DELETE | SPOD_HELLO_OP_LIST |
	                               SPOD_HELLO_OP_ATTEST);
}

/* The enclave sends evidence frames and never answers one: refused as an unknown request. */
static int do_not_a_request(struct spod_enclave_state *st, const struct spod_frame *f, uint8_t *out,
                            size_t cap, size_t *len)
{
	(void)st, (void)f, (void)out, (void)cap, (void)len;
	return SPOD_E_UNKNOWN_OP;
}

/* The handler of each opcode, by its slot in the opcode table (src/wire/ops.h). */
static const handler_fn handlers[SPOD_OPS_COUNT] = {
    [SPOD_SLOT_INFO] = do_info,
    [SPOD_SLOT_ECHO] = do_echo,
    [SPOD_SLOT_HELLO] = do_hello,
    [SPOD_SLOT_KEY_GENERATE] = do_generate,
    [SPOD_SLOT_KEY_PUBLIC] = do_public,
    [SPOD_SLOT_KEY_LIST] = do_list,
    [SPOD_SLOT_KEY_DELETE] = do_delete,
    [SPOD_SLOT_SIGN] = do_sign,
    [SPOD_SLOT_SIGN_BATCH] = do_batch,
    [SPOD_SLOT_ATTEST] = do_attest,
    [SPOD_SLOT_KEY_LOAD] = spod_enclave_do_load,
    [SPOD_SLOT_KEY_IMPORT] = spod_enclave_do_import,
    [SPOD_SLOT_SEAL_SETUP] = spod_enclave_do_seal,
    [SPOD_SLOT_SEAL_STATUS] = spod_enclave_do_seal,
    [SPOD_SLOT_CUSTODIAN_SHARE] = spod_enclave_do_share,
    [SPOD_SLOT_SIGN_TX] = spod_enclave_do_sign_tx,
    [SPOD_SLOT_POLICY_SET] = spod_enclave_do_policy,
    [SPOD_SLOT_POLICY_GET] = spod_enclave_do_policy,
    [SPOD_SLOT_POLICY_ADMINS] = spod_enclave_do_policy,
    [SPOD_SLOT_POLICY_SYNC] = spod_enclave_do_policy,
    [SPOD_SLOT_EVIDENCE] = do_not_a_request,
    [SPOD_SLOT_AUDIT_HEAD] = spod_enclave_do_audit_head,
};

size_t spod_enclave_handle(struct spod_enclave_state *st, const struct spod_frame *f, uint8_t *out,
                           size_t cap)
{
	const struct spod_op_def *op = spod_wire_op(f->hdr.opcode);
	size_t len = 0;
	int rc;

	st->requests++;
	st->why = NULL;
#ifdef SPOD_TEST_OPS
	if (f->hdr.opcode == SPOD_OP_DEBUG_FORBIDDEN && spod_wire_check_hdr(&f->hdr, 0) == SPOD_OK)
		return spod_enclave_debug_op(f, out, cap);
#endif
	rc = spod_wire_check_hdr(&f->hdr, 0);
	if (rc == SPOD_OK)
		rc = op != NULL ? handlers[op->slot](st, f, out, cap, &len) : SPOD_E_UNKNOWN_OP;
	if (rc == SPOD_OK)
		return len;
	st->errors++;
	if (st->why != NULL) {
		/* The handler said exactly what was wrong: "key.load: sealed under another ..." */
		char msg[SPOD_ERRMSG_MAX_BYTES];

		snprintf(msg, sizeof(msg), "%s: %s", spod_wire_op_name(f->hdr.opcode), st->why);
		if (spod_wire_put_error(out, cap, &len, f->hdr.opcode, f->hdr.request_id, rc,
		                        msg) == SPOD_OK)
			return len;
	}
	return spod_enclave_error(out, cap, f->hdr.opcode, f->hdr.request_id, rc, NULL);
}
