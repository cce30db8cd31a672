/*
 * it_mkeif: writes an EIF with spod_eif_build, for tests/integration/measure.sh and for the
 * fuzz seeds in tests/fuzz/corpus/eif.
 *
 *   it_mkeif OUT --kernel FILE --cmdline TEXT [--ramdisk FILE ...] [--metadata FILE]
 *            [--sign-cert PEM --sign-cose FILE] [--arm64]
 *
 * The helper programs are linked without spod_attest (tests/CMakeLists.txt), so the one
 * source file this needs is compiled in here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest/eif.h"
#include "spod/err.h"

#define MAX_RAMDISKS (SPOD_EIF_MAX_SECTIONS - 2) /* spod_eif_build checks the total */

struct file {
	uint8_t *p;
	size_t len;
};

static int die(const char *what, const char *arg)
{
	fprintf(stderr, "it_mkeif: %s%s%s\n", what, arg ? ": " : "", arg ? arg : "");
	return 2;
}

static int slurp(struct file *f, const char *path)
{
	FILE *in = fopen(path, "rb");
	size_t cap = 4096;

	f->len = 0;
	if (in == NULL || (f->p = malloc(cap)) == NULL)
		return -1;
	for (;;) {
		size_t n = fread(f->p + f->len, 1, cap - f->len, in);
		f->len += n;
		if (f->len < cap)
			break;
		cap *= 2;
		uint8_t *q = realloc(f->p, cap);
		if (q == NULL)
			return -1;
		f->p = q;
	}
	int bad = ferror(in);
	fclose(in);
	return bad ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct file kernel = {0}, meta = {0}, cert = {0}, cose = {0}, ram[MAX_RAMDISKS];
	const uint8_t *ram_p[MAX_RAMDISKS];
	size_t ram_len[MAX_RAMDISKS], nram = 0, sig_len = 0, img_len = 0;
	const char *cmdline = NULL, *out_path;
	struct spod_eif_build_in in = {0};
	uint8_t *sig = NULL, *img = NULL;
	FILE *out;

	if (argc < 2)
		return die("usage: it_mkeif OUT --kernel F --cmdline T [--ramdisk F ...] ...",
		           NULL);
	out_path = argv[1];
	for (int i = 2; i < argc; i++) {
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
	if (cert.p != NULL) {
		if (spod_eif_sig_encode(NULL, 0, &sig_len, cert.p, cert.len, cose.p, cose.len) !=
		        SPOD_E_TOO_LARGE ||
		    (sig = malloc(sig_len)) == NULL ||
		    spod_eif_sig_encode(sig, sig_len, &sig_len, cert.p, cert.len, cose.p,
		                        cose.len) != SPOD_OK)
			return die("cannot encode the signature section", NULL);
	}
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
	out = fopen(out_path, "wb");
	if (out == NULL || fwrite(img, 1, img_len, out) != img_len || fclose(out) != 0)
		return die("cannot write", out_path);
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
