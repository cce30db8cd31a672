/*
 * Request handlers of spod-enclave: one validated frame in, one response frame out,
 * written straight into the connection's send buffer. Request bytes are read in place
 * through the wire views and never copied.
 */
#ifndef SPOD_ENCLAVE_HANDLERS_H
#define SPOD_ENCLAVE_HANDLERS_H

#include <stddef.h>
#include <stdint.h>

#include "enclave/evidence.h"
#include "enclave/keystore.h"
#include "enclave/seal.h"
#include "nsm/nsm.h"
#include "spod/wire.h"

/*
 * Largest response any request can produce; the caller reserves this much send space.
 * An echo of the largest legal body (docs/protocol.md) is a whole frame; a full key.list
 * page is smaller.
 */
#define SPOD_ENCLAVE_RESP_MAX SPOD_FRAME_MAX_BYTES
_Static_assert(SPOD_HDR_BYTES + 16u +
                       SPOD_LIST_MAX_ITEMS * (32u + SPOD_PUB_MAX_BYTES + SPOD_LABEL_MAX_BYTES) <=
                   SPOD_ENCLAVE_RESP_MAX,
               "a full key.list page (labels included) must fit in SPOD_ENCLAVE_RESP_MAX");

struct spod_enclave_state {
	struct spod_keystore *keys;
	struct spod_nsm *nsm; /* attestation; NULL only in unit tests */
	/* The seal mode and key, and the X25519 provisioning key whose public half every
	 * document carries in public_key (DESIGN §4; seal.h). */
	struct spod_enclave_seal seal;
	uint8_t *scratch; /* SPOD_ENVELOPE_PAYLOAD_MAX bytes of locked memory: opened envelopes */
	uint32_t flags;   /* SPOD_INFO_NSM_* reported by info; the seal flags come from seal */
	const char *why;  /* the current request's error detail (static text), or NULL */
	char why_buf[SPOD_ERRMSG_MAX_BYTES]; /* a detail made for this request (why points here) */
	/* The policy-admin set registered this boot (policy.admins; docs/policy.md). */
	struct {
		uint8_t threshold, count; /* count 0: none registered */
		uint8_t keys[SPOD_POLICY_ADMINS_MAX * 32];
		uint8_t hash[32];
	} admins;
	/* The evidence key, counter and last signed audit head (docs/evidence.md). */
	struct spod_enclave_evidence ev;
	/* The current connection's records not signed yet: server.c points it at the connection
	 * whose frame spod_enclave_handle answers. NULL: no records are made (unit tests of other
	 * things). */
	struct spod_ev_batch *ev_batch;
	/* On a worker thread (enclave/workers.h): the keys the event loop pinned for this request,
	 * in the order its handler looks them up (NULL: not found then); their policies are not
	 * read, since keys with a policy are signed on the loop. NULL: look keys up in keys. */
	const struct spod_key_entry *const *pinned;
	uint32_t npinned, next_pin;
	/* counters for logs and tests */
	uint64_t requests;
	uint64_t errors;
};

/*
 * Handles frame f and writes exactly one response frame (success or error) to out, which
 * has cap >= SPOD_ENCLAVE_RESP_MAX bytes. Returns the response length. Never fails: every
 * problem with the request becomes an error response carrying its status and message.
 */
size_t spod_enclave_handle(struct spod_enclave_state *st, const struct spod_frame *f, uint8_t *out,
                           size_t cap) __attribute__((nonnull));

/*
 * Writes an error response "<what>: <message>" (what NULL: the opcode name) for a frame
 * that could not be handled; cap >= SPOD_ENCLAVE_RESP_MAX. Returns the response length.
 */
size_t spod_enclave_error(uint8_t *out, size_t cap, uint8_t opcode, uint64_t rid, int err,
                          const char *what) __attribute__((nonnull(1)));

#endif
