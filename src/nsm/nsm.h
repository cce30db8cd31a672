/*
 * The Nitro Secure Module seen from spod-enclave: attestation documents, PCRs and random
 * bytes, from one of two backends chosen at start-up:
 *   nitro: the real /dev/nsm, speaking AWS's NSM API (CBOR request/response through the
 *          NSM_IOCTL_RAW ioctl); the ioctl call itself sits behind a seam for tests.
 *   sim:   a software NSM for development: documents in the same format, signed by a local
 *          development CA (root -> intermediate -> leaf, P-384); module_id says "sim".
 */
#ifndef SPOD_NSM_NSM_H
#define SPOD_NSM_NSM_H

#include <stddef.h>
#include <stdint.h>

#include "attest/doc.h"

enum spod_nsm_kind { SPOD_NSM_NITRO = 1, SPOD_NSM_SIM = 2 };

struct spod_nsm;

/*
 * The ioctl seam: sends req[0..req_len) and receives the CBOR response into resp (cap
 * resp_cap), setting *resp_len. The real one issues NSM_IOCTL_RAW on fd.
 * Returns SPOD_OK or SPOD_E_IO.
 */
typedef int (*spod_nsm_transport)(void *ctx, const uint8_t *req, size_t req_len, uint8_t *resp,
                                  size_t resp_cap, size_t *resp_len);

/* Opens /dev/nsm (path) with the real ioctl transport. SPOD_E_UNAVAILABLE if it is absent. */
int spod_nsm_open_nitro(struct spod_nsm **out, const char *path)
    __attribute__((warn_unused_result, nonnull));

/* A nitro backend over a caller-supplied transport (tests). */
int spod_nsm_open_nitro_with(struct spod_nsm **out, spod_nsm_transport t, void *ctx)
    __attribute__((warn_unused_result, nonnull(1, 2)));

/*
 * Opens the simulated NSM. state_dir holds the development root CA (created on first use,
 * files mode 0600, reused afterwards so a pinned dev root keeps verifying). image_path is
 * measured into PCR0 (SHA-384 extend of the file's bytes, as for an EIF section); PCR1/2
 * likewise from image_path when no separate parts exist, other PCRs zero.
 */
int spod_nsm_open_sim(struct spod_nsm **out, const char *state_dir, const char *image_path)
    __attribute__((warn_unused_result, nonnull));

enum spod_nsm_kind spod_nsm_kind(const struct spod_nsm *n) __attribute__((nonnull));

/*
 * Requests an attestation document binding the optional user_data, nonce and public_key
 * (NULL ptr = absent). Writes it to doc[0..cap). Returns SPOD_OK, SPOD_E_BAD_ARG (a field
 * over the NSM limits), SPOD_E_TOO_LARGE, SPOD_E_IO or SPOD_E_CRYPTO.
 */
int spod_nsm_attest(struct spod_nsm *n, uint8_t *doc, size_t cap, size_t *doc_len,
                    struct spod_bytes user_data, struct spod_bytes nonce,
                    struct spod_bytes public_key)
    __attribute__((warn_unused_result, nonnull(1, 2, 4)));

/* PCR index's value (48 bytes) and whether it is locked. */
int spod_nsm_describe_pcr(struct spod_nsm *n, uint8_t out[SPOD_ATTEST_PCR_BYTES], int *locked,
                          uint16_t index) __attribute__((warn_unused_result, nonnull));

void spod_nsm_close(struct spod_nsm *n);

#endif
