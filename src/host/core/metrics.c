/* Prometheus rendering of spod-host's counters (see metrics.h). */
#include "host/core/metrics.h"

#include "common/strbuf.h"
#include "spod/wire.h"

/*
 * Upper bounds of the sign latency buckets, in nanoseconds: log-spaced, four a decade
 * (10^(k/4) rounded to two digits: 1, 1.8, 3.2, 5.6), from 10 µs to 1 s.
 */
static const uint64_t lat_bounds_ns[HM_LAT_BUCKETS] = {
    10000,    18000,    32000,     56000,     100000,    180000,    320000,
    560000,   1000000,  1800000,   3200000,   5600000,   10000000,  18000000,
    32000000, 56000000, 100000000, 180000000, 320000000, 560000000, 1000000000,
};

static const char *const front_names[HOST_FRONT_COUNT] = {"binary", "http"};

/* The counter row of an opcode: its slot in the opcode table, or HM_OP_OTHER. */
static unsigned op_row(uint8_t opcode)
{
	const struct spod_op_def *d = spod_wire_op(opcode);
	return d != NULL ? d->slot : HM_OP_OTHER;
}

void host_metrics_request(struct host_metrics *m, uint8_t opcode, int status)
{
	int idx = status >= 0 ? 0 : -status;

	if (idx >= HM_STATUS_COUNT)
		idx = -SPOD_E_INTERNAL;
	host_metrics_add(&m->requests[op_row(opcode)][idx], 1);
}

void host_metrics_sign(struct host_metrics *m, unsigned front, uint8_t alg, uint64_t ns)
{
	unsigned b = 0;

	if (front >= HOST_FRONT_COUNT || alg == 0 || alg >= HM_ALG_COUNT)
		return;
	while (b < HM_LAT_BUCKETS && ns > lat_bounds_ns[b])
		b++;
	host_metrics_add(&m->sign_lat[front][alg][b], 1);
	host_metrics_add(&m->sign_lat_sum_ns[front][alg], ns);
}

/* The histogram of one front and algorithm: cumulative buckets, sum, count (= +Inf). */
static void render_sign(struct spod_strbuf *o, const struct host_metrics *m, unsigned front,
                        unsigned alg)
{
	const char *fn = front_names[front], *an = spod_alg_name((uint8_t)alg);
	uint64_t cum = 0;

	for (unsigned b = 0; b <= HM_LAT_BUCKETS; b++) {
		cum += atomic_load_explicit(&m->sign_lat[front][alg][b], memory_order_relaxed);
		if (b < HM_LAT_BUCKETS)
			spod_strbuf_put(o,
			                "spod_sign_duration_seconds_bucket{front=\"%s\",alg=\"%s\","
			                "le=\"%g\"} %llu\n",
			                fn, an, (double)lat_bounds_ns[b] / 1e9,
			                (unsigned long long)cum);
		else
			spod_strbuf_put(o,
			                "spod_sign_duration_seconds_bucket{front=\"%s\",alg=\"%s\","
			                "le=\"+Inf\"} %llu\n",
			                fn, an, (unsigned long long)cum);
	}
	spod_strbuf_put(
	    o, "spod_sign_duration_seconds_sum{front=\"%s\",alg=\"%s\"} %.9f\n", fn, an,
	    (double)atomic_load_explicit(&m->sign_lat_sum_ns[front][alg], memory_order_relaxed) /
	        1e9);
	/* _count is the +Inf bucket, so a scrape never sees the two disagree */
	spod_strbuf_put(o, "spod_sign_duration_seconds_count{front=\"%s\",alg=\"%s\"} %llu\n", fn,
	                an, (unsigned long long)cum);
}

static uint64_t get(const atomic_uint_fast64_t *v)
{
	return atomic_load_explicit(v, memory_order_relaxed);
}

static void gauge(struct spod_strbuf *o, const char *name, const char *help, uint64_t v)
{
	spod_strbuf_put(o, "# HELP %s %s\n# TYPE %s gauge\n%s %llu\n", name, help, name, name,
	                (unsigned long long)v);
}

static void counter(struct spod_strbuf *o, const char *name, const char *help, uint64_t v)
{
	spod_strbuf_put(o, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help, name, name,
	                (unsigned long long)v);
}

size_t host_metrics_render(const struct host_metrics *m, char *buf, size_t cap)
{
	struct spod_strbuf o = {buf, cap, 0};

	spod_strbuf_put(
	    &o, "# HELP spod_requests_total Binary-protocol requests answered, by operation "
	        "and status (HTTP requests included: they use the binary path).\n"
	        "# TYPE spod_requests_total counter\n");
	for (unsigned op = 0; op < HM_OP_ROWS; op++)
		for (int st = 0; st < HM_STATUS_COUNT; st++) {
			uint64_t v = get(&m->requests[op][st]);
			if (v > 0)
				spod_strbuf_put(
				    &o, "spod_requests_total{op=\"%s\",status=\"%s\"} %llu\n",
				    op < SPOD_OPS_COUNT ? spod_wire_op_at(op)->name : "other",
				    spod_err_name(-st), (unsigned long long)v);
		}
	spod_strbuf_put(
	    &o, "# HELP spod_sign_duration_seconds Sign, sign.batch and sign.tx latency in "
	        "spod-host, by front (binary, http) and algorithm: from the request read to its "
	        "answer written (enclave round trip and audit commit included).\n"
	        "# TYPE spod_sign_duration_seconds histogram\n");
	for (unsigned front = 0; front < HOST_FRONT_COUNT; front++)
		for (unsigned alg = 1; alg < HM_ALG_COUNT; alg++)
			render_sign(&o, m, front, alg);
	gauge(&o, "spod_clients",
	      "Application connections open: binary ones and the HTTP layer's in-process channels.",
	      get(&m->clients));
	gauge(&o, "spod_clients_unauthenticated",
	      "Application connections that have not authenticated (hello) yet.",
	      get(&m->clients_unauth));
	gauge(&o, "spod_tokens_cached",
	      "API tokens held in memory: in use by a connection or a request, or still valid.",
	      get(&m->tokens_cached));
	counter(&o, "spod_hello_timeouts_total",
	        "Connections closed because they did not authenticate within hello-timeout.",
	        get(&m->hello_timeouts));
	counter(&o, "spod_unauthenticated_displaced_total",
	        "Unauthenticated connections closed to make room for a new one.",
	        get(&m->unauth_displaced));
	counter(&o, "spod_connections_refused_total",
	        "New connections closed at once: no room (every slot authenticated or too new).",
	        get(&m->conns_refused));
	counter(&o, "spod_accept_pauses_total",
	        "Times the listeners stopped accepting for a moment: out of descriptors.",
	        get(&m->accept_pauses));
	counter(&o, "spod_enclave_stalls_total",
	        "Enclave connections closed because they answered nothing for enclave-timeout.",
	        get(&m->enclave_stalls));
	counter(&o, "spod_policy_syncs_total",
	        "Policy window and rate states re-sealed by the enclave (policy.sync) and stored.",
	        get(&m->policy_syncs));
	counter(&o, "spod_evidence_records_total",
	        "Evidence records the enclave signed, committed with the audit log.",
	        get(&m->evidence_records));
	counter(&o, "spod_evidence_batches_total",
	        "Evidence batches (one signed Merkle root each) committed with the audit log.",
	        get(&m->evidence_batches));
	counter(
	    &o, "spod_evidence_dropped_total",
	    "Evidence batches dropped unstored (malformed, unattested key, refused by the store, "
	    "or over the pending bound while commits failed).",
	    get(&m->evidence_dropped));
	counter(&o, "spod_audit_heads_signed_total",
	        "Audit log heads the enclave signed (audit.head), stored.", get(&m->heads_signed));
	counter(&o, "spod_audit_head_refusals_total",
	        "Audit heads the enclave refused to sign: the log went back or was rewritten.",
	        get(&m->head_refusals));
	gauge(&o, "spod_enclave_connections", "Enclave connections configured.",
	      get(&m->enclave_conns));
	gauge(&o, "spod_enclave_connections_up", "Enclave connections established.",
	      get(&m->enclave_up));
	gauge(&o, "spod_enclave_connections_ready",
	      "Enclave connections established and admitted (attested when admission is on).",
	      get(&m->enclave_ready));
	counter(&o, "spod_enclave_connection_losses_total", "Enclave connections lost.",
	        get(&m->enclave_losses));
	gauge(&o, "spod_audit_queue_depth", "Audit records waiting for their commit.",
	      get(&m->audit_queue));
	counter(&o, "spod_audit_records_total", "Audit records committed.", get(&m->audit_records));
	counter(&o, "spod_audit_commits_total", "Audit batches committed.", get(&m->audit_commits));
	counter(&o, "spod_audit_commit_failures_total",
	        "Audit batches that failed to commit (their answers became errors).",
	        get(&m->audit_failures));
	spod_strbuf_put(
	    &o,
	    "# HELP spod_audit_commit_seconds_total Time spent committing audit batches.\n"
	    "# TYPE spod_audit_commit_seconds_total counter\nspod_audit_commit_seconds_total "
	    "%.6f\n",
	    (double)get(&m->audit_commit_ns_sum) / 1e9);
	gauge(&o, "spod_audit_head_seq", "Seq of the newest audit record.",
	      get(&m->audit_head_seq));
	gauge(&o, "spod_audit_records",
	      "Audit records in the database (after the anchor of the last prune).",
	      get(&m->audit_held));
	gauge(&o, "spod_db_bytes", "Size of the database file and its WAL.", get(&m->db_bytes));
	gauge(&o, "spod_disk_free_bytes", "Free space for spod-host on the database's file system.",
	      get(&m->disk_free));
	gauge(&o, "spod_disk_warn_free_bytes",
	      "Below this much free space spod-host warns (disk-warn-free); 0: never.",
	      get(&m->disk_warn_free));
	return o.len;
}
