/*
 * spod-host internals shared by the files of its daemon core. The files form one-way layers:
 * each calls only the ones listed before it here, never one after it.
 *
 *   clock.c      the one place time is read
 *   metrics.c    counters and histograms (metrics.h)
 *   keyindex.c   the labels of the stored keys in memory (deleted ones dropped, lost ones
 *                marked), for the key-scope check without a SQLite query per request
 *   inflight.c   the table that maps enclave request ids back to clients
 *   reply.c      writing answers into an application connection's send buffer; closing one;
 *                the host's own requests to an enclave connection
 *   policy_sync.c the keys with a policy; their window and rate state re-sealed (policy.sync)
 *                and stored
 *   facts.c      audit facts of requests in flight, with the label and keys-max place each
 *                key.generate / key.import holds until it is answered
 *   evidence.c   the enclave's evidence key per connection, its evidence batches until they
 *                commit with the audit records, the audit heads it signs
 *   journal_withhold.c the records of a failed commit, kept queued as withheld
 *   journal.c    audit records, answers held until their records commit (group commit)
 *   tokens.c     the token cache and the hello that authenticates a connection
 *   admit.c      request admission: the token's validity, rate and scopes per request, and
 *                the audit facts it captures
 *   dbstat.c     storage gauges (database size, free disk, audit head), the low-disk warning
 *   checkpoint.c the WAL checkpointer thread, which also samples the storage gauges
 *   db.c         the database: opening it with its checkpointer; the bootstrap admin token
 *   seal.c       the seal mode asked of each enclave boot; the seal state the host knows
 *   admins.c     the policy-admin set registered with each enclave connection before its keys
 *                load
 *   admission.c  an enclave connection proves what it runs (attestation)
 *   reconcile.c  after admission, the host's key records are brought in line with the keys
 *                the enclave holds
 *   answers.c    routing an enclave's answer to its client or to the journal
 *   pool.c       enclave connections: connect, set-up (admission, reconcile), loss, backoff
 *   clients.c    application connections: accept, flow control, forwarding requests
 *   inproc.c     in-process channels (spod-host's HTTP layer) served as application
 *                connections
 *   forward.c    lifecycle: set-up, the loop's once-per-wake-up flush, teardown
 *
 * config.c, config_values.c and main.c (settings and the command line) sit on top. A check
 * of this order: every host_* function a file calls is defined in a file listed before it.
 */
#ifndef SPOD_HOST_HOST_INT_H
#define SPOD_HOST_HOST_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "host/auth/auth.h"
#include "host/core/forward.h"
#include "host/core/metrics.h"
#include "host/store/store.h"
#include "spod/wire.h"
#include "transport/conn.h"
#include "transport/inproc.h"
#include "transport/loop.h"
#include "transport/socket.h"

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
 * A token as the host holds it while connections use it (tokens.c): found by hash at hello,
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
	uint32_t refs;  /* connections authenticated with it (host_client.tok) */
	/* key.generate / key.import admitted and not yet answered (keys-max counts them) */
	uint32_t keys_pending;
	struct spod_auth_bucket bucket;       /* rate= */
	struct spod_auth_bucket audit_bucket; /* audit-rate= */
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
	/* key.generate, key.import: the token, whose keys_pending counts this request until
	 * the audit is freed, and whose labels= the enclave's answer must obey. The cache
	 * entry is kept while keys_pending is not 0, even once the token is revoked. */
	struct host_token *creator;
	uint32_t n;
	struct host_audit_item items[]; /* n of them */
};

struct host_client {
	struct spod_conn c;     /* c.fd is -1 on an in-process channel */
	struct spod_inproc *ip; /* NULL: a socket accepted from a listener */
	struct spod_host *h;
	struct host_token *tok; /* NULL until a hello succeeded */
	uint32_t index;         /* in h->clients */
	uint32_t gen;           /* matches h->client_gen[index] while open */
	uint32_t inflight;      /* requests forwarded and not yet answered */
	size_t reserved;        /* send-buffer bytes promised to those answers */
	uint32_t events;        /* SPOD_EV_* currently watched */
	uint8_t front;          /* enum host_front: spod-host's own HTTP layer, or binary */
	int dirty;              /* responses committed, flush pending this iteration */
	int paused;             /* out of credit: not reading until answers drain */
	int eof;                /* peer shut down its writing side: answer, then close */
	int closing; /* refused (authentication): read nothing more, close when answered */
	/* Until its hello succeeds: on h's list of such connections, oldest first (reply.c). */
	int unauth;
	struct host_client *unauth_prev, *unauth_next;
	uint64_t accepted_ns;
	struct spod_peer peer;
};

#define HOST_EV_SPARE     64u /* committed evidence batches kept for the next frames */
#define HOST_EV_SPARE_MIN 16u /* records an evidence batch has room for at least */

#define HOST_ACCEPT_BATCH    64  /* accepts per listener wake-up, so hellos interleave */
#define HOST_WATCH_MS        100 /* deadlines are checked this often (forward.c) */
#define HOST_ACCEPT_PAUSE_MS 100 /* listeners rest this long when out of descriptors */

/* Where an enclave connection is on its way to carrying requests (pool.c). */
enum host_enclave_stage {
	HOST_ENCLAVE_DOWN,      /* not connected; retried at retry_ns */
	HOST_ENCLAVE_ATTESTING, /* waiting for the attestation document (admission.c) */
	HOST_ENCLAVE_SETUP,     /* waiting for the answer to seal.setup (seal.c) */
	HOST_ENCLAVE_WAITING,   /* custodian mode without the seal key: carries only what
	                           provisioning needs (attest, seal.status, custodian.share) */
	HOST_ENCLAVE_ADMINS,    /* waiting for the answer to policy.admins (admins.c) */
	HOST_ENCLAVE_SYNCING,   /* replaying sealed keys, reconciling records (reconcile.c) */
	HOST_ENCLAVE_READY,     /* carries application requests */
};

/* What the host knows of the enclave's seal state (seal.c); the HTTP thread reads it. */
struct host_seal_state {
	pthread_mutex_t lock;
	int known;
	uint8_t mode, ready, threshold, shares, present;
	uint8_t seal_key_id[16];
};

struct host_reconcile; /* reconcile.c */

/*
 * The key index (keyindex.c): key id -> label of every stored key that has a label and is not
 * deleted, with whether it is lost. Open addressing, at most half full, at most
 * HOST_KEYINDEX_MAX_SLOTS slots; a slot is free when its label is NULL.
 */
#define HOST_KEYINDEX_MIN_SLOTS 64u
#define HOST_KEYINDEX_MAX_SLOTS (1u << 24) /* 8 Mi labelled keys; beyond: the store answers */
struct host_keyindex_slot {
	uint8_t id[SPOD_KEY_ID_BYTES];
	char *label; /* owned, NUL-terminated, 1..SPOD_LABEL_MAX_BYTES; NULL: free slot */
	uint8_t lost;
};
struct host_keyindex {
	struct host_keyindex_slot *slots;
	uint32_t cap; /* 0 or a power of two */
	uint32_t n;   /* entries */
	int complete; /* 0 after a failed insertion: lookups go to the store (host_key_label) */
};

/*
 * The keys with a policy (policy_sync.c): an open-addressing table of key ids, at most half
 * full, so bounded by the number of keys; and the policy.sync requests in flight.
 */
#define HOST_POLICY_SYNC_MS  1000 /* dirty policy keys are re-sealed this often */
#define HOST_POLICY_SYNC_MAX 256u /* policy.sync requests in flight, all connections */
struct host_psync_key {
	uint8_t id[SPOD_KEY_ID_BYTES];
	uint32_t gen;  /* changes with every policy.set answer for the key */
	uint8_t used;  /* the slot holds a key */
	uint8_t dirty; /* signed since its last sync was sent */
	uint8_t out;   /* a policy.sync of this generation is in flight */
};
struct host_psync_out {
	uint8_t id[SPOD_KEY_ID_BYTES];
	uint32_t gen; /* the key's generation when it was sent */
	uint16_t enclave;
	uint8_t used;
};
struct host_psync {
	struct host_psync_key *keys;
	uint32_t cap;    /* slots: 0 or a power of two */
	uint32_t n;      /* keys in the table */
	uint32_t ndirty; /* of them dirty */
	uint32_t cursor; /* where the next tick's scan starts */
	uint32_t next_gen;
	uint32_t nout; /* used entries of out */
	struct host_psync_out out[HOST_POLICY_SYNC_MAX];
};

struct host_enclave {
	struct spod_conn c;
	struct spod_host *h;
	enum host_enclave_stage stage;
	int refused; /* last attestation failed: retry slowly */
	int served;  /* reached WAITING or READY since it connected: backoff starts over */
	uint8_t admit_nonce[32];
	unsigned index;
	uint32_t inflight;
	int dirty;
	int backoff_ms;
	uint64_t retry_ns;    /* host_now_ns() of the next connection attempt, while DOWN */
	uint64_t progress_ns; /* last sign of life: connected, bytes read, first request sent */
	uint32_t syncs_out;   /* policy.sync requests in flight (policy_sync.c) */
	struct host_reconcile *sync;
	/* evidence.c: the evidence public key this connection's attestation document bound */
	uint8_t ev_pub[32];
	int has_ev_pub;
};

/* One forwarded request waiting for its response. */
struct inflight {
	struct host_audit *audit; /* NULL for requests that are not audited */
	uint64_t t0_ns;           /* when the request was read (host_now_ns) */
	uint64_t client_rid;
	uint32_t reserve; /* credit held in the client's send buffer */
	uint32_t client_index;
	uint32_t client_gen;
	uint32_t gen; /* bumps on every reuse so stale ids are detected */
	uint16_t enclave;
	uint8_t opcode;
	uint8_t front; /* enum host_front, for the latency histogram */
	uint8_t used;
};

struct spod_host {
	struct spod_host_config cfg;
	struct spod_loop *loop;
	int listen_fd[SPOD_HOST_MAX_LISTENERS];
	struct spod_inproc_hub *inproc; /* the HTTP layer's channels (inproc.c) */
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
	struct host_client *unauth_head, *unauth_tail; /* no token yet, oldest first */
	uint32_t nunauth;
	uint64_t accept_resume_ns; /* listeners paused (out of descriptors) until then; 0: not */
	int watch_fd;
	int was_ready;
	int refresh_fd;
	int psync_fd; /* every HOST_POLICY_SYNC_MS (policy_sync.c) */
	struct host_metrics metrics;
	/* db.c, tokens.c */
	struct spod_store *store;
	struct host_keyindex keys; /* the labels of the stored keys (keyindex.c) */
	struct host_checkpointer *checkpointer;
	struct host_token *tokens; /* the token cache (tokens.c) */
	uint32_t ntokens;          /* its entries */
	void *md_ctx;              /* EVP_MD_CTX for message digests (admit.c) */
	void *sha256;              /* EVP_MD SHA-256, fetched once (no fetch per request) */
	/* journal.c: audit facts, and answers held until their audit records are committed */
	struct host_audit *pending_labels;
	struct host_audit *spare_audits; /* single-item ones, reused (linked by next_label) */
	uint32_t nspare_audits;
	struct host_held *held;
	uint32_t nheld, held_cap;
	uint32_t nreleased; /* held[0..nreleased) were released, their latency not yet counted */
	uint8_t *held_bytes;
	size_t held_len, held_byte_cap;
	struct host_rec *recs;
	uint32_t nrecs, recs_cap;
	struct spod_audit_rec *rec_views; /* what spod_store_audit_append reads, per commit */
	uint32_t rec_views_cap;
	struct host_pending_key *pkeys; /* new keys and blobs, stored with the next commit */
	uint32_t npkeys, pkeys_cap;
	uint8_t *pkey_bytes; /* their blobs */
	size_t pkey_len, pkey_cap;
	struct spod_store_sealed *sealed_views; /* what spod_store_commit_batch reads */
	uint32_t sealed_views_cap;
	struct host_seal_state seal;
	struct host_psync psync;                     /* the keys with a policy (policy_sync.c) */
	uint8_t admins_hash[SPOD_POLICY_HASH_BYTES]; /* the admin set last logged (admins.c) */
	int admins_known;
	uint64_t audit_err_ns;    /* when a failed commit was last logged */
	uint64_t audit_err_quiet; /* failed commits not logged since */
	/* evidence.c: evidence batches waiting for the next commit, oldest first */
	struct host_ev_batch **ev;
	uint32_t nev, ev_cap;
	size_t ev_bytes;      /* their records, bounded by HOST_EVIDENCE_PENDING_BYTES */
	uint64_t ev_since_ns; /* when the oldest of them arrived */
	int ev_flush;         /* commit them at the next host_journal_commit (a clean stop) */
	struct spod_store_evidence *ev_views; /* what spod_store_commit_all reads */
	uint32_t ev_views_cap;
	/* committed batches kept for the next frames: no allocation per evidence frame */
	struct host_ev_batch *ev_spare[HOST_EV_SPARE];
	uint32_t nev_spare;
	/* evidence.c: signed audit heads */
	int head_fd;  /* every cfg.audit_head_interval_ms; -1: off */
	int head_out; /* an audit.head SIGN is in flight on enclave head_enclave */
	unsigned head_enclave;
	uint64_t head_sent_ns;
	uint8_t head_nonce[16];
	uint64_t head_out_seq; /* the head in flight */
	uint8_t head_out_hash[32];
	uint64_t head_seq; /* the head last signed, and by which key */
	uint8_t head_hash[32];
	uint8_t head_pub[32];
};

/* ---- clock.c ---- */
uint64_t host_now_ns(void); /* CLOCK_MONOTONIC, nanoseconds */
int64_t host_wall_ms(void); /* CLOCK_REALTIME, milliseconds since the Unix epoch */

/* ---- keyindex.c ---- */
/* An empty, complete index. */
void host_keyindex_init(struct host_keyindex *x);
/*
 * Adds or updates the key id with its label ("" removes it: no label to match) and lost
 * state. SPOD_OK; SPOD_E_BAD_ARG for a label over SPOD_LABEL_MAX_BYTES; SPOD_E_NOMEM (out
 * of memory or the table at its bound), which marks the index incomplete.
 */
int host_keyindex_put(struct host_keyindex *x, const uint8_t *id, const char *label, int lost);
/* Forgets the key id (deleted); never fails, never allocates. */
void host_keyindex_remove(struct host_keyindex *x, const uint8_t *id);
/* Marks the key id lost (1) or held again (0), when the index has it. */
void host_keyindex_set_lost(struct host_keyindex *x, const uint8_t *id, int lost);
/* The label of a live labelled key, NULL otherwise; valid until the index next changes. */
const char *host_keyindex_label(const struct host_keyindex *x, const uint8_t *id);
/* Frees every entry; the index is empty and complete again. */
void host_keyindex_free(struct host_keyindex *x);
/* Fills h->keys from the store's key records; on error it stays incomplete (logged). */
int host_keyindex_load(struct spod_host *h);
/*
 * *label = the current label of the key id if it is live and labelled, else NULL: from the
 * index, or (index incomplete) from the store, copied into buf[0..cap). SPOD_OK, or the
 * store's error. *label lives until the index changes or buf is reused.
 */
int host_key_label(struct spod_host *h, const uint8_t *id, char *buf, size_t cap,
                   const char **label);

/* ---- inflight.c ---- */
int host_slot_alloc(struct spod_host *h, uint32_t *slot);
void host_slot_free(struct spod_host *h, uint32_t slot);
uint64_t host_slot_rid(const struct spod_host *h, uint32_t slot);
struct inflight *host_slot_lookup(struct spod_host *h, uint64_t rid, uint32_t *slot);

/* ---- reply.c ---- */
struct host_client *host_client_get(struct spod_host *h, uint32_t index, uint32_t gen);
void host_client_close(struct host_client *cl);
/* The list of connections without a token, oldest first: a new one joins at the tail; one
 * leaves when its hello succeeds or it closes (host_client_close does it). */
void host_client_unauth_add(struct host_client *cl);
void host_client_unauth_remove(struct host_client *cl);
void host_client_mark_dirty(struct host_client *cl);
/* One read into the client's receive buffer, socket or channel: spod_conn_fill's contract. */
long host_client_fill(struct host_client *cl);
/* Writes the client's send buffer now; SPOD_OK, SPOD_E_AGAIN (partly written) or an error. */
int host_client_flush(struct host_client *cl);
/* Gives back the credit of one answered (or failed) request. */
void host_client_release(struct host_client *cl, uint32_t reserve);
/* Writes an error answer with the message msg as it is; counts it. SPOD_OK or SPOD_E_BUSY. */
int host_client_error_text(struct host_client *cl, uint8_t opcode, uint64_t rid, int err,
                           const char *msg);
/* The same with the message "what: <spod_strerror(err)>". */
int host_client_error(struct host_client *cl, uint8_t opcode, uint64_t rid, int err,
                      const char *what);
/* Copies a whole answer frame into the client's send buffer (within the credit it holds). */
int host_client_answer(struct host_client *cl, const uint8_t *frame, size_t len, uint8_t opcode,
                       int status);
void host_answer_count(struct spod_host *h, uint8_t opcode, int status);
static inline void host_enclave_mark_dirty(struct host_enclave *e)
{
	e->dirty = 1;
}
/*
 * ---- requests the host itself sends to an enclave connection (admission.c, reconcile.c) ----
 * Their ids have the top bit set, so they can never be taken for a forwarded request's.
 */
#define HOST_CTL_RID(index, step) ((1ull << 63) | ((uint64_t)(step) << 16) | (uint64_t)(index))
#define HOST_CTL(rid)             (((rid) >> 63) != 0)
#define HOST_CTL_STEP(rid)        (((rid) & ~(1ull << 63)) >> 16)
#define HOST_STEP_ATTEST          0ull
#define HOST_STEP_SETUP           1ull
#define HOST_STEP_INFO            2ull
#define HOST_STEP_ADMINS          3ull
#define HOST_STEP_EVKEY           4ull         /* attest for the evidence key, admission off */
#define HOST_STEP_LIST            0x100ull     /* + page number */
#define HOST_STEP_LOAD            (1ull << 32) /* + the key's index in the snapshot */
#define HOST_STEP_DELETE          (2ull << 32) /* a key whose record could not be stored */
#define HOST_STEP_SYNC            (3ull << 32) /* + the policy.sync's slot (policy_sync.c) */
#define HOST_STEP_HEAD            (4ull << 32) /* audit.head SIGN (evidence.c) */

/* Writes an encoded control request into e's send buffer; SPOD_OK or SPOD_E_INTERNAL. */
int host_enclave_send(struct host_enclave *e, const uint8_t *frame, size_t len);

/*
 * A key the enclave made, with its sealed blob, waiting for the commit of its audit record.
 * The blob is at blob_off in h->pkey_bytes (blobs are up to SPOD_STORE_BLOB_MAX_BYTES, 120 KiB,
 * but a new key's is a few hundred bytes: they are not kept in fixed slots).
 */
struct host_pending_key {
	struct spod_store_key key;
	size_t blob_off, blob_len;
	uint16_t enclave;
};

/* One audit record queued for the next commit, with its own storage (spod_audit_rec only
 * points). */
struct host_rec {
	int64_t time_ms;
	int32_t result;
	uint8_t has_key, has_token, digest_len;
	char kind[SPOD_AUDIT_KIND_MAX_BYTES + 1];
	uint8_t key_id[SPOD_KEY_ID_BYTES];
	uint8_t token_id[SPOD_STORE_TOKEN_ID_BYTES];
	uint8_t digest[SPOD_DIGEST_BYTES];
	char detail[200];
};

/* ---- journal_withhold.c ---- */
/*
 * A commit failed: its records stay queued for the next one, marked withheld (result
 * UNAVAILABLE), since their answers were withheld but the enclave acted (and its evidence says
 * so). At most HOST_WITHHELD_MAX stay; beyond that the newest are dropped, logged.
 */
#define HOST_WITHHELD_MAX 65536u
void host_journal_withhold(struct spod_host *h);

/* ---- policy_sync.c ---- */
/* Reconcile: a stored blob of version 2 (a key with a policy); a key new to the set is synced
 * once. SPOD_OK or SPOD_E_NOMEM. */
int host_psync_add(struct spod_host *h, const uint8_t *key_id);
/* A policy.set answer whose blob was stored: version 2 joins the set (synced soon),
 * version 1 (policy removed) leaves it. */
void host_psync_policy(struct spod_host *h, const uint8_t *key_id, const uint8_t *blob,
                       size_t blob_len);
/* A deleted key leaves the set. */
void host_psync_forget(struct spod_host *h, const uint8_t *key_id);
/* A signature answered OK: its key, if it has a policy, is dirty. O(1), no allocation. */
void host_psync_signed(struct spod_host *h, const uint8_t *key_id);
/* Every HOST_POLICY_SYNC_MS: policy.sync for the dirty keys on a ready connection. */
void host_psync_tick(struct spod_host *h);
/* A policy.sync answer (control step HOST_STEP_SYNC + slot) of a ready connection. */
void host_psync_answer(struct host_enclave *e, const struct spod_frame *f);
/* e went down: its policy.sync requests are lost, their keys dirty again. */
void host_psync_lost(struct host_enclave *e);
void host_psync_free(struct spod_host *h);

/* ---- facts.c ---- */
/* Audit facts for a request with n items (0 for key.generate); NULL when out of memory. */
struct host_audit *host_audit_new(struct spod_host *h, uint8_t opcode, uint32_t n,
                                  const uint8_t token_id[SPOD_STORE_TOKEN_ID_BYTES]);
/* Releases a's label and keys-max place, and a itself (kept for reuse when small). */
void host_audit_free(struct spod_host *h, struct host_audit *a);
void host_audit_spares_free(struct spod_host *h);
/* Counts a's request in t->keys_pending until a is freed; the journal checks the answer's
 * label against t's labels=. */
void host_audit_set_creator(struct host_audit *a, struct host_token *t);
/* Whether a key waiting for the next commit has this label. */
int host_label_queued(const struct spod_host *h, const char *label);
/* How many keys waiting for the next commit the token with this id made. */
uint32_t host_keys_queued(const struct spod_host *h,
                          const uint8_t token_id[SPOD_STORE_TOKEN_ID_BYTES]);
/* Reserves a's label for its key.generate until the answer; SPOD_E_LABEL_TAKEN when a live
 * key or another generate in flight has it. */
int host_audit_claim_label(struct spod_host *h, struct host_audit *a);

/* ---- evidence.c ---- */
/* One evidence frame's content, copied out of the receive buffer, waiting for a commit. */
struct host_ev_batch {
	uint8_t pub[32];
	uint8_t sig[64];
	uint64_t first;
	uint32_t count;
	uint32_t cap; /* records it has room for (kept for reuse in h->ev_spare) */
	int64_t time_ms;
	uint8_t records[]; /* count * SPOD_EVIDENCE_REC_WIRE_BYTES */
};
#define HOST_EVIDENCE_PENDING_BYTES (16u << 20) /* records waiting for a commit, at most */
/*
 * Evidence rides along with the next commit of audit records; alone it is committed once it has
 * waited this long (checked every wake-up, and HOST_WATCH_MS wakes the loop when idle). A
 * commit of its own per evidence frame would cost one SQLite transaction per request at one
 * request per wake-up, on the event loop that serves the next request.
 */
#define HOST_EVIDENCE_DELAY_NS  (100ull * 1000000ull)
#define HOST_HEAD_FINAL_WAIT_MS 500 /* shutdown waits this long for the last head */
/* Admission off: sends attest at connect (stage ATTESTING) only to learn the evidence key. */
int host_evidence_attest_begin(struct host_enclave *e);
/* Its answer: SPOD_OK, with or without a key (a warning says which); SPOD_E_PROTOCOL when
 * the connection answered something else first. */
int host_evidence_attest_answer(struct host_enclave *e, const struct spod_frame *f);
/* The evidence key in a document's user_data (ud from it, doc its bytes) becomes e's and is
 * stored with the document; none (an older enclave) or a storage error: e has none. */
void host_evidence_key(struct host_enclave *e, const struct spod_attest_user_data *ud,
                       const uint8_t *doc, size_t doc_len);
/* An evidence frame from e: checked, copied to the pending list (or dropped, logged). */
void host_evidence_frame(struct host_enclave *e, const struct spod_frame *f);
/* spod_store_commit_all with the pending evidence; on success it is released. A batch the
 * store refuses (SPOD_E_BAD_ARG) is dropped and the rest committed without evidence. */
int host_evidence_commit(struct spod_host *h, const struct spod_store_sealed *keys, size_t nkeys,
                         const struct spod_audit_rec *recs, size_t n);
void host_evidence_free(struct spod_host *h);
/* Sends audit.head SIGN for the store's head, on a ready connection with an evidence key,
 * unless one is in flight or that key signed this head already: 1 when sent, else 0. */
int host_head_send(struct spod_host *h);
/* Every audit_head_interval_ms: host_head_send (a SIGN unanswered for enclave-timeout is
 * given up). */
void host_head_tick(struct spod_host *h);
/* The answer to audit.head SIGN (control step HOST_STEP_HEAD): stored, or the refusal logged. */
void host_head_answer(struct host_enclave *e, const struct spod_frame *f);
/* e went down: its evidence key is forgotten, a SIGN in flight on it given up. */
void host_evidence_lost(struct host_enclave *e);

/* ---- journal.c ---- */
int host_journal_record(struct spod_host *h, const char *kind, const uint8_t *key_id,
                        const uint8_t *token_id, const uint8_t *digest, int result,
                        const char *detail);
/* Holds the enclave's answer f to the request in slot in until its records commit. */
void host_journal_answer(struct spod_host *h, const struct inflight *in,
                         const struct spod_frame *f);
void host_journal_lost(struct spod_host *h, const struct host_audit *a);
/*
 * Commits the queued records and releases the held answers; the append's result. The
 * released signatures stay counted as h->nreleased until host_journal_observe.
 */
int host_journal_commit(struct spod_host *h);
/*
 * After the answers host_journal_commit released were written (the loop's flush): their sign
 * latencies go into the histogram (metrics.h), measured to now. Also done, at the latest, by
 * the next host_journal_answer or host_journal_commit.
 */
void host_journal_observe(struct spod_host *h);
void host_journal_free(struct spod_host *h);

/* The upper layers, tokens.c to inproc.c. */
#include "host/core/host_upper.h"

#endif
