#!/usr/bin/env bash
# `make run` and `make stop` (scripts/run.sh, scripts/stop.sh) in a private directory
# (SPOD_RUN_DIR) with the HTTP API on a port the kernel picks (HTTP=127.0.0.1:0, as `make
# run HTTP=...` passes it): a second run reuses the keys and the token the first one made
# and says so; stop leaves no socket behind; a run after a stop (a fresh enclave, whose keys
# are gone) makes new keys under the same labels and still reuses the token. It says the pod
# is ephemeral and prints the PCR0 a client pins with --expect-pcr0, which verifies.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

RUN=$T_DIR/run
export SPOD_RUN_DIR=$RUN HTTP=127.0.0.1:0
# What the CLI sees of that pod, from outside the scripts.
pod() { env -u SPOD_URI SPOD_DATA_DIR="$RUN" "$SPOD" "$@"; }

# make run; its daemons are stopped at exit whatever happens (they are not our children).
make_run() {
	local pid
	expect_exit 0 bash "$SPOD_SRC/scripts/run.sh" "$SPOD_BIN"
	for pid in "$RUN"/*.pid; do
		[[ -e $pid ]] && T_BG_PIDS+=("$(<"$pid")")
	done
	printf '%s\n' "$OUT" >>"$T_DIR/runs.log"
}
make_stop() {
	expect_exit 0 bash "$SPOD_SRC/scripts/stop.sh"
}
# key_id LABEL: the live key with that label, from the pod's own list.
key_id() { pod --json keys list | json_get "[k['id'] for k in d if k['label'] == '$1']" | tr -d '[]" '; }
token_count() { pod --json token list | json_get 'len(d)'; }

log "first make run"
make_run
RUN1=$OUT
[[ $RUN1 == *"HTTP API:  http://127.0.0.1:"* && $RUN1 != *":8790"* ]] ||
	fail "HTTP=127.0.0.1:0 did not reach spod-host: $RUN1"
ED=$(key_id demo-ed25519)
K1=$(key_id demo-secp256k1)
[[ ${#ED} == 32 && ${#K1} == 32 ]] || fail "make run made no labelled keys: $(pod keys list)"
[[ $(pod --json info | json_get 'd["keys"]') == 2 ]] || fail "keys after one run"
TOKENS=$(token_count)
[[ $RUN1 == *"200 {"* ]] || fail "the HTTP demo did not sign: $RUN1"
# It says loudly that keys die with the enclave, and prints the PCR0 that --expect-pcr0 pins.
[[ $RUN1 == *"EPHEMERAL mode: every key dies"* ]] || fail "make run does not say ephemeral: $RUN1"
[[ $RUN1 =~ PCR0:\ +([0-9a-f]{96}) ]] || fail "make run prints no PCR0: $RUN1"
expect_exit 0 pod --expect-pcr0 "${BASH_REMATCH[1]}" --root dev info
expect_exit 6 pod --expect-pcr0 "$(flip_hex "${BASH_REMATCH[1]}" 5)" --root dev info
# and the release's: the locked image's PCR0 committed in image/expected-pcrs.json.
want=$(json_get 'd["PCR0"]' <"$SPOD_SRC/image/expected-pcrs.json")
[[ $RUN1 == *"release:   PCR0 $want of the locked image"* ]] || fail "make run does not print the release PCR0 $want: $RUN1"

log "second make run, the pod still up: the same keys and token"
make_run
[[ $OUT == *"already running"* ]] || fail "second run restarted the pod: $OUT"
[[ $OUT == *"reusing key demo-ed25519 $ED"* && $OUT == *"reusing key demo-secp256k1 $K1"* ]] ||
	fail "second run does not say it reuses the keys: $OUT"
[[ $OUT == *"reusing the application token"* ]] || fail "second run made a token: $OUT"
[[ $(pod --json info | json_get 'd["keys"]') == 2 ]] || fail "second run added keys"
[[ $(token_count) == "$TOKENS" ]] || fail "second run added a token"
[[ $OUT == *"200 {"* ]] || fail "the HTTP demo did not sign with the reused token: $OUT"

log "make stop removes the sockets"
make_stop
[[ $OUT == *"stopped spod-host"* && $OUT == *"stopped spod-enclave"* ]] || fail "stop: $OUT"
for f in spod.sock enclave.sock spod-host.pid spod-enclave.pid; do
	[[ ! -e $RUN/$f ]] || fail "make stop left $f behind"
done
make_stop
[[ $OUT == *"no pod running"* ]] || fail "second stop: $OUT"

log "make run after make stop, with an image: a fresh enclave, new keys under the same labels, the same token"
# The simulated NSM measures the image make run names (BUILD/image/spod-enclave.eif after make
# image; here one of the EIF corpus), and the PCR0 printed is that image's.
IMAGE=$SPOD_SRC/tests/fuzz/corpus/eif/aws_layout.eif
SPOD_IMAGE=$IMAGE make_run
[[ $OUT =~ PCR0:\ +([0-9a-f]{96}) ]] || fail "make run prints no PCR0: $OUT"
[[ ${BASH_REMATCH[1]} == "$("$SPOD" measure "$IMAGE" | sed -n 's/^PCR0: //p')" ]] ||
	fail "the PCR0 make run prints is not the image's: $OUT"
[[ $OUT == *"of the image $IMAGE"* ]] || fail "make run does not say which image it measured: $OUT"
[[ $OUT == *"made key demo-ed25519"* && $OUT == *"reusing the application token"* ]] ||
	fail "run after stop: $OUT"
ED2=$(key_id demo-ed25519)
[[ ${#ED2} == 32 && $ED2 != "$ED" ]] || fail "no new demo-ed25519 key: $(pod keys list)"
[[ $(token_count) == "$TOKENS" ]] || fail "run after stop added a token"
[[ $OUT == *"200 {"* ]] || fail "the HTTP demo did not sign after a restart: $OUT"
make_stop
[[ ! -e $RUN/spod.sock && ! -e $RUN/enclave.sock ]] || fail "sockets left after the last stop"
