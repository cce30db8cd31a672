/*
 * What the HTTP server's two files share: the server's state (server.c starts and stops it)
 * and the MHD callbacks that serve each request (request.c). Private to src/http.
 */
#ifndef SPOD_HTTP_SERVER_INT_H
#define SPOD_HTTP_SERVER_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

#include "host/http/cache.h"
#include "host/http/handlers.h"
#include "host/http/http.h"
#include "host/http/metrics.h"

#define HTTP_BACKEND_TIMEOUT_MS 10000 /* connect and each binary call */

/* What one MHD worker thread keeps: its connection cache and its scratch call. */
struct spod_http_worker {
	struct spod_http_cache *cache;
	struct spod_http_call *call;
	struct spod_http_worker *next;
};

/* A running server (http.h). */
struct spod_http {
	struct MHD_Daemon *daemon;
	uint16_t port;
	char *backend_uri;
	size_t max_body_bytes;
	int (*ready)(void *ctx);
	void (*seal)(void *ctx, struct spod_http_seal *out);
	size_t (*host_metrics)(void *ctx, char *buf, size_t cap);
	void *ctx;
	char *tls_cert; /* PEM text, NUL-terminated; MHD reads it while it runs */
	size_t tls_cert_len;
	char *tls_key;
	size_t tls_key_len;
	pthread_key_t worker_key; /* the calling thread's struct spod_http_worker */
	int worker_key_made;
	pthread_mutex_t lock; /* guards workers */
	struct spod_http_worker *workers;
	struct spod_http_metrics metrics;
};

/* MHD's access handler: h is the struct spod_http (MHD_start_daemon's cls). */
enum MHD_Result spod_http_on_request(void *h, struct MHD_Connection *conn, const char *url,
                                     const char *method, const char *version,
                                     const char *upload_data, size_t *upload_data_size,
                                     void **req_cls);

/* MHD_OPTION_NOTIFY_COMPLETED: frees what spod_http_on_request kept for the request. */
void spod_http_on_completed(void *h, struct MHD_Connection *conn, void **req_cls,
                            enum MHD_RequestTerminationCode toe);

#endif
