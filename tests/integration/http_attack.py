#!/usr/bin/env python3
"""Hostile HTTP clients against spod-host, and a legitimate one that must still be served.

usage: http_attack.py CASE PORT [ARGS...]   (the admin token comes from $ADMIN)
  slowloris HEADER_S IDLE_S   connections from 30 loopback addresses send partial request
                              headers a few bytes at a time, and kept-alive connections send
                              their second header so; meanwhile a client from another address
                              gets /healthz and GET /v1/keys in time, and every slow connection
                              is closed by its deadline
  flood N PID NOFILE          N plain TCP connections (from 20 addresses) that send nothing,
                              held open, use up the descriptors of spod-host (PID, limited to
                              NOFILE); /healthz from another address answers, and spod-host's
                              CPU time over 3 s stays under half of it (no spinning)
  stall KEY_ID CALL_MS        (the enclave is stopped) four signs in flight answer 503
                              UNAVAILABLE within the call timeout; /healthz and /readyz answer
                              at once meanwhile; prints the /readyz status code
  sign KEY_ID                 one sign; prints its status code
All clients are on 127.0.0.0/8, each socket bound to its own source address; every wait is
bounded.
"""
import json
import os
import selectors
import socket
import sys
import threading
import time

LEGIT_ADDR = "127.0.2.1"
ANSWER_S = 5.0  # generous: the machine is busy and tests may run under ASan


def fail(msg):
    print(f"http_attack: FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def connect_from(addr, port, timeout=5.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((addr, 0))
    s.settimeout(timeout)
    s.connect(("127.0.0.1", port))
    return s


def request(port, method, path, addr=LEGIT_ADDR, token=None, body=None, timeout=ANSWER_S):
    """One request on a new connection from addr: (status, body bytes, seconds taken)."""
    t0 = time.monotonic()
    data = json.dumps(body).encode() if body is not None else b""
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    if token is not None:
        head += f"Authorization: Bearer {token}\r\n"
    if body is not None:
        head += f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n"
    s = connect_from(addr, port, timeout)
    try:
        s.sendall(head.encode() + b"\r\n" + data)
        raw = b""
        while True:
            left = timeout - (time.monotonic() - t0)
            if left <= 0:
                raise socket.timeout()
            s.settimeout(left)
            chunk = s.recv(65536)
            if not chunk:
                break
            raw += chunk
    finally:
        s.close()
    took = time.monotonic() - t0
    if not raw.startswith(b"HTTP/1.1 "):
        fail(f"{method} {path}: not an HTTP answer after {took:.2f} s: {raw[:80]!r}")
    head_end = raw.find(b"\r\n\r\n")
    return int(raw[9:12]), raw[head_end + 4:], took


def expect_served(port, method, path, status, token=None, body=None):
    try:
        got, payload, took = request(port, method, path, token=token, body=body)
    except (socket.timeout, OSError) as e:
        fail(f"{method} {path} from {LEGIT_ADDR}: no answer within {ANSWER_S} s ({e!r})")
    if got != status:
        fail(f"{method} {path}: {got} {payload[:200]!r}, expected {status}")
    print(f"{method} {path}: {got} in {took:.3f} s", file=sys.stderr)
    return payload


class Watched:
    """Attacking sockets and when the server closed each."""

    def __init__(self):
        self.sel = selectors.DefaultSelector()
        self.opened = {}  # socket -> (time its deadline started, allowed seconds)
        self.closed = {}  # socket -> time closed
        self.answered = []

    def add(self, s, allowed):
        s.setblocking(False)
        self.opened[s] = (time.monotonic(), allowed)
        self.sel.register(s, selectors.EVENT_READ)

    def restart(self, s, allowed):
        self.opened[s] = (time.monotonic(), allowed)

    def mark_closed(self, s):
        if s not in self.closed:
            self.closed[s] = time.monotonic()
            self.sel.unregister(s)

    def poll(self, timeout):
        for key, _ in self.sel.select(timeout):
            s = key.fileobj
            try:
                data = s.recv(4096)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if data:
                self.answered.append(data[:60])
            else:
                self.mark_closed(s)

    def trickle(self, payload):
        for s in list(self.opened):
            if s in self.closed:
                continue
            try:
                s.send(payload)
            except BlockingIOError:
                pass
            except OSError:
                self.mark_closed(s)

    def all_closed(self):
        return len(self.closed) == len(self.opened)

    def late(self, slack):
        return [(self.closed.get(s, time.monotonic()) - t0, allowed)
                for s, (t0, allowed) in self.opened.items()
                if self.closed.get(s, time.monotonic()) - t0 > allowed + slack]


def keepalive_conns(port, n, w, allowed):
    """n connections that get one answer, then start their next header (deadline restarts)."""
    for i in range(n):
        s = connect_from(f"127.0.3.{1 + i}", port)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        raw = b""
        while b'{"status":"ok"}' not in raw:
            chunk = s.recv(4096)
            if not chunk:
                fail("a kept-alive connection was closed after its first answer")
            raw += chunk
        w.add(s, allowed)
        s.send(b"GET /healthz HTTP/1.1\r\n")


def case_slowloris(port, header_s, idle_s):
    token = os.environ["ADMIN"]
    w = Watched()
    keepalive_conns(port, 8, w, idle_s + header_s)
    n_addrs, per_addr = 30, 10
    for i in range(n_addrs * per_addr):
        try:
            s = connect_from(f"127.0.1.{1 + i % n_addrs}", port)
        except OSError as e:
            fail(f"attacker connect {i}: {e!r}")
        s.send(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        w.add(s, header_s)
    print(f"{len(w.opened)} slow connections open", file=sys.stderr)
    legit_done = False
    t_start = time.monotonic()
    limit = t_start + idle_s + header_s + 8
    while not w.all_closed() and time.monotonic() < limit:
        w.trickle(b"X")
        w.poll(0.25)
        if not legit_done and time.monotonic() - t_start > 0.5:
            expect_served(port, "GET", "/healthz", 200)
            expect_served(port, "GET", "/v1/keys", 200, token=token)
            legit_done = True
    if not legit_done:
        fail("the slow connections were gone before the legitimate client ran")
    if w.answered:
        fail(f"a slow connection got an answer: {w.answered[:3]}")
    late = w.late(3.0)
    if late:
        fail(f"{len(late)} slow connection(s) not closed in time (seconds open, allowed): "
             f"{late[:5]}")
    # Served again once the attack is over.
    expect_served(port, "GET", "/healthz", 200)
    print(f"slowloris: {len(w.closed)} connections closed in time", file=sys.stderr)


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def case_flood(port, n, pid, nofile):
    conns = []
    for i in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((f"127.0.1.{1 + i % 20}", 0))
        s.setblocking(False)
        try:
            s.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        conns.append(s)
    # The legitimate connection queues behind all of them.
    expect_served(port, "GET", "/healthz", 200)
    # spod-host fits http-max-connections into its descriptor limit at start (docs/host.md,
    # "Hostile clients"): the flood must not use its descriptors up.
    time.sleep(2)
    if open_fds(pid) >= nofile - 2:
        fail(f"the flood used up spod-host's descriptors: {open_fds(pid)} of {nofile} open")
    # A measurement window, not a wait: a spinning thread would burn all of it.
    hz = os.sysconf("SC_CLK_TCK")
    t0, c0 = time.monotonic(), cpu_ticks(pid)
    time.sleep(3)
    used, window = cpu_ticks(pid) - c0, (time.monotonic() - t0) * hz
    print(f"flood: {open_fds(pid)} descriptors open, {used} ticks of CPU in {window:.0f}",
          file=sys.stderr)
    if used > window / 2:
        fail(f"spod-host spins under the flood: {used} ticks of CPU in {window:.0f}")
    expect_served(port, "GET", "/healthz", 200)
    for s in conns:
        s.close()


def case_stall(port, key_id, call_ms):
    token = os.environ["ADMIN"]
    results = []

    def sign():
        try:
            st, body, took = request(port, "POST", f"/v1/keys/{key_id}/sign", token=token,
                                     body={"message": "00"}, timeout=call_ms / 1000 + 10)
            results.append((st, body, took))
        except OSError as e:
            results.append((0, repr(e).encode(), 0))

    threads = [threading.Thread(target=sign) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(0.2)
    expect_served(port, "GET", "/healthz", 200)
    try:
        ready, body, took = request(port, "GET", "/readyz")
    except (socket.timeout, OSError) as e:
        fail(f"/readyz: no answer within {ANSWER_S} s ({e!r})")
    print(f"GET /readyz: {ready} in {took:.3f} s {body[:120]!r}", file=sys.stderr)
    for t in threads:
        t.join()
    bound = call_ms / 1000 + 3
    for st, body, took in results:
        if st != 503 or b'"UNAVAILABLE"' not in body or \
                f"did not answer within {call_ms} ms".encode() not in body:
            fail(f"a sign during the stall: {st} {body[:200]!r}")
        if took > bound:
            fail(f"a sign during the stall took {took:.2f} s (call timeout {call_ms} ms)")
    print(f"stall: {len(results)} signs answered 503 in "
          f"{max(r[2] for r in results):.2f} s at most", file=sys.stderr)
    print(ready)


def case_sign(port, key_id):
    st, body, _ = request(port, "POST", f"/v1/keys/{key_id}/sign", token=os.environ["ADMIN"],
                          body={"message": "00"})
    print(st)


def main():
    case, port, args = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    if case == "slowloris":
        case_slowloris(port, float(args[0]), float(args[1]))
    elif case == "flood":
        case_flood(port, int(args[0]), int(args[1]), int(args[2]))
    elif case == "stall":
        case_stall(port, args[0], int(args[1]))
    elif case == "sign":
        case_sign(port, args[0])
    else:
        fail(f"unknown case {case}")


if __name__ == "__main__":
    main()
