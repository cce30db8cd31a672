/*
 * libFuzzer target for POST /eth's JSON-RPC dispatcher, transaction filling and sending and
 * transaction-object builder (src/host/http/eth_rpc.c, eth_send.c, eth_tx_json.c), over a
 * fake pod and a fake downstream node.
 *
 * The first input byte picks how the fake pod behaves (signs, refuses by policy, fails, breaks
 * the connection: bits 0-3), whether a node is there (bit 4) and how it answers (plausible
 * values, values of the wrong shape, its own errors, unreachable: bits 5-6), and whether the
 * key's policy names a chain id (bit 7); the rest is the request body. Whatever the body, the
 * dispatcher must answer with JSON (or nothing, for notifications or a broken connection), never
 * pass sign.tx more than its buffer, and a transaction it signs must be one RLP item (after a type
 * byte).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "host/http/eth_rpc.h"
#include "spod/err.h"
#include "txn/rlp.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

static uint8_t mode;

static int fake_accounts(void *ctx, struct spod_eth_account *out, size_t cap, size_t *n)
{
	(void)ctx;
	CHECK(cap >= 2);
	if ((mode & 7) == 5)
		return SPOD_E_CLOSED;
	/* 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266 and 0x00..01 */
	static const uint8_t a0[20] = {0xf3, 0x9f, 0xd6, 0xe5, 0x1a, 0xad, 0x88, 0xf6, 0xf4, 0xce,
	                               0x6a, 0xb8, 0x82, 0x72, 0x79, 0xcf, 0xff, 0xb9, 0x22, 0x66};
	memset(out, 0, 2 * sizeof(*out));
	memcpy(out[0].addr, a0, 20);
	out[1].addr[19] = 1;
	out[1].key_id[0] = 1;
	*n = 2;
	return SPOD_OK;
}

static int fake_sign(void *ctx, const uint8_t key_id[SPOD_KEY_ID_BYTES], uint8_t form,
                     const uint8_t *in, size_t in_len, uint8_t *out, size_t cap, size_t *out_len)
{
	struct spod_rlp item;

	(void)ctx;
	(void)key_id;
	CHECK(in_len >= 1 && in_len <= SPOD_TX_MAX_BYTES && cap >= SPOD_TX_SIGNED_MAX_BYTES);
	CHECK(form <= SPOD_TX_FORM_EIP712);
	if (form == 0) {
		size_t skip = in[0] < 0xc0 ? 1 : 0;

		CHECK(in[0] >= 0xc0 || in[0] <= 4);
		CHECK(spod_rlp_decode(&item, in + skip, in_len - skip) == SPOD_OK && item.is_list);
	}
	switch (mode & 7) {
	case 1:
		return SPOD_E_POLICY_DENIED;
	case 2:
		return SPOD_E_KEY_NOT_FOUND;
	case 3:
		return SPOD_E_IO;
	case 4:
		*out_len = 3; /* a malformed answer */
		memset(out, 0, 3);
		return SPOD_OK;
	default:
		memset(out, 0x5a, 65);
		*out_len = 65;
		return SPOD_OK;
	}
}

static const char *fake_last_error(void *ctx)
{
	(void)ctx;
	return (mode & 8) ? "sign.tx: denied by rule \"r\": why" : "";
}

/* The node's answer to method in the shape bits 5-6 of mode pick. */
static int fake_node(void *ctx, const char *method, const json_t *params, json_t **result,
                     json_t **error, char msg[SPOD_ETH_NODE_MSG_BYTES])
{
	(void)ctx;
	*result = *error = NULL;
	msg[0] = '\0';
	CHECK(params == NULL || json_is_array(params) || json_is_object(params));
	switch ((mode >> 5) & 3) {
	case 0:
		if (strcmp(method, "eth_feeHistory") == 0)
			*result = json_pack("{s:[s]}", "baseFeePerGas", "0x7");
		else if (strcmp(method, "eth_sendRawTransaction") == 0)
			*error = json_pack("{s:i,s:s}", "code", -32000, "message", "nonce too low");
		else
			*result = json_string("0x1");
		return SPOD_OK;
	case 1: /* wrong shapes: a huge quantity, an object, a list of numbers */
		if (strcmp(method, "eth_feeHistory") == 0)
			*result = json_pack("{s:[i]}", "baseFeePerGas", 7);
		else if (strcmp(method, "eth_chainId") == 0)
			*result = json_object();
		else
			*result = json_string("0xffffffffffffffffff");
		return SPOD_OK;
	case 2:
		*error = json_pack("{s:i,s:s}", "code", 3, "message", "execution reverted");
		return SPOD_OK;
	default:
		snprintf(msg, SPOD_ETH_NODE_MSG_BYTES, "the node was not reached");
		return SPOD_E_UNAVAILABLE;
	}
}

static int fake_policy_chain(void *ctx, const uint8_t key_id[SPOD_KEY_ID_BYTES], uint64_t *id)
{
	(void)ctx;
	(void)key_id;
	*id = 1;
	return (mode & 0x80) ? SPOD_OK : SPOD_E_KEY_NOT_FOUND;
}

static const struct spod_eth_rpc_ops ops = {fake_accounts, fake_sign, fake_last_error, NULL,
                                            fake_policy_chain};
static const struct spod_eth_rpc_ops ops_node = {fake_accounts, fake_sign, fake_last_error,
                                                 fake_node, fake_policy_chain};
static struct spod_eth_rpc rpc;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *answer;

	if (size == 0)
		return 0;
	mode = data[0];
	rpc.ops = (mode & 0x10) ? &ops_node : &ops;
	rpc.ctx = NULL;
	answer = spod_eth_rpc_handle(&rpc, (const char *)data + 1, size - 1);
	if (answer != NULL) {
		char *text = json_dumps(answer, JSON_COMPACT);

		CHECK(rpc.fatal == SPOD_OK);
		CHECK(json_is_object(answer) || json_is_array(answer));
		CHECK(text != NULL);
		free(text);
		json_decref(answer);
	}
	return 0;
}
