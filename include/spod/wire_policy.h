/*
 * The policy opcodes of the wire protocol (docs/protocol.md, "Policies"; docs/policy.md):
 *
 *   policy.set     (0x50) attaches a policy to a key, replaces it or removes it. The request
 *                  carries the key id, the policy in its deterministic CBOR form (empty: remove)
 *                  and the approvals of the policy-admin set; the answer is the key with its
 *                  sealed blob re-made to bind the policy (version 2, docs/keys.md), which
 *                  spod-host stores in place of the old one.
 *   policy.get     (0x51) the key's policy (CBOR), its SHA-256 and the admin set it was
 *                  approved under, as the enclave holds them.
 *   policy.admins  (0x52) spod-host only, once per connection after seal.setup: registers the
 *                  policy-admin set (K of M Ed25519 public keys) from spod-host's
 *                  configuration. The enclave takes one set per boot; the answer describes it.
 *   policy.sync    (0x53) spod-host only: the key (16-byte id, as key.public) re-sealed with its
 *                  policy's current window and rate state, so the state comes back with the key
 *                  after a restart; the answer is a key response with the blob, as policy.set's.
 *
 * Included by spod/wire.h; not meant to be included alone.
 */
#ifndef SPOD_WIRE_POLICY_H
#define SPOD_WIRE_POLICY_H

#include <stddef.h>
#include <stdint.h>

#define SPOD_POLICY_ADMINS_MAX 16u    /* M: most admin keys in a set */
#define SPOD_POLICY_WIRE_MAX   65536u /* largest policy on the wire (= the loader's cap) */
#define SPOD_APPROVAL_BYTES    96u    /* an approval: admin public key (32) || signature (64) */
#define SPOD_POLICY_HASH_BYTES 32u

/* policy.set request */
struct spod_policy_set_req {
	const uint8_t *key_id;    /* SPOD_KEY_ID_BYTES */
	const uint8_t *approvals; /* n_approvals * SPOD_APPROVAL_BYTES */
	uint32_t n_approvals;     /* 0..SPOD_POLICY_ADMINS_MAX */
	const uint8_t *policy;    /* CBOR; validated by the enclave's policy loader */
	uint32_t policy_len;      /* 0 (remove the policy) .. SPOD_POLICY_WIRE_MAX */
};

/* policy.admins request and answer */
struct spod_policy_admins {
	uint8_t threshold;   /* K: 1..count (0 with count 0: no set) */
	uint8_t count;       /* M: 0..SPOD_POLICY_ADMINS_MAX */
	const uint8_t *keys; /* count * 32 bytes of Ed25519 public keys, distinct */
	const uint8_t *hash; /* answers only: SPOD_POLICY_HASH_BYTES, spod_policy_admins_hash */
};

/* policy.get answer */
struct spod_policy_view {
	uint8_t has_policy;        /* 0: the key has no policy (the other fields are zero) */
	const uint8_t *hash;       /* SHA-256 of the policy's CBOR */
	const uint8_t *admin_hash; /* the admin set that approved it; all zero: set without
	                              approvals (ephemeral mode, docs/policy.md) */
	const uint8_t *policy;
	uint32_t policy_len;
};

/*
 * policy.set: SPOD_E_BAD_LENGTH for a body that is not its fixed part plus the approvals plus
 * the policy, SPOD_E_BAD_FIELD for a non-zero reserved byte or more than SPOD_POLICY_ADMINS_MAX
 * approvals, SPOD_E_TOO_LARGE for a policy above SPOD_POLICY_WIRE_MAX.
 */
int spod_wire_policy_set_req(struct spod_policy_set_req *v, const struct spod_frame *f)
    __attribute__((warn_unused_result, nonnull));
/* policy.admins: SPOD_E_BAD_LENGTH or SPOD_E_BAD_FIELD (threshold outside 1..count, or not 0
 * with count 0; count above the cap; a reserved byte). Key distinctness is the enclave's. */
int spod_wire_policy_admins_req(struct spod_policy_admins *v, const struct spod_frame *f)
    __attribute__((warn_unused_result, nonnull));

/* Encoders (client side). policy NULL with policy_len 0 removes; approvals NULL with n 0. */
int spod_wire_enc_policy_set(uint8_t *out, size_t cap, size_t *out_len, uint64_t rid,
                             const uint8_t key_id[SPOD_KEY_ID_BYTES], const uint8_t *approvals,
                             size_t n_approvals, const uint8_t *policy, size_t policy_len)
    __attribute__((warn_unused_result, nonnull(1, 3, 5)));
int spod_wire_enc_policy_admins(uint8_t *out, size_t cap, size_t *out_len, uint64_t rid,
                                const struct spod_policy_admins *a)
    __attribute__((warn_unused_result, nonnull));

/* Answers: writers (enclave) and validating readers (client). */
int spod_wire_put_policy(uint8_t *out, size_t cap, size_t *out_len, uint64_t rid,
                         const struct spod_policy_view *v)
    __attribute__((warn_unused_result, nonnull));
int spod_wire_policy_resp(struct spod_policy_view *v, const struct spod_frame *f)
    __attribute__((warn_unused_result, nonnull));
int spod_wire_put_policy_admins(uint8_t *out, size_t cap, size_t *out_len, uint64_t rid,
                                const struct spod_policy_admins *a)
    __attribute__((warn_unused_result, nonnull));
int spod_wire_policy_admins_resp(struct spod_policy_admins *v, const struct spod_frame *f)
    __attribute__((warn_unused_result, nonnull));

#endif
