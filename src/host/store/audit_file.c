/*
 * Export files of the audit log (docs/storage.md, "Export files"): the JSON lines of a
 * segment of the chain, and the reader that re-walks one without a database. Text fields
 * carry bytes: ASCII as itself (but '"' and '\'), every other byte b as \u00XX, so the
 * string's code points are the bytes (Python: s.encode('latin-1')).
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/hex.h"
#include "spod/err.h"
#include "host/store/store_int.h"

#define FILE_FORMAT  "spod-audit-export"
#define FILE_VERSION 1

struct line {
	char *p;
	size_t cap, off;
	int over; /* something did not fit */
};

static void put(struct line *l, const char *text, size_t n)
{
	if (l->over || n > l->cap - l->off) {
		l->over = 1;
		return;
	}
	memcpy(l->p + l->off, text, n);
	l->off += n;
}

/* `"name":`, after a comma unless it is the object's first member. */
static void member(struct line *l, const char *name)
{
	char text[40];
	int n = snprintf(text, sizeof text, "%s\"%s\":", l->off > 1 ? "," : "", name);

	put(l, text, (size_t)n);
}

static void put_int(struct line *l, const char *name, long long v)
{
	char text[24];
	int n = snprintf(text, sizeof text, "%lld", v);

	member(l, name);
	put(l, text, (size_t)n);
}

/* Lowercase hex in quotes, or null when p is NULL. */
static void put_hex(struct line *l, const char *name, const uint8_t *p, size_t n)
{
	member(l, name);
	if (p == NULL) {
		put(l, "null", 4);
		return;
	}
	put(l, "\"", 1);
	if (l->over || 2 * n + 1 > l->cap - l->off ||
	    spod_hex_encode(l->p + l->off, l->cap - l->off, p, n) < 0)
		l->over = 1;
	else
		l->off += 2 * n;
	put(l, "\"", 1);
}

/* Bytes as a JSON string of the code points U+0000..U+00FF, or null when p is NULL. */
static void put_bytes(struct line *l, const char *name, const char *p, size_t n)
{
	member(l, name);
	if (p == NULL) {
		put(l, "null", 4);
		return;
	}
	put(l, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char b = (unsigned char)p[i];
		char esc[8];

		if (b >= 0x20 && b < 0x7f && b != '"' && b != '\\') {
			put(l, &p[i], 1);
		} else {
			snprintf(esc, sizeof esc, "\\u%04x", b);
			put(l, esc, 6);
		}
	}
	put(l, "\"", 1);
}

static int finish(struct line *l, size_t *len)
{
	put(l, "}\n", 2);
	*len = l->over ? 0 : l->off;
	return l->over ? SPOD_E_TOO_LARGE : SPOD_OK;
}

int audit_file_header(char *buf, size_t cap, size_t *len, const struct spod_audit_segment *seg)
{
	struct line l = {buf, cap, 0, 0};

	put(&l, "{", 1);
	member(&l, "format");
	put(&l, "\"" FILE_FORMAT "\"", strlen(FILE_FORMAT) + 2);
	put_int(&l, "version", FILE_VERSION);
	put_int(&l, "first_seq", (long long)seg->first_seq);
	put_hex(&l, "prev_hash", seg->prev_hash, SPOD_STORE_HASH_BYTES);
	put_int(&l, "last_seq", (long long)seg->last_seq);
	put_hex(&l, "last_hash", seg->last_hash, SPOD_STORE_HASH_BYTES);
	return finish(&l, len);
}

int audit_file_record(char *buf, size_t cap, size_t *len, const struct spod_audit_entry *e)
{
	const struct spod_audit_rec *r = &e->rec;
	struct line l = {buf, cap, 0, 0};

	put(&l, "{", 1);
	put_int(&l, "seq", (long long)e->seq);
	put_int(&l, "time_ms", r->time_ms);
	put_bytes(&l, "kind", r->kind, strlen(r->kind));
	put_hex(&l, "key_id", r->key_id, SPOD_KEY_ID_BYTES);
	put_hex(&l, "token_id", r->token_id, SPOD_STORE_TOKEN_ID_BYTES);
	put_hex(&l, "digest", r->digest_len ? r->digest : NULL, r->digest_len);
	put_int(&l, "result", r->result);
	put_bytes(&l, "detail", r->detail, r->detail ? strlen(r->detail) : 0);
	put_hex(&l, "prev_hash", e->prev_hash, SPOD_STORE_HASH_BYTES);
	put_hex(&l, "hash", e->hash, SPOD_STORE_HASH_BYTES);
	return finish(&l, len);
}

/* ---- reading ---- */

/* One record line as read, its strings NUL-terminated. */
struct file_rec {
	uint64_t seq;
	struct spod_audit_rec rec;
	char kind[SPOD_AUDIT_KIND_MAX_BYTES + 1];
	char detail[SPOD_AUDIT_DETAIL_MAX_BYTES + 1];
	uint8_t key_id[SPOD_KEY_ID_BYTES], token_id[SPOD_STORE_TOKEN_ID_BYTES];
	uint8_t digest[SPOD_AUDIT_DIGEST_MAX_BYTES];
	uint8_t prev_hash[SPOD_STORE_HASH_BYTES], hash[SPOD_STORE_HASH_BYTES];
};

struct reader {
	FILE *f;
	char buf[AUDIT_FILE_LINE_MAX_BYTES + 2];
	size_t len;
	struct spod_audit_file_check *c;
};

static int fail(struct spod_audit_file_check *c, int err, uint64_t seq, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(struct spod_audit_file_check *c, int err, uint64_t seq, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->why, sizeof c->why, fmt, ap);
	va_end(ap);
	c->first_bad_seq = seq;
	return err;
}

/* The next line into r->buf (with its '\n'): 1, 0 at the end, or a message in why. */
static int read_line(struct reader *r, const char **why)
{
	if (fgets(r->buf, sizeof r->buf, r->f) == NULL) {
		*why = ferror(r->f) ? "cannot read the file" : NULL;
		return ferror(r->f) ? -1 : 0;
	}
	r->c->line++;
	r->len = strlen(r->buf);
	if (r->len > 0 && r->buf[r->len - 1] == '\n')
		return 1;
	*why = feof(r->f) ? "the last line is cut short (no newline at its end)"
	                  : "line longer than 16384 bytes, or with a NUL byte";
	return -1;
}

/* Exactly 2n lowercase hex digits. */
static int get_hex(uint8_t *out, size_t n, const json_t *v)
{
	const char *t = json_string_value(v);

	if (t == NULL || json_string_length(v) != 2 * n || strspn(t, "0123456789abcdef") != 2 * n)
		return -1;
	return spod_hex_decode_exact(out, n, t, 2 * n) < 0 ? -1 : 0;
}

/* null (*len 0, out NULL-like) or lowercase hex of exact bytes (any of 1..cap when 0). */
static int get_opt_hex(uint8_t *out, size_t cap, size_t *len, const json_t *v, size_t exact)
{
	size_t n = json_string_length(v) / 2;

	*len = 0;
	if (json_is_null(v))
		return 0;
	if (!json_is_string(v) || n == 0 || n > cap || (exact != 0 && n != exact))
		return -1;
	*len = n;
	return get_hex(out, n, v);
}

/* A string of code points U+0001..U+00FF as bytes, 1..cap of them, NUL-terminated. */
static int get_bytes(char *out, size_t cap, const json_t *v)
{
	const unsigned char *t = (const unsigned char *)json_string_value(v);
	size_t len = json_string_length(v), n = 0;

	if (t == NULL || len == 0)
		return -1;
	for (size_t i = 0; i < len; i++, n++) {
		unsigned cp = t[i];

		if (cp >= 0x80) { /* two-byte UTF-8 of U+0080..U+00FF only */
			if ((cp != 0xc2 && cp != 0xc3) || i + 1 == len || (t[i + 1] & 0xc0) != 0x80)
				return -1;
			cp = (cp & 0x1f) << 6 | (t[++i] & 0x3f);
		}
		if (n == cap || cp == 0)
			return -1;
		out[n] = (char)cp;
	}
	out[n] = '\0';
	return 0;
}

static int get_int(int64_t *out, const json_t *v, int64_t lo, int64_t hi)
{
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return -1;
	*out = json_integer_value(v);
	return 0;
}

/* An object with exactly the n members named (duplicates are refused by the parser). */
static int has_members(const json_t *o, const char *const *names, size_t n)
{
	if (!json_is_object(o) || json_object_size(o) != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (json_object_get(o, names[i]) == NULL)
			return 0;
	return 1;
}

static const char *const rec_names[] = {"seq",    "time_ms", "kind",   "key_id",    "token_id",
                                        "digest", "result",  "detail", "prev_hash", "hash"};

/* Decodes one record object into fr; -1 when it is not a record line. */
static int decode_rec(struct file_rec *fr, const json_t *o)
{
	struct spod_audit_rec *r = &fr->rec;
	const json_t *detail = json_object_get(o, "detail");
	size_t key_len, token_len;
	int64_t seq, result;

	memset(fr, 0, sizeof *fr);
	if (!has_members(o, rec_names, sizeof rec_names / sizeof rec_names[0]) ||
	    get_int(&seq, json_object_get(o, "seq"), 1, INT64_MAX) < 0 ||
	    get_int(&r->time_ms, json_object_get(o, "time_ms"), INT64_MIN, INT64_MAX) < 0 ||
	    get_int(&result, json_object_get(o, "result"), INT32_MIN, INT32_MAX) < 0 ||
	    get_bytes(fr->kind, SPOD_AUDIT_KIND_MAX_BYTES, json_object_get(o, "kind")) < 0 ||
	    (!json_is_null(detail) &&
	     get_bytes(fr->detail, SPOD_AUDIT_DETAIL_MAX_BYTES, detail) < 0) ||
	    get_opt_hex(fr->key_id, sizeof fr->key_id, &key_len, json_object_get(o, "key_id"),
	                SPOD_KEY_ID_BYTES) < 0 ||
	    get_opt_hex(fr->token_id, sizeof fr->token_id, &token_len,
	                json_object_get(o, "token_id"), SPOD_STORE_TOKEN_ID_BYTES) < 0 ||
	    get_opt_hex(fr->digest, sizeof fr->digest, &r->digest_len, json_object_get(o, "digest"),
	                0) < 0 ||
	    get_hex(fr->prev_hash, SPOD_STORE_HASH_BYTES, json_object_get(o, "prev_hash")) < 0 ||
	    get_hex(fr->hash, SPOD_STORE_HASH_BYTES, json_object_get(o, "hash")) < 0)
		return -1;
	fr->seq = (uint64_t)seq;
	r->result = (int32_t)result;
	r->kind = fr->kind;
	r->detail = json_is_null(detail) ? NULL : fr->detail;
	r->key_id = key_len ? fr->key_id : NULL;
	r->token_id = token_len ? fr->token_id : NULL;
	r->digest = r->digest_len ? fr->digest : NULL;
	return 0;
}

static const char *const header_names[] = {"format",    "version",  "first_seq",
                                           "prev_hash", "last_seq", "last_hash"};

static int read_header(struct reader *r, const char *path)
{
	struct spod_audit_segment *seg = &r->c->seg;
	const char *why = "the file is empty";
	json_t *o = NULL;
	int64_t version = 0, first = 0, last = 0;
	int ok;

	if (read_line(r, &why) <= 0)
		return fail(r->c, SPOD_E_BAD_ARG, 0, "%s: %s", path, why);
	o = json_loadb(r->buf, r->len, JSON_REJECT_DUPLICATES, NULL);
	ok = has_members(o, header_names, sizeof header_names / sizeof header_names[0]) &&
	     json_is_string(json_object_get(o, "format")) &&
	     strcmp(json_string_value(json_object_get(o, "format")), FILE_FORMAT) == 0 &&
	     get_int(&version, json_object_get(o, "version"), 1, INT32_MAX) == 0;
	if (ok && version != FILE_VERSION) {
		json_decref(o);
		return fail(r->c, SPOD_E_BAD_ARG, 0,
		            "%s: export format version %lld; this spod reads version %d", path,
		            (long long)version, FILE_VERSION);
	}
	ok = ok && get_int(&first, json_object_get(o, "first_seq"), 1, INT64_MAX) == 0 &&
	     get_int(&last, json_object_get(o, "last_seq"), first, INT64_MAX) == 0 &&
	     get_hex(seg->prev_hash, SPOD_STORE_HASH_BYTES, json_object_get(o, "prev_hash")) == 0 &&
	     get_hex(seg->last_hash, SPOD_STORE_HASH_BYTES, json_object_get(o, "last_hash")) == 0;
	json_decref(o);
	if (!ok)
		return fail(r->c, SPOD_E_BAD_ARG, 0,
		            "%s is not a spod audit export (its first line is no version-1 header)",
		            path);
	seg->first_seq = (uint64_t)first;
	seg->last_seq = (uint64_t)last;
	return SPOD_OK;
}

/* Checks the record on the line in r->buf as record `expect`, linked to prev. */
static int check_line(struct reader *r, uint64_t expect, uint8_t prev[static SPOD_STORE_HASH_BYTES])
{
	struct spod_audit_file_check *c = r->c;
	uint8_t hash[SPOD_STORE_HASH_BYTES];
	struct file_rec fr;
	json_t *o = json_loadb(r->buf, r->len, JSON_REJECT_DUPLICATES, NULL);
	int bad = decode_rec(&fr, o);

	json_decref(o);
	if (bad)
		return fail(c, SPOD_E_BAD_SIGNATURE, expect, "not a well-formed record");
	if (expect > c->seg.last_seq)
		return fail(c, SPOD_E_BAD_SIGNATURE, expect,
		            "a record after the header's last_seq %llu",
		            (unsigned long long)c->seg.last_seq);
	if (fr.seq != expect)
		return fail(c, SPOD_E_BAD_SIGNATURE, expect, "record with seq %llu, expected %llu",
		            (unsigned long long)fr.seq, (unsigned long long)expect);
	if (memcmp(fr.prev_hash, prev, SPOD_STORE_HASH_BYTES) != 0)
		return fail(c, SPOD_E_BAD_SIGNATURE, expect,
		            "prev_hash is not the hash of the record before");
	if (spod_store_audit_hash(hash, prev, fr.seq, &fr.rec) < 0 ||
	    memcmp(hash, fr.hash, sizeof hash) != 0)
		return fail(c, SPOD_E_BAD_SIGNATURE, expect, "contents do not match its hash");
	memcpy(prev, hash, SPOD_STORE_HASH_BYTES);
	return SPOD_OK;
}

static int walk_file(struct reader *r, uint64_t at_seq)
{
	struct spod_audit_file_check *c = r->c;
	uint8_t prev[SPOD_STORE_HASH_BYTES];
	uint64_t expect = c->seg.first_seq;
	const char *why = NULL;
	int more;

	memcpy(prev, c->seg.prev_hash, sizeof prev);
	if (expect == 1 && memcmp(prev, (const uint8_t[SPOD_STORE_HASH_BYTES]){0}, sizeof prev))
		return fail(c, SPOD_E_BAD_SIGNATURE, 1, "seq 1 must follow 32 zero bytes");
	while ((more = read_line(r, &why)) > 0) {
		SPOD_TRY(check_line(r, expect, prev));
		if (expect == at_seq) {
			c->at_found = 1;
			memcpy(c->at_hash, prev, sizeof prev);
		}
		c->records++;
		expect++;
	}
	if (more < 0)
		return fail(c, SPOD_E_BAD_SIGNATURE, expect, "%s", why);
	c->line = 0;
	if (expect != c->seg.last_seq + 1)
		return fail(c, SPOD_E_BAD_SIGNATURE, expect,
		            "the file ends before seq %llu (the header's last_seq is %llu)",
		            (unsigned long long)expect, (unsigned long long)c->seg.last_seq);
	if (memcmp(prev, c->seg.last_hash, sizeof prev) != 0)
		return fail(c, SPOD_E_BAD_SIGNATURE, c->seg.last_seq,
		            "the last record's hash is not the header's last_hash");
	return SPOD_OK;
}

int spod_audit_file_verify(struct spod_audit_file_check *check, const char *path, uint64_t at_seq)
{
	struct reader *r = calloc(1, sizeof *r); /* the line buffer is 16 KiB */
	int fd, err;

	memset(check, 0, sizeof *check);
	if (r == NULL)
		return fail(check, SPOD_E_NOMEM, 0, "out of memory");
	r->c = check;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || (r->f = fdopen(fd, "r")) == NULL) {
		err = fail(check, SPOD_E_BAD_ARG, 0, "cannot read %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		free(r);
		return err;
	}
	err = read_header(r, path);
	if (err == SPOD_OK && at_seq == check->seg.first_seq - 1) {
		check->at_found = 1;
		memcpy(check->at_hash, check->seg.prev_hash, SPOD_STORE_HASH_BYTES);
	}
	if (err == SPOD_OK)
		err = walk_file(r, at_seq);
	fclose(r->f);
	free(r);
	return err;
}
