/*
 * spod-enclave's seccomp allow-list (see sandbox.h). The list was taken from strace runs of
 * the whole integration suite, in the normal and the ASan build, counting only calls made
 * after the server was set up; docs/threat-model.md has the same table with the reason for
 * every entry. Change both together.
 */
#include "enclave/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <linux/futex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <seccomp.h>

#include "common/log.h"
#include "crypto/secmem.h"
#include "crypto/sign.h"
#include "enclave/handlers.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(leak_sanitizer)
#define SANDBOX_LSAN 1
#endif
#endif
#ifndef SANDBOX_LSAN
#define SANDBOX_LSAN 0
#endif

/* The Nitro Secure Module driver's one ioctl, _IOWR(0x0A, 0, 32-byte struct) (src/nsm/nitro.c). */
#define SANDBOX_NSM_IOCTL_RAW 0xc0200a00u
/* int arguments arrive in 64-bit registers whose upper half the kernel ignores. */
#define SANDBOX_INT_MASK 0xffffffffull

#if SANDBOX_LSAN
#include <sanitizer/lsan_interface.h>

static int sandbox_loaded;

/*
 * LeakSanitizer asks this at exit. Its leak check stops the world with a cloned tracer that
 * ptraces the process and reads /proc, all of which the filter kills, so once the filter is
 * loaded the check is skipped; tests/integration/sandbox.sh runs a pod with --no-sandbox to
 * keep the enclave's request path under the leak checker.
 */
int __lsan_is_turned_off(void)
{
	return sandbox_loaded;
}
#endif

/* System calls allowed with any arguments. */
static const int sandbox_plain[] = {
    /* the event loop: transport/loop.c, transport/conn.c, enclave/server.c (signalfd) */
    SCMP_SYS(epoll_ctl),
#ifdef __NR_epoll_wait
    SCMP_SYS(epoll_wait),
#else
    SCMP_SYS(epoll_pwait),
#endif
    SCMP_SYS(accept4),
    SCMP_SYS(read),
    SCMP_SYS(close),
    /* memory: malloc, libsodium's guarded allocations, the sanitizer allocators */
    SCMP_SYS(brk),
    SCMP_SYS(munmap),
    SCMP_SYS(mremap),
    SCMP_SYS(mlock),
    SCMP_SYS(munlock),
    /* randomness: libsodium and OpenSSL's DRBG; OpenSSL checks for fork with getpid */
    SCMP_SYS(getrandom),
    SCMP_SYS(getpid),
    /* clocks: answered by the vDSO unless the clock source forces a real system call */
    SCMP_SYS(clock_gettime),
    SCMP_SYS(gettimeofday),
#ifdef __NR_time
    SCMP_SYS(time),
#endif
    /* ending */
    SCMP_SYS(exit_group),
    SCMP_SYS(exit),
    SCMP_SYS(restart_syscall),
};

static int sandbox_allow(scmp_filter_ctx ctx, int nr, unsigned int argc,
                         const struct scmp_arg_cmp *argv)
{
	int r = seccomp_rule_add_exact_array(ctx, SCMP_ACT_ALLOW, nr, argc, argv);
	char *name;

	if (r < 0) {
		name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
		spod_error("sandbox: cannot add the rule for %s: %s", name ? name : "a system call",
		           strerror(-r));
		free(name);
		return SPOD_E_IO;
	}
	return SPOD_OK;
}

static struct scmp_arg_cmp arg_eq(unsigned int arg, uint64_t value)
{
	return (struct scmp_arg_cmp){.arg = arg, .op = SCMP_CMP_EQ, .datum_a = value};
}

/* (argument & mask) == value */
static struct scmp_arg_cmp arg_masked(unsigned int arg, uint64_t mask, uint64_t value)
{
	return (struct scmp_arg_cmp){
	    .arg = arg, .op = SCMP_CMP_MASKED_EQ, .datum_a = mask, .datum_b = value};
}

/* socket(family, SOCK_STREAM with any of NONBLOCK/CLOEXEC, 0) */
static int sandbox_allow_socket(scmp_filter_ctx ctx, int family)
{
	const struct scmp_arg_cmp args[] = {
	    arg_eq(0, (uint64_t)family),
	    arg_masked(1, SANDBOX_INT_MASK & ~(uint64_t)(SOCK_NONBLOCK | SOCK_CLOEXEC),
	               SOCK_STREAM),
	    arg_eq(2, 0),
	};

	return sandbox_allow(ctx, SCMP_SYS(socket), 3, args);
}

static int sandbox_rules(scmp_filter_ctx ctx, int allow_unix, int wake_fd)
{
	static const int futex_ops[] = {FUTEX_WAIT, FUTEX_WAKE, FUTEX_WAIT_BITSET,
	                                FUTEX_WAKE_BITSET};
	static const int advice[] = {MADV_DONTNEED, MADV_DONTDUMP, MADV_DODUMP, MADV_NOHUGEPAGE};
	const uint64_t futex_op_mask =
	    SANDBOX_INT_MASK & ~(uint64_t)(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
	struct scmp_arg_cmp a;

	for (size_t i = 0; i < sizeof(sandbox_plain) / sizeof(sandbox_plain[0]); i++)
		SPOD_TRY(sandbox_allow(ctx, sandbox_plain[i], 0, NULL));

	/* Log lines go to stderr; responses go out with send (sendto without an address). */
	a = arg_eq(0, STDERR_FILENO);
	SPOD_TRY(sandbox_allow(ctx, SCMP_SYS(write), 1, &a));
	/* --threads > 1: a worker wakes the event loop through its eventfd (enclave/workers.c). */
	if (wake_fd >= 0) {
		a = arg_eq(0, (uint64_t)wake_fd);
		SPOD_TRY(sandbox_allow(ctx, SCMP_SYS(write), 1, &a));
		/* A worker that returns blocks signals in glibc before its thread exits (at stop).
		 */
		a = arg_eq(0, SIG_BLOCK);
		SPOD_TRY(sandbox_allow(ctx, SCMP_SYS(rt_sigprocmask), 1, &a));
#if SANDBOX_LSAN
		/* Sanitizer builds only: AddressSanitizer takes down a thread's signal stack. */
		SPOD_TRY(sandbox_allow(ctx, SCMP_SYS(sigaltstack), 0, NULL));
#endif
	}
	a = arg_eq(4, 0);
	SPOD_TRY(sandbox_allow(ctx, SCMP_SYS(sendto), 1, &a));

	/* Memory may be mapped and re-protected, never made executable. */
	a = arg_masked(2, PROT_EXEC, 0);
	SPOD_TRY(sandbox_allow(ctx, SCMP_SYS(mmap), 1, &a));
	SPOD_TRY(sandbox_allow(ctx, SCMP_SYS(mprotect), 1, &a));
	for (size_t i = 0; i < sizeof(advice) / sizeof(advice[0]); i++) {
		a = arg_eq(2, (uint64_t)advice[i]);
		SPOD_TRY(sandbox_allow(ctx, SCMP_SYS(madvise), 1, &a));
	}

	/* pthread locks and once-only initialisation inside OpenSSL and glibc. */
	for (size_t i = 0; i < sizeof(futex_ops) / sizeof(futex_ops[0]); i++) {
		a = arg_masked(1, futex_op_mask, (uint64_t)futex_ops[i]);
		SPOD_TRY(sandbox_allow(ctx, SCMP_SYS(futex), 1, &a));
	}

	/* The nitro attestation backend talks to /dev/nsm, opened before the filter. */
	a = arg_masked(1, SANDBOX_INT_MASK, SANDBOX_NSM_IOCTL_RAW);
	SPOD_TRY(sandbox_allow(ctx, SCMP_SYS(ioctl), 1, &a));

	SPOD_TRY(sandbox_allow_socket(ctx, AF_VSOCK));
	if (allow_unix)
		SPOD_TRY(sandbox_allow_socket(ctx, AF_UNIX));
	return SPOD_OK;
}

/*
 * Runs the libraries' one-time initialisation that would otherwise happen on the first
 * request, after the filter: OpenSSL loads its configuration file on the first P-256 key,
 * its DRBG is instantiated on the first signature, glibc reads /etc/localtime on the first
 * gmtime_r (the first log line at the chosen level may come late).
 */
int spod_enclave_sandbox_prime(void)
{
	static const uint8_t algs[] = {SPOD_ALG_ED25519, SPOD_ALG_SECP256K1, SPOD_ALG_P256};
	static const uint8_t digest[SPOD_DIGEST_BYTES];
	uint8_t pub[SPOD_PUB_MAX_BYTES], sig[SPOD_SIG_MAX_BYTES], recid;
	size_t pub_len, sig_len;
	struct spod_secret_key *sk;
	const time_t epoch = 0;
	struct tm tm;
	int rc = SPOD_OK;

	if (gmtime_r(&epoch, &tm) == NULL)
		return SPOD_E_INTERNAL;
	sk = spod_secmem_alloc(sizeof(*sk));
	if (sk == NULL)
		return SPOD_E_NOMEM;
	for (size_t i = 0; i < sizeof(algs) && rc == SPOD_OK; i++) {
		uint8_t mode = algs[i] == SPOD_ALG_ED25519 ? SPOD_MODE_RAW : SPOD_MODE_DIGEST;

		rc = spod_key_generate(sk, pub, &pub_len, algs[i]);
		if (rc == SPOD_OK)
			rc = spod_sign(sig, &sig_len, &recid, sk, mode, digest, sizeof(digest));
		spod_key_wipe(sk);
	}
	spod_secmem_free(sk);
	return rc;
}

static int sandbox_attr(scmp_filter_ctx ctx, enum scmp_filter_attr attr, uint32_t value,
                        const char *what)
{
	int r = seccomp_attr_set(ctx, attr, value);

	if (r < 0) {
		spod_error("sandbox: cannot %s: %s", what, strerror(-r));
		return SPOD_E_IO;
	}
	return SPOD_OK;
}

int spod_enclave_sandbox(int allow_unix, int wake_fd)
{
	scmp_filter_ctx ctx;
	int rc, r;

	rc = spod_enclave_sandbox_prime();
	if (rc < 0) {
		spod_error("sandbox: crypto start-up before the filter failed: %s",
		           spod_strerror(rc));
		return SPOD_E_IO;
	}
	ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (ctx == NULL) {
		spod_error("sandbox: libseccomp cannot create a filter");
		return SPOD_E_IO;
	}
	/* 32-bit (int 0x80, x32) system calls on a 64-bit kernel are other numbers: kill too. */
	SPOD_GUARD(rc, sandbox_attr(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS,
	                            "kill foreign-architecture system calls"));
	SPOD_GUARD(rc, sandbox_attr(ctx, SCMP_FLTATR_CTL_NNP, 1, "set no_new_privs"));
	SPOD_GUARD(rc, sandbox_attr(ctx, SCMP_FLTATR_CTL_TSYNC, 1, "cover every thread"));
	SPOD_GUARD(rc, sandbox_rules(ctx, allow_unix, wake_fd));
	r = seccomp_load(ctx);
	if (r < 0) {
		spod_error("sandbox: the kernel refused the seccomp filter: %s", strerror(-r));
		rc = SPOD_E_IO;
		goto out;
	}
#if SANDBOX_LSAN
	sandbox_loaded = 1;
	spod_info("sanitizer build: LeakSanitizer's exit check is off under the sandbox "
	          "(run with --no-sandbox to check for leaks)");
#endif
	spod_info("sandbox on: seccomp allow-list loaded (sockets: vsock%s); any other system "
	          "call kills the process with SIGSYS",
	          allow_unix ? ", unix" : "");
	rc = SPOD_OK;
out:
	seccomp_release(ctx);
	return rc;
}

#ifdef SPOD_TEST_OPS
size_t spod_enclave_debug_op(const struct spod_frame *f, uint8_t *out, size_t cap)
{
	static const char *const names[] = {"openat", "socket", "execve"};
	/* Page 0 is never mapped, so the kernel cannot read an argv there (EFAULT). */
	char *const *unreadable_argv = (char *const *)(uintptr_t)1;
	char what[64];
	uint8_t sel;
	long r;

	if (f->body_len != 1)
		return spod_enclave_error(out, cap, f->hdr.opcode, f->hdr.request_id,
		                          SPOD_E_BAD_LENGTH, "debug.forbidden");
	sel = f->body[0];
	/* Raw system calls, so that exactly the call named is the one the filter sees. */
	switch (sel) {
	case 0:
		r = syscall(SYS_openat, AT_FDCWD, "/etc/hostname", O_RDONLY | O_CLOEXEC);
		break;
	case 1:
		r = syscall(SYS_socket, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		break;
	case 2:
		r = syscall(SYS_execve, "/bin/true", unreadable_argv, NULL);
		break;
	default:
		return spod_enclave_error(out, cap, f->hdr.opcode, f->hdr.request_id,
		                          SPOD_E_BAD_FIELD, "debug.forbidden");
	}
	if (r >= 0)
		close((int)r);
	spod_warn("debug.forbidden: the sandbox did not stop %s (it returned %ld)", names[sel], r);
	snprintf(what, sizeof(what), "debug.forbidden: the sandbox did not stop %s", names[sel]);
	return spod_enclave_error(out, cap, f->hdr.opcode, f->hdr.request_id, SPOD_E_INTERNAL,
	                          what);
}
#endif
