/*
 * spod-host's forwarding core: accepts application connections, passes their frames to
 * the enclave over a small pool of pipelined connections and routes each response back.
 *
 * Frames are forwarded as they arrived (only the 8-byte request id is rewritten, so that
 * requests of many clients can share one enclave connection); the host never decodes a
 * body except to authorize it (admit.c) and to audit it (journal.c), and never holds key
 * material.
 */
#ifndef SPOD_HOST_FORWARD_H
#define SPOD_HOST_FORWARD_H

#include <stdint.h>

#include "host/http/http.h"
#include "spod/attest.h"
#include "transport/uri.h"

#define SPOD_HOST_MAX_LISTENERS     4
#define SPOD_HOST_MAX_ENCLAVE_CONNS 16

struct spod_host_config {
	struct spod_uri listen[SPOD_HOST_MAX_LISTENERS];
	unsigned nlisten;
	struct spod_uri enclave;
	unsigned enclave_conns; /* 1..SPOD_HOST_MAX_ENCLAVE_CONNS */
	unsigned max_clients;   /* connections accepted at once */
	/*
	 * Connections without a token yet (docs/host.md, "Hostile clients"): at most
	 * max_unauth of them (max_unauth_per_peer from one uid or address), each closed when it
	 * has not said hello within hello_timeout_ms; at capacity the oldest one goes first.
	 */
	unsigned max_unauth, max_unauth_per_peer, hello_timeout_ms;
	/* An enclave connection silent this long while answers are owed is closed as stalled. */
	unsigned enclave_timeout_ms;
	int connect_timeout_ms; /* per enclave connect attempt */
	unsigned spin_us;       /* the event loop's bounded spin before blocking (loop.h) */
	/*
	 * Admission: when admit is set, every enclave connection must first present a fresh
	 * attestation document (the host's own nonce, at most 5 minutes old) that verifies
	 * under root with the expected PCRs; until then it carries no request and the host
	 * is not ready. Storage for the PCR values and root stays owned by the caller.
	 */
	int admit;
	struct spod_bytes root; /* ptr NULL: the AWS Nitro Enclaves root */
	const struct spod_attest_pcr_expect *pcrs;
	size_t npcrs;
	/*
	 * Storage (docs/storage.md): the SQLite database with key metadata, token records and
	 * the audit log; audit_sync_full selects SQLite synchronous=FULL (commits survive power
	 * loss) over NORMAL (they survive a crash of spod-host). On first start, when the
	 * database holds no token, an admin token is created and its text written to
	 * token_file (mode 0600).
	 */
	const char *db_path;
	int audit_sync_full;
	/*
	 * The low-disk warning (docs/host.md): logged while the database's file system has less
	 * than disk_warn_free_bytes, or disk_warn_free_pct % of its size, free for spod-host;
	 * both 0: never.
	 */
	uint64_t disk_warn_free_bytes;
	unsigned disk_warn_free_pct;
	/* The seal mode the host asks every enclave boot for (SPOD_SEAL_*; docs/keys.md). */
	uint8_t seal_mode;
	const char *token_file;
	/*
	 * The policy-admin set spod-host registers with every enclave connection (policy.admins,
	 * docs/policy.md): policy_threshold (K) of npolicy_admins (M) Ed25519 public keys,
	 * 32 bytes each in policy_admins. M = 0 (K = 0): none configured; the enclave answers
	 * with the set it holds, if any. Storage stays owned by the caller.
	 */
	const uint8_t *policy_admins;
	unsigned npolicy_admins, policy_threshold;
	/*
	 * Signed audit heads (docs/evidence.md): this often, when the audit log's head moved,
	 * the enclave signs it (audit.head); also once at a clean stop. 0: never.
	 */
	unsigned audit_head_interval_ms;
};

struct spod_host;
struct spod_inproc_hub;

/* Listens on every configured URI and starts connecting to the enclave. */
int spod_host_new(struct spod_host **out, const struct spod_host_config *cfg)
    __attribute__((warn_unused_result, nonnull));

/* Serves until SIGTERM/SIGINT. Returns SPOD_OK on a clean stop or SPOD_E_IO. */
int spod_host_run(struct spod_host *h) __attribute__((nonnull));

void spod_host_free(struct spod_host *h);

/*
 * For the HTTP layer (src/host/http/http.h), callable from any thread while the host runs:
 * 1 when an enclave connection is up and admitted; the Prometheus text of the host's metrics
 * into buf[0..cap), returning its length (or the length needed when more than cap).
 */
int spod_host_ready(void *h);

/*
 * The hub of in-process channels the HTTP layer reaches the host through (src/host/http/http.h,
 * docs/architecture.md): each channel is served like a connection to the binary listener. It
 * lives until spod_host_free, which must come after every channel's worker closed its end
 * (spod_http_stop). Channels opened after spod_host_run returned are refused.
 */
struct spod_inproc_hub *spod_host_inproc(struct spod_host *h) __attribute__((nonnull));

/* The enclave's seal state as the host last saw it (src/host/http/http.h). */
void spod_host_seal(void *h, struct spod_http_seal *out);
size_t spod_host_metrics(void *h, char *buf, size_t cap);

#endif
