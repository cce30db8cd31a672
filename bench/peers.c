/*
 * The peer rows (issue 14, part 7): other ways to sign the same 32-byte payload one request at
 * a time, measured in the same run as spod's sync row (b), printed as ratios to it, with the
 * aims "spod faster than ssh-agent and than the naive two-hop chain" marked PASS/MISS and, as
 * a stretch aim, "spod's P-256 faster than SoftHSM2's in-process C_Sign".
 */
#include <string.h>

#include "bench.h"

static const struct {
	const char *key;   /* --rows name and JSON member */
	const char *title; /* in the table */
	unsigned row;
	const char *what; /* the footnote */
} peers[BENCH_PEERS] = {
    [BENCH_PEER_SOFTHSM] = {"softhsm", "softhsm C_Sign", BENCH_ROW_SOFTHSM,
                            "SoftHSM2 C_SignInit + C_Sign through PKCS#11, in this process, "
                            "session keys, no isolation"},
    [BENCH_PEER_SSHAGENT] = {"sshagent", "ssh-agent", BENCH_ROW_SSHAGENT,
                             "OpenSSH ssh-agent, SSH2_AGENTC_SIGN_REQUEST over its unix socket "
                             "(ECDSA: the agent hashes the 32 bytes with SHA-256)"},
    [BENCH_PEER_CHAIN] = {"chain", "2-hop chain", BENCH_ROW_CHAIN,
                          "app -> relay -> signer processes, blocking unix sockets, "
                          "length-prefixed frames, the signer signs with (a)'s code"},
};

/* The aim a peer carries for an algorithm: 1 ordinary, 2 stretch, 0 none. */
static int aim_kind(enum bench_peer p, const struct bench_alg *a)
{
	if (p == BENCH_PEER_SSHAGENT || p == BENCH_PEER_CHAIN)
		return 1;
	return a->alg == SPOD_ALG_P256 ? 2 : 0;
}

void bench_peer_rows(struct bench_run *r, struct bench_samples *s)
{
	unsigned rows = r->cfg.rows;

	if (rows & BENCH_ROW_SOFTHSM)
		bench_softhsm_rows(r, s);
	if (rows & BENCH_ROW_SSHAGENT)
		bench_agent_rows(r, s);
	if (rows & BENCH_ROW_CHAIN)
		bench_chain_rows(r, s);
	for (int p = 0; p < BENCH_PEERS; p++)
		if ((rows & peers[p].row) && r->peer_skipped[p][0] != '\0')
			fprintf(stderr, "spod-bench: %s row skipped: %s\n", peers[p].key,
			        r->peer_skipped[p]);
}

/* spod (b) p50 / peer p50, or 0 when either is missing. */
static double ratio(const struct bench_run *r, int p, int i)
{
	const struct bench_peer_result *x = &r->peer[p][i];

	if (!x->have || !r->alg[i].have_pod || x->lat.p50_us <= 0)
		return 0;
	return r->alg[i].pod.p50_us / x->lat.p50_us;
}

static void cell(FILE *f, int have, double v, int width, int prec)
{
	if (have)
		fprintf(f, "%*.*f", width, prec, v);
	else
		fprintf(f, "%*s", width, "-");
}

void bench_peer_table(FILE *f, const struct bench_run *r, int *pass, int *miss)
{
	if (!(r->cfg.rows & BENCH_ROW_PEERS))
		return;
	fprintf(f, "\n%-31s%8s%8s%8s%8s  %-9s  %s\n", "peers, same 32-byte payload, us", "p50",
	        "p99", "p99.9", "b p50", "spod/peer", "aim: spod faster (ratio < 1)");
	for (int p = 0; p < BENCH_PEERS; p++) {
		if (!(r->cfg.rows & peers[p].row))
			continue;
		if (r->peer_skipped[p][0] != '\0') {
			fprintf(f, "%-14s skipped: %s\n", peers[p].title, r->peer_skipped[p]);
			continue;
		}
		for (int i = 0; i < BENCH_ALGS; i++) {
			const struct bench_peer_result *x = &r->peer[p][i];
			const struct bench_alg *a = r->alg[i].alg;
			double q = ratio(r, p, i);
			char title[96];
			int kind = aim_kind((enum bench_peer)p, a);

			if (!x->have)
				continue;
			snprintf(title, sizeof(title), "%s/%s", a->name, a->mode_name);
			fprintf(f, "%-14s %-16s", peers[p].title, title);
			cell(f, 1, x->lat.p50_us, 8, 1);
			cell(f, 1, x->lat.p99_us, 8, 1);
			cell(f, 1, x->lat.p999_us, 8, 1);
			cell(f, r->alg[i].have_pod, r->alg[i].pod.p50_us, 8, 1);
			fputs("  ", f);
			if (q > 0)
				fprintf(f, "%8.2fx", q);
			else
				fprintf(f, "%9s", "-");
			if (kind != 0 && q > 0) {
				int ok = q < 1.0;

				++*(ok ? pass : miss);
				fprintf(f, "  %s%s", ok ? "PASS" : "MISS",
				        kind == 2 ? " (stretch aim)" : "");
			}
			fputc('\n', f);
		}
	}
	for (int p = 0; p < BENCH_PEERS; p++)
		if ((r->cfg.rows & peers[p].row) && r->peer_skipped[p][0] == '\0')
			fprintf(f, "%s = %s\n", peers[p].title, peers[p].what);
	fputs("spod/peer = (b) p50 / the peer's p50 in this run: below 1, spod is faster\n", f);
}

void bench_peer_json(FILE *f, const struct bench_run *r,
                     void (*stats)(FILE *, int, const struct bench_stats *))
{
	fputs(",\n  \"peers\": {", f);
	for (int p = 0; p < BENCH_PEERS; p++) {
		int asked = (r->cfg.rows & peers[p].row) != 0, first = 1;

		fprintf(f, "%s\n    \"%s\": {\"asked\": %s, \"skipped\": ", p ? "," : "",
		        peers[p].key, asked ? "true" : "false");
		if (asked && r->peer_skipped[p][0] != '\0') {
			/* The reasons are bench-written text without quotes or backslashes. */
			fputc('"', f);
			for (const char *c = r->peer_skipped[p]; *c != '\0'; c++)
				fputc(*c == '"' || *c == '\\' || (unsigned char)*c < 0x20 ? '?'
				                                                          : *c,
				      f);
			fputc('"', f);
		} else {
			fputs("null", f);
		}
		fputs(", \"rows\": [", f);
		for (int i = 0; i < BENCH_ALGS; i++) {
			const struct bench_peer_result *x = &r->peer[p][i];
			const struct bench_alg *a = r->alg[i].alg;
			double q = ratio(r, p, i);
			int kind = aim_kind((enum bench_peer)p, a);

			if (!x->have)
				continue;
			fprintf(
			    f,
			    "%s\n      {\"algorithm\": \"%s\", \"mode\": \"%s\", \"latency_us\": ",
			    first ? "" : ",", a->name, a->mode_name);
			stats(f, 1, &x->lat);
			fputs(",\n       \"pod_sync_p50_over_peer_p50\": ", f);
			if (q > 0)
				fprintf(f, "%.4f", q);
			else
				fputs("null", f);
			fputs(", \"aim\": ", f);
			if (kind == 0)
				fputs("null", f);
			else
				fprintf(f, "{\"rule\": \"pod p50 < %s p50%s\", \"pass\": %s}",
				        peers[p].key, kind == 2 ? " (stretch)" : "",
				        q > 0 ? (q < 1.0 ? "true" : "false") : "null");
			fputc('}', f);
			first = 0;
		}
		fputs("]}", f);
	}
	fputs("\n  }", f);
}
