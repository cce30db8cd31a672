#!/usr/bin/env bash
# Connection churn does not ratchet spod-host's RSS up (conn_churn.py): rounds of connections
# that fill their receive and send buffers, then close; after the last round the host is back
# within 8 MiB of where it started, while the connections had made it grow by at least 24.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

start_pod
run "$PY" "$SPOD_SRC/tests/integration/conn_churn.py" "$T_DIR/spod.sock" "$SPOD_SRC" \
	"$(http_url)" "$HOST_PID" 6 32
log "$OUT"
pod_alive || fail "a daemon died"
