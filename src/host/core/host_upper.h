/*
 * spod-host internals: the functions of the upper layers of the daemon core, tokens.c to
 * inproc.c, in the order host_int.h lists them (which explains the layering). Included by
 * host_int.h only, after the types they use; not a header of its own to include elsewhere.
 */
#ifndef SPOD_HOST_HOST_UPPER_H
#define SPOD_HOST_HOST_UPPER_H

#ifndef SPOD_HOST_HOST_INT_H
#error "include host/core/host_int.h"
#endif

/* ---- tokens.c ---- */
/* The cached token with this hash, re-read from the store; UNAUTHENTICATED if unknown. */
int host_token_get(struct spod_host *h, struct host_token **out,
                   const uint8_t hash[SPOD_STORE_HASH_BYTES]);
int host_token_usable(const struct host_token *t);
/* Answers a hello on a connection that has no token yet: HOST_HANDLED or an error. */
int host_token_hello(struct host_client *cl, const struct spod_frame *f, const char **what);
void host_tokens_refresh(struct spod_host *h);
void host_tokens_free(struct spod_host *h);

/* ---- admit.c ---- */
#define HOST_HANDLED 1 /* answered by the host itself */
/*
 * Decides on one request of an application connection. Returns SPOD_OK to forward it (with
 * *audit set for audited opcodes, owned by the caller from then on), HOST_HANDLED when it was
 * answered here (hello, a scoped key.list), or an error to answer with, *what saying why.
 */
int host_admit(struct host_client *cl, const struct spod_frame *f, struct host_audit **audit,
               const char **what);

/* ---- dbstat.c ---- */
#define HOST_DBSTAT_MS         2000  /* the storage gauges are sampled this often */
#define HOST_DISK_WARN_MS      60000 /* the low-disk warning is logged at most this often */
#define HOST_DBSTAT_PATH_BYTES 520u
struct host_dbstat {
	struct host_metrics *m;
	char db[HOST_DBSTAT_PATH_BYTES], wal[HOST_DBSTAT_PATH_BYTES], dir[HOST_DBSTAT_PATH_BYTES];
	uint64_t warn_bytes; /* cfg->disk_warn_free_bytes */
	unsigned warn_pct;   /* cfg->disk_warn_free_pct */
	int low;             /* free space was below the threshold at the last sample */
};
/* Sets d up for cfg's database and the metrics m; SPOD_E_BAD_ARG when the path is too long. */
int host_dbstat_init(struct host_dbstat *d, const struct spod_host_config *cfg,
                     struct host_metrics *m);
/*
 * One sample into d->m: file sizes, the file system's free space (and the warning when it
 * is below the threshold), the audit head and anchor read through s. A few system calls and
 * two indexed reads: for a thread of its own (the checkpointer), never the signing path.
 */
void host_dbstat_sample(struct host_dbstat *d, struct spod_store *s);

/* ---- checkpoint.c, db.c ---- */
#define HOST_CHECKPOINT_MS      200
#define HOST_WAL_RESTART_FRAMES 4096 /* pages; with 4 KiB pages SPOD_STORE_WAL_LIMIT */
struct host_checkpointer;
/* Opens cfg's database for the thread, samples the storage gauges once, starts the thread. */
int host_checkpointer_start(struct host_checkpointer **out, const struct spod_host_config *cfg,
                            struct host_metrics *m);
void host_checkpointer_stop(struct host_checkpointer *c);
int host_db_open(struct spod_host *h);
void host_db_close(struct spod_host *h);

/* ---- seal.c ---- */
/* Sends seal.setup with the configured mode (stage SETUP). */
int host_seal_begin(struct host_enclave *e);
/* The seal.setup answer: 1 when the seal key is present, 0 when custodians' shares are
 * missing, or an error (MODE_CONFLICT: the enclave is in the other mode). */
int host_seal_answer(struct host_enclave *e, const struct spod_frame *f);
/* Records a seal state the enclave reported (audited when it changed). */
void host_seal_note(struct spod_host *h, const struct spod_seal_view *v);

/* ---- admins.c ---- */
/* Sends policy.admins with the configured set (stage ADMINS). */
int host_admins_begin(struct host_enclave *e);
/* Its answer: SPOD_OK (the enclave holds the set), or an error (the connection is refused:
 * MODE_CONFLICT, another set this boot; BAD_FIELD, a set the enclave does not take). */
int host_admins_answer(struct host_enclave *e, const struct spod_frame *f);

/* ---- admission.c ---- */
int host_admission_begin(struct host_enclave *e);
int host_admission_answer(struct host_enclave *e, const struct spod_frame *f);

/* ---- reconcile.c ---- */
/* Starts bringing the key records in line; SPOD_OK (answers continue it) or an error. */
int host_reconcile_begin(struct host_enclave *e);
/* One answer of the reconcile; 1 when it finished, 0 when more answers are due, or < 0. */
int host_reconcile_answer(struct host_enclave *e, const struct spod_frame *f);
void host_reconcile_free(struct host_enclave *e);

/* ---- answers.c ---- */
/* Routes one answer of a READY enclave connection to its client or to the journal. */
void host_route_answer(struct host_enclave *e, const struct spod_frame *f);

/* ---- pool.c ---- */
/* The connection for a request with opcode: SPOD_OK with *out, SPOD_E_NOT_PROVISIONED (only
 * connections waiting for custodians, which carry only provisioning requests), or
 * SPOD_E_UNAVAILABLE (no enclave connection ready). */
int host_enclave_pick(struct spod_host *h, uint8_t opcode, struct host_enclave **out);
int host_ready(const struct spod_host *h);
void host_enclave_down(struct host_enclave *e, const char *why);
int host_enclave_connect(struct host_enclave *e);
void host_arm_timer(struct spod_host *h);
void host_on_timer(struct spod_loop *loop, int fd, uint32_t events, void *arg);
/* Writes every enclave connection that got data this wake-up (once each). */
void host_pool_flush(struct spod_host *h);
/* Clean shutdown, the loop stopped: commits, then sends a last audit.head SIGN and waits for
 * its answer (at most wait_ms, handling what else the connection says meanwhile). */
void host_pool_final_head(struct spod_host *h, unsigned wait_ms);
/* Every HOST_WATCH_MS: closes enclave connections silent for enclave_timeout_ms while they
 * owe answers (their requests fail with UNAVAILABLE; reconnected with backoff). */
void host_pool_watch(struct spod_host *h, uint64_t now);

/* ---- clients.c ---- */
void host_on_accept(struct spod_loop *loop, int fd, uint32_t events, void *arg);
/* Serves channel ip as a connection from peer, limited like an accepted one. */
int host_client_add_inproc(struct spod_host *h, struct spod_inproc *ip,
                           const struct spod_peer *peer, struct host_client **out);
/* The SPOD_EV_* events of a connection, as its descriptor's callback gets them. */
void host_client_event(struct host_client *cl, uint32_t events);
/* Every HOST_WATCH_MS: closes connections past their hello deadline; ends an accept pause. */
void host_clients_watch(struct spod_host *h, uint64_t now);
void host_resume_waiting(struct spod_host *h);
/* Writes every client connection that got answers this wake-up (once each). */
void host_clients_flush(struct spod_host *h);

/* ---- inproc.c: the HTTP layer's channels; stopped, none opens and all are shut ---- */
int host_inproc_start(struct spod_host *h);
void host_inproc_stop(struct spod_host *h);
void host_inproc_free(struct spod_host *h);

#endif
