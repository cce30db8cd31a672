/*
 * The enclave's keystore: keys in secure memory (locked, non-dumpable, wiped on delete and on
 * destroy) that grows as keys arrive, up to a capacity set at creation (a custody deployment
 * may hold 100 000 keys), with an index from key id (128 random bits) to key.
 * Not thread-safe: the enclave event loop owns it and makes every call. Worker threads
 * (enclave/workers.h) only read the entries the loop pinned for them: a pinned entry keeps
 * its key, id and public key unchanged, even when deleted, until the loop unpins it.
 */
#ifndef SPOD_ENCLAVE_KEYSTORE_H
#define SPOD_ENCLAVE_KEYSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/sign.h"
#include "enclave/key_policy.h"
#include "spod/wire.h"

struct spod_keystore;

/* A stored key. Pointers returned by the keystore are valid until that key is deleted. */
struct spod_key_entry {
	uint8_t id[SPOD_KEY_ID_BYTES];
	uint8_t used; /* 1 live, 0 free, 2 claimed (being filled), 3 deleted while pinned */
	uint8_t pub_len;
	uint8_t pub[SPOD_PUB_MAX_BYTES];
	uint8_t label_len;                /* 0: no label */
	char label[SPOD_LABEL_MAX_BYTES]; /* not NUL-terminated; A-Z a-z 0-9 . _ - */
	struct spod_secret_key sk;
	struct spod_key_policy *policy; /* NULL: none; owned, freed with the key */
	uint32_t pins; /* spod_keystore_pin holds on it (requests on worker threads) */
};

/*
 * Creates a keystore for up to capacity keys (1..SPOD_KEYSTORE_MAX_KEYS). Memory is taken as
 * keys arrive, in blocks of SPOD_KEYSTORE_BLOCK_KEYS. Returns SPOD_OK, SPOD_E_BAD_ARG or
 * SPOD_E_NOMEM.
 */
#define SPOD_KEYSTORE_MAX_KEYS   (1u << 20)
#define SPOD_KEYSTORE_BLOCK_KEYS 1024u
int spod_keystore_new(struct spod_keystore **out, uint32_t capacity)
    __attribute__((warn_unused_result, nonnull));

/* Wipes every key and frees the store (NULL allowed). */
void spod_keystore_free(struct spod_keystore *ks);

/*
 * Generates a key of alg with a fresh random id, kept with label[0..label_len) (label NULL or
 * label_len 0: none). The keystore does not make labels unique: spod-host does. *out points
 * at the stored entry. Returns SPOD_OK, SPOD_E_UNKNOWN_ALG, SPOD_E_BAD_FIELD (label longer
 * than SPOD_LABEL_MAX_BYTES or outside its charset), SPOD_E_KEYSTORE_FULL or SPOD_E_CRYPTO.
 */
int spod_keystore_generate(struct spod_keystore *ks, const struct spod_key_entry **out, uint8_t alg,
                           const char *label, size_t label_len)
    __attribute__((warn_unused_result, nonnull(1, 2)));

/*
 * Adds a key from known secret material under the given id (tests).
 * Returns SPOD_OK, SPOD_E_BAD_FIELD (id already present), SPOD_E_KEYSTORE_FULL, SPOD_E_NOMEM,
 * or spod_key_import's errors.
 */
int spod_keystore_import(struct spod_keystore *ks, const struct spod_key_entry **out,
                         const uint8_t id[SPOD_KEY_ID_BYTES], uint8_t alg, const uint8_t *secret,
                         size_t secret_len) __attribute__((warn_unused_result, nonnull));

/*
 * Adding a key whose secret is made in place (unsealing decrypts straight into e->sk):
 * claim an entry for id, fill e->sk, e->pub, e->pub_len and the label, then commit it, or
 * abandon it (wiped) if the key cannot be made. Nothing else may touch the keystore between
 * the two. claim returns SPOD_OK, SPOD_E_BAD_FIELD (id already present),
 * SPOD_E_KEYSTORE_FULL or SPOD_E_NOMEM.
 */
int spod_keystore_claim(struct spod_keystore *ks, struct spod_key_entry **e,
                        const uint8_t id[SPOD_KEY_ID_BYTES])
    __attribute__((warn_unused_result, nonnull));
void spod_keystore_commit(struct spod_keystore *ks, struct spod_key_entry *e)
    __attribute__((nonnull));
void spod_keystore_abandon(struct spod_keystore *ks, struct spod_key_entry *e)
    __attribute__((nonnull));

/*
 * Attaches kp to the key (the entry owns it from now on), freeing the policy it had; kp NULL
 * removes the policy.
 */
void spod_keystore_set_policy(struct spod_keystore *ks, const struct spod_key_entry *e,
                              struct spod_key_policy *kp) __attribute__((nonnull(1, 2)));

/* Finds a key; returns the entry or NULL. O(1) expected. */
const struct spod_key_entry *spod_keystore_find(const struct spod_keystore *ks,
                                                const uint8_t id[SPOD_KEY_ID_BYTES])
    __attribute__((nonnull));

/*
 * Removes a key: it cannot be found from now on, and is wiped at once, or, when it is pinned,
 * when the last pin goes. Returns SPOD_OK or SPOD_E_KEY_NOT_FOUND.
 */
int spod_keystore_delete(struct spod_keystore *ks, const uint8_t id[SPOD_KEY_ID_BYTES])
    __attribute__((warn_unused_result, nonnull));

/*
 * Finds a key and pins it: until the matching spod_keystore_unpin its entry is neither wiped
 * nor reused, even if the key is deleted meanwhile, so another thread may sign with it.
 * Returns the entry or NULL (no such key).
 */
const struct spod_key_entry *spod_keystore_pin(struct spod_keystore *ks,
                                               const uint8_t id[SPOD_KEY_ID_BYTES])
    __attribute__((warn_unused_result, nonnull));
/* Drops one pin of e; a deleted key's last pin wipes it. Aborts on an unpinned entry. */
void spod_keystore_unpin(struct spod_keystore *ks, const struct spod_key_entry *e)
    __attribute__((nonnull));
/* Deleted keys still waiting for their last pin (tests). */
uint32_t spod_keystore_dying(const struct spod_keystore *ks) __attribute__((nonnull));

uint32_t spod_keystore_count(const struct spod_keystore *ks) __attribute__((nonnull));
uint32_t spod_keystore_capacity(const struct spod_keystore *ks) __attribute__((nonnull));

/*
 * Iterates live keys in entry order starting at *cursor (0 = beginning). Returns the next
 * live entry and advances *cursor past it, or NULL when no key remains (cursor then 0).
 * Stable across deletes of other keys; keys added during an iteration may be missed.
 */
const struct spod_key_entry *spod_keystore_next(const struct spod_keystore *ks, uint32_t *cursor)
    __attribute__((nonnull));

#endif
