/* API tokens: see auth.h and docs/auth.md. */
#include "host/auth/auth.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/base64.h"
#include "spod/wire.h"
#include "wire/ops.h"
#include "host/store/store.h"

#define PREFIX_LEN  (sizeof SPOD_AUTH_TOKEN_PREFIX - 1u)
#define B64_CHARS   (SPOD_AUTH_TOKEN_CHARS - PREFIX_LEN)
#define NS_PER_S    1000000000ull
#define ID_HEX_LEN  (2u * SPOD_AUTH_KEY_ID_BYTES)
#define RATE_DIGITS 7u /* "1000000" */

_Static_assert(SPOD_AUTH_KEY_ID_BYTES == SPOD_KEY_ID_BYTES, "key id size");
_Static_assert(SPOD_AUTH_HASH_BYTES == SPOD_STORE_HASH_BYTES, "token hash size");
/* The opcode table names ops by their wire bits (hello answers): the same values. */
_Static_assert(SPOD_AUTH_OP_SIGN == SPOD_HELLO_OP_SIGN &&
                   SPOD_AUTH_OP_GENERATE == SPOD_HELLO_OP_GENERATE &&
                   SPOD_AUTH_OP_DELETE == SPOD_HELLO_OP_DELETE &&
                   SPOD_AUTH_OP_LIST == SPOD_HELLO_OP_LIST &&
                   SPOD_AUTH_OP_ATTEST == SPOD_HELLO_OP_ATTEST &&
                   SPOD_AUTH_OP_ADMIN == SPOD_HELLO_OP_ADMIN &&
                   SPOD_AUTH_OP_PROVISION == SPOD_HELLO_OP_PROVISION &&
                   SPOD_AUTH_OP_IMPORT == SPOD_HELLO_OP_IMPORT,
               "token op bits are the wire's");
_Static_assert(SPOD_AUTH_TOKEN_ID_BYTES == SPOD_STORE_TOKEN_ID_BYTES, "token id size");
_Static_assert(SPOD_AUTH_SCOPES_MAX_BYTES == SPOD_STORE_SCOPES_MAX_BYTES, "scopes column");
_Static_assert(SPOD_AUTH_LABEL_MAX_BYTES == SPOD_STORE_LABEL_MAX_BYTES, "label size");
_Static_assert(B64_CHARS == (SPOD_AUTH_SECRET_BYTES * 8u + 5u) / 6u, "token length");

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Op names in canonical order. */
static const struct {
	const char *name;
	uint32_t bit;
} ops[] = {
    {"sign", SPOD_AUTH_OP_SIGN},           {"generate", SPOD_AUTH_OP_GENERATE},
    {"delete", SPOD_AUTH_OP_DELETE},       {"list", SPOD_AUTH_OP_LIST},
    {"attest", SPOD_AUTH_OP_ATTEST},       {"admin", SPOD_AUTH_OP_ADMIN},
    {"provision", SPOD_AUTH_OP_PROVISION}, {"import", SPOD_AUTH_OP_IMPORT},
};

const char *spod_auth_op_name(uint32_t bit)
{
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (ops[i].bit == bit)
			return ops[i].name;
	return NULL;
}

static int sha256(uint8_t out[static SPOD_AUTH_HASH_BYTES], const void *in, size_t len)
{
	unsigned int n = 0;

	if (EVP_Digest(in, len, out, &n, EVP_sha256(), NULL) != 1 || n != SPOD_AUTH_HASH_BYTES) {
		OPENSSL_cleanse(out, SPOD_AUTH_HASH_BYTES);
		return SPOD_E_CRYPTO;
	}
	return SPOD_OK;
}

int spod_auth_token_new(char text[static SPOD_AUTH_TOKEN_BUF_BYTES],
                        uint8_t hash[static SPOD_AUTH_HASH_BYTES],
                        uint8_t id[static SPOD_AUTH_TOKEN_ID_BYTES])
{
	uint8_t secret[SPOD_AUTH_SECRET_BYTES];
	char *p = text + PREFIX_LEN;
	uint32_t acc = 0;
	unsigned bits = 0;
	int rc = SPOD_E_CRYPTO;

	memcpy(text, SPOD_AUTH_TOKEN_PREFIX, PREFIX_LEN);
	if (RAND_bytes(secret, sizeof secret) != 1 || RAND_bytes(id, SPOD_AUTH_TOKEN_ID_BYTES) != 1)
		goto out;
	for (size_t i = 0; i < sizeof secret; i++) {
		acc = (acc << 8) | secret[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			*p++ = b64url[(acc >> bits) & 0x3f];
		}
	}
	if (bits > 0)
		*p++ = b64url[(acc << (6 - bits)) & 0x3f];
	*p = '\0';
	SPOD_GUARD(rc, sha256(hash, text, SPOD_AUTH_TOKEN_CHARS));
	rc = SPOD_OK;
out:
	OPENSSL_cleanse(secret, sizeof secret);
	OPENSSL_cleanse(&acc, sizeof acc);
	if (rc < 0) {
		OPENSSL_cleanse(text, SPOD_AUTH_TOKEN_BUF_BYTES);
		memset(hash, 0, SPOD_AUTH_HASH_BYTES);
		memset(id, 0, SPOD_AUTH_TOKEN_ID_BYTES);
	}
	return rc;
}

int spod_auth_token_hash(uint8_t hash[static SPOD_AUTH_HASH_BYTES], const char *text, size_t len)
{
	int v = 0;

	memset(hash, 0, SPOD_AUTH_HASH_BYTES);
	if (len != SPOD_AUTH_TOKEN_CHARS || memcmp(text, SPOD_AUTH_TOKEN_PREFIX, PREFIX_LEN) != 0)
		return SPOD_E_BAD_ARG;
	for (size_t i = PREFIX_LEN; i < len; i++) {
		v = spod_b64_value(text[i], SPOD_B64_URL);
		if (v < 0)
			return SPOD_E_BAD_ARG;
	}
	/* 256 bits in 43 characters: the last one carries 4 bits and two zero padding bits. */
	if ((v & 0x3) != 0)
		return SPOD_E_BAD_ARG;
	return sha256(hash, text, len);
}

int spod_auth_hash_equal(const uint8_t a[static SPOD_AUTH_HASH_BYTES],
                         const uint8_t b[static SPOD_AUTH_HASH_BYTES])
{
	return CRYPTO_memcmp(a, b, SPOD_AUTH_HASH_BYTES) == 0;
}

int spod_auth_token_valid(int64_t expires_ms, int64_t revoked_ms, int64_t now_ms)
{
	if (revoked_ms != 0)
		return SPOD_AUTH_E_UNAUTHENTICATED;
	if (expires_ms != 0 && now_ms >= expires_ms)
		return SPOD_AUTH_E_UNAUTHENTICATED;
	return SPOD_OK;
}

/* ---- scopes text ---- */

/* A slice of the scopes text; parsing consumes it from the front. */
struct cursor {
	const char *p;
	size_t len;
};

static int is_label_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-';
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Splits the next item ending at sep (or the end) off c into item. */
static void next_item(struct cursor *c, struct cursor *item, char sep)
{
	const char *end = memchr(c->p, sep, c->len);
	size_t n = end ? (size_t)(end - c->p) : c->len;

	item->p = c->p;
	item->len = n;
	c->p += end ? n + 1 : n;
	c->len -= end ? n + 1 : n;
}

static int item_is(const struct cursor *item, const char *word)
{
	size_t n = strlen(word);

	return item->len == n && memcmp(item->p, word, n) == 0;
}

/* Consumes word from the front of c if it is there. */
static int eat(struct cursor *c, const char *word)
{
	size_t n = strlen(word);

	if (c->len < n || memcmp(c->p, word, n) != 0)
		return 0;
	c->p += n;
	c->len -= n;
	return 1;
}

static int parse_ops(uint32_t *out, const char **why, struct cursor v)
{
	struct cursor item;

	*out = 0;
	if (v.len == 0) {
		*why = "ops: empty list";
		return SPOD_E_BAD_ARG;
	}
	/* A trailing "," leaves an empty last item, caught as an unknown op. */
	for (int more = 1; more;) {
		size_t i;

		more = memchr(v.p, ',', v.len) != NULL;
		next_item(&v, &item, ',');
		for (i = 0; i < sizeof ops / sizeof ops[0]; i++)
			if (item_is(&item, ops[i].name))
				break;
		if (i == sizeof ops / sizeof ops[0]) {
			*why = "ops: unknown op";
			return SPOD_E_BAD_ARG;
		}
		if (*out & ops[i].bit) {
			*why = "ops: op listed twice";
			return SPOD_E_BAD_ARG;
		}
		*out |= ops[i].bit;
	}
	return SPOD_OK;
}

static int parse_key(struct spod_auth_key_sel *k, const char **why, struct cursor item)
{
	if (eat(&item, "id:")) {
		if (item.len != ID_HEX_LEN) {
			*why = "keys: id is not 32 lowercase hex digits";
			return SPOD_E_BAD_ARG;
		}
		for (size_t i = 0; i < SPOD_AUTH_KEY_ID_BYTES; i++) {
			int hi = hex_value(item.p[2 * i]), lo = hex_value(item.p[2 * i + 1]);

			if (hi < 0 || lo < 0) {
				*why = "keys: id is not 32 lowercase hex digits";
				return SPOD_E_BAD_ARG;
			}
			k->id[i] = (uint8_t)(hi << 4 | lo);
		}
		k->kind = SPOD_AUTH_KEY_ID;
		return SPOD_OK;
	}
	if (eat(&item, "label:")) {
		if (item.len == 0 || item.len > SPOD_AUTH_LABEL_MAX_BYTES) {
			*why = "keys: label must have 1..128 characters";
			return SPOD_E_BAD_ARG;
		}
		for (size_t i = 0; i < item.len; i++) {
			if (!is_label_char(item.p[i])) {
				*why = "keys: label may only contain A-Z a-z 0-9 . _ -";
				return SPOD_E_BAD_ARG;
			}
		}
		memcpy(k->label, item.p, item.len);
		k->kind = SPOD_AUTH_KEY_LABEL;
		return SPOD_OK;
	}
	*why = "keys: entry is not *, id:<hex> or label:<name>";
	return SPOD_E_BAD_ARG;
}

static int same_key(const struct spod_auth_key_sel *a, const struct spod_auth_key_sel *b)
{
	if (a->kind != b->kind)
		return 0;
	if (a->kind == SPOD_AUTH_KEY_ID)
		return memcmp(a->id, b->id, sizeof a->id) == 0;
	return strcmp(a->label, b->label) == 0;
}

static int parse_keys(struct spod_auth_scopes *s, const char **why, struct cursor v)
{
	struct cursor item;

	if (item_is(&v, "*")) {
		s->all_keys = 1;
		return SPOD_OK;
	}
	if (v.len == 0) {
		*why = "keys: empty list";
		return SPOD_E_BAD_ARG;
	}
	for (int more = 1; more;) {
		struct spod_auth_key_sel *k;

		if (s->nkeys == SPOD_AUTH_MAX_KEYS) {
			*why = "keys: more than 64 entries";
			return SPOD_E_BAD_ARG;
		}
		k = &s->keys[s->nkeys];
		more = memchr(v.p, ',', v.len) != NULL;
		next_item(&v, &item, ',');
		SPOD_TRY(parse_key(k, why, item));
		for (size_t i = 0; i < s->nkeys; i++) {
			if (same_key(&s->keys[i], k)) {
				*why = "keys: entry listed twice";
				return SPOD_E_BAD_ARG;
			}
		}
		s->nkeys++;
	}
	return SPOD_OK;
}

static int parse_rate(uint32_t *out, const char **why, struct cursor v)
{
	uint32_t r = 0;

	if (v.len == 0 || v.len > RATE_DIGITS || v.p[0] == '0') {
		*why = "rate: not a number in 1..1000000";
		return SPOD_E_BAD_ARG;
	}
	for (size_t i = 0; i < v.len; i++) {
		if (v.p[i] < '0' || v.p[i] > '9') {
			*why = "rate: not a number in 1..1000000";
			return SPOD_E_BAD_ARG;
		}
		r = r * 10u + (uint32_t)(v.p[i] - '0');
	}
	if (r > SPOD_AUTH_RATE_MAX) {
		*why = "rate: not a number in 1..1000000";
		return SPOD_E_BAD_ARG;
	}
	*out = r;
	return SPOD_OK;
}

static int parse_fields(struct spod_auth_scopes *s, const char **why, struct cursor c)
{
	int seen_ops = 0, seen_keys = 0, seen_rate = 0;
	struct cursor field;

	if (c.len > SPOD_AUTH_SCOPES_MAX_BYTES) {
		*why = "scopes text longer than 1024 bytes";
		return SPOD_E_BAD_ARG;
	}
	if (memchr(c.p, '\0', c.len) != NULL) {
		*why = "scopes text contains a NUL byte";
		return SPOD_E_BAD_ARG;
	}
	for (int more = 1; more;) {
		more = memchr(c.p, ';', c.len) != NULL;
		next_item(&c, &field, ';');
		if (eat(&field, "ops=")) {
			if (seen_ops++) {
				*why = "ops given twice";
				return SPOD_E_BAD_ARG;
			}
			SPOD_TRY(parse_ops(&s->ops, why, field));
		} else if (eat(&field, "keys=")) {
			if (seen_keys++) {
				*why = "keys given twice";
				return SPOD_E_BAD_ARG;
			}
			SPOD_TRY(parse_keys(s, why, field));
		} else if (eat(&field, "rate=")) {
			if (seen_rate++) {
				*why = "rate given twice";
				return SPOD_E_BAD_ARG;
			}
			SPOD_TRY(parse_rate(&s->rate_per_s, why, field));
		} else {
			*why = "unknown field (expected ops=, keys= or rate=)";
			return SPOD_E_BAD_ARG;
		}
	}
	if (!seen_ops) {
		*why = "ops= missing";
		return SPOD_E_BAD_ARG;
	}
	if (!seen_keys) {
		*why = "keys= missing";
		return SPOD_E_BAD_ARG;
	}
	return SPOD_OK;
}

int spod_auth_scopes_parse(struct spod_auth_scopes *out, const char **why, const char *text,
                           size_t len)
{
	struct cursor c = {text, len};
	int rc;

	memset(out, 0, sizeof *out);
	*why = NULL;
	if (text == NULL) {
		*why = "no scopes text";
		return SPOD_E_BAD_ARG;
	}
	rc = parse_fields(out, why, c);
	if (rc < 0)
		memset(out, 0, sizeof *out);
	return rc;
}

/* Appends s[0..n) to out if it fits below cap - 1 (room for the NUL). */
static int put(char *out, size_t cap, size_t *off, const char *s, size_t n)
{
	if (cap == 0 || n > cap - 1 - *off)
		return SPOD_E_TOO_LARGE;
	memcpy(out + *off, s, n);
	*off += n;
	return SPOD_OK;
}

static int put_str(char *out, size_t cap, size_t *off, const char *s)
{
	return put(out, cap, off, s, strlen(s));
}

static int key_sel_valid(const struct spod_auth_key_sel *k)
{
	size_t n;

	if (k->kind == SPOD_AUTH_KEY_ID)
		return 1;
	if (k->kind != SPOD_AUTH_KEY_LABEL)
		return 0;
	n = strnlen(k->label, sizeof k->label);
	if (n == 0 || n > SPOD_AUTH_LABEL_MAX_BYTES)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!is_label_char(k->label[i]))
			return 0;
	return 1;
}

static int scopes_valid(const struct spod_auth_scopes *s)
{
	if (s->ops == 0 || (s->ops & ~SPOD_AUTH_OPS_ALL) != 0 || s->rate_per_s > SPOD_AUTH_RATE_MAX)
		return 0;
	if (s->all_keys)
		return s->nkeys == 0;
	if (s->nkeys == 0 || s->nkeys > SPOD_AUTH_MAX_KEYS)
		return 0;
	for (size_t i = 0; i < s->nkeys; i++) {
		if (!key_sel_valid(&s->keys[i]))
			return 0;
		for (size_t j = 0; j < i; j++)
			if (same_key(&s->keys[i], &s->keys[j]))
				return 0;
	}
	return 1;
}

static int format_into(char *out, size_t cap, size_t *off, const struct spod_auth_scopes *s)
{
	static const char hex[] = "0123456789abcdef";
	const char *sep = "ops=";

	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		if (s->ops & ops[i].bit) {
			SPOD_TRY(put_str(out, cap, off, sep));
			SPOD_TRY(put_str(out, cap, off, ops[i].name));
			sep = ",";
		}
	}
	SPOD_TRY(put_str(out, cap, off, ";keys="));
	if (s->all_keys)
		SPOD_TRY(put_str(out, cap, off, "*"));
	for (size_t i = 0; i < s->nkeys; i++) {
		const struct spod_auth_key_sel *k = &s->keys[i];

		if (i > 0)
			SPOD_TRY(put_str(out, cap, off, ","));
		if (k->kind == SPOD_AUTH_KEY_ID) {
			char idhex[ID_HEX_LEN];

			for (size_t j = 0; j < SPOD_AUTH_KEY_ID_BYTES; j++) {
				idhex[2 * j] = hex[k->id[j] >> 4];
				idhex[2 * j + 1] = hex[k->id[j] & 0xf];
			}
			SPOD_TRY(put_str(out, cap, off, "id:"));
			SPOD_TRY(put(out, cap, off, idhex, sizeof idhex));
		} else {
			SPOD_TRY(put_str(out, cap, off, "label:"));
			SPOD_TRY(put_str(out, cap, off, k->label));
		}
	}
	if (s->rate_per_s != 0) {
		char digits[RATE_DIGITS];
		size_t n = 0;

		SPOD_TRY(put_str(out, cap, off, ";rate="));
		for (uint32_t r = s->rate_per_s; r > 0; r /= 10u)
			digits[RATE_DIGITS - 1 - n++] = (char)('0' + r % 10u);
		SPOD_TRY(put(out, cap, off, digits + RATE_DIGITS - n, n));
	}
	return SPOD_OK;
}

int spod_auth_scopes_format(char *out, size_t cap, size_t *len, const struct spod_auth_scopes *s)
{
	size_t off = 0;
	int rc;

	*len = 0;
	if (cap > 0)
		out[0] = '\0';
	if (!scopes_valid(s))
		return SPOD_E_BAD_ARG;
	if (out == NULL)
		return SPOD_E_TOO_LARGE;
	/* Never longer than the store's column, whatever cap the caller has. */
	rc = format_into(
	    out, cap < SPOD_AUTH_SCOPES_MAX_BYTES + 1 ? cap : SPOD_AUTH_SCOPES_MAX_BYTES + 1, &off,
	    s);
	if (rc < 0) {
		if (cap > 0)
			out[0] = '\0';
		return rc;
	}
	out[off] = '\0';
	*len = off;
	return SPOD_OK;
}

/* ---- authorization ---- */

int spod_auth_key_allowed(const struct spod_auth_scopes *s, const uint8_t *key_id,
                          const char *label)
{
	if (s->all_keys || (s->ops & SPOD_AUTH_OP_ADMIN))
		return 1;
	for (size_t i = 0; i < s->nkeys && i < SPOD_AUTH_MAX_KEYS; i++) {
		const struct spod_auth_key_sel *k = &s->keys[i];

		if (k->kind == SPOD_AUTH_KEY_ID && key_id != NULL &&
		    memcmp(k->id, key_id, SPOD_AUTH_KEY_ID_BYTES) == 0)
			return 1;
		if (k->kind == SPOD_AUTH_KEY_LABEL && label != NULL && label[0] != '\0' &&
		    strcmp(k->label, label) == 0)
			return 1;
	}
	return 0;
}

int spod_auth_check(const struct spod_auth_scopes *s, uint8_t opcode, const uint8_t *key_id,
                    const char *label)
{
	/* What each opcode needs comes from the opcode table (src/wire/ops.h). */
	const struct spod_op_def *op = spod_wire_op(opcode);

	if (op == NULL)
		return SPOD_E_UNKNOWN_OP;
	if (op->need == SPOD_OPS_HOST_ONLY)
		return SPOD_AUTH_E_FORBIDDEN;
	if (s->ops & SPOD_AUTH_OP_ADMIN)
		return SPOD_OK;
	if ((s->ops & op->need) != op->need)
		return SPOD_AUTH_E_FORBIDDEN;
	if (op->key_scoped && !spod_auth_key_allowed(s, key_id, label))
		return SPOD_AUTH_E_FORBIDDEN;
	return SPOD_OK;
}

/* ---- rate limit ---- */

void spod_auth_bucket_init(struct spod_auth_bucket *b, uint32_t rate, uint64_t now_ns)
{
	b->rate = rate > SPOD_AUTH_RATE_MAX ? SPOD_AUTH_RATE_MAX : rate;
	b->level = (uint64_t)b->rate * NS_PER_S;
	b->last_ns = now_ns;
}

int spod_auth_bucket_take(struct spod_auth_bucket *b, uint64_t now_ns)
{
	/* rate <= 1e6, so capacity <= 1e15 and elapsed * rate below it: no overflow. */
	uint64_t cap = (uint64_t)b->rate * NS_PER_S;

	if (b->rate == 0)
		return SPOD_OK;
	if (now_ns > b->last_ns) {
		uint64_t elapsed = now_ns - b->last_ns;

		if (elapsed >= NS_PER_S || b->level + elapsed * b->rate >= cap)
			b->level = cap;
		else
			b->level += elapsed * b->rate;
		b->last_ns = now_ns;
	}
	if (b->level < NS_PER_S)
		return SPOD_AUTH_E_RATE_LIMITED;
	b->level -= NS_PER_S;
	return SPOD_OK;
}
