#!/usr/bin/python3
"""Writes the seed corpus of tests/fuzz/fuzz_token.c into tests/fuzz/corpus/token/.

    /usr/bin/python3 tests/fuzz/make_token_corpus.py [output-dir]

A seed's first byte picks the path: 0, a wire v1 byte stream (hello, then requests), encoded
here from the byte offsets in src/wire/layout.h; 1, an Authorization header value. The tokens
are the three records fuzz_token.c holds (an admin token, a scoped one that expires, a
revoked one) and malformed neighbours of them.
"""
import os
import struct
import sys

ADMIN = "spod_agUSUHoIHEu8ejut7raPyIawdWm1oHKc13bp1voo7Lg"
SCOPED = "spod_4KHmzyH7CWRHWAiS_U0zO8oYJe-XzXZbtSh4np9UosY"
REVOKED = "spod_86ziJYvySDv8x8AHhS-TIBXmHoJR__b_Fh_yKex25YI"
KEY = bytes.fromhex("00112233445566778899aabbccddeeff")

OP_ECHO, OP_HELLO, OP_KEY_PUBLIC, OP_KEY_LIST, OP_KEY_LOAD = 0x02, 0x03, 0x11, 0x12, 0x14
OP_SIGN, OP_ATTEST, OP_SEAL_SETUP = 0x20, 0x30, 0x40


def frame(op, rid, body):
    return struct.pack("<IBBHQHHI", 0x444F5053, 1, op, 0, rid, 0, 0, len(body)) + body


def hello(token, rid=1):
    t = token.encode() if isinstance(token, str) else token
    return frame(OP_HELLO, rid, struct.pack("<II", len(t), 0) + t)


def sign(key, msg):
    return frame(OP_SIGN, 2, key + struct.pack("<B3xIII", 0, 32, len(msg), 0) + msg)


def seeds():
    yield "admin_then_requests", b"\0" + hello(ADMIN) + sign(KEY, b"hello") + frame(
        OP_KEY_PUBLIC, 3, KEY) + frame(OP_KEY_LOAD, 4, b"x") + frame(OP_SEAL_SETUP, 5, bytes(24))
    yield "scoped_sign_list", b"\0" + hello(SCOPED, 1000) + sign(KEY, b"m") + sign(
        bytes(16), b"m") + frame(OP_KEY_LIST, 6, struct.pack("<II", 0, 10)) + frame(
            OP_ECHO, 7, b"")
    yield "scoped_expired", b"\0" + hello(SCOPED, 1 << 31) + frame(OP_ECHO, 2, b"")
    yield "revoked", b"\0" + hello(REVOKED) + frame(OP_ECHO, 2, b"")
    yield "attest_bound", b"\0" + hello(SCOPED, 5) + frame(
        OP_ATTEST, 2, KEY + struct.pack("<B3xIII", 1, 32, 4, 0) + b"nonc")
    yield "unknown_token", b"\0" + hello("spod_" + "A" * 43)
    yield "padding_bits", b"\0" + hello(ADMIN[:-1] + "h")
    yield "short_token", b"\0" + hello("spod_abc")
    yield "request_before_hello", b"\0" + frame(OP_ECHO, 1, b"")
    yield "header_admin", b"\1Bearer " + ADMIN.encode()
    yield "header_spaces", b"\1bearer    " + SCOPED.encode()
    yield "header_padding", b"\1Bearer " + SCOPED.encode() + b"=="
    yield "header_basic", b"\1Basic dXNlcjpwYXNz"


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__),
                                                              "corpus", "token")
    os.makedirs(out, exist_ok=True)
    for name, data in seeds():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
