/*
 * libFuzzer target for the policy engine (src/policy/): the input's first HEADER_BYTES build a
 * transaction summary (its views point into the input), the rest is a policy's CBOR, copied
 * into an exact-size buffer so ASan catches a read past it. Properties: load accepts or
 * refuses with a known code (and a zeroed policy); a loaded policy re-encodes to exactly its
 * input and its hash is SHA-256 of it; eval is pure (two calls give the same decision) and its
 * rule id and reason stay in bounds; an allowed decision commits, and the state's encoding
 * decodes to a state that encodes the same.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/hash.h"
#include "policy/policy.h"
#include "spod/err.h"
#include "txn/summary.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

#define HEADER_BYTES 96u
#define POOL_OFF     32u /* header bytes [32, 96) are the address pool */

static struct spod_policy g_p;
static struct spod_policy_state g_st, g_st2;
static struct spod_tx_summary g_tx;
static uint8_t g_enc[SPOD_POLICY_MAX_BYTES], g_s1[SPOD_POLICY_STATE_MAX_BYTES],
    g_s2[SPOD_POLICY_STATE_MAX_BYTES];

static const uint8_t kinds[] = {SPOD_TX_ETH_LEGACY, SPOD_TX_ETH_2930,   SPOD_TX_ETH_1559,
                                SPOD_TX_ETH_4844,   SPOD_TX_ETH_7702,   SPOD_TX_ETH_7702_AUTH,
                                SPOD_TX_ETH_EIP191, SPOD_TX_ETH_EIP712, SPOD_TX_SOL_LEGACY,
                                SPOD_TX_SOL_V0,     SPOD_TX_RAW,        99};

/* A slice of n bytes of the address pool chosen by sel (n 0: empty view). */
static struct spod_view slice(const uint8_t *h, uint8_t sel, size_t n)
{
	struct spod_view v = {NULL, 0};
	if (n == 0)
		return v;
	v.ptr = h + POOL_OFF + sel % (HEADER_BYTES - POOL_OFF - n + 1);
	v.len = n;
	return v;
}

static void build_summary(const uint8_t *h, struct spod_tx_summary *tx)
{
	memset(tx, 0, sizeof(*tx));
	tx->chain = (uint8_t)(1 + (h[0] & 1));
	tx->kind = kinds[h[1] % sizeof(kinds)];
	tx->flags = h[2] & 0x0fu;
	tx->chain_id = h[3] < 128 ? 1 : h[3];
	size_t addr = tx->chain == SPOD_CHAIN_ETHEREUM ? 20 : 32;
	tx->to = slice(h, h[4], (h[5] & 1) ? 20 : 0);
	memcpy(tx->value.be + 24, h + 6, 8);
	if (h[5] & 2)
		memset(tx->value.be, 0xff, 24);
	tx->selector = slice(h, h[14], (h[5] & 4) ? 4 : 0);
	tx->n_transfers = h[15] % 5;
	for (size_t i = 0; i < tx->n_transfers; i++) {
		struct spod_tx_transfer *t = &tx->transfers[i];
		t->asset = (h[16 + i] & 1) ? SPOD_ASSET_TOKEN : SPOD_ASSET_NATIVE;
		if (t->asset == SPOD_ASSET_TOKEN)
			t->token = slice(h, h[20 + i], addr);
		t->to = slice(h, h[24 + i], addr);
		t->amount.be[31] = h[16 + i];
		if (h[16 + i] & 0x80)
			memset(t->amount.be, 0xff, 31);
	}
	tx->n_programs = h[28] % 4;
	for (size_t i = 0; i < tx->n_programs; i++)
		tx->programs[i] = slice(h, (uint8_t)(h[29] + 7 * i), 32);
	tx->n_delegates = h[30] % 3;
	for (size_t i = 0; i < tx->n_delegates; i++)
		tx->delegates[i] = slice(h, (uint8_t)(h[31] + 5 * i), 20);
	tx->domain_name = slice(h, h[12], h[13] % 9);
	tx->domain_version = slice(h, h[13], h[12] % 3);
	tx->domain_contract = slice(h, h[11], (h[5] & 8) ? 20 : 0);
}

static int inside(struct spod_view v, const uint8_t *base, size_t len)
{
	return v.ptr >= base && v.len <= len && (size_t)(v.ptr - base) <= len - v.len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < HEADER_BYTES)
		return 0;
	uint8_t *h = malloc(HEADER_BYTES);
	size_t len = size - HEADER_BYTES;
	uint8_t *pol = malloc(len ? len : 1);
	CHECK(h != NULL && pol != NULL);
	memcpy(h, data, HEADER_BYTES);
	memcpy(pol, data + HEADER_BYTES, len);

	int rc = spod_policy_load(pol, len, &g_p);
	if (rc != SPOD_OK) {
		CHECK(rc == SPOD_E_TRUNCATED || rc == SPOD_E_TOO_LARGE || rc == SPOD_E_BAD_FIELD);
		CHECK(g_p.n_rules == 0);
		goto out;
	}
	/* One policy, one encoding: the encoder gives back the input; the hash is its SHA-256. */
	size_t n;
	uint8_t hash[32];
	CHECK(spod_policy_encode(&g_p, g_enc, sizeof(g_enc), &n) == SPOD_OK);
	CHECK(n == len && memcmp(g_enc, pol, len) == 0);
	spod_sha256(hash, pol, len);
	CHECK(memcmp(hash, g_p.hash, 32) == 0);

	build_summary(h, &g_tx);
	uint64_t now = (uint64_t)h[10] * 977u;
	struct spod_policy_decision d1, d2;
	spod_policy_state_init(&g_st, &g_p);
	for (int round = 0; round < 3; round++, now += (uint64_t)h[9] * 31u) {
		CHECK(spod_policy_eval(&g_p, &g_st, &g_tx, now, &d1) == SPOD_OK);
		CHECK(spod_policy_eval(&g_p, &g_st, &g_tx, now, &d2) == SPOD_OK);
		CHECK(memcmp(&d1, &d2, sizeof(d1)) == 0);
		CHECK(memchr(d1.reason, '\0', sizeof(d1.reason)) != NULL);
		if (d1.rule >= 0) {
			CHECK((size_t)d1.rule < g_p.n_rules);
			CHECK(inside(d1.rule_id, pol, len));
		} else {
			CHECK(!d1.allowed && d1.rule_id.len == 7 &&
			      memcmp(d1.rule_id.ptr, "default", 7) == 0);
		}
		if (d1.allowed)
			CHECK(spod_policy_commit(&g_st, &g_p, &g_tx, &d1, now) == SPOD_OK);
		else
			CHECK(spod_policy_commit(&g_st, &g_p, &g_tx, &d1, now) == SPOD_E_BAD_ARG);
	}
	size_t n1, n2;
	CHECK(spod_policy_state_encode(&g_st, g_s1, sizeof(g_s1), &n1) == SPOD_OK);
	CHECK(spod_policy_state_decode(&g_st2, &g_p, g_s1, n1) == SPOD_OK);
	CHECK(spod_policy_state_encode(&g_st2, g_s2, sizeof(g_s2), &n2) == SPOD_OK);
	CHECK(n1 == n2 && memcmp(g_s1, g_s2, n1) == 0);
	/* A state's encoding read as a policy, and the policy as a state, are refused cleanly. */
	CHECK(spod_policy_state_decode(&g_st2, &g_p, pol, len) != SPOD_OK);
out:
	free(pol);
	free(h);
	return 0;
}
