/*
 * alloc_count.so: counts heap allocations for the trace build's benchmark (bench/run.sh
 * --trace preloads it into spod-host and spod-enclave). malloc, calloc, realloc, the aligned
 * allocators and free are interposed and passed on to glibc's own (__libc_*); every call
 * that hands out memory counts one. src/common/trace.c reads the count through
 * spod_alloc_count and stores it with every trace event, so spod-bench can divide the
 * allocations of a window by its requests. Never linked into anything; bench only.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void *__libc_memalign(size_t align, size_t size);
extern void __libc_free(void *p);

static uint64_t count;

static void counted(void)
{
	__atomic_add_fetch(&count, 1, __ATOMIC_RELAXED);
}

uint64_t spod_alloc_count(void);
uint64_t spod_alloc_count(void)
{
	return __atomic_load_n(&count, __ATOMIC_RELAXED);
}

void *malloc(size_t size)
{
	counted();
	return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
	counted();
	return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
	counted();
	return __libc_realloc(p, size);
}

void *memalign(size_t align, size_t size)
{
	counted();
	return __libc_memalign(align, size);
}

void *aligned_alloc(size_t align, size_t size)
{
	counted();
	return __libc_memalign(align, size);
}

int posix_memalign(void **out, size_t align, size_t size)
{
	void *p;

	if (align < sizeof(void *) || (align & (align - 1)) != 0)
		return EINVAL;
	counted();
	p = __libc_memalign(align, size);
	if (p == NULL)
		return ENOMEM;
	*out = p;
	return 0;
}

void free(void *p)
{
	__libc_free(p);
}
