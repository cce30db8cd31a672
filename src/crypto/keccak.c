/*
 * Ethereum's Keccak-256: the Keccak[c=512] sponge (rate 136 bytes) with the padding of the
 * original Keccak submission, 0x01 ... 0x80, and a 32-byte output. FIPS 202 SHA3-256 is
 * the same sponge with 0x06 padding, so the two give different digests.
 *
 * Written by hand because the libraries spod builds on do not offer it: Debian 12's
 * OpenSSL 3.0 has only SHA3 (its KECCAK-256 digest arrived in 3.2) and libsodium 1.0.18
 * has no Keccak at all. Keccak-f[1600] below follows the Keccak team's reference
 * specification in its compact form: theta, rho and pi as one lane walk, chi, iota.
 * It hashes messages, which are public, so it makes no constant-time claim; still, no
 * branch or table index depends on the data, only on the round and lane position.
 */
#include "crypto/hash.h"

#include <string.h>

#include "common/bytes.h"

#define KECCAK256_RATE_BYTES 136u
#define KECCAK_ROUNDS        24

static const uint64_t round_consts[KECCAK_ROUNDS] = {
    0x0000000000000001ull, 0x0000000000008082ull, 0x800000000000808aull, 0x8000000080008000ull,
    0x000000000000808bull, 0x0000000080000001ull, 0x8000000080008081ull, 0x8000000000008009ull,
    0x000000000000008aull, 0x0000000000000088ull, 0x0000000080008009ull, 0x000000008000000aull,
    0x000000008000808bull, 0x800000000000008bull, 0x8000000000008089ull, 0x8000000000008003ull,
    0x8000000000008002ull, 0x8000000000000080ull, 0x000000000000800aull, 0x800000008000000aull,
    0x8000000080008081ull, 0x8000000000008080ull, 0x0000000080000001ull, 0x8000000080008008ull,
};

/*
 * rho and pi combined: starting from lane 1, pi moves each lane to pi_lane[i], where it is
 * rotated by rho_offset[i]. Lane index is x + 5y.
 */
static const uint8_t rho_offset[24] = {
    1, 3, 6, 10, 15, 21, 28, 36, 45, 55, 2, 14, 27, 41, 56, 8, 25, 43, 62, 18, 39, 61, 20, 44,
};
static const uint8_t pi_lane[24] = {
    10, 7, 11, 17, 18, 3, 5, 16, 8, 21, 24, 4, 15, 23, 19, 13, 12, 2, 20, 14, 22, 9, 6, 1,
};

static inline uint64_t rotl64(uint64_t v, unsigned n)
{
	return v << n | v >> (64 - n);
}

static void keccak_f1600(uint64_t st[25])
{
	uint64_t bc[5], t, next;

	for (int round = 0; round < KECCAK_ROUNDS; round++) {
		for (int x = 0; x < 5; x++)
			bc[x] = st[x] ^ st[x + 5] ^ st[x + 10] ^ st[x + 15] ^ st[x + 20];
		for (int x = 0; x < 5; x++) {
			t = bc[(x + 4) % 5] ^ rotl64(bc[(x + 1) % 5], 1);
			for (int y = 0; y < 25; y += 5)
				st[y + x] ^= t;
		}

		t = st[1];
		for (int i = 0; i < 24; i++) {
			next = st[pi_lane[i]];
			st[pi_lane[i]] = rotl64(t, rho_offset[i]);
			t = next;
		}

		for (int y = 0; y < 25; y += 5) {
			for (int x = 0; x < 5; x++)
				bc[x] = st[y + x];
			for (int x = 0; x < 5; x++)
				st[y + x] = bc[x] ^ (~bc[(x + 1) % 5] & bc[(x + 2) % 5]);
		}

		st[0] ^= round_consts[round];
	}
}

static void absorb_block(uint64_t st[25], const uint8_t block[KECCAK256_RATE_BYTES])
{
	for (unsigned i = 0; i < KECCAK256_RATE_BYTES / 8; i++)
		st[i] ^= spod_le64(block + 8 * i);
	keccak_f1600(st);
}

void spod_keccak256_init(struct spod_keccak256_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
}

void spod_keccak256_update(struct spod_keccak256_ctx *ctx, const uint8_t *in, size_t len)
{
	if (len == 0)
		return; /* in may be NULL */
	if (ctx->n > 0) {
		size_t take = KECCAK256_RATE_BYTES - ctx->n;
		if (take > len)
			take = len;
		memcpy(ctx->buf + ctx->n, in, take);
		ctx->n += take;
		in += take;
		len -= take;
		if (ctx->n < KECCAK256_RATE_BYTES)
			return;
		absorb_block(ctx->st, ctx->buf);
		ctx->n = 0;
	}
	for (; len >= KECCAK256_RATE_BYTES; in += KECCAK256_RATE_BYTES, len -= KECCAK256_RATE_BYTES)
		absorb_block(ctx->st, in);
	if (len > 0)
		memcpy(ctx->buf, in, len);
	ctx->n = len;
}

void spod_keccak256_final(struct spod_keccak256_ctx *ctx, uint8_t out[32])
{
	memset(ctx->buf + ctx->n, 0, KECCAK256_RATE_BYTES - ctx->n);
	ctx->buf[ctx->n] ^= 0x01;
	ctx->buf[KECCAK256_RATE_BYTES - 1] ^= 0x80;
	absorb_block(ctx->st, ctx->buf);
	for (unsigned i = 0; i < 4; i++)
		spod_put_le64(out + 8 * i, ctx->st[i]);
	spod_keccak256_init(ctx);
}

void spod_keccak256(uint8_t out[32], const uint8_t *in, size_t len)
{
	struct spod_keccak256_ctx ctx;

	spod_keccak256_init(&ctx);
	spod_keccak256_update(&ctx, in, len);
	spod_keccak256_final(&ctx, out);
}
