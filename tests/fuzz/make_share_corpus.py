#!/usr/bin/python3
"""Writes the seed corpus of tests/fuzz/fuzz_share.c into tests/fuzz/corpus/share/.

    /usr/bin/python3 tests/fuzz/make_share_corpus.py [output-dir]

Each seed is a selector byte and its input (see fuzz_share.c): 0 share payloads as
[2-byte little-endian length][payload] chunks, 1 a share file, 2 collector operations.
Payloads and files are built here from tests/interop/shamir_gf256.py (GF(256) in plain
Python) and hashlib, independently of the C code: whole sets that rebuild, a duplicate, two
sets of one seal key mixed, a made-up set whose shares match their own commitments but not
each other, truncated and out-of-range payloads; share files as the writer lays them out,
compact, with 32 shares, and with a share that fails its commitment. Output is
deterministic (the coefficients come from SHA-256 of a label). Crash reproducers
(crash-*) live beside these seeds and are not written here.
"""
import hashlib
import json
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))
import shamir_gf256 as gf  # noqa: E402

PAYLOADS, FILE, ORACLE = 0, 1, 2


def stream(label, n):
    out, i = b"", 0
    while len(out) < n:
        out += hashlib.sha256(label.encode() + struct.pack(">I", i)).digest()
        i += 1
    return out[:n]


def make_set(label, k, n, key=None, coeff_label=None):
    """(key, id, shares, commitments) of a deterministic k-of-n split."""
    key = key if key is not None else stream(label + "/key", 32)
    coeffs = stream((coeff_label or label) + "/coeffs", 32 * (k - 1))
    rows = [coeffs[j * (k - 1):(j + 1) * (k - 1)] for j in range(32)]
    shares = gf.split(key, rows, n)
    kid = gf.seal_key_id(key)
    commits = [gf.commitment(kid, i + 1, k, n, s) for i, s in enumerate(shares)]
    return key, kid, shares, commits


def payload(k, n, index, kid, share, commits):
    return bytes([1, k, n, index]) + kid + share + b"".join(commits)


def chunks(*payloads):
    return b"".join(struct.pack("<H", len(p)) + p for p in payloads)


def share_file(k, n, index, kid, share, commits, compact=False):
    doc = {"format": "spod-custodian-share", "version": 1, "seal_key_id": kid.hex(),
           "threshold": k, "shares": n, "index": index, "share": share.hex(),
           "commitments": [c.hex() for c in commits]}
    if compact:
        return json.dumps(doc, separators=(",", ":"), sort_keys=True).encode()
    return (json.dumps(doc, indent=2) + "\n").encode()


def seeds():
    k, n = 3, 5
    key, kid, shares, commits = make_set("a", k, n)
    p = [payload(k, n, i + 1, kid, s, commits) for i, s in enumerate(shares)]
    yield "payload-one", PAYLOADS, chunks(p[0])
    yield "payload-set", PAYLOADS, chunks(p[4], p[0], p[2])
    yield "payload-all", PAYLOADS, chunks(*p)
    yield "payload-duplicate", PAYLOADS, chunks(p[1], p[1], p[3])
    # the same seal key split again: same id, other commitments
    _, _, shares2, commits2 = make_set("a", k, n, key=key, coeff_label="a2")
    yield "payload-mixed", PAYLOADS, chunks(p[0], payload(k, n, 2, kid, shares2[1], commits2),
                                            p[2])
    # a made-up set: share 2 replaced, its commitment recomputed, all shares agree
    fake = bytes(32 * [0x42])
    made = list(commits)
    made[1] = gf.commitment(kid, 2, k, n, fake)
    yield "payload-made-up", PAYLOADS, chunks(payload(k, n, 1, kid, shares[0], made),
                                              payload(k, n, 2, kid, fake, made),
                                              payload(k, n, 3, kid, shares[2], made))
    _, kid_b, shares_b, commits_b = make_set("b", k, n)
    yield "payload-other-key", PAYLOADS, chunks(p[0], payload(k, n, 2, kid_b, shares_b[1],
                                                              commits_b))
    yield "payload-truncated", PAYLOADS, chunks(p[0][:51], p[0][:-1], p[0] + b"\0")
    yield "payload-bad-fields", PAYLOADS, chunks(b"\x02" + p[0][1:], p[0][:1] + b"\x06" + p[0][2:],
                                                 p[0][:3] + b"\x00" + p[0][4:])
    _, kid1, shares1, commits1 = make_set("k1", 1, 1)
    yield "payload-1-of-1", PAYLOADS, chunks(payload(1, 1, 1, kid1, shares1[0], commits1))

    _, kid3, shares3, commits3 = make_set("file", 2, 3)
    yield "file-share", FILE, share_file(2, 3, 2, kid3, shares3[1], commits3)
    yield "file-compact", FILE, share_file(2, 3, 3, kid3, shares3[2], commits3, compact=True)
    bad = bytes([shares3[0][0] ^ 1]) + shares3[0][1:]
    yield "file-mismatch", FILE, share_file(2, 3, 1, kid3, bad, commits3)
    _, kid32, shares32, commits32 = make_set("file32", 32, 32)
    yield "file-32", FILE, share_file(32, 32, 17, kid32, shares32[16], commits32)
    yield "file-not-json", FILE, b'{"format": "spod-custodian-share", "version": 1,'

    yield "oracle-3-of-5", ORACLE, bytes([4, 2]) + bytes([0, 0, 0, 0, 2, 0, 0, 4, 0])
    yield "oracle-mixed", ORACLE, bytes([4, 2]) + bytes([0, 0, 0, 2, 1, 0, 1, 2, 0, 0, 3, 0])
    yield "oracle-altered", ORACLE, bytes([4, 1]) + bytes([4, 0, 0x43, 4, 1, 0x43, 0, 2, 0])
    yield "oracle-flipped", ORACLE, bytes([2, 1]) + bytes([8, 0, 0xe1, 0, 1, 0, 0, 2, 0])


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "corpus", "share")
    os.makedirs(out, exist_ok=True)
    for name, sel, body in seeds():
        with open(os.path.join(out, name), "wb") as f:
            f.write(bytes([sel]) + body)


if __name__ == "__main__":
    main()
