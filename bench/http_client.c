/* A minimal, strict HTTP/1.1 keep-alive client over loopback TCP (http_client.h). */
#include "http_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "spod/err.h"

#define URL_SCHEME        "http://"
#define PORT_MAX_DIGITS   5u
#define LENGTH_MAX_DIGITS 9u /* any Content-Length we can hold fits; more is malformed here */
#define EXCERPT_BYTES     120u

__attribute__((format(printf, 3, 4))) static int fail(struct bench_http *c, int rc, const char *fmt,
                                                      ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->error, sizeof(c->error), fmt, ap);
	va_end(ap);
	return rc;
}

/* Closes the socket only: the settings and the error message stay. */
static void drop(struct bench_http *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->rx_len = 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until fd is ready for events or the deadline passes. Returns SPOD_OK, SPOD_E_TIMEOUT
 * or SPOD_E_IO. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = {.fd = fd, .events = events};

	for (;;) {
		int64_t left = deadline - now_ms();
		int rc;

		if (left <= 0)
			return SPOD_E_TIMEOUT;
		rc = poll(&p, 1, left > 600000 ? 600000 : (int)left);
		if (rc > 0)
			return SPOD_OK;
		if (rc < 0 && errno != EINTR)
			return SPOD_E_IO;
	}
}

static int printable(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f)
			return 0;
	return 1;
}

/*
 * Splits url into the socket address, the authority (Host header) and the path prefix.
 * Accepts only "http://", a loopback literal (127.0.0.0/8 or [::1]) and an explicit port.
 */
static int parse_url(struct bench_http *c, struct sockaddr_storage *sa, socklen_t *sa_len,
                     const char *url)
{
	const size_t scheme_len = sizeof(URL_SCHEME) - 1;
	const char *host, *host_end, *port, *path;
	char literal[INET6_ADDRSTRLEN];
	size_t host_len, port_len, path_len;
	unsigned long port_num = 0;
	int ipv6;

	if (strncmp(url, URL_SCHEME, scheme_len) != 0)
		return fail(c, SPOD_E_BAD_URI, "'%s': only http:// URLs are supported", url);
	host = url + scheme_len;
	ipv6 = *host == '[';
	if (ipv6) {
		host_end = strchr(host, ']');
		if (host_end == NULL)
			return fail(c, SPOD_E_BAD_URI, "'%s': no ']' after the IPv6 address", url);
		port = host_end + 1;
		host++;
	} else {
		host_end = host + strcspn(host, ":/");
		port = host_end;
	}
	host_len = (size_t)(host_end - host);
	if (host_len == 0 || host_len >= sizeof(literal))
		return fail(c, SPOD_E_BAD_URI, "'%s': no address", url);
	memcpy(literal, host, host_len);
	literal[host_len] = '\0';
	if (*port != ':')
		return fail(c, SPOD_E_BAD_URI, "'%s': the port is required", url);
	port++;
	port_len = strspn(port, "0123456789");
	if (port_len == 0 || port_len > PORT_MAX_DIGITS)
		return fail(c, SPOD_E_BAD_URI, "'%s': bad port", url);
	for (size_t i = 0; i < port_len; i++)
		port_num = port_num * 10 + (unsigned long)(port[i] - '0');
	if (port_num == 0 || port_num > 65535)
		return fail(c, SPOD_E_BAD_URI, "'%s': port out of range", url);

	memset(sa, 0, sizeof(*sa));
	if (ipv6) {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)sa;

		if (inet_pton(AF_INET6, literal, &a6->sin6_addr) != 1 ||
		    !IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr))
			return fail(c, SPOD_E_BAD_URI, "'%s': the address must be [::1]", url);
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port_num);
		*sa_len = sizeof(*a6);
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)sa;

		if (inet_pton(AF_INET, literal, &a4->sin_addr) != 1 ||
		    (ntohl(a4->sin_addr.s_addr) >> 24) != 127)
			return fail(
			    c, SPOD_E_BAD_URI,
			    "'%s': the address must be an IPv4 loopback literal (127.x.y.z)", url);
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port_num);
		*sa_len = sizeof(*a4);
	}

	path = port + port_len;
	path_len = strlen(path);
	if (path_len > 0 && (path[0] != '/' || !printable(path, path_len)))
		return fail(c, SPOD_E_BAD_URI, "'%s': bad path after the port", url);
	while (path_len > 0 && path[path_len - 1] == '/')
		path_len--;
	if (path_len >= sizeof(c->prefix) ||
	    (size_t)(path - url) - scheme_len >= sizeof(c->authority))
		return fail(c, SPOD_E_BAD_URI, "'%s': too long", url);
	memcpy(c->prefix, path, path_len);
	c->prefix[path_len] = '\0';
	memcpy(c->authority, url + scheme_len, (size_t)(path - url) - scheme_len);
	c->authority[(size_t)(path - url) - scheme_len] = '\0';
	return SPOD_OK;
}

static int connect_to(struct bench_http *c, const struct sockaddr_storage *sa, socklen_t sa_len)
{
	int64_t deadline = now_ms() + c->timeout_ms;
	socklen_t err_len = sizeof(int);
	int one = 1, err = 0, rc;

	c->fd = socket(sa->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return fail(c, SPOD_E_IO, "socket: %s", strerror(errno));
	if (setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
		return fail(c, SPOD_E_IO, "TCP_NODELAY: %s", strerror(errno));
	if (connect(c->fd, (const struct sockaddr *)sa, sa_len) == 0)
		return SPOD_OK;
	if (errno != EINPROGRESS)
		err = errno;
	else if ((rc = wait_fd(c->fd, POLLOUT, deadline)) < 0)
		return fail(c, rc, "connecting to %s: %s", c->authority,
		            rc == SPOD_E_TIMEOUT ? "timed out" : strerror(errno));
	else if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &err_len) < 0)
		err = errno;
	if (err == 0)
		return SPOD_OK;
	return fail(c, err == ECONNREFUSED ? SPOD_E_UNAVAILABLE : SPOD_E_IO, "connecting to %s: %s",
	            c->authority, strerror(err));
}

int bench_http_open(struct bench_http *c, const char *url, const char *token, int timeout_ms)
{
	struct sockaddr_storage sa;
	socklen_t sa_len = 0;
	size_t token_len = strlen(token);
	int rc;

	c->fd = -1;
	c->rx_len = 0;
	c->error[0] = '\0';
	c->timeout_ms = timeout_ms > 0 ? timeout_ms : 30000;
	if (token_len == 0 || token_len >= sizeof(c->token) || !printable(token, token_len))
		return fail(c, SPOD_E_BAD_ARG,
		            "the token must be 1..%u printable ASCII characters without spaces",
		            BENCH_HTTP_TOKEN_MAX_BYTES - 1);
	memcpy(c->token, token, token_len + 1);
	rc = parse_url(c, &sa, &sa_len, url);
	if (rc == SPOD_OK)
		rc = connect_to(c, &sa, sa_len);
	if (rc < 0)
		drop(c);
	return rc;
}

void bench_http_close(struct bench_http *c)
{
	drop(c);
	sodium_memzero(c->token, sizeof(c->token));
	sodium_memzero(c->tx, sizeof(c->tx)); /* the last request carried the token */
}

const char *bench_http_last_error(const struct bench_http *c)
{
	return c->error;
}

/* Writes "METHOD prefix+path HTTP/1.1", the headers and the body into c->tx. */
static int build_request(struct bench_http *c, size_t *len, const char *method, const char *path,
                         const char *body, size_t body_len)
{
	int n;

	n = snprintf(
	    c->tx, sizeof(c->tx),
	    "%s %s%s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n%sContent-Length: "
	    "%zu\r\n\r\n",
	    method, c->prefix, path, c->authority, c->token,
	    body_len > 0 ? "Content-Type: application/json\r\n" : "", body_len);
	if (n < 0 || (size_t)n >= sizeof(c->tx) || body_len > sizeof(c->tx) - (size_t)n)
		return fail(c, SPOD_E_TOO_LARGE, "%s %s: request over %u bytes", method, path,
		            BENCH_HTTP_REQUEST_MAX_BYTES);
	memcpy(c->tx + n, body, body_len);
	*len = (size_t)n + body_len;
	return SPOD_OK;
}

static int send_all(struct bench_http *c, size_t len, int64_t deadline)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = send(c->fd, c->tx + off, len - off, MSG_NOSIGNAL);
		int rc;

		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return fail(
			    c, errno == EPIPE || errno == ECONNRESET ? SPOD_E_CLOSED : SPOD_E_IO,
			    "sending the request: %s", strerror(errno));
		rc = wait_fd(c->fd, POLLOUT, deadline);
		if (rc < 0)
			return fail(c, rc, "sending the request: %s",
			            rc == SPOD_E_TIMEOUT ? "timed out" : strerror(errno));
	}
	return SPOD_OK;
}

/* Waits for and reads what the server sent into rx[rx_len..). */
static int receive_some(struct bench_http *c, int64_t deadline)
{
	for (;;) {
		ssize_t n;
		int rc = wait_fd(c->fd, POLLIN, deadline);

		if (rc < 0)
			return fail(c, rc, "waiting for the answer: %s",
			            rc == SPOD_E_TIMEOUT ? "timed out" : strerror(errno));
		n = recv(c->fd, c->rx + c->rx_len, sizeof(c->rx) - c->rx_len, 0);
		if (n > 0) {
			c->rx_len += (size_t)n;
			return SPOD_OK;
		}
		if (n == 0)
			return fail(c, SPOD_E_CLOSED, "the server closed the connection %s",
			            c->rx_len == 0 ? "instead of answering"
			                           : "in the middle of an answer");
		if (errno == ECONNRESET)
			return fail(c, SPOD_E_CLOSED, "the server reset the connection");
		if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
			return fail(c, SPOD_E_IO, "reading the answer: %s", strerror(errno));
	}
}

/* Case-insensitive: is the header name line[0..name_len) equal to want? */
static int name_is(const char *name, size_t name_len, const char *want)
{
	return strlen(want) == name_len && strncasecmp(name, want, name_len) == 0;
}

/* Does the comma-separated list v[0..len) hold the token want (case-insensitive)? */
static int list_has(const char *v, size_t len, const char *want)
{
	size_t want_len = strlen(want);

	while (len > 0) {
		size_t item = 0, start, end;

		while (item < len && v[item] != ',')
			item++;
		start = 0;
		end = item;
		while (start < end && (v[start] == ' ' || v[start] == '\t'))
			start++;
		while (end > start && (v[end - 1] == ' ' || v[end - 1] == '\t'))
			end--;
		if (end - start == want_len && strncasecmp(v + start, want, want_len) == 0)
			return 1;
		if (item == len)
			break;
		v += item + 1;
		len -= item + 1;
	}
	return 0;
}

struct head {
	unsigned status;
	int has_length;
	size_t length;
	int closes; /* "Connection: close" */
};

/* The status line of rx[0..len), CRLF excluded: "HTTP/1.1 NNN reason". */
static int parse_status_line(struct bench_http *c, struct head *h, const char *line, size_t len)
{
	static const char version[] = "HTTP/1.1 ";
	const size_t vlen = sizeof(version) - 1;

	if (len < vlen + 4 || memcmp(line, version, vlen) != 0 || line[vlen] < '1' ||
	    line[vlen] > '5' || line[vlen + 1] < '0' || line[vlen + 1] > '9' ||
	    line[vlen + 2] < '0' || line[vlen + 2] > '9' || line[vlen + 3] != ' ')
		return fail(c, SPOD_E_PROTOCOL, "not an HTTP/1.1 status line: '%.*s'",
		            (int)(len < 40 ? len : 40), line);
	h->status = (unsigned)(line[vlen] - '0') * 100 + (unsigned)(line[vlen + 1] - '0') * 10 +
	            (unsigned)(line[vlen + 2] - '0');
	if (h->status < 200)
		return fail(c, SPOD_E_PROTOCOL, "interim answer %u: not supported", h->status);
	return SPOD_OK;
}

/* One header line, CRLF excluded. */
static int parse_header(struct bench_http *c, struct head *h, const char *line, size_t len)
{
	size_t name_len = 0, v, end = len;

	while (name_len < len && line[name_len] != ':' && line[name_len] > 0x20 &&
	       line[name_len] < 0x7f)
		name_len++;
	if (name_len == 0 || name_len == len || line[name_len] != ':')
		return fail(c, SPOD_E_PROTOCOL, "malformed header line: '%.*s'",
		            (int)(len < 40 ? len : 40), line);
	for (v = name_len + 1; v < len && (line[v] == ' ' || line[v] == '\t'); v++)
		;
	while (end > v && (line[end - 1] == ' ' || line[end - 1] == '\t'))
		end--;
	if (name_is(line, name_len, "Transfer-Encoding"))
		return fail(c, SPOD_E_PROTOCOL,
		            "the server answered with Transfer-Encoding: %.*s (chunked and other "
		            "transfer codings are not supported)",
		            (int)(end - v < 40 ? end - v : 40), line + v);
	if (name_is(line, name_len, "Content-Length")) {
		size_t digits = end - v;

		if (h->has_length)
			return fail(c, SPOD_E_PROTOCOL, "more than one Content-Length");
		if (digits == 0 || digits > LENGTH_MAX_DIGITS)
			return fail(c, SPOD_E_PROTOCOL, "bad Content-Length: '%.*s'",
			            (int)(digits < 40 ? digits : 40), line + v);
		h->length = 0;
		for (size_t i = v; i < end; i++) {
			if (line[i] < '0' || line[i] > '9')
				return fail(c, SPOD_E_PROTOCOL, "bad Content-Length: '%.*s'",
				            (int)digits, line + v);
			h->length = h->length * 10 + (size_t)(line[i] - '0');
		}
		h->has_length = 1;
	} else if (name_is(line, name_len, "Connection") && list_has(line + v, end - v, "close")) {
		h->closes = 1;
	}
	return SPOD_OK;
}

/*
 * Parses the head rx[0..head_len), which ends with CRLF CRLF. Lines end in CRLF; a bare CR
 * or LF, or a folded line, is malformed.
 */
static int parse_head(struct bench_http *c, struct head *h, size_t head_len)
{
	const char *p = c->rx, *end = c->rx + head_len - 2; /* the last CRLF ends the head */
	int first = 1;

	memset(h, 0, sizeof(*h));
	while (p < end) {
		const char *eol = memchr(p, '\r', (size_t)(end - p));
		size_t len;

		if (eol == NULL || eol[1] != '\n')
			return fail(c, SPOD_E_PROTOCOL, "a header line does not end in CRLF");
		len = (size_t)(eol - p);
		if (memchr(p, '\n', len) != NULL)
			return fail(c, SPOD_E_PROTOCOL, "bare LF in the answer's head");
		if (!first && len > 0 && (p[0] == ' ' || p[0] == '\t'))
			return fail(c, SPOD_E_PROTOCOL, "folded header line");
		SPOD_TRY(first ? parse_status_line(c, h, p, len) : parse_header(c, h, p, len));
		first = 0;
		p = eol + 2;
	}
	if (first)
		return fail(c, SPOD_E_PROTOCOL, "empty answer head");
	if (h->status == 204 || h->status == 304) {
		if (h->has_length && h->length != 0)
			return fail(c, SPOD_E_PROTOCOL, "answer %u with a body", h->status);
		h->has_length = 1;
		h->length = 0;
	}
	if (!h->has_length)
		return fail(
		    c, SPOD_E_PROTOCOL,
		    "answer %u without Content-Length (reading until close is not supported)",
		    h->status);
	return SPOD_OK;
}

/* The start of the body as text, non-printable bytes as '?', for messages. */
static void excerpt(char *out, size_t cap, const char *body, size_t len)
{
	size_t n = 0;

	for (; n < len && n < cap - 1; n++)
		out[n] = body[n] >= 0x20 && body[n] < 0x7f ? body[n] : '?';
	out[n] = '\0';
}

/* Is there an LF in rx[from..rx_len) without a CR before it? */
static int bare_lf(const struct bench_http *c, size_t from)
{
	for (size_t i = from; i < c->rx_len; i++)
		if (c->rx[i] == '\n' && (i == 0 || c->rx[i - 1] != '\r'))
			return 1;
	return 0;
}

/* Reads one complete answer into rx and points out at its body. */
static int read_response(struct bench_http *c, struct bench_http_response *out, int64_t deadline)
{
	const char *crlf2 = NULL;
	struct head h;
	size_t head_len, total;

	c->rx_len = 0;
	while (crlf2 == NULL) {
		size_t before = c->rx_len;

		if (c->rx_len == sizeof(c->rx))
			return fail(c, SPOD_E_TOO_LARGE, "answer head over %u bytes",
			            BENCH_HTTP_RESPONSE_MAX_BYTES);
		SPOD_TRY(receive_some(c, deadline));
		crlf2 = memmem(c->rx, c->rx_len, "\r\n\r\n", 4);
		/* Lines ending in a bare LF would never give CRLF CRLF: fail now, not at the
		 * deadline. Once the head is complete, parse_head checks it line by line. */
		if (crlf2 == NULL && bare_lf(c, before))
			return fail(c, SPOD_E_PROTOCOL, "bare LF in the answer's head");
	}
	head_len = (size_t)(crlf2 - c->rx) + 4;
	SPOD_TRY(parse_head(c, &h, head_len));
	if (h.length > sizeof(c->rx) - head_len)
		return fail(c, SPOD_E_TOO_LARGE, "answer over %u bytes (Content-Length %zu)",
		            BENCH_HTTP_RESPONSE_MAX_BYTES, h.length);
	total = head_len + h.length;
	while (c->rx_len < total)
		SPOD_TRY(receive_some(c, deadline));
	if (c->rx_len > total)
		return fail(c, SPOD_E_PROTOCOL, "%zu bytes after the answer", c->rx_len - total);
	if (h.closes) {
		char text[EXCERPT_BYTES];

		excerpt(text, sizeof(text), c->rx + head_len, h.length);
		return fail(c, SPOD_E_PROTOCOL,
		            "the server answered %u and closes the connection (Connection: close): "
		            "%s",
		            h.status, text);
	}
	out->status = h.status;
	out->body = c->rx + head_len;
	out->body_len = h.length;
	return SPOD_OK;
}

int bench_http_request(struct bench_http *c, struct bench_http_response *out, const char *method,
                       const char *path, const char *body, size_t body_len)
{
	int64_t deadline = now_ms() + c->timeout_ms;
	size_t len = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	c->error[0] = '\0';
	if (c->fd < 0)
		return fail(c, SPOD_E_CLOSED, "the connection is closed");
	if (method[0] == '\0' || strspn(method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != strlen(method) ||
	    path[0] != '/' || !printable(path, strlen(path)))
		return fail(c, SPOD_E_BAD_ARG, "bad method or path");
	rc = build_request(c, &len, method, path, body != NULL ? body : "", body_len);
	if (rc == SPOD_OK)
		rc = send_all(c, len, deadline);
	if (rc == SPOD_OK)
		rc = read_response(c, out, deadline);
	if (rc < 0) {
		memset(out, 0, sizeof(*out));
		drop(c);
	}
	return rc;
}
