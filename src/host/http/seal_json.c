/* The seal state as JSON: the custodian routes' answer and /readyz (seal_json.h). */
#include "host/http/seal_json.h"

#include <stdio.h>

#include "common/bytes.h"
#include "common/hex.h"
#include "spod/err.h"

#define SEAL_KEY_ID_BYTES 16u /* docs/keys.md */

static const char *mode_name(uint8_t mode)
{
	switch (mode) {
	case SPOD_SEAL_EPHEMERAL:
		return "ephemeral";
	case SPOD_SEAL_CUSTODIANS:
		return "custodians";
	default:
		return "unset";
	}
}

/* The members both answers share; NULL without memory. */
static json_t *seal_fields(uint8_t mode, int ready, const uint8_t id[SEAL_KEY_ID_BYTES],
                           unsigned present, unsigned needed, unsigned total)
{
	char hex[2 * SEAL_KEY_ID_BYTES + 1];
	json_t *id_json;

	if (spod_all_zero(id, SEAL_KEY_ID_BYTES) ||
	    spod_hex_encode(hex, sizeof(hex), id, SEAL_KEY_ID_BYTES) < 0)
		id_json = json_null();
	else
		id_json = json_string(hex);
	return json_pack("{s:s,s:b,s:o,s:I,s:I,s:I}", "mode", mode_name(mode), "ready", ready != 0,
	                 "seal_key_id", id_json, "shares_present", (json_int_t)present,
	                 "shares_needed", (json_int_t)needed, "shares_total", (json_int_t)total);
}

json_t *spod_http_seal_object(const struct spod_seal_info *s)
{
	json_t *obj =
	    seal_fields(s->mode, s->ready, s->seal_key_id, s->present, s->threshold, s->shares);

	if (obj != NULL &&
	    json_object_set_new(obj, "keys", json_integer((json_int_t)s->key_count)) < 0) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

/* Why /readyz is 503: the code and message of its "error" member. */
static json_t *not_ready_error(const struct spod_http_seal *s)
{
	char msg[128];

	if (!s->known || s->mode != SPOD_SEAL_CUSTODIANS || s->ready)
		return json_pack("{s:s,s:s}", "code", spod_err_name(SPOD_E_UNAVAILABLE), "message",
		                 "no enclave connection is ready");
	if (s->threshold > 0)
		snprintf(msg, sizeof(msg),
		         "waiting for the custodians' shares of the seal key: %u of %u received",
		         (unsigned)s->present, (unsigned)s->threshold);
	else
		snprintf(msg, sizeof(msg),
		         "waiting for the custodians' shares of the seal key: none received yet");
	return json_pack("{s:s,s:s}", "code", spod_err_name(SPOD_E_NOT_PROVISIONED), "message",
	                 msg);
}

void spod_http_reply_readyz(struct spod_http_reply *r, int (*ready)(void *ctx),
                            void (*seal)(void *ctx, struct spod_http_seal *out), void *ctx)
{
	struct spod_http_seal s = {0};
	int is_ready = ready == NULL || ready(ctx);
	json_t *obj;

	if (seal != NULL)
		seal(ctx, &s);
	if (!s.known)
		s = (struct spod_http_seal){0};
	obj = seal_fields(s.mode, is_ready, s.seal_key_id, s.present, s.threshold, s.shares);
	if (obj != NULL && !is_ready &&
	    json_object_set_new(obj, "error", not_ready_error(&s)) < 0) {
		json_decref(obj);
		obj = NULL;
	}
	spod_http_reply_json(r, is_ready ? 200 : 503, obj);
}

void spod_http_reply_not_ready(struct spod_http_reply *r,
                               void (*seal)(void *ctx, struct spod_http_seal *out), void *ctx)
{
	struct spod_http_seal s = {0};
	json_t *err;

	if (seal != NULL)
		seal(ctx, &s);
	if (!s.known)
		s = (struct spod_http_seal){0};
	err = not_ready_error(&s);
	spod_http_reply_json(r, 503, err != NULL ? json_pack("{s:o}", "error", err) : NULL);
}
