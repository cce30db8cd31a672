/*
 * spod-host's HTTP server (http.h): starting and stopping libmicrohttpd.
 *
 * MHD runs an internal pool of cfg->threads worker threads (epoll where the kernel has it),
 * keep-alive on, idle connections closed after HTTP_IDLE_TIMEOUT_S; with tls_cert/tls_key it
 * speaks HTTPS from the PEM files. request.c serves each request. Each worker thread makes
 * its own connection cache and scratch call on its first request and registers them here,
 * so that spod_http_stop, after MHD has joined its threads, closes every cached connection.
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

#define HTTP_MAX_THREADS    64u
#define HTTP_IDLE_TIMEOUT_S 30u             /* an idle connection is closed */
#define HTTP_PEM_MAX_BYTES  (1024u * 1024u) /* a TLS certificate chain or key */

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

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[256];
	size_t n;

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	spod_warn("http: libmicrohttpd: %s", line);
}

/* Checks cfg and copies what outlives the call into h. */
static int configure(struct spod_http *h, const struct spod_http_config *cfg)
{
	if (cfg->addr == NULL || cfg->backend_uri == NULL || cfg->max_body_bytes == 0 ||
	    cfg->threads == 0 || cfg->threads > HTTP_MAX_THREADS) {
		spod_error("http: need an address, a backend URI, a body limit and 1..%u threads",
		           HTTP_MAX_THREADS);
		return SPOD_E_BAD_ARG;
	}
	if ((cfg->tls_cert == NULL) != (cfg->tls_key == NULL)) {
		spod_error("http: TLS needs both a certificate and a key file");
		return SPOD_E_BAD_ARG;
	}
	h->backend_uri = strdup(cfg->backend_uri);
	if (h->backend_uri == NULL)
		return SPOD_E_NOMEM;
	h->max_body_bytes = cfg->max_body_bytes;
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

/*
 * After MHD could not start: whether that is because something else listens on the address.
 * Probes with a socket bound the way MHD binds (SO_REUSEADDR), closed at once.
 */
static int addr_in_use(const struct sockaddr *sa, socklen_t len)
{
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1, in_use;

	if (fd < 0)
		return 0;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	in_use = bind(fd, sa, len) != 0 && errno == EADDRINUSE;
	close(fd);
	return in_use;
}

int spod_http_start(struct spod_http **out, const struct spod_http_config *cfg)
{
	union {
		struct sockaddr sa;
		struct sockaddr_in v4;
		struct sockaddr_in6 v6;
	} addr;
	struct MHD_OptionItem opts[4];
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG;
	const union MHD_DaemonInfo *info;
	struct spod_http *h;
	size_t n = 0;
	int rc;

	*out = NULL;
	memset(&addr, 0, sizeof(addr));
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return SPOD_E_NOMEM;
	spod_http_metrics_init(&h->metrics);
	if (pthread_mutex_init(&h->lock, NULL) != 0) {
		free(h);
		return SPOD_E_NOMEM;
	}
	if (pthread_key_create(&h->worker_key, NULL) != 0) {
		rc = SPOD_E_NOMEM;
		goto fail;
	}
	h->worker_key_made = 1;
	rc = configure(h, cfg);
	if (rc < 0)
		goto fail;
	if (inet_pton(AF_INET, cfg->addr, &addr.v4.sin_addr) == 1) {
		addr.v4.sin_family = AF_INET;
		addr.v4.sin_port = htons(cfg->port);
	} else if (inet_pton(AF_INET6, cfg->addr, &addr.v6.sin6_addr) == 1) {
		addr.v6.sin6_family = AF_INET6;
		addr.v6.sin6_port = htons(cfg->port);
		flags |= MHD_USE_IPv6;
	} else {
		spod_error("http: %s is not an IPv4 or IPv6 address", cfg->addr);
		rc = SPOD_E_BAD_ARG;
		goto fail;
	}
	opts[n++] = (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, &addr.sa};
	if (h->tls_cert != NULL) {
		flags |= MHD_USE_TLS;
		opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, h->tls_cert};
		opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, h->tls_key};
	}
	opts[n] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
	h->daemon = MHD_start_daemon(
	    flags, cfg->port, NULL, NULL, spod_http_on_request, h, MHD_OPTION_EXTERNAL_LOGGER,
	    on_mhd_log, h, MHD_OPTION_THREAD_POOL_SIZE, cfg->threads, MHD_OPTION_CONNECTION_TIMEOUT,
	    HTTP_IDLE_TIMEOUT_S, MHD_OPTION_NOTIFY_COMPLETED, spod_http_on_completed, h,
	    MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	if (h->daemon == NULL) {
		rc = cfg->port != 0 &&
		             addr_in_use(&addr.sa, addr.sa.sa_family == AF_INET ? sizeof(addr.v4)
		                                                                : sizeof(addr.v6))
		         ? SPOD_E_UNAVAILABLE
		         : SPOD_E_IO;
		if (rc == SPOD_E_IO)
			spod_error("http: cannot serve on %s port %u", cfg->addr,
			           (unsigned)cfg->port);
		goto fail;
	}
	info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
	h->port = info != NULL ? info->port : cfg->port;
	spod_debug("http: serving %s on %s port %u, %u threads", h->tls_cert ? "HTTPS" : "HTTP",
	           cfg->addr, (unsigned)h->port, cfg->threads);
	*out = h;
	return SPOD_OK;
fail:
	spod_http_stop(h);
	return rc;
}

uint16_t spod_http_port(const struct spod_http *h)
{
	return h->port;
}

void spod_http_stop(struct spod_http *h)
{
	if (h == NULL)
		return;
	/* Joins MHD's threads: no request runs after this, so the workers can go. */
	if (h->daemon != NULL)
		MHD_stop_daemon(h->daemon);
	while (h->workers != NULL) {
		struct spod_http_worker *w = h->workers;

		h->workers = w->next;
		spod_http_cache_free(w->cache);
		free(w->call);
		free(w);
	}
	if (h->worker_key_made)
		pthread_key_delete(h->worker_key);
	pthread_mutex_destroy(&h->lock);
	if (h->tls_key != NULL)
		OPENSSL_cleanse(h->tls_key, h->tls_key_len);
	free(h->tls_key);
	free(h->tls_cert);
	free(h->backend_uri);
	free(h);
}
