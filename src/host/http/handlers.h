/*
 * The token routes' work, in three steps the server runs in one go: parse the request into a
 * call, carry the call out over a libspod connection, render the pod's answer as JSON. The
 * steps are separate so the server can retry the middle one on a fresh connection.
 */
#ifndef SPOD_HTTP_HANDLERS_H
#define SPOD_HTTP_HANDLERS_H

#include <stddef.h>
#include <stdint.h>

#include "host/http/eth_rpc_exec.h"
#include "host/http/json_req.h"
#include "host/http/params.h"
#include "host/http/policy_http.h"
#include "host/http/reply.h"
#include "host/http/routes.h"
#include "host/http/web3signer.h"
#include "host/http/sol_http.h"
#include "spod/client.h"

/*
 * One request of a token route: what the client asked and what the pod answered. Large
 * (about 400 KiB), so the executor keeps one per thread and reuses it.
 */
struct spod_http_call {
	enum spod_http_route_id route;
	uint8_t key_id[SPOD_KEY_ID_BYTES]; /* the path's {id}, for routes that have one */
	struct spod_http_list_query list;  /* GET /v1/keys */
	struct spod_w3s_ident w3s_id;      /* POST /api/v1/eth1/sign/{id} */
	/* A refusal's message of the HTTP layer's own (exec), or "": then the pod's message. */
	char err[SPOD_HTTP_ERRMSG_BYTES];
	union {
		struct spod_http_generate generate; /* POST /v1/keys */
		struct spod_http_sign sign;         /* POST /v1/keys/{id}/sign, eth1/sign */
		struct spod_http_sign_tx sign_tx;   /* sign-transaction, -message, -typed-data */
		struct spod_http_sign_auth auth;    /* POST /v1/keys/{id}/sign-authorization */
		struct spod_http_batch batch;       /* POST /v1/sign/batch */
		struct spod_http_attest attest;     /* POST /v1/attest */
		struct spod_http_envelope envelope; /* POST /v1/keys/import, /v1/custodian/shares */
		struct spod_http_policy_set policy; /* PUT, DELETE /v1/keys/{id}/policy */
		struct spod_http_sol_tx sol_tx;     /* POST /v1/solana/sign-transaction */
		struct spod_http_sol_msg sol_msg;   /* POST /v1/solana/sign-message */
		struct spod_http_eth eth;           /* POST /eth */
	} in;
	union {
		struct spod_key_info key;   /* generate, import, get */
		struct spod_seal_info seal; /* custodian shares and status */
		struct {
			size_t n;
			uint32_t next_cursor; /* 0: that was the last page */
			struct spod_key_info keys[SPOD_LIST_MAX_ITEMS];
		} list;
		struct spod_signature sig;
		struct {
			struct spod_tx_info info;
			size_t len;
			uint8_t signed_tx[SPOD_TX_SIGNED_MAX_BYTES];
		} tx;
		struct {
			struct spod_sign_item items[SPOD_BATCH_MAX_ITEMS];
			struct spod_signature sigs[SPOD_BATCH_MAX_ITEMS];
			int status[SPOD_BATCH_MAX_ITEMS];
		} batch;
		struct {
			size_t len;
			uint8_t doc[SPOD_DOC_MAX_BYTES];
		} doc;
		struct {
			struct spod_policy_info info;
			uint8_t cbor[SPOD_POLICY_WIRE_MAX];
		} policy;                     /* GET /v1/keys/{id}/policy */
		struct spod_w3s_out w3s;      /* the /api/v1/eth1 routes */
		struct spod_http_sol_out sol; /* the Solana routes */
	} out;
};

/*
 * Parses body[0..len) for call->route (set by the caller, with key_id and list when the route
 * uses them). Routes without a body ignore it. Returns SPOD_OK or a json_req.h error with
 * err filled.
 */
int spod_http_call_parse(struct spod_http_call *call, struct spod_http_perr *err, const char *body,
                         size_t len) __attribute__((warn_unused_result, nonnull(1, 2)));

/*
 * Carries out a parsed call over c. Returns SPOD_OK or the libspod error; when the pod
 * answered with an error, spod_client_last_error(c) has its message.
 */
int spod_http_call_exec(struct spod_http_call *call, struct spod_client *c)
    __attribute__((warn_unused_result, nonnull));

/*
 * Renders a call that spod_http_call_exec completed as its success answer (201 for a new
 * key, generated or imported; 204 for a delete; 200 otherwise). An answer that cannot be
 * rendered (unknown algorithm, wrong signature length) becomes a 502 PROTOCOL error. Takes
 * what the call holds for the reply (the publicKeys array).
 */
void spod_http_call_reply(struct spod_http_reply *r, struct spod_http_call *call)
    __attribute__((nonnull));

#endif
