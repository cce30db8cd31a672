#!/usr/bin/python3
"""Writes the seed corpus of tests/fuzz/fuzz_keyfile.c into tests/fuzz/corpus/keyfile/.

    /usr/bin/python3 tests/fuzz/make_keyfile_corpus.py [output-dir]

Each seed is one selector byte (bits 0-2 the format, 0 = auto; bits 3-4 the algorithm named
by the caller) followed by a key file: hex keys, PEM keys (RFC 8410's Ed25519 example, SEC1
and PKCS#8 EC keys made here with the `cryptography` package from published scalars, an
encrypted and an unsupported one), Ethereum keystores encrypted here under the fuzzer's
passphrase "fuzz" with the smallest KDF parameters (scrypt n = 4, PBKDF2 c = 2) so that the
fuzzer reaches the MAC check and the decryption cheaply, go-ethereum's very-light-scrypt.json
(passphrase "", so the MAC check fails), and RFC 8032 TEST 1 as a solana-keygen array. The
keystores are built independently of the C code (Keccak-256 below, hashlib's KDFs,
`cryptography`'s AES-CTR). Output is deterministic.
"""
import hashlib
import os
import sys

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

AUTO, HEX, PEM, ETH, SOLANA = 0, 1, 2, 3, 4
ED25519, SECP256K1, P256 = 1, 2, 3
PASSPHRASE = b"fuzz"

# Web3 Secret Storage Definition's secret; RFC 8032 TEST 1; RFC 6979 A.2.5's P-256 key.
SPEC_SECRET = bytes.fromhex("7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d")
RFC8032_SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC8032_PUB = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
RFC6979_P256 = 0xC9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721

RFC8410_PEM = (b"-----BEGIN PRIVATE KEY-----\n"
               b"MC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n"
               b"-----END PRIVATE KEY-----\n")

GETH_VERY_LIGHT = b"""{
  "address": "45dea0fb0bba44f4fcf290bba71fd57d7117cbb8",
  "crypto": {
    "cipher": "aes-128-ctr",
    "ciphertext": "b87781948a1befd247bff51ef4063f716cf6c2d3481163e9a8f42e1f9bb74145",
    "cipherparams": {
      "iv": "dc4926b48a105133d2f16b96833abf1e"
    },
    "kdf": "scrypt",
    "kdfparams": {
      "dklen": 32,
      "n": 2,
      "p": 1,
      "r": 8,
      "salt": "004244bbdc51cadda545b1cfa43cff9ed2ae88e08c61f1479dbb45410722f8f0"
    },
    "mac": "39990c1684557447940d4c69e06b1b82b2aceacb43f284df65c956daf3046b85"
  },
  "id": "ce541d8d-c79b-40f8-9f8c-20f59616faba",
  "version": 3
}
"""

_RC = [0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000,
       0x000000000000808B, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
       0x000000000000008A, 0x0000000000000088, 0x0000000080008009, 0x000000008000000A,
       0x000000008000808B, 0x800000000000008B, 0x8000000000008089, 0x8000000000008003,
       0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
       0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008]
_ROT = [[0, 36, 3, 41, 18], [1, 44, 10, 45, 2], [62, 6, 43, 15, 61], [28, 55, 25, 21, 56],
        [27, 20, 39, 8, 14]]
_MASK = (1 << 64) - 1


def _rol(v, n):
    return ((v << n) | (v >> (64 - n))) & _MASK if n else v


def _keccak_f(a):
    for rc in _RC:
        c = [a[x][0] ^ a[x][1] ^ a[x][2] ^ a[x][3] ^ a[x][4] for x in range(5)]
        d = [c[(x - 1) % 5] ^ _rol(c[(x + 1) % 5], 1) for x in range(5)]
        a = [[a[x][y] ^ d[x] for y in range(5)] for x in range(5)]
        b = [[0] * 5 for _ in range(5)]
        for x in range(5):
            for y in range(5):
                b[y][(2 * x + 3 * y) % 5] = _rol(a[x][y], _ROT[x][y])
        a = [[b[x][y] ^ ((~b[(x + 1) % 5][y]) & b[(x + 2) % 5][y]) for y in range(5)]
             for x in range(5)]
        a[0][0] ^= rc
    return a


def keccak256(data):
    """Ethereum's Keccak-256: rate 136 bytes, original padding 0x01 ... 0x80."""
    rate = 136
    msg = bytearray(data) + b"\x01" + b"\x00" * ((-len(data) - 1) % rate)
    msg[-1] |= 0x80
    a = [[0] * 5 for _ in range(5)]
    for off in range(0, len(msg), rate):
        block = msg[off:off + rate]
        for i in range(rate // 8):
            a[i % 5][i // 5] ^= int.from_bytes(block[8 * i:8 * i + 8], "little")
        a = _keccak_f(a)
    return b"".join(a[i % 5][i // 5].to_bytes(8, "little") for i in range(4))


def eth_address(secret):
    key = ec.derive_private_key(int.from_bytes(secret, "big"), ec.SECP256K1())
    point = key.public_key().public_bytes(serialization.Encoding.X962,
                                          serialization.PublicFormat.UncompressedPoint)
    return keccak256(point[1:])[12:]


def keystore(secret, kdf, with_address):
    salt = bytes(range(1, 17))
    iv = bytes(range(16, 0, -1))
    if kdf == "scrypt":
        params = {"n": 4, "r": 1, "p": 1}
        dk = hashlib.scrypt(PASSPHRASE, salt=salt, n=4, r=1, p=1, dklen=32)
        kdfparams = '"dklen":32,"n":4,"p":1,"r":1'
    else:
        params = {"c": 2}
        dk = hashlib.pbkdf2_hmac("sha256", PASSPHRASE, salt, params["c"], 32)
        kdfparams = '"c":2,"dklen":32,"prf":"hmac-sha256"'
    enc = Cipher(algorithms.AES(dk[:16]), modes.CTR(iv)).encryptor()
    ct = enc.update(secret) + enc.finalize()
    mac = keccak256(dk[16:32] + ct)
    address = '"address":"%s",' % eth_address(secret).hex() if with_address else ""
    return ('{%s"crypto":{"cipher":"aes-128-ctr","cipherparams":{"iv":"%s"},'
            '"ciphertext":"%s","kdf":"%s","kdfparams":{%s,"salt":"%s"},"mac":"%s"},'
            '"id":"00000000-0000-4000-8000-000000000000","version":3}\n'
            % (address, iv.hex(), ct.hex(), kdf, kdfparams, salt.hex(), mac.hex())).encode()


def ec_pem(scalar, curve, fmt):
    key = ec.derive_private_key(scalar, curve)
    return key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption())


def seeds():
    spec = int.from_bytes(SPEC_SECRET, "big")
    sec1 = serialization.PrivateFormat.TraditionalOpenSSL
    pkcs8 = serialization.PrivateFormat.PKCS8
    ec_params_p256 = b"-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n"
    legacy_encrypted = (b"-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n"
                        b"DEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\n"
                        b"AAAA\n-----END EC PRIVATE KEY-----\n")
    solana = ("[" + ",".join(str(b) for b in RFC8032_SEED + RFC8032_PUB) + "]").encode()
    return {
        "hex-ed25519": bytes([AUTO | ED25519 << 3]) + RFC8032_SEED.hex().encode() + b"\n",
        "hex-secp256k1-0x": bytes([HEX | SECP256K1 << 3]) + b"0x" + SPEC_SECRET.hex().encode(),
        "hex-no-alg": bytes([AUTO]) + RFC8032_SEED.hex().encode(),
        "pem-ed25519-rfc8410": bytes([AUTO]) + RFC8410_PEM,
        "pem-p256-sec1": bytes([AUTO]) + ec_params_p256 + ec_pem(RFC6979_P256, ec.SECP256R1(), sec1),
        "pem-p256-pkcs8": bytes([PEM | P256 << 3]) + ec_pem(RFC6979_P256, ec.SECP256R1(), pkcs8),
        "pem-secp256k1-pkcs8": bytes([AUTO]) + ec_pem(spec, ec.SECP256K1(), pkcs8),
        "pem-secp256k1-sec1": bytes([PEM]) + ec_pem(spec, ec.SECP256K1(), sec1),
        "pem-p384": bytes([AUTO]) + ec_pem(RFC6979_P256, ec.SECP384R1(), pkcs8),
        "pem-encrypted": bytes([AUTO]) + legacy_encrypted,
        "eth-scrypt-address": bytes([AUTO]) + keystore(SPEC_SECRET, "scrypt", True),
        "eth-pbkdf2": bytes([ETH | SECP256K1 << 3]) + keystore(SPEC_SECRET, "pbkdf2", False),
        "eth-geth-very-light": bytes([AUTO]) + GETH_VERY_LIGHT,
        "solana-rfc8032": bytes([AUTO]) + solana,
        "solana-spaced": bytes([SOLANA | ED25519 << 3]) + solana.replace(b",", b", ") + b"\n",
    }


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "corpus", "keyfile")
    os.makedirs(out, exist_ok=True)
    for name, data in sorted(seeds().items()):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    print("wrote %d seeds to %s" % (len(seeds()), out))


if __name__ == "__main__":
    main()
