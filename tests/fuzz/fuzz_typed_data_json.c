/*
 * libFuzzer target for the typed-data JSON converter (src/convert/typed_data_json.c): the input
 * is eth_signTypedData_v4 JSON text. Properties: the converter never reads past its input; on
 * failure it writes nothing and says why (a NUL-terminated message); what it writes always
 * decodes with the enclave's spod_txn_eip712_decode (checked here independently of the
 * converter's own check), and converting the same text twice gives the same bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "convert/typed_data_json.h"
#include "spod/err.h"
#include "txn/eip712.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

#define OUT_BYTES 65536u

static uint8_t g_a[OUT_BYTES], g_b[OUT_BYTES];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[SPOD_TYPED_DATA_JSON_ERR_BYTES];
	size_t na = 1, nb;
	char *text = malloc(size ? size : 1);
	struct spod_tx_summary s;

	CHECK(text != NULL);
	memcpy(text, data, size);
	int rc = spod_typed_data_from_json(g_a, sizeof(g_a), &na, text, size, err, sizeof(err));
	if (rc != SPOD_OK) {
		CHECK(rc == SPOD_E_BAD_FIELD || rc == SPOD_E_TOO_LARGE);
		CHECK(na == 0 && err[0] != '\0' && memchr(err, '\0', sizeof(err)) != NULL);
		free(text);
		return 0;
	}
	CHECK(spod_txn_eip712_decode(g_a, na, &s) == SPOD_OK);
	CHECK(spod_typed_data_from_json(g_b, sizeof(g_b), &nb, text, size, err, sizeof(err)) ==
	      SPOD_OK);
	CHECK(na == nb && memcmp(g_a, g_b, na) == 0);
	free(text);
	return 0;
}
