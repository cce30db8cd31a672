#!/usr/bin/python3
"""One soak client (tests/soak/soak.sh, docs/testing.md "Soak"): mixed requests to spod-host
over its binary unix socket (frames from tests/integration/bad_frames.py) and its HTTP API
on loopback, with churned connections and API tokens that are minted, used, revoked (or left
to expire) and then must be refused.

usage: soak_client.py INDEX REQUESTS SOCKET HTTP_URL SRC KEYS_JSON OUT_PREFIX [SEED]

Every request is synchronous and bounded in time. Each answer is one of:
  - a success: every signature in it is verified at once with python3-cryptography against
    the key's public key (a wrong one is counted as bad_signature and fails the soak) and
    written to OUT_PREFIX.acked as "KEY_ID_HEX DIGEST_HEX" (the digest the audit record holds:
    the digest signed in digest mode, else SHA-256 of the message);
  - an error: counted by front, operation and code (binary: the status name; HTTP: status
    and JSON error code). soak_check.py judges which codes are clean.
Tokens: every TOKEN_EVERY requests a token is minted with `spod token create` (one in four
with a short expiry instead of a revocation), used for TOKEN_USES requests on both fronts,
then revoked with `spod token revoke`. From the moment the revocation returns (or the expiry
passes) a new binary connection with it must be refused at its hello (no grace); its open
connection and HTTP requests, which spod-host re-checks every second (docs/auth.md), must be
refused once GRACE_S has passed. A success after that is a token_violation.
Counters go to OUT_PREFIX.json at the end; progress (requests done) to a shared array slot
when run from soak_driver.py, which imports run().
"""
import hashlib
import http.client
import json
import os
import random
import socket
import struct
import subprocess
import sys
import time
import urllib.parse

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed, encode_dss_signature

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import bad_frames as bf  # noqa: E402  (wire v1 frame builders, pinned against layout.h)

try:  # Debian's python3-pycryptodome installs the package as Cryptodome
    from Cryptodome.Hash import keccak
except ImportError:  # pragma: no cover
    from Crypto.Hash import keccak

TIMEOUT = 30.0          # seconds per request (an enclave restart is in the way at worst)
TOKEN_EVERY = 250       # requests between two minted tokens
TOKEN_USES = 40         # requests made with a minted token before it is revoked
SHORT_EXPIRY_S = 3      # the expiring tokens' lifetime
GRACE_S = 2.5           # open connections and HTTP: spod-host re-reads tokens every 1 s
CHURN = (100, 500)      # requests on one connection before it is closed and reopened
ALG_ID = {"ed25519": 1, "secp256k1": 2, "p256": 3}
SCOPE = "ops=sign,list;keys=*"


class Closed(Exception):
    """The binary connection was closed by spod-host (after an UNAUTHENTICATED answer)."""


class Bin:
    """A binary connection authenticated with one token; one request at a time."""

    def __init__(self, path, token):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(TIMEOUT)
        self.s.connect(path)
        self.rid = 1
        self.used = 0
        self.hello_status, body = self.call(bf.OP_HELLO, struct.pack("<I", len(token)) +
                                            b"\0" * 4 + token)
        self.token_id = body[:16].hex() if self.hello_status == 0 else None

    def call(self, op, body=b""):
        self.rid += 1
        self.used += 1
        try:
            self.s.sendall(bf.frame(op, self.rid, body))
            got = bf.recv_frame(self.s)
        except (BrokenPipeError, ConnectionResetError) as e:
            raise Closed(repr(e))
        if got is None:
            raise Closed("end of stream")
        fields, rbody = got
        if fields[4] != self.rid or fields[3] != bf.FLAG_RESPONSE:
            raise AssertionError(f"answer {fields} to request id {self.rid}")
        return fields[5], rbody

    def close(self):
        self.s.close()


class Http:
    """One keep-alive HTTP/1.1 connection to spod-host's API."""

    def __init__(self, url):
        u = urllib.parse.urlsplit(url)
        assert u.hostname in ("127.0.0.1", "::1", "localhost"), url
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=TIMEOUT)
        self.used = 0

    def req(self, method, path, token, body=None):
        self.used += 1
        h = {"Authorization": f"Bearer {token}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        self.conn.request(method, path, body=data, headers=h)
        r = self.conn.getresponse()
        payload = r.read()
        if r.getheader("Connection", "").lower() == "close":
            self.conn.close()
        doc = json.loads(payload) if payload and r.getheader("Content-Type", "").startswith(
            "application/json") else None
        return r.status, doc

    def close(self):
        self.conn.close()


class Keys:
    def __init__(self, path):
        self.keys = json.load(open(path))
        self.by_alg = {}
        self.verifier = {}
        for k in self.keys:
            self.by_alg[k["alg"]] = k
            pub = bytes.fromhex(k["public_key"])
            if k["alg"] == "ed25519":
                self.verifier[k["id"]] = ("ed25519", ed25519.Ed25519PublicKey.from_public_bytes(pub))
            else:
                curve = ec.SECP256K1() if k["alg"] == "secp256k1" else ec.SECP256R1()
                self.verifier[k["id"]] = (
                    "ecdsa", ec.EllipticCurvePublicKey.from_encoded_point(curve, pub))

    def verify(self, key_id, mode, data, sig):
        """True when sig is key_id's signature over data in this sign mode."""
        kind, pub = self.verifier[key_id]
        if len(sig) != 64:
            return False
        try:
            if kind == "ed25519":
                pub.verify(sig, data)
                return True
            if mode == bf.MODE_DIGEST:
                digest = data
            elif mode == bf.MODE_SHA256:
                digest = hashlib.sha256(data).digest()
            else:
                digest = keccak.new(digest_bits=256, data=data).digest()
            der = encode_dss_signature(int.from_bytes(sig[:32], "big"),
                                       int.from_bytes(sig[32:], "big"))
            pub.verify(der, digest, ec.ECDSA(Prehashed(hashes.SHA256())))
            return True
        except InvalidSignature:
            return False


def audit_digest(mode, data):
    """What spod-host's audit record holds for a signature (src/host/core/admit.c)."""
    return data if mode == bf.MODE_DIGEST else hashlib.sha256(data).digest()


class Client:
    def __init__(self, idx, nreq, sock, url, src, keys_json, out, seed, progress=None):
        bf.load_contract(src)
        self.idx, self.nreq, self.sock, self.url = idx, nreq, sock, url
        self.keys = Keys(keys_json)
        self.out = out
        self.rng = random.Random(seed)
        self.progress = progress
        self.spod = os.path.join(os.environ["SPOD_BIN"], "spod")
        self.work_token = open(os.environ["SOAK_TOKEN_FILE"]).read().strip()
        self.counts = {}   # "front op outcome" -> n
        self.acked = open(out + ".acked", "w")
        self.stats = {"signatures_verified": 0, "bad_signature": 0, "tokens_minted": 0,
                      "tokens_revoked": 0, "tokens_expired": 0, "token_refusals_checked": 0,
                      "token_violation": 0, "token_ok_within_grace": 0, "reconnects_bin": 0,
                      "reconnects_http": 0, "closed_unexpectedly": 0}
        self.problems = []
        self.bins = {}         # token -> its churned binary connection
        self.token_ids = {}    # token -> its id (hex), from the hello answer or the CLI
        self.cur_token = None
        self.http = None
        self.minted = None     # {"token", "id", "bin", "uses", "expires_at"}
        self.retired = []      # minted tokens no longer valid: {"token", "bin", "since", ...}

    # ---- bookkeeping
    def count(self, front, op, outcome):
        k = f"{front} {op} {outcome}"
        self.counts[k] = self.counts.get(k, 0) + 1

    def problem(self, what):
        self.problems.append(what)
        if len(self.problems) <= 20:
            print(f"soak client {self.idx}: {what}", file=sys.stderr, flush=True)

    def signed(self, key_id, mode, data, sig):
        if self.keys.verify(key_id, mode, data, sig):
            self.stats["signatures_verified"] += 1
            self.acked.write(f"{key_id} {audit_digest(mode, data).hex()} "
                             f"{self.token_ids.get(self.cur_token, '-')}\n")
        else:
            self.stats["bad_signature"] += 1
            self.problem(f"signature does not verify: key {key_id} mode {mode} "
                         f"data {data.hex()[:64]} sig {sig.hex()}")

    # ---- connections
    def bin_conn(self, token):
        """The churned binary connection of token: (conn, None) or (None, hello refusal)."""
        conn = self.bins.get(token)
        if conn is None or conn.used >= conn.limit:
            if conn is not None:
                conn.close()
                self.stats["reconnects_bin"] += 1
            conn = Bin(self.sock, token.encode())
            conn.limit = self.rng.randint(*CHURN)
            if conn.token_id is not None:
                self.token_ids[token] = conn.token_id
            self.bins[token] = conn
            if conn.hello_status != 0:
                del self.bins[token]
                conn.close()
                return None, bf.name_of(conn.hello_status)
        return conn, None

    def drop_bin(self, token):
        conn = self.bins.pop(token, None)
        if conn is not None:
            conn.close()

    def http_conn(self):
        if self.http is None or self.http.used >= self.http_limit:
            if self.http is not None:
                self.http.close()
                self.stats["reconnects_http"] += 1
            self.http = Http(self.url)
            self.http_limit = self.rng.randint(*CHURN)
        return self.http

    # ---- one request on each front
    def sign_item(self):
        r = self.rng.random()
        msg = os.urandom(self.rng.randint(1, 200))
        if r < 0.4:
            return self.keys.by_alg["ed25519"]["id"], bf.MODE_RAW, msg
        if r < 0.65:
            return self.keys.by_alg["secp256k1"]["id"], bf.MODE_DIGEST, os.urandom(32)
        if r < 0.75:
            return self.keys.by_alg["secp256k1"]["id"], bf.MODE_KECCAK, msg
        return self.keys.by_alg["p256"]["id"], bf.MODE_SHA256, msg

    def binary(self, token, conn):
        """One request on conn; returns the outcome name."""
        r = self.rng.random()
        if r < 0.6:
            kid, mode, data = self.sign_item()
            st, body = conn.call(bf.OP_SIGN, bf.sign_body(bytes.fromhex(kid), mode, data))
            if st == 0:
                off, ln = struct.unpack_from("<II", body, 4)
                self.signed(kid, mode, data, body[off:off + ln])
            return "sign", st
        if r < 0.7:
            items = [self.sign_item() for _ in range(self.rng.randint(2, 6))]
            st, body = conn.call(bf.OP_BATCH, bf.batch_body(
                [(bytes.fromhex(k), m, d) for k, m, d in items]))
            if st == 0:
                n = struct.unpack_from("<I", body, 0)[0]
                assert n == len(items), (n, len(items))
                for i, (kid, mode, data) in enumerate(items):
                    ist, _alg, _rec, off, ln = struct.unpack_from("<HBBII", body, 8 + 16 * i)
                    if ist != 0:
                        self.count("bin", "sign.batch.item", bf.name_of(ist))
                        continue
                    self.signed(kid, mode, data, body[off:off + ln])
            return "sign.batch", st
        if r < 0.85:
            k = self.rng.choice(self.keys.keys)
            st, body = conn.call(bf.OP_PUBLIC, bytes.fromhex(k["id"]))
            if st == 0 and bytes.fromhex(k["public_key"]) not in body:
                self.problem(f"key.public of {k['id']}: another public key")
            return "key.public", st
        if r < 0.93:
            st, _ = conn.call(bf.OP_LIST, struct.pack("<II", 0, 16))
            return "key.list", st
        st, _ = conn.call(bf.OP_ECHO, b"soak")
        return "echo", st

    def over_http(self, token):
        c = self.http_conn()
        r = self.rng.random()
        if r < 0.6:
            kid, mode, data = self.sign_item()
            if mode == bf.MODE_DIGEST:
                body = {"digest": data.hex()}
            else:
                body = {"message": data.hex()}
                if mode != bf.MODE_RAW:
                    body["hash"] = "sha256" if mode == bf.MODE_SHA256 else "keccak256"
            st, doc = c.req("POST", f"/v1/keys/{kid}/sign", token, body)
            if st == 200:
                self.signed(kid, mode, data, bytes.fromhex(doc["signature"]))
            return "sign", st, doc
        if r < 0.7:
            items = [self.sign_item() for _ in range(self.rng.randint(2, 6))]
            body = {"items": []}
            for kid, mode, data in items:
                if mode == bf.MODE_DIGEST:
                    body["items"].append({"key_id": kid, "digest": data.hex()})
                else:
                    it = {"key_id": kid, "message": data.hex()}
                    if mode != bf.MODE_RAW:
                        it["hash"] = "sha256" if mode == bf.MODE_SHA256 else "keccak256"
                    body["items"].append(it)
            st, doc = c.req("POST", "/v1/sign/batch", token, body)
            if st == 200:
                res = doc["results"]
                assert len(res) == len(items), doc
                for (kid, mode, data), it in zip(items, res):
                    if "signature" in it:
                        self.signed(kid, mode, data, bytes.fromhex(it["signature"]))
                    else:
                        self.count("http", "sign.batch.item", it.get("error", {}).get("code"))
            return "sign.batch", st, doc
        if r < 0.85:
            k = self.rng.choice(self.keys.keys)
            st, doc = c.req("GET", f"/v1/keys/{k['id']}", token)
            if st == 200 and doc.get("public_key") != k["public_key"]:
                self.problem(f"GET /v1/keys/{k['id']}: {doc}")
            return "key.public", st, doc
        if r < 0.93:
            st, doc = c.req("GET", "/v1/keys?limit=16", token)
            return "key.list", st, doc
        st, doc = c.req("GET", "/healthz", token)
        return "healthz", st, doc

    def one(self, token, conn_for_token=None):
        """One request with token on a front picked at random; counts its outcome."""
        self.cur_token = token
        if self.rng.random() < 0.6:
            conn = conn_for_token
            if conn is None:
                conn, refused = self.bin_conn(token)
                if conn is None:
                    self.count("bin", "hello", refused)
                    return refused
            try:
                op, st = self.binary(token, conn)
            except Closed as e:
                self.stats["closed_unexpectedly"] += 1
                self.problem(f"binary connection closed: {e}")
                self.drop_bin(token)
                return "CLOSED"
            outcome = "OK" if st == 0 else bf.name_of(st)
            self.count("bin", op, outcome)
            if st == bf.E["UNAUTHENTICATED"] and conn is self.bins.get(token):
                self.drop_bin(token)  # spod-host closes it after this answer
            return outcome
        try:
            op, st, doc = self.over_http(token)
        except (OSError, http.client.HTTPException) as e:
            self.http = None
            self.count("http", "request", f"EXC {type(e).__name__}")
            self.problem(f"HTTP request failed: {e!r}")
            return "EXC"
        outcome = "OK" if st == 200 else f"{st} {(doc or {}).get('error', {}).get('code', '?')}"
        self.count("http", op, outcome)
        return outcome

    # ---- tokens
    def cli(self, *args):
        p = subprocess.run([self.spod, "--json", *args], capture_output=True, text=True,
                           timeout=60)
        if p.returncode != 0:
            raise RuntimeError(f"spod {' '.join(args)}: exit {p.returncode}: {p.stderr}")
        return json.loads(p.stdout) if p.stdout.strip() else None

    def mint(self):
        expiring = self.rng.random() < 0.25
        args = ["token", "create", "--scope", SCOPE, "--expires",
                f"{SHORT_EXPIRY_S}s" if expiring else "1h"]
        t0 = time.monotonic()
        d = self.cli(*args)
        t1 = time.monotonic()
        self.stats["tokens_minted"] += 1
        # The CLI sets the expiry from its clock between t0 and t1: used until a second
        # before the earliest it can be, refused from just after the latest.
        self.token_ids[d["token"]] = d["id"]
        t = {"token": d["token"], "id": d["id"], "uses": 0, "bin": None,
             "expires_at": t0 + SHORT_EXPIRY_S - 1.0 if expiring else None,
             "expired_by": t1 + SHORT_EXPIRY_S + 0.25}
        conn = Bin(self.sock, t["token"].encode())
        if conn.hello_status != 0:
            self.problem(f"a new token's hello: {bf.name_of(conn.hello_status)}")
            conn.close()
        else:
            t["bin"] = conn
        self.minted = t

    def retire(self):
        """Revokes the minted token (or waits for its expiry) and checks it is refused."""
        t, self.minted = self.minted, None
        self.drop_bin(t["token"])
        self.token_ids.pop(t["token"], None)
        if t["expires_at"] is None:
            self.cli("token", "revoke", t["id"])
            self.stats["tokens_revoked"] += 1
            t["since"] = time.monotonic()
        else:
            t["since"] = t["expired_by"]
            self.stats["tokens_expired"] += 1
        t["checks"] = 0
        self.retired.append(t)

    def check_retired(self):
        """Requests with tokens no longer valid: refused, or a violation."""
        now = time.monotonic()
        keep = []
        for t in self.retired:
            if now < t["since"]:
                keep.append(t)
                continue
            late = now - t["since"] > GRACE_S
            if t["checks"] >= 1 and not late:
                keep.append(t)
                continue
            # A new connection: refused at its hello, at once and after the grace.
            t["checks"] += 1
            conn = Bin(self.sock, t["token"].encode())
            st = conn.hello_status
            conn.close()
            self.stats["token_refusals_checked"] += 1
            if st != bf.E["UNAUTHENTICATED"]:
                self.stats["token_violation"] += 1
                self.problem(f"token {t['id']} no longer valid: new connection's hello "
                             f"{bf.name_of(st)} after {now - t['since']:.1f} s")
            if not late:
                keep.append(t)
                continue
            # Its open connection and HTTP, past the grace.
            if t["bin"] is not None:
                try:
                    st, _ = t["bin"].call(bf.OP_ECHO, b"x")
                    ok = st != bf.E["UNAUTHENTICATED"]
                except Closed:
                    ok = False  # closed at the refresh: refused too
                t["bin"].close()
                t["bin"] = None
                self.stats["token_refusals_checked"] += 1
                if ok:
                    self.stats["token_violation"] += 1
                    self.problem(f"token {t['id']}: its open connection served after "
                                 f"{now - t['since']:.1f} s")
            try:
                st, doc = self.http_conn().req("GET", "/v1/keys?limit=1", t["token"])
            except (OSError, http.client.HTTPException) as e:
                self.http = None
                self.problem(f"HTTP probe: {e!r}")
                continue
            self.stats["token_refusals_checked"] += 1
            if st != 401:
                self.stats["token_violation"] += 1
                self.problem(f"token {t['id']}: HTTP {st} {doc} after {now - t['since']:.1f} s")
        self.retired = keep

    # ---- the run
    def run(self):
        self.bin_conn(self.work_token)  # learns the work token's id for the acked records
        for i in range(self.nreq):
            if i % TOKEN_EVERY == TOKEN_EVERY // 2 and self.minted is None:
                self.mint()
            if self.retired and i % 10 == 0:
                self.check_retired()
            t = self.minted
            if t is not None:
                outcome = self.one(t["token"], t["bin"] if self.rng.random() < 0.5 else None)
                t["uses"] += 1
                if t["uses"] >= TOKEN_USES and (
                        t["expires_at"] is None or time.monotonic() >= t["expires_at"]):
                    self.retire()
                elif t["expires_at"] is not None and outcome in ("UNAUTHENTICATED", "401 UNAUTHENTICATED"):
                    self.problem(f"token {t['id']} refused before its expiry")
            else:
                self.one(self.work_token)
            if self.progress is not None and i % 50 == 0:
                self.progress[self.idx] = i
        if self.minted is not None:
            self.retire()
        deadline = time.monotonic() + SHORT_EXPIRY_S + GRACE_S + 5
        while self.retired and time.monotonic() < deadline:
            self.check_retired()
            time.sleep(0.2)
        if self.retired:
            self.problem(f"{len(self.retired)} retired tokens left unchecked")
        for token in list(self.bins):
            self.drop_bin(token)
        if self.http is not None:
            self.http.close()
        if self.progress is not None:
            self.progress[self.idx] = self.nreq
        self.acked.close()
        with open(self.out + ".json", "w") as f:
            json.dump({"counts": self.counts, "stats": self.stats,
                       "problems": self.problems[:50], "nproblems": len(self.problems)}, f)


def run(idx, nreq, sock, url, src, keys_json, out, seed, progress=None):
    Client(idx, nreq, sock, url, src, keys_json, out, seed, progress).run()


if __name__ == "__main__":
    a = sys.argv[1:]
    run(int(a[0]), int(a[1]), a[2], a[3], a[4], a[5], a[6], int(a[7]) if len(a) > 7 else 1)
