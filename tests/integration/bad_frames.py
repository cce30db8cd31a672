#!/usr/bin/python3
"""Malformed wire frames against spod-host's unix socket, built by hand.

Usage: bad_frames.py SOCKET_PATH SPOD_SRC ED25519_ID SECP256K1_ID P256_ID [--seed N]

Frame layout: the 24-byte header and body offsets of src/wire/layout.h (pinned below and
checked against that file, so drift fails loudly); expected statuses are -SPOD_E_* read
from include/spod/err.h. Every socket operation has a timeout. Prints a summary; exit 0
when every expectation held.
"""

import os
import random
import re
import socket
import struct
import sys
import time

TIMEOUT = 15.0  # seconds per socket operation (sanitizer builds are slow)

# ---- wire v1, pinned (src/wire/layout.h, include/spod/wire.h) ----
MAGIC = b"SPOD"
VERSION = 1
HDR = struct.Struct("<4sBBHQHHI")  # magic version opcode flags request_id status reserved body_len
HDR_BYTES = 24
FLAG_RESPONSE = 0x0001
BODY_MAX = 256 * 1024 - HDR_BYTES  # SPOD_BODY_MAX_BYTES = 262120
MSG_MAX = 64 * 1024
LAYOUT = {
    "HDR_MAGIC": 0, "HDR_VERSION": 4, "HDR_OPCODE": 5, "HDR_FLAGS": 6, "HDR_REQUEST_ID": 8,
    "HDR_STATUS": 16, "HDR_RESERVED": 18, "HDR_BODY_LEN": 20,
    "GEN_ALG": 0, "GEN_FIXED": 8, "KEYREQ_ID": 0, "KEYREQ_FIXED": 16,
    "LISTREQ_CURSOR": 0, "LISTREQ_MAX": 4, "LISTREQ_FIXED": 8,
    "SIGN_KEY_ID": 0, "SIGN_MODE": 16, "SIGN_RESERVED1": 17, "SIGN_DATA_OFF": 20,
    "SIGN_DATA_LEN": 24, "SIGN_RESERVED2": 28, "SIGN_FIXED": 32,
    "BATCH_COUNT": 0, "BATCH_RESERVED": 4, "BATCH_ITEMS": 8,
}
OP_INFO, OP_ECHO = 0x01, 0x02
OP_GENERATE, OP_PUBLIC, OP_LIST, OP_DELETE = 0x10, 0x11, 0x12, 0x13
OP_SIGN, OP_BATCH, OP_ATTEST = 0x20, 0x21, 0x30
OP_SIGN_TX = 0x22
OP_LOAD, OP_IMPORT = 0x14, 0x15
OP_SEAL_SETUP, OP_SEAL_STATUS, OP_SHARE = 0x40, 0x41, 0x42
KNOWN_OPS = {OP_INFO, OP_ECHO, OP_GENERATE, OP_PUBLIC, OP_LIST, OP_DELETE, OP_SIGN, OP_BATCH, OP_ATTEST}
MODE_RAW, MODE_DIGEST, MODE_SHA256, MODE_KECCAK = 0, 1, 2, 3

E = {}  # SPOD_E_* name -> wire status (-code)
failures = []
stats = {"malformed": 0, "connections": 0, "responses": 0, "valid": 0}


def fail(msg):
    failures.append(msg)
    if len(failures) <= 30:
        print("FAIL:", msg, file=sys.stderr, flush=True)


def load_contract(src):
    with open(os.path.join(src, "include/spod/err.h")) as f:
        for name, val in re.findall(r"SPOD_E_(\w+)\s*=\s*(-\d+)", f.read()):
            E[name] = -int(val)
    for need in ["TRUNCATED", "TOO_LARGE", "BAD_MAGIC", "BAD_VERSION", "UNKNOWN_OP",
                 "BAD_LENGTH", "BAD_REF", "BAD_FIELD", "UNKNOWN_ALG", "BAD_MODE",
                 "BAD_DIGEST", "KEY_NOT_FOUND"]:
        if need not in E:
            raise SystemExit(f"err.h lacks SPOD_E_{need}")
    with open(os.path.join(src, "src/wire/layout.h")) as f:
        defs = dict(re.findall(r"#define\s+(\w+)\s+(\d+)\b", f.read()))
    for k, v in LAYOUT.items():
        if int(defs.get(k, -1)) != v:
            raise SystemExit(f"layout.h: {k} is {defs.get(k)}, this test pins {v}")


# ---- frame builders ----
def hdr(opcode, rid, body_len, *, magic=MAGIC, version=VERSION, flags=0, status=0, reserved=0):
    return HDR.pack(magic, version, opcode, flags, rid, status, reserved, body_len)


def frame(opcode, rid, body=b"", **kw):
    return hdr(opcode, rid, len(body), **kw) + body


def sign_body(key_id, mode, data, *, off=None, length=None, res1=b"\0\0\0", res2=b"\0" * 4,
              extra=b""):
    off = LAYOUT["SIGN_FIXED"] if off is None else off
    length = len(data) if length is None else length
    fixed = key_id + bytes([mode]) + res1 + struct.pack("<II", off, length) + res2
    assert len(fixed) == LAYOUT["SIGN_FIXED"]
    return fixed + data + extra


def sign_tx_body(key_id, chain, tx, *, form=0, res1=b"\0\0", res2=b"\0" * 4, off=32,
                 length=None):
    """sign.tx: key id, chain, form, reserved, tx off/len, reserved (docs/protocol.md)."""
    length = len(tx) if length is None else length
    return key_id + bytes([chain, form]) + res1 + struct.pack("<II", off, length) + res2 + tx


def batch_body(items, *, count=None, reserved=b"\0" * 4):
    """items: list of (key_id, mode, data)."""
    count = len(items) if count is None else count
    fixed = LAYOUT["BATCH_ITEMS"] + 32 * len(items)
    out, data, off = [], b"", fixed
    for key_id, mode, d in items:
        out.append(key_id + bytes([mode]) + b"\0" * 3 + struct.pack("<II", off, len(d)) + b"\0" * 4)
        data += d
        off += len(d)
    return struct.pack("<I", count) + reserved + b"".join(out) + data


OP_HELLO = 0x03


def api_token():
    """The token spod-host wrote on first start (docs/auth.md), or None."""
    path = os.environ.get("SPOD_TOKEN_FILE") or os.path.join(
        os.environ.get("SPOD_DATA_DIR", ""), "admin.token")
    try:
        with open(path) as f:
            return f.read().strip().encode()
    except OSError:
        return None


def hello_frame(token, rid=1):
    return frame(OP_HELLO, rid, struct.pack("<I", len(token)) + b"\0" * 4 + token)


# ---- socket helpers, all bounded ----
PEER = {"host": True}  # set by connect() from the hello answer


def connect(path, hello=True):
    """A connection, authenticated with the pod's admin token when there is one."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(TIMEOUT)
    s.connect(path)
    stats["connections"] += 1
    token = api_token() if hello else None
    if token:
        s.sendall(hello_frame(token))
        got = recv_frame(s)
        if got is None or got[0][5] != 0:
            raise SystemExit(f"hello refused: {got}")
        # flags bit 0: the peer enforces tokens (spod-host); spod-enclave answers 0
        PEER["host"] = bool(struct.unpack_from("<I", got[1], 16)[0] & 1)
    return s


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            return None if not buf else buf  # EOF (possibly mid-frame)
        buf += chunk
    return buf


OP_EVIDENCE = 0x60


def recv_frame(s):
    """(header tuple, body) or None at a clean EOF. Raises on timeout. Skips the evidence
    frames spod-enclave sends unasked after answering signs (opcode 0x60, request id 0)."""
    while True:
        got = recv_one(s)
        if got is None or got[0][2] != OP_EVIDENCE or got[0][4] != 0:
            return got
        stats["evidence"] = stats.get("evidence", 0) + 1


def recv_one(s):
    h = recv_exact(s, HDR_BYTES)
    if h is None:
        return None
    if len(h) < HDR_BYTES:
        raise AssertionError(f"EOF inside a response header ({len(h)} bytes)")
    fields = HDR.unpack(h)
    body = recv_exact(s, fields[7]) if fields[7] else b""
    if fields[7] and (body is None or len(body) < fields[7]):
        raise AssertionError("EOF inside a response body")
    stats["responses"] += 1
    return fields, body


def check_response(fields, body, *, rid=None, status=None, what=""):
    magic, version, opcode, flags, r, st, reserved, blen = fields
    ok = True
    if magic != MAGIC or version != VERSION or flags != FLAG_RESPONSE or reserved != 0:
        fail(f"{what}: malformed response header {fields}")
        ok = False
    if rid is not None and r != rid:
        fail(f"{what}: response request id {r}, want {rid}")
        ok = False
    if status is not None and st != status:
        fail(f"{what}: status {st} ({name_of(st)}), want {status} ({name_of(status)}); "
             f"message {body[:120]!r}")
        ok = False
    if st != 0 and not (0 < blen <= 256):
        fail(f"{what}: error frame with a {blen}-byte message")
        ok = False
    return ok


def name_of(status):
    for k, v in E.items():
        if v == status:
            return k
    return "OK" if status == 0 else "?"


def expect_eof(s, what):
    """The peer closes: recv returns EOF (or a reset) within the timeout."""
    try:
        while True:
            got = recv_frame(s)
            if got is None:
                return True
            fail(f"{what}: unexpected extra response {got[0]}")
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        fail(f"{what}: connection not closed within {TIMEOUT} s")
        return False


def roundtrip_ok(s, rid, what):
    """A valid info request on s must still be answered: the stream is in sync."""
    try:
        s.sendall(frame(OP_INFO, rid))
        got = recv_frame(s)
    except (OSError, AssertionError) as e:
        fail(f"{what}: info after the bad frames failed: {e!r}")
        return False
    if got is None:
        fail(f"{what}: connection closed; it should stay open")
        return False
    return check_response(*got, rid=rid, status=0, what=what + " (info after)")


# ---- scenarios ----
def closing_cases(path, rng):
    """Unframeable streams: error frame (TOO_LARGE / BAD_MAGIC), then the host closes."""
    n = 0
    sizes = [BODY_MAX + 1, BODY_MAX + 2, 1 << 20, 0x7FFFFFFF, 0xFFFFFFFF]
    sizes += [rng.randrange(BODY_MAX + 1, 1 << 32) for _ in range(35)]
    for i, size in enumerate(sizes):
        s = connect(path)
        s.sendall(hdr(rng.choice([OP_SIGN, OP_ECHO, OP_INFO, 0x77]), 1000 + i, size))
        got = recv_frame(s)
        if got is None:
            fail(f"body_len {size}: closed without an error frame")
        else:
            check_response(*got, status=E["TOO_LARGE"], what=f"body_len {size}")
        expect_eof(s, f"body_len {size}")
        s.close()
        n += 1
    bad_magics = [b"SPOE", b"spod", b"\0\0\0\0", b"DOPS", b"GET ", b"XPOD", b"SPOX"]
    bad_magics += [bytes(rng.randrange(256) for _ in range(4)) for _ in range(33)]
    for i, m in enumerate(bad_magics):
        if m == MAGIC:
            continue
        s = connect(path)
        s.sendall(hdr(OP_INFO, 2000 + i, 0, magic=m))
        got = recv_frame(s)
        if got is None:
            fail(f"magic {m!r}: closed without an error frame")
        else:
            check_response(*got, status=E["BAD_MAGIC"], what=f"magic {m!r}")
        expect_eof(s, f"magic {m!r}")
        s.close()
        n += 1
    # A bad magic after good frames: the good ones are answered first (same connection).
    s = connect(path)
    s.sendall(frame(OP_INFO, 1) + frame(OP_ECHO, 2, b"abc"))
    for rid in (1, 2):
        got = recv_frame(s)
        if got is None:
            fail("good frames before a bad magic: closed early")
            break
        check_response(*got, rid=rid, status=0, what="good before bad magic")
    s.sendall(b"HTTP/1.1 200 OK\r\n\r\n")
    got = recv_frame(s)
    if got is None:
        fail("bad magic after good frames: no error frame")
    else:
        check_response(*got, status=E["BAD_MAGIC"], what="bad magic after good frames")
    expect_eof(s, "bad magic after good frames")
    s.close()
    n += 1
    return n


def truncated_cases(path, rng):
    """Frames cut short, then the client closes: no answer, the host just drops them."""
    n = 0
    for i in range(120):
        kind = i % 4
        if kind == 0:  # a partial header
            data = frame(OP_INFO, 3000 + i)[: rng.randrange(1, HDR_BYTES)]
        elif kind == 1:  # a sign body shorter than declared
            body = sign_body(os.urandom(16), MODE_RAW, os.urandom(rng.randrange(0, 500)))
            data = hdr(OP_SIGN, 3000 + i, len(body) + rng.randrange(1, 5000)) + body
        elif kind == 2:  # header promising a large (legal) body, a little of it sent
            size = rng.randrange(1000, BODY_MAX + 1)
            data = hdr(OP_ECHO, 3000 + i, size) + os.urandom(rng.randrange(0, 1000))
        else:  # a valid frame followed by a truncated one: the valid one is answered
            body = b"x" * rng.randrange(1, 100)
            data = frame(OP_ECHO, 4000 + i, body) + hdr(OP_ECHO, 5000 + i, 50) + b"y" * 10
        s = connect(path)
        s.sendall(data)
        if kind == 3:
            # Read the answer before closing: a closed socket drops answers in flight.
            got = recv_frame(s)
            if got is None:
                fail("valid frame before a truncated one: no answer")
            else:
                check_response(*got, rid=4000 + i, status=0, what="echo before truncation")
        s.shutdown(socket.SHUT_WR)
        expect_eof(s, f"truncated frame {i}")
        s.close()
        n += 1
    # A truncated frame completed slowly, in small pieces, is answered normally.
    s = connect(path)
    data = frame(OP_ECHO, 6000, b"slow and steady")
    for i in range(0, len(data), 3):
        s.sendall(data[i:i + 3])
        time.sleep(0.002)
    got = recv_frame(s)
    if got is None:
        fail("slowly written frame: closed")
    else:
        check_response(*got, rid=6000, status=0, what="slowly written frame")
        if got[1] != b"slow and steady":
            fail(f"echo body {got[1]!r}")
    s.close()
    return n


def open_cases(keys, rng):
    """(frame, rid, expected status): rejected requests that leave the connection open."""
    ed, k1, p256 = keys
    missing = bytes(16)  # all-zero id; random ids below too
    cases = []
    rid = [10000]

    def add(expected, opcode, body=b"", **kw):
        rid[0] += 1
        cases.append((frame(opcode, rid[0], body, **kw), rid[0], expected, opcode))

    def add_raw(expected, opcode, declared_len, body):
        rid[0] += 1
        cases.append((hdr(opcode, rid[0], declared_len) + body, rid[0], expected, opcode))

    d32 = os.urandom(32)
    # header: wrong version
    for v in (0, 2, 3, 0x7F, 0xFF):
        add(E["BAD_VERSION"], OP_INFO, version=v)
        add(E["BAD_VERSION"], OP_SIGN, sign_body(ed, MODE_RAW, b"m"), version=v)
    # header: unknown opcodes
    for op in [0x00, 0x04, 0x0F, 0x16, 0x1F, 0x23, 0x31, 0x43, 0x80, 0xFF]:
        add(E["UNKNOWN_OP"], op)
        add(E["UNKNOWN_OP"], op, os.urandom(rng.randrange(1, 64)))
    # header: reserved, flags, status, response flag
    for r in (1, 0x100, 0xFFFF):
        add(E["BAD_FIELD"], OP_INFO, reserved=r)
    for fl in (0x0002, 0x0004, 0x8000, 0xFFFE):
        add(E["BAD_FIELD"], OP_INFO, flags=fl)
    for fl in (FLAG_RESPONSE, FLAG_RESPONSE | 0x0002):
        add(E["BAD_FIELD"], OP_INFO, flags=fl)
        add(E["BAD_FIELD"], OP_SIGN, sign_body(ed, MODE_RAW, b"m"), flags=fl)
    for st in (1, 14, 0xFFFF):
        add(E["BAD_FIELD"], OP_INFO, status=st)
        add(E["BAD_FIELD"], OP_GENERATE, bytes([1]) + b"\0" * 7, status=st)
    # bodies of the wrong length
    add(E["BAD_LENGTH"], OP_INFO, b"\0")
    for n in (0, 7, 9, 16):
        add(E["BAD_LENGTH"], OP_GENERATE, bytes([1]) + b"\0" * max(0, n - 1) if n else b"")
    for op in (OP_PUBLIC, OP_DELETE):
        for n in (0, 15, 17, 32):
            add(E["BAD_LENGTH"], op, os.urandom(n))
    for n in (0, 7, 9):
        add(E["BAD_LENGTH"], OP_LIST, b"\0" * n)
    for n in (0, 1, 31):
        add(E["BAD_LENGTH"], OP_SIGN, sign_body(ed, MODE_RAW, b"")[:n])
    for n in (0, 4, 7):
        add(E["BAD_LENGTH"], OP_BATCH, b"\1" + b"\0" * (n - 1) if n else b"")
    # a batch declaring 2 items with room for 1
    add(E["BAD_LENGTH"], OP_BATCH, struct.pack("<I", 2) + b"\0" * 4 + b"\0" * 32)
    # sign: (data_off, data_len) outside the body
    base = len(sign_body(ed, MODE_RAW, b""))
    for off, length, payload in [
        (0, 4, b"abcd"),                # inside the fixed part
        (31, 1, b"a"),                  # overlaps the fixed part
        (base + 5, 0, b"abcd"),         # offset past the end
        (base, 5, b"abcd"),             # one byte too long
        (base, 0xFFFFFFFF, b"abcd"),    # length wraps
        (0xFFFFFFFF, 1, b"abcd"),       # offset wraps
        (0xFFFFFFF0, 0x20, b"abcd"),    # off + len overflows 32 bits
        (base + 2, 3, b"abcd"),         # ends one past the body
    ]:
        add(E["BAD_REF"], OP_SIGN, sign_body(ed, MODE_RAW, payload, off=off, length=length))
        add(E["BAD_REF"], OP_SIGN, sign_body(k1, MODE_SHA256, payload, off=off, length=length))
    # a data reference that fits the body but exceeds the 64 KiB message cap
    big = os.urandom(MSG_MAX + 1)
    add(E["TOO_LARGE"], OP_SIGN, sign_body(ed, MODE_RAW, big))
    # reserved bytes in bodies
    for res1, res2 in [(b"\1\0\0", b"\0" * 4), (b"\0\0\x80", b"\0" * 4), (b"\0\0\0", b"\0\0\0\1"),
                       (b"\xff\xff\xff", b"\xff" * 4)]:
        add(E["BAD_FIELD"], OP_SIGN, sign_body(ed, MODE_RAW, b"m", res1=res1, res2=res2))
        add(E["BAD_FIELD"], OP_SIGN, sign_body(p256, MODE_DIGEST, d32, res1=res1, res2=res2))
    for i in range(1, 8):
        b = bytearray(8)
        b[0] = 1
        b[i] = 0x01
        # bytes 1..3 are reserved, 4..7 the label length (which then disagrees with the body)
        add(E["BAD_FIELD"] if i < 4 else E["BAD_LENGTH"], OP_GENERATE, bytes(b))
    add(E["BAD_FIELD"], OP_GENERATE, bytes([1, 0, 0, 0, 3, 0, 0, 0]) + b"a b")
    add(E["BAD_FIELD"], OP_BATCH, batch_body([(ed, MODE_RAW, b"m")], reserved=b"\0\0\0\1"))
    add(E["BAD_FIELD"], OP_BATCH, batch_body([(ed, MODE_RAW, b"m")], count=0))
    add(E["BAD_FIELD"], OP_BATCH, struct.pack("<I", 257) + b"\0" * 4 + b"\0" * (32 * 257))
    # sign.tx: the frame's fields, then what the enclave's decoder refuses
    tx1 = bytes.fromhex("ec098504a817c800825208943535353535353535353535353535353535353535"
                        "880de0b6b3a764000080018080")
    for chain in (0, 3, 0xFF):
        add(E["BAD_FIELD"], OP_SIGN_TX, sign_tx_body(k1, chain, tx1))
    # a form past the last one; a message form for Solana
    add(E["BAD_FIELD"], OP_SIGN_TX, sign_tx_body(k1, 1, tx1, form=4))
    add(E["BAD_FIELD"], OP_SIGN_TX, sign_tx_body(k1, 2, tx1, form=1))
    add(E["BAD_FIELD"], OP_SIGN_TX, sign_tx_body(k1, 1, tx1, res1=b"\0\1"))
    add(E["BAD_FIELD"], OP_SIGN_TX, sign_tx_body(k1, 1, tx1, res2=b"\1\0\0\0"))
    add(E["BAD_LENGTH"], OP_SIGN_TX, sign_tx_body(k1, 1, b"")[:31])
    add(E["BAD_LENGTH"], OP_SIGN_TX, sign_tx_body(k1, 1, b""))
    add(E["BAD_REF"], OP_SIGN_TX, sign_tx_body(k1, 1, tx1, off=31))
    add(E["BAD_REF"], OP_SIGN_TX, sign_tx_body(k1, 1, tx1, length=len(tx1) + 1))
    add(E["BAD_MODE"], OP_SIGN_TX, sign_tx_body(ed, 1, tx1))
    add(E["BAD_MODE"], OP_SIGN_TX, sign_tx_body(k1, 2, bytes(65) + b"\1\0\1"))
    add(E["BAD_MODE"], OP_SIGN_TX, sign_tx_body(p256, 1, tx1))
    add(E["BAD_FIELD"], OP_SIGN_TX, sign_tx_body(k1, 1, b"\x05\xc0"))
    add(E["BAD_FIELD"], OP_SIGN_TX, sign_tx_body(k1, 1, tx1 + b"\0"))
    add(E["TRUNCATED"], OP_SIGN_TX, sign_tx_body(k1, 1, tx1[:20]))
    add(E["BAD_FIELD"], OP_LIST, struct.pack("<II", 0, 0))
    add(E["BAD_FIELD"], OP_LIST, struct.pack("<II", 0, 1025))
    # the sealing opcodes: spod-host's own ones are refused to every token (this one is
    # admin); the enclave checks them like any request. Envelopes that are not envelopes, a
    # share in ephemeral mode.
    for body in (b"", b"x", os.urandom(300)):
        if PEER["host"]:
            add(E["FORBIDDEN"], OP_LOAD, body)
            add(E["FORBIDDEN"], OP_SEAL_SETUP, body)
        else:
            add(E["BAD_LENGTH"] if not body else E["BAD_BLOB"], OP_LOAD, body)
            add(E["BAD_LENGTH"], OP_SEAL_SETUP, body)
    add(E["BAD_LENGTH"], OP_IMPORT, b"")
    add(E["BAD_LENGTH"], OP_IMPORT, os.urandom(4097))
    add(E["BAD_FIELD"], OP_IMPORT, os.urandom(200))
    add(E["BAD_FIELD"], OP_IMPORT, b"SPPE" + os.urandom(200))
    add(E["MODE_CONFLICT"], OP_SHARE, os.urandom(200))
    add(E["BAD_LENGTH"], OP_SEAL_STATUS, b"x")
    # unknown algorithm in generate
    for alg in (0, 4, 5, 0x80, 0xFF):
        add(E["UNKNOWN_ALG"], OP_GENERATE, bytes([alg]) + b"\0" * 7)
    # modes: undefined modes, and modes the key's algorithm does not have
    for mode in (4, 5, 0x80, 0xFF):
        add(E["BAD_MODE"], OP_SIGN, sign_body(ed, mode, b"m"))
        add(E["BAD_MODE"], OP_SIGN, sign_body(k1, mode, d32))
    for key in (k1, p256):
        add(E["BAD_MODE"], OP_SIGN, sign_body(key, MODE_RAW, b"raw message"))
        add(E["BAD_MODE"], OP_SIGN, sign_body(key, MODE_RAW, d32))
    for mode in (MODE_DIGEST, MODE_SHA256, MODE_KECCAK):
        add(E["BAD_MODE"], OP_SIGN, sign_body(ed, mode, d32))
    # digest mode with the wrong length (checked before the key is looked up)
    for key in (k1, p256):
        for n in (0, 1, 31, 33, 64):
            add(E["BAD_DIGEST"], OP_SIGN, sign_body(key, MODE_DIGEST, os.urandom(n)))
    # unknown key ids
    for _ in range(6):
        kid = os.urandom(16)
        add(E["KEY_NOT_FOUND"], OP_SIGN, sign_body(kid, MODE_RAW, b"m"))
        add(E["KEY_NOT_FOUND"], OP_SIGN, sign_body(kid, MODE_DIGEST, d32))
        add(E["KEY_NOT_FOUND"], OP_PUBLIC, kid)
        add(E["KEY_NOT_FOUND"], OP_DELETE, kid)
    add(E["KEY_NOT_FOUND"], OP_PUBLIC, missing)
    # a whole batch rejected by one malformed item
    add(E["BAD_DIGEST"], OP_BATCH,
        batch_body([(k1, MODE_DIGEST, d32), (p256, MODE_DIGEST, d32[:31])]))
    add(E["BAD_MODE"], OP_BATCH, batch_body([(ed, MODE_RAW, b"m"), (ed, 9, b"m")]))
    # valid requests mixed in: they must succeed on the same connection
    for key, mode, data in [(ed, MODE_RAW, b"valid"), (k1, MODE_KECCAK, b"valid"),
                            (p256, MODE_DIGEST, d32), (k1, MODE_DIGEST, d32)]:
        add(0, OP_SIGN, sign_body(key, mode, data))
    add(0, OP_PUBLIC, p256)
    add(0, OP_INFO)
    add(0, OP_ECHO, os.urandom(100))
    add(0, OP_LIST, struct.pack("<II", 0, 10))
    return cases


def run_open_cases(path, cases, what):
    """Each case on its own frame; every response matched by request id."""
    s = connect(path)
    s.sendall(b"".join(c[0] for c in cases))
    want = {c[1]: c for c in cases}
    seen = set()
    try:
        for _ in range(len(cases)):
            got = recv_frame(s)
            if got is None:
                fail(f"{what}: connection closed after {len(seen)} of {len(cases)} answers")
                break
            fields, body = got
            rid = fields[4]
            if rid not in want:
                fail(f"{what}: response for unknown request id {rid}")
                continue
            if rid in seen:
                fail(f"{what}: second response for request id {rid}")
                continue
            seen.add(rid)
            _, _, expected, opcode = want[rid]
            check_response(fields, body, rid=rid, status=expected,
                           what=f"{what} op 0x{opcode:02x} rid {rid}")
            if fields[2] != opcode:
                fail(f"{what}: rid {rid} answered with opcode 0x{fields[2]:02x}, "
                     f"sent 0x{opcode:02x}")
    except socket.timeout:
        fail(f"{what}: timed out with {len(cases) - len(seen)} answers missing")
    ok = roundtrip_ok(s, 999999, what)
    s.close()
    stats["malformed"] += sum(1 for c in cases if c[2] != 0)
    stats["valid"] += sum(1 for c in cases if c[2] == 0)
    return ok


def one_by_one(path, cases):
    """Every rejected case alone on one connection: answered before the next is sent."""
    s = connect(path)
    for data, rid, expected, opcode in cases:
        s.sendall(data)
        try:
            got = recv_frame(s)
        except socket.timeout:
            fail(f"one-by-one rid {rid}: no answer")
            break
        if got is None:
            fail(f"one-by-one rid {rid} (op 0x{opcode:02x}): connection closed")
            s.close()
            s = connect(path)
            continue
        check_response(*got, rid=rid, status=expected, what=f"one-by-one op 0x{opcode:02x}")
    roundtrip_ok(s, 424242, "one-by-one")
    s.close()
    stats["malformed"] += sum(1 for c in cases if c[2] != 0)


def random_blast(path, rng, count):
    """Random bytes on fresh connections: error frames at most, then closed; never a hang."""
    for i in range(count):
        data = os.urandom(rng.randrange(1, 3000))
        if i % 10 == 0:
            data = MAGIC[: rng.randrange(1, 4)] + data  # a plausible start
        s = connect(path)
        try:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass  # already rejected and closed: fine
        try:
            while True:
                got = recv_frame(s)
                if got is None:
                    break
                fields, body = got
                check_response(fields, body, what=f"random blast {i}")
                if fields[5] == 0:
                    fail(f"random blast {i}: random bytes were accepted: {fields}")
        except (ConnectionResetError, BrokenPipeError):
            pass
        except AssertionError as e:
            fail(f"random blast {i}: {e}")
        except socket.timeout:
            fail(f"random blast {i}: connection neither answered nor closed")
        s.close()
        stats["malformed"] += 1


def structured_fuzz(path, rng, count):
    """Valid magic/version/header with random opcode and body: exactly one answer each."""
    frames = []
    for i in range(count):
        op = rng.choice(sorted(KNOWN_OPS) + [OP_HELLO, 0x55])
        if op == OP_GENERATE:
            continue  # a random body could be a valid generate and fill the keystore
        body = os.urandom(rng.choice([0, 1, 7, 8, 15, 16, 31, 32, 33, 40, 64, 100, 300]))
        if op in (OP_SIGN, OP_BATCH) and len(body) >= 8 and rng.random() < 0.5:
            b = bytearray(body)  # plausible counts/offsets so deeper checks are reached
            if op == OP_BATCH:
                b[0:4] = struct.pack("<I", rng.randrange(0, 4))
            elif len(b) >= 32:
                b[16] = rng.randrange(0, 5)
                b[17:20] = b"\0\0\0"
                b[20:28] = struct.pack("<II", rng.randrange(0, len(b) + 4), rng.randrange(0, 40))
                b[28:32] = b"\0" * 4
            body = bytes(b)
        frames.append((frame(op, 900000 + i, body), 900000 + i, op))
    s = connect(path)
    s.sendall(b"".join(f[0] for f in frames))
    want = {f[1]: f[2] for f in frames}
    seen = set()
    try:
        while len(seen) < len(frames):
            got = recv_frame(s)
            if got is None:
                fail(f"structured fuzz: closed after {len(seen)} of {len(frames)}")
                break
            fields, body = got
            rid = fields[4]
            if rid not in want or rid in seen:
                fail(f"structured fuzz: unexpected response id {rid}")
                continue
            seen.add(rid)
            check_response(fields, body, rid=rid, what=f"structured fuzz rid {rid}")
            if fields[5] != 0 and name_of(fields[5]) == "?":
                fail(f"structured fuzz rid {rid}: status {fields[5]} is not a SPOD_E_* code")
    except socket.timeout:
        fail(f"structured fuzz: {len(frames) - len(seen)} answers missing")
    roundtrip_ok(s, 31337, "structured fuzz")
    s.close()
    stats["malformed"] += len(frames)


def boundary_cases(path, keys):
    """The largest legal frame is served; one byte more is TOO_LARGE (see closing_cases)."""
    s = connect(path)
    body = os.urandom(BODY_MAX)
    s.sendall(frame(OP_ECHO, 77, body))
    got = recv_frame(s)
    if got is None:
        fail("echo of the largest legal body: closed")
    elif check_response(*got, rid=77, status=0, what="largest legal frame") and got[1] != body:
        fail("echo of the largest legal body came back different")
    # The largest legal sign message (64 KiB) is signed; one byte more is TOO_LARGE above.
    s.sendall(frame(OP_SIGN, 78, sign_body(keys[0], MODE_RAW, os.urandom(MSG_MAX))))
    got = recv_frame(s)
    if got is None:
        fail("sign of the largest message: closed")
    else:
        check_response(*got, rid=78, status=0, what="sign of a 64 KiB message")
    s.close()


def main():
    if len(sys.argv) < 6:
        raise SystemExit(__doc__)
    path, src = sys.argv[1], sys.argv[2]
    keys = [bytes.fromhex(k) for k in sys.argv[3:6]]
    if len(sys.argv) > 7 and sys.argv[6] == "--seed":
        seed = int(sys.argv[7])
    else:
        seed = int.from_bytes(os.urandom(4), "big")
    print(f"seed {seed}", flush=True)
    rng = random.Random(seed)
    load_contract(src)
    t0 = time.monotonic()

    connect(path).close()  # learns whether the peer is spod-host
    cases = open_cases(keys, rng)
    rejected = [c for c in cases if c[2] != 0]
    n_closing = closing_cases(path, rng)
    stats["malformed"] += n_closing
    n_trunc = truncated_cases(path, rng)
    stats["malformed"] += n_trunc
    boundary_cases(path, keys)
    one_by_one(path, rejected)
    # Pipelined: all cases in one write, several rounds with fresh request ids, shuffled.
    for rnd in range(5):
        shuffled = []
        for data, rid, exp, op in cases:
            new_rid = rid + 100000 * (rnd + 1)
            shuffled.append((data[:8] + struct.pack("<Q", new_rid) + data[16:], new_rid, exp, op))
        rng.shuffle(shuffled)
        run_open_cases(path, shuffled, f"pipelined round {rnd}")
    random_blast(path, rng, 200)
    structured_fuzz(path, rng, 400)

    print(f"{stats['malformed']} malformed frames ({len(rejected)} kinds answered in place, "
          f"{n_closing} closing, {n_trunc} truncated), {stats['valid']} valid frames mixed in, "
          f"{stats['responses']} responses, {stats['connections']} connections, "
          f"{time.monotonic() - t0:.1f} s", flush=True)
    if stats["malformed"] < 1000:
        fail(f"only {stats['malformed']} malformed frames sent")
    if failures:
        print(f"{len(failures)} failures", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
