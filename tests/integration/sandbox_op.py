#!/usr/bin/python3
"""Sends debug.forbidden frames to spod-enclave-testops for tests/integration/sandbox.sh.

Usage: sandbox_op.py SOCKET_PATH SPOD_SRC killed SELECTOR
       sandbox_op.py SOCKET_PATH SPOD_SRC answered SELECTOR...

debug.forbidden (opcode 0x7f, src/enclave/sandbox.h) has a one-byte body choosing the
forbidden system call: 0 openat, 1 socket(AF_INET), 2 execve.
  killed:   the connection must close without any answer (the sandbox killed the process).
  answered: each frame must get an INTERNAL error response saying that the sandbox did not
            stop the call (the process runs with --no-sandbox).
Connecting is retried for up to CONNECT_WAIT seconds while the enclave starts; every other
socket operation has a timeout. Exit 0 when every expectation held.
"""

import os
import re
import socket
import struct
import sys
import time

CONNECT_WAIT = 20.0  # seconds (sanitizer builds start slowly)
TIMEOUT = 15.0       # seconds per socket operation
HDR = struct.Struct("<4sBBHQHHI")  # magic version opcode flags request_id status reserved body_len
MAGIC, VERSION, FLAG_RESPONSE = b"SPOD", 1, 0x0001
OP_DEBUG_FORBIDDEN = 0x7F
NAMES = {0: "openat", 1: "socket", 2: "execve"}


def die(msg):
    print(f"sandbox_op: FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def err_status(src, name):
    """The wire status of SPOD_E_<name> (include/spod/err.h)."""
    with open(os.path.join(src, "include/spod/err.h")) as f:
        m = re.search(rf"SPOD_E_{name}\s*=\s*(-\d+)", f.read())
    if not m:
        die(f"err.h lacks SPOD_E_{name}")
    return -int(m.group(1))


def connect(path):
    deadline = time.monotonic() + CONNECT_WAIT
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(TIMEOUT)
        try:
            s.connect(path)
            return s
        except (FileNotFoundError, ConnectionRefusedError):
            s.close()
            if time.monotonic() > deadline:
                die(f"nothing listening on {path} after {CONNECT_WAIT} s")
            time.sleep(0.05)


def recv_exact(s, n):
    """n bytes, or None if the peer closed (or reset) the connection first."""
    buf = b""
    while len(buf) < n:
        try:
            chunk = s.recv(n - len(buf))
        except ConnectionResetError:
            return None
        if not chunk:
            return None
        buf += chunk
    return buf


def frame(rid, sel):
    return HDR.pack(MAGIC, VERSION, OP_DEBUG_FORBIDDEN, 0, rid, 0, 0, 1) + bytes([sel])


def main():
    if len(sys.argv) < 5 or sys.argv[3] not in ("killed", "answered"):
        die(__doc__.split("\n\n")[1])
    path, src, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    sels = [int(a) for a in sys.argv[4:]]
    if any(sel not in NAMES for sel in sels) or (mode == "killed" and len(sels) != 1):
        die(f"bad selectors {sels} for {mode}")
    s = connect(path)
    if mode == "killed":
        s.sendall(frame(1, sels[0]))
        got = recv_exact(s, HDR.size)
        if got is not None:
            if HDR.unpack(got)[5] == err_status(src, "UNKNOWN_OP"):
                die("debug.forbidden is not dispatched: src/enclave/handlers.c lacks its "
                    "SPOD_TEST_OPS case (src/enclave/sandbox.h)")
            die(f"{NAMES[sels[0]]}: got an answer instead of a killed enclave: {got!r}")
        print(f"{NAMES[sels[0]]}: connection closed without an answer")
        return
    status_internal = err_status(src, "INTERNAL")
    for rid, sel in enumerate(sels, start=1):
        s.sendall(frame(rid, sel))
        hdr = recv_exact(s, HDR.size)
        if hdr is None:
            die(f"{NAMES[sel]}: connection closed; the enclave died without the sandbox")
        magic, version, opcode, flags, got_rid, status, _, blen = HDR.unpack(hdr)
        body = recv_exact(s, blen) if blen else b""
        if body is None:
            die(f"{NAMES[sel]}: connection closed inside a response")
        if (magic, version, opcode, flags, got_rid) != (MAGIC, VERSION, OP_DEBUG_FORBIDDEN,
                                                        FLAG_RESPONSE, rid):
            die(f"{NAMES[sel]}: unexpected response header {HDR.unpack(hdr)}")
        want = f"the sandbox did not stop {NAMES[sel]}".encode()
        if status != status_internal or want not in body:
            die(f"{NAMES[sel]}: status {status}, message {body!r}; want {status_internal} "
                f"and {want!r}")
        print(f"{NAMES[sel]}: answered {body.decode(errors='replace')!r}")


if __name__ == "__main__":
    main()
