/* The fake binary backend of the HTTP server's tests (http_fake.h). */
#include "http_fake.h"

#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "spod/err.h"
#include "spod/wire.h"

#define REPLY_BYTES (256u * 1024u)

const uint8_t fake_seal_key_id[16] = {0x5e, 0xa1, [15] = 0x0d};

/* cmocka's asserts must not run in the fake's thread: it aborts instead. */
#define FAKE_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

int fake_send_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void fake_close(struct fake *f, int i)
{
	close(f->fds[i]);
	f->fds[i] = -1;
	f->rx_len[i] = 0;
	atomic_fetch_sub(&f->open_conns, 1);
}

/* key.public and key.delete: steered by the key id's first byte. */
static int answer_key(const struct spod_frame *fr, uint8_t *out, size_t *n)
{
	static const uint8_t pub[32] = {0x42};
	uint8_t op = fr->hdr.opcode;
	uint64_t rid = fr->hdr.request_id;
	struct spod_key_req key;

	FAKE_CHECK(spod_wire_key_req(&key, fr) == SPOD_OK);
	if (key.key_id[0] == KEY_MISSING)
		return spod_wire_put_error(out, REPLY_BYTES, n, op, rid, SPOD_E_KEY_NOT_FOUND,
		                           "fake: no such key");
	if (op == SPOD_OP_KEY_DELETE && key.key_id[0] == KEY_FORBIDDEN)
		return spod_wire_put_error(out, REPLY_BYTES, n, op, rid, SPOD_E_FORBIDDEN,
		                           "fake: not in the token's keys");
	if (op == SPOD_OP_KEY_DELETE)
		return spod_wire_put_empty(out, REPLY_BYTES, n, SPOD_OP_KEY_DELETE, rid);
	return spod_wire_put_key(out, REPLY_BYTES, n, SPOD_OP_KEY_PUBLIC, rid, key.key_id,
	                         SPOD_ALG_ED25519, pub, sizeof(pub), "fake-key", 8);
}

/* The pod's refusal of an envelope whose first byte is env, or 0 when it has none. */
static int envelope_refusal(uint8_t env, const char **msg)
{
	static const struct {
		uint8_t env;
		int err;
		const char *msg;
	} refusals[] = {
	    {ENV_MODE_CONFLICT, SPOD_E_MODE_CONFLICT,
	     "fake: this enclave is not in custodian mode"},
	    {ENV_REPLAYED, SPOD_E_REPLAYED, "fake: the envelope's attestation nonce was used"},
	    {ENV_WRONG_SEAL_KEY, SPOD_E_WRONG_SEAL_KEY, "fake: a share of another seal key"},
	    {ENV_BAD_SHARE, SPOD_E_BAD_SHARE, "fake: share 3 is here already"},
	    {ENV_FORBIDDEN, SPOD_E_FORBIDDEN, "fake: the token lacks the op"},
	    {ENV_GARBAGE, SPOD_E_BAD_FIELD, "fake: the envelope does not open"},
	};

	for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++)
		if (refusals[i].env == env) {
			*msg = refusals[i].msg;
			return refusals[i].err;
		}
	return 0;
}

/*
 * seal.status, custodian.share and key.import. A share envelope starting with
 * ENV_SHARE_LAST rebuilds the seal key, any other unrefused one is the first of two; an
 * import answers a secp256k1 key labelled "imported", with a sealed blob as the enclave's
 * answers carry.
 */
static int answer_seal(const struct spod_frame *fr, uint8_t *out, size_t *n)
{
	static const uint8_t key_id[SPOD_KEY_ID_BYTES] = {0x1d, [15] = 0x1d};
	static const uint8_t pub[65] = {0x04, 0x77};
	static const uint8_t blob[48] = {0xb1};
	struct spod_seal_view seal = {.mode = SPOD_SEAL_EPHEMERAL,
	                              .ready = 1,
	                              .seal_key_id = fake_seal_key_id,
	                              .key_count = 3};
	struct spod_key_view key = {.key_id = key_id,
	                            .alg = SPOD_ALG_SECP256K1,
	                            .pub = pub,
	                            .pub_len = sizeof(pub),
	                            .label = "imported",
	                            .label_len = 8,
	                            .blob = blob,
	                            .blob_len = sizeof(blob)};
	uint8_t op = fr->hdr.opcode;
	uint64_t rid = fr->hdr.request_id;
	struct spod_item_req item;
	const char *msg = NULL;
	int err;

	if (op == SPOD_OP_SEAL_STATUS)
		return spod_wire_put_seal(out, REPLY_BYTES, n, op, rid, &seal);
	FAKE_CHECK(spod_wire_item_req(&item, fr) == SPOD_OK);
	err = envelope_refusal(item.data[0], &msg);
	if (err != 0)
		return spod_wire_put_error(out, REPLY_BYTES, n, op, rid, err, msg);
	if (op == SPOD_OP_KEY_IMPORT)
		return spod_wire_put_sealed_key(out, REPLY_BYTES, n, op, rid, &key);
	seal = (struct spod_seal_view){.mode = SPOD_SEAL_CUSTODIANS,
	                               .threshold = 2,
	                               .shares = 3,
	                               .present = 1,
	                               .seal_key_id = fake_seal_key_id};
	if (item.data[0] == ENV_SHARE_LAST) {
		seal.ready = 1;
		seal.present = 2;
	}
	return spod_wire_put_seal(out, REPLY_BYTES, n, op, rid, &seal);
}

/* Answers one frame; returns 1 when the connection must be closed afterwards. */
static int fake_answer(struct fake *f, int fd, const struct spod_frame *fr, uint8_t *out)
{
	static const uint8_t zero_id[SPOD_KEY_ID_BYTES];
	struct spod_hello_req hello;
	uint64_t rid = fr->hdr.request_id;
	size_t n = 0;
	int close_now = 0, rc;

	switch (fr->hdr.opcode) {
	case SPOD_OP_HELLO:
		atomic_fetch_add(&f->hellos, 1);
		FAKE_CHECK(spod_wire_hello_req(&hello, fr) == SPOD_OK);
		if (hello.token_len >= 3 && memcmp(hello.token, "bad", 3) == 0) {
			rc = spod_wire_put_error(out, REPLY_BYTES, &n, SPOD_OP_HELLO, rid,
			                         SPOD_E_UNAUTHENTICATED, "unknown token");
			close_now = 1;
		} else {
			rc = spod_wire_put_hello(out, REPLY_BYTES, &n, rid, zero_id,
			                         SPOD_HELLO_AUTH, 0x3f);
		}
		break;
	case SPOD_OP_KEY_PUBLIC:
	case SPOD_OP_KEY_DELETE:
		if (atomic_load(&f->stall)) {
			atomic_fetch_add(&f->stalled, 1);
			return 0;
		}
		rc = answer_key(fr, out, &n);
		close_now = atomic_load(&f->close_after);
		break;
	case SPOD_OP_SEAL_STATUS:
	case SPOD_OP_CUSTODIAN_SHARE:
	case SPOD_OP_KEY_IMPORT:
		rc = answer_seal(fr, out, &n);
		break;
	default:
		rc = spod_wire_put_error(out, REPLY_BYTES, &n, fr->hdr.opcode, rid,
		                         SPOD_E_UNKNOWN_OP, "fake: not implemented");
		break;
	}
	FAKE_CHECK(rc == SPOD_OK);
	if (fake_send_all(fd, out, n) < 0)
		return 1;
	return close_now;
}

static void fake_read(struct fake *f, int i, uint8_t *out)
{
	struct spod_frame fr;
	ssize_t n = recv(f->fds[i], f->rx[i] + f->rx_len[i], FAKE_RX_BYTES - f->rx_len[i], 0);
	size_t off = 0;

	if (n <= 0) {
		fake_close(f, i);
		return;
	}
	f->rx_len[i] += (size_t)n;
	while (spod_wire_frame(&fr, f->rx[i] + off, f->rx_len[i] - off) == SPOD_OK) {
		off += fr.frame_len;
		if (fake_answer(f, f->fds[i], &fr, out)) {
			fake_close(f, i);
			return;
		}
	}
	memmove(f->rx[i], f->rx[i] + off, f->rx_len[i] - off);
	f->rx_len[i] -= off;
}

static void *fake_run(void *arg)
{
	struct fake *f = arg;
	uint8_t *out = malloc(REPLY_BYTES);

	FAKE_CHECK(out != NULL);
	while (!atomic_load(&f->stop)) {
		struct pollfd p[FAKE_CONNS + 1];
		int idx[FAKE_CONNS + 1], np = 0;

		p[np] = (struct pollfd){.fd = f->lfd, .events = POLLIN};
		idx[np++] = -1;
		for (int i = 0; i < FAKE_CONNS; i++)
			if (f->fds[i] >= 0) {
				p[np] = (struct pollfd){.fd = f->fds[i], .events = POLLIN};
				idx[np++] = i;
			}
		if (poll(p, (nfds_t)np, 20) <= 0)
			continue;
		for (int k = 0; k < np; k++) {
			if (!(p[k].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (idx[k] >= 0) {
				fake_read(f, idx[k], out);
				continue;
			}
			int fd = accept(f->lfd, NULL, NULL);
			int slot = 0;

			while (slot < FAKE_CONNS && f->fds[slot] >= 0)
				slot++;
			if (fd < 0)
				continue;
			if (slot == FAKE_CONNS) {
				close(fd);
				continue;
			}
			f->fds[slot] = fd;
			atomic_fetch_add(&f->open_conns, 1);
		}
	}
	for (int i = 0; i < FAKE_CONNS; i++)
		if (f->fds[i] >= 0)
			fake_close(f, i);
	free(out);
	return NULL;
}

void fake_start(struct fake *f)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	strcpy(f->dir, "/tmp/spod-http-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/host.sock", f->dir);
	snprintf(f->uri, sizeof(f->uri), "unix://%s", sa.sun_path);
	for (int i = 0; i < FAKE_CONNS; i++)
		f->fds[i] = -1;
	f->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(f->lfd >= 0);
	assert_int_equal(bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(f->lfd, 64), 0);
	assert_int_equal(pthread_create(&f->thread, NULL, fake_run, f), 0);
}

void fake_stop(struct fake *f)
{
	char path[128];

	atomic_store(&f->stop, 1);
	pthread_join(f->thread, NULL);
	close(f->lfd);
	snprintf(path, sizeof(path), "%s/host.sock", f->dir);
	unlink(path);
	rmdir(f->dir);
}
