/* The measured loops: in-process signing, raw unix round trip, and the pod rows. */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "crypto/secmem.h"
#include "crypto/sign.h"

/* Makes every message differ (deterministic ECDSA nonces would otherwise repeat). */
static void put_counter(uint8_t msg[BENCH_MSG_BYTES], uint64_t i)
{
	memcpy(msg, &i, sizeof(i));
}

static int row_fail(struct spod_client *c, const char *what, int rc)
{
	const char *detail = c != NULL ? spod_client_last_error(c) : "";

	fprintf(stderr, "spod-bench: %s: %s%s%s\n", what, spod_strerror(rc),
	        detail[0] != '\0' ? " - " : "", detail);
	return rc;
}

int bench_inproc(struct bench_stats *out, struct bench_samples *s, const struct bench_alg *a,
                 size_t warmup, size_t n)
{
	struct spod_secret_key *sk = spod_secmem_alloc(sizeof(*sk));
	uint8_t pub[SPOD_PUB_MAX_BYTES], sig[SPOD_SIG_MAX_BYTES], msg[BENCH_MSG_BYTES];
	size_t pub_len, sig_len = 0;
	uint8_t recid;
	int rc;

	memset(out, 0, sizeof(*out));
	if (sk == NULL)
		return row_fail(NULL, "in-process: secure allocation", SPOD_E_NOMEM);
	rc = spod_key_generate(sk, pub, &pub_len, a->alg);
	if (rc < 0) {
		spod_secmem_free(sk);
		return row_fail(NULL, "in-process: key generation", rc);
	}
	spod_random(msg, sizeof(msg));
	s->n = 0;
	for (size_t i = 0; i < warmup + n; i++) {
		uint64_t t0, t1;

		put_counter(msg, i);
		t0 = bench_now_ns();
		rc = spod_sign(sig, &sig_len, &recid, sk, a->mode, msg, sizeof(msg));
		t1 = bench_now_ns();
		if (rc < 0)
			break;
		if (i >= warmup)
			s->ns[s->n++] = t1 - t0;
	}
	if (rc == SPOD_OK)
		rc = spod_verify(a->alg, pub, pub_len, a->mode, msg, sizeof(msg), sig, sig_len);
	spod_key_wipe(sk);
	spod_secmem_free(sk);
	if (rc < 0)
		return row_fail(NULL, "in-process: sign/verify", rc);
	bench_stats_compute(out, s);
	return SPOD_OK;
}

/* ---- raw unix-socket round trip between two processes ---- */

static int read_full(int fd, uint8_t *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = read(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int write_full(int fd, const uint8_t *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* read_full after polling up to spin_ns with non-blocking reads (0: block at once). */
static int read_spin(int fd, uint8_t *buf, size_t len, uint64_t spin_ns)
{
	uint64_t until = spin_ns > 0 ? bench_now_ns() + spin_ns : 0;

	while (len > 0 && spin_ns > 0) {
		ssize_t n = recv(fd, buf, len, MSG_DONTWAIT);

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
			return -1;
		if (bench_now_ns() >= until)
			break;
	}
	return read_full(fd, buf, len);
}

static int pin_self(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

/* The echo peer: blocking reads and writes of fixed-size messages until end of stream. */
static void raw_echo_child(int fd, int cpu, uint64_t spin_ns)
{
	uint8_t buf[BENCH_RAW_BYTES];

	if (cpu >= 0 && pin_self(cpu) < 0)
		_exit(2);
	while (read_spin(fd, buf, sizeof(buf), spin_ns) == 0)
		if (write_full(fd, buf, sizeof(buf)) < 0)
			break;
	_exit(0);
}

int bench_raw_rtt(struct bench_stats *out, struct bench_samples *s, size_t warmup, size_t n,
                  int parent_cpu, int child_cpu, const unsigned spin_us[2])
{
	const uint64_t spin_ns = (uint64_t)spin_us[0] * 1000u;
	uint8_t buf[BENCH_RAW_BYTES];
	int sv[2], status, rc = SPOD_OK;
	cpu_set_t saved;
	pid_t pid;

	memset(out, 0, sizeof(*out));
	if (sched_getaffinity(0, sizeof(saved), &saved) < 0 ||
	    (parent_cpu >= 0 && pin_self(parent_cpu) < 0))
		return row_fail(NULL, "raw: cannot pin to the CPU asked for", SPOD_E_BAD_ARG);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		sched_setaffinity(0, sizeof(saved), &saved);
		return row_fail(NULL, "raw: socketpair", SPOD_E_IO);
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		sched_setaffinity(0, sizeof(saved), &saved);
		return row_fail(NULL, "raw: fork", SPOD_E_IO);
	}
	if (pid == 0) {
		close(sv[0]);
		if (child_cpu < 0 && sched_setaffinity(0, sizeof(saved), &saved) < 0)
			_exit(2);
		raw_echo_child(sv[1], child_cpu, (uint64_t)spin_us[1] * 1000u);
	}
	close(sv[1]);
	memset(buf, 0x5a, sizeof(buf));
	s->n = 0;
	for (size_t i = 0; i < warmup + n; i++) {
		uint64_t t0 = bench_now_ns(), t1;

		if (write_full(sv[0], buf, sizeof(buf)) < 0 ||
		    read_spin(sv[0], buf, sizeof(buf), spin_ns) < 0) {
			rc = SPOD_E_IO;
			break;
		}
		t1 = bench_now_ns();
		if (i >= warmup)
			s->ns[s->n++] = t1 - t0;
	}
	close(sv[0]); /* end of stream: the child exits */
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	sched_setaffinity(0, sizeof(saved), &saved);
	if (rc < 0)
		return row_fail(NULL, "raw: echo child stopped answering", rc);
	bench_stats_compute(out, s);
	return SPOD_OK;
}

/* ---- through the pod ---- */

int bench_pod_echo(struct bench_stats *out, struct bench_samples *s, struct spod_client *c,
                   size_t warmup, size_t n)
{
	uint8_t body[BENCH_ECHO_BYTES];
	int rc;

	memset(out, 0, sizeof(*out));
	spod_random(body, sizeof(body));
	s->n = 0;
	for (size_t i = 0; i < warmup + n; i++) {
		uint64_t t0 = bench_now_ns(), t1;

		rc = spod_client_echo(c, body, sizeof(body));
		t1 = bench_now_ns();
		if (rc < 0)
			return row_fail(c, "echo", rc);
		if (i >= warmup)
			s->ns[s->n++] = t1 - t0;
	}
	bench_stats_compute(out, s);
	return SPOD_OK;
}

int bench_pod_sync(struct bench_stats *out, struct bench_samples *s, struct spod_client *c,
                   const struct bench_alg *a, const struct spod_key_info *key, size_t warmup,
                   size_t n)
{
	struct spod_signature sig = {0};
	uint8_t msg[BENCH_MSG_BYTES];
	int rc;

	memset(out, 0, sizeof(*out));
	spod_random(msg, sizeof(msg));
	s->n = 0;
	for (size_t i = 0; i < warmup + n; i++) {
		uint64_t t0, t1;

		put_counter(msg, i);
		t0 = bench_now_ns();
		rc = spod_client_sign(c, &sig, key->id, a->mode, msg, sizeof(msg));
		t1 = bench_now_ns();
		if (rc < 0)
			return row_fail(c, "sign", rc);
		if (i >= warmup)
			s->ns[s->n++] = t1 - t0;
	}
	/* The pod really signed: the last signature verifies under the key's public part. */
	rc = spod_verify(a->alg, key->pub, key->pub_len, a->mode, msg, sizeof(msg), sig.sig,
	                 sig.sig_len);
	if (rc < 0)
		return row_fail(NULL, "verifying the pod's signature", rc);
	bench_stats_compute(out, s);
	return SPOD_OK;
}

struct pipe_ctx {
	uint64_t first_rid;
	uint64_t *t_submit; /* by rid - first_rid */
	size_t count;
	size_t done;
	struct bench_samples *s; /* NULL while warming up */
	int first_err;
};

static void on_signed(void *arg, uint64_t rid, int status, const struct spod_signature *sig)
{
	struct pipe_ctx *p = arg;
	uint64_t k = rid - p->first_rid;

	(void)sig;
	p->done++;
	if (status != SPOD_OK) {
		if (p->first_err == 0)
			p->first_err = status;
		return;
	}
	if (p->s != NULL && k < p->count && p->s->n < p->s->cap)
		p->s->ns[p->s->n++] = bench_now_ns() - p->t_submit[k];
}

/*
 * Submits until depth requests are outstanding, polls, refills; returns when p->count
 * responses have arrived. Fails when no response arrives for timeout_ms.
 */
static int pipe_run(struct spod_client *c, struct pipe_ctx *p, const struct bench_alg *a,
                    const struct spod_key_info *key, size_t depth, int timeout_ms)
{
	uint8_t msg[BENCH_MSG_BYTES];
	uint64_t last_progress = bench_now_ns();
	size_t submitted = 0;
	int rc;

	spod_random(msg, sizeof(msg));
	p->done = 0;
	p->first_err = 0;
	while (p->done < p->count) {
		size_t completed;

		while (submitted < p->count && spod_client_in_flight(c) < depth) {
			uint64_t rid, t = bench_now_ns();

			put_counter(msg, submitted);
			rc = spod_client_submit_sign(c, &rid, key->id, a->mode, msg, sizeof(msg));
			if (rc == SPOD_E_BUSY)
				break;
			if (rc < 0)
				return row_fail(c, "pipelined submit", rc);
			if (submitted == 0)
				p->first_rid = rid;
			if (rid - p->first_rid != submitted)
				return row_fail(c, "pipelined submit: request ids not sequential",
				                SPOD_E_INTERNAL);
			p->t_submit[submitted++] = t;
		}
		rc = spod_client_poll(c, timeout_ms, on_signed, p, &completed);
		if (rc < 0)
			return row_fail(c, "pipelined poll", rc);
		if (p->first_err != 0)
			return row_fail(c, "pipelined sign", p->first_err);
		if (completed > 0)
			last_progress = bench_now_ns();
		else if (bench_now_ns() - last_progress > (uint64_t)timeout_ms * 1000000u)
			return row_fail(c, "pipelined: no response", SPOD_E_TIMEOUT);
	}
	return SPOD_OK;
}

int bench_pod_pipelined(double *sps, double *seconds, struct bench_stats *lat,
                        struct bench_samples *s, struct spod_client *c, const struct bench_alg *a,
                        const struct spod_key_info *key, size_t depth, size_t warmup, size_t n,
                        int timeout_ms)
{
	struct pipe_ctx p = {0};
	uint64_t t0, t1;
	int rc;

	*sps = 0;
	*seconds = 0;
	memset(lat, 0, sizeof(*lat));
	p.t_submit = calloc(warmup > n ? warmup : n, sizeof(*p.t_submit));
	if (p.t_submit == NULL)
		return row_fail(NULL, "pipelined", SPOD_E_NOMEM);
	p.count = warmup;
	rc = warmup > 0 ? pipe_run(c, &p, a, key, depth, timeout_ms) : SPOD_OK;
	if (rc == SPOD_OK) {
		p.count = n;
		p.s = s;
		s->n = 0;
		t0 = bench_now_ns();
		rc = pipe_run(c, &p, a, key, depth, timeout_ms);
		t1 = bench_now_ns();
		if (rc == SPOD_OK) {
			*seconds = (double)(t1 - t0) / 1e9;
			*sps = (double)n / *seconds;
			bench_stats_compute(lat, s);
		}
	}
	free(p.t_submit);
	return rc;
}
