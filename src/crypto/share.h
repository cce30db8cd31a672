/*
 * Custodian shares as the enclave receives them: the share payload (the plaintext a
 * custodian's `spod custodian provision` sends inside its encrypted envelope), its encoder
 * and validate-once parser, and the collector that gathers k of them and rebuilds the seal
 * key. Pure logic, no I/O (docs/keys.md).
 *
 * Share payload, version 1 (all fields single bytes or byte strings; nothing is wider than a
 * byte, so there is no byte order to choose):
 *
 *   offset  size    field
 *   0       1       version = 1
 *   1       1       k, the threshold: 1..n
 *   2       1       n, the number of shares of the set: 1..SPOD_SHARES_MAX (32)
 *   3       1       index, this share's x-coordinate: 1..n
 *   4       16      seal_key_id (spod_seal_key_id of the seal key the set rebuilds)
 *   20      32      share (secret)
 *   52      32 n    commitments: n SHA-256 digests, commitment i (1-based) at 52 + 32 (i - 1),
 *                   each spod_share_commitment(seal_key_id, i, k, n, share i)
 *
 * A payload is exactly 52 + 32 n bytes, and the share's own commitment must be
 * commitments[index - 1]. Every share of a set carries the same commitment list, which names
 * all n shares: the collector takes the list of the first share it accepts as the set's,
 * and later refuses a share that does not fit it, naming the share.
 */
#ifndef SPOD_CRYPTO_SHARE_H
#define SPOD_CRYPTO_SHARE_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/shamir.h"
#include "spod/err.h"

#define SPOD_SHARE_PAYLOAD_VERSION    1u
#define SPOD_SHARE_PAYLOAD_HEAD_BYTES 52u /* everything before the commitments */
#define SPOD_SHARE_PAYLOAD_BYTES(n)                                                                \
	(SPOD_SHARE_PAYLOAD_HEAD_BYTES + (size_t)(n)*SPOD_SHARE_COMMIT_BYTES)
#define SPOD_SHARE_PAYLOAD_MAX_BYTES SPOD_SHARE_PAYLOAD_BYTES(SPOD_SHARES_MAX) /* 1076 */

/*
 * A share payload, validated: pointers into the buffer spod_share_parse was given, valid
 * while that buffer is alive and unchanged; the view owns nothing and needs no freeing. The
 * buffer holds the share in clear: it should be locked memory that the caller wipes once the
 * share is stored (spod_share_set_add copies it).
 */
struct spod_share_view {
	uint8_t k;                  /* 1..n */
	uint8_t n;                  /* 1..SPOD_SHARES_MAX */
	uint8_t index;              /* 1..n */
	const uint8_t *seal_key_id; /* SPOD_SEAL_KEY_ID_BYTES */
	const uint8_t *share;       /* SPOD_SHARE_BYTES, secret */
	const uint8_t *commitments; /* n * SPOD_SHARE_COMMIT_BYTES */
};

/*
 * Validates the payload buf[0..len) and sets *v to a view into it.
 * Returns SPOD_OK, or SPOD_E_BAD_SHARE with *v zero-filled and *why a static one-line message:
 * empty, version other than 1, truncated or with trailing bytes (length not 52 + 32 n),
 * n outside 1..32, k outside 1..n, index outside 1..n, or a share that does not match its
 * commitment ("share 3 does not match its commitment"). On success *why is NULL.
 */
int spod_share_parse(struct spod_share_view *v, const uint8_t *buf, size_t len, const char **why)
    __attribute__((warn_unused_result, nonnull(1, 4)));

/*
 * Writes the payload of v (its fields need not come from spod_share_parse: they are checked as
 * the parser checks them) to out[0..cap) and its length, 52 + 32 n, to *len.
 * Returns SPOD_OK; SPOD_E_BAD_ARG (k, n or index out of range), SPOD_E_BAD_SHARE (the share
 * does not match commitments[index - 1]) or SPOD_E_TOO_LARGE (cap too small), with *len 0
 * and out untouched.
 */
int spod_share_encode(uint8_t *out, size_t cap, size_t *len, const struct spod_share_view *v)
    __attribute__((warn_unused_result, nonnull));

/* How far a set has come: present of the threshold k are held (k is 0 before the first). */
struct spod_share_progress {
	unsigned present;
	unsigned threshold;
	unsigned needed; /* threshold - present, or 0 once enough are held */
};

/*
 * The enclave's collector of shares for one seal key. It holds the shares in clear: one create
 * (spod_share_set_init), one destroy (spod_share_set_free). The struct itself holds only
 * public data (the set's parameters and commitment list); the shares live in a locked
 * allocation it owns. Not thread-safe: one owner.
 */
struct spod_share_set {
	uint8_t k;        /* the set's threshold; 0 until the first share is accepted */
	uint8_t n;        /* the set's share count; 0 until the first share */
	uint8_t id_fixed; /* seal_key_id was given to spod_share_set_init */
	uint8_t have_id;  /* seal_key_id is known (fixed, or from the first share) */
	uint8_t seal_key_id[SPOD_SEAL_KEY_ID_BYTES];
	uint32_t present; /* bit i - 1 set when share i is held */
	uint8_t commitments[SPOD_SHARES_MAX * SPOD_SHARE_COMMIT_BYTES]; /* the first share's list */
	uint8_t *shares; /* SPOD_SHARES_MAX * SPOD_SHARE_BYTES, locked; share i at 32 (i - 1) */
};

/*
 * Makes an empty set. seal_key_id, when not NULL, is the id the shares must rebuild (e.g. one
 * the enclave was configured with); when NULL, the first accepted share names it.
 * Returns SPOD_OK or SPOD_E_NOMEM (*set then zero-filled; spod_share_set_free is harmless).
 */
int spod_share_set_init(struct spod_share_set *set, const uint8_t *seal_key_id)
    __attribute__((warn_unused_result, nonnull(1)));

/*
 * Stores a copy of the share share names, which must be a view from spod_share_parse (its
 * commitment is not checked again). The checks, in order:
 *   SPOD_E_WRONG_SEAL_KEY  its seal key id is not the set's ("the share is for another seal
 *                          key")
 *   SPOD_E_BAD_SHARE       its k, n or commitment list differ from the set's ("share 2 belongs
 *                          to another set of shares or its commitments were altered"), or its
 *                          index is held already ("share 3 is here already")
 * Returns SPOD_OK (stored) or one of those with the set unchanged. Either way *progress says
 * how many shares are held and how many more are needed, and on success *why is NULL.
 * A share beyond the threshold is accepted too; spod_share_set_rebuild uses k of them.
 */
int spod_share_set_add(struct spod_share_set *set, struct spod_share_progress *progress,
                       const struct spod_share_view *share, const char **why)
    __attribute__((warn_unused_result, nonnull));

/*
 * Once k shares are held: rebuilds the seal key from k of them (the lowest indexes) into
 * seal_key (the caller's locked memory) and checks that spod_seal_key_id of it is the set's
 * id. Then, whatever the outcome, wipes every share and empties the set (as after init, with
 * the same fixed id if one was given): a set rebuilds once.
 * Returns SPOD_OK; SPOD_E_NOT_PROVISIONED with the set unchanged when fewer than k shares are
 * held ("fewer shares than the threshold are here"); SPOD_E_BAD_SHARE when the shares rebuild
 * another key ("the shares rebuild a different seal key": each share matched the set's
 * commitments, so the set as a whole is not one the seal key was split into); SPOD_E_NOMEM
 * or SPOD_E_CRYPTO. seal_key is zero-filled on every failure, *why a static message (NULL on
 * success).
 */
int spod_share_set_rebuild(struct spod_share_set *set, uint8_t seal_key[static SPOD_SEAL_KEY_BYTES],
                           const char **why) __attribute__((warn_unused_result, nonnull));

/*
 * Fixes the id the shares must rebuild after the set was made (as spod_share_set_init with
 * seal_key_id). Shares already held of another id are wiped and the set emptied; *dropped says
 * how many. A set with a fixed id keeps it (SPOD_E_WRONG_SEAL_KEY, nothing changes, when
 * seal_key_id differs). Returns SPOD_OK or SPOD_E_WRONG_SEAL_KEY.
 */
int spod_share_set_expect(struct spod_share_set *set,
                          const uint8_t seal_key_id[static SPOD_SEAL_KEY_ID_BYTES],
                          unsigned *dropped) __attribute__((warn_unused_result, nonnull));

/* Wipes and frees the shares and zero-fills *set. Safe on a zero-filled set. */
void spod_share_set_free(struct spod_share_set *set) __attribute__((nonnull));

#endif
