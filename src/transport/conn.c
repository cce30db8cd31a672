/* Framed connection buffers (see conn.h). */
#include "transport/conn.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int spod_conn_init(struct spod_conn *c, int fd, size_t rx_cap, size_t tx_cap)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if (rx_cap < SPOD_FRAME_MAX_BYTES || tx_cap == 0) {
		close(fd);
		return SPOD_E_BAD_ARG;
	}
	c->rx = malloc(rx_cap);
	c->tx = malloc(tx_cap);
	if (c->rx == NULL || c->tx == NULL) {
		free(c->rx);
		free(c->tx);
		c->rx = NULL;
		c->tx = NULL;
		close(fd);
		return SPOD_E_NOMEM;
	}
	c->fd = fd;
	c->rx_cap = rx_cap;
	c->tx_cap = tx_cap;
	return SPOD_OK;
}

void spod_conn_free(struct spod_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->rx);
	free(c->tx);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

long spod_conn_fill(struct spod_conn *c)
{
	ssize_t n;

	if (c->rx_end == c->rx_cap)
		return SPOD_E_TOO_LARGE;
	do {
		n = read(c->fd, c->rx + c->rx_end, c->rx_cap - c->rx_end);
	} while (n < 0 && errno == EINTR);
	if (n > 0) {
		c->rx_end += (size_t)n;
		return (long)n;
	}
	if (n == 0)
		return SPOD_E_CLOSED;
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return SPOD_E_AGAIN;
	if (errno == ECONNRESET)
		return SPOD_E_CLOSED;
	return SPOD_E_IO;
}

int spod_conn_peek(struct spod_conn *c, struct spod_frame *f)
{
	if (c->rx_start == c->rx_end) {
		memset(f, 0, sizeof(*f));
		return SPOD_E_AGAIN;
	}
	return spod_wire_frame(f, c->rx + c->rx_start, c->rx_end - c->rx_start);
}

void spod_conn_consume(struct spod_conn *c, size_t len)
{
	c->rx_start += len;
}

int spod_conn_next(struct spod_conn *c, struct spod_frame *f)
{
	int rc = spod_conn_peek(c, f);

	if (rc == SPOD_OK)
		spod_conn_consume(c, f->frame_len);
	return rc;
}

void spod_conn_compact(struct spod_conn *c)
{
	size_t left = c->rx_end - c->rx_start;

	if (c->rx_start == 0)
		return;
	/* Usually every frame was consumed and this is just a reset. */
	if (left > 0)
		memmove(c->rx, c->rx + c->rx_start, left);
	c->rx_start = 0;
	c->rx_end = left;
}

uint8_t *spod_conn_tx_reserve(struct spod_conn *c, size_t need)
{
	size_t pending = c->tx_end - c->tx_start;

	if (need <= c->tx_cap - c->tx_end)
		return c->tx + c->tx_end;
	if (need > c->tx_cap - pending)
		return NULL;
	memmove(c->tx, c->tx + c->tx_start, pending);
	c->tx_start = 0;
	c->tx_end = pending;
	return c->tx + c->tx_end;
}

void spod_conn_tx_commit(struct spod_conn *c, size_t n)
{
	assert(n <= c->tx_cap - c->tx_end);
	c->tx_end += n;
}

int spod_conn_flush(struct spod_conn *c)
{
	while (c->tx_start < c->tx_end) {
		/* MSG_NOSIGNAL: a peer that went away is an error code here, never a SIGPIPE. */
		ssize_t n = send(c->fd, c->tx + c->tx_start, c->tx_end - c->tx_start, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return SPOD_E_AGAIN;
			if (errno == EPIPE || errno == ECONNRESET)
				return SPOD_E_CLOSED;
			return SPOD_E_IO;
		}
		if (n == 0)
			return SPOD_E_IO;
		c->tx_start += (size_t)n;
	}
	c->tx_start = 0;
	c->tx_end = 0;
	return SPOD_OK;
}
