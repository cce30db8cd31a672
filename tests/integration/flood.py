#!/usr/bin/python3
"""Pipelined requests whose answers are much larger than they are, so the server's send
buffer fills and it must apply back-pressure, then resume on its own once drained.

Usage: flood.py SOCKET_PATH SPOD_SRC ED25519_KEY_ID [--via-host]

--via-host also checks spod-host's flow control: a client that reads its answers slowly is
paused (not dropped) while its answers would exceed its send buffer, and a client that
half-closes its connection (shutdown of its writing side) still gets every answer.

Rounds of sign.batch frames (256 empty-message Ed25519 items: 8 KiB asked, 20 KiB answered),
then ~1100 keys generated in one write and rounds of full key.list pages (32 bytes asked,
up to 99 KiB answered), then deletes. One thread writes, another reads; every request must
be answered, matched by request id, within a bounded time. Prints a summary; exit 0/1.
"""

import os
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bad_frames as bf  # noqa: E402  (frame builders and bounded socket helpers)

ROUND_TIMEOUT = 30.0
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg, file=sys.stderr, flush=True)


def pipelined(path, frames, what, check=None, slow=False, half_close=False):
    """Writes frames (list of (bytes, rid)) in one go while a thread reads the answers.
    slow: the reader pauses 2 ms after every 8 answers. half_close: shut down the writing
    side after sending, then expect every answer followed by end of stream."""
    s = bf.connect(path)
    want = {rid for _, rid in frames}
    got = {}
    errors = []

    def reader():
        try:
            while len(got) < len(want):
                r = bf.recv_frame(s)
                if r is None:
                    errors.append(f"closed after {len(got)} of {len(want)} answers")
                    return
                fields, body = r
                rid = fields[4]
                if rid not in want or rid in got:
                    errors.append(f"unexpected answer for request id {rid}")
                    return
                got[rid] = (fields, body)
                if slow and len(got) % 8 == 0:
                    time.sleep(0.002)
            if half_close and bf.recv_frame(s) is not None:
                errors.append("an extra frame after the last answer instead of end of stream")
        except (OSError, AssertionError) as e:
            errors.append(f"{e!r} after {len(got)} of {len(want)} answers")

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    t0 = time.monotonic()
    try:
        s.sendall(b"".join(f for f, _ in frames))
        if half_close:
            s.shutdown(socket.SHUT_WR)
    except OSError as e:
        errors.append(f"send: {e!r}")
    t.join(ROUND_TIMEOUT)
    if t.is_alive():
        errors.append(f"only {len(got)} of {len(want)} answers after {ROUND_TIMEOUT} s")
    s.close()
    for e in errors:
        fail(f"{what}: {e}")
    if check:
        for rid, (fields, body) in got.items():
            check(rid, fields, body)
    return got, time.monotonic() - t0


def main():
    if len(sys.argv) not in (4, 5) or (len(sys.argv) == 5 and sys.argv[4] != "--via-host"):
        raise SystemExit(__doc__)
    path, src, ed = sys.argv[1], sys.argv[2], bytes.fromhex(sys.argv[3])
    via_host = len(sys.argv) == 5
    batch_rounds = (10, 40, 50, 60, 75, 120, 250)
    list_rounds = (5, 20, 40, 60)
    bf.load_contract(src)
    bf.TIMEOUT = ROUND_TIMEOUT
    rid = [1]

    def next_rid():
        rid[0] += 1
        return rid[0]

    # ---- sign.batch: 2.5x more bytes out than in ----
    batch = bf.batch_body([(ed, bf.MODE_RAW, b"")] * 256)

    def batch_ok(r, fields, body):
        if fields[5] != 0:
            fail(f"batch {r}: status {fields[5]}")
        elif struct.unpack_from("<I", body, 0)[0] != 256:
            fail(f"batch {r}: wrong item count")

    total = 0
    for n in batch_rounds:
        frames = []
        for _ in range(n):
            r = next_rid()
            frames.append((bf.frame(bf.OP_BATCH, r, batch), r))
        got, dt = pipelined(path, frames, f"{n} batches", batch_ok)
        total += len(got)
    print(f"sign.batch: {total} batches of 256 answered", flush=True)

    # ---- key.list pages of up to 1024 keys: 3000x more out than in ----
    frames = []
    for _ in range(1100):
        r = next_rid()
        frames.append((bf.frame(bf.OP_GENERATE, r, bytes([1 + r % 3]) + b"\0" * 7), r))
    got, dt = pipelined(path, frames, "generate 1100 keys")
    ids = []
    for r, (fields, body) in got.items():
        if fields[5] != 0:
            fail(f"generate {r}: status {fields[5]}")
        else:
            ids.append(body[:16])
    print(f"generated {len(ids)} keys in {dt:.1f} s", flush=True)

    def list_ok(r, fields, body):
        if fields[5] != 0:
            fail(f"list {r}: status {fields[5]}")
            return
        count, nxt, total_keys = struct.unpack_from("<III", body, 0)
        if count != 1024 or total_keys < 1100 or nxt == 0:
            fail(f"list {r}: count {count} next {nxt} total {total_keys}")

    for n in list_rounds:
        frames = []
        for _ in range(n):
            r = next_rid()
            frames.append((bf.frame(bf.OP_LIST, r, struct.pack("<II", 0, 1024)), r))
        got, dt = pipelined(path, frames, f"{n} list pages", list_ok)
        print(f"{n} full list pages ({n * 99} KiB) answered in {dt:.1f} s", flush=True)

    frames = []
    for kid in ids:
        r = next_rid()
        frames.append((bf.frame(bf.OP_DELETE, r, kid), r))

    def delete_ok(r, fields, body):
        if fields[5] != 0:
            fail(f"delete {r}: status {fields[5]}")

    pipelined(path, frames, "delete", delete_ok)

    if via_host:
        # A slow reader owed ~6 MiB: paused by the host's flow control, never dropped.
        frames = []
        for _ in range(60):
            r = next_rid()
            frames.append((bf.frame(bf.OP_BATCH, r, batch), r))
        for _ in range(40):
            r = next_rid()
            frames.append((bf.frame(bf.OP_LIST, r, struct.pack("<II", 0, 1024)), r))
        got, dt = pipelined(path, frames, "slow reader", slow=True)
        print(f"slow reader: {len(got)} of {len(frames)} answered in {dt:.1f} s", flush=True)
        # Half-close: every request sent before shutdown(SHUT_WR) is answered, then EOF.
        frames = []
        for i in range(300):
            r = next_rid()
            frames.append((bf.frame(bf.OP_SIGN, r, bf.sign_body(ed, bf.MODE_RAW, bytes([i % 256]))), r))

        def sign_ok(r, fields, body):
            if fields[5] != 0:
                fail(f"sign {r}: status {fields[5]}")

        got, dt = pipelined(path, frames, "half-closed client", sign_ok, half_close=True)
        print(f"half-closed client: {len(got)} of {len(frames)} answered", flush=True)
    if failures:
        print(f"{len(failures)} failures", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
