/*
 * The HTTP layer's in-process channels (transport/inproc.h), served as application
 * connections: each channel is a host_client like an accepted socket, so its hello, every
 * request's admission (token, scopes, rates), audit, metrics and flow control are the binary
 * path's, in the same code. The hub's eventfd is one more descriptor in the loop; what a
 * channel has for the host is found on the hub's list of news, at most HOST_INPROC_BATCH
 * channels per wake-up.
 */
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "host/core/host_int.h"

#define HOST_INPROC_BATCH 64

/*
 * The peer a channel counts as: spod-host's own user, as its HTTP layer's unix connections to
 * its own listener counted before (docs/host.md, "Hostile clients").
 */
static void inproc_peer(struct spod_peer *p)
{
	memset(p, 0, sizeof(*p));
	p->family = AF_UNIX;
	p->uid = (uint32_t)geteuid();
}

static void on_inproc(struct spod_loop *loop, int fd, uint32_t events, void *arg)
{
	static struct spod_log_limit refused;
	struct spod_host *h = arg;
	struct spod_inproc *ip;

	(void)loop;
	(void)fd;
	(void)events;
	spod_inproc_hub_begin(h->inproc);
	for (unsigned n = 0; n < HOST_INPROC_BATCH && (ip = spod_inproc_hub_pop(h->inproc)); n++) {
		struct host_client *cl = spod_inproc_owner(ip);

		if (cl == NULL) {
			struct spod_peer peer;
			int rc;

			inproc_peer(&peer);
			rc = host_client_add_inproc(h, ip, &peer, &cl);
			if (rc < 0) {
				spod_log_limited(&refused, SPOD_LOG_EVERY_MS, SPOD_LOG_WARN,
				                 "refusing an HTTP channel: %s", spod_strerror(rc));
				spod_inproc_loop_close(ip); /* its hello sees CLOSED */
				continue;
			}
		}
		host_client_event(cl, spod_inproc_loop_events(ip));
	}
	spod_inproc_hub_again(h->inproc);
}

int host_inproc_start(struct spod_host *h)
{
	SPOD_TRY(spod_inproc_hub_new(&h->inproc, h->cfg.max_clients));
	return spod_loop_add(h->loop, spod_inproc_hub_fd(h->inproc), SPOD_EV_READ, on_inproc, h);
}

void host_inproc_stop(struct spod_host *h)
{
	if (h->inproc != NULL)
		spod_inproc_hub_stop(h->inproc);
}

void host_inproc_free(struct spod_host *h)
{
	if (h->inproc == NULL)
		return;
	spod_loop_del(h->loop, spod_inproc_hub_fd(h->inproc));
	spod_inproc_hub_free(h->inproc);
	h->inproc = NULL;
}
