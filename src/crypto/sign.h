/*
 * Key generation, signing and verification for spod's algorithms, on well-kept libraries:
 * Ed25519 with libsodium (RFC 8032), secp256k1 with libsecp256k1 (RFC 6979 nonces, low-S,
 * recovery id), P-256 with OpenSSL 3. No curve arithmetic is written here.
 *
 * struct spod_secret_key holds private key material. It must live in memory from
 * spod_secmem (locked, excluded from core dumps); the keystore guarantees that. It has one
 * create function (spod_key_generate / spod_key_import) and one destroy (spod_key_wipe).
 */
#ifndef SPOD_CRYPTO_SIGN_H
#define SPOD_CRYPTO_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "spod/alg.h"
#include "spod/err.h"

struct spod_secret_key {
	uint8_t alg;        /* enum spod_alg; 0 when empty */
	uint8_t secret[64]; /* Ed25519: libsodium's 64-byte seed||pk; ECDSA: 32-byte scalar */
	void *ossl;         /* P-256: cached EVP_PKEY (private part in OpenSSL's secure heap) */
	void *ossl_ctx;     /* P-256: cached EVP_PKEY_CTX initialised for signing */
	/* P-256: each signing thread's own EVP_PKEY_CTX (spod_crypto_thread_shares_keys), an
	 * array of SPOD_CRYPTO_THREADS_MAX made by the first such thread that signs */
	void *ossl_ctxs;
};

/*
 * Initialises the libraries once per process: sodium_init, a randomised libsecp256k1
 * context, and (when secure_heap_bytes > 0) OpenSSL's secure heap so P-256 private
 * scalars live in locked, non-dumpable memory. Call it before starting threads; calling
 * it again is harmless. Returns SPOD_OK, SPOD_E_BAD_ARG (secure_heap_bytes not a power of
 * two) or SPOD_E_CRYPTO.
 */
int spod_crypto_init(size_t secure_heap_bytes) __attribute__((warn_unused_result));

/* Releases what spod_crypto_init created. */
void spod_crypto_cleanup(void);

/*
 * Generates a fresh key of alg into *sk and writes its public key (spod_alg_pub_len(alg)
 * bytes: Ed25519 raw 32 bytes, ECDSA uncompressed SEC1 0x04||X||Y) to pub.
 * sk is overwritten without being freed: it must not hold a key (spod_key_wipe it first).
 * Returns SPOD_OK, SPOD_E_UNKNOWN_ALG or SPOD_E_CRYPTO (sk wiped on failure).
 */
int spod_key_generate(struct spod_secret_key *sk, uint8_t pub[SPOD_PUB_MAX_BYTES], size_t *pub_len,
                      uint8_t alg) __attribute__((warn_unused_result, nonnull));

/*
 * Builds a key from known secret material (test vectors, and later unsealing):
 * Ed25519 takes the 32-byte seed, ECDSA the 32-byte big-endian scalar. sk as for
 * spod_key_generate.
 * Returns SPOD_OK, SPOD_E_UNKNOWN_ALG, SPOD_E_BAD_KEY (wrong length, scalar zero or out of
 * range) or SPOD_E_CRYPTO. sk is wiped on failure.
 */
int spod_key_import(struct spod_secret_key *sk, uint8_t pub[SPOD_PUB_MAX_BYTES], size_t *pub_len,
                    uint8_t alg, const uint8_t *secret, size_t secret_len)
    __attribute__((warn_unused_result, nonnull));

/*
 * Makes a key of alg from the 32 secret bytes already in sk->secret (unsealing decrypts
 * straight into them), as spod_key_import does; the rest of *sk is overwritten.
 * Returns SPOD_OK, SPOD_E_UNKNOWN_ALG, SPOD_E_BAD_KEY or SPOD_E_CRYPTO; sk is wiped on failure.
 */
int spod_key_load(struct spod_secret_key *sk, uint8_t pub[SPOD_PUB_MAX_BYTES], size_t *pub_len,
                  uint8_t alg) __attribute__((warn_unused_result, nonnull));

/* Wipes the secret and frees the cached OpenSSL objects. Safe on an empty key. */
void spod_key_wipe(struct spod_secret_key *sk) __attribute__((nonnull));

/*
 * Signs data under mode (see enum spod_sign_mode and spod_mode_check) and writes 64 bytes
 * to sig: Ed25519 R||S; ECDSA r||s (secp256k1 always low-S). *recid gets the recovery id
 * (0 or 1) for secp256k1 and SPOD_RECID_NONE otherwise.
 * Returns SPOD_OK, SPOD_E_BAD_MODE, SPOD_E_BAD_DIGEST (digest mode with len != 32) or
 * SPOD_E_CRYPTO. No allocation on the Ed25519 and secp256k1 paths.
 */
int spod_sign(uint8_t sig[SPOD_SIG_MAX_BYTES], size_t *sig_len, uint8_t *recid,
              const struct spod_secret_key *sk, uint8_t mode, const uint8_t *data, size_t len)
    __attribute__((warn_unused_result, nonnull(1, 2, 3, 4)));

/*
 * Keys may be used by several threads at once: Ed25519 and secp256k1 signing only read the
 * key, but an EVP_PKEY_CTX must not be shared between threads (openssl-threads(7)). A thread
 * that signs with keys other threads sign with too (spod-enclave's workers) calls this once
 * with an index of its own (0..SPOD_CRYPTO_THREADS_MAX-1): from then on its P-256 signatures
 * use a context of its own per key, made on its first signature with that key and freed by
 * spod_key_wipe (which must not run while any thread signs with the key). The key's shared
 * cached context stays with the threads that do not call this (spod-enclave's event loop).
 * Returns SPOD_OK or SPOD_E_BAD_ARG (index out of range).
 */
#define SPOD_CRYPTO_THREADS_MAX 64u
int spod_crypto_thread_shares_keys(unsigned index) __attribute__((warn_unused_result));

/*
 * Verifies sig over data for the public key pub of alg, with the same modes as spod_sign.
 * Returns SPOD_OK, SPOD_E_BAD_SIGNATURE, SPOD_E_BAD_KEY, SPOD_E_BAD_MODE, SPOD_E_BAD_DIGEST
 * or SPOD_E_UNKNOWN_ALG. secp256k1 accepts only low-S signatures. ECDSA keys must be
 * uncompressed points on the curve (else SPOD_E_BAD_KEY); an Ed25519 key libsodium cannot
 * decode gives SPOD_E_BAD_SIGNATURE, as libsodium does not tell the two apart.
 */
int spod_verify(uint8_t alg, const uint8_t *pub, size_t pub_len, uint8_t mode, const uint8_t *data,
                size_t len, const uint8_t *sig, size_t sig_len) __attribute__((warn_unused_result));

/*
 * Checks that recovery id recid (0..3) of the secp256k1 signature sig (64-byte r||s) over
 * data recovers the public key pub (65 bytes uncompressed), mode as in spod_verify. This is
 * what the v of an Ethereum r||s||v signature claims; spod_verify checks r||s alone.
 * Returns SPOD_OK, SPOD_E_BAD_SIGNATURE (another key or none is recovered, or high S),
 * SPOD_E_BAD_KEY (pub is not an uncompressed point), SPOD_E_BAD_MODE or SPOD_E_BAD_DIGEST.
 */
int spod_verify_recid(const uint8_t *pub, size_t pub_len, uint8_t mode, const uint8_t *data,
                      size_t len, const uint8_t sig[64], uint8_t recid)
    __attribute__((warn_unused_result, nonnull(1, 6)));

/*
 * Recovers the secp256k1 public key (65 bytes uncompressed) from a 32-byte digest, a 64-byte
 * r||s and recid. High-S signatures are refused, as spod_verify does.
 * Returns SPOD_OK or SPOD_E_BAD_SIGNATURE.
 */
int spod_secp256k1_recover(uint8_t pub[65], const uint8_t digest[SPOD_DIGEST_BYTES],
                           const uint8_t sig[64], uint8_t recid)
    __attribute__((warn_unused_result, nonnull));

/*
 * Ethereum address of an uncompressed secp256k1 key: keccak256(X||Y)[12..32).
 * Returns SPOD_OK, or SPOD_E_BAD_KEY unless pub is 0x04||X||Y on the curve.
 */
int spod_eth_address(uint8_t addr[20], const uint8_t *pub, size_t pub_len)
    __attribute__((warn_unused_result, nonnull));

/* EIP-55 mixed-case checksum text of addr, "0x" + 40 chars + NUL (43 bytes). */
void spod_eth_address_text(char out[43], const uint8_t addr[20]) __attribute__((nonnull));

/*
 * SubjectPublicKeyInfo PEM of a public key (Ed25519 or EC). Writes a NUL-terminated string
 * of at most out_cap bytes. Returns SPOD_OK, SPOD_E_UNKNOWN_ALG, SPOD_E_BAD_KEY (wrong
 * length; EC point not uncompressed or not on the curve), SPOD_E_TOO_LARGE or
 * SPOD_E_CRYPTO; on failure out is "" (when out_cap > 0).
 */
int spod_pub_to_pem(char *out, size_t out_cap, uint8_t alg, const uint8_t *pub, size_t pub_len)
    __attribute__((warn_unused_result, nonnull));

/*
 * A fresh X25519 key pair: the secret (32 bytes) goes to secret, which must be secure
 * memory owned by the caller; the public key to pub. Returns SPOD_OK or SPOD_E_CRYPTO.
 */
int spod_x25519_keypair(uint8_t pub[32], uint8_t secret[32])
    __attribute__((warn_unused_result, nonnull));

/* Fills buf with len bytes from the OS CSPRNG (libsodium randombytes). */
void spod_random(uint8_t *buf, size_t len) __attribute__((nonnull));

#endif
