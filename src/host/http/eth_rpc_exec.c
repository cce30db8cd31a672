/* POST /eth's dispatcher over a libspod connection (eth_rpc_exec.h). */
#include "host/http/eth_rpc_exec.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/sign.h"
#include "policy/policy.h"
#include "spod/err.h"
#include "spod/wire_policy.h"

/* The token's secp256k1 keys, every page of key.list, with their addresses. */
static int ops_accounts(void *ctx, struct spod_eth_account *out, size_t cap, size_t *n)
{
	struct spod_http_eth *eth = ctx;
	uint32_t cursor = 0;
	int rc;

	*n = 0;
	do {
		size_t got = 0;

		rc = spod_client_list(eth->c, eth->keys, SPOD_LIST_MAX_ITEMS, &got, &cursor);
		if (rc < 0)
			return rc;
		for (size_t i = 0; i < got && *n < cap; i++) {
			const struct spod_key_info *k = &eth->keys[i];

			if (k->alg != SPOD_ALG_SECP256K1 ||
			    spod_eth_address(out[*n].addr, k->pub, k->pub_len) < 0)
				continue;
			memcpy(out[*n].key_id, k->id, SPOD_KEY_ID_BYTES);
			(*n)++;
		}
	} while (cursor != 0 && *n < cap);
	return SPOD_OK;
}

static int ops_sign(void *ctx, const uint8_t key_id[SPOD_KEY_ID_BYTES], uint8_t form,
                    const uint8_t *in, size_t in_len, uint8_t *out, size_t cap, size_t *out_len)
{
	struct spod_http_eth *eth = ctx;
	struct spod_tx_info info;

	return spod_client_sign_tx_form(eth->c, &info, out, cap, out_len, key_id,
	                                SPOD_TX_CHAIN_ETHEREUM, form, in, in_len);
}

static const char *ops_last_error(void *ctx)
{
	return spod_client_last_error(((struct spod_http_eth *)ctx)->c);
}

static int ops_node(void *ctx, const char *method, const json_t *params, json_t **result,
                    json_t **error, char msg[SPOD_ETH_NODE_MSG_BYTES])
{
	return spod_eth_node_call(&((struct spod_http_eth *)ctx)->node, method, params, result,
	                          error, msg);
}

/* The one chain id the allow rules of a loaded policy list (eth_rpc.h's policy_chain). */
static int single_chain(const struct spod_policy *p, uint64_t *chain_id)
{
	int found = 0;

	for (size_t i = 0; i < p->n_rules; i++) {
		const struct spod_policy_rule *r = &p->rules[i];

		if (r->effect != SPOD_POLICY_ALLOW || r->chain_ids.n == 0 ||
		    ((r->flags & SPOD_POLICY_R_CHAIN) && r->chain != SPOD_CHAIN_ETHEREUM))
			continue;
		for (size_t j = 0; j < r->chain_ids.n; j++) {
			uint64_t id = p->nums[r->chain_ids.off + j];

			if (found && id != *chain_id)
				return SPOD_E_KEY_NOT_FOUND;
			*chain_id = id;
			found = 1;
		}
	}
	return found ? SPOD_OK : SPOD_E_KEY_NOT_FOUND;
}

/* policy.get of the key, loaded (about 100 KiB of scratch, only when chainId is missing). */
static int ops_policy_chain(void *ctx, const uint8_t key_id[SPOD_KEY_ID_BYTES], uint64_t *chain_id)
{
	struct spod_http_eth *eth = ctx;
	struct spod_policy_info info = {0};
	struct spod_policy *p = malloc(sizeof(*p));
	uint8_t *cbor = malloc(SPOD_POLICY_WIRE_MAX);
	int rc = SPOD_E_NOMEM;

	if (p != NULL && cbor != NULL)
		rc = spod_client_policy_get(eth->c, &info, cbor, SPOD_POLICY_WIRE_MAX, key_id);
	if (rc == SPOD_OK && !info.has_policy)
		rc = SPOD_E_KEY_NOT_FOUND;
	if (rc == SPOD_OK && spod_policy_load(cbor, info.policy_len, p) < 0)
		rc = SPOD_E_PROTOCOL;
	if (rc == SPOD_OK)
		rc = single_chain(p, chain_id);
	free(cbor);
	free(p);
	return rc;
}

static const struct spod_eth_rpc_ops client_ops = {ops_accounts, ops_sign, ops_last_error, ops_node,
                                                   ops_policy_chain};
static const struct spod_eth_rpc_ops client_ops_no_node = {ops_accounts, ops_sign, ops_last_error,
                                                           NULL, ops_policy_chain};

void spod_http_eth_parse(struct spod_http_eth *eth, const char *body, size_t len)
{
	eth->body = body;
	eth->len = body != NULL ? len : 0;
	eth->answer = NULL;
}

int spod_http_eth_exec(struct spod_http_eth *eth, struct spod_client *c, struct spod_key_info *keys)
{
	eth->c = c;
	eth->keys = keys;
	eth->rpc.ops = spod_eth_node_enabled() ? &client_ops : &client_ops_no_node;
	eth->rpc.ctx = eth;
	memset(&eth->node, 0, sizeof(eth->node));
	eth->answer = spod_eth_rpc_handle(&eth->rpc, eth->body, eth->len);
	spod_eth_node_end(&eth->node);
	eth->c = NULL;
	return eth->rpc.fatal < 0 ? eth->rpc.fatal : SPOD_OK;
}

void spod_http_eth_reply(struct spod_http_reply *r, const struct spod_http_eth *eth)
{
	if (eth->answer == NULL) {
		spod_http_reply_free(r);
		r->status = 204;
		return;
	}
	spod_http_reply_json(r, 200, eth->answer);
}
