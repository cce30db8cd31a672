/*
 * libspod's sign.tx call (docs/transactions.md, "Signing"): hands an unsigned Ethereum or
 * Solana transaction (or an Ethereum message, typed data or authorization) to the pod and
 * copies back the signed transaction (or the signature) and the fields the enclave decoded.
 */
#include <string.h>

#include "client/client_int.h"

static void copy_tx_info(struct spod_tx_info *out, const struct spod_sign_tx_view *v)
{
	struct spod_tx_xfer x;

	memset(out, 0, sizeof(*out));
	out->chain = v->chain;
	out->kind = v->kind;
	out->flags = v->flags;
	out->chain_id = v->chain_id;
	out->n_transfers = v->n_transfers;
	for (uint32_t i = 0; i < v->n_transfers; i++) {
		struct spod_tx_transfer_info *t = &out->transfers[i];

		spod_wire_sign_tx_xfer(&x, v, i);
		t->asset = x.asset;
		t->decimals = x.decimals;
		t->token_len = x.token_len;
		if (x.token_len > 0)
			memcpy(t->token, x.token, x.token_len);
		t->to_len = x.to_len;
		if (x.to_len > 0)
			memcpy(t->to, x.to, x.to_len);
		memcpy(t->amount, x.amount, sizeof(t->amount));
	}
}

int spod_client_sign_tx(struct spod_client *c, struct spod_tx_info *info, uint8_t *signed_tx,
                        size_t cap, size_t *signed_len, const uint8_t key_id[SPOD_KEY_ID_BYTES],
                        uint8_t chain, const uint8_t *tx, size_t tx_len)
{
	return spod_client_sign_tx_form(c, info, signed_tx, cap, signed_len, key_id, chain,
	                                SPOD_TX_FORM_TRANSACTION, tx, tx_len);
}

int spod_client_sign_tx_form(struct spod_client *c, struct spod_tx_info *info, uint8_t *signed_tx,
                             size_t cap, size_t *signed_len,
                             const uint8_t key_id[SPOD_KEY_ID_BYTES], uint8_t chain, uint8_t form,
                             const uint8_t *tx, size_t tx_len)
{
	struct spod_sign_tx_view v;
	struct spod_frame f;
	size_t need = SPOD_HDR_BYTES + 32 + tx_len, len;
	uint64_t rid;
	uint8_t *buf;

	*signed_len = 0;
	if (info != NULL)
		memset(info, 0, sizeof(*info));
	if (tx_len > SPOD_TX_MAX_BYTES)
		return SPOD_E_TOO_LARGE;
	SYNC_BEGIN(c, need, rid, buf);
	SPOD_TRY(spod_wire_enc_sign_tx_form(buf, need, &len, rid, key_id, chain, form, tx, tx_len));
	spod_conn_tx_commit(&c->c, len);
	SPOD_TRY(client_roundtrip(c, &f, rid));
	SPOD_TRY(spod_wire_sign_tx_resp(&v, &f));
	if (v.chain != chain)
		return SPOD_E_PROTOCOL;
	if (v.signed_len > cap)
		return SPOD_E_TOO_LARGE;
	memcpy(signed_tx, v.signed_tx, v.signed_len);
	*signed_len = v.signed_len;
	if (info != NULL)
		copy_tx_info(info, &v);
	return SPOD_OK;
}
