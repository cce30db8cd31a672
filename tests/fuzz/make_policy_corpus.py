#!/usr/bin/python3
"""Writes the seed corpora of tests/fuzz/fuzz_policy.c and fuzz_policy_json.c.

    /usr/bin/python3 tests/fuzz/make_policy_corpus.py

policy_json/: every json block of docs/policy.md, as written. policy/: the same policies in
their deterministic CBOR form (docs/policy.md, "The CBOR form"), encoded here independently
of src/convert, each behind a 96-byte summary header whose address pool holds the policy's
first 20- and 32-byte addresses (so that rules can match).
"""
import json
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
DOC = os.path.join(HERE, "..", "..", "docs", "policy.md")
B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
KINDS = ["transaction", "message", "typed_data", "raw", "authorization"]


def head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    for ai, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes([major << 5 | ai]) + n.to_bytes(size, "big")
    raise ValueError(n)


def enc(v):
    if v is True:
        return b"\xf5"
    if isinstance(v, int):
        return head(0, v)
    if isinstance(v, bytes):
        return head(2, len(v)) + v
    if isinstance(v, str):
        b = v.encode()
        return head(3, len(b)) + b
    if isinstance(v, list):
        return head(4, len(v)) + b"".join(enc(x) for x in v)
    if isinstance(v, dict):
        return head(5, len(v)) + b"".join(enc(k) + enc(v[k]) for k in sorted(v))
    raise TypeError(v)


def addr(s):
    if s.startswith("0x"):
        return bytes.fromhex(s[2:])
    n = 0
    for c in s:
        n = n * 58 + B58.index(c)
    zeros = len(s) - len(s.lstrip("1"))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    return b"\0" * zeros + body


def amount(s):
    n = int(s)
    return n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""


def rule(r, pool):
    out = {1: r["id"], 2: 1 if r["effect"] == "allow" else 2}
    if "reason" in r:
        out[3] = r["reason"]
    if "chain" in r:
        out[4] = 1 if r["chain"] == "ethereum" else 2
    if "kinds" in r:
        out[5] = sorted(KINDS.index(k) + 1 for k in r["kinds"])
    if "chain_ids" in r:
        out[6] = r["chain_ids"]
    for key, num in (("to", 7), ("to_deny", 8), ("contracts", 9), ("programs", 10),
                     ("delegates", 12)):
        if key in r:
            out[num] = [addr(a) for a in r[key]]
            pool.extend(out[num])
    if "selectors" in r:
        out[11] = [bytes.fromhex(s[2:]) for s in r["selectors"]]
    if "domains" in r:
        out[13] = []
        for d in r["domains"]:
            m = {}
            if "name" in d:
                m[1] = d["name"]
            if "version" in d:
                m[2] = d["version"]
            if "chain_id" in d:
                m[3] = d["chain_id"]
            if "verifying_contract" in d:
                m[4] = addr(d["verifying_contract"])
            out[13].append(m)
    if "max_value" in r:
        out[14] = amount(r["max_value"])
    if "max_token_amount" in r:
        out[15] = [{1: addr(t["token"]), 2: amount(t["amount"])} for t in r["max_token_amount"]]
    if "window" in r:
        w = r["window"]
        m = {2: amount(w["limit"]), 3: w["seconds"]}
        if w["asset"] != "native":
            m[1] = addr(w["asset"])
        out[16] = m
    if "rate" in r:
        out[17] = {1: r["rate"]["count"], 2: r["rate"]["seconds"]}
    if r.get("allow_unknown"):
        out[18] = True
    return out


def main():
    with open(DOC, encoding="utf-8") as f:
        blocks = re.findall(r"```json\n(.*?)```", f.read(), re.S)
    pj = os.path.join(HERE, "corpus", "policy_json")
    pc = os.path.join(HERE, "corpus", "policy")
    os.makedirs(pj, exist_ok=True)
    os.makedirs(pc, exist_ok=True)
    for i, text in enumerate(blocks, 1):
        with open(os.path.join(pj, f"doc{i}.json"), "w", encoding="utf-8") as f:
            f.write(text)
        pol = json.loads(text)
        pool = []
        cbor = enc({1: pol["version"], 2: [rule(r, pool) for r in pol["rules"]]})
        a20 = next((a for a in pool if len(a) == 20), b"\0" * 20)
        a32 = next((a for a in pool if len(a) == 32), b"\0" * 32)
        for chain in (0, 1):  # header byte 0: Ethereum, Solana
            hdr = bytearray(96)
            hdr[0] = chain
            hdr[1] = 2 if chain == 0 else 8  # EIP-1559, Solana legacy
            hdr[5] = 1  # a `to`
            hdr[15] = 1  # one transfer
            hdr[28] = 1  # one program
            hdr[32:52] = a20
            hdr[64:96] = a32
            with open(os.path.join(pc, f"doc{i}.{chain}"), "wb") as f:
                f.write(bytes(hdr) + cbor)


if __name__ == "__main__":
    main()
