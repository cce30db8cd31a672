/* The signing answers of the HTTP API as JSON (tx_json.h). */
#include "host/http/tx_json.h"

#include <stdlib.h>

#include "common/b64.h"
#include "common/hex.h"
#include "convert/tx_text.h"
#include "txn/summary.h"

/* An address, or null when the transaction does not name it. */
static json_t *addr_value(uint8_t chain, const uint8_t *addr, size_t len)
{
	char text[SPOD_TX_ADDR_TEXT_BYTES];

	if (len == 0)
		return json_null();
	if (spod_tx_addr_text(text, chain, addr, len) < 0)
		return NULL;
	return json_string(text);
}

static json_t *transfer_object(uint8_t chain, const struct spod_tx_transfer_info *t)
{
	char amount[SPOD_TX_AMOUNT_TEXT_BYTES];
	json_t *token = addr_value(chain, t->token, t->token_len);
	json_t *to = addr_value(chain, t->to, t->to_len);
	json_t *o;

	if (token == NULL || to == NULL) {
		json_decref(token);
		json_decref(to);
		return NULL;
	}
	spod_tx_amount_text(amount, t->amount);
	o = json_pack("{s:s,s:o,s:o,s:s}", "asset", t->asset == 1 ? "native" : "token", "token",
	              token, "to", to, "amount", amount);
	if (o != NULL && t->decimals != 0xff &&
	    json_object_set_new(o, "decimals", json_integer(t->decimals)) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *summary_object(const struct spod_tx_info *info)
{
	json_t *flags = json_array(), *transfers = json_array(), *s;
	int bad = flags == NULL || transfers == NULL;

	for (unsigned b = 0; b < 4 && !bad; b++)
		if (info->flags & (1u << b))
			bad = json_array_append_new(flags, json_string(spod_tx_flag_names[b])) < 0;
	for (size_t i = 0; i < info->n_transfers && !bad; i++)
		bad = json_array_append_new(transfers,
		                            transfer_object(info->chain, &info->transfers[i])) < 0;
	if (bad) {
		json_decref(flags);
		json_decref(transfers);
		return NULL;
	}
	s = json_pack("{s:s,s:i,s:o,s:o}", "type", spod_tx_type_name(info->kind), "kind",
	              (int)info->kind, "flags", flags, "transfers", transfers);
	if (s != NULL && info->chain == SPOD_TX_CHAIN_ETHEREUM &&
	    json_object_set_new(s, "chain_id", json_integer((json_int_t)info->chain_id)) < 0) {
		json_decref(s);
		return NULL;
	}
	return s;
}

json_t *spod_http_tx_object(const uint8_t key_id[SPOD_KEY_ID_BYTES],
                            const struct spod_tx_info *info, const uint8_t *signed_tx, size_t len)
{
	size_t cap = 2 * len + 3;
	char id[2 * SPOD_KEY_ID_BYTES + 1], *text;
	json_t *summary, *o = NULL;
	int rc;

	/* Chain ids above 2^63 - 1 do not fit a JSON integer here. */
	if (info->chain_id > INT64_MAX)
		return NULL;
	if (spod_b64_len(len) + 1 > cap)
		cap = spod_b64_len(len) + 1;
	text = malloc(cap);
	if (text == NULL)
		return NULL;
	if (info->chain == SPOD_TX_CHAIN_ETHEREUM) {
		text[0] = '0';
		text[1] = 'x';
		rc = spod_hex_encode(text + 2, cap - 2, signed_tx, len);
	} else {
		rc = spod_b64_encode(text, cap, signed_tx, len);
	}
	summary = rc == SPOD_OK ? summary_object(info) : NULL;
	if (summary != NULL) {
		spod_key_id_text(id, key_id);
		o = json_pack("{s:s,s:s,s:s,s:o}", "key_id", id, "chain",
		              info->chain == SPOD_TX_CHAIN_ETHEREUM ? "ethereum" : "solana",
		              "signed_tx", text, "summary", summary);
	}
	free(text);
	return o;
}

json_t *spod_http_eth_sig_object(const uint8_t key_id[SPOD_KEY_ID_BYTES],
                                 const struct spod_tx_info *info, const uint8_t *sig, size_t len)
{
	char id[2 * SPOD_KEY_ID_BYTES + 1], all[2 + 2 * 65 + 1], r[2 + 64 + 1], s[2 + 64 + 1];
	int typed = info->kind == SPOD_TX_ETH_EIP712;
	json_t *o;

	if (len != 65 || (info->kind != SPOD_TX_ETH_EIP191 && !typed))
		return NULL;
	spod_key_id_text(id, key_id);
	all[0] = r[0] = s[0] = '0';
	all[1] = r[1] = s[1] = 'x';
	if (spod_hex_encode(all + 2, sizeof(all) - 2, sig, 65) < 0 ||
	    spod_hex_encode(r + 2, sizeof(r) - 2, sig, 32) < 0 ||
	    spod_hex_encode(s + 2, sizeof(s) - 2, sig + 32, 32) < 0)
		return NULL;
	o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:i}", "key_id", id, "type",
	              typed ? "eip712" : "eip191", "signature", all, "r", r, "s", s, "v",
	              (int)sig[64]);
	if (o != NULL && typed &&
	    json_object_set_new(o, "chain_id", json_integer((json_int_t)info->chain_id)) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *spod_http_auth_object(const uint8_t key_id[SPOD_KEY_ID_BYTES],
                              const struct spod_http_sign_auth *in, const uint8_t *sig, size_t len)
{
	char id[2 * SPOD_KEY_ID_BYTES + 1], r[2 + 64 + 1], s[2 + 64 + 1];

	/* The parser keeps both at most 2^63 - 1, so they are JSON integers here. */
	if (len != 65 || sig[64] > 1 || in->chain_id > INT64_MAX || in->nonce > INT64_MAX)
		return NULL;
	spod_key_id_text(id, key_id);
	r[0] = s[0] = '0';
	r[1] = s[1] = 'x';
	if (spod_hex_encode(r + 2, sizeof(r) - 2, sig, 32) < 0 ||
	    spod_hex_encode(s + 2, sizeof(s) - 2, sig + 32, 32) < 0)
		return NULL;
	return json_pack("{s:s,s:I,s:s,s:I,s:i,s:s,s:s}", "key_id", id, "chain_id",
	                 (json_int_t)in->chain_id, "address", in->address_text, "nonce",
	                 (json_int_t)in->nonce, "y_parity", (int)sig[64], "r", r, "s", s);
}
