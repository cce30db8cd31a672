/* JSON request bodies of the HTTP API into C structs (json_req.h). */
#include "host/http/json_req.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "common/hex.h"
#include "common/b64.h"
#include "convert/typed_data_json.h"
#include "host/http/json_req_int.h"
#include "spod/err.h"

int spod_http_refuse(struct spod_http_perr *err, int rc, const char *fmt, ...)
{
	va_list ap;

	err->code = spod_err_name(rc);
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return rc;
}

int spod_http_json_load(json_t **root, struct spod_http_perr *err, const char *body, size_t len)
{
	json_error_t je;

	err->code = NULL;
	err->msg[0] = '\0';
	*root = json_loadb(len > 0 ? body : "", len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
	if (*root == NULL) {
		if (json_error_code(&je) == json_error_out_of_memory)
			return spod_http_refuse(err, SPOD_E_NOMEM, "out of memory");
		spod_http_refuse(err, SPOD_E_BAD_ARG, "line %d, column %d: %s", je.line, je.column,
		                 je.text);
		err->code = "BAD_JSON";
		return SPOD_E_BAD_ARG;
	}
	if (!json_is_object(*root)) {
		json_decref(*root);
		*root = NULL;
		return spod_http_refuse(err, SPOD_E_BAD_ARG, "body: must be a JSON object");
	}
	return SPOD_OK;
}

static int want_string(const json_t *v, const struct spod_http_place *at, const char *field,
                       struct spod_http_perr *err)
{
	if (!json_is_string(v))
		return spod_http_refuse(err, SPOD_E_BAD_ARG, "%s%s: must be a string", at->prefix,
		                        field);
	return SPOD_OK;
}

static int parse_key_id_field(uint8_t key_id[SPOD_KEY_ID_BYTES], const json_t *v,
                              const struct spod_http_place *at, const char *field,
                              struct spod_http_perr *err)
{
	SPOD_TRY(want_string(v, at, field, err));
	if (spod_http_key_id_parse(key_id, json_string_value(v), json_string_length(v)) < 0)
		return spod_http_refuse(err, SPOD_E_BAD_ARG, "%s%s: must be %u hex digits",
		                        at->prefix, field, 2 * SPOD_KEY_ID_BYTES);
	return SPOD_OK;
}

/*
 * Decodes a byte-string field into out[0..cap). Returns SPOD_E_TOO_LARGE without a message
 * when the bytes do not fit: the caller knows which limit that was.
 */
static int decode_bytes(uint8_t *out, size_t cap, size_t *n, const json_t *v, int base64,
                        const struct spod_http_place *at, const char *field,
                        struct spod_http_perr *err)
{
	const char *text;
	size_t len;
	int rc;

	*n = 0;
	SPOD_TRY(want_string(v, at, field, err));
	text = json_string_value(v);
	len = json_string_length(v);
	if (base64) {
		rc = spod_b64_decode(out, cap, n, text, len);
		if (rc == SPOD_E_BAD_ARG)
			return spod_http_refuse(err, rc, "%s%s: not valid base64", at->prefix,
			                        field);
		return rc;
	}
	/* jansson strings are NUL-terminated and, without JSON_ALLOW_NUL, hold no NUL. */
	if (len / 2 > cap + 1)
		return SPOD_E_TOO_LARGE;
	rc = spod_hex_decode(out, cap, n, text);
	if (rc == SPOD_E_BAD_HEX)
		return spod_http_refuse(err, SPOD_E_BAD_ARG, "%s%s: not valid hex", at->prefix,
		                        field);
	return rc;
}

int spod_http_json_take(const json_t *obj, const struct spod_http_field *fields, size_t n,
                        const struct spod_http_place *at, struct spod_http_perr *err)
{
	for (void *it = json_object_iter((json_t *)obj); it != NULL;
	     it = json_object_iter_next((json_t *)obj, it)) {
		const char *name = json_object_iter_key(it);
		size_t i = 0;

		while (i < n && (fields[i].name == NULL || strcmp(name, fields[i].name) != 0))
			i++;
		if (i == n)
			return spod_http_refuse(err, SPOD_E_BAD_ARG, "%s%s: unknown field",
			                        at->prefix, name);
		*fields[i].value = json_object_iter_value(it);
	}
	return SPOD_OK;
}

/*
 * The fields of one signing request: message or digest, encoding, hash, and key_id when
 * key_id is not NULL. The data goes to data[0..cap).
 */
static int parse_sign_fields(uint8_t *key_id, uint8_t *mode, uint8_t *data, size_t cap,
                             size_t *data_len, json_t *obj, const struct spod_http_place *at,
                             struct spod_http_perr *err)
{
	const json_t *message = NULL, *digest = NULL, *encoding = NULL, *hash = NULL, *kid = NULL;
	/* One byte of room past a digest tells a long digest from a fitting one. */
	uint8_t digest_bytes[SPOD_DIGEST_BYTES + 1];
	size_t digest_len;
	int base64 = 0, rc;

	const struct spod_http_field fields[] = {
	    {"message", &message},
	    {"digest", &digest},
	    {"encoding", &encoding},
	    {"hash", &hash},
	    {key_id != NULL ? "key_id" : NULL, &kid},
	};

	*data_len = 0;
	SPOD_TRY(spod_http_json_take(obj, fields, sizeof(fields) / sizeof(fields[0]), at, err));
	if (key_id != NULL) {
		if (kid == NULL)
			return spod_http_refuse(err, SPOD_E_BAD_ARG, "%skey_id: required",
			                        at->prefix);
		SPOD_TRY(parse_key_id_field(key_id, kid, at, "key_id", err));
	}
	if ((message == NULL) == (digest == NULL))
		return spod_http_refuse(err, SPOD_E_BAD_ARG,
		                        "%s: exactly one of \"message\" and \"digest\" is required",
		                        at->name);
	if (encoding != NULL) {
		SPOD_TRY(want_string(encoding, at, "encoding", err));
		if (strcmp(json_string_value(encoding), "base64") == 0)
			base64 = 1;
		else if (strcmp(json_string_value(encoding), "hex") != 0)
			return spod_http_refuse(err, SPOD_E_BAD_ARG,
			                        "%sencoding: must be \"hex\" or \"base64\"",
			                        at->prefix);
	}
	if (digest != NULL) {
		if (hash != NULL)
			return spod_http_refuse(
			    err, SPOD_E_BAD_ARG,
			    "%shash: not allowed with \"digest\" (the digest is signed as "
			    "given)",
			    at->prefix);
		*mode = SPOD_MODE_DIGEST;
		rc = decode_bytes(digest_bytes, sizeof(digest_bytes), &digest_len, digest, base64,
		                  at, "digest", err);
		if (rc == SPOD_E_TOO_LARGE || (rc == SPOD_OK && digest_len != SPOD_DIGEST_BYTES))
			return spod_http_refuse(err, SPOD_E_BAD_ARG, "%sdigest: must be %u bytes",
			                        at->prefix, SPOD_DIGEST_BYTES);
		SPOD_TRY(rc);
		if (cap < SPOD_DIGEST_BYTES)
			return SPOD_E_TOO_LARGE;
		memcpy(data, digest_bytes, SPOD_DIGEST_BYTES);
		*data_len = SPOD_DIGEST_BYTES;
		return SPOD_OK;
	}
	*mode = SPOD_MODE_RAW;
	if (hash != NULL) {
		const char *h;

		SPOD_TRY(want_string(hash, at, "hash", err));
		h = json_string_value(hash);
		if (strcmp(h, "sha256") == 0)
			*mode = SPOD_MODE_SHA256;
		else if (strcmp(h, "keccak256") == 0)
			*mode = SPOD_MODE_KECCAK256;
		else if (strcmp(h, "none") != 0)
			return spod_http_refuse(
			    err, SPOD_E_BAD_ARG,
			    "%shash: must be \"none\", \"sha256\" or \"keccak256\"", at->prefix);
	}
	return decode_bytes(data, cap, data_len, message, base64, at, "message", err);
}

int spod_http_json_generate(struct spod_http_generate *out, struct spod_http_perr *err,
                            const char *body, size_t len)
{
	const json_t *alg = NULL, *label = NULL;
	const struct spod_http_place at = {"", "body"};
	const struct spod_http_field fields[] = {{"alg", &alg}, {"label", &label}};
	json_t *root;
	int rc;

	memset(out, 0, sizeof(*out));
	SPOD_TRY(spod_http_json_load(&root, err, body, len));
	SPOD_GUARD(rc, spod_http_json_take(root, fields, 2, &at, err));
	if (alg == NULL) {
		rc = spod_http_refuse(err, SPOD_E_BAD_ARG, "alg: required");
		goto out;
	}
	SPOD_GUARD(rc, want_string(alg, &at, "alg", err));
	if (spod_alg_parse(&out->alg, json_string_value(alg)) < 0) {
		rc = spod_http_refuse(err, SPOD_E_BAD_ARG,
		                      "alg: must be \"ed25519\", \"secp256k1\" or \"p256\"");
		goto out;
	}
	if (label != NULL && !json_is_null(label)) {
		size_t n;

		SPOD_GUARD(rc, want_string(label, &at, "label", err));
		n = json_string_length(label);
		if (n > SPOD_LABEL_MAX_BYTES || !spod_label_valid(json_string_value(label), n)) {
			rc =
			    spod_http_refuse(err, SPOD_E_BAD_ARG,
			                     "label: must be 1..%u characters of A-Z a-z 0-9 . _ -",
			                     SPOD_LABEL_MAX_BYTES);
			goto out;
		}
		memcpy(out->label, json_string_value(label), n);
		out->label[n] = '\0';
		out->label_len = n;
	}
	rc = SPOD_OK;
out:
	json_decref(root);
	if (rc < 0)
		memset(out, 0, sizeof(*out));
	return rc;
}

int spod_http_json_sign(struct spod_http_sign *out, struct spod_http_perr *err, const char *body,
                        size_t len)
{
	const struct spod_http_place at = {"", "body"};
	json_t *root;
	int rc;

	out->mode = 0;
	out->data_len = 0;
	SPOD_TRY(spod_http_json_load(&root, err, body, len));
	rc = parse_sign_fields(NULL, &out->mode, out->data, sizeof(out->data), &out->data_len, root,
	                       &at, err);
	if (rc == SPOD_E_TOO_LARGE)
		rc = spod_http_refuse(err, SPOD_E_BAD_ARG, "message: longer than %u bytes",
		                      SPOD_MSG_MAX_BYTES);
	json_decref(root);
	if (rc < 0) {
		out->mode = 0;
		out->data_len = 0;
	}
	return rc;
}

int spod_http_json_sign_tx(struct spod_http_sign_tx *out, struct spod_http_perr *err,
                           const char *body, size_t len)
{
	const json_t *chain = NULL, *tx = NULL, *encoding = NULL;
	const struct spod_http_place at = {"", "body"};
	const struct spod_http_field fields[] = {
	    {"chain", &chain}, {"tx", &tx}, {"encoding", &encoding}};
	const char *c;
	json_t *root;
	int base64, rc;

	out->chain = 0;
	out->form = SPOD_TX_FORM_TRANSACTION;
	out->tx_len = 0;
	SPOD_TRY(spod_http_json_load(&root, err, body, len));
	SPOD_GUARD(rc, spod_http_json_take(root, fields, 3, &at, err));
	if (chain == NULL || tx == NULL) {
		rc = spod_http_refuse(err, SPOD_E_BAD_ARG, "%s: required",
		                      chain == NULL ? "chain" : "tx");
		goto out;
	}
	SPOD_GUARD(rc, want_string(chain, &at, "chain", err));
	c = json_string_value(chain);
	if (strcmp(c, "ethereum") == 0) {
		out->chain = SPOD_TX_CHAIN_ETHEREUM;
	} else if (strcmp(c, "solana") == 0) {
		out->chain = SPOD_TX_CHAIN_SOLANA;
	} else {
		rc = spod_http_refuse(err, SPOD_E_BAD_ARG,
		                      "chain: must be \"ethereum\" or \"solana\"");
		goto out;
	}
	base64 = out->chain == SPOD_TX_CHAIN_SOLANA;
	if (encoding != NULL) {
		SPOD_GUARD(rc, want_string(encoding, &at, "encoding", err));
		if (strcmp(json_string_value(encoding), "base64") == 0) {
			base64 = 1;
		} else if (strcmp(json_string_value(encoding), "hex") == 0) {
			base64 = 0;
		} else {
			rc = spod_http_refuse(err, SPOD_E_BAD_ARG,
			                      "encoding: must be \"hex\" or \"base64\"");
			goto out;
		}
	}
	rc = decode_bytes(out->tx, sizeof(out->tx), &out->tx_len, tx, base64, &at, "tx", err);
	if (rc == SPOD_E_TOO_LARGE)
		rc = spod_http_refuse(err, SPOD_E_BAD_ARG, "tx: longer than %u bytes",
		                      SPOD_TX_MAX_BYTES);
	if (rc == SPOD_OK && out->tx_len == 0)
		rc = spod_http_refuse(err, SPOD_E_BAD_ARG, "tx: empty");
out:
	json_decref(root);
	if (rc < 0) {
		out->chain = 0;
		out->tx_len = 0;
	}
	return rc;
}

int spod_http_json_batch(struct spod_http_batch *out, struct spod_http_perr *err, const char *body,
                         size_t len)
{
	const json_t *items = NULL;
	const struct spod_http_field fields[] = {{"items", &items}};
	const struct spod_http_place top = {"", "body"};
	json_t *root;
	size_t n, budget;
	int rc;

	out->count = 0;
	out->data_len = 0;
	SPOD_TRY(spod_http_json_load(&root, err, body, len));
	SPOD_GUARD(rc, spod_http_json_take(root, fields, 1, &top, err));
	if (items == NULL || !json_is_array(items)) {
		rc = spod_http_refuse(err, SPOD_E_BAD_ARG, "items: %s",
		                      items == NULL ? "required" : "must be an array");
		goto out;
	}
	n = json_array_size(items);
	if (n == 0 || n > SPOD_BATCH_MAX_ITEMS) {
		rc = spod_http_refuse(err, SPOD_E_BAD_ARG, "items: must hold 1..%u items, not %zu",
		                      SPOD_BATCH_MAX_ITEMS, n);
		goto out;
	}
	/* What a sign.batch body of n items leaves for their data (docs/protocol.md). */
	budget = SPOD_BODY_MAX_BYTES - 8 - 32 * n;
	for (size_t i = 0; i < n; i++) {
		struct spod_http_batch_item *it = &out->items[i];
		json_t *obj = json_array_get(items, i);
		size_t cap = budget - out->data_len;
		struct spod_http_place at;

		snprintf(at.prefix, sizeof(at.prefix), "items[%zu].", i);
		snprintf(at.name, sizeof(at.name), "items[%zu]", i);
		if (!json_is_object(obj)) {
			rc = spod_http_refuse(err, SPOD_E_BAD_ARG, "%s: must be a JSON object",
			                      at.name);
			goto out;
		}
		if (cap > SPOD_MSG_MAX_BYTES)
			cap = SPOD_MSG_MAX_BYTES;
		it->data_off = out->data_len;
		rc = parse_sign_fields(it->key_id, &it->mode, out->data + out->data_len, cap,
		                       &it->data_len, obj, &at, err);
		if (rc == SPOD_E_TOO_LARGE && cap == SPOD_MSG_MAX_BYTES)
			rc =
			    spod_http_refuse(err, SPOD_E_BAD_ARG, "%smessage: longer than %u bytes",
			                     at.prefix, SPOD_MSG_MAX_BYTES);
		else if (rc == SPOD_E_TOO_LARGE)
			rc = spod_http_refuse(
			    err, SPOD_E_BAD_ARG,
			    "items: the data of %zu items together exceeds %zu bytes", n, budget);
		if (rc < 0)
			goto out;
		out->data_len += it->data_len;
	}
	out->count = n;
	rc = SPOD_OK;
out:
	json_decref(root);
	if (rc < 0) {
		out->count = 0;
		out->data_len = 0;
	}
	return rc;
}

int spod_http_json_attest(struct spod_http_attest *out, struct spod_http_perr *err,
                          const char *body, size_t len)
{
	const json_t *nonce = NULL, *key_id = NULL;
	const struct spod_http_place at = {"", "body"};
	const struct spod_http_field fields[] = {{"nonce", &nonce}, {"key_id", &key_id}};
	json_t *root;
	int rc;

	memset(out, 0, sizeof(*out));
	SPOD_TRY(spod_http_json_load(&root, err, body, len));
	SPOD_GUARD(rc, spod_http_json_take(root, fields, 2, &at, err));
	if (key_id != NULL) {
		SPOD_GUARD(rc, parse_key_id_field(out->key_id, key_id, &at, "key_id", err));
		out->has_key_id = 1;
	}
	if (nonce != NULL) {
		rc = decode_bytes(out->nonce, sizeof(out->nonce), &out->nonce_len, nonce, 0, &at,
		                  "nonce", err);
		if (rc == SPOD_E_TOO_LARGE)
			rc = spod_http_refuse(err, SPOD_E_BAD_ARG, "nonce: longer than %u bytes",
			                      SPOD_NONCE_MAX_BYTES);
		if (rc < 0)
			goto out;
	}
	rc = SPOD_OK;
out:
	json_decref(root);
	if (rc < 0)
		memset(out, 0, sizeof(*out));
	return rc;
}

int spod_http_json_envelope(struct spod_http_envelope *out, struct spod_http_perr *err,
                            const char *body, size_t len)
{
	const json_t *envelope = NULL;
	const struct spod_http_place at = {"", "body"};
	const struct spod_http_field fields[] = {{"envelope", &envelope}};
	json_t *root;
	int rc;

	out->len = 0;
	SPOD_TRY(spod_http_json_load(&root, err, body, len));
	SPOD_GUARD(rc, spod_http_json_take(root, fields, 1, &at, err));
	if (envelope == NULL) {
		rc = spod_http_refuse(err, SPOD_E_BAD_ARG, "envelope: required");
		goto out;
	}
	rc = decode_bytes(out->data, sizeof(out->data), &out->len, envelope, 1, &at, "envelope",
	                  err);
	if (rc == SPOD_E_TOO_LARGE)
		rc = spod_http_refuse(err, SPOD_E_BAD_ARG, "envelope: longer than %u bytes",
		                      SPOD_ENVELOPE_MAX_WIRE_BYTES);
	else if (rc == SPOD_OK && out->len == 0)
		rc = spod_http_refuse(err, SPOD_E_BAD_ARG, "envelope: must not be empty");
out:
	json_decref(root);
	if (rc < 0)
		out->len = 0;
	return rc;
}

int spod_http_key_id_parse(uint8_t id[SPOD_KEY_ID_BYTES], const char *text, size_t len)
{
	if (text != NULL && spod_hex_decode_exact(id, SPOD_KEY_ID_BYTES, text, len) == SPOD_OK)
		return SPOD_OK;
	memset(id, 0, SPOD_KEY_ID_BYTES);
	return SPOD_E_BAD_HEX;
}

int spod_http_json_sign_message(struct spod_http_sign_tx *out, struct spod_http_perr *err,
                                const char *body, size_t len)
{
	const json_t *text = NULL, *hex = NULL;
	const struct spod_http_place at = {"", "body"};
	const struct spod_http_field fields[] = {{"message", &text}, {"message_hex", &hex}};
	json_t *root;
	int rc;

	out->chain = SPOD_TX_CHAIN_ETHEREUM;
	out->form = SPOD_TX_FORM_EIP191;
	out->tx_len = 0;
	SPOD_TRY(spod_http_json_load(&root, err, body, len));
	SPOD_GUARD(rc, spod_http_json_take(root, fields, 2, &at, err));
	if ((text == NULL) == (hex == NULL)) {
		rc = spod_http_refuse(err, SPOD_E_BAD_ARG,
		                      "give exactly one of message, message_hex");
		goto out;
	}
	if (text != NULL) {
		SPOD_GUARD(rc, want_string(text, &at, "message", err));
		out->tx_len = json_string_length(text);
		if (out->tx_len > SPOD_MSG_MAX_BYTES) {
			out->tx_len = 0;
			rc = spod_http_refuse(err, SPOD_E_BAD_ARG, "message: longer than %u bytes",
			                      SPOD_MSG_MAX_BYTES);
			goto out;
		}
		memcpy(out->tx, json_string_value(text), out->tx_len);
	} else {
		rc = decode_bytes(out->tx, SPOD_MSG_MAX_BYTES, &out->tx_len, hex, 0, &at,
		                  "message_hex", err);
		if (rc == SPOD_E_TOO_LARGE)
			rc = spod_http_refuse(err, SPOD_E_BAD_ARG,
			                      "message_hex: longer than %u bytes",
			                      SPOD_MSG_MAX_BYTES);
		if (rc < 0)
			goto out;
	}
	if (out->tx_len == 0)
		rc = spod_http_refuse(err, SPOD_E_BAD_ARG, "the message is empty");
out:
	json_decref(root);
	if (rc < 0)
		out->tx_len = 0;
	return rc;
}

int spod_http_json_sign_typed(struct spod_http_sign_tx *out, struct spod_http_perr *err,
                              const char *body, size_t len)
{
	char msg[SPOD_TYPED_DATA_JSON_ERR_BYTES];
	int rc;

	err->code = NULL;
	err->msg[0] = '\0';
	out->chain = SPOD_TX_CHAIN_ETHEREUM;
	out->form = SPOD_TX_FORM_EIP712;
	out->tx_len = 0;
	rc = spod_typed_data_from_json(out->tx, sizeof(out->tx), &out->tx_len, len > 0 ? body : "",
	                               len, msg, sizeof(msg));
	if (rc == SPOD_E_NOMEM)
		return spod_http_refuse(err, rc, "out of memory");
	if (rc < 0)
		return spod_http_refuse(err, SPOD_E_BAD_ARG, "typed data: %s", msg);
	return SPOD_OK;
}
