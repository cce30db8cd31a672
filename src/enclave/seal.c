/* The enclave's seal state (seal.h). */
#include "enclave/seal.h"

#include <sodium.h>
#include <string.h>

#include "common/hex.h"
#include "common/log.h"
#include "crypto/hash.h"
#include "crypto/secmem.h"
#include "crypto/sign.h"

int spod_enclave_seal_init(struct spod_enclave_seal *s)
{
	memset(s, 0, sizeof(*s));
	SPOD_TRY(spod_share_set_init(&s->shares, NULL));
	s->provision_secret = spod_secmem_alloc(SPOD_X25519_BYTES);
	if (s->provision_secret == NULL)
		return SPOD_E_NOMEM;
	return spod_x25519_keypair(s->provision_pub, s->provision_secret);
}

void spod_enclave_seal_free(struct spod_enclave_seal *s)
{
	spod_secmem_free(s->key);
	spod_secmem_free(s->provision_secret);
	spod_share_set_free(&s->shares);
	sodium_memzero(s, sizeof(*s));
}

static const char *mode_name(uint8_t mode)
{
	return mode == SPOD_SEAL_EPHEMERAL    ? "ephemeral"
	       : mode == SPOD_SEAL_CUSTODIANS ? "custodians"
	                                      : "unset";
}

/* The seal key spod-host's keys are sealed under: only its shares are taken from now on. */
static int expect_key(struct spod_enclave_seal *s, const uint8_t *id, const char **why)
{
	char hex[2 * SPOD_SEAL_KEY_ID_BYTES + 1];
	unsigned dropped;

	if (s->key != NULL) {
		if (sodium_memcmp(s->key_id, id, SPOD_SEAL_KEY_ID_BYTES) == 0)
			return SPOD_OK;
		*why = "this enclave's seal key was rebuilt from another set of custodians' shares "
		       "than the seal key spod-host's keys are sealed under";
		spod_warn("%s; refused", *why);
		return SPOD_E_MODE_CONFLICT;
	}
	if (spod_share_set_expect(&s->shares, id, &dropped) < 0) {
		*why = "another seal key is expected already";
		spod_warn("%s; refused", *why);
		return SPOD_E_MODE_CONFLICT;
	}
	if (spod_hex_encode(hex, sizeof(hex), id, SPOD_SEAL_KEY_ID_BYTES) < 0)
		hex[0] = '\0';
	if (dropped > 0)
		spod_warn("%u custodian share(s) of another seal key dropped: spod-host's keys are "
		          "sealed under seal key %s",
		          dropped, hex);
	spod_info("custodian shares must rebuild seal key %s (spod-host's record)", hex);
	return SPOD_OK;
}

int spod_enclave_seal_setup(struct spod_enclave_seal *s, uint8_t mode, const uint8_t *expect_id,
                            const char **why)
{
	*why = NULL;
	if (expect_id != NULL && mode != SPOD_SEAL_CUSTODIANS) {
		*why = "a seal key id is expected only in custodian mode";
		return SPOD_E_BAD_FIELD;
	}
	if (s->mode == mode)
		return expect_id != NULL ? expect_key(s, expect_id, why) : SPOD_OK;
	if (s->mode != SPOD_SEAL_UNSET) {
		spod_warn("seal mode %s asked for, but this enclave is in %s mode; refused",
		          mode_name(mode), mode_name(s->mode));
		*why = s->mode == SPOD_SEAL_EPHEMERAL ? "this enclave is in ephemeral mode"
		                                      : "this enclave is in custodian mode";
		return SPOD_E_MODE_CONFLICT;
	}
	if (mode == SPOD_SEAL_EPHEMERAL) {
		s->key = spod_secmem_alloc(SPOD_SEAL_KEY_BYTES);
		if (s->key == NULL)
			return SPOD_E_NOMEM;
		spod_random(s->key, SPOD_SEAL_KEY_BYTES);
		spod_seal_key_id(s->key_id, s->key);
		spod_warn(
		    "EPHEMERAL MODE: a random seal key for this boot only; every key dies with "
		    "this process");
	} else {
		spod_warn(
		    "CUSTODIAN MODE: waiting for the custodians' shares of the seal key; no key "
		    "can be made or loaded until they arrive");
	}
	s->mode = mode;
	return expect_id != NULL ? expect_key(s, expect_id, why) : SPOD_OK;
}

int spod_enclave_seal_key(struct spod_enclave_seal *s, const uint8_t **key, const char **why)
{
	*key = NULL;
	*why = NULL;
	if (s->mode == SPOD_SEAL_UNSET)
		SPOD_TRY(spod_enclave_seal_setup(s, SPOD_SEAL_EPHEMERAL, NULL, why));
	if (s->key == NULL) {
		*why = "the seal key is not rebuilt yet: custodians' shares are missing";
		return SPOD_E_NOT_PROVISIONED;
	}
	*key = s->key;
	return SPOD_OK;
}

void spod_enclave_seal_note_nonce(struct spod_enclave_seal *s, const uint8_t *nonce, size_t len)
{
	uint32_t i = s->nonce_next % SPOD_ATTESTED_NONCES;

	spod_sha256(s->nonces[i].digest, nonce, len);
	s->nonces[i].state = 1;
	s->nonce_next++;
}

/* The remembered nonce whose digest is digest, or NULL. */
static uint32_t find_nonce(const struct spod_enclave_seal *s, const uint8_t digest[32])
{
	for (uint32_t i = 0; i < SPOD_ATTESTED_NONCES; i++)
		if (s->nonces[i].state != 0 && sodium_memcmp(s->nonces[i].digest, digest, 32) == 0)
			return i;
	return SPOD_ATTESTED_NONCES;
}

int spod_enclave_seal_open(struct spod_enclave_seal *s, uint8_t *payload, size_t cap,
                           size_t *payload_len, const char **why, uint8_t purpose,
                           const uint8_t *env, size_t env_len)
{
	struct spod_envelope_view v;
	uint8_t digest[32];
	uint32_t i;

	*payload_len = 0;
	SPOD_TRY(spod_envelope_parse(&v, why, env, env_len));
	if (v.purpose != purpose) {
		*why = purpose == SPOD_PURPOSE_SHARE
		           ? "this envelope carries a key to import, not a share"
		           : "this envelope carries a share, not a key to import";
		return SPOD_E_BAD_FIELD;
	}
	spod_sha256(digest, v.doc_nonce, v.doc_nonce_len);
	i = find_nonce(s, digest);
	if (i == SPOD_ATTESTED_NONCES) {
		*why =
		    "the envelope names an attestation nonce this enclave did not attest this boot "
		    "(or has forgotten): fetch a fresh document and try again";
		return SPOD_E_REPLAYED;
	}
	if (s->nonces[i].state == 2) {
		*why = "the envelope's attestation nonce was used already: a replay";
		return SPOD_E_REPLAYED;
	}
	SPOD_TRY(spod_envelope_open(payload, cap, payload_len, why, &v, s->provision_secret,
	                            s->provision_pub));
	s->nonces[i].state = 2;
	return SPOD_OK;
}

int spod_enclave_seal_add_share(struct spod_enclave_seal *s, const uint8_t *payload, size_t len,
                                const char **why)
{
	struct spod_share_progress progress;
	struct spod_share_view v;
	int rc;

	if (s->mode != SPOD_SEAL_CUSTODIANS) {
		*why = "this enclave is not in custodian mode";
		return SPOD_E_MODE_CONFLICT;
	}
	if (s->key != NULL) {
		*why = "the seal key is rebuilt already: this share is not needed";
		return SPOD_E_BAD_SHARE;
	}
	SPOD_TRY(spod_share_parse(&v, payload, len, why));
	SPOD_TRY(spod_share_set_add(&s->shares, &progress, &v, why));
	if (progress.needed > 0) {
		spod_info("custodian share %u of the seal key accepted: %u of %u present", v.index,
		          progress.present, progress.threshold);
		return SPOD_OK;
	}
	s->key = spod_secmem_alloc(SPOD_SEAL_KEY_BYTES);
	if (s->key == NULL)
		return SPOD_E_NOMEM;
	s->k = s->shares.k;
	s->n = s->shares.n;
	rc = spod_share_set_rebuild(&s->shares, s->key, why);
	if (rc < 0) {
		spod_secmem_free(s->key);
		s->key = NULL;
		spod_error("the seal key could not be rebuilt: %s", *why);
		return rc;
	}
	spod_seal_key_id(s->key_id, s->key);
	spod_warn("seal key rebuilt from %u custodians' shares; keys can be loaded",
	          progress.present);
	return SPOD_OK;
}

void spod_enclave_seal_status(const struct spod_enclave_seal *s, struct spod_seal_view *v)
{
	memset(v, 0, sizeof(*v));
	v->mode = s->mode;
	v->ready = s->key != NULL;
	if (s->key != NULL) {
		/* rebuilt (custodians) or made (ephemeral): the shares are gone, their count kept
		 */
		v->threshold = s->k;
		v->shares = s->n;
		v->present = s->k;
		v->seal_key_id = s->key_id;
		return;
	}
	v->threshold = s->shares.k;
	v->shares = s->shares.n;
	v->present = (uint8_t)__builtin_popcount(s->shares.present);
	v->seal_key_id = s->shares.have_id ? s->shares.seal_key_id : NULL;
}
