/* Ethereum JSON-RPC: requests, batches and the signing methods (eth_rpc.h). */
#include "host/http/eth_rpc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hex.h"
#include "convert/typed_data_json.h"
#include "crypto/sign.h"
#include "host/http/eth_rpc_int.h"
#include "host/http/eth_tx_json.h"
#include "host/http/policy_http.h"
#include "spod/err.h"

#define ETH_V_BASE   27u
#define ETH_SIG_LEN  65u
#define RULE_BYTES   64u
#define REASON_BYTES 160u

json_t *spod_eth_rpc_fail(struct spod_eth_rpc_err *e, int code, const char *fmt, const char *arg)
{
	e->code = code;
	snprintf(e->msg, sizeof(e->msg), fmt, arg != NULL ? arg : "");
	return NULL;
}

int spod_eth_rpc_is_fatal(int rc)
{
	return rc == SPOD_E_CLOSED || rc == SPOD_E_IO || rc == SPOD_E_TIMEOUT ||
	       rc == SPOD_E_PROTOCOL || rc == SPOD_E_UNAUTHENTICATED || rc == SPOD_E_RATE_LIMITED ||
	       rc == SPOD_E_UNAVAILABLE || rc == SPOD_E_BUSY || rc == SPOD_E_NOMEM;
}

json_t *spod_eth_rpc_pod_fail(struct spod_eth_rpc *rpc, struct spod_eth_rpc_err *e, int rc)
{
	const char *msg = rpc->ops->last_error != NULL ? rpc->ops->last_error(rpc->ctx) : NULL;
	char rule[RULE_BYTES], reason[REASON_BYTES];

	if (spod_eth_rpc_is_fatal(rc)) {
		rpc->fatal = rc;
		return NULL;
	}
	if (msg == NULL || msg[0] == '\0')
		msg = spod_strerror(rc);
	e->code = SPOD_ETH_RPC_SERVER_ERROR;
	if (rc == SPOD_E_POLICY_DENIED &&
	    spod_http_denial_parse(rule, sizeof(rule), reason, sizeof(reason), msg) == SPOD_OK) {
		snprintf(e->msg, sizeof(e->msg), "denied by rule \"%s\": %s", rule, reason);
		e->data = json_pack("{s:s,s:s,s:s}", "code", spod_err_name(rc), "rule", rule,
		                    "reason", reason);
		return NULL;
	}
	snprintf(e->msg, sizeof(e->msg), "%s", msg);
	e->data = json_pack("{s:s}", "code", spod_err_name(rc));
	return NULL;
}

/* The token's accounts, listed once per body. SPOD_OK, or e is set. */
static int list_accounts(struct spod_eth_rpc *rpc, struct spod_eth_rpc_err *e)
{
	int rc;

	if (rpc->listed)
		return SPOD_OK;
	rc = rpc->ops->accounts(rpc->ctx, rpc->accounts, SPOD_ETH_RPC_MAX_ACCOUNTS,
	                        &rpc->n_accounts);
	if (rc < 0) {
		spod_eth_rpc_pod_fail(rpc, e, rc);
		return rc;
	}
	rpc->listed = 1;
	return SPOD_OK;
}

const uint8_t *spod_eth_rpc_account_key(struct spod_eth_rpc *rpc, struct spod_eth_rpc_err *e,
                                        const json_t *a, const char *field)
{
	uint8_t addr[20];

	if (spod_eth_tx_address(addr, a) < 0) {
		spod_eth_rpc_fail(e, SPOD_ETH_RPC_INVALID_PARAMS,
		                  "%s: not an address (0x and 40 hex digits, EIP-55 if mixed case)",
		                  field);
		return NULL;
	}
	if (list_accounts(rpc, e) < 0)
		return NULL;
	for (size_t i = 0; i < rpc->n_accounts; i++)
		if (memcmp(rpc->accounts[i].addr, addr, sizeof(addr)) == 0)
			return rpc->accounts[i].key_id;
	e->code = SPOD_ETH_RPC_SERVER_ERROR;
	snprintf(e->msg, sizeof(e->msg), "%s: %s is not an account of this token", field,
	         json_string_value(a));
	e->data = json_pack("{s:s}", "code", spod_err_name(SPOD_E_KEY_NOT_FOUND));
	return NULL;
}

json_t *spod_eth_rpc_hex(const uint8_t *p, size_t n)
{
	char *text = malloc(2 * n + 3);
	json_t *v = NULL;

	if (text == NULL)
		return NULL;
	text[0] = '0';
	text[1] = 'x';
	if (spod_hex_encode(text + 2, 2 * n + 1, p, n) == SPOD_OK)
		v = json_string(text);
	free(text);
	return v;
}

/* sign.tx of rpc->in[0..len) with form; the result r||s||v (v 27 or 28) as hex. */
static json_t *sign_sig(struct spod_eth_rpc *rpc, struct spod_eth_rpc_err *e, const uint8_t *key,
                        uint8_t form, size_t len)
{
	size_t out_len = 0;
	int rc =
	    rpc->ops->sign(rpc->ctx, key, form, rpc->in, len, rpc->out, sizeof(rpc->out), &out_len);

	if (rc < 0)
		return spod_eth_rpc_pod_fail(rpc, e, rc);
	if (out_len != ETH_SIG_LEN)
		return spod_eth_rpc_pod_fail(rpc, e, SPOD_E_PROTOCOL);
	if (rpc->out[64] < ETH_V_BASE)
		rpc->out[64] = (uint8_t)(rpc->out[64] + ETH_V_BASE);
	return spod_eth_rpc_hex(rpc->out, ETH_SIG_LEN);
}

/* A personal message: "0x" hex is its bytes; any other string is its UTF-8 text (MetaMask). */
static json_t *personal(struct spod_eth_rpc *rpc, struct spod_eth_rpc_err *e, const json_t *addr,
                        const json_t *data)
{
	const char *s = json_string_value(data);
	size_t len = json_string_length(data), n = 0;
	const uint8_t *key;

	if (!json_is_string(data))
		return spod_eth_rpc_fail(e, SPOD_ETH_RPC_INVALID_PARAMS, "data: not a string%s",
		                         NULL);
	if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && len % 2 == 0 &&
	    (len - 2) / 2 <= sizeof(rpc->in) &&
	    spod_hex_decode_exact(rpc->in, (len - 2) / 2, s + 2, len - 2) == SPOD_OK) {
		n = (len - 2) / 2;
	} else {
		if (len > sizeof(rpc->in))
			return spod_eth_rpc_fail(e, SPOD_ETH_RPC_INVALID_PARAMS, "data: too long%s",
			                         NULL);
		memcpy(rpc->in, s, len);
		n = len;
	}
	if (n == 0)
		return spod_eth_rpc_fail(e, SPOD_ETH_RPC_INVALID_PARAMS, "data: empty%s", NULL);
	if ((key = spod_eth_rpc_account_key(rpc, e, addr, "address")) == NULL)
		return NULL;
	return sign_sig(rpc, e, key, SPOD_TX_FORM_EIP191, n);
}

static json_t *typed(struct spod_eth_rpc *rpc, struct spod_eth_rpc_err *e, const json_t *addr,
                     const json_t *td)
{
	char err[SPOD_TYPED_DATA_JSON_ERR_BYTES];
	char *text = NULL;
	const char *src;
	size_t src_len, n = 0;
	const uint8_t *key;
	int rc;

	if (json_is_object(td)) {
		text = json_dumps(td, JSON_COMPACT);
		if (text == NULL)
			return spod_eth_rpc_pod_fail(rpc, e, SPOD_E_NOMEM);
		src = text;
		src_len = strlen(text);
	} else if (json_is_string(td)) {
		src = json_string_value(td);
		src_len = json_string_length(td);
	} else {
		return spod_eth_rpc_fail(e, SPOD_ETH_RPC_INVALID_PARAMS,
		                         "typedData: not an object or a string%s", NULL);
	}
	err[0] = '\0';
	rc =
	    spod_typed_data_from_json(rpc->in, sizeof(rpc->in), &n, src, src_len, err, sizeof(err));
	free(text);
	if (rc == SPOD_E_NOMEM)
		return spod_eth_rpc_pod_fail(rpc, e, rc);
	if (rc < 0)
		return spod_eth_rpc_fail(e, SPOD_ETH_RPC_INVALID_PARAMS, "typedData: %s",
		                         err[0] != '\0' ? err : spod_strerror(rc));
	if ((key = spod_eth_rpc_account_key(rpc, e, addr, "address")) == NULL)
		return NULL;
	return sign_sig(rpc, e, key, SPOD_TX_FORM_EIP712, n);
}

static json_t *accounts(struct spod_eth_rpc *rpc, struct spod_eth_rpc_err *e)
{
	json_t *list;
	char text[43];

	if (list_accounts(rpc, e) < 0)
		return NULL;
	if ((list = json_array()) == NULL)
		return spod_eth_rpc_pod_fail(rpc, e, SPOD_E_NOMEM);
	for (size_t i = 0; i < rpc->n_accounts; i++) {
		spod_eth_address_text(text, rpc->accounts[i].addr);
		if (json_array_append_new(list, json_string(text)) < 0) {
			json_decref(list);
			return spod_eth_rpc_pod_fail(rpc, e, SPOD_E_NOMEM);
		}
	}
	return list;
}

/* The methods served here; any other goes to the downstream node. */
static const char *const own_methods[] = {
    "health_status",       "eth_accounts",         "eth_sign",
    "personal_sign",       "eth_signTypedData_v4", "eth_signTypedData",
    "eth_signTransaction", "eth_sendTransaction",
};

static int is_own(const char *m)
{
	for (size_t i = 0; i < sizeof(own_methods) / sizeof(own_methods[0]); i++)
		if (strcmp(m, own_methods[i]) == 0)
			return 1;
	return 0;
}

/* Runs one of own_methods with params (an array); NULL with e set on failure. */
static json_t *dispatch(struct spod_eth_rpc *rpc, struct spod_eth_rpc_err *e, const char *m,
                        const json_t *p)
{
	size_t n = json_array_size(p);

	if (strcmp(m, "health_status") == 0)
		return json_string("ok");
	if (strcmp(m, "eth_accounts") == 0)
		return accounts(rpc, e);
	if (strcmp(m, "eth_sign") == 0 || strcmp(m, "personal_sign") == 0) {
		int personal_order = m[0] == 'p'; /* personal_sign(data, address) */

		if (n != 2 && !(personal_order && n == 3)) /* geth's optional password: ignored */
			return spod_eth_rpc_fail(e, SPOD_ETH_RPC_INVALID_PARAMS,
			                         "%s takes 2 params", m);
		return personal(rpc, e, json_array_get(p, personal_order ? 1 : 0),
		                json_array_get(p, personal_order ? 0 : 1));
	}
	if (strcmp(m, "eth_signTypedData_v4") == 0 || strcmp(m, "eth_signTypedData") == 0) {
		if (n != 2)
			return spod_eth_rpc_fail(e, SPOD_ETH_RPC_INVALID_PARAMS,
			                         "%s takes 2 params", m);
		return typed(rpc, e, json_array_get(p, 0), json_array_get(p, 1));
	}
	/* eth_signTransaction, eth_sendTransaction */
	if (m[5] == 'e' && rpc->ops->node == NULL)
		return spod_eth_rpc_fail(e, SPOD_ETH_RPC_METHOD_NOT_FOUND,
		                         "the method %s needs a downstream node (eth-downstream)",
		                         m);
	if (n != 1)
		return spod_eth_rpc_fail(e, SPOD_ETH_RPC_INVALID_PARAMS, "%s takes 1 param", m);
	return spod_eth_rpc_transaction(rpc, e, json_array_get(p, 0), m[5] == 'e');
}

/*
 * Any other method goes to the downstream node as it came, once the token is known to be good
 * (its key list is read first: a token the pod refuses proxies nothing).
 */
static json_t *proxy(struct spod_eth_rpc *rpc, struct spod_eth_rpc_err *e, const char *m,
                     const json_t *params)
{
	if (rpc->ops->node == NULL)
		return spod_eth_rpc_fail(e, SPOD_ETH_RPC_METHOD_NOT_FOUND,
		                         "the method %s does not exist/is not available", m);
	if (list_accounts(rpc, e) < 0)
		return NULL;
	return spod_eth_rpc_node(rpc, e, m, params);
}

static json_t *error_answer(const json_t *id, struct spod_eth_rpc_err *e)
{
	json_t *err = e->node;

	e->node = NULL;
	if (err == NULL) {
		err = json_pack("{s:i,s:s}", "code", e->code, "message", e->msg);
		if (err != NULL && e->data != NULL && json_object_set(err, "data", e->data) < 0) {
			json_decref(err);
			err = NULL;
		}
	}
	json_decref(e->data);
	e->data = NULL;
	if (err == NULL)
		return NULL;
	return json_pack("{s:s,s:O,s:o}", "jsonrpc", "2.0", "id", id != NULL ? id : json_null(),
	                 "error", err);
}

/* One request object: its answer, or NULL for a notification (or fatal / no memory). */
static json_t *one(struct spod_eth_rpc *rpc, const json_t *req)
{
	struct spod_eth_rpc_err e = {0, "", NULL, NULL};
	const json_t *id = json_object_get(req, "id"), *params = json_object_get(req, "params");
	const json_t *method = json_object_get(req, "method"),
	             *ver = json_object_get(req, "jsonrpc");
	json_t *empty = NULL, *result;
	int valid_id = id == NULL || json_is_string(id) || json_is_number(id) || json_is_null(id);

	if (!json_is_object(req) || !json_is_string(ver) ||
	    strcmp(json_string_value(ver), "2.0") != 0 || !json_is_string(method) || !valid_id ||
	    (params != NULL && !json_is_array(params) && !json_is_object(params))) {
		spod_eth_rpc_fail(&e, SPOD_ETH_RPC_INVALID_REQUEST, "invalid request%s", NULL);
		return error_answer(valid_id && json_is_object(req) ? id : NULL, &e);
	}
	if (!is_own(json_string_value(method))) {
		result = proxy(rpc, &e, json_string_value(method), params);
	} else if (params != NULL && json_is_object(params)) {
		spod_eth_rpc_fail(&e, SPOD_ETH_RPC_INVALID_PARAMS,
		                  "params: by position (an array)%s", NULL);
		result = NULL;
	} else {
		if (params == NULL)
			params = empty = json_array();
		result = dispatch(rpc, &e, json_string_value(method), params);
		json_decref(empty);
	}
	if (rpc->fatal < 0 || id == NULL) { /* a notification is answered with nothing */
		json_decref(result);
		json_decref(e.data);
		json_decref(e.node);
		return NULL;
	}
	if (result == NULL)
		return error_answer(id, &e);
	return json_pack("{s:s,s:O,s:o}", "jsonrpc", "2.0", "id", id, "result", result);
}

json_t *spod_eth_rpc_handle(struct spod_eth_rpc *rpc, const char *body, size_t len)
{
	struct spod_eth_rpc_err e = {0, "", NULL, NULL};
	json_error_t jerr;
	json_t *req, *answers, *a;
	size_t i;

	rpc->fatal = SPOD_OK;
	rpc->listed = 0;
	rpc->n_accounts = 0;
	req = body != NULL ? json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr)
	                   : NULL;
	if (req == NULL) {
		spod_eth_rpc_fail(&e, SPOD_ETH_RPC_PARSE_ERROR, "parse error%s", NULL);
		return error_answer(NULL, &e);
	}
	if (!json_is_array(req)) {
		a = one(rpc, req);
		json_decref(req);
		return a;
	}
	if (json_array_size(req) == 0 || json_array_size(req) > SPOD_ETH_RPC_MAX_BATCH) {
		json_decref(req);
		spod_eth_rpc_fail(&e, SPOD_ETH_RPC_INVALID_REQUEST,
		                  "invalid request: a batch of 1..100%s", " requests");
		return error_answer(NULL, &e);
	}
	answers = json_array();
	json_array_foreach(req, i, a)
	{
		json_t *ans = one(rpc, a);

		if (rpc->fatal < 0 || answers == NULL)
			break;
		if (ans != NULL && json_array_append_new(answers, ans) < 0)
			rpc->fatal = SPOD_E_NOMEM;
	}
	json_decref(req);
	if (answers == NULL)
		rpc->fatal = SPOD_E_NOMEM;
	if (rpc->fatal < 0 || json_array_size(answers) == 0) {
		json_decref(answers);
		return NULL;
	}
	return answers;
}
