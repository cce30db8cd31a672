/* Frame header: framing a byte stream, header checks, and algorithm/mode tables. */
#include <string.h>

#include "wire/layout.h"

int spod_wire_frame(struct spod_frame *f, const uint8_t *buf, size_t len)
{
	uint32_t body_len;

	memset(f, 0, sizeof(*f));
	if (len < SPOD_HDR_BYTES) {
		/* Reject a bad magic as early as its bytes arrive, so garbage is not buffered. */
		static const uint8_t magic[4] = {'S', 'P', 'O', 'D'};
		if (memcmp(buf, magic, len < 4 ? len : 4) != 0)
			return SPOD_E_BAD_MAGIC;
		return SPOD_E_AGAIN;
	}
	if (spod_le32(buf + HDR_MAGIC) != SPOD_WIRE_MAGIC)
		return SPOD_E_BAD_MAGIC;
	body_len = spod_le32(buf + HDR_BODY_LEN);
	if (body_len > SPOD_BODY_MAX_BYTES)
		return SPOD_E_TOO_LARGE;
	if (body_len > len - SPOD_HDR_BYTES)
		return SPOD_E_AGAIN;

	f->hdr.magic = SPOD_WIRE_MAGIC;
	f->hdr.version = buf[HDR_VERSION];
	f->hdr.opcode = buf[HDR_OPCODE];
	f->hdr.flags = spod_le16(buf + HDR_FLAGS);
	f->hdr.request_id = spod_le64(buf + HDR_REQUEST_ID);
	f->hdr.status = spod_le16(buf + HDR_STATUS);
	f->hdr.reserved = spod_le16(buf + HDR_RESERVED);
	f->hdr.body_len = body_len;
	f->body = buf + SPOD_HDR_BYTES;
	f->body_len = body_len;
	f->frame_len = SPOD_HDR_BYTES + (size_t)body_len;
	return SPOD_OK;
}

int spod_wire_check_hdr(const struct spod_hdr *h, int expect_response)
{
	if (h->version != SPOD_WIRE_VERSION)
		return SPOD_E_BAD_VERSION;
	if ((h->flags & ~SPOD_FLAG_RESPONSE) != 0 || h->reserved != 0)
		return SPOD_E_BAD_FIELD;
	if (!(h->flags & SPOD_FLAG_RESPONSE) != !expect_response)
		return SPOD_E_BAD_FIELD;
	if (!expect_response && h->status != 0)
		return SPOD_E_BAD_FIELD;
	return SPOD_OK;
}

void spod_wire_put_hdr(uint8_t out[SPOD_HDR_BYTES], uint8_t opcode, uint16_t flags,
                       uint64_t request_id, uint16_t status, uint32_t body_len)
{
	spod_put_le32(out + HDR_MAGIC, SPOD_WIRE_MAGIC);
	out[HDR_VERSION] = SPOD_WIRE_VERSION;
	out[HDR_OPCODE] = opcode;
	spod_put_le16(out + HDR_FLAGS, flags);
	spod_put_le64(out + HDR_REQUEST_ID, request_id);
	spod_put_le16(out + HDR_STATUS, status);
	spod_put_le16(out + HDR_RESERVED, 0);
	spod_put_le32(out + HDR_BODY_LEN, body_len);
}

void spod_wire_set_request_id(uint8_t *frame, uint64_t request_id)
{
	spod_put_le64(frame + HDR_REQUEST_ID, request_id);
}

uint64_t spod_wire_get_request_id(const uint8_t *frame)
{
	return spod_le64(frame + HDR_REQUEST_ID);
}
