/*
 * libspod: the C client for a spod pod (spod-host, or spod-enclave directly in tests).
 *
 * A client is one connection. Synchronous calls send one request and wait for its answer.
 * The pipelined interface (spod_client_submit_* / spod_client_flush / spod_client_poll)
 * keeps many requests in flight and delivers each response to a completion callback,
 * matched by request id; responses may arrive in any order.
 *
 * All functions return SPOD_OK or a negative SPOD_E_* code (include/spod/err.h). When the
 * pod answered with an error, the code is the pod's and spod_client_last_error() returns
 * its message. A client is not thread-safe; use one per thread.
 */
#ifndef SPOD_CLIENT_H
#define SPOD_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "spod/attest.h"
#include "spod/err.h"
#include "spod/wire.h"

struct spod_client;

struct spod_key_info {
	uint8_t id[SPOD_KEY_ID_BYTES];
	uint8_t alg; /* enum spod_alg */
	uint8_t pub[SPOD_PUB_MAX_BYTES];
	size_t pub_len;
	char label[SPOD_LABEL_MAX_BYTES + 1]; /* NUL-terminated; "" when the key has no label */
};

struct spod_signature {
	uint8_t alg;
	uint8_t recid; /* secp256k1: 0/1; otherwise SPOD_RECID_NONE */
	uint8_t sig[SPOD_SIG_MAX_BYTES];
	size_t sig_len;
};

struct spod_pod_info {
	uint16_t proto_version;
	uint32_t alg_mask;
	uint32_t key_count;
	uint32_t key_capacity;
	uint32_t flags; /* SPOD_INFO_EPHEMERAL, ... */
	char version[65];
};

/* One item of a batch request; data is read during the call only. */
struct spod_sign_item {
	const uint8_t *key_id; /* SPOD_KEY_ID_BYTES */
	uint8_t mode;
	const uint8_t *data;
	size_t data_len;
};

/*
 * Connects to uri (unix://, tcp://, vsock://). timeout_ms bounds the connect and every
 * later synchronous call (<= 0: 30 s). Returns SPOD_OK with *out set, SPOD_E_BAD_URI,
 * SPOD_E_UNAVAILABLE, SPOD_E_TIMEOUT, SPOD_E_BUSY (the listener's queue of new connections
 * stayed full), SPOD_E_IO or SPOD_E_NOMEM.
 */
int spod_client_connect(struct spod_client **out, const char *uri, int timeout_ms)
    __attribute__((warn_unused_result, nonnull));

/* What spod-host said about the token a connection authenticated with. */
struct spod_hello_info {
	uint8_t token_id[SPOD_KEY_ID_BYTES]; /* the token record's id (not secret); zero if none */
	uint32_t flags;                      /* SPOD_HELLO_AUTH when the peer enforces tokens */
	uint32_t ops;                        /* SPOD_HELLO_OP_* the token allows */
};

/*
 * Authenticates the connection with an API token ("spod_..." text, docs/auth.md). spod-host
 * requires this as the first request on every connection; every later request is checked
 * against the token's scopes. out may be NULL. Returns SPOD_OK, SPOD_E_UNAUTHENTICATED (no
 * such token, expired, revoked or malformed; the host then closes the connection),
 * SPOD_E_BAD_ARG (token empty or longer than SPOD_TOKEN_MAX_BYTES) or a transport error.
 */
int spod_client_hello(struct spod_client *c, const char *token, struct spod_hello_info *out)
    __attribute__((warn_unused_result, nonnull(1, 2)));

/*
 * spod_client_connect, then spod_client_hello when token is not NULL. A connection the pod
 * closes before answering the hello is opened again, up to 4 times within timeout_ms (under
 * a flood of connections that never authenticate, spod-host closes the oldest silent ones:
 * docs/host.md). On failure nothing is left open and *out is NULL.
 */
int spod_client_open(struct spod_client **out, const char *uri, const char *token, int timeout_ms)
    __attribute__((warn_unused_result, nonnull(1, 2)));

/*
 * Changes the bound on every later synchronous call (the timeout_ms of spod_client_connect;
 * <= 0: 30 s), e.g. to give each call what is left of a deadline.
 */
void spod_client_set_timeout(struct spod_client *c, int timeout_ms) __attribute__((nonnull));

/* Closes the connection and frees the client (NULL allowed). */
void spod_client_close(struct spod_client *c);

/* Message of the last error the pod returned on this client ("" if none). */
const char *spod_client_last_error(const struct spod_client *c) __attribute__((nonnull));

int spod_client_info(struct spod_client *c, struct spod_pod_info *out)
    __attribute__((warn_unused_result, nonnull));
int spod_client_generate(struct spod_client *c, struct spod_key_info *out, uint8_t alg)
    __attribute__((warn_unused_result, nonnull));
/*
 * key.generate with a label the host records (1..SPOD_LABEL_MAX_BYTES of A-Z a-z 0-9 . _ -,
 * unique among live keys; scopes can name it). label NULL: none. SPOD_E_BAD_ARG for a bad
 * label, SPOD_E_LABEL_TAKEN (from spod-host) for a label a live key already has.
 */
int spod_client_generate_label(struct spod_client *c, struct spod_key_info *out, uint8_t alg,
                               const char *label)
    __attribute__((warn_unused_result, nonnull(1, 2)));
int spod_client_public(struct spod_client *c, struct spod_key_info *out,
                       const uint8_t key_id[SPOD_KEY_ID_BYTES])
    __attribute__((warn_unused_result, nonnull));
int spod_client_delete(struct spod_client *c, const uint8_t key_id[SPOD_KEY_ID_BYTES])
    __attribute__((warn_unused_result, nonnull));

/*
 * One page of keys: up to cap entries into out, *n set to the count. *cursor is 0 for the
 * first page and is updated; it is 0 again after the last page.
 */
int spod_client_list(struct spod_client *c, struct spod_key_info *out, size_t cap, size_t *n,
                     uint32_t *cursor) __attribute__((warn_unused_result, nonnull));

int spod_client_sign(struct spod_client *c, struct spod_signature *out,
                     const uint8_t key_id[SPOD_KEY_ID_BYTES], uint8_t mode, const uint8_t *data,
                     size_t data_len) __attribute__((warn_unused_result, nonnull(1, 2, 3)));

/*
 * Signs n (1..SPOD_BATCH_MAX_ITEMS) items in one frame. out[i] and status[i] are filled for
 * every item; the call returns SPOD_OK when the batch was answered, even if some items
 * failed (see status[i]).
 */
int spod_client_sign_batch(struct spod_client *c, struct spod_signature *out, int *status,
                           const struct spod_sign_item *items, size_t n)
    __attribute__((warn_unused_result, nonnull));

/* One movement of value the enclave's decoder found in a transaction (sign.tx). */
struct spod_tx_transfer_info {
	uint8_t asset;    /* 1 native (wei, lamports), 2 token (ERC-20, SPL) */
	uint8_t decimals; /* 18 for ETH, 9 for SOL, a TransferChecked's; 0xff when not said */
	uint8_t token[SPOD_TX_ADDR_MAX_BYTES]; /* ERC-20 contract or SPL mint */
	size_t token_len;                      /* 0 (none or unknown), 20 or 32 */
	uint8_t to[SPOD_TX_ADDR_MAX_BYTES];    /* recipient (SPL: the destination token account) */
	size_t to_len;                         /* 0 when unknown (a lookup-table account) */
	uint8_t amount[32];                    /* big-endian base units */
};

/* What the enclave decoded from a transaction it signed: the fields a policy reads. */
struct spod_tx_info {
	uint8_t chain;     /* SPOD_TX_CHAIN_ETHEREUM or SPOD_TX_CHAIN_SOLANA */
	uint8_t kind;      /* docs/transactions.md: 1 legacy .. 5 EIP-7702, 16 / 17 Solana */
	uint32_t flags;    /* 1 contract creation, 2 unknown call, 4 unknown program, 8 lookups */
	uint64_t chain_id; /* Ethereum; 0 for pre-EIP-155 and Solana */
	size_t n_transfers;
	struct spod_tx_transfer_info transfers[SPOD_TX_XFER_MAX];
};

/*
 * sign.tx: the enclave decodes the unsigned transaction tx[0..tx_len) of chain
 * (SPOD_TX_CHAIN_ETHEREUM: the unsigned serialized transaction of any type of
 * docs/transactions.md; SPOD_TX_CHAIN_SOLANA: the transaction with empty signature slots as
 * web3.js serializes it), signs it with key_id (secp256k1 for Ethereum, Ed25519 for Solana)
 * and returns it signed. The signed transaction is copied to the caller's
 * signed_tx[0..cap) (SPOD_TX_SIGNED_MAX_BYTES is always enough) with its length in
 * *signed_len; *info (when not NULL) gets the decoded fields. Nothing is allocated; tx is read
 * during the call only.
 * Returns SPOD_OK; SPOD_E_BAD_MODE (the key's algorithm does not sign for that chain),
 * SPOD_E_BAD_FIELD / SPOD_E_TRUNCATED / SPOD_E_TOO_LARGE (the decoder refused the
 * transaction; spod_client_last_error() says which), SPOD_E_BAD_ARG (unknown chain, empty tx,
 * or a Solana key that is not a required signer), SPOD_E_TOO_LARGE (cap), SPOD_E_KEY_NOT_FOUND,
 * SPOD_E_FORBIDDEN, or a transport / pod error. On failure *signed_len is 0.
 */
int spod_client_sign_tx(struct spod_client *c, struct spod_tx_info *info, uint8_t *signed_tx,
                        size_t cap, size_t *signed_len, const uint8_t key_id[SPOD_KEY_ID_BYTES],
                        uint8_t chain, const uint8_t *tx, size_t tx_len)
    __attribute__((warn_unused_result, nonnull(1, 3, 5, 6, 8)));

/*
 * sign.tx with a form (enum spod_tx_form of spod/wire.h) for Ethereum keys:
 * SPOD_TX_FORM_EIP191 signs tx[0..tx_len) as an EIP-191 personal message (the message itself,
 * without the "\x19Ethereum Signed Message:\n" prefix, which the enclave adds);
 * SPOD_TX_FORM_EIP712 signs typed data in its CBOR form (docs/transactions.md; the enclave
 * computes the domain separator and struct hash); SPOD_TX_FORM_AUTHORIZATION signs an EIP-7702
 * authorization rlp([chain_id, address, nonce]). For these signed_tx gets the 65-byte
 * signature r || s || v (v = 27 + recid for messages and typed data, the y parity 0/1 for an
 * authorization) and info->kind says what the enclave decoded. SPOD_TX_FORM_TRANSACTION is
 * spod_client_sign_tx. Errors as spod_client_sign_tx.
 */
int spod_client_sign_tx_form(struct spod_client *c, struct spod_tx_info *info, uint8_t *signed_tx,
                             size_t cap, size_t *signed_len,
                             const uint8_t key_id[SPOD_KEY_ID_BYTES], uint8_t chain, uint8_t form,
                             const uint8_t *tx, size_t tx_len)
    __attribute__((warn_unused_result, nonnull(1, 3, 5, 6, 9)));

/*
 * policy.set (docs/policy.md): attaches the policy policy[0..policy_len) (its deterministic
 * CBOR form, as spod-host's JSON converter or `spod policy` makes it; at most
 * SPOD_POLICY_WIRE_MAX bytes) to key_id, replacing any policy it had; policy_len 0 (policy may
 * then be NULL) removes the policy. approvals[0..n_approvals * SPOD_APPROVAL_BYTES) are the
 * policy admins' approvals (each the admin's Ed25519 public key then its signature over the
 * key id and the policy's SHA-256, src/policy/approval.h; n_approvals at most
 * SPOD_POLICY_ADMINS_MAX, approvals NULL with 0). Both buffers are read during the call only.
 * Returns SPOD_OK when the enclave bound the policy to the key; SPOD_E_NOT_APPROVED (too few
 * valid approvals by distinct admins), SPOD_E_BAD_FIELD (the enclave's loader refused the
 * policy), SPOD_E_KEY_NOT_FOUND, SPOD_E_FORBIDDEN, SPOD_E_BAD_ARG (n_approvals or a NULL
 * buffer), SPOD_E_TOO_LARGE (policy_len), or a transport / pod error; for the pod's refusals
 * spod_client_last_error() gives its reason.
 */
int spod_client_policy_set(struct spod_client *c, const uint8_t key_id[SPOD_KEY_ID_BYTES],
                           const uint8_t *policy, size_t policy_len, const uint8_t *approvals,
                           size_t n_approvals) __attribute__((warn_unused_result, nonnull(1, 2)));

/* A key's policy as the enclave holds it (policy.get). */
struct spod_policy_info {
	uint8_t has_policy;     /* 0: the key has no policy (the other fields are zero) */
	uint8_t hash[32];       /* SHA-256 of the policy's CBOR */
	uint8_t admin_hash[32]; /* the admin set that approved it (spod_admins_hash); all zero:
	                           set without approvals (ephemeral mode, docs/policy.md) */
	size_t policy_len;      /* length of the CBOR */
};

/*
 * policy.get: *out describes key_id's policy and its CBOR form is copied to policy[0..cap)
 * (SPOD_POLICY_WIRE_MAX is always enough; policy may be NULL with cap 0). Nothing is
 * allocated. Returns SPOD_OK (out->has_policy 0 for a key without a policy), SPOD_E_TOO_LARGE
 * when cap is short (*out is still filled: out->policy_len is the size needed),
 * SPOD_E_KEY_NOT_FOUND, SPOD_E_FORBIDDEN, or a transport / pod error.
 */
int spod_client_policy_get(struct spod_client *c, struct spod_policy_info *out, uint8_t *policy,
                           size_t cap, const uint8_t key_id[SPOD_KEY_ID_BYTES])
    __attribute__((warn_unused_result, nonnull(1, 2, 5)));

/*
 * Asks the enclave's NSM for an attestation document carrying nonce (0..512 bytes) and,
 * when key_id is not NULL, binding that key (docs/attestation.md). The document is copied
 * to doc[0..cap) with its length in *doc_len. Returns SPOD_OK, SPOD_E_TOO_LARGE (cap),
 * SPOD_E_KEY_NOT_FOUND, or a transport / pod error. Verify it with include/spod/attest.h.
 */
int spod_client_attest(struct spod_client *c, uint8_t *doc, size_t cap, size_t *doc_len,
                       const uint8_t *key_id, const uint8_t *nonce, size_t nonce_len)
    __attribute__((warn_unused_result, nonnull(1, 2, 4)));

/*
 * End-to-end check that the pod runs the enclave the caller expects, so an application
 * need not trust spod-host: asks for a document with a fresh random 32-byte nonce (binding
 * key_id when it is not NULL) into doc[0..cap) (SPOD_ATTEST_DOC_MAX_BYTES is enough) and
 * verifies it with spod_attest_verify under *pol, with pol->nonce replaced by that nonce.
 * *res gets the verdict; its views point into doc. Returns SPOD_OK when it verified,
 * SPOD_E_BAD_SIGNATURE when it was rejected (res->status says why), or a transport / pod
 * error.
 */
int spod_client_check_pod(struct spod_client *c, struct spod_attest_result *res, uint8_t *doc,
                          size_t cap, const struct spod_attest_policy *pol, const uint8_t *key_id)
    __attribute__((warn_unused_result, nonnull(1, 2, 3, 5)));

/* The enclave's seal state (docs/keys.md), as seal.status answers it. */
struct spod_seal_info {
	uint8_t mode;            /* enum spod_seal_mode: unset, ephemeral or custodians */
	uint8_t ready;           /* 1 when the seal key is present: keys can be made and loaded */
	uint8_t threshold;       /* custodians: K shares needed (0 until the first share arrived) */
	uint8_t shares;          /* custodians: N shares in the set */
	uint8_t present;         /* custodians: valid distinct shares received this boot */
	uint8_t seal_key_id[16]; /* all zero while unknown */
	uint32_t key_count;
};

/* Asks for the seal state. Returns SPOD_OK or a transport / pod error. */
int spod_client_seal_status(struct spod_client *c, struct spod_seal_info *out)
    __attribute__((warn_unused_result, nonnull));

/*
 * Hands a custodian's share, already encrypted to the enclave's attested provisioning key
 * (a provisioning envelope, docs/keys.md; `spod custodian provision` makes one), to the
 * enclave. *out gets the seal state after it. Returns SPOD_OK; SPOD_E_BAD_SHARE,
 * SPOD_E_WRONG_SEAL_KEY, SPOD_E_REPLAYED, SPOD_E_MODE_CONFLICT, SPOD_E_BAD_FIELD (the envelope
 * does not open) with spod_client_last_error() saying why; or a transport / pod error.
 */
int spod_client_custodian_share(struct spod_client *c, struct spod_seal_info *out,
                                const uint8_t *envelope, size_t len)
    __attribute__((warn_unused_result, nonnull));

/*
 * Imports a private key sent in a provisioning envelope (purpose import). *out gets the new
 * key (its id, public key and label). Returns SPOD_OK, SPOD_E_BAD_KEY (not a valid key for
 * its algorithm), SPOD_E_LABEL_TAKEN, SPOD_E_REPLAYED, SPOD_E_BAD_FIELD, or a transport / pod
 * error.
 */
int spod_client_import(struct spod_client *c, struct spod_key_info *out, const uint8_t *envelope,
                       size_t len) __attribute__((warn_unused_result, nonnull));

/*
 * audit.head mode QUERY (docs/evidence.md): the last audit head (seq, hash) the enclave signed
 * and its evidence counter, signed with its evidence key (pub) over spod_evidence_head_msg for
 * nonce (0..SPOD_AUDIT_NONCE_MAX_BYTES, echoed). seq 0: none signed yet this boot. The
 * signature is not checked here. Returns SPOD_OK, SPOD_E_PROTOCOL (the answer is for another
 * nonce or mode), SPOD_E_BAD_ARG, or a transport / pod error.
 */
struct spod_audit_head_info {
	uint64_t seq;
	uint8_t hash[32];
	uint8_t pub[32];
	uint64_t counter;
	uint8_t sig[64];
};
int spod_client_audit_head(struct spod_client *c, struct spod_audit_head_info *out,
                           const uint8_t *nonce, size_t nonce_len)
    __attribute__((warn_unused_result, nonnull(1, 2)));

/* Round trip with an echoed body (measures transport cost). */
int spod_client_echo(struct spod_client *c, const uint8_t *data, size_t len)
    __attribute__((warn_unused_result, nonnull(1)));

/* ---- pipelining ---- */

/*
 * Completion of a pipelined request: status is SPOD_OK or the pod's error; sig is valid only
 * during the callback and only when status is SPOD_OK.
 */
typedef void (*spod_sign_cb)(void *arg, uint64_t request_id, int status,
                             const struct spod_signature *sig);

/*
 * Queues a sign request (not yet sent) and returns its request id. Returns SPOD_E_BUSY when
 * the send buffer is full (flush and poll first).
 */
int spod_client_submit_sign(struct spod_client *c, uint64_t *request_id,
                            const uint8_t key_id[SPOD_KEY_ID_BYTES], uint8_t mode,
                            const uint8_t *data, size_t data_len)
    __attribute__((warn_unused_result, nonnull(1, 2, 3)));

/* Writes queued requests without waiting for answers (may block up to the timeout). */
int spod_client_flush(struct spod_client *c) __attribute__((warn_unused_result, nonnull));

/*
 * Waits up to timeout_ms (0: don't wait) for responses and calls cb for each one read.
 * Sets *completed to the number delivered. Returns SPOD_OK (possibly with 0 completions),
 * SPOD_E_CLOSED, SPOD_E_IO or SPOD_E_PROTOCOL.
 */
int spod_client_poll(struct spod_client *c, int timeout_ms, spod_sign_cb cb, void *arg,
                     size_t *completed) __attribute__((warn_unused_result, nonnull(1, 3, 5)));

/* Requests submitted but not yet completed. */
size_t spod_client_in_flight(const struct spod_client *c) __attribute__((nonnull));

/* Key ids as 32 lowercase hex characters (+ NUL); parse returns SPOD_E_BAD_HEX. */
void spod_key_id_text(char out[2 * SPOD_KEY_ID_BYTES + 1], const uint8_t id[SPOD_KEY_ID_BYTES])
    __attribute__((nonnull));
int spod_key_id_parse(uint8_t id[SPOD_KEY_ID_BYTES], const char *text)
    __attribute__((warn_unused_result, nonnull));

#endif
