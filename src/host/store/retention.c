/*
 * Retention of the audit log (docs/storage.md, "Retention"): the anchor, exporting a segment
 * of the chain to a file, and pruning what a verified export holds.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/hex.h"
#include "spod/err.h"
#include "host/store/store_int.h"

#define HASH_HEX (2 * SPOD_STORE_HASH_BYTES)

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "SEQ HEX": SEQ decimal 1..INT64_MAX, one space, 64 hex digits. */
static int anchor_parse(uint64_t *seq, uint8_t hash[static SPOD_STORE_HASH_BYTES], const uint8_t *v,
                        size_t len)
{
	uint64_t n = 0;
	size_t i = 0;

	for (; i < len && v[i] >= '0' && v[i] <= '9'; i++) {
		unsigned d = (unsigned)(v[i] - '0');
		if (n > ((uint64_t)INT64_MAX - d) / 10)
			return -1;
		n = n * 10 + d;
	}
	if (i == 0 || n == 0 || len - i != 1 + HASH_HEX || v[i] != ' ' ||
	    spod_hex_decode_exact(hash, SPOD_STORE_HASH_BYTES, (const char *)v + i + 1, HASH_HEX) <
	        0)
		return -1;
	*seq = n;
	return 0;
}

int store_anchor_get(struct spod_store *s, uint64_t *seq,
                     uint8_t hash[static SPOD_STORE_HASH_BYTES])
{
	uint8_t v[SPOD_SETTING_MAX_BYTES];
	size_t len;
	int found;

	*seq = 0;
	memset(hash, 0, SPOD_STORE_HASH_BYTES);
	found = spod_store_setting_get(s, SPOD_SETTING_AUDIT_ANCHOR, v, sizeof v, &len);
	if (found <= 0)
		return found;
	if (anchor_parse(seq, hash, v, len) < 0) {
		*seq = 0;
		memset(hash, 0, SPOD_STORE_HASH_BYTES);
		return store_error(s, SPOD_E_IO, "setting %s malformed (not \"SEQ HEX\")",
		                   SPOD_SETTING_AUDIT_ANCHOR);
	}
	return 1;
}

int spod_store_audit_anchor(struct spod_store *s, uint64_t *seq,
                            uint8_t hash[static SPOD_STORE_HASH_BYTES])
{
	s->err[0] = '\0';
	return store_anchor_get(s, seq, hash);
}

static int anchor_put(struct spod_store *s, uint64_t seq,
                      const uint8_t hash[static SPOD_STORE_HASH_BYTES])
{
	char text[24 + HASH_HEX + 1];
	int n = snprintf(text, sizeof text, "%llu ", (unsigned long long)seq);

	if (spod_hex_encode(text + n, sizeof text - (size_t)n, hash, SPOD_STORE_HASH_BYTES) < 0)
		return store_error(s, SPOD_E_INTERNAL, "anchor text");
	return spod_store_setting_put(s, SPOD_SETTING_AUDIT_ANCHOR, (const uint8_t *)text,
	                              strlen(text), wall_ms());
}

/* The hash of record seq: 1 when the database holds it, 0 when not, or a storage error. */
static int hash_at(struct spod_store *s, uint64_t seq, uint8_t hash[static SPOD_STORE_HASH_BYTES])
{
	sqlite3_stmt *st = store_stmt(s, ST_AUDIT_HASH_AT);
	int rc = sqlite3_bind_int64(st, 1, seq > INT64_MAX ? INT64_MAX : (int64_t)seq);
	int found = 0;

	if (rc != SQLITE_OK)
		return store_fail(s, rc, "bind audit seq");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == SPOD_STORE_HASH_BYTES) {
		memcpy(hash, sqlite3_column_blob(st, 0), SPOD_STORE_HASH_BYTES);
		found = 1;
	} else if (rc == SQLITE_ROW) {
		found = store_error(s, SPOD_E_IO, "audit record %llu malformed",
		                    (unsigned long long)seq);
	} else if (rc != SQLITE_DONE) {
		found = store_fail(s, rc, "read audit record");
	}
	sqlite3_reset(st);
	return found;
}

/* The segment an export up to upto holds, and where its walk starts: one read snapshot. */
static int export_bounds(struct spod_store *s, struct spod_audit_segment *seg, struct store_walk *w,
                         uint64_t upto)
{
	int found, err;

	SPOD_TRY(store_begin_read(s));
	SPOD_GUARD(err, store_anchor_get(s, &w->anchor_seq, w->anchor_hash));
	SPOD_GUARD(err, found = hash_at(s, upto, seg->last_hash));
	SPOD_GUARD(err, store_commit(s));
	if (upto <= w->anchor_seq)
		return store_error(s, SPOD_E_BAD_ARG,
		                   "records up to %llu are pruned already: the oldest the database "
		                   "holds is %llu",
		                   (unsigned long long)w->anchor_seq,
		                   (unsigned long long)w->anchor_seq + 1);
	if (!found)
		return store_error(s, SPOD_E_BAD_ARG, "the database holds no audit record %llu",
		                   (unsigned long long)upto);
	seg->first_seq = w->anchor_seq + 1;
	seg->last_seq = upto;
	memcpy(seg->prev_hash, w->anchor_hash, SPOD_STORE_HASH_BYTES);
	return SPOD_OK;
out:
	store_rollback(s);
	return err;
}

struct export_out {
	struct spod_store *s;
	const char *path;
	FILE *f;
	char line[AUDIT_FILE_LINE_MAX_BYTES];
};

static int write_line(struct export_out *o, size_t len)
{
	if (fwrite(o->line, 1, len, o->f) != len)
		return store_error(o->s, SPOD_E_BAD_ARG, "write %s: %s", o->path, strerror(errno));
	return SPOD_OK;
}

static int export_record(void *ctx, const struct spod_audit_entry *e)
{
	struct export_out *o = ctx;
	size_t len;

	if (audit_file_record(o->line, sizeof o->line, &len, e) < 0)
		return store_error(o->s, SPOD_E_INTERNAL, "audit record %llu does not fit a line",
		                   (unsigned long long)e->seq);
	return write_line(o, len);
}

/* fsync of the directory of path, so that the new file's name is durable too. */
static int sync_dir(struct spod_store *s, const char *path)
{
	char dir[512];
	const char *slash = strrchr(path, '/');
	int fd, ok;

	if (slash == NULL)
		snprintf(dir, sizeof dir, ".");
	else if ((size_t)snprintf(dir, sizeof dir, "%.*s", slash == path ? 1 : (int)(slash - path),
	                          path) >= sizeof dir)
		return store_error(s, SPOD_E_BAD_ARG, "path too long: %s", path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ok = fd >= 0 && fsync(fd) == 0;
	if (fd >= 0)
		close(fd);
	return ok ? SPOD_OK : store_error(s, SPOD_E_BAD_ARG, "fsync %s: %s", dir, strerror(errno));
}

/* Writes header and records into o->f; the file is flushed and fsync'ed. */
static int export_write(struct spod_store *s, struct export_out *o,
                        const struct spod_audit_segment *seg, struct store_walk *w)
{
	size_t len;

	if (audit_file_header(o->line, sizeof o->line, &len, seg) < 0)
		return store_error(s, SPOD_E_INTERNAL, "export header does not fit a line");
	SPOD_TRY(write_line(o, len));
	w->cb = export_record;
	w->ctx = o;
	SPOD_TRY(store_audit_walk(s, w, seg->last_seq));
	if (w->seq != seg->last_seq || memcmp(w->hash, seg->last_hash, SPOD_STORE_HASH_BYTES) != 0)
		return store_error(s, SPOD_E_IO, "audit record %llu changed during the export",
		                   (unsigned long long)seg->last_seq);
	if (fflush(o->f) != 0 || fsync(fileno(o->f)) != 0)
		return store_error(s, SPOD_E_BAD_ARG, "write %s: %s", o->path, strerror(errno));
	return SPOD_OK;
}

int spod_store_audit_export(struct spod_store *s, struct spod_audit_segment *seg, const char *path,
                            uint64_t upto)
{
	struct store_walk w = {0};
	struct export_out *o;
	int fd, err;

	s->err[0] = '\0';
	memset(seg, 0, sizeof *seg);
	SPOD_TRY(export_bounds(s, seg, &w, upto));
	o = calloc(1, sizeof *o);
	if (o == NULL)
		return store_error(s, SPOD_E_NOMEM, "out of memory");
	o->s = s;
	o->path = path;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		err =
		    store_error(s, SPOD_E_BAD_ARG, "cannot create %s: %s%s", path, strerror(errno),
		                errno == EEXIST ? " (an export never replaces a file)" : "");
		free(o);
		return err;
	}
	o->f = fdopen(fd, "w");
	if (o->f == NULL) {
		close(fd);
		err = store_error(s, SPOD_E_NOMEM, "out of memory");
	} else {
		err = export_write(s, o, seg, &w);
		if (fclose(o->f) != 0 && err == SPOD_OK)
			err = store_error(s, SPOD_E_BAD_ARG, "write %s: %s", path, strerror(errno));
	}
	if (err == SPOD_OK)
		err = sync_dir(s, path);
	if (err < 0) {
		unlink(path);
		memset(seg, 0, sizeof *seg);
	}
	free(o);
	return err;
}

/* Does the verified export in c hold every record up to upto after the anchor? */
static int prune_fits(struct spod_store *s, const struct spod_audit_file_check *c, const char *path,
                      uint64_t upto, const struct store_walk *anchor)
{
	if (c->seg.last_seq != upto)
		return store_error(s, SPOD_E_BAD_ARG, "%s ends at seq %llu, not at %llu", path,
		                   (unsigned long long)c->seg.last_seq, (unsigned long long)upto);
	if (upto < anchor->anchor_seq)
		return store_error(s, SPOD_E_BAD_ARG, "records up to %llu are pruned already",
		                   (unsigned long long)anchor->anchor_seq);
	if (!c->at_found)
		return store_error(s, SPOD_E_BAD_ARG,
		                   "%s holds records %llu..%llu, but the database holds them from "
		                   "%llu on: %llu..%llu would be in no export",
		                   path, (unsigned long long)c->seg.first_seq,
		                   (unsigned long long)c->seg.last_seq,
		                   (unsigned long long)anchor->anchor_seq + 1,
		                   (unsigned long long)anchor->anchor_seq + 1,
		                   (unsigned long long)c->seg.first_seq - 1);
	if (memcmp(c->at_hash, anchor->anchor_hash, SPOD_STORE_HASH_BYTES) != 0)
		return store_error(s, SPOD_E_BAD_ARG,
		                   "%s is not an export of this database: its chain does not go "
		                   "through the database's anchor (seq %llu)",
		                   path, (unsigned long long)anchor->anchor_seq);
	return SPOD_OK;
}

/* Deletes the oldest records up to upto, at most SPOD_STORE_PRUNE_BATCH; *n how many. */
static int delete_batch(struct spod_store *s, uint64_t upto, uint64_t *n)
{
	sqlite3_stmt *st = store_stmt(s, ST_AUDIT_OLDEST);
	int64_t oldest = 0;
	int rc = sqlite3_step(st);

	*n = 0;
	if (rc == SQLITE_ROW)
		oldest = sqlite3_column_int64(st, 0); /* 0 for NULL: an empty table */
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return store_fail(s, rc, "read oldest audit record");
	if (oldest <= 0 || (uint64_t)oldest > upto)
		return SPOD_OK;
	if (upto - (uint64_t)oldest >= SPOD_STORE_PRUNE_BATCH)
		upto = (uint64_t)oldest + SPOD_STORE_PRUNE_BATCH - 1;
	st = store_stmt(s, ST_AUDIT_PRUNE);
	if ((rc = sqlite3_bind_int64(st, 1, (int64_t)upto)) != SQLITE_OK)
		return store_fail(s, rc, "bind prune seq");
	SPOD_TRY(store_step_done(s, st, "delete audit records"));
	*n = (uint64_t)sqlite3_changes(s->db);
	return SPOD_OK;
}

/*
 * The first transaction of a prune: the database's record upto must be the export's last,
 * the anchor unchanged since the file was checked; then the new anchor, an audit.prune
 * record and the first batch of deletions.
 */
static int prune_begin(struct spod_store *s, uint64_t *n, const struct spod_audit_file_check *c,
                       const char *path, const struct store_walk *was)
{
	uint8_t hash[SPOD_STORE_HASH_BYTES], anchor[SPOD_STORE_HASH_BYTES];
	char detail[SPOD_AUDIT_DETAIL_MAX_BYTES + 1];
	struct spod_audit_rec rec = {.time_ms = wall_ms(), .kind = "audit.prune", .detail = detail};
	uint64_t upto = c->seg.last_seq, anchor_seq;
	int found, err;

	SPOD_TRY(store_begin(s));
	SPOD_GUARD(err, store_anchor_get(s, &anchor_seq, anchor));
	if (anchor_seq != was->anchor_seq || memcmp(anchor, was->anchor_hash, sizeof anchor)) {
		err = store_error(s, SPOD_E_UNAVAILABLE, "another prune ran meanwhile: try again");
		goto out;
	}
	SPOD_GUARD(err, found = hash_at(s, upto, hash));
	if ((!found && upto != anchor_seq) ||
	    (found && memcmp(hash, c->seg.last_hash, sizeof hash) != 0)) {
		err = store_error(s, SPOD_E_BAD_ARG,
		                  "%s is not an export of this database: its last record %llu is "
		                  "not the database's",
		                  path, (unsigned long long)upto);
		goto out;
	}
	if (upto > anchor_seq) {
		snprintf(detail, sizeof detail, "records %llu..%llu pruned, exported to %.900s",
		         (unsigned long long)anchor_seq + 1, (unsigned long long)upto, path);
		SPOD_GUARD(err, anchor_put(s, upto, c->seg.last_hash));
		SPOD_GUARD(err, store_audit_insert(s, &rec, 1));
	}
	SPOD_GUARD(err, delete_batch(s, upto, n));
	err = store_commit(s);
out:
	if (err < 0)
		store_rollback(s);
	return err;
}

int spod_store_audit_prune(struct spod_store *s, uint64_t *deleted, const char *path, uint64_t upto)
{
	struct spod_audit_file_check c;
	struct store_walk was = {0};
	uint64_t n = 0;
	int err;

	s->err[0] = '\0';
	*deleted = 0;
	SPOD_TRY(store_anchor_get(s, &was.anchor_seq, was.anchor_hash));
	/* The file is read before any lock is taken: it may be large. */
	err = spod_audit_file_verify(&c, path, was.anchor_seq);
	if (err < 0 && c.line > 0)
		return store_error(s, err, "%s line %lu (seq %llu): %s", path, c.line,
		                   (unsigned long long)c.first_bad_seq, c.why);
	if (err < 0)
		return store_error(s, err, "%s", c.why);
	SPOD_TRY(prune_fits(s, &c, path, upto, &was));
	SPOD_TRY(prune_begin(s, &n, &c, path, &was));
	*deleted = n;
	while (n > 0) {
		SPOD_TRY(store_begin(s));
		err = delete_batch(s, upto, &n);
		if (err == SPOD_OK)
			err = store_commit(s);
		if (err < 0) {
			store_rollback(s);
			return err;
		}
		*deleted += n;
	}
	return SPOD_OK;
}
