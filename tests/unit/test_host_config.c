/* spod-host's settings: defaults, flags, environment, INI file, precedence and errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "host/core/config.h"
#include "spod/err.h"

#define MAX_ARGS  32
#define MAX_FILES 16

static struct host_options opts; /* large, and must not move once loaded */
static char err[512];
static char tmp_dir[64];
static char files[MAX_FILES][256];
static size_t nfiles;

/* Removes every SPOD_HOST_* variable, so the tests see only what they set. */
static void clear_host_env(void)
{
	char names[64][64];
	size_t n = 0;

	for (char **e = environ; *e != NULL && n < 64; e++) {
		size_t len = strcspn(*e, "=");
		if (strncmp(*e, "SPOD_HOST_", 10) == 0 && len < sizeof(names[0])) {
			memcpy(names[n], *e, len);
			names[n++][len] = '\0';
		}
	}
	for (size_t i = 0; i < n; i++)
		unsetenv(names[i]);
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmp_dir, sizeof(tmp_dir), "%s", "/tmp/spod-test-cfg.XXXXXX");
	if (mkdtemp(tmp_dir) == NULL)
		return -1;
	nfiles = 0;
	clear_host_env();
	setenv("SPOD_DATA_DIR", tmp_dir, 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	clear_host_env();
	unsetenv("SPOD_DATA_DIR");
	for (size_t i = 0; i < nfiles; i++)
		unlink(files[i]);
	rmdir(tmp_dir);
	return 0;
}

/* Writes text to tmp_dir/name; returns its path (valid until teardown). */
static const char *write_file(const char *name, const char *text)
{
	char *path = files[nfiles];
	FILE *f;

	assert_true(nfiles < MAX_FILES);
	snprintf(path, sizeof(files[0]), "%s/%s", tmp_dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	nfiles++;
	return path;
}

/* host_options_load with argv = "spod-host" followed by the arguments up to NULL. */
static int load(const char *arg, ...)
{
	char *argv[MAX_ARGS + 1];
	int argc = 0;
	va_list ap;

	argv[argc++] = (char *)"spod-host";
	va_start(ap, arg);
	for (const char *a = arg; a != NULL; a = va_arg(ap, const char *)) {
		assert_true(argc < MAX_ARGS);
		argv[argc++] = (char *)a;
	}
	va_end(ap);
	argv[argc] = NULL;
	memset(err, 'x', sizeof(err));
	return host_options_load(&opts, argc, argv, err, sizeof(err));
}

static void assert_err_has(const char *needle)
{
	if (strstr(err, needle) == NULL)
		fail_msg("error '%s' lacks '%s'", err, needle);
}

/* Loading fails with a message that contains each of the NULL-terminated needles. */
#define assert_load_fails(args, ...)                                                               \
	do {                                                                                       \
		const char *needles_[] = {__VA_ARGS__, NULL};                                      \
		assert_int_equal(load args, SPOD_E_BAD_ARG);                                       \
		for (size_t i_ = 0; needles_[i_] != NULL; i_++)                                    \
			assert_err_has(needles_[i_]);                                              \
		assert_null(strchr(err, '\n'));                                                    \
	} while (0)

static void path_in_tmp(char *out, size_t cap, const char *prefix, const char *name)
{
	snprintf(out, cap, "%s%s/%s", prefix, tmp_dir, name);
}

static void test_defaults(void **state)
{
	struct spod_host_config cfg = {0};
	char want[300];

	(void)state;
	assert_int_equal(load(NULL), SPOD_OK);
	assert_int_equal(opts.action, HOST_ACTION_RUN);
	assert_string_equal(opts.config, "");
	assert_string_equal(opts.data_dir, tmp_dir);
	assert_true(opts.data_dir_used);
	assert_int_equal(opts.nlisten, 1);
	assert_int_equal(opts.listen[0].kind, SPOD_URI_UNIX);
	path_in_tmp(want, sizeof(want), "", "spod.sock");
	assert_string_equal(opts.listen[0].path, want);
	assert_int_equal(opts.enclave.kind, SPOD_URI_UNIX);
	path_in_tmp(want, sizeof(want), "", "enclave.sock");
	assert_string_equal(opts.enclave.path, want);
	assert_int_equal(opts.enclave_conns, 2);
	assert_int_equal(opts.max_clients, 1024);
	assert_int_equal(opts.npcrs, 0);
	assert_string_equal(opts.attest_root, "");
	assert_int_equal(opts.log_level, SPOD_LOG_INFO);
	path_in_tmp(want, sizeof(want), "", "spod.db");
	assert_string_equal(opts.db, want);
	assert_int_equal(opts.audit_sync, HOST_AUDIT_SYNC_NORMAL);
	assert_int_equal(opts.disk_warn_free_bytes, (uint64_t)1 << 30);
	assert_int_equal(opts.disk_warn_free_pct, 0);
	path_in_tmp(want, sizeof(want), "", "admin.token");
	assert_string_equal(opts.token_file, want);
	assert_true(opts.http_enabled);
	assert_string_equal(opts.http_addr, "127.0.0.1");
	assert_int_equal(opts.http_port, 8790);
	assert_int_equal(opts.http_threads, 2);
	assert_int_equal(opts.http_max_body, 1 << 20);
	assert_int_equal(opts.http_max_connections, 256);
	assert_int_equal(opts.http_max_per_address, 32);
	assert_int_equal(opts.http_idle_timeout_s, 30);
	assert_int_equal(opts.http_header_timeout_ms, 10000);
	assert_int_equal(opts.http_call_timeout_ms, 5000);
	assert_string_equal(opts.tls_cert, "");
	assert_string_equal(opts.tls_key, "");

	assert_int_equal(host_options_to_config(&opts, &cfg), SPOD_OK);
	assert_int_equal(cfg.nlisten, 1);
	assert_memory_equal(&cfg.listen[0], &opts.listen[0], sizeof(cfg.listen[0]));
	assert_memory_equal(&cfg.enclave, &opts.enclave, sizeof(cfg.enclave));
	assert_int_equal(cfg.enclave_conns, 2);
	assert_int_equal(cfg.max_clients, 1024);
	assert_int_equal(cfg.connect_timeout_ms, 500);
	assert_false(cfg.admit);
	assert_int_equal(cfg.npcrs, 0);
	assert_null(cfg.root.ptr);
	assert_string_equal(cfg.db_path, opts.db);
	assert_false(cfg.audit_sync_full);
	assert_int_equal(cfg.disk_warn_free_bytes, (uint64_t)1 << 30);
	assert_int_equal(cfg.disk_warn_free_pct, 0);
	assert_string_equal(cfg.token_file, opts.token_file);
}

/* disk-warn-free: a size, a percentage of the file system, or off; from every source. */
static void test_disk_warn_free(void **state)
{
	(void)state;
	assert_int_equal(load("--disk-warn-free", "512M", (char *)NULL), SPOD_OK);
	assert_int_equal(opts.disk_warn_free_bytes, (uint64_t)512 << 20);
	assert_int_equal(opts.disk_warn_free_pct, 0);
	assert_int_equal(load("--disk-warn-free", "5%", (char *)NULL), SPOD_OK);
	assert_int_equal(opts.disk_warn_free_bytes, 0);
	assert_int_equal(opts.disk_warn_free_pct, 5);
	assert_int_equal(load("--disk-warn-free", "off", (char *)NULL), SPOD_OK);
	assert_int_equal(opts.disk_warn_free_bytes, 0);
	assert_int_equal(opts.disk_warn_free_pct, 0);
	assert_int_equal(load("--disk-warn-free", "4096", (char *)NULL), SPOD_OK);
	assert_int_equal(opts.disk_warn_free_bytes, 4096);
	assert_int_equal(load("--disk-warn-free", "2t", (char *)NULL), SPOD_OK);
	assert_int_equal(opts.disk_warn_free_bytes, (uint64_t)2 << 40);
	setenv("SPOD_HOST_DISK_WARN_FREE", "3G", 1);
	assert_int_equal(load(NULL), SPOD_OK);
	assert_int_equal(opts.disk_warn_free_bytes, (uint64_t)3 << 30);
	assert_load_fails(("--disk-warn-free", "0", (char *)NULL), "--disk-warn-free: ", "'0'");
	assert_load_fails(("--disk-warn-free", "0%", (char *)NULL), "--disk-warn-free: ");
	assert_load_fails(("--disk-warn-free", "100%", (char *)NULL), "--disk-warn-free: ");
	assert_load_fails(("--disk-warn-free", "1GB", (char *)NULL), "--disk-warn-free: ");
	assert_load_fails(("--disk-warn-free", "5%x", (char *)NULL), "--disk-warn-free: ");
	assert_load_fails(("--disk-warn-free", "16777216T", (char *)NULL), "--disk-warn-free: ");
	assert_load_fails(("--disk-warn-free", "-1G", (char *)NULL),
	                  "--disk-warn-free: ", "N% (1..99) or off");
}

/* Without SPOD_DATA_DIR the data directory is spod_data_dir()'s: XDG_RUNTIME_DIR or /tmp. */
static void test_data_dir(void **state)
{
	char want[300];

	(void)state;
	unsetenv("SPOD_DATA_DIR");
	setenv("XDG_RUNTIME_DIR", tmp_dir, 1);
	assert_int_equal(load(NULL), SPOD_OK);
	path_in_tmp(want, sizeof(want), "", "spod");
	assert_string_equal(opts.data_dir, want);
	unsetenv("XDG_RUNTIME_DIR");

	/* data-dir moves every default that lives in it. */
	assert_int_equal(load("--data-dir", "/srv/spod", (char *)NULL), SPOD_OK);
	assert_string_equal(opts.data_dir, "/srv/spod");
	assert_string_equal(opts.listen[0].path, "/srv/spod/spod.sock");
	assert_string_equal(opts.enclave.path, "/srv/spod/enclave.sock");
	assert_string_equal(opts.db, "/srv/spod/spod.db");
	assert_string_equal(opts.token_file, "/srv/spod/admin.token");
	assert_true(opts.data_dir_used);

	/* Nothing defaulted into the data directory: the caller need not create it. */
	assert_int_equal(load("--listen", "unix:///a.sock", "--enclave", "vsock://16:5005", "--db",
	                      "/b.db", "--token-file", "/c.token", (char *)NULL),
	                 SPOD_OK);
	assert_false(opts.data_dir_used);
	assert_int_equal(opts.enclave.kind, SPOD_URI_VSOCK);
	assert_int_equal(opts.enclave.cid, 16);
	assert_string_equal(opts.db, "/b.db");
	assert_string_equal(opts.token_file, "/c.token");
}

static void test_flags(void **state)
{
	const char *root = write_file("root.pem", "-----BEGIN CERTIFICATE-----\n");
	struct spod_host_config cfg = {0};

	(void)state;
	assert_int_equal(load("--listen", "unix:///run/a.sock", "--listen=tcp://127.0.0.1:7000",
	                      "--listen", "tcp://[::1]:7001", "--enclave", "tcp://127.0.0.1:5005",
	                      "--enclave-conns", "16", "--max-clients", "65536", "--expect-pcr",
	                      "0=00ff", "--expect-pcr", "31=0xAB", "--attest-root", root,
	                      "--log-level", "debug", "--db", "/x.db", "--audit-sync", "full",
	                      "--token-file", "/t", "--http", "[::1]:0", "--http-threads", "64",
	                      "--http-max-body", "64M", (char *)NULL),
	                 SPOD_OK);
	assert_int_equal(opts.nlisten, 3);
	assert_string_equal(opts.listen[0].path, "/run/a.sock");
	assert_int_equal(opts.listen[1].port, 7000);
	assert_string_equal(opts.listen[2].host, "::1");
	assert_int_equal(opts.enclave.kind, SPOD_URI_TCP);
	assert_int_equal(opts.enclave_conns, 16);
	assert_int_equal(opts.max_clients, 65536);
	assert_int_equal(opts.npcrs, 2);
	assert_int_equal(opts.pcrs[0].index, 0);
	assert_int_equal(opts.pcrs[0].len, 2);
	assert_memory_equal(opts.pcrs[0].value, "\x00\xff", 2);
	assert_int_equal(opts.pcrs[1].index, 31);
	assert_int_equal(opts.pcrs[1].value[0], 0xab);
	assert_string_equal(opts.attest_root, root);
	assert_int_equal(opts.root_len, strlen("-----BEGIN CERTIFICATE-----\n"));
	assert_int_equal(opts.log_level, SPOD_LOG_DEBUG);
	assert_string_equal(opts.db, "/x.db");
	assert_int_equal(opts.audit_sync, HOST_AUDIT_SYNC_FULL);
	assert_string_equal(opts.token_file, "/t");
	assert_true(opts.http_enabled);
	assert_string_equal(opts.http_addr, "::1");
	assert_int_equal(opts.http_port, 0);
	assert_int_equal(opts.http_threads, 64);
	assert_int_equal(opts.http_max_body, 64 << 20);

	assert_int_equal(host_options_to_config(&opts, &cfg), SPOD_OK);
	assert_int_equal(cfg.nlisten, 3);
	assert_true(cfg.admit);
	assert_int_equal(cfg.npcrs, 2);
	assert_ptr_equal(cfg.pcrs, opts.pcrs);
	assert_ptr_equal(cfg.root.ptr, opts.root_bytes);
	assert_int_equal(cfg.root.len, opts.root_len);
	assert_true(cfg.audit_sync_full);
	assert_string_equal(cfg.db_path, "/x.db");

	/* A flag given twice: the last one counts. */
	assert_int_equal(load("--enclave-conns", "3", "--enclave-conns", "4", (char *)NULL),
	                 SPOD_OK);
	assert_int_equal(opts.enclave_conns, 4);
}

static void test_http_values(void **state)
{
	(void)state;
	assert_int_equal(load("--http", "off", (char *)NULL), SPOD_OK);
	assert_false(opts.http_enabled);
	assert_int_equal(load("--http", "127.0.0.2:80", (char *)NULL), SPOD_OK);
	assert_string_equal(opts.http_addr, "127.0.0.2");
	assert_int_equal(opts.http_port, 80);
	assert_int_equal(load("--http-max-body", "1k", (char *)NULL), SPOD_OK);
	assert_int_equal(opts.http_max_body, 1024);
	assert_int_equal(load("--http-max-body", "2M", (char *)NULL), SPOD_OK);
	assert_int_equal(opts.http_max_body, 2 << 20);
	assert_int_equal(load("--http-max-body", "5000", (char *)NULL), SPOD_OK);
	assert_int_equal(opts.http_max_body, 5000);

	/* Non-loopback is fine once TLS is configured. */
	assert_int_equal(load("--http", "0.0.0.0:8443", "--tls-cert", "/c.pem", "--tls-key",
	                      "/k.pem", (char *)NULL),
	                 SPOD_OK);
	assert_string_equal(opts.http_addr, "0.0.0.0");
	assert_string_equal(opts.tls_cert, "/c.pem");
	assert_string_equal(opts.tls_key, "/k.pem");

	assert_load_fails(("--http", "localhost:80", (char *)NULL), "--http: ", "'localhost:80'");
	assert_load_fails(("--http", "127.0.0.1", (char *)NULL), "--http: ");
	assert_load_fails(("--http", "127.0.0.1:65536", (char *)NULL), "--http: ");
	assert_load_fails(("--http", "::1:80", (char *)NULL), "--http: ");
	assert_load_fails(("--http-max-body", "1023", (char *)NULL), "--http-max-body: ", "'1023'");
	assert_load_fails(("--http-max-body", "65M", (char *)NULL), "--http-max-body: ");
	assert_load_fails(("--http-max-body", "1G", (char *)NULL), "--http-max-body: ");
	assert_load_fails(("--http-max-body", "1MB", (char *)NULL), "--http-max-body: ");
	assert_load_fails(("--http-threads", "65", (char *)NULL), "--http-threads: ", "1..64");
}

static void test_http_limits(void **state)
{
	(void)state;
	assert_int_equal(load("--http-max-connections", "1", "--http-max-per-address", "65536",
	                      "--http-idle-timeout", "3600s", "--http-header-timeout", "100ms",
	                      "--http-call-timeout", "600", (char *)NULL),
	                 SPOD_OK);
	assert_int_equal(opts.http_max_connections, 1);
	assert_int_equal(opts.http_max_per_address, 65536);
	assert_int_equal(opts.http_idle_timeout_s, 3600);
	assert_int_equal(opts.http_header_timeout_ms, 100);
	assert_int_equal(opts.http_call_timeout_ms, 600000);
	assert_int_equal(load("--http-idle-timeout", "5", "--http-header-timeout", "2s",
	                      "--http-call-timeout", "1500ms", (char *)NULL),
	                 SPOD_OK);
	assert_int_equal(opts.http_idle_timeout_s, 5);
	assert_int_equal(opts.http_header_timeout_ms, 2000);
	assert_int_equal(opts.http_call_timeout_ms, 1500);

	assert_load_fails(("--http-max-connections", "0", (char *)NULL),
	                  "--http-max-connections: ", "1..65536");
	assert_load_fails(("--http-max-per-address", "65537", (char *)NULL),
	                  "--http-max-per-address: ");
	assert_load_fails(("--http-idle-timeout", "0", (char *)NULL),
	                  "--http-idle-timeout: ", "1..3600");
	assert_load_fails(("--http-idle-timeout", "1500ms", (char *)NULL),
	                  "--http-idle-timeout: ", "whole number of seconds");
	assert_load_fails(("--http-idle-timeout", "3601", (char *)NULL), "--http-idle-timeout: ");
	assert_load_fails(("--http-header-timeout", "99ms", (char *)NULL),
	                  "--http-header-timeout: ", "100ms..600s");
	assert_load_fails(("--http-header-timeout", "601s", (char *)NULL),
	                  "--http-header-timeout: ");
	assert_load_fails(("--http-header-timeout", "10m", (char *)NULL),
	                  "--http-header-timeout: ", "'10m'");
	assert_load_fails(("--http-call-timeout", "5 s", (char *)NULL), "--http-call-timeout: ");
	assert_load_fails(("--http-call-timeout", "s", (char *)NULL), "--http-call-timeout: ");
	assert_load_fails(("--http-call-timeout", "99999999999999999999", (char *)NULL),
	                  "--http-call-timeout: ");
}

static void test_env(void **state)
{
	(void)state;
	setenv("SPOD_HOST_ENCLAVE_CONNS", "5", 1);
	setenv("SPOD_HOST_HTTP", "off", 1);
	setenv("SPOD_HOST_AUDIT_SYNC", "full", 1);
	setenv("SPOD_HOST_LISTEN", "unix:///a.sock,tcp://127.0.0.1:9", 1);
	setenv("SPOD_HOST_EXPECT_PCR", "1=aa,2=bbbb", 1);
	setenv("SPOD_HOST_DATA_DIR", "/var/lib/spod", 1);
	setenv("SPOD_HOST_HTTP_CALL_TIMEOUT", "750ms", 1);
	assert_int_equal(load(NULL), SPOD_OK);
	assert_int_equal(opts.http_call_timeout_ms, 750);
	assert_int_equal(opts.enclave_conns, 5);
	assert_false(opts.http_enabled);
	assert_int_equal(opts.audit_sync, HOST_AUDIT_SYNC_FULL);
	assert_int_equal(opts.nlisten, 2);
	assert_string_equal(opts.listen[0].path, "/a.sock");
	assert_int_equal(opts.listen[1].port, 9);
	assert_int_equal(opts.npcrs, 2);
	assert_int_equal(opts.pcrs[1].index, 2);
	assert_int_equal(opts.pcrs[1].len, 2);
	assert_string_equal(opts.data_dir, "/var/lib/spod");
	assert_string_equal(opts.db, "/var/lib/spod/spod.db");

	setenv("SPOD_HOST_LISTEN", "unix:///a.sock,", 1);
	assert_load_fails((NULL), "SPOD_HOST_LISTEN: ", "empty value");
}

static const char full_ini[] = "; spod-host settings\n"
                               "# both comment styles\n"
                               "enclave-conns = 3\n"
                               "listen = unix:///file-1.sock\n"
                               "\n"
                               "[spod-host]\n"
                               "listen = unix:///file-2.sock ; inline comment\n"
                               "expect-pcr = 4=0102\n"
                               "http = 127.0.0.1:0\n"
                               "http-max-body = 512K\n"
                               "http-header-timeout = 250ms\n"
                               "log-level = warn\n"
                               "tls-cert = /cert.pem\n"
                               "tls-key = /key.pem\n"
                               "db = /file.db\n";

static void test_config_file(void **state)
{
	const char *ini = write_file("spod-host.ini", full_ini);

	(void)state;
	assert_int_equal(load("--config", ini, (char *)NULL), SPOD_OK);
	assert_string_equal(opts.config, ini);
	assert_int_equal(opts.enclave_conns, 3);
	assert_int_equal(opts.nlisten, 2);
	assert_string_equal(opts.listen[0].path, "/file-1.sock");
	assert_string_equal(opts.listen[1].path, "/file-2.sock");
	assert_int_equal(opts.npcrs, 1);
	assert_int_equal(opts.pcrs[0].index, 4);
	assert_int_equal(opts.http_port, 0);
	assert_int_equal(opts.http_max_body, 512 << 10);
	assert_int_equal(opts.http_header_timeout_ms, 250);
	assert_int_equal(opts.log_level, SPOD_LOG_WARN);
	assert_string_equal(opts.tls_cert, "/cert.pem");
	assert_string_equal(opts.db, "/file.db");

	/* SPOD_HOST_CONFIG names the file too, and is not an unknown variable. */
	setenv("SPOD_HOST_CONFIG", ini, 1);
	assert_int_equal(load(NULL), SPOD_OK);
	assert_string_equal(opts.config, ini);
	assert_int_equal(opts.enclave_conns, 3);

	/* --config beats SPOD_HOST_CONFIG. */
	setenv("SPOD_HOST_CONFIG", "/nonexistent/spod-host.ini", 1);
	assert_int_equal(load("--config", ini, (char *)NULL), SPOD_OK);
	assert_string_equal(opts.config, ini);
}

static void test_precedence(void **state)
{
	const char *ini = write_file("p.ini", "enclave-conns = 3\nmax-clients = 30\nlog-level = "
	                                      "error\n");

	(void)state;
	setenv("SPOD_HOST_ENCLAVE_CONNS", "4", 1);
	setenv("SPOD_HOST_MAX_CLIENTS", "40", 1);
	assert_int_equal(load("--config", ini, "--enclave-conns", "5", (char *)NULL), SPOD_OK);
	assert_int_equal(opts.enclave_conns, 5);          /* flag > env > file */
	assert_int_equal(opts.max_clients, 40);           /* env > file */
	assert_int_equal(opts.log_level, SPOD_LOG_ERROR); /* file > default */
	assert_int_equal(opts.http_threads, 2);           /* default */

	unsetenv("SPOD_HOST_ENCLAVE_CONNS");
	assert_int_equal(load("--config", ini, (char *)NULL), SPOD_OK);
	assert_int_equal(opts.enclave_conns, 3);

	/* SPOD_DATA_DIR is only part of the default: a configured data-dir beats it. */
	ini = write_file("d.ini", "data-dir = /from-file\n");
	assert_int_equal(load("--config", ini, (char *)NULL), SPOD_OK);
	assert_string_equal(opts.data_dir, "/from-file");
	setenv("SPOD_HOST_DATA_DIR", "/from-env", 1);
	assert_int_equal(load("--config", ini, (char *)NULL), SPOD_OK);
	assert_string_equal(opts.data_dir, "/from-env");
	assert_int_equal(load("--config", ini, "--data-dir", "/from-flag", (char *)NULL), SPOD_OK);
	assert_string_equal(opts.data_dir, "/from-flag");
}

/* The strongest source that sets a repeatable setting gives all its values. */
static void test_repeatable(void **state)
{
	const char *ini = write_file("r.ini", "listen = unix:///f1.sock\n"
	                                      "listen = unix:///f2.sock\n"
	                                      "expect-pcr = 0=01\n"
	                                      "expect-pcr = 1=02\n"
	                                      "expect-pcr = 2=03\n");

	(void)state;
	assert_int_equal(load("--config", ini, (char *)NULL), SPOD_OK);
	assert_int_equal(opts.nlisten, 2);
	assert_int_equal(opts.npcrs, 3);

	setenv("SPOD_HOST_LISTEN", "unix:///e1.sock", 1);
	assert_int_equal(load("--config", ini, (char *)NULL), SPOD_OK);
	assert_int_equal(opts.nlisten, 1);
	assert_string_equal(opts.listen[0].path, "/e1.sock");
	assert_int_equal(opts.npcrs, 3); /* from the file: the environment has none */

	assert_int_equal(load("--config", ini, "--listen", "unix:///a1.sock", "--listen",
	                      "unix:///a2.sock", "--expect-pcr", "7=07", (char *)NULL),
	                 SPOD_OK);
	assert_int_equal(opts.nlisten, 2);
	assert_string_equal(opts.listen[0].path, "/a1.sock");
	assert_string_equal(opts.listen[1].path, "/a2.sock");
	assert_int_equal(opts.npcrs, 1);
	assert_int_equal(opts.pcrs[0].index, 7);
	assert_ptr_equal(opts.pcrs[0].value, opts.pcr_values[0]);
	assert_int_equal(opts.pcr_values[0][0], 7);

	assert_load_fails(("--listen", "unix:///1", "--listen", "unix:///2", "--listen",
	                   "unix:///3", "--listen", "unix:///4", "--listen", "unix:///5",
	                   (char *)NULL),
	                  "--listen: ", "at most 4");
	assert_load_fails(("--expect-pcr", "3=aa", "--expect-pcr", "3=bb", (char *)NULL),
	                  "--expect-pcr: ", "PCR 3 given twice");
}

/* RFC 8032's test keys 1, 2 and 3 (valid Ed25519 points). */
#define ADMIN1 "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
#define ADMIN2 "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"
#define ADMIN3 "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025"

static void test_policy_admins(void **state)
{
	struct spod_host_config cfg;
	char many[17 * 65 + 1] = "";
	const char *ini = write_file("p.ini", "policy-admins = " ADMIN1 "\n"
	                                      "policy-admins = " ADMIN2 "\n"
	                                      "policy-threshold = 2\n");

	(void)state;
	assert_int_equal(load((char *)NULL), SPOD_OK);
	assert_int_equal(opts.npolicy_admins, 0);
	assert_int_equal(opts.policy_threshold, 0);
	memset(&cfg, 0, sizeof(cfg));
	assert_int_equal(host_options_to_config(&opts, &cfg), SPOD_OK);
	assert_null(cfg.policy_admins);
	assert_int_equal(cfg.npolicy_admins, 0);

	/* comma-separated in one value, a repeated flag, the environment, the config file */
	assert_int_equal(load("--policy-admins", ADMIN1 "," ADMIN2, "--policy-admins", ADMIN3,
	                      "--policy-threshold", "2", (char *)NULL),
	                 SPOD_OK);
	assert_int_equal(opts.npolicy_admins, 3);
	assert_int_equal(opts.policy_threshold, 2);
	assert_int_equal(opts.policy_admins[0][0], 0xd7);
	assert_int_equal(opts.policy_admins[1][0], 0x3d);
	assert_int_equal(opts.policy_admins[2][31], 0x25);
	assert_int_equal(host_options_to_config(&opts, &cfg), SPOD_OK);
	assert_ptr_equal(cfg.policy_admins, opts.policy_admins[0]);
	assert_int_equal(cfg.npolicy_admins, 3);
	assert_int_equal(cfg.policy_threshold, 2);

	setenv("SPOD_HOST_POLICY_ADMINS", ADMIN3 "," ADMIN1, 1);
	setenv("SPOD_HOST_POLICY_THRESHOLD", "1", 1);
	assert_int_equal(load("--config", ini, (char *)NULL), SPOD_OK);
	assert_int_equal(opts.npolicy_admins, 2); /* the environment's, not the file's */
	assert_int_equal(opts.policy_admins[0][0], 0xfc);
	assert_int_equal(opts.policy_threshold, 1);
	unsetenv("SPOD_HOST_POLICY_ADMINS");
	unsetenv("SPOD_HOST_POLICY_THRESHOLD");
	assert_int_equal(load("--config", ini, (char *)NULL), SPOD_OK);
	assert_int_equal(opts.npolicy_admins, 2);
	assert_int_equal(opts.policy_admins[1][0], 0x3d);
	assert_int_equal(opts.policy_threshold, 2);

	/* refusals */
	assert_load_fails(("--policy-admins", ADMIN1, (char *)NULL),
	                  "--policy-admins: ", "needs policy-threshold");
	assert_load_fails(("--policy-threshold", "1", (char *)NULL),
	                  "--policy-threshold: ", "needs policy-admins");
	assert_load_fails(
	    ("--policy-admins", ADMIN1 "," ADMIN2, "--policy-threshold", "3", (char *)NULL),
	    "--policy-threshold: ", "more than the 2 policy-admins");
	assert_load_fails(("--policy-threshold", "0", (char *)NULL),
	                  "--policy-threshold: ", "1..16");
	assert_load_fails(("--policy-threshold", "17", (char *)NULL), "--policy-threshold: ");
	assert_load_fails(
	    ("--policy-admins", ADMIN1 "," ADMIN1, "--policy-threshold", "1", (char *)NULL),
	    "--policy-admins: ", "given twice");
	assert_load_fails(("--policy-admins", ADMIN1, "--policy-admins", ADMIN1,
	                   "--policy-threshold", "1", (char *)NULL),
	                  "given twice");
	assert_load_fails(("--policy-admins", "abcd", "--policy-threshold", "1", (char *)NULL),
	                  "--policy-admins: ", "'abcd'", "64 hex digits");
	assert_load_fails(("--policy-admins", ADMIN1 ",", "--policy-threshold", "1", (char *)NULL),
	                  "--policy-admins: ", "64 hex digits");
	assert_load_fails(("--policy-admins",
	                   "zz5a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
	                   "--policy-threshold", "1", (char *)NULL),
	                  "--policy-admins: ", "64 hex digits");
	/* a small-order point (y = 0): not a usable public key */
	assert_load_fails(("--policy-admins",
	                   "0000000000000000000000000000000000000000000000000000000000000000",
	                   "--policy-threshold", "1", (char *)NULL),
	                  "--policy-admins: ", "not a valid Ed25519 public key");
	/* 17 distinct keys (only the count matters: it stops at the 17th) */
	for (int i = 0; i < 17; i++) {
		char one[66];
		snprintf(one, sizeof(one), "%s%02x%.62s", i ? "," : "", i, &ADMIN1[2]);
		strcat(many, one);
	}
	assert_load_fails(("--policy-admins", many, "--policy-threshold", "1", (char *)NULL),
	                  "--policy-admins: ", "at most 16 policy admins");
	setenv("SPOD_HOST_POLICY_THRESHOLD", "x", 1);
	assert_load_fails((NULL), "SPOD_HOST_POLICY_THRESHOLD: ", "'x'");
}

static void test_help_and_routes(void **state)
{
	(void)state;
	/* --help works whatever the environment holds. */
	setenv("SPOD_HOST_TYPO", "1", 1);
	setenv("SPOD_HOST_CONFIG", "/nonexistent.ini", 1);
	assert_int_equal(load("--help", (char *)NULL), SPOD_OK);
	assert_int_equal(opts.action, HOST_ACTION_HELP);
	assert_int_equal(load("-h", (char *)NULL), SPOD_OK);
	assert_int_equal(opts.action, HOST_ACTION_HELP);
	assert_int_equal(load("--list-routes", (char *)NULL), SPOD_OK);
	assert_int_equal(opts.action, HOST_ACTION_LIST_ROUTES);
	assert_int_equal(load("--list-routes", "--help", (char *)NULL), SPOD_OK);
	assert_int_equal(opts.action, HOST_ACTION_HELP);
}

static void test_usage_mentions_everything(void **state)
{
	static const char *const names[] = {
	    "config",      "data-dir",   "listen",         "enclave",       "enclave-conns",
	    "max-clients", "expect-pcr", "attest-root",    "log-level",     "db",
	    "audit-sync",  "token-file", "http",           "http-threads",  "http-max-body",
	    "tls-cert",    "tls-key",    "disk-warn-free", "policy-admins", "policy-threshold",
	};
	char text[16384], want[96];
	FILE *f = fmemopen(text, sizeof(text), "w");

	(void)state;
	assert_non_null(f);
	host_options_usage(f);
	assert_int_equal(fputc('\0', f), 0);
	fclose(f);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char env[64];
		size_t j;

		snprintf(want, sizeof(want), "--%s ", names[i]);
		assert_non_null(strstr(text, want));
		for (j = 0; names[i][j] != '\0'; j++)
			env[j] = names[i][j] == '-' ? '_' : (char)(names[i][j] - 'a' + 'A');
		env[j] = '\0';
		snprintf(want, sizeof(want), "env SPOD_HOST_%s", env);
		assert_non_null(strstr(text, want));
		if (i > 0) {
			snprintf(want, sizeof(want), "key %s;", names[i]);
			if (strstr(text, want) == NULL) {
				snprintf(want, sizeof(want), "key %s\n", names[i]);
				assert_non_null(strstr(text, want));
			}
		}
	}
	assert_non_null(strstr(text, "--list-routes"));
	assert_non_null(strstr(text, "flag > environment > config file > default"));
}

static void test_bad_numbers(void **state)
{
	(void)state;
	assert_load_fails(("--enclave-conns", "0", (char *)NULL), "--enclave-conns: ", "'0'",
	                  "1..16");
	assert_load_fails(("--enclave-conns", "17", (char *)NULL), "--enclave-conns: ", "'17'");
	assert_load_fails(("--enclave-conns", "2x", (char *)NULL), "--enclave-conns: ");
	assert_load_fails(("--enclave-conns", "-1", (char *)NULL), "--enclave-conns: ");
	assert_load_fails(("--enclave-conns", " 2", (char *)NULL), "--enclave-conns: ");
	assert_load_fails(("--max-clients", "65537", (char *)NULL), "--max-clients: ", "1..65536");
	assert_load_fails(("--max-clients", "99999999999999999999999", (char *)NULL),
	                  "--max-clients: ");
	setenv("SPOD_HOST_MAX_CLIENTS", "many", 1);
	assert_load_fails((NULL), "SPOD_HOST_MAX_CLIENTS: ", "'many'");
}

static void test_bad_values(void **state)
{
	(void)state;
	assert_load_fails(("--audit-sync", "sometimes", (char *)NULL),
	                  "--audit-sync: ", "'sometimes'", "normal or full");
	assert_load_fails(("--log-level", "loud", (char *)NULL), "--log-level: ", "'loud'");
	assert_load_fails(("--listen", "http://x", (char *)NULL), "--listen: ");
	assert_load_fails(("--listen", "vsock://3:5000", (char *)NULL), "--listen: ");
	assert_load_fails(("--listen", "tcp://10.0.0.1:7000", (char *)NULL),
	                  "--listen: ", "loopback", "the binary protocol has no TLS");
	assert_load_fails(("--listen", "tcp://[::]:7000", (char *)NULL), "loopback");
	assert_load_fails(("--enclave", "nowhere", (char *)NULL), "--enclave: ", "'nowhere'");
	assert_load_fails(("--expect-pcr", "32=aa", (char *)NULL), "--expect-pcr: ", "'32=aa'");
	assert_load_fails(("--expect-pcr", "1=xyz", (char *)NULL), "--expect-pcr: ");
	assert_load_fails(("--expect-pcr", "1=", (char *)NULL), "--expect-pcr: ");
	assert_load_fails(("--expect-pcr", "=aa", (char *)NULL), "--expect-pcr: ");
	assert_load_fails(("--db", "", (char *)NULL), "--db: ", "empty value");
	assert_load_fails(
	    ("--attest-root", "/nonexistent/root.pem", "--expect-pcr", "0=aa", (char *)NULL),
	    "--attest-root: ", "/nonexistent/root.pem");
	assert_load_fails(("--attest-root", "/x.pem", (char *)NULL),
	                  "--attest-root: ", "expect-pcr");
	setenv("SPOD_HOST_AUDIT_SYNC", "FULL", 1);
	assert_load_fails((NULL), "SPOD_HOST_AUDIT_SYNC: ", "'FULL'");
}

static void test_bad_options(void **state)
{
	(void)state;
	assert_load_fails(("--bogus", (char *)NULL), "unknown option '--bogus'");
	assert_load_fails(("-x", (char *)NULL), "unknown option '-x'");
	assert_load_fails(("--listen", (char *)NULL), "'--listen' needs a value");
	assert_load_fails(("--help=yes", (char *)NULL), "takes no value");
	assert_load_fails(("stray", (char *)NULL), "unexpected argument 'stray'");
}

static void test_tls_pair(void **state)
{
	(void)state;
	assert_load_fails(("--tls-cert", "/c.pem", (char *)NULL),
	                  "--tls-cert: ", "both or neither");
	setenv("SPOD_HOST_TLS_KEY", "/k.pem", 1);
	assert_load_fails((NULL), "SPOD_HOST_TLS_KEY: ", "both or neither");
}

static void test_http_needs_tls_off_loopback(void **state)
{
	const char *ini = write_file("h.ini", "\n[spod-host]\nhttp = 192.0.2.1:443\n");

	(void)state;
	assert_load_fails(("--http", "0.0.0.0:8790", (char *)NULL), "--http: ", "0.0.0.0",
	                  "not a loopback address", "clear text");
	assert_load_fails(("--http", "[::]:8790", (char *)NULL), "--http: ", "clear text");
	assert_load_fails(("--config", ini, (char *)NULL), ini, ":3: http: ", "192.0.2.1",
	                  "clear text");
	/* Turning HTTP off needs no TLS. */
	assert_int_equal(load("--config", ini, "--http", "off", (char *)NULL), SPOD_OK);
	assert_false(opts.http_enabled);
}

static void test_unknown_env(void **state)
{
	(void)state;
	setenv("SPOD_HOST_LISTN", "unix:///a.sock", 1);
	assert_load_fails((NULL), "unknown environment variable SPOD_HOST_LISTN");
	unsetenv("SPOD_HOST_LISTN");
	setenv("SPOD_HOST_", "", 1);
	assert_load_fails((NULL), "unknown environment variable SPOD_HOST_");
	unsetenv("SPOD_HOST_");
	/* Other prefixes are not ours. */
	setenv("SPOD_HOSTNAME", "x", 1);
	assert_int_equal(load(NULL), SPOD_OK);
	unsetenv("SPOD_HOSTNAME");
}

static void test_config_errors(void **state)
{
	char long_line[400];
	const char *ini;

	(void)state;
	assert_load_fails(("--config", "/nonexistent/dir/spod-host.ini", (char *)NULL),
	                  "--config: ", "/nonexistent/dir/spod-host.ini", "No such file");
	setenv("SPOD_HOST_CONFIG", "/nonexistent/env.ini", 1);
	assert_load_fails((NULL), "SPOD_HOST_CONFIG: ", "/nonexistent/env.ini");
	unsetenv("SPOD_HOST_CONFIG");

	ini = write_file("k.ini", "# comment\nlisten = unix:///a.sock\nbogus = 1\n");
	assert_load_fails(("--config", ini, (char *)NULL), ini, ":3: ", "unknown key 'bogus'");

	ini = write_file("s.ini", "enclave-conns = 2\n\n[other]\n");
	assert_load_fails(("--config", ini, (char *)NULL), ini, ":3: ", "unknown section [other]");

	ini = write_file("s2.ini", "[spod-host]\n[other]\nlisten = unix:///a.sock\n");
	assert_load_fails(("--config", ini, (char *)NULL), ini, ":2: ", "unknown section [other]");

	ini = write_file("a.ini", "[spod-host]\naudit-sync = always\n");
	assert_load_fails(("--config", ini, (char *)NULL), ini, ":2: audit-sync: ", "'always'");

	ini = write_file("n.ini", "max-clients = 0\n");
	assert_load_fails(("--config", ini, (char *)NULL), ini, ":1: max-clients: ", "'0'");

	ini =
	    write_file("syn.ini", "enclave-conns = 2\n\n; fine so far\nthis line has no equals\n");
	assert_load_fails(("--config", ini, (char *)NULL), ini, ":4: ", "syntax error");

	ini = write_file("syn2.ini", "[spod-host\nlisten = unix:///a.sock\n");
	assert_load_fails(("--config", ini, (char *)NULL), ini, ":1: ", "syntax error");

	ini = write_file("dup.ini", "enclave-conns = 2\n[spod-host]\nenclave-conns = 3\n");
	assert_load_fails(("--config", ini, (char *)NULL), ini,
	                  ":3: enclave-conns: ", "given twice", "line 1");

	ini = write_file("cfg.ini", "config = /other.ini\n");
	assert_load_fails(("--config", ini, (char *)NULL), ini, ":1: ", "config: not a key");

	ini = write_file("empty.ini", "db =\n");
	assert_load_fails(("--config", ini, (char *)NULL), ini, ":1: db: ", "empty value");

	snprintf(long_line, sizeof(long_line), "db = /%0300d\nlisten = unix:///a.sock\n", 0);
	ini = write_file("long.ini", long_line);
	assert_load_fails(("--config", ini, (char *)NULL), ini, ":1: ", "line longer than");

	/* A bad file is an error even when a stronger source overrides the bad key. */
	ini = write_file("o.ini", "enclave-conns = 99\n");
	assert_load_fails(("--config", ini, "--enclave-conns", "2", (char *)NULL),
	                  ":1: enclave-conns: ");

	/* An empty file is fine. */
	ini = write_file("e.ini", "");
	assert_int_equal(load("--config", ini, (char *)NULL), SPOD_OK);
}

/* The config file's text from memory: the file's parser, named as the caller says. */
static void test_load_ini_text(void **state)
{
	static const char good[] = "[spod-host]\nenclave-conns = 3\nexpect-pcr = 4=0102\n"
	                           "hello-timeout = 2s\n";
	static const char bad[] = "enclave-conns = 2\n\nmax-clients = 0\n";
	static const char nul[] = "log-level = warn\0\nseal = custodians\n";

	(void)state;
	assert_int_equal(
	    host_options_load_ini(&opts, "mem.ini", good, sizeof(good) - 1, err, sizeof(err)),
	    SPOD_OK);
	assert_int_equal(opts.enclave_conns, 3);
	assert_int_equal(opts.hello_timeout_ms, 2000);
	assert_int_equal(opts.npcrs, 1);
	assert_int_equal(opts.pcrs[0].index, 4);
	assert_ptr_equal(opts.pcrs[0].value, opts.pcr_values[0]);
	assert_int_equal(opts.max_clients, 1024); /* the default */
	assert_string_equal(opts.config, "");

	/* No NUL needed at the end: only len bytes are read. */
	assert_int_equal(
	    host_options_load_ini(&opts, "mem.ini", good, sizeof(good) - 5, err, sizeof(err)),
	    SPOD_E_BAD_ARG);
	assert_int_equal(
	    host_options_load_ini(&opts, "mem.ini", bad, sizeof(bad) - 1, err, sizeof(err)),
	    SPOD_E_BAD_ARG);
	assert_non_null(strstr(err, "mem.ini:3: max-clients: "));
	/* A NUL byte inside the text is refused, as in a file. */
	assert_int_equal(
	    host_options_load_ini(&opts, "mem.ini", nul, sizeof(nul) - 1, err, sizeof(err)),
	    SPOD_E_BAD_ARG);
	assert_non_null(strstr(err, "mem.ini:1: "));
	assert_int_equal(host_options_load_ini(&opts, "mem.ini", "", 0, err, sizeof(err)), SPOD_OK);
	assert_int_equal(opts.enclave_conns, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_data_dir, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_flags, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_http_values, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_disk_warn_free, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_http_limits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_env, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_config_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_precedence, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_repeatable, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_policy_admins, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_help_and_routes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_usage_mentions_everything, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_numbers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_values, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_options, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tls_pair, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_http_needs_tls_off_loopback, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unknown_env, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_config_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_load_ini_text, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
