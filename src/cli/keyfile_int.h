/*
 * Private to src/cli/keyfile*.c: the format readers behind spod_keyfile_parse. Each one is
 * handed an out whose secret buffer (SPOD_KEYFILE_SECRET_BYTES, locked) is already
 * allocated; it sets out->alg, writes the secret and records what the file claims about the
 * public key. keyfile.c then derives the public key and checks the claims, and on any
 * failure wipes everything, so a reader need not clean up out itself.
 */
#ifndef SPOD_CLI_KEYFILE_INT_H
#define SPOD_CLI_KEYFILE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "cli/keyfile.h"

#define KEYFILE_ETH_ADDRESS_BYTES 20u

struct keyfile_claims {
	enum spod_keyfile_claim report; /* copied to out->claim once the checks pass */
	int has_pub;                    /* pub must match the derived public key */
	uint8_t pub[SPOD_PUB_MAX_BYTES];
	size_t pub_len; /* 32 (Ed25519), 33 (compressed SEC1) or 65 (uncompressed SEC1) */
	int has_addr;   /* addr must be the derived key's Ethereum address */
	uint8_t addr[KEYFILE_ETH_ADDRESS_BYTES];
};

/* PEM (keyfile_pem.c). Returns as spod_keyfile_parse, with *why set on failure. */
int spod_keyfile_read_pem(struct spod_keyfile_secret *out, struct keyfile_claims *claims,
                          const uint8_t *data, size_t len, const char **why)
    __attribute__((warn_unused_result, nonnull(1, 2, 5)));

/* Ethereum keystore v3 (keyfile_eth.c). Returns as spod_keyfile_parse. */
int spod_keyfile_read_eth(struct spod_keyfile_secret *out, struct keyfile_claims *claims,
                          const uint8_t *data, size_t len, const struct spod_keyfile_opts *opts,
                          const char **why)
    __attribute__((warn_unused_result, nonnull(1, 2, 5, 6)));

/*
 * Decodes exactly 2*n hex digits text[0..2n) into out[0..n) in constant time (libsodium).
 * Returns SPOD_OK or SPOD_E_BAD_HEX (out then unspecified: wipe it if it is secret).
 */
int spod_keyfile_unhex(uint8_t *out, size_t n, const char *text, size_t text_len)
    __attribute__((warn_unused_result));

#endif
