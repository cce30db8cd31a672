#!/usr/bin/env bash
# The installed libspod as an application sees it: `cmake --install` into a fresh prefix,
# libspod.so exports the public API and nothing else, examples/ builds out of tree with
# `pkg-config --cflags --libs spod` (and once more with libspod.a and `pkg-config --static`),
# and both programs sign synchronously, pipelined and in a batch against a real pod, check
# its attestation end to end, and report errors with the library's messages.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

PREFIX=$T_DIR/prefix
EXAMPLES=$T_DIR/examples
export PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig

log "install into $PREFIX"
run cmake --install "$SPOD_BIN" --prefix "$PREFIX"
for f in bin/spod bin/spod-host bin/spod-enclave include/spod/client.h include/spod/attest.h \
	include/spod/wire.h include/spod/wire_policy.h include/spod/wire_evidence.h include/spod/err.h lib/libspod.a lib/libspod.so lib/pkgconfig/spod.pc; do
	[[ -e $PREFIX/$f ]] || fail "not installed: $f"
done
SO=$(readlink -f "$PREFIX/lib/libspod.so")
run readelf -d "$SO"
[[ $OUT == *"Library soname: [libspod.so.0]"* ]] || fail "SONAME is not libspod.so.0: $OUT"
run pkg-config --modversion spod
[[ $OUT == "$(sed -n 's/^project(spod VERSION \([0-9.]*\).*/\1/p' "$SPOD_SRC/CMakeLists.txt")" ]] ||
	fail "spod.pc version $OUT is not the project's"

log "libspod.so exports exactly the functions of the public headers"
run nm -D --defined-only "$SO"
EXPORTS=$(awk '$2 ~ /^[TDBRVWiu]$/ { sub(/@.*/, "", $3); print $3 }' <<<"$OUT" | sort -u)
for sym in spod_client_connect spod_client_submit_sign spod_strerror spod_attest_verify \
	spod_wire_frame; do
	grep -qx "$sym" <<<"$EXPORTS" || fail "libspod.so does not export $sym"
done
if LEAKED=$(grep -E '^(spod_conn_|spod_keystore|host_|spod_uri_|spod_hex_|spod_cbor_|spod_cose_|spod_log)' \
	<<<"$EXPORTS"); then
	fail "libspod.so exports internal symbols: $(tr '\n' ' ' <<<"$LEAKED")"
fi
DECLARED=$(grep -ohE '\bspod_[a-z0-9_]+\(' "$PREFIX"/include/spod/*.h | tr -d '(' | sort -u)
[[ $EXPORTS == "$DECLARED" ]] ||
	fail "exports differ from the headers' declarations: $(diff <(echo "$DECLARED") <(echo "$EXPORTS") | grep '^[<>]' | tr '\n' ' ')"
log "$(wc -l <<<"$EXPORTS") symbols exported"

log "examples/ builds out of tree against the prefix (shared and static)"
cp -r "$SPOD_SRC/examples" "$EXAMPLES"
rm -f "$EXAMPLES/sign" "$EXAMPLES/sign-static"
MAKE_VARS=("CC=${SPOD_CC:-cc}")
if [[ ${SPOD_SANITIZE:-OFF} =~ ^(ON|1|TRUE|YES)$ ]]; then
	# The sanitizer build's libspod is instrumented: its programs need the same runtime.
	log "sanitizer build: the example is compiled with -fsanitize=address,undefined too"
	MAKE_VARS+=("CFLAGS=-O1 -g -Wall -Wextra -Werror -fsanitize=address,undefined -fno-omit-frame-pointer"
		"LDFLAGS=-fsanitize=address,undefined")
fi
run make -C "$EXAMPLES" "${MAKE_VARS[@]}" all static
[[ $OUT == *"-lspod"* && $OUT == *"-l:libspod.a"* ]] || fail "make did not link with pkg-config's flags: $OUT"
run readelf -d "$EXAMPLES/sign"
[[ $OUT == *"[libspod.so.0]"* ]] || fail "sign does not link libspod.so.0"
run readelf -d "$EXAMPLES/sign-static"
[[ $OUT != *libspod* ]] || fail "sign-static still needs libspod.so"
run env LD_LIBRARY_PATH="$PREFIX/lib" ldd "$EXAMPLES/sign"
[[ $OUT == *"libspod.so.0 => $PREFIX/lib/libspod.so.0"* ]] || fail "sign does not load the installed libspod: $OUT"

start_pod

# check_output OUT: the example's report of a full run.
check_output() {
	local out=$1 sig pub
	[[ $out == *"connected to $HOST_URI: spod "* ]] || fail "no connect line: $out"
	[[ $out =~ key\ [0-9a-f]{32}\ ed25519 ]] || fail "no key line: $out"
	[[ $out == *"pipelined: 100 signatures"* ]] || fail "pipeline summary: $out"
	[[ $out == *"batch: 3 signatures"* ]] || fail "batch summary: $out"
	[[ $out =~ key\ [0-9a-f]{32}\ deleted ]] || fail "key not deleted: $out"
	pub=$(sed -n 's/^public \([0-9a-f]*\)$/\1/p' <<<"$out")
	sig=$(sed -n 's/^signature \([0-9a-f]*\)$/\1/p' <<<"$out")
	[[ ${#pub} == 64 && ${#sig} == 128 ]] || fail "public key or signature missing: $out"
	# libspod has no verification API; the signature must verify independently.
	$PY -c 'import sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
Ed25519PublicKey.from_public_bytes(bytes.fromhex(sys.argv[1])).verify(
    bytes.fromhex(sys.argv[2]), b"hello from libspod")' "$pub" "$sig" ||
		fail "the example's signature does not verify"
}

log "the documented way: no token is UNAUTHENTICATED; then a token of its own in SPOD_TOKEN"
unset SPOD_TOKEN
expect_exit 1 env LD_LIBRARY_PATH="$PREFIX/lib" "$EXAMPLES/sign" "$HOST_URI"
[[ $ERR == *"[UNAUTHENTICATED]"* && $ERR == *"SPOD_TOKEN is not set"* ]] ||
	fail "the example without a token: $ERR"
# The line docs/client.md shows, run with the CLI under test against this pod.
DOC_LINE=$(grep -F 'export SPOD_TOKEN=$(spod --json token create' "$SPOD_SRC/docs/client.md") ||
	fail "docs/client.md no longer shows how to make the example's token"
eval "${DOC_LINE//spod --json/\"\$SPOD\" --json}"
[[ ${SPOD_TOKEN:-} == spod_* ]] || fail "the documented line made no token: $DOC_LINE"
[[ $SPOD_TOKEN != "$(<"$T_DIR/admin.token")" ]] || fail "the example runs with the admin token"

log "shared: sign URI"
run env LD_LIBRARY_PATH="$PREFIX/lib" "$EXAMPLES/sign" "$HOST_URI"
check_output "$OUT"

log "static: SPOD_URI, with the end-to-end attestation check under the development root"
run "$SPOD" attest dev-root
printf '%s\n' "$OUT" >"$T_DIR/dev-root.pem"
run "$SPOD" attest --nonce "$(random_hex 32)" --out "$T_DIR/doc.cbor"
run "$SPOD" --json attest verify "$T_DIR/doc.cbor" --root "$T_DIR/dev-root.pem"
PCR0=$(echo "$OUT" | json_get 'd["pcrs"]["0"]')
run env SPOD_URI="$HOST_URI" SPOD_EXPECT_PCR0="$PCR0" SPOD_ATTEST_ROOT="$T_DIR/dev-root.pem" \
	"$EXAMPLES/sign-static"
check_output "$OUT"
[[ $OUT == *"attestation verified: PCR0 matches, key bound"* ]] || fail "no attestation line: $OUT"

log "errors are reported with the library's messages"
expect_exit 1 env SPOD_URI="$HOST_URI" SPOD_EXPECT_PCR0="$(flip_hex "$PCR0" 7)" \
	SPOD_ATTEST_ROOT="$T_DIR/dev-root.pem" "$EXAMPLES/sign-static"
[[ $ERR == *"attestation check [PCR_MISMATCH]"* ]] || fail "wrong PCR0: $ERR"
[[ $OUT =~ key\ [0-9a-f]{32}\ deleted ]] || fail "key not deleted after a failed check: $OUT"
expect_exit 1 env SPOD_URI="$HOST_URI" SPOD_EXPECT_PCR0="$PCR0" "$EXAMPLES/sign-static"
[[ $ERR == *"attestation check [BAD_CHAIN]"* ]] || fail "AWS root accepted a simulator: $ERR"
expect_exit 1 env LD_LIBRARY_PATH="$PREFIX/lib" "$EXAMPLES/sign" "unix://$T_DIR/absent.sock"
[[ $ERR == *"cannot connect to unix://$T_DIR/absent.sock: "*"[UNAVAILABLE]"* ]] ||
	fail "connect error: $ERR"
expect_exit 1 env LD_LIBRARY_PATH="$PREFIX/lib" "$EXAMPLES/sign" "http://example.org"
[[ $ERR == *"[BAD_URI]"* ]] || fail "bad URI error: $ERR"
expect_exit 2 env -u SPOD_URI LD_LIBRARY_PATH="$PREFIX/lib" "$EXAMPLES/sign"
[[ $ERR == *"usage:"* ]] || fail "no usage message: $ERR"

run "$SPOD" --json info
[[ $(echo "$OUT" | json_get 'd["keys"]') == 0 ]] || fail "the examples left keys behind: $OUT"
