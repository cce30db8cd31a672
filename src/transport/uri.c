/* Parsing and formatting of transport URIs (see uri.h). */
#include "transport/uri.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "spod/err.h"

#define URI_UNIX  "unix://"
#define URI_TCP   "tcp://"
#define URI_VSOCK "vsock://"

/* s starts with the literal prefix lit; returns the rest or NULL. */
static const char *skip_prefix(const char *s, const char *lit)
{
	size_t n = strlen(lit);
	return strncmp(s, lit, n) == 0 ? s + n : NULL;
}

/*
 * Strict decimal: one or more ASCII digits, no sign, no spaces, no leading zero (so every
 * number has exactly one spelling) and at most max.
 */
static int parse_dec(uint32_t *out, const char *s, size_t len, uint32_t max)
{
	uint32_t v = 0;

	if (len == 0 || (s[0] == '0' && len > 1))
		return SPOD_E_BAD_URI;
	for (size_t i = 0; i < len; i++) {
		uint32_t d;

		if (s[i] < '0' || s[i] > '9')
			return SPOD_E_BAD_URI;
		d = (uint32_t)(s[i] - '0');
		if (v > (max - d) / 10)
			return SPOD_E_BAD_URI;
		v = v * 10 + d;
	}
	*out = v;
	return SPOD_OK;
}

static int parse_unix(struct spod_uri *u, const char *rest)
{
	size_t len = strlen(rest);

	if (len == 0 || len > sizeof(u->path) - 1)
		return SPOD_E_BAD_URI;
	u->kind = SPOD_URI_UNIX;
	memcpy(u->path, rest, len + 1);
	return SPOD_OK;
}

/* Parses an IP literal of len bytes and stores its canonical text in u->host. */
static int parse_ip(struct spod_uri *u, int family, const char *s, size_t len)
{
	char lit[INET6_ADDRSTRLEN];
	struct in6_addr addr; /* large enough for either family */

	if (len == 0 || len > sizeof(lit) - 1)
		return SPOD_E_BAD_URI;
	memcpy(lit, s, len);
	lit[len] = '\0';
	if (inet_pton(family, lit, &addr) != 1)
		return SPOD_E_BAD_URI;
	if (inet_ntop(family, &addr, u->host, sizeof(u->host)) == NULL)
		return SPOD_E_BAD_URI;
	return SPOD_OK;
}

/* tcp://A.B.C.D:PORT or tcp://[IPV6]:PORT */
static int parse_tcp(struct spod_uri *u, const char *rest)
{
	const char *port;

	if (rest[0] == '[') {
		const char *close = strchr(rest, ']');
		if (close == NULL || close[1] != ':')
			return SPOD_E_BAD_URI;
		SPOD_TRY(parse_ip(u, AF_INET6, rest + 1, (size_t)(close - rest - 1)));
		port = close + 2;
	} else {
		const char *colon = strchr(rest, ':');
		if (colon == NULL)
			return SPOD_E_BAD_URI;
		SPOD_TRY(parse_ip(u, AF_INET, rest, (size_t)(colon - rest)));
		port = colon + 1;
	}
	SPOD_TRY(parse_dec(&u->port, port, strlen(port), 65535));
	u->kind = SPOD_URI_TCP;
	return SPOD_OK;
}

/* vsock://CID:PORT, CID decimal or "any" */
static int parse_vsock(struct spod_uri *u, const char *rest)
{
	const char *colon = strchr(rest, ':');
	const char *port;
	size_t cid_len;

	if (colon == NULL)
		return SPOD_E_BAD_URI;
	cid_len = (size_t)(colon - rest);
	port = colon + 1;
	if (cid_len == 3 && memcmp(rest, "any", 3) == 0)
		u->cid = SPOD_URI_VSOCK_CID_ANY;
	else
		SPOD_TRY(parse_dec(&u->cid, rest, cid_len, UINT32_MAX));
	SPOD_TRY(parse_dec(&u->port, port, strlen(port), UINT32_MAX));
	u->kind = SPOD_URI_VSOCK;
	return SPOD_OK;
}

int spod_uri_parse(struct spod_uri *u, const char *text)
{
	const char *rest;
	int rc;

	memset(u, 0, sizeof(*u));
	if ((rest = skip_prefix(text, URI_UNIX)) != NULL)
		rc = parse_unix(u, rest);
	else if ((rest = skip_prefix(text, URI_TCP)) != NULL)
		rc = parse_tcp(u, rest);
	else if ((rest = skip_prefix(text, URI_VSOCK)) != NULL)
		rc = parse_vsock(u, rest);
	else
		rc = SPOD_E_BAD_URI;
	if (rc < 0)
		memset(u, 0, sizeof(*u));
	return rc;
}

void spod_uri_format(char *out, size_t cap, const struct spod_uri *u)
{
	if (cap == 0)
		return;
	switch (u->kind) {
	case SPOD_URI_UNIX:
		snprintf(out, cap, URI_UNIX "%s", u->path);
		break;
	case SPOD_URI_TCP:
		if (strchr(u->host, ':') != NULL)
			snprintf(out, cap, URI_TCP "[%s]:%u", u->host, (unsigned)u->port);
		else
			snprintf(out, cap, URI_TCP "%s:%u", u->host, (unsigned)u->port);
		break;
	case SPOD_URI_VSOCK:
		if (u->cid == SPOD_URI_VSOCK_CID_ANY)
			snprintf(out, cap, URI_VSOCK "any:%u", (unsigned)u->port);
		else
			snprintf(out, cap, URI_VSOCK "%u:%u", (unsigned)u->cid, (unsigned)u->port);
		break;
	default:
		snprintf(out, cap, "invalid:");
		break;
	}
}
