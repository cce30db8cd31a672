/*
 * Ethereum JSON-RPC at POST /eth (src/host/http/eth_rpc.c, eth_tx_json.c): the transaction
 * object -> unsigned RLP builder against ethers' serializations (tests/data/ethereum/ethers.txt:
 * each vector's unsigned bytes are decoded into a JSON-RPC transaction object and built back),
 * and the dispatcher over a fake pod: methods, params order, batches, notifications, errors.
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
#include "host/http/eth_tx_json.h"
#include "spod/err.h"
#include "txn/rlp.h"

#define LINE_BYTES (300u * 1024u)

/* ---- the builder against ethers' vectors ---- */

static json_t *hex_json(const uint8_t *p, size_t n, int qty)
{
	char text[2 * 1024 + 3];
	size_t skip = 0;

	if (qty) {
		while (skip < n && p[skip] == 0)
			skip++;
		if (skip == n)
			return json_string("0x0");
	}
	assert_true(2 * (n - skip) + 3 <= sizeof(text) || !qty);
	if (2 * (n - skip) + 3 > sizeof(text)) {
		char *big = malloc(2 * n + 3);
		json_t *v;

		assert_non_null(big);
		big[0] = '0';
		big[1] = 'x';
		assert_int_equal(spod_hex_encode(big + 2, 2 * n + 1, p, n), SPOD_OK);
		v = json_string(big);
		free(big);
		return v;
	}
	text[0] = '0';
	text[1] = 'x';
	assert_int_equal(spod_hex_encode(text + 2, sizeof(text) - 2, p + skip, n - skip), SPOD_OK);
	/* A QUANTITY has no leading zero digit. */
	if (qty && text[2] == '0')
		memmove(text + 2, text + 3, strlen(text + 3) + 1);
	return json_string(text);
}

/* [[address, [keys]]] or [hashes] back to JSON. */
static json_t *list_json(const struct spod_rlp *l, int access)
{
	struct spod_rlp_iter it, in;
	struct spod_rlp e, x;
	json_t *arr = json_array();

	spod_rlp_iter_init(&it, l);
	while (spod_rlp_end(&it) != SPOD_OK) {
		assert_int_equal(spod_rlp_next(&it, &e), SPOD_OK);
		if (!access) {
			json_array_append_new(arr, hex_json(e.ptr, e.len, 0));
			continue;
		}
		spod_rlp_iter_init(&in, &e);
		assert_int_equal(spod_rlp_next(&in, &x), SPOD_OK);
		json_t *o = json_pack("{s:o}", "address", hex_json(x.ptr, x.len, 0));
		assert_int_equal(spod_rlp_next(&in, &x), SPOD_OK);
		json_object_set_new(o, "storageKeys", list_json(&x, 0));
		json_array_append_new(arr, o);
	}
	return arr;
}

static const char *const fields[5][11] = {
    {"nonce", "gasPrice", "gas", "to", "value", "data", "chainId", NULL},
    {"chainId", "nonce", "gasPrice", "gas", "to", "value", "data", "accessList", NULL},
    {"chainId", "nonce", "maxPriorityFeePerGas", "maxFeePerGas", "gas", "to", "value", "data",
     "accessList", NULL},
    {"chainId", "nonce", "maxPriorityFeePerGas", "maxFeePerGas", "gas", "to", "value", "data",
     "accessList", "maxFeePerBlobGas", "blobVersionedHashes"},
    {"chainId", "nonce", "maxPriorityFeePerGas", "maxFeePerGas", "gas", "to", "value", "data",
     "accessList", "authorizationList", NULL},
};

/* EIP-7702's [[chain_id, address, nonce, y_parity, r, s]] back to JSON-RPC objects. */
static json_t *auth_json(const struct spod_rlp *l)
{
	static const char *const names[] = {"chainId", "address", "nonce", "yParity", "r", "s"};
	struct spod_rlp_iter it, in;
	struct spod_rlp e, x;
	json_t *arr = json_array();

	spod_rlp_iter_init(&it, l);
	while (spod_rlp_end(&it) != SPOD_OK) {
		json_t *o = json_object();

		assert_int_equal(spod_rlp_next(&it, &e), SPOD_OK);
		spod_rlp_iter_init(&in, &e);
		for (unsigned i = 0; i < 6; i++) {
			assert_int_equal(spod_rlp_next(&in, &x), SPOD_OK);
			json_object_set_new(o, names[i], hex_json(x.ptr, x.len, i != 1));
		}
		json_array_append_new(arr, o);
	}
	return arr;
}

/* The transaction object of an unsigned serialization of type (0..4). */
static json_t *object_of(const uint8_t *tx, size_t len, unsigned type)
{
	struct spod_rlp l, e;
	struct spod_rlp_iter it;
	json_t *o = json_object();

	assert_int_equal(spod_rlp_decode(&l, tx + (type > 0), len - (type > 0)), SPOD_OK);
	spod_rlp_iter_init(&it, &l);
	for (unsigned i = 0; i < 11 && fields[type][i] != NULL && spod_rlp_end(&it) != SPOD_OK;
	     i++) {
		const char *f = fields[type][i];

		assert_int_equal(spod_rlp_next(&it, &e), SPOD_OK);
		if (strcmp(f, "authorizationList") == 0)
			json_object_set_new(o, f, auth_json(&e));
		else if (strcmp(f, "accessList") == 0 || strcmp(f, "blobVersionedHashes") == 0)
			json_object_set_new(o, f, list_json(&e, f[0] == 'a'));
		else if (strcmp(f, "to") == 0 || strcmp(f, "data") == 0)
			json_object_set_new(o, f,
			                    e.len == 0 && f[0] == 't' ? json_null()
			                                              : hex_json(e.ptr, e.len, 0));
		else
			json_object_set_new(o, f, hex_json(e.ptr, e.len, 1));
	}
	json_object_set_new(o, "type", json_integer(type));
	return o;
}

static void test_builder_ethers(void **state)
{
	static uint8_t tx[SPOD_TX_MAX_BYTES], built[SPOD_TX_MAX_BYTES];
	char *line = malloc(LINE_BYTES), err[SPOD_ETH_TX_ERR_BYTES];
	FILE *f = fopen(SPOD_TEST_DATA "/ethereum/ethers.txt", "r");
	unsigned kind = 0, n = 0;

	(void)state;
	assert_non_null(f);
	assert_non_null(line);
	while (fgets(line, LINE_BYTES, f) != NULL) {
		size_t tx_len = 0, ll = strcspn(line, "\n");
		struct spod_eth_tx_out out;
		json_t *o;

		line[ll] = '\0';
		if (strncmp(line, "kind ", 5) == 0)
			kind = (unsigned)atoi(line + 5);
		if (strncmp(line, "unsigned ", 9) != 0 || kind < 1 || kind > 5)
			continue;
		assert_int_equal(spod_hex_decode(tx, sizeof(tx), &tx_len, line + 9), SPOD_OK);
		o = object_of(tx, tx_len, kind - 1);
		if (spod_eth_tx_from_json(&out, built, sizeof(built), o, err) != SPOD_OK)
			fail_msg("%s: %s %s", line + 9, err, json_dumps(o, 0));
		assert_int_equal(out.type, kind - 1);
		assert_int_equal(out.len, tx_len);
		assert_memory_equal(built, tx, tx_len);
		/*
		 * Without "type" the fee fields choose it, and an authorization list makes it a
		 * set-code transaction (a blob transaction always names it).
		 */
		json_object_del(o, "type");
		if (kind != 4) {
			assert_int_equal(spod_eth_tx_from_json(&out, built, sizeof(built), o, err),
			                 SPOD_OK);
			assert_int_equal(out.len, tx_len);
			assert_memory_equal(built, tx, tx_len);
		}
		json_decref(o);
		n++;
	}
	fclose(f);
	free(line);
	assert_true(n >= 11);
}

static int build_err(const char *json, char *err)
{
	static uint8_t buf[SPOD_TX_MAX_BYTES];
	struct spod_eth_tx_out out;
	json_t *o = json_loads(json, 0, NULL);
	int rc;

	assert_non_null(o);
	rc = spod_eth_tx_from_json(&out, buf, sizeof(buf), o, err);
	json_decref(o);
	return rc;
}

static void test_builder_errors(void **state)
{
	static const struct {
		const char *json, *err;
	} cases[] = {
	    {"{\"gas\":\"0x5208\",\"maxFeePerGas\":1,\"maxPriorityFeePerGas\":1,\"chainId\":1}",
	     "nonce: required"},
	    {"{\"nonce\":0,\"maxFeePerGas\":1,\"maxPriorityFeePerGas\":1,\"chainId\":1}",
	     "gas: required"},
	    {"{\"nonce\":0,\"gas\":1,\"maxFeePerGas\":1,\"chainId\":1}",
	     "maxPriorityFeePerGas: required"},
	    {"{\"nonce\":0,\"gas\":1,\"maxFeePerGas\":1,\"maxPriorityFeePerGas\":1}",
	     "chainId: required"},
	    {"{\"nonce\":0,\"gas\":1}", "gasPrice: required"},
	    {"{\"nonce\":0,\"gas\":1,\"gasPrice\":1,\"to\":\"0x12\"}", "to: not an address"},
	    {"{\"nonce\":\"0xzz\",\"gas\":1,\"gasPrice\":1}", "nonce: not a quantity"},
	    {"{\"nonce\":-1,\"gas\":1,\"gasPrice\":1}", "nonce: not a quantity"},
	    {"{\"nonce\":0,\"gas\":1,\"gasPrice\":1,\"data\":\"0x123\"}", "data: not 0x hex"},
	    {"{\"nonce\":0,\"gas\":1,\"gasPrice\":1,\"data\":\"0x12\",\"input\":\"0x13\"}",
	     "input: differs"},
	    {"{\"nonce\":0,\"gas\":1,\"gasPrice\":1,\"bogus\":1}", "transaction: unknown field"},
	    {"{\"nonce\":0,\"gas\":1,\"gasPrice\":1,\"type\":\"0x5\"}", "type: not"},
	    {"{\"nonce\":0,\"gas\":1,\"gasPrice\":1,\"maxFeePerGas\":1}", "gasPrice: not with"},
	    {"{\"nonce\":0,\"gas\":1,\"gasPrice\":1,\"chainId\":1,\"accessList\":[{\"address\":1}]"
	     "}",
	     "accessList: an entry"},
	    {"[]", "transaction: not an object"},
	};
	char err[SPOD_ETH_TX_ERR_BYTES];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(build_err(cases[i].json, err), SPOD_E_BAD_ARG);
		if (strncmp(err, cases[i].err, strlen(cases[i].err)) != 0)
			fail_msg("case %zu: %s", i, err);
	}
	/* A 0x quantity with leading zeros is tolerated; 2^256 - 1 fits, 2^256 does not. */
	assert_int_equal(
	    build_err("{\"nonce\":\"0x0001\",\"gas\":1,\"gasPrice\":1,\"value\":\"0x"
	              "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\"}",
	              err),
	    SPOD_OK);
	assert_int_equal(
	    build_err("{\"nonce\":0,\"gas\":1,\"gasPrice\":1,\"value\":\"0x1"
	              "0000000000000000000000000000000000000000000000000000000000000000\"}",
	              err),
	    SPOD_E_BAD_ARG);
}

/* ---- the dispatcher over a fake pod ---- */

/* The account's address: ethers' 0xf39F...2266 (the Hardhat key #0). */
static const char ADDR[] = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

struct fake {
	int sign_rc;
	int list_rc;
	unsigned calls;
	uint8_t form;
	size_t in_len;
	uint8_t in[SPOD_TX_MAX_BYTES];
	const char *last_error;
};

static int fake_accounts(void *ctx, struct spod_eth_account *out, size_t cap, size_t *n)
{
	struct fake *f = ctx;

	assert_true(cap >= 1);
	if (f->list_rc < 0)
		return f->list_rc;
	memset(out[0].key_id, 0x11, sizeof(out[0].key_id));
	assert_int_equal(spod_hex_decode(out[0].addr, 20, n, ADDR), SPOD_OK);
	*n = 1;
	return SPOD_OK;
}

static int fake_sign(void *ctx, const uint8_t key_id[SPOD_KEY_ID_BYTES], uint8_t form,
                     const uint8_t *in, size_t in_len, uint8_t *out, size_t cap, size_t *out_len)
{
	struct fake *f = ctx;

	assert_int_equal(key_id[0], 0x11);
	f->calls++;
	f->form = form;
	f->in_len = in_len;
	memcpy(f->in, in, in_len);
	if (f->sign_rc < 0)
		return f->sign_rc;
	assert_true(cap >= 66);
	memset(out, 0xab, 64);
	out[64] = 28;
	*out_len = 65;
	if (form == 0) { /* a "signed transaction": 0xee and the unsigned bytes */
		out[0] = 0xee;
		memcpy(out + 1, in, in_len);
		*out_len = in_len + 1;
	}
	return SPOD_OK;
}

static const char *fake_last_error(void *ctx)
{
	return ((struct fake *)ctx)->last_error;
}

static const struct spod_eth_rpc_ops fake_ops = {fake_accounts, fake_sign, fake_last_error, NULL,
                                                 NULL};
static struct spod_eth_rpc rpc;
static struct fake fk;

/* Answers text; returns the answer as compact JSON text (static buffer) or "" for none. */
static const char *ask(const char *text)
{
	static char out[4096];
	json_t *a;
	char *s;

	rpc.ops = &fake_ops;
	rpc.ctx = &fk;
	a = spod_eth_rpc_handle(&rpc, text, strlen(text));
	if (a == NULL)
		return "";
	s = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(a);
	assert_non_null(s);
	snprintf(out, sizeof(out), "%s", s);
	free(s);
	return out;
}

#define SIG65                                                                                      \
	"0xababababababababababababababababababababababababababababababababababababababababababab" \
	"ababababababababababababababababababababab1c"

static void test_rpc_methods(void **state)
{
	(void)state;
	memset(&fk, 0, sizeof(fk));
	assert_string_equal(ask("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"health_status\"}"),
	                    "{\"id\":1,\"jsonrpc\":\"2.0\",\"result\":\"ok\"}");
	assert_string_equal(
	    ask("{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"method\":\"eth_accounts\","
	        "\"params\":[]}"),
	    "{\"id\":\"a\",\"jsonrpc\":\"2.0\",\"result\":[\"0xf39Fd6e51aad88F6F4ce6aB"
	    "8827279cffFb92266\"]}");
	/* personal_sign(data, address); eth_sign(address, data): the same EIP-191 message. */
	assert_string_equal(
	    ask("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"personal_sign\","
	        "\"params\":[\"0x68656c6c6f\",\"0xf39fd6e51aad88f6f4ce6ab8827279cfff"
	        "b92266\"]}"),
	    "{\"id\":2,\"jsonrpc\":\"2.0\",\"result\":\"" SIG65 "\"}");
	assert_int_equal(fk.form, SPOD_TX_FORM_EIP191);
	assert_int_equal(fk.in_len, 5);
	assert_memory_equal(fk.in, "hello", 5);
	fk.in_len = 0;
	ask("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"eth_sign\",\"params\":["
	    "\"0xf39fd6e51aad88f6f4"
	    "ce6ab8827279cfffb92266\",\"hi there\"]}");
	assert_int_equal(fk.in_len, 8); /* not hex: the text's bytes */
	/* The wrong order is an unknown address or a bad address, never a signature. */
	assert_non_null(strstr(ask("{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"personal_sign\","
	                           "\"params\":[\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\","
	                           "\"0x68656c6c6f\"]}"),
	                       "\"code\":-32602"));
	/* Typed data as an object and as a string. */
	const char *td = "{\"types\":{\"EIP712Domain\":[{\"name\":\"name\",\"type\":\"string\"}],"
	                 "\"M\":[{\"name\":\"x\",\"type\":\"uint256\"}]},\"primaryType\":\"M\","
	                 "\"domain\":{\"name\":\"t\"},\"message\":{\"x\":\"1\"}}";
	char req[1024];

	snprintf(
	    req, sizeof(req),
	    "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"eth_signTypedData_v4\",\"params\":[\"%s\","
	    "%s]}",
	    ADDR, td);
	assert_string_equal(ask(req), "{\"id\":5,\"jsonrpc\":\"2.0\",\"result\":\"" SIG65 "\"}");
	assert_int_equal(fk.form, SPOD_TX_FORM_EIP712);
	json_t *s = json_string(td);
	char *quoted = json_dumps(s, JSON_ENCODE_ANY);

	snprintf(
	    req, sizeof(req),
	    "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"eth_signTypedData_v4\",\"params\":[\"%s\","
	    "%s]}",
	    ADDR, quoted);
	free(quoted);
	json_decref(s);
	assert_string_equal(ask(req), "{\"id\":6,\"jsonrpc\":\"2.0\",\"result\":\"" SIG65 "\"}");
	/* eth_signTransaction: the unsigned EIP-1559 bytes go to sign.tx (form 0). */
	assert_string_equal(
	    ask("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"eth_signTransaction\",\"params\":[{"
	        "\"from\":\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\",\"to\":null,\"nonce\":"
	        "\"0x0\","
	        "\"gas\":\"0x5208\",\"maxFeePerGas\":\"0x1\",\"maxPriorityFeePerGas\":\"0x1\","
	        "\"chainId\":\"0x1\"}]}"),
	    "{\"id\":7,\"jsonrpc\":\"2.0\",\"result\":\"0xee02cb01800101825208808080c0\"}");
	assert_int_equal(fk.form, 0);
}

static void test_rpc_errors(void **state)
{
	(void)state;
	memset(&fk, 0, sizeof(fk));
	assert_string_equal(ask("{\"jsonrpc\":\"2.0\",\"id\":1,"),
	                    "{\"error\":{\"code\":-32700,\"message\":\"parse error\"},\"id\":null,"
	                    "\"jsonrpc\":\"2.0\"}");
	assert_non_null(strstr(ask("{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"x\"}"), "-32600"));
	assert_non_null(strstr(ask("{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"x\"}"), "-32600"));
	assert_non_null(strstr(ask("[]"), "-32600"));
	assert_non_null(strstr(ask("42"), "-32600"));
	assert_non_null(
	    strstr(ask("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_sendTransaction\"}"),
	           "{\"code\":-32601"));
	assert_non_null(
	    strstr(ask("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_sign\",\"params\":"
	               "{\"a\":1}}"),
	           "-32602"));
	/* A missing nonce names the field. */
	assert_non_null(
	    strstr(ask("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_signTransaction\","
	               "\"params\":[{\"from\":\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\","
	               "\"gas\":1,\"gasPrice\":1}]}"),
	           "\"message\":\"nonce: required"));
	/* from must be an account of the token. */
	assert_non_null(
	    strstr(ask("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_signTransaction\","
	               "\"params\":[{\"from\":\"0x0000000000000000000000000000000000000001\","
	               "\"nonce\":1,\"gas\":1,\"gasPrice\":1}]}"),
	           "is not an account of this token"));
	assert_int_equal(fk.calls, 0);
	/* A policy refusal: -32000 with the rule and the reason. */
	fk.sign_rc = SPOD_E_POLICY_DENIED;
	fk.last_error = "sign.tx: denied by rule \"small\": value over the limit";
	assert_string_equal(
	    ask("{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"personal_sign\",\"params\":"
	        "[\"0x00\",\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\"]}"),
	    "{\"error\":{\"code\":-32000,\"data\":{\"code\":\"POLICY_DENIED\",\"reason\":"
	    "\"value over the limit\",\"rule\":\"small\"},\"message\":\"denied by rule "
	    "\\\"small\\\": value over the limit\"},\"id\":9,\"jsonrpc\":\"2.0\"}");
	/* A broken connection ends the body: no answer, the error for the HTTP layer. */
	fk.sign_rc = SPOD_E_CLOSED;
	assert_string_equal(
	    ask("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"health_status\"},"
	        "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"personal_sign\",\"params\":"
	        "[\"0x00\",\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\"]}]"),
	    "");
	assert_int_equal(rpc.fatal, SPOD_E_CLOSED);
	fk.sign_rc = 0;
	fk.list_rc = SPOD_E_UNAUTHENTICATED;
	assert_string_equal(ask("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_accounts\"}"), "");
	assert_int_equal(rpc.fatal, SPOD_E_UNAUTHENTICATED);
}

static void test_rpc_batch(void **state)
{
	char big[16 * 1024];
	size_t off = 0;

	(void)state;
	memset(&fk, 0, sizeof(fk));
	/* In order; the notification (no id) has no answer; an invalid member its own error. */
	assert_string_equal(
	    ask("[{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"health_status\"},"
	        "{\"jsonrpc\":\"2.0\",\"method\":\"health_status\"},"
	        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"nope\"},1,"
	        "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"eth_accounts\"}]"),
	    "[{\"id\":3,\"jsonrpc\":\"2.0\",\"result\":\"ok\"},{\"error\":{\"code\":-32601,"
	    "\"message\":"
	    "\"the method nope does not exist/is not available\"},\"id\":1,\"jsonrpc\":\"2.0\"},"
	    "{\"error\":{\"code\":-32600,\"message\":\"invalid request\"},\"id\":null,\"jsonrpc\":"
	    "\"2.0\"},{\"id\":2,\"jsonrpc\":\"2.0\",\"result\":[\""
	    "0xf39Fd6e51aad88F6F4ce6aB8827279"
	    "cffFb92266\"]}]");
	/* Only notifications: nothing at all. */
	assert_string_equal(ask("{\"jsonrpc\":\"2.0\",\"method\":\"health_status\"}"), "");
	assert_string_equal(ask("[{\"jsonrpc\":\"2.0\",\"method\":\"eth_accounts\"}]"), "");
	/* At most SPOD_ETH_RPC_MAX_BATCH requests. */
	big[off++] = '[';
	for (unsigned i = 0; i <= SPOD_ETH_RPC_MAX_BATCH; i++)
		off += (size_t)snprintf(
		    big + off, sizeof(big) - off,
		    "%s{\"jsonrpc\":\"2.0\",\"id\":%u,\"method\":\"health_status\"}",
		    i > 0 ? "," : "", i);
	snprintf(big + off, sizeof(big) - off, "]");
	assert_non_null(strstr(ask(big), "-32600"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_builder_ethers), cmocka_unit_test(test_builder_errors),
	    cmocka_unit_test(test_rpc_methods),    cmocka_unit_test(test_rpc_errors),
	    cmocka_unit_test(test_rpc_batch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
