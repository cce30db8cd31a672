/* Web3Signer's eth1 REST shape over libspod (web3signer.h). */
#include "host/http/web3signer.h"

#include <stdlib.h>
#include <string.h>

#include "common/hex.h"
#include "crypto/hash.h"
#include "host/http/json_req_int.h"
#include "spod/err.h"

#define SEC1_UNCOMPRESSED 0x04u
#define SEC1_POINT_BYTES  (1u + SPOD_W3S_PUB_BYTES)
#define ETH_V_BASE        27u /* Ethereum's v = 27 + recid, as Web3Signer answers */
#define SIG_RS_BYTES      64u
/* "0x", r || s || v in hex, NUL */
#define SIG_TEXT_BYTES (2u + 2u * (SIG_RS_BYTES + 1u) + 1u)
/*
 * Pages of the key list one request reads at most: a pod holds at most 2^20 keys
 * (SPOD_KEYSTORE_MAX_KEYS), 1024 a page; the bound only stops a host whose cursor never
 * ends.
 */
#define MAX_PAGES 2048u

/* The text after an optional "0x" / "0X". */
static void strip_0x(const char **text, size_t *len)
{
	if (*len >= 2 && (*text)[0] == '0' && ((*text)[1] == 'x' || (*text)[1] == 'X')) {
		*text += 2;
		*len -= 2;
	}
}

int spod_w3s_ident_parse(struct spod_w3s_ident *out, const char *text, size_t len)
{
	memset(out, 0, sizeof(*out));
	if (text == NULL)
		return SPOD_E_BAD_ARG;
	strip_0x(&text, &len);
	if (len == 2 * SPOD_W3S_PUB_BYTES)
		out->len = SPOD_W3S_PUB_BYTES;
	else if (len == 2 * SPOD_W3S_ADDR_BYTES)
		out->len = SPOD_W3S_ADDR_BYTES;
	else
		return SPOD_E_BAD_ARG;
	if (spod_hex_decode_exact(out->bytes, out->len, text, len) < 0) {
		memset(out, 0, sizeof(*out));
		return SPOD_E_BAD_ARG;
	}
	out->kind = out->len == SPOD_W3S_PUB_BYTES ? SPOD_W3S_PUBLIC_KEY : SPOD_W3S_ADDRESS;
	return SPOD_OK;
}

/* k's X || Y, or NULL when k is not a secp256k1 key with an uncompressed point. */
static const uint8_t *secp_xy(const struct spod_key_info *k)
{
	if (k->alg != SPOD_ALG_SECP256K1 || k->pub_len != SEC1_POINT_BYTES ||
	    k->pub[0] != SEC1_UNCOMPRESSED)
		return NULL;
	return k->pub + 1;
}

int spod_w3s_ident_matches(const struct spod_w3s_ident *id, const struct spod_key_info *k)
{
	const uint8_t *xy = secp_xy(k);
	uint8_t h[32];

	if (xy == NULL)
		return 0;
	switch (id->kind) {
	case SPOD_W3S_PUBLIC_KEY:
		return memcmp(id->bytes, xy, SPOD_W3S_PUB_BYTES) == 0;
	case SPOD_W3S_ADDRESS:
		spod_keccak256(h, xy, SPOD_W3S_PUB_BYTES);
		return memcmp(id->bytes, h + sizeof(h) - SPOD_W3S_ADDR_BYTES,
		              SPOD_W3S_ADDR_BYTES) == 0;
	default:
		return 0;
	}
}

int spod_w3s_pub_text(char out[SPOD_W3S_PUB_TEXT_BYTES], const struct spod_key_info *k)
{
	const uint8_t *xy = secp_xy(k);

	if (xy == NULL)
		return SPOD_E_BAD_ARG;
	out[0] = '0';
	out[1] = 'x';
	return spod_hex_encode(out + 2, SPOD_W3S_PUB_TEXT_BYTES - 2, xy, SPOD_W3S_PUB_BYTES);
}

int spod_w3s_sign_parse(struct spod_http_sign *out, struct spod_http_perr *err, const char *body,
                        size_t len)
{
	const json_t *data;
	const char *text;
	size_t text_len;
	json_t *root;
	int rc = SPOD_OK;

	out->mode = SPOD_MODE_KECCAK256;
	out->data_len = 0;
	SPOD_TRY(spod_http_json_load(&root, err, body, len));
	data = json_object_get(root, "data");
	if (data == NULL) {
		rc = spod_http_refuse(err, SPOD_E_BAD_ARG, "data: required");
		goto out;
	}
	if (!json_is_string(data)) {
		rc = spod_http_refuse(err, SPOD_E_BAD_ARG, "data: must be a hex string");
		goto out;
	}
	text = json_string_value(data);
	text_len = json_string_length(data);
	strip_0x(&text, &text_len);
	if (text_len > 2 * sizeof(out->data)) {
		rc = spod_http_refuse(err, SPOD_E_BAD_ARG, "data: longer than %zu bytes",
		                      sizeof(out->data));
		goto out;
	}
	if (spod_hex_decode_exact(out->data, text_len / 2, text, text_len) < 0) {
		rc = spod_http_refuse(err, SPOD_E_BAD_ARG, "data: must be hex, of even length");
		goto out;
	}
	out->data_len = text_len / 2;
out:
	json_decref(root);
	return rc;
}

/*
 * Reads the token's key list page by page, calling each(k, arg) for every secp256k1 key;
 * stops early when each returns 1. Returns SPOD_OK, SPOD_E_NOMEM (each returned < 0) or the
 * libspod error.
 */
static int walk_keys(struct spod_w3s_out *out, struct spod_client *c,
                     int (*each)(const struct spod_key_info *k, void *arg), void *arg)
{
	uint32_t cursor = 0;

	for (unsigned page = 0; page < MAX_PAGES; page++) {
		size_t n = 0;

		SPOD_TRY(spod_client_list(c, out->page, SPOD_LIST_MAX_ITEMS, &n, &cursor));
		for (size_t i = 0; i < n && i < SPOD_LIST_MAX_ITEMS; i++) {
			int rc;

			if (secp_xy(&out->page[i]) == NULL)
				continue;
			rc = each(&out->page[i], arg);
			if (rc != 0)
				return rc < 0 ? rc : SPOD_OK;
		}
		if (cursor == 0)
			return SPOD_OK;
	}
	return SPOD_E_PROTOCOL;
}

static int add_pub(const struct spod_key_info *k, void *arg)
{
	char text[SPOD_W3S_PUB_TEXT_BYTES];

	if (spod_w3s_pub_text(text, k) < 0)
		return 0;
	return json_array_append_new(arg, json_string(text)) < 0 ? SPOD_E_NOMEM : 0;
}

int spod_w3s_exec_public_keys(struct spod_w3s_out *out, struct spod_client *c)
{
	int rc;

	/* A fresh array each time: the call may be retried on a new connection. */
	out->pubs = json_array();
	if (out->pubs == NULL)
		return SPOD_E_NOMEM;
	rc = walk_keys(out, c, add_pub, out->pubs);
	if (rc < 0) {
		json_decref(out->pubs);
		out->pubs = NULL;
	}
	return rc;
}

struct find {
	const struct spod_w3s_ident *id;
	uint8_t key_id[SPOD_KEY_ID_BYTES];
	int found;
};

static int find_key(const struct spod_key_info *k, void *arg)
{
	struct find *f = arg;

	if (!spod_w3s_ident_matches(f->id, k))
		return 0;
	memcpy(f->key_id, k->id, sizeof(f->key_id));
	f->found = 1;
	return 1;
}

int spod_w3s_exec_sign(struct spod_w3s_out *out, struct spod_client *c,
                       const struct spod_w3s_ident *id, const struct spod_http_sign *in)
{
	struct find f = {.id = id};

	out->pubs = NULL;
	SPOD_TRY(walk_keys(out, c, find_key, &f));
	if (!f.found)
		return SPOD_E_KEY_NOT_FOUND;
	return spod_client_sign(c, &out->sig, f.key_id, in->mode, in->data, in->data_len);
}

void spod_w3s_reply_public_keys(struct spod_http_reply *r, struct spod_w3s_out *out)
{
	json_t *pubs = out->pubs;

	out->pubs = NULL;
	spod_http_reply_json(r, 200, pubs);
}

void spod_w3s_reply_sign(struct spod_http_reply *r, const struct spod_signature *sig)
{
	uint8_t rsv[SIG_RS_BYTES + 1];
	char *text;

	if (sig->alg != SPOD_ALG_SECP256K1 || sig->sig_len != SIG_RS_BYTES || sig->recid > 1) {
		spod_http_reply_failure(r, SPOD_E_PROTOCOL,
		                        "the pod's answer could not be rendered");
		return;
	}
	text = malloc(SIG_TEXT_BYTES);
	if (text == NULL) {
		spod_http_reply_failure(r, SPOD_E_NOMEM, NULL);
		return;
	}
	memcpy(rsv, sig->sig, SIG_RS_BYTES);
	rsv[SIG_RS_BYTES] = (uint8_t)(ETH_V_BASE + sig->recid);
	text[0] = '0';
	text[1] = 'x';
	if (spod_hex_encode(text + 2, SIG_TEXT_BYTES - 2, rsv, sizeof(rsv)) < 0) {
		free(text);
		spod_http_reply_failure(r, SPOD_E_INTERNAL, NULL);
		return;
	}
	spod_http_reply_free(r);
	r->status = 200;
	r->content_type = SPOD_W3S_TEXT_TYPE;
	r->body = text;
	r->body_len = SIG_TEXT_BYTES - 1;
}

void spod_w3s_reply_upcheck(struct spod_http_reply *r)
{
	static const char ok[] = "OK";

	spod_http_reply_free(r);
	r->status = 200;
	r->content_type = SPOD_W3S_TEXT_TYPE;
	r->fixed_body = ok;
	r->body_len = sizeof(ok) - 1;
}
