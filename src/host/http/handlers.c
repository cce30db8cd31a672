/* The token routes: parse, carry out over libspod, render as JSON (handlers.h). */
#include "host/http/handlers.h"

#include <stdlib.h>
#include <string.h>

#include "common/hex.h"
#include "common/b64.h"
#include "host/http/seal_json.h"
#include "host/http/tx_json.h"
#include "spod/err.h"

#define SIG_HALF_BYTES (SPOD_SIG_MAX_BYTES / 2)
#define ETH_V_BASE     27 /* Ethereum's v = 27 + recid */

int spod_http_call_parse(struct spod_http_call *call, struct spod_http_perr *err, const char *body,
                         size_t len)
{
	err->code = NULL;
	err->msg[0] = '\0';
	call->err[0] = '\0';
	switch (call->route) {
	case SPOD_HTTP_ROUTE_KEYS_CREATE:
		return spod_http_json_generate(&call->in.generate, err, body, len);
	case SPOD_HTTP_ROUTE_KEY_SIGN:
		return spod_http_json_sign(&call->in.sign, err, body, len);
	case SPOD_HTTP_ROUTE_KEY_SIGN_TX:
		return spod_http_json_sign_tx(&call->in.sign_tx, err, body, len);
	case SPOD_HTTP_ROUTE_KEY_SIGN_MSG:
		return spod_http_json_sign_message(&call->in.sign_tx, err, body, len);
	case SPOD_HTTP_ROUTE_KEY_SIGN_TYPED:
		return spod_http_json_sign_typed(&call->in.sign_tx, err, body, len);
	case SPOD_HTTP_ROUTE_KEY_SIGN_AUTH:
		return spod_http_json_sign_auth(&call->in.auth, err, body, len);
	case SPOD_HTTP_ROUTE_W3S_SIGN:
		return spod_w3s_sign_parse(&call->in.sign, err, body, len);
	case SPOD_HTTP_ROUTE_SIGN_BATCH:
		return spod_http_json_batch(&call->in.batch, err, body, len);
	case SPOD_HTTP_ROUTE_ATTEST:
		return spod_http_json_attest(&call->in.attest, err, body, len);
	case SPOD_HTTP_ROUTE_KEYS_IMPORT:
	case SPOD_HTTP_ROUTE_CUSTODIAN_SHARES:
		return spod_http_json_envelope(&call->in.envelope, err, body, len);
	case SPOD_HTTP_ROUTE_POLICY_PUT:
	case SPOD_HTTP_ROUTE_POLICY_DELETE:
		return spod_http_json_policy_set(&call->in.policy, err, body, len,
		                                 call->route == SPOD_HTTP_ROUTE_POLICY_DELETE);
	case SPOD_HTTP_ROUTE_SOL_SIGN_TX:
		return spod_http_json_sol_tx(&call->in.sol_tx, err, body, len);
	case SPOD_HTTP_ROUTE_SOL_SIGN_MSG:
		return spod_http_json_sol_msg(&call->in.sol_msg, err, body, len);
	case SPOD_HTTP_ROUTE_ETH_RPC:
		spod_http_eth_parse(&call->in.eth, body, len);
		return SPOD_OK;
	default:
		return SPOD_OK;
	}
}

static int exec_batch(struct spod_http_call *call, struct spod_client *c)
{
	const struct spod_http_batch *in = &call->in.batch;

	for (size_t i = 0; i < in->count; i++) {
		const struct spod_http_batch_item *it = &in->items[i];

		call->out.batch.items[i] = (struct spod_sign_item){
		    .key_id = it->key_id,
		    .mode = it->mode,
		    .data = in->data + it->data_off,
		    .data_len = it->data_len,
		};
	}
	return spod_client_sign_batch(c, call->out.batch.sigs, call->out.batch.status,
	                              call->out.batch.items, in->count);
}

/* sign.tx of a transaction, or of a message, typed data or authorization (its form). */
static int exec_sign_tx(struct spod_http_call *call, struct spod_client *c,
                        const struct spod_http_sign_tx *in)
{
	return spod_client_sign_tx_form(c, &call->out.tx.info, call->out.tx.signed_tx,
	                                sizeof(call->out.tx.signed_tx), &call->out.tx.len,
	                                call->key_id, in->chain, in->form, in->tx, in->tx_len);
}

int spod_http_call_exec(struct spod_http_call *call, struct spod_client *c)
{
	const struct spod_http_generate *gen = &call->in.generate;
	const struct spod_http_attest *att = &call->in.attest;
	const struct spod_http_envelope *env = &call->in.envelope;

	switch (call->route) {
	case SPOD_HTTP_ROUTE_KEYS_CREATE:
		return spod_client_generate_label(c, &call->out.key, gen->alg,
		                                  gen->label_len > 0 ? gen->label : NULL);
	case SPOD_HTTP_ROUTE_KEYS_LIST:
		call->out.list.n = 0;
		call->out.list.next_cursor = call->list.cursor;
		return spod_client_list(c, call->out.list.keys, call->list.limit, &call->out.list.n,
		                        &call->out.list.next_cursor);
	case SPOD_HTTP_ROUTE_KEY_GET:
		return spod_client_public(c, &call->out.key, call->key_id);
	case SPOD_HTTP_ROUTE_KEY_DELETE:
		return spod_client_delete(c, call->key_id);
	case SPOD_HTTP_ROUTE_KEY_SIGN:
		return spod_client_sign(c, &call->out.sig, call->key_id, call->in.sign.mode,
		                        call->in.sign.data, call->in.sign.data_len);
	case SPOD_HTTP_ROUTE_KEY_SIGN_TX:
	case SPOD_HTTP_ROUTE_KEY_SIGN_MSG:
	case SPOD_HTTP_ROUTE_KEY_SIGN_TYPED:
		return exec_sign_tx(call, c, &call->in.sign_tx);
	case SPOD_HTTP_ROUTE_KEY_SIGN_AUTH:
		return exec_sign_tx(call, c, &call->in.auth.tx);
	case SPOD_HTTP_ROUTE_SIGN_BATCH:
		return exec_batch(call, c);
	case SPOD_HTTP_ROUTE_ATTEST:
		return spod_client_attest(c, call->out.doc.doc, sizeof(call->out.doc.doc),
		                          &call->out.doc.len, att->has_key_id ? att->key_id : NULL,
		                          att->nonce, att->nonce_len);
	case SPOD_HTTP_ROUTE_KEYS_IMPORT:
		return spod_client_import(c, &call->out.key, env->data, env->len);
	case SPOD_HTTP_ROUTE_CUSTODIAN_SHARES:
		return spod_client_custodian_share(c, &call->out.seal, env->data, env->len);
	case SPOD_HTTP_ROUTE_CUSTODIAN_STATUS:
		return spod_client_seal_status(c, &call->out.seal);
	case SPOD_HTTP_ROUTE_POLICY_PUT:
	case SPOD_HTTP_ROUTE_POLICY_DELETE:
		return spod_client_policy_set(
		    c, call->key_id, call->in.policy.policy_len > 0 ? call->in.policy.policy : NULL,
		    call->in.policy.policy_len,
		    call->in.policy.n_approvals > 0 ? call->in.policy.approvals : NULL,
		    call->in.policy.n_approvals);
	case SPOD_HTTP_ROUTE_POLICY_GET:
		return spod_client_policy_get(c, &call->out.policy.info, call->out.policy.cbor,
		                              sizeof(call->out.policy.cbor), call->key_id);
	case SPOD_HTTP_ROUTE_W3S_PUBLIC_KEYS:
		return spod_w3s_exec_public_keys(&call->out.w3s, c);
	case SPOD_HTTP_ROUTE_W3S_SIGN:
		return spod_w3s_exec_sign(&call->out.w3s, c, &call->w3s_id, &call->in.sign);
	case SPOD_HTTP_ROUTE_SOL_SIGN_TX:
		return spod_http_sol_tx_exec(call, c);
	case SPOD_HTTP_ROUTE_SOL_SIGN_MSG:
		return spod_http_sol_msg_exec(call, c);
	case SPOD_HTTP_ROUTE_ETH_RPC: /* the key list's page is its scratch */
		return spod_http_eth_exec(&call->in.eth, c, call->out.list.keys);
	default:
		return SPOD_E_INTERNAL;
	}
}

/*
 * {"id", "alg", "public_key", "label"} of a key (label null when it has none; and
 * "solana_address" for an Ed25519 key), or NULL
 * (unknown algorithm, no memory).
 */
static json_t *key_object(const struct spod_key_info *k)
{
	char id[2 * SPOD_KEY_ID_BYTES + 1], pub[2 * SPOD_PUB_MAX_BYTES + 1];
	char addr[SPOD_HTTP_SOL_ADDR_TEXT_BYTES];
	const char *alg = spod_alg_name(k->alg);
	json_t *o;

	if (alg == NULL || k->pub_len > SPOD_PUB_MAX_BYTES ||
	    (k->alg == SPOD_ALG_ED25519 && k->pub_len != SPOD_SOL_PUBKEY_BYTES))
		return NULL;
	spod_key_id_text(id, k->id);
	if (spod_hex_encode(pub, sizeof(pub), k->pub, k->pub_len) < 0)
		return NULL;
	o = json_pack("{s:s,s:s,s:s,s:o}", "id", id, "alg", alg, "public_key", pub, "label",
	              k->label[0] != '\0' ? json_string(k->label) : json_null());
	/* An Ed25519 key is a Solana account: its address is base58 of the public key. */
	if (o != NULL && k->alg == SPOD_ALG_ED25519 &&
	    (spod_http_sol_address(addr, k->pub) < 0 ||
	     json_object_set_new(o, "solana_address", json_string(addr)) < 0)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/*
 * A signature as the API returns it: key_id, alg, signature; r and s for ECDSA; recid and
 * v for secp256k1. NULL when the pod's answer does not have that shape, or without memory.
 */
static json_t *sig_object(const uint8_t key_id[SPOD_KEY_ID_BYTES], const struct spod_signature *s)
{
	char id[2 * SPOD_KEY_ID_BYTES + 1], sig[2 * SPOD_SIG_MAX_BYTES + 1];
	char r_hex[2 * SIG_HALF_BYTES + 1], s_hex[2 * SIG_HALF_BYTES + 1];
	const char *alg = spod_alg_name(s->alg);

	if (alg == NULL || s->sig_len != SPOD_SIG_MAX_BYTES)
		return NULL;
	spod_key_id_text(id, key_id);
	if (spod_hex_encode(sig, sizeof(sig), s->sig, s->sig_len) < 0 ||
	    spod_hex_encode(r_hex, sizeof(r_hex), s->sig, SIG_HALF_BYTES) < 0 ||
	    spod_hex_encode(s_hex, sizeof(s_hex), s->sig + SIG_HALF_BYTES, SIG_HALF_BYTES) < 0)
		return NULL;
	switch (s->alg) {
	case SPOD_ALG_ED25519:
		return json_pack("{s:s,s:s,s:s}", "key_id", id, "alg", alg, "signature", sig);
	case SPOD_ALG_P256:
		return json_pack("{s:s,s:s,s:s,s:s,s:s}", "key_id", id, "alg", alg, "signature",
		                 sig, "r", r_hex, "s", s_hex);
	case SPOD_ALG_SECP256K1:
		if (s->recid > 1)
			return NULL;
		return json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:i}", "key_id", id, "alg", alg,
		                 "signature", sig, "r", r_hex, "s", s_hex, "recid", (int)s->recid,
		                 "v", ETH_V_BASE + (int)s->recid);
	default:
		return NULL;
	}
}

/* Renders the pod's answer to a protocol error when it could not be turned into JSON. */
static void reply_object(struct spod_http_reply *r, unsigned status, json_t *obj)
{
	if (obj == NULL) {
		spod_http_reply_failure(r, SPOD_E_PROTOCOL,
		                        "the pod's answer could not be rendered");
		return;
	}
	spod_http_reply_json(r, status, obj);
}

static void reply_list(struct spod_http_reply *r, const struct spod_http_call *call)
{
	json_t *keys = json_array(), *obj;
	int bad = keys == NULL;

	for (size_t i = 0; i < call->out.list.n && !bad; i++)
		bad = json_array_append_new(keys, key_object(&call->out.list.keys[i])) < 0;
	if (bad) {
		json_decref(keys);
		reply_object(r, 200, NULL);
		return;
	}
	obj = json_pack("{s:o,s:o}", "keys", keys, "next_cursor",
	                call->out.list.next_cursor != 0
	                    ? json_integer((json_int_t)call->out.list.next_cursor)
	                    : json_null());
	reply_object(r, 200, obj);
}

static void reply_batch(struct spod_http_reply *r, const struct spod_http_call *call)
{
	const struct spod_http_batch *in = &call->in.batch;
	json_t *results = json_array();
	int bad = results == NULL;

	for (size_t i = 0; i < in->count && !bad; i++) {
		int st = call->out.batch.status[i];
		json_t *item;

		if (st == SPOD_OK)
			item = sig_object(in->items[i].key_id, &call->out.batch.sigs[i]);
		else
			item = json_pack("{s:{s:s,s:s}}", "error", "code", spod_err_name(st),
			                 "message", spod_strerror(st));
		bad = json_array_append_new(results, item) < 0;
	}
	if (bad) {
		json_decref(results);
		reply_object(r, 200, NULL);
		return;
	}
	reply_object(r, 200, json_pack("{s:o}", "results", results));
}

static void reply_doc(struct spod_http_reply *r, const struct spod_http_call *call)
{
	size_t cap = spod_b64_len(call->out.doc.len) + 1;
	char *text = malloc(cap);
	json_t *obj = NULL;

	if (text != NULL &&
	    spod_b64_encode(text, cap, call->out.doc.doc, call->out.doc.len) == SPOD_OK)
		obj = json_pack("{s:s}", "document", text);
	free(text);
	if (obj == NULL) {
		spod_http_reply_failure(r, SPOD_E_NOMEM, NULL);
		return;
	}
	spod_http_reply_json(r, 200, obj);
}

void spod_http_call_reply(struct spod_http_reply *r, struct spod_http_call *call)
{
	switch (call->route) {
	case SPOD_HTTP_ROUTE_KEYS_CREATE:
	case SPOD_HTTP_ROUTE_KEYS_IMPORT:
		reply_object(r, 201, key_object(&call->out.key));
		return;
	case SPOD_HTTP_ROUTE_KEYS_LIST:
		reply_list(r, call);
		return;
	case SPOD_HTTP_ROUTE_KEY_GET:
		reply_object(r, 200, key_object(&call->out.key));
		return;
	case SPOD_HTTP_ROUTE_KEY_DELETE:
		spod_http_reply_free(r);
		r->status = 204;
		return;
	case SPOD_HTTP_ROUTE_KEY_SIGN:
		reply_object(r, 200, sig_object(call->key_id, &call->out.sig));
		return;
	case SPOD_HTTP_ROUTE_KEY_SIGN_TX:
		reply_object(r, 200,
		             spod_http_tx_object(call->key_id, &call->out.tx.info,
		                                 call->out.tx.signed_tx, call->out.tx.len));
		return;
	case SPOD_HTTP_ROUTE_KEY_SIGN_MSG:
	case SPOD_HTTP_ROUTE_KEY_SIGN_TYPED:
		reply_object(r, 200,
		             spod_http_eth_sig_object(call->key_id, &call->out.tx.info,
		                                      call->out.tx.signed_tx, call->out.tx.len));
		return;
	case SPOD_HTTP_ROUTE_KEY_SIGN_AUTH:
		reply_object(r, 200,
		             spod_http_auth_object(call->key_id, &call->in.auth,
		                                   call->out.tx.signed_tx, call->out.tx.len));
		return;
	case SPOD_HTTP_ROUTE_SIGN_BATCH:
		reply_batch(r, call);
		return;
	case SPOD_HTTP_ROUTE_ATTEST:
		reply_doc(r, call);
		return;
	case SPOD_HTTP_ROUTE_CUSTODIAN_SHARES:
	case SPOD_HTTP_ROUTE_CUSTODIAN_STATUS:
		spod_http_reply_json(r, 200, spod_http_seal_object(&call->out.seal));
		return;
	case SPOD_HTTP_ROUTE_POLICY_PUT:
	case SPOD_HTTP_ROUTE_POLICY_DELETE:
		reply_object(r, 200, spod_http_policy_set_object(call->key_id, &call->in.policy));
		return;
	case SPOD_HTTP_ROUTE_POLICY_GET:
		reply_object(r, 200,
		             spod_http_policy_object(call->key_id, &call->out.policy.info,
		                                     call->out.policy.cbor));
		return;
	case SPOD_HTTP_ROUTE_W3S_PUBLIC_KEYS:
		spod_w3s_reply_public_keys(r, &call->out.w3s);
		return;
	case SPOD_HTTP_ROUTE_W3S_SIGN:
		spod_w3s_reply_sign(r, &call->out.w3s.sig);
		return;
	case SPOD_HTTP_ROUTE_SOL_SIGN_TX:
		reply_object(r, 200, spod_http_sol_tx_object(&call->out.sol));
		return;
	case SPOD_HTTP_ROUTE_SOL_SIGN_MSG:
		reply_object(r, 200, spod_http_sol_msg_object(&call->out.sol));
		return;
	case SPOD_HTTP_ROUTE_ETH_RPC:
		spod_http_eth_reply(r, &call->in.eth);
		return;
	default:
		spod_http_reply_failure(r, SPOD_E_INTERNAL, NULL);
		return;
	}
}
