/*
 * The policy engine (src/policy/): the deterministic CBOR form is loaded from hand-written
 * bytes and every non-canonical variant is refused with its code; every match condition and
 * limit allows one summary and refuses another; first match decides, nothing matching is the
 * default deny; windows and rates roll over as now_s moves; the state survives its encoding.
 * Policies are built with the project's CBOR writer, summaries by hand. Policy bytes are
 * copied to exact-size heap buffers so ASan catches a read past them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "attest/cbor.h"
#include "crypto/hash.h"
#include "policy/policy.h"
#include "spod/err.h"
#include "txn/summary.h"

static const uint8_t ADDR_A[20] = {0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
                                   0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0x01};
static const uint8_t ADDR_B[20] = {0xbb, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb,
                                   0xbb, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb, 0x02};
static const uint8_t USDC[20] = {0xa0, 0xb8, 0x69, 0x91, 0xc6, 0x21, 0x8b, 0x36, 0xc1, 0xd1,
                                 0x9d, 0x4a, 0x2e, 0x9e, 0xb0, 0xce, 0x36, 0x06, 0xeb, 0x48};
static const uint8_t DAI[20] = {0x6b, 0x17, 0x54, 0x74, 0xe8, 0x90, 0x94, 0xc4, 0x4d, 0xa9,
                                0x8b, 0x95, 0x4e, 0xed, 0xea, 0xc4, 0x95, 0x27, 0x1d, 0x0f};
static const uint8_t TRANSFER_SEL[4] = {0xa9, 0x05, 0x9c, 0xbb};
static const uint8_t APPROVE_SEL[4] = {0x09, 0x5e, 0xa7, 0xb3};
static const uint8_t SYSTEM[32] = {0};
static uint8_t TOKEN_PROG[32], OTHER_PROG[32], SOL_DEST[32], SOL_DEST2[32], MINT[32];

#define ETH_1 1000000000000000000ull /* 1 ETH in wei */

/* A policy being written: begin, rules, end. */
struct pb {
	uint8_t buf[8192];
	struct spod_cbor_writer w;
};

static void pb_head(struct pb *b, enum spod_cbor_major mt, uint64_t n)
{
	assert_int_equal(spod_cbor_put_head(&b->w, mt, n), SPOD_OK);
}
static void pb_u(struct pb *b, uint64_t v)
{
	pb_head(b, SPOD_CBOR_MT_UINT, v);
}
static void pb_bytes(struct pb *b, const uint8_t *p, size_t n)
{
	assert_int_equal(spod_cbor_put_str(&b->w, SPOD_CBOR_MT_BSTR, p, n), SPOD_OK);
}
static void pb_text(struct pb *b, const char *s)
{
	assert_int_equal(spod_cbor_put_str(&b->w, SPOD_CBOR_MT_TSTR, s, strlen(s)), SPOD_OK);
}
static void pb_amount(struct pb *b, uint64_t v)
{
	uint8_t be[8];
	size_t i = 0;
	for (int j = 7; j >= 0; j--, v >>= 8)
		be[j] = (uint8_t)v;
	while (i < 8 && be[i] == 0)
		i++;
	pb_bytes(b, be + i, 8 - i);
}
static void pb_begin(struct pb *b, size_t n_rules)
{
	spod_cbor_writer_init(&b->w, b->buf, sizeof(b->buf));
	pb_head(b, SPOD_CBOR_MT_MAP, 2);
	pb_u(b, 1);
	pb_u(b, 1);
	pb_u(b, 2);
	pb_head(b, SPOD_CBOR_MT_ARRAY, n_rules);
}
/* Opens a rule of `pairs` members with its id (1) and effect (2). */
static void pb_rule(struct pb *b, size_t pairs, const char *id, int allow)
{
	pb_head(b, SPOD_CBOR_MT_MAP, pairs);
	pb_u(b, 1);
	pb_text(b, id);
	pb_u(b, 2);
	pb_u(b, allow ? 1 : 2);
}
static void pb_list1(struct pb *b, uint64_t key, const uint8_t *p, size_t n)
{
	pb_u(b, key);
	pb_head(b, SPOD_CBOR_MT_ARRAY, 1);
	pb_bytes(b, p, n);
}

/* The loaded policy, its buffer (heap, exact size) and a fresh state. */
static struct spod_policy g_p;
static struct spod_policy_state g_st;
static uint8_t *g_buf;

static int load_bytes(const uint8_t *p, size_t n)
{
	free(g_buf);
	g_buf = malloc(n ? n : 1);
	assert_non_null(g_buf);
	memcpy(g_buf, p, n);
	return spod_policy_load(g_buf, n, &g_p);
}

static void load_ok(struct pb *b)
{
	assert_int_equal(load_bytes(b->buf, b->w.len), SPOD_OK);
	spod_policy_state_init(&g_st, &g_p);
	/* The encoder gives back the loaded bytes exactly. */
	uint8_t again[8192];
	size_t n;
	assert_int_equal(spod_policy_encode(&g_p, again, sizeof(again), &n), SPOD_OK);
	assert_int_equal(n, b->w.len);
	assert_memory_equal(again, b->buf, n);
}

static void set_view(struct spod_view *v, const uint8_t *p, size_t n)
{
	v->ptr = p;
	v->len = n;
}

static void u256_set(struct spod_u256 *a, uint64_t v)
{
	memset(a->be, 0, 32);
	for (int j = 31; j >= 24; j--, v >>= 8)
		a->be[j] = (uint8_t)v;
}

static void eth_tx(struct spod_tx_summary *tx, const uint8_t *to, uint64_t wei)
{
	memset(tx, 0, sizeof(*tx));
	tx->chain = SPOD_CHAIN_ETHEREUM;
	tx->kind = SPOD_TX_ETH_1559;
	tx->chain_id = 1;
	set_view(&tx->to, to, 20);
	u256_set(&tx->value, wei);
}

/* An ERC-20 transfer: to the token contract, selector a9059cbb, one token transfer. */
static void erc20_tx(struct spod_tx_summary *tx, const uint8_t *token, const uint8_t *to,
                     uint64_t amount)
{
	eth_tx(tx, token, 0);
	set_view(&tx->selector, TRANSFER_SEL, 4);
	tx->n_transfers = 1;
	tx->transfers[0].asset = SPOD_ASSET_TOKEN;
	tx->transfers[0].decimals = 0xff;
	set_view(&tx->transfers[0].token, token, 20);
	set_view(&tx->transfers[0].to, to, 20);
	u256_set(&tx->transfers[0].amount, amount);
}

static void sol_tx(struct spod_tx_summary *tx, const uint8_t *to, uint64_t lamports)
{
	memset(tx, 0, sizeof(*tx));
	tx->chain = SPOD_CHAIN_SOLANA;
	tx->kind = SPOD_TX_SOL_LEGACY;
	tx->n_programs = 1;
	set_view(&tx->programs[0], SYSTEM, 32);
	tx->n_transfers = 1;
	tx->transfers[0].asset = SPOD_ASSET_NATIVE;
	set_view(&tx->transfers[0].to, to, 32);
	u256_set(&tx->transfers[0].amount, lamports);
}

static struct spod_policy_decision eval_at(const struct spod_tx_summary *tx, uint64_t now)
{
	struct spod_policy_decision d;
	assert_int_equal(spod_policy_eval(&g_p, &g_st, tx, now, &d), SPOD_OK);
	return d;
}

static void expect(const struct spod_tx_summary *tx, int allowed, const char *rule_id)
{
	struct spod_policy_decision d = eval_at(tx, 1000);
	if (d.allowed != allowed || d.rule_id.len != strlen(rule_id) ||
	    memcmp(d.rule_id.ptr, rule_id, d.rule_id.len) != 0)
		fail_msg("expected %s by %s, got %s by %.*s (%s)", allowed ? "allow" : "deny",
		         rule_id, d.allowed ? "allow" : "deny", (int)d.rule_id.len,
		         (const char *)d.rule_id.ptr, d.reason);
}

static int setup(void **state)
{
	(void)state;
	memset(TOKEN_PROG, 0x06, 32);
	memset(OTHER_PROG, 0x77, 32);
	memset(SOL_DEST, 0x31, 32);
	memset(SOL_DEST2, 0x32, 32);
	memset(MINT, 0xee, 32);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(g_buf);
	g_buf = NULL;
	return 0;
}

/* {1: 1, 2: [{1: "a", 2: 1}]} written out byte by byte, and its non-canonical variants. */
static const uint8_t MINIMAL[] = {0xa2, 0x01, 0x01, 0x02, 0x81, 0xa2, 0x01, 0x61, 0x61, 0x02, 0x01};

static void test_load_minimal(void **state)
{
	(void)state;
	uint8_t h[32];
	assert_int_equal(load_bytes(MINIMAL, sizeof(MINIMAL)), SPOD_OK);
	assert_int_equal(g_p.n_rules, 1);
	assert_int_equal(g_p.rules[0].id.len, 1);
	assert_memory_equal(g_p.rules[0].id.ptr, "a", 1);
	assert_ptr_equal(g_p.rules[0].id.ptr, g_buf + 8); /* a view, not a copy */
	assert_int_equal(g_p.rules[0].effect, SPOD_POLICY_ALLOW);
	spod_sha256(h, MINIMAL, sizeof(MINIMAL));
	assert_memory_equal(g_p.hash, h, 32);
}

static void test_load_refuses_non_canonical(void **state)
{
	(void)state;
	static const struct {
		const char *what;
		uint8_t bytes[16];
		size_t len;
		int rc;
	} cases[] = {
	    {"non-shortest key head",
	     {0xa2, 0x18, 0x01, 0x01, 0x02, 0x81, 0xa2, 0x01, 0x61, 0x61, 0x02, 0x01},
	     12,
	     SPOD_E_BAD_FIELD},
	    {"non-shortest map head",
	     {0xb8, 0x02, 0x01, 0x01, 0x02, 0x81, 0xa2, 0x01, 0x61, 0x61, 0x02, 0x01},
	     12,
	     SPOD_E_BAD_FIELD},
	    {"non-shortest text head",
	     {0xa2, 0x01, 0x01, 0x02, 0x81, 0xa2, 0x01, 0x78, 0x01, 0x61, 0x02, 0x01},
	     12,
	     SPOD_E_BAD_FIELD},
	    {"indefinite rules array",
	     {0xa2, 0x01, 0x01, 0x02, 0x9f, 0xa2, 0x01, 0x61, 0x61, 0x02, 0x01, 0xff},
	     12,
	     SPOD_E_BAD_FIELD},
	    {"indefinite rule map",
	     {0xa2, 0x01, 0x01, 0x02, 0x81, 0xbf, 0x01, 0x61, 0x61, 0x02, 0x01, 0xff},
	     12,
	     SPOD_E_BAD_FIELD},
	    {"indefinite text",
	     {0xa2, 0x01, 0x01, 0x02, 0x81, 0xa2, 0x01, 0x7f, 0x61, 0x61, 0xff, 0x02, 0x01},
	     13,
	     SPOD_E_BAD_FIELD},
	    {"keys out of order",
	     {0xa2, 0x01, 0x01, 0x02, 0x81, 0xa2, 0x02, 0x01, 0x01, 0x61, 0x61},
	     11,
	     SPOD_E_BAD_FIELD},
	    {"duplicate key",
	     {0xa2, 0x01, 0x01, 0x02, 0x81, 0xa3, 0x01, 0x61, 0x61, 0x01, 0x61, 0x62, 0x02, 0x01},
	     14,
	     SPOD_E_BAD_FIELD},
	    {"trailing byte",
	     {0xa2, 0x01, 0x01, 0x02, 0x81, 0xa2, 0x01, 0x61, 0x61, 0x02, 0x01, 0x00},
	     12,
	     SPOD_E_BAD_FIELD},
	    {"truncated",
	     {0xa2, 0x01, 0x01, 0x02, 0x81, 0xa2, 0x01, 0x61, 0x61, 0x02},
	     10,
	     SPOD_E_TRUNCATED},
	    {"version 2",
	     {0xa2, 0x01, 0x02, 0x02, 0x81, 0xa2, 0x01, 0x61, 0x61, 0x02, 0x01},
	     11,
	     SPOD_E_BAD_FIELD},
	    {"tagged rules",
	     {0xa2, 0x01, 0x01, 0x02, 0xc0, 0x81, 0xa2, 0x01, 0x61, 0x61, 0x02, 0x01},
	     12,
	     SPOD_E_BAD_FIELD},
	    {"65 rules", {0xa2, 0x01, 0x01, 0x02, 0x98, 0x41}, 6, SPOD_E_TOO_LARGE},
	    {"no rules", {0xa2, 0x01, 0x01, 0x02, 0x80}, 5, SPOD_E_BAD_FIELD},
	    {"effect 3",
	     {0xa2, 0x01, 0x01, 0x02, 0x81, 0xa2, 0x01, 0x61, 0x61, 0x02, 0x03},
	     11,
	     SPOD_E_BAD_FIELD},
	    {"no effect",
	     {0xa2, 0x01, 0x01, 0x02, 0x81, 0xa1, 0x01, 0x61, 0x61},
	     9,
	     SPOD_E_BAD_FIELD},
	    {"unknown key 19",
	     {0xa2, 0x01, 0x01, 0x02, 0x81, 0xa3, 0x01, 0x61, 0x61, 0x02, 0x01, 0x13, 0xf5},
	     13,
	     SPOD_E_BAD_FIELD},
	    {"allow_unknown false",
	     {0xa2, 0x01, 0x01, 0x02, 0x81, 0xa3, 0x01, 0x61, 0x61, 0x02, 0x01, 0x12, 0xf4},
	     13,
	     SPOD_E_BAD_FIELD},
	    {"empty to list",
	     {0xa2, 0x01, 0x01, 0x02, 0x81, 0xa3, 0x01, 0x61, 0x61, 0x02, 0x01, 0x07, 0x80},
	     13,
	     SPOD_E_BAD_FIELD},
	    {"max_value leading zero",
	     {0xa2, 0x01, 0x01, 0x02, 0x81, 0xa3, 0x01, 0x61, 0x61, 0x02, 0x01, 0x0e, 0x42, 0x00,
	      0x01},
	     15,
	     SPOD_E_BAD_FIELD},
	    {"max_value on a deny rule",
	     {0xa2, 0x01, 0x01, 0x02, 0x81, 0xa3, 0x01, 0x61, 0x61, 0x02, 0x02, 0x0e, 0x41, 0x01},
	     14,
	     SPOD_E_BAD_FIELD},
	    {"id with a space",
	     {0xa2, 0x01, 0x01, 0x02, 0x81, 0xa2, 0x01, 0x62, 0x61, 0x20, 0x02, 0x01},
	     12,
	     SPOD_E_BAD_FIELD},
	    {"kinds not ascending",
	     {0xa2, 0x01, 0x01, 0x02, 0x81, 0xa3, 0x01, 0x61, 0x61, 0x02, 0x01, 0x05, 0x82, 0x02,
	      0x01},
	     15,
	     SPOD_E_BAD_FIELD},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = load_bytes(cases[i].bytes, cases[i].len);
		if (rc != cases[i].rc)
			fail_msg("%s: got %s, want %s", cases[i].what, spod_err_name(rc),
			         spod_err_name(cases[i].rc));
		assert_int_equal(g_p.n_rules, 0); /* zeroed on failure */
	}
}

static void test_load_duplicate_and_reserved_ids(void **state)
{
	(void)state;
	struct pb b;
	pb_begin(&b, 2);
	pb_rule(&b, 2, "x", 1);
	pb_rule(&b, 2, "x", 2);
	assert_int_equal(load_bytes(b.buf, b.w.len), SPOD_E_BAD_FIELD);
	pb_begin(&b, 1);
	pb_rule(&b, 2, "default", 1);
	assert_int_equal(load_bytes(b.buf, b.w.len), SPOD_E_BAD_FIELD);
	/* An Ethereum rule with a 32-byte address, a Solana one with a 20-byte address. */
	pb_begin(&b, 1);
	pb_rule(&b, 4, "x", 1);
	pb_u(&b, 4);
	pb_u(&b, SPOD_CHAIN_ETHEREUM);
	pb_list1(&b, 7, SOL_DEST, 32);
	assert_int_equal(load_bytes(b.buf, b.w.len), SPOD_E_BAD_FIELD);
	pb_begin(&b, 1);
	pb_rule(&b, 4, "x", 1);
	pb_u(&b, 4);
	pb_u(&b, SPOD_CHAIN_SOLANA);
	pb_list1(&b, 7, ADDR_A, 20);
	assert_int_equal(load_bytes(b.buf, b.w.len), SPOD_E_BAD_FIELD);
	/* 65 entries in one list. */
	pb_begin(&b, 1);
	pb_rule(&b, 3, "x", 1);
	pb_u(&b, 11);
	pb_head(&b, SPOD_CBOR_MT_ARRAY, 65);
	for (int i = 0; i < 65; i++)
		pb_bytes(&b, TRANSFER_SEL, 4);
	assert_int_equal(load_bytes(b.buf, b.w.len), SPOD_E_TOO_LARGE);
}

static void test_hash_changes_with_any_byte(void **state)
{
	(void)state;
	uint8_t h1[32], bytes[sizeof(MINIMAL)];
	assert_int_equal(load_bytes(MINIMAL, sizeof(MINIMAL)), SPOD_OK);
	memcpy(h1, g_p.hash, 32);
	assert_int_equal(load_bytes(MINIMAL, sizeof(MINIMAL)), SPOD_OK);
	assert_memory_equal(h1, g_p.hash, 32); /* stable */
	memcpy(bytes, MINIMAL, sizeof(bytes));
	bytes[8] = 'b'; /* id "a" -> "b": still a valid policy */
	assert_int_equal(load_bytes(bytes, sizeof(bytes)), SPOD_OK);
	assert_memory_not_equal(h1, g_p.hash, 32);
	/* Every other single-byte flip is either refused or changes the hash. */
	for (size_t i = 0; i < sizeof(bytes); i++) {
		for (unsigned bit = 0; bit < 8; bit++) {
			memcpy(bytes, MINIMAL, sizeof(bytes));
			bytes[i] ^= (uint8_t)(1u << bit);
			if (load_bytes(bytes, sizeof(bytes)) == SPOD_OK)
				assert_memory_not_equal(h1, g_p.hash, 32);
		}
	}
}

static void test_default_deny_and_first_match(void **state)
{
	(void)state;
	struct spod_tx_summary tx;
	struct pb b;
	struct spod_policy_decision d;

	/* Only Solana is allowed: an Ethereum transaction falls through to the default. */
	pb_begin(&b, 1);
	pb_rule(&b, 3, "sol", 1);
	pb_u(&b, 4);
	pb_u(&b, SPOD_CHAIN_SOLANA);
	load_ok(&b);
	eth_tx(&tx, ADDR_A, 1);
	d = eval_at(&tx, 0);
	assert_false(d.allowed);
	assert_int_equal(d.rule, -1);
	assert_int_equal(d.rule_id.len, 7);
	assert_memory_equal(d.rule_id.ptr, "default", 7);
	sol_tx(&tx, SOL_DEST, 5);
	expect(&tx, 1, "sol");

	/* deny-all then allow-all: the deny decides; the other way round, the allow. */
	pb_begin(&b, 2);
	pb_rule(&b, 3, "no", 0);
	pb_u(&b, 3);
	pb_text(&b, "frozen by ops");
	pb_rule(&b, 2, "yes", 1);
	load_ok(&b);
	eth_tx(&tx, ADDR_A, 1);
	d = eval_at(&tx, 0);
	assert_false(d.allowed);
	assert_int_equal(d.rule, 0);
	assert_string_equal(d.reason, "frozen by ops");
	pb_begin(&b, 2);
	pb_rule(&b, 2, "yes", 1);
	pb_rule(&b, 2, "no", 0);
	load_ok(&b);
	d = eval_at(&tx, 0);
	assert_true(d.allowed);
	assert_int_equal(d.rule, 0);
	assert_string_equal(d.reason, "allowed by rule yes");
}

static void test_kinds_and_chain_ids(void **state)
{
	(void)state;
	struct spod_tx_summary tx;
	struct pb b;

	pb_begin(&b, 2);
	pb_rule(&b, 3, "msg", 1);
	pb_u(&b, 5);
	pb_head(&b, SPOD_CBOR_MT_ARRAY, 1);
	pb_u(&b, SPOD_POLICY_KIND_MESSAGE);
	pb_rule(&b, 3, "base", 1);
	pb_u(&b, 6);
	pb_head(&b, SPOD_CBOR_MT_ARRAY, 2);
	pb_u(&b, 1);
	pb_u(&b, 8453);
	load_ok(&b);
	memset(&tx, 0, sizeof(tx));
	tx.chain = SPOD_CHAIN_ETHEREUM;
	tx.kind = SPOD_TX_ETH_EIP191;
	expect(&tx, 1, "msg");
	eth_tx(&tx, ADDR_A, 0);
	tx.chain_id = 8453;
	expect(&tx, 1, "base");
	tx.chain_id = 10;
	expect(&tx, 0, "default");
	sol_tx(&tx, SOL_DEST, 1); /* no chain id: chain_ids never match Solana */
	expect(&tx, 0, "default");
}

static void test_to_allow_and_deny_lists(void **state)
{
	(void)state;
	struct spod_tx_summary tx;
	struct pb b;

	pb_begin(&b, 2);
	pb_rule(&b, 3, "blocked", 0);
	pb_list1(&b, 8, ADDR_B, 20);
	pb_rule(&b, 3, "payees", 1);
	pb_list1(&b, 7, ADDR_A, 20);
	load_ok(&b);
	eth_tx(&tx, ADDR_A, ETH_1);
	expect(&tx, 1, "payees");
	eth_tx(&tx, ADDR_B, ETH_1);
	expect(&tx, 0, "blocked");
	eth_tx(&tx, USDC, 0);
	expect(&tx, 0, "default");
	/* An ERC-20 transfer's recipient is the transfer's, not the token contract; and a rule
	 * without `contracts` allows no token at all, whatever its recipients. */
	erc20_tx(&tx, USDC, ADDR_A, 5);
	expect(&tx, 0, "default");
	erc20_tx(&tx, USDC, ADDR_B, 5);
	expect(&tx, 0, "blocked");
	/* No recipient at all (a message) is not "every recipient listed". */
	memset(&tx, 0, sizeof(tx));
	tx.chain = SPOD_CHAIN_ETHEREUM;
	tx.kind = SPOD_TX_ETH_EIP191;
	expect(&tx, 0, "default");
}

static void test_contracts_and_selectors(void **state)
{
	(void)state;
	struct spod_tx_summary tx;
	struct pb b;

	pb_begin(&b, 2);
	pb_rule(&b, 3, "usdc", 1);
	pb_list1(&b, 9, USDC, 20);
	pb_rule(&b, 3, "approve", 1);
	pb_list1(&b, 11, APPROVE_SEL, 4);
	load_ok(&b);
	erc20_tx(&tx, USDC, ADDR_A, 5);
	expect(&tx, 1, "usdc");
	erc20_tx(&tx, DAI, ADDR_A, 5);
	expect(&tx, 0, "default");
	eth_tx(&tx, DAI, 0);
	set_view(&tx.selector, APPROVE_SEL, 4);
	expect(&tx, 1, "approve");
	/* The decoder flags calldata it does not recognise; a rule listing the selector is
	 * explicit enough to allow it without allow_unknown. */
	tx.flags = SPOD_TXF_UNKNOWN_CALL;
	expect(&tx, 1, "approve");
	set_view(&tx.selector, TRANSFER_SEL, 4);
	expect(&tx, 0, "default");
}

static void test_programs_and_spl_mint(void **state)
{
	(void)state;
	struct spod_tx_summary tx;
	struct pb b;

	pb_begin(&b, 2);
	pb_rule(&b, 5, "spl", 1);
	pb_u(&b, 4);
	pb_u(&b, SPOD_CHAIN_SOLANA);
	pb_list1(&b, 9, MINT, 32);
	pb_list1(&b, 10, TOKEN_PROG, 32);
	pb_rule(&b, 4, "sys", 1);
	pb_u(&b, 4);
	pb_u(&b, SPOD_CHAIN_SOLANA);
	pb_list1(&b, 10, SYSTEM, 32);
	load_ok(&b);
	sol_tx(&tx, SOL_DEST, 10);
	expect(&tx, 1, "sys");
	tx.n_programs = 2;
	set_view(&tx.programs[1], OTHER_PROG, 32);
	expect(&tx, 0, "default"); /* every program must be listed */
	/* SPL TransferChecked of the mint through the token program. */
	sol_tx(&tx, SOL_DEST, 0);
	set_view(&tx.programs[0], TOKEN_PROG, 32);
	tx.transfers[0].asset = SPOD_ASSET_TOKEN;
	set_view(&tx.transfers[0].token, MINT, 32);
	expect(&tx, 1, "spl");
	/* A plain SPL Transfer names no mint: the contracts condition cannot hold. */
	tx.transfers[0].token.len = 0;
	expect(&tx, 0, "default");
}

static void test_delegates_and_domains(void **state)
{
	(void)state;
	struct spod_tx_summary tx;
	struct pb b;

	pb_begin(&b, 2);
	pb_rule(&b, 3, "7702", 1);
	pb_list1(&b, 12, ADDR_A, 20);
	pb_rule(&b, 3, "permit", 1);
	pb_u(&b, 13);
	pb_head(&b, SPOD_CBOR_MT_ARRAY, 1);
	pb_head(&b, SPOD_CBOR_MT_MAP, 3);
	pb_u(&b, 1);
	pb_text(&b, "USD Coin");
	pb_u(&b, 3);
	pb_u(&b, 1);
	pb_u(&b, 4);
	pb_bytes(&b, USDC, 20);
	load_ok(&b);
	eth_tx(&tx, ADDR_A, 0);
	tx.kind = SPOD_TX_ETH_7702;
	tx.n_delegates = 1;
	set_view(&tx.delegates[0], ADDR_A, 20);
	expect(&tx, 1, "7702");
	tx.n_delegates = 2;
	set_view(&tx.delegates[1], ADDR_B, 20);
	expect(&tx, 0, "default");

	memset(&tx, 0, sizeof(tx));
	tx.chain = SPOD_CHAIN_ETHEREUM;
	tx.kind = SPOD_TX_ETH_EIP712;
	tx.chain_id = 1;
	set_view(&tx.domain_name, (const uint8_t *)"USD Coin", 8);
	set_view(&tx.domain_version, (const uint8_t *)"2", 1);
	set_view(&tx.domain_contract, USDC, 20);
	expect(&tx, 1, "permit");
	tx.chain_id = 8453;
	expect(&tx, 0, "default");
	tx.chain_id = 1;
	set_view(&tx.domain_name, (const uint8_t *)"USD Coim", 8);
	expect(&tx, 0, "default");
}

static void test_unknown_flags_and_raw(void **state)
{
	(void)state;
	struct spod_tx_summary tx;
	struct pb b;

	pb_begin(&b, 3);
	pb_rule(&b, 2, "any", 1);
	pb_rule(&b, 3, "calls", 1);
	pb_u(&b, 18);
	assert_int_equal(spod_cbor_put_raw(&b.w, "\xf5", 1), SPOD_OK);
	pb_rule(&b, 3, "raw", 1);
	pb_u(&b, 5);
	pb_head(&b, SPOD_CBOR_MT_ARRAY, 1);
	pb_u(&b, SPOD_POLICY_KIND_RAW);
	load_ok(&b);
	eth_tx(&tx, ADDR_A, 0);
	expect(&tx, 1, "any");
	tx.flags = SPOD_TXF_UNKNOWN_CALL;
	expect(&tx, 1, "calls");
	tx.flags = SPOD_TXF_CONTRACT_CREATE;
	expect(&tx, 1, "calls");
	memset(&tx, 0, sizeof(tx));
	tx.kind = SPOD_TX_RAW;
	expect(&tx, 1, "raw");

	/* Without those rules both fall to the default deny. */
	pb_begin(&b, 1);
	pb_rule(&b, 2, "any", 1);
	load_ok(&b);
	expect(&tx, 0, "default");
	eth_tx(&tx, ADDR_A, 0);
	tx.flags = SPOD_TXF_UNKNOWN_CALL;
	expect(&tx, 0, "default");
	sol_tx(&tx, SOL_DEST, 1);
	tx.flags = SPOD_TXF_LOOKUP_TABLES;
	expect(&tx, 0, "default");
	tx.flags = SPOD_TXF_UNKNOWN_PROGRAM;
	expect(&tx, 0, "default");
	tx.flags = 0;
	tx.kind = 99; /* a kind this engine does not know */
	expect(&tx, 0, "default");
}

static void test_max_value_and_token_amount(void **state)
{
	(void)state;
	struct spod_tx_summary tx;
	struct spod_policy_decision d;
	struct pb b;

	pb_begin(&b, 2);
	pb_rule(&b, 4, "eth", 1);
	pb_u(&b, 5);
	pb_head(&b, SPOD_CBOR_MT_ARRAY, 1);
	pb_u(&b, SPOD_POLICY_KIND_TRANSACTION);
	pb_u(&b, 14);
	pb_amount(&b, ETH_1);
	pb_rule(&b, 3, "tok", 1);
	pb_u(&b, 15);
	pb_head(&b, SPOD_CBOR_MT_ARRAY, 1);
	pb_head(&b, SPOD_CBOR_MT_MAP, 2);
	pb_u(&b, 1);
	pb_bytes(&b, USDC, 20);
	pb_u(&b, 2);
	pb_amount(&b, 1000);
	load_ok(&b);
	eth_tx(&tx, ADDR_A, ETH_1);
	expect(&tx, 1, "eth");
	eth_tx(&tx, ADDR_A, ETH_1 + 1);
	d = eval_at(&tx, 0);
	assert_false(d.allowed);
	assert_int_equal(d.rule, 0); /* the matched rule denies; later rules are not tried */
	assert_string_equal(d.reason, "max_value: 1000000000000000000 wei would be exceeded");

	/* Token rule: reached through a deny-free first rule of another kind. */
	pb_begin(&b, 1);
	pb_rule(&b, 3, "tok", 1);
	pb_u(&b, 15);
	pb_head(&b, SPOD_CBOR_MT_ARRAY, 1);
	pb_head(&b, SPOD_CBOR_MT_MAP, 2);
	pb_u(&b, 1);
	pb_bytes(&b, USDC, 20);
	pb_u(&b, 2);
	pb_amount(&b, 1000);
	load_ok(&b);
	erc20_tx(&tx, USDC, ADDR_A, 1000);
	expect(&tx, 1, "tok");
	erc20_tx(&tx, USDC, ADDR_A, 1001);
	d = eval_at(&tx, 0);
	assert_false(d.allowed);
	assert_string_equal(d.reason, "max_token_amount: 1000 base units would be exceeded");
	/* A token the rule does not name: the rule does not match, the default refuses. */
	erc20_tx(&tx, DAI, ADDR_A, 1);
	expect(&tx, 0, "default");
	/* Two transfers of 2^255 each overflow 256 bits: denied, not wrapped. */
	erc20_tx(&tx, USDC, ADDR_A, 0);
	tx.n_transfers = 2;
	tx.transfers[1] = tx.transfers[0];
	tx.transfers[0].amount.be[0] = 0x80;
	tx.transfers[1].amount.be[0] = 0x80;
	d = eval_at(&tx, 0);
	assert_false(d.allowed);
}

static void test_window_rolls_over(void **state)
{
	(void)state;
	struct spod_tx_summary tx;
	struct spod_policy_decision d;
	struct pb b;
	const uint64_t t0 = 1000000, day = 86400, width = (day + 62) / 63;

	/* 10 ETH per 24 h. */
	pb_begin(&b, 1);
	pb_rule(&b, 3, "desk", 1);
	pb_u(&b, 16);
	pb_head(&b, SPOD_CBOR_MT_MAP, 2);
	pb_u(&b, 2);
	pb_amount(&b, 10 * ETH_1);
	pb_u(&b, 3);
	pb_u(&b, day);
	load_ok(&b);
	eth_tx(&tx, ADDR_A, 6 * ETH_1);
	d = eval_at(&tx, t0);
	assert_true(d.allowed);
	assert_int_equal(spod_policy_commit(&g_st, &g_p, &tx, &d, t0), SPOD_OK);
	eth_tx(&tx, ADDR_A, 4 * ETH_1);
	d = eval_at(&tx, t0 + 100);
	assert_true(d.allowed); /* 6 + 4 = 10: at the limit is within it */
	assert_int_equal(spod_policy_commit(&g_st, &g_p, &tx, &d, t0 + 100), SPOD_OK);
	eth_tx(&tx, ADDR_A, 1);
	d = eval_at(&tx, t0 + 200);
	assert_false(d.allowed);
	assert_string_equal(d.reason, "window 86400 s: 10000000000000000000 wei would be exceeded");
	assert_int_equal(spod_policy_commit(&g_st, &g_p, &tx, &d, t0 + 200), SPOD_E_BAD_ARG);
	d = eval_at(&tx, t0 + day - 1);
	assert_false(d.allowed);
	/* One bucket after the window: the amounts have rolled out. */
	d = eval_at(&tx, t0 + 100 + day + width);
	assert_true(d.allowed);
	eth_tx(&tx, ADDR_A, 10 * ETH_1);
	d = eval_at(&tx, t0 + 100 + day + width);
	assert_true(d.allowed);
	eth_tx(&tx, ADDR_A, 10 * ETH_1 + 1);
	d = eval_at(&tx, t0 + 100 + day + width);
	assert_false(d.allowed);
	/* The clock going back does not forget what was committed. */
	eth_tx(&tx, ADDR_A, 1);
	d = eval_at(&tx, t0 - 5000);
	assert_false(d.allowed);
}

static void test_token_window_and_overflow(void **state)
{
	(void)state;
	struct spod_tx_summary tx;
	struct spod_policy_decision d;
	struct pb b;
	uint8_t max[32];

	memset(max, 0xff, sizeof(max));
	pb_begin(&b, 1);
	pb_rule(&b, 3, "usdc", 1);
	pb_u(&b, 16);
	pb_head(&b, SPOD_CBOR_MT_MAP, 3);
	pb_u(&b, 1);
	pb_bytes(&b, USDC, 20);
	pb_u(&b, 2);
	pb_bytes(&b, max, 32);
	pb_u(&b, 3);
	pb_u(&b, 3600);
	load_ok(&b);
	/* Native value does not count against a token window. */
	eth_tx(&tx, ADDR_A, ETH_1);
	d = eval_at(&tx, 10);
	assert_true(d.allowed);
	assert_int_equal(spod_policy_commit(&g_st, &g_p, &tx, &d, 10), SPOD_OK);
	erc20_tx(&tx, USDC, ADDR_A, 0);
	memset(tx.transfers[0].amount.be, 0xff, 32);
	d = eval_at(&tx, 10);
	assert_true(d.allowed); /* exactly 2^256 - 1 */
	assert_int_equal(spod_policy_commit(&g_st, &g_p, &tx, &d, 10), SPOD_OK);
	erc20_tx(&tx, USDC, ADDR_A, 1);
	d = eval_at(&tx, 20);
	assert_false(d.allowed); /* the sum would overflow: denied */
	assert_string_equal(d.reason,
	                    "window 3600 s: "
	                    "115792089237316195423570985008687907853269984665640564039457584"
	                    "007913129639935 token base units would be exceeded");
}

static void test_rate_limit(void **state)
{
	(void)state;
	struct spod_tx_summary tx;
	struct spod_policy_decision d;
	struct pb b;

	pb_begin(&b, 1);
	pb_rule(&b, 3, "bot", 1);
	pb_u(&b, 17);
	pb_head(&b, SPOD_CBOR_MT_MAP, 2);
	pb_u(&b, 1);
	pb_u(&b, 2);
	pb_u(&b, 2);
	pb_u(&b, 60);
	load_ok(&b);
	eth_tx(&tx, ADDR_A, 0);
	for (uint64_t t = 100; t < 102; t++) {
		d = eval_at(&tx, t);
		assert_true(d.allowed);
		assert_int_equal(spod_policy_commit(&g_st, &g_p, &tx, &d, t), SPOD_OK);
	}
	/* Evaluating without committing changes nothing. */
	d = eval_at(&tx, 102);
	assert_false(d.allowed);
	assert_string_equal(d.reason, "rate 2 per 60 s: signings would be exceeded");
	d = eval_at(&tx, 159);
	assert_false(d.allowed);
	d = eval_at(&tx, 101 + 60 + 1 /* width */ + 1);
	assert_true(d.allowed);
}

static void test_state_round_trip(void **state)
{
	(void)state;
	struct spod_tx_summary tx;
	struct spod_policy_decision d;
	struct spod_policy_state *st2 = malloc(sizeof(*st2));
	uint8_t *enc = malloc(SPOD_POLICY_STATE_MAX_BYTES),
	        *enc2 = malloc(SPOD_POLICY_STATE_MAX_BYTES);
	size_t n, n2;
	struct pb b;

	assert_non_null(st2);
	assert_non_null(enc);
	assert_non_null(enc2);
	pb_begin(&b, 2);
	pb_rule(&b, 4, "w", 1);
	pb_u(&b, 4);
	pb_u(&b, SPOD_CHAIN_ETHEREUM);
	pb_u(&b, 16);
	pb_head(&b, SPOD_CBOR_MT_MAP, 2);
	pb_u(&b, 2);
	pb_amount(&b, 100);
	pb_u(&b, 3);
	pb_u(&b, 6300);
	pb_rule(&b, 3, "r", 1);
	pb_u(&b, 17);
	pb_head(&b, SPOD_CBOR_MT_MAP, 2);
	pb_u(&b, 1);
	pb_u(&b, 1000);
	pb_u(&b, 2);
	pb_u(&b, 10);
	load_ok(&b);
	/* Spread commits over many buckets, wrapping the ring. */
	for (uint64_t i = 0; i < 90; i++) {
		eth_tx(&tx, ADDR_A, 1);
		d = eval_at(&tx, 5000 + i * 150);
		assert_true(d.allowed);
		assert_int_equal(spod_policy_commit(&g_st, &g_p, &tx, &d, 5000 + i * 150), SPOD_OK);
	}
	sol_tx(&tx, SOL_DEST, 1);
	d = eval_at(&tx, 20000);
	assert_int_equal(d.rule, 1);
	assert_int_equal(spod_policy_commit(&g_st, &g_p, &tx, &d, 20000), SPOD_OK);

	assert_int_equal(spod_policy_state_encode(&g_st, enc, SPOD_POLICY_STATE_MAX_BYTES, &n),
	                 SPOD_OK);
	assert_int_equal(spod_policy_state_decode(st2, &g_p, enc, n), SPOD_OK);
	assert_int_equal(spod_policy_state_encode(st2, enc2, SPOD_POLICY_STATE_MAX_BYTES, &n2),
	                 SPOD_OK);
	assert_int_equal(n, n2);
	assert_memory_equal(enc, enc2, n);
	/* The decoded state decides as the original does. */
	eth_tx(&tx, ADDR_A, 60);
	for (uint64_t t = 18000; t < 30000; t += 500) {
		struct spod_policy_decision d2;
		d = eval_at(&tx, t);
		assert_int_equal(spod_policy_eval(&g_p, st2, &tx, t, &d2), SPOD_OK);
		assert_int_equal(d.allowed, d2.allowed);
	}
	/* Truncated, too long, or for another policy: refused. */
	assert_int_equal(spod_policy_state_decode(st2, &g_p, enc, n - 1), SPOD_E_TRUNCATED);
	enc[n] = 0;
	assert_int_equal(spod_policy_state_decode(st2, &g_p, enc, n + 1), SPOD_E_BAD_FIELD);
	struct spod_policy *other = malloc(sizeof(*other));
	assert_non_null(other);
	memcpy(other, &g_p, sizeof(*other));
	other->hash[0] ^= 1;
	assert_int_equal(spod_policy_state_decode(st2, other, enc, n), SPOD_E_BAD_FIELD);
	struct spod_policy_decision dd;
	assert_int_equal(spod_policy_eval(other, &g_st, &tx, 0, &dd), SPOD_E_BAD_ARG);
	free(other);
	/* A non-shortest head inside the state is refused too: 0x01 (version) as 0x18 0x01. */
	uint8_t *bad = malloc(n + 1);
	assert_non_null(bad);
	bad[0] = enc[0];
	bad[1] = enc[1];
	bad[2] = 0x18;
	memcpy(bad + 3, enc + 2, n - 2);
	assert_int_equal(spod_policy_state_decode(st2, &g_p, bad, n + 1), SPOD_E_BAD_FIELD);
	free(bad);
	free(enc);
	free(enc2);
	free(st2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_load_minimal),
	    cmocka_unit_test(test_load_refuses_non_canonical),
	    cmocka_unit_test(test_load_duplicate_and_reserved_ids),
	    cmocka_unit_test(test_hash_changes_with_any_byte),
	    cmocka_unit_test(test_default_deny_and_first_match),
	    cmocka_unit_test(test_kinds_and_chain_ids),
	    cmocka_unit_test(test_to_allow_and_deny_lists),
	    cmocka_unit_test(test_contracts_and_selectors),
	    cmocka_unit_test(test_programs_and_spl_mint),
	    cmocka_unit_test(test_delegates_and_domains),
	    cmocka_unit_test(test_unknown_flags_and_raw),
	    cmocka_unit_test(test_max_value_and_token_amount),
	    cmocka_unit_test(test_window_rolls_over),
	    cmocka_unit_test(test_token_window_and_overflow),
	    cmocka_unit_test(test_rate_limit),
	    cmocka_unit_test(test_state_round_trip),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
