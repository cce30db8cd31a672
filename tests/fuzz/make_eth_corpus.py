#!/usr/bin/python3
"""Seeds for fuzz_rlp and fuzz_eth_tx from the ethers vectors (tests/data/ethereum/ethers.txt).

corpus/eth_tx gets every vector's unsigned bytes (transactions, EIP-7702 authorizations,
EIP-191 messages: fuzz_eth_tx feeds each input to all three decoders); corpus/rlp gets the
unsigned and signed transactions without their type byte, plus a few hand-written items
around the short/long boundaries. Run from anywhere: python3 tests/fuzz/make_eth_corpus.py
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.path.join(HERE, "..", "data", "ethereum", "ethers.txt")


def write(folder, name, data):
    path = os.path.join(HERE, "corpus", folder)
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, name), "wb") as f:
        f.write(data)


def main():
    vec = {}
    with open(VECTORS) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            if line == "end":
                unsigned = bytes.fromhex(vec["unsigned"]) if vec["unsigned"] != "-" else b""
                write("eth_tx", vec["name"], unsigned)
                if int(vec["kind"]) <= 6:
                    strip = 1 if unsigned and unsigned[0] < 0xc0 else 0
                    write("rlp", vec["name"] + "-unsigned", unsigned[strip:])
                if int(vec["kind"]) <= 5:
                    signed = bytes.fromhex(vec["signed"])
                    strip = 1 if signed[0] < 0xc0 else 0
                    write("rlp", vec["name"] + "-signed", signed[strip:])
                vec = {}
                continue
            key, _, value = line.partition(" ")
            vec[key] = value
    items = {
        "empty-string": b"\x80",
        "empty-list": b"\xc0",
        "byte-00": b"\x00",
        "byte-80": b"\x81\x80",
        "string-55": b"\xb7" + b"x" * 55,
        "string-56": b"\xb8\x38" + b"x" * 56,
        "list-56": b"\xf8\x38" + b"\x80" * 56,
        "nested": bytes.fromhex("c7c0c1c0c3c0c1c0"),
    }
    for name, data in items.items():
        write("rlp", name, data)


if __name__ == "__main__":
    main()
