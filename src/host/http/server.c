/*
 * spod-host's HTTP server (http.h): starting and stopping it, and following its connections.
 *
 * Three parts: the gate (gate.h) listens, accepts and holds each connection until its request
 * header is whole; libmicrohttpd, started without a listening socket of its own
 * (MHD_USE_NO_LISTEN_SOCKET), serves the connections the gate hands it on cfg->threads
 * worker threads (epoll where the kernel has it), keep-alive on, idle connections closed
 * after idle_timeout_s, suspending a connection while its call runs; the executor (exec.h)
 * carries the calls out. With tls_cert/tls_key it speaks HTTPS from the PEM files.
 * libmicrohttpd's connection notices keep the gate's registry (conns.h) current.
 */
#include "host/http/server_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/log.h"
#include "spod/err.h"

#define HTTP_MAX_THREADS   64u
#define HTTP_PEM_MAX_BYTES (1024u * 1024u) /* a TLS certificate chain or key */

/* Reads a PEM file into a NUL-terminated heap string. */
static int read_pem(char **out, size_t *out_len, const char *path)
{
	size_t len = 0;
	char *buf = malloc(HTTP_PEM_MAX_BYTES + 1);
	int fd, rc = SPOD_E_IO;

	*out = NULL;
	*out_len = 0;
	if (buf == NULL)
		return SPOD_E_NOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		spod_error("http: cannot open %s: %s", path, strerror(errno));
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf + len, HTTP_PEM_MAX_BYTES + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			spod_error("http: cannot read %s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > HTTP_PEM_MAX_BYTES) {
			spod_error("http: %s is larger than %u bytes", path, HTTP_PEM_MAX_BYTES);
			goto out;
		}
	}
	buf[len] = '\0';
	*out = buf;
	*out_len = len;
	buf = NULL;
	rc = SPOD_OK;
out:
	if (fd >= 0)
		close(fd);
	if (buf != NULL) {
		OPENSSL_cleanse(buf, len);
		free(buf);
	}
	return rc;
}

/* libmicrohttpd's messages: one line a second at most (some repeat per connection). */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	static struct spod_log_limit lim;
	char line[256];
	size_t n;

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	spod_log_limited(&lim, SPOD_LOG_EVERY_MS, SPOD_LOG_WARN, "http: libmicrohttpd: %s", line);
}

static unsigned or_default(unsigned v, unsigned dflt)
{
	return v != 0 ? v : dflt;
}

/* Checks cfg and copies what outlives the call into h. */
static int configure(struct spod_http *h, const struct spod_http_config *cfg)
{
	if (cfg->addr == NULL || (cfg->backend_uri == NULL && cfg->inproc == NULL) ||
	    cfg->max_body_bytes == 0 || cfg->threads == 0 || cfg->threads > HTTP_MAX_THREADS) {
		spod_error("http: need an address, a backend (URI or in-process hub), a body limit "
		           "and 1..%u threads",
		           HTTP_MAX_THREADS);
		return SPOD_E_BAD_ARG;
	}
	if ((cfg->tls_cert == NULL) != (cfg->tls_key == NULL)) {
		spod_error("http: TLS needs both a certificate and a key file");
		return SPOD_E_BAD_ARG;
	}
	h->max_body_bytes = cfg->max_body_bytes;
	h->eth_only = cfg->eth_only;
	h->call_timeout_ms = or_default(cfg->call_timeout_ms, SPOD_HTTP_DEFAULT_CALL_MS);
	h->ready = cfg->ready;
	h->seal = cfg->seal;
	h->host_metrics = cfg->metrics;
	h->ctx = cfg->ctx;
	if (cfg->tls_cert == NULL)
		return SPOD_OK;
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		spod_error("http: TLS requested but this libmicrohttpd was built without TLS "
		           "support");
		return SPOD_E_BAD_ARG;
	}
	SPOD_TRY(read_pem(&h->tls_cert, &h->tls_cert_len, cfg->tls_cert));
	return read_pem(&h->tls_key, &h->tls_key_len, cfg->tls_key);
}

/* The record conns.h keeps for conn (NULL when there was no memory for one). */
static struct spod_http_conn *conn_record(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *info =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return info != NULL ? info->socket_context : NULL;
}

/* MHD_OPTION_NOTIFY_CONNECTION: counts the connection and follows its header deadlines. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
	struct spod_http *h = cls;
	const union MHD_ConnectionInfo *fd, *addr;
	socklen_t len;

	if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (*socket_context != NULL)
			spod_http_conns_closed(*socket_context);
		*socket_context = NULL;
		return;
	}
	fd = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	addr = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (fd == NULL || addr == NULL || addr->client_addr == NULL)
		return;
	len = addr->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
	                                               : sizeof(struct sockaddr_in);
	*socket_context = spod_http_conns_started(spod_http_gate_conns(h->gate), fd->connect_fd,
	                                          addr->client_addr, len);
}

void spod_http_header_seen(struct MHD_Connection *conn)
{
	struct spod_http_conn *c = conn_record(conn);

	if (c != NULL)
		spod_http_conns_header(c);
}

void spod_http_answered(struct MHD_Connection *conn)
{
	struct spod_http_conn *c = conn_record(conn);

	if (c != NULL)
		spod_http_conns_answered(c);
}

/* The listening address of cfg into addr. Returns SPOD_OK or SPOD_E_BAD_ARG (logged). */
static int parse_addr(struct sockaddr_storage *addr, socklen_t *len, const char *text,
                      uint16_t port)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)addr;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)addr;

	memset(addr, 0, sizeof(*addr));
	if (inet_pton(AF_INET, text, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons(port);
		*len = sizeof(*v4);
		return SPOD_OK;
	}
	if (inet_pton(AF_INET6, text, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons(port);
		*len = sizeof(*v6);
		return SPOD_OK;
	}
	spod_error("http: %s is not an IPv4 or IPv6 address", text);
	return SPOD_E_BAD_ARG;
}

/* Starts libmicrohttpd on the connections the gate will hand it. */
static int start_mhd(struct spod_http *h, const struct spod_http_config *cfg, int ipv6)
{
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG |
	                 MHD_USE_NO_LISTEN_SOCKET | MHD_ALLOW_SUSPEND_RESUME;
	struct MHD_OptionItem opts[6];
	size_t n = 0;

	if (ipv6)
		flags |= MHD_USE_IPv6;
	/* Backstops: the gate enforces the same limits first (conns.h). */
	opts[n++] = (struct MHD_OptionItem){
	    MHD_OPTION_CONNECTION_LIMIT,
	    (intptr_t)or_default(cfg->max_connections, SPOD_HTTP_DEFAULT_MAX_CONNECTIONS), NULL};
	opts[n++] = (struct MHD_OptionItem){
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    (intptr_t)or_default(cfg->max_per_address, SPOD_HTTP_DEFAULT_MAX_PER_ADDRESS), NULL};
	if (cfg->threads > 1)
		opts[n++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE,
		                                    (intptr_t)cfg->threads, NULL};
	if (h->tls_cert != NULL) {
		flags |= MHD_USE_TLS;
		opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, h->tls_cert};
		opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, h->tls_key};
	}
	opts[n] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
	h->daemon = MHD_start_daemon(
	    flags, 0, NULL, NULL, spod_http_on_request, h, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log,
	    h, MHD_OPTION_CONNECTION_TIMEOUT,
	    or_default(cfg->idle_timeout_s, SPOD_HTTP_DEFAULT_IDLE_TIMEOUT_S),
	    MHD_OPTION_NOTIFY_COMPLETED, spod_http_on_completed, h, MHD_OPTION_NOTIFY_CONNECTION,
	    on_connection, h, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	if (h->daemon == NULL) {
		spod_error("http: libmicrohttpd did not start");
		return SPOD_E_IO;
	}
	return SPOD_OK;
}

/* The gate's settings from cfg (defaults filled in). */
static struct spod_http_gate_config gate_config(struct spod_http *h,
                                                const struct spod_http_config *cfg,
                                                const struct sockaddr_storage *addr, socklen_t len)
{
	return (struct spod_http_gate_config){
	    .metrics = &h->metrics,
	    .addr = (const struct sockaddr *)addr,
	    .addr_len = len,
	    .tls = cfg->tls_cert != NULL,
	    .max_connections = or_default(cfg->max_connections, SPOD_HTTP_DEFAULT_MAX_CONNECTIONS),
	    .max_per_address = or_default(cfg->max_per_address, SPOD_HTTP_DEFAULT_MAX_PER_ADDRESS),
	    .header_ms = or_default(cfg->header_timeout_ms, SPOD_HTTP_DEFAULT_HEADER_MS),
	    .idle_ms = 1000u * or_default(cfg->idle_timeout_s, SPOD_HTTP_DEFAULT_IDLE_TIMEOUT_S),
	};
}

int spod_http_start(struct spod_http **out, const struct spod_http_config *cfg)
{
	struct spod_http_gate_config gc;
	struct sockaddr_storage addr;
	struct spod_http *h;
	socklen_t len = 0;
	int rc;

	*out = NULL;
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return SPOD_E_NOMEM;
	spod_http_metrics_init(&h->metrics);
	rc = configure(h, cfg);
	if (rc == SPOD_OK)
		rc = parse_addr(&addr, &len, cfg->addr, cfg->port);
	if (rc == SPOD_OK) {
		gc = gate_config(h, cfg, &addr, len);
		rc = spod_http_gate_new(&h->gate, &gc);
	}
	if (rc == SPOD_OK)
		rc = spod_http_exec_new(&h->exec, cfg->backend_uri, cfg->inproc, cfg->threads,
		                        cfg->threads * HTTP_QUEUE_PER_THREAD);
	if (rc == SPOD_OK)
		rc = start_mhd(h, cfg, addr.ss_family == AF_INET6);
	if (rc == SPOD_OK)
		rc = spod_http_gate_start(h->gate, h->daemon);
	if (rc < 0) {
		if (rc == SPOD_E_IO && h->gate == NULL)
			spod_error("http: cannot serve on %s port %u", cfg->addr,
			           (unsigned)cfg->port);
		spod_http_stop(h);
		return rc;
	}
	h->port = spod_http_gate_port(h->gate);
	spod_debug("http: serving %s on %s port %u, %u threads", h->tls_cert ? "HTTPS" : "HTTP",
	           cfg->addr, (unsigned)h->port, cfg->threads);
	*out = h;
	return SPOD_OK;
}

uint16_t spod_http_port(const struct spod_http *h)
{
	return h->port;
}

void spod_http_stop(struct spod_http *h)
{
	if (h == NULL)
		return;
	/* No new connection; then every call answered and its connection resumed, as MHD
	 * refuses to stop with a connection suspended; then MHD's threads joined. */
	if (h->gate != NULL)
		spod_http_gate_stop(h->gate);
	spod_http_exec_stop(h->exec);
	if (h->daemon != NULL)
		MHD_stop_daemon(h->daemon);
	spod_http_exec_free(h->exec);
	spod_http_gate_free(h->gate);
	if (h->tls_key != NULL)
		OPENSSL_cleanse(h->tls_key, h->tls_key_len);
	free(h->tls_key);
	free(h->tls_cert);
	free(h);
}
