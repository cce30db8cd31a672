/*
 * The enclave's keystore: an open-addressing table of keys in one secure allocation
 * (locked, non-dumpable, wiped on delete and on destroy). Key ids are 128 random bits.
 * Not thread-safe: the enclave event loop owns it.
 */
#ifndef SPOD_ENCLAVE_KEYSTORE_H
#define SPOD_ENCLAVE_KEYSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/sign.h"
#include "spod/wire.h"

struct spod_keystore;

/* A stored key. Pointers returned by the keystore are valid until that key is deleted. */
struct spod_key_entry {
	uint8_t id[SPOD_KEY_ID_BYTES];
	uint8_t used; /* 1 live, 0 empty, 2 tombstone */
	uint8_t pub_len;
	uint8_t pub[SPOD_PUB_MAX_BYTES];
	uint8_t label_len;                /* 0: no label */
	char label[SPOD_LABEL_MAX_BYTES]; /* not NUL-terminated; A-Z a-z 0-9 . _ - */
	struct spod_secret_key sk;
};

/*
 * Creates a keystore for up to capacity keys (1..2^20). Returns SPOD_OK, SPOD_E_BAD_ARG or
 * SPOD_E_NOMEM.
 */
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
 * Adds a key from known secret material under the given id (tests, later unsealing).
 * Returns SPOD_OK, SPOD_E_BAD_FIELD (id already present), SPOD_E_KEYSTORE_FULL, or
 * spod_key_import's errors.
 */
int spod_keystore_import(struct spod_keystore *ks, const struct spod_key_entry **out,
                         const uint8_t id[SPOD_KEY_ID_BYTES], uint8_t alg, const uint8_t *secret,
                         size_t secret_len) __attribute__((warn_unused_result, nonnull));

/* Finds a key; returns the entry or NULL. O(1) expected. */
const struct spod_key_entry *spod_keystore_find(const struct spod_keystore *ks,
                                                const uint8_t id[SPOD_KEY_ID_BYTES])
    __attribute__((nonnull));

/* Wipes and removes a key. Returns SPOD_OK or SPOD_E_KEY_NOT_FOUND. */
int spod_keystore_delete(struct spod_keystore *ks, const uint8_t id[SPOD_KEY_ID_BYTES])
    __attribute__((warn_unused_result, nonnull));

uint32_t spod_keystore_count(const struct spod_keystore *ks) __attribute__((nonnull));
uint32_t spod_keystore_capacity(const struct spod_keystore *ks) __attribute__((nonnull));

/*
 * Iterates live keys in slot order starting at *cursor (0 = beginning). Returns the next
 * live entry and advances *cursor past it, or NULL when no key remains (cursor then 0).
 * Stable across deletes of other keys; keys added during an iteration may be missed.
 */
const struct spod_key_entry *spod_keystore_next(const struct spod_keystore *ks, uint32_t *cursor)
    __attribute__((nonnull));

#endif
