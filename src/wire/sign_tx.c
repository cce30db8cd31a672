/*
 * sign.tx (docs/protocol.md): the request validator and encoder, and the answer's in-place
 * writer and decoder. The answer carries what the enclave's decoder saw, so a client can show
 * the fields a policy reads, then the signed transaction.
 */
#include <string.h>

#include "wire/layout.h"

#define RESP SPOD_FLAG_RESPONSE

static int chain_known(uint8_t chain)
{
	return chain == SPOD_TX_CHAIN_ETHEREUM || chain == SPOD_TX_CHAIN_SOLANA;
}

/* Forms other than a transaction are Ethereum's. */
static int form_ok(uint8_t chain, uint8_t form)
{
	return form <= SPOD_TX_FORM_MAX && (form == 0 || chain == SPOD_TX_CHAIN_ETHEREUM);
}

int spod_wire_sign_tx_req(struct spod_sign_tx_req *v, const struct spod_frame *f)
{
	const uint8_t *b = f->body, *tx;
	uint32_t len;
	int rc;

	memset(v, 0, sizeof(*v));
	if (f->body_len < SIGNTX_FIXED)
		return SPOD_E_BAD_LENGTH;
	if (!spod_all_zero(b + SIGNTX_RESERVED1, 2) || !spod_all_zero(b + SIGNTX_RESERVED2, 4) ||
	    !chain_known(b[SIGNTX_CHAIN]) || !form_ok(b[SIGNTX_CHAIN], b[SIGNTX_FORM]))
		return SPOD_E_BAD_FIELD;
	len = spod_le32(b + SIGNTX_TX_LEN);
	rc = wire_ref(&tx, b, f->body_len, SIGNTX_FIXED, spod_le32(b + SIGNTX_TX_OFF), len,
	              SPOD_TX_MAX_BYTES);
	if (rc < 0)
		return rc;
	if (len == 0)
		return SPOD_E_BAD_LENGTH;
	v->key_id = b + SIGNTX_KEY_ID;
	v->chain = b[SIGNTX_CHAIN];
	v->form = b[SIGNTX_FORM];
	v->tx = tx;
	v->tx_len = len;
	return SPOD_OK;
}

int spod_wire_enc_sign_tx(uint8_t *out, size_t cap, size_t *out_len, uint64_t rid,
                          const uint8_t key_id[SPOD_KEY_ID_BYTES], uint8_t chain, const uint8_t *tx,
                          size_t tx_len)
{
	return spod_wire_enc_sign_tx_form(out, cap, out_len, rid, key_id, chain,
	                                  SPOD_TX_FORM_TRANSACTION, tx, tx_len);
}

int spod_wire_enc_sign_tx_form(uint8_t *out, size_t cap, size_t *out_len, uint64_t rid,
                               const uint8_t key_id[SPOD_KEY_ID_BYTES], uint8_t chain, uint8_t form,
                               const uint8_t *tx, size_t tx_len)
{
	uint8_t *b = out + SPOD_HDR_BYTES;

	*out_len = 0;
	if (!chain_known(chain) || !form_ok(chain, form) || tx_len == 0)
		return SPOD_E_BAD_ARG;
	if (tx_len > SPOD_TX_MAX_BYTES)
		return SPOD_E_TOO_LARGE;
	SPOD_TRY(wire_room(cap, SIGNTX_FIXED + tx_len));
	spod_wire_put_hdr(out, SPOD_OP_SIGN_TX, 0, rid, 0, (uint32_t)(SIGNTX_FIXED + tx_len));
	memset(b, 0, SIGNTX_FIXED);
	memcpy(b + SIGNTX_KEY_ID, key_id, SPOD_KEY_ID_BYTES);
	b[SIGNTX_CHAIN] = chain;
	b[SIGNTX_FORM] = form;
	spod_put_le32(b + SIGNTX_TX_OFF, SIGNTX_FIXED);
	spod_put_le32(b + SIGNTX_TX_LEN, (uint32_t)tx_len);
	memcpy(b + SIGNTX_FIXED, tx, tx_len);
	*out_len = SPOD_HDR_BYTES + SIGNTX_FIXED + tx_len;
	return SPOD_OK;
}

uint8_t *spod_wire_sign_tx_reserve(uint8_t *out, size_t cap, uint32_t n_transfers, size_t *room)
{
	size_t fixed = TXR_FIXED + (size_t)n_transfers * XFER_BYTES;

	*room = 0;
	if (n_transfers > SPOD_TX_XFER_MAX || cap < SPOD_HDR_BYTES + TXR_BODY_MAX)
		return NULL;
	*room = SPOD_TX_SIGNED_MAX_BYTES;
	return out + SPOD_HDR_BYTES + fixed;
}

int spod_wire_sign_tx_put_xfer(uint8_t *out, uint32_t n_transfers, uint32_t i,
                               const struct spod_tx_xfer *x)
{
	uint8_t *e = out + SPOD_HDR_BYTES + TXR_FIXED + (size_t)i * XFER_BYTES;

	if (i >= n_transfers || n_transfers > SPOD_TX_XFER_MAX ||
	    (x->asset != 1 && x->asset != 2) || x->token_len > SPOD_TX_ADDR_MAX_BYTES ||
	    x->to_len > SPOD_TX_ADDR_MAX_BYTES || (x->token_len > 0 && x->token == NULL) ||
	    (x->to_len > 0 && x->to == NULL) || x->amount == NULL)
		return SPOD_E_BAD_ARG;
	memset(e, 0, XFER_BYTES);
	e[XFER_ASSET] = x->asset;
	e[XFER_DECIMALS] = x->decimals;
	e[XFER_TOKEN_LEN] = (uint8_t)x->token_len;
	e[XFER_TO_LEN] = (uint8_t)x->to_len;
	if (x->token_len > 0)
		memcpy(e + XFER_TOKEN, x->token, x->token_len);
	if (x->to_len > 0)
		memcpy(e + XFER_TO, x->to, x->to_len);
	memcpy(e + XFER_AMOUNT, x->amount, 32);
	return SPOD_OK;
}

void spod_wire_sign_tx_commit(uint8_t *out, size_t *out_len, uint64_t rid,
                              const struct spod_sign_tx_view *v)
{
	uint8_t *b = out + SPOD_HDR_BYTES;
	uint32_t fixed = TXR_FIXED + v->n_transfers * XFER_BYTES;

	spod_wire_put_hdr(out, SPOD_OP_SIGN_TX, RESP, rid, 0, fixed + v->signed_len);
	memset(b, 0, TXR_FIXED);
	b[TXR_CHAIN] = v->chain;
	b[TXR_KIND] = v->kind;
	b[TXR_N_XFERS] = (uint8_t)v->n_transfers;
	spod_put_le32(b + TXR_FLAGS, v->flags);
	spod_put_le64(b + TXR_CHAIN_ID, v->chain_id);
	spod_put_le32(b + TXR_SIGNED_OFF, fixed);
	spod_put_le32(b + TXR_SIGNED_LEN, v->signed_len);
	*out_len = SPOD_HDR_BYTES + fixed + v->signed_len;
}

/* One transfer entry: a known asset, lengths within 32 and zero padding after them. */
static int xfer_ok(const uint8_t *e)
{
	uint8_t tl = e[XFER_TOKEN_LEN], dl = e[XFER_TO_LEN];

	if (e[XFER_ASSET] != 1 && e[XFER_ASSET] != 2)
		return 0;
	if (tl > SPOD_TX_ADDR_MAX_BYTES || dl > SPOD_TX_ADDR_MAX_BYTES)
		return 0;
	return spod_all_zero(e + XFER_TOKEN + tl, SPOD_TX_ADDR_MAX_BYTES - tl) &&
	       spod_all_zero(e + XFER_TO + dl, SPOD_TX_ADDR_MAX_BYTES - dl);
}

int spod_wire_sign_tx_resp(struct spod_sign_tx_view *v, const struct spod_frame *f)
{
	const uint8_t *b = f->body, *signed_tx;
	uint32_t n, fixed, off, len;

	memset(v, 0, sizeof(*v));
	SPOD_TRY(wire_resp_ok(f, SPOD_OP_SIGN_TX));
	if (f->body_len < TXR_FIXED)
		return SPOD_E_BAD_LENGTH;
	n = b[TXR_N_XFERS];
	if (!chain_known(b[TXR_CHAIN]) || b[TXR_KIND] == 0 || n > SPOD_TX_XFER_MAX ||
	    b[TXR_RESERVED1] != 0 || !spod_all_zero(b + TXR_RESERVED2, 8))
		return SPOD_E_BAD_FIELD;
	fixed = TXR_FIXED + n * XFER_BYTES;
	if (fixed > f->body_len)
		return SPOD_E_BAD_LENGTH;
	for (uint32_t i = 0; i < n; i++)
		if (!xfer_ok(b + TXR_FIXED + i * XFER_BYTES))
			return SPOD_E_BAD_FIELD;
	off = spod_le32(b + TXR_SIGNED_OFF);
	len = spod_le32(b + TXR_SIGNED_LEN);
	/* The signed transaction follows the transfers and ends the body. */
	if (off != fixed || len == 0)
		return SPOD_E_BAD_REF;
	SPOD_TRY(wire_ref(&signed_tx, b, f->body_len, fixed, off, len, SPOD_TX_SIGNED_MAX_BYTES));
	if (len != f->body_len - off)
		return SPOD_E_BAD_LENGTH;
	v->chain = b[TXR_CHAIN];
	v->kind = b[TXR_KIND];
	v->flags = spod_le32(b + TXR_FLAGS);
	v->chain_id = spod_le64(b + TXR_CHAIN_ID);
	v->n_transfers = n;
	v->xfers = n > 0 ? b + TXR_FIXED : NULL;
	v->signed_tx = signed_tx;
	v->signed_len = len;
	return SPOD_OK;
}

void spod_wire_sign_tx_xfer(struct spod_tx_xfer *out, const struct spod_sign_tx_view *v, uint32_t i)
{
	const uint8_t *e = v->xfers + (size_t)i * XFER_BYTES;

	/* Already validated by spod_wire_sign_tx_resp: decode without re-checking. */
	out->asset = e[XFER_ASSET];
	out->decimals = e[XFER_DECIMALS];
	out->token_len = e[XFER_TOKEN_LEN];
	out->token = out->token_len > 0 ? e + XFER_TOKEN : NULL;
	out->to_len = e[XFER_TO_LEN];
	out->to = out->to_len > 0 ? e + XFER_TO : NULL;
	out->amount = e + XFER_AMOUNT;
}
