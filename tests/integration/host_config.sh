#!/usr/bin/env bash
# spod-host's settings (src/host/core/config.h): --help documents every setting with its variable
# and key; a bad config file, a bad or unknown SPOD_HOST_* variable or an unsafe address
# stops spod-host with exit status 2 and a message that names the culprit, before it
# creates anything; a valid config file is honoured (spod-host listens where the file says,
# logs at the file's level, puts its defaults in the file's data-dir), the environment beats
# the file and a flag beats the environment.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

SETTINGS=(config data-dir listen enclave enclave-conns max-clients expect-pcr attest-root
	log-level db audit-sync seal token-file http http-threads http-max-body http-max-connections
	http-max-per-address http-idle-timeout http-header-timeout http-call-timeout tls-cert tls-key
	eth-listen eth-downstream eth-downstream-timeout)

# ---- --help and --list-routes ----
run "$SPOD_HOST" --help
for s in "${SETTINGS[@]}"; do
	var=SPOD_HOST_$(tr 'a-z-' 'A-Z_' <<<"$s")
	[[ $OUT == *"--$s "* ]] || fail "--help lacks --$s"
	[[ $OUT == *"env $var"* ]] || fail "--help lacks $var"
	[[ $s == config || $OUT == *"key $s"* ]] || fail "--help lacks the key $s"
done
[[ $OUT == *"flag > environment > config file > default"* ]] || fail "--help lacks precedence"
[[ $OUT == *--list-routes* ]] || fail "--help lacks --list-routes"
# --help works whatever the environment says.
expect_exit 0 env SPOD_HOST_NO_SUCH=1 SPOD_HOST_CONFIG=/nonexistent "$SPOD_HOST" --help

run "$SPOD_HOST" --list-routes
[[ -n $OUT ]] || fail "--list-routes printed nothing"
while read -r method path rest; do
	[[ $method =~ ^[A-Z]+$ && $path == /* && -z $rest ]] ||
		fail "--list-routes line: $method $path $rest"
done <<<"$OUT"

# ---- errors: exit 2, one line naming the culprit, nothing created ----
# expect_bad NEEDLE CMD...: CMD exits 2 and its stderr contains NEEDLE.
expect_bad() {
	local needle=$1
	shift
	expect_exit 2 "$@"
	[[ $ERR == *"$needle"* ]] || fail "stderr of '$*' lacks '$needle': $ERR"
	(($(wc -l <<<"$ERR") == 1)) || fail "more than one line from '$*': $ERR"
}

printf '[spod-host]\nenclave-conns = 2\nlisten-to = unix:///x.sock\n' >"$T_DIR/unknown-key.ini"
expect_bad "$T_DIR/unknown-key.ini:3: unknown key 'listen-to'" \
	"$SPOD_HOST" --config "$T_DIR/unknown-key.ini"
printf 'log-level = info\n\n[enclave]\n' >"$T_DIR/unknown-section.ini"
expect_bad "$T_DIR/unknown-section.ini:3: unknown section [enclave]" \
	"$SPOD_HOST" --config "$T_DIR/unknown-section.ini"
printf '# pool\nenclave-conns = 99\n' >"$T_DIR/bad-value.ini"
expect_bad "$T_DIR/bad-value.ini:2: enclave-conns: '99' is not a number in 1..16" \
	"$SPOD_HOST" --config "$T_DIR/bad-value.ini"
printf 'seal = shamir\n' >"$T_DIR/bad-seal.ini"
expect_bad "$T_DIR/bad-seal.ini:1: seal: 'shamir' is not ephemeral or custodians" \
	"$SPOD_HOST" --config "$T_DIR/bad-seal.ini"
printf 'audit-sync = always\n' >"$T_DIR/bad-sync.ini"
expect_bad "$T_DIR/bad-sync.ini:1: audit-sync: 'always'" \
	env SPOD_HOST_CONFIG="$T_DIR/bad-sync.ini" "$SPOD_HOST"
printf 'log-level = info\nlisten\n' >"$T_DIR/syntax.ini"
expect_bad "$T_DIR/syntax.ini:2: syntax error" "$SPOD_HOST" --config "$T_DIR/syntax.ini"
printf 'db = /a.db\ndb = /b.db\n' >"$T_DIR/twice.ini"
expect_bad "$T_DIR/twice.ini:2: db: given twice" "$SPOD_HOST" --config "$T_DIR/twice.ini"
expect_bad "--config: cannot read config file $T_DIR/missing.ini" \
	"$SPOD_HOST" --config "$T_DIR/missing.ini"
expect_bad "SPOD_HOST_CONFIG: cannot read config file $T_DIR/missing.ini" \
	env SPOD_HOST_CONFIG="$T_DIR/missing.ini" "$SPOD_HOST"

expect_bad "unknown environment variable SPOD_HOST_ENCLAVE_CONN " \
	env SPOD_HOST_ENCLAVE_CONN=2 "$SPOD_HOST"
expect_bad "SPOD_HOST_MAX_CLIENTS: 'lots'" env SPOD_HOST_MAX_CLIENTS=lots "$SPOD_HOST"
expect_bad "--bogus" "$SPOD_HOST" --bogus
expect_bad "--http: 0.0.0.0 is not a loopback address" "$SPOD_HOST" --http 0.0.0.0:0
expect_bad "--eth-listen: 0.0.0.0 is not a loopback address" "$SPOD_HOST" --eth-listen 0.0.0.0:0
expect_bad "--eth-listen: 'x' is not IPV4:PORT" "$SPOD_HOST" --eth-listen x
expect_bad "--eth-downstream: 'ftp://n' is not an http:// or https:// URL" "$SPOD_HOST" \
	--eth-downstream ftp://n
expect_bad "--eth-downstream: serves POST /eth: needs http or eth-listen" "$SPOD_HOST" \
	--http off --eth-downstream http://127.0.0.1:1
expect_bad "--tls-cert: tls-cert and tls-key go together" "$SPOD_HOST" --tls-cert /c.pem
expect_bad "the binary protocol has no TLS" "$SPOD_HOST" --listen tcp://0.0.0.0:7000
# A flag does not excuse a broken file.
expect_bad "$T_DIR/bad-value.ini:2: enclave-conns" \
	"$SPOD_HOST" --config "$T_DIR/bad-value.ini" --enclave-conns 2
[[ ! -e $T_DIR/spod.sock && ! -e $T_DIR/spod.db && ! -e $T_DIR/admin.token ]] ||
	fail "a refused start left files in $T_DIR: $(ls "$T_DIR")"

# ---- a valid config file is honoured ----
# The HTTP API (when spod-host serves it) on a kernel-picked port, so tests can run in parallel.
start_enclave
INI=$T_DIR/host.ini
cat >"$INI" <<EOF
; spod-host settings for host_config.sh
# both comment styles, a top-level key and the [spod-host] section
enclave = $ENCLAVE_URI

[spod-host]
listen = unix://$T_DIR/ini-1.sock
listen = unix://$T_DIR/ini-2.sock ; two listeners
enclave-conns = 1
log-level = warn
data-dir = $T_DIR/data
http = 127.0.0.1:0
EOF

# start_configured_host LOG ARGS...: spod-host with ARGS in the background (HOST_PID).
start_configured_host() {
	local log=$1
	shift
	"$SPOD_HOST" "$@" >"$T_DIR/$log" 2>&1 &
	HOST_PID=$!
}

# serving PATH: a unix socket at PATH accepts a connection.
serving() {
	[[ -S $1 ]] && $PY -c 'import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(2)
s.connect(sys.argv[1])' "$1" 2>/dev/null
}

# wait_serving PATH...: each PATH serves within READY_TIMEOUT s, and spod-host is still up.
wait_serving() {
	local p
	for p in "$@"; do
		wait_until "$READY_TIMEOUT" serving "$p" || fail "nothing serves $p"
	done
	alive "$HOST_PID" || fail "spod-host exited"
}

# Stops spod-host and removes its sockets (it leaves them behind), so that the next run shows
# which listeners it opened.
stop_host() {
	stop_daemon "$HOST_PID" spod-host || fail "spod-host exited uncleanly after SIGTERM"
	HOST_PID=""
	rm -f "$T_DIR"/ini-*.sock "$T_DIR"/env-*.sock "$T_DIR"/flag.sock
}

log "config file only"
start_configured_host host.log --config "$INI"
wait_serving "$T_DIR/ini-1.sock" "$T_DIR/ini-2.sock"
[[ ! -e $T_DIR/spod.sock ]] || fail "spod-host also listens on the default socket"
# data-dir from the file: created mode 0700, holds the database and the token file.
wait_until "$READY_TIMEOUT" test -e "$T_DIR/data/admin.token" || fail "no token file in data-dir"
[[ $(stat -c %a "$T_DIR/data") == 700 && -e $T_DIR/data/spod.db ]] ||
	fail "data-dir from the file: $(ls -la "$T_DIR/data")"
# log-level = warn: warnings, and not one INFO line.
wait_until 5 grep -q ' WARN ' "$T_DIR/host.log" || fail "no warning logged"
! grep -q ' INFO ' "$T_DIR/host.log" || fail "log-level = warn not honoured: $(<"$T_DIR/host.log")"
stop_host

log "environment beats the file"
SPOD_HOST_LISTEN="unix://$T_DIR/env-1.sock,unix://$T_DIR/env-2.sock" \
	SPOD_HOST_LOG_LEVEL=info start_configured_host host-env.log --config "$INI"
wait_serving "$T_DIR/env-1.sock" "$T_DIR/env-2.sock"
[[ ! -e $T_DIR/ini-1.sock && ! -e $T_DIR/ini-2.sock ]] ||
	fail "the file's listeners were merged with the environment's"
wait_until 5 grep -q "settings from $INI" "$T_DIR/host-env.log" || fail "no INFO line at info"
stop_host

log "a flag beats the environment"
SPOD_HOST_LISTEN="unix://$T_DIR/env-1.sock" \
	start_configured_host host-flag.log --config "$INI" --listen "unix://$T_DIR/flag.sock"
wait_serving "$T_DIR/flag.sock"
[[ ! -e $T_DIR/env-1.sock && ! -e $T_DIR/ini-1.sock ]] || fail "a weaker source's listener is up"
stop_host
