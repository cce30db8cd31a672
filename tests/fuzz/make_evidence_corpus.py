#!/usr/bin/python3
"""Writes the seed corpus of tests/fuzz/fuzz_evidence.c into tests/fuzz/corpus/evidence/.

    /usr/bin/python3 tests/fuzz/make_evidence_corpus.py [output-dir]

Each seed is an evidence record (160 bytes, src/evidence/evidence.h, laid out here from
docs/evidence.md), a control block (leaf index, tree size: u16 each) and proof bytes. The tree
is computed here from RFC 9162's definition, independently of the C code, so the "true proof"
seed is one the target's oracle must accept. Output is deterministic.
"""
import hashlib
import os
import struct
import sys


def rec(counter, status=0, rule=b""):
    # version, opcode, mode, form, status, counter, key id, digest, policy hash, rule id
    return (struct.pack("<BBBBiQ", 1, 0x20, 1, 0, status, counter) + bytes([0x11] * 16) +
            bytes([0xD1] * 32) + bytes(32) + rule.ljust(64, b"\0"))


def sha(b):
    return hashlib.sha256(b).digest()


def node(a, b):
    return sha(b"\x01" + a + b)


def seeds():
    r = rec(1)
    # the fuzzer's tree: leaf i is the record with its first byte replaced by i
    leaves = [sha(b"\0" + bytes([i]) + r[1:]) for i in range(5)]
    proof3 = leaves[2] + node(leaves[0], leaves[1]) + leaves[4]  # RFC 9162 PATH(3, D[0:5])
    yield "one_leaf", r + struct.pack("<HH", 0, 1)
    yield "five_leaf3_true_proof", r + struct.pack("<HH", 3, 5) + proof3
    yield "five_leaf3_short_proof", r + struct.pack("<HH", 3, 5) + proof3[:64]
    yield "policy_refusal_rule", rec(9, -39, b"no-raw") + struct.pack("<HH", 0, 2) + bytes(32)
    yield "bad_version", b"\x02" + r[1:] + struct.pack("<HH", 1, 1)
    yield "rule_after_padding", (r[:100] + b"\0x" + r[102:] + struct.pack("<HH", 0, 64) +
                                 bytes(6 * 32))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "corpus", "evidence")
    os.makedirs(out, exist_ok=True)
    for name, data in seeds():
        with open(os.path.join(out, name + ".bin"), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
