/* EIP-55 checksums (convert/eip55.h). */
#include <ctype.h>
#include <stdint.h>

#include "convert/eip55.h"
#include "crypto/hash.h"

int spod_eip55_ok(const char hex40[40])
{
	char lower[40];
	uint8_t h[32];
	int has_lower = 0, has_upper = 0;

	for (size_t i = 0; i < 40; i++) {
		has_lower |= hex40[i] >= 'a' && hex40[i] <= 'f';
		has_upper |= hex40[i] >= 'A' && hex40[i] <= 'F';
		lower[i] = (char)tolower((unsigned char)hex40[i]);
	}
	if (!(has_lower && has_upper))
		return 1;
	spod_keccak256(h, (const uint8_t *)lower, sizeof(lower));
	for (size_t i = 0; i < 40; i++) {
		unsigned nib = (h[i / 2] >> (i % 2 ? 0 : 4)) & 0xfu;
		if (isalpha((unsigned char)lower[i]) &&
		    (isupper((unsigned char)hex40[i]) != 0) != (nib >= 8))
			return 0;
	}
	return 1;
}
