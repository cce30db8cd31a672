/*
 * libFuzzer target for the policy converter (src/convert/policy_json*.c): the input is JSON
 * text. Properties: the converter never reads past its input; on failure it writes nothing and
 * says why; what it writes always loads in the enclave's loader (checked here independently of
 * the converter's own check), converts back to JSON, and that JSON converts to the same bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "convert/policy_json.h"
#include "policy/policy.h"
#include "spod/err.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

static uint8_t g_a[SPOD_POLICY_MAX_BYTES], g_b[SPOD_POLICY_MAX_BYTES];
static struct spod_policy g_p;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[SPOD_POLICY_JSON_ERR_BYTES];
	size_t na, nb;
	char *text = malloc(size ? size : 1), *back = NULL;

	CHECK(text != NULL);
	memcpy(text, data, size);
	int rc = spod_policy_from_json(g_a, sizeof(g_a), &na, text, size, err, sizeof(err));
	if (rc != SPOD_OK) {
		CHECK(rc == SPOD_E_BAD_FIELD || rc == SPOD_E_TOO_LARGE);
		CHECK(na == 0 && err[0] != '\0' && memchr(err, '\0', sizeof(err)) != NULL);
		goto out;
	}
	CHECK(spod_policy_load(g_a, na, &g_p) == SPOD_OK);
	CHECK(spod_policy_to_json(&back, g_a, na) == SPOD_OK);
	CHECK(spod_policy_from_json(g_b, sizeof(g_b), &nb, back, strlen(back), err, sizeof(err)) ==
	      SPOD_OK);
	CHECK(na == nb && memcmp(g_a, g_b, na) == 0);
out:
	free(back);
	free(text);
	return 0;
}
