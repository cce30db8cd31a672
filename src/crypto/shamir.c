/*
 * Shamir's scheme through libgfshare, and the seal key id and share commitment digests
 * (shamir.h). libgfshare 2.0.0 checks almost nothing: a threshold of 0 or above the share
 * count, a repeated x-coordinate or 0 as an x-coordinate in a combine silently give garbage
 * or worse, so every argument is checked here before it is called.
 */
#include "crypto/shamir.h"

#include <pthread.h>
#include <string.h>

#include <libgfshare.h>
#include <sodium.h>

#include "crypto/secmem.h"

/* Labels include their terminating NUL: the 0x00 that separates them from what follows. */
static const char seal_key_id_label[] = "spod seal key id v1";
static const char commitment_label[] = "spod share commitment v1";

_Static_assert(SPOD_SHARES_MAX <= 255u, "x-coordinates and counts are single bytes");
_Static_assert(SPOD_SHARE_COMMIT_BYTES == crypto_hash_sha256_BYTES, "commitments are SHA-256");

/* What is handed to libgfshare, in locked memory: it takes non-const pointers. */
struct gf_scratch {
	uint8_t xs[SPOD_SHARES_MAX];
	uint8_t secret[SPOD_SEAL_KEY_BYTES];
	uint8_t shares[SPOD_SHARES_MAX * SPOD_SHARE_BYTES];
};

static pthread_once_t rng_once = PTHREAD_ONCE_INIT;
static int rng_ready;

/* libgfshare's random source: the polynomial's coefficients and the scrub on free. */
static void gf_fill_rand(unsigned char *buf, unsigned int len)
{
	randombytes_buf(buf, len);
}

static void rng_install(void)
{
	if (sodium_init() < 0)
		return;
	gfshare_fill_rand = gf_fill_rand;
	rng_ready = 1;
}

static int gf_ready(void)
{
	if (pthread_once(&rng_once, rng_install) != 0 || !rng_ready)
		return SPOD_E_CRYPTO;
	return SPOD_OK;
}

void spod_seal_key_id(uint8_t id[static SPOD_SEAL_KEY_ID_BYTES],
                      const uint8_t seal_key[static SPOD_SEAL_KEY_BYTES])
{
	crypto_hash_sha256_state st;
	uint8_t digest[crypto_hash_sha256_BYTES];

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)seal_key_id_label,
	                          sizeof seal_key_id_label);
	crypto_hash_sha256_update(&st, seal_key, SPOD_SEAL_KEY_BYTES);
	crypto_hash_sha256_final(&st, digest);
	memcpy(id, digest, SPOD_SEAL_KEY_ID_BYTES);
	/* The state's block buffer held the seal key. */
	sodium_memzero(&st, sizeof st);
	sodium_memzero(digest, sizeof digest);
}

void spod_share_commitment(uint8_t out[static SPOD_SHARE_COMMIT_BYTES],
                           const uint8_t seal_key_id[static SPOD_SEAL_KEY_ID_BYTES], uint8_t index,
                           uint8_t k, uint8_t n, const uint8_t share[static SPOD_SHARE_BYTES])
{
	crypto_hash_sha256_state st;
	const uint8_t params[3] = {k, n, index};

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)commitment_label, sizeof commitment_label);
	crypto_hash_sha256_update(&st, seal_key_id, SPOD_SEAL_KEY_ID_BYTES);
	crypto_hash_sha256_update(&st, params, sizeof params);
	crypto_hash_sha256_update(&st, share, SPOD_SHARE_BYTES);
	crypto_hash_sha256_final(&st, out);
	sodium_memzero(&st, sizeof st);
}

int spod_shamir_split(uint8_t *shares, const uint8_t secret[static SPOD_SEAL_KEY_BYTES], unsigned k,
                      unsigned n)
{
	struct gf_scratch *s;
	gfshare_ctx *ctx;

	if (k < 1 || k > n || n > SPOD_SHARES_MAX)
		return SPOD_E_BAD_ARG;
	sodium_memzero(shares, (size_t)n * SPOD_SHARE_BYTES);
	if (gf_ready() < 0)
		return SPOD_E_CRYPTO;
	s = spod_secmem_alloc(sizeof *s);
	if (s == NULL)
		return SPOD_E_NOMEM;
	for (unsigned i = 0; i < n; i++)
		s->xs[i] = (uint8_t)(i + 1);
	memcpy(s->secret, secret, SPOD_SEAL_KEY_BYTES);
	ctx = gfshare_ctx_init_enc(s->xs, n, (unsigned char)k, SPOD_SHARE_BYTES);
	if (ctx == NULL) {
		spod_secmem_free(s);
		return SPOD_E_NOMEM;
	}
	/* Copies the secret in as the constant term and draws the other k - 1 coefficients. */
	gfshare_ctx_enc_setsecret(ctx, s->secret);
	for (unsigned i = 0; i < n; i++)
		gfshare_ctx_enc_getshare(ctx, (unsigned char)i,
		                         shares + (size_t)i * SPOD_SHARE_BYTES);
	gfshare_ctx_free(ctx);
	spod_secmem_free(s);
	return SPOD_OK;
}

/* 1 when xs[0..k) are non-zero and distinct. */
static int xs_valid(const uint8_t *xs, unsigned k)
{
	uint8_t seen[256 / 8] = {0};

	for (unsigned j = 0; j < k; j++) {
		uint8_t x = xs[j];
		if (x == 0 || (seen[x / 8] & (1u << (x % 8))) != 0)
			return 0;
		seen[x / 8] |= (uint8_t)(1u << (x % 8));
	}
	return 1;
}

int spod_shamir_combine(uint8_t secret[static SPOD_SEAL_KEY_BYTES], const uint8_t *xs,
                        const uint8_t *shares, unsigned k)
{
	struct gf_scratch *s;
	gfshare_ctx *ctx;

	sodium_memzero(secret, SPOD_SEAL_KEY_BYTES);
	if (k < 1 || k > SPOD_SHARES_MAX || !xs_valid(xs, k))
		return SPOD_E_BAD_ARG;
	if (gf_ready() < 0)
		return SPOD_E_CRYPTO;
	s = spod_secmem_alloc(sizeof *s);
	if (s == NULL)
		return SPOD_E_NOMEM;
	memcpy(s->xs, xs, k);
	memcpy(s->shares, shares, (size_t)k * SPOD_SHARE_BYTES);
	ctx = gfshare_ctx_init_dec(s->xs, k, SPOD_SHARE_BYTES);
	if (ctx == NULL) {
		spod_secmem_free(s);
		return SPOD_E_NOMEM;
	}
	for (unsigned j = 0; j < k; j++)
		gfshare_ctx_dec_giveshare(ctx, (unsigned char)j,
		                          s->shares + (size_t)j * SPOD_SHARE_BYTES);
	/* Lagrange interpolation at x = 0, straight into the caller's buffer. */
	gfshare_ctx_dec_extract(ctx, secret);
	gfshare_ctx_free(ctx);
	spod_secmem_free(s);
	return SPOD_OK;
}
