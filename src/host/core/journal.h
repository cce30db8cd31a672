/*
 * spod-host's audit journal (journal_withhold.c, journal_records.c, journal.c; their place in
 * the layers is in host_int.h): the audit facts a request in flight carries, the records and
 * new keys queued for the next commit, and the functions of those files.
 */
#ifndef SPOD_HOST_JOURNAL_H
#define SPOD_HOST_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "host/store/store.h"
#include "spod/wire.h"

struct spod_host;
struct inflight;
struct host_token;

/* Where the sign.request records of a signing request are (journal.c). */
#define HOST_INTENT_NONE    0 /* none (not queued, or their commit failed): answer held */
#define HOST_INTENT_QUEUED  1 /* queued for the next commit */
#define HOST_INTENT_DURABLE 2 /* committed: the answer goes out as soon as it comes */

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
	uint64_t req; /* signing requests: the id its sign.request and sign records name */
	/* signing requests: HOST_INTENT_NONE, or the sign.request records queued or committed */
	uint8_t intent;
	uint32_t n;
	struct host_audit_item items[]; /* n of them */
};

/*
 * How long the outcome (sign records) of a signature already written to its client may wait
 * for a commit that happens anyway (the next sign.request's, under load every wake-up's) before
 * it is committed on its own.
 */
#define HOST_OUTCOME_DELAY_NS (1000ull * 1000ull)

/* A signature written to its client, until its latency is counted (host_journal_observe). */
struct host_obs {
	uint64_t t0_ns;
	uint8_t front, alg;
};

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
	uint8_t keep; /* a failed commit leaves it as it is: its answer was not withheld */
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

/* ---- journal_records.c ---- */
/* Grows the array *p of *cap elements of size bytes to hold need (doubling, from 64);
 * SPOD_OK or SPOD_E_NOMEM (*p unchanged). */
int host_grow(void **p, uint32_t *cap, uint32_t need, size_t size);
/* Appends len bytes to the arena *buf (*used of *cap bytes), growing it; *off where they went.
 * SPOD_OK or SPOD_E_NOMEM. */
int host_arena_put(uint8_t **buf, size_t *used, size_t *cap, size_t *off, const void *data,
                   size_t len);
/* Queues one audit record for the next commit (its strings copied); SPOD_OK or NOMEM. */
int host_journal_record(struct spod_host *h, const char *kind, const uint8_t *key_id,
                        const uint8_t *token_id, const uint8_t *digest, int result,
                        const char *detail);
/* The detail of item i of a signing request's sign.request and sign records, into buf. */
void host_sign_detail(char *buf, size_t cap, const struct host_audit *a, uint32_t i);
/* The sign records of a sign, sign.batch or sign.tx answer f (one per item, with the item's
 * result); *alg the algorithm of a signature in it (0: none). SPOD_OK or NOMEM. */
int host_record_signatures(struct spod_host *h, const struct host_audit *a,
                           const struct spod_frame *f, uint8_t *alg);
/* Asks the enclave to forget a key it made whose record could not be stored. */
void host_drop_unrecorded(struct spod_host *h, uint16_t enclave, const uint8_t *key_id);
/* key.generate, key.import: the record, and the new key queued with its blob; a key refused or
 * not queued gets *stored and the client's message in msg (the enclave drops it). */
int host_record_key(struct spod_host *h, const struct inflight *in, const struct spod_frame *f,
                    int *stored, char *msg, size_t cap);
/* custodian.share: the outcome, never anything of the share. */
int host_record_share(struct spod_host *h, const struct host_audit *a, const struct spod_frame *f);
/* key.delete: the record; the key marked deleted in the store and the key index. */
int host_record_delete(struct spod_host *h, const struct host_audit *a, const struct spod_frame *f);
/* policy.set: the record; the new blob stored at once (*stored, msg when it cannot be). */
int host_record_policy(struct spod_host *h, const struct host_audit *a, const struct spod_frame *f,
                       int *stored, char *msg, size_t cap);
/* The records of a request whose answer was lost: UNAVAILABLE, "outcome unknown". */
void host_journal_lost(struct spod_host *h, const struct host_audit *a);

/* ---- journal.c ---- */
/* Holds the enclave's answer f to the request in slot in until its records commit. */
void host_journal_answer(struct spod_host *h, const struct inflight *in,
                         const struct spod_frame *f);
/*
 * Queues the sign.request records of the signing request just forwarded in slot, to be
 * committed while the enclave signs (docs/storage.md). Without them (out of memory) the
 * answer waits for its sign records' commit instead.
 */
void host_journal_intent(struct spod_host *h, uint32_t slot);
/*
 * Commits the queued records and releases the held answers; the append's result. Marks the
 * sign.request records it held committed (or, when it failed, their answers to be held).
 */
int host_journal_commit(struct spod_host *h);
/*
 * After the loop's flush wrote the signatures answered since the last call: their latencies
 * go into the histogram (metrics.h), measured to now.
 */
void host_journal_observe(struct spod_host *h);
/* 1 when the queued records are all outcomes that may still wait (none older than
 * HOST_OUTCOME_DELAY_NS): the caller arms h->lazy_fd for them. */
int host_journal_lazy(const struct spod_host *h);
void host_journal_free(struct spod_host *h);

#endif
