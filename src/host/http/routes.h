/*
 * The HTTP API's routes: one const table (routes.c) that the router matches requests against
 * and spod-host --list-routes prints, so the two cannot disagree. docs/openapi.yaml uses the
 * same path templates.
 */
#ifndef SPOD_HTTP_ROUTES_H
#define SPOD_HTTP_ROUTES_H

#include <stddef.h>

enum spod_http_route_id {
	SPOD_HTTP_ROUTE_KEYS_CREATE,      /* POST /v1/keys */
	SPOD_HTTP_ROUTE_KEYS_LIST,        /* GET /v1/keys */
	SPOD_HTTP_ROUTE_KEYS_IMPORT,      /* POST /v1/keys/import */
	SPOD_HTTP_ROUTE_KEY_GET,          /* GET /v1/keys/{id} */
	SPOD_HTTP_ROUTE_KEY_DELETE,       /* DELETE /v1/keys/{id} */
	SPOD_HTTP_ROUTE_KEY_SIGN,         /* POST /v1/keys/{id}/sign */
	SPOD_HTTP_ROUTE_SIGN_BATCH,       /* POST /v1/sign/batch */
	SPOD_HTTP_ROUTE_KEY_SIGN_TX,      /* POST /v1/keys/{id}/sign-transaction */
	SPOD_HTTP_ROUTE_KEY_SIGN_MSG,     /* POST /v1/keys/{id}/sign-message */
	SPOD_HTTP_ROUTE_KEY_SIGN_TYPED,   /* POST /v1/keys/{id}/sign-typed-data */
	SPOD_HTTP_ROUTE_KEY_SIGN_AUTH,    /* POST /v1/keys/{id}/sign-authorization */
	SPOD_HTTP_ROUTE_POLICY_PUT,       /* PUT /v1/keys/{id}/policy */
	SPOD_HTTP_ROUTE_POLICY_GET,       /* GET /v1/keys/{id}/policy */
	SPOD_HTTP_ROUTE_POLICY_DELETE,    /* DELETE /v1/keys/{id}/policy */
	SPOD_HTTP_ROUTE_ATTEST,           /* POST /v1/attest */
	SPOD_HTTP_ROUTE_CUSTODIAN_SHARES, /* POST /v1/custodian/shares */
	SPOD_HTTP_ROUTE_CUSTODIAN_STATUS, /* GET /v1/custodian/status */
	SPOD_HTTP_ROUTE_HEALTHZ,          /* GET /healthz */
	SPOD_HTTP_ROUTE_READYZ,           /* GET /readyz */
	SPOD_HTTP_ROUTE_METRICS,          /* GET /metrics */
	/* Web3Signer's eth1 REST shape (web3signer.h, docs/ethereum.md) */
	SPOD_HTTP_ROUTE_W3S_PUBLIC_KEYS, /* GET /api/v1/eth1/publicKeys */
	SPOD_HTTP_ROUTE_W3S_SIGN,        /* POST /api/v1/eth1/sign/{id} */
	SPOD_HTTP_ROUTE_W3S_UPCHECK,     /* GET /upcheck */
	SPOD_HTTP_ROUTE_SOL_SIGN_TX,     /* POST /v1/solana/sign-transaction */
	SPOD_HTTP_ROUTE_SOL_SIGN_MSG,    /* POST /v1/solana/sign-message */
	SPOD_HTTP_ROUTE_ETH_RPC,         /* POST /eth (Ethereum JSON-RPC, docs/ethereum.md) */
	SPOD_HTTP_ROUTE__COUNT
};

#define SPOD_HTTP_ROUTE_TOKEN 0x1u /* needs "Authorization: Bearer <token>" */
#define SPOD_HTTP_ROUTE_BODY  0x2u /* takes a JSON body (Content-Type application/json) */
#define SPOD_HTTP_ROUTE_KEY   0x4u /* the path has a {id} segment: a key id */
/*
 * Needs an enclave connection ready for key operations (spod-host's pool, docs/host.md):
 * while there is none the route is answered 503 at once, without asking spod-host. The
 * other token routes either work without one (a token's own key list) or are what a pod
 * waiting for its custodians serves (attestation, the custodian routes).
 */
#define SPOD_HTTP_ROUTE_READY 0x8u
/* With BODY: the body may be left out (no Content-Type, no Content-Length or 0). */
#define SPOD_HTTP_ROUTE_BODY_OPTIONAL 0x10u
/*
 * The {id} segment is a Web3Signer identifier (a public key or an address, web3signer.h),
 * not a key id; the body is read as JSON whatever its Content-Type, as Web3Signer does.
 */
#define SPOD_HTTP_ROUTE_W3S_ID 0x20u

struct spod_http_route {
	enum spod_http_route_id id;
	const char *method;
	const char *path; /* template; "{id}" stands for one non-empty path segment */
	unsigned flags;   /* SPOD_HTTP_ROUTE_* */
};

/* Indexed by enum spod_http_route_id. */
extern const struct spod_http_route spod_http_routes[SPOD_HTTP_ROUTE__COUNT];

/* Longest Allow header value: every method of one path, comma separated. */
#define SPOD_HTTP_ALLOW_BYTES 64u

enum spod_http_match_result {
	SPOD_HTTP_MATCH_OK,        /* m->route is the route */
	SPOD_HTTP_MATCH_NO_PATH,   /* no template matches the path: 404 */
	SPOD_HTTP_MATCH_NO_METHOD, /* the path exists, not with this method: 405, m->allow set */
};

struct spod_http_match {
	const struct spod_http_route *route; /* NULL unless SPOD_HTTP_MATCH_OK */
	const char *id;                      /* the {id} segment, a view into the path; NULL */
	size_t id_len;                       /* if none. Valid as long as the path text is. */
	char allow[SPOD_HTTP_ALLOW_BYTES];   /* "GET, DELETE" on SPOD_HTTP_MATCH_NO_METHOD */
};

/*
 * Finds the route for method and path (the URL path, without its query string). Matching is
 * exact: no trailing slash, no empty {id}. A path that a template without {id} matches is
 * decided by those templates alone: "/v1/keys/import" is never a key id, so GET on it is
 * 405, not a key lookup. Never fails otherwise; *m is always filled.
 */
enum spod_http_match_result spod_http_route_match(struct spod_http_match *m, const char *method,
                                                  const char *path) __attribute__((nonnull));

#endif
