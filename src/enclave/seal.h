/*
 * The enclave's seal state (docs/keys.md): which seal mode spod-host asked for, the seal key
 * and its id once there is one, the custodians' shares on their way to rebuilding it, the
 * provisioning key that shares and imported keys are encrypted to, and the attestation
 * nonces that envelopes may name (each at most once).
 *
 * The seal key, the shares and the provisioning secret live in locked memory and are wiped
 * when the state is freed. Not thread-safe: the enclave's event loop owns it.
 */
#ifndef SPOD_ENCLAVE_SEAL_H
#define SPOD_ENCLAVE_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/envelope.h"
#include "crypto/shamir.h"
#include "crypto/share.h"
#include "spod/wire.h"

/* Attestation nonces remembered for envelopes: enough that a flood of attest requests
 * between a custodian's attest and send is unlikely to push its nonce out (33 bytes each). */
#define SPOD_ATTESTED_NONCES 1024u

struct spod_enclave_seal {
	uint8_t mode; /* enum spod_seal_mode; SPOD_SEAL_UNSET until chosen */
	uint8_t *key; /* SPOD_SEAL_KEY_BYTES of locked memory once the seal key exists */
	uint8_t key_id[SPOD_SEAL_KEY_ID_BYTES]; /* zero until known */
	struct spod_share_set shares;           /* custodian mode, until the key is rebuilt */
	uint8_t k, n;                           /* custodian mode: the set the key came from */
	uint8_t provision_pub[SPOD_X25519_BYTES];
	uint8_t *provision_secret; /* locked */
	struct {
		uint8_t digest[32]; /* SHA-256 of the nonce */
		uint8_t state;      /* 0 free, 1 attested, 2 used by an envelope */
	} nonces[SPOD_ATTESTED_NONCES];
	uint32_t nonce_next;
};

/* Makes the provisioning key pair; mode UNSET. SPOD_OK, SPOD_E_NOMEM or SPOD_E_CRYPTO. */
int spod_enclave_seal_init(struct spod_enclave_seal *s)
    __attribute__((warn_unused_result, nonnull));

/* Wipes and frees everything secret. Safe on a zero-filled state. */
void spod_enclave_seal_free(struct spod_enclave_seal *s) __attribute__((nonnull));

/*
 * Chooses the seal mode, once per boot: ephemeral makes a random seal key now; custodians
 * waits for shares. Asking again for the same mode is SPOD_OK; for the other one,
 * SPOD_E_MODE_CONFLICT (nothing changes). SPOD_E_NOMEM otherwise.
 *
 * expect_id (custodian mode only, else SPOD_E_BAD_FIELD; NULL: none) is the seal key spod-host's
 * keys are sealed under: from then on only shares of that key are taken (others are
 * SPOD_E_WRONG_SEAL_KEY), and shares of another key held already are dropped. A seal key
 * rebuilt already, or another id expected already, that differs is SPOD_E_MODE_CONFLICT.
 * *why names the fault on failure (NULL otherwise).
 */
int spod_enclave_seal_setup(struct spod_enclave_seal *s, uint8_t mode, const uint8_t *expect_id,
                            const char **why) __attribute__((warn_unused_result, nonnull(1, 4)));

/*
 * The seal key for making or loading a key. A request before any seal.setup chooses ephemeral
 * mode (as seal.setup(ephemeral) would: spod-host chooses the mode either way).
 * Returns SPOD_OK with *key, or SPOD_E_NOT_PROVISIONED with *why (custodians' shares missing).
 */
int spod_enclave_seal_key(struct spod_enclave_seal *s, const uint8_t **key, const char **why)
    __attribute__((warn_unused_result, nonnull));

/* Remembers the nonce of an attestation document just made (the oldest is forgotten). */
void spod_enclave_seal_note_nonce(struct spod_enclave_seal *s, const uint8_t *nonce, size_t len)
    __attribute__((nonnull));

/*
 * Opens an envelope of the given purpose into payload (locked memory, cap bytes): its
 * attestation nonce must be one this enclave attested and no envelope has used; after a
 * successful open it is used. Returns SPOD_OK; SPOD_E_BAD_FIELD (malformed, another
 * purpose, does not open); SPOD_E_REPLAYED (nonce unknown or used); *why names the fault.
 */
int spod_enclave_seal_open(struct spod_enclave_seal *s, uint8_t *payload, size_t cap,
                           size_t *payload_len, const char **why, uint8_t purpose,
                           const uint8_t *env, size_t env_len)
    __attribute__((warn_unused_result, nonnull));

/*
 * A custodian's share payload (opened from its envelope): stored, and once the threshold is
 * reached the seal key is rebuilt and checked against its id. Returns SPOD_OK (stored, or the
 * key rebuilt), SPOD_E_MODE_CONFLICT (not in custodian mode), SPOD_E_BAD_SHARE once the key is
 * rebuilt already (not needed), or the share set's errors with *why (SPOD_E_BAD_SHARE,
 * SPOD_E_WRONG_SEAL_KEY).
 */
int spod_enclave_seal_add_share(struct spod_enclave_seal *s, const uint8_t *payload, size_t len,
                                const char **why) __attribute__((warn_unused_result, nonnull));

/* The seal part of a status answer (key_count is the caller's). */
void spod_enclave_seal_status(const struct spod_enclave_seal *s, struct spod_seal_view *v)
    __attribute__((nonnull));

#endif
