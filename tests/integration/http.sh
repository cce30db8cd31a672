#!/usr/bin/env bash
# The HTTP/JSON API (docs/openapi.yaml) end to end: the documented routes and the served ones
# are the same set; keys, signatures, batches and attestation over keep-alive; HTTP and the
# binary path give the same signatures and the same audit trail; every class of bad input
# gets its 4xx with a JSON error and the server keeps serving; /metrics moves with the
# traffic; the provisioning routes answer and refuse as documented (ephemeral mode); /readyz
# follows the enclave and shows its seal state; a locked database is a 503 that loses nothing;
# the HTTP layer's calls go through in-process channels, not the host's own unix listener.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

start_pod
URL=$(http_url)
[[ $URL == http://127.0.0.1:* ]] || fail "no HTTP URL in the host log"
ADMIN=$(<"$T_DIR/admin.token")
export ADMIN DOC_OUT=$T_DIR/http-doc.cbor
api() { "$PY" "$SPOD_SRC/tests/integration/http_api.py" "$1" "$URL" "$SPOD_SRC" "${@:2}"; }
metric() { api metric "$1"; }

# The route table and the OpenAPI document agree, both ways.
run "$SPOD_HOST" --list-routes
printf '%s\n' "$OUT" >"$T_DIR/routes.txt"
run api routes "$T_DIR/routes.txt"
log "$OUT"

SIGNS0=$(metric 'spod_requests_total{op="sign",status="OK"}')
declare -A HIST0
for f in binary http; do for a in ed25519 secp256k1 p256; do
	HIST0[$f.$a]=$(api sign-hist $f $a) || fail "sign histogram $f $a"
done; done
run api api
API=$OUT
SIGNS1=$(metric 'spod_requests_total{op="sign",status="OK"}')
((SIGNS1 >= SIGNS0 + 3)) || fail "sign counter did not move: $SIGNS0 -> $SIGNS1"
# The sign latency histograms (docs/host.md): the HTTP API's signs count in front="http", one
# algorithm each, and none in front="binary".
# (A sign is counted just after its answer is written: wait for it.)
http_counted() { (($(api sign-hist http "$1") >= ${HIST0[http.$1]} + 1)); }
for a in ed25519 secp256k1 p256; do
	wait_until 5 http_counted $a || fail "http $a signs not counted: ${HIST0[http.$a]} -> $(api sign-hist http $a)"
	[[ $(api sign-hist binary $a) == "${HIST0[binary.$a]}" ]] || fail "HTTP signs counted as binary"
done
H200=$(metric 'spod_http_requests_total{route="/v1/keys/{id}/sign",method="POST",code="200"}')
((H200 >= 3)) || fail "HTTP request counter: $H200"
# The HTTP layer reaches the event loop through in-process channels (docs/architecture.md,
# "HTTP"): the connections its executors keep are counted as clients, yet none of them is a
# socket connected to the host's own listener (they used to be).
CLIENTS=$(metric 'spod_clients')
((CLIENTS >= 1)) || fail "no HTTP channel among the host's clients: $CLIENTS"
LOOPBACK=$(awk -v p="${HOST_URI#unix://}" '$6 == "03" && $8 == p' /proc/net/unix | wc -l)
((LOOPBACK == 0)) || fail "the HTTP layer holds $LOOPBACK connections to the host's own listener"

# The binary path signs the same message with the same key to the same bytes (Ed25519 and
# RFC 6979 secp256k1 are deterministic), and verifies what HTTP signed with P-256.
get() { json_get "d[\"$1\"][\"$2\"]" <<<"$API"; }
MSG=68656c6c6f2c207370656421
B0=$(api sign-hist binary ed25519)
run "$SPOD" sign "$(get ed25519 id)" --message "$MSG"
binary_counted() { [[ $(api sign-hist binary ed25519) == $((B0 + 1)) ]]; }
wait_until 5 binary_counted || fail "a binary sign not counted once in front=binary: $B0 -> $(api sign-hist binary ed25519)"
[[ $(head -n1 <<<"$OUT") == "$(get ed25519 sig)" ]] || fail "ed25519: HTTP and binary signatures differ"
run "$SPOD" sign "$(get secp256k1 id)" --message "$MSG" --hash keccak256
[[ $(head -n1 <<<"$OUT") == "$(get secp256k1 sig)" ]] || fail "secp256k1: HTTP and binary signatures differ"
run "$SPOD" verify --alg p256 --public "$(get p256 public_key)" --digest "$(printf '11%.0s' {1..32})" \
	--signature "$(get p256 sig)"
run "$SPOD" attest verify "$DOC_OUT" --root dev --nonce abcd
# Both paths leave the same kind of audit record.
run "$SPOD" --json audit tail --limit 50
echo "$OUT" | "$PY" -c '
import json, sys
recs = [r for r in json.load(sys.stdin) if r["kind"] == "sign" and r["result"] == "OK"]
by_key = {}
for r in recs:
    by_key.setdefault((r["key_id"], r["digest"]), []).append(r)
assert any(len(v) >= 2 for v in by_key.values()), "no message signed on both paths: %s" % recs
' || fail "audit records of HTTP and binary signatures differ"

# Bad input: a key and tokens for the error cases.
run "$SPOD" --json keys generate --alg ed25519
KEY=$(json_get 'd["id"]' <<<"$OUT")
newtok() { "$SPOD" --json token create --scope "$1" | json_get "d[\"$2\"]"; }
LIST_ONLY=$(newtok 'ops=list;keys=*' token)
SLOW=$(newtok 'ops=sign;keys=*;rate=3' token)
run "$SPOD" --json token create --scope 'ops=sign;keys=*'
REVOKED=$(json_get 'd["token"]' <<<"$OUT")
run "$SPOD" token revoke "$(json_get 'd["id"]' <<<"$OUT")"
export KEY LIST_ONLY SLOW REVOKED
FAILS0=$(metric 'spod_requests_total{op="sign",status="FORBIDDEN"}')
run api errors
log "$OUT"
FAILS1=$(metric 'spod_requests_total{op="sign",status="FORBIDDEN"}')
((FAILS1 > FAILS0)) || fail "refused requests are not counted"

# Provisioning routes in ephemeral mode (a real import and real shares: the CLI's tests).
run api provision
log "$OUT"

# A token limited to some keys lists just those, in pages.
for i in 1 2 3; do
	run "$SPOD" --json keys generate --alg ed25519 --label "page-$i"
	PAGE[i]=$(json_get 'd["id"]' <<<"$OUT")
done
SOME=$(newtok "ops=list;keys=id:${PAGE[1]},label:page-2,id:${PAGE[3]}" token)
"$PY" - "$URL" "$SOME" "${PAGE[1]}" "${PAGE[2]}" "${PAGE[3]}" <<'PY' || fail "scoped key pages"
import http.client, json, sys, urllib.parse
url, tok, *ids = sys.argv[1:]
u = urllib.parse.urlsplit(url)
c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
def get(path):
    c.request("GET", path, headers={"Authorization": f"Bearer {tok}"})
    r = c.getresponse()
    return r.status, json.loads(r.read())
st, p1 = get("/v1/keys?limit=2")
assert st == 200 and len(p1["keys"]) == 2 and p1["next_cursor"] == 2, p1
st, p2 = get(f"/v1/keys?limit=2&cursor={p1['next_cursor']}")
assert st == 200 and len(p2["keys"]) == 1 and p2["next_cursor"] is None, p2
assert [k["id"] for k in p1["keys"] + p2["keys"]] == ids, (p1, p2, ids)
PY

# A locked database: the signature is withheld with a 503, nothing committed is lost.
lock_db 4
run api status POST "/v1/keys/$KEY/sign" '{"message":"aa"}'
[[ $OUT == 503* && $OUT == *"audit log unavailable"* ]] || fail "locked database: $OUT"
wait "$LOCKER" || fail "the lock holder failed"
run api status POST "/v1/keys/$KEY/sign" '{"message":"aa"}'
[[ $OUT == 200* ]] || fail "signing after the lock: $OUT"
run "$SPOD" audit verify

# /readyz follows the enclave, and shows each boot's ephemeral seal key.
[[ $(api ready) == 200 ]] || fail "not ready with the enclave up"
[[ $(metric spod_enclave_connections_ready) -ge 1 ]] || fail "ready gauge"
seal_id() { json_get 'd["seal_key_id"]' <<<"${1#* }"; }
run api readyz
SEAL1=$(seal_id "$OUT")
[[ $SEAL1 =~ ^[0-9a-f]{32}$ ]] || fail "/readyz seal_key_id: $OUT"
kill -TERM "$ENCLAVE_PID"
wait "$ENCLAVE_PID" || fail "enclave exited uncleanly"
not_ready() { [[ $(api ready) == 503 ]]; }
wait_until 10 not_ready || fail "/readyz still 200 without an enclave"
run api readyz
[[ $OUT == 503* && $OUT == *'"ready":false'* && $OUT == *'"code":"UNAVAILABLE"'* ]] ||
	fail "/readyz without an enclave: $OUT"
run api status POST "/v1/keys/$KEY/sign" '{"message":"aa"}'
[[ $OUT == 503* ]] || fail "sign without an enclave: $OUT"
start_enclave
ready() { [[ $(api ready) == 200 ]]; }
wait_until 15 ready || fail "/readyz not back after the enclave restarted"
run api readyz
SEAL2=$(seal_id "$OUT")
[[ $SEAL2 =~ ^[0-9a-f]{32}$ && $SEAL2 != "$SEAL1" ]] ||
	fail "a new ephemeral enclave boot kept seal key $SEAL1: $OUT"
pod_alive || fail "a daemon died"

# HTTPS: a second host with a self-signed certificate serves the same API over TLS.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$T_DIR/tls.key" -out "$T_DIR/tls.crt" 2>/dev/null ||
	fail "openssl could not make a test certificate"
"$SPOD_HOST" --listen "unix://$T_DIR/tls.sock" --enclave "$ENCLAVE_URI" --http 127.0.0.1:0 \
	--tls-cert "$T_DIR/tls.crt" --tls-key "$T_DIR/tls.key" >"$T_DIR/host-tls.log" 2>&1 &
TLS_PID=$!
T_BG_PIDS+=("$TLS_PID")
tls_url() { grep -oE 'HTTP API on https://[^ ]+' "$T_DIR/host-tls.log" | sed -e 's/^HTTP API on //' -e 's|/$||'; }
tls_up() { [[ -n $(tls_url) ]]; }
wait_until 10 tls_up || fail "no HTTPS listener: $(cat "$T_DIR/host-tls.log")"
"$PY" - "$(tls_url)" "$T_DIR/tls.crt" "$ADMIN" <<'PY' || fail "HTTPS request failed"
import http.client, json, ssl, sys, urllib.parse
url, ca, tok = sys.argv[1:]
u = urllib.parse.urlsplit(url)
ctx = ssl.create_default_context(cafile=ca)
c = http.client.HTTPSConnection(u.hostname, u.port, context=ctx, timeout=10)
for _ in range(2):  # keep-alive over TLS
    c.request("GET", "/v1/keys?limit=1", headers={"Authorization": f"Bearer {tok}"})
    r = c.getresponse()
    body = json.loads(r.read())
    assert r.status == 200 and "keys" in body, (r.status, body)
PY
kill -TERM "$TLS_PID"
wait "$TLS_PID" || fail "the HTTPS host exited uncleanly"
# Custodian mode: a second pod waits for its custodians' shares. /readyz says so (503
# NOT_PROVISIONED, from spod-host's snapshot), the seal status is served, keys are not, and a
# share envelope is opened (so refused as not one) rather than refused for the mode.
CDIR=$T_DIR/custodians
mkdir -m 700 "$CDIR"
"$SPOD_ENCLAVE" --listen "unix://$CDIR/enclave.sock" >"$CDIR/enclave.log" 2>&1 &
C_ENCLAVE_PID=$!
T_BG_PIDS+=("$C_ENCLAVE_PID")
"$SPOD_HOST" --data-dir "$CDIR" --listen "unix://$CDIR/spod.sock" --enclave "unix://$CDIR/enclave.sock" \
	--seal custodians --http 127.0.0.1:0 >"$CDIR/host.log" 2>&1 &
C_HOST_PID=$!
T_BG_PIDS+=("$C_HOST_PID")
c_url() { grep -oE 'HTTP API on http://[^ ]+' "$CDIR/host.log" | sed -e 's/^HTTP API on //' -e 's|/$||'; }
c_api() { ADMIN=$(<"$CDIR/admin.token") "$PY" "$SPOD_SRC/tests/integration/http_api.py" "$1" "$(c_url)" "$SPOD_SRC" "${@:2}"; }
c_waiting() { [[ -n $(c_url) && -s $CDIR/admin.token && $(c_api readyz) == *'"mode":"custodians"'* ]]; }
wait_until 15 c_waiting || fail "the custodian-mode pod never reported its mode: $(cat "$CDIR/host.log")"
run c_api readyz
[[ $OUT == '503 {"mode":"custodians","ready":false,"seal_key_id":null,"shares_present":0,"shares_needed":0,"shares_total":0,"error":{"code":"NOT_PROVISIONED",'* ]] ||
	fail "/readyz of a pod waiting for custodians: $OUT"
run c_api status GET /v1/custodian/status
[[ $OUT == '200 {"mode":"custodians","ready":false,"seal_key_id":null,"shares_present":0,"shares_needed":0,"shares_total":0,"keys":0}' ]] ||
	fail "seal status of a pod waiting for custodians: $OUT"
run c_api status POST /v1/keys '{"alg":"ed25519"}'
[[ $OUT == 503*'"code":"NOT_PROVISIONED"'* ]] || fail "a key made before the seal key: $OUT"
run c_api status POST /v1/custodian/shares "{\"envelope\":\"$(head -c 120 /dev/zero | base64 -w0)\"}"
[[ $OUT == 400*'"code":"BAD_FIELD"'* ]] || fail "a garbage share in custodian mode: $OUT"
kill -TERM "$C_HOST_PID" "$C_ENCLAVE_PID"
wait "$C_HOST_PID" || fail "the custodian-mode host exited uncleanly"
wait "$C_ENCLAVE_PID" || fail "the custodian-mode enclave exited uncleanly"
log "HTTP API: routes, same signatures as binary, errors, metrics, storage 503, readiness, TLS, provisioning: ok"
