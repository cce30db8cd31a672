/*
 * Building AWS-Nitro-format attestation documents (used by the simulated NSM).
 *
 * The document is an untagged COSE_Sign1 array [protected, unprotected, payload, signature]
 * with protected = bstr(CBOR {1: -35}) (ES384), unprotected = {}, payload = bstr(CBOR map
 * with the nine keys module_id, digest, timestamp, pcrs, certificate, cabundle, public_key,
 * user_data, nonce in that order; absent optional values encoded as CBOR null), and
 * signature = raw r||s (96 bytes) over Sig_structure ["Signature1", protected, h'', payload].
 * This is byte-for-byte the shape AWS Nitro Enclaves produce (docs/research/nitro.md).
 */
#ifndef SPOD_ATTEST_DOC_H
#define SPOD_ATTEST_DOC_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

/* The limits (SPOD_ATTEST_*), struct spod_bytes and spod_attest_key_binding are public. */
#include "spod/attest.h"

struct spod_attest_doc_in {
	const char *module_id; /* e.g. "i-...-enc..." on Nitro; "spod-sim-..." when simulated */
	uint64_t timestamp_ms; /* UTC milliseconds since the epoch */
	const uint8_t (*pcrs)[SPOD_ATTEST_PCR_BYTES]; /* pcrs[i] is PCR i */
	uint32_t npcrs;                               /* 1..SPOD_ATTEST_MAX_PCRS */
	struct spod_bytes certificate;                /* leaf, DER */
	const struct spod_bytes *cabundle;            /* root first, then intermediates, DER */
	uint32_t ncabundle;                           /* 1..SPOD_ATTEST_MAX_CABUNDLE */
	struct spod_bytes public_key;                 /* ptr NULL: encoded as null */
	struct spod_bytes user_data;                  /* ptr NULL: encoded as null */
	struct spod_bytes nonce;                      /* ptr NULL: encoded as null */
};

/*
 * Encodes the payload, signs it with leaf_key (a P-384 private key whose certificate is
 * in->certificate) and writes the COSE_Sign1 document to out[0..cap).
 * Returns SPOD_OK with *out_len set, SPOD_E_BAD_ARG (a field over its limit, no PCRs,
 * module_id empty or not printable ASCII, leaf_key not P-384...), SPOD_E_TOO_LARGE (cap
 * too small), SPOD_E_NOMEM or SPOD_E_CRYPTO. The key is not checked against the
 * certificate: a mismatch yields a document whose signature does not verify.
 */
int spod_attest_doc_sign(uint8_t *out, size_t cap, size_t *out_len,
                         const struct spod_attest_doc_in *in, EVP_PKEY *leaf_key)
    __attribute__((warn_unused_result, nonnull(1, 3, 4, 5)));

#endif
