/*
 * spod-enclave: holds the private keys and signs. In production it runs inside an AWS Nitro
 * Enclave and listens on vsock; in development on a unix socket.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "common/log.h"
#include "crypto/secmem.h"
#include "crypto/sign.h"
#include "common/paths.h"
#include "common/trace.h"
#include "enclave/sandbox.h"
#include "enclave/server.h"
#include "enclave/workers.h"
#include "transport/loop.h"

#define DEFAULT_CAPACITY  SPOD_KEYSTORE_MAX_KEYS
#define DEFAULT_SPIN_US   0u /* measured in docs/architecture.md */
#define SECURE_HEAP_BYTES (4u * 1024u * 1024u)
#if defined(__SANITIZE_ADDRESS__)
#define SPOD_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SPOD_ASAN 1
#endif
#endif
#ifndef SPOD_ASAN
#define SPOD_ASAN 0
#endif
#define MLOCKALL_MIN_LIMIT (256ull * 1024u * 1024u)

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: spod-enclave --listen URI [options]\n"
	    "\n"
	    "Holds signing keys in locked memory and answers spod wire frames.\n"
	    "\n"
	    "  --listen URI       where the host connects: vsock://any:PORT in an enclave,\n"
	    "                     unix:///path/enclave.sock in development (required)\n"
	    "  --capacity N       most keys held at once (default %u; memory is taken as keys\n"
	    "                     arrive)\n"
	    "  --threads N        sign on N worker threads (1..%u, default 1: the event loop\n"
	    "                     signs); keys stay in one keystore, other requests stay on\n"
	    "                     the event loop (docs/architecture.md)\n"
	    "  --log-level L      debug|info|warn|error (default info)\n"
	    "  --spin-us N        microseconds the event loop polls without sleeping before\n"
	    "                     it blocks, 0..%d (default %u): a request within that\n"
	    "                     time is taken without a wake-up; inside a Nitro enclave\n"
	    "                     the vCPUs are its own (docs/architecture.md)\n"
	    "  --nsm MODE         attestation: nitro (the real /dev/nsm), sim (a development\n"
	    "                     NSM with a local root), auto (nitro if the device exists,\n"
	    "                     else sim; the default)\n"
	    "  --nsm-device PATH  the Nitro Secure Module device (default /dev/nsm)\n"
	    "  --allow-sim-with-nsm  use the simulated NSM even though a Nitro device exists\n"
	    "  --state-dir DIR    where the simulated NSM keeps its development root\n"
	    "                     (default $SPOD_DATA_DIR)\n"
	    "  --image PATH       what the simulated NSM measures into PCR0 (default: this\n"
	    "                     executable, /proc/self/exe)\n"
	    "  --no-sandbox       development and debugging only: do not load the seccomp\n"
	    "                     filter (docs/threat-model.md)\n"
	    "  -h, --help         this text\n"
	    "\n"
	    "Keys live in this process's locked memory and leave it only sealed (docs/keys.md).\n"
	    "spod-host chooses the seal mode when it connects: ephemeral (a random seal key, so\n"
	    "keys die with this process) or custodians (the seal key is rebuilt from K of N\n"
	    "custodians' shares).\n",
	    DEFAULT_CAPACITY, SPOD_WORKERS_MAX, SPOD_LOOP_SPIN_MAX_US, DEFAULT_SPIN_US);
}

/*
 * Key material is always in locked pages (libsodium / OpenSSL secure heap). Locking the
 * whole process as well keeps buffers that briefly hold digests out of swap, but with
 * MCL_FUTURE every later allocation counts against RLIMIT_MEMLOCK, so do it only when the
 * limit is generous, and never under AddressSanitizer (its shadow memory is terabytes).
 */
#if !SPOD_ASAN
/* True when this process holds CAP_IPC_LOCK, which lifts RLIMIT_MEMLOCK (read from /proc). */
static int has_ipc_lock(void)
{
	char line[128];
	unsigned long long caps = 0;
	FILE *f = fopen("/proc/self/status", "r");
	int found = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "CapEff: %llx", &caps) == 1) {
			found = 1;
			break;
		}
	fclose(f);
	return found && (caps & (1ull << 14)) != 0; /* CAP_IPC_LOCK */
}
#endif

static void lock_all_memory(void)
{
#if SPOD_ASAN
	spod_info("sanitizer build: not calling mlockall");
#else
	struct rlimit rl;

	if (!has_ipc_lock() && getrlimit(RLIMIT_MEMLOCK, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < MLOCKALL_MIN_LIMIT) {
		spod_warn("RLIMIT_MEMLOCK is %llu bytes and no CAP_IPC_LOCK: not locking all "
		          "memory; key memory is still locked",
		          (unsigned long long)rl.rlim_cur);
		return;
	}
	if (mlockall(MCL_CURRENT | MCL_FUTURE) < 0)
		spod_warn("mlockall failed; key memory is still locked");
	else
		spod_info("all memory locked (mlockall)");
#endif
}

/* The command line; defaults as usage() describes them. */
struct enclave_opts {
	const char *listen_text;
	unsigned long capacity, spin_us;
	unsigned long threads;
	enum spod_log_level level;
	int sandbox, allow_sim;
	const char *nsm_mode, *nsm_device, *image, *state_dir;
};

/* Parses argv into o. Returns -1 to go on, or the exit code (0 after --help, 2 misuse). */
static int parse_args(struct enclave_opts *o, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"listen", required_argument, NULL, 'l'},
	    {"capacity", required_argument, NULL, 'c'},
	    {"threads", required_argument, NULL, 't'},
	    {"spin-us", required_argument, NULL, 'p'},
	    {"log-level", required_argument, NULL, 'v'},
	    {"no-sandbox", no_argument, NULL, 'S'},
	    {"nsm", required_argument, NULL, 'N'},
	    {"nsm-device", required_argument, NULL, 'D'},
	    {"allow-sim-with-nsm", no_argument, NULL, 'A'},
	    {"state-dir", required_argument, NULL, 's'},
	    {"image", required_argument, NULL, 'i'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	char *end;
	int opt;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'l':
			o->listen_text = optarg;
			break;
		case 'c':
			o->capacity = strtoul(optarg, &end, 10);
			if (*end != '\0' || o->capacity == 0 || o->capacity > (1u << 20)) {
				fprintf(stderr, "spod-enclave: --capacity must be 1..1048576\n");
				return 2;
			}
			break;
		case 't':
			o->threads = strtoul(optarg, &end, 10);
			if (*end != '\0' || o->threads == 0 || o->threads > SPOD_WORKERS_MAX) {
				fprintf(stderr, "spod-enclave: --threads must be 1..%u\n",
				        SPOD_WORKERS_MAX);
				return 2;
			}
			break;
		case 'p':
			o->spin_us = strtoul(optarg, &end, 10);
			if (*end != '\0' || optarg[0] < '0' || optarg[0] > '9' ||
			    o->spin_us > SPOD_LOOP_SPIN_MAX_US) {
				fprintf(stderr, "spod-enclave: --spin-us must be 0..%d\n",
				        SPOD_LOOP_SPIN_MAX_US);
				return 2;
			}
			break;
		case 'v':
			if (spod_log_level_parse(&o->level, optarg) < 0) {
				fprintf(stderr, "spod-enclave: unknown log level '%s'\n", optarg);
				return 2;
			}
			break;
		case 'S':
			o->sandbox = 0;
			break;
		case 'N':
			o->nsm_mode = optarg;
			if (strcmp(optarg, "auto") && strcmp(optarg, "nitro") &&
			    strcmp(optarg, "sim")) {
				fprintf(stderr, "spod-enclave: --nsm must be auto, nitro or sim\n");
				return 2;
			}
			break;
		case 'D':
			o->nsm_device = optarg;
			break;
		case 'A':
			o->allow_sim = 1;
			break;
		case 's':
			o->state_dir = optarg;
			break;
		case 'i':
			o->image = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (o->listen_text == NULL || optind != argc) {
		usage(stderr);
		return 2;
	}
	return -1;
}

/* The --listen URI, which the sandbox must allow. */
static int parse_listen(struct spod_uri *uri, const struct enclave_opts *o)
{
	if (spod_uri_parse(uri, o->listen_text) < 0) {
		spod_error("bad --listen URI '%s'", o->listen_text);
		return SPOD_E_BAD_ARG;
	}
	if (o->sandbox && uri->kind == SPOD_URI_TCP) {
		spod_error("the sandbox allows vsock and unix listeners only, not %s (tcp needs "
		           "--no-sandbox)",
		           o->listen_text);
		return SPOD_E_BAD_ARG;
	}
	return SPOD_OK;
}

/* Opens the NSM (before the sandbox: the simulator reads its root and measures the image). */
static int open_nsm(struct spod_enclave_state *st, const struct enclave_opts *o)
{
	char dir[256];
	const char *state_dir = o->state_dir;
	int rc;

	if (state_dir == NULL) {
		if (spod_data_dir(dir, sizeof(dir)) < 0) {
			spod_error("data directory path too long");
			return SPOD_E_BAD_ARG;
		}
		state_dir = dir;
	}
	rc = spod_nsm_open_auto(&st->nsm, o->nsm_mode, o->nsm_device, state_dir, o->image,
	                        o->allow_sim);
	if (rc < 0) {
		spod_error("no attestation (--nsm %s): %s", o->nsm_mode, spod_strerror(rc));
		return rc;
	}
	if (spod_nsm_kind(st->nsm) == SPOD_NSM_SIM) {
		st->flags |= SPOD_INFO_NSM_SIM; /* the simulator logs its own loud warning */
	} else {
		st->flags |= SPOD_INFO_NSM_NITRO;
		spod_info("attestation by the Nitro Secure Module at %s", o->nsm_device);
	}
	return SPOD_OK;
}

int main(int argc, char **argv)
{
	struct enclave_opts o = {
	    .capacity = DEFAULT_CAPACITY,
	    .threads = 1,
	    .spin_us = DEFAULT_SPIN_US,
	    .level = SPOD_LOG_INFO,
	    .sandbox = 1,
	    .nsm_mode = "auto",
	    .nsm_device = "/dev/nsm",
	    .image = "/proc/self/exe",
	};
	struct spod_enclave_state st = {0};
	struct spod_enclave_server *srv = NULL;
	struct spod_uri uri;
	int code = parse_args(&o, argc, argv), served = 0, rc;

	if (code >= 0)
		return code;
	spod_log_init("spod-enclave", o.level);
	SPOD_TRACE_OPEN("enclave"); /* before the sandbox: it maps a file */
	if (parse_listen(&uri, &o) < 0)
		return 2;
	code = 1;
	/* Harden before any key exists: no core dumps, no same-user ptrace, no swapping. */
	if (spod_secmem_harden_process() < 0) {
		spod_error("cannot make the process non-dumpable");
		goto out;
	}
	lock_all_memory();
	if (spod_crypto_init(SECURE_HEAP_BYTES) < 0) {
		spod_error("crypto library initialisation failed");
		goto out;
	}
	rc = spod_keystore_new(&st.keys, (uint32_t)o.capacity);
	if (rc < 0) {
		spod_error("cannot allocate a locked keystore for %lu keys: %s", o.capacity,
		           spod_strerror(rc));
		goto out;
	}
	if (open_nsm(&st, &o) < 0)
		goto out;
	st.scratch = spod_secmem_alloc(SPOD_ENVELOPE_PAYLOAD_MAX);
	if (st.scratch == NULL || spod_enclave_seal_init(&st.seal) < 0) {
		spod_error("cannot create the provisioning key");
		goto out;
	}
	/* The evidence key signs every batch of evidence and audit head (docs/evidence.md). */
	rc = spod_enclave_evidence_init(&st.ev);
	if (rc < 0) {
		spod_error("cannot create the evidence key: %s", spod_strerror(rc));
		goto out;
	}
	rc = spod_enclave_server_new(&srv, &st, &uri, (unsigned)o.threads);
	if (rc < 0) {
		spod_error("cannot listen on %s: %s", o.listen_text, spod_strerror(rc));
		goto out;
	}
	spod_enclave_server_spin(srv, (unsigned)o.spin_us);
	spod_info("listening on %s (capacity %lu keys, %lu signing thread%s)", o.listen_text,
	          o.capacity, o.threads, o.threads == 1 ? "" : "s");
	/* Last step of start-up: from here on every file and socket the enclave uses is open. */
	if (!o.sandbox) {
		spod_warn("NO SANDBOX: --no-sandbox given, no seccomp filter; for development and "
		          "debugging only, never in production");
	} else if (spod_enclave_sandbox(uri.kind == SPOD_URI_UNIX,
	                                spod_enclave_server_wake_fd(srv)) < 0) {
		spod_error("cannot start the sandbox; refusing to serve without it");
		goto out;
	}
	served = 1;
	code = spod_enclave_server_run(srv) < 0 ? 1 : 0;
out:
	spod_enclave_server_free(srv);
	spod_keystore_free(st.keys);
	spod_nsm_close(st.nsm);
	spod_enclave_seal_free(&st.seal);
	spod_enclave_evidence_free(&st.ev);
	spod_secmem_free(st.scratch);
	spod_crypto_cleanup();
	if (served)
		spod_info("stopped after %llu requests (%llu errors); all keys wiped",
		          (unsigned long long)st.requests, (unsigned long long)st.errors);
	return code;
}
