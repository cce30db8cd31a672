/* Framed connection buffers (see conn.h). */
#include "transport/conn.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

/* n rounded up to a whole number of pages, or 0 if that does not fit a size_t. */
static size_t page_round(size_t n, size_t page)
{
	if (n > SIZE_MAX - page)
		return 0;
	return (n + page - 1) / page * page;
}

/*
 * Maps [guard][rx][guard][tx][guard] for c, each buffer ending right at its guard page so the
 * first byte written past it faults. Returns SPOD_OK or SPOD_E_NOMEM.
 */
static int conn_map(struct spod_conn *c, size_t rx_cap, size_t tx_cap)
{
	long ps = sysconf(_SC_PAGESIZE);
	size_t page = ps > 0 ? (size_t)ps : 4096;
	size_t rx_len = page_round(rx_cap, page);
	size_t tx_len = page_round(tx_cap, page);
	size_t total;
	uint8_t *base;

	if (rx_len == 0 || tx_len == 0 || rx_len > SIZE_MAX / 2 - 2 * page ||
	    tx_len > SIZE_MAX / 2 - 2 * page)
		return SPOD_E_NOMEM;
	total = 3 * page + rx_len + tx_len;
	base = mmap(NULL, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return SPOD_E_NOMEM;
	if (mprotect(base + page, rx_len, PROT_READ | PROT_WRITE) < 0 ||
	    mprotect(base + 2 * page + rx_len, tx_len, PROT_READ | PROT_WRITE) < 0) {
		munmap(base, total);
		return SPOD_E_NOMEM;
	}
	c->map = base;
	c->map_len = total;
	c->rx = base + page + (rx_len - rx_cap);
	c->tx = base + 2 * page + rx_len + (tx_len - tx_cap);
	return SPOD_OK;
}

int spod_conn_init(struct spod_conn *c, int fd, size_t rx_cap, size_t tx_cap)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if (rx_cap < SPOD_FRAME_MAX_BYTES || tx_cap == 0) {
		close(fd);
		return SPOD_E_BAD_ARG;
	}
	if (conn_map(c, rx_cap, tx_cap) < 0) {
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
	if (c->map != NULL)
		munmap(c->map, c->map_len);
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
