/*
 * Transport addresses as URIs: unix:///abs/path (or unix://rel/path), tcp://IP:PORT with an
 * IPv4 or [IPv6] literal (no name lookup), vsock://CID:PORT (CID may be "any").
 */
#ifndef SPOD_TRANSPORT_URI_H
#define SPOD_TRANSPORT_URI_H

#include <stddef.h>
#include <stdint.h>
#include <sys/un.h>

enum spod_uri_kind { SPOD_URI_UNIX = 1, SPOD_URI_TCP = 2, SPOD_URI_VSOCK = 3 };

#define SPOD_URI_VSOCK_CID_ANY 0xffffffffu

struct spod_uri {
	enum spod_uri_kind kind;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)]; /* unix: NUL-terminated */
	char host[64]; /* tcp: the IP literal without brackets */
	uint32_t cid;  /* vsock */
	uint32_t port; /* tcp (1..65535, 0 allowed for listen = ephemeral), vsock */
};

/*
 * Parses text into *u. Returns SPOD_OK or SPOD_E_BAD_URI (unknown scheme, empty or too long
 * path, bad number, port out of range, host not an IP literal). *u is zeroed on failure.
 * Numbers are plain decimal: no sign, no spaces, no leading zero. The tcp host is stored in
 * inet_ntop's canonical form, so spod_uri_format gives one spelling per address.
 */
int spod_uri_parse(struct spod_uri *u, const char *text)
    __attribute__((warn_unused_result, nonnull));

/* Writes the canonical text of u to out (NUL-terminated, truncated to cap). */
void spod_uri_format(char *out, size_t cap, const struct spod_uri *u) __attribute__((nonnull));

#endif
