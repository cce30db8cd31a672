/*
 * spod custodian: the offline seal-key ceremony and share files (docs/keys.md).
 *
 *   init --threshold K --shares N --out DIR   makes a seal key in locked memory, splits it
 *       into N shares of which K rebuild it, writes DIR/share-1.json ... share-N.json, reads
 *       them back and rebuilds the key from them as the enclave will, and prints the seal
 *       key id. The seal key is never written or printed.
 *   inspect FILE   the public fields of a share file and whether its share matches its
 *       commitment; never the share.
 *
 * No pod is contacted.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "cli/cli.h"
#include "cli/share_file.h"
#include "crypto/secmem.h"
#include "crypto/shamir.h"
#include "crypto/share.h"

#define OPT(o)          (1ull << (o))
#define FILE_NAME_BYTES 32u /* "share-32.json" and a NUL fit easily */

/* Everything secret of a ceremony, in one locked allocation. */
struct ceremony {
	uint8_t seal_key[SPOD_SEAL_KEY_BYTES];
	uint8_t rebuilt[SPOD_SEAL_KEY_BYTES];
	uint8_t shares[SPOD_SHARES_MAX * SPOD_SHARE_BYTES];
	uint8_t payload[SPOD_SHARE_PAYLOAD_MAX_BYTES];
};

/* The public side of a ceremony. */
struct plan {
	unsigned k, n;
	const char *dir;
	int dfd;
	int made_dir; /* DIR did not exist: init created it */
	unsigned written;
	uint8_t id[SPOD_SEAL_KEY_ID_BYTES];
	uint8_t commitments[SPOD_SHARES_MAX * SPOD_SHARE_COMMIT_BYTES];
};

/* Reports a failure on path; a local file's I/O error is exit 2, never 3 (docs/cli.md). */
static int custodian_fail(const struct cli *cli, int err, const char *action, const char *path,
                          const char *why)
{
	if (cli->json) {
		fprintf(stderr, "{\"error\":{\"code\":\"%s\",\"message\":", spod_err_name(err));
		cli_json_str(stderr, why, strlen(why));
		fprintf(stderr, ",\"action\":\"%s\",\"path\":", action);
		cli_json_str(stderr, path, strlen(path));
		fputs("}}\n", stderr);
	} else {
		fprintf(stderr, "spod: %s failed: %s: %s [%s]\n", action, path, why,
		        spod_err_name(err));
	}
	return err == SPOD_E_IO ? spod_err_exit_code(SPOD_E_BAD_ARG) : spod_err_exit_code(err);
}

static void share_name(char name[FILE_NAME_BYTES], unsigned index)
{
	snprintf(name, FILE_NAME_BYTES, "share-%u.json", index);
}

/* A count from the command line: decimal digits only, 1..32. */
static int parse_count(unsigned *out, const char *text)
{
	char *end;
	unsigned long v;

	if (text == NULL || text[0] < '0' || text[0] > '9')
		return -1;
	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno != 0 || *end != '\0' || v < 1 || v > SPOD_SHARES_MAX)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* 1 when DIR holds a file named share-*.json (of this or any earlier ceremony). */
static int has_share_files(int dfd, char found[256])
{
	int fd = dup(dfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	const struct dirent *e;
	int any = 0;

	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while (!any && (e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (len > 11 && strncmp(e->d_name, "share-", 6) == 0 &&
		    strcmp(e->d_name + len - 5, ".json") == 0) {
			snprintf(found, 256, "%s", e->d_name);
			any = 1;
		}
	}
	closedir(d);
	return any;
}

/* Creates DIR (0700) if it is missing and opens it; refuses one with share files in it. */
static int open_out_dir(const struct cli *cli, struct plan *p)
{
	char found[256] = "";
	int any;

	if (mkdir(p->dir, S_IRWXU) == 0)
		p->made_dir = 1;
	else if (errno != EEXIST)
		return custodian_fail(cli, SPOD_E_BAD_ARG, "custodian init", p->dir,
		                      strerror(errno));
	p->dfd = open(p->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (p->dfd < 0) {
		struct stat st;
		const char *why = strerror(errno);
		if (lstat(p->dir, &st) == 0)
			why = S_ISLNK(st.st_mode)    ? "a symbolic link: name the directory itself"
			      : !S_ISDIR(st.st_mode) ? "not a directory"
			                             : why;
		return custodian_fail(cli, SPOD_E_BAD_ARG, "custodian init", p->dir, why);
	}
	any = has_share_files(p->dfd, found);
	if (any != 0) {
		char why[400];
		snprintf(why, sizeof why,
		         any < 0 ? "cannot list the directory"
		                 : "it holds %s already: share files are never overwritten; "
		                   "choose an empty directory",
		         found);
		return custodian_fail(cli, SPOD_E_BAD_ARG, "custodian init", p->dir, why);
	}
	return 0;
}

/* Splits c->seal_key and writes every share file. Returns SPOD_OK or prints why. */
static int write_shares(const struct cli *cli, struct plan *p, struct ceremony *c)
{
	const char *why = NULL;
	char name[FILE_NAME_BYTES];
	size_t len;
	int rc;

	spod_seal_key_id(p->id, c->seal_key);
	rc = spod_shamir_split(c->shares, c->seal_key, p->k, p->n);
	if (rc < 0)
		return custodian_fail(cli, rc, "custodian init", p->dir, spod_strerror(rc));
	for (unsigned i = 0; i < p->n; i++)
		spod_share_commitment(p->commitments + (size_t)i * SPOD_SHARE_COMMIT_BYTES, p->id,
		                      (uint8_t)(i + 1), (uint8_t)p->k, (uint8_t)p->n,
		                      c->shares + (size_t)i * SPOD_SHARE_BYTES);
	for (unsigned i = 0; i < p->n; i++) {
		const struct spod_share_view v = {(uint8_t)p->k,
		                                  (uint8_t)p->n,
		                                  (uint8_t)(i + 1),
		                                  p->id,
		                                  c->shares + (size_t)i * SPOD_SHARE_BYTES,
		                                  p->commitments};
		rc = spod_share_encode(c->payload, sizeof c->payload, &len, &v);
		share_name(name, i + 1);
		if (rc == SPOD_OK)
			rc = spod_share_file_write(p->dfd, name, c->payload, len, &why);
		spod_secmem_wipe(c->payload, sizeof c->payload);
		if (rc < 0)
			return custodian_fail(cli, rc, "custodian init", name,
			                      why != NULL ? why : spod_strerror(rc));
		p->written++;
	}
	return SPOD_OK;
}

/*
 * Reads back shares first..first+count-1 (1-based) through the share file reader and the
 * enclave's collector, and rebuilds the seal key from them into c->rebuilt.
 */
static int rebuild_from_files(struct plan *p, struct ceremony *c, unsigned first, unsigned count,
                              const char **why)
{
	struct spod_share_progress progress;
	struct spod_share_set set;
	struct spod_share_file f;
	char path[4096];
	int rc;

	SPOD_TRY(spod_share_set_init(&set, p->id));
	for (unsigned i = first; i < first + count; i++) {
		snprintf(path, sizeof path, "%s/share-%u.json", p->dir, i);
		rc = spod_share_file_read(&f, path, why);
		if (rc == SPOD_OK)
			rc = spod_share_set_add(&set, &progress, &f.view, why);
		spod_share_file_free(&f);
		if (rc < 0)
			goto out;
	}
	rc = spod_share_set_rebuild(&set, c->rebuilt, why);
out:
	spod_share_set_free(&set);
	return rc;
}

/*
 * The files as written rebuild the seal key: the K lowest and the K highest indexes (every
 * file's share was also checked against its commitment on the way).
 */
static int check_files(const struct cli *cli, struct plan *p, struct ceremony *c)
{
	const unsigned firsts[2] = {1, p->n - p->k + 1};
	const char *why = NULL;
	int rc;

	for (int t = 0; t < 2; t++) {
		rc = rebuild_from_files(p, c, firsts[t], p->k, &why);
		if (rc == SPOD_OK &&
		    sodium_memcmp(c->rebuilt, c->seal_key, SPOD_SEAL_KEY_BYTES) != 0) {
			rc = SPOD_E_INTERNAL;
			why = "the share files do not rebuild the seal key";
		}
		spod_secmem_wipe(c->rebuilt, sizeof c->rebuilt);
		if (rc < 0)
			return custodian_fail(cli, rc, "custodian init (reading the files back)",
			                      p->dir, why != NULL ? why : spod_strerror(rc));
	}
	return SPOD_OK;
}

/* After a failure: no half ceremony is left behind. */
static void remove_written(struct plan *p)
{
	char name[FILE_NAME_BYTES];

	for (unsigned i = 1; i <= p->written; i++) {
		share_name(name, i);
		unlinkat(p->dfd, name, 0);
	}
	if (p->made_dir)
		rmdir(p->dir);
}

static void print_init(const struct cli *cli, const struct plan *p)
{
	char id[2 * SPOD_SEAL_KEY_ID_BYTES + 1];

	sodium_bin2hex(id, sizeof id, p->id, sizeof p->id);
	if (cli->json) {
		printf("{\"seal_key_id\":\"%s\",\"threshold\":%u,\"shares\":%u,\"dir\":", id, p->k,
		       p->n);
		cli_json_str(stdout, p->dir, strlen(p->dir));
		printf(",\"files\":[");
		for (unsigned i = 1; i <= p->n; i++)
			printf("%s\"share-%u.json\"", i > 1 ? "," : "", i);
		printf("]}\n");
		return;
	}
	printf("seal key id  %s\n", id);
	printf("threshold    %u of %u shares rebuild the seal key\n", p->k, p->n);
	if (p->n == 1)
		printf("wrote        %s/share-1.json (mode 0600)\n\n", p->dir);
	else
		printf("wrote        %s/share-1.json ... share-%u.json (mode 0600)\n\n", p->dir,
		       p->n);
	printf("Next steps:\n"
	       "  1. Give each custodian exactly one file, over a channel you trust, and delete\n"
	       "     the others from this machine: any %u of them are the seal key.\n"
	       "  2. Each custodian checks their file: spod custodian inspect share-I.json\n"
	       "     must show seal key id %s.\n"
	       "  3. When the pod runs in custodian mode, %u custodians each verify its\n"
	       "     attestation and send their share to it (docs/keys.md).\n"
	       "The seal key itself was neither written nor shown, and is gone.\n",
	       p->k, id, p->k);
}

/* --threshold, --shares and --out; a usage error (exit 2) otherwise. */
static int init_args(const struct cli *cli, struct plan *p)
{
	if (cli->npos != 1)
		return cli_usage_error("'custodian init' takes no arguments besides its options");
	if (cli->opt[OPT_THRESHOLD] == NULL || cli->opt[OPT_SHARES] == NULL ||
	    cli->opt[OPT_OUT] == NULL)
		return cli_usage_error(
		    "'custodian init' needs --threshold K, --shares N and --out DIR");
	if (parse_count(&p->k, cli->opt[OPT_THRESHOLD]) < 0)
		return cli_usage_error("--threshold must be an integer from 1 to 32");
	if (parse_count(&p->n, cli->opt[OPT_SHARES]) < 0)
		return cli_usage_error("--shares must be an integer from 1 to 32");
	if (p->k > p->n)
		return cli_usage_error("--threshold %u is more than --shares %u", p->k, p->n);
	p->dir = cli->opt[OPT_OUT];
	p->dfd = -1;
	return 0;
}

static int custodian_init(const struct cli *cli)
{
	struct plan p = {0};
	struct ceremony *c = NULL;
	int rc;

	if ((rc = cli_only(cli, OPT(OPT_THRESHOLD) | OPT(OPT_SHARES) | OPT(OPT_OUT),
	                   "custodian init")) != 0 ||
	    (rc = init_args(cli, &p)) != 0)
		return rc;
	if (spod_secmem_harden_process() < 0 || sodium_init() < 0)
		return custodian_fail(cli, SPOD_E_CRYPTO, "custodian init", p.dir,
		                      "cannot make the process non-dumpable or start libsodium");
	if ((rc = open_out_dir(cli, &p)) != 0)
		goto out;
	c = spod_secmem_alloc(sizeof *c);
	if (c == NULL) {
		rc = custodian_fail(cli, SPOD_E_NOMEM, "custodian init", p.dir,
		                    "out of locked memory");
		goto out;
	}
	if (p.k == 1)
		fputs("spod: warning: with --threshold 1 every share file is the seal key itself\n",
		      stderr);
	randombytes_buf(c->seal_key, sizeof c->seal_key);
	if ((rc = write_shares(cli, &p, c)) == 0 && (rc = check_files(cli, &p, c)) == 0) {
		print_init(cli, &p);
		rc = fflush(stdout) == 0 ? 0 : spod_err_exit_code(SPOD_E_IO);
	}
out:
	if (rc != 0 && p.dfd >= 0)
		remove_written(&p);
	if (p.dfd >= 0)
		close(p.dfd);
	spod_secmem_free(c);
	return rc;
}

static int custodian_inspect(const struct cli *cli)
{
	struct spod_share_file_info info;
	char id[2 * SPOD_SEAL_KEY_ID_BYTES + 1];
	const char *path, *why = NULL;
	int rc;

	if ((rc = cli_only(cli, 0, "custodian inspect")) != 0)
		return rc;
	if (cli->npos != 2)
		return cli_usage_error("'custodian inspect' needs exactly one share file");
	path = cli->pos[1];
	if (spod_secmem_harden_process() < 0)
		return custodian_fail(cli, SPOD_E_IO, "custodian inspect", path,
		                      "cannot make the process non-dumpable");
	rc = spod_share_file_read_info(&info, path, &why);
	if (rc < 0)
		return custodian_fail(cli, rc, "custodian inspect", path, why);
	sodium_bin2hex(id, sizeof id, info.seal_key_id, sizeof info.seal_key_id);
	if (cli->json) {
		printf("{\"file\":");
		cli_json_str(stdout, path, strlen(path));
		printf(",\"seal_key_id\":\"%s\",\"threshold\":%u,\"shares\":%u,\"index\":%u,"
		       "\"share_matches\":%s}\n",
		       id, info.threshold, info.shares, info.index,
		       info.share_matches ? "true" : "false");
	} else {
		printf("file         %s\nseal key id  %s\nthreshold    %u of %u\nindex        %u\n"
		       "share        %s\n",
		       path, id, info.threshold, info.shares, info.index,
		       info.share_matches ? "matches its commitment"
		                          : "DOES NOT MATCH its commitment (damaged or altered)");
	}
	if (fflush(stdout) != 0)
		return spod_err_exit_code(SPOD_E_IO);
	if (!info.share_matches)
		return custodian_fail(
		    cli, SPOD_E_BAD_SHARE, "custodian inspect", path,
		    "the share does not match its commitment: the file was damaged "
		    "or altered");
	return 0;
}

int cmd_custodian(struct cli *cli)
{
	const char *sub = cli->npos > 0 ? cli->pos[0] : "";

	if (strcmp(sub, "init") == 0)
		return custodian_init(cli);
	if (strcmp(sub, "inspect") == 0)
		return custodian_inspect(cli);
	if (strcmp(sub, "provision") == 0)
		return cli_custodian_provision(cli);
	if (strcmp(sub, "status") == 0)
		return cli_custodian_status(cli);
	return cli_usage_error(
	    "'custodian' needs a subcommand: init, inspect, provision or status");
}
