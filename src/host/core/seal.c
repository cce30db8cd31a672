/*
 * The seal mode spod-host asks every enclave boot for (docs/keys.md), and what the host
 * knows of the enclave's seal state: set by the seal.setup answer of each new connection and
 * by every seal answer passing through (custodian.share, seal.status), read by the HTTP
 * thread for /readyz and `spod custodian status`. A change of mode or seal key (a new
 * enclave boot in ephemeral mode, the custodians' key rebuilt) is audited.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "common/hex.h"
#include "common/log.h"
#include "host/core/host_int.h"

static const char *mode_name(uint8_t mode)
{
	return mode == SPOD_SEAL_EPHEMERAL    ? "ephemeral"
	       : mode == SPOD_SEAL_CUSTODIANS ? "custodians"
	                                      : "unset";
}

/*
 * The custodians' seal key this pod's keys are sealed under, once it was first rebuilt:
 * 1 with id, 0 when none is recorded yet, or a store error.
 */
static int recorded_key_id(struct spod_host *h, uint8_t id[16])
{
	size_t len;
	int rc = spod_store_setting_get(h->store, SPOD_SETTING_SEAL_KEY_ID, id, 16, &len);

	if (rc == 1 && len != 16)
		rc = SPOD_E_IO;
	if (rc < 0)
		spod_error("the recorded seal key id cannot be read: %s",
		           spod_store_last_error(h->store));
	return rc;
}

int host_seal_begin(struct host_enclave *e)
{
	uint8_t frame[SPOD_HDR_BYTES + 24], id[16];
	int have = 0;
	size_t len;

	e->stage = HOST_ENCLAVE_SETUP;
	if (e->h->cfg.seal_mode == SPOD_SEAL_CUSTODIANS) {
		have = recorded_key_id(e->h, id);
		if (have < 0)
			return have;
	}
	SPOD_TRY(spod_wire_enc_seal_setup(frame, sizeof(frame), &len,
	                                  HOST_CTL_RID(e->index, HOST_STEP_SETUP),
	                                  e->h->cfg.seal_mode, have ? id : NULL));
	return host_enclave_send(e, frame, len);
}

/* The first custodians' seal key rebuilt for this database is recorded as its own. */
static void record_key_id(struct spod_host *h, const struct spod_seal_view *v, const char *hex)
{
	uint8_t id[16];
	char detail[128];
	int rc = recorded_key_id(h, id);

	if (rc != 0)
		return; /* recorded already (the enclave refuses another key), or unreadable */
	if (spod_store_setting_put(h->store, SPOD_SETTING_SEAL_KEY_ID, v->seal_key_id, 16,
	                           host_wall_ms()) < 0) {
		spod_error("the seal key id cannot be recorded: %s",
		           spod_store_last_error(h->store));
		return;
	}
	snprintf(detail, sizeof(detail),
	         "seal key %s recorded as this pod's: only its custodians' shares are taken", hex);
	spod_info("%s", detail);
	if (host_journal_record(h, "seal.state", NULL, NULL, NULL, SPOD_OK, detail) < 0)
		spod_error("audit: cannot queue a record: out of memory");
}

void host_seal_note(struct spod_host *h, const struct spod_seal_view *v)
{
	struct host_seal_state *s = &h->seal;
	int changed;
	char detail[128], id[33];

	pthread_mutex_lock(&s->lock);
	changed = !s->known || s->mode != v->mode || s->ready != v->ready ||
	          memcmp(s->seal_key_id, v->seal_key_id, sizeof(s->seal_key_id)) != 0;
	s->known = 1;
	s->mode = v->mode;
	s->ready = v->ready;
	s->threshold = v->threshold;
	s->shares = v->shares;
	s->present = v->present;
	memcpy(s->seal_key_id, v->seal_key_id, sizeof(s->seal_key_id));
	pthread_mutex_unlock(&s->lock);
	if (!changed)
		return;
	if (spod_hex_encode(id, sizeof(id), v->seal_key_id, 16) < 0)
		id[0] = '\0';
	snprintf(detail, sizeof(detail), "mode=%s ready=%u seal_key_id=%s shares=%u/%u",
	         mode_name(v->mode), v->ready, id, v->present, v->threshold);
	spod_info("enclave seal state: %s", detail);
	if (host_journal_record(h, "seal.state", NULL, NULL, NULL, SPOD_OK, detail) < 0)
		spod_error("audit: cannot queue a record: out of memory");
	if (v->mode == SPOD_SEAL_CUSTODIANS && v->ready)
		record_key_id(h, v, id);
}

int host_seal_answer(struct host_enclave *e, const struct spod_frame *f)
{
	struct spod_seal_view v;
	int rc;

	if (f->hdr.request_id != HOST_CTL_RID(e->index, HOST_STEP_SETUP)) {
		spod_error("enclave connection %u: unexpected answer while choosing the seal mode",
		           e->index);
		return SPOD_E_PROTOCOL;
	}
	rc = spod_wire_seal_resp(&v, f);
	if (rc == SPOD_E_MODE_CONFLICT) {
		char why[160];

		e->refused = 1;
		snprintf(why, sizeof(why), "%.*s", (int)f->body_len, (const char *)f->body);
		spod_error("enclave connection %u REFUSED (--seal %s): %s; restart the enclave or "
		           "change spod-host's --seal or database",
		           e->index, mode_name(e->h->cfg.seal_mode), why);
		(void)host_journal_record(e->h, "seal.setup", NULL, NULL, NULL, rc, why);
		return rc;
	}
	if (rc < 0) {
		spod_error("enclave connection %u: seal.setup failed: %s", e->index,
		           spod_strerror(rc));
		return rc;
	}
	host_seal_note(e->h, &v);
	return v.ready ? 1 : 0;
}

void spod_host_seal(void *arg, struct spod_http_seal *out)
{
	struct spod_host *h = arg;
	struct host_seal_state *s = &h->seal;

	pthread_mutex_lock(&s->lock);
	*out = (struct spod_http_seal){
	    .known = s->known,
	    .mode = s->mode,
	    .ready = s->ready,
	    .threshold = s->threshold,
	    .shares = s->shares,
	    .present = s->present,
	};
	memcpy(out->seal_key_id, s->seal_key_id, sizeof(out->seal_key_id));
	pthread_mutex_unlock(&s->lock);
}
