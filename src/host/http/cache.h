/*
 * Authenticated libspod connections to spod-host, cached per executor thread (exec.h) and per
 * token so that a keep-alive client pays the connect and the hello once. In spod-host they are
 * in-process channels to its event loop (client/inproc.h); given a URI instead (the unit
 * tests' fake pod), sockets to that listener.
 *
 * A cache belongs to one thread and is not locked. Entries are keyed by SHA-256 of the token
 * text, compared in constant time; the token text itself is never stored. At most
 * SPOD_HTTP_CACHE_ENTRIES connections are kept, the least recently used is closed first, and
 * a connection older than SPOD_HTTP_CACHE_MAX_AGE_MS is replaced by a fresh hello, so a token
 * revoked in the store stops working through HTTP within that time even if nothing else
 * closes the connection.
 */
#ifndef SPOD_HTTP_CACHE_H
#define SPOD_HTTP_CACHE_H

#include <stddef.h>

#include "spod/client.h"
#include "transport/inproc.h"

#define SPOD_HTTP_CACHE_ENTRIES    8u
#define SPOD_HTTP_CACHE_MAX_AGE_MS 60000

struct spod_http_cache;

/*
 * A cache of channels of inproc when it is not NULL, else of connections to uri (copied).
 * Returns SPOD_OK with *out set, SPOD_E_BAD_ARG (neither) or SPOD_E_NOMEM.
 */
int spod_http_cache_new(struct spod_http_cache **out, const char *uri,
                        struct spod_inproc_hub *inproc)
    __attribute__((warn_unused_result, nonnull(1)));

/* Closes every connection and frees the cache. NULL is ignored. */
void spod_http_cache_free(struct spod_http_cache *cache);

/*
 * A connection authenticated with token (NUL-terminated, token_len bytes); a new one is
 * opened (connect and hello) within timeout_ms. *reused is 1 when it came from the cache, 0
 * when it was just opened. The cache keeps owning it: the caller uses it for one request
 * (setting its timeout, spod_client_set_timeout) and hands it back with spod_http_cache_drop
 * if it broke. Returns SPOD_OK, or an error of spod_client_open (SPOD_E_UNAUTHENTICATED when
 * the hello was refused; such a connection is never cached).
 */
int spod_http_cache_get(struct spod_http_cache *cache, struct spod_client **out, int *reused,
                        const char *token, size_t token_len, int timeout_ms)
    __attribute__((warn_unused_result, nonnull));

/* Closes c, which spod_http_cache_get returned, and forgets it. */
void spod_http_cache_drop(struct spod_http_cache *cache, struct spod_client *c)
    __attribute__((nonnull));

/* Connections currently cached (for tests). */
size_t spod_http_cache_size(const struct spod_http_cache *cache) __attribute__((nonnull));

#endif
