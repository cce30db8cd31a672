/*
 * secp256k1 with libsecp256k1: RFC 6979 deterministic nonces (its default nonce function),
 * low-S signatures with a recovery id, and strict low-S verification. Also the Ethereum
 * address of a secp256k1 key, since that is the curve's main customer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <secp256k1.h>
#include <secp256k1_recovery.h>
#include <sodium.h>

#include "crypto/backend.h"
#include "crypto/hash.h"

/*
 * One context for the process, randomised once (side-channel blinding of the signing and
 * key-derivation multiplications). Read-only after spod_crypto_init, so signing threads
 * may share it. Parsing and verification also work before init, on the static context.
 */
static secp256k1_context *k1_ctx;

static const secp256k1_context *k1_read_ctx(void)
{
	return k1_ctx != NULL ? k1_ctx : secp256k1_context_static;
}

/* Signing and key derivation need the randomised context: using them first is a bug. */
static const secp256k1_context *k1_sign_ctx(void)
{
	if (k1_ctx == NULL) {
		fputs("spod: secp256k1 used before spod_crypto_init\n", stderr);
		abort();
	}
	return k1_ctx;
}

int spod_k1_init(void)
{
	uint8_t seed[32];
	int rc = SPOD_E_CRYPTO;

	if (k1_ctx != NULL)
		return SPOD_OK;
	k1_ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
	if (k1_ctx == NULL)
		goto out;
	spod_random(seed, sizeof seed);
	if (!secp256k1_context_randomize(k1_ctx, seed)) {
		secp256k1_context_destroy(k1_ctx);
		k1_ctx = NULL;
		goto out;
	}
	rc = SPOD_OK;
out:
	sodium_memzero(seed, sizeof seed);
	return rc;
}

void spod_k1_cleanup(void)
{
	if (k1_ctx == NULL)
		return;
	secp256k1_context_destroy(k1_ctx);
	k1_ctx = NULL;
}

int spod_k1_load(struct spod_secret_key *sk, uint8_t pub[SPOD_EC_PUB_BYTES])
{
	const secp256k1_context *ctx = k1_sign_ctx();
	secp256k1_pubkey pk;
	size_t pub_len = SPOD_EC_PUB_BYTES;

	if (!secp256k1_ec_seckey_verify(ctx, sk->secret))
		return SPOD_E_BAD_KEY;
	if (!secp256k1_ec_pubkey_create(ctx, &pk, sk->secret))
		return SPOD_E_CRYPTO;
	secp256k1_ec_pubkey_serialize(ctx, pub, &pub_len, &pk, SECP256K1_EC_UNCOMPRESSED);
	return SPOD_OK;
}

int spod_k1_sign(uint8_t sig[64], uint8_t *recid, const struct spod_secret_key *sk,
                 const uint8_t digest[SPOD_DIGEST_BYTES])
{
	const secp256k1_context *ctx = k1_sign_ctx();
	secp256k1_ecdsa_recoverable_signature rs;
	int v;

	/* NULL nonce function: the default, RFC 6979 with HMAC-SHA256. Output is low-S. */
	if (!secp256k1_ecdsa_sign_recoverable(ctx, &rs, digest, sk->secret, NULL, NULL))
		return SPOD_E_CRYPTO;
	secp256k1_ecdsa_recoverable_signature_serialize_compact(ctx, sig, &v, &rs);
	*recid = (uint8_t)v;
	return SPOD_OK;
}

/* Parses an uncompressed SEC1 point; compressed and hybrid encodings are refused. */
static int k1_parse_pub(secp256k1_pubkey *pk, const uint8_t *pub, size_t pub_len)
{
	if (pub_len != SPOD_EC_PUB_BYTES || pub[0] != 0x04)
		return SPOD_E_BAD_KEY;
	if (!secp256k1_ec_pubkey_parse(k1_read_ctx(), pk, pub, pub_len))
		return SPOD_E_BAD_KEY;
	return SPOD_OK;
}

int spod_k1_verify(const uint8_t pub[SPOD_EC_PUB_BYTES], const uint8_t digest[SPOD_DIGEST_BYTES],
                   const uint8_t sig[64])
{
	const secp256k1_context *ctx = k1_read_ctx();
	secp256k1_pubkey pk;
	secp256k1_ecdsa_signature s;

	SPOD_TRY(k1_parse_pub(&pk, pub, SPOD_EC_PUB_BYTES));
	/* Fails for r or s >= n; secp256k1_ecdsa_verify then refuses high S itself. */
	if (!secp256k1_ecdsa_signature_parse_compact(ctx, &s, sig))
		return SPOD_E_BAD_SIGNATURE;
	if (!secp256k1_ecdsa_verify(ctx, &s, digest, &pk))
		return SPOD_E_BAD_SIGNATURE;
	return SPOD_OK;
}

int spod_secp256k1_recover(uint8_t pub[65], const uint8_t digest[SPOD_DIGEST_BYTES],
                           const uint8_t sig[64], uint8_t recid)
{
	const secp256k1_context *ctx = k1_read_ctx();
	secp256k1_ecdsa_recoverable_signature rs;
	secp256k1_ecdsa_signature plain;
	secp256k1_pubkey pk;
	size_t pub_len = SPOD_EC_PUB_BYTES;

	if (recid > 3)
		return SPOD_E_BAD_SIGNATURE;
	if (!secp256k1_ecdsa_recoverable_signature_parse_compact(ctx, &rs, sig, recid))
		return SPOD_E_BAD_SIGNATURE;
	/* libsecp256k1 recovers from high-S too; refuse it, as spod_verify does. */
	secp256k1_ecdsa_recoverable_signature_convert(ctx, &plain, &rs);
	if (secp256k1_ecdsa_signature_normalize(ctx, NULL, &plain))
		return SPOD_E_BAD_SIGNATURE;
	if (!secp256k1_ecdsa_recover(ctx, &pk, &rs, digest))
		return SPOD_E_BAD_SIGNATURE;
	secp256k1_ec_pubkey_serialize(ctx, pub, &pub_len, &pk, SECP256K1_EC_UNCOMPRESSED);
	return SPOD_OK;
}

int spod_eth_address(uint8_t addr[20], const uint8_t *pub, size_t pub_len)
{
	secp256k1_pubkey pk;
	uint8_t hash[32];

	SPOD_TRY(k1_parse_pub(&pk, pub, pub_len));
	spod_keccak256(hash, pub + 1, SPOD_EC_PUB_BYTES - 1);
	memcpy(addr, hash + 12, 20);
	return SPOD_OK;
}

void spod_eth_address_text(char out[43], const uint8_t addr[20])
{
	static const char digits[] = "0123456789abcdef";
	char lower[40];
	uint8_t hash[32];
	unsigned nibble;

	for (int i = 0; i < 20; i++) {
		lower[2 * i] = digits[addr[i] >> 4];
		lower[2 * i + 1] = digits[addr[i] & 0x0f];
	}
	/* EIP-55: upper-case a letter when the matching nibble of keccak(lowercase hex) >= 8. */
	spod_keccak256(hash, (const uint8_t *)lower, sizeof lower);
	out[0] = '0';
	out[1] = 'x';
	for (int i = 0; i < 40; i++) {
		nibble = (i % 2 == 0) ? hash[i / 2] >> 4 : hash[i / 2] & 0x0f;
		out[2 + i] =
		    (lower[i] >= 'a' && nibble >= 8) ? (char)(lower[i] - 'a' + 'A') : lower[i];
	}
	out[42] = '\0';
}
