/*
 * eth_signTransaction and eth_sendTransaction (eth_rpc_int.h): what a transaction object
 * lacks is filled in the way Web3Signer and ethers fill it, the transaction is signed by
 * sign.tx (so the key's policy decides), and eth_sendTransaction hands it to the node.
 *
 * Filled, only when missing (docs/ethereum.md):
 *   chainId  the key's policy's one chain id, else the node's eth_chainId;
 *   nonce    eth_getTransactionCount(from, "pending");
 *   fees     no fee field and no type: EIP-1559 when the node reports a base fee
 *            (eth_feeHistory), else legacy. maxPriorityFeePerGas from
 *            eth_maxPriorityFeePerGas, maxFeePerGas 2 x the next block's base fee + the
 *            priority fee (as ethers), gasPrice from eth_gasPrice, maxFeePerBlobGas 2 x
 *            eth_blobBaseFee;
 *   gas      eth_estimateGas of {from, to, value, data, accessList, authorizationList}.
 * eth_sendTransaction retries a nonce it filled itself when the node answers "nonce too low"
 * (another sender took it between the count and the send): the count is read again and the
 * transaction signed again, at most SEND_ATTEMPTS times in all.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/http/eth_rpc_int.h"
#include "host/http/eth_tx_json.h"
#include "spod/err.h"

#define SEND_ATTEMPTS 3u
#define QTY_TEXT      19u /* "0x" + 16 hex digits + NUL */

json_t *spod_eth_rpc_node(struct spod_eth_rpc *rpc, struct spod_eth_rpc_err *e, const char *method,
                          const json_t *params)
{
	char msg[SPOD_ETH_NODE_MSG_BYTES];
	json_t *result = NULL, *error = NULL;
	int rc;

	if (rpc->ops->node == NULL)
		return spod_eth_rpc_fail(e, SPOD_ETH_RPC_METHOD_NOT_FOUND,
		                         "the method %s does not exist/is not available", method);
	rc = rpc->ops->node(rpc->ctx, method, params, &result, &error, msg);
	if (rc == SPOD_E_NOMEM)
		return spod_eth_rpc_pod_fail(rpc, e, rc);
	if (rc < 0) {
		e->code = SPOD_ETH_RPC_SERVER_ERROR;
		snprintf(e->msg, sizeof(e->msg), "downstream node: %s", msg);
		e->data = json_pack("{s:s}", "code", spod_err_name(SPOD_E_UNAVAILABLE));
		return NULL;
	}
	if (error != NULL) {
		e->node = error;
		return NULL;
	}
	return result;
}

/* A QUANTITY (eth_tx_json.h) of at most 64 bits. SPOD_OK or SPOD_E_BAD_ARG. */
static int u64_of(uint64_t *out, const json_t *v)
{
	uint8_t be[32];

	if (spod_eth_tx_quantity(be, v) < 0 || memcmp(be, (const uint8_t[24]){0}, 24) != 0)
		return SPOD_E_BAD_ARG;
	*out = 0;
	for (unsigned i = 24; i < 32; i++)
		*out = *out << 8 | be[i];
	return SPOD_OK;
}

static int set_u64(json_t *tx, const char *field, uint64_t n)
{
	char text[QTY_TEXT];

	snprintf(text, sizeof(text), "0x%llx", (unsigned long long)n);
	return json_object_set_new(tx, field, json_string(text)) < 0 ? SPOD_E_NOMEM : SPOD_OK;
}

/* spod_eth_rpc_node with params made for the call (taken: released here; NULL: no memory). */
static json_t *node_call(struct spod_eth_rpc *rpc, struct spod_eth_rpc_err *e, const char *method,
                         json_t *params)
{
	json_t *r;

	if (params == NULL)
		return spod_eth_rpc_pod_fail(rpc, e, SPOD_E_NOMEM);
	r = spod_eth_rpc_node(rpc, e, method, params);
	json_decref(params);
	return r;
}

/* Calls method(params) and reads its result as a 64-bit quantity. SPOD_OK, or e is set. */
static int node_u64(struct spod_eth_rpc *rpc, struct spod_eth_rpc_err *e, uint64_t *out,
                    const char *method, json_t *params)
{
	json_t *r = node_call(rpc, e, method, params);
	int rc = SPOD_OK;

	if (r == NULL)
		return SPOD_E_UNAVAILABLE;
	if (u64_of(out, r) < 0) {
		spod_eth_rpc_fail(e, SPOD_ETH_RPC_SERVER_ERROR,
		                  "downstream node: %s did not answer a 64-bit quantity", method);
		rc = SPOD_E_PROTOCOL;
	}
	json_decref(r);
	return rc;
}

/* The pending nonce of the transaction's sender. */
static int pending_nonce(struct spod_eth_rpc *rpc, struct spod_eth_rpc_err *e, const json_t *tx,
                         uint64_t *nonce)
{
	return node_u64(rpc, e, nonce, "eth_getTransactionCount",
	                json_pack("[O,s]", json_object_get(tx, "from"), "pending"));
}

/*
 * The next block's base fee (the last of eth_feeHistory's baseFeePerGas); *reported 0 when
 * the node reports none (a chain without EIP-1559).
 */
static int next_base_fee(struct spod_eth_rpc *rpc, struct spod_eth_rpc_err *e, uint64_t *out,
                         int *reported)
{
	json_t *r = node_call(rpc, e, "eth_feeHistory", json_pack("[s,s,[]]", "0x1", "latest"));
	const json_t *fees = json_object_get(r, "baseFeePerGas");
	size_t n = json_array_size(fees);
	int rc = SPOD_OK;

	*out = 0;
	*reported = n > 0;
	if (r == NULL)
		return SPOD_E_UNAVAILABLE;
	if (n > 0 && u64_of(out, json_array_get(fees, n - 1)) < 0) {
		spod_eth_rpc_fail(e, SPOD_ETH_RPC_SERVER_ERROR, "downstream node: %s",
		                  "eth_feeHistory's baseFeePerGas is not a 64-bit quantity");
		rc = SPOD_E_PROTOCOL;
	}
	json_decref(r);
	return rc;
}

/* The type the transaction names or its fields imply; -1 when it leaves the fees open. */
static int implied_type(const json_t *tx)
{
	const json_t *t = json_object_get(tx, "type");
	uint64_t n;

	if (t != NULL && !json_is_null(t)) /* a type out of range: the builder refuses it */
		return u64_of(&n, t) == SPOD_OK && n <= 4 ? (int)n : 0;
	if (json_object_get(tx, "authorizationList") != NULL)
		return 4;
	if (json_object_get(tx, "maxFeePerGas") != NULL ||
	    json_object_get(tx, "maxPriorityFeePerGas") != NULL)
		return 2;
	if (json_object_get(tx, "gasPrice") != NULL)
		return 0;
	return -1;
}

/* The fee fields a transaction lacks, from the node. */
static int fill_fees(struct spod_eth_rpc *rpc, struct spod_eth_rpc_err *e, json_t *tx)
{
	int type = implied_type(tx), reported = 0, rc;
	uint64_t base = 0, prio = 0, fee;

	if (type < 0 || (type >= 2 && json_object_get(tx, "maxFeePerGas") == NULL)) {
		if ((rc = next_base_fee(rpc, e, &base, &reported)) < 0)
			return rc;
		if (type < 0)
			type = reported ? 2 : 0;
	}
	if (type < 2) {
		if (json_object_get(tx, "gasPrice") != NULL)
			return SPOD_OK;
		if ((rc = node_u64(rpc, e, &fee, "eth_gasPrice", json_array())) < 0)
			return rc;
		return set_u64(tx, "gasPrice", fee);
	}
	if (json_object_get(tx, "maxPriorityFeePerGas") == NULL) {
		if ((rc = node_u64(rpc, e, &prio, "eth_maxPriorityFeePerGas", json_array())) < 0 ||
		    (rc = set_u64(tx, "maxPriorityFeePerGas", prio)) < 0)
			return rc;
	} else if (u64_of(&prio, json_object_get(tx, "maxPriorityFeePerGas")) < 0 &&
	           json_object_get(tx, "maxFeePerGas") == NULL) {
		spod_eth_rpc_fail(e, SPOD_ETH_RPC_INVALID_PARAMS, "maxPriorityFeePerGas: %s",
		                  "not a 64-bit quantity (give maxFeePerGas too)");
		return SPOD_E_BAD_ARG;
	}
	if (json_object_get(tx, "maxFeePerGas") == NULL) {
		if (base > (UINT64_MAX - prio) / 2) {
			spod_eth_rpc_fail(e, SPOD_ETH_RPC_SERVER_ERROR, "downstream node: %s",
			                  "the base fee is out of range");
			return SPOD_E_PROTOCOL;
		}
		if ((rc = set_u64(tx, "maxFeePerGas", 2 * base + prio)) < 0)
			return rc;
	}
	if (type != 3 || json_object_get(tx, "maxFeePerBlobGas") != NULL)
		return SPOD_OK;
	if ((rc = node_u64(rpc, e, &fee, "eth_blobBaseFee", json_array())) < 0)
		return rc;
	return set_u64(tx, "maxFeePerBlobGas", fee > UINT64_MAX / 2 ? UINT64_MAX : 2 * fee);
}

/* gas from eth_estimateGas of what the transaction does. */
static int fill_gas(struct spod_eth_rpc *rpc, struct spod_eth_rpc_err *e, json_t *tx)
{
	static const char *const what[] = {
	    "from", "to", "value", "data", "input", "accessList", "authorizationList"};
	json_t *call = json_object(), *params;
	uint64_t gas;
	int rc;

	if (call == NULL)
		return SPOD_E_NOMEM;
	for (size_t i = 0; i < sizeof(what) / sizeof(what[0]); i++) {
		json_t *v = json_object_get(tx, what[i]);

		if (v != NULL && !json_is_null(v) && json_object_set(call, what[i], v) < 0) {
			json_decref(call);
			return SPOD_E_NOMEM;
		}
	}
	params = json_pack("[o]", call);
	if ((rc = node_u64(rpc, e, &gas, "eth_estimateGas", params)) < 0)
		return rc;
	return set_u64(tx, "gas", gas);
}

/* Fills what tx lacks (the file's header comment says from where). SPOD_OK, or e is set. */
static int fill(struct spod_eth_rpc *rpc, struct spod_eth_rpc_err *e, json_t *tx,
                const uint8_t *key)
{
	uint64_t chain_id = 0, nonce;
	int rc = SPOD_E_KEY_NOT_FOUND;

	if (json_object_get(tx, "chainId") == NULL) {
		if (rpc->ops->policy_chain != NULL) {
			rc = rpc->ops->policy_chain(rpc->ctx, key, &chain_id);
			if (spod_eth_rpc_is_fatal(rc)) {
				spod_eth_rpc_pod_fail(rpc, e, rc);
				return rc;
			}
		}
		if (rc < 0 && rpc->ops->node != NULL &&
		    (rc = node_u64(rpc, e, &chain_id, "eth_chainId", json_array())) < 0)
			return rc;
		if (rc == SPOD_OK && (rc = set_u64(tx, "chainId", chain_id)) < 0)
			return rc;
	}
	if (rpc->ops->node == NULL)
		return SPOD_OK;
	if (json_object_get(tx, "nonce") == NULL && ((rc = pending_nonce(rpc, e, tx, &nonce)) < 0 ||
	                                             (rc = set_u64(tx, "nonce", nonce)) < 0))
		return rc;
	if ((rc = fill_fees(rpc, e, tx)) < 0)
		return rc;
	if (json_object_get(tx, "gas") == NULL && json_object_get(tx, "gasLimit") == NULL)
		return fill_gas(rpc, e, tx);
	return SPOD_OK;
}

/* Builds tx and signs it with key: the signed bytes in rpc->out[0..*len). NULL on failure. */
static int sign(struct spod_eth_rpc *rpc, struct spod_eth_rpc_err *e, const json_t *tx,
                const uint8_t *key, size_t *len)
{
	char err[SPOD_ETH_TX_ERR_BYTES];
	struct spod_eth_tx_out out;
	int rc;

	rc = spod_eth_tx_from_json(&out, rpc->in, sizeof(rpc->in), tx, err);
	if (rc < 0) {
		spod_eth_rpc_fail(e, SPOD_ETH_RPC_INVALID_PARAMS, "%s", err);
		return rc;
	}
	rc = rpc->ops->sign(rpc->ctx, key, 0, rpc->in, out.len, rpc->out, sizeof(rpc->out), len);
	if (rc < 0)
		spod_eth_rpc_pod_fail(rpc, e, rc);
	return rc;
}

/* Whether the node's error says the nonce was taken already. */
static int nonce_too_low(const json_t *node_err)
{
	const char *m = json_string_value(json_object_get(node_err, "message"));

	return m != NULL && strcasestr(m, "nonce too low") != NULL;
}

/* Signs tx (filled) and sends it; retries a filled nonce the node found too low. */
static json_t *send(struct spod_eth_rpc *rpc, struct spod_eth_rpc_err *e, json_t *tx,
                    const uint8_t *key, int nonce_filled)
{
	for (unsigned attempt = 1;; attempt++) {
		uint64_t old = 0, now = 0;
		size_t len = 0;
		json_t *raw, *hash, *refused;

		if (sign(rpc, e, tx, key, &len) < 0)
			return NULL;
		if ((raw = spod_eth_rpc_hex(rpc->out, len)) == NULL)
			return spod_eth_rpc_pod_fail(rpc, e, SPOD_E_NOMEM);
		hash = node_call(rpc, e, "eth_sendRawTransaction", json_pack("[o]", raw));
		if (hash != NULL || !nonce_filled || attempt == SEND_ATTEMPTS || e->node == NULL ||
		    !nonce_too_low(e->node))
			return hash;
		refused = e->node;
		e->node = NULL;
		if (u64_of(&old, json_object_get(tx, "nonce")) < 0 ||
		    pending_nonce(rpc, e, tx, &now) < 0 || now <= old ||
		    set_u64(tx, "nonce", now) < 0) {
			json_decref(e->data);
			json_decref(e->node);
			e->data = NULL;
			e->node = refused; /* the send's own error says most */
			return NULL;
		}
		json_decref(refused);
	}
}

json_t *spod_eth_rpc_transaction(struct spod_eth_rpc *rpc, struct spod_eth_rpc_err *e,
                                 const json_t *obj, int send_it)
{
	const json_t *from = json_object_get(obj, "from");
	const uint8_t *key;
	json_t *tx, *r = NULL;
	size_t len = 0;
	int nonce_filled;

	if (!json_is_object(obj))
		return spod_eth_rpc_fail(e, SPOD_ETH_RPC_INVALID_PARAMS, "transaction: %s",
		                         "not an object");
	if (from == NULL || json_is_null(from))
		return spod_eth_rpc_fail(e, SPOD_ETH_RPC_INVALID_PARAMS, "from: required%s", NULL);
	if ((key = spod_eth_rpc_account_key(rpc, e, from, "from")) == NULL)
		return NULL;
	if ((tx = json_deep_copy(obj)) == NULL)
		return spod_eth_rpc_pod_fail(rpc, e, SPOD_E_NOMEM);
	nonce_filled = json_object_get(tx, "nonce") == NULL && rpc->ops->node != NULL;
	if (fill(rpc, e, tx, key) == SPOD_OK) {
		if (send_it)
			r = send(rpc, e, tx, key, nonce_filled);
		else if (sign(rpc, e, tx, key, &len) == SPOD_OK)
			r = spod_eth_rpc_hex(rpc->out, len);
	}
	json_decref(tx);
	/* A failure that set nothing (a field that could not be stored) is memory's. */
	if (r == NULL && e->code == 0 && e->node == NULL && rpc->fatal == SPOD_OK)
		spod_eth_rpc_pod_fail(rpc, e, SPOD_E_NOMEM);
	return r;
}
