/* Per-thread LRU cache of authenticated libspod connections (cache.h). */
#include "host/http/cache.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "client/inproc.h"

#define TOKEN_HASH_BYTES 32u

struct cache_entry {
	struct spod_client *c; /* NULL: free slot */
	uint8_t hash[TOKEN_HASH_BYTES];
	uint64_t last_use; /* tick of the last get, for LRU */
	int64_t opened_ms; /* CLOCK_MONOTONIC */
};

struct spod_http_cache {
	char *uri;                      /* NULL: inproc */
	struct spod_inproc_hub *inproc; /* NULL: uri */
	uint64_t tick;
	struct cache_entry e[SPOD_HTTP_CACHE_ENTRIES];
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int spod_http_cache_new(struct spod_http_cache **out, const char *uri,
                        struct spod_inproc_hub *inproc)
{
	struct spod_http_cache *cache;

	*out = NULL;
	if (uri == NULL && inproc == NULL)
		return SPOD_E_BAD_ARG;
	cache = calloc(1, sizeof(*cache));
	if (cache == NULL)
		return SPOD_E_NOMEM;
	cache->inproc = inproc;
	if (inproc == NULL && (cache->uri = strdup(uri)) == NULL) {
		free(cache);
		return SPOD_E_NOMEM;
	}
	*out = cache;
	return SPOD_OK;
}

static void entry_close(struct cache_entry *e)
{
	spod_client_close(e->c);
	memset(e, 0, sizeof(*e));
}

void spod_http_cache_free(struct spod_http_cache *cache)
{
	if (cache == NULL)
		return;
	for (size_t i = 0; i < SPOD_HTTP_CACHE_ENTRIES; i++)
		if (cache->e[i].c != NULL)
			entry_close(&cache->e[i]);
	free(cache->uri);
	free(cache);
}

/* The slot for a new connection: a free one, else the least recently used (closed). */
static struct cache_entry *victim(struct spod_http_cache *cache)
{
	struct cache_entry *lru = &cache->e[0];

	for (size_t i = 0; i < SPOD_HTTP_CACHE_ENTRIES; i++) {
		if (cache->e[i].c == NULL)
			return &cache->e[i];
		if (cache->e[i].last_use < lru->last_use)
			lru = &cache->e[i];
	}
	entry_close(lru);
	return lru;
}

int spod_http_cache_get(struct spod_http_cache *cache, struct spod_client **out, int *reused,
                        const char *token, size_t token_len, int timeout_ms)
{
	uint8_t hash[TOKEN_HASH_BYTES];
	struct cache_entry *slot = NULL;
	struct spod_client *c;
	int64_t now = now_ms();
	int rc;

	*out = NULL;
	*reused = 0;
	if (!EVP_Digest(token, token_len, hash, NULL, EVP_sha256(), NULL))
		return SPOD_E_INTERNAL;
	/* Every slot is compared, so the time taken says nothing about which one matched. */
	for (size_t i = 0; i < SPOD_HTTP_CACHE_ENTRIES; i++) {
		struct cache_entry *e = &cache->e[i];

		if (e->c != NULL && CRYPTO_memcmp(e->hash, hash, sizeof(hash)) == 0)
			slot = e;
	}
	if (slot != NULL && now - slot->opened_ms < SPOD_HTTP_CACHE_MAX_AGE_MS) {
		slot->last_use = ++cache->tick;
		*out = slot->c;
		*reused = 1;
		return SPOD_OK;
	}
	if (slot != NULL)
		entry_close(slot);
	if (cache->inproc != NULL)
		rc = spod_client_open_inproc(&c, cache->inproc, token, timeout_ms);
	else
		rc = spod_client_open(&c, cache->uri, token, timeout_ms);
	if (rc < 0)
		return rc;
	slot = victim(cache);
	slot->c = c;
	memcpy(slot->hash, hash, sizeof(hash));
	slot->last_use = ++cache->tick;
	slot->opened_ms = now;
	*out = c;
	return SPOD_OK;
}

void spod_http_cache_drop(struct spod_http_cache *cache, struct spod_client *c)
{
	for (size_t i = 0; i < SPOD_HTTP_CACHE_ENTRIES; i++)
		if (cache->e[i].c == c) {
			entry_close(&cache->e[i]);
			return;
		}
}

size_t spod_http_cache_size(const struct spod_http_cache *cache)
{
	size_t n = 0;

	for (size_t i = 0; i < SPOD_HTTP_CACHE_ENTRIES; i++)
		n += cache->e[i].c != NULL;
	return n;
}
