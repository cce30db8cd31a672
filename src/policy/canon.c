/*
 * The deterministic CBOR form (docs/policy.md): heads are read with spod_cbor_next_canon
 * (attest/cbor_canon.c), which refuses every encoding but the shortest, so that one policy
 * has one encoding; map keys, amounts and 256-bit arithmetic are here.
 */
#include <string.h>

#include "policy/policy_int.h"
#include "spod/err.h"

int pol_key(struct spod_cbor_reader *r, uint64_t *prev, uint64_t *key)
{
	struct spod_cbor_reader save = *r;
	struct spod_cbor_item it;

	SPOD_TRY(spod_cbor_expect_canon(r, SPOD_CBOR_UINT, &it));
	if (it.value <= *prev) {
		*r = save;
		return SPOD_E_BAD_FIELD;
	}
	*prev = it.value;
	*key = it.value;
	return SPOD_OK;
}

int pol_amount(struct spod_cbor_reader *r, struct spod_u256 *out)
{
	struct spod_cbor_reader save = *r;
	struct spod_cbor_item it;

	SPOD_TRY(spod_cbor_expect_canon(r, SPOD_CBOR_BSTR, &it));
	if (it.len > 32 || (it.len > 0 && it.ptr[0] == 0)) {
		*r = save;
		return SPOD_E_BAD_FIELD;
	}
	memset(out->be, 0, sizeof(out->be));
	if (it.len > 0)
		memcpy(out->be + 32 - it.len, it.ptr, it.len);
	return SPOD_OK;
}

int pol_put_amount(struct spod_cbor_writer *w, const struct spod_u256 *a)
{
	size_t i = 0;
	while (i < 32 && a->be[i] == 0)
		i++;
	return spod_cbor_put_str(w, SPOD_CBOR_MT_BSTR, a->be + i, 32 - i);
}

int u256_add(struct spod_u256 *out, const struct spod_u256 *a, const struct spod_u256 *b)
{
	unsigned carry = 0;
	for (int i = 31; i >= 0; i--) {
		unsigned s = (unsigned)a->be[i] + b->be[i] + carry;
		out->be[i] = (uint8_t)s;
		carry = s >> 8;
	}
	return carry ? -1 : 0;
}

int u256_cmp(const struct spod_u256 *a, const struct spod_u256 *b)
{
	return memcmp(a->be, b->be, 32);
}

int u256_is_zero(const struct spod_u256 *a)
{
	for (size_t i = 0; i < 32; i++)
		if (a->be[i])
			return 0;
	return 1;
}

void u256_from_u64(struct spod_u256 *out, uint64_t v)
{
	memset(out->be, 0, 32);
	for (int i = 31; i >= 24; i--) {
		out->be[i] = (uint8_t)v;
		v >>= 8;
	}
}

void spod_u256_to_dec(char out[SPOD_U256_DEC_BYTES], const struct spod_u256 *a)
{
	uint8_t n[32];
	char rev[SPOD_U256_DEC_BYTES];
	size_t nd = 0;

	memcpy(n, a->be, 32);
	do {
		unsigned rem = 0;
		int nonzero = 0;
		for (size_t i = 0; i < 32; i++) {
			unsigned cur = rem * 256u + n[i];
			n[i] = (uint8_t)(cur / 10u);
			rem = cur % 10u;
			nonzero |= n[i] != 0;
		}
		rev[nd++] = (char)('0' + rem);
		if (!nonzero)
			break;
	} while (nd < SPOD_U256_DEC_BYTES - 1);
	for (size_t i = 0; i < nd; i++)
		out[i] = rev[nd - 1 - i];
	out[nd] = '\0';
}

uint64_t pol_bucket_width(uint64_t seconds)
{
	uint64_t n = SPOD_POLICY_BUCKETS - 1;
	return seconds / n + (seconds % n != 0);
}
