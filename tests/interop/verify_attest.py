#!/usr/bin/python3
"""Independent verifier for AWS Nitro attestation documents (docs/attestation.md).

Written against the format, not against spod's C code: it uses Debian's python3-cbor2 and
python3-cryptography only. It checks the COSE_Sign1 (untagged, or under its tag 18 as
RFC 9052 allows) ES384 signature with the leaf
certificate's key, the chain leaf -> cabundle[n-1] -> ... -> cabundle[1] -> root, where
cabundle[0] must be the given root byte for byte, each certificate's validity at the given
time, and prints the document's fields (PCRs in hex) as JSON.

  verify_attest.py DOC [--root PEM] [--at SECONDS|doc] [--hex]

DOC is the raw COSE_Sign1 bytes (or hex text with --hex; "-" reads stdin). --root defaults
to the AWS Nitro Enclaves Root G1 in tests/data/attestation; --at defaults to now, "doc"
means the document's own timestamp. Exit 0 when every check passes, 1 when one fails
(the JSON says which), 2 on usage errors.
"""
import argparse
import datetime
import io
import json
import os
import sys
import time

import cbor2
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_ROOT = os.path.join(HERE, "..", "data", "attestation", "aws_nitro_root_g1.pem")
KEYS = ("module_id", "digest", "timestamp", "pcrs", "certificate", "cabundle",
        "public_key", "user_data", "nonce")
ES384 = -35
COSE_SIGN1_TAG = 18


class Reject(Exception):
    pass


def load_one(data, what):
    """Decodes exactly one CBOR item from data; trailing bytes are an error."""
    fp = io.BytesIO(data)
    try:
        item = cbor2.CBORDecoder(fp).decode()
    except Exception as exc:  # cbor2 raises several types for malformed input
        raise Reject(f"{what}: malformed CBOR ({exc})")
    if fp.tell() != len(data):
        raise Reject(f"{what}: {len(data) - fp.tell()} bytes after the CBOR item")
    return item


def leading_tags(doc):
    """The tag numbers in front of the first item, read from the bytes: cbor2 unwraps some
    tags (55799, self-described CBOR) by itself, so its result cannot tell."""
    tags, off = [], 0
    while off < len(doc) and doc[off] >> 5 == 6:
        ai, off = doc[off] & 0x1F, off + 1
        if ai < 24:
            tags.append(ai)
        elif ai <= 27:
            n = 1 << (ai - 24)
            tags.append(int.from_bytes(doc[off:off + n], "big"))
            off += n
        else:
            raise Reject("document: malformed tag head")
    return tags


def parse(doc):
    # RFC 9052 allows COSE_Sign1 untagged (as AWS writes it) or under its tag 18.
    tags = leading_tags(doc)
    if tags not in ([], [COSE_SIGN1_TAG]):
        raise Reject(f"document is tagged {tags}; only one COSE_Sign1 tag (18) is allowed")
    top = load_one(doc, "document")
    if tags:
        top = top.value
    if not isinstance(top, list) or len(top) != 4:
        raise Reject("document is not a 4-element COSE_Sign1 array")
    protected, unprotected, payload, signature = top
    if not isinstance(protected, bytes) or load_one(protected, "protected") != {1: ES384}:
        raise Reject("protected header is not {1: -35} (ES384)")
    if unprotected != {}:
        raise Reject("unprotected header is not empty")
    if not isinstance(payload, bytes):
        raise Reject("payload is not a byte string")
    if not isinstance(signature, bytes) or len(signature) != 96:
        raise Reject("signature is not 96 bytes of raw r || s")
    fields = load_one(payload, "payload")
    if not isinstance(fields, dict) or set(fields) != set(KEYS):
        keys = sorted(map(str, fields)) if isinstance(fields, dict) else type(fields).__name__
        raise Reject(f"payload keys are not the nine Nitro keys: {keys}")
    if not isinstance(fields["module_id"], str) or not fields["module_id"]:
        raise Reject("module_id is not a non-empty text string")
    if fields["digest"] != "SHA384":
        raise Reject("digest is not SHA384")
    ts = fields["timestamp"]
    if not isinstance(ts, int) or isinstance(ts, bool) or ts <= 0:
        raise Reject("timestamp is not a positive integer")
    pcrs = fields["pcrs"]
    if not isinstance(pcrs, dict) or not 1 <= len(pcrs) <= 32:
        raise Reject("pcrs is not a map of 1..32 entries")
    for k, v in pcrs.items():
        if not isinstance(k, int) or not 0 <= k < 32 or not isinstance(v, bytes) \
                or len(v) not in (32, 48, 64):
            raise Reject(f"pcrs entry {k!r} is malformed")
    if not isinstance(fields["certificate"], bytes) or not fields["certificate"]:
        raise Reject("certificate is not a byte string")
    bundle = fields["cabundle"]
    if not isinstance(bundle, list) or not bundle \
            or not all(isinstance(c, bytes) and c for c in bundle):
        raise Reject("cabundle is not a non-empty array of byte strings")
    for key, limit in (("public_key", 1024), ("user_data", 512), ("nonce", 512)):
        v = fields[key]
        if v is not None and (not isinstance(v, bytes) or len(v) > limit):
            raise Reject(f"{key} is neither null nor bytes of at most {limit}")
    return protected, payload, signature, fields


def check_signature(protected, payload, signature, leaf):
    key = leaf.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp384r1":
        raise Reject("leaf certificate's key is not EC P-384")
    sig_structure = cbor2.dumps(["Signature1", protected, b"", payload])
    r = int.from_bytes(signature[:48], "big")
    s = int.from_bytes(signature[48:], "big")
    try:
        key.verify(encode_dss_signature(r, s), sig_structure, ec.ECDSA(hashes.SHA384()))
    except InvalidSignature:
        raise Reject("COSE ES384 signature does not verify with the leaf's key")


def check_issued(issuer, cert, name):
    if cert.issuer != issuer.subject:
        raise Reject(f"{name}: issuer name is not the next certificate's subject")
    try:
        bc = issuer.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        bc = None
    if bc is None or not bc.ca:
        raise Reject(f"{name}: issued by a certificate that is not a CA")
    try:
        issuer.public_key().verify(cert.signature, cert.tbs_certificate_bytes,
                                   ec.ECDSA(cert.signature_hash_algorithm))
    except (InvalidSignature, TypeError, ValueError) as exc:
        raise Reject(f"{name}: certificate signature does not verify ({exc or 'bad'})")


def check_chain(fields, leaf, root, at):
    bundle = fields["cabundle"]
    if bundle[0] != root.public_bytes(Encoding.DER):
        raise Reject("cabundle[0] is not the pinned root certificate")
    certs = [x509.load_der_x509_certificate(c) for c in bundle]
    names = [f"cabundle[{i}]" for i in range(len(certs))]
    check_issued(root, root, "root (self-signature)")
    for i in range(1, len(certs)):
        check_issued(certs[i - 1], certs[i], names[i])
    check_issued(certs[-1], leaf, "certificate (leaf)")
    when = datetime.datetime.utcfromtimestamp(at)
    for cert, name in zip(certs + [leaf], names + ["certificate (leaf)"]):
        if when < cert.not_valid_before:
            raise Reject(f"{name}: not valid before {cert.not_valid_before}Z")
        if when >= cert.not_valid_after:
            raise Reject(f"{name}: expired at {cert.not_valid_after}Z")


def hexor(v):
    return None if v is None else v.hex()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("doc")
    ap.add_argument("--root", default=DEFAULT_ROOT, help="pinned root certificate (PEM)")
    ap.add_argument("--at", default=None, help="validation time: Unix seconds, or 'doc'")
    ap.add_argument("--hex", action="store_true", help="DOC holds hex text")
    args = ap.parse_args()

    raw = sys.stdin.buffer.read() if args.doc == "-" else open(args.doc, "rb").read()
    if args.hex:
        raw = bytes.fromhex(raw.decode("ascii").strip())
    with open(args.root, "rb") as f:
        root = x509.load_pem_x509_certificate(f.read())

    out = {"file": args.doc, "ok": False}
    try:
        protected, payload, signature, fields = parse(raw)
        at = int(time.time()) if args.at is None else \
            fields["timestamp"] // 1000 if args.at == "doc" else int(args.at)
        out.update({
            "module_id": fields["module_id"],
            "timestamp_ms": fields["timestamp"],
            "digest": fields["digest"],
            "pcrs": {str(k): v.hex() for k, v in sorted(fields["pcrs"].items())},
            "public_key": hexor(fields["public_key"]),
            "user_data": hexor(fields["user_data"]),
            "nonce": hexor(fields["nonce"]),
            "cabundle": len(fields["cabundle"]),
            "at": at,
        })
        try:
            leaf = x509.load_der_x509_certificate(fields["certificate"])
        except ValueError:
            raise Reject("certificate is not a DER X.509 certificate")
        check_signature(protected, payload, signature, leaf)
        check_chain(fields, leaf, root, at)
        out["ok"] = True
    except Reject as exc:
        out["error"] = str(exc)
    print(json.dumps(out, indent=2))
    return 0 if out["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
