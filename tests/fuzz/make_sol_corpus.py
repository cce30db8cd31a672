#!/usr/bin/python3
"""Writes the seed corpus of tests/fuzz/fuzz_sol_tx.c into tests/fuzz/corpus/sol_tx/.

    /usr/bin/python3 tests/fuzz/make_sol_corpus.py [output-dir]

Each seed is one serialized transaction of tests/data/solana/web3js.txt (built by
@solana/web3.js, see tests/data/solana/README.md): the unsigned one as NAME, and the signed
one as NAME.signed when the vector has it. Crash reproducers (crash-*) live beside these
seeds and are not written here.
"""
import base64
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.path.join(HERE, "..", "data", "solana", "web3js.txt")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "corpus", "sol_tx")
    os.makedirs(out, exist_ok=True)
    with open(VECTORS, encoding="ascii") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            fields = line.split()
            name, tx = fields[0], fields[1]
            signed = dict(x.split("=", 1) for x in fields[2:])["signed"]
            with open(os.path.join(out, name), "wb") as g:
                g.write(base64.b64decode(tx, validate=True))
            if signed != "-":
                with open(os.path.join(out, name + ".signed"), "wb") as g:
                    g.write(base64.b64decode(signed, validate=True))


if __name__ == "__main__":
    main()
