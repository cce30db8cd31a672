/*
 * spod-host: the untrusted sidecar. Serves applications on unix (and loopback TCP) sockets
 * and forwards their frames to spod-enclave. It never holds a private key.
 * Settings: flags, SPOD_HOST_* variables and an INI file (host/config.h, spod-host --help).
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "common/log.h"
#include "common/paths.h"
#include "common/trace.h"
#include "host/core/config.h"
#include "host/core/forward.h"
#include "host/http/eth_node.h"
#include "host/http/http.h"
#include "spod/err.h"

/*
 * Starts the HTTP/JSON API. It reaches the host through in-process channels that the event
 * loop serves like connections to the binary listener (so the binary path's authentication,
 * scopes and audit apply), answers /readyz and /metrics from the host's state, and is logged
 * as "HTTP API on http://ADDR:PORT" (tests read it). eth_only: the Ethereum JSON-RPC port of
 * its own instead (eth-listen), which serves only POST / and /eth, logged as "Ethereum
 * JSON-RPC on http://ADDR:PORT".
 */
static int start_http(struct spod_http **out, const struct host_options *o, struct spod_host *h,
                      int eth_only)
{
	const char *addr = eth_only ? o->eth_listen_addr : o->http_addr;
	const char *setting = eth_only ? "eth-listen" : "http";
	struct spod_http_config hc = {
	    .addr = addr,
	    .port = eth_only ? o->eth_listen_port : o->http_port,
	    .eth_only = eth_only,
	    .inproc = spod_host_inproc(h),
	    .max_body_bytes = o->http_max_body,
	    .threads = o->http_threads,
	    .tls_cert = o->tls_cert[0] ? o->tls_cert : NULL,
	    .tls_key = o->tls_key[0] ? o->tls_key : NULL,
	    .max_connections = o->http_max_connections,
	    .max_per_address = o->http_max_per_address,
	    .idle_timeout_s = o->http_idle_timeout_s,
	    .header_timeout_ms = o->http_header_timeout_ms,
	    .call_timeout_ms = o->http_call_timeout_ms,
	    .ready = spod_host_ready,
	    .seal = spod_host_seal,
	    .metrics = spod_host_metrics,
	    .ctx = h,
	};
	int rc;

	rc = spod_http_start(out, &hc);
	if (rc == SPOD_E_UNAVAILABLE && !eth_only) {
		spod_error(
		    "cannot start the HTTP API: %s port %u is already in use (another "
		    "spod-host, e.g. a second `make run`?); pick another address with --http "
		    "ADDR:PORT or SPOD_HOST_HTTP=ADDR:PORT (make run HTTP=127.0.0.1:8791), or "
		    "turn it off with --http off",
		    o->http_addr, (unsigned)o->http_port);
		return rc;
	}
	if (rc < 0) {
		spod_error("cannot start %s on %s port %u: %s (the address is the %s setting: "
		           "--%s ADDR:PORT)",
		           eth_only ? "the Ethereum JSON-RPC port" : "the HTTP API", addr,
		           (unsigned)hc.port,
		           rc == SPOD_E_UNAVAILABLE ? "the port is already in use"
		                                    : spod_strerror(rc),
		           setting, setting);
		return rc;
	}
	spod_info("%s on %s://%s%s%s:%u/ (%u threads)", eth_only ? "Ethereum JSON-RPC" : "HTTP API",
	          hc.tls_cert ? "https" : "http", strchr(addr, ':') ? "[" : "", addr,
	          strchr(addr, ':') ? "]" : "", (unsigned)spod_http_port(*out), o->http_threads);
	return SPOD_OK;
}

/*
 * Descriptors spod-host keeps for itself whatever the clients do: stdio, the event loop and
 * its timers and signals, the listeners, SQLite's files for two connections (the main one and
 * the checkpointer's), the HTTP gate and the eventfd of its in-process channels, the enclave
 * pool. (The HTTP executors' connections to the host are in-process channels: no descriptor.)
 */
#define FD_RESERVE 64u
#define MIN_CONNS  16u

static uint64_t fit(uint64_t want, uint64_t room)
{
	return want < room ? want : (room > MIN_CONNS ? room : MIN_CONNS);
}

/*
 * Raises the soft RLIMIT_NOFILE to the hard limit, then fits the connections clients can
 * open into what is left after the reserve: HTTP connections (http-max-connections) get at
 * most a quarter of it, binary ones (max-clients) the rest. A setting lowered is said with
 * the numbers. Running out of descriptors then means refusing a connection, never failing to
 * open the database or an enclave connection.
 */
static void fit_descriptors(struct spod_host_config *cfg, struct host_options *o)
{
	struct rlimit rl;
	uint64_t reserve = FD_RESERVE + cfg->enclave_conns, room, http = 0, clients;
	unsigned servers =
	    (unsigned)(o->http_enabled != 0) + (unsigned)(o->eth_listen_enabled != 0);

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	room = rl.rlim_cur == RLIM_INFINITY ? UINT32_MAX
	       : rl.rlim_cur > reserve      ? rl.rlim_cur - reserve
	                                    : 0;
	if (servers > 0) { /* each HTTP server (http, eth-listen) may hold that many */
		http = fit(o->http_max_connections, room / 4 / servers);
		if (http < o->http_max_connections)
			spod_warn(
			    "http-max-connections %u lowered to %llu to fit RLIMIT_NOFILE %llu",
			    o->http_max_connections, (unsigned long long)http,
			    (unsigned long long)rl.rlim_cur);
		o->http_max_connections = (unsigned)http;
		if (o->http_max_per_address > o->http_max_connections)
			o->http_max_per_address = o->http_max_connections;
		http *= servers;
	}
	clients = fit(cfg->max_clients, room > http ? room - http : 0);
	if (clients < cfg->max_clients) {
		spod_warn(
		    "max-clients %u lowered to %llu: spod-host may open %llu file descriptors "
		    "(RLIMIT_NOFILE), keeps %llu for the database, the enclave and its own "
		    "descriptors, and %llu for HTTP connections",
		    cfg->max_clients, (unsigned long long)clients, (unsigned long long)rl.rlim_cur,
		    (unsigned long long)reserve, (unsigned long long)http);
		cfg->max_clients = (unsigned)clients;
		if (cfg->max_unauth > cfg->max_clients)
			cfg->max_unauth = cfg->max_clients;
		if (cfg->max_unauth_per_peer > cfg->max_unauth)
			cfg->max_unauth_per_peer = cfg->max_unauth;
	}
}

int main(int argc, char **argv)
{
	static struct host_options opts; /* cfg points into it */
	struct spod_host_config cfg = {0};
	char err[512], text[200];
	struct spod_http *http = NULL, *eth_http = NULL;
	struct spod_host *h;
	int rc;

	if (host_options_load(&opts, argc, argv, err, sizeof(err)) < 0) {
		fprintf(stderr, "spod-host: %s\n", err);
		return 2;
	}
	switch (opts.action) {
	case HOST_ACTION_HELP:
		host_options_usage(stdout);
		return 0;
	case HOST_ACTION_LIST_ROUTES:
		spod_http_list_routes(stdout);
		return 0;
	case HOST_ACTION_RUN:
		break;
	}
	spod_log_init("spod-host", opts.log_level);
	SPOD_TRACE_OPEN("host");
	/*
	 * A file-size limit (RLIMIT_FSIZE) reached while writing the database is a storage
	 * error to answer with 503, like a full disk, not a reason to die: write() then fails
	 * with EFBIG and SQLite reports it.
	 */
	signal(SIGXFSZ, SIG_IGN);
	if (opts.data_dir_used && spod_data_dir_ensure(opts.data_dir) < 0) {
		spod_error("cannot use data directory '%s' (must be ours, mode 0700)",
		           opts.data_dir);
		return 1;
	}
	if (host_options_to_config(&opts, &cfg) < 0)
		return 2;
	fit_descriptors(&cfg, &opts);
	if (opts.config[0] != '\0')
		spod_info("settings from %s", opts.config);

	rc = spod_host_new(&h, &cfg);
	if (rc < 0) {
		spod_error("cannot start: %s", spod_strerror(rc));
		return 1;
	}
	if (spod_eth_node_setup(opts.eth_downstream, opts.eth_downstream_timeout_ms) < 0) {
		spod_error("cannot set up eth-downstream (libcurl did not start)");
		spod_host_free(h);
		return 1;
	}
	if ((opts.http_enabled && start_http(&http, &opts, h, 0) < 0) ||
	    (opts.eth_listen_enabled && start_http(&eth_http, &opts, h, 1) < 0)) {
		spod_http_stop(http);
		spod_host_free(h);
		return 1;
	}
	for (unsigned i = 0; i < cfg.nlisten; i++) {
		spod_uri_format(text, sizeof(text), &cfg.listen[i]);
		spod_info("listening on %s", text);
	}
	spod_uri_format(text, sizeof(text), &cfg.enclave);
	spod_info("enclave at %s (%u connections)", text, cfg.enclave_conns);
	if (cfg.admit)
		spod_info("admission on: %zu expected PCR(s), root %s", cfg.npcrs,
		          cfg.root.ptr ? opts.attest_root : "AWS Nitro Enclaves G1");
	else
		spod_warn("admission off: enclave connections are not attested (use --expect-pcr)");
	rc = spod_host_run(h);
	spod_http_stop(eth_http);
	spod_http_stop(http); /* before the host: their threads hold channels of the host's hub */
	spod_host_free(h);
	return rc < 0 ? 1 : 0;
}
