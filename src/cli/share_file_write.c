/*
 * Writing share files (share_file.h): the payload is validated by the enclave's parser
 * first, formatted as JSON by hand into locked memory (no JSON library sees the share), and
 * written to a new 0600 file that is synced before it counts as written.
 */
#include "cli/share_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "crypto/secmem.h"

/* An output cursor: everything is appended or the whole text is refused. */
struct text {
	char *p;
	size_t cap;
	size_t len; /* bytes written, a NUL after them */
	int over;   /* cap was too small */
};

static void put(struct text *t, const char *s)
{
	size_t n = strlen(s);

	if (t->over || n >= t->cap - t->len) {
		t->over = 1;
		return;
	}
	memcpy(t->p + t->len, s, n + 1);
	t->len += n;
}

/* Lowercase hex in constant time, straight into the (locked) output. */
static void put_hex(struct text *t, const uint8_t *b, size_t n)
{
	if (t->over || 2 * n >= t->cap - t->len) {
		t->over = 1;
		return;
	}
	sodium_bin2hex(t->p + t->len, t->cap - t->len, b, n);
	t->len += 2 * n;
}

static void put_member_uint(struct text *t, const char *name, unsigned v)
{
	char line[64];

	snprintf(line, sizeof line, "  \"%s\": %u,\n", name, v);
	put(t, line);
}

static void put_member_hex(struct text *t, const char *name, const uint8_t *b, size_t n)
{
	put(t, "  \"");
	put(t, name);
	put(t, "\": \"");
	put_hex(t, b, n);
	put(t, "\",\n");
}

int spod_share_file_format(char *out, size_t cap, size_t *len, const uint8_t *payload,
                           size_t payload_len, const char **why)
{
	struct spod_share_view v;
	struct text t = {out, cap, 0, 0};
	int rc;

	*len = 0;
	*why = NULL;
	if (cap > 0)
		out[0] = '\0';
	rc = spod_share_parse(&v, payload, payload_len, why);
	if (rc < 0)
		return rc;
	put(&t, "{\n  \"format\": \"" SPOD_SHARE_FILE_FORMAT "\",\n");
	put_member_uint(&t, "version", SPOD_SHARE_FILE_VERSION);
	put_member_hex(&t, "seal_key_id", v.seal_key_id, SPOD_SEAL_KEY_ID_BYTES);
	put_member_uint(&t, "threshold", v.k);
	put_member_uint(&t, "shares", v.n);
	put_member_uint(&t, "index", v.index);
	put_member_hex(&t, "share", v.share, SPOD_SHARE_BYTES);
	put(&t, "  \"commitments\": [\n");
	for (unsigned i = 0; i < v.n; i++) {
		put(&t, "    \"");
		put_hex(&t, v.commitments + (size_t)i * SPOD_SHARE_COMMIT_BYTES,
		        SPOD_SHARE_COMMIT_BYTES);
		put(&t, i + 1 < v.n ? "\",\n" : "\"\n");
	}
	put(&t, "  ]\n}\n");
	if (t.over) {
		spod_secmem_wipe(out, cap);
		*why = "share file text longer than the buffer";
		return SPOD_E_TOO_LARGE;
	}
	*len = t.len;
	return SPOD_OK;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* fsync of the directory that holds the new entry. */
static int sync_dir(int dirfd)
{
	int fd = dirfd, rc;

	if (dirfd == AT_FDCWD)
		fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	if (fd != dirfd) {
		int saved = errno;
		close(fd);
		errno = saved;
	}
	return rc;
}

/* Writes, syncs and closes the new file fd. Returns 0, or -1 with errno set. */
static int finish(int fd, const char *text, size_t len)
{
	int saved;

	if (fchmod(fd, S_IRUSR | S_IWUSR) == 0 && write_all(fd, text, len) == 0 && fsync(fd) == 0)
		return close(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

int spod_share_file_write(int dirfd, const char *name, const uint8_t *payload, size_t payload_len,
                          const char **why)
{
	char *text = spod_secmem_alloc(SPOD_SHARE_FILE_TEXT_MAX_BYTES);
	size_t len;
	int fd, rc;

	*why = NULL;
	if (text == NULL) {
		*why = "out of locked memory";
		return SPOD_E_NOMEM;
	}
	rc = spod_share_file_format(text, SPOD_SHARE_FILE_TEXT_MAX_BYTES, &len, payload,
	                            payload_len, why);
	if (rc < 0)
		goto out;
	fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
	            S_IRUSR | S_IWUSR);
	if (fd < 0) {
		*why = errno == EEXIST
		           ? "the file exists already (share files are never overwritten)"
		           : strerror(errno);
		rc = SPOD_E_BAD_ARG;
		goto out;
	}
	if (finish(fd, text, len) < 0 || sync_dir(dirfd) < 0) {
		*why = strerror(errno);
		rc = SPOD_E_IO;
		/* A share file that is not known to be whole is worse than none. */
		unlinkat(dirfd, name, 0);
	}
out:
	spod_secmem_free(text);
	return rc;
}
