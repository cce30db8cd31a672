/*
 * spod-host: the untrusted sidecar. Serves applications on unix (and loopback TCP) sockets
 * and forwards their frames to spod-enclave. It never holds a private key.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hex.h"
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
	    "  --expect-pcr N=HEX   admission: serve through an enclave connection only after\n"
	    "                       a fresh attestation with this PCR value verifies; repeatable\n"
	    "  --attest-root FILE   root certificate (PEM or DER) attestations must chain to\n"
	    "                       (default: the embedded AWS Nitro Enclaves root G1; for the\n"
	    "                       simulated NSM: the file `spod attest dev-root` prints)\n"
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

/* --expect-pcr N=HEX into out/value (index must be < 32). Prints why on failure. */
static int parse_pcr(struct spod_attest_pcr_expect *out, uint8_t *value, const char *arg,
                     size_t nseen)
{
	const char *eq = strchr(arg, '=');
	unsigned idx;
	size_t n;
	char *end;

	if (nseen == SPOD_ATTEST_MAX_PCRS || eq == NULL || eq == arg)
		goto bad;
	idx = (unsigned)strtoul(arg, &end, 10);
	if (end != eq || idx >= SPOD_ATTEST_MAX_PCRS)
		goto bad;
	if (spod_hex_decode(value, SPOD_ATTEST_PCR_MAX_BYTES, &n, eq + 1) < 0 || n == 0)
		goto bad;
	*out = (struct spod_attest_pcr_expect){idx, value, n};
	return SPOD_OK;
bad:
	fprintf(stderr, "spod-host: --expect-pcr takes N=HEX with N 0..31, got '%s'\n", arg);
	return SPOD_E_BAD_ARG;
}

/* Reads the pinned attestation root; the buffer lives as long as the process. */
static int read_root(struct spod_bytes *root, const char *path)
{
	static uint8_t buf[16384];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL) {
		fprintf(stderr, "spod-host: cannot open --attest-root %s\n", path);
		return SPOD_E_BAD_ARG;
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (n == 0 || n == sizeof(buf)) {
		fprintf(stderr, "spod-host: --attest-root %s is empty or too large\n", path);
		return SPOD_E_BAD_ARG;
	}
	*root = (struct spod_bytes){buf, n};
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
	    {"expect-pcr", required_argument, NULL, 'p'},
	    {"attest-root", required_argument, NULL, 'r'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct spod_host_config cfg = {
	    .enclave_conns = 2,
	    .max_clients = 1024,
	    .connect_timeout_ms = 500,
	};
	static struct spod_attest_pcr_expect pcrs[SPOD_ATTEST_MAX_PCRS];
	static uint8_t pcr_values[SPOD_ATTEST_MAX_PCRS][SPOD_ATTEST_PCR_MAX_BYTES];
	enum spod_log_level level = SPOD_LOG_INFO;
	const char *enclave_text = NULL;
	char dflt[300], dir[256];
	struct spod_host *h;
	int opt, rc;

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
			if (spod_log_level_parse(&level, optarg) < 0) {
				fprintf(stderr, "spod-host: unknown log level '%s'\n", optarg);
				return 2;
			}
			break;
		case 'p':
			if (parse_pcr(&pcrs[cfg.npcrs], pcr_values[cfg.npcrs], optarg, cfg.npcrs) <
			    0)
				return 2;
			cfg.npcrs++;
			cfg.admit = 1;
			break;
		case 'r':
			if (read_root(&cfg.root, optarg) < 0)
				return 2;
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
	cfg.pcrs = pcrs;
	if (cfg.root.ptr != NULL && !cfg.admit) {
		fprintf(stderr, "spod-host: --attest-root needs at least one --expect-pcr\n");
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
	if (cfg.admit)
		spod_info("admission on: %zu expected PCR(s), root %s", cfg.npcrs,
		          cfg.root.ptr ? "from --attest-root" : "AWS Nitro Enclaves G1");
	else
		spod_warn("admission off: enclave connections are not attested (use --expect-pcr)");
	rc = spod_host_run(h);
	spod_host_free(h);
	return rc < 0 ? 1 : 0;
}
