/*
 * Which NSM the enclave starts with. The one rule that matters: where a real NSM exists,
 * spod never quietly produces simulated documents; "sim" there needs an explicit
 * override, and "auto" takes the device (and its errors) rather than falling back.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "common/log.h"
#include "nsm/nsm.h"
#include "spod/err.h"

/* True unless path certainly does not exist: an unreadable path counts as present. */
static int path_present(const char *path)
{
	struct stat st;

	if (stat(path, &st) == 0)
		return 1;
	return !(errno == ENOENT || errno == ENOTDIR);
}

int spod_nsm_open_auto(struct spod_nsm **out, const char *mode, const char *nitro_path,
                       const char *state_dir, const char *image_path, int allow_sim_with_device)
{
	*out = NULL;
	if (strcmp(mode, "nitro") == 0)
		return spod_nsm_open_nitro(out, nitro_path);
	if (strcmp(mode, "sim") == 0) {
		if (path_present(nitro_path) && !allow_sim_with_device) {
			spod_error("nsm: refusing the simulated NSM: %s exists, so this looks like "
			           "a real enclave (override explicitly to simulate anyway)",
			           nitro_path);
			return SPOD_E_BAD_ARG;
		}
		return spod_nsm_open_sim(out, state_dir, image_path);
	}
	if (strcmp(mode, "auto") == 0) {
		if (path_present(nitro_path))
			return spod_nsm_open_nitro(out, nitro_path);
		return spod_nsm_open_sim(out, state_dir, image_path);
	}
	spod_error("nsm: unknown NSM mode \"%.16s\" (nitro, sim or auto)", mode);
	return SPOD_E_BAD_ARG;
}
