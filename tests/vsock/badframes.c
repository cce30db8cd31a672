/*
 * Malformed wire frames over any stream URI, built by hand: the C counterpart of
 * tests/integration/bad_frames.py for places without Python (the tests/vsock guest).
 *
 *   vsock_badframes URI
 *
 * URI is unix://PATH or vsock://CID:PORT. This program has its own socket code (not
 * libspod's transport), so it checks the server against an independent client. It:
 *   1. generates one key per algorithm with raw key.generate frames;
 *   2. sends every rejected request kind (bad version, unknown opcode, reserved bits and
 *      flags, wrong lengths, bad references, bad modes, 0/1/31/33/64-byte digests,
 *      unknown algorithm, unknown keys, oversize message, malformed batches) one by one,
 *      then all at once, shuffled, twice; each must be answered in place with the
 *      documented status (-SPOD_E_*), the request's opcode and id, and the connection must
 *      stay usable;
 *   3. sends unframeable streams (bad magic, body_len above the cap) on fresh connections:
 *      an error frame with request id 0, then the server closes;
 *   4. sends truncated frames and random bytes, then half-closes: no success answer, no
 *      hang;
 *   5. the largest legal echo and sign, then signs with each key, verifies the signatures
 *      in-process (spod_verify) and deletes the keys.
 * Every socket operation is bounded (IO_TIMEOUT_MS). Prints one summary line; exit status
 * 0 when every expectation held, 1 otherwise (reasons on stderr).
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/vm_sockets.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "crypto/sign.h"
#include "spod/err.h"
#include "spod/wire.h"
#include "wire/layout.h"

#define IO_TIMEOUT_MS 15000
#define MAX_CASES     1024
#define RESP_MAX      (SPOD_HDR_BYTES + SPOD_BODY_MAX_BYTES)

/* The offsets this program relies on, pinned: drift in layout.h fails the build. */
_Static_assert(HDR_REQUEST_ID == 8 && HDR_STATUS == 16 && HDR_BODY_LEN == 20, "header layout");
_Static_assert(SIGN_MODE == 16 && SIGN_DATA_OFF == 20 && SIGN_DATA_LEN == 24 && SIGN_FIXED == 32,
               "sign layout");
_Static_assert(BATCH_ITEMS == 8 && BATCH_ITEM_BYTES == 32, "batch layout");
_Static_assert(KEY_PUB_OFF == 20 && KEY_PUB_LEN == 24 && KEY_FIXED == 32, "key layout");

static int failures;
static struct {
	unsigned malformed, valid, responses, connections;
} stats;

static void failf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void failf(const char *fmt, ...)
{
	va_list ap;

	if (++failures > 30)
		return;
	fputs("vsock_badframes: FAIL: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint32_t rnd32(void)
{
	uint32_t v;

	spod_random((uint8_t *)&v, sizeof(v));
	return v;
}

static void le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
	return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/* ------------------------------------------------------------------ sockets */

static const char *g_uri;

static int connect_uri(const char *uri)
{
	int fd = -1;

	if (strncmp(uri, "unix://", 7) == 0) {
		struct sockaddr_un sa = {.sun_family = AF_UNIX};

		if (strlen(uri + 7) >= sizeof(sa.sun_path))
			return -1;
		strcpy(sa.sun_path, uri + 7);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			close(fd);
			fd = -1;
		}
	} else if (strncmp(uri, "vsock://", 8) == 0) {
		struct sockaddr_vm sa = {.svm_family = AF_VSOCK};
		unsigned long cid, port;
		char *end;

		cid = strtoul(uri + 8, &end, 10);
		if (*end != ':')
			return -1;
		port = strtoul(end + 1, &end, 10);
		if (*end != '\0' || cid > UINT32_MAX || port > UINT32_MAX)
			return -1;
		sa.svm_cid = (unsigned)cid;
		sa.svm_port = (unsigned)port;
		fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			close(fd);
			fd = -1;
		}
	}
	if (fd < 0) {
		failf("connect %s: %s", uri, strerror(errno));
		return -1;
	}
	stats.connections++;
	return fd;
}

/* Waits for events on fd until the deadline; 1 ready, 0 timed out, -1 error. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd p = {.fd = fd, .events = events};
		int64_t left = deadline - now_ms();
		int rc;

		if (left <= 0)
			return 0;
		rc = poll(&p, 1, (int)left);
		if (rc > 0)
			return 1;
		if (rc == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

/* 0 sent; -1 on error or timeout (EPIPE/ECONNRESET when peer closed: -2). */
static int send_all(int fd, const uint8_t *p, size_t n)
{
	int64_t deadline = now_ms() + IO_TIMEOUT_MS;

	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && (errno == EPIPE || errno == ECONNRESET))
			return -2;
		if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return -1;
		if (wait_fd(fd, POLLOUT, deadline) <= 0)
			return -1;
	}
	return 0;
}

/* Reads exactly n bytes: n on success, 0..n-1 at EOF, -1 on error, -2 on timeout. */
static ssize_t recv_exact(int fd, uint8_t *p, size_t n, int64_t deadline)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = recv(fd, p + got, n - got, MSG_DONTWAIT);

		if (r > 0) {
			got += (size_t)r;
			continue;
		}
		if (r == 0)
			return (ssize_t)got;
		if (errno == ECONNRESET)
			return (ssize_t)got;
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return -1;
		int w = wait_fd(fd, POLLIN, deadline);
		if (w == 0)
			return -2;
		if (w < 0)
			return -1;
	}
	return (ssize_t)got;
}

struct resp {
	uint32_t magic;
	uint8_t version, opcode;
	uint16_t flags, status, reserved;
	uint64_t rid;
	uint32_t body_len;
	uint8_t *body; /* points into a static buffer, valid until the next recv_frame */
};

static int recv_one(int fd, struct resp *r, const char *what);

/*
 * 1 frame read, 0 clean EOF, -1 error/timeout/EOF mid-frame (reported). The evidence frames
 * spod-enclave sends unasked after signing (opcode 0x60, request id 0, docs/evidence.md) are
 * skipped: they answer no request.
 */
static int recv_frame(int fd, struct resp *r, const char *what)
{
	int rc;

	while ((rc = recv_one(fd, r, what)) == 1 && r->opcode == SPOD_OP_EVIDENCE && r->rid == 0 &&
	       (r->flags & SPOD_FLAG_RESPONSE))
		stats.responses--;
	return rc;
}

static int recv_one(int fd, struct resp *r, const char *what)
{
	static uint8_t body[RESP_MAX];
	uint8_t h[SPOD_HDR_BYTES];
	int64_t deadline = now_ms() + IO_TIMEOUT_MS;
	ssize_t n;

	n = recv_exact(fd, h, sizeof(h), deadline);
	if (n == 0)
		return 0;
	if (n != (ssize_t)sizeof(h)) {
		failf("%s: %s", what,
		      n == -2 ? "no response within the timeout"
		      : n < 0 ? "receive error"
		              : "EOF inside a response header");
		return -1;
	}
	r->magic = rd32(h);
	r->version = h[4];
	r->opcode = h[5];
	r->flags = (uint16_t)(h[6] | h[7] << 8);
	r->rid = rd64(h + 8);
	r->status = (uint16_t)(h[16] | h[17] << 8);
	r->reserved = (uint16_t)(h[18] | h[19] << 8);
	r->body_len = rd32(h + 20);
	if (r->body_len > SPOD_BODY_MAX_BYTES) {
		failf("%s: response body_len %u", what, r->body_len);
		return -1;
	}
	n = recv_exact(fd, body, r->body_len, deadline);
	if (n != (ssize_t)r->body_len) {
		failf("%s: EOF or timeout inside a response body", what);
		return -1;
	}
	r->body = body;
	stats.responses++;
	return 1;
}

/*
 * A connection to g_uri, authenticated with $SPOD_TOKEN when it is set (spod-host requires
 * a hello first; spod-enclave answers one without checking). The hello's answer is not
 * counted as a response to the frames under test.
 */
static int dial(void)
{
	const char *token = getenv("SPOD_TOKEN");
	uint8_t buf[SPOD_HDR_BYTES + 8 + SPOD_TOKEN_MAX_BYTES];
	struct resp r;
	size_t len;
	int fd = connect_uri(g_uri);

	if (fd < 0 || token == NULL || token[0] == '\0')
		return fd;
	if (spod_wire_enc_hello(buf, sizeof(buf), &len, 1, token, strlen(token)) < 0 ||
	    send_all(fd, buf, len) < 0 || recv_frame(fd, &r, "hello") != 1 || r.status != 0) {
		failf("hello on %s was refused", g_uri);
		close(fd);
		return -1;
	}
	stats.responses--;
	return fd;
}

static const char *status_name(uint16_t st)
{
	return st == 0 ? "OK" : spod_err_name(-(int)st);
}

/* Checks a response header against the expectation; want is SPOD_OK or SPOD_E_*. */
static int check_resp(const struct resp *r, uint64_t rid, int want, int opcode, const char *what)
{
	uint16_t want_status = (uint16_t)-want;
	int ok = 1;

	if (r->magic != SPOD_WIRE_MAGIC || r->version != SPOD_WIRE_VERSION ||
	    r->flags != SPOD_FLAG_RESPONSE || r->reserved != 0) {
		failf("%s: malformed response header (magic %08x version %u flags %x reserved %u)",
		      what, r->magic, r->version, r->flags, r->reserved);
		ok = 0;
	}
	if (r->rid != rid) {
		failf("%s: response request id %" PRIu64 ", want %" PRIu64, what, r->rid, rid);
		ok = 0;
	}
	if (r->status != want_status) {
		failf("%s: status %u (%s), want %u (%s): %.*s", what, r->status,
		      status_name(r->status), want_status, status_name(want_status),
		      r->status ? (int)(r->body_len > 120 ? 120 : r->body_len) : 0,
		      (const char *)r->body);
		ok = 0;
	}
	if (opcode >= 0 && r->opcode != opcode) {
		failf("%s: answered with opcode 0x%02x, want 0x%02x", what, r->opcode, opcode);
		ok = 0;
	}
	if (r->status != 0 && (r->body_len == 0 || r->body_len > SPOD_ERRMSG_MAX_BYTES)) {
		failf("%s: error frame with a %u-byte message", what, r->body_len);
		ok = 0;
	}
	return ok;
}

/* After the peer should have closed: EOF (or reset) within the timeout, no more frames. */
static void expect_eof(int fd, const char *what)
{
	struct resp r;
	int rc;

	while ((rc = recv_frame(fd, &r, what)) == 1)
		failf("%s: unexpected extra response (status %u)", what, r.status);
	(void)rc; /* -1 was reported by recv_frame */
}

/* ------------------------------------------------------------------ frames */

struct frame {
	uint8_t *b;
	size_t len;
};

static struct frame frame_new(size_t body_len)
{
	struct frame f = {.b = calloc(1, SPOD_HDR_BYTES + body_len + 1),
	                  .len = SPOD_HDR_BYTES + body_len};

	if (f.b == NULL) {
		fprintf(stderr, "vsock_badframes: out of memory\n");
		exit(1);
	}
	return f;
}

/* Header with every field explicit; body_len is what the header declares. */
static void put_hdr(uint8_t *h, uint32_t magic, uint8_t version, uint8_t op, uint16_t flags,
                    uint64_t rid, uint16_t status, uint16_t reserved, uint32_t body_len)
{
	le32(h, magic);
	h[4] = version;
	h[5] = op;
	le16(h + 6, flags);
	le64(h + 8, rid);
	le16(h + 16, status);
	le16(h + 18, reserved);
	le32(h + 20, body_len);
}

/* A well-formed header for a frame holding body_len bytes. */
static struct frame frame_op(uint8_t op, size_t body_len)
{
	struct frame f = frame_new(body_len);

	put_hdr(f.b, SPOD_WIRE_MAGIC, SPOD_WIRE_VERSION, op, 0, 0, 0, 0, (uint32_t)body_len);
	return f;
}

struct sign_spec {
	const uint8_t *key_id;
	uint8_t mode;
	const uint8_t *data;
	size_t len;
	int ref_override; /* use off/ref_len instead of the natural reference */
	uint32_t off, ref_len;
	uint8_t res1[3], res2[4];
};

static struct frame sign_frame(const struct sign_spec *s)
{
	struct frame f = frame_op(SPOD_OP_SIGN, SIGN_FIXED + s->len);
	uint8_t *b = f.b + SPOD_HDR_BYTES;

	memcpy(b + SIGN_KEY_ID, s->key_id, SPOD_KEY_ID_BYTES);
	b[SIGN_MODE] = s->mode;
	memcpy(b + SIGN_RESERVED1, s->res1, 3);
	le32(b + SIGN_DATA_OFF, s->ref_override ? s->off : SIGN_FIXED);
	le32(b + SIGN_DATA_LEN, s->ref_override ? s->ref_len : (uint32_t)s->len);
	memcpy(b + SIGN_RESERVED2, s->res2, 4);
	if (s->len)
		memcpy(b + SIGN_FIXED, s->data, s->len);
	return f;
}

static struct frame simple_sign(const uint8_t *key, uint8_t mode, const uint8_t *data, size_t len)
{
	struct sign_spec s = {.key_id = key, .mode = mode, .data = data, .len = len};
	return sign_frame(&s);
}

struct bitem {
	const uint8_t *key_id;
	uint8_t mode;
	const uint8_t *data;
	size_t len;
};

static struct frame batch_frame(const struct bitem *it, uint32_t n, uint32_t count,
                                uint32_t reserved)
{
	size_t data_len = 0, fixed = BATCH_ITEMS + BATCH_ITEM_BYTES * (size_t)n, off = fixed;
	struct frame f;
	uint8_t *b;

	for (uint32_t i = 0; i < n; i++)
		data_len += it[i].len;
	f = frame_op(SPOD_OP_SIGN_BATCH, fixed + data_len);
	b = f.b + SPOD_HDR_BYTES;
	le32(b + BATCH_COUNT, count);
	le32(b + BATCH_RESERVED, reserved);
	for (uint32_t i = 0; i < n; i++) {
		uint8_t *e = b + BATCH_ITEMS + BATCH_ITEM_BYTES * i;
		memcpy(e + SIGN_KEY_ID, it[i].key_id, SPOD_KEY_ID_BYTES);
		e[SIGN_MODE] = it[i].mode;
		le32(e + SIGN_DATA_OFF, (uint32_t)off);
		le32(e + SIGN_DATA_LEN, (uint32_t)it[i].len);
		memcpy(b + off, it[i].data, it[i].len);
		off += it[i].len;
	}
	return f;
}

/* ------------------------------------------------------------------ cases */

struct kase {
	struct frame f;
	uint64_t rid;
	int want; /* SPOD_OK or SPOD_E_* */
	uint8_t op;
	char what[64];
};

static struct kase cases[MAX_CASES];
static size_t ncases;
static uint64_t next_rid = 10000;

/* Records f as a case; the header's request id is overwritten with a fresh one. */
static void add(int want, struct frame f, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void add(int want, struct frame f, const char *fmt, ...)
{
	struct kase *k;
	va_list ap;

	if (ncases == MAX_CASES) {
		fprintf(stderr, "vsock_badframes: too many cases\n");
		exit(1);
	}
	k = &cases[ncases++];
	k->f = f;
	k->rid = ++next_rid;
	le64(f.b + HDR_REQUEST_ID, k->rid);
	k->want = want;
	k->op = f.b[HDR_OPCODE];
	va_start(ap, fmt);
	vsnprintf(k->what, sizeof(k->what), fmt, ap);
	va_end(ap);
}

/* A frame with header fields changed after it was built. */
static struct frame with_hdr(struct frame f, int version, int flags, int status, int reserved)
{
	if (version >= 0)
		f.b[HDR_VERSION] = (uint8_t)version;
	if (flags >= 0)
		le16(f.b + HDR_FLAGS, (uint16_t)flags);
	if (status >= 0)
		le16(f.b + HDR_STATUS, (uint16_t)status);
	if (reserved >= 0)
		le16(f.b + HDR_RESERVED, (uint16_t)reserved);
	return f;
}

static struct frame raw_body(uint8_t op, const uint8_t *body, size_t len)
{
	struct frame f = frame_op(op, len);
	if (len)
		memcpy(f.b + SPOD_HDR_BYTES, body, len);
	return f;
}

static struct frame generate_frame(uint8_t alg)
{
	struct frame f = frame_op(SPOD_OP_KEY_GENERATE, GEN_FIXED);
	f.b[SPOD_HDR_BYTES + GEN_ALG] = alg;
	return f;
}

static void build_cases(const uint8_t keys[3][SPOD_KEY_ID_BYTES])
{
	const uint8_t *ed = keys[0], *k1 = keys[1], *p256 = keys[2];
	static const uint8_t versions[] = {0, 2, 3, 0x7f, 0xff};
	/* Far from the defined ones (0x01-0x02, 0x10-0x13, 0x20-0x21, 0x30), so new opcodes
	 * next to them do not turn these into valid requests. */
	static const uint8_t unknown_ops[] = {0x00, 0x0f, 0x1f, 0x2f, 0x5a, 0x7f, 0x80, 0xfe, 0xff};
	static const uint8_t bad_modes[] = {4, 5, 0x80, 0xff};
	static const uint8_t bad_algs[] = {0, 4, 5, 0x80, 0xff};
	static const size_t digest_lens[] = {0, 1, 31, 33, 64};
	static uint8_t d32[32], junk[64], big[SPOD_MSG_MAX_BYTES + 1];
	uint8_t body[64];
	const size_t base = SIGN_FIXED;
	struct {
		uint32_t off, len;
		size_t payload;
	} refs[] = {
	    {0, 4, 4},              /* inside the fixed part */
	    {31, 1, 1},             /* overlaps the fixed part */
	    {base + 5, 0, 4},       /* offset past the end */
	    {base, 5, 4},           /* one byte too long */
	    {base, 0xffffffffu, 4}, /* length wraps */
	    {0xffffffffu, 1, 4},    /* offset wraps */
	    {0xfffffff0u, 0x20, 4}, /* off + len overflows 32 bits */
	    {base + 2, 3, 4},       /* ends one past the body */
	};

	spod_random(d32, sizeof(d32));
	spod_random(junk, sizeof(junk));
	spod_random(big, sizeof(big));

	/* header: wrong version (checked before anything else) */
	for (size_t i = 0; i < sizeof(versions); i++) {
		add(SPOD_E_BAD_VERSION,
		    with_hdr(frame_op(SPOD_OP_INFO, 0), versions[i], -1, -1, -1), "info version %u",
		    versions[i]);
		add(SPOD_E_BAD_VERSION,
		    with_hdr(simple_sign(ed, SPOD_MODE_RAW, (const uint8_t *)"m", 1), versions[i],
		             -1, -1, -1),
		    "sign version %u", versions[i]);
	}
	/* header: unknown opcodes, empty and with a body */
	for (size_t i = 0; i < sizeof(unknown_ops); i++) {
		add(SPOD_E_UNKNOWN_OP, frame_op(unknown_ops[i], 0), "opcode 0x%02x",
		    unknown_ops[i]);
		add(SPOD_E_UNKNOWN_OP, raw_body(unknown_ops[i], junk, 1 + rnd32() % 63),
		    "opcode 0x%02x with a body", unknown_ops[i]);
	}
	/* header: reserved, flags, status, the RESPONSE flag in a request */
	add(SPOD_E_BAD_FIELD, with_hdr(frame_op(SPOD_OP_INFO, 0), -1, -1, -1, 1), "reserved 1");
	add(SPOD_E_BAD_FIELD, with_hdr(frame_op(SPOD_OP_INFO, 0), -1, -1, -1, 0xffff),
	    "reserved 0xffff");
	for (int fl = 0x0002; fl <= 0x8000; fl <<= 1)
		add(SPOD_E_BAD_FIELD, with_hdr(frame_op(SPOD_OP_INFO, 0), -1, fl, -1, -1),
		    "flags 0x%04x", fl);
	add(SPOD_E_BAD_FIELD, with_hdr(frame_op(SPOD_OP_INFO, 0), -1, SPOD_FLAG_RESPONSE, -1, -1),
	    "RESPONSE flag in a request");
	add(SPOD_E_BAD_FIELD,
	    with_hdr(simple_sign(ed, SPOD_MODE_RAW, (const uint8_t *)"m", 1), -1,
	             SPOD_FLAG_RESPONSE, -1, -1),
	    "RESPONSE flag in a sign request");
	for (int st = 1; st <= 0xffff; st = st * 14 + 1)
		add(SPOD_E_BAD_FIELD, with_hdr(frame_op(SPOD_OP_INFO, 0), -1, -1, st, -1),
		    "status %d in a request", st);
	/* bodies of the wrong length */
	add(SPOD_E_BAD_LENGTH, raw_body(SPOD_OP_INFO, junk, 1), "info with a body");
	for (size_t n = 0; n <= 16; n += (n == 0 ? 7 : n == 7 ? 2 : 7)) {
		memset(body, 0, sizeof(body));
		body[0] = SPOD_ALG_ED25519;
		add(SPOD_E_BAD_LENGTH, raw_body(SPOD_OP_KEY_GENERATE, body, n), "generate len %zu",
		    n);
	}
	for (size_t n = 0; n <= 32; n += (n == 0 ? 15 : n == 15 ? 2 : 15)) {
		add(SPOD_E_BAD_LENGTH, raw_body(SPOD_OP_KEY_PUBLIC, junk, n), "public len %zu", n);
		add(SPOD_E_BAD_LENGTH, raw_body(SPOD_OP_KEY_DELETE, junk, n), "delete len %zu", n);
	}
	for (size_t n = 0; n <= 9; n += (n == 0 ? 7 : 2)) {
		memset(body, 0, sizeof(body));
		add(SPOD_E_BAD_LENGTH, raw_body(SPOD_OP_KEY_LIST, body, n), "list len %zu", n);
	}
	for (size_t n = 0; n < SIGN_FIXED; n += (n == 0 ? 1 : n == 1 ? 30 : 1)) {
		struct frame s = simple_sign(ed, SPOD_MODE_RAW, NULL, 0);
		add(SPOD_E_BAD_LENGTH, raw_body(SPOD_OP_SIGN, s.b + SPOD_HDR_BYTES, n),
		    "sign len %zu", n);
		free(s.b);
	}
	memset(body, 0, sizeof(body));
	body[0] = 1;
	add(SPOD_E_BAD_LENGTH, raw_body(SPOD_OP_SIGN_BATCH, body, 0), "batch len 0");
	add(SPOD_E_BAD_LENGTH, raw_body(SPOD_OP_SIGN_BATCH, body, 4), "batch len 4");
	add(SPOD_E_BAD_LENGTH, raw_body(SPOD_OP_SIGN_BATCH, body, 7), "batch len 7");
	memset(body, 0, sizeof(body));
	le32(body, 2);
	add(SPOD_E_BAD_LENGTH, raw_body(SPOD_OP_SIGN_BATCH, body, BATCH_ITEMS + 32),
	    "batch of 2 with room for 1");
	/* sign: (data_off, data_len) outside the body */
	for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
		struct sign_spec s = {.key_id = ed,
		                      .mode = SPOD_MODE_RAW,
		                      .data = (const uint8_t *)"abcd",
		                      .len = refs[i].payload,
		                      .ref_override = 1,
		                      .off = refs[i].off,
		                      .ref_len = refs[i].len};
		add(SPOD_E_BAD_REF, sign_frame(&s), "ed25519 ref (%u, %u)", refs[i].off,
		    refs[i].len);
		s.key_id = k1;
		s.mode = SPOD_MODE_SHA256;
		add(SPOD_E_BAD_REF, sign_frame(&s), "secp256k1 ref (%u, %u)", refs[i].off,
		    refs[i].len);
	}
	/* a message reference that fits the body but exceeds the 64 KiB cap */
	add(SPOD_E_TOO_LARGE, simple_sign(ed, SPOD_MODE_RAW, big, sizeof(big)),
	    "message of 64 KiB + 1");
	/* reserved bytes in bodies */
	for (int i = 0; i < 4; i++) {
		struct sign_spec s = {.key_id = ed, .mode = SPOD_MODE_RAW, .data = d32, .len = 1};
		if (i < 3)
			s.res1[i] = (uint8_t)(1u << (i * 3));
		else
			s.res2[rnd32() % 4] = 0x80;
		add(SPOD_E_BAD_FIELD, sign_frame(&s), "sign reserved bytes %d", i);
		s.key_id = p256;
		s.mode = SPOD_MODE_DIGEST;
		s.len = 32;
		add(SPOD_E_BAD_FIELD, sign_frame(&s), "digest sign reserved bytes %d", i);
	}
	for (int i = 1; i < GEN_FIXED; i++) {
		struct frame g = generate_frame(SPOD_ALG_ED25519);
		g.b[SPOD_HDR_BYTES + i] = 1;
		/* bytes 1..3 are reserved; 4..7 the label length, then not the body's rest */
		add(i < GEN_LABEL_LEN ? SPOD_E_BAD_FIELD : SPOD_E_BAD_LENGTH, g,
		    "generate reserved byte %d", i);
	}
	{
		static const uint8_t bad_label[] = {1, 0, 0, 0, 3, 0, 0, 0, 'a', ' ', 'b'};
		add(SPOD_E_BAD_FIELD, raw_body(SPOD_OP_KEY_GENERATE, bad_label, sizeof(bad_label)),
		    "generate label with a space");
	}
	{
		struct bitem one = {ed, SPOD_MODE_RAW, (const uint8_t *)"m", 1};
		add(SPOD_E_BAD_FIELD, batch_frame(&one, 1, 1, 1), "batch reserved");
		add(SPOD_E_BAD_FIELD, batch_frame(&one, 1, 0, 0), "batch count 0");
	}
	{
		struct frame b = frame_op(SPOD_OP_SIGN_BATCH, BATCH_ITEMS + 32 * 257);
		le32(b.b + SPOD_HDR_BYTES, 257);
		add(SPOD_E_BAD_FIELD, b, "batch count 257");
	}
	memset(body, 0, sizeof(body));
	add(SPOD_E_BAD_FIELD, raw_body(SPOD_OP_KEY_LIST, body, 8), "list max 0");
	le32(body + LISTREQ_MAX, SPOD_LIST_MAX_ITEMS + 1);
	add(SPOD_E_BAD_FIELD, raw_body(SPOD_OP_KEY_LIST, body, 8), "list max 1025");
	/* unknown algorithm */
	for (size_t i = 0; i < sizeof(bad_algs); i++)
		add(SPOD_E_UNKNOWN_ALG, generate_frame(bad_algs[i]), "generate alg %u",
		    bad_algs[i]);
	/* modes: undefined ones, and ones the key's algorithm does not have */
	for (size_t i = 0; i < sizeof(bad_modes); i++) {
		add(SPOD_E_BAD_MODE, simple_sign(ed, bad_modes[i], (const uint8_t *)"m", 1),
		    "ed25519 mode %u", bad_modes[i]);
		add(SPOD_E_BAD_MODE, simple_sign(k1, bad_modes[i], d32, 32), "secp256k1 mode %u",
		    bad_modes[i]);
	}
	add(SPOD_E_BAD_MODE, simple_sign(k1, SPOD_MODE_RAW, (const uint8_t *)"raw", 3),
	    "secp256k1 raw");
	add(SPOD_E_BAD_MODE, simple_sign(p256, SPOD_MODE_RAW, d32, 32), "p256 raw");
	for (uint8_t m = SPOD_MODE_DIGEST; m <= SPOD_MODE_KECCAK256; m++)
		add(SPOD_E_BAD_MODE, simple_sign(ed, m, d32, 32), "ed25519 mode %u", m);
	/* digest mode with the wrong length (checked before the key is looked up) */
	for (int k = 1; k <= 2; k++)
		for (size_t i = 0; i < sizeof(digest_lens) / sizeof(digest_lens[0]); i++)
			add(SPOD_E_BAD_DIGEST,
			    simple_sign(keys[k], SPOD_MODE_DIGEST, junk, digest_lens[i]),
			    "%s %zu-byte digest", k == 1 ? "secp256k1" : "p256", digest_lens[i]);
	/* unknown key ids */
	for (int i = 0; i < 6; i++) {
		uint8_t kid[SPOD_KEY_ID_BYTES];
		spod_random(kid, sizeof(kid));
		add(SPOD_E_KEY_NOT_FOUND, simple_sign(kid, SPOD_MODE_RAW, (const uint8_t *)"m", 1),
		    "sign with an unknown key");
		add(SPOD_E_KEY_NOT_FOUND, simple_sign(kid, SPOD_MODE_DIGEST, d32, 32),
		    "digest sign with an unknown key");
		add(SPOD_E_KEY_NOT_FOUND, raw_body(SPOD_OP_KEY_PUBLIC, kid, sizeof(kid)),
		    "public of an unknown key");
		add(SPOD_E_KEY_NOT_FOUND, raw_body(SPOD_OP_KEY_DELETE, kid, sizeof(kid)),
		    "delete of an unknown key");
	}
	/* a whole batch rejected by one malformed item */
	{
		struct bitem two[2] = {{k1, SPOD_MODE_DIGEST, d32, 32},
		                       {p256, SPOD_MODE_DIGEST, d32, 31}};
		add(SPOD_E_BAD_DIGEST, batch_frame(two, 2, 2, 0), "batch with a 31-byte digest");
		two[0] = (struct bitem){ed, SPOD_MODE_RAW, (const uint8_t *)"m", 1};
		two[1] = (struct bitem){ed, 9, (const uint8_t *)"m", 1};
		add(SPOD_E_BAD_MODE, batch_frame(two, 2, 2, 0), "batch with mode 9");
	}
	/* valid requests mixed in: they must succeed on the same connection */
	add(SPOD_OK, simple_sign(ed, SPOD_MODE_RAW, (const uint8_t *)"valid", 5), "valid ed25519");
	add(SPOD_OK, simple_sign(k1, SPOD_MODE_KECCAK256, (const uint8_t *)"valid", 5),
	    "valid secp256k1 keccak");
	add(SPOD_OK, simple_sign(p256, SPOD_MODE_DIGEST, d32, 32), "valid p256 digest");
	add(SPOD_OK, simple_sign(k1, SPOD_MODE_DIGEST, d32, 32), "valid secp256k1 digest");
	add(SPOD_OK, raw_body(SPOD_OP_KEY_PUBLIC, p256, SPOD_KEY_ID_BYTES), "valid public");
	add(SPOD_OK, frame_op(SPOD_OP_INFO, 0), "valid info");
	add(SPOD_OK, raw_body(SPOD_OP_ECHO, junk, sizeof(junk)), "valid echo");
	memset(body, 0, sizeof(body));
	le32(body + LISTREQ_MAX, 10);
	add(SPOD_OK, raw_body(SPOD_OP_KEY_LIST, body, 8), "valid list");
}

/* ------------------------------------------------------------------ scenarios */

/* A valid info on fd must still be answered: the stream is in sync. */
static void info_still_ok(int fd, uint64_t rid, const char *what)
{
	struct frame f = frame_op(SPOD_OP_INFO, 0);
	struct resp r;
	char w[96];

	snprintf(w, sizeof(w), "%s (info after)", what);
	le64(f.b + HDR_REQUEST_ID, rid);
	if (send_all(fd, f.b, f.len) < 0)
		failf("%s: cannot send", w);
	else if (recv_frame(fd, &r, w) != 1)
		failf("%s: no answer; the connection should stay open", w);
	else
		check_resp(&r, rid, SPOD_OK, SPOD_OP_INFO, w);
	free(f.b);
}

static void one_by_one(void)
{
	int fd = dial();
	struct resp r;
	char w[96];

	if (fd < 0)
		return;
	for (size_t i = 0; i < ncases; i++) {
		struct kase *k = &cases[i];
		int rc;

		snprintf(w, sizeof(w), "one by one: %s", k->what);
		if (send_all(fd, k->f.b, k->f.len) < 0) {
			failf("%s: send failed", w);
			rc = 0;
		} else {
			rc = recv_frame(fd, &r, w);
			if (rc == 1)
				check_resp(&r, k->rid, k->want, k->op, w);
		}
		if (rc != 1) {
			if (rc == 0)
				failf("%s: connection closed", w);
			close(fd);
			if ((fd = dial()) < 0)
				return;
		}
		if (k->want)
			stats.malformed++;
		else
			stats.valid++;
	}
	info_still_ok(fd, 424242, "one by one");
	close(fd);
}

/* Every case in one write, shuffled, with fresh request ids; answers matched by id. */
static void pipelined(int round)
{
	static size_t order[MAX_CASES];
	static int seen[MAX_CASES];
	uint8_t *all;
	size_t total = 0, pos = 0, answered = 0;
	uint64_t base = 1000000u * (uint64_t)(round + 1);
	int fd;
	char w[96];

	for (size_t i = 0; i < ncases; i++) {
		order[i] = i;
		seen[i] = 0;
		total += cases[i].f.len;
	}
	for (size_t i = ncases; i > 1; i--) {
		size_t j = rnd32() % i, t = order[i - 1];
		order[i - 1] = order[j];
		order[j] = t;
	}
	all = malloc(total);
	if (all == NULL) {
		failf("out of memory");
		return;
	}
	for (size_t i = 0; i < ncases; i++) {
		const struct kase *k = &cases[order[i]];
		memcpy(all + pos, k->f.b, k->f.len);
		le64(all + pos + HDR_REQUEST_ID, base + order[i]);
		pos += k->f.len;
	}
	if ((fd = dial()) < 0) {
		free(all);
		return;
	}
	/*
	 * The server answers while we are still writing; with ~1 MB of requests both socket
	 * buffers could fill. Write and read interleaved.
	 */
	pos = 0;
	{
		int64_t deadline = now_ms() + 4 * IO_TIMEOUT_MS;
		while (answered < ncases) {
			struct pollfd p = {.fd = fd,
			                   .events = POLLIN | (pos < total ? POLLOUT : 0)};
			int64_t left = deadline - now_ms();

			if (left <= 0 || poll(&p, 1, (int)left) <= 0) {
				failf("pipelined round %d: timed out with %zu of %zu answered",
				      round, answered, ncases);
				break;
			}
			if ((p.revents & POLLOUT) && pos < total) {
				ssize_t wr =
				    send(fd, all + pos, total - pos, MSG_NOSIGNAL | MSG_DONTWAIT);
				if (wr > 0)
					pos += (size_t)wr;
				else if (wr < 0 && errno != EAGAIN && errno != EINTR) {
					failf("pipelined round %d: send: %s", round,
					      strerror(errno));
					break;
				}
			}
			if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
				struct resp r;
				uint64_t idx;
				int rc;

				snprintf(w, sizeof(w), "pipelined round %d", round);
				rc = recv_frame(fd, &r, w);
				if (rc == 0)
					failf("%s: closed after %zu of %zu answers", w, answered,
					      ncases);
				if (rc != 1)
					break;
				idx = r.rid - base;
				if (r.rid < base || idx >= ncases || seen[idx]) {
					failf("%s: unexpected response id %" PRIu64, w, r.rid);
					continue;
				}
				seen[idx] = 1;
				answered++;
				snprintf(w, sizeof(w), "pipelined round %d: %s", round,
				         cases[idx].what);
				check_resp(&r, r.rid, cases[idx].want, cases[idx].op, w);
			}
		}
	}
	if (answered == ncases) {
		snprintf(w, sizeof(w), "pipelined round %d", round);
		info_still_ok(fd, 31337, w);
	}
	for (size_t i = 0; i < ncases; i++) {
		if (cases[i].want)
			stats.malformed++;
		else
			stats.valid++;
	}
	close(fd);
	free(all);
}

/* Unframeable streams: one error frame (request id 0), then the server closes. */
static void closing_cases(void)
{
	static const uint32_t sizes[] = {SPOD_BODY_MAX_BYTES + 1, SPOD_BODY_MAX_BYTES + 2, 1u << 20,
	                                 0x7fffffffu, 0xffffffffu};
	static const char *const magics[] = {"SPOE", "spod", "DOPS", "GET ", "XPOD", "SPOX"};
	char w[96];

	for (int i = 0; i < 20; i++) {
		uint32_t size = i < 5 ? sizes[i] : SPOD_BODY_MAX_BYTES + 1 + rnd32() % 0x7fff0000u;
		uint8_t h[SPOD_HDR_BYTES];
		struct resp r;
		int fd = dial();

		if (fd < 0)
			return;
		put_hdr(h, SPOD_WIRE_MAGIC, SPOD_WIRE_VERSION, i % 2 ? SPOD_OP_SIGN : SPOD_OP_ECHO,
		        0, 1000 + (uint64_t)i, 0, 0, size);
		snprintf(w, sizeof(w), "oversize body_len %u", size);
		if (send_all(fd, h, sizeof(h)) == -1)
			failf("%s: send failed", w);
		else if (recv_frame(fd, &r, w) == 1)
			check_resp(&r, 0, SPOD_E_TOO_LARGE, -1, w);
		else
			failf("%s: closed without an error frame", w);
		expect_eof(fd, w);
		close(fd);
		stats.malformed++;
	}
	for (int i = 0; i < 20; i++) {
		uint8_t h[SPOD_HDR_BYTES];
		uint32_t magic;
		struct resp r;
		int fd;

		if (i < 6)
			memcpy(&magic, magics[i], 4);
		else if (i == 6)
			magic = 0;
		else
			do
				magic = rnd32();
			while (magic == SPOD_WIRE_MAGIC);
		fd = dial();
		if (fd < 0)
			return;
		put_hdr(h, SPOD_WIRE_MAGIC, SPOD_WIRE_VERSION, SPOD_OP_INFO, 0, 2000 + (uint64_t)i,
		        0, 0, 0);
		memcpy(h, &magic, 4);
		snprintf(w, sizeof(w), "bad magic %08x", magic);
		if (send_all(fd, h, sizeof(h)) == -1)
			failf("%s: send failed", w);
		else if (recv_frame(fd, &r, w) == 1)
			check_resp(&r, 0, SPOD_E_BAD_MAGIC, -1, w);
		else
			failf("%s: closed without an error frame", w);
		expect_eof(fd, w);
		close(fd);
		stats.malformed++;
	}
	/* A bad magic after good frames: the good ones are answered first. */
	{
		struct frame a = frame_op(SPOD_OP_INFO, 0),
		             b = raw_body(SPOD_OP_ECHO, (const uint8_t *)"abc", 3);
		static const char http[] = "HTTP/1.1 200 OK\r\n\r\n";
		struct resp r;
		int fd = dial();

		if (fd < 0)
			return;
		le64(a.b + HDR_REQUEST_ID, 1);
		le64(b.b + HDR_REQUEST_ID, 2);
		if (send_all(fd, a.b, a.len) < 0 || send_all(fd, b.b, b.len) < 0)
			failf("good frames before a bad magic: send failed");
		for (uint64_t rid = 1; rid <= 2; rid++)
			if (recv_frame(fd, &r, "good before bad magic") == 1)
				check_resp(&r, rid, SPOD_OK, rid == 1 ? SPOD_OP_INFO : SPOD_OP_ECHO,
				           "good before bad magic");
		if (send_all(fd, (const uint8_t *)http, sizeof(http) - 1) == -1)
			failf("bad magic after good frames: send failed");
		else if (recv_frame(fd, &r, "bad magic after good frames") == 1)
			check_resp(&r, 0, SPOD_E_BAD_MAGIC, -1, "bad magic after good frames");
		expect_eof(fd, "bad magic after good frames");
		close(fd);
		free(a.b);
		free(b.b);
		stats.malformed++;
	}
}

/* Truncated frames and random bytes, then a half-close: error frames at most, never OK. */
static void truncated_and_random(void)
{
	static uint8_t buf[4096];
	char w[96];

	for (int i = 0; i < 60; i++) {
		size_t len;
		int fd;

		spod_random(buf, sizeof(buf));
		if (i % 3 == 0) { /* a partial header */
			len = 1 + rnd32() % (SPOD_HDR_BYTES - 1);
			put_hdr(buf, SPOD_WIRE_MAGIC, SPOD_WIRE_VERSION, SPOD_OP_INFO, 0, 3000, 0,
			        0, 0);
			snprintf(w, sizeof(w), "partial header of %zu bytes", len);
		} else if (i % 3 == 1) { /* a body shorter than declared */
			uint32_t have = rnd32() % 1000;
			put_hdr(buf, SPOD_WIRE_MAGIC, SPOD_WIRE_VERSION, SPOD_OP_ECHO, 0, 3000, 0,
			        0, have + 1 + rnd32() % 5000);
			len = SPOD_HDR_BYTES + have;
			snprintf(w, sizeof(w), "body truncated after %u bytes", have);
		} else { /* random bytes, sometimes behind a plausible start */
			len = 1 + rnd32() % (sizeof(buf) - 1);
			if (i % 6 == 2)
				memcpy(buf, "SPOD", 1 + rnd32() % 3);
			snprintf(w, sizeof(w), "%zu random bytes", len);
		}
		if ((fd = dial()) < 0)
			return;
		if (send_all(fd, buf, len) == -1)
			failf("%s: send failed", w);
		shutdown(fd, SHUT_WR);
		for (;;) {
			struct resp r;
			int rc = recv_frame(fd, &r, w);
			if (rc != 1)
				break;
			if (r.status == 0)
				failf("%s: accepted (%s answered OK)", w, status_name(r.status));
			if (r.body_len == 0 || r.body_len > SPOD_ERRMSG_MAX_BYTES)
				failf("%s: error frame with a %u-byte message", w, r.body_len);
		}
		close(fd);
		stats.malformed++;
	}
}

/* ------------------------------------------------------------------ valid traffic */

/* Sends one request and reads its answer; 1 with *r filled when status matched. */
static int request(int fd, struct frame f, uint64_t rid, int want, const char *what, struct resp *r)
{
	int ok = 0;

	le64(f.b + HDR_REQUEST_ID, rid);
	if (send_all(fd, f.b, f.len) < 0)
		failf("%s: send failed", what);
	else if (recv_frame(fd, r, what) == 1)
		ok = check_resp(r, rid, want, f.b[HDR_OPCODE], what);
	else
		failf("%s: no answer", what);
	free(f.b);
	return ok;
}

struct key {
	uint8_t id[SPOD_KEY_ID_BYTES];
	uint8_t alg;
	uint8_t pub[SPOD_PUB_MAX_BYTES];
	size_t pub_len;
};

static int generate(int fd, struct key *k, uint8_t alg)
{
	struct resp r;
	uint32_t off, len;

	if (!request(fd, generate_frame(alg), 7000 + alg, SPOD_OK, "generate", &r))
		return -1;
	off = rd32(r.body + KEY_PUB_OFF);
	len = rd32(r.body + KEY_PUB_LEN);
	if (r.body_len < KEY_FIXED || r.body[KEY_ALG] != alg || len > SPOD_PUB_MAX_BYTES ||
	    off < KEY_FIXED || off > r.body_len || len > r.body_len - off) {
		failf("generate %s: malformed key response", spod_alg_name(alg));
		return -1;
	}
	memcpy(k->id, r.body + KEY_ID, SPOD_KEY_ID_BYTES);
	k->alg = alg;
	memcpy(k->pub, r.body + off, len);
	k->pub_len = len;
	return 0;
}

/* Signs with k over fd and verifies the signature in-process. */
static int sign_verify(int fd, const struct key *k, uint64_t rid, const char *what)
{
	uint8_t msg[100];
	uint8_t mode = k->alg == SPOD_ALG_ED25519 ? SPOD_MODE_RAW : SPOD_MODE_SHA256;
	struct resp r;
	uint32_t off, len;
	char w[96];

	snprintf(w, sizeof(w), "%s: %s sign", what, spod_alg_name(k->alg));
	spod_random(msg, sizeof(msg));
	if (!request(fd, simple_sign(k->id, mode, msg, sizeof(msg)), rid, SPOD_OK, w, &r))
		return -1;
	if (r.body_len < SIG_FIXED) {
		failf("%s: short signature response", w);
		return -1;
	}
	off = rd32(r.body + SIG_OFF);
	len = rd32(r.body + SIG_LEN);
	if (off < SIG_FIXED || off > r.body_len || len > r.body_len - off || len != 64) {
		failf("%s: malformed signature response", w);
		return -1;
	}
	if (spod_verify(k->alg, k->pub, k->pub_len, mode, msg, sizeof(msg), r.body + off, len) !=
	    SPOD_OK) {
		failf("%s: signature does not verify", w);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const uint8_t algs[3] = {SPOD_ALG_ED25519, SPOD_ALG_SECP256K1, SPOD_ALG_P256};
	uint8_t ids[3][SPOD_KEY_ID_BYTES];
	struct key keys[3];
	int64_t t0 = now_ms();
	unsigned rejected = 0;
	int fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 2) {
		fprintf(stderr, "usage: vsock_badframes URI   (unix://PATH or vsock://CID:PORT)\n");
		return 2;
	}
	g_uri = argv[1];
	if (spod_crypto_init(0) != SPOD_OK) {
		fprintf(stderr, "vsock_badframes: crypto init failed\n");
		return 1;
	}
	if ((fd = dial()) < 0)
		return 1;
	for (int a = 0; a < 3; a++) {
		if (generate(fd, &keys[a], algs[a]) < 0) {
			close(fd);
			return 1;
		}
		memcpy(ids[a], keys[a].id, SPOD_KEY_ID_BYTES);
	}
	close(fd);

	build_cases((const uint8_t(*)[SPOD_KEY_ID_BYTES])ids);
	for (size_t i = 0; i < ncases; i++)
		rejected += cases[i].want != SPOD_OK;
	one_by_one();
	pipelined(0);
	pipelined(1);
	closing_cases();
	truncated_and_random();

	/* Afterwards: the largest legal echo, the largest message, then every key signs. */
	if ((fd = dial()) < 0)
		return 1;
	{
		static uint8_t body[SPOD_BODY_MAX_BYTES], msg[SPOD_MSG_MAX_BYTES];
		struct resp r;

		spod_random(body, sizeof(body));
		if (request(fd, raw_body(SPOD_OP_ECHO, body, sizeof(body)), 77, SPOD_OK,
		            "echo of the largest legal body", &r) &&
		    (r.body_len != sizeof(body) || memcmp(r.body, body, sizeof(body)) != 0))
			failf("echo of the largest legal body came back different");
		spod_random(msg, sizeof(msg));
		request(fd, simple_sign(keys[0].id, SPOD_MODE_RAW, msg, sizeof(msg)), 78, SPOD_OK,
		        "sign of a 64 KiB message", &r);
	}
	for (int a = 0; a < 3; a++)
		sign_verify(fd, &keys[a], 8000 + (uint64_t)a, "after the bad frames");
	for (int a = 0; a < 3; a++) {
		struct resp r;
		request(fd, raw_body(SPOD_OP_KEY_DELETE, keys[a].id, SPOD_KEY_ID_BYTES),
		        9000 + (uint64_t)a, SPOD_OK, "delete", &r);
	}
	close(fd);

	for (size_t i = 0; i < ncases; i++)
		free(cases[i].f.b);
	printf("badframes %s: %u malformed frames (%u kinds answered in place), %u valid frames "
	       "mixed in, %u responses, %u connections, %" PRId64 " ms; then 3 signatures "
	       "verified\n",
	       g_uri, stats.malformed, rejected, stats.valid, stats.responses, stats.connections,
	       now_ms() - t0);
	printf("summary: malformed=%u kinds=%u valid=%u responses=%u connections=%u ms=%" PRId64
	       " failures=%d\n",
	       stats.malformed, rejected, stats.valid, stats.responses, stats.connections,
	       now_ms() - t0, failures);
	spod_crypto_cleanup();
	if (failures) {
		fprintf(stderr, "vsock_badframes: %d failures\n", failures);
		return 1;
	}
	return 0;
}
