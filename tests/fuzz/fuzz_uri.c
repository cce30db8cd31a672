/*
 * libFuzzer target for the transport URI parser (src/transport/uri.c).
 *
 * The input is the URI text (a NUL ends it early, as it would a C string). An accepted URI
 * must be of a known kind with its fields in range and formats to canonical text that parses
 * back to the same struct, byte for byte, and formats again to the same text. A refused one
 * must leave the struct zeroed.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spod/err.h"
#include "transport/uri.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

#define TEXT_MAX_BYTES 4096u
#define OUT_BYTES      (sizeof(((struct spod_uri *)0)->path) + 64u)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct spod_uri zero;
	struct spod_uri u, again;
	char text[TEXT_MAX_BYTES + 1], out[OUT_BYTES], out2[OUT_BYTES];
	int rc;

	if (size > TEXT_MAX_BYTES)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	rc = spod_uri_parse(&u, text);
	if (rc != SPOD_OK) {
		CHECK(rc == SPOD_E_BAD_URI);
		CHECK(memcmp(&u, &zero, sizeof u) == 0);
		return 0;
	}
	switch (u.kind) {
	case SPOD_URI_UNIX:
		CHECK(u.path[0] != '\0');
		CHECK(memchr(u.path, '\0', sizeof u.path) != NULL);
		break;
	case SPOD_URI_TCP:
		CHECK(u.host[0] != '\0' && memchr(u.host, '\0', sizeof u.host) != NULL);
		CHECK(u.port <= 65535);
		break;
	default:
		CHECK(u.kind == SPOD_URI_VSOCK);
		break;
	}

	spod_uri_format(out, sizeof out, &u);
	CHECK(strlen(out) < sizeof out - 1); /* never truncated */
	CHECK(spod_uri_parse(&again, out) == SPOD_OK);
	CHECK(memcmp(&u, &again, sizeof u) == 0);
	spod_uri_format(out2, sizeof out2, &again);
	CHECK(strcmp(out, out2) == 0);
	return 0;
}
