#!/usr/bin/env bash
# The unseal row of `make bench`: how long a custodian-mode pod takes from its seal key
# being rebuilt (the last custodian's share accepted) to ready, with N sealed keys to replay
# (default 10 000; docs/keys.md). A throw-away pod in a temporary directory: a 2-of-2
# ceremony, N keys of the three algorithms made through one pipelined connection, the
# enclave killed and restarted, both shares provisioned; the time comes from spod-host's
# own log (seal key rebuilt -> replay done) and from outside (last share sent -> N keys
# listed as held). Prints the row and the unseal rate.
#
#   bench/unseal.sh BUILD_DIR [N]
set -euo pipefail
build=$1
n=${2:-10000}
root=$(cd "$(dirname "$0")/.." && pwd)
case $build in /*) ;; *) build=$root/$build ;; esac
tmp=$(mktemp -d "${TMPDIR:-/tmp}/spod-unseal.XXXXXX")
chmod 700 "$tmp"
export SPOD_DATA_DIR=$tmp
unset SPOD_URI SPOD_TOKEN SPOD_TOKEN_FILE SPOD_DB
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
spod() { "$build/spod" --timeout 60000 "$@"; }
start_enclave() {
	"$build/spod-enclave" --listen "unix://$tmp/enclave.sock" >>"$tmp/enclave.log" 2>&1 &
	pids+=($!)
	enclave=$!
}
wait_for() { # SECONDS CMD...
	local end=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		((SECONDS < end)) || return 1
		sleep 0.05
	done
}

spod custodian init --threshold 2 --shares 2 --out "$tmp/shares" >/dev/null
start_enclave
"$build/spod-host" --listen "unix://$tmp/spod.sock" --enclave "unix://$tmp/enclave.sock" \
	--http off --seal custodians >>"$tmp/host.log" 2>&1 &
pids+=($!)
wait_for 20 test -S "$tmp/spod.sock"
wait_for 20 spod custodian status
spod attest --nonce 01 --out "$tmp/doc.cbor" >/dev/null 2>&1
pcr0=$(spod --json attest verify "$tmp/doc.cbor" --root dev |
	/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["pcrs"]["0"])')
provision() { spod custodian provision --share "$tmp/shares/share-$1.json" --expect-pcr0 "$pcr0" --root dev >/dev/null; }
provision 1
provision 2
wait_for 30 spod keys list

# N keys through one connection, pipelined 512 at a time.
/usr/bin/python3 - "$tmp/spod.sock" "$root" "$n" "$(cat "$tmp/admin.token")" <<'PY'
import socket, struct, sys
sys.path.insert(0, sys.argv[2] + "/tests/integration")
import bad_frames as bf
path, n, token = sys.argv[1], int(sys.argv[3]), sys.argv[4].encode()
s = socket.socket(socket.AF_UNIX); s.settimeout(60); s.connect(path)
s.sendall(bf.hello_frame(token)); assert bf.recv_frame(s)[0][5] == 0
done = 0
while done < n:
    batch = min(512, n - done)
    s.sendall(b"".join(bf.frame(0x10, 100 + done + i, bytes([1 + (done + i) % 3]) + bytes(7))
                       for i in range(batch)))
    for _ in range(batch):
        f, body = bf.recv_frame(s)
        if f[5] != 0:
            raise SystemExit(f"generate failed: status {f[5]} {body!r}")
    done += batch
PY
held() { [ "$(spod --json info | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["keys"])')" = "$n" ]; }
wait_for 30 held

# The enclave restarts: every key must come back from its sealed blob.
kill -9 "$enclave"
wait "$enclave" 2>/dev/null || true
: >"$tmp/host.log.mark"
lines=$(wc -l <"$tmp/host.log")
start_enclave
wait_for 30 spod custodian status
provision 1
t0=$(date +%s.%N)
provision 2
wait_for 120 held
t1=$(date +%s.%N)
# spod-host's own clock: seal key rebuilt -> the first connection's replay done.
/usr/bin/python3 - "$tmp/host.log" "$lines" "$n" "$t0" "$t1" <<'PY'
import datetime, re, sys
log, skip, n, t0, t1 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
def ts(line):
    return datetime.datetime.strptime(line[:23], "%Y-%m-%dT%H:%M:%S.%f").timestamp()
rebuilt = loaded = None
for line in open(log).read().splitlines()[skip:]:
    if rebuilt is None and "ready=1" in line and "seal state" in line:
        rebuilt = ts(line)
    m = re.search(r"enclave connection \d+: (\d+) sealed key\(s\) loaded, (\d+) refused", line)
    if rebuilt is not None and m and loaded is None:
        loaded, ok, bad = ts(line), int(m.group(1)), int(m.group(2))
if rebuilt is None or loaded is None:
    raise SystemExit("unseal bench: the host log has no replay")
host_s = loaded - rebuilt
print(f"\nunseal: {n} sealed keys (ed25519/secp256k1/p256), custodian mode, one enclave restart")
print(f"  seal key rebuilt -> replay done (spod-host's log): {host_s * 1000:9.1f} ms  "
      f"= {ok / host_s:10.0f} keys/s unsealed ({ok} loaded, {bad} refused)")
print(f"  last share sent -> {n} keys held (outside):         {(t1 - t0) * 1000:9.1f} ms")
PY
