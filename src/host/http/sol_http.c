/* The Solana routes' bodies, signer choice and answers (sol_http.h). */
#include "host/http/sol_http.h"

#include <stdlib.h>
#include <string.h>

#include "common/b64.h"
#include "convert/base58.h"
#include "host/http/json_req_int.h"
#include "host/http/tx_json.h"
#include "spod/err.h"

int spod_http_sol_address(char out[SPOD_HTTP_SOL_ADDR_TEXT_BYTES],
                          const uint8_t pub[SPOD_SOL_PUBKEY_BYTES])
{
	return spod_base58_encode(out, SPOD_HTTP_SOL_ADDR_TEXT_BYTES, pub, SPOD_SOL_PUBKEY_BYTES);
}

/* A base64 field into out[0..cap), at least one byte; what is over cap is TOO_LARGE. */
static int b64_field(uint8_t *out, size_t cap, size_t *n, const json_t *v, const char *field,
                     struct spod_http_perr *err)
{
	int rc;

	*n = 0;
	if (v == NULL)
		return spod_http_refuse(err, SPOD_E_BAD_ARG, "%s: required", field);
	if (!json_is_string(v))
		return spod_http_refuse(err, SPOD_E_BAD_ARG, "%s: must be a string", field);
	rc = spod_b64_decode(out, cap, n, json_string_value(v), json_string_length(v));
	if (rc == SPOD_E_TOO_LARGE)
		return spod_http_refuse(err, rc, "%s: more than %zu bytes", field, cap);
	if (rc < 0)
		return spod_http_refuse(err, SPOD_E_BAD_ARG, "%s: not valid base64", field);
	if (*n == 0)
		return spod_http_refuse(err, SPOD_E_BAD_ARG, "%s: empty", field);
	return SPOD_OK;
}

/* An optional "key_id" field: 32 hex digits. */
static int key_id_field(int *has, uint8_t id[SPOD_KEY_ID_BYTES], const json_t *v,
                        struct spod_http_perr *err)
{
	*has = 0;
	if (v == NULL)
		return SPOD_OK;
	if (!json_is_string(v) ||
	    spod_http_key_id_parse(id, json_string_value(v), json_string_length(v)) < 0)
		return spod_http_refuse(err, SPOD_E_BAD_ARG, "key_id: must be %u hex digits",
		                        2 * SPOD_KEY_ID_BYTES);
	*has = 1;
	return SPOD_OK;
}

/* The message of tx, validated: signer_slot checks its structure (BAD_ARG: valid, no match). */
static int split_tx(struct spod_http_sol_tx *out, struct spod_http_perr *err)
{
	static const uint8_t nobody[SPOD_SOL_PUBKEY_BYTES];
	size_t n_sigs, slot;
	int rc;

	rc = spod_txn_sol_split(out->tx, out->tx_len, &out->sigs_off, &n_sigs, &out->msg_off,
	                        &out->msg_len);
	if (rc == SPOD_OK) {
		rc = spod_txn_sol_signer_slot(out->tx + out->msg_off, out->msg_len, nobody, &slot);
		if (rc == SPOD_E_BAD_ARG)
			rc = SPOD_OK;
	}
	if (rc < 0)
		return spod_http_refuse(err, SPOD_E_BAD_ARG,
		                        "transaction: not a Solana transaction with signature "
		                        "slots (%s)",
		                        spod_strerror(rc));
	return SPOD_OK;
}

int spod_http_json_sol_tx(struct spod_http_sol_tx *out, struct spod_http_perr *err,
                          const char *body, size_t len)
{
	const json_t *tx = NULL, *key_id = NULL;
	const struct spod_http_place at = {"", "body"};
	const struct spod_http_field fields[] = {{"transaction", &tx}, {"key_id", &key_id}};
	json_t *root;
	int rc;

	out->has_key_id = 0;
	out->tx_len = out->sigs_off = out->msg_off = out->msg_len = 0;
	SPOD_TRY(spod_http_json_load(&root, err, body, len));
	rc = spod_http_json_take(root, fields, 2, &at, err);
	if (rc == SPOD_OK)
		rc = key_id_field(&out->has_key_id, out->key_id, key_id, err);
	if (rc == SPOD_OK)
		rc = b64_field(out->tx, sizeof(out->tx), &out->tx_len, tx, "transaction", err);
	if (rc == SPOD_OK)
		rc = split_tx(out, err);
	json_decref(root);
	if (rc < 0) {
		out->has_key_id = 0;
		out->tx_len = out->sigs_off = out->msg_off = out->msg_len = 0;
	}
	return rc;
}

int spod_http_sol_is_tx(const uint8_t *bytes, size_t len)
{
	static const uint8_t nobody[SPOD_SOL_PUBKEY_BYTES];
	size_t slot, sigs_off, n_sigs, msg_off, msg_len;
	int rc = spod_txn_sol_signer_slot(bytes, len, nobody, &slot);

	/* SPOD_E_BAD_ARG: the message is valid, the all-zero key just does not sign it. */
	if (rc == SPOD_OK || rc == SPOD_E_BAD_ARG)
		return 1;
	if (spod_txn_sol_split(bytes, len, &sigs_off, &n_sigs, &msg_off, &msg_len) < 0)
		return 0;
	rc = spod_txn_sol_signer_slot(bytes + msg_off, msg_len, nobody, &slot);
	return rc == SPOD_OK || rc == SPOD_E_BAD_ARG;
}

static int msg_fields(struct spod_http_sol_msg *out, const json_t *message, const json_t *key_id,
                      const json_t *address, struct spod_http_perr *err)
{
	SPOD_TRY(key_id_field(&out->has_key_id, out->key_id, key_id, err));
	if (address != NULL) {
		if (!json_is_string(address) ||
		    spod_base58_decode(out->address, sizeof(out->address),
		                       json_string_value(address), json_string_length(address)) < 0)
			return spod_http_refuse(err, SPOD_E_BAD_ARG,
			                        "address: must be base58 of 32 bytes");
		out->has_address = 1;
	}
	if (out->has_key_id == out->has_address)
		return spod_http_refuse(err, SPOD_E_BAD_ARG,
		                        "key_id or address: exactly one is required");
	SPOD_TRY(b64_field(out->msg, sizeof(out->msg), &out->len, message, "message", err));
	if (spod_http_sol_is_tx(out->msg, out->len))
		return spod_http_refuse(err, SPOD_E_BAD_ARG,
		                        "message: looks like a transaction: use "
		                        "/v1/solana/sign-transaction");
	return SPOD_OK;
}

int spod_http_json_sol_msg(struct spod_http_sol_msg *out, struct spod_http_perr *err,
                           const char *body, size_t len)
{
	const json_t *message = NULL, *key_id = NULL, *address = NULL;
	const struct spod_http_place at = {"", "body"};
	const struct spod_http_field fields[] = {
	    {"message", &message}, {"key_id", &key_id}, {"address", &address}};
	json_t *root;
	int rc;

	out->has_key_id = out->has_address = 0;
	out->len = 0;
	SPOD_TRY(spod_http_json_load(&root, err, body, len));
	rc = spod_http_json_take(root, fields, 3, &at, err);
	if (rc == SPOD_OK)
		rc = msg_fields(out, message, key_id, address, err);
	json_decref(root);
	if (rc < 0) {
		out->has_key_id = out->has_address = 0;
		out->len = 0;
	}
	return rc;
}

void spod_http_sol_pick_add(struct spod_http_sol_pick *p, const uint8_t *msg, size_t msg_len,
                            const struct spod_key_info *keys, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t slot;

		if (keys[i].alg != SPOD_ALG_ED25519 || keys[i].pub_len != SPOD_SOL_PUBKEY_BYTES ||
		    spod_txn_sol_signer_slot(msg, msg_len, keys[i].pub, &slot) != SPOD_OK)
			continue;
		if (p->found < 2)
			p->key[p->found] = keys[i];
		p->found++;
	}
}

/* "signer", "signature" and "key_id" of an answer into o; -1 when that fails. */
static int add_common(json_t *o, const struct spod_http_sol_out *out)
{
	char addr[SPOD_HTTP_SOL_ADDR_TEXT_BYTES], sig[SPOD_HTTP_SOL_SIG_TEXT_BYTES];
	char id[2 * SPOD_KEY_ID_BYTES + 1];

	if (o == NULL || spod_http_sol_address(addr, out->signer) < 0 ||
	    spod_base58_encode(sig, sizeof(sig), out->sig, sizeof(out->sig)) < 0)
		return -1;
	spod_key_id_text(id, out->key_id);
	if (json_object_set_new(o, "signer", json_string(addr)) < 0 ||
	    json_object_set_new(o, "signature", json_string(sig)) < 0 ||
	    json_object_set_new(o, "key_id", json_string(id)) < 0)
		return -1;
	return 0;
}

json_t *spod_http_sol_tx_object(const struct spod_http_sol_out *out)
{
	/* The summary as POST /v1/keys/{id}/sign-transaction shows it, and the same base64. */
	json_t *full = spod_http_tx_object(out->key_id, &out->info, out->signed_tx, out->len);
	json_t *o = NULL, *tx, *summary;

	tx = full != NULL ? json_object_get(full, "signed_tx") : NULL;
	summary = full != NULL ? json_object_get(full, "summary") : NULL;
	if (tx != NULL && summary != NULL)
		o = json_pack("{s:O,s:O}", "transaction", tx, "summary", summary);
	json_decref(full);
	if (add_common(o, out) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *spod_http_sol_msg_object(const struct spod_http_sol_out *out)
{
	json_t *o = json_object();

	if (add_common(o, out) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}
