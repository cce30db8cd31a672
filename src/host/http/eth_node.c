/*
 * JSON-RPC calls to the downstream Ethereum node (eth_node.h), with libcurl: its HTTP(S),
 * TLS, proxies and keep-alive are what a node provider's endpoint expects, and nothing of
 * that is worth writing again. The node's URL can carry a provider's API key, so it is never
 * written to a log or an error message.
 */
#include "host/http/eth_node.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spod/err.h"

static char node_url[SPOD_ETH_NODE_URL_MAX + 1];
static long node_timeout_ms = SPOD_ETH_NODE_DEFAULT_MS;

int spod_eth_node_setup(const char *url, unsigned timeout_ms)
{
	size_t len = url != NULL ? strlen(url) : 0;

	if (len == 0) {
		node_url[0] = '\0';
		return SPOD_OK;
	}
	if (len > SPOD_ETH_NODE_URL_MAX ||
	    (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0))
		return SPOD_E_BAD_ARG;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return SPOD_E_INTERNAL;
	memcpy(node_url, url, len + 1);
	node_timeout_ms = timeout_ms > 0 ? (long)timeout_ms : SPOD_ETH_NODE_DEFAULT_MS;
	return SPOD_OK;
}

int spod_eth_node_enabled(void)
{
	return node_url[0] != '\0';
}

/* The answer's bytes as they arrive, up to SPOD_ETH_NODE_ANSWER_MAX. */
struct answer {
	char *p;
	size_t len, cap;
	int too_large;
};

static size_t on_data(char *data, size_t size, size_t nmemb, void *arg)
{
	struct answer *a = arg;
	size_t n = size * nmemb;

	if (n > SPOD_ETH_NODE_ANSWER_MAX - a->len) {
		a->too_large = 1;
		return 0; /* libcurl ends the transfer */
	}
	if (a->len + n > a->cap) {
		size_t cap = a->cap > 0 ? a->cap : 4096;
		char *p;

		while (cap < a->len + n)
			cap *= 2;
		if ((p = realloc(a->p, cap)) == NULL)
			return 0;
		a->p = p;
		a->cap = cap;
	}
	memcpy(a->p + a->len, data, n);
	a->len += n;
	return n;
}

static CURL *session(struct spod_eth_node *n)
{
	if (n->curl == NULL)
		n->curl = curl_easy_init();
	return n->curl;
}

/* POSTs body to the node; the answer's bytes into *a. SPOD_OK or SPOD_E_UNAVAILABLE (msg). */
static int post(CURL *h, const char *body, struct answer *a, char *msg)
{
	struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
	long status = 0;
	CURLcode cc;

	if (hdr == NULL)
		return SPOD_E_NOMEM;
	curl_easy_setopt(h, CURLOPT_URL, node_url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, node_timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, node_timeout_ms);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, a);
	cc = curl_easy_perform(h);
	curl_slist_free_all(hdr);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	if (a->too_large) {
		snprintf(msg, SPOD_ETH_NODE_MSG_BYTES, "the node's answer is over %u bytes",
		         SPOD_ETH_NODE_ANSWER_MAX);
		return SPOD_E_UNAVAILABLE;
	}
	if (cc != CURLE_OK) {
		snprintf(msg, SPOD_ETH_NODE_MSG_BYTES, "the node was not reached: %s",
		         curl_easy_strerror(cc));
		return SPOD_E_UNAVAILABLE;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200) {
		snprintf(msg, SPOD_ETH_NODE_MSG_BYTES, "the node answered HTTP %ld", status);
		return SPOD_E_UNAVAILABLE;
	}
	return SPOD_OK;
}

int spod_eth_node_call(struct spod_eth_node *n, const char *method, const json_t *params,
                       json_t **result, json_t **error, char msg[SPOD_ETH_NODE_MSG_BYTES])
{
	struct answer a = {NULL, 0, 0, 0};
	json_t *req, *ans = NULL, *v;
	char *body;
	int rc;
	CURL *h;

	*result = *error = NULL;
	msg[0] = '\0';
	if (!spod_eth_node_enabled()) {
		snprintf(msg, SPOD_ETH_NODE_MSG_BYTES,
		         "no downstream node (eth-downstream) is set");
		return SPOD_E_UNAVAILABLE;
	}
	if ((h = session(n)) == NULL)
		return SPOD_E_NOMEM;
	/* "o" takes the reference (released by jansson too when the pack fails) */
	req = json_pack("{s:s,s:I,s:s,s:o}", "jsonrpc", "2.0", "id", (json_int_t)++n->next_id,
	                "method", method, "params",
	                params != NULL ? json_incref((json_t *)params) : json_array());
	body = req != NULL ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if (body == NULL)
		return SPOD_E_NOMEM;
	rc = post(h, body, &a, msg);
	free(body);
	if (rc == SPOD_OK) {
		ans = json_loadb(a.p != NULL ? a.p : "", a.len, 0, NULL);
		if (ans == NULL || !json_is_object(ans)) {
			snprintf(msg, SPOD_ETH_NODE_MSG_BYTES,
			         "the node's answer is not a JSON-RPC answer");
			rc = SPOD_E_UNAVAILABLE;
		} else if ((v = json_object_get(ans, "error")) != NULL && json_is_object(v)) {
			*error = json_incref(v);
		} else if ((v = json_object_get(ans, "result")) != NULL) {
			*result = json_incref(v);
		} else {
			snprintf(msg, SPOD_ETH_NODE_MSG_BYTES,
			         "the node's answer has neither result nor error");
			rc = SPOD_E_UNAVAILABLE;
		}
	}
	json_decref(ans);
	free(a.p);
	return rc;
}

void spod_eth_node_end(struct spod_eth_node *n)
{
	if (n->curl != NULL)
		curl_easy_cleanup(n->curl);
	n->curl = NULL;
}
