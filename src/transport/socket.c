/* Listening and connecting sockets for unix, tcp and vsock URIs (see socket.h). */
#include "transport/socket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/vm_sockets.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "spod/err.h"

#define LISTEN_BACKLOG SOMAXCONN /* the kernel caps it at net.core.somaxconn */

_Static_assert(SPOD_URI_VSOCK_CID_ANY == VMADDR_CID_ANY, "vsock CID any must match the kernel's");

union sock_addr {
	struct sockaddr sa;
	struct sockaddr_un un;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
	struct sockaddr_vm vm;
	struct sockaddr_storage ss;
};

/* Builds the socket address for u; SPOD_E_BAD_URI if u is not a well-formed parsed URI. */
static int addr_from_uri(union sock_addr *a, socklen_t *len, const struct spod_uri *u)
{
	size_t n;

	memset(a, 0, sizeof(*a));
	switch (u->kind) {
	case SPOD_URI_UNIX:
		n = strnlen(u->path, sizeof(u->path));
		if (n == 0 || n > sizeof(a->un.sun_path) - 1)
			return SPOD_E_BAD_URI;
		a->un.sun_family = AF_UNIX;
		memcpy(a->un.sun_path, u->path, n);
		*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
		return SPOD_OK;
	case SPOD_URI_TCP:
		if (u->port > 65535)
			return SPOD_E_BAD_URI;
		if (inet_pton(AF_INET, u->host, &a->in.sin_addr) == 1) {
			a->in.sin_family = AF_INET;
			a->in.sin_port = htons((uint16_t)u->port);
			*len = sizeof(a->in);
			return SPOD_OK;
		}
		if (inet_pton(AF_INET6, u->host, &a->in6.sin6_addr) == 1) {
			a->in6.sin6_family = AF_INET6;
			a->in6.sin6_port = htons((uint16_t)u->port);
			*len = sizeof(a->in6);
			return SPOD_OK;
		}
		return SPOD_E_BAD_URI;
	case SPOD_URI_VSOCK:
		a->vm.svm_family = AF_VSOCK;
		a->vm.svm_cid = u->cid;
		a->vm.svm_port = u->port;
		*len = sizeof(a->vm);
		return SPOD_OK;
	}
	return SPOD_E_BAD_URI;
}

static int set_nodelay(int fd)
{
	int one = 1;

	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
		return SPOD_E_IO;
	return SPOD_OK;
}

static int is_inet(sa_family_t family)
{
	return family == AF_INET || family == AF_INET6;
}

/* True when a server accepts connections on the unix socket at path right now. */
static int socket_is_live(const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int s, live;

	if (strlen(path) >= sizeof(a.sun_path))
		return 0;
	strcpy(a.sun_path, path);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return 0;
	live = connect(s, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(s);
	return live;
}

/*
 * A socket file left by a previous run would make bind fail with EADDRINUSE. Remove it, but
 * only if it is a socket nobody listens on: a typo in the URI must not delete someone's
 * file, and a second server must not steal a running one's address.
 */
static int unix_remove_stale(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? SPOD_OK : SPOD_E_IO;
	if (!S_ISSOCK(st.st_mode))
		return SPOD_E_IO;
	if (socket_is_live(path))
		return SPOD_E_IO; /* another server is listening there: never steal its path */
	if (unlink(path) < 0 && errno != ENOENT)
		return SPOD_E_IO;
	return SPOD_OK;
}

/*
 * fchmod has no effect on a socket's file, so the mode is set twice: the umask makes bind
 * create the file as 0600 (no window in which others may connect), and chmod makes sure of
 * it whatever the process umask was.
 */
static int unix_bind(int fd, const union sock_addr *a, socklen_t len, const char *path)
{
	mode_t old = umask(0177);
	int r = bind(fd, &a->sa, len);

	umask(old);
	if (r < 0)
		return SPOD_E_IO;
	if (chmod(path, 0600) < 0) {
		unlink(path);
		return SPOD_E_IO;
	}
	return SPOD_OK;
}

int spod_listen(int *fd, const struct spod_uri *u)
{
	union sock_addr a;
	socklen_t alen;
	int s = -1;
	int unix_bound = 0;
	int one = 1;
	int rc;

	*fd = -1;
	SPOD_TRY(addr_from_uri(&a, &alen, u));
	if (u->kind == SPOD_URI_UNIX)
		SPOD_TRY(unix_remove_stale(u->path));

	s = socket(a.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0) {
		rc = SPOD_E_IO;
		goto out;
	}
	if (u->kind == SPOD_URI_UNIX) {
		SPOD_GUARD(rc, unix_bind(s, &a, alen, u->path));
		unix_bound = 1;
	} else {
		if (u->kind == SPOD_URI_TCP &&
		    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0) {
			rc = SPOD_E_IO;
			goto out;
		}
		if (bind(s, &a.sa, alen) < 0) {
			rc = SPOD_E_IO;
			goto out;
		}
	}
	if (listen(s, LISTEN_BACKLOG) < 0) {
		rc = SPOD_E_IO;
		goto out;
	}
	*fd = s;
	s = -1;
	rc = SPOD_OK;
out:
	if (s >= 0) {
		if (unix_bound)
			unlink(u->path);
		close(s);
	}
	return rc;
}

int spod_listen_port(uint32_t *port, int fd)
{
	union sock_addr a;
	socklen_t alen = sizeof(a);

	*port = 0;
	if (getsockname(fd, &a.sa, &alen) < 0)
		return SPOD_E_IO;
	switch (a.sa.sa_family) {
	case AF_INET:
		*port = ntohs(a.in.sin_port);
		return SPOD_OK;
	case AF_INET6:
		*port = ntohs(a.in6.sin6_port);
		return SPOD_OK;
	case AF_VSOCK:
		*port = a.vm.svm_port;
		return SPOD_OK;
	}
	return SPOD_E_IO;
}

int spod_peer_same(const struct spod_peer *a, const struct spod_peer *b)
{
	if (a->family != b->family)
		return 0;
	switch (a->family) {
	case AF_UNIX:
		return a->uid == b->uid;
	case AF_INET:
		return memcmp(a->addr, b->addr, 4) == 0;
	case AF_INET6:
		return memcmp(a->addr, b->addr, 16) == 0;
	default:
		return 0;
	}
}

void spod_peer_text(char *buf, size_t cap, const struct spod_peer *p)
{
	char addr[INET6_ADDRSTRLEN];

	if (p->family == AF_UNIX)
		snprintf(buf, cap, "uid %u", (unsigned)p->uid);
	else if (is_inet((sa_family_t)p->family) &&
	         inet_ntop(p->family, p->addr, addr, sizeof(addr)) != NULL)
		snprintf(buf, cap, "%s", addr);
	else
		snprintf(buf, cap, "an unknown peer");
}

static void peer_of(struct spod_peer *peer, int s, const union sock_addr *a)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	memset(peer, 0, sizeof(*peer));
	peer->family = AF_UNSPEC;
	if (a->sa.sa_family == AF_UNIX) {
		if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
			peer->family = AF_UNIX;
			peer->uid = (uint32_t)cred.uid;
		}
	} else if (a->sa.sa_family == AF_INET) {
		peer->family = AF_INET;
		memcpy(peer->addr, &a->in.sin_addr, 4);
	} else if (a->sa.sa_family == AF_INET6) {
		peer->family = AF_INET6;
		memcpy(peer->addr, &a->in6.sin6_addr, 16);
	}
}

int spod_accept(int *fd, int listen_fd, struct spod_peer *peer)
{
	union sock_addr a;
	socklen_t alen = sizeof(a);
	int s;

	*fd = -1;
	s = accept4(listen_fd, &a.sa, &alen, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (s < 0) {
		/*
		 * A connection reset before we got to it, or an error Linux passes on from the
		 * new socket (accept(2), "Error handling"), only means "try again".
		 */
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
		    errno == ECONNABORTED || errno == EPROTO)
			return SPOD_E_AGAIN;
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
			return SPOD_E_BUSY;
		return SPOD_E_IO;
	}
	if (is_inet(a.sa.sa_family) && set_nodelay(s) < 0) {
		close(s);
		return SPOD_E_IO;
	}
	if (peer != NULL)
		peer_of(peer, s, &a);
	*fd = s;
	return SPOD_OK;
}

/* Maps a connect(2) errno to the caller's question: is the peer there at all? */
static int connect_errno(int e)
{
	switch (e) {
	case ENOENT:       /* no socket file */
	case ECONNREFUSED: /* nobody listening */
	case ECONNRESET:   /* vsock: no listener on that port */
	case EHOSTUNREACH:
	case ENETUNREACH: /* vsock: no transport to that CID */
	case ENODEV:      /* vsock: no transport loaded */
		return SPOD_E_UNAVAILABLE;
	case EAGAIN: /* unix: listener backlog full */
		return SPOD_E_BUSY;
	case ETIMEDOUT:
		return SPOD_E_TIMEOUT;
	}
	return SPOD_E_IO;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for a non-blocking connect on fd to finish, at most timeout_ms (<0: no limit). */
static int wait_connected(int fd, int timeout_ms)
{
	int64_t deadline = timeout_ms < 0 ? 0 : now_ms() + timeout_ms;
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	socklen_t elen = sizeof(int);
	int err = 0;

	for (;;) {
		int wait = -1;
		int r;

		if (timeout_ms >= 0) {
			int64_t left = deadline - now_ms();
			wait = left > 0 ? (int)left : 0;
		}
		r = poll(&p, 1, wait);
		if (r > 0)
			break;
		if (r == 0)
			return SPOD_E_TIMEOUT;
		if (errno != EINTR)
			return SPOD_E_IO;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
		return SPOD_E_IO;
	return err == 0 ? SPOD_OK : connect_errno(err);
}

/*
 * A unix listener's queue of new connections is full (EAGAIN): unlike TCP there is nothing
 * to wait on, so connect again after 1, 2, 4 ... 32 ms until timeout_ms (a second when it is
 * unbounded) has passed. SPOD_OK, SPOD_E_BUSY when it stayed full, or connect_errno's.
 */
static int connect_unix_again(int s, const union sock_addr *a, socklen_t alen, int timeout_ms)
{
	int64_t deadline = now_ms() + (timeout_ms >= 0 ? timeout_ms : 1000);
	int pause = 1;

	for (;;) {
		if (now_ms() + pause > deadline)
			return SPOD_E_BUSY;
		poll(NULL, 0, pause);
		if (pause < 32)
			pause *= 2;
		if (connect(s, &a->sa, alen) == 0)
			return SPOD_OK;
		if (errno != EAGAIN && errno != EINTR)
			return connect_errno(errno);
	}
}

int spod_connect(int *fd, const struct spod_uri *u, int timeout_ms)
{
	union sock_addr a;
	socklen_t alen;
	int s = -1;
	int rc;

	*fd = -1;
	SPOD_TRY(addr_from_uri(&a, &alen, u));
	s = socket(a.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0) {
		rc = SPOD_E_IO;
		goto out;
	}
	if (u->kind == SPOD_URI_TCP)
		SPOD_GUARD(rc, set_nodelay(s));
	if (connect(s, &a.sa, alen) < 0) {
		if (u->kind == SPOD_URI_UNIX && errno == EAGAIN)
			SPOD_GUARD(rc, connect_unix_again(s, &a, alen, timeout_ms));
		/* EINTR: the connection still completes asynchronously, like EINPROGRESS. */
		else if (errno != EINPROGRESS && errno != EINTR) {
			rc = connect_errno(errno);
			goto out;
		} else
			SPOD_GUARD(rc, wait_connected(s, timeout_ms));
	}
	*fd = s;
	s = -1;
	rc = SPOD_OK;
out:
	if (s >= 0)
		close(s);
	return rc;
}
