/*
 * The simulated NSM's development PKI: a P-384 root kept in the state directory, and the
 * intermediates and leaves it issues (all signed ecdsa-with-SHA384, as AWS's chain).
 * These keys are development-only and not secrets in spod's sense, but they are never
 * logged either.
 */
#ifndef SPOD_NSM_SIM_CA_H
#define SPOD_NSM_SIM_CA_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#define SPOD_NSM_SIM_ROOT_CERT_FILE  "nsm-sim-root.pem"
#define SPOD_NSM_SIM_ROOT_KEY_FILE   "nsm-sim-root.key"
#define SPOD_NSM_SIM_ROOT_CN         "spod DEVELOPMENT NSM root \xe2\x80\x94 not AWS"
#define SPOD_NSM_SIM_ROOT_LIFETIME_S (3652 * 86400LL)

/* A certificate with its key and DER encoding; all fields NULL/0 when empty. */
struct spod_nsm_sim_cert {
	EVP_PKEY *key;
	X509 *cert;
	uint8_t *der; /* OPENSSL_malloc'ed */
	size_t der_len;
	int64_t not_after; /* Unix seconds */
};

/*
 * Loads the root from state_dir (which must exist), or creates it there when the
 * certificate is missing or expired at now (Unix seconds). Concurrent callers are
 * serialised with flock on the directory. Returns SPOD_OK, SPOD_E_IO (unreadable or
 * inconsistent files; logged) or SPOD_E_CRYPTO.
 */
int spod_nsm_sim_root_load(struct spod_nsm_sim_cert *root, const char *state_dir, int64_t now)
    __attribute__((warn_unused_result, nonnull));

/*
 * Issues a certificate for a fresh P-384 key under issuer: a CA with pathLen 0 when ca is
 * non-zero, else an end-entity (digitalSignature only), valid from now for lifetime_s
 * seconds but never past the issuer's notAfter. Returns SPOD_OK or SPOD_E_CRYPTO.
 */
int spod_nsm_sim_issue(struct spod_nsm_sim_cert *out, const struct spod_nsm_sim_cert *issuer,
                       const char *cn, int ca, int64_t now, int64_t lifetime_s)
    __attribute__((warn_unused_result, nonnull));

/* Frees everything in c and leaves it empty. */
void spod_nsm_sim_cert_free(struct spod_nsm_sim_cert *c) __attribute__((nonnull));

#endif
