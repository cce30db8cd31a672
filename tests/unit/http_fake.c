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

/* Answers one frame; returns 1 when the connection must be closed afterwards. */
static int fake_answer(struct fake *f, int fd, const struct spod_frame *fr, uint8_t *out)
{
	static const uint8_t zero_id[SPOD_KEY_ID_BYTES];
	static const uint8_t pub[32] = {0x42};
	struct spod_hello_req hello;
	struct spod_key_req key;
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
		FAKE_CHECK(spod_wire_key_req(&key, fr) == SPOD_OK);
		if (key.key_id[0] == KEY_MISSING)
			rc = spod_wire_put_error(out, REPLY_BYTES, &n, fr->hdr.opcode, rid,
			                         SPOD_E_KEY_NOT_FOUND, "fake: no such key");
		else if (fr->hdr.opcode == SPOD_OP_KEY_DELETE && key.key_id[0] == KEY_FORBIDDEN)
			rc = spod_wire_put_error(out, REPLY_BYTES, &n, fr->hdr.opcode, rid,
			                         SPOD_E_FORBIDDEN, "fake: not in the token's keys");
		else if (fr->hdr.opcode == SPOD_OP_KEY_DELETE)
			rc = spod_wire_put_empty(out, REPLY_BYTES, &n, SPOD_OP_KEY_DELETE, rid);
		else
			rc = spod_wire_put_key(out, REPLY_BYTES, &n, SPOD_OP_KEY_PUBLIC, rid,
			                       key.key_id, SPOD_ALG_ED25519, pub, sizeof(pub),
			                       "fake-key", 8);
		close_now = atomic_load(&f->close_after);
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
