/*
 * The one table behind spod's two base64 alphabets (RFC 4648): standard ("+/", the HTTP
 * API's "encoding": "base64") and base64url ("-_", API token text). Each codec keeps its own
 * rules (padding, strictness); this only maps characters.
 */
#ifndef SPOD_COMMON_BASE64_H
#define SPOD_COMMON_BASE64_H

/* Characters 62 and 63 of each alphabet. */
#define SPOD_B64_STD "+/"
#define SPOD_B64_URL "-_"

/* The 6-bit value of c in the alphabet ending with tail[0], tail[1]; -1 when not in it. */
static inline int spod_b64_value(char c, const char tail[2])
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == tail[0])
		return 62;
	if (c == tail[1])
		return 63;
	return -1;
}

#endif
