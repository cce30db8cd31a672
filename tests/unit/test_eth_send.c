/*
 * POST /eth with a downstream node (src/host/http/eth_send.c, eth_rpc.c): what a transaction
 * lacks is filled from the key's policy and the node, eth_sendTransaction sends and retries a
 * nonce the node found too low, other methods go to the node and its errors come back as it
 * gave them. The pod and the node are fakes that record what they were asked.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/hex.h"
#include "host/http/eth_rpc.h"
#include "spod/err.h"
#include "txn/rlp.h"

/* The Hardhat key #0's address, the fake pod's one account. */
#define ADDR "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"
#define REQ(method, params)                                                                        \
	"{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"" method "\",\"params\":" params "}"

struct fake {
	uint8_t in[SPOD_TX_MAX_BYTES]; /* the last unsigned transaction signed */
	size_t in_len;
	unsigned signs;
	int policy_rc; /* policy_chain's answer */
	uint64_t policy_chain;
	const char *nonces[4]; /* eth_getTransactionCount's answers, in turn */
	unsigned n_nonce;
	unsigned too_low; /* eth_sendRawTransaction refuses this many times */
	unsigned sends;
	int node_down;
	char calls[512];  /* the node's methods, in order, separated by spaces */
	json_t *estimate; /* eth_estimateGas's params */
};

static struct fake fk;
static struct spod_eth_rpc rpc;

static int fake_accounts(void *ctx, struct spod_eth_account *out, size_t cap, size_t *n)
{
	static const char addr[] = ADDR;

	(void)ctx;
	assert_true(cap >= 1);
	memset(out[0].key_id, 0x11, sizeof(out[0].key_id));
	assert_int_equal(spod_hex_decode(out[0].addr, 20, n, addr + 2), SPOD_OK);
	*n = 1;
	return SPOD_OK;
}

/* A "signed transaction": 0xee and the unsigned bytes. */
static int fake_sign(void *ctx, const uint8_t key_id[SPOD_KEY_ID_BYTES], uint8_t form,
                     const uint8_t *in, size_t in_len, uint8_t *out, size_t cap, size_t *out_len)
{
	struct fake *f = ctx;

	assert_int_equal(key_id[0], 0x11);
	assert_int_equal(form, 0);
	assert_true(cap > in_len);
	memcpy(f->in, in, in_len);
	f->in_len = in_len;
	f->signs++;
	out[0] = 0xee;
	memcpy(out + 1, in, in_len);
	*out_len = in_len + 1;
	return SPOD_OK;
}

static const char *fake_last_error(void *ctx)
{
	(void)ctx;
	return "";
}

static int fake_policy_chain(void *ctx, const uint8_t key_id[SPOD_KEY_ID_BYTES], uint64_t *id)
{
	struct fake *f = ctx;

	(void)key_id;
	*id = f->policy_chain;
	return f->policy_rc;
}

static int fake_node(void *ctx, const char *method, const json_t *params, json_t **result,
                     json_t **error, char msg[SPOD_ETH_NODE_MSG_BYTES])
{
	struct fake *f = ctx;

	*result = *error = NULL;
	msg[0] = '\0';
	strncat(f->calls, method, sizeof(f->calls) - strlen(f->calls) - 2);
	strcat(f->calls, " ");
	if (f->node_down) {
		snprintf(msg, SPOD_ETH_NODE_MSG_BYTES, "the node was not reached: refused");
		return SPOD_E_UNAVAILABLE;
	}
	if (strcmp(method, "eth_chainId") == 0)
		*result = json_string("0x7a69");
	else if (strcmp(method, "eth_getTransactionCount") == 0)
		*result = json_string(f->nonces[f->n_nonce++]);
	else if (strcmp(method, "eth_feeHistory") == 0)
		*result = json_pack("{s:[s,s]}", "baseFeePerGas", "0x3b9aca00", "0x3b9aca01");
	else if (strcmp(method, "eth_maxPriorityFeePerGas") == 0)
		*result = json_string("0x2");
	else if (strcmp(method, "eth_gasPrice") == 0)
		*result = json_string("0x10");
	else if (strcmp(method, "eth_estimateGas") == 0) {
		json_decref(f->estimate);
		f->estimate = json_deep_copy(params);
		*result = json_string("0x5208");
	} else if (strcmp(method, "eth_sendRawTransaction") == 0) {
		if (f->sends++ < f->too_low)
			*error = json_pack("{s:i,s:s}", "code", -32000, "message",
			                   "Nonce too low. Expected nonce to be 6 but got 5.");
		else
			*result = json_string("0x1234");
	} else if (strcmp(method, "eth_blockNumber") == 0) {
		assert_true(json_is_array(params) && json_array_size(params) == 0);
		*result = json_string("0x10");
	} else {
		*error = json_pack("{s:i,s:s,s:{s:i}}", "code", -32005, "message", "limit", "data",
		                   "x", 1);
	}
	return SPOD_OK;
}

static const struct spod_eth_rpc_ops with_node = {fake_accounts, fake_sign, fake_last_error,
                                                  fake_node, fake_policy_chain};
static const struct spod_eth_rpc_ops without_node = {fake_accounts, fake_sign, fake_last_error,
                                                     NULL, fake_policy_chain};

/* The answer to text as compact JSON with sorted keys (a static buffer). */
static const char *ask(const struct spod_eth_rpc_ops *ops, const char *text)
{
	static char out[4096];
	json_t *a;
	char *s;

	rpc.ops = ops;
	rpc.ctx = &fk;
	a = spod_eth_rpc_handle(&rpc, text, strlen(text));
	assert_non_null(a);
	s = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(a);
	assert_non_null(s);
	snprintf(out, sizeof(out), "%s", s);
	free(s);
	return out;
}

static void reset(void)
{
	json_decref(fk.estimate);
	memset(&fk, 0, sizeof(fk));
	fk.policy_rc = SPOD_E_KEY_NOT_FOUND;
	fk.nonces[0] = "0x5";
	fk.nonces[1] = "0x6";
	fk.nonces[2] = "0x6";
}

/* Field i of the last signed transaction (typed: after its type byte) as a number. */
static uint64_t field(unsigned i)
{
	struct spod_rlp l, e;
	struct spod_rlp_iter it;
	uint64_t v = 0;

	assert_int_equal(
	    spod_rlp_decode(&l, fk.in + (fk.in[0] < 0x80), fk.in_len - (fk.in[0] < 0x80)), SPOD_OK);
	spod_rlp_iter_init(&it, &l);
	for (unsigned k = 0; k <= i; k++)
		assert_int_equal(spod_rlp_next(&it, &e), SPOD_OK);
	assert_int_equal(spod_rlp_u64(&e, &v), SPOD_OK);
	return v;
}

static void test_fill(void **state)
{
	(void)state;
	reset();
	/* Only from, to and value: EIP-1559 with everything from the node. */
	assert_non_null(strstr(
	    ask(&with_node, REQ("eth_signTransaction",
	                        "[{\"from\":\"" ADDR "\",\"to\":\"" ADDR "\",\"value\":\"0x1\"}]")),
	    "\"result\":\"0xee02"));
	assert_int_equal(fk.in[0], 2);
	assert_int_equal(field(0), 31337);                 /* eth_chainId */
	assert_int_equal(field(1), 5);                     /* the pending nonce */
	assert_int_equal(field(2), 2);                     /* eth_maxPriorityFeePerGas */
	assert_int_equal(field(3), 2 * 0x3b9aca01ull + 2); /* 2 x next base fee + tip */
	assert_int_equal(field(4), 21000);                 /* eth_estimateGas */
	assert_non_null(strstr(fk.calls, "eth_getTransactionCount"));
	/* The estimate saw what the transaction does, not its fees or nonce. */
	assert_int_equal(json_object_size(json_array_get(fk.estimate, 0)), 3);
	assert_non_null(json_object_get(json_array_get(fk.estimate, 0), "value"));

	/* The key's policy names one chain: that id, not the node's; a gasPrice: legacy. */
	reset();
	fk.policy_rc = SPOD_OK;
	fk.policy_chain = 137;
	ask(&with_node, REQ("eth_signTransaction",
	                    "[{\"from\":\"" ADDR "\",\"to\":\"" ADDR "\",\"gasPrice\":\"0x9\"}]"));
	assert_int_equal(fk.in[0] >= 0xc0, 1);
	assert_int_equal(field(0), 5);   /* nonce */
	assert_int_equal(field(1), 9);   /* gasPrice as given */
	assert_int_equal(field(6), 137); /* EIP-155 chain id */
	assert_null(strstr(fk.calls, "eth_chainId"));
	assert_null(strstr(fk.calls, "eth_feeHistory"));

	/* Without a node only the policy's chain id is filled: the nonce is still required. */
	reset();
	fk.policy_rc = SPOD_OK;
	fk.policy_chain = 10;
	assert_non_null(strstr(
	    ask(&without_node, REQ("eth_signTransaction", "[{\"from\":\"" ADDR "\",\"gas\":1,"
	                                                  "\"maxFeePerGas\":1,"
	                                                  "\"maxPriorityFeePerGas\":1}]")),
	    "nonce: required"));
	assert_int_equal(fk.signs, 0);
}

static void test_send(void **state)
{
	(void)state;
	/* The node refuses the filled nonce once: the count is read again and it is re-signed. */
	reset();
	fk.too_low = 1;
	assert_string_equal(ask(&with_node, REQ("eth_sendTransaction",
	                                        "[{\"from\":\"" ADDR "\",\"to\":\"" ADDR "\"}]")),
	                    "{\"id\":7,\"jsonrpc\":\"2.0\",\"result\":\"0x1234\"}");
	assert_int_equal(fk.sends, 2);
	assert_int_equal(fk.signs, 2);
	assert_int_equal(field(1), 6);

	/* A nonce the caller gave is never changed: the node's error comes back as it was. */
	reset();
	fk.too_low = 1;
	assert_string_equal(
	    ask(&with_node, REQ("eth_sendTransaction",
	                        "[{\"from\":\"" ADDR "\",\"to\":\"" ADDR "\",\"nonce\":\"0x5\"}]")),
	    "{\"error\":{\"code\":-32000,\"message\":\"Nonce too low. Expected "
	    "nonce to be 6 but got 5.\"},\"id\":7,\"jsonrpc\":\"2.0\"}");
	assert_int_equal(fk.sends, 1);

	/* It gives up after three attempts. */
	reset();
	fk.too_low = 10;
	fk.nonces[2] = "0x7";
	fk.nonces[3] = "0x8";
	assert_non_null(
	    strstr(ask(&with_node,
	               REQ("eth_sendTransaction", "[{\"from\":\"" ADDR "\",\"to\":\"" ADDR "\"}]")),
	           "Nonce too low"));
	assert_int_equal(fk.sends, 3);
	/* A count that does not move is not guessed past: the node's refusal comes back. */
	reset();
	fk.too_low = 10;
	assert_non_null(
	    strstr(ask(&with_node,
	               REQ("eth_sendTransaction", "[{\"from\":\"" ADDR "\",\"to\":\"" ADDR "\"}]")),
	           "Nonce too low"));
	assert_int_equal(fk.sends, 2);

	/* Without a node there is no eth_sendTransaction. */
	reset();
	assert_non_null(
	    strstr(ask(&without_node, REQ("eth_sendTransaction", "[{\"from\":\"" ADDR "\"}]")),
	           "needs a downstream node"));
}

static void test_proxy(void **state)
{
	(void)state;
	reset();
	assert_string_equal(ask(&with_node, REQ("eth_blockNumber", "[]")),
	                    "{\"id\":7,\"jsonrpc\":\"2.0\",\"result\":\"0x10\"}");
	/* The node's error object, data and all. */
	assert_string_equal(ask(&with_node, REQ("eth_getLogs", "[{}]")),
	                    "{\"error\":{\"code\":-32005,\"data\":{\"x\":1},\"message\":\"limit\"},"
	                    "\"id\":7,\"jsonrpc\":\"2.0\"}");
	/* Named params are the node's business. */
	assert_non_null(strstr(ask(&with_node, REQ("eth_getLogs", "{\"a\":1}")), "-32005"));
	/* A node that cannot be reached is -32000 UNAVAILABLE, naming no URL. */
	fk.node_down = 1;
	assert_string_equal(ask(&with_node, REQ("eth_blockNumber", "[]")),
	                    "{\"error\":{\"code\":-32000,\"data\":{\"code\":\"UNAVAILABLE\"},"
	                    "\"message\":\"downstream node: the node was not reached: refused\"},"
	                    "\"id\":7,\"jsonrpc\":\"2.0\"}");
	/* No node: method not found. */
	assert_non_null(strstr(ask(&without_node, REQ("eth_blockNumber", "[]")), "-32601"));
	json_decref(fk.estimate);
	fk.estimate = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fill),
	    cmocka_unit_test(test_send),
	    cmocka_unit_test(test_proxy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
