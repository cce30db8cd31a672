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
#include "enclave/sandbox.h"
#include "enclave/server.h"

#define DEFAULT_CAPACITY  4096u
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
	fprintf(out,
	        "usage: spod-enclave --listen URI [options]\n"
	        "\n"
	        "Holds signing keys in locked memory and answers spod wire frames.\n"
	        "\n"
	        "  --listen URI       where the host connects: vsock://any:PORT in an enclave,\n"
	        "                     unix:///path/enclave.sock in development (required)\n"
	        "  --capacity N       most keys held at once (default %u)\n"
	        "  --log-level L      debug|info|warn|error (default info)\n"
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
	        "Keys live only in this process's memory: this build has no sealing, so every key\n"
	        "is lost when the process exits (info reports the pod as ephemeral).\n",
	        DEFAULT_CAPACITY);
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

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"listen", required_argument, NULL, 'l'},
	    {"capacity", required_argument, NULL, 'c'},
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
	struct spod_enclave_state st = {0};
	struct spod_enclave_server *srv = NULL;
	enum spod_log_level level = SPOD_LOG_INFO;
	const char *listen_text = NULL;
	unsigned long capacity = DEFAULT_CAPACITY;
	struct spod_uri uri;
	uint8_t *provision_secret = NULL;
	char *end;
	int sandbox = 1, allow_sim = 0;
	const char *nsm_mode = "auto", *nsm_device = "/dev/nsm", *image = "/proc/self/exe";
	const char *state_dir = NULL;
	char dir[256];
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'l':
			listen_text = optarg;
			break;
		case 'c':
			capacity = strtoul(optarg, &end, 10);
			if (*end != '\0' || capacity == 0 || capacity > (1u << 20)) {
				fprintf(stderr, "spod-enclave: --capacity must be 1..1048576\n");
				return 2;
			}
			break;
		case 'v':
			if (spod_log_level_parse(&level, optarg) < 0) {
				fprintf(stderr, "spod-enclave: unknown log level '%s'\n", optarg);
				return 2;
			}
			break;
		case 'S':
			sandbox = 0;
			break;
		case 'N':
			nsm_mode = optarg;
			if (strcmp(optarg, "auto") && strcmp(optarg, "nitro") &&
			    strcmp(optarg, "sim")) {
				fprintf(stderr, "spod-enclave: --nsm must be auto, nitro or sim\n");
				return 2;
			}
			break;
		case 'D':
			nsm_device = optarg;
			break;
		case 'A':
			allow_sim = 1;
			break;
		case 's':
			state_dir = optarg;
			break;
		case 'i':
			image = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (listen_text == NULL || optind != argc) {
		usage(stderr);
		return 2;
	}
	spod_log_init("spod-enclave", level);
	if (spod_uri_parse(&uri, listen_text) < 0) {
		spod_error("bad --listen URI '%s'", listen_text);
		return 2;
	}
	if (sandbox && uri.kind == SPOD_URI_TCP) {
		spod_error("the sandbox allows vsock and unix listeners only, not %s (tcp needs "
		           "--no-sandbox)",
		           listen_text);
		return 2;
	}

	/* Harden before any key exists: no core dumps, no same-user ptrace, no swapping. */
	if (spod_secmem_harden_process() < 0) {
		spod_error("cannot make the process non-dumpable");
		return 1;
	}
	lock_all_memory();
	if (spod_crypto_init(SECURE_HEAP_BYTES) < 0) {
		spod_error("crypto library initialisation failed");
		return 1;
	}
	rc = spod_keystore_new(&st.keys, (uint32_t)capacity);
	if (rc < 0) {
		spod_error("cannot allocate a locked keystore for %lu keys: %s", capacity,
		           spod_strerror(rc));
		return 1;
	}
	st.flags = SPOD_INFO_EPHEMERAL;
	if (state_dir == NULL) {
		if (spod_data_dir(dir, sizeof(dir)) < 0) {
			spod_error("data directory path too long");
			return 1;
		}
		state_dir = dir;
	}
	/* Opened before the sandbox: the simulator reads its root and measures the image. */
	rc = spod_nsm_open_auto(&st.nsm, nsm_mode, nsm_device, state_dir, image, allow_sim);
	if (rc < 0) {
		spod_error("no attestation (--nsm %s): %s", nsm_mode, spod_strerror(rc));
		spod_keystore_free(st.keys);
		return 1;
	}
	if (spod_nsm_kind(st.nsm) == SPOD_NSM_SIM) {
		st.flags |= SPOD_INFO_NSM_SIM; /* the simulator logs its own loud warning */
	} else {
		st.flags |= SPOD_INFO_NSM_NITRO;
		spod_info("attestation by the Nitro Secure Module at %s", nsm_device);
	}
	provision_secret = spod_secmem_alloc(32);
	if (provision_secret == NULL ||
	    spod_x25519_keypair(st.provision_pub, provision_secret) < 0) {
		spod_error("cannot create the provisioning key");
		return 1;
	}

	rc = spod_enclave_server_new(&srv, &st, &uri);
	if (rc < 0) {
		spod_error("cannot listen on %s: %s", listen_text, spod_strerror(rc));
		spod_keystore_free(st.keys);
		return 1;
	}
	spod_warn("EPHEMERAL MODE: keys are held only in memory and are lost when this process "
	          "exits");
	spod_info("listening on %s (capacity %lu keys)", listen_text, capacity);
	/* Last step of start-up: from here on every file and socket the enclave uses is open. */
	if (!sandbox) {
		spod_warn("NO SANDBOX: --no-sandbox given, no seccomp filter; for development and "
		          "debugging only, never in production");
	} else if (spod_enclave_sandbox(uri.kind == SPOD_URI_UNIX) < 0) {
		spod_error("cannot start the sandbox; refusing to serve without it");
		spod_enclave_server_free(srv);
		spod_keystore_free(st.keys);
		spod_nsm_close(st.nsm);
		spod_secmem_free(provision_secret);
		return 1;
	}
	rc = spod_enclave_server_run(srv);
	spod_enclave_server_free(srv);
	spod_keystore_free(st.keys);
	spod_nsm_close(st.nsm);
	spod_secmem_free(provision_secret);
	spod_crypto_cleanup();
	spod_info("stopped after %llu requests (%llu errors); all keys wiped",
	          (unsigned long long)st.requests, (unsigned long long)st.errors);
	return rc < 0 ? 1 : 0;
}
