/*
 * Ethereum's Recursive Length Prefix encoding (the yellow paper, appendix B): a strict
 * reader that yields views into the caller's buffer, and the few writers signing needs.
 *
 * The reader accepts canonical encodings only, so that one transaction has one encoding and
 * what is decoded is what is hashed and signed:
 *   - a single byte below 0x80 is its own encoding; wrapped as 0x81 b it is SPOD_E_BAD_FIELD;
 *   - a length below 56 uses the short form, and a long-form length has no leading zero
 *     byte (both else SPOD_E_BAD_FIELD);
 *   - a length that runs past the buffer, or past the payload of the list holding the item,
 *     is SPOD_E_TRUNCATED; a length beyond SIZE_MAX (32-bit builds) is SPOD_E_TOO_LARGE.
 * A list payload is read item by item with a cursor that never leaves the payload, so a list
 * is exactly consumed when its cursor is empty (spod_rlp_end).
 *
 * Views (struct spod_rlp) point into the decoded buffer and live as long as it; nothing is
 * copied or allocated.
 */
#ifndef SPOD_TXN_RLP_H
#define SPOD_TXN_RLP_H

#include <stddef.h>
#include <stdint.h>

#include "spod/err.h"
#include "txn/summary.h"

/* Nesting cap of spod_rlp_check: deeper items are SPOD_E_TOO_LARGE. */
#define SPOD_RLP_MAX_DEPTH 16u

/* One item: its payload, and where its whole encoding (header + payload) lies. */
struct spod_rlp {
	const uint8_t *enc; /* first byte of the header (or the single byte itself) */
	size_t enc_len;     /* header + payload */
	const uint8_t *ptr; /* payload */
	size_t len;         /* payload length */
	uint8_t is_list;    /* 1 for a list, 0 for a byte string */
};

/* A cursor over the payload of a list. */
struct spod_rlp_iter {
	const uint8_t *p;
	size_t left;
};

/*
 * Reads the item at the start of buf[0..len) into *item; the rest of buf follows at
 * buf + item->enc_len. Returns SPOD_OK, SPOD_E_TRUNCATED (len 0, or the item runs past
 * len), SPOD_E_TOO_LARGE (length beyond SIZE_MAX) or SPOD_E_BAD_FIELD (not canonical).
 * *item is zeroed on failure.
 */
int spod_rlp_read(struct spod_rlp *item, const uint8_t *buf, size_t len)
    __attribute__((warn_unused_result, nonnull(1)));

/*
 * Reads exactly one item filling buf[0..len): as spod_rlp_read, and SPOD_E_BAD_FIELD when
 * bytes follow the item.
 */
int spod_rlp_decode(struct spod_rlp *item, const uint8_t *buf, size_t len)
    __attribute__((warn_unused_result, nonnull(1)));

/*
 * Validates buf[0..len) as exactly one item and, recursively, every item inside it, to at
 * most SPOD_RLP_MAX_DEPTH levels of lists (SPOD_E_TOO_LARGE beyond). Errors as spod_rlp_decode.
 */
int spod_rlp_check(const uint8_t *buf, size_t len) __attribute__((warn_unused_result));

/* Starts a cursor over list's payload. list must be a list (else the cursor is empty). */
void spod_rlp_iter_init(struct spod_rlp_iter *it, const struct spod_rlp *list)
    __attribute__((nonnull));

/*
 * Reads the next item of the list. Returns SPOD_OK, SPOD_E_BAD_FIELD when the list has no
 * more items (a missing field is a wrong field count) or the errors of spod_rlp_read.
 */
int spod_rlp_next(struct spod_rlp_iter *it, struct spod_rlp *item)
    __attribute__((warn_unused_result, nonnull));

/* Returns SPOD_OK when the cursor has read the whole list, SPOD_E_BAD_FIELD otherwise. */
int spod_rlp_end(const struct spod_rlp_iter *it) __attribute__((warn_unused_result, nonnull));

/*
 * Counts the items of list (each read strictly, not their contents) into *n.
 * Returns SPOD_OK, SPOD_E_BAD_FIELD (not a list) or the errors of spod_rlp_read.
 */
int spod_rlp_count(size_t *n, const struct spod_rlp *list)
    __attribute__((warn_unused_result, nonnull));

/*
 * Reads the next item of the list as a canonical unsigned integer: a byte string with no
 * leading zero byte (zero is the empty string). spod_rlp_next_u64 takes at most 8 bytes,
 * spod_rlp_next_u256 at most 32 (SPOD_E_TOO_LARGE beyond); a list or a leading zero is
 * SPOD_E_BAD_FIELD. *out is zero on failure.
 */
int spod_rlp_next_u64(struct spod_rlp_iter *it, uint64_t *out)
    __attribute__((warn_unused_result, nonnull));
int spod_rlp_next_u256(struct spod_rlp_iter *it, struct spod_u256 *out)
    __attribute__((warn_unused_result, nonnull));

/* As above, for an item already read. */
int spod_rlp_u64(const struct spod_rlp *item, uint64_t *out)
    __attribute__((warn_unused_result, nonnull));
int spod_rlp_u256(const struct spod_rlp *item, struct spod_u256 *out)
    __attribute__((warn_unused_result, nonnull));

/*
 * Reads the next item as a byte string (any length) or a list into *out, SPOD_E_BAD_FIELD
 * when it is the other kind.
 */
int spod_rlp_next_string(struct spod_rlp_iter *it, struct spod_view *out)
    __attribute__((warn_unused_result, nonnull));
int spod_rlp_next_list(struct spod_rlp_iter *it, struct spod_rlp *out)
    __attribute__((warn_unused_result, nonnull));

/*
 * Reads the next item as a byte string of exactly n bytes (an address is 20, a storage key
 * 32); with allow_empty, the empty string is accepted too (a contract creation's `to`).
 * Returns SPOD_OK or SPOD_E_BAD_FIELD (a list, or another length); *out is empty on failure.
 */
int spod_rlp_next_fixed(struct spod_rlp_iter *it, struct spod_view *out, size_t n, int allow_empty)
    __attribute__((warn_unused_result, nonnull));

/* A writer into a caller-provided buffer: every put checks the capacity. */
struct spod_rlp_w {
	uint8_t *p;
	size_t cap;
	size_t len;
};

/* Bytes of the header of a string or list whose payload is payload_len bytes long. */
size_t spod_rlp_header_len(size_t payload_len);

/*
 * Appends the header of a list (is_list 1) or of a byte string (0) with a payload of
 * payload_len bytes; the payload is appended next by the caller. For a string of one byte
 * below 0x80 use spod_rlp_put_string, which writes no header. Returns SPOD_OK or
 * SPOD_E_TOO_LARGE (no room; w unchanged).
 */
int spod_rlp_put_header(struct spod_rlp_w *w, int is_list, size_t payload_len)
    __attribute__((warn_unused_result, nonnull));

/* Appends raw bytes (an already encoded item). SPOD_OK or SPOD_E_TOO_LARGE (w unchanged). */
int spod_rlp_put_raw(struct spod_rlp_w *w, const uint8_t *p, size_t n)
    __attribute__((warn_unused_result, nonnull(1)));

/* Appends the encoding of the byte string s[0..n). SPOD_OK or SPOD_E_TOO_LARGE (w unchanged). */
int spod_rlp_put_string(struct spod_rlp_w *w, const uint8_t *s, size_t n)
    __attribute__((warn_unused_result, nonnull(1)));

/*
 * Appends the big-endian unsigned integer be[0..n) in its canonical form (leading zero
 * bytes dropped; zero is the empty string). SPOD_OK or SPOD_E_TOO_LARGE (w unchanged).
 */
int spod_rlp_put_uint_be(struct spod_rlp_w *w, const uint8_t *be, size_t n)
    __attribute__((warn_unused_result, nonnull(1)));

/* Appends the canonical encoding of v. SPOD_OK or SPOD_E_TOO_LARGE (w unchanged). */
int spod_rlp_put_u64(struct spod_rlp_w *w, uint64_t v) __attribute__((warn_unused_result, nonnull));

/* Bytes spod_rlp_put_uint_be would append for be[0..n). */
size_t spod_rlp_uint_len(const uint8_t *be, size_t n);

#endif
