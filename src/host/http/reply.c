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
	switch (err) {
	case SPOD_OK:
		return 200;
	case SPOD_E_UNAUTHENTICATED:
		return 401;
	case SPOD_E_FORBIDDEN:
		return 403;
	case SPOD_E_RATE_LIMITED:
		return 429;
	case SPOD_E_KEY_NOT_FOUND:
		return 404;
	case SPOD_E_UNAVAILABLE:
	case SPOD_E_BUSY:
	case SPOD_E_IO:
	case SPOD_E_CLOSED:
	case SPOD_E_AGAIN:
		return 503;
	case SPOD_E_TIMEOUT:
		return 504;
	case SPOD_E_TOO_LARGE:
		return 413;
	case SPOD_E_KEYSTORE_FULL:
		return 507;
	case SPOD_E_PROTOCOL:
		return 502;
	case SPOD_E_TRUNCATED:
	case SPOD_E_BAD_LENGTH:
	case SPOD_E_BAD_REF:
	case SPOD_E_BAD_FIELD:
	case SPOD_E_UNKNOWN_ALG:
	case SPOD_E_BAD_MODE:
	case SPOD_E_BAD_DIGEST:
	case SPOD_E_BAD_SIGNATURE:
	case SPOD_E_BAD_ARG:
	case SPOD_E_BAD_HEX:
	case SPOD_E_BAD_KEY:
		return 400;
	default: /* INTERNAL, NOMEM, CRYPTO, and frame faults only a bug could cause */
		return 500;
	}
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
}

void spod_http_reply_failure(struct spod_http_reply *r, int err, const char *message)
{
	if (message == NULL || message[0] == '\0')
		message = spod_strerror(err);
	spod_http_reply_error(r, spod_http_status(err), spod_err_name(err), message);
}
