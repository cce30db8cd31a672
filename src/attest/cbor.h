/*
 * A pull reader over libcbor's streaming decoder (cbor_stream_decode).
 *
 * libcbor decodes one item head per call and hands byte and text strings over as pointers
 * into the input, so every string this reader returns is a view into the caller's buffer:
 * exactly the bytes that were signed, never a copy. libcbor's cbor_load would copy them
 * into a tree it allocates. The reader keeps no state but its offset; grammar (which item
 * may follow which) is the caller's.
 */
#ifndef SPOD_ATTEST_CBOR_H
#define SPOD_ATTEST_CBOR_H

#include <stddef.h>
#include <stdint.h>

enum spod_cbor_kind {
	SPOD_CBOR_UINT = 1,
	SPOD_CBOR_NEGINT, /* value is n for the integer -1 - n */
	SPOD_CBOR_BSTR,   /* definite; ptr/len view the contents */
	SPOD_CBOR_TSTR,   /* definite; ptr/len view the contents (UTF-8 not checked) */
	SPOD_CBOR_ARRAY,  /* value = count, or indef = 1 */
	SPOD_CBOR_MAP,    /* value = pair count, or indef = 1 */
	SPOD_CBOR_TAG,    /* value = tag number */
	SPOD_CBOR_NULL,
	SPOD_CBOR_BREAK, /* 0xff, ends an indefinite-length item */
	SPOD_CBOR_OTHER  /* bool, undefined, float, indefinite-length string start */
};

struct spod_cbor_item {
	enum spod_cbor_kind kind;
	int indef;
	uint64_t value;
	const uint8_t *ptr;
	size_t len;
};

struct spod_cbor_reader {
	const uint8_t *buf;
	size_t len;
	size_t off;
};

static inline void spod_cbor_reader_init(struct spod_cbor_reader *r, const uint8_t *buf, size_t len)
{
	r->buf = buf;
	r->len = len;
	r->off = 0;
}

/*
 * Decodes the next item head (with its contents for strings) and advances past it.
 * Returns SPOD_OK, SPOD_E_TRUNCATED (the input ends inside the item) or SPOD_E_BAD_FIELD
 * (libcbor found it ill-formed: reserved additional info, unsupported simple value...).
 * On failure the reader does not move.
 */
int spod_cbor_next(struct spod_cbor_reader *r, struct spod_cbor_item *it)
    __attribute__((warn_unused_result, nonnull));

/* CBOR major types this module writes. */
enum spod_cbor_major {
	SPOD_CBOR_MT_UINT = 0,
	SPOD_CBOR_MT_NEGINT = 1,
	SPOD_CBOR_MT_BSTR = 2,
	SPOD_CBOR_MT_TSTR = 3,
	SPOD_CBOR_MT_ARRAY = 4,
	SPOD_CBOR_MT_MAP = 5
};

/* Longest item head: one initial byte and an 8-byte argument. */
#define SPOD_CBOR_HEAD_MAX_BYTES 9u

/*
 * Writes the head of a definite-length item of major type mt with argument n (the value,
 * or the length/count), in its shortest form, with libcbor's encoders. Returns its length.
 */
size_t spod_cbor_head(uint8_t out[SPOD_CBOR_HEAD_MAX_BYTES], enum spod_cbor_major mt, uint64_t n)
    __attribute__((nonnull));

/* A bounded writer: out[0..cap), len bytes written so far. */
struct spod_cbor_writer {
	uint8_t *buf;
	size_t cap;
	size_t len;
};

static inline void spod_cbor_writer_init(struct spod_cbor_writer *w, uint8_t *buf, size_t cap)
{
	w->buf = buf;
	w->cap = cap;
	w->len = 0;
}

/* Appends a head (see spod_cbor_head). SPOD_OK or SPOD_E_TOO_LARGE (writer unchanged). */
int spod_cbor_put_head(struct spod_cbor_writer *w, enum spod_cbor_major mt, uint64_t n)
    __attribute__((warn_unused_result, nonnull));

/* Appends raw bytes (string contents, a pre-encoded item). SPOD_OK or SPOD_E_TOO_LARGE. */
int spod_cbor_put_raw(struct spod_cbor_writer *w, const void *src, size_t n)
    __attribute__((warn_unused_result, nonnull(1)));

/* Appends a definite byte or text string: head then contents. */
int spod_cbor_put_str(struct spod_cbor_writer *w, enum spod_cbor_major mt, const void *src,
                      size_t n) __attribute__((warn_unused_result, nonnull(1)));

/* Appends CBOR null (0xf6). */
int spod_cbor_put_null(struct spod_cbor_writer *w) __attribute__((warn_unused_result, nonnull));

/* True when the reader has consumed its whole input. */
static inline int spod_cbor_at_end(const struct spod_cbor_reader *r)
{
	return r->off == r->len;
}

#endif
