#!/usr/bin/env python3
"""Connection-level token rules of spod-host (docs/auth.md, docs/protocol.md hello).

usage: auth_conn.py SOCKET SRC CASE TOKEN [ARG]
  no-hello          a request before hello is UNAUTHENTICATED and the connection closes
  bad-hello TOKEN   a hello with this (bad) token is UNAUTHENTICATED and the connection closes
  second-hello TOK  a second hello is BAD_ARG and the connection stays usable
  revoke TOKEN FILE authenticate, prove the connection works, create FILE (the shell then
                    revokes the token), and expect UNAUTHENTICATED + close within 5 s
  hello-ops TOKEN N the hello answer's ops field is N (an admin token: every op bit)
  rate TOKEN N      send 4*N echo requests at once: at most N+1 served, the rest
                    RATE_LIMITED, connection open
  label-follows TOKEN KEY FLAG NEWFILE
                    a token scoped to a label, on one open connection: sign with KEY
                    (which has the label), create FLAG (the shell deletes KEY and gives the
                    label to a new key, whose id it writes to NEWFILE), then KEY is
                    FORBIDDEN and the new key signs, still on the same connection
Every socket operation is bounded by bad_frames.TIMEOUT.
"""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bad_frames as bf  # noqa: E402

OP_INFO, OP_ECHO = 0x01, 0x02


def fail(msg):
    print(f"auth_conn: FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def expect(got, status, what):
    if got is None:
        fail(f"{what}: connection closed without an answer")
    fields, body = got
    if fields[5] != status:
        fail(f"{what}: status {bf.name_of(fields[5])} ({fields[5]}), want {bf.name_of(status)}: {body!r}")
    return body


def expect_closed(s, what):
    try:
        if bf.recv_frame(s) is not None:
            fail(f"{what}: the connection stayed open")
    except (ConnectionResetError, BrokenPipeError):
        pass
    except socket.timeout:
        fail(f"{what}: the connection was neither closed nor answered")


def main():
    path, src, case = sys.argv[1:4]
    bf.load_contract(src)
    E = bf.E
    s = bf.connect(path, hello=False)
    if case == "no-hello":
        s.sendall(bf.frame(OP_INFO, 5))
        body = expect(bf.recv_frame(s), E["UNAUTHENTICATED"], "info before hello")
        if b"hello" not in body:
            fail(f"message does not mention hello: {body!r}")
        expect_closed(s, "info before hello")
    elif case == "bad-hello":
        s.sendall(bf.hello_frame(sys.argv[4].encode(), 6))
        expect(bf.recv_frame(s), E["UNAUTHENTICATED"], "hello with a bad token")
        expect_closed(s, "hello with a bad token")
    elif case == "second-hello":
        tok = sys.argv[4].encode()
        s.sendall(bf.hello_frame(tok, 7))
        expect(bf.recv_frame(s), 0, "hello")
        s.sendall(bf.hello_frame(tok, 8))
        expect(bf.recv_frame(s), E["BAD_ARG"], "second hello")
        s.sendall(bf.frame(OP_ECHO, 9, b"still here"))
        if expect(bf.recv_frame(s), 0, "echo after a second hello") != b"still here":
            fail("echo body changed")
    elif case == "hello-ops":
        s.sendall(bf.hello_frame(sys.argv[4].encode(), 13))
        body = expect(bf.recv_frame(s), 0, "hello")
        ops = int.from_bytes(body[20:24], "little")
        if ops != int(sys.argv[5], 0):
            fail(f"hello ops 0x{ops:02x}, want {sys.argv[5]}")
    elif case == "revoke":
        tok, flag = sys.argv[4].encode(), sys.argv[5]
        s.sendall(bf.hello_frame(tok, 10))
        expect(bf.recv_frame(s), 0, "hello")
        s.sendall(bf.frame(OP_INFO, 11))
        expect(bf.recv_frame(s), 0, "info before the revocation")
        open(flag, "w").close()
        deadline = time.monotonic() + 5
        rid = 12
        while True:
            time.sleep(0.1)
            s.sendall(bf.frame(OP_INFO, rid))
            fields, body = bf.recv_frame(s) or fail("closed without an answer")
            if fields[5] == E["UNAUTHENTICATED"]:
                break
            if fields[5] != 0:
                fail(f"info while being revoked: {bf.name_of(fields[5])}")
            if time.monotonic() > deadline:
                fail("the revoked token still worked on its open connection after 5 s")
            rid += 1
        expect_closed(s, "request with a revoked token")
    elif case == "rate":
        tok, n = sys.argv[4].encode(), int(sys.argv[5])
        s.sendall(bf.hello_frame(tok, 20))
        expect(bf.recv_frame(s), 0, "hello")
        s.sendall(b"".join(bf.frame(OP_ECHO, 100 + i, b"x") for i in range(4 * n)))
        ok = limited = 0
        for _ in range(4 * n):
            fields, _ = bf.recv_frame(s) or fail("closed while rate limited")
            if fields[5] == 0:
                ok += 1
            elif fields[5] == E["RATE_LIMITED"]:
                limited += 1
            else:
                fail(f"unexpected status {bf.name_of(fields[5])}")
        if ok > n + 1 or limited == 0:
            fail(f"rate={n}: {ok} served and {limited} limited of {4 * n} sent at once")
        print(f"rate={n}: {ok} served, {limited} rate limited")
    elif case == "label-follows":
        tok, old, flag, newfile = sys.argv[4].encode(), bytes.fromhex(sys.argv[5]), sys.argv[6], sys.argv[7]
        s.sendall(bf.hello_frame(tok, 30))
        expect(bf.recv_frame(s), 0, "hello")
        s.sendall(bf.frame(bf.OP_SIGN, 31, bf.sign_body(old, bf.MODE_RAW, b"before")))
        expect(bf.recv_frame(s), 0, "sign with the labelled key")
        open(flag, "w").close()
        deadline = time.monotonic() + 20
        while not (os.path.exists(newfile) and os.path.getsize(newfile) >= 32):
            if time.monotonic() > deadline:
                fail("the shell did not relabel in 20 s")
            time.sleep(0.05)
        new = bytes.fromhex(open(newfile).read().strip())
        s.sendall(bf.frame(bf.OP_SIGN, 32, bf.sign_body(old, bf.MODE_RAW, b"after")))
        expect(bf.recv_frame(s), E["FORBIDDEN"], "sign with the key that lost the label")
        s.sendall(bf.frame(bf.OP_SIGN, 33, bf.sign_body(new, bf.MODE_RAW, b"after")))
        expect(bf.recv_frame(s), 0, "sign with the key that got the label")
    else:
        fail(f"unknown case {case}")
    s.close()


if __name__ == "__main__":
    main()
