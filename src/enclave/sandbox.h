/*
 * The system-call sandbox of spod-enclave. Once started, the enclave only serves frames on
 * sockets it already holds, so it installs a seccomp allow-list (libseccomp) whose default
 * action kills the whole process with SIGSYS. docs/threat-model.md lists every allowed
 * call, its argument limits, and why it is there.
 */
#ifndef SPOD_ENCLAVE_SANDBOX_H
#define SPOD_ENCLAVE_SANDBOX_H

#include <stddef.h>
#include <stdint.h>

#include "spod/wire.h"

/*
 * Confines the calling process for the rest of its life. First it finishes the libraries'
 * lazy start-up while files may still be opened: one key generation and signature per
 * algorithm on a throw-away key (OpenSSL reads openssl.cnf on first use) and one gmtime_r
 * (glibc reads /etc/localtime on first use, which the first log line may come after).
 * Then it sets no_new_privs and loads the filter, on every thread of the process (TSYNC).
 * Call it once, after every file, listening socket and worker thread (enclave/workers.h)
 * the enclave needs exists: no thread can be made afterwards (clone is not allowed).
 *
 * socket() stays allowed for AF_VSOCK stream sockets, and for AF_UNIX ones when
 * allow_unix is non-zero (development listeners); write() to stderr, and to wake_fd when it
 * is >= 0 (the workers' eventfd); open/openat, exec, fork, clone, ptrace and every call not
 * on the list end the process.
 *
 * Sanitizer builds: LeakSanitizer's exit-time check needs ptrace, a cloned tracer and
 * /proc, which the filter forbids, so it is switched off once the filter is in place
 * (docs/threat-model.md, "Sanitizer builds"). The allow-list itself is the same.
 *
 * Returns SPOD_OK, or SPOD_E_IO with the reason logged; on failure no filter is loaded.
 */
int spod_enclave_sandbox(int allow_unix, int wake_fd) __attribute__((warn_unused_result));

/*
 * The libraries' lazy start-up described above, on the calling thread: OpenSSL sets up a
 * thread's random generators on its first signature. Worker threads run it before the
 * filter. Returns SPOD_OK or the crypto error.
 */
int spod_enclave_sandbox_prime(void) __attribute__((warn_unused_result));

#ifdef SPOD_TEST_OPS
/* Test-only opcode, answered only by builds with SPOD_TEST_OPS (never in production). */
#define SPOD_OP_DEBUG_FORBIDDEN 0x7f

/*
 * debug.forbidden: attempts the forbidden system call chosen by the one-byte body
 * (0 openat of /etc/hostname, 1 socket(AF_INET, SOCK_STREAM), 2 execve of /bin/true with
 * an argv the kernel cannot read, so that without a filter it fails with EFAULT rather
 * than replacing the process). Under the sandbox the process dies with SIGSYS and never
 * returns; otherwise this writes an INTERNAL error response saying the sandbox did not stop
 * the call (or BAD_LENGTH / BAD_FIELD for a malformed body) and returns its length.
 * cap >= SPOD_ENCLAVE_RESP_MAX.
 */
size_t spod_enclave_debug_op(const struct spod_frame *f, uint8_t *out, size_t cap)
    __attribute__((nonnull));
#endif

#endif
