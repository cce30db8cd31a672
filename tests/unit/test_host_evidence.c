/*
 * spod-host's side of signed evidence and signed audit heads (src/host/core/evidence.c):
 * audit.head admission (QUERY forwarded, SIGN refused), evidence frames checked against the
 * connection's attested key, bounded while commits fail and released by a commit, and the
 * audit.head SIGN the host sends with its answer or refusal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "host/core/host_int.h"

static struct spod_host *h;
static char db_path[64];
static uint8_t buf[SPOD_FRAME_MAX_BYTES];
static const uint8_t pub_a[32] = {0xaa, 1}, pub_b[32] = {0xbb, 2};

static int setup(void **state)
{
	int sv[2];

	(void)state;
	h = calloc(1, sizeof(*h));
	if (h == NULL || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return -1;
	close(sv[1]);
	h->cfg.enclave_conns = 1;
	h->cfg.enclave_timeout_ms = 5000;
	h->enclave[0].h = h;
	h->enclave[0].stage = HOST_ENCLAVE_READY;
	if (spod_conn_init(&h->enclave[0].c, sv[0], ENCLAVE_RX_BYTES, ENCLAVE_TX_BYTES) < 0)
		return -1;
	snprintf(db_path, sizeof(db_path), "/tmp/spod-test-evidence-%d.db", (int)getpid());
	return spod_store_open(&h->store, db_path) == SPOD_OK ? 0 : -1;
}

static int teardown(void **state)
{
	char p[80];

	(void)state;
	spod_store_close(h->store);
	spod_conn_free(&h->enclave[0].c);
	host_evidence_free(h);
	free(h);
	unlink(db_path);
	snprintf(p, sizeof(p), "%s-wal", db_path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", db_path);
	unlink(p);
	return 0;
}

static uint64_t get(const atomic_uint_fast64_t *v)
{
	return atomic_load_explicit(v, memory_order_relaxed);
}

static void frame_of(struct spod_frame *f, size_t len)
{
	assert_int_equal(spod_wire_frame(f, buf, len), SPOD_OK);
}

/* An evidence frame of count records from counter first under pub. */
static void evidence(struct spod_frame *f, const uint8_t *pub, uint64_t first, uint32_t count)
{
	static uint8_t recs[SPOD_EVIDENCE_WIRE_MAX * SPOD_EVIDENCE_REC_WIRE_BYTES];
	static const uint8_t sig[64] = {5};
	size_t len;

	memset(recs, (int)first, (size_t)count * SPOD_EVIDENCE_REC_WIRE_BYTES);
	assert_int_equal(
	    spod_wire_put_evidence(buf, sizeof(buf), &len, pub, first, count, sig, recs), SPOD_OK);
	frame_of(f, len);
}

static void test_admit_audit_head(void **state)
{
	static const uint8_t nonce[16] = {7}, hash[32] = {9};
	struct host_token tok;
	struct host_client cl;
	struct host_audit *audit = (void *)1;
	struct spod_frame f;
	const char *what;
	size_t len;

	(void)state;
	memset(&tok, 0, sizeof(tok));
	tok.scopes.ops = SPOD_AUTH_OP_LIST;
	tok.scopes.all_keys = 1;
	memset(&cl, 0, sizeof(cl));
	cl.h = h;
	cl.tok = &tok;
	assert_int_equal(spod_wire_enc_audit_head(buf, sizeof(buf), &len, 5, SPOD_AUDIT_HEAD_QUERY,
	                                          0, NULL, nonce, sizeof(nonce)),
	                 SPOD_OK);
	frame_of(&f, len);
	assert_int_equal(host_admit(&cl, &f, &audit, &what), SPOD_OK);
	assert_null(audit); /* not audited */
	assert_int_equal(spod_wire_enc_audit_head(buf, sizeof(buf), &len, 6, SPOD_AUDIT_HEAD_SIGN,
	                                          3, hash, nonce, sizeof(nonce)),
	                 SPOD_OK);
	frame_of(&f, len);
	assert_int_equal(host_admit(&cl, &f, &audit, &what), SPOD_E_FORBIDDEN);
	assert_string_equal(what, "audit.head: spod-host signs audit heads itself");
	/* QUERY needs 'list' (or admin) */
	tok.scopes.ops = SPOD_AUTH_OP_SIGN;
	assert_int_equal(spod_wire_enc_audit_head(buf, sizeof(buf), &len, 5, SPOD_AUDIT_HEAD_QUERY,
	                                          0, NULL, nonce, sizeof(nonce)),
	                 SPOD_OK);
	frame_of(&f, len);
	assert_int_equal(host_admit(&cl, &f, &audit, &what), SPOD_E_FORBIDDEN);
	/* evidence is the enclave's to send, never an application's */
	tok.scopes.ops = SPOD_AUTH_OPS_ALL;
	evidence(&f, pub_a, 1, 1);
	assert_int_equal(host_admit(&cl, &f, &audit, &what), SPOD_E_FORBIDDEN);
}

static void test_evidence_frames(void **state)
{
	struct host_enclave *e = &h->enclave[0];
	struct spod_attest_user_data ud = {0};
	static const uint8_t doc[8] = {1};
	struct spod_frame f;
	uint64_t dropped = get(&h->metrics.evidence_dropped);
	uint32_t n;

	(void)state;
	/* before the connection's key is known: dropped */
	e->has_ev_pub = 0;
	evidence(&f, pub_a, 1, 3);
	host_evidence_frame(e, &f);
	assert_int_equal(h->nev, 0);
	assert_int_equal(get(&h->metrics.evidence_dropped), dropped + 1);
	/* an older enclave's document: still no key */
	host_evidence_key(e, &ud, doc, sizeof(doc));
	assert_false(e->has_ev_pub);
	ud.evidence_pub = pub_a;
	host_evidence_key(e, &ud, doc, sizeof(doc));
	assert_true(e->has_ev_pub);
	/* under another key: dropped */
	evidence(&f, pub_b, 1, 3);
	host_evidence_frame(e, &f);
	assert_int_equal(h->nev, 0);
	/* malformed (a request id): dropped */
	evidence(&f, pub_a, 1, 3);
	f.hdr.request_id = 1;
	host_evidence_frame(e, &f);
	assert_int_equal(h->nev, 0);
	assert_int_equal(get(&h->metrics.evidence_dropped), dropped + 3);
	/* accepted, copied out of the frame, committed with the next commit */
	evidence(&f, pub_a, 1, 3);
	host_evidence_frame(e, &f);
	evidence(&f, pub_a, 4, 1);
	host_evidence_frame(e, &f);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(h->nev, 2);
	assert_int_equal(h->ev[0]->count, 3);
	assert_int_equal(h->ev[1]->first, 4);
	assert_int_equal(h->ev[0]->records[0], 1);
	assert_int_equal(h->ev_bytes, 4 * SPOD_EVIDENCE_REC_WIRE_BYTES);
	assert_int_equal(host_evidence_commit(h, NULL, 0, NULL, 0), SPOD_OK);
	assert_int_equal(h->nev, 0);
	assert_int_equal(h->ev_bytes, 0);
	assert_int_equal(get(&h->metrics.evidence_batches), 2);
	assert_int_equal(get(&h->metrics.evidence_records), 4);
	/* commits failing: the pending evidence stays within its bound, the oldest go first */
	n = HOST_EVIDENCE_PENDING_BYTES / (SPOD_EVIDENCE_WIRE_MAX * SPOD_EVIDENCE_REC_WIRE_BYTES);
	for (uint32_t i = 0; i < n + 5; i++) {
		evidence(&f, pub_a, 100 + (uint64_t)i * SPOD_EVIDENCE_WIRE_MAX,
		         SPOD_EVIDENCE_WIRE_MAX);
		host_evidence_frame(e, &f);
		assert_true(h->ev_bytes <= HOST_EVIDENCE_PENDING_BYTES);
	}
	assert_int_equal(h->nev, n);
	assert_int_equal(h->ev[0]->first, 100 + 5ull * SPOD_EVIDENCE_WIRE_MAX);
	assert_int_equal(get(&h->metrics.evidence_dropped), dropped + 3 + 5);
	host_evidence_lost(e);
	assert_false(e->has_ev_pub);
	host_evidence_free(h);
	assert_int_equal(h->nev, 0);
}

/* The SIGN the host sent, taken out of the connection's send buffer. */
static void take_head(struct spod_audit_head_view *v, uint64_t *rid)
{
	struct spod_conn *c = &h->enclave[0].c;
	struct spod_frame f;

	assert_int_equal(spod_wire_frame(&f, c->tx + c->tx_start, c->tx_end - c->tx_start),
	                 SPOD_OK);
	assert_int_equal(f.hdr.opcode, SPOD_OP_AUDIT_HEAD);
	assert_int_equal(spod_wire_audit_head_req(v, &f), SPOD_OK);
	*rid = f.hdr.request_id;
	c->tx_start += f.frame_len;
	assert_int_equal(c->tx_start, c->tx_end);
	c->tx_start = c->tx_end = 0;
}

static void answer_head(uint64_t rid, const struct spod_audit_head_view *req, const uint8_t *pub)
{
	static const uint8_t sig[64] = {3};
	struct spod_audit_head_view v = *req;
	struct spod_frame f;
	size_t len;

	v.pub = pub;
	v.counter = 42;
	v.sig = sig;
	assert_int_equal(spod_wire_put_audit_head(buf, sizeof(buf), &len, rid, &v), SPOD_OK);
	frame_of(&f, len);
	host_head_answer(&h->enclave[0], &f);
}

static void append_record(void)
{
	const struct spod_audit_rec r = {.time_ms = 1, .kind = "sign", .result = SPOD_OK};
	assert_int_equal(spod_store_audit_append(h->store, &r, 1), SPOD_OK);
}

static void test_heads(void **state)
{
	struct host_enclave *e = &h->enclave[0];
	struct spod_attest_user_data ud = {.evidence_pub = pub_a};
	static const uint8_t doc[8] = {1};
	struct spod_audit_head_view req;
	struct spod_frame f;
	uint64_t rid, seq;
	uint8_t hash[32];
	size_t len;

	(void)state;
	e->has_ev_pub = 0;
	assert_int_equal(host_head_send(h), 0); /* no connection with an evidence key */
	host_evidence_key(e, &ud, doc, sizeof(doc));
	if (spod_store_audit_head(h->store, &seq, hash) == SPOD_OK && seq == 0)
		append_record();
	assert_int_equal(spod_store_audit_head(h->store, &seq, hash), SPOD_OK);
	assert_int_equal(host_head_send(h), 1);
	assert_int_equal(host_head_send(h), 0); /* one in flight */
	take_head(&req, &rid);
	assert_true(HOST_CTL(rid));
	assert_int_equal(HOST_CTL_STEP(rid), HOST_STEP_HEAD);
	assert_int_equal(req.mode, SPOD_AUDIT_HEAD_SIGN);
	assert_int_equal(req.seq, seq);
	assert_memory_equal(req.hash, hash, 32);
	assert_int_equal(req.nonce_len, 16);
	/* an answer under another key is not stored */
	answer_head(rid, &req, pub_b);
	assert_false(h->head_out);
	assert_int_equal(get(&h->metrics.heads_signed), 0);
	assert_int_equal(host_head_send(h), 1);
	take_head(&req, &rid);
	answer_head(rid, &req, pub_a);
	assert_int_equal(get(&h->metrics.heads_signed), 1);
	assert_int_equal(h->head_seq, seq);
	/* unmoved: nothing to sign */
	assert_int_equal(host_head_send(h), 0);
	/* moved: signed again; the enclave refuses it */
	append_record();
	host_head_tick(h);
	take_head(&req, &rid);
	assert_int_equal(req.seq, seq + 1);
	assert_int_equal(spod_wire_put_error(buf, sizeof(buf), &len, SPOD_OP_AUDIT_HEAD, rid,
	                                     SPOD_E_BAD_FIELD, "audit head goes back: test"),
	                 SPOD_OK);
	frame_of(&f, len);
	host_head_answer(e, &f);
	assert_false(h->head_out);
	assert_int_equal(get(&h->metrics.head_refusals), 1);
	assert_int_equal(h->head_seq, seq);
	/* the connection lost with a SIGN in flight: given up, sent again on the next */
	assert_int_equal(host_head_send(h), 1);
	host_evidence_lost(e);
	assert_false(h->head_out);
	e->c.tx_start = e->c.tx_end = 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_admit_audit_head),
	    cmocka_unit_test(test_evidence_frames),
	    cmocka_unit_test(test_heads),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
