/*
 * libspod's sealing and provisioning calls (docs/keys.md): the seal status, a custodian's
 * share and a key to import. The envelopes are made by the caller (the spod CLI builds them
 * with src/crypto/envelope.h after verifying an attestation document): libspod only carries
 * them, as spod-host does.
 */
#include <string.h>

#include "client/client_int.h"

static void copy_seal(struct spod_seal_info *out, const struct spod_seal_view *v)
{
	out->mode = v->mode;
	out->ready = v->ready;
	out->threshold = v->threshold;
	out->shares = v->shares;
	out->present = v->present;
	memcpy(out->seal_key_id, v->seal_key_id, sizeof(out->seal_key_id));
	out->key_count = v->key_count;
}

int spod_client_seal_status(struct spod_client *c, struct spod_seal_info *out)
{
	struct spod_seal_view v;
	struct spod_frame f;

	memset(out, 0, sizeof(*out));
	SPOD_TRY(client_empty_call(c, &f, SPOD_OP_SEAL_STATUS));
	SPOD_TRY(spod_wire_seal_resp(&v, &f));
	copy_seal(out, &v);
	return SPOD_OK;
}

/* Sends one opaque item (an envelope) with opcode and waits for its answer in *f. */
static int item_call(struct spod_client *c, struct spod_frame *f, uint8_t opcode,
                     const uint8_t *item, size_t len)
{
	size_t need = SPOD_HDR_BYTES + len, n;
	uint64_t rid;
	uint8_t *buf;

	if (len == 0 || len > SPOD_ENVELOPE_MAX_WIRE_BYTES)
		return SPOD_E_BAD_ARG;
	SYNC_BEGIN(c, need, rid, buf);
	SPOD_TRY(spod_wire_enc_item(buf, need, &n, opcode, rid, item, len));
	spod_conn_tx_commit(&c->c, n);
	return client_roundtrip(c, f, rid);
}

int spod_client_custodian_share(struct spod_client *c, struct spod_seal_info *out,
                                const uint8_t *envelope, size_t len)
{
	struct spod_seal_view v;
	struct spod_frame f;

	memset(out, 0, sizeof(*out));
	SPOD_TRY(item_call(c, &f, SPOD_OP_CUSTODIAN_SHARE, envelope, len));
	SPOD_TRY(spod_wire_seal_resp(&v, &f));
	copy_seal(out, &v);
	return SPOD_OK;
}

int spod_client_import(struct spod_client *c, struct spod_key_info *out, const uint8_t *envelope,
                       size_t len)
{
	struct spod_key_view v;
	struct spod_frame f;

	memset(out, 0, sizeof(*out));
	SPOD_TRY(item_call(c, &f, SPOD_OP_KEY_IMPORT, envelope, len));
	SPOD_TRY(spod_wire_key_resp(&v, &f));
	client_copy_key(out, &v);
	return SPOD_OK;
}
