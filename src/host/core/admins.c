/*
 * The policy-admin set (docs/policy.md, "Who may change a policy"): once an enclave connection
 * has its seal key, and before its sealed keys are loaded (their blobs name the admin set
 * that approved their policies), spod-host registers the set of its configuration with
 * policy.admins. The enclave takes one set per boot: an enclave that already holds another
 * refuses (MODE_CONFLICT), and the connection is refused as for a seal-mode conflict. With no
 * set configured the host sends an empty one and the enclave answers with the set it holds.
 */
#include <stdio.h>
#include <string.h>

#include "common/hex.h"
#include "common/log.h"
#include "host/core/host_int.h"

int host_admins_begin(struct host_enclave *e)
{
	const struct spod_host_config *cfg = &e->h->cfg;
	uint8_t frame[SPOD_HDR_BYTES + 8 + SPOD_POLICY_ADMINS_MAX * 32];
	struct spod_policy_admins a = {
	    .threshold = (uint8_t)cfg->policy_threshold,
	    .count = (uint8_t)cfg->npolicy_admins,
	    .keys = cfg->policy_admins,
	};
	size_t len;

	e->stage = HOST_ENCLAVE_ADMINS;
	SPOD_TRY(spod_wire_enc_policy_admins(frame, sizeof(frame), &len,
	                                     HOST_CTL_RID(e->index, HOST_STEP_ADMINS), &a));
	return host_enclave_send(e, frame, len);
}

/* Logs the set the enclave holds once, and again whenever it changes (a new enclave boot). */
static void note_set(struct spod_host *h, const struct spod_policy_admins *v)
{
	char hex[2 * SPOD_POLICY_HASH_BYTES + 1];

	if (h->admins_known && memcmp(h->admins_hash, v->hash, sizeof(h->admins_hash)) == 0)
		return;
	h->admins_known = 1;
	memcpy(h->admins_hash, v->hash, sizeof(h->admins_hash));
	if (v->count == 0) {
		spod_info("policy admins: none; policies change without approvals (ephemeral "
		          "mode only, docs/policy.md)");
		return;
	}
	if (spod_hex_encode(hex, sizeof(hex), v->hash, SPOD_POLICY_HASH_BYTES) < 0)
		hex[0] = '\0';
	spod_info("policy admins: %u of %u, admin set %s", v->threshold, v->count, hex);
}

int host_admins_answer(struct host_enclave *e, const struct spod_frame *f)
{
	const struct spod_host_config *cfg = &e->h->cfg;
	struct spod_policy_admins v;
	char why[SPOD_ERRMSG_MAX_BYTES];
	int rc;

	if (f->hdr.request_id != HOST_CTL_RID(e->index, HOST_STEP_ADMINS)) {
		spod_error("enclave connection %u: unexpected answer while registering the policy "
		           "admins",
		           e->index);
		return SPOD_E_PROTOCOL;
	}
	rc = spod_wire_policy_admins_resp(&v, f);
	if (rc == SPOD_E_UNKNOWN_OP && cfg->npolicy_admins == 0) {
		/* An enclave without policies: no key can have one, and none is configured. */
		spod_warn("enclave connection %u: the enclave knows no policy.admins (no key "
		          "policies)",
		          e->index);
		return SPOD_OK;
	}
	if (rc < 0) {
		snprintf(why, sizeof(why), "%.*s", f->hdr.status ? (int)f->body_len : 0,
		         f->hdr.status ? (const char *)f->body : "");
		if (rc == SPOD_E_MODE_CONFLICT || rc == SPOD_E_BAD_FIELD || rc == SPOD_E_UNKNOWN_OP)
			e->refused = 1; /* retried slowly: only a restart or a new setting helps */
		spod_error(
		    "enclave connection %u REFUSED: policy.admins (%u of %u configured): %s%s%s; "
		    "restart the enclave or change spod-host's policy-admins",
		    e->index, cfg->policy_threshold, cfg->npolicy_admins, spod_err_name(rc),
		    why[0] ? ": " : "", why);
		(void)host_journal_record(e->h, "policy.admins", NULL, NULL, NULL, rc,
		                          why[0] ? why : spod_strerror(rc));
		return rc;
	}
	if (cfg->npolicy_admins > 0 &&
	    (v.count != cfg->npolicy_admins || v.threshold != cfg->policy_threshold ||
	     memcmp(v.keys, cfg->policy_admins, (size_t)v.count * 32u) != 0)) {
		spod_error("enclave connection %u: the enclave answered policy.admins with another "
		           "set than the one sent",
		           e->index);
		return SPOD_E_PROTOCOL;
	}
	note_set(e->h, &v);
	return SPOD_OK;
}
