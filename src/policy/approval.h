/*
 * Policy-admin approvals (docs/policy.md, "Who may change a policy"). A policy-admin set is K
 * of M Ed25519 public keys. An approval is one admin's Ed25519 signature over
 *
 *   "spod policy approval v1" 0x00   (24 bytes, SPOD_APPROVAL_DOMAIN with its NUL)
 *   key id                           (16 bytes)
 *   SHA-256 of the policy's CBOR     (32 bytes; of the empty string to remove the policy)
 *
 * so an approval is for one policy on one key and is worthless for any other. On the wire and
 * in approval files an approval is the admin's public key (32 bytes) then the signature (64).
 * The same code checks approvals in the enclave and makes them in `spod policy approve`.
 */
#ifndef SPOD_POLICY_APPROVAL_H
#define SPOD_POLICY_APPROVAL_H

#include <stddef.h>
#include <stdint.h>

#include "spod/wire.h"

#define SPOD_APPROVAL_DOMAIN    "spod policy approval v1"
#define SPOD_APPROVAL_MSG_BYTES (24u + SPOD_KEY_ID_BYTES + 32u)
#define SPOD_ADMINS_DOMAIN      "spod policy admins v1"

/* The message an approval signs, for key_id and the SHA-256 of the policy's CBOR. */
void spod_approval_msg(uint8_t out[SPOD_APPROVAL_MSG_BYTES],
                       const uint8_t key_id[SPOD_KEY_ID_BYTES], const uint8_t policy_hash[32])
    __attribute__((nonnull));

/*
 * The identity of an admin set: SHA-256("spod policy admins v1" 0x00 || K || M || the M keys
 * in the order given). Key blobs and policy.get name the set by it.
 */
void spod_admins_hash(uint8_t out[32], uint8_t threshold, uint8_t count, const uint8_t *keys)
    __attribute__((nonnull(1)));

/*
 * Checks a set (from policy.admins): 1 <= K <= M <= SPOD_POLICY_ADMINS_MAX, every key a valid
 * Ed25519 point and no key twice. Returns SPOD_OK or SPOD_E_BAD_FIELD with *why.
 */
int spod_admins_check(uint8_t threshold, uint8_t count, const uint8_t *keys, const char **why)
    __attribute__((warn_unused_result, nonnull(4)));

/*
 * Counts the approvals[0..n) (SPOD_APPROVAL_BYTES each) that are signatures of distinct
 * members of the set keys[0..count) over spod_approval_msg(key_id, policy_hash); an approval
 * by a key outside the set, a bad signature or a second approval by one admin does not count.
 * Returns SPOD_OK when at least threshold count, else SPOD_E_NOT_APPROVED with *why (static
 * text naming the shortfall).
 */
int spod_approvals_check(uint8_t threshold, uint8_t count, const uint8_t *keys,
                         const uint8_t key_id[SPOD_KEY_ID_BYTES], const uint8_t policy_hash[32],
                         const uint8_t *approvals, size_t n, const char **why)
    __attribute__((warn_unused_result, nonnull(3, 4, 5, 8)));

#endif
