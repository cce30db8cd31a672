/*
 * The downstream Ethereum node of POST /eth (spod-host's eth-downstream setting,
 * docs/ethereum.md): JSON-RPC 2.0 calls over HTTP(S) with libcurl, one call at a time.
 *
 * The node's URL and timeout are process-wide, set once by spod_eth_node_setup before the
 * HTTP threads start and only read afterwards. A session (one request body's calls) keeps
 * one libcurl handle, so its calls share a kept-alive connection.
 */
#ifndef SPOD_HTTP_ETH_NODE_H
#define SPOD_HTTP_ETH_NODE_H

#include <stddef.h>

#include <jansson.h>

#define SPOD_ETH_NODE_URL_MAX    1024u
#define SPOD_ETH_NODE_ANSWER_MAX (32u * 1024u * 1024u) /* a longer answer is a failure */
#define SPOD_ETH_NODE_DEFAULT_MS 10000u
#define SPOD_ETH_NODE_MSG_BYTES  192u

/*
 * Sets the node (url NULL or "": none) and the time one call may take, in ms (0: the
 * default). Call once, before any thread uses the node. Returns SPOD_OK, SPOD_E_BAD_ARG (not
 * an http:// or https:// URL, or longer than SPOD_ETH_NODE_URL_MAX) or SPOD_E_INTERNAL
 * (libcurl could not start).
 */
int spod_eth_node_setup(const char *url, unsigned timeout_ms) __attribute__((warn_unused_result));

/* Whether a node is set. */
int spod_eth_node_enabled(void);

/* A session's state: the caller keeps it and zeroes it before the first call. */
struct spod_eth_node {
	void *curl; /* CURL *, made by the first call */
	unsigned next_id;
};

/*
 * Calls method with params (a JSON array; NULL: []) on the node. Returns:
 *   SPOD_OK            the node answered: either *result is set (its result) or *error (its
 *                      JSON-RPC error object, {code, message, data?}), the other NULL; the
 *                      caller owns what is set;
 *   SPOD_E_UNAVAILABLE no node set, or it could not be reached, timed out, answered with an
 *                      HTTP error or something that is not a JSON-RPC answer: msg says what;
 *   SPOD_E_NOMEM.
 * msg[0..SPOD_ETH_NODE_MSG_BYTES) is always NUL-terminated ("" on success).
 */
int spod_eth_node_call(struct spod_eth_node *n, const char *method, const json_t *params,
                       json_t **result, json_t **error, char msg[SPOD_ETH_NODE_MSG_BYTES])
    __attribute__((warn_unused_result, nonnull(1, 2, 4, 5, 6)));

/* Ends a session (its connection is closed). */
void spod_eth_node_end(struct spod_eth_node *n) __attribute__((nonnull));

#endif
