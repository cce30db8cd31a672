# Sourced by every integration test: a private pod (spod-enclave + spod-host on unix sockets
# in a fresh 0700 directory), helpers, and a cleanup trap that stops both processes, checks
# they exited cleanly (status 0 after SIGTERM, which also catches LeakSanitizer reports in
# the sanitizer build) and prints their logs when anything failed.
#
# Environment (set by tests/CMakeLists.txt): SPOD_BIN = build directory, SPOD_SRC = source.
# SPOD_KEEP_TMP=1 keeps the temporary directory for inspection.

set -euo pipefail

: "${SPOD_BIN:?SPOD_BIN must name the build directory}"
: "${SPOD_SRC:?SPOD_SRC must name the source directory}"

# The Debian interpreter: it has python3-cryptography, python3-ecdsa, python3-pycryptodome.
PY=/usr/bin/python3
SPOD=$SPOD_BIN/spod
SPOD_ENCLAVE=$SPOD_BIN/spod-enclave
SPOD_HOST=$SPOD_BIN/spod-host
# shellcheck disable=SC2034 # used by the scripts that source this file
SPOD_TESTS_BIN=$SPOD_BIN/tests
T_NAME=$(basename "$0" .sh)

# Sanitizer builds: report leaks through the exit status, stop on the first UB report.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=23}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

T_DIR=$(mktemp -d "${TMPDIR:-/tmp}/spod-it.XXXXXXXX")
chmod 700 "$T_DIR"
# Default URIs of every binary point into T_DIR, never at a pod of the user's.
export SPOD_DATA_DIR=$T_DIR
ENCLAVE_URI=unix://$T_DIR/enclave.sock
HOST_URI=unix://$T_DIR/spod.sock
export SPOD_URI=$HOST_URI

T_MAIN_PID=$BASHPID
ENCLAVE_PID=""
HOST_PID=""
ENCLAVE_RUNS=0
ENCLAVE_ARGS=()       # more spod-enclave options for every start_enclave (e.g. --threads 2)
T_BG_PIDS=()          # other background processes a test started (killed at exit)
T_STOP_GRACE=15       # seconds a daemon may take to exit after SIGTERM (ASan is slow)
READY_TIMEOUT=20      # seconds to wait for the pod to answer `spod info`

log() { printf '[%s %s] %s\n' "$T_NAME" "$(date +%T.%3N)" "$*" >&2; }

fail() {
	printf '[%s] FAIL: %s\n' "$T_NAME" "$*" >&2
	exit 1
}

# 0 while pid is a live (non-zombie) process.
alive() {
	local pid=$1 rest state
	[[ -n $pid && -r /proc/$pid/stat ]] || return 1
	{ read -r _ _ state rest <"/proc/$pid/stat"; } 2>/dev/null || return 1
	[[ $state != Z ]]
}

dead() { ! alive "$1"; }

# Monotonic-enough clock in microseconds (bash 5).
now_us() { local t=${EPOCHREALTIME/[.,]/}; echo $((10#$t)); }

# wait_until SECONDS CMD...: polls CMD every 0.05 s until it succeeds or SECONDS pass.
wait_until() {
	local limit=$1
	shift
	local deadline=$(($(now_us) + limit * 1000000))
	until "$@"; do
		(($(now_us) < deadline)) || return 1
		sleep 0.05
	done
}

# Output of the last expect_exit / run: $OUT (stdout) and $ERR (stderr).
OUT=""
ERR=""

# expect_exit CODE CMD...: runs CMD (bounded by a 120 s timeout if it is a program) and
# fails the test unless it exits with CODE. Sets $OUT and $ERR.
expect_exit() {
	local want=$1
	shift
	local rc=0
	if [[ $(type -t "$1") == function ]]; then
		"$@" >"$T_DIR/.out" 2>"$T_DIR/.err" || rc=$?
	else
		timeout -k 5 120 "$@" >"$T_DIR/.out" 2>"$T_DIR/.err" || rc=$?
	fi
	OUT=$(<"$T_DIR/.out")
	ERR=$(<"$T_DIR/.err")
	if ((rc != want)); then
		printf '%s\n' "--- stdout:" "$OUT" "--- stderr:" "$ERR" >&2
		fail "expected exit $want, got $rc: $*"
	fi
}

# run CMD...: expect_exit 0.
run() { expect_exit 0 "$@"; }

# json_get EXPR: evaluates a Python expression over `d` = the JSON document on stdin.
json_get() {
	$PY -c 'import json, sys
d = json.load(sys.stdin)
v = eval(sys.argv[1])
print(json.dumps(v) if isinstance(v, (dict, list, bool)) or v is None else v)' "$1"
}

# flip_hex HEX BYTE_INDEX: HEX with the low bit of one byte flipped.
flip_hex() {
	local h=$1 i=$2
	printf '%s%02x%s' "${h:0:i*2}" $((16#${h:i*2:2} ^ 1)) "${h:i*2+2}"
}

# random_hex N: N random bytes as lowercase hex.
random_hex() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }

# A signature's outcome (its sign record) commits up to about a millisecond after its answer
# (docs/storage.md): tests that read sign records right after signing wait for them first.
audit_pairs() { "$PY" "$SPOD_SRC/tests/integration/audit_pairs.py" "${1:-$T_DIR/spod.db}" "${@:2}"; }
audit_settled() { audit_pairs "$T_DIR/spod.db" --settled >"$T_DIR/audit_settled.out" 2>&1; }
wait_audit() {
	wait_until 10 audit_settled || fail "sign.request records without their outcome: $(cat "$T_DIR/audit_settled.out")"
}

pod_info_ok() { "$SPOD" --timeout 2000 info >/dev/null 2>&1; }

start_enclave() {
	ENCLAVE_RUNS=$((ENCLAVE_RUNS + 1))
	"$SPOD_ENCLAVE" --listen "$ENCLAVE_URI" --log-level info "${ENCLAVE_ARGS[@]}" "$@" \
		>"$T_DIR/enclave.$ENCLAVE_RUNS.log" 2>&1 &
	ENCLAVE_PID=$!
}

# The HTTP API listens on a port the kernel picks (tests run in parallel); http_url finds it.
start_host() {
	"$SPOD_HOST" --listen "$HOST_URI" --enclave "$ENCLAVE_URI" --log-level info \
		--http 127.0.0.1:0 "$@" >>"$T_DIR/host.log" 2>&1 &
	HOST_PID=$!
}

# lock_db SECONDS: another process holds an exclusive lock on the pod's database for that
# long (SQLite BEGIN EXCLUSIVE), in the background as $LOCKER; returns once the lock is held.
lock_db() {
	"$PY" - "$T_DIR/spod.db" "$T_DIR/locked" "$1" <<'PY' &
import sqlite3, sys, time
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute("BEGIN EXCLUSIVE")
open(sys.argv[2], "w").close()
time.sleep(float(sys.argv[3]))
con.execute("ROLLBACK")
PY
	LOCKER=$!
	wait_until 10 test -e "$T_DIR/locked" || fail "the database was not locked"
	rm -f "$T_DIR/locked"
}

# The base URL of the running host's HTTP API, from its log ("HTTP API on http://...").
http_url() {
	grep -oE 'HTTP API on https?://[^ ]+' "$T_DIR/host.log" | tail -n1 | sed -e 's/^HTTP API on //' -e 's|/$||'
}

# Waits until the pod answers `spod info`, failing early if a daemon died.
# shellcheck disable=SC2120 # optional argument: seconds (default READY_TIMEOUT)
wait_ready() {
	local limit=${1:-$READY_TIMEOUT}
	local deadline=$(($(now_us) + limit * 1000000))
	until pod_info_ok; do
		alive "$ENCLAVE_PID" || fail "spod-enclave exited during start-up"
		alive "$HOST_PID" || fail "spod-host exited during start-up"
		(($(now_us) < deadline)) || fail "pod not ready after $limit s"
		sleep 0.05
	done
}

# Starts the pod and waits until it serves requests; arguments go to spod-host (start_pod
# --seal custodians: the pod answers info, but no key request until its custodians provision).
start_pod() {
	start_enclave
	start_host "$@"
	wait_ready
	# libspod programs (it_pipeline, the example, spod-bench) take their token from here;
	# the CLI finds the same admin token in $SPOD_DATA_DIR by itself.
	SPOD_TOKEN=$(<"$T_DIR/admin.token")
	export SPOD_TOKEN
	log "pod ready in $T_DIR"
}

# http TOKEN METHOD PATH [BODY]: one call to the running pod's HTTP API (a JSON body when
# given); sets CODE (the HTTP status) and BODY_OUT (the answer).
http() {
	local args=(-sS --max-time 20 -o "$T_DIR/http.out" -w '%{http_code}' -X "$2"
		-H "Authorization: Bearer $1")
	[[ $# -ge 4 ]] && args+=(-H 'Content-Type: application/json' --data-binary "$4")
	CODE=$(curl "${args[@]}" "$(http_url)$3") || fail "curl $2 $3"
	BODY_OUT=$(<"$T_DIR/http.out")
}

# want CODE [ERROR_CODE]: the last answer's HTTP status (and its error code).
want() {
	[[ $CODE == "$1" ]] || fail "want $1, got $CODE $BODY_OUT"
	if [[ $# -ge 2 ]]; then
		[[ $(json_get 'd["error"]["code"]' <<<"$BODY_OUT") == "$2" ]] ||
			fail "want error $2, got $BODY_OUT"
	fi
}

# put_policy KEY_ID POLICY_JSON: attaches the policy over the running pod's HTTP API with
# the bootstrap admin token and no approvals (an ephemeral pod without policy admins allows it).
put_policy() {
	http "$(<"$T_DIR/admin.token")" PUT "/v1/keys/$1/policy" "{\"policy\":$2,\"approvals\":[]}"
	want 200
}

# Both daemons still running?
pod_alive() { alive "$ENCLAVE_PID" && alive "$HOST_PID"; }

# stop_daemon PID NAME: SIGTERM, a bounded wait, then SIGKILL. Returns the exit status.
stop_daemon() {
	local pid=$1 name=$2 rc=0 deadline
	[[ -n $pid ]] || return 0
	kill -TERM "$pid" 2>/dev/null || true
	deadline=$(($(now_us) + T_STOP_GRACE * 1000000))
	while alive "$pid" && (($(now_us) < deadline)); do
		sleep 0.05
	done
	if alive "$pid"; then
		printf '[%s] %s (pid %s) ignored SIGTERM for %s s; killing it\n' \
			"$T_NAME" "$name" "$pid" "$T_STOP_GRACE" >&2
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || rc=$?
	return $rc
}

# Kills the enclave with SIGKILL (fault injection); its exit status is not checked.
kill9_enclave() {
	[[ -n $ENCLAVE_PID ]] || fail "no enclave to kill"
	kill -KILL "$ENCLAVE_PID"
	wait "$ENCLAVE_PID" 2>/dev/null || true
	ENCLAVE_PID=""
}

# ---- custodian mode (docs/keys.md) ----

# The PCR0 the running enclave attests, from a document verified under the development root
# (what `--expect-pcr0` is given; the dev setup has no published image measurement).
pod_pcr0() {
	"$SPOD" attest --nonce "$(random_hex 16)" --out "$T_DIR/.pcr0.cbor" >/dev/null 2>"$T_DIR/.pcr0.err" &&
		"$SPOD" --json attest verify "$T_DIR/.pcr0.cbor" --root dev | json_get 'd["pcrs"]["0"]'
}

# seal_get EXPR: EXPR over `spod --json custodian status` (the enclave's own answer, through
# spod-host); fails while the pod does not answer.
seal_get() {
	local s
	s=$("$SPOD" --timeout 5000 --json custodian status 2>/dev/null) || return 1
	json_get "$1" <<<"$s"
}

# A new enclave boot in custodian mode is connected and waits for its first share.
seal_waiting() {
	[[ $(seal_get '[d["mode"], d["ready"], d["shares_present"]]' 2>/dev/null) == \
		'["custodians", false, 0]' ]]
}

# provision FILE: one custodian's share, to the attested enclave ($PCR0, development root).
provision() {
	run "$SPOD" custodian provision --share "$1" --expect-pcr0 "$PCR0" --root dev
}

# Key requests are served (the seal key is rebuilt and spod-host replayed the sealed keys).
keys_served() { "$SPOD" --timeout 5000 keys list >/dev/null 2>&1; }

# keys_json: every live key as sorted JSON (id, alg, public_key, label), to compare pods.
keys_json() {
	"$SPOD" --json keys list | "$PY" -c 'import json, sys
print(json.dumps(sorted(({k: x[k] for k in ("id", "alg", "public_key", "label")}
                         for x in json.load(sys.stdin)), key=lambda x: x["id"])))'
}

# sign_check ID ALG PUBLIC: signs a fresh random message with key ID and verifies the
# signature offline (spod verify) against PUBLIC; ECDSA keys sign its SHA-256.
sign_check() {
	local id=$1 alg=$2 pub=$3 msg sig hash=()
	msg=$(random_hex 40)
	[[ $alg == ed25519 ]] || hash=(--hash sha256)
	run "$SPOD" --json sign "$id" --message "$msg" "${hash[@]}"
	sig=$(json_get 'd["signature"]' <<<"$OUT")
	run "$SPOD" verify --alg "$alg" --public "$pub" --message "$msg" "${hash[@]}" --signature "$sig"
}

# sign_check_all KEYS_JSON: sign_check for every key of a keys_json list.
sign_check_all() {
	local id alg pub
	while read -r id alg pub; do
		sign_check "$id" "$alg" "$pub"
	done < <(json_get '"\n".join(" ".join((k["id"], k["alg"], k["public_key"])) for k in d)' <<<"$1")
}

t_cleanup() {
	local rc=$? erc=0 hrc=0 pid f
	set +e
	trap - EXIT
	# A subshell signalled before it reset the inherited traps must not clean up.
	[[ $BASHPID == "$T_MAIN_PID" ]] || exit "$rc"
	# Helpers first: TERM (timeout(1) passes it on to its child), then KILL what is left.
	for pid in "${T_BG_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${T_BG_PIDS[@]}"; do
		wait_until 5 dead "$pid" || kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	# Host first, so it does not log the enclave going away.
	stop_daemon "$HOST_PID" spod-host || hrc=$?
	stop_daemon "$ENCLAVE_PID" spod-enclave || erc=$?
	if ((hrc != 0 || erc != 0)); then
		printf '[%s] FAIL: unclean exit after SIGTERM: spod-host %d, spod-enclave %d\n' \
			"$T_NAME" "$hrc" "$erc" >&2
		((rc != 0)) || rc=1
	fi
	if ((rc != 0)); then
		for f in "$T_DIR"/*.log; do
			[[ -e $f ]] || continue
			printf '\n===== %s =====\n' "$(basename "$f")" >&2
			tail -n 200 "$f" >&2
		done
	fi
	if [[ ${SPOD_KEEP_TMP:-0} == 1 ]]; then
		printf '[%s] kept %s\n' "$T_NAME" "$T_DIR" >&2
	else
		rm -rf "$T_DIR"
	fi
	if ((rc == 0)); then
		printf '[%s] PASS (%d s)\n' "$T_NAME" "$SECONDS" >&2
	fi
	exit $rc
}
trap t_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
