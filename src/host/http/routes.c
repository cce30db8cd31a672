/* The route table of the HTTP API, its matcher, and spod_http_list_routes (routes.h). */
#include "host/http/routes.h"

#include <string.h>

#include "host/http/http.h"

#define TOKEN SPOD_HTTP_ROUTE_TOKEN
#define BODY  SPOD_HTTP_ROUTE_BODY
#define KEY   SPOD_HTTP_ROUTE_KEY
#define READY SPOD_HTTP_ROUTE_READY

const struct spod_http_route spod_http_routes[SPOD_HTTP_ROUTE__COUNT] = {
    [SPOD_HTTP_ROUTE_KEYS_CREATE] = {SPOD_HTTP_ROUTE_KEYS_CREATE, "POST", "/v1/keys",
                                     TOKEN | BODY | READY},
    [SPOD_HTTP_ROUTE_KEYS_LIST] = {SPOD_HTTP_ROUTE_KEYS_LIST, "GET", "/v1/keys", TOKEN},
    [SPOD_HTTP_ROUTE_KEYS_IMPORT] = {SPOD_HTTP_ROUTE_KEYS_IMPORT, "POST", "/v1/keys/import",
                                     TOKEN | BODY | READY},
    [SPOD_HTTP_ROUTE_KEY_GET] = {SPOD_HTTP_ROUTE_KEY_GET, "GET", "/v1/keys/{id}",
                                 TOKEN | KEY | READY},
    [SPOD_HTTP_ROUTE_KEY_DELETE] = {SPOD_HTTP_ROUTE_KEY_DELETE, "DELETE", "/v1/keys/{id}",
                                    TOKEN | KEY | READY},
    [SPOD_HTTP_ROUTE_KEY_SIGN] = {SPOD_HTTP_ROUTE_KEY_SIGN, "POST", "/v1/keys/{id}/sign",
                                  TOKEN | KEY | BODY | READY},
    [SPOD_HTTP_ROUTE_KEY_SIGN_TX] = {SPOD_HTTP_ROUTE_KEY_SIGN_TX, "POST",
                                     "/v1/keys/{id}/sign-transaction", TOKEN | KEY | BODY | READY},
    [SPOD_HTTP_ROUTE_KEY_SIGN_MSG] = {SPOD_HTTP_ROUTE_KEY_SIGN_MSG, "POST",
                                      "/v1/keys/{id}/sign-message", TOKEN | KEY | BODY | READY},
    [SPOD_HTTP_ROUTE_KEY_SIGN_TYPED] = {SPOD_HTTP_ROUTE_KEY_SIGN_TYPED, "POST",
                                        "/v1/keys/{id}/sign-typed-data",
                                        TOKEN | KEY | BODY | READY},
    [SPOD_HTTP_ROUTE_KEY_SIGN_AUTH] = {SPOD_HTTP_ROUTE_KEY_SIGN_AUTH, "POST",
                                       "/v1/keys/{id}/sign-authorization",
                                       TOKEN | KEY | BODY | READY},
    [SPOD_HTTP_ROUTE_POLICY_PUT] = {SPOD_HTTP_ROUTE_POLICY_PUT, "PUT", "/v1/keys/{id}/policy",
                                    TOKEN | KEY | BODY | READY},
    [SPOD_HTTP_ROUTE_POLICY_GET] = {SPOD_HTTP_ROUTE_POLICY_GET, "GET", "/v1/keys/{id}/policy",
                                    TOKEN | KEY | READY},
    [SPOD_HTTP_ROUTE_POLICY_DELETE] = {SPOD_HTTP_ROUTE_POLICY_DELETE, "DELETE",
                                       "/v1/keys/{id}/policy",
                                       TOKEN | KEY | BODY | SPOD_HTTP_ROUTE_BODY_OPTIONAL | READY},
    [SPOD_HTTP_ROUTE_SIGN_BATCH] = {SPOD_HTTP_ROUTE_SIGN_BATCH, "POST", "/v1/sign/batch",
                                    TOKEN | BODY | READY},
    [SPOD_HTTP_ROUTE_ATTEST] = {SPOD_HTTP_ROUTE_ATTEST, "POST", "/v1/attest", TOKEN | BODY},
    [SPOD_HTTP_ROUTE_CUSTODIAN_SHARES] = {SPOD_HTTP_ROUTE_CUSTODIAN_SHARES, "POST",
                                          "/v1/custodian/shares", TOKEN | BODY},
    [SPOD_HTTP_ROUTE_CUSTODIAN_STATUS] = {SPOD_HTTP_ROUTE_CUSTODIAN_STATUS, "GET",
                                          "/v1/custodian/status", TOKEN},
    [SPOD_HTTP_ROUTE_HEALTHZ] = {SPOD_HTTP_ROUTE_HEALTHZ, "GET", "/healthz", 0},
    [SPOD_HTTP_ROUTE_READYZ] = {SPOD_HTTP_ROUTE_READYZ, "GET", "/readyz", 0},
    [SPOD_HTTP_ROUTE_METRICS] = {SPOD_HTTP_ROUTE_METRICS, "GET", "/metrics", 0},
    [SPOD_HTTP_ROUTE_W3S_PUBLIC_KEYS] = {SPOD_HTTP_ROUTE_W3S_PUBLIC_KEYS, "GET",
                                         "/api/v1/eth1/publicKeys", TOKEN},
    [SPOD_HTTP_ROUTE_W3S_SIGN] = {SPOD_HTTP_ROUTE_W3S_SIGN, "POST", "/api/v1/eth1/sign/{id}",
                                  TOKEN | BODY | READY | SPOD_HTTP_ROUTE_W3S_ID},
    [SPOD_HTTP_ROUTE_W3S_UPCHECK] = {SPOD_HTTP_ROUTE_W3S_UPCHECK, "GET", "/upcheck", 0},
    [SPOD_HTTP_ROUTE_SOL_SIGN_TX] = {SPOD_HTTP_ROUTE_SOL_SIGN_TX, "POST",
                                     "/v1/solana/sign-transaction", TOKEN | BODY | READY},
    [SPOD_HTTP_ROUTE_SOL_SIGN_MSG] = {SPOD_HTTP_ROUTE_SOL_SIGN_MSG, "POST",
                                      "/v1/solana/sign-message", TOKEN | BODY | READY},
    [SPOD_HTTP_ROUTE_ETH_RPC] = {SPOD_HTTP_ROUTE_ETH_RPC, "POST", "/eth", TOKEN | BODY | READY},
};

/* Matches path against one template, setting the {id} view when the template has one. */
static int path_match(const char *tmpl, const char *path, const char **id, size_t *id_len)
{
	static const char placeholder[] = "{id}";

	*id = NULL;
	*id_len = 0;
	while (*tmpl != '\0') {
		if (strncmp(tmpl, placeholder, sizeof(placeholder) - 1) == 0) {
			const char *start = path;

			while (*path != '\0' && *path != '/')
				path++;
			if (path == start)
				return 0;
			*id = start;
			*id_len = (size_t)(path - start);
			tmpl += sizeof(placeholder) - 1;
			continue;
		}
		if (*tmpl != *path)
			return 0;
		tmpl++;
		path++;
	}
	return *path == '\0';
}

/* Appends method to the Allow list unless it is already there. */
static void allow_add(char *allow, size_t cap, const char *method)
{
	size_t len = strlen(allow), add = strlen(method);

	if (strstr(allow, method) != NULL)
		return;
	if (len > 0) {
		if (cap - len <= 2)
			return;
		memcpy(allow + len, ", ", 2);
		len += 2;
	}
	if (add >= cap - len)
		return;
	memcpy(allow + len, method, add + 1);
}

enum spod_http_match_result spod_http_route_match(struct spod_http_match *m, const char *method,
                                                  const char *path)
{
	int path_known = 0;

	memset(m, 0, sizeof(*m));
	/* Templates without {id} first: a path one of them matches is not tried as a key id. */
	for (int with_id = 0; with_id < 2 && !path_known; with_id++) {
		for (size_t i = 0; i < SPOD_HTTP_ROUTE__COUNT; i++) {
			const struct spod_http_route *r = &spod_http_routes[i];
			const char *id;
			size_t id_len;

			if (((r->flags & KEY) != 0) != with_id ||
			    !path_match(r->path, path, &id, &id_len))
				continue;
			path_known = 1;
			if (strcmp(r->method, method) == 0) {
				m->route = r;
				m->id = id;
				m->id_len = id_len;
				m->allow[0] = '\0';
				return SPOD_HTTP_MATCH_OK;
			}
			allow_add(m->allow, sizeof(m->allow), r->method);
		}
	}
	return path_known ? SPOD_HTTP_MATCH_NO_METHOD : SPOD_HTTP_MATCH_NO_PATH;
}

void spod_http_list_routes(FILE *out)
{
	for (size_t i = 0; i < SPOD_HTTP_ROUTE__COUNT; i++)
		fprintf(out, "%s %s\n", spod_http_routes[i].method, spod_http_routes[i].path);
}
