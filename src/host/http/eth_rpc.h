/*
 * Ethereum JSON-RPC 2.0 at POST /eth (docs/ethereum.md): the signing methods of Web3Signer's
 * eth1 mode and Clef where they overlap, each carried out through sign.tx so the key's
 * policy applies. The dispatcher is pure: the pod is reached through ops, so it can be
 * unit-tested and fuzzed without one (eth_rpc_exec.c binds ops to libspod).
 *
 * Methods: eth_accounts, eth_sign, personal_sign, eth_signTypedData_v4, eth_signTransaction,
 * eth_sendTransaction, health_status; with a downstream node (ops->node) every other method
 * is passed to it, and transactions get what they lack from it (eth_send.c). Batches are
 * answered in order; notifications get no answer. Errors: -32700 parse error, -32600
 * invalid request, -32601 method not found, -32602 invalid params, -32000 the pod refused or
 * failed (a policy refusal's data carries its rule and reason) or the node was not reached;
 * the node's own errors are passed on as it gave them.
 */
#ifndef SPOD_HTTP_ETH_RPC_H
#define SPOD_HTTP_ETH_RPC_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "host/http/eth_node.h"
#include "spod/wire.h"

#define SPOD_ETH_RPC_MAX_BATCH    100u /* requests in one batch */
#define SPOD_ETH_RPC_MAX_ACCOUNTS SPOD_LIST_MAX_ITEMS

#define SPOD_ETH_RPC_PARSE_ERROR      (-32700)
#define SPOD_ETH_RPC_INVALID_REQUEST  (-32600)
#define SPOD_ETH_RPC_METHOD_NOT_FOUND (-32601)
#define SPOD_ETH_RPC_INVALID_PARAMS   (-32602)
#define SPOD_ETH_RPC_SERVER_ERROR     (-32000)

struct spod_eth_account {
	uint8_t key_id[SPOD_KEY_ID_BYTES];
	uint8_t addr[20];
};

struct spod_eth_rpc_ops {
	/* The secp256k1 keys the caller may use, with their addresses: SPOD_OK or an error. */
	int (*accounts)(void *ctx, struct spod_eth_account *out, size_t cap, size_t *n);
	/* sign.tx (chain Ethereum) with form: signed bytes into out[0..cap), length in *out_len. */
	int (*sign)(void *ctx, const uint8_t key_id[SPOD_KEY_ID_BYTES], uint8_t form,
	            const uint8_t *in, size_t in_len, uint8_t *out, size_t cap, size_t *out_len);
	/* The pod's message for the last failure ("" or NULL: none). */
	const char *(*last_error)(void *ctx);
	/* The downstream node, as spod_eth_node_call (NULL: none is set). */
	int (*node)(void *ctx, const char *method, const json_t *params, json_t **result,
	            json_t **error, char msg[SPOD_ETH_NODE_MSG_BYTES]);
	/*
	 * The one Ethereum chain id the key's policy names (NULL: never asked): SPOD_OK with
	 * *chain_id when every allow rule that lists chain ids lists this one only, and at least
	 * one does; SPOD_E_KEY_NOT_FOUND when there is no such single id; another error when the
	 * policy could not be read.
	 */
	int (*policy_chain)(void *ctx, const uint8_t key_id[SPOD_KEY_ID_BYTES], uint64_t *chain_id);
};

/* One request body's state; large (about 170 KiB): callers keep it off the stack. */
struct spod_eth_rpc {
	const struct spod_eth_rpc_ops *ops;
	void *ctx;
	/*
	 * Set to a pod error after which nothing more is tried (the connection broke, the token
	 * was refused, the rate limit hit): the caller answers with an HTTP error instead.
	 */
	int fatal;
	int listed; /* accounts[] filled for this body */
	size_t n_accounts;
	struct spod_eth_account accounts[SPOD_ETH_RPC_MAX_ACCOUNTS];
	uint8_t in[SPOD_TX_MAX_BYTES];         /* the unsigned transaction / message / CBOR */
	uint8_t out[SPOD_TX_SIGNED_MAX_BYTES]; /* the pod's answer */
};

/*
 * Answers body[0..len) (one request or a batch). Returns the JSON answer (the caller owns
 * it); NULL when nothing is to be answered (only notifications), when rpc->fatal was set
 * (answer with that error), or without memory (rpc->fatal SPOD_E_NOMEM). Never crashes on
 * any input.
 */
json_t *spod_eth_rpc_handle(struct spod_eth_rpc *rpc, const char *body, size_t len)
    __attribute__((nonnull(1)));

/* Pod errors that end the whole body (set rpc->fatal): transport, token, rate limit. */
int spod_eth_rpc_is_fatal(int rc);

#endif
