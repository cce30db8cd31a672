/*
 * `spod audit ...`: the hash-chained audit log in spod-host's database (docs/storage.md):
 * verify it (or an export file), show its tail, export a segment and prune what an export
 * holds. Like `spod token`, it works on the database file, host running or stopped.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/random.h>

#include "cli/audit_evidence.h"
#include "cli/cli.h"
#include "host/store/store.h"
#include "spod/client.h"

#define OPT(o) (1ull << (o))

struct tail_ctx {
	int json;
	int first;
};

static void json_hex_or_null(const uint8_t *p, size_t n)
{
	if (p == NULL) {
		printf("null");
		return;
	}
	printf("\"");
	cli_hex(stdout, p, n);
	printf("\"");
}

static void record_json(const struct tail_ctx *ctx, const struct spod_audit_entry *e)
{
	const struct spod_audit_rec *r = &e->rec;

	printf("%s{\"seq\":%" PRIu64 ",\"time_ms\":%" PRId64 ",\"kind\":", ctx->first ? "" : ",",
	       e->seq, r->time_ms);
	cli_json_str(stdout, r->kind, strlen(r->kind));
	printf(",\"result\":\"%s\",\"key_id\":", spod_err_name(r->result));
	json_hex_or_null(r->key_id, SPOD_KEY_ID_BYTES);
	printf(",\"token_id\":");
	json_hex_or_null(r->token_id, SPOD_STORE_TOKEN_ID_BYTES);
	printf(",\"digest\":");
	json_hex_or_null(r->digest, r->digest_len);
	printf(",\"detail\":");
	if (r->detail)
		cli_json_str(stdout, r->detail, strlen(r->detail));
	else
		printf("null");
	printf(",\"hash\":\"");
	cli_hex(stdout, e->hash, SPOD_STORE_HASH_BYTES);
	printf("\"}");
}

static int print_record(void *arg, const struct spod_audit_entry *e)
{
	struct tail_ctx *ctx = arg;
	const struct spod_audit_rec *r = &e->rec;

	if (ctx->json) {
		record_json(ctx, e);
		ctx->first = 0;
		return SPOD_OK;
	}
	printf("%6" PRIu64 "  ", e->seq);
	cli_print_time(r->time_ms);
	printf("  %-12s %-15s key ", r->kind, spod_err_name(r->result));
	if (r->key_id)
		cli_hex(stdout, r->key_id, SPOD_KEY_ID_BYTES);
	else
		printf("%32s", "-");
	printf("  token ");
	if (r->token_id)
		cli_hex(stdout, r->token_id, 4);
	else
		printf("-");
	if (r->digest) {
		printf("  digest ");
		cli_hex(stdout, r->digest, 8);
		printf("..");
	}
	if (r->detail)
		printf("  %s", r->detail);
	printf("\n");
	return SPOD_OK;
}

static int audit_tail(struct cli *cli, struct spod_store *s)
{
	struct tail_ctx ctx = {cli->json, 1};
	long n = 20;
	int rc;

	if (cli->opt[OPT_LIMIT] != NULL) {
		char *end;
		n = strtol(cli->opt[OPT_LIMIT], &end, 10);
		if (*end != '\0' || n < 1 || n > 1000000)
			return cli_usage_error("--limit must be 1..1000000");
	}
	if (cli->json)
		printf("[");
	rc = spod_store_audit_tail(s, (size_t)n, print_record, &ctx);
	if (cli->json)
		printf("]\n");
	return rc < 0 ? cli_store_fail(s, rc, "audit tail") : 0;
}

/* A broken chain: where and why, then exit 6. */
static int broken(const struct cli *cli, const char *what, uint64_t bad, uint64_t count,
                  const char *why)
{
	if (cli->json) {
		printf("{\"intact\":false,\"first_bad_seq\":%" PRIu64 ",\"intact_records\":%" PRIu64
		       ",\"reason\":",
		       bad, count);
		cli_json_str(stdout, why, strlen(why));
		printf("}\n");
	} else {
		printf("%s BROKEN at seq %" PRIu64 ": %s (%" PRIu64 " intact records before it)\n",
		       what, bad, why, count);
	}
	return spod_err_exit_code(SPOD_E_BAD_SIGNATURE);
}

/* The members every intact segment prints in JSON, without the braces. */
static void segment_json(const struct spod_audit_segment *seg, uint64_t count)
{
	printf("\"intact\":true,\"records\":%" PRIu64 ",\"first_seq\":%" PRIu64 ",\"prev_hash\":\"",
	       count, seg->first_seq);
	cli_hex(stdout, seg->prev_hash, SPOD_STORE_HASH_BYTES);
	printf("\",\"last_seq\":%" PRIu64 ",\"last_hash\":\"", seg->last_seq);
	cli_hex(stdout, seg->last_hash, SPOD_STORE_HASH_BYTES);
	printf("\"");
}

/* The "evidence" JSON object (without a leading comma). */
static void evidence_json(const struct audit_ev_report *r)
{
	printf("\"evidence\":{\"records\":%" PRIu64 ",\"roots\":%" PRIu64 ",\"keys\":%" PRIu64
	       ",\"unmatched_audit\":%" PRIu64 ",\"gaps\":%" PRIu64 ",\"heads\":%" PRIu64
	       ",\"newest_head_seq\":%" PRIu64 ",\"before_anchor\":%" PRIu64
	       ",\"verified_against_root\":%s}",
	       r->records, r->roots, r->keys, r->unmatched_audit, r->gaps, r->heads,
	       r->newest_head_seq, r->before_anchor, r->verified_against_root ? "true" : "false");
}

/* An evidence or signed-head failure: the reason, then exit 6. */
static int evidence_failed(const struct cli *cli, const struct audit_ev_report *r, uint64_t count)
{
	if (cli->json) {
		printf("{\"intact\":false,\"first_bad_seq\":0,\"intact_records\":%" PRIu64
		       ",\"reason\":",
		       count);
		cli_json_str(stdout, r->why, strlen(r->why));
		printf(",");
		evidence_json(r);
		printf("}\n");
	} else {
		printf("audit log chain intact (%" PRIu64
		       " records), but evidence check FAILED: %s\n",
		       count, r->why);
	}
	return spod_err_exit_code(SPOD_E_BAD_SIGNATURE);
}

/*
 * --live: the enclave's last signed head and counter, for a fresh nonce, through spod-host;
 * checked as the stored heads are. 0, or the exit code after saying why.
 */
static int live_head(struct cli *cli, struct spod_store_head *h)
{
	struct spod_audit_head_info info;
	int rc;

	memset(h, 0, sizeof *h);
	if (getrandom(h->nonce, 32, 0) != 32) {
		fprintf(stderr, "spod: audit verify --live: no random nonce\n");
		return spod_err_exit_code(SPOD_E_INTERNAL);
	}
	h->nonce_len = 32;
	if ((rc = cli_connect(cli)) != 0)
		return rc;
	rc = spod_client_audit_head(cli->client, &info, h->nonce, h->nonce_len);
	if (rc < 0)
		return cli_fail(cli, rc, "audit head");
	h->seq = info.seq;
	memcpy(h->hash, info.hash, 32);
	memcpy(h->pub, info.pub, 32);
	h->counter = info.counter;
	memcpy(h->sig, info.sig, 64);
	return 0;
}

static int verify_db(struct cli *cli, struct spod_store *s)
{
	static uint8_t rootbuf[65536];
	struct spod_attest_policy pol = {0};
	struct audit_ev_report ev;
	struct spod_store_head live;
	struct spod_audit_segment seg;
	uint64_t bad = 0, count = 0, anchor = 0;
	int live_on = cli->opt[OPT_LIVE] != NULL;
	int rc = spod_store_audit_verify(s, &bad, &count, &seg);

	if (rc == SPOD_E_BAD_SIGNATURE)
		return broken(cli, "audit log", bad, count, spod_store_last_error(s));
	if (rc < 0)
		return cli_store_fail(s, rc, "audit verify");
	if (cli->opt[OPT_ROOT] != NULL &&
	    (rc = cli_load_root(cli, &pol.root, rootbuf, sizeof rootbuf - 1)) != 0)
		return rc;
	if (live_on && (rc = live_head(cli, &live)) != 0)
		return rc;
	rc = audit_ev_verify(s, cli->opt[OPT_ROOT] != NULL ? &pol : NULL, live_on ? live.pub : NULL,
	                     &ev);
	if (rc == SPOD_OK && live_on)
		rc = audit_ev_check_head(s, &live, &ev);
	if (rc == SPOD_E_BAD_SIGNATURE)
		return evidence_failed(cli, &ev, count);
	if (rc < 0)
		return cli_store_fail(s, rc, "audit verify (evidence)");
	anchor = seg.first_seq - 1;
	if (cli->json) {
		printf("{");
		segment_json(&seg, count);
		printf(",\"head\":\"");
		cli_hex(stdout, seg.last_hash, SPOD_STORE_HASH_BYTES);
		printf("\",\"anchor\":");
		if (anchor > 0) {
			printf("{\"seq\":%" PRIu64 ",\"hash\":\"", anchor);
			cli_hex(stdout, seg.prev_hash, SPOD_STORE_HASH_BYTES);
			printf("\"}");
		} else {
			printf("null");
		}
		printf(",");
		evidence_json(&ev);
		if (live_on)
			printf(",\"live\":{\"seq\":%" PRIu64 ",\"counter\":%" PRIu64
			       ",\"stored_counter\":%" PRIu64 "}",
			       live.seq, live.counter, ev.max_counter);
		printf("}\n");
		return 0;
	}
	printf("audit log intact: %" PRIu64 " records", count);
	if (anchor > 0) {
		printf(" (%" PRIu64 "..%" PRIu64 ") from anchor seq %" PRIu64 " hash ",
		       seg.first_seq, seg.last_seq, anchor);
		cli_hex(stdout, seg.prev_hash, SPOD_STORE_HASH_BYTES);
		printf(" (records up to %" PRIu64 " were pruned: verify their export files)",
		       anchor);
	}
	printf(", head seq %" PRIu64 " hash ", seg.last_seq);
	cli_hex(stdout, seg.last_hash, SPOD_STORE_HASH_BYTES);
	printf("\nevidence: %" PRIu64 " records in %" PRIu64 " signed batches from %" PRIu64
	       " enclave boot%s verified (%s)",
	       ev.records, ev.roots, ev.boots, ev.boots == 1 ? "" : "s",
	       ev.verified_against_root ? "keys checked against --root"
	                                : "evidence keys not checked against a root");
	if (ev.unmatched_audit > 0)
		printf("; %" PRIu64 " audit sign records without evidence yet (a running pod "
		       "stores it within 100 ms; after a crash or a lost enclave connection it "
		       "can be missing)",
		       ev.unmatched_audit);
	if (ev.gaps > 0)
		printf("; %" PRIu64 " counters missing", ev.gaps);
	if (ev.heads - (uint64_t)live_on > 0)
		printf("\nsigned heads: %" PRIu64 ", newest at seq %" PRIu64 " verified\n",
		       ev.heads - (uint64_t)live_on, ev.newest_head_seq);
	else
		printf("\nsigned heads: none stored\n");
	if (live_on)
		printf("live head: seq %" PRIu64 " verified; enclave counter %" PRIu64
		       ", stored evidence up to %" PRIu64 "\n",
		       live.seq, live.counter, ev.max_counter);
	return 0;
}

static int verify_file(const struct cli *cli, const char *path)
{
	struct spod_audit_file_check c;
	char why[sizeof c.why + 32];
	int rc = spod_audit_file_verify(&c, path, 0);

	if (rc == SPOD_E_BAD_SIGNATURE) {
		if (c.line > 0)
			snprintf(why, sizeof why, "line %lu: %s", c.line, c.why);
		else
			snprintf(why, sizeof why, "%s", c.why);
		return broken(cli, path, c.first_bad_seq, c.records, why);
	}
	if (rc < 0) {
		fprintf(stderr, "spod: audit verify: %s [%s]\n", c.why, spod_err_name(rc));
		return spod_err_exit_code(rc);
	}
	if (cli->json) {
		printf("{");
		segment_json(&c.seg, c.records);
		printf(",\"file\":");
		cli_json_str(stdout, path, strlen(path));
		printf("}\n");
		return 0;
	}
	printf("export file intact: %" PRIu64 " records (%" PRIu64 "..%" PRIu64
	       ") after prev_hash ",
	       c.records, c.seg.first_seq, c.seg.last_seq);
	cli_hex(stdout, c.seg.prev_hash, SPOD_STORE_HASH_BYTES);
	printf(", last hash ");
	cli_hex(stdout, c.seg.last_hash, SPOD_STORE_HASH_BYTES);
	printf("\n");
	return 0;
}

/* --upto SEQ: a record number, 1..INT64_MAX. */
static int parse_upto(const struct cli *cli, uint64_t *seq, const char *cmd)
{
	const char *t = cli->opt[OPT_UPTO];
	char *end;

	if (t == NULL)
		return cli_usage_error("'%s' needs --upto SEQ (the last record to include)", cmd);
	*seq = strtoull(t, &end, 10);
	if (t[0] < '0' || t[0] > '9' || *end != '\0' || *seq == 0 || *seq > INT64_MAX)
		return cli_usage_error("--upto must be a record's seq, 1..%lld",
		                       (long long)INT64_MAX);
	return 0;
}

static int audit_export(const struct cli *cli, struct spod_store *s, uint64_t upto)
{
	struct spod_audit_segment seg;
	const char *path = cli->opt[OPT_OUT];
	int rc = spod_store_audit_export(s, &seg, path, upto);

	if (rc < 0)
		return cli_store_fail(s, rc, "audit export");
	if (cli->json) {
		printf("{");
		segment_json(&seg, seg.last_seq - seg.first_seq + 1);
		printf(",\"file\":");
		cli_json_str(stdout, path, strlen(path));
		printf("}\n");
		return 0;
	}
	printf("exported records %" PRIu64 "..%" PRIu64 " to %s (mode 0600), last hash ",
	       seg.first_seq, seg.last_seq, path);
	cli_hex(stdout, seg.last_hash, SPOD_STORE_HASH_BYTES);
	printf("\nnext: copy it off this host, check the copy with 'spod audit verify --file', "
	       "then 'spod audit prune --upto %" PRIu64 " --exported FILE'\n",
	       seg.last_seq);
	return 0;
}

static int audit_prune(const struct cli *cli, struct spod_store *s, uint64_t upto)
{
	uint8_t hash[SPOD_STORE_HASH_BYTES];
	uint64_t deleted = 0, anchor = 0;
	int vacuum = cli->opt[OPT_VACUUM] != NULL;
	int rc = spod_store_audit_prune(s, &deleted, cli->opt[OPT_EXPORTED], upto);

	if (rc == SPOD_OK)
		rc = spod_store_audit_anchor(s, &anchor, hash);
	if (rc >= 0 && vacuum)
		rc = spod_store_vacuum(s);
	if (rc < 0)
		return cli_store_fail(s, rc, vacuum ? "audit prune --vacuum" : "audit prune");
	if (cli->json) {
		printf("{\"deleted\":%" PRIu64 ",\"anchor\":{\"seq\":%" PRIu64 ",\"hash\":\"",
		       deleted, anchor);
		cli_hex(stdout, hash, sizeof hash);
		printf("\"},\"vacuumed\":%s}\n", vacuum ? "true" : "false");
		return 0;
	}
	printf("pruned %" PRIu64 " records; the chain in the database goes on from anchor seq "
	       "%" PRIu64 " hash ",
	       deleted, anchor);
	cli_hex(stdout, hash, sizeof hash);
	printf("%s\n", vacuum ? "; database vacuumed" : "");
	return 0;
}

/* Which options each subcommand takes besides --db (and the global ones). */
static int check_options(const struct cli *cli, const char *sub)
{
	if (strcmp(sub, "verify") == 0)
		return cli_only(cli, OPT(OPT_DB) | OPT(OPT_FILE) | OPT(OPT_ROOT) | OPT(OPT_LIVE),
		                "audit verify");
	if (strcmp(sub, "tail") == 0)
		return cli_only(cli, OPT(OPT_DB) | OPT(OPT_LIMIT), "audit tail");
	if (strcmp(sub, "export") == 0) {
		if (cli->opt[OPT_OUT] == NULL)
			return cli_usage_error("'audit export' needs --out FILE");
		return cli_only(cli, OPT(OPT_DB) | OPT(OPT_UPTO) | OPT(OPT_OUT), "audit export");
	}
	if (strcmp(sub, "prune") == 0) {
		if (cli->opt[OPT_EXPORTED] == NULL)
			return cli_usage_error("'audit prune' needs --exported FILE (what 'audit "
			                       "export' wrote)");
		return cli_only(cli,
		                OPT(OPT_DB) | OPT(OPT_UPTO) | OPT(OPT_EXPORTED) | OPT(OPT_VACUUM),
		                "audit prune");
	}
	return cli_usage_error("audit takes verify, tail, export or prune");
}

int cmd_audit(struct cli *cli)
{
	const char *sub = cli->npos > 0 ? cli->pos[0] : "";
	struct spod_store *s = NULL;
	uint64_t upto = 0;
	int rc;

	if ((rc = check_options(cli, sub)) != 0)
		return rc;
	if (cli->npos != 1)
		return cli_usage_error("'audit %s' takes no arguments", sub);
	if ((strcmp(sub, "export") == 0 || strcmp(sub, "prune") == 0) &&
	    (rc = parse_upto(cli, &upto,
	                     strcmp(sub, "export") == 0 ? "audit export" : "audit prune")) != 0)
		return rc;
	if (strcmp(sub, "verify") == 0 && cli->opt[OPT_FILE] != NULL) {
		if (cli->opt[OPT_DB] != NULL || cli->opt[OPT_ROOT] != NULL ||
		    cli->opt[OPT_LIVE] != NULL)
			return cli_usage_error("'audit verify' checks --file or the database (with "
			                       "--root, --live), not both");
		return verify_file(cli, cli->opt[OPT_FILE]);
	}
	if ((rc = cli_open_db(cli, &s)) != 0)
		return rc;
	if (strcmp(sub, "tail") == 0)
		rc = audit_tail(cli, s);
	else if (strcmp(sub, "verify") == 0)
		rc = verify_db(cli, s);
	else if (strcmp(sub, "export") == 0)
		rc = audit_export(cli, s, upto);
	else
		rc = audit_prune(cli, s, upto);
	spod_store_close(s);
	return rc;
}
