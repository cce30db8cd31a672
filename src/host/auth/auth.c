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

#define PREFIX_LEN (sizeof SPOD_AUTH_TOKEN_PREFIX - 1u)
#define B64_CHARS  (SPOD_AUTH_TOKEN_CHARS - PREFIX_LEN)
#define NS_PER_S   1000000000ull

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
/* One bucket type serves rate= and audit-rate=. */
_Static_assert(SPOD_AUTH_AUDIT_RATE_MAX <= SPOD_AUTH_RATE_MAX, "audit-rate bucket");
_Static_assert(B64_CHARS == (SPOD_AUTH_SECRET_BYTES * 8u + 5u) / 6u, "token length");

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

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
	/* attest names a key only when it binds one. */
	if (op->key_scoped == SPOD_OPS_KEY_OPTIONAL && key_id == NULL && label == NULL)
		return SPOD_OK;
	if (op->key_scoped && !spod_auth_key_allowed(s, key_id, label))
		return SPOD_AUTH_E_FORBIDDEN;
	return SPOD_OK;
}

int spod_auth_label_allowed(const struct spod_auth_scopes *s, const char *label)
{
	if (s->nlabels == 0 || label == NULL || label[0] == '\0')
		return 1;
	for (size_t i = 0; i < s->nlabels && i < SPOD_AUTH_MAX_LABELS; i++) {
		const struct spod_auth_label_pat *p = &s->labels[i];
		size_t n = strnlen(p->text, sizeof p->text);

		if (p->prefix ? strncmp(label, p->text, n) == 0 : strcmp(label, p->text) == 0)
			return 1;
	}
	return 0;
}

/* ---- rate limit ---- */

void spod_auth_bucket_init(struct spod_auth_bucket *b, uint32_t rate, uint64_t now_ns)
{
	b->rate = rate > SPOD_AUTH_RATE_MAX ? SPOD_AUTH_RATE_MAX : rate;
	b->level = (uint64_t)b->rate * NS_PER_S;
	b->last_ns = now_ns;
}

int spod_auth_bucket_take_n(struct spod_auth_bucket *b, uint64_t now_ns, uint32_t n)
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
	/* n <= rate here, so n * 1e9 <= cap. */
	if (n > b->rate || b->level < (uint64_t)n * NS_PER_S)
		return SPOD_AUTH_E_RATE_LIMITED;
	b->level -= (uint64_t)n * NS_PER_S;
	return SPOD_OK;
}

int spod_auth_bucket_take(struct spod_auth_bucket *b, uint64_t now_ns)
{
	return spod_auth_bucket_take_n(b, now_ns, 1);
}
