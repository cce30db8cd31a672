/* Strict RLP reader and the writers signing needs (see rlp.h for the canonical rules). */
#include "txn/rlp.h"

#include <string.h>

#define RLP_STRING_SHORT 0x80u /* 0x80 + len, len < 56 */
#define RLP_STRING_LONG  0xb7u /* 0xb7 + len-of-len, then len */
#define RLP_LIST_SHORT   0xc0u
#define RLP_LIST_LONG    0xf7u
#define RLP_SHORT_MAX    55u

/* Reads the ll-byte big-endian length after the header byte (ll 1..8, available). */
static int long_length(size_t *n, const uint8_t *p, size_t ll)
{
	uint64_t v = 0;

	if (p[0] == 0)
		return SPOD_E_BAD_FIELD;
	for (size_t i = 0; i < ll; i++)
		v = v << 8 | p[i];
	if (v <= RLP_SHORT_MAX)
		return SPOD_E_BAD_FIELD;
	if (v > SIZE_MAX)
		return SPOD_E_TOO_LARGE;
	*n = (size_t)v;
	return SPOD_OK;
}

int spod_rlp_read(struct spod_rlp *item, const uint8_t *buf, size_t len)
{
	size_t hdr;
	size_t n;
	uint8_t b;
	int rc;

	memset(item, 0, sizeof(*item));
	if (len == 0)
		return SPOD_E_TRUNCATED;
	b = buf[0];
	if (b < RLP_STRING_SHORT) {
		item->enc = buf;
		item->enc_len = 1;
		item->ptr = buf;
		item->len = 1;
		return SPOD_OK;
	}
	if (b <= RLP_STRING_LONG || (b >= RLP_LIST_SHORT && b <= RLP_LIST_LONG)) {
		hdr = 1;
		n = b - (b < RLP_LIST_SHORT ? RLP_STRING_SHORT : RLP_LIST_SHORT);
	} else {
		size_t ll = b - (b < RLP_LIST_SHORT ? RLP_STRING_LONG : RLP_LIST_LONG);
		if (ll > len - 1)
			return SPOD_E_TRUNCATED;
		rc = long_length(&n, buf + 1, ll);
		if (rc < 0)
			return rc;
		hdr = 1 + ll;
	}
	if (n > len - hdr)
		return SPOD_E_TRUNCATED;
	/* A single byte below 0x80 is its own encoding. */
	if (b == RLP_STRING_SHORT + 1 && buf[1] < RLP_STRING_SHORT)
		return SPOD_E_BAD_FIELD;
	item->enc = buf;
	item->enc_len = hdr + n;
	item->ptr = buf + hdr;
	item->len = n;
	item->is_list = b >= RLP_LIST_SHORT;
	return SPOD_OK;
}

int spod_rlp_decode(struct spod_rlp *item, const uint8_t *buf, size_t len)
{
	int rc = spod_rlp_read(item, buf, len);

	if (rc < 0)
		return rc;
	if (item->enc_len != len) {
		memset(item, 0, sizeof(*item));
		return SPOD_E_BAD_FIELD;
	}
	return SPOD_OK;
}

static int check_items(const struct spod_rlp *list, unsigned depth)
{
	struct spod_rlp_iter it;
	struct spod_rlp item;

	if (depth >= SPOD_RLP_MAX_DEPTH)
		return SPOD_E_TOO_LARGE;
	spod_rlp_iter_init(&it, list);
	while (it.left > 0) {
		SPOD_TRY(spod_rlp_next(&it, &item));
		if (item.is_list)
			SPOD_TRY(check_items(&item, depth + 1));
	}
	return SPOD_OK;
}

int spod_rlp_check(const uint8_t *buf, size_t len)
{
	struct spod_rlp item;

	if (buf == NULL)
		return len == 0 ? SPOD_E_TRUNCATED : SPOD_E_BAD_ARG;
	SPOD_TRY(spod_rlp_decode(&item, buf, len));
	return item.is_list ? check_items(&item, 0) : SPOD_OK;
}

void spod_rlp_iter_init(struct spod_rlp_iter *it, const struct spod_rlp *list)
{
	it->p = list->is_list ? list->ptr : NULL;
	it->left = list->is_list ? list->len : 0;
}

int spod_rlp_next(struct spod_rlp_iter *it, struct spod_rlp *item)
{
	int rc;

	if (it->left == 0) {
		memset(item, 0, sizeof(*item));
		return SPOD_E_BAD_FIELD;
	}
	rc = spod_rlp_read(item, it->p, it->left);
	if (rc < 0)
		return rc;
	it->p += item->enc_len;
	it->left -= item->enc_len;
	return SPOD_OK;
}

int spod_rlp_end(const struct spod_rlp_iter *it)
{
	return it->left == 0 ? SPOD_OK : SPOD_E_BAD_FIELD;
}

int spod_rlp_count(size_t *n, const struct spod_rlp *list)
{
	struct spod_rlp_iter it;
	struct spod_rlp item;

	*n = 0;
	if (!list->is_list)
		return SPOD_E_BAD_FIELD;
	spod_rlp_iter_init(&it, list);
	for (size_t count = 0;; count++) {
		if (it.left == 0) {
			*n = count;
			return SPOD_OK;
		}
		SPOD_TRY(spod_rlp_next(&it, &item));
	}
}

static int uint_bytes(const struct spod_rlp *item, size_t max)
{
	if (item->is_list)
		return SPOD_E_BAD_FIELD;
	if (item->len > 0 && item->ptr[0] == 0)
		return SPOD_E_BAD_FIELD;
	if (item->len > max)
		return SPOD_E_TOO_LARGE;
	return SPOD_OK;
}

int spod_rlp_u64(const struct spod_rlp *item, uint64_t *out)
{
	uint64_t v = 0;

	*out = 0;
	SPOD_TRY(uint_bytes(item, 8));
	for (size_t i = 0; i < item->len; i++)
		v = v << 8 | item->ptr[i];
	*out = v;
	return SPOD_OK;
}

int spod_rlp_u256(const struct spod_rlp *item, struct spod_u256 *out)
{
	memset(out, 0, sizeof(*out));
	SPOD_TRY(uint_bytes(item, sizeof(out->be)));
	if (item->len > 0)
		memcpy(out->be + sizeof(out->be) - item->len, item->ptr, item->len);
	return SPOD_OK;
}

int spod_rlp_next_u64(struct spod_rlp_iter *it, uint64_t *out)
{
	struct spod_rlp item;

	*out = 0;
	SPOD_TRY(spod_rlp_next(it, &item));
	return spod_rlp_u64(&item, out);
}

int spod_rlp_next_u256(struct spod_rlp_iter *it, struct spod_u256 *out)
{
	struct spod_rlp item;

	memset(out, 0, sizeof(*out));
	SPOD_TRY(spod_rlp_next(it, &item));
	return spod_rlp_u256(&item, out);
}

int spod_rlp_next_string(struct spod_rlp_iter *it, struct spod_view *out)
{
	struct spod_rlp item;

	out->ptr = NULL;
	out->len = 0;
	SPOD_TRY(spod_rlp_next(it, &item));
	if (item.is_list)
		return SPOD_E_BAD_FIELD;
	if (item.len > 0)
		out->ptr = item.ptr;
	out->len = item.len;
	return SPOD_OK;
}

int spod_rlp_next_list(struct spod_rlp_iter *it, struct spod_rlp *out)
{
	SPOD_TRY(spod_rlp_next(it, out));
	if (!out->is_list) {
		memset(out, 0, sizeof(*out));
		return SPOD_E_BAD_FIELD;
	}
	return SPOD_OK;
}

int spod_rlp_next_fixed(struct spod_rlp_iter *it, struct spod_view *out, size_t n, int allow_empty)
{
	SPOD_TRY(spod_rlp_next_string(it, out));
	if (out->len == n || (allow_empty && out->len == 0))
		return SPOD_OK;
	out->ptr = NULL;
	out->len = 0;
	return SPOD_E_BAD_FIELD;
}

static size_t be_len(size_t v)
{
	size_t n = 0;

	for (; v > 0; v >>= 8)
		n++;
	return n;
}

size_t spod_rlp_header_len(size_t payload_len)
{
	return payload_len <= RLP_SHORT_MAX ? 1 : 1 + be_len(payload_len);
}

int spod_rlp_put_header(struct spod_rlp_w *w, int is_list, size_t payload_len)
{
	size_t hdr = spod_rlp_header_len(payload_len);
	uint8_t base = is_list ? RLP_LIST_SHORT : RLP_STRING_SHORT;

	if (hdr > w->cap - w->len)
		return SPOD_E_TOO_LARGE;
	if (hdr == 1) {
		w->p[w->len++] = (uint8_t)(base + payload_len);
		return SPOD_OK;
	}
	w->p[w->len++] = (uint8_t)(base + RLP_SHORT_MAX + (hdr - 1));
	for (size_t i = hdr - 1; i > 0; i--)
		w->p[w->len++] = (uint8_t)(payload_len >> (8 * (i - 1)));
	return SPOD_OK;
}

int spod_rlp_put_raw(struct spod_rlp_w *w, const uint8_t *p, size_t n)
{
	if (n > w->cap - w->len)
		return SPOD_E_TOO_LARGE;
	if (n > 0)
		memcpy(w->p + w->len, p, n);
	w->len += n;
	return SPOD_OK;
}

int spod_rlp_put_string(struct spod_rlp_w *w, const uint8_t *s, size_t n)
{
	size_t start = w->len;
	int rc;

	if (n == 1 && s[0] < RLP_STRING_SHORT)
		return spod_rlp_put_raw(w, s, 1);
	if (spod_rlp_header_len(n) > w->cap - w->len ||
	    n > w->cap - w->len - spod_rlp_header_len(n))
		return SPOD_E_TOO_LARGE;
	rc = spod_rlp_put_header(w, 0, n);
	if (rc == SPOD_OK)
		rc = spod_rlp_put_raw(w, s, n);
	if (rc < 0)
		w->len = start;
	return rc;
}

size_t spod_rlp_uint_len(const uint8_t *be, size_t n)
{
	while (n > 0 && be[0] == 0) {
		be++;
		n--;
	}
	if (n == 1 && be[0] < RLP_STRING_SHORT)
		return 1;
	return spod_rlp_header_len(n) + n;
}

int spod_rlp_put_uint_be(struct spod_rlp_w *w, const uint8_t *be, size_t n)
{
	while (n > 0 && be[0] == 0) {
		be++;
		n--;
	}
	return spod_rlp_put_string(w, be, n);
}

int spod_rlp_put_u64(struct spod_rlp_w *w, uint64_t v)
{
	uint8_t be[8];

	for (size_t i = 0; i < 8; i++)
		be[i] = (uint8_t)(v >> (8 * (7 - i)));
	return spod_rlp_put_uint_be(w, be, sizeof(be));
}
