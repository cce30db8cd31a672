#!/usr/bin/python3
"""Runs the soak's clients (soak_client.py, one process each) and samples spod-host.

usage: soak_driver.py HOST_PID CLIENTS REQUESTS SOCKET HTTP_URL SRC KEYS_JSON DIR

Every SOAK_SAMPLE_S seconds (default 1) spod-host's resident set (VmRSS from
/proc/PID/status) and open descriptors (entries of /proc/PID/fd) go to DIR/samples.csv with
the requests done so far and the enclave restarts done (lines of DIR/restarts, written by
soak.sh's chaos loop); once a minute a line is printed. Stops early, failing, if the chaos
loop failed (DIR/chaos.rc non-zero) or a client died. Writes DIR/driver.json: duration,
samples before and after the traffic, client exit codes.
"""
import json
import multiprocessing as mp
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import soak_client  # noqa: E402

SAMPLE_S = float(os.environ.get("SOAK_SAMPLE_S", "1"))
PRINT_S = float(os.environ.get("SOAK_PRINT_S", "60"))


def sample(pid):
    """(rss_kib, fds) of pid, from /proc."""
    rss = None
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    return rss, len(os.listdir(f"/proc/{pid}/fd"))


def restarts(d):
    try:
        with open(os.path.join(d, "restarts")) as f:
            return sum(1 for _ in f)
    except FileNotFoundError:
        return 0


def chaos_failed(d):
    try:
        with open(os.path.join(d, "chaos.rc")) as f:
            return f.read().strip() not in ("", "0")
    except FileNotFoundError:
        return False


def main():
    pid, nclients, nreq, sock, url, src, keys, d = sys.argv[1:9]
    pid, nclients, nreq = int(pid), int(nclients), int(nreq)
    progress = mp.Array("q", nclients, lock=False)
    base = sample(pid)
    t0 = time.monotonic()
    procs = []
    for i in range(nclients):
        p = mp.Process(target=soak_client.run,
                       args=(i, nreq, sock, url, src, keys, os.path.join(d, f"client{i}"),
                             1000 + i, progress))
        p.start()
        procs.append(p)
    csv = open(os.path.join(d, "samples.csv"), "w")
    csv.write("seconds,rss_kib,fds,requests,restarts\n")
    next_sample, next_print = t0, t0 + PRINT_S
    aborted = None
    while True:
        now = time.monotonic()
        if now >= next_sample:
            rss, fds = sample(pid)
            done = sum(progress)
            csv.write(f"{now - t0:.1f},{rss},{fds},{done},{restarts(d)}\n")
            csv.flush()
            next_sample += SAMPLE_S
            if now >= next_print:
                print(f"[soak {time.strftime('%H:%M:%S')}] {now - t0:6.0f} s: "
                      f"{done}/{nclients * nreq} requests, spod-host RSS {rss / 1024:.1f} MiB, "
                      f"{fds} fds, {restarts(d)} enclave restarts", file=sys.stderr, flush=True)
                next_print += PRINT_S
        if all(not p.is_alive() for p in procs):
            break
        dead = [p for p in procs if not p.is_alive() and p.exitcode != 0]
        if dead:
            aborted = f"client exited with {dead[0].exitcode}"
        elif chaos_failed(d):
            aborted = "the enclave restart loop failed"
        if aborted:
            for p in procs:
                p.terminate()
            for p in procs:
                p.join(10)
            break
        time.sleep(min(0.5, max(0.0, next_sample - time.monotonic())))
    duration = time.monotonic() - t0
    # Connections the clients left are closed; spod-host notices within a loop iteration.
    time.sleep(2)
    end = sample(pid)
    with open(os.path.join(d, "driver.json"), "w") as f:
        json.dump({"duration_s": duration, "base": base, "end_traffic": end,
                   "exitcodes": [p.exitcode for p in procs], "aborted": aborted}, f)
    if aborted:
        print(f"soak_driver: {aborted}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
