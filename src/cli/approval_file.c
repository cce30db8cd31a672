/* Admin keys and approval text for `spod policy` (approval_file.h). */
#include "cli/approval_file.h"

#include <string.h>

#include "common/hex.h"
#include "crypto/secmem.h"
#include "crypto/sign.h"
#include "policy/approval.h"

int spod_admin_key_parse(struct spod_keyfile_secret *kf, const uint8_t *data, size_t len,
                         const char **why)
{
	const struct spod_keyfile_opts opts = {.fmt = SPOD_KEYFILE_PEM, .alg = SPOD_ALG_ED25519};
	int rc = spod_keyfile_parse(kf, data, len, &opts, why);

	if (rc == SPOD_E_UNKNOWN_ALG) {
		*why =
		    "an admin key is an Ed25519 private key (openssl genpkey -algorithm ed25519)";
		return SPOD_E_BAD_ARG;
	}
	return rc;
}

int spod_approval_make(uint8_t out[SPOD_APPROVAL_BYTES], const struct spod_keyfile_secret *kf,
                       const uint8_t key_id[SPOD_KEY_ID_BYTES], const uint8_t policy_hash[32])
{
	uint8_t msg[SPOD_APPROVAL_MSG_BYTES], pub[SPOD_PUB_MAX_BYTES], sig[SPOD_SIG_MAX_BYTES];
	struct spod_secret_key *sk;
	size_t pub_len = 0, sig_len = 0;
	uint8_t recid;
	int rc;

	memset(out, 0, SPOD_APPROVAL_BYTES);
	if (kf->alg != SPOD_ALG_ED25519 || kf->secret == NULL)
		return SPOD_E_BAD_ARG;
	sk = spod_secmem_alloc(sizeof(*sk));
	if (sk == NULL)
		return SPOD_E_NOMEM;
	rc = spod_key_import(sk, pub, &pub_len, SPOD_ALG_ED25519, kf->secret,
	                     SPOD_KEYFILE_SECRET_BYTES);
	if (rc == SPOD_OK && pub_len != 32)
		rc = SPOD_E_CRYPTO;
	if (rc == SPOD_OK) {
		spod_approval_msg(msg, key_id, policy_hash);
		rc = spod_sign(sig, &sig_len, &recid, sk, SPOD_MODE_RAW, msg, sizeof(msg));
	}
	if (rc == SPOD_OK && sig_len != 64)
		rc = SPOD_E_CRYPTO;
	if (rc == SPOD_OK) {
		memcpy(out, pub, 32);
		memcpy(out + 32, sig, 64);
	}
	spod_key_wipe(sk);
	spod_secmem_free(sk);
	return rc < 0 ? rc : SPOD_OK;
}

void spod_approval_text(char out[SPOD_APPROVAL_TEXT_CHARS + 1],
                        const uint8_t approval[SPOD_APPROVAL_BYTES])
{
	if (spod_hex_encode(out, SPOD_APPROVAL_TEXT_CHARS + 1, approval, SPOD_APPROVAL_BYTES) < 0)
		out[0] = '\0'; /* cannot happen: the buffer is the exact size */
}

int spod_approval_parse(uint8_t out[SPOD_APPROVAL_BYTES], const char *text, size_t len)
{
	size_t n = SPOD_APPROVAL_TEXT_CHARS;

	memset(out, 0, SPOD_APPROVAL_BYTES);
	if (len < n || !(len == n || (len == n + 1 && text[n] == '\n') ||
	                 (len == n + 2 && text[n] == '\r' && text[n + 1] == '\n')))
		return SPOD_E_BAD_ARG;
	if (spod_hex_decode_exact(out, SPOD_APPROVAL_BYTES, text, n) < 0) {
		memset(out, 0, SPOD_APPROVAL_BYTES);
		return SPOD_E_BAD_ARG;
	}
	return SPOD_OK;
}
