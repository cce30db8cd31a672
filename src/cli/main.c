/*
 * spod: the command-line client. Talks to spod-host through libspod; `verify` works offline
 * with the local libraries. Exit codes are documented in docs/cli.md.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/hex.h"
#include "common/paths.h"

static const char *const opt_names[OPT__COUNT] = {
    [OPT_URI] = "uri",
    [OPT_JSON] = "json",
    [OPT_TIMEOUT] = "timeout",
    [OPT_ALG] = "alg",
    [OPT_FORMAT] = "format",
    [OPT_MESSAGE] = "message",
    [OPT_MESSAGE_FILE] = "message-file",
    [OPT_DIGEST] = "digest",
    [OPT_HASH] = "hash",
    [OPT_PUBLIC] = "public",
    [OPT_SIGNATURE] = "signature",
    [OPT_KEY] = "key",
    [OPT_NONCE] = "nonce",
    [OPT_OUT] = "out",
    [OPT_ROOT] = "root",
    [OPT_PCR] = "pcr",
    [OPT_MAX_AGE] = "max-age",
    [OPT_AT] = "at",
    [OPT_EXPECT_PCR0] = "expect-pcr0",
    [OPT_TOKEN_FILE] = "token-file",
    [OPT_LABEL] = "label",
    [OPT_SCOPE] = "scope",
    [OPT_EXPIRES] = "expires",
    [OPT_DB] = "db",
    [OPT_LIMIT] = "limit",
    [OPT_CHAIN_ID] = "chain-id",
    [OPT_THRESHOLD] = "threshold",
    [OPT_SHARES] = "shares",
    [OPT_SHARE] = "share",
    [OPT_KEY_FILE] = "key-file",
    [OPT_PASSPHRASE_FILE] = "passphrase-file",
    [OPT_UPTO] = "upto",
    [OPT_FILE] = "file",
    [OPT_EXPORTED] = "exported",
    [OPT_CHAIN] = "chain",
    [OPT_TX] = "tx",
    [OPT_TX_FILE] = "tx-file",
    [OPT_VACUUM] = "vacuum",
    [OPT_ADMIN_KEY] = "admin-key",
    [OPT_APPROVAL] = "approval",
    [OPT_REMOVE] = "remove",
    [OPT_EIP191] = "eip191",
    [OPT_TEXT] = "text",
    [OPT_ADDRESS] = "address",
    [OPT_LIVE] = "live",
    [OPT_HELP] = "help",
    [OPT_VERSION] = "version",
};

/* The command being run, for the help page a usage error points at; NULL before. */
static const char *usage_cmd;

int cli_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("spod: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (usage_cmd != NULL)
		fprintf(stderr, " (see spod %s --help)\n", usage_cmd);
	else
		fputs(" (see spod --help)\n", stderr);
	return 2;
}

_Static_assert(OPT__COUNT <= 64, "cli_only's masks have one bit per option in a uint64_t");

int cli_only(const struct cli *cli, uint64_t allowed_mask, const char *cmd)
{
	allowed_mask |=
	    1ull << OPT_URI | 1ull << OPT_JSON | 1ull << OPT_TIMEOUT | 1ull << OPT_TOKEN_FILE;
	/* An end-to-end attestation check can guard any command that talks to the pod. */
	if (allowed_mask & (1ull << OPT_EXPECT_PCR0))
		allowed_mask |= 1ull << OPT_ROOT;
	for (int i = 0; i < OPT__COUNT; i++)
		if (cli->opt[i] != NULL && !(allowed_mask & (1ull << i)))
			return cli_usage_error("'%s' does not take --%s", cmd, opt_names[i]);
	return 0;
}

void cli_json_str(FILE *out, const char *s, size_t len)
{
	fputc('"', out);
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			fprintf(out, "\\u%04x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}

void cli_hex(FILE *out, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		fprintf(out, "%02x", p[i]);
}

int cli_fail(const struct cli *cli, int err, const char *action)
{
	const char *detail = cli->client ? spod_client_last_error(cli->client) : "";
	const char *msg = detail[0] ? detail : spod_strerror(err);

	if (cli->json) {
		fprintf(stderr, "{\"error\":{\"code\":\"%s\",\"message\":", spod_err_name(err));
		cli_json_str(stderr, msg, strlen(msg));
		fprintf(stderr, ",\"action\":\"%s\"}}\n", action);
	} else {
		fprintf(stderr, "spod: %s failed: %s [%s]\n", action, msg, spod_err_name(err));
	}
	return spod_err_exit_code(err);
}

/*
 * Finds the API token (see cli_connect) into buf. Returns 1 with *from naming the source,
 * 0 when there is none, or -1 after printing why a named source is unusable.
 */
static int find_token(const struct cli *cli, char *buf, size_t cap, const char **from)
{
	static char dflt[300];
	const char *path = cli->opt[OPT_TOKEN_FILE];
	const char *env = getenv("SPOD_TOKEN");
	int must = 1;
	FILE *f;
	size_t n;

	*from = "$SPOD_TOKEN";
	if (path == NULL && env != NULL && env[0] != '\0') {
		if (strlen(env) >= cap)
			return -1;
		strcpy(buf, env);
		return 1;
	}
	if (path == NULL)
		path = getenv("SPOD_TOKEN_FILE");
	if (path == NULL || path[0] == '\0') {
		char dir[256];
		if (spod_data_dir(dir, sizeof(dir)) < 0 ||
		    (size_t)snprintf(dflt, sizeof(dflt), "%s/admin.token", dir) >= sizeof(dflt))
			return 0;
		path = dflt;
		must = 0;
	}
	*from = path;
	f = fopen(path, "r");
	if (f == NULL) {
		if (!must)
			return 0;
		fprintf(stderr, "spod: cannot read the token file %s\n", path);
		return -1;
	}
	n = fread(buf, 1, cap - 1, f);
	fclose(f);
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	if (n == 0) {
		fprintf(stderr, "spod: the token file %s is empty\n", path);
		return -1;
	}
	return 1;
}

/* The errors of spod_client_open that mean the pod was not reached at all. */
static int unreachable(int rc)
{
	return rc == SPOD_E_UNAVAILABLE || rc == SPOD_E_BAD_URI || rc == SPOD_E_BUSY;
}

int cli_connect(struct cli *cli)
{
	char token[SPOD_TOKEN_MAX_BYTES + 2];
	const char *from = NULL;
	int have = find_token(cli, token, sizeof(token), &from);
	int rc;

	if (have < 0) {
		explicit_bzero(token, sizeof(token));
		return SPOD_E_BAD_ARG;
	}
	rc = spod_client_open(&cli->client, cli->uri, have ? token : NULL, cli->timeout_ms);
	/* The token is a secret: no copy stays on the stack, whatever happened. */
	explicit_bzero(token, sizeof(token));
	if (rc < 0 && have && !unreachable(rc)) { /* connected, then refused */
		char action[400];
		snprintf(action, sizeof(action), "authenticating with the token from %s", from);
		(void)cli_fail(cli, rc, action);
		return rc;
	}
	if (rc == SPOD_OK && cli_check_pod(cli, NULL, 0, NULL, 0) != 0)
		return SPOD_E_BAD_SIGNATURE;

	if (rc < 0) {
		if (cli->json) {
			fprintf(stderr,
			        "{\"error\":{\"code\":\"%s\",\"message\":", spod_err_name(rc));
			cli_json_str(stderr, cli->uri, strlen(cli->uri));
			fputs("}}\n", stderr);
		} else {
			const char *why = spod_strerror(rc);
			if (rc == SPOD_E_UNAVAILABLE)
				why = "nothing is listening there (is spod-host running? make run "
				      "starts it; SPOD_URI or --uri pick another pod)";
			else if (rc == SPOD_E_BUSY)
				why = "its queue of new connections stayed full";
			fprintf(stderr, "spod: cannot reach the pod at %s: %s [%s]\n", cli->uri,
			        why, spod_err_name(rc));
		}
	}
	return rc;
}

static int parse_args(struct cli *cli, int argc, char **argv, const char **cmd)
{
	*cmd = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int o;

		if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
			if (*cmd == NULL)
				*cmd = a;
			else if (cli->npos < CLI_MAX_POS)
				cli->pos[cli->npos++] = a;
			else
				return cli_usage_error("too many arguments");
			continue;
		}
		for (o = 0;
		     o < OPT__COUNT && (opt_names[o] == NULL || strcmp(a + 2, opt_names[o]) != 0);
		     o++)
			;
		if (o == OPT__COUNT)
			return cli_usage_error("unknown option %s", a);
		if (o == OPT_JSON || o == OPT_HELP || o == OPT_VERSION || o == OPT_VACUUM ||
		    o == OPT_REMOVE || o == OPT_EIP191 || o == OPT_LIVE) {
			cli->opt[o] = "";
			continue;
		}
		if (i + 1 >= argc)
			return cli_usage_error("%s needs a value", a);
		if (o == OPT_PCR) {
			if (cli->npcr == CLI_MAX_PCRS)
				return cli_usage_error("at most %d --pcr", CLI_MAX_PCRS);
			cli->pcr_args[cli->npcr++] = argv[++i];
			cli->opt[o] = argv[i];
			continue;
		}
		if (o == OPT_APPROVAL) {
			if (cli->napproval == CLI_MAX_APPROVALS)
				return cli_usage_error("at most %d --approval", CLI_MAX_APPROVALS);
			cli->approval_args[cli->napproval++] = argv[++i];
			cli->opt[o] = argv[i];
			continue;
		}
		if (cli->opt[o] != NULL)
			return cli_usage_error("%s given twice", a);
		cli->opt[o] = argv[++i];
	}
	return 0;
}

/*
 * --version, --help, `help [CMD]` and a missing command. Returns -1 when none of them was
 * asked for, else the exit code.
 */
static int help_or_version(const struct cli *cli, const char *cmd)
{
	const char *topic = cmd;

	if (cli->opt[OPT_VERSION] != NULL) {
		cli_version(stdout);
		return 0;
	}
	if (cmd != NULL && strcmp(cmd, "help") == 0)
		topic = cli->npos > 0 ? cli->pos[0] : NULL;
	else if (cli->opt[OPT_HELP] == NULL && cmd != NULL)
		return -1;
	if (cmd == NULL && cli->opt[OPT_HELP] == NULL) {
		cli_help_overview(stderr);
		return 2;
	}
	if (topic == NULL) {
		cli_help_overview(stdout);
		return 0;
	}
	if (cli_help(stdout, topic) < 0)
		return cli_usage_error("unknown command '%s'", topic);
	return 0;
}

/* --json, --timeout and the pod's URI (--uri, $SPOD_URI, the data directory's socket). */
static int setup(struct cli *cli)
{
	const char *uri = cli->opt[OPT_URI] != NULL ? cli->opt[OPT_URI] : getenv("SPOD_URI");

	cli->json = cli->opt[OPT_JSON] != NULL;
	cli->timeout_ms = 30000;
	if (cli->opt[OPT_TIMEOUT] != NULL) {
		char *end;
		long t = strtol(cli->opt[OPT_TIMEOUT], &end, 10);
		if (*end != '\0' || t <= 0 || t > 3600000)
			return cli_usage_error("--timeout must be 1..3600000 milliseconds");
		cli->timeout_ms = (int)t;
	}
	if (uri != NULL && uri[0] != '\0') {
		if (strlen(uri) >= sizeof(cli->uri))
			return cli_usage_error("URI too long");
		strcpy(cli->uri, uri);
	} else if (spod_default_host_uri(cli->uri, sizeof(cli->uri)) < 0) {
		return cli_usage_error("data directory path too long");
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(struct cli *cli);
	} commands[] = {
	    {"info", cmd_info},
	    {"keys", cmd_keys},
	    {"sign", cmd_sign},
	    {"sign-tx", cmd_sign_tx},
	    {"verify", cmd_verify},
	    {"attest", cmd_attest},
	    {"measure", cmd_measure},
	    {"token", cmd_token},
	    {"audit", cmd_audit},
	    {"custodian", cmd_custodian},
	    {"policy", cmd_policy},
	    {"sign-message", cmd_sign_message},
	    {"sign-typed-data", cmd_sign_typed_data},
	    {"sign-authorization", cmd_sign_authorization},
	};
	struct cli cli = {0};
	const char *cmd;
	int rc;

	rc = parse_args(&cli, argc, argv, &cmd);
	if (rc != 0)
		return rc;
	if ((rc = help_or_version(&cli, cmd)) >= 0)
		return rc;
	usage_cmd = cmd;
	if ((rc = setup(&cli)) != 0)
		return rc;
	rc = -1;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(cmd, commands[i].name) == 0)
			rc = commands[i].run(&cli);
	if (rc < 0) {
		usage_cmd = NULL;
		rc = cli_usage_error("unknown command '%s'", cmd);
	}
	spod_client_close(cli.client);
	return rc;
}
