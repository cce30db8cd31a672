/*
 * ssh-agent as a peer: a private OpenSSH agent (bench/run.sh starts it with `ssh-agent -D -a`
 * and adds an Ed25519 and an ECDSA P-256 key made by ssh-keygen) asked to sign the same 32
 * bytes as (b), one SSH2_AGENTC_SIGN_REQUEST at a time over its unix socket
 * (draft-miller-ssh-agent), blocking. The agent signs Ed25519 over the bytes and ECDSA over
 * their SHA-256, as OpenSSH does; the last signature of each row is verified.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "bench.h"
#include "crypto/hash.h"
#include "crypto/sign.h"

#define AGENT_FAILURE       5
#define AGENTC_REQUEST_IDS  11
#define AGENT_IDS_ANSWER    12
#define AGENTC_SIGN_REQUEST 13
#define AGENT_SIGN_RESPONSE 14
#define AGENT_MSG_MAX       8192u

/* A reader over an SSH wire buffer: uint32 big-endian lengths and strings. */
struct rd {
	const uint8_t *p;
	size_t left;
};

static int get_u32(struct rd *r, uint32_t *v)
{
	if (r->left < 4)
		return -1;
	*v = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 | (uint32_t)r->p[2] << 8 | r->p[3];
	r->p += 4;
	r->left -= 4;
	return 0;
}

static int get_str(struct rd *r, const uint8_t **s, size_t *len)
{
	uint32_t n;

	if (get_u32(r, &n) < 0 || n > r->left)
		return -1;
	*s = r->p;
	*len = n;
	r->p += n;
	r->left -= n;
	return 0;
}

static int str_is(const uint8_t *s, size_t len, const char *want)
{
	return len == strlen(want) && memcmp(s, want, len) == 0;
}

static void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

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

/* Sends req (its length prefix included) and reads one answer into buf; its body length or -1. */
static ssize_t agent_call(int fd, uint8_t *req, size_t req_len, uint8_t *buf, size_t cap)
{
	uint8_t hdr[4];
	uint32_t len;
	struct rd r = {hdr, 4};

	if (io_full(fd, req, req_len, 1) < 0 || io_full(fd, hdr, 4, 0) < 0)
		return -1;
	(void)get_u32(&r, &len);
	if (len == 0 || len > cap || io_full(fd, buf, len, 0) < 0)
		return -1;
	return (ssize_t)len;
}

/* The agent's key for alg: its blob and public key (Ed25519 32 bytes, P-256 uncompressed). */
struct agent_key {
	int have;
	uint8_t blob[512];
	size_t blob_len;
	uint8_t pub[SPOD_PUB_MAX_BYTES];
	size_t pub_len;
};

static void parse_blob(struct agent_key keys[BENCH_ALGS], const struct bench_run *run,
                       const uint8_t *blob, size_t blob_len)
{
	struct rd r = {blob, blob_len};
	const uint8_t *type, *a, *b = NULL;
	size_t type_len, a_len, b_len = 0;
	uint8_t alg;

	if (blob_len > sizeof(keys[0].blob) || get_str(&r, &type, &type_len) < 0 ||
	    get_str(&r, &a, &a_len) < 0)
		return;
	if (str_is(type, type_len, "ssh-ed25519") && a_len == 32) {
		alg = SPOD_ALG_ED25519;
		b = a;
		b_len = a_len;
	} else if (str_is(type, type_len, "ecdsa-sha2-nistp256") && str_is(a, a_len, "nistp256") &&
	           get_str(&r, &b, &b_len) == 0 && b_len == 65) {
		alg = SPOD_ALG_P256;
	} else {
		return;
	}
	for (int i = 0; i < BENCH_ALGS; i++) {
		struct agent_key *k = &keys[i];

		if (run->alg[i].alg->alg != alg || k->have)
			continue;
		memcpy(k->blob, blob, blob_len);
		k->blob_len = blob_len;
		memcpy(k->pub, b, b_len);
		k->pub_len = b_len;
		k->have = 1;
	}
}

static int list_keys(int fd, struct agent_key keys[BENCH_ALGS], const struct bench_run *run)
{
	static uint8_t buf[AGENT_MSG_MAX];
	uint8_t req[5] = {0, 0, 0, 1, AGENTC_REQUEST_IDS};
	ssize_t n = agent_call(fd, req, sizeof(req), buf, sizeof(buf));
	struct rd r = {buf + 1, n > 0 ? (size_t)n - 1 : 0};
	uint32_t count;

	if (n < 1 || buf[0] != AGENT_IDS_ANSWER || get_u32(&r, &count) < 0)
		return -1;
	while (count-- > 0) {
		const uint8_t *blob, *comment;
		size_t blob_len, comment_len;

		if (get_str(&r, &blob, &blob_len) < 0 || get_str(&r, &comment, &comment_len) < 0)
			return -1;
		parse_blob(keys, run, blob, blob_len);
	}
	return 0;
}

/* An SSH mpint of at most 33 bytes into 32 big-endian bytes. */
static int mpint32(uint8_t out[32], const uint8_t *p, size_t len)
{
	while (len > 0 && p[0] == 0) {
		p++;
		len--;
	}
	if (len > 32)
		return -1;
	memset(out, 0, 32);
	memcpy(out + 32 - len, p, len);
	return 0;
}

/* Checks the agent's signature blob over msg under k. */
static int check_sig(const struct agent_key *k, uint8_t alg, const uint8_t *sig_blob,
                     size_t sig_len, const uint8_t msg[BENCH_MSG_BYTES])
{
	struct rd r = {sig_blob, sig_len}, in;
	const uint8_t *type, *sig, *rr, *ss;
	size_t type_len, len, rr_len, ss_len;
	uint8_t rs[64], digest[32];

	if (get_str(&r, &type, &type_len) < 0 || get_str(&r, &sig, &len) < 0)
		return SPOD_E_BAD_SIGNATURE;
	if (alg == SPOD_ALG_ED25519)
		return spod_verify(alg, k->pub, k->pub_len, SPOD_MODE_RAW, msg, BENCH_MSG_BYTES,
		                   sig, len);
	in = (struct rd){sig, len};
	if (get_str(&in, &rr, &rr_len) < 0 || get_str(&in, &ss, &ss_len) < 0 ||
	    mpint32(rs, rr, rr_len) < 0 || mpint32(rs + 32, ss, ss_len) < 0)
		return SPOD_E_BAD_SIGNATURE;
	spod_sha256(digest, msg, BENCH_MSG_BYTES);
	return spod_verify(alg, k->pub, k->pub_len, SPOD_MODE_DIGEST, digest, sizeof(digest), rs,
	                   sizeof(rs));
}

static int agent_row(struct bench_stats *out, struct bench_samples *s, int fd,
                     const struct agent_key *k, const struct bench_alg *a, size_t warmup, size_t n)
{
	static uint8_t req[AGENT_MSG_MAX], buf[AGENT_MSG_MAX];
	size_t len = 4, data_at;
	ssize_t got = -1;
	uint8_t msg[BENCH_MSG_BYTES];

	/* uint32 length, byte 13, string key blob, string data, uint32 flags (0) */
	req[len++] = AGENTC_SIGN_REQUEST;
	put_u32(req + len, (uint32_t)k->blob_len);
	memcpy(req + len + 4, k->blob, k->blob_len);
	len += 4 + k->blob_len;
	put_u32(req + len, BENCH_MSG_BYTES);
	data_at = len + 4;
	len = data_at + BENCH_MSG_BYTES;
	put_u32(req + len, 0);
	len += 4;
	put_u32(req, (uint32_t)(len - 4));

	spod_random(msg, sizeof(msg));
	s->n = 0;
	for (size_t i = 0; i < warmup + n; i++) {
		uint64_t t0, t1;

		memcpy(msg, &i, sizeof(i));
		memcpy(req + data_at, msg, sizeof(msg));
		t0 = bench_now_ns();
		got = agent_call(fd, req, len, buf, sizeof(buf));
		t1 = bench_now_ns();
		if (got < 1 || buf[0] != AGENT_SIGN_RESPONSE)
			return got >= 1 && buf[0] == AGENT_FAILURE ? SPOD_E_CRYPTO : SPOD_E_IO;
		if (i >= warmup)
			s->ns[s->n++] = t1 - t0;
	}
	{
		struct rd r = {buf + 1, (size_t)got - 1};
		const uint8_t *sig;
		size_t sig_len;

		if (get_str(&r, &sig, &sig_len) < 0 ||
		    check_sig(k, a->alg, sig, sig_len, msg) != SPOD_OK)
			return SPOD_E_BAD_SIGNATURE;
	}
	bench_stats_compute(out, s);
	return SPOD_OK;
}

void bench_agent_rows(struct bench_run *r, struct bench_samples *s)
{
	static struct agent_key keys[BENCH_ALGS];
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	const char *path = r->cfg.ssh_agent;
	char *skip = r->peer_skipped[BENCH_PEER_SSHAGENT];
	int fd;

	if (path == NULL) {
		snprintf(skip, BENCH_TEXT_MAX,
		         "no --ssh-agent SOCKET (bench/run.sh starts one when "
		         "ssh-agent, ssh-keygen and ssh-add are installed)");
		return;
	}
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(skip, BENCH_TEXT_MAX, "socket path too long");
		return;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		snprintf(skip, BENCH_TEXT_MAX, "cannot connect to %.160s: %s", path,
		         strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	memset(keys, 0, sizeof(keys));
	if (list_keys(fd, keys, r) < 0) {
		fprintf(stderr, "spod-bench: ssh-agent at %s: no identities answer\n", path);
		r->errors++;
		close(fd);
		return;
	}
	for (int i = 0; i < BENCH_ALGS; i++) {
		struct bench_peer_result *x = &r->peer[BENCH_PEER_SSHAGENT][i];
		const struct bench_alg *a = r->alg[i].alg;
		int rc;

		if (a->alg != SPOD_ALG_ED25519 && a->alg != SPOD_ALG_P256)
			continue; /* OpenSSH has no secp256k1 */
		if (!keys[i].have) {
			fprintf(stderr, "spod-bench: ssh-agent holds no %s key\n", a->name);
			r->errors++;
			continue;
		}
		fprintf(stderr, "spod-bench: peer ssh-agent %s\n", a->name);
		rc = agent_row(&x->lat, s, fd, &keys[i], a, r->cfg.warmup, r->cfg.n);
		x->have = rc == SPOD_OK;
		if (rc < 0) {
			fprintf(stderr, "spod-bench: ssh-agent %s: %s\n", a->name,
			        spod_strerror(rc));
			r->errors++;
			break; /* the stream may be mid-answer */
		}
	}
	close(fd);
}
