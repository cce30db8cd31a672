/*
 * spod-bench: sign latency and throughput of a running pod against its floor (the crypto
 * in-process plus two unix-socket round trips), all measured in one run, through libspod and
 * through the host's HTTP/JSON API. bench/run.sh starts the pod and calls this; `make bench`
 * calls run.sh.
 */
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "common/trace.h"
#include "crypto/sign.h"
#include "http_client.h"

#define DEFAULT_N          100000u
#define QUICK_N            5000u
#define DEFAULT_WARMUP     2000u
#define DEFAULT_DEPTH      64u
#define DEFAULT_TIMEOUT_MS 10000
#define SECURE_HEAP_BYTES  (4u * 1024u * 1024u)              /* as spod-enclave */
#define DEFAULT_SOFTHSM    "/usr/lib/softhsm/libsofthsm2.so" /* Debian's softhsm2 */

static const struct bench_alg algs[BENCH_ALGS] = {
    {SPOD_ALG_ED25519, SPOD_MODE_RAW, "ed25519", "raw"},
    {SPOD_ALG_SECP256K1, SPOD_MODE_DIGEST, "secp256k1", "digest"},
    {SPOD_ALG_P256, SPOD_MODE_DIGEST, "p256", "digest"},
};

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: spod-bench [--uri URI] [--http URL] [options]\n"
	    "\n"
	    "Measures sign latency in-process, through a pod (libspod -> spod-host ->\n"
	    "spod-enclave) one request at a time and pipelined, through spod-host's HTTP API\n"
	    "one request at a time, plus a raw unix-socket round trip, prints one table and\n"
	    "writes JSON. Aims are marked PASS/MISS only.\n"
	    "\n"
	    "  --uri URI            the pod (spod-host); without it only the in-process and raw\n"
	    "                       rows run\n"
	    "  --http URL           spod-host's HTTP API on loopback (http://127.0.0.1:PORT/):\n"
	    "                       adds the HTTP row, one keep-alive connection, token from\n"
	    "                       $SPOD_TOKEN\n"
	    "  --n N                measured requests per row (default %u)\n"
	    "  --quick              N = %u, for smoke tests\n"
	    "  --warmup N           unmeasured requests before each row (default %u)\n"
	    "  --depth N            requests in flight when pipelined (default %u)\n"
	    "  --rows LIST          comma-separated subset of raw,inproc,echo,sync,pipe,http,tx,\n"
	    "                       evidence,softhsm,sshagent,chain (the last three: peers)\n"
	    "                       (default: all; http needs --http; a peer whose tool is\n"
	    "                       missing is reported as skipped)\n"
	    "  --softhsm PATH       SoftHSM2's PKCS#11 module (default %s)\n"
	    "  --ssh-agent SOCKET   a private ssh-agent holding an Ed25519 and a P-256 key\n"
	    "                       (bench/run.sh starts one); without it the row is skipped\n"
	    "  --out DIR            results directory (default bench/results)\n"
	    "  --commit TEXT        git commit to record\n"
	    "  --layout C,H,E       the pod runs pinned: client (this process) on CPU C,\n"
	    "                       spod-host on H, spod-enclave on E; the floor then uses the\n"
	    "                       one-CPU or two-CPU raw round trip for each hop\n"
	    "  --timeout MS         longest wait for any pod answer (default %d)\n"
	    "  --spin-us N|H,E      the pod's host and enclave run with --spin-us H and E (N:\n"
	    "                       both): adds a raw round trip per hop whose ends poll as\n"
	    "                       theirs do before blocking, placed as the pod; the floor\n"
	    "                       uses them\n"
	    "  --trace              after the rows, where the time of a sync sign goes and heap\n"
	    "                       allocations per request (a -DSPOD_TRACE=ON build with\n"
	    "                       SPOD_TRACE_DIR: bench/run.sh --trace)\n"
	    "  --syscall-pass       only N pipelined signs per algorithm, untimed (run.sh\n"
	    "                       --trace runs it under strace)\n"
	    "  --syscall-report H,E only print system calls per request from strace -c files\n"
	    "                       of spod-host (H) and spod-enclave (E) after a pass of --n N\n"
	    "  --enclave-threads N  the pod's spod-enclave signs on N threads (run.sh sets it):\n"
	    "                       recorded, and the pipelined aim becomes >= 130 %%\n"
	    "  -h, --help           this text\n"
	    "\n"
	    "Exit status: 0 when every row was measured (whatever the aims say), 1 when a row\n"
	    "could not be measured, 2 on bad usage.\n",
	    DEFAULT_N, QUICK_N, DEFAULT_WARMUP, DEFAULT_DEPTH, DEFAULT_SOFTHSM, DEFAULT_TIMEOUT_MS);
}

static int parse_size(size_t *out, const char *s, size_t min, size_t max)
{
	char *end;
	unsigned long long v;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	v = strtoull(s, &end, 10);
	if (*end != '\0' || v < min || v > max)
		return -1;
	*out = (size_t)v;
	return 0;
}

static int parse_rows(unsigned *rows, const char *list)
{
	static const struct {
		const char *name;
		unsigned bit;
	} names[] = {
	    {"raw", BENCH_ROW_RAW},         {"inproc", BENCH_ROW_INPROC},
	    {"echo", BENCH_ROW_ECHO},       {"sync", BENCH_ROW_SYNC},
	    {"pipe", BENCH_ROW_PIPE},       {"http", BENCH_ROW_HTTP},
	    {"tx", BENCH_ROW_TX},           {"evidence", BENCH_ROW_EV},
	    {"softhsm", BENCH_ROW_SOFTHSM}, {"sshagent", BENCH_ROW_SSHAGENT},
	    {"chain", BENCH_ROW_CHAIN},
	};

	*rows = 0;
	while (*list != '\0') {
		size_t len = strcspn(list, ",");
		size_t i;

		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strlen(names[i].name) == len && strncmp(names[i].name, list, len) == 0)
				break;
		if (i == sizeof(names) / sizeof(names[0]))
			return -1;
		*rows |= names[i].bit;
		list += len + (list[len] == ',');
	}
	return *rows != 0 ? 0 : -1;
}

/* "N" (host and enclave) or "H,E": microseconds, each 0..10000. */
static int parse_spin(unsigned spin[2], const char *s)
{
	char *end;

	for (int i = 0; i < 2; i++) {
		unsigned long v;

		if (*s < '0' || *s > '9')
			return -1;
		v = strtoul(s, &end, 10);
		if (v > 10000 || (*end != '\0' && (*end != ',' || i == 1)))
			return -1;
		spin[i] = (unsigned)v;
		if (*end == '\0') {
			if (i == 0)
				spin[1] = spin[0];
			return 0;
		}
		s = end + 1;
	}
	return 0;
}

/* "C,H,E": three CPU numbers. */
static int parse_layout(struct bench_config *cfg, const char *s)
{
	static char label[96];
	char *end;

	for (int i = 0; i < 3; i++) {
		unsigned long v;

		if (*s < '0' || *s > '9')
			return -1;
		v = strtoul(s, &end, 10);
		if (v >= CPU_SETSIZE || *end != (i < 2 ? ',' : '\0'))
			return -1;
		cfg->layout[i] = (int)v;
		s = end + 1;
	}
	cfg->pinned = 1;
	snprintf(label, sizeof(label), "client:%d host:%d enclave:%d", cfg->layout[0],
	         cfg->layout[1], cfg->layout[2]);
	cfg->label = label;
	return 0;
}

static int parse_args(struct bench_config *cfg, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"uri", required_argument, NULL, 'u'},
	    {"n", required_argument, NULL, 'n'},
	    {"quick", no_argument, NULL, 'q'},
	    {"warmup", required_argument, NULL, 'w'},
	    {"depth", required_argument, NULL, 'd'},
	    {"rows", required_argument, NULL, 'R'},
	    {"out", required_argument, NULL, 'o'},
	    {"commit", required_argument, NULL, 'c'},
	    {"layout", required_argument, NULL, 'l'},
	    {"timeout", required_argument, NULL, 't'},
	    {"http", required_argument, NULL, 'H'},
	    {"softhsm", required_argument, NULL, 'M'},
	    {"ssh-agent", required_argument, NULL, 'A'},
	    {"trace", no_argument, NULL, 'T'},
	    {"spin-us", required_argument, NULL, 'B'},
	    {"syscall-pass", no_argument, NULL, 'P'},
	    {"syscall-report", required_argument, NULL, 'S'},
	    {"enclave-threads", required_argument, NULL, 'E'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	size_t v;
	int opt, idx = 0;

	while ((opt = getopt_long(argc, argv, "h", opts, &idx)) != -1) {
		switch (opt) {
		case 'u':
			cfg->uri = optarg;
			break;
		case 'H':
			cfg->http_url = optarg;
			break;
		case 'M':
			cfg->softhsm = optarg;
			break;
		case 'A':
			cfg->ssh_agent = optarg[0] != '\0' ? optarg : NULL;
			break;
		case 'n':
			if (parse_size(&cfg->n, optarg, 1, 100000000) < 0)
				goto bad;
			break;
		case 'q':
			cfg->n = QUICK_N;
			break;
		case 'w':
			if (parse_size(&cfg->warmup, optarg, 0, 100000000) < 0)
				goto bad;
			break;
		case 'd':
			if (parse_size(&cfg->depth, optarg, 1, 65536) < 0)
				goto bad;
			break;
		case 'R':
			if (parse_rows(&cfg->rows, optarg) < 0)
				goto bad;
			break;
		case 'o':
			cfg->out_dir = optarg;
			break;
		case 'c':
			cfg->commit = optarg[0] != '\0' ? optarg : NULL;
			break;
		case 'l':
			if (parse_layout(cfg, optarg) < 0)
				goto bad;
			break;
		case 't':
			if (parse_size(&v, optarg, 1, 600000) < 0)
				goto bad;
			cfg->timeout_ms = (int)v;
			break;
		case 'T':
			cfg->trace = 1;
			break;
		case 'B':
			if (parse_spin(cfg->spin_us, optarg) < 0)
				goto bad;
			break;
		case 'P':
			cfg->syscall_pass = 1;
			break;
		case 'S':
			if (strchr(optarg, ',') == NULL)
				goto bad;
			cfg->syscall_report = optarg;
			break;
		case 'E':
			if (parse_size(&v, optarg, 1, 64) < 0)
				goto bad;
			cfg->enclave_threads = (unsigned)v;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return -1;
	}
	return 0;
bad:
	fprintf(stderr, "spod-bench: bad value '%s' for --%s\n", optarg, opts[idx].name);
	return -1;
}

static void progress(const char *what, const char *alg)
{
	fprintf(stderr, "spod-bench: %s%s%s\n", what, alg ? " " : "", alg ? alg : "");
}

/* After a failed row the connection may be mid-stream: start the next row on a fresh one. */
static void pod_recover(struct spod_client **c, const struct bench_config *cfg, int failed)
{
	if (!failed || *c == NULL)
		return;
	spod_client_close(*c);
	*c = NULL;
	if (spod_client_open(c, cfg->uri, getenv("SPOD_TOKEN"), cfg->timeout_ms) < 0)
		*c = NULL;
}

/* Every row through the pod; a failed row is counted in r->errors and the rest still run. */
static void pod_rows(struct bench_run *r, struct bench_samples *s)
{
	const struct bench_config *cfg = &r->cfg;
	struct spod_key_info keys[BENCH_ALGS];
	int have_key[BENCH_ALGS] = {0};
	struct spod_pod_info info;
	struct spod_client *c = NULL;
	int rc;

	rc = spod_client_open(&c, cfg->uri, getenv("SPOD_TOKEN"), cfg->timeout_ms);
	if (rc == SPOD_OK)
		rc = spod_client_info(c, &info);
	if (rc < 0) {
		fprintf(stderr, "spod-bench: pod at %s: %s\n", cfg->uri, spod_strerror(rc));
		r->errors++;
		spod_client_close(c);
		return;
	}
	for (int i = 0; i < BENCH_ALGS; i++) {
		rc = spod_client_generate(c, &keys[i], algs[i].alg);
		have_key[i] = rc == SPOD_OK;
		if (rc < 0) {
			fprintf(stderr, "spod-bench: generating a %s key: %s\n", algs[i].name,
			        spod_strerror(rc));
			r->errors++;
		}
	}

	if (cfg->rows & BENCH_ROW_ECHO) {
		progress("pod ECHO", NULL);
		r->have_echo = bench_pod_echo(&r->echo, s, c, cfg->warmup, cfg->n) == SPOD_OK;
		r->errors += !r->have_echo;
		pod_recover(&c, cfg, !r->have_echo);
	}
	for (int i = 0; i < BENCH_ALGS; i++) {
		struct bench_alg_result *a = &r->alg[i];

		if (c == NULL || !have_key[i] || !(cfg->rows & BENCH_ROW_SYNC))
			continue;
		progress("pod sync (b)", algs[i].name);
		a->have_pod = bench_pod_sync(&a->pod, s, c, &algs[i], &keys[i], cfg->warmup,
		                             cfg->n) == SPOD_OK;
		r->errors += !a->have_pod;
		pod_recover(&c, cfg, !a->have_pod);
	}
	for (int i = 0; i < BENCH_ALGS; i++) {
		struct bench_alg_result *a = &r->alg[i];

		if (c == NULL || !have_key[i] || !(cfg->rows & BENCH_ROW_PIPE))
			continue;
		progress("pod pipelined (c)", algs[i].name);
		a->have_pipe = bench_pod_pipelined(&a->pipe_sps, &a->pipe_seconds, &a->pipe_lat, s,
		                                   c, &algs[i], &keys[i], cfg->depth, cfg->warmup,
		                                   cfg->n, cfg->timeout_ms) == SPOD_OK;
		r->errors += !a->have_pipe;
		pod_recover(&c, cfg, !a->have_pipe);
	}
	/* Leave the pod as we found it; a failure here is only worth a note. */
	for (int i = 0; i < BENCH_ALGS && c != NULL; i++)
		if (have_key[i] && spod_client_delete(c, keys[i].id) < 0)
			fprintf(stderr, "spod-bench: note: could not delete the %s key\n",
			        algs[i].name);
	spod_client_close(c);
}

/* After a failed request the HTTP connection is closed: open it again for the next row. */
static void http_recover(struct bench_http *c, const struct bench_config *cfg, const char *token)
{
	if (c->fd >= 0)
		return;
	if (bench_http_open(c, cfg->http_url, token, cfg->timeout_ms) < 0)
		fprintf(stderr, "spod-bench: HTTP API at %s: %s\n", cfg->http_url,
		        bench_http_last_error(c));
}

/*
 * The HTTP row: keys made through POST /v1/keys, then per algorithm one sign request at a
 * time on one keep-alive connection, opened here (an idle connection would be closed by the
 * server while the other rows run). A failed row is counted in r->errors.
 */
static void http_rows(struct bench_run *r, struct bench_samples *s)
{
	static struct bench_http c; /* 20 KiB of buffers */
	const struct bench_config *cfg = &r->cfg;
	struct bench_http_key keys[BENCH_ALGS];
	int have_key[BENCH_ALGS] = {0};
	const char *token = getenv("SPOD_TOKEN");

	if (token == NULL || token[0] == '\0') {
		fprintf(stderr, "spod-bench: --http needs an API token in SPOD_TOKEN\n");
		r->errors++;
		return;
	}
	if (bench_http_open(&c, cfg->http_url, token, cfg->timeout_ms) < 0) {
		fprintf(stderr, "spod-bench: HTTP API at %s: %s\n", cfg->http_url,
		        bench_http_last_error(&c));
		bench_http_close(&c);
		r->errors++;
		return;
	}
	/* A connection that broke here would most likely break again: no retry. */
	for (int i = 0; i < BENCH_ALGS && c.fd >= 0; i++) {
		have_key[i] = bench_http_key_create(&keys[i], &c, &algs[i]) == SPOD_OK;
		r->errors += !have_key[i];
	}
	for (int i = 0; i < BENCH_ALGS; i++) {
		struct bench_alg_result *a = &r->alg[i];

		if (!have_key[i])
			continue;
		http_recover(&c, cfg, token);
		if (c.fd < 0) {
			r->errors++;
			continue;
		}
		progress("HTTP sync (h)", algs[i].name);
		a->have_http = bench_http_sync(&a->http, s, &c, &algs[i], &keys[i], cfg->warmup,
		                               cfg->n) == SPOD_OK;
		r->errors += !a->have_http;
	}
	/* Leave the pod as we found it; a failure here is only worth a note. */
	for (int i = 0; i < BENCH_ALGS; i++) {
		if (!have_key[i])
			continue;
		http_recover(&c, cfg, token);
		if (c.fd < 0 || bench_http_key_delete(&c, &keys[i]) < 0)
			fprintf(stderr,
			        "spod-bench: note: could not delete the %s key made over HTTP\n",
			        algs[i].name);
	}
	bench_http_close(&c);
}

/* The transport floor: one raw round trip placed as the scheduler likes, on one, on two CPUs. */
static void raw_rows(struct bench_run *r, struct bench_samples *s)
{
	static const char *const what[BENCH_RAW_KINDS] = {
	    "raw unix round trip (scheduler-placed)",
	    "raw unix round trip (one CPU)",
	    "raw unix round trip (two CPUs)",
	    "raw unix round trip, client-host hop with the host's spin",
	    "raw unix round trip, host-enclave hop with both spins",
	};
	const unsigned *sp = r->cfg.spin_us;
	const int *l = r->cfg.layout, pin = r->cfg.pinned;
	const int cpus[BENCH_RAW_KINDS][2] = {{-1, -1},
	                                      {0, 0},
	                                      {0, 1},
	                                      {pin ? l[0] : -1, pin ? l[1] : -1},
	                                      {pin ? l[1] : -1, pin ? l[2] : -1}};
	const unsigned spins[BENCH_RAW_KINDS][2] = {
	    {0, 0}, {0, 0}, {0, 0}, {0, sp[0]}, {sp[0], sp[1]}};

	for (int k = 0; k < BENCH_RAW_KINDS; k++) {
		if ((k == BENCH_RAW_TWO_CPUS && r->machine.nproc < 2) ||
		    (k >= BENCH_RAW_SPIN_CH && sp[0] == 0 && sp[1] == 0))
			continue;
		progress(what[k], NULL);
		r->have_raw[k] = bench_raw_rtt(&r->raw[k], s, r->cfg.warmup, r->cfg.n, cpus[k][0],
		                               cpus[k][1], spins[k]) == SPOD_OK;
		r->errors += !r->have_raw[k];
	}
}

int main(int argc, char **argv)
{
	static struct bench_run r;
	struct bench_samples s;
	struct tm tm;
	time_t now;

	r.cfg = (struct bench_config){
	    .out_dir = "bench/results",
	    .n = DEFAULT_N,
	    .warmup = DEFAULT_WARMUP,
	    .depth = DEFAULT_DEPTH,
	    .rows = BENCH_ROW_ALL,
	    .label = "none",
	    .softhsm = DEFAULT_SOFTHSM,
	    .timeout_ms = DEFAULT_TIMEOUT_MS,
	    .enclave_threads = 1,
	};
	if (parse_args(&r.cfg, argc, argv) < 0)
		return 2;
	signal(SIGPIPE, SIG_IGN);
	if (r.cfg.syscall_report != NULL) {
		static char files[2][512];
		const char *comma = strchr(r.cfg.syscall_report, ',');

		snprintf(files[0], sizeof(files[0]), "%.*s", (int)(comma - r.cfg.syscall_report),
		         r.cfg.syscall_report);
		snprintf(files[1], sizeof(files[1]), "%s", comma + 1);
		return bench_syscall_report(stdout, files[0], files[1], BENCH_ALGS * r.cfg.n) < 0;
	}
	if (r.cfg.trace) {
#ifdef SPOD_TRACE
		SPOD_TRACE_OPEN("client");
#else
		fprintf(stderr, "spod-bench: --trace needs a build with -DSPOD_TRACE=ON "
		                "(bench/run.sh --trace makes one in build-trace)\n");
		return 2;
#endif
	}
	if (spod_crypto_init(SECURE_HEAP_BYTES) < 0) {
		fprintf(stderr, "spod-bench: no OpenSSL secure heap (RLIMIT_MEMLOCK?); P-256 keys "
		                "use the ordinary heap\n");
		if (spod_crypto_init(0) < 0) {
			fprintf(stderr, "spod-bench: crypto initialisation failed\n");
			return 1;
		}
	}
	if (r.cfg.syscall_pass) {
		if (r.cfg.uri == NULL) {
			fprintf(stderr, "spod-bench: --syscall-pass needs --uri\n");
			return 2;
		}
		return bench_syscall_pass(&r.cfg, algs) < 0;
	}
	if (bench_samples_init(&s, r.cfg.n) < 0) {
		fprintf(stderr, "spod-bench: cannot allocate %zu samples\n", r.cfg.n);
		return 1;
	}
	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(r.timestamp, sizeof(r.timestamp), "%Y%m%dT%H%M%SZ", &tm);
	bench_machine_probe(&r.machine);
	for (int i = 0; i < BENCH_ALGS; i++)
		r.alg[i].alg = &algs[i];

	if (r.cfg.rows & BENCH_ROW_RAW)
		raw_rows(&r, &s);
	for (int i = 0; i < BENCH_ALGS && (r.cfg.rows & BENCH_ROW_INPROC); i++) {
		struct bench_alg_result *a = &r.alg[i];

		progress("in-process (a)", algs[i].name);
		a->have_inproc =
		    bench_inproc(&a->inproc, &s, &algs[i], r.cfg.warmup, r.cfg.n) == SPOD_OK;
		r.errors += !a->have_inproc;
	}
	if (r.cfg.rows & (BENCH_ROW_ECHO | BENCH_ROW_SYNC | BENCH_ROW_PIPE)) {
		if (r.cfg.uri != NULL)
			pod_rows(&r, &s);
		else
			progress("no --uri: pod rows skipped", NULL);
	}
	if ((r.cfg.rows & BENCH_ROW_TX) && r.cfg.uri != NULL)
		bench_tx_rows(&r, &s);
	if (r.cfg.rows & BENCH_ROW_EV)
		bench_evidence_rows(&r, &s);
	if (r.cfg.rows & BENCH_ROW_HTTP) {
		if (r.cfg.http_url != NULL)
			http_rows(&r, &s);
		else
			progress("no --http: HTTP row skipped", NULL);
	}
	if (r.cfg.rows & BENCH_ROW_PEERS)
		bench_peer_rows(&r, &s);

	if (r.cfg.trace)
		bench_trace_rows(&r, &s, algs);

	bench_loadavg(r.machine.loadavg_end, sizeof(r.machine.loadavg_end));
	r.machine.busy_pct_end = bench_busy_pct(500);
	bench_derive(&r);
	bench_print_table(stdout, &r);
	if (bench_write_json(&r) < 0)
		r.errors++;
	bench_samples_free(&s);
	spod_crypto_cleanup();
	return r.errors ? 1 : 0;
}
