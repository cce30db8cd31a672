/* The one table behind the spod error convention (see include/spod/err.h). */
#include "spod/err.h"

#include <stddef.h>

struct err_entry {
	const char *name;
	const char *msg;
	int exit_code;
	unsigned http_status;
};

/*
 * CLI exit codes (docs/cli.md): 0 ok, 1 internal, 2 usage, 3 unavailable/io,
 * 4 not found, 5 request rejected, 6 signature invalid, 7 not authorized.
 * HTTP statuses (docs/openapi.yaml): 400 for what describes the request's input, 401/403/429
 * for the token (403 also for a key's policy refusing the request), 404 no such key, 409 a conflict
 * with the pod's state (a label in use, another seal key or mode, a replay), 413 too large, 422 a
 * sealed key refused, 502 a peer that answered nonsense, 503/504 the pod out of reach, 507 keystore
 * full, 500 for the rest (including the frame faults only a bug in spod-host's HTTP layer could
 * cause).
 */
static const struct err_entry err_table[] = {
    [0] = {"OK", "success", 0, 200},
    [1] = {"INTERNAL", "internal error", 1, 500},
    [2] = {"NOMEM", "out of memory", 1, 500},
    [3] = {"TRUNCATED", "frame or field truncated", 5, 400},
    [4] = {"TOO_LARGE", "frame or field exceeds its maximum size", 5, 413},
    [5] = {"BAD_MAGIC", "frame does not start with the SPOD magic", 5, 500},
    [6] = {"BAD_VERSION", "unsupported wire protocol version", 5, 500},
    [7] = {"UNKNOWN_OP", "unknown opcode", 5, 500},
    [8] = {"BAD_LENGTH", "body length does not match the opcode's layout", 5, 400},
    [9] = {"BAD_REF", "offset/length reference points outside the frame body", 5, 400},
    [10] = {"BAD_FIELD", "reserved field, flag or count is invalid", 5, 400},
    [11] = {"UNKNOWN_ALG", "unknown or unsupported algorithm", 5, 400},
    [12] = {"BAD_MODE", "sign mode is not valid for this key's algorithm", 5, 400},
    [13] = {"BAD_DIGEST", "digest must be exactly 32 bytes", 5, 400},
    [14] = {"KEY_NOT_FOUND", "no key with this id", 4, 404},
    [15] = {"KEYSTORE_FULL", "keystore is full", 5, 507},
    [16] = {"CRYPTO", "cryptographic operation failed", 1, 500},
    [17] = {"BAD_SIGNATURE", "signature does not verify", 6, 400},
    [18] = {"IO", "input/output error", 3, 503},
    [19] = {"CLOSED", "connection closed by peer", 3, 503},
    [20] = {"AGAIN", "operation would block", 1, 503},
    [21] = {"BAD_URI", "malformed or unsupported transport URI", 2, 500},
    [22] = {"UNAVAILABLE", "enclave unavailable", 3, 503},
    [23] = {"BAD_ARG", "invalid argument", 2, 400},
    [24] = {"BAD_HEX", "invalid hex string", 2, 400},
    [25] = {"BUSY", "too many requests in flight", 3, 503},
    [26] = {"TIMEOUT", "timed out waiting for a response", 3, 504},
    [27] = {"PROTOCOL", "protocol violation by peer", 1, 502},
    [28] = {"BAD_KEY", "malformed or out-of-range key", 2, 400},
    [29] = {"UNAUTHENTICATED", "missing, unknown, expired or revoked token", 7, 401},
    [30] = {"FORBIDDEN", "the token's scopes do not allow this request", 7, 403},
    [31] = {"RATE_LIMITED", "the token's request rate is exceeded", 3, 429},
    [32] = {"LABEL_TAKEN", "label already used by a live key", 5, 409},
    [33] = {"NOT_PROVISIONED", "the pod is waiting for its custodians' shares (seal key missing)",
            3, 503},
    [34] = {"BAD_BLOB", "sealed key refused: truncated, tampered or not this key's", 5, 422},
    [35] = {"WRONG_SEAL_KEY", "sealed under another seal key", 5, 409},
    [36] = {"BAD_SHARE", "custodian share refused", 5, 400},
    [37] = {"REPLAYED", "provisioning message replayed or not for this enclave's attestation", 5,
            409},
    [38] = {"MODE_CONFLICT", "the enclave's seal mode differs from the one asked for", 5, 409},
    [39] = {"POLICY_DENIED", "refused by the key's policy", 5, 403},
    [40] = {"NOT_APPROVED", "the policy change lacks the approvals of the key's policy admins", 5,
            403},
};

_Static_assert(sizeof(err_table) / sizeof(err_table[0]) == (size_t)-SPOD_E__MIN,
               "err_table must have one entry per spod_err code");

static const struct err_entry *err_lookup(int err)
{
	if (err > 0 || err <= SPOD_E__MIN)
		return NULL;
	return &err_table[-err];
}

const char *spod_err_name(int err)
{
	const struct err_entry *e = err_lookup(err);
	return e ? e->name : "UNKNOWN";
}

const char *spod_strerror(int err)
{
	const struct err_entry *e = err_lookup(err);
	return e ? e->msg : "unknown error";
}

uint16_t spod_err_to_status(int err)
{
	if (err_lookup(err) == NULL)
		return (uint16_t)-SPOD_E_INTERNAL;
	return (uint16_t)-err;
}

int spod_err_from_status(uint16_t status)
{
	int err = -(int)status;
	if (err_lookup(err) == NULL)
		return SPOD_E_PROTOCOL;
	return err;
}

int spod_err_exit_code(int err)
{
	const struct err_entry *e = err_lookup(err);
	return e ? e->exit_code : 1;
}

unsigned spod_err_http_status(int err)
{
	const struct err_entry *e = err_lookup(err);
	return e ? e->http_status : 500;
}
