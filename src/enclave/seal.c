/* The enclave's seal state (seal.h). */
#include "enclave/seal.h"

#include <sodium.h>
#include <string.h>

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

int spod_enclave_seal_setup(struct spod_enclave_seal *s, uint8_t mode)
{
	if (s->mode == mode)
		return SPOD_OK;
	if (s->mode != SPOD_SEAL_UNSET) {
		spod_warn("seal mode %s asked for, but this enclave is in %s mode; refused",
		          mode_name(mode), mode_name(s->mode));
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
	return SPOD_OK;
}

int spod_enclave_seal_key(struct spod_enclave_seal *s, const uint8_t **key, const char **why)
{
	*key = NULL;
	*why = NULL;
	if (s->mode == SPOD_SEAL_UNSET)
		SPOD_TRY(spod_enclave_seal_setup(s, SPOD_SEAL_EPHEMERAL));
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
