/* A key's policy in the enclave (key_policy.h). */
#include "enclave/key_policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int spod_key_policy_make(struct spod_key_policy **out, const uint8_t *cbor, size_t len,
                         const uint8_t admin_hash[32], const char **why)
{
	struct spod_key_policy *kp;
	int rc;

	*out = NULL;
	*why = NULL;
	if (len == 0 || len > SPOD_POLICY_MAX_BYTES) {
		*why = "a policy is 1 to 65536 bytes of CBOR";
		return len == 0 ? SPOD_E_BAD_FIELD : SPOD_E_TOO_LARGE;
	}
	kp = calloc(1, sizeof(*kp));
	if (kp == NULL)
		return SPOD_E_NOMEM;
	kp->cbor = malloc(len);
	if (kp->cbor == NULL) {
		free(kp);
		return SPOD_E_NOMEM;
	}
	memcpy(kp->cbor, cbor, len);
	kp->len = len;
	memcpy(kp->admin_hash, admin_hash, 32);
	rc = spod_policy_load(kp->cbor, len, &kp->p);
	if (rc < 0) {
		*why =
		    "the policy is not a valid policy in its canonical CBOR form (docs/policy.md)";
		spod_key_policy_free(kp);
		return rc;
	}
	spod_policy_state_init(&kp->st, &kp->p);
	*out = kp;
	return SPOD_OK;
}

void spod_key_policy_free(struct spod_key_policy *kp)
{
	if (kp == NULL)
		return;
	free(kp->cbor);
	free(kp);
}

static uint64_t now_seconds(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || ts.tv_sec < 0)
		return 0;
	return (uint64_t)ts.tv_sec;
}

int spod_key_policy_decide(struct spod_key_policy *kp, const struct spod_tx_summary *tx,
                           struct spod_policy_decision *d, uint64_t *now_s, char *why_buf,
                           size_t why_cap)
{
	*now_s = now_seconds();
	SPOD_TRY(spod_policy_eval(&kp->p, &kp->st, tx, *now_s, d));
	if (d->allowed)
		return SPOD_OK;
	/* A deny rule without a reason of its own has the engine's "denied by rule ID". */
	if (strncmp(d->reason, "denied by rule ", 15) == 0)
		snprintf(why_buf, why_cap, "denied by rule \"%.*s\"", (int)d->rule_id.len,
		         (const char *)d->rule_id.ptr);
	else
		snprintf(why_buf, why_cap, "denied by rule \"%.*s\": %s", (int)d->rule_id.len,
		         (const char *)d->rule_id.ptr, d->reason);
	return SPOD_E_POLICY_DENIED;
}

void spod_key_policy_commit(struct spod_key_policy *kp, const struct spod_tx_summary *tx,
                            const struct spod_policy_decision *d, uint64_t now_s)
{
	/* eval allowed exactly this, against this state: commit cannot fail (policy.h) */
	if (spod_policy_commit(&kp->st, &kp->p, tx, d, now_s) < 0)
		abort();
}
