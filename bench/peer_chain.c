/*
 * The naive two-hop chain: this process (the app) -> a relay process -> a signer process, over
 * unix socket pairs with blocking reads and writes, one request at a time. Frames are a 4-byte
 * length (host order, same machine) and a body, read as header then body, the way a first
 * design would do it. The signer signs with spod_sign, as (a) does; the relay only forwards.
 * When the pod is pinned (--layout C,H,E) the relay runs on H and the signer on E.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "crypto/secmem.h"
#include "crypto/sign.h"

#define REQ_BYTES ((int)(1 + BENCH_MSG_BYTES))        /* algorithm index, message */
#define RSP_BYTES ((int)(1 + SPOD_SIG_MAX_BYTES + 1)) /* status, signature, its length */
#define PUB_BYTES ((int)(BENCH_ALGS * (1 + SPOD_PUB_MAX_BYTES)))
#define FRAME_MAX (4 + PUB_BYTES)

static int io_full(int fd, uint8_t *buf, size_t len, int wr)
{
	while (len > 0) {
		ssize_t n = wr ? write(fd, buf, len) : read(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads one frame into buf (4-byte length, then the body); returns the body length or -1. */
static ssize_t frame_read(int fd, uint8_t buf[FRAME_MAX])
{
	uint32_t len;

	if (io_full(fd, buf, 4, 0) < 0)
		return -1;
	memcpy(&len, buf, 4);
	if (len > (uint32_t)(FRAME_MAX - 4) || io_full(fd, buf + 4, len, 0) < 0)
		return -1;
	return (ssize_t)len;
}

/* Writes the body already at buf + 4 with its length in front, in one write. */
static int frame_write(int fd, uint8_t buf[FRAME_MAX], uint32_t len)
{
	memcpy(buf, &len, 4);
	return io_full(fd, buf, 4 + (size_t)len, 1);
}

static void pin_to(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		_exit(2);
}

/* The signer: makes one key per algorithm, sends the public keys, then signs until EOF. */
static void signer(int fd, const struct bench_run *r, int cpu)
{
	struct spod_secret_key *sk[BENCH_ALGS] = {0};
	uint8_t buf[FRAME_MAX], *p = buf + 4;
	uint8_t pub[SPOD_PUB_MAX_BYTES];
	size_t pub_len = 0;
	int rc = 0;

	pin_to(cpu);
	memset(buf, 0, sizeof(buf));
	for (int i = 0; i < BENCH_ALGS; i++) {
		sk[i] = spod_secmem_alloc(sizeof(*sk[i]));
		if (sk[i] == NULL ||
		    spod_key_generate(sk[i], pub, &pub_len, r->alg[i].alg->alg) != SPOD_OK)
			_exit(3);
		p[i * (1 + SPOD_PUB_MAX_BYTES)] = (uint8_t)pub_len;
		memcpy(p + i * (1 + SPOD_PUB_MAX_BYTES) + 1, pub, pub_len);
	}
	if (frame_write(fd, buf, PUB_BYTES) < 0)
		_exit(4);
	for (;;) {
		ssize_t n = frame_read(fd, buf);
		size_t sig_len = 0;
		uint8_t recid, a;

		if (n < 0)
			break;
		a = p[0];
		if (n != REQ_BYTES || a >= BENCH_ALGS) {
			rc = 5;
			break;
		}
		/* The answer overwrites the request in place: sign from a copy of the message. */
		uint8_t msg[BENCH_MSG_BYTES];

		memcpy(msg, p + 1, sizeof(msg));
		p[0] = spod_sign(p + 1, &sig_len, &recid, sk[a], r->alg[a].alg->mode, msg,
		                 sizeof(msg)) == SPOD_OK
		           ? 0
		           : 1;
		p[1 + SPOD_SIG_MAX_BYTES] = (uint8_t)sig_len;
		if (frame_write(fd, buf, RSP_BYTES) < 0)
			break;
	}
	for (int i = 0; i < BENCH_ALGS; i++) {
		spod_key_wipe(sk[i]);
		spod_secmem_free(sk[i]);
	}
	_exit(rc);
}

/* The relay: app frame in, the same frame to the signer, its answer back, until EOF. */
static void relay(int app, int sig, int cpu)
{
	uint8_t buf[FRAME_MAX];

	pin_to(cpu);
	for (;;) {
		ssize_t n = frame_read(app, buf);

		if (n < 0 || frame_write(sig, buf, (uint32_t)n) < 0)
			break;
		n = frame_read(sig, buf);
		if (n < 0 || frame_write(app, buf, (uint32_t)n) < 0)
			break;
	}
	_exit(0);
}

static void reap(pid_t pid)
{
	int status;

	if (pid <= 0)
		return;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
}

/* One algorithm's row over the running chain; 0 or a negative SPOD_E_* code. */
static int chain_row(struct bench_stats *out, struct bench_samples *s, int fd, int i,
                     const struct bench_run *r, const uint8_t *pubs)
{
	const struct bench_alg *a = r->alg[i].alg;
	uint8_t buf[FRAME_MAX], *p = buf + 4, msg[BENCH_MSG_BYTES];

	spod_random(msg, sizeof(msg));
	s->n = 0;
	for (size_t k = 0; k < r->cfg.warmup + r->cfg.n; k++) {
		uint64_t t0, t1;

		memcpy(msg, &k, sizeof(k));
		p[0] = (uint8_t)i;
		memcpy(p + 1, msg, sizeof(msg));
		t0 = bench_now_ns();
		if (frame_write(fd, buf, REQ_BYTES) < 0 || frame_read(fd, buf) != RSP_BYTES)
			return SPOD_E_IO;
		t1 = bench_now_ns();
		if (p[0] != 0)
			return SPOD_E_CRYPTO;
		if (k >= r->cfg.warmup)
			s->ns[s->n++] = t1 - t0;
	}
	/* The chain really signed: the last signature verifies under the signer's key. */
	if (spod_verify(a->alg, pubs + i * (1 + SPOD_PUB_MAX_BYTES) + 1,
	                pubs[i * (1 + SPOD_PUB_MAX_BYTES)], a->mode, msg, sizeof(msg), p + 1,
	                p[1 + SPOD_SIG_MAX_BYTES]) != SPOD_OK)
		return SPOD_E_BAD_SIGNATURE;
	bench_stats_compute(out, s);
	return SPOD_OK;
}

void bench_chain_rows(struct bench_run *r, struct bench_samples *s)
{
	int cpu_relay = r->cfg.pinned ? r->cfg.layout[1] : -1;
	int cpu_signer = r->cfg.pinned ? r->cfg.layout[2] : -1;
	uint8_t pubs[FRAME_MAX];
	int app[2] = {-1, -1}, hop[2] = {-1, -1};
	pid_t relay_pid = -1, signer_pid = -1;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, app) < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, hop) < 0) {
		fprintf(stderr, "spod-bench: chain: socketpair: %s\n", strerror(errno));
		goto fail;
	}
	fflush(NULL);
	signer_pid = fork();
	if (signer_pid == 0) {
		close(app[0]);
		close(app[1]);
		close(hop[0]);
		signer(hop[1], r, cpu_signer);
	}
	close(hop[1]);
	hop[1] = -1;
	/* The signer's public keys come straight to this process, before the relay starts. */
	if (signer_pid < 0 || frame_read(hop[0], pubs) != PUB_BYTES) {
		fprintf(stderr, "spod-bench: chain: the signer did not start\n");
		goto fail;
	}
	relay_pid = fork();
	if (relay_pid == 0) {
		close(app[0]);
		relay(app[1], hop[0], cpu_relay);
	}
	close(app[1]);
	app[1] = -1;
	close(hop[0]);
	hop[0] = -1;
	if (relay_pid < 0) {
		fprintf(stderr, "spod-bench: chain: fork: %s\n", strerror(errno));
		goto fail;
	}
	for (int i = 0; i < BENCH_ALGS; i++) {
		struct bench_peer_result *x = &r->peer[BENCH_PEER_CHAIN][i];
		int rc;

		fprintf(stderr, "spod-bench: peer 2-hop chain %s\n", r->alg[i].alg->name);
		rc = chain_row(&x->lat, s, app[0], i, r, pubs + 4);
		x->have = rc == SPOD_OK;
		if (rc < 0) {
			fprintf(stderr, "spod-bench: chain %s: %s\n", r->alg[i].alg->name,
			        spod_strerror(rc));
			r->errors++;
			break;
		}
	}
	close(app[0]); /* end of stream: relay, then signer, exit */
	reap(relay_pid);
	reap(signer_pid);
	return;
fail:
	r->errors++;
	for (int k = 0; k < 2; k++) {
		if (app[k] >= 0)
			close(app[k]);
		if (hop[k] >= 0)
			close(hop[k]);
	}
	if (relay_pid > 0)
		kill(relay_pid, SIGKILL);
	if (signer_pid > 0)
		kill(signer_pid, SIGKILL);
	reap(relay_pid);
	reap(signer_pid);
}
