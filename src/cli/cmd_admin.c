/*
 * `spod token ...`, and the database access `spod audit ...` shares (cmd_audit.c): operator
 * commands that work on spod-host's database directly (docs/auth.md, docs/storage.md).
 * Whoever can open the database file (mode 0600 in the data directory) already controls the
 * host, so these need no API token; they work with the host running (SQLite serialises the
 * writers) or stopped. A running host sees a new token at its next hello and a revocation
 * within HOST_REFRESH_MS (1 s).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "host/auth/auth.h"
#include "cli/cli.h"
#include "common/paths.h"
#include "host/store/store.h"

#define OPT(o) (1ull << (o))

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Says why there is no database at path (named by from): its directory is missing, or the
 * file. Returns the usage exit code.
 */
static int no_database(const char *path, const char *from)
{
	char dir[320];
	const char *slash = strrchr(path, '/');
	struct stat st;

	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
	if (dir[0] == '\0')
		snprintf(dir, sizeof(dir), "/");
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		fprintf(stderr,
		        "spod: no database at %s (from %s): the directory %s does not exist\n",
		        path, from, dir);
	else
		fprintf(stderr, "spod: no database at %s (from %s)\n", path, from);
	fputs("spod: hint: spod-host creates its database on first start and the CLI never "
	      "does; name the database of a pod that has run with --db PATH or $SPOD_DB, or its "
	      "data directory with $SPOD_DATA_DIR\n",
	      stderr);
	return spod_err_exit_code(SPOD_E_BAD_ARG);
}

/*
 * Opens the existing database named by --db, $SPOD_DB or the data directory's spod.db: a
 * mistyped path must not quietly become a new, empty database.
 */
int cli_open_db(const struct cli *cli, struct spod_store **s)
{
	char path[320];
	const char *p = cli->opt[OPT_DB], *from = "--db";
	struct stat st;
	int rc;

	if (p == NULL) {
		p = getenv("SPOD_DB");
		from = "$SPOD_DB";
	}
	if (p == NULL || p[0] == '\0') {
		char dir[256];
		if (spod_data_dir(dir, sizeof(dir)) < 0 ||
		    (size_t)snprintf(path, sizeof(path), "%s/spod.db", dir) >= sizeof(path))
			return cli_usage_error("data directory path too long");
		p = path;
		from = getenv("SPOD_DATA_DIR") ? "$SPOD_DATA_DIR" : "the default data directory";
	}
	if (stat(p, &st) != 0 && (errno == ENOENT || errno == ENOTDIR))
		return no_database(p, from);
	rc = spod_store_open_existing(s, p);
	if (rc == SPOD_E_BAD_ARG && stat(p, &st) != 0)
		return no_database(p, from); /* removed meanwhile */
	if (rc < 0) {
		fprintf(stderr, "spod: cannot open the database %s (from %s) [%s]\n", p, from,
		        spod_err_name(rc));
		return spod_err_exit_code(rc);
	}
	return 0;
}

int cli_store_fail(struct spod_store *s, int rc, const char *action)
{
	fprintf(stderr, "spod: %s failed: %s [%s]\n", action, spod_store_last_error(s),
	        spod_err_name(rc));
	return spod_err_exit_code(rc);
}

/* "90s", "30m", "12h", "7d" into milliseconds. */
static int parse_duration(int64_t *ms, const char *text)
{
	static const struct {
		char unit;
		int64_t ms;
	} units[] = {{'s', 1000}, {'m', 60000}, {'h', 3600000}, {'d', 86400000}};
	char *end;
	long long v = strtoll(text, &end, 10);

	if (end == text || v <= 0 || v > 3650LL * 24 * 3600 || end[0] == '\0' || end[1] != '\0')
		return -1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (units[i].unit == end[0] && v * units[i].ms <= 3650LL * 86400000) {
			*ms = v * units[i].ms;
			return 0;
		}
	return -1;
}

void cli_print_time(int64_t ms)
{
	char buf[32];
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms == 0 || gmtime_r(&t, &tm) == NULL) {
		fputs("-", stdout);
		return;
	}
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fputs(buf, stdout);
}

static void json_time(const char *name, int64_t ms)
{
	if (ms == 0)
		printf(",\"%s\":null", name);
	else
		printf(",\"%s\":%" PRId64, name, ms);
}

static int token_create(struct cli *cli, struct spod_store *s)
{
	struct spod_store_token t = {0};
	struct spod_auth_scopes sc;
	char text[SPOD_AUTH_TOKEN_BUF_BYTES], detail[SPOD_STORE_SCOPES_MAX_BYTES + 16];
	const char *why = NULL;
	size_t len;
	int64_t dur = 0;
	int rc;

	if (cli->opt[OPT_SCOPE] == NULL)
		return cli_usage_error("'token create' needs --scope (e.g. 'ops=sign;keys=*')");
	if (spod_auth_scopes_parse(&sc, &why, cli->opt[OPT_SCOPE], strlen(cli->opt[OPT_SCOPE])) < 0)
		return cli_usage_error("--scope: %s (grammar: docs/auth.md)", why);
	if (cli->opt[OPT_EXPIRES] != NULL && strcmp(cli->opt[OPT_EXPIRES], "never") != 0 &&
	    parse_duration(&dur, cli->opt[OPT_EXPIRES]) < 0)
		return cli_usage_error("--expires takes a duration like 90s, 30m, 12h or 7d "
		                       "(at most 3650 days), or never");
	if (spod_auth_scopes_format(t.scopes, sizeof(t.scopes), &len, &sc) < 0)
		return cli_usage_error("--scope is too long");
	if (spod_auth_token_new(text, t.hash, t.id) < 0)
		return cli_fail(cli, SPOD_E_CRYPTO, "token create");
	t.created_ms = wall_ms();
	t.expires_ms = dur ? t.created_ms + dur : 0;
	t.rate_per_s = sc.rate_per_s;
	rc = spod_store_token_insert(s, &t);
	if (rc == SPOD_OK) {
		struct spod_audit_rec rec = {
		    .time_ms = t.created_ms,
		    .kind = "token.create",
		    .token_id = t.id,
		    .result = SPOD_OK,
		    .detail = detail,
		};
		snprintf(detail, sizeof(detail), "scopes=%s", t.scopes);
		rc = spod_store_audit_append(s, &rec, 1);
		/* Not audited, so not issued: take it back (best effort; it was never shown). */
		if (rc < 0 && spod_store_token_revoke(s, t.id, wall_ms()) < 0)
			fprintf(stderr, "spod: could not revoke the unissued token either\n");
	}
	if (rc < 0) {
		explicit_bzero(text, sizeof(text));
		return cli_store_fail(s, rc, "token create");
	}
	if (cli->json) {
		printf("{\"token\":\"%s\",\"id\":\"", text);
		cli_hex(stdout, t.id, sizeof(t.id));
		printf("\",\"scopes\":");
		cli_json_str(stdout, t.scopes, len);
		json_time("expires_ms", t.expires_ms);
		printf("}\n");
	} else {
		printf("token   %s\nid      ", text);
		cli_hex(stdout, t.id, sizeof(t.id));
		printf("\nscopes  %s\nexpires ", t.scopes);
		cli_print_time(t.expires_ms);
		printf("\n(the token is shown only now: store it; spod keeps only its hash)\n");
	}
	explicit_bzero(text, sizeof(text));
	return 0;
}

struct list_ctx {
	int json;
	int first;
	int64_t now_ms;
};

/* What the pod makes of a token record now: "revoked", "expired" or "active". */
static const char *token_state(const struct spod_store_token *t, int64_t now_ms)
{
	if (t->revoked_ms != 0)
		return "revoked";
	if (spod_auth_token_valid(t->expires_ms, 0, now_ms) < 0)
		return "expired";
	return "active";
}

static int print_token(void *arg, const struct spod_store_token *t)
{
	struct list_ctx *ctx = arg;
	const char *state = token_state(t, ctx->now_ms);

	if (ctx->json) {
		printf("%s{\"id\":\"", ctx->first ? "" : ",");
		cli_hex(stdout, t->id, sizeof(t->id));
		printf("\",\"state\":\"%s\",\"scopes\":", state);
		cli_json_str(stdout, t->scopes, strlen(t->scopes));
		json_time("created_ms", t->created_ms);
		json_time("expires_ms", t->expires_ms);
		json_time("revoked_ms", t->revoked_ms);
		printf("}");
	} else {
		cli_hex(stdout, t->id, sizeof(t->id));
		printf("  ");
		cli_print_time(t->created_ms);
		printf("  expires ");
		cli_print_time(t->expires_ms);
		printf("  %-7s  %s\n", strcmp(state, "revoked") == 0 ? "REVOKED" : state,
		       t->scopes);
	}
	ctx->first = 0;
	return SPOD_OK;
}

static int token_list(struct cli *cli, struct spod_store *s)
{
	struct list_ctx ctx = {cli->json, 1, wall_ms()};
	int rc;

	if (cli->json)
		printf("[");
	rc = spod_store_token_list(s, print_token, &ctx);
	if (cli->json)
		printf("]\n");
	return rc < 0 ? cli_store_fail(s, rc, "token list") : 0;
}

#define TOKEN_PREFIX_MIN_HEX 8 /* as many as audit tail shows */

/* The tokens whose id starts with a hex prefix: how many, and the first one's id. */
struct prefix_match {
	const char *prefix; /* lowercase hex */
	size_t len;
	size_t found;
	uint8_t id[SPOD_STORE_TOKEN_ID_BYTES];
};

static int match_prefix(void *arg, const struct spod_store_token *t)
{
	struct prefix_match *m = arg;
	char hex[2 * SPOD_STORE_TOKEN_ID_BYTES + 1];

	spod_key_id_text(hex, t->id);
	if (strncmp(hex, m->prefix, m->len) != 0)
		return SPOD_OK;
	if (m->found++ == 0)
		memcpy(m->id, t->id, sizeof(m->id));
	return SPOD_OK;
}

/*
 * The token named by text: its whole id (32 hex digits), or a prefix of at least
 * TOKEN_PREFIX_MIN_HEX that exactly one token id starts with. Returns 0 with id, or the exit
 * code after saying why.
 */
static int token_by_prefix(struct spod_store *s, uint8_t id[SPOD_STORE_TOKEN_ID_BYTES],
                           const char *text)
{
	char prefix[2 * SPOD_STORE_TOKEN_ID_BYTES + 1];
	struct prefix_match m = {.prefix = prefix, .len = strlen(text)};
	int rc;

	if (m.len == 2 * SPOD_STORE_TOKEN_ID_BYTES)
		return spod_key_id_parse(id, text) < 0
		           ? cli_usage_error("a token id is 32 hex digits, got '%s'", text)
		           : 0;
	if (m.len < TOKEN_PREFIX_MIN_HEX || m.len > 2 * SPOD_STORE_TOKEN_ID_BYTES ||
	    strspn(text, "0123456789abcdefABCDEF") != m.len)
		return cli_usage_error("'token revoke' takes a token id: 32 hex digits, or a "
		                       "unique prefix of at least %d",
		                       TOKEN_PREFIX_MIN_HEX);
	for (size_t i = 0; i <= m.len; i++)
		prefix[i] =
		    (char)(text[i] >= 'A' && text[i] <= 'F' ? text[i] - 'A' + 'a' : text[i]);
	rc = spod_store_token_list(s, match_prefix, &m);
	if (rc < 0)
		return cli_store_fail(s, rc, "token revoke");
	if (m.found == 0) {
		fprintf(stderr, "spod: no token id starts with %s\n", prefix);
		return spod_err_exit_code(SPOD_E_KEY_NOT_FOUND);
	}
	if (m.found > 1)
		return cli_usage_error("%zu token ids start with %s: give more of the id (spod "
		                       "token list shows them whole)",
		                       m.found, prefix);
	memcpy(id, m.id, SPOD_STORE_TOKEN_ID_BYTES);
	return 0;
}

static int token_revoke(struct cli *cli, struct spod_store *s)
{
	uint8_t id[SPOD_STORE_TOKEN_ID_BYTES];
	char hex[2 * SPOD_STORE_TOKEN_ID_BYTES + 1];
	struct spod_audit_rec rec = {.kind = "token.revoke", .result = SPOD_OK};
	int rc;

	if (cli->npos != 2)
		return cli_usage_error("'token revoke' takes a token id (32 hex digits, or a "
		                       "unique prefix of at least %d)",
		                       TOKEN_PREFIX_MIN_HEX);
	if ((rc = token_by_prefix(s, id, cli->pos[1])) != 0)
		return rc;
	spod_key_id_text(hex, id);
	rec.time_ms = wall_ms();
	rec.token_id = id;
	rc = spod_store_token_revoke(s, id, rec.time_ms);
	if (rc == SPOD_E_KEY_NOT_FOUND) {
		fprintf(stderr, "spod: no token with id %s\n", hex);
		return spod_err_exit_code(rc);
	}
	if (rc == SPOD_OK)
		rc = spod_store_audit_append(s, &rec, 1);
	if (rc < 0)
		return cli_store_fail(s, rc, "token revoke");
	if (cli->json)
		printf("{\"revoked\":\"%s\"}\n", hex);
	else
		printf("revoked %s\n", hex);
	return 0;
}

int cmd_token(struct cli *cli)
{
	const char *sub = cli->npos > 0 ? cli->pos[0] : "";
	struct spod_store *s = NULL;
	int rc;

	if (strcmp(sub, "create") == 0)
		rc = cli_only(cli, OPT(OPT_DB) | OPT(OPT_SCOPE) | OPT(OPT_EXPIRES), "token create");
	else if (strcmp(sub, "list") == 0 || strcmp(sub, "revoke") == 0)
		rc = cli_only(cli, OPT(OPT_DB), "token");
	else
		return cli_usage_error("token takes create, list or revoke");
	if (rc != 0)
		return rc;
	if (strcmp(sub, "revoke") != 0 && cli->npos != 1)
		return cli_usage_error("'token %s' takes no arguments", sub);
	if ((rc = cli_open_db(cli, &s)) != 0)
		return rc;
	if (strcmp(sub, "create") == 0)
		rc = token_create(cli, s);
	else if (strcmp(sub, "list") == 0)
		rc = token_list(cli, s);
	else
		rc = token_revoke(cli, s);
	spod_store_close(s);
	return rc;
}
