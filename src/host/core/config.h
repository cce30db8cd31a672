/*
 * spod-host's settings: command-line flags, SPOD_HOST_* environment variables and an optional
 * INI config file, merged into one struct host_options.
 *
 * Every setting has one name, used three ways: the long option (--enclave-conns), the INI key
 * (enclave-conns, at top level or in a [spod-host] section) and, upper-cased with '-' turned
 * into '_', the environment variable (SPOD_HOST_ENCLAVE_CONNS). A flag beats the environment,
 * the environment beats the config file, the config file beats the default. For a repeatable
 * setting (listen, expect-pcr) the strongest source that gives any value gives all of them:
 * values are never merged across sources. In the environment a repeatable setting lists its
 * values separated by commas.
 *
 * The config file is named by --config or SPOD_HOST_CONFIG; there is none by default.
 * Mistakes are errors, never silently ignored: an unknown flag, key, section or SPOD_HOST_*
 * variable, a bad or empty value, a non-repeatable key given twice in the file, a config file
 * that cannot be read.
 */
#ifndef SPOD_HOST_CONFIG_H
#define SPOD_HOST_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/log.h"
#include "host/core/forward.h"
#include "spod/attest.h"
#include "spod/wire.h"
#include "transport/loop.h"
#include "transport/uri.h"

#define HOST_OPT_PATH_BYTES      512u   /* file and directory settings, with the NUL */
#define HOST_OPT_ROOT_MAX_BYTES  16384u /* attest-root file, PEM or DER */
#define HOST_OPT_HTTP_ADDR_BYTES 64u    /* canonical IPv4/IPv6 literal, with the NUL */
/* The next three are unsuffixed: --help spells them out with the preprocessor. */
#define HOST_OPT_HTTP_DEFAULT_PORT 8790
#define HOST_OPT_HTTP_MAX_THREADS  64
#define HOST_OPT_MAX_CLIENTS       65536
#define HOST_OPT_SPIN_US_DEFAULT   0                 /* spin-us: measured in docs/architecture.md */
#define HOST_OPT_MIN_TIMEOUT_MS    100u              /* durations: hello-timeout, enclave-timeout */
#define HOST_OPT_MAX_TIMEOUT_MS    3600000u          /* one hour */
#define HOST_OPT_HTTP_MIN_BODY     ((size_t)1 << 10) /* bytes */
#define HOST_OPT_HTTP_MAX_BODY     ((size_t)64 << 20)
#define HOST_OPT_DISK_WARN_DEFAULT ((uint64_t)1 << 30) /* 1 GiB; --help says "1G" */
#define HOST_OPT_HTTP_MAX_CONNS    65536
#define HOST_OPT_HTTP_MAX_IDLE_S   3600u
#define HOST_OPT_HTTP_MIN_WAIT_MS  100u /* header and call timeouts */
#define HOST_OPT_HTTP_MAX_WAIT_MS  600000u

/* What main should do once the options are loaded. */
enum host_action {
	HOST_ACTION_RUN = 0,
	HOST_ACTION_HELP,        /* --help: print host_options_usage() to stdout, exit 0 */
	HOST_ACTION_LIST_ROUTES, /* --list-routes: print the HTTP routes, exit 0 */
};

/* SQLite synchronous mode of the audit log: NORMAL, or FULL (fsync on every commit). */
enum host_audit_sync { HOST_AUDIT_SYNC_NORMAL = 0, HOST_AUDIT_SYNC_FULL };

/*
 * Every setting in parsed form, with its storage owned by the struct. pcrs[i].value points
 * into pcr_values and root_bytes is referenced by host_options_to_config, so the struct must
 * stay where host_options_load filled it (make it static or heap-allocated; do not copy it).
 */
struct host_options {
	enum host_action action;
	char config[HOST_OPT_PATH_BYTES]; /* "" when no config file was read */

	char data_dir[HOST_OPT_PATH_BYTES];
	/* A default below lies in data_dir, so the caller must create/check it first. */
	int data_dir_used;

	struct spod_uri listen[SPOD_HOST_MAX_LISTENERS]; /* unix or loopback tcp */
	unsigned nlisten;                                /* 1..SPOD_HOST_MAX_LISTENERS */
	struct spod_uri enclave;
	unsigned enclave_conns; /* 1..SPOD_HOST_MAX_ENCLAVE_CONNS */
	unsigned max_clients;   /* 1..HOST_OPT_MAX_CLIENTS */
	/* Connections that have not said hello yet (docs/host.md, "Hostile clients"). */
	unsigned max_unauth;             /* 1..max_clients */
	unsigned max_unauth_per_peer;    /* 1..max_unauth */
	unsigned hello_timeout_ms;       /* HOST_OPT_MIN_TIMEOUT_MS..HOST_OPT_MAX_TIMEOUT_MS */
	unsigned enclave_timeout_ms;     /* the same range */
	unsigned spin_us;                /* 0..SPOD_LOOP_SPIN_MAX_US */
	unsigned audit_head_interval_ms; /* 0 (off) or the same range */

	/* Admission: on when npcrs > 0. Distinct indices, each 0..31. */
	struct spod_attest_pcr_expect pcrs[SPOD_ATTEST_MAX_PCRS];
	uint8_t pcr_values[SPOD_ATTEST_MAX_PCRS][SPOD_ATTEST_PCR_MAX_BYTES];
	size_t npcrs;
	char attest_root[HOST_OPT_PATH_BYTES];       /* "": the embedded AWS Nitro Enclaves root */
	uint8_t root_bytes[HOST_OPT_ROOT_MAX_BYTES]; /* the file's contents when attest_root set */
	size_t root_len;

	enum spod_log_level log_level;

	char db[HOST_OPT_PATH_BYTES];
	enum host_audit_sync audit_sync;
	/* Warn below this much free disk: bytes, or a percentage of the file system (1..99);
	 * both 0: never. */
	uint64_t disk_warn_free_bytes;
	unsigned disk_warn_free_pct;
	uint8_t seal_mode; /* SPOD_SEAL_EPHEMERAL or SPOD_SEAL_CUSTODIANS */
	char token_file[HOST_OPT_PATH_BYTES];

	int http_enabled;                         /* 0: http = off */
	char http_addr[HOST_OPT_HTTP_ADDR_BYTES]; /* IP literal without brackets */
	uint16_t http_port;                       /* 0: the kernel picks */
	unsigned http_threads;                    /* 1..HOST_OPT_HTTP_MAX_THREADS */
	size_t http_max_body;            /* HOST_OPT_HTTP_MIN_BODY..HOST_OPT_HTTP_MAX_BODY */
	unsigned http_max_connections;   /* 1..HOST_OPT_HTTP_MAX_CONNS */
	unsigned http_max_per_address;   /* 1..HOST_OPT_HTTP_MAX_CONNS */
	unsigned http_idle_timeout_s;    /* 1..HOST_OPT_HTTP_MAX_IDLE_S */
	unsigned http_header_timeout_ms; /* HOST_OPT_HTTP_MIN_WAIT_MS..HOST_OPT_HTTP_MAX_WAIT_MS */
	unsigned http_call_timeout_ms;   /* the same range */
	char tls_cert[HOST_OPT_PATH_BYTES]; /* "" with tls_key "": plain HTTP */
	char tls_key[HOST_OPT_PATH_BYTES];
	int eth_listen_enabled;                         /* 0: eth-listen = off (the default) */
	char eth_listen_addr[HOST_OPT_HTTP_ADDR_BYTES]; /* IP literal without brackets */
	uint16_t eth_listen_port;                       /* 0: the kernel picks */
	char eth_downstream[HOST_OPT_PATH_BYTES];       /* "": none; else an http(s):// URL */
	unsigned eth_downstream_timeout_ms;             /* HOST_OPT_HTTP_MIN_WAIT_MS..MAX_WAIT_MS */

	/* The policy-admin set (docs/policy.md): K of M distinct Ed25519 public keys; M = 0
	 * and K = 0 when none is configured. */
	uint8_t policy_admins[SPOD_POLICY_ADMINS_MAX][32];
	unsigned npolicy_admins;   /* M: 0..SPOD_POLICY_ADMINS_MAX */
	unsigned policy_threshold; /* K: 1..M; 0 when M is 0 */
};

/*
 * Loads the options from argv (getopt_long; argv may be permuted), the environment and the
 * config file, in that order of precedence, over the defaults, then fills the defaults that
 * derive from data_dir and reads the attest-root file.
 *
 * Returns SPOD_OK with *o filled and o->action set; for HOST_ACTION_HELP and
 * HOST_ACTION_LIST_ROUTES nothing but o->action is meaningful (neither the environment nor
 * the config file is read, so --help works whatever they contain). Returns SPOD_E_BAD_ARG
 * with a one-line message in err (NUL-terminated, truncated to errcap, without a trailing
 * newline or program name) that says where the bad value came from: "--flag", the variable,
 * or "FILE:LINE: key". *o is then unspecified. Not thread-safe (getopt, environ).
 */
int host_options_load(struct host_options *o, int argc, char **argv, char *err, size_t errcap)
    __attribute__((warn_unused_result, nonnull));

/*
 * The config file's part of host_options_load alone, from text[0..len) in memory (no NUL
 * needed) named name in messages: *o gets the defaults, then the INI settings; no flags, no
 * environment, and none of the defaults and cross-setting checks that follow the sources
 * (data directory, tls-cert with tls-key, the attest-root file). host_options_load reads a
 * config file through the same parser. Returns SPOD_OK or SPOD_E_BAD_ARG with a one-line
 * message in err as host_options_load gives it ("NAME:LINE: ..."). Used by the fuzz target.
 */
int host_options_load_ini(struct host_options *o, const char *name, const char *text, size_t len,
                          char *err, size_t errcap) __attribute__((warn_unused_result, nonnull));

/* Prints the --help text: every setting with its flag, variable, key and default. */
void host_options_usage(FILE *out) __attribute__((nonnull));

/*
 * Fills cfg's listeners, enclave, pool size, client limit, connect timeout, admission and
 * storage (db_path, audit_sync_full, disk warning, token_file) and the policy-admin set; the
 * HTTP settings have no field there yet and other fields are left as they are. cfg->pcrs,
 * cfg->root, cfg->db_path, cfg->token_file and cfg->policy_admins point into o, which must
 * outlive cfg. Returns SPOD_OK.
 */
int host_options_to_config(const struct host_options *o, struct spod_host_config *cfg)
    __attribute__((warn_unused_result, nonnull));

#endif
