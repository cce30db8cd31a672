/*
 * spod-host internals shared by its files: forward.c (lifecycle), clients.c (application
 * connections, flow control, forwarding), pool.c (enclave connections, reconnect backoff)
 * and inflight.c (the table that maps enclave request ids back to clients).
 */
#ifndef SPOD_HOST_HOST_INT_H
#define SPOD_HOST_HOST_INT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "host/forward.h"
#include "spod/wire.h"
#include "transport/conn.h"
#include "transport/loop.h"

#define CLIENT_RX_BYTES  (2u * SPOD_FRAME_MAX_BYTES)
#define CLIENT_TX_BYTES  (8u * SPOD_FRAME_MAX_BYTES) /* a client this far behind is dropped */
#define ENCLAVE_RX_BYTES (4u * SPOD_FRAME_MAX_BYTES)
#define ENCLAVE_TX_BYTES (8u * SPOD_FRAME_MAX_BYTES)
#define INFLIGHT_SLOTS   65536u /* requests in flight across all clients */
#define ERR_FRAME_MAX    (SPOD_HDR_BYTES + SPOD_ERRMSG_MAX_BYTES)
#define BACKOFF_MIN_MS   20
#define BACKOFF_MAX_MS   2000

/*
 * Flow control: before forwarding a request the host reserves, in the client's send buffer,
 * room for the largest possible answer (spod_wire_resp_max). A client whose answers would
 * not fit is paused (its requests stay unread in rx) until it reads what it is owed, so a
 * slow reader is slowed down, never disconnected, and no answer is ever dropped.
 */
struct host_client {
	struct spod_conn c;
	struct spod_host *h;
	uint32_t index;    /* in h->clients */
	uint32_t gen;      /* matches h->client_gen[index] while open */
	uint32_t inflight; /* requests forwarded and not yet answered */
	size_t reserved;   /* send-buffer bytes promised to those answers */
	uint32_t events;   /* SPOD_EV_* currently watched */
	int dirty;         /* responses committed, flush pending this iteration */
	int paused;        /* out of credit: not reading until answers drain */
	int eof;           /* peer shut down its writing side: answer, then close */
};

struct host_enclave {
	struct spod_conn c;
	struct spod_host *h;
	int up;
	int admitted; /* up and (if admission is on) attested */
	int refused;  /* last attestation failed: retry slowly */
	uint8_t admit_nonce[32];
	unsigned index;
	uint32_t inflight;
	int dirty;
	int backoff_ms;
	struct timespec retry_at;
};

/* One forwarded request waiting for its response. */
struct inflight {
	uint64_t client_rid;
	uint32_t reserve; /* credit held in the client's send buffer */
	uint32_t client_index;
	uint32_t client_gen;
	uint32_t gen; /* bumps on every reuse so stale ids are detected */
	uint16_t enclave;
	uint8_t opcode;
	uint8_t used;
};

struct spod_host {
	struct spod_host_config cfg;
	struct spod_loop *loop;
	int listen_fd[SPOD_HOST_MAX_LISTENERS];
	int signal_fd;
	int timer_fd;
	struct host_client **clients;
	uint32_t *client_gen;
	uint32_t nclients;
	struct host_enclave enclave[SPOD_HOST_MAX_ENCLAVE_CONNS];
	struct inflight *slots;
	uint32_t *free_slots;
	uint32_t nfree;
	struct host_client **dirty_clients;
	uint32_t ndirty;
	uint32_t nwaiting; /* clients paused or half-closed, revisited after each wake-up */
	int was_ready;
};

/* in-flight table (inflight.c) */
int host_slot_alloc(struct spod_host *h, uint32_t *slot);
void host_slot_free(struct spod_host *h, uint32_t slot);
uint64_t host_slot_rid(const struct spod_host *h, uint32_t slot);
struct inflight *host_slot_lookup(struct spod_host *h, uint64_t rid, uint32_t *slot);

/* application connections (clients.c) */
struct host_client *host_client_get(struct spod_host *h, uint32_t index, uint32_t gen);
void host_client_close(struct host_client *cl);
void host_client_mark_dirty(struct host_client *cl);
void host_client_release(struct host_client *cl, const struct inflight *in);
int host_client_error(struct host_client *cl, uint8_t opcode, uint64_t rid, int err,
                      const char *what);
void host_flush_dirty(struct spod_host *h);
void host_resume_waiting(struct spod_host *h);
void host_on_accept(struct spod_loop *loop, int fd, uint32_t events, void *arg);

/* admission (admission.c) */
#define HOST_ADMIT_RID(index) ((1ull << 63) | (uint64_t)(index))
int host_admission_begin(struct host_enclave *e);
int host_admission_answer(struct host_enclave *e, const struct spod_frame *f);

/* enclave pool (pool.c) */
void host_enclave_mark_dirty(struct host_enclave *e);
struct host_enclave *host_enclave_pick(struct spod_host *h);
int host_ready(const struct spod_host *h);
void host_enclave_down(struct host_enclave *e, const char *why);
int host_enclave_connect(struct host_enclave *e);
void host_arm_timer(struct spod_host *h);
void host_note_readiness(struct spod_host *h);
void host_on_timer(struct spod_loop *loop, int fd, uint32_t events, void *arg);

#endif
