/*
 * libFuzzer target for the token scopes grammar (src/host/auth/auth.c).
 *
 * The input is scopes text as the tokens table would hold it. Whatever parses must format to
 * canonical text of the same length, which parses to the same struct byte for byte and
 * formats to the same text again; spod_auth_check must give an answer for every opcode, and
 * spod_auth_label_allowed for any label (an unlabelled key always passes).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/auth/auth.h"
#include "spod/err.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

static struct spod_auth_scopes first, second;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[SPOD_AUTH_SCOPES_MAX_BYTES + 1], again[SPOD_AUTH_SCOPES_MAX_BYTES + 1];
	static const uint8_t zero_id[16];
	const char *why;
	size_t len, len2;
	int rc;

	rc = spod_auth_scopes_parse(&first, &why, (const char *)data, size);
	if (rc != SPOD_OK) {
		CHECK(rc == SPOD_E_BAD_ARG && why != NULL);
		return 0;
	}
	CHECK(why == NULL);
	CHECK(spod_auth_scopes_format(text, sizeof text, &len, &first) == SPOD_OK);
	CHECK(len == size && strlen(text) == len);
	CHECK(spod_auth_scopes_parse(&second, &why, text, len) == SPOD_OK);
	CHECK(memcmp(&first, &second, sizeof first) == 0);
	CHECK(spod_auth_scopes_format(again, sizeof again, &len2, &second) == SPOD_OK);
	CHECK(len2 == len && memcmp(text, again, len + 1) == 0);
	for (unsigned op = 0; op < 256; op++) {
		rc = spod_auth_check(&first, (uint8_t)op, zero_id, "label");
		CHECK(rc == SPOD_OK || rc == SPOD_AUTH_E_FORBIDDEN || rc == SPOD_E_UNKNOWN_OP);
		rc = spod_auth_check(&first, (uint8_t)op, NULL, NULL);
		CHECK(rc == SPOD_OK || rc == SPOD_AUTH_E_FORBIDDEN || rc == SPOD_E_UNKNOWN_OP);
	}
	CHECK(spod_auth_label_allowed(&first, NULL) == 1);
	CHECK(spod_auth_label_allowed(&first, "") == 1);
	for (size_t i = 0; i < first.nlabels; i++) {
		/* Each pattern admits its own text, and a prefix pattern anything longer. */
		char longer[SPOD_AUTH_LABEL_MAX_BYTES + 2];

		CHECK(spod_auth_label_allowed(&first, first.labels[i].text) == 1);
		snprintf(longer, sizeof longer, "%sx", first.labels[i].text);
		CHECK(spod_auth_label_allowed(&first, longer) == 1 || !first.labels[i].prefix);
	}
	return 0;
}
