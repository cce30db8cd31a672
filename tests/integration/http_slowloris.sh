#!/usr/bin/env bash
# HTTP slowloris (issue 15): hundreds of connections from many loopback addresses send their
# request headers a byte at a time, and kept-alive connections send their next header so;
# a client from another address still gets /healthz and GET /v1/keys within seconds, every
# slow connection is closed by its deadline (http-header-timeout from its accept, or
# http-idle-timeout + http-header-timeout after its last answer), none is answered, and the
# log stays small (tests/integration/http_attack.py).
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

start_pod --http-header-timeout 2s --http-idle-timeout 2s --http-max-per-address 8 \
	--http-max-connections 64
PORT=$(http_url | sed 's/.*://')
ADMIN=$(<"$T_DIR/admin.token")
export ADMIN

run timeout -k 5 120 "$PY" "$SPOD_SRC/tests/integration/http_attack.py" slowloris "$PORT" 2 2
log "$ERR"
pod_alive || fail "a daemon died"
SIZE=$(stat -c %s "$T_DIR/host.log")
((SIZE < 1000000)) || fail "the host log grew to $SIZE bytes"
grep -q "closed a connection from 127.0.1" "$T_DIR/host.log" ||
	fail "the host did not log closing slow connections"
run "$SPOD" keys list
