#include "common/hex.h"

#include <string.h>

#include "spod/err.h"

int spod_hex_encode(char *out, size_t out_cap, const uint8_t *in, size_t len)
{
	static const char digits[] = "0123456789abcdef";

	if (out_cap == 0 || len > (out_cap - 1) / 2)
		return SPOD_E_TOO_LARGE;
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0x0f];
	}
	out[2 * len] = '\0';
	return SPOD_OK;
}

static int hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int spod_hex_decode_exact(uint8_t *out, size_t n, const char *text, size_t len)
{
	if (len != 2 * n)
		return SPOD_E_BAD_HEX;
	for (size_t i = 0; i < n; i++) {
		int hi = hex_nibble(text[2 * i]);
		int lo = hex_nibble(text[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return SPOD_E_BAD_HEX;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return SPOD_OK;
}

int spod_hex_decode(uint8_t *out, size_t out_cap, size_t *out_len, const char *text)
{
	size_t n;

	*out_len = 0;
	if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
		text += 2;
	n = strlen(text);
	if (n % 2 != 0)
		return SPOD_E_BAD_HEX;
	if (n / 2 > out_cap)
		return SPOD_E_TOO_LARGE;
	SPOD_TRY(spod_hex_decode_exact(out, n / 2, text, n));
	*out_len = n / 2;
	return SPOD_OK;
}
