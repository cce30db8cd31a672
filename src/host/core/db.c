/*
 * spod-host's database (docs/storage.md): opening the store with the configured durability,
 * the WAL checkpointer thread that keeps checkpoints out of audit commits, and the bootstrap
 * admin token made on first start (docs/auth.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "host/core/host_int.h"

static int count_token(void *ctx, const struct spod_store_token *t)
{
	(void)t;
	(*(size_t *)ctx)++;
	return SPOD_OK;
}

/* Writes text and a newline to path (mode 0600) through a temporary file and a rename. */
static int write_secret_file(const char *path, const char *text)
{
	char tmp[600];
	size_t len = strlen(text);
	int fd, ok;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return SPOD_E_BAD_ARG;
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return SPOD_E_IO;
	ok = fchmod(fd, 0600) == 0 && write(fd, text, len) == (ssize_t)len &&
	     write(fd, "\n", 1) == 1 && fsync(fd) == 0;
	ok = close(fd) == 0 && ok;
	if (!ok || rename(tmp, path) != 0) {
		(void)unlink(tmp);
		return SPOD_E_IO;
	}
	return SPOD_OK;
}

/*
 * On first start (no token record at all) creates an admin token, writes its text to the
 * token file and stores its record with an audit record. The file is written first: a token
 * nobody can read would lock the operator out.
 */
static int bootstrap_token(struct spod_host *h)
{
	static const char scopes[] = "ops=admin;keys=*";
	struct spod_store_token t = {0};
	char text[SPOD_AUTH_TOKEN_BUF_BYTES];
	size_t n = 0;
	int rc;

	rc = spod_store_token_list(h->store, count_token, &n);
	if (rc < 0) {
		spod_error("cannot read tokens: %s", spod_store_last_error(h->store));
		return rc;
	}
	if (n > 0)
		return SPOD_OK;
	if (h->cfg.token_file == NULL) {
		spod_warn(
		    "no API token exists and no token file is configured: nobody can connect");
		return SPOD_OK;
	}
	SPOD_TRY(spod_auth_token_new(text, t.hash, t.id));
	memcpy(t.scopes, scopes, sizeof(scopes));
	t.created_ms = host_wall_ms();
	rc = write_secret_file(h->cfg.token_file, text);
	OPENSSL_cleanse(text, sizeof(text));
	if (rc < 0) {
		spod_error("cannot write the admin token to %s: %s", h->cfg.token_file,
		           strerror(errno));
		return rc;
	}
	rc = spod_store_token_insert(h->store, &t);
	if (rc == SPOD_OK)
		rc = host_journal_record(h, "token.create", NULL, t.id, NULL, SPOD_OK,
		                         "bootstrap admin token; scopes=ops=admin;keys=*");
	if (rc == SPOD_OK)
		rc = host_journal_commit(h);
	if (rc < 0) {
		spod_error("cannot store the admin token: %s", spod_store_last_error(h->store));
		(void)unlink(h->cfg.token_file);
		return rc;
	}
	spod_info("first start: admin token written to %s (mode 0600)", h->cfg.token_file);
	return SPOD_OK;
}

int host_db_open(struct spod_host *h)
{
	int rc;

	if (h->cfg.db_path == NULL)
		return SPOD_E_BAD_ARG;
	h->md_ctx = EVP_MD_CTX_new();
	h->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (h->md_ctx == NULL || h->sha256 == NULL)
		return SPOD_E_NOMEM;
	SPOD_TRY(spod_store_open(&h->store, h->cfg.db_path));
	rc = spod_store_set_sync(h->store, h->cfg.audit_sync_full ? SPOD_STORE_SYNC_FULL
	                                                          : SPOD_STORE_SYNC_NORMAL);
	/* Checkpoints happen in their own thread (checkpoint.c), never inside a commit. */
	if (rc == SPOD_OK)
		rc = spod_store_set_autocheckpoint(h->store, 0);
	if (rc < 0) {
		spod_error("store: %s", spod_store_last_error(h->store));
		return rc;
	}
	(void)host_keyindex_load(h); /* on error the store answers instead (logged) */
	SPOD_TRY(host_checkpointer_start(&h->checkpointer, &h->cfg, &h->metrics));
	return bootstrap_token(h);
}

void host_db_close(struct spod_host *h)
{
	host_checkpointer_stop(h->checkpointer);
	h->checkpointer = NULL;
	host_keyindex_free(&h->keys);
	spod_store_close(h->store);
	h->store = NULL;
	EVP_MD_CTX_free(h->md_ctx);
	h->md_ctx = NULL;
	EVP_MD_free(h->sha256);
	h->sha256 = NULL;
}
