/* libspod's I/O over a socket or an in-process channel (client_int.h, client/inproc.h). */
#include "client/inproc.h"

#include <errno.h>
#include <poll.h>

#include "client/client_int.h"
#include "transport/loop.h"

long client_io_fill(struct spod_client *c)
{
	struct spod_conn *cn = &c->c;
	long n;

	if (c->ip == NULL)
		return spod_conn_fill(cn);
	if (cn->rx_end == cn->rx_cap)
		return SPOD_E_TOO_LARGE;
	n = spod_inproc_recv(c->ip, cn->rx + cn->rx_end, cn->rx_cap - cn->rx_end);
	if (n > 0)
		cn->rx_end += (size_t)n;
	return n;
}

int client_io_flush(struct spod_client *c)
{
	struct spod_conn *cn = &c->c;

	if (c->ip == NULL)
		return spod_conn_flush(cn);
	while (cn->tx_start < cn->tx_end) {
		long n = spod_inproc_send(c->ip, cn->tx + cn->tx_start, cn->tx_end - cn->tx_start);

		if (n < 0)
			return (int)n;
		cn->tx_start += (size_t)n;
	}
	cn->tx_start = 0;
	cn->tx_end = 0;
	return SPOD_OK;
}

int client_io_wait(struct spod_client *c, uint32_t events, int timeout_ms, uint32_t *ready)
{
	struct pollfd p = {.fd = c->c.fd};
	int rc;

	*ready = 0;
	if (c->ip != NULL) {
		*ready = (uint32_t)spod_inproc_wait(c->ip, events, timeout_ms);
		return SPOD_OK;
	}
	if (events & SPOD_EV_READ)
		p.events |= POLLIN;
	if (events & SPOD_EV_WRITE)
		p.events |= POLLOUT;
	do
		rc = poll(&p, 1, timeout_ms);
	while (rc < 0 && errno == EINTR);
	if (rc < 0)
		return SPOD_E_IO;
	if (p.revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL))
		*ready |= events & SPOD_EV_READ;
	if (p.revents & (POLLOUT | POLLHUP | POLLERR))
		*ready |= events & SPOD_EV_WRITE;
	return SPOD_OK;
}

static int connect_inproc(struct spod_client **out, const void *hub, int timeout_ms)
{
	struct spod_inproc *ip;

	/* spod_inproc_hub is opaque and never changed through this pointer by the caller. */
	SPOD_TRY(spod_inproc_open(&ip, (struct spod_inproc_hub *)(uintptr_t)hub));
	if (client_new(out, -1, timeout_ms) < 0) {
		spod_inproc_close(ip);
		return SPOD_E_NOMEM;
	}
	(*out)->ip = ip;
	return SPOD_OK;
}

int spod_client_open_inproc(struct spod_client **out, struct spod_inproc_hub *hub,
                            const char *token, int timeout_ms)
{
	return client_open_with(out, connect_inproc, hub, token, timeout_ms);
}
