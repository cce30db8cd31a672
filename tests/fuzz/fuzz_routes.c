/*
 * libFuzzer target for the HTTP API's router and query parsing (src/host/http/routes.c,
 * params.c).
 *
 * The input reads like a request line: METHOD, a space, the path, and after a "?" the query
 * string, "&"-separated "name=value" or "name" parameters (a NUL ends the text). The match
 * is compared with a reference matcher written here from routes.h's contract (exact
 * templates, "{id}" one non-empty segment, templates without {id} decide alone), and an OK
 * match must give back its path when the {id} view is put into the template. Query
 * parameters go through spod_http_list_query_add: an accepted value is plain decimal and
 * equals the stored number; a refusal leaves the query unchanged and explains itself.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/http/params.h"
#include "host/http/routes.h"
#include "spod/err.h"
#include "spod/wire.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

#define TEXT_MAX_BYTES 4096u

/* Whether path matches tmpl, "{id}" standing for one non-empty segment. */
static int ref_path_match(const char *tmpl, const char *path)
{
	const char *brace = strstr(tmpl, "{id}");
	size_t head, seg;

	if (brace == NULL)
		return strcmp(tmpl, path) == 0;
	head = (size_t)(brace - tmpl);
	if (strncmp(tmpl, path, head) != 0)
		return 0;
	seg = strcspn(path + head, "/");
	return seg > 0 && strcmp(brace + 4, path + head + seg) == 0;
}

static void check_match(const char *method, const char *path)
{
	struct spod_http_match m;
	enum spod_http_match_result r = spod_http_route_match(&m, method, path);
	const struct spod_http_route *want = NULL;
	int known = 0;

	for (int with_id = 0; with_id < 2 && !known; with_id++) {
		for (size_t i = 0; i < SPOD_HTTP_ROUTE__COUNT; i++) {
			const struct spod_http_route *rt = &spod_http_routes[i];

			if ((strstr(rt->path, "{id}") != NULL) != with_id ||
			    !ref_path_match(rt->path, path))
				continue;
			known = 1;
			if (want == NULL && strcmp(rt->method, method) == 0)
				want = rt;
		}
	}
	CHECK(memchr(m.allow, '\0', sizeof m.allow) != NULL);
	if (want != NULL) {
		char again[TEXT_MAX_BYTES + 64];
		const char *brace = strstr(want->path, "{id}");

		CHECK(r == SPOD_HTTP_MATCH_OK && m.route == want && m.allow[0] == '\0');
		CHECK(m.route == &spod_http_routes[m.route->id]);
		if (brace == NULL) {
			CHECK(m.id == NULL && m.id_len == 0);
			return;
		}
		/* the segment names a key, or (Web3Signer's routes) a public key or address */
		CHECK((want->flags & (SPOD_HTTP_ROUTE_KEY | SPOD_HTTP_ROUTE_W3S_ID)) != 0);
		CHECK(m.id > path && m.id_len > 0 && m.id + m.id_len <= path + strlen(path));
		CHECK(memchr(m.id, '/', m.id_len) == NULL);
		snprintf(again, sizeof again, "%.*s%.*s%s", (int)(brace - want->path), want->path,
		         (int)m.id_len, m.id, brace + 4);
		CHECK(strcmp(again, path) == 0);
		return;
	}
	CHECK(m.route == NULL && m.id == NULL && m.id_len == 0);
	if (!known) {
		CHECK(r == SPOD_HTTP_MATCH_NO_PATH && m.allow[0] == '\0');
		return;
	}
	CHECK(r == SPOD_HTTP_MATCH_NO_METHOD && m.allow[0] != '\0');
	/* Every method in Allow is one the path has. */
	for (const char *p = m.allow; *p != '\0';) {
		size_t n = strcspn(p, ",");
		int found = 0;

		for (size_t i = 0; i < SPOD_HTTP_ROUTE__COUNT; i++)
			if (strlen(spod_http_routes[i].method) == n &&
			    memcmp(spod_http_routes[i].method, p, n) == 0 &&
			    ref_path_match(spod_http_routes[i].path, path))
				found = 1;
		CHECK(found);
		p += n;
		if (*p == ',') {
			CHECK(p[1] == ' ');
			p += 2;
		}
	}
}

static void check_param(struct spod_http_list_query *q, char *param)
{
	struct spod_http_list_query before = *q;
	struct spod_http_perr err;
	char *value = strchr(param, '=');
	char *end;
	unsigned long v;
	int rc;

	if (value != NULL)
		*value++ = '\0';
	memset(&err, 0, sizeof err);
	rc = spod_http_list_query_add(q, &err, param, value);
	if (rc != SPOD_OK) {
		CHECK(rc == SPOD_E_BAD_ARG && err.code != NULL && err.msg[0] != '\0');
		CHECK(memcmp(&before, q, sizeof before) == 0);
		return;
	}
	CHECK(value != NULL && value[0] != '\0' && strspn(value, "0123456789") == strlen(value));
	v = strtoul(value, &end, 10);
	CHECK(*end == '\0');
	if (strcmp(param, "cursor") == 0) {
		CHECK(!(before.seen & 1u) && q->seen == (before.seen | 1u));
		CHECK(q->cursor == v && q->limit == before.limit);
	} else {
		CHECK(strcmp(param, "limit") == 0);
		CHECK(!(before.seen & 2u) && q->seen == (before.seen | 2u));
		CHECK(q->limit == v && v >= 1 && v <= SPOD_LIST_MAX_ITEMS &&
		      q->cursor == before.cursor);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[TEXT_MAX_BYTES + 1];
	char *method, *path, *query, *param;
	struct spod_http_list_query q;

	if (size > TEXT_MAX_BYTES)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	method = text;
	path = strchr(text, ' ');
	if (path == NULL) {
		check_match("GET", text);
		return 0;
	}
	*path++ = '\0';
	query = strchr(path, '?');
	if (query != NULL)
		*query++ = '\0';
	check_match(method, path);

	spod_http_list_query_init(&q);
	CHECK(q.cursor == 0 && q.limit == SPOD_HTTP_LIST_DEFAULT && q.seen == 0);
	while (query != NULL) {
		param = query;
		query = strchr(query, '&');
		if (query != NULL)
			*query++ = '\0';
		check_param(&q, param);
	}
	return 0;
}
