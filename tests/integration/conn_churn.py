#!/usr/bin/python3
"""Connection churn must not ratchet spod-host's memory up: a closed connection's buffers go
back to the system.

usage: conn_churn.py SOCKET SRC METRICS_URL HOST_PID ROUNDS CONNS

Each round opens CONNS authenticated connections that each pipeline 12 echo requests of
200 KiB without reading an answer, so spod-host fills the connection's receive buffer and
holds most answers in its send buffer (2.3 MiB of touched buffers a connection); then closes
them all and waits until spod-host counts no connection (spod_clients). RSS is sampled while
they are open and after they are gone. Passes when the host loaded its buffers (the largest
RSS while open is at least 3 * BOUND above the start: the test can see a leak) and, after
the last round, RSS is within BOUND (8 MiB) of the start.
"""
import os
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bad_frames as bf  # noqa: E402

BOUND_KIB = 8 * 1024
ECHO_BYTES = 200 * 1024
ECHOS = 12


def fail(msg):
    print(f"conn_churn: FAIL: {msg}", file=sys.stderr, flush=True)
    sys.exit(1)


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    fail("no VmRSS")


def clients(url):
    with urllib.request.urlopen(url + "/metrics", timeout=bf.TIMEOUT) as r:
        for line in r.read().decode().splitlines():
            if line.startswith("spod_clients "):
                return int(float(line.split()[1]))
    fail("/metrics has no spod_clients")


def main():
    path, src, url, pid, rounds, conns = sys.argv[1:7]
    pid, rounds, conns = int(pid), int(rounds), int(conns)
    bf.load_contract(src)
    start = rss_kib(pid)
    peak, after = start, []
    body = os.urandom(ECHO_BYTES)
    for r in range(rounds):
        socks = [bf.connect(path) for _ in range(conns)]
        for s in socks:
            s.setblocking(False)
            data = b"".join(bf.frame(bf.OP_ECHO, 10 + i, body) for i in range(ECHOS))
            sent = 0
            deadline = time.monotonic() + bf.TIMEOUT
            while sent < len(data):  # until spod-host stops reading (its buffers are full)
                try:
                    sent += s.send(data[sent:])
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        break
                    time.sleep(0.01)
                    if sent >= len(data) - 2 * ECHO_BYTES:
                        break
        time.sleep(0.5)  # answers written into the send buffers
        peak = max(peak, rss_kib(pid))
        for s in socks:
            s.close()
        deadline = time.monotonic() + 20
        while clients(url) != 0:
            if time.monotonic() > deadline:
                fail("spod-host still counts connections 20 s after they closed")
            time.sleep(0.05)
        after.append(rss_kib(pid))
    print(f"{rounds} rounds of {conns} connections: spod-host RSS {start} KiB at the start, "
          f"{peak} KiB at most while they were open, after each round {after}")
    if peak - start < 3 * BOUND_KIB:
        fail(f"the connections did not load spod-host's buffers (+{peak - start} KiB)")
    if after[-1] - start > BOUND_KIB:
        fail(f"spod-host kept {after[-1] - start} KiB after every connection closed "
             f"(bound {BOUND_KIB} KiB)")


if __name__ == "__main__":
    main()
