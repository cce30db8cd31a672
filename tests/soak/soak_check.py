#!/usr/bin/python3
"""The soak's verdict (tests/soak/soak.sh): reads what the clients and the driver wrote in
DIR, the pod's database and the final samples, prints the summary and exits 1 on any failure.

usage: soak_check.py DIR DB FINAL_RSS_KIB FINAL_FDS HOST_CLIENTS_GAUGE HTTP_THREADS AUDIT_VERIFY

Checks:
  - no signature failed to verify, no token violation, no unexpected outcome: an error is
    clean when it is one spod-host gives while the enclave is down or restarting (binary
    UNAVAILABLE, NOT_PROVISIONED, BUSY, TIMEOUT; HTTP 503 and 504 with those codes);
  - every acknowledged signature has its audit record (kind sign, result OK, same key, same
    digest, the token it was made with), joined in SQLite over the database read-only;
  - RSS flat: samples of the first WARMUP (20 %) of the traffic are dropped, the rest cut in
    quarters by time; the last quarter's largest RSS may exceed the first quarter's largest
    by at most max(2 MiB, the first quarter's own spread (max - min)). 2 MiB is one client
    connection's send buffer (CLIENT_TX_BYTES), the largest single allocation spod-host
    makes per connection; the spread is the noise already seen at steady state. A leak
    that grows with traffic rises by three quarters' worth between the two maxima while
    the spread holds one, so any leak larger than the noise fails;
  - descriptors back at baseline: after the traffic and a last enclave restart, spod-host
    holds at most its descriptors from before the traffic plus two per binary connection
    still open (spod_clients, read at the same time; it also counts the HTTP executors'
    cached in-process channels, which hold no descriptor, src/host/http/cache.h).
"""
import glob
import json
import os
import sqlite3
import sys

CLEAN_BIN = {"UNAVAILABLE", "NOT_PROVISIONED", "BUSY", "TIMEOUT"}
CLEAN_HTTP = {"503 UNAVAILABLE", "503 NOT_PROVISIONED", "503 BUSY", "504 TIMEOUT"}
WARMUP = 0.2
TX_BUFFER_KIB = 2048
CACHE_PER_THREAD = 8


def main():
    d, db = sys.argv[1], sys.argv[2]
    final_rss, final_fds, gauge, threads = (int(x) for x in sys.argv[3:7])
    audit_verify = sys.argv[7]
    failures = []
    drv = json.load(open(os.path.join(d, "driver.json")))

    # ---- clients
    counts, stats, problems = {}, {}, []
    for f in sorted(glob.glob(os.path.join(d, "client*.json"))):
        c = json.load(open(f))
        for k, v in c["counts"].items():
            counts[k] = counts.get(k, 0) + v
        for k, v in c["stats"].items():
            stats[k] = stats.get(k, 0) + v
        problems += c["problems"][:5]
    if len(glob.glob(os.path.join(d, "client*.json"))) != len(drv["exitcodes"]):
        failures.append("a client wrote no results")
    by_front = {}
    unexpected = {}
    for k, v in sorted(counts.items()):
        front, op, outcome = k.split(" ", 2)
        by_front.setdefault(front, {}).setdefault(op, {})[outcome] = v
        clean = outcome == "OK" or (outcome in CLEAN_BIN if front == "bin" else outcome in CLEAN_HTTP)
        if op == "hello" and outcome != "OK":
            clean = False
        if not clean:
            unexpected[k] = v

    # ---- audit
    acked = 0
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    con.execute("ATTACH ':memory:' AS m")
    con.execute("CREATE TABLE m.acked (key_id BLOB, digest BLOB, token_id BLOB)")
    for f in glob.glob(os.path.join(d, "client*.acked")):
        rows = []
        for line in open(f):
            k, dg, t = line.split()
            rows.append((bytes.fromhex(k), bytes.fromhex(dg), bytes.fromhex(t) if t != "-" else None))
        con.executemany("INSERT INTO m.acked VALUES (?, ?, ?)", rows)
        acked += len(rows)
    con.execute("CREATE TABLE m.au AS SELECT key_id, digest, token_id FROM audit "
                "WHERE kind = 'sign' AND result = 0")
    con.execute("CREATE INDEX m.au_digest ON au (digest)")
    missing = con.execute(
        "SELECT count(*) FROM m.acked a WHERE NOT EXISTS (SELECT 1 FROM m.au u WHERE "
        "u.digest = a.digest AND u.key_id = a.key_id AND "
        "(a.token_id IS NULL OR u.token_id = a.token_id))").fetchone()[0]
    no_token = con.execute("SELECT count(*) FROM m.acked WHERE token_id IS NULL").fetchone()[0]
    audited = acked - missing
    records = con.execute("SELECT count(*) FROM audit").fetchone()[0]
    outcome_unknown = con.execute(
        "SELECT count(*) FROM audit WHERE kind = 'sign' AND detail LIKE '%outcome unknown%'"
    ).fetchone()[0]

    # ---- samples
    rows = []
    with open(os.path.join(d, "samples.csv")) as f:
        next(f)
        for line in f:
            t, rss, fds, req, rs = line.strip().split(",")
            rows.append((float(t), int(rss), int(fds), int(req), int(rs)))
    dur = drv["duration_s"]
    steady = [r for r in rows if r[0] >= WARMUP * dur]
    q = (dur - WARMUP * dur) / 4
    first = [r for r in steady if r[0] < WARMUP * dur + q]
    last = [r for r in steady if r[0] >= WARMUP * dur + 3 * q]
    base_rss, base_fds = drv["base"]
    end_rss, end_fds = drv["end_traffic"]
    rss_all = [r[1] for r in rows]
    fds_all = [r[2] for r in rows]
    restarts = rows[-1][4] if rows else 0
    down_ms = []
    if os.path.exists(os.path.join(d, "restarts")):
        down_ms = [int(line.split()[1]) for line in open(os.path.join(d, "restarts"))]
    if len(first) < 2 or len(last) < 2:
        failures.append(f"too few RSS samples to judge ({len(rows)}): run longer or sample "
                        "more often (SOAK_SAMPLE_S)")
        rss_verdict = "not judged"
    else:
        f_max, f_min = max(r[1] for r in first), min(r[1] for r in first)
        l_max = max(r[1] for r in last)
        bound = max(TX_BUFFER_KIB, f_max - f_min)
        rss_verdict = (f"first quarter max {f_max / 1024:.1f} MiB (spread "
                       f"{(f_max - f_min) / 1024:.1f}), last quarter max {l_max / 1024:.1f} MiB: "
                       f"+{(l_max - f_max) / 1024:.1f} MiB, bound {bound / 1024:.1f} MiB")
        if l_max - f_max > bound:
            failures.append(f"RSS not flat: {rss_verdict}")
            rss_verdict += " -> GROWING"
        else:
            rss_verdict += " -> flat"
    # The gauge and the final count are taken together, after the last restart, with every
    # client gone: what spod-host holds beyond its start must be the HTTP cache's connections.
    fd_allow = base_fds + 2 * gauge
    fd_verdict = (f"before traffic {base_fds}, after the traffic and a last restart "
                  f"{final_fds} with {gauge} binary connections open (the HTTP executors' "
                  f"cache, at most {threads * CACHE_PER_THREAD}): allowed {fd_allow}")
    if final_fds > fd_allow or gauge > threads * CACHE_PER_THREAD:
        failures.append(f"descriptors not back at baseline: {fd_verdict}")
        fd_verdict += " -> LEAK"
    else:
        fd_verdict += " -> baseline"

    # ---- verdicts
    if stats.get("bad_signature"):
        failures.append(f"{stats['bad_signature']} signatures did not verify")
    if stats.get("token_violation"):
        failures.append(f"{stats['token_violation']} requests with revoked or expired tokens "
                        "were served")
    if unexpected:
        failures.append(f"unexpected outcomes: {unexpected}")
    if missing:
        failures.append(f"{missing} of {acked} acknowledged signatures have no audit record")
    if stats.get("closed_unexpectedly"):
        failures.append(f"{stats['closed_unexpectedly']} connections closed unexpectedly")
    if "intact" not in audit_verify:
        failures.append(f"audit verify: {audit_verify}")
    if drv.get("aborted"):
        failures.append(f"aborted: {drv['aborted']}")

    # ---- summary
    total = sum(counts.values())
    print("==== soak summary ====")
    print(f"duration {dur:.0f} s, {len(drv['exitcodes'])} clients, {total} outcomes counted, "
          f"{restarts} enclave restarts (SIGKILL) during the traffic" +
          (f", each down (kill to keys served again) {sum(down_ms) / len(down_ms):.0f} ms "
           f"on average, {max(down_ms)} ms at most" if down_ms else ""))
    for front, ops in by_front.items():
        for op, outs in ops.items():
            print(f"  {front:4} {op:16} " + ", ".join(f"{o}: {n}" for o, n in
                                                      sorted(outs.items(), key=lambda x: -x[1])))
    print(f"signatures verified {stats.get('signatures_verified', 0)}, did not verify "
          f"{stats.get('bad_signature', 0)}; acknowledged {acked}, audited {audited} "
          f"({no_token} without a known token id); audit log {records} records, "
          f"{outcome_unknown} sign records 'outcome unknown' (lost with an enclave)")
    print(f"tokens: minted {stats.get('tokens_minted', 0)}, revoked "
          f"{stats.get('tokens_revoked', 0)}, expired {stats.get('tokens_expired', 0)}; "
          f"{stats.get('token_refusals_checked', 0)} refusals checked, "
          f"{stats.get('token_violation', 0)} violations")
    print(f"connections reopened: binary {stats.get('reconnects_bin', 0)}, HTTP "
          f"{stats.get('reconnects_http', 0)}")
    print(f"spod-host RSS MiB: start {base_rss / 1024:.1f}, end {end_rss / 1024:.1f}, max "
          f"{max(rss_all + [end_rss]) / 1024:.1f}, after the final restart {final_rss / 1024:.1f}")
    print(f"spod-host fds: start {base_fds}, end {end_fds}, max {max(fds_all + [end_fds])}, "
          f"after the final restart {final_fds}")
    print(f"RSS: {rss_verdict}")
    print(f"fds: {fd_verdict}")
    print(f"audit verify: {audit_verify}")
    for p in problems[:20]:
        print(f"  problem: {p}")
    if failures:
        for f in failures:
            print(f"FAIL: {f}")
        sys.exit(1)
    print("PASS")


if __name__ == "__main__":
    main()
