#!/usr/bin/python3
"""spod-host's token cache forgets tokens that are revoked or expired (docs/auth.md, "The
token cache"), never while a connection or a request in flight still holds one.

usage: token_cache.py CASE SOCKET SRC METRICS_URL HOST_PID [ARGS]
  churn N [--no-rss]  mints N tokens with `spod token create` (N/5 of them expiring after 2 s,
                 the others revoked with `spod token revoke`), each authenticating a
                 connection and signing an echo; a third keep their connection open across
                 the revocation. While held, the cache gauge (spod_tokens_cached) counts them;
                 once the held connections have been refused (UNAUTHENTICATED, closed) the
                 gauge returns to its value before the churn within 5 s, and spod-host's RSS
                 has grown by less than half of what N cache entries take (ENTRY_BYTES each);
                 --no-rss (sanitizer builds, whose quarantine keeps freed memory resident)
                 leaves the gauge as the only measure.
  hold-generate  mints a token with generate, sends one key.generate on a new connection
                 (the shell has stopped the enclave, so it stays in flight) and closes the
                 connection without waiting; prints the token id for the shell to revoke.
Every socket operation is bounded by bad_frames.TIMEOUT.
"""
import json
import os
import socket
import struct
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bad_frames as bf  # noqa: E402

ENTRY_BYTES = 17832  # sizeof(struct host_token) on x86-64 (its scopes hold 64 key entries)
SPOD = os.path.join(os.environ["SPOD_BIN"], "spod")


def fail(msg):
    print(f"token_cache: FAIL: {msg}", file=sys.stderr, flush=True)
    sys.exit(1)


def cli(*args):
    p = subprocess.run([SPOD, "--json", *args], capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        fail(f"spod {' '.join(args)}: exit {p.returncode}: {p.stderr}")
    return p.stdout


def mint(scope, expires="never"):
    d = json.loads(cli("token", "create", "--scope", scope, "--expires", expires))
    return d["token"], d["id"]


def hello(path, token, rid=1):
    s = socket_connect(path)
    s.sendall(bf.hello_frame(token.encode(), rid))
    got = bf.recv_frame(s)
    return s, (None if got is None else got[0][5])


def socket_connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(bf.TIMEOUT)
    s.connect(path)
    return s


def gauge(url):
    """spod_tokens_cached from /metrics; fails when the gauge is missing."""
    with urllib.request.urlopen(url + "/metrics", timeout=bf.TIMEOUT) as r:
        for line in r.read().decode().splitlines():
            if line.startswith("spod_tokens_cached "):
                return int(float(line.split()[1]))
    fail("/metrics has no spod_tokens_cached gauge")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    fail("no VmRSS")


def churn(path, url, pid, n, check_rss):
    before_gauge, before_rss = gauge(url), rss_kib(pid)
    held = []
    expiring = []
    for i in range(n):
        exp = i % 5 == 0
        token, tid = mint("ops=sign,list;keys=*", "2s" if exp else "never")
        s, st = hello(path, token)
        if st != 0:
            fail(f"hello with a new token: {bf.name_of(st)}")
        s.sendall(bf.frame(bf.OP_ECHO, 2, b"x"))
        got = bf.recv_frame(s)
        if got is None or got[0][5] != 0:
            fail(f"echo with a new token: {got}")
        if i % 3 == 0:
            held.append((s, token))
        else:
            s.close()
        if exp:
            expiring.append(token)
        else:
            cli("token", "revoke", tid)
            # a new connection is refused at once
            s2, st = hello(path, token, 3)
            s2.close()
            if st != bf.E["UNAUTHENTICATED"]:
                fail(f"hello with a revoked token: {bf.name_of(st)}")
    during = gauge(url)
    if during < before_gauge + len(held):
        fail(f"{len(held)} connections hold tokens but the gauge says {during} "
             f"(before: {before_gauge})")
    # Every expiring token has expired, and spod-host re-read every record (1 s).
    time.sleep(3.2)
    for s, token in held:
        s.sendall(bf.frame(bf.OP_ECHO, 4, b"x"))
        got = bf.recv_frame(s)
        if got is None or got[0][5] != bf.E["UNAUTHENTICATED"]:
            fail(f"a held connection whose token is gone was answered {got}")
        if bf.recv_frame(s) is not None:
            fail("a held connection whose token is gone stayed open")
        s.close()
    for token in expiring:
        s, st = hello(path, token, 5)
        s.close()
        if st != bf.E["UNAUTHENTICATED"]:
            fail(f"hello with an expired token: {bf.name_of(st)}")
    deadline = time.monotonic() + 5
    while (g := gauge(url)) != before_gauge:
        if time.monotonic() > deadline:
            fail(f"token cache holds {g} entries after {n} tokens were revoked or expired "
                 f"and their connections closed; {before_gauge} before")
        time.sleep(0.1)
    grown = rss_kib(pid) - before_rss
    print(f"{n} tokens minted, used, revoked or expired ({len(held)} held open across it): "
          f"cache {before_gauge} -> {during} -> {g} entries; spod-host RSS +{grown} KiB")
    if check_rss and grown * 1024 > n * ENTRY_BYTES // 2:
        fail(f"spod-host's RSS grew by {grown} KiB for {n} tokens no longer valid "
             f"(leaked entries would take {n * ENTRY_BYTES // 1024} KiB)")


def hold_generate(path):
    token, tid = mint("ops=generate,list;keys=*;labels=held-*")
    s, st = hello(path, token)
    if st != 0:
        fail(f"hello: {bf.name_of(st)}")
    label = b"held-1"
    s.sendall(bf.frame(bf.OP_GENERATE, 2, struct.pack("<B3xI", 1, len(label)) + label))
    time.sleep(0.2)  # read by spod-host and forwarded to the (stopped) enclave
    s.close()
    print(tid)


def main():
    case, path, src, url, pid = sys.argv[1:6]
    bf.load_contract(src)
    if case == "churn":
        churn(path, url, int(pid), int(sys.argv[6]), "--no-rss" not in sys.argv[7:])
    elif case == "hold-generate":
        hold_generate(path)
    else:
        fail(f"unknown case {case}")


if __name__ == "__main__":
    main()
