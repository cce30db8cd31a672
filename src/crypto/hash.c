#include "crypto/hash.h"

#include <sodium.h>

void spod_sha256(uint8_t out[32], const uint8_t *in, size_t len)
{
	crypto_hash_sha256(out, in, len);
}
