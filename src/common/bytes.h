/*
 * Little-endian loads and stores at any alignment, and a check for all-zero (reserved) bytes.
 *
 * Frames are read in place, so fields are usually unaligned: every access is assembled
 * byte by byte, which compilers turn into a single move on x86-64 and arm64. Bounds are the
 * caller's: the wire validators check them once before any of these is used.
 */
#ifndef SPOD_COMMON_BYTES_H
#define SPOD_COMMON_BYTES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "spod/err.h"

static inline uint16_t spod_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (uint16_t)p[1] << 8);
}

static inline uint32_t spod_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t spod_le64(const uint8_t *p)
{
	return (uint64_t)spod_le32(p) | (uint64_t)spod_le32(p + 4) << 32;
}

static inline void spod_put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void spod_put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline void spod_put_le64(uint8_t *p, uint64_t v)
{
	spod_put_le32(p, (uint32_t)v);
	spod_put_le32(p + 4, (uint32_t)(v >> 32));
}

/* True when every byte of p[0..len) is zero (used for reserved fields). */
static inline int spod_all_zero(const uint8_t *p, size_t len)
{
	uint8_t acc = 0;
	for (size_t i = 0; i < len; i++)
		acc |= p[i];
	return acc == 0;
}

#endif
