/*
 * The deterministic CBOR form (docs/policy.md): the project's CBOR reader reads each head, and
 * this file refuses every encoding but the shortest, so that one policy has one encoding.
 * A head is canonical when re-encoding its argument in shortest form (spod_cbor_head, the
 * writer every encoder here uses) gives back the bytes that were read.
 */
#include <string.h>

#include "policy/policy_int.h"
#include "spod/err.h"

static int major_of(enum spod_cbor_kind kind, enum spod_cbor_major *mt)
{
	switch (kind) {
	case SPOD_CBOR_UINT:
		*mt = SPOD_CBOR_MT_UINT;
		return 1;
	case SPOD_CBOR_NEGINT:
		*mt = SPOD_CBOR_MT_NEGINT;
		return 1;
	case SPOD_CBOR_BSTR:
		*mt = SPOD_CBOR_MT_BSTR;
		return 1;
	case SPOD_CBOR_TSTR:
		*mt = SPOD_CBOR_MT_TSTR;
		return 1;
	case SPOD_CBOR_ARRAY:
		*mt = SPOD_CBOR_MT_ARRAY;
		return 1;
	case SPOD_CBOR_MAP:
		*mt = SPOD_CBOR_MT_MAP;
		return 1;
	default:
		return 0;
	}
}

int pol_next(struct spod_cbor_reader *r, struct spod_cbor_item *it)
{
	struct spod_cbor_reader save = *r;
	struct spod_cbor_item got;
	enum spod_cbor_major mt;

	SPOD_TRY(spod_cbor_next(r, &got));
	if (got.kind == SPOD_CBOR_BOOL || got.kind == SPOD_CBOR_NULL) {
		*it = got; /* one byte each: 0xf4, 0xf5, 0xf6 */
		return SPOD_OK;
	}
	if (got.indef || !major_of(got.kind, &mt)) {
		*r = save;
		return SPOD_E_BAD_FIELD;
	}
	uint8_t head[SPOD_CBOR_HEAD_MAX_BYTES];
	uint64_t arg = got.value;
	size_t content = 0;
	if (got.kind == SPOD_CBOR_BSTR || got.kind == SPOD_CBOR_TSTR) {
		arg = got.len;
		content = got.len;
	}
	size_t hn = spod_cbor_head(head, mt, arg);
	size_t read = r->off - save.off;
	if (read - content != hn || memcmp(save.buf + save.off, head, hn) != 0) {
		*r = save;
		return SPOD_E_BAD_FIELD;
	}
	*it = got;
	return SPOD_OK;
}

int pol_expect(struct spod_cbor_reader *r, enum spod_cbor_kind kind, struct spod_cbor_item *it)
{
	struct spod_cbor_reader save = *r;
	struct spod_cbor_item got;

	SPOD_TRY(pol_next(r, &got));
	if (got.kind != kind) {
		*r = save;
		return SPOD_E_BAD_FIELD;
	}
	*it = got;
	return SPOD_OK;
}

int pol_key(struct spod_cbor_reader *r, uint64_t *prev, uint64_t *key)
{
	struct spod_cbor_reader save = *r;
	struct spod_cbor_item it;

	SPOD_TRY(pol_expect(r, SPOD_CBOR_UINT, &it));
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

	SPOD_TRY(pol_expect(r, SPOD_CBOR_BSTR, &it));
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
