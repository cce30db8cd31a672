/*
 * The HTTP row: sign requests through spod-host's HTTP/JSON API, one at a time on one
 * keep-alive connection, with keys made through the same API. Answers are checked cheaply
 * (status 200 and a "signature" field) while measuring; the last signature of each run is
 * decoded and verified against the key's public key, so the row measures real signatures.
 */
#include <string.h>

#include "bench.h"
#include "common/hex.h"
#include "crypto/sign.h"
#include "http_client.h"

#define KEYS_PATH           "/v1/keys"
#define SIGNATURE_FIELD     "\"signature\":\""
#define REQUEST_BODY_BYTES  128u /* {"message":"<64 hex>"} */
#define PATH_BYTES          (sizeof(KEYS_PATH) + 2 * SPOD_KEY_ID_BYTES + sizeof("/sign"))
#define FIELD_PATTERN_BYTES 32u
#define EXCERPT_BYTES       160u

static int http_fail(const struct bench_http *c, const char *what, int rc)
{
	const char *detail = c != NULL ? bench_http_last_error(c) : "";

	fprintf(stderr, "spod-bench: HTTP %s: %s%s%s\n", what, spod_strerror(rc),
	        detail[0] != '\0' ? " - " : "", detail);
	return rc;
}

/* The body of an answer with an unexpected status, as text for the message. */
static int status_fail(const char *what, const struct bench_http_response *resp, unsigned want)
{
	char text[EXCERPT_BYTES];
	size_t n = 0;

	for (; n < resp->body_len && n < sizeof(text) - 1; n++)
		text[n] = resp->body[n] >= 0x20 && resp->body[n] < 0x7f ? resp->body[n] : '?';
	text[n] = '\0';
	fprintf(stderr, "spod-bench: HTTP %s: answered %u, not %u: %s\n", what, resp->status, want,
	        text);
	return SPOD_E_PROTOCOL;
}

static int is_hex_digit(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

/*
 * The hex string value of the field name in the JSON text body[0..len), copied with a NUL
 * to out[0..out_cap). Cheap, not a JSON parser: it finds the first "name":" as spod-host's
 * compact JSON writes it and takes the hex digits up to the closing quote. Returns SPOD_OK,
 * SPOD_E_PROTOCOL (field absent or not a hex string) or SPOD_E_TOO_LARGE; out is "" on
 * failure.
 */
static int json_hex_field(char *out, size_t out_cap, const char *body, size_t len, const char *name)
{
	char pattern[FIELD_PATTERN_BYTES];
	const char *p;
	size_t off, n = 0;
	int plen;

	out[0] = '\0';
	plen = snprintf(pattern, sizeof(pattern), "\"%s\":\"", name);
	if (plen < 0 || (size_t)plen >= sizeof(pattern))
		return SPOD_E_TOO_LARGE;
	p = memmem(body, len, pattern, (size_t)plen);
	if (p == NULL)
		return SPOD_E_PROTOCOL;
	off = (size_t)(p - body) + (size_t)plen;
	while (n < len - off && is_hex_digit(body[off + n]))
		n++;
	if (n == len - off || body[off + n] != '"')
		return SPOD_E_PROTOCOL;
	if (n >= out_cap)
		return SPOD_E_TOO_LARGE;
	memcpy(out, body + off, n);
	out[n] = '\0';
	return SPOD_OK;
}

int bench_http_key_create(struct bench_http_key *out, struct bench_http *c,
                          const struct bench_alg *a)
{
	char body[REQUEST_BODY_BYTES], pub_hex[2 * SPOD_PUB_MAX_BYTES + 1];
	struct bench_http_response resp;
	int n, rc;

	memset(out, 0, sizeof(*out));
	n = snprintf(body, sizeof(body), "{\"alg\":\"%s\"}", a->name);
	if (n < 0 || (size_t)n >= sizeof(body))
		return http_fail(NULL, "key creation: request body", SPOD_E_TOO_LARGE);
	rc = bench_http_request(c, &resp, "POST", KEYS_PATH, body, (size_t)n);
	if (rc < 0)
		return http_fail(c, "POST " KEYS_PATH, rc);
	if (resp.status != 201)
		return status_fail("POST " KEYS_PATH, &resp, 201);
	rc = json_hex_field(out->id, sizeof(out->id), resp.body, resp.body_len, "id");
	if (rc == SPOD_OK && strlen(out->id) != 2 * SPOD_KEY_ID_BYTES)
		rc = SPOD_E_PROTOCOL;
	if (rc == SPOD_OK)
		rc = json_hex_field(pub_hex, sizeof(pub_hex), resp.body, resp.body_len,
		                    "public_key");
	if (rc == SPOD_OK)
		rc = spod_hex_decode(out->pub, sizeof(out->pub), &out->pub_len, pub_hex);
	if (rc < 0) {
		memset(out, 0, sizeof(*out));
		fprintf(stderr,
		        "spod-bench: HTTP POST " KEYS_PATH ": no %u-hex-digit \"id\" or no hex "
		        "\"public_key\" in the answer: %s\n",
		        2 * SPOD_KEY_ID_BYTES, spod_strerror(rc));
		return rc;
	}
	return SPOD_OK;
}

int bench_http_key_delete(struct bench_http *c, const struct bench_http_key *key)
{
	struct bench_http_response resp;
	char path[PATH_BYTES];
	int rc;

	snprintf(path, sizeof(path), KEYS_PATH "/%s", key->id);
	rc = bench_http_request(c, &resp, "DELETE", path, NULL, 0);
	if (rc < 0)
		return http_fail(c, "DELETE key", rc);
	if (resp.status != 204)
		return status_fail("DELETE key", &resp, 204);
	return SPOD_OK;
}

/* Makes every message differ (deterministic ECDSA nonces would otherwise repeat). */
static void put_counter(uint8_t msg[BENCH_MSG_BYTES], uint64_t i)
{
	memcpy(msg, &i, sizeof(i));
}

/* The last answer's signature, decoded and verified over msg under the key. */
static int verify_last(const struct bench_http_response *resp, const struct bench_alg *a,
                       const struct bench_http_key *key, const uint8_t msg[BENCH_MSG_BYTES])
{
	char sig_hex[2 * SPOD_SIG_MAX_BYTES + 1];
	uint8_t sig[SPOD_SIG_MAX_BYTES];
	size_t sig_len = 0;
	int rc;

	rc = json_hex_field(sig_hex, sizeof(sig_hex), resp->body, resp->body_len, "signature");
	if (rc == SPOD_OK)
		rc = spod_hex_decode(sig, sizeof(sig), &sig_len, sig_hex);
	if (rc < 0)
		return http_fail(NULL, "sign: the \"signature\" field is not hex of a signature",
		                 rc);
	rc = spod_verify(a->alg, key->pub, key->pub_len, a->mode, msg, BENCH_MSG_BYTES, sig,
	                 sig_len);
	if (rc < 0)
		return http_fail(NULL, "verifying the pod's signature", rc);
	return SPOD_OK;
}

int bench_http_sync(struct bench_stats *out, struct bench_samples *s, struct bench_http *c,
                    const struct bench_alg *a, const struct bench_http_key *key, size_t warmup,
                    size_t n)
{
	/* Ed25519 signs the message as given; ECDSA rows sign a 32-byte digest. */
	const char *field = a->mode == SPOD_MODE_DIGEST ? "digest" : "message";
	const size_t hex_len = 2 * BENCH_MSG_BYTES, tail_len = sizeof("\"}") - 1;
	struct bench_http_response resp = {0};
	char path[PATH_BYTES], body[REQUEST_BODY_BYTES];
	uint8_t msg[BENCH_MSG_BYTES];
	size_t head_len, body_len;
	int len, rc;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), KEYS_PATH "/%s/sign", key->id);
	len = snprintf(body, sizeof(body), "{\"%s\":\"", field);
	if (len < 0 || hex_len + tail_len >= sizeof(body) - (size_t)len)
		return http_fail(NULL, "sign: request body", SPOD_E_TOO_LARGE);
	head_len = (size_t)len;
	body_len = head_len + hex_len + tail_len;
	spod_random(msg, sizeof(msg));
	s->n = 0;
	for (size_t i = 0; i < warmup + n; i++) {
		uint64_t t0, t1;

		put_counter(msg, i);
		rc = spod_hex_encode(body + head_len, sizeof(body) - head_len, msg, sizeof(msg));
		if (rc < 0)
			return http_fail(NULL, "sign: request body", rc);
		memcpy(body + head_len + hex_len, "\"}", tail_len);
		t0 = bench_now_ns();
		rc = bench_http_request(c, &resp, "POST", path, body, body_len);
		t1 = bench_now_ns();
		if (rc < 0)
			return http_fail(c, "sign", rc);
		if (resp.status != 200)
			return status_fail("sign", &resp, 200);
		if (memmem(resp.body, resp.body_len, SIGNATURE_FIELD,
		           sizeof(SIGNATURE_FIELD) - 1) == NULL)
			return http_fail(NULL, "sign: no \"signature\" in the answer",
			                 SPOD_E_PROTOCOL);
		if (i >= warmup)
			s->ns[s->n++] = t1 - t0;
	}
	/* resp is still a view of the last answer: no request since. */
	SPOD_TRY(verify_last(&resp, a, key, msg));
	bench_stats_compute(out, s);
	return SPOD_OK;
}
