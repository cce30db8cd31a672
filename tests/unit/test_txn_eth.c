/*
 * The Ethereum decoder (src/txn/eth.c) against independent implementations:
 *   - the EIP-155 example from the EIP text, decoded, hashed and signed with spod_sign to
 *     the published signed bytes;
 *   - every vector of tests/data/ethereum/ethers.txt (ethers v6; see its README): hash,
 *     every summary field, and the signature or signed transaction byte for byte;
 * then malformed transactions, each refused with its code, and write_signed's errors.
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
#include "crypto/sign.h"
#include "spod/err.h"
#include "txn/eth.h"
#include "txn/rlp.h"

#define VECTORS      SPOD_TEST_DATA "/ethereum/ethers.txt"
#define MAX_TX_BYTES 4096

static size_t unhex(uint8_t *out, size_t cap, const char *text)
{
	size_t n;

	if (strcmp(text, "-") == 0)
		return 0;
	assert_int_equal(spod_hex_decode(out, cap, &n, text), SPOD_OK);
	return n;
}

static void assert_view_hex(const struct spod_view *v, const char *text)
{
	uint8_t buf[MAX_TX_BYTES];
	size_t n = unhex(buf, sizeof(buf), text);

	assert_int_equal(v->len, n);
	if (n > 0)
		assert_memory_equal(v->ptr, buf, n);
	else
		assert_null(v->ptr);
}

static void assert_u256_hex(const struct spod_u256 *v, const char *text)
{
	uint8_t buf[32];

	assert_int_equal(unhex(buf, sizeof(buf), text), 32);
	assert_memory_equal(v->be, buf, 32);
}

static int crypto_setup(void **state)
{
	(void)state;
	return spod_crypto_init(0) == SPOD_OK ? 0 : -1;
}

static int crypto_teardown(void **state)
{
	(void)state;
	spod_crypto_cleanup();
	return 0;
}

/* Signs digest with the secp256k1 key key_hex (RFC 6979, low-S). */
static void sign_digest(uint8_t sig[64], uint8_t *recid, const char *key_hex,
                        const uint8_t digest[32])
{
	struct spod_secret_key sk = {0};
	uint8_t key[32];
	uint8_t pub[SPOD_PUB_MAX_BYTES];
	uint8_t out[SPOD_SIG_MAX_BYTES];
	size_t pub_len, sig_len;

	assert_int_equal(unhex(key, sizeof(key), key_hex), 32);
	assert_int_equal(spod_key_import(&sk, pub, &pub_len, SPOD_ALG_SECP256K1, key, sizeof(key)),
	                 SPOD_OK);
	assert_int_equal(spod_sign(out, &sig_len, recid, &sk, SPOD_MODE_DIGEST, digest, 32),
	                 SPOD_OK);
	assert_int_equal(sig_len, 64);
	assert_true(*recid <= 1);
	memcpy(sig, out, 64);
	spod_key_wipe(&sk);
}

/* The EIP-155 example, with the bytes as the EIP text publishes them. */
static void test_eip155_example(void **state)
{
	static const char unsigned_hex[] =
	    "ec098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a7640000"
	    "80018080";
	static const char signed_hex[] =
	    "f86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a7640000"
	    "8025a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d899"
	    "7f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83";
	uint8_t tx[64], expect[128], out[128], hash[32], sig[64];
	struct spod_tx_summary sum;
	struct spod_txn_eth eth;
	size_t n, expect_len, out_len;
	uint8_t recid;

	(void)state;
	n = unhex(tx, sizeof(tx), unsigned_hex);
	assert_int_equal(spod_txn_eth_decode(tx, n, &sum, &eth), SPOD_OK);
	unhex(hash, sizeof(hash),
	      "daf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53");
	assert_memory_equal(sum.digest, hash, 32);
	assert_int_equal(sum.chain, SPOD_CHAIN_ETHEREUM);
	assert_int_equal(sum.kind, SPOD_TX_ETH_LEGACY);
	assert_int_equal(sum.chain_id, 1);
	assert_int_equal(sum.flags, 0);
	assert_view_hex(&sum.to, "3535353535353535353535353535353535353535");
	assert_u256_hex(&sum.value,
	                "0000000000000000000000000000000000000000000000000de0b6b3a7640000");
	assert_int_equal(sum.n_transfers, 1);
	assert_int_equal(sum.transfers[0].asset, SPOD_ASSET_NATIVE);
	assert_int_equal(eth.eip155, 1);

	sign_digest(sig, &recid, "4646464646464646464646464646464646464646464646464646464646464646",
	            sum.digest);
	assert_int_equal(
	    spod_txn_eth_write_signed(tx, n, &eth, sig, recid, out, sizeof(out), &out_len),
	    SPOD_OK);
	expect_len = unhex(expect, sizeof(expect), signed_hex);
	assert_int_equal(out_len, expect_len);
	assert_memory_equal(out, expect, expect_len);
}

struct vector {
	char name[64];
	int kind;
	char unsigned_hex[2 * MAX_TX_BYTES + 1];
	char key[65];
	char hash[65];
	char signed_hex[2 * MAX_TX_BYTES + 1];
	char chain_id[24];
	char to[41], value[65], selector[9], flags[8];
	char data[2 * MAX_TX_BYTES + 1];
	char transfers[SPOD_TX_MAX_TRANSFERS][256];
	size_t n_transfers;
	char delegates[SPOD_TX_MAX_DELEGATES][41];
	size_t n_delegates;
};

static void copy_field(char *dst, size_t cap, const char *value)
{
	assert_true(strlen(value) < cap);
	strcpy(dst, value);
}

static void check_vector(const struct vector *v)
{
	static uint8_t in[MAX_TX_BYTES], expect[MAX_TX_BYTES], out[MAX_TX_BYTES];
	struct spod_tx_summary sum;
	struct spod_txn_eth eth;
	uint8_t hash[32], sig[64], recid;
	size_t n, expect_len, out_len;

	print_message("vector %s\n", v->name);
	n = unhex(in, sizeof(in), v->unsigned_hex);
	if (v->kind <= SPOD_TX_ETH_7702)
		assert_int_equal(spod_txn_eth_decode(in, n, &sum, &eth), SPOD_OK);
	else if (v->kind == SPOD_TX_ETH_7702_AUTH)
		assert_int_equal(spod_txn_eth_auth_hash(in, n, &sum), SPOD_OK);
	else
		assert_int_equal(spod_txn_eth_eip191(in, n, &sum), SPOD_OK);

	assert_int_equal(sum.chain, SPOD_CHAIN_ETHEREUM);
	assert_int_equal(sum.kind, v->kind);
	assert_int_equal(unhex(hash, sizeof(hash), v->hash), 32);
	assert_memory_equal(sum.digest, hash, 32);
	assert_true(sum.chain_id == strtoull(v->chain_id, NULL, 10));
	assert_view_hex(&sum.to, v->to);
	assert_u256_hex(&sum.value, v->value);
	assert_view_hex(&sum.data, v->data);
	assert_view_hex(&sum.selector, v->selector);
	assert_int_equal(sum.flags, atoi(v->flags));
	assert_int_equal(sum.from.len, 0);
	assert_int_equal(sum.n_transfers, v->n_transfers);
	for (size_t i = 0; i < v->n_transfers; i++) {
		char asset[4], dec[4], token[41], to[41], amount[65];
		const struct spod_tx_transfer *t = &sum.transfers[i];
		assert_int_equal(sscanf(v->transfers[i], "%3s %3s %40s %40s %64s", asset, dec,
		                        token, to, amount),
		                 5);
		assert_int_equal(t->asset, atoi(asset));
		assert_int_equal(t->decimals, atoi(dec));
		assert_view_hex(&t->token, token);
		assert_view_hex(&t->to, to);
		assert_u256_hex(&t->amount, amount);
	}
	assert_int_equal(sum.n_delegates, v->n_delegates);
	for (size_t i = 0; i < v->n_delegates; i++)
		assert_view_hex(&sum.delegates[i], v->delegates[i]);

	sign_digest(sig, &recid, v->key, sum.digest);
	expect_len = unhex(expect, sizeof(expect), v->signed_hex);
	if (v->kind <= SPOD_TX_ETH_7702) {
		assert_int_equal(
		    spod_txn_eth_write_signed(in, n, &eth, sig, recid, out, sizeof(out), &out_len),
		    SPOD_OK);
		assert_int_equal(out_len, expect_len);
		assert_memory_equal(out, expect, expect_len);
		/* One byte less room than needed is refused. */
		assert_int_equal(
		    spod_txn_eth_write_signed(in, n, &eth, sig, recid, out, out_len - 1, &out_len),
		    SPOD_E_TOO_LARGE);
		assert_int_equal(out_len, 0);
	} else {
		assert_int_equal(expect_len, 65);
		assert_memory_equal(sig, expect, 64);
		assert_int_equal(expect[64], v->kind == SPOD_TX_ETH_EIP191 ? 27 + recid : recid);
	}
}

static void test_ethers_vectors(void **state)
{
	static char line[2 * MAX_TX_BYTES + 64];
	static struct vector v;
	FILE *f = fopen(VECTORS, "r");
	size_t count = 0, kinds_seen = 0;

	(void)state;
	assert_non_null(f);
	memset(&v, 0, sizeof(v));
	while (fgets(line, sizeof(line), f) != NULL) {
		char *value;
		size_t len = strlen(line);
		assert_true(len > 0 && line[len - 1] == '\n');
		line[strcspn(line, "\n")] = '\0'; /* (not line[len - 1]: -O3 cannot see len > 0) */
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (strcmp(line, "end") == 0) {
			check_vector(&v);
			kinds_seen |= 1u << v.kind;
			count++;
			memset(&v, 0, sizeof(v));
			continue;
		}
		value = strchr(line, ' ');
		assert_non_null(value);
		*value++ = '\0';
		if (strcmp(line, "name") == 0)
			copy_field(v.name, sizeof(v.name), value);
		else if (strcmp(line, "kind") == 0)
			v.kind = atoi(value);
		else if (strcmp(line, "unsigned") == 0)
			copy_field(v.unsigned_hex, sizeof(v.unsigned_hex), value);
		else if (strcmp(line, "key") == 0)
			copy_field(v.key, sizeof(v.key), value);
		else if (strcmp(line, "hash") == 0)
			copy_field(v.hash, sizeof(v.hash), value);
		else if (strcmp(line, "signed") == 0)
			copy_field(v.signed_hex, sizeof(v.signed_hex), value);
		else if (strcmp(line, "chain_id") == 0)
			copy_field(v.chain_id, sizeof(v.chain_id), value);
		else if (strcmp(line, "to") == 0)
			copy_field(v.to, sizeof(v.to), value);
		else if (strcmp(line, "value") == 0)
			copy_field(v.value, sizeof(v.value), value);
		else if (strcmp(line, "data") == 0)
			copy_field(v.data, sizeof(v.data), value);
		else if (strcmp(line, "selector") == 0)
			copy_field(v.selector, sizeof(v.selector), value);
		else if (strcmp(line, "flags") == 0)
			copy_field(v.flags, sizeof(v.flags), value);
		else if (strcmp(line, "transfer") == 0 && v.n_transfers < SPOD_TX_MAX_TRANSFERS)
			copy_field(v.transfers[v.n_transfers++], sizeof(v.transfers[0]), value);
		else if (strcmp(line, "delegate") == 0 && v.n_delegates < SPOD_TX_MAX_DELEGATES)
			copy_field(v.delegates[v.n_delegates++], sizeof(v.delegates[0]), value);
		else
			fail_msg("unknown line '%s' in %s", line, VECTORS);
	}
	fclose(f);
	/* Every kind this decoder handles has at least one vector. */
	assert_true(count >= 19);
	for (int k = SPOD_TX_ETH_LEGACY; k <= SPOD_TX_ETH_EIP191; k++)
		assert_true(kinds_seen & (1u << k));
}

/*
 * Builds type || rlp([items...]) (legacy when type is 0) from already encoded items given as
 * hex; returns the length.
 */
static size_t build(uint8_t *out, size_t cap, uint8_t type, const char *const *items, size_t n)
{
	uint8_t payload[MAX_TX_BYTES];
	struct spod_rlp_w p = {.p = payload, .cap = sizeof(payload), .len = 0};
	struct spod_rlp_w w = {.p = out, .cap = cap, .len = 0};

	for (size_t i = 0; i < n; i++) {
		uint8_t item[MAX_TX_BYTES];
		size_t len = unhex(item, sizeof(item), items[i]);
		assert_int_equal(spod_rlp_put_raw(&p, item, len), SPOD_OK);
	}
	if (type != 0)
		assert_int_equal(spod_rlp_put_raw(&w, &type, 1), SPOD_OK);
	assert_int_equal(spod_rlp_put_header(&w, 1, p.len), SPOD_OK);
	assert_int_equal(spod_rlp_put_raw(&w, payload, p.len), SPOD_OK);
	return w.len;
}

#define ADDR          "94a0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"
#define KEY32         "a00000000000000000000000000000000000000000000000000000000000000001"
#define SIG32         "a01111111111111111111111111111111111111111111111111111111111111111"
#define BLOB_HASH     "a0010000000000000000000000000000000000000000000000000000000000abcd"
#define TRANSFER_HEAD "a9059cbb00000000000000000000000070997970c51812dc3a010c7d01b50e0d17dc79c8"
#define AMOUNT        "00000000000000000000000000000000000000000000000000000000499602d2"

/* Decodes the built transaction and expects code; a failure leaves the summary zeroed. */
static void expect_code(uint8_t type, const char *const *items, size_t n, int code)
{
	static const uint8_t zero[sizeof(struct spod_tx_summary)];
	uint8_t tx[MAX_TX_BYTES];
	struct spod_tx_summary sum;
	struct spod_txn_eth eth;
	size_t len = build(tx, sizeof(tx), type, items, n);

	assert_int_equal(spod_txn_eth_decode(tx, len, &sum, &eth), code);
	if (code != SPOD_OK)
		assert_memory_equal(&sum, zero, sizeof(sum));
}

static void test_malformed_legacy(void **state)
{
	const char *f[] = {"09", "8504a817c800", "825208", ADDR, "80",
	                   "80", "01",           "80",     "80", "80"};

	(void)state;
	expect_code(0, f, 6, SPOD_OK);
	expect_code(0, f, 9, SPOD_OK);
	/* Field counts other than 6 and 9. */
	expect_code(0, f, 5, SPOD_E_BAD_FIELD);
	expect_code(0, f, 7, SPOD_E_BAD_FIELD);
	expect_code(0, f, 8, SPOD_E_BAD_FIELD);
	expect_code(0, f, 10, SPOD_E_BAD_FIELD);
	/* Non-canonical integers: nonce 0 as the byte 0x00, gas with a leading zero. */
	f[0] = "00";
	expect_code(0, f, 6, SPOD_E_BAD_FIELD);
	f[0] = "8109";
	expect_code(0, f, 6, SPOD_E_BAD_FIELD);
	f[0] = "09";
	f[2] = "83005208";
	expect_code(0, f, 6, SPOD_E_BAD_FIELD);
	f[2] = "825208";
	/* A 9-byte nonce, and EIP-2681's 2^64 - 1. */
	f[0] = "89010000000000000000";
	expect_code(0, f, 6, SPOD_E_TOO_LARGE);
	f[0] = "88ffffffffffffffff";
	expect_code(0, f, 6, SPOD_E_BAD_FIELD);
	f[0] = "88fffffffffffffffe";
	expect_code(0, f, 6, SPOD_OK);
	f[0] = "09";
	/* EIP-155: chain id 0, non-zero r or s placeholders, a chain id above EIP-2294. */
	f[6] = "80";
	expect_code(0, f, 9, SPOD_E_BAD_FIELD);
	f[6] = "01";
	f[7] = "01";
	expect_code(0, f, 9, SPOD_E_BAD_FIELD);
	f[7] = "80";
	f[8] = "00";
	expect_code(0, f, 9, SPOD_E_BAD_FIELD);
	f[8] = "80";
	f[6] = "887fffffffffffffdc";
	expect_code(0, f, 9, SPOD_E_TOO_LARGE);
	f[6] = "887fffffffffffffdb";
	expect_code(0, f, 9, SPOD_OK);
	f[6] = "01";
	/* `to` of 19 or 21 bytes, or a list. */
	f[3] = "93a0b86991c6218b36c1d19d4a2e9eb0ce3606eb";
	expect_code(0, f, 6, SPOD_E_BAD_FIELD);
	f[3] = "95a0b86991c6218b36c1d19d4a2e9eb0ce3606eb4800";
	expect_code(0, f, 6, SPOD_E_BAD_FIELD);
	f[3] = "c0";
	expect_code(0, f, 6, SPOD_E_BAD_FIELD);
	f[3] = ADDR;
	/* data as a list. */
	f[5] = "c0";
	expect_code(0, f, 6, SPOD_E_BAD_FIELD);
}

static void test_malformed_typed(void **state)
{
	/* 0x02: chainId, nonce, maxPriorityFee, maxFee, gas, to, value, data, accessList */
	const char *f[] = {"01", "80", "01", "02", "825208", ADDR, "80", "80", "c0", "c0"};
	const char *al[] = {"01", "80", "01", "02", "825208", ADDR, "80", "80", "c0"};
	char access[256];

	(void)state;
	expect_code(2, f, 9, SPOD_OK);
	expect_code(1, f, 9, SPOD_E_BAD_FIELD); /* 0x01 has one fee: 8 fields */
	expect_code(2, f, 8, SPOD_E_BAD_FIELD);
	expect_code(2, f, 10, SPOD_E_BAD_FIELD);
	/* Unknown EIP-2718 types and a string where the legacy list would be. */
	{
		uint8_t tx[MAX_TX_BYTES];
		struct spod_tx_summary sum;
		struct spod_txn_eth eth;
		size_t len = build(tx, sizeof(tx), 2, f, 9);
		static const uint8_t bad_types[] = {0x00, 0x05, 0x7f, 0x80, 0xbf};
		for (size_t i = 0; i < sizeof(bad_types); i++) {
			tx[0] = bad_types[i];
			assert_int_equal(spod_txn_eth_decode(tx, len, &sum, &eth),
			                 SPOD_E_BAD_FIELD);
		}
		tx[0] = 2;
		/* Trailing bytes after the payload, and every truncation. */
		tx[len] = 0;
		assert_int_equal(spod_txn_eth_decode(tx, len + 1, &sum, &eth), SPOD_E_BAD_FIELD);
		for (size_t cut = 0; cut < len; cut++)
			assert_true(spod_txn_eth_decode(tx, cut, &sum, &eth) < 0);
		assert_int_equal(spod_txn_eth_decode(tx, 0, &sum, &eth), SPOD_E_TRUNCATED);
		assert_int_equal(spod_txn_eth_decode(tx, 1, &sum, &eth), SPOD_E_TRUNCATED);
		assert_int_equal(spod_txn_eth_decode(NULL, 5, &sum, &eth), SPOD_E_BAD_ARG);
	}
	/* Chain id 0 in a typed transaction. */
	f[0] = "80";
	expect_code(2, f, 9, SPOD_E_BAD_FIELD);
	f[0] = "01";

	/* Access lists: good, then a short address, a short key, a third element, a string. */
	snprintf(access, sizeof(access), "f838f7%s%s", ADDR, "e1" KEY32);
	al[8] = access;
	expect_code(2, al, 9, SPOD_OK);
	snprintf(access, sizeof(access), "f7f6%s%s", "93a0b86991c6218b36c1d19d4a2e9eb0ce3606eb",
	         "e1" KEY32);
	expect_code(2, al, 9, SPOD_E_BAD_FIELD);
	snprintf(access, sizeof(access), "f7f6%s%s", ADDR,
	         "e09f00000000000000000000000000000000000000000000000000000000000001");
	expect_code(2, al, 9, SPOD_E_BAD_FIELD);
	snprintf(access, sizeof(access), "f83af838%s%s", ADDR, "e1" KEY32 "80");
	expect_code(2, al, 9, SPOD_E_BAD_FIELD);
	snprintf(access, sizeof(access), "d6d5%s", ADDR);
	expect_code(2, al, 9, SPOD_E_BAD_FIELD);
	al[8] = "80";
	expect_code(2, al, 9, SPOD_E_BAD_FIELD);
	al[8] = "c180";
	expect_code(2, al, 9, SPOD_E_BAD_FIELD);
}

static void test_malformed_4844_7702(void **state)
{
	static const char blobs[] = "e1" BLOB_HASH; /* one hash */
	const char *f[] = {"01", "80", "01", "02", "825208", ADDR, "80", "80", "c0", "01", blobs};
	const char *g[] = {"01", "80", "01", "02", "825208", ADDR, "80", "80", "c0", NULL};
	char auths[4096];
	size_t off;

	(void)state;
	expect_code(3, f, 11, SPOD_OK);
	expect_code(3, f, 10, SPOD_E_BAD_FIELD);
	/* No `to`. */
	f[5] = "80";
	expect_code(3, f, 11, SPOD_E_BAD_FIELD);
	f[5] = ADDR;
	/* No blob hash, a wrong version byte, a 31-byte hash. */
	f[10] = "c0";
	expect_code(3, f, 11, SPOD_E_BAD_FIELD);
	f[10] = "e1a0020000000000000000000000000000000000000000000000000000000000abcd";
	expect_code(3, f, 11, SPOD_E_BAD_FIELD);
	f[10] = "e09f0100000000000000000000000000000000000000000000000000000000abcd";
	expect_code(3, f, 11, SPOD_E_BAD_FIELD);

	/* 7702: one tuple [chain_id, address, nonce, y_parity, r, s]; r, s canonical integers. */
	g[9] = "f85cf85a01" ADDR "0701" SIG32 SIG32;
	expect_code(4, g, 10, SPOD_OK);
	g[5] = "80";
	expect_code(4, g, 10, SPOD_E_BAD_FIELD);
	g[5] = ADDR;
	g[9] = "c0";
	expect_code(4, g, 10, SPOD_E_BAD_FIELD);
	/* A tuple with five elements, a short address, y_parity 256. */
	g[9] = "f83bf83901" ADDR "0701" SIG32;
	expect_code(4, g, 10, SPOD_E_BAD_FIELD);
	g[9] = "f85bf85901"
	       "93a0b86991c6218b36c1d19d4a2e9eb0ce3606eb"
	       "0701" SIG32 SIG32;
	expect_code(4, g, 10, SPOD_E_BAD_FIELD);
	g[9] = "f85ef85c01" ADDR "07820100" SIG32 SIG32;
	expect_code(4, g, 10, SPOD_E_TOO_LARGE);
	g[9] = "f85cf85a01" ADDR "0701" SIG32 KEY32; /* s with a leading zero byte */
	expect_code(4, g, 10, SPOD_E_BAD_FIELD);
	/* 16 tuples fit the summary, 17 do not. */
	for (size_t count = 16; count <= 17; count++) {
		off = (size_t)snprintf(auths, sizeof(auths), "f9%04zx", count * 92);
		for (size_t i = 0; i < count; i++)
			off += (size_t)snprintf(auths + off, sizeof(auths) - off,
			                        "f85a01%s0701%s%s", ADDR, SIG32, SIG32);
		g[9] = auths;
		expect_code(4, g, 10, count == 16 ? SPOD_OK : SPOD_E_TOO_LARGE);
	}
}

static void test_erc20_strict(void **state)
{
	const char *f[] = {"01", "80", "01", "02", "825208", ADDR, "80", NULL, "c0"};
	uint8_t tx[MAX_TX_BYTES];
	struct spod_tx_summary sum;
	struct spod_txn_eth eth;
	size_t len;

	(void)state;
	f[7] = "b844" TRANSFER_HEAD AMOUNT;
	len = build(tx, sizeof(tx), 2, f, 9);
	assert_int_equal(spod_txn_eth_decode(tx, len, &sum, &eth), SPOD_OK);
	assert_int_equal(sum.n_transfers, 1);
	assert_int_equal(sum.transfers[0].asset, SPOD_ASSET_TOKEN);
	assert_int_equal(sum.flags, 0);
	/* One byte more or less, and a dirty address word, are refused. */
	f[7] = "b845" TRANSFER_HEAD AMOUNT "00";
	expect_code(2, f, 9, SPOD_E_BAD_FIELD);
	f[7] =
	    "b843" TRANSFER_HEAD "000000000000000000000000000000000000000000000000000000499602d2";
	expect_code(2, f, 9, SPOD_E_BAD_FIELD);
	f[7] =
	    "b844a9059cbb00000000000000000000000170997970c51812dc3a010c7d01b50e0d17dc79c8" AMOUNT;
	expect_code(2, f, 9, SPOD_E_BAD_FIELD);
	/* Another selector: an unknown call; three bytes: no selector, still unknown. */
	f[7] = "84095ea7b3";
	len = build(tx, sizeof(tx), 2, f, 9);
	assert_int_equal(spod_txn_eth_decode(tx, len, &sum, &eth), SPOD_OK);
	assert_int_equal(sum.flags, SPOD_TXF_UNKNOWN_CALL);
	assert_int_equal(sum.selector.len, 4);
	assert_int_equal(sum.n_transfers, 0);
	f[7] = "83095ea7";
	len = build(tx, sizeof(tx), 2, f, 9);
	assert_int_equal(spod_txn_eth_decode(tx, len, &sum, &eth), SPOD_OK);
	assert_int_equal(sum.flags, SPOD_TXF_UNKNOWN_CALL);
	assert_int_equal(sum.selector.len, 0);
	/* A transfer selector in init code is not a call. */
	f[5] = "80";
	f[7] = "b844" TRANSFER_HEAD AMOUNT;
	len = build(tx, sizeof(tx), 2, f, 9);
	assert_int_equal(spod_txn_eth_decode(tx, len, &sum, &eth), SPOD_OK);
	assert_int_equal(sum.flags, SPOD_TXF_CONTRACT_CREATE);
	assert_int_equal(sum.n_transfers, 0);
}

static void test_auth_and_eip191_errors(void **state)
{
	uint8_t in[128];
	struct spod_tx_summary sum;
	size_t n;

	(void)state;
	/* [1, address, 7], then one element more, one less, chain id 0x00, a 19-byte address. */
	n = unhex(in, sizeof(in), "d70194a0b86991c6218b36c1d19d4a2e9eb0ce3606eb4807");
	assert_int_equal(spod_txn_eth_auth_hash(in, n, &sum), SPOD_OK);
	assert_int_equal(sum.kind, SPOD_TX_ETH_7702_AUTH);
	n = unhex(in, sizeof(in), "d80194a0b86991c6218b36c1d19d4a2e9eb0ce3606eb480780");
	assert_int_equal(spod_txn_eth_auth_hash(in, n, &sum), SPOD_E_BAD_FIELD);
	assert_int_equal(sum.kind, 0);
	n = unhex(in, sizeof(in), "d60194a0b86991c6218b36c1d19d4a2e9eb0ce3606eb48");
	assert_int_equal(spod_txn_eth_auth_hash(in, n, &sum), SPOD_E_BAD_FIELD);
	n = unhex(in, sizeof(in), "d70094a0b86991c6218b36c1d19d4a2e9eb0ce3606eb4807");
	assert_int_equal(spod_txn_eth_auth_hash(in, n, &sum), SPOD_E_BAD_FIELD);
	n = unhex(in, sizeof(in), "d60193a0b86991c6218b36c1d19d4a2e9eb0ce3606eb07");
	assert_int_equal(spod_txn_eth_auth_hash(in, n, &sum), SPOD_E_BAD_FIELD);
	/* The tuple as a string; trailing bytes; a chain id above EIP-2294's bound. */
	n = unhex(in, sizeof(in), "970194a0b86991c6218b36c1d19d4a2e9eb0ce3606eb4807");
	assert_int_equal(spod_txn_eth_auth_hash(in, n, &sum), SPOD_E_BAD_FIELD);
	n = unhex(in, sizeof(in), "d70194a0b86991c6218b36c1d19d4a2e9eb0ce3606eb480700");
	assert_int_equal(spod_txn_eth_auth_hash(in, n, &sum), SPOD_E_BAD_FIELD);
	n = unhex(in, sizeof(in),
	          "df88ffffffffffffffff94a0b86991c6218b36c1d19d4a2e9eb0ce3606eb4807");
	assert_int_equal(spod_txn_eth_auth_hash(in, n, &sum), SPOD_E_TOO_LARGE);
	assert_int_equal(spod_txn_eth_auth_hash(NULL, 0, &sum), SPOD_E_TRUNCATED);
	assert_int_equal(spod_txn_eth_eip191(NULL, 1, &sum), SPOD_E_BAD_ARG);
	assert_int_equal(spod_txn_eth_eip191(NULL, 0, &sum), SPOD_OK);
}

static void test_write_signed_errors(void **state)
{
	const char *f[] = {"01", "80", "01", "02", "825208", ADDR, "80", "80", "c0"};
	uint8_t tx[MAX_TX_BYTES], out[256], sig[64];
	struct spod_tx_summary sum;
	struct spod_txn_eth eth, other;
	size_t len, out_len = 1;

	(void)state;
	len = build(tx, sizeof(tx), 2, f, 9);
	assert_int_equal(spod_txn_eth_decode(tx, len, &sum, &eth), SPOD_OK);
	memset(sig, 0x11, sizeof(sig));
	assert_int_equal(
	    spod_txn_eth_write_signed(tx, len, &eth, sig, 1, out, sizeof(out), &out_len), SPOD_OK);
	/* recid 2, r zero, s zero. */
	assert_int_equal(
	    spod_txn_eth_write_signed(tx, len, &eth, sig, 2, out, sizeof(out), &out_len),
	    SPOD_E_BAD_ARG);
	assert_int_equal(out_len, 0);
	memset(sig, 0, 32);
	assert_int_equal(
	    spod_txn_eth_write_signed(tx, len, &eth, sig, 0, out, sizeof(out), &out_len),
	    SPOD_E_BAD_ARG);
	memset(sig, 0x11, 32);
	memset(sig + 32, 0, 32);
	assert_int_equal(
	    spod_txn_eth_write_signed(tx, len, &eth, sig, 0, out, sizeof(out), &out_len),
	    SPOD_E_BAD_ARG);
	memset(sig + 32, 0x11, 32);
	/* eth that does not describe tx: another type byte, fields beyond the input. */
	other = eth;
	other.type = 1;
	assert_int_equal(
	    spod_txn_eth_write_signed(tx, len, &other, sig, 0, out, sizeof(out), &out_len),
	    SPOD_E_BAD_ARG);
	other = eth;
	other.fields_len = len;
	assert_int_equal(
	    spod_txn_eth_write_signed(tx, len, &other, sig, 0, out, sizeof(out), &out_len),
	    SPOD_E_BAD_ARG);
	assert_int_equal(
	    spod_txn_eth_write_signed(NULL, len, &eth, sig, 0, out, sizeof(out), &out_len),
	    SPOD_E_BAD_ARG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_eip155_example),
	    cmocka_unit_test(test_ethers_vectors),
	    cmocka_unit_test(test_malformed_legacy),
	    cmocka_unit_test(test_malformed_typed),
	    cmocka_unit_test(test_malformed_4844_7702),
	    cmocka_unit_test(test_erc20_strict),
	    cmocka_unit_test(test_auth_and_eip191_errors),
	    cmocka_unit_test(test_write_signed_errors),
	};

	return cmocka_run_group_tests(tests, crypto_setup, crypto_teardown);
}
