/*
 * Verifying AWS Nitro Enclaves attestation documents (docs/attestation.md).
 *
 * A document is a COSE_Sign1 [protected, unprotected, payload, signature], untagged as AWS
 * writes it or with the COSE_Sign1 tag 18 as RFC 9052 allows, whose payload is a CBOR map
 * of exactly nine keys: module_id, digest, timestamp, pcrs, certificate, cabundle,
 * public_key, user_data, nonce. spod_attest_parse checks the shape
 * and returns a view; spod_attest_verify also checks the ES384 signature, the certificate
 * chain to a pinned root, and the caller's policy (PCRs, nonce, freshness, key binding).
 *
 * Views point into the caller's document buffer: they stay valid as long as that buffer
 * does and must not be freed. Nothing here allocates memory that outlives a call.
 */
#ifndef SPOD_ATTEST_H
#define SPOD_ATTEST_H

#include <stddef.h>
#include <stdint.h>

/* Whole COSE_Sign1 document, in bytes (the NSM answers at most 12 KiB). */
#define SPOD_ATTEST_DOC_MAX_BYTES (16u * 1024u)
/* PCR values spod measures and builds (SHA-384); parsing also accepts 32 and 64 bytes. */
#define SPOD_ATTEST_PCR_BYTES     48u
#define SPOD_ATTEST_PCR_MAX_BYTES 64u
/* PCR indices are 0..31. */
#define SPOD_ATTEST_MAX_PCRS 32u
/* Certificates in cabundle (real documents carry 4: root, regional, zonal, instance). */
#define SPOD_ATTEST_MAX_CABUNDLE 8u
/* Each DER certificate (leaf and cabundle entries), in bytes (AWS: 1..1024). */
#define SPOD_ATTEST_CERT_MAX_BYTES 1024u
#define SPOD_ATTEST_USER_DATA_MAX  512u
#define SPOD_ATTEST_NONCE_MAX      512u
#define SPOD_ATTEST_PUBLIC_KEY_MAX 1024u
/* ES384 signature: raw r || s, 48 bytes each, big-endian. */
#define SPOD_ATTEST_SIG_BYTES 96u
/* How far a document's timestamp may lie after the validation time, in seconds. */
#define SPOD_ATTEST_FUTURE_SKEW_SECONDS 300u
/* Key binding in user_data: "SPODKEY1" || alg || key id (16) || pub length (1) || pub. */
#define SPOD_ATTEST_BINDING_MAGIC        "SPODKEY1"
#define SPOD_ATTEST_BINDING_KEY_ID_BYTES 16u
#define SPOD_ATTEST_BINDING_HEADER_BYTES 26u

/* A byte range. For an optional CBOR field, ptr NULL means null; len 0 with a non-NULL
 * ptr means an empty byte string (real documents carry both). */
struct spod_bytes {
	const uint8_t *ptr;
	size_t len;
};

/*
 * user_data, version 2 (docs/attestation.md, "user_data"): "SPODUD02", then records, each
 * type (1) || length (2, little-endian) || value, in increasing type order, each type once:
 *   1 key binding:  alg (1) || key id (16) || public key length (1) || public key
 *   2 seal:         mode (1) || ready (1) || threshold (1) || shares (1) || present (1) ||
 *                   reserved (3, zero) || seal-key id (16)
 *   3 policy:       SHA-256 of the bound key's policy (32) || hash of the admin set that
 *                   approved it (32, all zero: none; docs/policy.md)
 * spod-enclave writes a seal record in every document, a key record when one key is bound,
 * and a policy record when that key has a policy. Version 1 ("SPODKEY1", below) carries a
 * key binding only; both verify. Readers skip record types they do not know.
 */
#define SPOD_ATTEST_UD2_MAGIC         "SPODUD02"
#define SPOD_ATTEST_UD_KEY            1u
#define SPOD_ATTEST_UD_SEAL           2u
#define SPOD_ATTEST_UD_SEAL_BYTES     24u
#define SPOD_ATTEST_UD_POLICY         3u
#define SPOD_ATTEST_UD_POLICY_BYTES   64u
#define SPOD_ATTEST_UD_EVIDENCE       4u  /* the enclave's evidence public key (docs/evidence.md) */
#define SPOD_ATTEST_UD_EVIDENCE_BYTES 32u /* Ed25519 */

/* The seal state an enclave attested (wire.h enum spod_seal_mode for mode). */
struct spod_attest_seal {
	uint8_t mode;            /* 0 unset, 1 ephemeral, 2 custodians */
	uint8_t ready;           /* the seal key is present */
	uint8_t threshold;       /* custodians: K (0 until the first share) */
	uint8_t shares;          /* custodians: N */
	uint8_t present;         /* custodians: shares received */
	uint8_t seal_key_id[16]; /* all zero while unknown */
};

/* What user_data says, read by spod_attest_user_data_parse. */
struct spod_attest_user_data {
	int version; /* 1 or 2; 0 when user_data is not spod's */
	int has_key; /* a key binding */
	uint8_t key_alg;
	const uint8_t *key_id; /* SPOD_ATTEST_BINDING_KEY_ID_BYTES, into user_data */
	struct spod_bytes key_pub;
	int has_seal;
	struct spod_attest_seal seal;
	int has_policy;               /* the bound key has a policy */
	const uint8_t *policy_hash;   /* 32 bytes, into user_data */
	const uint8_t *policy_admins; /* 32 bytes, into user_data; all zero: no admin set */
	const uint8_t *evidence_pub;  /* 32 bytes, into user_data; NULL: no evidence record */
};

/* The parsed document: every view points into the buffer given to spod_attest_parse. */
struct spod_attest_doc {
	struct spod_bytes protected_hdr; /* bstr contents, the CBOR map {1: -35} */
	struct spod_bytes payload;       /* bstr contents, the signed CBOR map */
	struct spod_bytes signature;     /* SPOD_ATTEST_SIG_BYTES, r || s */
	struct spod_bytes module_id;     /* printable ASCII, not NUL-terminated, non-empty */
	uint64_t timestamp_ms;           /* UTC milliseconds since the epoch, > 0 */
	struct spod_bytes pcrs[SPOD_ATTEST_MAX_PCRS];         /* pcrs[i].ptr NULL: PCR i absent */
	uint32_t npcrs;                                       /* PCRs present, 1..32 */
	struct spod_bytes certificate;                        /* leaf, DER */
	struct spod_bytes cabundle[SPOD_ATTEST_MAX_CABUNDLE]; /* [root, ..., issuer of leaf] */
	uint32_t ncabundle;                                   /* 1..SPOD_ATTEST_MAX_CABUNDLE */
	struct spod_bytes public_key;                         /* optional, <= 1024 bytes */
	struct spod_bytes user_data;                          /* optional, <= 512 bytes */
	struct spod_bytes nonce;                              /* optional, <= 512 bytes */
	/* NULL on success; on failure a static sentence naming the first problem found. */
	const char *error;
};

/*
 * Checks that doc[0..len) is a well-formed Nitro enclave attestation document and fills
 * *out with views into doc. Rules: 4-element array, untagged or under one tag 18 (no
 * other tag); protected = bstr holding exactly {1: -35}; unprotected = {}; payload = bstr
 * holding a map with exactly the nine keys, each once and of its type (definite or
 * indefinite-length maps and arrays; strings must be definite); signature = bstr of 96
 * bytes; no byte after the array. A NitroTPM document (key nitrotpm_pcrs) is rejected.
 * The signature is NOT checked here.
 * Returns SPOD_OK, or on failure *out zeroed except out->error and:
 *   SPOD_E_TRUNCATED   the input ends inside an item,
 *   SPOD_E_TOO_LARGE   len over SPOD_ATTEST_DOC_MAX_BYTES or a field over its limit,
 *   SPOD_E_UNKNOWN_ALG the protected header names an algorithm other than ES384,
 *   SPOD_E_BAD_LENGTH  signature not 96 bytes, PCR not 32/48/64 bytes, trailing bytes,
 *   SPOD_E_BAD_FIELD   anything else: ill-formed CBOR, a tag other than one 18, wrong
 *                      type, missing, duplicate or unknown key, bad value.
 */
int spod_attest_parse(struct spod_attest_doc *out, const uint8_t *doc, size_t len)
    __attribute__((warn_unused_result, nonnull(1)));

/* One expected PCR: value[0..len) must equal the document's PCR index. */
struct spod_attest_pcr_expect {
	uint32_t index;
	const uint8_t *value;
	size_t len;
};

/*
 * What a document must satisfy beyond its signature and chain. A zeroed policy means: the
 * embedded AWS Nitro Enclaves Root G1, validation at the current time, and no PCR, nonce,
 * freshness or key-binding requirement.
 */
struct spod_attest_policy {
	/* Pinned root, DER or PEM. ptr NULL: the embedded AWS root (fingerprint checked). */
	struct spod_bytes root;
	/* Validation time in Unix seconds; 0: the current time. */
	uint64_t at;
	/* Every listed PCR must be present, not all zero, and equal to its value. */
	const struct spod_attest_pcr_expect *pcrs;
	size_t npcrs;
	/* ptr non-NULL: the document's nonce must be present and equal. */
	struct spod_bytes nonce;
	/* Non-zero: the document may be at most this many seconds older than `at`. */
	uint64_t max_age_s;
	/* key_id non-NULL: user_data must bind exactly (key_alg, key_id, key_pub): version 1
	 * as spod_attest_key_binding encodes it, or a version 2 key record. */
	const uint8_t *key_id; /* SPOD_ATTEST_BINDING_KEY_ID_BYTES */
	uint8_t key_alg;
	struct spod_bytes key_pub;
};

/* Why a document was rejected; each check in spod_attest_verify's order. */
enum spod_attest_status {
	SPOD_ATTEST_OK = 0,
	SPOD_ATTEST_BAD_POLICY,         /* the policy itself is invalid (bad root, PCR index) */
	SPOD_ATTEST_MALFORMED,          /* spod_attest_parse failed */
	SPOD_ATTEST_BAD_LEAF,           /* leaf certificate unreadable or its key not EC P-384 */
	SPOD_ATTEST_BAD_SIGNATURE,      /* COSE ES384 signature does not verify */
	SPOD_ATTEST_BAD_CHAIN,          /* cabundle/leaf do not chain to the pinned root */
	SPOD_ATTEST_CERT_EXPIRED,       /* a certificate's notAfter is before the time */
	SPOD_ATTEST_CERT_NOT_YET_VALID, /* a certificate's notBefore is after the time */
	SPOD_ATTEST_PCR_MISSING,        /* an expected PCR is absent */
	SPOD_ATTEST_PCR_ZERO,           /* an expected PCR is all zeros (debug enclave) */
	SPOD_ATTEST_PCR_MISMATCH,       /* an expected PCR differs (value or length) */
	SPOD_ATTEST_NONCE_MISMATCH,     /* nonce absent or different */
	SPOD_ATTEST_FROM_FUTURE, /* timestamp beyond time + SPOD_ATTEST_FUTURE_SKEW_SECONDS */
	SPOD_ATTEST_STALE,       /* timestamp older than time - max_age_s */
	SPOD_ATTEST_KEY_BINDING, /* user_data is not the expected key binding */
	SPOD_ATTEST_INTERNAL     /* allocation or crypto library failure */
};

#define SPOD_ATTEST_MESSAGE_BYTES 320u

struct spod_attest_result {
	enum spod_attest_status status;
	/* One line saying what was checked or what failed; never contains key material. */
	char message[SPOD_ATTEST_MESSAGE_BYTES];
	/* The parsed fields, valid whenever status is not MALFORMED or BAD_POLICY. */
	struct spod_attest_doc doc;
	/* The validation time actually used, Unix seconds. */
	uint64_t at;
	/* spod's user_data, when the document carries it (version 0 otherwise). */
	struct spod_attest_user_data user_data;
};

/*
 * Verifies doc[0..len) against pol, checking in this order and stopping at the first
 * failure: policy values, parse, pinned root loads, leaf key, ES384 signature over
 * Sig_structure ["Signature1",
 * protected, h'', payload], chain leaf -> cabundle[n-1] -> ... -> cabundle[1] -> pinned
 * root (cabundle[0] must be byte-identical to the pinned root), validity of every
 * certificate at the validation time, expected PCRs, nonce, freshness, key binding.
 * Always fills *res (status, message, and the parsed view when parsing succeeded).
 * Returns SPOD_OK when every check passed; otherwise:
 *   SPOD_E_BAD_SIGNATURE  the document was rejected (res->status says why),
 *   the spod_attest_parse code when it is malformed (res->status MALFORMED),
 *   SPOD_E_BAD_ARG        the policy is invalid (res->status BAD_POLICY),
 *   SPOD_E_NOMEM, SPOD_E_CRYPTO or SPOD_E_INTERNAL  library failure (status INTERNAL).
 * Thread-safe: no state is kept between calls.
 */
int spod_attest_verify(struct spod_attest_result *res, const uint8_t *doc, size_t len,
                       const struct spod_attest_policy *pol)
    __attribute__((warn_unused_result, nonnull(1, 4)));

/* Stable identifier of a status, e.g. "CERT_EXPIRED"; "UNKNOWN" outside the enum. */
const char *spod_attest_status_name(enum spod_attest_status status);

/*
 * spod's key binding, carried in user_data:
 *   "SPODKEY1" (8) || alg (1) || key id (16) || public key length (1) || public key
 * Writes it to out[0..cap) and returns SPOD_OK with *out_len, or SPOD_E_TOO_LARGE (cap
 * too small, or pub_len over 255).
 */
int spod_attest_key_binding(uint8_t *out, size_t cap, size_t *out_len, uint8_t alg,
                            const uint8_t key_id[SPOD_ATTEST_BINDING_KEY_ID_BYTES],
                            const uint8_t *pub, size_t pub_len)
    __attribute__((warn_unused_result, nonnull));

/*
 * user_data version 2: a seal record (seal non-NULL) and a key binding (key_id non-NULL),
 * into out[0..cap). Returns SPOD_OK with *out_len, SPOD_E_BAD_ARG (neither record, pub_len
 * over 255) or SPOD_E_TOO_LARGE (cap short).
 */
int spod_attest_user_data_encode(uint8_t *out, size_t cap, size_t *out_len,
                                 const struct spod_attest_seal *seal, uint8_t alg,
                                 const uint8_t *key_id, const uint8_t *pub, size_t pub_len)
    __attribute__((warn_unused_result, nonnull(1, 3)));

/*
 * Appends a policy record (policy_hash, admin_hash: 32 bytes each) to version 2 user_data
 * out[0..*out_len) that spod_attest_user_data_encode wrote. Returns SPOD_OK with *out_len
 * grown, SPOD_E_BAD_ARG (not version 2 user_data) or SPOD_E_TOO_LARGE (cap short).
 */
int spod_attest_user_data_add_policy(uint8_t *out, size_t cap, size_t *out_len,
                                     const uint8_t policy_hash[32], const uint8_t admin_hash[32])
    __attribute__((warn_unused_result, nonnull));

/*
 * Appends the evidence record (the enclave's Ed25519 evidence public key, 32 bytes) to version 2
 * user_data out[0..*out_len), after any policy record (records go in type order). Returns as
 * spod_attest_user_data_add_policy.
 */
int spod_attest_user_data_add_evidence(uint8_t *out, size_t cap, size_t *out_len,
                                       const uint8_t pub[SPOD_ATTEST_UD_EVIDENCE_BYTES])
    __attribute__((warn_unused_result, nonnull));

/*
 * Reads spod's user_data (version 1 or 2). *out->version is 0 and SPOD_OK is returned for
 * user_data that is not spod's (another magic, or none); SPOD_E_BAD_FIELD for spod's magic
 * with a malformed body (records out of order or repeated, a length that does not fit, a
 * seal, policy or evidence record of the wrong size, non-zero reserved bytes). Views point into ud.
 */
int spod_attest_user_data_parse(struct spod_attest_user_data *out, const uint8_t *ud, size_t len)
    __attribute__((warn_unused_result, nonnull(1)));

#endif
