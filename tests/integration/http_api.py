#!/usr/bin/env python3
"""spod-host's HTTP/JSON API against docs/openapi.yaml and the binary path.

usage: http_api.py CASE BASE_URL SRC [ARGS...]   (tokens come from the environment)
  routes ROUTES_FILE   every documented route is answered (never 404/405) and every route the
                       server lists (spod-host --list-routes, in ROUTES_FILE) is documented
  api                  keys, signatures, batch and attestation over one keep-alive connection;
                       prints JSON lines the shell compares with the CLI (binary path)
  errors               each bad input gets its specific 4xx and a JSON error; the server keeps
                       serving
  provision            the provisioning routes in ephemeral mode: seal status (any token),
                       /readyz's JSON, a garbage import envelope, a share refused for the
                       mode, tokens without the provision/import ops, oversized envelopes
  metric NAME          prints the value of one metric line (exact text before the value)
  ready                prints the /readyz status code
  readyz               prints the /readyz status code and body
  status METHOD PATH [BODY]  prints the status code and body of one request with $ADMIN
Every request has a timeout; every error body must be {"error": {"code", "message"}}.
"""
import base64
import http.client
import json
import os
import re
import socket
import sys
import urllib.parse

import yaml

TIMEOUT = 20


def fail(msg):
    print(f"http_api: FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


class Client:
    def __init__(self, base):
        u = urllib.parse.urlsplit(base)
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=TIMEOUT)

    def req(self, method, path, body=None, token=None, ctype="application/json", raw=None,
            headers=None):
        h = dict(headers or {})
        if token is not None:
            h["Authorization"] = f"Bearer {token}"
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        if data is not None and ctype:
            h["Content-Type"] = ctype
        self.conn.request(method, path, body=data, headers=h)
        r = self.conn.getresponse()
        payload = r.read()
        if r.getheader("Connection", "").lower() == "close":
            self.conn.close()
        return r.status, r.getheader("Content-Type", ""), payload, r


def as_json(status, ctype, payload, what):
    if "application/json" not in ctype:
        fail(f"{what}: status {status}, Content-Type {ctype!r}: {payload[:200]!r}")
    try:
        return json.loads(payload)
    except ValueError:
        fail(f"{what}: body is not JSON: {payload[:200]!r}")


def expect(c, want, method, path, what, code=None, **kw):
    status, ctype, payload, r = c.req(method, path, **kw)
    if status != want:
        fail(f"{what}: {method} {path} answered {status}, want {want}: {payload[:300]!r}")
    if status == 204:
        return None, r
    d = as_json(status, ctype, payload, what)
    if status >= 400:
        err = d.get("error") if isinstance(d, dict) else None
        if not isinstance(err, dict) or not isinstance(err.get("code"), str) \
                or not isinstance(err.get("message"), str) or not err["message"]:
            fail(f"{what}: error body is not {{error: {{code, message}}}}: {d}")
        if code is not None and err["code"] != code:
            fail(f"{what}: error code {err['code']}, want {code}: {err['message']}")
    return d, r


def documented(src):
    with open(os.path.join(src, "docs/openapi.yaml")) as f:
        spec = yaml.safe_load(f)
    out = set()
    for path, ops in spec["paths"].items():
        for method in ops:
            if method.lower() in ("get", "post", "put", "delete", "patch"):
                out.add((method.upper(), path))
    return spec, out


def case_routes(base, src, routes_file):
    spec, doc = documented(src)
    served = set()
    for line in open(routes_file).read().splitlines():
        if line.strip():
            m, p = line.split()
            served.add((m, p))
    if doc != served:
        fail(f"documented but not served: {sorted(doc - served)}; "
             f"served but not documented: {sorted(served - doc)}")
    c = Client(base)
    admin = os.environ["ADMIN"]
    kid = "00" * 16
    for method, path in sorted(doc):
        p = path.replace("{id}", kid)
        body = {} if method == "POST" else None
        status, _, payload, _ = c.req(method, p, body=body, token=admin)
        if status == 405 or (status == 404 and b"NOT_FOUND" in payload and b"KEY_NOT_FOUND" not in payload):
            fail(f"documented route {method} {path} is not answered: {status} {payload[:200]!r}")
    print(f"{len(doc)} routes documented and served")


def case_api(base, src):
    c = Client(base)
    tok = os.environ["ADMIN"]
    out = {}
    for alg in ("ed25519", "secp256k1", "p256"):
        d, _ = expect(c, 201, "POST", "/v1/keys", f"create {alg}", body={"alg": alg}, token=tok)
        if d["alg"] != alg or not re.fullmatch(r"[0-9a-f]{32}", d["id"]):
            fail(f"create {alg}: {d}")
        g, _ = expect(c, 200, "GET", f"/v1/keys/{d['id']}", "get key", token=tok)
        if g["public_key"] != d["public_key"]:
            fail(f"get key: {g} vs {d}")
        out[alg] = {"id": d["id"], "public_key": d["public_key"]}
    msg = "68656c6c6f2c207370656421"
    s, _ = expect(c, 200, "POST", f"/v1/keys/{out['ed25519']['id']}/sign", "sign ed25519",
                  body={"message": msg}, token=tok)
    out["ed25519"]["sig"] = s["signature"]
    s, _ = expect(c, 200, "POST", f"/v1/keys/{out['secp256k1']['id']}/sign", "sign keccak",
                  body={"message": msg, "hash": "keccak256"}, token=tok)
    if s.get("recid") not in (0, 1) or s.get("v") != 27 + s["recid"] or s["r"] + s["s"] != s["signature"]:
        fail(f"secp256k1 signature fields: {s}")
    out["secp256k1"]["sig"] = s["signature"]
    b64 = __import__("base64").b64encode(bytes.fromhex(msg)).decode()
    s2, _ = expect(c, 200, "POST", f"/v1/keys/{out['secp256k1']['id']}/sign", "sign base64",
                   body={"message": b64, "encoding": "base64", "hash": "keccak256"}, token=tok)
    if s2["signature"] != s["signature"]:
        fail("the same message as hex and as base64 signed differently")
    dig = "11" * 32
    s, _ = expect(c, 200, "POST", f"/v1/keys/{out['p256']['id']}/sign", "sign p256 digest",
                  body={"digest": dig}, token=tok)
    out["p256"]["sig"] = s["signature"]
    items = [{"key_id": out["ed25519"]["id"], "message": msg},
             {"key_id": out["secp256k1"]["id"], "message": msg, "hash": "keccak256"},
             {"key_id": "ff" * 16, "digest": dig}]
    b, _ = expect(c, 200, "POST", "/v1/sign/batch", "batch", body={"items": items}, token=tok)
    res = b["results"]
    if len(res) != 3 or res[0].get("signature") != out["ed25519"]["sig"] \
            or res[1].get("signature") != out["secp256k1"]["sig"] \
            or res[2].get("error", {}).get("code") != "KEY_NOT_FOUND":
        fail(f"batch results: {res}")
    lst, _ = expect(c, 200, "GET", "/v1/keys?limit=2", "list page 1", token=tok)
    if len(lst["keys"]) != 2 or lst["next_cursor"] is None:
        fail(f"list page 1: {lst}")
    lst2, _ = expect(c, 200, "GET", f"/v1/keys?limit=2&cursor={lst['next_cursor']}", "list page 2", token=tok)
    ids = {k["id"] for k in lst["keys"] + lst2["keys"]}
    if not {v["id"] for v in out.values()} <= ids:
        fail(f"list pages miss keys: {ids}")
    a, _ = expect(c, 200, "POST", "/v1/attest", "attest", body={"nonce": "abcd", "key_id": out["p256"]["id"]}, token=tok)
    with open(os.environ["DOC_OUT"], "wb") as f:
        f.write(__import__("base64").b64decode(a["document"]))
    _, r = expect(c, 204, "DELETE", f"/v1/keys/{out['p256']['id']}", "delete", token=tok)
    expect(c, 404, "GET", f"/v1/keys/{out['p256']['id']}", "get deleted", code="KEY_NOT_FOUND", token=tok)
    if c.conn.sock is None:
        fail("the server closed the keep-alive connection")
    print(json.dumps(out))


def case_errors(base, src):
    c = Client(base)
    tok, kid = os.environ["ADMIN"], os.environ["KEY"]
    sign = f"/v1/keys/{kid}/sign"
    cases = [
        (401, "UNAUTHENTICATED", "POST", sign, dict(body={"message": "aa"})),
        (401, "UNAUTHENTICATED", "POST", sign, dict(body={"message": "aa"}, token="spod_nope")),
        (401, "UNAUTHENTICATED", "POST", sign, dict(body={"message": "aa"}, token=os.environ["REVOKED"])),
        (401, "UNAUTHENTICATED", "POST", sign, dict(body={"message": "aa"}, headers={"Authorization": "Basic Zm9vOmJhcg=="})),
        (403, "FORBIDDEN", "POST", sign, dict(body={"message": "aa"}, token=os.environ["LIST_ONLY"])),
        (403, "FORBIDDEN", "POST", "/v1/keys", dict(body={"alg": "ed25519"}, token=os.environ["LIST_ONLY"])),
        (404, "NOT_FOUND", "GET", "/v1/nothing", dict(token=tok)),
        (404, "NOT_FOUND", "GET", "/v1/keys/" + kid + "/extra", dict(token=tok)),
        (405, "METHOD_NOT_ALLOWED", "PUT", "/v1/keys", dict(body={}, token=tok)),
        (405, "METHOD_NOT_ALLOWED", "GET", sign, dict(token=tok)),
        (415, "UNSUPPORTED_MEDIA_TYPE", "POST", sign, dict(raw=b'{"message":"aa"}', ctype="text/plain", token=tok)),
        (415, "UNSUPPORTED_MEDIA_TYPE", "POST", sign, dict(raw=b'{"message":"aa"}', ctype=None, token=tok)),
        (400, "BAD_JSON", "POST", sign, dict(raw=b'{"message": "aa"', token=tok)),
        (400, "BAD_JSON", "POST", sign, dict(raw=b"\xff\xfe", token=tok)),
        (400, "BAD_ARG", "POST", sign, dict(body={"message": 12}, token=tok)),
        (400, "BAD_ARG", "POST", sign, dict(body={"message": "aa", "colour": "red"}, token=tok)),
        (400, "BAD_ARG", "POST", sign, dict(body={"message": "zz"}, token=tok)),
        (400, "BAD_ARG", "POST", sign, dict(body={"message": "aa", "digest": "bb" * 32}, token=tok)),
        (400, "BAD_ARG", "POST", sign, dict(body={}, token=tok)),
        (400, "BAD_ARG", "POST", sign, dict(body={"digest": "bb" * 31}, token=tok)),
        (400, "BAD_ARG", "POST", sign, dict(body={"message": "aa", "hash": "md5"}, token=tok)),
        (400, "BAD_ARG", "POST", sign, dict(body=["message"], token=tok)),
        (400, "BAD_ARG", "POST", "/v1/keys", dict(body={"alg": "rsa"}, token=tok)),
        (400, "BAD_ARG", "POST", "/v1/keys", dict(body={"alg": "ed25519", "label": "a b"}, token=tok)),
        (400, "BAD_ARG", "POST", "/v1/sign/batch", dict(body={"items": []}, token=tok)),
        (400, "BAD_ARG", "POST", "/v1/sign/batch", dict(body={"items": [{"key_id": kid, "message": "aa"}] * 257}, token=tok)),
        (400, "BAD_ARG", "GET", "/v1/keys/not-a-key-id", dict(token=tok)),
        (400, "BAD_ARG", "GET", "/v1/keys?limit=0", dict(token=tok)),
        (400, None, "POST", sign, dict(body={"digest": "bb" * 32}, token=tok)),  # Ed25519 has no digest mode
        (404, "KEY_NOT_FOUND", "POST", f"/v1/keys/{'ab' * 16}/sign", dict(body={"message": "aa"}, token=tok)),
    ]
    for i, (status, code, method, path, kw) in enumerate(cases):
        c = Client(base)
        expect(c, status, method, path, f"error case {i}", code=code, **kw)
        expect(Client(base), 200, "GET", "/healthz", f"health after case {i}")
    # A declared body over the limit is refused from the headers, before any of it is sent.
    u = urllib.parse.urlsplit(base)
    with socket.create_connection((u.hostname, u.port), timeout=TIMEOUT) as sk:
        sk.sendall((f"POST {sign} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {tok}\r\n"
                    f"Content-Type: application/json\r\nContent-Length: {2 << 20}\r\n\r\n").encode())
        r = http.client.HTTPResponse(sk)
        r.begin()
        body = r.read()
        if r.status != 413 or json.loads(body)["error"]["code"] != "TOO_LARGE":
            fail(f"oversized body: {r.status} {body[:200]!r}")
    expect(Client(base), 200, "GET", "/healthz", "health after an oversized body")
    # Without a declared length (chunked), the body is read up to the limit, the rest dropped.
    c = Client(base)
    chunks = (b"a" * 65536 for _ in range(32))
    c.conn.request("POST", sign, body=chunks, encode_chunked=True,
                   headers={"Authorization": f"Bearer {tok}", "Content-Type": "application/json"})
    r = c.conn.getresponse()
    body = r.read()
    if r.status != 413 or json.loads(body)["error"]["code"] != "TOO_LARGE":
        fail(f"oversized chunked body: {r.status} {body[:200]!r}")
    expect(Client(base), 200, "GET", "/healthz", "health after an oversized chunked body")
    # rate limit: the token allows 3 per second
    c = Client(base)
    codes = [c.req("POST", sign, body={"message": "aa"}, token=os.environ["SLOW"])[0] for _ in range(8)]
    if 429 not in codes or codes.count(200) > 4:
        fail(f"rate limit: {codes}")
    print(f"{len(cases)} bad requests answered with their 4xx; rate limit {codes}")


SEAL_FIELDS = ("mode", "ready", "seal_key_id", "shares_present", "shares_needed", "shares_total")


def case_provision(base, src):
    c = Client(base)
    tok, list_only = os.environ["ADMIN"], os.environ["LIST_ONLY"]
    st, _ = expect(c, 200, "GET", "/v1/custodian/status", "seal status", token=tok)
    if set(st) != set(SEAL_FIELDS) | {"keys"} or st["mode"] != "ephemeral" \
            or st["ready"] is not True or not re.fullmatch(r"[0-9a-f]{32}", st["seal_key_id"] or "") \
            or st["shares_present"] != 0 or st["shares_needed"] != 0 or st["shares_total"] != 0 \
            or not isinstance(st["keys"], int) or st["keys"] < 1:
        fail(f"seal status in ephemeral mode: {st}")
    st2, _ = expect(c, 200, "GET", "/v1/custodian/status", "seal status, list-only token", token=list_only)
    if st2["seal_key_id"] != st["seal_key_id"]:
        fail(f"seal status differs by token: {st} vs {st2}")
    rz, _ = expect(Client(base), 200, "GET", "/readyz", "readyz")
    if set(rz) != set(SEAL_FIELDS) or rz["ready"] is not True \
            or any(rz[k] != st[k] for k in SEAL_FIELDS):
        fail(f"/readyz does not match the seal status: {rz} vs {st}")
    garbage = {"envelope": base64.b64encode(b"\x5a" * 200).decode()}
    share = "/v1/custodian/shares"
    cases = [
        # The enclave cannot open it: an input error from the pod, with its message.
        (400, ("BAD_FIELD",), "POST", "/v1/keys/import", dict(body=garbage, token=tok)),
        (409, ("MODE_CONFLICT",), "POST", share, dict(body=garbage, token=tok)),
        (403, ("FORBIDDEN",), "POST", share, dict(body=garbage, token=list_only)),
        (403, ("FORBIDDEN",), "POST", "/v1/keys/import", dict(body=garbage, token=list_only)),
        (400, ("BAD_ARG",), "POST", "/v1/keys/import", dict(body={"envelope": "zz"}, token=tok)),
        (400, ("BAD_ARG",), "POST", share, dict(body={"envelope": "", "x": 1}, token=tok)),
        (400, ("BAD_ARG",), "POST", share, dict(body={"envelope": base64.b64encode(bytes(4097)).decode()}, token=tok)),
        (400, ("BAD_ARG",), "POST", "/v1/keys/import", dict(body={"envelope": base64.b64encode(bytes(4097)).decode()}, token=tok)),
        (405, ("METHOD_NOT_ALLOWED",), "GET", "/v1/keys/import", dict(token=tok)),
        (401, ("UNAUTHENTICATED",), "GET", "/v1/custodian/status", dict()),
    ]
    said = []
    for i, (status, codes, method, path, kw) in enumerate(cases):
        d, _ = expect(Client(base), status, method, path, f"provision case {i}", **kw)
        if d["error"]["code"] not in codes:
            fail(f"provision case {i}: {method} {path}: code {d['error']['code']}, want one of {codes}")
        said.append(f"{status} {d['error']['code']}: {d['error']['message']}")
    # The pod's own messages, not the error table's generic text.
    from_pod = said[0:2]
    if any("reserved field" in m or "differs from the one asked" in m for m in from_pod):
        fail(f"the pod's message was lost: {from_pod}")
    # An envelope in a body over the server's limit is refused from the headers.
    u = urllib.parse.urlsplit(base)
    with socket.create_connection((u.hostname, u.port), timeout=TIMEOUT) as sk:
        sk.sendall((f"POST /v1/keys/import HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {tok}\r\n"
                    f"Content-Type: application/json\r\nContent-Length: {2 << 20}\r\n\r\n").encode())
        r = http.client.HTTPResponse(sk)
        r.begin()
        body = r.read()
        if r.status != 413 or json.loads(body)["error"]["code"] != "TOO_LARGE":
            fail(f"oversized import body: {r.status} {body[:200]!r}")
    c = Client(base)
    st3, _ = expect(c, 200, "GET", "/v1/custodian/status", "seal status after refusals", token=tok)
    if st3 != st:
        fail(f"refused envelopes changed the seal status: {st} -> {st3}")
    print(f"seal status {st['mode']} {st['seal_key_id']}; {len(cases)} provisioning refusals: "
          + "; ".join(from_pod))


def case_metric(base, src, name):
    status, _, payload, _ = Client(base).req("GET", "/metrics")
    if status != 200:
        fail(f"/metrics: {status}")
    for line in payload.decode().splitlines():
        if line.startswith(name + " "):
            print(line.split()[-1])
            return
    print(0)


def case_sign_hist(base, src, front, alg):
    """spod_sign_duration_seconds{front,alg}: a well-formed histogram (log-spaced buckets from
    10 us to 1 s, cumulative, +Inf equal to _count, a sum when counted); prints its count."""
    status, _, payload, _ = Client(base).req("GET", "/metrics")
    if status != 200:
        fail(f"/metrics: {status}")
    sel = f'front="{front}",alg="{alg}"'
    buckets, total, count = [], None, None
    for line in payload.decode().splitlines():
        if line.startswith(f"spod_sign_duration_seconds_bucket{{{sel},le="):
            le = line.split('le="')[1].split('"')[0]
            buckets.append((float("inf") if le == "+Inf" else float(le), int(line.split()[-1])))
        elif line.startswith(f"spod_sign_duration_seconds_sum{{{sel}}} "):
            total = float(line.split()[-1])
        elif line.startswith(f"spod_sign_duration_seconds_count{{{sel}}} "):
            count = int(line.split()[-1])
    if len(buckets) < 10 or total is None or count is None:
        fail(f"no sign histogram for {sel}: {len(buckets)} buckets, sum {total}, count {count}")
    bounds = [b for b, _ in buckets]
    if bounds != sorted(bounds) or bounds[0] != 1e-05 or bounds[-2] != 1.0 or bounds[-1] != float("inf"):
        fail(f"{sel}: bucket bounds {bounds}")
    ratios = [bounds[i + 1] / bounds[i] for i in range(len(bounds) - 2)]
    if min(ratios) < 1.5 or max(ratios) > 2.0:
        fail(f"{sel}: buckets not log-spaced: ratios {ratios}")
    counts = [n for _, n in buckets]
    if counts != sorted(counts) or counts[-1] != count or (count > 0) != (total > 0):
        fail(f"{sel}: buckets {counts}, count {count}, sum {total}")
    print(count)


def main():
    case, base, src = sys.argv[1:4]
    if case == "routes":
        case_routes(base, src, sys.argv[4])
    elif case == "api":
        case_api(base, src)
    elif case == "errors":
        case_errors(base, src)
    elif case == "provision":
        case_provision(base, src)
    elif case == "metric":
        case_metric(base, src, sys.argv[4])
    elif case == "sign-hist":
        case_sign_hist(base, src, sys.argv[4], sys.argv[5])
    elif case == "ready":
        print(Client(base).req("GET", "/readyz")[0])
    elif case == "readyz":
        st, _, payload, _ = Client(base).req("GET", "/readyz")
        print(st, payload.decode(errors="replace"))
    elif case == "status":
        body = json.loads(sys.argv[6]) if len(sys.argv) > 6 else None
        st, _, payload, _ = Client(base).req(sys.argv[4], sys.argv[5], body=body, token=os.environ["ADMIN"])
        print(st, payload.decode(errors="replace"))
    else:
        fail(f"unknown case {case}")


if __name__ == "__main__":
    main()
