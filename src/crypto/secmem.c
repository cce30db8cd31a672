#include "crypto/secmem.h"

#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <sodium.h>

#include "spod/err.h"

/*
 * sodium_malloc puts the block right against a guard page, so its address is only as
 * aligned as its length; rounding lengths up keeps every block suitable for any type.
 */
#define SECMEM_ALIGN 16u

void *spod_secmem_alloc(size_t len)
{
	void *p;

	/* sodium_malloc needs the page size that sodium_init records; later calls are cheap. */
	if (sodium_init() < 0)
		return NULL;
	if (len == 0)
		len = 1;
	if (len > SIZE_MAX - (SECMEM_ALIGN - 1))
		return NULL;
	len = (len + SECMEM_ALIGN - 1) & ~(size_t)(SECMEM_ALIGN - 1);

	p = sodium_malloc(len);
	if (p != NULL)
		memset(p, 0, len);
	return p;
}

void spod_secmem_free(void *p)
{
	sodium_free(p);
}

void spod_secmem_wipe(void *p, size_t len)
{
	sodium_memzero(p, len);
}

int spod_secmem_harden_process(void)
{
	const struct rlimit no_core = {0, 0};

	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		return SPOD_E_IO;
	if (setrlimit(RLIMIT_CORE, &no_core) != 0)
		return SPOD_E_IO;
	return SPOD_OK;
}
