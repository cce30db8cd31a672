/*
 * Share files: what `spod custodian init` writes for each custodian and what the custodian's
 * CLI reads back to send its share (docs/keys.md, "Share files"). Version 1 is one JSON
 * object with exactly these members, in any order:
 *
 *   "format"       "spod-custodian-share"
 *   "version"      1
 *   "seal_key_id"  32 hex digits: the id of the seal key the set rebuilds
 *   "threshold"    K, 1..N: how many shares rebuild the seal key
 *   "shares"       N, 1..32: how many shares the seal key was split into
 *   "index"        1..N: which share this is (its x-coordinate)
 *   "share"        64 hex digits: the share itself (secret)
 *   "commitments"  N strings of 64 hex digits: the commitments of shares 1..N
 *
 * A file converts one to one to the binary share payload of src/crypto/share.h and back.
 * The reader is strict: a file over SPOD_SHARE_FILE_MAX_BYTES, a member missing, unknown or
 * repeated, a wrong JSON type, a hex string of the wrong length, K, N or the index out of
 * range, or a share that does not match its commitment are refused, each with its own
 * message. Hex digits may be upper or lower case (the writer uses lower case).
 *
 * Secrets: the file's bytes, the JSON parser's working memory (jansson's allocations are
 * served from one locked arena while a file is parsed; only a file far more complex than a
 * share file spills past it, to heap blocks wiped when freed) and the payload all live in
 * locked memory, wiped on every path. jansson's allocator is switched for the length of a parse
 * and restored after it, so these functions must not run while another thread uses jansson.
 * Nothing here prints or logs; no message contains the share.
 */
#ifndef SPOD_CLI_SHARE_FILE_H
#define SPOD_CLI_SHARE_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/share.h"
#include "spod/err.h"

/* Larger files are refused unread (a file with 32 shares is about 2.9 KiB). */
#define SPOD_SHARE_FILE_MAX_BYTES 16384u
/* The longest text spod_share_file_format writes, with its NUL. */
#define SPOD_SHARE_FILE_TEXT_MAX_BYTES 4096u
#define SPOD_SHARE_FILE_FORMAT         "spod-custodian-share"
#define SPOD_SHARE_FILE_VERSION        1

/*
 * A share file read: its share payload in locked memory and a view into it. One create
 * (spod_share_file_parse, spod_share_file_read), one destroy (spod_share_file_free). A
 * zero-filled struct is empty and may be freed.
 */
struct spod_share_file {
	uint8_t *payload;            /* SPOD_SHARE_PAYLOAD_MAX_BYTES, locked; NULL when empty */
	size_t payload_len;          /* 52 + 32 N */
	struct spod_share_view view; /* into payload, valid until spod_share_file_free */
};

/* The public part of a share file, for `spod custodian inspect`: no secret in it. */
struct spod_share_file_info {
	uint8_t seal_key_id[SPOD_SEAL_KEY_ID_BYTES];
	uint8_t threshold; /* K */
	uint8_t shares;    /* N */
	uint8_t index;     /* 1..N */
	int share_matches; /* 1 when the share's commitment is commitments[index - 1] */
};

/*
 * Reads the share file text data[0..len) (no NUL needed) into *out (overwritten without
 * being freed).
 * Returns SPOD_OK, or with *out zero-filled and *why a static one-line message:
 *   SPOD_E_TOO_LARGE   len over SPOD_SHARE_FILE_MAX_BYTES
 *   SPOD_E_BAD_SHARE   not a well-formed share file v1, or the share does not match its
 *                      commitment ("share 3 does not match its commitment")
 *   SPOD_E_NOMEM
 * On success *why is NULL.
 */
int spod_share_file_parse(struct spod_share_file *out, const uint8_t *data, size_t len,
                          const char **why) __attribute__((warn_unused_result, nonnull(1, 4)));

/*
 * As spod_share_file_parse, but a share that does not match its commitment is reported in
 * info->share_matches (0) instead of refused. Returns as spod_share_file_parse, with *info
 * zero-filled on failure.
 */
int spod_share_file_inspect(struct spod_share_file_info *info, const uint8_t *data, size_t len,
                            const char **why) __attribute__((warn_unused_result, nonnull(1, 4)));

/*
 * Reads the file at path (at most SPOD_SHARE_FILE_MAX_BYTES, into locked memory) and parses
 * it as spod_share_file_parse does. A file that cannot be opened or read, or is not a regular
 * file, is SPOD_E_BAD_ARG (*why from strerror, valid until the next strerror call).
 */
int spod_share_file_read(struct spod_share_file *out, const char *path, const char **why)
    __attribute__((warn_unused_result, nonnull));

/* As spod_share_file_read, with spod_share_file_inspect's answer. */
int spod_share_file_read_info(struct spod_share_file_info *info, const char *path, const char **why)
    __attribute__((warn_unused_result, nonnull));

/* Wipes and frees the payload and zero-fills *f. Safe on an empty struct. */
void spod_share_file_free(struct spod_share_file *f) __attribute__((nonnull));

/*
 * Writes the share file of the share payload[0..payload_len) as text to out[0..cap) with a
 * NUL, and its length without the NUL to *len. The text holds the share: out should be
 * locked memory. One member per line, two-space indent, commitments one per line.
 * Returns SPOD_OK; SPOD_E_BAD_SHARE (the payload does not parse: *why says why) or
 * SPOD_E_TOO_LARGE (cap too small; SPOD_SHARE_FILE_TEXT_MAX_BYTES always suffices), with *len
 * 0 and out zero-filled. On success *why is NULL.
 */
int spod_share_file_format(char *out, size_t cap, size_t *len, const uint8_t *payload,
                           size_t payload_len, const char **why)
    __attribute__((warn_unused_result, nonnull));

/*
 * Creates the share file name in the directory dirfd (AT_FDCWD: the working directory) with
 * mode 0600 whatever the umask, writes the text of spod_share_file_format, and fsyncs the
 * file and the directory. Never overwrites and never follows a symbolic link: the file must
 * not exist. If anything fails after the file was created it is removed again.
 * Returns SPOD_OK; SPOD_E_BAD_SHARE (payload does not parse); SPOD_E_BAD_ARG (the file
 * exists, or cannot be created: *why says which); SPOD_E_IO (writing or syncing failed);
 * SPOD_E_NOMEM. *why is a static message or strerror's (NULL on success).
 */
int spod_share_file_write(int dirfd, const char *name, const uint8_t *payload, size_t payload_len,
                          const char **why) __attribute__((warn_unused_result, nonnull));

#endif
