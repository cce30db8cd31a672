/*
 * Signed evidence and signed audit heads, spod-host's side (docs/evidence.md).
 *
 * Each enclave connection learns the enclave's evidence public key from an attestation
 * document (the admission's, or one asked for at connect when admission is off) and stores
 * it with that document. The enclave then sends, unasked, evidence frames on the connection
 * whose requests it answered; they wait here, copied out of the receive buffer, and go into
 * the store in the same transaction as the next commit of audit records (journal.c; alone
 * only once they have waited HOST_EVIDENCE_DELAY_NS), so evidence never delays an answer and
 * never costs a transaction of its own per request. Their memory is bounded: while commits keep
 * failing the oldest batches are dropped, loudly.
 *
 * Every audit-head-interval, when the audit log's head moved, spod-host asks the enclave to
 * sign it (audit.head SIGN); the enclave refuses a head that goes back, which is logged as
 * the alarm it is.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "common/log.h"
#include "evidence/evidence.h"
#include "host/core/host_int.h"

#define NS_PER_MS 1000000ull

_Static_assert(SPOD_EVIDENCE_REC_WIRE_BYTES == SPOD_EVIDENCE_RECORD_BYTES,
               "the wire carries records as stored");

static void hex8(char out[17], const uint8_t *b)
{
	static const char digits[] = "0123456789abcdef";

	for (int i = 0; i < 8; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[16] = '\0';
}

int host_evidence_attest_begin(struct host_enclave *e)
{
	uint8_t frame[SPOD_HDR_BYTES + 32 + sizeof(e->admit_nonce)];
	size_t len;

	e->stage = HOST_ENCLAVE_ATTESTING;
	/* Not checked (admission is off): the nonce only keeps the document fresh. */
	if (getrandom(e->admit_nonce, sizeof(e->admit_nonce), 0) != (ssize_t)sizeof(e->admit_nonce))
		return SPOD_E_IO;
	SPOD_TRY(spod_wire_enc_attest(frame, sizeof(frame), &len,
	                              HOST_CTL_RID(e->index, HOST_STEP_EVKEY), NULL, e->admit_nonce,
	                              sizeof(e->admit_nonce)));
	return host_enclave_send(e, frame, len);
}

int host_evidence_attest_answer(struct host_enclave *e, const struct spod_frame *f)
{
	struct spod_attest_user_data ud;
	struct spod_attest_doc doc;
	struct spod_doc_view v;
	int rc;

	if (f->hdr.request_id != HOST_CTL_RID(e->index, HOST_STEP_EVKEY)) {
		spod_error("enclave connection %u answered before its attestation", e->index);
		return SPOD_E_PROTOCOL;
	}
	rc = spod_wire_doc_resp(&v, f);
	if (rc == SPOD_OK)
		rc = spod_attest_parse(&doc, v.doc, v.doc_len);
	if (rc == SPOD_OK)
		rc = spod_attest_user_data_parse(&ud, doc.user_data.ptr, doc.user_data.len);
	if (rc < 0) {
		spod_warn("enclave connection %u: no usable attestation document (%s); its "
		          "signatures get no evidence",
		          e->index, spod_strerror(rc));
		return SPOD_OK;
	}
	host_evidence_key(e, &ud, v.doc, v.doc_len);
	return SPOD_OK;
}

void host_evidence_key(struct host_enclave *e, const struct spod_attest_user_data *ud,
                       const uint8_t *doc, size_t doc_len)
{
	char hex[17];
	int rc;

	e->has_ev_pub = 0;
	if (ud->evidence_pub == NULL) {
		spod_warn("enclave connection %u: its attestation binds no evidence key (an older "
		          "enclave); its signatures get no evidence",
		          e->index);
		return;
	}
	rc = spod_store_evidence_key_put(e->h->store, ud->evidence_pub, doc, doc_len,
	                                 host_wall_ms());
	if (rc < 0) {
		spod_error("enclave connection %u: cannot store its evidence key (%s); its "
		           "evidence is dropped",
		           e->index, spod_store_last_error(e->h->store));
		return;
	}
	memcpy(e->ev_pub, ud->evidence_pub, sizeof(e->ev_pub));
	e->has_ev_pub = 1;
	hex8(hex, e->ev_pub);
	spod_info("enclave connection %u: evidence key %s... (attested)", e->index, hex);
}

/* Frees the n oldest pending batches and closes the gap. */
/* A batch with room for count records: a spare one if one is large enough, else new. */
static struct host_ev_batch *batch_get(struct spod_host *h, uint32_t count)
{
	struct host_ev_batch *b;
	uint32_t cap = HOST_EV_SPARE_MIN;

	for (uint32_t i = h->nev_spare; i-- > 0;)
		if (h->ev_spare[i]->cap >= count) {
			b = h->ev_spare[i];
			h->ev_spare[i] = h->ev_spare[--h->nev_spare];
			return b;
		}
	while (cap < count)
		cap *= 2;
	b = malloc(sizeof(*b) + (size_t)cap * SPOD_EVIDENCE_RECORD_BYTES);
	if (b != NULL)
		b->cap = cap;
	return b;
}

static void batch_put(struct spod_host *h, struct host_ev_batch *b)
{
	if (h->nev_spare < HOST_EV_SPARE)
		h->ev_spare[h->nev_spare++] = b;
	else
		free(b);
}

static void release(struct spod_host *h, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		h->ev_bytes -= (size_t)h->ev[i]->count * SPOD_EVIDENCE_RECORD_BYTES;
		batch_put(h, h->ev[i]);
	}
	if (n > 0 && h->nev > n) /* (never memmove a NULL array, even by 0 bytes) */
		memmove(h->ev, h->ev + n, (h->nev - n) * sizeof(*h->ev));
	h->nev -= n;
}

static void drop(struct spod_host *h, uint32_t n, const char *why)
{
	uint64_t records = 0;

	for (uint32_t i = 0; i < n; i++)
		records += h->ev[i]->count;
	spod_error("EVIDENCE DROPPED: %u batch(es), %llu record(s) the enclave signed, never "
	           "stored (%s)",
	           n, (unsigned long long)records, why);
	host_metrics_add(&h->metrics.evidence_dropped, n);
	release(h, n);
}

void host_evidence_frame(struct host_enclave *e, const struct spod_frame *f)
{
	static struct spod_log_limit bad, unkeyed;
	struct spod_host *h = e->h;
	struct spod_evidence_view v;
	struct host_ev_batch *b;
	size_t bytes;
	int rc;

	rc = spod_wire_evidence(&v, f);
	if (rc < 0) {
		spod_log_limited(&bad, SPOD_LOG_EVERY_MS, SPOD_LOG_ERROR,
		                 "enclave connection %u: malformed evidence frame (%s); dropped",
		                 e->index, spod_strerror(rc));
		host_metrics_add(&h->metrics.evidence_dropped, 1);
		return;
	}
	if (!e->has_ev_pub || memcmp(v.pub, e->ev_pub, sizeof(e->ev_pub)) != 0) {
		spod_log_limited(&unkeyed, SPOD_LOG_EVERY_MS, SPOD_LOG_ERROR,
		                 "enclave connection %u: evidence under a key its attestation did "
		                 "not bind; dropped",
		                 e->index);
		host_metrics_add(&h->metrics.evidence_dropped, 1);
		return;
	}
	bytes = (size_t)v.count * SPOD_EVIDENCE_RECORD_BYTES;
	if (h->nev > 0 && h->ev_bytes + bytes > HOST_EVIDENCE_PENDING_BYTES) {
		uint32_t n = 0;
		size_t freed = 0;

		while (n < h->nev && h->ev_bytes - freed + bytes > HOST_EVIDENCE_PENDING_BYTES)
			freed += (size_t)h->ev[n++]->count * SPOD_EVIDENCE_RECORD_BYTES;
		drop(h, n, "the audit log cannot commit and pending evidence is at its bound");
	}
	if (h->nev == h->ev_cap) {
		uint32_t cap = h->ev_cap ? 2 * h->ev_cap : 64;
		struct host_ev_batch **p = realloc(h->ev, cap * sizeof(*p));

		if (p == NULL)
			goto nomem;
		h->ev = p;
		h->ev_cap = cap;
	}
	b = batch_get(h, v.count);
	if (b == NULL)
		goto nomem;
	memcpy(b->pub, v.pub, sizeof(b->pub));
	memcpy(b->sig, v.sig, sizeof(b->sig));
	b->first = v.first;
	b->count = v.count;
	b->time_ms = host_wall_ms();
	memcpy(b->records, v.records, bytes);
	if (h->nev == 0)
		h->ev_since_ns = host_now_ns();
	h->ev[h->nev++] = b;
	h->ev_bytes += bytes;
	return;
nomem:
	spod_error("EVIDENCE DROPPED: out of memory for %u record(s) the enclave signed", v.count);
	host_metrics_add(&h->metrics.evidence_dropped, 1);
}

int host_evidence_commit(struct spod_host *h, const struct spod_store_sealed *keys, size_t nkeys,
                         const struct spod_audit_rec *recs, size_t n)
{
	uint32_t nev = h->nev;
	uint64_t records = 0;
	int rc;

	if (nev > h->ev_views_cap) {
		struct spod_store_evidence *p = realloc(h->ev_views, nev * sizeof(*p));
		if (p == NULL)
			nev = 0; /* this commit without evidence; it waits for the next */
		else {
			h->ev_views = p;
			h->ev_views_cap = nev;
		}
	}
	for (uint32_t i = 0; i < nev; i++) {
		const struct host_ev_batch *b = h->ev[i];
		h->ev_views[i] = (struct spod_store_evidence){b->pub, b->first,   b->count,
		                                              b->sig, b->records, b->time_ms};
		records += b->count;
	}
	rc = spod_store_commit_all(h->store, keys, nkeys, recs, n, h->ev_views, nev);
	if (rc == SPOD_E_BAD_ARG && nev > 0) {
		/* Evidence the store will not take (counters stored already) must not hold
		 * the audit log up. */
		drop(h, nev, spod_store_last_error(h->store));
		return spod_store_commit_all(h->store, keys, nkeys, recs, n, NULL, 0);
	}
	if (rc == SPOD_OK && nev > 0) {
		host_metrics_add(&h->metrics.evidence_batches, nev);
		host_metrics_add(&h->metrics.evidence_records, records);
		release(h, nev);
	}
	return rc;
}

void host_evidence_free(struct spod_host *h)
{
	release(h, h->nev);
	while (h->nev_spare > 0)
		free(h->ev_spare[--h->nev_spare]);
	free(h->ev);
	free(h->ev_views);
	h->ev = NULL;
	h->ev_views = NULL;
	h->ev_cap = 0;
	h->ev_views_cap = 0;
}

int host_head_send(struct spod_host *h)
{
	static struct spod_log_limit unread;
	uint8_t frame[SPOD_HDR_BYTES + 128];
	uint8_t hash[SPOD_STORE_HASH_BYTES];
	struct host_enclave *e = NULL;
	uint64_t seq;
	size_t len;

	if (h->head_out)
		return 0;
	for (unsigned i = 0; i < h->cfg.enclave_conns && e == NULL; i++)
		if (h->enclave[i].stage == HOST_ENCLAVE_READY && h->enclave[i].has_ev_pub)
			e = &h->enclave[i];
	if (e == NULL)
		return 0;
	if (spod_store_audit_head(h->store, &seq, hash) < 0) {
		spod_log_limited(&unread, SPOD_LOG_EVERY_MS, SPOD_LOG_ERROR,
		                 "audit head unreadable (%s); not signed",
		                 spod_store_last_error(h->store));
		return 0;
	}
	if (seq == 0 || (seq == h->head_seq && memcmp(hash, h->head_hash, sizeof(hash)) == 0 &&
	                 memcmp(e->ev_pub, h->head_pub, sizeof(h->head_pub)) == 0))
		return 0;
	if (getrandom(h->head_nonce, sizeof(h->head_nonce), 0) != (ssize_t)sizeof(h->head_nonce) ||
	    spod_wire_enc_audit_head(frame, sizeof(frame), &len,
	                             HOST_CTL_RID(e->index, HOST_STEP_HEAD), SPOD_AUDIT_HEAD_SIGN,
	                             seq, hash, h->head_nonce, sizeof(h->head_nonce)) < 0 ||
	    host_enclave_send(e, frame, len) < 0)
		return 0; /* tried again at the next tick */
	h->head_out = 1;
	h->head_enclave = e->index;
	h->head_sent_ns = host_now_ns();
	h->head_out_seq = seq;
	memcpy(h->head_out_hash, hash, sizeof(hash));
	return 1;
}

void host_head_tick(struct spod_host *h)
{
	if (h->head_out &&
	    host_now_ns() - h->head_sent_ns > (uint64_t)h->cfg.enclave_timeout_ms * NS_PER_MS) {
		spod_warn("audit.head: no answer from enclave connection %u for seq %llu; given up",
		          h->head_enclave, (unsigned long long)h->head_out_seq);
		h->head_out = 0;
	}
	(void)host_head_send(h);
}

void host_head_answer(struct host_enclave *e, const struct spod_frame *f)
{
	struct spod_host *h = e->h;
	struct spod_audit_head_view v;
	struct spod_store_head sh;
	const char *msg = "";
	uint32_t msg_len = 0;
	int err;

	if (!h->head_out || h->head_enclave != e->index)
		return; /* given up already */
	h->head_out = 0;
	if (f->hdr.status != 0) {
		if (spod_wire_error(&err, &msg, &msg_len, f) < 0)
			msg_len = 0;
		host_metrics_add(&h->metrics.head_refusals, 1);
		spod_error(
		    "AUDIT HEAD REFUSED: the enclave will not sign audit seq %llu: %.*s (the "
		    "audit log went back or was rewritten since it signed a head; run spod "
		    "audit verify)",
		    (unsigned long long)h->head_out_seq, (int)msg_len, msg);
		return;
	}
	if (spod_wire_audit_head_resp(&v, f) < 0 || v.mode != SPOD_AUDIT_HEAD_SIGN ||
	    v.nonce_len != sizeof(h->head_nonce) ||
	    memcmp(v.nonce, h->head_nonce, sizeof(h->head_nonce)) != 0 ||
	    v.seq != h->head_out_seq || memcmp(v.hash, h->head_out_hash, 32) != 0 ||
	    !e->has_ev_pub || memcmp(v.pub, e->ev_pub, sizeof(e->ev_pub)) != 0) {
		spod_error("enclave connection %u: audit.head answer does not match the head asked "
		           "for (seq %llu); not stored",
		           e->index, (unsigned long long)h->head_out_seq);
		return;
	}
	memset(&sh, 0, sizeof(sh));
	memcpy(sh.pub, v.pub, sizeof(sh.pub));
	sh.seq = v.seq;
	memcpy(sh.hash, v.hash, sizeof(sh.hash));
	sh.counter = v.counter;
	memcpy(sh.nonce, v.nonce, v.nonce_len);
	sh.nonce_len = v.nonce_len;
	memcpy(sh.sig, v.sig, sizeof(sh.sig));
	sh.time_ms = host_wall_ms();
	if (spod_store_head_put(h->store, &sh) < 0) {
		spod_error("audit head seq %llu signed by the enclave but not stored: %s",
		           (unsigned long long)v.seq, spod_store_last_error(h->store));
		return;
	}
	h->head_seq = v.seq;
	memcpy(h->head_hash, v.hash, sizeof(h->head_hash));
	memcpy(h->head_pub, v.pub, sizeof(h->head_pub));
	host_metrics_add(&h->metrics.heads_signed, 1);
}

void host_evidence_lost(struct host_enclave *e)
{
	e->has_ev_pub = 0;
	if (e->h->head_out && e->h->head_enclave == e->index)
		e->h->head_out = 0;
}
