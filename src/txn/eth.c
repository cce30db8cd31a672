/*
 * Ethereum transaction decoding, signing hashes and signed serialisation (see eth.h).
 *
 * Each transaction type is one walk over its RLP fields in their order; a field is read
 * with the strict helpers of rlp.h, so a transaction is either fully described or refused.
 */
#include "txn/eth.h"

#include <string.h>

#include "common/bytes.h"
#include "crypto/hash.h"
#include "txn/rlp.h"

#define ETH_ADDR_BYTES       20u
#define ETH_WORD_BYTES       32u
#define ETH_SELECTOR_BYTES   4u
#define ETH_NATIVE_DECIMALS  18u
#define ETH_UNKNOWN_DECIMALS 0xffu
#define ETH_BLOB_VERSION     0x01u /* EIP-4844 VERSIONED_HASH_VERSION_KZG */
#define ETH_AUTH_MAGIC       0x05u /* EIP-7702 MAGIC */
#define ETH_LEGACY_FIELDS    6u
#define ETH_EIP155_FIELDS    9u

enum eth_type {
	ETH_LEGACY = 0,
	ETH_2930 = 1,
	ETH_1559 = 2,
	ETH_4844 = 3,
	ETH_7702 = 4,
};

static int u256_is_zero(const struct spod_u256 *v)
{
	return spod_all_zero(v->be, sizeof(v->be));
}

/* A chain id: canonical, non-zero unless allow_zero, at most SPOD_ETH_CHAIN_ID_MAX. */
static int next_chain_id(struct spod_rlp_iter *it, uint64_t *chain_id, int allow_zero)
{
	SPOD_TRY(spod_rlp_next_u64(it, chain_id));
	if (*chain_id > SPOD_ETH_CHAIN_ID_MAX)
		return SPOD_E_TOO_LARGE;
	if (*chain_id == 0 && !allow_zero)
		return SPOD_E_BAD_FIELD;
	return SPOD_OK;
}

/* An account nonce: EIP-2681 keeps it below 2^64 - 1. */
static int next_nonce(struct spod_rlp_iter *it)
{
	uint64_t nonce;

	SPOD_TRY(spod_rlp_next_u64(it, &nonce));
	return nonce == UINT64_MAX ? SPOD_E_BAD_FIELD : SPOD_OK;
}

static int skip_u256(struct spod_rlp_iter *it)
{
	struct spod_u256 v;

	return spod_rlp_next_u256(it, &v);
}

static int skip_u64(struct spod_rlp_iter *it)
{
	uint64_t v;

	return spod_rlp_next_u64(it, &v);
}

/* EIP-2930 access list: [[address(20), [storageKey(32), ...]], ...]. */
static int next_access_list(struct spod_rlp_iter *it)
{
	struct spod_rlp list, entry, keys;
	struct spod_rlp_iter li, ei, ki;
	struct spod_view v;

	SPOD_TRY(spod_rlp_next_list(it, &list));
	spod_rlp_iter_init(&li, &list);
	while (li.left > 0) {
		SPOD_TRY(spod_rlp_next_list(&li, &entry));
		spod_rlp_iter_init(&ei, &entry);
		SPOD_TRY(spod_rlp_next_fixed(&ei, &v, ETH_ADDR_BYTES, 0));
		SPOD_TRY(spod_rlp_next_list(&ei, &keys));
		SPOD_TRY(spod_rlp_end(&ei));
		spod_rlp_iter_init(&ki, &keys);
		while (ki.left > 0)
			SPOD_TRY(spod_rlp_next_fixed(&ki, &v, ETH_WORD_BYTES, 0));
	}
	return SPOD_OK;
}

/* EIP-4844 blob_versioned_hashes: at least one, each 32 bytes with the KZG version byte. */
static int next_blob_hashes(struct spod_rlp_iter *it)
{
	struct spod_rlp list;
	struct spod_rlp_iter li;
	struct spod_view v;

	SPOD_TRY(spod_rlp_next_list(it, &list));
	if (list.len == 0)
		return SPOD_E_BAD_FIELD;
	spod_rlp_iter_init(&li, &list);
	while (li.left > 0) {
		SPOD_TRY(spod_rlp_next_fixed(&li, &v, ETH_WORD_BYTES, 0));
		if (v.ptr[0] != ETH_BLOB_VERSION)
			return SPOD_E_BAD_FIELD;
	}
	return SPOD_OK;
}

/*
 * EIP-7702 authorization_list: at least one [chain_id, address, nonce, y_parity, r, s] with
 * the integer bounds of the EIP; each address is recorded as a delegate.
 */
static int next_auth_list(struct spod_rlp_iter *it, struct spod_tx_summary *out)
{
	struct spod_rlp list, tuple;
	struct spod_rlp_iter li, ti;
	uint64_t y_parity;

	SPOD_TRY(spod_rlp_next_list(it, &list));
	if (list.len == 0)
		return SPOD_E_BAD_FIELD;
	spod_rlp_iter_init(&li, &list);
	while (li.left > 0) {
		if (out->n_delegates == SPOD_TX_MAX_DELEGATES)
			return SPOD_E_TOO_LARGE;
		SPOD_TRY(spod_rlp_next_list(&li, &tuple));
		spod_rlp_iter_init(&ti, &tuple);
		SPOD_TRY(skip_u256(&ti));
		SPOD_TRY(
		    spod_rlp_next_fixed(&ti, &out->delegates[out->n_delegates], ETH_ADDR_BYTES, 0));
		SPOD_TRY(skip_u64(&ti));
		SPOD_TRY(spod_rlp_next_u64(&ti, &y_parity));
		if (y_parity > 0xff)
			return SPOD_E_TOO_LARGE;
		SPOD_TRY(skip_u256(&ti));
		SPOD_TRY(skip_u256(&ti));
		SPOD_TRY(spod_rlp_end(&ti));
		out->n_delegates++;
	}
	return SPOD_OK;
}

/* What `to`, value and data mean: flags, selector and transfers. */
static int summarise_call(struct spod_tx_summary *out)
{
	const uint8_t *d = out->data.ptr;
	struct spod_tx_transfer *t;

	if (!u256_is_zero(&out->value)) {
		t = &out->transfers[out->n_transfers++];
		t->asset = SPOD_ASSET_NATIVE;
		t->decimals = ETH_NATIVE_DECIMALS;
		t->to = out->to;
		t->amount = out->value;
	}
	if (out->to.len == 0) {
		out->flags |= SPOD_TXF_CONTRACT_CREATE;
		return SPOD_OK;
	}
	if (out->data.len == 0)
		return SPOD_OK;
	if (out->data.len >= ETH_SELECTOR_BYTES) {
		out->selector.ptr = d;
		out->selector.len = ETH_SELECTOR_BYTES;
	}
	if (out->data.len < ETH_SELECTOR_BYTES ||
	    ((uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3]) !=
	        SPOD_ETH_ERC20_TRANSFER) {
		out->flags |= SPOD_TXF_UNKNOWN_CALL;
		return SPOD_OK;
	}
	/* transfer(address,uint256): exactly two words, the address word zero-padded. */
	if (out->data.len != ETH_SELECTOR_BYTES + 2 * ETH_WORD_BYTES ||
	    !spod_all_zero(d + ETH_SELECTOR_BYTES, ETH_WORD_BYTES - ETH_ADDR_BYTES))
		return SPOD_E_BAD_FIELD;
	t = &out->transfers[out->n_transfers++];
	t->asset = SPOD_ASSET_TOKEN;
	t->decimals = ETH_UNKNOWN_DECIMALS;
	t->token = out->to;
	t->to.ptr = d + ETH_SELECTOR_BYTES + ETH_WORD_BYTES - ETH_ADDR_BYTES;
	t->to.len = ETH_ADDR_BYTES;
	memcpy(t->amount.be, d + ETH_SELECTOR_BYTES + ETH_WORD_BYTES, ETH_WORD_BYTES);
	return SPOD_OK;
}

/* to, value, data: the three fields every type has in this order. */
static int next_call(struct spod_rlp_iter *it, struct spod_tx_summary *out, int allow_create)
{
	SPOD_TRY(spod_rlp_next_fixed(it, &out->to, ETH_ADDR_BYTES, allow_create));
	SPOD_TRY(spod_rlp_next_u256(it, &out->value));
	return spod_rlp_next_string(it, &out->data);
}

static int decode_legacy(struct spod_rlp_iter *it, const struct spod_rlp *list,
                         struct spod_tx_summary *out, struct spod_txn_eth *eth)
{
	size_t n;
	uint64_t zero;

	SPOD_TRY(spod_rlp_count(&n, list));
	if (n != ETH_LEGACY_FIELDS && n != ETH_EIP155_FIELDS)
		return SPOD_E_BAD_FIELD;
	SPOD_TRY(next_nonce(it));
	SPOD_TRY(skip_u256(it)); /* gasPrice */
	SPOD_TRY(skip_u64(it));  /* gas */
	SPOD_TRY(next_call(it, out, 1));
	eth->fields_len = (size_t)(it->p - list->ptr);
	if (n == ETH_EIP155_FIELDS) {
		SPOD_TRY(next_chain_id(it, &eth->chain_id, 0));
		for (int i = 0; i < 2; i++) {
			SPOD_TRY(spod_rlp_next_u64(it, &zero));
			if (zero != 0)
				return SPOD_E_BAD_FIELD;
		}
		eth->eip155 = 1;
	}
	out->kind = SPOD_TX_ETH_LEGACY;
	return SPOD_OK;
}

static int decode_typed(struct spod_rlp_iter *it, uint8_t type, struct spod_tx_summary *out,
                        struct spod_txn_eth *eth)
{
	static const uint8_t kinds[] = {0, SPOD_TX_ETH_2930, SPOD_TX_ETH_1559, SPOD_TX_ETH_4844,
	                                SPOD_TX_ETH_7702};

	SPOD_TRY(next_chain_id(it, &eth->chain_id, 0));
	SPOD_TRY(next_nonce(it));
	if (type == ETH_2930) {
		SPOD_TRY(skip_u256(it)); /* gasPrice */
	} else {
		SPOD_TRY(skip_u256(it)); /* maxPriorityFeePerGas */
		SPOD_TRY(skip_u256(it)); /* maxFeePerGas */
	}
	SPOD_TRY(skip_u64(it)); /* gas */
	SPOD_TRY(next_call(it, out, type == ETH_2930 || type == ETH_1559));
	SPOD_TRY(next_access_list(it));
	if (type == ETH_4844) {
		SPOD_TRY(skip_u256(it)); /* maxFeePerBlobGas */
		SPOD_TRY(next_blob_hashes(it));
	} else if (type == ETH_7702) {
		SPOD_TRY(next_auth_list(it, out));
	}
	out->kind = kinds[type];
	return SPOD_OK;
}

static int decode_tx(const uint8_t *tx, size_t len, struct spod_tx_summary *out,
                     struct spod_txn_eth *eth)
{
	struct spod_rlp list;
	struct spod_rlp_iter it;
	size_t off = 0;

	if (len == 0)
		return SPOD_E_TRUNCATED;
	if (tx[0] >= ETH_2930 && tx[0] <= ETH_7702) {
		eth->type = tx[0];
		off = 1;
	} else if (tx[0] < 0xc0) {
		return SPOD_E_BAD_FIELD; /* neither an EIP-2718 type we know nor a legacy list */
	}
	SPOD_TRY(spod_rlp_decode(&list, tx + off, len - off));
	if (!list.is_list)
		return SPOD_E_BAD_FIELD;
	spod_rlp_iter_init(&it, &list);
	eth->fields_off = (size_t)(list.ptr - tx);
	if (eth->type == ETH_LEGACY) {
		SPOD_TRY(decode_legacy(&it, &list, out, eth));
	} else {
		SPOD_TRY(decode_typed(&it, eth->type, out, eth));
		eth->fields_len = list.len;
	}
	SPOD_TRY(spod_rlp_end(&it));
	out->chain_id = eth->chain_id;
	SPOD_TRY(summarise_call(out));
	spod_keccak256(out->digest, tx, len);
	return SPOD_OK;
}

int spod_txn_eth_decode(const uint8_t *tx, size_t len, struct spod_tx_summary *out,
                        struct spod_txn_eth *eth)
{
	int rc;

	memset(out, 0, sizeof(*out));
	memset(eth, 0, sizeof(*eth));
	if (tx == NULL && len > 0)
		return SPOD_E_BAD_ARG;
	out->chain = SPOD_CHAIN_ETHEREUM;
	rc = decode_tx(tx, len, out, eth);
	if (rc < 0) {
		memset(out, 0, sizeof(*out));
		memset(eth, 0, sizeof(*eth));
	}
	return rc;
}

int spod_txn_eth_write_signed(const uint8_t *tx, size_t len, const struct spod_txn_eth *eth,
                              const uint8_t sig64[64], uint8_t recid, uint8_t *out, size_t cap,
                              size_t *out_len)
{
	struct spod_rlp_w w = {.p = out, .cap = cap, .len = 0};
	uint8_t v_be[8];
	uint64_t v;
	size_t payload;
	int rc;

	*out_len = 0;
	if (tx == NULL || recid > 1 || spod_all_zero(sig64, 32) || spod_all_zero(sig64 + 32, 32))
		return SPOD_E_BAD_ARG;
	if (eth->fields_off > len || eth->fields_len > len - eth->fields_off ||
	    eth->fields_off == 0 || eth->type > ETH_7702 ||
	    (eth->type == ETH_LEGACY ? tx[0] < 0xc0 : tx[0] != eth->type))
		return SPOD_E_BAD_ARG;
	if (eth->type != ETH_LEGACY)
		v = recid;
	else if (eth->eip155)
		v = eth->chain_id * 2 + 35 + recid; /* chain_id <= SPOD_ETH_CHAIN_ID_MAX */
	else
		v = 27u + recid;

	for (size_t i = 0; i < sizeof(v_be); i++)
		v_be[i] = (uint8_t)(v >> (8 * (sizeof(v_be) - 1 - i)));
	payload = eth->fields_len + spod_rlp_uint_len(v_be, sizeof(v_be)) +
	          spod_rlp_uint_len(sig64, 32) + spod_rlp_uint_len(sig64 + 32, 32);
	if (eth->type != ETH_LEGACY)
		SPOD_GUARD(rc, spod_rlp_put_raw(&w, &eth->type, 1));
	SPOD_GUARD(rc, spod_rlp_put_header(&w, 1, payload));
	SPOD_GUARD(rc, spod_rlp_put_raw(&w, tx + eth->fields_off, eth->fields_len));
	SPOD_GUARD(rc, spod_rlp_put_uint_be(&w, v_be, sizeof(v_be)));
	SPOD_GUARD(rc, spod_rlp_put_uint_be(&w, sig64, 32));
	SPOD_GUARD(rc, spod_rlp_put_uint_be(&w, sig64 + 32, 32));
	*out_len = w.len;
out:
	return rc;
}

int spod_txn_eth_auth_hash(const uint8_t *in, size_t len, struct spod_tx_summary *out)
{
	static const uint8_t magic = ETH_AUTH_MAGIC;
	struct spod_keccak256_ctx ctx;
	struct spod_rlp tuple;
	struct spod_rlp_iter it;
	int rc;

	memset(out, 0, sizeof(*out));
	if (in == NULL)
		return len == 0 ? SPOD_E_TRUNCATED : SPOD_E_BAD_ARG;
	SPOD_GUARD(rc, spod_rlp_decode(&tuple, in, len));
	rc = SPOD_E_BAD_FIELD;
	if (!tuple.is_list)
		goto out;
	spod_rlp_iter_init(&it, &tuple);
	SPOD_GUARD(rc, next_chain_id(&it, &out->chain_id, 1));
	SPOD_GUARD(rc, spod_rlp_next_fixed(&it, &out->delegates[0], ETH_ADDR_BYTES, 0));
	SPOD_GUARD(rc, skip_u64(&it));
	SPOD_GUARD(rc, spod_rlp_end(&it));
	out->n_delegates = 1;
	out->chain = SPOD_CHAIN_ETHEREUM;
	out->kind = SPOD_TX_ETH_7702_AUTH;
	spod_keccak256_init(&ctx);
	spod_keccak256_update(&ctx, &magic, 1);
	spod_keccak256_update(&ctx, in, len);
	spod_keccak256_final(&ctx, out->digest);
out:
	if (rc < 0)
		memset(out, 0, sizeof(*out));
	return rc;
}

int spod_txn_eth_eip191(const uint8_t *msg, size_t len, struct spod_tx_summary *out)
{
	static const char prefix[] = "\x19"
	                             "Ethereum Signed Message:\n";
	struct spod_keccak256_ctx ctx;
	char digits[24];
	size_t n = 0;

	memset(out, 0, sizeof(*out));
	if (msg == NULL && len > 0)
		return SPOD_E_BAD_ARG;
	/* Decimal length, most significant digit first, no leading zeros ("0" for empty). */
	for (size_t v = len;; v /= 10) {
		digits[sizeof(digits) - 1 - n++] = (char)('0' + v % 10);
		if (v < 10)
			break;
	}
	spod_keccak256_init(&ctx);
	spod_keccak256_update(&ctx, (const uint8_t *)prefix, sizeof(prefix) - 1);
	spod_keccak256_update(&ctx, (const uint8_t *)digits + sizeof(digits) - n, n);
	spod_keccak256_update(&ctx, msg, len);
	spod_keccak256_final(&ctx, out->digest);
	out->chain = SPOD_CHAIN_ETHEREUM;
	out->kind = SPOD_TX_ETH_EIP191;
	if (len > 0) {
		out->data.ptr = msg;
		out->data.len = len;
	}
	return SPOD_OK;
}
