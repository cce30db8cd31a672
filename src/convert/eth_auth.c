/* EIP-7702 authorization tuples and delegate addresses (convert/eth_auth.h). */
#include "convert/eth_auth.h"

#include <string.h>

#include "common/hex.h"
#include "convert/eip55.h"
#include "spod/err.h"
#include "txn/rlp.h"

int spod_eth_addr_parse(uint8_t addr[20], const char *text, size_t len)
{
	if (text != NULL && len == SPOD_ETH_ADDR_TEXT_LEN && text[0] == '0' && text[1] == 'x' &&
	    spod_hex_decode_exact(addr, 20, text + 2, len - 2) == SPOD_OK &&
	    spod_eip55_ok(text + 2))
		return SPOD_OK;
	memset(addr, 0, 20);
	return SPOD_E_BAD_ARG;
}

int spod_eth_auth_rlp(uint8_t *out, size_t cap, size_t *len, uint64_t chain_id,
                      const uint8_t addr[20], uint64_t nonce)
{
	uint8_t payload[SPOD_ETH_AUTH_RLP_MAX_BYTES];
	struct spod_rlp_w w = {payload, sizeof(payload), 0}, o = {out, cap, 0};

	*len = 0;
	SPOD_TRY(spod_rlp_put_u64(&w, chain_id));
	SPOD_TRY(spod_rlp_put_string(&w, addr, 20));
	SPOD_TRY(spod_rlp_put_u64(&w, nonce));
	SPOD_TRY(spod_rlp_put_header(&o, 1, w.len));
	SPOD_TRY(spod_rlp_put_raw(&o, payload, w.len));
	*len = o.len;
	return SPOD_OK;
}
