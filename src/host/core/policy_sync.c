/*
 * Policy state kept sealed (docs/policy.md, "Limits"): a key's policy windows and rates live
 * in enclave memory; policy.sync asks the enclave to re-seal the key with its current state,
 * and the blob it answers with replaces the stored one, so the key.load after an enclave
 * restart brings the windows back as of the last sync.
 *
 * The host keeps the set of keys that have a policy (filled from the stored blobs at reconcile
 * time: a version 2 blob, byte 4 of src/crypto/seal.h; kept up to date by policy.set and
 * key.delete answers). A signature answered OK marks its key dirty (O(1), no allocation: the
 * signing path). Every HOST_POLICY_SYNC_MS the dirty keys are sent policy.sync on a ready
 * enclave connection, at most HOST_POLICY_SYNC_MAX in flight and one per key.
 *
 * Ordering: each policy.set answer gives the key a new generation. A sync answer is stored
 * only if the key's generation is still the one it was sent with: a sync the enclave answered
 * before (or after) a policy.set on another connection never overwrites the blob that
 * policy.set stored; the key is synced again instead.
 */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "host/core/host_int.h"

#define BLOB_VERSION_OFF 4u /* src/crypto/seal.h */
#define BLOB_V1          1u
#define BLOB_V2          2u /* a key with a policy */

static uint32_t slot_of(const struct host_psync *p, const uint8_t *id)
{
	uint64_t x;

	memcpy(&x, id, sizeof(x));
	return (uint32_t)((x * 0x9e3779b97f4a7c15ull) >> 32) & (p->cap - 1);
}

/* The entry of id, or NULL. */
static struct host_psync_key *find(struct host_psync *p, const uint8_t *id)
{
	if (p->n == 0)
		return NULL;
	for (uint32_t i = slot_of(p, id);; i = (i + 1) & (p->cap - 1)) {
		struct host_psync_key *k = &p->keys[i];
		if (!k->used)
			return NULL;
		if (memcmp(k->id, id, SPOD_KEY_ID_BYTES) == 0)
			return k;
	}
}

/* Places k (not in the table) in its first free slot. */
static struct host_psync_key *place(struct host_psync *p, const struct host_psync_key *k)
{
	uint32_t i = slot_of(p, k->id);

	while (p->keys[i].used)
		i = (i + 1) & (p->cap - 1);
	p->keys[i] = *k;
	return &p->keys[i];
}

/* Keeps the table at most half full; SPOD_E_NOMEM leaves it as it was. */
static int reserve_one(struct host_psync *p)
{
	struct host_psync_key *old = p->keys, *q;
	uint32_t cap = p->cap ? p->cap : 64, ocap = p->cap;

	if (2 * (p->n + 1) <= p->cap)
		return SPOD_OK;
	while (2 * (p->n + 1) > cap)
		cap *= 2;
	q = calloc(cap, sizeof(*q));
	if (q == NULL)
		return SPOD_E_NOMEM;
	p->keys = q;
	p->cap = cap;
	for (uint32_t i = 0; i < ocap; i++)
		if (old[i].used)
			(void)place(p, &old[i]);
	free(old);
	return SPOD_OK;
}

/* The entry of id, added (not dirty) when missing; NULL when out of memory. */
static struct host_psync_key *get(struct host_psync *p, const uint8_t *id)
{
	struct host_psync_key *k = find(p, id), e = {.used = 1};

	if (k != NULL)
		return k;
	if (reserve_one(p) < 0)
		return NULL;
	memcpy(e.id, id, SPOD_KEY_ID_BYTES);
	e.gen = ++p->next_gen;
	p->n++;
	return place(p, &e);
}

static void set_dirty(struct host_psync *p, struct host_psync_key *k, int dirty)
{
	if (k->dirty == dirty)
		return;
	k->dirty = (uint8_t)dirty;
	if (dirty)
		p->ndirty++;
	else
		p->ndirty--;
}

/* Removes k from the table (linear probing: the entries after it move back). */
static void drop(struct host_psync *p, struct host_psync_key *k)
{
	uint32_t i = (uint32_t)(k - p->keys), j = i;

	set_dirty(p, k, 0);
	p->keys[i].used = 0;
	p->n--;
	for (;;) {
		uint32_t home;
		j = (j + 1) & (p->cap - 1);
		if (!p->keys[j].used)
			return;
		home = slot_of(p, p->keys[j].id);
		/* j's entry may fill the hole at i unless its home lies in (i, j] */
		if (i <= j ? (home > i && home <= j) : (home > i || home <= j))
			continue;
		p->keys[i] = p->keys[j];
		p->keys[j].used = 0;
		i = j;
	}
}

int host_psync_add(struct spod_host *h, const uint8_t *key_id)
{
	struct host_psync_key *k = find(&h->psync, key_id);

	if (k != NULL)
		return SPOD_OK;
	k = get(&h->psync, key_id);
	if (k == NULL)
		return SPOD_E_NOMEM;
	/* New to this spod-host: the enclave may hold a newer state than the stored blob (a
	 * signing the last spod-host had not synced yet), so the key is synced once. */
	set_dirty(&h->psync, k, 1);
	return SPOD_OK;
}

void host_psync_policy(struct spod_host *h, const uint8_t *key_id, const uint8_t *blob,
                       size_t blob_len)
{
	struct host_psync *p = &h->psync;
	struct host_psync_key *k;

	if (blob_len <= BLOB_VERSION_OFF || blob[BLOB_VERSION_OFF] != BLOB_V2) {
		host_psync_forget(h, key_id);
		return;
	}
	k = get(p, key_id);
	if (k == NULL) {
		spod_warn("policy state: out of memory; a key's windows are not kept sealed");
		return;
	}
	/* A new policy: syncs sent before are stale; the next one seals its state. */
	k->gen = ++p->next_gen;
	k->out = 0;
	set_dirty(p, k, 1);
}

void host_psync_forget(struct spod_host *h, const uint8_t *key_id)
{
	struct host_psync_key *k = find(&h->psync, key_id);

	if (k != NULL)
		drop(&h->psync, k);
}

void host_psync_signed(struct spod_host *h, const uint8_t *key_id)
{
	struct host_psync_key *k = find(&h->psync, key_id);

	if (k != NULL)
		set_dirty(&h->psync, k, 1);
}

/* A free in-flight slot, or -1. */
static int free_out(const struct host_psync *p)
{
	for (int i = 0; i < (int)HOST_POLICY_SYNC_MAX; i++)
		if (!p->out[i].used)
			return i;
	return -1;
}

/* The ready connection with the fewest requests in flight, or NULL. */
static struct host_enclave *pick(struct spod_host *h)
{
	struct host_enclave *best = NULL;

	for (unsigned i = 0; i < h->cfg.enclave_conns; i++) {
		struct host_enclave *e = &h->enclave[i];
		if (e->stage == HOST_ENCLAVE_READY &&
		    (best == NULL || e->inflight + e->syncs_out < best->inflight + best->syncs_out))
			best = e;
	}
	return best;
}

/* Sends policy.sync for k on e through in-flight slot s. */
static int send_one(struct host_enclave *e, struct host_psync_key *k, int s)
{
	struct host_psync *p = &e->h->psync;
	uint8_t frame[SPOD_HDR_BYTES + SPOD_KEY_ID_BYTES];
	size_t len;

	SPOD_TRY(spod_wire_enc_key(frame, sizeof(frame), &len, SPOD_OP_POLICY_SYNC,
	                           HOST_CTL_RID(e->index, HOST_STEP_SYNC + (uint64_t)s), k->id));
	SPOD_TRY(host_enclave_send(e, frame, len));
	memcpy(p->out[s].id, k->id, SPOD_KEY_ID_BYTES);
	p->out[s].gen = k->gen;
	p->out[s].enclave = (uint16_t)e->index;
	p->out[s].used = 1;
	p->nout++;
	if (e->syncs_out++ == 0 && e->inflight == 0)
		e->progress_ns = host_now_ns(); /* the enclave's clock to answer starts now */
	k->out = 1;
	set_dirty(p, k, 0);
	return SPOD_OK;
}

void host_psync_tick(struct spod_host *h)
{
	struct host_psync *p = &h->psync;
	struct host_enclave *e;
	uint32_t i, seen = 0;

	if (p->ndirty == 0 || p->nout >= HOST_POLICY_SYNC_MAX || (e = pick(h)) == NULL)
		return;
	/* from where the last tick stopped, so every dirty key gets its turn */
	i = p->cursor & (p->cap - 1);
	for (; seen < p->cap && p->nout < HOST_POLICY_SYNC_MAX;
	     seen++, i = (i + 1) & (p->cap - 1)) {
		struct host_psync_key *k = &p->keys[i];
		if (!k->used || !k->dirty || k->out)
			continue;
		if (send_one(e, k, free_out(p)) < 0)
			break; /* the send buffer is full: the next tick goes on */
	}
	p->cursor = i;
}

/* The key's sync failed or its answer is lost: it goes again with the next tick. */
static void again(struct host_psync *p, const uint8_t *id, uint32_t gen)
{
	struct host_psync_key *k = find(p, id);

	if (k != NULL && k->gen == gen) {
		k->out = 0;
		set_dirty(p, k, 1);
	}
}

/* An OK answer for k: stores its version 2 blob. */
static void store_blob(struct spod_host *h, struct host_psync_key *k, const struct spod_frame *f)
{
	static struct spod_log_limit failed;
	struct host_psync *p = &h->psync;
	struct spod_key_view v;
	int rc;

	if (spod_wire_key_resp(&v, f) < 0 || memcmp(v.key_id, k->id, SPOD_KEY_ID_BYTES) != 0 ||
	    v.blob_len <= BLOB_VERSION_OFF) {
		spod_log_limited(&failed, SPOD_LOG_EVERY_MS, SPOD_LOG_WARN,
		                 "policy.sync: malformed answer; synced again");
		set_dirty(p, k, 1);
		return;
	}
	if (v.blob[BLOB_VERSION_OFF] != BLOB_V2) {
		drop(p, k); /* no policy any more (removed meanwhile): nothing to keep */
		return;
	}
	rc = spod_store_key_replace_blob(h->store, v.key_id, v.blob, v.blob_len, host_wall_ms());
	if (rc == SPOD_E_KEY_NOT_FOUND) {
		drop(p, k); /* deleted */
		return;
	}
	if (rc < 0) {
		spod_log_limited(&failed, SPOD_LOG_EVERY_MS, SPOD_LOG_WARN,
		                 "policy.sync: cannot store a key's sealed policy state (%s); "
		                 "synced again",
		                 spod_store_last_error(h->store));
		set_dirty(p, k, 1);
		return;
	}
	host_metrics_add(&h->metrics.policy_syncs, 1);
}

void host_psync_answer(struct host_enclave *e, const struct spod_frame *f)
{
	static struct spod_log_limit failed, unknown;
	struct host_psync *p = &e->h->psync;
	uint64_t s = HOST_CTL_STEP(f->hdr.request_id) - HOST_STEP_SYNC;
	struct host_psync_key *k;
	int status = f->hdr.status ? spod_err_from_status(f->hdr.status) : SPOD_OK;

	if (s >= HOST_POLICY_SYNC_MAX || !p->out[s].used || p->out[s].enclave != e->index) {
		spod_log_limited(&unknown, SPOD_LOG_EVERY_MS, SPOD_LOG_WARN,
		                 "enclave connection %u: answer to an unknown policy.sync",
		                 e->index);
		return;
	}
	p->out[s].used = 0;
	p->nout--;
	if (e->syncs_out > 0)
		e->syncs_out--;
	k = find(p, p->out[s].id);
	if (k == NULL || k->gen != p->out[s].gen)
		return; /* deleted, or its policy changed meanwhile (that change syncs it again) */
	k->out = 0;
	if (status == SPOD_OK) {
		store_blob(e->h, k, f);
		return;
	}
	if (status == SPOD_E_KEY_NOT_FOUND)
		return; /* the enclave does not hold the key: it does not sign with it either */
	spod_log_limited(&failed, SPOD_LOG_EVERY_MS, SPOD_LOG_WARN, "policy.sync failed: %s%s%.*s",
	                 spod_err_name(status), f->body_len ? ": " : "", (int)f->body_len,
	                 (const char *)f->body);
	if (status != SPOD_E_UNKNOWN_OP) /* an enclave without policy.sync: no use asking again */
		set_dirty(p, k, 1);
}

void host_psync_lost(struct host_enclave *e)
{
	struct host_psync *p = &e->h->psync;

	for (uint32_t s = 0; s < HOST_POLICY_SYNC_MAX && p->nout > 0; s++) {
		if (!p->out[s].used || p->out[s].enclave != e->index)
			continue;
		p->out[s].used = 0;
		p->nout--;
		again(p, p->out[s].id, p->out[s].gen);
	}
	e->syncs_out = 0;
}

void host_psync_free(struct spod_host *h)
{
	free(h->psync.keys);
	memset(&h->psync, 0, sizeof(h->psync));
}
