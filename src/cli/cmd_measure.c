/*
 * spod measure IMAGE.eif: the PCRs `nitro-cli describe-eif` reports for an enclave image,
 * computed offline (no pod is contacted). --json prints nitro-cli's "Measurements" object.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attest/eif.h"
#include "cli/cli.h"
#include "spod/err.h"

static int measure_fail(const struct cli *cli, int err, const char *path, const char *why)
{
	if (cli->json) {
		fprintf(stderr, "{\"error\":{\"code\":\"%s\",\"message\":", spod_err_name(err));
		cli_json_str(stderr, why, strlen(why));
		fputs(",\"action\":\"measure\",\"path\":", stderr);
		cli_json_str(stderr, path, strlen(path));
		fputs("}}\n", stderr);
	} else {
		fprintf(stderr, "spod: measure failed: %s: %s [%s]\n", path, why,
		        spod_err_name(err));
	}
	return spod_err_exit_code(err);
}

/*
 * Maps path read-only. An empty file gives *img NULL, *len 0 (the parser reports it as
 * truncated). On failure *why says what went wrong and the error is SPOD_E_BAD_ARG: a file
 * named on the command line that cannot be read is a usage error (exit 2), never "pod
 * unavailable" (SPOD_E_IO's exit 3), as no pod is involved.
 */
static int map_image(const char *path, const uint8_t **img, size_t *len, const char **why)
{
	struct stat st;
	void *p;
	int fd;

	*img = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		*why = strerror(errno);
		if (fd >= 0)
			close(fd);
		return SPOD_E_BAD_ARG;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > SIZE_MAX) {
		*why = S_ISREG(st.st_mode) ? "file too large to map" : "not a regular file";
		close(fd);
		return SPOD_E_BAD_ARG;
	}
	if (st.st_size == 0) {
		close(fd);
		return SPOD_OK;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		*why = strerror(errno);
	close(fd);
	if (p == MAP_FAILED)
		return SPOD_E_BAD_ARG;
	*img = p;
	*len = (size_t)st.st_size;
	return SPOD_OK;
}

static void print_pcr(const struct cli *cli, const char *name, const uint8_t *pcr)
{
	if (cli->json) {
		printf(",\"%s\":\"", name);
		cli_hex(stdout, pcr, SPOD_EIF_PCR_BYTES);
		putchar('"');
	} else {
		printf("%s: ", name);
		cli_hex(stdout, pcr, SPOD_EIF_PCR_BYTES);
		putchar('\n');
	}
}

/* Key names and order as nitro-cli's BTreeMap<String, String> of measurements. */
static void print_pcrs(const struct cli *cli, const struct spod_eif_pcrs *p)
{
	if (cli->json)
		printf("{\"Measurements\":{\"HashAlgorithm\":\"%s\"", SPOD_EIF_HASH_ALGORITHM);
	else
		printf("HashAlgorithm: %s\n", SPOD_EIF_HASH_ALGORITHM);
	print_pcr(cli, "PCR0", p->pcr0);
	print_pcr(cli, "PCR1", p->pcr1);
	print_pcr(cli, "PCR2", p->pcr2);
	if (p->has_pcr8)
		print_pcr(cli, "PCR8", p->pcr8);
	if (cli->json)
		printf("}}\n");
}

int cmd_measure(struct cli *cli)
{
	const char *path, *why = NULL;
	const uint8_t *img = NULL;
	struct spod_eif eif;
	struct spod_eif_pcrs pcrs;
	size_t len = 0;
	int rc;

	if ((rc = cli_only(cli, 0, "measure")) != 0)
		return rc;
	if (cli->npos != 1)
		return cli_usage_error("'measure' needs exactly one EIF path");
	path = cli->pos[0];
	rc = map_image(path, &img, &len, &why);
	if (rc < 0)
		return measure_fail(cli, rc, path, why);
	rc = spod_eif_parse(&eif, img, len);
	if (rc < 0) {
		rc = measure_fail(cli, rc, path, eif.error);
		goto out;
	}
	rc = spod_eif_measure(&pcrs, &eif);
	if (rc < 0) {
		why = rc == SPOD_E_BAD_KEY ? "the signing certificate in the signature section is "
		                             "not a PEM X.509 certificate"
		                           : spod_strerror(rc);
		rc = measure_fail(cli, rc, path, why);
		goto out;
	}
	print_pcrs(cli, &pcrs);
	rc = fflush(stdout) == 0 ? 0 : spod_err_exit_code(SPOD_E_IO);
out:
	if (img != NULL)
		munmap((void *)img, len);
	return rc;
}
