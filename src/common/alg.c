/* Algorithm and sign-mode ids, key labels (include/spod/alg.h). */
#include "spod/alg.h"

#include <string.h>

static const char *const alg_names[] = {
    [SPOD_ALG_ED25519] = "ed25519",
    [SPOD_ALG_SECP256K1] = "secp256k1",
    [SPOD_ALG_P256] = "p256",
};

static const char *const mode_names[] = {
    [SPOD_MODE_RAW] = "raw",
    [SPOD_MODE_DIGEST] = "digest",
    [SPOD_MODE_SHA256] = "sha256",
    [SPOD_MODE_KECCAK256] = "keccak256",
};

int spod_alg_valid(uint32_t alg)
{
	return alg >= SPOD_ALG_ED25519 && alg <= SPOD_ALG_P256;
}

const char *spod_alg_name(uint32_t alg)
{
	return spod_alg_valid(alg) ? alg_names[alg] : NULL;
}

int spod_alg_parse(uint8_t *alg, const char *name)
{
	for (uint8_t a = SPOD_ALG_ED25519; a <= SPOD_ALG_P256; a++) {
		if (strcmp(name, alg_names[a]) == 0) {
			*alg = a;
			return SPOD_OK;
		}
	}
	*alg = 0;
	return SPOD_E_UNKNOWN_ALG;
}

size_t spod_alg_pub_len(uint32_t alg)
{
	switch (alg) {
	case SPOD_ALG_ED25519:
		return 32;
	case SPOD_ALG_SECP256K1:
	case SPOD_ALG_P256:
		return 65;
	default:
		return 0;
	}
}

int spod_mode_check(uint32_t alg, uint32_t mode)
{
	if (!spod_alg_valid(alg))
		return SPOD_E_UNKNOWN_ALG;
	if (alg == SPOD_ALG_ED25519)
		return mode == SPOD_MODE_RAW ? SPOD_OK : SPOD_E_BAD_MODE;
	switch (mode) {
	case SPOD_MODE_DIGEST:
	case SPOD_MODE_SHA256:
	case SPOD_MODE_KECCAK256:
		return SPOD_OK;
	default:
		return SPOD_E_BAD_MODE;
	}
}

const char *spod_mode_name(uint32_t mode)
{
	return mode < sizeof(mode_names) / sizeof(mode_names[0]) ? mode_names[mode] : NULL;
}

int spod_label_valid(const char *label, size_t len)
{
	if (len == 0 || len > SPOD_LABEL_MAX_BYTES)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = label[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}
