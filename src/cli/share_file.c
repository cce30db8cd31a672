/*
 * Reading share files (share_file.h): the JSON text is parsed by jansson with every
 * allocation served from one locked arena, checked member by member into a share payload in
 * locked memory, and the payload then goes through the enclave's own parser
 * (spod_share_parse), so the file and the payload are refused for the same reasons.
 * Writing is in share_file_write.c.
 */
#include "cli/share_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "crypto/secmem.h"

/*
 * jansson's working memory while one file is parsed: nothing is reused, so it is the sum of
 * every allocation. A 32-share file needs under 6 KiB, however it is laid out (its strings
 * have fixed lengths and other members are refused).
 *
 * The arena never runs out: what does not fit goes to the ordinary heap with a header that
 * records its length, and is wiped when jansson frees it. Only a file far more complex than
 * any share file gets there. An allocation that fails is not an option, as jansson 2.14
 * does not survive one in its lexer (lex_save ignores it; the assertion in lex_unget_unsave
 * then aborts: found by fuzz_share on a deep nest of arrays).
 */
#define ARENA_BYTES (32u * 1024u)
#define ARENA_ALIGN 16u
#define SPILL_HEAD  16u /* the length of a heap block, keeping the pointer 16-aligned */

#define OFF_SHARE       20u
#define OFF_COMMITMENTS 52u

_Static_assert(sizeof(size_t) <= SPILL_HEAD, "a spilled block's header holds its length");

struct arena {
	uint8_t *base; /* ARENA_BYTES of locked memory */
	size_t used;
};

/*
 * The arena of the parse in progress. jansson's allocator is ours only between the two
 * json_set_alloc_funcs calls of parse_json, and no jansson value outlives them, so every
 * pointer arena_free sees came from arena_malloc.
 */
static struct arena *cur_arena;

static void *arena_malloc(size_t n)
{
	struct arena *a = cur_arena;
	size_t r = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	uint8_t *p;

	if (n <= ARENA_BYTES && r <= ARENA_BYTES - a->used) {
		p = a->base + a->used;
		a->used += r;
		return p;
	}
	if (n > SIZE_MAX - SPILL_HEAD)
		return NULL;
	p = malloc(n + SPILL_HEAD);
	if (p == NULL)
		return NULL;
	memcpy(p, &n, sizeof n);
	return p + SPILL_HEAD;
}

static void arena_free(void *ptr)
{
	const struct arena *a = cur_arena;
	uintptr_t u = (uintptr_t)ptr, base = (uintptr_t)a->base;
	uint8_t *head;
	size_t n;

	if (ptr == NULL || (u >= base && u - base < ARENA_BYTES))
		return; /* the whole arena is wiped and freed at the end of the parse */
	head = (uint8_t *)ptr - SPILL_HEAD;
	memcpy(&n, head, sizeof n);
	sodium_memzero(head, n + SPILL_HEAD);
	free(head);
}

static const char malformed_json[] = "share file: not a JSON object (malformed, or too complex)";

/* Member names of version 1, and what to say when one is missing. */
static const struct member {
	const char *name;
	const char *missing;
} members[] = {
    {"format", "not a spod custodian share file (no \"format\" member)"},
    {"version", "share file: \"version\" is missing"},
    {"seal_key_id", "share file: \"seal_key_id\" is missing"},
    {"threshold", "share file: \"threshold\" is missing"},
    {"shares", "share file: \"shares\" is missing"},
    {"index", "share file: \"index\" is missing"},
    {"share", "share file: \"share\" is missing"},
    {"commitments", "share file: \"commitments\" is missing"},
};

#define MEMBER_COUNT (sizeof members / sizeof members[0])

static int bad(const char **why, const char *msg)
{
	*why = msg;
	return SPOD_E_BAD_SHARE;
}

/* Every member is one of version 1's and none is missing. */
static int check_members(const json_t *root, const char **why)
{
	const char *key;
	const json_t *v;

	json_object_foreach((json_t *)root, key, v)
	{
		size_t i;
		for (i = 0; i < MEMBER_COUNT && strcmp(key, members[i].name) != 0; i++)
			;
		if (i == MEMBER_COUNT)
			return bad(why,
			           "share file: a member other than format, version, "
			           "seal_key_id, threshold, shares, index, share, commitments");
	}
	for (size_t i = 0; i < MEMBER_COUNT; i++)
		if (json_object_get(root, members[i].name) == NULL)
			return bad(why, members[i].missing);
	return SPOD_OK;
}

/* Exactly 2n hex digits into out[0..n), in constant time (the share is secret). */
static int unhex(uint8_t *out, size_t n, const json_t *v)
{
	const char *text = json_string_value(v);
	size_t len = json_string_length(v), bin_len = 0;
	const char *end = NULL;

	if (text == NULL || len != 2 * n)
		return SPOD_E_BAD_HEX;
	if (sodium_hex2bin(out, n, text, len, NULL, &bin_len, &end) != 0 || bin_len != n ||
	    end != text + len)
		return SPOD_E_BAD_HEX;
	return SPOD_OK;
}

/* An integer member in [lo, hi]. */
static int small_int(uint8_t *out, const json_t *v, unsigned lo, unsigned hi)
{
	json_int_t i;

	if (!json_is_integer(v))
		return 0;
	i = json_integer_value(v);
	if (i < (json_int_t)lo || i > (json_int_t)hi)
		return 0;
	*out = (uint8_t)i;
	return 1;
}

static int decode_header(uint8_t *p, const json_t *root, const char **why)
{
	const json_t *format = json_object_get(root, "format");
	const json_t *version = json_object_get(root, "version");

	if (format == NULL)
		return bad(why, members[0].missing);
	if (!json_is_string(format) ||
	    strcmp(json_string_value(format), SPOD_SHARE_FILE_FORMAT) != 0 ||
	    json_string_length(format) != strlen(SPOD_SHARE_FILE_FORMAT))
		return bad(why, "not a spod custodian share file (\"format\" is not "
		                "\"" SPOD_SHARE_FILE_FORMAT "\")");
	if (!json_is_integer(version) || json_integer_value(version) != SPOD_SHARE_FILE_VERSION)
		return bad(why,
		           "share file: \"version\" is not 1, the only version this spod reads");
	SPOD_TRY(check_members(root, why));
	p[0] = SPOD_SHARE_PAYLOAD_VERSION;
	if (!small_int(&p[2], json_object_get(root, "shares"), 1, SPOD_SHARES_MAX))
		return bad(why, "share file: \"shares\" is not an integer from 1 to 32");
	if (!small_int(&p[1], json_object_get(root, "threshold"), 1, p[2]))
		return bad(why, "share file: \"threshold\" is not an integer from 1 to \"shares\"");
	if (!small_int(&p[3], json_object_get(root, "index"), 1, p[2]))
		return bad(why, "share file: \"index\" is not an integer from 1 to \"shares\"");
	if (unhex(p + 4, SPOD_SEAL_KEY_ID_BYTES, json_object_get(root, "seal_key_id")) < 0)
		return bad(why, "share file: \"seal_key_id\" is not a string of 32 hex digits");
	return SPOD_OK;
}

/* The whole payload but for the commitment check; p has SPOD_SHARE_PAYLOAD_MAX_BYTES. */
static int decode(uint8_t *p, size_t *len, const json_t *root, const char **why)
{
	const json_t *list = json_object_get(root, "commitments");
	size_t n;

	SPOD_TRY(decode_header(p, root, why));
	n = p[2];
	if (unhex(p + OFF_SHARE, SPOD_SHARE_BYTES, json_object_get(root, "share")) < 0)
		return bad(why, "share file: \"share\" is not a string of 64 hex digits");
	if (!json_is_array(list) || json_array_size(list) != n)
		return bad(why,
		           "share file: \"commitments\" is not an array of \"shares\" strings");
	for (size_t i = 0; i < n; i++)
		if (unhex(p + OFF_COMMITMENTS + i * SPOD_SHARE_COMMIT_BYTES,
		          SPOD_SHARE_COMMIT_BYTES, json_array_get(list, i)) < 0)
			return bad(why,
			           "share file: a commitment is not a string of 64 hex digits");
	*len = SPOD_SHARE_PAYLOAD_BYTES(n);
	return SPOD_OK;
}

/*
 * Parses data[0..len) with jansson inside a locked arena and decodes it into p (locked,
 * SPOD_SHARE_PAYLOAD_MAX_BYTES). On failure p is wiped.
 */
static int parse_json(uint8_t *p, size_t *plen, const uint8_t *data, size_t len, const char **why)
{
	struct arena arena = {0};
	json_malloc_t prev_malloc;
	json_free_t prev_free;
	json_error_t jerr;
	json_t *root;
	int rc;

	*plen = 0;
	if (len > SPOD_SHARE_FILE_MAX_BYTES) {
		*why = "share file larger than 16 KiB";
		return SPOD_E_TOO_LARGE;
	}
	arena.base = spod_secmem_alloc(ARENA_BYTES);
	if (arena.base == NULL) {
		*why = "out of locked memory";
		return SPOD_E_NOMEM;
	}
	json_get_alloc_funcs(&prev_malloc, &prev_free);
	cur_arena = &arena;
	json_set_alloc_funcs(arena_malloc, arena_free);
	root =
	    json_loadb(data != NULL ? (const char *)data : "", len, JSON_REJECT_DUPLICATES, &jerr);
	rc = json_is_object(root) ? decode(p, plen, root, why) : bad(why, malformed_json);
	json_decref(root);
	json_set_alloc_funcs(prev_malloc, prev_free);
	cur_arena = NULL;
	/* jerr quotes the text near an error, which may be the share's digits. */
	spod_secmem_wipe(&jerr, sizeof jerr);
	spod_secmem_free(arena.base);
	if (rc < 0) {
		spod_secmem_wipe(p, SPOD_SHARE_PAYLOAD_MAX_BYTES);
		*plen = 0;
	}
	return rc;
}

int spod_share_file_parse(struct spod_share_file *out, const uint8_t *data, size_t len,
                          const char **why)
{
	int rc;

	memset(out, 0, sizeof *out);
	*why = NULL;
	out->payload = spod_secmem_alloc(SPOD_SHARE_PAYLOAD_MAX_BYTES);
	if (out->payload == NULL) {
		*why = "out of locked memory";
		return SPOD_E_NOMEM;
	}
	rc = parse_json(out->payload, &out->payload_len, data, len, why);
	if (rc == SPOD_OK)
		rc = spod_share_parse(&out->view, out->payload, out->payload_len, why);
	if (rc < 0)
		spod_share_file_free(out);
	return rc;
}

int spod_share_file_inspect(struct spod_share_file_info *info, const uint8_t *data, size_t len,
                            const char **why)
{
	struct spod_share_view v;
	const char *mismatch;
	uint8_t *p;
	size_t plen;
	int rc;

	memset(info, 0, sizeof *info);
	*why = NULL;
	p = spod_secmem_alloc(SPOD_SHARE_PAYLOAD_MAX_BYTES);
	if (p == NULL) {
		*why = "out of locked memory";
		return SPOD_E_NOMEM;
	}
	rc = parse_json(p, &plen, data, len, why);
	if (rc == SPOD_OK) {
		memcpy(info->seal_key_id, p + 4, SPOD_SEAL_KEY_ID_BYTES);
		info->threshold = p[1];
		info->shares = p[2];
		info->index = p[3];
		/* decode checked everything spod_share_parse does but the commitment. */
		info->share_matches = spod_share_parse(&v, p, plen, &mismatch) == SPOD_OK;
	}
	spod_secmem_free(p);
	return rc;
}

/* Reads path whole into locked memory (*buf, to free with spod_secmem_free). */
static int load(uint8_t **buf, size_t *len, const char *path, const char **why)
{
	struct stat st;
	size_t got = 0;
	int fd, rc = SPOD_OK;

	*buf = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st) < 0) {
		*why = strerror(errno);
		if (fd >= 0)
			close(fd);
		return SPOD_E_BAD_ARG;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > (off_t)SPOD_SHARE_FILE_MAX_BYTES) {
		*why = S_ISREG(st.st_mode) ? "share file larger than 16 KiB" : "not a regular file";
		close(fd);
		return S_ISREG(st.st_mode) ? SPOD_E_TOO_LARGE : SPOD_E_BAD_ARG;
	}
	*buf = spod_secmem_alloc(SPOD_SHARE_FILE_MAX_BYTES + 1);
	if (*buf == NULL) {
		*why = "out of locked memory";
		close(fd);
		return SPOD_E_NOMEM;
	}
	/* Up to one byte past the cap, in case the file grew since fstat. */
	while (got <= SPOD_SHARE_FILE_MAX_BYTES) {
		ssize_t r = read(fd, *buf + got, SPOD_SHARE_FILE_MAX_BYTES + 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			*why = strerror(errno);
			rc = SPOD_E_BAD_ARG;
			break;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (rc == SPOD_OK && got > SPOD_SHARE_FILE_MAX_BYTES) {
		*why = "share file larger than 16 KiB";
		rc = SPOD_E_TOO_LARGE;
	}
	if (rc < 0) {
		spod_secmem_free(*buf);
		*buf = NULL;
		return rc;
	}
	*len = got;
	return SPOD_OK;
}

int spod_share_file_read(struct spod_share_file *out, const char *path, const char **why)
{
	uint8_t *buf;
	size_t len;
	int rc;

	memset(out, 0, sizeof *out);
	*why = NULL;
	SPOD_TRY(load(&buf, &len, path, why));
	rc = spod_share_file_parse(out, buf, len, why);
	spod_secmem_free(buf);
	return rc;
}

int spod_share_file_read_info(struct spod_share_file_info *info, const char *path, const char **why)
{
	uint8_t *buf;
	size_t len;
	int rc;

	memset(info, 0, sizeof *info);
	*why = NULL;
	SPOD_TRY(load(&buf, &len, path, why));
	rc = spod_share_file_inspect(info, buf, len, why);
	spod_secmem_free(buf);
	return rc;
}

void spod_share_file_free(struct spod_share_file *f)
{
	spod_secmem_free(f->payload);
	memset(f, 0, sizeof *f);
}
