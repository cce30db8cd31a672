#!/usr/bin/env bash
# spod-host's token cache (docs/auth.md, "The token cache") drops a token once it is revoked
# or expired and nothing holds it any more, so minting and revoking tokens does not grow the
# host (token_cache.py churn: the spod_tokens_cached gauge back at its start, RSS within
# bounds). Never earlier: connections held open across the revocation are refused cleanly
# (their token entry still there), and a key.generate in flight when its connection closed
# and its token was revoked is answered and audited after the cache was refreshed, with the
# token's labels= applied to it (the sanitizer build catches a use after free here).
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

start_pod
URL=$(http_url)
export SPOD_BIN
tc() { "$PY" "$SPOD_SRC/tests/integration/token_cache.py" "$1" "$T_DIR/spod.sock" "$SPOD_SRC" \
	"$URL" "$HOST_PID" "${@:2}"; }

RSS_ARG=()
# ASan's quarantine keeps freed memory resident: there the gauge is the measure.
grep -q "sanitizer build" "$T_DIR/enclave.1.log" && RSS_ARG=(--no-rss)
run tc churn 300 "${RSS_ARG[@]}"
log "$OUT"

log "a key.generate in flight while its connection closes and its token is revoked"
kill -STOP "$ENCLAVE_PID"
run tc hold-generate
TID=$OUT
run "$SPOD" token revoke "$TID"
sleep 2.5 # two refreshes of the token cache pass while the request is in flight
kill -CONT "$ENCLAVE_PID"
generated() {
	"$SPOD" --json audit tail --limit 50 | json_get \
		'[r["result"] for r in d if r["kind"] == "key.generate" and r["token_id"] == "'"$TID"'"]'
}
audited() { [[ $(generated) != "[]" ]]; }
wait_until 20 audited || fail "the held key.generate was not audited"
log "held key.generate audited: $(generated)"
run "$SPOD" audit verify
pod_alive || fail "a daemon died"
