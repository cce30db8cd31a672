#include "common/paths.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spod/err.h"

int spod_data_dir(char *out, size_t cap)
{
	const char *env = getenv("SPOD_DATA_DIR");
	int n;

	if (env != NULL && env[0] != '\0')
		n = snprintf(out, cap, "%s", env);
	else if ((env = getenv("XDG_RUNTIME_DIR")) != NULL && env[0] != '\0')
		n = snprintf(out, cap, "%s/spod", env);
	else
		n = snprintf(out, cap, "/tmp/spod-%u", (unsigned)getuid());
	if (n < 0 || (size_t)n >= cap)
		return SPOD_E_TOO_LARGE;
	return SPOD_OK;
}

int spod_data_dir_ensure(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return SPOD_E_IO;
	if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid())
		return SPOD_E_IO;
	if ((st.st_mode & 0077) != 0 && chmod(dir, 0700) < 0)
		return SPOD_E_IO;
	return SPOD_OK;
}

static int default_uri(char *out, size_t cap, const char *name)
{
	char dir[256];
	int n;

	SPOD_TRY(spod_data_dir(dir, sizeof(dir)));
	n = snprintf(out, cap, "unix://%s/%s", dir, name);
	if (n < 0 || (size_t)n >= cap)
		return SPOD_E_TOO_LARGE;
	return SPOD_OK;
}

int spod_default_host_uri(char *out, size_t cap)
{
	return default_uri(out, cap, "spod.sock");
}

int spod_default_enclave_uri(char *out, size_t cap)
{
	return default_uri(out, cap, "enclave.sock");
}
