/*
 * `spod audit verify`'s evidence and signed-head checks (docs/evidence.md): the enclave's
 * signed evidence against the audit log, and the heads it signed against the log's end.
 */
#ifndef SPOD_CLI_AUDIT_EVIDENCE_H
#define SPOD_CLI_AUDIT_EVIDENCE_H

#include <stddef.h>
#include <stdint.h>

#include "spod/attest.h"
#include "host/store/store.h"

/* What the checks found; why is "" or the first failure. */
struct audit_ev_report {
	uint64_t records, roots, keys, boots; /* boots: keys with records */
	uint64_t unmatched_audit;             /* audit sign rows without evidence (benign) */
	uint64_t before_anchor;   /* evidence whose audit records were pruned (docs/evidence.md) */
	uint64_t gaps;            /* counters missing between stored records */
	uint64_t heads;           /* signed heads checked */
	uint64_t newest_head_seq; /* highest seq among them (0: none) */
	uint64_t log_seq;         /* the newest audit seq */
	uint64_t max_counter; /* highest stored counter of live_pub's key (else the last key's) */
	int verified_against_root; /* every key's document verified (--root) */
	char why[320];
};

/*
 * Runs every check of the design on the database: evidence keys' documents against pol (NULL:
 * not checked), root signatures, proofs, counters, the multiset match with audit "sign" rows,
 * and the stored signed heads. live_pub (may be NULL) names the key whose max_counter to
 * report. Returns SPOD_OK when all hold; SPOD_E_BAD_SIGNATURE with
 * r->why when one fails; a storage error (spod_store_last_error) or SPOD_E_NOMEM otherwise.
 */
int audit_ev_verify(struct spod_store *s, const struct spod_attest_policy *pol,
                    const uint8_t *live_pub, struct audit_ev_report *r)
    __attribute__((warn_unused_result, nonnull(1, 4)));

/*
 * Checks one signed head (a stored one, or a live answer to audit.head QUERY) with the same
 * rules: its key must be a stored evidence key, its signature must verify, its seq must not be
 * beyond the log, and the record it names, when held, must have its hash. SPOD_OK,
 * SPOD_E_BAD_SIGNATURE with r->why, or a storage error.
 */
int audit_ev_check_head(struct spod_store *s, const struct spod_store_head *h,
                        struct audit_ev_report *r) __attribute__((warn_unused_result, nonnull));

#endif
