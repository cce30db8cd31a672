/*
 * spod-host: the untrusted sidecar. Serves applications on unix (and loopback TCP) sockets
 * and forwards their frames to spod-enclave. It never holds a private key.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "spod/err.h"
#include "common/paths.h"
#include "host/forward.h"

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: spod-host [options]\n"
	    "\n"
	    "Serves the spod binary protocol to applications and forwards it to spod-enclave.\n"
	    "\n"
	    "  --listen URI         where applications connect; repeatable (up to %d):\n"
	    "                       unix:///path/spod.sock or tcp://127.0.0.1:PORT\n"
	    "                       (default unix://$SPOD_DATA_DIR/spod.sock)\n"
	    "  --enclave URI        where spod-enclave listens: vsock://CID:PORT in production\n"
	    "                       (default unix://$SPOD_DATA_DIR/enclave.sock)\n"
	    "  --enclave-conns N    pipelined connections to the enclave, 1..%d (default 2)\n"
	    "  --max-clients N      application connections at once (default 1024)\n"
	    "  --log-level L        debug|info|warn|error (default info)\n"
	    "  -h, --help           this text\n"
	    "\n"
	    "SPOD_DATA_DIR defaults to $XDG_RUNTIME_DIR/spod, else /tmp/spod-$UID.\n",
	    SPOD_HOST_MAX_LISTENERS, SPOD_HOST_MAX_ENCLAVE_CONNS);
}

static int parse_uint(unsigned *out, const char *s, unsigned lo, unsigned hi)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < lo || v > hi)
		return SPOD_E_BAD_ARG;
	*out = (unsigned)v;
	return SPOD_OK;
}

/* Until bearer-token authentication exists, the API is reachable only from this machine. */
static int listen_is_local(const struct spod_uri *u)
{
	if (u->kind != SPOD_URI_TCP)
		return 1;
	return strncmp(u->host, "127.", 4) == 0 || strcmp(u->host, "::1") == 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"listen", required_argument, NULL, 'l'},
	    {"enclave", required_argument, NULL, 'e'},
	    {"enclave-conns", required_argument, NULL, 'n'},
	    {"max-clients", required_argument, NULL, 'm'},
	    {"log-level", required_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	static const char *const levels[] = {"debug", "info", "warn", "error"};
	struct spod_host_config cfg = {
	    .enclave_conns = 2,
	    .max_clients = 1024,
	    .connect_timeout_ms = 500,
	};
	enum spod_log_level level = SPOD_LOG_INFO;
	const char *enclave_text = NULL;
	char dflt[300], dir[256];
	struct spod_host *h;
	int opt, rc, lv;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'l':
			if (cfg.nlisten == SPOD_HOST_MAX_LISTENERS) {
				fprintf(stderr, "spod-host: at most %d --listen\n",
				        SPOD_HOST_MAX_LISTENERS);
				return 2;
			}
			if (spod_uri_parse(&cfg.listen[cfg.nlisten], optarg) < 0) {
				fprintf(stderr, "spod-host: bad --listen URI '%s'\n", optarg);
				return 2;
			}
			if (!listen_is_local(&cfg.listen[cfg.nlisten])) {
				fprintf(stderr,
				        "spod-host: --listen %s: TCP listeners must be on a "
				        "loopback address (the API has no authentication yet)\n",
				        optarg);
				return 2;
			}
			cfg.nlisten++;
			break;
		case 'e':
			enclave_text = optarg;
			break;
		case 'n':
			if (parse_uint(&cfg.enclave_conns, optarg, 1, SPOD_HOST_MAX_ENCLAVE_CONNS) <
			    0) {
				fprintf(stderr, "spod-host: --enclave-conns must be 1..%d\n",
				        SPOD_HOST_MAX_ENCLAVE_CONNS);
				return 2;
			}
			break;
		case 'm':
			if (parse_uint(&cfg.max_clients, optarg, 1, 65536) < 0) {
				fprintf(stderr, "spod-host: --max-clients must be 1..65536\n");
				return 2;
			}
			break;
		case 'v':
			for (lv = 0; lv < 4 && strcmp(optarg, levels[lv]) != 0; lv++)
				;
			if (lv == 4) {
				fprintf(stderr, "spod-host: unknown log level '%s'\n", optarg);
				return 2;
			}
			level = (enum spod_log_level)lv;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	spod_log_init("spod-host", level);

	if (cfg.nlisten == 0 || enclave_text == NULL) {
		if (spod_data_dir(dir, sizeof(dir)) < 0 || spod_data_dir_ensure(dir) < 0) {
			spod_error("cannot use data directory '%s' (must be ours, mode 0700)", dir);
			return 1;
		}
	}
	if (cfg.nlisten == 0) {
		if (spod_default_host_uri(dflt, sizeof(dflt)) < 0 ||
		    spod_uri_parse(&cfg.listen[0], dflt) < 0) {
			spod_error("data directory path too long");
			return 1;
		}
		cfg.nlisten = 1;
	}
	if (enclave_text == NULL) {
		if (spod_default_enclave_uri(dflt, sizeof(dflt)) < 0) {
			spod_error("data directory path too long");
			return 1;
		}
		enclave_text = dflt;
	}
	if (spod_uri_parse(&cfg.enclave, enclave_text) < 0) {
		spod_error("bad --enclave URI '%s'", enclave_text);
		return 2;
	}

	rc = spod_host_new(&h, &cfg);
	if (rc < 0) {
		spod_error("cannot start: %s", spod_strerror(rc));
		return 1;
	}
	for (unsigned i = 0; i < cfg.nlisten; i++) {
		char text[200];
		spod_uri_format(text, sizeof(text), &cfg.listen[i]);
		spod_info("listening on %s", text);
	}
	spod_info("enclave at %s (%u connections)", enclave_text, cfg.enclave_conns);
	rc = spod_host_run(h);
	spod_host_free(h);
	return rc < 0 ? 1 : 0;
}
