/*
 * Storage gauges (docs/host.md, "Metrics"): how large the database and its WAL are, how much
 * of their file system is left for spod-host, and how far the audit log has grown; and the
 * low-disk warning. A full disk makes every audit commit fail, and then spod-host withholds
 * every signature (docs/storage.md): the operator must see it coming. The checkpointer thread
 * samples these every HOST_DBSTAT_MS, so the signing path never makes a system call for them.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "common/log.h"
#include "host/core/host_int.h"

#define MIB (1024.0 * 1024.0)

int host_dbstat_init(struct host_dbstat *d, const struct spod_host_config *cfg,
                     struct host_metrics *m)
{
	const char *slash;
	int n;

	memset(d, 0, sizeof(*d));
	d->m = m;
	d->warn_bytes = cfg->disk_warn_free_bytes;
	d->warn_pct = cfg->disk_warn_free_pct;
	if (cfg->db_path == NULL)
		return SPOD_E_BAD_ARG;
	slash = strrchr(cfg->db_path, '/');
	n = slash == NULL
	        ? snprintf(d->dir, sizeof(d->dir), ".")
	        : snprintf(d->dir, sizeof(d->dir), "%.*s",
	                   slash == cfg->db_path ? 1 : (int)(slash - cfg->db_path), cfg->db_path);
	if (n < 0 || (size_t)n >= sizeof(d->dir) ||
	    (size_t)snprintf(d->db, sizeof(d->db), "%s", cfg->db_path) >= sizeof(d->db) ||
	    (size_t)snprintf(d->wal, sizeof(d->wal), "%s-wal", cfg->db_path) >= sizeof(d->wal))
		return SPOD_E_BAD_ARG;
	return SPOD_OK;
}

static uint64_t file_bytes(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && st.st_size > 0 ? (uint64_t)st.st_size : 0;
}

/* The warning while free space is below the threshold; a note once it is back above. */
static void check_low(struct host_dbstat *d, uint64_t free_bytes, uint64_t warn_bytes)
{
	static struct spod_log_limit low_limit;

	if (warn_bytes > 0 && free_bytes < warn_bytes) {
		d->low = 1;
		spod_log_limited(
		    &low_limit, HOST_DISK_WARN_MS, SPOD_LOG_WARN,
		    "low disk space: %.0f MiB free for spod-host on the file system of "
		    "%s, below disk-warn-free (%.0f MiB). When it is full every "
		    "signature is withheld (UNAVAILABLE): free space, or export and "
		    "prune old audit records (spod audit export/prune, docs/storage.md)",
		    (double)free_bytes / MIB, d->dir, (double)warn_bytes / MIB);
	} else if (d->low) {
		d->low = 0;
		spod_info("disk space back above disk-warn-free: %.0f MiB free on the file system "
		          "of %s",
		          (double)free_bytes / MIB, d->dir);
	}
}

static void sample_disk(struct host_dbstat *d)
{
	static struct spod_log_limit fail_limit;
	struct statvfs vfs;
	uint64_t free_bytes, size, warn;

	if (statvfs(d->dir, &vfs) != 0) {
		spod_log_limited(&fail_limit, HOST_DISK_WARN_MS, SPOD_LOG_WARN,
		                 "cannot read the free space of %s: %s", d->dir, strerror(errno));
		return;
	}
	free_bytes = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	size = (uint64_t)vfs.f_blocks * vfs.f_frsize;
	warn = d->warn_pct > 0 ? size / 100 * d->warn_pct : d->warn_bytes;
	host_metrics_set(&d->m->disk_free, free_bytes);
	host_metrics_set(&d->m->disk_warn_free, warn);
	check_low(d, free_bytes, warn);
}

void host_dbstat_sample(struct host_dbstat *d, struct spod_store *s)
{
	uint8_t hash[SPOD_STORE_HASH_BYTES];
	uint64_t head = 0, anchor = 0;

	host_metrics_set(&d->m->db_bytes, file_bytes(d->db) + file_bytes(d->wal));
	sample_disk(d);
	/* Busy or failing reads leave the last values; the journal reports storage failures. */
	if (spod_store_audit_head(s, &head, hash) == SPOD_OK &&
	    spod_store_audit_anchor(s, &anchor, hash) >= 0) {
		host_metrics_set(&d->m->audit_head_seq, head);
		host_metrics_set(&d->m->audit_held, head > anchor ? head - anchor : 0);
	}
}
