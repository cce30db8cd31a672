#!/usr/bin/python3
"""Writes the seeds of tests/fuzz/fuzz_seal.c into tests/fuzz/corpus/seal/.

An independent implementation of spod's sealed blobs (src/crypto/seal.h) and provisioning
envelopes (src/crypto/envelope.h), with the fuzz target's fixed seal key and enclave key:
python3-cryptography for X25519, HKDF-SHA256 and the public keys, pycryptodome's
ChaCha20_Poly1305 with a 24-byte nonce for XChaCha20-Poly1305. The first byte of each seed
picks the target's mode (0 blob, 1 envelope, 2 import payload)."""
import hashlib
import os
import struct
import sys

from Cryptodome.Cipher import ChaCha20_Poly1305
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, x25519
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SEAL_KEY = bytes([0x5E, 0xA1, 0x5E, 0xA1]) + bytes(range(1, 29))
ENCLAVE_SECRET = bytes([0xE4, 0xC1, 0xA7, 0xE0]) + bytes([9] * 27) + bytes([0x40])
RAW = serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint


def seal_key_id(key):
    return hashlib.sha256(b"spod seal key id v1\0" + key).digest()[:16]


def public_key(alg, secret):
    if alg == 1:
        k = ed25519.Ed25519PrivateKey.from_private_bytes(secret)
        return k.public_key().public_bytes(serialization.Encoding.Raw,
                                           serialization.PublicFormat.Raw)
    curve = ec.SECP256K1() if alg == 2 else ec.SECP256R1()
    k = ec.derive_private_key(int.from_bytes(secret, "big"), curve)
    return k.public_key().public_bytes(*RAW)


def xchacha(key, nonce, plaintext, ad):
    c = ChaCha20_Poly1305.new(key=key, nonce=nonce)
    c.update(ad)
    ct, tag = c.encrypt_and_digest(plaintext)
    return ct + tag


def blob(alg, secret, key_id, label=b""):
    pub = public_key(alg, secret)
    nonce = os.urandom(24)
    head = (b"SPSB" + bytes([1, alg, len(pub), len(label)]) + key_id + seal_key_id(SEAL_KEY) +
            nonce + pub + label)
    return head + xchacha(SEAL_KEY, nonce, secret, head)


def blob_v2(alg, secret, key_id, label, policy, admin_hash):
    """Version 2 (src/crypto/seal.h): the policy and admin set hash are associated data."""
    pub = public_key(alg, secret)
    nonce = os.urandom(24)
    head = (b"SPSB" + bytes([2, alg, len(pub), len(label)]) + key_id + seal_key_id(SEAL_KEY) +
            nonce + struct.pack("<I", len(policy)) + bytes(4) + admin_hash + pub + label + policy)
    return head + xchacha(SEAL_KEY, nonce, secret, head)


def envelope(purpose, payload, doc_nonce):
    enclave_pub = x25519.X25519PrivateKey.from_private_bytes(ENCLAVE_SECRET).public_key()
    enclave_pub = enclave_pub.public_bytes(serialization.Encoding.Raw,
                                           serialization.PublicFormat.Raw)
    eph = x25519.X25519PrivateKey.generate()
    eph_pub = eph.public_key().public_bytes(serialization.Encoding.Raw,
                                            serialization.PublicFormat.Raw)
    shared = eph.exchange(x25519.X25519PublicKey.from_public_bytes(enclave_pub))
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"spod provisioning v1",
               info=bytes([purpose]) + enclave_pub + eph_pub).derive(shared)
    nonce = os.urandom(24)
    head = (b"SPPE" + bytes([1, purpose]) + struct.pack("<H", len(doc_nonce)) + eph_pub + nonce +
            doc_nonce)
    return head + xchacha(key, nonce, payload, head)


def import_payload(alg, secret, label=b""):
    return bytes([1, alg, len(label), 0]) + secret + label


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "corpus", "seal")
    os.makedirs(out, exist_ok=True)
    secrets = {1: bytes(range(32)), 2: bytes([7] * 32), 3: bytes([0x11] * 32)}
    seeds = {}
    for alg, secret in secrets.items():
        kid = bytes([alg]) * 16
        seeds[f"blob_{alg}"] = b"\0" + blob(alg, secret, kid)
        seeds[f"blob_{alg}_label"] = b"\0" + blob(alg, secret, kid, b"hot-wallet.1")
        seeds[f"env_import_{alg}"] = b"\1" + envelope(2, import_payload(alg, secret, b"imp"),
                                                      b"nonce-%d" % alg)
        seeds[f"import_{alg}"] = b"\2" + import_payload(alg, secret, b"x")
    # a policy in its CBOR form: {1: 1, 2: [{1: "raw-ok", 2: 1}]} (docs/policy.md)
    policy = bytes([0xa2, 0x01, 0x01, 0x02, 0x81, 0xa2, 0x01, 0x66]) + b"raw-ok" + bytes([0x02, 0x01])
    seeds["blob_2_policy"] = b"\0" + blob_v2(2, secrets[2], bytes([2]) * 16, b"p", policy,
                                              bytes([0xad]) * 32)
    seeds["env_share"] = b"\1" + envelope(1, os.urandom(52 + 32 * 3), os.urandom(32))
    seeds["env_long_nonce"] = b"\1" + envelope(2, import_payload(2, secrets[2]), b"n" * 512)
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    print(f"{len(seeds)} seeds in {out}")


if __name__ == "__main__":
    main()
