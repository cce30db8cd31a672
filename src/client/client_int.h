/*
 * libspod internals shared by its files (client.c: connections, key and signing calls,
 * pipelining; seal.c: sealing and provisioning calls; tx.c: sign.tx; policy.c: policy.set and
 * policy.get). Not exported from libspod.
 */
#ifndef SPOD_CLIENT_CLIENT_INT_H
#define SPOD_CLIENT_CLIENT_INT_H

#include "spod/client.h"
#include "transport/conn.h"

struct spod_client {
	struct spod_conn c;
	int timeout_ms;
	uint64_t next_rid;
	size_t in_flight;
	char last_error[SPOD_ERRMSG_MAX_BYTES + 1];
};

/* Reserves a whole frame of at most need bytes in tx for a synchronous call; NULL when the
 * pipeline is busy or the buffer too small (see CLIENT_SYNC_BEGIN). */
uint8_t *client_sync_begin(struct spod_client *c, size_t need, uint64_t *rid);

/*
 * Sends the frame queued in tx and waits for the response with request id rid.
 * On SPOD_OK *f views rx until the next call on this client; a pod error is returned with
 * its message kept for spod_client_last_error.
 */
int client_roundtrip(struct spod_client *c, struct spod_frame *f, uint64_t rid);

/* A synchronous request with an empty body; the answer in *f as client_roundtrip gives it. */
int client_empty_call(struct spod_client *c, struct spod_frame *f, uint8_t opcode);

void client_copy_key(struct spod_key_info *out, const struct spod_key_view *v);

#define SYNC_BEGIN(c, need, rid, out)                                                              \
	do {                                                                                       \
		(out) = client_sync_begin((c), (need), &(rid));                                    \
		if ((out) == NULL)                                                                 \
			return (c)->in_flight > 0 ? SPOD_E_BUSY : SPOD_E_TOO_LARGE;                \
	} while (0)

#endif
