#!/usr/bin/python3
"""Independent verifier for spod signatures (not the libraries spod signs with).

Ed25519, P-256 and secp256k1 signatures are checked with Python `cryptography` (Debian
python3-cryptography); for secp256k1 the public key is also recovered from the signature
with python3-ecdsa, the recovery id is checked to select exactly that key, the signature
must be low-S, and the Ethereum address (Keccak-256 from pycryptodome) and its EIP-55
checksum casing can be compared with spod's.

Single signature:
    verify.py ALG PUBHEX MODE DATA SIGHEX [RECID] [--eth-address 0x...]
      ALG   ed25519 | secp256k1 | p256
      MODE  raw | digest | sha256 | keccak256
      DATA  hex, or @PATH for the raw bytes of a file
Many signatures, one per line of FILE with the same positional fields (RECID "-" if none,
then optionally the eth-address):
    verify.py --batch FILE
Check the verifier itself against published vectors (RFC 8032, RFC 6979, EIP-55):
    verify.py --self-test

Prints one JSON object per signature; exits 0 when every check passed, 1 otherwise.
"""

import argparse
import hashlib
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, utils
import ecdsa
from ecdsa.ellipticcurve import PointJacobi
from ecdsa.numbertheory import inverse_mod, square_root_mod_prime
from ecdsa.util import sigdecode_string

try:  # Debian's python3-pycryptodome installs the package as Cryptodome
    from Cryptodome.Hash import keccak
except ImportError:  # pragma: no cover - upstream layout
    from Crypto.Hash import keccak

CURVES = {"secp256k1": (ec.SECP256K1(), ecdsa.SECP256k1), "p256": (ec.SECP256R1(), ecdsa.NIST256p)}


def keccak256(data: bytes) -> bytes:
    return keccak.new(digest_bits=256, data=data).digest()


def eip55(addr20: bytes) -> str:
    """EIP-55 checksum text, computed from the lowercase hex as the EIP specifies."""
    low = addr20.hex()
    h = keccak256(low.encode("ascii")).hex()
    return "0x" + "".join(c.upper() if c.isalpha() and int(h[i], 16) >= 8 else c
                          for i, c in enumerate(low))


def eth_address(pub65: bytes) -> bytes:
    return keccak256(pub65[1:])[12:]


def digest_for(mode: str, data: bytes) -> bytes:
    if mode == "digest":
        if len(data) != 32:
            raise ValueError("digest mode needs 32 bytes")
        return data
    if mode == "sha256":
        return hashlib.sha256(data).digest()
    if mode == "keccak256":
        return keccak256(data)
    raise ValueError(f"mode {mode} is not an ECDSA mode")


def recover_with_recid(curve, digest: bytes, r: int, s: int, recid: int) -> bytes:
    """Q = r^-1 (s*R - e*G) where R has x = r and y parity = recid (x < n assumed)."""
    gen = curve.generator
    p = curve.curve.p()
    n = curve.order
    x = r
    alpha = (pow(x, 3, p) + curve.curve.a() * x + curve.curve.b()) % p
    beta = square_root_mod_prime(alpha, p)
    y = beta if beta % 2 == recid % 2 else p - beta
    R = PointJacobi(curve.curve, x, y, 1, n)
    e = int.from_bytes(digest, "big") % n
    Q = inverse_mod(r, n) * (s * R + (-e % n) * gen)
    return b"\x04" + Q.x().to_bytes(32, "big") + Q.y().to_bytes(32, "big")


def check(alg, pub_hex, mode, data_arg, sig_hex, recid=None, eth=None):
    res = {"alg": alg, "mode": mode, "valid": False}
    ok = True
    pub = bytes.fromhex(pub_hex)
    sig = bytes.fromhex(sig_hex)
    if data_arg.startswith("@"):
        with open(data_arg[1:], "rb") as f:
            data = f.read()
    else:
        data = bytes.fromhex(data_arg)
    if len(sig) != 64:
        res["error"] = f"signature is {len(sig)} bytes, want 64"
        return res, False

    if alg == "ed25519":
        if mode != "raw":
            res["error"] = "ed25519 signs raw messages only"
            return res, False
        try:
            ed25519.Ed25519PublicKey.from_public_bytes(pub).verify(sig, data)
            res["valid"] = True
        except InvalidSignature:
            ok = False
        return res, ok

    curve_c, curve_e = CURVES[alg]
    n = curve_e.order
    r = int.from_bytes(sig[:32], "big")
    s = int.from_bytes(sig[32:], "big")
    digest = digest_for(mode, data)
    key = ec.EllipticCurvePublicKey.from_encoded_point(curve_c, pub)
    der = utils.encode_dss_signature(r, s)
    try:
        if mode == "sha256":
            # Let cryptography hash the message itself, as an application would.
            key.verify(der, data, ec.ECDSA(hashes.SHA256()))
        else:
            key.verify(der, digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))
        res["valid"] = True
    except InvalidSignature:
        ok = False
    res["low_s"] = s <= n // 2
    if alg == "secp256k1":
        if not res["low_s"]:
            ok = False
        # python-ecdsa's public key recovery: the signer's key must be among the candidates.
        cands = ecdsa.VerifyingKey.from_public_key_recovery_with_digest(
            sig, digest, curve=curve_e, hashfunc=hashlib.sha256, sigdecode=sigdecode_string)
        cand_pubs = [c.to_string("uncompressed") for c in cands]
        res["recovered"] = pub in cand_pubs
        if not res["recovered"]:
            ok = False
        if recid is not None:
            res["recid"] = recid
            if recid not in (0, 1):
                ok = False
                res["recid_ok"] = False
            else:
                # The recid must pick the signer's key, and the other parity must not.
                mine = recover_with_recid(curve_e, digest, r, s, recid)
                other = recover_with_recid(curve_e, digest, r, s, recid ^ 1)
                res["recid_ok"] = mine == pub and other != pub
                # python-ecdsa lists the even-y candidate first, i.e. index == recid.
                res["recid_ok_ecdsa"] = len(cand_pubs) >= 2 and cand_pubs[recid] == pub
                ok = ok and res["recid_ok"] and res["recid_ok_ecdsa"]
            addr = eth_address(mine if res.get("recid_ok") else pub)
            res["recovered_address"] = eip55(addr)
        if eth is not None:
            want = eip55(eth_address(pub))
            res["address_expected"] = want
            res["address_matches"] = eth.lower() == want.lower()
            res["address_checksum_ok"] = eth == want
            if "recovered_address" in res and res["recovered_address"] != want:
                res["address_matches"] = False
            ok = ok and res["address_matches"] and res["address_checksum_ok"]
    return res, ok and res["valid"]


def run_batch(path):
    all_ok = True
    count = 0
    with open(path) as f:
        for line in f:
            fields = line.split()
            if not fields:
                continue
            alg, pub, mode, data, sig = fields[:5]
            recid = None if len(fields) < 6 or fields[5] == "-" else int(fields[5])
            eth = fields[6] if len(fields) > 6 else None
            res, ok = check(alg, pub, mode, data, sig, recid, eth)
            count += 1
            if not ok:
                all_ok = False
                res["ok"] = False
                print(json.dumps(res))
    print(json.dumps({"checked": count, "ok": all_ok}))
    return 0 if all_ok and count > 0 else 1


def self_test():
    """Published vectors, so a vacuous or broken verifier cannot pass the interop test."""
    failures = []

    def expect(name, cond):
        if not cond:
            failures.append(name)

    # RFC 8032 section 7.1, TEST 1 (empty message) and TEST 2.
    ed_pub = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    ed_sig = ("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
              "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")
    expect("rfc8032 test 1", check("ed25519", ed_pub, "raw", "", ed_sig)[1])
    expect("rfc8032 test 1 tampered",
           not check("ed25519", ed_pub, "raw", "00", ed_sig)[1])
    ed_pub2 = "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"
    ed_sig2 = ("92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
               "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00")
    expect("rfc8032 test 2", check("ed25519", ed_pub2, "raw", "72", ed_sig2)[1])

    # RFC 6979 A.2.5: P-256, SHA-256, message "sample".
    p_pub = ("04" "60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6"
             "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299")
    p_sig = ("efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716"
             "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8")
    sample = b"sample".hex()
    expect("rfc6979 p256 sha256", check("p256", p_pub, "sha256", sample, p_sig)[1])
    expect("rfc6979 p256 prehashed", check(
        "p256", p_pub, "digest", hashlib.sha256(b"sample").hexdigest(), p_sig)[1])
    expect("rfc6979 p256 keccak rejected", not check("p256", p_pub, "keccak256", sample, p_sig)[1])

    # EIP-55 examples, and the well-known address of private key 1 (public key = G).
    for a in ["0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
              "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
              "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
              "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"]:
        expect("eip55 " + a, eip55(bytes.fromhex(a[2:])) == a)
    g = ecdsa.SECP256k1.generator
    g_pub = b"\x04" + g.x().to_bytes(32, "big") + g.y().to_bytes(32, "big")
    expect("eth address of key 1",
           eip55(eth_address(g_pub)) == "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf")
    # Keccak-256 (Ethereum's, not SHA3-256) of the empty string.
    expect("keccak256('')", keccak256(b"").hex() ==
           "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")

    # Recovery with a signature made here by python-ecdsa (key 1): exactly one recid works,
    # and the check rejects high-S and the wrong recid.
    sk = ecdsa.SigningKey.from_secret_exponent(1, curve=ecdsa.SECP256k1, hashfunc=hashlib.sha256)
    digest = hashlib.sha256(b"recover me").digest()
    sig = sk.sign_digest_deterministic(digest, sigencode=ecdsa.util.sigencode_string)
    r, s_ = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")
    n = ecdsa.SECP256k1.order
    if s_ > n // 2:
        s_ = n - s_
    low = r.to_bytes(32, "big") + s_.to_bytes(32, "big")
    good = [rid for rid in (0, 1)
            if recover_with_recid(ecdsa.SECP256k1, digest, r, s_, rid) == g_pub]
    expect("exactly one recid recovers", len(good) == 1)
    if len(good) == 1:
        rid = good[0]
        expect("secp256k1 accept", check("secp256k1", g_pub.hex(), "digest", digest.hex(),
                                         low.hex(), rid)[1])
        expect("secp256k1 wrong recid", not check("secp256k1", g_pub.hex(), "digest",
                                                  digest.hex(), low.hex(), rid ^ 1)[1])
        high = r.to_bytes(32, "big") + (n - s_).to_bytes(32, "big")
        expect("secp256k1 high-S rejected", not check("secp256k1", g_pub.hex(), "digest",
                                                      digest.hex(), high.hex())[1])
        expect("eth address checked", check(
            "secp256k1", g_pub.hex(), "digest", digest.hex(), low.hex(), rid,
            "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf")[1])
        expect("eth checksum casing checked", not check(
            "secp256k1", g_pub.hex(), "digest", digest.hex(), low.hex(), rid,
            "0x7e5f4552091a69125d5dfcb7b8c2659029395bdf")[1])
    print(json.dumps({"self_test": "ok" if not failures else "failed", "failures": failures}))
    return 0 if not failures else 1


def main():
    if len(sys.argv) == 2 and sys.argv[1] == "--self-test":
        return self_test()
    if len(sys.argv) == 3 and sys.argv[1] == "--batch":
        return run_batch(sys.argv[2])
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("alg", choices=["ed25519", "secp256k1", "p256"])
    ap.add_argument("pub", help="public key hex (32 bytes Ed25519, 65 bytes SEC1 ECDSA)")
    ap.add_argument("mode", choices=["raw", "digest", "sha256", "keccak256"])
    ap.add_argument("data", help="hex, or @PATH for a file's raw bytes")
    ap.add_argument("sig", help="signature hex: R||S or r||s, 64 bytes")
    ap.add_argument("recid", nargs="?", help="secp256k1 recovery id (0/1) or -")
    ap.add_argument("--eth-address", help="spod's eth-address text to compare (secp256k1)")
    args = ap.parse_args()
    recid = None if args.recid in (None, "-") else int(args.recid)
    res, ok = check(args.alg, args.pub, args.mode, args.data, args.sig, recid, args.eth_address)
    res["ok"] = ok
    print(json.dumps(res))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
