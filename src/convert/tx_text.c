/* Text forms of a sign.tx summary (tx_text.h). */
#include "convert/tx_text.h"

#include <string.h>

#include "common/hex.h"
#include "convert/base58.h"
#include "spod/wire.h"

const char *const spod_tx_flag_names[4] = {"contract_create", "unknown_call", "unknown_program",
                                           "lookup_tables"};

const char *spod_tx_type_name(uint8_t kind)
{
	static const char *const eth[] = {"legacy", "eip2930", "eip1559", "eip4844", "eip7702"};

	if (kind >= 1 && kind <= 5)
		return eth[kind - 1];
	if (kind == 16)
		return "legacy";
	if (kind == 17)
		return "v0";
	return "unknown";
}

void spod_tx_amount_text(char out[SPOD_TX_AMOUNT_TEXT_BYTES], const uint8_t be[32])
{
	uint8_t n[32];
	char rev[SPOD_TX_AMOUNT_TEXT_BYTES];
	size_t nd = 0, o = 0;
	int nonzero;

	memcpy(n, be, sizeof(n));
	/* Long division by 10, least significant digit first. */
	do {
		unsigned rem = 0;

		nonzero = 0;
		for (size_t i = 0; i < sizeof(n); i++) {
			unsigned cur = rem << 8 | n[i];

			n[i] = (uint8_t)(cur / 10);
			rem = cur % 10;
			nonzero |= n[i];
		}
		rev[nd++] = (char)('0' + rem);
	} while (nonzero);
	while (nd > 0)
		out[o++] = rev[--nd];
	out[o] = '\0';
}

int spod_tx_addr_text(char out[SPOD_TX_ADDR_TEXT_BYTES], uint8_t chain, const uint8_t *addr,
                      size_t len)
{
	if (len > SPOD_TX_ADDR_MAX_BYTES)
		return SPOD_E_TOO_LARGE;
	if (chain == SPOD_TX_CHAIN_SOLANA && len == 32)
		return spod_base58_encode(out, SPOD_TX_ADDR_TEXT_BYTES, addr, len);
	out[0] = '0';
	out[1] = 'x';
	return spod_hex_encode(out + 2, SPOD_TX_ADDR_TEXT_BYTES - 2, addr, len);
}
