#!/usr/bin/python3
"""Writes the seed corpora of tests/fuzz/fuzz_eip712.c and fuzz_typed_data_json.c.

    /usr/bin/python3 tests/fuzz/make_eip712_corpus.py

typed_data_json/: the JSON of every vector in tests/data/ethereum/eip712.txt (ethers), as
written. eip712/: the same typed data in its deterministic CBOR form (src/txn/eip712.h,
docs/transactions.md), encoded here independently of src/convert.
"""
import json
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.path.join(HERE, "..", "data", "ethereum", "eip712.txt")
DOMAIN = [("name", "string"), ("version", "string"), ("chainId", "uint256"),
          ("verifyingContract", "address"), ("salt", "bytes32")]


def head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    for ai, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes([major << 5 | ai]) + n.to_bytes(size, "big")
    raise ValueError(n)


def bstr(b):
    return head(2, len(b)) + b


def tstr(s):
    b = s.encode()
    return head(3, len(b)) + b


def integer(v):
    if isinstance(v, str):
        neg = v.startswith("-")
        body = v[1:] if neg else v
        n = int(body, 16) if body.lower().startswith("0x") else int(body)
        return -n if neg else n
    return int(v)


def value(types, t, v):
    m = re.match(r"^(.*)\[(\d*)\]$", t)
    if m:
        return head(4, len(v)) + b"".join(value(types, m.group(1), e) for e in v)
    if t == "bool":
        return b"\xf5" if v else b"\xf4"
    if t == "string":
        return tstr(v)
    if t == "address" or t.startswith("bytes"):
        return bstr(bytes.fromhex(v[2:]))
    if t.startswith("uint"):
        n = integer(v)
        return bstr(n.to_bytes((n.bit_length() + 7) // 8, "big"))
    if t.startswith("int"):
        n = integer(v)
        if n == 0:
            return bstr(b"")
        size = 1
        while not -(1 << (8 * size - 1)) <= n < 1 << (8 * size - 1):
            size += 1
        return bstr(n.to_bytes(size, "big", signed=True))
    members = types[t]
    return head(4, len(members)) + b"".join(value(types, m["type"], v[m["name"]]) for m in members)


def cbor(doc):
    types = dict(doc["types"])
    if "EIP712Domain" not in types:
        types["EIP712Domain"] = [{"name": n, "type": t} for n, t in DOMAIN if n in doc["domain"]]
    out = head(5, 4) + head(0, 1) + head(4, len(types))
    for name in sorted(types, key=lambda s: s.encode()):
        out += head(4, 2) + tstr(name) + head(4, len(types[name]))
        for m in types[name]:
            out += head(4, 2) + tstr(m["name"]) + tstr(m["type"])
    out += head(0, 2) + tstr(doc["primaryType"])
    out += head(0, 3) + value(types, "EIP712Domain", doc["domain"])
    out += head(0, 4) + value(types, doc["primaryType"], doc["message"])
    return out


def main():
    names, texts = [], []
    with open(VECTORS, encoding="utf-8") as f:
        for line in f:
            if line.startswith("name "):
                names.append(line[5:].strip())
            elif line.startswith("json "):
                texts.append(line[5:].rstrip("\n"))
    for sub in ("eip712", "typed_data_json"):
        os.makedirs(os.path.join(HERE, "corpus", sub), exist_ok=True)
    for name, text in zip(names, texts):
        with open(os.path.join(HERE, "corpus", "typed_data_json", name + ".json"), "w",
                  encoding="utf-8") as f:
            f.write(text)
        with open(os.path.join(HERE, "corpus", "eip712", name + ".cbor"), "wb") as f:
            f.write(cbor(json.loads(text)))


main()
