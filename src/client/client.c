/* libspod client: synchronous calls and pipelined signing over one connection. */
#include "spod/client.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client/client_int.h"
#include "common/hex.h"
#include "common/trace.h"
#include "transport/conn.h"
#include "transport/inproc.h"
#include "transport/loop.h"
#include "transport/socket.h"

#define CLIENT_RX_BYTES    (4u * SPOD_FRAME_MAX_BYTES)
#define CLIENT_TX_BYTES    (4u * SPOD_FRAME_MAX_BYTES)
#define DEFAULT_TIMEOUT_MS 30000

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int remaining(int64_t deadline)
{
	int64_t left = deadline - now_ms();
	return left < 0 ? 0 : (int)left;
}

int client_new(struct spod_client **out, int fd, int timeout_ms)
{
	struct spod_client *c = calloc(1, sizeof(*c));
	int rc;

	*out = NULL;
	if (c == NULL) {
		if (fd >= 0)
			close(fd);
		return SPOD_E_NOMEM;
	}
	c->timeout_ms = timeout_ms > 0 ? timeout_ms : DEFAULT_TIMEOUT_MS;
	c->next_rid = 1;
	rc = spod_conn_init(&c->c, fd, CLIENT_RX_BYTES, CLIENT_TX_BYTES);
	if (rc < 0) {
		free(c);
		return rc;
	}
	*out = c;
	return SPOD_OK;
}

int spod_client_connect(struct spod_client **out, const char *uri, int timeout_ms)
{
	struct spod_uri u;
	int fd;

	*out = NULL;
	SPOD_TRY(spod_uri_parse(&u, uri));
	SPOD_TRY(spod_connect(&fd, &u, timeout_ms > 0 ? timeout_ms : DEFAULT_TIMEOUT_MS));
	return client_new(out, fd, timeout_ms);
}

void spod_client_set_timeout(struct spod_client *c, int timeout_ms)
{
	c->timeout_ms = timeout_ms > 0 ? timeout_ms : DEFAULT_TIMEOUT_MS;
}

void spod_client_close(struct spod_client *c)
{
	if (c == NULL)
		return;
	spod_conn_free(&c->c);
	spod_inproc_close(c->ip);
	free(c);
}

const char *spod_client_last_error(const struct spod_client *c)
{
	return c->last_error;
}

/*
 * Reads whatever is available into rx, waiting up to timeout_ms for the first byte. With
 * try_first 0 it goes straight to poll: right after sending a request the answer cannot be
 * there yet, and a read would only return EAGAIN (one wasted system call per request).
 */
static int fill_wait(struct spod_client *c, int timeout_ms, int try_first)
{
	uint32_t ready;
	long n;

	spod_conn_compact(&c->c);
	if (try_first || timeout_ms == 0) {
		n = client_io_fill(c);
		if (n > 0)
			return SPOD_OK;
		if (n != SPOD_E_AGAIN)
			return (int)n;
		if (timeout_ms == 0)
			return SPOD_E_AGAIN;
	}
	SPOD_TRY(client_io_wait(c, SPOD_EV_READ, timeout_ms, &ready));
	if (ready == 0)
		return SPOD_E_TIMEOUT;
	n = client_io_fill(c);
	return n > 0 ? SPOD_OK : (n == SPOD_E_AGAIN ? SPOD_E_AGAIN : (int)n);
}

/*
 * An evidence frame spod-enclave sends unasked after answering signs (opcode 0x60, request
 * id 0; docs/evidence.md): a client connected straight to the enclave skips it.
 */
static int unasked(const struct spod_frame *f)
{
	return f->hdr.opcode == SPOD_OP_EVIDENCE && f->hdr.request_id == 0 &&
	       (f->hdr.flags & SPOD_FLAG_RESPONSE) != 0;
}

int spod_client_flush(struct spod_client *c)
{
	int64_t deadline = now_ms() + c->timeout_ms;
	int rc;

	while ((rc = client_io_flush(c)) == SPOD_E_AGAIN) {
		int left = remaining(deadline);
		uint32_t ready;

		if (left == 0)
			return SPOD_E_TIMEOUT;
		SPOD_TRY(client_io_wait(c, SPOD_EV_READ | SPOD_EV_WRITE, left, &ready));
		/* Keep reading answers while we write, so neither side can block the other. */
		if ((ready & SPOD_EV_READ) && c->c.rx_end < c->c.rx_cap) {
			long n = client_io_fill(c);
			if (n == SPOD_E_CLOSED || n == SPOD_E_IO)
				return (int)n;
		}
	}
	return rc;
}

/* Records the pod's error message and returns its code. */
static int take_error(struct spod_client *c, const struct spod_frame *f)
{
	const char *msg;
	uint32_t len;
	int err;

	if (spod_wire_error(&err, &msg, &len, f) < 0)
		return SPOD_E_PROTOCOL;
	memcpy(c->last_error, msg, len);
	c->last_error[len] = '\0';
	return err;
}

int client_roundtrip(struct spod_client *c, struct spod_frame *f, uint64_t rid)
{
	int64_t deadline = now_ms() + c->timeout_ms;
	int rc, waited = 0;

	c->last_error[0] = '\0';
	SPOD_TRY(spod_client_flush(c));
	for (;;) {
		rc = spod_conn_next(&c->c, f);
		if (rc == SPOD_OK && unasked(f))
			continue;
		if (rc == SPOD_OK)
			break;
		if (rc != SPOD_E_AGAIN)
			return SPOD_E_PROTOCOL;
		rc = fill_wait(c, remaining(deadline), waited++);
		if (rc == SPOD_E_AGAIN)
			rc = remaining(deadline) == 0 ? SPOD_E_TIMEOUT : SPOD_OK;
		if (rc < 0)
			return rc;
	}
	if (spod_wire_check_hdr(&f->hdr, 1) < 0 || f->hdr.request_id != rid)
		return SPOD_E_PROTOCOL;
	if (f->hdr.status != 0)
		return take_error(c, f);
	return SPOD_OK;
}

uint8_t *client_sync_begin(struct spod_client *c, size_t need, uint64_t *rid)
{
	if (c->in_flight > 0)
		return NULL; /* synchronous calls need an idle pipeline */
	*rid = c->next_rid++;
	return spod_conn_tx_reserve(&c->c, need);
}

int client_empty_call(struct spod_client *c, struct spod_frame *f, uint8_t opcode)
{
	uint64_t rid;
	uint8_t *buf;
	size_t len;

	SYNC_BEGIN(c, SPOD_HDR_BYTES, rid, buf);
	SPOD_TRY(spod_wire_enc_empty(buf, SPOD_HDR_BYTES, &len, opcode, rid));
	spod_conn_tx_commit(&c->c, len);
	return client_roundtrip(c, f, rid);
}

int spod_client_info(struct spod_client *c, struct spod_pod_info *out)
{
	struct spod_info_view v;
	struct spod_frame f;

	memset(out, 0, sizeof(*out));
	SPOD_TRY(client_empty_call(c, &f, SPOD_OP_INFO));
	SPOD_TRY(spod_wire_info_resp(&v, &f));
	out->proto_version = v.proto_version;
	out->alg_mask = v.alg_mask;
	out->key_count = v.key_count;
	out->key_capacity = v.key_capacity;
	out->flags = v.flags;
	if (v.version_len >= sizeof(out->version))
		return SPOD_E_PROTOCOL;
	memcpy(out->version, v.version, v.version_len);
	return SPOD_OK;
}

void client_copy_key(struct spod_key_info *out, const struct spod_key_view *v)
{
	memcpy(out->id, v->key_id, SPOD_KEY_ID_BYTES);
	out->alg = v->alg;
	memcpy(out->pub, v->pub, v->pub_len);
	out->pub_len = v->pub_len;
	/* The decoder checked label_len <= SPOD_LABEL_MAX_BYTES and the charset (no NUL). */
	memcpy(out->label, v->label != NULL ? v->label : "", v->label_len);
	out->label[v->label_len] = '\0';
}

static int key_call(struct spod_client *c, struct spod_key_info *out, uint8_t opcode,
                    const uint8_t *key_id, uint8_t alg, const char *label)
{
	size_t label_len = label != NULL ? strlen(label) : 0;
	size_t need = SPOD_HDR_BYTES + SPOD_KEY_ID_BYTES + SPOD_LABEL_MAX_BYTES;
	struct spod_key_view v;
	struct spod_frame f;
	uint64_t rid;
	uint8_t *buf;
	size_t len;

	memset(out, 0, sizeof(*out));
	if (label_len > 0 && !spod_label_valid(label, label_len))
		return SPOD_E_BAD_ARG;
	SYNC_BEGIN(c, need, rid, buf);
	if (opcode == SPOD_OP_KEY_GENERATE)
		SPOD_TRY(spod_wire_enc_generate_label(buf, need, &len, rid, alg, label, label_len));
	else
		SPOD_TRY(spod_wire_enc_key(buf, need, &len, opcode, rid, key_id));
	spod_conn_tx_commit(&c->c, len);
	SPOD_TRY(client_roundtrip(c, &f, rid));
	SPOD_TRY(spod_wire_key_resp(&v, &f));
	client_copy_key(out, &v);
	return SPOD_OK;
}

int spod_client_generate(struct spod_client *c, struct spod_key_info *out, uint8_t alg)
{
	return key_call(c, out, SPOD_OP_KEY_GENERATE, NULL, alg, NULL);
}

int spod_client_generate_label(struct spod_client *c, struct spod_key_info *out, uint8_t alg,
                               const char *label)
{
	return key_call(c, out, SPOD_OP_KEY_GENERATE, NULL, alg, label);
}

int spod_client_hello(struct spod_client *c, const char *token, struct spod_hello_info *out)
{
	size_t token_len = strlen(token);
	size_t need = SPOD_HDR_BYTES + 8 + SPOD_TOKEN_MAX_BYTES;
	struct spod_hello_view v;
	struct spod_frame f;
	uint64_t rid;
	uint8_t *buf;
	size_t len;
	int rc;

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (token_len == 0 || token_len > SPOD_TOKEN_MAX_BYTES)
		return SPOD_E_BAD_ARG;
	SYNC_BEGIN(c, need, rid, buf);
	rc = spod_wire_enc_hello(buf, need, &len, rid, token, token_len);
	if (rc < 0)
		return rc;
	spod_conn_tx_commit(&c->c, len);
	rc = client_roundtrip(c, &f, rid);
	/* The token is a secret: no copy stays behind in the send buffer. */
	explicit_bzero(buf, len);
	if (rc < 0)
		return rc;
	SPOD_TRY(spod_wire_hello_resp(&v, &f));
	if (out != NULL) {
		memcpy(out->token_id, v.token_id, sizeof(out->token_id));
		out->flags = v.flags;
		out->ops = v.ops;
	}
	return SPOD_OK;
}

#define OPEN_RETRIES    4 /* connections closed before the hello was answered */
#define OPEN_BACKOFF_MS 5 /* then 10, 20, 40 */

int client_open_with(struct spod_client **out, client_connect_fn connect, const void *to,
                     const char *token, int timeout_ms)
{
	int64_t deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : DEFAULT_TIMEOUT_MS);
	int rc;

	for (int attempt = 0;; attempt++) {
		int left = remaining(deadline), pause = OPEN_BACKOFF_MS << attempt;

		SPOD_TRY(connect(out, to, left > 0 ? left : 1));
		if (token == NULL)
			return SPOD_OK;
		rc = spod_client_hello(*out, token, NULL);
		if (rc == SPOD_OK)
			return SPOD_OK;
		spod_client_close(*out);
		*out = NULL;
		/*
		 * Closed before the hello was answered: spod-host under a flood of connections
		 * that never authenticate displaces the oldest silent ones (docs/host.md); a
		 * client descheduled between connecting and sending may have been one.
		 */
		if ((rc != SPOD_E_CLOSED && rc != SPOD_E_IO) || attempt == OPEN_RETRIES ||
		    remaining(deadline) <= pause)
			return rc;
		poll(NULL, 0, pause);
	}
}

static int connect_uri(struct spod_client **out, const void *uri, int timeout_ms)
{
	return spod_client_connect(out, uri, timeout_ms);
}

int spod_client_open(struct spod_client **out, const char *uri, const char *token, int timeout_ms)
{
	return client_open_with(out, connect_uri, uri, token, timeout_ms);
}

int spod_client_public(struct spod_client *c, struct spod_key_info *out,
                       const uint8_t key_id[SPOD_KEY_ID_BYTES])
{
	return key_call(c, out, SPOD_OP_KEY_PUBLIC, key_id, 0, NULL);
}

int spod_client_delete(struct spod_client *c, const uint8_t key_id[SPOD_KEY_ID_BYTES])
{
	struct spod_frame f;
	uint64_t rid;
	uint8_t *buf;
	size_t len;

	SYNC_BEGIN(c, SPOD_HDR_BYTES + SPOD_KEY_ID_BYTES, rid, buf);
	SPOD_TRY(spod_wire_enc_key(buf, SPOD_HDR_BYTES + SPOD_KEY_ID_BYTES, &len,
	                           SPOD_OP_KEY_DELETE, rid, key_id));
	spod_conn_tx_commit(&c->c, len);
	SPOD_TRY(client_roundtrip(c, &f, rid));
	if (f.hdr.opcode != SPOD_OP_KEY_DELETE || f.body_len != 0)
		return SPOD_E_PROTOCOL;
	return SPOD_OK;
}

int spod_client_list(struct spod_client *c, struct spod_key_info *out, size_t cap, size_t *n,
                     uint32_t *cursor)
{
	struct spod_list_view v;
	struct spod_key_view k;
	struct spod_frame f;
	uint64_t rid;
	uint8_t *buf;
	size_t len;
	uint32_t max = cap > SPOD_LIST_MAX_ITEMS ? SPOD_LIST_MAX_ITEMS : (uint32_t)cap;

	*n = 0;
	if (max == 0)
		return SPOD_E_BAD_ARG;
	SYNC_BEGIN(c, SPOD_HDR_BYTES + 8, rid, buf);
	SPOD_TRY(spod_wire_enc_list(buf, SPOD_HDR_BYTES + 8, &len, rid, *cursor, max));
	spod_conn_tx_commit(&c->c, len);
	SPOD_TRY(client_roundtrip(c, &f, rid));
	SPOD_TRY(spod_wire_list_resp(&v, &f));
	if (v.count > max)
		return SPOD_E_PROTOCOL;
	for (uint32_t i = 0; i < v.count; i++) {
		spod_wire_list_item(&k, &v, i);
		client_copy_key(&out[i], &k);
	}
	*n = v.count;
	*cursor = v.next_cursor;
	return SPOD_OK;
}

static void copy_sig(struct spod_signature *out, const struct spod_sig_view *v)
{
	out->alg = v->alg;
	out->recid = v->recid;
	memcpy(out->sig, v->sig, v->sig_len);
	out->sig_len = v->sig_len;
}

int spod_client_sign(struct spod_client *c, struct spod_signature *out,
                     const uint8_t key_id[SPOD_KEY_ID_BYTES], uint8_t mode, const uint8_t *data,
                     size_t data_len)
{
	struct spod_sig_view v;
	struct spod_frame f;
	size_t need = SPOD_HDR_BYTES + 32 + data_len, len;
	uint64_t rid;
	uint8_t *buf;

	memset(out, 0, sizeof(*out));
	if (data_len > SPOD_MSG_MAX_BYTES)
		return SPOD_E_TOO_LARGE;
	SYNC_BEGIN(c, need, rid, buf);
	SPOD_TRY(
	    spod_wire_enc_sign(buf, need, &len, rid, key_id, mode, data ? data : buf, data_len));
	spod_conn_tx_commit(&c->c, len);
	SPOD_TRACE_MARK(SPOD_TR_C_SEND, rid, 0);
	SPOD_TRY(client_roundtrip(c, &f, rid));
	SPOD_TRY(spod_wire_sig_resp(&v, &f));
	copy_sig(out, &v);
	SPOD_TRACE_MARK(SPOD_TR_C_RECV, rid, 0);
	return SPOD_OK;
}

int spod_client_sign_batch(struct spod_client *c, struct spod_signature *out, int *status,
                           const struct spod_sign_item *items, size_t n)
{
	struct spod_batch_resp_view v;
	struct spod_batch_enc e;
	struct spod_sig_view s;
	struct spod_frame f;
	size_t need = SPOD_FRAME_MAX_BYTES, len;
	uint64_t rid;
	uint8_t *buf;

	if (n == 0 || n > SPOD_BATCH_MAX_ITEMS)
		return SPOD_E_BAD_ARG;
	memset(out, 0, n * sizeof(*out));
	SYNC_BEGIN(c, need, rid, buf);
	SPOD_TRY(spod_wire_batch_begin(&e, buf, need, rid, (uint32_t)n));
	for (size_t i = 0; i < n; i++)
		SPOD_TRY(spod_wire_batch_add(&e, items[i].key_id, items[i].mode,
		                             items[i].data ? items[i].data : buf,
		                             items[i].data_len));
	SPOD_TRY(spod_wire_batch_finish(&e, &len));
	spod_conn_tx_commit(&c->c, len);
	SPOD_TRY(client_roundtrip(c, &f, rid));
	SPOD_TRY(spod_wire_batch_resp(&v, &f));
	if (v.count != n)
		return SPOD_E_PROTOCOL;
	for (uint32_t i = 0; i < v.count; i++) {
		spod_wire_batch_resp_item(&s, &v, i);
		status[i] = s.status;
		if (s.status == SPOD_OK)
			copy_sig(&out[i], &s);
	}
	return SPOD_OK;
}

int spod_client_echo(struct spod_client *c, const uint8_t *data, size_t len)
{
	struct spod_frame f;
	size_t need = SPOD_HDR_BYTES + len, n;
	uint64_t rid;
	uint8_t *buf;

	SYNC_BEGIN(c, need, rid, buf);
	SPOD_TRY(spod_wire_enc_echo(buf, need, &n, rid, data, len));
	spod_conn_tx_commit(&c->c, n);
	SPOD_TRY(client_roundtrip(c, &f, rid));
	if (f.hdr.opcode != SPOD_OP_ECHO || f.body_len != len ||
	    (len > 0 && memcmp(f.body, data, len) != 0))
		return SPOD_E_PROTOCOL;
	return SPOD_OK;
}

int spod_client_submit_sign(struct spod_client *c, uint64_t *request_id,
                            const uint8_t key_id[SPOD_KEY_ID_BYTES], uint8_t mode,
                            const uint8_t *data, size_t data_len)
{
	size_t need = SPOD_HDR_BYTES + 32 + data_len, len;
	uint8_t *buf;

	*request_id = 0;
	if (data_len > SPOD_MSG_MAX_BYTES)
		return SPOD_E_TOO_LARGE;
	buf = spod_conn_tx_reserve(&c->c, need);
	if (buf == NULL)
		return SPOD_E_BUSY;
	SPOD_TRY(spod_wire_enc_sign(buf, need, &len, c->next_rid, key_id, mode, data ? data : buf,
	                            data_len));
	spod_conn_tx_commit(&c->c, len);
	*request_id = c->next_rid++;
	c->in_flight++;
	return SPOD_OK;
}

/* Delivers every complete buffered response to cb. */
static int deliver(struct spod_client *c, spod_sign_cb cb, void *arg, size_t *completed)
{
	struct spod_frame f;
	struct spod_signature sig;
	struct spod_sig_view v;
	int rc;

	while ((rc = spod_conn_next(&c->c, &f)) == SPOD_OK) {
		int status;

		if (unasked(&f))
			continue;
		if (spod_wire_check_hdr(&f.hdr, 1) < 0 || c->in_flight == 0)
			return SPOD_E_PROTOCOL;
		c->in_flight--;
		(*completed)++;
		if (f.hdr.status != 0) {
			cb(arg, f.hdr.request_id, take_error(c, &f), NULL);
			continue;
		}
		status = spod_wire_sig_resp(&v, &f);
		if (status == SPOD_OK)
			copy_sig(&sig, &v);
		cb(arg, f.hdr.request_id, status, status == SPOD_OK ? &sig : NULL);
	}
	return rc == SPOD_E_AGAIN ? SPOD_OK : SPOD_E_PROTOCOL;
}

int spod_client_poll(struct spod_client *c, int timeout_ms, spod_sign_cb cb, void *arg,
                     size_t *completed)
{
	int rc;

	*completed = 0;
	if (spod_conn_tx_pending(&c->c) > 0)
		SPOD_TRY(spod_client_flush(c));
	SPOD_TRY(deliver(c, cb, arg, completed));
	if (*completed > 0 || c->in_flight == 0)
		return SPOD_OK;
	rc = fill_wait(c, timeout_ms, 0);
	if (rc == SPOD_E_AGAIN || rc == SPOD_E_TIMEOUT)
		return SPOD_OK;
	SPOD_TRY(rc);
	return deliver(c, cb, arg, completed);
}

size_t spod_client_in_flight(const struct spod_client *c)
{
	return c->in_flight;
}

void spod_key_id_text(char out[2 * SPOD_KEY_ID_BYTES + 1], const uint8_t id[SPOD_KEY_ID_BYTES])
{
	if (spod_hex_encode(out, 2 * SPOD_KEY_ID_BYTES + 1, id, SPOD_KEY_ID_BYTES) < 0)
		out[0] = '\0'; /* cannot happen: the buffer is sized for the id */
}

int spod_key_id_parse(uint8_t id[SPOD_KEY_ID_BYTES], const char *text)
{
	size_t n;
	int rc = spod_hex_decode(id, SPOD_KEY_ID_BYTES, &n, text);

	if (rc < 0 || n != SPOD_KEY_ID_BYTES) {
		memset(id, 0, SPOD_KEY_ID_BYTES);
		return SPOD_E_BAD_HEX;
	}
	return SPOD_OK;
}
