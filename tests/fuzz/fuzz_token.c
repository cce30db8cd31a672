/*
 * libFuzzer target for API tokens as spod-host receives them: the binary hello frame
 * (spod_wire_frame, spod_wire_hello_req) and the Authorization header (spod_http_bearer),
 * then the token text check and hash (spod_auth_token_hash), the lookup by hash
 * (spod_auth_hash_equal), expiry and revocation (spod_auth_token_valid), the hello answer
 * (spod_wire_put_hello / spod_wire_hello_resp) and each later request's authorization
 * (spod_auth_check). No store: three fixed token records stand in for it, so no I/O happens
 * per input.
 *
 * The first input byte chooses the path: bit 0 clear, the rest is a connection's byte stream
 * (hello first; once one succeeds, every further frame is authorized); set, the rest is an
 * Authorization header value. Checked beyond memory safety: a token is accepted exactly
 * when it is the canonical base64url text of 32 bytes after "spod_" (decoding and encoding
 * again gives the same text); a hash matches a record exactly when the text is that
 * record's; the hello answer carries the record's id and ops; authorization gives only
 * the documented codes, and what every token may (echo) or may not (the host-only opcodes) do.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "host/auth/auth.h"
#include "host/http/params.h"
#include "spod/err.h"
#include "spod/wire.h"
#include "wire/ops.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

#define HEADER_MAX_BYTES 4096u

struct record {
	const char *text;
	const char *scopes;
	int64_t expires_ms, revoked_ms;
	uint8_t id[SPOD_AUTH_TOKEN_ID_BYTES];
	uint8_t hash[SPOD_AUTH_HASH_BYTES];
	struct spod_auth_scopes parsed;
};

static struct record records[] = {
    {"spod_agUSUHoIHEu8ejut7raPyIawdWm1oHKc13bp1voo7Lg", "ops=admin;keys=*", 0, 0, {1}, {0}, {0}},
    {"spod_4KHmzyH7CWRHWAiS_U0zO8oYJe-XzXZbtSh4np9UosY",
     "ops=sign,list;keys=id:00112233445566778899aabbccddeeff,label:app;rate=10",
     1u << 30,
     0,
     {2},
     {0},
     {0}},
    {"spod_86ziJYvySDv8x8AHhS-TIBXmHoJR__b_Fh_yKex25YI", "ops=sign;keys=*", 0, 5, {3}, {0}, {0}},
};
#define NRECORDS (sizeof records / sizeof records[0])

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static uint8_t frame_copy[SPOD_FRAME_MAX_BYTES];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *why;

	(void)argc;
	(void)argv;
	for (size_t i = 0; i < NRECORDS; i++) {
		struct record *r = &records[i];

		if (spod_auth_token_hash(r->hash, r->text, strlen(r->text)) != SPOD_OK ||
		    spod_auth_scopes_parse(&r->parsed, &why, r->scopes, strlen(r->scopes)) !=
		        SPOD_OK)
			abort();
	}
	return 0;
}

/* 1 when text is "spod_" and the one base64url text of some 32 bytes (decode, encode, same). */
static int canonical(const char *text, size_t len)
{
	uint8_t raw[SPOD_AUTH_SECRET_BYTES + 2] = {0};
	char again[SPOD_AUTH_TOKEN_CHARS];
	uint32_t acc = 0;
	size_t bits = 0, n = 0, o = 0;

	if (len != SPOD_AUTH_TOKEN_CHARS || memcmp(text, "spod_", 5) != 0)
		return 0;
	for (size_t i = 5; i < len; i++) {
		const char *p = text[i] != '\0' ? strchr(b64url, text[i]) : NULL;

		if (p == NULL)
			return 0;
		acc = acc << 6 | (uint32_t)(p - b64url);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			raw[n++] = (uint8_t)(acc >> bits);
		}
	}
	if (n != SPOD_AUTH_SECRET_BYTES)
		return 0;
	memcpy(again, "spod_", 5);
	o = 5;
	acc = 0;
	bits = 0;
	for (size_t i = 0; i < n; i++) {
		acc = acc << 8 | raw[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			again[o++] = b64url[(acc >> bits) & 63];
		}
	}
	again[o++] = b64url[(acc << (6 - bits)) & 63];
	return o == len && memcmp(again, text, len) == 0;
}

/* Checks the token text; returns the record it names (and may use at now_ms), or NULL. */
static const struct record *check_token(const char *text, size_t len, int64_t now_ms)
{
	uint8_t hash[SPOD_AUTH_HASH_BYTES];
	static const uint8_t zero[SPOD_AUTH_HASH_BYTES];
	const struct record *found = NULL;
	int rc = spod_auth_token_hash(hash, text, len);

	if (rc != SPOD_OK) {
		CHECK(rc == SPOD_E_BAD_ARG && !canonical(text, len));
		CHECK(memcmp(hash, zero, sizeof hash) == 0);
		return NULL;
	}
	CHECK(canonical(text, len));
	for (size_t i = 0; i < NRECORDS; i++) {
		int same =
		    strlen(records[i].text) == len && memcmp(records[i].text, text, len) == 0;

		CHECK(spod_auth_hash_equal(hash, records[i].hash) == same);
		if (same)
			found = &records[i];
	}
	if (found == NULL)
		return NULL;
	rc = spod_auth_token_valid(found->expires_ms, found->revoked_ms, now_ms);
	CHECK(rc == SPOD_OK || rc == SPOD_AUTH_E_UNAUTHENTICATED);
	CHECK((rc == SPOD_OK) ==
	      (found->revoked_ms == 0 && (found->expires_ms == 0 || now_ms < found->expires_ms)));
	return rc == SPOD_OK ? found : NULL;
}

/* The hello answer spod-host writes for r, read back as a client reads it. */
static void check_answer(const struct record *r, uint64_t rid)
{
	uint32_t ops = (r->parsed.ops & SPOD_AUTH_OP_ADMIN) ? SPOD_AUTH_OPS_ALL : r->parsed.ops;
	struct spod_hello_view v;
	struct spod_frame f;
	size_t n;

	CHECK(spod_wire_put_hello(frame_copy, sizeof frame_copy, &n, rid, r->id, SPOD_HELLO_AUTH,
	                          ops) == SPOD_OK);
	CHECK(spod_wire_frame(&f, frame_copy, n) == SPOD_OK && f.frame_len == n);
	CHECK(spod_wire_check_hdr(&f.hdr, 1) == SPOD_OK && f.hdr.request_id == rid);
	CHECK(spod_wire_hello_resp(&v, &f) == SPOD_OK);
	CHECK(v.flags == SPOD_HELLO_AUTH && v.ops == ops);
	CHECK(memcmp(v.token_id, r->id, SPOD_AUTH_TOKEN_ID_BYTES) == 0);
}

/* The key a request names, when its body is well-formed and it names one; else NULL. */
static const uint8_t *request_key(const struct spod_frame *f)
{
	struct spod_key_req k;
	struct spod_sign_req s;
	struct spod_attest_req a;

	switch (f->hdr.opcode) {
	case SPOD_OP_KEY_PUBLIC:
	case SPOD_OP_KEY_DELETE:
		return spod_wire_key_req(&k, f) == SPOD_OK ? k.key_id : NULL;
	case SPOD_OP_SIGN:
		return spod_wire_sign_req(&s, f) == SPOD_OK ? s.key_id : NULL;
	case SPOD_OP_ATTEST:
		return spod_wire_attest_req(&a, f) == SPOD_OK ? a.key_id : NULL;
	default:
		return NULL;
	}
}

static void check_request(const struct record *r, const struct spod_frame *f)
{
	const uint8_t *key_id = request_key(f);
	uint8_t op = f->hdr.opcode;
	int rc = spod_auth_check(&r->parsed, op, key_id, NULL);

	if (spod_wire_op(op) == NULL) {
		CHECK(rc == SPOD_E_UNKNOWN_OP);
		return;
	}
	CHECK(rc == SPOD_OK || rc == SPOD_AUTH_E_FORBIDDEN);
	/* what spod-host sends itself (key.load, seal.setup, policy.admins/sync, evidence) */
	if (spod_wire_op(op)->need == SPOD_OPS_HOST_ONLY)
		CHECK(rc == SPOD_AUTH_E_FORBIDDEN);
	else if (op == SPOD_OP_ECHO || op == SPOD_OP_HELLO || op == SPOD_OP_SEAL_STATUS ||
	         (r->parsed.ops & SPOD_AUTH_OP_ADMIN))
		CHECK(rc == SPOD_OK);
	if (rc == SPOD_OK && key_id != NULL && !(r->parsed.ops & SPOD_AUTH_OP_ADMIN))
		CHECK(spod_auth_key_allowed(&r->parsed, key_id, NULL));
}

/*
 * One frame of the stream, f over a copy of exactly its bytes (a view past its end lands in a
 * redzone). Returns 1 to go on with the next frame, 0 where spod-host would stop reading.
 */
static int step(const struct record **who, const struct spod_frame *f)
{
	struct spod_hello_req h;
	int rc;

	if (spod_wire_check_hdr(&f->hdr, 0) != SPOD_OK)
		return 0;
	if (*who != NULL) {
		check_request(*who, f);
		return 1;
	}
	if (f->hdr.opcode != SPOD_OP_HELLO)
		return 0; /* spod-host answers only hello before one succeeds */
	rc = spod_wire_hello_req(&h, f);
	if (rc != SPOD_OK) {
		CHECK(h.token == NULL && h.token_len == 0);
		return 0;
	}
	CHECK(h.token_len >= 1 && h.token_len <= SPOD_TOKEN_MAX_BYTES);
	CHECK((const uint8_t *)h.token + h.token_len == f->body + f->body_len);
	*who = check_token(h.token, h.token_len, (int64_t)f->hdr.request_id);
	if (*who == NULL)
		return 0;
	check_answer(*who, f->hdr.request_id);
	return 1;
}

static void stream(const uint8_t *data, size_t size)
{
	const struct record *who = NULL;
	size_t off = 0;
	int more = 1;

	while (more && off < size) {
		struct spod_frame f;
		uint8_t *copy;

		if (spod_wire_frame(&f, data + off, size - off) != SPOD_OK)
			return;
		copy = malloc(f.frame_len);
		CHECK(copy != NULL);
		memcpy(copy, data + off, f.frame_len);
		off += f.frame_len;
		CHECK(spod_wire_frame(&f, copy, f.frame_len) == SPOD_OK);
		more = step(&who, &f);
		free(copy);
	}
}

static void header(const uint8_t *data, size_t size)
{
	char text[HEADER_MAX_BYTES + 1];
	const char *token;
	size_t len;
	int rc;

	if (size > HEADER_MAX_BYTES)
		return;
	memcpy(text, data, size);
	text[size] = '\0';
	rc = spod_http_bearer(&token, &len, text);
	if (rc != SPOD_OK) {
		CHECK(rc == SPOD_E_UNAUTHENTICATED && token == NULL && len == 0);
		return;
	}
	CHECK(len >= 1 && len <= SPOD_TOKEN_MAX_BYTES && token > text && token[len] == '\0');
	CHECK(strncasecmp(text, "bearer ", 7) == 0);
	(void)check_token(token, len, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] & 1)
		header(data + 1, size - 1);
	else
		stream(data + 1, size - 1);
	return 0;
}
