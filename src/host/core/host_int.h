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

#include "host/auth/auth.h"
#include "host/core/forward.h"
#include "host/core/metrics.h"
#include "host/store/store.h"
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
/*
 * A token as the host holds it while connections use it (access.c): found by hash at hello,
 * shared by every connection that presented it (so is its rate bucket), re-read from the
 * store every HOST_REFRESH_MS so a revocation reaches open connections.
 */
struct host_token {
	struct host_token *next;
	uint8_t id[SPOD_STORE_TOKEN_ID_BYTES];
	uint8_t hash[SPOD_STORE_HASH_BYTES];
	int64_t expires_ms; /* 0 = never */
	int revoked;
	int has_labels; /* some keys= entry names a label: look keys' labels up */
	uint32_t refs;
	struct spod_auth_bucket bucket;
	struct spod_auth_scopes scopes;
};
#define HOST_REFRESH_MS 1000

/* One audited item: a signature, a generated or a deleted key. */
struct host_audit_item {
	uint8_t key_id[SPOD_KEY_ID_BYTES];
	uint8_t digest[SPOD_DIGEST_BYTES]; /* signatures: the digest, or SHA-256 of the message */
	uint8_t mode;
	uint32_t len; /* message length */
};

/*
 * What the audit records of a forwarded request need, captured when the request was read
 * (the frame is gone when the answer comes). Owned by its in-flight slot.
 */
struct host_audit {
	/* key.generate with a label: h->pending_labels list; while spare: h->spare_audits */
	struct host_audit *next_label;
	uint8_t opcode;
	uint8_t alg;                          /* key.generate */
	char label[SPOD_LABEL_MAX_BYTES + 1]; /* key.generate; "" for none */
	uint8_t token_id[SPOD_STORE_TOKEN_ID_BYTES];
	uint32_t n;
	struct host_audit_item items[]; /* n of them */
};

struct host_client {
	struct spod_conn c;
	struct spod_host *h;
	struct host_token *tok; /* NULL until a hello succeeded */
	uint32_t index;         /* in h->clients */
	uint32_t gen;           /* matches h->client_gen[index] while open */
	uint32_t inflight;      /* requests forwarded and not yet answered */
	size_t reserved;        /* send-buffer bytes promised to those answers */
	uint32_t events;        /* SPOD_EV_* currently watched */
	int dirty;              /* responses committed, flush pending this iteration */
	int paused;             /* out of credit: not reading until answers drain */
	int eof;                /* peer shut down its writing side: answer, then close */
	int closing; /* refused (authentication): read nothing more, close when answered */
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
	struct host_audit *audit; /* NULL for requests that are not audited */
	uint64_t t0_ns;           /* when the request was read (CLOCK_MONOTONIC) */
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
	int refresh_fd;
	struct host_metrics metrics;
	/* access.c */
	struct spod_store *store;
	struct host_checkpointer *checkpointer;
	struct host_token *tokens;
	struct host_audit *pending_labels;
	struct host_audit *spare_audits; /* single-item ones, reused (linked by next_label) */
	uint32_t nspare_audits;
	/* journal.c: answers held until their audit records are committed */
	struct host_held *held;
	uint32_t nheld, held_cap;
	uint8_t *held_bytes;
	size_t held_len, held_byte_cap;
	struct host_rec *recs;
	uint32_t nrecs, recs_cap;
	struct spod_audit_rec *rec_views; /* what spod_store_audit_append reads, per commit */
	uint32_t rec_views_cap;
	void *md_ctx;             /* EVP_MD_CTX for message digests */
	uint64_t audit_err_ns;    /* when a failed commit was last logged */
	uint64_t audit_err_quiet; /* failed commits not logged since */
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
/* Writes an error answer with the message msg as it is; counts it. SPOD_OK or SPOD_E_BUSY. */
int host_client_error_text(struct host_client *cl, uint8_t opcode, uint64_t rid, int err,
                           const char *msg);
/* The same with the message "what: <spod_strerror(err)>". */
int host_client_error(struct host_client *cl, uint8_t opcode, uint64_t rid, int err,
                      const char *what);
void host_flush_dirty(struct spod_host *h);
void host_resume_waiting(struct spod_host *h);
void host_on_accept(struct spod_loop *loop, int fd, uint32_t events, void *arg);

/* tokens and per-request authorization (access.c) */
#define HOST_HANDLED 1 /* host_access_admit answered the request itself */
int host_access_open(struct spod_host *h);
void host_access_close(struct spod_host *h);
/*
 * Decides on one request of an application connection. Returns SPOD_OK to forward it (with
 * *audit set for audited opcodes, owned by the caller from then on), HOST_HANDLED when it was
 * answered here (hello), or an error to answer with, *what saying why.
 */
int host_access_admit(struct host_client *cl, const struct spod_frame *f, struct host_audit **audit,
                      const char **what);
void host_access_release(struct host_client *cl);
void host_access_refresh(struct spod_host *h);
void host_audit_free(struct spod_host *h, struct host_audit *a);
uint64_t host_now_ns(void);
int64_t host_wall_ms(void);

/* the WAL checkpointer thread (checkpoint.c) */
#define HOST_CHECKPOINT_MS      200
#define HOST_WAL_RESTART_FRAMES 4096 /* pages; with 4 KiB pages SPOD_STORE_WAL_LIMIT */
struct host_checkpointer;
int host_checkpointer_start(struct host_checkpointer **out, const char *db_path);
void host_checkpointer_stop(struct host_checkpointer *c);

/* the audit journal (journal.c) */
void host_journal_answer(struct spod_host *h, struct inflight *in, const struct spod_frame *f);
/* Commits the queued records and releases the held answers; the append's result. */
int host_journal_commit(struct spod_host *h);
void host_journal_lost(struct spod_host *h, const struct host_audit *a);
void host_journal_free(struct spod_host *h);
int host_journal_record(struct spod_host *h, const char *kind, const uint8_t *key_id,
                        const uint8_t *token_id, const uint8_t *digest, int result,
                        const char *detail);
void host_answer_count(struct spod_host *h, uint8_t opcode, int status);

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
