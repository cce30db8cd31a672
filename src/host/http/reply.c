/* HTTP answers: status mapping and JSON bodies (reply.h). */
#include "host/http/reply.h"

#include <stdlib.h>
#include <string.h>

#include "host/http/json_req.h"
#include "host/http/policy_http.h"
#include "spod/err.h"

/* Printable ASCII only: the text may quote client input or come from the enclave. */
static void clean_text(char *out, size_t cap, const char *in)
{
	size_t n = 0;

	for (; n < cap - 1 && in[n] != '\0'; n++)
		out[n] = (in[n] >= 0x20 && in[n] < 0x7f) ? in[n] : '?';
	out[n] = '\0';
}

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

	clean_text(clean, sizeof(clean), message);
	spod_http_reply_json(r, status,
	                     json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", clean));
	r->challenge = r->status == 401;
	r->retry_after_s = r->status == 429 ? SPOD_HTTP_RETRY_AFTER_S : 0;
}

/*
 * A policy refusal also names the rule and the reason, from the enclave's message
 * (`OP: denied by rule "ID": REASON`); a message of another shape gets neither.
 */
static void reply_denied(struct spod_http_reply *r, const char *message)
{
	char rule[96], reason[SPOD_HTTP_ERRMSG_BYTES], crule[96], creason[SPOD_HTTP_ERRMSG_BYTES];
	char clean[SPOD_HTTP_ERRMSG_BYTES + 64];

	if (spod_http_denial_parse(rule, sizeof(rule), reason, sizeof(reason), message) < 0) {
		spod_http_reply_error(r, spod_http_status(SPOD_E_POLICY_DENIED),
		                      spod_err_name(SPOD_E_POLICY_DENIED), message);
		return;
	}
	clean_text(clean, sizeof(clean), message);
	clean_text(crule, sizeof(crule), rule);
	clean_text(creason, sizeof(creason), reason);
	spod_http_reply_json(r, spod_http_status(SPOD_E_POLICY_DENIED),
	                     json_pack("{s:{s:s,s:s,s:s,s:s}}", "error", "code",
	                               spod_err_name(SPOD_E_POLICY_DENIED), "message", clean,
	                               "rule", crule, "reason", creason));
}

void spod_http_reply_failure(struct spod_http_reply *r, int err, const char *message)
{
	if (message == NULL || message[0] == '\0')
		message = spod_strerror(err);
	if (err == SPOD_E_POLICY_DENIED) {
		reply_denied(r, message);
		return;
	}
	spod_http_reply_error(r, spod_http_status(err), spod_err_name(err), message);
}
