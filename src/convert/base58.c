/* Base58: schoolbook base conversion, enough for 32-byte Solana addresses. */
#include <string.h>

#include "convert/base58.h"
#include "spod/err.h"

static const char alphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

#define B58_MAX_BYTES 64u
/* log(256) / log(58) < 1.37: 64 bytes take at most 88 digits. */
#define B58_MAX_DIGITS 90u

int spod_base58_decode(uint8_t *out, size_t n, const char *text, size_t len)
{
	uint8_t buf[B58_MAX_BYTES];
	size_t zeros = 0, i;

	if (len == 0 || n > B58_MAX_BYTES || len > B58_MAX_DIGITS)
		return SPOD_E_BAD_FIELD;
	while (zeros < len && text[zeros] == '1')
		zeros++;
	memset(buf, 0, sizeof(buf));
	for (i = zeros; i < len; i++) {
		const char *at = text[i] != '\0' ? strchr(alphabet, text[i]) : NULL;
		if (at == NULL)
			return SPOD_E_BAD_FIELD;
		unsigned carry = (unsigned)(at - alphabet);
		for (size_t j = B58_MAX_BYTES; j-- > 0;) {
			carry += 58u * buf[j];
			buf[j] = (uint8_t)carry;
			carry >>= 8;
		}
		if (carry)
			return SPOD_E_BAD_FIELD;
	}
	size_t lead = 0;
	while (lead < B58_MAX_BYTES && buf[lead] == 0)
		lead++;
	size_t body = B58_MAX_BYTES - lead;
	if (zeros + body != n)
		return SPOD_E_BAD_FIELD;
	memset(out, 0, zeros);
	memcpy(out + zeros, buf + lead, body);
	return SPOD_OK;
}

int spod_base58_encode(char *out, size_t cap, const uint8_t *in, size_t len)
{
	uint8_t digits[B58_MAX_DIGITS];
	size_t nd = 0, zeros = 0;

	if (len > B58_MAX_BYTES)
		return SPOD_E_TOO_LARGE;
	while (zeros < len && in[zeros] == 0)
		zeros++;
	for (size_t i = zeros; i < len; i++) {
		unsigned carry = in[i];
		for (size_t j = 0; j < nd; j++) {
			carry += (unsigned)digits[j] << 8;
			digits[j] = (uint8_t)(carry % 58u);
			carry /= 58u;
		}
		while (carry) {
			digits[nd++] = (uint8_t)(carry % 58u);
			carry /= 58u;
		}
	}
	if (zeros + nd + 1 > cap)
		return SPOD_E_TOO_LARGE;
	memset(out, '1', zeros);
	for (size_t i = 0; i < nd; i++)
		out[zeros + i] = alphabet[digits[nd - 1 - i]];
	out[zeros + nd] = '\0';
	return SPOD_OK;
}
