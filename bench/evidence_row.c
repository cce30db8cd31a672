/*
 * The evidence rows (docs/evidence.md, bench/README.md): what signed evidence costs the
 * enclave per signature, measured in-process with the enclave's own code (src/evidence) and
 * key type. For one loop wake-up that answered B signatures the enclave encodes B records,
 * hashes B leaves, computes the Merkle root and makes one Ed25519 signature; the row times
 * that whole batch and divides by B, for B = 1 (one request per wake-up, the synchronous case),
 * 16 and 256 (pipelined). This work happens after the wake-up's answers were written, so it
 * adds to the enclave's CPU per signature, not to an answer's latency; the pod rows above
 * include it (spod-enclave always makes evidence). Compared with the in-process (a) sign of
 * the same run.
 */
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "crypto/sign.h"
#include "evidence/evidence.h"

static const size_t batch_sizes[BENCH_EV_ROWS] = {1, 16, 256};

static uint8_t records[256 * SPOD_EVIDENCE_RECORD_BYTES];
static uint8_t leaves[256 * 32];

/* One batch as the enclave does it; SPOD_OK or the signing error. */
static int one_batch(const struct spod_secret_key *sk, const uint8_t pub[32], uint64_t *counter,
                     size_t b)
{
	struct spod_evidence_rec rec = {.opcode = 0x20, .mode = 1};
	uint8_t root[32], msg[SPOD_EVIDENCE_ROOT_MSG_BYTES], sig[SPOD_SIG_MAX_BYTES], recid;
	uint64_t first = *counter;
	size_t sig_len;

	memset(rec.key_id, 0x11, sizeof(rec.key_id));
	for (size_t i = 0; i < b; i++) {
		rec.counter = (*counter)++;
		rec.digest[0] = (uint8_t)i;
		spod_evidence_rec_encode(records + i * SPOD_EVIDENCE_RECORD_BYTES, &rec);
		spod_evidence_leaf(leaves + i * 32, records + i * SPOD_EVIDENCE_RECORD_BYTES);
	}
	SPOD_TRY(spod_evidence_root(root, leaves, b));
	spod_evidence_root_msg(msg, pub, first, (uint32_t)b, root);
	return spod_sign(sig, &sig_len, &recid, sk, SPOD_MODE_RAW, msg, sizeof(msg));
}

void bench_evidence_rows(struct bench_run *r, struct bench_samples *s)
{
	struct spod_secret_key sk = {0};
	uint8_t pub[SPOD_PUB_MAX_BYTES];
	uint64_t counter = 1;
	size_t pub_len;

	if (spod_key_generate(&sk, pub, &pub_len, SPOD_ALG_ED25519) < 0) {
		fprintf(stderr, "spod-bench: evidence: cannot make an Ed25519 key\n");
		r->errors++;
		return;
	}
	for (int i = 0; i < BENCH_EV_ROWS; i++) {
		size_t b = batch_sizes[i];
		size_t n = r->cfg.n / b > 20 ? r->cfg.n / b : 20;
		int rc = SPOD_OK;

		fprintf(stderr, "spod-bench: evidence, batches of %zu\n", b);
		s->n = 0;
		for (size_t k = 0; k < r->cfg.warmup / b && rc == SPOD_OK; k++)
			rc = one_batch(&sk, pub, &counter, b);
		for (size_t k = 0; k < n && k < s->cap && rc == SPOD_OK; k++) {
			uint64_t t0 = bench_now_ns();

			rc = one_batch(&sk, pub, &counter, b);
			s->ns[s->n++] = (bench_now_ns() - t0) / b;
		}
		r->ev[i].batch = b;
		r->ev[i].have = rc == SPOD_OK && s->n > 0;
		r->errors += !r->ev[i].have;
		if (r->ev[i].have)
			bench_stats_compute(&r->ev[i].lat, s);
	}
	spod_key_wipe(&sk);
}

void bench_evidence_table(FILE *f, const struct bench_run *r)
{
	const struct bench_alg_result *k1 = NULL;

	for (int i = 0; i < BENCH_ALGS; i++)
		if (r->alg[i].have_inproc && strcmp(r->alg[i].alg->name, "secp256k1") == 0)
			k1 = &r->alg[i];
	fprintf(f, "\n  %-42s%8s%8s%8s%8s  %s\n", "evidence per signature (e), us", "p50", "p99",
	        "p99.9", "mean", "p50 / in-process secp256k1 (a)");
	for (int i = 0; i < BENCH_EV_ROWS; i++) {
		const struct bench_ev_result *e = &r->ev[i];
		char name[64];

		if (!e->have)
			continue;
		snprintf(name, sizeof(name), "%zu record%s per signed root", e->batch,
		         e->batch == 1 ? "" : "s");
		fprintf(f, "  %-42s%8.2f%8.2f%8.2f%8.2f", name, e->lat.p50_us, e->lat.p99_us,
		        e->lat.p999_us, e->lat.mean_us);
		if (k1 != NULL && k1->inproc.p50_us > 0)
			fprintf(f, "  %.2f", e->lat.p50_us / k1->inproc.p50_us);
		fputc('\n', f);
	}
	fprintf(f,
	        "e = in-process: records, leaf hashes, Merkle root and one Ed25519 signature per "
	        "batch, divided by\n    the batch; spent after the answers of a wake-up are "
	        "written (docs/evidence.md)\n");
}

void bench_evidence_json(FILE *f, const struct bench_run *r,
                         void (*stats)(FILE *, int, const struct bench_stats *))
{
	fputs(",\n  \"evidence_per_signature_us\": {", f);
	for (int i = 0; i < BENCH_EV_ROWS; i++) {
		fprintf(f, "%s\"batch_%zu\": ", i ? ",\n    " : "", batch_sizes[i]);
		stats(f, r->ev[i].have, &r->ev[i].lat);
	}
	fputs("}", f);
}
