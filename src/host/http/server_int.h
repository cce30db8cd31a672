/*
 * What the HTTP server's files share: the server's state (server.c starts and stops it, and
 * follows each connection for conns.h) and the MHD callbacks that serve each request
 * (request.c). Private to src/host/http.
 */
#ifndef SPOD_HTTP_SERVER_INT_H
#define SPOD_HTTP_SERVER_INT_H

#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

#include "host/http/exec.h"
#include "host/http/gate.h"
#include "host/http/http.h"
#include "host/http/metrics.h"

#define HTTP_QUEUE_PER_THREAD 32u /* calls waiting for an executor thread, per thread */

/* A running server (http.h). */
struct spod_http {
	struct MHD_Daemon *daemon;
	struct spod_http_gate *gate;
	struct spod_http_exec *exec;
	uint16_t port;
	int eth_only; /* spod_http_config's */
	size_t max_body_bytes;
	unsigned call_timeout_ms;
	int (*ready)(void *ctx);
	void (*seal)(void *ctx, struct spod_http_seal *out);
	size_t (*host_metrics)(void *ctx, char *buf, size_t cap);
	void *ctx;
	char *tls_cert; /* PEM text, NUL-terminated; MHD reads it while it runs */
	size_t tls_cert_len;
	char *tls_key;
	size_t tls_key_len;
	struct spod_http_metrics metrics;
};

/* A request header was whole on conn: its header deadline is off while it is served. */
void spod_http_header_seen(struct MHD_Connection *conn) __attribute__((nonnull));

/* The answer on conn went out (or the request ended): the next header's deadline starts. */
void spod_http_answered(struct MHD_Connection *conn) __attribute__((nonnull));

/* MHD's access handler: h is the struct spod_http (MHD_start_daemon's cls). */
enum MHD_Result spod_http_on_request(void *h, struct MHD_Connection *conn, const char *url,
                                     const char *method, const char *version,
                                     const char *upload_data, size_t *upload_data_size,
                                     void **req_cls);

/* MHD_OPTION_NOTIFY_COMPLETED: frees what spod_http_on_request kept for the request. */
void spod_http_on_completed(void *h, struct MHD_Connection *conn, void **req_cls,
                            enum MHD_RequestTerminationCode toe);

#endif
