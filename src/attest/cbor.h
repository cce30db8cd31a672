/*
 * The project's one CBOR codec (RFC 8949): a pull reader over libcbor's streaming decoder
 * (cbor_stream_decode) and a bounded writer over libcbor's encoders.
 *
 * libcbor decodes one item head per call and hands byte and text strings over as pointers
 * into the input, so every string this reader returns is a view into the caller's buffer:
 * exactly the bytes that were signed, never a copy. libcbor's cbor_load would copy them
 * into a tree it allocates. The reader keeps no state but its offset; grammar (which item
 * may follow which) is the caller's, helped by three pieces that every grammar needs:
 * stepping through an array or map (spod_cbor_more), the chunks of an indefinite-length
 * string (spod_cbor_next_chunk) and skipping a whole item (spod_cbor_skip).
 *
 * Well-formedness is libcbor's, with one correction: libcbor 0.8 refuses the one-byte
 * heads of tags 6..20 (0xc6..0xd4) as "unassigned" (PJK/libcbor#307), although RFC 8949
 * §3.4 makes every tag number well-formed and COSE_Sign1 is tag 18; this reader decodes
 * those heads itself. Unassigned simple values (0xe0..0xf3 and 0xf8 xx) are refused, by
 * libcbor and by serde_cbor alike, the library AWS's tools read their CBOR with.
 * Non-shortest heads are accepted.
 *
 * Every read is all or nothing: a function that fails leaves the reader's offset and its
 * outputs as they were, so a caller can report the position of the bad item or try again.
 */
#ifndef SPOD_ATTEST_CBOR_H
#define SPOD_ATTEST_CBOR_H

#include <stddef.h>
#include <stdint.h>

enum spod_cbor_kind {
	SPOD_CBOR_UINT = 1,
	SPOD_CBOR_NEGINT,     /* value is n for the integer -1 - n */
	SPOD_CBOR_BSTR,       /* definite; ptr/len view the contents */
	SPOD_CBOR_TSTR,       /* definite; ptr/len view the contents (UTF-8 not checked) */
	SPOD_CBOR_BSTR_INDEF, /* start of an indefinite-length byte string (indef = 1) */
	SPOD_CBOR_TSTR_INDEF, /* start of an indefinite-length text string (indef = 1) */
	SPOD_CBOR_ARRAY,      /* value = count, or indef = 1 */
	SPOD_CBOR_MAP,        /* value = pair count, or indef = 1 */
	SPOD_CBOR_TAG,        /* value = tag number; the tagged item follows */
	SPOD_CBOR_BOOL,       /* value = 0 (false) or 1 (true) */
	SPOD_CBOR_NULL,
	SPOD_CBOR_BREAK, /* 0xff, ends an indefinite-length item */
	SPOD_CBOR_OTHER  /* undefined, half/single/double float */
};

/* One item head as spod_cbor_next read it. ptr/len are set for definite strings only. */
struct spod_cbor_item {
	enum spod_cbor_kind kind;
	int indef;
	uint64_t value;
	const uint8_t *ptr;
	size_t len;
};

/* buf[0..len) is the input, off the next byte to read. The reader owns nothing. */
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

/* True when the reader has consumed its whole input. */
static inline int spod_cbor_at_end(const struct spod_cbor_reader *r)
{
	return r->off == r->len;
}

/*
 * Decodes the next item head (with its contents for definite strings) and advances past
 * it; the members of a container, a tag's item and an indefinite string's chunks are the
 * next reads. Returns SPOD_OK, SPOD_E_TRUNCATED (the input ends inside the head or the
 * string) or SPOD_E_BAD_FIELD (ill-formed: reserved additional information 28..30, an
 * indefinite length on an integer or tag, an unassigned simple value). On failure neither
 * the reader nor *it changes.
 */
int spod_cbor_next(struct spod_cbor_reader *r, struct spod_cbor_item *it)
    __attribute__((warn_unused_result, nonnull));

/* True when it is a definite text string equal to the NUL-terminated s. */
int spod_cbor_is_text(const struct spod_cbor_item *it, const char *s) __attribute__((nonnull));

/*
 * An array or map being read member by member. For a map, one step is one key/value pair:
 * the caller reads the key, then the value (and rejects a BREAK in either place).
 */
struct spod_cbor_container {
	int indef;
	uint64_t left; /* definite: elements or pairs not yet stepped over */
};

/* Starts stepping through the container whose head (ARRAY or MAP) open is. */
void spod_cbor_container_init(struct spod_cbor_container *c, const struct spod_cbor_item *open)
    __attribute__((nonnull));

/*
 * Sets *more to 1 when another element (or pair) of c follows, counting it, or to 0 at the
 * container's end, where the break of an indefinite container is consumed. A definite
 * container reads no byte here. Returns SPOD_OK or SPOD_E_TRUNCATED (the input ends where
 * an element or the break should be); on failure the reader, c and *more do not change.
 */
int spod_cbor_more(struct spod_cbor_reader *r, struct spod_cbor_container *c, int *more)
    __attribute__((warn_unused_result, nonnull));

/*
 * Reads the next chunk of the indefinite-length string whose start (BSTR_INDEF or
 * TSTR_INDEF) was just read into start: a string's value is its chunks' contents in order
 * and is not contiguous, so the caller iterates rather than receiving one view. Sets
 * *more = 1 with *chunk a definite BSTR or TSTR viewing the next chunk's bytes, or
 * *more = 0 when the break ending the string was consumed.
 * Returns SPOD_OK, SPOD_E_TRUNCATED, or SPOD_E_BAD_FIELD when the next item is neither a
 * break nor a definite string of the start's major type (RFC 8949 §3.2.3). On failure the
 * reader, *chunk and *more do not change.
 */
int spod_cbor_next_chunk(struct spod_cbor_reader *r, const struct spod_cbor_item *start,
                         struct spod_cbor_item *chunk, int *more)
    __attribute__((warn_unused_result, nonnull));

/* How deeply spod_cbor_skip follows nesting: the skipped item is level 1, the members of
 * a container at level n (the item of a tag, the chunks of a string) are at level n + 1. */
#define SPOD_CBOR_SKIP_MAX_DEPTH 16u

/*
 * Advances past one whole data item, whatever it holds: nested arrays, maps and tags, in
 * definite or indefinite form, and indefinite-length strings. Iterative (no recursion).
 * Returns SPOD_OK, or:
 *   SPOD_E_TRUNCATED  the input ends inside the item (a definite count larger than the
 *                     bytes left is reported at once, not after reading them all);
 *   SPOD_E_BAD_FIELD  ill-formed: an item spod_cbor_next refuses, a break where no
 *                     indefinite container is open, an indefinite map ending after a key,
 *                     a chunk that is not a definite string of its string's type;
 *   SPOD_E_TOO_LARGE  an item at a level deeper than SPOD_CBOR_SKIP_MAX_DEPTH.
 * On failure the reader does not move.
 */
int spod_cbor_skip(struct spod_cbor_reader *r) __attribute__((warn_unused_result, nonnull));

/* CBOR major types this module writes. */
enum spod_cbor_major {
	SPOD_CBOR_MT_UINT = 0,
	SPOD_CBOR_MT_NEGINT = 1,
	SPOD_CBOR_MT_BSTR = 2,
	SPOD_CBOR_MT_TSTR = 3,
	SPOD_CBOR_MT_ARRAY = 4,
	SPOD_CBOR_MT_MAP = 5,
	SPOD_CBOR_MT_TAG = 6
};

/* Longest item head: one initial byte and an 8-byte argument. */
#define SPOD_CBOR_HEAD_MAX_BYTES 9u

/*
 * Writes the head of a definite-length item of major type mt with argument n (the value,
 * the length/count or the tag number), in its shortest form, with libcbor's encoders.
 * Returns its length (1..SPOD_CBOR_HEAD_MAX_BYTES).
 */
size_t spod_cbor_head(uint8_t out[SPOD_CBOR_HEAD_MAX_BYTES], enum spod_cbor_major mt, uint64_t n)
    __attribute__((nonnull));

/*
 * A bounded writer: buf[0..cap), len bytes written so far. With buf NULL it only counts:
 * nothing is stored and len grows as if it were (init it with cap SIZE_MAX to learn the
 * size of an encoding before writing it; a sum past cap still fails).
 */
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

/*
 * The put functions append to w and return SPOD_OK, or SPOD_E_TOO_LARGE when the bytes do
 * not fit in what is left of cap; a failed put leaves w unchanged.
 */

/* A head (see spod_cbor_head). */
int spod_cbor_put_head(struct spod_cbor_writer *w, enum spod_cbor_major mt, uint64_t n)
    __attribute__((warn_unused_result, nonnull));

/* Raw bytes (string contents, a pre-encoded item); src may be NULL when n is 0. */
int spod_cbor_put_raw(struct spod_cbor_writer *w, const void *src, size_t n)
    __attribute__((warn_unused_result, nonnull(1)));

/* A definite byte or text string: head then contents. */
int spod_cbor_put_str(struct spod_cbor_writer *w, enum spod_cbor_major mt, const void *src,
                      size_t n) __attribute__((warn_unused_result, nonnull(1)));

/* CBOR null (0xf6). */
int spod_cbor_put_null(struct spod_cbor_writer *w) __attribute__((warn_unused_result, nonnull));

/*
 * The deterministic form (RFC 8949 §4.2.1 core requirements, as policies and EIP-712 typed
 * data use it): reads the next item head with spod_cbor_next and refuses what the form does
 * not allow: an indefinite length, a head longer than its shortest form, a tag, a float,
 * undefined, a break. Booleans and null are accepted. Returns SPOD_OK, SPOD_E_TRUNCATED or
 * SPOD_E_BAD_FIELD; on failure neither the reader nor *it changes.
 */
int spod_cbor_next_canon(struct spod_cbor_reader *r, struct spod_cbor_item *it)
    __attribute__((warn_unused_result, nonnull));

/* As spod_cbor_next_canon, and the item must be of this kind; otherwise SPOD_E_BAD_FIELD. */
int spod_cbor_expect_canon(struct spod_cbor_reader *r, enum spod_cbor_kind kind,
                           struct spod_cbor_item *it) __attribute__((warn_unused_result, nonnull));

#endif
