/*
 * spod-host's settings table and the parser of each value (config_int.h): numbers, paths,
 * URIs (binary listeners only on unix sockets or loopback TCP), PCRs, the HTTP address.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/hex.h"
#include "host/core/config_int.h"
#include "spod/err.h"

int config_fail(struct loader *l, const char *fmt, ...)
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
void config_env_name(char *out, size_t cap, const char *name)
{
	size_t n = strlen(ENV_PREFIX);

	snprintf(out, cap, "%s", ENV_PREFIX);
	for (; *name != '\0' && n + 1 < cap; name++, n++)
		out[n] = *name == '-' ? '_' : (char)toupper((unsigned char)*name);
	if (n < cap)
		out[n] = '\0';
}

/* Starts err with where setting id got its value: "--x: ", "SPOD_HOST_X: ", "FILE:LINE: x: ". */
void config_locate(struct loader *l, enum opt_id id)
{
	const char *name = host_settings[id].name;
	char env[64];

	switch (l->set_by[id]) {
	case SRC_FLAG:
		snprintf(l->err, l->errcap, "--%s: ", name);
		break;
	case SRC_ENV:
		config_env_name(env, sizeof(env), name);
		snprintf(l->err, l->errcap, "%s: ", env);
		break;
	case SRC_FILE:
		snprintf(l->err, l->errcap, "%s:%u: %s: ", l->file, l->line_of[id], name);
		break;
	default:
		snprintf(l->err, l->errcap, "%s: ", name);
		break;
	}
}

int config_parse_dec(uint64_t *out, const char *s, const char **end, uint64_t max)
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

int config_ip_is_loopback(const char *ip)
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

int config_set_path(struct loader *l, enum opt_id id, char *dst, const char *v)
{
	if (strlen(v) >= HOST_OPT_PATH_BYTES)
		return BAD(l, id, "path longer than %u bytes", HOST_OPT_PATH_BYTES - 1);
	memcpy(dst, v, strlen(v) + 1);
	return SPOD_OK;
}

int config_set_uint(struct loader *l, enum opt_id id, unsigned *out, const char *v, unsigned lo,
                    unsigned hi)
{
	const char *end;
	uint64_t n;

	if (config_parse_dec(&n, v, &end, hi) < 0 || *end != '\0' || n < lo)
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
	if (u->kind == SPOD_URI_TCP && !config_ip_is_loopback(u->host))
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
	return config_set_uint(l, id, &l->o->enclave_conns, v, 1, SPOD_HOST_MAX_ENCLAVE_CONNS);
}

static int set_max_clients(struct loader *l, enum opt_id id, const char *v)
{
	return config_set_uint(l, id, &l->o->max_clients, v, 1, HOST_OPT_MAX_CLIENTS);
}

static int set_max_unauth(struct loader *l, enum opt_id id, const char *v)
{
	return config_set_uint(l, id, &l->o->max_unauth, v, 1, HOST_OPT_MAX_CLIENTS);
}

static int set_max_unauth_per_peer(struct loader *l, enum opt_id id, const char *v)
{
	return config_set_uint(l, id, &l->o->max_unauth_per_peer, v, 1, HOST_OPT_MAX_CLIENTS);
}

/* A duration: a number with the unit ms or s (500ms, 5s), in the bounds of config.h. */
static int set_duration_ms(struct loader *l, enum opt_id id, unsigned *out, const char *v)
{
	const char *end;
	uint64_t n;

	if (config_parse_dec(&n, v, &end, HOST_OPT_MAX_TIMEOUT_MS) < 0)
		goto bad;
	if (strcmp(end, "s") == 0)
		n *= 1000;
	else if (strcmp(end, "ms") != 0)
		goto bad;
	if (n < HOST_OPT_MIN_TIMEOUT_MS || n > HOST_OPT_MAX_TIMEOUT_MS)
		goto bad;
	*out = (unsigned)n;
	return SPOD_OK;
bad:
	return BAD(l, id, "'%s' is not a duration of 100ms..3600s (a number with ms or s)", v);
}

static int set_hello_timeout(struct loader *l, enum opt_id id, const char *v)
{
	return set_duration_ms(l, id, &l->o->hello_timeout_ms, v);
}

static int set_enclave_timeout(struct loader *l, enum opt_id id, const char *v)
{
	return set_duration_ms(l, id, &l->o->enclave_timeout_ms, v);
}

static int set_spin_us(struct loader *l, enum opt_id id, const char *v)
{
	return config_set_uint(l, id, &l->o->spin_us, v, 0, SPOD_LOOP_SPIN_MAX_US);
}

/* A duration as above, a bare number of milliseconds, or 0 / off: never. */
static int set_audit_head_interval(struct loader *l, enum opt_id id, const char *v)
{
	const char *end;
	uint64_t n;

	if (strcmp(v, "off") == 0 || strcmp(v, "0") == 0) {
		l->o->audit_head_interval_ms = 0;
		return SPOD_OK;
	}
	if (config_parse_dec(&n, v, &end, HOST_OPT_MAX_TIMEOUT_MS) == SPOD_OK && *end == '\0') {
		if (n < HOST_OPT_MIN_TIMEOUT_MS || n > HOST_OPT_MAX_TIMEOUT_MS)
			return BAD(l, id, "'%s' is not 0, off or 100..3600000 ms", v);
		l->o->audit_head_interval_ms = (unsigned)n;
		return SPOD_OK;
	}
	return set_duration_ms(l, id, &l->o->audit_head_interval_ms, v);
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
	if (config_parse_dec(&idx, v, &end, SPOD_ATTEST_MAX_PCRS - 1) < 0 || *end != '=' ||
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

/* off, N% (1..99 % of the file system's size), or a size: bytes or N with K, M, G or T. */
static int set_disk_warn_free(struct loader *l, enum opt_id id, const char *v)
{
	static const char units[] = "KMGT";
	const char *end, *u;
	uint64_t n;

	l->o->disk_warn_free_bytes = 0;
	l->o->disk_warn_free_pct = 0;
	if (strcmp(v, "off") == 0)
		return SPOD_OK;
	if (config_parse_dec(&n, v, &end, UINT64_MAX) < 0)
		goto bad;
	if (end[0] == '%' && end[1] == '\0' && n >= 1 && n <= 99) {
		l->o->disk_warn_free_pct = (unsigned)n;
		return SPOD_OK;
	}
	if (end[0] != '\0' && (u = strchr(units, toupper((unsigned char)end[0]))) != NULL &&
	    end[1] == '\0') {
		unsigned shift = 10u * (unsigned)(u - units + 1);
		if (n > (UINT64_MAX >> shift))
			goto bad;
		n <<= shift;
	} else if (end[0] != '\0') {
		goto bad;
	}
	if (n == 0)
		goto bad;
	l->o->disk_warn_free_bytes = n;
	return SPOD_OK;
bad:
	return BAD(l, id,
	           "'%s' is not a size (bytes, or with suffix K, M, G or T), N%% (1..99) "
	           "or off",
	           v);
}

static int set_seal(struct loader *l, enum opt_id id, const char *v)
{
	if (strcmp(v, "ephemeral") == 0)
		l->o->seal_mode = SPOD_SEAL_EPHEMERAL;
	else if (strcmp(v, "custodians") == 0)
		l->o->seal_mode = SPOD_SEAL_CUSTODIANS;
	else
		return BAD(l, id, "'%s' is not ephemeral or custodians", v);
	return SPOD_OK;
}

/*
 * One or more Ed25519 public keys of 64 hex digits, separated by commas (the setting is also
 * repeatable, so a config file may give one key a line). Distinct; at most
 * SPOD_POLICY_ADMINS_MAX in all.
 */
static int set_policy_admins(struct loader *l, enum opt_id id, const char *v)
{
	struct host_options *o = l->o;

	for (;;) {
		size_t len = strcspn(v, ","), n;
		uint8_t *key;
		char hex[65];

		if (o->npolicy_admins == SPOD_POLICY_ADMINS_MAX)
			return BAD(l, id, "at most %u policy admins", SPOD_POLICY_ADMINS_MAX);
		key = o->policy_admins[o->npolicy_admins];
		if (len != 64)
			return BAD(l, id, "'%.*s' is not an Ed25519 public key (64 hex digits)",
			           (int)(len > 80 ? 80 : len), v);
		memcpy(hex, v, 64);
		hex[64] = '\0';
		if (spod_hex_decode(key, 32, &n, hex) < 0 || n != 32)
			return BAD(l, id, "'%s' is not an Ed25519 public key (64 hex digits)", hex);
		for (unsigned i = 0; i < o->npolicy_admins; i++)
			if (memcmp(o->policy_admins[i], key, 32) == 0)
				return BAD(l, id, "%s given twice", hex);
		o->npolicy_admins++;
		if (v[len] == '\0')
			return SPOD_OK;
		v += len + 1;
	}
}

static int set_policy_threshold(struct loader *l, enum opt_id id, const char *v)
{
	return config_set_uint(l, id, &l->o->policy_threshold, v, 1, SPOD_POLICY_ADMINS_MAX);
}

/* clang-format off */
const struct setting host_settings[OPT__COUNT] = {
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
	[OPT_MAX_UNAUTH] = {"max-unauth", "N", "256",
		"connections that have not authenticated yet, at once; when full (or\n"
		"max-clients is), the oldest of them that has sent nothing is closed to\n"
		"make room (one with a hello waiting is read first), so a client with a\n"
		"token still gets in",
		0, set_max_unauth, 0},
	[OPT_MAX_UNAUTH_PER_PEER] = {"max-unauth-per-peer", "N", "64",
		"of those, from one peer (a unix socket's uid, a TCP address)",
		0, set_max_unauth_per_peer, 0},
	[OPT_HELLO_TIMEOUT] = {"hello-timeout", "DURATION", "5s",
		"a connection that has not authenticated (hello) by then is closed;\n"
		"DURATION is a number with ms or s",
		0, set_hello_timeout, 0},
	[OPT_ENCLAVE_TIMEOUT] = {"enclave-timeout", "DURATION", "5s",
		"an enclave connection that answers nothing for this long while requests\n"
		"wait is taken as stalled: closed, its requests answered UNAVAILABLE\n"
		"(audited as outcome unknown), and connected again with backoff",
		0, set_enclave_timeout, 0},
	[OPT_SPIN_US] = {"spin-us", "N", STR(HOST_OPT_SPIN_US_DEFAULT),
		"microseconds the event loop polls without sleeping before it blocks,\n"
		"0.." STR(SPOD_LOOP_SPIN_MAX_US) ": an enclave answer within that time is taken\n"
		"without a wake-up, but the CPU stays busy meanwhile; pays only on a CPU\n"
		"of its own (docs/architecture.md, Performance)",
		0, set_spin_us, 0},
	[OPT_AUDIT_HEAD_INTERVAL] = {"audit-head-interval", "DURATION|off", "1000ms",
		"this often, when the audit log grew, the enclave signs its head\n"
		"(seq and hash) with its evidence key; once more at a clean stop. A\n"
		"duration, a number of milliseconds, or 0/off: never (docs/evidence.md)",
		0, set_audit_head_interval, 0},
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
	[OPT_DISK_WARN_FREE] = {"disk-warn-free", "SIZE|N%|off", "1G",
		"warn (in the log, at most once a minute) while the database's file\n"
		"system has less free space than this for spod-host: a size (bytes, or\n"
		"with suffix K, M, G or T) or N% of the file system; at full disk every\n"
		"signature is withheld. /metrics shows the gauges (docs/host.md)",
		0, set_disk_warn_free, 0},
	[OPT_SEAL] = {"seal", "MODE", "ephemeral",
		"where the enclave's seal key comes from (docs/keys.md): ephemeral (a\n"
		"random key per enclave boot: keys die with the enclave) or custodians\n"
		"(K of N custodians' shares; the pod serves no key until they arrive)",
		0, set_seal, 0},
	[OPT_TOKEN_FILE] = {"token-file", "FILE", "DATA-DIR/admin.token",
		"where the bootstrap admin token is written on first start",
		0, NULL, offsetof(struct host_options, token_file)},
	[OPT_HTTP] = {"http", "ADDR:PORT", "127.0.0.1:" STR(HOST_OPT_HTTP_DEFAULT_PORT),
		"where to serve the HTTP/JSON API: IPV4:PORT, [IPV6]:PORT (port 0: the\n"
		"kernel picks one) or off. A non-loopback address needs tls-cert and\n"
		"tls-key: API tokens must not cross the network in clear text",
		0, config_set_http, 0},
	[OPT_HTTP_THREADS] = {"http-threads", "N", "2",
		"HTTP threads, and as many threads carrying HTTP requests to the pod,\n"
		"1.." STR(HOST_OPT_HTTP_MAX_THREADS),
		0, config_set_http_threads, 0},
	[OPT_HTTP_MAX_BODY] = {"http-max-body", "SIZE", "1M",
		"largest HTTP request body, 1K..64M: bytes, or with suffix K or M",
		0, config_set_http_max_body, 0},
	[OPT_HTTP_MAX_CONNECTIONS] = {"http-max-connections", "N", "256",
		"HTTP connections at once, 1.." STR(HOST_OPT_HTTP_MAX_CONNS) ", counting those still\n"
		"sending their header; when all are taken, the one waiting longest for\n"
		"its header is closed to make room. Keep it well below the descriptor\n"
		"limit (ulimit -n)",
		0, config_set_http_max_connections, 0},
	[OPT_HTTP_MAX_PER_ADDRESS] = {"http-max-per-address", "N", "32",
		"HTTP connections at once from one client address, 1.." STR(HOST_OPT_HTTP_MAX_CONNS) ";\n"
		"an application beside the pod connects from one loopback address",
		0, config_set_http_max_per_address, 0},
	[OPT_HTTP_IDLE_TIMEOUT] = {"http-idle-timeout", "TIME", "30s",
		"an HTTP connection idle this long is closed; a kept-alive one must\n"
		"send its next whole request header within this plus\n"
		"http-header-timeout of the last answer. Whole seconds, 1..3600",
		0, config_set_http_idle_timeout, 0},
	[OPT_HTTP_HEADER_TIMEOUT] = {"http-header-timeout", "TIME", "10s",
		"a new HTTP connection must send its whole request header (over TLS,\n"
		"its ClientHello, then the handshake and header) within this, or it is\n"
		"closed: N or Ns seconds, or Nms, 100ms..600s",
		0, config_set_http_header_timeout, 0},
	[OPT_HTTP_CALL_TIMEOUT] = {"http-call-timeout", "TIME", "5s",
		"an HTTP request the pod has not answered within this gets 503\n"
		"UNAVAILABLE (its connection to the pod is closed): 100ms..600s",
		0, config_set_http_call_timeout, 0},
	[OPT_TLS_CERT] = {"tls-cert", "FILE", "none (plain HTTP)",
		"PEM certificate chain for HTTPS; give tls-key too",
		0, NULL, offsetof(struct host_options, tls_cert)},
	[OPT_TLS_KEY] = {"tls-key", "FILE", "none (plain HTTP)",
		"PEM private key of tls-cert",
		0, NULL, offsetof(struct host_options, tls_key)},
	[OPT_ETH_LISTEN] = {"eth-listen", "ADDR:PORT", "off",
		"also serve the Ethereum JSON-RPC signer (POST /eth) on a port of its\n"
		"own, at POST / (and /eth): IPV4:PORT, [IPV6]:PORT or off; like http, a\n"
		"non-loopback address needs tls-cert and tls-key",
		0, config_set_eth_listen, 0},
	[OPT_ETH_DOWNSTREAM] = {"eth-downstream", "URL", "none",
		"Ethereum node (http:// or https://) behind POST /eth: methods spod does\n"
		"not serve go to it, and eth_sendTransaction fills and sends through it",
		0, NULL, offsetof(struct host_options, eth_downstream)},
	[OPT_ETH_DOWNSTREAM_TIMEOUT] = {"eth-downstream-timeout", "TIME", "10s",
		"longest wait for one call to eth-downstream: 100ms..600s",
		0, config_set_eth_downstream_timeout, 0},
	[OPT_POLICY_ADMINS] = {"policy-admins", "HEX[,HEX...]", "none",
		"the policy admins (docs/policy.md): 1..16 distinct Ed25519 public keys\n"
		"(64 hex digits each), comma-separated or repeated (in a config file,\n"
		"one a line). Registered with the enclave: policy changes then need\n"
		"policy-threshold of their approvals",
		OPT_REPEAT, set_policy_admins, 0},
	[OPT_POLICY_THRESHOLD] = {"policy-threshold", "K", "none",
		"approvals a policy change needs: 1..the number of policy-admins",
		0, set_policy_threshold, 0},
};
/* clang-format on */
