/*
 * `spod audit verify`'s evidence and signed-head checks (audit_evidence.h, docs/evidence.md).
 * Everything is read into memory first (keys, roots, the (key id, digest, status) of every
 * record and every audit sign row): the walks may not call into the store, and the match is a
 * sort and a merge. A million records take some 50 MB; `audit verify` is an offline check.
 */
#include "cli/audit_evidence.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "common/hex.h"
#include "crypto/sign.h"
#include "evidence/evidence.h"

/* A stored evidence key and what the records say of it. */
struct ev_key {
	uint8_t pub[32];
	uint64_t max_counter; /* 0: no records */
};

struct ev_root {
	int64_t id;
	uint8_t pub[32], root[32], sig[64];
	uint64_t first;
	uint32_t count, seen;
	int64_t time_ms; /* when spod-host received the batch */
};

/* What the audit match compares: key id, digest, status (52 bytes, memcmp order); and, for
 * an evidence record, when its batch arrived. */
#define TUPLE_BYTES (16 + 32 + 4)
struct ev_tuple {
	uint8_t b[TUPLE_BYTES];
	int64_t time_ms;
};

struct ev_ctx {
	struct spod_store *s;
	const struct spod_attest_policy *pol;
	struct audit_ev_report *r;
	struct ev_key *keys;
	size_t nkeys, capkeys;
	struct ev_root *roots;
	size_t nroots, caproots;
	struct ev_tuple *ev, *au;
	size_t nev, capev, nau, capau;
	uint8_t last_pub[32];
	uint64_t last_counter;
	int have_last;
	int64_t oldest_audit_ms; /* time of the oldest audit record held (INT64_MAX: none) */
	int pruned;              /* the log was pruned: its anchor is not the genesis link */
	int64_t later_root_id;   /* highest root id of records whose root was read too early */
};

static int fail(struct audit_ev_report *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int fail(struct audit_ev_report *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->why, sizeof r->why, fmt, ap);
	va_end(ap);
	return SPOD_E_BAD_SIGNATURE;
}

/* Grows *p (elements of size sz) so that one more fits. */
static int grow(void **p, size_t *cap, size_t n, size_t sz)
{
	size_t ncap;
	void *q;

	if (n < *cap)
		return SPOD_OK;
	ncap = *cap ? *cap * 2 : 64;
	q = realloc(*p, ncap * sz);
	if (q == NULL)
		return SPOD_E_NOMEM;
	*p = q;
	*cap = ncap;
	return SPOD_OK;
}

/* First 8 bytes of a key as hex, for messages. */
static const char *short_hex(char out[17], const uint8_t *p)
{
	if (spod_hex_encode(out, 17, p, 8) < 0)
		out[0] = '\0';
	return out;
}

static struct ev_key *find_key(struct ev_ctx *c, const uint8_t *pub)
{
	for (size_t i = 0; i < c->nkeys; i++)
		if (memcmp(c->keys[i].pub, pub, 32) == 0)
			return &c->keys[i];
	return NULL;
}

static int on_key(void *arg, const struct spod_store_evkey *k)
{
	struct ev_ctx *c = arg;
	struct spod_attest_result res;
	char hx[17];
	const uint8_t *bound;
	int rc;

	SPOD_TRY(grow((void **)&c->keys, &c->capkeys, c->nkeys, sizeof *c->keys));
	memcpy(c->keys[c->nkeys].pub, k->pub, 32);
	c->keys[c->nkeys++].max_counter = 0;
	if (c->pol == NULL)
		return SPOD_OK;
	rc = spod_attest_verify(&res, k->doc, k->doc_len, c->pol);
	if (rc == SPOD_E_NOMEM)
		return rc;
	if (rc < 0)
		return fail(c->r,
		            "evidence key %s...: its attestation document does not verify: %s",
		            short_hex(hx, k->pub), res.message);
	bound = res.user_data.evidence_pub;
	if (bound == NULL || memcmp(bound, k->pub, 32) != 0)
		return fail(c->r, "evidence key %s...: its attestation document does not bind it",
		            short_hex(hx, k->pub));
	return SPOD_OK;
}

static int on_root(void *arg, const struct spod_store_evroot *rt)
{
	struct ev_ctx *c = arg;
	struct ev_root *e;

	SPOD_TRY(grow((void **)&c->roots, &c->caproots, c->nroots, sizeof *c->roots));
	e = &c->roots[c->nroots++];
	e->id = rt->id;
	memcpy(e->pub, rt->pub, 32);
	memcpy(e->root, rt->root, 32);
	memcpy(e->sig, rt->sig, 64);
	e->first = rt->first;
	e->count = rt->count;
	e->seen = 0;
	e->time_ms = rt->time_ms;
	return SPOD_OK;
}

static struct ev_root *find_root(struct ev_ctx *c, int64_t id)
{
	size_t lo = 0, hi = c->nroots;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c->roots[mid].id == id)
			return &c->roots[mid];
		if (c->roots[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Checks one batch's signature under its key. */
static int check_root(struct ev_ctx *c, const struct ev_root *e)
{
	uint8_t msg[SPOD_EVIDENCE_ROOT_MSG_BYTES];
	char hx[17];

	spod_evidence_root_msg(msg, e->pub, e->first, e->count, e->root);
	if (spod_verify(SPOD_ALG_ED25519, e->pub, 32, SPOD_MODE_RAW, msg, sizeof msg, e->sig, 64) <
	    0)
		return fail(c->r,
		            "evidence batch %lld (key %s..., counters %llu..%llu): root signature "
		            "does not verify",
		            (long long)e->id, short_hex(hx, e->pub), (unsigned long long)e->first,
		            (unsigned long long)(e->first + e->count - 1));
	if (c->pol != NULL && find_key(c, e->pub) == NULL)
		return fail(c->r, "evidence batch %lld: key %s... has no attestation document",
		            (long long)e->id, short_hex(hx, e->pub));
	return SPOD_OK;
}

static int on_rec(void *arg, const struct spod_store_evrec *x)
{
	struct ev_ctx *c = arg;
	struct ev_root *rt = find_root(c, x->root_id);
	struct spod_evidence_rec d;
	uint8_t leaf[32];
	char hx[17];
	struct ev_key *k;

	if (rt == NULL && (c->nroots == 0 || x->root_id > c->roots[c->nroots - 1].id)) {
		/* its batch committed after the roots were read, if its root is there now */
		if (x->root_id > c->later_root_id)
			c->later_root_id = x->root_id;
		return SPOD_OK;
	}
	c->r->records++;
	if (rt == NULL || memcmp(rt->pub, x->pub, 32) != 0 || x->idx >= rt->count ||
	    x->counter != rt->first + x->idx)
		return fail(c->r, "evidence record %llu (key %s...): not where its batch puts it",
		            (unsigned long long)x->counter, short_hex(hx, x->pub));
	spod_evidence_leaf(leaf, x->record);
	if (spod_evidence_proof_check(leaf, x->idx, rt->count, x->proof, x->proof_len / 32,
	                              rt->root) != SPOD_OK)
		return fail(c->r,
		            "evidence record %llu (key %s...): altered (its proof does not lead to "
		            "the signed root)",
		            (unsigned long long)x->counter, short_hex(hx, x->pub));
	if (spod_evidence_rec_decode(&d, x->record) < 0)
		return fail(c->r, "evidence record %llu (key %s...): malformed",
		            (unsigned long long)x->counter, short_hex(hx, x->pub));
	rt->seen++;
	/* Counters per key: records come ordered by key, then counter, from 1. */
	if (!c->have_last || memcmp(c->last_pub, x->pub, 32) != 0) {
		c->r->gaps += x->counter - 1;
		c->r->boots++;
		memcpy(c->last_pub, x->pub, 32);
		c->have_last = 1;
	} else {
		c->r->gaps += x->counter - c->last_counter - 1;
	}
	c->last_counter = x->counter;
	if ((k = find_key(c, x->pub)) != NULL)
		k->max_counter = x->counter;
	SPOD_TRY(grow((void **)&c->ev, &c->capev, c->nev, sizeof *c->ev));
	memcpy(c->ev[c->nev].b, d.key_id, 16);
	memcpy(c->ev[c->nev].b + 16, d.digest, 32);
	spod_put_le32(c->ev[c->nev].b + 48, (uint32_t)d.status);
	c->ev[c->nev].time_ms = rt->time_ms;
	c->nev++;
	return SPOD_OK;
}

static int on_audit(void *arg, const struct spod_audit_entry *e)
{
	struct ev_ctx *c = arg;
	const struct spod_audit_rec *a = &e->rec;

	if (a->time_ms < c->oldest_audit_ms)
		c->oldest_audit_ms = a->time_ms;
	if (strcmp(a->kind, "sign") != 0 || a->key_id == NULL || a->digest_len != 32)
		return SPOD_OK;
	SPOD_TRY(grow((void **)&c->au, &c->capau, c->nau, sizeof *c->au));
	memcpy(c->au[c->nau].b, a->key_id, 16);
	memcpy(c->au[c->nau].b + 16, a->digest, 32);
	spod_put_le32(c->au[c->nau].b + 48, (uint32_t)a->result);
	c->nau++;
	return SPOD_OK;
}

static int tuple_cmp(const void *a, const void *b)
{
	return memcmp(((const struct ev_tuple *)a)->b, ((const struct ev_tuple *)b)->b,
	              TUPLE_BYTES);
}

/*
 * Merges the sorted ev[0..nev) and au[0..nau): pairs are dropped, the unmatched ones are moved
 * to the front of each array (*nev, *nau become their counts).
 */
static void merge(struct ev_tuple *ev, size_t *nev, struct ev_tuple *au, size_t *nau)
{
	size_t i = 0, j = 0, ke = 0, ka = 0;

	if (*nev > 1) /* (never qsort a NULL array, even of 0 elements) */
		qsort(ev, *nev, sizeof *ev, tuple_cmp);
	if (*nau > 1)
		qsort(au, *nau, sizeof *au, tuple_cmp);
	while (i < *nev || j < *nau) {
		int d = i == *nev ? 1 : j == *nau ? -1 : tuple_cmp(&ev[i], &au[j]);
		if (d == 0) {
			i++;
			j++;
		} else if (d < 0) {
			ev[ke++] = ev[i++];
		} else {
			au[ka++] = au[j++];
		}
	}
	*nev = ke;
	*nau = ka;
}

/*
 * The multiset match: every record needs its own audit sign row, with the same result, or
 * UNAVAILABLE (an answer withheld after a failed commit, or lost with its enclave connection:
 * the enclave acted, the client never got the outcome).
 */
static int match(struct ev_ctx *c)
{
	size_t nev = c->nev, nau = c->nau, nun = 0, nother;
	uint64_t missing = 0;
	struct ev_tuple t;

	merge(c->ev, &nev, c->au, &nau);
	/* The unmatched UNAVAILABLE rows to the front, compared without their result. */
	for (size_t j = 0; j < nau; j++)
		if ((int32_t)spod_le32(c->au[j].b + 48) == SPOD_E_UNAVAILABLE) {
			t = c->au[nun];
			c->au[nun] = c->au[j];
			c->au[j] = t;
			memset(c->au[nun++].b + 48, 0, 4);
		}
	nother = nau - nun;
	for (size_t i = 0; i < nev; i++)
		memset(c->ev[i].b + 48, 0, 4);
	merge(c->ev, &nev, c->au, &nun);
	c->r->unmatched_audit += nother + nun;
	for (size_t i = 0; i < nev; i++) {
		/* After a prune, a record whose batch came before the oldest record held (within
		 * a second: a batch arrives just after its answers) had its audit record pruned. */
		if (c->pruned && c->ev[i].time_ms <= c->oldest_audit_ms + 1000)
			c->r->before_anchor++;
		else
			missing++;
	}
	if (missing > 0)
		return fail(c->r, "the enclave signed %llu requests the audit log does not record",
		            (unsigned long long)missing);
	return SPOD_OK;
}

struct key_find {
	const uint8_t *pub;
	int found;
};

static int on_find(void *arg, const struct spod_store_evkey *k)
{
	struct key_find *f = arg;

	f->found |= memcmp(k->pub, f->pub, 32) == 0;
	return SPOD_OK;
}

int audit_ev_check_head(struct spod_store *s, const struct spod_store_head *h,
                        struct audit_ev_report *r)
{
	uint8_t msg[SPOD_EVIDENCE_HEAD_MSG_MAX], hash[32];
	uint64_t log_seq = 0;
	size_t len;
	int rc;

	struct key_find kf = {h->pub, 0};
	char hx[17];

	SPOD_TRY(spod_store_audit_head(s, &log_seq, hash));
	r->log_seq = log_seq;
	SPOD_TRY(spod_store_evidence_keys(s, on_find, &kf));
	if (!kf.found)
		return fail(r, "signed head seq %llu: by key %s..., not a stored evidence key",
		            (unsigned long long)h->seq, short_hex(hx, h->pub));
	if (spod_evidence_head_msg(msg, &len, h->pub, h->seq, h->hash, h->counter, h->nonce,
	                           h->nonce_len) < 0 ||
	    spod_verify(SPOD_ALG_ED25519, h->pub, 32, SPOD_MODE_RAW, msg, len, h->sig, 64) < 0)
		return fail(r, "signed head seq %llu: signature does not verify",
		            (unsigned long long)h->seq);
	if (h->seq > log_seq)
		return fail(r,
		            "truncated: the enclave signed head seq %llu but the log ends at %llu",
		            (unsigned long long)h->seq, (unsigned long long)log_seq);
	if (h->seq > 0) {
		rc = spod_store_audit_hash_at(s, h->seq, hash);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			uint64_t aseq = 0;
			SPOD_TRY(spod_store_audit_anchor(s, &aseq, hash));
			rc = aseq == h->seq;
		}
		if (rc == 1 && memcmp(hash, h->hash, 32) != 0)
			return fail(
			    r, "rewritten: record %llu differs from the head the enclave signed",
			    (unsigned long long)h->seq);
	}
	if (h->seq > r->newest_head_seq)
		r->newest_head_seq = h->seq;
	r->heads++;
	return SPOD_OK;
}

struct head_ctx {
	struct spod_store_head *v;
	size_t n, cap;
};

static int on_head(void *arg, const struct spod_store_head *h)
{
	struct head_ctx *c = arg;

	SPOD_TRY(grow((void **)&c->v, &c->cap, c->n, sizeof *c->v));
	c->v[c->n++] = *h;
	return SPOD_OK;
}

/* Every stored head (read first, hc): by a stored key, and as audit_ev_check_head says. */
static int check_heads(struct ev_ctx *c, const struct head_ctx *hc)
{
	for (size_t i = 0; i < hc->n; i++)
		SPOD_TRY(audit_ev_check_head(c->s, &hc->v[i], c->r));
	return SPOD_OK;
}

static int on_newest_root(void *arg, const struct spod_store_evroot *rt)
{
	int64_t *newest = arg;

	if (rt->id > *newest)
		*newest = rt->id;
	return SPOD_OK;
}

/*
 * The pod may be writing while this reads (each walk is its own read transaction), so things
 * are read before what they point to is: heads before the log's end (a head is signed for a
 * log that already holds it), roots before keys (a key is stored before its evidence),
 * records after roots (a record of a batch committed meanwhile is left for the next run) and
 * audit records last (a record's evidence never commits before it).
 */
static int run(struct ev_ctx *c, struct head_ctx *hc)
{
	struct audit_ev_report *r = c->r;
	uint8_t hash[32];
	uint64_t aseq = 0;

	SPOD_TRY(spod_store_heads(c->s, on_head, hc));
	SPOD_TRY(spod_store_audit_head(c->s, &r->log_seq, hash));
	SPOD_TRY(spod_store_evidence_roots(c->s, on_root, c));
	r->roots = c->nroots;
	SPOD_TRY(spod_store_evidence_keys(c->s, on_key, c));
	r->keys = c->nkeys;
	r->verified_against_root = c->pol != NULL;
	for (size_t i = 0; i < c->nroots; i++)
		SPOD_TRY(check_root(c, &c->roots[i]));
	SPOD_TRY(spod_store_evidence_records(c->s, on_rec, c));
	for (size_t i = 0; i < c->nroots; i++)
		if (c->roots[i].seen != c->roots[i].count)
			return fail(r, "evidence batch %lld: %u of its %u records are stored",
			            (long long)c->roots[i].id, c->roots[i].seen, c->roots[i].count);
	if (c->later_root_id > 0) {
		int64_t newest = 0;

		SPOD_TRY(spod_store_evidence_roots(c->s, on_newest_root, &newest));
		if (newest < c->later_root_id)
			return fail(
			    r, "evidence records of batch %lld, whose signed root is not stored",
			    (long long)c->later_root_id);
	}
	if (c->have_last)
		r->max_counter = c->last_counter;
	SPOD_TRY(spod_store_audit_anchor(c->s, &aseq, hash));
	c->pruned = aseq > 0;
	c->oldest_audit_ms = INT64_MAX;
	SPOD_TRY(spod_store_audit_tail(c->s, SIZE_MAX, on_audit, c));
	/* Heads first: a truncation or rewrite is the more precise diagnosis of what the
	 * evidence match would also find. */
	SPOD_TRY(check_heads(c, hc));
	return match(c);
}

int audit_ev_verify(struct spod_store *s, const struct spod_attest_policy *pol,
                    const uint8_t *live_pub, struct audit_ev_report *r)
{
	struct ev_ctx c = {.s = s, .pol = pol, .r = r};
	struct head_ctx hc = {0};
	struct ev_key *k;
	int err;

	memset(r, 0, sizeof *r);
	err = run(&c, &hc);
	free(hc.v);
	if (live_pub != NULL && (k = find_key(&c, live_pub)) != NULL)
		r->max_counter = k->max_counter;
	free(c.keys);
	free(c.roots);
	free(c.ev);
	free(c.au);
	return err;
}
