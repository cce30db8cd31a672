/*
 * spod-host's settings from flags, environment and INI file (see config.h): where values come
 * from, their precedence, --help. The table and the value parsers are in config_values.c.
 */
#include "host/core/config.h"

#include <errno.h>
#include <getopt.h>
#include <ini.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/paths.h"
#include "host/core/config_int.h"
#include "host/http/eth_node.h"
#include "policy/approval.h"
#include "spod/err.h"

static int lookup(enum opt_id *out, const char *name)
{
	for (int i = 0; i < OPT__COUNT; i++) {
		if (strcmp(host_settings[i].name, name) == 0) {
			*out = (enum opt_id)i;
			return SPOD_OK;
		}
	}
	return SPOD_E_BAD_ARG;
}

/*
 * One value of setting id from source l->src. The first value from a stronger source of a
 * repeatable setting replaces those of weaker ones.
 */
static int apply(struct loader *l, enum opt_id id, const char *v)
{
	if ((host_settings[id].flags & OPT_REPEAT) && l->set_by[id] != l->src) {
		if (id == OPT_LISTEN)
			l->o->nlisten = 0;
		else if (id == OPT_POLICY_ADMINS)
			l->o->npolicy_admins = 0;
		else
			l->o->npcrs = 0;
	}
	l->set_by[id] = l->src;
	l->line_of[id] = l->line;
	if (v[0] == '\0')
		return BAD(l, id, "empty value");
	if (host_settings[id].set == NULL)
		return config_set_path(l, id, (char *)l->o + host_settings[id].path_off, v);
	return host_settings[id].set(l, id, v);
}

/*
 * inih's line reader: counts lines (so errors name the line of the current key), refuses
 * lines that do not fit inih's buffer instead of letting it split them, and checks section
 * names (an empty unknown section never reaches the handler).
 */
static char *ini_read_line(char *buf, int cap, void *stream)
{
	struct loader *l = stream;
	const char *s = buf;
	size_t n;
	int c;

	if (l->failed || fgets(buf, cap, l->f) == NULL)
		return NULL;
	l->line++;
	n = strlen(buf);
	if (n > 0 && buf[n - 1] != '\n' && (c = getc(l->f)) != EOF) {
		ungetc(c, l->f);
		/* inih's buffer (200 bytes in Debian's build) holds the text, '\n' and NUL */
		FILE_BAD(l, "line longer than %d characters", cap - 2);
		return NULL;
	}
	if (l->line == 1 && strncmp(s, "\xEF\xBB\xBF", 3) == 0)
		s += 3;
	s += strspn(s, " \t");
	if (*s == '[') {
		const char *close = strchr(s, ']');
		size_t len = close ? (size_t)(close - s - 1) : 0;
		if (close != NULL &&
		    (len != strlen(INI_SECTION) || strncmp(s + 1, INI_SECTION, len) != 0)) {
			FILE_BAD(l, "unknown section [%.*s] (only [%s])", (int)len, s + 1,
			         INI_SECTION);
			return NULL;
		}
	}
	return buf;
}

static int ini_on_value(void *user, const char *section, const char *name, const char *value)
{
	struct loader *l = user;
	enum opt_id id;

	if (l->failed)
		return 0;
	if (section[0] != '\0' && strcmp(section, INI_SECTION) != 0)
		FILE_BAD(l, "unknown section [%s] (only [%s])", section, INI_SECTION);
	else if (lookup(&id, name) < 0)
		FILE_BAD(l, "unknown key '%s' (see spod-host --help)", name);
	else if (id == OPT_CONFIG)
		FILE_BAD(l, "config: not a key (name the file with --config or SPOD_HOST_CONFIG)");
	else if (!(host_settings[id].flags & OPT_REPEAT) && l->in_file[id] > 0)
		FILE_BAD(l, "%s: given twice (first on line %u)", name, l->line_of[id]);
	else {
		l->in_file[id]++;
		return apply(l, id, value) == SPOD_OK;
	}
	return 0; /* inih notes the error; ini_read_line then stops the parse */
}

/*
 * Parses the INI text of stream f, named name in messages, as source SRC_FILE. Both the
 * config file (read_config) and host_options_load_ini (text in memory) come through here.
 */
static int read_ini(struct loader *l, FILE *f, const char *name)
{
	int rc;

	l->f = f;
	l->file = name;
	l->src = SRC_FILE;
	l->line = 0;
	rc = ini_parse_stream(ini_read_line, l, ini_on_value, l);
	if (l->failed)
		rc = SPOD_E_BAD_ARG;
	else if (ferror(l->f))
		rc = BAD(l, OPT_CONFIG, "cannot read config file %s: %s", name, strerror(errno));
	else if (rc > 0)
		rc = config_fail(l,
		                 "%s:%d: syntax error (expected 'key = value', a comment or [%s])",
		                 name, rc, INI_SECTION);
	else if (rc < 0)
		rc = config_fail(l, "config file %s: cannot parse", name);
	l->f = NULL;
	l->line = 0;
	return rc;
}

static int read_config(struct loader *l)
{
	const char *path = l->o->config;
	FILE *f = fopen(path, "r");
	int rc;

	if (f == NULL)
		return BAD(l, OPT_CONFIG, "cannot read config file %s: %s", path, strerror(errno));
	rc = read_ini(l, f, path);
	fclose(f);
	return rc;
}

/* Every SPOD_HOST_* variable must name a setting: a typo is an error, not a default. */
static int check_env_names(struct loader *l)
{
	size_t plen = strlen(ENV_PREFIX);

	for (char **e = environ; e != NULL && *e != NULL; e++) {
		const char *eq = strchr(*e, '=');
		size_t len = eq ? (size_t)(eq - *e) : strlen(*e);
		int known = 0;

		if (strncmp(*e, ENV_PREFIX, plen) != 0)
			continue;
		for (int i = 0; i < OPT__COUNT && !known; i++) {
			char name[64];
			config_env_name(name, sizeof(name), host_settings[i].name);
			known = strlen(name) == len && strncmp(name, *e, len) == 0;
		}
		if (!known)
			return config_fail(
			    l, "unknown environment variable %.*s (see spod-host --help)", (int)len,
			    *e);
	}
	return SPOD_OK;
}

/* SPOD_HOST_* values; a repeatable setting's values are separated by commas. */
static int read_env(struct loader *l)
{
	l->src = SRC_ENV;
	for (int i = 0; i < OPT__COUNT; i++) {
		enum opt_id id = (enum opt_id)i;
		char name[64], one[HOST_OPT_PATH_BYTES];
		const char *v;

		config_env_name(name, sizeof(name), host_settings[id].name);
		if (id == OPT_CONFIG || (v = getenv(name)) == NULL)
			continue;
		if (!(host_settings[id].flags & OPT_REPEAT)) {
			SPOD_TRY(apply(l, id, v));
			continue;
		}
		for (;;) {
			size_t len = strcspn(v, ENV_LIST_SEP);
			if (len >= sizeof(one)) {
				l->set_by[id] = SRC_ENV;
				return BAD(l, id, "value longer than %zu bytes", sizeof(one) - 1);
			}
			memcpy(one, v, len);
			one[len] = '\0';
			SPOD_TRY(apply(l, id, one));
			if (v[len] == '\0')
				break;
			v += len + 1;
		}
	}
	return SPOD_OK;
}

static void long_options(struct option *opts)
{
	for (int i = 0; i < OPT__COUNT; i++)
		opts[i] = (struct option){host_settings[i].name, required_argument, NULL,
		                          GETOPT_BASE + i};
	opts[OPT__COUNT] = (struct option){"list-routes", no_argument, NULL, GETOPT_LIST_ROUTES};
	opts[OPT__COUNT + 1] = (struct option){"help", no_argument, NULL, 'h'};
	opts[OPT__COUNT + 2] = (struct option){NULL, 0, NULL, 0};
}

/*
 * One pass over argv. With apply_values 0 it only checks the syntax, notes --help,
 * --list-routes and --config; with 1 it applies every setting but config.
 */
static int read_flags(struct loader *l, int argc, char **argv, int apply_values)
{
	struct option opts[OPT__COUNT + 3];
	int c;

	long_options(opts);
	l->src = SRC_FLAG;
	optind = 0; /* glibc: restart scanning from scratch */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		const char *arg = argv[optind - 1];

		if (c == '?' && strncmp(arg, "--", 2) == 0 && optopt != 0)
			return config_fail(l, "option '%s' takes no value", arg);
		if (c == '?' && strncmp(arg, "--", 2) == 0)
			return config_fail(l, "unknown option '%s' (see spod-host --help)", arg);
		if (c == '?')
			return config_fail(l, "unknown option '-%c' (see spod-host --help)",
			                   optopt);
		if (c == ':')
			return config_fail(l, "option '%s' needs a value", arg);
		if (c == 'h')
			l->o->action = HOST_ACTION_HELP;
		else if (c == GETOPT_LIST_ROUTES && l->o->action != HOST_ACTION_HELP)
			l->o->action = HOST_ACTION_LIST_ROUTES;
		else if (c >= GETOPT_BASE && c < GETOPT_LIST_ROUTES &&
		         (c == GETOPT_BASE + OPT_CONFIG) == !apply_values)
			SPOD_TRY(apply(l, (enum opt_id)(c - GETOPT_BASE), optarg));
	}
	if (optind != argc)
		return config_fail(l, "unexpected argument '%s'", argv[optind]);
	return SPOD_OK;
}

/* The default of setting id, prefix + DATA-DIR/file, into out; notes that data_dir is used. */
static int default_in_data_dir(struct loader *l, enum opt_id id, char *out, size_t cap,
                               const char *prefix, const char *file)
{
	int n = snprintf(out, cap, "%s%s/%s", prefix, l->o->data_dir, file);

	if (n < 0 || (size_t)n >= cap)
		return config_fail(l, "data directory %s is too long for the default %s (set %s)",
		                   l->o->data_dir, file, host_settings[id].name);
	l->o->data_dir_used = 1;
	return SPOD_OK;
}

static int read_root(struct loader *l)
{
	struct host_options *o = l->o;
	FILE *f = fopen(o->attest_root, "rb");
	size_t n;

	if (f == NULL)
		return BAD(l, OPT_ATTEST_ROOT, "cannot open %s: %s", o->attest_root,
		           strerror(errno));
	n = fread(o->root_bytes, 1, sizeof(o->root_bytes), f);
	fclose(f);
	if (n == 0 || n == sizeof(o->root_bytes))
		return BAD(l, OPT_ATTEST_ROOT, "%s is empty or larger than %u bytes",
		           o->attest_root, HOST_OPT_ROOT_MAX_BYTES - 1);
	o->root_len = n;
	return SPOD_OK;
}

/*
 * policy-admins and policy-threshold go together: K of the M keys, 1 <= K <= M, each key a
 * valid Ed25519 point (the enclave checks the same and would refuse the set at connect time).
 */
static int check_policy_admins(struct loader *l)
{
	struct host_options *o = l->o;
	const char *why;

	if (o->npolicy_admins == 0 && o->policy_threshold == 0)
		return SPOD_OK;
	if (o->npolicy_admins == 0)
		return BAD(l, OPT_POLICY_THRESHOLD, "needs policy-admins");
	if (o->policy_threshold == 0)
		return BAD(l, OPT_POLICY_ADMINS, "needs policy-threshold (K of the %u keys)",
		           o->npolicy_admins);
	if (o->policy_threshold > o->npolicy_admins)
		return BAD(l, OPT_POLICY_THRESHOLD, "%u is more than the %u policy-admins",
		           o->policy_threshold, o->npolicy_admins);
	if (spod_admins_check((uint8_t)o->policy_threshold, (uint8_t)o->npolicy_admins,
	                      o->policy_admins[0], &why) < 0)
		return BAD(l, OPT_POLICY_ADMINS, "%s", why);
	return SPOD_OK;
}

/* Defaults derived from data_dir, checks across settings, the attest-root file. */
static int finish(struct loader *l)
{
	struct host_options *o = l->o;
	char uri[HOST_OPT_PATH_BYTES + 32];

	if (l->set_by[OPT_DATA_DIR] == SRC_DEFAULT &&
	    spod_data_dir(o->data_dir, sizeof(o->data_dir)) < 0)
		return config_fail(
		    l, "data directory from SPOD_DATA_DIR or XDG_RUNTIME_DIR is too long");
	if (o->nlisten == 0) {
		SPOD_TRY(
		    default_in_data_dir(l, OPT_LISTEN, uri, sizeof(uri), "unix://", "spod.sock"));
		if (spod_uri_parse(&o->listen[0], uri) < 0)
			return config_fail(
			    l, "data directory %s is too long for a socket path (set listen)",
			    o->data_dir);
		o->nlisten = 1;
	}
	if (l->set_by[OPT_ENCLAVE] == SRC_DEFAULT) {
		SPOD_TRY(default_in_data_dir(l, OPT_ENCLAVE, uri, sizeof(uri), "unix://",
		                             "enclave.sock"));
		if (spod_uri_parse(&o->enclave, uri) < 0)
			return config_fail(
			    l, "data directory %s is too long for a socket path (set enclave)",
			    o->data_dir);
	}
	if (l->set_by[OPT_DB] == SRC_DEFAULT)
		SPOD_TRY(default_in_data_dir(l, OPT_DB, o->db, sizeof(o->db), "", "spod.db"));
	if (l->set_by[OPT_TOKEN_FILE] == SRC_DEFAULT)
		SPOD_TRY(default_in_data_dir(l, OPT_TOKEN_FILE, o->token_file,
		                             sizeof(o->token_file), "", "admin.token"));

	if ((o->tls_cert[0] != '\0') != (o->tls_key[0] != '\0')) {
		enum opt_id given = o->tls_cert[0] != '\0' ? OPT_TLS_CERT : OPT_TLS_KEY;
		return BAD(l, given, "tls-cert and tls-key go together: give both or neither");
	}
	if (o->http_enabled && o->tls_cert[0] == '\0' && !config_ip_is_loopback(o->http_addr))
		return BAD(l, OPT_HTTP,
		           "%s is not a loopback address and tls-cert/tls-key are not set: API "
		           "tokens would cross the network in clear text (serve TLS, or bind "
		           "127.0.0.1)",
		           o->http_addr);
	if (o->eth_listen_enabled && o->tls_cert[0] == '\0' &&
	    !config_ip_is_loopback(o->eth_listen_addr))
		return BAD(l, OPT_ETH_LISTEN,
		           "%s is not a loopback address and tls-cert/tls-key are not set: API "
		           "tokens would cross the network in clear text (serve TLS, or bind "
		           "127.0.0.1)",
		           o->eth_listen_addr);
	if (o->eth_downstream[0] != '\0' && strncmp(o->eth_downstream, "http://", 7) != 0 &&
	    strncmp(o->eth_downstream, "https://", 8) != 0)
		return BAD(l, OPT_ETH_DOWNSTREAM, "'%s' is not an http:// or https:// URL",
		           o->eth_downstream);
	if (o->eth_downstream[0] != '\0' && !o->http_enabled && !o->eth_listen_enabled)
		return BAD(l, OPT_ETH_DOWNSTREAM,
		           "serves POST /eth: needs http or eth-listen (both are off)");
	SPOD_TRY(check_policy_admins(l));
	if (o->attest_root[0] != '\0') {
		if (o->npcrs == 0)
			return BAD(l, OPT_ATTEST_ROOT, "needs at least one expect-pcr");
		SPOD_TRY(read_root(l));
	}
	return SPOD_OK;
}

/* Every setting at its default, before any source is read. */
static void options_defaults(struct host_options *o)
{
	memset(o, 0, sizeof(*o));
	o->enclave_conns = 2;
	o->max_clients = 1024;
	o->max_unauth = 256;
	o->max_unauth_per_peer = 64;
	o->hello_timeout_ms = 5000;
	o->enclave_timeout_ms = 5000;
	o->spin_us = HOST_OPT_SPIN_US_DEFAULT;
	o->audit_head_interval_ms = 1000;
	o->log_level = SPOD_LOG_INFO;
	o->audit_sync = HOST_AUDIT_SYNC_NORMAL;
	o->disk_warn_free_bytes = HOST_OPT_DISK_WARN_DEFAULT;
	o->seal_mode = SPOD_SEAL_EPHEMERAL;
	o->http_enabled = 1;
	snprintf(o->http_addr, sizeof(o->http_addr), "127.0.0.1");
	o->http_port = HOST_OPT_HTTP_DEFAULT_PORT;
	o->http_threads = 2;
	o->http_max_body = (size_t)1 << 20;
	o->http_max_connections = SPOD_HTTP_DEFAULT_MAX_CONNECTIONS;
	o->http_max_per_address = SPOD_HTTP_DEFAULT_MAX_PER_ADDRESS;
	o->http_idle_timeout_s = SPOD_HTTP_DEFAULT_IDLE_TIMEOUT_S;
	o->http_header_timeout_ms = SPOD_HTTP_DEFAULT_HEADER_MS;
	o->http_call_timeout_ms = SPOD_HTTP_DEFAULT_CALL_MS;
	o->eth_downstream_timeout_ms = SPOD_ETH_NODE_DEFAULT_MS;
}

int host_options_load(struct host_options *o, int argc, char **argv, char *err, size_t errcap)
{
	struct loader l = {.o = o, .err = err, .errcap = errcap};
	const char *env_config;
	char none[1];

	if (errcap == 0) {
		l.err = none;
		l.errcap = sizeof(none);
	}
	l.err[0] = '\0';

	options_defaults(o);
	SPOD_TRY(read_flags(&l, argc, argv, 0));
	if (o->action != HOST_ACTION_RUN)
		return SPOD_OK;
	SPOD_TRY(check_env_names(&l));
	if (l.set_by[OPT_CONFIG] == SRC_DEFAULT &&
	    (env_config = getenv(ENV_PREFIX "CONFIG")) != NULL) {
		l.src = SRC_ENV;
		SPOD_TRY(apply(&l, OPT_CONFIG, env_config));
	}
	if (o->config[0] != '\0')
		SPOD_TRY(read_config(&l));
	SPOD_TRY(read_env(&l));
	SPOD_TRY(read_flags(&l, argc, argv, 1));
	return finish(&l);
}

int host_options_load_ini(struct host_options *o, const char *name, const char *text, size_t len,
                          char *err, size_t errcap)
{
	struct loader l = {.o = o, .err = err, .errcap = errcap};
	char none[1];
	FILE *f;
	int rc;

	if (errcap == 0) {
		l.err = none;
		l.errcap = sizeof(none);
	}
	l.err[0] = '\0';
	options_defaults(o);
	if (len == 0)
		return SPOD_OK; /* fmemopen refuses an empty buffer; an empty file sets nothing */
	f = fmemopen((void *)text, len, "r");
	if (f == NULL)
		return config_fail(&l, "%s: cannot open the text in memory: %s", name,
		                   strerror(errno));
	rc = read_ini(&l, f, name);
	fclose(f);
	return rc;
}

int host_options_to_config(const struct host_options *o, struct spod_host_config *cfg)
{
	memcpy(cfg->listen, o->listen, sizeof(cfg->listen));
	cfg->nlisten = o->nlisten;
	cfg->enclave = o->enclave;
	cfg->enclave_conns = o->enclave_conns;
	cfg->max_clients = o->max_clients;
	cfg->max_unauth = o->max_unauth < o->max_clients ? o->max_unauth : o->max_clients;
	cfg->max_unauth_per_peer =
	    o->max_unauth_per_peer < cfg->max_unauth ? o->max_unauth_per_peer : cfg->max_unauth;
	cfg->hello_timeout_ms = o->hello_timeout_ms;
	cfg->enclave_timeout_ms = o->enclave_timeout_ms;
	cfg->spin_us = o->spin_us;
	cfg->audit_head_interval_ms = o->audit_head_interval_ms;
	cfg->connect_timeout_ms = 500;
	cfg->admit = o->npcrs > 0;
	cfg->pcrs = o->pcrs;
	cfg->npcrs = o->npcrs;
	cfg->root = o->attest_root[0] != '\0' ? (struct spod_bytes){o->root_bytes, o->root_len}
	                                      : (struct spod_bytes){NULL, 0};
	cfg->db_path = o->db;
	cfg->audit_sync_full = o->audit_sync == HOST_AUDIT_SYNC_FULL;
	cfg->disk_warn_free_bytes = o->disk_warn_free_bytes;
	cfg->disk_warn_free_pct = o->disk_warn_free_pct;
	cfg->seal_mode = o->seal_mode;
	cfg->token_file = o->token_file;
	cfg->policy_admins = o->npolicy_admins > 0 ? o->policy_admins[0] : NULL;
	cfg->npolicy_admins = o->npolicy_admins;
	cfg->policy_threshold = o->policy_threshold;
	return SPOD_OK;
}

static void print_indented(FILE *out, const char *text)
{
	while (*text != '\0') {
		size_t len = strcspn(text, "\n");
		fprintf(out, "        %.*s\n", (int)len, text);
		text += len + (text[len] == '\n');
	}
}

void host_options_usage(FILE *out)
{
	fputs("usage: spod-host [options]\n"
	      "\n"
	      "Serves the spod binary protocol to applications and forwards it to spod-enclave;\n"
	      "serves the HTTP/JSON API.\n"
	      "\n"
	      "Every setting is a flag, an environment variable and a config-file key, named\n"
	      "alike: --enclave-conns N, SPOD_HOST_ENCLAVE_CONNS=N, enclave-conns = N.\n"
	      "Precedence: flag > environment > config file > default. A repeatable setting\n"
	      "(listen, expect-pcr, policy-admins) takes all its values from the first of\n"
	      "those that gives any; in the environment, separate them with commas. Unknown\n"
	      "flags, keys, sections and SPOD_HOST_* variables are errors.\n"
	      "\n",
	      out);
	for (int i = 0; i < OPT__COUNT; i++) {
		const struct setting *s = &host_settings[i];
		char env[64], where[160];
		int n;

		config_env_name(env, sizeof(env), s->name);
		fprintf(out, "  --%s %s\n", s->name, s->metavar);
		print_indented(out, s->help);
		if (i == OPT_CONFIG)
			n = snprintf(where, sizeof(where), "env %s", env);
		else
			n = snprintf(where, sizeof(where), "env %s, key %s", env, s->name);
		/* One line if it fits in 80 columns: 8 of indent, "; default: " and the default. */
		if (n > 0 && 8 + (size_t)n + 11 + strlen(s->dflt) <= 80)
			fprintf(out, "        %s; default: %s\n", where, s->dflt);
		else
			fprintf(out, "        %s\n        default: %s\n", where, s->dflt);
	}
	fputs("  --list-routes\n"
	      "        print the HTTP API's routes (METHOD PATH) and exit\n"
	      "  -h, --help\n"
	      "        this text\n",
	      out);
}
