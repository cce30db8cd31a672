/*
 * The deterministic CBOR form shared by policies (docs/policy.md) and EIP-712 typed data
 * (docs/transactions.md): spod_cbor_next reads each head, and this file refuses every
 * encoding but the shortest. A head is canonical when re-encoding its argument in shortest
 * form (spod_cbor_head, the writer every encoder in spod uses) gives back the bytes that
 * were read.
 */
#include <string.h>

#include "attest/cbor.h"
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

int spod_cbor_next_canon(struct spod_cbor_reader *r, struct spod_cbor_item *it)
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

int spod_cbor_expect_canon(struct spod_cbor_reader *r, enum spod_cbor_kind kind,
                           struct spod_cbor_item *it)
{
	struct spod_cbor_reader save = *r;
	struct spod_cbor_item got;

	SPOD_TRY(spod_cbor_next_canon(r, &got));
	if (got.kind != kind) {
		*r = save;
		return SPOD_E_BAD_FIELD;
	}
	*it = got;
	return SPOD_OK;
}
