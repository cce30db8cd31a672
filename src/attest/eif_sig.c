/*
 * The EIF signature section: serde_cbor of nitro-cli's Vec<PcrSignature>, read as AWS's
 * reader reads it and written as nitro-cli writes it, with the project's CBOR codec
 * (attest/cbor.h). Both byte fields are Rust Vec<u8>, so CBOR arrays of small unsigned
 * integers, not byte strings (docs/attestation.md, "PCR formulas").
 */
#include <stdint.h>
#include <string.h>

#include "attest/cbor.h"
#include "attest/eif_int.h"
#include "spod/err.h"

/*
 * Reads a Rust Vec<u8> as serde_cbor writes it: an array of unsigned integers 0..255 (any
 * head width, definite or indefinite; serde rejects a CBOR byte string here). Sets *n to
 * the element count and, when out is not NULL, stores the bytes there (out then has room
 * for the count a previous call on the same bytes returned). On failure r does not move.
 */
static int read_u8_vec(struct spod_cbor_reader *r, uint8_t *out, size_t *n)
{
	struct spod_cbor_reader t = *r;
	struct spod_cbor_container arr;
	struct spod_cbor_item it;
	size_t count = 0;
	int more;

	SPOD_TRY(spod_cbor_next(&t, &it));
	if (it.kind != SPOD_CBOR_ARRAY)
		return SPOD_E_BAD_FIELD;
	spod_cbor_container_init(&arr, &it);
	for (;;) {
		SPOD_TRY(spod_cbor_more(&t, &arr, &more));
		if (!more)
			break;
		SPOD_TRY(spod_cbor_next(&t, &it));
		if (it.kind != SPOD_CBOR_UINT || it.value > UINT8_MAX)
			return SPOD_E_BAD_FIELD;
		if (out != NULL)
			out[count] = (uint8_t)it.value;
		count++;
	}
	*n = count;
	*r = t;
	return SPOD_OK;
}

/* One PcrSignature map; the certificate's position is kept for the first entry only. */
static int check_pcr_signature(struct spod_eif *e, struct spod_cbor_reader *r, int first,
                               const char **why)
{
	static const char bad[] = "signature section: an entry is not a map of byte vectors "
	                          "keyed \"signing_certificate\" and \"signature\"";
	struct spod_cbor_container map;
	struct spod_cbor_item key;
	int more, is_cert, is_sig, seen_cert = 0, seen_sig = 0;
	size_t start, n;

	if (spod_cbor_next(r, &key) < 0 || key.kind != SPOD_CBOR_MAP)
		return eif_fail(why, SPOD_E_BAD_FIELD, bad);
	spod_cbor_container_init(&map, &key);
	for (;;) {
		if (spod_cbor_more(r, &map, &more) < 0)
			return eif_fail(why, SPOD_E_BAD_FIELD, bad);
		if (!more)
			break;
		if (spod_cbor_next(r, &key) < 0 || key.kind != SPOD_CBOR_TSTR)
			return eif_fail(why, SPOD_E_BAD_FIELD, bad);
		is_cert = spod_cbor_is_text(&key, "signing_certificate");
		is_sig = spod_cbor_is_text(&key, "signature");
		start = r->off;
		if (!is_cert && !is_sig) {
			if (spod_cbor_skip(r) < 0) /* serde ignores unknown fields */
				return eif_fail(why, SPOD_E_BAD_FIELD, bad);
			continue;
		}
		if ((is_cert && seen_cert) || (is_sig && seen_sig))
			return eif_fail(why, SPOD_E_BAD_FIELD,
			                "signature section: duplicate key in a PcrSignature");
		if (read_u8_vec(r, NULL, &n) < 0)
			return eif_fail(why, SPOD_E_BAD_FIELD, bad);
		seen_cert |= is_cert;
		seen_sig |= is_sig;
		if (is_cert && first) {
			e->cert_cbor = r->buf + start;
			e->cert_cbor_len = r->off - start;
			e->cert_pem_len = n;
		}
	}
	if (!seen_cert || !seen_sig)
		return eif_fail(
		    why, SPOD_E_BAD_FIELD,
		    "signature section: a PcrSignature lacks signing_certificate or signature");
	return SPOD_OK;
}

/*
 * AWS's reader deserialises the section as serde_cbor Vec<PcrSignature> and hashes the
 * certificate of entry 0 (src/utils/eif_reader.rs); accept what that accepts, with text
 * keys only (serde would also take field indices) and nothing after the array.
 */
int spod_eif_sig_check(struct spod_eif *e, const uint8_t *p, size_t len, const char **why)
{
	struct spod_cbor_reader r;
	struct spod_cbor_container arr;
	struct spod_cbor_item it;
	uint64_t i;
	int more;

	spod_cbor_reader_init(&r, p, len);
	if (spod_cbor_next(&r, &it) < 0 || it.kind != SPOD_CBOR_ARRAY)
		return eif_fail(why, SPOD_E_BAD_FIELD, "signature section is not a CBOR array");
	spod_cbor_container_init(&arr, &it);
	for (i = 0;; i++) {
		if (spod_cbor_more(&r, &arr, &more) < 0)
			return eif_fail(why, SPOD_E_BAD_FIELD,
			                "signature section: the CBOR array is not closed");
		if (!more)
			break;
		SPOD_TRY(check_pcr_signature(e, &r, i == 0, why));
	}
	if (i == 0)
		return eif_fail(why, SPOD_E_BAD_FIELD, "signature section holds no PcrSignature");
	if (!spod_cbor_at_end(&r))
		return eif_fail(why, SPOD_E_BAD_FIELD,
		                "signature section: bytes after the CBOR array");
	return SPOD_OK;
}

int spod_eif_sig_cert_pem(uint8_t *pem, const struct spod_eif *eif)
{
	struct spod_cbor_reader r;
	size_t n = 0;

	spod_cbor_reader_init(&r, eif->cert_cbor, eif->cert_cbor_len);
	if (read_u8_vec(&r, NULL, &n) < 0 || n != eif->cert_pem_len)
		return SPOD_E_INTERNAL;
	spod_cbor_reader_init(&r, eif->cert_cbor, eif->cert_cbor_len);
	if (read_u8_vec(&r, pem, &n) < 0)
		return SPOD_E_INTERNAL;
	return SPOD_OK;
}

/* A Rust Vec<u8> as serde_cbor writes it: an array of small unsigned integers. */
static int put_u8_vec(struct spod_cbor_writer *w, const uint8_t *p, size_t n)
{
	SPOD_TRY(spod_cbor_put_head(w, SPOD_CBOR_MT_ARRAY, n));
	for (size_t i = 0; i < n; i++)
		SPOD_TRY(spod_cbor_put_head(w, SPOD_CBOR_MT_UINT, p[i]));
	return SPOD_OK;
}

static int put_text(struct spod_cbor_writer *w, const char *s)
{
	return spod_cbor_put_str(w, SPOD_CBOR_MT_TSTR, s, strlen(s));
}

/* [{"signing_certificate": cert, "signature": cose}], field order as serde writes it. */
static int put_signature(struct spod_cbor_writer *w, const uint8_t *cert_pem, size_t cert_pem_len,
                         const uint8_t *cose, size_t cose_len)
{
	SPOD_TRY(spod_cbor_put_head(w, SPOD_CBOR_MT_ARRAY, 1));
	SPOD_TRY(spod_cbor_put_head(w, SPOD_CBOR_MT_MAP, 2));
	SPOD_TRY(put_text(w, "signing_certificate"));
	SPOD_TRY(put_u8_vec(w, cert_pem, cert_pem_len));
	SPOD_TRY(put_text(w, "signature"));
	return put_u8_vec(w, cose, cose_len);
}

int spod_eif_sig_encode(uint8_t *out, size_t cap, size_t *out_len, const uint8_t *cert_pem,
                        size_t cert_pem_len, const uint8_t *cose, size_t cose_len)
{
	struct spod_cbor_writer w;

	*out_len = 0;
	if (cert_pem_len == 0 || (cose == NULL && cose_len > 0))
		return SPOD_E_BAD_ARG;
	/* An element takes at most 2 bytes: with both below SIZE_MAX / 4 the sum cannot wrap. */
	if (cert_pem_len > SIZE_MAX / 4 || cose_len > SIZE_MAX / 4) {
		*out_len = SIZE_MAX;
		return SPOD_E_TOO_LARGE;
	}
	spod_cbor_writer_init(&w, NULL, SIZE_MAX); /* counts only: the size to report */
	SPOD_TRY(put_signature(&w, cert_pem, cert_pem_len, cose, cose_len));
	*out_len = w.len;
	if (cap < w.len)
		return SPOD_E_TOO_LARGE;
	spod_cbor_writer_init(&w, out, cap);
	SPOD_TRY(put_signature(&w, cert_pem, cert_pem_len, cose, cose_len));
	return w.len == *out_len ? SPOD_OK : SPOD_E_INTERNAL;
}
