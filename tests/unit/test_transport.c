/* Sockets, framed connections and the event loop, over unix sockets and tcp on 127.0.0.1. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/bytes.h"
#include "spod/err.h"
#include "spod/wire.h"
#include "transport/conn.h"
#include "transport/loop.h"
#include "transport/socket.h"
#include "transport/uri.h"

#define WAIT_MS         5000
#define FRAME_BUF_BYTES 4096

struct tmp_dir {
	char path[64];
};

static int tmp_setup(void **state)
{
	struct tmp_dir *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return -1;
	strcpy(d->path, "/tmp/spod-transport-XXXXXX");
	if (mkdtemp(d->path) == NULL) {
		free(d);
		return -1;
	}
	*state = d;
	return 0;
}

static int tmp_teardown(void **state)
{
	struct tmp_dir *d = *state;
	struct dirent *e;
	DIR *dir = opendir(d->path);
	char p[sizeof(d->path) + 256 + 2];

	if (dir != NULL) {
		while ((e = readdir(dir)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(p, sizeof(p), "%s/%s", d->path, e->d_name);
			unlink(p);
		}
		closedir(dir);
	}
	rmdir(d->path);
	free(d);
	return 0;
}

/* "unix://<tmp>/<name>" parsed into u; the file path is left in path. */
static void unix_uri(struct spod_uri *u, char *path, size_t cap, void **state, const char *name)
{
	const struct tmp_dir *d = *state;
	char text[160];

	snprintf(path, cap, "%s/%s", d->path, name);
	snprintf(text, sizeof(text), "unix://%s", path);
	assert_int_equal(spod_uri_parse(u, text), SPOD_OK);
}

static void wait_fd(int fd, short events)
{
	struct pollfd p = {.fd = fd, .events = events};

	assert_int_equal(poll(&p, 1, WAIT_MS), 1);
}

static void assert_nonblock_cloexec(int fd)
{
	assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
}

static void assert_nodelay(int fd)
{
	int v = 0;
	socklen_t len = sizeof(v);

	assert_int_equal(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &len), 0);
	assert_int_not_equal(v, 0);
}

static int accept_one(int lfd)
{
	int fd = -1;

	wait_fd(lfd, POLLIN);
	assert_int_equal(spod_accept(&fd, lfd, NULL), SPOD_OK);
	assert_true(fd >= 0);
	assert_nonblock_cloexec(fd);
	return fd;
}

/* Sends a few bytes each way and checks they arrive intact. */
static void exchange(int a, int b)
{
	char buf[8];

	assert_int_equal(write(a, "ping", 4), 4);
	wait_fd(b, POLLIN);
	assert_int_equal(read(b, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "ping", 4);
	assert_int_equal(write(b, "pong!", 5), 5);
	wait_fd(a, POLLIN);
	assert_int_equal(read(a, buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "pong!", 5);
}

static void test_unix_listen_connect(void **state)
{
	struct spod_uri u;
	char path[128];
	struct stat st;
	int lfd, cfd, sfd;
	uint32_t port;

	unix_uri(&u, path, sizeof(path), state, "s.sock");
	assert_int_equal(spod_listen(&lfd, &u), SPOD_OK);
	assert_nonblock_cloexec(lfd);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(spod_listen_port(&port, lfd), SPOD_E_IO);

	assert_int_equal(spod_accept(&sfd, lfd, NULL), SPOD_E_AGAIN);
	assert_int_equal(sfd, -1);

	assert_int_equal(spod_connect(&cfd, &u, WAIT_MS), SPOD_OK);
	assert_nonblock_cloexec(cfd);
	sfd = accept_one(lfd);
	exchange(cfd, sfd);

	close(cfd);
	close(sfd);
	close(lfd);
}

static void test_unix_mode_ignores_umask(void **state)
{
	struct spod_uri u;
	char path[128];
	struct stat st;
	mode_t old = umask(0);
	int lfd;

	unix_uri(&u, path, sizeof(path), state, "open.sock");
	assert_int_equal(spod_listen(&lfd, &u), SPOD_OK);
	assert_int_equal(umask(old), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	close(lfd);
}

static void test_unix_connect_missing(void **state)
{
	struct spod_uri u;
	char path[128];
	int fd;

	unix_uri(&u, path, sizeof(path), state, "nobody.sock");
	assert_int_equal(spod_connect(&fd, &u, WAIT_MS), SPOD_E_UNAVAILABLE);
	assert_int_equal(fd, -1);
}

static void test_unix_stale_socket_replaced(void **state)
{
	struct spod_uri u;
	char path[128];
	int lfd, cfd, sfd;

	unix_uri(&u, path, sizeof(path), state, "stale.sock");
	assert_int_equal(spod_listen(&lfd, &u), SPOD_OK);
	close(lfd);
	/* The file stays behind with nobody listening. */
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(spod_connect(&cfd, &u, WAIT_MS), SPOD_E_UNAVAILABLE);

	assert_int_equal(spod_listen(&lfd, &u), SPOD_OK);
	assert_int_equal(spod_connect(&cfd, &u, WAIT_MS), SPOD_OK);
	sfd = accept_one(lfd);
	exchange(cfd, sfd);
	close(cfd);
	close(sfd);
	close(lfd);
}

static void test_unix_regular_file_kept(void **state)
{
	struct spod_uri u;
	char path[128];
	char buf[16];
	int fd;

	unix_uri(&u, path, sizeof(path), state, "precious");
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "keep me", 7), 7);
	close(fd);

	assert_int_equal(spod_listen(&fd, &u), SPOD_E_IO);
	assert_int_equal(fd, -1);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, buf, sizeof(buf)), 7);
	assert_memory_equal(buf, "keep me", 7);
	close(fd);
}

static void test_tcp_listen_connect(void **state)
{
	struct spod_uri u;
	char text[64];
	uint32_t port = 0;
	int lfd, cfd, sfd;

	(void)state;
	assert_int_equal(spod_uri_parse(&u, "tcp://127.0.0.1:0"), SPOD_OK);
	assert_int_equal(spod_listen(&lfd, &u), SPOD_OK);
	assert_nonblock_cloexec(lfd);
	assert_int_equal(spod_listen_port(&port, lfd), SPOD_OK);
	assert_true(port > 0 && port <= 65535);
	assert_int_equal(spod_accept(&sfd, lfd, NULL), SPOD_E_AGAIN);

	snprintf(text, sizeof(text), "tcp://127.0.0.1:%u", (unsigned)port);
	assert_int_equal(spod_uri_parse(&u, text), SPOD_OK);
	assert_int_equal(spod_connect(&cfd, &u, WAIT_MS), SPOD_OK);
	assert_nonblock_cloexec(cfd);
	assert_nodelay(cfd);
	sfd = accept_one(lfd);
	assert_nodelay(sfd);
	exchange(cfd, sfd);

	close(cfd);
	close(sfd);
	close(lfd);
}

/* Who connected: a unix peer's uid, a TCP peer's source address (127.0.0.2 here). */
static void test_accept_peer(void **state)
{
	struct sockaddr_in src = {.sin_family = AF_INET}, dst = {.sin_family = AF_INET};
	struct spod_peer p1, p2;
	struct spod_uri u;
	char path[128], text[48];
	socklen_t len = sizeof(dst);
	int lfd, cfd, sfd;

	unix_uri(&u, path, sizeof(path), state, "peer.sock");
	assert_int_equal(spod_listen(&lfd, &u), SPOD_OK);
	assert_int_equal(spod_connect(&cfd, &u, WAIT_MS), SPOD_OK);
	wait_fd(lfd, POLLIN);
	assert_int_equal(spod_accept(&sfd, lfd, &p1), SPOD_OK);
	assert_int_equal(p1.family, AF_UNIX);
	assert_int_equal(p1.uid, (uint32_t)getuid());
	spod_peer_text(text, sizeof(text), &p1);
	assert_true(strncmp(text, "uid ", 4) == 0);
	assert_true(spod_peer_same(&p1, &p1));
	close(cfd);
	close(sfd);
	close(lfd);

	assert_int_equal(spod_uri_parse(&u, "tcp://127.0.0.1:0"), SPOD_OK);
	assert_int_equal(spod_listen(&lfd, &u), SPOD_OK);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&dst, &len), 0);
	cfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(cfd >= 0);
	assert_int_equal(inet_pton(AF_INET, "127.0.0.2", &src.sin_addr), 1);
	assert_int_equal(bind(cfd, (struct sockaddr *)&src, sizeof(src)), 0);
	assert_int_equal(connect(cfd, (struct sockaddr *)&dst, sizeof(dst)), 0);
	wait_fd(lfd, POLLIN);
	assert_int_equal(spod_accept(&sfd, lfd, &p2), SPOD_OK);
	assert_int_equal(p2.family, AF_INET);
	spod_peer_text(text, sizeof(text), &p2);
	assert_string_equal(text, "127.0.0.2");
	assert_false(spod_peer_same(&p1, &p2));
	p1 = p2;
	p1.addr[3] = 3; /* 127.0.0.3 */
	assert_false(spod_peer_same(&p1, &p2));
	close(sfd);

	/* Out of descriptors: SPOD_E_BUSY, and the connection stays queued for later. */
	{
		struct rlimit old, low;
		int probe = dup(0), c2;

		assert_true(probe >= 0);
		close(probe); /* every descriptor below probe is in use */
		c2 = socket(AF_INET, SOCK_STREAM, 0);
		assert_true(c2 >= 0);
		assert_int_equal(connect(c2, (struct sockaddr *)&dst, sizeof(dst)), 0);
		wait_fd(lfd, POLLIN);
		assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
		low = old;
		low.rlim_cur = (rlim_t)c2 + 1; /* nothing free above c2 either */
		assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
		assert_int_equal(spod_accept(&sfd, lfd, NULL), SPOD_E_BUSY);
		assert_int_equal(sfd, -1);
		assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
		assert_int_equal(spod_accept(&sfd, lfd, NULL), SPOD_OK);
		close(sfd);
		close(c2);
	}
	close(cfd);
	close(lfd);
}

static void test_tcp_refused(void **state)
{
	struct spod_uri u;
	char text[64];
	uint32_t port = 0;
	int lfd, cfd;

	(void)state;
	assert_int_equal(spod_uri_parse(&u, "tcp://127.0.0.1:0"), SPOD_OK);
	assert_int_equal(spod_listen(&lfd, &u), SPOD_OK);
	assert_int_equal(spod_listen_port(&port, lfd), SPOD_OK);
	close(lfd);

	snprintf(text, sizeof(text), "tcp://127.0.0.1:%u", (unsigned)port);
	assert_int_equal(spod_uri_parse(&u, text), SPOD_OK);
	assert_int_equal(spod_connect(&cfd, &u, WAIT_MS), SPOD_E_UNAVAILABLE);
	assert_int_equal(cfd, -1);
}

static void test_bad_uri_struct(void **state)
{
	struct spod_uri u;
	int fd;

	(void)state;
	memset(&u, 0, sizeof(u));
	assert_int_equal(spod_listen(&fd, &u), SPOD_E_BAD_URI);
	assert_int_equal(spod_connect(&fd, &u, 0), SPOD_E_BAD_URI);
	u.kind = SPOD_URI_UNIX;
	assert_int_equal(spod_listen(&fd, &u), SPOD_E_BAD_URI);
}

/* ---- framed connections ---- */

/* Writes a frame with a hand-built header (docs/protocol.md) and returns its length. */
static size_t put_frame(uint8_t *out, uint8_t opcode, uint64_t rid, const uint8_t *body,
                        uint32_t body_len)
{
	spod_put_le32(out + 0, 0x444f5053u);
	out[4] = 1;
	out[5] = opcode;
	spod_put_le16(out + 6, 0);
	spod_put_le64(out + 8, rid);
	spod_put_le16(out + 16, 0);
	spod_put_le16(out + 18, 0);
	spod_put_le32(out + 20, body_len);
	if (body_len > 0)
		memcpy(out + 24, body, body_len);
	return 24 + (size_t)body_len;
}

static void conn_pair(struct spod_conn *c, int *peer, size_t tx_cap)
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(spod_conn_init(c, sv[0], SPOD_FRAME_MAX_BYTES, tx_cap), SPOD_OK);
	*peer = sv[1];
}

static long fill_ready(struct spod_conn *c)
{
	wait_fd(c->fd, POLLIN);
	return spod_conn_fill(c);
}

static void test_conn_init_bad_arg(void **state)
{
	struct spod_conn c;
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(spod_conn_init(&c, sv[0], SPOD_FRAME_MAX_BYTES - 1, 64), SPOD_E_BAD_ARG);
	/* The fd was closed on failure. */
	assert_int_equal(fcntl(sv[0], F_GETFD), -1);
	assert_int_equal(errno, EBADF);
	spod_conn_free(&c);
	close(sv[1]);
}

/* Runs poke(c, i) in a child process; returns 1 when the child died instead of exiting 0. */
static int child_faults(struct spod_conn *c, size_t i, void (*poke)(struct spod_conn *, size_t))
{
	int status = 0;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit no_core = {0, 0};

		setrlimit(RLIMIT_CORE, &no_core); /* a fault here is expected: no core file */
		poke(c, i);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void poke_rx(struct spod_conn *c, size_t i)
{
	((volatile uint8_t *)c->rx)[i] = 0xa5;
}

static void poke_tx(struct spod_conn *c, size_t i)
{
	((volatile uint8_t *)c->tx)[i] = 0x5a;
}

/*
 * The buffers are mapped, not allocated: every byte up to each capacity is usable, the byte
 * past either buffer faults (guard pages), and freeing unmaps them (their pages go back to
 * the system: spod-host's RSS does not ratchet up with connection churn).
 */
static void test_conn_buffers_mapped(void **state)
{
	/* an odd tx capacity: the buffer still ends right at its guard page */
	const size_t rx_cap = SPOD_FRAME_MAX_BYTES, tx_cap = 3 * 4096 + 5;
	struct spod_conn c;
	unsigned char vec[1];
	uint8_t *map;
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(spod_conn_init(&c, sv[0], rx_cap, tx_cap), SPOD_OK);
	assert_non_null(c.map);
	memset(c.rx, 0x11, c.rx_cap);
	memset(c.tx, 0x22, c.tx_cap);
	assert_int_equal(c.rx[rx_cap - 1], 0x11);
	assert_int_equal(c.tx[tx_cap - 1], 0x22);
	assert_false(child_faults(&c, rx_cap - 1, poke_rx));
	assert_false(child_faults(&c, tx_cap - 1, poke_tx));
	assert_true(child_faults(&c, rx_cap, poke_rx));
	assert_true(child_faults(&c, tx_cap, poke_tx));
	map = c.map;
	spod_conn_free(&c);
	assert_null(c.map);
	assert_int_equal(c.fd, -1);
	/* unmapped: the kernel no longer knows the range (mincore fails with ENOMEM) */
	assert_int_equal(mincore(map, 4096, vec), -1);
	assert_int_equal(errno, ENOMEM);
	spod_conn_free(&c); /* twice is harmless */
	close(sv[1]);
}

static void test_conn_byte_at_a_time(void **state)
{
	static const uint8_t body[] = {'h', 'e', 'l', 'l', 'o'};
	uint8_t buf[FRAME_BUF_BYTES];
	struct spod_conn c;
	struct spod_frame f;
	size_t len = put_frame(buf, SPOD_OP_ECHO, 0x1122334455667788u, body, sizeof(body));
	int peer;

	(void)state;
	conn_pair(&c, &peer, 1024);
	assert_int_equal(spod_conn_next(&c, &f), SPOD_E_AGAIN);
	for (size_t i = 0; i < len; i++) {
		assert_int_equal(write(peer, buf + i, 1), 1);
		assert_int_equal(fill_ready(&c), 1);
		if (i + 1 < len) {
			assert_int_equal(spod_conn_next(&c, &f), SPOD_E_AGAIN);
			assert_int_equal(c.rx_start, 0);
		}
	}
	assert_int_equal(spod_conn_next(&c, &f), SPOD_OK);
	assert_int_equal(f.hdr.magic, SPOD_WIRE_MAGIC);
	assert_int_equal(f.hdr.version, 1);
	assert_int_equal(f.hdr.opcode, SPOD_OP_ECHO);
	assert_int_equal(f.hdr.request_id, 0x1122334455667788u);
	assert_int_equal(f.body_len, sizeof(body));
	assert_int_equal(f.frame_len, len);
	assert_ptr_equal(f.body, c.rx + 24);
	assert_memory_equal(f.body, body, sizeof(body));
	assert_int_equal(spod_conn_next(&c, &f), SPOD_E_AGAIN);

	spod_conn_compact(&c);
	assert_int_equal(c.rx_start, 0);
	assert_int_equal(c.rx_end, 0);
	assert_int_equal(spod_conn_fill(&c), SPOD_E_AGAIN);

	close(peer);
	spod_conn_free(&c);
	spod_conn_free(&c);
}

static void test_conn_many_frames_one_read(void **state)
{
	uint8_t body[40];
	uint8_t buf[FRAME_BUF_BYTES];
	struct spod_conn c;
	struct spod_frame f;
	size_t len = 0;
	int peer;

	(void)state;
	for (size_t i = 0; i < sizeof(body); i++)
		body[i] = (uint8_t)i;
	for (uint32_t i = 0; i < 20; i++)
		len += put_frame(buf + len, SPOD_OP_SIGN, 1000 + i, body, i * 2);
	conn_pair(&c, &peer, 1024);
	assert_int_equal(write(peer, buf, len), (ssize_t)len);
	assert_int_equal(fill_ready(&c), (long)len);
	for (uint32_t i = 0; i < 20; i++) {
		assert_int_equal(spod_conn_next(&c, &f), SPOD_OK);
		assert_int_equal(f.hdr.request_id, 1000 + i);
		assert_int_equal(f.body_len, i * 2);
		if (i > 0)
			assert_memory_equal(f.body, body, i * 2);
	}
	assert_int_equal(spod_conn_next(&c, &f), SPOD_E_AGAIN);
	assert_int_equal(c.rx_start, len);
	close(peer);
	spod_conn_free(&c);
}

static void test_conn_compact_keeps_partial(void **state)
{
	static const uint8_t body[] = "0123456789abcdef";
	uint8_t buf[FRAME_BUF_BYTES];
	struct spod_conn c;
	struct spod_frame f;
	size_t first = put_frame(buf, SPOD_OP_ECHO, 1, body, sizeof(body));
	size_t second = put_frame(buf + first, SPOD_OP_ECHO, 2, body, sizeof(body));
	size_t part = second / 2;
	int peer;

	(void)state;
	conn_pair(&c, &peer, 1024);
	assert_int_equal(write(peer, buf, first + part), (ssize_t)(first + part));
	assert_int_equal(fill_ready(&c), (long)(first + part));
	assert_int_equal(spod_conn_next(&c, &f), SPOD_OK);
	assert_int_equal(f.hdr.request_id, 1);
	assert_int_equal(spod_conn_next(&c, &f), SPOD_E_AGAIN);

	spod_conn_compact(&c);
	assert_int_equal(c.rx_start, 0);
	assert_int_equal(c.rx_end, part);
	assert_memory_equal(c.rx, buf + first, part);

	assert_int_equal(write(peer, buf + first + part, second - part), (ssize_t)(second - part));
	assert_int_equal(fill_ready(&c), (long)(second - part));
	assert_int_equal(spod_conn_next(&c, &f), SPOD_OK);
	assert_int_equal(f.hdr.request_id, 2);
	assert_ptr_equal(f.body, c.rx + 24);
	assert_memory_equal(f.body, body, sizeof(body));
	close(peer);
	spod_conn_free(&c);
}

static void test_conn_unframeable(void **state)
{
	uint8_t buf[FRAME_BUF_BYTES];
	struct spod_conn c;
	struct spod_frame f;
	int peer;

	(void)state;
	conn_pair(&c, &peer, 1024);
	assert_int_equal(write(peer, "GET / HTTP/1.1\r\n", 16), 16);
	assert_int_equal(fill_ready(&c), 16);
	assert_int_equal(spod_conn_next(&c, &f), SPOD_E_BAD_MAGIC);
	assert_int_equal(c.rx_start, 0);
	close(peer);
	spod_conn_free(&c);

	conn_pair(&c, &peer, 1024);
	put_frame(buf, SPOD_OP_ECHO, 1, NULL, 0);
	spod_put_le32(buf + 20, SPOD_BODY_MAX_BYTES + 1);
	assert_int_equal(write(peer, buf, 24), 24);
	assert_int_equal(fill_ready(&c), 24);
	assert_int_equal(spod_conn_next(&c, &f), SPOD_E_TOO_LARGE);
	close(peer);
	spod_conn_free(&c);
}

static void test_conn_rx_full(void **state)
{
	struct spod_conn c;
	int peer;

	(void)state;
	conn_pair(&c, &peer, 1024);
	assert_int_equal(write(peer, "SPOD", 4), 4);
	c.rx_start = c.rx_cap - 1;
	c.rx_end = c.rx_cap;
	assert_int_equal(spod_conn_fill(&c), SPOD_E_TOO_LARGE);
	spod_conn_compact(&c);
	assert_int_equal(c.rx_end, 1);
	assert_int_equal(fill_ready(&c), 4);
	close(peer);
	spod_conn_free(&c);
}

static void test_conn_peer_close(void **state)
{
	uint8_t buf[FRAME_BUF_BYTES];
	struct spod_conn c;
	struct spod_frame f;
	size_t len = put_frame(buf, SPOD_OP_INFO, 9, NULL, 0);
	int peer;

	(void)state;
	conn_pair(&c, &peer, 1024);
	assert_int_equal(write(peer, buf, len), (ssize_t)len);
	close(peer);
	assert_int_equal(fill_ready(&c), (long)len);
	assert_int_equal(spod_conn_fill(&c), SPOD_E_CLOSED);
	assert_int_equal(spod_conn_next(&c, &f), SPOD_OK);
	assert_int_equal(f.hdr.request_id, 9);

	/* Writing to a closed peer is an error code, not a SIGPIPE. */
	memcpy(spod_conn_tx_reserve(&c, 8), "12345678", 8);
	spod_conn_tx_commit(&c, 8);
	assert_int_equal(spod_conn_flush(&c), SPOD_E_CLOSED);
	spod_conn_free(&c);
}

static void test_conn_tx_reserve(void **state)
{
	struct spod_conn c;
	uint8_t *p;
	int peer;

	(void)state;
	conn_pair(&c, &peer, 64);
	assert_null(spod_conn_tx_reserve(&c, 65));
	p = spod_conn_tx_reserve(&c, 64);
	assert_ptr_equal(p, c.tx);
	for (int i = 0; i < 40; i++)
		p[i] = (uint8_t)i;
	spod_conn_tx_commit(&c, 40);
	assert_int_equal(spod_conn_tx_pending(&c), 40);
	assert_ptr_equal(spod_conn_tx_reserve(&c, 24), c.tx + 40);
	assert_null(spod_conn_tx_reserve(&c, 25));

	/* As if a flush had written the first 30 bytes: the last 10 move to the front. */
	c.tx_start = 30;
	p = spod_conn_tx_reserve(&c, 50);
	assert_ptr_equal(p, c.tx + 10);
	assert_int_equal(c.tx_start, 0);
	assert_int_equal(c.tx_end, 10);
	for (int i = 0; i < 10; i++)
		assert_int_equal(c.tx[i], 30 + i);
	assert_null(spod_conn_tx_reserve(&c, 55));
	memset(p, 0xee, 54);
	spod_conn_tx_commit(&c, 54);
	assert_int_equal(spod_conn_tx_pending(&c), 64);

	assert_int_equal(spod_conn_flush(&c), SPOD_OK);
	assert_int_equal(c.tx_start, 0);
	assert_int_equal(c.tx_end, 0);
	close(peer);
	spod_conn_free(&c);
}

static uint8_t pattern(size_t i)
{
	return (uint8_t)(i * 7 % 251);
}

static void test_conn_flush_partial(void **state)
{
	const size_t total = 1u << 20;
	uint8_t *rbuf = malloc(65536);
	struct spod_conn c;
	size_t got = 0;
	int small = 4096;
	int rc;
	uint8_t *p;
	int peer;

	(void)state;
	assert_non_null(rbuf);
	conn_pair(&c, &peer, total);
	assert_int_equal(setsockopt(c.fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)), 0);
	assert_int_equal(setsockopt(peer, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
	p = spod_conn_tx_reserve(&c, total);
	assert_non_null(p);
	for (size_t i = 0; i < total; i++)
		p[i] = pattern(i);
	spod_conn_tx_commit(&c, total);

	rc = spod_conn_flush(&c);
	assert_int_equal(rc, SPOD_E_AGAIN);
	assert_true(spod_conn_tx_pending(&c) > 0 && spod_conn_tx_pending(&c) < total);
	assert_int_equal(spod_conn_flush(&c), SPOD_E_AGAIN);

	while (got < total) {
		ssize_t n;

		wait_fd(peer, POLLIN);
		n = read(peer, rbuf, 65536);
		assert_true(n > 0);
		for (ssize_t i = 0; i < n; i++)
			if (rbuf[i] != pattern(got + (size_t)i))
				fail_msg("byte %zu corrupted", got + (size_t)i);
		got += (size_t)n;
		if (rc == SPOD_E_AGAIN)
			rc = spod_conn_flush(&c);
		assert_true(rc == SPOD_OK || rc == SPOD_E_AGAIN);
	}
	assert_int_equal(rc, SPOD_OK);
	assert_int_equal(c.tx_start, 0);
	assert_int_equal(c.tx_end, 0);
	free(rbuf);
	close(peer);
	spod_conn_free(&c);
}

/* ---- event loop ---- */

struct loop_ctx {
	int fds[2];   /* registered ends */
	int peers[2]; /* their peers */
	int calls[2];
	uint32_t events[2];
	int ticks;
	int max_ticks;
	int replaced_fd;
	int replaced_peer;
	int stale_calls;
};

static int ctx_index(const struct loop_ctx *x, int fd)
{
	return fd == x->fds[0] ? 0 : 1;
}

static void make_pair(int *a, int *b)
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
	*a = sv[0];
	*b = sv[1];
}

static void ctx_init(struct loop_ctx *x, int max_ticks)
{
	memset(x, 0, sizeof(*x));
	x->max_ticks = max_ticks;
	x->replaced_fd = -1;
	x->replaced_peer = -1;
	make_pair(&x->fds[0], &x->peers[0]);
	make_pair(&x->fds[1], &x->peers[1]);
}

static void ctx_close(struct loop_ctx *x)
{
	for (int i = 0; i < 2; i++) {
		if (x->fds[i] >= 0)
			close(x->fds[i]);
		if (x->peers[i] >= 0)
			close(x->peers[i]);
	}
	if (x->replaced_fd >= 0)
		close(x->replaced_fd);
	if (x->replaced_peer >= 0)
		close(x->replaced_peer);
}

/* Stops the loop after max_ticks wake-ups, so a broken loop fails instead of hanging. */
static void tick_limit(struct spod_loop *loop, void *arg)
{
	struct loop_ctx *x = arg;

	if (++x->ticks >= x->max_ticks)
		spod_loop_stop(loop);
}

static void cb_read_both(struct spod_loop *loop, int fd, uint32_t events, void *arg)
{
	struct loop_ctx *x = arg;
	int i = ctx_index(x, fd);
	char buf[16];

	x->calls[i]++;
	x->events[i] |= events;
	if (events & SPOD_EV_READ)
		assert_true(read(fd, buf, sizeof(buf)) > 0);
	if (x->calls[0] > 0 && x->calls[1] > 0)
		spod_loop_stop(loop);
}

static void test_loop_two_fds(void **state)
{
	struct spod_loop *loop;
	struct loop_ctx x;

	(void)state;
	ctx_init(&x, 100);
	assert_int_equal(spod_loop_new(&loop), SPOD_OK);
	assert_int_equal(spod_loop_add(loop, x.fds[0], SPOD_EV_READ, cb_read_both, &x), SPOD_OK);
	assert_int_equal(spod_loop_add(loop, x.fds[1], SPOD_EV_READ, cb_read_both, &x), SPOD_OK);
	assert_int_equal(write(x.peers[0], "a", 1), 1);
	assert_int_equal(write(x.peers[1], "b", 1), 1);
	assert_int_equal(spod_loop_run(loop, WAIT_MS, tick_limit, &x), SPOD_OK);
	assert_int_equal(x.calls[0], 1);
	assert_int_equal(x.calls[1], 1);
	assert_int_equal(x.events[0], SPOD_EV_READ);
	assert_int_equal(x.events[1], SPOD_EV_READ);
	spod_loop_free(loop);
	ctx_close(&x);
}

static void cb_timer(struct spod_loop *loop, int fd, uint32_t events, void *arg)
{
	uint64_t n;

	(void)events;
	assert_int_equal(read(fd, &n, sizeof(n)), (ssize_t)sizeof(n));
	(*(int *)arg)++;
	spod_loop_stop(loop);
}

static void stop_at_once(struct spod_loop *loop, void *arg)
{
	(*(int *)arg)++;
	spod_loop_stop(loop);
}

/* --spin-us: an event that comes while the loop polls is delivered; with nothing to come the
 * loop still blocks (here up to its timeout) after the spin instead of polling for ever. */
static void test_loop_spin(void **state)
{
	const struct itimerspec in_1ms = {.it_value = {0, 1000000}};
	struct spod_loop *loop;
	int tfd, fired = 0, ticks = 0;

	(void)state;
	assert_int_equal(spod_loop_new(&loop), SPOD_OK);
	spod_loop_set_spin(loop, SPOD_LOOP_SPIN_MAX_US + 1); /* clamped to the maximum */
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	assert_true(tfd >= 0);
	assert_int_equal(spod_loop_add(loop, tfd, SPOD_EV_READ, cb_timer, &fired), SPOD_OK);
	assert_int_equal(timerfd_settime(tfd, 0, &in_1ms, NULL), 0);
	assert_int_equal(spod_loop_run(loop, WAIT_MS, NULL, NULL), SPOD_OK);
	assert_int_equal(fired, 1);
	spod_loop_set_spin(loop, 100);
	assert_int_equal(spod_loop_run(loop, 5, stop_at_once, &ticks), SPOD_OK);
	assert_int_equal(ticks, 1);
	assert_int_equal(fired, 1);
	spod_loop_free(loop);
	close(tfd);
}

static void cb_stale(struct spod_loop *loop, int fd, uint32_t events, void *arg)
{
	struct loop_ctx *x = arg;

	(void)loop;
	(void)fd;
	(void)events;
	x->stale_calls++;
}

/*
 * Whichever callback runs first removes and closes the other fd, then registers a fresh
 * socket that (being the lowest free number) reuses the closed fd's number. The other fd's
 * event, already fetched in the same batch, must reach neither callback.
 */
static void cb_kill_other(struct spod_loop *loop, int fd, uint32_t events, void *arg)
{
	struct loop_ctx *x = arg;
	int i = ctx_index(x, fd);
	int other = 1 - i;
	char buf[16];

	x->calls[i]++;
	if (events & SPOD_EV_READ)
		assert_true(read(fd, buf, sizeof(buf)) > 0);
	if (x->fds[other] < 0)
		return;
	spod_loop_del(loop, x->fds[other]);
	close(x->fds[other]);
	make_pair(&x->replaced_fd, &x->replaced_peer);
	assert_int_equal(x->replaced_fd, x->fds[other]);
	x->fds[other] = -1;
	assert_int_equal(spod_loop_add(loop, x->replaced_fd, SPOD_EV_READ, cb_stale, x), SPOD_OK);
}

static void test_loop_del_inside_callback(void **state)
{
	struct spod_loop *loop;
	struct loop_ctx x;

	(void)state;
	ctx_init(&x, 1);
	assert_int_equal(spod_loop_new(&loop), SPOD_OK);
	assert_int_equal(spod_loop_add(loop, x.fds[0], SPOD_EV_READ, cb_kill_other, &x), SPOD_OK);
	assert_int_equal(spod_loop_add(loop, x.fds[1], SPOD_EV_READ, cb_kill_other, &x), SPOD_OK);
	assert_int_equal(write(x.peers[0], "a", 1), 1);
	assert_int_equal(write(x.peers[1], "b", 1), 1);
	assert_int_equal(spod_loop_run(loop, WAIT_MS, tick_limit, &x), SPOD_OK);
	assert_int_equal(x.ticks, 1);
	assert_int_equal(x.calls[0] + x.calls[1], 1);
	assert_int_equal(x.stale_calls, 0);

	/* The replacement is live: data for it is delivered to its own callback. */
	assert_int_equal(write(x.replaced_peer, "c", 1), 1);
	x.ticks = 0;
	assert_int_equal(spod_loop_run(loop, WAIT_MS, tick_limit, &x), SPOD_OK);
	assert_int_equal(x.stale_calls, 1);
	spod_loop_free(loop);
	ctx_close(&x);
}

static void cb_hup(struct spod_loop *loop, int fd, uint32_t events, void *arg)
{
	struct loop_ctx *x = arg;
	char buf[4];

	x->calls[0]++;
	x->events[0] = events;
	assert_int_equal(read(fd, buf, sizeof(buf)), 0);
	spod_loop_del(loop, fd);
	spod_loop_stop(loop);
}

static void test_loop_hup(void **state)
{
	struct spod_loop *loop;
	struct loop_ctx x;

	(void)state;
	ctx_init(&x, 100);
	assert_int_equal(spod_loop_new(&loop), SPOD_OK);
	assert_int_equal(spod_loop_add(loop, x.fds[0], SPOD_EV_READ, cb_hup, &x), SPOD_OK);
	close(x.peers[0]);
	x.peers[0] = -1;
	assert_int_equal(spod_loop_run(loop, WAIT_MS, tick_limit, &x), SPOD_OK);
	assert_int_equal(x.calls[0], 1);
	assert_true(x.events[0] & SPOD_EV_HUP);
	assert_true(x.events[0] & SPOD_EV_READ);
	spod_loop_free(loop);
	ctx_close(&x);
}

static void cb_writable(struct spod_loop *loop, int fd, uint32_t events, void *arg)
{
	struct loop_ctx *x = arg;

	x->calls[0]++;
	x->events[0] |= events;
	/* Writable now; watch for reading instead, which nothing will trigger. */
	assert_int_equal(spod_loop_mod(loop, fd, SPOD_EV_READ), SPOD_OK);
}

static void test_loop_write_then_mod(void **state)
{
	struct spod_loop *loop;
	struct loop_ctx x;

	(void)state;
	ctx_init(&x, 3);
	assert_int_equal(spod_loop_new(&loop), SPOD_OK);
	assert_int_equal(spod_loop_add(loop, x.fds[0], SPOD_EV_WRITE, cb_writable, &x), SPOD_OK);
	assert_int_equal(spod_loop_run(loop, 1, tick_limit, &x), SPOD_OK);
	assert_int_equal(x.ticks, 3);
	assert_int_equal(x.calls[0], 1);
	assert_int_equal(x.events[0], SPOD_EV_WRITE);
	spod_loop_free(loop);
	ctx_close(&x);
}

static void test_loop_registration_errors(void **state)
{
	struct spod_loop *loop;
	struct loop_ctx x;
	int high;

	(void)state;
	ctx_init(&x, 1);
	assert_int_equal(spod_loop_new(&loop), SPOD_OK);
	assert_int_equal(spod_loop_add(loop, -1, SPOD_EV_READ, cb_stale, &x), SPOD_E_BAD_ARG);
	assert_int_equal(spod_loop_mod(loop, x.fds[0], SPOD_EV_READ), SPOD_E_BAD_ARG);
	spod_loop_del(loop, x.fds[0]);
	spod_loop_del(loop, 100000);
	assert_int_equal(spod_loop_add(loop, x.fds[0], SPOD_EV_READ, cb_stale, &x), SPOD_OK);
	assert_int_equal(spod_loop_add(loop, x.fds[0], SPOD_EV_READ, cb_stale, &x), SPOD_E_IO);

	/* A high fd number grows the table; the earlier registration survives the move. */
	high = fcntl(x.fds[1], F_DUPFD_CLOEXEC, 700);
	assert_true(high >= 700);
	assert_int_equal(spod_loop_add(loop, high, SPOD_EV_READ, cb_stale, &x), SPOD_OK);
	assert_int_equal(write(x.peers[0], "a", 1), 1);
	assert_int_equal(spod_loop_run(loop, WAIT_MS, tick_limit, &x), SPOD_OK);
	assert_int_equal(x.stale_calls, 1);
	spod_loop_del(loop, high);
	close(high);
	spod_loop_free(loop);
	spod_loop_free(NULL);
	ctx_close(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_unix_listen_connect, tmp_setup, tmp_teardown),
	    cmocka_unit_test_setup_teardown(test_unix_mode_ignores_umask, tmp_setup, tmp_teardown),
	    cmocka_unit_test_setup_teardown(test_unix_connect_missing, tmp_setup, tmp_teardown),
	    cmocka_unit_test_setup_teardown(test_unix_stale_socket_replaced, tmp_setup,
	                                    tmp_teardown),
	    cmocka_unit_test_setup_teardown(test_unix_regular_file_kept, tmp_setup, tmp_teardown),
	    cmocka_unit_test(test_tcp_listen_connect),
	    cmocka_unit_test(test_tcp_refused),
	    cmocka_unit_test_setup_teardown(test_accept_peer, tmp_setup, tmp_teardown),
	    cmocka_unit_test(test_bad_uri_struct),
	    cmocka_unit_test(test_conn_init_bad_arg),
	    cmocka_unit_test(test_conn_buffers_mapped),
	    cmocka_unit_test(test_conn_byte_at_a_time),
	    cmocka_unit_test(test_conn_many_frames_one_read),
	    cmocka_unit_test(test_conn_compact_keeps_partial),
	    cmocka_unit_test(test_conn_unframeable),
	    cmocka_unit_test(test_conn_rx_full),
	    cmocka_unit_test(test_conn_peer_close),
	    cmocka_unit_test(test_conn_tx_reserve),
	    cmocka_unit_test(test_conn_flush_partial),
	    cmocka_unit_test(test_loop_two_fds),
	    cmocka_unit_test(test_loop_spin),
	    cmocka_unit_test(test_loop_del_inside_callback),
	    cmocka_unit_test(test_loop_hup),
	    cmocka_unit_test(test_loop_write_then_mod),
	    cmocka_unit_test(test_loop_registration_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
