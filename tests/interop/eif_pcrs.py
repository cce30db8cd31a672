#!/usr/bin/python3
"""Independent EIF measurement: prints the PCRs of an Enclave Image File as JSON.

    /usr/bin/python3 tests/interop/eif_pcrs.py IMAGE.eif [--layout]

Standard library only (struct, hashlib, zlib, base64), written from AWS's format definition
(aws/aws-nitro-enclaves-image-format src/defs/mod.rs, src/utils/eif_reader.rs), not from
spod's C code. The output has the shape of `nitro-cli describe-eif`'s "Measurements":

    {"Measurements": {"HashAlgorithm": "Sha384 { ... }", "PCR0": "...", "PCR1": "...",
                      "PCR2": "...", "PCR8": "..." (signed images only)}}

--layout adds "Header" and "Sections" (offsets, sizes, types). Exit 1 with a message on
stderr when the file is not a well-formed EIF or its CRC-32 does not match.
"""
import base64
import hashlib
import json
import struct
import sys
import zlib

HEADER = struct.Struct(">4sHHQQHH32Q32QII")  # EifHeader::to_be_bytes, 548 bytes
SECTION = struct.Struct(">HHQ")  # EifSectionHeader: type, flags, size (12 bytes)
TYPES = {1: "kernel", 2: "cmdline", 3: "ramdisk", 4: "signature", 5: "metadata"}
ZERO = bytes(48)


class BadEif(Exception):
    pass


def extend(data_hash):
    """TPM-style extend of an all-zero SHA-384 register (EifHasher::tpm_extend_finalize_reset)."""
    return hashlib.sha384(ZERO + data_hash.digest()).hexdigest()


def cbor_decode(buf, pos=0, depth=0):
    """Decodes one CBOR item at buf[pos:]; returns (value, next_pos). Enough for serde_cbor."""
    if depth > 16:
        raise BadEif("CBOR nested too deeply")
    if pos >= len(buf):
        raise BadEif("CBOR truncated")
    major, ai = buf[pos] >> 5, buf[pos] & 31
    pos += 1
    if ai < 24:
        arg = ai
    elif ai <= 27:
        n = 1 << (ai - 24)
        if pos + n > len(buf):
            raise BadEif("CBOR truncated")
        arg = int.from_bytes(buf[pos:pos + n], "big")
        pos += n
    elif ai == 31 and major in (2, 3, 4, 5):
        arg = None  # indefinite length
    else:
        raise BadEif("CBOR head not supported")
    if major == 0:
        return arg, pos
    if major == 1:
        return -1 - arg, pos
    if major in (2, 3):
        if arg is None:
            out = b""
            while True:
                if pos >= len(buf):
                    raise BadEif("CBOR truncated")
                if buf[pos] == 0xFF:
                    pos += 1
                    break
                chunk, pos = cbor_decode(buf, pos, depth + 1)
                if not isinstance(chunk, bytes if major == 2 else str):
                    raise BadEif("bad CBOR string chunk")
                out += chunk if major == 2 else chunk.encode()
            return (out if major == 2 else out.decode()), pos
        if pos + arg > len(buf):
            raise BadEif("CBOR truncated")
        raw = bytes(buf[pos:pos + arg])
        return (raw if major == 2 else raw.decode()), pos + arg
    if major in (4, 5):
        items = []
        count = arg if arg is not None else None
        while count is None or len(items) < count * (2 if major == 5 else 1):
            if count is None:
                if pos >= len(buf):
                    raise BadEif("CBOR truncated")
                if buf[pos] == 0xFF:
                    pos += 1
                    break
            item, pos = cbor_decode(buf, pos, depth + 1)
            items.append(item)
        if major == 4:
            return items, pos
        if len(items) % 2:
            raise BadEif("odd CBOR map")
        keys = items[0::2]
        if len(set(map(repr, keys))) != len(keys):
            raise BadEif("duplicate CBOR map key")
        return {repr(k) if not isinstance(k, str) else k: v
                for k, v in zip(keys, items[1::2])}, pos
    if major == 6:
        return cbor_decode(buf, pos, depth + 1)
    return ("simple", arg), pos


def u8_vec(value):
    """A Rust Vec<u8> as serde_cbor writes it: a CBOR array of integers 0..255."""
    if not isinstance(value, list) or not all(isinstance(b, int) and 0 <= b <= 255 for b in value):
        raise BadEif("signature section: field is not a byte vector")
    return bytes(value)


def pem_to_der(pem):
    """First CERTIFICATE block of a PEM text, as OpenSSL's PEM_read_bio_X509 would pick it."""
    lines = pem.decode("ascii", "replace").splitlines()
    for i, line in enumerate(lines):
        label = line.strip()
        if label in ("-----BEGIN CERTIFICATE-----", "-----BEGIN X509 CERTIFICATE-----"):
            end = label.replace("BEGIN", "END")
            body = []
            for inner in lines[i + 1:]:
                if inner.strip() == end:
                    return base64.b64decode("".join(body), validate=True)
                body.append(inner.strip())
    raise BadEif("signature section: no PEM certificate")


def signing_cert_der(section):
    value, end = cbor_decode(section)
    if end != len(section):
        raise BadEif("signature section: bytes after the CBOR array")
    if not isinstance(value, list) or not value:
        raise BadEif("signature section: not a non-empty array")
    for entry in value:
        if not isinstance(entry, dict) or "signing_certificate" not in entry \
                or "signature" not in entry:
            raise BadEif("signature section: entry is not a PcrSignature")
        u8_vec(entry["signature"])
    return pem_to_der(u8_vec(value[0]["signing_certificate"]))


def measure(img, layout=False):
    if len(img) < HEADER.size:
        raise BadEif("shorter than the 548-byte header")
    (magic, version, flags, mem, cpus, reserved, nsec, *rest) = HEADER.unpack_from(img)
    offsets, sizes, unused, crc = rest[:32], rest[32:64], rest[64], rest[65]
    if magic != b".eif":
        raise BadEif("bad magic")
    sections = []
    pos = HEADER.size
    while pos < len(img):  # EifReader::from_eif walks the file, not the offset table
        if pos + SECTION.size > len(img):
            raise BadEif("truncated section header at %d" % pos)
        stype, sflags, size = SECTION.unpack_from(img, pos)
        if stype not in TYPES:
            raise BadEif("bad section type %d at %d" % (stype, pos))
        start = pos + SECTION.size
        if size > len(img) - start:
            raise BadEif("section at %d runs past the end" % pos)
        sections.append((pos, stype, sflags, img[start:start + size]))
        pos = start + size
    if nsec != len(sections) or any(
            offsets[i] != sections[i][0] or sizes[i] != len(sections[i][3])
            for i in range(len(sections))) or any(offsets[nsec:]) or any(sizes[nsec:]):
        raise BadEif("offset/size table does not match the sections")
    computed = zlib.crc32(img[HEADER.size:], zlib.crc32(img[:HEADER.size - 4]))
    if computed != crc:
        raise BadEif("CRC-32 mismatch: header %08x, computed %08x" % (crc, computed))

    image, boot, app, cert = (hashlib.sha384() for _ in range(4))
    ramdisks, signed = 0, False
    for _, stype, _, data in sections:
        if stype in (1, 2):
            image.update(data)
            boot.update(data)
        elif stype == 3:
            image.update(data)
            (boot if ramdisks == 0 else app).update(data)
            ramdisks += 1
        elif stype == 4:
            cert.update(signing_cert_der(data))
            signed = True
    out = {"HashAlgorithm": "Sha384 { ... }", "PCR0": extend(image), "PCR1": extend(boot),
           "PCR2": extend(app)}
    if signed:
        out["PCR8"] = extend(cert)
    doc = {"Measurements": out}
    if layout:
        doc["Header"] = {"version": version, "flags": flags, "default_mem": mem,
                         "default_cpus": cpus, "reserved": reserved, "num_sections": nsec,
                         "unused": unused, "crc32": crc}
        doc["Sections"] = [{"offset": off, "type": TYPES[t], "flags": f, "size": len(d)}
                           for off, t, f, d in sections]
    return doc


def main(argv):
    args = [a for a in argv[1:] if a != "--layout"]
    if len(args) != 1:
        sys.stderr.write(__doc__)
        return 2
    with open(args[0], "rb") as f:
        img = f.read()
    try:
        doc = measure(img, "--layout" in argv)
    except BadEif as e:
        sys.stderr.write("eif_pcrs.py: %s: %s\n" % (args[0], e))
        return 1
    print(json.dumps(doc, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
