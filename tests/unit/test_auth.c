/* API tokens (src/host/auth/auth.c): token text, hashes, scopes grammar, authorization, limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/hex.h"
#include "host/auth/auth.h"
#include "spod/err.h"
#include "spod/wire.h"

#define NTOKENS 1000

static int cmp_tokens(const void *a, const void *b)
{
	return memcmp(a, b, SPOD_AUTH_TOKEN_BUF_BYTES);
}

static int cmp_ids(const void *a, const void *b)
{
	return memcmp(a, b, SPOD_AUTH_TOKEN_ID_BYTES);
}

static int is_b64url(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

static void test_token_format_unique(void **state)
{
	static char texts[NTOKENS][SPOD_AUTH_TOKEN_BUF_BYTES];
	static uint8_t ids[NTOKENS][SPOD_AUTH_TOKEN_ID_BYTES];
	uint8_t hash[SPOD_AUTH_HASH_BYTES], again[SPOD_AUTH_HASH_BYTES];

	(void)state;
	for (size_t i = 0; i < NTOKENS; i++) {
		assert_int_equal(spod_auth_token_new(texts[i], hash, ids[i]), SPOD_OK);
		assert_int_equal(strlen(texts[i]), SPOD_AUTH_TOKEN_CHARS);
		assert_memory_equal(texts[i], "spod_", 5);
		for (size_t j = 5; j < SPOD_AUTH_TOKEN_CHARS; j++)
			assert_true(is_b64url(texts[i][j]));
		/* The hash given at creation is the one computed from the text later. */
		assert_int_equal(spod_auth_token_hash(again, texts[i], strlen(texts[i])), SPOD_OK);
		assert_true(spod_auth_hash_equal(hash, again));
	}
	qsort(texts, NTOKENS, sizeof texts[0], cmp_tokens);
	for (size_t i = 1; i < NTOKENS; i++)
		assert_int_not_equal(cmp_tokens(texts[i - 1], texts[i]), 0);
	qsort(ids, NTOKENS, sizeof ids[0], cmp_ids);
	for (size_t i = 1; i < NTOKENS; i++)
		assert_int_not_equal(cmp_ids(ids[i - 1], ids[i]), 0);
}

static void assert_hash(const char *text, const char *want_hex)
{
	uint8_t got[32], want[32];
	size_t n;

	assert_int_equal(spod_hex_decode(want, sizeof want, &n, want_hex), SPOD_OK);
	assert_int_equal(spod_auth_token_hash(got, text, strlen(text)), SPOD_OK);
	assert_memory_equal(got, want, 32);
}

/*
 * Expected values from /usr/bin/python3:
 *   t = 'spod_' + base64.urlsafe_b64encode(b).decode().rstrip('=')
 *   hashlib.sha256(t.encode()).hexdigest()
 * for b = bytes(range(32)) and b = b'\xff' * 32.
 */
static void test_token_hash_vectors(void **state)
{
	(void)state;
	assert_hash("spod_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
	            "3027854ba088188b7ef6e6a366c73ecb5e5beee7a8ac05abfe7c1851c266c902");
	assert_hash("spod___________________________________________8",
	            "b130030d1ee00cba848af0d2b4e8bcab7ffd2dd924afaf4b32250681c23d7fbc");
}

static void test_token_malformed(void **state)
{
	static const char *const bad[] = {
	    "",
	    "spod_",
	    "spod_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh",   /* 42 chars */
	    "spod_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8A", /* 44 chars */
	    "Spod_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",  /* prefix case */
	    "spod-AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",  /* prefix */
	    "xxxx_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
	    "spod_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh=", /* padding char */
	    "spod_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdH+8", /* standard base64 '+' */
	    "spod_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdH/8", /* standard base64 '/' */
	    "spod_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdH 8", /* space */
	    "spod_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9", /* padding bits set */
	    "spod_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh_", /* padding bits set */
	};
	uint8_t hash[32], zero[32] = {0};
	char with_nul[SPOD_AUTH_TOKEN_CHARS];

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memset(hash, 0xaa, sizeof hash);
		assert_int_equal(spod_auth_token_hash(hash, bad[i], strlen(bad[i])),
		                 SPOD_E_BAD_ARG);
		assert_memory_equal(hash, zero, 32);
	}
	memcpy(with_nul, "spod_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", sizeof with_nul);
	with_nul[20] = '\0';
	assert_int_equal(spod_auth_token_hash(hash, with_nul, sizeof with_nul), SPOD_E_BAD_ARG);
	/* The length given, not the NUL, decides. */
	assert_int_equal(
	    spod_auth_token_hash(hash, "spod_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", 47),
	    SPOD_E_BAD_ARG);
}

static void test_hash_equal(void **state)
{
	uint8_t a[32] = {0}, b[32] = {0};

	(void)state;
	assert_true(spod_auth_hash_equal(a, b));
	b[31] = 1;
	assert_false(spod_auth_hash_equal(a, b));
	b[31] = 0;
	b[0] = 0x80;
	assert_false(spod_auth_hash_equal(a, b));
}

#define ID_A "00112233445566778899aabbccddeeff"
#define ID_B "ffeeddccbbaa99887766554433221100"

struct scope_case {
	const char *text;
	int ok;
	const char *canonical; /* NULL: the text itself is canonical */
};

static const struct scope_case scope_cases[] = {
    {"ops=sign;keys=*", 1, NULL},
    {"ops=sign,list;keys=*", 1, NULL},
    {"ops=list,sign;keys=*", 1, "ops=sign,list;keys=*"},
    {"keys=*;ops=sign", 1, "ops=sign;keys=*"},
    {"ops=sign,generate,delete,list,attest,admin;keys=*", 1, NULL},
    {"ops=admin,attest,list,delete,generate,sign;keys=*", 1,
     "ops=sign,generate,delete,list,attest,admin;keys=*"},
    {"ops=sign;keys=id:" ID_A ",label:hot-wallet;rate=100", 1, NULL},
    {"rate=100;keys=label:hot-wallet,id:" ID_A ";ops=sign", 1,
     "ops=sign;keys=label:hot-wallet,id:" ID_A ";rate=100"},
    {"ops=sign;keys=id:" ID_A ",id:" ID_B, 1, NULL},
    {"ops=attest;keys=*;rate=1", 1, NULL},
    {"ops=attest;keys=*;rate=1000000", 1, NULL},
    {"ops=sign;keys=label:A.b_c-9", 1, NULL},
    {"ops=sign;keys=label:x,id:" ID_A, 1, NULL},
    /* quotas: labels=, keys-max=, audit-rate= */
    {"ops=generate;keys=*;keys-max=3", 1, NULL},
    {"ops=generate;keys=*;keys-max=1", 1, NULL},
    {"ops=generate;keys=*;keys-max=1000000", 1, NULL},
    {"ops=generate;keys=*;labels=hot-*", 1, NULL},
    {"ops=generate;keys=*;labels=hot-*,cold,A.b_c-9*", 1, NULL},
    {"ops=generate;keys=*;labels=hot,hot*", 1, NULL},
    {"ops=sign;keys=*;audit-rate=5", 1, NULL},
    {"ops=sign;keys=*;audit-rate=1", 1, NULL},
    {"ops=sign;keys=*;audit-rate=1000000", 1, NULL},
    {"ops=sign,generate;keys=*;labels=hot-*;keys-max=100;rate=50;audit-rate=50", 1, NULL},
    {"audit-rate=5;keys-max=3;labels=x*;rate=2;keys=*;ops=sign", 1,
     "ops=sign;keys=*;labels=x*;keys-max=3;rate=2;audit-rate=5"},
    {"ops=admin;labels=b,a*;keys=id:" ID_A ";audit-rate=9", 1,
     "ops=admin;keys=id:" ID_A ";labels=b,a*;audit-rate=9"},
    /* rejected */
    {"ops=generate;keys=*;keys-max=0", 0, NULL},
    {"ops=generate;keys=*;keys-max=01", 0, NULL},
    {"ops=generate;keys=*;keys-max=1000001", 0, NULL},
    {"ops=generate;keys=*;keys-max=", 0, NULL},
    {"ops=generate;keys=*;keys-max=-1", 0, NULL},
    {"ops=generate;keys=*;keys-max=3x", 0, NULL},
    {"ops=generate;keys=*;keys-max=1;keys-max=2", 0, NULL},
    {"ops=generate;keys=*;keysmax=1", 0, NULL},
    {"ops=generate;keys=*;keys_max=1", 0, NULL},
    {"ops=generate;keys=*;Keys-max=1", 0, NULL},
    {"ops=generate;keys=*;keys-max =1", 0, NULL},
    {"ops=generate;keys=*;labels=", 0, NULL},
    {"ops=generate;keys=*;labels=*", 0, NULL},
    {"ops=generate;keys=*;labels=hot**", 0, NULL},
    {"ops=generate;keys=*;labels=*hot", 0, NULL},
    {"ops=generate;keys=*;labels=h*t", 0, NULL},
    {"ops=generate;keys=*;labels=hot,hot", 0, NULL},
    {"ops=generate;keys=*;labels=hot*,hot*", 0, NULL},
    {"ops=generate;keys=*;labels=a,", 0, NULL},
    {"ops=generate;keys=*;labels=,a", 0, NULL},
    {"ops=generate;keys=*;labels=a,,b", 0, NULL},
    {"ops=generate;keys=*;labels=hot wallet", 0, NULL},
    {"ops=generate;keys=*;labels=a:b", 0, NULL},
    {"ops=generate;keys=*;labels=label:a", 0, NULL},
    {"ops=generate;keys=*;labels=a=b", 0, NULL},
    {"ops=generate;keys=*;labels=x;labels=y", 0, NULL},
    {"ops=sign;keys=*;audit-rate=0", 0, NULL},
    {"ops=sign;keys=*;audit-rate=1000001", 0, NULL},
    {"ops=sign;keys=*;audit-rate=", 0, NULL},
    {"ops=sign;keys=*;audit-rate=1.5", 0, NULL},
    {"ops=sign;keys=*;audit-rate=1;audit-rate=1", 0, NULL},
    {"ops=sign;keys=*;audit_rate=1", 0, NULL},
    {"ops=sign;keys=*;auditrate=1", 0, NULL},
    {"", 0, NULL},
    {";", 0, NULL},
    {"ops=sign", 0, NULL},
    {"keys=*", 0, NULL},
    {"ops=;keys=*", 0, NULL},
    {"ops=sign,;keys=*", 0, NULL},
    {"ops=,sign;keys=*", 0, NULL},
    {"ops=sign,,list;keys=*", 0, NULL},
    {"ops=sign;keys=*;", 0, NULL},
    {";ops=sign;keys=*", 0, NULL},
    {"ops=Sign;keys=*", 0, NULL},
    {"ops=sing;keys=*", 0, NULL},
    {"ops=all;keys=*", 0, NULL},
    {"ops=sign,sign;keys=*", 0, NULL},
    {"ops=sign;ops=list;keys=*", 0, NULL},
    {"ops=sign;keys=*;keys=*", 0, NULL},
    {"ops=sign;keys=*;rate=1;rate=2", 0, NULL},
    {"ops=sign;keys=", 0, NULL},
    {"ops=sign;keys=*,id:" ID_A, 0, NULL},
    {"ops=sign;keys=id:" ID_A ",*", 0, NULL},
    {"ops=sign;keys=id:00112233445566778899AABBCCDDEEFF", 0, NULL},
    {"ops=sign;keys=id:00112233445566778899aabbccddeef", 0, NULL},
    {"ops=sign;keys=id:00112233445566778899aabbccddeeff00", 0, NULL},
    {"ops=sign;keys=id:0x112233445566778899aabbccddeeff", 0, NULL},
    {"ops=sign;keys=id:00112233445566778899aabbccddeefg", 0, NULL},
    {"ops=sign;keys=id:" ID_A ",id:" ID_A, 0, NULL},
    {"ops=sign;keys=label:a,label:a", 0, NULL},
    {"ops=sign;keys=label:", 0, NULL},
    {"ops=sign;keys=label:hot wallet", 0, NULL},
    {"ops=sign;keys=label:a:b", 0, NULL},
    {"ops=sign;keys=label:a=b", 0, NULL},
    {"ops=sign;keys=name:a", 0, NULL},
    {"ops=sign;keys=" ID_A, 0, NULL},
    {"ops=sign;keys=*;rate=0", 0, NULL},
    {"ops=sign;keys=*;rate=01", 0, NULL},
    {"ops=sign;keys=*;rate=1000001", 0, NULL},
    {"ops=sign;keys=*;rate=99999999999", 0, NULL},
    {"ops=sign;keys=*;rate=-1", 0, NULL},
    {"ops=sign;keys=*;rate=+1", 0, NULL},
    {"ops=sign;keys=*;rate=", 0, NULL},
    {"ops=sign;keys=*;rate=1e3", 0, NULL},
    {"ops=sign;keys=*;expires=1", 0, NULL},
    {"ops = sign;keys=*", 0, NULL},
    {"ops=sign; keys=*", 0, NULL},
    {"OPS=sign;keys=*", 0, NULL},
};

static void test_scopes_table(void **state)
{
	struct spod_auth_scopes s, again;
	char buf[SPOD_AUTH_SCOPES_MAX_BYTES + 1];
	const char *why;
	size_t len;

	(void)state;
	for (size_t i = 0; i < sizeof scope_cases / sizeof scope_cases[0]; i++) {
		const struct scope_case *c = &scope_cases[i];
		const char *want = c->canonical ? c->canonical : c->text;
		int rc = spod_auth_scopes_parse(&s, &why, c->text, strlen(c->text));

		if (!c->ok) {
			if (rc != SPOD_E_BAD_ARG)
				fail_msg("accepted: %s", c->text);
			assert_non_null(why);
			continue;
		}
		if (rc != SPOD_OK)
			fail_msg("rejected: %s (%s)", c->text, why);
		assert_null(why);
		assert_int_equal(spod_auth_scopes_format(buf, sizeof buf, &len, &s), SPOD_OK);
		assert_string_equal(buf, want);
		assert_int_equal(len, strlen(c->text));
		assert_int_equal(spod_auth_scopes_parse(&again, &why, buf, len), SPOD_OK);
		assert_memory_equal(&s, &again, sizeof s);
	}
}

static void test_scopes_fields(void **state)
{
	struct spod_auth_scopes s;
	const char *why;
	const char *t = "ops=sign,attest;keys=id:" ID_A ",label:hot-wallet;rate=100";

	(void)state;
	assert_int_equal(spod_auth_scopes_parse(&s, &why, t, strlen(t)), SPOD_OK);
	assert_int_equal(s.ops, SPOD_AUTH_OP_SIGN | SPOD_AUTH_OP_ATTEST);
	assert_int_equal(s.all_keys, 0);
	assert_int_equal(s.nkeys, 2);
	assert_int_equal(s.keys[0].kind, SPOD_AUTH_KEY_ID);
	assert_int_equal(s.keys[0].id[0], 0x00);
	assert_int_equal(s.keys[0].id[15], 0xff);
	assert_int_equal(s.keys[1].kind, SPOD_AUTH_KEY_LABEL);
	assert_string_equal(s.keys[1].label, "hot-wallet");
	assert_int_equal(s.rate_per_s, 100);

	/* Failure zeroes the output and names the problem. */
	t = "ops=sign;keys=*;bogus=1";
	assert_int_equal(spod_auth_scopes_parse(&s, &why, t, strlen(t)), SPOD_E_BAD_ARG);
	assert_non_null(strstr(why, "unknown field"));
	assert_int_equal(s.ops, 0);
	t = "ops=sign,frobnicate;keys=*";
	assert_int_equal(spod_auth_scopes_parse(&s, &why, t, strlen(t)), SPOD_E_BAD_ARG);
	assert_string_equal(why, "ops: unknown op");
	/* The length given is what is parsed: a prefix of valid text. */
	t = "ops=sign;keys=*;rate=5";
	assert_int_equal(spod_auth_scopes_parse(&s, &why, t, 15), SPOD_OK);
	assert_int_equal(s.rate_per_s, 0);
	/* An embedded NUL is an error. */
	assert_int_equal(spod_auth_scopes_parse(&s, &why, "ops=sign;keys=*\0", 16), SPOD_E_BAD_ARG);
}

static void test_scopes_quota_fields(void **state)
{
	struct spod_auth_scopes s;
	const char *why;
	const char *t = "ops=generate;keys=*;labels=hot-*,cold;keys-max=3;audit-rate=7";

	(void)state;
	assert_int_equal(spod_auth_scopes_parse(&s, &why, t, strlen(t)), SPOD_OK);
	assert_int_equal(s.nlabels, 2);
	assert_int_equal(s.labels[0].prefix, 1);
	assert_string_equal(s.labels[0].text, "hot-");
	assert_int_equal(s.labels[1].prefix, 0);
	assert_string_equal(s.labels[1].text, "cold");
	assert_int_equal(s.keys_max, 3);
	assert_int_equal(s.audit_rate, 7);
	assert_int_equal(s.rate_per_s, 0);
	/* Absent: no limit. */
	t = "ops=generate;keys=*";
	assert_int_equal(spod_auth_scopes_parse(&s, &why, t, strlen(t)), SPOD_OK);
	assert_int_equal(s.nlabels + s.keys_max + s.audit_rate, 0);
	/* Each refusal says what was wrong. */
	t = "ops=generate;keys=*;labels=a,a";
	assert_int_equal(spod_auth_scopes_parse(&s, &why, t, strlen(t)), SPOD_E_BAD_ARG);
	assert_string_equal(why, "labels: entry listed twice");
	t = "ops=generate;keys=*;keys-max=1;keys-max=1";
	assert_int_equal(spod_auth_scopes_parse(&s, &why, t, strlen(t)), SPOD_E_BAD_ARG);
	assert_string_equal(why, "keys-max given twice");
	t = "ops=generate;keys=*;keys-max=0";
	assert_int_equal(spod_auth_scopes_parse(&s, &why, t, strlen(t)), SPOD_E_BAD_ARG);
	assert_string_equal(why, "keys-max: not a number in 1..1000000");
	t = "ops=sign;keys=*;audit-rate=2000000";
	assert_int_equal(spod_auth_scopes_parse(&s, &why, t, strlen(t)), SPOD_E_BAD_ARG);
	assert_string_equal(why, "audit-rate: not a number in 1..1000000");
	t = "ops=sign;keys=*;labels=*";
	assert_int_equal(spod_auth_scopes_parse(&s, &why, t, strlen(t)), SPOD_E_BAD_ARG);
	assert_non_null(strstr(why, "labels: "));
	assert_int_equal(s.keys_max + s.nlabels, 0);
}

/* Writes "ops=sign;keys=label:00xx..,label:01xx..,..." with n labels of label_len chars. */
static size_t labels_text(char *out, size_t cap, size_t n, size_t label_len)
{
	size_t off = (size_t)snprintf(out, cap, "ops=sign;keys=");

	for (size_t i = 0; i < n; i++) {
		off += (size_t)snprintf(out + off, cap - off, "%slabel:%02zu", i ? "," : "", i);
		for (size_t j = 2; j < label_len; j++)
			out[off++] = 'x';
		out[off] = '\0';
	}
	return off;
}

static void test_scopes_limits(void **state)
{
	struct spod_auth_scopes s;
	char text[4096], buf[SPOD_AUTH_SCOPES_MAX_BYTES + 1], label[200];
	const char *why;
	size_t n, len;

	(void)state;
	/* 64 entries are allowed, 65 are not. */
	n = labels_text(text, sizeof text, 64, 2);
	assert_int_equal(spod_auth_scopes_parse(&s, &why, text, n), SPOD_OK);
	assert_int_equal(s.nkeys, 64);
	n = labels_text(text, sizeof text, 65, 2);
	assert_int_equal(spod_auth_scopes_parse(&s, &why, text, n), SPOD_E_BAD_ARG);
	assert_string_equal(why, "keys: more than 64 entries");

	/* Labels of 128 characters are allowed, 129 are not. */
	memset(label, 'a', sizeof label);
	n = (size_t)snprintf(text, sizeof text, "ops=sign;keys=label:%.128s", label);
	assert_int_equal(spod_auth_scopes_parse(&s, &why, text, n), SPOD_OK);
	assert_int_equal(strlen(s.keys[0].label), 128);
	n = (size_t)snprintf(text, sizeof text, "ops=sign;keys=label:%.129s", label);
	assert_int_equal(spod_auth_scopes_parse(&s, &why, text, n), SPOD_E_BAD_ARG);

	/* The whole text: 1024 bytes are allowed, 1025 are not (store column cap). */
	/* 14 + 8 * (6 + 119) + 7 = 1021 bytes; the last label grows to 122 characters. */
	n = labels_text(text, sizeof text, 8, 119);
	assert_int_equal(n, 1021);
	while (n < SPOD_AUTH_SCOPES_MAX_BYTES)
		text[n++] = 'y';
	text[n] = '\0';
	assert_int_equal(n, SPOD_AUTH_SCOPES_MAX_BYTES);
	assert_int_equal(spod_auth_scopes_parse(&s, &why, text, n), SPOD_OK);
	assert_int_equal(spod_auth_scopes_format(buf, sizeof buf, &len, &s), SPOD_OK);
	assert_int_equal(len, SPOD_AUTH_SCOPES_MAX_BYTES);
	assert_string_equal(buf, text);
	/* One byte short of room for the NUL. */
	assert_int_equal(spod_auth_scopes_format(buf, SPOD_AUTH_SCOPES_MAX_BYTES, &len, &s),
	                 SPOD_E_TOO_LARGE);
	assert_int_equal(len, 0);
	assert_string_equal(buf, "");
	text[n++] = 'y';
	text[n] = '\0';
	assert_int_equal(spod_auth_scopes_parse(&s, &why, text, n), SPOD_E_BAD_ARG);
}

/* Writes "ops=generate;keys=*;labels=00*,01*,..." with n patterns. */
static size_t patterns_text(char *out, size_t cap, size_t n)
{
	size_t off = (size_t)snprintf(out, cap, "ops=generate;keys=*;labels=");

	for (size_t i = 0; i < n; i++)
		off += (size_t)snprintf(out + off, cap - off, "%s%02zu*", i ? "," : "", i);
	return off;
}

static void test_scopes_label_limits(void **state)
{
	struct spod_auth_scopes s;
	char text[4096], buf[SPOD_AUTH_SCOPES_MAX_BYTES + 1], label[200];
	const char *why;
	size_t n, len;

	(void)state;
	/* 64 patterns are allowed, 65 are not. */
	n = patterns_text(text, sizeof text, 64);
	assert_int_equal(spod_auth_scopes_parse(&s, &why, text, n), SPOD_OK);
	assert_int_equal(s.nlabels, 64);
	assert_int_equal(spod_auth_scopes_format(buf, sizeof buf, &len, &s), SPOD_OK);
	assert_string_equal(buf, text);
	n = patterns_text(text, sizeof text, 65);
	assert_int_equal(spod_auth_scopes_parse(&s, &why, text, n), SPOD_E_BAD_ARG);
	assert_string_equal(why, "labels: more than 64 entries");
	/* 128 characters before the star are allowed, 129 are not. */
	memset(label, 'a', sizeof label);
	n = (size_t)snprintf(text, sizeof text, "ops=generate;keys=*;labels=%.128s*", label);
	assert_int_equal(spod_auth_scopes_parse(&s, &why, text, n), SPOD_OK);
	assert_int_equal(strlen(s.labels[0].text), 128);
	assert_int_equal(s.labels[0].prefix, 1);
	n = (size_t)snprintf(text, sizeof text, "ops=generate;keys=*;labels=%.129s*", label);
	assert_int_equal(spod_auth_scopes_parse(&s, &why, text, n), SPOD_E_BAD_ARG);
	n = (size_t)snprintf(text, sizeof text, "ops=generate;keys=*;labels=%.129s", label);
	assert_int_equal(spod_auth_scopes_parse(&s, &why, text, n), SPOD_E_BAD_ARG);
}

static void test_scopes_format_quota_invalid(void **state)
{
	struct spod_auth_scopes s;
	char buf[128];
	size_t len;

	(void)state;
	memset(&s, 0, sizeof s);
	s.ops = SPOD_AUTH_OP_GENERATE;
	s.all_keys = 1;
	s.keys_max = SPOD_AUTH_KEYS_MAX + 1;
	assert_int_equal(spod_auth_scopes_format(buf, sizeof buf, &len, &s), SPOD_E_BAD_ARG);
	s.keys_max = 4;
	s.audit_rate = SPOD_AUTH_AUDIT_RATE_MAX + 1;
	assert_int_equal(spod_auth_scopes_format(buf, sizeof buf, &len, &s), SPOD_E_BAD_ARG);
	s.audit_rate = 12;
	assert_int_equal(spod_auth_scopes_format(buf, sizeof buf, &len, &s), SPOD_OK);
	assert_string_equal(buf, "ops=generate;keys=*;keys-max=4;audit-rate=12");
	s.nlabels = 1; /* an empty pattern */
	assert_int_equal(spod_auth_scopes_format(buf, sizeof buf, &len, &s), SPOD_E_BAD_ARG);
	strcpy(s.labels[0].text, "a*b");
	assert_int_equal(spod_auth_scopes_format(buf, sizeof buf, &len, &s), SPOD_E_BAD_ARG);
	strcpy(s.labels[0].text, "ab");
	s.labels[0].prefix = 2;
	assert_int_equal(spod_auth_scopes_format(buf, sizeof buf, &len, &s), SPOD_E_BAD_ARG);
	s.labels[0].prefix = 1;
	assert_int_equal(spod_auth_scopes_format(buf, sizeof buf, &len, &s), SPOD_OK);
	assert_string_equal(buf, "ops=generate;keys=*;labels=ab*;keys-max=4;audit-rate=12");
	s.nlabels = 2;
	s.labels[1] = s.labels[0];
	assert_int_equal(spod_auth_scopes_format(buf, sizeof buf, &len, &s), SPOD_E_BAD_ARG);
	s.labels[1].prefix = 0;
	assert_int_equal(spod_auth_scopes_format(buf, sizeof buf, &len, &s), SPOD_OK);
	assert_string_equal(buf, "ops=generate;keys=*;labels=ab*,ab;keys-max=4;audit-rate=12");
	s.nlabels = SPOD_AUTH_MAX_LABELS + 1;
	assert_int_equal(spod_auth_scopes_format(buf, sizeof buf, &len, &s), SPOD_E_BAD_ARG);
}

static void test_label_allowed(void **state)
{
	struct spod_auth_scopes s;
	const char *why;
	const char *t = "ops=generate;keys=*";

	(void)state;
	/* Without labels=, any label. */
	assert_int_equal(spod_auth_scopes_parse(&s, &why, t, strlen(t)), SPOD_OK);
	assert_true(spod_auth_label_allowed(&s, "anything"));
	assert_true(spod_auth_label_allowed(&s, NULL));
	t = "ops=generate,admin;keys=*;labels=hot-*,cold";
	assert_int_equal(spod_auth_scopes_parse(&s, &why, t, strlen(t)), SPOD_OK);
	assert_true(spod_auth_label_allowed(&s, "hot-1"));
	assert_true(spod_auth_label_allowed(&s, "hot-")); /* the star matches nothing too */
	assert_true(spod_auth_label_allowed(&s, "hot-wallet.2"));
	assert_true(spod_auth_label_allowed(&s, "cold"));
	/* Unlabelled keys: allowed (no label: entry can match them). */
	assert_true(spod_auth_label_allowed(&s, NULL));
	assert_true(spod_auth_label_allowed(&s, ""));
	/* Outside, admin or not. */
	assert_false(spod_auth_label_allowed(&s, "hot"));
	assert_false(spod_auth_label_allowed(&s, "Hot-1"));
	assert_false(spod_auth_label_allowed(&s, "xhot-1"));
	assert_false(spod_auth_label_allowed(&s, "cold1"));
	assert_false(spod_auth_label_allowed(&s, "col"));
	assert_false(spod_auth_label_allowed(&s, "cold-1"));
}

/* Writes "ops=sign;keys=label:00xx..,label:01xx..,..." with n labels of label_len chars. */
static void test_scopes_format_invalid(void **state)
{
	struct spod_auth_scopes s;
	char buf[64];
	size_t len;

	(void)state;
	memset(&s, 0, sizeof s);
	s.all_keys = 1;
	assert_int_equal(spod_auth_scopes_format(buf, sizeof buf, &len, &s), SPOD_E_BAD_ARG);
	s.ops = 1u << 8; /* no such op */
	assert_int_equal(spod_auth_scopes_format(buf, sizeof buf, &len, &s), SPOD_E_BAD_ARG);
	s.ops = SPOD_AUTH_OP_SIGN;
	s.rate_per_s = SPOD_AUTH_RATE_MAX + 1;
	assert_int_equal(spod_auth_scopes_format(buf, sizeof buf, &len, &s), SPOD_E_BAD_ARG);
	s.rate_per_s = 7;
	assert_int_equal(spod_auth_scopes_format(buf, sizeof buf, &len, &s), SPOD_OK);
	assert_string_equal(buf, "ops=sign;keys=*;rate=7");
	assert_int_equal(spod_auth_scopes_format(buf, 5, &len, &s), SPOD_E_TOO_LARGE);
	assert_string_equal(buf, "");
	s.all_keys = 0;
	assert_int_equal(spod_auth_scopes_format(buf, sizeof buf, &len, &s), SPOD_E_BAD_ARG);
	s.nkeys = 1;
	s.keys[0].kind = SPOD_AUTH_KEY_LABEL;
	assert_int_equal(spod_auth_scopes_format(buf, sizeof buf, &len, &s), SPOD_E_BAD_ARG);
	strcpy(s.keys[0].label, "a;b");
	assert_int_equal(spod_auth_scopes_format(buf, sizeof buf, &len, &s), SPOD_E_BAD_ARG);
	strcpy(s.keys[0].label, "ab");
	assert_int_equal(spod_auth_scopes_format(buf, sizeof buf, &len, &s), SPOD_OK);
	assert_string_equal(buf, "ops=sign;keys=label:ab;rate=7");
	s.keys[0].kind = 9;
	assert_int_equal(spod_auth_scopes_format(buf, sizeof buf, &len, &s), SPOD_E_BAD_ARG);
}

static const uint8_t all_opcodes[] = {
    SPOD_OP_INFO,       SPOD_OP_ECHO,        SPOD_OP_HELLO,           SPOD_OP_KEY_GENERATE,
    SPOD_OP_KEY_PUBLIC, SPOD_OP_KEY_LIST,    SPOD_OP_KEY_DELETE,      SPOD_OP_SIGN,
    SPOD_OP_SIGN_BATCH, SPOD_OP_ATTEST,      SPOD_OP_KEY_LOAD,        SPOD_OP_KEY_IMPORT,
    SPOD_OP_SEAL_SETUP, SPOD_OP_SEAL_STATUS, SPOD_OP_CUSTODIAN_SHARE, SPOD_OP_SIGN_TX,
    SPOD_OP_POLICY_SET, SPOD_OP_POLICY_GET,  SPOD_OP_POLICY_ADMINS,   SPOD_OP_POLICY_SYNC,
    SPOD_OP_EVIDENCE,   SPOD_OP_AUDIT_HEAD,
};

/* Opcodes only spod-host itself sends: refused for every token, admin included. */
static int host_only(uint8_t opcode)
{
	return opcode == SPOD_OP_KEY_LOAD || opcode == SPOD_OP_SEAL_SETUP ||
	       opcode == SPOD_OP_POLICY_ADMINS || opcode == SPOD_OP_POLICY_SYNC ||
	       opcode == SPOD_OP_EVIDENCE;
}

/* The op each opcode needs (0: none), as docs/auth.md lists it. */
static uint32_t expected_need(uint8_t opcode)
{
	switch (opcode) {
	case SPOD_OP_SIGN:
	case SPOD_OP_SIGN_BATCH:
	case SPOD_OP_SIGN_TX:
		return SPOD_AUTH_OP_SIGN;
	case SPOD_OP_KEY_GENERATE:
		return SPOD_AUTH_OP_GENERATE;
	case SPOD_OP_KEY_DELETE:
		return SPOD_AUTH_OP_DELETE;
	case SPOD_OP_KEY_LIST:
	case SPOD_OP_KEY_PUBLIC:
	case SPOD_OP_INFO:
	case SPOD_OP_POLICY_GET:
	case SPOD_OP_AUDIT_HEAD: /* mode QUERY; SIGN is refused by spod-host (admit.c) */
		return SPOD_AUTH_OP_LIST;
	case SPOD_OP_POLICY_SET:
		return SPOD_AUTH_OP_ADMIN;
	case SPOD_OP_ATTEST:
		return SPOD_AUTH_OP_ATTEST;
	case SPOD_OP_CUSTODIAN_SHARE:
		return SPOD_AUTH_OP_PROVISION;
	case SPOD_OP_KEY_IMPORT:
		return SPOD_AUTH_OP_IMPORT;
	default:
		return 0;
	}
}

/* 1: names keys; 2: may name one (attest binding a key). */
static int expected_key_scoped(uint8_t opcode)
{
	if (opcode == SPOD_OP_ATTEST)
		return 2;
	return opcode == SPOD_OP_SIGN || opcode == SPOD_OP_SIGN_BATCH ||
	       opcode == SPOD_OP_SIGN_TX || opcode == SPOD_OP_KEY_DELETE ||
	       opcode == SPOD_OP_KEY_PUBLIC || opcode == SPOD_OP_POLICY_SET ||
	       opcode == SPOD_OP_POLICY_GET;
}

/* Every opcode against every non-empty op set, with all keys, a listed and an unlisted key. */
static void test_check_matrix(void **state)
{
	static const uint8_t listed[16] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
	                                   0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
	static const uint8_t other[16] = {1};
	struct spod_auth_scopes s;

	(void)state;
	for (uint32_t ops = 1; ops <= SPOD_AUTH_OPS_ALL; ops++) {
		for (size_t i = 0; i < sizeof all_opcodes; i++) {
			uint8_t op = all_opcodes[i];
			uint32_t need = expected_need(op);
			int admin = (ops & SPOD_AUTH_OP_ADMIN) != 0;
			int op_ok = !host_only(op) && (admin || (ops & need) == need);
			int want_other = op_ok && (admin || !expected_key_scoped(op));
			int want_unnamed = op_ok && (admin || expected_key_scoped(op) != 1);

			memset(&s, 0, sizeof s);
			s.ops = ops;
			s.all_keys = 1;
			assert_int_equal(spod_auth_check(&s, op, other, NULL),
			                 op_ok ? SPOD_OK : SPOD_AUTH_E_FORBIDDEN);
			assert_int_equal(spod_auth_check(&s, op, NULL, NULL),
			                 op_ok ? SPOD_OK : SPOD_AUTH_E_FORBIDDEN);

			s.all_keys = 0;
			s.nkeys = 1;
			s.keys[0].kind = SPOD_AUTH_KEY_ID;
			memcpy(s.keys[0].id, listed, 16);
			assert_int_equal(spod_auth_check(&s, op, listed, NULL),
			                 op_ok ? SPOD_OK : SPOD_AUTH_E_FORBIDDEN);
			assert_int_equal(spod_auth_check(&s, op, other, "x"),
			                 want_other ? SPOD_OK : SPOD_AUTH_E_FORBIDDEN);
			assert_int_equal(spod_auth_check(&s, op, NULL, NULL),
			                 want_unnamed ? SPOD_OK : SPOD_AUTH_E_FORBIDDEN);
		}
	}
	/* Undefined opcodes are not authorized for anyone, admin included. */
	memset(&s, 0, sizeof s);
	s.ops = SPOD_AUTH_OPS_ALL;
	s.all_keys = 1;
	for (unsigned op = 0; op < 256; op++) {
		int defined = memchr(all_opcodes, (int)op, sizeof all_opcodes) != NULL;

		assert_int_equal(spod_auth_check(&s, (uint8_t)op, NULL, NULL),
		                 !defined                 ? SPOD_E_UNKNOWN_OP
		                 : host_only((uint8_t)op) ? SPOD_AUTH_E_FORBIDDEN
		                                          : SPOD_OK);
	}
}

static void test_check_id_label(void **state)
{
	static const char *const t = "ops=sign;keys=id:" ID_A ",label:hot-wallet,label:cold";
	uint8_t a[16], b[16];
	struct spod_auth_scopes s;
	const char *why;
	size_t n;

	(void)state;
	assert_int_equal(spod_hex_decode(a, sizeof a, &n, ID_A), SPOD_OK);
	assert_int_equal(spod_hex_decode(b, sizeof b, &n, ID_B), SPOD_OK);
	assert_int_equal(spod_auth_scopes_parse(&s, &why, t, strlen(t)), SPOD_OK);

	/* By id, whatever the label. */
	assert_int_equal(spod_auth_check(&s, SPOD_OP_SIGN, a, NULL), SPOD_OK);
	assert_int_equal(spod_auth_check(&s, SPOD_OP_SIGN, a, "other"), SPOD_OK);
	/* By label, whatever the id. */
	assert_int_equal(spod_auth_check(&s, SPOD_OP_SIGN, b, "hot-wallet"), SPOD_OK);
	assert_int_equal(spod_auth_check(&s, SPOD_OP_SIGN, b, "cold"), SPOD_OK);
	assert_int_equal(spod_auth_check(&s, SPOD_OP_SIGN, NULL, "cold"), SPOD_OK);
	/* Neither. */
	assert_int_equal(spod_auth_check(&s, SPOD_OP_SIGN, b, NULL), SPOD_AUTH_E_FORBIDDEN);
	assert_int_equal(spod_auth_check(&s, SPOD_OP_SIGN, b, ""), SPOD_AUTH_E_FORBIDDEN);
	assert_int_equal(spod_auth_check(&s, SPOD_OP_SIGN, b, "Hot-wallet"), SPOD_AUTH_E_FORBIDDEN);
	assert_int_equal(spod_auth_check(&s, SPOD_OP_SIGN, b, "hot-wallet2"),
	                 SPOD_AUTH_E_FORBIDDEN);
	assert_int_equal(spod_auth_check(&s, SPOD_OP_SIGN, b, "hot"), SPOD_AUTH_E_FORBIDDEN);
	assert_int_equal(spod_auth_check(&s, SPOD_OP_SIGN, NULL, NULL), SPOD_AUTH_E_FORBIDDEN);
	/* An id entry never matches a label spelled like the id. */
	assert_int_equal(spod_auth_check(&s, SPOD_OP_SIGN, b, ID_A), SPOD_AUTH_E_FORBIDDEN);
	/* In scope, wrong op. */
	assert_int_equal(spod_auth_check(&s, SPOD_OP_KEY_DELETE, a, NULL), SPOD_AUTH_E_FORBIDDEN);
	assert_true(spod_auth_key_allowed(&s, a, NULL));
	assert_false(spod_auth_key_allowed(&s, b, NULL));
}

/* attest: unbound for every token with the op; bound only to a key in the token's set. */
static void test_check_attest(void **state)
{
	static const char *const t = "ops=attest;keys=id:" ID_A ",label:hot";
	uint8_t a[16], b[16];
	struct spod_auth_scopes s;
	const char *why;
	size_t n;

	(void)state;
	assert_int_equal(spod_hex_decode(a, sizeof a, &n, ID_A), SPOD_OK);
	assert_int_equal(spod_hex_decode(b, sizeof b, &n, ID_B), SPOD_OK);
	assert_int_equal(spod_auth_scopes_parse(&s, &why, t, strlen(t)), SPOD_OK);
	assert_int_equal(spod_auth_check(&s, SPOD_OP_ATTEST, NULL, NULL), SPOD_OK);
	assert_int_equal(spod_auth_check(&s, SPOD_OP_ATTEST, a, NULL), SPOD_OK);
	assert_int_equal(spod_auth_check(&s, SPOD_OP_ATTEST, b, "hot"), SPOD_OK);
	assert_int_equal(spod_auth_check(&s, SPOD_OP_ATTEST, b, NULL), SPOD_AUTH_E_FORBIDDEN);
	assert_int_equal(spod_auth_check(&s, SPOD_OP_ATTEST, b, "cold"), SPOD_AUTH_E_FORBIDDEN);
	s.all_keys = 1;
	s.nkeys = 0;
	memset(s.keys, 0, sizeof s.keys);
	assert_int_equal(spod_auth_check(&s, SPOD_OP_ATTEST, b, NULL), SPOD_OK);
}

static void test_token_valid(void **state)
{
	(void)state;
	assert_int_equal(spod_auth_token_valid(0, 0, 0), SPOD_OK);
	assert_int_equal(spod_auth_token_valid(0, 0, INT64_MAX), SPOD_OK);
	assert_int_equal(spod_auth_token_valid(1000, 0, 999), SPOD_OK);
	assert_int_equal(spod_auth_token_valid(1000, 0, 1000), SPOD_AUTH_E_UNAUTHENTICATED);
	assert_int_equal(spod_auth_token_valid(1000, 0, 1001), SPOD_AUTH_E_UNAUTHENTICATED);
	assert_int_equal(spod_auth_token_valid(INT64_MAX, 0, INT64_MAX - 1), SPOD_OK);
	assert_int_equal(spod_auth_token_valid(-5, 0, 0), SPOD_AUTH_E_UNAUTHENTICATED);
	/* Revoked is revoked, even with a revocation time in the future (clock skew). */
	assert_int_equal(spod_auth_token_valid(0, 1000, 999), SPOD_AUTH_E_UNAUTHENTICATED);
	assert_int_equal(spod_auth_token_valid(0, 1000, 1000), SPOD_AUTH_E_UNAUTHENTICATED);
	assert_int_equal(spod_auth_token_valid(0, 1, INT64_MAX), SPOD_AUTH_E_UNAUTHENTICATED);
	assert_int_equal(spod_auth_token_valid(5000, 1000, 2000), SPOD_AUTH_E_UNAUTHENTICATED);
}

#define S_NS 1000000000ull

static void test_bucket_burst_refill(void **state)
{
	struct spod_auth_bucket b;
	uint64_t t = 5 * S_NS;

	(void)state;
	spod_auth_bucket_init(&b, 10, t);
	/* A full bucket: a burst of exactly rate requests. */
	for (int i = 0; i < 10; i++)
		assert_int_equal(spod_auth_bucket_take(&b, t), SPOD_OK);
	assert_int_equal(spod_auth_bucket_take(&b, t), SPOD_AUTH_E_RATE_LIMITED);
	/* 10/s: one token per 100 ms, continuously. */
	assert_int_equal(spod_auth_bucket_take(&b, t + 99999999), SPOD_AUTH_E_RATE_LIMITED);
	assert_int_equal(spod_auth_bucket_take(&b, t + 100000000), SPOD_OK);
	assert_int_equal(spod_auth_bucket_take(&b, t + 100000000), SPOD_AUTH_E_RATE_LIMITED);
	/* Partial refills add up: 4 steps of 25 ms. */
	for (int i = 1; i < 4; i++)
		assert_int_equal(spod_auth_bucket_take(&b, t + 100000000 + i * 25000000ull),
		                 SPOD_AUTH_E_RATE_LIMITED);
	assert_int_equal(spod_auth_bucket_take(&b, t + 200000000), SPOD_OK);
	/* A long idle time refills to capacity, no more. */
	t += 60 * S_NS;
	for (int i = 0; i < 10; i++)
		assert_int_equal(spod_auth_bucket_take(&b, t), SPOD_OK);
	assert_int_equal(spod_auth_bucket_take(&b, t), SPOD_AUTH_E_RATE_LIMITED);
	/* Sustained rate: over 10 s at one request per ms, 100 pass (plus nothing stored). */
	{
		int passed = 0;

		for (uint64_t ms = 1; ms <= 10000; ms++)
			passed += spod_auth_bucket_take(&b, t + ms * 1000000ull) == SPOD_OK;
		assert_int_equal(passed, 100);
	}
}

static void test_bucket_edges(void **state)
{
	struct spod_auth_bucket b;

	(void)state;
	/* rate 0: no limit. */
	spod_auth_bucket_init(&b, 0, 0);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(spod_auth_bucket_take(&b, 0), SPOD_OK);

	/* Huge gaps at the largest rate: refilled to capacity, no overflow. */
	spod_auth_bucket_init(&b, SPOD_AUTH_RATE_MAX, 0);
	assert_int_equal(b.level, (uint64_t)SPOD_AUTH_RATE_MAX * S_NS);
	b.level = 0;
	assert_int_equal(spod_auth_bucket_take(&b, UINT64_MAX), SPOD_OK);
	assert_int_equal(b.level, ((uint64_t)SPOD_AUTH_RATE_MAX - 1) * S_NS);
	b.level = 0;
	b.last_ns = 0;
	assert_int_equal(spod_auth_bucket_take(&b, S_NS - 1), SPOD_OK);
	assert_true(b.level < (uint64_t)SPOD_AUTH_RATE_MAX * S_NS);

	/* A clock that goes backwards refills nothing and does not move last_ns back. */
	spod_auth_bucket_init(&b, 1, 10 * S_NS);
	assert_int_equal(spod_auth_bucket_take(&b, 10 * S_NS), SPOD_OK);
	assert_int_equal(spod_auth_bucket_take(&b, 0), SPOD_AUTH_E_RATE_LIMITED);
	assert_int_equal(b.last_ns, 10 * S_NS);
	assert_int_equal(spod_auth_bucket_take(&b, 11 * S_NS - 1), SPOD_AUTH_E_RATE_LIMITED);
	assert_int_equal(spod_auth_bucket_take(&b, 11 * S_NS), SPOD_OK);

	/* Rates above the maximum are clamped. */
	spod_auth_bucket_init(&b, UINT32_MAX, 0);
	assert_int_equal(b.rate, SPOD_AUTH_RATE_MAX);
}

/* n tokens at once (audit-rate and sign.batch): all or none; never more than the rate. */
static void test_bucket_take_n(void **state)
{
	struct spod_auth_bucket b;
	uint64_t t = 3 * S_NS;

	(void)state;
	spod_auth_bucket_init(&b, 5, t);
	assert_int_equal(spod_auth_bucket_take_n(&b, t, 6), SPOD_AUTH_E_RATE_LIMITED);
	assert_int_equal(b.level, 5 * S_NS); /* nothing taken */
	assert_int_equal(spod_auth_bucket_take_n(&b, t, 3), SPOD_OK);
	assert_int_equal(spod_auth_bucket_take_n(&b, t, 3), SPOD_AUTH_E_RATE_LIMITED);
	assert_int_equal(spod_auth_bucket_take_n(&b, t, 2), SPOD_OK);
	assert_int_equal(spod_auth_bucket_take(&b, t), SPOD_AUTH_E_RATE_LIMITED);
	assert_int_equal(spod_auth_bucket_take_n(&b, t, 0), SPOD_OK);
	/* 5/s: 400 ms refill two. */
	assert_int_equal(spod_auth_bucket_take_n(&b, t + 400000000, 3), SPOD_AUTH_E_RATE_LIMITED);
	assert_int_equal(spod_auth_bucket_take_n(&b, t + 400000000, 2), SPOD_OK);
	/* A full bucket still never holds more than the rate. */
	assert_int_equal(spod_auth_bucket_take_n(&b, t + 60 * S_NS, 6), SPOD_AUTH_E_RATE_LIMITED);
	assert_int_equal(spod_auth_bucket_take_n(&b, t + 60 * S_NS, 5), SPOD_OK);
	/* The largest rate and batch: no overflow. */
	spod_auth_bucket_init(&b, SPOD_AUTH_RATE_MAX, 0);
	assert_int_equal(spod_auth_bucket_take_n(&b, 0, SPOD_AUTH_RATE_MAX), SPOD_OK);
	assert_int_equal(b.level, 0);
	assert_int_equal(spod_auth_bucket_take_n(&b, UINT64_MAX, UINT32_MAX),
	                 SPOD_AUTH_E_RATE_LIMITED);
	/* rate 0: no limit, whatever n. */
	spod_auth_bucket_init(&b, 0, 0);
	assert_int_equal(spod_auth_bucket_take_n(&b, 0, UINT32_MAX), SPOD_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_token_format_unique),
	    cmocka_unit_test(test_token_hash_vectors),
	    cmocka_unit_test(test_token_malformed),
	    cmocka_unit_test(test_hash_equal),
	    cmocka_unit_test(test_scopes_table),
	    cmocka_unit_test(test_scopes_fields),
	    cmocka_unit_test(test_scopes_limits),
	    cmocka_unit_test(test_scopes_format_invalid),
	    cmocka_unit_test(test_scopes_quota_fields),
	    cmocka_unit_test(test_scopes_label_limits),
	    cmocka_unit_test(test_scopes_format_quota_invalid),
	    cmocka_unit_test(test_label_allowed),
	    cmocka_unit_test(test_check_attest),
	    cmocka_unit_test(test_check_matrix),
	    cmocka_unit_test(test_check_id_label),
	    cmocka_unit_test(test_token_valid),
	    cmocka_unit_test(test_bucket_burst_refill),
	    cmocka_unit_test(test_bucket_edges),
	    cmocka_unit_test(test_bucket_take_n),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
