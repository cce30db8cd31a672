/*
 * The CBOR codec (src/attest/cbor.h): every item kind the reader reports, indefinite-length
 * strings read chunk by chunk, stepping through containers, skipping whole items up to the
 * nesting limit, and the writer, including its counting mode.
 *
 * The contract checked for every reading function: on failure (truncated input, ill-formed
 * input, a giant length, too deep a nesting) the reader's offset and the outputs stay as
 * they were. Readers start after a one-byte item so that "unchanged" is not "zero".
 * Expected encodings follow RFC 8949 Appendix A where it has an example.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "attest/cbor.h"
#include "common/hex.h"
#include "spod/err.h"

#define BUF_CAP 4096u
#define POISON  0x5a

static uint8_t buf[BUF_CAP];

/* buf = 0x00 (an item read before the one under test) || hex; returns the total length. */
static size_t load(const char *hex)
{
	size_t n = 0;

	buf[0] = 0x00;
	assert_int_equal(spod_hex_decode(buf + 1, sizeof buf - 1, &n, hex), SPOD_OK);
	return n + 1;
}

/* A reader over buf[0..len) positioned after the leading 0x00. */
static struct spod_cbor_reader reader(size_t len)
{
	struct spod_cbor_reader r;
	struct spod_cbor_item it;

	spod_cbor_reader_init(&r, buf, len);
	assert_int_equal(spod_cbor_next(&r, &it), SPOD_OK);
	assert_int_equal(r.off, 1);
	return r;
}

/* Reads hex with spod_cbor_next, which must succeed, consume it all and give kind. */
static struct spod_cbor_item next_ok(const char *hex, enum spod_cbor_kind kind)
{
	size_t len = load(hex);
	struct spod_cbor_reader r = reader(len);
	struct spod_cbor_item it;

	assert_int_equal(spod_cbor_next(&r, &it), SPOD_OK);
	assert_int_equal(it.kind, kind);
	assert_int_equal(r.off, len);
	return it;
}

/* spod_cbor_next on buf[0..len) fails with rc and leaves the reader and *it untouched. */
static void next_fails_len(size_t len, int rc)
{
	struct spod_cbor_reader r = reader(len);
	struct spod_cbor_item it, before;

	memset(&it, POISON, sizeof it);
	before = it;
	assert_int_equal(spod_cbor_next(&r, &it), rc);
	assert_int_equal(r.off, 1);
	assert_memory_equal(&it, &before, sizeof it);
}

static void next_fails(const char *hex, int rc)
{
	next_fails_len(load(hex), rc);
}

/* Every proper prefix of hex (one item head, with its bytes for a string) is truncated. */
static void next_prefixes_truncated(const char *hex)
{
	size_t len = load(hex);

	for (size_t n = 1; n < len; n++)
		next_fails_len(n, SPOD_E_TRUNCATED);
}

static void test_next_integers(void **state)
{
	struct spod_cbor_item it;

	(void)state;
	assert_int_equal(next_ok("00", SPOD_CBOR_UINT).value, 0);
	assert_int_equal(next_ok("17", SPOD_CBOR_UINT).value, 23);
	assert_int_equal(next_ok("1818", SPOD_CBOR_UINT).value, 24);
	assert_int_equal(next_ok("1903e8", SPOD_CBOR_UINT).value, 1000);
	assert_int_equal(next_ok("1a000f4240", SPOD_CBOR_UINT).value, 1000000);
	it = next_ok("1bffffffffffffffff", SPOD_CBOR_UINT);
	assert_true(it.value == UINT64_MAX);
	assert_int_equal(next_ok("20", SPOD_CBOR_NEGINT).value, 0);       /* -1 */
	assert_int_equal(next_ok("3903e7", SPOD_CBOR_NEGINT).value, 999); /* -1000 */
	assert_int_equal(next_ok("1800", SPOD_CBOR_UINT).value, 0);       /* not shortest */
	it = next_ok("3bffffffffffffffff", SPOD_CBOR_NEGINT);             /* -2^64 */
	assert_true(it.value == UINT64_MAX);
	next_prefixes_truncated("1bffffffffffffffff");
	next_prefixes_truncated("3903e7");
}

static void test_next_simple_values(void **state)
{
	(void)state;
	assert_int_equal(next_ok("f4", SPOD_CBOR_BOOL).value, 0);
	assert_int_equal(next_ok("f5", SPOD_CBOR_BOOL).value, 1);
	next_ok("f6", SPOD_CBOR_NULL);
	next_ok("f7", SPOD_CBOR_OTHER);                 /* undefined */
	next_ok("f93c00", SPOD_CBOR_OTHER);             /* 1.0 as half */
	next_ok("fa47c35000", SPOD_CBOR_OTHER);         /* 100000.0 */
	next_ok("fb3ff199999999999a", SPOD_CBOR_OTHER); /* 1.1 */
	next_ok("ff", SPOD_CBOR_BREAK);
	next_prefixes_truncated("fb3ff199999999999a");
	/* Unassigned simple values, as libcbor and serde_cbor refuse them. */
	next_fails("e0", SPOD_E_BAD_FIELD);
	next_fails("f3", SPOD_E_BAD_FIELD);
	next_fails("f820", SPOD_E_BAD_FIELD);
	next_fails("fc", SPOD_E_BAD_FIELD);
	next_fails("fe", SPOD_E_BAD_FIELD);
}

static void test_next_strings(void **state)
{
	struct spod_cbor_item it;

	(void)state;
	it = next_ok("40", SPOD_CBOR_BSTR);
	assert_int_equal(it.len, 0);
	assert_int_equal(it.indef, 0);
	it = next_ok("4401020304", SPOD_CBOR_BSTR);
	assert_int_equal(it.len, 4);
	assert_ptr_equal(it.ptr, buf + 2); /* a view into the input, after the head */
	it = next_ok("6449455446", SPOD_CBOR_TSTR);
	assert_int_equal(it.len, 4);
	assert_memory_equal(it.ptr, "IETF", 4);
	assert_true(spod_cbor_is_text(&it, "IETF"));
	assert_false(spod_cbor_is_text(&it, "IET"));
	assert_false(spod_cbor_is_text(&it, "IETFs"));
	it = next_ok("4449455446", SPOD_CBOR_BSTR);
	assert_false(spod_cbor_is_text(&it, "IETF")); /* bytes are not text */
	it = next_ok("5f", SPOD_CBOR_BSTR_INDEF);
	assert_int_equal(it.indef, 1);
	assert_null(it.ptr);
	it = next_ok("7f", SPOD_CBOR_TSTR_INDEF);
	assert_int_equal(it.indef, 1);
	assert_false(spod_cbor_is_text(&it, ""));
	next_prefixes_truncated("4401020304");
	next_prefixes_truncated("590003616263");
	next_prefixes_truncated("7a00000003616263");
}

/* A string whose length fits the input exactly, and one byte short of it. */
static void test_next_exact_fit(void **state)
{
	static char hex[2 * 300 + 8];
	struct spod_cbor_item it;
	size_t len;

	(void)state;
	memcpy(hex, "59012c", 6); /* bytes(300) */
	memset(hex + 6, 'a', 600);
	hex[606] = '\0';
	it = next_ok(hex, SPOD_CBOR_BSTR);
	assert_int_equal(it.len, 300);
	assert_ptr_equal(it.ptr + it.len, buf + 1 + 3 + 300);
	len = load(hex);
	next_fails_len(len - 1, SPOD_E_TRUNCATED);
}

/* Lengths and counts far beyond the input: strings fail, container heads are only heads. */
static void test_next_giant_lengths(void **state)
{
	struct spod_cbor_item it;

	(void)state;
	next_fails("5bffffffffffffffff00", SPOD_E_TRUNCATED);
	next_fails("7bffffffffffffffff00", SPOD_E_TRUNCATED);
	next_fails("5b7fffffffffffffff", SPOD_E_TRUNCATED);
	next_fails("5a0000ffff00", SPOD_E_TRUNCATED);
	it = next_ok("9bffffffffffffffff", SPOD_CBOR_ARRAY);
	assert_true(it.value == UINT64_MAX);
	it = next_ok("bb7fffffffffffffff", SPOD_CBOR_MAP);
	assert_true(it.value == INT64_MAX);
}

static void test_next_containers_and_tags(void **state)
{
	struct spod_cbor_item it;

	(void)state;
	it = next_ok("83", SPOD_CBOR_ARRAY);
	assert_int_equal(it.value, 3);
	assert_int_equal(it.indef, 0);
	it = next_ok("9f", SPOD_CBOR_ARRAY);
	assert_int_equal(it.indef, 1);
	it = next_ok("a2", SPOD_CBOR_MAP);
	assert_int_equal(it.value, 2);
	it = next_ok("bf", SPOD_CBOR_MAP);
	assert_int_equal(it.indef, 1);
	/* Every one-byte tag head, including 6..20 that libcbor 0.8 refuses (18: COSE_Sign1). */
	for (unsigned v = 0; v < 24; v++) {
		char hex[3] = {"0123456789abcdef"[(0xc0 + v) >> 4], "0123456789abcdef"[v & 15], 0};
		it = next_ok(hex, SPOD_CBOR_TAG);
		assert_int_equal(it.value, v);
	}
	assert_int_equal(next_ok("d812", SPOD_CBOR_TAG).value, 18);
	assert_int_equal(next_ok("d9d9f7", SPOD_CBOR_TAG).value, 55799);
	it = next_ok("dbffffffffffffffff", SPOD_CBOR_TAG);
	assert_true(it.value == UINT64_MAX);
	next_prefixes_truncated("dbffffffffffffffff");
	next_prefixes_truncated("9b0000000000000001");
}

/* Reserved additional information and indefinite lengths where none is allowed. */
static void test_next_ill_formed(void **state)
{
	static const char *const bad[] = {"1c", "1d", "1e", "1f", "3c", "3f", "5c", "5e",
	                                  "7c", "7e", "9c", "9e", "bc", "be", "dc", "df"};

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		next_fails(bad[i], SPOD_E_BAD_FIELD);
	next_fails("", SPOD_E_TRUNCATED);
}

/* Steps through hex (a container) with spod_cbor_more, reading each member as one uint. */
static void walk(const char *hex, uint64_t want_members)
{
	size_t len = load(hex);
	struct spod_cbor_reader r = reader(len);
	struct spod_cbor_container c;
	struct spod_cbor_item it;
	uint64_t members = 0;
	int more = 0;

	assert_int_equal(spod_cbor_next(&r, &it), SPOD_OK);
	spod_cbor_container_init(&c, &it);
	for (;;) {
		assert_int_equal(spod_cbor_more(&r, &c, &more), SPOD_OK);
		if (!more)
			break;
		for (int k = 0; k < (it.kind == SPOD_CBOR_MAP ? 2 : 1); k++) {
			struct spod_cbor_item m;
			assert_int_equal(spod_cbor_next(&r, &m), SPOD_OK);
			assert_int_equal(m.kind, SPOD_CBOR_UINT);
		}
		members++;
	}
	assert_int_equal(members, want_members);
	assert_int_equal(r.off, len);
	/* At the end a definite container stays at the end without reading. */
	if (!c.indef) {
		assert_int_equal(spod_cbor_more(&r, &c, &more), SPOD_OK);
		assert_int_equal(more, 0);
	}
}

static void test_more(void **state)
{
	struct spod_cbor_reader r;
	struct spod_cbor_container c, before;
	struct spod_cbor_item it;
	int more = 7;

	(void)state;
	walk("80", 0);
	walk("83010203", 3);
	walk("a201020304", 2);
	walk("9fff", 0);
	walk("9f0102ff", 2);
	walk("bf01020304ff", 2);
	/* An indefinite container whose break is missing: truncated, nothing moves. */
	r = reader(load("9f01"));
	assert_int_equal(spod_cbor_next(&r, &it), SPOD_OK);
	spod_cbor_container_init(&c, &it);
	assert_int_equal(spod_cbor_more(&r, &c, &more), SPOD_OK);
	assert_int_equal(more, 1);
	assert_int_equal(spod_cbor_next(&r, &it), SPOD_OK);
	more = 7;
	before = c;
	assert_int_equal(spod_cbor_more(&r, &c, &more), SPOD_E_TRUNCATED);
	assert_int_equal(r.off, 3);
	assert_int_equal(more, 7);
	assert_memory_equal(&c, &before, sizeof c);
}

/* Reads the indefinite string hex chunk by chunk; its contents must be want. */
static void chunks_ok(const char *hex, const char *want, size_t nchunks)
{
	size_t len = load(hex), got_len = 0, n = 0;
	struct spod_cbor_reader r = reader(len);
	struct spod_cbor_item start, chunk;
	uint8_t got[64];
	int more = 1;

	assert_int_equal(spod_cbor_next(&r, &start), SPOD_OK);
	for (;;) {
		assert_int_equal(spod_cbor_next_chunk(&r, &start, &chunk, &more), SPOD_OK);
		if (!more)
			break;
		assert_int_equal(chunk.kind, start.kind == SPOD_CBOR_BSTR_INDEF ? SPOD_CBOR_BSTR
		                                                                : SPOD_CBOR_TSTR);
		assert_true(chunk.len <= sizeof got - got_len);
		memcpy(got + got_len, chunk.ptr, chunk.len);
		got_len += chunk.len;
		n++;
	}
	assert_int_equal(r.off, len);
	assert_int_equal(n, nchunks);
	assert_int_equal(got_len, strlen(want));
	assert_memory_equal(got, want, got_len);
}

/* The string's first chunk fails with rc: reader, chunk and more unchanged. */
static void chunk_fails(const char *hex, int rc)
{
	struct spod_cbor_reader r = reader(load(hex));
	struct spod_cbor_item start, chunk, before;
	int more = 7;

	assert_int_equal(spod_cbor_next(&r, &start), SPOD_OK);
	memset(&chunk, POISON, sizeof chunk);
	before = chunk;
	assert_int_equal(spod_cbor_next_chunk(&r, &start, &chunk, &more), rc);
	assert_int_equal(r.off, 2);
	assert_int_equal(more, 7);
	assert_memory_equal(&chunk, &before, sizeof chunk);
}

static void test_chunks(void **state)
{
	(void)state;
	chunks_ok("5f42616243636465ff", "abcde", 2);
	chunks_ok("5fff", "", 0);
	chunks_ok("5f4040ff", "", 2);
	chunks_ok("7f657374726561646d696e67ff", "streaming", 2); /* RFC 8949 App. A */
	chunks_ok("7f7800ff", "", 1);                            /* non-shortest chunk head */
	chunk_fails("5f6161ff", SPOD_E_BAD_FIELD);               /* a text chunk in a byte string */
	chunk_fails("7f4161ff", SPOD_E_BAD_FIELD);               /* a byte chunk in a text string */
	chunk_fails("5f5f4101ffff", SPOD_E_BAD_FIELD);           /* chunks do not nest */
	chunk_fails("5f01ff", SPOD_E_BAD_FIELD);
	chunk_fails("5f", SPOD_E_TRUNCATED);
	chunk_fails("5f4201", SPOD_E_TRUNCATED);
	chunk_fails("5f5bffffffffffffffff", SPOD_E_TRUNCATED);
	chunk_fails("5f1c", SPOD_E_BAD_FIELD);
}

/* spod_cbor_skip over hex must succeed and stop right before the trailing 0x00 added here. */
static void skip_ok(const char *hex)
{
	size_t len = load(hex);
	struct spod_cbor_reader r;

	buf[len] = 0x00;
	r = reader(len + 1);
	assert_int_equal(spod_cbor_skip(&r), SPOD_OK);
	assert_int_equal(r.off, len);
}

static void skip_fails_len(size_t len, int rc)
{
	struct spod_cbor_reader r = reader(len);

	assert_int_equal(spod_cbor_skip(&r), rc);
	assert_int_equal(r.off, 1);
}

static void skip_fails(const char *hex, int rc)
{
	skip_fails_len(load(hex), rc);
}

/* Every proper prefix of the item hex is truncated for spod_cbor_skip. */
static void skip_prefixes_truncated(const char *hex)
{
	size_t len = load(hex);

	for (size_t n = 1; n < len; n++)
		skip_fails_len(n, SPOD_E_TRUNCATED);
}

/* The unknown field test_nsm.c's decoder skips: [1, -1, {"a": [h'', "t"]}, 1.5, null,
 * true, 1(0)], then (_ h'01', h'02'), (_ "a"), a tag 6..20 and nested indefinite items. */
static const char *const skippable[] = {
    "00",
    "3bffffffffffffffff",
    "5820000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
    "80",
    "a0",
    "870120a1616182406174f93e00f6f5c100",
    "5f41014102ff",
    "617a",
    "7f6161ff",
    "d28443a10126a0f6f6",
    "d9d9f7d2c1f5",
    "bf61610161629f0203ffff",
    "9f9f9fffffff",
    "bf5f4101ff7f6161ffff",
    "a26161016162820203",
    "fb3ff199999999999a",
};

static void test_skip(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof skippable / sizeof skippable[0]; i++) {
		print_message("  %s\n", skippable[i]);
		skip_ok(skippable[i]);
		skip_prefixes_truncated(skippable[i]);
	}
}

static void test_skip_ill_formed(void **state)
{
	(void)state;
	skip_fails("ff", SPOD_E_BAD_FIELD);           /* a break with nothing open */
	skip_fails("81ff", SPOD_E_BAD_FIELD);         /* a break in a definite array */
	skip_fails("a101ff", SPOD_E_BAD_FIELD);       /* a break for a definite map's value */
	skip_fails("bf01ff", SPOD_E_BAD_FIELD);       /* an indefinite map ending after a key */
	skip_fails("c1ff", SPOD_E_BAD_FIELD);         /* a tag with a break for its item */
	skip_fails("5f6161ff", SPOD_E_BAD_FIELD);     /* a text chunk in a byte string */
	skip_fails("7f5f4101ffff", SPOD_E_BAD_FIELD); /* nested indefinite chunk */
	skip_fails("5f01ff", SPOD_E_BAD_FIELD);
	skip_fails("8201fc", SPOD_E_BAD_FIELD); /* an unassigned simple value inside */
	skip_fails("9f1cff", SPOD_E_BAD_FIELD);
	skip_fails("dc00", SPOD_E_BAD_FIELD);
	skip_fails("", SPOD_E_TRUNCATED);
}

/* Counts and lengths the input cannot hold fail at once, without reading them all. */
static void test_skip_giant_lengths(void **state)
{
	(void)state;
	skip_fails("9bffffffffffffffff00", SPOD_E_TRUNCATED);
	skip_fails("bbffffffffffffffff0000", SPOD_E_TRUNCATED);
	skip_fails("bb7fffffffffffffff0000", SPOD_E_TRUNCATED);
	skip_fails("bb800000000000000100", SPOD_E_TRUNCATED); /* 2 * count wraps to 2 */
	skip_fails("5bffffffffffffffff00", SPOD_E_TRUNCATED);
	skip_fails("7f7bffffffffffffffff00ff", SPOD_E_TRUNCATED);
	skip_fails("830001", SPOD_E_TRUNCATED);
}

/* hex made of n copies of open, then the leaf, then n copies of close. */
static const char *nested(size_t n, const char *open, const char *leaf, const char *close)
{
	static char hex[2 * BUF_CAP];
	size_t off = 0;

	for (size_t i = 0; i < n; i++, off += strlen(open))
		memcpy(hex + off, open, strlen(open));
	memcpy(hex + off, leaf, strlen(leaf));
	off += strlen(leaf);
	for (size_t i = 0; i < n; i++, off += strlen(close))
		memcpy(hex + off, close, strlen(close));
	hex[off] = '\0';
	return hex;
}

/* The skipped item is level 1, so SPOD_CBOR_SKIP_MAX_DEPTH - 1 containers may enclose a
 * leaf; one more is too deep, whatever the container and however it is written. */
static void test_skip_nesting_limit(void **state)
{
	const size_t ok = SPOD_CBOR_SKIP_MAX_DEPTH - 1;

	(void)state;
	skip_ok(nested(ok, "81", "00", ""));
	skip_fails(nested(ok + 1, "81", "00", ""), SPOD_E_TOO_LARGE);
	skip_ok(nested(ok, "9f", "00", "ff"));
	skip_fails(nested(ok + 1, "9f", "00", "ff"), SPOD_E_TOO_LARGE);
	skip_ok(nested(ok, "a100", "f6", ""));
	skip_fails(nested(ok + 1, "a100", "f6", ""), SPOD_E_TOO_LARGE);
	skip_ok(nested(ok, "c1", "00", ""));
	skip_fails(nested(ok + 1, "c1", "00", ""), SPOD_E_TOO_LARGE);
	/* A string's chunks are one level below it; an empty container has no members. */
	skip_ok(nested(ok - 1, "81", "5f40ff", ""));
	skip_fails(nested(ok, "81", "5f40ff", ""), SPOD_E_TOO_LARGE);
	skip_ok(nested(ok, "81", "9fff", ""));
	skip_ok(nested(ok, "81", "80", ""));
	/* Far deeper than any stack could hold if it grew with the input. */
	skip_fails(nested(1000, "81", "00", ""), SPOD_E_TOO_LARGE);
	skip_fails(nested(1000, "9f", "", ""), SPOD_E_TOO_LARGE);
}

/* Heads round-trip through the writer and the reader at every width boundary. */
static void test_writer_heads_round_trip(void **state)
{
	static const uint64_t values[] = {0,     23,    24,          255,          256,
	                                  65535, 65536, 0xffffffffu, 0x100000000u, UINT64_MAX};
	static const struct {
		enum spod_cbor_major mt;
		enum spod_cbor_kind kind;
	} types[] = {{SPOD_CBOR_MT_UINT, SPOD_CBOR_UINT},
	             {SPOD_CBOR_MT_NEGINT, SPOD_CBOR_NEGINT},
	             {SPOD_CBOR_MT_ARRAY, SPOD_CBOR_ARRAY},
	             {SPOD_CBOR_MT_MAP, SPOD_CBOR_MAP},
	             {SPOD_CBOR_MT_TAG, SPOD_CBOR_TAG}};
	static const size_t widths[] = {1, 1, 2, 2, 3, 3, 5, 5, 9, 9};
	uint8_t head[SPOD_CBOR_HEAD_MAX_BYTES];
	struct spod_cbor_reader r;
	struct spod_cbor_item it;

	(void)state;
	for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
		for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
			size_t n = spod_cbor_head(head, types[t].mt, values[i]);
			assert_int_equal(n, widths[i]);
			assert_int_equal(head[0] >> 5, types[t].mt);
			spod_cbor_reader_init(&r, head, n);
			assert_int_equal(spod_cbor_next(&r, &it), SPOD_OK);
			assert_int_equal(it.kind, types[t].kind);
			assert_true(it.value == values[i]);
			assert_true(spod_cbor_at_end(&r));
		}
	}
	assert_int_equal(spod_cbor_head(head, SPOD_CBOR_MT_TAG, 18), 1);
	assert_int_equal(head[0], 0xd2);
}

static int put_sample(struct spod_cbor_writer *w)
{
	SPOD_TRY(spod_cbor_put_head(w, SPOD_CBOR_MT_MAP, 1));
	SPOD_TRY(spod_cbor_put_str(w, SPOD_CBOR_MT_TSTR, "a", 1));
	SPOD_TRY(spod_cbor_put_head(w, SPOD_CBOR_MT_ARRAY, 3));
	SPOD_TRY(spod_cbor_put_str(w, SPOD_CBOR_MT_BSTR, "\x01\x02", 2));
	SPOD_TRY(spod_cbor_put_null(w));
	return spod_cbor_put_raw(w, "\xf5", 1);
}

static void test_writer(void **state)
{
	static const uint8_t want[] = {0xa1, 0x61, 'a', 0x83, 0x42, 1, 2, 0xf6, 0xf5};
	uint8_t out[sizeof want + 4];
	struct spod_cbor_writer w, before;

	(void)state;
	/* Counting: no buffer, the length the real encoding has. */
	spod_cbor_writer_init(&w, NULL, SIZE_MAX);
	assert_int_equal(put_sample(&w), SPOD_OK);
	assert_int_equal(w.len, sizeof want);
	/* Exact fit, then every smaller capacity fails. */
	spod_cbor_writer_init(&w, out, sizeof want);
	assert_int_equal(put_sample(&w), SPOD_OK);
	assert_int_equal(w.len, sizeof want);
	assert_memory_equal(out, want, sizeof want);
	for (size_t cap = 0; cap < sizeof want; cap++) {
		spod_cbor_writer_init(&w, out, cap);
		assert_int_equal(put_sample(&w), SPOD_E_TOO_LARGE);
		assert_true(w.len <= cap);
	}
	/* A failed put leaves the writer as it was, even when the head alone would fit. */
	spod_cbor_writer_init(&w, out, 3);
	before = w;
	assert_int_equal(spod_cbor_put_str(&w, SPOD_CBOR_MT_BSTR, "abc", 3), SPOD_E_TOO_LARGE);
	assert_memory_equal(&w, &before, sizeof w);
	spod_cbor_writer_init(&w, NULL, 4);
	assert_int_equal(spod_cbor_put_str(&w, SPOD_CBOR_MT_BSTR, "abc", 3), SPOD_OK);
	assert_int_equal(spod_cbor_put_head(&w, SPOD_CBOR_MT_UINT, 0), SPOD_E_TOO_LARGE);
	assert_int_equal(w.len, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_next_integers),
	    cmocka_unit_test(test_next_simple_values),
	    cmocka_unit_test(test_next_strings),
	    cmocka_unit_test(test_next_exact_fit),
	    cmocka_unit_test(test_next_giant_lengths),
	    cmocka_unit_test(test_next_containers_and_tags),
	    cmocka_unit_test(test_next_ill_formed),
	    cmocka_unit_test(test_more),
	    cmocka_unit_test(test_chunks),
	    cmocka_unit_test(test_skip),
	    cmocka_unit_test(test_skip_ill_formed),
	    cmocka_unit_test(test_skip_giant_lengths),
	    cmocka_unit_test(test_skip_nesting_limit),
	    cmocka_unit_test(test_writer_heads_round_trip),
	    cmocka_unit_test(test_writer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
