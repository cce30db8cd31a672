/*
 * spod error convention.
 *
 * Every function that can fail returns int: SPOD_OK (0) on success or a negative
 * SPOD_E_* code, with outputs through pointers. One table (src/common/err.c) maps each
 * code to a stable name, a human message, the wire status carried in response frames
 * (always -code, so the two never drift), the spod CLI exit code and the HTTP status of
 * spod-host's HTTP API.
 */
#ifndef SPOD_ERR_H
#define SPOD_ERR_H

#include <stdint.h>

enum spod_err {
	SPOD_OK = 0,
	SPOD_E_INTERNAL = -1,         /* impossible state inside spod */
	SPOD_E_NOMEM = -2,            /* allocation or locked memory exhausted */
	SPOD_E_TRUNCATED = -3,        /* frame or field shorter than its declared length */
	SPOD_E_TOO_LARGE = -4,        /* frame or field larger than its protocol cap */
	SPOD_E_BAD_MAGIC = -5,        /* frame does not start with "SPOD" */
	SPOD_E_BAD_VERSION = -6,      /* wire version not supported */
	SPOD_E_UNKNOWN_OP = -7,       /* opcode not defined in this version */
	SPOD_E_BAD_LENGTH = -8,       /* body length wrong for the opcode */
	SPOD_E_BAD_REF = -9,          /* (offset, length) reference outside the body */
	SPOD_E_BAD_FIELD = -10,       /* reserved field or flag not zero, bad count */
	SPOD_E_UNKNOWN_ALG = -11,     /* algorithm id not supported */
	SPOD_E_BAD_MODE = -12,        /* sign mode not valid for the key's algorithm */
	SPOD_E_BAD_DIGEST = -13,      /* digest is not exactly 32 bytes */
	SPOD_E_KEY_NOT_FOUND = -14,   /* no key with that id */
	SPOD_E_KEYSTORE_FULL = -15,   /* keystore at capacity */
	SPOD_E_CRYPTO = -16,          /* crypto library failure */
	SPOD_E_BAD_SIGNATURE = -17,   /* signature did not verify */
	SPOD_E_IO = -18,              /* socket or file error */
	SPOD_E_CLOSED = -19,          /* peer closed the connection */
	SPOD_E_AGAIN = -20,           /* need more bytes / would block (not an error on the wire) */
	SPOD_E_BAD_URI = -21,         /* transport URI malformed or unsupported */
	SPOD_E_UNAVAILABLE = -22,     /* enclave (or host) not reachable */
	SPOD_E_BAD_ARG = -23,         /* caller argument invalid (CLI/API usage) */
	SPOD_E_BAD_HEX = -24,         /* text is not valid hex of the expected length */
	SPOD_E_BUSY = -25,            /* too many requests in flight */
	SPOD_E_TIMEOUT = -26,         /* no answer within the deadline */
	SPOD_E_PROTOCOL = -27,        /* peer answered something that does not match */
	SPOD_E_BAD_KEY = -28,         /* public key or key material malformed */
	SPOD_E_UNAUTHENTICATED = -29, /* no, malformed, unknown, expired or revoked token */
	SPOD_E_FORBIDDEN = -30,       /* token valid, request outside its scopes */
	SPOD_E_RATE_LIMITED = -31,    /* token over its request rate */
	SPOD_E_LABEL_TAKEN = -32,     /* key label already used by a live key */
	SPOD_E_NOT_PROVISIONED = -33, /* custodian mode: the seal key is not rebuilt yet */
	SPOD_E_BAD_BLOB = -34,        /* sealed key blob truncated, tampered or for another key */
	SPOD_E_WRONG_SEAL_KEY = -35,  /* sealed blob or share belongs to another seal key */
	SPOD_E_BAD_SHARE = -36,       /* custodian share refused (wrong, duplicate, inconsistent) */
	SPOD_E_REPLAYED = -37,      /* provisioning message replayed, or for another attestation */
	SPOD_E_MODE_CONFLICT = -38, /* the enclave's seal mode differs from the one asked for */
	SPOD_E_POLICY_DENIED = -39, /* the key's policy refuses this transaction or message */
	SPOD_E_NOT_APPROVED = -40,  /* a policy change without the approvals its admin set needs */
	SPOD_E__MIN = -41           /* one past the last code; keep last */
};

/* Stable identifier such as "KEY_NOT_FOUND"; "UNKNOWN" for codes outside the table. */
const char *spod_err_name(int err);

/* One-line human message for err; never NULL, never contains secrets. */
const char *spod_strerror(int err);

/* Wire status for err: 0 for SPOD_OK, otherwise -err. */
uint16_t spod_err_to_status(int err);

/* Inverse of spod_err_to_status; unknown statuses map to SPOD_E_PROTOCOL. */
int spod_err_from_status(uint16_t status);

/* Exit code of the spod CLI for err (table in docs/cli.md); 1 for codes outside the table. */
int spod_err_exit_code(int err);

/*
 * HTTP status spod-host's HTTP API answers a failure err with (docs/openapi.yaml): 200 for
 * SPOD_OK, 500 for codes outside the table.
 */
unsigned spod_err_http_status(int err);

/* Evaluate expr; if it returns a negative code, return it from the current function. */
#define SPOD_TRY(expr)                                                                             \
	do {                                                                                       \
		int spod_try_rc_ = (expr);                                                         \
		if (spod_try_rc_ < 0)                                                              \
			return spod_try_rc_;                                                       \
	} while (0)

/* Evaluate expr; if negative, store it in rc and jump to the function's out: label. */
#define SPOD_GUARD(rc, expr)                                                                       \
	do {                                                                                       \
		(rc) = (expr);                                                                     \
		if ((rc) < 0)                                                                      \
			goto out;                                                                  \
	} while (0)

#endif
