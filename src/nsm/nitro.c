/*
 * The real NSM: /dev/nsm and its one ioctl, NSM_IOCTL_RAW, which carries a CBOR request
 * and a buffer for the CBOR response (docs/research/nitro.md §3.2, the Linux UAPI
 * include/uapi/linux/nsm.h). The driver refuses requests over 0x1000 bytes with EMSGSIZE
 * and truncates responses to the buffer without an error, so a response that fills the
 * whole 0x3000-byte buffer and does not parse was cut short: SPOD_E_TOO_LARGE.
 *
 * The request and response buffers live in the handle (16 KiB, not on the stack). The
 * response is wiped after every call, since GetRandom's bytes may seed keys.
 */
#include "nsm/backend.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "crypto/secmem.h"
#include "nsm/api.h"
#include "spod/err.h"

struct nsm_iovec {
	uint64_t addr;
	uint64_t len;
};

struct nsm_raw {
	struct nsm_iovec request;
	struct nsm_iovec response;
};

#define NSM_MAGIC     0x0A
#define NSM_IOCTL_RAW _IOWR(NSM_MAGIC, 0x0, struct nsm_raw)

_Static_assert(sizeof(struct nsm_raw) == 32, "struct nsm_raw is the kernel's 32-byte layout");
#if defined(__x86_64__) || defined(__aarch64__)
_Static_assert(NSM_IOCTL_RAW == 0xC0200A00u, "NSM_IOCTL_RAW as the generic ioctl encoding");
#endif

/* GetRandom returns at most this many bytes per request (nsm-lib nsm_get_random). */
#define NSM_RANDOM_MAX_PER_CALL 256u

struct nitro {
	struct spod_nsm base;
	spod_nsm_transport transport;
	void *ctx;
	int fd; /* -1 over a caller-supplied transport */
	uint8_t req[SPOD_NSM_REQUEST_MAX_BYTES];
	uint8_t resp[SPOD_NSM_RESPONSE_MAX_BYTES];
};

static int nitro_ioctl(void *ctx, const uint8_t *req, size_t req_len, uint8_t *resp,
                       size_t resp_cap, size_t *resp_len)
{
	const int *fd = ctx;
	struct nsm_raw raw;
	int r;

	*resp_len = 0;
	memset(&raw, 0, sizeof(raw));
	raw.request.addr = (uint64_t)(uintptr_t)req;
	raw.request.len = req_len;
	raw.response.addr = (uint64_t)(uintptr_t)resp;
	raw.response.len = resp_cap;
	do {
		r = ioctl(*fd, NSM_IOCTL_RAW, &raw);
	} while (r < 0 && errno == EINTR);
	if (r < 0) {
		if (errno == EMSGSIZE)
			return SPOD_E_TOO_LARGE;
		spod_error("nsm: NSM_IOCTL_RAW failed: %s", strerror(errno));
		return SPOD_E_IO;
	}
	if (raw.response.len > resp_cap)
		return SPOD_E_IO;
	*resp_len = (size_t)raw.response.len;
	return SPOD_OK;
}

/* Sends n->req[0..req_len) and leaves the answer in n->resp[0..*resp_len). */
static int nitro_call(struct nitro *n, size_t req_len, size_t *resp_len)
{
	int rc;

	*resp_len = 0;
	rc = n->transport(n->ctx, n->req, req_len, n->resp, sizeof(n->resp), resp_len);
	if (rc < 0)
		return rc == SPOD_E_TOO_LARGE ? rc : SPOD_E_IO;
	if (*resp_len > sizeof(n->resp)) {
		*resp_len = 0;
		spod_error("nsm: the transport reported more bytes than the response buffer holds");
		return SPOD_E_IO;
	}
	return SPOD_OK;
}

/* A decode failure on a response that filled the buffer means the driver cut it. */
static int nitro_decoded(int rc, size_t resp_len)
{
	if (rc == SPOD_E_TRUNCATED && resp_len == SPOD_NSM_RESPONSE_MAX_BYTES) {
		spod_error("nsm: the answer exceeds the %u-byte response buffer",
		           SPOD_NSM_RESPONSE_MAX_BYTES);
		return SPOD_E_TOO_LARGE;
	}
	if (rc == SPOD_E_TRUNCATED || rc == SPOD_E_PROTOCOL)
		spod_error("nsm: the NSM's answer is malformed (%s)", spod_err_name(rc));
	return rc;
}

static int nitro_attest(struct spod_nsm *base, uint8_t *doc, size_t cap, size_t *doc_len,
                        struct spod_bytes user_data, struct spod_bytes nonce,
                        struct spod_bytes public_key)
{
	struct nitro *n = (struct nitro *)base;
	struct spod_bytes d;
	size_t req_len, resp_len = 0;
	int rc;

	SPOD_GUARD(rc, spod_nsm_api_encode_attestation(n->req, sizeof(n->req), &req_len, user_data,
	                                               nonce, public_key));
	SPOD_GUARD(rc, nitro_call(n, req_len, &resp_len));
	rc = nitro_decoded(spod_nsm_api_decode_attestation(&d, n->resp, resp_len), resp_len);
	if (rc < 0)
		goto out;
	if (d.len > cap) {
		rc = SPOD_E_TOO_LARGE;
		goto out;
	}
	memcpy(doc, d.ptr, d.len);
	*doc_len = d.len;
	rc = SPOD_OK;
out:
	spod_secmem_wipe(n->resp, resp_len);
	return rc;
}

static int nitro_describe_pcr(struct spod_nsm *base, uint8_t out[SPOD_ATTEST_PCR_BYTES],
                              int *locked, uint16_t index)
{
	struct nitro *n = (struct nitro *)base;
	struct spod_bytes d;
	size_t req_len, resp_len = 0;
	int rc;

	SPOD_GUARD(rc, spod_nsm_api_encode_describe_pcr(n->req, sizeof(n->req), &req_len, index));
	SPOD_GUARD(rc, nitro_call(n, req_len, &resp_len));
	rc = nitro_decoded(spod_nsm_api_decode_describe_pcr(&d, locked, n->resp, resp_len),
	                   resp_len);
	if (rc < 0)
		goto out;
	memcpy(out, d.ptr, SPOD_ATTEST_PCR_BYTES);
out:
	spod_secmem_wipe(n->resp, resp_len);
	return rc;
}

static int nitro_get_random(struct spod_nsm *base, uint8_t *out, size_t len, size_t *got)
{
	struct nitro *n = (struct nitro *)base;
	struct spod_bytes r;
	size_t req_len, resp_len = 0;
	int rc;

	SPOD_GUARD(rc, spod_nsm_api_encode_get_random(n->req, sizeof(n->req), &req_len));
	SPOD_GUARD(rc, nitro_call(n, req_len, &resp_len));
	rc = nitro_decoded(spod_nsm_api_decode_get_random(&r, n->resp, resp_len), resp_len);
	if (rc < 0)
		goto out;
	if (r.len > NSM_RANDOM_MAX_PER_CALL) {
		spod_error("nsm: GetRandom answered more than %u bytes", NSM_RANDOM_MAX_PER_CALL);
		rc = SPOD_E_PROTOCOL;
		goto out;
	}
	*got = r.len < len ? r.len : len;
	memcpy(out, r.ptr, *got);
out:
	spod_secmem_wipe(n->resp, resp_len);
	return rc;
}

static void nitro_close(struct spod_nsm *base)
{
	struct nitro *n = (struct nitro *)base;

	if (n->fd >= 0)
		close(n->fd);
	spod_secmem_wipe(n, sizeof(*n));
	free(n);
}

static const struct spod_nsm_ops nitro_ops = {
    .kind = SPOD_NSM_NITRO,
    .attest = nitro_attest,
    .describe_pcr = nitro_describe_pcr,
    .get_random = nitro_get_random,
    .close = nitro_close,
};

static struct nitro *nitro_new(void)
{
	struct nitro *n = calloc(1, sizeof(*n));

	if (n == NULL)
		return NULL;
	n->base.ops = &nitro_ops;
	n->fd = -1;
	return n;
}

int spod_nsm_open_nitro_with(struct spod_nsm **out, spod_nsm_transport t, void *ctx)
{
	struct nitro *n;

	*out = NULL;
	n = nitro_new();
	if (n == NULL)
		return SPOD_E_NOMEM;
	n->transport = t;
	n->ctx = ctx;
	*out = &n->base;
	return SPOD_OK;
}

int spod_nsm_open_nitro(struct spod_nsm **out, const char *path)
{
	struct nitro *n;
	struct stat st;
	int fd;

	*out = NULL;
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR || errno == ENODEV || errno == ENXIO) {
			spod_error("nsm: %s is not available: %s", path, strerror(errno));
			return SPOD_E_UNAVAILABLE;
		}
		spod_error("nsm: cannot open %s: %s", path, strerror(errno));
		return SPOD_E_IO;
	}
	if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode)) {
		spod_error("nsm: %s is not a character device; refusing to use it as the NSM",
		           path);
		close(fd);
		return SPOD_E_IO;
	}
	n = nitro_new();
	if (n == NULL) {
		close(fd);
		return SPOD_E_NOMEM;
	}
	n->fd = fd;
	n->transport = nitro_ioctl;
	n->ctx = &n->fd;
	*out = &n->base;
	return SPOD_OK;
}
