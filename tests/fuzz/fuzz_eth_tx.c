/*
 * libFuzzer target for the Ethereum decoder (src/txn/eth.c).
 *
 * Each input goes to all three decoders: unsigned transaction, EIP-7702 authorization and
 * EIP-191 message. Whatever a decoder accepts must give views inside the input only and the
 * signing hash of the input; a refusal must leave the summary zeroed. For an accepted
 * transaction, the signed form written by spod_txn_eth_write_signed must be canonical RLP
 * holding the same fields followed by v (or y_parity), r and s as written; rebuilding the
 * unsigned transaction from those fields must give back the input, which decodes to the
 * same summary.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/hash.h"
#include "spod/err.h"
#include "txn/eth.h"
#include "txn/rlp.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

#define OUT_CAP (65536 + 256)

static const uint8_t *in_start;
static size_t in_len;
static struct spod_tx_summary sum, sum2;
static const uint8_t zero_sum[sizeof(struct spod_tx_summary)];

static int inside(const struct spod_view *v)
{
	if (v->len == 0)
		return v->ptr == NULL;
	return v->ptr >= in_start && (size_t)(v->ptr - in_start) <= in_len &&
	       v->len <= in_len - (size_t)(v->ptr - in_start);
}

static void check_views(const struct spod_tx_summary *s)
{
	CHECK(s->chain == SPOD_CHAIN_ETHEREUM);
	CHECK(inside(&s->from) && s->from.len == 0);
	CHECK(inside(&s->to) && (s->to.len == 0 || s->to.len == 20));
	CHECK(inside(&s->selector) && inside(&s->data));
	CHECK(s->n_transfers <= 2 && s->n_delegates <= SPOD_TX_MAX_DELEGATES);
	for (size_t i = 0; i < s->n_transfers; i++)
		CHECK(inside(&s->transfers[i].token) && inside(&s->transfers[i].to));
	for (size_t i = 0; i < s->n_delegates; i++)
		CHECK(inside(&s->delegates[i]) && s->delegates[i].len == 20);
}

static int is_error(int rc)
{
	return rc == SPOD_E_TRUNCATED || rc == SPOD_E_TOO_LARGE || rc == SPOD_E_BAD_FIELD;
}

/* Reads the next item of it as an unsigned integer into be (32 bytes, big-endian). */
static void next_uint(struct spod_rlp_iter *it, uint8_t be[32])
{
	struct spod_u256 v;

	CHECK(spod_rlp_next_u256(it, &v) == SPOD_OK);
	memcpy(be, v.be, 32);
}

static void check_signed(const uint8_t *tx, size_t len, const struct spod_txn_eth *eth)
{
	static uint8_t out[OUT_CAP], rebuilt[OUT_CAP];
	uint8_t sig[64], be[32];
	uint8_t recid = (uint8_t)(len & 1);
	struct spod_rlp list, item;
	struct spod_rlp_iter it;
	struct spod_rlp_w w = {.p = rebuilt, .cap = sizeof(rebuilt), .len = 0};
	size_t out_len, off, fields = 0, kept;
	uint64_t v;
	struct spod_txn_eth eth2;

	/* r with a leading zero byte, s full width: both must come out minimal. */
	for (size_t i = 0; i < 64; i++)
		sig[i] = (uint8_t)(i * 37 + len);
	sig[0] = 0;
	sig[32] |= 0x80;
	CHECK(spod_txn_eth_write_signed(tx, len, eth, sig, recid, out, sizeof(out), &out_len) ==
	      SPOD_OK);
	off = eth->type != 0;
	CHECK(off == 0 || out[0] == eth->type);
	CHECK(spod_rlp_check(out + off, out_len - off) == SPOD_OK);
	CHECK(spod_rlp_decode(&list, out + off, out_len - off) == SPOD_OK && list.is_list);
	CHECK(spod_rlp_count(&fields, &list) == SPOD_OK && fields >= 3);

	/* The kept fields are the input's bytes; then v or y_parity, r, s. */
	spod_rlp_iter_init(&it, &list);
	for (size_t i = 0; i < fields - 3; i++)
		CHECK(spod_rlp_next(&it, &item) == SPOD_OK);
	kept = (size_t)(it.p - list.ptr);
	CHECK(kept == eth->fields_len && memcmp(list.ptr, tx + eth->fields_off, kept) == 0);
	CHECK(spod_rlp_next_u64(&it, &v) == SPOD_OK);
	if (eth->type != 0)
		CHECK(v == recid);
	else if (eth->eip155)
		CHECK(v == eth->chain_id * 2 + 35 + recid);
	else
		CHECK(v == 27u + recid);
	next_uint(&it, be);
	CHECK(memcmp(be, sig, 32) == 0);
	next_uint(&it, be);
	CHECK(memcmp(be, sig + 32, 32) == 0);
	CHECK(spod_rlp_end(&it) == SPOD_OK);

	/* Rebuild the unsigned transaction: the kept fields, and EIP-155's [chainId, 0, 0]. */
	if (eth->type != 0)
		CHECK(spod_rlp_put_raw(&w, &eth->type, 1) == SPOD_OK);
	{
		uint8_t tail[16];
		struct spod_rlp_w t = {.p = tail, .cap = sizeof(tail), .len = 0};
		if (eth->eip155) {
			CHECK(spod_rlp_put_u64(&t, (v - 35 - recid) / 2) == SPOD_OK);
			CHECK(spod_rlp_put_u64(&t, 0) == SPOD_OK);
			CHECK(spod_rlp_put_u64(&t, 0) == SPOD_OK);
		}
		CHECK(spod_rlp_put_header(&w, 1, kept + t.len) == SPOD_OK);
		CHECK(spod_rlp_put_raw(&w, list.ptr, kept) == SPOD_OK);
		CHECK(spod_rlp_put_raw(&w, tail, t.len) == SPOD_OK);
	}
	CHECK(w.len == len && memcmp(rebuilt, tx, len) == 0);
	CHECK(spod_txn_eth_decode(rebuilt, w.len, &sum2, &eth2) == SPOD_OK);
	CHECK(memcmp(&eth2, eth, sizeof(eth2)) == 0);
	CHECK(sum2.kind == sum.kind && sum2.flags == sum.flags && sum2.chain_id == sum.chain_id);
	CHECK(memcmp(sum2.digest, sum.digest, 32) == 0);
	CHECK(memcmp(&sum2.value, &sum.value, sizeof(sum.value)) == 0);
	CHECK(sum2.n_transfers == sum.n_transfers && sum2.n_delegates == sum.n_delegates);
	CHECK(sum2.to.len == sum.to.len && sum2.data.len == sum.data.len);
	CHECK(sum2.to.len == 0 || memcmp(sum2.to.ptr, sum.to.ptr, sum.to.len) == 0);
	CHECK(sum2.data.len == 0 || memcmp(sum2.data.ptr, sum.data.ptr, sum.data.len) == 0);

	/* Too little room is refused without a length. */
	CHECK(spod_txn_eth_write_signed(tx, len, eth, sig, recid, out, out_len - 1, &out_len) ==
	      SPOD_E_TOO_LARGE);
	CHECK(out_len == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spod_txn_eth eth;
	uint8_t digest[32];
	int rc;

	in_start = data;
	in_len = size;

	rc = spod_txn_eth_decode(data, size, &sum, &eth);
	if (rc == SPOD_OK) {
		check_views(&sum);
		CHECK(sum.kind >= SPOD_TX_ETH_LEGACY && sum.kind <= SPOD_TX_ETH_7702);
		spod_keccak256(digest, data, size);
		CHECK(memcmp(digest, sum.digest, 32) == 0);
		CHECK(!(sum.flags & SPOD_TXF_CONTRACT_CREATE) == (sum.to.len != 0));
		check_signed(data, size, &eth);
	} else {
		CHECK(is_error(rc) && memcmp(&sum, zero_sum, sizeof(sum)) == 0);
	}

	rc = spod_txn_eth_auth_hash(data, size, &sum);
	if (rc == SPOD_OK) {
		check_views(&sum);
		CHECK(sum.kind == SPOD_TX_ETH_7702_AUTH && sum.n_delegates == 1);
	} else {
		CHECK(is_error(rc) && memcmp(&sum, zero_sum, sizeof(sum)) == 0);
	}

	CHECK(spod_txn_eth_eip191(data, size, &sum) == SPOD_OK);
	check_views(&sum);
	CHECK(sum.data.len == size);
	return 0;
}
