/*
 * Secure memory for secrets: libsodium guarded allocations (mlock'ed, MADV_DONTDUMP,
 * guard pages, canary) and process-wide hardening. Everything allocated here is wiped on
 * free.
 */
#ifndef SPOD_CRYPTO_SECMEM_H
#define SPOD_CRYPTO_SECMEM_H

#include <stddef.h>

/*
 * Zero-filled secure allocation of len bytes, aligned to 16, or NULL. Free with
 * spod_secmem_free. Locking is best effort: past RLIMIT_MEMLOCK the memory is still
 * guarded and excluded from core dumps, but may be swapped.
 */
void *spod_secmem_alloc(size_t len) __attribute__((warn_unused_result, malloc));

/* Wipes and frees p (NULL allowed). */
void spod_secmem_free(void *p);

/* Wipes len bytes at p in a way the compiler cannot elide. */
void spod_secmem_wipe(void *p, size_t len);

/*
 * Marks the process non-dumpable (PR_SET_DUMPABLE 0, RLIMIT_CORE 0) so neither a core file
 * nor a same-user ptrace can read key memory. Returns SPOD_OK or SPOD_E_IO.
 */
int spod_secmem_harden_process(void) __attribute__((warn_unused_result));

#endif
