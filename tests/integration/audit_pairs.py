#!/usr/bin/env python3
"""The two records of each signature in spod-host's audit log (docs/storage.md, "What
spod-host records, and when it answers"): a sign.request, committed before the answer went
out, and its outcome, a sign record naming the same req=ID, committed after.

usage: audit_pairs.py DB [--settled]
  checks that every sign.request (a sign.batch has one per item, batch=I/N) has a unique req id
  and item and result OK, and that every sign record naming a req has exactly one earlier
  sign.request with that id and item and the same key, token and digest (unless the log was
  pruned past it); prints the counts. Exit 1 on an inconsistency.
  --settled: also exit 1 while the newest sign.request has no outcome yet (outcomes commit up to
  about a millisecond after their answers; after a SIGKILL some older ones never do).
"""
import re
import sqlite3
import sys

REQ = re.compile(r"\breq=([0-9a-f]{16})\b")
ITEM = re.compile(r"\bbatch=([0-9]+)/")


def item_of(detail):
    """The request id and batch item a record names: ("<16 hex>", "I" or None), or None."""
    m = REQ.search(detail or "")
    if m is None:
        return None
    i = ITEM.search(detail)
    return (m.group(1), i.group(1) if i else None)


def main():
    db = sys.argv[1]
    settled = "--settled" in sys.argv[2:]
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    requests, outcomes, bad, pruned = {}, {}, [], 0
    first = con.execute("SELECT min(seq) FROM audit").fetchone()[0] or 1
    rows = con.execute("SELECT seq, kind, key_id, token_id, digest, result, detail FROM audit"
                       " WHERE kind IN ('sign.request', 'sign') ORDER BY seq")
    for seq, kind, key, tok, dig, res, det in rows:
        req = item_of(det)
        if kind == "sign.request":
            if req is None or res != 0 or key is None or dig is None:
                bad.append(f"seq {seq}: sign.request without req, key or digest, or not OK")
            elif req in requests:
                bad.append(f"seq {seq}: req {req} requested twice")
            else:
                requests[req] = (seq, key, tok, dig)
        elif req is not None:
            if req not in requests and first > 1:
                pruned += 1  # its sign.request may be in the pruned part of the log
            elif req not in requests:
                bad.append(f"seq {seq}: sign for req {req} without an earlier sign.request")
            elif requests[req][1:] != (key, tok, dig):
                bad.append(f"seq {seq}: sign for req {req} names another key, token or digest")
            elif req in outcomes:
                bad.append(f"seq {seq}: a second outcome for req {req}")
            outcomes[req] = seq
    pending = sorted(set(requests) - set(outcomes))
    print(f"{len(requests)} sign.request records, {len(outcomes)} with their outcome, "
          f"{len(pending)} without" + (f"; {pruned} outcomes of pruned requests" if pruned else ""))
    for b in bad[:5]:
        print(b, file=sys.stderr)
    # Outcomes queued together commit together: the newest request's outcome in the log means
    # every answered one's is (older requests without one lost theirs to a crash).
    newest = max(requests, key=lambda r: requests[r][0]) if requests else None
    if bad or (settled and newest is not None and newest not in outcomes):
        sys.exit(1)


if __name__ == "__main__":
    main()
