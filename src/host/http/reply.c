/* HTTP answers: status mapping and JSON bodies (reply.h). */
#include "host/http/reply.h"

#include <stdlib.h>
#include <string.h>

#include "host/http/json_req.h"
#include "spod/err.h"

static const char nomem_body[] = "{\"error\":{\"code\":\"NOMEM\",\"message\":\"out of memory\"}}";

void spod_http_reply_free(struct spod_http_reply *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
}

unsigned spod_http_status(int err)
{
	return spod_err_http_status(err);
}

static void reply_nomem(struct spod_http_reply *r)
{
	spod_http_reply_free(r);
	r->status = 500;
	r->content_type = SPOD_HTTP_JSON_TYPE;
	r->fixed_body = nomem_body;
	r->body_len = sizeof(nomem_body) - 1;
}

void spod_http_reply_json(struct spod_http_reply *r, unsigned status, json_t *obj)
{
	char *text;

	if (obj == NULL) {
		reply_nomem(r);
		return;
	}
	text = json_dumps(obj, JSON_COMPACT);
	json_decref(obj);
	if (text == NULL) {
		reply_nomem(r);
		return;
	}
	free(r->body);
	r->status = status;
	r->content_type = SPOD_HTTP_JSON_TYPE;
	r->body = text; /* json_dumps allocates with malloc: the reply frees it with free */
	r->fixed_body = NULL;
	r->body_len = strlen(text);
}

void spod_http_reply_error(struct spod_http_reply *r, unsigned status, const char *code,
                           const char *message)
{
	char clean[SPOD_HTTP_ERRMSG_BYTES + 64];
	size_t n = 0;

	for (; n < sizeof(clean) - 1 && message[n] != '\0'; n++)
		clean[n] = (message[n] >= 0x20 && message[n] < 0x7f) ? message[n] : '?';
	clean[n] = '\0';
	spod_http_reply_json(r, status,
	                     json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", clean));
	r->challenge = r->status == 401;
	r->retry_after_s = r->status == 429 ? SPOD_HTTP_RETRY_AFTER_S : 0;
}

void spod_http_reply_failure(struct spod_http_reply *r, int err, const char *message)
{
	if (message == NULL || message[0] == '\0')
		message = spod_strerror(err);
	spod_http_reply_error(r, spod_http_status(err), spod_err_name(err), message);
}
