/*
 * Writing into send buffers: answers and errors to application connections (within the
 * credit each request reserved), counted; closing an application connection; and the
 * host's own requests to an enclave connection. Everything above this file that answers a
 * client, or asks the enclave something itself, goes through here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/core/host_int.h"

struct host_client *host_client_get(struct spod_host *h, uint32_t index, uint32_t gen)
{
	if (index >= h->cfg.max_clients || h->clients[index] == NULL || h->client_gen[index] != gen)
		return NULL;
	return h->clients[index];
}

void host_client_unauth_add(struct host_client *cl)
{
	struct spod_host *h = cl->h;

	cl->unauth = 1;
	cl->unauth_next = NULL;
	cl->unauth_prev = h->unauth_tail;
	if (h->unauth_tail != NULL)
		h->unauth_tail->unauth_next = cl;
	else
		h->unauth_head = cl;
	h->unauth_tail = cl;
	h->nunauth++;
	host_metrics_set(&h->metrics.clients_unauth, h->nunauth);
}

void host_client_unauth_remove(struct host_client *cl)
{
	struct spod_host *h = cl->h;

	if (!cl->unauth)
		return;
	if (cl->unauth_prev != NULL)
		cl->unauth_prev->unauth_next = cl->unauth_next;
	else
		h->unauth_head = cl->unauth_next;
	if (cl->unauth_next != NULL)
		cl->unauth_next->unauth_prev = cl->unauth_prev;
	else
		h->unauth_tail = cl->unauth_prev;
	cl->unauth = 0;
	cl->unauth_prev = cl->unauth_next = NULL;
	h->nunauth--;
	host_metrics_set(&h->metrics.clients_unauth, h->nunauth);
}

void host_client_close(struct host_client *cl)
{
	struct spod_host *h = cl->h;

	host_client_unauth_remove(cl);
	if (cl->ip != NULL) {
		spod_inproc_loop_close(cl->ip); /* its worker reads what is left, then CLOSED */
		cl->ip = NULL;
	} else
		spod_loop_del(h->loop, cl->c.fd);
	if (cl->tok != NULL)
		cl->tok->refs--;
	cl->tok = NULL;
	if (cl->paused || cl->eof)
		h->nwaiting--;
	h->clients[cl->index] = NULL;
	h->client_gen[cl->index]++; /* responses still in flight for it are dropped */
	h->nclients--;
	host_metrics_set(&h->metrics.clients, h->nclients);
	if (cl->dirty) {
		for (uint32_t i = 0; i < h->ndirty; i++)
			if (h->dirty_clients[i] == cl)
				h->dirty_clients[i] = NULL;
	}
	spod_conn_free(&cl->c);
	free(cl);
}

void host_client_mark_dirty(struct host_client *cl)
{
	if (!cl->dirty) {
		cl->dirty = 1;
		cl->h->dirty_clients[cl->h->ndirty++] = cl;
	}
}

long host_client_fill(struct host_client *cl)
{
	struct spod_conn *c = &cl->c;
	long n;

	if (cl->ip == NULL)
		return spod_conn_fill(c);
	if (c->rx_end == c->rx_cap)
		return SPOD_E_TOO_LARGE;
	n = spod_inproc_loop_read(cl->ip, c->rx + c->rx_end, c->rx_cap - c->rx_end);
	if (n > 0)
		c->rx_end += (size_t)n;
	return n;
}

int host_client_flush(struct host_client *cl)
{
	struct spod_conn *c = &cl->c;

	if (cl->ip == NULL)
		return spod_conn_flush(c);
	while (c->tx_start < c->tx_end) {
		long n =
		    spod_inproc_loop_write(cl->ip, c->tx + c->tx_start, c->tx_end - c->tx_start);

		if (n < 0)
			return (int)n; /* AGAIN: the channel comes back when its worker made room */
		c->tx_start += (size_t)n;
	}
	c->tx_start = 0;
	c->tx_end = 0;
	return SPOD_OK;
}

void host_client_release(struct host_client *cl, uint32_t reserve)
{
	cl->inflight--;
	cl->reserved -= reserve;
}

void host_answer_count(struct spod_host *h, uint8_t opcode, int status)
{
	host_metrics_request(&h->metrics, opcode, status);
}

int host_client_error_text(struct host_client *cl, uint8_t opcode, uint64_t rid, int err,
                           const char *msg)
{
	uint8_t *out = spod_conn_tx_reserve(&cl->c, ERR_FRAME_MAX);
	size_t len;

	if (out == NULL)
		return SPOD_E_BUSY;
	if (spod_wire_put_error(out, ERR_FRAME_MAX, &len, opcode, rid, err, msg) < 0)
		return SPOD_E_INTERNAL;
	spod_conn_tx_commit(&cl->c, len);
	host_client_mark_dirty(cl);
	host_answer_count(cl->h, opcode, err);
	return SPOD_OK;
}

int host_client_error(struct host_client *cl, uint8_t opcode, uint64_t rid, int err,
                      const char *what)
{
	char msg[SPOD_ERRMSG_MAX_BYTES];

	snprintf(msg, sizeof(msg), "%s: %s", what, spod_strerror(err));
	return host_client_error_text(cl, opcode, rid, err, msg);
}

int host_client_answer(struct host_client *cl, const uint8_t *frame, size_t len, uint8_t opcode,
                       int status)
{
	uint8_t *out = spod_conn_tx_reserve(&cl->c, len);

	if (out == NULL)
		return SPOD_E_BUSY;
	memcpy(out, frame, len);
	spod_conn_tx_commit(&cl->c, len);
	host_client_mark_dirty(cl);
	host_answer_count(cl->h, opcode, status);
	return SPOD_OK;
}

int host_enclave_send(struct host_enclave *e, const uint8_t *frame, size_t len)
{
	uint8_t *out = spod_conn_tx_reserve(&e->c, len);

	if (out == NULL)
		return SPOD_E_INTERNAL; /* the buffer is full: the caller retries or gives up */
	memcpy(out, frame, len);
	spod_conn_tx_commit(&e->c, len);
	host_enclave_mark_dirty(e);
	return SPOD_OK;
}
