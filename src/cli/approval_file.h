/*
 * Policy-admin approvals as `spod policy` makes and reads them (docs/policy.md, "Who may
 * change a policy"; the signed message is src/policy/approval.h's):
 *
 *   admin key      the admin's Ed25519 private key as a PEM PKCS#8 "PRIVATE KEY" file, as
 *                  `openssl genpkey -algorithm ed25519` writes it (read by OpenSSL through
 *                  cli/keyfile.h; the seed lives in locked memory and is wiped)
 *   approval text  SPOD_APPROVAL_TEXT_CHARS lowercase hex characters: the admin's public key
 *                  (32 bytes) then its signature (64); in a file optionally followed by one
 *                  newline. The same text spod-host's HTTP API takes.
 *
 * Pure functions (no I/O), so the unit tests can run them. They need spod_crypto_init.
 */
#ifndef SPOD_CLI_APPROVAL_FILE_H
#define SPOD_CLI_APPROVAL_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "cli/keyfile.h"
#include "spod/wire.h"

#define SPOD_APPROVAL_TEXT_CHARS (2u * SPOD_APPROVAL_BYTES) /* 192 */

/*
 * Reads an admin's private key from the PEM file's bytes data[0..len) into *kf (an Ed25519
 * key; release it with spod_keyfile_free). Returns SPOD_OK, or spod_keyfile_parse's errors
 * with *why a static message (SPOD_E_BAD_ARG also for a key of another algorithm, and for a
 * file that is not PEM).
 */
int spod_admin_key_parse(struct spod_keyfile_secret *kf, const uint8_t *data, size_t len,
                         const char **why) __attribute__((warn_unused_result, nonnull));

/*
 * Signs the approval of the policy whose CBOR has SHA-256 policy_hash (of the empty string to
 * remove the policy) for key_id with the admin key *kf: out gets the admin's public key then
 * the Ed25519 signature over spod_approval_msg(key_id, policy_hash). The expanded key is kept
 * in locked memory and wiped. Returns SPOD_OK, SPOD_E_BAD_ARG (kf is not an Ed25519 key),
 * SPOD_E_NOMEM or SPOD_E_CRYPTO (out zero-filled).
 */
int spod_approval_make(uint8_t out[SPOD_APPROVAL_BYTES], const struct spod_keyfile_secret *kf,
                       const uint8_t key_id[SPOD_KEY_ID_BYTES], const uint8_t policy_hash[32])
    __attribute__((warn_unused_result, nonnull));

/* The approval's text form: SPOD_APPROVAL_TEXT_CHARS lowercase hex characters and a NUL. */
void spod_approval_text(char out[SPOD_APPROVAL_TEXT_CHARS + 1],
                        const uint8_t approval[SPOD_APPROVAL_BYTES]) __attribute__((nonnull));

/*
 * Reads an approval's text form from text[0..len) (an approval file's bytes, no NUL needed):
 * exactly SPOD_APPROVAL_TEXT_CHARS hex characters, then nothing, "\n" or "\r\n". Whether the
 * signature is good is the enclave's to decide. Returns SPOD_OK or SPOD_E_BAD_ARG (out
 * zero-filled).
 */
int spod_approval_parse(uint8_t out[SPOD_APPROVAL_BYTES], const char *text, size_t len)
    __attribute__((warn_unused_result, nonnull));

#endif
