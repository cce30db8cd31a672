/*
 * The one table of spod's opcodes: for each, its name, the operation a token needs, whether
 * it names keys, whether its answers are audited, and the largest answer it can get. The
 * enclave's dispatch, the host's access control, the scopes check, the audit journal and
 * the metrics all read this table instead of keeping a switch of their own.
 */
#ifndef SPOD_WIRE_OPS_H
#define SPOD_WIRE_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "spod/wire.h"

/* Dense index of a known opcode (metrics rows, dispatch tables); SPOD_OPS_COUNT = unknown. */
enum spod_op_slot {
	SPOD_SLOT_INFO,
	SPOD_SLOT_ECHO,
	SPOD_SLOT_HELLO,
	SPOD_SLOT_KEY_GENERATE,
	SPOD_SLOT_KEY_PUBLIC,
	SPOD_SLOT_KEY_LIST,
	SPOD_SLOT_KEY_DELETE,
	SPOD_SLOT_SIGN,
	SPOD_SLOT_SIGN_BATCH,
	SPOD_SLOT_ATTEST,
	SPOD_SLOT_KEY_LOAD,
	SPOD_SLOT_KEY_IMPORT,
	SPOD_SLOT_SEAL_SETUP,
	SPOD_SLOT_SEAL_STATUS,
	SPOD_SLOT_CUSTODIAN_SHARE,
	SPOD_SLOT_SIGN_TX,
	SPOD_SLOT_POLICY_SET,
	SPOD_SLOT_POLICY_GET,
	SPOD_SLOT_POLICY_ADMINS,
	SPOD_SLOT_POLICY_SYNC,
	SPOD_SLOT_EVIDENCE,
	SPOD_SLOT_AUDIT_HEAD,
	SPOD_OPS_COUNT,
};

#define SPOD_RESP_AS_REQUEST UINT32_MAX /* echo: the answer is as large as the request */
/* need: spod-host sends it itself; an application connection may not, whatever its token. */
#define SPOD_OPS_HOST_ONLY 0x80000000u
/* key_scoped: names at most one key, optionally (attest's binding); checked when it does. */
#define SPOD_OPS_KEY_OPTIONAL 2u

struct spod_op_def {
	uint8_t opcode;
	uint8_t slot;       /* enum spod_op_slot */
	const char *name;   /* "key.generate"; also the metrics label */
	uint32_t need;      /* SPOD_HELLO_OP_* bit a token needs; 0: any authenticated token */
	uint8_t key_scoped; /* 1: names keys, each of which must be in the token's key set;
	                       SPOD_OPS_KEY_OPTIONAL: may name one, which then must be */
	uint8_t audited;    /* its answers are held until their audit records commit */
	uint32_t resp_body; /* largest answer body (error bodies aside), or SPOD_RESP_AS_REQUEST */
};

/* The definition of opcode, or NULL when v1 defines no such opcode. */
const struct spod_op_def *spod_wire_op(uint8_t opcode);

/* The definition in slot (< SPOD_OPS_COUNT). */
const struct spod_op_def *spod_wire_op_at(unsigned slot);

/* The opcode's name, or "request" for an unknown opcode. Never NULL. */
const char *spod_wire_op_name(uint8_t opcode);

#endif
