#!/usr/bin/env python3
"""Token quotas over raw pipelined connections (docs/auth.md: keys-max, audit-rate).

usage: quota_conn.py SOCKET SRC CASE TOKEN [ARGS]
  generate TOKEN N WANT   N key.generate requests pipelined over two connections (all sent
                          before any answer is read): exactly WANT are answered OK and the
                          rest FORBIDDEN naming keys-max. Prints the new keys' ids.
  audit TOKEN R KEY_ID    the token has audit-rate=R and may sign KEY_ID: 4*R signs sent at
                          once: at most R+1 served, the rest RATE_LIMITED naming audit-rate;
                          4*R echo requests (not audited) all served; a sign.batch of R+1
                          items FORBIDDEN naming the audit-rate; a batch of R served once the
                          bucket refilled.
Every socket operation is bounded by bad_frames.TIMEOUT.
"""
import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bad_frames as bf  # noqa: E402

ALG_ED25519 = 1


def fail(msg):
    print(f"quota_conn: FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def authed(path, token):
    s = bf.connect(path, hello=False)
    s.sendall(bf.hello_frame(token, 1))
    got = bf.recv_frame(s)
    if got is None or got[0][5] != 0:
        fail(f"hello refused: {got}")
    return s


def answers(s, n, what):
    """n answers: a list of (status, body), in the order they come."""
    out = []
    for _ in range(n):
        got = bf.recv_frame(s)
        if got is None:
            fail(f"{what}: the connection closed after {len(out)} of {n} answers")
        out.append((got[0][5], got[1]))
    return out


def generate(path, token, n, want):
    conns = [authed(path, token) for _ in range(2)]
    per = [n // 2, n - n // 2]
    body = struct.pack("<B3xI", ALG_ED25519, 0)
    for c, k in zip(conns, per):
        c.sendall(b"".join(bf.frame(bf.OP_GENERATE, 100 + i, body) for i in range(k)))
    got = []
    for c, k in zip(conns, per):
        got += answers(c, k, "pipelined generates")
    ok = [b for st, b in got if st == 0]
    refused = [b for st, b in got if st == bf.E["FORBIDDEN"]]
    other = [(bf.name_of(st), b) for st, b in got if st not in (0, bf.E["FORBIDDEN"])]
    if other:
        fail(f"unexpected answers: {other[:3]}")
    if len(ok) != want or len(refused) != n - want:
        fail(f"{len(ok)} keys made and {len(refused)} refused of {n}, want {want} made")
    for b in refused:
        if b"keys-max" not in b:
            fail(f"a refusal does not name keys-max: {b!r}")
    for b in ok:
        print(b[:16].hex())


def audit(path, token, rate, key_id):
    s = authed(path, token)
    digest = os.urandom(32)
    n = 4 * rate
    s.sendall(b"".join(bf.frame(bf.OP_SIGN, 200 + i, bf.sign_body(key_id, bf.MODE_DIGEST, digest))
                       for i in range(n)))
    got = answers(s, n, "signs")
    served = [st for st, _ in got if st != bf.E["RATE_LIMITED"]]
    limited = [b for st, b in got if st == bf.E["RATE_LIMITED"]]
    if any(st != 0 for st in served):
        fail(f"a sign failed: {[bf.name_of(st) for st in served]}")
    if len(served) > rate + 1 or not limited:
        fail(f"audit-rate={rate}: {len(served)} signs served and {len(limited)} limited of {n}")
    if any(b"audit-rate" not in b for b in limited):
        fail(f"a refusal does not name the audit-rate: {limited[0]!r}")
    s.sendall(b"".join(bf.frame(bf.OP_ECHO, 300 + i, b"x") for i in range(n)))
    if any(st != 0 for st, _ in answers(s, n, "echo")):
        fail("an echo (not audited) was refused")
    items = [(key_id, bf.MODE_DIGEST, digest)] * (rate + 1)
    s.sendall(bf.frame(bf.OP_BATCH, 400, bf.batch_body(items)))
    (st, body), = answers(s, 1, "batch")
    if st != bf.E["FORBIDDEN"] or b"audit-rate" not in body:
        fail(f"a batch of {rate + 1} items: {bf.name_of(st)} {body!r}")
    deadline = time.monotonic() + 10
    while True:
        time.sleep(1.1)  # a full refill
        s.sendall(bf.frame(bf.OP_BATCH, 401, bf.batch_body(items[:rate])))
        (st, body), = answers(s, 1, "batch")
        if st == 0:
            break
        if st != bf.E["RATE_LIMITED"] or time.monotonic() > deadline:
            fail(f"a batch of {rate} items after a refill: {bf.name_of(st)} {body!r}")
    print(f"audit-rate={rate}: {len(served)} of {n} signs served, {len(limited)} rate limited")


def main():
    path, src, case, token = sys.argv[1:5]
    bf.load_contract(src)
    for name in ("FORBIDDEN", "RATE_LIMITED"):
        if name not in bf.E:
            fail(f"err.h lacks SPOD_E_{name}")
    if case == "generate":
        generate(path, token.encode(), int(sys.argv[5]), int(sys.argv[6]))
    elif case == "audit":
        audit(path, token.encode(), int(sys.argv[5]), bytes.fromhex(sys.argv[6]))
    else:
        fail(f"unknown case {case}")


if __name__ == "__main__":
    main()
