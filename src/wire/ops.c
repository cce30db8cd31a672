/* The opcode table (ops.h) and what is derived from it. */
#include "wire/ops.h"

#include "wire/layout.h"

/* Indexed by slot; spod_wire_op finds an opcode by scanning its rows. */
static const struct spod_op_def ops[SPOD_OPS_COUNT] = {
    [SPOD_SLOT_INFO] = {SPOD_OP_INFO, SPOD_SLOT_INFO, "info", SPOD_HELLO_OP_LIST, 0, 0,
                        INFO_FIXED + INFO_VERSION_MAX},
    [SPOD_SLOT_ECHO] = {SPOD_OP_ECHO, SPOD_SLOT_ECHO, "echo", 0, 0, 0, SPOD_RESP_AS_REQUEST},
    [SPOD_SLOT_HELLO] = {SPOD_OP_HELLO, SPOD_SLOT_HELLO, "hello", 0, 0, 0, HELLO_RESP_FIXED},
    [SPOD_SLOT_KEY_GENERATE] = {SPOD_OP_KEY_GENERATE, SPOD_SLOT_KEY_GENERATE, "key.generate",
                                SPOD_HELLO_OP_GENERATE, 0, 1, KEY_RESP_BODY_MAX},
    [SPOD_SLOT_KEY_PUBLIC] = {SPOD_OP_KEY_PUBLIC, SPOD_SLOT_KEY_PUBLIC, "key.public",
                              SPOD_HELLO_OP_LIST, 1, 0, KEY_RESP_BODY_MAX},
    [SPOD_SLOT_KEY_LIST] = {SPOD_OP_KEY_LIST, SPOD_SLOT_KEY_LIST, "key.list", SPOD_HELLO_OP_LIST, 0,
                            0, LIST_RESP_BODY_MAX},
    [SPOD_SLOT_KEY_DELETE] = {SPOD_OP_KEY_DELETE, SPOD_SLOT_KEY_DELETE, "key.delete",
                              SPOD_HELLO_OP_DELETE, 1, 1, 0},
    [SPOD_SLOT_SIGN] = {SPOD_OP_SIGN, SPOD_SLOT_SIGN, "sign", SPOD_HELLO_OP_SIGN, 1, 1,
                        SIGN_RESP_BODY_MAX},
    [SPOD_SLOT_SIGN_BATCH] = {SPOD_OP_SIGN_BATCH, SPOD_SLOT_SIGN_BATCH, "sign.batch",
                              SPOD_HELLO_OP_SIGN, 1, 1, BATCH_RESP_BODY_MAX(SPOD_BATCH_MAX_ITEMS)},
    [SPOD_SLOT_ATTEST] = {SPOD_OP_ATTEST, SPOD_SLOT_ATTEST, "attest", SPOD_HELLO_OP_ATTEST,
                          SPOD_OPS_KEY_OPTIONAL, 0, DOC_FIXED + SPOD_DOC_MAX_BYTES},
    [SPOD_SLOT_KEY_LOAD] = {SPOD_OP_KEY_LOAD, SPOD_SLOT_KEY_LOAD, "key.load", SPOD_OPS_HOST_ONLY, 0,
                            0, KEY_RESP_BODY_MAX},
    [SPOD_SLOT_KEY_IMPORT] = {SPOD_OP_KEY_IMPORT, SPOD_SLOT_KEY_IMPORT, "key.import",
                              SPOD_HELLO_OP_IMPORT, 0, 1, KEY_RESP_BODY_MAX},
    [SPOD_SLOT_SEAL_SETUP] = {SPOD_OP_SEAL_SETUP, SPOD_SLOT_SEAL_SETUP, "seal.setup",
                              SPOD_OPS_HOST_ONLY, 0, 0, SEAL_FIXED},
    [SPOD_SLOT_SEAL_STATUS] = {SPOD_OP_SEAL_STATUS, SPOD_SLOT_SEAL_STATUS, "seal.status", 0, 0, 0,
                               SEAL_FIXED},
    [SPOD_SLOT_CUSTODIAN_SHARE] = {SPOD_OP_CUSTODIAN_SHARE, SPOD_SLOT_CUSTODIAN_SHARE,
                                   "custodian.share", SPOD_HELLO_OP_PROVISION, 0, 1, SEAL_FIXED},
    /* Same scope as sign: the token's sign op on the key it names. */
    [SPOD_SLOT_SIGN_TX] = {SPOD_OP_SIGN_TX, SPOD_SLOT_SIGN_TX, "sign.tx", SPOD_HELLO_OP_SIGN, 1, 1,
                           TXR_BODY_MAX},
    /* Changing a policy takes an admin token and, outside ephemeral mode, the approvals of the
     * key's policy admins (docs/policy.md); reading it is a listing. */
    [SPOD_SLOT_POLICY_SET] = {SPOD_OP_POLICY_SET, SPOD_SLOT_POLICY_SET, "policy.set",
                              SPOD_HELLO_OP_ADMIN, 1, 1, KEY_RESP_V2_BODY_MAX},
    [SPOD_SLOT_POLICY_GET] = {SPOD_OP_POLICY_GET, SPOD_SLOT_POLICY_GET, "policy.get",
                              SPOD_HELLO_OP_LIST, 1, 0, POL_RESP_BODY_MAX},
    [SPOD_SLOT_POLICY_ADMINS] = {SPOD_OP_POLICY_ADMINS, SPOD_SLOT_POLICY_ADMINS, "policy.admins",
                                 SPOD_OPS_HOST_ONLY, 0, 0, ADM_RESP_BODY_MAX},
    [SPOD_SLOT_POLICY_SYNC] = {SPOD_OP_POLICY_SYNC, SPOD_SLOT_POLICY_SYNC, "policy.sync",
                               SPOD_OPS_HOST_ONLY, 0, 0, KEY_RESP_V2_BODY_MAX},
    /* Sent by the enclave only, never asked for: the row sizes spod-host's receive path. */
    [SPOD_SLOT_EVIDENCE] = {SPOD_OP_EVIDENCE, SPOD_SLOT_EVIDENCE, "evidence", SPOD_OPS_HOST_ONLY, 0,
                            0, EV_FIXED + SPOD_EVIDENCE_WIRE_MAX *SPOD_EVIDENCE_REC_WIRE_BYTES},
    /* Signing a head is spod-host's (admission refuses mode SIGN from applications); the
     * query is a read, like attest's statement about the enclave. */
    [SPOD_SLOT_AUDIT_HEAD] = {SPOD_OP_AUDIT_HEAD, SPOD_SLOT_AUDIT_HEAD, "audit.head",
                              SPOD_HELLO_OP_LIST, 0, 0, AHR_FIXED},
};

_Static_assert(LIST_RESP_BODY_MAX <= SPOD_BODY_MAX_BYTES, "a full key.list page fits a frame");
_Static_assert(TXR_BODY_MAX <= SPOD_BODY_MAX_BYTES, "the largest sign.tx answer fits a frame");
_Static_assert(KEY_RESP_V2_BODY_MAX <= SPOD_BODY_MAX_BYTES, "a policy.set answer fits a frame");
_Static_assert(EV_FIXED + SPOD_EVIDENCE_WIRE_MAX * SPOD_EVIDENCE_REC_WIRE_BYTES <=
                   SPOD_BODY_MAX_BYTES,
               "a full evidence frame fits a frame");
_Static_assert(POL_RESP_BODY_MAX <= SPOD_BODY_MAX_BYTES, "a policy.get answer fits a frame");
_Static_assert(BATCH_RESP_BODY_MAX(SPOD_BATCH_MAX_ITEMS) <= SPOD_BODY_MAX_BYTES,
               "a full sign.batch answer fits a frame");

const struct spod_op_def *spod_wire_op(uint8_t opcode)
{
	for (unsigned i = 0; i < SPOD_OPS_COUNT; i++)
		if (ops[i].opcode == opcode)
			return &ops[i];
	return NULL;
}

const struct spod_op_def *spod_wire_op_at(unsigned slot)
{
	return slot < SPOD_OPS_COUNT ? &ops[slot] : NULL;
}

const char *spod_wire_op_name(uint8_t opcode)
{
	const struct spod_op_def *d = spod_wire_op(opcode);
	return d != NULL ? d->name : "request";
}

size_t spod_wire_resp_max(uint8_t opcode, size_t req_frame_len)
{
	const struct spod_op_def *d = spod_wire_op(opcode);
	size_t body = d != NULL ? d->resp_body : 0;

	if (d != NULL && d->resp_body == SPOD_RESP_AS_REQUEST)
		body = req_frame_len > SPOD_HDR_BYTES ? req_frame_len - SPOD_HDR_BYTES : 0;
	if (body < SPOD_ERRMSG_MAX_BYTES)
		body = SPOD_ERRMSG_MAX_BYTES;
	return SPOD_HDR_BYTES + body;
}
