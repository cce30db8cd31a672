/*
 * What the JSON-RPC dispatcher's files share (eth_rpc.c: requests, batches, messages;
 * eth_send.c: transactions, the downstream node). Private to src/host/http.
 */
#ifndef SPOD_HTTP_ETH_RPC_INT_H
#define SPOD_HTTP_ETH_RPC_INT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "host/http/eth_rpc.h"

#define SPOD_ETH_RPC_MSG_BYTES 256u

/*
 * A method's failure: a JSON-RPC error code, its message and optional data (owned), or the
 * downstream node's own error object (owned), answered as the node gave it.
 */
struct spod_eth_rpc_err {
	int code;
	char msg[SPOD_ETH_RPC_MSG_BYTES];
	json_t *data;
	json_t *node;
};

/* Sets e to code and the message fmt with one %s of arg; returns NULL. */
json_t *spod_eth_rpc_fail(struct spod_eth_rpc_err *e, int code, const char *fmt, const char *arg)
    __attribute__((nonnull(1, 3)));

/*
 * A pod failure rc as a -32000 error (a policy refusal names its rule and reason); a fatal
 * one (spod_eth_rpc_is_fatal) sets rpc->fatal instead. Returns NULL.
 */
json_t *spod_eth_rpc_pod_fail(struct spod_eth_rpc *rpc, struct spod_eth_rpc_err *e, int rc)
    __attribute__((nonnull));

/* The key of the account a (field names it in errors); NULL: e is set. */
const uint8_t *spod_eth_rpc_account_key(struct spod_eth_rpc *rpc, struct spod_eth_rpc_err *e,
                                        const json_t *a, const char *field)
    __attribute__((nonnull(1, 2, 4)));

/* "0x" and the hex of p[0..n), or NULL without memory. */
json_t *spod_eth_rpc_hex(const uint8_t *p, size_t n);

/*
 * Calls method on the downstream node: its result (owned), or NULL with e set (the node's
 * error object, or -32000 when it was not reached; -32601 when there is none).
 */
json_t *spod_eth_rpc_node(struct spod_eth_rpc *rpc, struct spod_eth_rpc_err *e, const char *method,
                          const json_t *params) __attribute__((nonnull(1, 2, 3)));

/* eth_signTransaction (send 0) and eth_sendTransaction (send 1) of the object tx. */
json_t *spod_eth_rpc_transaction(struct spod_eth_rpc *rpc, struct spod_eth_rpc_err *e,
                                 const json_t *tx, int send) __attribute__((nonnull(1, 2)));

#endif
