/*
 * A key's policy inside the enclave (docs/policy.md): the CBOR the key's sealed blob binds,
 * loaded once, the admin set that approved it, and the window and rate state its commits keep.
 * Policies are public: they live in ordinary memory beside the key entry (keystore.h), which
 * owns one and frees it with the key.
 */
#ifndef SPOD_ENCLAVE_KEY_POLICY_H
#define SPOD_ENCLAVE_KEY_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "policy/policy.h"
#include "spod/err.h"

struct spod_key_policy {
	uint8_t *cbor; /* owned copy; every view in p points into it */
	size_t len;
	uint8_t admin_hash[32]; /* the set that approved it; all zero: none (ephemeral mode) */
	struct spod_policy p;
	struct spod_policy_state st;
};

/*
 * Copies cbor[0..len), loads it as a policy (spod_policy_load) and starts an empty state.
 * Returns SPOD_OK with *out (free with spod_key_policy_free), SPOD_E_NOMEM, or the loader's
 * SPOD_E_TRUNCATED / SPOD_E_TOO_LARGE / SPOD_E_BAD_FIELD with *why (static text).
 */
int spod_key_policy_make(struct spod_key_policy **out, const uint8_t *cbor, size_t len,
                         const uint8_t admin_hash[32], const char **why)
    __attribute__((warn_unused_result, nonnull));

/* Frees kp (NULL allowed). */
void spod_key_policy_free(struct spod_key_policy *kp);

/*
 * Decides tx under kp at the enclave's clock (spod_policy_eval). Returns SPOD_OK when it is
 * allowed (*d says by which rule), SPOD_E_POLICY_DENIED when it is not, with the refusal
 * written to why_buf[0..why_cap) as `denied by rule "<id>": <reason>` (without ": <reason>"
 * for a deny rule that gives none).
 */
int spod_key_policy_decide(struct spod_key_policy *kp, const struct spod_tx_summary *tx,
                           struct spod_policy_decision *d, uint64_t *now_s, char *why_buf,
                           size_t why_cap) __attribute__((warn_unused_result, nonnull));

/* Records an allowed decision once its signature exists (spod_policy_commit). */
void spod_key_policy_commit(struct spod_key_policy *kp, const struct spod_tx_summary *tx,
                            const struct spod_policy_decision *d, uint64_t now_s)
    __attribute__((nonnull));

#endif
