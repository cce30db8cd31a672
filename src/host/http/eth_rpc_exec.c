/* POST /eth's dispatcher over a libspod connection (eth_rpc_exec.h). */
#include "host/http/eth_rpc_exec.h"

#include <string.h>

#include "crypto/sign.h"
#include "spod/err.h"

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

static const struct spod_eth_rpc_ops client_ops = {ops_accounts, ops_sign, ops_last_error};

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
	eth->rpc.ops = &client_ops;
	eth->rpc.ctx = eth;
	eth->answer = spod_eth_rpc_handle(&eth->rpc, eth->body, eth->len);
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
