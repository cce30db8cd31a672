/* Strict standard base64 encoding and decoding (b64.h). */
#include "common/b64.h"

#include "common/base64.h"
#include "spod/err.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int spod_b64_encode(char *out, size_t cap, const uint8_t *in, size_t len)
{
	size_t o = 0, i = 0;

	if (len > (SIZE_MAX - 1) / 4 * 3 - 2 || cap < spod_b64_len(len) + 1)
		return SPOD_E_TOO_LARGE;
	for (; len - i >= 3; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

		out[o++] = alphabet[v >> 18];
		out[o++] = alphabet[(v >> 12) & 0x3f];
		out[o++] = alphabet[(v >> 6) & 0x3f];
		out[o++] = alphabet[v & 0x3f];
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;

		out[o++] = alphabet[v >> 18];
		out[o++] = alphabet[(v >> 12) & 0x3f];
		out[o++] = '=';
		out[o++] = '=';
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;

		out[o++] = alphabet[v >> 18];
		out[o++] = alphabet[(v >> 12) & 0x3f];
		out[o++] = alphabet[(v >> 6) & 0x3f];
		out[o++] = '=';
	}
	out[o] = '\0';
	return SPOD_OK;
}

int spod_b64_decode(uint8_t *out, size_t cap, size_t *out_len, const char *text, size_t len)
{
	size_t pad = 0, need, o = 0;

	*out_len = 0;
	if (len % 4 != 0)
		return SPOD_E_BAD_ARG;
	if (len > 0 && text[len - 1] == '=')
		pad = (len > 1 && text[len - 2] == '=') ? 2 : 1;
	need = len / 4 * 3 - pad;
	for (size_t i = 0; i < len - pad; i++)
		if (spod_b64_value(text[i], SPOD_B64_STD) < 0)
			return SPOD_E_BAD_ARG;
	if (pad > 0) {
		/* The bits of the last character beyond the data must be zero. */
		int last = spod_b64_value(text[len - pad - 1], SPOD_B64_STD);

		if ((pad == 2 && (last & 0x0f) != 0) || (pad == 1 && (last & 0x03) != 0))
			return SPOD_E_BAD_ARG;
	}
	if (need > cap)
		return SPOD_E_TOO_LARGE;
	for (size_t i = 0; i < len; i += 4) {
		uint32_t v = 0;
		size_t chars = (i + 4 == len) ? 4 - pad : 4;

		for (size_t k = 0; k < 4; k++)
			v = v << 6 |
			    (uint32_t)(k < chars ? spod_b64_value(text[i + k], SPOD_B64_STD) : 0);
		out[o++] = (uint8_t)(v >> 16);
		if (chars > 2)
			out[o++] = (uint8_t)(v >> 8);
		if (chars > 3)
			out[o++] = (uint8_t)v;
	}
	*out_len = o;
	return SPOD_OK;
}
