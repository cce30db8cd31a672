/*
 * POST /eth over libspod: binds the JSON-RPC dispatcher (eth_rpc.h) to a connection (the
 * token's key list, sign.tx, policy.get for a missing chain id) and to the downstream node
 * when one is set (eth_node.h), for the server's parse / exec / reply steps (handlers.h).
 */
#ifndef SPOD_HTTP_ETH_RPC_EXEC_H
#define SPOD_HTTP_ETH_RPC_EXEC_H

#include <stddef.h>

#include "host/http/eth_rpc.h"
#include "host/http/reply.h"
#include "spod/client.h"

struct spod_http_eth {
	const char *body; /* the request body, valid for the whole job */
	size_t len;
	json_t *answer;             /* set by exec; handed to the reply (NULL: 204) */
	struct spod_client *c;      /* during exec */
	struct spod_key_info *keys; /* during exec: SPOD_LIST_MAX_ITEMS entries of scratch */
	struct spod_eth_node node;  /* during exec: the downstream node's session */
	struct spod_eth_rpc rpc;
};

/* Keeps body[0..len) for exec (no copy; nothing checked here: errors are JSON-RPC's). */
void spod_http_eth_parse(struct spod_http_eth *eth, const char *body, size_t len)
    __attribute__((nonnull(1)));

/*
 * Answers the body over c, using keys[0..SPOD_LIST_MAX_ITEMS) as scratch. Returns SPOD_OK
 * (eth->answer set, NULL when only notifications came) or a fatal pod error
 * (spod_eth_rpc_is_fatal): the caller answers that as HTTP, and may retry on a new
 * connection.
 */
int spod_http_eth_exec(struct spod_http_eth *eth, struct spod_client *c, struct spod_key_info *keys)
    __attribute__((warn_unused_result, nonnull));

/*
 * 200 with eth->answer, or 204 when there is none. The answer's reference goes to r: exec
 * sets a new one each time.
 */
void spod_http_eth_reply(struct spod_http_reply *r, const struct spod_http_eth *eth)
    __attribute__((nonnull));

#endif
