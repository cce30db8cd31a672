/*
 * spod-eif: the build tool that assembles the enclave image (image/build.sh, docs/image.md)
 * and takes it apart again for the QEMU test (tests/vsock). Both directions go through the
 * project's own EIF code (src/attest/eif.[ch]); measuring is `spod measure`'s job.
 *
 *   spod-eif build OUT --kernel FILE --cmdline TEXT [--ramdisk FILE ...] [--metadata FILE]
 *                  [--sign-cert PEM --sign-cose FILE] [--arm64]
 *       spod_eif_build: kernel, cmdline, metadata, ramdisks, signature in that order,
 *       version 4 with a metadata section (3 without). Nothing but the inputs goes in. The
 *       signing options exist for tests/integration/measure.sh (PCR8) and the fuzz seeds.
 *   spod-eif extract EIF DIR
 *       spod_eif_parse (the header table, section layout and CRC-32 are checked), then the
 *       sections as DIR/kernel, DIR/cmdline, DIR/ramdisk.0, DIR/ramdisk.1, ... (file
 *       order) and DIR/metadata when present. Prints the ramdisk count.
 *
 * Exit status 0, or 2 with a reason on stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest/eif.h"
#include "spod/err.h"

#define MAX_RAMDISKS (SPOD_EIF_MAX_SECTIONS - 3)

struct file {
	uint8_t *p;
	size_t len;
};

static int die(const char *what, const char *arg)
{
	fprintf(stderr, "spod-eif: %s%s%s\n", what, arg ? ": " : "", arg ? arg : "");
	return 2;
}

static int slurp(struct file *f, const char *path)
{
	FILE *in = fopen(path, "rb");
	size_t cap = 1 << 16;
	int bad;

	f->len = 0;
	if (in == NULL)
		return -1;
	if ((f->p = malloc(cap)) == NULL) {
		fclose(in);
		return -1;
	}
	for (;;) {
		f->len += fread(f->p + f->len, 1, cap - f->len, in);
		if (f->len < cap)
			break;
		uint8_t *q = realloc(f->p, cap * 2);
		if (q == NULL) {
			fclose(in);
			return -1;
		}
		f->p = q;
		cap *= 2;
	}
	bad = ferror(in);
	fclose(in);
	return bad ? -1 : 0;
}

static int spit(const char *dir, const char *name, const uint8_t *p, size_t len)
{
	char path[4096];
	FILE *out;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return -1;
	out = fopen(path, "wb");
	if (out == NULL)
		return -1;
	int bad = len != 0 && fwrite(p, 1, len, out) != len;
	int closed = fclose(out) == 0;

	if (!closed || bad)
		return -1;
	return 0;
}

static int cmd_build(int argc, char **argv)
{
	struct file kernel = {0}, meta = {0}, cert = {0}, cose = {0}, ram[MAX_RAMDISKS];
	const uint8_t *ram_p[MAX_RAMDISKS];
	size_t ram_len[MAX_RAMDISKS], nram = 0, sig_len = 0, img_len = 0;
	struct spod_eif_build_in in = {0};
	const char *cmdline = NULL;
	uint8_t *sig = NULL, *img;
	FILE *out;

	for (int i = 3; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		struct file *dst;

		if (strcmp(a, "--arm64") == 0) {
			in.flags = SPOD_EIF_ARCH_ARM64;
			continue;
		}
		if (v == NULL)
			return die("missing value for", a);
		i++;
		if (strcmp(a, "--cmdline") == 0) {
			cmdline = v;
			continue;
		}
		if (strcmp(a, "--kernel") == 0)
			dst = &kernel;
		else if (strcmp(a, "--metadata") == 0)
			dst = &meta;
		else if (strcmp(a, "--sign-cert") == 0)
			dst = &cert;
		else if (strcmp(a, "--sign-cose") == 0)
			dst = &cose;
		else if (strcmp(a, "--ramdisk") == 0 && nram < MAX_RAMDISKS)
			dst = &ram[nram];
		else
			return die("unknown option (or too many ramdisks)", a);
		if (slurp(dst, v) < 0)
			return die("cannot read", v);
		if (dst == &ram[nram]) {
			ram_p[nram] = ram[nram].p;
			ram_len[nram] = ram[nram].len;
			nram++;
		}
	}
	if (kernel.p == NULL || cmdline == NULL)
		return die("--kernel and --cmdline are required", NULL);
	if ((cert.p == NULL) != (cose.p == NULL))
		return die("--sign-cert and --sign-cose go together", NULL);
	if (cert.p != NULL && (spod_eif_sig_encode(NULL, 0, &sig_len, cert.p, cert.len, cose.p,
	                                           cose.len) != SPOD_E_TOO_LARGE ||
	                       (sig = malloc(sig_len)) == NULL ||
	                       spod_eif_sig_encode(sig, sig_len, &sig_len, cert.p, cert.len, cose.p,
	                                           cose.len) != SPOD_OK))
		return die("cannot encode the signature section", NULL);
	in.kernel = kernel.p;
	in.kernel_len = kernel.len;
	in.cmdline = cmdline;
	in.ramdisks = ram_p;
	in.ramdisk_lens = ram_len;
	in.nramdisks = nram;
	in.metadata = meta.p;
	in.metadata_len = meta.len;
	in.signature = sig;
	in.signature_len = sig_len;
	if (spod_eif_build(NULL, 0, &img_len, &in) != SPOD_E_TOO_LARGE ||
	    (img = malloc(img_len)) == NULL || spod_eif_build(img, img_len, &img_len, &in) != 0)
		return die("spod_eif_build failed", NULL);
	out = fopen(argv[2], "wb");
	if (out == NULL || fwrite(img, 1, img_len, out) != img_len || fclose(out) != 0)
		return die("cannot write", argv[2]);
	free(img);
	free(sig);
	free(kernel.p);
	free(meta.p);
	free(cert.p);
	free(cose.p);
	for (size_t i = 0; i < nram; i++)
		free(ram[i].p);
	return 0;
}

static int cmd_extract(const char *eif_path, const char *dir)
{
	struct file img = {0};
	struct spod_eif eif;
	unsigned nram = 0;
	char name[32];

	if (slurp(&img, eif_path) < 0)
		return die("cannot read", eif_path);
	if (spod_eif_parse(&eif, img.p, img.len) != SPOD_OK)
		return die(eif.error ? eif.error : "not an EIF", eif_path);
	for (unsigned i = 0; i < eif.nsections; i++) {
		const struct spod_eif_section *s = &eif.sections[i];

		switch (s->type) {
		case SPOD_EIF_SECTION_KERNEL:
			snprintf(name, sizeof(name), "kernel");
			break;
		case SPOD_EIF_SECTION_CMDLINE:
			snprintf(name, sizeof(name), "cmdline");
			break;
		case SPOD_EIF_SECTION_RAMDISK:
			snprintf(name, sizeof(name), "ramdisk.%u", nram++);
			break;
		case SPOD_EIF_SECTION_METADATA:
			snprintf(name, sizeof(name), "metadata");
			break;
		default:
			continue; /* the signature: not needed to boot */
		}
		if (spit(dir, name, s->data, s->len) < 0)
			return die("cannot write into", dir);
	}
	printf("%u\n", nram);
	free(img.p);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "build") == 0)
		return cmd_build(argc, argv);
	if (argc == 4 && strcmp(argv[1], "extract") == 0)
		return cmd_extract(argv[2], argv[3]);
	fprintf(stderr, "usage: spod-eif build OUT --kernel F --cmdline TEXT [--ramdisk F ...] "
	                "[--metadata F] [--sign-cert PEM --sign-cose F] [--arm64]\n"
	                "       spod-eif extract EIF DIR\n");
	return 2;
}
