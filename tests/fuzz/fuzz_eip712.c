/*
 * libFuzzer target for the EIP-712 decoder (src/txn/eip712.c): the input is the typed data's
 * CBOR form, as the enclave receives it. Properties: the decoder never reads past its input;
 * it succeeds or fails with one of its documented codes; on failure the summary and the
 * hashes are zeroed; on success every view lies inside the input, the summary says EIP-712
 * on Ethereum, the digest is keccak(0x19 0x01 || domainSeparator || hashStruct(message)) of
 * the parts it reports, and a second decode gives the same bytes (no hidden state).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/hash.h"
#include "spod/err.h"
#include "txn/eip712.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

static void check_view(const struct spod_view *v, const uint8_t *buf, size_t size)
{
	if (v->len == 0)
		return;
	CHECK(v->ptr >= buf && v->len <= size && (size_t)(v->ptr - buf) <= size - v->len);
}

static int all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an exact-size copy, so ASan catches a read one past the end */
	uint8_t *buf = malloc(size ? size : 1);
	struct spod_tx_summary s, s2;
	uint8_t ds[32], mh[32], ds2[32], mh2[32];

	CHECK(buf != NULL);
	memcpy(buf, data, size);
	int rc = spod_txn_eip712_decode_parts(buf, size, &s, ds, mh);
	if (rc != SPOD_OK) {
		CHECK(rc == SPOD_E_TRUNCATED || rc == SPOD_E_TOO_LARGE || rc == SPOD_E_BAD_FIELD);
		CHECK(all_zero(&s, sizeof(s)) && all_zero(ds, 32) && all_zero(mh, 32));
		free(buf);
		return 0;
	}
	CHECK(s.chain == SPOD_CHAIN_ETHEREUM && s.kind == SPOD_TX_ETH_EIP712);
	check_view(&s.domain_name, buf, size);
	check_view(&s.domain_version, buf, size);
	check_view(&s.domain_contract, buf, size);
	CHECK(s.domain_contract.len == 0 || s.domain_contract.len == 20);

	uint8_t digest[32];
	struct spod_keccak256_ctx k;
	spod_keccak256_init(&k);
	spod_keccak256_update(&k, (const uint8_t *)"\x19\x01", 2);
	spod_keccak256_update(&k, ds, 32);
	spod_keccak256_update(&k, mh, 32);
	spod_keccak256_final(&k, digest);
	CHECK(memcmp(digest, s.digest, 32) == 0);

	CHECK(spod_txn_eip712_decode_parts(buf, size, &s2, ds2, mh2) == SPOD_OK);
	CHECK(memcmp(&s, &s2, sizeof(s)) == 0 && memcmp(ds, ds2, 32) == 0 &&
	      memcmp(mh, mh2, 32) == 0);
	free(buf);
	return 0;
}
