/*
 * libFuzzer target for the key file readers of `spod keys import` (src/cli/keyfile*.c).
 *
 * The first byte of an input says how to read the rest: bits 0-2 the format (0 auto, 1 hex,
 * 2 pem, 3 eth-keystore, 4 solana-keypair; 5-7 are not formats and must be refused), bits
 * 3-4 the algorithm the caller names (0 none, 1 ed25519, 2 secp256k1, 3 p256). Keystores are
 * opened with the fixed passphrase "fuzz" under KDF caps far below the defaults, so that a
 * mutated scrypt n or PBKDF2 count costs microseconds (the seeds, written by
 * make_keyfile_corpus.py, use the smallest parameters).
 *
 * A file that is read must give a well-formed key: a known algorithm and format, the public
 * key length of that algorithm, a nonzero ECDSA scalar, the claim its format can carry, the
 * format auto-detection picks when asked to, and the algorithm the caller named. A refused
 * file must leave the output zeroed and give a message and one of the documented codes;
 * SPOD_E_CRYPTO or SPOD_E_NOMEM would mean a check the readers missed, and abort.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/keyfile.h"
#include "crypto/sign.h"
#include "spod/err.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

#define FUZZ_SECURE_HEAP_BYTES (64u * 1024u)

static const uint8_t passphrase[] = "fuzz";
static const struct spod_keyfile_limits tiny = {
    .scrypt_max_n = 64,
    .scrypt_max_mem_bytes = 256u * 1024u,
    .scrypt_max_work = 1024,
    .pbkdf2_max_iter = 64,
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return spod_crypto_init(FUZZ_SECURE_HEAP_BYTES) == SPOD_OK ? 0 : -1;
}

static void check_refusal(int rc, const struct spod_keyfile_secret *kf, const char *why)
{
	static const struct spod_keyfile_secret empty;

	CHECK(rc == SPOD_E_TOO_LARGE || rc == SPOD_E_BAD_ARG || rc == SPOD_E_BAD_KEY ||
	      rc == SPOD_E_UNKNOWN_ALG || rc == SPOD_E_BAD_SIGNATURE);
	CHECK(why != NULL && why[0] != '\0');
	CHECK(memcmp(kf, &empty, sizeof empty) == 0);
}

static void check_key(const struct spod_keyfile_secret *kf, const struct spod_keyfile_opts *opts,
                      const uint8_t *file, size_t len)
{
	enum spod_keyfile_format detected;
	const char *why = NULL;
	uint8_t acc = 0;

	CHECK(kf->secret != NULL);
	CHECK(spod_alg_valid(kf->alg));
	CHECK(opts->alg == 0 || opts->alg == kf->alg);
	CHECK(kf->pub_len == spod_alg_pub_len(kf->alg));
	CHECK(spod_keyfile_format_name(kf->fmt) != NULL && kf->fmt != SPOD_KEYFILE_AUTO);
	CHECK(opts->fmt == SPOD_KEYFILE_AUTO || opts->fmt == kf->fmt);
	for (size_t i = 0; i < SPOD_KEYFILE_SECRET_BYTES; i++)
		acc |= kf->secret[i];
	CHECK(kf->alg == SPOD_ALG_ED25519 || acc != 0);
	switch (kf->fmt) {
	case SPOD_KEYFILE_HEX:
		CHECK(opts->alg != 0 && kf->claim == SPOD_KEYFILE_CLAIM_NONE);
		break;
	case SPOD_KEYFILE_PEM:
		CHECK(kf->claim == SPOD_KEYFILE_CLAIM_NONE);
		break;
	case SPOD_KEYFILE_ETH_KEYSTORE:
		CHECK(kf->alg == SPOD_ALG_SECP256K1);
		CHECK(kf->claim == SPOD_KEYFILE_CLAIM_NONE ||
		      kf->claim == SPOD_KEYFILE_CLAIM_ETH_ADDRESS);
		break;
	default:
		CHECK(kf->fmt == SPOD_KEYFILE_SOLANA && kf->alg == SPOD_ALG_ED25519);
		CHECK(kf->claim == SPOD_KEYFILE_CLAIM_PUBLIC_KEY);
		break;
	}
	if (opts->fmt == SPOD_KEYFILE_AUTO) {
		CHECK(spod_keyfile_detect(&detected, file, len, &why) == SPOD_OK);
		CHECK(detected == kf->fmt && why == NULL);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spod_keyfile_opts opts = {
	    .passphrase = passphrase,
	    .passphrase_len = sizeof passphrase - 1,
	    .limits = &tiny,
	};
	struct spod_keyfile_secret kf;
	enum spod_keyfile_format detected;
	const char *why = NULL;
	int rc;

	if (size == 0)
		return 0;
	opts.fmt = (enum spod_keyfile_format)(data[0] & 7);
	opts.alg = (uint8_t)((data[0] >> 3) & 3);
	data++;
	size--;

	rc = spod_keyfile_detect(&detected, data, size, &why);
	CHECK((rc == SPOD_OK && why == NULL && detected != SPOD_KEYFILE_AUTO) ||
	      ((rc == SPOD_E_BAD_KEY || rc == SPOD_E_TOO_LARGE) && why != NULL &&
	       detected == SPOD_KEYFILE_AUTO));

	rc = spod_keyfile_parse(&kf, data, size, &opts, &why);
	if (rc != SPOD_OK) {
		CHECK(opts.fmt <= SPOD_KEYFILE_SOLANA || rc == SPOD_E_BAD_ARG);
		check_refusal(rc, &kf, why);
		return 0;
	}
	CHECK(why == NULL);
	check_key(&kf, &opts, data, size);
	spod_keyfile_free(&kf);
	CHECK(kf.secret == NULL);
	return 0;
}
