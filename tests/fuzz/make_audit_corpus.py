#!/usr/bin/python3
"""Writes the seed corpus of tests/fuzz/fuzz_audit_file.c into tests/fuzz/corpus/audit_file/.

    /usr/bin/python3 tests/fuzz/make_audit_corpus.py [output-dir]

Each seed is an audit export file (docs/storage.md, "Export files"), built here with struct
and hashlib, independently of the C code: chains from genesis and from an anchor, every
optional field absent and present, details with quotes, backslashes, control characters and
bytes above 0x7f, the longest kind and detail; and broken ones: a changed byte, a dropped or
swapped line, a line cut short, a header that is not one. Output is deterministic.
"""
import hashlib
import json
import os
import struct
import sys


def s(b):
    return struct.pack("<I", len(b)) + b


def text(b):
    """Bytes as the export's JSON string: printable ASCII as itself, the rest as \\u00XX."""
    return '"' + "".join(chr(c) if 0x20 <= c < 0x7F and c not in (0x22, 0x5C) else "\\u%04x" % c
                         for c in b) + '"'


def hexj(b):
    return "null" if b is None else '"' + b.hex() + '"'


def record(seq, prev, i):
    kind = [b"sign", b"key.generate", b"token.create", b"k" * 32][i % 4]
    key_id = bytes([i % 256] * 16) if i % 3 else None
    token_id = bytes([(i + 1) % 256] * 16) if i % 2 else None
    digest = hashlib.sha256(b"%d" % i).digest()[: [32, 20, 1, 32][i % 4]] if i % 5 else None
    detail = [b"mode=raw len=24", None, b'quote " back \\ tab \t nl \n', bytes(range(1, 256)),
              b"d" * 1024, b"caf\xc3\xa9 \xff\x80"][i % 6]
    result = [0, -14, -3, 0][i % 4]
    t = 1700000000000 + i * 7
    enc = struct.pack("<Qqi", seq, t, result) + s(kind) + s(key_id or b"") + \
        s(token_id or b"") + s(digest or b"") + s(detail or b"")
    h = hashlib.sha256(prev + enc).digest()
    line = ('{"seq":%d,"time_ms":%d,"kind":%s,"key_id":%s,"token_id":%s,"digest":%s,'
            '"result":%d,"detail":%s,"prev_hash":"%s","hash":"%s"}\n') % (
        seq, t, text(kind), hexj(key_id), hexj(token_id), hexj(digest), result,
        "null" if detail is None else text(detail), prev.hex(), h.hex())
    return line, h


def export(first, n, prev):
    lines, h = [], prev
    for i in range(n):
        line, h = record(first + i, h, first + i)
        lines.append(line)
    header = json.dumps({"format": "spod-audit-export", "version": 1, "first_seq": first,
                         "prev_hash": prev.hex(), "last_seq": first + n - 1,
                         "last_hash": h.hex()}, separators=(",", ":")) + "\n"
    return [header] + lines


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "corpus", "audit_file")
    os.makedirs(out, exist_ok=True)
    genesis = export(1, 12, bytes(32))
    anchored = export(1001, 6, hashlib.sha256(b"anchor").digest())
    seeds = {
        "genesis-12": genesis,
        "anchored-6": anchored,
        "one-record": export(1, 1, bytes(32)),
        "changed-byte": genesis[:3] + [genesis[3].replace("time_ms\":17", "time_ms\":27")] +
        genesis[4:],
        "dropped-line": genesis[:5] + genesis[6:],
        "swapped-lines": genesis[:5] + [genesis[6], genesis[5]] + genesis[7:],
        "extra-line": genesis + [genesis[-1]],
        "cut-short": genesis[:-1] + [genesis[-1][:-1]],
        "not-a-header": ['{"format":"spod-audit-export","version":2}\n'] + genesis[1:],
    }
    for name, lines in seeds.items():
        with open(os.path.join(out, name), "w", encoding="ascii") as f:
            f.write("".join(lines))


if __name__ == "__main__":
    main()
