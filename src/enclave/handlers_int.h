/*
 * Handlers shared between handlers.c (the dispatch and the key and signing opcodes) and
 * handlers_seal.c (sealing, loading, importing, custodians). Each validates f and writes
 * one response into out[0..cap), returning SPOD_OK with *len or an error to answer with.
 */
#ifndef SPOD_ENCLAVE_HANDLERS_INT_H
#define SPOD_ENCLAVE_HANDLERS_INT_H

#include "enclave/handlers.h"

typedef int (*handler_fn)(struct spod_enclave_state *st, const struct spod_frame *f, uint8_t *out,
                          size_t cap, size_t *len);

int spod_enclave_do_load(struct spod_enclave_state *st, const struct spod_frame *f, uint8_t *out,
                         size_t cap, size_t *len);
int spod_enclave_do_import(struct spod_enclave_state *st, const struct spod_frame *f, uint8_t *out,
                           size_t cap, size_t *len);
/* sign.tx (handlers_tx.c) */
int spod_enclave_do_sign_tx(struct spod_enclave_state *st, const struct spod_frame *f, uint8_t *out,
                            size_t cap, size_t *len);
/* policy.set, policy.get, policy.admins (handlers_policy.c) */
int spod_enclave_do_policy(struct spod_enclave_state *st, const struct spod_frame *f, uint8_t *out,
                           size_t cap, size_t *len);
/*
 * The policy gate: when key k has a policy, decides tx under it; SPOD_OK (allowed, or no
 * policy) or SPOD_E_POLICY_DENIED with st->why naming the rule. After signing what was
 * allowed, spod_enclave_policy_done records it (nothing without a policy).
 */
struct spod_gate {
	struct spod_policy_decision d;
	uint64_t now_s;
	struct spod_key_policy *kp; /* the policy that decided; NULL: none */
};
int spod_enclave_policy_gate(struct spod_enclave_state *st, const struct spod_key_entry *k,
                             const struct spod_tx_summary *tx, struct spod_gate *g);
void spod_enclave_policy_done(const struct spod_tx_summary *tx, const struct spod_gate *g);

/*
 * The key a signing handler uses for id: the keystore's entry, or on a worker thread the next
 * one the event loop pinned for the request (st->pinned). NULL: no such key.
 */
const struct spod_key_entry *spod_enclave_find_key(struct spod_enclave_state *st,
                                                   const uint8_t id[SPOD_KEY_ID_BYTES]);

/* k's policy as this request sees it: none on a worker thread (see st->pinned). */
static inline struct spod_key_policy *spod_enclave_policy_of(const struct spod_enclave_state *st,
                                                             const struct spod_key_entry *k)
{
	return st->pinned == NULL && k != NULL ? k->policy : NULL;
}
/*
 * Evidence (handlers_evidence.c, docs/evidence.md): adds the record of one answered sign item
 * to the current connection's batch (nothing when st->ev_batch is NULL). k is the key found
 * (NULL: none), g its gate when the policy decided (NULL or zero-filled: not reached). The
 * record's policy hash and rule id come from k and g.
 */
void spod_enclave_evidence_note(struct spod_enclave_state *st, uint8_t opcode, uint8_t mode,
                                uint8_t form, int status, const uint8_t *key_id,
                                const uint8_t digest[32], const struct spod_key_entry *k,
                                const struct spod_gate *g);
/* audit.head: signs the audit log's head (SIGN, never going back) or the last one (QUERY). */
int spod_enclave_do_audit_head(struct spod_enclave_state *st, const struct spod_frame *f,
                               uint8_t *out, size_t cap, size_t *len);
/* seal.setup and seal.status */
int spod_enclave_do_seal(struct spod_enclave_state *st, const struct spod_frame *f, uint8_t *out,
                         size_t cap, size_t *len);
int spod_enclave_do_share(struct spod_enclave_state *st, const struct spod_frame *f, uint8_t *out,
                          size_t cap, size_t *len);

/* Seals k under seal_key and answers f with the key and its blob; when that fails, deletes k
 * (a key nobody holds a sealed copy of must not stay usable) and returns the error. */
int spod_enclave_put_sealed(struct spod_enclave_state *st, uint8_t *out, size_t cap, size_t *len,
                            const struct spod_frame *f, const struct spod_key_entry *k,
                            const uint8_t *seal_key);

/* Deletes a key that was just made but cannot be handed out (its blob could not be written). */
void spod_enclave_drop_key(struct spod_enclave_state *st, const struct spod_key_entry *k);

/* SPOD_INFO_EPHEMERAL / CUSTODIANS / SEALED for the current seal state. */
uint32_t spod_enclave_info_flags(const struct spod_enclave_state *st);

#endif
