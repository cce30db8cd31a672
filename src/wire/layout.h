/*
 * Byte offsets of every v1 body layout, relative to the start of the body. This file and
 * docs/protocol.md describe the same thing; change both together.
 */
#ifndef SPOD_WIRE_LAYOUT_H
#define SPOD_WIRE_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "common/bytes.h"
#include "spod/wire.h"

/* header */
#define HDR_MAGIC      0
#define HDR_VERSION    4
#define HDR_OPCODE     5
#define HDR_FLAGS      6
#define HDR_REQUEST_ID 8
#define HDR_STATUS     16
#define HDR_RESERVED   18
#define HDR_BODY_LEN   20

/* key.generate request: fixed part, then label_len bytes of label */
#define GEN_ALG       0
#define GEN_RESERVED  1 /* 3 bytes */
#define GEN_LABEL_LEN 4
#define GEN_FIXED     8

/* hello request: fixed part, then token_len bytes of token text */
#define HELLO_TOKEN_LEN 0
#define HELLO_RESERVED  4 /* 4 bytes */
#define HELLO_FIXED     8

/* hello response */
#define HELLO_RESP_TOKEN_ID 0
#define HELLO_RESP_FLAGS    16
#define HELLO_RESP_OPS      20
#define HELLO_RESP_FIXED    24

/* key.public / key.delete request */
#define KEYREQ_ID    0
#define KEYREQ_FIXED 16

/* key.list request */
#define LISTREQ_CURSOR 0
#define LISTREQ_MAX    4
#define LISTREQ_FIXED  8

/* sign request, and each sign.batch item */
#define SIGN_KEY_ID    0
#define SIGN_MODE      16
#define SIGN_RESERVED1 17 /* 3 bytes */
#define SIGN_DATA_OFF  20
#define SIGN_DATA_LEN  24
#define SIGN_RESERVED2 28 /* 4 bytes */
#define SIGN_FIXED     32

/* sign.tx request: fixed part, then the unsigned transaction */
#define SIGNTX_KEY_ID    0
#define SIGNTX_CHAIN     16
#define SIGNTX_FORM      17 /* enum spod_tx_form: what the bytes are; Ethereum only above 0 */
#define SIGNTX_RESERVED1 18 /* 2 bytes */
#define SIGNTX_TX_OFF    20
#define SIGNTX_TX_LEN    24
#define SIGNTX_RESERVED2 28 /* 4 bytes */
#define SIGNTX_FIXED     32

/* sign.tx response: fixed part, n_transfers entries, then the signed transaction */
#define TXR_CHAIN      0
#define TXR_KIND       1
#define TXR_N_XFERS    2
#define TXR_RESERVED1  3
#define TXR_FLAGS      4
#define TXR_CHAIN_ID   8 /* u64 */
#define TXR_SIGNED_OFF 16
#define TXR_SIGNED_LEN 20
#define TXR_RESERVED2  24 /* 8 bytes */
#define TXR_FIXED      32
#define XFER_ASSET     0
#define XFER_DECIMALS  1
#define XFER_TOKEN_LEN 2
#define XFER_TO_LEN    3
#define XFER_TOKEN     4  /* 32 bytes, zero after token_len */
#define XFER_TO        36 /* 32 bytes, zero after to_len */
#define XFER_AMOUNT    68 /* 32 bytes, big-endian */
#define XFER_BYTES     100
#define TXR_BODY_MAX   (TXR_FIXED + SPOD_TX_XFER_MAX * XFER_BYTES + SPOD_TX_SIGNED_MAX_BYTES)

/* sign.batch request */
#define BATCH_COUNT      0
#define BATCH_RESERVED   4
#define BATCH_ITEMS      8
#define BATCH_ITEM_BYTES SIGN_FIXED

/* attest request */
#define ATT_KEY_ID        0
#define ATT_FLAGS         16 /* bit 0: bind the key in ATT_KEY_ID */
#define ATT_RESERVED1     17 /* 3 bytes */
#define ATT_NONCE_OFF     20
#define ATT_NONCE_LEN     24
#define ATT_RESERVED2     28
#define ATT_FIXED         32
#define ATT_FLAG_BIND_KEY 0x01u

/* attest response */
#define DOC_OFF      0
#define DOC_LEN      4
#define DOC_RESERVED 8 /* 8 bytes */
#define DOC_FIXED    16

/* key response (key.generate, key.public) and each key.list entry */
#define KEY_ID        0
#define KEY_ALG       16
#define KEY_LABEL_LEN 17 /* u8: 0 (no label) .. SPOD_LABEL_MAX_BYTES */
#define KEY_RESERVED  18 /* 2 bytes */
#define KEY_PUB_OFF   20
#define KEY_PUB_LEN   24
#define KEY_LABEL_OFF 28 /* u32, relative to the body; 0 when label_len is 0 */
#define KEY_FIXED     32 /* a key.list entry */
/* a key response (key.generate, key.public, key.import, key.load): the 32 bytes above, then */
#define KEY_BLOB_OFF   32 /* u32: the sealed key, relative to the body; 0 when blob_len is 0 */
#define KEY_BLOB_LEN   36 /* u32: 0 (none) .. SPOD_BLOB_MAX_BYTES */
#define KEY_RESP_FIXED 40

/* sign response */
#define SIG_ALG       0
#define SIG_RECID     1
#define SIG_RESERVED1 2 /* 2 bytes */
#define SIG_OFF       4
#define SIG_LEN       8
#define SIG_RESERVED2 12
#define SIG_FIXED     16

/* info response */
#define INFO_PROTO        0
#define INFO_RESERVED1    2
#define INFO_ALG_MASK     4
#define INFO_KEY_COUNT    8
#define INFO_KEY_CAPACITY 12
#define INFO_FLAGS        16
#define INFO_VER_OFF      20
#define INFO_VER_LEN      24
#define INFO_RESERVED2    28
#define INFO_FIXED        32
#define INFO_VERSION_MAX  64

/* key.list response */
#define LIST_COUNT       0
#define LIST_NEXT        4
#define LIST_TOTAL       8
#define LIST_RESERVED    12
#define LIST_ENTRIES     16
#define LIST_ENTRY_BYTES KEY_FIXED

/* seal.setup request */
#define SETUP_MODE     0
#define SETUP_RESERVED 1 /* 7 bytes */
#define SETUP_KEY_ID   8 /* 16 bytes: the seal key id expected, all zero for none */
#define SETUP_FIXED    24

/* seal.status, seal.setup, custodian.share response */
#define SEAL_MODE      0
#define SEAL_READY     1
#define SEAL_THRESHOLD 2
#define SEAL_SHARES    3
#define SEAL_PRESENT   4
#define SEAL_RESERVED  5 /* 3 bytes */
#define SEAL_KEY_ID    8 /* 16 bytes */
#define SEAL_KEYS      24
#define SEAL_RESERVED2 28
#define SEAL_FIXED     32

/* policy.set request: fixed part, n_approvals approvals (96 bytes each), then the policy */
#define PSET_KEY_ID      0
#define PSET_N_APPROVALS 16
#define PSET_RESERVED1   17 /* 3 bytes */
#define PSET_POLICY_OFF  20 /* u32: PSET_FIXED + 96 * n_approvals */
#define PSET_POLICY_LEN  24 /* u32: 0 (remove) .. SPOD_POLICY_WIRE_MAX */
#define PSET_RESERVED2   28 /* 4 bytes */
#define PSET_FIXED       32

/* policy.get response: fixed part, then the policy */
#define POL_FLAGS      0 /* bit 0: the key has a policy */
#define POL_RESERVED1  1 /* 3 bytes */
#define POL_POLICY_OFF 4 /* u32: POL_FIXED, or 0 without a policy */
#define POL_POLICY_LEN 8
#define POL_RESERVED2  12 /* 4 bytes */
#define POL_HASH       16 /* 32 bytes */
#define POL_ADMIN_HASH 48 /* 32 bytes */
#define POL_FIXED      80
#define POL_HAS_POLICY 0x01u

/* policy.admins request (ADM_KEYS_REQ) and response (ADM_HASH, ADM_KEYS_RESP) */
#define ADM_THRESHOLD 0
#define ADM_COUNT     1
#define ADM_RESERVED  2 /* 6 bytes */
#define ADM_KEYS_REQ  8
#define ADM_HASH      8 /* 32 bytes */
#define ADM_KEYS_RESP 40

/* evidence frame (enclave -> host): fixed part, then count records of 160 bytes */
#define EV_PUB      0  /* 32 bytes */
#define EV_FIRST    32 /* u64 */
#define EV_COUNT    40 /* u32 */
#define EV_RESERVED 44 /* 4 bytes */
#define EV_SIG      48 /* 64 bytes */
#define EV_FIXED    112

/* audit.head request */
#define AHQ_MODE      0
#define AHQ_NONCE_LEN 1
#define AHQ_RESERVED  2 /* 6 bytes */
#define AHQ_SEQ       8
#define AHQ_HASH      16 /* 32 bytes */
#define AHQ_NONCE     48 /* 64 bytes, nonce_len used, the rest zero */
#define AHQ_FIXED     112

/* audit.head response */
#define AHR_MODE      0
#define AHR_NONCE_LEN 1
#define AHR_RESERVED  2 /* 6 bytes */
#define AHR_SEQ       8
#define AHR_HASH      16  /* 32 bytes */
#define AHR_NONCE     48  /* 64 bytes */
#define AHR_PUB       112 /* 32 bytes */
#define AHR_COUNTER   144
#define AHR_SIG       152 /* 64 bytes */
#define AHR_FIXED     216

/* sign.batch response */
#define BRESP_COUNT      0
#define BRESP_RESERVED   4
#define BRESP_ITEMS      8
#define BRESP_STATUS     0
#define BRESP_ALG        2
#define BRESP_RECID      3
#define BRESP_SIG_OFF    4
#define BRESP_SIG_LEN    8
#define BRESP_RESERVED2  12
#define BRESP_ITEM_BYTES 16

/*
 * Largest response bodies, used to size buffers. A key.list page of n keys is at most
 * LIST_PAGE_BODY_MAX(n): room for every key's public key and label.
 */
#define KEY_RESP_BODY_MAX                                                                          \
	(KEY_RESP_FIXED + SPOD_PUB_MAX_BYTES + SPOD_LABEL_MAX_BYTES + SPOD_BLOB_V1_MAX_BYTES)
/* policy.set answers carry a version 2 blob, which holds the policy */
#define KEY_RESP_V2_BODY_MAX                                                                       \
	(KEY_RESP_FIXED + SPOD_PUB_MAX_BYTES + SPOD_LABEL_MAX_BYTES + SPOD_BLOB_MAX_BYTES)
#define POL_RESP_BODY_MAX (POL_FIXED + SPOD_POLICY_WIRE_MAX)
#define ADM_RESP_BODY_MAX (ADM_KEYS_RESP + SPOD_POLICY_ADMINS_MAX * 32u)
#define LIST_PAGE_BODY_MAX(n)                                                                      \
	(LIST_ENTRIES +                                                                            \
	 (size_t)(n) * (LIST_ENTRY_BYTES + SPOD_PUB_MAX_BYTES + SPOD_LABEL_MAX_BYTES))
#define LIST_RESP_BODY_MAX     LIST_PAGE_BODY_MAX(SPOD_LIST_MAX_ITEMS)
#define SIGN_RESP_BODY_MAX     (SIG_FIXED + SPOD_SIG_MAX_BYTES)
#define BATCH_RESP_BODY_MAX(n) (BRESP_ITEMS + (size_t)(n) * (BRESP_ITEM_BYTES + SPOD_SIG_MAX_BYTES))
/* The largest key.list page (1024 entries, 65-byte keys, 128-byte labels) fits one frame. */
_Static_assert(LIST_RESP_BODY_MAX <= SPOD_BODY_MAX_BYTES,
               "a full key.list page must fit in one frame");

/*
 * Checks that a whole frame with body_len bytes of body fits in cap bytes and under the
 * protocol's body cap. Returns SPOD_OK or SPOD_E_TOO_LARGE.
 */
static inline int wire_room(size_t cap, size_t body_len)
{
	if (body_len > SPOD_BODY_MAX_BYTES || cap < SPOD_HDR_BYTES ||
	    body_len > cap - SPOD_HDR_BYTES)
		return SPOD_E_TOO_LARGE;
	return SPOD_OK;
}

/*
 * Checks that the reference (off, len) lies inside body[fixed..body_len) and len <= max.
 * Returns SPOD_OK with *out = body + off, SPOD_E_BAD_REF or SPOD_E_TOO_LARGE.
 */
static inline int wire_ref(const uint8_t **out, const uint8_t *body, uint32_t body_len,
                           uint32_t fixed, uint32_t off, uint32_t len, uint32_t max)
{
	*out = NULL;
	if (off < fixed || off > body_len)
		return SPOD_E_BAD_REF;
	if (len > body_len - off)
		return SPOD_E_BAD_REF;
	if (len > max)
		return SPOD_E_TOO_LARGE;
	*out = body + off;
	return SPOD_OK;
}

/* A response frame of opcode with status 0; its error code otherwise (client side). */
static inline int wire_resp_ok(const struct spod_frame *f, uint8_t opcode)
{
	SPOD_TRY(spod_wire_check_hdr(&f->hdr, 1));
	if (f->hdr.opcode != opcode)
		return SPOD_E_PROTOCOL;
	if (f->hdr.status != 0)
		return spod_err_from_status(f->hdr.status);
	return SPOD_OK;
}

#endif
