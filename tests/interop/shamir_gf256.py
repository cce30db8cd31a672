#!/usr/bin/python3
"""Independent Shamir secret sharing over GF(256), for checking spod's custodian shares.

Standard library only, written from the textbook scheme and libgfshare's documented field
(GF(2^8) reduced by x^8 + x^4 + x^3 + x^2 + 1, i.e. 0x11d; byte j of share x is f_j(x) with
f_j(0) the secret's byte j), not from spod's C code or libgfshare's.

    shamir_gf256.py combine FILE...       the secret, as hex, from spod share files (JSON)
    shamir_gf256.py vector K N SEED       a deterministic split for test vectors: prints the
                                          secret, the coefficients and the n shares as hex
    shamir_gf256.py self-test             the field and the scheme against known values

combine also checks every file's commitment and prints nothing but the hex secret on stdout.
"""
import hashlib
import json
import sys

POLY = 0x11D


def gf_mul(a, b):
    r = 0
    while b:
        if b & 1:
            r ^= a
        a <<= 1
        if a & 0x100:
            a ^= POLY
        b >>= 1
    return r


def gf_inv(a):
    if a == 0:
        raise ZeroDivisionError("0 has no inverse")
    # a^254 = a^-1 in GF(2^8)
    r, e = 1, 254
    while e:
        if e & 1:
            r = gf_mul(r, a)
        a = gf_mul(a, a)
        e >>= 1
    return r


def evaluate(coeffs, x):
    """coeffs[0] is the constant term."""
    y = 0
    for c in reversed(coeffs):
        y = gf_mul(y, x) ^ c
    return y


def split(secret, coeff_rows, n):
    """coeff_rows[j] = the k - 1 non-constant coefficients of byte j's polynomial."""
    shares = []
    for x in range(1, n + 1):
        shares.append(bytes(evaluate([secret[j]] + list(coeff_rows[j]), x)
                            for j in range(len(secret))))
    return shares


def combine(points):
    """points: [(x, share bytes)]; Lagrange interpolation at 0."""
    size = len(points[0][1])
    out = bytearray(size)
    for i, (xi, yi) in enumerate(points):
        num, den = 1, 1
        for j, (xj, _) in enumerate(points):
            if i != j:
                num = gf_mul(num, xj)
                den = gf_mul(den, xi ^ xj)
        li = gf_mul(num, gf_inv(den))
        for b in range(size):
            out[b] ^= gf_mul(li, yi[b])
    return bytes(out)


def seal_key_id(key):
    return hashlib.sha256(b"spod seal key id v1\x00" + key).digest()[:16]


def commitment(key_id, index, k, n, share):
    return hashlib.sha256(b"spod share commitment v1\x00" + key_id + bytes([k, n, index]) +
                          share).digest()


def read_share_file(path):
    with open(path) as f:
        doc = json.load(f)
    if doc.get("format") != "spod-custodian-share" or doc.get("version") != 1:
        raise ValueError(path + ": not a spod share file v1")
    key_id = bytes.fromhex(doc["seal_key_id"])
    share = bytes.fromhex(doc["share"])
    k, n, index = doc["threshold"], doc["shares"], doc["index"]
    want = bytes.fromhex(doc["commitments"][index - 1])
    if commitment(key_id, index, k, n, share) != want:
        raise ValueError(path + ": share does not match its commitment")
    return key_id, k, index, share


def cmd_combine(paths):
    shares = [read_share_file(p) for p in paths]
    key = combine([(index, share) for _, _, index, share in shares])
    if seal_key_id(key) != shares[0][0]:
        raise ValueError("the shares rebuild a key whose id is not the files' seal_key_id")
    print(key.hex())


def cmd_vector(k, n, seed):
    # A fixed, documented byte stream: SHA-256 of seed || counter.
    stream = b""
    counter = 0
    while len(stream) < 32 * k:
        stream += hashlib.sha256(seed.encode() + counter.to_bytes(4, "big")).digest()
        counter += 1
    secret = stream[:32]
    rows = [stream[32 + j * (k - 1):32 + (j + 1) * (k - 1)] for j in range(32)] \
        if k > 1 else [b""] * 32
    shares = split(secret, rows, n)
    assert combine([(x + 1, s) for x, s in enumerate(shares)][:k]) == secret
    print("secret", secret.hex())
    for x, s in enumerate(shares, 1):
        print("share", x, s.hex())


def cmd_self_test():
    # Generator 2 has order 255 under 0x11d; 0x53 * 0xca = 0x01 would be AES's 0x11b field,
    # which this is not.
    x, order = 1, 0
    while True:
        x = gf_mul(x, 2)
        order += 1
        if x == 1:
            break
    assert order == 255
    assert gf_mul(0x80, 2) == 0x1D
    assert all(gf_mul(a, gf_inv(a)) == 1 for a in range(1, 256))
    secret = bytes(range(32))
    rows = [bytes([(7 * j + 1) & 0xFF, (13 * j + 5) & 0xFF]) for j in range(32)]
    shares = split(secret, rows, 5)
    for a in range(5):
        for b in range(a + 1, 5):
            for c in range(b + 1, 5):
                pts = [(i + 1, shares[i]) for i in (a, b, c)]
                assert combine(pts) == secret
    assert combine([(1, shares[0]), (2, shares[1])]) != secret
    print("self-test ok")


def main(argv):
    if len(argv) >= 2 and argv[0] == "combine":
        cmd_combine(argv[1:])
    elif len(argv) == 4 and argv[0] == "vector":
        cmd_vector(int(argv[1]), int(argv[2]), argv[3])
    elif argv == ["self-test"]:
        cmd_self_test()
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except (ValueError, KeyError, OSError) as e:
        print("shamir_gf256.py: %s" % e, file=sys.stderr)
        sys.exit(1)
