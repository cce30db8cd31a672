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
 * resp_cap), setting *resp_len. The real one issues NSM_IOCTL_RAW on fd; like the driver,
 * it silently truncates a response longer than resp_cap.
 * Returns SPOD_OK, SPOD_E_TOO_LARGE (the driver refused the request size) or SPOD_E_IO.
 */
typedef int (*spod_nsm_transport)(void *ctx, const uint8_t *req, size_t req_len, uint8_t *resp,
                                  size_t resp_cap, size_t *resp_len);

/*
 * Opens /dev/nsm (path) with the real ioctl transport. Returns SPOD_OK,
 * SPOD_E_UNAVAILABLE if path does not exist, SPOD_E_IO if it cannot be opened or is not a
 * character device (nothing else is ever sent an ioctl), SPOD_E_NOMEM.
 */
int spod_nsm_open_nitro(struct spod_nsm **out, const char *path)
    __attribute__((warn_unused_result, nonnull));

/* A nitro backend over a caller-supplied transport (tests); ctx is passed through. */
int spod_nsm_open_nitro_with(struct spod_nsm **out, spod_nsm_transport t, void *ctx)
    __attribute__((warn_unused_result, nonnull(1, 2)));

/*
 * Opens the simulated NSM. state_dir (created mode 0700 if missing, one level) holds the
 * development root CA: nsm-sim-root.pem and nsm-sim-root.key, created on first use with
 * mode 0600 and reused afterwards so a pinned dev root keeps verifying; a fresh
 * intermediate and leaf are issued on every open. When image_path is an Enclave Image File
 * (it starts with ".eif") PCR0/1/2 (and PCR8 when signed) are its measurement exactly as
 * spod_eif_measure / nitro-cli compute them, and a malformed EIF is refused; any other
 * file is measured as an EIF whose only section is the whole file: PCR0 = PCR1 =
 * SHA384(48 zero bytes || SHA384(file)), PCR2 = SHA384(48 zero bytes || SHA384("")).
 * PCR3..15 are zero and locked; PCR16..31 zero and unlocked. module_id is "spod-sim-" and 16 hex
 * digits. Returns SPOD_OK, SPOD_E_IO (state_dir, the CA files or image_path unusable; logged),
 * SPOD_E_CRYPTO, SPOD_E_NOMEM.
 */
int spod_nsm_open_sim(struct spod_nsm **out, const char *state_dir, const char *image_path)
    __attribute__((warn_unused_result, nonnull));

enum spod_nsm_kind spod_nsm_kind(const struct spod_nsm *n) __attribute__((nonnull));

/*
 * Requests an attestation document binding the optional user_data, nonce and public_key
 * (NULL ptr = absent, encoded as null; non-NULL with len 0 = present and empty). Writes it
 * to doc[0..cap). Returns SPOD_OK, SPOD_E_BAD_ARG (a field over the NSM limits
 * SPOD_ATTEST_*_MAX, a NULL ptr with a length, or the NSM rejected it), SPOD_E_TOO_LARGE
 * (the document does not fit cap), SPOD_E_IO, SPOD_E_CRYPTO (sim), or for nitro
 * SPOD_E_PROTOCOL / SPOD_E_TRUNCATED (the device's answer is malformed / cut short).
 * The nitro and sim backends are not thread-safe: one call at a time per handle.
 */
int spod_nsm_attest(struct spod_nsm *n, uint8_t *doc, size_t cap, size_t *doc_len,
                    struct spod_bytes user_data, struct spod_bytes nonce,
                    struct spod_bytes public_key)
    __attribute__((warn_unused_result, nonnull(1, 2, 4)));

/*
 * PCR index's value (48 bytes) and whether it is locked. Returns SPOD_OK, SPOD_E_BAD_ARG
 * (index out of range: >= 32 for sim), and for nitro the codes of spod_nsm_attest; on
 * failure out is zeroed and *locked is 0.
 */
int spod_nsm_describe_pcr(struct spod_nsm *n, uint8_t out[SPOD_ATTEST_PCR_BYTES], int *locked,
                          uint16_t index) __attribute__((warn_unused_result, nonnull));

/*
 * Fills out[0..len) with random bytes from the NSM (nitro: GetRandom, up to 256 bytes per
 * request, repeated; sim: OpenSSL's DRBG). Returns SPOD_OK or the codes of
 * spod_nsm_attest; on failure out is wiped.
 */
int spod_nsm_get_random(struct spod_nsm *n, uint8_t *out, size_t len)
    __attribute__((warn_unused_result, nonnull));

/* Closes the device or frees the simulator's keys and certificates; NULL is allowed. */
void spod_nsm_close(struct spod_nsm *n);

/*
 * The backend the enclave starts with. mode:
 *   "nitro": the real device at nitro_path, which must open (spod_nsm_open_nitro);
 *   "sim":   the simulator (spod_nsm_open_sim), refused with SPOD_E_BAD_ARG and a log line
 *            when nitro_path exists, unless allow_sim_with_device is non-zero: a host with
 *            a real NSM must not silently produce simulated documents;
 *   "auto":  nitro when nitro_path exists (and then its errors, never a fallback to sim),
 *            else sim.
 * Any other mode is SPOD_E_BAD_ARG. Otherwise returns what the chosen open returns.
 */
int spod_nsm_open_auto(struct spod_nsm **out, const char *mode, const char *nitro_path,
                       const char *state_dir, const char *image_path, int allow_sim_with_device)
    __attribute__((warn_unused_result, nonnull));

/*
 * Copies the simulator's development root certificate (PEM text, NUL-terminated) from
 * state_dir/nsm-sim-root.pem to out (for `spod attest dev-root`). Returns SPOD_OK,
 * SPOD_E_UNAVAILABLE (no dev root in state_dir yet), SPOD_E_TOO_LARGE (cap too small),
 * SPOD_E_IO (unreadable, or not exactly one certificate).
 */
int spod_nsm_sim_root_pem(char *out, size_t cap, const char *state_dir)
    __attribute__((warn_unused_result, nonnull));

#endif
