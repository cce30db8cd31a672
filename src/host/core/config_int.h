/*
 * Internals of spod-host's settings, shared by config.c (the sources: flags, environment,
 * INI file, and --help) and config_values.c (the settings table and each value's parser).
 */
#ifndef SPOD_HOST_CONFIG_INT_H
#define SPOD_HOST_CONFIG_INT_H

#include <stddef.h>
#include <stdio.h>

#include "host/core/config.h"

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
	OPT_MAX_UNAUTH,
	OPT_MAX_UNAUTH_PER_PEER,
	OPT_HELLO_TIMEOUT,
	OPT_ENCLAVE_TIMEOUT,
	OPT_SPIN_US,
	OPT_AUDIT_HEAD_INTERVAL,
	OPT_EXPECT_PCR,
	OPT_ATTEST_ROOT,
	OPT_LOG_LEVEL,
	OPT_DB,
	OPT_AUDIT_SYNC,
	OPT_DISK_WARN_FREE,
	OPT_SEAL,
	OPT_TOKEN_FILE,
	OPT_HTTP,
	OPT_HTTP_THREADS,
	OPT_HTTP_MAX_BODY,
	OPT_HTTP_MAX_CONNECTIONS,
	OPT_HTTP_MAX_PER_ADDRESS,
	OPT_HTTP_IDLE_TIMEOUT,
	OPT_HTTP_HEADER_TIMEOUT,
	OPT_HTTP_CALL_TIMEOUT,
	OPT_TLS_CERT,
	OPT_TLS_KEY,
	OPT_ETH_LISTEN,
	OPT_ETH_DOWNSTREAM,
	OPT_ETH_DOWNSTREAM_TIMEOUT,
	OPT_POLICY_ADMINS,
	OPT_POLICY_THRESHOLD,
	OPT__COUNT
};

/* Sources in increasing precedence; a setting remembers the strongest that set it. */
enum opt_src { SRC_DEFAULT = 0, SRC_FILE, SRC_ENV, SRC_FLAG };

#define OPT_REPEAT 1u /* listen, expect-pcr, policy-admins: values accumulate within one source */

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
	const char *file;                /* config file path (or text name) once it is read */
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

/* The settings table, indexed by opt_id (config_values.c). */
extern const struct setting host_settings[OPT__COUNT];

/* Appends a formatted message to l->err, marks l failed; returns SPOD_E_BAD_ARG. */
int config_fail(struct loader *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "SPOD_HOST_" + name upper-cased with '-' as '_'. */
void config_env_name(char *out, size_t cap, const char *name);

/* 1 when ip is a loopback IPv4 (127/8) or IPv6 (::1) literal. */
int config_ip_is_loopback(const char *ip);

/* Strict decimal (digits only, no sign or space) of at most max; *end after the digits. */
int config_parse_dec(uint64_t *out, const char *s, const char **end, uint64_t max);

/* An integer setting in lo..hi into *out. */
int config_set_uint(struct loader *l, enum opt_id id, unsigned *out, const char *v, unsigned lo,
                    unsigned hi);

/* config_http.c: the HTTP settings' setters (the settings table names them). */
int config_set_http(struct loader *l, enum opt_id id, const char *v);
int config_set_eth_listen(struct loader *l, enum opt_id id, const char *v);
int config_set_http_threads(struct loader *l, enum opt_id id, const char *v);
int config_set_http_max_body(struct loader *l, enum opt_id id, const char *v);
int config_set_http_max_connections(struct loader *l, enum opt_id id, const char *v);
int config_set_http_max_per_address(struct loader *l, enum opt_id id, const char *v);
int config_set_http_idle_timeout(struct loader *l, enum opt_id id, const char *v);
int config_set_http_header_timeout(struct loader *l, enum opt_id id, const char *v);
int config_set_http_call_timeout(struct loader *l, enum opt_id id, const char *v);
int config_set_eth_downstream_timeout(struct loader *l, enum opt_id id, const char *v);

/* Stores a path setting's value v into dst (HOST_OPT_PATH_BYTES). */
int config_set_path(struct loader *l, enum opt_id id, char *dst, const char *v);

/* Starts err with where setting id got its value: "--x: ", "SPOD_HOST_X: ", "FILE:LINE: x: ". */
void config_locate(struct loader *l, enum opt_id id);

/* A bad value of setting id, located by its source. */
#define BAD(l, id, ...) (config_locate((l), (id)), config_fail((l), __VA_ARGS__))

/* An error at the config-file line being read. */
#define FILE_BAD(l, ...)                                                                           \
	(snprintf((l)->err, (l)->errcap, "%s:%u: ", (l)->file, (l)->line),                         \
	 config_fail((l), __VA_ARGS__))

#endif
