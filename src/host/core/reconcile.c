/*
 * Key records follow the enclave (docs/storage.md): after an enclave connection is admitted
 * and before it carries requests, the host compares its key records with the keys the
 * enclave actually holds. In ephemeral mode an enclave restart loses every key: the records
 * of keys the enclave no longer holds are marked lost (audited as key.lost), which frees
 * their labels and keeps them out of every listing; a lost key the enclave holds again (a
 * sealed key unsealed later) becomes live again (key.found).
 *
 * The host's records are read before the enclave's list is asked for, so a key generated
 * through another connection meanwhile is never taken for a lost one: it is either in the
 * snapshot and then in the enclave's list, or in neither.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "host/core/host_int.h"

struct host_reconcile {
	struct sync_key *keys; /* the host's records that are not deleted, sorted by id */
	uint32_t n, cap;
	uint32_t step; /* of the next control request */
};

struct sync_key {
	uint8_t id[SPOD_KEY_ID_BYTES];
	uint8_t lost; /* lost in the records */
	uint8_t seen; /* in the enclave's list */
};

#define STEP_INFO 1u

static int send_step(struct host_enclave *e, uint8_t opcode, uint32_t cursor)
{
	uint8_t frame[SPOD_HDR_BYTES + 8];
	uint64_t rid = HOST_CTL_RID(e->index, e->sync->step);
	size_t len;

	if (opcode == SPOD_OP_INFO)
		SPOD_TRY(spod_wire_enc_empty(frame, sizeof(frame), &len, SPOD_OP_INFO, rid));
	else
		SPOD_TRY(spod_wire_enc_list(frame, sizeof(frame), &len, rid, cursor,
		                            SPOD_LIST_MAX_ITEMS));
	return host_enclave_send(e, frame, len);
}

int host_reconcile_begin(struct host_enclave *e)
{
	host_reconcile_free(e);
	e->sync = calloc(1, sizeof(*e->sync));
	if (e->sync == NULL)
		return SPOD_E_NOMEM;
	e->stage = HOST_ENCLAVE_SYNCING;
	e->sync->step = STEP_INFO;
	return send_step(e, SPOD_OP_INFO, 0);
}

void host_reconcile_free(struct host_enclave *e)
{
	if (e->sync != NULL)
		free(e->sync->keys);
	free(e->sync);
	e->sync = NULL;
}

static int snapshot_one(void *ctx, const struct spod_store_key *k)
{
	struct host_reconcile *r = ctx;

	if (r->n == r->cap) {
		uint32_t cap = r->cap ? 2 * r->cap : 1024;
		struct sync_key *p = realloc(r->keys, (size_t)cap * sizeof(*p));
		if (p == NULL)
			return SPOD_E_NOMEM;
		r->keys = p;
		r->cap = cap;
	}
	memcpy(r->keys[r->n].id, k->id, SPOD_KEY_ID_BYTES);
	r->keys[r->n].lost = k->lost_ms != 0;
	r->keys[r->n].seen = 0;
	r->n++;
	return SPOD_OK;
}

static int by_id(const void *a, const void *b)
{
	return memcmp(a, b, SPOD_KEY_ID_BYTES);
}

static struct sync_key *find(struct host_reconcile *r, const uint8_t *id)
{
	return r->n ? bsearch(id, r->keys, r->n, sizeof(*r->keys), by_id) : NULL;
}

/* Marks one record lost or found, with its audit record. */
static void apply_one(struct spod_host *h, const struct sync_key *k)
{
	int lose = !k->seen && !k->lost;
	int rc = lose ? spod_store_key_mark_lost(h->store, k->id, host_wall_ms())
	              : spod_store_key_mark_found(h->store, k->id);

	if (rc == SPOD_E_KEY_NOT_FOUND)
		return; /* changed meanwhile (deleted, or another connection got here first) */
	if (rc < 0) {
		spod_warn("key records: cannot mark a key %s: %s", lose ? "lost" : "found",
		          spod_store_last_error(h->store));
		return;
	}
	rc = host_journal_record(h, lose ? "key.lost" : "key.found", k->id, NULL, NULL, SPOD_OK,
	                         lose ? "the enclave does not hold this key (it restarted in "
	                                "ephemeral mode): its record is kept as lost, its "
	                                "label freed"
	                              : "the enclave holds this key again");
	if (rc < 0)
		spod_error("audit: cannot queue a record: out of memory");
}

static void apply(struct host_enclave *e)
{
	struct host_reconcile *r = e->sync;
	uint32_t lost = 0, found = 0;

	for (uint32_t i = 0; i < r->n; i++) {
		const struct sync_key *k = &r->keys[i];
		if (k->seen == k->lost) {
			apply_one(e->h, k);
			lost += !k->seen;
			found += k->seen;
		}
	}
	if (lost > 0 || found > 0)
		spod_warn("key records follow the enclave: %u key(s) lost, %u found again", lost,
		          found);
}

/* The info answer: reconcile only an enclave whose keys die with it (ephemeral mode). */
static int on_info(struct host_enclave *e, const struct spod_frame *f)
{
	struct spod_info_view info;
	int rc;

	SPOD_TRY(spod_wire_info_resp(&info, f));
	if (!(info.flags & SPOD_INFO_EPHEMERAL))
		return 1;
	rc = spod_store_key_list(e->h->store, SPOD_STORE_KEYS_HELD, snapshot_one, e->sync);
	if (rc < 0) {
		/* Serving goes on: the records are checked again at the next (re)connection. */
		spod_warn("key records: cannot read them (%s); not reconciled with the enclave",
		          spod_store_last_error(e->h->store));
		return 1;
	}
	if (e->sync->n > 1)
		qsort(e->sync->keys, e->sync->n, sizeof(*e->sync->keys), by_id);
	e->sync->step++;
	SPOD_TRY(send_step(e, SPOD_OP_KEY_LIST, 0));
	return 0;
}

static int on_list(struct host_enclave *e, const struct spod_frame *f)
{
	struct spod_list_view v;
	struct spod_key_view k;

	SPOD_TRY(spod_wire_list_resp(&v, f));
	for (uint32_t i = 0; i < v.count; i++) {
		struct sync_key *s;

		spod_wire_list_item(&k, &v, i);
		s = find(e->sync, k.key_id);
		if (s != NULL)
			s->seen = 1;
	}
	if (v.next_cursor != 0) {
		e->sync->step++;
		SPOD_TRY(send_step(e, SPOD_OP_KEY_LIST, v.next_cursor));
		return 0;
	}
	apply(e);
	return 1;
}

int host_reconcile_answer(struct host_enclave *e, const struct spod_frame *f)
{
	int rc;

	if (e->sync == NULL || f->hdr.request_id != HOST_CTL_RID(e->index, e->sync->step)) {
		spod_error("enclave connection %u: unexpected answer while reconciling keys",
		           e->index);
		return SPOD_E_PROTOCOL;
	}
	rc = e->sync->step == STEP_INFO ? on_info(e, f) : on_list(e, f);
	if (rc < 0)
		spod_error("enclave connection %u: reconciling keys failed: %s", e->index,
		           spod_strerror(rc));
	if (rc != 0)
		host_reconcile_free(e);
	return rc;
}
