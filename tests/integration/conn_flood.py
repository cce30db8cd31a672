#!/usr/bin/env python3
"""Connections that never authenticate, as an attacker opens them (tests/integration/hostile.sh).

Usage: conn_flood.py UNIX_PATH TCP_PORT UNIX_N TCP_N ADDR[,ADDR...] CHURN_S HOLD_S READY_FILE

Opens UNIX_N connections to the unix socket and TCP_N to 127.0.0.1:TCP_PORT from each source
ADDR (127.x.y.z), sends nothing on any of them, and for CHURN_S seconds opens a new one
whenever the server closes one (so the pressure never lets up). It creates READY_FILE once
the first round is open. Then it stops opening and waits up to HOLD_S seconds for the server
to close every connection still open (a hello deadline must do that). Prints one JSON line:
opened, closed_by_server, connect_failures, still_open (established and not closed after
HOLD_S), never_connected (connects still in progress: a full listen backlog drops SYNs, and
the kernel retries them with backoff), hold_s (how long the last one took to close).
"""
import json
import os
import resource
import select
import socket
import sys
import time


def connect_unix(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.setblocking(False)
    try:
        s.connect(path)
    except (BlockingIOError, InterruptedError):
        pass
    return s


def connect_tcp(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    s.bind((addr, 0))
    try:
        s.connect(("127.0.0.1", port))
    except (BlockingIOError, InterruptedError):
        pass
    return s


def main():
    path, port, unix_n, tcp_n, addrs, churn_s, hold_s, ready = sys.argv[1:9]
    port, unix_n, tcp_n = int(port), int(unix_n), int(tcp_n)
    churn_s, hold_s = float(churn_s), float(hold_s)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    # kinds[i]: how to open slot i again
    kinds = [("unix", None)] * unix_n + [("tcp", a) for a in addrs.split(",") for _ in range(tcp_n)]
    socks = [None] * len(kinds)
    stats = {"opened": 0, "closed_by_server": 0, "connect_failures": 0}
    poller = select.epoll()
    by_fd = {}

    def open_slot(i):
        kind, addr = kinds[i]
        try:
            s = connect_unix(path) if kind == "unix" else connect_tcp(addr, port)
        except OSError:
            stats["connect_failures"] += 1
            return
        socks[i] = s
        by_fd[s.fileno()] = i
        poller.register(s.fileno(), select.EPOLLIN | select.EPOLLRDHUP)
        stats["opened"] += 1

    def reap(timeout):
        """Slots whose connection the server closed (or refused) in the next timeout s."""
        closed = []
        for fd, ev in poller.poll(timeout):
            i = by_fd.pop(fd, None)
            if i is None:
                continue
            s = socks[i]
            try:
                data = s.recv(64)
            except (BlockingIOError, InterruptedError):
                by_fd[fd] = i
                continue
            except OSError:
                data = b""
            if data:
                by_fd[fd] = i  # the server wrote something: keep it
                continue
            poller.unregister(fd)
            s.close()
            socks[i] = None
            stats["closed_by_server"] += 1
            closed.append(i)
        return closed

    for i in range(len(kinds)):
        open_slot(i)
    open(ready, "w").close()
    end = time.monotonic() + churn_s
    while time.monotonic() < end:
        for i in reap(0.05):
            open_slot(i)
        for i, s in enumerate(socks):  # failed connects: try again
            if s is None and time.monotonic() < end:
                open_slot(i)
    t0 = time.monotonic()
    last = 0.0
    while any(s is not None for s in socks) and time.monotonic() - t0 < hold_s:
        if reap(0.1):
            last = time.monotonic() - t0
    def established(s):
        try:
            s.getpeername()
            return True
        except OSError:  # a connect still in progress (a full backlog dropped its SYN)
            return False

    open_now = [s for s in socks if s is not None]
    stats["still_open"] = sum(established(s) for s in open_now)
    stats["never_connected"] = len(open_now) - stats["still_open"]
    stats["hold_s"] = round(last, 2)
    print(json.dumps(stats))


if __name__ == "__main__":
    main()
