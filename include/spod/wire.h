/*
 * spod wire format v1: validate once, then read in place.
 *
 * A frame is a 24-byte little-endian header followed by an opcode-specific body. Each body
 * starts with a fixed layout; its variable parts are (offset, length) references, relative
 * to the start of the body, into the same frame. docs/protocol.md gives every byte offset.
 *
 * Validators check every bound once and fill a *view*: scalars decoded into the struct and
 * pointers into the caller's receive buffer. A view is valid for as long as that buffer is
 * neither freed nor compacted; handlers never re-check and never copy request bytes.
 * Encoders write into a caller-provided buffer with an explicit capacity and return the
 * frame length through an out pointer.
 *
 * Every function returns SPOD_OK or a negative SPOD_E_* code (include/spod/err.h); on
 * failure views and outputs are zeroed.
 */
#ifndef SPOD_WIRE_H
#define SPOD_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "spod/alg.h"
#include "spod/err.h"

#define SPOD_WIRE_MAGIC       0x444f5053u /* bytes 'S' 'P' 'O' 'D' */
#define SPOD_WIRE_VERSION     1
#define SPOD_HDR_BYTES        24u
#define SPOD_FRAME_MAX_BYTES  (256u * 1024u)
#define SPOD_BODY_MAX_BYTES   (SPOD_FRAME_MAX_BYTES - SPOD_HDR_BYTES)
#define SPOD_MSG_MAX_BYTES    (64u * 1024u) /* largest message one sign request may carry */
#define SPOD_BATCH_MAX_ITEMS  256u          /* most signatures in one sign.batch frame */
#define SPOD_LIST_MAX_ITEMS   1024u         /* most keys in one key.list page */
#define SPOD_ERRMSG_MAX_BYTES 256u
#define SPOD_NONCE_MAX_BYTES  512u          /* attestation nonce, as the NSM API allows */
#define SPOD_DOC_MAX_BYTES    (16u * 1024u) /* largest attestation document */
#define SPOD_TOKEN_MAX_BYTES  128u          /* API token text carried by hello */
/* A sealed key blob (docs/keys.md): version 1 (no policy) fits SPOD_BLOB_V1_MAX_BYTES; a
 * version 2 blob carries its key's policy and may be up to SPOD_BLOB_MAX_BYTES. */
#define SPOD_BLOB_V1_MAX_BYTES       512u
#define SPOD_BLOB_MAX_BYTES          (120u * 1024u)
#define SPOD_ENVELOPE_MAX_WIRE_BYTES 4096u         /* a provisioning envelope (share or import) */
#define SPOD_TX_MAX_BYTES            (64u * 1024u) /* largest unsigned transaction sign.tx takes */
/* Largest signed transaction: the unsigned one plus v, r, s and the longer list header. */
#define SPOD_TX_SIGNED_MAX_BYTES (SPOD_TX_MAX_BYTES + 128u)
#define SPOD_TX_XFER_MAX         16u /* most transfers a sign.tx answer describes */
#define SPOD_TX_ADDR_MAX_BYTES   32u /* a transfer's token or recipient (20 Ethereum, 32 Solana) */

/* Header flag bits; every other bit must be zero in v1. */
#define SPOD_FLAG_RESPONSE 0x0001u

enum spod_op {
	SPOD_OP_INFO = 0x01,
	SPOD_OP_ECHO = 0x02,
	SPOD_OP_HELLO = 0x03, /* answered by spod-host: authenticates the connection */
	SPOD_OP_KEY_GENERATE = 0x10,
	SPOD_OP_KEY_PUBLIC = 0x11,
	SPOD_OP_KEY_LIST = 0x12,
	SPOD_OP_KEY_DELETE = 0x13,
	SPOD_OP_SIGN = 0x20,
	SPOD_OP_SIGN_BATCH = 0x21,
	SPOD_OP_SIGN_TX = 0x22,    /* decode an unsigned transaction, sign it, return it signed */
	SPOD_OP_KEY_LOAD = 0x14,   /* spod-host only: hand a sealed key back to the enclave */
	SPOD_OP_KEY_IMPORT = 0x15, /* a key encrypted to the attested provisioning key */
	SPOD_OP_ATTEST = 0x30,
	SPOD_OP_SEAL_SETUP = 0x40,      /* spod-host only: the seal mode, once per enclave boot */
	SPOD_OP_SEAL_STATUS = 0x41,     /* mode, seal-key id, shares present and needed */
	SPOD_OP_CUSTODIAN_SHARE = 0x42, /* a custodian's share, encrypted like an import */
	SPOD_OP_POLICY_SET = 0x50,      /* attach, replace or remove a key's policy (approved) */
	SPOD_OP_POLICY_GET = 0x51,      /* the key's policy as the enclave holds it */
	SPOD_OP_POLICY_ADMINS = 0x52,   /* spod-host only: the policy-admin set, once per boot */
	SPOD_OP_POLICY_SYNC = 0x53, /* spod-host only: the key re-sealed with its policy state */
	SPOD_OP_EVIDENCE = 0x60,    /* enclave -> spod-host, unasked: signed evidence records */
	SPOD_OP_AUDIT_HEAD = 0x61,  /* the enclave signs (or reports) the audit log's head */
};

/* Seal modes (docs/keys.md): where the enclave's seal key comes from. */
enum spod_seal_mode {
	SPOD_SEAL_UNSET = 0,      /* not chosen yet: the enclave seals nothing until it is */
	SPOD_SEAL_EPHEMERAL = 1,  /* a random seal key per boot: keys die with the enclave */
	SPOD_SEAL_CUSTODIANS = 2, /* rebuilt from K of N custodians' shares */
};

struct spod_hdr {
	uint32_t magic;
	uint8_t version;
	uint8_t opcode;
	uint16_t flags;
	uint64_t request_id;
	uint16_t status; /* 0 = ok; otherwise spod_err_to_status(code), body = message */
	uint16_t reserved;
	uint32_t body_len;
};

/* A complete frame found in a byte stream. body points into the caller's buffer. */
struct spod_frame {
	struct spod_hdr hdr;
	const uint8_t *body;
	uint32_t body_len;
	size_t frame_len; /* SPOD_HDR_BYTES + body_len */
};

/*
 * Finds the frame at the start of buf[0..len).
 * Returns SPOD_OK with *f filled; SPOD_E_AGAIN when more bytes are needed;
 * SPOD_E_BAD_MAGIC or SPOD_E_TOO_LARGE when the stream cannot be framed (the caller
 * should answer with an error frame if it can and close the connection).
 * Only magic and body length are checked here: see spod_wire_check_hdr.
 */
int spod_wire_frame(struct spod_frame *f, const uint8_t *buf, size_t len)
    __attribute__((warn_unused_result, nonnull));

/*
 * Checks the header fields that do not affect framing: version, flags, reserved, and
 * that status is zero in requests. expect_response selects the RESPONSE flag value.
 * Returns SPOD_OK, SPOD_E_BAD_VERSION or SPOD_E_BAD_FIELD. A frame failing here can be
 * skipped (its length is known) and answered with an error.
 */
int spod_wire_check_hdr(const struct spod_hdr *h, int expect_response)
    __attribute__((warn_unused_result, nonnull));

/* Writes a header to out (SPOD_HDR_BYTES). */
void spod_wire_put_hdr(uint8_t out[SPOD_HDR_BYTES], uint8_t opcode, uint16_t flags,
                       uint64_t request_id, uint16_t status, uint32_t body_len)
    __attribute__((nonnull));

/* Rewrites the request id of an encoded frame in place (used by the forwarding host). */
void spod_wire_set_request_id(uint8_t *frame, uint64_t request_id) __attribute__((nonnull));

/* Reads the request id of an encoded frame of at least SPOD_HDR_BYTES. */
uint64_t spod_wire_get_request_id(const uint8_t *frame) __attribute__((nonnull));

/*
 * Upper bound on the whole response frame (header included) to a request with this opcode
 * and request frame length, error responses included. Used to size send buffers and for
 * flow control; unknown opcodes get the error-frame size.
 */
size_t spod_wire_resp_max(uint8_t opcode, size_t req_frame_len);

/* ---- Request views (validated in place) ---- */

/* key.generate */
struct spod_generate_req {
	uint8_t alg;
	const char *label;  /* not NUL-terminated; NULL when label_len is 0 */
	uint32_t label_len; /* 0 (no label) or 1..SPOD_LABEL_MAX_BYTES, charset checked */
};

/* hello: the first frame on a connection to spod-host (docs/protocol.md, hello) */
struct spod_hello_req {
	const char *token;  /* not NUL-terminated */
	uint32_t token_len; /* 1..SPOD_TOKEN_MAX_BYTES */
};

/* key.public, key.delete */
struct spod_key_req {
	const uint8_t *key_id; /* SPOD_KEY_ID_BYTES */
};

/* key.list */
struct spod_list_req {
	uint32_t cursor; /* opaque position from the previous page; 0 starts at the beginning */
	uint32_t max;    /* 1..SPOD_LIST_MAX_ITEMS */
};

/* sign, and one item of sign.batch */
struct spod_sign_req {
	const uint8_t *key_id; /* SPOD_KEY_ID_BYTES */
	uint8_t mode;          /* enum spod_sign_mode, checked to be defined */
	const uint8_t *data;   /* message, or the 32-byte digest in SPOD_MODE_DIGEST */
	uint32_t data_len;     /* <= SPOD_MSG_MAX_BYTES; == 32 in SPOD_MODE_DIGEST */
};

/* sign.tx: the chains it knows (the values of enum spod_chain, src/txn/summary.h) */
#define SPOD_TX_CHAIN_ETHEREUM 1u
#define SPOD_TX_CHAIN_SOLANA   2u

/*
 * sign.tx forms: what the bytes are (docs/protocol.md, sign.tx). A transaction's answer carries
 * the signed transaction; the others' carry the 65-byte signature r || s || v (v = 27 + recid
 * for EIP-191 and EIP-712 as ethers and wallets give it; the y parity 0 or 1 for an EIP-7702
 * authorization, which goes into its tuple).
 */
enum spod_tx_form {
	SPOD_TX_FORM_TRANSACTION = 0, /* the unsigned transaction of the chain */
	SPOD_TX_FORM_EIP191 = 1, /* Ethereum: a personal message (the bytes after the prefix) */
	SPOD_TX_FORM_EIP712 = 2, /* Ethereum: typed data in its CBOR form (docs/transactions.md) */
	SPOD_TX_FORM_AUTHORIZATION = 3, /* Ethereum: EIP-7702 rlp([chain_id, address, nonce]) */
};
#define SPOD_TX_FORM_MAX 3u

/* sign.tx request */
struct spod_sign_tx_req {
	const uint8_t *key_id; /* SPOD_KEY_ID_BYTES */
	uint8_t chain;         /* SPOD_TX_CHAIN_ETHEREUM or SPOD_TX_CHAIN_SOLANA */
	uint8_t form;          /* enum spod_tx_form; 0 for Solana */
	const uint8_t *tx;     /* the unsigned transaction, in the chain's own serialization */
	uint32_t tx_len;       /* 1..SPOD_TX_MAX_BYTES */
};

/* sign.batch: items are decoded one at a time with spod_wire_batch_item */
struct spod_batch_req {
	uint32_t count; /* 1..SPOD_BATCH_MAX_ITEMS */
	const uint8_t *body;
	uint32_t body_len;
};

int spod_wire_generate_req(struct spod_generate_req *v, const struct spod_frame *f)
    __attribute__((warn_unused_result, nonnull));
int spod_wire_key_req(struct spod_key_req *v, const struct spod_frame *f)
    __attribute__((warn_unused_result, nonnull));
int spod_wire_hello_req(struct spod_hello_req *v, const struct spod_frame *f)
    __attribute__((warn_unused_result, nonnull));
int spod_wire_list_req(struct spod_list_req *v, const struct spod_frame *f)
    __attribute__((warn_unused_result, nonnull));
/* attest: an attestation document, optionally binding one key */
struct spod_attest_req {
	const uint8_t *key_id; /* SPOD_KEY_ID_BYTES; NULL when no key is bound */
	const uint8_t *nonce;  /* may be empty */
	uint32_t nonce_len;    /* <= SPOD_NONCE_MAX_BYTES */
};
int spod_wire_attest_req(struct spod_attest_req *v, const struct spod_frame *f)
    __attribute__((warn_unused_result, nonnull));
int spod_wire_sign_req(struct spod_sign_req *v, const struct spod_frame *f)
    __attribute__((warn_unused_result, nonnull));
/*
 * sign.tx: SPOD_E_BAD_FIELD for a chain other than 1 or 2, a form above SPOD_TX_FORM_MAX or
 * other than 0 for Solana, or a non-zero reserved byte, SPOD_E_BAD_LENGTH for an empty transaction,
 * SPOD_E_TOO_LARGE above SPOD_TX_MAX_BYTES. The transaction itself is only located here; the
 * enclave's decoder validates it.
 */
int spod_wire_sign_tx_req(struct spod_sign_tx_req *v, const struct spod_frame *f)
    __attribute__((warn_unused_result, nonnull));
/* Validates the whole batch, every item included, so spod_wire_batch_item cannot fail. */
int spod_wire_batch_req(struct spod_batch_req *v, const struct spod_frame *f)
    __attribute__((warn_unused_result, nonnull));
/* Item i (< v->count) of a batch validated by spod_wire_batch_req. */
void spod_wire_batch_item(struct spod_sign_req *out, const struct spod_batch_req *v, uint32_t i)
    __attribute__((nonnull));
/*
 * key.load, key.import, custodian.share: the whole body is one opaque item its consumer
 * validates (a sealed blob, a provisioning envelope). Lengths: key.load 1..SPOD_BLOB_MAX_BYTES,
 * the others 1..SPOD_ENVELOPE_MAX_WIRE_BYTES; anything else is SPOD_E_BAD_LENGTH.
 */
struct spod_item_req {
	const uint8_t *data;
	uint32_t len;
};
int spod_wire_item_req(struct spod_item_req *v, const struct spod_frame *f)
    __attribute__((warn_unused_result, nonnull));
/*
 * seal.setup: the mode (SPOD_SEAL_EPHEMERAL or SPOD_SEAL_CUSTODIANS), 7 zero bytes, and the
 * 16-byte seal key id the custodians' shares must rebuild. *seal_key_id points at it in the
 * frame, or is NULL when it is all zero (none expected); an id with ephemeral mode is
 * SPOD_E_BAD_FIELD.
 */
int spod_wire_seal_setup_req(uint8_t *mode, const uint8_t **seal_key_id, const struct spod_frame *f)
    __attribute__((warn_unused_result, nonnull));
/* info, echo, and any opcode whose body must be empty */
int spod_wire_empty_req(const struct spod_frame *f) __attribute__((warn_unused_result, nonnull));

/* ---- Request encoders (client side). Each writes one whole frame. ---- */

int spod_wire_enc_empty(uint8_t *out, size_t cap, size_t *out_len, uint8_t opcode, uint64_t rid)
    __attribute__((warn_unused_result, nonnull));
int spod_wire_enc_echo(uint8_t *out, size_t cap, size_t *out_len, uint64_t rid, const uint8_t *data,
                       size_t data_len) __attribute__((warn_unused_result, nonnull(1, 3)));
int spod_wire_enc_generate(uint8_t *out, size_t cap, size_t *out_len, uint64_t rid, uint8_t alg)
    __attribute__((warn_unused_result, nonnull));
/* key.generate with a label (label NULL or label_len 0: none); SPOD_E_BAD_ARG for a bad label. */
int spod_wire_enc_generate_label(uint8_t *out, size_t cap, size_t *out_len, uint64_t rid,
                                 uint8_t alg, const char *label, size_t label_len)
    __attribute__((warn_unused_result, nonnull(1, 3)));
int spod_wire_enc_hello(uint8_t *out, size_t cap, size_t *out_len, uint64_t rid, const char *token,
                        size_t token_len) __attribute__((warn_unused_result, nonnull));
int spod_wire_enc_key(uint8_t *out, size_t cap, size_t *out_len, uint8_t opcode, uint64_t rid,
                      const uint8_t key_id[SPOD_KEY_ID_BYTES])
    __attribute__((warn_unused_result, nonnull));
int spod_wire_enc_list(uint8_t *out, size_t cap, size_t *out_len, uint64_t rid, uint32_t cursor,
                       uint32_t max) __attribute__((warn_unused_result, nonnull));
/* key_id NULL: no key binding. */
int spod_wire_enc_attest(uint8_t *out, size_t cap, size_t *out_len, uint64_t rid,
                         const uint8_t *key_id, const uint8_t *nonce, size_t nonce_len)
    __attribute__((warn_unused_result, nonnull(1, 3)));
int spod_wire_enc_sign(uint8_t *out, size_t cap, size_t *out_len, uint64_t rid,
                       const uint8_t key_id[SPOD_KEY_ID_BYTES], uint8_t mode, const uint8_t *data,
                       size_t data_len) __attribute__((warn_unused_result, nonnull(1, 3, 5)));
/* sign.tx: SPOD_E_BAD_ARG for an unknown chain or an empty tx, SPOD_E_TOO_LARGE above the cap. */
int spod_wire_enc_sign_tx(uint8_t *out, size_t cap, size_t *out_len, uint64_t rid,
                          const uint8_t key_id[SPOD_KEY_ID_BYTES], uint8_t chain, const uint8_t *tx,
                          size_t tx_len) __attribute__((warn_unused_result, nonnull));
/* The same with a form (enum spod_tx_form; SPOD_E_BAD_ARG as the validator would refuse it). */
int spod_wire_enc_sign_tx_form(uint8_t *out, size_t cap, size_t *out_len, uint64_t rid,
                               const uint8_t key_id[SPOD_KEY_ID_BYTES], uint8_t chain, uint8_t form,
                               const uint8_t *tx, size_t tx_len)
    __attribute__((warn_unused_result, nonnull));

/* key.load / key.import / custodian.share carrying item[0..len). */
int spod_wire_enc_item(uint8_t *out, size_t cap, size_t *out_len, uint8_t opcode, uint64_t rid,
                       const uint8_t *item, size_t len)
    __attribute__((warn_unused_result, nonnull));
/* seal_key_id NULL: none expected (it must be NULL for ephemeral mode: SPOD_E_BAD_ARG). */
int spod_wire_enc_seal_setup(uint8_t *out, size_t cap, size_t *out_len, uint64_t rid, uint8_t mode,
                             const uint8_t *seal_key_id)
    __attribute__((warn_unused_result, nonnull(1, 3)));

/* Incremental sign.batch encoder: begin, add items, finish. */
struct spod_batch_enc {
	uint8_t *out;
	size_t cap;
	uint32_t count; /* items declared at begin */
	uint32_t added;
	size_t data_off; /* next free byte in the data area, relative to the body */
};
int spod_wire_batch_begin(struct spod_batch_enc *e, uint8_t *out, size_t cap, uint64_t rid,
                          uint32_t count) __attribute__((warn_unused_result, nonnull));
int spod_wire_batch_add(struct spod_batch_enc *e, const uint8_t key_id[SPOD_KEY_ID_BYTES],
                        uint8_t mode, const uint8_t *data, size_t data_len)
    __attribute__((warn_unused_result, nonnull(1, 2)));
int spod_wire_batch_finish(struct spod_batch_enc *e, size_t *out_len)
    __attribute__((warn_unused_result, nonnull));

/* ---- Responses ---- */

/* A signature as returned by sign and by each sign.batch item. */
struct spod_sig_view {
	int status; /* SPOD_OK or the item's error (batch items only) */
	uint8_t alg;
	uint8_t recid;      /* 0/1 for secp256k1 (Ethereum v = 27 + recid), else SPOD_RECID_NONE */
	const uint8_t *sig; /* Ed25519 R||S or ECDSA r||s, 64 bytes */
	uint32_t sig_len;
};

/* A key response, or one key.list entry. */
struct spod_key_view {
	const uint8_t *key_id;
	uint8_t alg;
	const uint8_t *pub;
	uint32_t pub_len;
	const char *label;   /* not NUL-terminated; NULL when label_len is 0 */
	uint32_t label_len;  /* 0 (no label) or 1..SPOD_LABEL_MAX_BYTES, charset checked */
	const uint8_t *blob; /* key.generate / key.import answers: the sealed key; else NULL */
	uint32_t blob_len;   /* 0..SPOD_BLOB_MAX_BYTES; always 0 in key.list entries */
};

/* seal.status, seal.setup and custodian.share answers */
struct spod_seal_view {
	uint8_t mode;      /* enum spod_seal_mode */
	uint8_t ready;     /* 1 when the seal key is present (keys can be made and loaded) */
	uint8_t threshold; /* custodians: K shares needed (0 until a share arrived) */
	uint8_t shares;    /* custodians: N shares in the set (0 until a share arrived) */
	uint8_t present;   /* custodians: valid distinct shares received this boot */
	const uint8_t *seal_key_id; /* 16 bytes; all zero while unknown */
	uint32_t key_count;
};

struct spod_info_view {
	uint16_t proto_version;
	uint32_t alg_mask; /* bit (1 << alg) set for each supported alg */
	uint32_t key_count;
	uint32_t key_capacity;
	uint32_t flags;      /* SPOD_INFO_EPHEMERAL ... */
	const char *version; /* not NUL-terminated */
	uint32_t version_len;
};
#define SPOD_INFO_EPHEMERAL  0x1u  /* keys live only in this enclave's memory */
#define SPOD_INFO_NSM_NITRO  0x2u  /* attestation by the real Nitro Secure Module */
#define SPOD_INFO_NSM_SIM    0x4u  /* attestation by the simulated NSM (development root) */
#define SPOD_INFO_CUSTODIANS 0x8u  /* the seal key comes from custodians (docs/keys.md) */
#define SPOD_INFO_SEALED     0x10u /* the seal key is present: keys are sealed and can be loaded */

/* hello response */
struct spod_hello_view {
	const uint8_t *token_id; /* SPOD_KEY_ID_BYTES-sized id of the token record; zero if none */
	uint32_t flags;          /* SPOD_HELLO_* */
	uint32_t ops;            /* operations the token allows: bit set of SPOD_HELLO_OP_* */
};
#define SPOD_HELLO_AUTH         0x1u /* the peer enforces tokens (spod-host); 0 from spod-enclave */
#define SPOD_HELLO_OP_SIGN      0x01u
#define SPOD_HELLO_OP_GENERATE  0x02u
#define SPOD_HELLO_OP_DELETE    0x04u
#define SPOD_HELLO_OP_LIST      0x08u
#define SPOD_HELLO_OP_ATTEST    0x10u
#define SPOD_HELLO_OP_ADMIN     0x20u
#define SPOD_HELLO_OP_PROVISION 0x40u
#define SPOD_HELLO_OP_IMPORT    0x80u

struct spod_list_view {
	uint32_t count;
	uint32_t next_cursor; /* 0 when this is the last page */
	uint32_t total;       /* keys in the store when the page was made */
	const uint8_t *body;
	uint32_t body_len;
};

struct spod_batch_resp_view {
	uint32_t count;
	const uint8_t *body;
	uint32_t body_len;
};

/*
 * sign.tx answer: what the enclave's decoder saw (the fields a policy reads, docs/protocol.md)
 * and the signed transaction. Transfers are read with spod_wire_sign_tx_xfer.
 */
struct spod_sign_tx_view {
	uint8_t chain;        /* SPOD_TX_CHAIN_* */
	uint8_t kind;         /* enum spod_tx_kind (src/txn/summary.h), 1..255 */
	uint32_t flags;       /* SPOD_TXF_* of src/txn/summary.h */
	uint64_t chain_id;    /* Ethereum chain id; 0 for pre-EIP-155 and for Solana */
	uint32_t n_transfers; /* 0..SPOD_TX_XFER_MAX */
	const uint8_t *xfers; /* n_transfers fixed entries */
	const uint8_t *signed_tx;
	uint32_t signed_len; /* 1..SPOD_TX_SIGNED_MAX_BYTES */
};

/* One movement of value in a sign.tx answer (struct spod_tx_transfer of src/txn/summary.h). */
struct spod_tx_xfer {
	uint8_t asset;         /* 1 native (wei, lamports), 2 token (ERC-20, SPL) */
	uint8_t decimals;      /* 0xff when the transaction does not say */
	const uint8_t *token;  /* token contract or mint; NULL when token_len is 0 */
	uint32_t token_len;    /* 0..SPOD_TX_ADDR_MAX_BYTES */
	const uint8_t *to;     /* recipient; NULL when to_len is 0 (unknown: a lookup table) */
	uint32_t to_len;       /* 0..SPOD_TX_ADDR_MAX_BYTES */
	const uint8_t *amount; /* 32 bytes, big-endian */
};

/* Response decoders (client side); the frame must carry status 0 (see spod_wire_error). */
int spod_wire_sig_resp(struct spod_sig_view *v, const struct spod_frame *f)
    __attribute__((warn_unused_result, nonnull));
/* key.generate, key.public, key.import, key.load, policy.set and policy.sync answers */
int spod_wire_key_resp(struct spod_key_view *v, const struct spod_frame *f)
    __attribute__((warn_unused_result, nonnull));
int spod_wire_hello_resp(struct spod_hello_view *v, const struct spod_frame *f)
    __attribute__((warn_unused_result, nonnull));
/* attest response: the document, in the frame */
struct spod_doc_view {
	const uint8_t *doc;
	uint32_t doc_len;
};
int spod_wire_doc_resp(struct spod_doc_view *v, const struct spod_frame *f)
    __attribute__((warn_unused_result, nonnull));
int spod_wire_info_resp(struct spod_info_view *v, const struct spod_frame *f)
    __attribute__((warn_unused_result, nonnull));
/* An answer to seal.status, seal.setup or custodian.share. */
int spod_wire_seal_resp(struct spod_seal_view *v, const struct spod_frame *f)
    __attribute__((warn_unused_result, nonnull));
int spod_wire_list_resp(struct spod_list_view *v, const struct spod_frame *f)
    __attribute__((warn_unused_result, nonnull));
void spod_wire_list_item(struct spod_key_view *out, const struct spod_list_view *v, uint32_t i)
    __attribute__((nonnull));
int spod_wire_batch_resp(struct spod_batch_resp_view *v, const struct spod_frame *f)
    __attribute__((warn_unused_result, nonnull));
void spod_wire_batch_resp_item(struct spod_sig_view *out, const struct spod_batch_resp_view *v,
                               uint32_t i) __attribute__((nonnull));
/*
 * Validates a sign.tx answer completely (chain 1 or 2, kind non-zero, at most
 * SPOD_TX_XFER_MAX transfers each with asset 1 or 2, lengths within SPOD_TX_ADDR_MAX_BYTES and
 * zero padding, reserved bytes zero, the signed transaction right after the transfers and
 * non-empty), so spod_wire_sign_tx_xfer cannot fail.
 */
int spod_wire_sign_tx_resp(struct spod_sign_tx_view *v, const struct spod_frame *f)
    __attribute__((warn_unused_result, nonnull));
/* Transfer i (< v->n_transfers) of an answer validated by spod_wire_sign_tx_resp. */
void spod_wire_sign_tx_xfer(struct spod_tx_xfer *out, const struct spod_sign_tx_view *v, uint32_t i)
    __attribute__((nonnull));

/*
 * For a response with non-zero status: *err gets the SPOD_E_* code and msg/msg_len the
 * message text inside the frame (not NUL-terminated, at most SPOD_ERRMSG_MAX_BYTES).
 * Returns SPOD_OK, or SPOD_E_BAD_FIELD if the frame has status 0.
 */
int spod_wire_error(int *err, const char **msg, uint32_t *msg_len, const struct spod_frame *f)
    __attribute__((warn_unused_result, nonnull));

/*
 * Response writers (enclave side). Each writes one whole response frame to out[0..cap)
 * and returns its length through *out_len, or SPOD_E_TOO_LARGE if cap is too small.
 */
int spod_wire_put_error(uint8_t *out, size_t cap, size_t *out_len, uint8_t opcode, uint64_t rid,
                        int err, const char *msg) __attribute__((warn_unused_result, nonnull));
int spod_wire_put_empty(uint8_t *out, size_t cap, size_t *out_len, uint8_t opcode, uint64_t rid)
    __attribute__((warn_unused_result, nonnull));
int spod_wire_put_echo(uint8_t *out, size_t cap, size_t *out_len, uint64_t rid, const uint8_t *data,
                       size_t data_len) __attribute__((warn_unused_result, nonnull(1, 3)));
/*
 * A key response: the public key, then the label (label NULL or label_len 0: none).
 * SPOD_E_TOO_LARGE for a public key over SPOD_PUB_MAX_BYTES or a label over
 * SPOD_LABEL_MAX_BYTES, SPOD_E_BAD_ARG for a label outside the charset (spod_label_valid).
 */
int spod_wire_put_key(uint8_t *out, size_t cap, size_t *out_len, uint8_t opcode, uint64_t rid,
                      const uint8_t key_id[SPOD_KEY_ID_BYTES], uint8_t alg, const uint8_t *pub,
                      size_t pub_len, const char *label, size_t label_len)
    __attribute__((warn_unused_result, nonnull(1, 3, 6, 8)));
/* The same with the sealed key (key.generate, key.import); blob_len 0 for none. */
int spod_wire_put_sealed_key(uint8_t *out, size_t cap, size_t *out_len, uint8_t opcode,
                             uint64_t rid, const struct spod_key_view *k)
    __attribute__((warn_unused_result, nonnull));
/* seal.status / seal.setup / custodian.share answers. */
int spod_wire_put_seal(uint8_t *out, size_t cap, size_t *out_len, uint8_t opcode, uint64_t rid,
                       const struct spod_seal_view *s) __attribute__((warn_unused_result, nonnull));
int spod_wire_put_hello(uint8_t *out, size_t cap, size_t *out_len, uint64_t rid,
                        const uint8_t token_id[SPOD_KEY_ID_BYTES], uint32_t flags, uint32_t ops)
    __attribute__((warn_unused_result, nonnull));
int spod_wire_put_info(uint8_t *out, size_t cap, size_t *out_len, uint64_t rid,
                       const struct spod_info_view *info)
    __attribute__((warn_unused_result, nonnull));

/*
 * Signature responses are produced in place: reserve the fixed part, let the signer
 * write straight into the returned pointer, then commit. This is how the enclave avoids
 * any intermediate signature buffer.
 * spod_wire_sig_reserve returns a pointer to SPOD_SIG_MAX_BYTES writable bytes, or NULL
 * when cap is smaller than the largest sign response.
 */
uint8_t *spod_wire_sig_reserve(uint8_t *out, size_t cap) __attribute__((nonnull));
void spod_wire_sig_commit(uint8_t *out, size_t *out_len, uint64_t rid, uint8_t alg, uint8_t recid,
                          uint32_t sig_len) __attribute__((nonnull));

/* Batch responses, in place: begin with the count, then fill each item in order. */
struct spod_batch_resp_enc {
	uint8_t *out;
	size_t cap;
	uint32_t count;
	uint32_t filled;
};
/* Returns SPOD_E_TOO_LARGE if cap cannot hold count full items. */
int spod_wire_batch_resp_begin(struct spod_batch_resp_enc *e, uint8_t *out, size_t cap,
                               uint32_t count) __attribute__((warn_unused_result, nonnull));
/* Pointer to SPOD_SIG_MAX_BYTES where item i's signature goes (items filled in order). */
uint8_t *spod_wire_batch_resp_slot(struct spod_batch_resp_enc *e) __attribute__((nonnull));
void spod_wire_batch_resp_fill(struct spod_batch_resp_enc *e, int status, uint8_t alg,
                               uint8_t recid, uint32_t sig_len) __attribute__((nonnull));
void spod_wire_batch_resp_finish(struct spod_batch_resp_enc *e, size_t *out_len, uint64_t rid)
    __attribute__((nonnull));

/*
 * sign.tx answers, in place: spod_wire_sign_tx_reserve returns where the signed transaction
 * of an answer with n_transfers transfers goes and, in *room, how many bytes it may take
 * (at most SPOD_TX_SIGNED_MAX_BYTES), or NULL when cap cannot hold the largest such answer
 * or n_transfers is above SPOD_TX_XFER_MAX. spod_wire_sign_tx_put_xfer writes transfer i
 * (SPOD_E_BAD_ARG for i >= n_transfers, an asset other than 1 or 2, or a token or recipient
 * longer than SPOD_TX_ADDR_MAX_BYTES); spod_wire_sign_tx_commit writes the header and the
 * fixed part from v (chain, kind, flags, chain_id, n_transfers, signed_len; its pointers are
 * not read) once every transfer and the signed transaction are in place.
 */
uint8_t *spod_wire_sign_tx_reserve(uint8_t *out, size_t cap, uint32_t n_transfers, size_t *room)
    __attribute__((nonnull));
int spod_wire_sign_tx_put_xfer(uint8_t *out, uint32_t n_transfers, uint32_t i,
                               const struct spod_tx_xfer *x)
    __attribute__((warn_unused_result, nonnull));
void spod_wire_sign_tx_commit(uint8_t *out, size_t *out_len, uint64_t rid,
                              const struct spod_sign_tx_view *v) __attribute__((nonnull));

/*
 * Attestation responses, in place: the NSM writes the document straight into the frame.
 * spod_wire_doc_reserve returns where up to SPOD_DOC_MAX_BYTES of document go, or NULL
 * when cap is too small; spod_wire_doc_commit finishes the frame.
 */
uint8_t *spod_wire_doc_reserve(uint8_t *out, size_t cap) __attribute__((nonnull));
void spod_wire_doc_commit(uint8_t *out, size_t *out_len, uint64_t rid, uint32_t doc_len)
    __attribute__((nonnull));

/*
 * Key list responses, in place: max entries, max public key slots, then the labels packed
 * in entry order. begin needs room for the largest page of max keys (every label 128 bytes).
 */
struct spod_list_enc {
	uint8_t *out;
	size_t cap;
	uint32_t max; /* entries reserved */
	uint32_t count;
	uint32_t label_end; /* end of the labels written so far, relative to the body */
};
int spod_wire_list_begin(struct spod_list_enc *e, uint8_t *out, size_t cap, uint32_t max)
    __attribute__((warn_unused_result, nonnull));
/*
 * Appends one key with its label (label NULL or label_len 0: none). Returns SPOD_E_TOO_LARGE
 * once max entries are present or for a public key or label over its cap, SPOD_E_BAD_ARG for
 * a label outside the charset; nothing is appended then.
 */
int spod_wire_list_add(struct spod_list_enc *e, const uint8_t key_id[SPOD_KEY_ID_BYTES],
                       uint8_t alg, const uint8_t *pub, size_t pub_len, const char *label,
                       size_t label_len) __attribute__((warn_unused_result, nonnull(1, 2, 4)));
void spod_wire_list_finish(struct spod_list_enc *e, size_t *out_len, uint64_t rid,
                           uint32_t next_cursor, uint32_t total) __attribute__((nonnull));

/* policy.set, policy.get, policy.admins */
#include "spod/wire_policy.h"
#include "spod/wire_evidence.h"

#endif
