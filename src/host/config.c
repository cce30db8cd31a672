/* spod-host's settings from flags, environment and INI file (see config.h). */
#include "host/config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <ini.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/hex.h"
#include "common/paths.h"
#include "spod/err.h"

#define STR_(x) #x
#define STR(x)  STR_(x)

#define ENV_PREFIX   "SPOD_HOST_"
#define INI_SECTION  "spod-host"
#define ENV_LIST_SEP ","

enum opt_id {
	OPT_CONFIG,
	OPT_DATA_DIR,
	OPT_LISTEN,
	OPT_ENCLAVE,
	OPT_ENCLAVE_CONNS,
	OPT_MAX_CLIENTS,
	OPT_EXPECT_PCR,
	OPT_ATTEST_ROOT,
	OPT_LOG_LEVEL,
	OPT_DB,
	OPT_AUDIT_SYNC,
	OPT_TOKEN_FILE,
	OPT_HTTP,
	OPT_HTTP_THREADS,
	OPT_HTTP_MAX_BODY,
	OPT_TLS_CERT,
	OPT_TLS_KEY,
	OPT__COUNT
};

/* Sources in increasing precedence; a setting remembers the strongest that set it. */
enum opt_src { SRC_DEFAULT = 0, SRC_FILE, SRC_ENV, SRC_FLAG };

#define OPT_REPEAT 1u /* listen, expect-pcr: values accumulate within one source */

#define GETOPT_BASE        256 /* getopt_long val of setting i is GETOPT_BASE + i */
#define GETOPT_LIST_ROUTES (GETOPT_BASE + OPT__COUNT)

struct loader {
	struct host_options *o;
	char *err;
	size_t errcap;
	enum opt_src src;                /* source being applied */
	enum opt_src set_by[OPT__COUNT]; /* strongest source that set each setting */
	unsigned line_of[OPT__COUNT];    /* config-file line that set it (SRC_FILE) */
	unsigned in_file[OPT__COUNT];    /* times each key appeared in the config file */
	const char *file;                /* config file path while it is read */
	FILE *f;
	unsigned line; /* lines of the config file read so far */
	int failed;    /* err holds a message: stop */
};

struct setting {
	const char *name;    /* long option and INI key */
	const char *metavar; /* in --help */
	const char *dflt;    /* in --help */
	const char *help;    /* in --help; '\n' separates lines */
	unsigned flags;
	int (*set)(struct loader *l, enum opt_id id, const char *v); /* NULL: a path */
	size_t path_off; /* path settings: offset of the char[HOST_OPT_PATH_BYTES] in o */
};

static int fail(struct loader *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct loader *l, const char *fmt, ...)
{
	size_t n = strlen(l->err);
	va_list ap;

	va_start(ap, fmt);
	if (n < l->errcap)
		vsnprintf(l->err + n, l->errcap - n, fmt, ap);
	va_end(ap);
	l->failed = 1;
	return SPOD_E_BAD_ARG;
}

/* "SPOD_HOST_" + name upper-cased with '-' as '_'. */
static void env_name(char *out, size_t cap, const char *name)
{
	size_t n = strlen(ENV_PREFIX);

	snprintf(out, cap, "%s", ENV_PREFIX);
	for (; *name != '\0' && n + 1 < cap; name++, n++)
		out[n] = *name == '-' ? '_' : (char)toupper((unsigned char)*name);
	if (n < cap)
		out[n] = '\0';
}

static const struct setting settings[OPT__COUNT];

/* Starts err with where setting id got its value: "--x: ", "SPOD_HOST_X: ", "FILE:LINE: x: ". */
static void locate(struct loader *l, enum opt_id id)
{
	const char *name = settings[id].name;
	char env[64];

	switch (l->set_by[id]) {
	case SRC_FLAG:
		snprintf(l->err, l->errcap, "--%s: ", name);
		break;
	case SRC_ENV:
		env_name(env, sizeof(env), name);
		snprintf(l->err, l->errcap, "%s: ", env);
		break;
	case SRC_FILE:
		snprintf(l->err, l->errcap, "%s:%u: %s: ", l->o->config, l->line_of[id], name);
		break;
	default:
		snprintf(l->err, l->errcap, "%s: ", name);
		break;
	}
}

#define BAD(l, id, ...) (locate((l), (id)), fail((l), __VA_ARGS__))

/* An error at the config-file line being read. */
#define FILE_BAD(l, ...)                                                                           \
	(snprintf((l)->err, (l)->errcap, "%s:%u: ", (l)->file, (l)->line), fail((l), __VA_ARGS__))

/* Strict decimal (digits only, no sign or space) of at most max; *end after the digits. */
static int parse_dec(uint64_t *out, const char *s, const char **end, uint64_t max)
{
	uint64_t v = 0;
	const char *p = s;

	for (; *p >= '0' && *p <= '9'; p++) {
		uint64_t d = (uint64_t)(*p - '0');
		if (d > max || v > (max - d) / 10)
			return SPOD_E_BAD_ARG;
		v = v * 10 + d;
	}
	if (p == s)
		return SPOD_E_BAD_ARG;
	*out = v;
	*end = p;
	return SPOD_OK;
}

static int ip_is_loopback(const char *ip)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (inet_pton(AF_INET, ip, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, ip, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6) ||
		       (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
	return 0;
}

static int set_path(struct loader *l, enum opt_id id, char *dst, const char *v)
{
	if (strlen(v) >= HOST_OPT_PATH_BYTES)
		return BAD(l, id, "path longer than %u bytes", HOST_OPT_PATH_BYTES - 1);
	memcpy(dst, v, strlen(v) + 1);
	return SPOD_OK;
}

static int set_uint(struct loader *l, enum opt_id id, unsigned *out, const char *v, unsigned lo,
                    unsigned hi)
{
	const char *end;
	uint64_t n;

	if (parse_dec(&n, v, &end, hi) < 0 || *end != '\0' || n < lo)
		return BAD(l, id, "'%s' is not a number in %u..%u", v, lo, hi);
	*out = (unsigned)n;
	return SPOD_OK;
}

static int set_listen(struct loader *l, enum opt_id id, const char *v)
{
	struct host_options *o = l->o;
	struct spod_uri *u;

	if (o->nlisten == SPOD_HOST_MAX_LISTENERS)
		return BAD(l, id, "at most %u listeners", SPOD_HOST_MAX_LISTENERS);
	u = &o->listen[o->nlisten];
	if (spod_uri_parse(u, v) < 0 || u->kind == SPOD_URI_VSOCK)
		return BAD(l, id, "'%s' is not unix:///PATH or tcp://127.0.0.1:PORT", v);
	if (u->kind == SPOD_URI_TCP && !ip_is_loopback(u->host))
		return BAD(l, id,
		           "%s: TCP listeners must be on a loopback address (the binary protocol "
		           "has no TLS)",
		           v);
	o->nlisten++;
	return SPOD_OK;
}

static int set_enclave(struct loader *l, enum opt_id id, const char *v)
{
	if (spod_uri_parse(&l->o->enclave, v) < 0)
		return BAD(l, id, "'%s' is not a unix://, tcp:// or vsock:// URI", v);
	return SPOD_OK;
}

static int set_enclave_conns(struct loader *l, enum opt_id id, const char *v)
{
	return set_uint(l, id, &l->o->enclave_conns, v, 1, SPOD_HOST_MAX_ENCLAVE_CONNS);
}

static int set_max_clients(struct loader *l, enum opt_id id, const char *v)
{
	return set_uint(l, id, &l->o->max_clients, v, 1, HOST_OPT_MAX_CLIENTS);
}

static int set_http_threads(struct loader *l, enum opt_id id, const char *v)
{
	return set_uint(l, id, &l->o->http_threads, v, 1, HOST_OPT_HTTP_MAX_THREADS);
}

/* N=HEX: PCR index 0..31 and its expected value. */
static int set_expect_pcr(struct loader *l, enum opt_id id, const char *v)
{
	struct host_options *o = l->o;
	const char *end;
	uint8_t *value;
	uint64_t idx;
	size_t n;

	if (o->npcrs == SPOD_ATTEST_MAX_PCRS)
		return BAD(l, id, "at most %u PCRs", SPOD_ATTEST_MAX_PCRS);
	value = o->pcr_values[o->npcrs];
	if (parse_dec(&idx, v, &end, SPOD_ATTEST_MAX_PCRS - 1) < 0 || *end != '=' ||
	    spod_hex_decode(value, SPOD_ATTEST_PCR_MAX_BYTES, &n, end + 1) < 0 || n == 0)
		return BAD(l, id, "'%s' is not N=HEX with N 0..%u and 1..%u bytes of hex", v,
		           SPOD_ATTEST_MAX_PCRS - 1, SPOD_ATTEST_PCR_MAX_BYTES);
	for (size_t i = 0; i < o->npcrs; i++)
		if (o->pcrs[i].index == idx)
			return BAD(l, id, "PCR %u given twice", (unsigned)idx);
	o->pcrs[o->npcrs] = (struct spod_attest_pcr_expect){(uint32_t)idx, value, n};
	o->npcrs++;
	return SPOD_OK;
}

static int set_log_level(struct loader *l, enum opt_id id, const char *v)
{
	if (spod_log_level_parse(&l->o->log_level, v) < 0)
		return BAD(l, id, "'%s' is not debug, info, warn or error", v);
	return SPOD_OK;
}

static int set_audit_sync(struct loader *l, enum opt_id id, const char *v)
{
	if (strcmp(v, "normal") == 0)
		l->o->audit_sync = HOST_AUDIT_SYNC_NORMAL;
	else if (strcmp(v, "full") == 0)
		l->o->audit_sync = HOST_AUDIT_SYNC_FULL;
	else
		return BAD(l, id, "'%s' is not normal or full", v);
	return SPOD_OK;
}

/* "off", or ADDR:PORT with an IPv4 literal or a [bracketed] IPv6 literal, port 0..65535. */
static int set_http(struct loader *l, enum opt_id id, const char *v)
{
	struct host_options *o = l->o;
	char text[8 + HOST_OPT_HTTP_ADDR_BYTES + 8];
	struct spod_uri u;
	int n;

	if (strcmp(v, "off") == 0) {
		o->http_enabled = 0;
		return SPOD_OK;
	}
	n = snprintf(text, sizeof(text), "tcp://%s", v);
	if (n < 0 || (size_t)n >= sizeof(text) || spod_uri_parse(&u, text) < 0)
		return BAD(l, id, "'%s' is not IPV4:PORT, [IPV6]:PORT or off", v);
	o->http_enabled = 1;
	snprintf(o->http_addr, sizeof(o->http_addr), "%s", u.host);
	o->http_port = (uint16_t)u.port;
	return SPOD_OK;
}

/* Bytes, or a number with suffix K (KiB) or M (MiB). */
static int set_http_max_body(struct loader *l, enum opt_id id, const char *v)
{
	const char *end;
	uint64_t n;

	if (parse_dec(&n, v, &end, UINT32_MAX) < 0)
		goto bad;
	if (*end == 'K' || *end == 'k') {
		n <<= 10;
		end++;
	} else if (*end == 'M' || *end == 'm') {
		n <<= 20;
		end++;
	}
	if (*end != '\0')
		goto bad;
	if (n < HOST_OPT_HTTP_MIN_BODY || n > HOST_OPT_HTTP_MAX_BODY)
		goto bad;
	l->o->http_max_body = (size_t)n;
	return SPOD_OK;
bad:
	return BAD(l, id, "'%s' is not a size in 1K..64M (bytes, or with suffix K or M)", v);
}

/* clang-format off */
static const struct setting settings[OPT__COUNT] = {
	[OPT_CONFIG] = {"config", "FILE", "none",
		"INI file of settings: keys named as the long options, at top level or in\n"
		"a [" INI_SECTION "] section; repeat a key for each value of listen or\n"
		"expect-pcr. A flag or SPOD_HOST_CONFIG only, not a key.",
		0, NULL, offsetof(struct host_options, config)},
	[OPT_DATA_DIR] = {"data-dir", "DIR",
		"$SPOD_DATA_DIR, else $XDG_RUNTIME_DIR/spod, else /tmp/spod-$UID",
		"directory of the default sockets, database and token file; created\n"
		"mode 0700 when one of those defaults is used",
		0, NULL, offsetof(struct host_options, data_dir)},
	[OPT_LISTEN] = {"listen", "URI", "unix://DATA-DIR/spod.sock",
		"where applications connect to the binary protocol: unix:///PATH or\n"
		"tcp://127.0.0.1:PORT (loopback only: the binary protocol has no TLS);\n"
		"repeatable, up to " STR(SPOD_HOST_MAX_LISTENERS),
		OPT_REPEAT, set_listen, 0},
	[OPT_ENCLAVE] = {"enclave", "URI", "unix://DATA-DIR/enclave.sock",
		"where spod-enclave listens: vsock://CID:PORT in production",
		0, set_enclave, 0},
	[OPT_ENCLAVE_CONNS] = {"enclave-conns", "N", "2",
		"pipelined connections to the enclave, 1.." STR(SPOD_HOST_MAX_ENCLAVE_CONNS),
		0, set_enclave_conns, 0},
	[OPT_MAX_CLIENTS] = {"max-clients", "N", "1024",
		"application connections at once, 1.." STR(HOST_OPT_MAX_CLIENTS),
		0, set_max_clients, 0},
	[OPT_EXPECT_PCR] = {"expect-pcr", "N=HEX", "none (admission off)",
		"admission: serve through an enclave connection only after a fresh\n"
		"attestation with this value of PCR N (0..31) verifies; repeatable",
		OPT_REPEAT, set_expect_pcr, 0},
	[OPT_ATTEST_ROOT] = {"attest-root", "FILE", "the embedded AWS Nitro Enclaves root G1",
		"root certificate (PEM or DER) attestations must chain to; needs\n"
		"expect-pcr. For the simulated NSM: the file `spod attest dev-root` prints",
		0, NULL, offsetof(struct host_options, attest_root)},
	[OPT_LOG_LEVEL] = {"log-level", "LEVEL", "info",
		"debug, info, warn or error",
		0, set_log_level, 0},
	[OPT_DB] = {"db", "FILE", "DATA-DIR/spod.db",
		"SQLite database of key metadata, API tokens and the audit log",
		0, NULL, offsetof(struct host_options, db)},
	[OPT_AUDIT_SYNC] = {"audit-sync", "MODE", "normal",
		"normal or full: full makes every audit-log commit durable (fsync)\n"
		"before the request is answered",
		0, set_audit_sync, 0},
	[OPT_TOKEN_FILE] = {"token-file", "FILE", "DATA-DIR/admin.token",
		"where the bootstrap admin token is written on first start",
		0, NULL, offsetof(struct host_options, token_file)},
	[OPT_HTTP] = {"http", "ADDR:PORT", "127.0.0.1:" STR(HOST_OPT_HTTP_DEFAULT_PORT),
		"where to serve the HTTP/JSON API: IPV4:PORT, [IPV6]:PORT (port 0: the\n"
		"kernel picks one) or off. A non-loopback address needs tls-cert and\n"
		"tls-key: API tokens must not cross the network in clear text",
		0, set_http, 0},
	[OPT_HTTP_THREADS] = {"http-threads", "N", "2",
		"HTTP worker threads, 1.." STR(HOST_OPT_HTTP_MAX_THREADS),
		0, set_http_threads, 0},
	[OPT_HTTP_MAX_BODY] = {"http-max-body", "SIZE", "1M",
		"largest HTTP request body, 1K..64M: bytes, or with suffix K or M",
		0, set_http_max_body, 0},
	[OPT_TLS_CERT] = {"tls-cert", "FILE", "none (plain HTTP)",
		"PEM certificate chain for HTTPS; give tls-key too",
		0, NULL, offsetof(struct host_options, tls_cert)},
	[OPT_TLS_KEY] = {"tls-key", "FILE", "none (plain HTTP)",
		"PEM private key of tls-cert",
		0, NULL, offsetof(struct host_options, tls_key)},
};
/* clang-format on */

static int lookup(enum opt_id *out, const char *name)
{
	for (int i = 0; i < OPT__COUNT; i++) {
		if (strcmp(settings[i].name, name) == 0) {
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
	if ((settings[id].flags & OPT_REPEAT) && l->set_by[id] != l->src) {
		if (id == OPT_LISTEN)
			l->o->nlisten = 0;
		else
			l->o->npcrs = 0;
	}
	l->set_by[id] = l->src;
	l->line_of[id] = l->line;
	if (v[0] == '\0')
		return BAD(l, id, "empty value");
	if (settings[id].set == NULL)
		return set_path(l, id, (char *)l->o + settings[id].path_off, v);
	return settings[id].set(l, id, v);
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
	else if (!(settings[id].flags & OPT_REPEAT) && l->in_file[id] > 0)
		FILE_BAD(l, "%s: given twice (first on line %u)", name, l->line_of[id]);
	else {
		l->in_file[id]++;
		return apply(l, id, value) == SPOD_OK;
	}
	return 0; /* inih notes the error; ini_read_line then stops the parse */
}

static int read_config(struct loader *l)
{
	const char *path = l->o->config;
	int rc;

	l->f = fopen(path, "r");
	if (l->f == NULL)
		return BAD(l, OPT_CONFIG, "cannot read config file %s: %s", path, strerror(errno));
	l->file = path;
	l->src = SRC_FILE;
	l->line = 0;
	rc = ini_parse_stream(ini_read_line, l, ini_on_value, l);
	if (l->failed)
		rc = SPOD_E_BAD_ARG;
	else if (ferror(l->f))
		rc = BAD(l, OPT_CONFIG, "cannot read config file %s: %s", path, strerror(errno));
	else if (rc > 0)
		rc = fail(l, "%s:%d: syntax error (expected 'key = value', a comment or [%s])",
		          path, rc, INI_SECTION);
	else if (rc < 0)
		rc = fail(l, "config file %s: cannot parse", path);
	fclose(l->f);
	l->f = NULL;
	l->line = 0;
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
			env_name(name, sizeof(name), settings[i].name);
			known = strlen(name) == len && strncmp(name, *e, len) == 0;
		}
		if (!known)
			return fail(l, "unknown environment variable %.*s (see spod-host --help)",
			            (int)len, *e);
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

		env_name(name, sizeof(name), settings[id].name);
		if (id == OPT_CONFIG || (v = getenv(name)) == NULL)
			continue;
		if (!(settings[id].flags & OPT_REPEAT)) {
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
		opts[i] =
		    (struct option){settings[i].name, required_argument, NULL, GETOPT_BASE + i};
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
			return fail(l, "option '%s' takes no value", arg);
		if (c == '?' && strncmp(arg, "--", 2) == 0)
			return fail(l, "unknown option '%s' (see spod-host --help)", arg);
		if (c == '?')
			return fail(l, "unknown option '-%c' (see spod-host --help)", optopt);
		if (c == ':')
			return fail(l, "option '%s' needs a value", arg);
		if (c == 'h')
			l->o->action = HOST_ACTION_HELP;
		else if (c == GETOPT_LIST_ROUTES && l->o->action != HOST_ACTION_HELP)
			l->o->action = HOST_ACTION_LIST_ROUTES;
		else if (c >= GETOPT_BASE && c < GETOPT_LIST_ROUTES &&
		         (c == GETOPT_BASE + OPT_CONFIG) == !apply_values)
			SPOD_TRY(apply(l, (enum opt_id)(c - GETOPT_BASE), optarg));
	}
	if (optind != argc)
		return fail(l, "unexpected argument '%s'", argv[optind]);
	return SPOD_OK;
}

/* The default of setting id, prefix + DATA-DIR/file, into out; notes that data_dir is used. */
static int default_in_data_dir(struct loader *l, enum opt_id id, char *out, size_t cap,
                               const char *prefix, const char *file)
{
	int n = snprintf(out, cap, "%s%s/%s", prefix, l->o->data_dir, file);

	if (n < 0 || (size_t)n >= cap)
		return fail(l, "data directory %s is too long for the default %s (set %s)",
		            l->o->data_dir, file, settings[id].name);
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

/* Defaults derived from data_dir, checks across settings, the attest-root file. */
static int finish(struct loader *l)
{
	struct host_options *o = l->o;
	char uri[HOST_OPT_PATH_BYTES + 32];

	if (l->set_by[OPT_DATA_DIR] == SRC_DEFAULT &&
	    spod_data_dir(o->data_dir, sizeof(o->data_dir)) < 0)
		return fail(l, "data directory from SPOD_DATA_DIR or XDG_RUNTIME_DIR is too long");
	if (o->nlisten == 0) {
		SPOD_TRY(
		    default_in_data_dir(l, OPT_LISTEN, uri, sizeof(uri), "unix://", "spod.sock"));
		if (spod_uri_parse(&o->listen[0], uri) < 0)
			return fail(l,
			            "data directory %s is too long for a socket path (set listen)",
			            o->data_dir);
		o->nlisten = 1;
	}
	if (l->set_by[OPT_ENCLAVE] == SRC_DEFAULT) {
		SPOD_TRY(default_in_data_dir(l, OPT_ENCLAVE, uri, sizeof(uri), "unix://",
		                             "enclave.sock"));
		if (spod_uri_parse(&o->enclave, uri) < 0)
			return fail(l,
			            "data directory %s is too long for a socket path (set enclave)",
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
	if (o->http_enabled && o->tls_cert[0] == '\0' && !ip_is_loopback(o->http_addr))
		return BAD(l, OPT_HTTP,
		           "%s is not a loopback address and tls-cert/tls-key are not set: API "
		           "tokens would cross the network in clear text (serve TLS, or bind "
		           "127.0.0.1)",
		           o->http_addr);
	if (o->attest_root[0] != '\0') {
		if (o->npcrs == 0)
			return BAD(l, OPT_ATTEST_ROOT, "needs at least one expect-pcr");
		SPOD_TRY(read_root(l));
	}
	return SPOD_OK;
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

	memset(o, 0, sizeof(*o));
	o->enclave_conns = 2;
	o->max_clients = 1024;
	o->log_level = SPOD_LOG_INFO;
	o->audit_sync = HOST_AUDIT_SYNC_NORMAL;
	o->http_enabled = 1;
	snprintf(o->http_addr, sizeof(o->http_addr), "127.0.0.1");
	o->http_port = HOST_OPT_HTTP_DEFAULT_PORT;
	o->http_threads = 2;
	o->http_max_body = (size_t)1 << 20;

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

int host_options_to_config(const struct host_options *o, struct spod_host_config *cfg)
{
	memcpy(cfg->listen, o->listen, sizeof(cfg->listen));
	cfg->nlisten = o->nlisten;
	cfg->enclave = o->enclave;
	cfg->enclave_conns = o->enclave_conns;
	cfg->max_clients = o->max_clients;
	cfg->connect_timeout_ms = 500;
	cfg->admit = o->npcrs > 0;
	cfg->pcrs = o->pcrs;
	cfg->npcrs = o->npcrs;
	cfg->root = o->attest_root[0] != '\0' ? (struct spod_bytes){o->root_bytes, o->root_len}
	                                      : (struct spod_bytes){NULL, 0};
	cfg->db_path = o->db;
	cfg->audit_sync_full = o->audit_sync == HOST_AUDIT_SYNC_FULL;
	cfg->token_file = o->token_file;
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
	      "(listen, expect-pcr) takes all its values from the first of those that gives\n"
	      "any; in the environment, separate them with commas. Unknown flags, keys,\n"
	      "sections and SPOD_HOST_* variables are errors.\n"
	      "\n",
	      out);
	for (int i = 0; i < OPT__COUNT; i++) {
		const struct setting *s = &settings[i];
		char env[64], where[160];
		int n;

		env_name(env, sizeof(env), s->name);
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
