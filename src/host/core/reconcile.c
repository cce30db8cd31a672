/*
 * Key records follow the enclave (docs/storage.md, docs/keys.md). Once an enclave connection
 * is admitted and the enclave has its seal key, and before the connection carries requests,
 * the host hands every sealed key it stores back to the enclave (key.load; the enclave
 * unseals each, or already holds it), then compares its records with what the enclave holds
 * (key.list):
 *   - a record whose key the enclave does not hold is marked lost (audited as key.lost, with
 *     why its blob did not load): its label is free again and it is never listed as live;
 *   - a lost record whose key the enclave holds again (its blob loaded after all, e.g. once
 *     the right custodians provisioned the seal key) becomes live again (key.found).
 * In ephemeral mode an enclave restart loses every key: the blobs of the earlier boot are
 * sealed under another seal key and do not load.
 *
 * The host's records are read before anything is sent, so a key generated through another
 * connection meanwhile is never taken for a lost one: it is either in the snapshot (and then
 * in the enclave), or in neither. A blob that fails is not deleted: it may load later.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hex.h"
#include "common/log.h"
#include "host/core/host_int.h"

#define LOAD_WINDOW 256u /* key.load requests in flight on one connection */
/* and at most this many bytes of blobs (version 2 blobs, with a policy, are up to 120 KiB):
 * what is in flight never exceeds what the connection's send buffer holds */
#define LOAD_WINDOW_BYTES (ENCLAVE_TX_BYTES / 2)
/*
 * A sealed blob names its key in its clear header (src/crypto/seal.h: the key id at byte 8),
 * and the enclave answers a key.load with that key. A row whose blob names another key (rows
 * swapped, or a blob written to the wrong row) is refused here, never sent: loading it would
 * bring that other key back under this row's record.
 */
#define BLOB_KEY_ID_OFF     8u
#define LOAD_OTHER_KEY      2  /* sync_key.load_rc: the row's blob names another key */
#define BLOB_VERSION_OFF    4u /* the blob's format version (src/crypto/seal.h) */
#define BLOB_VERSION_POLICY 2u /* a key with a policy */

struct sync_key {
	uint8_t id[SPOD_KEY_ID_BYTES];
	uint8_t lost;    /* lost in the records */
	uint8_t seen;    /* held by the enclave (loaded, or in its list) */
	int16_t load_rc; /* key.load's status: 0 ok, < 0 error, 1 no blob, LOAD_OTHER_KEY */
	uint32_t blob_off, blob_len; /* in blobs */
};

struct host_reconcile {
	struct sync_key *keys; /* the records not deleted, sorted by id */
	uint32_t n, cap;
	uint8_t *blobs;
	size_t blobs_len, blobs_cap;
	uint32_t next_load; /* next key to send key.load for */
	uint32_t loads_out; /* key.load requests in flight */
	size_t bytes_out;   /* their blobs' bytes */
	uint32_t page;      /* key.list pages asked for */
	uint32_t loaded, failed;
	uint8_t *frame; /* a key.load request: SPOD_HDR_BYTES + SPOD_BLOB_MAX_BYTES (120 KiB) */
};

void host_reconcile_free(struct host_enclave *e)
{
	if (e->sync != NULL) {
		free(e->sync->keys);
		free(e->sync->blobs);
		free(e->sync->frame);
	}
	free(e->sync);
	e->sync = NULL;
}

static int grow_keys(struct host_reconcile *r)
{
	uint32_t cap = r->cap ? 2 * r->cap : 1024;
	struct sync_key *p = realloc(r->keys, (size_t)cap * sizeof(*p));

	if (p == NULL)
		return SPOD_E_NOMEM;
	r->keys = p;
	r->cap = cap;
	return SPOD_OK;
}

static int snapshot_one(void *ctx, const struct spod_store_key *k, const uint8_t *blob,
                        size_t blob_len)
{
	struct host_reconcile *r = ctx;
	struct sync_key *s;

	if (r->n == r->cap)
		SPOD_TRY(grow_keys(r));
	if (blob_len > r->blobs_cap - r->blobs_len) {
		size_t cap = r->blobs_cap ? 2 * r->blobs_cap : 65536;
		uint8_t *p;

		while (cap - r->blobs_len < blob_len)
			cap *= 2;
		p = realloc(r->blobs, cap);
		if (p == NULL)
			return SPOD_E_NOMEM;
		r->blobs = p;
		r->blobs_cap = cap;
	}
	s = &r->keys[r->n++];
	memcpy(s->id, k->id, SPOD_KEY_ID_BYTES);
	s->lost = k->lost_ms != 0;
	s->seen = 0;
	s->load_rc = blob != NULL ? 0 : 1;
	s->blob_off = (uint32_t)r->blobs_len;
	s->blob_len = (uint32_t)blob_len;
	if (blob_len > 0)
		memcpy(r->blobs + r->blobs_len, blob, blob_len);
	r->blobs_len += blob_len;
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

static int send_list(struct host_enclave *e, uint32_t cursor)
{
	uint8_t frame[SPOD_HDR_BYTES + 8];
	size_t len;

	/* the page-th page asked for (pages count from 1) */
	SPOD_TRY(spod_wire_enc_list(frame, sizeof(frame), &len,
	                            HOST_CTL_RID(e->index, HOST_STEP_LIST + e->sync->page - 1),
	                            cursor, SPOD_LIST_MAX_ITEMS));
	return host_enclave_send(e, frame, len);
}

/* Keeps LOAD_WINDOW key.load requests in flight; asks for the key list once all answered. */
static int pump_loads(struct host_enclave *e)
{
	struct host_reconcile *r = e->sync;
	const size_t cap = SPOD_HDR_BYTES + SPOD_BLOB_MAX_BYTES;
	size_t len;

	while (r->loads_out < LOAD_WINDOW && r->next_load < r->n) {
		struct sync_key *k = &r->keys[r->next_load];

		if (r->loads_out > 0 && k->blob_len > LOAD_WINDOW_BYTES - r->bytes_out)
			break; /* the answers in flight free room */
		if (k->blob_len >= BLOB_KEY_ID_OFF + SPOD_KEY_ID_BYTES &&
		    memcmp(r->blobs + k->blob_off + BLOB_KEY_ID_OFF, k->id, SPOD_KEY_ID_BYTES) !=
		        0) {
			k->load_rc = LOAD_OTHER_KEY;
			r->failed++;
		} else if (k->blob_len > 0) {
			if (r->frame == NULL && (r->frame = malloc(cap)) == NULL)
				return SPOD_E_NOMEM;
			SPOD_TRY(spod_wire_enc_item(
			    r->frame, cap, &len, SPOD_OP_KEY_LOAD,
			    HOST_CTL_RID(e->index, HOST_STEP_LOAD + r->next_load),
			    r->blobs + k->blob_off, k->blob_len));
			SPOD_TRY(host_enclave_send(e, r->frame, len));
			r->loads_out++;
			r->bytes_out += k->blob_len;
		}
		r->next_load++;
	}
	if (r->loads_out == 0 && r->next_load == r->n && r->page == 0) {
		r->page = 1;
		return send_list(e, 0);
	}
	return SPOD_OK;
}

int host_reconcile_begin(struct host_enclave *e)
{
	struct host_reconcile *r;
	int rc;

	host_reconcile_free(e);
	r = e->sync = calloc(1, sizeof(*e->sync));
	if (r == NULL)
		return SPOD_E_NOMEM;
	e->stage = HOST_ENCLAVE_SYNCING;
	rc = spod_store_key_list_sealed(e->h->store, snapshot_one, r);
	if (rc < 0) {
		/* Serving goes on: the records are checked again at the next (re)connection. */
		spod_warn("key records: cannot read them (%s); sealed keys not replayed",
		          spod_store_last_error(e->h->store));
		r->n = 0;
	}
	if (r->n > 1)
		qsort(r->keys, r->n, sizeof(*r->keys), by_id);
	/* keys whose blob holds a policy: their window state is kept sealed (policy_sync.c) */
	for (uint32_t i = 0; i < r->n; i++)
		if (r->keys[i].blob_len > BLOB_VERSION_OFF &&
		    r->blobs[r->keys[i].blob_off + BLOB_VERSION_OFF] == BLOB_VERSION_POLICY &&
		    host_psync_add(e->h, r->keys[i].id) < 0) {
			spod_warn("policy state: out of memory; windows of keys with a policy are "
			          "not kept sealed");
			break;
		}
	/* the blob offsets moved with their keys: sorting kept each key's (off, len) */
	return pump_loads(e);
}

static const char *lost_why(const struct sync_key *k)
{
	switch (k->load_rc) {
	case 1:
		return "the enclave does not hold this key and there is no sealed copy of it";
	case SPOD_E_WRONG_SEAL_KEY:
		return "its sealed copy is under another seal key (an earlier enclave boot in "
		       "ephemeral mode, or other custodians)";
	case SPOD_E_BAD_BLOB:
		return "its sealed copy does not open: tampered, truncated or another key's";
	case LOAD_OTHER_KEY:
		return "its stored sealed copy is another key's (not sent to the enclave)";
	default:
		return "its sealed copy did not load";
	}
}

/* The result of a key.lost record: why the blob did not load, else KEY_NOT_FOUND. */
static int lost_result(const struct sync_key *k)
{
	if (k->load_rc == LOAD_OTHER_KEY)
		return SPOD_E_BAD_BLOB;
	return k->load_rc < 0 ? k->load_rc : SPOD_E_KEY_NOT_FOUND;
}

/* Marks one record lost or found, with its audit record. */
static void apply_one(struct spod_host *h, const struct sync_key *k)
{
	int lose = !k->seen && !k->lost;
	int rc = lose ? spod_store_key_mark_lost(h->store, k->id, host_wall_ms())
	              : spod_store_key_mark_found(h->store, k->id);
	char detail[200];

	if (rc == SPOD_E_KEY_NOT_FOUND)
		return; /* changed meanwhile (deleted, or another connection got here first) */
	if (rc < 0) {
		spod_warn("key records: cannot mark a key %s: %s", lose ? "lost" : "found",
		          spod_store_last_error(h->store));
		return;
	}
	host_keyindex_set_lost(&h->keys, k->id, lose);
	if (lose)
		snprintf(detail, sizeof(detail), "%s; the record is kept as lost, its label freed",
		         lost_why(k));
	else
		snprintf(detail, sizeof(detail), "the enclave holds this key again");
	if (host_journal_record(h, lose ? "key.lost" : "key.found", k->id, NULL, NULL,
	                        lose ? lost_result(k) : SPOD_OK, detail) < 0)
		spod_error("audit: cannot queue a record: out of memory");
}

#define DAMAGED_LOGGED 16u /* held keys with a bad blob named one by one in the log */

/* A key the enclave holds whose stored blob did not load: audited, and logged when log. */
static void note_damaged(struct spod_host *h, const struct sync_key *k, int log)
{
	char hex[2 * SPOD_KEY_ID_BYTES + 1], detail[300];

	snprintf(detail, sizeof(detail),
	         "%s; the enclave still holds the key, but loses it at its next restart unless "
	         "the stored blob is restored",
	         lost_why(k));
	if (host_journal_record(h, "key.unseal", k->id, NULL, NULL, lost_result(k), detail) < 0)
		spod_error("audit: cannot queue a record: out of memory");
	if (log && spod_hex_encode(hex, sizeof(hex), k->id, sizeof(k->id)) == SPOD_OK)
		spod_warn("key %s: %s", hex, detail);
}

/*
 * Marks records lost or found; and says which keys the enclave still holds although their
 * stored blob did not load (damaged in storage: noticed now, not when the enclave restarts).
 */
static void apply(struct host_enclave *e)
{
	struct host_reconcile *r = e->sync;
	uint32_t lost = 0, found = 0, damaged = 0;

	for (uint32_t i = 0; i < r->n; i++) {
		const struct sync_key *k = &r->keys[i];
		if (k->seen == k->lost) {
			apply_one(e->h, k);
			lost += !k->seen;
			found += k->seen;
		}
		if (k->seen && k->load_rc < 0)
			note_damaged(e->h, k, damaged++ < DAMAGED_LOGGED);
	}
	if (damaged > DAMAGED_LOGGED)
		spod_warn("%u more held keys with a sealed copy that does not load",
		          damaged - DAMAGED_LOGGED);
	spod_info("enclave connection %u: %u sealed key(s) loaded, %u refused; records: %u lost, "
	          "%u found again",
	          e->index, r->loaded, r->failed, lost, found);
}

static int on_load(struct host_enclave *e, const struct spod_frame *f, uint64_t i)
{
	struct host_reconcile *r = e->sync;
	struct sync_key *k;

	if (i >= r->n || r->loads_out == 0)
		return SPOD_E_PROTOCOL;
	k = &r->keys[i];
	r->loads_out--;
	r->bytes_out -= k->blob_len < r->bytes_out ? k->blob_len : r->bytes_out;
	if (f->hdr.status == 0) {
		struct spod_key_view v;
		SPOD_TRY(spod_wire_key_resp(&v, f));
		if (memcmp(v.key_id, k->id, SPOD_KEY_ID_BYTES) != 0)
			return SPOD_E_PROTOCOL;
		k->seen = 1;
		k->load_rc = 0;
		r->loaded++;
	} else {
		k->load_rc = (int16_t)spod_err_from_status(f->hdr.status);
		r->failed++;
		if (k->load_rc == SPOD_E_NOT_PROVISIONED)
			return SPOD_E_NOT_PROVISIONED; /* the seal key went away: start over */
	}
	return pump_loads(e);
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
		e->sync->page++;
		SPOD_TRY(send_list(e, v.next_cursor));
		return 0;
	}
	apply(e);
	return 1;
}

int host_reconcile_answer(struct host_enclave *e, const struct spod_frame *f)
{
	uint64_t step = HOST_CTL_STEP(f->hdr.request_id);
	int rc;

	if (e->sync == NULL || HOST_CTL_RID(e->index, step) != f->hdr.request_id)
		rc = SPOD_E_PROTOCOL;
	else if (step >= HOST_STEP_LOAD && step < HOST_STEP_DELETE)
		rc = on_load(e, f, step - HOST_STEP_LOAD);
	else if (step == HOST_STEP_LIST + e->sync->page - 1 && e->sync->page > 0)
		rc = on_list(e, f);
	else
		rc = SPOD_E_PROTOCOL;
	if (rc < 0)
		spod_error("enclave connection %u: replaying sealed keys failed: %s", e->index,
		           spod_strerror(rc));
	if (rc != 0)
		host_reconcile_free(e);
	return rc;
}
