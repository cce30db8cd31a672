/*
 * libFuzzer target for the wire format v1 parsers (src/wire).
 *
 * The input is a byte stream as a socket would deliver it. Every complete frame is copied
 * into a buffer of exactly its own length, so a view that strays past its frame lands in
 * an ASan redzone, and then goes through the header check (both polarities), every request
 * validator and every response decoder, whatever its opcode. Every byte a returned view
 * points to is read. Beyond memory safety the target checks the contracts of
 * include/spod/wire.h: views lie inside the body and past the fixed part, failures leave
 * zeroed views, decoders only accept their own opcodes, and whatever a validator accepts
 * re-encodes to a frame that validates to the same fields.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spod/err.h"
#include "spod/wire.h"
#include "wire/layout.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

static volatile uint32_t sink;
static uint8_t enc_buf[SPOD_FRAME_MAX_BYTES];

static int is_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return 0;
	return 1;
}

/* Reads p[0..n) and checks it lies in body[lo..body_len). */
static void touch(const struct spod_frame *f, uint32_t lo, const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t acc = 0;

	CHECK(b != NULL);
	CHECK(b >= f->body + lo && b <= f->body + f->body_len);
	CHECK(n <= (size_t)(f->body + f->body_len - b));
	for (size_t i = 0; i < n; i++)
		acc += b[i];
	sink += acc;
}

static const struct spod_frame *reframe(struct spod_frame *g, size_t len)
{
	CHECK(spod_wire_frame(g, enc_buf, len) == SPOD_OK);
	CHECK(g->frame_len == len);
	return g;
}

static void fuzz_generate(const struct spod_frame *f)
{
	struct spod_generate_req v, w;
	struct spod_frame g;
	size_t n;

	if (spod_wire_generate_req(&v, f) != SPOD_OK) {
		CHECK(is_zero(&v, sizeof(v)));
		return;
	}
	CHECK(spod_alg_valid(v.alg));
	CHECK((v.label == NULL) == (v.label_len == 0));
	if (v.label != NULL) {
		touch(f, GEN_FIXED, v.label, v.label_len);
		CHECK(spod_label_valid(v.label, v.label_len));
	}
	CHECK(spod_wire_enc_generate_label(enc_buf, sizeof(enc_buf), &n, f->hdr.request_id, v.alg,
	                                   v.label, v.label_len) == SPOD_OK);
	CHECK(spod_wire_generate_req(&w, reframe(&g, n)) == SPOD_OK && w.alg == v.alg);
	CHECK(w.label_len == v.label_len &&
	      (v.label_len == 0 || memcmp(w.label, v.label, v.label_len) == 0));
	/* the layout has no slack: the re-encoded body is the original body */
	CHECK(g.body_len == f->body_len && memcmp(g.body, f->body, f->body_len) == 0);
}

static void fuzz_hello(const struct spod_frame *f)
{
	struct spod_hello_req v, w;
	struct spod_frame g;
	size_t n;

	if (spod_wire_hello_req(&v, f) != SPOD_OK) {
		CHECK(is_zero(&v, sizeof(v)));
		return;
	}
	CHECK(v.token_len >= 1 && v.token_len <= SPOD_TOKEN_MAX_BYTES);
	touch(f, HELLO_FIXED, v.token, v.token_len);
	CHECK(spod_wire_enc_hello(enc_buf, sizeof(enc_buf), &n, f->hdr.request_id, v.token,
	                          v.token_len) == SPOD_OK);
	CHECK(spod_wire_hello_req(&w, reframe(&g, n)) == SPOD_OK && w.token_len == v.token_len);
	/* the layout has no slack: the re-encoded body is the original body */
	CHECK(g.body_len == f->body_len && memcmp(g.body, f->body, f->body_len) == 0);
}

static void fuzz_key(const struct spod_frame *f)
{
	struct spod_key_req v, w;
	struct spod_frame g;
	size_t n;

	if (spod_wire_key_req(&v, f) != SPOD_OK) {
		CHECK(is_zero(&v, sizeof(v)));
		return;
	}
	touch(f, 0, v.key_id, SPOD_KEY_ID_BYTES);
	CHECK(spod_wire_enc_key(enc_buf, sizeof(enc_buf), &n, f->hdr.opcode, f->hdr.request_id,
	                        v.key_id) == SPOD_OK);
	CHECK(spod_wire_key_req(&w, reframe(&g, n)) == SPOD_OK);
	CHECK(memcmp(w.key_id, v.key_id, SPOD_KEY_ID_BYTES) == 0);
}

static void fuzz_list(const struct spod_frame *f)
{
	struct spod_list_req v, w;
	struct spod_frame g;
	size_t n;

	if (spod_wire_list_req(&v, f) != SPOD_OK) {
		CHECK(is_zero(&v, sizeof(v)));
		return;
	}
	CHECK(v.max >= 1 && v.max <= SPOD_LIST_MAX_ITEMS);
	CHECK(spod_wire_enc_list(enc_buf, sizeof(enc_buf), &n, f->hdr.request_id, v.cursor,
	                         v.max) == SPOD_OK);
	CHECK(spod_wire_list_req(&w, reframe(&g, n)) == SPOD_OK);
	CHECK(w.cursor == v.cursor && w.max == v.max);
	CHECK(memcmp(g.body, f->body, f->body_len) == 0);
}

static void check_sign_item(const struct spod_frame *f, uint32_t fixed,
                            const struct spod_sign_req *v)
{
	touch(f, 0, v->key_id, SPOD_KEY_ID_BYTES);
	touch(f, fixed, v->data, v->data_len);
	CHECK(v->mode <= SPOD_MODE_KECCAK256);
	CHECK(v->data_len <= SPOD_MSG_MAX_BYTES);
	CHECK(v->mode != SPOD_MODE_DIGEST || v->data_len == SPOD_DIGEST_BYTES);
}

static void fuzz_sign(const struct spod_frame *f)
{
	struct spod_sign_req v, w;
	struct spod_frame g;
	size_t n;

	if (spod_wire_sign_req(&v, f) != SPOD_OK) {
		CHECK(is_zero(&v, sizeof(v)));
		return;
	}
	check_sign_item(f, SIGN_FIXED, &v);
	CHECK(spod_wire_enc_sign(enc_buf, sizeof(enc_buf), &n, f->hdr.request_id, v.key_id, v.mode,
	                         v.data, v.data_len) == SPOD_OK);
	CHECK(spod_wire_sign_req(&w, reframe(&g, n)) == SPOD_OK);
	CHECK(memcmp(w.key_id, v.key_id, SPOD_KEY_ID_BYTES) == 0 && w.mode == v.mode);
	CHECK(w.data_len == v.data_len && memcmp(w.data, v.data, v.data_len) == 0);
}

static void fuzz_attest(const struct spod_frame *f)
{
	struct spod_attest_req v, w;
	struct spod_frame g;
	size_t n;

	if (spod_wire_attest_req(&v, f) != SPOD_OK) {
		CHECK(is_zero(&v, sizeof(v)));
		return;
	}
	if (v.key_id != NULL)
		touch(f, 0, v.key_id, SPOD_KEY_ID_BYTES);
	touch(f, ATT_FIXED, v.nonce, v.nonce_len);
	CHECK(v.nonce_len <= SPOD_NONCE_MAX_BYTES);
	CHECK(spod_wire_enc_attest(enc_buf, sizeof(enc_buf), &n, f->hdr.request_id, v.key_id,
	                           v.nonce, v.nonce_len) == SPOD_OK);
	CHECK(spod_wire_attest_req(&w, reframe(&g, n)) == SPOD_OK);
	CHECK((w.key_id == NULL) == (v.key_id == NULL));
	CHECK(w.key_id == NULL || memcmp(w.key_id, v.key_id, SPOD_KEY_ID_BYTES) == 0);
	CHECK(w.nonce_len == v.nonce_len && memcmp(w.nonce, v.nonce, v.nonce_len) == 0);
}

static void fuzz_batch(const struct spod_frame *f)
{
	struct spod_batch_req v, w;
	struct spod_batch_enc e;
	struct spod_sign_req it, jt;
	struct spod_frame g;
	uint32_t fixed;
	size_t n;

	if (spod_wire_batch_req(&v, f) != SPOD_OK) {
		CHECK(is_zero(&v, sizeof(v)));
		return;
	}
	CHECK(v.count >= 1 && v.count <= SPOD_BATCH_MAX_ITEMS);
	CHECK(v.body == f->body && v.body_len == f->body_len);
	fixed = BATCH_ITEMS + v.count * BATCH_ITEM_BYTES;
	CHECK(fixed <= f->body_len);
	for (uint32_t i = 0; i < v.count; i++) {
		spod_wire_batch_item(&it, &v, i);
		check_sign_item(f, fixed, &it);
	}

	/* Items may share or skip data, so the re-encoding is not always smaller; it may not fit.
	 */
	CHECK(spod_wire_batch_begin(&e, enc_buf, sizeof(enc_buf), f->hdr.request_id, v.count) ==
	      SPOD_OK);
	for (uint32_t i = 0; i < v.count; i++) {
		spod_wire_batch_item(&it, &v, i);
		int rc = spod_wire_batch_add(&e, it.key_id, it.mode, it.data, it.data_len);
		if (rc == SPOD_E_TOO_LARGE)
			return;
		CHECK(rc == SPOD_OK);
	}
	CHECK(spod_wire_batch_finish(&e, &n) == SPOD_OK);
	CHECK(spod_wire_batch_req(&w, reframe(&g, n)) == SPOD_OK && w.count == v.count);
	for (uint32_t i = 0; i < v.count; i++) {
		spod_wire_batch_item(&it, &v, i);
		spod_wire_batch_item(&jt, &w, i);
		CHECK(memcmp(it.key_id, jt.key_id, SPOD_KEY_ID_BYTES) == 0 && it.mode == jt.mode);
		CHECK(it.data_len == jt.data_len && memcmp(it.data, jt.data, it.data_len) == 0);
	}
}

static void fuzz_sign_tx(const struct spod_frame *f)
{
	struct spod_sign_tx_req v, w;
	struct spod_frame g;
	size_t n;

	if (spod_wire_sign_tx_req(&v, f) != SPOD_OK) {
		CHECK(is_zero(&v, sizeof(v)));
		return;
	}
	touch(f, 0, v.key_id, SPOD_KEY_ID_BYTES);
	touch(f, SIGNTX_FIXED, v.tx, v.tx_len);
	CHECK(v.chain == SPOD_TX_CHAIN_ETHEREUM || v.chain == SPOD_TX_CHAIN_SOLANA);
	CHECK(v.tx_len >= 1 && v.tx_len <= SPOD_TX_MAX_BYTES);
	CHECK(v.form <= SPOD_TX_FORM_MAX && (v.form == 0 || v.chain == SPOD_TX_CHAIN_ETHEREUM));
	CHECK(spod_wire_enc_sign_tx_form(enc_buf, sizeof(enc_buf), &n, f->hdr.request_id, v.key_id,
	                                 v.chain, v.form, v.tx, v.tx_len) == SPOD_OK);
	CHECK(spod_wire_sign_tx_req(&w, reframe(&g, n)) == SPOD_OK);
	CHECK(memcmp(w.key_id, v.key_id, SPOD_KEY_ID_BYTES) == 0 && w.chain == v.chain &&
	      w.form == v.form);
	CHECK(w.tx_len == v.tx_len && memcmp(w.tx, v.tx, v.tx_len) == 0);
}

static void fuzz_policy_set(const struct spod_frame *f)
{
	struct spod_policy_set_req v, w;
	struct spod_frame g;
	size_t n;

	if (spod_wire_policy_set_req(&v, f) != SPOD_OK) {
		CHECK(is_zero(&v, sizeof(v)));
		return;
	}
	CHECK(v.n_approvals <= SPOD_POLICY_ADMINS_MAX && v.policy_len <= SPOD_POLICY_WIRE_MAX);
	CHECK((v.approvals == NULL) == (v.n_approvals == 0));
	CHECK((v.policy == NULL) == (v.policy_len == 0));
	touch(f, 0, v.key_id, SPOD_KEY_ID_BYTES);
	if (v.approvals != NULL)
		touch(f, PSET_FIXED, v.approvals, (size_t)v.n_approvals * SPOD_APPROVAL_BYTES);
	if (v.policy != NULL)
		touch(f, PSET_FIXED, v.policy, v.policy_len);
	CHECK(spod_wire_enc_policy_set(enc_buf, sizeof(enc_buf), &n, f->hdr.request_id, v.key_id,
	                               v.approvals, v.n_approvals, v.policy,
	                               v.policy_len) == SPOD_OK);
	CHECK(spod_wire_policy_set_req(&w, reframe(&g, n)) == SPOD_OK);
	/* the layout has no slack: the re-encoded body is the original body */
	CHECK(g.body_len == f->body_len && memcmp(g.body, f->body, f->body_len) == 0);
}

static void fuzz_policy_admins(const struct spod_frame *f)
{
	struct spod_policy_admins v, w;
	struct spod_frame g;
	size_t n;

	if (spod_wire_policy_admins_req(&v, f) != SPOD_OK) {
		CHECK(is_zero(&v, sizeof(v)));
		return;
	}
	CHECK(v.count <= SPOD_POLICY_ADMINS_MAX && v.threshold <= v.count);
	CHECK((v.count == 0) == (v.threshold == 0) && (v.keys == NULL) == (v.count == 0));
	if (v.keys != NULL)
		touch(f, ADM_KEYS_REQ, v.keys, (size_t)v.count * 32);
	CHECK(spod_wire_enc_policy_admins(enc_buf, sizeof(enc_buf), &n, f->hdr.request_id, &v) ==
	      SPOD_OK);
	CHECK(spod_wire_policy_admins_req(&w, reframe(&g, n)) == SPOD_OK);
	CHECK(g.body_len == f->body_len && memcmp(g.body, f->body, f->body_len) == 0);
}

/* Decoders return SPOD_OK only for their own opcodes, in a valid status-0 response. */
static void check_decoded(const struct spod_frame *f, int rc, int opcode_ok)
{
	if (rc != SPOD_OK)
		return;
	CHECK(opcode_ok);
	CHECK(f->hdr.status == 0 && spod_wire_check_hdr(&f->hdr, 1) == SPOD_OK);
}

/* The evidence frame spod-host reads from an enclave: views in the body, the record count
 * matches the length, and it re-encodes to the same bytes. */
static void fuzz_evidence(const struct spod_frame *f)
{
	struct spod_evidence_view v, w;
	struct spod_frame g;
	size_t n;

	if (spod_wire_evidence(&v, f) != SPOD_OK) {
		CHECK(is_zero(&v, sizeof(v)));
		return;
	}
	CHECK(f->hdr.opcode == SPOD_OP_EVIDENCE && f->hdr.request_id == 0);
	CHECK(v.count >= 1 && v.count <= SPOD_EVIDENCE_WIRE_MAX && v.first >= 1);
	touch(f, 0, v.pub, 32);
	touch(f, 0, v.sig, 64);
	touch(f, EV_FIXED, v.records, (size_t)v.count * SPOD_EVIDENCE_REC_WIRE_BYTES);
	CHECK(spod_wire_put_evidence(enc_buf, sizeof(enc_buf), &n, v.pub, v.first, v.count, v.sig,
	                             v.records) == SPOD_OK);
	CHECK(spod_wire_evidence(&w, reframe(&g, n)) == SPOD_OK);
	CHECK(n == f->frame_len && memcmp(enc_buf, f->body - SPOD_HDR_BYTES, n) == 0);
}

/* audit.head, request and answer: nonce inside the body, re-encoding gives the same body. */
static void fuzz_audit_head(const struct spod_frame *f)
{
	struct spod_audit_head_view v, w;
	struct spod_frame g;
	size_t n;
	int rc;

	if (spod_wire_audit_head_req(&v, f) != SPOD_OK) {
		CHECK(is_zero(&v, sizeof(v)));
	} else {
		CHECK(v.nonce_len <= SPOD_AUDIT_NONCE_MAX_BYTES &&
		      (v.nonce == NULL) == (v.nonce_len == 0));
		if (v.nonce != NULL)
			touch(f, AHQ_NONCE, v.nonce, v.nonce_len);
		touch(f, 0, v.hash, 32);
		CHECK(spod_wire_enc_audit_head(enc_buf, sizeof(enc_buf), &n, f->hdr.request_id,
		                               v.mode, v.seq, v.hash, v.nonce,
		                               v.nonce_len) == SPOD_OK);
		CHECK(spod_wire_audit_head_req(&w, reframe(&g, n)) == SPOD_OK);
		CHECK(g.body_len == f->body_len && memcmp(g.body, f->body, f->body_len) == 0);
	}
	rc = spod_wire_audit_head_resp(&v, f);
	check_decoded(f, rc, f->hdr.opcode == SPOD_OP_AUDIT_HEAD);
	if (rc != SPOD_OK) {
		CHECK(is_zero(&v, sizeof(v)));
		return;
	}
	touch(f, 0, v.pub, 32);
	touch(f, 0, v.sig, 64);
	CHECK(spod_wire_put_audit_head(enc_buf, sizeof(enc_buf), &n, f->hdr.request_id, &v) ==
	      SPOD_OK);
	CHECK(spod_wire_audit_head_resp(&w, reframe(&g, n)) == SPOD_OK);
	CHECK(n == f->frame_len && memcmp(enc_buf, f->body - SPOD_HDR_BYTES, n) == 0);
}

static void fuzz_doc_resp(const struct spod_frame *f)
{
	struct spod_doc_view v;
	int rc = spod_wire_doc_resp(&v, f);

	check_decoded(f, rc, f->hdr.opcode == SPOD_OP_ATTEST);
	if (rc != SPOD_OK)
		return;
	touch(f, DOC_FIXED, v.doc, v.doc_len);
	CHECK(v.doc_len <= SPOD_DOC_MAX_BYTES);
}

static void fuzz_sig_resp(const struct spod_frame *f)
{
	struct spod_sig_view v, w;
	struct spod_frame g;
	uint8_t *slot;
	size_t n;
	int rc = spod_wire_sig_resp(&v, f);

	check_decoded(f, rc, f->hdr.opcode == SPOD_OP_SIGN);
	if (rc != SPOD_OK) {
		CHECK(is_zero(&v, sizeof(v)));
		return;
	}
	CHECK(v.sig_len <= SPOD_SIG_MAX_BYTES);
	touch(f, SIG_FIXED, v.sig, v.sig_len);

	slot = spod_wire_sig_reserve(enc_buf, sizeof(enc_buf));
	CHECK(slot != NULL);
	memcpy(slot, v.sig, v.sig_len);
	spod_wire_sig_commit(enc_buf, &n, f->hdr.request_id, v.alg, v.recid, v.sig_len);
	CHECK(spod_wire_sig_resp(&w, reframe(&g, n)) == SPOD_OK);
	CHECK(w.alg == v.alg && w.recid == v.recid && w.sig_len == v.sig_len);
	CHECK(memcmp(w.sig, v.sig, v.sig_len) == 0);
}

static void check_key_view(const struct spod_frame *f, uint32_t fixed,
                           const struct spod_key_view *k)
{
	touch(f, 0, k->key_id, SPOD_KEY_ID_BYTES);
	CHECK(k->pub_len <= SPOD_PUB_MAX_BYTES);
	touch(f, fixed, k->pub, k->pub_len);
	CHECK((k->label == NULL) == (k->label_len == 0));
	CHECK(k->label_len <= SPOD_LABEL_MAX_BYTES);
	if (k->label != NULL) {
		touch(f, fixed, k->label, k->label_len);
		CHECK(spod_label_valid(k->label, k->label_len));
	}
}

/* Two views of the same key: same id, algorithm, public key and label. */
static int same_key(const struct spod_key_view *a, const struct spod_key_view *b)
{
	return memcmp(a->key_id, b->key_id, SPOD_KEY_ID_BYTES) == 0 && a->alg == b->alg &&
	       a->pub_len == b->pub_len && memcmp(a->pub, b->pub, a->pub_len) == 0 &&
	       a->label_len == b->label_len &&
	       (a->label_len == 0 || memcmp(a->label, b->label, a->label_len) == 0);
}

static void fuzz_key_resp(const struct spod_frame *f)
{
	struct spod_key_view v, w;
	struct spod_frame g;
	size_t n;
	int rc = spod_wire_key_resp(&v, f);

	check_decoded(f, rc,
	              f->hdr.opcode == SPOD_OP_KEY_GENERATE ||
	                  f->hdr.opcode == SPOD_OP_KEY_PUBLIC ||
	                  f->hdr.opcode == SPOD_OP_KEY_IMPORT || f->hdr.opcode == SPOD_OP_KEY_LOAD);
	if (rc != SPOD_OK) {
		CHECK(is_zero(&v, sizeof(v)));
		return;
	}
	check_key_view(f, KEY_FIXED, &v);
	CHECK(spod_wire_put_key(enc_buf, sizeof(enc_buf), &n, f->hdr.opcode, f->hdr.request_id,
	                        v.key_id, v.alg, v.pub, v.pub_len, v.label,
	                        v.label_len) == SPOD_OK);
	CHECK(n <= spod_wire_resp_max(f->hdr.opcode, 0));
	CHECK(spod_wire_key_resp(&w, reframe(&g, n)) == SPOD_OK);
	CHECK(same_key(&v, &w));
}

static void fuzz_hello_resp(const struct spod_frame *f)
{
	struct spod_hello_view v, w;
	struct spod_frame g;
	size_t n;
	int rc = spod_wire_hello_resp(&v, f);

	check_decoded(f, rc, f->hdr.opcode == SPOD_OP_HELLO);
	if (rc != SPOD_OK) {
		CHECK(is_zero(&v, sizeof(v)));
		return;
	}
	touch(f, 0, v.token_id, SPOD_KEY_ID_BYTES);
	CHECK(spod_wire_put_hello(enc_buf, sizeof(enc_buf), &n, f->hdr.request_id, v.token_id,
	                          v.flags, v.ops) == SPOD_OK);
	CHECK(spod_wire_hello_resp(&w, reframe(&g, n)) == SPOD_OK);
	CHECK(memcmp(w.token_id, v.token_id, SPOD_KEY_ID_BYTES) == 0 && w.flags == v.flags &&
	      w.ops == v.ops);
	CHECK(n == f->frame_len && memcmp(enc_buf, f->body - SPOD_HDR_BYTES, n) == 0);
}

static void fuzz_info_resp(const struct spod_frame *f)
{
	struct spod_info_view v, w;
	struct spod_frame g;
	size_t n;
	int rc = spod_wire_info_resp(&v, f);

	check_decoded(f, rc, f->hdr.opcode == SPOD_OP_INFO);
	if (rc != SPOD_OK) {
		CHECK(is_zero(&v, sizeof(v)));
		return;
	}
	CHECK(v.version_len <= INFO_VERSION_MAX);
	touch(f, INFO_FIXED, v.version, v.version_len);
	CHECK(spod_wire_put_info(enc_buf, sizeof(enc_buf), &n, f->hdr.request_id, &v) == SPOD_OK);
	CHECK(spod_wire_info_resp(&w, reframe(&g, n)) == SPOD_OK);
	CHECK(w.proto_version == v.proto_version && w.alg_mask == v.alg_mask &&
	      w.key_count == v.key_count && w.key_capacity == v.key_capacity &&
	      w.flags == v.flags && w.version_len == v.version_len);
	CHECK(memcmp(w.version, v.version, v.version_len) == 0);
}

static void fuzz_list_resp(const struct spod_frame *f)
{
	struct spod_list_view v, w;
	struct spod_list_enc e;
	struct spod_key_view k, l;
	struct spod_frame g;
	uint32_t fixed;
	size_t n;
	int rc = spod_wire_list_resp(&v, f);

	check_decoded(f, rc, f->hdr.opcode == SPOD_OP_KEY_LIST);
	if (rc != SPOD_OK) {
		CHECK(is_zero(&v, sizeof(v)));
		return;
	}
	CHECK(v.count <= SPOD_LIST_MAX_ITEMS);
	CHECK(v.body == f->body && v.body_len == f->body_len);
	fixed = LIST_ENTRIES + v.count * LIST_ENTRY_BYTES;
	for (uint32_t i = 0; i < v.count; i++) {
		spod_wire_list_item(&k, &v, i);
		check_key_view(f, fixed, &k);
	}

	CHECK(spod_wire_list_begin(&e, enc_buf, sizeof(enc_buf), v.count ? v.count : 1) == SPOD_OK);
	for (uint32_t i = 0; i < v.count; i++) {
		spod_wire_list_item(&k, &v, i);
		CHECK(spod_wire_list_add(&e, k.key_id, k.alg, k.pub, k.pub_len, k.label,
		                         k.label_len) == SPOD_OK);
	}
	spod_wire_list_finish(&e, &n, f->hdr.request_id, v.next_cursor, v.total);
	CHECK(n <= spod_wire_resp_max(SPOD_OP_KEY_LIST, 0));
	CHECK(spod_wire_list_resp(&w, reframe(&g, n)) == SPOD_OK);
	CHECK(w.count == v.count && w.next_cursor == v.next_cursor && w.total == v.total);
	for (uint32_t i = 0; i < v.count; i++) {
		spod_wire_list_item(&k, &v, i);
		spod_wire_list_item(&l, &w, i);
		CHECK(same_key(&k, &l));
	}
}

static void fuzz_batch_resp(const struct spod_frame *f)
{
	struct spod_batch_resp_view v, w;
	struct spod_batch_resp_enc e;
	struct spod_sig_view s, t;
	struct spod_frame g;
	uint32_t fixed;
	size_t n;
	int rc = spod_wire_batch_resp(&v, f);

	check_decoded(f, rc, f->hdr.opcode == SPOD_OP_SIGN_BATCH);
	if (rc != SPOD_OK) {
		CHECK(is_zero(&v, sizeof(v)));
		return;
	}
	CHECK(v.count >= 1 && v.count <= SPOD_BATCH_MAX_ITEMS);
	CHECK(v.body == f->body && v.body_len == f->body_len);
	fixed = BRESP_ITEMS + v.count * BRESP_ITEM_BYTES;
	for (uint32_t i = 0; i < v.count; i++) {
		spod_wire_batch_resp_item(&s, &v, i);
		CHECK(s.status <= 0 && s.status > SPOD_E__MIN);
		CHECK(s.sig_len <= SPOD_SIG_MAX_BYTES);
		touch(f, fixed, s.sig, s.sig_len);
	}

	CHECK(spod_wire_batch_resp_begin(&e, enc_buf, sizeof(enc_buf), v.count) == SPOD_OK);
	for (uint32_t i = 0; i < v.count; i++) {
		spod_wire_batch_resp_item(&s, &v, i);
		memcpy(spod_wire_batch_resp_slot(&e), s.sig, s.sig_len);
		spod_wire_batch_resp_fill(&e, s.status, s.alg, s.recid, s.sig_len);
	}
	spod_wire_batch_resp_finish(&e, &n, f->hdr.request_id);
	CHECK(spod_wire_batch_resp(&w, reframe(&g, n)) == SPOD_OK && w.count == v.count);
	for (uint32_t i = 0; i < v.count; i++) {
		spod_wire_batch_resp_item(&s, &v, i);
		spod_wire_batch_resp_item(&t, &w, i);
		CHECK(s.status == t.status && s.alg == t.alg && s.recid == t.recid);
		if (s.status == SPOD_OK)
			CHECK(s.sig_len == t.sig_len && memcmp(s.sig, t.sig, s.sig_len) == 0);
	}
}

static void fuzz_sign_tx_resp(const struct spod_frame *f)
{
	struct spod_sign_tx_view v, w;
	struct spod_tx_xfer x, y;
	struct spod_frame g;
	uint32_t fixed;
	size_t n, room;
	uint8_t *dst;
	int rc = spod_wire_sign_tx_resp(&v, f);

	check_decoded(f, rc, f->hdr.opcode == SPOD_OP_SIGN_TX);
	if (rc != SPOD_OK) {
		CHECK(is_zero(&v, sizeof(v)));
		return;
	}
	CHECK(v.chain == SPOD_TX_CHAIN_ETHEREUM || v.chain == SPOD_TX_CHAIN_SOLANA);
	CHECK(v.kind != 0 && v.n_transfers <= SPOD_TX_XFER_MAX);
	fixed = TXR_FIXED + v.n_transfers * XFER_BYTES;
	CHECK(v.signed_len >= 1 && v.signed_len <= SPOD_TX_SIGNED_MAX_BYTES);
	/* the signed transaction ends the body */
	CHECK(v.signed_tx == f->body + fixed && fixed + v.signed_len == f->body_len);
	touch(f, fixed, v.signed_tx, v.signed_len);
	for (uint32_t i = 0; i < v.n_transfers; i++) {
		spod_wire_sign_tx_xfer(&x, &v, i);
		CHECK(x.asset == 1 || x.asset == 2);
		CHECK(x.token_len <= SPOD_TX_ADDR_MAX_BYTES && x.to_len <= SPOD_TX_ADDR_MAX_BYTES);
		CHECK((x.token == NULL) == (x.token_len == 0) && (x.to == NULL) == (x.to_len == 0));
		if (x.token != NULL)
			touch(f, TXR_FIXED, x.token, x.token_len);
		if (x.to != NULL)
			touch(f, TXR_FIXED, x.to, x.to_len);
		touch(f, TXR_FIXED, x.amount, 32);
	}

	/* Re-encode through the enclave's writer: the same fields come back. */
	dst = spod_wire_sign_tx_reserve(enc_buf, sizeof(enc_buf), v.n_transfers, &room);
	CHECK(dst != NULL && room >= v.signed_len);
	for (uint32_t i = 0; i < v.n_transfers; i++) {
		spod_wire_sign_tx_xfer(&x, &v, i);
		CHECK(spod_wire_sign_tx_put_xfer(enc_buf, v.n_transfers, i, &x) == SPOD_OK);
	}
	memcpy(dst, v.signed_tx, v.signed_len);
	spod_wire_sign_tx_commit(enc_buf, &n, f->hdr.request_id, &v);
	CHECK(n == f->frame_len);
	CHECK(spod_wire_sign_tx_resp(&w, reframe(&g, n)) == SPOD_OK);
	CHECK(w.chain == v.chain && w.kind == v.kind && w.flags == v.flags &&
	      w.chain_id == v.chain_id && w.n_transfers == v.n_transfers &&
	      w.signed_len == v.signed_len);
	CHECK(memcmp(w.signed_tx, v.signed_tx, v.signed_len) == 0);
	for (uint32_t i = 0; i < v.n_transfers; i++) {
		spod_wire_sign_tx_xfer(&x, &v, i);
		spod_wire_sign_tx_xfer(&y, &w, i);
		CHECK(x.asset == y.asset && x.decimals == y.decimals &&
		      x.token_len == y.token_len && x.to_len == y.to_len &&
		      memcmp(x.amount, y.amount, 32) == 0);
		CHECK(x.token_len == 0 || memcmp(x.token, y.token, x.token_len) == 0);
		CHECK(x.to_len == 0 || memcmp(x.to, y.to, x.to_len) == 0);
	}
}

static void fuzz_error(const struct spod_frame *f)
{
	const char *msg;
	uint32_t msg_len;
	int err;

	if (spod_wire_error(&err, &msg, &msg_len, f) != SPOD_OK) {
		CHECK(f->hdr.status == 0 && err == SPOD_OK && msg == NULL && msg_len == 0);
		return;
	}
	CHECK(f->hdr.status != 0 && err < 0 && err > SPOD_E__MIN);
	CHECK(msg_len <= SPOD_ERRMSG_MAX_BYTES);
	touch(f, 0, msg, msg_len);
}

static void fuzz_policy_resp(const struct spod_frame *f)
{
	struct spod_policy_view v, w;
	struct spod_frame g;
	size_t n;
	int rc = spod_wire_policy_resp(&v, f);

	check_decoded(f, rc, f->hdr.opcode == SPOD_OP_POLICY_GET);
	if (rc != SPOD_OK) {
		CHECK(is_zero(&v, sizeof(v)));
		return;
	}
	CHECK(v.has_policy == (v.policy_len > 0) && v.policy_len <= SPOD_POLICY_WIRE_MAX);
	if (v.has_policy) {
		touch(f, POL_HASH, v.hash, 32);
		touch(f, POL_ADMIN_HASH, v.admin_hash, 32);
		touch(f, POL_FIXED, v.policy, v.policy_len);
	}
	CHECK(spod_wire_put_policy(enc_buf, sizeof(enc_buf), &n, f->hdr.request_id, &v) == SPOD_OK);
	CHECK(n <= spod_wire_resp_max(SPOD_OP_POLICY_GET, 0));
	CHECK(spod_wire_policy_resp(&w, reframe(&g, n)) == SPOD_OK);
	CHECK(g.body_len == f->body_len && memcmp(g.body, f->body, f->body_len) == 0);
}

static void fuzz_admins_resp(const struct spod_frame *f)
{
	struct spod_policy_admins v, w;
	struct spod_frame g;
	size_t n;
	int rc = spod_wire_policy_admins_resp(&v, f);

	check_decoded(f, rc, f->hdr.opcode == SPOD_OP_POLICY_ADMINS);
	if (rc != SPOD_OK) {
		CHECK(is_zero(&v, sizeof(v)));
		return;
	}
	touch(f, ADM_HASH, v.hash, 32);
	if (v.keys != NULL)
		touch(f, ADM_KEYS_RESP, v.keys, (size_t)v.count * 32);
	CHECK(spod_wire_put_policy_admins(enc_buf, sizeof(enc_buf), &n, f->hdr.request_id, &v) ==
	      SPOD_OK);
	CHECK(n <= spod_wire_resp_max(SPOD_OP_POLICY_ADMINS, 0));
	CHECK(spod_wire_policy_admins_resp(&w, reframe(&g, n)) == SPOD_OK);
	CHECK(g.body_len == f->body_len && memcmp(g.body, f->body, f->body_len) == 0);
}

static void fuzz_frame(const struct spod_frame *f)
{
	int req = spod_wire_check_hdr(&f->hdr, 0);
	int resp = spod_wire_check_hdr(&f->hdr, 1);

	/* a header is never valid in both directions */
	CHECK(req != SPOD_OK || resp != SPOD_OK);
	if (f->hdr.version != SPOD_WIRE_VERSION)
		CHECK(req == SPOD_E_BAD_VERSION && resp == SPOD_E_BAD_VERSION);

	/* Validators ignore the opcode, so each one runs on every frame. */
	CHECK(spod_wire_empty_req(f) == (f->body_len == 0 ? SPOD_OK : SPOD_E_BAD_LENGTH));
	fuzz_generate(f);
	fuzz_hello(f);
	fuzz_key(f);
	fuzz_list(f);
	fuzz_sign(f);
	fuzz_batch(f);
	fuzz_attest(f);
	fuzz_sign_tx(f);
	fuzz_policy_set(f);
	fuzz_policy_admins(f);
	fuzz_evidence(f);
	fuzz_audit_head(f);

	fuzz_sig_resp(f);
	fuzz_doc_resp(f);
	fuzz_key_resp(f);
	fuzz_hello_resp(f);
	fuzz_info_resp(f);
	fuzz_list_resp(f);
	fuzz_batch_resp(f);
	fuzz_sign_tx_resp(f);
	fuzz_policy_resp(f);
	fuzz_admins_resp(f);
	fuzz_error(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;

	while (off < size) {
		struct spod_frame f;
		uint8_t *copy;
		int rc = spod_wire_frame(&f, data + off, size - off);

		if (rc != SPOD_OK) {
			CHECK(is_zero(&f, sizeof(f)));
			CHECK(rc == SPOD_E_AGAIN || rc == SPOD_E_BAD_MAGIC ||
			      rc == SPOD_E_TOO_LARGE);
			break;
		}
		CHECK(f.frame_len == SPOD_HDR_BYTES + (size_t)f.body_len);
		CHECK(f.frame_len <= size - off && f.frame_len <= SPOD_FRAME_MAX_BYTES);
		CHECK(f.body == data + off + SPOD_HDR_BYTES);

		/* An exact-size copy: any read past this frame hits an ASan redzone. */
		copy = malloc(f.frame_len);
		CHECK(copy != NULL);
		memcpy(copy, data + off, f.frame_len);
		CHECK(spod_wire_frame(&f, copy, f.frame_len) == SPOD_OK);
		fuzz_frame(&f);
		free(copy);
		off += f.frame_len;
	}
	return 0;
}
